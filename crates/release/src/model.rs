//! The release record as Helm 3 and Helm 4 serialize it (`pkg/release`, `pkg/release/v1`).
//!
//! Decoding is lenient the way Go's `encoding/json` is: unknown fields are ignored, missing
//! fields take their zero value, and Helm 3's `""` zero times read the same as Helm 4's omitted
//! ones. Enumerations keep values they do not know (`Status::Other`) instead of failing.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

/// One revision of a release: what Helm stored after an install, upgrade, rollback or uninstall.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Status, timestamps, description and notes.
    pub info: Info,
    /// The chart, including its templates and default values (subcharts are not stored).
    pub chart: Chart,
    /// User-supplied values only (after `--reuse-values` merging), not the computed values.
    pub config: serde_json::Value,
    /// The rendered non-hook documents, each prefixed with `---\n# Source: <path>\n`.
    pub manifest: String,
    /// Hooks, stored apart from the manifest and never tracked by the upgrade diff.
    pub hooks: Vec<Hook>,
    /// The revision number.
    pub version: u64,
    /// The release namespace.
    pub namespace: String,
    /// Helm 4 only: `ssa` or `csa`. Absent in Helm 3 records (which means client-side apply).
    pub apply_method: Option<ApplyMethod>,
}

impl Release {
    /// The chart's `name-version`, as `helm history` prints it (`web-1.2.0`).
    pub fn chart_label(&self) -> String {
        let m = &self.chart.metadata;
        match (m.name.is_empty(), m.version.is_empty()) {
            (true, _) => String::new(),
            (false, true) => m.name.clone(),
            (false, false) => format!("{}-{}", m.name, m.version),
        }
    }

    /// Whether the record was written by Helm 4 (it carries `apply_method`).
    pub fn written_by_helm4(&self) -> bool {
        self.apply_method.is_some()
    }
}

/// `Info` of a release: status and the times Helm recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Info {
    /// When revision 1 was installed (copied forward by every operation).
    pub first_deployed: Option<Timestamp>,
    /// When the operation that produced this revision *started*.
    pub last_deployed: Option<Timestamp>,
    /// When an uninstall started.
    pub deleted: Option<Timestamp>,
    /// Helm's description (`Upgrade complete`, `Upgrade "x" failed: …`, `Rollback to 3`).
    pub description: String,
    /// The release status.
    pub status: Status,
    /// Rendered NOTES.txt.
    pub notes: String,
}

/// Release status, as stored in the record and in the `status` label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// `unknown` (also what an empty status reads as).
    #[default]
    Unknown,
    /// `deployed`: the revision an upgrade diffs against.
    Deployed,
    /// `uninstalled` (kept with `--keep-history`).
    Uninstalled,
    /// `superseded` by a later successful operation.
    Superseded,
    /// `failed`.
    Failed,
    /// `uninstalling`: an uninstall started and did not finish.
    Uninstalling,
    /// `pending-install`: an install started and did not finish.
    PendingInstall,
    /// `pending-upgrade`: an upgrade started and did not finish.
    PendingUpgrade,
    /// `pending-rollback`: a rollback started and did not finish.
    PendingRollback,
    /// A status this version of helm-why does not know, kept verbatim.
    Other(String),
}

impl Status {
    /// The string Helm stores.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
            Status::Other(s) => s,
        }
    }

    /// Parse the string Helm stores (unknown strings are kept).
    pub fn parse(s: &str) -> Status {
        match s {
            "unknown" | "" => Status::Unknown,
            "deployed" => Status::Deployed,
            "uninstalled" => Status::Uninstalled,
            "superseded" => Status::Superseded,
            "failed" => Status::Failed,
            "uninstalling" => Status::Uninstalling,
            "pending-install" => Status::PendingInstall,
            "pending-upgrade" => Status::PendingUpgrade,
            "pending-rollback" => Status::PendingRollback,
            other => Status::Other(other.to_owned()),
        }
    }

    /// Helm's `IsPending()`: the three `pending-*` statuses (not `uninstalling`).
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        Ok(Status::parse(s.as_deref().unwrap_or("")))
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Helm 4's apply method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApplyMethod {
    /// Server-side apply (`ssa`).
    ServerSide,
    /// Client-side apply (`csa`), Helm 3's only method.
    ClientSide,
    /// Anything else, kept verbatim.
    Other(String),
}

