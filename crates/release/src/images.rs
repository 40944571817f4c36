//! Container images of pod templates: which image every container of a workload runs, the
//! image reference parsed as the container runtime parses it, how mutable its tag is in
//! practice, and the `imagePullPolicy` Kubernetes gives it.
//!
//! Pure: it reads a parsed [`ManifestObject`] and returns values.
//!
//! ```
//! use helm_why_release::images::{container_images, PullPolicy, PullPolicyRule, TagClass};
//! use helm_why_release::manifest::manifest_objects;
//! use helm_why_release::ScopeResolver;
//! let manifest = "---\n# Source: web/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\n\
//!     metadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: myimage:v1\n";
//! let (objects, _) = manifest_objects(manifest, "shop", &ScopeResolver::builtin());
//! let images = container_images(&objects[0]);
//! assert_eq!(images[0].container, "app");
//! assert_eq!(images[0].tag_class, TagClass::PartialVersion);
//! assert_eq!(images[0].pull_policy, PullPolicy::IfNotPresent);
//! assert_eq!(images[0].pull_policy_rule, PullPolicyRule::DefaultTagNotLatest);
//! let reference = images[0].reference.as_ref().unwrap();
//! assert_eq!(reference.to_string(), "docker.io/library/myimage:v1");
//! ```

use std::fmt;

use serde_json::Value;

use crate::identity::ResourceKey;
use crate::manifest::{ManifestObject, scalar_text};

/// The registry Docker Hub references default to.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// The legacy name of Docker Hub, normalised to [`DEFAULT_REGISTRY`].
const LEGACY_DEFAULT_REGISTRY: &str = "index.docker.io";
/// The namespace of Docker Hub's official images (`nginx` is `library/nginx`).
const OFFICIAL_REPOSITORY_PREFIX: &str = "library/";
/// The longest repository name (registry included) the reference grammar accepts.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

// --- workloads ----------------------------------------------------------------------------

