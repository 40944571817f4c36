//! Which values a template reads, and which of them changed between two revisions: the
//! evidence for "this template rendered nothing because `.Values.x.enabled` went false".

use std::collections::{BTreeMap, BTreeSet};

use helm_why_release::Release;
use helm_why_release::redact::Redactor;
use serde_json::Value;

/// `.Values.a.b` paths a template text references (`a.b`), by scanning for `.Values.`.
///
/// ```
/// let t = "{{- if .Values.extra.enabled }}\nname: {{ $.Values.name | quote }}{{ end }}";
/// let refs = helm_why_diff::values::referenced_paths(t);
/// assert_eq!(refs.into_iter().collect::<Vec<_>>(), vec!["extra.enabled", "name"]);
/// ```
pub fn referenced_paths(template: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(i) = rest.find(".Values.") {
        let after = &rest[i + ".Values.".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(after.len());
        let path = after[..end].trim_end_matches('.');
        if !path.is_empty() {
            out.insert(path.to_owned());
        }
        rest = &after[end..];
    }
    out
}

/// The values a revision rendered with, as far as the record tells: the chart's defaults
/// with the user-supplied values (`config`) coalesced over them, as `helm get values --all`
/// computes them ([`coalesce_values`]). Subchart defaults are not stored in records (Helm
/// does not serialise a chart's dependencies), so they are missing here as they are there.
pub fn effective_values(release: &Release) -> Value {
    coalesce_values(&release.chart.values, &release.config)
}

/// Helm's `chartutil.CoalesceValues` for one chart (helm/helm `pkg/chartutil/coalesce.go`:
/// `coalesceValues` and `CoalesceTables`): the user's values win; maps are merged key by key,
/// deeply; scalars and lists are replaced whole; a user's `null` deletes the default's key; a
/// map never replaces a non-map or the reverse (the user's side is kept, Helm only logs it).
///
/// ```
/// use serde_json::json;
/// let defaults = json!({"image": {"repo": "nginx", "tag": "1.0"}, "replicas": 1,
///     "probe": {"path": "/"}, "ports": [80, 443]});
/// let user = json!({"image": {"tag": "2.0"}, "probe": null, "ports": [8080], "extra": true});
/// assert_eq!(helm_why_diff::values::coalesce_values(&defaults, &user), json!({
///     "image": {"repo": "nginx", "tag": "2.0"}, "replicas": 1, "ports": [8080], "extra": true}));
/// ```
pub fn coalesce_values(defaults: &Value, user: &Value) -> Value {
    let mut out = match user {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    let Value::Object(defaults) = defaults else {
        return Value::Object(out);
    };
    for (key, default) in defaults {
        match out.get_mut(key) {
            // `coalesceValues`: the user's null removes the key.
            Some(Value::Null) => {
                out.remove(key);
            }
            Some(Value::Object(mine)) => {
                if let Value::Object(theirs) = default {
                    coalesce_tables(mine, theirs);
                }
            }
            Some(_) => {}
            None => {
                out.insert(key.clone(), default.clone());
            }
        }
    }
    Value::Object(out)
}

/// `CoalesceTables(dst, src)`: `dst` (the user's) is authoritative.
fn coalesce_tables(dst: &mut serde_json::Map<String, Value>, src: &serde_json::Map<String, Value>) {
    for (key, default) in src {
        match dst.get_mut(key) {
            Some(Value::Null) => {
                dst.remove(key);
            }
            None => {
                dst.insert(key.clone(), default.clone());
            }
            Some(Value::Object(mine)) => {
                if let Value::Object(theirs) = default {
                    coalesce_tables(mine, theirs);
                }
            }
            Some(_) => {}
        }
    }
}

/// Leaf paths of a values tree (`a.b.c` → value); arrays are leaves.
pub fn flatten(v: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    flatten_into(v, String::new(), &mut out);
    out
}

fn flatten_into(v: &Value, prefix: String, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(child, path, out);
            }
        }
        other => {
            if !prefix.is_empty() {
                out.insert(prefix, other.clone());
            }
        }
    }
}

/// A value that changed between two revisions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValueChange {
    /// `a.b.c`.
    pub path: String,
    /// Before (`None`: unset).
    pub before: Option<String>,
    /// After (`None`: unset).
    pub after: Option<String>,
}

