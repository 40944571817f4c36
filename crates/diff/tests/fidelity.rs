//! Replay fidelity on failed, interrupted and cascading operations (issue 8): each rule as
//! release records real Helm leaves behind — statuses, descriptions and error texts of
//! helm-semantics.md §10 and §12, encoded by the record builder — replayed, asserting the
//! revision, phase, action, cause, final state and hazard codes.

#![allow(clippy::unwrap_used)]

mod fixtures;

use fixtures::*;
use helm_why_diff::Action::{Create, Delete, Fail, HookCreate, Orphan, Patch, Unchanged};
use helm_why_diff::ops::{Operation, Outcome, Stage};
use helm_why_diff::{
    BaseQuery, BaseRule, Cause, ChangeOp, LiveFact, Replay, ReplayOptions, Severity,
    other_versions, plan, plan_with_live, rendered_as_install, replay,
};
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::{ApplyMethod, ResourceKey, Status};

const T_RUN: &str = "2026-01-01T00:00:30Z";

// --- 1. CRD cascade ---------------------------------------------------------------------------

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n    plural: widgets\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n";

fn widget(name: &str, size: u32) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\nspec:\n  size: {size}\n"
    )
}

fn crd_key() -> ResourceKey {
    ResourceKey::new(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        None,
        "widgets.example.com",
    )
}

fn widget_key(name: &str) -> ResourceKey {
    key("example.com/v1", "Widget", name)
}

/// helm-semantics.md §12: chart 0.2.0 moves the CRD from templates/ to crds/ and still
/// renders the custom resource.
fn crd_moved_story() -> Story {
    Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("crd.yaml"), CRD)
                .manifest_doc(&src("widget.yaml"), &widget("b3-widget", 1)),
        ))
        .then(upgraded(
            rev(2)
                .chart_file("crds/widgets.yaml", CRD)
                .manifest_doc(&src("widget.yaml"), &widget("b3-widget", 2)),
        ))
}

#[test]
fn crd_moved_to_crds_dir_deletes_every_custom_resource() {
    let r = crd_moved_story().replay();
    let w = widget_key("b3-widget");
    // The audit log: PATCH widget, then DELETE crd; the API server removes the widget.
    assert_eq!(
        trail(&r, &w),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(2, "apply", Patch, None),
            ev(2, "delete", Delete, Some(Cause::CrdDeleted)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &crd_key(), 2),
        vec![("delete".into(), Delete, Some(Cause::MovedToCrds))]
    );
    let m = message_of(&r, &crd_key(), Delete);
    assert!(
        m.contains("moved to crds/ (crds/widgets.yaml): Helm installs crds/ only on install and never upgrades or deletes it, so the upgrade deleted it as a removed template"),
        "{m}"
    );
    let m = message_at(&r, &w, 2, Delete);
    assert!(
        m.contains("with its CustomResourceDefinition widgets.example.com (moved to crds/")
            && m.contains("revision 2 deleted"),
        "{m}"
    );
    assert_eq!(r.expected_present(&w), Some(false));
    assert_eq!(r.expected_present(&crd_key()), Some(false));
    assert_eq!(hazards(&r), vec!["crd-deleted", "crd-missing"]);
    let missing = &r.hazards[1];
    assert_eq!(missing.severity, Severity::High);
    assert_eq!(missing.object.as_ref(), Some(&w));
    assert!(
        missing.message.contains("Widget b3-widget")
            && missing.message.contains("resource mapping not found for name: \"b3-widget\" namespace: \"\" from \"\": no matches for kind \"Widget\" in version \"example.com/v1\" — ensure CRDs are installed first"),
        "{}",
        missing.message
    );
    // Helm ≤ 3.8 words the same failure differently.
    let r = crd_moved_story().replay_as("3.8.0");
    let missing = r.hazards.iter().find(|h| h.code == "crd-missing").unwrap();
    assert!(
        missing
            .message
            .contains("unable to recognize \"\": no matches for kind \"Widget\""),
        "{}",
        missing.message
    );
}

