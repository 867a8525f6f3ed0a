//! `vitals lint` end to end: the real binary on files, standard input and local HTTP servers,
//! beside `promtool check metrics` on the peer crates' real output, and on vitals' own.
//!
//! The peer tests need promtool (Debian package `prometheus`); without it they print one
//! `skipping:` line, unless `CI` or `VITALS_REQUIRE_PEERS` is set, where they fail.

mod cli;
mod own;
mod peers;
mod support;
