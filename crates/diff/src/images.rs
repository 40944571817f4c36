//! Image forensics: which image every container ran at every revision, how mutable its tag
//! is, whether a revision rolled the pods, and what that means — from the records alone, and
//! from the pods' reported image IDs when a cluster is at hand.
//!
//! Kubernetes facts this module relies on:
//! - a Deployment, StatefulSet or DaemonSet replaces its pods only when its pod template
//!   (`spec.template`) changes; an upgrade that renders the same template rolls nothing, even
//!   when a new build was pushed under the same tag;
//! - the API server defaults an empty `imagePullPolicy` (`Always` for `latest` or no tag,
//!   `IfNotPresent` otherwise) and stores the result in the object: later updates that leave
//!   the field empty in the chart keep the stored value, even when the tag changes;
//! - with `IfNotPresent`, a node that already has an image under a tag never pulls it again,
//!   so nodes that pulled at different times run different builds under one reference.
//!
//! Everything here is pure and deterministic.
//!
//! ```
//! use helm_why_release::builder::ReleaseBuilder;
//! use helm_why_release::ScopeResolver;
//! use helm_why_diff::RevisionView;
//! use helm_why_diff::images::{image_history, FindingCode, Rollout};
//! let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: myimage:v1\n";
//! let v1 = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/deploy.yaml", deploy).build();
//! let v2 = ReleaseBuilder::new("web", "shop", 2).config(serde_json::json!({"greeting": "hi"}))
//!     .manifest_doc("web/templates/deploy.yaml", deploy).build();
//! let scopes = ScopeResolver::builtin();
//! let views = [RevisionView::new(&v1, &scopes), RevisionView::new(&v2, &scopes)];
//! let history = image_history(&views);
//! assert_eq!(history.revisions[1].rows[0].rollout, Rollout::No);
//! assert!(history.findings.iter().any(|f| f.code == FindingCode::NoRollout && f.revision == Some(2)));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use helm_why_release::images::{
    ContainerImage, ContainerList, ImageId, ImageReference, PullPolicy, TagClass, WorkloadKind,
    container_images, pod_template, short_digest,
};
use helm_why_release::{ManifestObject, Release, ResourceKey, Status};
use serde::Serialize;
use serde_json::Value;

use crate::cause::template_name;
use crate::hazard::Severity;
use crate::ops::{Outcome, Stage, infer};
use crate::values::{changed_references, effective_values, flatten};
use crate::view::{ObjectChanges, RevisionView};

/// How many changed values or objects a message names before saying "and N more".
const NAMED_CHANGES: usize = 3;

// --- rows -----------------------------------------------------------------------------------

/// Whether a revision replaced the pods of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rollout {
    /// The pod template changed: the controller replaces the pods.
    Yes,
    /// The pod template did not change: no pod was replaced.
    No,
    /// The pod template changed, but the StatefulSet or DaemonSet uses the `OnDelete`
    /// update strategy: pods are replaced only when someone deletes them.
    OnDelete,
    /// The pod template changed, but the Deployment is paused (`spec.paused: true`).
    Paused,
    /// The workload is new in this revision: its pods were created.
    New,
    /// The operation failed before applying the manifest (in the pre-hooks).
    NotApplied,
    /// Not a question for this workload: the first revision, a hook, or a kind that does
    /// not replace pods when its template changes (Job, CronJob, Pod, ReplicaSet).
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Rollout {
    /// Table text.
    pub fn label(self) -> &'static str {
        match self {
            Rollout::Yes => "yes",
            Rollout::No => "no",
            Rollout::OnDelete => "on delete",
            Rollout::Paused => "paused",
            Rollout::New => "new",
            Rollout::NotApplied => "not applied",
            Rollout::NotApplicable => "n/a",
        }
    }
}

/// One container of one workload at one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRow {
    /// The revision.
    pub revision: u64,
    /// The workload (or Pod), shared with the object's other rows and revisions.
    pub workload: Arc<ResourceKey>,
    /// Its kind.
    pub workload_kind: WorkloadKind,
    /// Whether the workload is a hook (created anew by its hook, never patched).
    pub hook: bool,
    /// The container and its image, shared by the revisions that store the same document.
    #[serde(flatten)]
    pub spec: Arc<ContainerImage>,
    /// Whether this revision replaced the workload's pods.
    pub rollout: Rollout,
}

/// The images of one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionImages {
    /// The revision.
    pub revision: u64,
    /// The revision whose objects this one is compared with: the last earlier stored
    /// revision whose manifest was applied (`None` for the first).
    pub compared_with: Option<u64>,
    /// Whether the operation applied the manifest (`false` when it failed in its pre-hooks).
    pub applied: bool,
    /// The chart's `name-version`.
    pub chart: String,
    /// The chart's `appVersion`.
    pub app_version: String,
    /// One row per container of every workload, manifest then hooks.
    pub rows: Vec<ImageRow>,
}

// --- findings -------------------------------------------------------------------------------

/// The stable code of an image finding (documented in docs/images.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// A mutable tag with `imagePullPolicy: IfNotPresent`.
    MutableTagIfNotPresent,
    /// `latest`, or no tag.
    LatestTag,
    /// A revision left the pod template of a workload with a mutable tag unchanged.
    NoRollout,
    /// The chart's `appVersion` changed but the workload's images did not.
    TagKeptAppVersionChanged,
    /// The pull policy the chart now gives is not the one the live object has.
    PullPolicyChangedNotApplied,
    /// Replicas run different images under one reference.
    DivergingDigests,
    /// A pod's `imageID` cannot be compared with the others.
    AmbiguousImageId,
}

impl FindingCode {
    /// The code (`no-rollout`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::MutableTagIfNotPresent => "mutable-tag-if-not-present",
            FindingCode::LatestTag => "latest-tag",
            FindingCode::NoRollout => "no-rollout",
            FindingCode::TagKeptAppVersionChanged => "tag-kept-app-version-changed",
            FindingCode::PullPolicyChangedNotApplied => "pull-policy-changed-not-applied",
            FindingCode::DivergingDigests => "diverging-digests",
            FindingCode::AmbiguousImageId => "ambiguous-image-id",
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something worth knowing about one container's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFinding {
    /// Stable code.
    pub code: FindingCode,
    /// Severity.
    pub severity: Severity,
    /// The revision it concerns (the first of a run of revisions where it holds); `None` for
    /// what was observed on live pods.
    pub revision: Option<u64>,
    /// The last revision of the run where it still holds (equal to `revision` for events).
    pub last_revision: Option<u64>,
    /// The workload, shared with the rows it was found in.
    pub workload: Arc<ResourceKey>,
    /// The container.
    pub container: String,
    /// The image, as written in the manifest.
    pub image: String,
    /// What and why, for a human.
    pub message: String,
}

