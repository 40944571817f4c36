//! What `history` reports: one row per revision.

use helm_why_diff::Hazard;
use helm_why_release::ResourceKey;
use serde::Serialize;

/// One revision row. Undecodable revisions are rows too; missing ones are listed apart.
#[derive(Debug, Serialize)]
pub struct RevisionRow {
    /// Revision number.
    pub revision: u64,
    /// Stored status, or `undecodable` for a record that could not be decoded.
    pub status: String,
    /// `last_deployed` as stored (RFC 3339).
    pub updated: Option<String>,
    /// `chart-version`.
    pub chart: String,
    /// `appVersion`.
    pub app_version: String,
    /// Helm's description, or what is wrong with the record.
    pub description: String,
    /// Number of tracked manifest objects.
    pub objects: usize,
    /// Number of hooks.
    pub hooks: usize,
    /// Objects added since the previous stored revision.
    pub added: Vec<ResourceKey>,
    /// Objects removed since the previous stored revision.
    pub removed: Vec<ResourceKey>,
    /// Objects whose document changed since the previous stored revision.
    pub changed: Vec<ResourceKey>,
    /// The revision the change is counted against (the previous one stored; may be earlier
    /// than `revision - 1` across a gap); `None` for the first one.
    pub compared_with: Option<u64>,
    /// Where the record used is stored: `secret`, `configmap`, `sql`, `raw`, or Helm 2's
    /// `tiller-configmap`, `tiller-secret`; empty for undecodable rows.
    pub storage: String,
    /// Tiller stores this revision too: helm 2to3 converted it (the Helm 3 copy is used).
    pub migrated: bool,
}

/// The `history` report (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Rows, by revision.
    pub revisions: Vec<RevisionRow>,
    /// Revisions with no record (pruned or deleted), at most [`MAX_LISTED_MISSING`] of them
    /// (the rest are counted in a warning: a corrupt record can claim revision 2^64 - 1).
    pub missing_revisions: Vec<u64>,
    /// The same, as ranges (for the table).
    #[serde(skip)]
    pub missing_ranges: Vec<helm_why_release::history::RevisionRange>,
    /// Hazards visible revision to revision (`empty-manifest`: a revision that tracks
    /// nothing after one that tracked objects).
    pub hazards: Vec<Hazard>,
    /// Findings about the records.
    pub warnings: Vec<String>,
}

/// How many missing revision numbers JSON lists one by one.
pub const MAX_LISTED_MISSING: usize = 10_000;
