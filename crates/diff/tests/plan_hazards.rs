//! One test per `plan` hazard code, on histories built as Helm writes them.

#![allow(clippy::unwrap_used)]

use helm_why_diff::{ChangeOp, Plan, Profile, ReplayOptions, Severity, plan};
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::history::group;
use helm_why_release::{History, HookEvent, Record, RecordMeta, Release, Status};

fn history(revisions: Vec<ReleaseBuilder>) -> History {
    let records = revisions
        .into_iter()
        .map(|b| Record {
            meta: RecordMeta::raw(Default::default()),
            release: b.build(),
        })
        .collect();
    group(records, vec![]).releases.remove(0)
}

fn rev(n: u64) -> ReleaseBuilder {
    ReleaseBuilder::new("web", "shop", n).status(
        Status::Deployed,
        if n == 1 {
            "Install complete"
        } else {
            "Upgrade complete"
        },
    )
}

fn superseded(b: ReleaseBuilder, n: u64) -> ReleaseBuilder {
    b.status(
        Status::Superseded,
        if n == 1 {
            "Install complete"
        } else {
            "Upgrade complete"
        },
    )
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

fn codes(p: &Plan) -> Vec<(&str, Severity)> {
    p.hazards
        .iter()
        .map(|h| (h.code.as_str(), h.severity))
        .collect()
}

fn planned(h: &History, candidate: ReleaseBuilder) -> Plan {
    plan(h, &candidate.build(), &ReplayOptions::default())
}

fn candidate() -> ReleaseBuilder {
    ReleaseBuilder::new("web", "shop", 99).status(Status::PendingUpgrade, "Preparing upgrade")
}

#[test]
fn deleted_after_hook_conversion() {
    let h = history(vec![
        rev(1)
            .manifest_doc("web/templates/cm.yaml", &cm("cfg"))
            .manifest_doc("web/templates/o.yaml", &cm("other")),
    ]);
    let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  annotations:\n    helm.sh/hook: pre-upgrade\n";
    let p = planned(
        &h,
        candidate()
            .hook("web/templates/cm.yaml", hook)
            .manifest_doc("web/templates/o.yaml", &cm("other")),
    );
    assert_eq!(
        codes(&p),
        [("deleted-after-hook-conversion", Severity::High)]
    );
    assert!(
        p.hazards[0]
            .message
            .contains("comes back on the next upgrade")
    );
}

#[test]
fn hook_moving_into_the_manifest_is_an_ownership_conflict() {
    let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  annotations:\n    helm.sh/hook: pre-install\n";
    let h = history(vec![
        rev(1)
            .hook("web/templates/cm.yaml", hook)
            .hooks_ran_for(&[HookEvent::PreInstall]),
    ]);
    let p = planned(
        &h,
        candidate().manifest_doc("web/templates/cm.yaml", &cm("cfg")),
    );
    assert_eq!(codes(&p)[0], ("ownership-conflict", Severity::High));
    assert!(
        p.hazards[0]
            .message
            .contains("exists and cannot be imported into the current release"),
        "{}",
        p.hazards[0].message
    );
    assert!(
        p.hazards[0].message.contains("must be set to \"web\""),
        "{}",
        p.hazards[0].message
    );
}

#[test]
fn hook_without_before_hook_creation_whose_object_exists() {
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-delete-policy: hook-failed\n";
    let h = history(vec![
        rev(1)
            .hook("web/templates/job.yaml", job)
            .hooks_ran_for(&[HookEvent::PreInstall]),
    ]);
    let p = planned(&h, candidate().hook("web/templates/job.yaml", job));
    assert_eq!(codes(&p), [("hook-already-exists", Severity::High)]);
    assert!(
        p.hazards[0]
            .message
            .contains("jobs.batch \"migrate\" already exists"),
        "{}",
        p.hazards[0].message
    );
}

#[test]
fn hook_succeeded_config_referenced_by_a_workload() {
    let h = history(vec![rev(1)]);
    let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-delete-policy: hook-succeeded\n";
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1.0.0\n        envFrom:\n        - configMapRef:\n            name: cfg\n";
    let p = planned(
        &h,
        candidate()
            .hook("web/templates/cm.yaml", hook)
            .manifest_doc("web/templates/d.yaml", deploy),
    );
    assert!(
        codes(&p).contains(&("referenced-hook-deleted", Severity::High)),
        "{:?}",
        codes(&p)
    );
}

#[test]
fn api_group_change_deletes_the_object_with_3_17_1_but_not_3_16_4() {
    let ing = |api: &str| {
        format!("apiVersion: {api}\nkind: Ingress\nmetadata:\n  name: web\nspec: {{}}\n")
    };
    let h =
        history(vec![rev(1).manifest_doc(
            "web/templates/ing.yaml",
            &ing("extensions/v1beta1"),
        )]);
    let c = candidate()
        .manifest_doc("web/templates/ing.yaml", &ing("networking.k8s.io/v1"))
        .build();
    let with = |v: &str| {
        plan(
            &h,
            &c,
            &ReplayOptions {
                profile: Some(Profile::new(v.parse().unwrap())),
                ..Default::default()
            },
        )
    };
    assert_eq!(
        codes(&with("3.17.1")),
        [("deleted-after-api-change", Severity::High)]
    );
    assert_eq!(codes(&with("3.16.4")), []);
}

#[test]
fn rename_of_a_statefulset_loses_data() {
    let sts = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  serviceName: db\n"
        )
    };
    let h = history(vec![
        rev(1).manifest_doc("web/templates/sts.yaml", &sts("db")),
    ]);
    let p = planned(
        &h,
        candidate().manifest_doc("web/templates/sts.yaml", &sts("db-v2")),
    );
    assert_eq!(codes(&p), [("stateful-rename", Severity::High)]);
    assert!(p.hazards[0].message.contains("losing its data"));
}

