//! What the live cluster showed of an object, and how it compares with the records.

use serde::Serialize;

/// Whether the object exists in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LiveStatus {
    /// It exists.
    Present,
    /// There is no such object.
    Absent,
    /// It could not be looked at (see `reason`).
    Unknown,
}

/// Helm's ownership metadata as found on the live object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ownership {
    /// The label `app.kubernetes.io/managed-by`.
    pub managed_by: Option<String>,
    /// The annotation `meta.helm.sh/release-name`.
    pub release_name: Option<String>,
    /// The annotation `meta.helm.sh/release-namespace`.
    pub release_namespace: Option<String>,
}

/// What one comparison found (stable codes, documented in docs/json.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckCode {
    /// Expected and observed presence agree.
    Agrees,
    /// Expected present, but the cluster has no such object.
    Missing,
    /// Expected absent, but the object exists.
    Unexpected,
    /// Missing revisions: the records cannot tell; the cluster's answer is given.
    RecordsUnknown,
    /// Created after the revision that last created or applied it: a new object (new uid).
    Recreated,
    /// No ownership metadata for this release on an object no revision tracks: Helm cannot
    /// adopt it.
    NotAdoptable,
    /// No ownership metadata for this release on an object the last revision tracks.
    MetadataMissing,
    /// The ownership metadata names another release.
    OtherOwner,
    /// The live `helm.sh/resource-policy` differs from the manifest's.
    ResourcePolicy,
    /// The object could not be looked at.
    Unknown,
}

/// One comparison of the records with the live object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveCheck {
    /// What was found.
    pub code: CheckCode,
    /// Whether the cluster agrees with what the records imply (`null`: nothing to compare).
    pub agrees: Option<bool>,
    /// One sentence for a human.
    pub message: String,
}

/// What the cluster showed of one object, and how it compares with the records (JSON
/// contract in docs/json.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// Present, absent or unknown.
    pub status: LiveStatus,
    /// Why it could not be looked at (`unknown` only).
    pub reason: Option<String>,
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Option<String>,
    /// Whether it carries Helm's ownership metadata for this release.
    pub owned_by_release: Option<bool>,
    /// The ownership metadata found.
    pub ownership: Option<Ownership>,
    /// The live `helm.sh/resource-policy`.
    pub resource_policy: Option<String>,
    /// The comparisons, agreements first.
    pub checks: Vec<LiveCheck>,
}

impl Observed {
    /// `observed_present`: `None` when the object could not be looked at.
    pub fn present(&self) -> Option<bool> {
        match self.status {
            LiveStatus::Present => Some(true),
            LiveStatus::Absent => Some(false),
            LiveStatus::Unknown => None,
        }
    }

    /// The checks where the cluster disagrees with the records, or that could not be made.
    pub fn disagreements(&self) -> impl Iterator<Item = &LiveCheck> {
        self.checks.iter().filter(|c| c.agrees != Some(true))
    }
}
