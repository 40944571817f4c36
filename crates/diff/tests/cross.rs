//! Across releases (issue 10): objects two releases track, CRDs whose custom resources belong
//! to other releases, and which release's operation deleted or took over another's object.
//! Every history is encoded by the record builder, as Helm writes it.

#![allow(clippy::unwrap_used)]

use helm_why_diff::{
    Action, Replay, ReplayOptions, Severity, Tracking, cross_hazards, done_elsewhere, events_about,
    replay, told_elsewhere,
};
use helm_why_diff::{ObjectId, describe_elsewhere};
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::history::group;
use helm_why_release::{Record, RecordMeta, ResourceKey, Status};

const NS: &str = "shop";

/// Revision `n` of `release` in `shop`, started at minute `minute` of 2026-01-01.
fn rev(release: &str, n: u64, minute: u32) -> ReleaseBuilder {
    let at = format!("2026-01-01T10:{minute:02}:00Z");
    ReleaseBuilder::new(release, NS, n)
        .chart(release, &format!("0.{n}.0"))
        .times("2026-01-01T09:00:00Z", &at)
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

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n    plural: widgets\n  scope: Namespaced\n";

fn widget(name: &str) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\nspec:\n  size: 1\n"
    )
}

/// Replay one release's revisions.
fn replayed(revisions: Vec<ReleaseBuilder>) -> Replay {
    let records = revisions
        .iter()
        .map(|b| Record {
            meta: RecordMeta::raw(Default::default()),
            release: b.build(),
        })
        .collect();
    let history = group(records, vec![]).releases.remove(0);
    replay(&history, &ReplayOptions::default())
}

fn codes(hazards: &[helm_why_diff::ReleaseHazard]) -> Vec<(String, String, Severity)> {
    hazards
        .iter()
        .map(|h| (h.release.clone(), h.hazard.code.clone(), h.hazard.severity))
        .collect()
}

#[test]
fn two_bases_tracking_one_object_is_shared_object_for_both() {
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("a/templates/cm.yaml", &cm("shared")),
    ]);
    // b adopted it (the annotation handed over by hand, or --take-ownership).
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared"))
            .manifest_doc("b/templates/own.yaml", &cm("b-own")),
    ]);
    let hazards = cross_hazards(&[Tracking::of(&a), Tracking::of(&b)]);
    assert_eq!(
        codes(&hazards),
        vec![
            ("a".into(), "shared-object".into(), Severity::High),
            ("b".into(), "shared-object".into(), Severity::High),
        ]
    );
    let to_a = &hazards[0].hazard;
    assert_eq!(to_a.object.as_ref(), Some(&cm_key("shared")));
    assert_eq!(to_a.revision, Some(1));
    assert!(
        to_a.message.contains("also by shop/b (revision 1)"),
        "{}",
        to_a.message
    );
    assert!(to_a.message.contains("helm/helm#12683"));
}

/// One object whatever API group each chart writes it under: an Ingress of
/// `extensions/v1beta1` in one release and of `networking.k8s.io/v1` in two others is shared
/// by the three, each told of the two others in release order with its own key; an object
/// only one of them tracks is not.
#[test]
fn an_object_written_under_two_api_groups_is_shared_by_every_release_tracking_it() {
    let ingress = |api: &str| {
        format!("apiVersion: {api}\nkind: Ingress\nmetadata:\n  name: web\nspec: {{}}\n")
    };
    let release = |name: &str, api: &str| {
        replayed(vec![
            rev(name, 1, 0)
                .status(Status::Deployed, "Install complete")
                .manifest_doc(&format!("{name}/templates/ingress.yaml"), &ingress(api))
                .manifest_doc(
                    &format!("{name}/templates/own.yaml"),
                    &cm(&format!("{name}-own")),
                ),
        ])
    };
    let releases = [
        release("c", "networking.k8s.io/v1"),
        release("a", "extensions/v1beta1"),
        release("b", "networking.k8s.io/v1"),
    ];
    let tracking: Vec<Tracking> = releases.iter().map(Tracking::of).collect();
    let hazards = cross_hazards(&tracking);
    assert_eq!(
        codes(&hazards),
        ["a", "b", "c"].map(|r| (r.to_owned(), "shared-object".to_owned(), Severity::High))
    );
    for h in &hazards {
        let others: Vec<&str> = ["c", "a", "b"]
            .into_iter()
            .filter(|r| *r != h.release)
            .collect();
        let told = format!(
            "also by shop/{} (revision 1), shop/{} (revision 1)",
            others[0], others[1]
        );
        assert!(h.hazard.message.contains(&told), "{}", h.hazard.message);
        let api = if h.release == "a" {
            "extensions/v1beta1"
        } else {
            "networking.k8s.io/v1"
        };
        let key = ResourceKey::new(api, "Ingress", Some(NS), "web");
        assert_eq!(h.hazard.object.as_ref(), Some(&key));
    }
}

