//! Build release records exactly as Helm writes them, for tests, examples and benchmarks.
//!
//! The JSON is what Go's `encoding/json` produces for Helm's structs: the same field order,
//! the same `omitempty` rules, Helm 3's `""` zero times or Helm 4's omitted ones, map keys
//! sorted, and `<`, `>`, `&` escaped as `\u003c`, `\u003e`, `\u0026`. It is then gzipped and
//! base64-encoded like Helm's storage drivers ([`crate::codec::encode_payload`]), and wrapped
//! in a Secret or ConfigMap as `kubectl get -o json` prints it.
//!
//! ```
//! use helm_why_release::builder::ReleaseBuilder;
//! use helm_why_release::{input::read_input, Limits, Status};
//! let rev = ReleaseBuilder::new("web", "shop", 1)
//!     .chart("web", "1.0.0")
//!     .manifest_doc("web/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
//!     .status(Status::Deployed, "Install complete");
//! let json = serde_json::to_vec(&rev.secret()).unwrap();
//! let out = read_input(&json, "secret.json", &Limits::default());
//! assert_eq!(out.records[0].release, rev.build());
//! assert_eq!(out.records[0].meta.base64_layers, 2);
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::codec::{encode_base64, encode_payload};
use crate::manifest::{
    HOOK_ANNOTATION, HookClass, annotation_of, classify_hook, hook_from_document, parse_yaml,
    split_rendered,
};
use crate::model::{
    ApplyMethod, Chart, ChartFile, ChartMetadata, Hook, HookDeletePolicy, HookExecution, Info,
    Release, Status, Timestamp,
};

/// A fixed instant used when a builder is given no times (2026-01-01T00:00:00Z + revision).
fn default_time(revision: u64) -> Timestamp {
    Timestamp::new(format!(
        "2026-01-01T00:{:02}:{:02}.000000001Z",
        (revision / 60) % 60,
        revision % 60
    ))
}

/// Builds one revision.
#[derive(Debug, Clone)]
pub struct ReleaseBuilder {
    release: Release,
    helm4: bool,
    first_deployed_set: bool,
}

impl ReleaseBuilder {
    /// A deployed revision with no objects, written by Helm 3.
    pub fn new(name: &str, namespace: &str, revision: u64) -> Self {
        let mut release = Release {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            version: revision,
            ..Release::default()
        };
        release.info = Info {
            first_deployed: Some(default_time(1)),
            last_deployed: Some(default_time(revision)),
            deleted: None,
            description: if revision == 1 {
                "Install complete".into()
            } else {
                "Upgrade complete".into()
            },
            status: Status::Deployed,
            notes: String::new(),
        };
        release.chart.metadata = ChartMetadata {
            name: name.to_owned(),
            version: "0.1.0".into(),
            api_version: "v2".into(),
            chart_type: "application".into(),
            ..ChartMetadata::default()
        };
        ReleaseBuilder {
            release,
            helm4: false,
            first_deployed_set: false,
        }
    }

    /// The rendered NOTES.txt.
    pub fn notes(mut self, notes: &str) -> Self {
        self.release.info.notes = notes.to_owned();
        self
    }

    /// Status and description.
    pub fn status(mut self, status: Status, description: &str) -> Self {
        self.release.info.status = status;
        self.release.info.description = description.to_owned();
        self
    }

    /// `first_deployed` and `last_deployed` (RFC 3339).
    pub fn times(mut self, first_deployed: &str, last_deployed: &str) -> Self {
        self.release.info.first_deployed = Some(Timestamp::new(first_deployed));
        self.release.info.last_deployed = Some(Timestamp::new(last_deployed));
        self.first_deployed_set = true;
        self
    }

    /// `info.deleted` (uninstalls).
    pub fn deleted(mut self, at: &str) -> Self {
        self.release.info.deleted = Some(Timestamp::new(at));
        self
    }

    /// Chart name and version.
    pub fn chart(mut self, name: &str, version: &str) -> Self {
        self.release.chart.metadata.name = name.to_owned();
        self.release.chart.metadata.version = version.to_owned();
        self
    }

    /// Chart `appVersion`.
    pub fn app_version(mut self, app_version: &str) -> Self {
        self.release.chart.metadata.app_version = app_version.to_owned();
        self
    }

    /// Add a chart template file (`templates/x.yaml`) with its source text.
    pub fn template(mut self, name: &str, text: &str) -> Self {
        self.release.chart.templates.push(ChartFile {
            name: name.to_owned(),
            data: encode_base64(text.as_bytes()).into(),
        });
        self
    }

