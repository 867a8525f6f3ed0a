//! The request-metrics layer, driven in-process with `tower::ServiceExt::oneshot`: route
//! templates, unmatched requests, method folding, in-flight, counting at the end of the body,
//! sizes, exclusions, cancellation, errors and non-axum services.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::routing::{any, get, post};
use axum::Router;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::sync::{mpsc, oneshot};
use tower::{Layer, ServiceExt};
use vitals_core::Registry;
use vitals_expfmt::{encode_to_string, Format};
use vitals_http::layer::ResponseBody;
use vitals_http::{RequestMetricsConfig, RequestMetricsLayer, StatusLabel};

/// A response body whose frames the test sends one at a time; it ends when the sender drops.
struct ChannelBody(mpsc::UnboundedReceiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// A handler that returns a streaming body fed by the sender it hands back.
fn streaming_route() -> (Router, mpsc::UnboundedSender<Bytes>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let rx = Arc::new(Mutex::new(Some(rx)));
    let router = Router::new().route(
        "/stream",
        get(move || {
            let rx = rx.lock().unwrap().take().expect("one request per stream");
            async move { Body::new(ChannelBody(rx)) }
        }),
    );
    (router, tx)
}

/// A handler that says when it has started and then waits to be released (or forever, if
/// the release sender is dropped without sending).
fn slow_route() -> (Router, oneshot::Receiver<()>, oneshot::Sender<()>) {
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let slot = Arc::new(Mutex::new(Some((entered_tx, release_rx))));
    let router = Router::new().route(
        "/slow",
        get(move || {
            let (entered, release) = slot.lock().unwrap().take().expect("one slow request");
            async move {
                let _ = entered.send(());
                if release.await.is_err() {
                    std::future::pending::<()>().await;
                }
                "slow done"
            }
        }),
    );
    (router, entered_rx, release_tx)
}

fn app(layer: &RequestMetricsLayer) -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(
                |axum::extract::Path(id): axum::extract::Path<String>| async move {
                    format!("user {id}")
                },
            ),
        )
        .route("/any", any(|| async { "any" }))
        .route(
            "/upload",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route("/metrics", get(|| async { "# EOF\n" }))
        .route("/health", get(|| async { "ok" }))
        .layer(layer.clone())
}

fn request(method: Method, path: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap()
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Bytes) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

async fn get_path(app: &Router, path: &str) -> (StatusCode, Bytes) {
    send(app, request(Method::GET, path)).await
}

#[tokio::test]
async fn route_template_not_raw_path() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let app = app(&layer);

    assert_eq!(get_path(&app, "/users/42").await.1, "user 42");
    assert_eq!(get_path(&app, "/users/43").await.1, "user 43");

    let labels = ["GET", "/users/{id}", "200"];
    assert_eq!(layer.requests().with_labels(&labels).get(), 2);
    assert_eq!(layer.requests().len(), 1, "one series for both ids");
    assert_eq!(layer.duration().with_labels(&labels).count(), 2);
    let response_size = layer.response_size().unwrap().with_labels(&labels);
    assert_eq!(response_size.count(), 2);
    assert_eq!(response_size.sum(), 14.0, "\"user 42\" and \"user 43\"");
    let request_size = layer.request_size().unwrap().with_labels(&labels);
    assert_eq!((request_size.count(), request_size.sum()), (2, 0.0));

    let text = encode_to_string(&registry, Format::PrometheusText);
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/users/{id}",status="200"} 2"#),
        "{text}"
    );
    assert!(!text.contains("/users/42"), "{text}");
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    assert!(text.contains("# TYPE http_request_size_bytes histogram"));
    assert!(text.contains("# TYPE http_response_size_bytes histogram"));
    assert!(text.contains("# TYPE http_requests_in_flight gauge"));
}

#[tokio::test]
async fn unmatched_requests_share_one_label_value() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let app = app(&layer);

    assert_eq!(get_path(&app, "/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get_path(&app, "/wp-admin/x.php").await.0,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        layer
            .requests()
            .with_labels(&["GET", "unmatched", "404"])
            .get(),
        2
    );
    assert_eq!(layer.requests().len(), 1);
}

#[tokio::test]
async fn random_path_scan_yields_bounded_series() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let app = app(&layer);

    // A cheap deterministic generator: the point is many distinct paths, not randomness.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let path = if i % 2 == 0 {
            format!("/users/{x}")
        } else {
            format!("/{x:x}/{}", x % 977)
        };
        get_path(&app, &path).await;
    }

    assert_eq!(layer.requests().len(), 2, "users 200 and unmatched 404");
    assert_eq!(
        layer
            .requests()
            .with_labels(&["GET", "/users/{id}", "200"])
            .get(),
        5_000
    );
    assert_eq!(
        layer
            .requests()
            .with_labels(&["GET", "unmatched", "404"])
            .get(),
        5_000
    );
    assert!(layer.in_flight().unwrap().len() <= 2);
}