impl ApplyMethod {
    /// The stored string.
    pub fn as_str(&self) -> &str {
        match self {
            ApplyMethod::ServerSide => "ssa",
            ApplyMethod::ClientSide => "csa",
            ApplyMethod::Other(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for ApplyMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "ssa" => ApplyMethod::ServerSide,
            "csa" => ApplyMethod::ClientSide,
            _ => ApplyMethod::Other(s),
        })
    }
}

/// A Go `time.Time` as Helm serialized it (RFC 3339 with nanoseconds).
///
/// The original text is kept; [`Timestamp::unix`] parses it for ordering and arithmetic.
///
/// ```
/// use helm_why_release::Timestamp;
/// let t = Timestamp::new("2026-11-22T02:56:15.590572751Z");
/// assert_eq!(t.unix(), Some((1_795_316_175, 590_572_751)));
/// assert_eq!(t.display_seconds(), "2026-11-22 02:56:15 UTC");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// Wrap an RFC 3339 string.
    pub fn new(s: impl Into<String>) -> Self {
        Timestamp(s.into())
    }

    /// The text as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Seconds and nanoseconds since the Unix epoch, or `None` when the text is not RFC 3339.
    pub fn unix(&self) -> Option<(i64, u32)> {
        parse_rfc3339(&self.0)
    }

    /// `YYYY-MM-DD HH:MM:SS UTC`, for tables; the raw text when it cannot be parsed.
    pub fn display_seconds(&self) -> String {
        match self.unix() {
            Some((secs, _)) => format_utc(secs),
            None => self.0.clone(),
        }
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.unix(), &self.0).cmp(&(other.unix(), &other.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Timestamp(String::deserialize(d)?))
    }
}

/// Deserialize an optional time where Helm 3 writes `""` for the zero time.
fn empty_time_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.filter(|s| !s.is_empty() && !s.starts_with("0001-01-01"))
        .map(Timestamp))
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InfoRaw {
    #[serde(deserialize_with = "empty_time_as_none")]
    first_deployed: Option<Timestamp>,
    #[serde(deserialize_with = "empty_time_as_none")]
    last_deployed: Option<Timestamp>,
    #[serde(deserialize_with = "empty_time_as_none")]
    deleted: Option<Timestamp>,
    #[serde(deserialize_with = "null_as_default")]
    description: String,
    status: Status,
    #[serde(deserialize_with = "null_as_default")]
    notes: String,
}

impl<'de> Deserialize<'de> for InfoWrapper {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Option<InfoRaw> = Option::deserialize(d)?;
        let raw = raw.unwrap_or_default();
        Ok(InfoWrapper(Info {
            first_deployed: raw.first_deployed,
            last_deployed: raw.last_deployed,
            deleted: raw.deleted,
            description: raw.description,
            status: raw.status,
            notes: raw.notes,
        }))
    }
}

/// Internal: lets `Release` read `info` with the zero-time rules.
#[derive(Default)]
struct InfoWrapper(Info);

/// The chart as stored in the record.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Chart {
    /// `Chart.yaml`.
    #[serde(deserialize_with = "null_as_default")]
    pub metadata: ChartMetadata,
    /// Template files (`templates/...`), base64 in the record.
    #[serde(deserialize_with = "null_as_default")]
    pub templates: Vec<ChartFile>,
    /// The chart's default `values.yaml`, as JSON.
    #[serde(deserialize_with = "null_as_default")]
    pub values: serde_json::Value,
    /// Other files of the chart (README, files/...).
    #[serde(deserialize_with = "null_as_default")]
    pub files: Vec<ChartFile>,
}

impl Chart {
    /// The template whose chart-relative name is `name` (`templates/cm.yaml`).
    pub fn template(&self, name: &str) -> Option<&ChartFile> {
        self.templates.iter().find(|t| t.name == name)
    }
}

/// `Chart.yaml` fields helm-why reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ChartMetadata {
    /// Chart name.
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    /// Chart version.
    #[serde(deserialize_with = "null_as_default")]
    pub version: String,
    /// `appVersion`.
    #[serde(rename = "appVersion", deserialize_with = "null_as_default")]
    pub app_version: String,
    /// Chart API version (`v1`, `v2`).
    #[serde(rename = "apiVersion", deserialize_with = "null_as_default")]
    pub api_version: String,
    /// Description.
    #[serde(deserialize_with = "null_as_default")]
    pub description: String,
    /// `application` or `library`.
    #[serde(rename = "type", deserialize_with = "null_as_default")]
    pub chart_type: String,
}

