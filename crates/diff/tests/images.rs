//! Image forensics over histories built with the record builder (records encoded exactly as
//! Helm writes them, then decoded again), and over live pods.

#![allow(clippy::unwrap_used)]

use helm_why_diff::RevisionView;
use helm_why_diff::Severity;
use helm_why_diff::images::{
    FindingCode, ImageFinding, ImageHistory, LiveContainer, LivePod, LiveVerdict, PodOwner,
    Rollout, image_history, live_images, plan_images, workload_of_pod,
};
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::images::{ContainerList, PullPolicy, PullPolicyRule, TagClass};
use helm_why_release::input::read_input;
use helm_why_release::{Limits, Release, ResourceKey, ScopeResolver, Status};
use serde_json::json;

const REL: &str = "web";
const NS: &str = "shop";

/// A Deployment `web` running `image`, with extra lines under the container (indented 8).
fn deployment(name: &str, image: &str, container_extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n{container_extra}"
    )
}

fn configmap(greeting: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: {greeting}\n"
    )
}

fn rev(n: u64) -> ReleaseBuilder {
    ReleaseBuilder::new(REL, NS, n)
        .chart(REL, "0.1.0")
        .app_version("1.0")
}

/// Encode every revision as Helm does (Secret, gzip, base64), read them back, analyse.
fn analyse(builders: &[ReleaseBuilder]) -> ImageHistory {
    let releases = decode(builders);
    let scopes = ScopeResolver::builtin();
    let views: Vec<RevisionView<'_>> = releases
        .iter()
        .map(|r| RevisionView::new(r, &scopes))
        .collect();
    image_history(&views)
}

fn decode(builders: &[ReleaseBuilder]) -> Vec<Release> {
    builders
        .iter()
        .map(|b| {
            let json = serde_json::to_vec(&b.secret()).unwrap();
            let out = read_input(&json, "secret.json", &Limits::default());
            assert!(out.errors.is_empty(), "{:?}", out.errors);
            out.records.into_iter().next().unwrap().release
        })
        .collect()
}

fn superseded(b: ReleaseBuilder) -> ReleaseBuilder {
    let description = if b.build().version == 1 {
        "Install complete"
    } else {
        "Upgrade complete"
    };
    b.status(Status::Superseded, description)
}

fn codes(history: &ImageHistory) -> Vec<(FindingCode, Option<u64>, Option<u64>, String)> {
    history
        .findings
        .iter()
        .map(|f| (f.code, f.revision, f.last_revision, f.container.clone()))
        .collect()
}

fn only(history: &ImageHistory, code: FindingCode) -> Vec<&ImageFinding> {
    history.findings.iter().filter(|f| f.code == code).collect()
}

