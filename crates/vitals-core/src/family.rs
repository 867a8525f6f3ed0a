//! Labeled metrics: a [`Family`] maps label values to series, each a handle of the family's
//! instrument type.
//!
//! A lookup hashes the *borrowed* label values (lengths included, so `["ab","c"]` and
//! `["a","bc"]` differ), finds the series in a store that takes no lock and writes no shared
//! memory (see `vitals-index`), and confirms equality value by value against the series'
//! interned values. Only the creation of a new series allocates and takes the family's lock.
//! Keep the returned handle where you can: updating a handle involves no lookup at all.
//!
//! A series keeps no text: its values are interned per label (one copy of `"GET"` however many
//! series use it), and the exposition writes each series' labels from them.
//!
//! A family whose [`LabelSet`] is fully enumerable (every value an enum or `bool`, see
//! [`LabelSet::CARDINALITY`]) also keeps its handles in an array indexed by
//! [`LabelSet::dense_index`], so a lookup there costs no hashing and no lock.
//!
//! Every family has a series limit (see [`limits`](crate::limits)): past it, new label sets
//! share one overflow series. A family may expire series that have been idle for a while.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use vitals_index::{Entry, InsertError, Key, Locked, Store};

use crate::collect::{Descriptor, LabelText, Visitor};
use crate::error::{Error, ErrorKind, Result};
use crate::labels::{Hashed, LabelHasher, LabelSet, SetValues, Values};
use crate::limits::{fingerprint, Budget, FamilyStats, OVERFLOW_LABEL_VALUE};
use crate::metrics::Metric;
use crate::self_metrics::{record, DropReason};

/// The label-set parameter of a family looked up by `&[&str]` values, whose label names were
/// given at registration.
#[derive(Debug, Clone, Copy)]
pub enum DynamicLabels {}

/// The most series a dense (enumerable) label set may have for the family to index them in
/// an array; larger ones are hashed like any other. 16,384 slots cost at most a few hundred
/// KiB per family.
pub const MAX_DENSE_SERIES: usize = 16_384;

/// A metric with labels: one series of `M` per distinct list of label values.
///
/// `L` is either [`DynamicLabels`] (look up with [`with_labels`](Family::with_labels)) or a
/// [`LabelSet`] type (look up with [`get`](Family::get)). Cloning a family is cheap and shares
/// its series.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// let requests = registry
///     .counter("http_requests", "Requests served.")
///     .register_family(&["method", "route"])
///     .unwrap();
/// let get_users = requests.with_labels(&["GET", "/users/{id}"]); // keep this handle
/// get_users.inc();
/// requests.with_labels(&["POST", "/users"]).inc_by(2);
/// assert_eq!(requests.len(), 2);
/// assert!(requests.remove(&["POST", "/users"]));
/// assert_eq!(requests.len(), 1);
/// ```
pub struct Family<M: Metric, L = DynamicLabels> {
    core: Arc<FamilyCore<M>>,
    _labels: PhantomData<fn(&L)>,
}

impl<M: Metric, L> Clone for Family<M, L> {
    fn clone(&self) -> Self {
        Self {
            core: Arc::clone(&self.core),
            _labels: PhantomData,
        }
    }
}

impl<M: Metric, L> std::fmt::Debug for Family<M, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.core.desc.name)
            .field("label_names", &self.core.label_names)
            .field("series", &self.len())
            .finish()
    }
}

/// How a family is set up beyond its name and instrument options.
#[derive(Debug, Clone)]
pub(crate) struct FamilySettings {
    pub(crate) label_names: Vec<String>,
    /// The registry's constant labels, rendered.
    pub(crate) const_text: String,
    pub(crate) max_series: Option<usize>,
    pub(crate) idle_expiry: Option<Duration>,
    /// The label set's cardinality when it is enumerable and small enough to index densely.
    pub(crate) dense: Option<usize>,
    pub(crate) budget: Arc<Budget>,
}

