//! PoolMetrics: connection states, the checkout guard, waits and timeouts.

use vitals::testing::{histogram, sample};
use vitals::{ErrorKind, Registry};
use vitals_instrument::sets::PoolMetrics;

fn connections(registry: &Registry, pool: &str) -> (Option<f64>, Option<f64>) {
    (
        sample(
            registry,
            "db_pool_connections",
            &[("pool", pool), ("state", "idle")],
        ),
        sample(
            registry,
            "db_pool_connections",
            &[("pool", pool), ("state", "in_use")],
        ),
    )
}

#[test]
fn checkout_guard_moves_a_connection_to_in_use_and_back_on_drop() {
    let registry = Registry::new();
    let pool = PoolMetrics::builder("primary")
        .register_in(&registry)
        .unwrap();
    assert_eq!(connections(&registry, "primary"), (Some(0.0), Some(0.0)));

    pool.connection_opened();
    pool.connection_opened();
    assert_eq!(connections(&registry, "primary"), (Some(2.0), Some(0.0)));
    {
        let _first = pool.checkout();
        let _second = pool.checkout();
        assert_eq!(connections(&registry, "primary"), (Some(0.0), Some(2.0)));
    }
    assert_eq!(connections(&registry, "primary"), (Some(2.0), Some(0.0)));

    // A connection closed instead of returned leaves the pool.
    let broken = pool.checkout();
    assert_eq!(connections(&registry, "primary"), (Some(1.0), Some(1.0)));
    broken.close();
    assert_eq!(connections(&registry, "primary"), (Some(1.0), Some(0.0)));
    pool.connection_closed();
    assert_eq!(connections(&registry, "primary"), (Some(0.0), Some(0.0)));
}

#[test]
fn a_guard_moved_to_another_thread_returns_there() {
    let registry = Registry::new();
    let pool = PoolMetrics::builder("p").register_in(&registry).unwrap();
    pool.connection_opened();
    let conn = pool.checkout();
    std::thread::spawn(move || drop(conn)).join().unwrap();
    assert_eq!(connections(&registry, "p"), (Some(1.0), Some(0.0)));
}

#[test]
fn waits_are_counted_observed_and_timed_out() {
    let registry = Registry::new();
    let pool = PoolMetrics::builder("primary")
        .register_in(&registry)
        .unwrap();
    let primary = [("pool", "primary")];

    // A wait that gets a connection freed (or opened) meanwhile.
    let wait = pool.start_wait();
    assert_eq!(
        sample(&registry, "db_pool_waits_total", &primary),
        Some(1.0)
    );
    pool.connection_opened();
    let conn = wait.acquired();
    assert_eq!(connections(&registry, "primary"), (Some(0.0), Some(1.0)));

    // A wait that times out.
    pool.start_wait().timed_out();
    // A wait given up (a cancelled future): observed, not a timeout.
    drop(pool.start_wait());
    drop(conn);

    assert_eq!(
        sample(&registry, "db_pool_waits_total", &primary),
        Some(3.0)
    );
    assert_eq!(
        sample(&registry, "db_pool_timeouts_total", &primary),
        Some(1.0)
    );
    let waits = histogram(&registry, "db_pool_wait_seconds", &primary).unwrap();
    assert_eq!(waits.count, 3);
    assert!(waits.sum >= 0.0 && waits.sum < 1.0, "{}", waits.sum);
    assert_eq!(connections(&registry, "primary"), (Some(1.0), Some(0.0)));
}

#[test]
fn max_connections_exists_only_once_known_and_polled_state_is_set() {
    let registry = Registry::new();
    let unknown = PoolMetrics::builder("a").register_in(&registry).unwrap();
    assert_eq!(
        sample(&registry, "db_pool_max_connections", &[("pool", "a")]),
        None
    );
    unknown.set_max_connections(20);
    assert_eq!(
        sample(&registry, "db_pool_max_connections", &[("pool", "a")]),
        Some(20.0)
    );

    let known = PoolMetrics::builder("b")
        .with_max_connections(10)
        .register_in(&registry)
        .unwrap();
    assert_eq!(
        sample(&registry, "db_pool_max_connections", &[("pool", "b")]),
        Some(10.0)
    );
    known.set_connections(3, 7);
    assert_eq!(connections(&registry, "b"), (Some(3.0), Some(7.0)));
    // The other pool of the shared families is untouched.
    assert_eq!(connections(&registry, "a"), (Some(0.0), Some(0.0)));
}

#[test]
fn registration_errors() {
    let registry = Registry::new();
    PoolMetrics::builder("a").register_in(&registry).unwrap();
    let err = PoolMetrics::builder("b")
        .with_wait_buckets(&[0.5, 1.0])
        .register_in(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);

    // A counter registered where the set wants a gauge.
    let taken = Registry::new();
    taken
        .counter("db_pool_connections", "Not a gauge.")
        .register_shared(&["pool", "state"])
        .unwrap();
    let err = PoolMetrics::builder("a").register_in(&taken).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);
}