#[test]
fn a_configmap_only_upgrade_with_a_mutable_tag_rolls_nothing() {
    // The case: revision 3 changes only the ConfigMap; the Deployment keeps myimage:v1.
    let d = deployment("web", "myimage:v1", "");
    let history = analyse(&[
        superseded(rev(1))
            .config(json!({"greeting": "hello"}))
            .manifest_doc("web/templates/deploy.yaml", &d)
            .manifest_doc("web/templates/cm.yaml", &configmap("hello")),
        superseded(rev(2))
            .config(json!({"greeting": "hello"}))
            .manifest_doc(
                "web/templates/deploy.yaml",
                &deployment("web", "myimage:v2", ""),
            )
            .manifest_doc("web/templates/cm.yaml", &configmap("hello")),
        rev(3)
            .config(json!({"greeting": "hi"}))
            .manifest_doc(
                "web/templates/deploy.yaml",
                &deployment("web", "myimage:v2", ""),
            )
            .manifest_doc("web/templates/cm.yaml", &configmap("hi")),
    ]);
    let rollouts: Vec<Rollout> = history
        .revisions
        .iter()
        .map(|r| r.rows[0].rollout)
        .collect();
    assert_eq!(
        rollouts,
        [Rollout::NotApplicable, Rollout::Yes, Rollout::No]
    );
    assert_eq!(history.revisions[2].compared_with, Some(2));
    let row = &history.revisions[0].rows[0];
    assert_eq!(row.spec.tag_class, TagClass::PartialVersion);
    assert_eq!(row.spec.pull_policy, PullPolicy::IfNotPresent);
    assert_eq!(
        row.spec.pull_policy_rule,
        PullPolicyRule::DefaultTagNotLatest
    );
    assert_eq!(
        codes(&history),
        [
            (
                FindingCode::MutableTagIfNotPresent,
                Some(1),
                Some(1),
                "app".into()
            ),
            (
                FindingCode::MutableTagIfNotPresent,
                Some(2),
                Some(3),
                "app".into()
            ),
            (FindingCode::NoRollout, Some(3), Some(3), "app".into()),
        ]
    );
    let no_rollout = only(&history, FindingCode::NoRollout)[0];
    assert_eq!(no_rollout.severity, Severity::Medium);
    assert_eq!(
        *no_rollout.workload,
        ResourceKey::new("apps/v1", "Deployment", Some(NS), "web")
    );
    assert_eq!(
        no_rollout.message,
        "the upgrade changed the values (.Values.greeting) and the manifest (changed ConfigMap \
         shop/web-config) — but not the pod template of Deployment shop/web, so Kubernetes \
         replaced no pod: container app keeps running whatever myimage:v2 each node pulled \
         earlier (`v2` is a partial version, usually moved to every new v2.x build), and a \
         build pushed again under that tag did not ship. To roll when a ConfigMap or values \
         change, put a checksum of them in a pod template annotation (checksum/config); to \
         ship a new build, give it a new tag or deploy it by digest"
    );
    // Values are named by path only: they may be secrets.
    assert!(!no_rollout.message.contains("hello"));
}

#[test]
fn running_the_same_upgrade_again_is_the_classic_no_rollout() {
    let d = deployment("web", "registry.example.com/team/web:main", "");
    let history = analyse(&[
        superseded(rev(1)).manifest_doc("web/templates/deploy.yaml", &d),
        rev(2).manifest_doc("web/templates/deploy.yaml", &d),
    ]);
    let no_rollout = only(&history, FindingCode::NoRollout);
    assert_eq!(no_rollout.len(), 1);
    assert!(
        no_rollout[0].message.starts_with(
            "the upgrade applied the same chart, values and manifest as revision 1 (it was run again) — but not the pod template"
        ),
        "{}",
        no_rollout[0].message
    );
    assert!(no_rollout[0].message.contains("`main` is not a version"));
}

#[test]
fn a_chart_bump_is_named_and_a_pinned_workload_is_not_reported() {
    let mutable = deployment("web", "myimage:v1", "");
    let pinned = deployment("api", "myimage:1.4.2", "");
    let history = analyse(&[
        superseded(rev(1))
            .manifest_doc("web/templates/web.yaml", &mutable)
            .manifest_doc("web/templates/api.yaml", &pinned),
        rev(2)
            .chart(REL, "0.2.0")
            .manifest_doc("web/templates/web.yaml", &mutable)
            .manifest_doc("web/templates/api.yaml", &pinned),
    ]);
    let no_rollout = only(&history, FindingCode::NoRollout);
    assert_eq!(no_rollout.len(), 1, "{no_rollout:#?}");
    assert_eq!(no_rollout[0].workload.name, "web");
    assert!(
        no_rollout[0]
            .message
            .starts_with("the upgrade changed the chart (web-0.1.0 → web-0.2.0) — but not"),
        "{}",
        no_rollout[0].message
    );
    // The full version is not mutable in practice: no finding for api at all.
    assert!(history.findings.iter().all(|f| f.workload.name == "web"));
}

