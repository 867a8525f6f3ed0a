//! SentrySink against the Sentry SDK's own test transport: the events are the ones the client
//! would send.

use std::error::Error;
use std::fmt;
use std::io;

use sentry::protocol::{Context, Event, Level, Value};
use sentry::test::{with_captured_events, with_captured_events_options};
use sentry::ClientOptions;
use vitals_instrument::sink::{
    clear_error_sink, report_error, set_error_sink, ErrorEvent, ErrorRef, ErrorSink,
};
use vitals_sentry::SentrySink;

/// The innermost cause.
#[derive(Debug)]
struct DnsError;

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no such host: jira.internal")
    }
}

impl Error for DnsError {}

/// The error inside the `io::Error`: `io::Error` shows its text and passes on its source.
#[derive(Debug)]
struct ConnectError {
    source: DnsError,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not connect to jira")
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// An error wrapping an `io::Error`, so the `io::Error` is in the middle of the chain.
#[derive(Debug)]
struct SyncError {
    source: io::Error,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sync failed")
    }
}

impl Error for SyncError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

fn io_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, ConnectError { source: DnsError })
}

const LABELS: &[(&str, &str)] = &[
    ("function", "create_issue"),
    ("module", "jira"),
    ("error_kind", "timeout"),
];

fn report(sink: &SentrySink, source: &str, labels: &[(&str, &str)], error: ErrorRef<'_>) {
    sink.report(&ErrorEvent::new(source, labels, error));
}

fn only(events: Vec<Event<'static>>) -> Event<'static> {
    assert_eq!(events.len(), 1, "{events:#?}");
    events.into_iter().next().unwrap()
}

fn vitals_context<'a>(event: &'a Event<'static>) -> &'a sentry::protocol::Map<String, Value> {
    match event.contexts.get("vitals") {
        Some(Context::Other(map)) => map,
        other => panic!("no vitals context: {other:?}"),
    }
}

#[test]
fn io_error_with_a_source_chain_is_an_exception_event() {
    let error = io_error();
    let event = only(with_captured_events(|| {
        report(
            &SentrySink::new(),
            "create_issue",
            LABELS,
            ErrorRef::Error(&error),
        );
    }));

    // Oldest first: the cause, then the io::Error that carries it.
    let exceptions = &event.exception.values;
    assert_eq!(exceptions.len(), 2, "{exceptions:#?}");
    assert_eq!(exceptions[0].ty, "DnsError");
    assert_eq!(
        exceptions[0].value.as_deref(),
        Some("no such host: jira.internal")
    );
    assert_eq!(exceptions[0].mechanism, None);
    assert_eq!(exceptions[1].ty, "std::io::Error");
    assert_eq!(
        exceptions[1].value.as_deref(),
        Some("could not connect to jira")
    );
    let mechanism = exceptions[1].mechanism.as_ref().unwrap();
    assert_eq!(mechanism.ty, "vitals");
    assert_eq!(mechanism.handled, Some(true));

    assert_eq!(event.level, Level::Error);
    assert_eq!(event.message, None);
    assert_eq!(event.logger.as_deref(), Some("vitals"));
    assert_eq!(event.tags["vitals.source"], "create_issue");
    assert_eq!(event.tags["vitals.function"], "create_issue");
    assert_eq!(event.tags["vitals.module"], "jira");
    assert_eq!(event.tags["vitals.error_kind"], "timeout");
    assert_eq!(
        event.fingerprint.as_ref(),
        ["{{ default }}", "create_issue"]
    );
    assert_eq!(event.transaction, None);

    let context = vitals_context(&event);
    assert_eq!(context["source"], "create_issue");
    assert_eq!(context["labels"]["module"], "jira");
    assert_eq!(context["labels"]["error_kind"], "timeout");
}

#[test]
fn io_error_inside_the_chain_is_named_and_the_whole_chain_kept() {
    let error = SyncError { source: io_error() };
    let event = only(with_captured_events(|| {
        report(&SentrySink::new(), "sync", &[], ErrorRef::Error(&error));
    }));
    let types: Vec<_> = event.exception.iter().map(|e| e.ty.as_str()).collect();
    assert_eq!(types, ["DnsError", "std::io::Error", "SyncError"]);
    let values: Vec<_> = event
        .exception
        .iter()
        .map(|e| e.value.as_deref().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            "no such host: jira.internal",
            "could not connect to jira",
            "sync failed"
        ]
    );
    assert!(event.exception.values[2].mechanism.is_some());
    assert!(event.exception.values[1].mechanism.is_none());
}

