//! The demo's HTTP side: the metrics routes from `vitals::http` (`/metrics` negotiated, gzip,
//! `/metrics/json`, `/health`) and a small API (`/api/...`) that the traffic task calls the way
//! a client would, all measured by the request-metrics layer.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use vitals::http::{metrics_router, MetricsConfig, RequestMetricsConfig};
use vitals::Registry;

use super::Error;

/// The index served at `/`.
const INDEX: &str = "\
vitals demo: a simulated job-processing service.

GET  /metrics            the metrics: Prometheus text 0.0.4, OpenMetrics 1.0.0 or JSON, by the
                         Accept header (gzip when Accept-Encoding asks)
GET  /metrics/json       the metrics as JSON
GET  /health             {\"status\":\"ok\"}
POST /api/alerts         the demo's API, measured as http_requests_total and friends by route
GET  /api/incidents/{id}
";

/// The whole app: index, API (measured), metrics routes, and a 404 for anything else.
pub(crate) fn router(registry: &Registry) -> Result<Router, Error> {
    let metrics = metrics_router(registry.clone(), MetricsConfig::new()).map_err(Error::Http)?;
    // `Router::layer` on the whole app: every request is seen, scrapes included, labelled by
    // its route template (`/api/incidents/{id}`, never the raw path); what matches no route
    // (the 404 fallback) shares the one value `unmatched`.
    let layer = RequestMetricsConfig::new()
        .build(registry)
        .map_err(Error::Metrics)?;
    Ok(Router::new()
        .route("/", get(index))
        .route("/api/alerts", post(accept_alert))
        .route("/api/incidents/{id}", get(incident))
        .merge(metrics)
        .fallback(not_found)
        .layer(layer))
}

async fn index() -> &'static str {
    INDEX
}

async fn accept_alert(body: String) -> (StatusCode, &'static str) {
    if body.is_empty() {
        (StatusCode::BAD_REQUEST, "an alert needs a body\n")
    } else {
        (StatusCode::ACCEPTED, "accepted\n")
    }
}

async fn incident(Path(id): Path<u32>) -> (StatusCode, String) {
    match find_incident(id).await {
        Ok(body) => (StatusCode::OK, body),
        Err(error) => (StatusCode::NOT_FOUND, format!("{error}\n")),
    }
}

/// Why an incident could not be found: the variant names are the `error_kind` label.
#[derive(Debug, vitals::instrument::ErrorLabel)]
enum LookupError {
    Unknown(u32),
    Archived(u32),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::Unknown(id) => write!(f, "no incident {id}"),
            LookupError::Archived(id) => write!(f, "incident {id} is archived"),
        }
    }
}

impl std::error::Error for LookupError {}

/// The incident store, recorded by `#[vitals::instrument]`: `demo_function_calls_total` by
/// result and error kind, `demo_function_call_duration_seconds`, `demo_function_calls_in_flight`.
#[vitals::instrument(registry = super::REGISTRY, error_kind)]
async fn find_incident(id: u32) -> Result<String, LookupError> {
    // Every tenth incident is unknown and every seventh archived, so the results vary.
    if id % 10 == 0 {
        Err(LookupError::Unknown(id))
    } else if id % 7 == 0 {
        Err(LookupError::Archived(id))
    } else {
        Ok(format!("{{\"id\":{id},\"state\":\"open\"}}\n"))
    }
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found; try /metrics\n")
}