/// Every revision's images and the findings about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageHistory {
    /// One entry per stored revision, in order.
    pub revisions: Vec<RevisionImages>,
    /// Findings, by revision, then workload, then container.
    pub findings: Vec<ImageFinding>,
}

/// Identity of a workload across revisions (group, kind, namespace, name — not the version),
/// borrowed from its key: ids are made for every container of every revision.
type WorkloadId<'k> = (&'k str, &'k str, Option<&'k str>, &'k str);

fn workload_id(key: &ResourceKey) -> WorkloadId<'_> {
    (&key.group, &key.kind, key.namespace.as_deref(), &key.name)
}

/// A container of a workload across revisions: the workload's [`WorkloadId`], whether it is
/// a hook, the container's list and name. It holds the row's shared key and spec, so that
/// making one (for every container of every revision) copies no string.
#[derive(Debug, Clone)]
struct ContainerId {
    workload: Arc<ResourceKey>,
    hook: bool,
    spec: Arc<ContainerImage>,
}

impl ContainerId {
    fn of(row: &ImageRow) -> Self {
        ContainerId {
            workload: Arc::clone(&row.workload),
            hook: row.hook,
            spec: Arc::clone(&row.spec),
        }
    }

    /// What it is compared by.
    fn parts(&self) -> (WorkloadId<'_>, bool, ContainerList, &str) {
        (
            workload_id(&self.workload),
            self.hook,
            self.spec.list,
            &self.spec.container,
        )
    }
}

impl PartialEq for ContainerId {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for ContainerId {}

impl PartialOrd for ContainerId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ContainerId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}

/// Analyse every stored revision (the views in revision order).
pub fn image_history(views: &[RevisionView<'_>]) -> ImageHistory {
    let statuses: BTreeMap<u64, &Status> = views
        .iter()
        .map(|v| (v.revision(), &v.release.info.status))
        .collect();
    let mut revisions: Vec<RevisionImages> = Vec::with_capacity(views.len());
    let mut findings = Vec::new();
    let mut runs = Runs::default();
    let mut live_policies: BTreeMap<ContainerId, LivePolicy> = BTreeMap::new();
    // The base, and where its rows are in `revisions`.
    let mut base: Option<(&RevisionView<'_>, usize)> = None;
    let mut images = ImagesOfDocuments::default();
    for view in views {
        let revision = view.revision();
        let previous_status = revision
            .checked_sub(1)
            .and_then(|p| statuses.get(&p).copied());
        let inferred = infer(view.release, previous_status);
        let applied = !matches!(
            inferred.outcome,
            Outcome::Failed {
                stage: Stage::PreHooks | Stage::BeforeApply,
                ..
            }
        );
        let base_view = base.map(|(b, _)| b);
        let rows = revision_rows(view, base_view, applied, &mut images);
        for row in &rows {
            state_findings(row, &mut runs, &mut findings);
        }
        if applied && let Some((base, at)) = base {
            let operation = inferred.operation.label();
            no_rollout_findings(base, view, &operation, &rows, &mut findings);
            app_version_findings(base, view, &revisions[at].rows, &rows, &mut findings);
        }
        if applied {
            pull_policy_findings(
                base_view,
                &rows,
                &mut images,
                &mut live_policies,
                &mut runs,
                &mut findings,
            );
        }
        runs.end_revision(revision);
        revisions.push(RevisionImages {
            revision,
            compared_with: base_view.map(RevisionView::revision),
            applied,
            chart: view.release.chart_label(),
            app_version: view.release.chart.metadata.app_version.clone(),
            rows,
        });
        if applied {
            base = Some((view, revisions.len() - 1));
        }
    }
    sort_findings(&mut findings);
    ImageHistory {
        revisions,
        findings,
    }
}

/// The container images of each parsed document, by the document's shared parse: the
/// revisions that store the same text share one parse ([`helm_why_release::manifest::ParseCache`]),
/// so its images are read once, not once per revision.
#[derive(Default)]
struct ImagesOfDocuments<'v> {
    by_document: HashMap<*const Value, (&'v Arc<Value>, Vec<Arc<ContainerImage>>)>,
}

impl<'v> ImagesOfDocuments<'v> {
    fn of(&mut self, object: &'v ManifestObject<'_>) -> &[Arc<ContainerImage>] {
        // The entry borrows the parse for as long as the map lives, so no other parse can
        // take its address meanwhile.
        let (_, images) = self
            .by_document
            .entry(Arc::as_ptr(&object.value))
            .or_insert_with(|| {
                let images = container_images(object).into_iter().map(Arc::new).collect();
                (&object.value, images)
            });
        images
    }
}

/// The rows of one revision: manifest workloads, then hook workloads.
fn revision_rows<'v>(
    view: &'v RevisionView<'_>,
    base: Option<&RevisionView<'_>>,
    applied: bool,
    images: &mut ImagesOfDocuments<'v>,
) -> Vec<ImageRow> {
    let mut rows = Vec::new();
    let manifest = view.objects.iter().map(|o| (o, false));
    let hooks = view.hooks.iter().map(|h| (&h.object, true));
    for (object, hook) in manifest.chain(hooks) {
        let Some(kind) = WorkloadKind::of(&object.key) else {
            continue;
        };
        let rollout = rollout(kind, object, hook, base, applied);
        rows.extend(images.of(object).iter().map(|spec| ImageRow {
            revision: view.revision(),
            workload: Arc::clone(&object.key),
            workload_kind: kind,
            hook,
            spec: Arc::clone(spec),
            rollout,
        }));
    }
    rows
}

fn rollout(
    kind: WorkloadKind,
    object: &ManifestObject<'_>,
    hook: bool,
    base: Option<&RevisionView<'_>>,
    applied: bool,
) -> Rollout {
    if hook || !kind.rolls_out_on_template_change() {
        return Rollout::NotApplicable;
    }
    let Some(base) = base else {
        return Rollout::NotApplicable;
    };
    if !applied {
        return Rollout::NotApplied;
    }
    let Some(old) = base.object(&object.key) else {
        return Rollout::New;
    };
    // The same document (one parse shared by revisions that store the same text) has the
    // same template: no need to compare the trees.
    if std::sync::Arc::ptr_eq(&old.value, &object.value)
        || pod_template(old) == pod_template(object)
    {
        return Rollout::No;
    }
    let spec = |path: &str| helm_why_release::manifest::pointer(&object.value, path);
    match kind {
        WorkloadKind::Deployment if spec("/spec/paused") == Some(&Value::Bool(true)) => {
            Rollout::Paused
        }
        WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
            if spec("/spec/updateStrategy/type").and_then(Value::as_str) == Some("OnDelete") =>
        {
            Rollout::OnDelete
        }
        _ => Rollout::Yes,
    }
}

/// Findings that hold for as long as a container keeps the same image and policy: reported
/// once per run of consecutive revisions.
#[derive(Default)]
struct Runs {
    /// Open runs: key → index of their finding.
    open: BTreeMap<RunKey, usize>,
    /// Keys seen in the current revision.
    seen: BTreeSet<RunKey>,
}

/// What a run is about: the code, the container, and the facts that must stay the same.
type RunKey = (FindingCode, ContainerId, String, String);

impl Runs {
    /// Extend the open run of `key`, or start one with the finding `make` writes (only then:
    /// a run lasts many revisions, and its message is written once).
    fn hold(
        &mut self,
        key: RunKey,
        revision: u64,
        make: impl FnOnce() -> ImageFinding,
        out: &mut Vec<ImageFinding>,
    ) {
        match self.open.get(&key).and_then(|i| out.get_mut(*i)) {
            Some(open) => open.last_revision = Some(revision),
            None => {
                self.open.insert(key.clone(), out.len());
                out.push(make());
            }
        }
        self.seen.insert(key);
    }

    /// Close the runs the revision did not continue.
    fn end_revision(&mut self, _revision: u64) {
        let seen = std::mem::take(&mut self.seen);
        self.open.retain(|key, _| seen.contains(key));
    }
}

fn finding(code: FindingCode, severity: Severity, row: &ImageRow, message: String) -> ImageFinding {
    ImageFinding {
        code,
        severity,
        revision: Some(row.revision),
        last_revision: Some(row.revision),
        workload: Arc::clone(&row.workload),
        container: row.spec.container.clone(),
        image: row.spec.image.clone(),
        message,
    }
}

// The labels below are written into messages as they are formatted: a long history has a
// finding per container and revision, and a `String` per label made several per finding.

/// `Deployment shop/web` (`(hook)` appended for hooks).
///
/// ```
/// use helm_why_release::ResourceKey;
/// let web = ResourceKey::new("apps/v1", "Deployment", Some("shop"), "web");
/// assert_eq!(helm_why_diff::images::workload_label(&web, true).to_string(), "Deployment shop/web (hook)");
/// ```
pub fn workload_label(key: &ResourceKey, hook: bool) -> impl fmt::Display + '_ {
    fmt::from_fn(move |f| {
        write!(f, "{} ", key.kind)?;
        if let Some(ns) = &key.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&key.name)?;
        if hook {
            f.write_str(" (hook)")?;
        }
        Ok(())
    })
}