#[test]
fn latest_and_missing_tags() {
    let pod = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: setup\n        image: busybox\n      containers:\n      - name: app\n        image: myimage:latest\n        imagePullPolicy: IfNotPresent\n      - name: sidecar\n        image: localhost:5000/proxy\n        imagePullPolicy: Never\n";
    let history = analyse(&[rev(1).manifest_doc("web/templates/deploy.yaml", pod)]);
    let rows: Vec<(&str, ContainerList, &str, &str)> = history.revisions[0]
        .rows
        .iter()
        .map(|r| {
            (
                r.spec.container.as_str(),
                r.spec.list,
                r.spec.pull_policy.as_str(),
                r.spec.pull_policy_rule.describe(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "setup",
                ContainerList::Init,
                "Always",
                "default: no tag means latest"
            ),
            (
                "app",
                ContainerList::Container,
                "IfNotPresent",
                "set in the chart"
            ),
            (
                "sidecar",
                ContainerList::Container,
                "Never",
                "set in the chart"
            ),
        ]
    );
    assert_eq!(
        codes(&history),
        [
            (
                FindingCode::MutableTagIfNotPresent,
                Some(1),
                Some(1),
                "app".into()
            ),
            (FindingCode::LatestTag, Some(1), Some(1), "app".into()),
            (FindingCode::LatestTag, Some(1), Some(1), "setup".into()),
            (FindingCode::LatestTag, Some(1), Some(1), "sidecar".into()),
        ]
    );
    let setup = history
        .findings
        .iter()
        .find(|f| f.container == "setup")
        .unwrap();
    assert_eq!(
        setup.message,
        "init container setup of Deployment shop/web uses busybox (no tag means `latest`, moved \
         by every push) with imagePullPolicy Always (default: no tag means latest): every \
         container start asks the registry what `latest` is now: slower starts, no start at \
         all while the registry is unreachable, replicas started at different times run \
         different builds, and a rollback cannot bring an older build back. Pin a version \
         tag, or better a digest"
    );
    let app_mutable = only(&history, FindingCode::MutableTagIfNotPresent)[0];
    assert!(
        app_mutable
            .message
            .contains("imagePullPolicy IfNotPresent (set in the chart)")
    );
}

#[test]
fn app_version_moved_but_the_image_stayed() {
    let history = analyse(&[
        superseded(rev(1))
            .manifest_doc(
                "web/templates/web.yaml",
                &deployment("web", "myimage:1.0.0", ""),
            )
            .manifest_doc(
                "web/templates/api.yaml",
                &deployment("api", "api:1.0.0", ""),
            ),
        rev(2)
            .app_version("1.1")
            .manifest_doc(
                "web/templates/web.yaml",
                &deployment("web", "myimage:1.0.0", ""),
            )
            .manifest_doc(
                "web/templates/api.yaml",
                &deployment("api", "api:1.1.0", ""),
            ),
    ]);
    let kept = only(&history, FindingCode::TagKeptAppVersionChanged);
    assert_eq!(kept.len(), 1, "{kept:#?}");
    assert_eq!(kept[0].workload.name, "web");
    assert_eq!(
        kept[0].message,
        "the chart's appVersion moved from 1.0 to 1.1, but container app of Deployment \
         shop/web still runs myimage:1.0.0 as in revision 1 — the same reference: \
         the application changed only if a new build was pushed under myimage:1.0.0 and the \
         nodes pulled it, which no upgrade makes them do. Derive the tag from \
         .Chart.AppVersion, or bump the image tag together with appVersion"
    );
    // Nothing about the rollout: web's template is unchanged but its tag is a full version.
    assert!(only(&history, FindingCode::NoRollout).is_empty());
}

#[test]
fn a_defaulted_pull_policy_stays_what_it_was_at_creation() {
    let history = analyse(&[
        superseded(rev(1))
            .manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:v1", "")),
        superseded(rev(2)).manifest_doc(
            "web/templates/d.yaml",
            &deployment("web", "myimage:latest", ""),
        ),
        superseded(rev(3)).manifest_doc("web/templates/d.yaml", &deployment("web", "myimage", "")),
        // Setting it explicitly is what changes the stored value.
        rev(4).manifest_doc(
            "web/templates/d.yaml",
            &deployment("web", "myimage", "        imagePullPolicy: Always\n"),
        ),
    ]);
    let changed = only(&history, FindingCode::PullPolicyChangedNotApplied);
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_eq!(
        (changed[0].revision, changed[0].last_revision),
        (Some(2), Some(3))
    );
    assert_eq!(changed[0].severity, Severity::Medium);
    assert_eq!(
        changed[0].message,
        "container app of Deployment shop/web now has myimage:latest and no imagePullPolicy, so \
         a fresh install would get Always (default: tag is latest); but Kubernetes defaults an \
         empty imagePullPolicy only when the object is created, and the live Deployment has \
         held IfNotPresent since revision 1 (defaulted from myimage:v1 when it was created): \
         its pods, including any this revision rolled out, keep IfNotPresent. Verify with \
         `kubectl get deployment web -n shop -o \
         jsonpath='{.spec.template.spec.containers[?(@.name==\"app\")].imagePullPolicy}'`; set \
         imagePullPolicy explicitly in the chart to change it"
    );
}

#[test]
fn removing_an_explicit_pull_policy_defaults_it_again() {
    let history = analyse(&[
        superseded(rev(1)).manifest_doc(
            "web/templates/d.yaml",
            &deployment(
                "web",
                "myimage:latest",
                "        imagePullPolicy: IfNotPresent\n",
            ),
        ),
        // The patch removes the field: the API server defaults it from the new image.
        rev(2).manifest_doc(
            "web/templates/d.yaml",
            &deployment("web", "myimage:latest", ""),
        ),
    ]);
    assert!(only(&history, FindingCode::PullPolicyChangedNotApplied).is_empty());
}

#[test]
fn an_immutable_job_refuses_a_new_pull_policy() {
    let job = |extra: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: migrate\n        image: myimage:1.2.3\n{extra}"
        )
    };
    let history = analyse(&[
        superseded(rev(1)).manifest_doc("web/templates/job.yaml", &job("")),
        rev(2).manifest_doc(
            "web/templates/job.yaml",
            &job("        imagePullPolicy: Always\n"),
        ),
    ]);
    let changed = only(&history, FindingCode::PullPolicyChangedNotApplied);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].severity, Severity::High);
    assert_eq!(
        changed[0].message,
        "the chart changes the imagePullPolicy of container migrate of Job shop/migrate from \
         IfNotPresent to Always (set in the chart), but a Job's pod template is immutable: the \
         API server refuses the change and the upgrade fails, unless the Job no longer existed \
         (deleted by hand, or by ttlSecondsAfterFinished)"
    );
    assert_eq!(history.revisions[1].rows[0].rollout, Rollout::NotApplicable);
}

