//! [`VitalsRecorderBuilder`]: bucket configuration for the recorder.

use vitals_core::{Error, HistogramOptions, Registry};

use crate::matcher::Matcher;
use crate::recorder::VitalsRecorder;

/// Configures a [`VitalsRecorder`]; made by [`VitalsRecorder::builder`].
///
/// Defaults: no per-name buckets; every histogram gets
/// [`DEFAULT_BUCKETS`](vitals_core::DEFAULT_BUCKETS) (client_golang's `.005` to `10` seconds).
///
/// ```
/// use vitals_core::Registry;
/// use vitals_metrics::{Matcher, VitalsRecorder};
///
/// let registry = Registry::new();
/// let recorder = VitalsRecorder::builder(registry.clone())
///     .with_buckets(Matcher::Full("db.query.seconds".into()), &[0.001, 0.01, 0.1])
///     .with_buckets(Matcher::Suffix("_bytes".into()), &[1024.0, 65536.0, 1048576.0])
///     .with_default_buckets(&[0.1, 1.0, 10.0])
///     .build()?;
/// metrics::with_local_recorder(&recorder, || {
///     metrics::histogram!("db.query.seconds").record(0.004);
/// });
/// let text = vitals_expfmt::encode_to_string(&registry, vitals_expfmt::Format::PrometheusText);
/// assert!(text.contains("db_query_seconds_bucket{le=\"0.01\"} 1\n"));
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct VitalsRecorderBuilder {
    registry: Registry,
    buckets: Vec<(Matcher, Vec<f64>)>,
    default_buckets: Option<Vec<f64>>,
}

impl VitalsRecorderBuilder {
    /// A builder for a recorder into `registry`, with the defaults.
    ///
    /// ```
    /// use vitals_metrics::VitalsRecorderBuilder;
    /// let recorder = VitalsRecorderBuilder::new(vitals_core::Registry::new()).build()?;
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            buckets: Vec::new(),
            default_buckets: None,
        }
    }

    /// Bucket upper bounds for the histograms whose names `matcher` selects. Matchers are tried
    /// in the order they were added and the first match wins (`metrics-exporter-prometheus`
    /// tries them in sorted order instead); a histogram's buckets are chosen once, when the
    /// recorder first sees its name. Bounds must be finite and strictly increasing (a trailing
    /// `+Inf` is accepted; the `+Inf` bucket is always there), else
    /// [`build`](Self::build) fails. Default: none.
    ///
    /// ```
    /// use vitals_metrics::{Matcher, VitalsRecorder};
    ///
    /// let recorder = VitalsRecorder::builder(vitals_core::Registry::new())
    ///     .with_buckets(Matcher::Prefix("http.".into()), &[0.05, 0.25, 1.0])
    ///     .build()?;
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn with_buckets(mut self, matcher: Matcher, bounds: &[f64]) -> Self {
        self.buckets.push((matcher, bounds.to_vec()));
        self
    }

    /// Bucket upper bounds for the histograms no matcher selects, checked like
    /// [`with_buckets`](Self::with_buckets)'. Default:
    /// [`DEFAULT_BUCKETS`](vitals_core::DEFAULT_BUCKETS).
    ///
    /// ```
    /// use vitals_metrics::VitalsRecorder;
    ///
    /// let err = VitalsRecorder::builder(vitals_core::Registry::new())
    ///     .with_default_buckets(&[1.0, 0.5])
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), vitals_core::ErrorKind::InvalidBuckets);
    /// ```
    pub fn with_default_buckets(mut self, bounds: &[f64]) -> Self {
        self.default_buckets = Some(bounds.to_vec());
        self
    }

    /// Checks the bucket bounds and builds the recorder.
    ///
    /// Fails with [`ErrorKind::InvalidBuckets`](vitals_core::ErrorKind::InvalidBuckets) if any
    /// bounds given to [`with_buckets`](Self::with_buckets) or
    /// [`with_default_buckets`](Self::with_default_buckets) are not finite and strictly
    /// increasing.
    ///
    /// ```
    /// use vitals_metrics::{Matcher, VitalsRecorder};
    ///
    /// let err = VitalsRecorder::builder(vitals_core::Registry::new())
    ///     .with_buckets(Matcher::Full("x".into()), &[1.0, f64::NAN])
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), vitals_core::ErrorKind::InvalidBuckets);
    /// ```
    pub fn build(self) -> Result<VitalsRecorder, Error> {
        let buckets = self
            .buckets
            .into_iter()
            .map(|(matcher, bounds)| Ok((matcher.sanitized(), HistogramOptions::new(&bounds)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let default_buckets = match &self.default_buckets {
            Some(bounds) => HistogramOptions::new(bounds)?,
            None => HistogramOptions::default(),
        };
        Ok(VitalsRecorder::from_parts(
            self.registry,
            buckets,
            default_buckets,
        ))
    }
}
