//! Evidence: replaying the records real Helm wrote must predict what the API server saw.
//!
//! For every step of every scenario in tests/fixtures/real-helm (Helm 3.17.3 CLI, Helm 4.3
//! with server-side and client-side apply), the records after the step are replayed and
//! - the expected presence of every object must equal what `exists.txt` observed, and
//! - the ordered creations and deletions of the last step must equal those in
//!   `api-calls.txt` (the kube-apiserver audit log).

#![allow(clippy::unwrap_used)]

mod audit;

use helm_why_diff::{ReplayOptions, replay};

#[test]
fn every_real_step_is_predicted() {
    let steps: Vec<_> = audit::scenarios()
        .iter()
        .flat_map(|s| audit::steps(s))
        .collect();
    assert!(
        steps.len() >= 15,
        "expected the real-helm fixtures, found {} steps",
        steps.len()
    );
    let mut checked_objects = 0;
    for step in &steps {
        let r = replay(&audit::history_after(step), &ReplayOptions::default());

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
            assert_eq!(
                r.expected_present(key),
                Some(state == "exists"),
                "{}: {kind_name} observed {state}; replay events: {:#?}",
                step.display(),
                r.steps.last().unwrap().events
            );
            checked_objects += 1;
        }

        // Ordered creations and deletions of the last operation.
        let last = r.steps.last().unwrap();
        assert_eq!(
            audit::event_changes(&last.events),
            audit::api_changes(step),
            "{}: events {:#?}",
            step.display(),
            last.events
        );
    }
    assert!(
        checked_objects >= 30,
        "only {checked_objects} objects checked"
    );
}