#[test]
fn rollout_column_follows_each_controller() {
    let sts = |image: &str, strategy: &str| {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  updateStrategy:\n    type: {strategy}\n  template:\n    spec:\n      containers:\n      - name: db\n        image: {image}\n"
        )
    };
    let paused = |image: &str| {
        deployment("web", image, "").replace(
            "spec:\n  replicas: 2",
            "spec:\n  paused: true\n  replicas: 2",
        )
    };
    let cron = |image: &str| {
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"@daily\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: task\n            image: {image}\n"
        )
    };
    let hook = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n      - name: migrate\n        image: myimage:1.0.0\n";
    let history = analyse(&[
        superseded(rev(1))
            .manifest_doc("web/templates/db.yaml", &sts("db:1.0.0", "OnDelete"))
            .manifest_doc("web/templates/web.yaml", &paused("web:1.0.0"))
            .manifest_doc("web/templates/cron.yaml", &cron("task:1.0.0"))
            .hook("web/templates/hook.yaml", hook),
        rev(2)
            .manifest_doc("web/templates/db.yaml", &sts("db:1.1.0", "OnDelete"))
            .manifest_doc("web/templates/web.yaml", &paused("web:1.1.0"))
            .manifest_doc("web/templates/cron.yaml", &cron("task:1.1.0"))
            .manifest_doc(
                "web/templates/new.yaml",
                &deployment("new", "new:1.0.0", ""),
            )
            .hook("web/templates/hook.yaml", hook),
    ]);
    let rows: Vec<(String, bool, Rollout)> = history.revisions[1]
        .rows
        .iter()
        .map(|r| (r.workload.name.clone(), r.hook, r.rollout))
        .collect();
    assert_eq!(
        rows,
        [
            ("db".into(), false, Rollout::OnDelete),
            ("web".into(), false, Rollout::Paused),
            ("nightly".into(), false, Rollout::NotApplicable),
            ("new".into(), false, Rollout::New),
            ("migrate".into(), true, Rollout::NotApplicable),
        ]
    );
    assert!(history.findings.is_empty(), "{:#?}", history.findings);
}

