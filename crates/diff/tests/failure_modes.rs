//! Every failure mode of helm-semantics.md §9 (F1–F20), as the release records real Helm
//! would leave behind, replayed: the ordered actions for the objects concerned, whether they
//! exist at the end, the key phrases of the explanation and the hazards.
//!
//! Statuses and descriptions are Helm's own (§10), error texts those of §9 (Helm 3.13–3.21
//! wording unless a test says otherwise). Hooks that ran carry `last_run` as Helm persists it.

#![allow(clippy::unwrap_used)]

mod fixtures;

use fixtures::*;
use helm_why_diff::Action::{
    Adopt, Create, Delete, Fail, HookCreate, HookDelete, Keep, Orphan, Patch, Unchanged, Unknown,
};
use helm_why_diff::Cause;
use helm_why_diff::ops::{Operation, Outcome, Stage};
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::{ApplyMethod, ChartFile, HookEvent, ResourceKey, Status};

const T_RUN: &str = "2026-01-01T00:00:30Z";

fn missing(r: &helm_why_diff::Replay) -> Vec<String> {
    r.missing.iter().map(ToString::to_string).collect()
}

// --- F1 ---------------------------------------------------------------------------------------

/// Chart 0.2.0 turns ConfigMap `app-config` into a `pre-install,pre-upgrade` hook with the
/// default policy (the real S1/A1 story): gone after revision 2, back as a hook at revision 3.
fn f01_story() -> Story {
    let hook_doc = hook(
        "v1",
        "ConfigMap",
        "app-config",
        "pre-install,pre-upgrade",
        None,
        Some(-5),
    );
    Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("cm.yaml"), &cm("app-config")),
        ))
        .then(upgraded_superseded(
            rev(2)
                .hook(&src("cm.yaml"), &hook_doc)
                .hooks_ran_for(&[HookEvent::PreUpgrade]),
        ))
        .then(upgraded(
            rev(3)
                .hook(&src("cm.yaml"), &hook_doc)
                .hooks_ran_for(&[HookEvent::PreUpgrade]),
        ))
}

#[test]
fn f01_manifest_to_pre_upgrade_hook() {
    let x = cm_key("app-config");
    let r = f01_story().replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "pre-upgrade", Delete, Some(Cause::MovedToHook)),
            ev(2, "pre-upgrade", HookCreate, Some(Cause::Hook)),
            ev(2, "delete", Delete, Some(Cause::MovedToHook)),
            ev(3, "pre-upgrade", HookCreate, Some(Cause::Hook)),
            ev(3, "after", Orphan, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(present_after(&r, 2, &x), Some(false));
    assert_eq!(r.expected_present(&x), Some(true));
    let m = messages(&r, &x);
    assert!(m.contains("before-hook-creation of the pre-upgrade hook web/templates/cm.yaml deletes the live ConfigMap"), "{m}");
    assert!(
        m.contains(
            "it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation)"
        ),
        "{m}"
    );
    assert!(m.contains("it comes back on the next upgrade"), "{m}");
    assert!(m.contains("no upgrade or uninstall will delete it"), "{m}");
    assert_eq!(
        hazards(&r),
        // The pre-upgrade deletion and the delete-phase deletion are one hazard; rev 2
        // tracks nothing; rolling back to rev 1 hits the hook-made object rev 3 lacks.
        vec![
            "empty-manifest",
            "deleted-after-hook-conversion",
            "untracked-hook-object",
            "rollback-will-fail"
        ]
    );
}

#[test]
fn f01_hook_with_keep_survives() {
    // The hook manifest itself carries keep: the live object the hook created is kept by the
    // Update's deletion step.
    let hook_doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/resource-policy: keep\n";
    let x = cm_key("app-config");
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("cm.yaml"), &cm("app-config")),
        ))
        .then(upgraded(
            rev(2)
                .hook(&src("cm.yaml"), hook_doc)
                .hooks_ran_for(&[HookEvent::PreUpgrade]),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &x, 2),
        vec![
            ("pre-upgrade".into(), Delete, Some(Cause::MovedToHook)),
            ("pre-upgrade".into(), HookCreate, Some(Cause::Hook)),
            ("delete".into(), Keep, Some(Cause::KeepPolicy)),
            ("after".into(), Orphan, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&x), Some(true));
    assert!(message_of(&r, &x, Keep).contains("helm.sh/resource-policy: keep"));
    assert!(hazards(&r).contains(&"kept-untracked"));
}

#[test]
fn f01_explicit_policy_without_before_hook_creation_fails_helm3() {
    // Only `hook-succeeded`: the hook's Create hits the live manifest object.
    let err = "pre-upgrade hooks failed: warning: Hook pre-upgrade web/templates/cm.yaml failed: 1 error occurred:\n\t* configmaps \"app-config\" already exists\n\n";
    let x = cm_key("app-config");
    let r = Story::new()
        .then(installed(
            rev(1).manifest_doc(&src("cm.yaml"), &cm("app-config")),
        ))
        .then(upgrade_failed(
            rev(2)
                .hook(
                    &src("cm.yaml"),
                    &cm_hook("app-config", "pre-upgrade", Some("hook-succeeded")),
                )
                .hook_ran("app-config", "Failed", T_RUN, T_RUN),
            err,
        ))
        .replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "pre-upgrade", Fail, Some(Cause::HookAlreadyExists)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&x), Some(true));
    let m = message_of(&r, &x, Fail);
    assert!(
        m.contains("warning: Hook pre-upgrade web/templates/cm.yaml failed"),
        "{m}"
    );
    assert!(
        m.contains("configmaps \"app-config\" already exists"),
        "{m}"
    );
    // Rolling back to 1 from the failed revision 2 (which lacks the live object) fails too.
    assert_eq!(
        hazards(&r),
        vec![
            "empty-manifest",
            "hook-already-exists",
            "rollback-will-fail"
        ]
    );
    assert!(matches!(
        r.steps[1].inferred.outcome,
        Outcome::Failed {
            stage: Stage::PreHooks,
            ..
        }
    ));
}

#[test]
fn f01_explicit_policy_helm4_ssa_applies_then_deletes() {
    // Helm 4 with server-side apply: the hook is applied over the live object (no
    // AlreadyExists), then hook-succeeded deletes it; the Update finds nothing to delete.
    let x = cm_key("app-config");
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("cm.yaml"), &cm("app-config"))
                .helm4(ApplyMethod::ServerSide),
        ))
        .then(upgraded(
            rev(2)
                .hook(
                    &src("cm.yaml"),
                    &cm_hook("app-config", "pre-upgrade", Some("hook-succeeded")),
                )
                .hooks_ran_for(&[HookEvent::PreUpgrade])
                .helm4(ApplyMethod::ServerSide),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &x, 2),
        vec![
            ("pre-upgrade".into(), HookCreate, Some(Cause::Hook)),
            ("pre-upgrade".into(), HookDelete, Some(Cause::MovedToHook)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&x), Some(false));
    assert!(message_of(&r, &x, HookCreate).contains("server-side apply"));
    assert_eq!(
        hazards(&r),
        vec!["empty-manifest", "deleted-after-hook-conversion"]
    );
}

// --- F2 ---------------------------------------------------------------------------------------

fn f02_story(policy: Option<&str>) -> Story {
    Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(
                    &src("pvc.yaml"),
                    &obj("v1", "PersistentVolumeClaim", "data", None),
                )
                .manifest_doc(&src("deploy.yaml"), &deployment_using("app", "app-config")),
        ))
        .then(upgraded(
            rev(2)
                .hook(
                    &src("pvc.yaml"),
                    &hook(
                        "v1",
                        "PersistentVolumeClaim",
                        "data",
                        "post-upgrade",
                        policy,
                        None,
                    ),
                )
                .manifest_doc(&src("deploy.yaml"), &deployment_using("app", "app-config"))
                .hooks_ran_for(&[HookEvent::PostUpgrade]),
        ))
}

#[test]
fn f02_manifest_to_post_upgrade_hook() {
    let pvc = key("v1", "PersistentVolumeClaim", "data");
    let r = f02_story(None).replay();
    assert_eq!(
        trail(&r, &pvc),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "delete", Delete, Some(Cause::MovedToHook)),
            ev(2, "post-upgrade", HookCreate, Some(Cause::Hook)),
            ev(2, "after", Orphan, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    // It exists afterwards — recreated empty, without ownership metadata.
    assert_eq!(r.expected_present(&pvc), Some(true));
    let m = messages(&r, &pvc);
    assert!(m.contains("it became a hook (post-upgrade"), "{m}");
    assert!(
        m.contains("creates it again right after the upgrade deleted the tracked one"),
        "{m}"
    );
    // A rollback to 1 hits the hook-made object revision 2 does not track.
    assert_eq!(
        hazards(&r),
        vec![
            "deleted-after-hook-conversion",
            "untracked-hook-object",
            "rollback-will-fail"
        ]
    );
}

#[test]
fn f02_post_upgrade_hook_left_behind_by_uninstall() {
    let pvc = key("v1", "PersistentVolumeClaim", "data");
    let story = f02_story(None);
    let mut h = story.history();
    let last = &mut h.revisions.last_mut().unwrap().release;
    last.info.status = Status::Uninstalled;
    last.info.description = "Uninstallation complete".into();
    let r = helm_why_diff::replay(&h, &Default::default());
    let at2 = trail_at(&r, &pvc, 2);
    assert_eq!(
        at2.last().unwrap(),
        &("after".to_owned(), Orphan, Some(Cause::Hook)),
        "{}",
        dump(&r)
    );
    assert!(messages(&r, &pvc).contains("left behind by helm uninstall"));
    assert_eq!(r.expected_present(&pvc), Some(true));
    assert_eq!(
        r.expected_present(&key("apps/v1", "Deployment", "app")),
        Some(false)
    );
}

#[test]
fn f02_post_upgrade_hook_succeeded_leaves_nothing() {
    let pvc = key("v1", "PersistentVolumeClaim", "data");
    let r = f02_story(Some("hook-succeeded")).replay();
    assert_eq!(
        trail_at(&r, &pvc, 2),
        vec![
            ("delete".into(), Delete, Some(Cause::MovedToHook)),
            ("post-upgrade".into(), HookCreate, Some(Cause::Hook)),
            (
                "post-upgrade".into(),
                HookDelete,
                Some(Cause::HookDeletePolicy)
            ),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&pvc), Some(false));
    assert_eq!(hazards(&r), vec!["deleted-after-hook-conversion"]);
}

// --- F3 ---------------------------------------------------------------------------------------

/// `app-config` is a pre-install hook in revision 1 (left by before-hook-creation) and a
/// manifest object in revision 2. Helm refuses that upgrade before writing a record, so a
/// stored revision 2 means someone deleted or annotated the object by hand; the replay says
/// what Helm would have answered.
fn f03_story(policy: Option<&str>) -> Story {
    Story::new()
        .then(installed_superseded(
            rev(1)
                .hook(
                    &src("cm.yaml"),
                    &cm_hook("app-config", "pre-install", policy),
                )
                .hooks_ran_for(&[HookEvent::PreInstall]),
        ))
        .then(upgraded(
            rev(2).manifest_doc(&src("cm.yaml"), &cm("app-config")),
        ))
}

#[test]
fn f03_hook_to_manifest_ownership_conflict() {
    let x = cm_key("app-config");
    let r = f03_story(None).replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(2, "check", Fail, Some(Cause::MovedFromHook)),
            ev(2, "apply", Patch, None),
        ],
        "{}",
        dump(&r)
    );
    let m = message_of(&r, &x, Fail);
    assert!(
        m.starts_with("Unable to continue with update: ConfigMap \"app-config\" in namespace \"shop\" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\"; annotation validation error: missing key \"meta.helm.sh/release-name\": must be set to \"web\"; annotation validation error: missing key \"meta.helm.sh/release-namespace\": must be set to \"shop\""),
        "{m}"
    );
    assert!(notes(&r, 2).contains("Helm would have refused this upgrade"));
    assert_eq!(hazards(&r), vec!["ownership-conflict"]);
    assert_eq!(r.expected_present(&x), Some(true));
}