#[test]
fn shared_object_marked_keep_by_every_release_is_medium() {
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("a/templates/cm.yaml", &cm_keep("shared")),
    ]);
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm_keep("shared")),
    ]);
    let hazards = cross_hazards(&[Tracking::of(&a), Tracking::of(&b)]);
    assert!(
        hazards
            .iter()
            .all(|h| h.hazard.severity == Severity::Medium),
        "{hazards:#?}"
    );
    // One side without keep: that side deletes it, so it is high again.
    let c = replayed(vec![
        rev("c", 1, 6)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("c/templates/cm.yaml", &cm("shared")),
    ]);
    let hazards = cross_hazards(&[Tracking::of(&a), Tracking::of(&b), Tracking::of(&c)]);
    assert_eq!(hazards.len(), 3);
    assert!(hazards.iter().all(|h| h.hazard.severity == Severity::High));
    assert!(
        hazards[0]
            .hazard
            .message
            .contains("shop/b (revision 1, marked keep)")
    );
}

#[test]
fn handover_then_old_owner_upgrades_away_deletes_the_new_owners_object() {
    // a installs cm/shared; b takes it over at 10:05; a's upgrade at 10:10 no longer renders
    // it, and Helm deletes it without looking at its release-name annotation.
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("a/templates/cm.yaml", &cm("shared")),
        rev("a", 2, 10).status(Status::Deployed, "Upgrade complete"),
    ]);
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
    ]);
    // Only b tracks it now: no shared-object any more; the damage is done.
    assert_eq!(cross_hazards(&[Tracking::of(&a), Tracking::of(&b)]), vec![]);
    // b's own records say it exists; a's replay explains why it does not.
    assert_eq!(b.expected_present(&cm_key("shared")), Some(true));
    let elsewhere = done_elsewhere(&[&a, &b], &b, &cm_key("shared"));
    assert_eq!(elsewhere.len(), 1, "{elsewhere:#?}");
    assert_eq!(
        (elsewhere[0].release.as_str(), elsewhere[0].event.revision),
        ("a", 2)
    );
    assert_eq!(elsewhere[0].event.action, Action::Delete);
    let said = describe_elsewhere(&elsewhere[0]);
    assert!(
        said.starts_with("release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it"),
        "{said}"
    );
    // From a's side nothing else happened after its own deletion.
    assert_eq!(done_elsewhere(&[&a, &b], &a, &cm_key("shared")), vec![]);
    // b's own install "created" what a still had: told with the same deletion, its event
    // keeps its action and says what Helm would have done.
    let mut events: Vec<_> = b.events_for(&cm_key("shared")).cloned().collect();
    let told = told_elsewhere(&[&a, &b], &b, &cm_key("shared"), &mut events);
    assert_eq!(told, elsewhere);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, Action::Create);
    assert_eq!(
        events[0].message,
        "created by the install; but the records last show release shop/a writing it before (revision 1, install, 2026-01-01 10:00:00 UTC) and nothing removing it since: Helm would have refused this install at the existing-resource check unless the object was changed outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)"
    );
}

#[test]
fn a_later_write_by_anyone_clears_the_blame() {
    // a deletes it at 10:10, b's upgrade at 10:20 creates it again: nothing to explain.
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("a/templates/cm.yaml", &cm("shared")),
        rev("a", 2, 10).status(Status::Deployed, "Upgrade complete"),
    ]);
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
        rev("b", 2, 20)
            .status(Status::Deployed, "Upgrade complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
    ]);
    assert_eq!(done_elsewhere(&[&a, &b], &b, &cm_key("shared")), vec![]);
    let all = events_about(&[&a, &b], &ObjectId::of(&cm_key("shared")));
    let order: Vec<(&str, u64)> = all
        .iter()
        .map(|e| (e.release.as_str(), e.event.revision))
        .collect();
    assert_eq!(order, vec![("a", 1), ("b", 1), ("a", 2), ("b", 2)]);
}

