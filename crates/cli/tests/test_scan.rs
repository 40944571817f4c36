//! Cross-release forensics through the binary (issue 10): `scan`, `who`, and `explain` /
//! `timeline` naming the other release that deleted or took over an object — on files and on
//! the in-repo API server, with records made by the record builder.

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;
use serde_json::{Value, json};
use testkube::TestCluster;

use crate::harness::{SecretsFile, hazards_coded, output, output_connected, run_args};

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n    plural: widgets\n  scope: Namespaced\n";

const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 1\n";

/// Revision `n` of `release` in `ns`, started at 10:`minute` on 2026-01-01.
fn rev(release: &str, ns: &str, n: u64, minute: u32) -> ReleaseBuilder {
    ReleaseBuilder::new(release, ns, n)
        .chart(release, &format!("0.{n}.0"))
        .times(
            "2026-01-01T09:00:00Z",
            &format!("2026-01-01T10:{minute:02}:00Z"),
        )
}

fn tpl(release: &str, file: &str) -> String {
    format!("{release}/templates/{file}")
}

/// Namespace `shop`:
/// - `a` installs cm/shared (10:00), `b` takes it over (10:05), `a`'s upgrade at 10:10 no
///   longer renders it and deletes it;
/// - `c` and `d` both track cm/common;
/// - `operator` tracks the Widget CRD, `app` tracks Widget w1.
fn shop() -> Vec<ReleaseBuilder> {
    vec![
        rev("a", "shop", 1, 0)
            .manifest_doc(&tpl("a", "shared.yaml"), &cm("shared"))
            .manifest_doc(&tpl("a", "own.yaml"), &cm("a-own"))
            .status(Status::Superseded, "Install complete"),
        rev("a", "shop", 2, 10)
            .manifest_doc(&tpl("a", "own.yaml"), &cm("a-own"))
            .status(Status::Deployed, "Upgrade complete"),
        rev("b", "shop", 1, 5)
            .manifest_doc(&tpl("b", "shared.yaml"), &cm("shared"))
            .status(Status::Deployed, "Install complete"),
        rev("c", "shop", 1, 1)
            .manifest_doc(&tpl("c", "common.yaml"), &cm("common"))
            .status(Status::Deployed, "Install complete"),
        rev("d", "shop", 1, 2)
            .manifest_doc(&tpl("d", "common.yaml"), &cm("common"))
            .status(Status::Deployed, "Install complete"),
        rev("operator", "shop", 1, 3)
            .manifest_doc(&tpl("operator", "crd.yaml"), CRD)
            .status(Status::Deployed, "Install complete"),
        rev("app", "shop", 1, 4)
            .manifest_doc(&tpl("app", "widget.yaml"), WIDGET)
            .status(Status::Deployed, "Install complete"),
    ]
}