    /// Add a chart file other than a template (`crds/widgets.yaml`, `files/x`), stored in
    /// `chart.files` as Helm stores it.
    pub fn chart_file(mut self, name: &str, text: &str) -> Self {
        self.release.chart.files.push(ChartFile {
            name: name.to_owned(),
            data: encode_base64(text.as_bytes()).into(),
        });
        self
    }

    /// The chart's default values.
    pub fn chart_values(mut self, values: Value) -> Self {
        self.release.chart.values = values;
        self
    }

    /// User-supplied values (`config`).
    pub fn config(mut self, values: Value) -> Self {
        self.release.config = values;
        self
    }

    /// Append a manifest document rendered from template `source`.
    pub fn manifest_doc(mut self, source: &str, yaml: &str) -> Self {
        let _ = write!(
            self.release.manifest,
            "---\n# Source: {source}\n{}\n",
            yaml.trim()
        );
        self
    }

    /// Append a hook rendered from template `path`, reading its events, weight and policies
    /// from the annotations the way Helm does. The hook is stored as not yet run.
    ///
    /// # Panics
    /// When `yaml` has no valid `helm.sh/hook` annotation: a builder misuse, not input data.
    pub fn hook(mut self, path: &str, yaml: &str) -> Self {
        let hook = hook_from_yaml(path, yaml.trim());
        self.release.hooks.push(hook);
        self
    }

    /// Add everything in a `helm template`-style stream: hooks to `hooks`, the rest to the
    /// manifest (documents with unknown hook events are dropped, as Helm does).
    pub fn rendered(mut self, text: &str) -> Self {
        let split = split_rendered(text);
        self.release.manifest.push_str(&split.manifest);
        self.release.hooks.extend(split.hooks);
        self
    }

    /// Record that hook `name` ran during this revision's operation, as Helm persists it: the
    /// default `before-hook-creation` policy filled in, and `last_run` set.
    pub fn hook_ran(
        mut self,
        name: &str,
        phase: &str,
        started_at: &str,
        completed_at: &str,
    ) -> Self {
        for hook in self.release.hooks.iter_mut().filter(|h| h.name == name) {
            if hook.delete_policies.is_empty() {
                hook.delete_policies = vec![HookDeletePolicy::BeforeHookCreation];
            }
            hook.last_run = HookExecution {
                started_at: Some(Timestamp::new(started_at)),
                completed_at: Some(Timestamp::new(completed_at)).filter(|t| !t.as_str().is_empty()),
                phase: phase.to_owned(),
            };
        }
        self
    }

    /// Mark every hook that runs on one of `events` as run successfully at this revision's time.
    pub fn hooks_ran_for(mut self, events: &[crate::HookEvent]) -> Self {
        let at = self
            .release
            .info
            .last_deployed
            .clone()
            .unwrap_or_else(|| default_time(self.release.version));
        for hook in self
            .release
            .hooks
            .iter_mut()
            .filter(|h| h.events.iter().any(|e| events.contains(e)))
        {
            if hook.delete_policies.is_empty() {
                hook.delete_policies = vec![HookDeletePolicy::BeforeHookCreation];
            }
            hook.last_run = HookExecution {
                started_at: Some(at.clone()),
                completed_at: Some(at.clone()),
                phase: "Succeeded".into(),
            };
        }
        self
    }

    /// Written by Helm 4 with this apply method (zero times omitted, `apply_method` set).
    pub fn helm4(mut self, method: ApplyMethod) -> Self {
        self.release.apply_method = Some(method);
        self.helm4 = true;
        self
    }

    /// The release model.
    pub fn build(&self) -> Release {
        self.release.clone()
    }

    /// The release JSON, byte for byte as Go's `json.Marshal` writes Helm's struct.
    pub fn to_json(&self) -> Vec<u8> {
        encode_release_json(&self.release)
    }

    /// `base64(gzip(json))`: the value Helm stores (ConfigMap data, SQL body, typed Secret data).
    pub fn payload(&self) -> String {
        encode_payload(&self.to_json())
    }

    fn labels(&self) -> Value {
        json!({
            "name": self.release.name,
            "owner": "helm",
            "status": self.release.info.status.as_str(),
            "version": self.release.version.to_string(),
        })
    }

    fn object_name(&self) -> String {
        format!(
            "sh.helm.release.v1.{}.v{}",
            self.release.name, self.release.version
        )
    }

