//! Helm 2 (Tiller) records, built by the test encoder, read from files and from a test API
//! server (`--tiller`, `--tiller-namespace`): the same commands as for Helm 3 records.

use helm_why_release::Status;
use helm_why_release::builder::list;
use helm_why_release::tiller::builder::TillerBuilder;
use helm_why_release::tiller::hapi::{self, delete_policy, hook_event};
use serde_json::Value;

use crate::harness::{helm_why, run};

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  mode: blue";
const DEPLOY: &str = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.17";

fn migrate_hook(ran_at: i64) -> hapi::Hook {
    hapi::Hook {
        name: "web-migrate".into(),
        kind: "Job".into(),
        path: "web/templates/migrate.yaml".into(),
        manifest: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: web-migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-delete-policy: before-hook-creation".into(),
        events: vec![hook_event::PRE_INSTALL, hook_event::PRE_UPGRADE],
        last_run: Some(hapi::Timestamp {
            seconds: ran_at,
            nanos: 0,
        }),
        weight: 0,
        delete_policies: vec![delete_policy::BEFORE_HOOK_CREATION],
        delete_timeout: 0,
    }
}

/// `web` in namespace `shop`, stored by Tiller: installed, upgraded (the ConfigMap dropped, a
/// password in the values), then `helm delete` without `--purge` (the history is kept, the
/// last revision says DELETED).
fn web_history() -> Vec<TillerBuilder> {
    vec![
        TillerBuilder::new("web", "shop", 1)
            .status(Status::Superseded, "Install complete")
            .chart("web", "0.1.0")
            .manifest_doc("web/templates/cm.yaml", CM)
            .manifest_doc("web/templates/deployment.yaml", DEPLOY)
            .hook(migrate_hook(1_546_300_860)),
        TillerBuilder::new("web", "shop", 2)
            .status(Status::Superseded, "Upgrade complete")
            .chart("web", "0.2.0")
            .config_yaml("db:\n  password: hunter2\nreplicas: 2\n")
            .manifest_doc(
                "web/templates/deployment.yaml",
                &DEPLOY.replace("replicas: 1", "replicas: 2"),
            )
            .hook(migrate_hook(1_546_300_920)),
        TillerBuilder::new("web", "shop", 3)
            .status(Status::Uninstalled, "Deletion complete")
            .chart("web", "0.2.0")
            .config_yaml("db:\n  password: hunter2\nreplicas: 2\n")
            .manifest_doc(
                "web/templates/deployment.yaml",
                &DEPLOY.replace("replicas: 1", "replicas: 2"),
            )
            .deleted(1_546_301_000)
            .hook(migrate_hook(1_546_300_980)),
    ]
}

/// A temporary file holding `objects` as a `v1 List`.
struct Dump {
    _dir: tempfile::TempDir,
    path: String,
}

fn dump(objects: Vec<Value>) -> Dump {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiller.json");
    std::fs::write(&path, serde_json::to_vec(&list(objects)).unwrap()).unwrap();
    Dump {
        path: path.display().to_string(),
        _dir: dir,
    }
}

fn run_on(dump: &Dump, args: &[&str]) -> String {
    run(helm_why().args(args).args(["--from", &dump.path])).replace(&dump.path, "<dump>")
}

fn web_dump() -> Dump {
    dump(
        web_history()
            .iter()
            .map(|r| r.configmap("kube-system"))
            .collect(),
    )
}

#[test]
fn tiller_list_and_history_from_a_file() {
    let d = web_dump();
    insta::assert_snapshot!(run_on(&d, &["list"]), @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS       CHART      APP VERSION
    web   shop       3         2019-01-01 00:03:00 UTC  uninstalled  web-0.2.0
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&d, &["history", "web"]), @"
    REVISION  UPDATED                  STATUS       CHART      CHANGE        STORAGE
    1         2019-01-01 00:01:00 UTC  superseded   web-0.1.0  +2 (initial)  tiller-configmap
    2         2019-01-01 00:02:00 UTC  superseded   web-0.2.0  -1 ~1         tiller-configmap
    3         2019-01-01 00:03:00 UTC  uninstalled  web-0.2.0  none          tiller-configmap

    DESCRIPTION:
      1: Install complete
      2: Upgrade complete
      3: Deletion complete
    (-o wide adds HOOKS, OBJECTS, APP VERSION)
    [exit status: 0]
    ");
}

