//! Build Tiller records as Helm 2 wrote them, for tests and examples.
//!
//! The protobuf comes from the same [`hapi`] messages the decoder reads, encoded
//! with `prost` (field order and packed repeated enums as Go's `proto.Marshal` writes them), then
//! gzipped at best compression and base64-encoded like Tiller's `encodeRelease`
//! [Helm v2.17.0 `pkg/storage/driver/util.go`], and wrapped in a ConfigMap or Secret named
//! `<release>.v<N>` with Tiller's labels, as `kubectl get -o json` prints it.
//!
//! ```
//! use helm_why_release::tiller::builder::TillerBuilder;
//! use helm_why_release::{input::read_input, Limits, Status};
//! let v1 = TillerBuilder::new("web", "shop", 1)
//!     .manifest_doc("web/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n");
//! let json = serde_json::to_vec(&v1.configmap("kube-system")).unwrap();
//! let out = read_input(&json, "tiller.json", &Limits::default());
//! assert_eq!(out.records[0].release.info.status, Status::Deployed);
//! assert_eq!(out.records[0].storage_namespace(), "shop");
//! ```

use std::fmt::Write as _;

use prost::Message as _;
use serde_json::{Value, json};

use super::hapi;
use crate::codec::{encode_base64, encode_payload};
use crate::model::Status;

/// 2019-01-01T00:00:00Z: revisions built without times are one minute apart from here.
const BASE_SECONDS: i64 = 1_546_300_800;

/// Builds one Tiller revision.
#[derive(Debug, Clone)]
pub struct TillerBuilder {
    release: hapi::Release,
    /// Whether the payload is gzipped ([`TillerBuilder::uncompressed`]).
    gzipped: bool,
}

fn at(seconds: i64) -> Option<hapi::Timestamp> {
    Some(hapi::Timestamp { seconds, nanos: 0 })
}

impl TillerBuilder {
    /// A `DEPLOYED` revision of chart `<name>-0.1.0` with no objects.
    pub fn new(name: &str, namespace: &str, revision: i32) -> Self {
        let description = if revision == 1 {
            "Install complete"
        } else {
            "Upgrade complete"
        };
        TillerBuilder {
            release: hapi::Release {
                name: name.to_owned(),
                info: Some(hapi::Info {
                    status: Some(hapi::Status {
                        code: hapi::status_code::DEPLOYED,
                        notes: String::new(),
                    }),
                    first_deployed: at(BASE_SECONDS + 60),
                    last_deployed: at(BASE_SECONDS + 60 * i64::from(revision)),
                    deleted: None,
                    description: description.to_owned(),
                }),
                chart: Some(hapi::Chart {
                    metadata: Some(hapi::Metadata {
                        name: name.to_owned(),
                        version: "0.1.0".to_owned(),
                        api_version: "v1".to_owned(),
                        ..hapi::Metadata::default()
                    }),
                    ..hapi::Chart::default()
                }),
                config: Some(hapi::Config {
                    raw: "{}\n".to_owned(),
                }),
                manifest: String::new(),
                hooks: Vec::new(),
                version: revision,
                namespace: namespace.to_owned(),
            },
            gzipped: true,
        }
    }

    fn info(&mut self) -> &mut hapi::Info {
        self.release.info.get_or_insert_with(hapi::Info::default)
    }

    /// Status (as the model names it: `Uninstalled` is Tiller's `DELETED`) and description.
    pub fn status(mut self, status: Status, description: &str) -> Self {
        use hapi::status_code as c;
        let code = match status {
            Status::Unknown | Status::Other(_) => c::UNKNOWN,
            Status::Deployed => c::DEPLOYED,
            Status::Uninstalled => c::DELETED,
            Status::Superseded => c::SUPERSEDED,
            Status::Failed => c::FAILED,
            Status::Uninstalling => c::DELETING,
            Status::PendingInstall => c::PENDING_INSTALL,
            Status::PendingUpgrade => c::PENDING_UPGRADE,
            Status::PendingRollback => c::PENDING_ROLLBACK,
        };
        let info = self.info();
        info.status.get_or_insert_with(hapi::Status::default).code = code;
        info.description = description.to_owned();
        self
    }

