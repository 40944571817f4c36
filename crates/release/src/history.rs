//! Grouping records into per-release histories, with the consistency findings Helm never shows.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::DecodeError;
use crate::record::{Record, RecordFormat, parse_storage_key};

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
        /// Which field (`object name`, `label version`, `label name`, `label status`; `column …`
        /// for a SQL row, `label VERSION`, … for Tiller's records).
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
        /// The revisions, as inclusive ranges.
        revisions: Vec<RevisionRange>,
    },
    /// Revisions stored both by Tiller (Helm 2) and as Helm 3 records: the helm-2to3 plugin
    /// converted them. The Helm 3 copies are used (they are what Helm 3 reads).
    Migrated {
        /// The revisions, as inclusive ranges.
        revisions: Vec<RevisionRange>,
    },
    /// A record stored under this release's name (its `name` label, else its object name)
    /// whose payload names another release: helm-why reads it as that release's revision,
    /// where Helm's storage, which finds a release's records by label, counts it as this
    /// one's.
    StoredUnderThisName {
        /// The object.
        object: String,
        /// The revision the payload holds.
        revision: u64,
        /// The release its payload names.
        payload: String,
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
            Finding::StoredUnderThisName {
                object,
                revision,
                payload,
            } => write!(
                f,
                "{object} is stored under this release's name, but its payload is revision {revision} of release {payload:?}: it is read as that release's, while Helm (which finds a release's records by label) counts it as this one's"
            ),
            Finding::DuplicateRevision { revision, records } => write!(
                f,
                "revision {revision} is stored {} times with different content ({}); using the first, the furthest along Helm's status lifecycle",
                records.len(),
                records.join(", ")
            ),
            Finding::MissingRevisions { revisions } => write!(
                f,
                "revision{} {} missing from the history (pruned by --history-max or deleted): nothing can be explained inside the gap",
                if count(revisions) == 1 { "" } else { "s" },
                format_range_list(revisions)
            ),
            Finding::Migrated { revisions } => write!(
                f,
                "revision{} {} stored both by Tiller (Helm 2) and as Helm 3 records: converted by helm 2to3; the Helm 3 copies are used",
                if count(revisions) == 1 { "" } else { "s" },
                format_range_list(revisions)
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
    /// Revision numbers below the highest known one that have no record at all, as ranges
    /// (a hostile record can claim revision 2^64 - 1: the gap is never listed one by one).
    pub missing: Vec<RevisionRange>,
    /// Records of this release that failed to decode, with the revision their name claims.
    pub undecodable: Vec<Undecodable>,
    /// Consistency findings, in a stable order.
    pub findings: Vec<Finding>,
    /// What decoding its records drew from the run's budget, copies of a revision that were
    /// set aside included.
    decoded_bytes: usize,
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

    /// What decoding its records drew from the run's budget (copies of a revision that were
    /// set aside included), to give back when they are dropped
    /// ([`crate::codec::RunBudget::give_back`]).
    pub fn decoded_bytes(&self) -> usize {
        self.decoded_bytes
    }

    /// Whether revision `rev` is stored by Tiller too, converted by helm 2to3
    /// ([`Finding::Migrated`]).
    pub fn migrated(&self, rev: u64) -> bool {
        self.findings.iter().any(|f| match f {
            Finding::Migrated { revisions } => revisions.iter().any(|r| r.contains(rev)),
            _ => false,
        })
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

/// Records read in storage-key order, grouped one release at a time as they come: a LIST
/// returns objects by namespace, then name, and a release's records are named
/// `sh.helm.release.v1.<release>.v<N>`, so once the records move on to another release the
/// previous one is complete ([`Adjacent::push`] hands it over, grouped as [`group`] does).
/// Records of a release already handed over (dotted names such as `app` and `app.v2`
/// interleave; a file concatenated out of order), and Tiller's (whose records live in
/// Tiller's namespace and may continue a Helm 3 history), cannot be grouped so:
/// [`NotAdjacent`] says so, and the caller groups everything at once instead, or holds
/// Tiller's records apart and joins them to their release as it is handed over
/// ([`Adjacent::push_joining`]).
#[derive(Debug, Default)]
pub struct Adjacent {
    current: Option<ReleaseId>,
    records: Vec<Record>,
    errors: Vec<DecodeError>,
    done: BTreeSet<ReleaseId>,
    /// Errors that name no release ([`Histories::unattributed`]).
    pub unattributed: Vec<DecodeError>,
}

/// Why [`Adjacent`] cannot group the records as they come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAdjacent {
    /// A record of this release came after the release was handed over.
    Revisited(ReleaseId),
    /// A record of Tiller's, or a failed one whose key names a release but not its namespace.
    Unkeyed,
}

impl std::fmt::Display for NotAdjacent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAdjacent::Revisited(id) => {
                write!(f, "the records of release {id} are not next to each other")
            }
            NotAdjacent::Unkeyed => write!(f, "a record cannot be told apart by its storage key"),
        }
    }
}