#[test]
fn f03_error_text_by_version() {
    let x = cm_key("app-config");
    let r = f03_story(None).replay_as("3.1.0");
    assert!(message_of(&r, &x, Fail).starts_with(
        "rendered manifests contain a new resource that already exists. Unable to continue with update: existing resource conflict: kind: ConfigMap, namespace: shop, name: app-config"
    ));
    let r = f03_story(None).replay_as("3.12.0");
    assert!(message_of(&r, &x, Fail).starts_with(
        "rendered manifests contain a resource that already exists. Unable to continue with update: ConfigMap \"app-config\" in namespace \"shop\" exists and cannot be imported"
    ));
    let r = f03_story(None).replay_as("4.1.4");
    assert!(
        message_of(&r, &x, Fail)
            .starts_with("unable to continue with update: ConfigMap \"app-config\"")
    );
}

#[test]
fn f03_hook_managed_by_label_templated() {
    // The chart templated the managed-by label on the hook: only the annotations are missing.
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  labels:\n    app.kubernetes.io/managed-by: Helm\n  annotations:\n    helm.sh/hook: pre-install\n";
    let x = cm_key("app-config");
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .hook(&src("cm.yaml"), doc)
                .hooks_ran_for(&[HookEvent::PreInstall]),
        ))
        .then(upgraded(
            rev(2).manifest_doc(&src("cm.yaml"), &cm("app-config")),
        ))
        .replay();
    let m = message_of(&r, &x, Fail);
    assert!(!m.contains("label validation error"), "{m}");
    assert!(m.contains("invalid ownership metadata; annotation validation error: missing key \"meta.helm.sh/release-name\""), "{m}");
}

#[test]
fn f03_hook_succeeded_hook_leaves_nothing_to_conflict() {
    let x = cm_key("app-config");
    let r = f03_story(Some("hook-succeeded")).replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(1, "pre-install", HookDelete, Some(Cause::HookDeletePolicy)),
            ev(2, "apply", Create, Some(Cause::MovedFromHook)),
        ],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &x, Create).contains("it was a hook in revision 1"));
    assert!(hazards(&r).is_empty(), "{:?}", hazards(&r));
    assert_eq!(r.expected_present(&x), Some(true));
}

// --- F4 ---------------------------------------------------------------------------------------

fn migrate_job(policy: Option<&str>) -> String {
    hook(
        "batch/v1",
        "Job",
        "migrate",
        "pre-install,pre-upgrade",
        policy,
        None,
    )
}

#[test]
fn f04_hook_already_exists_without_before_hook_creation() {
    // `hook-failed` only: the Job of the successful install run stays, the next upgrade's
    // Create fails with AlreadyExists (hook-failed is not applied to create errors).
    let job = key("batch/v1", "Job", "migrate");
    let err = "pre-upgrade hooks failed: warning: Hook pre-upgrade web/templates/job.yaml failed: 1 error occurred:\n\t* jobs.batch \"migrate\" already exists\n\n";
    let r = Story::new()
        .then(installed(
            rev(1)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-failed")))
                .hooks_ran_for(&[HookEvent::PreInstall]),
        ))
        .then(upgrade_failed(
            rev(2)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-failed")))
                .hook_ran("migrate", "Failed", T_RUN, T_RUN),
            err,
        ))
        .replay();
    assert_eq!(
        trail(&r, &job),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(2, "pre-upgrade", Fail, Some(Cause::HookAlreadyExists)),
        ],
        "{}",
        dump(&r)
    );
    let m = message_of(&r, &job, Fail);
    assert!(m.contains("warning: Hook pre-upgrade web/templates/job.yaml failed: jobs.batch \"migrate\" already exists"), "{m}");
    assert!(m.contains("hook-failed"), "{m}");
    assert_eq!(r.expected_present(&job), Some(true));
    assert_eq!(hazards(&r), vec!["hook-already-exists"]);
}

