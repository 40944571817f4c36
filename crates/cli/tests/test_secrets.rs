//! Secrets never leave without `--show-secrets`: markers planted in every place a secret can
//! hide, every command × every output format × error paths, stdout and stderr.

use std::path::Path;

use helm_why_release::builder::{ReleaseBuilder, list};
use helm_why_release::{HookEvent, Status};
use serde_json::json;

use crate::harness::helm_why;

/// Markers that are secret: none may appear without `--show-secrets`, each must appear with it.
const SECRET: &[&str] = &[
    "U0VDUkVULURBVEE=", // base64 of SECRET-DATA, in a Secret's `data`
    "SECRET-FLOW",      // flow-style stringData
    "SECRET-JSONDOC",   // a Secret written as a JSON document
    "SECRET-COMMENT",   // a comment after `kind: Secret`
    "SECRET-CONT",      // quoted keys, value on the next line
    "SECRET-LIST",      // a Secret inside a `kind: List`
    "SECRET-HOOK",      // a hook that is a Secret
    "SECRET-APPLIED",   // last-applied-configuration of a Secret
    "SECRET-PW-OLD",    // .Values.auth.password, revision 1
    "SECRET-PW-NEW",    // .Values.auth.password, revision 2
    "SECRET-APIKEY",    // .Values.apiKey
    "SECRET-CREDLIST",  // a list under .Values.credentials
    "SECRET-PRIVMAP",   // a map under .Values.privateKey
    "SECRET-DSN",       // .Values.db.dsn, which flows into a Secret
    "SECRET-PLAN",      // the planned Secret's new value
    // Kept free of the word, which a document must not need to be a Secret:
    "HIDDEN-BINARYKIND", // a Secret whose kind is `!!binary U2VjcmV0`
    "HIDDEN-TAGGED",     // the same as a verbatim tag, percent-escaped
    "HIDDEN-DSN-OLD",    // .Values.extra.dsn, revision 1, which flows into Secret `extra`
    "HIDDEN-DSN-NEW",    // the same setting in revision 2, which no longer renders it
    "HIDDEN-BINDPASS",   // .Values.ldap.bindPass
    "HIDDEN-ENVVALUE",   // the value of {name: DB_PASSWORD, value: …} in .Values.extraEnv
    "HIDDEN-PEM",        // a private key under .Values.git.identity
];

/// Markers that are not secret and must show without the flag.
const PLAIN: &[&str] = &[
    "PLAIN-ENV",
    "PLAIN-CM",
    "PLAIN-NOTES",
    "PLAIN-CHART-DEFAULT",
    "PLAIN-ENVLIST", // the value of {name: MODE, value: …} in .Values.extraEnv
];

fn secrets_doc(dsn: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Secret
metadata:
  name: app
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{{"stringData":{{"pw":"SECRET-APPLIED"}}}}'
data:
  raw: U0VDUkVULURBVEE=
stringData: {{pw: SECRET-FLOW, dsn: "{dsn}"}}
"#
    )
}

const OTHER_SECRETS: &[(&str, &str)] = &[
    (
        "w/templates/json.yaml",
        r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"}, "stringData": {"k": "SECRET-JSONDOC"}}"#,
    ),
    (
        "w/templates/comment.yaml",
        "apiVersion: v1\nkind: Secret # holds the password\nmetadata:\n  name: c\nstringData:\n  k: SECRET-COMMENT\n",
    ),
    (
        "w/templates/cont.yaml",
        "apiVersion: v1\n\"kind\": Secret\nmetadata:\n  name: q\n\"stringData\":\n  'k':\n    SECRET-CONT\n",
    ),
    (
        "w/templates/binary.yaml",
        "apiVersion: v1\nkind: !!binary U2VjcmV0\nmetadata:\n  name: b\nstringData:\n  k: HIDDEN-BINARYKIND\n",
    ),
    (
        "w/templates/tagged.yaml",
        "apiVersion: v1\nkind: !<tag:yaml.org,2002:%62inary> U2VjcmV0\nmetadata:\n  name: t\nstringData:\n  k: HIDDEN-TAGGED\n",
    ),
    (
        "w/templates/list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: l}\n  stringData: {k: SECRET-LIST}\n",
    ),
];

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        env:\n        - name: MODE\n          value: PLAIN-ENV\n";
const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: PLAIN-CM\n";
const EXTRA: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n";
/// A Secret that revision 1 renders from `.Values.extra.dsn` and revision 2 does not.
const EXTRA_SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\nstringData:\n  dsn: HIDDEN-DSN-OLD\n";
const HOOK: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hook\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nstringData:\n  k: SECRET-HOOK\n";