#[test]
fn rollback_of_one_release_deletes_what_another_created() {
    // b creates cm/x at 10:05; a's revision 2 (10:10) renders it too, adopting it; a's
    // rollback to 1 (10:15) deletes it: revision 1 never had it.
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("a/templates/own.yaml", &cm("a-own")),
        rev("a", 2, 10)
            .status(Status::Superseded, "Upgrade complete")
            .manifest_doc("a/templates/own.yaml", &cm("a-own"))
            .manifest_doc("a/templates/x.yaml", &cm("x")),
        rev("a", 3, 15)
            .status(Status::Deployed, "Rollback to 1")
            .manifest_doc("a/templates/own.yaml", &cm("a-own")),
    ]);
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/x.yaml", &cm("x")),
    ]);
    let elsewhere = done_elsewhere(&[&a, &b], &b, &cm_key("x"));
    assert_eq!(elsewhere.len(), 1, "{elsewhere:#?}");
    assert_eq!(elsewhere[0].event.revision, 3);
    assert_eq!(elsewhere[0].event.operation, "rollback to 1");
}

#[test]
fn crd_of_one_release_serving_anothers_objects_is_crd_shared() {
    let operator = replayed(vec![
        rev("operator", 1, 0)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("operator/templates/crd.yaml", CRD),
    ]);
    let app = replayed(vec![
        rev("app", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("app/templates/w.yaml", &widget("w1"))
            .manifest_doc("app/templates/w2.yaml", &widget("w2")),
    ]);
    let hazards = cross_hazards(&[Tracking::of(&operator), Tracking::of(&app)]);
    assert_eq!(
        codes(&hazards),
        vec![
            ("app".into(), "crd-shared".into(), Severity::High),
            ("operator".into(), "crd-shared".into(), Severity::High),
        ]
    );
    let to_app = &hazards[0].hazard.message;
    assert!(
        to_app.contains("serving this release's Widget w1, w2 belongs to release shop/operator"),
        "{to_app}"
    );
    let to_operator = &hazards[1].hazard.message;
    assert!(to_operator.contains("shop/app (w1, w2)"), "{to_operator}");
    // The CRD's own release tracking Widgets is the single-release story, not this one.
    let alone = replayed(vec![
        rev("operator", 1, 0)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("operator/templates/crd.yaml", CRD)
            .manifest_doc("operator/templates/w.yaml", &widget("w0")),
    ]);
    assert_eq!(cross_hazards(&[Tracking::of(&alone)]), vec![]);
}

#[test]
fn an_uninstalled_release_tracks_nothing() {
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Uninstalled, "Uninstallation complete")
            .deleted("2026-01-01T10:30:00Z")
            .manifest_doc("a/templates/cm.yaml", &cm("shared")),
    ]);
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
    ]);
    assert_eq!(cross_hazards(&[Tracking::of(&a), Tracking::of(&b)]), vec![]);
    // a's uninstall (after b's install) deleted b's object.
    let elsewhere = done_elsewhere(&[&a, &b], &b, &cm_key("shared"));
    assert_eq!(elsewhere.len(), 1, "{elsewhere:#?}");
    assert_eq!(elsewhere[0].event.operation, "uninstall");
}

#[test]
fn a_cluster_scoped_kind_whose_crd_another_release_stores_is_one_object_everywhere() {
    // cert-manager's release stores the CRD (scope Cluster); releases `a` and `b`, in two
    // other namespaces, render the same ClusterIssuer: one object, which either deletes from
    // under the other.
    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\nspec:\n  group: cert-manager.io\n  names:\n    kind: ClusterIssuer\n    plural: clusterissuers\n  scope: Cluster\n";
    let issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec:\n  acme: {}\n";
    let in_namespace = |release: &str, ns: &str| {
        replayed(vec![
            ReleaseBuilder::new(release, ns, 1)
                .chart(release, "0.1.0")
                .status(Status::Deployed, "Install complete")
                .manifest_doc(&format!("{release}/templates/issuer.yaml"), issuer),
        ])
    };
    let (a, b) = (in_namespace("a", "one"), in_namespace("b", "two"));
    let cert_manager = replayed(vec![
        ReleaseBuilder::new("cert-manager", "cert-manager", 1)
            .chart("cert-manager", "1.0.0")
            .status(Status::Deployed, "Install complete")
            .manifest_doc("cert-manager/templates/crd.yaml", CRD),
    ]);
    // Without the CRD, nothing says the kind is cluster-scoped: two namespaced objects.
    assert_eq!(cross_hazards(&[Tracking::of(&a), Tracking::of(&b)]), vec![]);
    let all = [
        Tracking::of(&a),
        Tracking::of(&b),
        Tracking::of(&cert_manager),
    ];
    let hazards = cross_hazards(&all);
    let shared: Vec<_> = hazards
        .iter()
        .filter(|h| h.hazard.code == "shared-object")
        .collect();
    assert_eq!(shared.len(), 2, "{hazards:#?}");
    let unscoped = ResourceKey::new("cert-manager.io/v1", "ClusterIssuer", None, "letsencrypt");
    assert_eq!(shared[0].hazard.object, Some(unscoped));
    assert!(
        shared[0].hazard.message.contains("also by two/b"),
        "{}",
        shared[0].hazard.message
    );
    // The CRD's release is told that both releases' issuer depends on its CRD.
    let to_cert_manager = hazards
        .iter()
        .find(|h| h.release == "cert-manager")
        .map(|h| h.hazard.message.as_str());
    assert!(
        to_cert_manager.is_some_and(|m| m.contains("one/a (letsencrypt), two/b (letsencrypt)")),
        "{to_cert_manager:?}"
    );
}

