//! Decode the records real Helm wrote (`tests/fixtures/real-helm`) and check every fact the
//! runs recorded: `SUMMARY.txt`, `helm history` as Helm printed it, the charts used, and the
//! hook conversion of scenario S1 (A1 for the Helm 3.17.3 CLI).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use helm_why_release::history::{self, Histories};
use helm_why_release::input::read_input;
use helm_why_release::manifest::{self, hook_object, manifest_objects};
use helm_why_release::{
    Driver, HookDeletePolicy, HookEvent, Limits, Record, ResourceKey, ScopeResolver, codec,
};
use serde_json::{Value, json};

/// `tests/fixtures/real-helm` at the root of the workspace.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real-helm")
}

/// One scenario folder and what is known about it independently of the records.
struct Scenario {
    /// Folder under `real-helm/`.
    dir: &'static str,
    release: &'static str,
    namespace: &'static str,
    /// `apply_method` written in every record (`None`: Helm 3, which writes none).
    apply_method: Option<&'static str>,
    /// The chart folder (`charts/<v>`) used for revision 1, 2, 3.
    charts: &'static [&'static str],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        dir: "cli-v3.17.3/A1",
        release: "a1",
        namespace: "h3173",
        apply_method: None,
        charts: &["v1", "v2", "v2"],
    },
    Scenario {
        dir: "ssa/S1",
        release: "s1",
        namespace: "demo",
        apply_method: Some("ssa"),
        charts: &["v1", "v2", "v2"],
    },
    Scenario {
        dir: "ssa/S4",
        release: "s4",
        namespace: "demo",
        apply_method: Some("ssa"),
        charts: &["v1", "v1"],
    },
    Scenario {
        dir: "ssa/S4b",
        release: "s4b",
        namespace: "demo",
        apply_method: Some("ssa"),
        charts: &["v1", "v1", "v1"],
    },
    Scenario {
        dir: "csa/S1",
        release: "s1",
        namespace: "demo-csa",
        apply_method: Some("csa"),
        charts: &["v1", "v2", "v2"],
    },
    Scenario {
        dir: "csa/S4",
        release: "s4",
        namespace: "demo-csa",
        apply_method: Some("csa"),
        charts: &["v1", "v1"],
    },
    Scenario {
        dir: "csa/S4b",
        release: "s4b",
        namespace: "demo-csa",
        apply_method: Some("csa"),
        charts: &["v1", "v1", "v1"],
    },
];

fn scenario(dir: &str) -> &'static Scenario {
    SCENARIOS
        .iter()
        .find(|s| s.dir == dir)
        .unwrap_or_else(|| panic!("no scenario {dir}"))
}

/// One revision as `SUMMARY.txt` lists it: `(1, 'superseded', 'Install complete')`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    revision: u64,
    status: String,
    description: String,
}

/// The `releases=` line of every step of a `SUMMARY.txt`, in step order. Both forms occur:
/// `releases=[(1, 'deployed', 'Install complete')]` (library runs) and
/// `releases={'a1': [(1, 'deployed', 'Install complete')]}` (CLI runs).
fn parse_summary(text: &str) -> Vec<(String, Vec<Expected>)> {
    let mut steps: Vec<(String, Vec<Expected>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with("step") {
            let name = line.split_whitespace().next().unwrap_or_default();
            steps.push((name.to_owned(), Vec::new()));
        } else if let Some(rest) = line.trim_start().strip_prefix("releases=") {
            let (_, revisions) = steps.last_mut().expect("releases= before any step");
            assert!(revisions.is_empty(), "two releases= lines in one step");
            *revisions = parse_tuples(rest);
            assert!(!revisions.is_empty(), "no revision parsed from {rest:?}");
        }
    }
    steps
}

/// Every `(int, 'str', 'str')` in a Python repr.
fn parse_tuples(text: &str) -> Vec<Expected> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        rest = &rest[open + 1..];
        let comma = rest.find(',').expect("revision followed by a comma");
        let revision = rest[..comma].trim().parse().expect("revision number");
        rest = &rest[comma + 1..];
        let (status, after) = python_string(rest);
        let after = after
            .trim_start()
            .strip_prefix(',')
            .expect("comma after status");
        let (description, after) = python_string(after);
        rest = after
            .trim_start()
            .strip_prefix(')')
            .expect("closing parenthesis");
        out.push(Expected {
            revision,
            status,
            description,
        });
    }
    out
}