/// `container app`, `init container migrate`, `ephemeral container debug`.
pub fn container_label(list: ContainerList, name: &str) -> impl fmt::Display + '_ {
    fmt::from_fn(move |f| {
        let list = match list {
            ContainerList::Container => "",
            ContainerList::Init => "init ",
            ContainerList::Ephemeral => "ephemeral ",
        };
        write!(f, "{list}container {name}")
    })
}

/// `container app of Deployment shop/web`.
fn subject(row: &ImageRow) -> impl fmt::Display + '_ {
    fmt::from_fn(|f| {
        write!(
            f,
            "{} of {}",
            container_label(row.spec.list, &row.spec.container),
            workload_label(&row.workload, row.hook)
        )
    })
}

/// Why a tag of this class may point at another build tomorrow.
fn mutability_reason(spec: &ContainerImage) -> String {
    let tag = spec.reference.as_ref().and_then(|r| r.tag.clone());
    match (spec.tag_class, tag) {
        (TagClass::PartialVersion, Some(tag)) => {
            format!("`{tag}` is a partial version, usually moved to every new {tag}.x build")
        }
        (TagClass::Latest, Some(_)) => "`latest` is moved by every push".to_owned(),
        (TagClass::Latest, None) => "no tag means `latest`, moved by every push".to_owned(),
        (_, Some(tag)) => format!(
            "`{tag}` is not a version: a branch or environment name, or a build id that nothing guarantees is never pushed again"
        ),
        (_, None) => "the tag is not a version".to_owned(),
    }
}

fn policy_with_rule(spec: &ContainerImage) -> String {
    format!(
        "imagePullPolicy {} ({})",
        spec.pull_policy,
        spec.pull_policy_rule.describe()
    )
}

/// `mutable-tag-if-not-present` and `latest-tag`.
fn state_findings(row: &ImageRow, runs: &mut Runs, out: &mut Vec<ImageFinding>) {
    let spec = &row.spec;
    let run_key = |code| {
        (
            code,
            ContainerId::of(row),
            spec.image.clone(),
            spec.pull_policy.to_string(),
        )
    };
    if spec.tag_class.is_mutable_in_practice() && spec.pull_policy == PullPolicy::IfNotPresent {
        let make = || {
            let message = format!(
                "{} runs {} with {}: {}. A node pulls the tag once and keeps that build, so nodes \
             that pulled at different times run different builds under one name, and a build \
             pushed again under the tag never reaches nodes that already have it. Use an \
             immutable tag (a full version or build id) or a digest; imagePullPolicy Always \
             makes each new pod pull the current build, but does not replace running pods",
                subject(row),
                spec.image,
                policy_with_rule(spec),
                mutability_reason(spec)
            );
            finding(
                FindingCode::MutableTagIfNotPresent,
                Severity::Medium,
                row,
                message,
            )
        };
        runs.hold(
            run_key(FindingCode::MutableTagIfNotPresent),
            row.revision,
            make,
            out,
        );
    }
    if spec.tag_class == TagClass::Latest {
        let consequence = match spec.pull_policy {
            PullPolicy::Always => {
                "every container start asks the registry what `latest` is now: slower starts, \
                 no start at all while the registry is unreachable, replicas started at \
                 different times run different builds, and a rollback cannot bring an older \
                 build back"
            }
            PullPolicy::IfNotPresent => {
                "each node keeps the first `latest` it pulled: which build a pod runs depends \
                 on its node, and a rollback cannot bring an older build back"
            }
            PullPolicy::Never => {
                "the kubelet never pulls: pods start only on nodes where some `latest` was \
                 loaded beforehand, whichever build that was"
            }
            PullPolicy::Invalid(_) => "the API server rejects this imagePullPolicy",
        };
        let make = || {
            let message = format!(
                "{} uses {} ({}) with {}: {consequence}. Pin a version tag, or better a digest",
                subject(row),
                spec.image,
                mutability_reason(spec),
                policy_with_rule(spec),
            );
            finding(FindingCode::LatestTag, Severity::Medium, row, message)
        };
        runs.hold(run_key(FindingCode::LatestTag), row.revision, make, out);
    }
}