/// A ConfigMap hook `name` on `events`, with delete policies `policies` (none: Helm's default).
fn cm_hook(name: &str, events: &str, policies: Option<&str>) -> String {
    let policies = policies.map_or(String::new(), |p| {
        format!("    helm.sh/hook-delete-policy: {p}\n")
    });
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: {events}\n{policies}data:\n  k: hook\n"
    )
}

/// `b` tracks cm/cfg; `a`'s last revision renders it as a hook on `events` with `policies`,
/// ending as `status`.
fn hooked(
    events: &str,
    policies: Option<&str>,
    status: Status,
) -> Vec<helm_why_diff::ReleaseHazard> {
    let b = replayed(vec![
        rev("b", 1, 0)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/cfg.yaml", &cm("cfg")),
    ]);
    let a = replayed(vec![
        rev("a", 1, 1)
            .status(status, "Install complete")
            .manifest_doc("a/templates/own.yaml", &cm("a-own"))
            .hook(
                "a/templates/cfg-hook.yaml",
                &cm_hook("cfg", events, policies),
            )
            .hooks_ran_for(&[helm_why_release::HookEvent::PreInstall]),
    ]);
    cross_hazards(&[Tracking::of(&a), Tracking::of(&b)])
}

#[test]
fn a_hook_of_one_release_deletes_the_object_another_tracks() {
    // helm-semantics.md §5, 3b: before-hook-creation deletes whatever object has the hook's
    // identity, without any ownership check; hook-succeeded then deletes the hook's own.
    let hazards = hooked(
        "pre-install,pre-upgrade",
        Some("before-hook-creation,hook-succeeded"),
        Status::Deployed,
    );
    assert_eq!(
        codes(&hazards),
        vec![
            ("a".into(), "shared-hook-object".into(), Severity::High),
            ("b".into(), "shared-hook-object".into(), Severity::High),
        ]
    );
    let to_b = &hazards[1].hazard;
    assert_eq!(to_b.object, Some(cm_key("cfg")));
    assert_eq!(to_b.revision, Some(1));
    assert!(
        to_b.message.contains("is also a pre-install,pre-upgrade hook (a/templates/cfg-hook.yaml) of release shop/a (revision 1): each time that hook runs, before-hook-creation deletes this release's object"),
        "{}",
        to_b.message
    );
    assert!(
        to_b.message
            .ends_with("the object is missing until this release's next upgrade creates it again"),
        "{}",
        to_b.message
    );
    let to_a = &hazards[0].hazard.message;
    assert!(
        to_a.contains("which release shop/b tracks (revision 1)"),
        "{to_a}"
    );
    // Helm 3's default policy is before-hook-creation: the object is replaced, not deleted.
    let default = hooked("pre-upgrade", None, Status::Deployed);
    assert!(
        default[1].hazard.message.ends_with(
            "the hook creates its own in its place, with the hook's content and a new UID"
        ),
        "{}",
        default[1].hazard.message
    );
    // Without before-hook-creation the hook's Create fails on the other release's object.
    let refused = hooked("post-upgrade", Some("hook-succeeded"), Status::Deployed);
    assert!(
        refused[0].hazard.message.contains(
            "while that release's object exists, the hook's Create fails with \"already exists\""
        ),
        "{}",
        refused[0].hazard.message
    );
}

