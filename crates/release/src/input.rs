//! Turning the text of a file (or standard input) into records.
//!
//! Accepted, detected from the content: a single Secret or ConfigMap (YAML or JSON), a `v1
//! List` as printed by `kubectl get … -o yaml|json`, multi-document YAML, raw release JSON, a
//! SQL row exported as JSON (`{"key": …, "body": …}`), and a bare payload string. Helm 2's
//! Tiller ConfigMaps and Secrets (`OWNER=TILLER`) are recognised by their label.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::codec::Limits;
use crate::error::{DecodeError, Layer, RecordRef};
use crate::manifest::{NodeBudget, parse_yaml_stream, scalar_text};
use crate::model::{ChartFiles, release_from_value};
use crate::record::{Driver, Record, RecordMeta, decode_record, parse_storage_key};
use crate::split::{ListSplitter, SplitError};
use crate::tiller;

/// An object in the input that is not a Helm release record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IgnoredObject {
    /// Where it was.
    pub reference: RecordRef,
    /// `Kind name`, or a short description.
    pub what: String,
}

/// Everything read from one input.
#[derive(Debug, Clone, Default)]
pub struct InputOutcome {
    /// Records that decoded.
    pub records: Vec<Record>,
    /// Records (or the whole input) that did not.
    pub errors: Vec<DecodeError>,
    /// Objects that are not release records (other Secrets in a dump, …).
    pub ignored: Vec<IgnoredObject>,
    /// Release records left encoded because the question does not need them ([`Select`]).
    pub skipped: usize,
    /// The releases (namespace as labelled, name) of records skipped by
    /// [`Select::Release`]: what "did you mean" and "found in namespace" hints offer.
    pub other_releases: std::collections::BTreeSet<(Option<String>, String)>,
    /// The releases (namespace as labelled, name) of which a record may mention one of the
    /// names of [`Select::Mentioning`].
    pub mentioning: std::collections::BTreeSet<(Option<String>, String)>,
    /// Tiller's records, left encoded by [`Select::AllTillerEncoded`].
    pub tiller: Vec<EncodedTiller>,
}

/// A Tiller record as stored ([`Select::AllTillerEncoded`]): its release's namespace is known
/// only once a record of it is decoded, so a reader that analyses a release at a time holds
/// these, places each release by one decoded record, and decodes the rest when its turn comes.
#[derive(Debug, Clone)]
pub struct EncodedTiller {
    /// The release and revision the storage object claims ([`tiller::claimed_release`]).
    pub claimed: Option<(String, Option<u64>)>,
    /// The payload, encoded.
    pub payload: String,
    /// The storage object's metadata.
    pub meta: RecordMeta,
}

impl EncodedTiller {
    /// Its record ([`tiller::decode_tiller_record`]).
    ///
    /// # Errors
    /// As [`tiller::decode_tiller_record`].
    pub fn decode(&self, limits: &Limits) -> Result<Record, DecodeError> {
        tiller::decode_tiller_record(self.payload.as_bytes(), self.meta.clone(), limits)
    }
}

impl InputOutcome {
    /// Keep a decoded record, or its error.
    fn push(&mut self, decoded: Result<Record, DecodeError>) {
        match decoded {
            Ok(r) => self.records.push(r),
            Err(e) => self.errors.push(e),
        }
    }

    /// Append another outcome.
    pub fn extend(&mut self, other: InputOutcome) {
        self.records.extend(other.records);
        self.errors.extend(other.errors);
        self.ignored.extend(other.ignored);
        self.skipped += other.skipped;
        self.other_releases.extend(other.other_releases);
        self.mentioning.extend(other.mentioning);
        self.tiller.extend(other.tiller);
    }
}

/// Which release records to decode. Decoding (base64, gunzip, JSON) is most of the cost of
/// reading, and a storage object's name and labels say which release and revision it holds,
/// so records the question does not need are never decoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Select<'a> {
    /// Every record.
    #[default]
    All,
    /// Every record, Tiller's left encoded in [`InputOutcome::tiller`] (those of an object
    /// whose kind is cut off are decoded, to say so).
    AllTillerEncoded,
    /// Tiller's records alone, left encoded in [`InputOutcome::tiller`]; the others are
    /// skipped.
    TillerEncodedOnly,
    /// The records of one release; of one storage namespace when given.
    Release {
        /// The release name.
        name: &'a str,
        /// The storage namespace.
        namespace: Option<&'a str>,
    },
    /// The newest record of each release (by its `version` label or key), for `list`.
    Latest,
    /// Every record stored in one namespace, or in any (and those whose namespace cannot be
    /// told before decoding), except one release's, searched rather than decoded: each record
    /// is peeled (base64, gunzip), searched for the names and dropped; the releases of which a
    /// record may mention one are listed in [`InputOutcome::mentioning`] (the records are
    /// counted as skipped). Records whose release cannot be told before decoding are decoded.
    Mentioning {
        /// The storage namespace; `None` for every namespace.
        namespace: Option<&'a str>,
        /// The release whose records are not wanted (already read).
        except: &'a crate::ReleaseId,
        /// The names searched for.
        names: &'a crate::mentions::Mentions,
    },
    /// The records of some releases of one storage namespace, or of any (and those whose
    /// namespace or release cannot be told before decoding).
    Releases {
        /// The storage namespace; `None` for every namespace.
        namespace: Option<&'a str>,
        /// The release names.
        names: &'a std::collections::BTreeSet<String>,
    },
}

