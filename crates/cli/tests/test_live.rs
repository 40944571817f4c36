//! The real `helm-why` binary against a test API server holding both the release records and
//! the live objects: `explain` and `timeline` compare what the records imply with what the
//! cluster has, learn the scope of custom kinds from API discovery, and never fail because one
//! kind cannot be read. Every request must be a GET.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::{HookEvent, Status};
use serde_json::{Value, json};
use testkube::{RecordedRequest, TestCluster};

const NS: &str = "shop";
const DEPLOYMENT: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a1-app\nspec:\n  replicas: 1";
const CONFIG: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1-app-config\ndata:\n  mode: fast";
const CONFIG_HOOK: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1-app-config\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-5\"\ndata:\n  mode: fast";

/// `last_deployed` of revision `rev`: ten minutes apart from 10:00.
fn at(rev: u64) -> String {
    format!("2026-03-01T10:{:02}:00Z", (rev - 1) * 10)
}

/// The S1 story: chart 0.1.0 installs a Deployment and a ConfigMap; 0.2.0 turns the ConfigMap
/// into a `pre-install,pre-upgrade` hook (revisions 2 and 3, the hook ran at both).
fn s1_records() -> Vec<Value> {
    let rev = |n: u64| {
        ReleaseBuilder::new("a1", NS, n)
            .chart("a1-app", if n == 1 { "0.1.0" } else { "0.2.0" })
            .times(&at(1), &at(n))
            .manifest_doc("a1-app/templates/deployment.yaml", DEPLOYMENT)
    };
    vec![
        rev(1)
            .manifest_doc("a1-app/templates/configmap.yaml", CONFIG)
            .status(Status::Superseded, "Install complete")
            .secret(),
        rev(2)
            .hook("a1-app/templates/configmap.yaml", CONFIG_HOOK)
            .hooks_ran_for(&[HookEvent::PreUpgrade])
            .status(Status::Superseded, "Upgrade complete")
            .secret(),
        rev(3)
            .hook("a1-app/templates/configmap.yaml", CONFIG_HOOK)
            .hooks_ran_for(&[HookEvent::PreUpgrade])
            .status(Status::Deployed, "Upgrade complete")
            .secret(),
    ]
}

/// Metadata with Helm's ownership metadata for `release`, plus `extra` annotations.
fn owned_metadata(release: &str, name: &str, created: &str, extra: Value) -> Value {
    let mut annotations = json!({
        "meta.helm.sh/release-name": release,
        "meta.helm.sh/release-namespace": NS,
    });
    if let (Some(a), Some(e)) = (annotations.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    json!({
        "name": name, "namespace": NS, "creationTimestamp": created,
        "labels": {"app.kubernetes.io/managed-by": "Helm"},
        "annotations": annotations,
    })
}

/// The Deployment Helm created at revision 1, still there.
fn live_deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": owned_metadata("a1", "a1-app", "2026-03-01T10:00:01Z", json!({})),
        "spec": {"replicas": 1}})
}

/// The ConfigMap the pre-upgrade hook of revision 3 created: no ownership metadata.
fn live_hook_configmap() -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "a1-app-config", "namespace": NS,
            "creationTimestamp": "2026-03-01T10:20:01Z",
            "uid": "7c2f0d4e-0000-4000-8000-00000000c0de",
            "annotations": {"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5"}},
        "data": {"mode": "fast"}})
}

/// A kubeconfig file in a temporary directory.
struct Kubeconfig {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn kubeconfig(cluster: &TestCluster) -> Kubeconfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, cluster.kubeconfig(Some(NS))).unwrap();
    Kubeconfig { _dir: dir, path }
}

/// Run the binary with the harness's empty environment plus `KUBECONFIG`; stdout, then
/// stderr, then the exit status, as one text.
fn helm_why(kubeconfig: impl AsRef<OsStr>, args: &[&str]) -> String {
    crate::harness::run(
        crate::harness::helm_why()
            .env("KUBECONFIG", kubeconfig.as_ref())
            .args(args),
    )
}