pub(crate) struct FamilyCore<M: Metric> {
    pub(crate) desc: Descriptor,
    label_names: Box<[Box<str>]>,
    /// The registry's constant labels, rendered; the prefix of every series' label text.
    const_text: Box<str>,
    /// Per label, what its value follows in a series' label text: the previous value's
    /// closing quote and a comma unless it comes first (a comma after constant labels), the
    /// name and `="`.
    label_prefixes: Box<[Box<str>]>,
    options: M::Options,
    /// Randomly seeded per family, so label values chosen by an attacker cannot be aimed at
    /// one bucket; equality is always confirmed, so a collision is never a merge.
    hasher: LabelHasher,
    /// The series, in slot order (so output is stable), found by hash without a lock; with
    /// an [`Activity`] each when the family expires idle series.
    series: Store<M::Stored, M::Side, Activity>,
    max_series: Option<usize>,
    /// The registry-wide series budget this family draws from.
    budget: Arc<Budget>,
    /// Where label sets past a limit go: created at the first overflow. Exposed while
    /// `overflow_live`; [`clear`](Family::clear) hides it until the next overflow.
    overflow: OnceLock<M>,
    overflow_live: AtomicBool,
    /// Set when the family is unregistered: its series no longer count against the
    /// registry's budget (changed under the family's lock, so creations see it consistently).
    detached: AtomicBool,
    overflowed: AtomicU64,
    overflow_logged: AtomicBool,
    idle_expiry: Option<Duration>,
    /// Bumped by each expiry sweep; a lookup stamps its series with the current value, which
    /// is how a sweep knows the series was used since the previous one.
    generation: AtomicU64,
    expired: AtomicU64,
    /// The origin of [`Activity::last_active`].
    started: Instant,
    /// Handles of an enumerable label set, by [`LabelSet::dense_index`].
    dense: Box<[DenseSlot<M>]>,
}

/// A dense family's handle for one label set. The handle stays once made (so a lookup is one
/// load), and `live` says whether its series is currently in the family: a removed or expired
/// series is taken out of the exposition, and comes back, value kept, at its next lookup.
struct DenseSlot<M> {
    handle: OnceLock<M>,
    live: AtomicBool,
}

/// What an expiry sweep knows of one series. Atomics because lookups stamp `seen` without a
/// lock; the others change only under the family's lock.
#[derive(Default)]
struct Activity {
    /// The family generation at the series' last lookup.
    seen: AtomicU64,
    /// A digest of the value at the previous sweep: a change means the series was updated.
    fingerprint: AtomicU64,
    /// When the series was last active, in nanoseconds since the family was made.
    last_active: AtomicU64,
}

/// The labels of one series, as [`Family::remove_if`] shows them to its predicate.
#[derive(Debug, Clone, Copy)]
pub struct SeriesLabels<'a> {
    names: &'a [Box<str>],
    key: Key<'a>,
}

impl<'a> SeriesLabels<'a> {
    /// The value of the label `name` (constant labels not included).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.names
            .iter()
            .position(|n| **n == *name)
            .map(|i| self.key.get(i))
    }

    /// The values, in the family's label order.
    pub fn values(&self) -> impl Iterator<Item = &'a str> {
        let key = self.key;
        (0..key.len()).map(move |i| key.get(i))
    }

    /// `(name, value)` pairs, in the family's label order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.names.iter().map(|n| &**n).zip(self.values())
    }
}

/// Whether a lookup may create a series, or must go to the overflow series.
enum Room {
    Yes,
    FamilyFull,
    RegistryFull,
}

impl<M: Metric> FamilyCore<M> {
    /// The validated options every series is built from.
    pub(crate) fn options(&self) -> &M::Options {
        &self.options
    }