/// A cluster-scoped custom kind, `ClusterIssuer.cert-manager.io`: its CRD.
const CLUSTER_ISSUER_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\nspec:\n  group: cert-manager.io\n  names:\n    kind: ClusterIssuer\n    plural: clusterissuers\n  scope: Cluster\n";

/// Revisions 1 and 2 of a release that renders ClusterIssuer `letsencrypt`, revision 2 with
/// `metadata.namespace` set (a chart that adds `namespace: {{ .Release.Namespace }}`
/// everywhere), each made by `with_crd`.
fn issuer_gains_a_namespace(with_crd: fn(ReleaseBuilder) -> ReleaseBuilder) -> Replay {
    let issuer = |ns| obj("cert-manager.io/v1", "ClusterIssuer", "letsencrypt", ns);
    Story::new()
        .then(installed_superseded(with_crd(
            rev(1).manifest_doc(&src("issuer.yaml"), &issuer(None)),
        )))
        .then(upgraded(with_crd(
            rev(2).manifest_doc(&src("issuer.yaml"), &issuer(Some("other"))),
        )))
        .replay()
}

#[test]
fn a_cluster_scoped_custom_kind_keeps_its_identity_whatever_namespace_it_writes() {
    // helm-semantics.md §3.1: cli-runtime's FilterNamespace drops the namespace of a
    // cluster-scoped kind, so revision 2 applies the same ClusterIssuer, with nothing to
    // patch. The records say the kind is cluster-scoped: its CRD, in the manifest or in the
    // chart's crds/.
    let issuer = ResourceKey::new("cert-manager.io/v1", "ClusterIssuer", None, "letsencrypt");
    let in_manifest = |b: ReleaseBuilder| b.manifest_doc(&src("crd.yaml"), CLUSTER_ISSUER_CRD);
    let in_crds_dir = |b: ReleaseBuilder| b.chart_file("crds/issuers.yaml", CLUSTER_ISSUER_CRD);
    for r in [
        issuer_gains_a_namespace(in_manifest),
        issuer_gains_a_namespace(in_crds_dir),
    ] {
        assert_eq!(
            trail(&r, &issuer),
            vec![
                ev(1, "apply", Create, Some(Cause::Added)),
                ev(2, "apply", Unchanged, None)
            ],
            "{}",
            dump(&r)
        );
        assert!(hazards(&r).is_empty(), "{:?}", hazards(&r));
    }
    // Without its CRD the kind is taken to be namespaced (offline, nothing says otherwise):
    // revision 2 then moves it to namespace `other`, deleting the one in `shop`.
    let unknown = issuer_gains_a_namespace(|b| b);
    let in_shop = ResourceKey::new(
        "cert-manager.io/v1",
        "ClusterIssuer",
        Some(NS),
        "letsencrypt",
    );
    assert_eq!(
        trail_at(&unknown, &in_shop, 2),
        vec![("delete".to_owned(), Delete, Some(Cause::NamespaceChanged))]
    );
}

#[test]
fn uninstalling_a_crd_deletes_its_custom_resources() {
    let r = Story::new()
        .then(uninstalled(
            rev(1)
                .manifest_doc(&src("crd.yaml"), CRD)
                .manifest_doc(&src("widget.yaml"), &widget("w", 1)),
        ))
        .replay();
    let w = widget_key("w");
    assert_eq!(
        trail(&r, &w),
        vec![
            ev(1, "apply", Create, Some(Cause::Added)),
            ev(1, "uninstall", Delete, Some(Cause::CrdDeleted)),
        ],
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&w), Some(false));
    assert!(hazards(&r).contains(&"crd-deleted"));
}

#[test]
fn plan_warns_that_the_next_upgrade_fails_without_the_crd() {
    let history = crd_moved_story().history();
    let candidate = rev(3)
        .chart_file("crds/widgets.yaml", CRD)
        .manifest_doc(&src("widget.yaml"), &widget("b3-widget", 3))
        .build();
    let p = plan(&history, &candidate, &ReplayOptions::default());
    let h = p.hazards.iter().find(|h| h.code == "crd-missing").unwrap();
    assert_eq!(h.severity, Severity::High);
    assert!(
        h.message
            .starts_with("this upgrade fails before writing any record"),
        "{}",
        h.message
    );
    assert!(
        h.message
            .contains("unless the CRD was installed again outside Helm")
    );
}

