//! Across releases: what one release's operations do to another's objects.
//!
//! Helm's upgrade deletes every object of its base manifest that the new manifest lacks, after
//! checking only `helm.sh/resource-policy`; it never reads `meta.helm.sh/release-name`
//! (helm-semantics.md §4.4, "No ownership check before deleting on upgrade"; helm/helm#12683,
//! #10983, #7699, #32218). So an object that two releases track, or that another release took
//! over, is deleted by whichever release upgrades away from it. These functions take every
//! release's [`Replay`] and find such objects, and who did what to one object.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use helm_why_release::{
    ApplyMethod, HookDeletePolicy, HookEvent, ResourceKey, Scope, ScopeResolver, Timestamp,
};
use serde::Serialize;

use crate::crd::{CrdDeletion, CrdServes};
use crate::event::{Action, Cause, Event, Phase};
use crate::hazard::{Hazard, Severity};
use crate::profile::Profile;
use crate::replay::Replay;
use crate::view::RevisionView;
use crate::world::{ObjectId, canonical_group};

/// A hazard and the release it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseHazard {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The hazard.
    #[serde(flatten)]
    pub hazard: Hazard,
}

impl ReleaseHazard {
    /// Name a hazard of `replay`'s release.
    pub fn of(replay: &Replay, hazard: Hazard) -> Self {
        ReleaseHazard {
            release: replay.release.clone(),
            namespace: replay.namespace.clone(),
            hazard,
        }
    }
}

/// What one release's base tracks now: all that [`cross_hazards`] needs of its replay, small
/// enough to keep for every release of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The revision Helm's storage answers as the base ([`Replay::tracked_base`]).
    pub base: Option<u64>,
    /// The objects of that revision, by identity, with their key as that revision writes it.
    pub objects: TrackedObjects,
    /// Those whose document says `helm.sh/resource-policy: keep`.
    pub keep: BTreeSet<ObjectId>,
    /// The CustomResourceDefinitions among them.
    pub crds: Vec<CrdServes>,
    /// The scopes that the CRDs stored in the release's records declare
    /// ([`Replay::declared_scopes`]).
    pub declared_scopes: Vec<helm_why_release::DeclaredScope>,
    /// The hooks its next upgrade, rollback or uninstall runs again ([`Replay::rerun_hooks`]).
    pub hooks: Vec<RerunHook>,
    /// The CustomResourceDefinitions it deleted and never created again
    /// ([`Replay::crd_deletions`]).
    pub gone_crds: Vec<CrdDeletion>,
    /// When the base's operation started, as stored.
    pub base_when: Option<String>,
}

/// The objects a release's base tracks ([`Tracking::objects`]): their keys as that revision
/// writes them, one per identity ([`ObjectId`]: canonical group, kind, namespace, name), in
/// identity order. Sorted keys rather than a map from identity to key: a scan keeps one for
/// every release of a fleet, and a copy of each identity beside its key was half of that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackedObjects(Vec<ResourceKey>);

impl TrackedObjects {
    /// The objects of `keys`; of several keys of one identity, the last.
    ///
    /// ```
    /// use helm_why_diff::TrackedObjects;
    /// use helm_why_release::ResourceKey;
    /// let old = ResourceKey::new("extensions/v1beta1", "Ingress", Some("shop"), "web");
    /// let new = ResourceKey::new("networking.k8s.io/v1", "Ingress", Some("shop"), "web");
    /// let cm = ResourceKey::new("v1", "ConfigMap", Some("shop"), "web");
    /// let tracked = TrackedObjects::new([old.clone(), cm.clone(), new.clone()]);
    /// assert_eq!(tracked.keys().collect::<Vec<_>>(), [&cm, &new]);
    /// assert_eq!(tracked.get(&old), Some(&new));
    /// ```
    pub fn new(keys: impl IntoIterator<Item = ResourceKey>) -> Self {
        let mut keys: Vec<ResourceKey> = keys.into_iter().collect();
        // Stable: among keys of one identity, the last given stays last.
        keys.sort_by(|a, b| identity(a).cmp(&identity(b)));
        let mut unique: Vec<ResourceKey> = Vec::with_capacity(keys.len());
        for key in keys {
            match unique.last_mut() {
                Some(last) if identity(last) == identity(&key) => *last = key,
                _ => unique.push(key),
            }
        }
        TrackedObjects(unique)
    }

    /// The key tracked with the identity of `key`, whatever API version either writes.
    pub fn get(&self, key: &ResourceKey) -> Option<&ResourceKey> {
        let wanted = identity(key);
        self.0
            .binary_search_by(|k| identity(k).cmp(&wanted))
            .ok()
            .and_then(|i| self.0.get(i))
    }

