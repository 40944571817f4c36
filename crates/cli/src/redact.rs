//! Redaction of Secret data and secret-looking values, on by default (`--show-secrets` to
//! turn it off). Redaction works on the text so that everything else stays byte for byte.

use serde_json::Value;

/// What replaces a redacted value.
pub const REDACTED: &str = "<redacted>";

/// Whether a values key looks like it holds a secret: password, token, secret, credential,
/// cert, private, or a key (`apiKey`, `tls.key`, `key`).
pub fn key_looks_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    const NEEDLES: [&str; 9] = [
        "password",
        "passwd",
        "token",
        "secret",
        "credential",
        "cert",
        "private",
        "apikey",
        "passphrase",
    ];
    if NEEDLES.iter().any(|n| lower.contains(n)) {
        return true;
    }
    // `key` as a word: `key`, `apiKey`, `access_key`, `tls.key` — not `keyboard` or `monkey`.
    words(key).iter().any(|w| w == "key")
}

/// Split `accessKeyID` / `access_key-id` / `tls.key` into lower-case words.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Replace secret-looking scalar values (strings and numbers) in a values tree.
///
/// ```
/// let mut v = serde_json::json!({"db": {"password": "hunter2", "port": 5432}, "apiKey": "abc"});
/// helm_why::redact::redact_values(&mut v);
/// assert_eq!(v, serde_json::json!({"db": {"password": "<redacted>", "port": 5432}, "apiKey": "<redacted>"}));
/// ```
pub fn redact_values(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let scalar = matches!(child, Value::String(s) if !s.is_empty())
                    || matches!(child, Value::Number(_));
                if scalar && key_looks_secret(k) {
                    *child = Value::String(REDACTED.to_owned());
                } else {
                    redact_values(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_values),
        _ => {}
    }
}

/// Replace the values under `data:` and `stringData:` of every Secret document in a
/// manifest, keeping keys, comments and every other line as they were.
///
/// ```
/// let m = "---\n# Source: s.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: aHVudGVyMg==\n  cert: |\n    line1\n    line2\ntype: Opaque\n";
/// let r = helm_why::redact::redact_manifest(m);
/// assert!(r.contains("  password: <redacted>\n  cert: <redacted>\ntype: Opaque"));
/// assert!(!r.contains("aHVudGVyMg") && !r.contains("line1"));
/// ```
pub fn redact_manifest(manifest: &str) -> String {
    let mut out = String::with_capacity(manifest.len());
    let mut doc: Vec<&str> = Vec::new();
    for line in manifest.split_inclusive('\n') {
        if line.starts_with("---") && !doc.is_empty() {
            redact_document(&doc, &mut out);
            doc.clear();
        }
        doc.push(line);
    }
    redact_document(&doc, &mut out);
    out
}

fn redact_document(lines: &[&str], out: &mut String) {
    let is_secret = lines.iter().any(|l| {
        l.strip_prefix("kind:")
            .is_some_and(|rest| rest.trim().trim_matches(['"', '\'']) == "Secret")
    });
    if !is_secret {
        lines.iter().for_each(|l| out.push_str(l));
        return;
    }
    let mut in_data = false;
    let mut child_indent: Option<usize> = None;
    let mut skip_deeper_than: Option<usize> = None;
    for line in lines {
        let content = line.trim_end_matches(['\n', '\r']);
        let newline = &line[content.len()..];
        let indent = content.len() - content.trim_start().len();
        let blank = content.trim().is_empty();
        if indent == 0 && !blank {
            in_data = false;
            child_indent = None;
            skip_deeper_than = None;
            let key = content.split(':').next().unwrap_or("").trim();
            if matches!(key, "data" | "stringData") {
                let rest = content[content.find(':').map_or(content.len(), |i| i + 1)..].trim();
                if rest.is_empty() || rest.starts_with('#') {
                    in_data = true;
                    out.push_str(line);
                } else {
                    out.push_str(&format!("{key}: {REDACTED}{newline}"));
                }
                continue;
            }
            out.push_str(line);
            continue;
        }
        if !in_data || blank {
            out.push_str(line);
            continue;
        }
        if let Some(limit) = skip_deeper_than {
            if indent > limit {
                continue;
            }
            skip_deeper_than = None;
        }
        let child = *child_indent.get_or_insert(indent);
        if indent > child {
            continue;
        }
        let trimmed = content.trim_start();
        if trimmed.starts_with('#') {
            out.push_str(line);
            continue;
        }
        match split_key(trimmed) {
            Some(key) => {
                out.push_str(&format!("{}{key}: {REDACTED}{newline}", &content[..indent]));
                skip_deeper_than = Some(indent);
            }
            None => out.push_str(&format!("{}{REDACTED}{newline}", &content[..indent])),
        }
    }
}

/// The key of a `key: value` line (quoted keys kept as written).
fn split_key(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let end = match bytes.first() {
        Some(q @ (b'"' | b'\'')) => line[1..].find(*q as char).map(|i| i + 2)?,
        _ => line
            .find(": ")
            .or_else(|| line.strip_suffix(':').map(str::len))?,
    };
    Some(&line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_keys() {
        for k in [
            "password",
            "dbPassword",
            "apiKey",
            "tls.key",
            "access_key_id",
            "AWS_SECRET",
            "caCert",
            "token",
        ] {
            assert!(key_looks_secret(k), "{k}");
        }
        for k in ["keyboard", "monkey", "replicas", "image", "keys"] {
            assert!(!key_looks_secret(k), "{k}");
        }
    }

    #[test]
    fn non_secret_documents_are_untouched() {
        let m = "---\nkind: ConfigMap\ndata:\n  password: visible\n---\nkind: Secret\nstringData: {a: b}\n";
        assert_eq!(
            redact_manifest(m),
            "---\nkind: ConfigMap\ndata:\n  password: visible\n---\nkind: Secret\nstringData: <redacted>\n"
        );
    }
}