/// What a storage object says of the release it holds, before decoding.
struct Claim {
    /// The release's namespace, when the object tells it (Helm 3 stores a release's records
    /// in its namespace; Tiller stores every release's in its own).
    namespace: Option<String>,
    /// Where the record is stored: a release's revisions are the records of one store.
    store: Option<String>,
    name: String,
    version: Option<u64>,
}

/// How a record's payload is decoded: Helm 3's JSON ([`decode_record`]) or Tiller's protobuf
/// ([`tiller::decode_tiller_record`]).
type Decode = fn(&[u8], RecordMeta, &Limits) -> Result<Record, DecodeError>;

/// A record held back until the newest of its release is known ([`Select::Latest`]).
struct Pending {
    version: u64,
    payload: String,
    meta: RecordMeta,
    decode: Decode,
    /// The release's namespace is known only once a record of it is decoded (Tiller's).
    placed_by_payload: bool,
}

impl Pending {
    fn decode(self, limits: &Limits) -> Result<Record, DecodeError> {
        (self.decode)(self.payload.as_bytes(), self.meta, limits)
    }
}

/// The records held back for one release: the newest so far, and, when only a payload tells
/// the release's namespace (Tiller's), the older ones. Should the newest not decode, they are
/// decoded newest first until one does, so that the release is still placed (and listed as
/// `undecodable`), as Helm 3's storage namespace places its own.
struct Held {
    newest: Pending,
    older: Vec<Pending>,
}

impl Held {
    /// Keep an older record if it may be needed to place the release; else count it skipped.
    fn set_aside(&mut self, older: Pending, out: &mut InputOutcome) {
        if older.placed_by_payload {
            self.older.push(older);
        } else {
            out.skipped += 1;
        }
    }

    /// Decode the newest record, and the older ones until one decodes
    /// ([`tiller::decode_newest_placing`]).
    fn decode(self, limits: &Limits, out: &mut InputOutcome) {
        let records = std::iter::once(self.newest)
            .chain(self.older)
            .map(|p| (Some(p.version), p))
            .collect();
        let mut skipped = 0;
        let decode = |pending: Pending| {
            let decoded = pending.decode(limits);
            let placed = decoded.is_ok();
            out.push(decoded);
            placed
        };
        tiller::decode_newest_placing(records, decode, || skipped += 1);
        out.skipped += skipped;
    }
}

/// The state of one reading: the limits, the selection and the records held back.
struct Reading<'s> {
    limits: &'s Limits,
    select: Select<'s>,
    latest: BTreeMap<(Option<String>, String), Held>,
}

impl<'s> Reading<'s> {
    fn new(limits: &'s Limits, select: Select<'s>) -> Self {
        Reading {
            limits,
            select,
            latest: BTreeMap::new(),
        }
    }

    /// Decode `payload` now, later, or never, as the selection asks.
    fn offer(
        &mut self,
        claim: Option<Claim>,
        payload: &str,
        meta: RecordMeta,
        decode: Decode,
        out: &mut InputOutcome,
    ) {
        match (self.select, claim) {
            (Select::TillerEncodedOnly, _) => out.skipped += 1,
            (Select::Release { name, namespace }, Some(c))
                if c.name != name
                    || namespace
                        .zip(c.namespace.as_deref())
                        .is_some_and(|(want, ns)| !ns.is_empty() && want != ns) =>
            {
                out.skipped += 1;
                out.other_releases.insert((c.namespace, c.name));
            }
            (
                Select::Mentioning {
                    namespace,
                    except,
                    names,
                },
                Some(c),
            ) => {
                out.skipped += 1;
                // A record without a namespace may be the excepted release's own.
                let known_namespace = c.namespace.as_deref().filter(|ns| !ns.is_empty());
                let excepted = c.name == except.name
                    && known_namespace.is_none_or(|ns| ns == except.namespace);
                let elsewhere = known_namespace
                    .zip(namespace)
                    .is_some_and(|(ns, wanted)| ns != wanted);
                if !excepted
                    && !elsewhere
                    && names.may_be_in_payload(payload.as_bytes(), self.limits)
                {
                    out.mentioning.insert((c.namespace, c.name));
                }
            }
            (Select::Releases { namespace, names }, Some(c))
                if !names.contains(&c.name)
                    || c.namespace
                        .as_deref()
                        .zip(namespace)
                        .is_some_and(|(ns, wanted)| !ns.is_empty() && ns != wanted) =>
            {
                out.skipped += 1;
            }
            (
                Select::Latest,
                Some(Claim {
                    namespace,
                    store,
                    name,
                    version: Some(version),
                }),
            ) => {
                let pending = Pending {
                    version,
                    payload: payload.to_owned(),
                    meta,
                    decode,
                    placed_by_payload: namespace.is_none(),
                };
                self.hold((store, name), pending, out);
            }
            _ => out.push(decode(payload.as_bytes(), meta, self.limits)),
        }
    }