/// A kind of object that runs pods from a pod template (or is a pod).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum WorkloadKind {
    /// `apps/v1` (or `extensions`) Deployment.
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` (or `extensions`) DaemonSet.
    DaemonSet,
    /// `apps/v1` (or `extensions`) ReplicaSet.
    ReplicaSet,
    /// Core `v1` ReplicationController.
    ReplicationController,
    /// `batch/v1` Job.
    Job,
    /// `batch/v1` CronJob (the pod template is `spec.jobTemplate.spec.template`).
    CronJob,
    /// Core `v1` Pod (the object is the pod).
    Pod,
}

impl WorkloadKind {
    /// The workload kind of an object, checking the API group so that a custom resource that
    /// happens to be called `Deployment` is not mistaken for one.
    ///
    /// ```
    /// use helm_why_release::images::WorkloadKind;
    /// use helm_why_release::ResourceKey;
    /// let key = ResourceKey::new("batch/v1", "CronJob", Some("shop"), "nightly");
    /// assert_eq!(WorkloadKind::of(&key), Some(WorkloadKind::CronJob));
    /// let custom = ResourceKey::new("example.com/v1", "Deployment", Some("shop"), "x");
    /// assert_eq!(WorkloadKind::of(&custom), None);
    /// ```
    pub fn of(key: &ResourceKey) -> Option<WorkloadKind> {
        let group = key.group.as_str();
        let apps = matches!(group, "apps" | "extensions");
        match key.kind.as_str() {
            "Deployment" if apps => Some(WorkloadKind::Deployment),
            "StatefulSet" if group == "apps" => Some(WorkloadKind::StatefulSet),
            "DaemonSet" if apps => Some(WorkloadKind::DaemonSet),
            "ReplicaSet" if apps => Some(WorkloadKind::ReplicaSet),
            "ReplicationController" if group.is_empty() => {
                Some(WorkloadKind::ReplicationController)
            }
            "Job" if group == "batch" => Some(WorkloadKind::Job),
            "CronJob" if group == "batch" => Some(WorkloadKind::CronJob),
            "Pod" if group.is_empty() => Some(WorkloadKind::Pod),
            _ => None,
        }
    }

    /// The kind name (`Deployment`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Pod => "Pod",
        }
    }

    /// JSON pointer to the pod template (`None` for a Pod, which has none).
    pub fn pod_template_pointer(self) -> Option<&'static str> {
        match self {
            WorkloadKind::CronJob => Some("/spec/jobTemplate/spec/template"),
            WorkloadKind::Pod => None,
            _ => Some("/spec/template"),
        }
    }

    /// JSON pointer to the pod spec (the template's `spec`, or a Pod's own `spec`).
    pub fn pod_spec_pointer(self) -> &'static str {
        match self {
            WorkloadKind::CronJob => "/spec/jobTemplate/spec/template/spec",
            WorkloadKind::Pod => "/spec",
            _ => "/spec/template/spec",
        }
    }

    /// Whether a change of the pod template replaces the running pods (a rollout):
    /// Deployments, StatefulSets and DaemonSets. A ReplicaSet or ReplicationController only
    /// uses its template for pods it creates later; a Job's template is immutable; a
    /// CronJob's applies to the next Job; a Pod is not replaced.
    pub fn rolls_out_on_template_change(self) -> bool {
        matches!(
            self,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
        )
    }

    /// Whether the API server refuses to change the pod spec of an existing object: a Pod
    /// (only `image` and a few other fields may change) and a Job (`spec.template` is
    /// immutable).
    pub fn pod_spec_is_immutable(self) -> bool {
        matches!(self, WorkloadKind::Pod | WorkloadKind::Job)
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The pod template of a workload object (`spec.template`, or a CronJob's
/// `spec.jobTemplate.spec.template`); `None` for Pods and for objects that are not workloads.
pub fn pod_template<'v>(object: &'v ManifestObject<'_>) -> Option<&'v Value> {
    let kind = WorkloadKind::of(&object.key)?;
    crate::manifest::pointer(&object.value, kind.pod_template_pointer()?)
}

/// The pod spec of a workload object or Pod; `None` for other objects.
pub fn pod_spec<'v>(object: &'v ManifestObject<'_>) -> Option<&'v Value> {
    let kind = WorkloadKind::of(&object.key)?;
    crate::manifest::pointer(&object.value, kind.pod_spec_pointer())
}

// --- containers ---------------------------------------------------------------------------

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerList {
    /// `containers`.
    Container,
    /// `initContainers` (including sidecars with `restartPolicy: Always`).
    Init,
    /// `ephemeralContainers` (added to running Pods by `kubectl debug`; rare in charts).
    Ephemeral,
}

impl ContainerList {
    /// Every list, in the order they are read.
    pub const ALL: [ContainerList; 3] = [
        ContainerList::Init,
        ContainerList::Container,
        ContainerList::Ephemeral,
    ];

    /// The pod spec field (`initContainers`).
    pub fn field(self) -> &'static str {
        match self {
            ContainerList::Container => "containers",
            ContainerList::Init => "initContainers",
            ContainerList::Ephemeral => "ephemeralContainers",
        }
    }

    /// The field of the pod status that reports these containers (`initContainerStatuses`).
    pub fn status_field(self) -> &'static str {
        match self {
            ContainerList::Container => "containerStatuses",
            ContainerList::Init => "initContainerStatuses",
            ContainerList::Ephemeral => "ephemeralContainerStatuses",
        }
    }
}

/// One container of a pod spec and its image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContainerImage {
    /// Container name.
    pub container: String,
    /// Which list it is in.
    pub list: ContainerList,
    /// The image exactly as written in the manifest.
    pub image: String,
    /// The reference as the container runtime reads it (`None` when it does not parse).
    pub reference: Option<ImageReference>,
    /// Why the reference does not parse (the kubelet reports `InvalidImageName`).
    pub reference_error: Option<String>,
    /// How mutable the tag is.
    pub tag_class: TagClass,
    /// `imagePullPolicy` as written in the manifest (`None` when absent or empty).
    pub explicit_pull_policy: Option<String>,
    /// The effective pull policy: the explicit one, or Kubernetes' default.
    pub pull_policy: PullPolicy,
    /// What decided [`ContainerImage::pull_policy`].
    pub pull_policy_rule: PullPolicyRule,
}

impl ContainerImage {
    /// Read one container entry of a pod spec.
    pub fn from_container(list: ContainerList, container: &Value) -> ContainerImage {
        let text = |field: &str| container.get(field).and_then(scalar_text);
        let image = text("image").unwrap_or_default();
        let (reference, reference_error) = match ImageReference::parse(&image) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let tag_class = match &reference {
            Some(r) => r.tag_class(),
            None => TagClass::Invalid,
        };
        let explicit_pull_policy = text("imagePullPolicy").filter(|p| !p.is_empty());
        let (pull_policy, pull_policy_rule) = match &explicit_pull_policy {
            Some(p) => (PullPolicy::parse(p), PullPolicyRule::Explicit),
            None => default_pull_policy(&image),
        };
        ContainerImage {
            container: text("name").unwrap_or_default(),
            list,
            image,
            reference,
            reference_error,
            tag_class,
            explicit_pull_policy,
            pull_policy,
            pull_policy_rule,
        }
    }
}