/// The request log, one line per request; asserts first that nothing but GET was ever sent.
fn requests(cluster: &TestCluster) -> Vec<String> {
    let log = cluster.requests();
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "helm-why must only read: {log:#?}"
    );
    cluster.clear_requests();
    log.iter().map(RecordedRequest::to_string).collect()
}

const RECORDS: &str =
    "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=a1&limit=100";

/// The request log with the GETs of objects (after the last discovery request) sorted: they
/// run concurrently.
fn gets_sorted(mut log: Vec<String>) -> Vec<String> {
    let discovery = |r: &String| {
        let path = r.trim_start_matches("GET ");
        path == "/api/v1" || (path.starts_with("/apis/") && path.matches('/').count() == 3)
    };
    let objects = log.iter().rposition(discovery).map_or(0, |i| i + 1);
    log[objects..].sort();
    log
}

/// The other releases of the namespace, read by explain and timeline to tell whether one of
/// them deleted or took over the release's objects.
const NEIGHBOURS: &str = "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm&limit=100";

#[test]
fn explain_sees_the_hook_made_configmap_helm_cannot_adopt() {
    let cluster = TestCluster::start();
    cluster.add_all(s1_records());
    cluster.add(live_deployment()).add(live_hook_configmap());
    let kc = kubeconfig(&cluster);
    insta::assert_snapshot!(helm_why(&kc.path, &["explain", "a1", "cm/a1-app-config"]), @r#"
    ConfigMap shop/a1-app-config in release a1 (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-03-01 10:00:00 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-03-01 10:10:00 UTC
      pre-upgrade: delete (moved-to-hook) — before-hook-creation of the pre-upgrade hook
        a1-app/templates/configmap.yaml deletes the live ConfigMap (applied by revision 1's manifest)
        without any ownership check
      pre-upgrade: hook-create (hook) — the pre-upgrade hook a1-app/templates/configmap.yaml creates it
        (weight -5)
      delete: delete (moved-to-hook) — deleted: it became a hook (pre-install,pre-upgrade, delete policy
        before-hook-creation) in a1-app/templates/configmap.yaml, and hooks are not tracked, so the
        upgrade treats it as removed; the hook recreated it just before, so the object the hook made is
        the one deleted — it comes back on the next upgrade, as a hook, without Helm's ownership
        metadata
    revision 3 · upgrade · 2026-03-01 10:20:00 UTC
      pre-upgrade: hook-create (hook) — the pre-upgrade hook a1-app/templates/configmap.yaml creates it
        again — as a hook: no Helm ownership metadata, never deleted by upgrades or uninstall
      after: orphan (hook) — present but untracked: the hook of revision 3 created it; no upgrade or
        uninstall will delete it

    Now: expected present, but no revision tracks it — the hook of revision 3 created it; no upgrade or
    uninstall will delete it

    Live (context test): exists · uid 7c2f0d4e-0000-4000-8000-00000000c0de · created 2026-03-01 10:20:01
      UTC · no Helm ownership metadata
      agrees: expected present, and it exists
      agrees: created by a hook or outside Helm: Helm cannot adopt it — it lacks label
        app.kubernetes.io/managed-by=Helm, annotation meta.helm.sh/release-name=a1, annotation
        meta.helm.sh/release-namespace=shop; an upgrade that renders it as a tracked object fails with:
        ConfigMap "a1-app-config" in namespace "shop" exists and cannot be imported into the current
        release: invalid ownership metadata
    [exit status: 0]
    "#);
    assert_eq!(
        requests(&cluster),
        [
            RECORDS,
            NEIGHBOURS,
            "GET /api/v1",
            "GET /api/v1/namespaces/shop/configmaps/a1-app-config",
        ]
    );

    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("KUBECONFIG", &kc.path)
        .args(["explain", "a1", "cm/a1-app-config", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["expected_present"], true);
    assert_eq!(v["observed_present"], true);
    insta::assert_snapshot!(serde_json::to_string_pretty(&v["observed"]).unwrap(), @r#"
    {
      "checks": [
        {
          "agrees": true,
          "code": "agrees",
          "message": "expected present, and it exists"
        },
        {
          "agrees": true,
          "code": "not-adoptable",
          "message": "created by a hook or outside Helm: Helm cannot adopt it — it lacks label app.kubernetes.io/managed-by=Helm, annotation meta.helm.sh/release-name=a1, annotation meta.helm.sh/release-namespace=shop; an upgrade that renders it as a tracked object fails with: ConfigMap \"a1-app-config\" in namespace \"shop\" exists and cannot be imported into the current release: invalid ownership metadata"
        }
      ],
      "created": "2026-03-01T10:20:01Z",
      "owned_by_release": false,
      "ownership": {
        "managed_by": null,
        "release_name": null,
        "release_namespace": null
      },
      "reason": null,
      "resource_policy": null,
      "status": "present",
      "uid": "7c2f0d4e-0000-4000-8000-00000000c0de"
    }
    "#);
    requests(&cluster);
}

#[test]
fn a_missing_object_and_a_recreated_one_are_disagreements() {
    let cluster = TestCluster::start();
    cluster.add_all(s1_records());
    // The Deployment was deleted outside Helm; the ConfigMap is the hook's.
    cluster.add(live_hook_configmap());
    let kc = kubeconfig(&cluster);
    insta::assert_snapshot!(helm_why(&kc.path, &["timeline", "a1"]), @r#"
    Verdict: 1 high, 2 medium hazards (listed below)

    OBJECT                   1 install  2 upgrade  3 upgrade          LIVE
    ConfigMap/a1-app-config  created    deleted    recreated-by-hook  exists
    Deployment.apps/a1-app   created    unchanged  unchanged          missing

    Live (context test):
      Deployment.apps/a1-app: differs: expected present, but the cluster has no such object: it was
        deleted outside what the records show (kubectl, a controller, a namespace deletion); the next
        upgrade that renders it creates it again

    Hazards: 1 high, 2 medium
      high [deleted-after-hook-conversion] release a1, revision 2, ConfigMap shop/a1-app-config:
        deleted: it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation) in
        a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade treats it as removed;
        the hook recreated it just before, so the object the hook made is the one deleted — it comes
        back on the next upgrade, as a hook, without Helm's ownership metadata
      medium [untracked-hook-object] release a1, revision 3, ConfigMap shop/a1-app-config: present but
        untracked: the hook of revision 3 created it; no upgrade or uninstall will delete it
      medium [rollback-will-fail] release a1, revision 3, ConfigMap shop/a1-app-config: helm rollback to
        revision 1 will fail (Helm's error: no ConfigMap with the name "a1-app-config" found): ConfigMap
        a1-app-config exists in the cluster (a hook of revision 3 created it) but revision 3, where a
        rollback starts, does not track it; nothing is applied past it and the rollback revision is
        stored failed
    [exit status: 0]
    "#);
    // The GETs of the objects run concurrently: their order is not fixed.
    assert_eq!(
        gets_sorted(requests(&cluster)),
        [
            RECORDS,
            NEIGHBOURS,
            "GET /api/v1",
            "GET /apis/apps/v1",
            "GET /api/v1/namespaces/shop/configmaps/a1-app-config",
            "GET /apis/apps/v1/namespaces/shop/deployments/a1-app",
        ]
    );
    insta::assert_snapshot!(helm_why(&kc.path, &["explain", "a1", "deploy/a1-app"]), @"
    Deployment.apps shop/a1-app in release a1 (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-03-01 10:00:00 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-03-01 10:10:00 UTC
      apply: unchanged — unchanged
    revision 3 · upgrade · 2026-03-01 10:20:00 UTC
      apply: unchanged — unchanged

    Now: expected present and tracked by revision 3 (the deployed revision, which the next upgrade diffs
    against).

    Live (context test): missing
      differs: expected present, but the cluster has no such object: it was deleted outside what the
        records show (kubectl, a controller, a namespace deletion); the next upgrade that renders it
        creates it again
    [exit status: 0]
    ");

    // Now it is back, made after revision 3 began, with a live keep the manifest lacks.
    let mut recreated = live_deployment();
    recreated["metadata"] = owned_metadata(
        "a1",
        "a1-app",
        "2026-03-01T10:25:00Z",
        json!({"helm.sh/resource-policy": "keep"}),
    );
    cluster.add(recreated);
    requests(&cluster);
    insta::assert_snapshot!(helm_why(&kc.path, &["explain", "a1", "deployment.apps/a1-app"]), @"
    Deployment.apps shop/a1-app in release a1 (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-03-01 10:00:00 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-03-01 10:10:00 UTC
      apply: unchanged — unchanged
    revision 3 · upgrade · 2026-03-01 10:20:00 UTC
      apply: unchanged — unchanged

    Now: expected present and tracked by revision 3 (the deployed revision, which the next upgrade diffs
    against).

    Live (context test): exists · uid 00000000-0000-4000-8000-000000000005 · created 2026-03-01 10:25:00
      UTC · owned by release a1 · helm.sh/resource-policy: keep
      agrees: expected present, and it exists
      differs: recreated after revision 3 (new uid 00000000-0000-4000-8000-000000000005): created
        2026-03-01 10:25:00 UTC, after revision 3 began (2026-03-01 10:20:00 UTC), which applied it to
        an existing object
      differs: the live object has helm.sh/resource-policy: keep, the manifest of revision 3 does not:
        Helm's upgrade reads the live annotation, so an upgrade that drops it from the chart keeps it
        (uninstall reads the stored manifest and deletes it)
    [exit status: 0]
    ");
    insta::assert_snapshot!(helm_why(&kc.path, &["timeline", "a1", "-o", "markdown"]), @r#"
    ## Release `a1` in namespace `shop` (Helm 3.21.4 rules)

    **Verdict:** 1 high, 2 medium hazards (listed below)

    | OBJECT | 1 install | 2 upgrade | 3 upgrade | LIVE |
    |---|---|---|---|---|
    | ConfigMap/a1-app-config | created | deleted | recreated-by-hook | exists |
    | Deployment.apps/a1-app | created | unchanged | unchanged | exists |

    ### Live (context test):
    - Deployment.apps/a1-app: differs: recreated after revision 3 (new uid 00000000-0000-4000-8000-000000000005): created 2026-03-01 10:25:00 UTC, after revision 3 began (2026-03-01 10:20:00 UTC), which applied it to an existing object
    - Deployment.apps/a1-app: differs: the live object has helm.sh/resource-policy: keep, the manifest of revision 3 does not: Helm's upgrade reads the live annotation, so an upgrade that drops it from the chart keeps it (uninstall reads the stored manifest and deletes it)

    ### Hazards: 1 high, 2 medium

    - **high** `deleted-after-hook-conversion` release `a1`, revision 2, `ConfigMap shop/a1-app-config`: deleted: it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation) in a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade treats it as removed; the hook recreated it just before, so the object the hook made is the one deleted — it comes back on the next upgrade, as a hook, without Helm's ownership metadata
    - **medium** `untracked-hook-object` release `a1`, revision 3, `ConfigMap shop/a1-app-config`: present but untracked: the hook of revision 3 created it; no upgrade or uninstall will delete it
    - **medium** `rollback-will-fail` release `a1`, revision 3, `ConfigMap shop/a1-app-config`: helm rollback to revision 1 will fail (Helm's error: no ConfigMap with the name "a1-app-config" found): ConfigMap a1-app-config exists in the cluster (a hook of revision 3 created it) but revision 3, where a rollback starts, does not track it; nothing is applied past it and the rollback revision is stored failed

    ### Diagram

    ```mermaid
    flowchart LR
      subgraph o0["ConfigMap/a1-app-config"]
        direction LR
        o0n0["1 · created"]:::created
        o0n1["2 · deleted"]:::deleted
        o0n2["3 · recreated-by-hook"]:::hook
        o0n0 --> o0n1 --> o0n2
      end
      classDef created fill:#c8ecdf,stroke:#009e73,color:#000
      classDef patched fill:#cfe3f3,stroke:#0072b2,color:#000
      classDef quiet fill:#f2f2f2,stroke:#999999,color:#000
      classDef deleted fill:#f6cdb0,stroke:#d55e00,color:#000
      classDef hook fill:#f3d7e7,stroke:#cc79a7,color:#000
      classDef kept fill:#fbe3b0,stroke:#e69f00,color:#000
      classDef failed fill:#f5b5bf,stroke:#b00020,color:#000
      classDef unknown fill:#e6e6e6,stroke:#666666,color:#000,stroke-dasharray:4
    ```

    1 object created and never changed since not drawn.
    [exit status: 0]
    "#);
    requests(&cluster);
}

/// A release with a custom kind whose CRD says it is cluster-scoped.
fn tenant_records() -> Vec<Value> {
    vec![
        ReleaseBuilder::new("tenants", NS, 1)
            .chart("tenants", "1.0.0")
            .times(&at(1), &at(1))
            .manifest_doc(
                "tenants/templates/tenant.yaml",
                "apiVersion: example.com/v1\nkind: Tenant\nmetadata:\n  name: acme\nspec:\n  tier: gold",
            )
            .status(Status::Deployed, "Install complete")
            .secret(),
    ]
}

#[test]
fn discovery_makes_a_custom_kind_cluster_scoped_without_a_flag() {
    let cluster = TestCluster::start();
    cluster.add_all(tenant_records());
    cluster.add(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tenants.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster",
            "names": {"kind": "Tenant", "plural": "tenants"},
            "versions": [{"name": "v1", "served": true, "storage": true}]},
    }));
    cluster.add(json!({"apiVersion": "example.com/v1", "kind": "Tenant",
        "metadata": owned_metadata("tenants", "acme", "2026-03-01T10:00:01Z", json!({})),
        "spec": {"tier": "gold"}}));
    let kc = kubeconfig(&cluster);
    insta::assert_snapshot!(helm_why(&kc.path, &["explain", "tenants", "tenant/acme"]), @"
    Tenant.example.com acme in release tenants (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-03-01 10:00:00 UTC
      apply: create (added) — created by the install

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs
    against).

    Live (context test): exists · uid 00000000-0000-4000-8000-000000000003 · created 2026-03-01 10:00:01
      UTC · owned by release tenants
      agrees: expected present, and it exists
    [exit status: 0]
    ");
    // One discovery request for example.com/v1, shared by the scope and the GET. A Tenant
    // goes with its CRD, which a release of any namespace may own (and the object is
    // cluster-scoped): every namespace's releases are searched, in one LIST.
    assert_eq!(
        requests(&cluster),
        [
            "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=tenants&limit=100",
            "GET /apis/example.com/v1",
            "GET /api/v1/secrets?labelSelector=owner=helm&limit=100",
            "GET /apis/example.com/v1/tenants/acme",
        ]
    );

    // history names the objects with the discovered scope too.
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("KUBECONFIG", &kc.path)
        .args(["history", "tenants", "-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["revisions"][0]["added"][0],
        json!({"group": "example.com", "version": "v1", "kind": "Tenant", "namespace": null, "name": "acme"})
    );
    assert_eq!(
        requests(&cluster),
        [
            "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=tenants&limit=100",
            "GET /apis/example.com/v1",
        ]
    );

    // The same records read from a file: offline, a custom kind is assumed namespaced.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "List",
        "items": tenant_records()}))
        .unwrap(),
    )
    .unwrap();
    let offline = helm_why(
        &kc.path,
        &[
            "explain",
            "tenants",
            "tenant/acme",
            "--from",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        offline.starts_with("Tenant.example.com shop/acme in release tenants"),
        "{offline}"
    );

    // Discovery refused: a warning, the built-in rule, and the live object is not checked.
    cluster.fail_path("/apis/example.com/", 403);
    insta::assert_snapshot!(helm_why(&kc.path, &["timeline", "tenants"]), @r#"
    Verdict: no hazards found

    OBJECT                   1 install  LIVE
    Tenant.example.com/acme  created    ?

    Live (context test):
      Tenant.example.com/acme: not checked: cannot discover example.com/v1: forbidden: User
        "system:serviceaccount:default:test" cannot get path "/apis/example.com/v1" (403)
    ------- stderr -------
    warning: API discovery of example.com/v1 failed (forbidden: User "system:serviceaccount:default:test" cannot get path "/apis/example.com/v1" (403)): Tenant.example.com is taken as namespaced (--cluster-scoped KIND.GROUP declares a cluster-scoped kind)
    [exit status: 0]
    "#);
    assert_eq!(
        requests(&cluster),
        [
            "GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=tenants&limit=100",
            "GET /apis/example.com/v1",
            "GET /api/v1/secrets?labelSelector=owner=helm&limit=100",
        ]
    );
}

#[test]
fn a_forbidden_kind_is_unknown_not_an_error() {
    let cluster = TestCluster::start();
    cluster.add_all(s1_records());
    cluster.add(live_deployment()).add(live_hook_configmap());
    cluster.fail_path("/apis/apps/v1/namespaces/shop/deployments/", 403);
    let kc = kubeconfig(&cluster);
    insta::assert_snapshot!(helm_why(&kc.path, &["timeline", "a1"]), @r#"
    Verdict: 1 high, 2 medium hazards (listed below)

    OBJECT                   1 install  2 upgrade  3 upgrade          LIVE
    ConfigMap/a1-app-config  created    deleted    recreated-by-hook  exists
    Deployment.apps/a1-app   created    unchanged  unchanged          ?

    Live (context test):
      Deployment.apps/a1-app: not checked: deployments.apps "a1-app" is forbidden: User
        "system:serviceaccount:default:test" cannot get resource "deployments" in API group "apps" in
        the namespace "shop" (403)

    Hazards: 1 high, 2 medium
      high [deleted-after-hook-conversion] release a1, revision 2, ConfigMap shop/a1-app-config:
        deleted: it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation) in
        a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade treats it as removed;
        the hook recreated it just before, so the object the hook made is the one deleted — it comes
        back on the next upgrade, as a hook, without Helm's ownership metadata
      medium [untracked-hook-object] release a1, revision 3, ConfigMap shop/a1-app-config: present but
        untracked: the hook of revision 3 created it; no upgrade or uninstall will delete it
      medium [rollback-will-fail] release a1, revision 3, ConfigMap shop/a1-app-config: helm rollback to
        revision 1 will fail (Helm's error: no ConfigMap with the name "a1-app-config" found): ConfigMap
        a1-app-config exists in the cluster (a hook of revision 3 created it) but revision 3, where a
        rollback starts, does not track it; nothing is applied past it and the rollback revision is
        stored failed
    [exit status: 0]
    "#);
    insta::assert_snapshot!(helm_why(&kc.path, &["explain", "a1", "deploy/a1-app"]), @r#"
    Deployment.apps shop/a1-app in release a1 (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-03-01 10:00:00 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-03-01 10:10:00 UTC
      apply: unchanged — unchanged
    revision 3 · upgrade · 2026-03-01 10:20:00 UTC
      apply: unchanged — unchanged

    Now: expected present and tracked by revision 3 (the deployed revision, which the next upgrade diffs
    against).

    Live (context test): not checked — deployments.apps "a1-app" is forbidden: User
      "system:serviceaccount:default:test" cannot get resource "deployments" in API group "apps" in the
      namespace "shop" (403)
    [exit status: 0]
    "#);
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("KUBECONFIG", &kc.path)
        .args(["timeline", "a1", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let deployment = &v["objects"][1];
    assert_eq!(deployment["object"]["kind"], "Deployment");
    assert_eq!(deployment["observed"]["status"], "unknown");
    assert_eq!(deployment["observed"]["checks"][0]["code"], "unknown");
    assert_eq!(deployment["observed"]["checks"][0]["agrees"], Value::Null);
    assert_eq!(v["objects"][0]["observed"]["status"], "present");
    // timeline asks for the records, discovers both group versions and gets both objects;
    // explain only what concerns its object.
    let log = requests(&cluster);
    assert_eq!(log.len(), 6 + 4 + 6, "{log:#?}");
    assert_eq!(
        log[6..10],
        [
            RECORDS,
            NEIGHBOURS,
            "GET /apis/apps/v1",
            "GET /apis/apps/v1/namespaces/shop/deployments/a1-app",
        ]
    );
    assert_eq!(
        gets_sorted(log[10..].to_vec()),
        [
            RECORDS,
            NEIGHBOURS,
            "GET /api/v1",
            "GET /apis/apps/v1",
            "GET /api/v1/namespaces/shop/configmaps/a1-app-config",
            "GET /apis/apps/v1/namespaces/shop/deployments/a1-app",
        ]
    );
}

/// `plan RELEASE --manifest <candidate> -o json` against the cluster, which must exit 2 (a
/// hazard at `--fail-on high`): the JSON report.
fn plan_failing(config: &Kubeconfig, release: &str, candidate: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("candidate.yaml");
    std::fs::write(&path, candidate).unwrap();
    let args = [
        "plan",
        release,
        "--manifest",
        path.to_str().unwrap(),
        "-o",
        "json",
    ];
    let out = helm_why(&config.path, &args);
    let (json, status) = out.rsplit_once("[exit status: ").unwrap();
    assert_eq!(status, "2]\n", "{out}");
    serde_json::from_str(json).unwrap()
}

#[test]
fn plan_reads_the_cluster_and_predicts_helms_import_error() {
    // Chart 0.3.0 moves the ConfigMap back into the manifest. The live ConfigMap was made by
    // revision 3's hook and has no ownership metadata: Helm will refuse the upgrade.
    let cluster = TestCluster::start();
    cluster.add_all(s1_records());
    cluster.add(live_deployment()).add(live_hook_configmap());
    let config = kubeconfig(&cluster);
    let v = plan_failing(
        &config,
        "a1",
        &format!(
            "---\n# Source: a1-app/templates/deployment.yaml\n{DEPLOYMENT}\n---\n# Source: a1-app/templates/configmap.yaml\n{CONFIG}\n"
        ),
    );
    assert_eq!(v["hazards"][0]["code"], "ownership-conflict", "{v}");
    let message = v["hazards"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Unable to continue with update: ConfigMap \"a1-app-config\" in namespace \"shop\" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\""),
        "{message}"
    );
    assert_eq!(
        v["changes"].as_array().unwrap().len(),
        1,
        "Helm stops at the check: {v}"
    );
    assert!(
        v["notes"][0].as_str().unwrap().starts_with("connected: "),
        "{v}"
    );
    let log = requests(&cluster);
    assert!(
        log.iter().any(|r| r.ends_with("/configmaps/a1-app-config")),
        "{log:#?}"
    );
}

#[test]
fn plan_says_the_upgrade_deletes_an_object_handed_to_another_release() {
    // web tracks cm/shared, whose annotations now name release b (a handover); web's next
    // chart drops it, and Helm's upgrade deletes it without reading the annotations.
    let shared = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  k: v\n";
    let own = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\ndata:\n  k: v\n";
    let cluster = TestCluster::start();
    cluster.add(
        ReleaseBuilder::new("web", NS, 1)
            .chart("web", "1.0.0")
            .times(&at(1), &at(1))
            .manifest_doc("web/templates/shared.yaml", shared)
            .manifest_doc("web/templates/own.yaml", own)
            .status(Status::Deployed, "Install complete")
            .secret(),
    );
    for (name, owner) in [("shared", "b"), ("own", "web")] {
        cluster.add(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": owned_metadata(owner, name, "2026-03-01T10:00:01Z", json!({})),
            "data": {"k": "v"}}));
    }
    let config = kubeconfig(&cluster);
    let v = plan_failing(
        &config,
        "web",
        &format!("---\n# Source: web/templates/own.yaml\n{own}"),
    );
    let moved = crate::harness::hazards_coded(&v, "ownership-moved");
    assert_eq!(moved.len(), 1, "{v}");
    assert_eq!(moved[0]["severity"], "high");
    assert_eq!(moved[0]["object"]["name"], "shared");
    assert!(
        moved[0]["message"]
            .as_str()
            .unwrap()
            .contains("names release shop/b"),
        "{v}"
    );
}
