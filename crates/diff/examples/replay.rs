//! Replay a release's history and print what Helm did at every revision.
//!
//! ```text
//! cargo run -p helm-why-diff --example replay -- examples/a1-hook-conversion/release-secrets.yaml
//! ```

use std::process::ExitCode;

use helm_why_diff::{ReplayOptions, replay};
use helm_why_release::{Limits, history, input};

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/a1-hook-conversion/release-secrets.yaml".to_owned());
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("cannot read {path}");
        return ExitCode::FAILURE;
    };
    let out = input::read_input(&bytes, &path, &Limits::default());
    for h in &history::group(out.records, out.errors).releases {
        let r = replay(h, &ReplayOptions::default());
        println!("release {} ({})", h.id, r.profile);
        for step in &r.steps {
            println!("revision {} · {}", step.revision, step.operation);
            for e in &step.events {
                let cause = e.cause.map(|c| c.code()).unwrap_or("-");
                println!(
                    "  {:<12} {:<11} {:<18} {:<22} {}",
                    e.phase,
                    e.action.as_str(),
                    cause,
                    e.object.to_string(),
                    e.message
                );
            }
        }
        for hazard in &r.hazards {
            println!("hazard [{}] {}", hazard.code, hazard.message);
        }
    }
    ExitCode::SUCCESS
}
