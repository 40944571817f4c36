//! Naming an object the way kubectl does: `cm/x`, `configmaps/x`, `Deployment x`,
//! `ingress.networking.k8s.io/x`, `deployments.v1.apps/x`, `ingress.extensions/x`.
//!
//! One resolver for every command that takes an object argument: [`ObjectQuery::parse`] (or
//! [`ObjectQuery::parse_words`] for the two-word `KIND NAME` form) turns the text into a matcher
//! on [`ResourceKey`]s.

use helm_why_release::ResourceKey;

/// kubectl's names for built-in kinds: the plural, and the short names the API server
/// publishes in discovery (each kind's `ShortNames()` in kubernetes `pkg/registry`). Kinds
/// without a short name there (Secret, Job, Role, …) have none here either.
const KIND_NAMES: &[(&str, &str, &[&str])] = &[
    ("ConfigMap", "configmaps", &["cm"]),
    ("Secret", "secrets", &[]),
    ("Service", "services", &["svc"]),
    ("ServiceAccount", "serviceaccounts", &["sa"]),
    ("Endpoints", "endpoints", &["ep"]),
    ("Event", "events", &["ev"]),
    ("LimitRange", "limitranges", &["limits"]),
    ("ResourceQuota", "resourcequotas", &["quota"]),
    ("Namespace", "namespaces", &["ns"]),
    ("Node", "nodes", &["no"]),
    ("Pod", "pods", &["po"]),
    ("ReplicationController", "replicationcontrollers", &["rc"]),
    ("PersistentVolume", "persistentvolumes", &["pv"]),
    ("PersistentVolumeClaim", "persistentvolumeclaims", &["pvc"]),
    ("Deployment", "deployments", &["deploy"]),
    ("DaemonSet", "daemonsets", &["ds"]),
    ("ReplicaSet", "replicasets", &["rs"]),
    ("StatefulSet", "statefulsets", &["sts"]),
    ("Job", "jobs", &[]),
    ("CronJob", "cronjobs", &["cj"]),
    (
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        &["hpa"],
    ),
    ("Ingress", "ingresses", &["ing"]),
    ("IngressClass", "ingressclasses", &[]),
    ("NetworkPolicy", "networkpolicies", &["netpol"]),
    ("PodDisruptionBudget", "poddisruptionbudgets", &["pdb"]),
    ("PodSecurityPolicy", "podsecuritypolicies", &["psp"]),
    ("PriorityClass", "priorityclasses", &["pc"]),
    ("StorageClass", "storageclasses", &["sc"]),
    (
        "CertificateSigningRequest",
        "certificatesigningrequests",
        &["csr"],
    ),
    (
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd", "crds"],
    ),
    ("Role", "roles", &[]),
    ("RoleBinding", "rolebindings", &[]),
    ("ClusterRole", "clusterroles", &[]),
    ("ClusterRoleBinding", "clusterrolebindings", &[]),
];

/// API groups that served the same kind over the years: an object created as
/// `extensions/v1beta1` Ingress is the `networking.k8s.io` Ingress today, so naming either
/// group finds it whichever group a revision used.
const SAME_KIND_GROUPS: &[(&str, &[&str])] = &[
    ("Deployment", &["apps", "extensions"]),
    ("DaemonSet", &["apps", "extensions"]),
    ("ReplicaSet", &["apps", "extensions"]),
    ("Ingress", &["networking.k8s.io", "extensions"]),
    ("NetworkPolicy", &["networking.k8s.io", "extensions"]),
    ("PodSecurityPolicy", &["policy", "extensions"]),
    ("Event", &["", "events.k8s.io"]),
];

/// An object named on the command line: a matcher on object identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectQuery {
    /// The resource type as typed, lower-cased, without group or version (`cm`, `ingress`).
    pub kind: String,
    /// The group, when given (`networking.k8s.io`; `""` is never stored: no group means any).
    pub group: Option<String>,
    /// The version, when given as `KIND.VERSION.GROUP` (`v1`); shown, not matched: the API
    /// server serves one object under every version.
    pub version: Option<String>,
    /// The name.
    pub name: String,
    /// The namespace (`--object-namespace`), when given.
    pub namespace: Option<String>,
}

