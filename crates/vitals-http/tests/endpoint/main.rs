//! The metrics routes over real HTTP on 127.0.0.1: negotiation, content types, gzip, HEAD,
//! authentication, the allow-list, health, 404, and the standalone servers' shutdown.

mod client;

use std::io::Read as _;
use std::net::SocketAddr;

use client::{request, Reply};
use vitals_core::Registry;
use vitals_expfmt::Format;
use vitals_http::{
    serve_in_background, BackgroundServer, ConfigError, Health, MetricsConfig, ServeError,
    ServerConfig,
};

/// Prometheus 2.x's `Accept` header, as sent by the scraper (scrape/scrape.go).
const PROMETHEUS_2_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// Prometheus 3.x's default `Accept` header (scrape_protocols default order).
const PROMETHEUS_3_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// Prometheus 2.x with `scrape_protocols: [PrometheusText0.0.4]`.
const PROMETHEUS_TEXT_ONLY_ACCEPT: &str = "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn registry() -> Registry {
    let registry = Registry::new();
    let jobs = registry
        .counter("jobs", "Jobs run.")
        .register_family(&["queue"])
        .unwrap();
    jobs.with_labels(&["café ☕"]).inc_by(3);
    registry
        .gauge("queue_depth", "Jobs waiting.")
        .register()
        .unwrap()
        .set(7);
    registry
}

fn start(config: MetricsConfig) -> (BackgroundServer, Registry) {
    let registry = registry();
    let server = serve_in_background(
        ServerConfig::new(registry.clone())
            .with_addr("127.0.0.1:0".parse().unwrap())
            .with_metrics(config),
    )
    .expect("start the server");
    (server, registry)
}

fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", path, headers)
}

fn expected(registry: &Registry, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    vitals_expfmt::encode(registry, format, &mut out);
    out
}

#[test]
fn negotiation_table() {
    let (server, registry) = start(MetricsConfig::new());
    let addr = server.local_addr();
    let table: &[(&[&str], Format)] = &[
        (&[], Format::PrometheusText),
        (&[PROMETHEUS_2_ACCEPT], Format::OpenMetrics),
        (&[PROMETHEUS_3_ACCEPT], Format::OpenMetrics),
        (&[PROMETHEUS_TEXT_ONLY_ACCEPT], Format::PrometheusText),
        (&["text/plain"], Format::PrometheusText),
        (&["text/plain; version=0.0.4"], Format::PrometheusText),
        (&["*/*"], Format::PrometheusText),
        (&["application/openmetrics-text"], Format::OpenMetrics),
        (
            &["application/openmetrics-text; version=1.0.0"],
            Format::OpenMetrics,
        ),
        (
            &["application/openmetrics-text;q=0"],
            Format::PrometheusText,
        ),
        (
            &["text/plain;q=0.9, application/openmetrics-text;q=0.8"],
            Format::PrometheusText,
        ),
        (&["application/json"], Format::Json),
        (&["image/png"], Format::PrometheusText),
        // Two Accept lines mean one list: the second line's higher q wins.
        (
            &["text/plain;q=0.3", "application/openmetrics-text;q=0.9"],
            Format::OpenMetrics,
        ),
    ];
    for &(accepts, format) in table {
        let headers: Vec<(&str, &str)> = accepts.iter().map(|a| ("Accept", *a)).collect();
        let reply = get(addr, "/metrics", &headers);
        assert_eq!(reply.status, 200, "{accepts:?}");
        assert_eq!(
            reply.header("content-type"),
            Some(format.content_type()),
            "{accepts:?}"
        );
        assert_eq!(
            reply.header("vary"),
            Some("Accept, Accept-Encoding"),
            "{accepts:?}"
        );
        assert_eq!(reply.header("content-encoding"), None, "{accepts:?}");
        assert_eq!(reply.body, expected(&registry, format), "{accepts:?}");
    }
    server.shutdown().unwrap();
}

#[test]
fn exact_bodies() {
    let (server, _registry) = start(MetricsConfig::new());
    let addr = server.local_addr();
    let text = get(addr, "/metrics", &[]);
    assert_eq!(
        String::from_utf8(text.body).unwrap(),
        "# HELP jobs_total Jobs run.\n\
         # TYPE jobs_total counter\n\
         jobs_total{queue=\"café ☕\"} 3\n\
         # HELP queue_depth Jobs waiting.\n\
         # TYPE queue_depth gauge\n\
         queue_depth 7\n"
    );
    let om = get(
        addr,
        "/metrics",
        &[("Accept", "application/openmetrics-text")],
    );
    let om = String::from_utf8(om.body).unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("jobs_total{queue=\"café ☕\"} 3\n"), "{om}");
    server.shutdown().unwrap();
}

