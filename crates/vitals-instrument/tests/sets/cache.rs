//! CacheMetrics: hits and misses in one family, evictions, entries.

use vitals::testing::{sample, samples};
use vitals::{ErrorKind, Registry};
use vitals_instrument::sets::CacheMetrics;

fn requests(registry: &Registry, cache: &str, result: &str) -> Option<f64> {
    sample(
        registry,
        "cache_requests_total",
        &[("cache", cache), ("result", result)],
    )
}

#[test]
fn hits_misses_evictions_and_entries() {
    let registry = Registry::new();
    let cache = CacheMetrics::builder("users")
        .register_in(&registry)
        .unwrap();
    // Both results exist from the start, so a ratio over them is defined from the start.
    assert_eq!(requests(&registry, "users", "hit"), Some(0.0));
    assert_eq!(requests(&registry, "users", "miss"), Some(0.0));

    cache.hit();
    cache.hit();
    cache.miss();
    cache.record(true);
    cache.record(false);
    assert_eq!(cache.lookup(Some(5)), Some(5));
    assert_eq!(cache.lookup(None::<u8>), None);
    cache.evicted();
    cache.add_evicted(4);
    cache.set_entries(120);

    assert_eq!(requests(&registry, "users", "hit"), Some(4.0));
    assert_eq!(requests(&registry, "users", "miss"), Some(3.0));
    let users = [("cache", "users")];
    assert_eq!(
        sample(&registry, "cache_evictions_total", &users),
        Some(5.0)
    );
    assert_eq!(sample(&registry, "cache_entries", &users), Some(120.0));
    // No ratio is exported: it is computed in PromQL.
    assert!(!registry.family_names().iter().any(|n| n.contains("ratio")));
}

#[test]
fn two_caches_share_families_and_differ_by_label() {
    let registry = Registry::new();
    let users = CacheMetrics::builder("users")
        .register_in(&registry)
        .unwrap();
    let pages = CacheMetrics::builder("pages")
        .register_in(&registry)
        .unwrap();
    users.hit();
    pages.miss();
    pages.miss();
    assert_eq!(requests(&registry, "users", "hit"), Some(1.0));
    assert_eq!(requests(&registry, "pages", "miss"), Some(2.0));
    assert_eq!(samples(&registry, "cache_requests_total").len(), 4);
    assert_eq!(
        registry.family_names(),
        ["cache_requests", "cache_evictions", "cache_entries"]
    );
}

#[test]
fn prefix_and_registration_errors() {
    let registry = Registry::new();
    let cache = CacheMetrics::builder("users")
        .with_prefix("shop")
        .register_in(&registry)
        .unwrap();
    cache.hit();
    assert_eq!(
        sample(
            &registry,
            "shop_cache_requests_total",
            &[("cache", "users"), ("result", "hit")]
        ),
        Some(1.0)
    );

    // Same name, other labels: a conflicting definition.
    let taken = Registry::new();
    taken
        .counter("cache_requests", "Cache lookups, by result: hit or miss.")
        .register_shared(&["cache"])
        .unwrap();
    let err = CacheMetrics::builder("users")
        .register_in(&taken)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);
    assert!(err.to_string().contains("labels"), "{err}");
}
