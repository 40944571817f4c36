//! What a failed revision's stored error text proves (helm-semantics.md §4.3, §4.5, §12).
//!
//! Helm writes its error into `info.description` (`Upgrade "web" failed: <err>`). The texts
//! differ by version — wrapped in `1 error occurred:\n\t* …` by go-multierror (3.x installs),
//! joined with ` && ` (Helm 4), prefixed with `failed to create resource: ` (the Update's
//! create) — but each names the object it is about and what the API server or Helm said. This
//! module reads them into facts; the replay decides what they mean.

use helm_why_release::ResourceKey;

use crate::ops::Stage;
use crate::world::resource_name;

/// What an error says happened to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectFailure {
    /// `<Kind> "<name>" is invalid: …` (HTTP 422): the API server rejected it; it was never
    /// created (or, on a patch, never changed).
    Invalid,
    /// `<resource> "<name>" already exists`: a create hit an existing object.
    AlreadyExists,
    /// `no <Kind> with the name "<name>" found` (Helm 3) / `original object <Kind> with the
    /// name "<name>" not found` (Helm 4.0–4.1): it exists but the original manifest lacks it,
    /// so the Update stopped there (`pkg/kube/client.go` `Client.Update`).
    NotInOriginal,
    /// `cannot patch "<name>" with kind <Kind>: …`: the patch failed; Helm goes on with the
    /// other objects and deletes nothing.
    PatchFailed,
    /// `<Kind> "<name>" in namespace "<ns>" exists and cannot be imported into the current
    /// release: invalid ownership metadata …`: the existing-resource check stopped the
    /// operation before anything was written.
    Ownership {
        /// The release its `meta.helm.sh/release-name` names, when the error quotes it.
        owner: Option<String>,
    },
    /// `failed to delete resource …` (Helm 4): the DELETE failed; the object survives.
    DeleteFailed,
    /// `Failed to recreate resource: <create error>` (Helm 2): its patch failed, `--force`
    /// deleted it and creating it again failed, so it is gone [Helm v2.17.0
    /// `pkg/kube/client.go` `updateResource`].
    RecreateFailed,
}

/// One object an error names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectError {
    /// `ConfigMap`, or a resource name (`configmaps`, `ingresses.networking.k8s.io`) for
    /// `already exists`; `None` when the text does not say.
    pub kind: Option<String>,
    /// The object's name.
    pub name: String,
    /// Its namespace, when the text says.
    pub namespace: Option<String>,
    /// What happened.
    pub failure: ObjectFailure,
    /// The error text about it (one line, as Helm wrote it).
    pub text: String,
}

impl ObjectError {
    /// Whether this error is about `key` (kind or resource name, name, namespace).
    pub fn is_about(&self, key: &ResourceKey) -> bool {
        if self.name != key.name {
            return false;
        }
        if let (Some(ns), Some(kns)) = (&self.namespace, &key.namespace)
            && !ns.is_empty()
            && ns != kns
        {
            return false;
        }
        let Some(kind) = &self.kind else {
            return true;
        };
        let kind_only = kind.split('.').next().unwrap_or(kind);
        kind_only.eq_ignore_ascii_case(&key.kind)
            || kind.eq_ignore_ascii_case(&resource_name(key))
            || kind_only
                .eq_ignore_ascii_case(resource_name(key).split('.').next().unwrap_or_default())
    }
}

/// A kind the API server did not serve (`resource mapping not found`, `no matches for kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKind {
    /// The kind, e.g. `Widget`.
    pub kind: String,
    /// The API version, e.g. `example.com/v1`.
    pub api_version: String,
}

/// Everything a stored error text proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Where the operation stopped.
    pub stage: Stage,
    /// The objects named, in the order the text names them.
    pub objects: Vec<ObjectError>,
    /// Kinds the cluster did not serve.
    pub missing_kinds: Vec<MissingKind>,
}

impl Evidence {
    /// The first error about `key`.
    pub fn about(&self, key: &ResourceKey) -> Option<&ObjectError> {
        self.objects.iter().find(|e| e.is_about(key))
    }
}