    /// Keep `pending` if it is the newest record of its release so far; an older one is set
    /// aside ([`Held`]), and the same revision stored twice is decoded at once, so that the
    /// duplicate is reported as it would be without the selection.
    fn hold(&mut self, id: (Option<String>, String), pending: Pending, out: &mut InputOutcome) {
        use std::cmp::Ordering;
        use std::collections::btree_map::Entry;
        match self.latest.entry(id) {
            Entry::Vacant(free) => {
                free.insert(Held {
                    newest: pending,
                    older: Vec::new(),
                });
            }
            Entry::Occupied(mut held) => {
                let held = held.get_mut();
                match held.newest.version.cmp(&pending.version) {
                    Ordering::Less => {
                        let older = std::mem::replace(&mut held.newest, pending);
                        held.set_aside(older, out);
                    }
                    Ordering::Equal => out.push(pending.decode(self.limits)),
                    Ordering::Greater => held.set_aside(pending, out),
                }
            }
        }
    }

    /// Hold what another reading held (a worker's, of part of the same input).
    fn hold_all(
        &mut self,
        other: BTreeMap<(Option<String>, String), Held>,
        out: &mut InputOutcome,
    ) {
        for (id, held) in other {
            self.hold(id.clone(), held.newest, out);
            for older in held.older {
                self.hold(id.clone(), older, out);
            }
        }
    }

    /// Decode what was held back.
    fn finish(self, out: &mut InputOutcome) {
        for held in self.latest.into_values() {
            held.decode(self.limits, out);
        }
    }
}

/// The release a storage object claims to hold: its `name`/`version` labels, else its
/// storage key `sh.helm.release.v1.<name>.v<N>`.
fn claim(
    object_name: Option<&str>,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> Option<Claim> {
    let key = object_name.and_then(parse_storage_key);
    let name = labels
        .get("name")
        .cloned()
        .or_else(|| key.map(|(n, _)| n.to_owned()))?;
    let version = labels
        .get("version")
        .and_then(|v| v.parse().ok())
        .or_else(|| key.map(|(_, v)| v));
    Some(Claim {
        namespace: namespace.map(str::to_owned),
        store: namespace.map(str::to_owned),
        name,
        version,
    })
}

/// The release a Tiller record claims to hold ([`tiller::claimed_release`]). Its namespace
/// is known only once decoded: the record sits in Tiller's.
fn tiller_claim(
    object_name: Option<&str>,
    store: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> Option<Claim> {
    let (name, version) = tiller::claimed_release(object_name, labels)?;
    Some(Claim {
        namespace: None,
        store: store.map(str::to_owned),
        name,
        version,
    })
}

/// Read every record in `bytes`; `origin` names the input in messages (`-` for stdin).
///
/// ```
/// use helm_why_release::{codec, input::read_input, Limits};
/// let payload = codec::encode_payload(br#"{"name":"web","namespace":"shop","version":1}"#);
/// let yaml = format!(
///     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sh.helm.release.v1.web.v1\n  \
///      labels: {{owner: helm, name: web, version: \"1\", status: deployed}}\ndata:\n  release: {payload}\n"
/// );
/// let out = read_input(yaml.as_bytes(), "cm.yaml", &Limits::default());
/// assert_eq!(out.records.len(), 1);
/// assert_eq!(out.records[0].release.name, "web");
/// ```
pub fn read_input(bytes: &[u8], origin: &str, limits: &Limits) -> InputOutcome {
    read_input_selected(bytes, origin, limits, Select::All)
}

/// [`read_input`], decoding only the records `select` asks for (the others are counted in
/// [`InputOutcome::skipped`]).
pub fn read_input_selected(
    bytes: &[u8],
    origin: &str,
    limits: &Limits,
    select: Select<'_>,
) -> InputOutcome {
    let mut reading = Reading::new(limits, select);
    let mut out = read_bytes(bytes, origin, &mut reading);
    reading.finish(&mut out);
    out
}

fn read_bytes(bytes: &[u8], origin: &str, cx: &mut Reading<'_>) -> InputOutcome {
    let mut out = InputOutcome::default();
    let file_ref = RecordRef::file(origin);
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // One bad byte in a multi-document file costs only its document.
            let pieces = byte_documents(bytes);
            if pieces.len() < 2 {
                out.errors.push(DecodeError::new(
                    file_ref,
                    Layer::Yaml,
                    format!(
                        "input is not UTF-8 text (invalid byte at offset {})",
                        e.valid_up_to()
                    ),
                ));
                return out;
            }
            let mut budget = NodeBudget::default();
            for (i, (offset, piece)) in pieces.into_iter().enumerate() {
                let reference = file_ref.clone().with_document(i);
                match std::str::from_utf8(piece) {
                    Ok(doc) => read_document(doc, reference, cx, &mut out, &mut budget),
                    Err(e) => out.errors.push(DecodeError::new(
                        reference,
                        Layer::Yaml,
                        format!(
                            "document is not UTF-8 text (invalid byte at offset {})",
                            offset + e.valid_up_to()
                        ),
                    )),
                }
            }
            return out;
        }
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        out.errors
            .push(DecodeError::new(file_ref, Layer::Yaml, "input is empty"));
        return out;
    }
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => vec![v],
            Err(e) => {
                out.errors.push(DecodeError::new(
                    file_ref,
                    Layer::Json,
                    // Syntax errors of a JSON value name what was expected, never the text.
                    format!("input is not valid JSON: {e}"),
                ));
                return out;
            }
        }
    } else {
        match parse_yaml_stream(trimmed) {
            Ok(v) => v,
            Err(e) => {
                let pieces = byte_documents(trimmed.as_bytes());
                if pieces.len() < 2 {
                    out.errors.push(DecodeError::new(
                        file_ref,
                        Layer::Yaml,
                        format!("input is not valid YAML: {e}"),
                    ));
                    return out;
                }
                // A syntax error in one document costs only that document; the documents
                // share one node budget, as the stream did.
                let mut budget = NodeBudget::default();
                for (i, (offset, _)) in pieces.iter().enumerate() {
                    let end = pieces.get(i + 1).map_or(trimmed.len(), |(o, _)| *o);
                    let doc = &trimmed[*offset..end];
                    let reference = file_ref.clone().with_document(i);
                    read_document(doc, reference, cx, &mut out, &mut budget);
                }
                return out;
            }
        }
    };
    let several = docs.len() > 1;
    for (i, doc) in docs.into_iter().enumerate() {
        let reference = if several {
            file_ref.clone().with_document(i)
        } else {
            file_ref.clone()
        };
        read_value(doc, reference, cx, &mut out);
    }
    out
}