/// `no-rollout`: the pod template of a rolling workload with a mutable tag did not change.
fn no_rollout_findings(
    base: &RevisionView<'_>,
    view: &RevisionView<'_>,
    operation: &str,
    rows: &[ImageRow],
    out: &mut Vec<ImageFinding>,
) {
    let mut what_changed: BTreeMap<WorkloadId, String> = BTreeMap::new();
    for row in rows {
        if row.rollout != Rollout::No || !row.spec.tag_class.is_mutable_in_practice() {
            continue;
        }
        let changes = what_changed
            .entry(workload_id(&row.workload))
            .or_insert_with(|| describe_changes(base, view, operation, &row.workload));
        let message = format!(
            "{changes} — but not the pod template of {}, so Kubernetes replaced no pod: {} \
             keeps running whatever {} each node pulled earlier ({}), and a build pushed again \
             under that tag did not ship. To roll when a ConfigMap or values change, put a \
             checksum of them in a pod template annotation (checksum/config); to ship a new \
             build, give it a new tag or deploy it by digest",
            workload_label(&row.workload, false),
            container_label(row.spec.list, &row.spec.container),
            row.spec.image,
            mutability_reason(&row.spec),
        );
        out.push(finding(
            FindingCode::NoRollout,
            Severity::Medium,
            row,
            message,
        ));
    }
}

