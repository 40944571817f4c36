//! Redaction of secrets, following the parsed structure rather than the text: the one
//! place that decides what is secret, used by every command and output format.
//!
//! Secret:
//! - the `data` and `stringData` of every Secret object (any YAML or JSON form, also as an
//!   item of a `List`), and a Secret's `kubectl.kubernetes.io/last-applied-configuration`;
//! - values under a key that looks secret ([`key_looks_secret`]), with everything below it;
//!   the `value` of an environment variable listed in values (`{name: DB_PASSWORD, value:
//!   …}`) whose name looks secret; any PEM private key;
//! - any value that flows into a Secret object of the same release (its text, or its
//!   base64, is one of the Secret's data values), and the value at the same values path in
//!   every revision the redactor knows: when a values change stops a Secret from rendering,
//!   the new value no longer flows into it, but it is the same setting.
//!
//! A manifest document that cannot be parsed but mentions a Secret is withheld whole.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::Value;

use crate::manifest::{NodeBudget, split_manifests};
use crate::model::Release;

/// What replaces a redacted value.
pub const REDACTED: &str = "<redacted>";

/// The annotation `kubectl apply` keeps a full copy of the object in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether a values key looks like it holds a secret: password, token, secret, credential,
/// cert, private, passphrase, or as a word key (`apiKey`, `tls.key`, `key`), pass, pwd, pw
/// (`bindPass`, `adminPwd`, `rootPw`) or dsn (a connection string, which carries its
/// password), in any case.
///
/// ```
/// use helm_why_release::redact::key_looks_secret;
/// assert!(key_looks_secret("dbPassword") && key_looks_secret("privateKey") && key_looks_secret("tls.key"));
/// assert!(key_looks_secret("bindPass") && key_looks_secret("adminPwd") && key_looks_secret("dsn"));
/// assert!(!key_looks_secret("keyboard") && !key_looks_secret("replicas") && !key_looks_secret("bypass"));
/// ```
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
    // As words: `key`, `apiKey`, `access_key`, `tls.key` — not `keyboard` or `monkey`.
    const WORDS: [&str; 5] = ["key", "pass", "pwd", "pw", "dsn"];
    words(key).iter().any(|w| WORDS.contains(&w.as_str()))
}

/// Whether a value is a PEM private key (`-----BEGIN RSA PRIVATE KEY-----`…), whatever the
/// key it is set under (`git.identity`).
fn holds_private_key(text: &str) -> bool {
    text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----")
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

/// Whether a dotted values path (`auth.password`, `db.credentials.user`) has a secret-looking
/// key anywhere in it.
pub fn path_looks_secret(path: &str) -> bool {
    path.split('.').any(key_looks_secret)
}

/// Redacts what is secret in manifests, values and messages of some releases.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// The data values of the releases' Secret objects: as written, and decoded from base64.
    secret_values: BTreeSet<String>,
    /// The values paths (keys joined by `.`, list positions left out) at which a value of
    /// one of the releases flows into a Secret.
    secret_paths: BTreeSet<String>,
    /// The values' texts this redactor hides, at least [`Redactor::QUOTED_LEN`] long, which
    /// [`Redactor::text`] hides where free text quotes them ([`Redactor::quoting`]).
    secret_texts: BTreeSet<String>,
    /// With [`Redactor::marking_changes`]: the key of the digests that tell a changed secret
    /// from an unchanged one.
    marks: Option<std::hash::RandomState>,
}

