//! LlmMetrics: requests by final status (no "started"), tokens, cost, in-flight, the call
//! wrappers and the error sink.

use std::io;
use std::time::Duration;

use vitals::testing::{histogram, sample, samples};
use vitals::{ErrorKind, Registry};
use vitals_instrument::sets::{LlmMetrics, LlmOutcome, LlmUsage, LLM_DURATION_BUCKETS};
use vitals_instrument::sink::ErrorRef;

use crate::{expect_panic, Capture};

fn requests(registry: &Registry, model: &str, status: &str) -> Option<f64> {
    sample(
        registry,
        "llm_requests_total",
        &[("provider", "openai"), ("model", model), ("status", status)],
    )
}

fn tokens(registry: &Registry, model: &str, kind: &str) -> Option<f64> {
    sample(
        registry,
        "llm_tokens_total",
        &[("provider", "openai"), ("model", model), ("type", kind)],
    )
}

fn model_labels(model: &str) -> [(&str, &str); 2] {
    [("provider", "openai"), ("model", model)]
}

#[test]
fn record_is_the_seed_record_ai_request() {
    let registry = Registry::new();
    let llm = LlmMetrics::builder().register_in(&registry).unwrap();
    llm.record(
        "openai",
        "gpt-4",
        &LlmOutcome::success()
            .with_tokens(1200, 300)
            .with_cost_usd(0.5)
            .with_duration(Duration::from_millis(1500)),
    );
    llm.record(
        "openai",
        "gpt-4",
        &LlmOutcome::success()
            .with_usage(LlmUsage::tokens(100, 50).with_cost_usd(0.25))
            .with_duration(Duration::from_millis(300)),
    );
    llm.record("openai", "gpt-4", &LlmOutcome::status("rate_limited"));

    assert_eq!(requests(&registry, "gpt-4", "success"), Some(2.0));
    assert_eq!(requests(&registry, "gpt-4", "rate_limited"), Some(1.0));
    assert_eq!(tokens(&registry, "gpt-4", "prompt"), Some(1300.0));
    assert_eq!(tokens(&registry, "gpt-4", "completion"), Some(350.0));
    assert_eq!(
        sample(&registry, "llm_cost_usd_total", &model_labels("gpt-4")),
        Some(0.75)
    );
    let duration = histogram(
        &registry,
        "llm_request_duration_seconds",
        &model_labels("gpt-4"),
    )
    .unwrap();
    assert_eq!(
        duration.count, 2,
        "the outcome without a duration observes none"
    );
    assert_eq!(duration.sum, 1.8);
    assert_eq!(duration.bucket(0.5), Some(1));
    assert_eq!(duration.bucket(2.0), Some(2));
    // The seed's buckets.
    let bounds: Vec<f64> = duration.buckets.iter().map(|&(le, _)| le).collect();
    assert_eq!(&bounds[..bounds.len() - 1], LLM_DURATION_BUCKETS);
}

#[test]
fn call_counts_once_by_final_status_and_prices_tokens() {
    let registry = Registry::new();
    let llm = LlmMetrics::builder().register_in(&registry).unwrap();
    let gpt4 = llm
        .model("openai", "gpt-4")
        .with_usd_per_million_tokens(30.0, 60.0);
    assert_eq!((gpt4.provider(), gpt4.model()), ("openai", "gpt-4"));
    let in_flight = || sample(&registry, "llm_requests_in_flight", &model_labels("gpt-4"));

    let answer = gpt4
        .call(
            || {
                assert_eq!(in_flight(), Some(1.0), "in flight during the call");
                Ok::<_, io::Error>(("42", 1000, 500))
            },
            |&(_, prompt, completion)| LlmUsage::tokens(prompt, completion),
        )
        .unwrap();
    assert_eq!(answer.0, "42");
    let failed = gpt4.call(
        || Err::<(&str, u64, u64), _>(io::Error::other("503")),
        |_| LlmUsage::tokens(1, 1),
    );
    assert!(failed.is_err());
    // A usage that carries its cost is not priced again.
    gpt4.call(
        || Ok::<_, io::Error>(()),
        |()| LlmUsage::tokens(10, 10).with_cost_usd(0.5),
    )
    .unwrap();

    assert_eq!(in_flight(), Some(0.0));
    assert_eq!(requests(&registry, "gpt-4", "success"), Some(2.0));
    assert_eq!(requests(&registry, "gpt-4", "error"), Some(1.0));
    // Each request counted once: no "started" status beside its final one.
    assert_eq!(samples(&registry, "llm_requests_total").len(), 2);
    assert_eq!(tokens(&registry, "gpt-4", "prompt"), Some(1010.0));
    assert_eq!(tokens(&registry, "gpt-4", "completion"), Some(510.0));
    // 1000 × $30/M + 500 × $60/M = $0.06, plus the $0.5 the response stated.
    assert_eq!(
        sample(&registry, "llm_cost_usd_total", &model_labels("gpt-4")),
        Some(0.06 + 0.5)
    );
    let duration = histogram(
        &registry,
        "llm_request_duration_seconds",
        &model_labels("gpt-4"),
    )
    .unwrap();
    assert_eq!(duration.count, 3, "failed calls are timed too");
}