/// A Python string literal (`'…'` or `"…"`, backslash escapes) at the start of `text`.
fn python_string(text: &str) -> (String, &str) {
    let text = text.trim_start();
    let quote = text.chars().next().expect("a string");
    assert!(quote == '\'' || quote == '"', "not a string: {text:?}");
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next().expect("escape");
                value.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            c if c == quote => return (value, &text[i + 1..]),
            c => value.push(c),
        }
    }
    panic!("unterminated string: {text:?}")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decode one step's `release-secrets.yaml`, asserting nothing was left aside.
fn decode_step(dir: &str, step: &str) -> Histories {
    let path = fixtures().join(dir).join(step).join("release-secrets.yaml");
    let origin = format!("{dir}/{step}/release-secrets.yaml");
    let out = read_input(&read(&path), &origin, &Limits::default());
    assert!(out.errors.is_empty(), "{origin}: {:?}", out.errors);
    assert!(out.ignored.is_empty(), "{origin}: {:?}", out.ignored);
    history::group(out.records, out.errors)
}

/// The single history of a step, checked for being whole and consistent.
fn single_history<'a>(histories: &'a Histories, s: &Scenario, step: &str) -> &'a history::History {
    let what = format!("{}/{step}", s.dir);
    assert!(histories.unattributed.is_empty(), "{what}");
    assert_eq!(histories.releases.len(), 1, "{what}: one release per file");
    let h = &histories.releases[0];
    assert_eq!(h.id.namespace, s.namespace, "{what}");
    assert_eq!(h.id.name, s.release, "{what}");
    assert_eq!(
        h.findings,
        vec![],
        "{what}: real Helm records raise no finding"
    );
    assert!(h.missing.is_empty(), "{what}");
    assert!(h.undecodable.is_empty(), "{what}");
    h
}

/// `charts/<v>/Chart.yaml` of a scenario, parsed.
fn chart_yaml(s: &Scenario, folder: &str) -> Value {
    let path = fixtures()
        .join(s.dir)
        .join("charts")
        .join(folder)
        .join("Chart.yaml");
    let text = String::from_utf8(read(&path)).expect("UTF-8 Chart.yaml");
    manifest::parse_yaml(&text).expect("Chart.yaml parses")
}

fn step_dirs(s: &Scenario) -> Vec<String> {
    let mut steps: Vec<String> = std::fs::read_dir(fixtures().join(s.dir))
        .expect("scenario folder")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .into_string()
                .expect("name")
        })
        .filter(|n| n.starts_with("step"))
        .collect();
    steps.sort();
    steps
}

#[test]
fn every_step_folder_is_known_and_listed_in_its_summary() {
    let mut found = BTreeSet::new();
    for mode in std::fs::read_dir(fixtures()).expect("fixtures") {
        let mode = mode.expect("entry").path();
        if !mode.is_dir() {
            continue;
        }
        for scen in std::fs::read_dir(&mode).expect("mode folder") {
            let scen = scen.expect("entry").path();
            let rel = scen
                .strip_prefix(fixtures())
                .expect("under fixtures")
                .to_string_lossy()
                .replace('\\', "/");
            for step in step_dirs(scenario(&rel)) {
                assert!(
                    scen.join(&step).join("release-secrets.yaml").is_file(),
                    "{rel}/{step}"
                );
                found.insert(format!("{rel}/{step}"));
            }
        }
    }
    let mut listed = BTreeSet::new();
    for s in SCENARIOS {
        let summary = String::from_utf8(read(&fixtures().join(s.dir).join("SUMMARY.txt")))
            .expect("UTF-8 summary");
        for (step, _) in parse_summary(&summary) {
            listed.insert(format!("{}/{step}", s.dir));
        }
    }
    assert_eq!(found, listed);
    // A1 ×3, S1 ×3, S4 ×2, S4b ×3 in both ssa and csa.
    assert_eq!(found.len(), 19, "{found:?}");
}

