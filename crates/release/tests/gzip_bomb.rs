//! A gzip bomb is stopped at the size limit without the memory it would expand to.
//!
//! Alone in its test binary so that the process's peak resident size (`VmHWM`) measures this
//! decode and nothing else.

mod common;

use helm_why_release::input::read_input;
use helm_why_release::{Layer, Limits};

/// Peak resident set size of this process in bytes (Linux), if known.
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn bomb_of_200_mib_is_stopped_within_the_default_limit() {
    // ~200 MiB of spaces in ~200 KB of gzip, as `kubectl get secret -o json` would show it.
    let bomb = common::space_bomb(common::runs_for_mib(200));
    assert!(bomb.len() < 250 * 1024, "{} bytes", bomb.len());
    let bytes = serde_json::to_vec(&common::secret_with_gzip("bomb", "shop", 1, &bomb)).unwrap();

    let limits = Limits::default();
    assert_eq!(limits.max_decompressed_bytes, 64 * 1024 * 1024);
    let before = peak_rss();
    let out = read_input(&bytes, "bomb.json", &limits);
    let after = peak_rss();

    assert!(out.records.is_empty());
    assert_eq!(out.errors.len(), 1);
    let error = &out.errors[0];
    assert_eq!(error.layer, Layer::Size, "{error}");
    assert!(
        error.to_string().starts_with(
            "sh.helm.release.v1.bomb.v1 (bomb.json): size: decompressed release is over the limit of 67108864 bytes"
        ),
        "{error}"
    );
    match (before, after) {
        (Some(before), Some(after)) => {
            let grown = after.saturating_sub(before);
            // The limit itself, plus a little: not the 200 MiB the stream expands to, nor a
            // doubled buffer.
            let allowed = limits.max_decompressed_bytes + 8 * 1024 * 1024;
            println!("peak resident size grew by {grown} bytes");
            assert!(
                grown <= allowed,
                "peak resident size grew by {grown} bytes (allowed {allowed})"
            );
        }
        _ => testkube::skip::skipped(
            "the memory check: /proc/self/status has no VmHWM here",
            testkube::skip::Provided::Optional,
        ),
    }
}
