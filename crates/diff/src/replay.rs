//! Replaying Helm: every stored revision's operation, phase by phase, against a simulated
//! cluster (helm-semantics.md §4–§8).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use helm_why_release::history::{RevisionRange, are_missing, format_range_list, format_ranges};
use helm_why_release::{History, RecordFormat, ResourceKey, ScopeResolver, Status};

use crate::base::{BaseQuery, PENDING_ERROR, query_base, upgrade_base};
use crate::crd::CrdServes;
use crate::event::{Action, Cause, Event, Phase};
use crate::hazard::{Hazard, Severity, empty_manifest};
use crate::index::Ids;
use crate::ops::{Afterwards, Inferred, Operation, Outcome, infer};
use crate::profile::Profile;
use crate::rollback::rollback_hazards;
use crate::sim::Sim;
use crate::view::RevisionView;
use crate::world::{Live, ObjectId, Origin, World, same_id};

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The Helm version whose rules apply; `None` picks [`Profile::default_for`].
    pub profile: Option<Profile>,
    /// Kind scopes for namespace defaulting.
    pub scopes: ScopeResolver,
    /// Whether the caller compares the replay with the live cluster. Offline, what only the
    /// cluster knows is hedged in the explanations (e.g. Helm 3 ignores delete errors).
    pub connected: bool,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            profile: None,
            scopes: ScopeResolver::builtin(),
            connected: false,
        }
    }
}

/// What one stored revision's operation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    /// The revision.
    pub revision: u64,
    /// `upgrade`, `rollback to 2`, …
    pub operation: String,
    /// Operation, outcome and what happened to the record afterwards.
    pub inferred: Inferred,
    /// The revision Helm diffed against (`None` for installs or an unknown base).
    pub base: Option<u64>,
    /// Status and description as stored.
    pub status: String,
    /// Description as stored.
    pub description: String,
    /// When the operation started (`last_deployed`).
    pub started: Option<String>,
    /// When the release was uninstalled (`deleted`), for a record that stands for an
    /// uninstall too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uninstalled: Option<String>,
    /// Everything Helm did, in order.
    pub events: Vec<Event>,
    /// Remarks about this step (base choice, contradictions, uncertainty).
    pub notes: Vec<String>,
    /// Objects present after the step, with whether that is certain.
    pub present_after: Vec<(Arc<ResourceKey>, bool)>,
}

impl Step {
    /// When an event of `phase` happened, as stored: the start of the operation, or for an
    /// uninstall the time of the uninstall.
    pub fn when(&self, phase: &Phase) -> Option<&String> {
        match phase {
            Phase::Uninstall => self.uninstalled.as_ref().or(self.started.as_ref()),
            _ => self.started.as_ref(),
        }
    }
}

/// The replay of a whole history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Replay {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The rules used.
    pub profile: Profile,
    /// One step per stored revision, in order.
    pub steps: Vec<Step>,
    /// Revisions with no record.
    pub missing: Vec<RevisionRange>,
    /// Every object ever seen (manifest or hook), by identity, with its latest key.
    pub objects: Vec<ResourceKey>,
    /// Hazards found in the history.
    pub hazards: Vec<Hazard>,
    /// What Helm's storage answers the next upgrade now, from the statuses as stored.
    pub next_upgrade: BaseQuery,
    /// The revision whose manifest Helm tracks now (see [`Replay::tracked_by`]).
    pub tracked_base: Option<u64>,
    /// The objects of that revision.
    #[serde(skip)]
    pub tracked_now: BTreeSet<ObjectId>,
    /// Those of them whose document says `helm.sh/resource-policy: keep`.
    #[serde(skip)]
    pub tracked_keep: BTreeSet<ObjectId>,
    /// The CustomResourceDefinitions among them, with the kind each serves.
    #[serde(skip)]
    pub tracked_crds: Vec<CrdServes>,
    /// The scopes that the CRDs stored in the history declare ([`crate::declared_scopes`]),
    /// which other releases' objects of those kinds have too ([`crate::cross_hazards`]).
    #[serde(skip)]
    pub declared_scopes: Vec<helm_why_release::DeclaredScope>,
    /// The hooks of the last revision that the release's next upgrade, rollback or uninstall
    /// runs again, if its chart keeps them ([`crate::cross_hazards`]).
    #[serde(skip)]
    pub rerun_hooks: Vec<crate::cross::RerunHook>,
    /// The CustomResourceDefinitions its operations deleted, with every custom resource of
    /// their kinds, other releases' too.
    #[serde(skip)]
    pub crd_deletions: Vec<crate::crd::CrdDeletion>,
}

impl Replay {
    /// Whether the object is expected to exist after the last step (`None`: unknown).
    pub fn expected_present(&self, key: &ResourceKey) -> Option<bool> {
        let last = self.steps.last()?;
        match last.present_after.iter().find(|(k, _)| same_id(k, key)) {
            Some((_, true)) => Some(true),
            Some((_, false)) => None,
            None => Some(false),
        }
    }