#[test]
fn f04_hook_succeeded_after_failed_run() {
    // `hook-succeeded` and the install's run failed: the failed Job stays; revision 2
    // (`upgrade --install` takes the upgrade path and, ≥ 3.3, diffs against failed rev 1)
    // fails on it.
    let job = key("batch/v1", "Job", "migrate");
    let r = Story::new()
        .then(release_failed(
            rev(1)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-succeeded")))
                .hook_ran("migrate", "Failed", T_RUN, T_RUN),
            "failed pre-install: 1 error occurred:\n\t* job failed: BackoffLimitExceeded\n\n",
        ))
        .then(upgrade_failed(
            rev(2)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-succeeded")))
                .hook_ran("migrate", "Failed", "2026-01-01T00:01:00Z", "2026-01-01T00:01:00Z"),
            "pre-upgrade hooks failed: warning: Hook pre-upgrade web/templates/job.yaml failed: 1 error occurred:\n\t* jobs.batch \"migrate\" already exists\n\n",
        ))
        .replay();
    assert_eq!(
        trail(&r, &job),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(1, "pre-install", Fail, Some(Cause::Hook)),
            ev(2, "pre-upgrade", Fail, Some(Cause::HookAlreadyExists)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(base_of(&r, 2), Some(1));
    assert_eq!(r.expected_present(&job), Some(true));
    assert_eq!(hazards(&r), vec!["hook-already-exists"]);
}

#[test]
fn f04_install_hook_exists_from_elsewhere() {
    // The Job was created by someone else: the install's hook Create fails at once. The
    // records show no earlier creation, so the object is foreign (its presence is uncertain).
    let job = key("batch/v1", "Job", "migrate");
    let r = Story::new()
        .then(release_failed(
            rev(1)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-succeeded")))
                .hook_ran("migrate", "Failed", T_RUN, T_RUN),
            "failed pre-install: warning: Hook pre-install web/templates/job.yaml failed: 1 error occurred:\n\t* jobs.batch \"migrate\" already exists\n\n",
        ))
        .replay();
    assert_eq!(
        trail(&r, &job),
        vec![ev(1, "pre-install", Fail, Some(Cause::HookAlreadyExists))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &job, Fail).contains("already existed"));
    assert_eq!(r.expected_present(&job), None);
    assert_eq!(hazards(&r), vec!["hook-already-exists"]);
}

#[test]
fn f04_helm4_ssa_applies_existing_hook() {
    let job = key("batch/v1", "Job", "migrate");
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-failed")))
                .hooks_ran_for(&[HookEvent::PreInstall])
                .helm4(ApplyMethod::ServerSide),
        ))
        .then(upgraded(
            rev(2)
                .hook(&src("job.yaml"), &migrate_job(Some("hook-failed")))
                .hooks_ran_for(&[HookEvent::PreUpgrade])
                .helm4(ApplyMethod::ServerSide),
        ))
        .replay();
    assert_eq!(
        trail(&r, &job),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(2, "pre-upgrade", HookCreate, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    assert!(messages(&r, &job).contains("server-side apply"));
    assert!(hazards(&r).is_empty());
}

// --- F5 ---------------------------------------------------------------------------------------

#[test]
fn f05_hook_succeeded_config_referenced_by_deployment() {
    let env = cm_key("app-env");
    let app = key("apps/v1", "Deployment", "app");
    let r = Story::new()
        .then(installed(
            rev(1)
                .hook(
                    &src("env.yaml"),
                    &cm_hook("app-env", "pre-install,pre-upgrade", Some("hook-succeeded")),
                )
                .manifest_doc(&src("deploy.yaml"), &deployment_using("app", "app-env"))
                .hooks_ran_for(&[HookEvent::PreInstall]),
        ))
        .replay();
    assert_eq!(
        trail(&r, &env),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(1, "pre-install", HookDelete, Some(Cause::HookDeletePolicy)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail(&r, &app),
        vec![ev(1, "apply", Create, Some(Cause::Added))]
    );
    assert_eq!(r.expected_present(&env), Some(false));
    assert_eq!(r.expected_present(&app), Some(true));
    assert_eq!(hazards(&r), vec!["referenced-hook-deleted"]);
    let h = &r.hazards[0];
    assert_eq!(h.object.as_ref(), Some(&app));
    assert!(h.message.contains("ConfigMap app-env"), "{}", h.message);
    assert!(
        h.message.contains("CreateContainerConfigError"),
        "{}",
        h.message
    );
}

#[test]
fn f05_wait_times_out() {
    // With --wait the install times out on the pods and fails (Stage::Wait): same deletion.
    let r = Story::new()
        .then(release_failed(
            rev(1)
                .hook(
                    &src("env.yaml"),
                    &cm_hook("app-env", "pre-install", Some("hook-succeeded")),
                )
                .manifest_doc(&src("deploy.yaml"), &deployment_using("app", "app-env"))
                .hooks_ran_for(&[HookEvent::PreInstall]),
            "context deadline exceeded",
        ))
        .replay();
    assert!(matches!(
        r.steps[0].inferred.outcome,
        Outcome::Failed {
            stage: Stage::Wait,
            ..
        }
    ));
    assert_eq!(r.expected_present(&cm_key("app-env")), Some(false));
    assert_eq!(hazards(&r), vec!["referenced-hook-deleted"]);
}

#[test]
fn f05_hook_succeeded_order_by_version() {
    // Two hook-succeeded hooks of one event: deleted after the whole batch, forward before
    // 3.17.0 and in reverse from 3.17.0.
    let story = Story::new().then(installed(
        rev(1)
            .hook(
                &src("a.yaml"),
                &hook(
                    "v1",
                    "ConfigMap",
                    "a",
                    "pre-install",
                    Some("hook-succeeded"),
                    Some(1),
                ),
            )
            .hook(
                &src("b.yaml"),
                &hook(
                    "v1",
                    "ConfigMap",
                    "b",
                    "pre-install",
                    Some("hook-succeeded"),
                    Some(2),
                ),
            )
            .hooks_ran_for(&[HookEvent::PreInstall]),
    ));
    let order = |r: &helm_why_diff::Replay| {
        r.steps[0]
            .events
            .iter()
            .map(|e| format!("{}:{}", e.action.as_str(), e.object.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(&story.replay_as("3.16.4")),
        [
            "hook-create:a",
            "hook-create:b",
            "hook-delete:a",
            "hook-delete:b"
        ]
    );
    assert_eq!(
        order(&story.replay_as("3.17.0")),
        [
            "hook-create:a",
            "hook-create:b",
            "hook-delete:b",
            "hook-delete:a"
        ]
    );
    assert_eq!(
        order(&story.replay()),
        [
            "hook-create:a",
            "hook-create:b",
            "hook-delete:b",
            "hook-delete:a"
        ]
    );
}

// --- F6 ---------------------------------------------------------------------------------------

fn f06_story(old: &str, new: &str, kind: &str, helm4: bool) -> Story {
    let b = |r: ReleaseBuilder| {
        if helm4 {
            r.helm4(ApplyMethod::ClientSide)
        } else {
            r
        }
    };
    Story::new()
        .then(installed_superseded(b(
            rev(1).manifest_doc(&src("x.yaml"), &obj(old, kind, "web", None))
        )))
        .then(upgraded_superseded(b(
            rev(2).manifest_doc(&src("x.yaml"), &obj(new, kind, "web", None))
        )))
        .then(upgraded(b(
            rev(3).manifest_doc(&src("x.yaml"), &obj(new, kind, "web", None))
        )))
}

#[test]
fn f06_group_change_deleted_from_3_17_1() {
    let ing = key("networking.k8s.io/v1", "Ingress", "web");
    let story = f06_story(
        "extensions/v1beta1",
        "networking.k8s.io/v1",
        "Ingress",
        false,
    );
    for version in ["3.17.1", "3.21.4", "4.1.1", "4.2.4"] {
        let r = story.replay_as(version);
        assert_eq!(
            trail(&r, &ing),
            vec![
                ev(1, "apply", Create, Some(Cause::Added)),
                ev(2, "check", Adopt, None),
                ev(2, "apply", Patch, None),
                ev(2, "delete", Delete, Some(Cause::ApiGroupChanged)),
                ev(3, "apply", Create, Some(Cause::Recreated)),
            ],
            "{version}\n{}",
            dump(&r)
        );
        assert_eq!(present_after(&r, 2, &ing), Some(false), "{version}");
        assert_eq!(r.expected_present(&ing), Some(true), "{version}");
        let m = message_of(&r, &ing, Delete);
        assert!(
            m.contains("its API group changed from extensions/v1beta1 to networking.k8s.io/v1"),
            "{m}"
        );
        // A rollback to 1 names the old group, which revision 3 does not track.
        let expected = if version.starts_with("4.2") {
            vec!["deleted-after-api-change"]
        } else {
            vec!["deleted-after-api-change", "rollback-will-fail"]
        };
        assert_eq!(hazards(&r), expected, "{version}");
    }
}

#[test]
fn f06_group_change_kept_with_3_16_4() {
    let ing = key("networking.k8s.io/v1", "Ingress", "web");
    let r = f06_story(
        "extensions/v1beta1",
        "networking.k8s.io/v1",
        "Ingress",
        false,
    )
    .replay_as("3.16.4");
    assert_eq!(
        trail(&r, &ing),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "check", Adopt, None),
            ev(2, "apply", Patch, None),
            ev(3, "apply", Unchanged, None),
        ],
        "{}",
        dump(&r)
    );
    assert!(
        message_of(&r, &ing, Patch)
            .contains("now as networking.k8s.io/v1 (was extensions/v1beta1)")
    );
    assert_eq!(present_after(&r, 2, &ing), Some(true));
    assert!(hazards(&r).is_empty());
}

#[test]
fn f06_version_only_change_deleted_only_by_4_0_to_4_1_0() {
    let w = key("example.com/v1beta1", "Widget", "web");
    let story = f06_story(
        "example.com/v1alpha1",
        "example.com/v1beta1",
        "Widget",
        true,
    );
    for version in ["4.0.0", "4.1.0"] {
        let r = story.replay_as(version);
        assert_eq!(
            trail_at(&r, &w, 2),
            vec![
                ("check".into(), Adopt, None),
                ("apply".into(), Patch, None),
                ("delete".into(), Delete, Some(Cause::ApiVersionChanged)),
            ],
            "{version}\n{}",
            dump(&r)
        );
        assert_eq!(present_after(&r, 2, &w), Some(false));
        assert!(message_of(&r, &w, Delete).contains("only Helm 4.0.0–4.1.0"));
        // Matching by version, a rollback to 1 does not find v1alpha1 in revision 3.
        assert_eq!(
            hazards(&r),
            vec!["deleted-after-api-change", "rollback-will-fail"]
        );
    }
    for version in ["3.16.4", "3.21.4", "4.1.1", "4.2.4"] {
        let r = story.replay_as(version);
        assert!(
            !trail(&r, &w).iter().any(|(_, _, a, _)| *a == Delete),
            "{version}\n{}",
            dump(&r)
        );
        assert_eq!(present_after(&r, 2, &w), Some(true), "{version}");
        assert!(hazards(&r).is_empty(), "{version}");
    }
}

#[test]
fn f06_kind_only_match_orphans_other_group() {
    // Two different resources (CRDs of two groups) with the same Kind and name: up to 3.17.0
    // the old one counts as "the same" and is neither patched nor deleted.
    let old = key("a.example.com/v1", "Widget", "web");
    let new = key("b.example.com/v1", "Widget", "web");
    let story = f06_story("a.example.com/v1", "b.example.com/v1", "Widget", false);
    let r = story.replay_as("3.16.4");
    assert_eq!(
        trail_at(&r, &new, 2),
        vec![("apply".into(), Create, Some(Cause::ApiGroupChanged))],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &old, 2),
        vec![("delete".into(), Orphan, Some(Cause::ApiGroupChanged))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &old, Orphan).contains("matches by name, namespace and kind only"));
    assert_eq!(r.expected_present(&old), Some(true));
    assert_eq!(hazards(&r), vec!["orphaned-by-kind-match"]);

    let r = story.replay_as("3.17.1");
    assert_eq!(
        trail_at(&r, &old, 2),
        vec![("delete".into(), Delete, Some(Cause::ApiGroupChanged))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &old, Delete).contains("a different resource"));
    assert_eq!(r.expected_present(&old), Some(false));
    assert_eq!(r.expected_present(&new), Some(true));
}

// --- F7 ---------------------------------------------------------------------------------------

#[test]
fn f07_namespace_change_creates_then_deletes() {
    let old = cm_key("settings");
    let new = ResourceKey::new("v1", "ConfigMap", Some("other"), "settings");
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("cm.yaml"), &cm("settings")),
        ))
        .then(upgraded(rev(2).manifest_doc(
            &src("cm.yaml"),
            &obj("v1", "ConfigMap", "settings", Some("other")),
        )))
        .replay();
    let order: Vec<_> = r.steps[1]
        .events
        .iter()
        .map(|e| (e.action, e.cause, e.object.namespace.clone()))
        .collect();
    assert_eq!(
        order,
        vec![
            (Create, Some(Cause::NamespaceChanged), Some("other".into())),
            (Delete, Some(Cause::NamespaceChanged), Some("shop".into())),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&old), Some(false));
    assert_eq!(r.expected_present(&new), Some(true));
    assert!(message_of(&r, &old, Delete).contains("moved to namespace other"));
    assert!(hazards(&r).is_empty());
}