/// A file of the chart: `{name, data}` with `data` base64 in the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ChartFile {
    /// Chart-relative path (`templates/deployment.yaml`).
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    /// The file content, base64 as stored. Shared: the revisions of a release mostly store
    /// the same templates, and [`ChartFiles`] keeps one copy of each text.
    #[serde(deserialize_with = "null_as_default")]
    pub data: std::sync::Arc<str>,
}

/// One copy of each chart file text across the records of a reading: a release's revisions
/// mostly store the same chart, and its base64 templates are about half of a record's JSON
/// (a 1,000-revision history held them a thousand times).
#[derive(Debug, Default)]
pub struct ChartFiles {
    seen: std::collections::HashSet<std::sync::Arc<str>, foldhash::fast::RandomState>,
}

impl ChartFiles {
    /// Make `release`'s chart files share the texts already seen.
    pub fn share(&mut self, release: &mut Release) {
        let files = release.chart.templates.iter_mut();
        for file in files.chain(release.chart.files.iter_mut()) {
            match self.seen.get(&file.data) {
                Some(same) => file.data = std::sync::Arc::clone(same),
                None => {
                    self.seen.insert(std::sync::Arc::clone(&file.data));
                }
            }
        }
    }
}

impl ChartFile {
    /// The file's text (lossy UTF-8), or `None` when `data` is not valid base64.
    pub fn text(&self) -> Option<String> {
        base64::engine::general_purpose::STANDARD
            .decode(self.data.as_bytes())
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// A hook as stored in `hooks[]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hook {
    /// `metadata.name` of the hook object.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Template path (`mychart/templates/job.yaml`).
    pub path: String,
    /// The raw YAML document (no `# Source:` line).
    pub manifest: String,
    /// Events it runs on.
    pub events: Vec<HookEvent>,
    /// The last execution recorded in this revision.
    pub last_run: HookExecution,
    /// `helm.sh/hook-weight`.
    pub weight: i64,
    /// Delete policies as stored (Helm persists `before-hook-creation` once the hook ran).
    pub delete_policies: Vec<HookDeletePolicy>,
    /// Output log policies (Helm ≥ 3.18).
    pub output_log_policies: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HookRaw {
    #[serde(deserialize_with = "null_as_default")]
    name: String,
    #[serde(deserialize_with = "null_as_default")]
    kind: String,
    #[serde(deserialize_with = "null_as_default")]
    path: String,
    #[serde(deserialize_with = "null_as_default")]
    manifest: String,
    #[serde(deserialize_with = "null_as_default")]
    events: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    last_run: HookExecutionRaw,
    weight: i64,
    #[serde(deserialize_with = "null_as_default")]
    delete_policies: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    output_log_policies: Vec<String>,
}

impl<'de> Deserialize<'de> for Hook {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = HookRaw::deserialize(d)?;
        Ok(Hook {
            name: raw.name,
            kind: raw.kind,
            path: raw.path,
            manifest: raw.manifest,
            events: raw.events.iter().map(|e| HookEvent::parse(e)).collect(),
            last_run: HookExecution {
                started_at: raw.last_run.started_at,
                completed_at: raw.last_run.completed_at,
                phase: raw.last_run.phase,
            },
            weight: raw.weight,
            delete_policies: raw
                .delete_policies
                .iter()
                .map(|p| HookDeletePolicy::parse(p))
                .collect(),
            output_log_policies: raw.output_log_policies,
        })
    }
}

impl Hook {
    /// Whether the hook runs on `event`.
    pub fn runs_on(&self, event: &HookEvent) -> bool {
        self.events.contains(event)
    }

    /// Whether the stored policies contain `policy`.
    pub fn has_policy(&self, policy: &HookDeletePolicy) -> bool {
        self.delete_policies.contains(policy)
    }

