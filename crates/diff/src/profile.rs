//! Helm version profiles: the rules that changed between Helm releases
//! (helm-semantics.md §11).

use std::fmt;
use std::str::FromStr;

use helm_why_release::{HookDeletePolicy, ResourceKey};

/// A Helm version `major.minor.patch`.
///
/// ```
/// use helm_why_diff::HelmVersion;
/// let v: HelmVersion = "v3.17.1".parse().unwrap();
/// assert!(v >= HelmVersion::new(3, 17, 1) && v < HelmVersion::new(4, 0, 0));
/// assert_eq!("4.1".parse::<HelmVersion>().unwrap().to_string(), "4.1.0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct HelmVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl HelmVersion {
    /// A version.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        HelmVersion {
            major,
            minor,
            patch,
        }
    }

    /// The newest Helm 3 whose rules helm-why knows (used for records without `apply_method`).
    pub const NEWEST_3: HelmVersion = HelmVersion::new(3, 21, 4);
    /// The newest Helm 4 whose rules helm-why knows (used for records with `apply_method`).
    pub const NEWEST_4: HelmVersion = HelmVersion::new(4, 2, 4);
    /// The last Helm 2 (used for Tiller's records).
    pub const NEWEST_2: HelmVersion = HelmVersion::new(2, 17, 0);
}

impl fmt::Display for HelmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a Helm version (expected X.Y.Z with X 2, 3 or 4, e.g. 3.17.1)")]
pub struct VersionError {
    input: String,
}

impl FromStr for HelmVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            input: s.to_owned(),
        };
        let t = s.trim().trim_start_matches('v');
        // Ignore pre-release and build suffixes (`3.17.1-rc.1+abc`).
        let t = t.split(['-', '+']).next().unwrap_or("");
        let mut parts = t.split('.');
        let mut next = |required: bool| -> Result<u32, VersionError> {
            match parts.next() {
                Some(p) => p.parse().map_err(|_| err()),
                None if required => Err(err()),
                None => Ok(0),
            }
        };
        let v = HelmVersion::new(next(true)?, next(false)?, next(false)?);
        if parts.next().is_some() || !(2..=4).contains(&v.major) {
            return Err(err());
        }
        Ok(v)
    }
}

/// How Helm decides that an object of the old manifest is "the same" as one of the new one
/// (`isMatchingInfo`, helm-semantics.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchRule {
    /// Name, namespace and Kind (3.0.0 – 3.17.0).
    Kind,
    /// Name, namespace, Kind and API group (3.17.1 – 3.21, 4.1.1+).
    GroupKind,
    /// Name, namespace and the full group/version/kind (4.0.0 – 4.1.0).
    GroupVersionKind,
}

impl MatchRule {
    /// Whether `a` and `b` match under this rule.
    pub fn matches(self, a: &ResourceKey, b: &ResourceKey) -> bool {
        // One shared key (an unchanged document of two revisions): no string to compare.
        if std::ptr::eq(a, b) {
            return true;
        }
        let base = a.name == b.name && a.namespace == b.namespace && a.kind == b.kind;
        match self {
            MatchRule::Kind => base,
            MatchRule::GroupKind => base && a.group == b.group,
            MatchRule::GroupVersionKind => base && a.group == b.group && a.version == b.version,
        }
    }

    /// One line for messages.
    pub fn describe(self) -> &'static str {
        match self {
            MatchRule::Kind => "name, namespace and kind",
            MatchRule::GroupKind => "name, namespace, kind and API group",
            MatchRule::GroupVersionKind => "name, namespace, kind, API group and version",
        }
    }
}

/// Where the profile's version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileSource {
    /// `--helm-version`.
    Flag,
    /// The records carry `apply_method`: Helm 4 wrote them.
    Helm4Records,
    /// The records are Tiller's: Helm 2 wrote them.
    TillerRecords,
    /// No hint: the newest Helm 3 rules.
    Default,
}

/// The rules of one Helm version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Profile {
    /// The version.
    pub version: HelmVersion,
    /// Why this version.
    pub source: ProfileSource,
}

