//! Helm 2 (Tiller) records: `base64(gzip(protobuf hapi.release.Release))`.
//!
//! Tiller keeps every release's records in its own namespace (`kube-system` unless Tiller was
//! installed elsewhere), as ConfigMaps (its default) or Secrets named `<release>.v<N>` and
//! labelled `OWNER=TILLER`, `NAME`, `STATUS` (the status code's name, `DEPLOYED`), `VERSION`
//! [Helm v2.17.0 `pkg/storage/driver/cfgmaps.go`, `secrets.go`, `util.go`]. The payload decodes
//! into the same [`Release`] model as Helm 3's JSON, with the release namespace taken from the
//! payload (it is where the objects live; the record itself sits in Tiller's namespace).
//!
//! Helm 2 names map onto the model as the helm-2to3 plugin and Helm 3 read them: `DELETED` is
//! `uninstalled`, `DELETING` is `uninstalling`; hook event `test-success` is `test`, while
//! `test-failure` and `crd-install` (which Helm 3 does not know) are kept by name.

pub mod builder;
pub mod hapi;

use base64::Engine as _;
use prost::Message as _;
use serde_json::Value;

use crate::codec::{Limits, peel_tiller};
use crate::error::{DecodeError, Layer};
use crate::manifest::parse_yaml;
use crate::model::{
    Chart, ChartFile, ChartMetadata, Hook, HookDeletePolicy, HookEvent, HookExecution, Info,
    Release, Status, Timestamp, format_rfc3339,
};
use crate::record::{Record, RecordFormat, RecordMeta};

/// The label Tiller puts on its records, with its value: `OWNER=TILLER`.
pub const OWNER_LABEL: (&str, &str) = ("OWNER", "TILLER");

/// The label naming the release a Tiller record holds.
pub const NAME_LABEL: &str = "NAME";

/// The label giving the revision a Tiller record holds.
pub const VERSION_LABEL: &str = "VERSION";

/// The release and revision a Tiller storage object claims to hold, before decoding: its
/// `NAME` and `VERSION` labels, else its name `<release>.v<revision>` (helm-semantics.md §1.5,
/// Tiller's `makeKey` and labels); `None` without a release name.
///
/// ```
/// use std::collections::BTreeMap;
/// use helm_why_release::tiller::claimed_release;
/// let labels = BTreeMap::from([("NAME".to_owned(), "web".to_owned())]);
/// assert_eq!(claimed_release(Some("web.v3"), &labels), Some(("web".to_owned(), Some(3))));
/// assert_eq!(claimed_release(Some("cm"), &BTreeMap::new()), None);
/// ```
pub fn claimed_release(
    object_name: Option<&str>,
    labels: &std::collections::BTreeMap<String, String>,
) -> Option<(String, Option<u64>)> {
    let key = object_name.and_then(parse_tiller_key);
    let name = labels
        .get(NAME_LABEL)
        .cloned()
        .or_else(|| key.map(|(n, _)| n.to_owned()))?;
    let version = labels
        .get(VERSION_LABEL)
        .and_then(|v| v.parse().ok())
        .or_else(|| key.map(|(_, v)| v));
    Some((name, version))
}

/// Decode the records of one release whose namespace only a decoded record tells (Tiller's:
/// every record sits in Tiller's own namespace, and the release's is in the payload): those
/// of the newest revision, then older ones, newest first, only until one decodes, so that a
/// release whose newest record is broken is still placed (and listed as undecodable by
/// `list`). `decode` says whether a record decoded; `skip` is told of each record left
/// undecoded.
///
/// ```
/// use helm_why_release::tiller::decode_newest_placing;
/// let (mut tried, mut skipped) = (Vec::new(), 0);
/// let records = vec![(Some(1), "v1 good"), (Some(3), "v3 broken"), (Some(2), "v2 good")];
/// decode_newest_placing(records, |r| { tried.push(r); r.ends_with("good") }, || skipped += 1);
/// assert_eq!((tried, skipped), (vec!["v3 broken", "v2 good"], 1));
/// ```
pub fn decode_newest_placing<T>(
    mut records: Vec<(Option<u64>, T)>,
    mut decode: impl FnMut(T) -> bool,
    mut skip: impl FnMut(),
) {
    records.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    let newest = records.first().and_then(|(version, _)| *version);
    let mut placed = false;
    for (version, record) in records {
        if version != newest && placed {
            skip();
        } else {
            placed |= decode(record);
        }
    }
}

