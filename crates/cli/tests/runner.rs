//! CLI tests: one binary, one module per topic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod test_files;

mod test_cluster;
