//! The simulated Helm: one operation (install, upgrade, rollback, uninstall) run phase by
//! phase against the simulated cluster, in the order of Helm's `performUpgrade`
//! (helm-semantics.md §4.3): the existing-resource check, the pre-hooks, the apply, the
//! deletion of what the new manifest lacks, the post-hooks.

use std::collections::BTreeSet;
use std::sync::Arc;

use helm_why_release::{ApplyMethod, Hook, HookEvent, ManifestObject, Release, ResourceKey};
use serde_json::{Map, Value};

use crate::cause::{creation_cause, removal_cause};
use crate::crd::DeletedCrd;
use crate::event::{Action, Cause, Event, Phase};
use crate::failure::{Evidence, ObjectError, ObjectFailure, read_failure};
use crate::hazard::Hazard;
use crate::index::ByName;
use crate::names::invalid_name;
use crate::ops::{Operation, Outcome, Stage};
use crate::profile::{MatchRule, Profile};
use crate::view::RevisionView;
use crate::world::{Live, Origin, World, resource_name, same_id, uninstall_rank};

/// An entry of Helm's `current` list (base manifest objects plus adopted ones).
struct Entry<'v> {
    // Borrowed from the base or target view: the list is rebuilt for every operation.
    key: &'v Arc<ResourceKey>,
    value: Option<&'v Value>,
    source: Option<&'v str>,
    adopted: bool,
}

/// Helm's `current` list: the base manifest, plus adopted objects, indexed.
#[derive(Default)]
struct Current<'v> {
    entries: Vec<Entry<'v>>,
    by_name: ByName,
}

impl<'v> Current<'v> {
    fn push(&mut self, entry: Entry<'v>) {
        self.by_name.push(entry.key, self.entries.len());
        self.entries.push(entry);
    }

    fn candidates(&self, key: &ResourceKey) -> impl Iterator<Item = &Entry<'v>> {
        let positions = self.by_name.get(key);
        positions.iter().filter_map(|i| self.entries.get(*i))
    }

    /// The entry `rule` matches with `key` (`current.Get(target)`), first in list order.
    fn matching(&self, rule: MatchRule, key: &ResourceKey) -> Option<&Entry<'v>> {
        self.candidates(key).find(|c| rule.matches(c.key, key))
    }

    /// Whether an entry is the same stored object as `key`.
    fn holds(&self, key: &ResourceKey) -> bool {
        self.candidates(key).any(|c| same_id(c.key, key))
    }

    fn iter(&self) -> impl Iterator<Item = &Entry<'v>> {
        self.entries.iter()
    }
}

/// One operation under way: what Helm computed before touching the cluster, and what the
/// record says about how it ended.
pub(crate) struct Op<'a> {
    pub(crate) operation: &'a Operation,
    pub(crate) base: Option<&'a RevisionView<'a>>,
    pub(crate) target: &'a RevisionView<'a>,
    rule: MatchRule,
    is_install: bool,
    is_rollback: bool,
    ssa: bool,
    pre: HookEvent,
    post: HookEvent,
    /// Where the record says it stopped (`None`: it finished).
    pub(crate) stage: Option<Stage>,
    /// What the stored error proves.
    evidence: Option<Evidence>,
    /// Pending, with no evidence of how far it got.
    pub(crate) unsure: bool,
    /// Helm's `current`: the base manifest, plus adopted objects.
    current: Current<'a>,
    /// The target's objects by name, namespace and kind.
    target_by_name: ByName,
}

/// How a create or patch failed.
enum ApplyFailure {
    /// A create error: the Update stops at this object.
    Stops,
    /// A patch error: the Update goes on with the other objects.
    Continues,
}

/// Mutable state of a replay.
pub(crate) struct Sim {
    pub(crate) profile: Profile,
    pub(crate) world: World,
    pub(crate) events: Vec<Event>,
    pub(crate) notes: Vec<String>,
    pub(crate) rev: u64,
    pub(crate) op_label: String,
    /// Objects that were ever tracked manifest objects (to explain hook-created successors),
    /// by [`World`] slot.
    pub(crate) ever_manifest: BTreeSet<usize>,
    /// Objects already reported as orphans, by [`World`] slot.
    pub(crate) orphaned: BTreeSet<usize>,
    /// Revisions whose operation failed.
    pub(crate) failed_revisions: BTreeSet<u64>,
    /// Plan mode: hooks are assumed to run and succeed; nothing is "recorded".
    pub(crate) assume_hooks_run: bool,
    /// Hazards found while replaying the current operation that no single event carries.
    pub(crate) hazards: Vec<Hazard>,
    /// Helm's error text when the current operation failed.
    pub(crate) failure: Option<String>,
    /// Whether the caller reads the live cluster (offline, cluster-only facts are hedged).
    pub(crate) connected: bool,
    /// CustomResourceDefinitions the replay deleted (and not created again since).
    pub(crate) deleted_crds: Vec<DeletedCrd>,
    /// Every deletion of a CustomResourceDefinition, in order.
    pub(crate) crd_deletions: Vec<DeletedCrd>,
    /// Revisions whose records Tiller wrote.
    pub(crate) tiller_revisions: BTreeSet<u64>,
}

/// Why an operation stopped.
pub(crate) struct Stopped;

