//! The dynamic manager: record by metric name and label pairs, with families created on first
//! use (seed 000's `metrics_manager.inc_counter(...)`), and the registry under the `metrics`
//! facade.
//!
//! Each call looks the family up by name and the series by its values, so it costs more than
//! a kept handle; [`Registry::dynamic_counter`] and its siblings return the handle for code that
//! can keep it. A family's label names are fixed by its first use (or declaration): a later call
//! with another set of names, or with the same name as another type, is an error the caller
//! sees, and is counted in `vitals_dropped_updates_total{reason="dynamic_rejected"}`. With the
//! [switch](crate::switch) off, `inc_counter`, `set_gauge` and `observe` return `Ok` at once and
//! create nothing.

use std::sync::{Arc, PoisonError, RwLock};

use hashbrown::HashMap;

use crate::error::{Error, ErrorKind, Result};
use crate::family::Family;
use crate::metrics::{FloatCounter, FloatGauge, Histogram, HistogramOptions};
use crate::registry::Registry;
use crate::self_metrics::{record, DropReason};

/// What a dynamic family may be declared with before its first use: help text, unit and (for
/// histograms) bucket bounds. Defaults: no help, no unit, [`DEFAULT_BUCKETS`](crate::DEFAULT_BUCKETS).
///
/// ```
/// use vitals_core::{dynamic::Declaration, Registry};
///
/// let registry = Registry::new();
/// registry.declare(
///     "job_duration_seconds",
///     Declaration::new("Time a job took.").with_unit("seconds").with_buckets(&[0.1, 1.0, 10.0])?,
/// )?;
/// registry.observe("job_duration_seconds", &[("job", "sync")], 0.4)?;
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    help: String,
    unit: Option<String>,
    buckets: Option<HistogramOptions>,
}

impl Declaration {
    /// A declaration with this help text.
    pub fn new(help: impl Into<String>) -> Self {
        Self {
            help: help.into(),
            ..Self::default()
        }
    }

    /// The unit (OpenMetrics `# UNIT`); the name must end in it. Default: none.
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Histogram bucket bounds, checked now. Default: [`DEFAULT_BUCKETS`](crate::DEFAULT_BUCKETS).
    pub fn with_buckets(mut self, bounds: &[f64]) -> Result<Self> {
        self.buckets = Some(HistogramOptions::new(bounds)?);
        Ok(self)
    }
}

/// The dynamic families of one registry, by the name they were first used with.
#[derive(Default)]
pub(crate) struct Dynamic {
    families: RwLock<HashMap<String, DynamicFamily>>,
    declarations: RwLock<HashMap<String, Declaration>>,
}

/// Cloned out of the map on every call, so cheap to clone: the names are shared.
#[derive(Clone)]
struct DynamicFamily {
    label_names: Arc<[Box<str>]>,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Counter(Family<FloatCounter>),
    Gauge(Family<FloatGauge>),
    Histogram(Family<Histogram>),
}

impl Kind {
    fn family_name(&self) -> &str {
        match self {
            Kind::Counter(f) => f.descriptor().name(),
            Kind::Gauge(f) => f.descriptor().name(),
            Kind::Histogram(f) => f.descriptor().name(),
        }
    }

    fn want(&self) -> Want {
        match self {
            Kind::Counter(_) => Want::Counter,
            Kind::Gauge(_) => Want::Gauge,
            Kind::Histogram(_) => Want::Histogram,
        }
    }
}

/// The three kinds the manager creates, and how each is registered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Counter,
    Gauge,
    Histogram,
}

impl Want {
    fn type_name(self) -> &'static str {
        match self {
            Want::Counter => "counter",
            Want::Gauge => "gauge",
            Want::Histogram => "histogram",
        }
    }
}

impl Dynamic {
    /// Drops the entry of the family named `family` (its full name), once it is unregistered.
    pub(crate) fn forget(&self, family: &str) {
        write(&self.families).retain(|_, f| f.kind.family_name() != family);
    }
}

/// Label values in the family's order, on the stack for the usual handful of labels.
const INLINE_LABELS: usize = 8;