impl ObjectQuery {
    /// Parse `KIND[.VERSION][.GROUP]/NAME`, as kubectl does.
    ///
    /// # Errors
    /// A sentence when there is no `/` or a part is empty.
    ///
    /// ```
    /// use helm_why_diff::ObjectQuery;
    /// let q = ObjectQuery::parse("ingress.networking.k8s.io/web", None).unwrap();
    /// assert_eq!((q.kind.as_str(), q.group.as_deref(), q.name.as_str()), ("ingress", Some("networking.k8s.io"), "web"));
    /// let q = ObjectQuery::parse("Deployments.v1.apps/web", None).unwrap();
    /// assert_eq!((q.kind.as_str(), q.version.as_deref(), q.group.as_deref()), ("deployments", Some("v1"), Some("apps")));
    /// ```
    pub fn parse(text: &str, namespace: Option<&str>) -> Result<Self, String> {
        let (kind, name) = text
            .split_once('/')
            .filter(|(k, n)| !k.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| {
                format!(
                    "{text:?} is not KIND/NAME (e.g. cm/my-config, deployment/web, ingress.networking.k8s.io/web)"
                )
            })?;
        Self::parse_words(kind, name, namespace)
    }

    /// Parse the two-word form `KIND NAME` (`deployment web`, `ingress.extensions web`).
    ///
    /// # Errors
    /// An empty kind or name.
    pub fn parse_words(kind: &str, name: &str, namespace: Option<&str>) -> Result<Self, String> {
        if kind.is_empty() || name.is_empty() || kind.contains('/') {
            return Err(format!(
                "{kind:?} {name:?} is not KIND NAME (e.g. deployment web)"
            ));
        }
        let kind = kind.to_ascii_lowercase();
        // kubectl reads `a.b.c` both as resource.version.group and as resource.group: a
        // second part that looks like a version is one.
        let (kind, version, group) = match kind.split_once('.') {
            None => (kind, None, None),
            Some((k, rest)) => match rest.split_once('.') {
                Some((v, g)) if looks_like_version(v) => {
                    (k.to_owned(), Some(v.to_owned()), Some(g.to_owned()))
                }
                _ if looks_like_version(rest) => (k.to_owned(), Some(rest.to_owned()), None),
                _ => (k.to_owned(), None, Some(rest.to_owned())),
            },
        };
        if kind.is_empty() || group.as_deref() == Some("") {
            return Err(format!("{kind:?} is not a resource type"));
        }
        Ok(ObjectQuery {
            kind,
            group,
            version,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        })
    }

    /// Whether `key` is the object asked for.
    pub fn matches(&self, key: &ResourceKey) -> bool {
        key.name == self.name && self.matches_type(key) && self.matches_namespace(key)
    }

    /// Whether `key` is of the resource type asked for (name and namespace aside).
    pub fn matches_type(&self, key: &ResourceKey) -> bool {
        if let Some(g) = &self.group
            && !same_group(&key.kind, g, &key.group)
        {
            return false;
        }
        kind_names(&key.kind).contains(&self.kind)
    }

    /// Whether `key` is in the namespace asked for (cluster-scoped objects always are).
    pub fn matches_namespace(&self, key: &ResourceKey) -> bool {
        match (&self.namespace, &key.namespace) {
            (Some(ns), Some(kns)) => ns == kns,
            _ => true,
        }
    }

    /// The object as typed, normalised: `ingress.networking.k8s.io/web`.
    pub fn display(&self) -> String {
        let mut out = self.kind.clone();
        for part in [&self.version, &self.group].into_iter().flatten() {
            out.push('.');
            out.push_str(part);
        }
        format!("{out}/{}", self.name)
    }
}

/// `v1`, `v1beta1`, `v2alpha1`: Kubernetes' version format.
fn looks_like_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let after_major = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    if after_major.len() == rest.len() {
        return false;
    }
    if after_major.is_empty() {
        return true;
    }
    let Some(minor) = after_major
        .strip_prefix("alpha")
        .or_else(|| after_major.strip_prefix("beta"))
    else {
        return false;
    };
    !minor.is_empty() && minor.chars().all(|c| c.is_ascii_digit())
}

/// Whether group `wanted` names `kind`'s group `actual`, old groups included.
fn same_group(kind: &str, wanted: &str, actual: &str) -> bool {
    wanted == actual
        || SAME_KIND_GROUPS
            .iter()
            .any(|(k, groups)| *k == kind && groups.contains(&wanted) && groups.contains(&actual))
}