    /// The keys, in identity order.
    pub fn keys(&self) -> std::slice::Iter<'_, ResourceKey> {
        self.0.iter()
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An object's identity borrowed from its key or [`ObjectId`], ordered as [`ObjectId`] is.
type Identity<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// The identity of `key` ([`ObjectId::of`], without copying it).
fn identity(key: &ResourceKey) -> Identity<'_> {
    (
        canonical_group(&key.group, &key.kind),
        &key.kind,
        key.namespace.as_deref(),
        &key.name,
    )
}

/// [`identity`] of an [`ObjectId`].
fn identity_of_id(id: &ObjectId) -> Identity<'_> {
    (&id.group, &id.kind, id.namespace.as_deref(), &id.name)
}

/// A hook of a release's last revision that its next upgrade, rollback or uninstall runs
/// again (as far as the records tell: the chart may change), with what it then does to an
/// existing object of its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunHook {
    /// The revision that stores it: the release's last.
    pub revision: u64,
    /// Its object.
    pub key: ResourceKey,
    /// Its template path.
    pub path: String,
    /// The events it runs on, as `helm.sh/hook` names them (`pre-install,pre-upgrade`).
    pub events: String,
    /// The delete policies in effect ([`Profile::hook_policies`]).
    pub policies: Vec<HookDeletePolicy>,
    /// Applied server-side (Helm 4): an existing object is applied over, not refused.
    pub server_side: bool,
}

impl RerunHook {
    /// The hooks of `last` (a release's last revision) that run on upgrade, rollback or
    /// uninstall, with `profile`'s delete policies. CustomResourceDefinition hooks are left
    /// out: Helm 3 and 4 never delete them by policy, and Helm 2 deletes its custom
    /// resources with it, a story of its own (`crd-deleted`).
    pub fn of_revision(last: &RevisionView<'_>, profile: &Profile) -> Vec<RerunHook> {
        const AGAIN: [HookEvent; 6] = [
            HookEvent::PreUpgrade,
            HookEvent::PostUpgrade,
            HookEvent::PreRollback,
            HookEvent::PostRollback,
            HookEvent::PreDelete,
            HookEvent::PostDelete,
        ];
        last.hooks
            .iter()
            .filter(|h| AGAIN.iter().any(|e| h.hook.runs_on(e)))
            .filter(|h| h.object.key.kind != "CustomResourceDefinition")
            .map(|h| RerunHook {
                revision: last.revision(),
                key: (*h.object.key).clone(),
                path: h.hook.path.clone(),
                events: h
                    .hook
                    .events
                    .iter()
                    .map(HookEvent::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                policies: profile.hook_policies(&h.hook.delete_policies),
                server_side: last.release.apply_method == Some(ApplyMethod::ServerSide),
            })
            .collect()
    }

    /// What running it does to an object of its identity that another release tracks, said
    /// from the side of `this` release or `that` one (`"this"`, `"that"`).
    fn consequence(&self, whose: &str) -> String {
        let before = self
            .policies
            .contains(&HookDeletePolicy::BeforeHookCreation);
        let succeeded = self.policies.contains(&HookDeletePolicy::HookSucceeded);
        let missing =
            format!("the object is missing until {whose} release's next upgrade creates it again");
        match (before, succeeded) {
            (true, true) => format!(
                "each time that hook runs, before-hook-creation deletes {whose} release's object (Helm checks no ownership), the hook creates its own, and hook-succeeded deletes that once the hooks succeed: {missing}"
            ),
            (true, false) => format!(
                "each time that hook runs, before-hook-creation deletes {whose} release's object (Helm checks no ownership) and the hook creates its own in its place, with the hook's content and a new UID"
            ),
            (false, true) if self.server_side => format!(
                "each time that hook runs, server-side apply writes the hook over {whose} release's object, and hook-succeeded then deletes it: {missing}"
            ),
            (false, false) if self.server_side => format!(
                "each time that hook runs, server-side apply writes the hook over {whose} release's object"
            ),
            (false, _) => format!(
                "while {whose} release's object exists, the hook's Create fails with \"already exists\" (its delete policies lack before-hook-creation), and with it the operation that runs the hook"
            ),
        }
    }
}

impl Tracking {
    /// What `replay`'s release tracks now.
    pub fn of(replay: &Replay) -> Self {
        let mut tracked: Vec<Identity<'_>> =
            replay.tracked_now.iter().map(identity_of_id).collect();
        tracked.sort_unstable();
        let objects = TrackedObjects::new(
            replay
                .objects
                .iter()
                .filter(|key| tracked.binary_search(&identity(key)).is_ok())
                .cloned(),
        );
        Tracking {
            release: replay.release.clone(),
            namespace: replay.namespace.clone(),
            base: replay.tracked_base,
            objects,
            keep: replay.tracked_keep.clone(),
            crds: replay.tracked_crds.clone(),
            declared_scopes: replay.declared_scopes.clone(),
            hooks: replay.rerun_hooks.clone(),
            gone_crds: replay
                .crd_deletions
                .iter()
                .filter(|d| d.still_gone)
                .cloned()
                .collect(),
            base_when: replay
                .tracked_base
                .and_then(|base| replay.steps.iter().find(|s| s.revision == base))
                .and_then(|s| s.started.clone()),
        }
    }

