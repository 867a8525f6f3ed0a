//! [`RequestMetricsConfig`]: names, buckets, labels and exclusions of the request metrics.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::request::Parts;
use vitals_core::{Registry, DEFAULT_BUCKETS};

use super::layer::RequestMetricsLayer;

/// Default name of the request counter (samples `http_requests_total`).
pub const DEFAULT_REQUESTS_NAME: &str = "http_requests_total";
/// Default name of the request duration histogram.
pub const DEFAULT_DURATION_NAME: &str = "http_request_duration_seconds";
/// Default name of the request size histogram.
pub const DEFAULT_REQUEST_SIZE_NAME: &str = "http_request_size_bytes";
/// Default name of the response size histogram.
pub const DEFAULT_RESPONSE_SIZE_NAME: &str = "http_response_size_bytes";
/// Default name of the in-flight gauge.
pub const DEFAULT_IN_FLIGHT_NAME: &str = "http_requests_in_flight";
/// Default route label value of requests that matched no route (such as axum's 404s).
pub const DEFAULT_UNMATCHED_ROUTE: &str = "unmatched";
/// Default method label value of methods outside the nine standard ones.
pub const DEFAULT_OTHER_METHOD: &str = "other";
/// Default size buckets in bytes: 100 B, 1 kB, 10 kB, 100 kB, 1 MB, 10 MB (powers of ten,
/// because request and response sizes span many orders of magnitude).
pub const DEFAULT_SIZE_BUCKETS: &[f64] = &[1e2, 1e3, 1e4, 1e5, 1e6, 1e7];

/// How the status label is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StatusLabel {
    /// The three-digit code, such as `"200"` or `"404"`. The default.
    #[default]
    Code,
    /// The class, such as `"2xx"` or `"4xx"`: at most five values per route, for services where
    /// the exact code is not worth the series.
    Class,
}

/// Works out the route label of a request when axum's `MatchedPath` is not there, for tower
/// services that do not route with axum.
///
/// Implemented for closures `Fn(&http::request::Parts) -> Option<R>` where `R` is a `String`,
/// a `&'static str` or a `Cow<'static, str>`. Returning `None` falls back to axum's
/// `MatchedPath`, then to the unmatched value. Return a template (`/users/{id}`), never the raw
/// path: every distinct value is a new series.
///
/// ```
/// use vitals_http::RequestMetricsConfig;
///
/// let config = RequestMetricsConfig::new().with_route_resolver(|parts: &http::request::Parts| {
///     parts.uri.path().starts_with("/users/").then_some("/users/:id")
/// });
/// # let _ = config;
/// ```
pub trait RouteResolver: Send + Sync + 'static {
    /// The route template of this request, or `None` if it does not know.
    fn route(&self, parts: &Parts) -> Option<Cow<'static, str>>;
}

impl<F, R> RouteResolver for F
where
    F: Fn(&Parts) -> Option<R> + Send + Sync + 'static,
    R: Into<Cow<'static, str>>,
{
    fn route(&self, parts: &Parts) -> Option<Cow<'static, str>> {
        self(parts).map(Into::into)
    }
}

/// The configuration of a [`RequestMetricsLayer`]: build it with `with_*` setters, each of
/// which documents its default, then register it with [`build`](Self::build).
///
/// ```
/// use vitals_core::Registry;
/// use vitals_http::{RequestMetricsConfig, StatusLabel};
///
/// let registry = Registry::new();
/// let layer = RequestMetricsConfig::new()
///     .with_status_label(StatusLabel::Class)
///     .with_excluded_paths(["/metrics", "/health"])
///     .with_duration_buckets(&[0.01, 0.1, 1.0, 10.0])
///     .build(&registry)?;
/// # let _ = layer;
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RequestMetricsConfig {
    pub(crate) requests_name: String,
    pub(crate) duration_name: String,
    pub(crate) request_size_name: String,
    pub(crate) response_size_name: String,
    pub(crate) in_flight_name: String,
    pub(crate) duration_buckets: Vec<f64>,
    pub(crate) size_buckets: Vec<f64>,
    pub(crate) size_histograms: bool,
    pub(crate) in_flight: bool,
    pub(crate) method_label: Option<String>,
    pub(crate) route_label: Option<String>,
    pub(crate) status_label: Option<String>,
    pub(crate) status_format: StatusLabel,
    pub(crate) excluded: Vec<String>,
    pub(crate) unmatched: String,
    pub(crate) other_method: String,
    pub(crate) extra_methods: Vec<String>,
    pub(crate) cancelled_status: Option<String>,
    pub(crate) resolver: Option<Arc<dyn RouteResolver>>,
}

