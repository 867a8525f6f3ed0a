//! The request-metrics layer: `http_requests_total`, `http_request_duration_seconds`,
//! `http_request_size_bytes`, `http_response_size_bytes` and `http_requests_in_flight`, by
//! method, route and status, for any tower service.
//!
//! ```
//! use axum::{routing::get, Router};
//! use vitals_core::Registry;
//! use vitals_http::{RequestMetricsConfig, RequestMetricsLayer};
//!
//! let registry = Registry::new();
//! let metrics: RequestMetricsLayer = RequestMetricsConfig::new()
//!     .with_excluded_paths(["/metrics", "/health"])
//!     .build(&registry)?;
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "a user" }))
//!     .route("/health", get(|| async { "ok" }))
//!     // After routing, so every request, 404s included, is measured; the route label is
//!     // `/users/{id}` for /users/42 and /users/43 alike, and "unmatched" for the 404s.
//!     .layer(metrics.clone());
//! # let _ = app;
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! # Where it goes in an axum `Router`
//!
//! The route label is axum's [`MatchedPath`](axum::extract::MatchedPath): the template the
//! request matched (`/users/{id}`), never the raw path, so a scan of random paths cannot create
//! a series per path. axum puts it in the request's extensions as it routes, so:
//!
//! - `Router::layer(metrics)`: the layer sees every request, after routing. Matched requests
//!   carry their template; requests no route matches (404s, and anything a `fallback`
//!   handles) have no `MatchedPath` and all share the unmatched value
//!   ([`with_unmatched_route`](RequestMetricsConfig::with_unmatched_route), default
//!   `"unmatched"`). Best for most services.
//! - `Router::route_layer(metrics)`: the layer runs inside each matched route only. 404s are
//!   not measured at all (nothing to label), and routes added after the call are not wrapped.
//! - Outside the router (a `tower::ServiceBuilder` wrapping the whole `Router`): axum has not
//!   routed yet, so every request is unmatched. Don't; use one of the above.
//!
//! For a tower service that is not an axum router, give a
//! [`RouteResolver`] closure that returns the template
//! ([`with_route_resolver`](RequestMetricsConfig::with_route_resolver)).
//!
//! # When a request is counted
//!
//! The in-flight gauge goes up when the request arrives. Everything else (the counter, the
//! duration, both sizes, and the in-flight gauge going down) is recorded once, when the
//! response body ends: its last frame is read, or it fails, or it is dropped before the end.
//! The duration therefore includes streaming the body, not just producing the headers. Other
//! endings:
//!
//! - The body is dropped early (the client went away mid-stream): recorded then, with the
//!   response's status and the bytes sent so far.
//! - The inner service returns an error: recorded with status 500 (class `5xx`) and a response
//!   size of 0 bytes.
//! - The future is dropped before a response (cancelled): the request leaves the in-flight
//!   gauge and is not counted, unless
//!   [`with_cancelled_status`](RequestMetricsConfig::with_cancelled_status) names a status for
//!   it.
//! - Excluded paths or routes ([`with_excluded_paths`](RequestMetricsConfig::with_excluded_paths))
//!   are not measured at all.
//!
//! # Sizes
//!
//! The response size is the sum of the lengths of the body's data frames (after any
//! compression layer inside this one, before any outside it). The request size is the
//! request's `Content-Length`, or else the body's exact size hint; a body of unknown length
//! (chunked upload) is not observed, so the request size histogram may count fewer requests
//! than the counter. The request body is not wrapped, because the services inside an axum
//! `route_layer` only accept axum's own body type.
//!
//! # Labels
//!
//! Methods other than the nine standard ones are folded into `"other"`
//! ([`with_other_method`](RequestMetricsConfig::with_other_method),
//! [`with_extra_methods`](RequestMetricsConfig::with_extra_methods)). The status is the code
//! (`"200"`) or the class (`"2xx"`, [`StatusLabel::Class`]). Each label can be renamed or left
//! out; the in-flight gauge has method and route only.

mod body;
mod config;
mod future;
#[allow(clippy::module_inception)] // tower-http's anatomy: layer/layer.rs beside service.rs.
mod layer;
mod record;
mod service;

pub use body::ResponseBody;
pub use config::{
    RequestMetricsConfig, RouteResolver, StatusLabel, DEFAULT_DURATION_NAME,
    DEFAULT_IN_FLIGHT_NAME, DEFAULT_OTHER_METHOD, DEFAULT_REQUESTS_NAME, DEFAULT_REQUEST_SIZE_NAME,
    DEFAULT_RESPONSE_SIZE_NAME, DEFAULT_SIZE_BUCKETS, DEFAULT_UNMATCHED_ROUTE,
};
pub use future::ResponseFuture;
pub use layer::RequestMetricsLayer;
pub use service::RequestMetrics;