    /// This release with its objects of the kinds `cluster` says are cluster-scoped
    /// identified without a namespace; `None` when it has none with one.
    fn rescoped(&self, cluster: &ScopeResolver) -> Option<Tracking> {
        let cluster_scoped = |key: &ResourceKey| {
            key.namespace.is_some() && cluster.scope(&key.group, &key.kind) == Scope::Cluster
        };
        let hooks = self.hooks.iter().map(|h| &h.key);
        if !self.objects.keys().chain(hooks).any(cluster_scoped) {
            return None;
        }
        let unscoped = |key: &ResourceKey| ResourceKey {
            namespace: None,
            ..key.clone()
        };
        let mut keep = BTreeSet::new();
        let mut objects = Vec::new();
        for key in self.objects.keys() {
            let new_key = if cluster_scoped(key) {
                unscoped(key)
            } else {
                key.clone()
            };
            if self.keeps(key) {
                keep.insert(ObjectId::of(&new_key));
            }
            objects.push(new_key);
        }
        let objects = TrackedObjects::new(objects);
        let hooks = self
            .hooks
            .iter()
            .map(|h| RerunHook {
                key: if cluster_scoped(&h.key) {
                    unscoped(&h.key)
                } else {
                    h.key.clone()
                },
                ..h.clone()
            })
            .collect();
        Some(Tracking {
            objects,
            keep,
            hooks,
            ..self.clone()
        })
    }

    /// Whether its document of `key` says `helm.sh/resource-policy: keep` ([`Tracking::keep`]).
    fn keeps(&self, key: &ResourceKey) -> bool {
        !self.keep.is_empty() && self.keep.contains(&ObjectId::of(key))
    }

    /// `namespace/name`.
    fn label(&self) -> String {
        format!("{}/{}", self.namespace, self.release)
    }

    /// A hazard of this release.
    fn hazard(&self, hazard: Hazard) -> ReleaseHazard {
        ReleaseHazard {
            release: self.release.clone(),
            namespace: self.namespace.clone(),
            hazard,
        }
    }

