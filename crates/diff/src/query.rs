//! Naming an object the way kubectl does: `cm/x`, `configmap/x`, `ingress.networking.k8s.io/x`.

use helm_why_release::ResourceKey;

/// kubectl's short names and plurals for built-in kinds.
const KIND_NAMES: &[(&str, &[&str])] = &[
    ("ConfigMap", &["cm", "configmap", "configmaps"]),
    ("Secret", &["secret", "secrets"]),
    ("Service", &["svc", "service", "services"]),
    ("Deployment", &["deploy", "deployment", "deployments"]),
    ("StatefulSet", &["sts", "statefulset", "statefulsets"]),
    ("DaemonSet", &["ds", "daemonset", "daemonsets"]),
    ("ReplicaSet", &["rs", "replicaset", "replicasets"]),
    ("Pod", &["po", "pod", "pods"]),
    ("Job", &["job", "jobs"]),
    ("CronJob", &["cj", "cronjob", "cronjobs"]),
    ("Ingress", &["ing", "ingress", "ingresses"]),
    ("IngressClass", &["ingressclass", "ingressclasses"]),
    (
        "PersistentVolumeClaim",
        &["pvc", "persistentvolumeclaim", "persistentvolumeclaims"],
    ),
    (
        "PersistentVolume",
        &["pv", "persistentvolume", "persistentvolumes"],
    ),
    (
        "ServiceAccount",
        &["sa", "serviceaccount", "serviceaccounts"],
    ),
    ("Namespace", &["ns", "namespace", "namespaces"]),
    (
        "HorizontalPodAutoscaler",
        &["hpa", "horizontalpodautoscaler", "horizontalpodautoscalers"],
    ),
    (
        "PodDisruptionBudget",
        &["pdb", "poddisruptionbudget", "poddisruptionbudgets"],
    ),
    (
        "NetworkPolicy",
        &["netpol", "networkpolicy", "networkpolicies"],
    ),
    (
        "CustomResourceDefinition",
        &[
            "crd",
            "crds",
            "customresourcedefinition",
            "customresourcedefinitions",
        ],
    ),
    ("Role", &["role", "roles"]),
    ("RoleBinding", &["rolebinding", "rolebindings"]),
    ("ClusterRole", &["clusterrole", "clusterroles"]),
    (
        "ClusterRoleBinding",
        &["clusterrolebinding", "clusterrolebindings"],
    ),
    ("StorageClass", &["sc", "storageclass", "storageclasses"]),
    ("PriorityClass", &["pc", "priorityclass", "priorityclasses"]),
    ("LimitRange", &["limits", "limitrange", "limitranges"]),
    (
        "ResourceQuota",
        &["quota", "resourcequota", "resourcequotas"],
    ),
    ("Endpoints", &["ep", "endpoints"]),
];

/// An object named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectQuery {
    /// What was typed before the `/`, lower-cased (`cm`, `ingress.networking.k8s.io`).
    pub kind: String,
    /// The group, when given (`networking.k8s.io`).
    pub group: Option<String>,
    /// The name.
    pub name: String,
    /// The namespace (`-n`), when given.
    pub namespace: Option<String>,
}

impl ObjectQuery {
    /// Parse `KIND[.group]/NAME`.
    ///
    /// # Errors
    /// A sentence when there is no `/` or a part is empty.
    ///
    /// ```
    /// use helm_why_diff::ObjectQuery;
    /// let q = ObjectQuery::parse("ingress.networking.k8s.io/web", None).unwrap();
    /// assert_eq!((q.kind.as_str(), q.group.as_deref(), q.name.as_str()), ("ingress", Some("networking.k8s.io"), "web"));
    /// ```
    pub fn parse(text: &str, namespace: Option<&str>) -> Result<Self, String> {
        let (kind, name) = text
            .split_once('/')
            .filter(|(k, n)| !k.is_empty() && !n.is_empty())
            .ok_or_else(|| {
                format!("{text:?} is not KIND/NAME (e.g. cm/my-config, deployment/web)")
            })?;
        let kind = kind.to_ascii_lowercase();
        let (kind, group) = match kind.split_once('.') {
            Some((k, g)) => (k.to_owned(), Some(g.to_owned())),
            None => (kind, None),
        };
        Ok(ObjectQuery {
            kind,
            group,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        })
    }

    /// Whether `key` is the object asked for.
    pub fn matches(&self, key: &ResourceKey) -> bool {
        if key.name != self.name {
            return false;
        }
        if let (Some(ns), Some(kns)) = (&self.namespace, &key.namespace)
            && ns != kns
        {
            return false;
        }
        if let Some(g) = &self.group
            && *g != key.group
        {
            return false;
        }
        let kind = key.kind.to_ascii_lowercase();
        if kind == self.kind || format!("{kind}s") == self.kind {
            return true;
        }
        KIND_NAMES
            .iter()
            .any(|(k, names)| *k == key.kind && names.contains(&self.kind.as_str()))
    }
}
