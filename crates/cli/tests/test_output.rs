//! How output looks for the people reading it: tables that fit 80 columns, `-o wide`,
//! colour and when it is off, `-o yaml` carrying the JSON's data, and formats a command
//! refuses.

use helm_why_release::Status;
use helm_why_release::builder::{ReleaseBuilder, list};
use serde_json::Value;

use crate::harness::{helm_why, run, run_args};

const A1_STEP1: &str = "tests/fixtures/real-helm/cli-v3.17.3/A1/step1-install/release-secrets.yaml";
const A1_STEP3: &str = "tests/fixtures/real-helm/cli-v3.17.3/A1/step3-upgrade/release-secrets.yaml";
const A1_REV2: &str = "tests/fixtures/plan/a1-rev2-template.yaml";

fn at_80(args: &[&str]) -> String {
    run(helm_why().env("COLUMNS", "80").args(args))
}

/// Every line of `out` fits `width` columns.
fn assert_fits(out: &str, width: usize) {
    for line in out.lines() {
        assert!(
            line.chars().count() <= width,
            "{} columns: {line:?}\n{out}",
            line.chars().count()
        );
    }
}

#[test]
fn plan_fits_80_columns() {
    let out = at_80(&["plan", "a1", "--from", A1_STEP1, "--manifest", A1_REV2]);
    assert_fits(&out, 80);
    insta::assert_snapshot!(out, @"
    Plan for a1 (namespace h3173): revision 2, base revision 1, Helm 3.21.4 rules
    Candidate: tests/fixtures/plan/a1-rev2-template.yaml (helm template output)

    Verdict: 1 high hazard (listed below)

    OP           PHASE        KIND             NAMESPACE  NAME
    hook-delete  pre-upgrade  ConfigMap        h3173      a1-app-config
    hook-create  pre-upgrade  ConfigMap        h3173      a1-app-config
    patch        apply        Deployment.apps  h3173      a1-app
    delete       delete       ConfigMap        h3173      a1-app-config

    WHY:
      hook-delete ConfigMap a1-app-config: moved-to-hook: before-hook-creation of
        the pre-upgrade hook a1-app/templates/configmap.yaml deletes the live
        ConfigMap (applied by revision 1's manifest) without any ownership check
      hook-create ConfigMap a1-app-config: hook: the pre-upgrade hook
        a1-app/templates/configmap.yaml creates it (weight -5)
      patch Deployment.apps a1-app: patched
      delete ConfigMap a1-app-config: moved-to-hook: deleted: it became a hook
        (pre-install,pre-upgrade, delete policy before-hook-creation) in
        a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade
        treats it as removed; the hook recreated it just before, so the object the
        hook made is the one deleted — it comes back on the next upgrade, as a hook,
        without Helm's ownership metadata (Helm 3 logs and ignores delete errors:
        check the cluster)

    1 delete, 1 hook-create, 1 hook-delete, 1 patch

    Hazards: 1 high
      high [deleted-after-hook-conversion] release a1, revision 2, ConfigMap
        h3173/a1-app-config: deleted: it became a hook (pre-install,pre-upgrade,
        delete policy before-hook-creation) in a1-app/templates/configmap.yaml, and
        hooks are not tracked, so the upgrade treats it as removed; the hook
        recreated it just before, so the object the hook made is the one deleted —
        it comes back on the next upgrade, as a hook, without Helm's ownership
        metadata (Helm 3 logs and ignores delete errors: check the cluster)
    note: offline: the cluster is assumed to hold what the replayed history left;
      objects created outside Helm are unknown and assumed absent, and the keep
      policy is read from the manifests
    [exit status: 2]
    ");
}

#[test]
fn history_and_timeline_fit_80_columns() {
    let out = at_80(&["history", "a1", "--from", A1_STEP3]);
    assert_fits(&out, 80);
    insta::assert_snapshot!(out, @"
    REVISION  UPDATED                  STATUS      CHART         CHANGE
    1         2026-11-22 03:07:38 UTC  superseded  a1-app-0.1.0  +2 (initial)
    2         2026-11-22 03:07:39 UTC  superseded  a1-app-0.2.0  -1 ~1
    3         2026-11-22 03:07:41 UTC  deployed    a1-app-0.2.0  ~1

    DESCRIPTION:
      1: Install complete
      2: Upgrade complete
      3: Upgrade complete
    (-o wide adds HOOKS, OBJECTS, APP VERSION)
    [exit status: 0]
    ");
    let out = at_80(&["timeline", "a1", "--from", A1_STEP3]);
    assert_fits(&out, 80);
    insta::assert_snapshot!(out, @r#"
    Verdict: 1 high, 2 medium hazards (listed below)

    OBJECT                   1 install  2 upgrade  3 upgrade
    ConfigMap/a1-app-config  created    deleted    recreated-by-hook
    Deployment.apps/a1-app   created    patched    patched

    Hazards: 1 high, 2 medium
      high [deleted-after-hook-conversion] release a1, revision 2, ConfigMap
        h3173/a1-app-config: deleted: it became a hook (pre-install,pre-upgrade,
        delete policy before-hook-creation) in a1-app/templates/configmap.yaml, and
        hooks are not tracked, so the upgrade treats it as removed; the hook
        recreated it just before, so the object the hook made is the one deleted —
        it comes back on the next upgrade, as a hook, without Helm's ownership
        metadata (Helm 3 logs and ignores delete errors: check the cluster)
      medium [untracked-hook-object] release a1, revision 3, ConfigMap
        h3173/a1-app-config: present but untracked: the hook of revision 3 created
        it; no upgrade or uninstall will delete it
      medium [rollback-will-fail] release a1, revision 3, ConfigMap
        h3173/a1-app-config: helm rollback to revision 1 will fail (Helm's error: no
        ConfigMap with the name "a1-app-config" found): ConfigMap a1-app-config
        exists in the cluster (a hook of revision 3 created it) but revision 3,
        where a rollback starts, does not track it; nothing is applied past it and
        the rollback revision is stored failed
    [exit status: 0]
    "#);
}

#[test]
fn wide_keeps_every_column_on_one_line() {
    let out = at_80(&[
        "plan",
        "a1",
        "--from",
        A1_STEP1,
        "--manifest",
        A1_REV2,
        "-o",
        "wide",
    ]);
    insta::assert_snapshot!(out, @"
    Plan for a1 (namespace h3173): revision 2, base revision 1, Helm 3.21.4 rules
    Candidate: tests/fixtures/plan/a1-rev2-template.yaml (helm template output)

    Verdict: 1 high hazard (listed below)

    OP           PHASE        KIND             NAMESPACE  NAME           WHY
    hook-delete  pre-upgrade  ConfigMap        h3173      a1-app-config  moved-to-hook: before-hook-creation of the pre-upgrade hook a1-app/templates/configmap.yaml deletes the live ConfigMap (applied by revision 1's manifest) without any ownership check
    hook-create  pre-upgrade  ConfigMap        h3173      a1-app-config  hook: the pre-upgrade hook a1-app/templates/configmap.yaml creates it (weight -5)
    patch        apply        Deployment.apps  h3173      a1-app         patched
    delete       delete       ConfigMap        h3173      a1-app-config  moved-to-hook: deleted: it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation) in a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade treats it as removed; the hook recreated it just before, so the object the hook made is the one deleted — it comes back on the next upgrade, as a hook, without Helm's ownership metadata (Helm 3 logs and ignores delete errors: check the cluster)

    1 delete, 1 hook-create, 1 hook-delete, 1 patch

    Hazards: 1 high
      high [deleted-after-hook-conversion] release a1, revision 2, ConfigMap h3173/a1-app-config: deleted: it became a hook (pre-install,pre-upgrade, delete policy before-hook-creation) in a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade treats it as removed; the hook recreated it just before, so the object the hook made is the one deleted — it comes back on the next upgrade, as a hook, without Helm's ownership metadata (Helm 3 logs and ignores delete errors: check the cluster)
    note: offline: the cluster is assumed to hold what the replayed history left; objects created outside Helm are unknown and assumed absent, and the keep policy is read from the manifests
    [exit status: 2]
    ");
}

/// `--color`, `NO_COLOR` and `CLICOLOR_FORCE`, through a pipe (the tests' stdout).
fn history_with(env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = helm_why();
    cmd.env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["history", "a1", "--from", A1_STEP3]).args(args);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn colour_follows_the_flag_and_the_variables() {
    const DEPLOYED: &str = "\x1b[32mdeployed\x1b[0m";
    // A pipe: no colour unless asked.
    assert!(!history_with(&[], &[]).contains('\x1b'));
    assert!(history_with(&[], &["--color", "always"]).contains(DEPLOYED));
    assert!(history_with(&[("CLICOLOR_FORCE", "1")], &[]).contains(DEPLOYED));
    assert!(!history_with(&[("CLICOLOR_FORCE", "0")], &[]).contains('\x1b'));
    assert!(!history_with(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]).contains('\x1b'));
    // An empty NO_COLOR does not count.
    assert!(history_with(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")], &[]).contains(DEPLOYED));
    assert!(!history_with(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]).contains('\x1b'));
    // Data and documents are never coloured.
    for format in ["json", "yaml", "markdown"] {
        let out = history_with(&[], &["--color", "always", "-o", format]);
        assert!(!out.contains('\x1b'), "{format}: {out}");
    }
}

#[test]
fn colour_on_does_not_let_a_record_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.json");
    let secrets = vec![
        ReleaseBuilder::new("web", "shop", 1)
            .chart("web", "0.1.0")
            .status(Status::Failed, "boom \x1b[8mhidden\x1b[0m \x1b[2J")
            .secret(),
    ];
    std::fs::write(&path, serde_json::to_vec(&list(secrets)).unwrap()).unwrap();
    let out = helm_why()
        .env_remove("NO_COLOR")
        .args(["history", "web", "--color", "always", "--from"])
        .arg(&path)
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    assert!(out.contains("\x1b[1m\x1b[31mfailed\x1b[0m"), "{out}");
    assert!(
        out.contains("boom \\x1b[8mhidden\\x1b[0m \\x1b[2J"),
        "{out}"
    );
    assert!(
        !out.contains("\x1b[8m") && !out.contains("\x1b[2J"),
        "{out}"
    );
}

/// The document a command prints with `-o FORMAT`.
fn document(args: &[&str], format: &str) -> Value {
    let out = helm_why().args(args).args(["-o", format]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    match format {
        "json" => serde_json::from_str(&text).unwrap(),
        _ => serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}")),
    }
}

#[test]
fn yaml_carries_the_same_data_as_json() {
    let commands: &[&[&str]] = &[
        &["list", "-A", "--from", A1_STEP3],
        &["history", "a1", "--from", A1_STEP3],
        &["timeline", "a1", "--from", A1_STEP3],
        &["explain", "a1", "cm/a1-app-config", "--from", A1_STEP3],
        &["images", "a1", "--from", A1_STEP3],
        &["plan", "a1", "--from", A1_STEP1, "--manifest", A1_REV2],
        &["get", "a1", "values", "--from", A1_STEP3],
        &["get", "a1", "release", "--from", A1_STEP3],
    ];
    for args in commands {
        let json = document(args, "json");
        assert!(json.is_object(), "{args:?}: {json}");
        assert_eq!(document(args, "yaml"), json, "{args:?}");
    }
}

#[test]
fn a_format_a_command_cannot_print_is_an_error() {
    insta::assert_snapshot!(run_args(&["get", "a1", "manifest", "-o", "markdown", "--from", A1_STEP3]), @"
    ------- stderr -------
    helm-why: get cannot print -o markdown
    hint: get prints -o table, json, yaml
    [exit status: 1]
    ");
    insta::assert_snapshot!(run_args(&["completions", "bash", "-o", "json"]), @"
    ------- stderr -------
    helm-why: completions cannot print -o json
    hint: completions takes no -o
    [exit status: 1]
    ");
    insta::assert_snapshot!(run_args(&["history", "a1", "-o", "html", "--from", A1_STEP3]), @"
    ------- stderr -------
    helm-why: history cannot print -o html
    hint: history prints -o table, wide, json, yaml, markdown
    [exit status: 1]
    ");
}

#[test]
fn a_long_timeline_keeps_the_newest_revisions_at_80_columns() {
    let cm = |name: &str, n: u64| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  n: \"{n}\"\n")
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.json");
    let secrets = (1..=12)
        .map(|n| {
            let b = ReleaseBuilder::new("web", "shop", n)
                .chart("web", "0.1.0")
                .manifest_doc("web/templates/settings.yaml", &cm("web-settings", n))
                .manifest_doc("web/templates/static.yaml", &cm("web-static", 0));
            let b = if n == 7 {
                b.manifest_doc("web/templates/extra.yaml", &cm("web-extra", 0))
            } else {
                b
            };
            if n < 12 {
                b.status(Status::Superseded, "Upgrade complete")
            } else {
                b
            }
            .secret()
        })
        .collect();
    std::fs::write(&path, serde_json::to_vec(&list(secrets)).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let out = at_80(&["timeline", "web", "--from", path]);
    assert_fits(&out, 80);
    insta::assert_snapshot!(out, @"
    Verdict: no hazards found

    OBJECT                  8 upgrade  9 upgrade  10 upgrade  11 upgrade  12 upgrade
    ConfigMap/web-extra     deleted    -          -           -           -
    ConfigMap/web-settings  patched    patched    patched     patched     patched
    ConfigMap/web-static    unchanged  unchanged  unchanged   unchanged   unchanged
    (-o wide adds 7 columns: 1 install … 7 upgrade)
    [exit status: 0]
    ");
    let wide = at_80(&["timeline", "web", "--from", path, "-o", "wide"]);
    let header = wide.lines().find(|l| l.starts_with("OBJECT")).unwrap();
    assert!(
        header.contains("1 install") && header.contains("12 upgrade"),
        "{wide}"
    );
}

#[test]
fn plan_diff_lines_are_coloured_by_sign() {
    let out = helm_why()
        .env_remove("NO_COLOR")
        .args([
            "plan",
            "a1",
            "--from",
            A1_STEP1,
            "--manifest",
            A1_REV2,
            "--diff",
        ])
        .args(["--color", "always"])
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let added = out.lines().filter(|l| l.starts_with("\x1b[32m+")).count();
    let removed = out
        .lines()
        .filter(|l| l.starts_with("\x1b[1m\x1b[31m-"))
        .count();
    assert!(added > 0 && removed > 0, "{out}");
    // File headers and context stay plain.
    assert!(out.lines().any(|l| l.starts_with("--- ")), "{out}");
    assert!(out.contains("\x1b[33mpatch\x1b[0m"), "{out}");
}

#[test]
fn list_fits_80_columns() {
    let out = at_80(&["list", "-A", "--from", A1_STEP3]);
    assert_fits(&out, 80);
    insta::assert_snapshot!(out, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART
    a1    h3173      3         2026-11-22 03:07:41 UTC  deployed  a1-app-0.2.0
    (-o wide adds APP VERSION)
    [exit status: 0]
    ");
}

#[test]
fn explain_fits_80_columns() {
    let out = at_80(&["explain", "a1", "cm/a1-app-config", "--from", A1_STEP3]);
    assert_fits(&out, 80);
    insta::assert_snapshot!(out, @"
    ConfigMap h3173/a1-app-config in release a1 (namespace h3173), replayed with
      Helm 3.21.4 rules

    revision 1 · install · 2026-11-22 03:07:38 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-11-22 03:07:39 UTC
      pre-upgrade: delete (moved-to-hook) — before-hook-creation of the pre-upgrade
        hook a1-app/templates/configmap.yaml deletes the live ConfigMap (applied by
        revision 1's manifest) without any ownership check
      pre-upgrade: hook-create (hook) — the pre-upgrade hook
        a1-app/templates/configmap.yaml creates it (weight -5)
      delete: delete (moved-to-hook) — deleted: it became a hook
        (pre-install,pre-upgrade, delete policy before-hook-creation) in
        a1-app/templates/configmap.yaml, and hooks are not tracked, so the upgrade
        treats it as removed; the hook recreated it just before, so the object the
        hook made is the one deleted — it comes back on the next upgrade, as a hook,
        without Helm's ownership metadata (Helm 3 logs and ignores delete errors:
        check the cluster)
    revision 3 · upgrade · 2026-11-22 03:07:41 UTC
      pre-upgrade: hook-create (hook) — the pre-upgrade hook
        a1-app/templates/configmap.yaml creates it again — as a hook: no Helm
        ownership metadata, never deleted by upgrades or uninstall
      after: orphan (hook) — present but untracked: the hook of revision 3 created
        it; no upgrade or uninstall will delete it

    Now: expected present, but no revision tracks it — the hook of revision 3
    created it; no upgrade or uninstall will delete it
    [exit status: 0]
    ");
}