/// `the upgrade changed the values (.Values.greeting) and the manifest (changed ConfigMap
/// shop/web-config)`, or `the upgrade applied the same chart, values and manifest as revision 2`.
fn describe_changes(
    base: &RevisionView<'_>,
    view: &RevisionView<'_>,
    operation: &str,
    workload: &ResourceKey,
) -> String {
    let (old, new) = (base.release, view.release);
    let mut parts = Vec::new();
    if old.chart_label() != new.chart_label() {
        parts.push(format!(
            "the chart ({} → {})",
            or_none(&old.chart_label()),
            or_none(&new.chart_label())
        ));
    } else if old.chart.metadata.app_version != new.chart.metadata.app_version {
        parts.push(format!(
            "the chart's appVersion ({} → {})",
            or_none(&old.chart.metadata.app_version),
            or_none(&new.chart.metadata.app_version)
        ));
    } else if old.chart.metadata != new.chart.metadata {
        parts.push("the chart's metadata".to_owned());
    }
    let values = changed_value_paths(old, new);
    if !values.is_empty() {
        parts.push(format!("the values ({})", name_some(&values)));
    }
    let objects = ObjectChanges::between(base, view);
    let mut changed_objects: Vec<String> = Vec::new();
    for (verb, keys) in [
        ("changed", &objects.changed),
        ("added", &objects.added),
        ("removed", &objects.removed),
    ] {
        for key in keys.iter().filter(|k| !k.same_object(workload)) {
            changed_objects.push(format!("{verb} {}", workload_label(key, false)));
        }
    }
    if objects.changed.iter().any(|k| k.same_object(workload)) {
        changed_objects.push(format!(
            "changed {} outside its pod template",
            workload_label(workload, false)
        ));
    }
    if !changed_objects.is_empty() {
        parts.push(format!("the manifest ({})", name_some(&changed_objects)));
    }
    let hooks_changed = base.hooks.len() != view.hooks.len()
        || base
            .hooks
            .iter()
            .zip(&view.hooks)
            .any(|(a, b)| a.object.value != b.object.value);
    if hooks_changed {
        parts.push("the hooks".to_owned());
    }
    match parts.as_slice() {
        [] => format!(
            "the {operation} applied the same chart, values and manifest as revision {} (it \
             was run again)",
            base.revision()
        ),
        _ => format!("the {operation} changed {}", join_words(&parts)),
    }
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

/// Paths of the values (chart defaults merged with the user's) that differ; never the values
/// themselves, which may be secrets.
fn changed_value_paths(old: &Release, new: &Release) -> Vec<String> {
    let a = flatten(&effective_values(old));
    let b = flatten(&effective_values(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!(".Values.{k}"))
        .collect()
}

/// The first few items, then `and N more`.
fn name_some(items: &[String]) -> String {
    let shown: Vec<&str> = items
        .iter()
        .take(NAMED_CHANGES)
        .map(String::as_str)
        .collect();
    match items.len().saturating_sub(NAMED_CHANGES) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `tag-kept-app-version-changed`: appVersion moved, every image of the workload stayed.
/// `old_rows` are the base's, as [`image_history`] read them (not read again here).
fn app_version_findings(
    base: &RevisionView<'_>,
    view: &RevisionView<'_>,
    old_rows: &[ImageRow],
    rows: &[ImageRow],
    out: &mut Vec<ImageFinding>,
) {
    let old_version = &base.release.chart.metadata.app_version;
    let new_version = &view.release.chart.metadata.app_version;
    if new_version.is_empty() || old_version == new_version {
        return;
    }
    let old_images: BTreeMap<ContainerId, &str> = old_rows
        .iter()
        .map(|r| (ContainerId::of(r), r.spec.image.as_str()))
        .collect();
    let mut by_workload: BTreeMap<(WorkloadId, bool), Vec<&ImageRow>> = BTreeMap::new();
    for row in rows {
        by_workload
            .entry((workload_id(&row.workload), row.hook))
            .or_default()
            .push(row);
    }
    for containers in by_workload.values() {
        let all_kept = containers
            .iter()
            .all(|r| old_images.get(&ContainerId::of(r)) == Some(&r.spec.image.as_str()));
        if !all_kept {
            continue;
        }
        // Init and ephemeral containers run helpers (busybox, a shell) whose images have
        // nothing to do with the application's version.
        let app_containers = containers
            .iter()
            .filter(|r| r.spec.list == ContainerList::Container);
        for row in app_containers {
            let what = fmt::from_fn(|f| {
                if row.spec.tag_class == TagClass::Digest {
                    f.write_str("the same digest: the application did not change")
                } else {
                    write!(
                        f,
                        "the same reference: the application changed only if a new build was \
                         pushed under {} and the nodes pulled it, which no upgrade makes them do",
                        row.spec.image
                    )
                }
            });
            let message = format!(
                "the chart's appVersion moved from {} to {new_version}, but {} still runs {} as \
                 in revision {} — {what}. Derive the tag from .Chart.AppVersion, or bump the \
                 image tag together with appVersion",
                or_none(old_version),
                subject(row),
                row.spec.image,
                base.revision(),
            );
            out.push(finding(
                FindingCode::TagKeptAppVersionChanged,
                Severity::Medium,
                row,
                message,
            ));
        }
    }
}

/// The `imagePullPolicy` a live object holds for one container, as far as the stored
/// revisions tell.
#[derive(Debug, Clone)]
struct LivePolicy {
    policy: PullPolicy,
    /// The revision whose apply last wrote it.
    since: u64,
    /// The container whose image it was defaulted from (`None`: set explicitly).
    defaulted_from: Option<Arc<ContainerImage>>,
}

/// `pull-policy-changed-not-applied`, walking what each apply does to the stored field.
fn pull_policy_findings<'v>(
    base: Option<&'v RevisionView<'_>>,
    rows: &[ImageRow],
    images: &mut ImagesOfDocuments<'v>,
    live_policies: &mut BTreeMap<ContainerId, LivePolicy>,
    runs: &mut Runs,
    out: &mut Vec<ImageFinding>,
) {
    for row in rows.iter().filter(|r| !r.hook) {
        let id = ContainerId::of(row);
        let spec = &row.spec;
        let written_now = || LivePolicy {
            policy: spec.pull_policy.clone(),
            since: row.revision,
            defaulted_from: spec.pull_policy_rule.is_default().then(|| Arc::clone(spec)),
        };
        let previous = base.and_then(|b| b.object(&row.workload)).and_then(|o| {
            images
                .of(o)
                .iter()
                .find(|c| c.list == spec.list && c.container == spec.container)
                .cloned()
        });
        let Some(previous) = previous else {
            // Created now (or added to the template now): defaulted from today's image.
            live_policies.insert(id, written_now());
            continue;
        };
        let live = live_policies
            .get(&id)
            .cloned()
            .unwrap_or_else(|| LivePolicy {
                policy: previous.pull_policy.clone(),
                since: base.map_or(row.revision, RevisionView::revision),
                defaulted_from: previous
                    .pull_policy_rule
                    .is_default()
                    .then(|| Arc::clone(&previous)),
            });
        if spec.explicit_pull_policy.is_some() || previous.explicit_pull_policy.is_some() {
            // The patch sets the field, or removes it and the API server defaults it again.
            if live.policy != spec.pull_policy && row.workload_kind.pod_spec_is_immutable() {
                let what = match row.workload_kind {
                    WorkloadKind::Pod => "a Pod's spec cannot change apart from its images",
                    _ => "a Job's pod template is immutable",
                };
                let message = format!(
                    "the chart changes the imagePullPolicy of {} from {} to {} ({}), but {what}: \
                     the API server refuses the change and the upgrade fails, unless the {} no \
                     longer existed (deleted by hand, or by ttlSecondsAfterFinished)",
                    subject(row),
                    live.policy,
                    spec.pull_policy,
                    spec.pull_policy_rule.describe(),
                    row.workload_kind,
                );
                out.push(finding(
                    FindingCode::PullPolicyChangedNotApplied,
                    Severity::High,
                    row,
                    message,
                ));
            }
            live_policies.insert(id, written_now());
            continue;
        }
        // Neither revision sets it: the patch leaves the stored value alone.
        if live.policy != spec.pull_policy {
            let origin = match &live.defaulted_from {
                Some(from) => format!("defaulted from {} when it was created", from.image),
                None => "set explicitly".to_owned(),
            };
            let message = format!(
                "{} now has {} and no imagePullPolicy, so a fresh install would get {} ({}); \
                 but Kubernetes defaults an empty imagePullPolicy only when the object is \
                 created, and the live {} has held {} since revision {} ({origin}): its pods, \
                 including any this revision rolled out, keep {}. Verify with `{}`; set \
                 imagePullPolicy explicitly in the chart to change it",
                subject(row),
                spec.image,
                spec.pull_policy,
                spec.pull_policy_rule.describe(),
                row.workload_kind,
                live.policy,
                live.since,
                live.policy,
                kubectl_policy_query(row),
            );
            let f = || {
                finding(
                    FindingCode::PullPolicyChangedNotApplied,
                    Severity::Medium,
                    row,
                    message,
                )
            };
            let key = (
                FindingCode::PullPolicyChangedNotApplied,
                id.clone(),
                live.policy.to_string(),
                spec.pull_policy.to_string(),
            );
            runs.hold(key, row.revision, f, out);
        }
        live_policies.insert(id, live);
    }
}

/// `kubectl get deployment web -n shop -o jsonpath=…` printing the stored pull policy.
fn kubectl_policy_query(row: &ImageRow) -> String {
    let spec_path = row.workload_kind.pod_spec_pointer().replace('/', ".");
    let namespace = row
        .workload
        .namespace
        .as_deref()
        .map(|ns| format!(" -n {ns}"))
        .unwrap_or_default();
    format!(
        "kubectl get {} {}{namespace} -o jsonpath='{{{spec_path}.{}[?(@.name==\"{}\")].imagePullPolicy}}'",
        row.workload.kind.to_lowercase(),
        row.workload.name,
        row.spec.list.field(),
        row.spec.container,
    )
}

fn sort_findings(findings: &mut [ImageFinding]) {
    findings.sort_by(|a, b| {
        (a.revision, workload_id(&a.workload), &a.container, a.code).cmp(&(
            b.revision,
            workload_id(&b.workload),
            &b.container,
            b.code,
        ))
    });
}

// --- live pods ------------------------------------------------------------------------------

/// The controller that owns a pod (its `ownerReferences` entry with `controller: true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodOwner {
    /// Owner kind (`ReplicaSet`, `StatefulSet`, `Job`, …).
    pub kind: String,
    /// Owner name.
    pub name: String,
}

/// One container of a live pod: the image its spec asks for and the image ID its status
/// reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveContainer {
    /// Container name.
    pub name: String,
    /// Which list it is in.
    pub list: ContainerList,
    /// `spec.…containers[].image` (the reference as requested).
    pub image: String,
    /// `status.…containerStatuses[].imageID` (`None` or empty until the image is pulled).
    pub image_id: Option<String>,
    /// `spec.…containers[].imagePullPolicy` as stored.
    pub pull_policy: Option<String>,
}

