//! Helm 2's rules (the profile Tiller's records pick), replayed over records encoded as
//! Tiller wrote them (`TillerBuilder`: protobuf, gzip, base64, ConfigMap with Tiller's
//! labels), each beside the Helm 3 replay of the same records where the rules differ.
//!
//! Statuses and descriptions are Tiller's own [Helm v2.17.0 `pkg/tiller/release_*.go`]; a hook
//! that ran carries `last_run` (Tiller records no phase).

#![allow(clippy::unwrap_used)]

use helm_why_diff::Action::{
    Adopt, Create, Delete, Fail, HookCreate, HookDelete, Keep, Orphan, Patch, Unchanged,
};
use helm_why_diff::ops::Operation;
use helm_why_diff::{
    Action, BaseQuery, Cause, ChangeOp, HelmVersion, Profile, ProfileSource, Replay, ReplayOptions,
    plan, replay,
};
use helm_why_release::history::group;
use helm_why_release::input::read_input;
use helm_why_release::tiller::builder::TillerBuilder;
use helm_why_release::tiller::hapi::{self, delete_policy, hook_event};
use helm_why_release::{History, Limits, RecordFormat, ResourceKey, Status};

const REL: &str = "web";
const NS: &str = "shop";

/// Revision `n` of `web` in `shop`, chart `web-0.<n>.0`.
fn rev(n: i32) -> TillerBuilder {
    TillerBuilder::new(REL, NS, n).chart(REL, &format!("0.{n}.0"))
}

fn src(file: &str) -> String {
    format!("{REL}/templates/{file}")
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

fn cm_keep(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/resource-policy: keep\ndata:\n  k: v\n"
    )
}

fn cm_key(name: &str) -> ResourceKey {
    ResourceKey::new("v1", "ConfigMap", Some(NS), name)
}

/// When revision `n` started (the builder's `last_deployed`), plus `after` seconds.
fn at(n: i32, after: i64) -> hapi::Timestamp {
    hapi::Timestamp {
        seconds: 1_546_300_800 + 60 * i64::from(n) + after,
        nanos: 0,
    }
}

/// A hook as Tiller stores it; `ran_in`: the revision whose operation ran it.
fn hook(
    kind: &str,
    name: &str,
    manifest: &str,
    events: &[i32],
    policies: &[i32],
    ran_in: Option<i32>,
) -> hapi::Hook {
    hapi::Hook {
        name: name.into(),
        kind: kind.into(),
        path: src(&format!("{name}.yaml")),
        manifest: manifest.into(),
        events: events.to_vec(),
        last_run: ran_in.map(|n| at(n, 5)),
        weight: 0,
        delete_policies: policies.to_vec(),
        delete_timeout: 0,
    }
}

/// A ConfigMap hook on `pre-install,pre-upgrade`.
fn cm_hook(name: &str, policies: &[i32], ran_in: Option<i32>) -> hapi::Hook {
    let manifest = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n"
    );
    hook(
        "ConfigMap",
        name,
        &manifest,
        &[hook_event::PRE_INSTALL, hook_event::PRE_UPGRADE],
        policies,
        ran_in,
    )
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  version: v1\n  scope: Namespaced\n  names:\n    plural: widgets\n    kind: Widget\n";

fn widget(name: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\n")
}

fn crd_key() -> ResourceKey {
    ResourceKey::new(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        None,
        "widgets.example.com",
    )
}

/// The history helm-why reads from Tiller ConfigMaps holding `revisions`.
fn history(revisions: &[TillerBuilder]) -> History {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": revisions.iter().map(|r| r.configmap("kube-system")).collect::<Vec<_>>(),
    });
    let out = read_input(
        &serde_json::to_vec(&list).unwrap(),
        "tiller.json",
        &Limits::default(),
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(
        out.records
            .iter()
            .all(|r| r.meta.format == RecordFormat::TillerProtobuf)
    );
    group(out.records, vec![]).releases.remove(0)
}

