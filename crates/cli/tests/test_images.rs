//! `images`: the per-revision image tables and findings, from records built as Helm writes
//! them, and the live comparison against pods served by the test API server.

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;
use serde_json::{Value, json};
use testkube::{RecordedRequest, TestCluster};

use crate::harness::{SecretsFile, output_connected, run_args};

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn deployment(image: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: app\n        image: {image}\n{extra}"
    )
}

fn configmap(greeting: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: {greeting}\n"
    )
}

const MIGRATE_HOOK: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: web-migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      initContainers:\n      - name: wait\n        image: busybox\n      containers:\n      - name: migrate\n        image: myimage:v1\n";

/// The issue's story: `myimage:v1` installed, then a new tag rolled out, then an upgrade that
/// changes only the ConfigMap (and the values behind it) — no rollout.
fn configmap_only_story() -> Vec<ReleaseBuilder> {
    let rev = |n: u64, image: &str, greeting: &str| {
        ReleaseBuilder::new("web", "shop", n)
            .chart("web", "0.1.0")
            .app_version("1.0")
            .config(json!({"greeting": greeting}))
            .manifest_doc("web/templates/deployment.yaml", &deployment(image, ""))
            .manifest_doc("web/templates/configmap.yaml", &configmap(greeting))
            .hook("web/templates/migrate.yaml", MIGRATE_HOOK)
    };
    vec![
        rev(1, "myimage:v1", "hello").status(Status::Superseded, "Install complete"),
        rev(2, "myimage:v1", "hello")
            .app_version("1.1")
            .status(Status::Superseded, "Upgrade complete"),
        rev(3, "myimage:v1", "hi").app_version("1.1"),
    ]
}

/// A pull policy defaulted at creation that a later `latest` tag does not change.
fn latest_story() -> Vec<ReleaseBuilder> {
    let rev = |n: u64, image: &str| {
        ReleaseBuilder::new("web", "shop", n)
            .chart("web", "0.1.0")
            .manifest_doc("web/templates/deployment.yaml", &deployment(image, ""))
    };
    vec![
        rev(1, "registry.example.com/team/web:1.4.2")
            .status(Status::Superseded, "Install complete"),
        rev(2, "registry.example.com/team/web:latest"),
    ]
}

fn write_records(builders: &[ReleaseBuilder]) -> SecretsFile {
    SecretsFile::new(builders)
}

