//! Helm 2 (Tiller) records built by the test encoder (`tiller::builder`), read back through
//! the same input paths as files: statuses, hooks, `helm delete` without `--purge`, Secrets,
//! and records that are broken.

use helm_why_release::builder::list;
use helm_why_release::history::{self, Finding};
use helm_why_release::input::{InputOutcome, read_input};
use helm_why_release::tiller::builder::TillerBuilder;
use helm_why_release::tiller::hapi::{self, delete_policy, hook_event};
use helm_why_release::{
    HookDeletePolicy, HookEvent, Layer, Limits, RecordFormat, Status, codec, tiller,
};
use prost::Message as _;
use serde_json::{Value, json};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n";

fn read(objects: Vec<Value>) -> InputOutcome {
    let bytes = serde_json::to_vec(&list(objects)).expect("JSON");
    read_input(&bytes, "tiller.json", &Limits::default())
}

fn migration_hook() -> hapi::Hook {
    hapi::Hook {
        name: "web-migrate".into(),
        kind: "Job".into(),
        path: "web/templates/migrate.yaml".into(),
        manifest: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: web-migrate\n".into(),
        events: vec![hook_event::PRE_INSTALL, hook_event::PRE_UPGRADE],
        last_run: Some(hapi::Timestamp {
            seconds: 1_546_300_870,
            nanos: 5_000,
        }),
        weight: -5,
        delete_policies: vec![
            delete_policy::BEFORE_HOOK_CREATION,
            delete_policy::SUCCEEDED,
        ],
        delete_timeout: 60,
    }
}

/// Install, upgrade, failed upgrade, `helm delete` without `--purge`: Tiller's statuses in
/// one kept history.
fn deleted_history() -> Vec<TillerBuilder> {
    vec![
        TillerBuilder::new("web", "shop", 1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("web/templates/cm.yaml", CM)
            .hook(migration_hook()),
        TillerBuilder::new("web", "shop", 2)
            .status(Status::Superseded, "Upgrade complete")
            .chart("web", "0.2.0")
            .config_yaml("replicas: 3\nimage:\n  tag: \"1.2\"\n")
            .manifest_doc("web/templates/cm.yaml", CM),
        TillerBuilder::new("web", "shop", 3)
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: timed out waiting for the condition",
            )
            .chart("web", "0.3.0"),
        TillerBuilder::new("web", "shop", 4)
            .status(Status::Uninstalled, "Deletion complete")
            .chart("web", "0.2.0")
            .deleted(1_546_301_100)
            .manifest_doc("web/templates/cm.yaml", CM),
    ]
}

#[test]
fn every_status_and_field_round_trips_through_a_configmap() {
    let revs = deleted_history();
    let out = read(revs.iter().map(|r| r.configmap("kube-system")).collect());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let histories = history::group(out.records, out.errors);
    let [web] = histories.releases.as_slice() else {
        panic!("one release: {:?}", histories.releases)
    };
    assert_eq!(web.id.to_string(), "shop/web");
    assert!(web.findings.is_empty(), "{:?}", web.findings);
    let statuses: Vec<&str> = web
        .revisions
        .iter()
        .map(|r| tiller::status_label(&r.release.info.status))
        .collect();
    assert_eq!(statuses, ["SUPERSEDED", "SUPERSEDED", "FAILED", "DELETED"]);
    let v1 = &web.revisions[0];
    assert_eq!(v1.meta.format, RecordFormat::TillerProtobuf);
    assert_eq!(v1.meta.object_name.as_deref(), Some("web.v1"));
    assert_eq!((v1.meta.base64_layers, v1.meta.gzipped), (1, true));
    assert_eq!(
        v1.release.info.last_deployed.as_ref().map(|t| t.as_str()),
        Some("2019-01-01T00:01:00Z")
    );
    let hook = &v1.release.hooks[0];
    assert_eq!(hook.events, [HookEvent::PreInstall, HookEvent::PreUpgrade]);
    assert_eq!(hook.weight, -5);
    assert_eq!(
        hook.delete_policies,
        [
            HookDeletePolicy::BeforeHookCreation,
            HookDeletePolicy::HookSucceeded
        ]
    );
    // Tiller records when the hook started, and nothing about how it ended.
    assert_eq!(
        hook.last_run.started_at.as_ref().map(|t| t.as_str()),
        Some("2019-01-01T00:01:10.000005Z")
    );
    assert!(hook.last_run.completed_at.is_none() && hook.last_run.phase.is_empty());
    let v2 = &web.revisions[1].release;
    assert_eq!(v2.config, json!({"replicas": 3, "image": {"tag": "1.2"}}));
    assert_eq!(v2.chart_label(), "web-0.2.0");
    let v4 = &web.revisions[3].release;
    assert_eq!(v4.info.status, Status::Uninstalled);
    assert_eq!(
        v4.info.deleted.as_ref().map(|t| t.as_str()),
        Some("2019-01-01T00:05:00Z")
    );
    assert!(v4.manifest.contains("# Source: web/templates/cm.yaml\n"));
}