impl Sim {
    pub(crate) fn new(profile: Profile) -> Self {
        Sim {
            profile,
            world: World::default(),
            events: Vec::new(),
            notes: Vec::new(),
            rev: 0,
            op_label: String::new(),
            ever_manifest: BTreeSet::new(),
            orphaned: BTreeSet::new(),
            failed_revisions: BTreeSet::new(),
            assume_hooks_run: false,
            hazards: Vec::new(),
            failure: None,
            connected: false,
            deleted_crds: Vec::new(),
            crd_deletions: Vec::new(),
            tiller_revisions: BTreeSet::new(),
        }
    }

    pub(crate) fn begin(&mut self, rev: u64, label: String) {
        self.rev = rev;
        self.op_label = label;
        self.events.clear();
        self.notes.clear();
    }

    pub(crate) fn take(&mut self) -> (Vec<Event>, Vec<String>) {
        (
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.notes),
        )
    }

    /// Hazards found by the current operation beyond those its events carry.
    pub(crate) fn take_hazards(&mut self) -> Vec<Hazard> {
        std::mem::take(&mut self.hazards)
    }

    /// Whether the record shows `hook` ran during `release`'s own operation: a rollback
    /// copies the target's hooks with their old `last_run`, so a run that started before the
    /// operation did (`last_deployed`) belongs to an earlier one.
    pub(crate) fn ran_now(&self, hook: &Hook, release: &Release) -> bool {
        if self.assume_hooks_run {
            return true;
        }
        if !hook.ran() {
            return false;
        }
        match (&hook.last_run.started_at, &release.info.last_deployed) {
            (Some(run), Some(op)) if run.unix().is_some() && op.unix().is_some() => run >= op,
            _ => true,
        }
    }

    pub(crate) fn event(
        &mut self,
        phase: Phase,
        action: Action,
        object: &Arc<ResourceKey>,
        cause: Option<Cause>,
        message: String,
    ) {
        self.events.push(Event {
            revision: self.rev,
            operation: self.op_label.clone(),
            phase,
            action,
            object: Arc::clone(object),
            cause,
            message,
        });
    }

    pub(crate) fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// A hazard of the current operation that no single event carries.
    pub(crate) fn push_hazard(&mut self, hazard: Hazard) {
        self.hazards.push(hazard);
    }

    /// Install, upgrade or rollback from `base` to `target`, phase by phase in the order of
    /// Helm's `performUpgrade` (v3.21.4 `pkg/action/upgrade.go`; install and rollback run the
    /// same phases, rollback without the existing-resource check). Each phase returns
    /// `Err(Stopped)` where the operation stopped.
    pub(crate) fn operate(
        &mut self,
        operation: &Operation,
        base: Option<&RevisionView<'_>>,
        target: &RevisionView<'_>,
        outcome: &Outcome,
    ) {
        if target.from_tiller {
            self.tiller_revisions.insert(self.rev);
        }
        let mut op = self.prepare(operation, base, target, outcome);
        let _stopped = self
            .crd_install_hooks(&op)
            .and_then(|()| self.check_existing(&mut op))
            .and_then(|()| self.pre_hooks(&op))
            .and_then(|()| self.apply(&op))
            .and_then(|()| self.delete_removed(&op))
            .map(|()| self.post_hooks(&op));
    }

    /// What Helm knows before it touches the cluster: the base manifest (`current`), and
    /// what the record says about how the operation ended.
    fn prepare<'a>(
        &mut self,
        operation: &'a Operation,
        base: Option<&'a RevisionView<'a>>,
        target: &'a RevisionView<'a>,
        outcome: &Outcome,
    ) -> Op<'a> {
        self.failure = match outcome {
            Outcome::Failed { message, .. } => Some(message.clone()),
            _ => None,
        };
        let evidence = self.failure.as_deref().map(read_failure);
        let (pre, post) = operation.hook_events();
        let stage = match outcome {
            Outcome::Failed { stage, .. } => Some(*stage),
            Outcome::Pending => Some(self.pending_stage(&pre, &post, target)),
            Outcome::Succeeded => None,
        };
        let mut current = Current::default();
        for o in base.iter().flat_map(|b| &b.objects) {
            current.push(Entry {
                key: &o.key,
                value: Some(&o.value),
                source: o.source,
                adopted: false,
            });
        }
        Op {
            operation,
            base,
            target,
            rule: self.profile.match_rule(),
            // Helm 2's install --replace and upgrade --force run an Update from the last
            // revision ([`Profile::replace_updates_last`]).
            is_install: match operation {
                Operation::Install => true,
                Operation::InstallReplace | Operation::UpgradeForce => {
                    !(self.profile.replace_updates_last() && base.is_some())
                }
                _ => false,
            },
            is_rollback: matches!(operation, Operation::Rollback { .. }),
            ssa: target.release.apply_method == Some(ApplyMethod::ServerSide),
            pre,
            post,
            stage,
            evidence,
            // A pending operation with no hook evidence of how far it got: it may have
            // stopped anywhere, so what it applied and deleted is uncertain.
            unsure: *outcome == Outcome::Pending && stage == Some(Stage::Apply),
            current,
            target_by_name: ByName::of(target.objects.iter().map(|o| &*o.key)),
        }
    }

    /// Phase 1, the existing-resource check (`existingResourceConflict`, helm-semantics.md
    /// §4.2): every new object that already exists is adopted when it carries this release's
    /// ownership metadata, or stops the operation. Rollback has no such check (§6).
    fn check_existing(&mut self, op: &mut Op<'_>) -> Result<(), Stopped> {
        if op.is_rollback || !self.profile.checks_existing() {
            return Ok(());
        }
        let ownership_error = op.evidence.as_ref().and_then(|e| {
            e.objects
                .iter()
                .find(|o| matches!(o.failure, ObjectFailure::Ownership { .. }))
                .cloned()
        });
        let target = op.target;
        for t in &target.objects {
            if op.current.candidates(&t.key).any(|c| *c.key == t.key) {
                continue;
            }
            if let Some(err) = ownership_error.as_ref().filter(|e| e.is_about(&t.key)) {
                self.stopped_by_ownership(op, &t.key, err);
                return Err(Stopped);
            }
            let Some(live) = self.world.get(&t.key).cloned() else {
                continue;
            };
            if self.profile.adopts() && live.owned {
                op.current.push(Entry {
                    key: &t.key,
                    value: None,
                    source: t.source,
                    adopted: true,
                });
                let why = self.adoption_message(op.base, &t.key, &live);
                self.event(Phase::Check, Action::Adopt, &t.key, None, why);
                continue;
            }
            let message = self.conflict_message(op.operation, &t.key, &live, op.target.release);
            let cause = if live.origin == Origin::Hook {
                Cause::MovedFromHook
            } else {
                Cause::OwnershipConflict
            };
            self.event(Phase::Check, Action::Fail, &t.key, Some(cause), message);
            if self.assume_hooks_run {
                return Err(Stopped);
            }
            self.note(format!(
                "Helm would have refused this {} at the check (see {}), yet revision {} exists: the object was changed outside Helm (deleted, annotated, or --take-ownership)",
                op.operation.label(),
                t.key,
                self.rev
            ));
            op.current.push(Entry {
                key: &t.key,
                value: None,
                source: t.source,
                adopted: true,
            });
        }
        if op.stage == Some(Stage::Check) {
            // The stored error is an ownership failure about an object the replay could not
            // match: the check stopped it all the same.
            if let Some(err) = &ownership_error {
                self.note(format!(
                    "Helm's stored error: {} — the operation stopped at the existing-resource check: nothing was created, patched or deleted and no hook ran",
                    err.text
                ));
            }
            return Err(Stopped);
        }
        Ok(())
    }

    /// The stored error says the ownership check refused `key`: it exists, owned by someone
    /// else, and nothing else happened.
    fn stopped_by_ownership(&mut self, op: &Op<'_>, key: &Arc<ResourceKey>, err: &ObjectError) {
        let owner = match &err.failure {
            ObjectFailure::Ownership { owner: Some(o) } => {
                format!(" (its meta.helm.sh/release-name names release {o:?})")
            }
            _ => String::new(),
        };
        self.event(
            Phase::Check,
            Action::Fail,
            key,
            Some(Cause::OwnershipConflict),
            format!(
                "Helm's stored error: {}{owner} — the {} stopped at the existing-resource check: nothing was created, patched or deleted and no hook ran",
                err.text,
                op.operation.label()
            ),
        );
        if self.world.get(key).is_none() {
            // It exists: the records never created it (another release, or by hand).
            self.world.put(Live::outside(key.clone()));
        }
        self.note(
            "stopped at the existing-resource check: nothing was created, patched or deleted and no hook ran"
                .into(),
        );
    }

    /// Why an existing object is adopted; offline, a planned adoption depends on live
    /// metadata the records cannot show.
    fn adoption_message(
        &self,
        base: Option<&RevisionView<'_>>,
        key: &ResourceKey,
        live: &Live,
    ) -> String {
        let why = if live.keep && !self.in_manifest(base, key) {
            format!(
                "adopted: kept from revision {} with this release's ownership metadata",
                live.created_by
            )
        } else if self.failed_revisions.contains(&live.created_by) {
            format!(
                "adopted: created by failed revision {}, never tracked since",
                live.created_by
            )
        } else {
            format!(
                "adopted: it exists with this release's ownership metadata (last applied as {})",
                live.key.api_version()
            )
        };
        if self.assume_hooks_run && !self.connected {
            format!(
                "{why} — offline, this holds only if the live object still carries this release's ownership metadata; otherwise the upgrade fails here with invalid ownership metadata"
            )
        } else {
            why
        }
    }

    /// Phase 2, the pre-hooks (`execHook(pre-…)`): a failure stops everything after them.
    fn pre_hooks(&mut self, op: &Op<'_>) -> Result<(), Stopped> {
        if self.run_hooks(&op.pre, op.target, op.base).is_err() || op.stage == Some(Stage::PreHooks)
        {
            if op.stage != Some(Stage::PreHooks) && !self.assume_hooks_run {
                self.note("a hook failed here although the revision did not fail in its pre-hooks: the cluster differed from what the records show".into());
            }
            self.note(format!(
                "stopped in the {} hooks: the manifest was not applied and nothing was deleted",
                op.pre
            ));
            return Err(Stopped);
        }
        if op.stage == Some(Stage::BeforeApply) {
            let missing = op
                .evidence
                .iter()
                .flat_map(|e| &e.missing_kinds)
                .map(|m| format!("{} ({})", m.kind, m.api_version))
                .collect::<Vec<_>>();
            if missing.is_empty() {
                self.note("Helm rejected the update before applying anything: nothing was created, patched or deleted".into());
            } else {
                self.note(format!(
                    "Helm could not build the objects: the cluster does not serve {} (its CustomResourceDefinition is missing); nothing was created, patched or deleted",
                    missing.join(", ")
                ));
            }
            return Err(Stopped);
        }
        Ok(())
    }

    /// Phase 3: create or patch every object of the new manifest.
    ///
    /// Install creates them all at once (`Client.Create` → `perform`, concurrently by kind),
    /// so one rejected object does not stop the others (helm-semantics.md §12). The Update of
    /// upgrade, rollback and an install that adopted objects visits them in manifest order
    /// and stops at the first create error or untracked object; patch errors are collected
    /// and the loop goes on (v3.21.4 `pkg/kube/client.go` `Client.Update`). Either way a
    /// failure here means no deletion.
    fn apply(&mut self, op: &Op<'_>) -> Result<(), Stopped> {
        // Tiller never sets ownership metadata, whichever rules replay its revisions (a 2to3
        // history is replayed with Helm 3's): Helm 3 will not adopt what it applied.
        let owned =
            (!op.is_rollback || self.profile.rollback_sets_ownership()) && !op.target.from_tiller;
        let adopted_any = op.current.iter().any(|c| c.adopted);
        let all_at_once = op.is_install && !adopted_any;
        let mut failed = false;
        for t in &op.target.objects {
            let slot = self.world.intern(&t.key);
            self.ever_manifest.insert(slot);
            let live = self.world.get(&t.key).cloned();
            let error = op
                .evidence
                .as_ref()
                .and_then(|e| e.about(&t.key))
                .filter(|e| {
                    !matches!(
                        e.failure,
                        ObjectFailure::DeleteFailed | ObjectFailure::Ownership { .. }
                    )
                });
            match self.apply_failure(t, live.as_ref(), error) {
                Some(ApplyFailure::Stops) if !all_at_once => {
                    self.note(format!(
                        "the {} stopped at {}: the objects after it in the manifest were not applied and nothing was deleted",
                        op.operation.label(),
                        t.key
                    ));
                    return Err(Stopped);
                }
                Some(_) => {
                    failed = true;
                    continue;
                }
                None => {}
            }
            match live {
                Some(live) => {
                    if self
                        .apply_existing(op, t, &live, owned, adopted_any)
                        .is_err()
                    {
                        if all_at_once {
                            failed = true;
                            continue;
                        }
                        return Err(Stopped);
                    }
                }
                None => self.create(op, t, owned),
            }
        }
        if failed {
            self.note(format!(
                "the {} failed while applying (the objects marked fail above): everything else was applied; no deletion happened",
                op.operation.label()
            ));
            return Err(Stopped);
        }
        if op.stage == Some(Stage::Apply) && !op.unsure {
            self.note("it failed while applying: assuming the objects above were applied; no deletion happened".into());
            return Err(Stopped);
        }
        Ok(())
    }

    /// What the stored error (or the object's own name) proves went wrong with `t`.
    fn apply_failure(
        &mut self,
        t: &ManifestObject<'_>,
        live: Option<&Live>,
        error: Option<&ObjectError>,
    ) -> Option<ApplyFailure> {
        let key = &t.key;
        if live.is_none() {
            let rejected = match error {
                Some(e) if e.failure == ObjectFailure::Invalid => Some(e.text.clone()),
                _ => invalid_name(key).map(|why| {
                    format!(
                        "{} {:?} is invalid: metadata.name: Invalid value: {:?}: {why}",
                        key.kind, key.name, key.name
                    )
                }),
            };
            if let Some(text) = rejected {
                self.event(
                    Phase::Apply,
                    Action::Fail,
                    key,
                    Some(Cause::Rejected),
                    format!(
                        "the API server rejected it (HTTP 422), so it was never created: {text}"
                    ),
                );
                return Some(ApplyFailure::Stops);
            }
        }
        let error = error?;
        match (&error.failure, live) {
            (ObjectFailure::AlreadyExists | ObjectFailure::NotInOriginal, None) => {
                let what = if error.failure == ObjectFailure::AlreadyExists {
                    "its create failed"
                } else {
                    "Helm found it in the cluster but not in the manifest it diffed against"
                };
                self.event(
                    Phase::Apply,
                    Action::Fail,
                    key,
                    Some(Cause::Untracked),
                    format!(
                        "Helm's stored error: {} — {what}: it exists, though nothing in this release's records created it (another release, or by hand)",
                        error.text
                    ),
                );
                self.world.put(Live::outside(key.clone()));
                Some(ApplyFailure::Stops)
            }
            (ObjectFailure::RecreateFailed, Some(_)) => {
                // Proof of Helm 2's --force, which the records do not otherwise store.
                self.world.remove(key);
                self.event(
                    Phase::Apply,
                    Action::Delete,
                    key,
                    Some(Cause::ForceReplaced),
                    format!(
                        "its patch failed, so helm upgrade --force deleted it, and creating it again failed: {} — it is gone; Tiller goes on with the other objects and deletes nothing",
                        error.text
                    ),
                );
                Some(ApplyFailure::Continues)
            }
            (ObjectFailure::PatchFailed | ObjectFailure::Invalid, Some(_)) => {
                self.event(
                    Phase::Apply,
                    Action::Fail,
                    key,
                    Some(Cause::PatchFailed),
                    format!(
                        "its patch failed: {} — it keeps its previous state; Helm goes on with the other objects and deletes nothing",
                        error.text
                    ),
                );
                Some(ApplyFailure::Continues)
            }
            _ => None,
        }
    }

    /// Patch (or fail on) an object of the new manifest that exists.
    fn apply_existing(
        &mut self,
        op: &Op<'_>,
        t: &ManifestObject<'_>,
        live: &Live,
        owned: bool,
        adopted_any: bool,
    ) -> Result<(), Stopped> {
        let labelled = owned || t.labels().get(MANAGED_BY).map(String::as_str) == Some("Helm");
        let original = op.current.matching(op.rule, &t.key);
        // Created after the check by a hook of this revision (F15).
        let from_own_hook = live.origin == Origin::Hook && op.target.hook(&t.key).is_some();
        let fail_cause = if from_own_hook {
            Cause::HookAndManifest
        } else if live.origin == Origin::Hook {
            Cause::MovedFromHook
        } else {
            Cause::Untracked
        };
        // Only the messages about an object the base does not track say who made it.
        let made_by = || match live.origin {
            Origin::Hook => format!("created by a hook of revision {}", live.created_by),
            Origin::Manifest if live.created_by == 0 => {
                "created outside this release's records".to_owned()
            }
            Origin::Manifest => format!("left by revision {}", live.created_by),
        };
        if let Some(old) = original.filter(|c| !c.adopted).and_then(|c| c.value)
            && self.force_replace(op, t, old, live)
        {
            return Ok(());
        }
        let (action, message) = match original {
            // Install without adoption creates everything: the API refuses an object that
            // appeared after the check (Helm 4 SSA applies over it). Helm 2 has no check.
            None if op.is_install && !adopted_any && !op.ssa => {
                let when = if self.profile.checks_existing() {
                    ", after the existing-resource check"
                } else {
                    "; Tiller creates without checking first"
                };
                let message = format!(
                    "{} {:?} already exists (it was {}{when}): the install's Create fails",
                    resource_name(&t.key),
                    t.key.name,
                    made_by()
                );
                return self.stop_applying(&t.key, fail_cause, message, "the install failed");
            }
            None if op.is_install && !adopted_any => (
                Action::Patch,
                format!(
                    "applied over the existing object ({}): server-side apply does not fail on existing objects",
                    made_by()
                ),
            ),
            None if !self.profile.patches_untracked() => {
                let message = format!(
                    "{} (it exists in the cluster — {} — but is not in {}){}",
                    self.profile.untracked_error(&t.key),
                    made_by(),
                    match op.base {
                        Some(b) if !op.is_install =>
                            format!("revision {}'s manifest", b.revision()),
                        _ => "the adopted objects".to_owned(),
                    },
                    self.profile.untracked_elsewhere()
                );
                return self.stop_applying(&t.key, fail_cause, message, "no deletion happened");
            }
            None => (
                Action::Patch,
                format!(
                    "patched from its live state (it exists but is not tracked){}",
                    self.profile.untracked_elsewhere()
                ),
            ),
            Some(c) if c.adopted => (Action::Patch, "patched (adopted object)".to_owned()),
            // The live object is not the one the base applied: the 3-way patch still adds
            // the ownership metadata.
            Some(c) if same_document(c.value, &t.value) && live.origin == Origin::Hook => {
                (Action::Patch, "patched".to_owned())
            }
            Some(c) if same_document(c.value, &t.value) => {
                (Action::Unchanged, "unchanged".to_owned())
            }
            Some(c) if c.key.group != t.key.group || c.key.version != t.key.version => (
                Action::Patch,
                format!(
                    "patched, now as {} (was {})",
                    t.key.api_version(),
                    c.key.api_version()
                ),
            ),
            Some(_) => (Action::Patch, "patched".to_owned()),
        };
        let message = if live.origin == Origin::Hook {
            format!("{message}; it was created by a hook and now gets Helm's ownership metadata")
        } else {
            message
        };
        let message = hedged(op, message);
        self.event(Phase::Apply, action, &t.key, None, message);
        self.world.put(Live {
            key: t.key.clone(),
            origin: Origin::Manifest,
            created_by: live.created_by,
            owned: owned || live.owned,
            labelled: labelled || live.labelled,
            keep: t.keep_on_upgrade(),
            certain: !op.unsure,
        });
        Ok(())
    }

    /// Helm stops applying at `key` with `message`.
    fn stop_applying(
        &mut self,
        key: &Arc<ResourceKey>,
        cause: Cause,
        message: String,
        consequence: &str,
    ) -> Result<(), Stopped> {
        self.event(Phase::Apply, Action::Fail, key, Some(cause), message);
        self.note(format!("stopped while applying: {consequence}"));
        Err(Stopped)
    }

    /// Create an object of the new manifest that does not exist.
    fn create(&mut self, op: &Op<'_>, t: &ManifestObject<'_>, owned: bool) {
        let labelled = owned || t.labels().get(MANAGED_BY).map(String::as_str) == Some("Helm");
        let was_in_base = op.current.holds(&t.key);
        let (cause, message) = if was_in_base {
            (
                Cause::Recreated,
                "created again: the previous manifest has it but it was missing from the cluster"
                    .to_owned(),
            )
        } else if let Operation::Rollback { target: to } = op.operation {
            (
                Cause::Rollback,
                format!(
                    "created by the rollback: {} has it, the last revision does not",
                    to.map_or("the rollback target".to_owned(), |t| format!(
                        "revision {t}"
                    ))
                ),
            )
        } else {
            creation_cause(t, op.base, op.target)
        };
        let message = match self.crd_gone_for(&t.key) {
            Some(crd) => format!(
                "{message}; its CustomResourceDefinition {} was deleted by revision {}, so it must have been installed again outside Helm (the records cannot show it)",
                crd.crd().name,
                crd.revision
            ),
            None => message,
        };
        let message = hedged(op, message);
        self.event(Phase::Apply, Action::Create, &t.key, Some(cause), message);
        self.world.put(Live {
            key: t.key.clone(),
            origin: Origin::Manifest,
            created_by: self.rev,
            owned,
            labelled,
            keep: t.keep_on_upgrade(),
            certain: !op.unsure,
        });
    }

    /// Phase 4: delete what the new manifest lacks (`current.Difference(target)`, in base
    /// manifest order; install never deletes). Helm ≥ 3.2 refreshes each object from the
    /// cluster and skips it when its live `helm.sh/resource-policy` is `keep` (§4.3c).
    fn delete_removed(&mut self, op: &Op<'_>) -> Result<(), Stopped> {
        let failed_deletes: Vec<ObjectError> = match op.stage {
            Some(Stage::Delete) => op
                .evidence
                .iter()
                .flat_map(|e| &e.objects)
                .filter(|o| o.failure == ObjectFailure::DeleteFailed)
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if !op.is_install {
            for c in op.current.iter() {
                self.delete_one(op, c, &failed_deletes);
            }
        }
        if op.unsure {
            self.note("the operation never finished (still pending): whether it created, patched or deleted the objects above is unknown".into());
            return Err(Stopped);
        }
        if op.stage == Some(Stage::Delete) {
            if failed_deletes.is_empty() {
                self.note("it failed while deleting (Helm 4 fails on delete errors): some deletions above may not have happened".into());
            }
            self.note(
                "it failed while deleting: everything else was applied, the post hooks did not run"
                    .into(),
            );
            return Err(Stopped);
        }
        Ok(())
    }

    /// Delete (or keep) one entry of `current` that the new manifest may lack.
    fn delete_one(&mut self, op: &Op<'_>, c: &Entry<'_>, failed_deletes: &[ObjectError]) {
        let matched: Vec<&ManifestObject<'_>> = op
            .target_by_name
            .get(c.key)
            .iter()
            .filter_map(|i| op.target.objects.get(*i))
            .filter(|t| op.rule.matches(c.key, &t.key))
            .collect();
        let Some(live) = self.world.get(c.key).cloned() else {
            return;
        };
        if let Some(t) = matched.first() {
            if matched.iter().all(|t| !same_id(&t.key, c.key)) {
                // Kind-only matching (≤ 3.17.0) takes another group's resource for this one:
                // it is neither patched nor deleted (F6c).
                self.mark_orphaned(c.key);
                self.event(
                    Phase::Delete,
                    Action::Orphan,
                    c.key,
                    Some(Cause::ApiGroupChanged),
                    format!(
                        "not deleted: Helm {} matches by name, namespace and kind only, so it takes {} ({}) for this object; it is a different resource, now tracked by no revision",
                        self.profile.version,
                        t.key,
                        t.key.api_version()
                    ),
                );
            }
            return;
        }
        let (cause, why) = removal_cause(
            c.key,
            c.source,
            op.operation,
            op.base,
            op.target,
            op.rule,
            &self.profile,
        );
        if self.profile.keep_on_upgrade() && live.keep {
            self.event(
                Phase::Delete,
                Action::Keep,
                c.key,
                Some(Cause::KeepPolicy),
                format!("left the manifest ({why}), but not deleted: it carries helm.sh/resource-policy: keep (read from the manifest here; Helm reads the live object), so it stays, tracked by no revision"),
            );
            return;
        }
        if c.key.kind == "CustomResourceDefinition" && self.profile.skips_crd_deletion() {
            self.mark_orphaned(c.key);
            self.event(
                Phase::Delete,
                Action::Orphan,
                c.key,
                Some(cause),
                format!("left the manifest ({why}), but not deleted: Helm 3.1.0–3.1.3 never delete CustomResourceDefinitions, so it stays, tracked by no revision"),
            );
            return;
        }
        if op.unsure {
            self.world.set_uncertain(c.key);
            self.event(
                Phase::Delete,
                Action::Unknown,
                c.key,
                Some(cause),
                format!(
                    "left the manifest ({why}); whether it was deleted is unknown: the operation never finished"
                ),
            );
            return;
        }
        if let Some(err) = failed_deletes.iter().find(|f| f.is_about(c.key)) {
            self.event(
                Phase::Delete,
                Action::Fail,
                c.key,
                Some(Cause::DeleteError),
                format!(
                    "left the manifest ({why}), but its DELETE failed: {} — Helm 4 marks the revision failed, the object survives, and the next upgrade diffs against the last deployed revision again",
                    err.text
                ),
            );
            return;
        }
        self.world.remove(c.key);
        let hedge = if self.profile.delete_errors_fail() || self.connected {
            String::new()
        } else {
            format!(
                " (Helm {} logs and ignores delete errors: check the cluster)",
                self.profile.version.major
            )
        };
        self.event(
            Phase::Delete,
            Action::Delete,
            c.key,
            Some(cause),
            format!("deleted: {why}{hedge}"),
        );
        if c.key.kind == "CustomResourceDefinition" {
            self.cascade_crd(c.key, c.value, Phase::Delete, cause);
        }
    }

    /// Phase 5, the post-hooks (after the wait, which the records only show by its error).
    fn post_hooks(&mut self, op: &Op<'_>) {
        if op.stage == Some(Stage::Wait) {
            self.note("it failed while waiting for resources: the post hooks did not run".into());
            return;
        }
        if self.run_hooks(&op.post, op.target, op.base).is_err()
            && op.stage != Some(Stage::PostHooks)
            && !self.assume_hooks_run
        {
            self.note(
                "a post hook failed here although the revision did not fail in its post-hooks"
                    .into(),
            );
        }
    }

    /// How far a pending (never finished) operation got, from its hooks' runs: post hooks
    /// ran → the manifest change was applied; a pre hook failed or is still running → it
    /// stopped there; otherwise unknown ([`Stage::Apply`], replayed as uncertain).
    fn pending_stage(&self, pre: &HookEvent, post: &HookEvent, target: &RevisionView<'_>) -> Stage {
        let ran = |event: &HookEvent| {
            target
                .hooks
                .iter()
                .filter(|h| h.hook.runs_on(event) && self.ran_now(h.hook, target.release))
                .map(|h| h.hook.last_run.phase.as_str())
                .collect::<Vec<_>>()
        };
        if !ran(post).is_empty() {
            Stage::PostHooks
        } else if ran(pre)
            .iter()
            .any(|p| matches!(*p, "Failed" | "Running" | "Unknown"))
        {
            Stage::PreHooks
        } else {
            Stage::Apply
        }
    }

    fn in_manifest(&self, view: Option<&RevisionView<'_>>, key: &ResourceKey) -> bool {
        view.is_some_and(|v| v.object(key).is_some())
    }

    /// Helm's ownership-check error for `key` (helm-semantics.md §4.2, `checkOwnership`).
    fn conflict_message(
        &self,
        operation: &Operation,
        key: &ResourceKey,
        live: &Live,
        release: &Release,
    ) -> String {
        let ns = key.namespace.clone().unwrap_or_default();
        if !self.profile.adopts() {
            return format!(
                "rendered manifests contain a new resource that already exists. Unable to continue with {}: existing resource conflict: kind: {}, namespace: {ns}, name: {}",
                operation.helm_verb(),
                key.kind,
                key.name
            );
        }
        let mut text = format!(
            "{}{} {:?} in namespace {:?} exists and cannot be imported into the current release: invalid ownership metadata",
            self.profile.conflict_prefix(operation.helm_verb()),
            key.kind,
            key.name,
            ns
        );
        if !live.labelled {
            text.push_str("; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\"");
        }
        text.push_str(&format!(
            "; annotation validation error: missing key \"meta.helm.sh/release-name\": must be set to {:?}; annotation validation error: missing key \"meta.helm.sh/release-namespace\": must be set to {:?}",
            release.name, release.namespace
        ));
        match live.origin {
            Origin::Hook => text.push_str(&format!(
                " (it was created by a hook of revision {}, and hooks never get ownership metadata)",
                live.created_by
            )),
            Origin::Manifest if self.tiller_revisions.contains(&live.created_by) => {
                text.push_str(&format!(
                    " (revision {} was Tiller's (Helm 2), which never sets ownership metadata)",
                    live.created_by
                ))
            }
            Origin::Manifest => text.push_str(&format!(
                " (revision {} applied it without ownership metadata: Helm 3.0/3.1, or a rollback before 3.9)",
                live.created_by
            )),
        }
        text
    }

    /// `helm uninstall` of `view` (its manifest and pre/post-delete hooks).
    pub(crate) fn uninstall(&mut self, view: &RevisionView<'_>, complete: bool) {
        self.op_label = "uninstall".into();
        let cmd = self.profile.uninstall_command();
        if self
            .run_hooks(&HookEvent::PreDelete, view, Some(view))
            .is_err()
        {
            self.note(format!(
                "{cmd} stopped in the pre-delete hooks: nothing was deleted"
            ));
            return;
        }
        let mut objects: Vec<&ManifestObject<'_>> = view.objects.iter().collect();
        let order = self.profile.uninstall_order();
        objects.sort_by_key(|o| uninstall_rank(order, &o.key.kind));
        for o in objects {
            match o.uninstall_policy() {
                helm_why_release::manifest::UninstallPolicy::Keep => self.event(
                    Phase::Uninstall,
                    Action::Keep,
                    &o.key,
                    Some(Cause::KeepPolicy),
                    format!("kept by {cmd}: the stored manifest has helm.sh/resource-policy: keep"),
                ),
                helm_why_release::manifest::UninstallPolicy::SilentlySkipped(v) => self.event(
                    Phase::Uninstall,
                    Action::Orphan,
                    &o.key,
                    Some(Cause::KeepPolicy),
                    format!("{cmd} silently skips it: helm.sh/resource-policy is {v:?}, not keep"),
                ),
                helm_why_release::manifest::UninstallPolicy::Delete => {
                    if self.world.get(&o.key).is_none() {
                        continue;
                    }
                    if o.key.kind == "CustomResourceDefinition" && self.profile.skips_crd_deletion()
                    {
                        self.mark_orphaned(&o.key);
                        self.event(Phase::Uninstall, Action::Orphan, &o.key, Some(Cause::Uninstall), format!("not deleted by {cmd}: Helm 3.1.0–3.1.3 never delete CustomResourceDefinitions"));
                    } else if complete {
                        self.world.remove(&o.key);
                        self.event(
                            Phase::Uninstall,
                            Action::Delete,
                            &o.key,
                            Some(Cause::Uninstall),
                            format!("deleted by {cmd}"),
                        );
                        if o.key.kind == "CustomResourceDefinition" {
                            self.cascade_crd(
                                &o.key,
                                Some(&o.value),
                                Phase::Uninstall,
                                Cause::Uninstall,
                            );
                        }
                    } else {
                        // Stuck in `uninstalling` past the pre-delete hooks: killed, or (≥ 3.10)
                        // a delete error aborted it; which deletions happened is unknown.
                        self.world.set_uncertain(&o.key);
                        self.event(Phase::Uninstall, Action::Unknown, &o.key, Some(Cause::Uninstall), format!("may have been deleted by {cmd}: the uninstall did not finish (status {})", view.release.info.status));
                    }
                }
            }
        }
        if !complete {
            self.note("the uninstall did not finish (status uninstalling): which deletions happened is unknown".into());
            return;
        }
        let _ = self.run_hooks(&HookEvent::PostDelete, view, Some(view));
        let leftovers: Vec<Live> = self
            .world
            .iter()
            .filter(|(_, l)| l.origin == Origin::Hook)
            .map(|(_, l)| l.clone())
            .collect();
        for l in leftovers {
            self.event(
                Phase::After,
                Action::Orphan,
                &l.key,
                Some(Cause::Hook),
                format!("left behind by {cmd}: created by a hook of revision {}, and {cmd} only deletes manifest objects", l.created_by),
            );
            self.mark_orphaned(&l.key);
        }
    }

    /// Note that `key` was reported as an orphan.
    fn mark_orphaned(&mut self, key: &Arc<ResourceKey>) {
        let slot = self.world.intern(key);
        self.orphaned.insert(slot);
    }

    /// Whether `key` was ever a tracked manifest object.
    pub(crate) fn was_manifest(&self, key: &ResourceKey) -> bool {
        self.world
            .slot(key)
            .is_some_and(|s| self.ever_manifest.contains(&s))
    }

    /// Report objects that no revision tracks any more (`tracked`: [`World`] slots).
    pub(crate) fn orphans(&mut self, tracked: &BTreeSet<usize>) {
        // Tracked again (re-added or adopted): a later orphaning is news again.
        self.orphaned.retain(|slot| !tracked.contains(slot));
        let candidates: Vec<(usize, Live)> = self
            .world
            .slots()
            .filter(|(slot, _)| !tracked.contains(slot) && !self.orphaned.contains(slot))
            .map(|(slot, l)| (slot, l.clone()))
            .collect();
        for (slot, live) in candidates {
            // After an operation that never finished, or a gap, the records cannot tell
            // whether it exists.
            let lead = if live.certain {
                "present but untracked"
            } else {
                "untracked, if present (the records cannot tell)"
            };
            let (cause, message) = match live.origin {
                Origin::Hook if self.ever_manifest.contains(&slot) => (
                    Cause::Hook,
                    format!(
                        "{lead}: the hook of revision {} created it; no upgrade or uninstall will delete it",
                        live.created_by
                    ),
                ),
                Origin::Hook => continue,
                // Not this release's: created outside its records (another release, by hand).
                Origin::Manifest if live.created_by == 0 => continue,
                Origin::Manifest if live.keep => (
                    Cause::KeepPolicy,
                    format!(
                        "{lead}: kept by helm.sh/resource-policy: keep; Helm will not delete it again"
                    ),
                ),
                Origin::Manifest if self.failed_revisions.contains(&live.created_by) => (
                    Cause::FailedBase,
                    format!(
                        "{lead}: created by failed revision {}, which no later upgrade diffs against",
                        live.created_by
                    ),
                ),
                Origin::Manifest => (
                    Cause::Removed,
                    format!(
                        "{lead}: the revision the next upgrade will diff against does not have it"
                    ),
                ),
            };
            self.orphaned.insert(slot);
            self.event(
                Phase::After,
                Action::Orphan,
                &live.key,
                Some(cause),
                message,
            );
        }
    }
}

