//! The real `helm-why` binary against a test API server (`testkube`): kubeconfig, context and
//! namespace resolution, pagination, both storage drivers, and the errors a cluster can give.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::codec::encode_base64;
use helm_why_release::tiller::builder::TillerBuilder;
use serde_json::{Value, json};
use testkube::{RecordedRequest, TestCluster};

const DEPLOYMENT: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1";
const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80";

/// Revision `rev` of release `name`: chart 1.<rev-1>.0, a Deployment and a Service, plus a
/// ConfigMap from revision 2 on; the last of `last` revisions is deployed, the rest superseded.
fn revision(name: &str, ns: &str, rev: u64, last: u64) -> ReleaseBuilder {
    let mut b = ReleaseBuilder::new(name, ns, rev)
        .chart(name, &format!("1.{}.0", rev - 1))
        .app_version(&format!("2.{rev}"))
        .manifest_doc(
            &format!("{name}/templates/deployment.yaml"),
            &DEPLOYMENT.replace("replicas: 1", &format!("replicas: {rev}")),
        )
        .manifest_doc(&format!("{name}/templates/service.yaml"), SERVICE);
    if rev >= 2 {
        b = b.manifest_doc(
            &format!("{name}/templates/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config",
        );
    }
    let description = if rev == 1 {
        "Install complete"
    } else {
        "Upgrade complete"
    };
    if rev < last {
        b = b.status(Status::Superseded, description);
    }
    b
}

/// Every revision of a release, as Secrets.
fn secrets(name: &str, ns: &str, revisions: u64) -> Vec<Value> {
    (1..=revisions)
        .map(|r| revision(name, ns, r, revisions).secret())
        .collect()
}

/// A cluster holding:
/// - `shop`: `web` (3 revisions, the last failed), `api` (2 revisions and a corrupt third),
///   and an unrelated Secret;
/// - `other`: another `web` (2 revisions);
/// - `busy`: `web` with 230 revisions (three pages of 100);
/// - `legacy`: `old` stored as ConfigMaps (`HELM_DRIVER=configmap`).
fn loaded_cluster() -> TestCluster {
    let cluster = TestCluster::start();
    cluster.add_all(secrets("web", "shop", 2));
    cluster.add(
        revision("web", "shop", 3, 3)
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: context deadline exceeded",
            )
            .secret(),
    );
    cluster.add_all(secrets("api", "shop", 2));
    let mut corrupt = revision("api", "shop", 3, 3).secret();
    // Helm's base64 text cut in half (on a 4-character boundary): a truncated gzip stream.
    let payload = revision("api", "shop", 3, 3).payload();
    let half = (payload.len() / 2) & !3;
    corrupt["data"]["release"] = json!(encode_base64(&payload.as_bytes()[..half]));
    cluster.add(corrupt);
    cluster.add(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "db-password", "namespace": "shop"},
        "data": {"password": "aHVudGVyMg=="},
    }));
    cluster.add_all(secrets("web", "other", 2));
    cluster.add_all(secrets("web", "busy", 230));
    cluster.add_all((1..=2).map(|r| revision("old", "legacy", r, 2).configmap()));
    cluster
}

/// A kubeconfig file in a temporary directory.
struct Kubeconfig {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn write_kubeconfig(text: &str) -> Kubeconfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, text).unwrap();
    Kubeconfig { _dir: dir, path }
}

/// What one run printed, with server URLs replaced by `<server>` for stable snapshots.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// `exit code` then stderr, for error snapshots.
    fn failure(&self) -> String {
        format!("exit {}\n{}", self.code, self.stderr)
    }
}

/// Run the binary with nothing but `KUBECONFIG` and `env` in its environment.
fn helm_why(kubeconfig: impl AsRef<OsStr>, env: &[(&str, &str)], args: &[&str]) -> Run {
    let kubeconfig = kubeconfig.as_ref();
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("KUBECONFIG", kubeconfig)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| {
        let mut s = String::from_utf8_lossy(b).into_owned();
        const LOCAL: &str = "http://127.0.0.1:";
        while let Some(start) = s.find(LOCAL) {
            let port = &s[start + LOCAL.len()..];
            let end = start
                + LOCAL.len()
                + port
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(port.len());
            s.replace_range(start..end, "<server>");
        }
        s.replace(&*kubeconfig.to_string_lossy(), "<kubeconfig>")
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    }
}

/// The request log, one line per request; asserts first that nothing but GET was ever sent.
fn requests(cluster: &TestCluster) -> Vec<String> {
    let log = cluster.requests();
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "helm-why must only read: {log:#?}"
    );
    log.iter().map(RecordedRequest::to_string).collect()
}

