//! Names the API server refuses (HTTP 422, `metadata.name: Invalid value`): an object with
//! such a name can never exist, whatever a record says (helm-semantics.md §12; Kubernetes
//! `apimachinery/pkg/util/validation` `IsDNS1123Subdomain`, `IsDNS1123Label`,
//! `IsDNS1035Label`, and each kind's `Validate<Kind>Name`).
//!
//! Only kinds whose rule is known are checked; RBAC kinds (path-segment names) and custom
//! kinds (the API server's own rule) are never judged.

use helm_why_release::ResourceKey;

/// The naming rule of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// RFC 1123 subdomain, at most `max` characters (253 for most kinds).
    Subdomain { max: usize },
    /// RFC 1123 label: at most 63 characters, no dots.
    Label,
    /// RFC 1035 label: a label that starts with a letter (Service).
    Dns1035Label,
}

fn rule(key: &ResourceKey) -> Option<Rule> {
    let core_or = |groups: &[&str]| key.group.is_empty() || groups.contains(&key.group.as_str());
    Some(match key.kind.as_str() {
        "Service" if key.group.is_empty() => Rule::Dns1035Label,
        "Namespace" if key.group.is_empty() => Rule::Label,
        // `ValidateCronJobName`: the Job names it makes append 11 characters.
        "CronJob" if key.group == "batch" => Rule::Subdomain { max: 52 },
        "ConfigMap"
        | "Secret"
        | "ServiceAccount"
        | "PersistentVolumeClaim"
        | "PersistentVolume"
        | "Pod"
        | "ResourceQuota"
        | "LimitRange"
        | "Endpoints"
            if key.group.is_empty() =>
        {
            Rule::Subdomain { max: 253 }
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" if core_or(&["apps"]) => {
            Rule::Subdomain { max: 253 }
        }
        "Job" if key.group == "batch" => Rule::Subdomain { max: 253 },
        "Ingress" | "IngressClass" | "NetworkPolicy"
            if core_or(&["networking.k8s.io", "extensions"]) =>
        {
            Rule::Subdomain { max: 253 }
        }
        "HorizontalPodAutoscaler" if key.group == "autoscaling" => Rule::Subdomain { max: 253 },
        "PodDisruptionBudget" if key.group == "policy" => Rule::Subdomain { max: 253 },
        "StorageClass" if key.group == "storage.k8s.io" => Rule::Subdomain { max: 253 },
        "PriorityClass" if key.group == "scheduling.k8s.io" => Rule::Subdomain { max: 253 },
        "CustomResourceDefinition" if key.group == "apiextensions.k8s.io" => {
            Rule::Subdomain { max: 253 }
        }
        _ => return None,
    })
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_label(s: &str, first_letter: bool) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let first_ok = if first_letter {
        first.is_ascii_lowercase()
    } else {
        first.is_ascii_lowercase() || first.is_ascii_digit()
    };
    first_ok
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// Why the API server refuses `key`'s name, or `None` when it accepts it (or its kind's rule
/// is not known here).
///
/// ```
/// use helm_why_release::ResourceKey;
/// use helm_why_diff::invalid_name;
/// let bad = ResourceKey::new("v1", "ConfigMap", Some("ns"), "B4_Bad_Name");
/// assert!(invalid_name(&bad).unwrap().contains("RFC 1123 subdomain"));
/// assert_eq!(invalid_name(&ResourceKey::new("v1", "ConfigMap", Some("ns"), "app.config-1")), None);
/// assert!(invalid_name(&ResourceKey::new("v1", "Service", Some("ns"), "1web")).is_some());
/// ```
pub fn invalid_name(key: &ResourceKey) -> Option<String> {
    let name = key.name.as_str();
    match rule(key)? {
        Rule::Subdomain { max } => {
            let ok = name.len() <= max && name.split('.').all(|l| is_label(l, false));
            (!ok).then(|| {
                if name.len() > max {
                    format!("{} names are at most {max} characters", key.kind)
                } else {
                    format!(
                        "{} names must be a lowercase RFC 1123 subdomain (lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character)",
                        key.kind
                    )
                }
            })
        }
        Rule::Label => (!(name.len() <= 63 && is_label(name, false))).then(|| {
            format!(
                "{} names must be an RFC 1123 label (at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character)",
                key.kind
            )
        }),
        Rule::Dns1035Label => (!(name.len() <= 63 && is_label(name, true))).then(|| {
            format!(
                "{} names must be an RFC 1035 label (at most 63 lower case alphanumeric characters or '-', starting with a letter and ending with an alphanumeric character)",
                key.kind
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(api: &str, kind: &str, name: &str) -> bool {
        invalid_name(&ResourceKey::new(api, kind, Some("ns"), name)).is_none()
    }

    #[test]
    fn rules_per_kind() {
        assert!(check("v1", "ConfigMap", "a.b-c"));
        assert!(!check("v1", "ConfigMap", "a..b"));
        assert!(!check("v1", "ConfigMap", "-a"));
        assert!(!check("v1", "ConfigMap", &"a".repeat(254)));
        assert!(check("v1", "Service", "web-1"));
        assert!(!check("v1", "Service", "web.1"));
        assert!(!check("v1", "Service", "1web"));
        assert!(!check("batch/v1", "CronJob", &"a".repeat(53)));
        assert!(check("batch/v1", "CronJob", &"a".repeat(52)));
        // Not judged: RBAC's path-segment names and custom kinds.
        assert!(check(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "system:foo"
        ));
        assert!(check("example.com/v1", "Widget", "Any_Name"));
    }
}
