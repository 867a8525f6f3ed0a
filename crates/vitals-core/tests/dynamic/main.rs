//! The dynamic manager, written against `vitals_core::dynamic`: families created on first use by
//! name and label pairs (in any order), label names fixed by the first use, type and label
//! mismatches returned as errors and counted in
//! `vitals_dropped_updates_total{reason="dynamic_rejected"}`, declarations before first use,
//! exact totals under concurrency, the current registry and namespaces.

use std::sync::Barrier;
use std::thread;

use vitals_core::dynamic::Declaration;
use vitals_core::self_metrics::{dropped, DropReason};
use vitals_core::{current_registry, default_registry, Error, ErrorKind, Registry};
use vitals_expfmt::{encode_to_string, Format};

const THREADS: usize = 8;

fn text(registry: &Registry) -> String {
    encode_to_string(registry, Format::PrometheusText)
}

fn om(registry: &Registry) -> String {
    encode_to_string(registry, Format::OpenMetrics)
}

/// Asserts the error kind, and that the call was counted as rejected. The counter is
/// process-wide and other tests run in parallel, so only an increase is checked.
fn assert_rejected(kind: ErrorKind, call: impl FnOnce() -> Result<(), Error>) -> Error {
    let before = dropped(DropReason::DynamicRejected);
    let err = call().expect_err("expected an error");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(
        dropped(DropReason::DynamicRejected) > before,
        "not counted as dynamic_rejected: {err}"
    );
    err
}

#[test]
fn families_are_created_on_first_use_with_pairs_in_any_order() {
    let r = Registry::new();
    r.inc_counter(
        "api_calls_total",
        &[("method", "search"), ("status", "200")],
        1.0,
    )
    .unwrap();
    r.inc_counter(
        "api_calls_total",
        &[("status", "200"), ("method", "search")],
        2.0,
    )
    .unwrap();
    r.inc_counter(
        "api_calls_total",
        &[("status", "500"), ("method", "get")],
        0.5,
    )
    .unwrap();
    r.set_gauge("queue_depth", &[("queue", "mail")], 4.0)
        .unwrap();
    r.set_gauge("queue_depth", &[("queue", "mail")], 3.0)
        .unwrap();
    r.set_gauge("uptime_ratio", &[], 0.99).unwrap();
    r.observe("job_seconds", &[("job", "sync"), ("host", "a")], 0.2)
        .unwrap();
    r.observe("job_seconds", &[("host", "a"), ("job", "sync")], 0.3)
        .unwrap();
    assert_eq!(
        r.family_names(),
        ["api_calls", "queue_depth", "uptime_ratio", "job_seconds"]
    );
    let t = text(&r);
    // Labels are written in the order of the first use.
    assert!(
        t.contains("api_calls_total{method=\"search\",status=\"200\"} 3\n"),
        "{t}"
    );
    assert!(
        t.contains("api_calls_total{method=\"get\",status=\"500\"} 0.5\n"),
        "{t}"
    );
    assert!(t.contains("# TYPE queue_depth gauge\n"), "{t}");
    assert!(t.contains("queue_depth{queue=\"mail\"} 3\n"), "{t}");
    assert!(t.contains("uptime_ratio 0.99\n"), "{t}");
    assert!(t.contains("# TYPE job_seconds histogram\n"), "{t}");
    assert!(
        t.contains("job_seconds_count{job=\"sync\",host=\"a\"} 2\n"),
        "{t}"
    );
    assert!(
        t.contains("job_seconds_sum{job=\"sync\",host=\"a\"} 0.5\n"),
        "{t}"
    );
    // The handle getters return the same series.
    assert_eq!(
        r.dynamic_counter("api_calls", &[("status", "200"), ("method", "search")])
            .unwrap()
            .get(),
        3.0
    );
    assert_eq!(
        r.dynamic_gauge("queue_depth", &[("queue", "mail")])
            .unwrap()
            .get(),
        3.0
    );
    assert_eq!(
        r.dynamic_histogram("job_seconds", &[("host", "a"), ("job", "sync")])
            .unwrap()
            .count(),
        2
    );
}

