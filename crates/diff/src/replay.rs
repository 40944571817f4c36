//! Replaying Helm: every stored revision's operation, phase by phase, against a simulated
//! cluster (helm-semantics.md §4–§8).

use std::collections::{BTreeMap, BTreeSet};

use helm_why_release::history::{RevisionRange, format_range_list};
use helm_why_release::{
    ApplyMethod, History, Hook, HookDeletePolicy, HookEvent, ManifestObject, Release, ResourceKey,
    ScopeResolver, Status,
};
use serde_json::Value;

use crate::cause::{creation_cause, removal_cause};
use crate::event::{Action, Cause, Event, Phase};
use crate::hazard::{Hazard, Severity};
use crate::ops::{Afterwards, Inferred, Operation, Outcome, Stage, infer};
use crate::profile::Profile;
use crate::view::{HookObject, RevisionView};
use crate::world::{Live, ObjectId, Origin, World, resource_name, uninstall_rank};

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The Helm version whose rules apply; `None` picks [`Profile::default_for`].
    pub profile: Option<Profile>,
    /// Kind scopes for namespace defaulting.
    pub scopes: ScopeResolver,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            profile: None,
            scopes: ScopeResolver::builtin(),
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
    /// Everything Helm did, in order.
    pub events: Vec<Event>,
    /// Remarks about this step (base choice, contradictions, uncertainty).
    pub notes: Vec<String>,
    /// Objects present after the step, with whether that is certain.
    pub present_after: Vec<(ResourceKey, bool)>,
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
}

impl Replay {
    /// Whether the object is expected to exist after the last step (`None`: unknown).
    pub fn expected_present(&self, key: &ResourceKey) -> Option<bool> {
        let last = self.steps.last()?;
        let id = ObjectId::of(key);
        match last
            .present_after
            .iter()
            .find(|(k, _)| ObjectId::of(k) == id)
        {
            Some((_, true)) => Some(true),
            Some((_, false)) => None,
            None => Some(false),
        }
    }

    /// Events about one object, in order.
    pub fn events_for<'a>(&'a self, key: &'a ResourceKey) -> impl Iterator<Item = &'a Event> + 'a {
        let id = ObjectId::of(key);
        self.steps
            .iter()
            .flat_map(|s| s.events.iter())
            .filter(move |e| ObjectId::of(&e.object) == id)
    }
}

/// An entry of Helm's `current` list (base manifest objects plus adopted ones).
struct Entry<'v> {
    key: ResourceKey,
    value: Option<&'v Value>,
    source: Option<&'v str>,
    adopted: bool,
}

