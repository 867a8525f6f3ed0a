//! The index's contract: found by hash and equality, insertion order kept across removals,
//! removed entries freed once and only after no reader holds them, lookups safe while writers
//! insert, remove, rebuild and clear.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use vitals_index::Index;

/// A value that counts its drops and checks, on every read, that it was not freed.
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
        self.check = 0;
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A deliberately weak hash: eight buckets for every key, so probes meet other entries.
fn hash(key: u64) -> u64 {
    (key % 8).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[test]
fn finds_by_hash_and_equality_and_keeps_insertion_order() {
    let drops = Arc::new(AtomicUsize::new(0));
    let index = Index::new();
    {
        let mut locked = index.lock();
        for key in 0..100 {
            locked.insert(hash(key), Tracked::new(key, &drops));
        }
        assert_eq!(locked.len(), 100);
        let order: Vec<u64> = locked.iter().map(|t| t.key).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }
    for key in 0..100 {
        let found = index.get(hash(key), |t| t.key == key).expect("inserted");
        assert!(found.intact());
    }
    assert!(index.get(hash(100), |t| t.key == 100).is_none());
    assert_eq!(index.len(), 100);

    // Removing moves the last entry into the gap.
    let mut locked = index.lock();
    let at = locked.position(hash(10), |t| t.key == 10).unwrap();
    assert_eq!(at, 10);
    let mut seen = None;
    assert!(locked.remove_at(at, |t| seen = Some(t.key)));
    assert_eq!(seen, Some(10));
    assert_eq!(locked.at(10).map(|t| t.key), Some(99));
    assert_eq!(locked.position(hash(99), |t| t.key == 99), Some(10));
    assert!(!locked.remove_at(1000, |_| {}));
    drop(locked);
    assert!(index.get(hash(10), |t| t.key == 10).is_none());
    assert_eq!(index.len(), 99);
    // Nothing pins on this thread now, so the removed entry was freed when the lock went.
    // (Other tests' threads may be pinned at an older epoch; the next lock tries again.)
    drop(index.lock());
    drop(index);
    assert_eq!(drops.load(Ordering::SeqCst), 100);
}

#[test]
fn a_removed_entry_outlives_the_reader_that_holds_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let index = Index::new();
    index.lock().insert(hash(7), Tracked::new(7, &drops));
    let held = index.get(hash(7), |t| t.key == 7).unwrap();
    {
        let mut locked = index.lock();
        assert!(locked.remove_at(0, |_| {}));
    }
    // Unlinked but not freed: this thread is pinned.
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert!(held.intact());
    assert!(index.get(hash(7), |t| t.key == 7).is_none());
    drop(held);
    drop(index);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn clear_and_reinsert() {
    let drops = Arc::new(AtomicUsize::new(0));
    let index = Index::new();
    for round in 0..3 {
        let mut locked = index.lock();
        for key in 0..50 {
            locked.insert(hash(key), Tracked::new(key, &drops));
        }
        let mut cleared = 0;
        if round < 2 {
            locked.clear(|_| cleared += 1);
            assert_eq!(cleared, 50);
            assert!(locked.is_empty());
        }
    }
    assert_eq!(index.len(), 50);
    assert!(index.get(hash(49), |t| t.key == 49).is_some());
    assert!(index.lock().heap_bytes() > 0);
    drop(index);
    assert_eq!(drops.load(Ordering::SeqCst), 150);
}

#[test]
fn readers_never_see_a_freed_entry_while_writers_churn() {
    const KEYS: u64 = 64;
    let drops = Arc::new(AtomicUsize::new(0));
    let index = Arc::new(Index::new());
    let stop = Arc::new(AtomicBool::new(false));
    // Lookups that found an entry, by both readers: the writer churns until the readers have
    // raced it a while (a fast writer can finish its rounds before they are scheduled).
    let progress = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let index = Arc::clone(&index);
            let stop = Arc::clone(&stop);
            let progress = Arc::clone(&progress);
            std::thread::spawn(move || {
                let (mut found, mut key) = (0u64, r);
                while !stop.load(Ordering::Relaxed) {
                    key = (key + 7) % KEYS;
                    if let Some(t) = index.get(hash(key), |t: &Tracked| t.key == key) {
                        assert!(t.intact(), "read a freed entry");
                        found += 1;
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                }
                found
            })
        })
        .collect();
    let mut inserted = 0usize;
    let (rounds, lookups) = if cfg!(miri) { (12, 0) } else { (300, 10_000) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut round = 0u64;
    while round < rounds
        || (progress.load(Ordering::Relaxed) < lookups && std::time::Instant::now() < deadline)
    {
        round += 1;
        let mut locked = index.lock();
        for key in 0..KEYS {
            if locked.get(hash(key), |t| t.key == key).is_none() {
                locked.insert(hash(key), Tracked::new(key, &drops));
                inserted += 1;
            }
        }
        if round % 10 == 9 {
            locked.clear(|_| {});
        } else {
            // Remove every third entry: tombstones, moves, and rebuilds on the next inserts.
            let mut position = locked.len();
            while position > 0 {
                position -= 1;
                if (position as u64 + round) % 3 == 0 {
                    locked.remove_at(position, |_| {});
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let found: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(found > 0, "the readers found entries");
    let index = Arc::try_unwrap(index).ok().unwrap();
    drop(index);
    assert_eq!(drops.load(Ordering::SeqCst), inserted);
}
