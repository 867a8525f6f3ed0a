//! # vitals-http
//!
//! HTTP exposition for vitals: the /metrics service with negotiation and gzip, JSON and health routes, the request-metrics layer, a standalone server.
