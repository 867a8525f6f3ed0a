//! The store's contract: series found by hash and label values, values interned per label,
//! handles that outlive removal and the store, slots reused only once no reader and no handle
//! can reach them, and lookups safe while a writer inserts, removes, relinks and clears.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use vitals_index::{InsertError, Key, Shared, Store};

// --- Helpers ---

/// The hash of a series' values, as a family would compute it.
fn hash(values: &[&str]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for value in values {
        value.hash(&mut hasher);
    }
    hasher.finish()
}

/// The same hash, from a stored key (for table rebuilds).
fn rehash(key: &Key<'_>) -> u64 {
    let mut hasher = DefaultHasher::new();
    for value in key.iter() {
        value.hash(&mut hasher);
    }
    hasher.finish()
}

/// Whether a stored key holds exactly `values`.
fn eq<'v>(values: &'v [&'v str]) -> impl FnMut(&Key<'_>) -> bool + 'v {
    move |key| key.iter().eq(values.iter().copied())
}

/// A value that knows its series' number, counts its drops, and checks on every read that it
/// was not dropped.
struct Tracked {
    key: u64,
    check: u64,
    drops: Arc<AtomicUsize>,
}

impl Tracked {
    fn new(key: u64, drops: &Arc<AtomicUsize>) -> Self {
        Self {
            key,
            check: !key,
            drops: Arc::clone(drops),
        }
    }

    fn intact(&self) -> bool {
        self.check == !self.key
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        assert!(self.intact(), "dropped twice");
        self.check = 0;
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn drops() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// Takes and drops the store's lock (each collects what no reader can hold any more) until
/// `done` holds. Single-threaded one or two rounds suffice; other tests' reader threads,
/// pinned a moment at an older epoch, may hold the grace period back a little longer.
fn settle<S, X, E>(store: &Store<S, X, E>, mut done: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        drop(store.lock());
        if done() {
            return;
        }
        std::thread::yield_now();
    }
    panic!("the grace period never ended");
}

/// Series `n`'s three values.
fn values_of(n: u64) -> [String; 3] {
    [
        format!("m{}", n % 7),
        format!("p{}", n % 100),
        format!("id{n}"),
    ]
}

fn strs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

// --- Insert, get, remove ---

#[test]
fn inserted_series_are_found_by_their_values_and_removed_ones_are_not() {
    let store: Store<u64> = Store::new(3, false);
    assert!(store.is_empty());
    let series: [[&str; 3]; 4] = [
        ["GET", "/", "200"],
        ["GET", "/a", "200"],
        ["PUT", "/", "500"],
        ["GET", "/", "404"],
    ];
    let mut indices = Vec::new();
    {
        let mut locked = store.lock();
        for (n, values) in series.iter().enumerate() {
            let entry = locked
                .insert(hash(values), n as u64 * 10, values, rehash)
                .unwrap();
            assert_eq!(*entry.stored(), n as u64 * 10);
            assert!(entry.key().iter().eq(values.iter().copied()));
            indices.push(entry.index());
        }
        assert_eq!(locked.len(), 4);
        // Slot order, which for a fresh store is insertion order.
        let order: Vec<u64> = locked.iter().map(|e| *e.stored()).collect();
        assert_eq!(order, [0, 10, 20, 30]);
        let keys: Vec<String> = locked.iter().map(|e| format!("{:?}", e.key())).collect();
        assert_eq!(keys, series.map(|v| format!("{v:?}")));
        assert_eq!(locked.indices().collect::<Vec<_>>(), indices);
        // Distinct values per label: GET/PUT, "/" and "/a", 200/500/404.
        assert_eq!(locked.distinct(0), 2);
        assert_eq!(locked.distinct(1), 2);
        assert_eq!(locked.distinct(2), 3);
        assert_eq!(locked.distinct(3), 0, "no such label");
        let at = locked.at(indices[2]).unwrap();
        assert_eq!(*at.stored(), 20);
        assert!(locked.get(hash(&series[1]), eq(&series[1])).is_some());
    }
    assert_eq!(store.len(), 4);
    for (n, values) in series.iter().enumerate() {
        let found = store.get(hash(values), eq(values)).expect("inserted");
        assert_eq!(*found.stored(), n as u64 * 10);
        assert_eq!(found.index(), indices[n]);
        let key = found.key();
        assert_eq!(key.len(), 3);
        assert!(!key.is_empty());
        assert_eq!(key.get(0), values[0]);
        assert_eq!(key.get(2), values[2]);
        assert_eq!(format!("{key:?}"), format!("{values:?}"));
    }
    let missing = ["GET", "/", "500"];
    assert!(store.get(hash(&missing), eq(&missing)).is_none());

    {
        let mut locked = store.lock();
        assert!(locked.remove(indices[0], hash(&series[0])));
        assert!(
            !locked.remove(indices[0], hash(&series[0])),
            "removed already"
        );
        assert!(!locked.remove(1000, 0), "never linked");
        assert!(locked.at(indices[0]).is_none());
        assert!(locked.get(hash(&series[0]), eq(&series[0])).is_none());
        assert_eq!(locked.len(), 3);
        assert!(locked.remove(indices[3], hash(&series[3])));
        let order: Vec<u64> = locked.iter().map(|e| *e.stored()).collect();
        assert_eq!(order, [10, 20]);
        // Values stay interned through the removed series' grace period.
        assert_eq!(locked.distinct(2), 3);
    }
    // Then "404" (series 3's alone) goes; "200" stays, used by series 1.
    settle(&store, || store.lock().distinct(2) == 2);
    assert_eq!(store.lock().distinct(1), 2, "\"/\" and \"/a\"");
    assert_eq!(store.len(), 2);
    assert!(store.get(hash(&series[0]), eq(&series[0])).is_none());
    assert!(store.get(hash(&series[3]), eq(&series[3])).is_none());
    assert!(store.get(hash(&series[1]), eq(&series[1])).is_some());

    store.lock().clear();
    assert!(store.is_empty());
    for values in &series {
        assert!(store.get(hash(values), eq(values)).is_none());
    }
}

#[test]
fn a_store_without_labels_holds_one_series_under_the_empty_key() {
    let store: Store<u64> = Store::new(0, false);
    store.lock().insert(hash(&[]), 5, &[], rehash).unwrap();
    let found = store.get(hash(&[]), |key| key.is_empty()).unwrap();
    assert_eq!(*found.stored(), 5);
    assert_eq!(found.key().iter().count(), 0);
}

#[test]
fn every_series_is_dropped_once_when_the_store_drops() {
    let drops = drops();
    let store: Store<Tracked> = Store::new(3, false);
    {
        let mut locked = store.lock();
        for n in 0..20 {
            let values = values_of(n);
            let values = strs(&values);
            locked
                .insert(hash(&values), Tracked::new(n, &drops), &values, rehash)
                .unwrap();
        }
        // Some removed, some still in their grace period when the store drops.
        for n in 0..5 {
            let values = values_of(n);
            let values = strs(&values);
            let index = locked.get(hash(&values), eq(&values)).unwrap().index();
            assert!(locked.remove(index, hash(&values)));
        }
    }
    let values = values_of(7);
    let values = strs(&values);
    let mut locked = store.lock();
    let index = locked.get(hash(&values), eq(&values)).unwrap().index();
    assert!(locked.remove(index, hash(&values)));
    drop(locked);
    assert!(drops.load(Ordering::SeqCst) <= 6);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 20);
}

