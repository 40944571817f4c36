//! Decode release records other projects published as test data (`../shared/fixtures/public`).
//!
//! Those files are not ours to commit: they are read where they exist (CI keeps them next to the
//! repository) and every test here is skipped, with a note, where they do not.

use std::path::PathBuf;

use helm_why_release::history::{self, Finding, Histories};
use helm_why_release::input::{InputOutcome, read_input};
use helm_why_release::{HookEvent, Limits, RecordFormat, ReleaseId, Status};

/// `../shared/fixtures/public` next to the repository, when it is there.
fn public() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/public");
    if dir.is_dir() {
        Some(dir)
    } else {
        testkube::skip::skipped(
            &format!(
                "{} is absent (public test data is not part of the repository)",
                dir.display()
            ),
            testkube::skip::Provided::Optional,
        );
        None
    }
}

fn read(dir: &std::path::Path, name: &str) -> InputOutcome {
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    read_input(&bytes, name, &Limits::default())
}

fn group(out: InputOutcome) -> Histories {
    history::group(out.records, out.errors)
}

fn mismatch<'a>(findings: &'a [Finding], field: &str) -> Option<(&'a str, &'a str, &'a str)> {
    findings.iter().find_map(|f| match f {
        Finding::RecordMismatch {
            object,
            field: f,
            stored,
            payload,
        } if f == field => Some((object.as_str(), stored.as_str(), payload.as_str())),
        _ => None,
    })
}

#[test]
fn pluto_secret_with_newline_in_inner_base64() {
    let Some(dir) = public() else { return };
    let out = read(&dir, "helm3/secret.json");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.records.len(), 1);
    let record = &out.records[0];
    // The inner base64 ends with "\n": still two layers, gzip, JSON.
    assert_eq!(record.meta.base64_layers, 2);
    assert!(record.meta.gzipped);
    let rel = &record.release;
    assert_eq!(rel.name, "test");
    assert_eq!(rel.version, 2);
    assert_eq!(rel.namespace, "demo2");
    assert_eq!(rel.chart_label(), "helm3chart-0.1.0");
    assert_eq!(rel.info.status.as_str(), "deployed");
    assert_eq!(rel.info.deleted, None, "Helm 3 writes \"deleted\": \"\"");
    assert_eq!(rel.apply_method, None);

    let histories = group(out);
    assert_eq!(histories.releases.len(), 1);
    let h = &histories.releases[0];
    // Grouped by where the record is stored, not by what the payload says.
    assert_eq!(
        h.id,
        ReleaseId {
            namespace: "default".into(),
            name: "test".into()
        }
    );
    let object = "sh.helm.release.v1.test.v1";
    assert_eq!(
        mismatch(&h.findings, "object name"),
        Some((object, "v1", "version 2")),
        "{:#?}",
        h.findings
    );
    assert_eq!(
        mismatch(&h.findings, "label version"),
        Some((object, "1", "2"))
    );
    assert_eq!(
        mismatch(&h.findings, "storage namespace"),
        Some((object, "default", "demo2"))
    );
    let text: Vec<String> = h.findings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains(object) && t.contains("\"default\"") && t.contains("\"demo2\"")),
        "{text:?}"
    );
}

#[test]
fn helm2_style_chart_installed_by_helm3() {
    let Some(dir) = public() else { return };
    let histories = group(read(&dir, "helm3/secret-demo2.json"));
    assert_eq!(histories.releases.len(), 1);
    let h = &histories.releases[0];
    assert_eq!(h.id.to_string(), "demo2/demo2");
    assert_eq!(h.findings, vec![]);
    let rel = &h.revisions[0].release;
    assert_eq!(rel.version, 1);
    assert_eq!(rel.chart.metadata.api_version, "v1");
    assert_eq!(rel.info.description, "Install complete");
}

#[test]
fn coredns_list_object_v2_holds_revision_6() {
    let Some(dir) = public() else { return };
    let out = read(&dir, "helm3/secret-list-coredns.json");
    assert!(out.errors.is_empty() && out.ignored.is_empty());
    assert_eq!(out.records.len(), 2, "a List of two records");
    let v2 = out
        .records
        .iter()
        .find(|r| r.meta.object_name.as_deref() == Some("sh.helm.release.v1.coredns.v2"))
        .expect("the object named v2");
    assert_eq!(v2.release.version, 6);
    assert_eq!(v2.meta.reference.item, Some(1));
    assert_eq!(v2.meta.labels.get("version").map(String::as_str), Some("2"));

    let histories = group(out);
    assert_eq!(histories.releases.len(), 1);
    let h = &histories.releases[0];
    assert_eq!(h.id.to_string(), "kube-system/coredns");
    let versions: Vec<u64> = h.revisions.iter().map(|r| r.release.version).collect();
    assert_eq!(versions, vec![1, 6]);
    assert_eq!(h.revisions[0].release.info.status.as_str(), "superseded");
    assert_eq!(h.revisions[1].release.info.status.as_str(), "deployed");
    let object = "sh.helm.release.v1.coredns.v2";
    assert_eq!(
        mismatch(&h.findings, "object name"),
        Some((object, "v2", "version 6"))
    );
    assert_eq!(
        mismatch(&h.findings, "label version"),
        Some((object, "2", "6"))
    );
    let gap = vec![helm_why_release::history::RevisionRange { first: 2, last: 5 }];
    assert_eq!(h.missing, gap);
    assert!(
        h.findings
            .contains(&Finding::MissingRevisions { revisions: gap })
    );
    assert!(
        h.findings
            .iter()
            .any(|f| f.to_string().contains("revisions 2-5 missing"))
    );
    // Only these: both objects agree with their payloads on name, namespace and status.
    assert_eq!(h.findings.len(), 3, "{:#?}", h.findings);
}