/// Replay with the rules the records pick (Helm 2.17.0 for Tiller's).
fn replay_helm2(revisions: &[TillerBuilder]) -> Replay {
    let r = replay(&history(revisions), &ReplayOptions::default());
    assert_eq!(r.profile.version, HelmVersion::NEWEST_2);
    assert_eq!(r.profile.source, ProfileSource::TillerRecords);
    r
}

/// Replay the same records with Helm `version`'s rules.
fn replay_as(revisions: &[TillerBuilder], version: &str) -> Replay {
    let options = ReplayOptions {
        profile: Some(Profile::new(version.parse().unwrap())),
        ..ReplayOptions::default()
    };
    replay(&history(revisions), &options)
}

/// `(revision, phase, action, cause)` of every event about `key`.
fn trail(r: &Replay, key: &ResourceKey) -> Vec<(u64, String, Action, Option<Cause>)> {
    r.events_for(key)
        .map(|e| (e.revision, e.phase.to_string(), e.action, e.cause))
        .collect()
}

fn messages(r: &Replay, key: &ResourceKey) -> Vec<String> {
    r.events_for(key).map(|e| e.message.clone()).collect()
}

fn notes(r: &Replay, revision: u64) -> String {
    r.steps
        .iter()
        .find(|s| s.revision == revision)
        .map(|s| s.notes.join("\n"))
        .unwrap_or_default()
}

fn hazard_codes(r: &Replay) -> Vec<&str> {
    r.hazards.iter().map(|h| h.code.as_str()).collect()
}

// --- Upgrade base -----------------------------------------------------------------------------

/// `prepareUpdate` asks `Deployed`: the highest DEPLOYED revision, whatever failed after it.
#[test]
fn upgrade_diffs_against_the_deployed_revision_not_the_failed_one() {
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc(&src("a.yaml"), &cm("a")),
        rev(2)
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: timed out waiting for the condition",
            )
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("b.yaml"), &cm("b")),
        rev(3).manifest_doc(&src("a.yaml"), &cm("a")),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(r.steps[2].base, Some(1));
    // b, created by failed revision 2, is never diffed again: not deleted by revision 3.
    assert_eq!(
        trail(&r, &cm_key("b")),
        vec![
            (2, "apply".into(), Create, Some(Cause::Added)),
            (2, "after".into(), Orphan, Some(Cause::FailedBase)),
        ]
    );
    assert!(hazard_codes(&r).contains(&"failed-base"));
}

/// No DEPLOYED revision (the first install failed): `helm upgrade` is refused.
#[test]
fn upgrade_after_a_failed_install_is_refused() {
    let revisions = [rev(1)
        .status(
            Status::Failed,
            "Release \"web\" failed: configmaps \"a\" already exists",
        )
        .manifest_doc(&src("a.yaml"), &cm("a"))];
    let r = replay_helm2(&revisions);
    assert_eq!(
        r.next_upgrade,
        BaseQuery::Refused {
            last: 1,
            status: Status::Failed,
            error: "\"web\" has no deployed releases".into(),
        }
    );
    // Helm ≥ 3.3 diffs against the failed revision instead.
    assert_eq!(
        replay_as(&revisions, "3.17.3").next_upgrade.revision(),
        Some(1)
    );
}

/// A PENDING_UPGRADE last revision blocks upgrades from 2.16.10 on (after `Deployed`).
#[test]
fn pending_blocks_upgrades_from_2_16_10() {
    let revisions = [
        rev(1).manifest_doc(&src("a.yaml"), &cm("a")),
        rev(2)
            .status(Status::PendingUpgrade, "Preparing upgrade")
            .manifest_doc(&src("a.yaml"), &cm("a")),
    ];
    let r = replay_helm2(&revisions);
    assert!(matches!(
        &r.next_upgrade,
        BaseQuery::Refused { last: 2, error, .. } if error == "another operation (install/upgrade/rollback) is in progress"
    ));
    assert!(hazard_codes(&r).contains(&"pending-lock"));
    // Tiller writes PENDING_UPGRADE before the hooks and not again when one fails.
    assert!(notes(&r, 2).contains("failed in a hook or Tiller stopped"));
    let older = replay_as(&revisions, "2.16.9");
    assert_eq!(older.next_upgrade.revision(), Some(1));
    assert!(!hazard_codes(&older).contains(&"pending-lock"));
}

