//! Record decoding: base64 layers, gzip, release JSON.
#![no_main]

use helm_why_release::record::{RecordMeta, decode_record};
use helm_why_release::{Limits, RecordRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each execution fast; the limits themselves are what is tested.
    let limits = Limits::with_max_record_bytes(1 << 20);
    let _ = decode_record(data, RecordMeta::raw(RecordRef::file("fuzz")), &limits);
});
