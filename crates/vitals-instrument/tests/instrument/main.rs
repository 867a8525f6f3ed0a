//! `#[vitals::instrument]`: what each kind of function records, read back from the registry.
//!
//! Each test records into its own `LocalRegistry`, so tests running in parallel threads of one
//! process see only their own calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use vitals::instrument::{sink, ErrorLabel};
use vitals::testing::{histogram, sample, LocalRegistry};
use vitals::Registry;

const MODULE: &str = module_path!();

/// The value of `function_calls_total` (or `name`) for one function and result.
fn calls(registry: &Registry, name: &str, function: &str, result: &str, kind: &str) -> Option<f64> {
    let labels = [
        ("function", function),
        ("module", MODULE),
        ("result", result),
        ("error_kind", kind),
    ];
    sample(registry, name, &labels)
}

fn durations(registry: &Registry, function: &str) -> u64 {
    histogram(
        registry,
        "function_call_duration_seconds",
        &[("function", function), ("module", MODULE)],
    )
    .map_or(0, |h| h.count)
}

fn in_flight(registry: &Registry, function: &str) -> Option<f64> {
    sample(
        registry,
        "function_calls_in_flight",
        &[("function", function), ("module", MODULE)],
    )
}

#[vitals::instrument]
fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    let port = text.parse()?;
    if port == 0 {
        // An early `return` ends the body, not the recording.
        return Ok(80);
    }
    Ok(port)
}

#[test]
fn sync_results_are_counted_and_timed() {
    let registry = LocalRegistry::new();
    assert_eq!(parse_port("8080"), Ok(8080));
    assert_eq!(parse_port("0"), Ok(80));
    assert!(parse_port("http").is_err());

    assert_eq!(
        calls(&registry, "function_calls_total", "parse_port", "ok", ""),
        Some(2.0)
    );
    assert_eq!(
        calls(&registry, "function_calls_total", "parse_port", "error", ""),
        Some(1.0)
    );
    assert_eq!(durations(&registry, "parse_port"), 3);
    assert_eq!(in_flight(&registry, "parse_port"), Some(0.0));
}

#[vitals::instrument]
fn greet(name: &str) -> String {
    format!("hello {name}")
}

#[test]
fn a_function_without_result_always_succeeds_and_error_series_starts_at_zero() {
    let registry = LocalRegistry::new();
    assert_eq!(greet("ada"), "hello ada");
    assert_eq!(
        calls(&registry, "function_calls_total", "greet", "ok", ""),
        Some(1.0)
    );
    // Created at the first call, so `rate(...{result="error"})` is 0 rather than absent.
    assert_eq!(
        calls(&registry, "function_calls_total", "greet", "error", ""),
        Some(0.0)
    );
}

#[vitals::instrument]
fn watch_in_flight(registry: &Registry) -> Option<f64> {
    in_flight(registry, "watch_in_flight")
}

#[test]
fn a_call_is_in_flight_while_it_runs() {
    let registry = LocalRegistry::new();
    assert_eq!(watch_in_flight(&registry), Some(1.0));
    assert_eq!(in_flight(&registry, "watch_in_flight"), Some(0.0));
}

#[vitals::instrument]
fn explode(fail: bool) -> u32 {
    assert!(!fail, "exploded on purpose");
    1
}

#[test]
fn a_panic_is_an_error_of_kind_panic() {
    let registry = LocalRegistry::new();
    assert_eq!(explode(false), 1);
    let caught = std::panic::catch_unwind(|| explode(true));
    assert!(caught.is_err());
    assert_eq!(
        calls(&registry, "function_calls_total", "explode", "ok", ""),
        Some(1.0)
    );
    assert_eq!(
        calls(
            &registry,
            "function_calls_total",
            "explode",
            "error",
            "panic"
        ),
        Some(1.0)
    );
    assert_eq!(durations(&registry, "explode"), 2);
    assert_eq!(in_flight(&registry, "explode"), Some(0.0));
}

#[derive(Debug, ErrorLabel)]
enum JiraError {
    Timeout,
    #[allow(dead_code)]
    Rejected {
        status: u16,
    },
    #[label(rename = "auth")]
    Unauthorized(#[allow(dead_code)] String),
}

impl std::fmt::Display for JiraError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "jira said no: {self:?}")
    }
}