// --- Existing objects: no check, no adoption ------------------------------------------------

/// An object a hook of revision 1 created becomes a manifest object in revision 2: Tiller's
/// Update fails on it after applying the objects before it, with its own message; Helm 3
/// refuses at the existing-resource check before anything.
#[test]
fn untracked_object_fails_the_update_with_tillers_message() {
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .hook(cm_hook("x", &[], Some(1))),
        rev(2)
            .status(Status::Failed, "Upgrade \"web\" failed: kind ConfigMap with the name \"x\" in \"shop\" already exists in the cluster and wasn't defined in the previous release. Before upgrading, please either delete the resource from the cluster or remove it from the chart")
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("new.yaml"), &cm("new"))
            .manifest_doc(&src("x.yaml"), &cm("x"))
            .manifest_doc(&src("z.yaml"), &cm("z")),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(
        trail(&r, &cm_key("x")),
        vec![
            (1, "pre-install".into(), HookCreate, Some(Cause::Hook)),
            (2, "apply".into(), Fail, Some(Cause::MovedFromHook)),
            (2, "after".into(), Orphan, Some(Cause::Hook)),
        ]
    );
    assert!(messages(&r, &cm_key("x"))[1].starts_with(
        "kind ConfigMap with the name \"x\" in \"shop\" already exists in the cluster and wasn't defined in the previous release."
    ));
    // The Update visits the manifest in order: `new` before x was created, `z` after it not.
    assert_eq!(
        trail(&r, &cm_key("new")),
        vec![
            (2, "apply".into(), Create, Some(Cause::Added)),
            (2, "after".into(), Orphan, Some(Cause::FailedBase)),
        ]
    );
    assert!(trail(&r, &cm_key("z")).is_empty());
    assert!(
        r.events_for(&cm_key("x"))
            .all(|e| e.phase.to_string() != "check")
    );
    // No ownership in Helm 2: the hazard is the untracked object, not an ownership conflict.
    assert!(hazard_codes(&r).contains(&"untracked-object"));
    assert!(!hazard_codes(&r).contains(&"ownership-conflict"));

    let helm3 = replay_as(&revisions, "3.1.3");
    assert_eq!(
        trail(&helm3, &cm_key("x"))[1],
        (2, "check".into(), Fail, Some(Cause::MovedFromHook))
    );
}

/// Install creates without checking: an existing object fails its Create, the others are
/// created (Helm 3.0/3.1 stop at the check before creating anything).
#[test]
fn install_over_an_existing_object_creates_the_others() {
    let revisions = [rev(1)
        .status(
            Status::Failed,
            "Release \"web\" failed: configmaps \"shared\" already exists",
        )
        .manifest_doc(&src("a.yaml"), &cm("a"))
        .manifest_doc(&src("shared.yaml"), &cm("shared"))];
    let r = replay_helm2(&revisions);
    // No upgrade starts from a release that was never deployed, but `helm delete` deletes
    // the last revision's manifest, which has it: not an orphan.
    assert_eq!(
        trail(&r, &cm_key("a")),
        vec![(1, "apply".into(), Create, Some(Cause::Added))]
    );
    assert_eq!(r.expected_present(&cm_key("a")), Some(true));
    assert_eq!(trail(&r, &cm_key("shared"))[0].2, Fail);
    assert!(r.steps[0].inferred.description_recognised);
}

// --- keep on upgrade ------------------------------------------------------------------------