#[test]
fn empty_manifest() {
    let h = history(vec![
        rev(1)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .manifest_doc("web/templates/b.yaml", &cm("b")),
    ]);
    let p = planned(&h, candidate());
    assert_eq!(codes(&p), [("empty-manifest", Severity::High)]);
    assert!(p.hazards[0].message.contains("every one of the 2 objects"));
}

#[test]
fn pending_release_refuses_the_upgrade() {
    let h = history(vec![
        superseded(rev(1), 1),
        rev(2).status(Status::PendingUpgrade, "Preparing upgrade"),
    ]);
    let p = planned(&h, candidate());
    assert_eq!(codes(&p), [("pending-release", Severity::High)]);
    assert_eq!(
        p.refused.as_deref(),
        Some("another operation (install/upgrade/rollback) is in progress")
    );
    assert!(p.changes.is_empty());
}

#[test]
fn no_deployed_release_refuses_the_upgrade() {
    // Helm 3.0–3.2 refuse to upgrade from a failed install (no deployed revision).
    let h = history(vec![rev(1).status(
        Status::Failed,
        "Release \"web\" failed: timed out waiting for the condition",
    )]);
    let options = ReplayOptions {
        profile: Some(Profile::new("3.2.4".parse().unwrap())),
        ..Default::default()
    };
    let p = plan(&h, &candidate().build(), &options);
    assert_eq!(codes(&p), [("no-deployed-release", Severity::High)]);
    assert_eq!(
        p.refused.as_deref(),
        Some("\"web\" has no deployed releases")
    );
    // Helm ≥ 3.3 diff against the failed revision instead.
    let p = planned(&h, candidate());
    assert_eq!((p.base_revision, p.refused.as_deref()), (Some(1), None));
}

#[test]
fn uninstalled_release_is_installed_again() {
    // `uninstall --keep-history`, then `upgrade --install`: an install that replaces it
    // (helm-semantics.md §12), not a refusal.
    let h = history(vec![
        rev(1)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .status(Status::Uninstalled, "Uninstallation complete"),
    ]);
    let p = planned(
        &h,
        candidate().manifest_doc("web/templates/a.yaml", &cm("a")),
    );
    assert_eq!(codes(&p), []);
    assert_eq!((p.base_revision, p.refused.as_deref()), (None, None));
    assert_eq!(p.changes[0].op, ChangeOp::Create);
    assert!(
        p.notes.iter().any(|n| n.contains(
            "plain helm upgrade refuses (Helm's error: \"web\" has no deployed releases)"
        )),
        "{:?}",
        p.notes
    );
}

#[test]
fn base_older_than_the_last_revision() {
    let h = history(vec![
        rev(1).manifest_doc("web/templates/a.yaml", &cm("a")),
        rev(2)
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: timed out waiting for the condition",
            )
            .manifest_doc("web/templates/a.yaml", &cm("a")),
    ]);
    let p = planned(
        &h,
        candidate().manifest_doc("web/templates/a.yaml", &cm("a")),
    );
    assert_eq!(p.base_revision, Some(1));
    assert_eq!(codes(&p), [("stale-base", Severity::Medium)]);
}

#[test]
fn no_rollout_and_new_mutable_tag() {
    let deploy = |tag: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: myimage:{tag}\n"
        )
    };
    let h = history(vec![
        rev(1)
            .manifest_doc("web/templates/d.yaml", &deploy("v1"))
            .manifest_doc("web/templates/cm.yaml", &cm("cfg")),
    ]);
    let mut next = candidate()
        .manifest_doc("web/templates/d.yaml", &deploy("v1"))
        .manifest_doc(
            "web/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: changed\n",
        );
    next = next.config(serde_json::json!({"greeting": "hi"}));
    let p = planned(&h, next);
    assert!(
        codes(&p).contains(&("no-rollout", Severity::Medium)),
        "{:?}",
        codes(&p)
    );
    let h2 = history(vec![
        rev(1).manifest_doc("web/templates/d.yaml", &deploy("1.0.0")),
    ]);
    let p2 = planned(
        &h2,
        candidate().manifest_doc("web/templates/d.yaml", &deploy("v2")),
    );
    assert!(
        codes(&p2).contains(&("new-mutable-tag", Severity::Low)),
        "{:?}",
        codes(&p2)
    );
}