    pub(crate) fn new(desc: Descriptor, settings: FamilySettings, options: M::Options) -> Self {
        let label_names: Box<[Box<str>]> = settings
            .label_names
            .into_iter()
            .map(String::into_boxed_str)
            .collect();
        let dense = (0..settings.dense.unwrap_or(0))
            .map(|_| DenseSlot {
                handle: OnceLock::new(),
                live: AtomicBool::new(false),
            })
            .collect();
        let label_prefixes: Box<[Box<str>]> = label_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let before = if i > 0 {
                    "\","
                } else if !settings.const_text.is_empty() {
                    ","
                } else {
                    ""
                };
                format!("{before}{name}=\"").into_boxed_str()
            })
            .collect();
        Self {
            desc,
            series: Store::with_pieces(
                &label_prefixes.iter().map(|p| &**p).collect::<Vec<_>>(),
                settings.idle_expiry.is_some(),
            ),
            label_names,
            label_prefixes,
            const_text: settings.const_text.into_boxed_str(),
            options,
            hasher: LabelHasher::new(),
            max_series: settings.max_series,
            budget: settings.budget,
            overflow: OnceLock::new(),
            overflow_live: AtomicBool::new(false),
            detached: AtomicBool::new(false),
            overflowed: AtomicU64::new(0),
            overflow_logged: AtomicBool::new(false),
            idle_expiry: settings.idle_expiry,
            generation: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            started: Instant::now(),
            dense,
        }
    }

    /// The series for these values, created if new (or the overflow series past a limit);
    /// `None` if the count of values is wrong. `slot` is the dense index, if any.
    fn get_or_create<V: Values + ?Sized>(&self, values: &V, slot: Option<usize>) -> Option<M> {
        let Hashed { hash, count } = self.hasher.hash(values);
        if count != self.label_names.len() {
            return None;
        }
        if let Some(series) = self.series.get(hash, |key| values.equals_key(key)) {
            self.hit(&series);
            return Some(M::share(&series));
        }
        // Past a limit, a new label set needs no lock to learn it has no room.
        if !matches!(self.room(self.series.len()), Room::Yes) {
            return Some(self.overflowed(values));
        }
        let mut locked = self.series.lock();
        // Another thread may have created it since the lookup.
        if let Some(series) = locked.get(hash, |key| values.equals_key(key)) {
            self.hit(&series);
            return Some(M::share(&series));
        }
        if !matches!(self.room(locked.len()), Room::Yes) || self.is_overflow_set(values) {
            drop(locked);
            return Some(self.overflowed(values));
        }
        let dense = slot.and_then(|i| self.dense.get(i));
        let mut owned = Vec::with_capacity(count);
        values.for_each(|v| owned.push(v.to_owned()));
        let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
        let rehash = |key: &Key<'_>| self.hasher.hash(key).hash;
        // A dense label set that was removed comes back with the handle it had. (A live
        // slot belongs to another series: a `dense_index` that is not one-to-one must not
        // merge two label sets.)
        let kept = dense
            .filter(|s| !s.live.load(Ordering::Acquire))
            .and_then(|s| s.handle.get());
        let relinked = match kept.map(|h| (h.shared(), h.as_stored())) {
            Some((Some(shared), _)) => Some(locked.relink(shared, hash, &owned, rehash)),
            Some((None, Some(stored))) => Some(locked.insert(hash, stored, &owned, rehash)),
            _ => None,
        };
        let inserted = match relinked {
            // A slot that cannot be put back yet (see `InsertError::Foreign`), or none kept: a
            // new series.
            None | Some(Err(InsertError::Foreign)) => {
                locked.insert(hash, M::new_stored(&self.options), &owned, rehash)
            }
            Some(result) => result,
        };
        let series = match inserted {
            Ok(series) => series,
            // A family at the store's capacity: like a family at its limit.
            Err(_) => {
                drop(locked);
                return Some(self.overflowed(values));
            }
        };
        if !self.detached.load(Ordering::Relaxed) {
            self.budget.take();
        }
        let metric = M::share(&series);
        if let Some(activity) = series.meta() {
            activity
                .seen
                .store(self.generation.load(Ordering::Relaxed), Ordering::Relaxed);
            activity
                .fingerprint
                .store(fingerprint(&metric), Ordering::Relaxed);
            activity
                .last_active
                .store(self.nanos_since_start(Instant::now()), Ordering::Relaxed);
        }
        if let Some(dense) = dense {
            let _ = dense.handle.set(metric.clone());
            if dense.handle.get().is_some_and(|h| h.same_series(&metric)) {
                dense.live.store(true, Ordering::Release);
            }
        }
        Some(metric)
    }

    /// Stamps a series found by a lookup as used, when the family expires idle series.
    #[inline]
    fn hit<X>(&self, series: &Entry<'_, M::Stored, X, Activity>) {
        if let Some(activity) = series.meta() {
            let now = self.generation.load(Ordering::Relaxed);
            // Store only on change: a hot series is stamped once per sweep, not per lookup.
            if activity.seen.load(Ordering::Relaxed) != now {
                activity.seen.store(now, Ordering::Relaxed);
            }
        }
    }

    fn nanos_since_start(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.started).as_nanos()).unwrap_or(u64::MAX)
    }

    /// The dense handle for `slot`, when its series is in the family.
    #[inline]
    fn dense_hit(&self, slot: usize) -> Option<&M> {
        let dense = self.dense.get(slot)?;
        if !dense.live.load(Ordering::Acquire) {
            return None;
        }
        let handle = dense.handle.get()?;
        if self.idle_expiry.is_some() {
            // Stamp the series as used: take the slow path, which finds it in the map.
            return None;
        }
        Some(handle)
    }

    fn room(&self, len: usize) -> Room {
        // A family without labels has one series: nothing to bound, and an overflow series
        // beside it would write the same sample twice.
        if self.label_names.is_empty() {
            Room::Yes
        } else if self.max_series.is_some_and(|max| len >= max) {
            Room::FamilyFull
        } else if !self.detached.load(Ordering::Relaxed) && self.budget.exhausted() {
            Room::RegistryFull
        } else {
            Room::Yes
        }
    }

    /// Whether every value is the overflow marker: such a label set *is* the overflow series,
    /// and creating it as a series of its own would write one sample twice.
    fn is_overflow_set<V: Values + ?Sized>(&self, values: &V) -> bool {
        let mut all = true;
        values.for_each(|v| all &= v == OVERFLOW_LABEL_VALUE);
        all && !self.label_names.is_empty()
    }

    /// Counts an overflow, logs the first one, and returns the overflow series.
    #[cold]
    fn overflowed<V: Values + ?Sized>(&self, values: &V) -> M {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        self.overflow_live.store(true, Ordering::Relaxed);
        // Load first: under a cardinality explosion every lookup comes here, and a swap would
        // write the shared line each time.
        if !self.overflow_logged.load(Ordering::Relaxed)
            && !self.overflow_logged.swap(true, Ordering::Relaxed)
        {
            self.log_overflow(values);
        }
        self.overflow
            .get_or_init(|| M::from_options(&self.options))
            .clone()
    }

    /// One line naming the family, the limit it reached, and the label with the most distinct
    /// values, which is almost always the one to bound.
    fn log_overflow<V: Values + ?Sized>(&self, values: &V) {
        let locked = self.series.lock();
        let len = locked.len();
        let which = match self.room(len) {
            Room::RegistryFull => format!(
                "the registry's limit of {} series",
                self.budget.max().unwrap_or(0)
            ),
            _ => format!("its limit of {} series", self.max_series.unwrap_or(len)),
        };
        let mut widest: Option<(&str, usize)> = None;
        for (i, name) in self.label_names.iter().enumerate() {
            let distinct = locked.distinct(i);
            if widest.is_none_or(|(_, most)| distinct > most) {
                widest = Some((name, distinct));
            }
        }
        let mut example = Vec::new();
        values.for_each(|v| example.push(format!("{v:?}")));
        let driver = match widest {
            _ if len == 0 => "this family has no series of its own: the registry's \
                other families hold them (see Registry::stats or vitals_registry_series for the \
                largest), or raise the registry's limit"
                .to_owned(),
            Some((label, distinct)) => format!(
                "label {label:?} has the most distinct values ({distinct} in {} series): bound \
                 it (route templates, status classes) or raise the limit",
                len
            ),
            None => "raise the limit".to_owned(),
        };
        log::warn!(
            "vitals: metric {:?} reached {which}; new label sets, such as [{}], now go to the \
             overflow series (every label {OVERFLOW_LABEL_VALUE:?}) and are counted in \
             vitals_series_overflow_total; {driver}",
            self.desc.name,
            example.join(", "),
        );
    }

    fn remove<V: Values + ?Sized>(&self, values: &V) -> bool {
        let Hashed { hash, .. } = self.hasher.hash(values);
        let mut locked = self.series.lock();
        match locked.get(hash, |key| values.equals_key(key)) {
            Some(series) => {
                let index = series.index();
                self.remove_at(&mut locked, index, hash);
                true
            }
            None => false,
        }
    }

    /// Takes the series in slot `index`, found under `hash`, out of the family.
    fn remove_at(
        &self,
        locked: &mut Locked<'_, M::Stored, M::Side, Activity>,
        index: usize,
        hash: u64,
    ) {
        if let Some(series) = locked.at(index) {
            M::lend(&series, |metric| {
                self.retire_dense(|m| metric.same_series(m));
            });
        }
        if locked.remove(index, hash) && !self.detached.load(Ordering::Relaxed) {
            self.budget.give_back(1);
        }
    }

    /// Marks the dense slots whose handle matches as no longer live.
    fn retire_dense(&self, matches: impl Fn(&M) -> bool) {
        for slot in &*self.dense {
            if slot.handle.get().is_some_and(&matches) {
                slot.live.store(false, Ordering::Release);
            }
        }
    }

    fn remove_if(&self, mut predicate: impl FnMut(&SeriesLabels<'_>) -> bool) -> usize {
        let mut locked = self.series.lock();
        let doomed: Vec<(usize, u64)> = locked
            .iter()
            .filter(|series| {
                predicate(&SeriesLabels {
                    names: &self.label_names,
                    key: series.key(),
                })
            })
            .map(|series| (series.index(), self.hasher.hash(&series.key()).hash))
            .collect();
        for &(index, hash) in &doomed {
            self.remove_at(&mut locked, index, hash);
        }
        doomed.len()
    }

    fn clear(&self) {
        let mut locked = self.series.lock();
        if !self.detached.load(Ordering::Relaxed) {
            self.budget.give_back(locked.len());
        }
        self.overflow_live.store(false, Ordering::Relaxed);
        locked.clear();
        for slot in &*self.dense {
            slot.live.store(false, Ordering::Release);
        }
    }

    /// Removes series neither looked up nor changed in value for the family's idle expiry;
    /// returns how many.
    fn expire_idle(&self, now: Instant) -> usize {
        let Some(ttl) = self.idle_expiry else {
            return 0;
        };
        let mut locked = self.series.lock();
        let generation = self.generation.load(Ordering::Relaxed);
        let now_nanos = self.nanos_since_start(now);
        let ttl_nanos = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
        let mut idle = Vec::new();
        for series in locked.iter() {
            let Some(activity) = series.meta() else {
                continue;
            };
            let value = M::lend(&series, fingerprint);
            if activity.seen.load(Ordering::Relaxed) == generation
                || value != activity.fingerprint.load(Ordering::Relaxed)
            {
                activity.fingerprint.store(value, Ordering::Relaxed);
                activity.last_active.store(now_nanos, Ordering::Relaxed);
            } else if now_nanos.saturating_sub(activity.last_active.load(Ordering::Relaxed))
                >= ttl_nanos
            {
                idle.push((series.index(), self.hasher.hash(&series.key()).hash));
            }
        }
        let expired = idle.len();
        for (index, hash) in idle {
            self.remove_at(&mut locked, index, hash);
        }
        self.generation.store(generation + 1, Ordering::Relaxed);
        self.expired.fetch_add(expired as u64, Ordering::Relaxed);
        expired
    }

    fn len(&self) -> usize {
        self.series.len()
    }

    fn detached(&self) -> M {
        record(DropReason::LabelCountMismatch);
        M::from_options(&self.options)
    }

    fn mismatch(&self, got: usize) -> Error {
        Error::new(
            ErrorKind::LabelMismatch,
            format!(
                "metric {:?} has {} label(s) ({}), but {} value(s) were given; pass one value \
                 per label, in that order",
                self.desc.name,
                self.label_names.len(),
                self.label_names.join(", "),
                got
            ),
        )
    }
}