/// Every container of a pod spec (`initContainers`, `containers`, `ephemeralContainers`).
pub fn containers_in_pod_spec(spec: &Value) -> Vec<ContainerImage> {
    let mut out = Vec::new();
    for list in ContainerList::ALL {
        let Some(items) = spec.get(list.field()).and_then(Value::as_array) else {
            continue;
        };
        out.extend(
            items
                .iter()
                .filter(|c| c.is_object())
                .map(|c| ContainerImage::from_container(list, c)),
        );
    }
    out
}

/// Every container image of a workload object or Pod (empty for other objects).
pub fn container_images(object: &ManifestObject<'_>) -> Vec<ContainerImage> {
    pod_spec(object)
        .map(containers_in_pod_spec)
        .unwrap_or_default()
}

// --- pull policy --------------------------------------------------------------------------

/// An `imagePullPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PullPolicy {
    /// `Always`: the kubelet resolves the tag at the registry on every container start.
    Always,
    /// `IfNotPresent`: the kubelet pulls only when the node has no image of that name.
    IfNotPresent,
    /// `Never`: the image must already be on the node.
    Never,
    /// Any other value (the API server rejects it), kept verbatim.
    Invalid(String),
}

impl PullPolicy {
    /// Parse a manifest value (case-sensitive, as the API server validates it).
    pub fn parse(value: &str) -> PullPolicy {
        match value {
            "Always" => PullPolicy::Always,
            "IfNotPresent" => PullPolicy::IfNotPresent,
            "Never" => PullPolicy::Never,
            other => PullPolicy::Invalid(other.to_owned()),
        }
    }

    /// The value as Kubernetes writes it.
    pub fn as_str(&self) -> &str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
            PullPolicy::Invalid(s) => s,
        }
    }
}

impl fmt::Display for PullPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for PullPolicy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What decided a container's pull policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullPolicyRule {
    /// `imagePullPolicy` is set in the manifest.
    Explicit,
    /// Defaulted to `Always`: the tag is `latest`.
    DefaultLatestTag,
    /// Defaulted to `Always`: no tag and no digest, which means `latest`.
    DefaultNoTag,
    /// Defaulted to `IfNotPresent`: the tag is not `latest`.
    DefaultTagNotLatest,
    /// Defaulted to `IfNotPresent`: pinned by digest without a tag.
    DefaultDigestOnly,
    /// Defaulted to `IfNotPresent`: the reference does not parse, so Kubernetes sees no
    /// `latest` tag (the kubelet then fails with `InvalidImageName`).
    DefaultInvalidReference,
}

impl PullPolicyRule {
    /// Whether the policy was defaulted by the API server rather than set in the chart.
    pub fn is_default(self) -> bool {
        self != PullPolicyRule::Explicit
    }

    /// A few words for tables: `set in the chart`, `default: tag latest`, …
    pub fn describe(self) -> &'static str {
        match self {
            PullPolicyRule::Explicit => "set in the chart",
            PullPolicyRule::DefaultLatestTag => "default: tag is latest",
            PullPolicyRule::DefaultNoTag => "default: no tag means latest",
            PullPolicyRule::DefaultTagNotLatest => "default: tag is not latest",
            PullPolicyRule::DefaultDigestOnly => "default: digest without tag",
            PullPolicyRule::DefaultInvalidReference => "default: reference does not parse",
        }
    }
}

/// The pull policy the API server gives a container that sets none (`SetDefaults_Container`):
/// `Always` when the reference's tag is `latest` — a reference with neither tag nor digest
/// counts as `latest` — and `IfNotPresent` otherwise, including `name@sha256:…` and
/// references that do not parse. `name:latest@sha256:…` keeps its `latest` tag, so it is
/// `Always`.
///
/// ```
/// use helm_why_release::images::{default_pull_policy, PullPolicy::*, PullPolicyRule::*};
/// assert_eq!(default_pull_policy("nginx"), (Always, DefaultNoTag));
/// assert_eq!(default_pull_policy("nginx:latest"), (Always, DefaultLatestTag));
/// assert_eq!(default_pull_policy("nginx:1.25"), (IfNotPresent, DefaultTagNotLatest));
/// assert_eq!(default_pull_policy("localhost:5000/app"), (Always, DefaultNoTag));
/// ```
pub fn default_pull_policy(image: &str) -> (PullPolicy, PullPolicyRule) {
    match ImageReference::parse(image) {
        Err(_) => (
            PullPolicy::IfNotPresent,
            PullPolicyRule::DefaultInvalidReference,
        ),
        Ok(r) => match (r.tag.as_deref(), r.digest.is_some()) {
            (Some("latest"), _) => (PullPolicy::Always, PullPolicyRule::DefaultLatestTag),
            (None, false) => (PullPolicy::Always, PullPolicyRule::DefaultNoTag),
            (None, true) => (PullPolicy::IfNotPresent, PullPolicyRule::DefaultDigestOnly),
            (Some(_), _) => (
                PullPolicy::IfNotPresent,
                PullPolicyRule::DefaultTagNotLatest,
            ),
        },
    }
}

