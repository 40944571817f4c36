//! The candidate revision of a planned upgrade, read from what Helm prints before upgrading:
//! `helm template` output, the text of `helm upgrade --dry-run`, or its `-o json` release.

use crate::error::{DecodeError, Layer, RecordRef};
use crate::manifest::{DocumentProblem, split_rendered};
use crate::model::{Hook, Release, parse_release_json};

/// Which form the candidate was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CandidateFormat {
    /// `helm template` output: hooks and objects mixed, classified here by `helm.sh/hook`.
    Template,
    /// The text of `helm upgrade --dry-run`: `HOOKS:` and `MANIFEST:` sections.
    DryRunText,
    /// `helm upgrade --dry-run -o json` (or any release JSON): Helm already classified it.
    ReleaseJson,
}

/// What a planned upgrade would store as its new revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The form it was read from.
    pub format: CandidateFormat,
    /// The manifest Helm would store (tracked objects).
    pub manifest: String,
    /// The hooks Helm would store.
    pub hooks: Vec<Hook>,
    /// Documents Helm would drop for an unknown hook event: (template path, annotation value).
    pub dropped: Vec<(Option<String>, String)>,
    /// Documents that could not be parsed.
    pub problems: Vec<DocumentProblem>,
    /// The whole release, when the input was release JSON (chart and values included).
    pub release: Option<Release>,
}

/// Read a candidate, detecting its form from the content.
///
/// ```
/// use helm_why_release::candidate::{parse_candidate, CandidateFormat};
/// let text = "Release \"web\" has been upgraded. Happy Helming!\nNAME: web\nHOOKS:\n---\n# Source: web/templates/job.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\nMANIFEST:\n---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n\nNOTES:\nThanks\n";
/// let c = parse_candidate(text, "dry-run.txt").unwrap();
/// assert_eq!(c.format, CandidateFormat::DryRunText);
/// assert_eq!(c.hooks[0].name, "migrate");
/// assert!(c.manifest.contains("name: web") && !c.manifest.contains("Thanks"));
/// ```
///
/// Empty input, or input with only comments and separators, is an empty candidate (an
/// upgrade that deletes everything).
///
/// # Errors
/// Release JSON that does not parse, or input none of whose documents can be read.
pub fn parse_candidate(text: &str, origin: &str) -> Result<Candidate, DecodeError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    // A Kubernetes object or a `v1 List` of objects given as JSON is a manifest, not a release.
    let objects = if trimmed.starts_with('{') {
        kubernetes_json_documents(trimmed).map_err(|detail| {
            DecodeError::new(
                RecordRef::file(origin),
                Layer::Json,
                format!("not valid JSON: {detail}"),
            )
        })?
    } else {
        None
    };
    let objects_text;
    let trimmed = match objects {
        Some(docs) => {
            objects_text = docs;
            objects_text.as_str()
        }
        None => trimmed,
    };
    if trimmed.starts_with('{') {
        let not_a_release = |detail: String| {
            DecodeError::new(
                RecordRef::file(origin),
                Layer::Json,
                format!("not a release: {detail}"),
            )
        };
        let release = parse_release_json(trimmed.as_bytes()).map_err(not_a_release)?;
        // Any JSON object reads as a release with defaults: one without a name is some other
        // JSON, and taking it for an empty release would predict deleting everything.
        if release.name.is_empty() {
            return Err(not_a_release(
                "it has no `name` (as `helm upgrade --dry-run -o json` prints a release), nor `apiVersion` and `kind` (as a Kubernetes object has)".to_owned(),
            ));
        }
        return Ok(Candidate {
            format: CandidateFormat::ReleaseJson,
            manifest: release.manifest.clone(),
            hooks: release.hooks.clone(),
            dropped: Vec::new(),
            problems: Vec::new(),
            release: Some(release),
        });
    }
    let (format, rendered) = match dry_run_sections(trimmed) {
        Some(sections) => (CandidateFormat::DryRunText, sections),
        None => (CandidateFormat::Template, trimmed.to_owned()),
    };
    let split = split_rendered(&rendered);
    // A chart (or a post-renderer) that renders nothing is a candidate too: the upgrade
    // deletes every tracked object (helm-semantics.md §12). Only input of which nothing at
    // all could be read is refused.
    if split.manifest.is_empty()
        && split.hooks.is_empty()
        && split.dropped.is_empty()
        && let Some(p) = split.problems.first()
    {
        return Err(DecodeError::new(
            RecordRef::file(origin),
            Layer::Yaml,
            format!("no Kubernetes document could be read: {}", p.detail),
        ));
    }
    Ok(Candidate {
        format,
        manifest: split.manifest,
        hooks: split.hooks,
        dropped: split.dropped,
        problems: split.problems,
        release: None,
    })
}

