//! A stored record: the release plus where and how it was stored.

use std::collections::BTreeMap;

use crate::codec::{AliasBombs, Limits, peel_then};
use crate::error::{DecodeError, Layer, RecordRef};
use crate::manifest::{
    ALIAS_NODE_WEIGHT, MANIFEST_NODE_BUDGET, NodeBudget, may_alias, split_manifests,
};
use crate::model::{Release, parse_release_json};

/// The storage driver (or form) a record was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// A Secret of type `helm.sh/release.v1` (Helm's default driver).
    Secret,
    /// A ConfigMap (`HELM_DRIVER=configmap`).
    ConfigMap,
    /// A `body` value of the SQL driver's `releases_v1` table.
    Sql,
    /// A bare payload or raw release JSON, with no storage object around it.
    Raw,
}

impl Driver {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Secret => "secret",
            Driver::ConfigMap => "configmap",
            Driver::Sql => "sql",
            Driver::Raw => "raw",
        }
    }
}

/// The storage format of the payload. Helm 3 and Helm 4 share one; Helm 2 (Tiller) had its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordFormat {
    /// `sh.helm.release.v1`: base64(gzip(JSON)), written by Helm 3 and Helm 4.
    HelmV1Json,
    /// Tiller's `OWNER=TILLER` records: base64(gzip(protobuf)), read by [`crate::tiller`].
    TillerProtobuf,
}

/// Where a record was stored and what its storage object said about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordMeta {
    /// The driver.
    pub driver: Driver,
    /// Where it came from (file, List item, object name).
    pub reference: RecordRef,
    /// The storage object's name (`sh.helm.release.v1.<release>.v<N>`), when there is one.
    pub object_name: Option<String>,
    /// The storage object's namespace, when known.
    pub namespace: Option<String>,
    /// The storage object's labels (`name`, `owner`, `status`, `version`, …).
    pub labels: BTreeMap<String, String>,
    /// Base64 layers peeled (1: Helm's own; 2: a Secret read as YAML/JSON through the API).
    pub base64_layers: u8,
    /// Whether the payload was gzip-compressed.
    pub gzipped: bool,
    /// Which Helm's format the payload is in.
    pub format: RecordFormat,
    /// The bytes its payload decompressed to: what decoding it drew from the run's budget
    /// ([`crate::codec::RunBudget`]), given back by a command that drops it.
    #[serde(skip)]
    pub decoded_bytes: usize,
}

impl RecordMeta {
    /// Metadata for a record with no storage object (raw JSON, a bare payload).
    pub fn raw(reference: RecordRef) -> Self {
        RecordMeta {
            driver: Driver::Raw,
            reference,
            object_name: None,
            namespace: None,
            labels: BTreeMap::new(),
            base64_layers: 0,
            gzipped: false,
            format: RecordFormat::HelmV1Json,
            decoded_bytes: 0,
        }
    }

    /// Metadata for a record held by a storage object.
    pub fn object(
        driver: Driver,
        reference: RecordRef,
        name: Option<String>,
        namespace: Option<String>,
        labels: BTreeMap<String, String>,
    ) -> Self {
        RecordMeta {
            driver,
            reference,
            object_name: name,
            namespace,
            labels,
            base64_layers: 0,
            gzipped: false,
            format: RecordFormat::HelmV1Json,
            decoded_bytes: 0,
        }
    }

    /// The revision the object name claims (`….v7` → 7).
    pub fn name_revision(&self) -> Option<u64> {
        self.parse_name().map(|(_, rev)| rev)
    }

    /// The release name the object name claims.
    pub fn name_release(&self) -> Option<&str> {
        self.parse_name().map(|(name, _)| name)
    }

    /// The release the record is stored under, as Helm's storage finds it: its `name` label
    /// (Tiller's `NAME`), else the name its object name claims.
    pub fn stored_release(&self) -> Option<&str> {
        let label = match self.format {
            RecordFormat::HelmV1Json => "name",
            RecordFormat::TillerProtobuf => "NAME",
        };
        self.labels
            .get(label)
            .map(String::as_str)
            .or_else(|| self.name_release())
    }

    fn parse_name(&self) -> Option<(&str, u64)> {
        let name = self.object_name.as_deref()?;
        match self.format {
            RecordFormat::HelmV1Json => parse_storage_key(name),
            RecordFormat::TillerProtobuf => crate::tiller::parse_tiller_key(name),
        }
    }
}

