//! Typed decode errors that name the record and the layer that failed.

use std::fmt;

/// A layer of a stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The base64 text (Helm's layer, or the API's layer of a Secret).
    Base64,
    /// The gzip stream.
    Gzip,
    /// A size limit (`--max-record-bytes`).
    Size,
    /// The release JSON document.
    Json,
    /// The protobuf message of a Helm 2 (Tiller) record.
    Protobuf,
    /// The YAML or JSON text of an input file, or of a manifest document.
    Yaml,
    /// The Kubernetes object holding the record (missing key, wrong shape).
    Object,
    /// The input file itself: unreadable, not a regular file, or over the size limit.
    File,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Base64 => "base64",
            Layer::Gzip => "gzip",
            Layer::Size => "size",
            Layer::Json => "JSON",
            Layer::Protobuf => "protobuf",
            Layer::Yaml => "YAML",
            Layer::Object => "object",
            Layer::File => "file",
        })
    }
}

/// Where a record came from: enough to find it again.
///
/// ```
/// use helm_why_release::RecordRef;
/// let r = RecordRef::file("backup.yaml").with_item(2).with_object("sh.helm.release.v1.web.v3");
/// assert_eq!(r.to_string(), "sh.helm.release.v1.web.v3 (backup.yaml, item 2)");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RecordRef {
    /// The file, `-` for standard input, or `namespace/<ns>` for a cluster.
    pub origin: String,
    /// The 0-based YAML document within the file, when the file has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    /// The 0-based position in a `v1 List`'s `items`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    /// The Kubernetes object name (`sh.helm.release.v1.<release>.v<N>`), or SQL key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The namespace the record is stored in, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl RecordRef {
    /// A record read from a file (or `-` for standard input).
    pub fn file(path: impl Into<String>) -> Self {
        RecordRef {
            origin: path.into(),
            ..RecordRef::default()
        }
    }

    /// A record read from a cluster namespace.
    pub fn cluster(namespace: &str) -> Self {
        RecordRef {
            origin: format!("namespace/{namespace}"),
            namespace: Some(namespace.to_owned()),
            ..RecordRef::default()
        }
    }

    /// The same reference, pointing at YAML document `doc` of the file.
    pub fn with_document(mut self, doc: usize) -> Self {
        self.document = Some(doc);
        self
    }

    /// The same reference, pointing at item `item` of a List.
    pub fn with_item(mut self, item: usize) -> Self {
        self.item = Some(item);
        self
    }

    /// The same reference, with the namespace the record is stored in.
    pub fn with_namespace(mut self, namespace: Option<String>) -> Self {
        self.namespace = namespace;
        self
    }

    /// The same reference, naming the object.
    pub fn with_object(mut self, name: impl Into<String>) -> Self {
        self.object = Some(name.into());
        self
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = self.origin.clone();
        if let Some(doc) = self.document {
            place.push_str(&format!(", document {doc}"));
        }
        if let Some(item) = self.item {
            place.push_str(&format!(", item {item}"));
        }
        match &self.object {
            Some(object) => write!(f, "{object} ({place})"),
            None => f.write_str(&place),
        }
    }
}

/// A record, or an input file, that could not be decoded.
///
/// The message names the record and the layer: `sh.helm.release.v1.web.v3 (rel.yaml, item 2):
/// gzip: truncated gzip stream (unexpected end of data)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{record}: {layer}: {detail}")]
pub struct DecodeError {
    /// Which record or input.
    pub record: RecordRef,
    /// Which layer failed.
    pub layer: Layer,
    /// What was wrong, in one line.
    pub detail: String,
}

impl DecodeError {
    /// A new error for `record` at `layer`.
    pub fn new(record: RecordRef, layer: Layer, detail: impl Into<String>) -> Self {
        DecodeError {
            record,
            layer,
            detail: detail.into(),
        }
    }
}