#[test]
fn openmetrics_can_be_turned_off() {
    let (server, _registry) = start(MetricsConfig::new().with_openmetrics(false));
    let reply = get(
        server.local_addr(),
        "/metrics",
        &[("Accept", PROMETHEUS_2_ACCEPT)],
    );
    assert_eq!(
        reply.header("content-type"),
        Some(Format::PrometheusText.content_type())
    );
    server.shutdown().unwrap();
}

#[test]
fn json_route_is_always_json() {
    let (server, registry) = start(MetricsConfig::new());
    for accept in ["", "text/plain", "application/openmetrics-text"] {
        let headers: &[(&str, &str)] = if accept.is_empty() {
            &[]
        } else {
            &[("Accept", accept)]
        };
        let reply = get(server.local_addr(), "/metrics/json", headers);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.body, expected(&registry, Format::Json));
        let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(json["version"], 1);
    }
    server.shutdown().unwrap();
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a valid gzip body");
    out
}

#[test]
fn gzip_when_asked() {
    let (server, registry) = start(MetricsConfig::new());
    let addr = server.local_addr();
    let table: &[(&str, bool)] = &[
        ("gzip", true),
        ("gzip, deflate, br", true),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", true),
        ("*", true),
        ("gzip;q=0", false),
        ("identity", false),
        ("deflate", false),
        ("*;q=0", false),
    ];
    for &(encoding, gzipped) in table {
        for (path, format, accept) in [
            ("/metrics", Format::OpenMetrics, PROMETHEUS_2_ACCEPT),
            ("/metrics", Format::PrometheusText, "text/plain"),
            ("/metrics/json", Format::Json, "*/*"),
        ] {
            let reply = get(
                addr,
                path,
                &[("Accept", accept), ("Accept-Encoding", encoding)],
            );
            assert_eq!(reply.status, 200);
            assert_eq!(reply.header("content-type"), Some(format.content_type()));
            let body = if gzipped {
                assert_eq!(reply.header("content-encoding"), Some("gzip"), "{encoding}");
                gunzip(&reply.body)
            } else {
                assert_eq!(reply.header("content-encoding"), None, "{encoding}");
                reply.body
            };
            assert_eq!(body, expected(&registry, format), "{encoding} {path}");
        }
    }
    server.shutdown().unwrap();

    let (server, _) = start(MetricsConfig::new().with_gzip(false));
    let reply = get(
        server.local_addr(),
        "/metrics",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(reply.header("content-encoding"), None);
    server.shutdown().unwrap();
}

#[test]
fn head_has_headers_and_no_body() {
    let (server, registry) = start(MetricsConfig::new());
    let reply = request(
        server.local_addr(),
        "HEAD",
        "/metrics",
        &[("Accept", "application/openmetrics-text")],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some(Format::OpenMetrics.content_type())
    );
    assert!(reply.body.is_empty());
    if let Some(length) = reply.header("content-length") {
        assert_eq!(
            length.parse::<usize>().unwrap(),
            expected(&registry, Format::OpenMetrics).len()
        );
    }
    server.shutdown().unwrap();
}

#[test]
fn bearer_token() {
    let (server, _) = start(MetricsConfig::new().with_bearer_token("s3cret-T0ken"));
    let addr = server.local_addr();
    for path in ["/metrics", "/metrics/json"] {
        let none = get(addr, path, &[]);
        assert_eq!(none.status, 401);
        assert_eq!(
            none.header("www-authenticate"),
            Some("Bearer realm=\"metrics\"")
        );
        for wrong in [
            "Bearer wrong",
            "Bearer s3cret-T0ke",
            "Bearer s3cret-T0ken2",
            "Basic s3cret-T0ken",
            "s3cret-T0ken",
        ] {
            let reply = get(addr, path, &[("Authorization", wrong)]);
            assert_eq!(reply.status, 401, "{wrong}");
        }
        for right in ["Bearer s3cret-T0ken", "bearer s3cret-T0ken"] {
            let reply = get(addr, path, &[("Authorization", right)]);
            assert_eq!(reply.status, 200, "{right}");
        }
    }
    // With credentials configured, health is protected too unless opened explicitly: a
    // custom health check names the dependencies that fail.
    let refused = get(addr, "/health", &[]);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    assert_eq!(refused.header("vary"), Some("Accept, Accept-Encoding"));
    let ok = get(addr, "/health", &[("Authorization", "Bearer s3cret-T0ken")]);
    assert_eq!(ok.status, 200);
    server.shutdown().unwrap();

    let (server, _) = start(
        MetricsConfig::new()
            .with_bearer_token("tok")
            .with_protected_health(false),
    );
    assert_eq!(get(server.local_addr(), "/health", &[]).status, 200);
    assert_eq!(get(server.local_addr(), "/metrics", &[]).status, 401);
    server.shutdown().unwrap();
}

#[test]
fn ipv4_mapped_networks_are_ipv4_networks() {
    use vitals_http::IpNetwork;
    let mapped: IpNetwork = "::ffff:127.0.0.1".parse().unwrap();
    assert!(mapped.contains("127.0.0.1".parse().unwrap()));
    assert!(mapped.contains("::ffff:127.0.0.1".parse().unwrap()));
    let mapped_net: IpNetwork = "::ffff:10.0.0.0/104".parse().unwrap();
    assert_eq!(mapped_net.to_string(), "10.0.0.0/8");
    assert!(mapped_net.contains("10.1.2.3".parse().unwrap()));
    assert!(!mapped_net.contains("11.1.2.3".parse().unwrap()));
    assert!(
        "::ffff:0:0/64".parse::<IpNetwork>().is_err(),
        "a prefix under 96 is refused"
    );
    let v6: IpNetwork = "::/0".parse().unwrap();
    assert!(v6.contains("2001:db8::1".parse().unwrap()));
    assert!(
        !v6.contains("::ffff:10.1.2.3".parse().unwrap()),
        "IPv4 clients need 0.0.0.0/0"
    );
}

#[test]
fn basic_auth() {
    let (server, _) = start(MetricsConfig::new().with_basic_auth("prometheus", "pa:ss wörd"));
    let addr = server.local_addr();
    let none = get(addr, "/metrics", &[]);
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Basic realm=\"metrics\"")
    );
    // base64("prometheus:pa:ss wörd") and base64("prometheus:wrong").
    let right = "Basic cHJvbWV0aGV1czpwYTpzcyB3w7ZyZA==";
    let wrong = "Basic cHJvbWV0aGV1czp3cm9uZw==";
    assert_eq!(
        get(addr, "/metrics", &[("Authorization", wrong)]).status,
        401
    );
    assert_eq!(
        get(addr, "/metrics", &[("Authorization", "Bearer x")]).status,
        401
    );
    assert_eq!(
        get(addr, "/metrics", &[("Authorization", right)]).status,
        200
    );
    server.shutdown().unwrap();
}

