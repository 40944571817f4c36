//! The revision an upgrade diffs against: Helm's own storage query, per version
//! (helm-semantics.md §4.1; Helm v3.21.4 `pkg/action/upgrade.go` `prepareUpgrade`,
//! `pkg/storage/storage.go` `Deployed`/`DeployedAll`/`Last`).
//!
//! One implementation serves the replay (the base each stored upgrade used, from the statuses
//! as they stood then) and the next upgrade (`plan`, and what `timeline`/`explain` call
//! "tracked now", from the statuses as stored now, which is what Helm reads).

use std::collections::BTreeMap;

use helm_why_release::Status;

use crate::profile::Profile;

/// What Helm's storage answers when an upgrade asks for its base.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BaseQuery {
    /// The upgrade diffs against `revision`.
    Base {
        /// The base revision.
        revision: u64,
        /// Which rule picked it.
        rule: BaseRule,
    },
    /// Helm refuses the upgrade before writing anything.
    Refused {
        /// The last stored revision.
        last: u64,
        /// Its status.
        status: Status,
        /// Helm's error text.
        error: String,
    },
    /// No record at all: `helm upgrade` fails with `has no deployed releases`, `upgrade
    /// --install` installs.
    NoRelease,
}

/// Which of Helm's rules picked the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaseRule {
    /// The last revision is `deployed` (≥ 3.3.0).
    LastDeployed,
    /// `Deployed()`: the highest revision whose status is `deployed`.
    HighestDeployed,
    /// No deployed revision, and the last one is `failed` or `superseded`: Helm ≥ 3.3.0 diffs
    /// against it (commit 191187095).
    LastFailedOrSuperseded,
}

impl BaseQuery {
    /// The base revision, when Helm would find one.
    pub fn revision(&self) -> Option<u64> {
        match self {
            BaseQuery::Base { revision, .. } => Some(*revision),
            _ => None,
        }
    }
}

/// Helm's `has no deployed releases` error (`driver.NewErrNoDeployedReleases`).
pub fn no_deployed_error(release: &str) -> String {
    format!("{release:?} has no deployed releases")
}

/// Helm's `errPending` (≥ 3.4.0, `pkg/action/action.go`; Helm 2 ≥ 2.16.10,
/// `pkg/tiller/release_server.go`: the same text).
pub const PENDING_ERROR: &str = "another operation (install/upgrade/rollback) is in progress";

/// Ask for the base of an upgrade of `release` with `statuses` (revision → status of every
/// stored record the upgrade can see), as Helm `profile` does.
///
/// - 3.0.0–3.2.x and Helm 2: `Deployed(name)`, the highest `deployed` revision, or `has no
///   deployed releases`; a pending last revision does not block (Helm 2 ≥ 2.16.10: it does,
///   once a deployed revision was found).
/// - ≥ 3.3.0 and Helm 4: `Last(name)`; ≥ 3.4.0 a `pending-*` last revision refuses with
///   [`PENDING_ERROR`]; a `deployed` last revision is the base; else `Deployed(name)`; else,
///   when the last one is `failed` or `superseded`, the last one; else `has no deployed
///   releases` (the last one is `uninstalled`, `uninstalling` or `unknown`).
///
/// ```
/// use std::collections::BTreeMap;
/// use helm_why_release::Status;
/// use helm_why_diff::{upgrade_base, BaseQuery, HelmVersion, Profile};
/// let statuses = BTreeMap::from([(1, Status::Deployed), (2, Status::Failed)]);
/// let q = upgrade_base(&statuses, &Profile::new(HelmVersion::new(3, 17, 3)), "web");
/// assert_eq!(q.revision(), Some(1));
/// let statuses = BTreeMap::from([(1, Status::Failed)]);
/// assert_eq!(upgrade_base(&statuses, &Profile::new(HelmVersion::new(3, 17, 3)), "web").revision(), Some(1));
/// assert!(matches!(upgrade_base(&statuses, &Profile::new(HelmVersion::new(3, 2, 4)), "web"), BaseQuery::Refused { .. }));
/// ```
pub fn upgrade_base(
    statuses: &BTreeMap<u64, Status>,
    profile: &Profile,
    release: &str,
) -> BaseQuery {
    query_base(statuses, profile, release, profile.pending_blocks_upgrade())
}

/// [`upgrade_base`], with the pending check on or off (a replay that finds an upgrade after
/// a pending revision asks what the base would have been without it).
pub(crate) fn query_base(
    statuses: &BTreeMap<u64, Status>,
    profile: &Profile,
    release: &str,
    pending_blocks: bool,
) -> BaseQuery {
    let Some((&last, last_status)) = statuses.iter().next_back() else {
        return BaseQuery::NoRelease;
    };
    let refused = |error: String| BaseQuery::Refused {
        last,
        status: last_status.clone(),
        error,
    };
    // Asked only where needed: a replay queries once per revision, and the scan back to a
    // deployed revision made a long history without one quadratic.
    let highest_deployed = || {
        statuses
            .iter()
            .rev()
            .find(|(_, s)| **s == Status::Deployed)
            .map(|(r, _)| *r)
    };
    if !profile.upgrade_from_failed() {
        return match highest_deployed() {
            // Helm 2 ≥ 2.16.10 asks `Deployed`, then refuses a pending `Last` [Helm v2.17.0
            // `pkg/tiller/release_update.go` `prepareUpdate`].
            Some(_) if last_status.is_pending() && pending_blocks => {
                refused(PENDING_ERROR.to_owned())
            }
            Some(revision) => BaseQuery::Base {
                revision,
                rule: BaseRule::HighestDeployed,
            },
            None => refused(no_deployed_error(release)),
        };
    }
    if last_status.is_pending() && pending_blocks {
        return refused(PENDING_ERROR.to_owned());
    }
    if *last_status == Status::Deployed {
        return BaseQuery::Base {
            revision: last,
            rule: BaseRule::LastDeployed,
        };
    }
    if let Some(revision) = highest_deployed() {
        return BaseQuery::Base {
            revision,
            rule: BaseRule::HighestDeployed,
        };
    }
    if matches!(last_status, Status::Failed | Status::Superseded) {
        return BaseQuery::Base {
            revision: last,
            rule: BaseRule::LastFailedOrSuperseded,
        };
    }
    refused(no_deployed_error(release))
}

/// What `helm upgrade --install` does when the last revision is `uninstalled` (kept with
/// `--keep-history`): an install that replaces it (`isReleaseUninstalled` in Helm's
/// `cmd/helm/upgrade.go`; observed with 3.17.3, helm-semantics.md §12), not a refusal.
pub fn reinstalls(statuses: &BTreeMap<u64, Status>) -> bool {
    statuses
        .values()
        .next_back()
        .is_some_and(|s| *s == Status::Uninstalled)
}