#[test]
fn label_name_mismatch_is_rejected_and_counted() {
    let r = Registry::new();
    r.inc_counter("logins", &[("user", "ann"), ("region", "eu")], 1.0)
        .unwrap();
    let err = assert_rejected(ErrorKind::LabelMismatch, || {
        r.inc_counter("logins", &[("user", "ann")], 1.0)
    });
    assert!(err.to_string().contains("logins"), "{err}");
    assert_rejected(ErrorKind::LabelMismatch, || {
        r.inc_counter("logins", &[("user", "ann"), ("zone", "eu")], 1.0)
    });
    assert_rejected(ErrorKind::LabelMismatch, || {
        r.inc_counter(
            "logins",
            &[("user", "ann"), ("region", "eu"), ("extra", "x")],
            1.0,
        )
    });
    // A repeated name cannot stand in for a missing one.
    assert_rejected(ErrorKind::LabelMismatch, || {
        r.inc_counter("logins", &[("user", "ann"), ("user", "bob")], 1.0)
    });
    assert_rejected(ErrorKind::LabelMismatch, || {
        r.set_gauge("temp", &[("room", "a")], 1.0)?;
        r.set_gauge("temp", &[], 1.0)
    });
    assert_rejected(ErrorKind::LabelMismatch, || {
        r.observe("lat_seconds", &[], 1.0)?;
        r.observe("lat_seconds", &[("route", "/")], 1.0)
    });
    // Nothing was added by the rejected calls.
    assert_eq!(
        r.dynamic_counter("logins", &[("region", "eu"), ("user", "ann")])
            .unwrap()
            .get(),
        1.0
    );
    assert_eq!(r.stats().series, 3);
}

#[test]
fn type_mismatch_is_rejected_and_counted() {
    let r = Registry::new();
    r.inc_counter("events_total", &[], 1.0).unwrap();
    r.set_gauge("level", &[], 1.0).unwrap();
    r.observe("wait_seconds", &[], 1.0).unwrap();
    assert_rejected(ErrorKind::TypeMismatch, || r.set_gauge("events", &[], 1.0));
    assert_rejected(ErrorKind::TypeMismatch, || {
        r.set_gauge("events_total", &[], 1.0)
    });
    assert_rejected(ErrorKind::TypeMismatch, || r.observe("events", &[], 1.0));
    assert_rejected(ErrorKind::TypeMismatch, || r.inc_counter("level", &[], 1.0));
    assert_rejected(ErrorKind::TypeMismatch, || r.observe("level", &[], 1.0));
    assert_rejected(ErrorKind::TypeMismatch, || {
        r.inc_counter("wait_seconds", &[], 1.0)
    });
    assert_rejected(ErrorKind::TypeMismatch, || {
        r.set_gauge("wait_seconds", &[], 1.0)
    });
    assert_rejected(ErrorKind::TypeMismatch, || {
        r.dynamic_histogram("events", &[]).map(drop)
    });
    assert_eq!(r.family_names(), ["events", "level", "wait_seconds"]);
}

#[test]
fn invalid_names_give_the_registration_error() {
    let r = Registry::new();
    assert_rejected(ErrorKind::InvalidMetricName, || {
        r.inc_counter("bad-name", &[], 1.0)
    });
    assert_rejected(ErrorKind::InvalidMetricName, || {
        r.set_gauge("1st", &[], 1.0)
    });
    assert_rejected(ErrorKind::InvalidMetricName, || r.observe("a b", &[], 1.0));
    assert_rejected(ErrorKind::InvalidLabelName, || {
        r.inc_counter("ok_name", &[("bad label", "v")], 1.0)
    });
    assert_rejected(ErrorKind::ReservedLabelName, || {
        r.observe("ok_seconds", &[("le", "1")], 1.0)
    });
    assert_rejected(ErrorKind::ReservedLabelName, || {
        r.set_gauge("ok_gauge", &[("__hidden", "v")], 1.0)
    });
    assert_rejected(ErrorKind::DuplicateLabelName, || {
        r.set_gauge("twice", &[("a", "1"), ("a", "2")], 1.0)
    });
    // A name taken by a family registered through the builders.
    r.gauge("static_level", "S.").register().unwrap();
    assert_rejected(ErrorKind::DuplicateMetric, || {
        r.set_gauge("static_level", &[], 1.0)
    });
    assert!(
        r.family_names() == ["static_level"],
        "{:?}",
        r.family_names()
    );
    // A rejected first use leaves the name free: a valid first use still works.
    r.inc_counter("ok_name", &[("good", "v")], 1.0).unwrap();
    assert!(text(&r).contains("ok_name_total{good=\"v\"} 1\n"));
}

