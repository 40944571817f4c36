//! Why an object left (or entered) the manifest between two revisions.

use std::collections::BTreeMap;

use helm_why_release::manifest::{HookClass, classify_hook, manifest_objects};
use helm_why_release::{ManifestObject, Release, ResourceKey, ScopeResolver};
use serde_json::Value;

use crate::event::Cause;
use crate::ops::Operation;
use crate::profile::{MatchRule, Profile};
use crate::values::changed_references;
use crate::view::RevisionView;
use crate::world::same_id;

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
    // Became a hook of the new revision.
    if let Some(h) = target
        .hooks_named(key)
        .find(|h| same_id(&h.object.key, key))
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
        .objects_named(key)
        .find(|t| same_id(&t.key, key) && *t.key != *key)
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
    if let Some(t) = target
        .objects_of_kind_named(key)
        .find(|t| t.key.namespace == key.namespace && t.key.group != key.group)
    {
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
    if let Some(file) = crd_file_in_chart(key, target.release) {
        return (
            Cause::MovedToCrds,
            format!(
                "moved to crds/ ({file}): Helm installs crds/ only on install and never upgrades or deletes it, so the upgrade deleted it as a removed template"
            ),
        );
    }
    if let Some(t) = target
        .objects_of_kind_named(key)
        .find(|t| t.key.namespace != key.namespace)
    {
        return (
            Cause::NamespaceChanged,
            format!(
                "it moved to namespace {}; Helm creates the new one first and deletes the old one at the end",
                t.key.namespace.as_deref().unwrap_or("(cluster)")
            ),
        );
    }
    if let Some((t, evidence)) = base
        .and_then(|b| b.object(key))
        .and_then(|old| renamed_to(old, base, target))
    {
        return (
            Cause::Renamed,
            format!(
                "renamed to {} ({evidence}); Helm creates the new one and deletes the old one",
                t.key.name
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
    if let Some(flag) = install_flag(&text)
        && matches!(operation, Operation::Upgrade)
        && base.is_some_and(|b| rendered_as_install(b.release))
    {
        let also = if changes.is_empty() {
            String::new()
        } else {
            format!(
                " (values it reads changed too: {})",
                changes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return (
            Cause::InstallOnly,
            format!(
                "its template {template} reads {flag}: revision {} was rendered by an install, revision {} by an upgrade, which renders without it{also}",
                base.map_or(0, RevisionView::revision),
                target.revision()
            ),
        );
    }
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
    target: &RevisionView<'_>,
) -> (Cause, String) {
    let Some(base) = base else {
        return (Cause::Added, "created by the install".into());
    };
    if let Some(h) = base
        .hooks_named(&t.key)
        .find(|h| same_id(&h.object.key, &t.key))
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
    if let Some(o) = base
        .objects_named(&t.key)
        .find(|o| o.key.group != t.key.group && !same_id(&o.key, &t.key))
    {
        return (
            Cause::ApiGroupChanged,
            format!(
                "created: same kind and name as before, but API group {} instead of {}: a different resource",
                t.key.api_version(),
                o.key.api_version()
            ),
        );
    }
    if let Some(o) = base
        .objects_of_kind_named(&t.key)
        .find(|o| o.key.namespace != t.key.namespace)
    {
        return (
            Cause::NamespaceChanged,
            format!(
                "created in its new namespace (was in {})",
                o.key.namespace.as_deref().unwrap_or("(cluster)")
            ),
        );
    }
    if let Some((o, evidence)) = renamed_from(t, base, target) {
        return (
            Cause::Renamed,
            format!("created: renamed from {} ({evidence})", o.key.name),
        );
    }
    (Cause::Added, "created: new in this revision".into())
}

/// The object of `target` that replaces `old` under a new name (helm-semantics.md §9 F8).
///
/// A rename is claimed only with evidence: the new object is new to the base and not
/// explained otherwise (namespace move, API group change), `old` is gone from the target,
/// both come from the same template with the same kind, and their content is the same but
/// for the name ([`rename_evidence`]). Several equally good candidates claim nothing.
fn renamed_to<'t>(
    old: &ManifestObject<'_>,
    base: Option<&RevisionView<'_>>,
    target: &'t RevisionView<'t>,
) -> Option<(&'t ManifestObject<'t>, String)> {
    if removal_explained(&old.key, target) {
        return None;
    }
    // A rename keeps the template: only its objects can be the new one.
    let candidates = target.objects_from(old.source?).filter(|t| {
        base.is_none_or(|b| b.object(&t.key).is_none() && !creation_explained(&t.key, b))
    });
    best_pair(renames(candidates.map(|t| (t, old, t)))?)
}

/// A template renders at most this many new (or gone) objects for a rename to be told: past
/// it, comparing each with each would take minutes on a hostile 20 KB record, and so many
/// look-alikes would tie anyway.
const MAX_RENAME_CANDIDATES: usize = 64;

/// The rename evidence of each (item, old, new) pair, or `None` when there are more than
/// [`MAX_RENAME_CANDIDATES`].
fn renames<'o, T>(
    pairs: impl Iterator<Item = (T, &'o ManifestObject<'o>, &'o ManifestObject<'o>)>,
) -> Option<impl Iterator<Item = (T, (usize, String))>> {
    let pairs: Vec<_> = pairs.take(MAX_RENAME_CANDIDATES + 1).collect();
    (pairs.len() <= MAX_RENAME_CANDIDATES).then(|| {
        pairs
            .into_iter()
            .filter_map(|(item, old, new)| rename_evidence(old, new).map(|e| (item, e)))
    })
}

/// The object of `base` that `new` replaces under a new name (the same rules as
/// [`renamed_to`], seen from the new object).
fn renamed_from<'b>(
    new: &ManifestObject<'_>,
    base: &'b RevisionView<'b>,
    target: &RevisionView<'_>,
) -> Option<(&'b ManifestObject<'b>, String)> {
    if base.object(&new.key).is_some() || creation_explained(&new.key, base) {
        return None;
    }
    let candidates = base
        .objects_from(new.source?)
        .filter(|o| target.object(&o.key).is_none() && !removal_explained(&o.key, target));
    best_pair(renames(candidates.map(|o| (o, o, new)))?)
}

/// The candidate with the most fields in common, unless two share the best score.
fn best_pair<T>(pairs: impl Iterator<Item = (T, (usize, String))>) -> Option<(T, String)> {
    let mut best: Option<(T, usize, String)> = None;
    let mut tied = false;
    for (item, (score, text)) in pairs {
        match &best {
            Some((_, s, _)) if score < *s => {}
            Some((_, s, _)) if score == *s => tied = true,
            _ => {
                best = Some((item, score, text));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(item, _, text)| (item, text))
}

/// Whether `key` leaving `target` has another explanation: it became a hook, or it is still
/// there under another API group or namespace.
fn removal_explained(key: &ResourceKey, target: &RevisionView<'_>) -> bool {
    target.hooks_named(key).any(|h| same_id(&h.object.key, key)) || target.has_kind_named(key)
}

/// Whether `key` appearing has another explanation: the base had the same kind and name
/// under another API group or namespace, or as a hook.
fn creation_explained(key: &ResourceKey, base: &RevisionView<'_>) -> bool {
    base.hooks_named(key).any(|h| same_id(&h.object.key, key)) || base.has_kind_named(key)
}

/// The evidence that `new` is `old` renamed: same kind and group, same template, different
/// name, and at least 80% of the fields outside `metadata` equal — a field counts as equal
/// when it is, or becomes so once the old name in it reads as the new one (selectors and
/// labels often carry the name). Returns the number of equal fields (to rank candidates) and
/// the evidence in words.
fn rename_evidence(old: &ManifestObject<'_>, new: &ManifestObject<'_>) -> Option<(usize, String)> {
    let source = old.source?;
    if old.key.kind != new.key.kind
        || old.key.group != new.key.group
        || new.source != Some(source)
        || old.key.name == new.key.name
    {
        return None;
    }
    let mut before = BTreeMap::new();
    content_fields(&old.value, "", &mut before);
    let mut after = BTreeMap::new();
    content_fields(&new.value, "", &mut after);
    let same = after
        .iter()
        .filter(|(path, value)| {
            before.get(*path).is_some_and(|old_value| {
                old_value == *value || old_value.replace(&old.key.name, &new.key.name) == **value
            })
        })
        .count();
    let total = before.len().max(after.len());
    if total == 0 || same * 5 < total * 4 {
        return None;
    }
    Some((
        same,
        format!(
            "same kind and template {source}, and the same content but for the name: {same} of {total} fields equal"
        ),
    ))
}

/// Every leaf outside `metadata`, by path.
fn content_fields(value: &Value, path: &str, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if path.is_empty() && k == "metadata" {
                    continue;
                }
                content_fields(v, &format!("{path}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                content_fields(v, &format!("{path}/{i}"), out);
            }
        }
        Value::String(s) => {
            out.insert(path.to_owned(), s.clone());
        }
        other => {
            out.insert(path.to_owned(), other.to_string());
        }
    }
}

/// The `crds/` file of `release`'s chart that defines CustomResourceDefinition `key`.
fn crd_file_in_chart(key: &ResourceKey, release: &Release) -> Option<String> {
    if key.kind != "CustomResourceDefinition" {
        return None;
    }
    release
        .chart
        .files
        .iter()
        .filter(|f| f.name.starts_with("crds/"))
        .find(|f| {
            f.text().is_some_and(|text| {
                let (objects, _) = manifest_objects(&text, "", &ScopeResolver::builtin());
                objects
                    .iter()
                    .any(|o| o.key.kind == key.kind && o.key.name == key.name)
            })
        })
        .map(|f| f.name.clone())
}

/// `.Release.IsInstall` or `.Release.IsUpgrade`, when a template reads one: it renders
/// differently on install and on upgrade (`helm template` renders as an install).
pub fn install_flag(template: &str) -> Option<&'static str> {
    [".Release.IsInstall", ".Release.IsUpgrade"]
        .into_iter()
        .find(|flag| template.contains(flag))
}

/// Whether Helm rendered `release` as an install (`.Release.IsInstall` true): revision 1,
/// or an install that replaced an uninstalled or failed release (description `Install
/// complete` or `Initial install underway`, kept when later superseded).
fn rendered_as_install(release: &Release) -> bool {
    let desc = release.info.description.as_str();
    release.version <= 1
        || desc == "Install complete"
        || desc == "Initial install underway"
        || release.info.status == helm_why_release::Status::PendingInstall
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
