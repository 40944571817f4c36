//! The flags helm users expect: `history --max`, `list` status filters and `--filter`,
//! `get all`, `get values --all`.

use helm_why_release::Status;
use helm_why_release::builder::{ReleaseBuilder, list};
use helm_why_release::codec::encode_base64;
use serde_json::json;

use crate::harness::{helm_why, run};

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n";

fn release(name: &str, rev: u64, status: Status) -> ReleaseBuilder {
    ReleaseBuilder::new(name, "shop", rev)
        .status(status, "done")
        .chart(name, &format!("1.{rev}.0"))
}

/// `web`: 5 revisions (4 missing), the last deployed, with chart defaults and user values;
/// `web-canary` failed, `api` pending-upgrade, `old` uninstalled, `db` superseded, and `cache`
/// whose newest record is corrupt (revision 2 after a deployed 1).
fn records(dir: &std::path::Path) -> std::path::PathBuf {
    let web = |rev: u64, status: Status| {
        release("web", rev, status)
            .chart_values(json!({
                "image": {"repository": "nginx", "tag": "1.0"},
                "replicas": 1,
                "probe": {"path": "/healthz"},
                "auth": {"password": "DEFAULT-PW"},
            }))
            .config(json!({"image": {"tag": "2.0"}, "probe": null}))
            .manifest_doc("web/templates/cm.yaml", CM)
            .hook(
                "web/templates/job.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n",
            )
            .notes("Visit http://web.shop")
    };
    let mut corrupt = release("cache", 2, Status::Deployed).secret();
    let payload = release("cache", 2, Status::Deployed).payload();
    corrupt["data"]["release"] = json!(encode_base64(
        &payload.as_bytes()[..(payload.len() / 2) & !3]
    ));
    let items = vec![
        web(1, Status::Superseded).secret(),
        web(2, Status::Superseded).secret(),
        web(3, Status::Superseded).secret(),
        web(5, Status::Deployed).secret(),
        release("web-canary", 1, Status::Failed).secret(),
        release("api", 3, Status::PendingUpgrade).secret(),
        release("old", 1, Status::Uninstalled).secret(),
        release("db", 1, Status::Superseded).secret(),
        release("cache", 1, Status::Deployed).secret(),
        corrupt,
    ];
    let path = dir.join("records.json");
    std::fs::write(&path, serde_json::to_vec(&list(items)).unwrap()).unwrap();
    path
}

fn run_on(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path());
    // Relative to the records' directory, so that warnings name the same path every run.
    run(helm_why()
        .current_dir(dir.path())
        .args(args)
        .args(["--from", "records.json"]))
}

#[test]
fn history_max_keeps_the_newest() {
    insta::assert_snapshot!(run_on(&["history", "web", "--max", "2"]), @"
    REVISION  UPDATED                  STATUS      CHART      APP VERSION  OBJECTS  HOOKS  CHANGE
    3         2026-01-01 00:00:03 UTC  superseded  web-1.3.0  -            1        1      none
    4         -                        missing     -          -            -        -      -
    5         2026-01-01 00:00:05 UTC  deployed    web-1.5.0  -            1        1      none (vs 3)

    DESCRIPTION:
      3: done
      4: no record: pruned by --history-max or deleted
      5: done
    ------- stderr -------
    warning: revision 4 missing from the history (pruned by --history-max or deleted): nothing can be explained inside the gap
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&["history", "web", "--max", "0"]), @"
    ------- stderr -------
    error: invalid value '0' for '--max <N>': 0 is not in 1..18446744073709551615

    For more information, try '--help'.
    [exit status: 1]
    ");
}