/// Read one document of a multi-document file on its own.
fn read_document(
    text: &str,
    reference: RecordRef,
    cx: &mut Reading<'_>,
    out: &mut InputOutcome,
    budget: &mut NodeBudget,
) {
    match budget.parse(text) {
        Ok(value) => read_value(value, reference, cx, out),
        Err(e) => out.errors.push(DecodeError::new(
            reference,
            Layer::Yaml,
            format!("document is not valid YAML: {e}"),
        )),
    }
}

/// The documents of a YAML stream, split at lines starting with `---` (the document marker),
/// with the byte offset where each begins. Splits on bytes so that it works on text that
/// is not valid UTF-8; every split is at an ASCII line start, so pieces of valid UTF-8 stay
/// valid.
fn byte_documents(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let mut starts = vec![0];
    let mut line_start = 0;
    while line_start < bytes.len() {
        let rest = &bytes[line_start..];
        let is_marker = rest.starts_with(b"---")
            && rest
                .get(3)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        if is_marker && line_start > 0 {
            starts.push(line_start);
        }
        line_start = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => line_start + i + 1,
            None => bytes.len(),
        };
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let end = starts.get(i + 1).copied().unwrap_or(bytes.len());
            (*start, &bytes[*start..end])
        })
        .filter(|(_, piece)| !piece.iter().all(u8::is_ascii_whitespace))
        .collect()
}

fn read_value(doc: Value, reference: RecordRef, cx: &mut Reading<'_>, out: &mut InputOutcome) {
    match doc {
        Value::Null => {}
        Value::String(payload) => out.push(decode_record(
            payload.as_bytes(),
            RecordMeta::raw(reference),
            cx.limits,
        )),
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                read_value(item, reference.clone().with_item(i), cx, out);
            }
        }
        Value::Object(map) => read_object(map, reference, cx, out),
        other => out.ignored.push(IgnoredObject {
            reference,
            what: format!("a bare {} value", json_type(&other)),
        }),
    }
}

fn read_object(
    mut map: serde_json::Map<String, Value>,
    reference: RecordRef,
    cx: &mut Reading<'_>,
    out: &mut InputOutcome,
) {
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    // A List; also one whose trailing `kind: List` was cut off (kubectl prints `items` first).
    if (kind.ends_with("List") || kind.is_empty()) && map.get("items").is_some_and(Value::is_array)
    {
        if let Some(Value::Array(items)) = map.remove("items") {
            for (i, item) in items.into_iter().enumerate() {
                read_value(item, reference.clone().with_item(i), cx, out);
            }
        }
        return;
    }
    match kind.as_str() {
        "Secret" | "ConfigMap" => read_storage_object(&kind, &map, reference, cx, out),
        // A storage object whose `kind` was cut off (kubectl prints `data` before `kind`).
        "" if map.get("data").and_then(|d| d.get("release")).is_some() => {
            read_storage_object("", &map, reference, cx, out)
        }
        "" if map.contains_key("body") => read_sql_row(&map, reference, cx, out),
        "" if looks_like_release(&map) => match release_from_value(Value::Object(map)) {
            Ok(release) => out.records.push(Record {
                meta: RecordMeta::raw(reference),
                release,
            }),
            Err(detail) => out
                .errors
                .push(DecodeError::new(reference, Layer::Json, detail)),
        },
        _ => {
            let name = map
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let what = if kind.is_empty() {
                "an object that is neither a Kubernetes object nor a release".to_owned()
            } else {
                format!("{kind} {name}").trim_end().to_owned()
            };
            out.ignored.push(IgnoredObject { reference, what });
        }
    }
}

fn looks_like_release(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("name")
        && (map.contains_key("info") || map.contains_key("manifest") || map.contains_key("chart"))
}