    /// The revision that tracks the object now, when one does: the base the next upgrade
    /// diffs against (Helm's storage query, [`Replay::next_upgrade`]; while a pending
    /// revision blocks upgrades, the base it would be once unblocked).
    pub fn tracked_by(&self, key: &ResourceKey) -> Option<u64> {
        self.tracked_base
            .filter(|_| self.tracked_now.contains(&ObjectId::of(key)))
    }

    /// Every event and presence by object, found in one pass over the replay: for reports
    /// of every object (`timeline`), where asking [`Replay::events_for`] per object would
    /// scan every event once per object.
    pub fn index(&self) -> ReplayIndex<'_> {
        let mut ids = Ids::default();
        for key in &self.objects {
            ids.intern(key);
        }
        let steps = self.steps.len();
        let mut events: Vec<Vec<(usize, &Event)>> = vec![Vec::new(); ids.len()];
        let mut presence: Vec<Vec<Option<bool>>> = vec![vec![Some(false); steps]; ids.len()];
        for (i, step) in self.steps.iter().enumerate() {
            for e in &step.events {
                if let Some(slot) = ids.slot(&e.object) {
                    events[slot].push((i, e));
                }
            }
            for (key, certain) in &step.present_after {
                if let Some(slot) = ids.slot(key) {
                    presence[slot][i] = if *certain { Some(true) } else { None };
                }
            }
        }
        ReplayIndex {
            ids,
            events,
            presence,
        }
    }

    /// Events about one object, in order.
    pub fn events_for<'a>(&'a self, key: &'a ResourceKey) -> impl Iterator<Item = &'a Event> + 'a {
        self.steps
            .iter()
            .flat_map(|s| s.events.iter())
            .filter(move |e| same_id(&e.object, key))
    }
}

/// A [`Replay`] by object (see [`Replay::index`]).
#[derive(Debug, Clone)]
pub struct ReplayIndex<'r> {
    ids: Ids,
    /// Per object: (step position, event), in order.
    events: Vec<Vec<(usize, &'r Event)>>,
    /// Per object, per step: present after it (`None`: uncertain).
    presence: Vec<Vec<Option<bool>>>,
}

impl<'r> ReplayIndex<'r> {
    fn slot(&self, key: &ResourceKey) -> Option<usize> {
        self.ids.slot(key)
    }

