//! Reading the real-helm evidence: the records after a step and the API server's audit log.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use helm_why_diff::{Event, resource_name};
use helm_why_release::{History, Limits, ResourceKey, history::group, input::read_input};

/// `tests/fixtures/real-helm` of the workspace.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real-helm")
}

/// Every `stepN-*` folder of one scenario, in order.
pub fn steps(scenario: &Path) -> Vec<PathBuf> {
    let mut steps: Vec<PathBuf> = std::fs::read_dir(scenario)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("step"))
        .collect();
    steps.sort();
    steps
}

/// Every scenario folder of every run (`cli-v3.17.3`, `ssa`, `csa`), sorted.
pub fn scenarios() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for run in ["cli-v3.17.3", "ssa", "csa"] {
        let Ok(entries) = std::fs::read_dir(fixtures().join(run)) else {
            continue;
        };
        out.extend(entries.flatten().map(|e| e.path()));
    }
    out.sort();
    out
}

/// The release history stored after a step.
pub fn history_after(step: &Path) -> History {
    let bytes = std::fs::read(step.join("release-secrets.yaml")).unwrap();
    let out = read_input(&bytes, "release-secrets.yaml", &Limits::default());
    assert!(
        out.errors.is_empty(),
        "{}: {:?}",
        step.display(),
        out.errors
    );
    group(out.records, out.errors).releases.remove(0)
}

/// A change the API server saw: (`create` | `delete`, resource plural, name).
pub type ApiChange = (String, String, String);

/// Every successful create (201, SSA apply-creates included) and delete of a non-record object
/// in a step's `api-calls.txt`, in order.
pub fn api_changes(step: &Path) -> Vec<ApiChange> {
    let text = std::fs::read_to_string(step.join("api-calls.txt")).unwrap();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let t: Vec<&str> = line.split_whitespace().collect();
        // Helm 3.17.3's log starts lines with a time; find the verb.
        let Some(v) = t
            .iter()
            .position(|x| ["get", "list", "create", "delete", "patch", "update"].contains(x))
        else {
            continue;
        };
        let resource = t.get(v + 2).copied().unwrap_or("");
        let name = t.iter().find_map(|x| x.strip_prefix("name=")).unwrap_or("");
        let code = t
            .iter()
            .position(|x| *x == "->")
            .and_then(|i| t.get(i + 1))
            .copied()
            .unwrap_or("");
        if resource == "secrets" || resource.is_empty() {
            continue;
        }
        let change = match (t[v], code) {
            ("create" | "patch" | "update", "201") => "create",
            ("delete", "200" | "202") => "delete",
            _ => continue,
        };
        out.push((change.to_owned(), resource.to_owned(), name.to_owned()));
    }
    out
}

/// The same shape for a predicted change of `object`.
pub fn predicted(change: &str, object: &ResourceKey) -> ApiChange {
    let resource = resource_name(object);
    let plural = resource.split('.').next().unwrap_or("").to_owned();
    (change.to_owned(), plural, object.name.clone())
}

/// Events that create or delete something, as API changes.
pub fn event_changes(events: &[Event]) -> Vec<ApiChange> {
    use helm_why_diff::Action;
    events
        .iter()
        .filter_map(|e| match e.action {
            Action::Create | Action::HookCreate => Some(predicted("create", &e.object)),
            Action::Delete | Action::HookDelete => Some(predicted("delete", &e.object)),
            _ => None,
        })
        .collect()
}