fn revision(n: u64, password: &str, with_extra: bool) -> ReleaseBuilder {
    let mut b = ReleaseBuilder::new("w", "ns", n)
        .chart("w", "1.0.0")
        .chart_values(json!({"image": {"tag": "PLAIN-CHART-DEFAULT"}}))
        .config(json!({
            "auth": {"password": password},
            "apiKey": "SECRET-APIKEY",
            "credentials": ["SECRET-CREDLIST"],
            "privateKey": {"pem": "SECRET-PRIVMAP"},
            "db": {"dsn": "SECRET-DSN"},
            "ldap": {"bindPass": "HIDDEN-BINDPASS"},
            "extraEnv": [
                {"name": "DB_PASSWORD", "value": "HIDDEN-ENVVALUE"},
                {"name": "MODE", "value": "PLAIN-ENVLIST"},
            ],
            "git": {"identity": "-----BEGIN OPENSSH PRIVATE KEY-----\nHIDDEN-PEM\n-----END OPENSSH PRIVATE KEY-----\n"},
            "extra": if with_extra {
                json!({"enabled": true, "dsn": "HIDDEN-DSN-OLD"})
            } else {
                json!({"enabled": false, "dsn": "HIDDEN-DSN-NEW"})
            },
        }))
        .template(
            "templates/extra.yaml",
            "{{ if .Values.auth.password }}kind: ConfigMap{{ end }}",
        )
        .template(
            "templates/extra-secret.yaml",
            "{{ if .Values.extra.enabled }}stringData: {dsn: {{ .Values.extra.dsn }}}{{ end }}",
        )
        // Charts print values in their notes: the secret one is hidden there too.
        .notes("Open PLAIN-NOTES as PLAIN-ENVLIST with HIDDEN-BINDPASS")
        .manifest_doc("w/templates/secret.yaml", &secrets_doc("SECRET-DSN"))
        .manifest_doc("w/templates/deploy.yaml", DEPLOYMENT)
        .manifest_doc("w/templates/cm.yaml", CONFIGMAP);
    for (source, doc) in OTHER_SECRETS {
        b = b.manifest_doc(source, doc);
    }
    if with_extra {
        b = b
            .manifest_doc("w/templates/extra.yaml", EXTRA)
            .manifest_doc("w/templates/extra-secret.yaml", EXTRA_SECRET);
    }
    b.hook("w/templates/hook.yaml", HOOK)
        .hooks_ran_for(&[HookEvent::PreInstall, HookEvent::PreUpgrade])
}

fn write_fixture(dir: &Path) {
    let records = list(vec![
        revision(1, "SECRET-PW-OLD", true)
            .status(Status::Superseded, "Install complete")
            .secret(),
        revision(2, "SECRET-PW-NEW", false)
            .status(Status::Deployed, "Upgrade complete")
            .secret(),
    ]);
    std::fs::write(
        dir.join("records.json"),
        serde_json::to_vec(&records).unwrap(),
    )
    .unwrap();
    // The candidate changes the Secret (patched: shown by --diff).
    let candidate = format!(
        "---\n# Source: w/templates/secret.yaml\n{}---\n# Source: w/templates/cm.yaml\n{CONFIGMAP}",
        secrets_doc("SECRET-PLAN")
    );
    std::fs::write(dir.join("candidate.yaml"), candidate).unwrap();
    std::fs::write(dir.join("broken.yaml"), "kind: Secret\ndata: {a: [\n").unwrap();
}

