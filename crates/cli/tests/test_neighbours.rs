//! `explain` and `timeline` read the other releases of the namespace in two passes: every
//! record is searched for the object names without being decoded, then only the releases
//! found are read and decoded (from files, and from the in-repo API server with a second
//! LIST `name in (…)`).

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;
use testkube::TestCluster;

use crate::harness::{SecretsFile, output, output_connected};

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

/// Namespace `shop`: `own` installs cm/shared at 10:00 and cm/own-only; `b` renders
/// cm/shared in revision 1 (10:01) and no more in revision 2 (10:02), which deletes it;
/// `fillers` releases of one revision render objects of their own.
fn shop(fillers: usize) -> Vec<ReleaseBuilder> {
    let at = |minute: u32| format!("2026-01-01T10:{minute:02}:00Z");
    let mut out = vec![
        ReleaseBuilder::new("own", "shop", 1)
            .times(&at(0), &at(0))
            .manifest_doc("own/templates/shared.yaml", &cm("shared"))
            .manifest_doc("own/templates/own.yaml", &cm("own-only")),
        ReleaseBuilder::new("b", "shop", 1)
            .chart("b", "0.1.0")
            .times(&at(1), &at(1))
            .manifest_doc("b/templates/shared.yaml", &cm("shared"))
            .status(Status::Superseded, "Install complete"),
        ReleaseBuilder::new("b", "shop", 2)
            .chart("b", "0.2.0")
            .times(&at(1), &at(2))
            .manifest_doc("b/templates/b.yaml", &cm("b-only"))
            .status(Status::Deployed, "Upgrade complete"),
    ];
    out.extend((0..fillers).map(|i| {
        let name = format!("filler-{i:03}");
        ReleaseBuilder::new(&name, "shop", 1)
            .times(&at(3), &at(3))
            .manifest_doc(
                &format!("{name}/templates/cm.yaml"),
                &cm(&format!("{name}-cm")),
            )
    }));
    out
}

