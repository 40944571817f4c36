//! `diff`: two revisions compared object by object, Secret values masked, and the shortcuts
//! and flags users of helm-diff expect.

use helm_why_release::Status;
use helm_why_release::builder::{ReleaseBuilder, list};
use serde_json::json;

use crate::harness::{helm_why, run};

const DEPLOY_1: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.26\n";
const SECRET_1: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: b2xkLXB3\n  user: YWRtaW4=\n";
const SECRET_2: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: bmV3LXB3\n  user: YWRtaW4=\n";
const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n";
const HOOK: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n";

/// Revision 1: Deployment, Secret, ConfigMap. Revision 2: a new image, a new password, no
/// ConfigMap, a migration hook, new values. Revision 3: the same as 2.
fn records(dir: &std::path::Path) -> std::path::PathBuf {
    let one = ReleaseBuilder::new("web", "shop", 1)
        .status(Status::Superseded, "Install complete")
        .chart("web", "1.0.0")
        .config(json!({"replicas": 2, "db": {"password": "old-pw"}}))
        .manifest_doc("web/templates/deploy.yaml", DEPLOY_1)
        .manifest_doc("web/templates/secret.yaml", SECRET_1)
        .manifest_doc("web/templates/cm.yaml", CM);
    let two = |rev: u64, status: Status| {
        ReleaseBuilder::new("web", "shop", rev)
            .status(status, "Upgrade complete")
            .chart("web", "1.1.0")
            .config(json!({"replicas": 2, "db": {"password": "new-pw"}}))
            .manifest_doc(
                "web/templates/deploy.yaml",
                &DEPLOY_1.replace("1.26", "1.27"),
            )
            .manifest_doc("web/templates/secret.yaml", SECRET_2)
            .hook("web/templates/job.yaml", HOOK)
    };
    let items = vec![
        one.secret(),
        two(2, Status::Superseded).secret(),
        two(3, Status::Deployed).secret(),
    ];
    let path = dir.join("records.json");
    std::fs::write(&path, serde_json::to_vec(&list(items)).unwrap()).unwrap();
    path
}

/// Run on the records; the random marks of redacted values become `#1`, `#2`… in order of
/// first appearance (equal marks stay equal).
fn diff(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = records(dir.path());
    let out = run(helm_why().arg("diff").args(args).arg("--from").arg(&path));
    let mut marks: Vec<String> = Vec::new();
    let mut text = out.clone();
    let mut from = 0;
    while let Some(start) = text[from..].find("<redacted #").map(|i| i + from) {
        let end = start + "<redacted #".len() + 8;
        let mark = text[start..end].to_owned();
        let n = match marks.iter().position(|m| *m == mark) {
            Some(i) => i + 1,
            None => {
                marks.push(mark.clone());
                marks.len()
            }
        };
        let short = format!("<redacted #{n}");
        text.replace_range(start..end, &short);
        from = start + short.len();
    }
    text
}