    /// `3`, or `?` when no revision is the base.
    fn base_label(&self) -> String {
        self.base.map_or("?".to_owned(), |r| r.to_string())
    }
}

/// `shared-object` and `crd-shared`: objects the current bases of several releases track, and
/// CRDs one release tracks while others track objects of their kind. Each hazard is given to
/// every release concerned, worded from its side, sorted by release then object. The
/// releases must be of one cluster.
///
/// A kind whose CustomResourceDefinition one release's records store has the scope that CRD
/// declares in every release ([`Tracking::declared_scopes`]): two releases in different
/// namespaces that render one `ClusterIssuer` share it, whichever stores its CRD.
pub fn cross_hazards(releases: &[Tracking]) -> Vec<ReleaseHazard> {
    let rescoped = rescoped(releases);
    let releases = rescoped.as_deref().unwrap_or(releases);
    let mut out = shared_objects(releases);
    out.extend(shared_crds(releases));
    out.extend(shared_hooks(releases));
    out.extend(crds_gone_elsewhere(releases));
    out.sort_by(|a, b| {
        (&a.namespace, &a.release, &a.hazard.object, &a.hazard.code).cmp(&(
            &b.namespace,
            &b.release,
            &b.hazard.object,
            &b.hazard.code,
        ))
    });
    out
}

/// `releases` with the scopes that any of them declares ([`Tracking::rescoped`]); `None` when
/// that changes no object's identity.
fn rescoped(releases: &[Tracking]) -> Option<Vec<Tracking>> {
    // Declarations alone: each release's objects already have the other rules' scopes. API
    // discovery, which would win, agrees with a stored CRD: a CRD's scope cannot change.
    let mut declared = ScopeResolver::default();
    for scope in releases.iter().flat_map(|t| &t.declared_scopes) {
        declared.add_declared(scope);
    }
    let changed: Vec<Option<Tracking>> = releases.iter().map(|t| t.rescoped(&declared)).collect();
    if changed.iter().all(Option::is_none) {
        return None;
    }
    let all = releases.iter().zip(changed);
    Some(
        all.map(|(t, new)| new.unwrap_or_else(|| t.clone()))
            .collect(),
    )
}

/// `shared-object` (high): the same object (by its physical identity: group, kind, namespace,
/// name, whatever API version each chart writes) is in the base of two or more releases.
/// Whichever upgrades away from it or is uninstalled deletes it from under the others. When
/// every release's document marks it `keep`, none deletes it: medium. Uninstall is included:
/// no released Helm checks ownership before deleting there either (helm-semantics.md §8 has
/// the check only on Helm's main branch, which no profile models).
fn shared_objects(releases: &[Tracking]) -> Vec<ReleaseHazard> {
    let mut out = Vec::new();
    for_each_identity(releases, |holders| {
        if holders.len() < 2 {
            return;
        }
        let keeps = |i: usize| releases[i].keeps(holders[0].1);
        let all_keep = holders.iter().all(|(i, _)| keeps(*i));
        for (i, key) in holders {
            let me = &releases[*i];
            let others: Vec<String> = holders
                .iter()
                .filter(|(j, _)| j != i)
                .map(|(j, _)| {
                    let other = &releases[*j];
                    let keep = if keeps(*j) { ", marked keep" } else { "" };
                    format!("{} (revision {}{keep})", other.label(), other.base_label())
                })
                .collect();
            let (severity, consequence) = if all_keep {
                (
                    Severity::Medium,
                    "every release marks it helm.sh/resource-policy: keep, so none deletes it, but each upgrade overwrites the others' version of it",
                )
            } else {
                (
                    Severity::High,
                    "whichever of them upgrades to a chart without it, or is uninstalled, deletes it from under the other: Helm's upgrade checks only helm.sh/resource-policy, never meta.helm.sh/release-name (helm/helm#12683)",
                )
            };
            out.push(me.hazard(Hazard::new(
                "shared-object",
                severity,
                me.base,
                Some((*key).clone()),
                format!(
                    "{key} is tracked by this release (revision {}) and also by {}: {consequence}",
                    me.base_label(),
                    others.join(", ")
                ),
            )));
        }
    });
    out
}

/// Call `each` with the releases tracking each identity (release index and key, in release
/// order), identity by identity in identity order: a merge of the releases' objects, each
/// sorted by identity, which holds one cursor per release where a map of every identity a
/// fleet tracks took tens of megabytes.
fn for_each_identity<'a>(
    releases: &'a [Tracking],
    mut each: impl FnMut(&[(usize, &'a ResourceKey)]),
) {
    use std::cmp::Reverse;
    let keys = |i: usize| releases.get(i).map_or(&[][..], |t| &t.objects.0[..]);
    let mut heads: std::collections::BinaryHeap<Reverse<(Identity<'a>, usize, usize)>> = (0
        ..releases.len())
        .filter_map(|i| keys(i).first().map(|k| Reverse((identity(k), i, 0))))
        .collect();
    let mut holders: Vec<(usize, &'a ResourceKey)> = Vec::new();
    let mut current = None;
    while let Some(Reverse((id, i, at))) = heads.pop() {
        if current != Some(id) {
            if !holders.is_empty() {
                each(&holders);
                holders.clear();
            }
            current = Some(id);
        }
        if let Some(key) = keys(i).get(at) {
            holders.push((i, key));
        }
        if let Some(next) = keys(i).get(at + 1) {
            heads.push(Reverse((identity(next), i, at + 1)));
        }
    }
    if !holders.is_empty() {
        each(&holders);
    }
}

/// `shared-hook-object` (high): an object the current base of one release tracks is a hook
/// of another release's last revision that runs again on its upgrades, rollbacks or
/// uninstall. Helm runs a hook without checking whose an existing object of its identity is:
/// `before-hook-creation` deletes it (helm-semantics.md §5, 3b: "without any ownership
/// check"), `hook-succeeded` deletes the hook's own after the batch, and without
/// `before-hook-creation` the Create fails on it (§9 F4; Helm 4's server-side apply writes
/// over it instead). The tracking release's next upgrade creates a missing object again (§4,
/// Update: a 404 is created). Each release concerned gets the hazard, worded from its side.
fn shared_hooks(releases: &[Tracking]) -> Vec<ReleaseHazard> {
    // The trackers of the hooks' identities only: a fleet tracks hundreds of thousands.
    let hooked: HashSet<Identity<'_>, foldhash::fast::RandomState> = releases
        .iter()
        .flat_map(|t| t.hooks.iter().map(|h| identity(&h.key)))
        .collect();
    if hooked.is_empty() {
        return Vec::new();
    }
    let mut trackers: HashMap<Identity<'_>, Vec<usize>, foldhash::fast::RandomState> =
        HashMap::default();
    for (i, t) in releases.iter().enumerate() {
        for key in t.objects.keys() {
            let id = identity(key);
            if hooked.contains(&id) {
                trackers.entry(id).or_default().push(i);
            }
        }
    }
    let mut out = Vec::new();
    // One hazard per pair of releases and object, whatever number of hooks render it.
    let mut told: BTreeSet<(usize, usize, ObjectId)> = BTreeSet::new();
    for (j, runner) in releases.iter().enumerate() {
        for hook in &runner.hooks {
            let others = trackers.get(&identity(&hook.key));
            for &i in others.into_iter().flatten().filter(|i| **i != j) {
                if !told.insert((i, j, ObjectId::of(&hook.key))) {
                    continue;
                }
                let tracker = &releases[i];
                let Some(tracked) = tracker.objects.get(&hook.key) else {
                    continue;
                };
                out.push(tracker.hazard(Hazard::new(
                    "shared-hook-object",
                    Severity::High,
                    tracker.base,
                    Some(tracked.clone()),
                    format!(
                        "{tracked} is tracked by this release (revision {}) and is also a {} hook ({}) of release {} (revision {}): {}",
                        tracker.base_label(),
                        hook.events,
                        hook.path,
                        runner.label(),
                        hook.revision,
                        hook.consequence("this")
                    ),
                )));
                out.push(runner.hazard(Hazard::new(
                    "shared-hook-object",
                    Severity::High,
                    Some(hook.revision),
                    Some(hook.key.clone()),
                    format!(
                        "this release's {} hook {} renders {}, which release {} tracks (revision {}): {}",
                        hook.events,
                        hook.path,
                        hook.key,
                        tracker.label(),
                        tracker.base_label(),
                        hook.consequence("that")
                    ),
                )));
            }
        }
    }
    out
}

/// `crd-missing` (high), across releases: a release's base tracks custom resources whose
/// CustomResourceDefinition another release deleted (moved to `crds/`, renamed, uninstalled)
/// and no release's base tracks again. The API server deleted them with it, and the kind is
/// no longer served, so this release's next upgrade fails before writing any record: Helm
/// builds the base manifest too, and cannot map the kind (helm-semantics.md §2.6, §12).
fn crds_gone_elsewhere(releases: &[Tracking]) -> Vec<ReleaseHazard> {
    let served_now = |key: &ResourceKey| {
        releases
            .iter()
            .any(|t| t.crds.iter().any(|crd| crd.serves(key)))
    };
    let at = |when: &Option<String>| when.as_deref().and_then(|s| Timestamp::new(s).unix());
    let mut out = Vec::new();
    // Few releases delete a CRD: those first, then every other release.
    let deleters = releases
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.gone_crds.is_empty());
    for (j, deleter) in deleters {
        for (_, user) in releases.iter().enumerate().filter(|(i, _)| *i != j) {
            // Only a deletion after the base wrote them: a base written later found the kind
            // served again (the CRD was installed again outside Helm). Undated: unknown.
            let after_base = |gone: &&CrdDeletion| match (at(&gone.when), at(&user.base_when)) {
                (Some(gone), Some(base)) => gone > base,
                _ => false,
            };
            for gone in deleter.gone_crds.iter().filter(after_base) {
                let keys: Vec<&ResourceKey> = user
                    .objects
                    .keys()
                    .filter(|k| gone.served.serves(k) && !served_now(k))
                    .collect();
                let Some(first) = keys.first() else {
                    continue;
                };
                out.push(user.hazard(Hazard::new(
                    "crd-missing",
                    Severity::High,
                    user.base,
                    Some((*first).clone()),
                    format!(
                        "the next helm upgrade of {} fails before writing any record: revision {} tracks {} {} but release {} deleted their CustomResourceDefinition {} at revision {}, and with them every {} in the cluster; Helm cannot build them any more (no matches for kind {:?} in version {:?}) — unless the CRD was installed again outside Helm (e.g. kubectl apply -f crds/), which the records cannot show",
                        user.release,
                        user.base_label(),
                        gone.served.kind_label(),
                        names(&keys),
                        deleter.label(),
                        gone.described,
                        gone.revision,
                        gone.served.kind_label(),
                        first.kind,
                        first.api_version(),
                    ),
                )));
            }
        }
    }
    out
}

/// `crd-shared` (high): a CRD tracked by one release while objects of its kind are tracked by
/// others. Deleting the CRD (moving it to `crds/`, renaming it, uninstalling its release)
/// makes the API server delete every custom resource of its kind (helm-semantics.md §2.6).
fn shared_crds(releases: &[Tracking]) -> Vec<ReleaseHazard> {
    let mut out = Vec::new();
    for (i, owner) in releases.iter().enumerate() {
        for crd in &owner.crds {
            let users: Vec<(&Tracking, Vec<&ResourceKey>)> = releases
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, other)| {
                    let served = other.objects.keys().filter(|k| crd.serves(k)).collect();
                    (other, served)
                })
                .filter(|(_, served): &(_, Vec<_>)| !served.is_empty())
                .collect();
            if users.is_empty() {
                continue;
            }
            let kind = crd.kind_label();
            let listed: Vec<String> = users
                .iter()
                .map(|(r, keys)| format!("{} ({})", r.label(), names(keys)))
                .collect();
            out.push(owner.hazard(Hazard::new(
                "crd-shared",
                Severity::High,
                owner.base,
                Some(crd.crd.clone()),
                format!(
                    "this release tracks CustomResourceDefinition {} while other releases track objects of its kind {kind}: {}; moving it to crds/, renaming it or uninstalling this release deletes them all",
                    crd.crd.name,
                    listed.join(", ")
                ),
            )));
            for (user, keys) in users {
                out.push(user.hazard(Hazard::new(
                    "crd-shared",
                    Severity::High,
                    user.base,
                    keys.first().map(|k| (*k).clone()),
                    format!(
                        "the CustomResourceDefinition {} serving this release's {kind} {} belongs to release {} (revision {}): if that release moves it to crds/, renames it or is uninstalled, the API server deletes them",
                        crd.crd.name,
                        names(&keys),
                        owner.label(),
                        owner.base_label(),
                    ),
                )));
            }
        }
    }
    out
}

/// `ownership-moved` (high; from the live cluster): `key`, tracked by `tracking`'s base, carries
/// `meta.helm.sh/release-name`/`-namespace` naming another release (it was handed over by
/// annotation, `--take-ownership` or adoption). Helm's upgrade never reads those annotations
/// before deleting (helm-semantics.md §4.4), so the next upgrade of `tracking`'s release
/// without it deletes the other release's object; its uninstall does too.
pub fn ownership_moved(
    tracking: &Tracking,
    key: &ResourceKey,
    owner: &str,
    owner_namespace: &str,
) -> ReleaseHazard {
    tracking.hazard(Hazard::new(
        "ownership-moved",
        Severity::High,
        tracking.base,
        Some(key.clone()),
        format!(
            "{key} is tracked by this release (revision {}), but the live object's meta.helm.sh/release-name names release {owner_namespace}/{owner}: this release's next upgrade without it, or its uninstall, deletes that release's object (Helm's upgrade does not check ownership before deleting; helm/helm#12683)",
            tracking.base_label()
        ),
    ))
}

/// `a, b, c` (at most five, then a count).
fn names(keys: &[&ResourceKey]) -> String {
    const SHOWN: usize = 5;
    let mut out: Vec<&str> = keys.iter().take(SHOWN).map(|k| k.name.as_str()).collect();
    let more = keys.len().saturating_sub(SHOWN);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    out.sort_unstable();
    format!("{}{tail}", out.join(", "))
}

/// One thing a release's replay did to an object, with when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseEvent {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// When it happened, as stored: the start of the revision's operation, or for an
    /// uninstall the time of the uninstall.
    pub when: Option<String>,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

impl ReleaseEvent {
    /// Seconds since the epoch of [`ReleaseEvent::when`], when it parses.
    fn at(&self) -> Option<(i64, u32)> {
        self.when.as_deref().and_then(|s| Timestamp::new(s).unix())
    }

