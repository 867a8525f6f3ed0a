//! The metrics routes: [`metrics_router`] and the handlers behind it.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    ACCEPT, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use flate2::write::GzEncoder;
use flate2::Compression;
use vitals_core::Registry;
use vitals_expfmt::Format;

use crate::auth::Guard;
use crate::config::{ConfigError, MetricsConfig};
use crate::health::HealthCheck;

/// How many encode buffers the gzip path keeps for reuse: one per concurrent scrape is plenty,
/// and a handful covers several Prometheus servers scraping at once.
const POOL_SIZE: usize = 4;

/// Builds the metrics routes for `registry`: the negotiated exposition, the JSON exposition
/// and the health route, at the paths of `config`, with its protection. Merge the result into
/// an application's router, or serve it alone.
///
/// The exposition route:
/// - negotiates on `Accept` (several `Accept` headers count as one list; q-values respected)
///   between Prometheus text 0.0.4, OpenMetrics 1.0.0 and JSON, falling back to 0.0.4, and
///   sends the format's exact `Content-Type`;
/// - gzips when `Accept-Encoding` allows `gzip` (`gzip;q=0` does not), with
///   `Vary: Accept, Accept-Encoding` on every answer so caches keep the variants apart;
/// - answers `HEAD` with the headers of a `GET`;
/// - encodes on the request's task with no `.await` in between, so no lock is held across a
///   suspension point. The registry walk takes each family's lock in turn, which holds
///   up only the creation of new series in that family: lookups of existing ones and the
///   instruments, which are atomics, never wait.
///
/// Buffers: an uncompressed body is encoded straight into the `Vec` that becomes the response
/// body, sized from the previous scrape so it seldom grows; a gzipped one is encoded into a
/// pooled scratch buffer and compressed into the body. So a scrape costs one body-sized
/// allocation.
///
/// ```no_run
/// use std::net::SocketAddr;
/// use axum::routing::get;
/// use vitals_http::{metrics_router, MetricsConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = vitals_core::Registry::new();
/// let app = axum::Router::new()
///     .route("/", get(|| async { "hello" }))
///     .merge(metrics_router(registry, MetricsConfig::new())?);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// // Connect info gives the allow-list the client's address.
/// axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
/// # Ok(())
/// # }
/// ```
///
/// The routes answer 404 for other paths only when served alone; merged into an application,
/// its fallback applies.
pub fn metrics_router(registry: Registry, config: MetricsConfig) -> Result<Router, ConfigError> {
    config.validate()?;
    let endpoint = Arc::new(Endpoint {
        registry,
        openmetrics: config.openmetrics,
        gzip: config.gzip,
        guard: Guard::new(config.auth.as_ref(), config.allowed.as_deref()),
        protect_health: config
            .protect_health
            .unwrap_or(config.auth.is_some() || config.allowed.is_some()),
        health: config.health,
        size_hint: AtomicUsize::new(4096),
        pool: Mutex::new(Vec::new()),
    });
    let mut router = Router::new().route(&config.path, get(exposition));
    if let Some(path) = &config.json_path {
        router = router.route(path, get(json));
    }
    if let Some(path) = &config.health_path {
        router = router.route(path, get(health));
    }
    Ok(router.with_state(endpoint))
}

struct Endpoint {
    registry: Registry,
    openmetrics: bool,
    gzip: bool,
    guard: Guard,
    protect_health: bool,
    health: Arc<dyn HealthCheck>,
    /// The length of the last uncompressed body, to size the next one.
    size_hint: AtomicUsize,
    pool: Mutex<Vec<Vec<u8>>>,
}

async fn exposition(State(endpoint): State<Arc<Endpoint>>, request: Request) -> Response {
    let headers = request.headers();
    let accept = joined(headers, ACCEPT);
    let format = match Format::negotiate(accept.as_deref()) {
        Format::OpenMetrics if !endpoint.openmetrics => Format::PrometheusText,
        format => format,
    };
    endpoint.respond(&request, format)
}

async fn json(State(endpoint): State<Arc<Endpoint>>, request: Request) -> Response {
    endpoint.respond(&request, Format::Json)
}

