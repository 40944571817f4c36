//! Hooks (helm-semantics.md §5, Helm's `pkg/action/hooks.go` `execHook`): the hooks of one
//! event, by weight and name, with their delete policies.

use std::collections::BTreeSet;

use helm_why_release::{ApplyMethod, Hook, HookDeletePolicy, HookEvent, ResourceKey};
use serde_json::Value;

use crate::event::{Action, Cause, Phase};
use crate::hazard::{Hazard, Severity};
use crate::ops::Operation;
use crate::sim::{MANAGED_BY, Op, Sim, Stopped};
use crate::view::{HookObject, RevisionView};
use crate::world::{Live, ObjectId, Origin, resource_name};

/// Helm 2's `crd-install` event (the model keeps it by name: Helm 3 does not know it).
fn crd_install_event() -> HookEvent {
    HookEvent::Unknown("crd-install".to_owned())
}

impl Sim {
    /// Helm 2's `crd-install` hooks, first thing of an install or install --replace
    /// ([`crate::Profile::runs_crd_install_hooks`]); nothing for other versions and
    /// operations. Their objects are hooks: never tracked, updated or deleted by Tiller.
    pub(crate) fn crd_install_hooks(&mut self, op: &Op<'_>) -> Result<(), Stopped> {
        if !self.profile.runs_crd_install_hooks()
            || !matches!(op.operation, Operation::Install | Operation::InstallReplace)
        {
            return Ok(());
        }
        let event = crd_install_event();
        if self.run_hooks(&event, op.target, op.base).is_err() {
            self.note(
                "stopped in the crd-install hooks: nothing else was created and no other hook ran"
                    .into(),
            );
            return Err(Stopped);
        }
        Ok(())
    }