fn read_storage_object(
    kind: &str,
    map: &serde_json::Map<String, Value>,
    reference: RecordRef,
    cx: &mut Reading<'_>,
    out: &mut InputOutcome,
) {
    let metadata = map.get("metadata");
    let field = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
    let labels: BTreeMap<String, String> = metadata
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .filter_map(|(k, v)| Some((k.clone(), scalar_text(v)?)))
                .collect()
        })
        .unwrap_or_default();
    // Secret `data` is base64 through the API; `stringData` (a hand-written manifest) is not.
    let payload = map
        .get("data")
        .and_then(|d| d.get("release"))
        .or_else(|| map.get("stringData").and_then(|d| d.get("release")))
        .or_else(|| map.get("binaryData").and_then(|d| d.get("release")))
        .and_then(Value::as_str);
    let object = StorageObject {
        kind,
        name: field("name"),
        namespace: field("namespace"),
        labels,
        secret_type: map.get("type").and_then(Value::as_str).unwrap_or(""),
        payload,
    };
    read_storage_fields(object, reference, cx, out);
}

/// What is read of a Secret or ConfigMap that may hold a release.
struct StorageObject<'a> {
    /// `Secret`, `ConfigMap`, or empty when the kind was cut off.
    kind: &'a str,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    labels: BTreeMap<String, String>,
    /// A Secret's `type`.
    secret_type: &'a str,
    /// The `release` key of its data.
    payload: Option<&'a str>,
}

/// A Secret or ConfigMap: a release record (decoded now, later or never, as the selection
/// asks), an object that is not Helm's (ignored), or a record without its payload (an error).
fn read_storage_fields(
    object: StorageObject<'_>,
    reference: RecordRef,
    cx: &mut Reading<'_>,
    out: &mut InputOutcome,
) {
    let StorageObject {
        kind,
        name,
        namespace,
        labels,
        secret_type,
        payload,
    } = object;
    let name = name.map(str::to_owned);
    let namespace = namespace.map(str::to_owned);
    let reference = match &name {
        Some(n) => reference.with_object(n.clone()),
        None => reference,
    }
    .with_namespace(namespace.clone());
    let is_helm = labels.get("owner").map(String::as_str) == Some("helm")
        || secret_type == "helm.sh/release.v1"
        || name
            .as_deref()
            .is_some_and(|n| n.starts_with("sh.helm.release.v1."));
    let tiller = tiller::is_tiller(&labels);
    if !is_helm && !tiller && !kind.is_empty() {
        out.ignored.push(IgnoredObject {
            reference,
            what: format!("{kind} {}", name.as_deref().unwrap_or(""))
                .trim_end()
                .to_owned(),
        });
        return;
    }
    let driver = match kind {
        "ConfigMap" => Driver::ConfigMap,
        _ => Driver::Secret,
    };
    let Some(payload) = payload else {
        out.errors.push(DecodeError::new(
            reference,
            Layer::Object,
            format!(
                "the {} has no `release` key in its data",
                if kind.is_empty() { "object" } else { kind }
            ),
        ));
        return;
    };
    // An object without a kind is decoded as read, to say that the file looks cut.
    if kind.is_empty() {
        let meta = RecordMeta::object(driver, reference, name, namespace, labels);
        let decoded = if tiller {
            tiller::decode_tiller_record(payload.as_bytes(), meta, cx.limits)
        } else {
            decode_record(payload.as_bytes(), meta, cx.limits)
        };
        match decoded {
            Ok(r) => out.records.push(r),
            Err(mut e) => {
                e.detail
                    .push_str(" (the object has no kind or name: the file looks truncated)");
                out.errors.push(e);
            }
        }
        return;
    }
    if tiller
        && matches!(
            cx.select,
            Select::AllTillerEncoded | Select::TillerEncodedOnly
        )
    {
        out.tiller.push(EncodedTiller {
            claimed: tiller::claimed_release(name.as_deref(), &labels),
            payload: payload.to_owned(),
            meta: RecordMeta::object(driver, reference, name, namespace, labels),
        });
        return;
    }
    // Tiller's records (labels `OWNER=TILLER`, `NAME`, `VERSION`) are protobuf.
    let (claimed, decode): (_, Decode) = if tiller {
        let claimed = tiller_claim(name.as_deref(), namespace.as_deref(), &labels);
        (claimed, tiller::decode_tiller_record)
    } else {
        let claimed = claim(name.as_deref(), namespace.as_deref(), &labels);
        (claimed, decode_record)
    };
    let meta = RecordMeta::object(driver, reference, name, namespace, labels);
    cx.offer(claimed, payload, meta, decode, out);
}