/// The other release's revision 2, which no longer mentions cm/shared, is found through
/// its revision 1, and its whole history is replayed.
#[test]
fn files_the_release_whose_older_revision_mentions_the_object_is_found() {
    // The revisions that do not mention the object come first in the file.
    let mut records = shop(3);
    records.reverse();
    let file = SecretsFile::new(&records);
    let (code, out, err) = output(&["explain", "own", "cm/shared", "--from", file.path()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("release shop/b revision 2 (upgrade, 2026-01-01 10:02:00 UTC) deleted it"),
        "{out}"
    );
    // Nobody else mentions cm/own-only.
    let (code, out, err) = output(&["explain", "own", "cm/own-only", "--from", file.path()]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("Other releases"), "{out}");
}

/// `--no-other-releases` reads this release's records only: no other release is blamed, and
/// a warning says that they were not read, in text and in JSON.
#[test]
fn files_with_no_other_releases_the_other_releases_are_not_read_and_a_warning_says_so() {
    let file = SecretsFile::new(&shop(3));
    let args = ["explain", "own", "cm/shared", "--from", file.path()];
    let (code, out, err) = output(&[&args[..], &["--no-other-releases"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("Other releases") && !out.contains("shop/b"),
        "{out}"
    );
    let warning = "the other releases of namespace shop were not read (--no-other-releases): \
        what they did to this release's objects is not shown";
    assert!(err.contains(warning), "{err}");
    let (code, json, err) = output(&[
        "timeline",
        "own",
        "--no-other-releases",
        "-o",
        "json",
        "--from",
        file.path(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["warnings"], serde_json::json!([warning]), "{json}");
    assert!(
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["other_releases"].as_array().is_none_or(Vec::is_empty)),
        "{json}"
    );
    // A release alone in its namespace has nothing to leave out: no warning.
    let alone = SecretsFile::new(&shop(0)[..1]);
    let (code, _, err) = output(&[
        "timeline",
        "own",
        "--no-other-releases",
        "--from",
        alone.path(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("were not read"), "{err}");
}

/// Run the binary against a kubeconfig file.
fn run_cluster(cluster: &TestCluster, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, cluster.kubeconfig(Some("shop"))).unwrap();
    output_connected(&path, args)
}

/// The LISTs of release records the run made, in order.
fn record_lists(cluster: &TestCluster) -> Vec<String> {
    let log = cluster.requests();
    assert!(log.iter().all(|r| r.method == "GET"), "{log:#?}");
    log.iter()
        .filter(|r| r.path.ends_with("/secrets"))
        .map(|r| {
            let continued = if r.param("continue").is_some() {
                " (continued)"
            } else {
                ""
            };
            format!("{}{continued}", r.param("labelSelector").unwrap_or(""))
        })
        .collect()
}

#[test]
fn cluster_pages_through_the_namespace_once_then_lists_only_the_releases_found() {
    let cluster = TestCluster::start();
    // 3 + 150 records: two pages of 100.
    cluster.add_all(shop(150).iter().map(ReleaseBuilder::secret));
    let (code, out, err) = run_cluster(&cluster, &["explain", "own", "cm/shared"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("release shop/b revision 2 (upgrade, 2026-01-01 10:02:00 UTC) deleted it"),
        "{out}"
    );
    assert_eq!(
        record_lists(&cluster),
        [
            "owner=helm,name=own",
            "owner=helm",
            "owner=helm (continued)",
            "owner=helm,name in (b)",
        ]
    );

    // No other release mentions cm/own-only: no second LIST.
    cluster.clear_requests();
    let (code, out, err) = run_cluster(&cluster, &["timeline", "own", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let blamed: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["other_releases"].as_array().into_iter().flatten())
        .filter_map(|o| o["release"].as_str())
        .collect();
    assert_eq!(blamed, ["b"], "{out}");
    cluster.clear_requests();
    let (code, out, err) = run_cluster(&cluster, &["explain", "own", "cm/own-only"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("Other releases"), "{out}");
    assert_eq!(
        record_lists(&cluster),
        [
            "owner=helm,name=own",
            "owner=helm",
            "owner=helm (continued)"
        ]
    );

    // --no-other-releases: the release's own LIST, nothing of the namespace.
    cluster.clear_requests();
    let (code, out, err) = run_cluster(
        &cluster,
        &["explain", "own", "cm/shared", "--no-other-releases"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("shop/b"), "{out}");
    assert!(err.contains("were not read (--no-other-releases)"), "{err}");
    assert_eq!(record_lists(&cluster), ["owner=helm,name=own"]);
}

/// `who` from a cluster reads the LIST page by page and keeps only the releases whose records
/// mention the name, with the same story as from a file of the same records.
#[test]
fn cluster_who_reads_the_namespace_once_and_answers_as_from_a_file() {
    let cluster = TestCluster::start();
    // 3 + 150 records: two pages of 100.
    let records = shop(150);
    cluster.add_all(records.iter().map(ReleaseBuilder::secret));
    let (code, live, err) = run_cluster(&cluster, &["who", "cm/shared", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        record_lists(&cluster),
        ["owner=helm", "owner=helm (continued)"]
    );
    let file = SecretsFile::new(&records);
    let (code, offline, err) = output(&["who", "cm/shared", "-o", "json", "--from", file.path()]);
    assert_eq!(code, 0, "{err}");
    let (live, offline): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&live).unwrap(),
        serde_json::from_str(&offline).unwrap(),
    );
    assert_eq!(live["releases_read"], 152, "{live}");
    let releases: Vec<&str> = live["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["release"].as_str().unwrap())
        .collect();
    assert_eq!(releases, ["b", "own"], "{live}");
    // The same story; only the wording that the cluster settles differs.
    for field in ["releases", "releases_read", "tracked_by", "object"] {
        assert_eq!(live[field], offline[field], "{field}");
    }
    assert_eq!(
        (
            &live["deleted_last_by"]["release"],
            &live["deleted_last_by"]["revision"]
        ),
        (
            &offline["deleted_last_by"]["release"],
            &offline["deleted_last_by"]["revision"]
        )
    );
}

/// A record of another release that cannot be decoded is not skipped silently: what that
/// release did may be missing, and the warning says which release and why.
#[test]
fn an_undecodable_record_of_another_release_is_a_warning() {
    let mut secrets: Vec<serde_json::Value> = shop(2).iter().map(ReleaseBuilder::secret).collect();
    // b's revision 1, the one that mentions cm/shared.
    secrets[1]["data"]["release"] = "bm90IGEgcmVjb3Jk".into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.json");
    let list = helm_why_release::builder::list(secrets);
    std::fs::write(&path, serde_json::to_vec(&list).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let (code, out, err) = output(&["explain", "own", "cm/shared", "--from", path]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("Other releases"), "{out}");
    assert!(
        err.contains("release shop/b: 1 record could not be decoded (the first: ")
            && err.contains("sh.helm.release.v1.b.v1")
            && err.contains("what it did to this release's objects may be missing"),
        "{err}"
    );
    // The same warning in JSON output.
    let (_, json, _) = output(&["explain", "own", "cm/shared", "--from", path, "-o", "json"]);
    assert!(
        json.contains("release shop/b: 1 record could not be decoded"),
        "{json}"
    );
}

/// The releases found are listed again 100 names per LIST (`name in (…)` stays a short URL),
/// and every one of them is read.
#[test]
fn cluster_lists_many_releases_found_100_names_at_a_time() {
    let cluster = TestCluster::start();
    cluster.add_all(shop(0).iter().map(ReleaseBuilder::secret));
    cluster.add_all((0..205).map(|i| {
        let name = format!("sharer-{i:03}");
        ReleaseBuilder::new(&name, "shop", 1)
            .manifest_doc(&format!("{name}/templates/cm.yaml"), &cm("shared"))
            .secret()
    }));
    let (code, out, err) = run_cluster(&cluster, &["explain", "own", "cm/shared", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let lists = record_lists(&cluster);
    let again: Vec<usize> = lists
        .iter()
        .filter(|s| !s.ends_with(" (continued)"))
        .filter_map(|s| s.strip_prefix("owner=helm,name in ("))
        .map(|names| names.trim_end_matches(')').split(',').count())
        .collect();
    assert_eq!(again, [100, 100, 6], "{lists:#?}");
    // b (revision 2 deleted it) is among them, and is found as before.
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let others: Vec<&str> = v["other_releases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["release"].as_str())
        .collect();
    assert!(others.contains(&"b"), "{others:?}");
}