// --- Interned values ---

#[test]
fn values_are_interned_once_and_their_ids_reused_after_the_last_series_goes() {
    let drops = drops();
    let store: Store<Tracked> = Store::new(2, false);
    // 40 series over 4 x 10 values.
    let key = |n: u64| [format!("a{}", n % 4), format!("b{}", n / 4)];
    {
        let mut locked = store.lock();
        for n in 0..40 {
            let values = key(n);
            let values = strs(&values);
            locked
                .insert(hash(&values), Tracked::new(n, &drops), &values, rehash)
                .unwrap();
        }
        assert_eq!(locked.distinct(0), 4);
        assert_eq!(locked.distinct(1), 10);
        // The interned strings are counted once each, not once per series.
        assert!(locked.heap_bytes() > 0);
    }
    // Remove every series using "a1" (n % 4 == 1) and every one using "b9" (n / 4 == 9).
    let gone: Vec<u64> = (0..40).filter(|n| n % 4 == 1 || n / 4 == 9).collect();
    {
        let mut locked = store.lock();
        for &n in &gone {
            let values = key(n);
            let values = strs(&values);
            let index = locked.get(hash(&values), eq(&values)).unwrap().index();
            assert!(locked.remove(index, hash(&values)));
        }
    }
    // Once the grace period ends the values' ids are free (and the series dropped).
    settle(&store, || drops.load(Ordering::SeqCst) == gone.len());
    settle(&store, || store.lock().distinct(0) == 3);
    assert_eq!(store.lock().distinct(1), 9);
    {
        let mut locked = store.lock();
        // New values take the freed ids; the old ones come back under fresh ones.
        for (n, values) in [
            (100, ["new", "b0"]),
            (101, ["a0", "newer"]),
            (102, ["a1", "b0"]),
            (103, ["a1", "b9"]),
        ] {
            locked
                .insert(hash(&values), Tracked::new(n, &drops), &values, rehash)
                .unwrap();
        }
        assert_eq!(locked.distinct(0), 5);
        assert_eq!(locked.distinct(1), 11);
    }
    for (n, values) in [
        (100, ["new", "b0"]),
        (101, ["a0", "newer"]),
        (102, ["a1", "b0"]),
        (103, ["a1", "b9"]),
    ] {
        let found = store.get(hash(&values), eq(&values)).expect("reinserted");
        assert_eq!(found.stored().key, n);
        assert!(found.key().iter().eq(values));
    }
    // The series that kept their values still read them.
    for n in (0..40).filter(|n| !gone.contains(n)) {
        let values = key(n);
        let values = strs(&values);
        let found = store.get(hash(&values), eq(&values)).expect("kept");
        assert_eq!(found.stored().key, n);
        assert!(found.key().iter().eq(values.iter().copied()));
    }
    // The others removed stay missing: (a1, b0) is series 1, re-added as 102, and (a1, b9)
    // series 37, re-added as 103.
    for n in gone.iter().copied().filter(|&n| n != 1 && n != 37) {
        let values = key(n);
        let values = strs(&values);
        assert!(
            store.get(hash(&values), eq(&values)).is_none(),
            "{values:?}"
        );
    }
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 44);
}

// --- Pieces ---

/// A series' label text as a family writes it: its pieces, then the closing quote. Written
/// by `push_pieces` (after a few bytes already there, as an encoder's output has), and checked
/// against the pieces one by one.
fn text(key: &Key<'_>) -> String {
    let mut text = String::from("name{");
    key.push_pieces_str(&mut text);
    let mut text = text.split_off("name{".len());
    let one_by_one: String = (0..key.len()).map(|label| key.piece(label)).collect();
    assert_eq!(text, one_by_one);
    if !key.is_empty() {
        text.push('"');
    }
    text
}