#[test]
fn two_revisions_object_by_object_with_secrets_masked() {
    let out = diff(&["web", "1", "2"]);
    assert!(!out.contains("b2xkLXB3") && !out.contains("bmV3LXB3") && !out.contains("-pw"));
    insta::assert_snapshot!(out, @r#"
    Diff of web (namespace shop): revision 1 → 2
    chart: web-1.0.0 → web-1.1.0

    changed Deployment.apps shop/web:
    --- Deployment.apps shop/web (revision 1)
    +++ Deployment.apps shop/web (revision 2)
    @@ -8,4 +8,4 @@
         spec:
           containers:
           - name: web
    -        image: nginx:1.26
    +        image: nginx:1.27

    changed Secret shop/db:
    --- Secret shop/db (revision 1)
    +++ Secret shop/db (revision 2)
    @@ -1,6 +1,6 @@
     apiVersion: v1
     data:
    -  password: "<redacted #1>"
    +  password: "<redacted #2>"
       user: "<redacted #3>"
     kind: Secret
     metadata:

    removed ConfigMap shop/settings:
    --- ConfigMap shop/settings (revision 1)
    +++ ConfigMap shop/settings (not in revision 2)
    @@ -1,6 +0,0 @@
    -apiVersion: v1
    -kind: ConfigMap
    -metadata:
    -  name: settings
    -data:
    -  mode: fast

    hook added Job.batch shop/migrate:
    --- Job.batch shop/migrate (not in revision 1)
    +++ Job.batch shop/migrate (revision 2)
    @@ -0,0 +1,6 @@
    +apiVersion: batch/v1
    +kind: Job
    +metadata:
    +  name: migrate
    +  annotations:
    +    helm.sh/hook: pre-upgrade

    user-supplied values changed:
    --- values (revision 1)
    +++ values (revision 2)
    @@ -1,3 +1,3 @@
     db:
    -  password: "<redacted #4>"
    +  password: "<redacted #5>"
     replicas: 2

    1 added, 1 removed, 2 changed, values changed
    [exit status: 0]
    "#);
}

#[test]
fn shortcuts_pick_the_revisions() {
    // One revision: the one before it and it.
    assert_eq!(diff(&["web", "2"]), diff(&["web", "1", "2"]));
    // None: the last two, which are equal here.
    insta::assert_snapshot!(diff(&["web", "--exit-code"]), @"
    Diff of web (namespace shop): revision 2 → 3

    No differences.
    [exit status: 0]
    ");
    insta::assert_snapshot!(diff(&["web", "1"]), @"
    ------- stderr -------
    helm-why: release shop/web: revision 1 is the first, nothing comes before it
    hint: give two revisions: `diff RELEASE REV1 REV2`
    [exit status: 1]
    ");
    insta::assert_snapshot!(diff(&["web", "1", "7"]), @"
    ------- stderr -------
    helm-why: release shop/web has no revision 7: there is no such revision
    hint: run `helm-why history` to see the revisions; `diff RELEASE REV1 REV2` picks any two
    [exit status: 1]
    ");
}

#[test]
fn context_suppress_and_exit_code() {
    insta::assert_snapshot!(diff(&["web", "1", "2", "-C", "0", "--suppress", "secrets", "--suppress", "Job", "--exit-code"]), @r#"
    Diff of web (namespace shop): revision 1 → 2
    chart: web-1.0.0 → web-1.1.0

    changed Deployment.apps shop/web:
    --- Deployment.apps shop/web (revision 1)
    +++ Deployment.apps shop/web (revision 2)
    @@ -11 +11 @@
    -        image: nginx:1.26
    +        image: nginx:1.27

    removed ConfigMap shop/settings:
    --- ConfigMap shop/settings (revision 1)
    +++ ConfigMap shop/settings (not in revision 2)
    @@ -1,6 +0,0 @@
    -apiVersion: v1
    -kind: ConfigMap
    -metadata:
    -  name: settings
    -data:
    -  mode: fast

    user-supplied values changed:
    --- values (revision 1)
    +++ values (revision 2)
    @@ -2 +2 @@
    -  password: "<redacted #1>"
    +  password: "<redacted #2>"

    1 removed, 1 changed, values changed, 2 suppressed
    [exit status: 2]
    "#);
}

#[test]
fn a_broken_newer_record_is_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let cm = |rev: u64| {
        ReleaseBuilder::new("api", "shop", rev)
            .status(Status::Superseded, "Upgrade complete")
            .manifest_doc(
                "api/templates/cm.yaml",
                &CM.replace("fast", &format!("v{rev}")),
            )
    };
    let mut corrupt = cm(5).secret();
    let payload = cm(5).payload();
    corrupt["data"]["release"] = json!(helm_why_release::codec::encode_base64(
        &payload.as_bytes()[..(payload.len() / 2) & !3]
    ));
    let items = vec![cm(1).secret(), cm(3).secret(), corrupt];
    std::fs::write(
        dir.path().join("r.json"),
        serde_json::to_vec(&list(items)).unwrap(),
    )
    .unwrap();
    let out = run(helm_why()
        .current_dir(dir.path())
        .args(["diff", "api", "--from", "r.json"]));
    insta::assert_snapshot!(out, @"
    Diff of api (namespace shop): revision 1 → 3

    changed ConfigMap shop/settings:
    --- ConfigMap shop/settings (revision 1)
    +++ ConfigMap shop/settings (revision 3)
    @@ -3,4 +3,4 @@
     metadata:
       name: settings
     data:
    -  mode: v1
    +  mode: v3

    1 changed
    ------- stderr -------
    warning: revision 5 could not be decoded: sh.helm.release.v1.api.v5 (r.json, item 2): gzip: truncated gzip stream (unexpected end of data)
    warning: revisions 2, 4 missing from the history (pruned by --history-max or deleted): nothing can be explained inside the gap
    warning: revision 5 is newer than both compared and could not be decoded: this is not the release's last change
    warning: revision 2, between the two compared, is missing: its changes are folded into this diff
    [exit status: 0]
    ");
}

#[test]
fn markdown_fences_each_diff() {
    insta::assert_snapshot!(diff(&["web", "1", "2", "-o", "markdown", "--suppress", "cm", "--suppress", "secret", "--suppress", "job"]), @r#"
    ## Diff of `web` (namespace `shop`): revision 1 → 2

    chart: web-1.0.0 → web-1.1.0

    ### changed Deployment.apps shop/web
    ```diff
    --- Deployment.apps shop/web (revision 1)
    +++ Deployment.apps shop/web (revision 2)
    @@ -8,4 +8,4 @@
         spec:
           containers:
           - name: web
    -        image: nginx:1.26
    +        image: nginx:1.27
    ```

    ### user-supplied values changed
    ```diff
    --- values (revision 1)
    +++ values (revision 2)
    @@ -1,3 +1,3 @@
     db:
    -  password: "<redacted #1>"
    +  password: "<redacted #2>"
     replicas: 2
    ```

    1 changed, values changed, 3 suppressed
    [exit status: 0]
    "#);
}

#[test]
fn secrets_show_with_show_secrets() {
    let out = diff(&["web", "1", "2", "--show-secrets", "--suppress", "deploy"]);
    assert!(
        out.contains("-  password: b2xkLXB3") && out.contains("+  password: bmV3LXB3"),
        "{out}"
    );
    assert!(out.contains("old-pw") && out.contains("new-pw"), "{out}");
}

#[test]
fn json_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = records(dir.path());
    let out = helm_why()
        .args([
            "diff",
            "web",
            "1",
            "2",
            "-o",
            "json",
            "--exit-code",
            "--from",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["from"].as_u64(), v["to"].as_u64()), (Some(1), Some(2)));
    assert_eq!(v["chart"], json!(["web-1.0.0", "web-1.1.0"]));
    assert_eq!(v["differs"], json!(true));
    let changes: Vec<(String, String, bool)> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["object"]["kind"].as_str().unwrap().to_owned(),
                o["change"].as_str().unwrap().to_owned(),
                o["hook"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("Deployment".into(), "changed".into(), false),
            ("Secret".into(), "changed".into(), false),
            ("ConfigMap".into(), "removed".into(), false),
            ("Job".into(), "added".into(), true),
        ]
    );
    assert!(
        v["values"]["diff"]
            .as_str()
            .unwrap()
            .contains("+  password: \"<redacted #")
    );
}