#[tokio::test]
async fn non_standard_methods_are_folded() {
    let registry = Registry::new();
    let layer = RequestMetricsConfig::new()
        .with_extra_methods(["PROPFIND"])
        .build(&registry)
        .unwrap();
    let app = app(&layer);

    for m in ["BREW", "FOO", "PROPFIND"] {
        let method = Method::from_bytes(m.as_bytes()).unwrap();
        assert_eq!(send(&app, request(method, "/any")).await.0, StatusCode::OK);
    }
    send(&app, request(Method::DELETE, "/any")).await;

    let requests = layer.requests();
    assert_eq!(requests.with_labels(&["other", "/any", "200"]).get(), 2);
    assert_eq!(requests.with_labels(&["PROPFIND", "/any", "200"]).get(), 1);
    assert_eq!(requests.with_labels(&["DELETE", "/any", "200"]).get(), 1);
    assert_eq!(requests.len(), 3);
}

#[tokio::test]
async fn in_flight_rises_during_a_slow_handler_and_falls_when_the_body_ends() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let (router, entered, release) = slow_route();
    let app = router.layer(layer.clone());
    let gauge = layer.in_flight().unwrap().with_labels(&["GET", "/slow"]);

    let task = tokio::spawn({
        let app = app.clone();
        async move { app.oneshot(request(Method::GET, "/slow")).await.unwrap() }
    });
    entered.await.unwrap();
    assert_eq!(gauge.get(), 1);
    assert_eq!(layer.requests().len(), 0);

    release.send(()).unwrap();
    let resp = task.await.unwrap();
    // The headers are out but the body has not been read: still in flight, not yet counted.
    assert_eq!(gauge.get(), 1);
    assert_eq!(layer.requests().len(), 0);

    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "slow done");
    assert_eq!(gauge.get(), 0);
    assert_eq!(
        layer.requests().with_labels(&["GET", "/slow", "200"]).get(),
        1
    );
}

#[tokio::test]
async fn streaming_body_is_counted_when_it_ends() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let (router, tx) = streaming_route();
    let app = router.layer(layer.clone());
    let labels = ["GET", "/stream", "200"];
    let counter = layer.requests().with_labels(&labels);
    let gauge = layer.in_flight().unwrap().with_labels(&["GET", "/stream"]);

    let resp = app.oneshot(request(Method::GET, "/stream")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();

    tx.send(Bytes::from_static(b"hello ")).unwrap();
    let frame = body.frame().await.unwrap().unwrap();
    assert_eq!(frame.into_data().unwrap(), "hello ");
    assert_eq!(counter.get(), 0, "not counted while streaming");
    assert_eq!(gauge.get(), 1);

    // The duration covers the whole stream, so it is at least this pause.
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.send(Bytes::from_static(b"world!")).unwrap();
    let frame = body.frame().await.unwrap().unwrap();
    assert_eq!(frame.into_data().unwrap(), "world!");
    assert_eq!(counter.get(), 0);

    drop(tx);
    assert!(body.frame().await.is_none());
    assert_eq!(counter.get(), 1, "counted once the body ended");
    assert_eq!(gauge.get(), 0);
    let response_size = layer.response_size().unwrap().with_labels(&labels);
    assert_eq!((response_size.count(), response_size.sum()), (1, 12.0));
    let duration = layer.duration().with_labels(&labels);
    assert_eq!(duration.count(), 1);
    assert!(duration.sum() >= 0.05, "duration {}", duration.sum());

    // Reading past the end does not count it again.
    drop(body);
    assert_eq!(counter.get(), 1);
}

#[tokio::test]
async fn body_dropped_early_is_counted_with_bytes_so_far() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let (router, tx) = streaming_route();
    let app = router.layer(layer.clone());
    let labels = ["GET", "/stream", "200"];

    let resp = app.oneshot(request(Method::GET, "/stream")).await.unwrap();
    let mut body = resp.into_body();
    tx.send(Bytes::from_static(b"abc")).unwrap();
    body.frame().await.unwrap().unwrap();
    tx.send(Bytes::from_static(b"never read")).unwrap();
    assert_eq!(layer.requests().with_labels(&labels).get(), 0);

    drop(body); // the client went away
    assert_eq!(layer.requests().with_labels(&labels).get(), 1);
    assert_eq!(
        layer.response_size().unwrap().with_labels(&labels).sum(),
        3.0
    );
    assert_eq!(
        layer
            .in_flight()
            .unwrap()
            .with_labels(&["GET", "/stream"])
            .get(),
        0
    );
}

