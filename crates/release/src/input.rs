//! Turning the text of a file (or standard input) into records.
//!
//! Accepted, detected from the content: a single Secret or ConfigMap (YAML or JSON), a `v1
//! List` as printed by `kubectl get … -o yaml|json`, multi-document YAML, raw release JSON, a
//! SQL row exported as JSON (`{"key": …, "body": …}`), and a bare payload string.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::codec::Limits;
use crate::error::{DecodeError, Layer, RecordRef};
use crate::manifest::{NodeBudget, parse_yaml_stream, scalar_text};
use crate::model::release_from_value;
use crate::record::{Driver, Record, RecordMeta, decode_record};

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
}

impl InputOutcome {
    /// Append another outcome.
    pub fn extend(&mut self, other: InputOutcome) {
        self.records.extend(other.records);
        self.errors.extend(other.errors);
        self.ignored.extend(other.ignored);
    }
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
                    Ok(doc) => read_document(doc, reference, limits, &mut out, &mut budget),
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
                    read_document(doc, reference, limits, &mut out, &mut budget);
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
        read_value(doc, reference, limits, &mut out);
    }
    out
}

/// Read one document of a multi-document file on its own.
fn read_document(
    text: &str,
    reference: RecordRef,
    limits: &Limits,
    out: &mut InputOutcome,
    budget: &mut NodeBudget,
) {
    match budget.parse(text) {
        Ok(value) => read_value(value, reference, limits, out),
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

fn read_value(doc: Value, reference: RecordRef, limits: &Limits, out: &mut InputOutcome) {
    match doc {
        Value::Null => {}
        Value::String(payload) => {
            match decode_record(payload.as_bytes(), RecordMeta::raw(reference), limits) {
                Ok(r) => out.records.push(r),
                Err(e) => out.errors.push(e),
            }
        }
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                read_value(item, reference.clone().with_item(i), limits, out);
            }
        }
        Value::Object(map) => read_object(map, reference, limits, out),
        other => out.ignored.push(IgnoredObject {
            reference,
            what: format!("a bare {} value", json_type(&other)),
        }),
    }
}

fn read_object(
    mut map: serde_json::Map<String, Value>,
    reference: RecordRef,
    limits: &Limits,
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
                read_value(item, reference.clone().with_item(i), limits, out);
            }
        }
        return;
    }
    match kind.as_str() {
        "Secret" | "ConfigMap" => read_storage_object(&kind, &map, reference, limits, out),
        // A storage object whose `kind` was cut off (kubectl prints `data` before `kind`).
        "" if map.get("data").and_then(|d| d.get("release")).is_some() => {
            read_storage_object("", &map, reference, limits, out)
        }
        "" if map.contains_key("body") => read_sql_row(&map, reference, limits, out),
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
    limits: &Limits,
    out: &mut InputOutcome,
) {
    let metadata = map.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let labels: BTreeMap<String, String> = metadata
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .filter_map(|(k, v)| Some((k.clone(), scalar_text(v)?)))
                .collect()
        })
        .unwrap_or_default();
    let reference = match &name {
        Some(n) => reference.with_object(n.clone()),
        None => reference,
    }
    .with_namespace(namespace.clone());
    let secret_type = map.get("type").and_then(Value::as_str).unwrap_or("");
    let is_helm = labels.get("owner").map(String::as_str) == Some("helm")
        || secret_type == "helm.sh/release.v1"
        || name
            .as_deref()
            .is_some_and(|n| n.starts_with("sh.helm.release.v1."));
    if labels.get("OWNER").map(String::as_str) == Some("TILLER") {
        out.errors.push(DecodeError::new(
            reference,
            Layer::Object,
            "Helm 2 (Tiller) record: protobuf records are not supported yet; convert the release with the helm-2to3 plugin",
        ));
        return;
    }
    if !is_helm && !kind.is_empty() {
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
    // Secret `data` is base64 through the API; `stringData` (a hand-written manifest) is not.
    let payload = map
        .get("data")
        .and_then(|d| d.get("release"))
        .or_else(|| map.get("stringData").and_then(|d| d.get("release")))
        .or_else(|| map.get("binaryData").and_then(|d| d.get("release")))
        .and_then(Value::as_str);
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
    let meta = RecordMeta::object(driver, reference, name, namespace, labels);
    match decode_record(payload.as_bytes(), meta, limits) {
        Ok(r) => out.records.push(r),
        Err(mut e) => {
            if kind.is_empty() {
                e.detail
                    .push_str(" (the object has no kind or name: the file looks truncated)");
            }
            out.errors.push(e);
        }
    }
}

fn read_sql_row(
    map: &serde_json::Map<String, Value>,
    reference: RecordRef,
    limits: &Limits,
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
    let meta = RecordMeta::object(Driver::Sql, reference, key, namespace, labels);
    match decode_record(body.as_bytes(), meta, limits) {
        Ok(r) => out.records.push(r),
        Err(e) => out.errors.push(e),
    }
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