#[test]
fn f07_explicit_release_namespace_is_a_noop() {
    let x = cm_key("settings");
    let role = ResourceKey::new(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        None,
        "reader",
    );
    let plain = cm_key("plain");
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("cm.yaml"), &cm("settings"))
                .manifest_doc(&src("plain.yaml"), &obj("v1", "ConfigMap", "plain", None))
                .manifest_doc(
                    &src("role.yaml"),
                    &obj(
                        "rbac.authorization.k8s.io/v1",
                        "ClusterRole",
                        "reader",
                        None,
                    ),
                ),
        ))
        .then(upgraded(
            rev(2)
                .manifest_doc(
                    &src("cm.yaml"),
                    &obj("v1", "ConfigMap", "settings", Some(NS)),
                )
                .manifest_doc(
                    &src("plain.yaml"),
                    &obj("v1", "ConfigMap", "plain", Some(NS)),
                )
                .manifest_doc(
                    &src("role.yaml"),
                    &obj(
                        "rbac.authorization.k8s.io/v1",
                        "ClusterRole",
                        "reader",
                        Some("elsewhere"),
                    ),
                ),
        ))
        .replay();
    // The ConfigMap's data changed too: patched, under the same identity.
    assert_eq!(
        trail_at(&r, &x, 2),
        vec![("apply".into(), Patch, None)],
        "{}",
        dump(&r)
    );
    // Written out as the release namespace it defaulted to: cli-runtime's SetNamespace
    // builds both revisions with it, so the patch is empty.
    assert_eq!(
        trail_at(&r, &plain, 2),
        vec![("apply".into(), Unchanged, None)]
    );
    // Helm builds both revisions' ClusterRoles without a namespace (cli-runtime's
    // FilterNamespace), so nothing differs and the patch is empty: unchanged.
    assert_eq!(
        trail_at(&r, &role, 2),
        vec![("apply".into(), Unchanged, None)]
    );
    assert_eq!(r.expected_present(&x), Some(true));
    assert_eq!(r.expected_present(&role), Some(true));
}

// --- F8 ---------------------------------------------------------------------------------------

fn sts(name: &str) -> String {
    obj("apps/v1", "StatefulSet", name, None)
}

#[test]
fn f08_rename_creates_new_deletes_old() {
    let old = key("apps/v1", "StatefulSet", "db");
    let new = key("apps/v1", "StatefulSet", "db-v2");
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("db.yaml"), &sts("db")),
        ))
        .then(upgraded(
            rev(2).manifest_doc(&src("db.yaml"), &sts("db-v2")),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &new, 2),
        vec![("apply".into(), Create, Some(Cause::Renamed))]
    );
    assert_eq!(
        trail_at(&r, &old, 2),
        vec![("delete".into(), Delete, Some(Cause::Renamed))]
    );
    assert!(
        message_of(&r, &old, Delete).contains(
            "renamed to db-v2 (same kind and template web/templates/db.yaml, and the same content but for the name: 2 of 2 fields equal)"
        )
    );
    assert!(message_of(&r, &new, Create).contains("renamed from db"));
    assert_eq!(r.expected_present(&old), Some(false));
    assert_eq!(r.expected_present(&new), Some(true));
}

#[test]
fn f08_rename_failed_before_deletion_keeps_both_until_next_success() {
    let old = key("apps/v1", "StatefulSet", "db");
    let new = key("apps/v1", "StatefulSet", "db-v2");
    let r = Story::new()
        .then(installed(rev(1).manifest_doc(&src("db.yaml"), &sts("db"))))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("db.yaml"), &sts("db-v2"))
                .manifest_doc(&src("svc.yaml"), &obj("v1", "Service", "db", None)),
            "cannot patch \"db\" with kind Service: Service \"db\" is invalid: spec.clusterIP: Invalid value: \"\": field is immutable",
        ))
        .then(upgraded(rev(3).manifest_doc(&src("db.yaml"), &sts("db-v2"))))
        .replay();
    assert_eq!(present_after(&r, 2, &old), Some(true), "{}", dump(&r));
    assert_eq!(present_after(&r, 2, &new), Some(true));
    assert_eq!(base_of(&r, 3), Some(1));
    assert_eq!(
        trail_at(&r, &new, 3),
        vec![("check".into(), Adopt, None), ("apply".into(), Patch, None)]
    );
    assert!(message_of(&r, &new, Adopt).contains("created by failed revision 2"));
    assert_eq!(
        trail_at(&r, &old, 3),
        vec![("delete".into(), Delete, Some(Cause::Renamed))]
    );
    assert_eq!(r.expected_present(&old), Some(false));
    assert!(hazards(&r).contains(&"failed-base"));
}

// --- F9 ---------------------------------------------------------------------------------------

#[test]
fn f09_values_toggle_removes_then_recreates() {
    let tpl = "{{- if .Values.extra.enabled }}\napiVersion: v1\nkind: Service\nmetadata:\n  name: extra\n{{- end }}\n";
    let svc = key("v1", "Service", "extra");
    let b = |n: u64, enabled: bool| {
        let r = rev(n)
            .template("templates/extra.yaml", tpl)
            .chart_values(serde_json::json!({"extra": {"enabled": true}}))
            .config(serde_json::json!({"extra": {"enabled": enabled}}));
        if enabled {
            r.manifest_doc(&src("extra.yaml"), &obj("v1", "Service", "extra", None))
        } else {
            r
        }
    };
    let r = Story::new()
        .then(installed_superseded(b(1, true)))
        .then(upgraded_superseded(b(2, false)))
        .then(upgraded(b(3, true)))
        .replay();
    assert_eq!(
        trail(&r, &svc),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "delete", Delete, Some(Cause::NotRendered)),
            ev(3, "apply", Create, Some(Cause::Added)),
        ],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &svc, Delete).contains(".Values.extra.enabled: true → false"));
    assert_eq!(present_after(&r, 2, &svc), Some(false));
    assert_eq!(r.expected_present(&svc), Some(true));
    // Revision 2 tracks nothing at all: every object of revision 1 went.
    assert_eq!(hazards(&r), vec!["empty-manifest"]);
}

// --- F10 --------------------------------------------------------------------------------------

fn keep_svc(policy: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: extra\n  annotations:\n    helm.sh/resource-policy: {policy:?}\n"
    )
}

#[test]
fn f10_keep_removed_from_chart_is_never_deleted() {
    let svc = key("v1", "Service", "extra");
    // Revision 2 drops the Service, and is later uninstalled with --keep-history.
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("svc.yaml"), &keep_svc("keep"))
                .manifest_doc(&src("cm.yaml"), &cm("base")),
        ))
        .then(uninstalled(
            rev(2).manifest_doc(&src("cm.yaml"), &cm("base")),
        ))
        .replay();
    assert_eq!(
        trail(&r, &svc),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "delete", Keep, Some(Cause::KeepPolicy)),
        ],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &svc, Keep).contains("tracked by no revision"));
    assert_eq!(r.expected_present(&svc), Some(true));
    assert_eq!(r.expected_present(&cm_key("base")), Some(false));
    // helm-semantics.md §12: a rollback to a revision with the kept object fails.
    assert_eq!(hazards(&r), vec!["kept-untracked", "rollback-will-fail"]);
    assert!(
        r.hazards[1]
            .message
            .contains("will fail (Helm's error: no Service with the name \"extra\" found)"),
        "{}",
        r.hazards[1].message
    );
}

#[test]
fn f10_keep_upgrade_exact_uninstall_lenient() {
    let svc = key("v1", "Service", "extra");
    // Upgrade requires exactly `keep` on the live object: "Keep " does not protect it.
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("svc.yaml"), &keep_svc("Keep ")),
        ))
        .then(upgraded(rev(2)))
        .replay();
    assert_eq!(trail_at(&r, &svc, 2).len(), 1, "{}", dump(&r));
    assert_eq!(trail_at(&r, &svc, 2)[0].1, Delete);
    assert_eq!(r.expected_present(&svc), Some(false));

    // Uninstall reads the stored manifest, trimmed and lower-cased: "Keep " keeps it.
    let r = Story::new()
        .then(uninstalled(
            rev(1).manifest_doc(&src("svc.yaml"), &keep_svc("Keep ")),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &svc, 1),
        vec![
            ("apply".into(), Create, Some(Cause::Added)),
            ("uninstall".into(), Keep, Some(Cause::KeepPolicy)),
        ]
    );
    assert_eq!(r.expected_present(&svc), Some(true));

    // Any other value: uninstall silently skips it (neither deleted nor listed).
    let r = Story::new()
        .then(uninstalled(
            rev(1).manifest_doc(&src("svc.yaml"), &keep_svc("delete")),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &svc, 1)[1],
        ("uninstall".into(), Orphan, Some(Cause::KeepPolicy))
    );
    assert!(message_of(&r, &svc, Orphan).contains("silently skips"));
    assert_eq!(r.expected_present(&svc), Some(true));
    assert_eq!(hazards(&r), vec!["kept-untracked"]);
}

#[test]
fn f10_keep_ignored_on_upgrade_before_3_2() {
    let svc = key("v1", "Service", "extra");
    let story = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("svc.yaml"), &keep_svc("keep")),
        ))
        .then(upgraded(rev(2)));
    let r = story.replay_as("3.1.3");
    assert_eq!(trail_at(&r, &svc, 2)[0].1, Delete, "{}", dump(&r));
    assert_eq!(r.expected_present(&svc), Some(false));
    let r = story.replay_as("3.2.0");
    assert_eq!(trail_at(&r, &svc, 2)[0].1, Keep);
    assert_eq!(r.expected_present(&svc), Some(true));
}

#[test]
fn f10_keep_does_not_protect_hooks() {
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seed\n  annotations:\n    helm.sh/hook: post-install\n    helm.sh/hook-delete-policy: hook-succeeded\n    helm.sh/resource-policy: keep\n";
    let x = cm_key("seed");
    let r = Story::new()
        .then(installed(
            rev(1)
                .hook(&src("seed.yaml"), doc)
                .hooks_ran_for(&[HookEvent::PostInstall]),
        ))
        .replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "post-install", HookCreate, Some(Cause::Hook)),
            ev(1, "post-install", HookDelete, Some(Cause::HookDeletePolicy)),
        ]
    );
    assert_eq!(r.expected_present(&x), Some(false));
}

/// Revision 2 drops the kept Service; rolling back to 1 finds it live but not in revision
/// 2's manifest.
fn f10_rollback_story(rollback: ReleaseBuilder) -> Story {
    Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("svc.yaml"), &keep_svc("keep"))
                .manifest_doc(&src("cm.yaml"), &cm("base")),
        ))
        .then(
            rev(2)
                .manifest_doc(&src("cm.yaml"), &cm("base"))
                .status(Status::Superseded, "Upgrade complete"),
        )
        .then(
            rollback
                .manifest_doc(&src("svc.yaml"), &keep_svc("keep"))
                .manifest_doc(&src("cm.yaml"), &cm("base")),
        )
}