fn read_sql_row(
    map: &serde_json::Map<String, Value>,
    reference: RecordRef,
    cx: &mut Reading<'_>,
    out: &mut InputOutcome,
) {
    let key = map.get("key").and_then(Value::as_str).map(str::to_owned);
    let namespace = map
        .get("namespace")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut labels = BTreeMap::new();
    for field in ["name", "status", "owner", "version"] {
        if let Some(v) = map.get(field).and_then(scalar_text) {
            labels.insert(field.to_owned(), v);
        }
    }
    let reference = match &key {
        Some(k) => reference.with_object(k.clone()),
        None => reference,
    }
    .with_namespace(namespace.clone());
    let Some(body) = map.get("body").and_then(Value::as_str) else {
        out.errors.push(DecodeError::new(
            reference,
            Layer::Object,
            "the SQL row's `body` is not a string",
        ));
        return;
    };
    let claimed = claim(key.as_deref(), namespace.as_deref(), &labels);
    let meta = RecordMeta::object(Driver::Sql, reference, key, namespace, labels);
    cx.offer(claimed, body, meta, decode_record, out);
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// [`read_input_selected`] from a reader, in memory bounded by the largest item rather than
/// the input: a JSON `v1 List` (what `kubectl get … -o json` prints) is split item by item,
/// and items are decoded on other threads while the reader reads on. Any other form is read
/// whole and handed to [`read_input_selected`].
///
/// ```
/// use helm_why_release::builder::{ReleaseBuilder, list};
/// use helm_why_release::input::{read_input_from, Select};
/// use helm_why_release::Limits;
/// let items = (1..=3).map(|n| ReleaseBuilder::new("web", "shop", n).secret())
///     .chain([ReleaseBuilder::new("db", "shop", 1).secret()]).collect();
/// let json = serde_json::to_vec(&list(items)).unwrap();
/// let out = read_input_from(&json[..], "dump.json", &Limits::default(), Select::Latest).unwrap();
/// assert_eq!(out.records.len(), 2);
/// assert_eq!(out.skipped, 2);
/// let web = Select::Release { name: "web", namespace: None };
/// let out = read_input_from(&json[..], "dump.json", &Limits::default(), web).unwrap();
/// assert_eq!((out.records.len(), out.skipped), (3, 1));
/// ```
///
/// # Errors
/// Reading failed before anything could be parsed.
pub fn read_input_from(
    reader: impl std::io::Read + Send,
    origin: &str,
    limits: &Limits,
    select: Select<'_>,
) -> std::io::Result<InputOutcome> {
    let mut out = InputOutcome::default();
    // Records are kept: each chart text once, as soon as its record arrives (and those of
    // the rest once it is read).
    let mut files = ChartFiles::default();
    let mut rest = read_input_each(reader, origin, limits, select, &mut |mut item| {
        item.records
            .iter_mut()
            .for_each(|r| files.share(&mut r.release));
        out.extend(item);
        true
    })?;
    rest.records
        .iter_mut()
        .for_each(|r| files.share(&mut r.release));
    out.extend(rest);
    Ok(out)
}

/// [`read_input_from`], handing what each item of a JSON List gave to `each` as soon as it is
/// read, in the List's order, instead of collecting it: memory then holds a few items, not
/// what was decoded. `each` returns `false` to stop the reading. Returns what is left once
/// the List is over (an error that ended it, the records [`Select::Latest`] held back, or
/// everything for an input that is not a JSON List).
///
/// # Errors
/// Reading failed before anything could be parsed.
pub fn read_input_each(
    reader: impl std::io::Read + Send,
    origin: &str,
    limits: &Limits,
    select: Select<'_>,
    each: &mut dyn FnMut(InputOutcome) -> bool,
) -> std::io::Result<InputOutcome> {
    use std::io::BufRead as _;
    // 64 KiB reads: the workers get the first items sooner than after a first 1 MiB read (the
    // 1,000-revision timeline: -6%), for a syscall per 64 KiB.
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
    // Look at the first byte that is not a byte order mark or white space.
    let first = loop {
        let buf = reader.fill_buf()?;
        let Some(&b) = buf.first() else {
            break None;
        };
        if buf.starts_with("\u{feff}".as_bytes()) {
            reader.consume(3);
        } else if b.is_ascii_whitespace() {
            reader.consume(1);
        } else {
            break Some(b);
        }
    };
    if first != Some(b'{') {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes)?;
        return Ok(read_input_selected(&bytes, origin, limits, select));
    }
    let mut head = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut reader, SMALL_INPUT + 1),
        &mut head,
    )?;
    if head.len() as u64 <= SMALL_INPUT {
        return Ok(read_json_here(&head, origin, limits, select, each));
    }
    let reader = std::io::Read::chain(std::io::Cursor::new(head), reader);
    Ok(stream_json(reader, origin, limits, select, each))
}

/// An input up to this size is read on the calling thread ([`read_json_here`]): a record or
/// a release exported to a file of its own takes less time to read than threads take to
/// start (a directory of 10,000 records, one per file: 30,000 threads started).
const SMALL_INPUT: u64 = 256 * 1024;

/// Consecutive items of a streamed List: the position of the first, and their texts. Items
/// travel in batches because most are read in microseconds (a record not selected is read
/// by its labels only), and a thread woken per item spent more time in futex calls and
/// context switches than in reading (15% of `timeline` of one release among 100).
type Batch = (usize, Vec<Vec<u8>>);

/// A batch is sent when it holds this many items, or this many bytes: a large record goes
/// alone, and the first items still reach the workers early.
const BATCH_ITEMS: usize = 32;
const BATCH_BYTES: usize = 64 * 1024;

