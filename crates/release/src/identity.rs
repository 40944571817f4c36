//! Object identity: API group, version, kind, namespace and name, with Helm's namespace defaulting.

use std::fmt;

/// The identity of one Kubernetes object in a manifest or hook.
///
/// `namespace` is the release namespace for namespaced kinds that omit `metadata.namespace`
/// (Helm builds objects with the namespace of the invocation), and `None` for cluster-scoped
/// kinds even when the YAML sets one (cli-runtime's `FilterNamespace`).
///
/// ```
/// use helm_why_release::ResourceKey;
/// let key = ResourceKey::new("networking.k8s.io/v1", "Ingress", Some("shop"), "web");
/// assert_eq!(key.group, "networking.k8s.io");
/// assert_eq!(key.to_string(), "Ingress.networking.k8s.io shop/web");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ResourceKey {
    /// API group, `""` for the core group.
    pub group: String,
    /// API version within the group (`v1`).
    pub version: String,
    /// Kind (`ConfigMap`).
    pub kind: String,
    /// Namespace, `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceKey {
    /// Build a key from an `apiVersion` string.
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Self {
        let (group, version) = split_api_version(api_version);
        ResourceKey {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `Kind` or `Kind.group`, as kubectl names a resource type.
    pub fn kind_with_group(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// Whether two keys name the same object for every Helm version: same group, kind,
    /// namespace and name (the version may differ: the API server serves one object).
    pub fn same_object(&self, other: &ResourceKey) -> bool {
        // One shared key (an unchanged document of two revisions): no string to compare.
        if std::ptr::eq(self, other) {
            return true;
        }
        self.group == other.group
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind_with_group(), ns, self.name),
            None => write!(f, "{} {}", self.kind_with_group(), self.name),
        }
    }
}

/// Split `apiVersion` into group and version (`v1` → `("", "v1")`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// The scope a CustomResourceDefinition declares for the kind it serves ([`declared_by_crd`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredScope {
    /// `spec.group`.
    pub group: String,
    /// `spec.names.kind`.
    pub kind: String,
    /// `spec.scope`.
    pub scope: Scope,
}

/// The scope a CustomResourceDefinition document declares for the kind it defines:
/// `spec.group`, `spec.names.kind` and `spec.scope`, which `apiextensions.k8s.io/v1beta1`
/// defaults to `Namespaced` and v1 requires. `None` for any other document, or a CRD missing
/// one of them.
///
/// ```
/// use helm_why_release::{DeclaredScope, Scope, declared_by_crd};
/// let crd = serde_json::json!({
///     "apiVersion": "apiextensions.k8s.io/v1",
///     "kind": "CustomResourceDefinition",
///     "metadata": {"name": "clusterissuers.cert-manager.io"},
///     "spec": {"group": "cert-manager.io", "names": {"kind": "ClusterIssuer"}, "scope": "Cluster"},
/// });
/// let declared = DeclaredScope {
///     group: "cert-manager.io".to_owned(),
///     kind: "ClusterIssuer".to_owned(),
///     scope: Scope::Cluster,
/// };
/// assert_eq!(declared_by_crd(&crd), Some(declared));
/// ```
pub fn declared_by_crd(value: &serde_json::Value) -> Option<DeclaredScope> {
    fn text(value: Option<&serde_json::Value>) -> Option<&str> {
        value.and_then(serde_json::Value::as_str)
    }
    if text(value.get("kind")) != Some("CustomResourceDefinition") {
        return None;
    }
    let (group, version) = split_api_version(text(value.get("apiVersion"))?);
    if group != "apiextensions.k8s.io" {
        return None;
    }
    let spec = value.get("spec")?;
    let served_group = text(spec.get("group"))?;
    let kind = text(spec.get("names").and_then(|names| names.get("kind")))?;
    let scope = match text(spec.get("scope")) {
        Some("Cluster") => Scope::Cluster,
        Some("Namespaced") => Scope::Namespaced,
        None if version == "v1beta1" => Scope::Namespaced,
        _ => return None,
    };
    Some(DeclaredScope {
        group: served_group.to_owned(),
        kind: kind.to_owned(),
        scope,
    })
}

/// Whether objects of a kind live in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Namespaced.
    Namespaced,
    /// Cluster-scoped.
    Cluster,
}

/// Kubernetes' own API groups, served by the API server itself: the scope of their kinds is
/// known without asking ([`ScopeResolver::builtin`]), and no CustomResourceDefinition serves
/// them. Every other group is served by a CRD or an aggregated API.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "extensions",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// Whether `group` is one of Kubernetes' own API groups (the core group, `apps`, `rbac.authorization.k8s.io`…): its kinds'
/// scopes need no discovery, and no CustomResourceDefinition can take its objects away.
///
/// ```
/// assert!(helm_why_release::is_builtin_group("apps"));
/// assert!(!helm_why_release::is_builtin_group("cert-manager.io"));
/// ```
pub fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group)
}

/// Built-in cluster-scoped kinds, by (group, kind).
const BUILTIN_CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("extensions", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
];

