//! `plan` against real Helm: for every upgrade step of the real-helm scenarios, the candidate
//! is the next revision's manifest plus its hooks printed as `helm template` prints them; the
//! plan made from the records before the step must predict the creations and deletions the
//! API server saw during the step.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use helm_why_diff::{ChangeOp, ReplayOptions, plan};
use helm_why_release::candidate::parse_candidate;
use helm_why_release::{Info, Limits, Release, Status, history::group, input::read_input};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real-helm")
}

fn records(step: &Path) -> helm_why_release::History {
    let bytes = std::fs::read(step.join("release-secrets.yaml")).unwrap();
    let out = read_input(&bytes, "release-secrets.yaml", &Limits::default());
    group(out.records, out.errors).releases.remove(0)
}

/// The candidate as `helm template` would print it: hooks and manifest documents mixed.
fn template_output(release: &Release) -> String {
    let mut out = String::new();
    for h in &release.hooks {
        out.push_str(&format!(
            "---\n# Source: {}\n{}\n",
            h.path,
            h.manifest.trim_end()
        ));
    }
    out.push_str(&release.manifest);
    out
}

/// `(create|delete, resource, name)` of successful creates (201, SSA creates included) and
/// deletes of non-record objects, in audit-log order.
fn api_changes(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let t: Vec<&str> = line.split_whitespace().collect();
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

#[test]
fn plans_predict_every_real_upgrade() {
    let mut checked = 0;
    for run in ["cli-v3.17.3", "ssa", "csa"] {
        for scenario in std::fs::read_dir(fixtures().join(run)).unwrap().flatten() {
            let mut steps: Vec<PathBuf> = std::fs::read_dir(scenario.path())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("step"))
                .collect();
            steps.sort();
            for pair in steps.windows(2) {
                let before = records(&pair[0]);
                let after = records(&pair[1]);
                let next = after.latest().unwrap().release.clone();
                let candidate = parse_candidate(&template_output(&next), "template").unwrap();
                let release = Release {
                    name: next.name.clone(),
                    namespace: next.namespace.clone(),
                    version: next.version,
                    info: Info {
                        status: Status::PendingUpgrade,
                        ..Info::default()
                    },
                    manifest: candidate.manifest,
                    hooks: candidate.hooks,
                    apply_method: next.apply_method.clone(),
                    ..Release::default()
                };
                let p = plan(&before, &release, &ReplayOptions::default());
                assert_eq!(
                    p.base_revision,
                    Some(next.version - 1),
                    "{}",
                    pair[1].display()
                );
                let predicted: Vec<(String, String, String)> = p
                    .changes
                    .iter()
                    .filter_map(|c| {
                        let change = match c.op {
                            ChangeOp::Create | ChangeOp::HookCreate => "create",
                            ChangeOp::Delete | ChangeOp::HookDelete => "delete",
                            _ => return None,
                        };
                        let resource = helm_why_diff::resource_name(&c.object);
                        let resource = resource.split('.').next().unwrap_or("").to_owned();
                        Some((change.to_owned(), resource, c.object.name.clone()))
                    })
                    .collect();
                let calls = std::fs::read_to_string(pair[1].join("api-calls.txt")).unwrap();
                assert_eq!(
                    predicted,
                    api_changes(&calls),
                    "{}: {:#?}",
                    pair[1].display(),
                    p.changes
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 12, "only {checked} upgrades planned");
}