#[test]
fn the_classifier_names_the_status_and_a_panic_is_counted() {
    let registry = Registry::new();
    let llm = LlmMetrics::builder()
        .with_error_classifier(|error| match error.downcast_ref::<io::Error>() {
            Some(e) if e.kind() == io::ErrorKind::TimedOut => "timeout",
            _ => "error",
        })
        .register_in(&registry)
        .unwrap();
    let model = llm.model("openai", "gpt-4o");
    let _ = model.call(
        || Err::<(), _>(io::Error::new(io::ErrorKind::TimedOut, "slow")),
        |()| LlmUsage::default(),
    );
    expect_panic(|| {
        model.call(
            || -> Result<(), io::Error> { panic!("bad response") },
            |()| LlmUsage::default(),
        )
    });
    // By hand, with a status of the caller's.
    let call = model.start();
    call.failure("content_filter", ErrorRef::Message(&"refused"));

    assert_eq!(requests(&registry, "gpt-4o", "timeout"), Some(1.0));
    assert_eq!(requests(&registry, "gpt-4o", "panic"), Some(1.0));
    assert_eq!(requests(&registry, "gpt-4o", "content_filter"), Some(1.0));
    assert_eq!(requests(&registry, "gpt-4o", "success"), Some(0.0));
    assert_eq!(
        sample(&registry, "llm_requests_in_flight", &model_labels("gpt-4o")),
        Some(0.0)
    );
}

#[tokio::test]
async fn async_calls_and_cancelled_ones() {
    let registry = Registry::new();
    let llm = LlmMetrics::builder().register_in(&registry).unwrap();
    let model = llm.model("openai", "gpt-4");

    let text = model
        .call_async(
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok::<_, io::Error>("hi")
            },
            |_| LlmUsage::tokens(3, 1),
        )
        .await
        .unwrap();
    assert_eq!(text, "hi");

    let pending = model.call_async(std::future::pending::<Result<(), io::Error>>(), |()| {
        LlmUsage::default()
    });
    assert!(tokio::time::timeout(Duration::from_millis(5), pending)
        .await
        .is_err());

    // Spawnable: 'static and Send.
    let spawned = model.call_async(async { Ok::<_, io::Error>(1) }, |_| LlmUsage::tokens(1, 1));
    assert_eq!(tokio::spawn(spawned).await.unwrap().unwrap(), 1);

    assert_eq!(requests(&registry, "gpt-4", "success"), Some(2.0));
    assert_eq!(requests(&registry, "gpt-4", "cancelled"), Some(1.0));
    assert_eq!(tokens(&registry, "gpt-4", "prompt"), Some(4.0));
    assert_eq!(
        sample(&registry, "llm_requests_in_flight", &model_labels("gpt-4")),
        Some(0.0)
    );
    let duration = histogram(
        &registry,
        "llm_request_duration_seconds",
        &model_labels("gpt-4"),
    )
    .unwrap();
    assert_eq!(duration.count, 3);
    assert!(duration.sum >= 0.01, "{}", duration.sum);
}

#[test]
fn failures_go_to_the_error_sink_with_the_series_labels() {
    let capture = Capture::install();
    let registry = Registry::new();
    let llm = LlmMetrics::builder().register_in(&registry).unwrap();
    let model = llm.model("openai", "sink-test-model");
    let _ = model.call(
        || Err::<(), _>(io::Error::other("upstream 503")),
        |()| LlmUsage::default(),
    );
    drop(model.start()); // abandoned: counted as cancelled, not reported

    let events = capture.with_label(("model", "sink-test-model"));
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].source, "llm_request");
    assert_eq!(
        events[0].labels,
        [
            ("provider".to_owned(), "openai".to_owned()),
            ("model".to_owned(), "sink-test-model".to_owned()),
            ("status".to_owned(), "error".to_owned())
        ]
    );
    assert_eq!(events[0].message, "upstream 503");
    assert!(events[0].is_error);
    assert_eq!(
        sample(
            &registry,
            "llm_requests_total",
            &[
                ("provider", "openai"),
                ("model", "sink-test-model"),
                ("status", "cancelled")
            ]
        ),
        Some(1.0)
    );
}

#[test]
fn two_sets_share_families_and_conflicts_are_errors() {
    let registry = Registry::new();
    let a = LlmMetrics::builder().register_in(&registry).unwrap();
    let b = LlmMetrics::builder().register_in(&registry).unwrap();
    a.record("openai", "gpt-4", &LlmOutcome::success());
    b.record("openai", "gpt-4", &LlmOutcome::success());
    b.record("anthropic", "claude", &LlmOutcome::error());
    assert_eq!(requests(&registry, "gpt-4", "success"), Some(2.0));
    assert_eq!(
        sample(
            &registry,
            "llm_requests_total",
            &[
                ("provider", "anthropic"),
                ("model", "claude"),
                ("status", "error")
            ]
        ),
        Some(1.0)
    );

    let err = LlmMetrics::builder()
        .with_buckets(&[1.0])
        .register_in(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);
}
