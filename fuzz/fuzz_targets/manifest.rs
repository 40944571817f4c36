//! Manifest splitting (Helm's `SplitManifests`) and parsing of every document.
#![no_main]

use helm_why_release::ScopeResolver;
use helm_why_release::manifest::{manifest_objects, split_manifests, split_rendered};
use libfuzzer_sys::fuzz_target;

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
});
