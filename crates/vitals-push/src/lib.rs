//! # vitals-push
//!
//! A [Pushgateway](https://github.com/prometheus/pushgateway) client for
//! [vitals](https://github.com/vitals-rs/vitals): for batch jobs and other programs that end
//! before Prometheus could scrape them. A [`Pusher`] names the gateway and the group (the job
//! and any grouping labels) and sends a registry's metrics:
//!
//! | call | HTTP | effect on the group |
//! | --- | --- | --- |
//! | [`Pusher::push`] | `PUT` | replaces all its metrics |
//! | [`Pusher::push_add`] | `POST` | replaces the metrics of the names pushed, keeps the others |
//! | [`Pusher::delete`] | `DELETE` | removes it |
//!
//! Grouping values that a URL path segment cannot carry (empty, containing `/`) are sent in
//! the Pushgateway's `@base64` form. Failures are typed ([`ErrorKind`]): a rejected push
//! carries the gateway's own message.
//!
//! ```no_run
//! use vitals_core::Registry;
//! use vitals_push::Pusher;
//!
//! let registry = Registry::new();
//! let last_success = registry
//!     .gauge("backup_last_success_timestamp_seconds", "When the backup last succeeded.")
//!     .register()?;
//! last_success.set(1_700_000_000);
//!
//! let pusher = Pusher::new("http://pushgateway:9091", "backup")?.with_grouping("db", "orders")?;
//! match pusher.push(&registry) {
//!     Ok(()) => {}
//!     Err(e) => eprintln!("push failed: {e}"), // says what happened and what to do
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `async` | `push_async`, `push_add_async`, `delete_async` on a tokio runtime (reqwest, rustls) |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
#[cfg(feature = "async")]
mod nonblocking;
mod path;
mod pusher;

pub use error::{Error, ErrorKind, Result};
pub use pusher::{Pusher, DEFAULT_TIMEOUT};