impl std::fmt::Display for ValueChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".to_owned());
        write!(
            f,
            ".Values.{}: {} → {}",
            self.path,
            show(&self.before),
            show(&self.after)
        )
    }
}

/// Values that changed between `old` and `new` and that `template` references (a change
/// under a referenced path, or of a parent of one, counts).
pub fn changed_references(old: &Release, new: &Release, template: &str) -> Vec<ValueChange> {
    let refs = referenced_paths(template);
    if refs.is_empty() {
        return Vec::new();
    }
    let a = flatten(&effective_values(old));
    let b = flatten(&effective_values(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let related = |path: &str| {
        refs.iter().any(|r| {
            path == r || path.starts_with(&format!("{r}.")) || r.starts_with(&format!("{path}."))
        })
    };
    let changed: Vec<&String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k) && related(k))
        .collect();
    if changed.is_empty() {
        return Vec::new();
    }
    // Messages are pasted into tickets: secret values never appear in them, whatever the
    // output flags (`get values --show-secrets` shows them).
    let redactor = Redactor::for_releases([old, new]);
    let shown = |k: &str, v: &Value| redactor.value_text(k, v).unwrap_or_else(|| render(v));
    changed
        .into_iter()
        .map(|k| ValueChange {
            path: k.clone(),
            before: a.get(k).map(|v| shown(k, v)),
            after: b.get(k).map(|v| shown(k, v)),
        })
        .collect()
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helm_why_release::builder::ReleaseBuilder;
    use serde_json::json;

    #[test]
    fn coalescing_follows_helm() {
        let defaults = json!({
            "a": {"b": {"c": 1, "d": 2}, "e": [1, 2]},
            "table": {"x": 1},
            "scalar": "s",
            "nulled": {"deep": {"gone": 1, "kept": 2}},
        });
        let user = json!({
            "a": {"b": {"d": 3}},
            "table": "not a table",
            "scalar": {"now": "a table"},
            "nulled": {"deep": {"gone": null}},
            "mine": null,
        });
        assert_eq!(
            coalesce_values(&defaults, &user),
            json!({
                "a": {"b": {"c": 1, "d": 3}, "e": [1, 2]},
                // Neither side replaces a table with a non-table: the user's is kept.
                "table": "not a table",
                "scalar": {"now": "a table"},
                // A null deletes the default, at any depth.
                "nulled": {"deep": {"kept": 2}},
                // A null the defaults do not have stays.
                "mine": null,
            })
        );
        // No defaults, no user values.
        assert_eq!(coalesce_values(&Value::Null, &Value::Null), json!({}));
        assert_eq!(
            coalesce_values(&json!({"a": 1}), &Value::Null),
            json!({"a": 1})
        );
        // A top-level null removes a default table whole.
        assert_eq!(
            coalesce_values(&json!({"a": {"b": 1}, "c": 2}), &json!({"a": null})),
            json!({"c": 2})
        );
    }

    #[test]
    fn toggled_value_is_found() {
        let old = ReleaseBuilder::new("w", "n", 1)
            .chart_values(json!({"extra": {"enabled": true}, "other": 1}))
            .build();
        let new = ReleaseBuilder::new("w", "n", 2)
            .chart_values(json!({"extra": {"enabled": true}, "other": 2}))
            .config(json!({"extra": {"enabled": false}}))
            .build();
        let changes = changed_references(&old, &new, "{{ if .Values.extra.enabled }}x{{ end }}");
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].to_string(),
            ".Values.extra.enabled: true → false"
        );
    }

    #[test]
    fn secret_values_are_redacted_in_changes() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  dsn: {{ .Values.db.url }}\n";
        let rev = |n, pw: &str, url: &str| {
            ReleaseBuilder::new("w", "n", n)
                .config(json!({"auth": {"password": pw}, "db": {"url": url}}))
                .manifest_doc(
                    "w/templates/s.yaml",
                    &secret.replace("{{ .Values.db.url }}", url),
                )
                .build()
        };
        let (old, new) = (
            rev(1, "MARK-PW-1", "MARK-URL-1"),
            rev(2, "MARK-PW-2", "MARK-URL-2"),
        );
        let changes = changed_references(
            &old,
            &new,
            "{{ .Values.auth.password }} {{ .Values.db.url }}",
        );
        let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                ".Values.auth.password: <redacted> → <redacted>",
                ".Values.db.url: <redacted> → <redacted>"
            ]
        );
    }
}