/// A live pod, reduced to what image forensics needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivePod {
    /// Pod name.
    pub name: String,
    /// Pod namespace.
    pub namespace: String,
    /// `spec.nodeName` (`None` until scheduled).
    pub node: Option<String>,
    /// The controlling owner.
    pub owner: Option<PodOwner>,
    /// The `pod-template-hash` label Deployments put on their pods and ReplicaSet names.
    pub pod_template_hash: Option<String>,
    /// Its containers.
    pub containers: Vec<LiveContainer>,
}

/// The workload of the release a pod belongs to, by its controlling owner: a ReplicaSet
/// `<deployment>-<pod-template-hash>` maps to its Deployment, a Job `<cronjob>-<n>` to its
/// CronJob, a pod without owner to a Pod of the release with its name.
///
/// ```
/// use helm_why_release::ResourceKey;
/// use helm_why_diff::images::{workload_of_pod, LivePod, PodOwner};
/// let web = ResourceKey::new("apps/v1", "Deployment", Some("shop"), "web");
/// let pod = LivePod { name: "web-7d4b9c-x1".into(), namespace: "shop".into(), node: None,
///     owner: Some(PodOwner { kind: "ReplicaSet".into(), name: "web-7d4b9c".into() }),
///     pod_template_hash: Some("7d4b9c".into()), containers: vec![] };
/// assert_eq!(workload_of_pod(&pod, &[web.clone()]), Some(web));
/// ```
pub fn workload_of_pod(pod: &LivePod, workloads: &[ResourceKey]) -> Option<ResourceKey> {
    workload_in(pod, workloads).cloned()
}

/// [`workload_of_pod`], borrowed from `workloads`.
fn workload_in<'w>(pod: &LivePod, workloads: &'w [ResourceKey]) -> Option<&'w ResourceKey> {
    let find = |kind: &str, name: &str| {
        workloads.iter().find(|w| {
            w.kind == kind
                && w.name == name
                && w.namespace.as_deref() == Some(pod.namespace.as_str())
        })
    };
    let Some(owner) = &pod.owner else {
        return find("Pod", &pod.name);
    };
    if let Some(found) = find(&owner.kind, &owner.name) {
        return Some(found);
    }
    match owner.kind.as_str() {
        "ReplicaSet" => {
            let deployment = match &pod.pod_template_hash {
                Some(hash) => owner.name.strip_suffix(&format!("-{hash}")),
                None => owner.name.rsplit_once('-').map(|(name, _)| name),
            }?;
            find("Deployment", deployment)
        }
        "Job" => {
            let (cronjob, run) = owner.name.rsplit_once('-')?;
            if run.is_empty() || !run.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            find("CronJob", cronjob)
        }
        _ => None,
    }
}

/// Pods that run one image under one reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestReplicas {
    /// The digest (`sha256:…`).
    pub digest: String,
    /// The repository the image ID names (`None` for a bare `sha256:` ID).
    pub repository: Option<String>,
    /// Pod names.
    pub pods: Vec<String>,
    /// Node names (unscheduled pods are not listed).
    pub nodes: Vec<String>,
}

/// A pod whose image ID cannot be compared with the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AmbiguousReplica {
    /// Pod name.
    pub pod: String,
    /// Node name.
    pub node: Option<String>,
    /// The image ID as reported.
    pub image_id: String,
    /// Why it cannot be compared.
    pub reason: String,
}

/// What the replicas of one container under one reference run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LiveVerdict {
    /// One digest.
    Uniform,
    /// Several digests under one reference.
    Diverging,
    /// At most one comparable digest, and image IDs that cannot be compared.
    Ambiguous,
    /// No image ID reported yet.
    Unknown,
}

impl LiveVerdict {
    /// Table text.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveVerdict::Uniform => "uniform",
            LiveVerdict::Diverging => "diverging",
            LiveVerdict::Ambiguous => "ambiguous",
            LiveVerdict::Unknown => "unknown",
        }
    }
}

/// The replicas of one container of one workload running one image reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveImageGroup {
    /// The workload of the release.
    pub workload: ResourceKey,
    /// Container name.
    pub container: String,
    /// Which list it is in.
    pub list: ContainerList,
    /// The reference the pods ask for.
    pub image: String,
    /// The outcome.
    pub verdict: LiveVerdict,
    /// Comparable image IDs grouped by digest, most replicas first.
    pub digests: Vec<DigestReplicas>,
    /// Replicas whose image ID cannot be compared.
    pub ambiguous: Vec<AmbiguousReplica>,
    /// Pods that report no image ID yet (not started, image pull failing).
    pub without_image_id: Vec<String>,
    /// The `imagePullPolicy` values the pods carry.
    pub pull_policies: Vec<String>,
}

/// The live part of the image report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveImages {
    /// Pods examined.
    pub pods_seen: usize,
    /// Pods that belong to a workload of the release.
    pub pods_matched: usize,
    /// Groups, by workload, container and image.
    pub groups: Vec<LiveImageGroup>,
    /// `diverging-digests`, `ambiguous-image-id`, and `pull-policy-changed-not-applied`
    /// seen on the pods.
    pub findings: Vec<ImageFinding>,
}

/// Compare what the pods of the release's workloads run, given the rows of the latest
/// revision (which name the workloads and the pull policy the chart gives).
pub fn live_images(pods: &[LivePod], latest: &[ImageRow]) -> LiveImages {
    let mut workloads: Vec<ResourceKey> = latest
        .iter()
        .map(|r| ResourceKey::clone(&r.workload))
        .collect();
    workloads.dedup();
    /// Workload, container list, container name, image reference.
    type GroupKey<'p> = (WorkloadId<'p>, ContainerList, &'p str, &'p str);
    /// The workload's key and the pods (with their container) of one group.
    type Replicas<'p> = (ResourceKey, Vec<(&'p LivePod, &'p LiveContainer)>);
    let mut members: BTreeMap<GroupKey<'_>, Replicas<'_>> = BTreeMap::new();
    let mut pods_matched = 0;
    for pod in pods {
        // The group's key borrows the workload from the list it was found in.
        let Some(workload) = workload_in(pod, &workloads) else {
            continue;
        };
        pods_matched += 1;
        for container in &pod.containers {
            let key = (
                workload_id(workload),
                container.list,
                container.name.as_str(),
                container.image.as_str(),
            );
            members
                .entry(key)
                .or_insert_with(|| (workload.clone(), Vec::new()))
                .1
                .push((pod, container));
        }
    }
    let mut groups = Vec::new();
    let mut findings = Vec::new();
    for ((_, list, container, image), (workload, replicas)) in members {
        let group = compare_replicas(
            workload,
            list,
            container.to_owned(),
            image.to_owned(),
            &replicas,
        );
        findings.extend(group_findings(&group, latest));
        groups.push(group);
    }
    LiveImages {
        pods_seen: pods.len(),
        pods_matched,
        groups,
        findings,
    }
}