/// The release a failed record belongs to, as [`group`] attributes it: its storage key's
/// release in its storage namespace; `None` for a record without a key.
///
/// # Errors
/// [`NotAdjacent::Unkeyed`]: a key without a namespace, or Tiller's key, which `group`
/// attributes by looking at every release.
fn failed_release(error: &DecodeError) -> Result<Option<ReleaseId>, NotAdjacent> {
    let object = error.record.object.as_deref();
    match (object.and_then(parse_storage_key), &error.record.namespace) {
        (Some((name, _)), Some(namespace)) => Ok(Some(ReleaseId {
            namespace: namespace.clone(),
            name: name.to_owned(),
        })),
        (Some(_), None) => Err(NotAdjacent::Unkeyed),
        (None, _) if object.and_then(crate::tiller::parse_tiller_key).is_some() => {
            Err(NotAdjacent::Unkeyed)
        }
        (None, _) => Ok(None),
    }
}

/// Records of a release read apart from its storage-key order (Tiller's), to be grouped with
/// the records the order gave ([`Adjacent::push_joining`]).
pub type Joined = (Vec<Record>, Vec<DecodeError>);

impl Adjacent {
    /// Add what one storage object gave; returns the previous release when this one starts
    /// another.
    ///
    /// # Errors
    /// [`NotAdjacent`]: the records cannot be grouped as they come.
    pub fn push(
        &mut self,
        decoded: Result<Record, DecodeError>,
    ) -> Result<Option<Histories>, NotAdjacent> {
        self.push_joining(decoded, &mut |_| Joined::default())
    }

    /// [`Adjacent::push`], grouping a release handed over with what `join` gives for it: a
    /// release converted by `helm 2to3` has its first revisions in Tiller's records, which
    /// live in Tiller's namespace, and is one history with them ([`group`]).
    ///
    /// # Errors
    /// As [`Adjacent::push`].
    pub fn push_joining(
        &mut self,
        decoded: Result<Record, DecodeError>,
        join: &mut dyn FnMut(&ReleaseId) -> Joined,
    ) -> Result<Option<Histories>, NotAdjacent> {
        let id = match &decoded {
            Ok(record) if record.meta.format == RecordFormat::TillerProtobuf => {
                return Err(NotAdjacent::Unkeyed);
            }
            Ok(record) => ReleaseId {
                namespace: record.storage_namespace().to_owned(),
                name: record.release.name.clone(),
            },
            Err(error) => match failed_release(error)? {
                Some(id) => id,
                None => {
                    // Named by no key: `group` leaves it unattributed too.
                    self.unattributed.extend(decoded.err());
                    return Ok(None);
                }
            },
        };
        let mut finished = None;
        if self.current.as_ref() != Some(&id) {
            if self.done.contains(&id) {
                return Err(NotAdjacent::Revisited(id));
            }
            finished = self.finish_joining(join);
            self.current = Some(id);
        }
        match decoded {
            Ok(record) => self.records.push(record),
            Err(error) => self.errors.push(error),
        }
        Ok(finished)
    }

    /// Whether records of release `id` were read: it was handed over, or is being read.
    pub fn has_read(&self, id: &ReleaseId) -> bool {
        self.current.as_ref() == Some(id) || self.done.contains(id)
    }