#[test]
fn images_table_for_a_configmap_only_upgrade() {
    let records = write_records(&configmap_only_story());
    insta::assert_snapshot!(run_args(&["images", "web", "--from", records.path()]), @"
    REVISION 1 · chart web-0.1.0 · app 1.0
    WORKLOAD                CONTAINER    IMAGE       TAG CLASS        PULL POLICY   ROLLOUT?
    Deployment/web          app          myimage:v1  partial version  IfNotPresent  n/a
    Job/web-migrate (hook)  wait (init)  busybox     no tag (latest)  Always        n/a
    Job/web-migrate (hook)  migrate      myimage:v1  partial version  IfNotPresent  n/a
    (-o wide adds POLICY FROM)

    REVISION 2 · chart web-0.1.0 · app 1.1
    WORKLOAD                CONTAINER    IMAGE       TAG CLASS        PULL POLICY   ROLLOUT?
    Deployment/web          app          myimage:v1  partial version  IfNotPresent  no
    Job/web-migrate (hook)  wait (init)  busybox     no tag (latest)  Always        n/a
    Job/web-migrate (hook)  migrate      myimage:v1  partial version  IfNotPresent  n/a
    (-o wide adds POLICY FROM)

    REVISION 3 · chart web-0.1.0 · app 1.1
    WORKLOAD                CONTAINER    IMAGE       TAG CLASS        PULL POLICY   ROLLOUT?
    Deployment/web          app          myimage:v1  partial version  IfNotPresent  no
    Job/web-migrate (hook)  wait (init)  busybox     no tag (latest)  Always        n/a
    Job/web-migrate (hook)  migrate      myimage:v1  partial version  IfNotPresent  n/a
    (-o wide adds POLICY FROM)

    Findings: 4 causes, 7 findings: 4 medium
      medium [mutable-tag-if-not-present] myimage:v1: 2 times in 2 containers, revisions 1–3
        Deployment/web app (1–3), Job/web-migrate migrate (1–3)
        for example, revisions 1–3: container app of Deployment shop/web runs myimage:v1 with
          imagePullPolicy IfNotPresent (default: tag is not latest): `v1` is a partial version, usually
          moved to every new v1.x build. A node pulls the tag once and keeps that build, so nodes that
          pulled at different times run different builds under one name, and a build pushed again under
          the tag never reaches nodes that already have it. Use an immutable tag (a full version or
          build id) or a digest; imagePullPolicy Always makes each new pod pull the current build, but
          does not replace running pods
      medium [latest-tag] revisions 1–3: init container wait of Job shop/web-migrate (hook) uses busybox
        (no tag means `latest`, moved by every push) with imagePullPolicy Always (default: no tag means
        latest): every container start asks the registry what `latest` is now: slower starts, no start
        at all while the registry is unreachable, replicas started at different times run different
        builds, and a rollback cannot bring an older build back. Pin a version tag, or better a digest
      medium [no-rollout] myimage:v1: 2 times in 1 container, revisions 2–3
        Deployment/web app (2–3)
        for example, revision 2: the upgrade changed the chart's appVersion (1.0 → 1.1) — but not the
          pod template of Deployment shop/web, so Kubernetes replaced no pod: container app keeps
          running whatever myimage:v1 each node pulled earlier (`v1` is a partial version, usually moved
          to every new v1.x build), and a build pushed again under that tag did not ship. To roll when a
          ConfigMap or values change, put a checksum of them in a pod template annotation
          (checksum/config); to ship a new build, give it a new tag or deploy it by digest
      medium [tag-kept-app-version-changed] myimage:v1: 2 times in 2 containers, revision 2
        Deployment/web app (2), Job/web-migrate migrate (2)
        for example, revision 2: the chart's appVersion moved from 1.0 to 1.1, but container app of
          Deployment shop/web still runs myimage:v1 as in revision 1 — the same reference: the
          application changed only if a new build was pushed under myimage:v1 and the nodes pulled it,
          which no upgrade makes them do. Derive the tag from .Chart.AppVersion, or bump the image tag
          together with appVersion
    [exit status: 0]
    ");
}

#[test]
fn images_markdown_for_a_latest_tag() {
    let records = write_records(&latest_story());
    insta::assert_snapshot!(run_args(&["images", "web", "--from", records.path(), "-o", "markdown"]), @r#"
    ## Images of release `web` in namespace `shop`

    ### Revision 1 · chart web-0.1.0

    | WORKLOAD | CONTAINER | IMAGE | TAG CLASS | PULL POLICY | ROLLOUT? | POLICY FROM |
    |---|---|---|---|---|---|---|
    | Deployment/web | app | registry.example.com/team/web:1.4.2 | semver | IfNotPresent | n/a | default: tag is not latest |

    ### Revision 2 · chart web-0.1.0

    | WORKLOAD | CONTAINER | IMAGE | TAG CLASS | PULL POLICY | ROLLOUT? | POLICY FROM |
    |---|---|---|---|---|---|---|
    | Deployment/web | app | registry.example.com/team/web:latest | latest | Always | yes | default: tag is latest |

    ### Findings

    2 causes, 2 findings: 2 medium

    - **medium** `latest-tag` revision 2: container app of Deployment shop/web uses registry.example.com/team/web:latest (`latest` is moved by every push) with imagePullPolicy Always (default: tag is latest): every container start asks the registry what `latest` is now: slower starts, no start at all while the registry is unreachable, replicas started at different times run different builds, and a rollback cannot bring an older build back. Pin a version tag, or better a digest
    - **medium** `pull-policy-changed-not-applied` revision 2: container app of Deployment shop/web now has registry.example.com/team/web:latest and no imagePullPolicy, so a fresh install would get Always (default: tag is latest); but Kubernetes defaults an empty imagePullPolicy only when the object is created, and the live Deployment has held IfNotPresent since revision 1 (defaulted from registry.example.com/team/web:1.4.2 when it was created): its pods, including any this revision rolled out, keep IfNotPresent. Verify with `kubectl get deployment web -n shop -o jsonpath='{.spec.template.spec.containers[?(@.name=="app")].imagePullPolicy}'`; set imagePullPolicy explicitly in the chart to change it
    [exit status: 0]
    "#);
}

#[test]
fn images_json_follows_the_contract() {
    let records = write_records(&configmap_only_story());
    let out = crate::harness::helm_why()
        .args(["images", "web", "--from", records.path(), "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "finding_groups",
            "findings",
            "live",
            "namespace",
            "release",
            "revisions",
            "warnings"
        ]
    );
    assert_eq!(v["live"], Value::Null);
    let rev3 = &v["revisions"][2];
    let rev3_keys: Vec<&str> = rev3
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        rev3_keys,
        [
            "app_version",
            "applied",
            "chart",
            "compared_with",
            "revision",
            "rows"
        ]
    );
    assert_eq!(rev3["compared_with"], 2);
    let row = &rev3["rows"][0];
    let row_keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        row_keys,
        [
            "container",
            "explicit_pull_policy",
            "hook",
            "image",
            "list",
            "pull_policy",
            "pull_policy_rule",
            "reference",
            "reference_error",
            "revision",
            "rollout",
            "tag_class",
            "workload",
            "workload_kind"
        ]
    );
    assert_eq!(
        row["workload"],
        json!({"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "shop", "name": "web"})
    );
    assert_eq!(
        row["reference"],
        json!({"registry": "docker.io", "repository": "library/myimage", "tag": "v1", "digest": null})
    );
    assert_eq!(row["rollout"], "no");
    assert_eq!(row["tag_class"], "partial-version");
    assert_eq!(row["pull_policy"], "IfNotPresent");
    assert_eq!(row["pull_policy_rule"], "default-tag-not-latest");
    assert_eq!(row["explicit_pull_policy"], Value::Null);
    assert_eq!(row["workload_kind"], "Deployment");
    // The hook's rows follow the manifest's, init container first.
    let hook_rows: Vec<(&str, &str, &str)> = rev3["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["hook"] == true)
        .map(|r| {
            (
                r["container"].as_str().unwrap(),
                r["list"].as_str().unwrap(),
                r["rollout"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hook_rows,
        [("wait", "init", "n/a"), ("migrate", "container", "n/a")]
    );
    let findings: Vec<(&str, &str, Value, Value, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["revision"].clone(),
                f["last_revision"].clone(),
                f["container"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        findings.contains(&("no-rollout", "medium", json!(3), json!(3), "app")),
        "{findings:#?}"
    );
    let finding_keys: Vec<&str> = v["findings"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        finding_keys,
        [
            "code",
            "container",
            "image",
            "last_revision",
            "message",
            "revision",
            "severity",
            "workload"
        ]
    );
}

#[test]
fn images_of_an_unknown_release_is_an_error() {
    let records = write_records(&latest_story());
    let out = run_args(&["images", "nope", "--from", records.path()]);
    assert!(
        out.contains("helm-why: release \"nope\" not found in 1 file"),
        "{out}"
    );
    assert!(out.ends_with("[exit status: 1]\n"), "{out}");
}

// --- against a cluster ----------------------------------------------------------------------

/// A pod of Deployment `web` (ReplicaSet `web-5d8f7b9c4`) on `node` running `myimage:v1`,
/// reporting `image_id`.
fn web_pod(name: &str, node: &str, image_id: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": "shop",
            "labels": {"app": "web", "pod-template-hash": "5d8f7b9c4"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f7b9c4",
                "uid": "11111111-1111-4111-8111-111111111111", "controller": true,
            }],
        },
        "spec": {
            "nodeName": node,
            "containers": [{"name": "app", "image": "myimage:v1", "imagePullPolicy": "IfNotPresent"}],
        },
        "status": {
            "phase": "Running",
            "containerStatuses": [{
                "name": "app", "image": "docker.io/library/myimage:v1", "imageID": image_id,
                "ready": true, "restartCount": 0, "started": true,
                "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
            }],
        },
    })
}

#[test]
fn replicas_of_one_tag_running_different_digests() {
    let cluster = TestCluster::start();
    cluster.add_all(configmap_only_story().iter().map(ReleaseBuilder::secret));
    cluster.add_all([
        web_pod(
            "web-5d8f7b9c4-aaaaa",
            "node-a",
            &format!("docker.io/library/myimage@{DIGEST_A}"),
        ),
        web_pod(
            "web-5d8f7b9c4-bbbbb",
            "node-b",
            &format!("docker-pullable://myimage@{DIGEST_B}"),
        ),
        // Pulled through a mirror: another repository in the image ID, so not comparable.
        web_pod(
            "web-5d8f7b9c4-ccccc",
            "node-c",
            &format!("mirror.example.com/library/myimage@{DIGEST_B}"),
        ),
    ]);
    // A pod of something else in the namespace is listed but not matched.
    cluster.add(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "unrelated", "namespace": "shop"},
        "spec": {"containers": [{"name": "x", "image": "other:1"}]},
    }));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, cluster.kubeconfig(Some("shop"))).unwrap();

    let (code, stdout, stderr) = output_connected(&kubeconfig, &["images", "web"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    // The live table, and the findings about the live pods.
    let live_table = &stdout[stdout.find("LIVE PODS").unwrap()..stdout.find("Findings:").unwrap()];
    let live_findings: Vec<&str> = stdout.lines().filter(|l| l.contains("] live: ")).collect();
    insta::assert_snapshot!(format!("{live_table}{}", live_findings.join("\n")), @"
    LIVE PODS in namespace shop: 4 listed, 3 of this release's workloads
    WORKLOAD        CONTAINER  IMAGE       VERDICT    IMAGE ID                                                           NODES   PODS
    Deployment/web  app        myimage:v1  diverging  sha256:aaaaaaaaaaaa                                                node-a  web-5d8f7b9c4-aaaaa
                                                      sha256:bbbbbbbbbbbb                                                node-b  web-5d8f7b9c4-bbbbb
                                                      ambiguous: mirror.example.com/library/myimage@sha256:bbbbbbbbbbbb  node-c  web-5d8f7b9c4-ccccc

      high [diverging-digests] live: 2 pods run container app of Deployment shop/web as myimage:v1 but from 2 different images: sha256:aaaaaaaaaaaa on node node-a (pod web-5d8f7b9c4-aaaaa); sha256:bbbbbbbbbbbb on node node-b (pod web-5d8f7b9c4-bbbbb). The tag was pushed again and the nodes pulled it at different times, so which build answers depends on the pod. Deploy by digest (or a new tag) to converge: restarting pods with imagePullPolicy IfNotPresent keeps each node's copy
      low [ambiguous-image-id] live: container app of Deployment shop/web (myimage:v1): 1 image ID cannot be compared with the other replicas, so it is not counted as different. pod web-5d8f7b9c4-ccccc reports mirror.example.com/library/myimage@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb: the image ID names repository mirror.example.com/library/myimage, not docker.io/library/myimage: the node resolved the image under another name (a mirror or a retagged copy), so its digest says nothing about myimage:v1
    ");

    let (code, json_out, _) = output_connected(&kubeconfig, &["images", "web", "-o", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(v["live"]["pods_listed"], 4);
    assert_eq!(v["live"]["pods_matched"], 3);
    let group = &v["live"]["groups"][0];
    assert_eq!(group["verdict"], "diverging");
    assert_eq!(group["digests"][0]["digest"], DIGEST_A);
    assert_eq!(group["digests"][0]["nodes"], json!(["node-a"]));
    assert_eq!(group["digests"][1]["pods"], json!(["web-5d8f7b9c4-bbbbb"]));
    assert_eq!(group["ambiguous"][0]["pod"], "web-5d8f7b9c4-ccccc");
    let live_codes: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["revision"].is_null())
        .map(|f| (f["code"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        live_codes,
        [("diverging-digests", "high"), ("ambiguous-image-id", "low")]
    );

    // Read-only: two runs, each one LIST of the records and one LIST of the pods.
    let log = cluster.requests();
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "helm-why must only read: {log:#?}"
    );
    let lines: Vec<String> = log.iter().map(RecordedRequest::to_string).collect();
    assert_eq!(
        lines,
        [
            "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=web&limit=100",
            "GET /api/v1/namespaces/shop/pods?labelSelector=&limit=100",
            "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=web&limit=100",
            "GET /api/v1/namespaces/shop/pods?labelSelector=&limit=100",
        ]
    );
}

#[test]
fn pods_that_cannot_be_listed_are_a_warning() {
    let cluster = TestCluster::start();
    cluster.add_all(latest_story().iter().map(ReleaseBuilder::secret));
    cluster.fail_path("/api/v1/namespaces/shop/pods", 403);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, cluster.kubeconfig(Some("shop"))).unwrap();
    let (code, stdout, stderr) = output_connected(&kubeconfig, &["images", "web"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("REVISION 1"), "{stdout}");
    assert!(!stdout.contains("LIVE PODS"));
    insta::assert_snapshot!(stderr, @r#"warning: the live pods were not checked: forbidden: helm-why needs list on pods in namespace "shop": pods is forbidden: User "system:serviceaccount:default:test" cannot list resource "pods" in API group "" in the namespace "shop" (grant list on pods to compare the images the replicas really run)"#);
    assert!(cluster.requests().iter().all(|r| r.method == "GET"));
}

/// Ten revisions of a Deployment with four containers on one mutable tag, each upgrade
/// changing only the values: one cause, found again and again.
fn ten_by_four() -> Vec<ReleaseBuilder> {
    let containers: String = ["app", "worker", "cron", "metrics"]
        .iter()
        .map(|c| format!("      - name: {c}\n        image: myimage:v1\n"))
        .collect();
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n{containers}"
    );
    (1..=10)
        .map(|n| {
            let b = ReleaseBuilder::new("web", "shop", n)
                .chart("web", "0.1.0")
                .config(json!({"replicas": n}))
                .manifest_doc("web/templates/deployment.yaml", &deployment);
            if n < 10 {
                b.status(Status::Superseded, "Upgrade complete")
            } else {
                b
            }
        })
        .collect()
}

#[test]
fn one_cause_in_ten_revisions_and_four_containers_is_one_line() {
    let records = write_records(&ten_by_four());
    // The table prints one line per cause, not 40.
    let table = run_args(&["images", "web", "--from", records.path()]);
    let findings = &table[table.find("Findings:").unwrap()..];
    insta::assert_snapshot!(findings, @"
    Findings: 2 causes, 40 findings: 2 medium
      medium [mutable-tag-if-not-present] myimage:v1: 4 times in 4 containers, revisions 1–10
        Deployment/web app (1–10), Deployment/web cron (1–10), Deployment/web metrics (1–10),
        Deployment/web worker (1–10)
        for example, revisions 1–10: container app of Deployment shop/web runs myimage:v1 with
          imagePullPolicy IfNotPresent (default: tag is not latest): `v1` is a partial version, usually
          moved to every new v1.x build. A node pulls the tag once and keeps that build, so nodes that
          pulled at different times run different builds under one name, and a build pushed again under
          the tag never reaches nodes that already have it. Use an immutable tag (a full version or
          build id) or a digest; imagePullPolicy Always makes each new pod pull the current build, but
          does not replace running pods
      medium [no-rollout] myimage:v1: 36 times in 4 containers, revisions 2–10
        Deployment/web app (2–10), Deployment/web cron (2–10), Deployment/web metrics (2–10),
        Deployment/web worker (2–10)
        for example, revision 2: the upgrade changed the values (.Values.replicas) — but not the pod
          template of Deployment shop/web, so Kubernetes replaced no pod: container app keeps running
          whatever myimage:v1 each node pulled earlier (`v1` is a partial version, usually moved to
          every new v1.x build), and a build pushed again under that tag did not ship. To roll when a
          ConfigMap or values change, put a checksum of them in a pod template annotation
          (checksum/config); to ship a new build, give it a new tag or deploy it by digest
    [exit status: 0]
    ");
    // JSON keeps every place: 4 mutable-tag findings, 36 no-rollout ones.
    let out = crate::harness::helm_why()
        .args(["images", "web", "--from", records.path(), "-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 40);
    let groups = v["finding_groups"].as_array().unwrap();
    let sizes: Vec<(&str, usize, usize)> = groups
        .iter()
        .map(|g| {
            (
                g["code"].as_str().unwrap(),
                g["findings"].as_array().unwrap().len(),
                g["places"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        sizes,
        [("mutable-tag-if-not-present", 4, 4), ("no-rollout", 36, 4)]
    );
    assert_eq!(groups[1]["places"][0]["revisions"], json!([[2, 10]]));
    let finding_lines = table
        .lines()
        .filter(|l| l.starts_with("  medium ["))
        .count();
    assert_eq!(finding_lines, 2, "{table}");
    let md = run_args(&["images", "web", "--from", records.path(), "-o", "markdown"]);
    let md_findings = &md[md.find("### Findings").unwrap()..];
    insta::assert_snapshot!(md_findings, @"
    ### Findings

    2 causes, 40 findings: 2 medium

    - **medium** `mutable-tag-if-not-present` `myimage:v1`: 4 times in 4 containers, revisions 1–10: Deployment/web app (1–10), Deployment/web cron (1–10), Deployment/web metrics (1–10), Deployment/web worker (1–10)
      - for example, revisions 1–10: container app of Deployment shop/web runs myimage:v1 with imagePullPolicy IfNotPresent (default: tag is not latest): `v1` is a partial version, usually moved to every new v1.x build. A node pulls the tag once and keeps that build, so nodes that pulled at different times run different builds under one name, and a build pushed again under the tag never reaches nodes that already have it. Use an immutable tag (a full version or build id) or a digest; imagePullPolicy Always makes each new pod pull the current build, but does not replace running pods
    - **medium** `no-rollout` `myimage:v1`: 36 times in 4 containers, revisions 2–10: Deployment/web app (2–10), Deployment/web cron (2–10), Deployment/web metrics (2–10), Deployment/web worker (2–10)
      - for example, revision 2: the upgrade changed the values (.Values.replicas) — but not the pod template of Deployment shop/web, so Kubernetes replaced no pod: container app keeps running whatever myimage:v1 each node pulled earlier (`v1` is a partial version, usually moved to every new v1.x build), and a build pushed again under that tag did not ship. To roll when a ConfigMap or values change, put a checksum of them in a pod template annotation (checksum/config); to ship a new build, give it a new tag or deploy it by digest
    [exit status: 0]
    ");
}

#[test]
fn images_filters_by_container_revision_and_severity() {
    let records = write_records(&configmap_only_story());
    let out = run_args(&[
        "images",
        "web",
        "--from",
        records.path(),
        "--container",
        "migrate",
        "--revision",
        "2",
    ]);
    insta::assert_snapshot!(out, @"
    REVISION 2 · chart web-0.1.0 · app 1.1
    WORKLOAD                CONTAINER  IMAGE       TAG CLASS        PULL POLICY   ROLLOUT?
    Job/web-migrate (hook)  migrate    myimage:v1  partial version  IfNotPresent  n/a
    (-o wide adds POLICY FROM)

    Findings: 2 causes, 2 findings: 2 medium
      medium [mutable-tag-if-not-present] revisions 1–3: container migrate of Job shop/web-migrate
        (hook) runs myimage:v1 with imagePullPolicy IfNotPresent (default: tag is not latest): `v1` is a
        partial version, usually moved to every new v1.x build. A node pulls the tag once and keeps that
        build, so nodes that pulled at different times run different builds under one name, and a build
        pushed again under the tag never reaches nodes that already have it. Use an immutable tag (a
        full version or build id) or a digest; imagePullPolicy Always makes each new pod pull the
        current build, but does not replace running pods
      medium [tag-kept-app-version-changed] revision 2: the chart's appVersion moved from 1.0 to 1.1,
        but container migrate of Job shop/web-migrate (hook) still runs myimage:v1 as in revision 1 —
        the same reference: the application changed only if a new build was pushed under myimage:v1 and
        the nodes pulled it, which no upgrade makes them do. Derive the tag from .Chart.AppVersion, or
        bump the image tag together with appVersion
    [exit status: 0]
    ");
    let out = run_args(&[
        "images",
        "web",
        "--from",
        records.path(),
        "--severity",
        "high",
    ]);
    assert!(out.contains("No findings."), "{out}");
    insta::assert_snapshot!(run_args(&["images", "web", "--from", records.path(), "--container", "nope"]), @r#"
    ------- stderr -------
    helm-why: release web has no container named "nope"
    hint: its containers: app, migrate, wait
    [exit status: 1]
    "#);
    insta::assert_snapshot!(run_args(&["images", "web", "--from", records.path(), "--revision", "9"]), @"
    ------- stderr -------
    helm-why: release web has no stored revision 9
    hint: run `helm-why history` to see the revisions
    [exit status: 1]
    ");
}

#[test]
fn images_fit_80_columns() {
    let records = write_records(&configmap_only_story());
    let out = crate::harness::run(crate::harness::helm_why().env("COLUMNS", "80").args([
        "images",
        "web",
        "--from",
        records.path(),
        "--revision",
        "3",
    ]));
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "{line:?}\n{out}");
    }
    insta::assert_snapshot!(out, @"
    REVISION 3 · chart web-0.1.0 · app 1.1
    WORKLOAD                CONTAINER    IMAGE       TAG CLASS        ROLLOUT?
    Deployment/web          app          myimage:v1  partial version  no
    Job/web-migrate (hook)  wait (init)  busybox     no tag (latest)  n/a
    Job/web-migrate (hook)  migrate      myimage:v1  partial version  n/a
    (-o wide adds POLICY FROM, PULL POLICY)

    Findings: 3 causes, 4 findings: 3 medium
      medium [mutable-tag-if-not-present] myimage:v1: 2 times in 2 containers,
        revisions 1–3
        Deployment/web app (1–3), Job/web-migrate migrate (1–3)
        for example, revisions 1–3: container app of Deployment shop/web runs
          myimage:v1 with imagePullPolicy IfNotPresent (default: tag is not latest):
          `v1` is a partial version, usually moved to every new v1.x build. A node
          pulls the tag once and keeps that build, so nodes that pulled at different
          times run different builds under one name, and a build pushed again under
          the tag never reaches nodes that already have it. Use an immutable tag (a
          full version or build id) or a digest; imagePullPolicy Always makes each
          new pod pull the current build, but does not replace running pods
      medium [latest-tag] revisions 1–3: init container wait of Job shop/web-migrate
        (hook) uses busybox (no tag means `latest`, moved by every push) with
        imagePullPolicy Always (default: no tag means latest): every container start
        asks the registry what `latest` is now: slower starts, no start at all while
        the registry is unreachable, replicas started at different times run
        different builds, and a rollback cannot bring an older build back. Pin a
        version tag, or better a digest
      medium [no-rollout] revision 3: the upgrade changed the values
        (.Values.greeting) and the manifest (changed ConfigMap shop/web-config) —
        but not the pod template of Deployment shop/web, so Kubernetes replaced no
        pod: container app keeps running whatever myimage:v1 each node pulled
        earlier (`v1` is a partial version, usually moved to every new v1.x build),
        and a build pushed again under that tag did not ship. To roll when a
        ConfigMap or values change, put a checksum of them in a pod template
        annotation (checksum/config); to ship a new build, give it a new tag or
        deploy it by digest
    [exit status: 0]
    ");
}