/// How a registry sees any family, whatever its instrument type.
pub(crate) trait Collect: Send + Sync {
    fn descriptor(&self) -> &Descriptor;
    fn visit(&self, visitor: &mut dyn Visitor);
    fn stats(&self) -> FamilyStats;
    /// Overflowed lookups and expired series so far: what the self-metrics need, without
    /// walking the series as [`stats`](Collect::stats) does.
    fn limit_counts(&self) -> (u64, u64);
    fn expire_idle(&self, now: Instant) -> usize;
    /// Clears the family and stops it counting against the registry's budget: it was
    /// unregistered, and handles to it may live on.
    fn detach(&self);
}

impl<M: Metric> Collect for FamilyCore<M> {
    fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    fn visit(&self, visitor: &mut dyn Visitor) {
        if self.idle_expiry.is_some() {
            self.expire_idle(Instant::now());
        }
        visitor.family(&self.desc);
        // A series keeps no label text: its values' pieces are written by the encoder, into
        // its output, as it writes the series (see `LabelText`).
        let locked = self.series.lock();
        for series in locked.iter() {
            let labels = LabelText::stored(&self.const_text, series.key());
            M::lend(&series, |metric| metric.visit(&labels, visitor));
        }
        drop(locked);
        let overflow = self
            .overflow
            .get()
            .filter(|_| self.overflow_live.load(Ordering::Relaxed));
        if let Some(overflow) = overflow {
            let labels = LabelText::overflow(&self.const_text, &self.label_prefixes);
            overflow.visit(&labels, visitor);
        }
    }

