//! CLI tests: one binary, one module per topic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod test_diff;
mod test_fidelity;
mod test_files;
mod test_finding;
mod test_helm_flags;
mod test_help;
mod test_hostile;
mod test_html;
mod test_images;
mod test_output;
mod test_plan;
mod test_plugins;
mod test_scan;
mod test_secrets;
mod test_sql;
mod test_tiller;

mod test_cluster;
mod test_live;
mod test_neighbours;