fn compare_replicas(
    workload: ResourceKey,
    list: ContainerList,
    container: String,
    image: String,
    replicas: &[(&LivePod, &LiveContainer)],
) -> LiveImageGroup {
    let requested = ImageReference::parse(&image).ok().map(|r| r.name());
    let mut comparable: Vec<(String, Option<String>, &LivePod)> = Vec::new();
    let mut bare: Vec<(String, &LivePod, &str)> = Vec::new();
    let mut ambiguous = Vec::new();
    let mut without_image_id = Vec::new();
    let mut pull_policies = BTreeSet::new();
    for (pod, c) in replicas {
        if let Some(p) = &c.pull_policy {
            pull_policies.insert(p.clone());
        }
        let raw = c.image_id.as_deref().unwrap_or_default();
        match ImageId::parse(raw) {
            ImageId::Unknown { .. } => without_image_id.push(pod.name.clone()),
            ImageId::BareDigest { digest } => bare.push((digest, pod, raw)),
            ImageId::RepoDigest { repository, digest } => {
                if requested.as_deref() == Some(repository.as_str()) {
                    comparable.push((digest, Some(repository), pod));
                } else {
                    ambiguous.push(AmbiguousReplica {
                        pod: pod.name.clone(),
                        node: pod.node.clone(),
                        image_id: raw.to_owned(),
                        reason: format!(
                            "the image ID names repository {repository}, not {}: the node \
                             resolved the image under another name (a mirror or a retagged \
                             copy), so its digest says nothing about {image}",
                            requested.as_deref().unwrap_or("the requested one")
                        ),
                    });
                }
            }
        }
    }
    if comparable.is_empty() {
        comparable.extend(bare.into_iter().map(|(digest, pod, _)| (digest, None, pod)));
    } else {
        ambiguous.extend(bare.into_iter().map(|(_, pod, raw)| {
            AmbiguousReplica {
                pod: pod.name.clone(),
                node: pod.node.clone(),
                image_id: raw.to_owned(),
                reason: "a bare sha256 image ID can be the node's local image ID (the config \
                     digest) rather than the registry digest the other replicas report"
                    .to_owned(),
            }
        }));
    }
    let mut by_digest: BTreeMap<String, DigestReplicas> = BTreeMap::new();
    for (digest, repository, pod) in comparable {
        let entry = by_digest
            .entry(digest.clone())
            .or_insert_with(|| DigestReplicas {
                digest,
                repository,
                pods: Vec::new(),
                nodes: Vec::new(),
            });
        entry.pods.push(pod.name.clone());
        if let Some(node) = &pod.node
            && !entry.nodes.contains(node)
        {
            entry.nodes.push(node.clone());
        }
    }
    let mut digests: Vec<DigestReplicas> = by_digest.into_values().collect();
    for d in &mut digests {
        d.pods.sort();
        d.nodes.sort();
    }
    digests.sort_by(|a, b| {
        b.pods
            .len()
            .cmp(&a.pods.len())
            .then(a.digest.cmp(&b.digest))
    });
    ambiguous.sort_by(|a, b| a.pod.cmp(&b.pod));
    without_image_id.sort();
    let verdict = match (digests.len(), ambiguous.is_empty()) {
        (2.., _) => LiveVerdict::Diverging,
        (_, false) => LiveVerdict::Ambiguous,
        (1, true) => LiveVerdict::Uniform,
        (_, true) => LiveVerdict::Unknown,
    };
    LiveImageGroup {
        workload,
        container,
        list,
        image,
        verdict,
        digests,
        ambiguous,
        without_image_id,
        pull_policies: pull_policies.into_iter().collect(),
    }
}

fn live_finding(
    code: FindingCode,
    severity: Severity,
    group: &LiveImageGroup,
    message: String,
) -> ImageFinding {
    ImageFinding {
        code,
        severity,
        revision: None,
        last_revision: None,
        workload: Arc::new(group.workload.clone()),
        container: group.container.clone(),
        image: group.image.clone(),
        message,
    }
}

fn group_findings(group: &LiveImageGroup, latest: &[ImageRow]) -> Vec<ImageFinding> {
    let mut out = Vec::new();
    let subject = format!(
        "{} of {}",
        container_label(group.list, &group.container),
        workload_label(&group.workload, false)
    );
    if group.verdict == LiveVerdict::Diverging {
        let pods: usize = group.digests.iter().map(|d| d.pods.len()).sum();
        let each: Vec<String> = group
            .digests
            .iter()
            .map(|d| {
                let nodes = match d.nodes.as_slice() {
                    [] => "no node".to_owned(),
                    nodes => format!("node{} {}", plural(nodes.len()), nodes.join(", ")),
                };
                format!(
                    "{} on {nodes} (pod{} {})",
                    short_digest(&d.digest),
                    plural(d.pods.len()),
                    d.pods.join(", ")
                )
            })
            .collect();
        let message = format!(
            "{pods} pods run {subject} as {} but from {} different images: {}. The tag was \
             pushed again and the nodes pulled it at different times, so which build answers \
             depends on the pod. Deploy by digest (or a new tag) to converge: restarting pods \
             with imagePullPolicy IfNotPresent keeps each node's copy",
            group.image,
            group.digests.len(),
            each.join("; ")
        );
        out.push(live_finding(
            FindingCode::DivergingDigests,
            Severity::High,
            group,
            message,
        ));
    }
    if !group.ambiguous.is_empty() {
        let each: Vec<String> = group
            .ambiguous
            .iter()
            .map(|a| format!("pod {} reports {}: {}", a.pod, a.image_id, a.reason))
            .collect();
        let count = match group.ambiguous.len() {
            1 => "1 image ID cannot be compared with the other replicas, so it is".to_owned(),
            n => format!("{n} image IDs cannot be compared with the other replicas, so they are"),
        };
        let message = format!(
            "{subject} ({}): {count} not counted as different. {}",
            group.image,
            each.join("; ")
        );
        out.push(live_finding(
            FindingCode::AmbiguousImageId,
            Severity::Low,
            group,
            message,
        ));
    }
    let expected = latest.iter().find(|r| {
        !r.hook
            && r.workload.same_object(&group.workload)
            && r.spec.list == group.list
            && r.spec.container == group.container
            && r.spec.image == group.image
    });
    if let Some(row) = expected
        && !group.pull_policies.is_empty()
        && !group
            .pull_policies
            .iter()
            .any(|p| p.as_str() == row.spec.pull_policy.as_str())
    {
        let message = format!(
            "the pods run {subject} with imagePullPolicy {}, but revision {} of the chart gives \
             {} ({}): the live value was fixed when the {} was created (Kubernetes defaults an \
             empty imagePullPolicy only then) or set by an admission webhook. Set \
             imagePullPolicy explicitly in the chart to change it",
            group.pull_policies.join(", "),
            row.revision,
            row.spec.pull_policy,
            row.spec.pull_policy_rule.describe(),
            row.workload_kind,
        );
        out.push(live_finding(
            FindingCode::PullPolicyChangedNotApplied,
            Severity::Medium,
            group,
            message,
        ));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

// --- plan -----------------------------------------------------------------------------------

/// A workload whose pods a planned upgrade will not replace although the chart or values
/// change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedNoRollout {
    /// The workload.
    pub workload: ResourceKey,
    /// Its containers with a tag that is mutable in practice.
    pub mutable_tag_containers: Vec<String>,
    /// Changed value paths that the workload's own template reads (`.Values.replicaCount`).
    pub touched_values: Vec<String>,
    /// What and why, for a human.
    pub message: String,
}

/// A mutable tag the candidate introduces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMutableTag {
    /// The workload.
    pub workload: ResourceKey,
    /// Whether it is a hook.
    pub hook: bool,
    /// The container.
    pub container: String,
    /// The image.
    pub image: String,
    /// Its class.
    pub tag_class: TagClass,
    /// What and why, for a human.
    pub message: String,
}