#[test]
fn f10_rollback_to_kept_object_fails_helm3() {
    let svc = key("v1", "Service", "extra");
    let story = f10_rollback_story(rollback_failed(
        rev(3),
        "no Service with the name \"extra\" found",
    ))
    .then(upgraded(rev(4).manifest_doc(&src("cm.yaml"), &cm("base"))));
    let r = story.replay();
    assert_eq!(
        trail_at(&r, &svc, 3),
        vec![("apply".into(), Fail, Some(Cause::Untracked))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &svc, Fail).starts_with("no Service with the name \"extra\" found"));
    assert!(hazards(&r).contains(&"untracked-object"));
    // The failed rollback superseded revision 2: nothing is deployed any more, so the next
    // upgrade diffs against the failed rollback revision 3 (≥ 3.3).
    assert_eq!(base_of(&r, 4), Some(3), "{}", dump(&r));
    assert_eq!(
        trail_at(&r, &svc, 4),
        vec![
            ("delete".into(), Keep, Some(Cause::KeepPolicy)),
            ("after".into(), Orphan, Some(Cause::KeepPolicy)),
        ]
    );
}

#[test]
fn f10_rollback_to_kept_object_patched_from_4_2() {
    let svc = key("v1", "Service", "extra");
    let story = f10_rollback_story(rolled_back(rev(3), 1).helm4(ApplyMethod::ClientSide));
    let r = story.replay_as("4.2.4");
    assert_eq!(
        trail_at(&r, &svc, 3),
        vec![("apply".into(), Patch, None)],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &svc, Patch).contains("live state"));
    assert_eq!(r.expected_present(&svc), Some(true));
    let r = story.replay_as("4.1.4");
    assert!(
        message_of(&r, &svc, Fail)
            .starts_with("original object Service with the name \"extra\" not found")
    );
}

// --- F11 --------------------------------------------------------------------------------------

fn notify_hook() -> String {
    hook("batch/v1", "Job", "notify", "post-upgrade", None, None)
}

/// Rev 1 {app, z} deployed; rev 2 {app, y} failed in its post-upgrade hook (after creating y
/// and deleting z); rev 3 as given.
fn f11_story(rev3: ReleaseBuilder) -> Story {
    Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("app.yaml"), &cm("app"))
                .manifest_doc(&src("z.yaml"), &cm("cfg-z")),
        ))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("app.yaml"), &cm("app"))
                .manifest_doc(&src("y.yaml"), &cm("cfg-y"))
                .hook(&src("notify.yaml"), &notify_hook())
                .hook_ran("notify", "Failed", T_RUN, T_RUN),
            "post-upgrade hooks failed: 1 error occurred:\n\t* job notify failed: BackoffLimitExceeded\n\n",
        ))
        .then(rev3)
}

#[test]
fn f11_failed_revision_orphans_and_base() {
    let (y, z) = (cm_key("cfg-y"), cm_key("cfg-z"));
    let r = f11_story(upgraded(rev(3).manifest_doc(&src("app.yaml"), &cm("app")))).replay();
    assert_eq!(
        trail(&r, &y),
        vec![
            ev(2, "apply", Create, Some(Cause::Added)),
            ev(2, "after", Orphan, Some(Cause::FailedBase)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail(&r, &z),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "delete", Delete, Some(Cause::RemovedFromChart)),
        ]
    );
    assert_eq!(base_of(&r, 3), Some(1));
    assert!(notes(&r, 3).contains("the base is revision 1, the last deployed one"));
    assert_eq!(r.expected_present(&y), Some(true));
    assert_eq!(r.expected_present(&z), Some(false));
    assert!(message_of(&r, &y, Orphan).contains("created by failed revision 2"));
    assert_eq!(
        hazards(&r),
        // Rolling back to 2 would hit cfg-y, live but untracked by revision 3.
        vec![
            "orphaned-by-failed-revision",
            "failed-base",
            "rollback-will-fail"
        ]
    );
}

#[test]
fn f11_next_upgrade_adopts_and_recreates() {
    let (y, z) = (cm_key("cfg-y"), cm_key("cfg-z"));
    let r = f11_story(upgraded(
        rev(3)
            .manifest_doc(&src("app.yaml"), &cm("app"))
            .manifest_doc(&src("y.yaml"), &cm("cfg-y"))
            .manifest_doc(&src("z.yaml"), &cm("cfg-z")),
    ))
    .replay();
    assert_eq!(
        trail_at(&r, &y, 3),
        vec![("check".into(), Adopt, None), ("apply".into(), Patch, None)],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &y, Adopt).contains("created by failed revision 2"));
    assert_eq!(
        trail_at(&r, &z, 3),
        vec![("apply".into(), Create, Some(Cause::Recreated))]
    );
    assert_eq!(r.expected_present(&y), Some(true));
    assert_eq!(r.expected_present(&z), Some(true));
}

#[test]
fn f11_atomic_rollback_deletes_failed_revision_objects() {
    let (y, z) = (cm_key("cfg-y"), cm_key("cfg-z"));
    // --atomic: rev 1 superseded, rev 2 failed, rev 3 deployed "Rollback to 1"; the
    // rollback's base is rev 2, so y is deleted.
    let mut story = f11_story(rolled_back(
        rev(3)
            .manifest_doc(&src("app.yaml"), &cm("app"))
            .manifest_doc(&src("z.yaml"), &cm("cfg-z")),
        1,
    ));
    let mut h = story.history();
    h.revisions[0].release.info.status = Status::Superseded;
    story = Story::new();
    for rec in h.revisions {
        story = story.then_release(rec.release);
    }
    let r = story.replay();
    assert_eq!(base_of(&r, 3), Some(2));
    assert_eq!(
        trail_at(&r, &y, 3),
        vec![("delete".into(), Delete, Some(Cause::Rollback))],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &z, 3),
        vec![("apply".into(), Create, Some(Cause::Rollback))]
    );
    assert!(message_at(&r, &z, 3, Create).contains("revision 1 has it"));
    assert_eq!(r.expected_present(&y), Some(false));
    assert_eq!(r.expected_present(&z), Some(true));
}

#[test]
fn f11_no_deployed_revision() {
    let app = cm_key("app");
    let story = Story::new()
        .then(release_failed(
            rev(1).manifest_doc(&src("app.yaml"), &cm("app")),
            "context deadline exceeded",
        ))
        .then(upgraded(rev(2).manifest_doc(&src("app.yaml"), &cm("app"))));
    let r = story.replay();
    assert_eq!(base_of(&r, 2), Some(1));
    assert_eq!(
        trail_at(&r, &app, 2),
        vec![("apply".into(), Unchanged, None)]
    );
    assert!(!notes(&r, 2).contains("has no deployed releases"));
    let r = story.replay_as("3.2.0");
    assert!(
        notes(&r, 2).contains("\"web\" has no deployed releases"),
        "{}",
        dump(&r)
    );
}

// --- F12 --------------------------------------------------------------------------------------

#[test]
fn f12_pruned_history_is_unknown() {
    let app = cm_key("app");
    let r = Story::new()
        .then(upgraded_superseded(
            rev(3).manifest_doc(&src("app.yaml"), &cm("app")),
        ))
        .then(upgraded_superseded(
            rev(4).manifest_doc(&src("app.yaml"), &cm("app")),
        ))
        .then(upgraded(rev(5).manifest_doc(&src("app.yaml"), &cm("app"))))
        .replay();
    assert_eq!(missing(&r), ["1-2"]);
    assert_eq!(
        trail(&r, &app),
        vec![
            ev(3, "apply", Unknown, Some(Cause::HistoryPruned)),
            ev(4, "apply", Unchanged, None),
            ev(5, "apply", Unchanged, None),
        ],
        "{}",
        dump(&r)
    );
    assert!(notes(&r, 3).contains("revisions 1-2 are missing"));
    assert_eq!(hazards(&r), vec!["history-pruned"]);
    assert_eq!(r.expected_present(&app), Some(true));
}

#[test]
fn f12_pruning_keeps_latest_deployed() {
    // --history-max 3 after a run of failures: the deployed rev 2 is kept, 1, 3 and 4 are gone.
    let (app, extra) = (cm_key("app"), cm_key("extra"));
    let failed = |n: u64| {
        upgrade_failed(
            rev(n)
                .manifest_doc(&src("app.yaml"), &cm("app"))
                .manifest_doc(&src("extra.yaml"), &cm("extra")),
            "context deadline exceeded",
        )
    };
    let r = Story::new()
        .then(upgraded(rev(2).manifest_doc(&src("app.yaml"), &cm("app"))))
        .then(failed(5))
        .then(failed(6))
        .replay();
    assert_eq!(missing(&r), ["1", "3-4"]);
    assert_eq!(base_of(&r, 5), Some(2), "{}", dump(&r));
    assert_eq!(base_of(&r, 6), Some(2));
    assert_eq!(
        hazards(&r),
        vec![
            "history-pruned",
            "history-pruned",
            "failed-base",
            "orphaned-by-failed-revision",
            "failed-base"
        ]
    );
    assert!(notes(&r, 5).contains("revisions 3-4 are missing"));
    // Revisions 3-4 have no record: that they failed is an inference from pruning, said so.
    assert_eq!(
        hazard_message(&r, "failed-base", 5),
        "revision 5 was diffed against revision 2, the last deployed revision on record; \
         revisions 3-4 have no record: if --history-max pruned them, revision 2 outliving them \
         means none of them was ever deployed (pruning deletes the oldest revisions first, \
         sparing only the latest deployed one from Helm 3.2 on); if their records were deleted \
         some other way, the base may have been one of them"
    );
    // Revision 5 is stored and failed: that part is proven.
    assert!(
        hazard_message(&r, "failed-base", 6).starts_with(
            "revision 6 was diffed against revision 2, the last deployed revision on record, \
             skipping failed revision 5; revisions 3-4 have no record: "
        ),
        "{}",
        dump(&r)
    );
    // Revision 5 (failed while waiting) applied both; extra is tracked by no deployed revision.
    assert_eq!(r.expected_present(&extra), Some(true));
    assert_eq!(r.expected_present(&app), Some(true));
}