    /// Whether the record shows this hook ran (a start time or a phase is recorded).
    pub fn ran(&self) -> bool {
        self.last_run.started_at.is_some() || !self.last_run.phase.is_empty()
    }
}

/// `last_run` of a hook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookExecution {
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it completed.
    pub completed_at: Option<Timestamp>,
    /// `Unknown`, `Running`, `Succeeded`, `Failed`, or empty when it never ran.
    pub phase: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HookExecutionRaw {
    #[serde(deserialize_with = "empty_time_as_none")]
    started_at: Option<Timestamp>,
    #[serde(deserialize_with = "empty_time_as_none")]
    completed_at: Option<Timestamp>,
    #[serde(deserialize_with = "null_as_default")]
    phase: String,
}

/// A hook event (`helm.sh/hook` value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    /// `pre-install`
    PreInstall,
    /// `post-install`
    PostInstall,
    /// `pre-delete`
    PreDelete,
    /// `post-delete`
    PostDelete,
    /// `pre-upgrade`
    PreUpgrade,
    /// `post-upgrade`
    PostUpgrade,
    /// `pre-rollback`
    PreRollback,
    /// `post-rollback`
    PostRollback,
    /// `test` (alias `test-success`)
    Test,
    /// Not an event Helm 3/4 knows (`crd-install`, `test-failure`, a typo): Helm drops the document.
    Unknown(String),
}

impl HookEvent {
    /// Every event Helm 3 and 4 accept, in lifecycle order.
    pub const KNOWN: [HookEvent; 9] = [
        HookEvent::PreInstall,
        HookEvent::PostInstall,
        HookEvent::PreDelete,
        HookEvent::PostDelete,
        HookEvent::PreUpgrade,
        HookEvent::PostUpgrade,
        HookEvent::PreRollback,
        HookEvent::PostRollback,
        HookEvent::Test,
    ];

    /// Parse one already-trimmed, lower-cased event name as Helm's event map does
    /// (`test-success` is an alias of `test`).
    pub fn parse(s: &str) -> HookEvent {
        match s {
            "pre-install" => HookEvent::PreInstall,
            "post-install" => HookEvent::PostInstall,
            "pre-delete" => HookEvent::PreDelete,
            "post-delete" => HookEvent::PostDelete,
            "pre-upgrade" => HookEvent::PreUpgrade,
            "post-upgrade" => HookEvent::PostUpgrade,
            "pre-rollback" => HookEvent::PreRollback,
            "post-rollback" => HookEvent::PostRollback,
            "test" | "test-success" => HookEvent::Test,
            other => HookEvent::Unknown(other.to_owned()),
        }
    }

    /// The stored string.
    pub fn as_str(&self) -> &str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::Test => "test",
            HookEvent::Unknown(s) => s,
        }
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hook delete policy (`helm.sh/hook-delete-policy` value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookDeletePolicy {
    /// `before-hook-creation`: delete the previous object just before creating the hook again.
    BeforeHookCreation,
    /// `hook-succeeded`: delete after the event's hooks all succeeded.
    HookSucceeded,
    /// `hook-failed`: delete when the hook failed.
    HookFailed,
    /// Stored as given but never matched by Helm.
    Other(String),
}

impl HookDeletePolicy {
    /// Parse one already-trimmed, lower-cased policy.
    pub fn parse(s: &str) -> HookDeletePolicy {
        match s {
            "before-hook-creation" => HookDeletePolicy::BeforeHookCreation,
            "hook-succeeded" => HookDeletePolicy::HookSucceeded,
            "hook-failed" => HookDeletePolicy::HookFailed,
            other => HookDeletePolicy::Other(other.to_owned()),
        }
    }

    /// The stored string.
    pub fn as_str(&self) -> &str {
        match self {
            HookDeletePolicy::BeforeHookCreation => "before-hook-creation",
            HookDeletePolicy::HookSucceeded => "hook-succeeded",
            HookDeletePolicy::HookFailed => "hook-failed",
            HookDeletePolicy::Other(s) => s,
        }
    }
}

impl fmt::Display for HookDeletePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Internal deserialization shape of `Release` that routes `info` through the zero-time rules.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ReleaseRaw {
    #[serde(deserialize_with = "null_as_default")]
    name: String,
    info: Option<InfoWrapper>,
    #[serde(deserialize_with = "null_as_default")]
    chart: Chart,
    #[serde(deserialize_with = "null_as_default")]
    config: serde_json::Value,
    #[serde(deserialize_with = "null_as_default")]
    manifest: String,
    #[serde(deserialize_with = "null_as_default")]
    hooks: Vec<Hook>,
    version: Option<serde_json::Number>,
    #[serde(deserialize_with = "null_as_default")]
    namespace: String,
    apply_method: Option<ApplyMethod>,
}

impl ReleaseRaw {
    /// Convert, rejecting a revision that is not a non-negative integer.
    pub(crate) fn into_release(self) -> Result<Release, String> {
        let version = match self.version {
            None => 0,
            // Go's `int` on 64-bit platforms: a revision past i64::MAX fails to unmarshal.
            Some(n) => n
                .as_u64()
                .filter(|v| i64::try_from(*v).is_ok())
                .ok_or_else(|| {
                    format!("\"version\" is {n}, not a revision number (0 to 2^63-1)")
                })?,
        };
        Ok(Release {
            name: self.name,
            info: self.info.map(|w| w.0).unwrap_or_default(),
            chart: self.chart,
            config: self.config,
            manifest: self.manifest,
            hooks: self.hooks,
            version,
            namespace: self.namespace,
            apply_method: self.apply_method,
        })
    }
}

/// Parse the release JSON Helm stores.
///
/// ```
/// let r = helm_why_release::model::parse_release_json(
///     br#"{"name":"web","info":{"status":"deployed","deleted":""},"version":2,"hooks":null}"#,
/// ).unwrap();
/// assert_eq!((r.name.as_str(), r.version), ("web", 2));
/// assert!(r.info.deleted.is_none());
/// ```
///
/// # Errors
/// The `serde_json` message (with line and column) when the text is not a release document.
pub fn parse_release_json(json: &[u8]) -> Result<Release, String> {
    // Go unmarshals only an object into a struct; serde would read an array positionally.
    match json.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(b'[') => return Err("the release JSON is an array, not an object".to_owned()),
        _ => {}
    }
    // The fast path tracks no field path; errors are rare, so only then is the document
    // read again to name the field.
    let raw = match serde_json::from_slice::<ReleaseRaw>(json) {
        Ok(raw) => raw,
        Err(err) => slow_release_json(json, err)?,
    };
    raw.into_release()
}

