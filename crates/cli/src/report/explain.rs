//! What `explain` reports about one object.

use helm_why_diff::{Event, ReleaseEvent, VersionDifference};
use helm_why_release::ResourceKey;
use serde::Serialize;

use super::live::Observed;

/// The `explain` report (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct ExplainReport {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The rules used, e.g. `3.21.4`.
    pub helm_version: String,
    /// The object.
    pub object: ResourceKey,
    /// Everything Helm did to it, in order.
    pub events: Vec<Event>,
    /// Whether it should exist now according to the records (`null`: unknown).
    pub expected_present: Option<bool>,
    /// Whether it exists in the cluster (`null`: not checked, e.g. reading files).
    pub observed_present: Option<bool>,
    /// The live object and how it compares with the records; only when the records come
    /// from a cluster (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
    /// Where the live object was looked at (`context test`), for the table.
    #[serde(skip)]
    pub live_source: Option<String>,
    /// One sentence on the state now.
    pub summary: String,
    /// Remarks from the replay that concern the revisions shown.
    pub notes: Vec<String>,
    /// Other Helm versions of the same major whose rules tell this object's story
    /// differently.
    pub other_versions: Vec<VersionDifference>,
    /// What other releases of the namespace did to it that this release's records cannot
    /// show: their adoptions after this release last wrote it, and the last deletion when it
    /// was theirs (see `helm_why_diff::done_elsewhere`).
    pub other_releases: Vec<ReleaseEvent>,
    /// Problems with the input.
    pub warnings: Vec<String>,
    /// When each revision's operation started, for the table.
    #[serde(skip)]
    pub times: Vec<(u64, Option<String>)>,
}
