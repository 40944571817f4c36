//! Hazards: things in a history (or a planned upgrade) that destroy or strand objects.

use helm_why_release::ResourceKey;

use crate::event::{Action, Cause, Event, Phase};

/// How bad a hazard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Leaves the cluster in a state Helm does not track.
    Medium,
    /// Deletes live objects, or makes Helm fail.
    High,
}

impl Severity {
    /// Parse `low`, `medium`, `high`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// The code of the hazard a document that could not be parsed raises: whatever object it
/// holds is missing from every answer, which every command says.
pub const UNREADABLE_DOCUMENT: &str = "unreadable-document";

/// One hazard, with a stable code (documented in docs/causes.md).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hazard {
    /// Stable code, e.g. `deleted-after-hook-conversion`.
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// The revision it concerns.
    pub revision: Option<u64>,
    /// The object it concerns.
    pub object: Option<ResourceKey>,
    /// What and why, for a human.
    pub message: String,
}

impl Hazard {
    /// A hazard.
    pub fn new(
        code: &str,
        severity: Severity,
        revision: Option<u64>,
        object: Option<ResourceKey>,
        message: String,
    ) -> Self {
        Hazard {
            code: code.to_owned(),
            severity,
            revision,
            object,
            message,
        }
    }

    /// The hazard an event amounts to, if any.
    pub fn from_event(e: &Event) -> Option<Hazard> {
        let (code, severity) = match (e.action, e.cause?) {
            (Action::Delete | Action::HookDelete, Cause::MovedToHook) => {
                ("deleted-after-hook-conversion", Severity::High)
            }
            (Action::Delete, Cause::UnknownHookEvent) => {
                ("deleted-after-unknown-hook", Severity::High)
            }
            (Action::Fail, Cause::HookAndManifest) => ("hook-and-manifest", Severity::High),
            (Action::Delete, Cause::HookAndManifest) => ("hook-and-manifest", Severity::Medium),
            (Action::Fail, Cause::DeleteError) => ("delete-failed", Severity::High),
            (Action::Orphan, Cause::ApiGroupChanged) => {
                ("orphaned-by-kind-match", Severity::Medium)
            }
            (Action::Delete, Cause::ApiGroupChanged | Cause::ApiVersionChanged) => {
                ("deleted-after-api-change", Severity::High)
            }
            // Helm 2 has no ownership check: its Update fails on the untracked object.
            (Action::Fail, Cause::MovedFromHook) if e.phase == Phase::Apply => {
                ("untracked-object", Severity::High)
            }
            (Action::Fail, Cause::OwnershipConflict | Cause::MovedFromHook) => {
                ("ownership-conflict", Severity::High)
            }
            (Action::Delete, Cause::ForceReplaced) => ("force-replace-failed", Severity::High),
            (Action::Patch, Cause::ForceReplaced) => ("force-replaced", Severity::Medium),
            (Action::Fail, Cause::HookAlreadyExists) => ("hook-already-exists", Severity::High),
            (Action::Fail, Cause::Rejected) => ("object-rejected", Severity::High),
            (Action::Fail, Cause::PatchFailed) => ("patch-failed", Severity::High),
            (Action::Delete, Cause::InstallOnly) => ("deleted-install-only", Severity::Medium),
            (Action::Fail, Cause::Untracked) => ("untracked-object", Severity::High),
            (Action::Orphan, Cause::FailedBase) => {
                ("orphaned-by-failed-revision", Severity::Medium)
            }
            (Action::Orphan, Cause::Hook) => ("untracked-hook-object", Severity::Medium),
            (Action::Orphan, Cause::KeepPolicy) | (Action::Keep, Cause::KeepPolicy) => {
                ("kept-untracked", Severity::Low)
            }
            _ => return None,
        };
        Some(Hazard::new(
            code,
            severity,
            Some(e.revision),
            Some(ResourceKey::clone(&e.object)),
            e.message.clone(),
        ))
    }
}

/// `empty-manifest`: `target` tracks no object while `base` tracked some, so the upgrade
/// deletes every one of them (a post-renderer printing nothing, a values typo, a chart whose
/// templates all moved to hooks; helm-semantics.md §12). `planned` words it for `plan`.
pub fn empty_manifest(
    revision: u64,
    base: &crate::RevisionView<'_>,
    target: &crate::RevisionView<'_>,
    planned: bool,
) -> Option<Hazard> {
    if base.objects.is_empty() || !target.objects.is_empty() {
        return None;
    }
    let (subject, verb) = if planned {
        ("the candidate renders", "will be")
    } else {
        ("its manifest holds", "was")
    };
    Some(Hazard::new(
        "empty-manifest",
        Severity::High,
        Some(revision),
        None,
        format!(
            "{subject} no tracked object: every one of the {} objects of revision {} {verb} deleted",
            base.objects.len(),
            base.revision()
        ),
    ))
}