impl std::error::Error for JiraError {}

struct Jira {
    created: u64,
}

impl Jira {
    // Constant labels: the families this function cannot share with others get its own names.
    #[vitals::instrument(
        calls = "jira_calls",
        duration = "jira_call_duration_seconds",
        in_flight = false,
        labels(component = "jira"),
        error_kind
    )]
    fn create_issue(&mut self, title: &str) -> Result<u64, JiraError> {
        match title {
            "" => Err(JiraError::Rejected { status: 400 }),
            "slow" => Err(JiraError::Timeout),
            "token" => Err(JiraError::Unauthorized("expired".into())),
            _ => {
                self.created += 1;
                Ok(self.created)
            }
        }
    }

    /// Returns a borrow of `self`: the body runs in a closure, which must be `FnOnce`.
    #[vitals::instrument]
    fn created_mut(&mut self) -> &mut u64 {
        &mut self.created
    }
}

#[test]
fn methods_with_error_kinds_and_constant_labels() {
    let registry = LocalRegistry::new();
    let mut jira = Jira { created: 0 };
    assert_eq!(jira.create_issue("disk full").unwrap(), 1);
    for title in ["", "", "slow", "token"] {
        jira.create_issue(title).unwrap_err();
    }
    *jira.created_mut() += 10;
    assert_eq!(jira.created, 11);

    let series = |result: &str, kind: &str| {
        let labels = [
            ("component", "jira"),
            ("function", "create_issue"),
            ("module", MODULE),
            ("result", result),
            ("error_kind", kind),
        ];
        sample(&registry, "jira_calls_total", &labels)
    };
    assert_eq!(series("ok", ""), Some(1.0));
    assert_eq!(series("error", "rejected"), Some(2.0));
    assert_eq!(series("error", "timeout"), Some(1.0));
    assert_eq!(series("error", "auth"), Some(1.0));
    // Errors with a kind go to their kind's series, not the kindless one.
    assert_eq!(series("error", ""), Some(0.0));
    // `in_flight = false`: no gauge for this function.
    assert_eq!(
        sample(
            &registry,
            "function_calls_in_flight",
            &[
                ("component", "jira"),
                ("function", "create_issue"),
                ("module", MODULE)
            ]
        ),
        None
    );
    assert_eq!(
        calls(&registry, "function_calls_total", "created_mut", "ok", ""),
        Some(1.0)
    );
    let jira_durations = histogram(
        &registry,
        "jira_call_duration_seconds",
        &[
            ("component", "jira"),
            ("function", "create_issue"),
            ("module", MODULE),
        ],
    );
    assert_eq!(jira_durations.map(|h| h.count), Some(5));
}

fn kind_of(error: &std::io::Error) -> &'static str {
    if error.kind() == std::io::ErrorKind::NotFound {
        "missing"
    } else {
        "io"
    }
}

#[vitals::instrument(error_kind = kind_of, name = "read_config", duration = "config_read_seconds", buckets = [0.001, 0.01, 0.1])]
fn read(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[test]
fn renamed_function_label_duration_and_kind_function() {
    let registry = LocalRegistry::new();
    read("/definitely/not/here").unwrap_err();
    assert_eq!(
        calls(
            &registry,
            "function_calls_total",
            "read_config",
            "error",
            "missing"
        ),
        Some(1.0)
    );
    let snapshot = histogram(
        &registry,
        "config_read_seconds",
        &[("function", "read_config"), ("module", MODULE)],
    )
    .expect("the renamed histogram");
    assert_eq!(snapshot.count, 1);
    let bounds: Vec<f64> = snapshot.buckets.iter().map(|(le, _)| *le).collect();
    assert_eq!(bounds, [0.001, 0.01, 0.1, f64::INFINITY]);
}

#[vitals::instrument]
async fn fetch(id: u32) -> Result<String, String> {
    tokio::task::yield_now().await;
    if id == 0 {
        return Err("no such id".to_owned());
    }
    Ok(format!("item {id}"))
}

#[vitals::instrument]
async fn hang() {
    std::future::pending::<()>().await;
}

#[test]
fn async_functions_record_when_they_complete_and_cancellations_apart() {
    let registry = LocalRegistry::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(fetch(1).await.unwrap(), "item 1");
        assert!(fetch(0).await.is_err());
        // Not polled yet: not started, not in flight, not counted when dropped.
        drop(fetch(2));
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(5), hang()).await;
        assert!(timed_out.is_err());
    });
    assert_eq!(
        calls(&registry, "function_calls_total", "fetch", "ok", ""),
        Some(1.0)
    );
    assert_eq!(
        calls(&registry, "function_calls_total", "fetch", "error", ""),
        Some(1.0)
    );
    assert_eq!(
        calls(&registry, "function_calls_total", "fetch", "cancelled", ""),
        None
    );
    assert_eq!(durations(&registry, "fetch"), 2);
    assert_eq!(
        calls(&registry, "function_calls_total", "hang", "cancelled", ""),
        Some(1.0)
    );
    assert_eq!(
        durations(&registry, "hang"),
        0,
        "a cancellation is not a duration"
    );
    assert_eq!(in_flight(&registry, "hang"), Some(0.0));
}