#[tokio::test]
async fn cancelled_request_leaves_in_flight_at_zero_and_is_not_counted() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let (router, entered, release) = slow_route();
    let app = router.layer(layer.clone());
    let gauge = layer.in_flight().unwrap().with_labels(&["GET", "/slow"]);

    let task = tokio::spawn(async move { app.oneshot(request(Method::GET, "/slow")).await });
    entered.await.unwrap();
    assert_eq!(gauge.get(), 1);

    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    drop(release);
    assert_eq!(gauge.get(), 0);
    assert_eq!(
        layer.requests().len(),
        0,
        "no status, not counted by default"
    );
    assert_eq!(layer.duration().len(), 0);
}

#[tokio::test]
async fn cancelled_request_can_be_counted_under_a_status() {
    let registry = Registry::new();
    let layer = RequestMetricsConfig::new()
        .with_cancelled_status(Some("499"))
        .build(&registry)
        .unwrap();
    let (router, entered, _release) = slow_route();
    let app = router.layer(layer.clone());

    // Dropping the future from an outer timeout is the same as a client going away.
    let call = app.oneshot(request(Method::GET, "/slow"));
    let timed = tokio::spawn(tokio::time::timeout(Duration::from_millis(100), call));
    entered.await.unwrap();
    assert!(timed.await.unwrap().is_err(), "timed out");

    assert_eq!(
        layer.requests().with_labels(&["GET", "/slow", "499"]).get(),
        1
    );
    assert_eq!(
        layer
            .duration()
            .with_labels(&["GET", "/slow", "499"])
            .count(),
        1
    );
    assert_eq!(
        layer
            .in_flight()
            .unwrap()
            .with_labels(&["GET", "/slow"])
            .get(),
        0
    );
}

#[tokio::test]
async fn excluded_paths_are_not_measured() {
    let registry = Registry::new();
    let layer = RequestMetricsConfig::new()
        .with_excluded_paths(["/metrics", "/health"])
        .build(&registry)
        .unwrap();
    let app = app(&layer);

    assert_eq!(get_path(&app, "/metrics").await.0, StatusCode::OK);
    assert_eq!(get_path(&app, "/health").await.0, StatusCode::OK);
    assert_eq!(layer.requests().len(), 0);
    assert_eq!(layer.in_flight().unwrap().len(), 0);

    get_path(&app, "/users/1").await;
    assert_eq!(layer.requests().len(), 1);
}

#[tokio::test]
async fn excluded_routes_match_the_template() {
    let registry = Registry::new();
    let layer = RequestMetricsConfig::new()
        .with_excluded_paths(["/users/{id}"])
        .build(&registry)
        .unwrap();
    let app = app(&layer);

    get_path(&app, "/users/7").await;
    get_path(&app, "/any").await;
    assert_eq!(layer.requests().len(), 1);
    assert_eq!(
        layer.requests().with_labels(&["GET", "/any", "200"]).get(),
        1
    );
}

#[tokio::test]
async fn request_size_from_body_length() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let app = app(&layer);

    let req = Request::post("/upload")
        .body(Body::from("hello world"))
        .unwrap();
    assert_eq!(send(&app, req).await.1, "11");
    let req = Request::post("/upload")
        .header("content-length", "5")
        .body(Body::from("12345"))
        .unwrap();
    assert_eq!(send(&app, req).await.1, "5");

    let labels = ["POST", "/upload", "200"];
    let request_size = layer.request_size().unwrap().with_labels(&labels);
    assert_eq!((request_size.count(), request_size.sum()), (2, 16.0));
    let response_size = layer.response_size().unwrap().with_labels(&labels);
    assert_eq!(response_size.sum(), 3.0, "\"11\" and \"5\"");
}

#[tokio::test]
async fn route_layer_does_not_see_404s() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let app = Router::new()
        .route("/users/{id}", get(|| async { "u" }))
        .route_layer(layer.clone());

    get_path(&app, "/users/5").await;
    assert_eq!(get_path(&app, "/missing").await.0, StatusCode::NOT_FOUND);
    assert_eq!(layer.requests().len(), 1);
    assert_eq!(
        layer
            .requests()
            .with_labels(&["GET", "/users/{id}", "200"])
            .get(),
        1
    );
}