/// Whether the base applied the same document: the same parsed value (documents with equal
/// text share one, [`helm_why_release::manifest::ParseCache`]) or an equal one, compared
/// only when it is not the same, or one that differs only in `metadata.namespace`. Helm
/// builds both with cli-runtime, which writes the object's namespace from its scope before
/// any patch is computed (`SetNamespace` fills an empty one, `FilterNamespace` empties a
/// cluster-scoped kind's: helm-semantics.md §3.1), and the two were matched as one object,
/// so their built namespaces are equal: a namespace written out in one revision and
/// defaulted in the other, or dropped from a cluster-scoped kind, makes no patch.
fn same_document(base: Option<&Value>, target: &Value) -> bool {
    base.is_some_and(|b| std::ptr::eq(b, target) || b == target || equal_but_namespace(b, target))
}

/// Whether two documents are equal once `metadata.namespace` is left out of both.
fn equal_but_namespace(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return false;
    };
    let (Some(a_meta), Some(b_meta)) = (
        a.get("metadata").and_then(Value::as_object),
        b.get("metadata").and_then(Value::as_object),
    ) else {
        return false;
    };
    equal_but(a, b, "metadata") && equal_but(a_meta, b_meta, "namespace")
}

/// Whether two maps hold the same entries once `skip` is left out of both.
fn equal_but(a: &Map<String, Value>, b: &Map<String, Value>, skip: &str) -> bool {
    let len = |m: &Map<String, Value>| m.len() - usize::from(m.contains_key(skip));
    len(a) == len(b) && a.iter().all(|(k, v)| k == skip || b.get(k) == Some(v))
}

/// The label Helm's ownership metadata sets (and that charts sometimes template).
pub(crate) const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// An apply event of an operation that never finished, with no hook evidence of how far it
/// got: what Helm does at that step, said as what it did only if it got there.
fn hedged(op: &Op<'_>, message: String) -> String {
    if op.unsure {
        format!("{message} (if the operation got this far: it never finished)")
    } else {
        message
    }
}
