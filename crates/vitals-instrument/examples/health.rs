//! Seed 001's "Service Health Check" pattern in Rust: `service_health_status{service}` at
//! 0 (healthy), 1 (degraded) or 2 (down, also when the check errs or panics), with each
//! check's duration and the time of the last one, checked periodically on a thread.
//!
//! Run: `cargo run -p vitals-instrument --example health`

use std::time::Duration;

use vitals::{encode_to_string, Format, Registry};
use vitals_instrument::sets::{HealthCheck, HealthStatus};
use vitals_instrument::sink::{set_error_sink, ErrorEvent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Failed checks are reported to the error sink (Sentry, a log) as well as set to 2.
    set_error_sink(|event: &ErrorEvent<'_>| {
        eprintln!(
            "{} failed {:?}: {}",
            event.source(),
            event.labels(),
            event.error()
        );
    });

    let registry = Registry::new();
    let database = HealthCheck::builder("database").register_in(&registry)?;
    let cache = HealthCheck::builder("cache").register_in(&registry)?;
    let search = HealthCheck::builder("search").register_in(&registry)?;

    // `verify_service_health` of the seed: a ping that fails.
    let ping = || Err::<(), _>(std::io::Error::other("connection refused"));
    assert_eq!(database.run_once(ping), HealthStatus::Down);
    // `is_healthy` false is degraded, as in the seed.
    assert_eq!(search.run_once(|| false), HealthStatus::Degraded);

    // The seed's `health_check_loop`, every 20 ms here, on a thread, until stopped.
    let checker = cache.spawn(Duration::from_millis(20), || HealthStatus::Healthy)?;
    std::thread::sleep(Duration::from_millis(50));
    checker.stop();

    let text = encode_to_string(&registry, Format::PrometheusText);
    print!("{text}");

    for line in [
        "service_health_status{service=\"database\"} 2\n",
        "service_health_status{service=\"search\"} 1\n",
        "service_health_status{service=\"cache\"} 0\n",
        "service_health_check_duration_seconds_count{service=\"database\"} 1\n",
    ] {
        assert!(text.contains(line), "missing {line:?}");
    }
    assert!(text.contains("service_health_last_check_timestamp_seconds{service=\"cache\"} 1"));
    Ok(())
}
