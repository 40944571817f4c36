//! Decode the records Helm keeps for every revision of a release, and model what they hold.
//!
//! Helm 3 and Helm 4 store each revision as `base64(gzip(JSON))` in a Secret
//! (`sh.helm.release.v1.<release>.v<N>`, type `helm.sh/release.v1`), a ConfigMap, or a row of
//! the SQL driver. This crate turns those bytes into a [`Release`] — status, chart, values, the
//! rendered `manifest` of tracked objects and the separately stored `hooks` — and splits the
//! manifest into objects with the identity Helm gives them ([`ResourceKey`]).
//!
//! Helm 2's Tiller records (`base64(gzip(protobuf))`) decode into the same model ([`tiller`]).
//!
//! It is pure: it takes bytes and returns values. Reading files or a cluster is the CLI's job.
//!
//! ```
//! use helm_why_release::builder::{ReleaseBuilder, list};
//! use helm_why_release::{history, input, manifest, Limits, ScopeResolver};
//!
//! // Two revisions written as Helm writes them, read back as `kubectl get secrets -o json`.
//! let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n";
//! let v1 = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/cm.yaml", cm);
//! let v2 = ReleaseBuilder::new("web", "shop", 2);
//! let json = serde_json::to_vec(&list(vec![v1.secret(), v2.secret()])).unwrap();
//!
//! let out = input::read_input(&json, "secrets.json", &Limits::default());
//! let histories = history::group(out.records, out.errors);
//! let web = &histories.releases[0];
//! assert_eq!(web.revisions.len(), 2);
//!
//! let first = &web.revisions[0].release;
//! let (objects, _) = manifest::manifest_objects(&first.manifest, &first.namespace, &ScopeResolver::builtin());
//! assert_eq!(objects[0].key.to_string(), "ConfigMap shop/web-config");
//! ```
#![deny(missing_docs)]

pub mod builder;
pub mod candidate;
pub mod codec;
mod error;
pub mod fast_yaml;
pub mod history;
mod identity;
pub mod images;
pub mod input;
pub mod manifest;
pub mod mentions;
pub mod model;
pub mod parallel;
pub mod record;
pub mod redact;
mod split;
pub mod tiller;

pub use codec::Limits;
pub use error::{DecodeError, Layer, RecordRef};
pub use history::{Finding, Histories, History, ReleaseId};
pub use identity::{
    DeclaredScope, ResourceKey, Scope, ScopeResolver, declared_by_crd, is_builtin_group,
    split_api_version,
};
pub use manifest::{HookClass, ManifestObject};
pub use model::{
    ApplyMethod, Chart, ChartFile, ChartMetadata, Hook, HookDeletePolicy, HookEvent, HookExecution,
    Info, Release, Status, Timestamp,
};
pub use record::{Driver, Record, RecordFormat, RecordMeta};
