//! `ComponentTracker`: API calls, durations, last success and initialisation errors of an
//! external component, read back from a registry's exposition; and (in `promtool`) the seed's
//! alert rules evaluated by `promtool test rules` on series a real tracker produced.
//!
//! Tests that look at the error sink share one collecting sink per process and pick out
//! their own events by a component name no other test uses.

mod promtool;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vitals::instrument::sink::{set_error_sink, ErrorEvent, ErrorRef};
use vitals::instrument::ComponentTracker;
use vitals::testing::{assert_no_series, histogram, sample, LocalRegistry};
use vitals::{ErrorKind, Registry};

const CALLS: &str = "sentryhub_jira_api_calls_total";
const DURATION: &str = "sentryhub_jira_api_call_duration_seconds";
const LAST_SUCCESS: &str = "sentryhub_component_last_successful_api_call_timestamp";
const INIT_ERRORS: &str = "sentryhub_component_initialization_errors_total";

fn jira() -> (Registry, ComponentTracker) {
    let registry = Registry::new();
    let tracker = ComponentTracker::builder("jira")
        .with_prefix("sentryhub")
        .register_in(&registry)
        .unwrap();
    (registry, tracker)
}

/// `sentryhub_jira_api_calls_total` for one method: (success, failure).
fn calls(registry: &Registry, method: &str) -> (Option<f64>, Option<f64>) {
    let status = |s| {
        sample(
            registry,
            CALLS,
            &[("component", "jira"), ("method", method), ("status", s)],
        )
    };
    (status("success"), status("failure"))
}

fn durations(registry: &Registry, method: &str) -> Option<(u64, f64)> {
    histogram(
        registry,
        DURATION,
        &[("component", "jira"), ("method", method)],
    )
    .map(|h| (h.count, h.sum))
}

fn last_success(registry: &Registry) -> Option<f64> {
    sample(registry, LAST_SUCCESS, &[("component", "jira")])
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    source: String,
    labels: Vec<(String, String)>,
    message: String,
    io_kind: Option<std::io::ErrorKind>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

fn install_sink() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        set_error_sink(|event: &ErrorEvent<'_>| {
            let io_kind = match event.error() {
                ErrorRef::Error(e) => e.downcast_ref::<std::io::Error>().map(|e| e.kind()),
                _ => None,
            };
            SEEN.lock().unwrap().push(Seen {
                source: event.source().to_owned(),
                labels: event
                    .labels()
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                message: event.error().to_string(),
                io_kind,
            });
        });
    });
}

/// The events whose `component` label is `component`.
fn seen_for(component: &str) -> Vec<Seen> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|e| {
            e.labels
                .iter()
                .any(|(k, v)| k == "component" && v == component)
        })
        .cloned()
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn registering_creates_the_initialisation_counter_and_nothing_else_per_method() {
    let (registry, _jira) = jira();
    assert_eq!(
        sample(&registry, INIT_ERRORS, &[("component", "jira")]),
        Some(0.0)
    );
    assert_eq!(calls(&registry, "create_issue"), (None, None));
    assert_eq!(last_success(&registry), None);
}

#[test]
fn calls_are_counted_by_method_and_status_with_their_durations() {
    let (registry, jira) = jira();
    for _ in 0..3 {
        jira.call("create_issue", || Ok::<_, String>("OPS-1"))
            .unwrap();
    }
    let failed = jira.call("create_issue", || Err::<(), _>("502 Bad Gateway"));
    assert_eq!(failed, Err("502 Bad Gateway"));
    let failed = jira.call("add_comment", || Err::<(), _>("403 Forbidden"));
    assert!(failed.is_err());

    assert_eq!(calls(&registry, "create_issue"), (Some(3.0), Some(1.0)));
    assert_eq!(calls(&registry, "add_comment"), (Some(0.0), Some(1.0)));
    assert_eq!(durations(&registry, "create_issue").unwrap().0, 4);
    assert_eq!(durations(&registry, "add_comment").unwrap().0, 1);
}

#[test]
fn the_first_call_of_a_method_creates_its_failure_series_at_zero() {
    let (registry, jira) = jira();
    jira.call("create_issue", || Ok::<_, String>(())).unwrap();
    assert_eq!(calls(&registry, "create_issue"), (Some(1.0), Some(0.0)));
    // Seen through the manual path too.
    jira.record_failure("transition", Duration::from_millis(5), "409 Conflict");
    assert_eq!(calls(&registry, "transition"), (Some(0.0), Some(1.0)));
}