    fn stats(&self) -> FamilyStats {
        let locked = self.series.lock();
        let per_series: usize = locked.iter().map(|s| M::lend(&s, Metric::heap_bytes)).sum();
        let bytes = per_series
            + locked.heap_bytes()
            + self.dense.len() * std::mem::size_of::<DenseSlot<M>>();
        FamilyStats {
            name: self.desc.name.clone(),
            series: locked.len(),
            max_series: self.max_series,
            overflowed: self.overflowed.load(Ordering::Relaxed),
            expired: self.expired.load(Ordering::Relaxed),
            heap_bytes: bytes,
        }
    }

    fn limit_counts(&self) -> (u64, u64) {
        (
            self.overflowed.load(Ordering::Relaxed),
            self.expired.load(Ordering::Relaxed),
        )
    }

    fn expire_idle(&self, now: Instant) -> usize {
        FamilyCore::expire_idle(self, now)
    }

    fn detach(&self) {
        let held = {
            // Under the lock, so no creation is half way between the check and the budget's
            // `take`, and the count given back is exactly what was taken.
            let locked = self.series.lock();
            self.detached.store(true, Ordering::Relaxed);
            locked.len()
        };
        self.budget.give_back(held);
        // Gives nothing back now that the family is detached; handles keep working,
        // unexposed, and the series' memory is freed.
        FamilyCore::clear(self);
    }
}