#[test]
fn a_revision_that_failed_in_its_pre_hooks_applied_nothing() {
    let history = analyse(&[
        superseded(rev(1)).manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:1.0.0", "")),
        rev(2)
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: pre-upgrade hooks failed: job failed: BackoffLimitExceeded",
            )
            .manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:2.0.0", "")),
        rev(3).manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:2.0.0", "")),
    ]);
    let summary: Vec<(u64, bool, Option<u64>, Rollout)> = history
        .revisions
        .iter()
        .map(|r| (r.revision, r.applied, r.compared_with, r.rows[0].rollout))
        .collect();
    assert_eq!(
        summary,
        [
            (1, true, None, Rollout::NotApplicable),
            (2, false, Some(1), Rollout::NotApplied),
            // Compared with revision 1, the last one applied: 2.0.0 rolls out now.
            (3, true, Some(1), Rollout::Yes),
        ]
    );
}

#[test]
fn findings_are_deterministic_and_serialise_with_stable_codes() {
    let builders = [
        superseded(rev(1))
            .manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:v1", "")),
        rev(2).manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:v1", "")),
    ];
    let a = serde_json::to_value(analyse(&builders)).unwrap();
    let b = serde_json::to_value(analyse(&builders)).unwrap();
    assert_eq!(a, b);
    let row = &a["revisions"][1]["rows"][0];
    assert_eq!(row["rollout"], "no");
    assert_eq!(row["tag_class"], "partial-version");
    assert_eq!(row["pull_policy"], "IfNotPresent");
    assert_eq!(row["pull_policy_rule"], "default-tag-not-latest");
    assert_eq!(row["container"], "app");
    assert_eq!(row["list"], "container");
    assert_eq!(row["reference"]["repository"], "library/myimage");
    assert_eq!(a["revisions"][0]["rows"][0]["rollout"], "n/a");
    let codes: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["mutable-tag-if-not-present", "no-rollout"]);
    assert_eq!(a["findings"][0]["severity"], "medium");
}

// --- live pods ----------------------------------------------------------------------------

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn pod(name: &str, node: &str, image_id: &str) -> LivePod {
    LivePod {
        name: name.into(),
        namespace: NS.into(),
        node: Some(node.into()),
        owner: Some(PodOwner {
            kind: "ReplicaSet".into(),
            name: "web-5d8f7b9c4".into(),
        }),
        pod_template_hash: Some("5d8f7b9c4".into()),
        containers: vec![LiveContainer {
            name: "app".into(),
            list: ContainerList::Container,
            image: "myimage:v1".into(),
            image_id: Some(image_id.into()).filter(|s: &String| !s.is_empty()),
            pull_policy: Some("IfNotPresent".into()),
        }],
    }
}

fn latest_rows() -> Vec<helm_why_diff::images::ImageRow> {
    let history = analyse(&[
        rev(1).manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:v1", ""))
    ]);
    history.revisions[0].rows.clone()
}