// --- 2. The stored failure is evidence ---------------------------------------------------------

const B4_INVALID: &str = "1 error occurred:\n\t* ConfigMap \"B4_Bad_Name\" is invalid: metadata.name: Invalid value: \"B4_Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n\n";

#[test]
fn failed_install_with_an_invalid_name_created_the_others() {
    // helm-semantics.md §12: install creates concurrently; the 422 object never existed. The
    // next upgrade --install diffs against the failed revision 1, which it supersedes (its
    // description keeps the failure).
    let bad = cm_key("B4_Bad_Name");
    let good = cm_key("b4-config");
    let r = Story::new()
        .then(
            rev(1)
                .manifest_doc(&src("bad.yaml"), &cm("B4_Bad_Name"))
                .manifest_doc(&src("cm.yaml"), &cm("b4-config"))
                .status(
                    Status::Superseded,
                    &format!("Release \"{REL}\" failed: {B4_INVALID}"),
                ),
        )
        .then(upgraded(
            rev(2).manifest_doc(&src("cm.yaml"), &cm("b4-config")),
        ))
        .replay();
    assert!(matches!(
        r.steps[0].inferred.outcome,
        Outcome::Failed {
            stage: Stage::Apply,
            ..
        }
    ));
    assert_eq!(
        trail(&r, &bad),
        vec![ev(1, "apply", Fail, Some(Cause::Rejected))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &bad, Fail).contains("never created"));
    assert_eq!(present_after(&r, 1, &bad), Some(false));
    assert_eq!(present_after(&r, 1, &good), Some(true));
    assert_eq!(base_of(&r, 2), Some(1));
    assert_eq!(
        trail_at(&r, &good, 2),
        vec![("apply".into(), Unchanged, None)]
    );
    assert_eq!(r.expected_present(&bad), Some(false));
    assert_eq!(r.expected_present(&good), Some(true));
    assert_eq!(hazards(&r), vec!["object-rejected"]);
}

#[test]
fn an_invalid_name_never_exists_whatever_the_description() {
    // A custom --description hides the error: the name alone proves the API refused it.
    let svc = key("v1", "Service", "1web");
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("cm.yaml"), &cm("a")),
        ))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("cm.yaml"), &cm("a"))
                .manifest_doc(&src("svc.yaml"), &obj("v1", "Service", "1web", None)),
            "something went wrong",
        ))
        .replay();
    assert_eq!(
        trail(&r, &svc),
        vec![ev(2, "apply", Fail, Some(Cause::Rejected))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &svc, Fail).contains("RFC 1035 label"));
    assert_eq!(r.expected_present(&svc), Some(false));
}

/// helm-semantics.md §12 "Upgrade that fails while creating" and the rollback after it.
fn sq_story() -> Story {
    Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("cm.yaml"), &cm("sq2-app-config"))
                .manifest_doc(&src("app.yaml"), &cm("sq2-app")),
        ))
        .then(
            rev(2)
                .manifest_doc(
                    &src("app.yaml"),
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sq2-app\ndata:\n  k: v2\n",
                )
                .manifest_doc(&src("bad.yaml"), &cm("Bad_Name_sq"))
                .manifest_doc(&src("late.yaml"), &cm("sq2-late"))
                .status(
                    Status::Superseded,
                    &format!("Upgrade \"{REL}\" failed: failed to create resource: ConfigMap \"Bad_Name_sq\" is invalid: metadata.name: Invalid value: \"Bad_Name_sq\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"),
                ),
        )
        .then(rollback_failed(
            rev(3)
                .manifest_doc(&src("cm.yaml"), &cm("sq2-app-config"))
                .manifest_doc(&src("app.yaml"), &cm("sq2-app")),
            "no ConfigMap with the name \"sq2-app-config\" found",
        ))
}

