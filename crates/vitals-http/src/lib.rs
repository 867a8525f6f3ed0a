//! # vitals-http
//!
//! HTTP exposition for [vitals](https://github.com/vitals-rs/vitals): the `/metrics` route with
//! content negotiation and gzip, JSON and health routes, protection (bearer or basic auth, an
//! IP allow-list), and a standalone server for programs that do not use axum.
//!
//! In an axum application, merge [`metrics_router`] into the app:
//!
//! ```
//! use vitals_http::{metrics_router, MetricsConfig};
//!
//! let registry = vitals_core::Registry::new();
//! registry.counter("jobs", "Jobs run.").register()?.inc();
//! let app = axum::Router::new().merge(metrics_router(registry, MetricsConfig::new())?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Elsewhere, [`serve`] (on a tokio runtime) or [`serve_in_background`] (no async needed) run a
//! server with the same routes, bound to loopback unless told otherwise.
//!
//! | item | what it is |
//! | --- | --- |
//! | [`metrics_router`] | the routes: `/metrics` (negotiated), `/metrics/json`, `/health` |
//! | [`MetricsConfig`] | paths, OpenMetrics on/off, gzip, auth, allow-list, health check |
//! | [`IpNetwork`] | a CIDR for the allow-list |
//! | [`Health`], [`HealthCheck`] | what the health route reports |
//! | [`serve`], [`serve_with`], [`Server`] | the standalone server on the caller's runtime |
//! | [`serve_in_background`], [`BackgroundServer`] | the standalone server on its own thread |
//! | [`layer`]: [`RequestMetricsLayer`], [`RequestMetricsConfig`] | request metrics (count, duration, sizes, in flight) by method, route template and status |
//! | [`ConfigError`], [`ServeError`] | what can go wrong |

mod auth;
mod config;
mod endpoint;
mod health;
pub mod layer;
mod server;

pub use config::{ConfigError, IpNetwork, MetricsConfig};
pub use endpoint::metrics_router;
pub use health::{Health, HealthCheck};
pub use layer::{RequestMetricsConfig, RequestMetricsLayer, RouteResolver, StatusLabel};
pub use server::{
    serve, serve_in_background, serve_with, BackgroundServer, ServeError, Server, ServerConfig,
    DEFAULT_ADDR,
};