impl fmt::Debug for RequestMetricsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMetricsConfig")
            .field("requests_name", &self.requests_name)
            .field("duration_name", &self.duration_name)
            .field("request_size_name", &self.request_size_name)
            .field("response_size_name", &self.response_size_name)
            .field("in_flight_name", &self.in_flight_name)
            .field("duration_buckets", &self.duration_buckets)
            .field("size_buckets", &self.size_buckets)
            .field("size_histograms", &self.size_histograms)
            .field("in_flight", &self.in_flight)
            .field("method_label", &self.method_label)
            .field("route_label", &self.route_label)
            .field("status_label", &self.status_label)
            .field("status_format", &self.status_format)
            .field("excluded", &self.excluded)
            .field("unmatched", &self.unmatched)
            .field("other_method", &self.other_method)
            .field("extra_methods", &self.extra_methods)
            .field("cancelled_status", &self.cancelled_status)
            .field("resolver", &self.resolver.as_ref().map(|_| "RouteResolver"))
            .finish()
    }
}

impl Default for RequestMetricsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestMetricsConfig {
    /// The defaults: all five metrics under their `DEFAULT_*_NAME` names, labels `method`,
    /// `route` and `status` (the code), [`DEFAULT_BUCKETS`] for durations,
    /// [`DEFAULT_SIZE_BUCKETS`] for sizes, no exclusions, unmatched requests labelled
    /// [`DEFAULT_UNMATCHED_ROUTE`], non-standard methods [`DEFAULT_OTHER_METHOD`], cancelled
    /// requests not counted.
    pub fn new() -> Self {
        Self {
            requests_name: DEFAULT_REQUESTS_NAME.to_owned(),
            duration_name: DEFAULT_DURATION_NAME.to_owned(),
            request_size_name: DEFAULT_REQUEST_SIZE_NAME.to_owned(),
            response_size_name: DEFAULT_RESPONSE_SIZE_NAME.to_owned(),
            in_flight_name: DEFAULT_IN_FLIGHT_NAME.to_owned(),
            duration_buckets: DEFAULT_BUCKETS.to_vec(),
            size_buckets: DEFAULT_SIZE_BUCKETS.to_vec(),
            size_histograms: true,
            in_flight: true,
            method_label: Some("method".to_owned()),
            route_label: Some("route".to_owned()),
            status_label: Some("status".to_owned()),
            status_format: StatusLabel::Code,
            excluded: Vec::new(),
            unmatched: DEFAULT_UNMATCHED_ROUTE.to_owned(),
            other_method: DEFAULT_OTHER_METHOD.to_owned(),
            extra_methods: Vec::new(),
            cancelled_status: None,
            resolver: None,
        }
    }

    /// Registers the metrics in `registry` and returns the layer. Fails if a name is invalid
    /// or taken, a label name is invalid or repeated, or buckets are not increasing.
    pub fn build(self, registry: &Registry) -> vitals_core::Result<RequestMetricsLayer> {
        RequestMetricsLayer::with_config(registry, self)
    }

    /// Name of the request counter; a trailing `_total` is allowed. Default
    /// [`DEFAULT_REQUESTS_NAME`].
    pub fn with_requests_name(mut self, name: impl Into<String>) -> Self {
        self.requests_name = name.into();
        self
    }

    /// Name of the duration histogram; it must end in `_seconds`. Default
    /// [`DEFAULT_DURATION_NAME`].
    pub fn with_duration_name(mut self, name: impl Into<String>) -> Self {
        self.duration_name = name.into();
        self
    }

    /// Name of the request size histogram; it must end in `_bytes`. Default
    /// [`DEFAULT_REQUEST_SIZE_NAME`].
    pub fn with_request_size_name(mut self, name: impl Into<String>) -> Self {
        self.request_size_name = name.into();
        self
    }

    /// Name of the response size histogram; it must end in `_bytes`. Default
    /// [`DEFAULT_RESPONSE_SIZE_NAME`].
    pub fn with_response_size_name(mut self, name: impl Into<String>) -> Self {
        self.response_size_name = name.into();
        self
    }

