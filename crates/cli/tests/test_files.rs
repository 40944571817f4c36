//! The commands on records read with `--from`, pinned by snapshots of real output.

use crate::harness::{helm_why, run, run_args};

const A1: &str = "tests/fixtures/real-helm/cli-v3.17.3/A1/step3-upgrade/release-secrets.yaml";
const S4: &str = "tests/fixtures/real-helm/csa/S4/step2-upgrade/release-secrets.yaml";
const S4B: &str = "tests/fixtures/real-helm/csa/S4b/step3-upgrade/release-secrets.yaml";

#[test]
fn list_from_a_file() {
    insta::assert_snapshot!(run_args(&["list", "--from", A1]), @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART         APP VERSION
    a1    h3173      3         2026-11-22 03:07:41 UTC  deployed  a1-app-0.2.0  1.0
    [exit status: 0]
    ");
}

#[test]
fn list_from_a_directory_groups_releases_and_counts_other_objects() {
    insta::assert_snapshot!(run_args(&["list", "--from", "tests/fixtures/real-helm/csa/S4"]), @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART     APP VERSION
    s4    demo-csa   2         2026-11-22 02:57:35 UTC  deployed  s4-0.1.0  1.0
    ------- stderr -------
    warning: 4 objects are not Helm release records and were ignored
    [exit status: 0]
    ");
}

#[test]
fn history_table() {
    insta::assert_snapshot!(run_args(&["history", "a1", "--from", A1]), @"
    REVISION  UPDATED                  STATUS      CHART         CHANGE        DESCRIPTION
    1         2026-11-22 03:07:38 UTC  superseded  a1-app-0.1.0  +2 (initial)  Install complete
    2         2026-11-22 03:07:39 UTC  superseded  a1-app-0.2.0  -1 ~1         Upgrade complete
    3         2026-11-22 03:07:41 UTC  deployed    a1-app-0.2.0  ~1            Upgrade complete
    (-o wide adds HOOKS, OBJECTS, APP VERSION)
    [exit status: 0]
    ");
}

#[test]
fn history_markdown() {
    insta::assert_snapshot!(run_args(&["history", "s4", "--from", S4, "-o", "markdown"]), @"
    ## Release `s4` in namespace `demo-csa`

    | REVISION | UPDATED | STATUS | CHART | APP VERSION | OBJECTS | HOOKS | CHANGE | DESCRIPTION |
    |---|---|---|---|---|---|---|---|---|
    | 1 | 2026-11-22 02:57:34 UTC | superseded | s4-0.1.0 | 1.0 | 2 | 0 | +2 (initial) | Install complete |
    | 2 | 2026-11-22 02:57:35 UTC | deployed | s4-0.1.0 | 1.0 | 1 | 0 | -1 | Upgrade complete |
    [exit status: 0]
    ");
}

#[test]
fn history_json_follows_the_contract() {
    let out = helm_why()
        .args(["history", "a1", "--from", A1, "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "hazards",
            "missing_revisions",
            "namespace",
            "release",
            "revisions",
            "warnings"
        ]
    );
    let rev2 = &v["revisions"][1];
    assert_eq!(rev2["revision"], 2);
    assert_eq!(rev2["status"], "superseded");
    assert_eq!(rev2["hooks"], 1);
    assert_eq!(
        rev2["removed"],
        serde_json::json!([{"group": "", "version": "v1", "kind": "ConfigMap", "namespace": "h3173", "name": "a1-app-config"}])
    );
    assert_eq!(rev2["changed"][0]["kind"], "Deployment");
    assert_eq!(rev2["changed"][0]["group"], "apps");
}

#[test]
fn explain_the_seed_story() {
    insta::assert_snapshot!(run_args(&["explain", "a1", "cm/a1-app-config", "--from", A1]), @"
    ConfigMap h3173/a1-app-config in release a1 (namespace h3173), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-11-22 03:07:38 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-11-22 03:07:39 UTC
      pre-upgrade: delete (moved-to-hook) — before-hook-creation of the pre-upgrade hook
        a1-app/templates/configmap.yaml deletes the live ConfigMap (applied by revision 1's manifest)
        without any ownership check
      pre-upgrade: hook-create (hook) — the pre-upgrade hook a1-app/templates/configmap.yaml creates it
        (weight -5)
      delete: delete (moved-to-hook) — deleted: it became a hook (pre-install,pre-upgrade, delete policy
        before-hook-creation) in a1-app/templates/configmap.yaml, and hooks are not tracked, so the
        upgrade treats it as removed; the hook recreated it just before, so the object the hook made is
        the one deleted — it comes back on the next upgrade, as a hook, without Helm's ownership
        metadata (Helm 3 logs and ignores delete errors: check the cluster)
    revision 3 · upgrade · 2026-11-22 03:07:41 UTC
      pre-upgrade: hook-create (hook) — the pre-upgrade hook a1-app/templates/configmap.yaml creates it
        again — as a hook: no Helm ownership metadata, never deleted by upgrades or uninstall
      after: orphan (hook) — present but untracked: the hook of revision 3 created it; no upgrade or
        uninstall will delete it

    Now: expected present, but no revision tracks it — the hook of revision 3 created it; no upgrade or
    uninstall will delete it
    [exit status: 0]
    ");
}

#[test]
fn explain_json() {
    let out = helm_why()
        .args([
            "explain",
            "s4",
            "service/s4-extra",
            "--from",
            S4,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["object"]["kind"], "Service");
    assert_eq!(v["expected_present"], false);
    assert_eq!(v["observed_present"], serde_json::Value::Null);
    let last = v["events"].as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "delete");
    assert_eq!(last["cause"], "not-rendered");
    assert_eq!(last["phase"], "delete");
    assert_eq!(last["revision"], 2);
}

#[test]
fn timeline_with_keep_policy() {
    insta::assert_snapshot!(run_args(&["timeline", "s4b", "--from", S4B]), @"
    Verdict: 1 low hazard (listed below)

    OBJECT              1 install  2 upgrade  3 upgrade
    ConfigMap/s4b-base  created    unchanged  unchanged
    Service/s4b-extra   created    kept       adopted

    Hazards: 1 low
      low [kept-untracked] release s4b, revision 2, Service demo-csa/s4b-extra: left the manifest (its
        template templates/extra-service.yaml rendered nothing in revision 2: .Values.extra.enabled:
        true → false), but not deleted: it carries helm.sh/resource-policy: keep (read from the manifest
        here; Helm reads the live object), so it stays, tracked by no revision
    [exit status: 0]
    ");
}

#[test]
fn get_hooks_of_an_older_revision() {
    insta::assert_snapshot!(run_args(&["get", "a1", "hooks", "--revision", "2", "--from", A1]), @r#"
    ---
    # Source: a1-app/templates/configmap.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: a1-app-config
      annotations:
        helm.sh/hook: "pre-install,pre-upgrade"
        helm.sh/hook-weight: "-5"
        helm.sh/hook-delete-policy: "before-hook-creation"
    data:
      app.properties: |
        greeting=hello
        farewell=bye
    [exit status: 0]
    "#);
}

#[test]
fn get_values_is_yaml() {
    insta::assert_snapshot!(run_args(&["get", "s4", "values", "--revision", "2", "--from", S4]), @"
    USER-SUPPLIED VALUES:
    extra:
      enabled: false
    [exit status: 0]
    ");
}

#[test]
fn unknown_release_is_an_error_with_a_hint() {
    insta::assert_snapshot!(run_args(&["history", "nope", "--from", A1]), @r#"
    ------- stderr -------
    helm-why: release "nope" not found in 1 file
    hint: releases found: h3173/a1
    [exit status: 1]
    "#);
}

#[test]
fn unknown_object_lists_what_exists() {
    insta::assert_snapshot!(run_args(&["explain", "a1", "secret/nope", "--from", A1]), @r#"
    ------- stderr -------
    helm-why: no object secret/nope in any revision of release "a1"
    hint: objects seen: configmap/a1-app-config, deployment/a1-app
    [exit status: 1]
    "#);
}

#[test]
fn missing_revision_is_an_error() {
    insta::assert_snapshot!(run_args(&["get", "a1", "manifest", "--revision", "9", "--from", A1]), @r#"
    ------- stderr -------
    helm-why: release "a1" has no revision 9: there is no such revision
    hint: run `helm-why history` to see the revisions
    [exit status: 1]
    "#);
}

#[test]
fn usage_errors_exit_1() {
    let out = run(helm_why().args(["history"]));
    assert!(out.ends_with("[exit status: 1]\n"), "{out}");
}

#[test]
fn unreadable_path() {
    insta::assert_snapshot!(run_args(&["list", "--from", "no/such/file.yaml"]), @"
    ------- stderr -------
    helm-why: cannot read no/such/file.yaml: No such file or directory (os error 2)
    hint: --from takes a file, a directory or - for stdin
    [exit status: 1]
    ");
}

#[test]
fn bad_helm_version() {
    insta::assert_snapshot!(run_args(&["timeline", "a1", "--from", A1, "--helm-version", "1.2"]), @r#"
    ------- stderr -------
    helm-why: "1.2" is not a Helm version (expected X.Y.Z with X 2, 3 or 4, e.g. 3.17.1)
    hint: helm version looks like 3.17.1 or 4.1.4
    [exit status: 1]
    "#);
}