    /// The object's events, each with the position of its step in [`Replay::steps`].
    pub fn events(&self, key: &ResourceKey) -> &[(usize, &'r Event)] {
        self.slot(key)
            .and_then(|s| self.events.get(s))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the object exists after each step (`None`: uncertain), in step order, as
    /// [`ReplayIndex::present_after`] answers step by step: one lookup for a whole row of
    /// a timeline. Empty for an object the replay never saw (absent after every step).
    pub fn presence(&self, key: &ResourceKey) -> &[Option<bool>] {
        self.slot(key)
            .and_then(|s| self.presence.get(s))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the object exists after step `step` (`None`: uncertain).
    pub fn present_after(&self, key: &ResourceKey, step: usize) -> Option<bool> {
        match self.slot(key) {
            Some(s) => self.presence[s].get(step).copied().unwrap_or(Some(false)),
            None => Some(false),
        }
    }

    /// Whether the object exists after the last step, as [`Replay::expected_present`].
    pub fn expected_present(&self, key: &ResourceKey) -> Option<bool> {
        let last = self
            .slot(key)
            .and_then(|s| self.presence[s].last().copied());
        last.unwrap_or(Some(false))
    }
}

/// Replay a whole history.
///
/// ```
/// use helm_why_release::builder::ReleaseBuilder;
/// use helm_why_release::{history::group, Status};
/// use helm_why_diff::{replay, Action, Cause, ReplayOptions};
/// let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n";
/// let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n";
/// let v1 = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/cm.yaml", cm)
///     .status(Status::Superseded, "Install complete").build();
/// let v2 = ReleaseBuilder::new("web", "shop", 2).hook("web/templates/cm.yaml", hook)
///     .hooks_ran_for(&[helm_why_release::HookEvent::PreUpgrade]).build();
/// let records = [v1, v2].into_iter().map(|release| helm_why_release::Record {
///     meta: helm_why_release::RecordMeta::raw(Default::default()), release }).collect();
/// let history = group(records, vec![]).releases.remove(0);
/// let r = replay(&history, &ReplayOptions::default());
/// let last = r.steps[1].events.last().unwrap();
/// assert_eq!((last.action, last.cause), (Action::Delete, Some(Cause::MovedToHook)));
/// assert_eq!(r.expected_present(&last.object), Some(false));
/// ```
pub fn replay(history: &History, options: &ReplayOptions) -> Replay {
    run(history, options).replay
}

/// [`replay`] on revisions parsed already (`RevisionView::parse_records` of the history's
/// records), for callers that read the same views for something else too (`images`, `scan`).
pub fn replay_parsed(
    history: &History,
    views: &[RevisionView<'_>],
    options: &ReplayOptions,
) -> Replay {
    run_views(history, views, options).replay
}

/// A finished replay with the simulator state the next operation would start from.
pub(crate) struct Ended {
    pub(crate) replay: Replay,
    pub(crate) sim: Sim,
    /// The statuses as stored now (what Helm's storage answers).
    pub(crate) stored: BTreeMap<u64, Status>,
}

/// Replay, keeping the simulated cluster and the statuses for a planned next operation.
pub(crate) fn run(history: &History, options: &ReplayOptions) -> Ended {
    let views = parse_revisions(&history.revisions, &options.scopes);
    run_views(history, &views, options)
}

/// [`run`] on revisions parsed already (one parse serves replays with several profiles).
pub(crate) fn run_views(
    history: &History,
    views: &[RevisionView<'_>],
    options: &ReplayOptions,
) -> Ended {
    let helm4 = history
        .revisions
        .iter()
        .any(|r| r.release.written_by_helm4());
    // Helm 2 rules only when Tiller wrote every revision: after a 2to3 conversion Helm 3 ran.
    let tiller = !history.revisions.is_empty()
        && history
            .revisions
            .iter()
            .all(|r| r.meta.format == RecordFormat::TillerProtobuf);
    let profile = options
        .profile
        .unwrap_or_else(|| Profile::default_for_records(helm4, tiller));
    let recorded: BTreeMap<u64, &Status> = views
        .iter()
        .map(|v| (v.revision(), &v.release.info.status))
        .collect();
    let missing = &history.missing;
    let mut sim = Sim::new(profile);
    sim.connected = options.connected;
    let mut statuses: BTreeMap<u64, Status> = BTreeMap::new();
    let mut steps = Vec::with_capacity(views.len());
    let mut hazards = Vec::new();
    let mut objects = Seen::default();

    for (i, view) in views.iter().enumerate() {
        let rev = view.revision();
        let release = view.release;
        let prev_rev = rev.checked_sub(1).filter(|r| *r > 0);
        let previous_status = prev_rev.and_then(|p| recorded.get(&p).copied());
        let mut inferred = infer(release, previous_status);
        let force_reinstall =
            force_reinstalled(&profile, &inferred.operation, release, previous_status);
        if force_reinstall {
            inferred.operation = Operation::UpgradeForce;
        }
        let operation = inferred.operation.clone();
        sim.begin(rev, operation.label());
        for o in &view.objects {
            objects.latest(sim.world.intern(&o.key), &o.key);
        }
        for h in &view.hooks {
            objects.first(sim.world.intern(&h.object.key), &h.object.key);
        }
        for p in &view.problems {
            let document = format!(
                "document {} ({}) could not be parsed",
                p.index,
                p.source.as_deref().unwrap_or("no source")
            );
            sim.note(format!("{document} and is ignored: {}", p.detail));
            // Whatever object it holds is missing from every answer below: say so whatever
            // the question (an object whose document this is would read as never rendered).
            hazards.push(Hazard::new(
                crate::hazard::UNREADABLE_DOCUMENT,
                Severity::Medium,
                Some(rev),
                None,
                format!(
                    "{document} ({}); the objects it holds are left out, so what the records say of them is incomplete",
                    p.detail
                ),
            ));
        }
        let gap_start = i
            .checked_sub(1)
            .and_then(|p| views.get(p))
            .map_or(1, |v| v.revision() + 1);
        let gap = missing_within(
            missing,
            RevisionRange {
                first: gap_start,
                last: rev.saturating_sub(1),
            },
        );
        let mut base_rev = None;
        if !gap.is_empty() {
            sim.world.mark_uncertain();
            sim.note(format!(
                "{}: what happened there is unknown, and objects seen before may or may not exist",
                are_missing(&gap)
            ));
            for (_, live) in sim
                .world
                .iter()
                .map(|(i, l)| (i.clone(), l.clone()))
                .collect::<Vec<_>>()
            {
                sim.event(
                    Phase::Check,
                    Action::Unknown,
                    &live.key,
                    Some(Cause::HistoryPruned),
                    format!("state unknown: {}", are_missing(&gap)),
                );
            }
            hazards.push(Hazard::new(
                "history-pruned",
                Severity::Low,
                Some(rev),
                None,
                format!(
                    "{} (pruned by --history-max or deleted): nothing can be explained inside the gap",
                    are_missing(&gap)
                ),
            ));
        }
        match &operation {
            _ if i == 0 && rev > 1 && !gap.is_empty() => {
                // History starts after a gap: take this revision's manifest as the state.
                for o in &view.objects {
                    sim.world.put(Live {
                        key: o.key.clone(),
                        origin: Origin::Manifest,
                        created_by: rev,
                        owned: true,
                        labelled: true,
                        keep: o.keep_on_upgrade(),
                        certain: false,
                    });
                    sim.event(Phase::Apply, Action::Unknown, &o.key, Some(Cause::HistoryPruned), "in the manifest; how it got there is unknown (earlier revisions are missing)".into());
                }
            }
            Operation::InstallReplace | Operation::UpgradeForce
                if profile.replace_updates_last() =>
            {
                // Tiller's Update from the last revision's manifest.
                let last = statuses.keys().next_back().copied();
                base_rev = last;
                let base_view = last.and_then(|b| view_of(views, b));
                if force_reinstall && let Some(b) = last {
                    sim.note(format!(
                        "Tiller's helm upgrade --force found no DEPLOYED revision, so it deleted revision {b} (its pre- and post-delete hooks ran, its record says DELETED) and installed this one as an update from revision {b}'s manifest, with the install hooks; a helm delete of revision {b} followed by helm upgrade --force leaves the same records"
                    ));
                }
                sim.operate(&operation, base_view, view, &inferred.outcome);
            }
            Operation::Install | Operation::InstallReplace | Operation::UpgradeForce => {
                sim.operate(&operation, None, view, &inferred.outcome);
            }
            Operation::Upgrade | Operation::Rollback { .. } => {
                let chosen = if matches!(operation, Operation::Upgrade) {
                    historical_base(&statuses, &profile, &release.name, &mut sim)
                } else {
                    statuses.keys().next_back().copied().or(prev_rev)
                };
                base_rev = chosen;
                let base_view = chosen.and_then(|b| view_of(views, b));
                match (chosen, base_view) {
                    (Some(b), Some(bv)) => {
                        if b + 1 != rev && matches!(operation, Operation::Upgrade) {
                            let skipped = Skipped::between(b, rev, history, &steps);
                            sim.note(skipped.note(b, rev));
                            hazards.push(Hazard::new(
                                "failed-base",
                                Severity::Medium,
                                Some(rev),
                                None,
                                skipped.hazard(b, rev),
                            ));
                        }
                        sim.operate(&operation, Some(bv), view, &inferred.outcome);
                        hazards.extend(empty_manifest(rev, bv, view, false));
                    }
                    _ => {
                        sim.note(format!(
                            "the base revision {} is missing: creations are shown, deletions cannot be known",
                            chosen.map_or("?".to_owned(), |b| b.to_string())
                        ));
                        sim.operate(&Operation::InstallReplace, None, view, &inferred.outcome);
                    }
                }
            }
        }
        // Status transitions caused by this operation.
        let own = match (&inferred.outcome, &inferred.afterwards) {
            (_, Afterwards::Uninstalled) => Status::Uninstalled,
            (_, Afterwards::UninstallIncomplete) => Status::Uninstalling,
            (Outcome::Succeeded, _) => Status::Deployed,
            (Outcome::Failed { .. }, _) => {
                sim.failed_revisions.insert(rev);
                Status::Failed
            }
            (Outcome::Pending, _) => release.info.status.clone(),
        };
        if inferred.outcome == Outcome::Succeeded {
            match &operation {
                Operation::Upgrade => {
                    if let Some(b) = base_rev {
                        statuses.insert(b, Status::Superseded);
                    }
                }
                Operation::Rollback { .. } => {
                    for s in statuses.values_mut().filter(|s| **s == Status::Deployed) {
                        *s = Status::Superseded;
                    }
                }
                Operation::InstallReplace => {
                    for s in statuses.values_mut().filter(|s| **s == Status::Uninstalled) {
                        *s = Status::Superseded;
                    }
                }
                Operation::Install | Operation::UpgradeForce => {}
            }
        }
        // A successful rollback supersedes the revision it started from, whatever its status;
        // Helm 2's install --replace supersedes the last revision before its Update, however
        // the Update ends [Helm v2.17.0 `pkg/tiller/release_rollback.go` `performRollback`,
        // `release_install.go` `performRelease`].
        let supersedes_base = match &operation {
            Operation::Rollback { .. } => inferred.outcome == Outcome::Succeeded,
            Operation::InstallReplace => profile.replace_updates_last(),
            _ => false,
        };
        if supersedes_base && let Some(b) = base_rev {
            statuses.insert(b, Status::Superseded);
        }
        if profile.is_helm2()
            && inferred.outcome == Outcome::Pending
            && matches!(
                release.info.status,
                Status::PendingUpgrade | Status::PendingRollback
            )
        {
            sim.note(format!(
                "Tiller writes this revision {} before its hooks and never again when a pre- or post-{} hook fails, so it failed in a hook or Tiller stopped (killed or restarted): the record cannot tell which, and records no hook run either way",
                release.info.status,
                if release.info.status == Status::PendingUpgrade { "upgrade" } else { "rollback" }
            ));
        }
        // A rollback whose Update failed marks the revision it started from superseded
        // (helm-semantics.md §6.6), even when that was the deployed one.
        if matches!(operation, Operation::Rollback { .. })
            && matches!(inferred.outcome, Outcome::Failed { .. })
            && release.info.description.starts_with("Rollback ")
            && let Some(b) = base_rev
        {
            statuses.insert(b, Status::Superseded);
        }
        statuses.insert(rev, own);
        if inferred.afterwards != Afterwards::Nothing {
            sim.uninstall(view, inferred.afterwards == Afterwards::Uninstalled);
        }
        // What the next upgrade diffs against decides what is still tracked.
        let tracked = Tracked::slots(
            views,
            &query_base(&statuses, &profile, &release.name, false),
            &sim.world,
        );
        if inferred.afterwards == Afterwards::Nothing {
            sim.orphans(&tracked);
        }
        let (events, notes) = sim.take();
        for e in &events {
            if let Some(h) = Hazard::from_event(e) {
                hazards.push(h);
            }
        }
        hazards.extend(sim.take_hazards());
        let present_after = sim
            .world
            .iter()
            .map(|(_, l)| (l.key.clone(), l.certain))
            .collect();
        steps.push(Step {
            revision: rev,
            operation: operation.label(),
            inferred,
            base: base_rev,
            status: release.info.status.to_string(),
            description: release.info.description.clone(),
            started: release.info.last_deployed.as_ref().map(ToString::to_string),
            uninstalled: release.info.deleted.as_ref().map(ToString::to_string),
            events,
            notes,
            present_after,
        });
    }
    if let Some(last) = steps.last()
        && last.inferred.outcome == Outcome::Pending
        && profile.pending_blocks_upgrade()
    {
        hazards.push(Hazard::new(
            "pending-lock",
            Severity::High,
            Some(last.revision),
            None,
            format!(
                "revision {} is still {}: every helm upgrade fails with \"another operation (install/upgrade/rollback) is in progress\" until it is rolled back or its record is fixed{}",
                last.revision,
                last.status,
                if profile.is_helm2() {
                    " (Tiller 2.16.10 and later; an older Tiller upgrades past it)"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Some(last) = steps.last()
        && last.inferred.afterwards == Afterwards::UninstallIncomplete
    {
        let message = if profile.is_helm2() {
            // Tiller stores DELETING after the pre-delete hooks and, with --purge, removes
            // the records oldest first [Helm v2.17.0 `pkg/tiller/release_uninstall.go`
            // `UninstallRelease`, `purgeReleases`].
            let purge = match steps.first() {
                Some(first) if first.revision > 1 => format!(
                    "; the revisions before {} are gone too, as a helm delete --purge that stopped part-way leaves it (it removes the records oldest first)",
                    first.revision
                ),
                _ => String::new(),
            };
            format!(
                "revision {} is still DELETING (helm delete ran its pre-delete hooks and stopped: a delete error, or Tiller was killed){purge}: helm upgrade fails with \"{}\" has no deployed releases, helm install --replace with \"a release named {} is in use, cannot re-use a name that is still in use\"; running helm delete again finishes it",
                last.revision, history.id.name, history.id.name
            )
        } else {
            format!(
                "revision {} is still uninstalling (a pre-delete hook or a delete failed, or helm was killed): helm upgrade fails with \"{}\" has no deployed releases, helm install with \"cannot re-use a name that is still in use\"; running helm uninstall again finishes it",
                last.revision, history.id.name
            )
        };
        hazards.push(Hazard::new(
            "stuck-uninstalling",
            Severity::High,
            Some(last.revision),
            None,
            message,
        ));
    }
    // The next upgrade, as Helm's storage answers it from the records as stored now.
    let stored: BTreeMap<u64, Status> = views
        .iter()
        .map(|v| (v.revision(), v.release.info.status.clone()))
        .collect();
    let next_upgrade = upgrade_base(&stored, &profile, &history.id.name);
    let tracked_query = query_base(&stored, &profile, &history.id.name, false);
    let tracked = Tracked::by_base(views, &tracked_query);
    if let Some(last) = views.last() {
        let upgrade = format!("the next helm upgrade of {}", history.id.name);
        hazards.extend(sim.crd_missing(last, &upgrade));
        hazards.extend(rollback_hazards(views, &sim.world, &profile));
    }
    dedupe_hazards(&mut hazards);
    let crd_deletions = sim
        .crd_deletions()
        .into_iter()
        .map(|mut d| {
            let step = steps.iter().find(|s| s.revision == d.revision);
            d.when = step.and_then(|s| s.when(&d.phase)).cloned();
            d
        })
        .collect();
    let replay = Replay {
        release: history.id.name.clone(),
        namespace: views.last().map_or_else(
            || history.id.namespace.clone(),
            |v| v.release.namespace.clone(),
        ),
        profile,
        steps,
        missing: history.missing.clone(),
        objects: objects.into_keys(&sim.world),
        hazards,
        tracked_base: tracked.revision,
        tracked_now: tracked.objects,
        tracked_keep: tracked.keep,
        tracked_crds: tracked.crds,
        declared_scopes: crate::view::declared_scopes(views),
        crd_deletions,
        // An uninstalled release runs no hook again: `upgrade --install` installs it anew.
        rerun_hooks: views
            .last()
            .filter(|last| last.release.info.status != Status::Uninstalled)
            .map(|last| crate::cross::RerunHook::of_revision(last, &profile))
            .unwrap_or_default(),
        next_upgrade,
    };
    Ended {
        replay,
        sim,
        stored,
    }
}

/// The parts of the `missing` ranges inside `within`. Ranges, not numbers: a hostile record
/// may claim revision 2^64 - 1.
/// The view of `revision`. Views are in revision order (a history's): found by bisection,
/// as the replay asks once per revision; a linear search stays the answer should they not be.
fn view_of<'v, 'a>(views: &'v [RevisionView<'a>], revision: u64) -> Option<&'v RevisionView<'a>> {
    views
        .binary_search_by_key(&revision, RevisionView::revision)
        .ok()
        .and_then(|i| views.get(i))
        .or_else(|| views.iter().find(|v| v.revision() == revision))
}

fn missing_within(missing: &[RevisionRange], within: RevisionRange) -> Vec<RevisionRange> {
    missing
        .iter()
        .filter(|m| m.last >= within.first && m.first <= within.last)
        .map(|m| RevisionRange {
            first: m.first.max(within.first),
            last: m.last.min(within.last),
        })
        .collect()
}

/// How a replayed revision ended, as a word before "revision N": `failed` when it failed
/// (also when a later operation relabelled it `superseded`, [`infer`]), else its stored status.
fn ended_as(step: &Step) -> &str {
    match step.inferred.outcome {
        Outcome::Failed { .. } => "failed",
        Outcome::Pending | Outcome::Succeeded => &step.status,
    }
}

/// The revisions an upgrade's base skipped (after the base, before the upgrade), as the
/// records show them: the stored ones were not deployed when the upgrade ran (the base is the
/// last deployed one), while the missing ones are known only by inference.
struct Skipped<'s> {
    /// Read from their records, grouped by how each ended ([`ended_as`]), in revision order.
    stored: Vec<(&'s str, Vec<u64>)>,
    /// Stored, but their records could not be decoded.
    unreadable: Vec<u64>,
    /// No record.
    missing: Vec<RevisionRange>,
}

impl<'s> Skipped<'s> {
    /// `steps`: the revisions replayed so far, in revision order.
    fn between(base: u64, rev: u64, history: &History, steps: &'s [Step]) -> Skipped<'s> {
        let mut stored: Vec<(&str, Vec<u64>)> = Vec::new();
        let skipped = steps
            .iter()
            .filter(|s| (base + 1..rev).contains(&s.revision));
        for step in skipped {
            let how = ended_as(step);
            match stored.iter_mut().find(|(h, _)| *h == how) {
                Some((_, revisions)) => revisions.push(step.revision),
                None => stored.push((how, vec![step.revision])),
            }
        }
        let mut unreadable: Vec<u64> = history
            .undecodable
            .iter()
            .filter_map(|(r, _)| *r)
            .filter(|r| (base + 1..rev).contains(r))
            .collect();
        unreadable.sort_unstable();
        unreadable.dedup();
        let missing = missing_within(
            &history.missing,
            RevisionRange {
                first: base + 1,
                last: rev - 1,
            },
        );
        Skipped {
            stored,
            unreadable,
            missing,
        }
    }

    /// `failed revisions 2-3, pending-upgrade revision 4`, and how many revisions that is.
    fn stored_list(&self) -> (String, usize) {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut parts: Vec<String> = self
            .stored
            .iter()
            .map(|(how, revisions)| {
                format!(
                    "{how} revision{} {}",
                    plural(revisions.len()),
                    format_ranges(revisions)
                )
            })
            .collect();
        if !self.unreadable.is_empty() {
            parts.push(format!(
                "revision{} {} (stored, but undecodable)",
                plural(self.unreadable.len()),
                format_ranges(&self.unreadable)
            ));
        }
        let count = self.stored.iter().map(|(_, r)| r.len()).sum::<usize>() + self.unreadable.len();
        (parts.join(", "), count)
    }

    /// `; failed revision 2 was not deployed when revision 3 ran` (empty when none is stored).
    fn not_deployed(&self, rev: u64) -> String {
        match self.stored_list() {
            (_, 0) => String::new(),
            (list, n) => format!(
                ": {list} {} not deployed when revision {rev} ran",
                if n == 1 { "was" } else { "were" }
            ),
        }
    }

    /// Why a base that outlived pruned revisions was the base: pruning deletes the oldest
    /// revisions first, sparing (Helm ≥ 3.2, pkg/storage/storage.go `removeLeastRecent`) only
    /// the latest deployed one, so an older revision still stored after later ones were pruned
    /// was the latest deployed every time. Records deleted by hand prove nothing.
    fn missing_inference(&self, base: u64) -> String {
        let one = helm_why_release::history::count(&self.missing) == 1;
        let list = format_range_list(&self.missing);
        let (subject, them, none, records, one_of) = if one {
            (
                format!("revision {list} has"),
                "it",
                "it was never",
                "its record was",
                "it",
            )
        } else {
            (
                format!("revisions {list} have"),
                "them",
                "none of them was ever",
                "their records were",
                "one of them",
            )
        };
        format!(
            "{subject} no record: if --history-max pruned {them}, revision {base} outliving {them} means {none} deployed (pruning deletes the oldest revisions first, sparing only the latest deployed one from Helm 3.2 on); if {records} deleted some other way, the base may have been {one_of}"
        )
    }

    /// The `failed-base` hazard's message.
    fn hazard(&self, base: u64, rev: u64) -> String {
        let skipping = match self.stored_list() {
            (_, 0) => String::new(),
            (list, _) => format!(", skipping {list}"),
        };
        if self.missing.is_empty() {
            return format!("revision {rev} was diffed against revision {base}{skipping}");
        }
        format!(
            "revision {rev} was diffed against revision {base}, the last deployed revision on record{skipping}; {}",
            self.missing_inference(base)
        )
    }

    /// The note on the upgrade's step.
    fn note(&self, base: u64, rev: u64) -> String {
        let on_record = if self.missing.is_empty() {
            ""
        } else {
            " on record"
        };
        let mut note = format!(
            "the base is revision {base}, the last deployed one{on_record}, not revision {}{}; objects created by the revisions after {base} are never diffed again",
            rev - 1,
            self.not_deployed(rev)
        );
        if !self.missing.is_empty() {
            note.push_str("; ");
            note.push_str(&self.missing_inference(base));
        }
        note
    }
}

/// The base Helm picked for an upgrade in the history, from the statuses as they stood then.
/// Where Helm would have refused, the revision exists all the same: say so and take the base
/// the refusal stood in the way of (helm-semantics.md §4.1).
fn historical_base(
    statuses: &BTreeMap<u64, Status>,
    profile: &Profile,
    name: &str,
    sim: &mut Sim,
) -> Option<u64> {
    let mut query = upgrade_base(statuses, profile, name);
    if let BaseQuery::Refused {
        last,
        status,
        error,
    } = &query
        && error == PENDING_ERROR
    {
        sim.note(format!(
            "revision {last} was still {status}: Helm {} refuses this upgrade (\"{PENDING_ERROR}\"), yet it happened: the record must have been fixed by hand",
            profile.version
        ));
        query = query_base(statuses, profile, name, false);
    }
    match query {
        BaseQuery::Base { revision, .. } => Some(revision),
        BaseQuery::NoRelease => None,
        BaseQuery::Refused {
            last,
            status,
            error,
        } => {
            sim.note(format!(
                "Helm would refuse this upgrade with \"{error}\" (revision {last} is {status}); using revision {last} as the base"
            ));
            Some(last)
        }
    }
}

/// Whether `operation`, right after a revision stored as `previous`, is Helm 2's
/// `upgrade --force` delete-and-install ([`Profile::force_upgrade_reinstalls`]): a DELETED
/// revision followed by an upgrade's (or a pending install's) record. `helm install --replace`
/// would have marked the DELETED revision SUPERSEDED, and a plain upgrade finds no DEPLOYED
/// revision to diff against.
fn force_reinstalled(
    profile: &Profile,
    operation: &Operation,
    release: &helm_why_release::Release,
    previous: Option<&Status>,
) -> bool {
    // What performUpdateForce writes: `Upgrade complete`, `Upgrade "<rel>" failed: …`, and
    // like an install `PENDING_INSTALL` or `Release "<rel>" failed post-install: …`.
    let install_record = release.info.status == Status::PendingInstall
        || release
            .info
            .description
            .starts_with(&format!("Release {:?} failed post-install: ", release.name));
    profile.force_upgrade_reinstalls()
        && previous == Some(&Status::Uninstalled)
        && match operation {
            Operation::Upgrade => true,
            Operation::InstallReplace => install_record,
            _ => false,
        }
}

/// What the revision Helm's storage answers as the base tracks (see [`Replay::tracked_by`]).
struct Tracked {
    revision: Option<u64>,
    objects: BTreeSet<ObjectId>,
    keep: BTreeSet<ObjectId>,
    crds: Vec<CrdServes>,
}

impl Tracked {
    /// The base's objects only (what each step needs), by [`World`] slot: an object never
    /// interned was never live, so it cannot be an orphan either.
    fn slots(views: &[RevisionView<'_>], query: &BaseQuery, world: &World) -> BTreeSet<usize> {
        let revision = match query {
            // Helm refuses every upgrade, so none diffs anything; but an uninstall deletes the
            // last revision's manifest, whatever its status (helm-semantics.md §8,
            // `pkg/action/uninstall.go`): what it has is not an orphan.
            BaseQuery::Refused { last, .. } => Some(*last),
            _ => query.revision(),
        };
        Self::objects_of(views, revision)
            .iter()
            .filter_map(|o| world.slot(&o.key))
            .collect()
    }

    /// The manifest objects of `revision` (none when it is `None` or not among `views`).
    fn objects_of<'v>(
        views: &'v [RevisionView<'_>],
        revision: Option<u64>,
    ) -> &'v [helm_why_release::manifest::ManifestObject<'v>] {
        revision
            .and_then(|b| view_of(views, b))
            .map(|v| v.objects.as_slice())
            .unwrap_or_default()
    }

    fn by_base(views: &[RevisionView<'_>], query: &BaseQuery) -> Self {
        let objects = Self::objects_of(views, query.revision());
        Tracked {
            revision: query.revision(),
            objects: objects.iter().map(|o| ObjectId::of(&o.key)).collect(),
            keep: objects
                .iter()
                .filter(|o| o.keep_on_upgrade())
                .map(|o| ObjectId::of(&o.key))
                .collect(),
            crds: objects
                .iter()
                .filter(|o| CrdServes::is_crd(&o.key))
                .map(|o| CrdServes::new(&o.key, Some(&o.value)))
                .collect(),
        }
    }
}

/// Every object a replay has seen (manifest or hook), by [`World`] slot, with its key.
#[derive(Default)]
struct Seen(Vec<Option<Arc<ResourceKey>>>);

impl Seen {
    fn entry(&mut self, slot: usize) -> &mut Option<Arc<ResourceKey>> {
        if self.0.len() <= slot {
            self.0.resize(slot + 1, None);
        }
        &mut self.0[slot]
    }

    /// A manifest object: its latest key wins.
    fn latest(&mut self, slot: usize, key: &Arc<ResourceKey>) {
        *self.entry(slot) = Some(Arc::clone(key));
    }

    /// A hook object: its key counts only for an identity never seen before.
    fn first(&mut self, slot: usize, key: &Arc<ResourceKey>) {
        self.entry(slot).get_or_insert_with(|| Arc::clone(key));
    }

    /// The keys, in identity order.
    fn into_keys(self, world: &World) -> Vec<ResourceKey> {
        let mut keys: Vec<(usize, Arc<ResourceKey>)> = self
            .0
            .into_iter()
            .enumerate()
            .filter_map(|(slot, key)| Some((slot, key?)))
            .collect();
        keys.sort_by(|a, b| world.id(a.0).cmp(&world.id(b.0)));
        keys.into_iter()
            .map(|(_, key)| Arc::unwrap_or_clone(key))
            .collect()
    }
}

/// One hazard per (code, revision, object): an object deleted in the pre-upgrade hooks and
/// again in the delete phase is one hazard. The fullest message (the longest) describes it;
/// order is that of first appearance.
pub(crate) fn dedupe_hazards(hazards: &mut Vec<Hazard>) {
    use std::collections::hash_map::Entry;
    let mut kept: Vec<Hazard> = Vec::with_capacity(hazards.len());
    // Where each (code, revision, object) is in `kept`: a history of thousands of objects
    // has thousands of hazards, and a scan of `kept` for each would be quadratic.
    let mut at: std::collections::HashMap<(String, Option<u64>, Option<ResourceKey>), usize> =
        std::collections::HashMap::with_capacity(hazards.len());
    for h in hazards.drain(..) {
        match at.entry((h.code.clone(), h.revision, h.object.clone())) {
            Entry::Occupied(slot) => {
                let k = &mut kept[*slot.get()];
                if h.message.len() >= k.message.len() {
                    *k = h;
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push(h);
            }
        }
    }
    *hazards = kept;
}

/// Parse every revision's manifest and hooks: each distinct document once, on every core
/// ([`RevisionView::parse_all`]); the order of the result is the order of `records`.
fn parse_revisions<'a>(
    records: &'a [helm_why_release::Record],
    scopes: &helm_why_release::ScopeResolver,
) -> Vec<RevisionView<'a>> {
    RevisionView::parse_records(records, scopes)
}