/// `list` decodes only the newest record of each Tiller release, chosen by the `NAME` and
/// `VERSION` labels (or the key `<name>.v<N>`), as Helm 3's records by theirs: an old broken
/// record is not met, while `history` still meets it.
#[test]
fn tiller_list_decodes_only_the_newest_record_of_each_release() {
    let mut objects: Vec<Value> = web_history()
        .iter()
        .map(|r| r.configmap("kube-system"))
        .collect();
    objects[0]["data"]["release"] = Value::String("bm90IGd6aXA=".into());
    // No labels: the key names the release and the revision.
    let mut unlabelled = TillerBuilder::new("api", "shop", 1).configmap("kube-system");
    unlabelled["metadata"]["labels"] = serde_json::json!({ "OWNER": "TILLER" });
    let mut broken = TillerBuilder::new("api", "shop", 2).configmap("kube-system");
    broken["metadata"]["labels"] = serde_json::json!({ "OWNER": "TILLER" });
    broken["data"]["release"] = Value::String("bm90IGd6aXA=".into());
    objects.push(unlabelled);
    objects.push(broken);
    let d = dump(objects);
    insta::assert_snapshot!(run_on(&d, &["list"]), @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS       CHART      APP VERSION
    api   shop       2                                  undecodable
    web   shop       3         2019-01-01 00:03:00 UTC  uninstalled  web-0.2.0
    ------- stderr -------
    warning: shop/api: revision 2 could not be decoded: api.v2 (<dump>, item 4): protobuf: neither gzip (1f 8b 08) nor a hapi.release.Release: failed to decode Protobuf message: invalid wire type value: 6
    [exit status: 0]
    ");
    let history = run_on(&d, &["history", "web"]);
    assert!(
        history.contains("revision 1 could not be decoded: web.v1"),
        "{history}"
    );
}

#[test]
fn tiller_get_redacts_values_and_prints_hooks() {
    let d = web_dump();
    insta::assert_snapshot!(run_on(&d, &["get", "web", "values"]), @"
    USER-SUPPLIED VALUES:
    db:
      password: <redacted>
    replicas: 2
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&d, &["get", "web", "values", "--show-secrets"]), @"
    USER-SUPPLIED VALUES:
    db:
      password: hunter2
    replicas: 2
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&d, &["get", "web", "hooks", "--revision", "1"]), @"
    ---
    # Source: web/templates/migrate.yaml
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: web-migrate
      annotations:
        helm.sh/hook: pre-install,pre-upgrade
        helm.sh/hook-delete-policy: before-hook-creation
    [exit status: 0]
    ");
}