#[test]
fn upgrade_stops_at_its_first_create_error() {
    let r = sq_story().replay();
    // In manifest order: the patch went through, the invalid object stopped the Update, the
    // object after it was never created, and nothing was deleted.
    assert_eq!(
        trail_at(&r, &cm_key("sq2-app"), 2),
        vec![("apply".into(), Patch, None)]
    );
    assert_eq!(
        trail_at(&r, &cm_key("Bad_Name_sq"), 2),
        vec![("apply".into(), Fail, Some(Cause::Rejected))],
        "{}",
        dump(&r)
    );
    assert!(trail_at(&r, &cm_key("sq2-late"), 2).is_empty());
    assert_eq!(present_after(&r, 2, &cm_key("sq2-late")), Some(false));
    assert_eq!(present_after(&r, 2, &cm_key("sq2-app-config")), Some(true));
    assert!(
        notes(&r, 2).contains("stopped at ConfigMap shop/Bad_Name_sq"),
        "{}",
        notes(&r, 2)
    );
}

#[test]
fn failed_rollback_applied_nothing_and_the_deployed_revision_stays_the_base() {
    let r = sq_story().replay();
    let config = cm_key("sq2-app-config");
    assert_eq!(base_of(&r, 3), Some(2));
    assert!(matches!(
        r.steps[2].inferred.operation,
        Operation::Rollback { .. }
    ));
    assert_eq!(
        trail_at(&r, &config, 3),
        vec![("apply".into(), Fail, Some(Cause::Untracked))],
        "{}",
        dump(&r)
    );
    assert!(
        message_of(&r, &config, Fail)
            .contains("no ConfigMap with the name \"sq2-app-config\" found")
    );
    // The Update stopped at its first object: sq2-app was not patched back.
    assert!(trail_at(&r, &cm_key("sq2-app"), 3).is_empty());
    assert_eq!(r.expected_present(&config), Some(true));
    // Helm reads the statuses as stored: 1 deployed, 2 superseded (by the failed rollback),
    // 3 failed — the next upgrade diffs against revision 1, which tracks the config.
    assert_eq!(
        r.next_upgrade,
        BaseQuery::Base {
            revision: 1,
            rule: BaseRule::HighestDeployed
        }
    );
    assert_eq!(r.tracked_by(&config), Some(1));
    assert_eq!(r.tracked_by(&cm_key("sq2-late")), None);
}

#[test]
fn helm4_rollback_error_reads_the_same() {
    let r = Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("cm.yaml"), &cm("a"))
                .helm4(ApplyMethod::ClientSide),
        ))
        .then(rollback_failed(
            rev(2)
                .manifest_doc(&src("cm.yaml"), &cm("x"))
                .helm4(ApplyMethod::ClientSide),
            "original object ConfigMap with the name \"x\" not found",
        ))
        .replay_as("4.1.4");
    // x was live though no record created it: the error is the proof.
    assert_eq!(
        trail(&r, &cm_key("x")),
        vec![ev(2, "apply", Fail, Some(Cause::Untracked))],
        "{}",
        dump(&r)
    );
    assert!(
        message_of(&r, &cm_key("x"), Fail).contains("nothing in this release's records created it")
    );
    assert_eq!(r.expected_present(&cm_key("x")), Some(true));
}

#[test]
fn ownership_error_stops_at_the_check() {
    let shared = cm_key("shared");
    let r = Story::new()
        .then(installed(rev(1).manifest_doc(&src("a.yaml"), &cm("a"))))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v2\n")
                .manifest_doc(&src("shared.yaml"), &cm("shared"))
                .hook(&src("job.yaml"), &hook("batch/v1", "Job", "migrate", "pre-upgrade", None, None)),
            "Unable to continue with update: ConfigMap \"shared\" in namespace \"shop\" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key \"meta.helm.sh/release-name\" must equal \"web\": current value is \"other\"",
        ))
        .replay();
    assert!(matches!(
        r.steps[1].inferred.outcome,
        Outcome::Failed {
            stage: Stage::Check,
            ..
        }
    ));
    assert_eq!(
        trail(&r, &shared),
        vec![ev(2, "check", Fail, Some(Cause::OwnershipConflict))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &shared, Fail).contains("names release \"other\""));
    // Nothing else happened: no patch of a, no hook.
    assert!(trail_at(&r, &cm_key("a"), 2).is_empty());
    assert!(trail(&r, &key("batch/v1", "Job", "migrate")).is_empty());
    assert_eq!(r.expected_present(&shared), Some(true));
    assert!(notes(&r, 2).contains("nothing was created, patched or deleted and no hook ran"));
}