#[test]
fn invalid_increments_are_invalid_value_and_add_nothing() {
    let r = Registry::new();
    r.inc_counter("paid_total", &[("k", "v")], 2.0).unwrap();
    for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5] {
        let before = dropped(DropReason::InvalidIncrement);
        let err = r
            .inc_counter("paid_total", &[("k", "v")], bad)
            .expect_err("invalid increment");
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{bad}: {err}");
        assert!(dropped(DropReason::InvalidIncrement) > before, "{bad}");
    }
    assert_eq!(r.dynamic_counter("paid", &[("k", "v")]).unwrap().get(), 2.0);
    // An invalid first use creates no family.
    let err = r.inc_counter("never_total", &[], -1.0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(!r.family_names().contains(&"never".to_owned()));
    // Zero is a valid increment.
    r.inc_counter("paid_total", &[("k", "v")], 0.0).unwrap();
}

#[test]
fn declarations_before_first_use_show_in_the_exposition() {
    let r = Registry::new();
    r.declare(
        "job_duration_seconds",
        Declaration::new("Time a job took.")
            .with_unit("seconds")
            .with_buckets(&[0.1, 1.0, 10.0])
            .unwrap(),
    )
    .unwrap();
    r.declare(
        "sent_bytes_total",
        Declaration::new("Bytes sent.").with_unit("bytes"),
    )
    .unwrap();
    r.declare("queue_depth", Declaration::new("Jobs \"waiting\".\nNow."))
        .unwrap();
    r.observe("job_duration_seconds", &[("job", "sync")], 0.4)
        .unwrap();
    r.inc_counter("sent_bytes", &[], 512.0).unwrap();
    r.set_gauge("queue_depth", &[], 2.0).unwrap();

    let t = text(&r);
    assert!(
        t.contains("# HELP job_duration_seconds Time a job took.\n"),
        "{t}"
    );
    for bucket in [
        "job_duration_seconds_bucket{job=\"sync\",le=\"0.1\"} 0\n",
        "job_duration_seconds_bucket{job=\"sync\",le=\"1\"} 1\n",
        "job_duration_seconds_bucket{job=\"sync\",le=\"10\"} 1\n",
        "job_duration_seconds_bucket{job=\"sync\",le=\"+Inf\"} 1\n",
    ] {
        assert!(t.contains(bucket), "{bucket}in\n{t}");
    }
    assert_eq!(
        t.matches("job_duration_seconds_bucket{").count(),
        4,
        "only the declared bounds: {t}"
    );
    assert!(t.contains("# HELP sent_bytes_total Bytes sent.\n"), "{t}");
    assert!(
        t.contains("# HELP queue_depth Jobs \"waiting\".\\nNow.\n"),
        "{t}"
    );

    let o = om(&r);
    assert!(o.contains("# UNIT job_duration_seconds seconds\n"), "{o}");
    assert!(o.contains("# UNIT sent_bytes bytes\n"), "{o}");
    assert!(o.contains("# HELP sent_bytes Bytes sent.\n"), "{o}");
    assert!(
        o.contains("sent_bytes_total 512.0\n") || o.contains("sent_bytes_total 512\n"),
        "{o}"
    );
    assert!(
        o.contains("job_duration_seconds_bucket{job=\"sync\",le=\"1.0\"} 1\n"),
        "{o}"
    );
}

#[test]
fn declaring_after_first_use_is_invalid_config() {
    let r = Registry::new();
    r.inc_counter("runs_total", &[], 1.0).unwrap();
    for name in ["runs_total", "runs"] {
        let err = r
            .declare(name, Declaration::new("Too late."))
            .expect_err("declared after use");
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{name}: {err}");
    }
    r.set_gauge("level", &[], 1.0).unwrap();
    let err = r
        .declare("level", Declaration::new("Too late."))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    // The help stays as it was (none).
    assert!(!text(&r).contains("Too late"));
}

