//! The simulated cluster: which objects of the release exist, who created them, and what
//! Helm can know about them (ownership metadata, keep annotation).

use std::sync::Arc;

use helm_why_release::ResourceKey;

use crate::index::Ids;

/// The identity of a stored object in the API server: an object served under two API groups
/// (`extensions` and `networking.k8s.io` Ingress) is one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjectId {
    /// Canonical API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace (`None`: cluster-scoped).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectId {
    /// The physical identity of a manifest key.
    ///
    /// ```
    /// use helm_why_release::ResourceKey;
    /// use helm_why_diff::ObjectId;
    /// let old = ResourceKey::new("extensions/v1beta1", "Ingress", Some("ns"), "web");
    /// let new = ResourceKey::new("networking.k8s.io/v1", "Ingress", Some("ns"), "web");
    /// assert_eq!(ObjectId::of(&old), ObjectId::of(&new));
    /// ```
    pub fn of(key: &ResourceKey) -> Self {
        ObjectId {
            group: canonical_group(&key.group, &key.kind).to_owned(),
            kind: key.kind.clone(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        }
    }

    /// Whether `key` has this identity (`ObjectId::of(key) == *self`, without copying it).
    pub(crate) fn is(&self, key: &ResourceKey) -> bool {
        self.name == key.name
            && self.namespace == key.namespace
            && self.kind == key.kind
            && self.group == canonical_group(&key.group, &key.kind)
    }
}

/// Whether two keys name one stored object (`ObjectId::of(a) == ObjectId::of(b)`, without
/// copying them).
pub(crate) fn same_id(a: &ResourceKey, b: &ResourceKey) -> bool {
    // One shared key (an unchanged document of two revisions): no string to compare.
    if std::ptr::eq(a, b) {
        return true;
    }
    a.name == b.name
        && a.namespace == b.namespace
        && a.kind == b.kind
        && canonical_group(&a.group, &a.kind) == canonical_group(&b.group, &b.kind)
}

/// Kinds the API server serves from one storage under several groups.
pub(crate) fn canonical_group<'a>(group: &'a str, kind: &str) -> &'a str {
    match (group, kind) {
        ("extensions", "Ingress" | "NetworkPolicy") => "networking.k8s.io",
        ("extensions", "Deployment" | "DaemonSet" | "ReplicaSet") => "apps",
        ("extensions", "PodSecurityPolicy") => "policy",
        ("events.k8s.io", "Event") => "",
        _ => group,
    }
}

/// Who created the live object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Applied from the manifest of a revision.
    Manifest,
    /// Created by a hook.
    Hook,
}

/// One live object of the simulated cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// The key it was last applied with (API version included).
    pub key: Arc<ResourceKey>,
    /// Who created it.
    pub origin: Origin,
    /// The revision whose operation created it.
    pub created_by: u64,
    /// Whether it carries Helm's ownership metadata for this release.
    pub owned: bool,
    /// Whether it carries the label `app.kubernetes.io/managed-by: Helm` (set with the
    /// ownership metadata, or templated by the chart, e.g. on a hook).
    pub labelled: bool,
    /// Whether the document last applied to it has `helm.sh/resource-policy: keep`.
    pub keep: bool,
    /// Whether its existence is certain (false after a gap in the history).
    pub certain: bool,
}

impl Live {
    /// An object that exists although nothing in the release's records created it (another
    /// release, or by hand): revision 0, no ownership metadata for this release.
    pub fn outside(key: Arc<ResourceKey>) -> Self {
        Live {
            key,
            origin: Origin::Manifest,
            created_by: 0,
            owned: false,
            labelled: false,
            keep: false,
            certain: true,
        }
    }
}

/// The simulated cluster.
///
/// Every identity it has seen is interned in a slot that never changes, found by a hash of
/// the key's name, namespace and kind: a lookup neither copies the key's strings nor
/// compares them down a tree. Iteration is in [`ObjectId`] order.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Every identity seen.
    ids: Ids,
    /// The live object of each slot.
    live: Vec<Option<Live>>,
    /// Slots of the live objects, in identity order.
    order: Vec<usize>,
}

impl World {
    /// The slot of `key`'s identity, if it was ever seen.
    pub(crate) fn slot(&self, key: &ResourceKey) -> Option<usize> {
        self.ids.slot(key)
    }

    /// The slot of `key`'s identity, interned now if it is new (by its address too:
    /// [`Ids::intern_shared`]).
    pub(crate) fn intern(&mut self, key: &Arc<ResourceKey>) -> usize {
        let slot = self.ids.intern_shared(key);
        if self.live.len() <= slot {
            self.live.resize(slot + 1, None);
        }
        slot
    }

    /// The identity interned in `slot`.
    pub(crate) fn id(&self, slot: usize) -> Option<&ObjectId> {
        self.ids.id(slot)
    }

    /// Where `slot` is (or belongs) in `order`.
    fn position(&self, slot: usize) -> Result<usize, usize> {
        let id = self.ids.id(slot);
        self.order.binary_search_by(|s| self.ids.id(*s).cmp(&id))
    }

    /// The live object with this identity.
    pub fn get(&self, key: &ResourceKey) -> Option<&Live> {
        self.slot(key)
            .and_then(|s| self.live.get(s))
            .and_then(Option::as_ref)
    }

    /// Create or replace.
    pub fn put(&mut self, live: Live) {
        let slot = self.intern(&live.key);
        if let Some(entry) = self.live.get_mut(slot) {
            let new = entry.is_none();
            *entry = Some(live);
            if new && let Err(at) = self.position(slot) {
                self.order.insert(at, slot);
            }
        }
    }