#[test]
fn f12_pruned_between_base_and_upgrade_is_not_called_failed() {
    // The shape of a real coredns history: revision 1 superseded, 2-5 pruned, 6 deployed.
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("app.yaml"), &cm("app")),
        ))
        .then(upgraded(rev(6).manifest_doc(&src("app.yaml"), &cm("app"))))
        .replay();
    assert_eq!(base_of(&r, 6), Some(1), "{}", dump(&r));
    let message = hazard_message(&r, "failed-base", 6);
    assert!(!message.contains("failed revision"), "{message}");
    assert!(
        message.contains(
            "revisions 2-5 have no record: if --history-max pruned them, revision 1 outliving \
             them means none of them was ever deployed"
        ),
        "{message}"
    );
    let note = notes(&r, 6);
    assert!(
        note.contains("the base is revision 1, the last deployed one on record, not revision 5"),
        "{note}"
    );
    assert!(!note.contains("revisions after 1 failed"), "{note}");
}

/// Revision 2 was interrupted and left pending-upgrade, with no hooks to tell how far it got
/// (it would create x); revision 3 upgraded anyway (Helm before 3.4, or the record fixed by
/// hand and set back) and drops x.
fn unfinished_upgrade() -> helm_why_diff::Replay {
    Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("app.yaml"), &cm("app")),
        ))
        .then(
            rev(2)
                .manifest_doc(&src("app.yaml"), &cm("app"))
                .manifest_doc(&src("x.yaml"), &cm("x"))
                .status(Status::PendingUpgrade, "Preparing upgrade"),
        )
        .then(upgraded(rev(3).manifest_doc(&src("app.yaml"), &cm("app"))))
        .replay()
}

#[test]
fn a_skipped_pending_revision_is_named_pending_not_failed() {
    let r = unfinished_upgrade();
    assert_eq!(base_of(&r, 3), Some(1), "{}", dump(&r));
    assert_eq!(
        hazard_message(&r, "failed-base", 3),
        "revision 3 was diffed against revision 1, skipping pending-upgrade revision 2"
    );
    let note = notes(&r, 3);
    assert!(
        note.contains(
            "the base is revision 1, the last deployed one, not revision 2: pending-upgrade \
             revision 2 was not deployed when revision 3 ran; objects created by the revisions \
             after 1 are never diffed again"
        ),
        "{note}"
    );
}

#[test]
fn what_an_unfinished_upgrade_applied_is_said_as_uncertain() {
    let x = cm_key("x");
    let r = unfinished_upgrade();
    assert_eq!(
        message_at(&r, &x, 2, Create),
        "created: new in this revision (if the operation got this far: it never finished)"
    );
    assert_eq!(
        message_of(&r, &x, Orphan),
        "untracked, if present (the records cannot tell): the revision the next upgrade will \
         diff against does not have it"
    );
    assert_eq!(r.expected_present(&x), None);
    let rollback = hazard_message(&r, "rollback-will-fail", 3);
    assert!(
        rollback.starts_with(
            "helm rollback to revision 2 will fail (Helm's error: no ConfigMap with the name \
             \"x\" found) if ConfigMap x is in the cluster, which the records cannot tell \
             (revision 2 applied it, if that step ran and nothing removed it since): revision 3"
        ),
        "{rollback}"
    );
}

#[test]
fn f12_one_revision_is_singular() {
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("app.yaml"), &cm("app")),
        ))
        .then(upgrade_failed(
            rev(2).manifest_doc(&src("app.yaml"), &cm("app")),
            "context deadline exceeded",
        ))
        .then(upgraded_superseded(
            rev(3).manifest_doc(&src("app.yaml"), &cm("app")),
        ))
        .then(upgraded(rev(5).manifest_doc(&src("app.yaml"), &cm("app"))))
        .replay();
    assert_eq!(
        hazard_message(&r, "failed-base", 3),
        "revision 3 was diffed against revision 1, skipping failed revision 2"
    );
    assert_eq!(
        hazard_message(&r, "history-pruned", 5),
        "revision 4 is missing (pruned by --history-max or deleted): nothing can be explained \
         inside the gap"
    );
    assert!(notes(&r, 5).contains("revision 4 is missing: what happened there is unknown"));
    let m = messages(&r, &cm_key("app"));
    assert!(m.contains("state unknown: revision 4 is missing"), "{m}");
}

// --- F13 --------------------------------------------------------------------------------------

#[test]
fn f13_rollback_deletes_objects_added_after_target() {
    let (a, b, c) = (cm_key("a"), cm_key("b"), cm_key("c"));
    let snapshot = hook("batch/v1", "Job", "snapshot", "pre-rollback", None, None);
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .hook(&src("snapshot.yaml"), &snapshot),
        ))
        .then(upgraded_superseded(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("c.yaml"), &cm("c")),
        ))
        .then(upgraded_superseded(
            rev(3)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
        ))
        .then(rolled_back(
            rev(4)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .hook(&src("snapshot.yaml"), &snapshot)
                .hooks_ran_for(&[HookEvent::PreRollback]),
            1,
        ))
        .replay();
    assert_eq!(
        r.steps[3].inferred.operation,
        Operation::Rollback { target: Some(1) }
    );
    assert_eq!(base_of(&r, 4), Some(3));
    assert_eq!(
        trail_at(&r, &b, 4),
        vec![("delete".into(), Delete, Some(Cause::Rollback))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &b, Delete).contains("revision 1 does not have it"));
    // c was introduced and removed in between: the rollback does not consider it.
    assert!(trail_at(&r, &c, 4).is_empty());
    assert_eq!(trail_at(&r, &a, 4), vec![("apply".into(), Unchanged, None)]);
    // Pre-rollback hooks come from the target revision.
    assert_eq!(
        trail_at(&r, &key("batch/v1", "Job", "snapshot"), 4),
        vec![("pre-rollback".into(), HookCreate, Some(Cause::Hook))]
    );
    assert_eq!(r.expected_present(&b), Some(false));
    assert!(hazards(&r).is_empty(), "{:?}", hazards(&r));
}

#[test]
fn f13_rollback_from_uninstalled_recreates_everything() {
    let (a, b) = (cm_key("a"), cm_key("b"));
    let r = Story::new()
        .then(uninstalled(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
        ))
        .then(rolled_back(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
            1,
        ))
        .replay();
    assert_eq!(base_of(&r, 2), Some(1));
    for k in [&a, &b] {
        assert_eq!(
            trail(&r, k),
            vec![
                ev(1, "apply", Create, Some(Cause::Added)),
                ev(1, "uninstall", Delete, Some(Cause::Uninstall)),
                ev(2, "apply", Create, Some(Cause::Recreated)),
            ],
            "{}",
            dump(&r)
        );
        assert_eq!(r.expected_present(k), Some(true));
    }
}

#[test]
fn f13_rollback_wait_failure_is_a_rollback() {
    // A rollback that fails while waiting writes `Release "web" failed: …` and leaves the
    // current revision as it was.
    let b = cm_key("b");
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("a.yaml"), &cm("a")),
        ))
        .then(upgraded(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
        ))
        .then(release_failed(
            rev(3).manifest_doc(&src("a.yaml"), &cm("a")),
            "context deadline exceeded",
        ))
        .replay();
    assert_eq!(
        r.steps[2].inferred.operation,
        Operation::Rollback { target: None },
        "{}",
        dump(&r)
    );
    assert_eq!(base_of(&r, 3), Some(2));
    assert_eq!(
        trail_at(&r, &b, 3),
        vec![("delete".into(), Delete, Some(Cause::Rollback))]
    );
    assert_eq!(r.expected_present(&b), Some(false));
}

// --- F14 --------------------------------------------------------------------------------------

#[test]
fn f14_crds_dir_never_in_records() {
    // crds/ files live in the chart's files, never in the manifest or hooks: nothing about
    // them can be predicted (whether the CRD was created, updated or left stale is cluster
    // state). Only the custom resources using it are explained.
    let crd = |v: &str| {
        ChartFile {
        name: "crds/widgets.yaml".into(),
        data: helm_why_release::codec::encode_base64(
            format!("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  versions:\n  - name: {v}\n").as_bytes(),
        ).into(),
    }
    };
    let mut r1 = installed_superseded(
        rev(1).manifest_doc(&src("w.yaml"), &obj("example.com/v1", "Widget", "w", None)),
    )
    .build();
    r1.chart.files.push(crd("v1"));
    let mut r2 = upgraded(rev(2).manifest_doc(
        &src("w.yaml"),
        &format!(
            "{}spec:\n  size: 2\n",
            obj("example.com/v1", "Widget", "w", None)
        ),
    ))
    .build();
    r2.chart.files.push(crd("v2"));
    let r = Story::new().then_release(r1).then_release(r2).replay();
    assert!(
        r.objects
            .iter()
            .all(|k| k.kind != "CustomResourceDefinition"),
        "{:?}",
        r.objects
    );
    assert!(
        r.steps
            .iter()
            .flat_map(|s| &s.events)
            .all(|e| e.object.kind != "CustomResourceDefinition")
    );
    let w = key("example.com/v1", "Widget", "w");
    assert_eq!(
        trail(&r, &w),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "apply", Patch, None),
        ],
        "{}",
        dump(&r)
    );
    assert!(hazards(&r).is_empty());
}