impl<M: Metric, L> Family<M, L> {
    pub(crate) fn from_core(core: Arc<FamilyCore<M>>) -> Self {
        Self {
            core,
            _labels: PhantomData,
        }
    }

    /// Removes every series, and hides the overflow series until the next overflow (its value
    /// is kept). Handles already given out keep working but are no longer exposed.
    pub fn clear(&self) {
        self.core.clear();
    }

    /// Removes every series whose labels match `predicate`; returns how many. Handles already
    /// given out keep working but are no longer exposed.
    ///
    /// ```
    /// use vitals_core::Registry;
    /// let registry = Registry::new();
    /// let jobs = registry.gauge("queue_depth", "Jobs waiting.").register_family(&["queue"])?;
    /// for queue in ["mail", "tmp-1", "tmp-2"] {
    ///     jobs.with_labels(&[queue]).set(1);
    /// }
    /// let removed = jobs.remove_if(|labels| labels.get("queue").is_some_and(|q| q.starts_with("tmp-")));
    /// assert_eq!((removed, jobs.len()), (2, 1));
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn remove_if(&self, predicate: impl FnMut(&SeriesLabels<'_>) -> bool) -> usize {
        self.core.remove_if(predicate)
    }

    /// Removes the series not used for the family's
    /// [idle expiry](crate::MetricBuilder::with_idle_expiry) now, rather than at the next
    /// scrape; returns how many. A series is used when it is looked up through the family or
    /// its value changes. Does nothing for a family without idle expiry.
    pub fn expire_idle(&self) -> usize {
        self.core.expire_idle(Instant::now())
    }

    /// The number of series (the overflow series not included).
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The family's label names, in order (constant labels not included).
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.core.label_names.iter().map(|n| &**n)
    }