#[test]
fn history_of_a_release_in_the_context_namespace() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let run = helm_why(&kc.path, &[], &["history", "web"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @r#"
        REVISION  UPDATED                  STATUS      CHART      APP VERSION  OBJECTS  HOOKS  CHANGE        DESCRIPTION
        1         2026-01-01 00:00:01 UTC  superseded  web-1.0.0  2.1          2        0      +2 (initial)  Install complete
        2         2026-01-01 00:00:02 UTC  deployed    web-1.1.0  2.2          3        0      +1 ~1         Upgrade complete
        3         2026-01-01 00:00:03 UTC  failed      web-1.2.0  2.3          3        0      ~1            Upgrade "web" failed: context deadline exceeded
        "#);
    insta::assert_snapshot!(run.stderr, @"");
    assert_eq!(
        requests(&cluster),
        ["GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm,name=web&limit=100"]
    );
}

#[test]
fn namespace_from_the_flag_then_helm_namespace_then_default() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let flag = helm_why(
        &kc.path,
        &[("HELM_NAMESPACE", "shop")],
        &["history", "web", "-n", "other"],
    );
    assert_eq!(flag.code, 0, "{flag:?}");
    insta::assert_snapshot!(flag.stdout, @r"
        REVISION  UPDATED                  STATUS      CHART      APP VERSION  OBJECTS  HOOKS  CHANGE        DESCRIPTION
        1         2026-01-01 00:00:01 UTC  superseded  web-1.0.0  2.1          2        0      +2 (initial)  Install complete
        2         2026-01-01 00:00:02 UTC  deployed    web-1.1.0  2.2          3        0      +1 ~1         Upgrade complete
        ");
    let env = helm_why(
        &kc.path,
        &[("HELM_NAMESPACE", "other")],
        &["history", "web"],
    );
    assert_eq!(env.stdout, flag.stdout);
    // A context without a namespace means `default`, where nothing is stored.
    let bare = write_kubeconfig(&cluster.kubeconfig(None));
    let none = helm_why(&bare.path, &[], &["history", "web"]);
    insta::assert_snapshot!(none.failure(), @r#"
        exit 1
        helm-why: release "web" not found in namespace "default" (context test)
        hint: check --namespace and --context, or the files given to --from
        "#);
    assert_eq!(
        requests(&cluster),
        [
            "GET /api/v1/namespaces/other/secrets?labelSelector=owner=helm,name=web&limit=100",
            "GET /api/v1/namespaces/other/secrets?labelSelector=owner=helm,name=web&limit=100",
            "GET /api/v1/namespaces/default/secrets?labelSelector=owner=helm,name=web&limit=100",
            "GET /api/v1/namespaces/default/configmaps?labelSelector=owner=helm,name=web&limit=100",
        ]
    );
}

#[test]
fn context_from_the_flag_then_helm_kubecontext_then_current() {
    let dev = TestCluster::start();
    dev.add_all(secrets("web", "shop", 1));
    let prod = loaded_cluster();
    // KUBECONFIG lists several files, like kubectl's: missing ones are skipped, the first
    // current-context wins, and contexts from every file can be picked.
    let first = write_kubeconfig(&testkube::kubeconfig(
        &[dev.context("dev", Some("shop"))],
        Some("dev"),
    ));
    let second = write_kubeconfig(&testkube::kubeconfig(
        &[prod.context("prod", Some("other"))],
        Some("prod"),
    ));
    let list = std::env::join_paths([
        &first.path,
        &PathBuf::from("/nonexistent/config"),
        &second.path,
    ])
    .unwrap();
    let current = helm_why(&list, &[], &["list"]);
    insta::assert_snapshot!(current.stdout, @r"
        NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART      APP VERSION
        web   shop       1         2026-01-01 00:00:01 UTC  deployed  web-1.0.0  2.1
        ");
    let flag = helm_why(
        &list,
        &[("HELM_KUBECONTEXT", "dev")],
        &["list", "--context", "prod"],
    );
    insta::assert_snapshot!(flag.stdout, @r"
        NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART      APP VERSION
        web   other      2         2026-01-01 00:00:02 UTC  deployed  web-1.1.0  2.2
        ");
    let env = helm_why(&list, &[("HELM_KUBECONTEXT", "prod")], &["list"]);
    assert_eq!(env.stdout, flag.stdout);
    let unknown = helm_why(&list, &[], &["list", "--kube-context", "staging"]);
    insta::assert_snapshot!(unknown.failure(), @r#"
        exit 1
        helm-why: context "staging" not found in the kubeconfig
        hint: contexts in the kubeconfig: dev, prod
        "#);
    assert_eq!(
        requests(&dev),
        ["GET /api/v1/namespaces/shop/secrets?labelSelector=owner=helm&limit=100"]
    );
    assert_eq!(requests(&prod).len(), 2);
}

#[test]
fn list_in_all_namespaces() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let run = helm_why(&kc.path, &[], &["list", "-A"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS       CHART        APP VERSION
    web   busy       230       2026-01-01 00:03:50 UTC  deployed     web-1.229.0  2.230
    web   other      2         2026-01-01 00:00:02 UTC  deployed     web-1.1.0    2.2
    api   shop       3                                  undecodable
    web   shop       3         2026-01-01 00:00:03 UTC  failed       web-1.2.0    2.3
    ");
    insta::assert_snapshot!(run.stderr, @"warning: shop/api: revision 3 could not be decoded: sh.helm.release.v1.api.v3 (namespace/shop): gzip: truncated gzip stream (unexpected end of data)");
    let log = requests(&cluster);
    assert_eq!(log.len(), 3, "{log:#?}");
    assert!(
        log.iter()
            .all(|r| r.starts_with("GET /api/v1/secrets?labelSelector=owner=helm&limit=100"))
    );
}

/// `list` keeps of each release the records of its highest `version` label across pages
/// (a duplicate of the newest included, so that it is reported), and every record whose
/// labels do not say which release it holds.
#[test]
fn list_keeps_the_newest_records_of_each_release_across_pages() {
    let cluster = TestCluster::start();
    cluster.add_all(secrets("web", "shop", 150));
    // Another record of revision 150, which says otherwise.
    let mut copy = revision("web", "shop", 150, 150)
        .status(Status::Failed, "Upgrade \"web\" failed")
        .secret();
    copy["metadata"]["name"] = json!("web-v150-copy");
    cluster.add(copy);
    let mut unnamed = revision("solo", "shop", 2, 2).secret();
    unnamed["metadata"]["labels"] = json!({"owner": "helm"});
    cluster.add(unnamed);
    cluster.add_all(secrets("api", "shop", 3));
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let run = helm_why(&kc.path, &[], &["list"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART        APP VERSION
    api   shop       3         2026-01-01 00:00:03 UTC  deployed  api-1.2.0    2.3
    solo  shop       2         2026-01-01 00:00:02 UTC  deployed  solo-1.1.0   2.2
    web   shop       150       2026-01-01 00:02:30 UTC  failed    web-1.149.0  2.150
    ");
    insta::assert_snapshot!(run.stderr, @"warning: shop/web: revision 150 is stored 2 times with different content (web-v150-copy (namespace/shop), sh.helm.release.v1.web.v150 (namespace/shop)); using the first, the furthest along Helm's status lifecycle");
    assert_eq!(requests(&cluster).len(), 2);
}

#[test]
fn a_long_history_is_read_in_pages() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("busy")));
    let run = helm_why(&kc.path, &[], &["history", "web"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 231);
    insta::assert_snapshot!(lines[229..].join("\n"), @r"
        229       2026-01-01 00:03:49 UTC  superseded  web-1.228.0  2.229        3        0      ~1            Upgrade complete
        230       2026-01-01 00:03:50 UTC  deployed    web-1.229.0  2.230        3        0      ~1            Upgrade complete
        ");
    let log = cluster.requests();
    assert_eq!(log.len(), 3, "{log:#?}");
    let mut previous: Option<String> = None;
    for (i, request) in log.iter().enumerate() {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/api/v1/namespaces/busy/secrets");
        assert_eq!(request.param("labelSelector"), Some("owner=helm,name=web"));
        assert_eq!(request.param("limit"), Some("100"));
        // Each page after the first sends the token the previous page returned.
        let token = request.param("continue").map(str::to_owned);
        assert_eq!(token.is_some(), i > 0, "{request}");
        if i > 0 {
            assert_ne!(token, previous, "a new token for every page");
        }
        previous = token;
    }
}

#[test]
fn configmap_driver() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("legacy")));
    let run = helm_why(
        &kc.path,
        &[("HELM_DRIVER", "configmap")],
        &["history", "old"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @r"
        REVISION  UPDATED                  STATUS      CHART      APP VERSION  OBJECTS  HOOKS  CHANGE        DESCRIPTION
        1         2026-01-01 00:00:01 UTC  superseded  old-1.0.0  2.1          2        0      +2 (initial)  Install complete
        2         2026-01-01 00:00:02 UTC  deployed    old-1.1.0  2.2          3        0      +1 ~1         Upgrade complete
        ");
    let flag = helm_why(&kc.path, &[], &["history", "old", "--driver", "configmaps"]);
    assert_eq!(flag.stdout, run.stdout);
    let secrets = helm_why(&kc.path, &[], &["history", "old"]);
    insta::assert_snapshot!(secrets.failure(), @r#"
    exit 1
    helm-why: release "old" not found in namespace "legacy" (context test)
    hint: 2 records of release "old" exist with --driver configmap
    "#);
    assert_eq!(
        requests(&cluster),
        [
            "GET /api/v1/namespaces/legacy/configmaps?labelSelector=owner=helm,name=old&limit=100",
            "GET /api/v1/namespaces/legacy/configmaps?labelSelector=owner=helm,name=old&limit=100",
            "GET /api/v1/namespaces/legacy/secrets?labelSelector=owner=helm,name=old&limit=100",
            // Not found as Secrets: one LIST of the other storage kind, for the hint.
            "GET /api/v1/namespaces/legacy/configmaps?labelSelector=owner=helm,name=old&limit=100",
        ]
    );
}

#[test]
fn a_corrupt_record_is_a_row_and_a_warning() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let run = helm_why(&kc.path, &[], &["history", "api"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @r"
        REVISION  UPDATED                  STATUS       CHART      APP VERSION  OBJECTS  HOOKS  CHANGE        DESCRIPTION
        1         2026-01-01 00:00:01 UTC  superseded   api-1.0.0  2.1          2        0      +2 (initial)  Install complete
        2         2026-01-01 00:00:02 UTC  deployed     api-1.1.0  2.2          3        0      +1 ~1         Upgrade complete
        3         -                        undecodable  -          -            -        -      -             gzip: truncated gzip stream (unexpected end of data)
        ");
    insta::assert_snapshot!(run.stderr, @"warning: revision 3 could not be decoded: sh.helm.release.v1.api.v3 (namespace/shop): gzip: truncated gzip stream (unexpected end of data)");
    let get = helm_why(&kc.path, &[], &["get", "api", "values", "--revision", "3"]);
    insta::assert_snapshot!(get.failure(), @r#"
        exit 1
        helm-why: release "api" has no revision 3: its record could not be decoded
        hint: run `helm-why history` to see the revisions
        "#);
    requests(&cluster);
}

#[test]
fn api_errors_explain_themselves() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let mut out = String::new();
    for (code, args) in [
        (401, &["history", "web"][..]),
        (403, &["history", "web"][..]),
        (403, &["list", "-A"][..]),
        (404, &["history", "web"][..]),
        (500, &["list"][..]),
    ] {
        cluster.clear_failures();
        cluster.fail_all(code);
        let run = helm_why(&kc.path, &[], args);
        out.push_str(&format!(
            "$ helm-why {} ({code})\n{}\n",
            args.join(" "),
            run.failure()
        ));
    }
    insta::assert_snapshot!(out, @r#"
        $ helm-why history web (401)
        exit 1
        helm-why: the cluster refused the credentials of context test (401 Unauthorized)
        hint: check the kubeconfig user: its token or certificate may have expired (try `kubectl auth whoami`)

        $ helm-why history web (403)
        exit 1
        helm-why: forbidden: helm-why needs list on secrets in namespace "shop": secrets is forbidden: User "system:serviceaccount:default:test" cannot list resource "secrets" in API group "" in the namespace "shop"
        hint: grant a Role in namespace shop with verbs [get, list] on resource secrets (apiGroup ""); check with `kubectl auth can-i list secrets -n shop`

        $ helm-why list -A (403)
        exit 1
        helm-why: forbidden: helm-why needs list on secrets in all namespaces: secrets is forbidden: User "system:serviceaccount:default:test" cannot list resource "secrets" in API group "" at the cluster scope
        hint: grant a ClusterRole with verbs [get, list] on resource secrets (apiGroup ""); check with `kubectl auth can-i list secrets --all-namespaces`

        $ helm-why history web (404)
        exit 1
        helm-why: namespace "shop" not found (context test, <server>)
        hint: check -n/--namespace and --context

        $ helm-why list (500)
        exit 1
        helm-why: the API server at <server> failed to list secrets in namespace "shop" (500: Internal error occurred: etcdserver: request timed out)
        hint: the cluster is unhealthy or overloaded; retry later, or check `kubectl get --raw /readyz`
        "#);
    // One request per run: 401, 403, 404 and 500 are not retried.
    assert_eq!(requests(&cluster).len(), 5);
}

#[test]
fn a_wrong_token_is_refused() {
    let cluster = loaded_cluster();
    let kc = write_kubeconfig(
        &cluster
            .kubeconfig(Some("shop"))
            .replace(cluster.token(), "stale"),
    );
    let run = helm_why(&kc.path, &[], &["history", "web"]);
    insta::assert_snapshot!(run.failure(), @r"
        exit 1
        helm-why: the cluster refused the credentials of context test (401 Unauthorized)
        hint: check the kubeconfig user: its token or certificate may have expired (try `kubectl auth whoami`)
        ");
}

#[test]
fn connection_and_kubeconfig_errors() {
    let nobody = write_kubeconfig(&testkube::kubeconfig(
        &[testkube::Context {
            name: "gone".into(),
            server: testkube::unused_url(),
            token: "t".into(),
            namespace: None,
        }],
        Some("gone"),
    ));
    let refused = helm_why(&nobody.path, &[], &["history", "web"]);
    insta::assert_snapshot!(refused.failure(), @r"
        exit 1
        helm-why: cannot connect to the cluster at <server>: connection refused
        hint: is the cluster running, and is the server URL of context gone right?
        ");

    let missing = helm_why("/nonexistent/kubeconfig", &[], &["list"]);
    insta::assert_snapshot!(missing.failure(), @r"
        exit 1
        helm-why: kubeconfig <kubeconfig> not found
        hint: check --kubeconfig and KUBECONFIG, or read exported records with --from FILE
        ");

    let invalid = write_kubeconfig("clusters: [this is not a kubeconfig");
    let run = helm_why(&invalid.path, &[], &["list"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("helm-why: invalid kubeconfig <kubeconfig>: "),
        "{run:?}"
    );

    let no_context = write_kubeconfig("apiVersion: v1\nkind: Config\ncontexts: []\n");
    let run = helm_why(&no_context.path, &[], &["list"]);
    insta::assert_snapshot!(run.failure(), @r"
        exit 1
        helm-why: the kubeconfig has no current context
        hint: pick one with --context NAME (the kubeconfig defines no context)
        ");

    // No KUBECONFIG, no ~/.kube/config, not in a pod.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("HOME", home.path())
        .args(["list"])
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&home.path().display().to_string(), "<home>");
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr, @r"
        helm-why: no kubeconfig: <home>/.kube/config does not exist and helm-why is not running inside a cluster
        hint: pass --kubeconfig FILE or set KUBECONFIG, or read exported records with --from FILE
        ");
}

/// Revision `rev` of `legacy` in namespace `shop` as Tiller stored it; the last of `last` is
/// deployed.
fn tiller_revision(rev: i32, last: i32) -> TillerBuilder {
    let b = TillerBuilder::new("legacy", "shop", rev)
        .chart("legacy", &format!("0.{rev}.0"))
        .manifest_doc("legacy/templates/service.yaml", SERVICE);
    if rev < last {
        let description = if rev == 1 {
            "Install complete"
        } else {
            "Upgrade complete"
        };
        b.status(Status::Superseded, description)
    } else {
        b
    }
}

/// `list --tiller` decodes only the newest record of each release, chosen by Tiller's
/// `NAME`/`VERSION` labels, as Helm 3's by `name`/`version`: an old broken record is not
/// met, while `history` still meets it.
#[test]
fn tiller_list_decodes_only_the_newest_record_of_each_release() {
    let cluster = TestCluster::start();
    for rev in 1..=3 {
        let mut cm = tiller_revision(rev, 3).configmap("kube-system");
        if rev == 1 {
            cm["data"]["release"] = serde_json::Value::String("bm90IGd6aXA=".into());
        }
        cluster.add(cm);
    }
    // Only a decoded record tells a Tiller release's namespace: when the newest is broken, the
    // older ones are decoded until one does, and the release is listed as undecodable.
    cluster.add(TillerBuilder::new("cache", "shop", 1).configmap("kube-system"));
    let mut broken = TillerBuilder::new("cache", "shop", 2).configmap("kube-system");
    broken["data"]["release"] = serde_json::Value::String("bm90IGd6aXA=".into());
    cluster.add(broken);
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));

    let list = helm_why(&kc.path, &[], &["list", "--tiller"]);
    assert_eq!(list.code, 0, "{list:?}");
    insta::assert_snapshot!(list.stdout, @"
    NAME    NAMESPACE  REVISION  UPDATED                  STATUS       CHART         APP VERSION
    cache   shop       2                                  undecodable
    legacy  shop       3         2019-01-01 00:03:00 UTC  deployed     legacy-0.3.0
    ");
    insta::assert_snapshot!(list.stderr, @"warning: shop/cache: revision 2 could not be decoded: cache.v2 (namespace/kube-system): protobuf: neither gzip (1f 8b 08) nor a hapi.release.Release: failed to decode Protobuf message: invalid wire type value: 6");
    let history = helm_why(&kc.path, &[], &["history", "legacy", "--tiller"]);
    assert_eq!(history.code, 0, "{history:?}");
    assert!(
        history
            .stderr
            .contains("revision 1 could not be decoded: legacy.v1"),
        "{history:?}"
    );
}

#[test]
fn tiller_records_are_read_from_tillers_namespace() {
    let cluster = loaded_cluster();
    cluster.add_all((1..=2).map(|r| tiller_revision(r, 2).configmap("kube-system")));
    // A release of another namespace, and one Tiller stored as Secrets elsewhere.
    cluster.add(
        TillerBuilder::new("batch", "other", 1)
            .chart("batch", "9.0.0")
            .configmap("kube-system"),
    );
    cluster.add(TillerBuilder::new("cache", "shop", 1).secret("tiller"));
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));

    let run = helm_why(&kc.path, &[], &["history", "legacy", "--tiller"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @"
    REVISION  UPDATED                  STATUS      CHART         APP VERSION  OBJECTS  HOOKS  CHANGE        STORAGE           DESCRIPTION
    1         2019-01-01 00:01:00 UTC  superseded  legacy-0.1.0  -            1        0      +1 (initial)  tiller-configmap  Install complete
    2         2019-01-01 00:02:00 UTC  deployed    legacy-0.2.0  -            1        0      none          tiller-configmap  Upgrade complete
    ");
    insta::assert_snapshot!(run.stderr, @"");
    // Tiller kept every namespace's releases: without -n a named release is found anywhere.
    let other = helm_why(&kc.path, &[], &["history", "batch", "--tiller"]);
    insta::assert_snapshot!(other.stdout, @"
    REVISION  UPDATED                  STATUS    CHART        APP VERSION  OBJECTS  HOOKS  CHANGE        STORAGE           DESCRIPTION
    1         2019-01-01 00:01:00 UTC  deployed  batch-9.0.0  -            0        0      +0 (initial)  tiller-configmap  Install complete
    ");
    let elsewhere = helm_why(
        &kc.path,
        &[],
        &["history", "batch", "--tiller", "-n", "shop"],
    );
    insta::assert_snapshot!(elsewhere.failure(), @r#"
    exit 1
    helm-why: release "batch" not found in namespace "shop" (context test) and Tiller's records in namespace "kube-system"
    hint: check --namespace and --context, or the files given to --from; Helm 2's helm delete --purge leaves no record of a release
    "#);
    // `list` keeps the context namespace's releases, `-A` all of them.
    let list = helm_why(&kc.path, &[], &["list", "--tiller"]);
    insta::assert_snapshot!(list.stdout, @"
    NAME    NAMESPACE  REVISION  UPDATED                  STATUS       CHART         APP VERSION
    api     shop       3                                  undecodable
    legacy  shop       2         2019-01-01 00:02:00 UTC  deployed     legacy-0.2.0
    web     shop       3         2026-01-01 00:00:03 UTC  failed       web-1.2.0     2.3
    ");
    let all = helm_why(&kc.path, &[], &["list", "-A", "--tiller"]);
    insta::assert_snapshot!(all.stdout, @"
    NAME    NAMESPACE  REVISION  UPDATED                  STATUS       CHART         APP VERSION
    web     busy       230       2026-01-01 00:03:50 UTC  deployed     web-1.229.0   2.230
    batch   other      1         2019-01-01 00:01:00 UTC  deployed     batch-9.0.0
    web     other      2         2026-01-01 00:00:02 UTC  deployed     web-1.1.0     2.2
    api     shop       3                                  undecodable
    legacy  shop       2         2019-01-01 00:02:00 UTC  deployed     legacy-0.2.0
    web     shop       3         2026-01-01 00:00:03 UTC  failed       web-1.2.0     2.3
    ");
    let secrets = helm_why(
        &kc.path,
        &[("TILLER_NAMESPACE", "tiller")],
        &["history", "cache", "--tiller"],
    );
    insta::assert_snapshot!(secrets.stdout, @"
    REVISION  UPDATED                  STATUS    CHART        APP VERSION  OBJECTS  HOOKS  CHANGE        STORAGE        DESCRIPTION
    1         2019-01-01 00:01:00 UTC  deployed  cache-0.1.0  -            0        0      +0 (initial)  tiller-secret  Install complete
    ");
    let log = requests(&cluster);
    let tiller: Vec<&String> = log.iter().filter(|r| r.contains("OWNER=TILLER")).collect();
    assert_eq!(
        tiller,
        [
            "GET /api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER=TILLER,NAME=legacy&limit=100",
            "GET /api/v1/namespaces/kube-system/secrets?labelSelector=OWNER=TILLER,NAME=legacy&limit=100",
            "GET /api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER=TILLER,NAME=batch&limit=100",
            "GET /api/v1/namespaces/kube-system/secrets?labelSelector=OWNER=TILLER,NAME=batch&limit=100",
            "GET /api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER=TILLER,NAME=batch&limit=100",
            "GET /api/v1/namespaces/kube-system/secrets?labelSelector=OWNER=TILLER,NAME=batch&limit=100",
            "GET /api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER=TILLER&limit=100",
            "GET /api/v1/namespaces/kube-system/secrets?labelSelector=OWNER=TILLER&limit=100",
            "GET /api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER=TILLER&limit=100",
            "GET /api/v1/namespaces/kube-system/secrets?labelSelector=OWNER=TILLER&limit=100",
            "GET /api/v1/namespaces/tiller/configmaps?labelSelector=OWNER=TILLER,NAME=cache&limit=100",
            "GET /api/v1/namespaces/tiller/secrets?labelSelector=OWNER=TILLER,NAME=cache&limit=100",
        ]
    );
    // Without --tiller nothing of Tiller's is read.
    cluster.clear_requests();
    let plain = helm_why(&kc.path, &[], &["history", "legacy"]);
    assert_eq!(plain.code, 1, "{plain:?}");
    assert!(!requests(&cluster).iter().any(|r| r.contains("TILLER")));
}

/// `scan --tiller` and `who --tiller` read the cluster as a stream: Tiller's records are
/// listed first and held as stored, a Helm 3 release takes those that continue it (`helm
/// 2to3`) as the LIST hands it over, and the releases only Tiller stores follow. The answer is
/// the one the same records give read whole, from a file.
#[test]
fn a_streamed_scan_with_tiller_answers_as_the_records_read_whole() {
    let cluster = TestCluster::start();
    let mut objects = Vec::new();
    // `legacy` converted by helm 2to3: Tiller's revisions 1-2, the Helm 3 copy of 2 and a
    // Helm 3 upgrade to 3 without the Service.
    objects.extend((1..=2).map(|r| tiller_revision(r, 2).configmap("kube-system")));
    let helm3 = |rev: u64, status: Status| {
        ReleaseBuilder::new("legacy", "shop", rev)
            .chart("legacy", &format!("0.{rev}.0"))
            .manifest_doc(
                "legacy/templates/deployment.yaml",
                &DEPLOYMENT.replace("web", "legacy"),
            )
            .manifest_doc(
                "legacy/templates/service.yaml",
                if rev == 2 { SERVICE } else { "" },
            )
            .status(status, "Upgrade complete")
    };
    objects.push(helm3(2, Status::Superseded).secret());
    objects.push(helm3(3, Status::Deployed).secret());
    // Only Tiller stores these: one in another namespace, one whose newest record is broken
    // (an older one places it), one no record of which decodes.
    objects.push(
        TillerBuilder::new("batch", "other", 1)
            .chart("batch", "9.0.0")
            .manifest_doc("batch/templates/service.yaml", SERVICE)
            .configmap("kube-system"),
    );
    let broken = |mut object: Value| {
        object["data"]["release"] = Value::String("bm90IGd6aXA=".into());
        object
    };
    objects.push(TillerBuilder::new("cache", "shop", 1).configmap("kube-system"));
    objects.push(broken(
        TillerBuilder::new("cache", "shop", 2).configmap("kube-system"),
    ));
    objects.push(broken(
        TillerBuilder::new("lost", "shop", 1).configmap("kube-system"),
    ));
    // And Helm 3 releases of their own, before and after `legacy` in the LIST.
    objects.extend(secrets("api", "shop", 2));
    objects.extend(secrets("web", "shop", 2));
    cluster.add_all(objects.clone());
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.json");
    std::fs::write(
        &file,
        serde_json::to_string(&helm_why_release::builder::list(objects)).unwrap(),
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();

    let json = |run: &Run, part: &str| -> Value {
        assert_eq!(run.code, 0, "{run:?}");
        serde_json::from_str::<Value>(&run.stdout).unwrap()[part].clone()
    };
    for namespaces in [&["-A"][..], &["-n", "shop"]] {
        let live = helm_why(
            &kc.path,
            &[],
            &[
                &["scan", "--tiller", "--fail-on", "never", "-o", "json"],
                namespaces,
            ]
            .concat(),
        );
        let whole = helm_why(
            &kc.path,
            &[],
            &[
                &["scan", "--fail-on", "never", "-o", "json", "--from", &file],
                namespaces,
            ]
            .concat(),
        );
        for part in ["releases", "hazards"] {
            assert_eq!(
                json(&live, part),
                json(&whole, part),
                "{namespaces:?} {part}"
            );
        }
    }
    cluster.clear_requests();
    let live = helm_why(
        &kc.path,
        &[],
        &["scan", "-A", "--tiller", "--fail-on", "never"],
    );
    // Tiller's records first, then Helm 3's (a whole read lists them the other way round).
    let lists: Vec<String> = requests(&cluster)
        .into_iter()
        .filter(|r| r.contains("labelSelector=OWNER=TILLER") || r.contains("owner=helm"))
        .collect();
    assert_eq!(
        lists,
        [
            "GET /api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER=TILLER&limit=100",
            "GET /api/v1/namespaces/kube-system/secrets?labelSelector=OWNER=TILLER&limit=100",
            "GET /api/v1/secrets?labelSelector=owner=helm&limit=100",
        ]
    );
    insta::assert_snapshot!(live.stdout.lines().take(9).collect::<Vec<_>>().join("\n"), @r#"
    Verdict: 5 releases in all namespaces (context test) and Tiller's records in namespace "kube-system": 6 high (listed below); 3 live objects' ownership checked.
    NAMESPACE  NAME    REVISION  UPDATED                  STATUS    CHART         STORED  MISSING  HAZARDS  WORST
    other      batch   1         2019-01-01 00:01:00 UTC  deployed  batch-9.0.0   1       0        -        -
    shop       api     2         2026-01-01 00:00:02 UTC  deployed  api-1.1.0     2       0        3/0/0    shared-object
    shop       cache   2         2019-01-01 00:01:00 UTC  deployed  cache-0.1.0   2       0        -        -
    shop       legacy  3         2026-01-01 00:00:03 UTC  deployed  legacy-0.3.0  3       0        -        -
    shop       web     2         2026-01-01 00:00:02 UTC  deployed  web-1.1.0     2       0        3/0/0    shared-object
    (HAZARDS: high/medium/low)
    "#);
    insta::assert_snapshot!(live.stderr, @"
    warning: could not decode lost.v1 (namespace/kube-system): protobuf: neither gzip (1f 8b 08) nor a hapi.release.Release: failed to decode Protobuf message: invalid wire type value: 6
    warning: shop/cache: revision 2 could not be decoded: cache.v2 (namespace/kube-system): protobuf: neither gzip (1f 8b 08) nor a hapi.release.Release: failed to decode Protobuf message: invalid wire type value: 6
    warning: shop/legacy: revision 2 stored both by Tiller (Helm 2) and as Helm 3 records: converted by helm 2to3; the Helm 3 copies are used
    ");
    let who = helm_why(
        &kc.path,
        &[],
        &["who", "Service/web", "-n", "shop", "--tiller"],
    );
    insta::assert_snapshot!(who.stdout, @"
    Service shop/web
    2 releases track it now (shop/api, shop/web): whichever upgrades without it or is uninstalled deletes it from under the others; release shop/legacy deleted it last, at revision 3 (upgrade); the cluster has no such object.

    NAMESPACE  RELEASE  REVISIONS  WHAT IT DID                                   TRACKS IT NOW
    shop       api      2          1: created; 2: applied unchanged              revision 2
    shop       legacy   3          1: created; 2: applied unchanged; 3: deleted  -
    shop       web      2          1: created; 2: applied unchanged              revision 2

    Story:
      2019-01-01 00:01:00 UTC  shop/legacy revision 1 (install, apply): create — created by the install
      2026-01-01 00:00:01 UTC  shop/api revision 1 (install, apply): create — created by the install; but the records last show release shop/legacy writing it before (revision 1, install, 2019-01-01 00:01:00 UTC) and nothing removing it since: Helm would have refused this install at the existing-resource check unless the object was changed outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)
      2026-01-01 00:00:01 UTC  shop/web revision 1 (install, apply): create — created by the install; but the records last show release shop/legacy writing it before (revision 1, install, 2019-01-01 00:01:00 UTC) and nothing removing it since: Helm would have refused this install at the existing-resource check unless the object was changed outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)
      2026-01-01 00:00:02 UTC  shop/api revision 2 (upgrade, apply): unchanged — unchanged
      2026-01-01 00:00:02 UTC  shop/legacy revision 2 (upgrade, apply): unchanged — unchanged
      2026-01-01 00:00:02 UTC  shop/web revision 2 (upgrade, apply): unchanged — unchanged
      2026-01-01 00:00:03 UTC  shop/legacy revision 3 (upgrade, delete): delete — deleted: its template templates/service.yaml is not in chart legacy-0.3.0 any more

    Live (context test):
      absent
    ");
}

/// The run budget (`--max-total-bytes`) bounds what a streamed `scan --tiller` holds
/// decoded, not the sum over Tiller's records: they are held as stored and decoded a release
/// at a time, so 150 releases under a third of what their records decode to all decode live,
/// as from a file (streamed too; read whole, it spends the budget: `test_tiller.rs`).
#[test]
fn a_streamed_scan_holds_tillers_records_as_stored() {
    let cluster = TestCluster::start();
    let (objects, decoded) = crate::harness::tiller_releases(150);
    cluster.add_all(objects.clone());
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.json");
    let list = helm_why_release::builder::list(objects);
    std::fs::write(&file, serde_json::to_string(&list).unwrap()).unwrap();
    let budget = (decoded / 3).to_string();
    let spent = format!("the run's budget of {budget} decoded bytes is spent");
    let scan = [
        "scan",
        "--fail-on",
        "never",
        "-o",
        "json",
        "--max-total-bytes",
        &budget,
    ];

    let live = helm_why(&kc.path, &[], &[&scan[..], &["--tiller"]].concat());
    assert_eq!(live.code, 0, "{live:?}");
    assert!(!live.stdout.contains(&spent), "{live:?}");
    let report: Value = serde_json::from_str(&live.stdout).unwrap();
    let releases = report["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 150);
    assert!(
        releases.iter().all(|r| r["status"] == "deployed"),
        "{report}"
    );

    let from_file = helm_why(
        &kc.path,
        &[],
        &[&scan[..], &["--from", &file.to_string_lossy()]].concat(),
    );
    assert_eq!(from_file.code, 0, "{from_file:?}");
    let from_file: Value = serde_json::from_str(&from_file.stdout).unwrap();
    assert_eq!(from_file["releases"], report["releases"]);
}

/// `timeline --tiller` reads the other releases of the namespace as it reads Helm 3's: of
/// Tiller's, those of which a record may mention the objects are decoded, and the others
/// dropped undecoded once placed. The Tiller release that deleted the Service after this
/// release created it is found; one that never rendered anything of this release's is not
/// decoded, so its record that unpacks but is no Tiller record is never met.
#[test]
fn tillers_other_releases_are_decoded_only_when_they_mention_the_objects() {
    let cluster = TestCluster::start();
    cluster.add_all(secrets("web", "shop", 2));
    // `legacy` rendered Service/web in 2019 and dropped it in June 2026, after `web`'s
    // revisions (January 2026) created it.
    cluster.add(tiller_revision(1, 2).configmap("kube-system"));
    cluster.add(
        TillerBuilder::new("legacy", "shop", 2)
            .chart("legacy", "0.2.0")
            .times(1_546_300_800, 1_780_272_000)
            .configmap("kube-system"),
    );
    // `quiet` rendered only its own ConfigMap; its first record unpacks, but to no Tiller
    // record.
    let mut first = TillerBuilder::new("quiet", "shop", 1)
        .status(Status::Superseded, "Install complete")
        .configmap("kube-system");
    first["data"]["release"] = Value::String(helm_why_release::codec::encode_payload(
        b"not a hapi.release.Release",
    ));
    cluster.add(first);
    cluster.add(
        TillerBuilder::new("quiet", "shop", 2)
            .manifest_doc(
                "quiet/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: quiet",
            )
            .configmap("kube-system"),
    );
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("shop")));
    let run = helm_why(&kc.path, &[], &["timeline", "web", "--tiller"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(run.stdout, @"
    Verdict: no hazards found

    OBJECT                1 install  2 upgrade  LIVE
    ConfigMap/web-config  -          created    missing
    Service/web           created    unchanged  missing
    Deployment.apps/web   created    patched    missing

    Live (context test):
      ConfigMap/web-config: differs: expected present, but the cluster has no such object: it was deleted outside what the records show (kubectl, a controller, a namespace deletion); the next upgrade that renders it creates it again
      Service/web: differs: expected present from this release's records, but the cluster has no such object: release shop/legacy revision 2 (upgrade, 2026-06-01 00:00:00 UTC) deleted it, after this release last applied it
      Deployment.apps/web: differs: expected present, but the cluster has no such object: it was deleted outside what the records show (kubectl, a controller, a namespace deletion); the next upgrade that renders it creates it again

    Other releases:
      Service/web: release shop/legacy revision 2 (upgrade, 2026-06-01 00:00:00 UTC) deleted it: its template templates/service.yaml is not in chart legacy-0.2.0 any more
    ");
    insta::assert_snapshot!(run.stderr, @"");
}

/// Hostile input from a cluster: a Tiller release whose records name two namespaces decodes
/// into a history of each, and the one in `a` continues the Helm 3 release `a/x` the LIST
/// handed over before; the streamed `scan --tiller` gives up and reads everything at once, as
/// the file reader does (`test_tiller.rs`): one `a/x`, not two.
#[test]
fn a_tiller_release_in_two_namespaces_is_read_whole_live() {
    let cluster = TestCluster::start();
    cluster.add_all(crate::harness::tiller_release_in_two_namespaces());
    let kc = write_kubeconfig(&cluster.kubeconfig(Some("a")));
    let scan = ["scan", "-A", "--tiller", "--fail-on", "never", "-o", "json"];
    let live = helm_why(&kc.path, &[], &scan);
    assert_eq!(live.code, 0, "{live:?}");
    let report: Value = serde_json::from_str(&live.stdout).unwrap();
    let expected = [("a/x", 2), ("a/y", 1), ("b/x", 1)].map(|(id, n)| (id.to_owned(), n));
    assert_eq!(crate::harness::stored_rows(&report), expected);
}