/// Decides whether a kind is namespaced, the way the cluster's REST mapper would.
///
/// Offline, it knows the built-in cluster-scoped kinds; custom kinds are assumed namespaced
/// unless a CustomResourceDefinition stored in the records declares their scope
/// ([`ScopeResolver::add_declared`]), or they are declared with
/// [`ScopeResolver::add_cluster_scoped`] (`--cluster-scoped KIND`). What API discovery says
/// ([`ScopeResolver::add_discovered`]) wins over all of these.
///
/// ```
/// use helm_why_release::{Scope, ScopeResolver};
/// let mut scopes = ScopeResolver::builtin();
/// assert_eq!(scopes.scope("rbac.authorization.k8s.io", "ClusterRole"), Scope::Cluster);
/// assert_eq!(scopes.scope("example.com", "Tenant"), Scope::Namespaced);
/// scopes.add_cluster_scoped("Tenant.example.com");
/// assert_eq!(scopes.scope("example.com", "Tenant"), Scope::Cluster);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScopeResolver {
    // Hashed: looked up with borrowed `&str`s once per object of every revision, where a
    // tree compared strings at every level.
    cluster_kinds: Set<String>,
    // By group, then kind.
    cluster_group_kinds: Map<String, Set<String>>,
    discovered: Map<String, Map<String, Scope>>,
    // What CustomResourceDefinitions in the records declare, by group then kind; `None` where
    // two of them disagree.
    declared: Map<String, Map<String, Option<Scope>>>,
}

type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

impl ScopeResolver {
    /// A resolver that knows the built-in Kubernetes kinds.
    pub fn builtin() -> Self {
        let mut r = ScopeResolver::default();
        for (group, kind) in BUILTIN_CLUSTER_SCOPED {
            r.cluster_group_kinds
                .entry((*group).to_owned())
                .or_default()
                .insert((*kind).to_owned());
        }
        r
    }

    /// Declare a kind cluster-scoped: `Kind` (any group) or `Kind.group`.
    pub fn add_cluster_scoped(&mut self, spec: &str) {
        match spec.split_once('.') {
            Some((kind, group)) => {
                self.cluster_group_kinds
                    .entry(group.to_owned())
                    .or_default()
                    .insert(kind.to_owned());
            }
            None => {
                self.cluster_kinds.insert(spec.to_owned());
            }
        }
    }

    /// Record what API discovery said about a kind; it wins over every other rule.
    pub fn add_discovered(&mut self, group: &str, kind: &str, namespaced: bool) {
        let scope = if namespaced {
            Scope::Namespaced
        } else {
            Scope::Cluster
        };
        self.discovered
            .entry(group.to_owned())
            .or_default()
            .insert(kind.to_owned(), scope);
    }

    /// Record the scope that a CustomResourceDefinition stored in the records declares
    /// ([`declared_by_crd`]). The API server refuses to change a CRD's `spec.scope`, so it is
    /// the scope the cluster served the kind with: it wins over `--cluster-scoped` and the
    /// built-in table, and loses only to discovery. Two stored CRDs that disagree (one deleted
    /// and created again with the other scope) cancel each other.
    ///
    /// ```
    /// use helm_why_release::{DeclaredScope, Scope, ScopeResolver};
    /// let mut scopes = ScopeResolver::builtin();
    /// scopes.add_declared(&DeclaredScope {
    ///     group: "cert-manager.io".to_owned(),
    ///     kind: "ClusterIssuer".to_owned(),
    ///     scope: Scope::Cluster,
    /// });
    /// assert_eq!(scopes.scope("cert-manager.io", "ClusterIssuer"), Scope::Cluster);
    /// scopes.add_discovered("cert-manager.io", "ClusterIssuer", true);
    /// assert_eq!(scopes.scope("cert-manager.io", "ClusterIssuer"), Scope::Namespaced);
    /// ```
    pub fn add_declared(&mut self, declared: &DeclaredScope) {
        let known = self
            .declared
            .entry(declared.group.clone())
            .or_default()
            .entry(declared.kind.clone())
            .or_insert(Some(declared.scope));
        if *known != Some(declared.scope) {
            *known = None;
        }
    }

    /// These scopes with `declared` added ([`ScopeResolver::add_declared`]), when that
    /// changes the scope of one of `keys` (which must then be identified again); `None`
    /// otherwise.
    pub fn with_declared<'k>(
        &self,
        declared: impl IntoIterator<Item = &'k DeclaredScope>,
        keys: impl IntoIterator<Item = &'k ResourceKey>,
    ) -> Option<ScopeResolver> {
        let mut learned = self.clone();
        let mut any = false;
        for d in declared {
            learned.add_declared(d);
            any = true;
        }
        let changed = |key: &ResourceKey| {
            learned.scope(&key.group, &key.kind) != self.scope(&key.group, &key.kind)
        };
        (any && keys.into_iter().any(changed)).then_some(learned)
    }

    /// The scope of `kind` in `group`.
    pub fn scope(&self, group: &str, kind: &str) -> Scope {
        if let Some(scope) = self.discovered.get(group).and_then(|kinds| kinds.get(kind)) {
            return *scope;
        }
        if let Some(Some(scope)) = self.declared.get(group).and_then(|kinds| kinds.get(kind)) {
            return *scope;
        }
        let in_group = self
            .cluster_group_kinds
            .get(group)
            .is_some_and(|kinds| kinds.contains(kind));
        if in_group || self.cluster_kinds.contains(kind) {
            Scope::Cluster
        } else {
            Scope::Namespaced
        }
    }

    /// The namespace Helm gives an object: `None` for cluster-scoped kinds, the explicit
    /// namespace when set, else `default_namespace`.
    pub fn effective_namespace(
        &self,
        group: &str,
        kind: &str,
        explicit: Option<&str>,
        default_namespace: &str,
    ) -> Option<String> {
        self.namespace_of(group, kind, explicit, default_namespace)
            .map(str::to_owned)
    }

    /// [`ScopeResolver::effective_namespace`], borrowed from its inputs.
    pub fn namespace_of<'n>(
        &self,
        group: &str,
        kind: &str,
        explicit: Option<&'n str>,
        default_namespace: &'n str,
    ) -> Option<&'n str> {
        match self.scope(group, kind) {
            Scope::Cluster => None,
            Scope::Namespaced => Some(
                explicit
                    .filter(|ns| !ns.is_empty())
                    .unwrap_or(default_namespace),
            ),
        }
    }
}