/// `helm.sh/resource-policy: keep` spares an object removed from the chart from 2.13.0 on.
#[test]
fn keep_is_honoured_on_upgrade_from_2_13() {
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc(&src("data.yaml"), &cm_keep("data")),
        rev(2),
    ];
    let kept = replay_helm2(&revisions);
    assert_eq!(
        trail(&kept, &cm_key("data"))[1],
        (2, "delete".into(), Keep, Some(Cause::KeepPolicy))
    );
    let old = replay_as(&revisions, "2.12.3");
    assert_eq!(trail(&old, &cm_key("data"))[1].2, Delete);
}

// --- Hooks --------------------------------------------------------------------------------

/// A hook without a delete policy stays; Helm 2 has no default policy, so its next run fails
/// with `already exists` (Helm 3 defaults to before-hook-creation).
#[test]
fn hook_without_policy_fails_on_its_next_run() {
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .hook(cm_hook("migrate", &[], Some(1))),
        rev(2).hook(cm_hook("migrate", &[], Some(2))),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(
        trail(&r, &cm_key("migrate")),
        vec![
            (1, "pre-install".into(), HookCreate, Some(Cause::Hook)),
            (
                2,
                "pre-upgrade".into(),
                Fail,
                Some(Cause::HookAlreadyExists)
            ),
        ]
    );
    assert!(hazard_codes(&r).contains(&"hook-already-exists"));
    let helm3 = replay_as(&revisions, "3.17.3");
    assert_eq!(
        trail(&helm3, &cm_key("migrate"))[1],
        (
            2,
            "pre-upgrade".into(),
            HookDelete,
            Some(Cause::HookDeletePolicy)
        )
    );
}

/// `before-hook-creation` came in 2.9.0: Tiller 2.8 ignores it (and says so).
#[test]
fn before_hook_creation_is_ignored_before_2_9() {
    let bhc = [delete_policy::BEFORE_HOOK_CREATION];
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .hook(cm_hook("migrate", &bhc, Some(1))),
        rev(2).hook(cm_hook("migrate", &bhc, Some(2))),
    ];
    let now = replay_helm2(&revisions);
    assert_eq!(trail(&now, &cm_key("migrate"))[1].2, HookDelete);
    let old = replay_as(&revisions, "2.8.2");
    assert_eq!(trail(&old, &cm_key("migrate"))[1].2, Fail);
    assert!(notes(&old, 2).contains(
        "names delete policies Helm 2.8.2 does not know (before-hook-creation): ignored"
    ));
}

/// A CRD hook with `hook-succeeded` is deleted by Tiller (and with it every Widget); Helm 3
/// never deletes a CRD hook by policy.
#[test]
fn crd_hook_is_deleted_by_its_policy() {
    let manifest = CRD.replace(
        "metadata:\n",
        "metadata:\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-delete-policy: hook-succeeded\n",
    );
    let crd_hook = hook(
        "CustomResourceDefinition",
        "widgets.example.com",
        &manifest,
        &[hook_event::PRE_INSTALL],
        &[delete_policy::SUCCEEDED],
        Some(1),
    );
    let revisions = [rev(1).hook(crd_hook)];
    let r = replay_helm2(&revisions);
    assert_eq!(
        trail(&r, &crd_key()),
        vec![
            (1, "pre-install".into(), HookCreate, Some(Cause::Hook)),
            (
                1,
                "pre-install".into(),
                HookDelete,
                Some(Cause::HookDeletePolicy)
            ),
        ]
    );
    let helm3 = replay_as(&revisions, "3.17.3");
    assert_eq!(trail(&helm3, &crd_key()).len(), 1);
}