// --- 3. Interrupted operations -------------------------------------------------------------

#[test]
fn killed_during_a_pre_upgrade_hook_leaks_it() {
    let job = key("batch/v1", "Job", "migrate");
    let r = Story::new()
        .then(installed(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("z.yaml"), &cm("z")),
        ))
        .then(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("n.yaml"), &cm("new"))
                .hook(
                    &src("job.yaml"),
                    &hook(
                        "batch/v1",
                        "Job",
                        "migrate",
                        "pre-upgrade",
                        Some("hook-succeeded"),
                        None,
                    ),
                )
                .hook_ran("migrate", "Running", T_RUN, "")
                .status(Status::PendingUpgrade, "Preparing upgrade"),
        )
        .replay();
    assert_eq!(
        trail(&r, &job),
        vec![
            ev(2, "pre-upgrade", HookCreate, Some(Cause::Hook)),
            ev(2, "pre-upgrade", Orphan, Some(Cause::Hook)),
        ],
        "{}",
        dump(&r)
    );
    let m = message_of(&r, &job, Orphan);
    assert!(
        m.contains("never completed (last run: Running)")
            && m.contains("hook-succeeded deletion never ran"),
        "{m}"
    );
    assert_eq!(r.expected_present(&job), Some(true));
    // The manifest was never applied and nothing was deleted: certain, not unknown.
    assert_eq!(r.expected_present(&cm_key("new")), Some(false));
    assert_eq!(r.expected_present(&cm_key("z")), Some(true));
    assert!(notes(&r, 2).contains("interrupted in the pre-upgrade hooks"));
    // The usual way out, helm rollback to 1, diffs the pending revision 2 (without z)
    // against revision 1 and fails on the live z.
    assert_eq!(
        hazards(&r),
        vec![
            "untracked-hook-object",
            "pending-lock",
            "rollback-will-fail"
        ]
    );
}

#[test]
fn killed_during_a_post_upgrade_hook_applied_the_manifest() {
    let job = key("batch/v1", "Job", "notify");
    let r = Story::new()
        .then(installed(rev(1).manifest_doc(&src("z.yaml"), &cm("z"))))
        .then(
            rev(2)
                .manifest_doc(&src("n.yaml"), &cm("new"))
                .hook(
                    &src("job.yaml"),
                    &hook(
                        "batch/v1",
                        "Job",
                        "notify",
                        "post-upgrade",
                        Some("hook-succeeded"),
                        None,
                    ),
                )
                .hook_ran("notify", "Running", T_RUN, "")
                .status(Status::PendingUpgrade, "Preparing upgrade"),
        )
        .replay();
    assert_eq!(
        r.expected_present(&cm_key("new")),
        Some(true),
        "{}",
        dump(&r)
    );
    assert_eq!(r.expected_present(&cm_key("z")), Some(false));
    assert_eq!(r.expected_present(&job), Some(true));
    assert!(notes(&r, 2).contains("interrupted in the post-upgrade hooks"));
}

// --- 4. Renames need evidence ----------------------------------------------------------------

#[test]
fn an_object_still_rendered_is_not_renamed() {
    // One template renders one ConfigMap per queue; a queue is added.
    let q = |name: &str| cm(name);
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("queues.yaml"), &q("q-a")),
        ))
        .then(upgraded(
            rev(2)
                .manifest_doc(&src("queues.yaml"), &q("q-a"))
                .manifest_doc(&src("queues.yaml"), &q("q-b")),
        ))
        .replay();
    assert_eq!(
        trail_at(&r, &cm_key("q-b"), 2),
        vec![("apply".into(), Create, Some(Cause::Added))],
        "{}",
        dump(&r)
    );
}