/// Whether storage-object labels mark a Tiller record.
pub fn is_tiller(labels: &std::collections::BTreeMap<String, String>) -> bool {
    labels.get(OWNER_LABEL.0).map(String::as_str) == Some(OWNER_LABEL.1)
}

/// Split a Tiller storage key `<release>.v<N>` into release and revision.
///
/// ```
/// use helm_why_release::tiller::parse_tiller_key;
/// assert_eq!(parse_tiller_key("my.app.v12"), Some(("my.app", 12)));
/// assert_eq!(parse_tiller_key("web"), None);
/// ```
pub fn parse_tiller_key(key: &str) -> Option<(&str, u64)> {
    let (name, rev) = key.rsplit_once(".v")?;
    if name.is_empty() {
        return None;
    }
    Some((name, rev.parse().ok()?))
}

/// The name Tiller gives a status in its `STATUS` label (`DEPLOYED`, `DELETED`, …).
///
/// ```
/// use helm_why_release::{tiller::status_label, Status};
/// assert_eq!(status_label(&Status::Uninstalled), "DELETED");
/// ```
pub fn status_label(status: &Status) -> &str {
    match status {
        Status::Unknown => "UNKNOWN",
        Status::Deployed => "DEPLOYED",
        Status::Uninstalled => "DELETED",
        Status::Superseded => "SUPERSEDED",
        Status::Failed => "FAILED",
        Status::Uninstalling => "DELETING",
        Status::PendingInstall => "PENDING_INSTALL",
        Status::PendingUpgrade => "PENDING_UPGRADE",
        Status::PendingRollback => "PENDING_ROLLBACK",
        Status::Other(s) => s,
    }
}

/// Decode a Tiller payload (one or two base64 layers, gzip, protobuf) into a record.
///
/// ```
/// use helm_why_release::tiller::{builder::TillerBuilder, decode_tiller_record};
/// use helm_why_release::{record::RecordMeta, Limits, RecordRef, Status};
/// let rev = TillerBuilder::new("web", "shop", 2).status(Status::Uninstalled, "Deletion complete");
/// let meta = RecordMeta::raw(RecordRef::file("web.v2"));
/// let rec = decode_tiller_record(rev.payload().as_bytes(), meta, &Limits::default()).unwrap();
/// assert_eq!((rec.release.version, &rec.release.info.status), (2, &Status::Uninstalled));
/// assert_eq!(rec.storage_namespace(), "shop");
/// ```
///
/// # Errors
/// A [`DecodeError`] naming the record and the failing layer (base64, gzip, size, protobuf).
pub fn decode_tiller_record(
    payload: &[u8],
    mut meta: RecordMeta,
    limits: &Limits,
) -> Result<Record, DecodeError> {
    let fail =
        |layer: Layer, detail: String| DecodeError::new(meta.reference.clone(), layer, detail);
    let peeled = peel_tiller(payload, limits).map_err(|e| fail(e.layer, e.detail))?;
    if !peeled.gzipped && peeled.json.first() == Some(&b'{') {
        // A Helm 3 record with Tiller's labels: no hapi.release.Release starts with `{`.
        return Err(fail(
            Layer::Protobuf,
            "the payload is JSON, not a Tiller record's protobuf".to_owned(),
        ));
    }
    let message = hapi::Release::decode(peeled.json.as_slice()).map_err(|e| {
        let detail = if peeled.gzipped {
            format!("not a hapi.release.Release: {e}")
        } else {
            // Either an uncompressed record that is broken, or not a record at all.
            format!("neither gzip (1f 8b 08) nor a hapi.release.Release: {e}")
        };
        fail(Layer::Protobuf, detail)
    })?;
    let release = into_release(message).map_err(|(layer, detail)| fail(layer, detail))?;
    meta.base64_layers = peeled.base64_layers;
    meta.gzipped = peeled.gzipped;
    meta.format = RecordFormat::TillerProtobuf;
    meta.decoded_bytes = peeled.json.len();
    Ok(Record { meta, release })
}

