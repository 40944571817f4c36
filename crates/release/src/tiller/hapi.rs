//! The protobuf messages of Helm 2's `hapi` API that Tiller stores, as `prost` structs.
//!
//! Field numbers are those of Helm v2.17.0's `_proto/hapi/release/{release,info,status,hook}.proto`
//! and `_proto/hapi/chart/{chart,metadata,template,config}.proto`. Only the fields helm-why reads
//! are declared; protobuf skips the others (chart `dependencies`, status `resources` and test
//! runs, `Config.values`), so a record that holds them still decodes.
//!
//! The same structs encode test records ([`super::builder`]), so reading and writing share one
//! definition.

/// `hapi.release.Release`: one revision.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Release {
    /// Release name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Status and times.
    #[prost(message, optional, tag = "2")]
    pub info: Option<Info>,
    /// The chart (subcharts are in its `dependencies`, not read).
    #[prost(message, optional, tag = "3")]
    pub chart: Option<Chart>,
    /// User-supplied values, as YAML text.
    #[prost(message, optional, tag = "4")]
    pub config: Option<Config>,
    /// The rendered non-hook documents.
    #[prost(string, tag = "5")]
    pub manifest: String,
    /// Hooks.
    #[prost(message, repeated, tag = "6")]
    pub hooks: Vec<Hook>,
    /// The revision.
    #[prost(int32, tag = "7")]
    pub version: i32,
    /// The release namespace (where its objects live; the record itself is in Tiller's).
    #[prost(string, tag = "8")]
    pub namespace: String,
}

/// `hapi.release.Info`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Info {
    /// Status code and notes.
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    /// When revision 1 was installed.
    #[prost(message, optional, tag = "2")]
    pub first_deployed: Option<Timestamp>,
    /// When this revision's operation ran.
    #[prost(message, optional, tag = "3")]
    pub last_deployed: Option<Timestamp>,
    /// When `helm delete` ran.
    #[prost(message, optional, tag = "4")]
    pub deleted: Option<Timestamp>,
    /// Tiller's description (`Install complete`, `Deletion complete`, …).
    #[prost(string, tag = "5")]
    pub description: String,
}

/// `hapi.release.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    /// `Status.Code`: see [`status_code`].
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// Rendered NOTES.txt.
    #[prost(string, tag = "4")]
    pub notes: String,
}

/// `Status.Code` values.
pub mod status_code {
    /// `UNKNOWN`
    pub const UNKNOWN: i32 = 0;
    /// `DEPLOYED`
    pub const DEPLOYED: i32 = 1;
    /// `DELETED` (`helm delete` without `--purge`: the history is kept)
    pub const DELETED: i32 = 2;
    /// `SUPERSEDED`
    pub const SUPERSEDED: i32 = 3;
    /// `FAILED`
    pub const FAILED: i32 = 4;
    /// `DELETING`
    pub const DELETING: i32 = 5;
    /// `PENDING_INSTALL`
    pub const PENDING_INSTALL: i32 = 6;
    /// `PENDING_UPGRADE`
    pub const PENDING_UPGRADE: i32 = 7;
    /// `PENDING_ROLLBACK`
    pub const PENDING_ROLLBACK: i32 = 8;
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `hapi.release.Hook`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Hook {
    /// `metadata.name`.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Kind.
    #[prost(string, tag = "2")]
    pub kind: String,
    /// Template path.
    #[prost(string, tag = "3")]
    pub path: String,
    /// The YAML document.
    #[prost(string, tag = "4")]
    pub manifest: String,
    /// `Hook.Event` values: see [`hook_event`].
    #[prost(int32, repeated, tag = "5")]
    pub events: Vec<i32>,
    /// When Tiller last ran it (it records no phase or completion).
    #[prost(message, optional, tag = "6")]
    pub last_run: Option<Timestamp>,
    /// `helm.sh/hook-weight`.
    #[prost(int32, tag = "7")]
    pub weight: i32,
    /// `Hook.DeletePolicy` values: see [`delete_policy`].
    #[prost(int32, repeated, tag = "8")]
    pub delete_policies: Vec<i32>,
    /// `helm.sh/hook-delete-timeout`, seconds.
    #[prost(int64, tag = "9")]
    pub delete_timeout: i64,
}

/// `Hook.Event` values.
pub mod hook_event {
    /// `UNKNOWN`
    pub const UNKNOWN: i32 = 0;
    /// `PRE_INSTALL`
    pub const PRE_INSTALL: i32 = 1;
    /// `POST_INSTALL`
    pub const POST_INSTALL: i32 = 2;
    /// `PRE_DELETE`
    pub const PRE_DELETE: i32 = 3;
    /// `POST_DELETE`
    pub const POST_DELETE: i32 = 4;
    /// `PRE_UPGRADE`
    pub const PRE_UPGRADE: i32 = 5;
    /// `POST_UPGRADE`
    pub const POST_UPGRADE: i32 = 6;
    /// `PRE_ROLLBACK`
    pub const PRE_ROLLBACK: i32 = 7;
    /// `POST_ROLLBACK`
    pub const POST_ROLLBACK: i32 = 8;
    /// `RELEASE_TEST_SUCCESS` (`test-success`)
    pub const RELEASE_TEST_SUCCESS: i32 = 9;
    /// `RELEASE_TEST_FAILURE` (`test-failure`)
    pub const RELEASE_TEST_FAILURE: i32 = 10;
    /// `CRD_INSTALL` (`crd-install`)
    pub const CRD_INSTALL: i32 = 11;
}

/// `Hook.DeletePolicy` values.
pub mod delete_policy {
    /// `SUCCEEDED` (`hook-succeeded`)
    pub const SUCCEEDED: i32 = 0;
    /// `FAILED` (`hook-failed`)
    pub const FAILED: i32 = 1;
    /// `BEFORE_HOOK_CREATION` (`before-hook-creation`)
    pub const BEFORE_HOOK_CREATION: i32 = 2;
}

/// `hapi.chart.Chart`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Chart {
    /// `Chart.yaml`.
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<Metadata>,
    /// Templates.
    #[prost(message, repeated, tag = "2")]
    pub templates: Vec<Template>,
    /// Default values, as YAML text.
    #[prost(message, optional, tag = "4")]
    pub values: Option<Config>,
    /// Other files, as `google.protobuf.Any` (`type_url` is the path).
    #[prost(message, repeated, tag = "5")]
    pub files: Vec<Any>,
}

/// `hapi.chart.Metadata` (the fields helm-why reads).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metadata {
    /// Chart name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Chart version.
    #[prost(string, tag = "4")]
    pub version: String,
    /// Description.
    #[prost(string, tag = "5")]
    pub description: String,
    /// `apiVersion`.
    #[prost(string, tag = "10")]
    pub api_version: String,
    /// `appVersion`.
    #[prost(string, tag = "13")]
    pub app_version: String,
}

/// `hapi.chart.Template`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Template {
    /// Chart-relative path.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Content.
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
}

/// `hapi.chart.Config`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Config {
    /// The YAML text.
    #[prost(string, tag = "1")]
    pub raw: String,
}

/// `google.protobuf.Any`, as Helm 2 stores chart files.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    /// The file path.
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The content.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}
