//! Which Helm operation produced a revision, and how it ended, read from what Helm wrote
//! (status, description, revision numbers).

use helm_why_release::{Release, Status};

/// The operation that produced a revision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Operation {
    /// `helm install` (revision 1).
    Install,
    /// `helm install --replace` or `helm upgrade --install` over an uninstalled (or failed)
    /// release: a new revision number, but install semantics (nothing is deleted).
    InstallReplace,
    /// `helm upgrade`.
    Upgrade,
    /// Helm 2's `helm upgrade --force` when no revision is `DEPLOYED`: Tiller deletes the last
    /// revision (its record becomes `DELETED`) and installs this one as last + 1, with the
    /// install hooks (`performUpdateForce`, [`crate::Profile::force_upgrade_reinstalls`]).
    UpgradeForce,
    /// `helm rollback` to `target` (when the description names it).
    Rollback {
        /// The revision rolled back to.
        target: Option<u64>,
    },
}

impl Operation {
    /// A word for tables and sentences.
    pub fn label(&self) -> String {
        match self {
            Operation::Install => "install".into(),
            Operation::InstallReplace => "install --replace".into(),
            Operation::Upgrade => "upgrade".into(),
            Operation::UpgradeForce => "upgrade --force (delete and install)".into(),
            Operation::Rollback { target: Some(t) } => format!("rollback to {t}"),
            Operation::Rollback { target: None } => "rollback".into(),
        }
    }

    /// The hook events `pre-*`/`post-*` of this operation.
    pub fn hook_events(&self) -> (helm_why_release::HookEvent, helm_why_release::HookEvent) {
        use helm_why_release::HookEvent as E;
        match self {
            Operation::Install | Operation::InstallReplace | Operation::UpgradeForce => {
                (E::PreInstall, E::PostInstall)
            }
            Operation::Upgrade => (E::PreUpgrade, E::PostUpgrade),
            Operation::Rollback { .. } => (E::PreRollback, E::PostRollback),
        }
    }

    /// The word Helm uses in error prefixes (`Unable to continue with update`).
    pub fn helm_verb(&self) -> &'static str {
        match self {
            Operation::Install | Operation::InstallReplace => "install",
            _ => "update",
        }
    }
}

/// Where a failed operation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// At the existing-resource (ownership) check: nothing was written, no hook ran.
    Check,
    /// In the pre-hooks: nothing of the manifest was applied.
    PreHooks,
    /// After the pre-hooks, before anything was applied (Helm 4 rejects `--force-replace`
    /// with server-side apply inside `Update`).
    BeforeApply,
    /// While creating or patching: no deletion happened.
    Apply,
    /// While deleting (Helm 4 fails on delete errors): everything else was applied.
    Delete,
    /// While waiting for resources: applied and deleted.
    Wait,
    /// In the post-hooks: the manifest change was fully applied.
    PostHooks,
}

/// How the operation ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// It succeeded (the revision was deployed, possibly superseded or uninstalled later).
    Succeeded,
    /// It failed at `stage`, with Helm's message.
    Failed {
        /// Where it stopped.
        stage: Stage,
        /// Helm's error text (from the description).
        message: String,
    },
    /// It never finished: the record is still `pending-*` (killed, timed out client, or still
    /// running). Every later upgrade is refused (Helm ≥ 3.4).
    Pending,
}

/// What happened after the operation to this very revision (uninstall rewrites the record).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Afterwards {
    /// Nothing.
    Nothing,
    /// `helm uninstall --keep-history` completed on this revision.
    Uninstalled,
    /// An uninstall started and did not finish (`uninstalling`).
    UninstallIncomplete,
}

/// Operation, outcome and afterwards of one revision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inferred {
    /// The operation.
    pub operation: Operation,
    /// Its outcome.
    pub outcome: Outcome,
    /// Uninstall done on this revision later.
    pub afterwards: Afterwards,
    /// Whether the description was one Helm writes (a custom `--description` makes the
    /// inference rely on status and numbers only).
    pub description_recognised: bool,
}