type Failure = (Layer, String);

fn into_release(m: hapi::Release) -> Result<Release, Failure> {
    let version = u64::try_from(m.version).map_err(|_| {
        (
            Layer::Protobuf,
            format!("version is {}, not a revision number", m.version),
        )
    })?;
    let config = match m.config {
        Some(c) => values(&c.raw, "the user-supplied values (config.raw)")?,
        None => Value::Object(serde_json::Map::new()),
    };
    Ok(Release {
        name: m.name,
        info: info(m.info)?,
        chart: chart(m.chart)?,
        config,
        manifest: m.manifest,
        hooks: m.hooks.into_iter().map(hook).collect::<Result<_, _>>()?,
        version,
        namespace: m.namespace,
        apply_method: None,
    })
}

/// Values YAML as JSON. The parser's message is left out: it may quote the values, which
/// can hold secrets.
fn values(raw: &str, what: &str) -> Result<Value, Failure> {
    match parse_yaml(raw) {
        Ok(Value::Null) => Ok(Value::Object(serde_json::Map::new())),
        Ok(v) => Ok(v),
        Err(_) => Err((Layer::Yaml, format!("{what} are not valid YAML"))),
    }
}

fn info(i: Option<hapi::Info>) -> Result<Info, Failure> {
    let Some(i) = i else {
        return Ok(Info::default());
    };
    let (code, notes) = i.status.map(|s| (s.code, s.notes)).unwrap_or_default();
    Ok(Info {
        first_deployed: time(i.first_deployed, "info.first_deployed")?,
        last_deployed: time(i.last_deployed, "info.last_deployed")?,
        deleted: time(i.deleted, "info.deleted")?,
        description: i.description,
        status: status(code),
        notes,
    })
}

fn status(code: i32) -> Status {
    use hapi::status_code as c;
    match code {
        c::UNKNOWN => Status::Unknown,
        c::DEPLOYED => Status::Deployed,
        c::DELETED => Status::Uninstalled,
        c::SUPERSEDED => Status::Superseded,
        c::FAILED => Status::Failed,
        c::DELETING => Status::Uninstalling,
        c::PENDING_INSTALL => Status::PendingInstall,
        c::PENDING_UPGRADE => Status::PendingUpgrade,
        c::PENDING_ROLLBACK => Status::PendingRollback,
        other => Status::Other(format!("status code {other}")),
    }
}

/// A protobuf timestamp as RFC 3339; absent or the zero time is `None`, as in Helm 3 records.
fn time(t: Option<hapi::Timestamp>, field: &str) -> Result<Option<Timestamp>, Failure> {
    // google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
    const RANGE: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;
    let Some(t) = t else { return Ok(None) };
    if t.seconds == 0 && t.nanos == 0 {
        return Ok(None);
    }
    let nanos = u32::try_from(t.nanos).ok().filter(|n| *n < 1_000_000_000);
    match nanos {
        Some(nanos) if RANGE.contains(&t.seconds) => {
            Ok(Some(Timestamp::new(format_rfc3339(t.seconds, nanos))))
        }
        _ => Err((
            Layer::Protobuf,
            format!(
                "{field} is not a valid timestamp ({}s {}ns)",
                t.seconds, t.nanos
            ),
        )),
    }
}