#[test]
fn list_filters_combine_like_helms() {
    insta::assert_snapshot!(run_on(&["list"]), @"
    NAME        NAMESPACE  REVISION  UPDATED                  STATUS           CHART
    api         shop       3         2026-01-01 00:00:03 UTC  pending-upgrade  api-1.3.0
    cache       shop       2                                  undecodable
    db          shop       1         2026-01-01 00:00:01 UTC  superseded       db-1.1.0
    old         shop       1         2026-01-01 00:00:01 UTC  uninstalled      old-1.1.0
    web         shop       5         2026-01-01 00:00:05 UTC  deployed         web-1.5.0
    web-canary  shop       1         2026-01-01 00:00:01 UTC  failed           web-canary-1.1.0
    (-o wide adds APP VERSION)
    ------- stderr -------
    warning: shop/cache: revision 2 could not be decoded: sh.helm.release.v1.cache.v2 (records.json, item 9): gzip: truncated gzip stream (unexpected end of data)
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&["list", "--failed", "--pending"]), @"
    NAME        NAMESPACE  REVISION  UPDATED                  STATUS           CHART
    api         shop       3         2026-01-01 00:00:03 UTC  pending-upgrade  api-1.3.0
    cache       shop       2                                  undecodable
    web-canary  shop       1         2026-01-01 00:00:01 UTC  failed           web-canary-1.1.0
    (-o wide adds APP VERSION)
    ------- stderr -------
    warning: shop/cache: revision 2 could not be decoded: sh.helm.release.v1.cache.v2 (records.json, item 9): gzip: truncated gzip stream (unexpected end of data)
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&["list", "--deployed", "-f", "^web"]), @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART      APP VERSION
    web   shop       5         2026-01-01 00:00:05 UTC  deployed  web-1.5.0
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&["list", "--uninstalled", "--superseded"]), @"
    NAME   NAMESPACE  REVISION  UPDATED                  STATUS       CHART      APP VERSION
    cache  shop       2                                  undecodable
    db     shop       1         2026-01-01 00:00:01 UTC  superseded   db-1.1.0
    old    shop       1         2026-01-01 00:00:01 UTC  uninstalled  old-1.1.0
    ------- stderr -------
    warning: shop/cache: revision 2 could not be decoded: sh.helm.release.v1.cache.v2 (records.json, item 9): gzip: truncated gzip stream (unexpected end of data)
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&["list", "-f", "web("]), @r#"
    ------- stderr -------
    helm-why: --filter "web(" is not a regular expression: regex parse error:
        web(
           ^
    error: unclosed group
    hint: the syntax is Perl-like, as helm's: -f '^web-' or -f 'api|db'
    [exit status: 1]
    "#);
}

#[test]
fn get_values_all_coalesces_like_helm() {
    insta::assert_snapshot!(run_on(&["get", "web", "values", "--all"]), @r#"
    COMPUTED VALUES:
    auth:
      password: <redacted>
    image:
      repository: nginx
      tag: "2.0"
    replicas: 1
    [exit status: 0]
    "#);
    insta::assert_snapshot!(run_on(&["get", "web", "values", "--all", "-o", "json"]), @r#"
    {
      "auth": {
        "password": "<redacted>"
      },
      "image": {
        "repository": "nginx",
        "tag": "2.0"
      },
      "replicas": 1
    }
    [exit status: 0]
    "#);
}

#[test]
fn get_all() {
    insta::assert_snapshot!(run_on(&["get", "web", "all"]), @r#"
    NAME: web
    LAST DEPLOYED: 2026-01-01T00:00:05.000000001Z
    NAMESPACE: shop
    STATUS: deployed
    REVISION: 5
    CHART: web
    VERSION: 1.5.0
    APP_VERSION:
    USER-SUPPLIED VALUES:
    image:
      tag: "2.0"
    probe: null

    COMPUTED VALUES:
    auth:
      password: <redacted>
    image:
      repository: nginx
      tag: "2.0"
    replicas: 1

    HOOKS:
    ---
    # Source: web/templates/job.yaml
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: migrate
      annotations:
        helm.sh/hook: pre-upgrade
    MANIFEST:
    ---
    # Source: web/templates/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      mode: fast

    NOTES:
    Visit http://web.shop
    [exit status: 0]
    "#);
    let json = run_on(&["get", "web", "all", "-o", "json"]);
    let end = json.rfind("[exit status").unwrap();
    let v: serde_json::Value = serde_json::from_str(&json[..end]).unwrap();
    assert_eq!(v["revision"], json!(5));
    assert_eq!(v["computed_values"]["image"]["tag"], json!("2.0"));
    assert_eq!(
        v["computed_values"]["auth"]["password"],
        json!("<redacted>")
    );
    assert!(v["hooks"].as_str().unwrap().contains("name: migrate"));
}
