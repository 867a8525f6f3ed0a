//! # vitals
//!
//! Prometheus metrics for Rust services: instruments that cost a few nanoseconds, exposition
//! correct to the letter of Prometheus text 0.0.4 and OpenMetrics 1.0, and (in the optional
//! crates, one feature each as they arrive) the exporters a service needs.
//!
//! This crate is the one to depend on; it re-exports the others.
//!
//! ```
//! use vitals::{encode_to_string, Format, Registry};
//!
//! let registry = Registry::new();
//! let requests = registry
//!     .counter("http_requests", "HTTP requests served.")
//!     .register_family(&["method", "status"])?;
//! requests.with_labels(&["GET", "200"]).inc();
//!
//! let text = encode_to_string(&registry, Format::PrometheusText);
//! assert!(text.contains("http_requests_total{method=\"GET\",status=\"200\"} 1\n"));
//! # Ok::<(), vitals::Error>(())
//! ```
//!
//! | crate | re-exported as | feature |
//! | --- | --- | --- |
//! | `vitals-core` | the crate root, and [`core`] | always |
//! | `vitals-expfmt` | [`expfmt`], [`encode`], [`encode_to_string`], [`Format`] | always |

#[doc(inline)]
pub use vitals_core::*;

/// The core crate, for paths such as `vitals::core::collect::Visitor`.
pub use vitals_core as core;

/// Exposition formats.
pub use vitals_expfmt as expfmt;

pub use vitals_expfmt::{encode, encode_to_string, Format};

/// The README's examples, compiled and run as doctests so that the README cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