#[vitals::instrument]
fn delayed(value: u8) -> impl Future<Output = Result<u8, std::io::Error>> {
    async move {
        tokio::task::yield_now().await;
        if value > 100 {
            Err(std::io::Error::other("too big"))
        } else {
            Ok(value)
        }
    }
}

type BoxedFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[vitals::instrument]
fn boxed(value: u8) -> Pin<Box<dyn Future<Output = Result<u8, String>> + Send + 'static>> {
    Box::pin(async move {
        if value == 0 {
            Err("zero".to_owned())
        } else {
            Ok(value)
        }
    })
}

#[async_trait::async_trait]
trait Tracker {
    async fn track(&self, ok: bool) -> Result<(), std::io::Error>;
}

struct Remote;

#[async_trait::async_trait]
impl Tracker for Remote {
    #[vitals::instrument]
    async fn track(&self, ok: bool) -> Result<(), std::io::Error> {
        tokio::task::yield_now().await;
        if ok {
            Ok(())
        } else {
            Err(std::io::Error::other("remote down"))
        }
    }
}

#[test]
fn impl_future_boxed_future_and_async_trait_methods() {
    let registry = LocalRegistry::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The future is recorded from its first poll: creating it records nothing yet.
        let pending = delayed(3);
        assert_eq!(in_flight(&registry, "delayed"), None);
        assert_eq!(pending.await.unwrap(), 3);
        assert!(delayed(200).await.is_err());
        assert_eq!(boxed(1).await, Ok(1));
        assert!(boxed(0).await.is_err());
        // The boxed return type is the alias's: the wrapper is boxed again, not exposed.
        let unpolled: BoxedFuture<'_, Result<u8, String>> = boxed(2);
        drop(unpolled);
        Remote.track(true).await.unwrap();
        Remote.track(false).await.unwrap_err();
        Remote.track(false).await.unwrap_err();
    });
    for (function, ok, error) in [
        ("delayed", 1.0, 1.0),
        ("boxed", 1.0, 1.0),
        ("track", 1.0, 2.0),
    ] {
        assert_eq!(
            calls(&registry, "function_calls_total", function, "ok", ""),
            Some(ok),
            "{function}"
        );
        assert_eq!(
            calls(&registry, "function_calls_total", function, "error", ""),
            Some(error),
            "{function}"
        );
    }
}

#[vitals::instrument]
fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    items.iter().copied().fold(None, |best, x| match best {
        Some(b) if b >= x => Some(b),
        _ => Some(x),
    })
}

#[test]
fn generic_functions_share_one_site() {
    let registry = LocalRegistry::new();
    assert_eq!(largest(&[1, 5, 3]), Some(5));
    assert_eq!(largest(&[0.5, 0.25]), Some(0.5));
    assert_eq!(
        calls(&registry, "function_calls_total", "largest", "ok", ""),
        Some(2.0)
    );
}

static BILLING: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Registry::new);

#[vitals::instrument(registry = BILLING)]
fn charge(cents: u64) -> u64 {
    cents
}

#[test]
fn a_named_registry_is_used_whatever_is_current() {
    let current = LocalRegistry::new();
    charge(5);
    charge(7);
    assert_eq!(
        calls(&BILLING, "function_calls_total", "charge", "ok", ""),
        Some(2.0)
    );
    assert_eq!(
        calls(&current, "function_calls_total", "charge", "ok", ""),
        None
    );
}

