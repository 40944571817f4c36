//! Why an object left (or entered) the manifest between two revisions.

use helm_why_release::manifest::{HookClass, classify_hook};
use helm_why_release::{ManifestObject, ResourceKey};

use crate::event::Cause;
use crate::ops::Operation;
use crate::profile::{MatchRule, Profile};
use crate::values::changed_references;
use crate::view::RevisionView;
use crate::world::ObjectId;

/// The chart-relative template name of a `# Source:` path: `web/templates/cm.yaml` →
/// `templates/cm.yaml`. Subchart paths (`web/charts/db/templates/…`) are not stored in the
/// record's chart, so they give `None`.
pub fn template_name(source: &str) -> Option<&str> {
    let (_, rest) = source.split_once('/')?;
    if rest.starts_with("charts/") {
        return None;
    }
    Some(rest)
}

/// Why `key`, present in `base`, has no match in `target` (the object is about to be deleted).
pub fn removal_cause(
    key: &ResourceKey,
    source: Option<&str>,
    operation: &Operation,
    base: Option<&RevisionView<'_>>,
    target: &RevisionView<'_>,
    rule: MatchRule,
    profile: &Profile,
) -> (Cause, String) {
    let id = ObjectId::of(key);
    // Became a hook of the new revision.
    if let Some(h) = target
        .hooks
        .iter()
        .find(|h| ObjectId::of(&h.object.key) == id)
    {
        let events: Vec<&str> = h.hook.events.iter().map(|e| e.as_str()).collect();
        let policies: Vec<&str> = if h.hook.delete_policies.is_empty() {
            vec!["before-hook-creation (default)"]
        } else {
            h.hook.delete_policies.iter().map(|p| p.as_str()).collect()
        };
        let reruns = h.hook.events.iter().any(|e| {
            matches!(
                (e, operation),
                (helm_why_release::HookEvent::PreUpgrade, Operation::Upgrade)
                    | (
                        helm_why_release::HookEvent::PreRollback,
                        Operation::Rollback { .. }
                    )
            )
        });
        let tail = if reruns {
            "; the hook recreated it just before, so the object the hook made is the one deleted — it comes back on the next upgrade, as a hook, without Helm's ownership metadata"
        } else {
            ""
        };
        return (
            Cause::MovedToHook,
            format!(
                "it became a hook ({}, delete policy {}) in {}, and hooks are not tracked, so the upgrade treats it as removed{tail}",
                events.join(","),
                policies.join(","),
                h.hook.path
            ),
        );
    }
    // The same stored object under another group or version.
    if let Some(t) = target
        .objects
        .iter()
        .find(|t| ObjectId::of(&t.key) == id && t.key != *key)
    {
        let (cause, what) = if t.key.group != key.group {
            (Cause::ApiGroupChanged, "API group")
        } else {
            (Cause::ApiVersionChanged, "API version")
        };
        let versions = match cause {
            Cause::ApiGroupChanged => {
                "Helm 3.17.1+ and 4.x match objects by API group, so the old entry counts as removed; Helm ≤ 3.17.0 matched by kind only and kept it"
            }
            _ => {
                "only Helm 4.0.0–4.1.0 match by full group/version/kind and delete it; other versions keep it"
            }
        };
        return (
            cause,
            format!(
                "its {what} changed from {} to {}; the API server serves one object under both, so deleting the old entry deletes the object just patched ({versions}; rules used: {} — {})",
                key.api_version(),
                t.key.api_version(),
                profile.version,
                rule.describe()
            ),
        );
    }
    // Same kind and name under another API group that is a different resource (two CRDs
    // with one Kind): matched by group, the old one is removed (F6c).
    if let Some(t) = target.objects.iter().find(|t| {
        t.key.kind == key.kind
            && t.key.name == key.name
            && t.key.namespace == key.namespace
            && t.key.group != key.group
    }) {
        return (
            Cause::ApiGroupChanged,
            format!(
                "its API group changed from {} to {}, which serve a different resource (not one object under two groups), so the old one goes (rules used: {} — {})",
                key.api_version(),
                t.key.api_version(),
                profile.version,
                rule.describe()
            ),
        );
    }
    if let Operation::Rollback { target: t } = operation {
        let which = t.map_or("the rollback target".to_owned(), |t| {
            format!("revision {t}")
        });
        return (
            Cause::Rollback,
            format!("the rollback: {which} does not have it"),
        );
    }
    if let Some(t) = target.objects.iter().find(|t| {
        t.key.kind == key.kind && t.key.name == key.name && t.key.namespace != key.namespace
    }) {
        return (
            Cause::NamespaceChanged,
            format!(
                "it moved to namespace {}; Helm creates the new one first and deletes the old one at the end",
                t.key.namespace.as_deref().unwrap_or("(cluster)")
            ),
        );
    }
    if let Some(t) = renamed_to(key, source, base, target) {
        return (
            Cause::Renamed,
            format!(
                "renamed to {} (same template {}); Helm creates the new one and deletes the old one",
                t.key.name,
                source.unwrap_or("")
            ),
        );
    }
    if target.release.chart.templates.is_empty() && target.release.chart.metadata.name.is_empty() {
        // A candidate read from `helm template` output carries no chart: say only what is known.
        return (
            Cause::Removed,
            format!(
                "revision {} no longer renders it (the candidate carries no chart or values to tell why)",
                target.revision()
            ),
        );
    }
    let Some(template) = source.and_then(template_name) else {
        return (
            Cause::Removed,
            format!(
                "revision {} no longer renders it{}",
                target.revision(),
                if source.is_some_and(|s| s.contains("/charts/")) {
                    " (its template belongs to a subchart, which the record does not store)"
                } else {
                    ""
                }
            ),
        );
    };
    let Some(file) = target.release.chart.template(template) else {
        return (
            Cause::RemovedFromChart,
            format!(
                "its template {template} is not in chart {} any more",
                target.release.chart_label()
            ),
        );
    };
    let text = file.text().unwrap_or_default();
    if let Some(raw) = unknown_hook_value(&text) {
        return (
            Cause::UnknownHookEvent,
            format!(
                "its template now sets helm.sh/hook: {raw}, which names an event Helm 3/4 do not know, so Helm drops the document entirely"
            ),
        );
    }
    let changes = base
        .map(|b| changed_references(b.release, target.release, &text))
        .unwrap_or_default();
    if changes.is_empty() && target.objects.is_empty() {
        return (
            Cause::EmptyTarget,
            "the new manifest is empty, so every tracked object goes".into(),
        );
    }
    let because = if changes.is_empty() {
        "no value it reads changed in the stored values (subchart defaults, --set-file or lookups are not stored)".to_owned()
    } else {
        changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    (
        Cause::NotRendered,
        format!(
            "its template {template} rendered nothing in revision {}: {because}",
            target.revision()
        ),
    )
}

/// Why `t`, absent from `base`, is created.
pub fn creation_cause(
    t: &ManifestObject<'_>,
    base: Option<&RevisionView<'_>>,
    _target: &RevisionView<'_>,
) -> (Cause, String) {
    let Some(base) = base else {
        return (Cause::Added, "created by the install".into());
    };
    let id = ObjectId::of(&t.key);
    if let Some(h) = base
        .hooks
        .iter()
        .find(|h| ObjectId::of(&h.object.key) == id)
    {
        return (
            Cause::MovedFromHook,
            format!(
                "created: it was a hook in revision {} ({}) and is now a tracked object",
                base.revision(),
                h.hook.path
            ),
        );
    }
    if let Some(o) = base.objects.iter().find(|o| {
        o.key.kind == t.key.kind
            && o.key.name == t.key.name
            && o.key.namespace == t.key.namespace
            && o.key.group != t.key.group
            && ObjectId::of(&o.key) != id
    }) {
        return (
            Cause::ApiGroupChanged,
            format!(
                "created: same kind and name as before, but API group {} instead of {}: a different resource",
                t.key.api_version(),
                o.key.api_version()
            ),
        );
    }
    if let Some(o) = base.objects.iter().find(|o| {
        o.key.kind == t.key.kind && o.key.name == t.key.name && o.key.namespace != t.key.namespace
    }) {
        return (
            Cause::NamespaceChanged,
            format!(
                "created in its new namespace (was in {})",
                o.key.namespace.as_deref().unwrap_or("(cluster)")
            ),
        );
    }
    if let Some(o) = base.objects.iter().find(|o| {
        o.key.kind == t.key.kind
            && o.source.is_some()
            && o.source == t.source
            && o.key.name != t.key.name
    }) {
        return (
            Cause::Renamed,
            format!("created: renamed from {} (same template)", o.key.name),
        );
    }
    (Cause::Added, "created: new in this revision".into())
}

/// The object of `target` that replaces `key` under a new name: same kind and template, a
/// name the base did not have.
fn renamed_to<'t>(
    key: &ResourceKey,
    source: Option<&str>,
    base: Option<&RevisionView<'_>>,
    target: &'t RevisionView<'t>,
) -> Option<&'t ManifestObject<'t>> {
    let source = source?;
    target.objects.iter().find(|t| {
        t.key.kind == key.kind
            && t.source == Some(source)
            && t.key.name != key.name
            && base.is_none_or(|b| b.object(&t.key).is_none())
    })
}

/// A literal `helm.sh/hook:` value in a template that Helm would drop.
fn unknown_hook_value(template: &str) -> Option<String> {
    for line in template.lines() {
        let Some(rest) = line.trim_start().strip_prefix("helm.sh/hook:") else {
            continue;
        };
        let raw = rest.trim().trim_matches(['"', '\'']);
        if raw.contains("{{") {
            continue;
        }
        if let HookClass::Dropped { .. } = classify_hook(Some(raw)) {
            return Some(raw.to_owned());
        }
    }
    None
}