    /// The family's metadata.
    pub fn descriptor(&self) -> &Descriptor {
        &self.core.desc
    }

    /// Series count, limit, overflow and expiry counts, and an estimate of the heap bytes
    /// the family's series use.
    pub fn stats(&self) -> FamilyStats {
        Collect::stats(&*self.core)
    }
}

impl<M: Metric> Family<M, DynamicLabels> {
    /// The series for these label values (one per label name, in order), created if new.
    ///
    /// Never panics: if the number of values is wrong, the update goes to a detached handle
    /// that no registry exposes, and the mistake is counted in
    /// `vitals_dropped_updates_total{reason="label_count_mismatch"}`. Use
    /// [`try_with_labels`](Self::try_with_labels) to get an error instead. Past the family's
    /// or the registry's series limit, a new label set gets the overflow series (see
    /// [`limits`](crate::limits)).
    #[inline]
    pub fn with_labels(&self, values: &[&str]) -> M {
        self.core
            .get_or_create(values, None)
            .unwrap_or_else(|| self.core.detached())
    }

    /// Calls `f` with the series for these label values, without cloning its handle: for an
    /// existing series, one hash, one lookup without a lock, and `f`; a new series is created
    /// as by [`with_labels`](Self::with_labels). The clone-free form of
    /// `family.with_labels(values).inc()`, cheaper by a reference count's increment and decrement.
    ///
    /// While `f` runs, series removed from any family are not freed yet: keep `f` to the
    /// update. (Called from a thread-local destructor, when the thread can no longer pin, `f`
    /// runs under the family's lock: a lookup of this family inside it would deadlock.)
    ///
    /// ```
    /// use vitals_core::Registry;
    /// let registry = Registry::new();
    /// let requests = registry.counter("requests", "R.").register_family(&["method"])?;
    /// requests.with_series(&["GET"], |c| c.inc());
    /// requests.with_series(&["GET"], |c| c.inc());
    /// assert_eq!(requests.with_labels(&["GET"]).get(), 2);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    #[inline]
    pub fn with_series<R>(&self, values: &[&str], f: impl FnOnce(&M) -> R) -> R {
        let core = &*self.core;
        let Hashed { hash, count } = core.hasher.hash(values);
        if count == core.label_names.len() {
            if let Some(series) = core.series.get(hash, |key| values.equals_key(key)) {
                core.hit(&series);
                return M::lend(&series, f);
            }
        }
        f(&self.with_labels(values))
    }

