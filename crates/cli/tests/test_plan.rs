//! `plan` as a CI gate: real command output and exit codes.

use crate::harness::{helm_why, run, run_args};

const A1_STEP1: &str = "tests/fixtures/real-helm/cli-v3.17.3/A1/step1-install/release-secrets.yaml";
const A1_REV2: &str = "tests/fixtures/plan/a1-rev2-template.yaml";

#[test]
fn plan_predicts_the_hook_conversion_and_fails_the_gate() {
    insta::assert_snapshot!(run_args(&["plan", "a1", "--from", A1_STEP1, "--manifest", A1_REV2]), @"
    Plan for a1 (namespace h3173): revision 2, base revision 1, Helm 3.21.4 rules
    Candidate: tests/fixtures/plan/a1-rev2-template.yaml (helm template output)

    Verdict: 1 high hazard (listed below)

    OP           PHASE        KIND             NAMESPACE  NAME
    hook-delete  pre-upgrade  ConfigMap        h3173      a1-app-config
    hook-create  pre-upgrade  ConfigMap        h3173      a1-app-config
    patch        apply        Deployment.apps  h3173      a1-app
    delete       delete       ConfigMap        h3173      a1-app-config

    WHY:
      hook-delete ConfigMap a1-app-config: moved-to-hook: before-hook-creation of the pre-upgrade hook
        a1-app/templates/configmap.yaml deletes the live ConfigMap (applied by revision 1's manifest)
        without any ownership check
      hook-create ConfigMap a1-app-config: hook: the pre-upgrade hook a1-app/templates/configmap.yaml
        creates it (weight -5)
      patch Deployment.apps a1-app: patched
      delete ConfigMap a1-app-config: moved-to-hook: deleted: it became a hook (pre-install,pre-upgrade,
        delete policy before-hook-creation) in a1-app/templates/configmap.yaml, and hooks are not
        tracked, so the upgrade treats it as removed; the hook recreated it just before, so the object
        the hook made is the one deleted — it comes back on the next upgrade, as a hook, without Helm's
        ownership metadata (Helm 3 logs and ignores delete errors: check the cluster)

    1 delete, 1 hook-create, 1 hook-delete, 1 patch

    Hazards: 1 high
      high [deleted-after-hook-conversion] release a1, revision 2, ConfigMap h3173/a1-app-config:
        deleted: it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation) in
        a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade treats it as removed;
        the hook recreated it just before, so the object the hook made is the one deleted — it comes
        back on the next upgrade, as a hook, without Helm's ownership metadata (Helm 3 logs and ignores
        delete errors: check the cluster)
    note: offline: the cluster is assumed to hold what the replayed history left; objects created
      outside Helm are unknown and assumed absent, and the keep policy is read from the manifests
    [exit status: 2]
    ");
}

#[test]
fn fail_on_never_passes_the_gate() {
    let out = run(helm_why().args([
        "plan",
        "a1",
        "--from",
        A1_STEP1,
        "--manifest",
        A1_REV2,
        "--fail-on",
        "never",
    ]));
    assert!(out.ends_with("[exit status: 0]\n"), "{out}");
}

#[test]
fn plan_json_follows_the_contract() {
    let out = helm_why()
        .args([
            "plan",
            "a1",
            "--from",
            A1_STEP1,
            "--manifest",
            A1_REV2,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "release",
        "namespace",
        "base_revision",
        "helm_version",
        "changes",
        "hazards",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["base_revision"], 1);
    let ops: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["hook-delete", "hook-create", "patch", "delete"]);
    let delete = &v["changes"][3];
    assert_eq!(delete["phase"], "delete");
    assert_eq!(delete["cause"], "moved-to-hook");
    assert_eq!(delete["object"]["name"], "a1-app-config");
    assert_eq!(v["hazards"][0]["code"], "deleted-after-hook-conversion");
    assert_eq!(v["hazards"][0]["severity"], "high");
}

#[test]
fn plan_diff_shows_the_patched_document() {
    let out = run(helm_why().args([
        "plan",
        "a1",
        "--from",
        A1_STEP1,
        "--manifest",
        A1_REV2,
        "--diff",
        "--fail-on",
        "never",
    ]));
    assert!(
        out.contains("-        example.com/rollout: \"1\"\n+        example.com/rollout: \"2\""),
        "{out}"
    );
}

#[test]
fn plan_without_a_candidate_is_an_error() {
    insta::assert_snapshot!(run_args(&["plan", "a1", "--from", A1_STEP1]), @"
    ------- stderr -------
    helm-why: plan needs the candidate revision
    hint: give --manifest FILE (helm template or helm upgrade --dry-run output), or a CHART to render with helm
    [exit status: 1]
    ");
}

#[test]
fn plan_from_stdin() {
    use std::io::Write as _;
    let mut child = helm_why()
        .args([
            "plan",
            "a1",
            "--from",
            A1_STEP1,
            "--manifest",
            "-",
            "-o",
            "json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read_to_string(crate::harness::root().join(A1_REV2)).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_and_man_page() {
    let bash = helm_why().args(["completions", "bash"]).output().unwrap();
    assert!(bash.status.success());
    assert!(String::from_utf8_lossy(&bash.stdout).contains("helm-why"));
    let man = helm_why().arg("man").output().unwrap();
    assert!(man.status.success());
    assert!(
        String::from_utf8_lossy(&man.stdout).starts_with(".ie"),
        "roff"
    );
}