#[test]
fn invalid_declaration_fails_at_first_use_not_silently() {
    let r = Registry::new();
    // A unit that is not a suffix of the name cannot be checked until the family is created.
    r.declare("latency_seconds", Declaration::new("L.").with_unit("bytes"))
        .unwrap();
    assert_rejected(ErrorKind::InvalidUnit, || {
        r.observe("latency_seconds", &[], 0.1)
    });
    // Bucket bounds are checked when declared.
    let err = Declaration::new("B.")
        .with_buckets(&[1.0, 0.5])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidBuckets);
}

#[test]
fn name_with_and_without_total_is_one_family() {
    let r = Registry::new();
    r.inc_counter("jobs_total", &[("queue", "mail")], 1.0)
        .unwrap();
    r.inc_counter("jobs", &[("queue", "mail")], 2.0).unwrap();
    r.inc_counter("jobs", &[("queue", "sms")], 4.0).unwrap();
    assert_eq!(r.family_names(), ["jobs"]);
    let t = text(&r);
    assert!(t.contains("jobs_total{queue=\"mail\"} 3\n"), "{t}");
    assert!(t.contains("jobs_total{queue=\"sms\"} 4\n"), "{t}");
    assert_eq!(t.matches("# TYPE jobs_total counter").count(), 1, "{t}");
    assert_eq!(
        r.dynamic_counter("jobs_total", &[("queue", "mail")])
            .unwrap()
            .get(),
        3.0
    );
    // Label names are fixed across both spellings.
    assert_rejected(ErrorKind::LabelMismatch, || {
        r.inc_counter("jobs_total", &[("q", "mail")], 1.0)
    });
}

#[test]
fn concurrent_first_use_creates_one_family_with_exact_total() {
    const PER_THREAD: usize = 10_000;
    let r = Registry::new();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (r, barrier) = (&r, &barrier);
            s.spawn(move || {
                barrier.wait();
                for i in 0..PER_THREAD {
                    // Half the threads give the pairs in the other order.
                    let labels: &[(&str, &str)] = if (t + i) % 2 == 0 {
                        &[("worker", "w"), ("kind", "batch")]
                    } else {
                        &[("kind", "batch"), ("worker", "w")]
                    };
                    r.inc_counter("raced_total", labels, 1.0).unwrap();
                }
            });
        }
    });
    assert_eq!(r.family_names(), ["raced"]);
    assert_eq!(r.stats().series, 1);
    let total = r
        .dynamic_counter("raced", &[("worker", "w"), ("kind", "batch")])
        .unwrap()
        .get();
    assert_eq!(total, (THREADS * PER_THREAD) as f64);
    let t = text(&r);
    assert_eq!(
        t.lines().filter(|l| l.starts_with("raced_total")).count(),
        1,
        "{t}"
    );
    assert!(t.ends_with(" 80000\n"), "{t}");
}

#[test]
fn current_registry_inside_scopes() {
    let outer = Registry::new();
    let inner = Registry::new();
    {
        let _outer = outer.enter();
        current_registry()
            .inc_counter("scoped_dyn_total", &[("level", "outer")], 1.0)
            .unwrap();
        {
            let _inner = inner.enter();
            current_registry()
                .inc_counter("scoped_dyn_total", &[("level", "inner")], 2.0)
                .unwrap();
            current_registry()
                .set_gauge("scoped_dyn_gauge", &[], 5.0)
                .unwrap();
        }
        current_registry()
            .inc_counter("scoped_dyn_total", &[("level", "outer")], 1.0)
            .unwrap();
    }
    assert!(text(&outer).contains("scoped_dyn_total{level=\"outer\"} 2\n"));
    assert!(!text(&outer).contains("scoped_dyn_gauge"));
    let t = text(&inner);
    assert!(t.contains("scoped_dyn_total{level=\"inner\"} 2\n"), "{t}");
    assert!(t.contains("scoped_dyn_gauge 5\n"), "{t}");
    let global = default_registry().family_names();
    assert!(
        !global.iter().any(|n| n.starts_with("scoped_dyn")),
        "{global:?}"
    );
    // Another thread has not entered anything: its current registry is the default one.
    thread::spawn(|| {
        assert!(!current_registry()
            .family_names()
            .iter()
            .any(|n| n.starts_with("scoped_dyn")));
    })
    .join()
    .unwrap();
}

