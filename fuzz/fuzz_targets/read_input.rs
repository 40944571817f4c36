//! Input reading: Secret/ConfigMap YAML or JSON, v1 List, multi-document YAML, SQL rows,
//! raw release JSON, bare payloads — whatever `--from` or stdin may be given.
#![no_main]

use helm_why_release::Limits;
use helm_why_release::history::group;
use helm_why_release::input::read_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::with_max_record_bytes(1 << 20);
    let out = read_input(data, "fuzz", &limits);
    // Grouping into histories runs on whatever decoded.
    let _ = group(out.records, out.errors);
});