#[test]
fn different_content_is_not_a_rename() {
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-v2\ndata:\n  host: x\n  port: \"5432\"\n  user: app\n  mode: ro\n";
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("db.yaml"), &cm("db")),
        ))
        .then(upgraded(rev(2).manifest_doc(&src("db.yaml"), other)))
        .replay();
    let (old, new) = (cm_key("db"), cm_key("db-v2"));
    assert_ne!(
        trail_at(&r, &old, 2)[0].2,
        Some(Cause::Renamed),
        "{}",
        dump(&r)
    );
    assert_eq!(
        trail_at(&r, &new, 2),
        vec![("apply".into(), Create, Some(Cause::Added))]
    );
}

#[test]
fn two_equal_candidates_are_no_rename() {
    let r = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("x.yaml"), &cm("a")),
        ))
        .then(upgraded(
            rev(2)
                .manifest_doc(&src("x.yaml"), &cm("b"))
                .manifest_doc(&src("x.yaml"), &cm("c")),
        ))
        .replay();
    assert_ne!(
        trail_at(&r, &cm_key("a"), 2)[0].2,
        Some(Cause::Renamed),
        "{}",
        dump(&r)
    );
}

// --- 5 and 6. What tracks an object now: Helm's base query ------------------------------------

#[test]
fn after_a_failed_upgrade_the_deployed_revision_tracks() {
    let r = Story::new()
        .then(installed(rev(1).manifest_doc(&src("a.yaml"), &cm("a"))))
        .then(upgrade_failed(
            rev(2)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
            "timed out waiting for the condition",
        ))
        .replay();
    assert_eq!(r.tracked_by(&cm_key("a")), Some(1));
    assert_eq!(r.tracked_by(&cm_key("b")), None);
    assert_eq!(r.expected_present(&cm_key("b")), Some(true));
}

#[test]
fn the_base_query_follows_each_version() {
    // Only a failed install: ≥ 3.3 diff against it, 3.0–3.2 refuse.
    let story = Story::new().then(release_failed(
        rev(1).manifest_doc(&src("a.yaml"), &cm("a")),
        "timed out waiting for the condition",
    ));
    let r = story.replay();
    assert_eq!(
        r.next_upgrade,
        BaseQuery::Base {
            revision: 1,
            rule: BaseRule::LastFailedOrSuperseded
        }
    );
    let r = story.replay_as("3.2.4");
    assert!(
        matches!(&r.next_upgrade, BaseQuery::Refused { error, .. } if error == "\"web\" has no deployed releases")
    );
    // A pending last revision blocks from 3.4 on, yet the deployed one still tracks.
    let pending = Story::new()
        .then(installed(rev(1).manifest_doc(&src("a.yaml"), &cm("a"))))
        .then(rev(2).status(Status::PendingUpgrade, "Preparing upgrade"));
    let r = pending.replay();
    assert!(
        matches!(&r.next_upgrade, BaseQuery::Refused { error, .. } if error.contains("in progress"))
    );
    assert_eq!(r.tracked_by(&cm_key("a")), Some(1));
    let r = pending.replay_as("3.3.0");
    assert_eq!(r.next_upgrade.revision(), Some(1));
}

// --- 7. Rollbacks that will fail ---------------------------------------------------------------

fn kept_story(helm4: bool) -> Story {
    let b = |r: helm_why_release::builder::ReleaseBuilder| {
        if helm4 {
            r.helm4(ApplyMethod::ClientSide)
        } else {
            r
        }
    };
    let kept = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a4-bbb\n  annotations:\n    helm.sh/resource-policy: keep\n";
    Story::new()
        .then(installed_superseded(b(rev(1)
            .manifest_doc(&src("a.yaml"), &cm("a4-aaa"))
            .manifest_doc(&src("b.yaml"), kept))))
        .then(upgraded(b(
            rev(2).manifest_doc(&src("a.yaml"), &cm("a4-aaa"))
        )))
}