    /// Like [`with_labels`](Self::with_labels), but a wrong number of values is an error of
    /// kind [`ErrorKind::LabelMismatch`].
    pub fn try_with_labels(&self, values: &[&str]) -> Result<M> {
        self.core
            .get_or_create(values, None)
            .ok_or_else(|| self.core.mismatch(values.len()))
    }

    /// Removes the series with these label values; returns whether it existed.
    pub fn remove(&self, values: &[&str]) -> bool {
        self.core.remove(values)
    }
}

impl<M: Metric, L: LabelSet> Family<M, L> {
    /// The series for this label set, created if new. For an enumerable label set (see
    /// [`LabelSet::CARDINALITY`]) an existing series is found by array index, without hashing
    /// or locking.
    #[inline]
    pub fn get(&self, labels: &L) -> M {
        let slot = self.dense_slot(labels);
        if let Some(handle) = slot.and_then(|i| self.core.dense_hit(i)) {
            return handle.clone();
        }
        self.core
            .get_or_create(&SetValues(labels), slot)
            .unwrap_or_else(|| self.core.detached())
    }

    /// Calls `f` with the series for this label set, without cloning its handle: for an
    /// enumerable label set the fastest lookup there is (an array index and the update).
    ///
    /// ```
    /// use vitals_core::{LabelSet, Registry};
    ///
    /// #[derive(Clone, Copy)]
    /// enum Outcome { Ok, Error }
    ///
    /// struct Labels { outcome: Outcome }
    ///
    /// impl LabelSet for Labels {
    ///     const CARDINALITY: Option<usize> = Some(2);
    ///     fn label_names() -> &'static [&'static str] { &["outcome"] }
    ///     fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
    ///         visit(match self.outcome { Outcome::Ok => "ok", Outcome::Error => "error" });
    ///     }
    ///     fn dense_index(&self) -> usize { self.outcome as usize }
    /// }
    ///
    /// let registry = Registry::new();
    /// let calls = registry.counter("calls", "Calls.").register_typed::<Labels>()?;
    /// calls.with(&Labels { outcome: Outcome::Error }, |c| c.inc());
    /// assert_eq!(calls.get(&Labels { outcome: Outcome::Error }).get(), 1);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    #[inline]
    pub fn with<R>(&self, labels: &L, f: impl FnOnce(&M) -> R) -> R {
        let slot = self.dense_slot(labels);
        if let Some(handle) = slot.and_then(|i| self.core.dense_hit(i)) {
            return f(handle);
        }
        let series = self
            .core
            .get_or_create(&SetValues(labels), slot)
            .unwrap_or_else(|| self.core.detached());
        f(&series)
    }

    /// Removes the series for this label set; returns whether it existed.
    ///
    /// In a family with array-indexed lookups (an enumerable label set), the handle of each
    /// label set is fixed: a removed series leaves the exposition, and its next lookup brings
    /// it back with its value kept (and handles kept elsewhere are exposed again). In a hashed
    /// family, as with [`Family::remove`], the next lookup starts a new series at zero and old
    /// handles stay detached.
    pub fn remove_set(&self, labels: &L) -> bool {
        self.core.remove(&SetValues(labels))
    }

    /// The dense index of `labels`, if the family indexes its label set densely.
    #[inline]
    fn dense_slot(&self, labels: &L) -> Option<usize> {
        if self.core.dense.is_empty() {
            None
        } else {
            Some(labels.dense_index())
        }
    }
}
