//! The plan candidate reader: helm template output, dry-run text, release JSON, objects.
#![no_main]

use helm_why_release::candidate::parse_candidate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_candidate(text, "fuzz");
});