#[test]
fn secrets_carry_two_base64_layers_and_read_the_same() {
    let revs = deleted_history();
    let from_cm = read(revs.iter().map(|r| r.configmap("tiller")).collect());
    let from_secret = read(revs.iter().map(|r| r.secret("tiller")).collect());
    assert!(from_secret.errors.is_empty(), "{:?}", from_secret.errors);
    assert_eq!(from_secret.records.len(), 4);
    for (a, b) in from_cm.records.iter().zip(&from_secret.records) {
        assert_eq!(a.release, b.release);
        assert_eq!(b.meta.base64_layers, 2);
        assert_eq!(b.meta.namespace.as_deref(), Some("tiller"));
    }
}

#[test]
fn records_tiller_stored_before_it_compressed_read_the_same() {
    // Tiller gunzips only what starts with the gzip magic (helm/helm#1420): its first
    // records were base64(protobuf), and a history can mix both.
    let revs = deleted_history();
    let compressed = read(revs.iter().map(|r| r.configmap("tiller")).collect());
    let mixed = revs.iter().enumerate().map(|(i, r)| {
        let r = if i % 2 == 0 {
            r.clone().uncompressed()
        } else {
            r.clone()
        };
        r.configmap("tiller")
    });
    let mixed = read(mixed.collect());
    assert!(mixed.errors.is_empty(), "{:?}", mixed.errors);
    assert_eq!(mixed.records.len(), 4);
    for (i, (a, b)) in compressed.records.iter().zip(&mixed.records).enumerate() {
        assert_eq!(a.release, b.release);
        assert_eq!(b.meta.gzipped, i % 2 == 1);
        assert_eq!(b.meta.base64_layers, 1);
    }
    // The same through a Secret's second layer.
    let secrets = revs
        .iter()
        .map(|r| r.clone().uncompressed().secret("tiller"));
    let secrets = read(secrets.collect());
    assert!(secrets.errors.is_empty(), "{:?}", secrets.errors);
    for (a, b) in compressed.records.iter().zip(&secrets.records) {
        assert_eq!(a.release, b.release);
        assert_eq!((b.meta.base64_layers, b.meta.gzipped), (2, false));
    }
}

#[test]
fn helm2_only_events_are_kept_by_name() {
    let hook = hapi::Hook {
        name: "crds".into(),
        events: vec![
            hook_event::CRD_INSTALL,
            hook_event::RELEASE_TEST_SUCCESS,
            hook_event::RELEASE_TEST_FAILURE,
            42,
        ],
        delete_policies: vec![delete_policy::FAILED, 9],
        ..hapi::Hook::default()
    };
    let rev = TillerBuilder::new("web", "shop", 1).hook(hook);
    let out = read(vec![rev.configmap("kube-system")]);
    let hook = &out.records[0].release.hooks[0];
    assert_eq!(
        hook.events,
        [
            HookEvent::Unknown("crd-install".into()),
            HookEvent::Test,
            HookEvent::Unknown("test-failure".into()),
            HookEvent::Unknown("event code 42".into()),
        ]
    );
    assert_eq!(
        hook.delete_policies,
        [
            HookDeletePolicy::HookFailed,
            HookDeletePolicy::Other("policy code 9".into())
        ]
    );
    assert!(!out.records[0].release.hooks[0].ran());
}

#[test]
fn labels_that_disagree_with_the_payload_are_findings() {
    let rev = TillerBuilder::new("web", "shop", 2).status(Status::Superseded, "Upgrade complete");
    let mut cm = rev.configmap("kube-system");
    cm["metadata"]["labels"]["STATUS"] = json!("DEPLOYED");
    cm["metadata"]["name"] = json!("web.v3");
    let out = read(vec![cm]);
    let histories = history::group(out.records, out.errors);
    let fields: Vec<(String, String, String)> = histories.releases[0]
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::RecordMismatch {
                field,
                stored,
                payload,
                ..
            } => Some((field.clone(), stored.clone(), payload.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("object name".into(), "v3".into(), "version 2".into()),
            (
                "label STATUS".into(),
                "DEPLOYED".into(),
                "SUPERSEDED".into()
            ),
        ]
    );
}

