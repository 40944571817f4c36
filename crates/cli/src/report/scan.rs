//! What `scan` reports: every release of the sources, and every hazard.

use helm_why_diff::{ReleaseHazard, Severity};
use serde::Serialize;

/// Hazards of one release by severity.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
}

impl SeverityCounts {
    /// Count one more hazard of `severity`.
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }
}

/// One release in the scan (JSON contract in docs/json.md).
#[derive(Debug, Clone, Serialize)]
pub struct ScanRow {
    /// The kubeconfig context it was read from (`null` for files, or one unnamed context).
    pub context: Option<String>,
    /// Namespace.
    pub namespace: String,
    /// Release name.
    pub release: String,
    /// Last revision stored (decoded or not).
    pub revision: Option<u64>,
    /// Status of the last decoded revision (`undecodable` when none decodes).
    pub status: String,
    /// `last_deployed` of the last decoded revision.
    pub updated: Option<String>,
    /// `chart-version` of the last decoded revision.
    pub chart: String,
    /// Revisions stored (decoded or not).
    pub revisions_stored: usize,
    /// Revisions missing from the history (pruned by `--history-max`, or deleted).
    pub revisions_missing: u64,
    /// Hazards by severity.
    pub hazards: SeverityCounts,
    /// The code of the worst hazard (the first found of the most severe).
    pub worst: Option<String>,
}

/// One hazard of the scan, naming its release (and context).
#[derive(Debug, Clone, Serialize)]
pub struct ScanHazard {
    /// The kubeconfig context.
    pub context: Option<String>,
    /// The release and the hazard.
    #[serde(flatten)]
    pub hazard: ReleaseHazard,
}

/// The `scan` report (JSON contract in docs/json.md).
#[derive(Debug, Default, Serialize)]
pub struct ScanReport {
    /// What was read: `all namespaces (context prod)`, `3 files`.
    pub sources: Vec<String>,
    /// One row per release, by context, namespace and name.
    pub releases: Vec<ScanRow>,
    /// Every hazard, most severe first, then by context, namespace, release and revision.
    pub hazards: Vec<ScanHazard>,
    /// Live objects whose ownership annotations were read (connected).
    pub objects_checked: usize,
    /// Problems with the input.
    pub warnings: Vec<String>,
}

impl ScanReport {
    /// The most severe hazard found.
    pub fn worst(&self) -> Option<Severity> {
        self.hazards.iter().map(|h| h.hazard.hazard.severity).max()
    }
}