/// Read a release JSON that failed the fast path: Go keeps the last of duplicate keys
/// where serde's derive refuses them; any other error is described with its field path.
fn slow_release_json(json: &[u8], first: serde_json::Error) -> Result<ReleaseRaw, String> {
    let split = |e: serde_path_to_error::Error<serde_json::Error>| {
        let path = e.path().to_string();
        (path, e.into_inner())
    };
    let result = if first.to_string().starts_with("duplicate field") {
        serde_json::from_slice::<serde_json::Value>(json)
            .map_err(|e| (String::new(), e))
            .and_then(|value| serde_path_to_error::deserialize(value).map_err(split))
    } else {
        let mut de = serde_json::Deserializer::from_slice(json);
        serde_path_to_error::deserialize::<_, ReleaseRaw>(&mut de)
            .map_err(split)
            .and_then(|raw| de.end().map(|()| raw).map_err(|e| (String::new(), e)))
    };
    // Should the second reading succeed (it cannot), the first error still stands.
    match result {
        Ok(raw) if first.to_string().starts_with("duplicate field") => Ok(raw),
        Ok(_) => Err(describe_json_error(&first, "")),
        Err((path, err)) => Err(describe_json_error(&err, &path)),
    }
}

/// A release given as an already parsed JSON object (raw release JSON in an input file).
///
/// # Errors
/// A message naming the wrong-typed field, as [`parse_release_json`].
pub fn release_from_value(value: serde_json::Value) -> Result<Release, String> {
    serde_path_to_error::deserialize::<_, ReleaseRaw>(value)
        .map_err(|e| {
            let path = e.path().to_string();
            describe_json_error(&e.into_inner(), &path)
        })?
        .into_release()
}

