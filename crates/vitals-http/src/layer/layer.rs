//! [`RequestMetricsLayer`]: registers the families and wraps services in [`RequestMetrics`].

use std::fmt;
use std::sync::Arc;

use tower::Layer;
use vitals_core::{Counter, Family, Gauge, Histogram, Registry};

use super::config::RequestMetricsConfig;
use super::record::Shared;
use super::service::RequestMetrics;

/// A tower layer that measures every request through the service it wraps: count, duration,
/// request and response size, in flight; by method, route and status.
///
/// Clones share the same families, so one layer can wrap many services. See the
/// [module docs](crate::layer) for where to put it in an axum `Router`.
#[derive(Clone)]
pub struct RequestMetricsLayer {
    shared: Arc<Shared>,
}

impl fmt::Debug for RequestMetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMetricsLayer")
            .field("requests", &self.shared.requests)
            .finish_non_exhaustive()
    }
}

impl RequestMetricsLayer {
    /// Registers the metrics with the [default configuration](RequestMetricsConfig::new).
    /// Fails if one of the names is already registered in `registry`.
    ///
    /// ```
    /// let registry = vitals_core::Registry::new();
    /// let layer = vitals_http::RequestMetricsLayer::new(&registry)?;
    /// assert_eq!(layer.requests().len(), 0);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn new(registry: &Registry) -> vitals_core::Result<Self> {
        Self::with_config(registry, RequestMetricsConfig::new())
    }

    /// Registers the metrics as `config` says. Same as [`RequestMetricsConfig::build`].
    pub fn with_config(
        registry: &Registry,
        config: RequestMetricsConfig,
    ) -> vitals_core::Result<Self> {
        let labels: Vec<&str> = [
            config.method_label.as_deref(),
            config.route_label.as_deref(),
            config.status_label.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let in_flight_labels: Vec<&str> = [
            config.method_label.as_deref(),
            config.route_label.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();

        let requests = registry
            .counter(
                &config.requests_name,
                "HTTP requests served, counted when the response body ends.",
            )
            .register_family(&labels)?;
        let duration = registry
            .histogram(
                &config.duration_name,
                "Time from receiving an HTTP request to the end of its response body.",
            )
            .with_unit("seconds")
            .with_buckets(&config.duration_buckets)
            .register_family(&labels)?;
        let (request_size, response_size) = if config.size_histograms {
            let request_size = registry
                .histogram(
                    &config.request_size_name,
                    "HTTP request body size, from Content-Length or the body's exact size.",
                )
                .with_unit("bytes")
                .with_buckets(&config.size_buckets)
                .register_family(&labels)?;
            let response_size = registry
                .histogram(
                    &config.response_size_name,
                    "HTTP response body size, the bytes of all body frames sent.",
                )
                .with_unit("bytes")
                .with_buckets(&config.size_buckets)
                .register_family(&labels)?;
            (Some(request_size), Some(response_size))
        } else {
            (None, None)
        };
        let in_flight = if config.in_flight {
            Some(
                registry
                    .gauge(
                        &config.in_flight_name,
                        "HTTP requests received whose response body has not ended.",
                    )
                    .register_family(&in_flight_labels)?,
            )
        } else {
            None
        };
        let shared = Shared::new(
            config,
            requests,
            duration,
            request_size,
            response_size,
            in_flight,
        );
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    /// The request counter, labelled as configured (default `method`, `route`, `status`).
    pub fn requests(&self) -> &Family<Counter> {
        &self.shared.requests
    }

    /// The duration histogram, with the same labels as [`requests`](Self::requests).
    pub fn duration(&self) -> &Family<Histogram> {
        &self.shared.duration
    }

    /// The request size histogram, unless turned off with
    /// [`with_size_histograms`](RequestMetricsConfig::with_size_histograms).
    pub fn request_size(&self) -> Option<&Family<Histogram>> {
        self.shared.request_size.as_ref()
    }

    /// The response size histogram, unless turned off with
    /// [`with_size_histograms`](RequestMetricsConfig::with_size_histograms).
    pub fn response_size(&self) -> Option<&Family<Histogram>> {
        self.shared.response_size.as_ref()
    }

    /// The in-flight gauge (labels `method` and `route`, never `status`), unless turned off
    /// with [`with_in_flight`](RequestMetricsConfig::with_in_flight).
    pub fn in_flight(&self) -> Option<&Family<Gauge>> {
        self.shared.in_flight.as_ref()
    }
}

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetrics::new(inner, Arc::clone(&self.shared))
    }
}
