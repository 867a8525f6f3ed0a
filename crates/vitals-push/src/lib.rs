//! # vitals-push
//!
//! Pushgateway client for vitals: push, push-add, delete; async and blocking.
