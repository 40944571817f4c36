//! Decode every release record in a file and print one line per revision.
//!
//! ```text
//! cargo run -p helm-why-release --example decode -- examples/a1-hook-conversion/release-secrets.yaml
//! ```

use std::process::ExitCode;

use helm_why_release::{Limits, ScopeResolver, history, input, manifest};

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/a1-hook-conversion/release-secrets.yaml".to_owned());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = input::read_input(&bytes, &path, &Limits::default());
    let histories = history::group(out.records, out.errors);
    let scopes = ScopeResolver::builtin();
    for h in &histories.releases {
        println!("release {}", h.id);
        for record in &h.revisions {
            let r = &record.release;
            let (objects, _) = manifest::manifest_objects(&r.manifest, &r.namespace, &scopes);
            println!(
                "  revision {:>3}  {:<12} {:<24} {} objects, {} hooks",
                r.version,
                r.info.status.as_str(),
                r.chart_label(),
                objects.len(),
                r.hooks.len()
            );
        }
        for finding in &h.findings {
            println!("  warning: {finding}");
        }
    }
    for e in &histories.unattributed {
        eprintln!("could not decode {e}");
    }
    ExitCode::SUCCESS
}