/// What a planned upgrade does to images.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImagePlan {
    /// Rolling workloads whose pod template stays the same while the chart or values change:
    /// no rollout will happen.
    pub no_rollout: Vec<PlannedNoRollout>,
    /// Mutable tags that are not in the base revision.
    pub new_mutable_tags: Vec<NewMutableTag>,
}

/// What upgrading from `base` (the deployed revision) to `candidate` does to images.
///
/// ```
/// use helm_why_release::builder::ReleaseBuilder;
/// use helm_why_release::ScopeResolver;
/// use helm_why_diff::RevisionView;
/// use helm_why_diff::images::plan_images;
/// let deploy = |tag: &str| format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: myimage:{tag}\n");
/// let base = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/d.yaml", &deploy("v1.0.0")).build();
/// let next = ReleaseBuilder::new("web", "shop", 2).manifest_doc("web/templates/d.yaml", &deploy("v2")).build();
/// let s = ScopeResolver::builtin();
/// let plan = plan_images(&RevisionView::new(&base, &s), &RevisionView::new(&next, &s));
/// assert_eq!(plan.new_mutable_tags[0].image, "myimage:v2");
/// assert!(plan.no_rollout.is_empty());
/// ```
pub fn plan_images(base: &RevisionView<'_>, candidate: &RevisionView<'_>) -> ImagePlan {
    let mut plan = ImagePlan::default();
    // `helm template` output carries no chart or values: then only the documents tell
    // whether the upgrade changes anything. A candidate that changes nothing rolls nothing
    // out, and that is no finding.
    let carries_chart = !candidate.release.chart.metadata.name.is_empty();
    let chart_or_values_changed = (carries_chart
        && (base.release.chart.metadata != candidate.release.chart.metadata
            || base.release.config != candidate.release.config))
        || !crate::ObjectChanges::between(base, candidate).is_empty();
    let candidate_rows = revision_rows(
        candidate,
        Some(base),
        true,
        &mut ImagesOfDocuments::default(),
    );
    if chart_or_values_changed {
        let mut seen = BTreeSet::new();
        for row in candidate_rows.iter().filter(|r| r.rollout == Rollout::No) {
            if !seen.insert(workload_id(&row.workload)) {
                continue;
            }
            let containers = candidate_rows
                .iter()
                .filter(|r| !r.hook && r.workload.same_object(&row.workload));
            let mutable_tag_containers: Vec<String> = containers
                .filter(|r| r.spec.tag_class.is_mutable_in_practice())
                .map(|r| r.spec.container.clone())
                .collect();
            let touched_values = touched_values(base.release, candidate, &row.workload);
            let workload = workload_label(&row.workload, false);
            let mut message = match touched_values.as_slice() {
                [] => format!(
                    "the chart or values change, but the pod template of {workload} stays the \
                     same: no rollout will happen, its pods keep running"
                ),
                touched => format!(
                    "{} change{}, which {workload}'s template reads, but its pod template stays \
                     the same: no rollout will happen, its pods keep running",
                    name_some(touched),
                    if touched.len() == 1 { "s" } else { "" }
                ),
            };
            if !mutable_tag_containers.is_empty() {
                message.push_str(&format!(
                    " — and a build pushed again under the mutable tag of {} will not ship",
                    join_words(&mutable_tag_containers)
                ));
            }
            plan.no_rollout.push(PlannedNoRollout {
                workload: ResourceKey::clone(&row.workload),
                mutable_tag_containers,
                touched_values,
                message,
            });
        }
    }
    let base_images: BTreeMap<ContainerId, String> =
        revision_rows(base, None, true, &mut ImagesOfDocuments::default())
            .into_iter()
            .map(|r| (ContainerId::of(&r), r.spec.image.clone()))
            .collect();
    for row in &candidate_rows {
        if !row.spec.tag_class.is_mutable_in_practice()
            || base_images.get(&ContainerId::of(row)) == Some(&row.spec.image)
        {
            continue;
        }
        plan.new_mutable_tags.push(NewMutableTag {
            workload: ResourceKey::clone(&row.workload),
            hook: row.hook,
            container: row.spec.container.clone(),
            image: row.spec.image.clone(),
            tag_class: row.spec.tag_class,
            message: format!(
                "the upgrade gives {} the image {} ({}, {}): {}",
                subject(row),
                row.spec.image,
                row.spec.tag_class.label(),
                policy_with_rule(&row.spec),
                mutability_reason(&row.spec)
            ),
        });
    }
    plan
}

/// Changed value paths the workload's template file reads.
fn touched_values(
    base: &Release,
    candidate: &RevisionView<'_>,
    workload: &ResourceKey,
) -> Vec<String> {
    let Some(object) = candidate.object(workload) else {
        return Vec::new();
    };
    let text = object
        .source
        .and_then(template_name)
        .and_then(|name| candidate.release.chart.template(name))
        .and_then(|file| file.text());
    match text {
        Some(text) => changed_references(base, candidate.release, &text)
            .into_iter()
            .map(|c| format!(".Values.{}", c.path))
            .collect(),
        None => Vec::new(),
    }
}
