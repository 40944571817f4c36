//! Redaction of Secret data and secret-looking values, on by default (`--show-secrets` to
//! turn it off). What is secret is decided in one place, [`helm_why_release::redact`]; this
//! module only applies the flag.

pub use helm_why_release::redact::{REDACTED, Redactor, key_looks_secret};

/// Redact `values` in place unless secrets are shown.
///
/// ```
/// let mut v = serde_json::json!({"db": {"password": "hunter2", "port": 5432}, "apiKey": "abc"});
/// helm_why::redact::values(&helm_why::redact::Redactor::default(), &mut v, false);
/// assert_eq!(v, serde_json::json!({"db": {"password": "<redacted>", "port": 5432}, "apiKey": "<redacted>"}));
/// ```
pub fn values(redactor: &Redactor, values: &mut serde_json::Value, show_secrets: bool) {
    if !show_secrets {
        redactor.values(values);
    }
}

/// A manifest with its Secret objects redacted unless secrets are shown.
///
/// ```
/// let m = "---\n# Source: s.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: aHVudGVyMg==\n";
/// let r = helm_why::redact::manifest(&helm_why::redact::Redactor::default(), m, false);
/// assert!(r.contains("password: <redacted>") && !r.contains("aHVudGVyMg"));
/// ```
pub fn manifest(redactor: &Redactor, text: &str, show_secrets: bool) -> String {
    if show_secrets {
        text.to_owned()
    } else {
        redactor.manifest(text)
    }
}

/// Free text (NOTES) with the secrets `redactor` knows of hidden where it quotes them, unless
/// secrets are shown ([`Redactor::text`]).
pub fn text(redactor: &Redactor, text: &str, show_secrets: bool) -> String {
    if show_secrets {
        text.to_owned()
    } else {
        redactor.text(text)
    }
}