fn chart(c: Option<hapi::Chart>) -> Result<Chart, Failure> {
    let Some(c) = c else {
        return Ok(Chart::default());
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let metadata = c.metadata.map(|m| ChartMetadata {
        name: m.name,
        version: m.version,
        app_version: m.app_version,
        api_version: m.api_version,
        description: m.description,
        chart_type: String::new(),
    });
    Ok(Chart {
        metadata: metadata.unwrap_or_default(),
        templates: c
            .templates
            .iter()
            .map(|t| ChartFile {
                name: t.name.clone(),
                data: b64(&t.data).into(),
            })
            .collect(),
        values: match c.values {
            Some(v) => values(&v.raw, "the chart's default values (chart.values.raw)")?,
            None => Value::Object(serde_json::Map::new()),
        },
        files: c
            .files
            .iter()
            .map(|f| ChartFile {
                name: f.type_url.clone(),
                data: b64(&f.value).into(),
            })
            .collect(),
    })
}

fn hook(h: hapi::Hook) -> Result<Hook, Failure> {
    Ok(Hook {
        last_run: HookExecution {
            // Tiller records when it started the hook, nothing about how it ended.
            started_at: time(h.last_run, "hook last_run")?,
            completed_at: None,
            phase: String::new(),
        },
        events: h.events.iter().map(|e| hook_event(*e)).collect(),
        delete_policies: h.delete_policies.iter().map(|p| policy(*p)).collect(),
        weight: i64::from(h.weight),
        name: h.name,
        kind: h.kind,
        path: h.path,
        manifest: h.manifest,
        output_log_policies: Vec::new(),
    })
}

fn hook_event(e: i32) -> HookEvent {
    use hapi::hook_event as h;
    match e {
        h::PRE_INSTALL => HookEvent::PreInstall,
        h::POST_INSTALL => HookEvent::PostInstall,
        h::PRE_DELETE => HookEvent::PreDelete,
        h::POST_DELETE => HookEvent::PostDelete,
        h::PRE_UPGRADE => HookEvent::PreUpgrade,
        h::POST_UPGRADE => HookEvent::PostUpgrade,
        h::PRE_ROLLBACK => HookEvent::PreRollback,
        h::POST_ROLLBACK => HookEvent::PostRollback,
        h::RELEASE_TEST_SUCCESS => HookEvent::Test,
        h::RELEASE_TEST_FAILURE => HookEvent::Unknown("test-failure".to_owned()),
        h::CRD_INSTALL => HookEvent::Unknown("crd-install".to_owned()),
        other => HookEvent::Unknown(format!("event code {other}")),
    }
}

fn policy(p: i32) -> HookDeletePolicy {
    use hapi::delete_policy as d;
    match p {
        d::SUCCEEDED => HookDeletePolicy::HookSucceeded,
        d::FAILED => HookDeletePolicy::HookFailed,
        d::BEFORE_HOOK_CREATION => HookDeletePolicy::BeforeHookCreation,
        other => HookDeletePolicy::Other(format!("policy code {other}")),
    }
}

/// Where a Tiller record's object disagrees with its payload: `(field, stored, payload)`.
pub(crate) fn mismatches(record: &Record) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    let release = &record.release;
    if let Some((name, rev)) = record
        .meta
        .object_name
        .as_deref()
        .and_then(parse_tiller_key)
    {
        if rev != release.version {
            out.push((
                "object name",
                format!("v{rev}"),
                format!("version {}", release.version),
            ));
        }
        if name != release.name {
            out.push(("object name", name.to_owned(), release.name.clone()));
        }
    }
    let labels = &record.meta.labels;
    if let Some(v) = labels.get(VERSION_LABEL)
        && v.parse::<u64>().ok() != Some(release.version)
    {
        out.push(("label VERSION", v.clone(), release.version.to_string()));
    }
    if let Some(n) = labels.get(NAME_LABEL)
        && n != &release.name
    {
        out.push(("label NAME", n.clone(), release.name.clone()));
    }
    let status = status_label(&release.info.status);
    if let Some(s) = labels.get("STATUS")
        && s != status
    {
        out.push(("label STATUS", s.clone(), status.to_owned()));
    }
    out
}