#[test]
fn pieces_are_the_prefix_then_the_escaped_value_and_lookups_compare_the_value() {
    let store: Store<u64> = Store::with_pieces(&["method=\"", "\",path=\""], false);
    let long = "/a/route/template/long/enough/to/leave/the/cell/{id}";
    let long_text = format!(r#"method="GET",path="{long}""#);
    let cases: [([&str; 2], &str); 5] = [
        (["GET", "/"], r#"method="GET",path="/""#),
        // Past the bytes a cell keeps inline.
        (["GET", long], &long_text),
        // Escaped in the piece, as given in the value.
        (["a\"b", "c\\d\ne"], r#"method="a\"b",path="c\\d\ne""#),
        // Empty, and nothing but escapes.
        (["", "\"\"\"\""], r#"method="",path="\"\"\"\"""#),
        (["ü", "ñ\n"], r#"method="ü",path="ñ\n""#),
    ];
    {
        let mut locked = store.lock();
        for (n, (values, _)) in cases.iter().enumerate() {
            locked
                .insert(hash(values), n as u64, values, rehash)
                .unwrap();
        }
    }
    for (n, (values, want)) in cases.iter().enumerate() {
        let found = store.get(hash(values), eq(values)).expect("inserted");
        assert_eq!(*found.stored(), n as u64);
        assert!(found.key().iter().eq(values.iter().copied()), "{values:?}");
        assert_eq!(text(&found.key()), *want);
    }
    // The escaped text is not the value: looking it up finds nothing.
    let escaped = ["a\\\"b", "c\\\\d\\ne"];
    assert!(store.get(hash(&escaped), eq(&escaped)).is_none());
    // Past the last label, a key reads empty.
    let found = store.get(hash(&["GET", "/"]), eq(&["GET", "/"])).unwrap();
    assert_eq!((found.key().get(2), found.key().piece(2)), ("", ""));
}

#[test]
fn value_is_agrees_with_string_equality_at_every_length_inline_or_not() {
    // A prefix of 8 bytes: values up to 27 bytes are inline (35 in all), longer ones on the
    // heap; values that need escaping are on the heap at any length.
    let store: Store<u64> = Store::with_pieces(&["route=\"", "\",x=\""], false);
    let base: String = (0..48u8).map(|i| char::from(b'a' + i % 26)).collect();
    let mut stored = Vec::new();
    {
        let mut locked = store.lock();
        for len in 0..=base.len() {
            for value in [base[..len].to_owned(), format!("\"{}", &base[..len])] {
                let values = [value.as_str(), "x"];
                let index = locked
                    .insert(hash(&values), 0, &values, rehash)
                    .unwrap()
                    .index();
                stored.push((index, value));
            }
        }
    }
    let locked = store.lock();
    for (index, value) in &stored {
        let found = locked.get(hash(&[value, "x"]), eq(&[value, "x"])).unwrap();
        assert_eq!(found.index(), *index);
        let key = found.key();
        assert!(key.value_is(0, value) && key.value_is(1, "x"), "{value:?}");
        assert!(!key.value_is(2, ""), "past the last label");
        // Shorter, longer, and one byte changed at each position: never equal.
        assert!(value.is_empty() || !key.value_is(0, &value[..value.len() - 1]));
        assert!(!key.value_is(0, &format!("{value}a")));
        for at in 0..value.len() {
            let mut changed = value.clone().into_bytes();
            changed[at] ^= 0x20;
            let changed = String::from_utf8(changed).unwrap();
            assert!(!key.value_is(0, &changed), "{value:?} at {at}");
        }
        // Nor is the prefix, or the escaped text, taken for the value.
        assert!(!key.value_is(0, &format!("route=\"{value}")));
        if value.starts_with('"') {
            assert!(!key.value_is(0, &value.replace('"', "\\\"")));
        }
    }
}

#[test]
fn a_store_without_prefixes_keeps_each_value_escaped_as_its_piece() {
    let store: Store<u64> = Store::new(2, false);
    let values = ["plain", "say \"hi\""];
    store
        .lock()
        .insert(hash(&values), 1, &values, rehash)
        .unwrap();
    let found = store.get(hash(&values), eq(&values)).unwrap();
    assert_eq!(found.key().piece(0), "plain");
    assert_eq!(found.key().piece(1), r#"say \"hi\""#);
}

#[test]
fn a_freed_value_id_takes_the_new_value_s_piece() {
    let store: Store<u64> = Store::with_pieces(&["k=\""], false);
    let old = ["needs \"escaping\" and is long enough for the heap"];
    store.lock().insert(hash(&old), 1, &old, rehash).unwrap();
    {
        let mut locked = store.lock();
        let index = locked.get(hash(&old), eq(&old)).unwrap().index();
        assert!(locked.remove(index, hash(&old)));
    }
    settle(&store, || store.lock().distinct(0) == 0);
    let new = ["new"];
    store.lock().insert(hash(&new), 2, &new, rehash).unwrap();
    assert_eq!(store.lock().distinct(0), 1);
    let found = store.get(hash(&new), eq(&new)).unwrap();
    assert_eq!(text(&found.key()), r#"k="new""#);
    assert!(store.get(hash(&old), eq(&old)).is_none());
}

// --- Handles ---

#[test]
fn a_handle_outlives_the_removal_of_its_series_and_the_store() {
    let store: Store<AtomicU64> = Store::new(1, false);
    let handle = {
        let mut locked = store.lock();
        let entry = locked
            .insert(hash(&["x"]), AtomicU64::new(1), &["x"], rehash)
            .unwrap();
        entry.shared()
    };
    handle.fetch_add(1, Ordering::Relaxed);
    let found = store.get(hash(&["x"]), eq(&["x"])).unwrap();
    assert_eq!(found.stored().load(Ordering::Relaxed), 2);
    let again = found.shared();
    assert!(Shared::ptr_eq(&handle, &again));
    assert!(std::ptr::eq(found.stored(), &*handle));
    drop(found);
    {
        let mut locked = store.lock();
        let index = locked.get(hash(&["x"]), eq(&["x"])).unwrap().index();
        assert!(locked.remove(index, hash(&["x"])));
    }
    again.fetch_add(1, Ordering::Relaxed);
    drop(store);
    assert_eq!(handle.load(Ordering::Relaxed), 3);
    let clone = handle.clone();
    drop(handle);
    clone.fetch_add(1, Ordering::Relaxed);
    assert_eq!(again.load(Ordering::Relaxed), 4);
    assert_eq!(format!("{clone:?}"), "4");
}

#[test]
fn a_series_value_is_dropped_once_when_the_last_of_store_and_handles_lets_go() {
    let drops = drops();
    let insert = |store: &Store<Tracked>, n: u64| {
        let values = [format!("v{n}")];
        let values = strs(&values);
        let mut locked = store.lock();
        let entry = locked
            .insert(hash(&values), Tracked::new(n, &drops), &values, rehash)
            .unwrap();
        (entry.index(), hash(&values), entry.shared())
    };

    // Linked, the store dropped before the handle.
    let store: Store<Tracked> = Store::new(1, false);
    let (_, _, handle) = insert(&store, 0);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert!(handle.intact());
    let clone = handle.clone();
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(clone);
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    // Linked, the handle dropped before the store.
    let store: Store<Tracked> = Store::new(1, false);
    let (_, _, handle) = insert(&store, 1);
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 2);

    // Removed, the store dropped (grace period or not), then the handle.
    let store: Store<Tracked> = Store::new(1, false);
    let (index, hash, handle) = insert(&store, 2);
    assert!(store.lock().remove(index, hash));
    drop(store.lock());
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(handle.key, 2);
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 3);

    // Removed, the grace period over, then the handle (the store lives on).
    let store: Store<Tracked> = Store::new(1, false);
    let (index, hash, handle) = insert(&store, 3);
    let (sentinel, sentinel_hash, sentinel_handle) = insert(&store, 4);
    drop(sentinel_handle);
    {
        let mut locked = store.lock();
        assert!(locked.remove(index, hash));
        assert!(locked.remove(sentinel, sentinel_hash));
    }
    // The sentinel, removed in the same lock, ends its grace period with the other series.
    settle(&store, || drops.load(Ordering::SeqCst) == 4);
    assert!(handle.intact());
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn a_standalone_value_is_dropped_once_by_its_last_handle() {
    let drops = drops();
    let a: Shared<Tracked> = Shared::new(Tracked::new(9, &drops));
    let b = a.clone();
    let c = b.clone();
    assert!(Shared::ptr_eq(&a, &c));
    assert!(!Shared::ptr_eq(&a, &Shared::new(Tracked::new(10, &drops))));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(a);
    drop(c);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(b.key, 9);
    assert!(b.intact());
    drop(b);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn handles_move_between_threads() {
    let store: Store<AtomicU64> = Store::new(1, false);
    let handle = store
        .lock()
        .insert(hash(&["x"]), AtomicU64::new(0), &["x"], rehash)
        .unwrap()
        .shared();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let handle = handle.clone();
            scope.spawn(move || {
                for _ in 0..10 {
                    handle.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    drop(store);
    assert_eq!(handle.load(Ordering::Relaxed), 40);
}

// --- Slot reuse ---

#[test]
fn a_removed_series_slot_is_reused_once_its_grace_period_ends() {
    let drops = drops();
    let store: Store<Tracked> = Store::new(2, false);
    let key = |n: u64| [format!("a{}", n / 4), format!("b{}", n % 4)];
    // The first chunk holds 8 slots: fill it.
    {
        let mut locked = store.lock();
        for n in 0..8 {
            let values = key(n);
            let values = strs(&values);
            let entry = locked
                .insert(hash(&values), Tracked::new(n, &drops), &values, rehash)
                .unwrap();
            assert_eq!(entry.index(), n as usize);
        }
    }
    let removed = key(2);
    let removed = strs(&removed);
    {
        let mut locked = store.lock();
        let index = locked.get(hash(&removed), eq(&removed)).unwrap().index();
        assert_eq!(index, 2);
        assert!(locked.remove(index, hash(&removed)));
    }
    settle(&store, || drops.load(Ordering::SeqCst) == 1);
    let mut locked = store.lock();
    let before = locked.heap_bytes();
    // The same values (still used by other series, so interned already) in the freed slot:
    // nothing is allocated.
    let entry = locked
        .insert(hash(&removed), Tracked::new(100, &drops), &removed, rehash)
        .unwrap();
    assert_eq!(entry.index(), 2);
    assert_eq!(locked.heap_bytes(), before);
    // Slot order: the new series sits where the removed one was.
    let order: Vec<u64> = locked.iter().map(|e| e.stored().key).collect();
    assert_eq!(order, [0, 1, 100, 3, 4, 5, 6, 7]);
    // No free slot left: the next series takes a new one, in a new chunk.
    let values = ["a0", "b9"];
    let entry = locked
        .insert(hash(&values), Tracked::new(101, &drops), &values, rehash)
        .unwrap();
    assert!(
        entry.index() > 7,
        "a slot of the next chunk: {}",
        entry.index()
    );
    assert!(locked.heap_bytes() > before);
    drop(locked);
    let found = store.get(hash(&removed), eq(&removed)).unwrap();
    assert_eq!(found.stored().key, 100);
    drop(found);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 10);
}

#[test]
fn a_slot_is_not_reused_while_a_handle_holds_it() {
    const HELD: u64 = 64;
    let drops = drops();
    let store: Store<Tracked> = Store::new(1, false);
    let name = |n: u64| [format!("s{n}")];
    let mut handles = Vec::new();
    let mut places = Vec::new();
    {
        let mut locked = store.lock();
        for n in 0..=HELD {
            let values = name(n);
            let values = strs(&values);
            let entry = locked
                .insert(hash(&values), Tracked::new(n, &drops), &values, rehash)
                .unwrap();
            places.push((entry.index(), hash(&values)));
            // Series HELD is the sentinel: no handle.
            if n < HELD {
                handles.push(entry.shared());
            }
        }
        for &(index, hash) in &places {
            assert!(locked.remove(index, hash));
        }
    }
    // The sentinel's value goes with its grace period, which is the others' as well.
    settle(&store, || drops.load(Ordering::SeqCst) == 1);
    let sentinel = places[HELD as usize].0;
    let held: HashSet<usize> = places[..HELD as usize].iter().map(|p| p.0).collect();
    let mut locked = store.lock();
    // The one free slot is the sentinel's.
    let values = ["x0"];
    let index = locked
        .insert(hash(&values), Tracked::new(1000, &drops), &values, rehash)
        .unwrap()
        .index();
    assert_eq!(index, sentinel);
    // Let go of the first half of the handles: their values go at once (the store's reference
    // went with the grace period).
    let kept = handles.split_off(HELD as usize / 2);
    let released: HashSet<usize> = handles.iter().map(|h| places[h.key as usize].0).collect();
    drop(handles);
    assert_eq!(drops.load(Ordering::SeqCst), 1 + HELD as usize / 2);
    // No slot is free and 64 are held: the next insert scans them, and reuses only the
    // released ones, each once.
    let mut reused = HashSet::new();
    for n in 0..HELD / 2 {
        let values = [format!("y{n}")];
        let values = strs(&values);
        let index = locked
            .insert(
                hash(&values),
                Tracked::new(2000 + n, &drops),
                &values,
                rehash,
            )
            .unwrap()
            .index();
        assert!(released.contains(&index), "slot {index} was not released");
        assert!(reused.insert(index), "slot {index} reused twice");
    }
    // The rest are still held: a new series takes a new slot.
    let values = ["z"];
    let index = locked
        .insert(hash(&values), Tracked::new(3000, &drops), &values, rehash)
        .unwrap()
        .index();
    assert!(!held.contains(&index) && index != sentinel, "slot {index}");
    assert!(
        !released.contains(&index) && !reused.contains(&index),
        "slot {index}"
    );
    drop(locked);
    // The kept handles' slots were not reused, and they still read their own values.
    for handle in &kept {
        assert!(handle.intact());
        let slot = places[handle.key as usize].0;
        assert!(
            held.contains(&slot) && !reused.contains(&slot),
            "slot {slot}"
        );
    }
    let total = 1 + HELD as usize + 1 + HELD as usize / 2 + 1;
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), total - kept.len());
    drop(kept);
    assert_eq!(drops.load(Ordering::SeqCst), total);
}

/// A value whose drop takes a while, and checks at its end that its memory still holds it
/// (no new series was written into its slot meanwhile).
struct Slow {
    key: u64,
    check: u64,
    drops: Arc<AtomicUsize>,
    torn: Arc<AtomicUsize>,
}

impl Slow {
    fn intact(&self) -> bool {
        self.check == !self.key
    }
}

impl Drop for Slow {
    fn drop(&mut self) {
        let (key, check) = (self.key, self.check);
        self.drops.fetch_add(1, Ordering::SeqCst);
        for _ in 0..if cfg!(miri) { 4 } else { 200 } {
            std::hint::spin_loop();
            std::thread::yield_now();
        }
        // Read the memory again (the compiler may assume `self` did not change).
        let now = std::hint::black_box(&*self);
        if now.key != key || now.check != check {
            self.torn.fetch_add(1, Ordering::SeqCst);
        }
        self.check = 0;
    }
}

#[test]
fn a_slot_is_reused_only_after_its_last_handle_has_dropped_the_value() {
    const HELD: u64 = 64;
    let rounds = if cfg!(miri) { 1 } else { 20 };
    let drops = drops();
    let torn = Arc::new(AtomicUsize::new(0));
    let slow = |key: u64| Slow {
        key,
        check: !key,
        drops: Arc::clone(&drops),
        torn: Arc::clone(&torn),
    };
    let store: Store<Slow> = Store::new(1, false);
    let mut made = 0u64;
    let mut fresh = Vec::new();
    for round in 0..rounds {
        // HELD series with handles and a sentinel without, removed together.
        let mut handles = Vec::new();
        let before = drops.load(Ordering::SeqCst);
        {
            let mut locked = store.lock();
            let mut places = Vec::new();
            for n in 0..=HELD {
                let values = [format!("r{round}s{n}")];
                let values = strs(&values);
                let entry = locked
                    .insert(hash(&values), slow(made), &values, rehash)
                    .unwrap();
                made += 1;
                places.push((entry.index(), hash(&values)));
                if n < HELD {
                    handles.push(entry.shared());
                }
            }
            for (index, hash) in places {
                assert!(locked.remove(index, hash));
            }
        }
        settle(&store, || drops.load(Ordering::SeqCst) > before);
        let before = drops.load(Ordering::SeqCst);
        // Another thread lets go of the handles, each drop slow, while this one inserts: the
        // held scan finds slots whose count is zero, one of them maybe still being dropped.
        std::thread::scope(|scope| {
            scope.spawn(move || drop(handles));
            while drops.load(Ordering::SeqCst) == before {
                std::thread::yield_now();
            }
            for n in 0..HELD / 2 {
                let values = [format!("r{round}f{n}")];
                let values = strs(&values);
                let mut locked = store.lock();
                let entry = locked
                    .insert(hash(&values), slow(made), &values, rehash)
                    .unwrap();
                made += 1;
                fresh.push(entry.shared());
            }
        });
    }
    assert_eq!(
        torn.load(Ordering::SeqCst),
        0,
        "a slot was reused while its value dropped"
    );
    for handle in &fresh {
        assert!(
            handle.intact(),
            "a new series was overwritten by an old one's drop"
        );
    }
    drop(fresh);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst) as u64, made);
}

// --- Relink ---

#[test]
fn a_removed_series_is_relinked_with_its_value_and_handles() {
    let drops = drops();
    let store: Store<Tracked, (), ()> = Store::new(2, false);
    let values = ["GET", "/"];
    let sentinel = ["GET", "/sentinel"];
    let (index, handle) = {
        let mut locked = store.lock();
        let entry = locked
            .insert(hash(&values), Tracked::new(1, &drops), &values, rehash)
            .unwrap();
        (entry.index(), entry.shared())
    };

    // Relinked within the grace period: the store's reference was never given back.
    {
        let mut locked = store.lock();
        assert!(locked.remove(index, hash(&values)));
        assert!(locked.get(hash(&values), eq(&values)).is_none());
        let entry = locked
            .relink(&handle, hash(&values), &values, rehash)
            .unwrap();
        assert_eq!(entry.index(), index);
        assert!(std::ptr::eq(entry.stored(), &*handle));
        assert_eq!(locked.len(), 1);
        assert_eq!(locked.distinct(1), 1);
    }
    let found = store.get(hash(&values), eq(&values)).expect("relinked");
    assert!(std::ptr::eq(found.stored(), &*handle));
    assert_eq!(found.stored().key, 1);
    drop(found);

    // Relinked after the grace period: the store takes a reference again.
    {
        let mut locked = store.lock();
        locked
            .insert(hash(&sentinel), Tracked::new(2, &drops), &sentinel, rehash)
            .unwrap();
        let sentinel_index = locked.get(hash(&sentinel), eq(&sentinel)).unwrap().index();
        assert!(locked.remove(index, hash(&values)));
        assert!(locked.remove(sentinel_index, hash(&sentinel)));
    }
    settle(&store, || drops.load(Ordering::SeqCst) == 1);
    assert!(store.get(hash(&values), eq(&values)).is_none());
    {
        let mut locked = store.lock();
        let entry = locked
            .relink(&handle, hash(&values), &values, rehash)
            .unwrap();
        assert_eq!(entry.index(), index);
        assert!(std::ptr::eq(entry.stored(), &*handle));
        assert!(entry.key().iter().eq(values));
    }
    let found = store.get(hash(&values), eq(&values)).expect("relinked");
    assert!(std::ptr::eq(found.stored(), &*handle));
    drop(found);
    // The store holds the value again: the handle is not the last.
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    {
        let mut locked = store.lock();
        let index = locked.get(hash(&values), eq(&values)).unwrap().index();
        assert!(locked.remove(index, hash(&values)));
    }
    settle(&store, || drops.load(Ordering::SeqCst) == 2);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn relinking_a_foreign_or_linked_handle_is_refused() {
    let store: Store<u64> = Store::new(1, false);
    let other: Store<u64> = Store::new(1, false);
    let values = ["x"];
    let mine = store
        .lock()
        .insert(hash(&values), 1, &values, rehash)
        .unwrap()
        .shared();
    let theirs = other
        .lock()
        .insert(hash(&values), 2, &values, rehash)
        .unwrap()
        .shared();
    let standalone: Shared<u64> = Shared::new(3);
    let mut locked = store.lock();
    assert_eq!(
        locked.relink(&mine, hash(&values), &values, rehash).err(),
        Some(InsertError::Foreign),
        "linked already"
    );
    assert_eq!(
        locked.relink(&theirs, hash(&values), &values, rehash).err(),
        Some(InsertError::Foreign)
    );
    assert_eq!(
        locked
            .relink(&standalone, hash(&values), &values, rehash)
            .err(),
        Some(InsertError::Foreign)
    );
    assert_eq!(
        locked
            .relink(&mine, hash(&values), &["x", "y"], rehash)
            .err(),
        Some(InsertError::Values)
    );
    assert_eq!(locked.len(), 1);
    assert_eq!(locked.iter().count(), 1);
    drop(locked);
    // The other store still has its series, once.
    drop(theirs);
    let locked = other.lock();
    assert_eq!(locked.len(), 1);
    assert_eq!(*locked.iter().next().unwrap().stored(), 2);
}

// --- Errors ---

#[test]
fn an_insert_with_the_wrong_number_of_values_fails_and_keeps_nothing() {
    let drops = drops();
    let store: Store<Tracked> = Store::new(2, false);
    let mut locked = store.lock();
    let empty = locked.heap_bytes();
    for values in [&["a"][..], &["a", "b", "c"], &[]] {
        let result = locked.insert(hash(values), Tracked::new(0, &drops), values, rehash);
        assert_eq!(result.err(), Some(InsertError::Values));
    }
    // The values given were dropped, and nothing was allocated or linked.
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    assert_eq!(locked.len(), 0);
    assert_eq!(locked.iter().count(), 0);
    assert_eq!(locked.distinct(0), 0);
    assert_eq!(locked.heap_bytes(), empty);
    let entry = locked
        .insert(
            hash(&["a", "b"]),
            Tracked::new(1, &drops),
            &["a", "b"],
            rehash,
        )
        .unwrap();
    assert_eq!(entry.index(), 0);
    drop(locked);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

// --- Side data ---

#[test]
fn side_data_starts_default_and_is_reset_when_a_slot_is_reused() {
    // Standalone.
    let standalone: Shared<u64, OnceLock<u32>> = Shared::new(1);
    assert_eq!(standalone.side().get(), None);
    standalone.side().set(5).unwrap();
    assert_eq!(standalone.clone().side().get(), Some(&5));

    // In a store's slot.
    let drops = drops();
    let store: Store<Tracked, OnceLock<u32>> = Store::new(1, false);
    let (a, b) = (["a"], ["b"]);
    let handle = {
        let mut locked = store.lock();
        locked
            .insert(hash(&a), Tracked::new(1, &drops), &a, rehash)
            .unwrap();
        locked
            .insert(hash(&b), Tracked::new(2, &drops), &b, rehash)
            .unwrap();
        let handle = locked.get(hash(&a), eq(&a)).unwrap().shared();
        assert_eq!(handle.side().get(), None);
        handle.side().set(7).unwrap();
        handle
    };
    let other = store.get(hash(&b), eq(&b)).unwrap().shared();
    assert_eq!(other.side().get(), None, "each slot has its own");
    other.side().set(8).unwrap();
    let again = store.get(hash(&a), eq(&a)).unwrap().shared();
    assert_eq!(again.side().get(), Some(&7));
    let index = {
        let mut locked = store.lock();
        let index = locked.get(hash(&a), eq(&a)).unwrap().index();
        assert!(locked.remove(index, hash(&a)));
        // Kept across a relink.
        locked.relink(&handle, hash(&a), &a, rehash).unwrap();
        assert_eq!(
            locked.get(hash(&a), eq(&a)).unwrap().shared().side().get(),
            Some(&7)
        );
        assert!(locked.remove(index, hash(&a)));
        // Let go of the handles within the grace period, so that the slot is free when it
        // ends (a slot let go of later waits in the held list for a scan).
        assert_eq!(handle.side().get(), Some(&7));
        drop((handle, again));
        index
    };
    settle(&store, || drops.load(Ordering::SeqCst) == 1);
    let fresh = {
        let mut locked = store.lock();
        let entry = locked
            .insert(hash(&a), Tracked::new(3, &drops), &a, rehash)
            .unwrap();
        assert_eq!(entry.index(), index);
        entry.shared()
    };
    assert_eq!(fresh.key, 3);
    assert_eq!(fresh.side().get(), None, "reset for the new series");
    assert_eq!(other.side().get(), Some(&8), "the neighbour's kept");
    drop(store);
    assert_eq!(other.side().get(), Some(&8));
}

// --- Metadata ---

#[test]
fn a_store_keeps_default_metadata_per_series_only_when_asked() {
    let store: Store<u64, (), AtomicU32> = Store::new(1, true);
    {
        let mut locked = store.lock();
        for n in 0..20u64 {
            let values = [format!("v{n}")];
            let values = strs(&values);
            let entry = locked.insert(hash(&values), n, &values, rehash).unwrap();
            let meta = entry.meta().expect("kept");
            assert_eq!(meta.load(Ordering::Relaxed), 0);
            meta.store(n as u32 + 1, Ordering::Relaxed);
        }
    }
    for n in 0..20u64 {
        let values = [format!("v{n}")];
        let values = strs(&values);
        let found = store.get(hash(&values), eq(&values)).unwrap();
        assert_eq!(found.meta().unwrap().load(Ordering::Relaxed), n as u32 + 1);
    }

    let without: Store<u64, (), AtomicU32> = Store::new(1, false);
    let mut locked = without.lock();
    let entry = locked.insert(hash(&["v"]), 0, &["v"], rehash).unwrap();
    assert!(entry.meta().is_none());
}

// --- Growth ---

#[test]
fn thousands_of_series_stay_findable_through_table_rebuilds_and_removals() {
    let n: u64 = if cfg!(miri) { 300 } else { 5_000 };
    let store: Store<u64> = Store::new(3, false);
    let all: Vec<[String; 3]> = (0..n).map(values_of).collect();
    {
        let mut locked = store.lock();
        for (i, values) in all.iter().enumerate() {
            let values = strs(values);
            locked
                .insert(hash(&values), i as u64, &values, rehash)
                .unwrap();
        }
        assert_eq!(locked.len(), n as usize);
        assert_eq!(locked.distinct(0), 7);
        assert_eq!(locked.distinct(1), 100.min(n as usize));
        assert_eq!(locked.distinct(2), n as usize);
    }
    for (i, values) in all.iter().enumerate() {
        let values = strs(values);
        let found = store.get(hash(&values), eq(&values)).expect("inserted");
        assert_eq!(*found.stored(), i as u64);
    }
    {
        let mut locked = store.lock();
        for values in all.iter().step_by(2) {
            let values = strs(values);
            let index = locked.get(hash(&values), eq(&values)).unwrap().index();
            assert!(locked.remove(index, hash(&values)));
        }
        assert_eq!(locked.len(), n as usize / 2);
    }
    settle(&store, || store.lock().distinct(2) == n as usize / 2);
    for (i, values) in all.iter().enumerate() {
        let values = strs(values);
        let found = store.get(hash(&values), eq(&values));
        if i % 2 == 0 {
            assert!(found.is_none(), "series {i} removed");
        } else {
            assert_eq!(found.map(|f| *f.stored()), Some(i as u64));
        }
    }
    // Put the removed ones back (tombstones fill the table: more rebuilds).
    {
        let mut locked = store.lock();
        for (i, values) in all.iter().enumerate().step_by(2) {
            let values = strs(values);
            locked
                .insert(hash(&values), i as u64 + n, &values, rehash)
                .unwrap();
        }
        assert_eq!(locked.len(), n as usize);
    }
    for (i, values) in all.iter().enumerate() {
        let values = strs(values);
        let found = store.get(hash(&values), eq(&values)).expect("present");
        let want = if i % 2 == 0 { i as u64 + n } else { i as u64 };
        assert_eq!(*found.stored(), want);
    }
}

// --- Collisions ---

#[test]
fn series_with_one_hash_are_told_apart_by_their_values() {
    const HASH: u64 = 0xdead_beef_0000_0001;
    let n: u64 = if cfg!(miri) { 40 } else { 200 };
    let store: Store<u64> = Store::new(1, false);
    let constant = |_: &Key<'_>| HASH;
    let name = |i: u64| [format!("c{i}")];
    {
        let mut locked = store.lock();
        for i in 0..n {
            let values = name(i);
            let values = strs(&values);
            locked.insert(HASH, i, &values, constant).unwrap();
        }
    }
    for i in 0..n {
        let values = name(i);
        let values = strs(&values);
        assert_eq!(store.get(HASH, eq(&values)).map(|f| *f.stored()), Some(i));
    }
    assert!(store.get(HASH, eq(&["none"])).is_none());
    // Tombstones in the middle of the one probe run.
    {
        let mut locked = store.lock();
        for i in (0..n).filter(|i| i % 3 == 0) {
            let values = name(i);
            let values = strs(&values);
            let index = locked.get(HASH, eq(&values)).unwrap().index();
            assert!(locked.remove(index, HASH));
        }
    }
    for i in 0..n {
        let values = name(i);
        let values = strs(&values);
        let found = store.get(HASH, eq(&values)).map(|f| *f.stored());
        assert_eq!(found, (i % 3 != 0).then_some(i));
    }
}

// --- Concurrency ---

#[test]
fn readers_only_ever_see_the_value_inserted_under_their_key_while_a_writer_churns() {
    let (keys, rounds, readers): (u64, u64, usize) =
        if cfg!(miri) { (6, 8, 2) } else { (64, 400, 3) };
    let drops = drops();
    let store: Store<Tracked, OnceLock<u32>> = Store::new(2, false);
    let names: Vec<[String; 2]> = (0..keys)
        .map(|k| [format!("k{}", k % 5), format!("n{k}")])
        .collect();
    let stop = AtomicBool::new(false);
    let found = AtomicUsize::new(0);
    let inserted = std::thread::scope(|scope| {
        for r in 0..readers {
            let (store, names, stop, found) = (&store, &names, &stop, &found);
            scope.spawn(move || {
                let mut key = r as u64;
                let mut kept = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    key = (key + 7) % keys;
                    let values = strs(&names[key as usize]);
                    if let Some(entry) = store.get(hash(&values), eq(&values)) {
                        let stored = entry.stored();
                        assert!(stored.intact(), "read a dropped value");
                        assert_eq!(stored.key, key, "another key's value");
                        assert!(entry.key().iter().eq(values.iter().copied()));
                        let handle = entry.shared();
                        drop(entry);
                        let _ = handle.side().set(key as u32);
                        assert_eq!(handle.side().get(), Some(&(key as u32)));
                        // Some handles outlive the lookup, and the series' removal.
                        if key % 4 == 0 {
                            kept.push(handle);
                            if kept.len() > 8 {
                                kept.remove(0);
                            }
                        }
                        found.fetch_add(1, Ordering::Relaxed);
                    }
                    for handle in &kept {
                        assert!(handle.intact());
                    }
                    if cfg!(miri) {
                        std::thread::yield_now();
                    }
                }
            });
        }

        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
        let mut inserted = 0usize;
        let mut removed: Vec<(u64, Shared<Tracked, OnceLock<u32>>)> = Vec::new();
        let mut round = 0;
        while round < rounds || (found.load(Ordering::Relaxed) < 1000 && !cfg!(miri)) {
            if !cfg!(miri) && std::time::Instant::now() > deadline && round >= rounds / 4 {
                break;
            }
            round += 1;
            let mut locked = store.lock();
            // Relink some removed series, with their values and handles.
            for (key, handle) in removed.drain(..) {
                let values = strs(&names[key as usize]);
                if locked.get(hash(&values), eq(&values)).is_none() {
                    let entry = locked
                        .relink(&handle, hash(&values), &values, rehash)
                        .unwrap();
                    assert_eq!(entry.stored().key, key);
                }
            }
            for key in 0..keys {
                let values = strs(&names[key as usize]);
                if locked.get(hash(&values), eq(&values)).is_none() {
                    locked
                        .insert(hash(&values), Tracked::new(key, &drops), &values, rehash)
                        .unwrap();
                    inserted += 1;
                }
            }
            if round % 10 == 9 {
                locked.clear();
            } else {
                for key in (0..keys).filter(|k| (k + round) % 3 == 0) {
                    let values = strs(&names[key as usize]);
                    let Some(entry) = locked.get(hash(&values), eq(&values)) else {
                        continue;
                    };
                    let (index, handle) = (entry.index(), entry.shared());
                    assert!(locked.remove(index, hash(&values)));
                    if key % 2 == 0 {
                        removed.push((key, handle));
                    }
                }
            }
            drop(locked);
            if cfg!(miri) {
                std::thread::yield_now();
            }
        }
        stop.store(true, Ordering::Relaxed);
        inserted
    });
    if !cfg!(miri) {
        assert!(
            found.load(Ordering::Relaxed) > 0,
            "the readers found series"
        );
    }
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), inserted);
}

// --- Callers that get a hash or a relink wrong ---

#[test]
fn a_removal_under_the_wrong_hash_still_takes_the_series_out_of_the_table() {
    let drops = drops();
    let store: Store<Tracked> = Store::new(1, false);
    let values = ["a"];
    let index = store
        .lock()
        .insert(hash(&values), Tracked::new(1, &drops), &values, rehash)
        .unwrap()
        .index();
    assert!(store.lock().remove(index, hash(&values) ^ 1));
    // Once its slot is vacant (the value dropped), no lookup may still reach it.
    settle(&store, || drops.load(Ordering::SeqCst) == 1);
    assert!(store.get(hash(&values), |_| true).is_none());
    assert!(store.lock().iter().next().is_none());
    // The slot is reused, and found under its new values only.
    let other = ["b"];
    store
        .lock()
        .insert(hash(&other), Tracked::new(2, &drops), &other, rehash)
        .unwrap();
    assert_eq!(store.get(hash(&other), eq(&other)).unwrap().stored().key, 2);
    assert!(store.get(hash(&values), eq(&values)).is_none());
}

#[test]
fn a_series_removed_within_its_grace_period_comes_back_only_under_the_same_values() {
    let store: Store<AtomicU64> = Store::new(2, false);
    let values = ["GET", "/a"];
    let other = ["x", "y"];
    let handle = {
        let mut locked = store.lock();
        locked
            .insert(hash(&other), AtomicU64::new(0), &other, rehash)
            .unwrap();
        locked
            .insert(hash(&values), AtomicU64::new(5), &values, rehash)
            .unwrap()
            .shared()
    };
    let (refused, accepted) = std::thread::scope(|scope| {
        let (pinned_tx, pinned_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let store = &store;
        // A reader pinned from before the removal until after the relinks: the grace period
        // stays open, so the removed series' key must not change under it.
        let reader = scope.spawn(move || {
            let found = store.get(hash(&other), eq(&other)).unwrap();
            pinned_tx.send(()).unwrap();
            done_rx.recv().unwrap();
            drop(found);
        });
        pinned_rx.recv().unwrap();
        {
            let mut locked = store.lock();
            let index = locked.get(hash(&values), eq(&values)).unwrap().index();
            assert!(locked.remove(index, hash(&values)));
        }
        let mut locked = store.lock();
        let refused = locked
            .relink(&handle, hash(&["PUT", "/b"]), &["PUT", "/b"], rehash)
            .map(|e| e.index());
        let accepted = locked
            .relink(&handle, hash(&values), &values, rehash)
            .map(|e| e.index());
        drop(locked);
        done_tx.send(()).unwrap();
        reader.join().unwrap();
        (refused, accepted)
    });
    assert_eq!(refused, Err(InsertError::Foreign));
    assert!(accepted.is_ok());
    handle.fetch_add(1, Ordering::Relaxed);
    let found = store.get(hash(&values), eq(&values)).unwrap();
    assert_eq!(
        found.stored().load(Ordering::Relaxed),
        6,
        "the value was kept"
    );
    assert!(store
        .get(hash(&["PUT", "/b"]), eq(&["PUT", "/b"]))
        .is_none());
}

#[test]
fn reading_side_data_allocates_none_until_it_is_written() {
    let store: Store<u64, OnceLock<u32>> = Store::new(1, false);
    let (a, b) = {
        let mut locked = store.lock();
        let a = locked
            .insert(hash(&["a"]), 1, &["a"], rehash)
            .unwrap()
            .shared();
        let b = locked
            .insert(hash(&["b"]), 2, &["b"], rehash)
            .unwrap()
            .shared();
        (a, b)
    };
    let before = store.lock().heap_bytes();
    assert!(a.side_if_any().is_none() && b.side_if_any().is_none());
    assert_eq!(store.lock().heap_bytes(), before, "a read allocated");
    a.side().set(7).unwrap();
    assert!(store.lock().heap_bytes() > before);
    assert_eq!(a.side_if_any().and_then(|s| s.get()), Some(&7));
    // The chunk's side data exists now, at its default for the other slots.
    assert_eq!(b.side_if_any().map(|s| s.get()), Some(None));
    let standalone: Shared<u64, OnceLock<u32>> = Shared::new(3);
    assert!(standalone.side_if_any().is_some());
}