#[test]
fn replicas_with_different_digests_under_one_tag() {
    let pods = [
        pod(
            "web-5d8f7b9c4-aaaaa",
            "node-a",
            &format!("docker.io/library/myimage@{DIGEST_A}"),
        ),
        pod(
            "web-5d8f7b9c4-bbbbb",
            "node-b",
            &format!("docker-pullable://myimage@{DIGEST_B}"),
        ),
        pod(
            "web-5d8f7b9c4-ccccc",
            "node-a",
            &format!("docker.io/library/myimage@{DIGEST_A}"),
        ),
        // Pulled through another name: not comparable, not "different".
        pod(
            "web-5d8f7b9c4-ddddd",
            "node-c",
            &format!("mirror.local/cache/myimage@{DIGEST_B}"),
        ),
        // Not started yet.
        pod("web-5d8f7b9c4-eeeee", "node-c", ""),
    ];
    let live = live_images(&pods, &latest_rows());
    assert_eq!((live.pods_seen, live.pods_matched), (5, 5));
    let [group] = live.groups.as_slice() else {
        panic!("{:#?}", live.groups)
    };
    assert_eq!(group.verdict, LiveVerdict::Diverging);
    let digests: Vec<(&str, Vec<&str>, Vec<&str>)> = group
        .digests
        .iter()
        .map(|d| {
            (
                d.digest.as_str(),
                d.nodes.iter().map(String::as_str).collect(),
                d.pods.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        digests,
        [
            (
                DIGEST_A,
                vec!["node-a"],
                vec!["web-5d8f7b9c4-aaaaa", "web-5d8f7b9c4-ccccc"]
            ),
            (DIGEST_B, vec!["node-b"], vec!["web-5d8f7b9c4-bbbbb"]),
        ]
    );
    assert_eq!(group.ambiguous.len(), 1);
    assert_eq!(group.ambiguous[0].pod, "web-5d8f7b9c4-ddddd");
    assert_eq!(group.without_image_id, ["web-5d8f7b9c4-eeeee"]);
    let codes: Vec<(FindingCode, Severity)> =
        live.findings.iter().map(|f| (f.code, f.severity)).collect();
    assert_eq!(
        codes,
        [
            (FindingCode::DivergingDigests, Severity::High),
            (FindingCode::AmbiguousImageId, Severity::Low),
        ]
    );
    assert_eq!(
        live.findings[0].message,
        "3 pods run container app of Deployment shop/web as myimage:v1 but from 2 different \
         images: sha256:aaaaaaaaaaaa on node node-a (pods web-5d8f7b9c4-aaaaa, \
         web-5d8f7b9c4-ccccc); sha256:bbbbbbbbbbbb on node node-b (pod web-5d8f7b9c4-bbbbb). \
         The tag was pushed again and the nodes pulled it at different times, so which build \
         answers depends on the pod. Deploy by digest (or a new tag) to converge: restarting \
         pods with imagePullPolicy IfNotPresent keeps each node's copy"
    );
    assert_eq!(live.findings[0].revision, None);
}

#[test]
fn one_digest_and_a_mismatched_repository_is_ambiguous_not_diverging() {
    let pods = [
        pod("web-1", "node-a", &format!("myimage@{DIGEST_A}")),
        pod("web-2", "node-b", &format!("other.io/myimage@{DIGEST_B}")),
    ];
    let live = live_images(&pods, &latest_rows());
    assert_eq!(live.groups[0].verdict, LiveVerdict::Ambiguous);
    let codes: Vec<FindingCode> = live.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [FindingCode::AmbiguousImageId]);
    assert!(
        live.findings[0].message.contains(
            "the image ID names repository other.io/myimage, not docker.io/library/myimage"
        )
    );
}

#[test]
fn bare_ids_compare_among_themselves_and_are_ambiguous_next_to_repo_digests() {
    let only_bare = [
        pod("web-1", "node-a", DIGEST_A),
        pod("web-2", "node-b", &format!("docker://{DIGEST_A}")),
    ];
    let live = live_images(&only_bare, &latest_rows());
    assert_eq!(live.groups[0].verdict, LiveVerdict::Uniform);
    assert!(live.findings.is_empty());
    let mixed = [
        pod("web-1", "node-a", &format!("myimage@{DIGEST_A}")),
        pod("web-2", "node-b", DIGEST_B),
    ];
    let live = live_images(&mixed, &latest_rows());
    assert_eq!(live.groups[0].verdict, LiveVerdict::Ambiguous);
    assert_eq!(live.groups[0].digests.len(), 1);
}

#[test]
fn live_pull_policy_is_checked_against_the_chart() {
    let history = analyse(&[rev(1).manifest_doc(
        "web/templates/d.yaml",
        &deployment("web", "myimage:v1", "        imagePullPolicy: Always\n"),
    )]);
    let pods = [pod("web-1", "node-a", &format!("myimage@{DIGEST_A}"))];
    let live = live_images(&pods, &history.revisions[0].rows);
    let codes: Vec<FindingCode> = live.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [FindingCode::PullPolicyChangedNotApplied]);
    assert!(live.findings[0].message.starts_with(
        "the pods run container app of Deployment shop/web with imagePullPolicy IfNotPresent, but revision 1 of the chart gives Always (set in the chart)"
    ));
}

