//! Running the real `helm-why` binary hermetically and printing what it did, jj-style:
//! stdout, then stderr, then the exit status.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, where fixture paths in snapshots are relative to.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A `helm-why` command with an empty environment (no kubeconfig, no HELM_* variables).
pub fn helm_why() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_helm-why"));
    cmd.env_clear()
        .env("HOME", "/nonexistent")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .current_dir(root());
    cmd
}

/// Run and render `stdout`, `stderr` and the exit status as one text.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the helm-why binary runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        text.push_str("------- stderr -------\n");
        text.push_str(&stderr);
    }
    text.push_str(&format!(
        "[exit status: {}]\n",
        out.status.code().unwrap_or(-1)
    ));
    text
}

/// Run `helm-why ARGS…` and render it.
pub fn run_args(args: &[&str]) -> String {
    run(helm_why().args(args))
}

/// Records of the record builder written to a temporary file, as `kubectl get secrets -o
/// json` prints them (a `v1 List`).
pub struct SecretsFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SecretsFile {
    /// Write the builders' Secrets.
    pub fn new(builders: &[helm_why_release::builder::ReleaseBuilder]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let secrets = builders
            .iter()
            .map(helm_why_release::builder::ReleaseBuilder::secret)
            .collect();
        let text = serde_json::to_vec_pretty(&helm_why_release::builder::list(secrets)).unwrap();
        std::fs::write(&path, text).unwrap();
        SecretsFile { _dir: dir, path }
    }

    /// The file, for `--from`.
    pub fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// Exit code, stdout and stderr of one run of `helm-why ARGS…` (for JSON output, which
/// [`run`] would mix with stderr).
pub fn output(args: &[&str]) -> (i32, String, String) {
    let out = helm_why().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit code, stdout and stderr of `helm-why ARGS…` with nothing but `KUBECONFIG` in its
/// environment (the connected tests: the cluster is the test's `testkube`).
pub fn output_connected(
    kubeconfig: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("KUBECONFIG", kubeconfig.as_ref())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The hazards of a JSON report (`scan`, `plan`) with this code.
pub fn hazards_coded<'v>(report: &'v serde_json::Value, code: &str) -> Vec<&'v serde_json::Value> {
    report["hazards"]
        .as_array()
        .expect("a report with hazards")
        .iter()
        .filter(|h| h["code"] == code)
        .collect()
}

/// `releases` Tiller releases `r000`, `r001`, … of namespace `shop`, two revisions each with a
/// template of 20,000 characters, as Tiller stores them in `kube-system` (ConfigMaps); and the
/// bytes their records decode to.
pub fn tiller_releases(releases: usize) -> (Vec<serde_json::Value>, usize) {
    use helm_why_release::tiller::builder::TillerBuilder;
    let (mut objects, mut decoded) = (Vec::new(), 0);
    for r in 0..releases {
        for rev in 1..=2 {
            let b = TillerBuilder::new(&format!("r{r:03}"), "shop", rev)
                .template("templates/blob.txt", &"x".repeat(20_000))
                .manifest_doc(
                    "templates/cm.yaml",
                    &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{r:03}"),
                );
            let b = if rev == 1 {
                b.status(helm_why_release::Status::Superseded, "Install complete")
            } else {
                b
            };
            let limits = helm_why_release::Limits::default();
            decoded += helm_why_release::codec::peel(b.payload().as_bytes(), &limits)
                .unwrap()
                .json
                .len();
            objects.push(b.configmap("kube-system"));
        }
    }
    (objects, decoded)
}

/// Hostile records: a Tiller release `x` whose revision 1 names namespace `a` and revision 2
/// namespace `b` (kept by Tiller in `kube-system`), after the Helm 3 releases `a/x` (revision
/// 3) and `a/y`.
pub fn tiller_release_in_two_namespaces() -> Vec<serde_json::Value> {
    use helm_why_release::builder::ReleaseBuilder;
    use helm_why_release::tiller::builder::TillerBuilder;
    let cm = |n: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n");
    let helm3 = |name: &str, rev: u64, object: &str| {
        ReleaseBuilder::new(name, "a", rev)
            .manifest_doc(&format!("{name}/templates/c.yaml"), &cm(object))
            .secret()
    };
    vec![
        helm3("x", 3, "c3"),
        helm3("y", 1, "cy"),
        TillerBuilder::new("x", "a", 1)
            .manifest_doc("x/templates/c.yaml", &cm("c1"))
            .status(helm_why_release::Status::Superseded, "Install complete")
            .configmap("kube-system"),
        TillerBuilder::new("x", "b", 2)
            .manifest_doc("x/templates/c.yaml", &cm("c2"))
            .configmap("kube-system"),
    ]
}

/// The releases of a `scan -o json` report as `namespace/name` and revisions stored.
pub fn stored_rows(report: &serde_json::Value) -> Vec<(String, u64)> {
    let rows = report["releases"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    rows.iter()
        .map(|r| {
            let (ns, name) = (r["namespace"].as_str(), r["release"].as_str());
            let id = format!("{}/{}", ns.unwrap_or_default(), name.unwrap_or_default());
            (id, r["revisions_stored"].as_u64().unwrap_or_default())
        })
        .collect()
}
