//! Tests that cannot run on this machine (no helm, kubectl, chromium, PostgreSQL, or test data
//! that is not part of the repository) say so in a way no one can miss, instead of passing
//! silently as cargo counts an early `return`.
//!
//! [`skipped`] writes `skipped: <test>: <reason>` straight to standard error (libtest captures
//! `println!`/`eprintln!` of passing tests, not writes to the stream itself), appends the line to
//! the file `$HELM_WHY_SKIP_LOG` when set (`.ci/run` counts and lists them after `cargo test`),
//! and, when `CI` is `true` or `1`, fails the test if `.ci/run` provides what is missing: in CI a
//! skip there means the setup broke, not that the machine lacks a tool.

use std::io::Write as _;

/// Whether `.ci/run` installs what a test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provided {
    /// `.ci/run` installs it (helm, kubectl, chromium, PostgreSQL): in CI the test must run.
    ByCi,
    /// Nothing installs it (test data kept outside the repository, a tool the machine may lack).
    Optional,
}

/// Report that the calling test cannot run (or runs only in part) because of `reason`; the
/// caller then returns (or takes its fallback).
///
/// # Panics
/// In CI (`CI=true`), when what is missing is [`Provided::ByCi`].
pub fn skipped(reason: &str, provided: Provided) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("skipped: {test}: {reason}");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if in_ci && provided == Provided::ByCi {
        panic!("{line} — but .ci/run provides it, and CI is set: fix the CI setup");
    }
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    if let Some(path) = std::env::var_os("HELM_WHY_SKIP_LOG") {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        if let Ok(mut file) = file {
            // One write per line: parallel tests append whole lines.
            let _ = file.write_all(format!("{line}\n").as_bytes());
        }
    }
}