#[test]
fn summary_parser_reads_both_forms() {
    let library = "step2-upgrade exit=0 {\n  releases=[(1, 'superseded', 'Install complete'), (2, \"failed\", 'Upgrade \"x\" failed: it\\'s gone')]\n";
    assert_eq!(
        parse_summary(library),
        vec![(
            "step2-upgrade".to_owned(),
            vec![
                Expected {
                    revision: 1,
                    status: "superseded".into(),
                    description: "Install complete".into()
                },
                Expected {
                    revision: 2,
                    status: "failed".into(),
                    description: "Upgrade \"x\" failed: it's gone".into()
                },
            ]
        )]
    );
    let cli = "step1-install [h upgrade] exit=0 (0.2s)\n  releases={'a1': [(1, 'deployed', 'Install complete')]}\n";
    assert_eq!(parse_summary(cli)[0].1.len(), 1);
}

#[test]
fn every_step_decodes_to_the_revisions_in_summary() {
    let mut revisions_checked = 0;
    for s in SCENARIOS {
        let summary = String::from_utf8(read(&fixtures().join(s.dir).join("SUMMARY.txt")))
            .expect("UTF-8 summary");
        let steps = parse_summary(&summary);
        assert_eq!(steps.len(), step_dirs(s).len(), "{}", s.dir);
        for (step, expected) in steps {
            let histories = decode_step(s.dir, &step);
            let h = single_history(&histories, s, &step);
            let what = format!("{}/{step}", s.dir);
            assert_eq!(h.revisions.len(), expected.len(), "{what}");
            for (record, want) in h.revisions.iter().zip(&expected) {
                let rel = &record.release;
                let what = format!("{what} rev {}", want.revision);
                assert_eq!(rel.version, want.revision, "{what}");
                assert_eq!(rel.info.status.as_str(), want.status, "{what}");
                assert_eq!(rel.info.description, want.description, "{what}");
                assert_eq!(rel.name, s.release, "{what}");
                assert_eq!(rel.namespace, s.namespace, "{what}");
                assert_eq!(
                    rel.apply_method.as_ref().map(|m| m.as_str()),
                    s.apply_method,
                    "{what}"
                );
                assert_eq!(rel.written_by_helm4(), s.apply_method.is_some(), "{what}");
                assert_eq!(rel.info.deleted, None, "{what}: nothing was uninstalled");
                assert!(
                    rel.info
                        .last_deployed
                        .as_ref()
                        .and_then(|t| t.unix())
                        .is_some()
                );
                assert!(
                    rel.info
                        .first_deployed
                        .as_ref()
                        .and_then(|t| t.unix())
                        .is_some()
                );

                let chart_dir = s.charts[usize::try_from(rel.version - 1).expect("small")];
                let chart = chart_yaml(s, chart_dir);
                let meta = &rel.chart.metadata;
                assert_eq!(meta.name, chart["name"].as_str().expect("name"), "{what}");
                assert_eq!(
                    meta.version,
                    chart["version"].as_str().expect("v"),
                    "{what}"
                );
                assert_eq!(meta.app_version, chart["appVersion"].as_str().expect("a"));
                assert_eq!(meta.api_version, "v2", "{what}");
                assert!(!rel.chart.templates.is_empty(), "{what}");

                let m = &record.meta;
                assert_eq!(m.driver, Driver::Secret, "{what}");
                assert_eq!(m.base64_layers, 2, "{what}: Helm's layer plus the API's");
                assert!(m.gzipped, "{what}");
                let object = format!("sh.helm.release.v1.{}.v{}", s.release, want.revision);
                assert_eq!(m.object_name.as_deref(), Some(object.as_str()), "{what}");
                assert_eq!(m.namespace.as_deref(), Some(s.namespace), "{what}");
                assert_eq!(m.labels.get("owner").map(String::as_str), Some("helm"));
                assert_eq!(m.labels.get("status"), Some(&want.status), "{what}");
                revisions_checked += 1;
            }
            // Times: one install time carried forward, operations in order.
            let first = &h.revisions[0].release.info;
            for pair in h.revisions.windows(2) {
                let (a, b) = (&pair[0].release.info, &pair[1].release.info);
                assert_eq!(b.first_deployed, first.first_deployed, "{what}");
                assert!(b.last_deployed > a.last_deployed, "{what}");
            }
        }
    }
    // 3+6+2+3 revisions per mode for S1/S4/S4b and A1's 1+2+3.
    assert_eq!(
        revisions_checked,
        6 + 2 * (6 + 3 + 6),
        "{revisions_checked}"
    );
}

