//! Manifest splitting (Helm's `SplitManifests`), parsing of every document, and the
//! structural redaction of Secrets that every command prints manifests through.
#![no_main]

use helm_why_release::ScopeResolver;
use helm_why_release::manifest::{manifest_objects, parse_yaml, split_manifests, split_rendered};
use helm_why_release::redact::{REDACTED, Redactor};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = split_manifests(text);
    let (objects, _) = manifest_objects(text, "fuzz", &ScopeResolver::builtin());
    for object in &objects {
        let _ = (
            object.hook_class(),
            object.uninstall_policy(),
            object.labels(),
        );
    }
    let _ = split_rendered(text);
    let mut redactor = Redactor::default();
    redactor.learn_manifest(text);
    // The oracle: after redaction, no document that parses as a Secret holds a value.
    let redacted = redactor.manifest(text);
    for piece in split_manifests(&redacted) {
        if let Ok(value) = parse_yaml(piece) {
            assert_redacted(&value, &redacted);
        }
    }
});

fn assert_redacted(v: &Value, all: &str) {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind.trim().eq_ignore_ascii_case("secret") {
        for field in ["data", "stringData"] {
            match v.get(field) {
                None | Some(Value::Null) => {}
                Some(Value::Object(map)) => {
                    for value in map.values() {
                        assert_eq!(value, REDACTED, "a Secret value survived in {all:?}");
                    }
                }
                Some(other) => assert_eq!(other, REDACTED, "a Secret survived in {all:?}"),
            }
        }
    } else if kind.ends_with("List") || kind.is_empty() {
        if let Some(Value::Array(items)) = v.get("items") {
            items.iter().for_each(|i| assert_redacted(i, all));
        }
    }
}