/// Mutable state of a replay.
pub(crate) struct Sim {
    pub(crate) profile: Profile,
    pub(crate) world: World,
    events: Vec<Event>,
    notes: Vec<String>,
    rev: u64,
    op_label: String,
    /// Objects that were ever tracked manifest objects (to explain hook-created successors).
    ever_manifest: BTreeSet<ObjectId>,
    /// Objects already reported as orphans.
    orphaned: BTreeSet<ObjectId>,
    /// Revisions whose operation failed.
    failed_revisions: BTreeSet<u64>,
    /// Plan mode: hooks are assumed to run and succeed; nothing is "recorded".
    pub(crate) assume_hooks_run: bool,
    /// Hazards found while replaying the current operation that no single event carries.
    hazards: Vec<Hazard>,
    /// Helm's error text when the current operation failed.
    failure: Option<String>,
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
    fn ran_now(&self, hook: &Hook, release: &Release) -> bool {
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

    fn event(
        &mut self,
        phase: Phase,
        action: Action,
        object: &ResourceKey,
        cause: Option<Cause>,
        message: String,
    ) {
        self.events.push(Event {
            revision: self.rev,
            operation: self.op_label.clone(),
            phase,
            action,
            object: object.clone(),
            cause,
            message,
        });
    }

    pub(crate) fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Run the hooks of `event` from `target`. `Err` when a hook failed (or would fail).
    fn run_hooks(
        &mut self,
        event: &HookEvent,
        target: &RevisionView<'_>,
        base: Option<&RevisionView<'_>>,
    ) -> Result<(), Stopped> {
        let mut hooks: Vec<&HookObject<'_>> = target
            .hooks
            .iter()
            .filter(|h| h.hook.runs_on(event))
            .collect();
        if hooks.is_empty() {
            return Ok(());
        }
        // sort.Stable by weight, then name (ties keep stored order).
        hooks.sort_by(|a, b| (a.hook.weight, &a.hook.name).cmp(&(b.hook.weight, &b.hook.name)));
        if !hooks.iter().any(|h| self.ran_now(h.hook, target.release)) {
            self.note(format!(
                "the {event} hooks have no record of running (helm ran with --no-hooks, or stopped before them)"
            ));
            return Ok(());
        }
        let ssa = target.release.apply_method == Some(ApplyMethod::ServerSide);
        let phase = Phase::Hooks(event.clone());
        let mut succeeded: Vec<&HookObject<'_>> = Vec::new();
        // Tracked manifest objects a server-side-applied hook took over in place.
        let mut taken_over: BTreeSet<ObjectId> = BTreeSet::new();
        for h in hooks {
            if !self.ran_now(h.hook, target.release) {
                // The batch stopped before this hook.
                break;
            }
            let key = &h.object.key;
            let mut policies = h.hook.delete_policies.clone();
            if policies.is_empty() {
                policies.push(HookDeletePolicy::BeforeHookCreation);
            }
            let is_crd = key.kind == "CustomResourceDefinition";
            let path = h.hook.path.as_str();
            let failed = !self.assume_hooks_run && h.hook.last_run.phase == "Failed";
            let before_creation = policies.contains(&HookDeletePolicy::BeforeHookCreation);
            let policy_list = || {
                policies
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let mut applied_over = None;
            if before_creation && !is_crd {
                if let Some(live) = self.world.remove(key) {
                    let was_tracked = base.is_some_and(|b| b.object(key).is_some());
                    let (action, cause, message) = match live.origin {
                        // Also a manifest object of this revision (F15): the Update patches
                        // the object the hook made, so it survives with a new UID.
                        Origin::Manifest if target.object(key).is_some() => (
                            Action::Delete,
                            Cause::HookAndManifest,
                            format!(
                                "before-hook-creation of the {event} hook {path} deletes the live {} (applied by revision {}'s manifest), which this revision renders both as a hook and as a manifest object: the hook recreates it and the upgrade patches it, so it gets a new UID on every upgrade",
                                key.kind, live.created_by
                            ),
                        ),
                        Origin::Manifest => (
                            Action::Delete,
                            if was_tracked {
                                Cause::MovedToHook
                            } else {
                                Cause::HookDeletePolicy
                            },
                            format!(
                                "before-hook-creation of the {event} hook {path} deletes the live {} (applied by revision {}'s manifest) without any ownership check",
                                key.kind, live.created_by
                            ),
                        ),
                        Origin::Hook => (
                            Action::HookDelete,
                            Cause::HookDeletePolicy,
                            format!(
                                "before-hook-creation deletes the {} left by the hook of revision {} before creating it again",
                                key.kind, live.created_by
                            ),
                        ),
                    };
                    self.event(phase.clone(), action, key, Some(cause), message);
                }
            } else if let Some(live) = self.world.get(key).cloned() {
                if ssa {
                    // Server-side apply patches an existing object in place (no AlreadyExists).
                    if live.origin == Origin::Manifest {
                        taken_over.insert(ObjectId::of(key));
                    }
                    applied_over = Some(live);
                } else {
                    let message = format!(
                        "warning: Hook {event} {path} failed: {} {:?} already exists (its delete policies {} lack before-hook-creation; hook-failed is not applied to create errors)",
                        resource_name(key),
                        key.name,
                        policy_list()
                    );
                    self.event(
                        phase,
                        Action::Fail,
                        key,
                        Some(Cause::HookAlreadyExists),
                        message,
                    );
                    return Err(Stopped);
                }
            } else if failed && !ssa && self.failed_creating_hook(event, path) {
                // The records never created it: it came from elsewhere (another release, by
                // hand), and the hook's Create failed on it.
                self.event(
                    phase,
                    Action::Fail,
                    key,
                    Some(Cause::HookAlreadyExists),
                    format!(
                        "warning: Hook {event} {path} failed: {} {:?} already exists — it already existed, created by nothing in this release's records (another release, or by hand); its delete policies {} lack before-hook-creation",
                        resource_name(key),
                        key.name,
                        policy_list()
                    ),
                );
                self.world.put(Live {
                    key: key.clone(),
                    origin: Origin::Hook,
                    created_by: self.rev,
                    owned: false,
                    labelled: false,
                    keep: false,
                    certain: false,
                });
                return Err(Stopped);
            }
            let returning = self.ever_manifest.contains(&ObjectId::of(key))
                && base.is_some_and(|b| b.object(key).is_none());
            // Tracked by the base, now only a hook that runs after the Update deleted it (F2).
            let replaced_after_delete =
                matches!(event, HookEvent::PostUpgrade | HookEvent::PostRollback)
                    && base.is_some_and(|b| b.object(key).is_some())
                    && target.object(key).is_none();
            let message = if let Some(live) = &applied_over {
                format!(
                    "the {event} hook {path} applies it over the existing {} (from revision {}): server-side apply updates an existing object in place instead of failing with AlreadyExists",
                    key.kind, live.created_by
                )
            } else if replaced_after_delete {
                format!(
                    "the {event} hook {path} creates it again right after the upgrade deleted the tracked one: a new object (new UID; empty if it holds data) without Helm ownership metadata, never deleted by upgrades or uninstall"
                )
            } else if returning {
                format!(
                    "the {event} hook {path} creates it again — as a hook: no Helm ownership metadata, never deleted by upgrades or uninstall"
                )
            } else {
                format!(
                    "the {event} hook {path} creates it (weight {})",
                    h.hook.weight
                )
            };
            self.event(
                phase.clone(),
                Action::HookCreate,
                key,
                Some(Cause::Hook),
                message,
            );
            self.world.put(Live {
                key: key.clone(),
                origin: Origin::Hook,
                created_by: applied_over.as_ref().map_or(self.rev, |l| l.created_by),
                owned: false,
                labelled: h.object.labels().get(MANAGED_BY).map(String::as_str) == Some("Helm"),
                keep: h.object.keep_on_upgrade(),
                certain: true,
            });
            if failed {
                self.event(
                    phase.clone(),
                    Action::Fail,
                    key,
                    Some(Cause::Hook),
                    format!("the {event} hook {path} failed: the operation stops here"),
                );
                if policies.contains(&HookDeletePolicy::HookFailed) && !is_crd {
                    self.world.remove(key);
                    self.event(
                        phase.clone(),
                        Action::HookDelete,
                        key,
                        Some(Cause::HookDeletePolicy),
                        "hook-failed deletes the failed hook".into(),
                    );
                }
                if self.profile.cleans_succeeded_on_failure() {
                    for done in &succeeded {
                        if done.hook.has_policy(&HookDeletePolicy::HookSucceeded)
                            && self.world.remove(&done.object.key).is_some()
                        {
                            self.event(phase.clone(), Action::HookDelete, &done.object.key, Some(Cause::HookDeletePolicy), "hook-succeeded: earlier hooks of the failed event are deleted (Helm ≥ 3.19)".into());
                        }
                    }
                }
                return Err(Stopped);
            }
            succeeded.push(h);
        }
        // hook-succeeded deletions run after the whole batch (reverse order from 3.17).
        if self.profile.hook_succeeded_reverse() {
            succeeded.reverse();
        }
        for h in succeeded {
            let key = &h.object.key;
            if h.hook.has_policy(&HookDeletePolicy::HookSucceeded)
                && key.kind != "CustomResourceDefinition"
                && self.world.remove(key).is_some()
            {
                let (cause, message) = if taken_over.contains(&ObjectId::of(key)) {
                    (
                        Cause::MovedToHook,
                        format!(
                            "hook-succeeded deletes it once every {event} hook has succeeded — the tracked object the hook took over, so it is gone after the upgrade"
                        ),
                    )
                } else {
                    (
                        Cause::HookDeletePolicy,
                        format!("hook-succeeded deletes it once every {event} hook has succeeded"),
                    )
                };
                self.event(phase.clone(), Action::HookDelete, key, Some(cause), message);
                self.referenced_after_deletion(event, key, target);
            }
        }
        Ok(())
    }

    /// Whether the current operation's error says the `event` hook at `path` failed to create
    /// its object because it already existed.
    fn failed_creating_hook(&self, event: &HookEvent, path: &str) -> bool {
        self.failure.as_deref().is_some_and(|m| {
            m.contains(&format!("Hook {event} {path} failed")) && m.contains("already exists")
        })
    }

    /// A hook ConfigMap/Secret deleted by `hook-succeeded` that manifest objects of `target`
    /// read: their pods fail (helm-semantics.md §9 F5).
    fn referenced_after_deletion(
        &mut self,
        event: &HookEvent,
        deleted: &ResourceKey,
        target: &RevisionView<'_>,
    ) {
        if !deleted.group.is_empty() || !matches!(deleted.kind.as_str(), "ConfigMap" | "Secret") {
            return;
        }
        for o in &target.objects {
            if o.key.namespace != deleted.namespace
                || !references(&o.value, &deleted.kind, &deleted.name)
            {
                continue;
            }
            let when = match event {
                HookEvent::PreInstall | HookEvent::PreUpgrade | HookEvent::PreRollback => {
                    "before the manifest is even applied"
                }
                _ => "after the manifest was applied",
            };
            self.hazards.push(Hazard::new(
                "referenced-hook-deleted",
                Severity::High,
                Some(self.rev),
                Some(o.key.clone()),
                format!(
                    "{} {} reads {} {}, a {event} hook that hook-succeeded deletes {when}: its pods fail with CreateContainerConfigError ({} {:?} not found), and --wait times out",
                    o.key.kind,
                    o.key.name,
                    deleted.kind,
                    deleted.name,
                    deleted.kind.to_ascii_lowercase(),
                    deleted.name
                ),
            ));
        }
    }

    /// Install, upgrade or rollback from `base` to `target`.
    pub(crate) fn operate(
        &mut self,
        operation: &Operation,
        base: Option<&RevisionView<'_>>,
        target: &RevisionView<'_>,
        outcome: &Outcome,
    ) {
        let rule = self.profile.match_rule();
        let is_rollback = matches!(operation, Operation::Rollback { .. });
        let is_install = matches!(operation, Operation::Install | Operation::InstallReplace);
        let ssa = target.release.apply_method == Some(ApplyMethod::ServerSide);
        let (pre, post) = operation.hook_events();
        self.failure = match outcome {
            Outcome::Failed { message, .. } => Some(message.clone()),
            _ => None,
        };
        let stage = match outcome {
            Outcome::Failed { stage, .. } => Some(*stage),
            Outcome::Pending => Some(self.pending_stage(&pre, &post, target)),
            Outcome::Succeeded => None,
        };
        // A pending operation with no hook evidence of how far it got: it may have stopped
        // anywhere, so what it applied and deleted is uncertain.
        let unsure = *outcome == Outcome::Pending && stage == Some(Stage::Apply);
        let mut current: Vec<Entry<'_>> = base
            .map(|b| {
                b.objects
                    .iter()
                    .map(|o| Entry {
                        key: o.key.clone(),
                        value: Some(&o.value),
                        source: o.source,
                        adopted: false,
                    })
                    .collect()
            })
            .unwrap_or_default();

        // 1. The existing-resource check (not for rollback).
        if !is_rollback {
            for t in &target.objects {
                if current.iter().any(|c| c.key == t.key) {
                    continue;
                }
                let Some(live) = self.world.get(&t.key).cloned() else {
                    continue;
                };
                if self.profile.adopts() && live.owned {
                    current.push(Entry {
                        key: t.key.clone(),
                        value: None,
                        source: t.source,
                        adopted: true,
                    });
                    let why = if live.keep && !self.in_manifest(base, &t.key) {
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
                    self.event(Phase::Check, Action::Adopt, &t.key, None, why);
                } else {
                    let message = self.conflict_message(operation, &t.key, &live, target.release);
                    let cause = if live.origin == Origin::Hook {
                        Cause::MovedFromHook
                    } else {
                        Cause::OwnershipConflict
                    };
                    self.event(Phase::Check, Action::Fail, &t.key, Some(cause), message);
                    if self.assume_hooks_run {
                        return;
                    }
                    self.note(format!(
                        "Helm would have refused this {} at the check (see {}), yet revision {} exists: the object was changed outside Helm (deleted, annotated, or --take-ownership)",
                        operation.label(), t.key, self.rev
                    ));
                    current.push(Entry {
                        key: t.key.clone(),
                        value: None,
                        source: t.source,
                        adopted: true,
                    });
                }
            }
        }
        // An install that adopted anything applies through `Update(toBeAdopted, …)`, so an
        // object that appeared after the check fails with "no <Kind> … found" rather than
        // "already exists". helm-semantics.md §7/F15 only describes the second case; this follows
        // v3.21.4 pkg/action/install.go performInstall.
        let adopted_any = current.iter().any(|c| c.adopted);

        // 2. Pre-hooks.
        if self.run_hooks(&pre, target, base).is_err() || stage == Some(Stage::PreHooks) {
            if stage != Some(Stage::PreHooks) && !self.assume_hooks_run {
                self.note("a hook failed here although the revision did not fail in its pre-hooks: the cluster differed from what the records show".into());
            }
            self.note(format!(
                "stopped in the {pre} hooks: the manifest was not applied and nothing was deleted"
            ));
            return;
        }
        if stage == Some(Stage::BeforeApply) {
            self.note("Helm rejected the update before applying anything: nothing was created, patched or deleted".into());
            return;
        }

        // 3. Apply.
        let owned = !is_rollback || self.profile.rollback_sets_ownership();
        for t in &target.objects {
            let id = ObjectId::of(&t.key);
            self.ever_manifest.insert(id.clone());
            let labelled = owned || t.labels().get(MANAGED_BY).map(String::as_str) == Some("Helm");
            match self.world.get(&t.key).cloned() {
                Some(live) => {
                    let original = current.iter().find(|c| rule.matches(&c.key, &t.key));
                    // Created after the check by a hook of this revision (F15).
                    let from_own_hook =
                        live.origin == Origin::Hook && target.hook(&t.key).is_some();
                    let fail_cause = if from_own_hook {
                        Cause::HookAndManifest
                    } else if live.origin == Origin::Hook {
                        Cause::MovedFromHook
                    } else {
                        Cause::Untracked
                    };
                    let made_by = match live.origin {
                        Origin::Hook => {
                            format!("created by a hook of revision {}", live.created_by)
                        }
                        Origin::Manifest => format!("left by revision {}", live.created_by),
                    };
                    let (action, message) = match original {
                        // Install without adoption creates everything: the API refuses an
                        // object that appeared after the check (Helm 4 SSA applies over it).
                        None if is_install && !adopted_any && !ssa => {
                            let message = format!(
                                "{} {:?} already exists (it was {made_by}, after the existing-resource check): the install's Create fails",
                                resource_name(&t.key),
                                t.key.name
                            );
                            self.event(
                                Phase::Apply,
                                Action::Fail,
                                &t.key,
                                Some(fail_cause),
                                message,
                            );
                            self.note("stopped while applying: the install failed".into());
                            return;
                        }
                        None if is_install && !adopted_any => (
                            Action::Patch,
                            format!(
                                "applied over the existing object ({made_by}): server-side apply does not fail on existing objects"
                            ),
                        ),
                        None if !self.profile.patches_untracked() => {
                            let message = format!(
                                "{} (it exists in the cluster — {made_by} — but is not in {})",
                                self.profile.untracked_error(&t.key.kind, &t.key.name),
                                match base {
                                    Some(b) if !is_install =>
                                        format!("revision {}'s manifest", b.revision()),
                                    _ => "the adopted objects".to_owned(),
                                }
                            );
                            self.event(
                                Phase::Apply,
                                Action::Fail,
                                &t.key,
                                Some(fail_cause),
                                message,
                            );
                            self.note("stopped while applying: no deletion happened".into());
                            return;
                        }
                        None => (
                            Action::Patch,
                            "patched from its live state (it exists but is not tracked)".to_owned(),
                        ),
                        Some(c) if c.adopted => {
                            (Action::Patch, "patched (adopted object)".to_owned())
                        }
                        // The live object is not the one the base applied: the 3-way patch
                        // still adds the ownership metadata.
                        Some(c) if c.value == Some(&t.value) && live.origin == Origin::Hook => {
                            (Action::Patch, "patched".to_owned())
                        }
                        Some(c) if c.value == Some(&t.value) => {
                            (Action::Unchanged, "unchanged".to_owned())
                        }
                        Some(c) if c.key.group != t.key.group || c.key.version != t.key.version => {
                            (
                                Action::Patch,
                                format!(
                                    "patched, now as {} (was {})",
                                    t.key.api_version(),
                                    c.key.api_version()
                                ),
                            )
                        }
                        Some(_) => (Action::Patch, "patched".to_owned()),
                    };
                    let message = if live.origin == Origin::Hook {
                        format!(
                            "{message}; it was created by a hook and now gets Helm's ownership metadata"
                        )
                    } else {
                        message
                    };
                    self.event(Phase::Apply, action, &t.key, None, message);
                    self.world.put(Live {
                        key: t.key.clone(),
                        origin: Origin::Manifest,
                        created_by: live.created_by,
                        owned: owned || live.owned,
                        labelled: labelled || live.labelled,
                        keep: t.keep_on_upgrade(),
                        certain: !unsure,
                    });
                }
                None => {
                    let was_in_base = current.iter().any(|c| ObjectId::of(&c.key) == id);
                    let (cause, message) = if was_in_base {
                        (Cause::Recreated, "created again: the previous manifest has it but it was missing from the cluster".to_owned())
                    } else if let Operation::Rollback { target: to } = operation {
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
                        creation_cause(t, base, target)
                    };
                    self.event(Phase::Apply, Action::Create, &t.key, Some(cause), message);
                    self.world.put(Live {
                        key: t.key.clone(),
                        origin: Origin::Manifest,
                        created_by: self.rev,
                        owned,
                        labelled,
                        keep: t.keep_on_upgrade(),
                        certain: !unsure,
                    });
                }
            }
        }
        if stage == Some(Stage::Apply) && !unsure {
            self.note("it failed while applying: assuming the objects above were applied; no deletion happened".into());
            return;
        }

        // 4. Delete what the target lacks (install never deletes).
        let failed_deletes = match stage {
            Some(Stage::Delete) => self
                .failure
                .as_deref()
                .map(delete_failures)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if !is_install {
            for c in &current {
                let matched: Vec<&ManifestObject<'_>> = target
                    .objects
                    .iter()
                    .filter(|t| rule.matches(&c.key, &t.key))
                    .collect();
                let Some(live) = self.world.get(&c.key).cloned() else {
                    continue;
                };
                if let Some(t) = matched.first() {
                    if matched
                        .iter()
                        .all(|t| ObjectId::of(&t.key) != ObjectId::of(&c.key))
                    {
                        // Kind-only matching (≤ 3.17.0) takes another group's resource for
                        // this one: it is neither patched nor deleted (F6c).
                        self.orphaned.insert(ObjectId::of(&c.key));
                        self.event(
                            Phase::Delete,
                            Action::Orphan,
                            &c.key,
                            Some(Cause::ApiGroupChanged),
                            format!(
                                "not deleted: Helm {} matches by name, namespace and kind only, so it takes {} ({}) for this object; it is a different resource, now tracked by no revision",
                                self.profile.version,
                                t.key,
                                t.key.api_version()
                            ),
                        );
                    }
                    continue;
                }
                let (cause, why) = removal_cause(
                    &c.key,
                    c.source,
                    operation,
                    base,
                    target,
                    rule,
                    &self.profile,
                );
                if self.profile.keep_on_upgrade() && live.keep {
                    self.event(
                        Phase::Delete,
                        Action::Keep,
                        &c.key,
                        Some(Cause::KeepPolicy),
                        format!("left the manifest ({why}), but not deleted: it carries helm.sh/resource-policy: keep (read from the manifest here; Helm reads the live object), so it stays, tracked by no revision"),
                    );
                    continue;
                }
                if c.key.kind == "CustomResourceDefinition" && self.profile.skips_crd_deletion() {
                    self.orphaned.insert(ObjectId::of(&c.key));
                    self.event(
                        Phase::Delete,
                        Action::Orphan,
                        &c.key,
                        Some(cause),
                        format!("left the manifest ({why}), but not deleted: Helm 3.1.0–3.1.3 never delete CustomResourceDefinitions, so it stays, tracked by no revision"),
                    );
                    continue;
                }
                if unsure {
                    self.world.set_uncertain(&c.key);
                    self.event(
                        Phase::Delete,
                        Action::Unknown,
                        &c.key,
                        Some(cause),
                        format!(
                            "left the manifest ({why}); whether it was deleted is unknown: the operation never finished"
                        ),
                    );
                    continue;
                }
                if let Some(err) = failed_deletes.iter().find(|f| f.matches(&c.key)) {
                    self.event(
                        Phase::Delete,
                        Action::Fail,
                        &c.key,
                        Some(Cause::DeleteError),
                        format!(
                            "left the manifest ({why}), but its DELETE failed: {} — Helm 4 marks the revision failed, the object survives, and the next upgrade diffs against the last deployed revision again",
                            err.error
                        ),
                    );
                    continue;
                }
                self.world.remove(&c.key);
                self.event(
                    Phase::Delete,
                    Action::Delete,
                    &c.key,
                    Some(cause),
                    format!("deleted: {why}"),
                );
            }
        }
        if unsure {
            self.note("the operation never finished (still pending): whether it created, patched or deleted the objects above is unknown".into());
            return;
        }
        if stage == Some(Stage::Delete) {
            if failed_deletes.is_empty() {
                self.note("it failed while deleting (Helm 4 fails on delete errors): some deletions above may not have happened".into());
            }
            self.note(
                "it failed while deleting: everything else was applied, the post hooks did not run"
                    .into(),
            );
            return;
        }

        // 5. Post-hooks.
        if stage == Some(Stage::Wait) {
            self.note("it failed while waiting for resources: the post hooks did not run".into());
            return;
        }
        if self.run_hooks(&post, target, base).is_err()
            && stage != Some(Stage::PostHooks)
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
        if self
            .run_hooks(&HookEvent::PreDelete, view, Some(view))
            .is_err()
        {
            self.note("uninstall stopped in the pre-delete hooks: nothing was deleted".into());
            return;
        }
        let mut objects: Vec<&ManifestObject<'_>> = view.objects.iter().collect();
        objects.sort_by_key(|o| uninstall_rank(&o.key.kind));
        for o in objects {
            match o.uninstall_policy() {
                helm_why_release::manifest::UninstallPolicy::Keep => self.event(
                    Phase::Uninstall,
                    Action::Keep,
                    &o.key,
                    Some(Cause::KeepPolicy),
                    "kept by helm uninstall: the stored manifest has helm.sh/resource-policy: keep".into(),
                ),
                helm_why_release::manifest::UninstallPolicy::SilentlySkipped(v) => self.event(
                    Phase::Uninstall,
                    Action::Orphan,
                    &o.key,
                    Some(Cause::KeepPolicy),
                    format!("helm uninstall silently skips it: helm.sh/resource-policy is {v:?}, not keep"),
                ),
                helm_why_release::manifest::UninstallPolicy::Delete => {
                    if self.world.get(&o.key).is_none() {
                        continue;
                    }
                    if o.key.kind == "CustomResourceDefinition" && self.profile.skips_crd_deletion() {
                        self.orphaned.insert(ObjectId::of(&o.key));
                        self.event(Phase::Uninstall, Action::Orphan, &o.key, Some(Cause::Uninstall), "not deleted by helm uninstall: Helm 3.1.0–3.1.3 never delete CustomResourceDefinitions".into());
                    } else if complete {
                        self.world.remove(&o.key);
                        self.event(Phase::Uninstall, Action::Delete, &o.key, Some(Cause::Uninstall), "deleted by helm uninstall".into());
                    } else {
                        // Stuck in `uninstalling` past the pre-delete hooks: killed, or (≥ 3.10)
                        // a delete error aborted it; which deletions happened is unknown.
                        self.world.set_uncertain(&o.key);
                        self.event(Phase::Uninstall, Action::Unknown, &o.key, Some(Cause::Uninstall), "may have been deleted by helm uninstall: the uninstall did not finish (status uninstalling)".into());
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
                format!("left behind by helm uninstall: created by a hook of revision {}, and uninstall only deletes manifest objects", l.created_by),
            );
            self.orphaned.insert(ObjectId::of(&l.key));
        }
    }

    /// Report objects that no revision tracks any more.
    fn orphans(&mut self, tracked: &BTreeSet<ObjectId>) {
        // Tracked again (re-added or adopted): a later orphaning is news again.
        self.orphaned.retain(|id| !tracked.contains(id));
        let candidates: Vec<(ObjectId, Live)> = self
            .world
            .iter()
            .filter(|(id, _)| !tracked.contains(*id) && !self.orphaned.contains(*id))
            .map(|(id, l)| (id.clone(), l.clone()))
            .collect();
        for (id, live) in candidates {
            let (cause, message) = match live.origin {
                Origin::Hook if self.ever_manifest.contains(&id) => (
                    Cause::Hook,
                    format!("present but untracked: the hook of revision {} created it; no upgrade or uninstall will delete it", live.created_by),
                ),
                Origin::Hook => continue,
                Origin::Manifest if live.keep => (
                    Cause::KeepPolicy,
                    "present but untracked: kept by helm.sh/resource-policy: keep; Helm will not delete it again".to_owned(),
                ),
                Origin::Manifest if self.failed_revisions.contains(&live.created_by) => (
                    Cause::FailedBase,
                    format!("present but untracked: created by failed revision {}, which no later upgrade diffs against", live.created_by),
                ),
                Origin::Manifest => (
                    Cause::Removed,
                    "present but untracked by the revision the next upgrade will diff against".to_owned(),
                ),
            };
            self.orphaned.insert(id);
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

/// A finished replay with the simulator state the next operation would start from.
pub(crate) struct Ended {
    pub(crate) replay: Replay,
    pub(crate) sim: Sim,
    pub(crate) statuses: BTreeMap<u64, Status>,
}

/// Replay, keeping the simulated cluster and the statuses for a planned next operation.
pub(crate) fn run(history: &History, options: &ReplayOptions) -> Ended {
    let helm4 = history
        .revisions
        .iter()
        .any(|r| r.release.written_by_helm4());
    let profile = options
        .profile
        .unwrap_or_else(|| Profile::default_for(helm4));
    let views = parse_revisions(&history.revisions, &options.scopes);
    let recorded: BTreeMap<u64, &Status> = views
        .iter()
        .map(|v| (v.revision(), &v.release.info.status))
        .collect();
    let missing = &history.missing;
    let mut sim = Sim::new(profile);
    let mut statuses: BTreeMap<u64, Status> = BTreeMap::new();
    let mut steps = Vec::with_capacity(views.len());
    let mut hazards = Vec::new();
    let mut objects: BTreeMap<ObjectId, ResourceKey> = BTreeMap::new();

    for (i, view) in views.iter().enumerate() {
        let rev = view.revision();
        let release = view.release;
        let prev_rev = rev.checked_sub(1).filter(|r| *r > 0);
        let inferred = infer(release, prev_rev.and_then(|p| recorded.get(&p).copied()));
        let operation = inferred.operation.clone();
        sim.begin(rev, operation.label());
        for o in &view.objects {
            objects.insert(ObjectId::of(&o.key), o.key.clone());
        }
        for h in &view.hooks {
            objects
                .entry(ObjectId::of(&h.object.key))
                .or_insert_with(|| h.object.key.clone());
        }
        for p in &view.problems {
            sim.note(format!(
                "document {} ({}) could not be parsed and is ignored: {}",
                p.index,
                p.source.as_deref().unwrap_or("no source"),
                p.detail
            ));
        }
        let gap_start = i
            .checked_sub(1)
            .and_then(|p| views.get(p))
            .map_or(1, |v| v.revision() + 1);
        // Ranges, not numbers: a hostile record may claim revision 2^64 - 1.
        let gap: Vec<RevisionRange> = missing
            .iter()
            .filter(|m| m.last >= gap_start && m.first < rev)
            .map(|m| RevisionRange {
                first: m.first.max(gap_start),
                last: m.last.min(rev - 1),
            })
            .collect();
        let mut base_rev = None;
        if !gap.is_empty() {
            sim.world.mark_uncertain();
            sim.note(format!(
                "revision{} {} {} missing: what happened there is unknown, and objects seen before may or may not exist",
                if helm_why_release::history::count(&gap) == 1 { "" } else { "s" },
                format_range_list(&gap),
                if helm_why_release::history::count(&gap) == 1 { "is" } else { "are" }
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
                    format!(
                        "state unknown: revisions {} are missing",
                        format_range_list(&gap)
                    ),
                );
            }
            hazards.push(Hazard::new(
                "history-pruned",
                Severity::Low,
                Some(rev),
                None,
                format!("revisions {} are missing (pruned by --history-max or deleted): nothing can be explained inside the gap", format_range_list(&gap)),
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
            Operation::Install | Operation::InstallReplace => {
                sim.operate(&operation, None, view, &inferred.outcome);
            }
            Operation::Upgrade | Operation::Rollback { .. } => {
                let chosen = if matches!(operation, Operation::Upgrade) {
                    choose_upgrade_base(&statuses, rev, &profile, &release.name, &mut sim)
                } else {
                    statuses.keys().next_back().copied().or(prev_rev)
                };
                base_rev = chosen;
                let base_view = chosen.and_then(|b| views.iter().find(|v| v.revision() == b));
                match (chosen, base_view) {
                    (Some(b), Some(bv)) => {
                        if b + 1 != rev && matches!(operation, Operation::Upgrade) {
                            sim.note(format!(
                                "the base is revision {b}, the last deployed one, not revision {}: revisions after {b} failed, and objects they created are never diffed again",
                                rev - 1
                            ));
                            hazards.push(Hazard::new(
                                "failed-base",
                                Severity::Medium,
                                Some(rev),
                                None,
                                format!("revision {rev} was diffed against revision {b}, skipping failed revisions {}", RevisionRange { first: b + 1, last: rev - 1 }),
                            ));
                        }
                        sim.operate(&operation, Some(bv), view, &inferred.outcome);
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
                Operation::Install => {}
            }
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
        let tracked: BTreeSet<ObjectId> = next_base(&statuses, &profile)
            .and_then(|b| views.iter().find(|v| v.revision() == b))
            .map(|v| v.objects.iter().map(|o| ObjectId::of(&o.key)).collect())
            .unwrap_or_default();
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
                "revision {} is still {}: every helm upgrade fails with \"another operation (install/upgrade/rollback) is in progress\" until it is rolled back or its record is fixed",
                last.revision, last.status
            ),
        ));
    }
    if let Some(last) = steps.last()
        && last.inferred.afterwards == Afterwards::UninstallIncomplete
    {
        hazards.push(Hazard::new(
            "stuck-uninstalling",
            Severity::High,
            Some(last.revision),
            None,
            format!(
                "revision {} is still uninstalling (a pre-delete hook or a delete failed, or helm was killed): helm upgrade fails with \"{}\" has no deployed releases, helm install with \"cannot re-use a name that is still in use\"; running helm uninstall again finishes it",
                last.revision, history.id.name
            ),
        ));
    }
    dedupe_hazards(&mut hazards);
    let replay = Replay {
        release: history.id.name.clone(),
        namespace: views.last().map_or_else(
            || history.id.namespace.clone(),
            |v| v.release.namespace.clone(),
        ),
        profile,
        steps,
        missing: history.missing.clone(),
        objects: objects.into_values().collect(),
        hazards,
    };
    Ended {
        replay,
        sim,
        statuses,
    }
}

/// The base Helm picks for an upgrade to `rev` (helm-semantics.md §4.1).
fn choose_upgrade_base(
    statuses: &BTreeMap<u64, Status>,
    rev: u64,
    profile: &Profile,
    name: &str,
    sim: &mut Sim,
) -> Option<u64> {
    let (last, last_status) = statuses.range(..rev).next_back()?;
    if last_status.is_pending() && profile.pending_blocks_upgrade() {
        sim.note(format!(
            "revision {last} was still {last_status}: Helm ≥ 3.4 refuses this upgrade (\"another operation (install/upgrade/rollback) is in progress\"), yet it happened: the record must have been fixed by hand"
        ));
    }
    if *last_status == Status::Deployed {
        return Some(*last);
    }
    if let Some((d, _)) = statuses
        .range(..rev)
        .rev()
        .find(|(_, s)| **s == Status::Deployed)
    {
        return Some(*d);
    }
    if profile.upgrade_from_failed() && matches!(last_status, Status::Failed | Status::Superseded) {
        return Some(*last);
    }
    sim.note(format!(
        "Helm would refuse this upgrade with \"{name:?} has no deployed releases\" (revision {last} is {last_status}); using revision {last} as the base"
    ));
    Some(*last)
}

/// What the next upgrade would diff against, from the statuses now.
pub(crate) fn next_base(statuses: &BTreeMap<u64, Status>, profile: &Profile) -> Option<u64> {
    let (last, last_status) = statuses.iter().next_back()?;
    if *last_status == Status::Deployed {
        return Some(*last);
    }
    if let Some((d, _)) = statuses.iter().rev().find(|(_, s)| **s == Status::Deployed) {
        return Some(*d);
    }
    if profile.upgrade_from_failed() && matches!(last_status, Status::Failed | Status::Superseded) {
        return Some(*last);
    }
    None
}

/// The label Helm's ownership metadata sets (and that charts sometimes template).
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// Whether a manifest object reads ConfigMap/Secret `name`: `envFrom` (`configMapRef`,
/// `secretRef`), `env[].valueFrom` (`configMapKeyRef`, `secretKeyRef`), volumes and
/// projected sources (`configMap.name`, `secret.secretName`).
fn references(value: &Value, kind: &str, name: &str) -> bool {
    let keys: &[(&str, &str)] = match kind {
        "ConfigMap" => &[
            ("configMapRef", "name"),
            ("configMapKeyRef", "name"),
            ("configMap", "name"),
        ],
        "Secret" => &[
            ("secretRef", "name"),
            ("secretKeyRef", "name"),
            ("secret", "secretName"),
        ],
        _ => return false,
    };
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            keys.iter()
                .any(|(key, field)| k == key && v.get(field).and_then(Value::as_str) == Some(name))
                || references(v, kind, name)
        }),
        Value::Array(items) => items.iter().any(|v| references(v, kind, name)),
        _ => false,
    }
}

/// One object whose DELETE failed, read from Helm 4's Update error (helm-semantics.md §4.3c).
struct DeleteFailure {
    namespace: Option<String>,
    name: String,
    kind: Option<String>,
    error: String,
}

impl DeleteFailure {
    fn matches(&self, key: &ResourceKey) -> bool {
        self.name == key.name
            && self.kind.as_deref().is_none_or(|k| k == key.kind)
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| n == key.namespace.as_deref().unwrap_or(""))
    }
}

/// The objects named in `failed to delete resource namespace=<ns>, name=<n>, kind=<K>: <err>`
/// (≥ 4.2.0) or `failed to delete resource <n>: <err>` (4.0–4.1), errors joined by ` && `.
fn delete_failures(message: &str) -> Vec<DeleteFailure> {
    const MARK: &str = "failed to delete resource ";
    let mut out = Vec::new();
    for part in message.split(" && ") {
        let Some(i) = part.find(MARK) else {
            continue;
        };
        let rest = &part[i + MARK.len()..];
        let Some((head, error)) = rest.split_once(": ") else {
            continue;
        };
        let error = error.trim().to_owned();
        if head.starts_with("namespace=") {
            let field = |name: &str| {
                head.split(", ")
                    .find_map(|kv| kv.strip_prefix(name))
                    .map(str::to_owned)
            };
            if let Some(name) = field("name=") {
                out.push(DeleteFailure {
                    namespace: field("namespace="),
                    name,
                    kind: field("kind="),
                    error,
                });
            }
        } else {
            out.push(DeleteFailure {
                namespace: None,
                name: head.trim().to_owned(),
                kind: None,
                error,
            });
        }
    }
    out
}

/// One hazard per (code, revision, object): an object deleted in the pre-upgrade hooks and
/// again in the delete phase is one hazard. The fullest message (the longest) describes it;
/// order is that of first appearance.
pub(crate) fn dedupe_hazards(hazards: &mut Vec<Hazard>) {
    let mut kept: Vec<Hazard> = Vec::with_capacity(hazards.len());
    for h in hazards.drain(..) {
        match kept
            .iter_mut()
            .find(|k| k.code == h.code && k.revision == h.revision && k.object == h.object)
        {
            Some(k) if h.message.len() >= k.message.len() => *k = h,
            Some(_) => {}
            None => kept.push(h),
        }
    }
    *hazards = kept;
}

/// Parse every revision's manifest and hooks. Parsing YAML is most of a replay's time and the
/// revisions are independent, so long histories are parsed on every core; the order of the
/// result is the order of `records` either way.
fn parse_revisions<'a>(
    records: &'a [helm_why_release::Record],
    scopes: &helm_why_release::ScopeResolver,
) -> Vec<RevisionView<'a>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if threads < 2 || records.len() < 8 {
        return records
            .iter()
            .map(|r| RevisionView::new(&r.release, scopes))
            .collect();
    }
    let chunk = records.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = records
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|r| RevisionView::new(&r.release, scopes))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