#[test]
fn message_error_is_a_message_event_at_level_error() {
    let event = only(with_captured_events(|| {
        report(
            &SentrySink::new(),
            "charge_card",
            &[("component", "stripe"), ("status", "quota")],
            ErrorRef::Message(&"quota exceeded for account 42"),
        );
    }));
    assert_eq!(
        event.message.as_deref(),
        Some("quota exceeded for account 42")
    );
    assert!(event.exception.is_empty());
    assert_eq!(event.level, Level::Error);
    assert_eq!(event.tags["vitals.source"], "charge_card");
    assert_eq!(event.tags["vitals.component"], "stripe");
    assert_eq!(event.tags["vitals.status"], "quota");
    assert_eq!(vitals_context(&event)["labels"]["status"], "quota");
}

#[test]
fn builder_options_shape_tags_level_grouping_and_transaction() {
    let sink = SentrySink::new()
        .with_tag_prefix("")
        .with_labels(["function", "error_kind", "user_id"])
        .without_labels(["user_id"])
        .with_tag("service", "jira-sync")
        .with_tag("error_kind", "hidden by the label")
        .with_level(Level::Warning)
        .with_group_by_source(false)
        .with_source_as_transaction(true);
    let event = only(with_captured_events(|| {
        report(
            &sink,
            "create_issue",
            &[
                ("function", "create_issue"),
                ("module", "jira"),
                ("error_kind", "timeout"),
                ("user_id", "u-1234"),
            ],
            ErrorRef::Message(&"timed out"),
        );
    }));

    let mut tags: Vec<_> = event
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    tags.sort_unstable();
    assert_eq!(
        tags,
        [
            ("error_kind", "timeout"),
            ("function", "create_issue"),
            ("service", "jira-sync"),
            ("source", "create_issue"),
        ]
    );
    let labels = vitals_context(&event)["labels"].as_object().unwrap();
    let mut names: Vec<_> = labels.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["error_kind", "function"]);
    assert_eq!(event.level, Level::Warning);
    assert_eq!(event.fingerprint.as_ref(), ["{{ default }}"]);
    assert_eq!(event.transaction.as_deref(), Some("create_issue"));
}

#[test]
fn users_scope_applies_to_the_event_and_is_untouched_after() {
    let error = io_error();
    let events = with_captured_events(|| {
        sentry::configure_scope(|scope| {
            scope.set_tag("team", "payments");
            scope.set_tag("function", "the user's own tag");
            scope.set_transaction(Some("POST /issues"));
            scope.set_user(Some(sentry::User {
                id: Some("u-1".into()),
                ..Default::default()
            }));
        });
        report(
            &SentrySink::new().with_level(Level::Fatal),
            "create_issue",
            LABELS,
            ErrorRef::Error(&error),
        );
        sentry::capture_message("after", Level::Info);
    });
    assert_eq!(events.len(), 2, "{events:#?}");
    let (vitals, after) = (&events[0], &events[1]);

    // The sink's event got the user's scope as well as its own tags.
    assert_eq!(vitals.tags["team"], "payments");
    assert_eq!(vitals.tags["function"], "the user's own tag");
    assert_eq!(vitals.tags["vitals.function"], "create_issue");
    assert_eq!(vitals.transaction.as_deref(), Some("POST /issues"));
    assert_eq!(vitals.user.as_ref().unwrap().id.as_deref(), Some("u-1"));
    assert_eq!(vitals.level, Level::Fatal);

    // The user's next event: their scope exactly, nothing of the sink's.
    let mut tags: Vec<_> = after.tags.keys().map(String::as_str).collect();
    tags.sort_unstable();
    assert_eq!(tags, ["function", "team"]);
    assert_eq!(after.tags["function"], "the user's own tag");
    assert!(!after.contexts.contains_key("vitals"), "{after:#?}");
    assert_eq!(after.level, Level::Info);
    assert_eq!(after.transaction.as_deref(), Some("POST /issues"));
    assert_eq!(after.user.as_ref().unwrap().id.as_deref(), Some("u-1"));
    assert_eq!(after.fingerprint.as_ref(), ["{{ default }}"]);
}

