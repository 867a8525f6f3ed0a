//! The demo's HTTP routes: `/metrics` in the format the scraper asks for, `/` an index.

use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use vitals::{Format, Registry};

/// The index served at `/`.
const INDEX: &str = "\
vitals demo: a simulated job-processing service.

GET /metrics   the metrics: Prometheus text 0.0.4, or OpenMetrics 1.0.0 when the Accept
               header asks for application/openmetrics-text
";

/// The router: `/metrics`, `/`, and 404 for anything else.
pub(crate) fn router(registry: Registry) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .fallback(not_found)
        .with_state(registry)
}

/// Encodes the registry afresh for each scrape: walking it is cheap, and the values are
/// always current.
async fn metrics(State(registry): State<Registry>, headers: HeaderMap) -> impl IntoResponse {
    // Several Accept headers mean the same as one with their values joined by commas.
    let accept: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let accept = (!accept.is_empty()).then(|| accept.join(","));
    let format = Format::negotiate(accept.as_deref());
    let mut body = Vec::with_capacity(16 * 1024);
    vitals::encode(&registry, format, &mut body);
    ([(CONTENT_TYPE, format.content_type())], body)
}

async fn index() -> &'static str {
    INDEX
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found; try /metrics\n")
}