#[test]
fn a_hook_that_never_runs_again_is_no_cross_release_hazard() {
    // An install-only hook runs again only if the release is installed again; an uninstalled
    // release runs no hook until then.
    assert_eq!(hooked("pre-install", None, Status::Deployed), vec![]);
    assert_eq!(hooked("pre-upgrade", None, Status::Uninstalled), vec![]);
}

/// The story `events_about` tells of cm/shared when `a` installs it at 10:00 and `b`'s
/// install renders it at 10:05; with `removed`, `a` uninstalls first (10:02). `b` is replayed
/// with `b_rules`.
fn b_installs_over_a(removed: bool, b_rules: ReplayOptions) -> Vec<helm_why_diff::ReleaseEvent> {
    let a_revision = rev("a", 1, 0).manifest_doc("a/templates/cm.yaml", &cm("shared"));
    let a = replayed(vec![if removed {
        a_revision
            .status(Status::Uninstalled, "Uninstallation complete")
            .deleted("2026-01-01T10:02:00Z")
    } else {
        a_revision.status(Status::Deployed, "Install complete")
    }]);
    let b_history = group(
        vec![Record {
            meta: RecordMeta::raw(Default::default()),
            release: rev("b", 1, 5)
                .status(Status::Deployed, "Install complete")
                .manifest_doc("b/templates/cm.yaml", &cm("shared"))
                .build(),
        }],
        vec![],
    )
    .releases
    .remove(0);
    let b = replay(&b_history, &b_rules);
    events_about(&[&a, &b], &ObjectId::of(&cm_key("shared")))
}

#[test]
fn an_install_over_another_releases_object_says_helm_would_have_refused_it() {
    let events = b_installs_over_a(false, ReplayOptions::default());
    let b_create = &events[1];
    assert_eq!(
        (b_create.release.as_str(), b_create.event.action),
        ("b", Action::Create)
    );
    assert!(
        b_create.event.message.ends_with("; but the records last show release shop/a writing it before (revision 1, install, 2026-01-01 10:00:00 UTC) and nothing removing it since: Helm would have refused this install at the existing-resource check unless the object was changed outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)"),
        "{}",
        b_create.event.message
    );
    // Tiller creates without a check, and fails on an existing object.
    let helm2 = ReplayOptions {
        profile: Some(helm_why_diff::Profile::new("2.17.0".parse().unwrap())),
        ..ReplayOptions::default()
    };
    let events = b_installs_over_a(false, helm2);
    assert!(
        events[1].event.message.ends_with("Tiller's install would have failed on it (already exists) unless the object was deleted outside Helm first"),
        "{}",
        events[1].event.message
    );
    // a's uninstall removed it first: b's install created it, nothing to add.
    let events = b_installs_over_a(true, ReplayOptions::default());
    let b_create = events.iter().find(|e| e.release == "b").unwrap();
    assert_eq!(b_create.event.message, "created by the install");
}

#[test]
fn an_unfinished_upgrade_of_another_release_may_have_deleted_the_object() {
    // a's upgrade to a chart without cm/shared never finished (pending-upgrade, no hook
    // evidence): whether it deleted b's object is unknown, and b's story says so.
    let a = replayed(vec![
        rev("a", 1, 0)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("a/templates/cm.yaml", &cm("shared"))
            .manifest_doc("a/templates/own.yaml", &cm("a-own")),
        rev("a", 2, 10)
            .status(Status::PendingUpgrade, "Preparing upgrade")
            .manifest_doc("a/templates/own.yaml", &cm("a-own")),
    ]);
    let b = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Deployed, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
    ]);
    let elsewhere = done_elsewhere(&[&a, &b], &b, &cm_key("shared"));
    assert_eq!(elsewhere.len(), 1, "{elsewhere:#?}");
    assert_eq!(elsewhere[0].event.action, Action::Unknown);
    assert_eq!(
        describe_elsewhere(&elsewhere[0]),
        "release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) may have deleted it: left the manifest (its template templates/cm.yaml is not in chart a-0.2.0 any more); whether it was deleted is unknown: the operation never finished"
    );
    // b's own later write puts it back: nothing to tell.
    let b_again = replayed(vec![
        rev("b", 1, 5)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
        rev("b", 2, 20)
            .status(Status::Deployed, "Upgrade complete")
            .manifest_doc("b/templates/cm.yaml", &cm("shared")),
    ]);
    assert_eq!(
        done_elsewhere(&[&a, &b_again], &b_again, &cm_key("shared")),
        vec![]
    );
}