#[test]
fn rollback_to_a_kept_object_will_fail() {
    let r = kept_story(false).replay();
    let h = r
        .hazards
        .iter()
        .find(|h| h.code == "rollback-will-fail")
        .unwrap();
    assert_eq!(h.object.as_ref(), Some(&cm_key("a4-bbb")));
    assert!(h.message.contains("helm rollback to revision 1 will fail (Helm's error: no ConfigMap with the name \"a4-bbb\" found)"), "{}", h.message);
    let r = kept_story(true).replay_as("4.1.4");
    let h = r
        .hazards
        .iter()
        .find(|h| h.code == "rollback-will-fail")
        .unwrap();
    assert!(
        h.message
            .contains("original object ConfigMap with the name \"a4-bbb\" not found"),
        "{}",
        h.message
    );
    // Helm 4.2 patches it from the live state: no failure.
    let r = kept_story(true).replay_as("4.2.0");
    assert!(!hazards(&r).contains(&"rollback-will-fail"));
}

// --- 8. Empty target ---------------------------------------------------------------------------

#[test]
fn an_empty_revision_is_a_high_hazard() {
    let r = Story::new()
        .then(installed_superseded(
            rev(1)
                .manifest_doc(&src("a.yaml"), &cm("a"))
                .manifest_doc(&src("b.yaml"), &cm("b")),
        ))
        .then(upgraded(rev(2)))
        .replay();
    let h = r
        .hazards
        .iter()
        .find(|h| h.code == "empty-manifest")
        .unwrap();
    assert_eq!((h.severity, h.revision), (Severity::High, Some(2)));
    assert!(
        h.message
            .contains("every one of the 2 objects of revision 1 was deleted")
    );
}

// --- 9. .Release.IsInstall ----------------------------------------------------------------------

#[test]
fn an_install_only_template_is_named() {
    let tpl = "{{- if .Release.IsInstall }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: init\n{{- end }}\n";
    let secret = key("v1", "Secret", "init");
    let story = Story::new()
        .then(installed_superseded(
            rev(1)
                .template("templates/init.yaml", tpl)
                .manifest_doc(&src("init.yaml"), &obj("v1", "Secret", "init", None))
                .manifest_doc(&src("a.yaml"), &cm("a")),
        ))
        .then(upgraded(
            rev(2)
                .template("templates/init.yaml", tpl)
                .manifest_doc(&src("a.yaml"), &cm("a")),
        ));
    let r = story.replay();
    assert_eq!(
        trail_at(&r, &secret, 2),
        vec![("delete".into(), Delete, Some(Cause::InstallOnly))],
        "{}",
        dump(&r)
    );
    assert!(message_of(&r, &secret, Delete).contains(
        "reads .Release.IsInstall: revision 1 was rendered by an install, revision 2 by an upgrade"
    ));
    assert!(hazards(&r).contains(&"deleted-install-only"));
    // `helm template` renders as an install: a plan from it is unreliable for this chart.
    let history = story.history();
    let base = &history.revision(2).unwrap().release;
    let h = rendered_as_install(base, 3).unwrap();
    assert_eq!(h.code, "rendered-as-install");
    assert!(
        h.message.contains("templates/init.yaml") && h.message.contains("--dry-run=server -o json")
    );
    assert!(
        rendered_as_install(
            &rev(2)
                .template("templates/a.yaml", "kind: ConfigMap")
                .build(),
            3
        )
        .is_none()
    );
}

// --- 10. Which Helm versions differ ------------------------------------------------------------

#[test]
fn other_versions_name_the_spans_that_differ() {
    // keep is ignored by upgrades before 3.2.0.
    let history = kept_story(false).history();
    let options = ReplayOptions::default();
    let r = replay(&history, &options);
    let kept = cm_key("a4-bbb");
    let others = other_versions(&history, &options, &r, &kept);
    assert_eq!(others.len(), 1, "{others:?}");
    assert_eq!(others[0].versions, "3.0.x, 3.1.x");
    assert_eq!(others[0].expected_present, Some(false));
    assert_eq!(
        others[0].differences,
        ["revision 2: delete (delete) instead of keep (delete), orphan (after)"]
    );
}

// --- 11. Hedge what only the cluster knows ----------------------------------------------------

