//! Tiller's records held as stored while a stream reads on ([`HeldTiller`]): a cluster's
//! with `--tiller`, and those of files.
//!
//! Tiller keeps every release's records in its own namespace; only a decoded record says
//! which namespace a release is in. A stream that analyses a release at a time therefore
//! holds Tiller's records as stored (compressed), places each release by decoding its newest
//! record that decodes once ([`tiller::decode_newest_placing`]), and decodes the release's
//! records only when it is handed over.

use std::collections::{BTreeMap, BTreeSet};

use helm_why_release::history::{Joined, NotAdjacent, group};
use helm_why_release::parallel::{cores, map_chunks};
use helm_why_release::{DecodeError, Histories, Limits, Record, ReleaseId, tiller};

/// One of Tiller's storage objects, as stored.
pub(super) trait StoredTiller: Send + Sync {
    /// Its record.
    fn decode(&self, limits: &Limits) -> Result<Record, DecodeError>;
    /// Its payload, encoded.
    fn payload(&self) -> Option<&[u8]>;
}

/// Storage objects with the revision their `VERSION` label gives.
pub(super) type Revisions<T> = Vec<(Option<u64>, T)>;

/// The release a Tiller storage object claims, before decoding: its storage namespace, and
/// the release and revision of [`tiller::claimed_release`].
pub(super) type Claim = (String, Option<(String, Option<u64>)>);

/// Tiller's records grouped by the release they claim (`claim`), in their storage
/// namespace, as the file reader groups them; a record that claims no release and revision
/// is a group of its own.
pub(super) fn by_claimed_release<T>(
    objects: Vec<T>,
    claim: impl Fn(&T) -> Claim,
) -> Vec<Revisions<T>> {
    let mut by_release: BTreeMap<(String, String), Revisions<T>> = BTreeMap::new();
    let mut others = Vec::new();
    for object in objects {
        match claim(&object) {
            (namespace, Some((name, version @ Some(_)))) => by_release
                .entry((namespace, name))
                .or_default()
                .push((version, object)),
            _ => others.push(vec![(None, object)]),
        }
    }
    let mut groups: Vec<_> = by_release.into_values().collect();
    groups.extend(others);
    groups
}

/// Tiller's records of a streamed read, held undecoded until their release is handed over:
/// with the Helm 3 release they continue (`helm 2to3`, [`HeldTiller::join`]), or on their own
/// once the Helm 3 records are over ([`HeldTiller::take`]).
pub(super) struct HeldTiller<T> {
    /// The records of each release.
    pub(super) releases: BTreeMap<ReleaseId, Vec<T>>,
    /// The errors of releases none of whose records decodes, which no namespace holds.
    pub(super) unplaced: Vec<DecodeError>,
    /// The releases handed over from here ([`HeldTiller::check_handed`]).
    handed: BTreeSet<ReleaseId>,
}

impl<T> Default for HeldTiller<T> {
    fn default() -> Self {
        HeldTiller {
            releases: BTreeMap::new(),
            unplaced: Vec::new(),
            handed: BTreeSet::new(),
        }
    }
}

impl<T> HeldTiller<T> {
    /// Before a decoded [`TillerBatch`] is handed over: [`NotAdjacent::Revisited`] when it
    /// names a release handed over already (by the Helm 3 records, `handed_over`, or by an
    /// earlier batch). A Tiller release is placed by its newest record, so one whose records
    /// name several namespaces (hostile input) decodes into a history of each, and only a
    /// whole read groups those with the Helm 3 releases they meet.
    pub(super) fn check_handed(
        &mut self,
        batch: &[Histories],
        handed_over: impl Fn(&ReleaseId) -> bool,
    ) -> Result<(), NotAdjacent> {
        for history in batch.iter().flat_map(|h| &h.releases) {
            if handed_over(&history.id) || !self.handed.insert(history.id.clone()) {
                return Err(NotAdjacent::Revisited(history.id.clone()));
            }
        }
        Ok(())
    }
}