/// `operator` (namespace `ops`) installs the Widget CRD at 10:00 and moves it to `crds/` at
/// 10:10; `app` installs Widget w1 at 10:05, and with `again` upgrades at 10:20, rendering it
/// again.
fn crd_moved_under_app(again: bool) -> (Replay, Replay) {
    let operator_rev = |n: u64, minute: u32| {
        ReleaseBuilder::new("operator", "ops", n)
            .chart("operator", &format!("0.{n}.0"))
            .times(
                "2026-01-01T09:00:00Z",
                &format!("2026-01-01T10:{minute:02}:00Z"),
            )
    };
    let operator = replayed(vec![
        operator_rev(1, 0)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("operator/templates/crd.yaml", CRD),
        operator_rev(2, 10)
            .status(Status::Deployed, "Upgrade complete")
            .chart_file("crds/crd.yaml", CRD)
            .manifest_doc("operator/templates/cm.yaml", &cm("op")),
    ]);
    let mut app_revisions = vec![
        rev("app", 1, 5)
            .status(
                if again {
                    Status::Superseded
                } else {
                    Status::Deployed
                },
                "Install complete",
            )
            .manifest_doc("app/templates/w.yaml", &widget("w1")),
    ];
    if again {
        app_revisions.push(
            rev("app", 2, 20)
                .status(Status::Deployed, "Upgrade complete")
                .manifest_doc("app/templates/w.yaml", &widget("w1")),
        );
    }
    (operator, replayed(app_revisions))
}

#[test]
fn a_crd_another_release_deleted_took_this_releases_custom_resources_with_it() {
    let (operator, app) = crd_moved_under_app(false);
    let w1 = ResourceKey::new("example.com/v1", "Widget", Some(NS), "w1");
    let elsewhere = done_elsewhere(&[&operator, &app], &app, &w1);
    assert_eq!(elsewhere.len(), 1, "{elsewhere:#?}");
    assert_eq!(
        describe_elsewhere(&elsewhere[0]),
        "release ops/operator revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it: deleted by the API server with its CustomResourceDefinition widgets.example.com (moved to crds/, which Helm installs only on install), which that revision deleted: removing a CRD removes every Widget in the cluster, tracked by a release or not"
    );
    // The kind is served no more: app's next upgrade fails before writing a record.
    let hazards = cross_hazards(&[Tracking::of(&operator), Tracking::of(&app)]);
    let missing: Vec<_> = hazards
        .iter()
        .filter(|h| h.hazard.code == "crd-missing")
        .collect();
    assert_eq!(missing.len(), 1, "{hazards:#?}");
    assert_eq!(missing[0].release, "app");
    assert!(
        missing[0].hazard.message.starts_with("the next helm upgrade of app fails before writing any record: revision 1 tracks Widget w1 but release ops/operator deleted their CustomResourceDefinition widgets.example.com"),
        "{}",
        missing[0].hazard.message
    );
}

#[test]
fn a_custom_resource_written_after_its_crd_went_proves_the_crd_came_back() {
    // app's upgrade at 10:20 applied w1: the kind was served again (installed outside Helm).
    let (operator, app) = crd_moved_under_app(true);
    let w1 = ResourceKey::new("example.com/v1", "Widget", Some(NS), "w1");
    assert_eq!(done_elsewhere(&[&operator, &app], &app, &w1), vec![]);
    let story = events_about(&[&operator, &app], &ObjectId::of(&w1));
    let by: Vec<(&str, u64, Action)> = story
        .iter()
        .map(|e| (e.release.as_str(), e.event.revision, e.event.action))
        .collect();
    assert_eq!(
        by,
        vec![
            ("app", 1, Action::Create),
            ("operator", 2, Action::Delete),
            ("app", 2, Action::Unchanged),
        ]
    );
    assert!(
        story[2].event.message.ends_with("; but the records last show release ops/operator deleting it before (revision 2, upgrade, 2026-01-01 10:10:00 UTC): this upgrade found it missing and created it again"),
        "{}",
        story[2].event.message
    );
    let hazards = cross_hazards(&[Tracking::of(&operator), Tracking::of(&app)]);
    assert!(
        hazards.iter().all(|h| h.hazard.code != "crd-missing"),
        "{hazards:#?}"
    );
}