#[test]
fn helm3_deletions_are_hedged_offline_only() {
    let story = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("a.yaml"), &cm("a")),
        ))
        .then(upgraded(rev(2)));
    let offline = story.replay();
    assert!(
        message_of(&offline, &cm_key("a"), Delete)
            .ends_with("(Helm 3 logs and ignores delete errors: check the cluster)")
    );
    let connected = replay(
        &story.history(),
        &ReplayOptions {
            connected: true,
            ..ReplayOptions::default()
        },
    );
    assert!(!message_of(&connected, &cm_key("a"), Delete).contains("ignores delete errors"));
}

#[test]
fn planned_adoption_is_hedged_offline() {
    let kept = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n  annotations:\n    helm.sh/resource-policy: keep\n";
    let history = Story::new()
        .then(installed_superseded(
            rev(1).manifest_doc(&src("k.yaml"), kept),
        ))
        .then(upgraded(rev(2).manifest_doc(&src("a.yaml"), &cm("a"))))
        .history();
    let candidate = rev(3)
        .manifest_doc(&src("a.yaml"), &cm("a"))
        .manifest_doc(&src("k.yaml"), kept)
        .build();
    let p = plan(&history, &candidate, &ReplayOptions::default());
    let adopt = p.changes.iter().find(|c| c.object.name == "k").unwrap();
    assert_eq!(adopt.op, ChangeOp::Patch);
    assert!(
        adopt
            .message
            .contains("otherwise the upgrade fails here with invalid ownership metadata"),
        "{}",
        adopt.message
    );
    let facts = [(
        cm_key("k"),
        LiveFact::Present {
            owned: true,
            labelled: true,
            keep: true,
            owner: None,
        },
    )];
    let p = plan_with_live(
        &history,
        &candidate,
        &ReplayOptions::default(),
        Some(&facts),
    );
    let adopt = p.changes.iter().find(|c| c.object.name == "k").unwrap();
    assert!(!adopt.message.contains("offline"), "{}", adopt.message);
}

// --- 12. No false alarms ---------------------------------------------------------------------

#[test]
fn a_candidate_that_changes_nothing_has_no_rollout_finding() {
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:latest\n";
    let history = Story::new()
        .then(installed(rev(1).manifest_doc(&src("d.yaml"), deploy)))
        .history();
    // As read from `helm template`: the same documents, no chart.
    let mut candidate = rev(2).manifest_doc(&src("d.yaml"), deploy).build();
    candidate.chart = Default::default();
    let p = plan(&history, &candidate, &ReplayOptions::default());
    assert!(
        p.hazards.iter().all(|h| h.code != "no-rollout"),
        "{:?}",
        p.hazards
    );
}

#[test]
fn a_template_renaming_more_objects_than_can_be_compared_tells_no_rename() {
    // Comparing each gone object with each new one of a template is quadratic per object: a
    // hostile 20 KB record renaming thousands took minutes. Past 64 look-alikes, no rename.
    let doc = |prefix: &str, i: usize| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {prefix}{i}\ndata:\n  i: \"{i}\"\n  host: x\n  port: \"5432\"\n  user: app\n  mode: rw\n"
        )
    };
    let renaming = |count: usize| {
        let (mut old, mut new) = (rev(1), rev(2));
        for i in 0..count {
            old = old.manifest_doc(&src("many.yaml"), &doc("a", i));
            new = new.manifest_doc(&src("many.yaml"), &doc("b", i));
        }
        Story::new()
            .then(installed_superseded(old))
            .then(upgraded(new))
            .replay()
    };
    let told = renaming(64);
    assert_eq!(
        trail_at(&told, &cm_key("a0"), 2)[0].2,
        Some(Cause::Renamed),
        "{}",
        dump(&told)
    );
    let untold = renaming(65);
    assert_eq!(
        trail_at(&untold, &cm_key("a0"), 2)[0].2,
        Some(Cause::RemovedFromChart),
        "{}",
        dump(&untold)
    );
    assert_eq!(
        trail_at(&untold, &cm_key("b0"), 2),
        vec![("apply".into(), Create, Some(Cause::Added))]
    );
}