    /// `, 2026-01-02 10:00:00 UTC`, or nothing when undated.
    fn at_shown(&self) -> String {
        self.when
            .as_deref()
            .map(|s| format!(", {}", Timestamp::new(s).display_seconds()))
            .unwrap_or_default()
    }

    /// Whether `other` is of the same release.
    fn same_release(&self, other: &ReleaseEvent) -> bool {
        self.release == other.release && self.namespace == other.namespace
    }

    /// Whether it is an event of `replay`'s release.
    pub fn is_of(&self, replay: &Replay) -> bool {
        self.release == replay.release && self.namespace == replay.namespace
    }
}

/// Every event of every replay about the object `id`, ordered by when its operation started
/// (undated ones last), then by release and revision. A custom resource that a release's
/// replay never saw still went with its CustomResourceDefinition when another release deleted
/// that ([`Replay::crd_deletions`]): that deletion is among the events when the object was
/// there to delete, as the story so far says.
pub fn events_about(replays: &[&Replay], id: &ObjectId) -> Vec<ReleaseEvent> {
    let mut out: Vec<(ReleaseEvent, bool)> = Vec::new();
    for replay in replays {
        for step in &replay.steps {
            for e in &step.events {
                if ObjectId::of(&e.object) == *id {
                    let event = ReleaseEvent {
                        release: replay.release.clone(),
                        namespace: replay.namespace.clone(),
                        when: step.when(&e.phase).cloned(),
                        event: e.clone(),
                    };
                    out.push((event, false));
                }
            }
        }
    }
    let cascades = out
        .first()
        .map(|(e, _)| crd_cascades(replays, &e.event.object, &out))
        .unwrap_or_default();
    out.extend(cascades.into_iter().map(|e| (e, true)));
    // Stable: within one release, replay order is kept.
    out.sort_by_key(|(e, _)| (e.at().is_none(), e.at()));
    // A cascade counts only where the object was there to delete.
    let mut present = false;
    out.retain(|(e, cascade)| {
        let keep = !cascade || present;
        if keep && (removes(&e.event) || may_remove(&e.event)) {
            present = false;
        } else if puts(&e.event) {
            present = true;
        }
        keep
    });
    let mut out: Vec<ReleaseEvent> = out.into_iter().map(|(e, _)| e).collect();
    for i in 0..out.len() {
        let note = created_over(&out, i, replays).or_else(|| applied_after_removal(&out, i));
        if let Some(note) = note {
            out[i].event.message.push_str(&note);
        }
    }
    out
}

/// The deletions of `key` by the API server, with a CustomResourceDefinition that a replay's
/// release deleted, that its replay does not show already (its own custom resources have
/// their event).
fn crd_cascades(
    replays: &[&Replay],
    key: &Arc<ResourceKey>,
    seen: &[(ReleaseEvent, bool)],
) -> Vec<ReleaseEvent> {
    let mut out = Vec::new();
    for replay in replays {
        for deletion in replay.crd_deletions.iter().filter(|d| d.served.serves(key)) {
            let told = seen.iter().any(|(e, _)| {
                e.is_of(replay)
                    && e.event.revision == deletion.revision
                    && e.event.cause == Some(Cause::CrdDeleted)
            });
            let step = replay
                .steps
                .iter()
                .find(|s| s.revision == deletion.revision);
            let Some(step) = step.filter(|_| !told) else {
                continue;
            };
            out.push(ReleaseEvent {
                release: replay.release.clone(),
                namespace: replay.namespace.clone(),
                when: deletion.when.clone(),
                event: Event {
                    revision: deletion.revision,
                    operation: step.operation.clone(),
                    phase: deletion.phase.clone(),
                    action: Action::Delete,
                    object: Arc::clone(key),
                    cause: Some(Cause::CrdDeleted),
                    message: format!(
                        "deleted by the API server with its CustomResourceDefinition {}, which that revision deleted: removing a CRD removes every {} in the cluster, tracked by a release or not",
                        deletion.described,
                        deletion.served.kind_label()
                    ),
                },
            });
        }
    }
    out
}

/// When `events[i]` is a release patching (or applying unchanged) an object that another
/// release deleted before, with nothing writing it since: its replay does not know, but Helm
/// finds it missing and creates it (helm-semantics.md §4.3: a target object the GET does not
/// find is created).
fn applied_after_removal(events: &[ReleaseEvent], i: usize) -> Option<String> {
    let e = &events[i];
    if !matches!(e.event.action, Action::Patch | Action::Unchanged) {
        return None;
    }
    let before = change_before(events, i)?;
    if !removes(&before.event) || before.same_release(e) {
        return None;
    }
    Some(format!(
        "; but the records last show release {}/{} deleting it before (revision {}, {}{}): this {} found it missing and created it again",
        before.namespace,
        before.release,
        before.event.revision,
        before.event.operation,
        before.at_shown(),
        e.event.operation
    ))
}

/// The last event before `events[i]`, strictly earlier, that wrote, removed or may have
/// removed the object: an undated or simultaneous one says nothing about the order.
fn change_before(events: &[ReleaseEvent], i: usize) -> Option<&ReleaseEvent> {
    let at = events[i].at()?;
    events[..i]
        .iter()
        .rev()
        .filter(|o| o.at().is_some_and(|t| t < at))
        .find(|o| puts(&o.event) || removes(&o.event) || may_remove(&o.event))
}

/// When `events[i]` is an install or upgrade creating the object while the records last show
/// another release writing it, before and with nothing removing it since: what that says.
/// Each release's replay knows only its own records, so its install "created" an object that
/// the merged story shows present; but Helm's existing-resource check refuses an object this
/// release does not own (helm-semantics.md §4.2, §7), and Tiller's Create fails on it, so the
/// operation succeeded only because the object was changed outside Helm first.
fn created_over(events: &[ReleaseEvent], i: usize, replays: &[&Replay]) -> Option<String> {
    let e = &events[i];
    let by_operation =
        e.event.operation.starts_with("install") || e.event.operation.starts_with("upgrade");
    if e.event.action != Action::Create || e.event.phase != Phase::Apply || !by_operation {
        return None;
    }
    let before = change_before(events, i)?;
    if !puts(&before.event) || before.same_release(e) {
        return None;
    }
    let profile = replays.iter().find(|r| e.is_of(r)).map(|r| &r.profile)?;
    let operation = &e.event.operation;
    let unless = if profile.adopts() {
        format!(
            "Helm would have refused this {operation} at the existing-resource check unless the object was changed outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)"
        )
    } else if profile.checks_existing() {
        format!(
            "Helm would have refused this {operation} at the existing-resource check unless the object was deleted outside Helm first"
        )
    } else {
        format!(
            "Tiller's {operation} would have failed on it (already exists) unless the object was deleted outside Helm first"
        )
    };
    Some(format!(
        "; but the records last show release {}/{} writing it before (revision {}, {}{}) and nothing removing it since: {unless}",
        before.namespace,
        before.release,
        before.event.revision,
        before.event.operation,
        before.at_shown()
    ))
}

/// Whether an event removes the object from the cluster.
pub fn removes(event: &Event) -> bool {
    matches!(event.action, Action::Delete | Action::HookDelete)
}

/// The last removal among `events` (in the order [`events_about`] gives), when no event
/// after it put the object back.
pub fn last_removal(events: &[ReleaseEvent]) -> Option<&ReleaseEvent> {
    last_removal_at(events).map(|i| &events[i])
}

/// The position of [`last_removal`].
fn last_removal_at(events: &[ReleaseEvent]) -> Option<usize> {
    let last = events
        .iter()
        .rposition(|e| puts(&e.event) || removes(&e.event))?;
    events
        .get(last)
        .is_some_and(|e| removes(&e.event))
        .then_some(last)
}

/// Whether an event may have removed the object: an operation that never finished had it to
/// delete, and the records cannot tell whether it got that far.
pub fn may_remove(event: &Event) -> bool {
    event.action == Action::Unknown && matches!(event.phase, Phase::Delete | Phase::Uninstall)
}

/// The position of the last event that wrote, removed or may have removed the object.
fn last_change_at(events: &[ReleaseEvent]) -> Option<usize> {
    events
        .iter()
        .rposition(|e| puts(&e.event) || removes(&e.event) || may_remove(&e.event))
}

/// The last event that may have removed the object ([`may_remove`]), when it is the last
/// change of all (in the order [`events_about`] gives).
pub fn last_possible_removal(events: &[ReleaseEvent]) -> Option<&ReleaseEvent> {
    last_change_at(events)
        .map(|i| &events[i])
        .filter(|e| may_remove(&e.event))
}

/// Whether an event leaves the object in the cluster from the release's manifest or hooks.
pub fn puts(event: &Event) -> bool {
    matches!(
        event.action,
        Action::Create | Action::Patch | Action::Unchanged | Action::Adopt | Action::HookCreate
    )
}

/// What other releases did to `key` that this release's records cannot show: the other
/// releases' adoptions after this release last wrote it (it is owned elsewhere now), and the
/// last removal of it, when it was another release's and nothing wrote it since, or an
/// operation of another release that never finished and may have removed it last
/// ([`may_remove`]). Empty when no other release touched it since.
pub fn done_elsewhere(
    replays: &[&Replay],
    replay: &Replay,
    key: &ResourceKey,
) -> Vec<ReleaseEvent> {
    elsewhere_in(events_about(replays, &ObjectId::of(key)), replay)
}

/// [`done_elsewhere`], from one reading of the merged story that also gives `events`,
/// `replay`'s own events about `key`, what the other releases' records add to them (as
/// [`events_about`] tells them): an install that created an object another release still had
/// (which Helm would have refused unless it was changed outside Helm first), an apply that
/// found it deleted by another release (and created it again). The events keep their order
/// and actions; only their messages grow.
pub fn told_elsewhere(
    replays: &[&Replay],
    replay: &Replay,
    key: &ResourceKey,
    events: &mut [Event],
) -> Vec<ReleaseEvent> {
    let story = events_about(replays, &ObjectId::of(key));
    for noted in story.iter().filter(|e| e.is_of(replay)) {
        let same = events.iter_mut().find(|e| {
            e.revision == noted.event.revision
                && e.phase == noted.event.phase
                && e.action == noted.event.action
                && e.operation == noted.event.operation
                && e.object == noted.event.object
                && noted.event.message.len() > e.message.len()
                && noted.event.message.starts_with(e.message.as_str())
        });
        if let Some(e) = same {
            e.message.clone_from(&noted.event.message);
        }
    }
    elsewhere_in(story, replay)
}

/// [`done_elsewhere`] among `events`, the merged story of one object.
fn elsewhere_in(events: Vec<ReleaseEvent>, replay: &Replay) -> Vec<ReleaseEvent> {
    let last_own = events
        .iter()
        .rposition(|e| e.is_of(replay) && puts(&e.event));
    let last_removal = last_removal_at(&events);
    let last_change = last_change_at(&events);
    events
        .into_iter()
        .enumerate()
        .filter(|(i, e)| {
            let after_mine = last_own.is_none_or(|own| *i > own);
            let took_over = e.event.action == Action::Adopt;
            let removed_last = last_removal == Some(*i);
            let maybe_removed_last = last_change == Some(*i) && may_remove(&e.event);
            after_mine && !e.is_of(replay) && (took_over || removed_last || maybe_removed_last)
        })
        .map(|(_, e)| e)
        .collect()
}

/// One sentence for an event of another release: `release shop/b revision 4 (upgrade,
/// 2026-01-02 10:00:00 UTC) deleted it: <why>`.
pub fn describe_elsewhere(e: &ReleaseEvent) -> String {
    let why = e
        .event
        .message
        .strip_prefix("deleted: ")
        .unwrap_or(&e.event.message);
    format!("{}: {why}", headline_elsewhere(e))
}

/// The first half of [`describe_elsewhere`]: `release shop/b revision 4 (upgrade,
/// 2026-01-02 10:00:00 UTC) deleted it`.
pub fn headline_elsewhere(e: &ReleaseEvent) -> String {
    let when = e.at_shown();
    let did = match e.event.action {
        Action::Adopt => "took it over",
        Action::HookDelete => "deleted it (hook delete policy)",
        Action::Unknown => "may have deleted it",
        _ => "deleted it",
    };
    format!(
        "release {}/{} revision {} ({}{when}) {did}",
        e.namespace, e.release, e.event.revision, e.event.operation
    )
}