/// Every command and error path, each in every output format.
fn invocations() -> Vec<Vec<&'static str>> {
    let base: Vec<Vec<&str>> = vec![
        vec!["list"],
        vec!["history", "w"],
        vec!["get", "w", "manifest"],
        vec!["get", "w", "hooks"],
        vec!["get", "w", "values"],
        vec!["get", "w", "values", "--revision", "1"],
        vec!["get", "w", "notes"],
        vec!["get", "w", "all"],
        vec!["get", "w", "values", "--all", "--revision", "1"],
        vec!["get", "w", "release"],
        vec!["get", "w", "release", "--revision", "1"],
        vec!["explain", "w", "cm/extra"],
        vec!["explain", "w", "secret/app"],
        vec!["explain", "w", "secret/extra"],
        vec!["explain", "w", "deploy/web"],
        vec!["timeline", "w"],
        vec!["images", "w"],
        vec!["plan", "w", "--manifest", "CANDIDATE"],
        vec!["plan", "w", "--manifest", "CANDIDATE", "--diff"],
        vec!["diff", "w"],
        vec!["diff", "w", "2", "1", "-C", "100"],
        // Error paths.
        vec!["get", "w", "values", "--revision", "9"],
        vec!["explain", "w", "secret/none"],
        vec!["history", "nothere"],
        vec!["plan", "w", "--manifest", "BROKEN"],
    ];
    let mut out = Vec::new();
    for args in base {
        for format in ["table", "wide", "json", "yaml", "markdown"] {
            let mut a = args.clone();
            a.extend(["-o", format]);
            out.push(a);
        }
    }
    out
}

fn run_all(dir: &Path, show: bool) -> Vec<(String, String)> {
    let records = dir.join("records.json");
    let candidate = dir.join("candidate.yaml");
    let broken = dir.join("broken.yaml");
    let mut outputs = Vec::new();
    for args in invocations() {
        let mut cmd = helm_why();
        for a in &args {
            match *a {
                "CANDIDATE" => cmd.arg(&candidate),
                "BROKEN" => cmd.arg(&broken),
                other => cmd.arg(other),
            };
        }
        cmd.arg("--from").arg(&records).arg("--from").arg(&broken);
        if show {
            cmd.arg("--show-secrets");
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push((args.join(" "), text));
    }
    outputs
}

#[test]
fn no_secret_leaves_without_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let outputs = run_all(dir.path(), false);
    if std::env::var_os("HELM_WHY_DUMP").is_some() {
        for (args, text) in &outputs {
            eprintln!("=== {args}\n{text}");
        }
    }
    for (args, text) in &outputs {
        // Also with wrapped lines joined again: a secret split across lines is still a leak.
        let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let unbroken = text.split_whitespace().collect::<String>();
        for marker in SECRET {
            assert!(!text.contains(marker), "`{args}` leaks {marker}:\n{text}");
            assert!(!joined.contains(marker), "`{args}` leaks {marker}:\n{text}");
            let squeezed: String = marker.split_whitespace().collect();
            assert!(
                !unbroken.contains(&squeezed),
                "`{args}` leaks {marker}:\n{text}"
            );
        }
    }
    let all: String = outputs.iter().map(|(_, t)| t.as_str()).collect();
    for marker in PLAIN {
        assert!(
            all.contains(marker),
            "{marker} is not secret and should show"
        );
    }
    // A changed Secret is in `plan --diff`, its values masked (a mark per value).
    let (_, plan_diff) = outputs
        .iter()
        .find(|(args, _)| args.starts_with("plan w --manifest CANDIDATE --diff -o table"))
        .unwrap();
    assert!(
        plan_diff.contains("+++ Secret ns/app (candidate)") && plan_diff.contains("<redacted #"),
        "{plan_diff}"
    );
    // The value change is still explained, with its values redacted.
    assert!(
        all.contains(".Values.auth.password: <redacted> → <redacted>"),
        "the cause names the changed value"
    );
}

#[test]
fn every_secret_shows_with_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let all: String = run_all(dir.path(), true)
        .iter()
        .map(|(_, t)| t.as_str())
        .collect();
    for marker in SECRET.iter().chain(PLAIN) {
        assert!(all.contains(marker), "{marker} missing with --show-secrets");
    }
}