#[test]
fn same_release_name_in_two_namespaces_is_not_merged() {
    let Some(dir) = public() else { return };
    let mut out = read(&dir, "helm3/secret.json");
    out.extend(read(&dir, "helm3/secret_duplicate_name.json"));
    assert_eq!(out.records.len(), 2);
    let histories = group(out);
    let ids: Vec<String> = histories
        .releases
        .iter()
        .map(|h| h.id.to_string())
        .collect();
    assert_eq!(ids, vec!["default/test", "demo2/test"]);
    assert_eq!(histories.named("test").count(), 2);
    for h in &histories.releases {
        assert_eq!(h.revisions.len(), 1, "{}", h.id);
        assert!(
            !h.findings
                .iter()
                .any(|f| matches!(f, Finding::DuplicateRevision { .. })),
            "{}: {:?}",
            h.id,
            h.findings
        );
    }
    // secret_duplicate_name.json: object `….v2` in demo2 holding revision 1 of namespace default.
    let demo2 = &histories.releases[1];
    assert_eq!(demo2.revisions[0].release.version, 1);
    assert_eq!(demo2.revisions[0].release.namespace, "default");
    assert_eq!(
        mismatch(&demo2.findings, "storage namespace"),
        Some(("sh.helm.release.v1.test.v2", "demo2", "default"))
    );
}

#[test]
fn helm2_tiller_configmaps_decode_into_the_release_model() {
    let Some(dir) = public() else { return };
    let out = read(&dir, "helm2/helm2configmap-deprecated.yaml");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let [record] = out.records.as_slice() else {
        panic!("one record: {:?}", out.records.len())
    };
    assert_eq!(record.meta.format, RecordFormat::TillerProtobuf);
    assert_eq!(
        record.meta.object_name.as_deref(),
        Some("invincible-zebu.v1")
    );
    // Stored in Tiller's namespace, released into `default`: the release belongs there.
    assert_eq!(record.meta.namespace.as_deref(), Some("helm-system"));
    assert_eq!(record.storage_namespace(), "default");
    let rel = &record.release;
    assert_eq!((rel.name.as_str(), rel.version), ("invincible-zebu", 1));
    assert_eq!(rel.info.status, Status::Deployed);
    assert_eq!(rel.info.description, "Install complete");
    assert_eq!(
        rel.info.first_deployed.as_ref().map(|t| t.as_str()),
        Some("2020-04-02T21:24:40.6135648Z")
    );
    assert!(
        rel.info
            .notes
            .starts_with("The metric server has been deployed.")
    );
    assert_eq!(rel.chart_label(), "metrics-server-2.10.1");
    assert_eq!(rel.chart.metadata.app_version, "0.3.6");
    assert_eq!(rel.chart.metadata.api_version, "v1");
    assert!(rel.chart.template("templates/pdb.yaml").is_some());
    assert_eq!(rel.chart.values["rbac"]["create"], serde_json::json!(true));
    assert_eq!(rel.config, serde_json::json!({}));
    assert!(rel.manifest.contains("# Source: metrics-server/templates/"));
    let [hook] = rel.hooks.as_slice() else {
        panic!("one hook: {:?}", rel.hooks)
    };
    assert_eq!(hook.name, "invincible-zebu-metrics-server-test");
    assert_eq!(hook.kind, "Pod");
    assert_eq!(hook.events, vec![HookEvent::Test]);
    let histories = group(out);
    assert_eq!(
        histories.releases[0].id,
        ReleaseId {
            namespace: "default".into(),
            name: "invincible-zebu".into()
        }
    );
    assert!(
        histories.releases[0].findings.is_empty(),
        "{:?}",
        histories.releases[0].findings
    );
}

#[test]
fn helm2_tiller_list_of_releases_in_several_namespaces() {
    let Some(dir) = public() else { return };
    let out = read(&dir, "helm2/helm2cm-no-deprecated-multi-namespace.yaml");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let histories = group(out);
    let ids: Vec<String> = histories
        .releases
        .iter()
        .map(|h| h.id.to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    for h in &histories.releases {
        assert_eq!(h.revisions.len(), 1);
        assert!(h.findings.is_empty(), "{}: {:?}", h.id, h.findings);
        let rec = &h.revisions[0];
        assert_eq!(rec.meta.namespace.as_deref(), Some("helm-system"));
        assert_eq!(h.id.namespace, rec.release.namespace);
    }
    let names: Vec<&str> = histories
        .releases
        .iter()
        .map(|h| h.id.name.as_str())
        .collect();
    assert!(
        names.contains(&"kindled-toucan") && names.contains(&"kissing-sponge"),
        "{ids:?}"
    );
    assert_ne!(
        histories.releases[0].id.namespace, histories.releases[1].id.namespace,
        "{ids:?}"
    );
}