#[test]
fn f14_templated_crd_not_deleted_by_3_1() {
    // A CRD in templates/ is an ordinary manifest object, except in 3.1.0–3.1.3, whose
    // Update and Delete skipped CustomResourceDefinitions.
    let crd = ResourceKey::new(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        None,
        "widgets.example.com",
    );
    let story = Story::new()
        .then(installed_superseded(rev(1).manifest_doc(
            &src("crd.yaml"),
            &obj(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                "widgets.example.com",
                None,
            ),
        )))
        .then(upgraded(rev(2)));
    let r = story.replay_as("3.1.3");
    assert_eq!(
        trail_at(&r, &crd, 2),
        vec![("delete".into(), Orphan, Some(Cause::RemovedFromChart))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &crd, Orphan).contains("3.1"));
    assert_eq!(r.expected_present(&crd), Some(true));
    let r = story.replay_as("3.2.0");
    assert_eq!(trail_at(&r, &crd, 2)[0].1, Delete);
    assert_eq!(r.expected_present(&crd), Some(false));
}

// --- F15 --------------------------------------------------------------------------------------

fn boot_hook(event: &str) -> String {
    cm_hook("boot", event, None)
}

#[test]
fn f15_install_hook_and_manifest_fails() {
    let x = cm_key("boot");
    let r = Story::new()
        .then(release_failed(
            rev(1)
                .manifest_doc(&src("boot.yaml"), &cm("boot"))
                .hook(&src("boot-hook.yaml"), &boot_hook("pre-install"))
                .hooks_ran_for(&[HookEvent::PreInstall]),
            "1 error occurred:\n\t* configmaps \"boot\" already exists\n\n",
        ))
        .replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(1, "apply", Fail, Some(Cause::HookAndManifest)),
        ],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &x, Fail).contains("configmaps \"boot\" already exists"));
    assert_eq!(r.expected_present(&x), Some(true));
    assert_eq!(hazards(&r), vec!["hook-and-manifest"]);
}

#[test]
fn f15_install_hook_and_manifest_helm4_ssa_applies() {
    let x = cm_key("boot");
    let r = Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("boot.yaml"), &cm("boot"))
                .hook(&src("boot-hook.yaml"), &boot_hook("pre-install"))
                .hooks_ran_for(&[HookEvent::PreInstall])
                .helm4(ApplyMethod::ServerSide),
        ))
        .replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(1, "pre-install", HookCreate, Some(Cause::Hook)),
            ev(1, "apply", Patch, None),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&x), Some(true));
}

#[test]
fn f15_upgrade_new_object_also_hook() {
    let x = cm_key("boot");
    let story = |b: ReleaseBuilder| {
        Story::new()
            .then(installed(rev(1).manifest_doc(&src("a.yaml"), &cm("a"))))
            .then(
                b.manifest_doc(&src("a.yaml"), &cm("a"))
                    .manifest_doc(&src("boot.yaml"), &cm("boot"))
                    .hook(&src("boot-hook.yaml"), &boot_hook("pre-upgrade"))
                    .hooks_ran_for(&[HookEvent::PreUpgrade]),
            )
    };
    let r = story(upgrade_failed(
        rev(2),
        "no ConfigMap with the name \"boot\" found",
    ))
    .replay();
    assert_eq!(
        trail(&r, &x),
        vec![
            ev(2, "pre-upgrade", HookCreate, Some(Cause::Hook)),
            ev(2, "apply", Fail, Some(Cause::HookAndManifest)),
            ev(2, "after", Orphan, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &x, Fail).starts_with("no ConfigMap with the name \"boot\" found"));
    // The hook's object stays, tracked by nothing.
    assert_eq!(r.expected_present(&x), Some(true));
    assert_eq!(
        hazards(&r),
        vec!["hook-and-manifest", "untracked-hook-object"]
    );
    let r = story(upgrade_failed(
        rev(2).helm4(ApplyMethod::ClientSide),
        "original object ConfigMap with the name \"boot\" not found",
    ))
    .replay_as("4.0.0");
    assert!(
        message_of(&r, &x, Fail)
            .starts_with("original object ConfigMap with the name \"boot\" not found")
    );
    let r = story(upgraded(rev(2).helm4(ApplyMethod::ClientSide))).replay_as("4.2.4");
    assert_eq!(
        trail_at(&r, &x, 2)[1],
        ("apply".into(), Patch, None),
        "{}",
        dump(&r)
    );
}

#[test]
fn f15_object_in_base_and_hook_loses_uid_every_upgrade() {
    let x = cm_key("boot");
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("boot.yaml"), &cm("boot")),
        ))
        .then(upgraded(
            rev(2)
                .manifest_doc(&src("boot.yaml"), &cm("boot"))
                .hook(&src("boot-hook.yaml"), &boot_hook("pre-upgrade"))
                .hooks_ran_for(&[HookEvent::PreUpgrade]),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &x, 2),
        vec![
            ("pre-upgrade".into(), Delete, Some(Cause::HookAndManifest)),
            ("pre-upgrade".into(), HookCreate, Some(Cause::Hook)),
            ("apply".into(), Patch, None),
        ],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &x, Delete).contains("new UID"));
    assert_eq!(r.expected_present(&x), Some(true));
    assert_eq!(hazards(&r), vec!["hook-and-manifest"]);
}

// --- F16 --------------------------------------------------------------------------------------

fn f16_story(value: &str) -> Story {
    let tpl = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n  annotations:\n    helm.sh/hook: {value}\n"
    );
    Story::new()
        .then(installed_superseded(
            rev(1)
                .template(
                    "templates/legacy.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n",
                )
                .manifest_doc(&src("legacy.yaml"), &cm("legacy")),
        ))
        .then(upgraded(rev(2).template("templates/legacy.yaml", &tpl)))
}

#[test]
fn f16_unknown_hook_event_drops_object() {
    let x = cm_key("legacy");
    for value in ["crd-install", "pre-install,crd-install", "test-failure"] {
        let r = f16_story(value).replay();
        assert_eq!(
            trail(&r, &x),
            vec![
                ev(1, "apply", Create, Some(Cause::Added)),
                ev(2, "delete", Delete, Some(Cause::UnknownHookEvent)),
            ],
            "{value}\n{}",
            dump(&r)
        );
        assert!(message_of(&r, &x, Delete).contains(&format!("helm.sh/hook: {value}")));
        assert!(message_of(&r, &x, Delete).contains("drops the document"));
        assert_eq!(r.expected_present(&x), Some(false));
        assert_eq!(
            hazards(&r),
            vec!["empty-manifest", "deleted-after-unknown-hook"]
        );
    }
}

// --- F17 --------------------------------------------------------------------------------------

fn f17_story(ran: impl FnOnce(ReleaseBuilder) -> ReleaseBuilder) -> Story {
    let hooks = |b: ReleaseBuilder| {
        b.hook(
            &src("pre.yaml"),
            &hook("batch/v1", "Job", "pre", "pre-rollback", None, None),
        )
        .hook(
            &src("post.yaml"),
            &hook("batch/v1", "Job", "post", "post-rollback", None, None),
        )
    };
    Story::new()
        .then(installed_superseded(hooks(
            rev(1).manifest_doc(&src("a.yaml"), &cm("a")),
        )))
        .then(upgraded(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
        ))
        .then(
            ran(hooks(rev(3).manifest_doc(&src("a.yaml"), &cm("a"))))
                .status(Status::PendingRollback, "Rollback to 1"),
        )
}

const T_LATER: &str = "2026-01-01T00:00:04Z";

#[test]
fn f17_post_rollback_hook_failure_stays_pending() {
    let b = cm_key("b");
    let post = key("batch/v1", "Job", "post");
    let r = f17_story(|b| {
        b.hooks_ran_for(&[HookEvent::PreRollback])
            .hook_ran("post", "Failed", T_LATER, T_LATER)
    })
    .replay();
    // The Update ran (b deleted), then the post-rollback hook failed.
    assert_eq!(
        trail_at(&r, &b, 3),
        vec![("delete".into(), Delete, Some(Cause::Rollback))],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &post, 3),
        vec![
            ("post-rollback".into(), HookCreate, Some(Cause::Hook)),
            ("post-rollback".into(), Fail, Some(Cause::Hook)),
        ]
    );
    assert_eq!(r.expected_present(&b), Some(false));
    assert_eq!(hazards(&r), vec!["pending-lock"]);
    assert!(
        r.hazards[0]
            .message
            .contains("another operation (install/upgrade/rollback) is in progress")
    );
}