    /// The Secret as `kubectl get secret -o json` prints it (`data.release` base64 twice).
    pub fn secret(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": self.object_name(),
                "namespace": self.release.namespace,
                "labels": self.labels(),
            },
            "type": "helm.sh/release.v1",
            "data": { "release": encode_base64(self.payload().as_bytes()) },
        })
    }

    /// The ConfigMap as `kubectl get configmap -o json` prints it (one base64 layer).
    pub fn configmap(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.object_name(),
                "namespace": self.release.namespace,
                "labels": self.labels(),
            },
            "data": { "release": self.payload() },
        })
    }

    /// A row of the SQL driver's `releases_v1` table, as JSON.
    pub fn sql_row(&self) -> Value {
        json!({
            "key": self.object_name(),
            "type": "helm.sh/release.v1",
            "body": self.payload(),
            "name": self.release.name,
            "namespace": self.release.namespace,
            "version": self.release.version,
            "status": self.release.info.status.as_str(),
            "owner": "helm",
        })
    }
}

/// A `v1 List` of objects, as `kubectl get … -o json` prints several.
pub fn list(items: Vec<Value>) -> Value {
    json!({ "apiVersion": "v1", "kind": "List", "items": items, "metadata": { "resourceVersion": "" } })
}

fn hook_from_yaml(path: &str, yaml: &str) -> Hook {
    let value = parse_yaml(yaml).unwrap_or(Value::Null);
    match classify_hook(annotation_of(&value, HOOK_ANNOTATION).as_deref()) {
        HookClass::Hook(events) => hook_from_document(path, yaml, &value, events),
        other => panic!("builder: {path} is not a valid hook ({other:?})"),
    }
}

// --- Go encoding/json compatible writer -------------------------------------------------

/// Encode a release as Go's `json.Marshal` encodes Helm's `Release` struct.
///
/// Fields helm-why does not model (chart `lock`, `schema`, dependencies) are written as Helm
/// writes them for a chart without them.
pub fn encode_release_json(r: &Release) -> Vec<u8> {
    let helm4 = r.apply_method.is_some();
    let mut w = GoJson::default();
    w.open();
    w.field("name", |w| w.string(&r.name));
    w.field("info", |w| encode_info(w, &r.info, helm4));
    w.field("chart", |w| encode_chart(w, &r.chart, helm4));
    if !is_empty_value(&r.config) {
        w.field("config", |w| w.value(&r.config));
    }
    if !r.manifest.is_empty() {
        w.field("manifest", |w| w.string(&r.manifest));
    }
    if !r.hooks.is_empty() {
        w.field("hooks", |w| {
            w.array(&r.hooks, |w, h| encode_hook(w, h, helm4));
        });
    }
    if r.version != 0 {
        w.field("version", |w| w.raw(&r.version.to_string()));
    }
    if !r.namespace.is_empty() {
        w.field("namespace", |w| w.string(&r.namespace));
    }
    if let Some(m) = &r.apply_method {
        w.field("apply_method", |w| w.string(m.as_str()));
    }
    w.close();
    w.out.into_bytes()
}

fn encode_info(w: &mut GoJson, info: &Info, helm4: bool) {
    w.open();
    let time = |w: &mut GoJson, key: &str, t: &Option<Timestamp>| match (t, helm4) {
        (Some(t), _) => w.field(key, |w| w.string(t.as_str())),
        (None, false) => w.field(key, |w| w.string("")),
        (None, true) => {}
    };
    time(w, "first_deployed", &info.first_deployed);
    time(w, "last_deployed", &info.last_deployed);
    time(w, "deleted", &info.deleted);
    if !info.description.is_empty() {
        w.field("description", |w| w.string(&info.description));
    }
    if info.status != Status::Unknown {
        w.field("status", |w| w.string(info.status.as_str()));
    }
    if !info.notes.is_empty() {
        w.field("notes", |w| w.string(&info.notes));
    }
    w.close();
}

fn encode_chart(w: &mut GoJson, chart: &Chart, helm4: bool) {
    const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";
    w.open();
    w.field("metadata", |w| {
        let m = &chart.metadata;
        w.open();
        for (key, value) in [
            ("name", &m.name),
            ("version", &m.version),
            ("description", &m.description),
            ("apiVersion", &m.api_version),
            ("appVersion", &m.app_version),
            ("type", &m.chart_type),
        ] {
            if !value.is_empty() {
                w.field(key, |w| w.string(value));
            }
        }
        w.close();
    });
    w.field("lock", |w| w.raw("null"));
    let files = |w: &mut GoJson, files: &[ChartFile]| {
        if files.is_empty() {
            w.raw("null");
            return;
        }
        w.array(files, |w, f| {
            w.open();
            w.field("name", |w| w.string(&f.name));
            w.field("data", |w| w.string(&f.data));
            if helm4 {
                w.field("modtime", |w| w.string(GO_ZERO_TIME));
            }
            w.close();
        });
    };
    w.field("templates", |w| files(w, &chart.templates));
    w.field("values", |w| {
        if chart.values.is_null() {
            w.raw("null");
        } else {
            w.value(&chart.values);
        }
    });
    w.field("schema", |w| w.raw("null"));
    if helm4 {
        w.field("schemamodtime", |w| w.string(GO_ZERO_TIME));
    }
    w.field("files", |w| files(w, &chart.files));
    if helm4 {
        w.field("modtime", |w| w.string(GO_ZERO_TIME));
    }
    w.close();
}