#[test]
fn allow_list() {
    let (server, _) =
        start(MetricsConfig::new().with_allowed_networks(["10.0.0.0/8".parse().unwrap()]));
    let refused = get(server.local_addr(), "/metrics", &[]);
    assert_eq!(refused.status, 403);
    // The allow-list is checked before credentials: no challenge to a refused address.
    assert_eq!(refused.header("www-authenticate"), None);
    server.shutdown().unwrap();

    let (server, _) = start(
        MetricsConfig::new()
            .with_allowed_networks([
                "10.0.0.0/8".parse().unwrap(),
                "127.0.0.0/8".parse().unwrap(),
            ])
            .with_bearer_token("tok"),
    );
    let addr = server.local_addr();
    assert_eq!(get(addr, "/metrics", &[]).status, 401);
    assert_eq!(
        get(addr, "/metrics", &[("Authorization", "Bearer tok")]).status,
        200
    );
    server.shutdown().unwrap();
}

#[test]
fn health_routes() {
    let (server, _) = start(MetricsConfig::new());
    let reply = get(server.local_addr(), "/health", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, br#"{"status":"ok"}"#);
    server.shutdown().unwrap();

    let (server, _) =
        start(MetricsConfig::new().with_health(|| Health::ok().with_check("database", false)));
    let reply = get(server.local_addr(), "/health", &[]);
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.body,
        br#"{"status":"unhealthy","checks":{"database":"fail"}}"#
    );
    server.shutdown().unwrap();
}

