//! What the layer, future and body share: the registered families, the resolved labels of one
//! request, and the [`Tracker`] that records a request exactly once.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{Method, Request, StatusCode};
use vitals_core::{Counter, Family, Gauge, Histogram};

use super::config::{RequestMetricsConfig, RouteResolver, StatusLabel};

/// The families and the label rules, shared by every clone of the layer and service.
pub(crate) struct Shared {
    pub(crate) requests: Family<Counter>,
    pub(crate) duration: Family<Histogram>,
    pub(crate) request_size: Option<Family<Histogram>>,
    pub(crate) response_size: Option<Family<Histogram>>,
    pub(crate) in_flight: Option<Family<Gauge>>,
    method_label: bool,
    route_label: bool,
    status_label: bool,
    status_format: StatusLabel,
    excluded: Vec<String>,
    unmatched: Arc<str>,
    other_method: String,
    extra_methods: Vec<String>,
    cancelled_status: Option<String>,
    resolver: Option<Arc<dyn RouteResolver>>,
}

/// The route label value of one request. Kept as what it came as, so the common cases
/// (axum's `MatchedPath`, the shared unmatched value) are a reference-count bump, not a copy.
enum Route {
    Matched(MatchedPath),
    Shared(Arc<str>),
    Resolved(std::borrow::Cow<'static, str>),
}

impl Route {
    fn as_str(&self) -> &str {
        match self {
            Route::Matched(m) => m.as_str(),
            Route::Shared(s) => s,
            Route::Resolved(s) => s,
        }
    }
}

/// The method label value: a standard method, one of the configured extras, or folded.
#[derive(Clone, Copy)]
enum MethodLabel {
    Standard(&'static str),
    Extra(usize),
    Other,
}

const STANDARD_METHODS: [(Method, &str); 9] = [
    (Method::GET, "GET"),
    (Method::HEAD, "HEAD"),
    (Method::POST, "POST"),
    (Method::PUT, "PUT"),
    (Method::PATCH, "PATCH"),
    (Method::DELETE, "DELETE"),
    (Method::OPTIONS, "OPTIONS"),
    (Method::CONNECT, "CONNECT"),
    (Method::TRACE, "TRACE"),
];

const STATUS_CLASSES: [&str; 10] = [
    "0xx", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "7xx", "8xx", "9xx",
];

impl Shared {
    pub(crate) fn new(
        config: RequestMetricsConfig,
        requests: Family<Counter>,
        duration: Family<Histogram>,
        request_size: Option<Family<Histogram>>,
        response_size: Option<Family<Histogram>>,
        in_flight: Option<Family<Gauge>>,
    ) -> Self {
        Self {
            requests,
            duration,
            request_size,
            response_size,
            in_flight,
            method_label: config.method_label.is_some(),
            route_label: config.route_label.is_some(),
            status_label: config.status_label.is_some(),
            status_format: config.status_format,
            excluded: config.excluded,
            unmatched: Arc::from(config.unmatched),
            other_method: config.other_method,
            extra_methods: config.extra_methods,
            cancelled_status: config.cancelled_status,
            resolver: config.resolver,
        }
    }

    fn method(&self, method: &Method) -> MethodLabel {
        if let Some((_, s)) = STANDARD_METHODS.iter().find(|(m, _)| m == method) {
            return MethodLabel::Standard(s);
        }
        match self.extra_methods.iter().position(|m| m == method.as_str()) {
            Some(i) => MethodLabel::Extra(i),
            None => MethodLabel::Other,
        }
    }

    fn method_str(&self, label: MethodLabel) -> &str {
        match label {
            MethodLabel::Standard(s) => s,
            MethodLabel::Extra(i) => &self.extra_methods[i],
            MethodLabel::Other => &self.other_method,
        }
    }

    /// The route of a request: the resolver, then axum's `MatchedPath`, then the shared
    /// unmatched value. `None` when the route label is off and nothing is excluded by route,
    /// because then nobody reads it.
    fn route<B>(&self, req: Request<B>) -> (Request<B>, Option<Route>) {
        if !self.route_label && self.excluded.is_empty() {
            return (req, None);
        }
        let (req, resolved) = match &self.resolver {
            Some(resolver) => {
                // The resolver sees `Parts`, which a request only lends by being taken apart;
                // moving the parts out and back is a few pointer-sized moves.
                let (parts, body) = req.into_parts();
                let resolved = resolver.route(&parts);
                (Request::from_parts(parts, body), resolved)
            }
            None => (req, None),
        };
        let route = match resolved {
            Some(r) => Route::Resolved(r),
            None => match req.extensions().get::<MatchedPath>() {
                Some(m) => Route::Matched(m.clone()),
                None => Route::Shared(Arc::clone(&self.unmatched)),
            },
        };
        (req, Some(route))
    }

