//! What `diff` reports: the objects, hooks and values that differ between two revisions.

use helm_why_release::ResourceKey;
use serde::Serialize;

/// What happened to an object between the two revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffChange {
    /// Only in the newer revision.
    Added,
    /// Only in the older revision.
    Removed,
    /// In both, with different documents.
    Changed,
}

impl DiffChange {
    /// `added`, `removed`, `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffChange::Added => "added",
            DiffChange::Removed => "removed",
            DiffChange::Changed => "changed",
        }
    }
}

/// One object that differs.
#[derive(Debug, Serialize)]
pub struct ObjectDiff {
    /// The object.
    pub object: ResourceKey,
    /// A hook (its document is in the record's hooks, not its manifest).
    pub hook: bool,
    /// Added, removed or changed.
    pub change: DiffChange,
    /// The unified diff of its document, Secret values masked unless `--show-secrets`.
    pub diff: String,
}

/// The user-supplied values, when they differ.
#[derive(Debug, Serialize)]
pub struct ValuesDiff {
    /// The unified diff of the values as YAML, secret-looking values masked.
    pub diff: String,
}

/// The `diff` report (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct DiffReport {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// The older revision.
    pub from: u64,
    /// The newer revision.
    pub to: u64,
    /// `chart-version` of each revision, when they differ.
    pub chart: Option<[String; 2]>,
    /// Objects and hooks that differ: the newer revision's order, then removed ones.
    pub objects: Vec<ObjectDiff>,
    /// The user-supplied values, when they differ.
    pub values: Option<ValuesDiff>,
    /// How many differing objects `--suppress` left out.
    pub suppressed: usize,
    /// Whether anything shown differs (what `--exit-code` reports).
    pub differs: bool,
    /// Problems with the input.
    pub warnings: Vec<String>,
}