    /// Remove; returns what was there.
    pub fn remove(&mut self, key: &ResourceKey) -> Option<Live> {
        let slot = self.slot(key)?;
        let gone = self.live.get_mut(slot)?.take()?;
        if let Ok(at) = self.position(slot) {
            self.order.remove(at);
        }
        Some(gone)
    }

    /// Every live object, in identity order.
    pub fn iter(&self) -> impl Iterator<Item = (&ObjectId, &Live)> {
        self.order.iter().filter_map(|s| {
            let live = self.live.get(*s)?.as_ref()?;
            Some((self.ids.id(*s)?, live))
        })
    }

    /// Every live object with its slot, in identity order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (usize, &Live)> {
        self.order
            .iter()
            .filter_map(|s| Some((*s, self.live.get(*s)?.as_ref()?)))
    }

    /// Mark one object uncertain (an operation that may or may not have reached it).
    pub fn set_uncertain(&mut self, key: &ResourceKey) {
        if let Some(live) = self
            .slot(key)
            .and_then(|s| self.live.get_mut(s))
            .and_then(Option::as_mut)
        {
            live.certain = false;
        }
    }

    /// Mark everything uncertain (after a gap in the history).
    pub fn mark_uncertain(&mut self) {
        for live in self.live.iter_mut().flatten() {
            live.certain = false;
        }
    }
}

/// Helm 3's `UninstallOrder` (latest 3.x, Helm 4 puts webhook configurations first).
pub(crate) const UNINSTALL_ORDER: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "Ingress",
    "IngressClass",
    "Service",
    "CronJob",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "DaemonSet",
    "RoleBindingList",
    "RoleBinding",
    "RoleList",
    "Role",
    "ClusterRoleBindingList",
    "ClusterRoleBinding",
    "ClusterRoleList",
    "ClusterRole",
    "CustomResourceDefinition",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "ConfigMap",
    "SecretList",
    "Secret",
    "ServiceAccount",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "LimitRange",
    "ResourceQuota",
    "NetworkPolicy",
    "Namespace",
    "PriorityClass",
];

/// Helm 2's `UninstallOrder`: `ServiceAccount` before `PersistentVolumeClaim`, no
/// `IngressClass`, `SecretList`, `PriorityClass` or webhook configurations [Helm v2.17.0
/// `pkg/tiller/kind_sorter.go`].
pub(crate) const HELM2_UNINSTALL_ORDER: &[&str] = &[
    "APIService",
    "Ingress",
    "Service",
    "CronJob",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "DaemonSet",
    "RoleBindingList",
    "RoleBinding",
    "RoleList",
    "Role",
    "ClusterRoleBindingList",
    "ClusterRoleBinding",
    "ClusterRoleList",
    "ClusterRole",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "ConfigMap",
    "Secret",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "LimitRange",
    "ResourceQuota",
    "NetworkPolicy",
    "Namespace",
];

/// Position of a kind in `order` (unknown kinds last, by name).
pub fn uninstall_rank(order: &[&str], kind: &str) -> (usize, String) {
    match order.iter().position(|k| *k == kind) {
        Some(i) => (i, String::new()),
        None => (order.len(), kind.to_owned()),
    }
}

/// The resource name kubectl and the API use in messages (`configmaps`, `ingresses.networking.k8s.io`).
pub fn resource_name(key: &ResourceKey) -> String {
    let kind = key.kind.to_ascii_lowercase();
    let plural = if kind.ends_with('s')
        || kind.ends_with('x')
        || kind.ends_with("ch")
        || kind.ends_with("sh")
    {
        format!("{kind}es")
    } else if let Some(stem) = kind
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{kind}s")
    };
    if key.group.is_empty() {
        plural
    } else {
        format!("{plural}.{}", key.group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(api: &str, kind: &str, name: &str) -> ResourceKey {
        ResourceKey::new(api, kind, Some("ns"), name)
    }

    #[test]
    fn the_world_iterates_in_identity_order_and_finds_an_object_under_either_group() {
        let mut world = World::default();
        for (api, kind, name) in [
            ("v1", "Service", "b"),
            ("extensions/v1beta1", "Ingress", "web"),
            ("v1", "ConfigMap", "z"),
            ("v1", "ConfigMap", "a"),
        ] {
            world.put(Live::outside(Arc::new(key(api, kind, name))));
        }
        let order = |w: &World| {
            w.iter()
                .map(|(id, _)| format!("{}/{}/{}", id.group, id.kind, id.name))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            order(&world),
            [
                "/ConfigMap/a",
                "/ConfigMap/z",
                "/Service/b",
                "networking.k8s.io/Ingress/web"
            ]
        );
        // One stored object, whichever group names it; replacing it keeps one entry.
        let new_ingress = key("networking.k8s.io/v1", "Ingress", "web");
        assert!(world.get(&new_ingress).is_some());
        world.put(Live::outside(Arc::new(new_ingress.clone())));
        assert_eq!(world.iter().count(), 4);
        assert_eq!(
            world
                .get(&key("extensions/v1beta1", "Ingress", "web"))
                .map(|l| &*l.key),
            Some(&new_ingress)
        );
        // Removed, then created again: back in its place.
        assert!(world.remove(&key("v1", "ConfigMap", "a")).is_some());
        assert!(world.remove(&key("v1", "ConfigMap", "a")).is_none());
        assert_eq!(order(&world)[0], "/ConfigMap/z");
        world.put(Live::outside(Arc::new(key("v1", "ConfigMap", "a"))));
        assert_eq!(order(&world)[0], "/ConfigMap/a");
        // Another namespace or kind is another object.
        assert!(
            world
                .get(&ResourceKey::new("v1", "ConfigMap", Some("other"), "a"))
                .is_none()
        );
        assert!(world.get(&key("v1", "Secret", "a")).is_none());
    }
}