#[test]
fn f17_pre_rollback_hook_failure_then_rollback_again() {
    let b = cm_key("b");
    let pre = key("batch/v1", "Job", "pre");
    let story = f17_story(|b| b.hook_ran("pre", "Failed", T_LATER, T_LATER));
    let r = story.replay();
    assert_eq!(
        trail_at(&r, &pre, 3),
        vec![
            ("pre-rollback".into(), HookCreate, Some(Cause::Hook)),
            ("pre-rollback".into(), Fail, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    assert!(trail_at(&r, &b, 3).is_empty(), "{}", dump(&r));
    assert_eq!(r.expected_present(&b), Some(true));
    // Rolling back to 2 would hit b, which the pending revision 3 lacks; to 1 it works.
    assert_eq!(hazards(&r), vec!["pending-lock", "rollback-will-fail"]);
    assert!(r.hazards[1].message.contains("revision 2 will fail"));
    // `helm rollback` still works: its base is the pending revision 3, whose manifest lacks
    // b, so b is never deleted.
    let r = story
        .then(rolled_back(
            rev(4).manifest_doc(&src("a.yaml"), &cm("a")),
            1,
        ))
        .replay();
    assert_eq!(base_of(&r, 4), Some(3));
    assert_eq!(
        trail_at(&r, &b, 4),
        vec![("after".into(), Orphan, Some(Cause::Removed))],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&b), Some(true));
    assert!(!hazards(&r).contains(&"pending-lock"));
}

#[test]
fn f17_killed_install_pending_forever() {
    let a = cm_key("a");
    let r = Story::new()
        .then(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .status(Status::PendingInstall, "Initial install underway"),
        )
        .replay();
    assert_eq!(r.steps[0].inferred.outcome, Outcome::Pending);
    // Killed somewhere: whether a was created is unknown.
    assert_eq!(r.expected_present(&a), None, "{}", dump(&r));
    assert_eq!(hazards(&r), vec!["pending-lock"]);
    // Every upgrade is refused, but helm uninstall deletes revision 1's manifest, which has
    // a: it is not "untracked".
    assert!(
        !trail(&r, &a)
            .iter()
            .any(|(_, _, action, _)| *action == Orphan),
        "{}",
        dump(&r)
    );
}

#[test]
fn f17_pre_delete_hook_failure_stays_uninstalling() {
    let a = cm_key("a");
    let backup = key("batch/v1", "Job", "backup");
    let r = Story::new()
        .then(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .hook(
                    &src("backup.yaml"),
                    &hook("batch/v1", "Job", "backup", "pre-delete", None, None),
                )
                .hook_ran(
                    "backup",
                    "Failed",
                    "2026-01-02T00:00:00Z",
                    "2026-01-02T00:00:05Z",
                )
                .status(
                    Status::Uninstalling,
                    "Deletion in progress (or silently failed)",
                )
                .deleted("2026-01-02T00:00:00Z"),
        )
        .replay();
    assert_eq!(
        trail(&r, &backup),
        vec![
            ev(1, "pre-delete", HookCreate, Some(Cause::Hook)),
            ev(1, "pre-delete", Fail, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail(&r, &a),
        vec![ev(1, "apply", Create, Some(Cause::Added))]
    );
    assert_eq!(r.expected_present(&a), Some(true));
    assert_eq!(hazards(&r), vec!["stuck-uninstalling"]);
    assert!(r.hazards[0].message.contains("has no deployed releases"));
}

#[test]
fn f17_uninstall_delete_error_leaves_state_unknown() {
    // ≥ 3.10 a delete error aborts the uninstall before the status update: uninstalling, and
    // which deletions happened is unknown.
    let a = cm_key("a");
    let r = Story::new()
        .then(rev(1).manifest_doc(&src("a.yaml"), &cm("a")).status(
            Status::Uninstalling,
            "Deletion in progress (or silently failed)",
        ))
        .replay();
    assert_eq!(
        trail(&r, &a),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(1, "uninstall", Unknown, Some(Cause::Uninstall)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&a), None);
    assert_eq!(hazards(&r), vec!["stuck-uninstalling"]);
}

// --- F18 --------------------------------------------------------------------------------------

#[test]
fn f18_force_replace_immutable_field() {
    // `--force` is not recorded; what the records show is a revision failed while applying:
    // nothing was deleted, and the next upgrade diffs against the last deployed revision.
    // A successful forced replace (controller-set fields dropped, PUT instead of PATCH) looks
    // like any patch in the records.
    let old = cm_key("old");
    let r = Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("svc.yaml"), &obj("v1", "Service", "web", None))
                .manifest_doc(&src("old.yaml"), &cm("old")),
        ))
        .then(upgrade_failed(
            rev(2).manifest_doc(&src("svc.yaml"), &obj("v1", "Service", "web", None)),
            "failed to replace object: Service \"web\" is invalid: spec.clusterIP: Invalid value: \"\": field is immutable",
        ))
        .then(upgraded(rev(3).manifest_doc(&src("svc.yaml"), &obj("v1", "Service", "web", None))))
        .replay();
    assert!(matches!(
        r.steps[1].inferred.outcome,
        Outcome::Failed {
            stage: Stage::Apply,
            ..
        }
    ));
    assert!(
        notes(&r, 2).contains("no deletion happened"),
        "{}",
        dump(&r)
    );
    assert_eq!(present_after(&r, 2, &old), Some(true));
    assert_eq!(base_of(&r, 3), Some(1));
    assert_eq!(
        trail_at(&r, &old, 3),
        vec![("delete".into(), Delete, Some(Cause::RemovedFromChart))]
    );
    assert_eq!(r.expected_present(&old), Some(false));
}

#[test]
fn f18_helm4_force_replace_with_ssa_applies_nothing() {
    // Helm 4 rejects --force-replace with server-side apply inside Update, before any change.
    let new = cm_key("new");
    let r = Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .helm4(ApplyMethod::ServerSide),
        ))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("new.yaml"), &cm("new"))
                .helm4(ApplyMethod::ServerSide),
            "invalid operation: cannot use server-side apply and force replace together",
        ))
        .replay();
    assert!(
        matches!(
            r.steps[1].inferred.outcome,
            Outcome::Failed {
                stage: Stage::BeforeApply,
                ..
            }
        ),
        "{}",
        dump(&r)
    );
    assert!(trail(&r, &new).is_empty());
    assert_eq!(r.expected_present(&new), Some(false));
    assert_eq!(r.expected_present(&cm_key("a")), Some(true));
}

// --- F19 --------------------------------------------------------------------------------------

fn f19_story(err: &str) -> Story {
    Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("y.yaml"), &cm("cfg-y"))
                .manifest_doc(&src("z.yaml"), &cm("cfg-z"))
                .helm4(ApplyMethod::ClientSide),
        ))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .hook(&src("notify.yaml"), &notify_hook())
                .helm4(ApplyMethod::ClientSide),
            err,
        ))
        .then(upgraded(
            rev(3)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .helm4(ApplyMethod::ClientSide),
        ))
}

#[test]
fn f19_helm4_delete_error_fails_upgrade() {
    // Helm 4.2 fails the revision at the Delete stage; the object it could not delete
    // survives (why — RBAC, a webhook — is cluster state), the others are deleted, the post
    // hooks never run, and the next upgrade diffs against revision 1 again.
    // Helm 3.3+ only logs delete errors: the revision is deployed, the object silently
    // survives untracked, and nothing in the records shows it — not modelled.
    let (y, z) = (cm_key("cfg-y"), cm_key("cfg-z"));
    let r = f19_story("failed to delete resource namespace=shop, name=cfg-z, kind=ConfigMap: configmaps \"cfg-z\" is forbidden: User \"ci\" cannot delete resource \"configmaps\" in API group \"\" in the namespace \"shop\"").replay();
    assert!(matches!(
        r.steps[1].inferred.outcome,
        Outcome::Failed {
            stage: Stage::Delete,
            ..
        }
    ));
    assert_eq!(
        trail_at(&r, &y, 2),
        vec![("delete".into(), Delete, Some(Cause::RemovedFromChart))],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &z, 2),
        vec![("delete".into(), Fail, Some(Cause::DeleteError))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &z, Fail).contains("is forbidden"));
    assert_eq!(present_after(&r, 2, &z), Some(true));
    assert_eq!(present_after(&r, 2, &y), Some(false));
    assert!(trail(&r, &key("batch/v1", "Job", "notify")).is_empty());
    assert_eq!(base_of(&r, 3), Some(1));
    assert_eq!(
        trail_at(&r, &z, 3),
        vec![("delete".into(), Delete, Some(Cause::RemovedFromChart))]
    );
    assert_eq!(r.expected_present(&z), Some(false));
    assert_eq!(hazards(&r), vec!["delete-failed", "failed-base"]);
}

#[test]
fn f19_helm4_0_delete_error_format() {
    let z = cm_key("cfg-z");
    let r = f19_story("failed to delete resource cfg-z: configmaps \"cfg-z\" is forbidden")
        .replay_as("4.0.0");
    assert_eq!(
        trail_at(&r, &z, 2),
        vec![("delete".into(), Fail, Some(Cause::DeleteError))],
        "{}",
        dump(&r)
    );
    assert_eq!(present_after(&r, 2, &z), Some(true));
    assert_eq!(present_after(&r, 2, &cm_key("cfg-y")), Some(false));
}

// --- F20 --------------------------------------------------------------------------------------

/// Rev 1 installs the Ingress, rev 2 drops it, rev 3 rolls back to 1 (re-creating it), rev 4
/// moves it to `networking.k8s.io`: a new objectKey, so the ownership check reads the live
/// object the rollback created.
fn f20_story() -> Story {
    let ing = |api: &str| obj(api, "Ingress", "web", None);
    Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("ing.yaml"), &ing("extensions/v1beta1")),
        ))
        .then(upgraded_superseded(rev(2)))
        .then(
            rev(3)
                .manifest_doc(&src("ing.yaml"), &ing("extensions/v1beta1"))
                .status(Status::Superseded, "Rollback to 1"),
        )
        .then(upgraded(
            rev(4).manifest_doc(&src("ing.yaml"), &ing("networking.k8s.io/v1")),
        ))
}

#[test]
fn f20_rollback_before_3_9_leaves_no_ownership() {
    let ing = key("networking.k8s.io/v1", "Ingress", "web");
    let r = f20_story().replay_as("3.8.0");
    assert_eq!(
        trail_at(&r, &ing, 3),
        vec![("apply".into(), Create, Some(Cause::Rollback))],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &ing, 4)[0],
        ("check".into(), Fail, Some(Cause::OwnershipConflict)),
        "{}",
        dump(&r)
    );
    let m = message_of(&r, &ing, Fail);
    assert!(m.contains("Ingress \"web\" in namespace \"shop\" exists and cannot be imported into the current release"), "{m}");
    assert!(
        m.contains("label validation error: missing key \"app.kubernetes.io/managed-by\""),
        "{m}"
    );
    assert_eq!(hazards(&r), vec!["empty-manifest", "ownership-conflict"]);

    let r = f20_story().replay_as("3.9.0");
    assert_eq!(
        trail_at(&r, &ing, 4)[0],
        ("check".into(), Adopt, None),
        "{}",
        dump(&r)
    );
    assert_eq!(hazards(&r), vec!["empty-manifest"]);
}

#[test]
fn f20_hooks_never_get_ownership() {
    // Stored manifests and hooks never carry meta.helm.sh/*; a hook object can therefore
    // never be adopted (F3), whatever the Helm version.
    let x = cm_key("app-config");
    for version in ["3.2.0", "3.21.4", "4.2.4"] {
        let r = f03_story(None).replay_as(version);
        assert_eq!(trail_at(&r, &x, 2)[0].1, Fail, "{version}");
        assert!(message_of(&r, &x, Fail).contains("hooks never get ownership metadata"));
    }
    let stored = &f03_story(None).history().revisions[1].release.manifest;
    assert!(!stored.contains("meta.helm.sh"));
}