#[test]
fn environment_and_release_come_from_the_users_client() {
    let options = ClientOptions::new()
        .environment("staging")
        .release("jira-sync@1.4.0");
    let event = only(with_captured_events_options(
        || {
            report(
                &SentrySink::new(),
                "deploy",
                &[],
                ErrorRef::Message(&"deployment failed"),
            );
        },
        options,
    ));
    assert_eq!(event.environment.as_deref(), Some("staging"));
    assert_eq!(event.release.as_deref(), Some("jira-sync@1.4.0"));
}

#[test]
fn before_send_and_sample_rate_apply() {
    let options = ClientOptions::new().before_send(|event| {
        // The sink's events can be told from others by their logger.
        (event.logger.as_deref() != Some("vitals")).then_some(event)
    });
    let events = with_captured_events_options(
        || {
            report(&SentrySink::new(), "f", &[], ErrorRef::Message(&"dropped"));
            sentry::capture_message("kept", Level::Error);
        },
        options,
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].message.as_deref(), Some("kept"));

    let events = with_captured_events_options(
        || {
            report(
                &SentrySink::new(),
                "f",
                &[],
                ErrorRef::Message(&"sampled out"),
            )
        },
        ClientOptions::new().sample_rate(0.0),
    );
    assert!(events.is_empty(), "{events:#?}");
}

#[test]
fn without_a_client_nothing_is_sent_and_nothing_fails() {
    // No client bound to this thread's hub (the test harness binds none): a no-op.
    let error = io_error();
    report(
        &SentrySink::new(),
        "create_issue",
        LABELS,
        ErrorRef::Error(&error),
    );
}

/// The only test that installs the process-wide sink (tests run in parallel threads).
#[test]
fn end_to_end_through_the_installed_sink() {
    let error = io_error();
    let events = with_captured_events(|| {
        // `install` puts the default sink in place and hands back what it replaced.
        assert!(vitals_sentry::install().is_none());
        let previous = set_error_sink(SentrySink::new().with_tag("service", "jira-sync"));
        assert!(previous.is_some());

        report_error(&ErrorEvent::new(
            "create_issue",
            LABELS,
            ErrorRef::Error(&error),
        ));
        report_error(&ErrorEvent::new(
            "list_projects",
            &[("component", "jira"), ("method", "GET"), ("status", "503")],
            ErrorRef::Message(&"service unavailable"),
        ));
    });
    clear_error_sink();
    // Cleared: reporting again sends nothing.
    let after = with_captured_events(|| {
        report_error(&ErrorEvent::new(
            "create_issue",
            LABELS,
            ErrorRef::Message(&"x"),
        ));
    });
    assert!(after.is_empty(), "{after:#?}");

    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0].exception.len(), 2);
    assert_eq!(events[0].exception[1].ty, "std::io::Error");
    assert_eq!(events[0].tags["vitals.error_kind"], "timeout");
    assert_eq!(events[0].tags["service"], "jira-sync");
    assert_eq!(events[1].message.as_deref(), Some("service unavailable"));
    assert_eq!(events[1].tags["vitals.source"], "list_projects");
    assert_eq!(events[1].tags["vitals.status"], "503");
    assert_eq!(events[1].tags["vitals.method"], "GET");
}