/// `crd-install` hooks run first on install, are never tracked, and outlive `helm delete`;
/// Helm 3 drops the event.
#[test]
fn crd_install_hooks_are_not_tracked() {
    let manifest = CRD.replace(
        "metadata:\n",
        "metadata:\n  annotations:\n    helm.sh/hook: crd-install\n",
    );
    let crd_hook = || {
        hook(
            "CustomResourceDefinition",
            "widgets.example.com",
            &manifest,
            &[hook_event::CRD_INSTALL],
            &[],
            Some(1),
        )
    };
    let widget_key = ResourceKey::new("example.com/v1", "Widget", Some(NS), "w");
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .hook(crd_hook())
            .manifest_doc(&src("w.yaml"), &widget("w")),
        rev(2)
            .status(Status::Uninstalled, "Deletion complete")
            .hook(crd_hook())
            .manifest_doc(&src("w.yaml"), &widget("w")),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(
        trail(&r, &crd_key()),
        vec![
            (1, "crd-install".into(), HookCreate, Some(Cause::Hook)),
            (2, "after".into(), Orphan, Some(Cause::Hook)),
        ]
    );
    assert!(messages(&r, &crd_key())[0].contains("Tiller never tracks crd-install hooks"));
    assert!(messages(&r, &crd_key())[1].starts_with("left behind by helm delete"));
    assert_eq!(
        trail(&r, &widget_key),
        vec![
            (1, "apply".into(), Create, Some(Cause::Added)),
            (2, "apply".into(), Unchanged, None),
            (2, "uninstall".into(), Delete, Some(Cause::Uninstall)),
        ]
    );
    assert!(trail(&replay_as(&revisions, "3.17.3"), &crd_key()).is_empty());
    assert!(trail(&replay_as(&revisions, "2.9.1"), &crd_key()).is_empty());
}

// --- helm delete, install --replace, upgrade --force, rollback -------------------------------

/// `helm delete` (no --purge) keeps the history: DELETED, kept objects stay. `helm install
/// --replace` then relabels it SUPERSEDED and runs an Update from its manifest: the kept
/// object is patched, not refused.
#[test]
fn delete_then_install_replace_updates_from_the_deleted_revision() {
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Deletion complete")
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("data.yaml"), &cm_keep("data")),
        rev(2)
            .status(Status::Deployed, "Install complete")
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("data.yaml"), &cm_keep("data")),
    ];
    let r = replay_helm2(&revisions);
    assert!(r.steps[0].inferred.description_recognised);
    assert_eq!(r.steps[1].inferred.operation, Operation::InstallReplace);
    assert_eq!(r.steps[1].base, Some(1));
    assert_eq!(
        trail(&r, &cm_key("data")),
        vec![
            (1, "apply".into(), Create, Some(Cause::Added)),
            (1, "uninstall".into(), Keep, Some(Cause::KeepPolicy)),
            (2, "apply".into(), Unchanged, None),
        ]
    );
    assert_eq!(
        trail(&r, &cm_key("a")),
        vec![
            (1, "apply".into(), Create, Some(Cause::Added)),
            (1, "uninstall".into(), Delete, Some(Cause::Uninstall)),
            (2, "apply".into(), Create, Some(Cause::Recreated)),
        ]
    );
    // Helm 3 installs instead, and its existing-resource check refuses the kept object:
    // Tiller set no ownership metadata on it.
    let helm3 = replay_as(&revisions, "3.17.3");
    assert_eq!(helm3.steps[1].base, None);
    assert_eq!(
        trail(&helm3, &cm_key("data"))[2],
        (2, "check".into(), Fail, Some(Cause::OwnershipConflict))
    );
}