#[test]
fn a_revision_reads_the_same_in_every_later_step() {
    // Helm rewrites older records only to change their status (and `modifiedAt`).
    for s in SCENARIOS {
        let steps = step_dirs(s);
        let last = decode_step(s.dir, steps.last().expect("a step"));
        let last = single_history(&last, s, "last step");
        for step in &steps {
            let earlier = decode_step(s.dir, step);
            for record in &single_history(&earlier, s, step).revisions {
                let later = last.revision(record.release.version).expect("still there");
                let (a, b) = (&record.release, &later.release);
                assert_eq!(a.manifest, b.manifest, "{}/{step}", s.dir);
                assert_eq!(a.hooks, b.hooks, "{}/{step}", s.dir);
                assert_eq!(a.config, b.config, "{}/{step}", s.dir);
                assert_eq!(a.chart, b.chart, "{}/{step}", s.dir);
                assert_eq!(a.info.last_deployed, b.info.last_deployed);
            }
        }
    }
}

#[test]
fn helm_history_table_agrees_with_the_decoded_records() {
    let mut rows_checked = 0;
    for s in SCENARIOS {
        for step in step_dirs(s) {
            let table = fixtures()
                .join(s.dir)
                .join(&step)
                .join("helm-history-table.txt");
            if !table.exists() {
                assert!(s.apply_method.is_some(), "the CLI run has a history table");
                continue;
            }
            let text = String::from_utf8(read(&table)).expect("UTF-8");
            let histories = decode_step(s.dir, &step);
            let h = single_history(&histories, s, &step);
            let rows: Vec<Vec<&str>> = text
                .lines()
                .skip_while(|l| !l.starts_with("REVISION"))
                .skip(1)
                .map(|l| l.split('\t').map(str::trim).collect())
                .collect();
            assert_eq!(rows.len(), h.revisions.len(), "{}/{step}", s.dir);
            for (row, record) in rows.iter().zip(&h.revisions) {
                let rel = &record.release;
                let [rev, updated, status, chart, app, description] = row[..] else {
                    panic!("unexpected row {row:?}");
                };
                assert_eq!(rev, rel.version.to_string());
                assert_eq!(status, rel.info.status.as_str());
                assert_eq!(chart, rel.chart_label());
                assert_eq!(app, rel.chart.metadata.app_version);
                assert_eq!(description, rel.info.description);
                // `Sun Nov 22 03:07:38 2026` (the run was in UTC) vs `2026-11-22 03:07:38 UTC`.
                let shown = rel
                    .info
                    .last_deployed
                    .as_ref()
                    .expect("time")
                    .display_seconds();
                assert!(updated.contains(&shown[11..19]), "{updated} vs {shown}");
                assert!(updated.ends_with(&shown[..4]), "{updated} vs {shown}");
                rows_checked += 1;
            }
        }
    }
    assert_eq!(rows_checked, 1 + 2 + 3);
}

/// `data.release` of every item of a step's file, as stored.
fn stored_payloads(dir: &str, step: &str) -> Vec<String> {
    let path = fixtures().join(dir).join(step).join("release-secrets.yaml");
    let text = String::from_utf8(read(&path)).expect("UTF-8");
    let list = manifest::parse_yaml(&text).expect("YAML");
    list["items"]
        .as_array()
        .expect("a List")
        .iter()
        .map(|item| {
            item["data"]["release"]
                .as_str()
                .expect("release")
                .to_owned()
        })
        .collect()
}