#[test]
fn namespaced_registry() {
    let r = Registry::builder()
        .with_namespace("shop")
        .with_const_label("region", "eu")
        .build()
        .unwrap();
    r.inc_counter("orders_total", &[("kind", "web")], 1.0)
        .unwrap();
    r.inc_counter("orders", &[("kind", "web")], 1.0).unwrap();
    r.set_gauge("carts", &[], 3.0).unwrap();
    r.declare(
        "checkout_seconds",
        Declaration::new("Checkout time.").with_unit("seconds"),
    )
    .unwrap();
    r.observe("checkout_seconds", &[], 1.5).unwrap();
    assert_eq!(
        r.family_names(),
        ["shop_orders", "shop_carts", "shop_checkout_seconds"]
    );
    let t = text(&r);
    assert!(
        t.contains("shop_orders_total{region=\"eu\",kind=\"web\"} 2\n"),
        "{t}"
    );
    assert!(t.contains("shop_carts{region=\"eu\"} 3\n"), "{t}");
    assert!(
        t.contains("# HELP shop_checkout_seconds Checkout time.\n"),
        "{t}"
    );
    assert!(om(&r).contains("# UNIT shop_checkout_seconds seconds\n"));
    // The manager knows its families by the names it was given.
    assert_eq!(
        r.dynamic_counter("orders", &[("kind", "web")])
            .unwrap()
            .get(),
        2.0
    );
    assert_rejected(ErrorKind::TypeMismatch, || r.set_gauge("orders", &[], 1.0));
}

#[test]
fn dynamic_families_have_the_default_series_limit() {
    let r = Registry::builder()
        .with_max_series_per_family(3)
        .build()
        .unwrap();
    for i in 0..10 {
        r.inc_counter("per_user_total", &[("user", &format!("u{i}"))], 1.0)
            .unwrap();
    }
    let stats = r.stats();
    assert_eq!(stats.series, 3);
    assert_eq!(stats.families[0].overflowed, 7);
    assert!(
        text(&r).contains("per_user_total{user=\"__overflow__\"} 7\n"),
        "{}",
        text(&r)
    );
}

#[test]
fn unregistered_dynamic_family_is_created_again_on_next_use() {
    // `unregister` removes a family from the registry; the dynamic manager must not keep
    // updating the removed family, unexposed, forever: the next use creates it again.
    let r = Registry::new();
    r.inc_counter("retired_total", &[("k", "v")], 1.0).unwrap();
    assert!(r.unregister("retired_total"));
    assert!(r.family_names().is_empty());
    r.inc_counter("retired_total", &[("k", "v")], 1.0).unwrap();
    let t = text(&r);
    assert!(
        t.contains("retired_total{k=\"v\"} 1\n"),
        "the update after unregister went nowhere:\n{t}"
    );
}

/// Only counters drop `_total` from their key: two gauges named `conns_total` and `conns`
/// are two families.
#[test]
fn gauges_keep_their_exact_names() {
    let r = Registry::new();
    r.set_gauge("conns_total", &[], 1.0).unwrap();
    r.set_gauge("conns", &[], 5.0).unwrap();
    assert_eq!(r.dynamic_gauge("conns_total", &[]).unwrap().get(), 1.0);
    assert_eq!(r.dynamic_gauge("conns", &[]).unwrap().get(), 5.0);
}

/// Scopes dropped out of order remove exactly themselves.
#[test]
fn scopes_dropped_out_of_order_remove_themselves() {
    let outer = Registry::new();
    let inner = Registry::new();
    let a = outer.enter();
    let b = inner.enter();
    drop(a);
    current_registry().set_gauge("where", &[], 1.0).unwrap();
    assert_eq!(inner.family_names(), ["where"]);
    assert!(outer.family_names().is_empty());
    drop(b);
}