impl Profile {
    /// The profile for an explicit version.
    pub fn new(version: HelmVersion) -> Self {
        Profile {
            version,
            source: ProfileSource::Flag,
        }
    }

    /// The default: Helm 4 rules when the records carry `apply_method`, else Helm 3.
    pub fn default_for(helm4_records: bool) -> Self {
        if helm4_records {
            Profile {
                version: HelmVersion::NEWEST_4,
                source: ProfileSource::Helm4Records,
            }
        } else {
            Profile {
                version: HelmVersion::NEWEST_3,
                source: ProfileSource::Default,
            }
        }
    }

    /// The default for a history: Helm 2 rules when Tiller wrote a revision, else as
    /// [`Profile::default_for`].
    pub fn default_for_records(helm4_records: bool, tiller_records: bool) -> Self {
        if tiller_records && !helm4_records {
            Profile {
                version: HelmVersion::NEWEST_2,
                source: ProfileSource::TillerRecords,
            }
        } else {
            Profile::default_for(helm4_records)
        }
    }

    fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.version >= HelmVersion::new(major, minor, patch)
    }

    /// `isMatchingInfo` of this version.
    pub fn match_rule(&self) -> MatchRule {
        let v = self.version;
        if v < HelmVersion::new(3, 17, 1) {
            MatchRule::Kind
        } else if v >= HelmVersion::new(4, 0, 0) && v < HelmVersion::new(4, 1, 1) {
            MatchRule::GroupVersionKind
        } else {
            MatchRule::GroupKind
        }
    }

    /// Whether this is a Helm 2 (Tiller) version.
    pub fn is_helm2(&self) -> bool {
        self.version.major == 2
    }

    /// Helm 2 at or after `minor.patch`.
    fn helm2_at_least(&self, minor: u32, patch: u32) -> bool {
        self.is_helm2() && self.version >= HelmVersion::new(2, minor, patch)
    }

    /// Upgrade and rollback honour a live `helm.sh/resource-policy: keep` (≥ 3.2.0; Helm 2
    /// from 2.13.0: Tiller's `Update` refreshes each object it is about to delete and skips a
    /// kept one [Helm v2.13.0 `pkg/kube/client.go` `UpdateWithOptions`, absent in v2.12.0];
    /// Helm 3.0 and 3.1 lost that check).
    pub fn keep_on_upgrade(&self) -> bool {
        self.helm2_at_least(13, 0) || self.at_least(3, 2, 0)
    }

    /// Install, upgrade and install-replace first check every new object for an existing one
    /// (Helm 3's existing-resource check, helm-semantics.md §4.2).
    ///
    /// Helm 2 has no such phase: install creates everything and the API server answers
    /// `… already exists` for an object that exists; upgrade's `Update` visits the new
    /// manifest in order and stops at the first existing object the original manifest lacks,
    /// after the pre-hooks ran and the objects before it were applied [Helm v2.17.0
    /// `pkg/tiller/release_install.go` `performRelease`, `pkg/kube/client.go`
    /// `UpdateWithOptions`].
    pub fn checks_existing(&self) -> bool {
        !self.is_helm2()
    }

    /// The policy of a hook that names none: Helm 3 and 4 default to `before-hook-creation`
    /// (v3.21.4 `pkg/action/hooks.go` `execHook`). Helm 2 has no default: a hook without a
    /// policy stays, and its next run fails with `already exists` [Helm v2.17.0
    /// `pkg/tiller/release_server.go` `execHook`, `deleteHookByPolicy`].
    pub fn default_hook_policy(&self) -> Option<HookDeletePolicy> {
        (!self.is_helm2()).then_some(HookDeletePolicy::BeforeHookCreation)
    }

    /// The delete policies this version applies to a hook that stores `stored`: those it
    /// knows ([`Profile::honours_hook_policy`]), else its default
    /// ([`Profile::default_hook_policy`]).
    pub fn hook_policies(&self, stored: &[HookDeletePolicy]) -> Vec<HookDeletePolicy> {
        let mut policies: Vec<HookDeletePolicy> = stored
            .iter()
            .filter(|p| self.honours_hook_policy(p))
            .cloned()
            .collect();
        if policies.is_empty()
            && let Some(default) = self.default_hook_policy()
        {
            policies.push(default);
        }
        policies
    }

    /// Whether this version acts on `policy`. Helm 2 knows `hook-succeeded` and `hook-failed`
    /// from 2.7.0 and `before-hook-creation` from 2.9.0 (`deletePolices` in Helm v2.7.0 and
    /// v2.9.0 `pkg/hooks/hooks.go`); earlier, a policy is stored and ignored.
    pub fn honours_hook_policy(&self, policy: &HookDeletePolicy) -> bool {
        if !self.is_helm2() {
            return true;
        }
        match policy {
            HookDeletePolicy::BeforeHookCreation => self.helm2_at_least(9, 0),
            HookDeletePolicy::HookSucceeded | HookDeletePolicy::HookFailed => {
                self.helm2_at_least(7, 0)
            }
            HookDeletePolicy::Other(_) => false,
        }
    }

    /// A hook that is a `CustomResourceDefinition` is never deleted by its delete policy
    /// (Helm 3 and 4, v3.21.4 `pkg/action/hooks.go` `deleteHookByPolicy`). Helm 2 deletes it
    /// like any hook, and with it every custom resource of its kind [Helm v2.17.0
    /// `pkg/tiller/release_server.go` `deleteHookByPolicy`].
    pub fn hook_policy_spares_crds(&self) -> bool {
        !self.is_helm2()
    }

    /// `crd-install` hooks run on install, before validation and the `pre-install` hooks, and
    /// never on upgrade, rollback or delete; their objects are not in the manifest, so Tiller
    /// never tracks, updates or deletes them (Helm 2.10.0 – 2.17.0 [Helm v2.17.0
    /// `pkg/tiller/release_install.go` `performRelease`]; Helm 3 drops the event).
    pub fn runs_crd_install_hooks(&self) -> bool {
        self.helm2_at_least(10, 0)
    }

    /// `helm install --replace` (and Tiller's `upgrade --force` delete-and-install) run an
    /// `Update` from the last revision's manifest to the new one, so objects only the last
    /// revision had are deleted [Helm v2.17.0 `pkg/tiller/release_install.go`
    /// `performRelease`, `release_update.go` `performUpdateForce`]. Helm 3 installs instead.
    pub fn replace_updates_last(&self) -> bool {
        self.is_helm2()
    }

    /// `helm upgrade --force` that cannot prepare an upgrade (no `DEPLOYED` revision) deletes
    /// the last revision's objects (its pre- and post-delete hooks run, its record becomes
    /// `DELETED`) and installs the new revision as last + 1 with the install hooks (Helm 2.9.0
    /// – 2.17.0 [Helm v2.17.0 `pkg/tiller/release_update.go` `UpdateRelease`,
    /// `performUpdateForce`]).
    pub fn force_upgrade_reinstalls(&self) -> bool {
        self.helm2_at_least(9, 0)
    }

    /// The order in which uninstall deletes kinds: Helm 2 has its own `UninstallOrder`
    /// (`ServiceAccount` earlier) [Helm v2.17.0 `pkg/tiller/kind_sorter.go`].
    pub(crate) fn uninstall_order(&self) -> &'static [&'static str] {
        if self.is_helm2() {
            crate::world::HELM2_UNINSTALL_ORDER
        } else {
            crate::world::UNINSTALL_ORDER
        }
    }

    /// The command that deletes a release.
    pub fn uninstall_command(&self) -> &'static str {
        if self.is_helm2() {
            "helm delete"
        } else {
            "helm uninstall"
        }
    }

    /// Existing objects with Helm ownership metadata are adopted (≥ 3.2.0); before, any
    /// existing object aborts the operation.
    pub fn adopts(&self) -> bool {
        self.at_least(3, 2, 0)
    }

    /// With no deployed revision, upgrade diffs against a failed/superseded last one (≥ 3.3.0).
    pub fn upgrade_from_failed(&self) -> bool {
        self.at_least(3, 3, 0)
    }

    /// A pending last revision blocks upgrades (≥ 3.4.0; Helm 2 from 2.16.10, after its
    /// `Deployed` query [Helm v2.16.10 `pkg/tiller/release_update.go` `prepareUpdate`:
    /// `errPending`, absent in v2.16.9]).
    pub fn pending_blocks_upgrade(&self) -> bool {
        self.helm2_at_least(16, 10) || self.at_least(3, 4, 0)
    }

    /// Delete failures during upgrade fail the operation (Helm 4).
    pub fn delete_errors_fail(&self) -> bool {
        self.version.major >= 4
    }

    /// `hook-succeeded` deletions run in reverse order (≥ 3.17.0).
    pub fn hook_succeeded_reverse(&self) -> bool {
        self.at_least(3, 17, 0)
    }

    /// Rollback adds ownership metadata to the objects it applies (≥ 3.9.0).
    pub fn rollback_sets_ownership(&self) -> bool {
        self.at_least(3, 9, 0)
    }

    /// An object that exists but is not tracked is patched from its live state (≥ 4.2.0)
    /// instead of failing with `no <Kind> with the name … found`.
    pub fn patches_untracked(&self) -> bool {
        self.at_least(4, 2, 0)
    }

    /// The Update's deletion step and `Delete` skip `CustomResourceDefinition`s
    /// (3.1.0 – 3.1.3 only: commit 600970459, reverted in 3.2.0; helm-semantics.md §2.6).
    pub fn skips_crd_deletion(&self) -> bool {
        self.at_least(3, 1, 0) && !self.at_least(3, 2, 0)
    }

    /// A hook's stored `last_run` says how its run ended (Helm 3 and 4: `phase`).
    ///
    /// Helm 2 stores no phase: Tiller's `execHook` sets `LastRun` only once every hook of the
    /// event was ready and its `hook-succeeded` deletions were done, and a failed hook ends the
    /// operation before the record is written again [Helm v2 `pkg/tiller/release_server.go`
    /// `execHook`, `release_update.go` `performUpdate`]. So a Tiller hook with a `last_run`
    /// succeeded, and one without did not run or its event's hooks did not all succeed.
    pub fn hook_outcome_recorded(&self) -> bool {
        self.version.major >= 3
    }

    /// On a hook failure, earlier `hook-succeeded` hooks of the event are deleted (≥ 3.19.0).
    pub fn cleans_succeeded_on_failure(&self) -> bool {
        self.at_least(3, 19, 0)
    }

    /// What the other versions of this major do with an existing object that the original
    /// manifest lacks (v4.2.0 `pkg/kube/client.go` `update`: "resource exists on cluster but
    /// not in original release, using cluster state as baseline").
    pub fn untracked_elsewhere(&self) -> &'static str {
        match self.version.major {
            4 if self.patches_untracked() => {
                " (Helm 4.0–4.1 fail here instead: original object … not found)"
            }
            4 => " (Helm 4.2 and later patch it from its live state instead)",
            _ => "",
        }
    }

    /// The prefix of the ownership conflict error.
    pub fn conflict_prefix(&self, operation: &str) -> String {
        if self.version.major >= 4 {
            format!("unable to continue with {operation}: ")
        } else if self.at_least(3, 13, 0) {
            format!("Unable to continue with {operation}: ")
        } else {
            format!(
                "rendered manifests contain a resource that already exists. Unable to continue with {operation}: "
            )
        }
    }

    /// Helm's error when an existing object is not in the original manifest (Helm 2 from
    /// 2.14.0 [Helm v2.14.0 `pkg/kube/client.go` `UpdateWithOptions`]: `kind <Kind> with the
    /// name "<n>" in "<ns>" already exists in the cluster and wasn't defined in the previous
    /// release. …`).
    pub fn untracked_error(&self, key: &ResourceKey) -> String {
        let (kind, name) = (&key.kind, &key.name);
        if self.helm2_at_least(14, 0) {
            format!(
                "kind {kind} with the name {name:?} in {:?} already exists in the cluster and wasn't defined in the previous release. Before upgrading, please either delete the resource from the cluster or remove it from the chart",
                key.namespace.as_deref().unwrap_or_default()
            )
        } else if self.version.major >= 4 {
            format!("original object {kind} with the name {name:?} not found")
        } else {
            format!("no {kind} with the name {name:?} found")
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.source {
            ProfileSource::Flag => "--helm-version",
            ProfileSource::Helm4Records => "the records carry apply_method (Helm 4)",
            ProfileSource::TillerRecords => "the records were written by Tiller (Helm 2)",
            ProfileSource::Default => "default; set --helm-version to match yours",
        };
        write!(f, "Helm {} rules ({why})", self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_rule_boundaries() {
        let rule = |s: &str| Profile::new(s.parse().unwrap()).match_rule();
        assert_eq!(rule("3.16.4"), MatchRule::Kind);
        assert_eq!(rule("3.17.0"), MatchRule::Kind);
        assert_eq!(rule("3.17.1"), MatchRule::GroupKind);
        assert_eq!(rule("3.21.4"), MatchRule::GroupKind);
        assert_eq!(rule("4.0.0"), MatchRule::GroupVersionKind);
        assert_eq!(rule("4.1.0"), MatchRule::GroupVersionKind);
        assert_eq!(rule("4.1.1"), MatchRule::GroupKind);
    }

    #[test]
    fn helm2_rules_by_version() {
        let p = |s: &str| Profile::new(s.parse().unwrap());
        assert!(!p("2.12.0").keep_on_upgrade() && p("2.13.0").keep_on_upgrade());
        assert!(!p("3.1.3").keep_on_upgrade() && p("3.2.0").keep_on_upgrade());
        assert!(!p("2.16.9").pending_blocks_upgrade() && p("2.16.10").pending_blocks_upgrade());
        assert!(!p("3.3.0").pending_blocks_upgrade() && p("3.4.0").pending_blocks_upgrade());
        let bhc = HookDeletePolicy::BeforeHookCreation;
        assert!(!p("2.8.2").honours_hook_policy(&bhc) && p("2.9.0").honours_hook_policy(&bhc));
        let succeeded = HookDeletePolicy::HookSucceeded;
        assert!(!p("2.6.2").honours_hook_policy(&succeeded));
        assert!(p("2.7.0").honours_hook_policy(&succeeded));
        assert_eq!(p("2.17.0").default_hook_policy(), None);
        assert_eq!(p("3.0.0").default_hook_policy(), Some(bhc));
        assert!(!p("2.9.1").runs_crd_install_hooks() && p("2.10.0").runs_crd_install_hooks());
        assert!(!p("3.0.0").runs_crd_install_hooks());
        assert!(!p("2.17.0").checks_existing() && p("3.0.0").checks_existing());
        let key = ResourceKey::new("v1", "ConfigMap", Some("shop"), "cfg");
        assert_eq!(
            p("2.13.1").untracked_error(&key),
            "no ConfigMap with the name \"cfg\" found"
        );
        assert!(p("2.14.0").untracked_error(&key).starts_with(
            "kind ConfigMap with the name \"cfg\" in \"shop\" already exists in the cluster and wasn't defined in the previous release."
        ));
    }

    #[test]
    fn crd_deletion_skipped_only_by_3_1() {
        let skips = |s: &str| Profile::new(s.parse().unwrap()).skips_crd_deletion();
        assert!(!skips("3.0.3"));
        assert!(skips("3.1.0") && skips("3.1.3"));
        assert!(!skips("3.2.0"));
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!("2.17.0".parse::<HelmVersion>(), Ok(HelmVersion::NEWEST_2));
        assert!("1.2.0".parse::<HelmVersion>().is_err());
        assert!("5.0.0".parse::<HelmVersion>().is_err());
        assert!("three".parse::<HelmVersion>().is_err());
        assert!("3.1.2.3".parse::<HelmVersion>().is_err());
        assert_eq!(
            "v3.17.1-rc.1".parse::<HelmVersion>(),
            Ok(HelmVersion::new(3, 17, 1))
        );
    }
}