impl Registry {
    /// Declares help text, unit or buckets for a dynamic family before its first use.
    ///
    /// Fails with [`ErrorKind::InvalidConfig`] if the family was already created (its help and
    /// buckets are fixed by then).
    pub fn declare(&self, name: &str, declaration: Declaration) -> Result<()> {
        // The type is not known yet: a counter's family may be keyed without `_total`.
        let families = read(&self.dynamic().families);
        if families.contains_key(name) || families.contains_key(key(name, Want::Counter)) {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "metric {name:?} is already in use, so its help, unit and buckets are \
                     fixed; declare it before the first update"
                ),
            ));
        }
        drop(families);
        write(&self.dynamic().declarations).insert(name.to_owned(), declaration);
        Ok(())
    }

    /// Adds `value` to the counter `name` (a float counter, created on first use with these
    /// label names) for these label pairs, given in any order.
    ///
    /// ```
    /// use vitals_core::{ErrorKind, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.inc_counter("jira_api_calls_total", &[("method", "search"), ("status", "200")], 1.0)?;
    /// registry.inc_counter("jira_api_calls_total", &[("status", "200"), ("method", "search")], 2.0)?;
    /// let err = registry.inc_counter("jira_api_calls_total", &[("method", "search")], 1.0).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::LabelMismatch);
    /// let err = registry.set_gauge("jira_api_calls_total", &[], 1.0).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    /// assert_eq!(registry.dynamic_counter("jira_api_calls", &[("method", "search"), ("status", "200")])?.get(), 3.0);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    ///
    /// A negative, NaN or infinite `value` is an [`ErrorKind::InvalidValue`] error and adds
    /// nothing.
    pub fn inc_counter(&self, name: &str, labels: &[(&str, &str)], value: f64) -> Result<()> {
        if !crate::switch::enabled() {
            return Ok(());
        }
        if !(value.is_finite() && value >= 0.0) {
            record(DropReason::InvalidIncrement);
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "counter {name:?} cannot be increased by {value}: increments must be finite \
                     and not negative (use a gauge for values that go down)"
                ),
            ));
        }
        self.dynamic_counter(name, labels)?.inc_by(value);
        Ok(())
    }

    /// Sets the gauge `name` (a float gauge, created on first use) for these label pairs.
    pub fn set_gauge(&self, name: &str, labels: &[(&str, &str)], value: f64) -> Result<()> {
        if !crate::switch::enabled() {
            return Ok(());
        }
        self.dynamic_gauge(name, labels)?.set(value);
        Ok(())
    }

    /// Observes `value` into the histogram `name` (created on first use with its
    /// [declared](Self::declare) buckets, or the default ones) for these label pairs.
    pub fn observe(&self, name: &str, labels: &[(&str, &str)], value: f64) -> Result<()> {
        if !crate::switch::enabled() {
            return Ok(());
        }
        self.dynamic_histogram(name, labels)?.observe(value);
        Ok(())
    }

    /// The counter series [`inc_counter`](Self::inc_counter) would update, to keep and update
    /// without further lookups.
    pub fn dynamic_counter(&self, name: &str, labels: &[(&str, &str)]) -> Result<FloatCounter> {
        self.dynamic_series(name, labels, Want::Counter, |kind, values| match kind {
            Kind::Counter(f) => Some(f.with_labels(values)),
            _ => None,
        })
    }

    /// The gauge series [`set_gauge`](Self::set_gauge) would update.
    pub fn dynamic_gauge(&self, name: &str, labels: &[(&str, &str)]) -> Result<FloatGauge> {
        self.dynamic_series(name, labels, Want::Gauge, |kind, values| match kind {
            Kind::Gauge(f) => Some(f.with_labels(values)),
            _ => None,
        })
    }

    /// The histogram series [`observe`](Self::observe) would update.
    pub fn dynamic_histogram(&self, name: &str, labels: &[(&str, &str)]) -> Result<Histogram> {
        self.dynamic_series(name, labels, Want::Histogram, |kind, values| match kind {
            Kind::Histogram(f) => Some(f.with_labels(values)),
            _ => None,
        })
    }

    fn dynamic_series<M>(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        want: Want,
        series: impl Fn(&Kind, &[&str]) -> Option<M>,
    ) -> Result<M> {
        let family = self.dynamic_family(name, labels, want).inspect_err(|_| {
            record(DropReason::DynamicRejected);
        })?;
        if family.kind.want() != want {
            record(DropReason::DynamicRejected);
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "metric {name:?} is a {}, not a {}; use another name for the {}",
                    family.kind.want().type_name(),
                    want.type_name(),
                    want.type_name()
                ),
            ));
        }
        let mut inline = [""; INLINE_LABELS];
        let mut spilled = Vec::new();
        let values: &mut [&str] = if labels.len() <= INLINE_LABELS {
            &mut inline[..labels.len()]
        } else {
            spilled.resize(labels.len(), "");
            &mut spilled
        };
        if let Err(e) = order_values(name, &family.label_names, labels, values) {
            record(DropReason::DynamicRejected);
            return Err(e);
        }
        // The kind was checked above, so `series` finds its family.
        series(&family.kind, values).ok_or_else(|| {
            Error::new(
                ErrorKind::TypeMismatch,
                format!("metric {name:?} changed type"),
            )
        })
    }

    /// The family for `name`, created with these label names if new.
    fn dynamic_family(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        want: Want,
    ) -> Result<DynamicFamily> {
        let key = key(name, want);
        if let Some(family) = find(&read(&self.dynamic().families), name, key) {
            return Ok(family.clone());
        }
        let mut families = write(&self.dynamic().families);
        // Created by another thread between the two locks?
        if let Some(family) = find(&families, name, key) {
            return Ok(family.clone());
        }
        let declaration = {
            let declarations = read(&self.dynamic().declarations);
            // Declared as called, or (a counter) with or without `_total`.
            [name, key, &format!("{key}_total")]
                .iter()
                .find_map(|n| declarations.get(*n))
                .cloned()
                .unwrap_or_default()
        };
        let names: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
        let help = declaration.help.as_str();
        let kind = match want {
            Want::Counter => {
                let builder = self.float_counter(name, help);
                let builder = match &declaration.unit {
                    Some(unit) => builder.with_unit(unit),
                    None => builder,
                };
                Kind::Counter(builder.register_family(&names)?)
            }
            Want::Gauge => {
                let builder = self.float_gauge(name, help);
                let builder = match &declaration.unit {
                    Some(unit) => builder.with_unit(unit),
                    None => builder,
                };
                Kind::Gauge(builder.register_family(&names)?)
            }
            Want::Histogram => {
                let builder = self.histogram(name, help);
                let builder = match &declaration.unit {
                    Some(unit) => builder.with_unit(unit),
                    None => builder,
                };
                let builder = match declaration.buckets {
                    Some(options) => builder.with_bucket_options(options),
                    None => builder,
                };
                Kind::Histogram(builder.register_family(&names)?)
            }
        };
        let family = DynamicFamily {
            label_names: names.iter().map(|n| Box::<str>::from(*n)).collect(),
            kind,
        };
        families.insert(key.to_owned(), family.clone());
        Ok(family)
    }
}

