//! What `timeline` reports, and what the HTML page adds to it.

use helm_why_diff::values::ValueChange;
use helm_why_diff::{Event, Hazard, ReleaseEvent};
use helm_why_release::ResourceKey;
use serde::Serialize;

use super::live::Observed;

/// What happened to one object at one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cell {
    /// Created from the manifest.
    Created,
    /// Deleted and created again in the same operation.
    Recreated,
    /// Patched.
    Patched,
    /// Applied without change.
    Unchanged,
    /// Adopted and patched.
    Adopted,
    /// Deleted by Helm.
    Deleted,
    /// Created by a hook after being a tracked object (deleted-then-recreated-by-hook family).
    RecreatedByHook,
    /// Created by a hook.
    Hook,
    /// Kept by `helm.sh/resource-policy: keep`.
    Kept,
    /// Left untracked.
    Orphaned,
    /// Helm failed on it.
    Failed,
    /// Exists, nothing done.
    Present,
    /// Does not exist.
    Absent,
    /// Unknown (history pruned).
    Unknown,
}

impl Cell {
    /// Table text.
    pub fn as_str(self) -> &'static str {
        match self {
            Cell::Created => "created",
            Cell::Recreated => "recreated",
            Cell::Patched => "patched",
            Cell::Unchanged => "unchanged",
            Cell::Adopted => "adopted",
            Cell::Deleted => "deleted",
            Cell::RecreatedByHook => "recreated-by-hook",
            Cell::Hook => "hook",
            Cell::Kept => "kept",
            Cell::Orphaned => "orphaned",
            Cell::Failed => "failed",
            Cell::Present => "present",
            Cell::Absent => "-",
            Cell::Unknown => "?",
        }
    }
}

/// One object's row.
#[derive(Debug, Serialize)]
pub struct ObjectTimeline {
    /// The object.
    pub object: ResourceKey,
    /// One state per revision, in step order.
    pub timeline: Vec<RevisionState>,
    /// Everything Helm did to it.
    pub events: Vec<Event>,
    /// Expected to exist now (`null`: unknown).
    pub expected_present: Option<bool>,
    /// The live object and how it compares with the records; only when the records come
    /// from a cluster (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
    /// What other releases of the namespace did to it that this release's records cannot
    /// show (absent from the JSON when nothing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_releases: Vec<ReleaseEvent>,
}

impl ObjectTimeline {
    /// Whether anything happened to it after its creation (patched, deleted, hooked, kept,
    /// failed, unknown…): the rows the HTML page shows and the Markdown diagram draws.
    pub fn changed_after_creation(&self) -> bool {
        self.timeline
            .iter()
            .enumerate()
            .any(|(i, s)| match s.state {
                Cell::Unchanged | Cell::Present | Cell::Absent => false,
                Cell::Created => i > 0,
                _ => true,
            })
    }
}

/// The state of an object at one revision.
#[derive(Debug, Serialize)]
pub struct RevisionState {
    /// Revision.
    pub revision: u64,
    /// What happened.
    pub state: Cell,
}

/// A revision at the head of the timeline: `[2, "upgrade"]` in JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// Revision.
    pub revision: u64,
    /// `install`, `upgrade`, `rollback to 2`, `uninstall`, …
    pub operation: String,
    /// `failed` or `pending` when the operation did not complete, which the column says:
    /// its cells are what Helm did before it stopped. (JSON has the stored status in
    /// `history`, and the hazards.)
    pub unfinished: Option<&'static str>,
}

impl Heading {
    /// `2 upgrade`, or `2 upgrade (failed)`.
    pub fn label(&self) -> String {
        match self.unfinished {
            None => format!("{} {}", self.revision, self.operation),
            Some(how) => format!("{} {} ({how})", self.revision, self.operation),
        }
    }
}

impl Serialize for Heading {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.revision, &self.operation).serialize(s)
    }
}

/// The `timeline` report.
#[derive(Debug, Serialize)]
pub struct TimelineReport {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// The rules used.
    pub helm_version: String,
    /// Revisions, in order, with their operation.
    pub revisions: Vec<Heading>,
    /// One row per object ever seen.
    pub objects: Vec<ObjectTimeline>,
    /// Hazards found in the history.
    pub hazards: Vec<Hazard>,
    /// Problems with the input.
    pub warnings: Vec<String>,
    /// Where the live objects were looked at (`context test`); `None` reading files.
    #[serde(skip)]
    pub live_source: Option<String>,
}

/// One revision as the HTML page shows it, from its record.
#[derive(Debug, Clone)]
pub struct RevisionDetail {
    /// Revision.
    pub revision: u64,
    /// The operation, as the timeline's column says it.
    pub operation: String,
    /// Stored status (`deployed`, `failed`, `pending-upgrade`, …).
    pub status: String,
    /// `chart-version`.
    pub chart: String,
    /// `appVersion`.
    pub app_version: String,
    /// Helm's description.
    pub description: String,
    /// When the operation started (RFC 3339), as stored.
    pub started: Option<String>,
    /// The stored revision the values are compared with (`None`: the first one).
    pub compared_with: Option<u64>,
    /// Values (chart defaults merged with the user's) that changed, redacted unless
    /// `--show-secrets`; at most [`MAX_VALUE_CHANGES`].
    pub values_changed: Vec<ValueChange>,
    /// How many more changed and are not listed.
    pub values_omitted: usize,
    /// The replay's remarks on this revision (interrupted hooks, the base it diffed against…).
    pub notes: Vec<String>,
}

/// How many changed values one revision lists; the page says how many more there are.
pub const MAX_VALUE_CHANGES: usize = 50;

/// What the HTML page adds to the timeline: each revision's record, each object's story.
#[derive(Debug)]
pub struct Postmortem {
    /// One per replayed revision, in order.
    pub revisions: Vec<RevisionDetail>,
    /// Revisions with no record (pruned or deleted).
    pub missing: Vec<helm_why_release::history::RevisionRange>,
    /// One per row of the timeline, in the same order.
    pub stories: Vec<Story>,
}

/// What an object's story adds to its events: the `explain` summary. (The replay's notes
/// are about revisions, and go with them.)
#[derive(Debug)]
pub struct Story {
    /// One sentence on its state now.
    pub summary: String,
}