#[test]
fn the_last_success_timestamp_moves_only_on_success() {
    let (registry, jira) = jira();
    let _ = jira.call("create_issue", || Err::<(), _>("down"));
    jira.record_failure("create_issue", Duration::from_millis(1), "down");
    assert_no_series(&registry, LAST_SUCCESS, &[("component", "jira")]);

    let before = unix_now();
    jira.call("create_issue", || Ok::<_, String>(())).unwrap();
    let first = last_success(&registry).unwrap();
    assert!(
        before <= first && first <= unix_now(),
        "{before} <= {first}"
    );

    std::thread::sleep(Duration::from_millis(5));
    let _ = jira.call("create_issue", || Err::<(), _>("down again"));
    jira.record_failure("add_comment", Duration::from_millis(1), "down again");
    jira.init_failed("token expired");
    assert_eq!(last_success(&registry), Some(first));

    jira.record_success("add_comment", Duration::from_millis(1));
    let second = last_success(&registry).unwrap();
    assert!(second >= first + 0.005, "{second} vs {first}");

    std::thread::sleep(Duration::from_millis(5));
    jira.mark_success();
    let third = last_success(&registry).unwrap();
    assert!(third >= second + 0.005, "{third} vs {second}");
    // mark_success counts no call.
    assert_eq!(calls(&registry, "add_comment"), (Some(1.0), Some(1.0)));
}

#[test]
fn manual_records_observe_the_given_durations() {
    let (registry, jira) = jira();
    jira.record_success("search", Duration::from_millis(250));
    jira.record_failure(
        "search",
        Duration::from_millis(1500),
        &std::io::Error::from(std::io::ErrorKind::TimedOut),
    );
    assert_eq!(calls(&registry, "search"), (Some(1.0), Some(1.0)));
    let snapshot = histogram(
        &registry,
        DURATION,
        &[("component", "jira"), ("method", "search")],
    )
    .unwrap();
    assert_eq!(snapshot.count, 2);
    assert_eq!(snapshot.sum, 1.75);
    assert_eq!(snapshot.bucket(0.25), Some(1));
    assert_eq!(snapshot.bucket(1.0), Some(1));
    assert_eq!(snapshot.bucket(2.5), Some(2));
}

#[test]
fn initialisation_errors_are_counted() {
    let (registry, jira) = jira();
    jira.init_failed(&std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    jira.init_failed("bad credentials");
    assert_eq!(
        sample(&registry, INIT_ERRORS, &[("component", "jira")]),
        Some(2.0)
    );
}

#[test]
fn a_panicking_call_is_a_failure_with_its_duration() {
    let (registry, jira) = jira();
    let result = catch_unwind(AssertUnwindSafe(|| {
        jira.call("create_issue", || -> Result<(), String> {
            panic!("client bug")
        })
    }));
    assert!(result.is_err());
    assert_eq!(calls(&registry, "create_issue"), (Some(0.0), Some(1.0)));
    assert_eq!(durations(&registry, "create_issue").unwrap().0, 1);
    assert_eq!(last_success(&registry), None);
}

#[tokio::test]
async fn async_calls_are_counted_and_a_cancelled_one_records_nothing() {
    let (registry, jira) = jira();
    let issue = jira
        .call_async("create_issue", async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            Ok::<_, String>("OPS-7")
        })
        .await;
    assert_eq!(issue, Ok("OPS-7"));
    let failed = jira
        .call_async("create_issue", async { Err::<(), _>("503") })
        .await;
    assert!(failed.is_err());

    let cancelled = tokio::time::timeout(
        Duration::from_millis(5),
        jira.call_async("create_issue", std::future::pending::<Result<(), String>>()),
    )
    .await;
    assert!(cancelled.is_err());

    assert_eq!(calls(&registry, "create_issue"), (Some(1.0), Some(1.0)));
    let (count, sum) = durations(&registry, "create_issue").unwrap();
    assert_eq!(count, 2);
    assert!(sum >= 0.002);
    assert!(last_success(&registry).is_some());
}

#[tokio::test]
async fn an_async_call_that_panics_is_a_failure() {
    let (registry, jira) = jira();
    let future = jira.call_async("create_issue", async {
        tokio::task::yield_now().await;
        if std::hint::black_box(true) {
            panic!("client bug");
        }
        Ok::<(), String>(())
    });
    // A literal method and an owned tracker clone: the future is 'static and can be spawned.
    assert!(tokio::spawn(future).await.unwrap_err().is_panic());
    assert_eq!(calls(&registry, "create_issue"), (Some(0.0), Some(1.0)));
}