/// The next operation after `helm delete`: Tiller refuses upgrades, so `plan` shows `helm
/// install --replace`, an Update from the DELETED revision: the kept object is patched (Helm 3
/// would adopt it or refuse), the deleted one created again.
#[test]
fn plan_after_delete_is_install_replace_from_the_deleted_revision() {
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n        envFrom:\n        - configMapRef: {name: a}\n";
    let revisions = [rev(1)
        .status(Status::Uninstalled, "Deletion complete")
        .manifest_doc(&src("a.yaml"), &cm("a"))
        .manifest_doc(&src("data.yaml"), &cm_keep("data"))
        .manifest_doc(&src("deploy.yaml"), deploy)];
    let candidate = helm_why_release::builder::ReleaseBuilder::new(REL, NS, 2)
        .manifest_doc(&src("a.yaml"), &cm("a").replace("k: v", "k: changed"))
        .manifest_doc(&src("data.yaml"), &cm_keep("data"))
        .manifest_doc(&src("deploy.yaml"), deploy)
        .build();
    let p = plan(&history(&revisions), &candidate, &ReplayOptions::default());
    assert_eq!(p.base_revision, Some(1));
    assert_eq!(p.refused, None);
    assert!(
        p.notes.iter().any(|n| n.contains(
            "planned here is what helm install --replace does: an update from revision 1's manifest"
        )),
        "{:?}",
        p.notes
    );
    let op = |name: &str| {
        p.changes
            .iter()
            .find(|c| c.object == cm_key(name) && c.phase.to_string() == "apply")
            .map(|c| c.op)
    };
    assert_eq!(op("a"), Some(ChangeOp::Create));
    assert_eq!(op("data"), Some(ChangeOp::Unchanged));
    // The deleted Deployment is created again: it rolls out, whatever its image.
    assert!(
        p.hazards.iter().all(|h| h.code != "no-rollout"),
        "{:?}",
        p.hazards
    );
}

/// An upgrade's record right after a DELETED one: Tiller's `upgrade --force` deleted the last
/// revision and installed this one (or the user deleted it first: the records are the same).
#[test]
fn upgrade_after_a_deleted_revision_is_force_delete_and_install() {
    let revisions = [
        rev(1)
            .status(Status::Uninstalled, "Deletion complete")
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("old.yaml"), &cm("old")),
        rev(2).manifest_doc(&src("a.yaml"), &cm("a")),
    ];
    let r = replay_helm2(&revisions);
    let step = &r.steps[1];
    assert_eq!(step.inferred.operation, Operation::UpgradeForce);
    assert_eq!(step.operation, "upgrade --force (delete and install)");
    assert_eq!(step.base, Some(1));
    assert!(notes(&r, 2).contains(
        "a helm delete of revision 1 followed by helm upgrade --force leaves the same records"
    ));
    assert_eq!(
        trail(&r, &cm_key("old")),
        vec![
            (1, "apply".into(), Create, Some(Cause::Added)),
            (1, "uninstall".into(), Delete, Some(Cause::Uninstall)),
        ]
    );
    assert_eq!(
        trail(&r, &cm_key("a"))[2],
        (2, "apply".into(), Create, Some(Cause::Recreated))
    );
    // The DELETED revision stays DELETED: nothing DEPLOYED but revision 2.
    assert_eq!(r.next_upgrade.revision(), Some(2));
}

/// The one trace `--force` leaves in Tiller's records: `Failed to recreate resource: …` — the
/// patch failed, the object was deleted, and creating it again failed. It is gone; the Update
/// went on with the other objects.
#[test]
fn force_recreate_failure_proves_the_object_is_gone() {
    let svc = |port: u32| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: {port}\n"
        )
    };
    let svc_key = ResourceKey::new("v1", "Service", Some(NS), "web");
    let revisions = [
        rev(1)
            .status(Status::Deployed, "Install complete")
            .manifest_doc(&src("svc.yaml"), &svc(30080))
            .manifest_doc(&src("a.yaml"), &cm("a")),
        rev(2)
            .status(Status::Failed, "Upgrade \"web\" failed: Failed to recreate resource: Service \"web\" is invalid: spec.ports[0].nodePort: Invalid value: 30081: provided port is already allocated")
            .manifest_doc(&src("svc.yaml"), &svc(30081))
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("b.yaml"), &cm("b")),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(
        trail(&r, &svc_key),
        vec![
            (1, "apply".into(), Create, Some(Cause::Added)),
            (2, "apply".into(), Delete, Some(Cause::ForceReplaced)),
        ]
    );
    assert_eq!(r.expected_present(&svc_key), Some(false));
    assert_eq!(
        trail(&r, &cm_key("b"))[0],
        (2, "apply".into(), Create, Some(Cause::Added))
    );
    assert!(hazard_codes(&r).contains(&"force-replace-failed"));
}