    /// Name of the in-flight gauge. Default [`DEFAULT_IN_FLIGHT_NAME`].
    pub fn with_in_flight_name(mut self, name: impl Into<String>) -> Self {
        self.in_flight_name = name.into();
        self
    }

    /// Bucket bounds of the duration histogram, in seconds. Default [`DEFAULT_BUCKETS`].
    pub fn with_duration_buckets(mut self, bounds: &[f64]) -> Self {
        self.duration_buckets = bounds.to_vec();
        self
    }

    /// Bucket bounds of both size histograms, in bytes. Default [`DEFAULT_SIZE_BUCKETS`].
    pub fn with_size_buckets(mut self, bounds: &[f64]) -> Self {
        self.size_buckets = bounds.to_vec();
        self
    }

    /// Whether to register the request and response size histograms. Default `true`.
    pub fn with_size_histograms(mut self, on: bool) -> Self {
        self.size_histograms = on;
        self
    }

    /// Whether to register the in-flight gauge. Default `true`.
    pub fn with_in_flight(mut self, on: bool) -> Self {
        self.in_flight = on;
        self
    }

    /// Name of the method label, or `None` to leave the method out. Default `Some("method")`.
    pub fn with_method_label(mut self, name: Option<&str>) -> Self {
        self.method_label = name.map(str::to_owned);
        self
    }

    /// Name of the route label, or `None` to leave the route out. Default `Some("route")`.
    pub fn with_route_label(mut self, name: Option<&str>) -> Self {
        self.route_label = name.map(str::to_owned);
        self
    }

    /// Name of the status label, or `None` to leave the status out. Default `Some("status")`.
    /// The in-flight gauge never has it: a request in flight has no status yet.
    pub fn with_status_label_name(mut self, name: Option<&str>) -> Self {
        self.status_label = name.map(str::to_owned);
        self
    }

    /// How the status is written: the code (`"200"`) or the class (`"2xx"`). Default
    /// [`StatusLabel::Code`].
    pub fn with_status_label(mut self, format: StatusLabel) -> Self {
        self.status_format = format;
        self
    }

    /// Requests not measured at all (not counted, not in flight): those whose raw path or
    /// matched route equals one of these, compared exactly (`/metrics` does not exclude
    /// `/metrics/`). Replaces the list. Default: none, so a `/metrics` route behind the layer
    /// counts its own scrapes until excluded.
    pub fn with_excluded_paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.excluded = paths.into_iter().map(Into::into).collect();
        self
    }

    /// The route label value of requests with no matched route (axum's fallback or 404, or a
    /// [`RouteResolver`] that returned `None`): all of them share this one value, so a scan of
    /// random paths adds one series, not one per path. Default [`DEFAULT_UNMATCHED_ROUTE`].
    pub fn with_unmatched_route(mut self, value: impl Into<String>) -> Self {
        self.unmatched = value.into();
        self
    }

    /// The method label value of methods other than GET, HEAD, POST, PUT, PATCH, DELETE,
    /// OPTIONS, CONNECT, TRACE and those given to [`with_extra_methods`](Self::with_extra_methods):
    /// a client can send any token as a method, and each would otherwise be a series. Default
    /// [`DEFAULT_OTHER_METHOD`].
    pub fn with_other_method(mut self, value: impl Into<String>) -> Self {
        self.other_method = value.into();
        self
    }

    /// More methods kept as themselves rather than folded, such as WebDAV's `PROPFIND`
    /// (compared case-sensitively, as methods are). Replaces the list. Default: none.
    pub fn with_extra_methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// The status label value of requests cancelled before the inner service produced a
    /// response (the future was dropped: client gone, an outer timeout). `None` leaves them
    /// uncounted (they only leave the in-flight gauge); `Some("499")` counts them and their
    /// duration under nginx's "client closed request" code. The value is written as given,
    /// also when the status is written as a class. Default `None`.
    pub fn with_cancelled_status(mut self, value: Option<&str>) -> Self {
        self.cancelled_status = value.map(str::to_owned);
        self
    }

    /// Works out the route for requests without axum's `MatchedPath`, for non-axum services.
    /// It is asked first; when it returns `None` the `MatchedPath` is used, then the unmatched
    /// value. Default: none (axum's `MatchedPath` only).
    pub fn with_route_resolver(mut self, resolver: impl RouteResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }
}