#[vitals::instrument(labels(tier = "gold"))]
fn clashing() -> u8 {
    1
}

#[test]
fn a_clash_with_another_definition_runs_unrecorded_and_is_counted() {
    let registry = LocalRegistry::new();
    // The shared call counter is first registered without constant labels ...
    greet("x");
    let before = dropped("instrument_rejected");
    // ... so a function with a constant label cannot share it: it still runs.
    assert_eq!(clashing(), 1);
    assert_eq!(clashing(), 1);
    assert_eq!(dropped("instrument_rejected") - before, 2.0);
    // No family of it was half made: not even a zero-valued series.
    let text = vitals::encode_to_string(&registry, vitals::Format::PrometheusText);
    assert!(!text.contains("clashing"), "{text}");
    assert_eq!(
        sample(
            &registry,
            "function_calls_total",
            &[
                ("tier", "gold"),
                ("function", "clashing"),
                ("module", MODULE),
                ("result", "ok"),
                ("error_kind", "")
            ]
        ),
        None
    );
}

fn dropped(reason: &str) -> f64 {
    sample(
        vitals::default_registry(),
        "vitals_dropped_updates_total",
        &[("reason", reason)],
    )
    .unwrap_or(0.0)
}

#[test]
fn two_functions_share_the_families() {
    let registry = LocalRegistry::new();
    greet("a");
    parse_port("1").unwrap();
    let text = vitals::encode_to_string(&registry, vitals::Format::PrometheusText);
    assert_eq!(
        text.matches("# TYPE function_calls_total counter").count(),
        1,
        "{text}"
    );
    assert!(text.contains("function=\"greet\""), "{text}");
    assert!(text.contains("function=\"parse_port\""), "{text}");
}

#[vitals::instrument(report_errors = false)]
fn quiet_failure() -> Result<(), String> {
    Err("quiet".into())
}

#[vitals::instrument(name = "sink_check", error_kind)]
fn loud_failure(error: JiraError) -> Result<(), JiraError> {
    Err(error)
}

#[vitals::instrument(name = "sink_check_boxed")]
fn boxed_failure() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err(Box::new(std::io::Error::other("boxed cause")))
}

/// What the sink saw of one event: source, labels, error text, whether it was a real error.
type Seen = (String, Vec<(String, String)>, String, bool);

#[test]
fn errors_go_to_the_sink_with_the_series_labels() {
    let _registry = LocalRegistry::new();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = Arc::clone(&seen);
    sink::set_error_sink(move |event: &sink::ErrorEvent<'_>| {
        // Other tests of this binary may run at once (under `cargo test`): keep only ours.
        if event.source().starts_with("sink_check") || event.source() == "quiet_failure" {
            log.lock().unwrap().push((
                event.source().to_owned(),
                event
                    .labels()
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                event.error().to_string(),
                event.error().as_error().is_some(),
            ));
        }
    });
    quiet_failure().unwrap_err();
    loud_failure(JiraError::Timeout).unwrap_err();
    boxed_failure().unwrap_err();
    sink::clear_error_sink();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (source, labels, text, is_error) = &seen[0];
    assert_eq!(source, "sink_check");
    assert_eq!(text, "jira said no: Timeout");
    assert!(is_error, "a std::error::Error reaches the sink as one");
    let expected: Vec<(String, String)> = [
        ("function", "sink_check"),
        ("module", MODULE),
        ("result", "error"),
        ("error_kind", "timeout"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(labels, &expected);
    let (source, _, text, is_error) = &seen[1];
    assert_eq!(source, "sink_check_boxed");
    assert_eq!(text, "boxed cause");
    assert!(is_error, "Box<dyn Error + Send + Sync> is seen through");
}

#[test]
fn switched_off_records_nothing() {
    // Under nextest each test is its own process; under `cargo test` this would switch off
    // the others, so it runs in a child process of its own.
    if std::env::var_os("VITALS_INSTRUMENT_SWITCH_CHILD").is_none() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "switched_off_records_nothing", "--nocapture"])
            .env("VITALS_INSTRUMENT_SWITCH_CHILD", "1")
            .env("METRICS_ENABLED", "false")
            .status()
            .unwrap();
        assert!(status.success());
        return;
    }
    assert!(!vitals_core_enabled());
    let registry = LocalRegistry::new();
    assert_eq!(greet("off"), "hello off");
    assert!(parse_port("x").is_err());
    assert_eq!(
        calls(&registry, "function_calls_total", "greet", "ok", ""),
        None
    );
    assert_eq!(
        calls(&registry, "function_calls_total", "parse_port", "error", ""),
        None
    );
}