/// Read a JSON object from `reader`: the items of its `items` array go to decoding workers
/// in small batches as their text is found ([`ListSplitter`], on a thread of its own), and
/// what each gave goes to `each` in the List's order. The queues are short, so memory holds a
/// few batches, not the input; a slow `each` slows the reading down.
fn stream_json(
    reader: impl std::io::BufRead + Send,
    origin: &str,
    limits: &Limits,
    select: Select<'_>,
    each: &mut dyn FnMut(InputOutcome) -> bool,
) -> InputOutcome {
    let file_ref = RecordRef::file(origin);
    let workers = crate::parallel::cores().clamp(1, 4);
    let (send, receive) = std::sync::mpsc::sync_channel::<Batch>(2);
    let receive = std::sync::Mutex::new(receive);
    let (give, results) = std::sync::mpsc::sync_channel::<(usize, Vec<InputOutcome>)>(4);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (split, held) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let receive = &receive;
                let file_ref = &file_ref;
                let give = give.clone();
                scope.spawn(move || {
                    let mut reading = Reading::new(limits, select);
                    loop {
                        // The lock is held only to take the next batch.
                        let next = receive.lock().ok().and_then(|r| r.recv().ok());
                        let Some((first, texts)) = next else {
                            break;
                        };
                        let outs = (first..)
                            .zip(&texts)
                            .map(|(i, text)| {
                                let mut out = InputOutcome::default();
                                let reference = file_ref.clone().with_item(i);
                                read_item(text, reference, &mut reading, &mut out);
                                out
                            })
                            .collect();
                        if give.send((first, outs)).is_err() {
                            break;
                        }
                    }
                    reading.latest
                })
            })
            .collect();
        drop(give);
        let stop = &stop;
        let splitter = scope.spawn(move || {
            let split = split_items(reader, &mut |batch| send.send(batch).is_ok(), stop);
            drop(send);
            split
        });
        // Results in input order, whichever worker read them: the workers take batches in
        // order, so those waiting here are the few read while an earlier one still was.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        'read: for (first, outs) in results {
            waiting.insert(first, outs);
            while let Some(outs) = waiting.remove(&next) {
                next += outs.len();
                for out in outs {
                    if !each(out) {
                        // The splitter stops at its next item, the workers when they next
                        // give a result (dropped with `results`); what was queued is dropped
                        // here.
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        while receive.lock().ok().and_then(|r| r.recv().ok()).is_some() {}
                        break 'read;
                    }
                }
            }
        }
        let held: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        let split = splitter
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (split, held)
    });
    let mut out = InputOutcome::default();
    let mut reading = Reading::new(limits, select);
    // Each worker kept the newest record of each release it saw: keep the newest of those.
    for latest in held {
        reading.hold_all(latest, &mut out);
    }
    finish_json(split, file_ref, reading, out)
}

/// [`stream_json`] on the calling thread, for a small input held in memory: the same items
/// in the same order, read with one [`Reading`].
fn read_json_here(
    bytes: &[u8],
    origin: &str,
    limits: &Limits,
    select: Select<'_>,
    each: &mut dyn FnMut(InputOutcome) -> bool,
) -> InputOutcome {
    let file_ref = RecordRef::file(origin);
    let mut reading = Reading::new(limits, select);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let split = split_items(
        bytes,
        &mut |(first, texts)| {
            for (i, text) in (first..).zip(&texts) {
                let mut out = InputOutcome::default();
                let reference = file_ref.clone().with_item(i);
                read_item(text, reference, &mut reading, &mut out);
                if !each(out) {
                    return false;
                }
            }
            true
        },
        &stop,
    );
    finish_json(split, file_ref, reading, InputOutcome::default())
}

/// What follows the items of [`stream_json`] and [`read_json_here`]: the object itself when
/// the input is not a List, or the error that ended it.
fn finish_json(
    split: Result<Option<Vec<u8>>, SplitError>,
    file_ref: RecordRef,
    mut reading: Reading<'_>,
    mut out: InputOutcome,
) -> InputOutcome {
    match split {
        Ok(None) => {}
        // Not a List: the object itself (a Secret, a release, a SQL row).
        Ok(Some(object)) => match serde_json::from_slice::<Value>(&object) {
            Ok(value) => read_value(value, file_ref, &mut reading, &mut out),
            Err(e) => out.errors.push(not_json(file_ref, &e)),
        },
        Err(e) => out.errors.push(not_json(file_ref, &e)),
    }
    reading.finish(&mut out);
    out
}

/// The whole input is not valid JSON: syntax errors name what was expected and where, never
/// the text; items before the error were read.
fn not_json(file_ref: RecordRef, e: &dyn std::fmt::Display) -> DecodeError {
    DecodeError::new(
        file_ref,
        Layer::Json,
        format!("input is not valid JSON: {e}"),
    )
}