impl Redactor {
    /// A redactor that knows the Secret objects of `releases` (their manifests and hooks), so
    /// that values flowing into them are redacted too.
    ///
    /// A values path whose value flows into a Secret in one of them is secret in all of them:
    ///
    /// ```
    /// use helm_why_release::{builder::ReleaseBuilder, redact::Redactor};
    /// let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  dsn: old-dsn\n";
    /// let v1 = ReleaseBuilder::new("w", "n", 1)
    ///     .config(serde_json::json!({"db": {"dsn": "old-dsn"}}))
    ///     .manifest_doc("w/templates/s.yaml", secret)
    ///     .build();
    /// // Revision 2 stops rendering the Secret, and sets a new value.
    /// let v2 = ReleaseBuilder::new("w", "n", 2)
    ///     .config(serde_json::json!({"db": {"dsn": "new-dsn", "enabled": false}}))
    ///     .build();
    /// let mut values = v2.config.clone();
    /// Redactor::for_releases([&v1, &v2]).values(&mut values);
    /// assert_eq!(values, serde_json::json!({"db": {"dsn": "<redacted>", "enabled": false}}));
    /// ```
    pub fn for_releases<'a>(releases: impl IntoIterator<Item = &'a Release>) -> Self {
        let releases: Vec<&Release> = releases.into_iter().collect();
        let mut out = Redactor::default();
        for release in &releases {
            out.learn_manifest(&release.manifest);
            for hook in &release.hooks {
                out.learn_manifest(&hook.manifest);
            }
        }
        if !out.secret_values.is_empty() {
            for release in &releases {
                let mut path = String::new();
                out.learn_paths(&release.config, &mut path);
                out.learn_paths(&release.chart.values, &mut path);
            }
        }
        out
    }

    /// The same redactor, whose [`Redactor::text`] also hides the values of `releases` that
    /// it hides in values (the releases it was made for, usually). Apart from
    /// [`Redactor::for_releases`] because it walks every revision's values again, which only
    /// a command printing free text needs.
    #[must_use]
    pub fn quoting<'a>(mut self, releases: impl IntoIterator<Item = &'a Release>) -> Self {
        let mut texts = std::mem::take(&mut self.secret_texts);
        for release in releases {
            for values in [&release.config, &release.chart.values] {
                let mut masked = values.clone();
                self.values(&mut masked);
                hidden_strings(values, &masked, &mut texts);
            }
        }
        texts.retain(|t| t.trim().len() >= Self::QUOTED_LEN);
        self.secret_texts = texts;
        self
    }

    /// Secrets shorter than this are not looked for in free text: `true`, `admin` or `1`
    /// would hide unrelated words.
    pub const QUOTED_LEN: usize = 6;

    /// Free text (a release's NOTES) with every secret this redactor knows of (a value it
    /// hides, [`Redactor::QUOTED_LEN`] bytes or longer: Secret data, and with
    /// [`Redactor::quoting`] values) replaced by [`REDACTED`] where it is quoted: charts print
    /// passwords in their notes.
    ///
    /// ```
    /// use helm_why_release::{builder::ReleaseBuilder, redact::Redactor};
    /// let r = ReleaseBuilder::new("w", "n", 1)
    ///     .config(serde_json::json!({"adminPassword": "hunter2-x", "user": "admin"}))
    ///     .build();
    /// let redactor = Redactor::for_releases([&r]).quoting([&r]);
    /// assert_eq!(redactor.text("Log in as admin / hunter2-x"), "Log in as admin / <redacted>");
    /// ```
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // Longest first: a secret that holds another is hidden whole.
        let data = self
            .secret_values
            .iter()
            .filter(|t| t.trim().len() >= Self::QUOTED_LEN);
        let mut texts: Vec<&String> = self.secret_texts.iter().chain(data).collect();
        texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
        for secret in texts {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// Remember the paths of `v` (at `path`) whose values flow into a Secret.
    fn learn_paths(&mut self, v: &Value, path: &mut String) {
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    let len = path.len();
                    push_key(path, key);
                    self.learn_paths(child, path);
                    path.truncate(len);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.learn_paths(i, path)),
            scalar => {
                if scalar_text(scalar).is_some_and(|t| self.flows_into_secret(&t)) {
                    self.secret_paths.insert(path.clone());
                }
            }
        }
    }

    /// The same redactor, writing `<redacted #1a2b3c4d>` instead of `<redacted>`: a digest
    /// of the value keyed with a random key drawn for this redactor (std's SipHash
    /// `RandomState`). Within one output, equal values get equal marks and a changed value a
    /// different one, so a diff shows that a secret changed; the key is never printed, so a
    /// mark cannot be checked against guessed values, nor compared across runs.
    ///
    /// ```
    /// use helm_why_release::redact::Redactor;
    /// let r = Redactor::default().marking_changes();
    /// let (mut a, mut b) = (serde_json::json!({"password": "old"}), serde_json::json!({"password": "new"}));
    /// r.values(&mut a);
    /// r.values(&mut b);
    /// let mark = |v: &serde_json::Value| v["password"].as_str().unwrap().to_owned();
    /// assert!(mark(&a).starts_with("<redacted #") && !mark(&a).contains("old"));
    /// assert_ne!(mark(&a), mark(&b));
    /// let mut again = serde_json::json!({"password": "old"});
    /// r.values(&mut again);
    /// assert_eq!(mark(&a), mark(&again));
    /// ```
    #[must_use]
    pub fn marking_changes(mut self) -> Self {
        self.marks = Some(std::hash::RandomState::new());
        self
    }

    /// What replaces a secret value: [`REDACTED`], or its mark.
    fn mask(&self, value: &Value) -> Value {
        use std::hash::BuildHasher as _;
        Value::String(match &self.marks {
            None => REDACTED.to_owned(),
            Some(key) => {
                let digest = key.hash_one(value.to_string());
                format!("<redacted #{:08x}>", digest >> 32)
            }
        })
    }

    /// Remember the Secret data values of a manifest (or rendered template output).
    pub fn learn_manifest(&mut self, manifest: &str) {
        let mut budget = NodeBudget::default();
        for piece in split_manifests(manifest) {
            let body = strip_source(piece).1;
            if !may_be_secret(body) {
                continue;
            }
            let Ok(value) = budget.parse(body) else {
                continue;
            };
            for_each_secret(&value, &mut |secret| {
                for field in ["data", "stringData"] {
                    let Some(map) = secret.get(field).and_then(Value::as_object) else {
                        continue;
                    };
                    for v in map.values().filter_map(Value::as_str) {
                        self.learn_value(v);
                        if field == "data"
                            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(v)
                            && let Ok(text) = String::from_utf8(bytes)
                        {
                            self.learn_value(&text);
                        }
                    }
                }
            });
        }
        self.secret_values.remove("");
    }

    /// Remember one Secret data value, and the same without surrounding whitespace: a `|`
    /// block ends in a newline the value it was set from may not have.
    fn learn_value(&mut self, text: &str) {
        self.secret_values.insert(text.to_owned());
        self.secret_values.insert(text.trim().to_owned());
    }

    /// Whether a value (as text, or without surrounding whitespace) is one of the Secret data
    /// values, or base64 of one.
    pub fn flows_into_secret(&self, text: &str) -> bool {
        if text.trim().is_empty() || self.secret_values.is_empty() {
            return false;
        }
        self.secret_values.contains(text)
            || self.secret_values.contains(text.trim())
            || self
                .secret_values
                .contains(&base64::engine::general_purpose::STANDARD.encode(text))
    }

    /// Redact a values tree in place: everything under a secret-looking key, and any value
    /// that flows into a Secret.
    ///
    /// ```
    /// use helm_why_release::redact::Redactor;
    /// let mut v = serde_json::json!({"db": {"password": "hunter2", "port": 5432},
    ///     "credentials": [{"user": "u"}], "tag": "1.0"});
    /// Redactor::default().values(&mut v);
    /// assert_eq!(v, serde_json::json!({"db": {"password": "<redacted>", "port": 5432},
    ///     "credentials": [{"user": "<redacted>"}], "tag": "1.0"}));
    /// ```
    pub fn values(&self, v: &mut Value) {
        self.values_at(v, &mut String::new());
    }

    /// [`Redactor::values`] of the value at `path` of a values tree.
    fn values_at(&self, v: &mut Value, path: &mut String) {
        match v {
            Value::Object(map) => {
                // An environment variable as a pod spec lists it: `{name: DB_PASSWORD, value: …}`.
                let secret_env = map
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(key_looks_secret);
                for (k, child) in map.iter_mut() {
                    if key_looks_secret(k) || (secret_env && k == "value") {
                        self.redact_leaves(child);
                    } else {
                        let len = path.len();
                        push_key(path, k);
                        self.values_at(child, path);
                        path.truncate(len);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.values_at(i, path)),
            scalar => {
                if self.scalar_is_secret(path, scalar) {
                    *scalar = self.mask(scalar);
                }
            }
        }
    }

    /// Whether a string or number at values path `path` is secret: it flows into a Secret,
    /// another revision's value at that path does, or it is a private key.
    fn scalar_is_secret(&self, path: &str, value: &Value) -> bool {
        let Some(text) = scalar_text(value) else {
            return false;
        };
        self.flows_into_secret(&text)
            || self.secret_paths.contains(path)
            || (value.is_string() && holds_private_key(&text))
    }

    /// One value of a values path as it is shown in a message (`"hunter2"`, `5432`):
    /// [`REDACTED`] when the path looks secret or the value flows into a Secret.
    pub fn value_text(&self, path: &str, value: &Value) -> Option<String> {
        let secret = path_looks_secret(path)
            || match value {
                Value::Array(_) | Value::Object(_) => {
                    let mut copy = value.clone();
                    self.values_at(&mut copy, &mut path.to_owned());
                    copy != *value
                }
                scalar => self.scalar_is_secret(path, scalar),
            };
        secret.then(|| REDACTED.to_owned())
    }

    /// Redact the Secret objects of a manifest (or of hooks printed as one), keeping every
    /// other document byte for byte. A redacted Secret is printed again from its parsed form
    /// (comments and layout are lost; the `# Source:` line is kept).
    ///
    /// ```
    /// use helm_why_release::redact::Redactor;
    /// let m = "---\n# Source: c/s.yaml\n{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\"},\n  \"data\": {\"password\": \"aHVudGVyMg==\"}}\n---\n# Source: c/cm.yaml\nkind: ConfigMap\ndata: {password: visible}\n";
    /// let r = Redactor::default().manifest(m);
    /// assert!(!r.contains("aHVudGVyMg") && r.contains("password: <redacted>"));
    /// assert!(r.ends_with("---\n# Source: c/cm.yaml\nkind: ConfigMap\ndata: {password: visible}\n"));
    /// ```
    pub fn manifest(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut budget = NodeBudget::default();
        for piece in split_manifests(text) {
            // `split_manifests` returns slices of `text`: find where this one is.
            let start = piece.as_ptr() as usize - text.as_ptr() as usize;
            let (source, body) = strip_source(piece);
            // As in `learn_manifest`: a document that cannot spell `Secret` is not one, and
            // need not be parsed (most documents of a release).
            if !may_be_secret(body) {
                continue;
            }
            let replacement = match budget.parse(body) {
                Ok(mut value) if holds_secret(&value) => {
                    for_each_secret_mut(&mut value, &mut |s| self.redact_secret(s));
                    let yaml = serde_saphyr::to_string(&value)
                        .unwrap_or_else(|_| format!("# {REDACTED}\n"));
                    Some(yaml.trim_end().to_owned())
                }
                Ok(_) => None,
                // Unparsable (or over the budget): withheld whole if it could be a Secret.
                Err(_) if may_be_secret(body) => Some(format!(
                    "# {REDACTED}: this document could not be parsed and may hold a Secret"
                )),
                Err(_) => None,
            };
            if let Some(replacement) = replacement {
                out.push_str(&text[copied..start]);
                if let Some(source) = source {
                    out.push_str(source);
                    out.push('\n');
                }
                out.push_str(&replacement);
                copied = start + piece.len();
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Redact every leaf below a secret-looking key; `null` and empty strings tell nothing.
    fn redact_leaves(&self, v: &mut Value) {
        match v {
            Value::Object(map) => map.values_mut().for_each(|c| self.redact_leaves(c)),
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_leaves(i)),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => *other = self.mask(other),
        }
    }

    /// Redact one Secret object: every `data`/`stringData` value (or the whole field when it
    /// is not a map), and the last-applied copy of it.
    fn redact_secret(&self, secret: &mut Value) {
        for field in ["data", "stringData"] {
            match secret.get_mut(field) {
                Some(Value::Object(map)) => {
                    for v in map.values_mut() {
                        *v = self.mask(v);
                    }
                }
                Some(Value::Null) | None => {}
                Some(other) => *other = self.mask(other),
            }
        }
        if let Some(Value::Object(annotations)) = secret.pointer_mut("/metadata/annotations")
            && let Some(v) = annotations.get_mut(LAST_APPLIED_ANNOTATION)
        {
            *v = self.mask(v);
        }
    }
}

/// Whether a document could be a Secret, without parsing it: it names one (in any case), or
/// could spell the kind another way: with escapes (`"Secr\u0065t"`), or base64 under a
/// YAML tag that decodes it (`!!binary U2VjcmV0`, or verbatim
/// `!<tag:yaml.org,2002:%62inary>`), which Go's YAML (Helm's) decodes too. A named handle
/// (`!e!binary`) needs a `%TAG` directive, and the `---` after a directive is where Helm
/// splits a manifest: such a tag cannot reach Kubernetes.
fn may_be_secret(text: &str) -> bool {
    text.contains('\\')
        || text.contains("!!")
        || text.contains("!<")
        || text
            .as_bytes()
            .windows(6)
            .any(|w| w.eq_ignore_ascii_case(b"secret"))
}

/// A string or number as the text a Secret would hold; `None` for anything else.
fn scalar_text(value: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match value {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// The strings of `original` that `masked` (the same tree redacted) hides.
fn hidden_strings(original: &Value, masked: &Value, out: &mut BTreeSet<String>) {
    match (original, masked) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if let Some(m) = b.get(k) {
                    hidden_strings(v, m, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (v, m) in a.iter().zip(b) {
                hidden_strings(v, m, out);
            }
        }
        (Value::String(s), m) if m.as_str() != Some(s) => {
            out.insert(s.clone());
            out.insert(s.trim().to_owned());
        }
        _ => {}
    }
}

/// Append `key` to a values path (`a.b` + `c` = `a.b.c`), as [`Redactor`] keeps them.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// The `# Source:` line of a manifest document (kept when the document is rewritten), and
/// the rest.
fn strip_source(piece: &str) -> (Option<&str>, &str) {
    if piece.starts_with("# Source: ") {
        match piece.split_once('\n') {
            Some((line, body)) => (Some(line), body),
            None => (Some(piece), ""),
        }
    } else {
        (None, piece)
    }
}

fn is_secret(v: &Value) -> bool {
    v.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.trim().eq_ignore_ascii_case("secret"))
}

fn list_items(v: &Value) -> Option<&Vec<Value>> {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind.ends_with("List") || kind.is_empty() {
        v.get("items")?.as_array()
    } else {
        None
    }
}

fn holds_secret(v: &Value) -> bool {
    let mut found = false;
    for_each_secret(v, &mut |_| found = true);
    found
}

/// Call `f` on the Secret `v` is, or on each Secret among its List items (nested Lists too).
fn for_each_secret(v: &Value, f: &mut dyn FnMut(&Value)) {
    if is_secret(v) {
        f(v);
    } else if let Some(items) = list_items(v) {
        items.iter().for_each(|i| for_each_secret(i, f));
    }
}

fn for_each_secret_mut(v: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    if is_secret(v) {
        f(v);
    } else if list_items(v).is_some()
        && let Some(Value::Array(items)) = v.get_mut("items")
    {
        items.iter_mut().for_each(|i| for_each_secret_mut(i, f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(m: &str) -> String {
        Redactor::default().manifest(m)
    }

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
            "privateKey",
            "credentials",
        ] {
            assert!(key_looks_secret(k), "{k}");
        }
        for k in [
            "keyboard", "monkey", "replicas", "image", "keys", "auth", "bypass", "compass",
        ] {
            assert!(!key_looks_secret(k), "{k}");
        }
    }

    #[test]
    fn every_yaml_form_of_a_secret_is_redacted() {
        let forms = [
            // Flow style.
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {pw: MARKER1}\n",
            // Comment after the kind, quoted keys, map continued on later lines.
            "apiVersion: v1\nkind: Secret # the db password\nmetadata:\n  name: s\n\"stringData\":\n  'pw':\n    MARKER1\n",
            // Indented top level, kind after data.
            "  stringData:\n    pw: MARKER1\n  kind: \"Secret\"\n",
            // A JSON document.
            "{\"kind\": \"Secret\", \"data\": {\"pw\": \"MARKER1\"}}",
            // Inside a List.
            "apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  data: {a: visible}\n- kind: Secret\n  data: {pw: MARKER1}\n",
            // A scalar data.
            "kind: Secret\nstringData: MARKER1\n",
            // last-applied-configuration.
            "kind: Secret\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"pw\":\"MARKER1\"}}'\n",
        ];
        for form in forms {
            let m = format!("---\n# Source: c/templates/s.yaml\n{form}");
            let r = redacted(&m);
            assert!(!r.contains("MARKER1"), "{form}\n→\n{r}");
            assert!(r.contains("# Source: c/templates/s.yaml\n"), "{r}");
        }
        // The kind as base64 under a tag that decodes it, in a document without the word.
        for tagged in [
            "kind: !!binary U2VjcmV0\nstringData: {pw: MARKER1}\n",
            "kind: !<tag:yaml.org,2002:%62inary> U2VjcmV0\nstringData: {pw: MARKER1}\n",
            "kind: !!binary |\n  U2Vj\n  cmV0\nstringData: {pw: MARKER1}\n",
        ] {
            let r = redacted(&format!("---\n# Source: c/templates/b.yaml\n{tagged}"));
            assert!(!r.contains("MARKER1"), "{tagged}\n→\n{r}");
            let mut learned = Redactor::default();
            learned.learn_manifest(tagged);
            assert!(learned.flows_into_secret("MARKER1"), "{tagged}");
        }
        // The kind spelled with escapes is still a Secret.
        let escaped = redacted(
            "{\"kind\": \"Secr\\u0065t\", \"data\": {\"pw\": \"MARKER1\"}}\n---\nkind: \"SECR\\x45T\"\nstringData: {pw: MARKER1}\n",
        );
        assert!(!escaped.contains("MARKER1"), "{escaped}");
        let mut r = Redactor::default();
        r.learn_manifest("kind: \"Secr\\x65t\"\nstringData: {pw: MARKER2}\n");
        assert!(r.flows_into_secret("MARKER2"));
        let list = redacted(
            "kind: List\nitems:\n- kind: ConfigMap\n  data: {a: visible}\n- kind: Secret\n  data: {pw: MARKER1}\n",
        );
        assert!(list.contains("visible"), "{list}");
    }

    #[test]
    fn other_documents_stay_byte_for_byte() {
        let m = "---\n# Source: a.yaml\nkind: ConfigMap\ndata:\n  password: visible # kept\n---\n# Source: b.yaml\nkind: Secret\nstringData: {a: MARKER}\n---\n# Source: c.yaml\nkind: Service\n";
        let r = redacted(m);
        assert!(r.starts_with("---\n# Source: a.yaml\nkind: ConfigMap\ndata:\n  password: visible # kept\n---\n# Source: b.yaml\n"), "{r}");
        assert!(
            r.ends_with("\n---\n# Source: c.yaml\nkind: Service\n"),
            "{r}"
        );
        assert!(!r.contains("MARKER"));
    }

    #[test]
    fn unparsable_documents_that_may_be_secrets_are_withheld() {
        let r =
            redacted("---\nkind: Secret\ndata: {pw: MARKER, [\n---\nkind: ConfigMap\nbroken: [\n");
        assert!(!r.contains("MARKER"), "{r}");
        assert!(r.contains("kind: ConfigMap\nbroken: ["), "{r}");
        let r = redacted("kind: \"Secr\\u0065t\"\ndata: {pw: MARKER, [\n");
        assert!(!r.contains("MARKER"), "{r}");
    }

    #[test]
    fn env_entries_private_keys_and_block_scalars_are_secret() {
        let release = crate::builder::ReleaseBuilder::new("w", "n", 1)
            .manifest_doc(
                "w/templates/s.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  id: |\n    line-one\n",
            )
            .build();
        let r = Redactor::for_releases([&release]);
        let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\n";
        let mut v = serde_json::json!({
            "env": [{"name": "DB_PASSWORD", "value": "p"}, {"name": "MODE", "value": "fast"}],
            "git": {"identity": pem, "url": "https://example.com"},
            "ldap": {"bindPass": "p", "adminPwd": "p", "dsn": "p"},
            "flowed": "line-one",
        });
        r.values(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "env": [{"name": "DB_PASSWORD", "value": REDACTED}, {"name": "MODE", "value": "fast"}],
                "git": {"identity": REDACTED, "url": "https://example.com"},
                "ldap": {"bindPass": REDACTED, "adminPwd": REDACTED, "dsn": REDACTED},
                "flowed": REDACTED,
            })
        );
        assert_eq!(
            r.value_text("git.identity", &serde_json::json!(pem))
                .as_deref(),
            Some(REDACTED)
        );
    }

    #[test]
    fn values_flowing_into_a_secret_are_redacted() {
        let release = crate::builder::ReleaseBuilder::new("w", "n", 1)
            .manifest_doc(
                "w/templates/s.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  dsn: cG9zdGdyZXM6Ly9kYg==\nstringData:\n  plain: opaque-value\n",
            )
            .build();
        let r = Redactor::for_releases([&release]);
        let mut v = serde_json::json!({"db": {"url": "postgres://db", "other": "opaque-value", "ok": "fine"}});
        r.values(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"db": {"url": REDACTED, "other": REDACTED, "ok": "fine"}})
        );
    }
}