    fn is_excluded(&self, path: &str, route: Option<&Route>) -> bool {
        self.excluded
            .iter()
            .any(|e| e == path || route.is_some_and(|r| r.as_str() == e))
    }

    fn status_str<'a>(&'a self, status: &'a StatusCode) -> &'a str {
        match self.status_format {
            StatusLabel::Code => status.as_str(),
            StatusLabel::Class => STATUS_CLASSES[usize::from(status.as_u16() / 100) % 10],
        }
    }
}

/// Starts tracking a request unless it is excluded: resolves its labels, reads its size and
/// raises the in-flight gauge.
pub(crate) fn start<B: http_body::Body>(
    shared: &Arc<Shared>,
    req: Request<B>,
) -> (Request<B>, Option<Tracker>) {
    let (req, route) = shared.route(req);
    if shared.is_excluded(req.uri().path(), route.as_ref()) {
        return (req, None);
    }
    let method = shared.method(req.method());
    // The declared length, else the body's exact size hint (what a full or empty body knows);
    // a chunked upload of unknown length is not observed rather than observed as a guess.
    let request_size = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| req.body().size_hint().exact());
    let in_flight = shared.in_flight.as_ref().map(|family| {
        let route = route.as_ref().map_or("", Route::as_str);
        let gauge = with_labels(
            family,
            shared.method_label.then(|| shared.method_str(method)),
            shared.route_label.then_some(route),
            None,
        );
        gauge.inc();
        gauge
    });
    let tracker = Tracker {
        shared: Arc::clone(shared),
        method,
        route,
        start: Instant::now(),
        request_size,
        in_flight,
        status: None,
        response_bytes: 0,
        done: false,
    };
    (req, Some(tracker))
}

/// Looks up the series for the enabled labels, in the family's order: method, route, status.
fn with_labels<M: vitals_core::Metric>(
    family: &Family<M>,
    method: Option<&str>,
    route: Option<&str>,
    status: Option<&str>,
) -> M {
    let mut values: [&str; 3] = [""; 3];
    let mut n = 0;
    for v in [method, route, status].into_iter().flatten() {
        values[n] = v;
        n += 1;
    }
    family.with_labels(&values[..n])
}

/// One request in flight. Records it exactly once: on [`finish`](Self::finish), or when
/// dropped, so a cancelled future or an abandoned body never leaks the in-flight gauge.
pub(crate) struct Tracker {
    shared: Arc<Shared>,
    method: MethodLabel,
    route: Option<Route>,
    start: Instant,
    request_size: Option<u64>,
    in_flight: Option<Gauge>,
    /// `None` until the inner service answers; an error is recorded as 500.
    status: Option<StatusCode>,
    response_bytes: u64,
    done: bool,
}

impl Tracker {
    pub(crate) fn set_status(&mut self, status: StatusCode) {
        self.status = Some(status);
    }

    pub(crate) fn add_response_bytes(&mut self, n: usize) {
        self.response_bytes = self.response_bytes.saturating_add(n as u64);
    }

    /// Leaves the in-flight gauge and records the counter and histograms, once.
    pub(crate) fn finish(&mut self) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        if let Some(gauge) = &self.in_flight {
            gauge.dec();
        }
        let shared = &*self.shared;
        let status = match &self.status {
            Some(status) => shared.status_str(status),
            None => match &shared.cancelled_status {
                Some(s) => s.as_str(),
                None => return,
            },
        };
        let method = shared.method_label.then(|| shared.method_str(self.method));
        let route = if shared.route_label {
            self.route.as_ref().map(Route::as_str)
        } else {
            None
        };
        let status = shared.status_label.then_some(status);
        with_labels(&shared.requests, method, route, status).inc();
        with_labels(&shared.duration, method, route, status)
            .observe(self.start.elapsed().as_secs_f64());
        if let (Some(family), Some(size)) = (&shared.request_size, self.request_size) {
            with_labels(family, method, route, status).observe(size as f64);
        }
        if let (Some(family), true) = (&shared.response_size, self.status.is_some()) {
            with_labels(family, method, route, status).observe(self.response_bytes as f64);
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.finish();
    }
}