    /// The release being read, complete: the records are over (or moved on).
    pub fn finish(&mut self) -> Option<Histories> {
        self.finish_joining(&mut |_| Joined::default())
    }

    /// [`Adjacent::finish`], with what `join` gives for the release
    /// ([`Adjacent::push_joining`]).
    pub fn finish_joining(
        &mut self,
        join: &mut dyn FnMut(&ReleaseId) -> Joined,
    ) -> Option<Histories> {
        let id = self.current.take()?;
        let (mut records, mut errors) = (
            std::mem::take(&mut self.records),
            std::mem::take(&mut self.errors),
        );
        let (joined, failed) = join(&id);
        records.extend(joined);
        errors.extend(failed);
        self.done.insert(id);
        Some(group(records, errors))
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
/// assert_eq!(h.releases[0].missing[0].to_string(), "2-3");
/// ```
pub fn group(records: Vec<Record>, errors: Vec<DecodeError>) -> Histories {
    let mut by_release: BTreeMap<ReleaseId, (Vec<Record>, Vec<Undecodable>)> = BTreeMap::new();
    let mut stored_elsewhere: BTreeMap<ReleaseId, Vec<Finding>> = BTreeMap::new();
    for record in records {
        let id = ReleaseId {
            namespace: record.storage_namespace().to_owned(),
            name: record.release.name.clone(),
        };
        if let (Some(stored), Some(object)) =
            (record.meta.stored_release(), &record.meta.object_name)
            && stored != id.name
        {
            let home = ReleaseId {
                namespace: id.namespace.clone(),
                name: stored.to_owned(),
            };
            stored_elsewhere
                .entry(home)
                .or_default()
                .push(Finding::StoredUnderThisName {
                    object: object.clone(),
                    revision: record.release.version,
                    payload: id.name.clone(),
                });
        }
        by_release.entry(id).or_default().0.push(record);
    }
    let mut unattributed = Vec::new();
    for error in errors {
        let object = error.record.object.as_deref();
        let claimed = object
            .and_then(parse_storage_key)
            .map(|(name, rev)| (name.to_owned(), rev));
        let Some((name, rev)) = claimed else {
            // A Tiller record (`<release>.v<N>`) lives in Tiller's namespace, not its release's:
            // it belongs to the one Tiller release of that name, when there is exactly one.
            let tiller = object.and_then(crate::tiller::parse_tiller_key);
            let home = tiller.and_then(|(name, _)| {
                let mut homes = by_release.iter().filter(|(id, (records, _))| {
                    id.name == name
                        && records
                            .iter()
                            .any(|r| r.meta.format == RecordFormat::TillerProtobuf)
                });
                match (homes.next(), homes.next()) {
                    (Some((only, _)), None) => Some(only.clone()),
                    _ => None,
                }
            });
            match (home, tiller) {
                (Some(id), Some((_, rev))) => {
                    by_release.entry(id).or_default().1.push((Some(rev), error));
                }
                _ => unattributed.push(error),
            }
            continue;
        };
        // A failed record belongs to the release its key names, in its storage namespace;
        // without one (a bare payload), in the only namespace that release has.
        let namespace = match &error.record.namespace {
            Some(ns) => ns.clone(),
            None => {
                let mut spaces = by_release.keys().filter(|id| id.name == name);
                match (spaces.next(), spaces.next()) {
                    (Some(only), None) => only.namespace.clone(),
                    _ => String::new(),
                }
            }
        };
        by_release
            .entry(ReleaseId { namespace, name })
            .or_default()
            .1
            .push((Some(rev), error));
    }
    let releases = by_release
        .into_iter()
        .map(|(id, (records, undecodable))| {
            let elsewhere = stored_elsewhere.remove(&id).unwrap_or_default();
            let mut history = build_history(id, records, undecodable);
            history.findings.extend(elsewhere);
            history
        })
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
    let decoded_bytes = records.iter().map(|r| r.meta.decoded_bytes).sum();
    let mut findings = Vec::new();
    for record in &records {
        mismatch_findings(record, &mut findings);
    }
    // Stable: by payload revision; among copies of one revision, the record whose object
    // name agrees, then the one furthest along Helm's status lifecycle (a copy saying
    // `superseded` was written after one saying `deployed`), then input order.
    // A revision converted by helm 2to3 is stored twice: the Helm 3 copy first.
    let tiller = |r: &Record| r.meta.format == RecordFormat::TillerProtobuf;
    records.sort_by(|a, b| {
        let disagrees = |r: &Record| {
            r.meta
                .name_revision()
                .is_some_and(|n| n != r.release.version)
        };
        (
            a.release.version,
            tiller(a),
            disagrees(a),
            std::cmp::Reverse(lifecycle(&a.release.info.status)),
            &a.meta.reference,
        )
            .cmp(&(
                b.release.version,
                tiller(b),
                disagrees(b),
                std::cmp::Reverse(lifecycle(&b.release.info.status)),
                &b.meta.reference,
            ))
    });
    let mut unique: Vec<Record> = Vec::with_capacity(records.len());
    let mut duplicates: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut migrated: Vec<u64> = Vec::new();
    for record in records {
        match unique.last() {
            Some(prev)
                if prev.release.version == record.release.version
                    && tiller(prev) != tiller(&record) =>
            {
                if migrated.last() != Some(&record.release.version) {
                    migrated.push(record.release.version);
                }
            }
            Some(prev) if prev.release == record.release => {}
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
    if !migrated.is_empty() {
        findings.push(Finding::Migrated {
            revisions: ranges(&migrated),
        });
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
    let mut missing = Vec::new();
    let mut expected = 1u64;
    for &rev in &present {
        if rev > expected {
            missing.push(RevisionRange {
                first: expected,
                last: rev - 1,
            });
        }
        expected = rev.saturating_add(1);
    }
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
        decoded_bytes,
    }
}

fn mismatch_findings(record: &Record, findings: &mut Vec<Finding>) {
    let Some(object) = record.meta.object_name.clone() else {
        return;
    };
    let release = &record.release;
    if record.meta.format == RecordFormat::TillerProtobuf {
        for (field, stored, payload) in crate::tiller::mismatches(record) {
            findings.push(Finding::RecordMismatch {
                object: object.clone(),
                field: field.to_owned(),
                stored,
                payload,
            });
        }
        return;
    }
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
    // The SQL driver keeps these "labels" as columns of its row.
    let kind = if record.meta.driver == crate::record::Driver::Sql {
        "column"
    } else {
        "label"
    };
    if let Some(v) = labels.get("version")
        && v.parse::<u64>().ok() != Some(release.version)
    {
        push(
            &format!("{kind} version"),
            v.clone(),
            release.version.to_string(),
        );
    }
    if let Some(n) = labels.get("name")
        && n != &release.name
    {
        push(&format!("{kind} name"), n.clone(), release.name.clone());
    }
    if let Some(s) = labels.get("status")
        && s != release.info.status.as_str()
    {
        push(
            &format!("{kind} status"),
            s.clone(),
            release.info.status.to_string(),
        );
    }
}

/// An inclusive range of revision numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RevisionRange {
    /// First revision.
    pub first: u64,
    /// Last revision (inclusive).
    pub last: u64,
}

impl RevisionRange {
    /// Whether `rev` is in the range.
    pub fn contains(&self, rev: u64) -> bool {
        (self.first..=self.last).contains(&rev)
    }

    /// How many revisions.
    pub fn len(&self) -> u64 {
        (self.last - self.first).saturating_add(1)
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl std::fmt::Display for RevisionRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// How many revisions a list of ranges holds (saturating).
pub fn count(ranges: &[RevisionRange]) -> u64 {
    ranges.iter().fold(0u64, |n, r| n.saturating_add(r.len()))
}

/// `revision 3 is missing` or `revisions 2-5, 7 are missing`.
pub fn are_missing(ranges: &[RevisionRange]) -> String {
    if count(ranges) == 1 {
        format!("revision {} is missing", format_range_list(ranges))
    } else {
        format!("revisions {} are missing", format_range_list(ranges))
    }
}

/// `1-3, 7`.
pub fn format_range_list(ranges: &[RevisionRange]) -> String {
    ranges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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

/// Order of statuses in a revision's life: a later one was written after an earlier one.
fn lifecycle(status: &crate::Status) -> u8 {
    use crate::Status;
    match status {
        Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback => 1,
        Status::Deployed => 2,
        Status::Failed | Status::Superseded => 3,
        Status::Uninstalling => 4,
        Status::Uninstalled => 5,
        Status::Unknown | Status::Other(_) => 0,
    }
}

/// Sorted revision numbers as inclusive ranges.
fn ranges(revisions: &[u64]) -> Vec<RevisionRange> {
    let mut out: Vec<RevisionRange> = Vec::new();
    for &rev in revisions {
        match out.last_mut() {
            Some(last) if last.last.checked_add(1) == Some(rev) => last.last = rev,
            _ => out.push(RevisionRange {
                first: rev,
                last: rev,
            }),
        }
    }
    out
}

#[cfg(test)]
mod adjacent_tests {
    use super::*;
    use crate::builder::ReleaseBuilder;
    use crate::error::{Layer, RecordRef};
    use crate::record::{Driver, RecordMeta, decode_record};

    fn record(ns: &str, name: &str, rev: u64) -> Result<Record, DecodeError> {
        let key = format!("sh.helm.release.v1.{name}.v{rev}");
        let meta = RecordMeta::object(
            Driver::Secret,
            RecordRef::cluster(ns).with_object(key.clone()),
            Some(key),
            Some(ns.to_owned()),
            BTreeMap::new(),
        );
        let payload = ReleaseBuilder::new(name, ns, rev).payload();
        decode_record(payload.as_bytes(), meta, &crate::Limits::default())
    }

    fn failed(ns: Option<&str>, object: Option<&str>) -> Result<Record, DecodeError> {
        let mut reference = RecordRef::file("dump.json");
        if let Some(o) = object {
            reference = reference.with_object(o.to_owned());
        }
        Err(DecodeError::new(
            reference.with_namespace(ns.map(str::to_owned)),
            Layer::Gzip,
            "broken",
        ))
    }

    #[test]
    fn a_release_is_handed_over_once_the_records_move_past_it() {
        let mut adjacent = Adjacent::default();
        assert!(matches!(adjacent.push(record("a", "x", 1)), Ok(None)));
        assert!(matches!(adjacent.push(record("a", "x", 2)), Ok(None)));
        let x = adjacent.push(failed(Some("a"), Some("sh.helm.release.v1.y.v1")));
        let x = x.unwrap().unwrap();
        assert_eq!(x.releases.len(), 1);
        assert_eq!(x.releases[0].revisions.len(), 2);
        // The same name in another namespace is another release.
        let y = adjacent.push(record("b", "x", 1)).unwrap().unwrap();
        assert_eq!(y.releases[0].id.name, "y");
        assert_eq!(y.releases[0].undecodable.len(), 1, "its failed record");
        // A failed record that names no release is kept aside, as `group` does.
        assert!(matches!(adjacent.push(failed(None, None)), Ok(None)));
        assert_eq!(adjacent.unattributed.len(), 1);
        let last = adjacent.finish().unwrap();
        assert_eq!(last.releases[0].id.namespace, "b");
        assert!(adjacent.finish().is_none());
    }

    #[test]
    fn records_that_come_back_to_a_release_cannot_be_grouped_as_they_come() {
        // `app` and `app.v2` interleave in key order: app.v1, app.v2, app.v2.v1, app.v3.
        let mut adjacent = Adjacent::default();
        assert!(matches!(adjacent.push(record("a", "app", 1)), Ok(None)));
        assert!(matches!(adjacent.push(record("a", "app", 2)), Ok(None)));
        assert!(adjacent.push(record("a", "app.v2", 1)).unwrap().is_some());
        assert_eq!(
            adjacent.push(record("a", "app", 3)).err(),
            Some(NotAdjacent::Revisited(ReleaseId {
                namespace: "a".into(),
                name: "app".into()
            }))
        );
        // A failed record with a key but no namespace: `group` looks at every release.
        let mut adjacent = Adjacent::default();
        assert_eq!(
            adjacent
                .push(failed(None, Some("sh.helm.release.v1.x.v1")))
                .err(),
            Some(NotAdjacent::Unkeyed)
        );
    }
}
