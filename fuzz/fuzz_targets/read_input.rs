//! Input reading: Secret/ConfigMap YAML or JSON, v1 List, multi-document YAML, SQL rows,
//! raw release JSON, bare payloads — whatever `--from` or stdin may be given; and the same
//! input read as a stream (`read_input_from`: a JSON List split item by item, the usual
//! Secrets read from their text), which must agree with the whole reading whenever neither
//! reports an error.
#![no_main]

use helm_why_release::Limits;
use helm_why_release::history::group;
use helm_why_release::input::{InputOutcome, Select, read_input, read_input_from};
use libfuzzer_sys::fuzz_target;

/// Records (name, version, where), errors and ignored objects, as text, sorted.
fn summary(out: &InputOutcome) -> Vec<String> {
    let mut lines: Vec<String> = out
        .records
        .iter()
        .map(|r| format!("{} {} {:?}", r.release.name, r.release.version, r.meta))
        .chain(out.ignored.iter().map(|i| format!("{} {}", i.what, i.reference)))
        .collect();
    lines.sort();
    lines
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::with_max_record_bytes(1 << 20);
    let out = read_input(data, "fuzz", &limits);
    let streamed = read_input_from(data, "fuzz", &limits, Select::All);
    if let Ok(streamed) = &streamed
        && out.errors.is_empty()
        && streamed.errors.is_empty()
    {
        assert_eq!(summary(streamed), summary(&out));
    }
    // Tiller's records held as stored (as `scan` and `who` stream files) are the same
    // records once decoded. (Without Tiller's label value in its bytes, an input holds none
    // as written, and reads as above: the fuzzer's time goes to the others.)
    let tiller = data.windows(6).any(|w| w == b"TILLER");
    if let Ok(streamed) = &streamed
        && tiller
        && let Ok(mut held) = read_input_from(data, "fuzz", &limits, Select::AllTillerEncoded)
    {
        for tiller in std::mem::take(&mut held.tiller) {
            match tiller.decode(&limits) {
                Ok(record) => held.records.push(record),
                Err(error) => held.errors.push(error),
            }
        }
        if held.errors.is_empty() && streamed.errors.is_empty() {
            assert_eq!(summary(&held), summary(streamed));
        }
    }
    // Grouping into histories runs on whatever decoded.
    let _ = group(out.records, out.errors);
});
