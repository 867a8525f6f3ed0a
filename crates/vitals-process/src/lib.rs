//! # vitals-process
//!
//! Process collector for vitals: CPU, memory, file descriptors, threads, start time.