/// Send the texts of the items of the List in `reader` to `send` in batches, in order, until
/// `stop` or `send` says no more; the object's own text when it is not a List.
fn split_items(
    reader: impl std::io::BufRead,
    send: &mut dyn FnMut(Batch) -> bool,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Option<Vec<u8>>, SplitError> {
    let mut split = ListSplitter::new(reader);
    let mut batch = Vec::new();
    let mut batch_bytes = 0;
    let mut first = 0;
    // Send the batch unless told to stop; `false` when the reading ends here (a worker that
    // died leaves nobody to send to; its panic is raised at join).
    let mut flush = |batch: &mut Vec<Vec<u8>>| {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        let texts = std::mem::take(batch);
        let count = texts.len();
        let sent = send((first, texts));
        first += count;
        sent
    };
    let ended = loop {
        match split.next_item() {
            Ok(Some(text)) => {
                batch_bytes += text.len();
                batch.push(text);
                if batch.len() < BATCH_ITEMS && batch_bytes < BATCH_BYTES {
                    continue;
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
        if !flush(&mut batch) {
            return Ok(None);
        }
        batch_bytes = 0;
    };
    // What was found before the end, or before an error, is read too.
    if !batch.is_empty() && !flush(&mut batch) {
        return Ok(None);
    }
    ended?;
    split.finish()
}

/// One item of a List, from its text: a release record read straight from the text when it
/// has the usual shape ([`StorageItem`]), anything else through a [`Value`] as in a file.
fn read_item(text: &[u8], reference: RecordRef, cx: &mut Reading<'_>, out: &mut InputOutcome) {
    if let Ok(item) = serde_json::from_slice::<StorageItem<'_>>(text)
        && let Some(object) = item.storage_object()
    {
        return read_storage_fields(object, reference, cx, out);
    }
    match serde_json::from_slice::<Value>(text) {
        Ok(value) => read_value(value, reference, cx, out),
        Err(e) => out.errors.push(DecodeError::new(
            reference,
            Layer::Json,
            format!("the item is not valid JSON: {e}"),
        )),
    }
}

/// A Secret or ConfigMap as kubectl prints it, with only what is read of it, its strings
/// borrowed from the item's text (a payload is not copied before the selection decides to
/// decode it), the rest (`managedFields`, annotations…) skipped without being built. Any
/// other shape — a duplicate key, a label that is not a string, an escaped string, no
/// `data.release` — fails here and is read through a [`Value`] instead, so that both paths
/// give the same answer.
#[derive(serde::Deserialize)]
struct StorageItem<'a> {
    #[serde(borrow, default)]
    kind: Option<&'a str>,
    #[serde(borrow, default)]
    metadata: Option<StorageMetadata<'a>>,
    #[serde(borrow, default)]
    data: Option<StorageData<'a>>,
    #[serde(borrow, default, rename = "type")]
    secret_type: Option<&'a str>,
}

#[derive(serde::Deserialize)]
struct StorageMetadata<'a> {
    #[serde(borrow, default)]
    name: Option<&'a str>,
    #[serde(borrow, default)]
    namespace: Option<&'a str>,
    #[serde(borrow, default)]
    labels: Option<BTreeMap<&'a str, &'a str>>,
}

#[derive(serde::Deserialize)]
struct StorageData<'a> {
    #[serde(borrow, default)]
    release: Option<&'a str>,
}

impl<'a> StorageItem<'a> {
    /// The fields [`read_storage_fields`] reads, when this is a Secret or ConfigMap with a
    /// `data.release` string (the only shape read without a [`Value`]).
    fn storage_object(self) -> Option<StorageObject<'a>> {
        let kind = match self.kind? {
            "Secret" => "Secret",
            "ConfigMap" => "ConfigMap",
            _ => return None,
        };
        let payload = self.data?.release?;
        let metadata = self.metadata;
        let (name, namespace, labels) = match metadata {
            Some(m) => (m.name, m.namespace, m.labels.unwrap_or_default()),
            None => (None, None, BTreeMap::new()),
        };
        Some(StorageObject {
            kind,
            name,
            namespace,
            labels: labels
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            secret_type: self.secret_type.unwrap_or(""),
            payload: Some(payload),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{ReleaseBuilder, list};

    /// What one reading gave, every field in order, as text.
    fn shown(out: &InputOutcome) -> String {
        let records: Vec<String> = out
            .records
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r.meta.reference, r.release.name, r.release.version
                )
            })
            .collect();
        let errors: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
        let ignored: Vec<String> = out
            .ignored
            .iter()
            .map(|i| format!("{} {}", i.reference, i.what))
            .collect();
        format!(
            "{records:?} {errors:?} {ignored:?} {} {:?} {:?}",
            out.skipped, out.other_releases, out.mentioning
        )
    }

    /// A small input is read on the calling thread; what it gives, item by item and at the
    /// end, is what the threaded reader gives: for a List, a List cut short by a syntax error,
    /// a single Secret and a List holding a broken record, whatever is selected.
    #[test]
    fn a_small_input_read_here_reads_as_the_threaded_reader_does() {
        let mut items: Vec<Value> = (1..=3)
            .map(|v| ReleaseBuilder::new("web", "shop", v).secret())
            .collect();
        items.push(
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
        );
        items.push(ReleaseBuilder::new("db", "shop", 1).secret());
        let whole = serde_json::to_vec(&list(items.clone())).unwrap();
        let cut = whole[..whole.len() * 3 / 4].to_vec();
        let single = serde_json::to_vec(&items[0]).unwrap();
        items[1]["data"]["release"] = Value::String("bm90IGd6aXA=".into());
        let broken = serde_json::to_vec(&list(items)).unwrap();
        let limits = Limits::default();
        let web = Select::Release {
            name: "web",
            namespace: None,
        };
        for bytes in [&whole, &cut, &single, &broken] {
            for select in [Select::All, Select::Latest, web] {
                let (mut here, mut threaded) = (Vec::new(), Vec::new());
                let end_here = read_json_here(bytes, "x.json", &limits, select, &mut |o| {
                    here.push(shown(&o));
                    true
                });
                let end_threaded = stream_json(&bytes[..], "x.json", &limits, select, &mut |o| {
                    threaded.push(shown(&o));
                    true
                });
                assert_eq!(here, threaded);
                assert_eq!(shown(&end_here), shown(&end_threaded));
                assert!(!here.is_empty() || bytes == &single);
                if bytes == &cut {
                    assert!(shown(&end_here).contains("not valid JSON"), "{here:?}");
                }
                if bytes == &broken && matches!(select, Select::All) {
                    assert!(here.iter().any(|o| o.contains("gzip")), "{here:?}");
                }
            }
        }
    }
}