#[test]
fn seed_002_paths_and_404() {
    let (server, registry) = start(
        MetricsConfig::new()
            .with_path("/api/metrics")
            .with_json_path("/api/metrics/json")
            .with_health_path("/api/metrics/health"),
    );
    let addr = server.local_addr();
    let metrics = get(addr, "/api/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert_eq!(metrics.body, expected(&registry, Format::PrometheusText));
    assert_eq!(get(addr, "/api/metrics/json", &[]).status, 200);
    assert_eq!(get(addr, "/api/metrics/health", &[]).status, 200);
    for missing in ["/metrics", "/health", "/", "/api/metrics/other"] {
        assert_eq!(get(addr, missing, &[]).status, 404, "{missing}");
    }
    let post = request(addr, "POST", "/api/metrics", &[]);
    assert_eq!(post.status, 405);
    server.shutdown().unwrap();
}

#[test]
fn values_are_current() {
    let (server, registry) = start(MetricsConfig::new());
    let depth = registry
        .gauge("scraped_later", "Set after start.")
        .register()
        .unwrap();
    depth.set(42);
    let reply = get(server.local_addr(), "/metrics", &[]);
    assert!(String::from_utf8(reply.body)
        .unwrap()
        .contains("scraped_later 42\n"));
    server.shutdown().unwrap();
}

#[test]
fn config_errors_are_reported_before_binding() {
    let error = serve_in_background(
        ServerConfig::new(Registry::new())
            .with_addr("127.0.0.1:0".parse().unwrap())
            .with_metrics(MetricsConfig::new().with_path("metrics")),
    )
    .unwrap_err();
    assert!(
        matches!(error, ServeError::Config(ConfigError::InvalidPath { .. })),
        "{error}"
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let error = serve_in_background(
        ServerConfig::new(Registry::new()).with_addr(taken.local_addr().unwrap()),
    )
    .unwrap_err();
    assert!(matches!(error, ServeError::Bind { .. }), "{error}");
}

#[test]
fn async_serve_and_graceful_shutdown() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let registry = registry();
    let server = runtime
        .block_on(vitals_http::serve(
            "127.0.0.1:0".parse().unwrap(),
            registry.clone(),
        ))
        .unwrap();
    let addr = server.local_addr();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    // The blocking client runs on this thread while the runtime's workers serve.
    let reply = get(addr, "/metrics", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, expected(&registry, Format::PrometheusText));
    runtime.block_on(server.shutdown()).unwrap();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still accepting after shutdown"
    );
}

#[test]
fn background_server_stops() {
    let (server, _) = start(MetricsConfig::new());
    let addr = server.local_addr();
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
    server.shutdown().unwrap();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

/// A bounded load test on loopback: 4 scrapers × 150 scrapes, rotating through every format
/// and encoding, while two writers increment a counter, observe a histogram into series that
/// are still being created, and move a gauge. Every response must parse with the strict
/// parser of its format (or as JSON), and the counter must never go backwards.
#[test]
fn concurrent_scrapes_under_load_are_always_valid() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use vitals_expfmt::parse::{parse, Syntax};

    const SCRAPERS: usize = 4;
    const SCRAPES: usize = 150;

    let (server, registry) = start(MetricsConfig::new());
    let addr = server.local_addr();
    let counter = registry
        .counter("busy", "Updated during scrapes.")
        .register()
        .unwrap();
    let latency = registry
        .histogram("busy_seconds", "Observed during scrapes.")
        .register_family(&["shard"])
        .unwrap();
    let level = registry
        .float_gauge("busy_level", "Set during scrapes.")
        .register()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = [
        {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    counter.inc();
                    // New series keep appearing while scrapes walk the family.
                    let shard = (i % 200).to_string();
                    latency
                        .with_labels(&[&shard])
                        .observe((i % 97) as f64 / 10.0);
                    i += 1;
                }
            })
        },
        {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0.0;
                while !stop.load(Ordering::Relaxed) {
                    x += 0.5;
                    level.set(x);
                }
            })
        },
    ];
    let formats: [(&str, &str, Option<Syntax>); 5] = [
        (
            "application/openmetrics-text",
            "gzip",
            Some(Syntax::OpenMetrics),
        ),
        (
            "application/openmetrics-text",
            "identity",
            Some(Syntax::OpenMetrics),
        ),
        ("text/plain", "identity", Some(Syntax::PrometheusText)),
        ("text/plain", "gzip", Some(Syntax::PrometheusText)),
        ("application/json", "identity", None),
    ];
    let scrapers: Vec<_> = (0..SCRAPERS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut last_total = 0u64;
                for n in 0..SCRAPES {
                    let (accept, encoding, syntax) = formats[(t + n) % formats.len()];
                    let reply = get(
                        addr,
                        "/metrics",
                        &[("Accept", accept), ("Accept-Encoding", encoding)],
                    );
                    assert_eq!(reply.status, 200, "scrape {n} of scraper {t}");
                    let body = if encoding == "gzip" {
                        gunzip(&reply.body)
                    } else {
                        reply.body
                    };
                    let text = String::from_utf8(body).expect("UTF-8");
                    let total = match syntax {
                        Some(syntax) => {
                            let families = parse(&text, syntax).unwrap_or_else(|e| {
                                panic!("scrape {n} ({accept}, {encoding}) is invalid: {e}")
                            });
                            let busy = families.iter().find(|f| f.name == "busy").unwrap();
                            busy.samples[0].value.as_f64() as u64
                        }
                        None => {
                            let doc: serde_json::Value =
                                serde_json::from_str(&text).expect("valid JSON");
                            doc["families"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .find(|f| f["name"] == "busy")
                                .and_then(|f| f["series"][0]["value"].as_u64())
                                .unwrap()
                        }
                    };
                    assert!(
                        total >= last_total,
                        "the counter went back: {total} < {last_total}"
                    );
                    last_total = total;
                }
            })
        })
        .collect();
    for scraper in scrapers {
        scraper.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    server.shutdown().unwrap();
}