    /// Run the hooks of `event` from `target`. `Err` when a hook failed (or would fail).
    pub(crate) fn run_hooks(
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
            let why = if self.profile.hook_outcome_recorded() {
                "helm ran with --no-hooks, or stopped before them"
            } else {
                "--no-hooks, or one of them failed or never finished: Tiller records a run only once every hook of the event succeeded"
            };
            self.note(format!(
                "the {event} hooks have no record of running ({why})"
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
            let policies = self.profile.hook_policies(&h.hook.delete_policies);
            let honoured = h.hook.delete_policies.iter();
            let ignored = honoured
                .filter(|p| self.profile.honours_hook_policy(p))
                .count()
                < h.hook.delete_policies.len();
            if ignored && self.profile.is_helm2() {
                self.note(format!(
                    "the {event} hook {path} names delete policies Helm {} does not know ({}): ignored",
                    self.profile.version,
                    h.hook
                        .delete_policies
                        .iter()
                        .filter(|p| !self.profile.honours_hook_policy(p))
                        .map(HookDeletePolicy::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                    path = h.hook.path
                ));
            }
            let spared = self.spared_by_policy(key);
            let path = h.hook.path.as_str();
            let failed = !self.assume_hooks_run && self.hook_phase(h.hook, target) == "Failed";
            let before_creation = policies.contains(&HookDeletePolicy::BeforeHookCreation);
            let policy_list = || {
                policies
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let mut applied_over = None;
            if before_creation && !spared {
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
                    if key.kind == "CustomResourceDefinition" {
                        // Helm 2 only: Helm 3 and 4 spare CRD hooks.
                        self.cascade_crd(
                            key,
                            Some(&h.object.value),
                            phase.clone(),
                            Cause::HookDeletePolicy,
                        );
                    }
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
            let returning = self.was_manifest(key) && base.is_some_and(|b| b.object(key).is_none());
            // Tracked by the base, now only a hook that runs after the Update deleted it (F2).
            let replaced_after_delete =
                matches!(event, HookEvent::PostUpgrade | HookEvent::PostRollback)
                    && base.is_some_and(|b| b.object(key).is_some())
                    && target.object(key).is_none();
            let message = if *event == crd_install_event() {
                format!(
                    "the crd-install hook {path} creates it before validation and the pre-install hooks: Tiller never tracks crd-install hooks, so no upgrade, rollback or helm delete updates or deletes it"
                )
            } else if let Some(live) = &applied_over {
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
            if !self.assume_hooks_run && !failed && self.hook_phase(h.hook, target) != "Succeeded" {
                self.interrupted_hook(h, event, &succeeded);
                return Err(Stopped);
            }
            if failed {
                self.event(
                    phase.clone(),
                    Action::Fail,
                    key,
                    Some(Cause::Hook),
                    format!("the {event} hook {path} failed: the operation stops here"),
                );
                if policies.contains(&HookDeletePolicy::HookFailed) && !spared {
                    self.world.remove(key);
                    if key.kind == "CustomResourceDefinition" {
                        self.cascade_crd(
                            key,
                            Some(&h.object.value),
                            phase.clone(),
                            Cause::HookDeletePolicy,
                        );
                    }
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
                && self
                    .profile
                    .honours_hook_policy(&HookDeletePolicy::HookSucceeded)
                && !self.spared_by_policy(key)
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
                if key.kind == "CustomResourceDefinition" {
                    self.cascade_crd(
                        key,
                        Some(&h.object.value),
                        phase.clone(),
                        Cause::HookDeletePolicy,
                    );
                }
                self.referenced_after_deletion(event, key, target);
            }
        }
        Ok(())
    }

    /// How the hook's last run ended: the stored phase, or for Tiller's records (no phase)
    /// `Succeeded` when a run is recorded at all ([`crate::Profile::hook_outcome_recorded`]).
    /// Whether a hook object is never deleted by its delete policy: a CRD, from Helm 3 on
    /// ([`crate::Profile::hook_policy_spares_crds`]).
    fn spared_by_policy(&self, key: &ResourceKey) -> bool {
        key.kind == "CustomResourceDefinition" && self.profile.hook_policy_spares_crds()
    }

    fn hook_phase<'h>(&self, hook: &'h Hook, target: &RevisionView<'_>) -> &'h str {
        let no_phase = target.from_tiller || !self.profile.hook_outcome_recorded();
        if no_phase && hook.ran() && hook.last_run.phase.is_empty() {
            "Succeeded"
        } else {
            &hook.last_run.phase
        }
    }

    /// A hook whose run started and never completed (`last_run.phase` `Running` or `Unknown`:
    /// helm was killed or lost while waiting for it; helm-semantics.md §12, "Interrupted
    /// upgrade"). `execHook` records `Running` before it creates the hook's object and runs
    /// the `hook-succeeded` deletions only after the whole batch, so this hook's object and
    /// those of the hooks before it stay in the cluster, untracked.
    fn interrupted_hook(
        &mut self,
        h: &HookObject<'_>,
        event: &HookEvent,
        done: &[&HookObject<'_>],
    ) {
        let phase = Phase::Hooks(event.clone());
        let state = match h.hook.last_run.phase.as_str() {
            "" => "no phase".to_owned(),
            p => p.to_owned(),
        };
        let policy = if h.hook.has_policy(&HookDeletePolicy::HookSucceeded) {
            "its hook-succeeded deletion never ran, so it is "
        } else {
            ""
        };
        self.event(
            phase.clone(),
            Action::Orphan,
            &h.object.key,
            Some(Cause::Hook),
            format!(
                "the {event} hook {} started and never completed (last run: {state}): helm stopped while waiting for it; {policy}left in the cluster, untracked — whether it finished on its own later only the cluster knows",
                h.hook.path
            ),
        );
        for d in done {
            if d.hook.has_policy(&HookDeletePolicy::HookSucceeded)
                && self.world.get(&d.object.key).is_some()
            {
                self.event(
                    phase.clone(),
                    Action::Orphan,
                    &d.object.key,
                    Some(Cause::Hook),
                    format!(
                        "the {event} hook {} succeeded, but hook-succeeded deletions run after the whole batch, which never completed: it is left in the cluster, untracked",
                        d.hook.path
                    ),
                );
            }
        }
        self.note(format!(
            "interrupted in the {event} hooks ({} never completed): the hooks after it did not run{}",
            h.hook.path,
            match event {
                HookEvent::PreInstall | HookEvent::PreUpgrade | HookEvent::PreRollback =>
                    ", the manifest was not applied and nothing was deleted",
                _ => "; the manifest change before them was applied",
            }
        ));
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
                Some(ResourceKey::clone(&o.key)),
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
}

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