#[tokio::test]
async fn status_class_and_label_configuration() {
    let registry = Registry::new();
    let layer = RequestMetricsConfig::new()
        .with_status_label(StatusLabel::Class)
        .with_route_label(None)
        .with_method_label(Some("verb"))
        .with_status_label_name(Some("code"))
        .with_unmatched_route("none")
        .with_requests_name("api_requests_total")
        .with_duration_name("api_request_duration_seconds")
        .with_duration_buckets(&[0.5, 1.0])
        .with_size_histograms(false)
        .with_in_flight(false)
        .build(&registry)
        .unwrap();
    let app = app(&layer);

    get_path(&app, "/users/1").await;
    get_path(&app, "/any").await;
    get_path(&app, "/nope").await;

    let names: Vec<&str> = layer.requests().label_names().collect();
    assert_eq!(names, ["verb", "code"]);
    assert_eq!(layer.requests().with_labels(&["GET", "2xx"]).get(), 2);
    assert_eq!(layer.requests().with_labels(&["GET", "4xx"]).get(), 1);
    assert!(layer.request_size().is_none() && layer.in_flight().is_none());

    let text = encode_to_string(&registry, Format::OpenMetrics);
    assert!(
        text.contains(r#"api_requests_total{verb="GET",code="2xx"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"api_request_duration_seconds_bucket{verb="GET",code="2xx",le="0.5"}"#));
    assert!(!text.contains("http_"), "{text}");
}

#[tokio::test]
async fn registration_errors_are_typed() {
    let registry = Registry::new();
    RequestMetricsLayer::new(&registry).unwrap();
    let err = RequestMetricsLayer::new(&registry).unwrap_err();
    assert_eq!(err.kind(), vitals_core::ErrorKind::DuplicateMetric);

    let err = RequestMetricsConfig::new()
        .with_requests_name("other_requests_total")
        .with_duration_name("other_duration_seconds")
        .with_duration_buckets(&[1.0, 0.5])
        .build(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), vitals_core::ErrorKind::InvalidBuckets);
}

/// A plain tower service (no axum routing): the route comes from the resolver, and an error
/// from the service is counted as 500.
#[tokio::test]
async fn non_axum_service_with_resolver_and_errors() {
    let registry = Registry::new();
    let layer = RequestMetricsConfig::new()
        .with_route_resolver(|parts: &http::request::Parts| {
            parts
                .uri
                .path()
                .starts_with("/items/")
                .then_some("/items/:id")
        })
        .build(&registry)
        .unwrap();
    let service = layer.layer(tower::service_fn(|req: Request<String>| async move {
        if req.uri().path().ends_with("/fail") {
            Err("backend down")
        } else {
            Ok(Response::new(format!("item at {}", req.uri().path())))
        }
    }));

    let resp: Response<ResponseBody<String>> = service
        .clone()
        .oneshot(Request::get("/items/9").body(String::new()).unwrap())
        .await
        .unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "item at /items/9");

    let err = service
        .clone()
        .oneshot(Request::get("/items/fail").body(String::new()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err, "backend down");

    service
        .clone()
        .oneshot(Request::get("/elsewhere").body(String::new()).unwrap())
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();

    let requests = layer.requests();
    assert_eq!(requests.with_labels(&["GET", "/items/:id", "200"]).get(), 1);
    assert_eq!(requests.with_labels(&["GET", "/items/:id", "500"]).get(), 1);
    assert_eq!(requests.with_labels(&["GET", "unmatched", "200"]).get(), 1);
    assert_eq!(requests.len(), 3);
    assert_eq!(
        layer
            .in_flight()
            .unwrap()
            .with_labels(&["GET", "/items/:id"])
            .get(),
        0
    );
}

/// Through a real server on loopback: hyper may stop polling a body once `is_end_stream` is
/// true and drop it, rather than read to `None`; each request is still recorded exactly once.
#[tokio::test]
async fn served_over_tcp() {
    let registry = Registry::new();
    let layer = RequestMetricsLayer::new(&registry).unwrap();
    let app = app(&layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    for id in [1, 2, 3] {
        let body = tokio::task::spawn_blocking(move || {
            ureq::get(&format!("http://{addr}/users/{id}"))
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(body, format!("user {id}"));
    }

    // The server records right after writing the body; the client may read it first.
    let counter = layer.requests().with_labels(&["GET", "/users/{id}", "200"]);
    for _ in 0..100 {
        if counter.get() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(counter.get(), 3);
    assert_eq!(
        layer
            .in_flight()
            .unwrap()
            .with_labels(&["GET", "/users/{id}"])
            .get(),
        0
    );
    server.abort();
}
