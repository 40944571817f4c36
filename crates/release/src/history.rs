//! Grouping records into per-release histories, with the consistency findings Helm never shows.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::DecodeError;
use crate::record::{Record, parse_storage_key};

/// A release is identified by its storage namespace and name; two releases with the same name
/// in different namespaces are different releases.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ReleaseId {
    /// Namespace where the records are stored (the release namespace for the CLI).
    pub namespace: String,
    /// Release name.
    pub name: String,
}

impl std::fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Something about the stored records that does not add up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Finding {
    /// The storage object's name or labels disagree with the payload.
    RecordMismatch {
        /// The object.
        object: String,
        /// Which field (`name`, `label version`, `label name`, `label status`).
        field: String,
        /// What the object says.
        stored: String,
        /// What the payload says.
        payload: String,
    },
    /// Several records hold the same revision; the first is used.
    DuplicateRevision {
        /// The revision.
        revision: u64,
        /// The objects (or files) holding it, the one used first.
        records: Vec<String>,
    },
    /// Revisions absent from the history (pruned by `--history-max`, or deleted by hand).
    MissingRevisions {
        /// The revisions.
        revisions: Vec<u64>,
    },
    /// A record of this release could not be decoded (Helm's own `history` silently omits it).
    Undecodable {
        /// The revision its object name claims, when it has one.
        revision: Option<u64>,
        /// The decode error.
        error: String,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::RecordMismatch {
                object,
                field,
                stored,
                payload,
            } => write!(
                f,
                "{object}: the {field} says {stored:?} but the payload says {payload:?} (the payload is used, as Helm does)"
            ),
            Finding::DuplicateRevision { revision, records } => write!(
                f,
                "revision {revision} is stored {} times ({}); using the first",
                records.len(),
                records.join(", ")
            ),
            Finding::MissingRevisions { revisions } => write!(
                f,
                "revision{} {} missing from the history (pruned by --history-max or deleted): nothing can be explained inside the gap",
                if revisions.len() == 1 { "" } else { "s" },
                format_ranges(revisions)
            ),
            Finding::Undecodable { revision, error } => match revision {
                Some(r) => write!(f, "revision {r} could not be decoded: {error}"),
                None => write!(f, "a record could not be decoded: {error}"),
            },
        }
    }
}

/// A record that failed to decode, with the revision its storage key claims.
pub type Undecodable = (Option<u64>, DecodeError);

/// Every stored revision of one release, in revision order.
#[derive(Debug, Clone)]
pub struct History {
    /// Which release.
    pub id: ReleaseId,
    /// Decoded revisions, ascending, one per revision number.
    pub revisions: Vec<Record>,
    /// Revision numbers below the highest known one that have no record at all.
    pub missing: Vec<u64>,
    /// Records of this release that failed to decode, with the revision their name claims.
    pub undecodable: Vec<Undecodable>,
    /// Consistency findings, in a stable order.
    pub findings: Vec<Finding>,
}

impl History {
    /// The highest revision (decoded or not).
    pub fn last_revision(&self) -> Option<u64> {
        let decoded = self.revisions.last().map(|r| r.release.version);
        let failed = self.undecodable.iter().filter_map(|(r, _)| *r).max();
        decoded.max(failed)
    }

    /// The decoded record of revision `rev`.
    pub fn revision(&self, rev: u64) -> Option<&Record> {
        self.revisions
            .binary_search_by_key(&rev, |r| r.release.version)
            .ok()
            .and_then(|i| self.revisions.get(i))
    }

    /// The latest decoded record.
    pub fn latest(&self) -> Option<&Record> {
        self.revisions.last()
    }
}

/// Records and errors grouped by release.
#[derive(Debug, Clone, Default)]
pub struct Histories {
    /// One history per release, ordered by namespace then name.
    pub releases: Vec<History>,
    /// Decode errors that cannot be tied to a release (no storage key, e.g. a corrupt file).
    pub unattributed: Vec<DecodeError>,
}

impl Histories {
    /// Histories of releases named `name` (in any namespace).
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a History> + 'a {
        self.releases.iter().filter(move |h| h.id.name == name)
    }
}