async fn health(State(endpoint): State<Arc<Endpoint>>, request: Request) -> Response {
    if endpoint.protect_health {
        if let Err(refusal) = endpoint.guard.check(peer(&request), request.headers()) {
            return refused(refusal);
        }
    }
    let health = endpoint.health.check();
    let status = if health.is_healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = Response::new(Body::from(health.to_json()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl Endpoint {
    fn respond(&self, request: &Request, format: Format) -> Response {
        if !self.guard.is_open() {
            if let Err(refusal) = self.guard.check(peer(request), request.headers()) {
                return refused(refusal);
            }
        }
        let gzip = self.gzip && accepts_gzip(request.headers());
        let body = if gzip {
            let mut scratch = self.take_buffer();
            vitals_expfmt::encode(&self.registry, format, &mut scratch);
            self.size_hint.store(scratch.len(), Ordering::Relaxed);
            let compressed = compress(&scratch);
            self.give_back(scratch);
            compressed
        } else {
            // A little headroom: the registry may have grown since the last scrape.
            let hint = self.size_hint.load(Ordering::Relaxed);
            let mut body = Vec::with_capacity(hint + hint / 8);
            vitals_expfmt::encode(&self.registry, format, &mut body);
            self.size_hint.store(body.len(), Ordering::Relaxed);
            body
        };
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        );
        headers.insert(VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
        // Every scrape must see current values, never a cached copy.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    }

    fn take_buffer(&self) -> Vec<u8> {
        // A poisoned pool only means another scrape panicked mid-encode; the buffers are
        // still just buffers.
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        let mut buffer = pool
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.size_hint.load(Ordering::Relaxed)));
        buffer.clear();
        buffer
    }

    fn give_back(&self, buffer: Vec<u8>) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(buffer);
        }
    }
}

/// Fast compression: exposition text compresses about tenfold even at level 1, and a scrape
/// should cost the service as little CPU as possible.
fn compress(input: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(input.len() / 4 + 64),
        Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(input);
    encoder.finish().unwrap_or_default()
}

fn refused(refusal: crate::auth::Refusal) -> Response {
    let mut response = Response::new(Body::from(match refusal.status() {
        StatusCode::FORBIDDEN => "forbidden\n",
        _ => "unauthorized\n",
    }));
    *response.status_mut() = refusal.status();
    *response.headers_mut() = refusal.headers();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // Like every answer of the endpoint: a cache must neither keep nor share a refusal.
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn peer(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// All values of a header as one comma-separated list, as RFC 9110 5.3 says several lines of a
/// list header mean.
fn joined(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
    let first = values.next()?;
    let mut joined = first.to_owned();
    for value in values {
        joined.push(',');
        joined.push_str(value);
    }
    Some(joined)
}

/// Whether `Accept-Encoding` allows gzip: `gzip` (or `x-gzip`) with q > 0, or, when gzip is
/// not named, `*` with q > 0.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip: Option<f64> = None;
    let mut any: Option<f64> = None;
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let mut q = 1.0;
            for param in parts {
                if let Some((key, value)) = param.split_once('=') {
                    if key.trim().eq_ignore_ascii_case("q") {
                        q = value.trim().parse().unwrap_or(0.0);
                    }
                }
            }
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(gzip.map_or(q, |g: f64| g.max(q)));
            } else if coding == "*" {
                any = Some(q);
            }
        }
    }
    gzip.or(any).is_some_and(|q| q > 0.0 && q <= 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_table() {
        let table: &[(&[&str], bool)] = &[
            (&[], false),
            (&["gzip"], true),
            (&["GZIP"], true),
            (&["x-gzip"], true),
            (&["gzip;q=0"], false),
            (&["gzip; q=0.0"], false),
            (&["gzip;q=0.001"], true),
            (&["identity"], false),
            (&["deflate, gzip;q=0.5"], true),
            (&["br", "gzip"], true),
            (&["*"], true),
            (&["*;q=0"], false),
            (&["gzip;q=0, *"], false),
            (&["identity;q=1, *;q=0.5"], true),
            (&["gzip;q=banana"], false),
        ];
        for &(values, expected) in table {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
            }
            assert_eq!(accepts_gzip(&headers), expected, "{values:?}");
        }
    }

    #[test]
    fn joined_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(joined(&headers, ACCEPT), None);
        headers.append(ACCEPT, HeaderValue::from_static("text/plain;q=0.1"));
        headers.append(
            ACCEPT,
            HeaderValue::from_static("application/openmetrics-text"),
        );
        assert_eq!(
            joined(&headers, ACCEPT).as_deref(),
            Some("text/plain;q=0.1,application/openmetrics-text")
        );
    }
}
