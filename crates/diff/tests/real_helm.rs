//! Evidence: replaying the records real Helm wrote must predict what the API server saw.
//!
//! For every step of every scenario in tests/fixtures/real-helm (Helm 3.17.3 CLI, Helm 4.3
//! with server-side and client-side apply), the records after the step are replayed and
//! - the expected presence of every object must equal what `exists.txt` observed, and
//! - the ordered creations and deletions of the last step must equal those in
//!   `api-calls.txt` (the kube-apiserver audit log).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use helm_why_diff::{Action, ReplayOptions, replay, resource_name};
use helm_why_release::{Limits, history::group, input::read_input};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real-helm")
}

fn step_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for run in ["cli-v3.17.3", "ssa", "csa"] {
        let Ok(scenarios) = std::fs::read_dir(fixtures().join(run)) else {
            continue;
        };
        for scenario in scenarios.flatten() {
            for step in std::fs::read_dir(scenario.path()).unwrap().flatten() {
                if step.file_name().to_string_lossy().starts_with("step") {
                    out.push(step.path());
                }
            }
        }
    }
    out.sort();
    out
}

/// `(create|delete, resource, name)` for every successful create (201, including SSA
/// apply-creates) and delete of a non-record object, in order.
fn api_changes(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(v) = tokens
            .iter()
            .position(|t| ["get", "list", "create", "delete", "patch", "update"].contains(t))
        else {
            continue;
        };
        let verb = tokens[v];
        let resource = tokens.get(v + 2).copied().unwrap_or("");
        let name = tokens
            .iter()
            .find_map(|t| t.strip_prefix("name="))
            .unwrap_or("");
        let code = tokens
            .iter()
            .position(|t| *t == "->")
            .and_then(|i| tokens.get(i + 1))
            .copied()
            .unwrap_or("");
        if resource == "secrets" || resource.is_empty() {
            continue;
        }
        let change = match (verb, code) {
            ("create" | "patch" | "update", "201") => "create",
            ("delete", "200" | "202") => "delete",
            _ => continue,
        };
        out.push((change.to_owned(), resource.to_owned(), name.to_owned()));
    }
    out
}

#[test]
fn every_real_step_is_predicted() {
    let steps = step_dirs();
    assert!(
        steps.len() >= 15,
        "expected the real-helm fixtures, found {} steps",
        steps.len()
    );
    let mut checked_objects = 0;
    for step in &steps {
        let bytes = std::fs::read(step.join("release-secrets.yaml")).unwrap();
        let out = read_input(&bytes, "release-secrets.yaml", &Limits::default());
        assert!(
            out.errors.is_empty(),
            "{}: {:?}",
            step.display(),
            out.errors
        );
        let history = group(out.records, out.errors).releases.remove(0);
        let r = replay(&history, &ReplayOptions::default());

        // Presence after the step.
        let exists = std::fs::read_to_string(step.join("exists.txt")).unwrap();
        for line in exists.lines().filter(|l| !l.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let (kind_name, state) = (words.next().unwrap(), words.next().unwrap());
            let (kind, name) = kind_name.split_once('/').unwrap();
            let key = r
                .objects
                .iter()
                .find(|k| k.kind.to_lowercase() == kind && k.name == name)
                .unwrap_or_else(|| {
                    panic!("{}: {kind_name} never seen by the replay", step.display())
                });
            let observed = state == "exists";
            assert_eq!(
                r.expected_present(key),
                Some(observed),
                "{}: {kind_name} observed {state}; replay events: {:#?}",
                step.display(),
                r.steps.last().unwrap().events
            );
            checked_objects += 1;
        }

        // Ordered creations and deletions of the last operation.
        let calls = std::fs::read_to_string(step.join("api-calls.txt")).unwrap();
        let expected = api_changes(&calls);
        let last = r.steps.last().unwrap();
        let predicted: Vec<(String, String, String)> = last
            .events
            .iter()
            .filter_map(|e| {
                let change = match e.action {
                    Action::Create | Action::HookCreate => "create",
                    Action::Delete | Action::HookDelete => "delete",
                    _ => return None,
                };
                let resource = resource_name(&e.object);
                let resource = resource.split('.').next().unwrap_or("").to_owned();
                Some((change.to_owned(), resource, e.object.name.clone()))
            })
            .collect();
        assert_eq!(
            predicted,
            expected,
            "{}: events {:#?}",
            step.display(),
            last.events
        );
    }
    assert!(
        checked_objects >= 30,
        "only {checked_objects} objects checked"
    );
    eprintln!("checked {} steps, {checked_objects} objects", steps.len());
}