#[test]
fn helm3_writes_empty_deleted_times_and_helm4_omits_them() {
    // `deleted` reads as None everywhere (checked above); make sure that covers both spellings.
    for s in SCENARIOS {
        for step in step_dirs(s) {
            for payload in stored_payloads(s.dir, &step) {
                let peeled = codec::peel(payload.as_bytes(), &Limits::default()).expect("peel");
                assert_eq!(peeled.base64_layers, 2);
                let json = String::from_utf8(peeled.json).expect("UTF-8 JSON");
                if let Some(method) = s.apply_method {
                    assert!(!json.contains(r#""deleted""#), "{}/{step}", s.dir);
                    let method = format!(r#""apply_method":"{method}""#);
                    assert!(json.contains(&method), "{}/{step}", s.dir);
                } else {
                    assert!(json.contains(r#""deleted":"""#), "{}/{step}", s.dir);
                    assert!(!json.contains("apply_method"), "{}/{step}", s.dir);
                }
            }
        }
    }
}

fn configmap_key(namespace: &str, name: &str) -> ResourceKey {
    ResourceKey::new("v1", "ConfigMap", Some(namespace), name)
}

fn manifest_keys(record: &Record) -> Vec<ResourceKey> {
    let rel = &record.release;
    let (objects, problems) =
        manifest_objects(&rel.manifest, &rel.namespace, &ScopeResolver::builtin());
    assert!(problems.is_empty(), "{problems:?}");
    objects.into_iter().map(|o| (*o.key).clone()).collect()
}

/// S1 (A1 with the Helm 3.17.3 CLI): chart 0.2.0 turns the ConfigMap into a hook.
#[test]
fn s1_configmap_moves_from_manifest_to_hooks() {
    let cases = [
        ("cli-v3.17.3/A1", "a1-app", "a1-app-config"),
        ("ssa/S1", "basic-app", "basic-app-config"),
        ("csa/S1", "basic-app", "basic-app-config"),
    ];
    for (dir, chart, config) in cases {
        let s = scenario(dir);
        for step in ["step2-upgrade", "step3-upgrade"] {
            let what = format!("{dir}/{step}");
            let histories = decode_step(dir, step);
            let h = single_history(&histories, s, step);
            let cm = configmap_key(s.namespace, config);
            let deployment = ResourceKey::new("apps/v1", "Deployment", Some(s.namespace), chart);

            // Revision 1: an ordinary manifest object, no hooks.
            let rev1 = h.revision(1).expect("rev 1");
            assert_eq!(rev1.release.chart.metadata.version, "0.1.0");
            assert!(rev1.release.hooks.is_empty(), "{what}");
            let keys = manifest_keys(rev1);
            assert!(keys.contains(&cm), "{what}: {keys:?}");
            assert!(keys.contains(&deployment), "{what}: {keys:?}");
            let source = format!("{chart}/templates/configmap.yaml");
            assert!(
                rel_manifest_has_source(rev1, &source),
                "{what}: rev 1 renders {source}"
            );

            // Revision 2: the ConfigMap is a hook that ran, and gone from the manifest.
            let rev2 = h.revision(2).expect("rev 2");
            assert_eq!(rev2.release.chart.metadata.version, "0.2.0");
            assert_eq!(rev2.release.hooks.len(), 1, "{what}");
            let hook = &rev2.release.hooks[0];
            assert_eq!(hook.name, config);
            assert_eq!(hook.kind, "ConfigMap");
            assert_eq!(hook.path, source);
            assert_eq!(
                hook.events,
                vec![HookEvent::PreInstall, HookEvent::PreUpgrade]
            );
            assert_eq!(hook.weight, -5);
            assert_eq!(
                hook.delete_policies,
                vec![HookDeletePolicy::BeforeHookCreation]
            );
            assert_eq!(hook.last_run.phase, "Succeeded", "{what}");
            assert!(hook.ran());
            let (started, completed) = (
                hook.last_run.started_at.clone().expect("started"),
                hook.last_run.completed_at.clone().expect("completed"),
            );
            assert!(started <= completed, "{what}");
            assert!(started >= *rev2.release.info.last_deployed.as_ref().expect("t"));
            let scopes = ScopeResolver::builtin();
            let object = hook_object(hook, 0, &rev2.release.namespace, &scopes).expect("hook");
            assert_eq!(*object.key, cm);
            assert!(!hook.manifest.starts_with("# Source:"), "{what}");
            let keys = manifest_keys(rev2);
            assert!(!keys.contains(&cm), "{what}: {keys:?}");
            assert_eq!(keys, vec![deployment.clone()], "{what}");
            // The Deployment still mounts it by name: only the object list tells them apart.
            assert!(rev2.release.manifest.contains(config), "{what}");

            // Revision 3 (step 3 only): same chart, the hook ran again, later.
            if let Some(rev3) = h.revision(3) {
                assert_eq!(rev3.release.chart.metadata.version, "0.2.0");
                let again = &rev3.release.hooks[0];
                assert_eq!(again.last_run.phase, "Succeeded");
                assert!(
                    again.last_run.started_at > hook.last_run.started_at,
                    "{what}"
                );
                assert_eq!(manifest_keys(rev3), vec![deployment]);
            }
        }
    }
}

fn rel_manifest_has_source(record: &Record, source: &str) -> bool {
    manifest::documents(&record.release.manifest)
        .iter()
        .any(|d| d.source == Some(source))
}

/// S4: `extra.enabled=false` drops the Service from the manifest.
#[test]
fn s4_values_toggle_removes_the_service() {
    for dir in ["ssa/S4", "csa/S4"] {
        let s = scenario(dir);
        let histories = decode_step(dir, "step2-upgrade");
        let h = single_history(&histories, s, "step2-upgrade");
        let service = ResourceKey::new("v1", "Service", Some(s.namespace), "s4-extra");
        let base = configmap_key(s.namespace, "s4-base");
        let rev1 = h.revision(1).expect("rev 1");
        let rev2 = h.revision(2).expect("rev 2");
        assert_eq!(rev1.release.config, Value::Null, "{dir}: no user values");
        assert_eq!(rev2.release.config, json!({"extra": {"enabled": false}}));
        assert_eq!(manifest_keys(rev1), vec![base.clone(), service]);
        assert_eq!(manifest_keys(rev2), vec![base]);
        assert!(rev1.release.hooks.is_empty() && rev2.release.hooks.is_empty());
    }
}

/// S4b: the same toggle with `helm.sh/resource-policy: keep`, switched back on in revision 3.
#[test]
fn s4b_kept_service_leaves_and_returns() {
    for dir in ["ssa/S4b", "csa/S4b"] {
        let s = scenario(dir);
        let histories = decode_step(dir, "step3-upgrade");
        let h = single_history(&histories, s, "step3-upgrade");
        let service = ResourceKey::new("v1", "Service", Some(s.namespace), "s4b-extra");
        let expected_config = [
            Value::Null,
            json!({"extra": {"enabled": false}}),
            json!({"extra": {"enabled": true}}),
        ];
        for (record, config) in h.revisions.iter().zip(expected_config) {
            let rel = &record.release;
            assert_eq!(rel.config, config, "{dir} rev {}", rel.version);
            let (objects, _) =
                manifest_objects(&rel.manifest, &rel.namespace, &ScopeResolver::builtin());
            let kept = objects.iter().find(|o| *o.key == service);
            if rel.version == 2 {
                assert!(kept.is_none(), "{dir}: rev 2 has no Service");
            } else {
                let kept = kept.unwrap_or_else(|| panic!("{dir} rev {}", rel.version));
                assert!(kept.keep_on_upgrade(), "{dir} rev {}", rel.version);
            }
        }
    }
}

#[test]
fn examples_are_copies_of_the_final_records() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for (example, source) in [
        ("a1-hook-conversion", "cli-v3.17.3/A1/step3-upgrade"),
        ("s4-values-toggle", "csa/S4/step2-upgrade"),
        ("s4b-keep-policy", "csa/S4b/step3-upgrade"),
    ] {
        let copy = read(&examples.join(example).join("release-secrets.yaml"));
        let original = read(&fixtures().join(source).join("release-secrets.yaml"));
        assert!(copy == original, "examples/{example} differs from {source}");
        assert!(examples.join(example).join("README.md").is_file());
    }
}