#[test]
fn pods_map_to_their_workloads_by_owner() {
    let key = |api: &str, kind: &str, name: &str| ResourceKey::new(api, kind, Some(NS), name);
    let workloads = [
        key("apps/v1", "Deployment", "web"),
        key("apps/v1", "StatefulSet", "db"),
        key("batch/v1", "CronJob", "nightly"),
        key("v1", "Pod", "debug"),
        key("apps/v1", "Deployment", "web-canary"),
    ];
    let owned = |kind: &str, name: &str, hash: Option<&str>| LivePod {
        name: "p".into(),
        namespace: NS.into(),
        node: None,
        owner: Some(PodOwner {
            kind: kind.into(),
            name: name.into(),
        }),
        pod_template_hash: hash.map(str::to_owned),
        containers: vec![],
    };
    let name_of =
        |p: &LivePod| workload_of_pod(p, &workloads).map(|k| format!("{}/{}", k.kind, k.name));
    assert_eq!(
        name_of(&owned("ReplicaSet", "web-canary-7f9", Some("7f9"))).as_deref(),
        Some("Deployment/web-canary")
    );
    assert_eq!(
        name_of(&owned("ReplicaSet", "web-6c5d", None)).as_deref(),
        Some("Deployment/web")
    );
    assert_eq!(
        name_of(&owned("StatefulSet", "db", None)).as_deref(),
        Some("StatefulSet/db")
    );
    assert_eq!(
        name_of(&owned("Job", "nightly-29000000", None)).as_deref(),
        Some("CronJob/nightly")
    );
    assert_eq!(name_of(&owned("Job", "nightly-manual", None)), None);
    assert_eq!(
        name_of(&owned("ReplicaSet", "other-abc", Some("abc"))),
        None
    );
    let mut bare = owned("x", "y", None);
    bare.owner = None;
    bare.name = "debug".into();
    assert_eq!(name_of(&bare).as_deref(), Some("Pod/debug"));
    bare.namespace = "elsewhere".into();
    assert_eq!(name_of(&bare), None);
}

// --- plan ---------------------------------------------------------------------------------