fn vitals_core_enabled() -> bool {
    vitals::switch::enabled()
}

#[vitals::instrument]
fn flip_switch_mid_call() -> u8 {
    vitals::switch::set_enabled(false);
    7
}

#[test]
fn switching_off_mid_call_leaves_no_call_in_flight() {
    // Switching metrics off touches every test of the process: a child process of its own.
    if std::env::var_os("VITALS_INSTRUMENT_FLIP_CHILD").is_none() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "switching_off_mid_call_leaves_no_call_in_flight",
                "--nocapture",
            ])
            .env("VITALS_INSTRUMENT_FLIP_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success());
        return;
    }
    let registry = LocalRegistry::new();
    assert_eq!(flip_switch_mid_call(), 7);
    vitals::switch::set_enabled(true);
    // The +1 was applied with metrics on; its −1 is made although they were off by then.
    assert_eq!(in_flight(&registry, "flip_switch_mid_call"), Some(0.0));
}

// Shapes that must compile under the attribute (each caught a bug in review): a stub body, a
// unit body that is one expression, inner attributes, a raw identifier, integer buckets.

#[vitals::instrument]
#[allow(dead_code, clippy::diverging_sub_expression)]
fn not_written_yet() {
    todo!()
}

#[vitals::instrument]
fn log_line(x: u8) {
    println!("{x}")
}

#[vitals::instrument]
fn with_inner_attribute() -> u32 {
    #![allow(clippy::let_and_return)]
    let x = 3;
    x
}

#[vitals::instrument(buckets = [1, 2, 5])]
fn r#type() -> &'static str {
    "raw"
}

#[test]
fn inner_attributes_and_unit_bodies() {
    let registry = LocalRegistry::new();
    log_line(1);
    assert_eq!(with_inner_attribute(), 3);
    assert_eq!(
        calls(&registry, "function_calls_total", "log_line", "ok", ""),
        Some(1.0)
    );
    assert_eq!(
        calls(
            &registry,
            "function_calls_total",
            "with_inner_attribute",
            "ok",
            ""
        ),
        Some(1.0)
    );
}

#[test]
fn raw_names_and_integer_bucket_literals() {
    // A registry of its own: `r#type`'s buckets differ from the default ones of the others,
    // so it could not share their histogram.
    let registry = Registry::new();
    let _scope = registry.enter();
    assert_eq!(r#type(), "raw");
    // The label is the name without `r#`.
    assert_eq!(
        calls(&registry, "function_calls_total", "type", "ok", ""),
        Some(1.0)
    );
    let snapshot = histogram(
        &registry,
        "function_call_duration_seconds",
        &[("function", "type"), ("module", MODULE)],
    )
    .unwrap();
    let bounds: Vec<f64> = snapshot.buckets.iter().map(|(le, _)| *le).collect();
    assert_eq!(bounds, [1.0, 2.0, 5.0, f64::INFINITY]);
}

#[vitals::instrument(name = "reentrant")]
fn fails_inside_the_sink() -> Result<(), String> {
    Err("again".into())
}

#[test]
fn a_sink_that_fails_is_not_called_again_from_inside() {
    let _registry = LocalRegistry::new();
    let depth = Arc::new(Mutex::new(0u32));
    let seen = Arc::clone(&depth);
    sink::set_error_sink(move |event: &sink::ErrorEvent<'_>| {
        if event.source() == "reentrant" {
            *seen.lock().unwrap() += 1;
            // The sink's own work fails: counted, but not reported back into the sink.
            let _ = fails_inside_the_sink();
        }
    });
    let _ = fails_inside_the_sink();
    sink::clear_error_sink();
    assert_eq!(*depth.lock().unwrap(), 1);
}