#[test]
fn scan_lists_every_release_then_every_hazard_most_severe_first() {
    let records = SecretsFile::new(&shop());
    let (code, stdout, stderr) = output(&["scan", "--from", records.path()]);
    assert_eq!(code, 2, "high hazards fail the scan by default: {stderr}");
    insta::assert_snapshot!(stdout, @"
    Verdict: 6 releases in 1 file: 4 high (listed below).
    NAMESPACE  NAME      REVISION  STATUS    CHART           HAZARDS  WORST
    shop       a         2         deployed  a-0.2.0         -        -
    shop       app       1         deployed  app-0.1.0       1/0/0    crd-shared
    shop       b         1         deployed  b-0.1.0         -        -
    shop       c         1         deployed  c-0.1.0         1/0/0    shared-object
    shop       d         1         deployed  d-0.1.0         1/0/0    shared-object
    shop       operator  1         deployed  operator-0.1.0  1/0/0    crd-shared
    (-o wide adds MISSING, STORED, UPDATED)
    (HAZARDS: high/medium/low)

    Hazards: 4 high
      high [crd-shared] release shop/app, revision 1, Widget.example.com shop/w1: the
        CustomResourceDefinition widgets.example.com serving this release's Widget w1 belongs to release
        shop/operator (revision 1): if that release moves it to crds/, renames it or is uninstalled, the
        API server deletes them
      high [shared-object] release shop/c, revision 1, ConfigMap shop/common: ConfigMap shop/common is
        tracked by this release (revision 1) and also by shop/d (revision 1): whichever of them upgrades
        to a chart without it, or is uninstalled, deletes it from under the other: Helm's upgrade checks
        only helm.sh/resource-policy, never meta.helm.sh/release-name (helm/helm#12683)
      high [shared-object] release shop/d, revision 1, ConfigMap shop/common: ConfigMap shop/common is
        tracked by this release (revision 1) and also by shop/c (revision 1): whichever of them upgrades
        to a chart without it, or is uninstalled, deletes it from under the other: Helm's upgrade checks
        only helm.sh/resource-policy, never meta.helm.sh/release-name (helm/helm#12683)
      high [crd-shared] release shop/operator, revision 1, CustomResourceDefinition.apiextensions.k8s.io
        widgets.example.com: this release tracks CustomResourceDefinition widgets.example.com while
        other releases track objects of its kind Widget: shop/app (w1); moving it to crds/, renaming it
        or uninstalling this release deletes them all
    ");
    assert_eq!(stderr, "");
}

#[test]
fn scan_fail_on_and_json() {
    let records = SecretsFile::new(&shop());
    let (code, _, _) = output(&["scan", "--from", records.path(), "--fail-on", "never"]);
    assert_eq!(code, 0);
    let (code, json, _) = output(&["scan", "--from", records.path(), "-o", "json"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&json).unwrap();
    let rows = v["releases"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let c = rows.iter().find(|r| r["release"] == "c").unwrap();
    assert_eq!(c["hazards"], json!({"high": 1, "medium": 0, "low": 0}));
    assert_eq!(c["worst"], "shared-object");
    let first = &v["hazards"][0];
    assert_eq!(first["severity"], "high");
    for key in [
        "release",
        "namespace",
        "code",
        "revision",
        "object",
        "message",
    ] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    // Releases without a cross-release story and without hazards stay quiet.
    let b = rows.iter().find(|r| r["release"] == "b").unwrap();
    assert_eq!(b["hazards"], json!({"high": 0, "medium": 0, "low": 0}));
}

#[test]
fn who_names_every_release_that_touched_the_object() {
    let records = SecretsFile::new(&shop());
    insta::assert_snapshot!(run_args(&["who", "cm/shared", "--from", records.path()]), @"
    ConfigMap shop/shared
    release shop/b tracks it now; release shop/a deleted it last, at revision 2 (upgrade).

    NAMESPACE  RELEASE  REVISIONS  WHAT IT DID             TRACKS IT NOW
    shop       a        2          1: created; 2: deleted  -
    shop       b        1          1: created              revision 1

    Story:
      2026-01-01 10:00:00 UTC shop/a revision 1 (install, apply): create — created by the install
      2026-01-01 10:05:00 UTC shop/b revision 1 (install, apply): create — created by the install; but
        the records last show release shop/a writing it before (revision 1, install, 2026-01-01 10:00:00
        UTC) and nothing removing it since: Helm would have refused this install at the
        existing-resource check unless the object was changed outside Helm first (deleted, annotated for
        this release, or taken over with --take-ownership)
      2026-01-01 10:10:00 UTC shop/a revision 2 (upgrade, delete): delete — deleted: its template
        templates/shared.yaml is not in chart a-0.2.0 any more (Helm 3 logs and ignores delete errors:
        check the cluster)
    [exit status: 0]
    ");
}

#[test]
fn explain_names_the_other_release_that_deleted_the_object() {
    let records = SecretsFile::new(&shop());
    insta::assert_snapshot!(
        run_args(&["explain", "b", "cm/shared", "--from", records.path()]),
        @"
    ConfigMap shop/shared in release b (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 10:05:00 UTC
      apply: create (added) — created by the install; but the records last show release shop/a writing
        it before (revision 1, install, 2026-01-01 10:00:00 UTC) and nothing removing it since: Helm
        would have refused this install at the existing-resource check unless the object was changed
        outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs
    against). But another release deleted it afterwards: release shop/a revision 2 (upgrade, 2026-01-01
    10:10:00 UTC) deleted it (see below).

    Other releases:
      release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it: its template
        templates/shared.yaml is not in chart a-0.2.0 any more (Helm 3 logs and ignores delete errors:
        check the cluster)
    [exit status: 0]
    "
    );
}

#[test]
fn timeline_names_the_other_release_that_deleted_the_object() {
    let records = SecretsFile::new(&shop());
    let (code, out, _) = output(&["timeline", "b", "--from", records.path(), "-o", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let row = &v["objects"][0];
    assert_eq!(row["object"]["name"], "shared");
    assert_eq!(row["other_releases"][0]["release"], "a");
    assert_eq!(row["other_releases"][0]["revision"], 2);
    assert_eq!(row["other_releases"][0]["action"], "delete");
    // b's own install keeps its action, with what a's records add to it.
    let created = &row["events"][0];
    assert_eq!(created["action"], "create");
    let message = created["message"].as_str().unwrap();
    assert!(
        message.starts_with("created by the install; but the records last show release shop/a"),
        "{message}"
    );
}

// --- The in-repo API server ------------------------------------------------------------------

/// `shop()` plus `services` namespaces of one 4-revision release each (many LIST pages), and
/// the live ConfigMap `common`, which release `d` owns by its annotations.
fn fleet(services: usize) -> TestCluster {
    let cluster = TestCluster::start();
    cluster.add_all(shop().iter().map(ReleaseBuilder::secret));
    for i in 0..services {
        let ns = format!("svc-{i:03}");
        cluster.add_all((1..=4).map(|n| {
            let status = if n == 4 {
                Status::Deployed
            } else {
                Status::Superseded
            };
            ReleaseBuilder::new("api", &ns, n)
                .chart("api", "1.0.0")
                .manifest_doc("api/templates/cm.yaml", &cm("api-config"))
                .status(status, "Upgrade complete")
                .secret()
        }));
    }
    cluster.add(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": "common", "namespace": "shop", "uid": "uid-common",
            "creationTimestamp": "2026-01-01T10:02:00Z",
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {
                "meta.helm.sh/release-name": "d",
                "meta.helm.sh/release-namespace": "shop"
            }
        },
        "data": {"k": "v"}
    }));
    cluster
}

fn kubeconfig_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn a_live_scan_whose_list_breaks_half_way_fails_with_the_servers_answer() {
    // The second page is asked for while the first is decoded; its failure still ends the
    // scan, with the LIST's error, and no report is printed as if the cluster were read.
    let cluster = fleet(60);
    cluster.fail_continued(500);
    let (_dir, kc) = kubeconfig_file(&cluster.kubeconfig(Some("shop")));
    let (code, stdout, stderr) = output_connected(&kc, &["scan", "-A", "-o", "json"]);
    assert_ne!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("failed to list secrets in all namespaces (500"),
        "{stderr}"
    );
    let lists: Vec<&str> = cluster
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/secrets")
        .map(|r| r.param("continue").map_or("first", |_| "next"))
        .collect();
    assert_eq!(lists, ["first", "next"]);
}

#[test]
fn live_scan_pages_through_every_namespace_with_one_list_and_checks_ownership() {
    let cluster = fleet(60);
    let (_dir, kc) = kubeconfig_file(&cluster.kubeconfig(Some("shop")));
    let (code, json, stderr) = output_connected(&kc, &["scan", "-A", "-o", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["releases"].as_array().unwrap().len(), 66);
    assert_eq!(v["sources"], json!(["all namespaces (context test)"]));
    // c tracks cm/common, but the live object's annotations name d: c's next upgrade without
    // it deletes d's object.
    let moved = hazards_coded(&v, "ownership-moved");
    assert_eq!(moved.len(), 1, "{moved:#?}");
    assert_eq!(moved[0]["release"], "c");
    assert_eq!(moved[0]["object"]["name"], "common");
    // 60 × 4 + 8 records: three pages of one LIST, then only the GETs of the hazards' objects.
    let log = cluster.requests();
    assert!(log.iter().all(|r| r.method == "GET"), "{log:#?}");
    let lists: Vec<String> = log
        .iter()
        .filter(|r| r.path == "/api/v1/secrets")
        .map(|r| {
            assert_eq!(r.param("labelSelector"), Some("owner=helm"));
            assert_eq!(r.param("limit"), Some("100"));
            r.param("continue").map_or("first", |_| "next").to_owned()
        })
        .collect();
    assert_eq!(lists, ["first", "next", "next"]);
    let agent = concat!("helm-why/", env!("CARGO_PKG_VERSION"));
    assert!(
        log.iter().all(|r| r.user_agent.as_deref() == Some(agent)),
        "{log:#?}"
    );
    let gets: Vec<&str> = log
        .iter()
        .filter(|r| r.path.contains("/configmaps/"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(gets, ["/api/v1/namespaces/shop/configmaps/common"]);
    // `app`'s Widget is the one kind whose scope discovery tells: its group version is asked
    // about once, and `app` is analysed with the answer.
    let discovered: Vec<&str> = log
        .iter()
        .filter(|r| r.path.starts_with("/apis/example.com"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(discovered, ["/apis/example.com/v1"]);
    let app: Vec<&Value> = v["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["release"] == "app")
        .collect();
    assert_eq!(app.len(), 1, "{app:#?}");
    assert_eq!(app[0]["code"], "crd-shared");
}

#[test]
fn scan_reads_several_contexts_and_names_them() {
    let prod = fleet(0);
    let dev = TestCluster::start();
    dev.add_all((1..=2).map(|n| {
        rev("web", "dev", n, n as u32)
            .manifest_doc(&tpl("web", "cm.yaml"), &cm("web"))
            .status(
                if n == 2 {
                    Status::Deployed
                } else {
                    Status::Superseded
                },
                "Upgrade complete",
            )
            .secret()
    }));
    let text = testkube::kubeconfig(
        &[
            prod.context("prod", Some("shop")),
            dev.context("dev", Some("dev")),
        ],
        Some("prod"),
    );
    let (_dir, kc) = kubeconfig_file(&text);
    let (code, json, stderr) = output_connected(&kc, &["scan", "--all-contexts", "-o", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let contexts: Vec<(&str, &str)> = v["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["context"].as_str().unwrap(),
                r["release"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        contexts,
        [
            ("dev", "web"),
            ("prod", "a"),
            ("prod", "app"),
            ("prod", "b"),
            ("prod", "c"),
            ("prod", "d"),
            ("prod", "operator"),
        ]
    );
    let (code, json, _) = output_connected(
        &kc,
        &[
            "scan",
            "--context",
            "dev",
            "--context",
            "prod",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 2);
    let again: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(again["releases"], v["releases"]);
    // Only scan reads several contexts.
    let (code, _, stderr) =
        output_connected(&kc, &["list", "--context", "dev", "--context", "prod"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("only scan reads several contexts"),
        "{stderr}"
    );
}

#[test]
fn live_explain_blames_the_other_release_instead_of_someone_outside_helm() {
    let cluster = fleet(0);
    let (_dir, kc) = kubeconfig_file(&cluster.kubeconfig(Some("shop")));
    let (code, stdout, stderr) = output_connected(&kc, &["explain", "b", "cm/shared"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("outside what the records show"),
        "{stdout}"
    );
    insta::assert_snapshot!(stdout, @"
    ConfigMap shop/shared in release b (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 10:05:00 UTC
      apply: create (added) — created by the install; but the records last show release shop/a writing it before (revision 1, install, 2026-01-01 10:00:00 UTC) and nothing removing it since: Helm would have refused this install at the existing-resource check unless the object was changed outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs against). But another release deleted it afterwards: release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it (see below).

    Other releases:
      release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it: its template templates/shared.yaml is not in chart a-0.2.0 any more

    Live (context test): missing
      differs: expected present from this release's records, but the cluster has no such object: release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it, after this release last applied it
    ");
}

#[test]
fn scan_counts_a_repeated_image_finding_once_per_release() {
    // Four containers on `:latest` through five revisions: `images` lists every place, the
    // scan names the cause once, with the count.
    let containers: String = (0..4)
        .map(|i| format!("      - name: c{i}\n        image: registry.example/app{i}:latest\n"))
        .collect();
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n{containers}"
    );
    let revisions: Vec<ReleaseBuilder> = (1..=5)
        .map(|n| {
            rev("web", "shop", n, n as u32)
                .app_version(&format!("1.{n}"))
                .manifest_doc(&tpl("web", "deploy.yaml"), &deployment)
                .status(
                    if n == 5 {
                        Status::Deployed
                    } else {
                        Status::Superseded
                    },
                    "Upgrade complete",
                )
        })
        .collect();
    let records = SecretsFile::new(&revisions);
    let (_, json, _) = output(&["scan", "--from", records.path(), "-o", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let hazards = v["hazards"].as_array().unwrap();
    let codes: Vec<&str> = hazards
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(codes.len(), unique.len(), "one hazard per cause: {codes:?}");
    let latest = hazards
        .iter()
        .find(|h| h["code"] == "latest-tag")
        .expect("latest-tag found");
    let message = latest["message"].as_str().unwrap();
    assert!(message.contains("in 4 containers"), "{message}");
}

#[test]
fn who_takes_the_object_forms_explain_takes_including_old_groups() {
    let ingress = |api: &str| {
        format!("apiVersion: {api}\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules: []\n")
    };
    let records = SecretsFile::new(&[
        rev("web", "shop", 1, 1)
            .manifest_doc(&tpl("web", "ing.yaml"), &ingress("extensions/v1beta1"))
            .status(Status::Superseded, "Install complete"),
        rev("web", "shop", 2, 2)
            .manifest_doc(&tpl("web", "ing.yaml"), &ingress("networking.k8s.io/v1"))
            .status(Status::Deployed, "Upgrade complete"),
    ]);
    for form in [
        "ingress.extensions/web",
        "ing/web",
        "ingresses.networking.k8s.io/web",
    ] {
        let (code, json, stderr) = output(&["who", form, "--from", records.path(), "-o", "json"]);
        assert_eq!(code, 0, "{form}: {stderr}");
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["object"]["kind"], "Ingress", "{form}");
        assert_eq!(v["releases"][0]["revisions"], json!([1, 2]), "{form}");
    }
}

#[test]
fn scan_of_a_file_whose_releases_interleave_reads_it_whole() {
    // Key order puts `app.v2`'s record between `app`'s revisions 2 and 3; the file is read
    // release by release until that shows, then whole: the answer must not change.
    let app = |n: u64| {
        rev("app", "shop", n, n as u32)
            .manifest_doc(&tpl("app", "cm.yaml"), &cm(&format!("app-{n}")))
            .status(
                if n == 3 {
                    Status::Deployed
                } else {
                    Status::Superseded
                },
                "Upgrade complete",
            )
    };
    let dotted = rev("app.v2", "shop", 1, 9)
        .manifest_doc(&tpl("app.v2", "cm.yaml"), &cm("app-1"))
        .status(Status::Deployed, "Install complete");
    let interleaved = SecretsFile::new(&[app(1), app(2), dotted.clone(), app(3)]);
    let grouped = SecretsFile::new(&[app(1), app(2), app(3), dotted]);
    let (code, stdout, stderr) = output(&["scan", "--from", interleaved.path()]);
    let (_, grouped_stdout, _) = output(&["scan", "--from", grouped.path()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, grouped_stdout);
    insta::assert_snapshot!(stdout, @"
    Verdict: 2 releases in 1 file: no hazards found.
    NAMESPACE  NAME    REVISION  UPDATED                  STATUS    CHART         STORED  HAZARDS  WORST
    shop       app     3         2026-01-01 10:03:00 UTC  deployed  app-0.3.0     3       -        -
    shop       app.v2  1         2026-01-01 10:09:00 UTC  deployed  app.v2-0.1.0  1       -        -
    (-o wide adds MISSING)
    (HAZARDS: high/medium/low)
    ");
}

/// cert-manager's release stores the ClusterIssuer CRD (scope Cluster); releases `a` and `b`,
/// in namespaces `one` and `two`, render the same ClusterIssuer without a namespace.
fn issuers(with_crd: bool) -> Vec<ReleaseBuilder> {
    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\nspec:\n  group: cert-manager.io\n  names:\n    kind: ClusterIssuer\n    plural: clusterissuers\n  scope: Cluster\n";
    let issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec:\n  acme: {}\n";
    let mut releases = vec![
        rev("a", "one", 1, 1)
            .manifest_doc(&tpl("a", "issuer.yaml"), issuer)
            .status(Status::Deployed, "Install complete"),
        rev("b", "two", 1, 2)
            .manifest_doc(&tpl("b", "issuer.yaml"), issuer)
            .status(Status::Deployed, "Install complete"),
    ];
    if with_crd {
        releases.push(
            rev("cert-manager", "cert-manager", 1, 0)
                .manifest_doc(&tpl("cert-manager", "crd.yaml"), CRD)
                .status(Status::Deployed, "Install complete"),
        );
    }
    releases
}

#[test]
fn who_and_scan_give_a_kind_the_scope_its_stored_crd_declares() {
    let records = SecretsFile::new(&issuers(true));
    insta::assert_snapshot!(
        run_args(&["who", "clusterissuer/letsencrypt", "-A", "--from", records.path()]),
        @"
    ClusterIssuer.cert-manager.io letsencrypt
    2 releases track it now (one/a, two/b): whichever upgrades without it or is uninstalled deletes it
    from under the others; release two/b wrote it last, at revision 1 (install: created).

    NAMESPACE  RELEASE  REVISIONS  WHAT IT DID  TRACKS IT NOW
    one        a        1          1: created   revision 1
    two        b        1          1: created   revision 1

    Story:
      2026-01-01 10:01:00 UTC one/a revision 1 (install, apply): create — created by the install
      2026-01-01 10:02:00 UTC two/b revision 1 (install, apply): create — created by the install; but
        the records last show release one/a writing it before (revision 1, install, 2026-01-01 10:01:00
        UTC) and nothing removing it since: Helm would have refused this install at the
        existing-resource check unless the object was changed outside Helm first (deleted, annotated for
        this release, or taken over with --take-ownership)
    [exit status: 0]
    "
    );
    let (code, json, stderr) = output(&["scan", "--from", records.path(), "-o", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let shared = hazards_coded(&v, "shared-object");
    assert_eq!(shared.len(), 2, "{json}");
    assert_eq!(shared[0]["object"]["namespace"], Value::Null);
}

#[test]
fn who_without_the_crd_says_how_to_declare_the_kind_cluster_scoped() {
    let records = SecretsFile::new(&issuers(false));
    insta::assert_snapshot!(
        run_args(&["who", "clusterissuer/letsencrypt", "-A", "--from", records.path()]),
        @"
    ------- stderr -------
    helm-why: 2 objects match clusterissuer/letsencrypt: ClusterIssuer.cert-manager.io one/letsencrypt, ClusterIssuer.cert-manager.io two/letsencrypt
    hint: if ClusterIssuer.cert-manager.io is cluster-scoped (the records read hold no CustomResourceDefinition for it), say so with --cluster-scoped ClusterIssuer.cert-manager.io; otherwise name the namespace with --object-namespace
    [exit status: 1]
    "
    );
    let (code, out, stderr) = output(&[
        "who",
        "clusterissuer/letsencrypt",
        "-A",
        "--from",
        records.path(),
        "--cluster-scoped",
        "ClusterIssuer.cert-manager.io",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        out.contains("2 releases track it now (one/a, two/b)"),
        "{out}"
    );
}

#[test]
fn explain_and_who_say_an_unfinished_upgrade_of_another_release_may_have_deleted_it() {
    let records = SecretsFile::new(&[
        rev("a", "shop", 1, 0)
            .manifest_doc(&tpl("a", "shared.yaml"), &cm("shared"))
            .manifest_doc(&tpl("a", "own.yaml"), &cm("a-own"))
            .status(Status::Superseded, "Install complete"),
        rev("a", "shop", 2, 10)
            .manifest_doc(&tpl("a", "own.yaml"), &cm("a-own"))
            .status(Status::PendingUpgrade, "Preparing upgrade"),
        rev("b", "shop", 1, 5)
            .manifest_doc(&tpl("b", "shared.yaml"), &cm("shared"))
            .status(Status::Deployed, "Install complete"),
    ]);
    insta::assert_snapshot!(
        run_args(&["explain", "b", "cm/shared", "--from", records.path()]),
        @"
    ConfigMap shop/shared in release b (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 10:05:00 UTC
      apply: create (added) — created by the install; but the records last show release shop/a writing
        it before (revision 1, install, 2026-01-01 10:00:00 UTC) and nothing removing it since: Helm
        would have refused this install at the existing-resource check unless the object was changed
        outside Helm first (deleted, annotated for this release, or taken over with --take-ownership)

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs
    against). But another release may have deleted it afterwards: release shop/a revision 2 (upgrade,
    2026-01-01 10:10:00 UTC) may have deleted it (see below).

    Other releases:
      release shop/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) may have deleted it: left the
        manifest (its template templates/shared.yaml is not in chart a-0.2.0 any more); whether it was
        deleted is unknown: the operation never finished
    [exit status: 0]
    "
    );
    let (code, out, stderr) = output(&["who", "cm/shared", "--from", records.path()]);
    assert_eq!(code, 0, "{stderr}");
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "release shop/a may have deleted it last, at revision 2 (upgrade, which never finished)"
        ),
        "{out}"
    );
    assert!(words.contains("1: created; 2: may have deleted"), "{out}");
}

/// operator (namespace ops) moves the Widget CRD to crds/ at 10:10, taking app's w1 (namespace
/// shop, 10:05) with it.
fn widget_crd_moved() -> Vec<ReleaseBuilder> {
    vec![
        rev("operator", "ops", 1, 0)
            .manifest_doc(&tpl("operator", "crd.yaml"), CRD)
            .status(Status::Superseded, "Install complete"),
        rev("operator", "ops", 2, 10)
            .chart_file("crds/crd.yaml", CRD)
            .manifest_doc(&tpl("operator", "cm.yaml"), &cm("op"))
            .status(Status::Deployed, "Upgrade complete"),
        rev("app", "shop", 1, 5)
            .manifest_doc(&tpl("app", "widget.yaml"), WIDGET)
            .status(Status::Deployed, "Install complete"),
    ]
}

#[test]
fn explain_and_timeline_name_the_release_of_another_namespace_whose_crd_deletion_took_the_object() {
    let records = SecretsFile::new(&widget_crd_moved());
    let args = [
        "explain",
        "app",
        "widget/w1",
        "-n",
        "shop",
        "--from",
        records.path(),
    ];
    insta::assert_snapshot!(run_args(&args), @"
    Widget.example.com shop/w1 in release app (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 10:05:00 UTC
      apply: create (added) — created by the install

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs
    against). But another release deleted it afterwards: release ops/operator revision 2 (upgrade,
    2026-01-01 10:10:00 UTC) deleted it (see below).

    Other releases:
      release ops/operator revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it: deleted by the API
        server with its CustomResourceDefinition widgets.example.com (moved to crds/, which Helm
        installs only on install), which that revision deleted: removing a CRD removes every Widget in
        the cluster, tracked by a release or not
    [exit status: 0]
    ");
    let args = [
        "timeline",
        "app",
        "-n",
        "shop",
        "--from",
        records.path(),
        "-o",
        "json",
    ];
    let (code, json, stderr) = output(&args);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let told = &v["objects"][0]["other_releases"][0];
    assert_eq!(told["release"], "operator", "{json}");
    assert_eq!(told["namespace"], "ops", "{json}");
    assert_eq!(told["revision"], 2, "{json}");
    // Asked not to read the others, it says what it did not read.
    let args = [
        "explain",
        "app",
        "widget/w1",
        "-n",
        "shop",
        "--from",
        records.path(),
        "--no-other-releases",
    ];
    let (code, stdout, stderr) = output(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("operator"), "{stdout}");
    assert!(
        stderr.contains("the other releases were not read (--no-other-releases)"),
        "{stderr}"
    );
}

/// a (namespace one) and b (namespace two) render ClusterRole reader; a's upgrade at 10:10
/// deletes it.
fn role_shared_across_namespaces() -> Vec<ReleaseBuilder> {
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n";
    vec![
        rev("a", "one", 1, 0)
            .manifest_doc(&tpl("a", "role.yaml"), role)
            .status(Status::Superseded, "Install complete"),
        rev("a", "one", 2, 10)
            .manifest_doc(&tpl("a", "cm.yaml"), &cm("a"))
            .status(Status::Deployed, "Upgrade complete"),
        rev("b", "two", 1, 5)
            .manifest_doc(&tpl("b", "role.yaml"), role)
            .status(Status::Deployed, "Install complete"),
    ]
}

#[test]
fn explain_names_the_release_of_another_namespace_that_deleted_a_shared_cluster_scoped_object() {
    let records = SecretsFile::new(&role_shared_across_namespaces());
    let args = [
        "explain",
        "b",
        "clusterrole/reader",
        "-n",
        "two",
        "--from",
        records.path(),
    ];
    insta::assert_snapshot!(run_args(&args), @"
    ClusterRole.rbac.authorization.k8s.io reader in release b (namespace two), replayed with Helm 3.21.4
      rules

    revision 1 · install · 2026-01-01 10:05:00 UTC
      apply: create (added) — created by the install; but the records last show release one/a writing it
        before (revision 1, install, 2026-01-01 10:00:00 UTC) and nothing removing it since: Helm would
        have refused this install at the existing-resource check unless the object was changed outside
        Helm first (deleted, annotated for this release, or taken over with --take-ownership)

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs
    against). But another release deleted it afterwards: release one/a revision 2 (upgrade, 2026-01-01
    10:10:00 UTC) deleted it (see below).

    Other releases:
      release one/a revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it: its template
        templates/role.yaml is not in chart a-0.2.0 any more (Helm 3 logs and ignores delete errors:
        check the cluster)
    [exit status: 0]
    ");
}

#[test]
fn who_in_one_namespace_says_what_it_did_not_read_for_an_object_any_namespace_reaches() {
    let records = SecretsFile::new(&role_shared_across_namespaces());
    let args = [
        "who",
        "clusterrole/reader",
        "-n",
        "two",
        "--from",
        records.path(),
    ];
    let (code, stdout, stderr) = output(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("one/a"), "{stdout}");
    insta::assert_snapshot!(stderr, @"warning: ClusterRole.rbac.authorization.k8s.io reader is cluster-scoped: a release of any namespace may have created or deleted it; only the releases of one namespace were read (-A reads every namespace)");
    let records = SecretsFile::new(&widget_crd_moved());
    let args = ["who", "widget/w1", "-n", "shop", "--from", records.path()];
    let (code, _, stderr) = output(&args);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stderr, @"warning: Widget.example.com shop/w1 is served by a CustomResourceDefinition, which a release of any namespace may have deleted, and every Widget with it; only the releases of one namespace were read (-A reads every namespace)");
    // A namespaced object of Kubernetes' own kinds: nothing to say.
    let records = SecretsFile::new(&shop());
    let args = ["who", "cm/shared", "-n", "shop", "--from", records.path()];
    let (code, _, stderr) = output(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn live_explain_reads_every_namespace_for_a_crd_deletion_or_says_it_could_not() {
    // The CRD is gone: the cluster serves no Widget, and explain asks for the CRD the records
    // show deleted; it does not exist, so neither does w1.
    let cluster = TestCluster::start();
    cluster.add_all(widget_crd_moved().iter().map(ReleaseBuilder::secret));
    let (_dir, kc) = kubeconfig_file(&cluster.kubeconfig(Some("shop")));
    let (code, stdout, stderr) = output_connected(&kc, &["explain", "app", "widget/w1"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    Widget.example.com shop/w1 in release app (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 10:05:00 UTC
      apply: create (added) — created by the install

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs against). But another release deleted it afterwards: release ops/operator revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it (see below).

    Other releases:
      release ops/operator revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it: deleted by the API server with its CustomResourceDefinition widgets.example.com (moved to crds/, which Helm installs only on install), which that revision deleted: removing a CRD removes every Widget in the cluster, tracked by a release or not

    Live (context test): missing
      differs: expected present from this release's records, but the cluster has no such object: release ops/operator revision 2 (upgrade, 2026-01-01 10:10:00 UTC) deleted it, after this release last applied it
    ");
    // who's live state follows the same rule.
    let (code, stdout, stderr) = output_connected(&kc, &["who", "widget/w1", "-A"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    Widget.example.com shop/w1
    release shop/app tracks it now; release ops/operator deleted it last, at revision 2 (upgrade); the cluster has no such object.

    NAMESPACE  RELEASE   REVISIONS  WHAT IT DID  TRACKS IT NOW
    ops        operator  1          2: deleted   -
    shop       app       1          1: created   revision 1

    Story:
      2026-01-01 10:05:00 UTC  shop/app revision 1 (install, apply): create — created by the install
      2026-01-01 10:10:00 UTC  ops/operator revision 2 (upgrade, delete): delete — deleted by the API server with its CustomResourceDefinition widgets.example.com (moved to crds/, which Helm installs only on install), which that revision deleted: removing a CRD removes every Widget in the cluster, tracked by a release or not

    Live (context test):
      absent
    ");
    // A user allowed to list one namespace only: the search falls back to it, and says so.
    cluster.fail_path("/api/v1/secrets", 403);
    let (code, stdout, stderr) = output_connected(&kc, &["explain", "app", "widget/w1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("operator"), "{stdout}");
    insta::assert_snapshot!(stderr, @r#"
    warning: API discovery of example.com/v1 failed (the server could not find the requested resource (404)): Widget.example.com is taken as namespaced (--cluster-scoped KIND.GROUP declares a cluster-scoped kind)
    warning: the releases of other namespaces could not be read (forbidden: helm-why needs list on secrets in all namespaces: secrets is forbidden: User "system:serviceaccount:default:test" cannot list resource "secrets" in API group "" at the cluster scope): only namespace shop was searched for what other releases did to this release's objects
    "#);
    // The CRD installed again, and its discovery refused: the records' deleted CRD exists, so
    // w1 may too, and the live check stays unknown.
    cluster.clear_failures();
    cluster.add(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [{"name": "v1", "served": true, "storage": true}]},
    }));
    cluster.fail_path("/apis/example.com/", 403);
    let (code, stdout, stderr) = output_connected(&kc, &["explain", "app", "widget/w1"]);
    assert_eq!(code, 0, "{stderr}");
    let live = stdout
        .lines()
        .find(|l| l.starts_with("Live"))
        .unwrap_or_default();
    assert!(
        live.contains("not checked — cannot discover example.com/v1: forbidden"),
        "{stdout}"
    );
}

#[test]
fn who_and_scan_name_the_release_whose_crd_deletion_took_another_releases_object() {
    // The API server deletes every Widget with their CRD.
    let records = SecretsFile::new(&widget_crd_moved());
    insta::assert_snapshot!(
        run_args(&["who", "widget/w1", "-A", "--from", records.path()]),
        @"
    Widget.example.com shop/w1
    release shop/app tracks it now; release ops/operator deleted it last, at revision 2 (upgrade).

    NAMESPACE  RELEASE   REVISIONS  WHAT IT DID  TRACKS IT NOW
    ops        operator  1          2: deleted   -
    shop       app       1          1: created   revision 1

    Story:
      2026-01-01 10:05:00 UTC shop/app revision 1 (install, apply): create — created by the install
      2026-01-01 10:10:00 UTC ops/operator revision 2 (upgrade, delete): delete — deleted by the API
        server with its CustomResourceDefinition widgets.example.com (moved to crds/, which Helm
        installs only on install), which that revision deleted: removing a CRD removes every Widget in
        the cluster, tracked by a release or not
    [exit status: 0]
    "
    );
    let (code, json, stderr) = output(&["scan", "--from", records.path(), "-o", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let app = v["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["release"] == "app")
        .expect("a hazard for app");
    assert_eq!(app["code"], "crd-missing");
    assert_eq!(app["object"]["name"], "w1");
}