/// Read a stored error (the part of the description after `… failed: `).
///
/// ```
/// use helm_why_diff::failure::{read_failure, ObjectFailure};
/// use helm_why_diff::ops::Stage;
/// let e = read_failure("1 error occurred:\n\t* ConfigMap \"B4_Bad_Name\" is invalid: metadata.name: Invalid value: \"B4_Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters\n\n");
/// assert_eq!(e.stage, Stage::Apply);
/// assert_eq!((e.objects[0].kind.as_deref(), e.objects[0].name.as_str()), (Some("ConfigMap"), "B4_Bad_Name"));
/// assert_eq!(e.objects[0].failure, ObjectFailure::Invalid);
/// ```
pub fn read_failure(message: &str) -> Evidence {
    let mut objects = Vec::new();
    let mut missing_kinds = Vec::new();
    for line in error_lines(message) {
        read_line(line, &mut objects, &mut missing_kinds);
    }
    let stage = stage_of(message, &objects, &missing_kinds);
    Evidence {
        stage,
        objects,
        missing_kinds,
    }
}

/// The separate errors of a message: go-multierror's `\t* ` items, Helm 4's ` && ` joins.
fn error_lines(message: &str) -> Vec<&str> {
    message
        .split('\n')
        .flat_map(|l| l.split(" && "))
        .map(|l| l.trim().trim_start_matches("* ").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The word before `"name"` at byte `quote` (the opening quote), e.g. `ConfigMap`.
fn word_before(line: &str, quote: usize) -> Option<&str> {
    let head = line[..quote].trim_end();
    let start = head
        .rfind(|c: char| c.is_whitespace() || c == ':' || c == '(')
        .map_or(0, |i| i + 1);
    let word = &head[start..];
    (!word.is_empty()).then_some(word)
}

/// The quoted string ending right before `at` (`"name"` in `Kind "name" is invalid`), and
/// the byte where its opening quote is.
fn quoted_before(line: &str, at: usize) -> Option<(usize, &str)> {
    let head = line[..at].trim_end();
    let inner = head.strip_suffix('"')?;
    let open = inner.rfind('"')?;
    Some((open, &inner[open + 1..]))
}

/// The quoted string right after `marker` in `line`.
fn quoted_after<'l>(line: &'l str, marker: &str) -> Option<&'l str> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let rest = rest.trim_start().strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

fn read_line(line: &str, objects: &mut Vec<ObjectError>, missing: &mut Vec<MissingKind>) {
    let mut push = |kind: Option<&str>, name: &str, namespace: Option<&str>, failure| {
        objects.push(ObjectError {
            kind: kind.map(str::to_owned),
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            failure,
            text: line.to_owned(),
        });
    };
    // Kinds the cluster does not serve (≤ 3.8 `unable to recognize`, ≥ 3.9 `resource mapping
    // not found`): `no matches for kind "Widget" in version "example.com/v1"`.
    if let Some(kind) = quoted_after(line, "no matches for kind") {
        let api_version = quoted_after(line, "in version").unwrap_or_default();
        missing.push(MissingKind {
            kind: kind.to_owned(),
            api_version: api_version.to_owned(),
        });
        return;
    }
    if let Some(i) = line.find("cannot patch \"") {
        let rest = &line[i + "cannot patch \"".len()..];
        if let Some((name, tail)) = rest.split_once('"') {
            let kind = tail
                .trim_start()
                .strip_prefix("with kind ")
                .and_then(|k| k.split(':').next());
            push(kind, name, None, ObjectFailure::PatchFailed);
            return;
        }
    }
    // Helm 2's --force: the object was deleted and its create failed (the create's error
    // follows, naming the object).
    if let Some(i) = line.find("Failed to recreate resource: ") {
        let rest = &line[i + "Failed to recreate resource: ".len()..];
        let mut inner = Vec::new();
        read_line(rest, &mut inner, missing);
        if let Some(first) = inner.into_iter().next() {
            push(
                first.kind.as_deref(),
                &first.name,
                first.namespace.as_deref(),
                ObjectFailure::RecreateFailed,
            );
        }
        return;
    }
    // Helm 2 ≥ 2.14: `kind <Kind> with the name "<n>" in "<ns>" already exists in the
    // cluster and wasn't defined in the previous release. …` [Helm v2.17.0
    // `pkg/kube/client.go` `UpdateWithOptions`].
    if let Some(i) =
        line.find(" already exists in the cluster and wasn't defined in the previous release")
        && let Some(k) = line[..i].rfind("kind ")
        && let Some((kind, tail)) = line[k + "kind ".len()..i].split_once(" with the name \"")
        && let Some((name, after)) = tail.split_once('"')
    {
        let namespace = quoted_after(after, "in");
        push(Some(kind), name, namespace, ObjectFailure::NotInOriginal);
        return;
    }
    if let Some(i) = line.find("exists and cannot be imported into the current release") {
        // `<Kind> "<name>" in namespace "<ns>" exists and cannot …`
        let head = &line[..i];
        let namespace = quoted_after(head, "in namespace");
        let name_end = head.find(" in namespace").unwrap_or(head.len());
        if let Some((open, name)) = quoted_before(head, name_end) {
            let owner = line
                .split("must equal \"")
                .nth(1)
                .and_then(|rest| rest.split("current value is \"").nth(1))
                .and_then(|v| v.split('"').next())
                .map(str::to_owned);
            push(
                word_before(head, open),
                name,
                namespace,
                ObjectFailure::Ownership { owner },
            );
        }
        return;
    }
    for (marker, failure) in [
        (" is invalid", ObjectFailure::Invalid),
        (" already exists", ObjectFailure::AlreadyExists),
    ] {
        if let Some(i) = line.find(marker)
            && let Some((open, name)) = quoted_before(line, i)
        {
            push(word_before(line, open), name, None, failure);
            return;
        }
    }
    for (prefix, suffix) in [("no ", " found"), ("original object ", " not found")] {
        let Some(i) = line.find(prefix) else {
            continue;
        };
        let rest = &line[i + prefix.len()..];
        if let Some((kind, tail)) = rest.split_once(" with the name \"")
            && let Some((name, after)) = tail.split_once('"')
            && after.starts_with(suffix)
            && !kind.contains(' ')
        {
            push(Some(kind), name, None, ObjectFailure::NotInOriginal);
            return;
        }
    }
    // `failed to delete resource namespace=<ns>, name=<n>, kind=<K>: <err>` (≥ 4.2.0) or
    // `failed to delete resource <n>: <err>` (4.0–4.1).
    if let Some(i) = line.find("failed to delete resource ") {
        let rest = &line[i + "failed to delete resource ".len()..];
        let Some((head, _)) = rest.split_once(": ") else {
            return;
        };
        if head.starts_with("namespace=") {
            let field = |f: &str| head.split(", ").find_map(|kv| kv.strip_prefix(f));
            if let Some(name) = field("name=") {
                push(
                    field("kind="),
                    name,
                    field("namespace="),
                    ObjectFailure::DeleteFailed,
                );
            }
        } else {
            push(None, head.trim(), None, ObjectFailure::DeleteFailed);
        }
    }
}

/// Where the message says the operation stopped.
fn stage_of(message: &str, objects: &[ObjectError], missing: &[MissingKind]) -> Stage {
    let m = message.to_ascii_lowercase();
    if m.contains("pre-upgrade hooks failed")
        || m.contains("pre-rollback hooks failed")
        || m.contains("failed pre-install")
        || m.contains("pre-install hooks failed")
    {
        Stage::PreHooks
    } else if m.contains("post-upgrade hooks failed")
        || m.contains("post-rollback hooks failed")
        || m.contains("failed post-install")
        || m.contains("post-install hooks failed")
    {
        Stage::PostHooks
    } else if objects
        .iter()
        .any(|o| matches!(o.failure, ObjectFailure::Ownership { .. }))
    {
        Stage::Check
    } else if m.contains("cannot use server-side apply and force replace together")
        || !missing.is_empty()
    {
        Stage::BeforeApply
    } else if objects
        .iter()
        .any(|o| o.failure == ObjectFailure::DeleteFailed)
    {
        Stage::Delete
    } else if m.contains("timed out waiting for the condition")
        || m.contains("context deadline exceeded")
        || m.contains("resource not ready")
    {
        Stage::Wait
    } else {
        Stage::Apply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(message: &str) -> ObjectError {
        let e = read_failure(message);
        assert_eq!(e.objects.len(), 1, "{message}: {e:?}");
        e.objects
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn invalid_name_by_version() {
        // 3.16.4–3.17.3 (go-multierror) and 3.8–3.11, 4.1.4 (bare), helm-semantics.md §12.
        for text in [
            "1 error occurred:\n\t* ConfigMap \"B4_Bad_Name\" is invalid: metadata.name: Invalid value: \"B4_Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'\n\n",
            "ConfigMap \"B4_Bad_Name\" is invalid: metadata.name: Invalid value: \"B4_Bad_Name\": a lowercase RFC 1123 subdomain",
            "failed to create resource: ConfigMap \"B4_Bad_Name\" is invalid: metadata.name: Invalid value",
        ] {
            let o = one(text);
            assert_eq!(o.failure, ObjectFailure::Invalid);
            assert_eq!(o.kind.as_deref(), Some("ConfigMap"));
            assert_eq!(o.name, "B4_Bad_Name");
            assert_eq!(read_failure(text).stage, Stage::Apply);
        }
        let key = ResourceKey::new("v1", "ConfigMap", Some("ns"), "B4_Bad_Name");
        assert!(one("ConfigMap \"B4_Bad_Name\" is invalid: x").is_about(&key));
    }

    #[test]
    fn not_in_original_helm2_helm3_and_helm4() {
        let key = ResourceKey::new("v1", "ConfigMap", Some("ns"), "sq2-app-config");
        for text in [
            "no ConfigMap with the name \"sq2-app-config\" found",
            "original object ConfigMap with the name \"sq2-app-config\" not found",
            "kind ConfigMap with the name \"sq2-app-config\" in \"ns\" already exists in the cluster and wasn't defined in the previous release. Before upgrading, please either delete the resource from the cluster or remove it from the chart",
        ] {
            let o = one(text);
            assert_eq!(o.failure, ObjectFailure::NotInOriginal);
            assert!(o.is_about(&key));
        }
        // Helm 2 names the namespace: another namespace's object is not this one.
        let other = ResourceKey::new("v1", "ConfigMap", Some("other"), "sq2-app-config");
        let helm2 = one(
            "kind ConfigMap with the name \"sq2-app-config\" in \"ns\" already exists in the cluster and wasn't defined in the previous release. Before upgrading, …",
        );
        assert_eq!(helm2.namespace.as_deref(), Some("ns"));
        assert!(!helm2.is_about(&other));
    }

    #[test]
    fn helm2_force_recreate_failure_names_the_object() {
        let key = ResourceKey::new("v1", "Service", Some("shop"), "web");
        let o = one(
            "Failed to recreate resource: Service \"web\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated",
        );
        assert_eq!(o.failure, ObjectFailure::RecreateFailed);
        assert!(o.is_about(&key));
    }

    #[test]
    fn ownership_names_the_other_release() {
        let text = "Unable to continue with update: ConfigMap \"shared\" in namespace \"shop\" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key \"meta.helm.sh/release-name\" must equal \"a\": current value is \"b\"";
        let e = read_failure(text);
        assert_eq!(e.stage, Stage::Check);
        let o = &e.objects[0];
        assert_eq!(
            o.failure,
            ObjectFailure::Ownership {
                owner: Some("b".into())
            }
        );
        assert_eq!(
            (o.kind.as_deref(), o.name.as_str(), o.namespace.as_deref()),
            (Some("ConfigMap"), "shared", Some("shop"))
        );
    }

    #[test]
    fn already_exists_uses_the_resource_name() {
        let key = ResourceKey::new("networking.k8s.io/v1", "Ingress", Some("ns"), "web");
        let o =
            one("failed to create resource: ingresses.networking.k8s.io \"web\" already exists");
        assert_eq!(o.failure, ObjectFailure::AlreadyExists);
        assert!(o.is_about(&key));
    }

    #[test]
    fn missing_kind_and_deletes() {
        let e = read_failure(
            "resource mapping not found for name: \"b3-widget\" namespace: \"\" from \"\": no matches for kind \"Widget\" in version \"example.com/v1\"\nensure CRDs are installed first",
        );
        assert_eq!(e.stage, Stage::BeforeApply);
        assert_eq!(e.missing_kinds[0].kind, "Widget");
        let e = read_failure(
            "failed to delete resource namespace=shop, name=a, kind=ConfigMap: forbidden && failed to delete resource b: denied",
        );
        assert_eq!(e.stage, Stage::Delete);
        assert_eq!(e.objects.len(), 2);
        assert_eq!(e.objects[1].name, "b");
    }

    #[test]
    fn patch_failure_is_not_invalid_create() {
        let o = one(
            "cannot patch \"db\" with kind Service: Service \"db\" is invalid: spec.clusterIP: Invalid value: \"\": field is immutable",
        );
        assert_eq!(o.failure, ObjectFailure::PatchFailed);
        assert_eq!(o.kind.as_deref(), Some("Service"));
    }
}
