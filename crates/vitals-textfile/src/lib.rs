//! # vitals-textfile
//!
//! node_exporter textfile writer for vitals: atomic, periodic.