/// A successful Tiller upgrade that changed a Job's pod template (immutable): it could only
/// have succeeded with `--force`, which deleted and created the Job again — said with that
/// evidence, since the records do not store the flag. Helm 3's replay does not claim it.
#[test]
fn succeeded_upgrade_over_an_immutable_field_implies_force() {
    let job = |image: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: {image}\n"
        )
    };
    let job_key = ResourceKey::new("batch/v1", "Job", Some(NS), "migrate");
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc(&src("job.yaml"), &job("m:1")),
        rev(2).manifest_doc(&src("job.yaml"), &job("m:2")),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(
        trail(&r, &job_key)[1],
        (2, "apply".into(), Patch, Some(Cause::ForceReplaced))
    );
    assert!(
        messages(&r, &job_key)[1]
            .contains("so it ran with --force (Tiller's records do not store it)")
    );
    assert!(hazard_codes(&r).contains(&"force-replaced"));
    assert_eq!(r.expected_present(&job_key), Some(true));
    let helm3 = replay_as(&revisions, "3.17.3");
    assert_eq!(trail(&helm3, &job_key)[1], (2, "apply".into(), Patch, None));

    // Planned: the next Tiller upgrade fails on it unless run with --force.
    let candidate = helm_why_release::builder::ReleaseBuilder::new(REL, NS, 3)
        .manifest_doc(&src("job.yaml"), &job("m:3"))
        .build();
    let p = plan(&history(&revisions), &candidate, &ReplayOptions::default());
    let change = p.changes.iter().find(|c| c.object == job_key).unwrap();
    assert_eq!(change.cause, Some(Cause::ForceReplaced));
    assert!(
        change
            .message
            .contains("Tiller's upgrade fails here unless run with --force")
    );
}

/// `helm rollback` diffs the last revision (here DELETED) against the target's manifest and
/// creates again what the delete removed.
#[test]
fn rollback_after_delete_starts_from_the_deleted_revision() {
    let revisions = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc(&src("a.yaml"), &cm("a")),
        rev(2)
            .status(Status::Superseded, "Deletion complete")
            .manifest_doc(&src("a.yaml"), &cm("a"))
            .manifest_doc(&src("b.yaml"), &cm("b")),
        rev(3)
            .status(Status::Deployed, "Rollback to 1")
            .manifest_doc(&src("a.yaml"), &cm("a")),
    ];
    let r = replay_helm2(&revisions);
    assert_eq!(r.steps[2].base, Some(2));
    assert_eq!(
        trail(&r, &cm_key("a"))[3],
        (3, "apply".into(), Create, Some(Cause::Recreated))
    );
    assert_eq!(
        trail(&r, &cm_key("b")),
        vec![
            (2, "apply".into(), Create, Some(Cause::Added)),
            (2, "uninstall".into(), Delete, Some(Cause::Uninstall)),
        ]
    );
}

