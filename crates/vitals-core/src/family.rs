//! Labeled metrics: a [`Family`] maps label values to series, each a handle of the family's
//! instrument type.
//!
//! A lookup hashes the *borrowed* label values (length-prefixed, so `["ab","c"]` and
//! `["a","bc"]` differ), finds the series under a read lock, and confirms equality value by
//! value. Only the creation of a new series allocates and takes the write lock. Keep the
//! returned handle where you can: updating a handle involves no lookup at all.

use std::marker::PhantomData;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::collect::{Descriptor, Visitor};
use crate::error::{Error, ErrorKind, Result};
use crate::labels::{hash_values, push_label, LabelSet, SetValues, Values};
use crate::metrics::Metric;
use crate::self_metrics::{record, DropReason};

/// The label-set parameter of a family looked up by `&[&str]` values, whose label names were
/// given at registration.
#[derive(Debug, Clone, Copy)]
pub enum DynamicLabels {}

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

pub(crate) struct FamilyCore<M: Metric> {
    pub(crate) desc: Descriptor,
    label_names: Box<[Box<str>]>,
    /// The registry's constant labels, rendered; the prefix of every series' label text.
    const_text: Box<str>,
    options: M::Options,
    /// Randomly seeded per family (foldhash), so label values chosen by an attacker cannot be
    /// aimed at one bucket; equality is always confirmed, so a collision is never a merge.
    hasher: DefaultHashBuilder,
    series: RwLock<SeriesMap<M>>,
}

/// Series in creation order (so output is stable), with a hash index over them.
struct SeriesMap<M> {
    index: HashTable<usize>,
    list: Vec<Series<M>>,
}

struct Series<M> {
    hash: u64,
    values: Box<[Box<str>]>,
    /// `name="value",...` with constant labels first, escaped once at creation.
    text: Box<str>,
    metric: M,
}

impl<M: Metric> FamilyCore<M> {
    pub(crate) fn new(
        desc: Descriptor,
        label_names: Vec<String>,
        const_text: String,
        options: M::Options,
    ) -> Self {
        Self {
            desc,
            label_names: label_names
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
            const_text: const_text.into_boxed_str(),
            options,
            hasher: DefaultHashBuilder::default(),
            series: RwLock::new(SeriesMap {
                index: HashTable::new(),
                list: Vec::new(),
            }),
        }
    }

    // A poisoned lock means a thread panicked while holding it; the map is still consistent
    // (every mutation completes before anything can panic), and the hot path must not panic.
    fn read(&self) -> RwLockReadGuard<'_, SeriesMap<M>> {
        self.series.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, SeriesMap<M>> {
        self.series.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The series for these values, created if new; `None` if the count of values is wrong.
    fn get_or_create<V: Values + ?Sized>(&self, values: &V) -> Option<M> {
        let (hash, count) = hash_values(&self.hasher, values);
        if count != self.label_names.len() {
            return None;
        }
        {
            let map = self.read();
            if let Some(series) = map.find(hash, values) {
                return Some(series.metric.clone());
            }
        }
        let mut map = self.write();
        // Another thread may have created it between the two locks.
        if let Some(series) = map.find(hash, values) {
            return Some(series.metric.clone());
        }
        let mut owned = Vec::with_capacity(count);
        values.for_each(|v| owned.push(Box::<str>::from(v)));
        let mut text = String::from(&*self.const_text);
        for (name, value) in self.label_names.iter().zip(&owned) {
            push_label(&mut text, name, value);
        }
        let metric = M::from_options(&self.options);
        let SeriesMap { index, list } = &mut *map;
        let position = list.len();
        list.push(Series {
            hash,
            values: owned.into_boxed_slice(),
            text: text.into_boxed_str(),
            metric: metric.clone(),
        });
        index.insert_unique(hash, position, |&i| list.get(i).map_or(0, |s| s.hash));
        Some(metric)
    }

    fn remove<V: Values + ?Sized>(&self, values: &V) -> bool {
        let (hash, _) = hash_values(&self.hasher, values);
        let mut map = self.write();
        let SeriesMap { index, list } = &mut *map;
        let Ok(entry) = index.find_entry(hash, |&i| {
            list.get(i)
                .is_some_and(|s| s.hash == hash && values.equals(&s.values))
        }) else {
            return false;
        };
        let (position, _) = entry.remove();
        let last = list.len() - 1;
        list.swap_remove(position);
        if position != last {
            // The former last series now lives at `position`: repoint its index entry.
            if let Some(moved_hash) = list.get(position).map(|s| s.hash) {
                if let Some(slot) = index.find_mut(moved_hash, |&i| i == last) {
                    *slot = position;
                }
            }
        }
        true
    }

    fn clear(&self) {
        let mut map = self.write();
        map.index.clear();
        map.list.clear();
    }

    fn len(&self) -> usize {
        self.read().list.len()
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

impl<M> SeriesMap<M> {
    #[inline]
    fn find<V: Values + ?Sized>(&self, hash: u64, values: &V) -> Option<&Series<M>> {
        let position = self.index.find(hash, |&i| {
            self.list
                .get(i)
                .is_some_and(|s| s.hash == hash && values.equals(&s.values))
        })?;
        self.list.get(*position)
    }
}

/// How a registry sees any family, whatever its instrument type.
pub(crate) trait Collect: Send + Sync {
    fn descriptor(&self) -> &Descriptor;
    fn visit(&self, visitor: &mut dyn Visitor);
}

impl<M: Metric> Collect for FamilyCore<M> {
    fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    fn visit(&self, visitor: &mut dyn Visitor) {
        visitor.family(&self.desc);
        let map = self.read();
        for series in &map.list {
            series.metric.visit(&series.text, visitor);
        }
    }
}

impl<M: Metric, L> Family<M, L> {
    pub(crate) fn from_core(core: Arc<FamilyCore<M>>) -> Self {
        Self {
            core,
            _labels: PhantomData,
        }
    }

    /// Removes every series. Handles already given out keep working but are no longer exposed.
    pub fn clear(&self) {
        self.core.clear();
    }

    /// The number of series.
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
}

impl<M: Metric> Family<M, DynamicLabels> {
    /// The series for these label values (one per label name, in order), created if new.
    ///
    /// Never panics: if the number of values is wrong, the update goes to a detached handle
    /// that no registry exposes, and the mistake is counted in
    /// `vitals_dropped_updates_total{reason="label_count_mismatch"}`. Use
    /// [`try_with_labels`](Self::try_with_labels) to get an error instead.
    #[inline]
    pub fn with_labels(&self, values: &[&str]) -> M {
        self.core
            .get_or_create(values)
            .unwrap_or_else(|| self.core.detached())
    }

    /// Like [`with_labels`](Self::with_labels), but a wrong number of values is an error of
    /// kind [`ErrorKind::LabelMismatch`].
    pub fn try_with_labels(&self, values: &[&str]) -> Result<M> {
        self.core
            .get_or_create(values)
            .ok_or_else(|| self.core.mismatch(values.len()))
    }

    /// Removes the series with these label values; returns whether it existed.
    pub fn remove(&self, values: &[&str]) -> bool {
        self.core.remove(values)
    }
}

impl<M: Metric, L: LabelSet> Family<M, L> {
    /// The series for this label set, created if new.
    #[inline]
    pub fn get(&self, labels: &L) -> M {
        self.core
            .get_or_create(&SetValues(labels))
            .unwrap_or_else(|| self.core.detached())
    }

    /// Removes the series for this label set; returns whether it existed.
    pub fn remove_set(&self, labels: &L) -> bool {
        self.core.remove(&SetValues(labels))
    }
}