/// A counter may be named with or without `_total`; both mean one family. Other types keep
/// their exact name (`conns_total` and `conns` are two gauges).
fn key(name: &str, want: Want) -> &str {
    match want {
        Want::Counter => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    }
}

/// The family a call by `name` means: the one under its key, or a counter whose `_total`
/// samples have that name (so that `set_gauge("jobs_total")` after `inc_counter("jobs")` is
/// a type mismatch, not a name clash).
fn find<'m>(
    families: &'m HashMap<String, DynamicFamily>,
    name: &str,
    key: &str,
) -> Option<&'m DynamicFamily> {
    families.get(key).or_else(|| {
        families
            .get(self::key(name, Want::Counter))
            .filter(|f| f.kind.want() == Want::Counter)
    })
}

/// Writes the values of `labels` into `out` in the order of `names`, or says how the label
/// names differ from the family's.
fn order_values<'a>(
    name: &str,
    names: &[Box<str>],
    labels: &[(&str, &'a str)],
    out: &mut [&'a str],
) -> Result<()> {
    let mut matched = labels.len() == names.len();
    if matched {
        for (slot, wanted) in out.iter_mut().zip(names) {
            match labels.iter().find(|(n, _)| *n == &**wanted) {
                Some((_, value)) => *slot = value,
                None => {
                    matched = false;
                    break;
                }
            }
        }
    }
    if matched {
        return Ok(());
    }
    let given: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
    Err(Error::new(
        ErrorKind::LabelMismatch,
        format!(
            "metric {name:?} has the labels [{}], but this call gave [{}]; a metric keeps the \
             label names of its first use: pass the same names, or use another metric name",
            names.join(", "),
            given.join(", ")
        ),
    ))
}

// The maps are replaced in single steps, so a poisoned lock still guards consistent data.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