#[test]
fn tiller_explain_and_timeline() {
    let d = web_dump();
    insta::assert_snapshot!(run_on(&d, &["explain", "web", "cm/web-config"]), @"
    ConfigMap shop/web-config in release web (namespace shop), replayed with Helm 2.17.0 rules

    revision 1 · install · 2019-01-01 00:01:00 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2019-01-01 00:02:00 UTC
      delete: delete (removed-from-chart) — deleted: its template templates/cm.yaml is not in chart
        web-0.2.0 any more (Helm 2 logs and ignores delete errors: check the cluster)

    Now: expected absent — last delete by revision 2 (removed-from-chart).
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_on(&d, &["timeline", "web"]), @"
    Verdict: 1 medium hazard (listed below)

    OBJECT                     1 install  2 upgrade  3 uninstall
    ConfigMap/web-config       created    deleted    -
    Deployment.extensions/web  created    patched    deleted
    Job.batch/web-migrate      hook       hook       hook

    Hazards: 1 medium
      medium [untracked-hook-object] release web, revision 3, Job.batch shop/web-migrate: left behind by
        helm delete: created by a hook of revision 3, and helm delete only deletes manifest objects
    [exit status: 0]
    ");
}

/// A pre-upgrade hook that failed: Tiller left the new revision PENDING_UPGRADE and never
/// recorded a run (it sets `last_run` only once every hook of the event succeeded).
#[test]
fn tiller_hook_without_a_run_is_not_called_interrupted() {
    let mut revs = web_history();
    revs.truncate(2);
    let mut unrun = migrate_hook(0);
    unrun.last_run = None;
    revs.push(
        TillerBuilder::new("web", "shop", 3)
            .status(Status::PendingUpgrade, "Preparing upgrade")
            .chart("web", "0.3.0")
            .manifest_doc("web/templates/deployment.yaml", DEPLOY)
            .hook(unrun),
    );
    let d = dump(revs.iter().map(|r| r.configmap("kube-system")).collect());
    insta::assert_snapshot!(run_on(&d, &["timeline", "web"]), @r#"
    Verdict: 1 high hazard (listed below)

    OBJECT                     1 install  2 upgrade  3 upgrade (pending)
    ConfigMap/web-config       created    deleted    -
    Deployment.extensions/web  created    patched    patched
    Job.batch/web-migrate      hook       hook       present

    Hazards: 1 high
      high [pending-lock] release web, revision 3: revision 3 is still pending-upgrade: every helm
        upgrade fails with "another operation (install/upgrade/rollback) is in progress" until it is
        rolled back or its record is fixed (Tiller 2.16.10 and later; an older Tiller upgrades past it)
    [exit status: 0]
    "#);
    insta::assert_snapshot!(run_on(&d, &["explain", "web", "job/web-migrate"]), @"
    Job.batch shop/web-migrate in release web (namespace shop), replayed with Helm 2.17.0 rules

    revision 1 · install · 2019-01-01 00:01:00 UTC
      pre-install: hook-create (hook) — the pre-install hook web/templates/migrate.yaml creates it
        (weight 0)
    revision 2 · upgrade · 2019-01-01 00:02:00 UTC
      pre-upgrade: hook-delete (hook-delete-policy) — before-hook-creation deletes the Job left by the
        hook of revision 1 before creating it again
      pre-upgrade: hook-create (hook) — the pre-upgrade hook web/templates/migrate.yaml creates it
        (weight 0)

    Now: expected present, but no revision tracks it: revision 3 is pending-upgrade, so no upgrade diffs
    against a manifest that has it.
    [exit status: 0]
    ");
}

/// Converted by helm 2to3 with `--release-versions-max 1`: Tiller still holds revisions 1-2,
/// Helm 3 Secrets hold the converted revision 2 and the upgrade made after it by Helm 3.
#[test]
fn a_2to3_conversion_is_one_history_with_the_storage_of_each_revision() {
    use helm_why_release::builder::ReleaseBuilder;
    let helm3 = |rev: u64, status: Status, description: &str| {
        ReleaseBuilder::new("web", "shop", rev)
            .chart("web", &format!("0.{rev}.0"))
            .manifest_doc("web/templates/deployment.yaml", DEPLOY)
            .status(status, description)
    };
    let mut objects: Vec<Value> = web_history()[..2]
        .iter()
        .map(|r| r.configmap("kube-system"))
        .collect();
    objects.push(helm3(2, Status::Superseded, "Upgrade complete").secret());
    objects.push(helm3(3, Status::Deployed, "Upgrade complete").secret());
    let d = dump(objects);
    insta::assert_snapshot!(run_on(&d, &["history", "web"]), @"
    REVISION  UPDATED                  STATUS      CHART      CHANGE        STORAGE
    1         2019-01-01 00:01:00 UTC  superseded  web-0.1.0  +2 (initial)  tiller-configmap
    2         2026-01-01 00:00:02 UTC  superseded  web-0.2.0  -1            secret (2to3)
    3         2026-01-01 00:00:03 UTC  deployed    web-0.3.0  none          secret

    DESCRIPTION:
      1: Install complete
      2: Upgrade complete
      3: Upgrade complete
    (-o wide adds HOOKS, OBJECTS, APP VERSION)
    ------- stderr -------
    warning: revision 2 stored both by Tiller (Helm 2) and as Helm 3 records: converted by helm 2to3; the Helm 3 copies are used
    [exit status: 0]
    ");
    let json = run_on(&d, &["history", "web", "-o", "json"]);
    let storage: Vec<String> = json
        .lines()
        .filter(|l| l.contains("\"storage\"") || l.contains("\"migrated\""))
        .map(|l| l.trim().to_owned())
        .collect();
    insta::assert_snapshot!(storage.join("\n"), @r#"
    "storage": "tiller-configmap",
    "migrated": false
    "storage": "secret",
    "migrated": true
    "storage": "secret",
    "migrated": false
    "#);
    // Helm 3 ran after the conversion: Helm 3 rules, and the Tiller revision's hook is not
    // read as interrupted.
    insta::assert_snapshot!(run_on(&d, &["timeline", "web"]), @"
    Verdict: no hazards found

    OBJECT                     1 install  2 upgrade  3 upgrade
    ConfigMap/web-config       created    deleted    -
    Deployment.extensions/web  created    unchanged  unchanged
    Job.batch/web-migrate      hook       present    present
    ------- stderr -------
    warning: revision 2 stored both by Tiller (Helm 2) and as Helm 3 records: converted by helm 2to3; the Helm 3 copies are used
    [exit status: 0]
    ");
}

/// Helm 2 records published by other projects (`../shared/fixtures/public/helm2`, not
/// committed: skipped with a note where absent), read through the CLI.
#[test]
fn public_helm2_records() {
    let dir = crate::harness::root().join("../shared/fixtures/public/helm2");
    if !dir.is_dir() {
        testkube::skip::skipped(
            &format!(
                "{} is absent (public test data is not part of the repository)",
                dir.display()
            ),
            testkube::skip::Provided::Optional,
        );
        return;
    }
    let dir = dir.display().to_string();
    let run =
        |args: &[&str]| run(helm_why().args(args).args(["--from", &dir])).replace(&dir, "<helm2>");
    insta::assert_snapshot!(run(&["list"]), @"
    NAME             NAMESPACE  REVISION  UPDATED                  STATUS    CHART
    invincible-zebu  default    1         2020-04-02 21:24:40 UTC  deployed  metrics-server-2.10.1
    kissing-sponge   default    1         2020-05-19 21:15:38 UTC  deployed  basic-demo-0.3.3
    kindled-toucan   demo1      1         2020-05-19 21:15:59 UTC  deployed  basic-demo-0.3.3
    (-o wide adds APP VERSION)
    [exit status: 0]
    ");
    insta::assert_snapshot!(run(&["history", "invincible-zebu"]), @"
    REVISION  UPDATED                  STATUS    CHART                  CHANGE        STORAGE
    1         2020-04-02 21:24:40 UTC  deployed  metrics-server-2.10.1  +9 (initial)  tiller-configmap

    DESCRIPTION:
      1: Install complete
    (-o wide adds HOOKS, OBJECTS, APP VERSION)
    [exit status: 0]
    ");
    insta::assert_snapshot!(run(&["get", "invincible-zebu", "hooks"]), @r#"
    ---
    # Source: metrics-server/templates/tests/test-version.yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: invincible-zebu-metrics-server-test
      labels:
        app: metrics-server
        chart: metrics-server-2.10.1
        release: invincible-zebu
        heritage: Tiller
      annotations:
        "helm.sh/hook": test-success
    spec:
      containers:
      - name: wget
        image: busybox
        command: ['/bin/sh']
        args:
        - -c
        - 'wget -qO- https://invincible-zebu-metrics-server:443/version | grep -F v0.3.6'
      restartPolicy: Never
    [exit status: 0]
    "#);
    insta::assert_snapshot!(run(&["timeline", "invincible-zebu"]), @"
    Verdict: no hazards found

    OBJECT                                                                                             1 install
    Pod/invincible-zebu-metrics-server-test                                                            -
    Service/invincible-zebu-metrics-server                                                             created
    ServiceAccount/invincible-zebu-metrics-server                                                      created
    APIService.apiregistration.k8s.io/v1beta1.metrics.k8s.io                                           created
    Deployment.extensions/invincible-zebu-metrics-server                                               created
    ClusterRole.rbac.authorization.k8s.io/system:invincible-zebu-metrics-server                        created
    ClusterRole.rbac.authorization.k8s.io/system:metrics-server-aggregated-reader                      created
    ClusterRoleBinding.rbac.authorization.k8s.io/invincible-zebu-metrics-server:system:auth-delegator  created
    ClusterRoleBinding.rbac.authorization.k8s.io/system:invincible-zebu-metrics-server                 created
    RoleBinding.rbac.authorization.k8s.io/invincible-zebu-metrics-server-auth-reader                   created
    [exit status: 0]
    ");
}

const SVC: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80";

/// Helm 3 revisions `1..=last` of `name` in namespace `ns`, rendering Service/web.
fn helm3(name: &str, ns: &str, last: u64) -> Vec<Value> {
    (1..=last)
        .map(|rev| {
            let b = helm_why_release::builder::ReleaseBuilder::new(name, ns, rev)
                .chart(name, &format!("1.{rev}.0"))
                .manifest_doc(&format!("{name}/templates/service.yaml"), SVC);
            let b = if rev < last {
                b.status(Status::Superseded, "Upgrade complete")
            } else {
                b
            };
            b.secret()
        })
        .collect()
}

/// `helm-why ARGS… --from PATH`, or with the file on standard input (`--from -`, which is
/// read whole): exit code, stdout and stderr.
fn scanned(path: &str, stdin: bool, args: &[&str]) -> (i32, String, String) {
    let mut cmd = helm_why();
    cmd.args(args);
    if stdin {
        cmd.args(["--from", "-"])
            .stdin(std::fs::File::open(path).unwrap());
    } else {
        cmd.args(["--from", path]);
    }
    let out = cmd.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).replace(path, "<dump>");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// A file holding Tiller's records is streamed by `scan` and `who` (Tiller's records held as
/// stored, each Tiller release placed by its newest record that decodes and decoded when its
/// turn comes, after Helm 3's), and answers as the same file read whole: Tiller's records
/// before or after Helm 3's, a release of another namespace, one whose newest record is
/// broken, one no record of which decodes, with `-A` and `-n`; and with a release `helm
/// 2to3` converted, whose Tiller records continue its Helm 3 history (the file is then
/// streamed again, Tiller's records first).
#[test]
fn a_file_holding_tillers_records_answers_as_read_whole() {
    let broken = |mut object: Value| {
        object["data"]["release"] = Value::String("bm90IGd6aXA=".into());
        object
    };
    let tiller_only = vec![
        TillerBuilder::new("batch", "other", 1)
            .chart("batch", "9.0.0")
            .manifest_doc("batch/templates/service.yaml", SVC)
            .configmap("kube-system"),
        TillerBuilder::new("cache", "shop", 1)
            .status(Status::Superseded, "Install complete")
            .configmap("kube-system"),
        broken(TillerBuilder::new("cache", "shop", 2).configmap("kube-system")),
        broken(TillerBuilder::new("lost", "shop", 1).configmap("kube-system")),
        broken(TillerBuilder::new("batch", "other", 2).configmap("kube-system")),
    ];
    let converted = vec![
        TillerBuilder::new("legacy", "shop", 1)
            .chart("legacy", "0.1.0")
            .manifest_doc("legacy/templates/service.yaml", SVC)
            .status(Status::Superseded, "Install complete")
            .configmap("kube-system"),
    ];
    let helm = [helm3("api", "shop", 2), helm3("web", "shop", 2)].concat();
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for with_converted in [false, true] {
        let mut tiller = tiller_only.clone();
        let mut helm = helm.clone();
        if with_converted {
            tiller.extend(converted.clone());
            // Before the others: it is handed over before the files are over.
            helm.splice(0..0, helm3("legacy", "shop", 3).into_iter().skip(1));
        }
        for tiller_first in [true, false] {
            let objects = if tiller_first {
                [tiller.clone(), helm.clone()].concat()
            } else {
                [helm.clone(), tiller.clone()].concat()
            };
            let path = dir
                .path()
                .join(format!("{with_converted}-{tiller_first}.json"));
            std::fs::write(&path, serde_json::to_vec(&list(objects)).unwrap()).unwrap();
            let path = path.display().to_string();
            for namespaces in [&["-A"][..], &["-n", "shop"]] {
                let scan = [
                    &["scan", "--fail-on", "never", "-o", "json"][..],
                    namespaces,
                ]
                .concat();
                let who = [
                    &["who", "Service/web", "--object-namespace", "shop"][..],
                    namespaces,
                ]
                .concat();
                for args in [scan, who] {
                    let streamed = scanned(&path, false, &args);
                    let whole = scanned(&path, true, &args);
                    assert_eq!(streamed.0, 0, "{args:?}: {streamed:?}");
                    // The origin names the file or standard input.
                    let origin = |s: &str| s.replace("<dump>", "-").replace("standard input", "-");
                    assert_eq!(
                        (origin(&streamed.1), origin(&streamed.2)),
                        (origin(&whole.1), origin(&whole.2)),
                        "{with_converted} {tiller_first} {args:?}"
                    );
                    compared += 1;
                }
            }
            if with_converted && !tiller_first {
                // The converted release is one history of Tiller's and Helm 3's revisions.
                let (_, out, _) = scanned(&path, false, &["scan", "-A", "-o", "json"]);
                let report: Value = serde_json::from_str(&out).unwrap();
                let legacy = report["releases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["release"] == "legacy")
                    .cloned()
                    .unwrap();
                assert_eq!(legacy["revisions_stored"], 3, "{legacy}");
            }
        }
    }
    assert_eq!(compared, 16);
}

/// The run budget (`--max-total-bytes`) bounds what `scan` of a file holding Tiller's
/// records holds decoded, not the sum over them: 150 Tiller releases and 10 Helm 3 releases
/// under a third of what their records decode to all decode from the file, while the same
/// file read whole (standard input) spends it; so they do with a release converted by `helm
/// 2to3` among them, whose Tiller records come after its Helm 3 records.
#[test]
fn a_file_holding_tillers_records_is_streamed_release_by_release() {
    let (mut objects, decoded) = crate::harness::tiller_releases(150);
    for r in 0..10 {
        objects.extend(helm3(&format!("new-{r}"), "shop", 2));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.json");
    std::fs::write(&path, serde_json::to_vec(&list(objects.clone())).unwrap()).unwrap();
    let path = path.display().to_string();
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

    let (code, out, err) = scanned(&path, false, &scan);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&spent) && !err.contains(&spent), "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let releases = report["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 160);
    assert!(
        releases.iter().all(|r| r["status"] == "deployed"),
        "{report}"
    );
    let who = [
        "who",
        "ConfigMap/cfg-042",
        "-n",
        "shop",
        "--max-total-bytes",
        &budget,
    ];
    let (code, out, err) = scanned(&path, false, &who);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("release shop/r042 tracks it now"), "{out}");
    assert!(!err.contains(&spent), "{err}");

    let (_, out, _) = scanned(&path, true, &scan);
    assert!(out.contains(&spent), "{out}");

    // `r000` as converted by `helm 2to3` (the Helm 3 copy of its revision 2, and an upgrade
    // to 3), before Tiller's records: the file is read again, Tiller's records first, and
    // still a release at a time.
    let r000 = |rev: u64| {
        helm_why_release::builder::ReleaseBuilder::new("r000", "shop", rev)
            .manifest_doc(
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-000",
            )
            .secret()
    };
    let converted = [vec![r000(2), r000(3)], objects].concat();
    std::fs::write(&path, serde_json::to_vec(&list(converted)).unwrap()).unwrap();
    let (code, out, err) = scanned(&path, false, &scan);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&spent), "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let releases = report["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 160);
    assert_eq!(releases[10]["release"], "r000");
    assert_eq!(releases[10]["revisions_stored"], 3, "{}", releases[10]);
    assert_eq!(
        report["warnings"][0],
        "shop/r000: revision 2 stored both by Tiller (Helm 2) and as Helm 3 records: converted \
         by helm 2to3; the Helm 3 copies are used"
    );
    let (_, out, _) = scanned(&path, true, &scan);
    assert!(out.contains(&spent), "{out}");
}

/// Hostile input: a Tiller release whose records name two namespaces (`a` at revision 1, `b`
/// at revision 2), placed by its newest, decodes into a history of each; the one in `a`
/// continues the Helm 3 release `a/x` handed over before. The stream gives up and the file is
/// read whole: one `a/x` of three revisions (two stored), not two rows of it.
#[test]
fn a_tiller_release_in_two_namespaces_is_read_as_the_whole_file_reads_it() {
    let file = dump(crate::harness::tiller_release_in_two_namespaces());
    let scan = ["scan", "--fail-on", "never", "-o", "json"];
    let (code, streamed, err) = scanned(&file.path, false, &scan);
    assert_eq!(code, 0, "{err}");
    let (_, whole, _) = scanned(&file.path, true, &scan);
    let report = |out: &str| serde_json::from_str::<Value>(out).unwrap();
    assert_eq!(report(&streamed)["releases"], report(&whole)["releases"]);
    let expected = [("a/x", 2), ("a/y", 1), ("b/x", 1)].map(|(id, n)| (id.to_owned(), n));
    assert_eq!(crate::harness::stored_rows(&report(&streamed)), expected);
}
