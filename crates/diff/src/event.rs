//! What Helm did to one object in one phase of one operation, and why.

use std::fmt;
use std::sync::Arc;

use helm_why_release::{HookEvent, ResourceKey};
use serde::{Serialize, Serializer};

/// A phase of a Helm operation, in execution order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The existing-resource / ownership check before anything is written.
    Check,
    /// Hooks of an event (`pre-upgrade`, `post-install`, `pre-delete`, …).
    Hooks(HookEvent),
    /// Creating and patching the new manifest's objects.
    Apply,
    /// Deleting objects of the old manifest that the new one lacks.
    Delete,
    /// `helm uninstall` deleting the manifest's objects.
    Uninstall,
    /// After the operation: what is left behind untracked.
    After,
}

impl Phase {
    /// Stable name used in JSON and tables.
    pub fn as_str(&self) -> &str {
        match self {
            Phase::Check => "check",
            Phase::Hooks(e) => e.as_str(),
            Phase::Apply => "apply",
            Phase::Delete => "delete",
            Phase::Uninstall => "uninstall",
            Phase::After => "after",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Phase {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Created from the manifest.
    Create,
    /// Patched from the manifest (its document changed).
    Patch,
    /// Patched with an identical document: nothing changed.
    Unchanged,
    /// An existing object adopted into the release (ownership metadata matched).
    Adopt,
    /// Deleted by Helm.
    Delete,
    /// Created as a hook.
    HookCreate,
    /// A hook object deleted by its delete policy.
    HookDelete,
    /// Not deleted because of `helm.sh/resource-policy: keep`.
    Keep,
    /// Left in the cluster with no revision tracking it.
    Orphan,
    /// Helm stopped (or would stop) here with an error.
    Fail,
    /// Nothing could be said: the records needed are missing.
    Unknown,
}

impl Action {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Patch => "patch",
            Action::Unchanged => "unchanged",
            Action::Adopt => "adopt",
            Action::Delete => "delete",
            Action::HookCreate => "hook-create",
            Action::HookDelete => "hook-delete",
            Action::Keep => "keep",
            Action::Orphan => "orphan",
            Action::Fail => "fail",
            Action::Unknown => "unknown",
        }
    }
}

/// Why it happened: a stable code (documented in docs/causes.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// A new object of the chart (first rendered in this revision).
    Added,
    /// The object was in the previous manifest but missing in the cluster, so it is created again.
    Recreated,
    /// Its template file left the chart.
    RemovedFromChart,
    /// Its template is still there but rendered nothing (values changed).
    NotRendered,
    /// It became a hook: hooks are not tracked, so the upgrade deletes it.
    MovedToHook,
    /// It was a hook and became a tracked object: ownership conflict.
    MovedFromHook,
    /// Same object, other API group: matched as a different object by Helm ≥ 3.17.1.
    ApiGroupChanged,
    /// Same object, other API version: matched as a different object by Helm 4.0.0–4.1.0.
    ApiVersionChanged,
    /// Same name and kind, other namespace.
    NamespaceChanged,
    /// Same template and kind, other name.
    Renamed,
    /// A rollback: the target revision lacks it (deleted), or has it while the last revision
    /// does not (created).
    Rollback,
    /// Created by a failed revision that no later diff ever looks at.
    FailedBase,
    /// `helm.sh/resource-policy: keep`.
    KeepPolicy,
    /// A hook delete policy (`before-hook-creation`, `hook-succeeded`, `hook-failed`).
    HookDeletePolicy,
    /// A hook, created at its event.
    Hook,
    /// Its `helm.sh/hook` names an event Helm does not know: Helm drops the document.
    UnknownHookEvent,
    /// The new manifest is empty.
    EmptyTarget,
    /// The revisions needed to explain it were pruned from history.
    HistoryPruned,
    /// `helm uninstall`.
    Uninstall,
    /// An existing object without this release's ownership metadata blocks the operation.
    OwnershipConflict,
    /// A hook without `before-hook-creation` whose object already exists.
    HookAlreadyExists,
    /// The same object is both a hook and a manifest object of one revision (F15): the
    /// manifest Create fails on the hook's object, or the hook recreates it every upgrade.
    HookAndManifest,
    /// Helm's DELETE of a removed object failed (RBAC, admission webhook, …): Helm 3 ignores
    /// it, Helm 4 fails the revision (F19).
    DeleteError,
    /// An object exists in the cluster but not in the release's previous manifest.
    Untracked,
    /// The last revision is still pending: every upgrade is refused.
    PendingLock,
    /// Removed from the new manifest for a reason the records do not show.
    Removed,
    /// The API server rejected it (HTTP 422 `is invalid`, e.g. a name Kubernetes does not
    /// allow): it was never created.
    Rejected,
    /// Its patch failed: it kept its previous state, and nothing was deleted.
    PatchFailed,
    /// Deleted by the API server with its CustomResourceDefinition.
    CrdDeleted,
    /// A CustomResourceDefinition moved from `templates/` to the chart's `crds/` directory:
    /// upgrades never read `crds/`, so it counts as removed.
    MovedToCrds,
    /// Its template renders it only on install (`.Release.IsInstall` /
    /// `.Release.IsUpgrade`): the first upgrade renders without it.
    InstallOnly,
    /// Helm 2's `upgrade --force` deleted it after its patch failed and could not create it
    /// again (stored error `Failed to recreate resource: …`): it is gone.
    ForceReplaced,
}

impl Cause {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Cause::Added => "added",
            Cause::Recreated => "recreated",
            Cause::RemovedFromChart => "removed-from-chart",
            Cause::NotRendered => "not-rendered",
            Cause::MovedToHook => "moved-to-hook",
            Cause::MovedFromHook => "moved-from-hook",
            Cause::ApiGroupChanged => "api-group-changed",
            Cause::ApiVersionChanged => "api-version-changed",
            Cause::NamespaceChanged => "namespace-changed",
            Cause::Renamed => "renamed",
            Cause::Rollback => "rollback",
            Cause::FailedBase => "failed-base",
            Cause::KeepPolicy => "keep-policy",
            Cause::HookDeletePolicy => "hook-delete-policy",
            Cause::Hook => "hook",
            Cause::UnknownHookEvent => "unknown-hook-event",
            Cause::EmptyTarget => "empty-target",
            Cause::HistoryPruned => "history-pruned",
            Cause::Uninstall => "uninstall",
            Cause::OwnershipConflict => "ownership-conflict",
            Cause::HookAlreadyExists => "hook-already-exists",
            Cause::HookAndManifest => "hook-and-manifest",
            Cause::DeleteError => "delete-error",
            Cause::Untracked => "untracked",
            Cause::PendingLock => "pending-lock",
            Cause::Removed => "removed",
            Cause::Rejected => "rejected",
            Cause::PatchFailed => "patch-failed",
            Cause::CrdDeleted => "crd-deleted",
            Cause::MovedToCrds => "moved-to-crds",
            Cause::InstallOnly => "install-only",
            Cause::ForceReplaced => "force-replaced",
        }
    }
}

/// One thing Helm did (or would do) to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The revision whose operation did it.
    pub revision: u64,
    /// `install`, `upgrade`, `rollback to 3`, `uninstall`, …
    pub operation: String,
    /// The phase.
    pub phase: Phase,
    /// What happened.
    pub action: Action,
    /// The object (shared with the manifest object it was read from).
    pub object: Arc<ResourceKey>,
    /// Why.
    pub cause: Option<Cause>,
    /// One or two sentences for a human.
    pub message: String,
}