/// Infer what produced `release`, knowing the status of the revision before it (if stored).
///
/// ```
/// use helm_why_release::builder::ReleaseBuilder;
/// use helm_why_release::Status;
/// use helm_why_diff::ops::{infer, Operation, Outcome, Stage};
/// let r = ReleaseBuilder::new("web", "shop", 4)
///     .status(Status::Failed, "Upgrade \"web\" failed: pre-upgrade hooks failed: job failed: BackoffLimitExceeded")
///     .build();
/// let inf = infer(&r, Some(&Status::Deployed));
/// assert_eq!(inf.operation, Operation::Upgrade);
/// assert!(matches!(inf.outcome, Outcome::Failed { stage: Stage::PreHooks, .. }));
/// ```
pub fn infer(release: &Release, previous_status: Option<&Status>) -> Inferred {
    let desc = release.info.description.trim();
    let name = &release.name;
    let status = &release.info.status;
    let mut recognised = true;

    let rollback_target = desc
        .strip_prefix("Rollback to ")
        .and_then(|n| n.trim().parse::<u64>().ok());
    let failed_msg = |prefix: &str| {
        desc.strip_prefix(&format!("{prefix} \"{name}\" failed: "))
            .or_else(|| desc.strip_prefix(&format!("{prefix} {name:?} failed: ")))
            .map(str::to_owned)
    };

    // Helm 2 also writes `Release "<rel>" failed post-install: …` and, for `install
    // --replace`, `Release replace "<rel>" failed: …` [Helm v2.17.0
    // `pkg/tiller/release_install.go` `performRelease`].
    let helm2_failure = desc
        .strip_prefix(&format!("Release {name:?} failed post-install: "))
        .map(|m| format!("failed post-install: {m}"))
        .or_else(|| failed_msg("Release replace"));
    let operation = if rollback_target.is_some()
        || failed_msg("Rollback").is_some()
        || *status == Status::PendingRollback
    {
        Operation::Rollback {
            target: rollback_target,
        }
    } else if release.version <= 1 {
        Operation::Install
    } else if desc == "Install complete"
        || desc == "Initial install underway"
        || *status == Status::PendingInstall
        || helm2_failure.is_some()
        || (failed_msg("Release").is_some()
            && matches!(
                previous_status,
                Some(Status::Uninstalled | Status::Failed | Status::Superseded)
            ))
    {
        Operation::InstallReplace
    } else if failed_msg("Release").is_some() && previous_status.is_some() {
        // Upgrades write `Upgrade "<rel>" failed`; past revision 1, `Release "<rel>" failed`
        // over a revision that is not uninstalled/failed/superseded (so no install
        // --replace) is a rollback whose wait failed (helm-semantics.md §6.7).
        Operation::Rollback { target: None }
    } else {
        Operation::Upgrade
    };

    let failure = failed_msg("Upgrade")
        .or_else(|| failed_msg("Rollback"))
        .or_else(|| failed_msg("Release"))
        .or_else(|| helm2_failure.clone());
    let outcome = match status {
        // A later upgrade or a failed rollback relabels a failed revision `superseded`
        // without touching its description: the stored error still says how it ended
        // (helm-semantics.md §12).
        Status::Failed | Status::Superseded if *status == Status::Failed || failure.is_some() => {
            let message = failure.clone().unwrap_or_else(|| {
                recognised = false;
                desc.to_owned()
            });
            Outcome::Failed {
                stage: failure_stage(&message),
                message,
            }
        }
        s if s.is_pending() => Outcome::Pending,
        _ => Outcome::Succeeded,
    };
    let afterwards = match status {
        Status::Uninstalled => Afterwards::Uninstalled,
        Status::Uninstalling => Afterwards::UninstallIncomplete,
        Status::Superseded if desc == "superseded by new release" => Afterwards::Uninstalled,
        // Helm 2's install --replace relabels the DELETED revision SUPERSEDED and keeps its
        // description [Helm v2.17.0 `pkg/tiller/release_install.go` `performRelease`].
        Status::Superseded if desc == "Deletion complete" => Afterwards::Uninstalled,
        _ => Afterwards::Nothing,
    };
    let known = [
        "Install complete",
        "Initial install underway",
        "Preparing upgrade",
        "Upgrade complete",
        "Deletion in progress (or silently failed)",
        "Uninstallation complete",
        // Helm 2's `helm delete` [Helm v2.17.0 `pkg/tiller/release_uninstall.go`].
        "Deletion complete",
        "superseded by new release",
    ];
    if !known.contains(&desc) && rollback_target.is_none() && failure.is_none() {
        recognised = false;
    }
    Inferred {
        operation,
        outcome,
        afterwards,
        description_recognised: recognised,
    }
}

/// Where a failure message says the operation stopped ([`crate::failure::read_failure`]
/// reads the rest of what it proves).
pub fn failure_stage(message: &str) -> Stage {
    crate::failure::read_failure(message).stage
}