// --- tag classes --------------------------------------------------------------------------

/// How mutable an image reference is.
///
/// Only a digest names one image for ever; every tag can be pushed again unless the
/// registry enforces tag immutability. The classes say how likely that is in practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagClass {
    /// Pinned by digest (`@sha256:…`): immutable.
    Digest,
    /// A full version, `1.4.2` or `v1.4.2` (three or more numbers): pushed once by
    /// convention.
    Semver,
    /// A full version with a build, date or variant suffix (`1.4.2-20240101`,
    /// `1.4.2-abc123`, `1.25.3-alpine`): pushed once by convention.
    SemverSuffix,
    /// A partial version, `v1`, `1.4`, `7.2-alpine`: moved to every new build of that line,
    /// mutable in practice.
    PartialVersion,
    /// `latest`, or no tag (which means `latest`): moved by every push.
    Latest,
    /// Anything else: branch and environment names (`main`, `stable`, `prod`), commit ids,
    /// dates. Nothing says it is never pushed again.
    Other,
    /// The reference does not parse: no image runs at all.
    Invalid,
}

impl TagClass {
    /// The stable code (`partial-version`).
    pub fn as_str(self) -> &'static str {
        match self {
            TagClass::Digest => "digest",
            TagClass::Semver => "semver",
            TagClass::SemverSuffix => "semver-suffix",
            TagClass::PartialVersion => "partial-version",
            TagClass::Latest => "latest",
            TagClass::Other => "other",
            TagClass::Invalid => "invalid",
        }
    }

    /// Words for tables (`partial version`).
    pub fn label(self) -> &'static str {
        match self {
            TagClass::Digest => "digest",
            TagClass::Semver => "semver",
            TagClass::SemverSuffix => "semver+suffix",
            TagClass::PartialVersion => "partial version",
            TagClass::Latest => "latest",
            TagClass::Other => "other",
            TagClass::Invalid => "invalid",
        }
    }

    /// Whether the tag is commonly pushed again: partial versions, `latest` and other names.
    /// Full versions are not counted (re-pushing them is possible, but against convention).
    pub fn is_mutable_in_practice(self) -> bool {
        matches!(
            self,
            TagClass::PartialVersion | TagClass::Latest | TagClass::Other
        )
    }
}

impl fmt::Display for TagClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Classify a tag (`None`: no tag); a digest pins the reference whatever its tag.
///
/// ```
/// use helm_why_release::images::{classify_tag, TagClass::*};
/// assert_eq!(classify_tag(Some("v1.4.2"), false), Semver);
/// assert_eq!(classify_tag(Some("1.4.2-20240101"), false), SemverSuffix);
/// assert_eq!(classify_tag(Some("1.4"), false), PartialVersion);
/// assert_eq!(classify_tag(None, false), Latest);
/// assert_eq!(classify_tag(Some("prod"), false), Other);
/// assert_eq!(classify_tag(Some("latest"), true), Digest);
/// ```
pub fn classify_tag(tag: Option<&str>, pinned_by_digest: bool) -> TagClass {
    if pinned_by_digest {
        return TagClass::Digest;
    }
    let Some(tag) = tag else {
        return TagClass::Latest;
    };
    if tag == "latest" {
        return TagClass::Latest;
    }
    let unprefixed = match tag.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => tag,
    };
    let core_len = unprefixed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unprefixed.len());
    let (core, suffix) = unprefixed.split_at(core_len);
    if core.is_empty() || core.ends_with('.') {
        return TagClass::Other;
    }
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.iter().any(|n| n.is_empty()) {
        return TagClass::Other;
    }
    match (numbers.len(), suffix.is_empty()) {
        (3.., true) => TagClass::Semver,
        (3.., false) => TagClass::SemverSuffix,
        // A lone long number is a build number or a date (`20240101`), not a version line.
        (1, _) if core.len() > 4 => TagClass::Other,
        (1 | 2, true) => TagClass::PartialVersion,
        (1 | 2, false) if suffix.starts_with('-') && suffix.len() > 1 => TagClass::PartialVersion,
        _ => TagClass::Other,
    }
}

// --- references ---------------------------------------------------------------------------