/// Every lower-case name kubectl accepts for `kind`: singular, plural, short names. Kinds
/// kubectl learns from discovery (custom resources) get the English plural a CRD usually
/// declares.
pub fn kind_names(kind: &str) -> Vec<String> {
    let lower = kind.to_ascii_lowercase();
    if let Some((_, plural, short)) = KIND_NAMES.iter().find(|(k, _, _)| *k == kind) {
        let mut out = vec![lower, (*plural).to_owned()];
        out.extend(short.iter().map(|s| (*s).to_owned()));
        return out;
    }
    let plural = if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    };
    vec![lower, plural]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(api: &str, kind: &str, name: &str) -> ResourceKey {
        ResourceKey::new(api, kind, Some("shop"), name)
    }

    fn finds(text: &str, k: &ResourceKey) -> bool {
        ObjectQuery::parse(text, None)
            .map(|q| q.matches(k))
            .unwrap_or(false)
    }

    #[test]
    fn short_names_plurals_and_case() {
        let cm = key("v1", "ConfigMap", "c");
        for t in [
            "cm/c",
            "configmap/c",
            "configmaps/c",
            "ConfigMap/c",
            "CONFIGMAPS/c",
        ] {
            assert!(finds(t, &cm), "{t}");
        }
        assert!(!finds("cms/c", &cm));
        assert!(!finds("cm/d", &cm));
        let deploy = key("apps/v1", "Deployment", "web");
        for t in ["deploy/web", "deployments/web", "deployment.apps/web"] {
            assert!(finds(t, &deploy), "{t}");
        }
        for (kind, short) in [
            ("Ingress", "ing"),
            ("Service", "svc"),
            ("ServiceAccount", "sa"),
            ("DaemonSet", "ds"),
            ("StatefulSet", "sts"),
            ("CronJob", "cj"),
            ("PersistentVolumeClaim", "pvc"),
            ("NetworkPolicy", "netpol"),
            ("PodDisruptionBudget", "pdb"),
            ("HorizontalPodAutoscaler", "hpa"),
            ("Pod", "po"),
            ("ReplicaSet", "rs"),
            ("Endpoints", "ep"),
            ("CustomResourceDefinition", "crd"),
        ] {
            assert!(kind_names(kind).contains(&short.to_owned()), "{kind}");
        }
        // Not kubectl short names.
        assert!(!kind_names("ClusterRole").contains(&"cr".to_owned()));
        assert!(!kind_names("ClusterRoleBinding").contains(&"crb".to_owned()));
    }

    #[test]
    fn old_groups_find_the_same_object() {
        let new = key("networking.k8s.io/v1", "Ingress", "web");
        let old = key("extensions/v1beta1", "Ingress", "web");
        for t in [
            "ingress.extensions/web",
            "ingresses.networking.k8s.io/web",
            "ing.v1beta1.extensions/web",
            "ingress.v1.networking.k8s.io/web",
            "ingress/web",
        ] {
            assert!(finds(t, &new) && finds(t, &old), "{t}");
        }
        assert!(!finds("ingress.apps/web", &new));
        let d = key("extensions/v1beta1", "Deployment", "web");
        assert!(finds("deployment.apps/web", &d));
        assert!(!finds("deployment.batch/web", &d));
    }

    #[test]
    fn versions_and_groups_are_told_apart() {
        let q = ObjectQuery::parse("deployments.v1.apps/web", None).unwrap();
        assert_eq!(
            (q.version.as_deref(), q.group.as_deref()),
            (Some("v1"), Some("apps"))
        );
        let q = ObjectQuery::parse("foo.v1alpha2.example.com/x", None).unwrap();
        assert_eq!(q.group.as_deref(), Some("example.com"));
        let q = ObjectQuery::parse("ingress.networking.k8s.io/x", None).unwrap();
        assert_eq!(
            (q.version, q.group.as_deref()),
            (None, Some("networking.k8s.io"))
        );
        let q = ObjectQuery::parse("foo.version.io/x", None).unwrap();
        assert_eq!(q.group.as_deref(), Some("version.io"));
        assert!(!looks_like_version("v"));
        assert!(!looks_like_version("vbeta1"));
        assert!(!looks_like_version("v1beta"));
        assert!(looks_like_version("v2beta2"));
    }

    #[test]
    fn custom_kinds_and_two_words() {
        let c = key("cert-manager.io/v1", "Certificate", "tls");
        assert!(finds("certificates/tls", &c));
        assert!(finds("certificate.cert-manager.io/tls", &c));
        let p = key("example.com/v1", "Policy", "p");
        assert!(finds("policies/p", &p));
        let q = ObjectQuery::parse_words("Deployment", "web", None).unwrap();
        assert!(q.matches(&key("apps/v1", "Deployment", "web")));
        assert!(ObjectQuery::parse("cm", None).is_err());
        assert!(ObjectQuery::parse("cm/", None).is_err());
        assert!(ObjectQuery::parse("/x", None).is_err());
        assert!(ObjectQuery::parse("cm./x", None).is_err());
    }

    #[test]
    fn namespaces() {
        let q = ObjectQuery::parse("cm/c", Some("other")).unwrap();
        assert!(!q.matches(&key("v1", "ConfigMap", "c")));
        let ns = ResourceKey::new("v1", "Namespace", None, "c");
        assert!(
            ObjectQuery::parse("ns/c", Some("other"))
                .unwrap()
                .matches(&ns)
        );
    }
}