/// A ConfigMap holding `payload` under Tiller's labels, named `web.v1`.
fn tiller_cm(payload: &str) -> Value {
    let mut cm = TillerBuilder::new("web", "shop", 1).configmap("kube-system");
    cm["data"]["release"] = json!(payload);
    cm
}

fn single_error(out: &InputOutcome) -> String {
    assert!(out.records.is_empty(), "{:?}", out.records);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    let text = out.errors[0].to_string();
    assert!(text.starts_with("web.v1 (tiller.json, item 0): "), "{text}");
    text
}

#[test]
fn broken_tiller_records_are_errors_naming_the_record() {
    // Not protobuf at all.
    let out = read(vec![tiller_cm(&codec::encode_payload(&[0xff; 16]))]);
    let text = single_error(&out);
    assert_eq!(out.errors[0].layer, Layer::Protobuf);
    assert!(text.contains("not a hapi.release.Release"), "{text}");

    // Helm 3 JSON under Tiller's labels.
    let out = read(vec![tiller_cm(&codec::encode_base64(
        b"{\"name\":\"web\"}",
    ))]);
    let text = single_error(&out);
    assert!(
        text.contains("the payload is JSON, not a Tiller record's protobuf"),
        "{text}"
    );

    // A negative revision.
    let mut msg = TillerBuilder::new("web", "shop", 1).message().clone();
    msg.version = -2;
    let out = read(vec![tiller_cm(&codec::encode_payload(
        &msg.encode_to_vec(),
    ))]);
    let text = single_error(&out);
    assert!(
        text.contains("version is -2, not a revision number"),
        "{text}"
    );

    // A timestamp outside protobuf's range.
    let mut msg = TillerBuilder::new("web", "shop", 1).message().clone();
    if let Some(info) = msg.info.as_mut() {
        info.deleted = Some(hapi::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        });
    }
    let out = read(vec![tiller_cm(&codec::encode_payload(
        &msg.encode_to_vec(),
    ))]);
    let text = single_error(&out);
    assert!(
        text.contains("info.deleted is not a valid timestamp"),
        "{text}"
    );

    // Truncated gzip.
    let payload = TillerBuilder::new("web", "shop", 1).payload();
    let gz = codec::decode_base64(payload.as_bytes()).expect("base64");
    let out = read(vec![tiller_cm(&codec::encode_base64(&gz[..gz.len() / 2]))]);
    single_error(&out);
    assert_eq!(out.errors[0].layer, Layer::Gzip);
}

#[test]
fn values_that_are_not_yaml_are_refused_without_quoting_them() {
    let rev = TillerBuilder::new("web", "shop", 1).config_yaml("password: [hunter2-secret\n");
    let out = read(vec![rev.configmap("kube-system")]);
    let text = single_error(&out);
    assert_eq!(out.errors[0].layer, Layer::Yaml);
    assert!(
        text.contains("user-supplied values (config.raw) are not valid YAML"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_broken_tiller_revision_belongs_to_its_release() {
    let v1 = TillerBuilder::new("web", "shop", 1).configmap("kube-system");
    let mut v2 = TillerBuilder::new("web", "shop", 2).configmap("kube-system");
    v2["data"]["release"] = json!(codec::encode_payload(b"not protobuf at all"));
    let orphan = tiller_cm(&codec::encode_payload(b"x")); // `web.v1` of no decodable release
    let out = read(vec![v1, v2]);
    let histories = history::group(out.records, out.errors);
    let web = &histories.releases[0];
    assert_eq!(web.id.to_string(), "shop/web");
    assert_eq!(web.last_revision(), Some(2));
    assert_eq!(web.undecodable.len(), 1, "{:?}", web.undecodable);
    assert!(histories.unattributed.is_empty());
    // Alone, a broken Tiller record cannot be placed: it is counted apart.
    let out = read(vec![orphan]);
    let histories = history::group(out.records, out.errors);
    assert!(histories.releases.is_empty());
    assert_eq!(histories.unattributed.len(), 1);
}