#[test]
fn the_plan_does_not_change_the_history() {
    // Planning reads; the release passed in is not stored anywhere.
    let h = history(vec![rev(1).manifest_doc("web/templates/a.yaml", &cm("a"))]);
    let c: Release = candidate().build();
    let p = plan(&h, &c, &ReplayOptions::default());
    assert_eq!(p.revision, 2);
    assert_eq!(h.revisions.len(), 1);
}

#[test]
fn live_facts_decide_adoption_conflicts_and_keep() {
    use helm_why_diff::{ChangeOp, LiveFact, plan_with_live};
    use helm_why_release::ResourceKey;
    let h = history(vec![
        rev(1).manifest_doc("web/templates/old.yaml", &cm("old")),
    ]);
    let c = candidate()
        .manifest_doc("web/templates/new.yaml", &cm("new"))
        .manifest_doc("web/templates/mine.yaml", &cm("mine"))
        .build();
    let key = |n: &str| ResourceKey::new("v1", "ConfigMap", Some("shop"), n);
    let facts = vec![
        // Created by someone else: Helm will refuse to import it.
        (
            key("new"),
            LiveFact::Present {
                owned: false,
                labelled: false,
                keep: false,
                owner: None,
            },
        ),
        // Left by this release (e.g. kept earlier): adopted.
        (
            key("mine"),
            LiveFact::Present {
                owned: true,
                labelled: true,
                keep: false,
                owner: None,
            },
        ),
        // Annotated keep by hand: the upgrade will not delete it.
        (
            key("old"),
            LiveFact::Present {
                owned: true,
                labelled: true,
                keep: true,
                owner: None,
            },
        ),
    ];
    let p = plan_with_live(&h, &c, &ReplayOptions::default(), Some(&facts));
    assert_eq!(codes(&p)[0], ("ownership-conflict", Severity::High));
    assert!(
        p.hazards[0]
            .message
            .contains("ConfigMap \"new\" in namespace \"shop\" exists and cannot be imported"),
        "{}",
        p.hazards[0].message
    );
    // The first conflict stops Helm's check (resources.Visit returns on the first error),
    // before anything is written.
    assert_eq!(
        p.changes.iter().map(|c| c.op).collect::<Vec<_>>(),
        [ChangeOp::Conflict]
    );
    // Without the foreign object: adoption, creation, and the keep honoured.
    let facts = vec![
        facts[1].clone(),
        facts[2].clone(),
        (key("new"), LiveFact::Absent),
    ];
    let p = plan_with_live(&h, &c, &ReplayOptions::default(), Some(&facts));
    let ops: Vec<(ChangeOp, &str)> = p
        .changes
        .iter()
        .map(|c| (c.op, c.object.name.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            (ChangeOp::Patch, "mine"),
            (ChangeOp::Create, "new"),
            (ChangeOp::Patch, "mine"),
            (ChangeOp::Keep, "old")
        ]
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.starts_with("connected: 3 objects"))
    );
}

#[test]
fn deleting_an_object_handed_to_another_release_is_an_ownership_moved_hazard() {
    use helm_why_diff::{LiveFact, plan_with_live};
    use helm_why_release::ResourceKey;
    // web's base tracks cm/shared, whose annotations were handed to release shop/b; the
    // candidate no longer renders it, and Helm's upgrade deletes it anyway.
    let h = history(vec![
        rev(1)
            .manifest_doc("web/templates/shared.yaml", &cm("shared"))
            .manifest_doc("web/templates/own.yaml", &cm("own")),
    ]);
    let c = candidate()
        .manifest_doc("web/templates/own.yaml", &cm("own"))
        .build();
    let key = |n: &str| ResourceKey::new("v1", "ConfigMap", Some("shop"), n);
    let handed = |owner: Option<&str>| LiveFact::Present {
        owned: owner.is_none(),
        labelled: true,
        keep: false,
        owner: owner.map(str::to_owned),
    };
    let facts = vec![
        (key("shared"), handed(Some("shop/b"))),
        (key("own"), handed(None)),
    ];
    let p = plan_with_live(&h, &c, &ReplayOptions::default(), Some(&facts));
    let moved: Vec<_> = p
        .hazards
        .iter()
        .filter(|h| h.code == "ownership-moved")
        .collect();
    assert_eq!(moved.len(), 1, "{:?}", codes(&p));
    assert_eq!(moved[0].severity, Severity::High);
    assert_eq!(
        moved[0].object.as_ref().map(|k| k.name.as_str()),
        Some("shared")
    );
    assert_eq!(
        moved[0].message,
        "this upgrade deletes ConfigMap shop/shared, whose live meta.helm.sh/release-name names release shop/b: the object was handed to that release, and Helm's upgrade does not check ownership before deleting (helm/helm#12683)"
    );
    // Still this release's: an ordinary deletion, no such hazard.
    let facts = vec![(key("shared"), handed(None)), (key("own"), handed(None))];
    let p = plan_with_live(&h, &c, &ReplayOptions::default(), Some(&facts));
    assert!(
        p.hazards.iter().all(|h| h.code != "ownership-moved"),
        "{:?}",
        codes(&p)
    );
}