/// `helm delete` deletes kinds in Helm 2's own order: ServiceAccount before ConfigMap (Helm 3:
/// after Secret).
#[test]
fn delete_follows_helm2_uninstall_order() {
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n";
    let revisions = [rev(1)
        .status(Status::Uninstalled, "Deletion complete")
        .manifest_doc(&src("cm.yaml"), &cm("a"))
        .manifest_doc(&src("sa.yaml"), sa)];
    let order = |r: &Replay| {
        r.steps[0]
            .events
            .iter()
            .filter(|e| e.phase.to_string() == "uninstall")
            .map(|e| e.object.kind.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(&replay_helm2(&revisions)),
        ["ServiceAccount", "ConfigMap"]
    );
    assert_eq!(
        order(&replay_as(&revisions, "3.17.3")),
        ["ConfigMap", "ServiceAccount"]
    );
}

/// A release stuck DELETING whose oldest records are gone: a `helm delete --purge` that
/// stopped part-way looks like this (it removes the records oldest first).
#[test]
fn stuck_deleting_with_leading_records_gone_names_purge() {
    let revisions = [rev(3)
        .status(
            Status::Uninstalling,
            "Deletion in progress (or silently failed)",
        )
        .manifest_doc(&src("a.yaml"), &cm("a"))];
    let r = replay_helm2(&revisions);
    let stuck = r
        .hazards
        .iter()
        .find(|h| h.code == "stuck-uninstalling")
        .unwrap();
    assert!(
        stuck.message.contains("still DELETING"),
        "{}",
        stuck.message
    );
    assert!(stuck.message.contains("the revisions before 3 are gone too, as a helm delete --purge that stopped part-way leaves it"));
    assert!(
        stuck
            .message
            .contains("running helm delete again finishes it")
    );
}

// --- 2to3: Helm 3 after Tiller ---------------------------------------------------------------

/// After a 2to3 conversion Helm 3 runs, with its ownership check; what Tiller applied has no
/// ownership metadata, so an object Tiller kept and a Helm 3 upgrade renders again is refused,
/// not adopted (here the upgrade happened: someone annotated the object by hand).
#[test]
fn helm3_after_2to3_does_not_adopt_what_tiller_applied() {
    let tiller = [
        rev(1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc(&src("data.yaml"), &cm_keep("data")),
        rev(2).status(Status::Deployed, "Upgrade complete"),
    ];
    let mut h = history(&tiller);
    let helm3 = helm_why_release::builder::ReleaseBuilder::new(REL, NS, 3)
        .status(Status::Deployed, "Upgrade complete")
        .manifest_doc(&src("data.yaml"), &cm_keep("data"))
        .build();
    let mut records: Vec<helm_why_release::Record> = h.revisions.drain(..).collect();
    records.push(helm_why_release::Record {
        meta: helm_why_release::RecordMeta::raw(Default::default()),
        release: helm3,
    });
    let h = group(records, vec![]).releases.remove(0);
    let r = replay(&h, &ReplayOptions::default());
    assert_eq!(r.profile.source, ProfileSource::Default);
    let data = trail(&r, &cm_key("data"));
    assert!(
        data.contains(&(3, "check".into(), Fail, Some(Cause::OwnershipConflict))),
        "{data:?}"
    );
    assert!(data.iter().all(|(_, _, a, _)| *a != Adopt));
    assert!(messages(&r, &cm_key("data")).iter().any(|m| {
        m.contains("revision 1 was Tiller's (Helm 2), which never sets ownership metadata")
    }));
    // It happened all the same: the object was changed outside Helm (annotated by hand).
    assert!(notes(&r, 3).contains("Helm would have refused this upgrade at the check"));
}

// --- Public records -------------------------------------------------------------------------

/// Helm 2 records published by other projects (`../shared/fixtures/public/helm2` beside the
/// workspace, not committed: skipped with a note where absent), replayed with the rules they
/// pick: an install by Tiller creates every manifest object, with no existing-resource check.
#[test]
fn public_helm2_records_replay_as_tiller_installs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/public/helm2");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "skipped: {} is absent (public test data is not part of the repository)",
            dir.display()
        );
        return;
    };
    let mut replayed = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let out = read_input(
            &std::fs::read(&path).unwrap(),
            &path.display().to_string(),
            &Limits::default(),
        );
        assert!(
            out.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            out.errors
        );
        for h in group(out.records, vec![]).releases {
            let r = replay(&h, &ReplayOptions::default());
            assert_eq!(
                r.profile.source,
                ProfileSource::TillerRecords,
                "{}",
                r.release
            );
            let first = &r.steps[0];
            assert_eq!(first.inferred.operation, Operation::Install);
            assert!(
                first.inferred.description_recognised,
                "{}",
                first.description
            );
            let created: Vec<&ResourceKey> = first
                .events
                .iter()
                .filter(|e| e.action == Create)
                .map(|e| &*e.object)
                .collect();
            assert!(!created.is_empty(), "{}: nothing created", r.release);
            assert!(first.events.iter().all(|e| e.phase.to_string() != "check"));
            // Every object present after the install was created by it.
            assert_eq!(created.len(), first.present_after.len(), "{}", r.release);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no release in {}", dir.display());
}