/// Group decoded records and decode failures into histories.
///
/// ```
/// use helm_why_release::{codec, history::group, input::read_input, Limits};
/// let rel = |v: u64| codec::encode_payload(
///     format!(r#"{{"name":"web","namespace":"shop","version":{v}}}"#).as_bytes());
/// let text = format!("- {}\n- {}\n", rel(1), rel(4));
/// let out = read_input(text.as_bytes(), "x.yaml", &Limits::default());
/// let h = group(out.records, out.errors);
/// assert_eq!(h.releases[0].missing, vec![2, 3]);
/// ```
pub fn group(records: Vec<Record>, errors: Vec<DecodeError>) -> Histories {
    let mut by_release: BTreeMap<ReleaseId, (Vec<Record>, Vec<Undecodable>)> = BTreeMap::new();
    for record in records {
        let id = ReleaseId {
            namespace: record.storage_namespace().to_owned(),
            name: record.release.name.clone(),
        };
        by_release.entry(id).or_default().0.push(record);
    }
    let mut unattributed = Vec::new();
    for error in errors {
        let claimed = error
            .record
            .object
            .as_deref()
            .and_then(parse_storage_key)
            .map(|(name, rev)| (name.to_owned(), rev));
        let Some((name, rev)) = claimed else {
            unattributed.push(error);
            continue;
        };
        // A failed record belongs to the release its key names, in the namespace its siblings
        // share when the error carries none (files); otherwise it stands alone.
        let namespace = by_release
            .keys()
            .find(|id| id.name == name)
            .map(|id| id.namespace.clone())
            .unwrap_or_default();
        by_release
            .entry(ReleaseId { namespace, name })
            .or_default()
            .1
            .push((Some(rev), error));
    }
    let releases = by_release
        .into_iter()
        .map(|(id, (records, undecodable))| build_history(id, records, undecodable))
        .collect();
    Histories {
        releases,
        unattributed,
    }
}

fn build_history(
    id: ReleaseId,
    mut records: Vec<Record>,
    mut undecodable: Vec<Undecodable>,
) -> History {
    let mut findings = Vec::new();
    for record in &records {
        mismatch_findings(record, &mut findings);
    }
    // Stable: by payload revision, then the record whose object name agrees first.
    records.sort_by(|a, b| {
        let agrees = |r: &Record| r.meta.name_revision() != Some(r.release.version);
        (a.release.version, agrees(a), &a.meta.reference).cmp(&(
            b.release.version,
            agrees(b),
            &b.meta.reference,
        ))
    });
    let mut unique: Vec<Record> = Vec::with_capacity(records.len());
    let mut duplicates: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for record in records {
        match unique.last() {
            Some(prev) if prev.release.version == record.release.version => {
                let entry = duplicates
                    .entry(record.release.version)
                    .or_insert_with(|| vec![prev.meta.reference.to_string()]);
                entry.push(record.meta.reference.to_string());
            }
            _ => unique.push(record),
        }
    }
    for (revision, records) in duplicates {
        findings.push(Finding::DuplicateRevision { revision, records });
    }
    undecodable.sort_by_key(|(rev, err)| (*rev, err.record.clone()));
    for (revision, error) in &undecodable {
        findings.push(Finding::Undecodable {
            revision: *revision,
            error: error.to_string(),
        });
    }
    let present: BTreeSet<u64> = unique
        .iter()
        .map(|r| r.release.version)
        .chain(undecodable.iter().filter_map(|(r, _)| *r))
        .collect();
    let last = present.iter().next_back().copied().unwrap_or(0);
    let missing: Vec<u64> = (1..last).filter(|r| !present.contains(r)).collect();
    if !missing.is_empty() {
        findings.push(Finding::MissingRevisions {
            revisions: missing.clone(),
        });
    }
    History {
        id,
        revisions: unique,
        missing,
        undecodable,
        findings,
    }
}

fn mismatch_findings(record: &Record, findings: &mut Vec<Finding>) {
    let Some(object) = record.meta.object_name.clone() else {
        return;
    };
    let release = &record.release;
    let mut push = |field: &str, stored: String, payload: String| {
        findings.push(Finding::RecordMismatch {
            object: object.clone(),
            field: field.to_owned(),
            stored,
            payload,
        });
    };
    if let Some((name, rev)) = parse_storage_key(&object) {
        if rev != release.version {
            push(
                "object name",
                format!("v{rev}"),
                format!("version {}", release.version),
            );
        }
        if name != release.name {
            push("object name", name.to_owned(), release.name.clone());
        }
    }
    if let Some(ns) = record.meta.namespace.as_deref()
        && !release.namespace.is_empty()
        && ns != release.namespace
    {
        push(
            "storage namespace",
            ns.to_owned(),
            release.namespace.clone(),
        );
    }
    let labels = &record.meta.labels;
    if let Some(v) = labels.get("version")
        && v.parse::<u64>().ok() != Some(release.version)
    {
        push("label version", v.clone(), release.version.to_string());
    }
    if let Some(n) = labels.get("name")
        && n != &release.name
    {
        push("label name", n.clone(), release.name.clone());
    }
    if let Some(s) = labels.get("status")
        && s != release.info.status.as_str()
    {
        push("label status", s.clone(), release.info.status.to_string());
    }
}

/// `1-3, 7` for `[1, 2, 3, 7]`.
pub fn format_ranges(revisions: &[u64]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < revisions.len() {
        let start = revisions[i];
        let mut end = start;
        while i + 1 < revisions.len() && revisions[i + 1] == end + 1 {
            i += 1;
            end = revisions[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}