/// Split a storage key `sh.helm.release.v1.<release>.v<N>` into release and revision.
///
/// ```
/// use helm_why_release::record::parse_storage_key;
/// assert_eq!(parse_storage_key("sh.helm.release.v1.my.app.v12"), Some(("my.app", 12)));
/// assert_eq!(parse_storage_key("web.v3"), None);
/// ```
pub fn parse_storage_key(key: &str) -> Option<(&str, u64)> {
    let rest = key.strip_prefix("sh.helm.release.v1.")?;
    let (name, rev) = rest.rsplit_once(".v")?;
    if name.is_empty() {
        return None;
    }
    Some((name, rev.parse().ok()?))
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Storage metadata.
    pub meta: RecordMeta,
    /// The release revision it holds.
    pub release: Release,
}

impl Record {
    /// The namespace the record belongs to: the storage object's, else the release's.
    ///
    /// Tiller keeps the records of every release in its own namespace, so a Tiller record
    /// belongs to the release namespace its payload names.
    pub fn storage_namespace(&self) -> &str {
        if self.meta.format == RecordFormat::TillerProtobuf && !self.release.namespace.is_empty() {
            return &self.release.namespace;
        }
        self.meta
            .namespace
            .as_deref()
            .filter(|ns| !ns.is_empty())
            .unwrap_or(&self.release.namespace)
    }
}

/// Decode a payload (one or two base64 layers, gzip, JSON) into a record.
///
/// ```
/// use helm_why_release::{codec, record, Limits, RecordRef};
/// let payload = codec::encode_payload(br#"{"name":"web","version":3}"#);
/// let meta = record::RecordMeta::raw(RecordRef::file("body.txt"));
/// let rec = record::decode_record(payload.as_bytes(), meta, &Limits::default()).unwrap();
/// assert_eq!(rec.release.version, 3);
/// ```
///
/// # Errors
/// A [`DecodeError`] naming the record and the failing layer.
pub fn decode_record(
    payload: &[u8],
    mut meta: RecordMeta,
    limits: &Limits,
) -> Result<Record, DecodeError> {
    let parsed = peel_then(payload, limits, |peeled| {
        meta.base64_layers = peeled.base64_layers;
        meta.gzipped = peeled.gzipped;
        meta.decoded_bytes = peeled.json.len();
        parse_release_json(&peeled.json)
    })
    .map_err(|e| DecodeError::new(meta.reference.clone(), e.layer, e.detail))?;
    let release =
        parsed.map_err(|detail| DecodeError::new(meta.reference.clone(), Layer::Json, detail))?;
    check_alias_expansion(&release, &limits.alias_bombs)
        .map_err(|detail| DecodeError::new(meta.reference.clone(), Layer::Yaml, detail))?;
    Ok(Record { meta, release })
}

/// One budget of YAML nodes for all the documents of a record — manifest and hooks
/// together — that use aliases (each of their nodes counts [`ALIAS_NODE_WEIGHT`] times
/// against [`MANIFEST_NODE_BUDGET`]) (the only way a small text becomes a large tree). Each document alone is
/// held to the parser's alias limits; this keeps a record of many small "billion laughs"
/// documents from multiplying them, whichever command later parses them.
///
/// Past [`AliasBombs::MAX`] refusals in the run, a record with a document that may use
/// aliases is refused without parsing it.
fn check_alias_expansion(release: &Release, bombs: &AliasBombs) -> Result<(), String> {
    let mut budget = NodeBudget::default();
    // Most manifests have no `&` or no `*` at all: then none of their documents is split out.
    let manifest_docs = if may_alias(&release.manifest) {
        split_manifests(&release.manifest)
    } else {
        Vec::new()
    };
    let hook_docs = release.hooks.iter().map(|h| h.manifest.as_str());
    for doc in manifest_docs.into_iter().chain(hook_docs) {
        if !may_alias(doc) {
            continue;
        }
        if bombs.too_many() {
            return Err(format!(
                "its documents may use YAML aliases, and this run has refused {} alias bombs already: they are not expanded any more",
                bombs.count()
            ));
        }
        if let Err(detail) = budget.parse(doc)
            && budget.is_spent()
        {
            bombs.refused();
            return Err(format!(
                "its manifest and hooks expand to more than {} YAML nodes through aliases (an alias bomb?): {detail}",
                MANIFEST_NODE_BUDGET / ALIAS_NODE_WEIGHT
            ));
        }
    }
    Ok(())
}
