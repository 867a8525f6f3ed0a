//! Seed 001's "Database Query Tracking" pattern in Rust: `db_query_duration_seconds` by query
//! type and `db_query_errors_total` by query and error type (bounded by a classifier, not the
//! error's type name), beside the connection pool's gauges.
//!
//! Run: `cargo run -p vitals-instrument --example database`

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use vitals::{encode_to_string, Format, Registry};
use vitals_instrument::sets::{DbMetrics, PoolMetrics};

/// The errors of a toy database.
#[derive(Debug)]
enum DbError {
    NotFound,
    Duplicate,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbError::NotFound => "no such row",
            DbError::Duplicate => "duplicate key",
        })
    }
}

impl std::error::Error for DbError {}

/// The `error_type` label: one of a fixed few values, whatever the error says.
fn error_type(error: &(dyn std::error::Error + 'static)) -> &'static str {
    match error.downcast_ref::<DbError>() {
        Some(DbError::NotFound) => "not_found",
        Some(DbError::Duplicate) => "duplicate",
        None => "other",
    }
}

fn main() -> Result<(), vitals::Error> {
    let registry = Registry::new();
    let db = DbMetrics::builder()
        .with_error_classifier(error_type)
        .register_in(&registry)?;
    let pool = PoolMetrics::builder("primary")
        .with_max_connections(2)
        .register_in(&registry)?;
    pool.connection_opened();
    pool.connection_opened();

    let table: Mutex<HashMap<u32, String>> = Mutex::default();
    let insert = |id: u32, name: &str| {
        let _conn = pool.checkout(); // in use for the query, idle again after it
        db.query("insert", || {
            let mut rows = table.lock().map_err(|_| DbError::NotFound)?;
            if rows.contains_key(&id) {
                return Err(DbError::Duplicate);
            }
            rows.insert(id, name.to_owned());
            Ok(())
        })
    };
    let select = |id: u32| {
        let _conn = pool.checkout();
        db.query("select", || {
            let rows = table.lock().map_err(|_| DbError::NotFound)?;
            rows.get(&id).cloned().ok_or(DbError::NotFound)
        })
    };

    insert(1, "ada").ok();
    insert(2, "grace").ok();
    if let Err(e) = insert(1, "alan") {
        println!("insert failed: {e}");
    }
    println!("row 1: {:?}", select(1));
    println!("row 9: {:?}", select(9));

    let text = encode_to_string(&registry, Format::PrometheusText);
    print!("{text}");

    for line in [
        "db_query_duration_seconds_count{query_type=\"insert\"} 3\n",
        "db_query_duration_seconds_count{query_type=\"select\"} 2\n",
        "db_query_errors_total{query_type=\"insert\",error_type=\"duplicate\"} 1\n",
        "db_query_errors_total{query_type=\"select\",error_type=\"not_found\"} 1\n",
        "db_pool_connections{pool=\"primary\",state=\"idle\"} 2\n",
        "db_pool_connections{pool=\"primary\",state=\"in_use\"} 0\n",
        "db_pool_max_connections{pool=\"primary\"} 2\n",
    ] {
        assert!(text.contains(line), "missing {line:?}");
    }
    Ok(())
}
