//! Finding objects by key without scanning a whole manifest or copying a key's strings.

use std::collections::HashMap;
use std::hash::BuildHasher as _;
use std::sync::Arc;

use helm_why_release::ResourceKey;

use crate::world::ObjectId;

/// Positions of keys by a hash of (name, namespace, kind) — what every match rule and every
/// identity (manifest identity, stored object, `current.Get`) compares at least — so that
/// finding an object is a hash and a comparison or two, not a scan of the whole manifest (a
/// chart of thousands of objects would be quadratic) nor a copy of the key's strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct ByName {
    positions: HashMap<u64, Positions, foldhash::fast::RandomState>,
    /// Hash (name, kind) alone ([`ByName::any_namespace_of`]).
    any_namespace: bool,
}

/// The positions of one hash: almost always one (a second is a collision or a second object
/// of the same name and kind), kept without an allocation of its own.
#[derive(Debug, Clone)]
enum Positions {
    One(usize),
    Many(Vec<usize>),
}

impl Positions {
    fn push(&mut self, i: usize) {
        match self {
            Positions::One(first) => *self = Positions::Many(vec![*first, i]),
            Positions::Many(all) => all.push(i),
        }
    }

    fn as_slice(&self) -> &[usize] {
        match self {
            Positions::One(i) => std::slice::from_ref(i),
            Positions::Many(all) => all,
        }
    }
}

impl ByName {
    /// The key's hash under this index's own seed (chosen at random per index, so that
    /// names in hostile records cannot be picked to collide).
    fn hash(&self, key: &ResourceKey) -> u64 {
        let namespace = if self.any_namespace {
            None
        } else {
            key.namespace.as_ref()
        };
        self.positions
            .hasher()
            .hash_one((&key.name, namespace, &key.kind))
    }

    /// The positions of `keys` by name and kind, whatever their namespace (and, as always,
    /// their API group): the same object moved to another group or namespace.
    pub(crate) fn any_namespace_of<'k>(keys: impl Iterator<Item = &'k ResourceKey>) -> Self {
        Self::build(true, keys)
    }

    /// The positions of `keys`, in order.
    pub(crate) fn of<'k>(keys: impl Iterator<Item = &'k ResourceKey>) -> Self {
        Self::build(false, keys)
    }

    fn build<'k>(any_namespace: bool, keys: impl Iterator<Item = &'k ResourceKey>) -> Self {
        let mut index = ByName {
            any_namespace,
            ..ByName::default()
        };
        index.positions.reserve(keys.size_hint().0);
        for (i, key) in keys.enumerate() {
            index.push(key, i);
        }
        index
    }

    /// Record that `key` is at position `i` (positions of one hash stay in push order).
    pub(crate) fn push(&mut self, key: &ResourceKey, i: usize) {
        let hash = self.hash(key);
        self.positions
            .entry(hash)
            .and_modify(|at| at.push(i))
            .or_insert(Positions::One(i));
    }

    /// Candidate positions for `key`, in push order (same hash; the caller compares).
    pub(crate) fn get(&self, key: &ResourceKey) -> &[usize] {
        self.positions
            .get(&self.hash(key))
            .map_or(&[], Positions::as_slice)
    }
}

/// Stored-object identities ([`ObjectId`]) numbered in the order they are first seen: a
/// slot never changes, and finding one neither copies the key nor compares strings down a
/// tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ids {
    ids: Vec<ObjectId>,
    by_name: ByName,
    /// Slots of shared keys by their address: an unchanged document's key is one `Arc`
    /// across revisions, so most lookups end here without reading a string (which, spread
    /// over the heap, costs cache misses more than comparisons). Each entry holds its key,
    /// so no other key can be at that address while the entry is here.
    by_address: HashMap<usize, (Arc<ResourceKey>, usize), foldhash::fast::RandomState>,
}

impl Ids {
    /// The slot of `key`'s identity, if it was seen.
    pub(crate) fn slot(&self, key: &ResourceKey) -> Option<usize> {
        if let Some((_, slot)) = self.by_address.get(&address(key)) {
            return Some(*slot);
        }
        self.by_name
            .get(key)
            .iter()
            .copied()
            .find(|s| self.ids.get(*s).is_some_and(|id| id.is(key)))
    }

    /// [`Ids::intern`] for a shared key, whose address then finds its slot.
    pub(crate) fn intern_shared(&mut self, key: &Arc<ResourceKey>) -> usize {
        if let Some((_, slot)) = self.by_address.get(&address(key)) {
            return *slot;
        }
        let slot = self.intern(key);
        self.by_address
            .insert(address(key), (Arc::clone(key), slot));
        slot
    }

    /// The slot of `key`'s identity, numbered now if it is new.
    pub(crate) fn intern(&mut self, key: &ResourceKey) -> usize {
        if let Some(slot) = self.slot(key) {
            return slot;
        }
        let slot = self.ids.len();
        self.ids.push(ObjectId::of(key));
        self.by_name.push(key, slot);
        slot
    }

    /// The identity of `slot`.
    pub(crate) fn id(&self, slot: usize) -> Option<&ObjectId> {
        self.ids.get(slot)
    }

    /// How many identities there are.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Where a key is in memory ([`Ids::intern_shared`]).
fn address(key: &ResourceKey) -> usize {
    std::ptr::from_ref(key) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key found by its address, by an equal copy, or under another group of the same
    /// stored object is one slot; another name is another.
    #[test]
    fn a_shared_key_and_its_copies_have_one_slot() {
        let mut ids = Ids::default();
        let old = Arc::new(ResourceKey::new(
            "extensions/v1beta1",
            "Ingress",
            Some("ns"),
            "web",
        ));
        let new = Arc::new(ResourceKey::new(
            "networking.k8s.io/v1",
            "Ingress",
            Some("ns"),
            "web",
        ));
        let copy = Arc::new((*old).clone());
        let other = Arc::new(ResourceKey::new(
            "networking.k8s.io/v1",
            "Ingress",
            Some("ns"),
            "api",
        ));
        assert_eq!(ids.slot(&old), None);
        assert_eq!(ids.intern_shared(&old), 0);
        assert_eq!(ids.slot(&old), Some(0));
        assert_eq!(ids.slot(&copy), Some(0));
        assert_eq!(ids.intern_shared(&new), 0);
        assert_eq!(ids.intern_shared(&other), 1);
        assert_eq!(ids.slot(&other), Some(1));
        assert_eq!(ids.slot(&new), Some(0));
        assert_eq!(ids.len(), 2);
    }
}