#[test]
fn two_components_share_the_component_families_and_two_trackers_share_series() {
    let registry = Registry::new();
    let build = |component| {
        ComponentTracker::builder(component)
            .with_prefix("sentryhub")
            .register_in(&registry)
            .unwrap()
    };
    let jira = build("jira");
    let github = build("github");
    let jira_again = build("jira");

    jira.call("create_issue", || Ok::<_, String>(())).unwrap();
    jira_again
        .call("create_issue", || Ok::<_, String>(()))
        .unwrap();
    github
        .call("open_pr", || Err::<(), _>("rate limited"))
        .unwrap_err();
    github.init_failed("no token");

    assert_eq!(calls(&registry, "create_issue"), (Some(2.0), Some(0.0)));
    let github_calls = |status| {
        sample(
            &registry,
            "sentryhub_github_api_calls_total",
            &[
                ("component", "github"),
                ("method", "open_pr"),
                ("status", status),
            ],
        )
    };
    assert_eq!(
        (github_calls("success"), github_calls("failure")),
        (Some(0.0), Some(1.0))
    );
    assert_eq!(
        sample(&registry, INIT_ERRORS, &[("component", "jira")]),
        Some(0.0)
    );
    assert_eq!(
        sample(&registry, INIT_ERRORS, &[("component", "github")]),
        Some(1.0)
    );
    assert!(last_success(&registry).is_some());
    assert_no_series(&registry, LAST_SUCCESS, &[("component", "github")]);
    assert_eq!(jira.component(), "jira");
}

#[test]
fn the_timestamp_can_be_named_with_its_unit() {
    let registry = Registry::new();
    let jira = ComponentTracker::builder("jira")
        .with_prefix("sentryhub")
        .with_timestamp_unit_suffix(true)
        .register_in(&registry)
        .unwrap();
    jira.mark_success();
    let name = "sentryhub_component_last_successful_api_call_timestamp_seconds";
    assert!(sample(&registry, name, &[("component", "jira")]).is_some());
    let text = vitals::encode_to_string(&registry, vitals::Format::OpenMetrics);
    assert!(text.contains(&format!("# UNIT {name} seconds\n")), "{text}");
}

#[test]
fn default_names_have_no_prefix_and_new_uses_the_current_registry() {
    let registry = LocalRegistry::new();
    let payments = ComponentTracker::new("payments").unwrap();
    payments.call("charge", || Ok::<_, String>(())).unwrap();
    let labels = [
        ("component", "payments"),
        ("method", "charge"),
        ("status", "success"),
    ];
    assert_eq!(
        sample(&registry, "payments_api_calls_total", &labels),
        Some(1.0)
    );
    assert!(sample(
        &registry,
        "component_last_successful_api_call_timestamp",
        &[("component", "payments")]
    )
    .is_some());
    assert_eq!(
        sample(
            &registry,
            "component_initialization_errors_total",
            &[("component", "payments")]
        ),
        Some(0.0)
    );
}

#[test]
fn registration_errors_are_typed() {
    let registry = Registry::new();
    let invalid = ComponentTracker::builder("my-service").register_in(&registry);
    assert_eq!(invalid.unwrap_err().kind(), ErrorKind::InvalidMetricName);

    ComponentTracker::builder("jira")
        .register_in(&registry)
        .unwrap();
    let other_buckets = ComponentTracker::builder("jira")
        .with_buckets(&[0.1, 1.0])
        .register_in(&registry);
    assert_eq!(
        other_buckets.unwrap_err().kind(),
        ErrorKind::DuplicateMetric
    );
}

#[test]
fn errors_reach_the_sink_with_component_method_and_status() {
    install_sink();
    let component = "sinktest_jira";
    let registry = Registry::new();
    let tracker = ComponentTracker::builder(component)
        .register_in(&registry)
        .unwrap();

    tracker
        .call("create_issue", || Ok::<_, String>(()))
        .unwrap();
    let _ = tracker.call("create_issue", || Err::<(), _>("502 Bad Gateway"));
    tracker.record_failure(
        "add_comment",
        Duration::from_millis(3),
        &std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out"),
    );
    tracker.init_failed(&*Box::<dyn std::error::Error + Send + Sync>::from(
        "bad token",
    ));
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        tracker.call("create_issue", || -> Result<(), String> {
            panic!("not reported")
        })
    }));
    assert!(panicked.is_err());

    let call = |method| {
        labels(&[
            ("component", component),
            ("method", method),
            ("status", "failure"),
        ])
    };
    assert_eq!(
        seen_for(component),
        [
            Seen {
                source: "create_issue".into(),
                labels: call("create_issue"),
                message: "502 Bad Gateway".into(),
                io_kind: None,
            },
            Seen {
                source: "add_comment".into(),
                labels: call("add_comment"),
                message: "read timed out".into(),
                io_kind: Some(std::io::ErrorKind::TimedOut),
            },
            Seen {
                source: "initialization".into(),
                labels: labels(&[("component", component)]),
                message: "bad token".into(),
                io_kind: None,
            },
        ]
    );
}