impl<T: StoredTiller> HeldTiller<T> {
    /// Hold each release's records under the release its newest decodable record names
    /// ([`placing`], on every core); a release of another namespace than `wanted` is dropped.
    pub(super) fn place_all(
        &mut self,
        releases: Vec<Revisions<T>>,
        wanted: Option<&str>,
        limits: &Limits,
    ) {
        let placed = map_chunks(&releases, cores(), |part| {
            part.iter()
                .map(|release| placing(release, limits))
                .collect()
        });
        for (release, placed) in releases.into_iter().zip(placed) {
            match placed {
                Ok(id) if wanted.is_none_or(|ns| ns == id.namespace) => self
                    .releases
                    .entry(id)
                    .or_default()
                    .extend(release.into_iter().map(|(_, o)| o)),
                Ok(_) => {}
                Err(mut failed) => self.unplaced.append(&mut failed),
            }
        }
    }

    /// The records held for release `id`, decoded and let go (none when nothing is held).
    pub(super) fn join(held: &mut Option<Self>, id: &ReleaseId, limits: &Limits) -> Joined {
        match held.as_mut().and_then(|h| h.releases.remove(id)) {
            Some(objects) => decode_all(&objects, limits),
            None => Joined::default(),
        }
    }

    /// The next release's records, and the errors of those that could not be placed, let go.
    pub(super) fn take(&mut self) -> TillerBatch<T> {
        TillerBatch {
            objects: self
                .releases
                .pop_first()
                .map(|(_, objects)| objects)
                .unwrap_or_default(),
            unplaced: std::mem::take(&mut self.unplaced),
        }
    }
}

/// The release a Tiller release's newest record that decodes names
/// ([`tiller::decode_newest_placing`]; decoded once and let go, its budget given back), or
/// the errors of its records when none decodes.
fn placing<T: StoredTiller>(
    release: &Revisions<T>,
    limits: &Limits,
) -> Result<ReleaseId, Vec<DecodeError>> {
    let mut placed = None;
    let mut failed = Vec::new();
    let tried = release.iter().map(|(version, o)| (*version, o)).collect();
    let decode = |o: &T| match o.decode(limits) {
        Ok(record) => {
            // Decoded again when its release is handed over.
            limits.budget.give_back(record.meta.decoded_bytes);
            placed.get_or_insert_with(|| ReleaseId {
                namespace: record.storage_namespace().to_owned(),
                name: record.release.name.clone(),
            });
            true
        }
        Err(error) => {
            failed.push(error);
            false
        }
    };
    tiller::decode_newest_placing(tried, decode, || {});
    placed.ok_or(failed)
}

/// Tiller's records, decoded on every core: those that decode, and the errors of the others.
fn decode_all<T: StoredTiller>(objects: &[T], limits: &Limits) -> Joined {
    let decoded = map_chunks(objects, cores(), |part| {
        part.iter().map(|o| o.decode(limits)).collect()
    });
    let mut joined = Joined::default();
    for one in decoded {
        match one {
            Ok(record) => joined.0.push(record),
            Err(error) => joined.1.push(error),
        }
    }
    joined
}

/// A release only Tiller stores, taken from [`HeldTiller`] to be decoded.
pub(super) struct TillerBatch<T> {
    objects: Vec<T>,
    unplaced: Vec<DecodeError>,
}

impl<T: StoredTiller> TillerBatch<T> {
    /// Its records decoded on every core, grouped (one history per release the records
    /// name), with the errors of the releases that could not be placed; `None` when there is
    /// nothing.
    pub(super) fn decode(self, limits: &Limits) -> Option<Vec<Histories>> {
        if self.objects.is_empty() && self.unplaced.is_empty() {
            return None;
        }
        let (records, mut errors) = decode_all(&self.objects, limits);
        errors.extend(self.unplaced);
        let grouped = group(records, errors);
        let mut unattributed = Some(grouped.unattributed);
        let mut each: Vec<_> = grouped
            .releases
            .into_iter()
            .map(|history| Histories {
                releases: vec![history],
                unattributed: unattributed.take().unwrap_or_default(),
            })
            .collect();
        if let Some(unattributed) = unattributed {
            each.push(Histories {
                releases: Vec::new(),
                unattributed,
            });
        }
        Some(each)
    }
}