/// An image reference, normalised as the container runtime does (`ParseNormalizedNamed` of
/// the distribution reference library): Docker Hub is `docker.io`, and its single-segment
/// names live under `library/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ImageReference {
    /// Registry host, with its port (`docker.io`, `localhost:5000`, `ghcr.io`).
    pub registry: String,
    /// Repository path within the registry (`library/nginx`, `org/app`).
    pub repository: String,
    /// The tag, when one is written.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), when one is written: the runtime pulls by digest and
    /// ignores the tag.
    pub digest: Option<String>,
}

/// Why an image reference does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError(String);

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReferenceError {}

fn invalid(detail: impl Into<String>) -> ReferenceError {
    ReferenceError(detail.into())
}

impl ImageReference {
    /// Parse `[registry/]repository[:tag][@digest]` the way the kubelet and the container
    /// runtimes do.
    ///
    /// ```
    /// use helm_why_release::images::ImageReference;
    /// let r = ImageReference::parse("localhost:5000/app").unwrap();
    /// assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag), ("localhost:5000", "app", None));
    /// let hub = ImageReference::parse("nginx:1.25").unwrap();
    /// assert_eq!(hub.name(), "docker.io/library/nginx");
    /// assert!(ImageReference::parse("MyImage:v1").is_err());
    /// ```
    ///
    /// # Errors
    /// The reference grammar's complaint: empty, upper-case repository, bad tag or digest.
    pub fn parse(text: &str) -> Result<ImageReference, ReferenceError> {
        if text.is_empty() {
            return Err(invalid("the image is empty"));
        }
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid(
                "a 64-character hexadecimal string is an image ID, not a repository name",
            ));
        }
        let (registry, remainder) = split_registry(text);
        let (name_and_tag, digest) = match remainder.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (remainder, None),
        };
        let (repository, tag) = match name_and_tag.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
            _ => (name_and_tag, None),
        };
        if repository.to_lowercase() != repository {
            return Err(invalid(format!(
                "repository name {repository:?} must be lowercase"
            )));
        }
        validate_registry(&registry)?;
        validate_repository(repository)?;
        if registry.len() + 1 + repository.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(invalid(format!(
                "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            )));
        }
        if let Some(tag) = tag {
            validate_tag(tag)?;
        }
        if let Some(digest) = digest {
            validate_digest(digest)?;
        }
        Ok(ImageReference {
            repository: with_official_prefix(&registry, repository),
            registry,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// `registry/repository` (`docker.io/library/nginx`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// How mutable this reference is.
    pub fn tag_class(&self) -> TagClass {
        classify_tag(self.tag.as_deref(), self.digest.is_some())
    }
}

/// The full normalised reference (`docker.io/library/nginx:1.25@sha256:…`).
impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `splitDockerDomain`: the first path segment is a registry when it contains `.` or `:`,
/// is `localhost`, or has upper-case letters; otherwise the registry is Docker Hub.
fn split_registry(text: &str) -> (String, &str) {
    let (registry, remainder) = match text.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (first, rest)
        }
        _ => (DEFAULT_REGISTRY, text),
    };
    let registry = if registry == LEGACY_DEFAULT_REGISTRY {
        DEFAULT_REGISTRY
    } else {
        registry
    };
    (registry.to_owned(), remainder)
}

/// `host[:port]`: dot-separated alphanumeric components (with inner `-`), or `[IPv6]`.
fn validate_registry(registry: &str) -> Result<(), ReferenceError> {
    let bad = || invalid(format!("invalid registry {registry:?}"));
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(bad)?;
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(bad());
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (None, port)
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        };
        if !host.split('.').all(component_ok) {
            return Err(bad());
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(())
}

/// Path components: `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`, separated by `/`.
fn validate_repository(repository: &str) -> Result<(), ReferenceError> {
    if repository.is_empty() {
        return Err(invalid("the repository name is empty"));
    }
    for component in repository.split('/') {
        if !path_component_ok(component) {
            return Err(invalid(format!(
                "invalid repository name {repository:?} (component {component:?})"
            )));
        }
    }
    Ok(())
}

fn path_component_ok(component: &str) -> bool {
    let b = component.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__`, or a run of `-`, between alphanumerics.
        let start = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || !b.get(i).copied().is_some_and(alnum) {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<(), ReferenceError> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = tag.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("invalid tag {tag:?}")))
    }
}

/// `algorithm:hex`, with the lengths and lower-case hex the registered algorithms require.
fn validate_digest(digest: &str) -> Result<(), ReferenceError> {
    let bad = |why: &str| invalid(format!("invalid digest {digest:?}: {why}"));
    let (algorithm, hex) = digest
        .split_once(':')
        .ok_or_else(|| bad("expected algorithm:hex"))?;
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        "" => return Err(bad("no algorithm")),
        _ => return Err(bad("unsupported algorithm")),
    };
    if hex.len() != length || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad(&format!(
            "{algorithm} needs {length} lower-case hex characters"
        )));
    }
    Ok(())
}

/// Docker Hub's single-segment names are official images under `library/`.
fn with_official_prefix(registry: &str, repository: &str) -> String {
    if registry == DEFAULT_REGISTRY && !repository.contains('/') {
        format!("{OFFICIAL_REPOSITORY_PREFIX}{repository}")
    } else {
        repository.to_owned()
    }
}

// --- image IDs ----------------------------------------------------------------------------

/// What a container status' `imageID` says about the image a container runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "form", rename_all = "kebab-case")]
pub enum ImageId {
    /// `repo@sha256:…` (containerd, CRI-O) or `docker-pullable://repo@sha256:…`
    /// (dockershim): the registry's manifest digest the node pulled, with the repository
    /// it was pulled from (normalised).
    RepoDigest {
        /// `registry/repository`, normalised (`docker.io/library/nginx`).
        repository: String,
        /// `sha256:…`.
        digest: String,
    },
    /// `sha256:…` or `docker://sha256:…`: a digest without a repository, which can be the
    /// local image ID (the image's config digest) rather than the registry's manifest digest.
    BareDigest {
        /// `sha256:…`.
        digest: String,
    },
    /// Empty (the container has not started) or unrecognised.
    Unknown {
        /// The text as reported.
        raw: String,
    },
}

impl ImageId {
    /// Read a `status.containerStatuses[].imageID`.
    ///
    /// ```
    /// use helm_why_release::images::ImageId;
    /// let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    /// let id = ImageId::parse(&format!("docker-pullable://myimage@{d}"));
    /// assert_eq!(id, ImageId::RepoDigest { repository: "docker.io/library/myimage".into(), digest: d.into() });
    /// assert_eq!(ImageId::parse(d), ImageId::BareDigest { digest: d.into() });
    /// ```
    pub fn parse(raw: &str) -> ImageId {
        let text = raw.trim();
        let without_scheme = match text.split_once("://") {
            Some((_, rest)) => rest,
            None => text,
        };
        if validate_digest(without_scheme).is_ok() {
            return ImageId::BareDigest {
                digest: without_scheme.to_owned(),
            };
        }
        if let Some((name, digest)) = without_scheme.rsplit_once('@')
            && validate_digest(digest).is_ok()
            && let Ok(reference) = ImageReference::parse(name)
        {
            return ImageId::RepoDigest {
                repository: reference.name(),
                digest: digest.to_owned(),
            };
        }
        ImageId::Unknown {
            raw: raw.to_owned(),
        }
    }

    /// The digest, when there is one.
    pub fn digest(&self) -> Option<&str> {
        match self {
            ImageId::RepoDigest { digest, .. } | ImageId::BareDigest { digest } => Some(digest),
            ImageId::Unknown { .. } => None,
        }
    }
}

/// `sha256:` and the first 12 hex characters, for tables.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => match hex.get(..12) {
            Some(head) => format!("{algorithm}:{head}"),
            None => digest.to_owned(),
        },
        _ => digest.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(text: &str) -> (String, String, Option<String>, Option<String>) {
        let r = ImageReference::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (r.registry, r.repository, r.tag, r.digest)
    }

    fn s(v: &str) -> String {
        v.to_owned()
    }

    #[test]
    fn docker_hub_defaults() {
        assert_eq!(
            parts("nginx"),
            (s("docker.io"), s("library/nginx"), None, None)
        );
        assert_eq!(
            parts("nginx:1.25"),
            (s("docker.io"), s("library/nginx"), Some(s("1.25")), None)
        );
        assert_eq!(
            parts("bitnami/redis:7.2"),
            (s("docker.io"), s("bitnami/redis"), Some(s("7.2")), None)
        );
        assert_eq!(
            parts("index.docker.io/nginx"),
            (s("docker.io"), s("library/nginx"), None, None)
        );
        assert_eq!(
            parts("docker.io/library/nginx:latest"),
            (s("docker.io"), s("library/nginx"), Some(s("latest")), None)
        );
    }

    #[test]
    fn registries_and_ports_are_not_tags() {
        assert_eq!(
            parts("localhost:5000/app"),
            (s("localhost:5000"), s("app"), None, None)
        );
        assert_eq!(
            parts("localhost:5000/team/app:v2"),
            (s("localhost:5000"), s("team/app"), Some(s("v2")), None)
        );
        assert_eq!(
            parts("localhost/app"),
            (s("localhost"), s("app"), None, None)
        );
        assert_eq!(
            parts("ghcr.io/org/app:main"),
            (s("ghcr.io"), s("org/app"), Some(s("main")), None)
        );
        assert_eq!(
            parts("[::1]:5000/app"),
            (s("[::1]:5000"), s("app"), None, None)
        );
        // Without a slash, `localhost:5000` is the image `localhost` with tag `5000`.
        assert_eq!(
            parts("localhost:5000"),
            (
                s("docker.io"),
                s("library/localhost"),
                Some(s("5000")),
                None
            )
        );
        // An upper-case first segment is a registry name.
        assert_eq!(
            parts("MyRegistry/app"),
            (s("MyRegistry"), s("app"), None, None)
        );
    }

    #[test]
    fn digests() {
        assert_eq!(
            parts(&format!("nginx@{D}")),
            (s("docker.io"), s("library/nginx"), None, Some(s(D)))
        );
        assert_eq!(
            parts(&format!("registry.example.com:443/a/b:1.0@{D}")),
            (
                s("registry.example.com:443"),
                s("a/b"),
                Some(s("1.0")),
                Some(s(D))
            )
        );
        assert!(ImageReference::parse("nginx@sha256:abc").is_err());
        assert!(ImageReference::parse(&format!("nginx@{}", D.to_uppercase())).is_err());
        assert!(ImageReference::parse("nginx@md5:0123456789abcdef0123456789abcdef").is_err());
        let r = ImageReference::parse(&format!("nginx:latest@{D}")).unwrap();
        assert_eq!(r.tag_class(), TagClass::Digest);
        assert_eq!(r.to_string(), format!("docker.io/library/nginx:latest@{D}"));
    }

    #[test]
    fn invalid_references() {
        for bad in [
            "",
            "MyImage:v1",
            "org/App",
            "nginx:",
            "nginx:-1",
            ":v1",
            "nginx::v1",
            "a//b",
            "-a/b",
            "a_/b",
            "nginx:1.0 ",
            "foo:bar/baz",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(
                ImageReference::parse(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
        let long_tag = format!("a:{}", "x".repeat(129));
        assert!(ImageReference::parse(&long_tag).is_err());
        let long_name = format!("a/{}", "b".repeat(260));
        assert!(ImageReference::parse(&long_name).is_err());
        // Separators the grammar allows.
        for good in ["a__b", "a_b", "a.b", "a---b", "a-b/c.d_e", "x:Tag_1.0-rc"] {
            assert!(ImageReference::parse(good).is_ok(), "{good:?} should parse");
        }
    }

    #[test]
    fn tag_classes() {
        use TagClass::*;
        for (tag, class) in [
            ("1.4.2", Semver),
            ("v1.4.2", Semver),
            ("1.4.2.7", Semver),
            ("1.4.2-20240101", SemverSuffix),
            ("1.4.2-abc123", SemverSuffix),
            ("v1.25.3-alpine", SemverSuffix),
            ("1.4.2+build.5", SemverSuffix),
            ("v1", PartialVersion),
            ("1", PartialVersion),
            ("1.4", PartialVersion),
            ("V2.0", PartialVersion),
            ("7.2-alpine", PartialVersion),
            ("latest", Latest),
            ("stable", Other),
            ("prod", Other),
            ("main", Other),
            ("feature-x", Other),
            ("cb1299d-snapshot", Other),
            ("20240101", Other),
            ("v", Other),
            ("1.", Other),
            ("1..2", Other),
            ("1.4rc1", Other),
            ("Latest", Other),
        ] {
            assert_eq!(classify_tag(Some(tag), false), class, "{tag}");
        }
        assert_eq!(classify_tag(None, false), Latest);
        assert_eq!(classify_tag(Some("v1"), true), Digest);
    }

    #[test]
    fn pull_policy_defaulting_matches_kubernetes() {
        use PullPolicy::*;
        use PullPolicyRule::*;
        assert_eq!(default_pull_policy("nginx"), (Always, DefaultNoTag));
        assert_eq!(
            default_pull_policy("nginx:latest"),
            (Always, DefaultLatestTag)
        );
        assert_eq!(
            default_pull_policy("nginx:v1"),
            (IfNotPresent, DefaultTagNotLatest)
        );
        assert_eq!(
            default_pull_policy(&format!("nginx@{D}")),
            (IfNotPresent, DefaultDigestOnly)
        );
        // The tag survives next to a digest, and `latest` is what the defaulting looks at.
        assert_eq!(
            default_pull_policy(&format!("nginx:latest@{D}")),
            (Always, DefaultLatestTag)
        );
        assert_eq!(
            default_pull_policy("localhost:5000/app"),
            (Always, DefaultNoTag)
        );
        assert_eq!(
            default_pull_policy("Bad:Image"),
            (IfNotPresent, DefaultInvalidReference)
        );
    }

    #[test]
    fn containers_of_every_list_and_explicit_policies() {
        let spec = serde_json::json!({
            "initContainers": [{"name": "migrate", "image": "app:v1", "imagePullPolicy": "Always"}],
            "containers": [
                {"name": "app", "image": "app:v1", "imagePullPolicy": ""},
                {"name": "side", "image": "envoy:1.30.1", "imagePullPolicy": "Sometimes"},
                "not a container",
            ],
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}],
        });
        let found = containers_in_pod_spec(&spec);
        let summary: Vec<(ContainerList, &str, &str, PullPolicyRule)> = found
            .iter()
            .map(|c| {
                (
                    c.list,
                    c.container.as_str(),
                    c.pull_policy.as_str(),
                    c.pull_policy_rule,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    ContainerList::Init,
                    "migrate",
                    "Always",
                    PullPolicyRule::Explicit
                ),
                // An empty imagePullPolicy is defaulted, as the API server does.
                (
                    ContainerList::Container,
                    "app",
                    "IfNotPresent",
                    PullPolicyRule::DefaultTagNotLatest
                ),
                (
                    ContainerList::Container,
                    "side",
                    "Sometimes",
                    PullPolicyRule::Explicit
                ),
                (
                    ContainerList::Ephemeral,
                    "debug",
                    "Always",
                    PullPolicyRule::DefaultNoTag
                ),
            ]
        );
        assert_eq!(
            found[2].pull_policy,
            PullPolicy::Invalid("Sometimes".into())
        );
    }

    #[test]
    fn pod_specs_of_every_workload_kind() {
        use crate::ScopeResolver;
        use crate::manifest::manifest_objects;
        let container = "containers:\n  - name: c\n    image: x:1";
        let indent = |text: &str, n: usize| text.replace('\n', &format!("\n{}", " ".repeat(n)));
        let template = |api: &str, kind: &str| {
            format!(
                "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\nspec:\n  template:\n    spec:\n      {}\n",
                indent(container, 6)
            )
        };
        let mut manifest = String::new();
        for (api, kind) in [
            ("apps/v1", "Deployment"),
            ("apps/v1", "StatefulSet"),
            ("apps/v1", "DaemonSet"),
            ("apps/v1", "ReplicaSet"),
            ("v1", "ReplicationController"),
            ("batch/v1", "Job"),
            ("example.com/v1", "Deployment"),
        ] {
            manifest.push_str(&template(api, kind));
        }
        manifest.push_str(&format!(
            "---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: w\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          {}\n",
            indent(container, 10)
        ));
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: w\nspec:\n  {}\n",
            indent(container, 2)
        ));
        let (objects, problems) = manifest_objects(&manifest, "ns", &ScopeResolver::builtin());
        assert!(problems.is_empty(), "{problems:?}");
        let found: Vec<(String, usize, bool)> = objects
            .iter()
            .map(|o| {
                (
                    o.key.kind_with_group(),
                    container_images(o).len(),
                    pod_template(o).is_some(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (s("Deployment.apps"), 1, true),
                (s("StatefulSet.apps"), 1, true),
                (s("DaemonSet.apps"), 1, true),
                (s("ReplicaSet.apps"), 1, true),
                (s("ReplicationController"), 1, true),
                (s("Job.batch"), 1, true),
                (s("Deployment.example.com"), 0, false),
                (s("CronJob.batch"), 1, true),
                (s("Pod"), 1, false),
            ]
        );
    }

    #[test]
    fn image_ids() {
        let repo = |r: &str| ImageId::RepoDigest {
            repository: r.to_owned(),
            digest: D.to_owned(),
        };
        assert_eq!(
            ImageId::parse(&format!("docker-pullable://registry.local:5000/app@{D}")),
            repo("registry.local:5000/app")
        );
        assert_eq!(
            ImageId::parse(&format!("docker.io/library/nginx@{D}")),
            repo("docker.io/library/nginx")
        );
        assert_eq!(
            ImageId::parse(&format!("docker://{D}")),
            ImageId::BareDigest { digest: s(D) }
        );
        assert_eq!(ImageId::parse(""), ImageId::Unknown { raw: String::new() });
        assert_eq!(ImageId::parse("garbage").digest(), None);
        assert_eq!(short_digest(D), "sha256:0123456789ab");
        // Text from a cluster is not trusted to be ASCII.
        assert_eq!(short_digest("sha256:ééééééééééé"), "sha256:éééééé");
        assert_eq!(short_digest("sha256:aéééééééééé"), "sha256:aéééééééééé");
    }
}
