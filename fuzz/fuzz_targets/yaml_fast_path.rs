//! The fast YAML reader against serde-saphyr: whatever `fast_yaml::parse` returns must be
//! exactly what serde-saphyr returns for the same text (it declines everything else).
#![no_main]

use helm_why_release::fast_yaml;
use helm_why_release::manifest::parse_yaml_general;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(fast) = fast_yaml::parse(text) {
        assert_eq!(
            parse_yaml_general(text),
            Ok(fast),
            "the fast reader differs from serde-saphyr on {text:?}"
        );
    }
});
