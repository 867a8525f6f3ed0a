//! A derived label set end to end: registered as a family, updated, and encoded.

use vitals::{encode_to_string, Format, LabelSet, LabelValue, Registry};

#[derive(LabelValue, Clone, Copy)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
}

#[derive(LabelValue, Clone, Copy)]
enum Outcome {
    Success,
    ServerError,
}

#[derive(LabelSet)]
struct Request<'a> {
    method: Method,
    #[label(rename = "handler")]
    route: &'a str,
    outcome: Outcome,
}

#[test]
fn a_derived_family_encodes_its_labels() {
    let registry = Registry::new();
    let requests = registry
        .counter("http_requests", "HTTP requests served.")
        .register_typed::<Request>()
        .expect("registers");

    let get = Request {
        method: Method::Get,
        route: "/users/{id}",
        outcome: Outcome::Success,
    };
    requests.get(&get).inc();
    requests.get(&get).inc();
    requests
        .get(&Request {
            method: Method::Post,
            route: "/users",
            outcome: Outcome::ServerError,
        })
        .inc();
    // An equal label set built from another string is the same series.
    let route = String::from("/users/{id}");
    requests
        .get(&Request {
            method: Method::Get,
            route: &route,
            outcome: Outcome::Success,
        })
        .inc();

    let text = encode_to_string(&registry, Format::PrometheusText);
    let samples: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
    assert_eq!(
        samples,
        [
            r#"http_requests_total{method="GET",handler="/users/{id}",outcome="success"} 3"#,
            r#"http_requests_total{method="POST",handler="/users",outcome="server_error"} 1"#,
        ],
        "{text}"
    );
}
