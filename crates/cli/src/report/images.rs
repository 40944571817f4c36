//! What `images` reports.

use helm_why_diff::images::{ImageFinding, LiveImageGroup, RevisionImages};
use serde::Serialize;

/// What the release's live pods run (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct LiveReport {
    /// The namespace whose pods were listed.
    pub namespace: String,
    /// Pods listed.
    pub pods_listed: usize,
    /// Pods that belong to a workload of the release's last revision.
    pub pods_matched: usize,
    /// Replicas grouped by workload, container and image reference.
    pub groups: Vec<LiveImageGroup>,
}

/// The `images` report (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct ImagesReport {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// One entry per stored revision, with one row per container of every workload.
    pub revisions: Vec<RevisionImages>,
    /// Findings from the records, then from the live pods.
    pub findings: Vec<ImageFinding>,
    /// The live pods (`null` when reading files, or when they could not be listed).
    pub live: Option<LiveReport>,
    /// Problems with the input.
    pub warnings: Vec<String>,
}
