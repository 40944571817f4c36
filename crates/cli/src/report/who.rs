//! What `who` reports: every release that rendered one object, and what each did to it.

use helm_why_diff::ReleaseEvent;
use helm_why_release::ResourceKey;
use serde::Serialize;

/// One release that rendered the object.
#[derive(Debug, Serialize)]
pub struct WhoRelease {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The revisions whose operation did something to it, in order.
    pub revisions: Vec<u64>,
    /// What they did, one entry per revision: `created`, `patched, deleted`, …
    pub actions: Vec<String>,
    /// The revision of this release that tracks it now (the base of its next upgrade).
    pub tracks_now: Option<u64>,
}

/// The live object (connected only).
#[derive(Debug, Serialize)]
pub struct WhoLive {
    /// `present`, `absent` or `unknown`.
    pub status: String,
    /// Why it could not be looked at.
    pub reason: Option<String>,
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Option<String>,
    /// `meta.helm.sh/release-namespace`/`meta.helm.sh/release-name`, when set.
    pub owner: Option<String>,
    /// Where it was looked at (`context prod`).
    pub source: String,
}

/// The `who` report (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct WhoReport {
    /// The object.
    pub object: ResourceKey,
    /// Every release that rendered it, by namespace and name.
    pub releases: Vec<WhoRelease>,
    /// Everything every release did to it, in the order the operations started.
    pub events: Vec<ReleaseEvent>,
    /// The last deletion by any release, when nothing recreated it since.
    pub deleted_last_by: Option<ReleaseEvent>,
    /// `namespace/name` of each release whose base tracks it now.
    pub tracked_by: Vec<String>,
    /// The live object (connected only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<WhoLive>,
    /// One sentence on who has it now.
    pub summary: String,
    /// Releases read.
    pub releases_read: usize,
    /// Problems with the input.
    pub warnings: Vec<String>,
}