    /// `first_deployed` and `last_deployed`, in Unix seconds.
    pub fn times(mut self, first_deployed: i64, last_deployed: i64) -> Self {
        let info = self.info();
        info.first_deployed = at(first_deployed);
        info.last_deployed = at(last_deployed);
        self
    }

    /// `info.deleted`, in Unix seconds (`helm delete`).
    pub fn deleted(mut self, seconds: i64) -> Self {
        self.info().deleted = at(seconds);
        self
    }

    /// Chart name and version.
    pub fn chart(mut self, name: &str, version: &str) -> Self {
        if let Some(m) = self
            .release
            .chart
            .get_or_insert_with(hapi::Chart::default)
            .metadata
            .as_mut()
        {
            m.name = name.to_owned();
            m.version = version.to_owned();
        }
        self
    }

    /// Add a chart template with its source text.
    pub fn template(mut self, name: &str, text: &str) -> Self {
        let chart = self.release.chart.get_or_insert_with(hapi::Chart::default);
        chart.templates.push(hapi::Template {
            name: name.to_owned(),
            data: text.as_bytes().to_vec(),
        });
        self
    }

    /// The user-supplied values, as the YAML text Tiller stores in `config.raw`.
    pub fn config_yaml(mut self, raw: &str) -> Self {
        self.release.config = Some(hapi::Config {
            raw: raw.to_owned(),
        });
        self
    }

    /// Append a manifest document rendered from template `source`, as Tiller joins them.
    pub fn manifest_doc(mut self, source: &str, yaml: &str) -> Self {
        let _ = write!(
            self.release.manifest,
            "\n---\n# Source: {source}\n{}\n",
            yaml.trim()
        );
        self
    }

    /// Append a hook exactly as given (events and policies are `hapi` codes).
    pub fn hook(mut self, hook: hapi::Hook) -> Self {
        self.release.hooks.push(hook);
        self
    }

    /// The protobuf message.
    pub fn message(&self) -> &hapi::Release {
        &self.release
    }

    /// The record's object name, `<release>.v<N>`.
    pub fn object_name(&self) -> String {
        format!("{}.v{}", self.release.name, self.release.version)
    }

    /// Store the protobuf without gzip, `base64(protobuf)`, as Tiller did before it compressed
    /// its records (helm/helm#1420, October 2016, before Helm 2.0.0): such ConfigMaps can
    /// still be in Tiller's storage, and Tiller reads them.
    pub fn uncompressed(mut self) -> Self {
        self.gzipped = false;
        self
    }

    /// `base64(gzip(protobuf))`: the value Tiller stores under `release`
    /// (`base64(protobuf)` when [`TillerBuilder::uncompressed`]).
    pub fn payload(&self) -> String {
        let protobuf = self.release.encode_to_vec();
        if self.gzipped {
            encode_payload(&protobuf)
        } else {
            encode_base64(&protobuf)
        }
    }

    fn metadata(&self, tiller_namespace: &str) -> Value {
        let code = self
            .release
            .info
            .as_ref()
            .and_then(|i| i.status.as_ref())
            .map_or(0, |s| s.code);
        let created = self
            .release
            .info
            .as_ref()
            .and_then(|i| i.last_deployed)
            .map_or(0, |t| t.seconds);
        json!({
            "name": self.object_name(),
            "namespace": tiller_namespace,
            "labels": {
                "CREATED_AT": created.to_string(),
                "NAME": self.release.name,
                "OWNER": "TILLER",
                "STATUS": super::status_label(&super::status(code)),
                "VERSION": self.release.version.to_string(),
            },
        })
    }

    /// The ConfigMap (Tiller's default driver) as `kubectl get configmap -o json` prints it.
    pub fn configmap(&self, tiller_namespace: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": self.metadata(tiller_namespace),
            "data": { "release": self.payload() },
        })
    }

    /// The Secret (`--storage=secret`) as `kubectl get secret -o json` prints it: `data.release`
    /// is base64 twice, and there is no `type` (Opaque).
    pub fn secret(&self, tiller_namespace: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": self.metadata(tiller_namespace),
            "type": "Opaque",
            "data": { "release": encode_base64(self.payload().as_bytes()) },
        })
    }
}
