//! What `images` reports.

use helm_why_diff::Severity;
use helm_why_diff::images::{FindingCode, ImageFinding, LiveImageGroup, RevisionImages};
use helm_why_release::ResourceKey;
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
    /// Findings from the records, then from the live pods, one per place (container and run
    /// of revisions).
    pub findings: Vec<ImageFinding>,
    /// The same findings grouped by cause (code and image), most severe first: what the
    /// table prints.
    pub finding_groups: Vec<FindingGroup>,
    /// The live pods (`null` when reading files, or when they could not be listed).
    pub live: Option<LiveReport>,
    /// Problems with the input.
    pub warnings: Vec<String>,
}

/// One cause found at one or more places: the findings with the same code, severity and
/// image (JSON contract in docs/json.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingGroup {
    /// The findings' code.
    pub code: FindingCode,
    /// Their severity.
    pub severity: Severity,
    /// The image, as written in the manifests.
    pub image: String,
    /// The first revision any of them concerns (`null`: only live pods).
    pub revision: Option<u64>,
    /// The last revision any of them concerns.
    pub last_revision: Option<u64>,
    /// Where: one entry per workload and container.
    pub places: Vec<FindingPlace>,
    /// The findings it stands for: indexes into `findings`.
    pub findings: Vec<usize>,
}

/// One container a grouped finding holds for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingPlace {
    /// The workload.
    pub workload: ResourceKey,
    /// The container.
    pub container: String,
    /// The runs of revisions where it holds, as `[first, last]` (empty for live pods).
    pub revisions: Vec<[u64; 2]>,
}