fn encode_hook(w: &mut GoJson, h: &Hook, helm4: bool) {
    w.open();
    for (key, value) in [
        ("name", &h.name),
        ("kind", &h.kind),
        ("path", &h.path),
        ("manifest", &h.manifest),
    ] {
        if !value.is_empty() {
            w.field(key, |w| w.string(value));
        }
    }
    if !h.events.is_empty() {
        w.field("events", |w| {
            w.array(&h.events, |w, e| w.string(e.as_str()))
        });
    }
    w.field("last_run", |w| {
        w.open();
        let run = &h.last_run;
        for (key, t) in [
            ("started_at", &run.started_at),
            ("completed_at", &run.completed_at),
        ] {
            match (t, helm4) {
                (Some(t), _) => w.field(key, |w| w.string(t.as_str())),
                (None, false) => w.field(key, |w| w.string("")),
                (None, true) => {}
            }
        }
        w.field("phase", |w| w.string(&run.phase));
        w.close();
    });
    if h.weight != 0 {
        w.field("weight", |w| w.raw(&h.weight.to_string()));
    }
    if !h.delete_policies.is_empty() {
        w.field("delete_policies", |w| {
            w.array(&h.delete_policies, |w, p| w.string(p.as_str()))
        });
    }
    if !h.output_log_policies.is_empty() {
        w.field("output_log_policies", |w| {
            w.array(&h.output_log_policies, |w, p| w.string(p))
        });
    }
    w.close();
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// A minimal writer producing Go `encoding/json` output.
#[derive(Default)]
struct GoJson {
    out: String,
    first: Vec<bool>,
}

impl GoJson {
    fn open(&mut self) {
        self.out.push('{');
        self.first.push(true);
    }

    fn close(&mut self) {
        self.out.push('}');
        self.first.pop();
    }

    fn comma(&mut self) {
        if let Some(first) = self.first.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
    }

    fn field(&mut self, key: &str, body: impl FnOnce(&mut GoJson)) {
        self.comma();
        self.string(key);
        self.out.push(':');
        body(self);
    }

    fn array<T>(&mut self, items: &[T], mut each: impl FnMut(&mut GoJson, &T)) {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            each(self, item);
        }
        self.out.push(']');
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// Go marshals `map[string]interface{}` with sorted keys; serde_json's map is a BTreeMap.
    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.raw("null"),
            Value::Bool(b) => self.raw(if *b { "true" } else { "false" }),
            Value::Number(n) => self.raw(&n.to_string()),
            Value::String(s) => self.string(s),
            Value::Array(items) => self.array(items, |w, item| w.value(item)),
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                self.open();
                for (k, v) in sorted {
                    self.field(k, |w| w.value(v));
                }
                self.close();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_release_json;

    #[test]
    fn go_escaping() {
        let mut w = GoJson::default();
        w.string("a<b>&\u{1}\u{2028}é");
        assert_eq!(w.out, r#""a\u003cb\u003e\u0026\u0001\u2028é""#);
    }

    #[test]
    fn round_trip_keeps_the_model() {
        let b = ReleaseBuilder::new("web", "shop", 2)
            .chart("web", "1.2.0")
            .app_version("1.2")
            .config(json!({"image": {"tag": "v1"}}))
            .manifest_doc("web/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web")
            .hook(
                "web/templates/job.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-weight: \"3\"\n",
            )
            .hooks_ran_for(&[crate::HookEvent::PreUpgrade]);
        let back = parse_release_json(&b.to_json()).unwrap();
        assert_eq!(back, b.build());
        let h4 = b.clone().helm4(ApplyMethod::ServerSide);
        let json = String::from_utf8(h4.to_json()).unwrap();
        assert!(!json.contains(r#""deleted""#));
        assert!(json.ends_with(r#""namespace":"shop","apply_method":"ssa"}"#));
        let h3 = String::from_utf8(b.to_json()).unwrap();
        assert!(h3.contains(r#""deleted":"""#));
    }
}