/// A JSON error that names the field and what was expected, never the text found there
/// (a record's values may be secrets).
///
/// ```
/// let err = helm_why_release::model::parse_release_json(br#"{"name":"web","version":"hunter2"}"#)
///     .unwrap_err();
/// assert!(err.contains("\"version\"") && err.contains("a string"), "{err}");
/// assert!(!err.contains("hunter2"));
/// ```
pub fn describe_json_error(err: &serde_json::Error, path: &str) -> String {
    use serde_json::error::Category;
    // Errors from an already parsed value have no position.
    let at = match err.line() {
        0 => String::new(),
        line => format!(" (line {line} column {})", err.column()),
    };
    let field = if path.is_empty() || path == "." {
        "the release JSON".to_owned()
    } else {
        format!("field {path:?}")
    };
    match err.classify() {
        Category::Eof => format!("the release JSON ends early{at}: truncated?"),
        Category::Io => "the release JSON could not be read".to_owned(),
        Category::Syntax => {
            // serde_json's syntax messages name what was expected, never the input text.
            let text = err.to_string();
            let what = text.split(" at line ").next().unwrap_or("syntax error");
            format!("the release JSON is not valid JSON: {what}{at}")
        }
        Category::Data => {
            let text = err.to_string();
            let text = text.split(" at line ").next().unwrap_or_default();
            if let Some(rest) = text.strip_prefix("invalid type: ") {
                // `string "…", expected a string`: keep only the kinds.
                let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
                let found = found.split([' ', '`', '"']).next().unwrap_or(found);
                format!(
                    "{field} has the wrong type: expected {expected}, found {}{at}",
                    article(found)
                )
            } else if let Some(rest) = text.strip_prefix("invalid value: ") {
                let expected = rest.split_once(", expected ").map_or("?", |(_, e)| e);
                format!("{field} has an invalid value: expected {expected}{at}")
            } else if text.starts_with("unknown variant") {
                let expected = text.split_once(", expected ").map_or("?", |(_, e)| e);
                format!("{field} has an unknown value: expected {expected}{at}")
            } else if text.starts_with("recursion limit exceeded") {
                format!("the release JSON is nested too deeply{at}")
            } else {
                format!("{field} could not be read{at}")
            }
        }
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" => "an integer".to_owned(),
        "map" => "an object".to_owned(),
        "sequence" => "an array".to_owned(),
        "string" => "a string".to_owned(),
        "boolean" => "a boolean".to_owned(),
        "floating" => "a floating-point number".to_owned(),
        "null" | "unit" => "null".to_owned(),
        other => other.to_owned(),
    }
}

// --- small RFC 3339 / civil-time helpers (UTC only; enough for Helm's timestamps) ---

fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse::<i64>().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits.parse().ok()?;
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' => 0,
        b'+' | b'-' => {
            let sign = if b[i] == b'-' { -1 } else { 1 };
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs,
        nanos,
    ))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Format Unix seconds and nanoseconds as Go's `time.RFC3339Nano` does in UTC
/// (`2020-04-02T21:24:40.6135648Z`: trailing zeros of the fraction dropped).
///
/// ```
/// use helm_why_release::model::format_rfc3339;
/// assert_eq!(format_rfc3339(1_585_862_680, 613_564_800), "2020-04-02T21:24:40.6135648Z");
/// assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
/// ```
pub fn format_rfc3339(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Format Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_offsets_and_fractions() {
        assert_eq!(
            parse_rfc3339("1970-01-01T01:00:00.5+01:00"),
            Some((0, 500_000_000))
        );
        assert_eq!(parse_rfc3339("not a time"), None);
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn helm3_and_helm4_zero_times_read_the_same() {
        let h3 = parse_release_json(
            br#"{"info":{"deleted":"","status":"superseded"},"hooks":[{"name":"h","events":["pre-upgrade","TEST-x"],"last_run":{"started_at":"","completed_at":"","phase":""},"delete_policies":["hook-succeeded","bogus"]}]}"#,
        )
        .unwrap();
        let h4 = parse_release_json(
            br#"{"info":{"status":"superseded"},"hooks":[{"name":"h","events":["pre-upgrade","TEST-x"],"last_run":{"phase":""},"delete_policies":["hook-succeeded","bogus"]}],"apply_method":"csa"}"#,
        )
        .unwrap();
        assert_eq!(h3.info, h4.info);
        assert_eq!(h3.hooks, h4.hooks);
        assert_eq!(h3.hooks[0].events[1], HookEvent::Unknown("TEST-x".into()));
        assert_eq!(
            h3.hooks[0].delete_policies[1],
            HookDeletePolicy::Other("bogus".into())
        );
        assert!(!h3.written_by_helm4() && h4.written_by_helm4());
        assert!(!h3.hooks[0].ran());
    }

    #[test]
    fn bad_version_is_an_error() {
        let err = parse_release_json(br#"{"version":-3}"#).unwrap_err();
        assert!(err.contains("not a revision number"), "{err}");
        assert!(parse_release_json(b"[1,2]").is_err());
    }
}
