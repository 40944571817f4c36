//! `plan` against real Helm: for every upgrade step of the real-helm scenarios, the candidate
//! is the next revision's manifest plus its hooks printed as `helm template` prints them; the
//! plan made from the records before the step must predict the creations and deletions the
//! API server saw during the step.

#![allow(clippy::unwrap_used)]

mod audit;

use helm_why_diff::{ChangeOp, ReplayOptions, plan};
use helm_why_release::candidate::parse_candidate;
use helm_why_release::{Info, Release, Status};

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

#[test]
fn plans_predict_every_real_upgrade() {
    let mut checked = 0;
    for scenario in audit::scenarios() {
        for pair in audit::steps(&scenario).windows(2) {
            let before = audit::history_after(&pair[0]);
            let next = audit::history_after(&pair[1])
                .latest()
                .unwrap()
                .release
                .clone();
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
            let predicted: Vec<audit::ApiChange> = p
                .changes
                .iter()
                .filter_map(|c| match c.op {
                    ChangeOp::Create | ChangeOp::HookCreate => {
                        Some(audit::predicted("create", &c.object))
                    }
                    ChangeOp::Delete | ChangeOp::HookDelete => {
                        Some(audit::predicted("delete", &c.object))
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                predicted,
                audit::api_changes(&pair[1]),
                "{}: {:#?}",
                pair[1].display(),
                p.changes
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} upgrades planned");
}