#[test]
fn plan_says_no_rollout_will_happen_and_flags_new_mutable_tags() {
    let template = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n      - name: app\n        image: myimage:{{ .Values.tag }}\n";
    let web = |replicas: u32| {
        deployment("web", "myimage:v1", "").replace("replicas: 2", &format!("replicas: {replicas}"))
    };
    let base = rev(1)
        .template("templates/web.yaml", template)
        .config(json!({"replicaCount": 2}))
        .manifest_doc("web/templates/web.yaml", &web(2))
        .manifest_doc(
            "web/templates/worker.yaml",
            &deployment("worker", "worker:1.0.0", ""),
        );
    let candidate = rev(2)
        .template("templates/web.yaml", template)
        .config(json!({"replicaCount": 3}))
        .manifest_doc("web/templates/web.yaml", &web(3))
        .manifest_doc(
            "web/templates/worker.yaml",
            &deployment("worker", "worker:stable", ""),
        );
    let releases = decode(&[base, candidate]);
    let scopes = ScopeResolver::builtin();
    let plan = plan_images(
        &RevisionView::new(&releases[0], &scopes),
        &RevisionView::new(&releases[1], &scopes),
    );
    let [no_rollout] = plan.no_rollout.as_slice() else {
        panic!("{plan:#?}")
    };
    assert_eq!(no_rollout.workload.name, "web");
    assert_eq!(no_rollout.touched_values, [".Values.replicaCount"]);
    assert_eq!(no_rollout.mutable_tag_containers, ["app"]);
    assert_eq!(
        no_rollout.message,
        ".Values.replicaCount changes, which Deployment shop/web's template reads, but its pod \
         template stays the same: no rollout will happen, its pods keep running — and a build \
         pushed again under the mutable tag of app will not ship"
    );
    let [new_tag] = plan.new_mutable_tags.as_slice() else {
        panic!("{plan:#?}")
    };
    assert_eq!(
        (new_tag.workload.name.as_str(), new_tag.image.as_str()),
        ("worker", "worker:stable")
    );
    assert_eq!(new_tag.tag_class, TagClass::Other);
}

#[test]
fn plan_without_chart_or_value_changes_says_nothing_about_rollouts() {
    let d = deployment("web", "myimage:v1", "");
    let releases = decode(&[
        rev(1).manifest_doc("web/templates/d.yaml", &d),
        rev(2).manifest_doc("web/templates/d.yaml", &d),
    ]);
    let scopes = ScopeResolver::builtin();
    let plan = plan_images(
        &RevisionView::new(&releases[0], &scopes),
        &RevisionView::new(&releases[1], &scopes),
    );
    assert_eq!(plan, Default::default());
}

#[test]
fn helper_init_containers_are_not_held_to_the_app_version() {
    let with_init = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: wait\n        image: busybox:1.36\n      containers:\n      - name: app\n        image: {image}\n"
        )
    };
    let history = analyse(&[
        superseded(rev(1)).manifest_doc("web/templates/d.yaml", &with_init("myimage:1.0.0")),
        rev(2)
            .app_version("1.1")
            .manifest_doc("web/templates/d.yaml", &with_init("myimage:1.0.0")),
    ]);
    let kept: Vec<&str> = only(&history, FindingCode::TagKeptAppVersionChanged)
        .iter()
        .map(|f| f.container.as_str())
        .collect();
    assert_eq!(kept, ["app"]);
    // The init container's partial version is still a mutable tag with IfNotPresent.
    let mutable = only(&history, FindingCode::MutableTagIfNotPresent);
    assert_eq!(mutable.len(), 1);
    assert!(
        mutable[0]
            .message
            .starts_with("init container wait of Deployment shop/web runs busybox:1.36")
    );
}

#[test]
fn pruned_revisions_are_skipped_when_comparing() {
    let history = analyse(&[
        superseded(rev(3))
            .manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:v1", "")),
        rev(7)
            .app_version("2.0")
            .manifest_doc("web/templates/d.yaml", &deployment("web", "myimage:v1", "")),
    ]);
    assert_eq!(history.revisions[0].compared_with, None);
    assert_eq!(history.revisions[1].compared_with, Some(3));
    let no_rollout = only(&history, FindingCode::NoRollout);
    assert_eq!(no_rollout.len(), 1);
    assert!(
        no_rollout[0]
            .message
            .starts_with("the upgrade changed the chart's appVersion (1.0 → 2.0) — but not"),
        "{}",
        no_rollout[0].message
    );
}