/// When `json` is a Kubernetes object (`apiVersion` and `kind`, no release fields) or a List
/// of them, its objects as a YAML stream of JSON documents; `None` for other JSON; the
/// parser's error (which quotes nothing of the input) when it is not JSON.
fn kubernetes_json_documents(json: &str) -> Result<Option<String>, String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    Ok(objects_as_documents(&value))
}

/// [`kubernetes_json_documents`] of parsed JSON.
fn objects_as_documents(value: &serde_json::Value) -> Option<String> {
    let map = value.as_object()?;
    let kind = map.get("kind")?.as_str()?;
    if !map.contains_key("apiVersion") {
        return None;
    }
    let items: Vec<&serde_json::Value> = match map.get("items").and_then(|i| i.as_array()) {
        Some(items) if kind.ends_with("List") => items.iter().collect(),
        _ => vec![value],
    };
    let mut out = String::new();
    for item in items {
        out.push_str("---\n");
        out.push_str(&serde_json::to_string(item).ok()?);
        out.push('\n');
    }
    Some(out)
}

/// The `HOOKS:` and `MANIFEST:` sections of `helm upgrade --dry-run` text, joined; `None`
/// when there is no `MANIFEST:` line (then it is `helm template` output).
fn dry_run_sections(text: &str) -> Option<String> {
    #[derive(PartialEq)]
    enum Section {
        Header,
        Hooks,
        Manifest,
        Notes,
    }
    let mut section = Section::Header;
    let mut seen_manifest = false;
    let mut out = String::new();
    for line in text.lines() {
        match line.trim_end() {
            "HOOKS:" => section = Section::Hooks,
            "MANIFEST:" => {
                section = Section::Manifest;
                seen_manifest = true;
                // Hooks and manifest documents each start with `---`; keep them apart.
                out.push_str("---\n");
            }
            "NOTES:" if section != Section::Header => section = Section::Notes,
            _ if matches!(section, Section::Hooks | Section::Manifest) => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    seen_manifest.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kubernetes_object_in_json_is_a_manifest() {
        let cm =
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web"},"data":{"a":"b"}}"#;
        let c = parse_candidate(cm, "cm.json").unwrap();
        assert_eq!(c.format, CandidateFormat::Template);
        assert!(c.release.is_none());
        assert!(c.manifest.contains("\"name\":\"web\""), "{}", c.manifest);
        let list = format!(
            r#"{{"apiVersion":"v1","kind":"List","items":[{cm},{}]}}"#,
            r#"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"m","annotations":{"helm.sh/hook":"pre-upgrade"}}}"#
        );
        let c = parse_candidate(&list, "list.json").unwrap();
        assert_eq!(c.format, CandidateFormat::Template);
        assert_eq!(c.hooks.len(), 1);
        assert_eq!(c.hooks[0].name, "m");
        assert!(c.manifest.contains("ConfigMap"));
    }

    #[test]
    fn json_that_is_neither_a_release_nor_objects_is_refused() {
        // Taken for an empty release, these predicted an upgrade deleting everything.
        for other in [
            "{}",
            r#"{"foo": 1}"#,
            r#"{"metadata": {"name": "web"}, "data": {}}"#,
        ] {
            let err = parse_candidate(other, "c.json").unwrap_err().to_string();
            assert!(
                err.contains("not a release: it has no `name`"),
                "{other}: {err}"
            );
        }
        // Nested past the JSON reader's depth: the reader says so.
        let deep = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","data":{}1{}}}"#,
            r#"{"a":"#.repeat(200),
            "}".repeat(200)
        );
        let err = parse_candidate(&deep, "c.json").unwrap_err().to_string();
        assert!(
            err.contains("not valid JSON: recursion limit exceeded"),
            "{err}"
        );
        // A release as `helm upgrade --dry-run -o json` prints it still reads.
        let release = crate::builder::ReleaseBuilder::new("web", "shop", 2)
            .manifest_doc(
                "w/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
            )
            .to_json();
        let c = parse_candidate(&String::from_utf8_lossy(&release), "r.json").unwrap();
        assert!(c.manifest.contains("name: web"));
        assert_eq!(c.format, CandidateFormat::ReleaseJson);
    }
}
