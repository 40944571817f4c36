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
/// with the user-supplied values (`config`) merged over them. Subchart defaults are not
/// stored, so they are missing here.
pub fn effective_values(release: &Release) -> Value {
    let mut merged = release.chart.values.clone();
    if merged.is_null() {
        merged = Value::Object(Default::default());
    }
    coalesce(&mut merged, &release.config);
    merged
}

fn coalesce(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        coalesce(existing, v)
                    }
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) if !o.is_null() => *b = o.clone(),
        _ => {}
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
