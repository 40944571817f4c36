//! helm-why as a kubectl plugin and as a helm plugin, run through the real kubectl and helm.
//!
//! The binaries come from `HELM_WHY_TEST_KUBECTL` / `HELM_WHY_TEST_HELM` (`.ci/run` fetches
//! the official Helm 3.17.3 and kubectl 1.31 builds), else from PATH. When one is missing the
//! test says so and checks nothing else.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::root;

fn tool(env: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// A directory holding only `kubectl-helm_why`, to put first on PATH.
fn plugin_path(dir: &Path) -> String {
    let bin = dir.join("kubectl-helm_why");
    // A link, not a copy: the binary is large and the tests run in parallel on CI's disk.
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubectl-helm_why"), &bin).unwrap();
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", dir.display())
}

#[test]
fn kubectl_finds_and_runs_the_plugin() {
    let Some(kubectl) = tool("HELM_WHY_TEST_KUBECTL", "kubectl") else {
        testkube::skip::skipped(
            "no kubectl (set HELM_WHY_TEST_KUBECTL; .ci/run fetches one)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    let list = Command::new(&kubectl)
        .args(["plugin", "list"])
        .env("PATH", &path)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("kubectl-helm_why"),
        "kubectl plugin list: {listed}{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let help = Command::new(&kubectl)
        .args(["helm-why", "--help"])
        .env("PATH", &path)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Usage: kubectl helm-why [OPTIONS] <COMMAND>"),
        "{text}"
    );
    // And it does real work through kubectl: explain from the bundled example.
    let explain = Command::new(&kubectl)
        .args([
            "helm-why",
            "explain",
            "a1",
            "cm/a1-app-config",
            "--from",
            "examples/a1-hook-conversion/release-secrets.yaml",
            "-o",
            "json",
        ])
        .current_dir(root())
        .env("PATH", &path)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        explain.status.success(),
        "{}",
        String::from_utf8_lossy(&explain.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
    assert_eq!(v["object"]["name"], "a1-app-config");
}

/// A helm command with a throwaway helm home and no cluster.
fn helm_cmd(helm: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(helm);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .current_dir(root());
    cmd
}

/// Install `plugin/<flavour>` with the built binary into the throwaway helm home.
fn install_helm_plugin(helm: &Path, home: &Path, flavour: &str) {
    let plugin = home.join("src").join("why");
    std::fs::create_dir_all(plugin.join("bin")).unwrap();
    std::fs::copy(
        root().join("plugin").join(flavour).join("plugin.yaml"),
        plugin.join("plugin.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_helm-why"), plugin.join("bin/helm-why"))
        .unwrap();
    let out = helm_cmd(helm, home)
        .args(["plugin", "install"])
        .arg(&plugin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm plugin install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Install the plugin into `helm`, then `helm why plan RELEASE CHART`: helm-why runs
/// $HELM_BIN; with no cluster, `helm upgrade --dry-run` fails and it falls back to
/// `helm template`. The plan must be what Helm 3.17.3 really did at step 2 of A1
/// (tests/fixtures/real-helm/cli-v3.17.3/A1/step2-upgrade/api-calls.txt).
fn plan_through_helm(helm: &Path, flavour: &str) {
    let home = tempfile::tempdir().unwrap();
    install_helm_plugin(helm, home.path(), flavour);
    let out = helm_cmd(helm, home.path())
        .args(["plugin", "list"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("why"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = helm_cmd(helm, home.path())
        .args([
            "why",
            "plan",
            "a1",
            "tests/fixtures/real-helm/cli-v3.17.3/A1/charts/v2",
            "--from",
            "tests/fixtures/real-helm/cli-v3.17.3/A1/step1-install/release-secrets.yaml",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["candidate"].as_str().unwrap().contains("template"), "{v}");
    let ops: Vec<(&str, &str)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["op"].as_str().unwrap(),
                c["object"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("hook-delete", "a1-app-config"),
            ("hook-create", "a1-app-config"),
            ("patch", "a1-app"),
            ("delete", "a1-app-config")
        ]
    );
}

#[test]
fn helm3_runs_the_plugin_and_plan_renders_the_chart_with_helm() {
    let Some(helm) = tool("HELM_WHY_TEST_HELM", "helm") else {
        testkube::skip::skipped(
            "no helm (set HELM_WHY_TEST_HELM; .ci/run fetches Helm 3.17.3)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    plan_through_helm(&helm, "helm3");
}

#[test]
fn helm4_runs_the_v1_plugin() {
    let Some(helm) = std::env::var_os("HELM_WHY_TEST_HELM4").map(PathBuf::from) else {
        testkube::skip::skipped(
            "no Helm 4 (set HELM_WHY_TEST_HELM4; .ci/run fetches Helm 4.1.4)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    plan_through_helm(&helm, "helm4");
}

#[test]
fn helm4_plugin_manifest_is_valid_yaml_with_the_v1_schema() {
    let text = std::fs::read_to_string(root().join("plugin/helm4/plugin.yaml")).unwrap();
    let v = helm_why_release::manifest::parse_yaml(&text).unwrap();
    assert_eq!(v["apiVersion"], "v1");
    assert_eq!(v["type"], "cli/v1");
    assert_eq!(v["name"], "why");
    assert_eq!(v["runtime"], "subprocess");
    assert!(
        v["runtimeConfig"]["platformCommand"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with("/bin/helm-why")
    );
}

#[test]
fn plan_passes_values_to_helm() {
    let Some(helm) = tool("HELM_WHY_TEST_HELM", "helm") else {
        testkube::skip::skipped(
            "no helm (set HELM_WHY_TEST_HELM; .ci/run fetches Helm 3.17.3)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    let out = crate::harness::helm_why()
        .env("HELM_BIN", &helm)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args([
            "plan",
            "a1",
            "tests/fixtures/real-helm/cli-v3.17.3/A1/charts/v2",
            "--set",
            "podAnnotation=9",
            "--from",
            "tests/fixtures/real-helm/cli-v3.17.3/A1/step1-install/release-secrets.yaml",
            "--diff",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("+        example.com/rollout: \"9\""),
        "{text}"
    );
}

/// Connected to a cluster, `plan RELEASE CHART` renders with `helm upgrade --dry-run`; when
/// Helm fails, its error is the answer (exit 1) — never a silent fallback to `helm template`,
/// which renders an install.
#[test]
fn a_failing_dry_run_is_reported_not_replaced_by_helm_template() {
    let Some(helm) = tool("HELM_WHY_TEST_HELM", "helm") else {
        testkube::skip::skipped(
            "no helm (set HELM_WHY_TEST_HELM; .ci/run fetches Helm 3.17.3)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // A cluster nobody listens on: port 1 of loopback.
    let kubeconfig = home.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    let out = crate::harness::helm_why()
        .env("HELM_BIN", &helm)
        .env("KUBECONFIG", &kubeconfig)
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config-home"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .args([
            "plan",
            "a1",
            "tests/fixtures/real-helm/cli-v3.17.3/A1/charts/v2",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("upgrade --dry-run failed:"), "{stderr}");
    // Helm's own words about the unreachable cluster.
    assert!(
        stderr.contains("127.0.0.1:1") || stderr.contains("unreachable"),
        "{stderr}"
    );
}

/// A test API server holding two releases of namespace `shop` that track one ConfigMap (a
/// `shared-object`), and a kubeconfig for it in `dir`.
fn shared_cluster(dir: &Path) -> (testkube::TestCluster, PathBuf) {
    use helm_why_release::builder::ReleaseBuilder;
    let cluster = testkube::TestCluster::start();
    for name in ["one", "two"] {
        cluster.add(
            ReleaseBuilder::new(name, "shop", 1)
                .chart(name, "1.0.0")
                .manifest_doc(
                    &format!("{name}/templates/cm.yaml"),
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: common\n",
                )
                .secret(),
        );
    }
    let kubeconfig = dir.join("kubeconfig");
    // The context names no namespace: the releases are found only where the command says.
    std::fs::write(&kubeconfig, cluster.kubeconfig(None)).unwrap();
    (cluster, kubeconfig)
}

/// The releases and hazard codes of a `scan -o json` document.
fn scanned(stdout: &[u8]) -> (Vec<String>, Vec<String>) {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    let names = |key: &str, field: &str| {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[field].as_str().unwrap().to_owned())
            .collect()
    };
    (names("releases", "release"), names("hazards", "code"))
}

#[test]
fn kubectl_helm_why_scan_audits_the_cluster() {
    let Some(kubectl) = tool("HELM_WHY_TEST_KUBECTL", "kubectl") else {
        testkube::skip::skipped(
            "no kubectl (set HELM_WHY_TEST_KUBECTL; .ci/run fetches one)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_cluster, kubeconfig) = shared_cluster(dir.path());
    let path = plugin_path(dir.path());
    let out = Command::new(&kubectl)
        .args(["helm-why", "scan", "-A", "-o", "json"])
        .env("PATH", &path)
        .env("HOME", dir.path())
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        scanned(&out.stdout),
        (
            vec!["one".to_owned(), "two".to_owned()],
            vec!["shared-object".to_owned(), "shared-object".to_owned()]
        )
    );
}

#[test]
fn helm_why_scan_through_helm_uses_helms_context_and_namespace() {
    let Some(helm) = tool("HELM_WHY_TEST_HELM", "helm") else {
        testkube::skip::skipped(
            "no helm (set HELM_WHY_TEST_HELM; .ci/run fetches Helm 3.17.3)",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    let home = tempfile::tempdir().unwrap();
    install_helm_plugin(&helm, home.path(), "helm3");
    let (_cluster, kubeconfig) = shared_cluster(home.path());
    // helm hands the plugin its namespace (-n) and kube context in HELM_NAMESPACE and
    // HELM_KUBECONTEXT.
    let out = helm_cmd(&helm, home.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(["why", "scan", "-n", "shop", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(scanned(&out.stdout).0, ["one", "two"]);
}
