//! Seed 001, pattern 3 (middleware instrumentation), in Rust: the request-metrics layer on an
//! axum router, and the `/metrics` route beside it.
//!
//! The seed's Flask middleware labels by `request.path`, one series per user id; the layer
//! labels by the route template (`/users/{id}`), so the series stay bounded.
//!
//! Run: `cargo run -p vitals-http --example middleware`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use vitals_core::Registry;
use vitals_http::{metrics_router, MetricsConfig, RequestMetricsConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    let metrics = RequestMetricsConfig::new()
        .with_excluded_paths(["/metrics"])
        .build(&registry)?;

    let app: Router = Router::new()
        .route("/users/{id}", get(|| async { "a user" }))
        .merge(metrics_router(registry.clone(), MetricsConfig::default())?)
        .layer(metrics);

    // Three users, one series: the template, not the path.
    for id in [17, 42, 99] {
        let request = Request::get(format!("/users/{id}")).body(Body::empty())?;
        let response = app.clone().oneshot(request).await?;
        assert_eq!(response.status(), StatusCode::OK);
        // The request is recorded when its response body ends.
        axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    }

    let scrape = Request::get("/metrics").body(Body::empty())?;
    let body = axum::body::to_bytes(app.oneshot(scrape).await?.into_body(), usize::MAX).await?;
    let text = String::from_utf8(body.to_vec())?;
    println!("{text}");

    let requests: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert_eq!(
        requests,
        ["http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 3"],
        "{text}"
    );
    Ok(())
}
