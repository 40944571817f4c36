//! Planning the next upgrade: the candidate revision replayed against the base Helm would
//! pick, with the same simulator and rules as the history — no second copy of the rules.

use std::sync::Arc;

use helm_why_release::{History, Release, ResourceKey};

use crate::base::{BaseQuery, PENDING_ERROR, reinstalls};
use crate::cause::install_flag;
use crate::event::{Action, Cause, Event, Phase};
use crate::hazard::{Hazard, Severity, empty_manifest};
use crate::ops::{Operation, Outcome};
use crate::profile::Profile;
use crate::replay::{ReplayOptions, dedupe_hazards, run};
use crate::view::RevisionView;

/// What a planned change does to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeOp {
    /// Created from the manifest.
    Create,
    /// Patched (its document changes, or it is adopted).
    Patch,
    /// Applied with an identical document.
    Unchanged,
    /// Deleted.
    Delete,
    /// Created by a hook.
    HookCreate,
    /// A hook object deleted by its policy (or a live object deleted by before-hook-creation).
    HookDelete,
    /// Spared by `helm.sh/resource-policy: keep`.
    Keep,
    /// Helm will stop here with an error.
    Conflict,
}

impl ChangeOp {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Create => "create",
            ChangeOp::Patch => "patch",
            ChangeOp::Unchanged => "unchanged",
            ChangeOp::Delete => "delete",
            ChangeOp::HookCreate => "hook-create",
            ChangeOp::HookDelete => "hook-delete",
            ChangeOp::Keep => "keep",
            ChangeOp::Conflict => "conflict",
        }
    }
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// What happens.
    pub op: ChangeOp,
    /// When.
    pub phase: Phase,
    /// To what.
    pub object: ResourceKey,
    /// Why (stable code).
    pub cause: Option<Cause>,
    /// One sentence.
    pub message: String,
}

/// The predicted upgrade.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The revision the upgrade will diff against.
    pub base_revision: Option<u64>,
    /// The revision number the upgrade will write.
    pub revision: u64,
    /// The rules used.
    pub helm_version: String,
    /// Why those rules.
    pub profile: Profile,
    /// Every change, in Helm's order.
    pub changes: Vec<Change>,
    /// Hazards, most severe first.
    pub hazards: Vec<Hazard>,
    /// Remarks: base choice, assumptions made offline.
    pub notes: Vec<String>,
    /// Helm's error when it will refuse the upgrade before changing anything.
    pub refused: Option<String>,
}

impl Plan {
    /// The most severe hazard, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.hazards.iter().map(|h| h.severity).max()
    }
}

/// Kinds whose rename or namespace move loses data or an address.
const STATEFUL_KINDS: [&str; 3] = ["StatefulSet", "PersistentVolumeClaim", "Service"];

/// Predict what `helm upgrade` to `candidate` will do to the release whose stored history is
/// `history`.
///
/// The cluster is assumed to be what the replay of the history ends with; objects created
/// outside Helm are unknown offline and assumed absent (the notes say so).
///
/// ```
/// use helm_why_release::builder::ReleaseBuilder;
/// use helm_why_release::{history::group, Record, RecordMeta, Status};
/// use helm_why_diff::{plan, ChangeOp, ReplayOptions};
/// let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n";
/// let v1 = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/cm.yaml", cm).build();
/// let history = group(vec![Record { meta: RecordMeta::raw(Default::default()), release: v1 }], vec![])
///     .releases.remove(0);
/// let hooked = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  annotations:\n    helm.sh/hook: pre-upgrade\n";
/// let candidate = ReleaseBuilder::new("web", "shop", 2).hook("web/templates/cm.yaml", hooked).build();
/// let p = plan(&history, &candidate, &ReplayOptions::default());
/// assert_eq!(p.base_revision, Some(1));
/// assert!(p.changes.iter().any(|c| c.op == ChangeOp::Delete && c.phase.as_str() == "delete"));
/// assert_eq!(p.hazards[0].code, "deleted-after-hook-conversion");
/// ```
pub fn plan(history: &History, candidate: &Release, options: &ReplayOptions) -> Plan {
    plan_with_live(history, candidate, options, None)
}

/// What the cluster says about one object, read before planning (`kubectl get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveFact {
    /// It does not exist.
    Absent,
    /// It exists.
    Present {
        /// It carries this release's ownership metadata (label and both annotations).
        owned: bool,
        /// It carries `app.kubernetes.io/managed-by: Helm`.
        labelled: bool,
        /// Its live `helm.sh/resource-policy` is exactly `keep` (what upgrade tests).
        keep: bool,
        /// Another release its `meta.helm.sh/release-namespace`/`-name` annotations name
        /// (`namespace/name`): the object was handed over.
        owner: Option<String>,
    },
    /// It could not be read (forbidden, kind not served).
    Unknown,
}

/// [`plan`], with what the cluster says about the objects involved. Live facts replace what
/// the replay assumed: an object created outside Helm, one deleted by hand, a `keep`
/// annotation added with kubectl.
pub fn plan_with_live(
    history: &History,
    candidate: &Release,
    options: &ReplayOptions,
    live: Option<&[(ResourceKey, LiveFact)]>,
) -> Plan {
    let ended = run(history, options);
    let mut sim = ended.sim;
    if let Some(facts) = live {
        apply_live(&mut sim.world, facts);
        sim.connected = true;
    }
    let replay = ended.replay;
    let profile = replay.profile;
    let revision = history.last_revision().unwrap_or(0).saturating_add(1);
    let mut notes = Vec::new();
    // The world the plan starts from lacks what unreadable documents held.
    let mut hazards: Vec<Hazard> = replay
        .hazards
        .iter()
        .filter(|h| h.code == crate::hazard::UNREADABLE_DOCUMENT)
        .cloned()
        .collect();
    let mut refused = None;

    let stored = &ended.stored;
    let last = stored.iter().next_back();
    // The base is what Helm's storage answers now: the same query as the replay's
    // `next_upgrade` (helm-semantics.md §4.1).
    let mut operation = Operation::Upgrade;
    let base_rev = match &replay.next_upgrade {
        BaseQuery::Base { revision, .. } => Some(*revision),
        BaseQuery::NoRelease => {
            operation = Operation::Install;
            None
        }
        BaseQuery::Refused {
            last,
            status,
            error,
        } if error == PENDING_ERROR => {
            hazards.push(Hazard::new(
                "pending-release",
                Severity::High,
                Some(*last),
                None,
                format!("revision {last} is {status}: helm upgrade will refuse with \"{error}\" (roll back, or fix the record, first)"),
            ));
            refused = Some(error.clone());
            None
        }
        BaseQuery::Refused { last, error, .. }
            if reinstalls(stored) && profile.replace_updates_last() =>
        {
            // Helm 2: `upgrade --install` upgrades (and is refused) once any record exists;
            // `install --replace` runs an Update from the DELETED revision [Helm v2.17.0
            // `cmd/helm/upgrade.go`, `pkg/tiller/release_install.go` `performRelease`].
            notes.push(format!(
                "revision {last} is DELETED (helm delete without --purge): helm upgrade and helm upgrade --install refuse (Tiller's error: {error}); planned here is what helm install --replace does: an update from revision {last}'s manifest (whose objects helm delete removed, except kept ones) with the install hooks; helm upgrade --force would delete revision {last} again first, then do the same"
            ));
            operation = Operation::InstallReplace;
            Some(*last)
        }
        BaseQuery::Refused { last, error, .. } if reinstalls(stored) => {
            notes.push(format!(
                "revision {last} is uninstalled (kept with --keep-history): plain helm upgrade refuses (Helm's error: {error}); planned here is what helm upgrade --install (or helm install --replace) does: an install that replaces it, which deletes nothing and adopts existing objects that carry this release's ownership metadata"
            ));
            operation = Operation::InstallReplace;
            None
        }
        BaseQuery::Refused { last, error, .. } => {
            hazards.push(Hazard::new(
                "no-deployed-release",
                Severity::High,
                Some(*last),
                None,
                format!("helm upgrade will refuse (Helm's error: {error})"),
            ));
            refused = Some(error.clone());
            None
        }
    };
    if let (Some(b), Some((l, _)), None) = (base_rev, last, &refused)
        && b != *l
    {
        let skipped: Vec<String> = stored
            .range(b + 1..)
            .map(|(r, s)| format!("{r} ({s})"))
            .collect();
        hazards.push(Hazard::new(
            "stale-base",
            Severity::Medium,
            Some(b),
            None,
            format!(
                "the upgrade will diff against revision {b}, the last deployed one, not against {}: objects those revisions created and the candidate lacks are never deleted",
                skipped.join(", ")
            ),
        ));
    }
    match live {
        None => notes.push(
            "offline: the cluster is assumed to hold what the replayed history left; objects created outside Helm are unknown and assumed absent, and the keep policy is read from the manifests".to_owned(),
        ),
        Some(facts) => {
            let unknown: Vec<String> = facts
                .iter()
                .filter(|(_, f)| *f == LiveFact::Unknown)
                .map(|(k, _)| k.to_string())
                .collect();
            notes.push(format!(
                "connected: {} objects read from the cluster (existence, ownership metadata, live keep policy){}",
                facts.len(),
                if unknown.is_empty() {
                    String::new()
                } else {
                    format!("; unknown, assuming what the history left: {}", unknown.join(", "))
                }
            ));
        }
    }

    let base_record = base_rev.and_then(|b| history.revision(b));
    let base_view = base_record.map(|r| RevisionView::of_record(r, &options.scopes));
    let target = RevisionView::new(candidate, &options.scopes);
    if refused.is_none() {
        hazards.extend(sim.crd_missing(&target, "this upgrade"));
        sim.assume_hooks_run = true;
        sim.begin(revision, format!("{} (planned)", operation.label()));
        sim.operate(&operation, base_view.as_ref(), &target, &Outcome::Succeeded);
    }
    let (events, sim_notes) = sim.take();
    notes.extend(sim_notes);
    hazards.extend(sim.take_hazards());
    for e in &events {
        if let Some(h) = Hazard::from_event(e) {
            hazards.push(h);
        }
        if let Some(h) = stateful_move(e) {
            hazards.push(h);
        }
        hazards.extend(live.and_then(|facts| deletes_handed_over(e, facts)));
    }
    // After Helm 2's helm delete the base's workloads are gone: whatever is created rolls out.
    let base_is_live = operation != Operation::InstallReplace;
    if let Some(base) = base_view.as_ref().filter(|_| base_is_live) {
        // The images side (issue 5): rollouts that will not happen, mutable tags that arrive.
        let images = crate::images::plan_images(base, &target);
        for n in images.no_rollout {
            hazards.push(Hazard::new(
                "no-rollout",
                Severity::Medium,
                Some(revision),
                Some(n.workload),
                n.message,
            ));
        }
        for t in images.new_mutable_tags {
            hazards.push(Hazard::new(
                "new-mutable-tag",
                Severity::Low,
                Some(revision),
                Some(t.workload),
                t.message,
            ));
        }
    }
    if let Some(base) = &base_view {
        hazards.extend(empty_manifest(revision, base, &target, true));
    }
    dedupe_hazards(&mut hazards);
    hazards.sort_by_key(|h| std::cmp::Reverse(h.severity));
    Plan {
        release: history.id.name.clone(),
        namespace: replay.namespace.clone(),
        base_revision: base_rev,
        revision,
        helm_version: profile.version.to_string(),
        profile,
        changes: events.iter().filter_map(change_of).collect(),
        hazards,
        notes,
        refused,
    }
}

/// `rendered-as-install`: the candidate came from `helm template`, which renders with
/// `.Release.IsInstall` true, and templates of the release's chart (as stored in `base`) read
/// `.Release.IsInstall` or `.Release.IsUpgrade`: the plan may show objects the upgrade would
/// not render, or miss ones it would.
pub fn rendered_as_install(base: &Release, revision: u64) -> Option<Hazard> {
    let templates: Vec<&str> = base
        .chart
        .templates
        .iter()
        .filter(|t| t.text().is_some_and(|text| install_flag(&text).is_some()))
        .map(|t| t.name.as_str())
        .collect();
    if templates.is_empty() {
        return None;
    }
    Some(Hazard::new(
        "rendered-as-install",
        Severity::Medium,
        Some(revision),
        None,
        format!(
            "the candidate is helm template output, rendered as an install (.Release.IsInstall true), but {} of chart {} read .Release.IsInstall or .Release.IsUpgrade: this plan is unreliable for them; render the candidate as an upgrade with helm upgrade RELEASE CHART --dry-run=server -o json",
            templates.join(", "),
            base.chart_label()
        ),
    ))
}

fn change_of(e: &Event) -> Option<Change> {
    let op = match e.action {
        Action::Create => ChangeOp::Create,
        Action::Patch | Action::Adopt => ChangeOp::Patch,
        Action::Unchanged => ChangeOp::Unchanged,
        Action::Delete if matches!(e.phase, Phase::Hooks(_)) => ChangeOp::HookDelete,
        Action::Delete => ChangeOp::Delete,
        Action::HookCreate => ChangeOp::HookCreate,
        Action::HookDelete => ChangeOp::HookDelete,
        Action::Keep => ChangeOp::Keep,
        Action::Fail => ChangeOp::Conflict,
        Action::Orphan | Action::Unknown => return None,
    };
    Some(Change {
        op,
        phase: e.phase.clone(),
        object: ResourceKey::clone(&e.object),
        cause: e.cause,
        message: e.message.clone(),
    })
}

/// A StatefulSet, PVC or Service deleted because it was renamed or moved: data or address loss.
fn stateful_move(e: &Event) -> Option<Hazard> {
    if e.action != Action::Delete
        || !matches!(e.cause, Some(Cause::Renamed | Cause::NamespaceChanged))
        || !STATEFUL_KINDS.contains(&e.object.kind.as_str())
    {
        return None;
    }
    let loss = match e.object.kind.as_str() {
        "Service" => "a new cluster IP: clients holding the old address break",
        _ => "its data: a new, empty volume is created",
    };
    Some(Hazard::new(
        "stateful-rename",
        Severity::High,
        Some(e.revision),
        Some(ResourceKey::clone(&e.object)),
        format!(
            "{} {} is deleted and created under a new identity, losing {loss}",
            e.object.kind, e.object.name
        ),
    ))
}

/// The upgrade deleting an object that the live cluster says was handed to another release:
/// Helm's upgrade checks only `helm.sh/resource-policy` before deleting, never
/// `meta.helm.sh/release-name` (helm-semantics.md §12, *Ownership handed to another release*;
/// helm/helm#12683), so it deletes that release's object. `scan`'s `ownership-moved`, told of
/// the operation that does it.
fn deletes_handed_over(e: &Event, facts: &[(ResourceKey, LiveFact)]) -> Option<Hazard> {
    if e.action != Action::Delete || e.phase != Phase::Delete {
        return None;
    }
    let owner = facts.iter().find_map(|(key, fact)| match fact {
        LiveFact::Present {
            owner: Some(owner), ..
        } if key.same_object(&e.object) => Some(owner),
        _ => None,
    })?;
    Some(Hazard::new(
        "ownership-moved",
        Severity::High,
        Some(e.revision),
        Some(ResourceKey::clone(&e.object)),
        format!(
            "this upgrade deletes {}, whose live meta.helm.sh/release-name names release {owner}: the object was handed to that release, and Helm's upgrade does not check ownership before deleting (helm/helm#12683)",
            e.object
        ),
    ))
}

/// Make the simulated cluster agree with what the real one said.
fn apply_live(world: &mut crate::world::World, facts: &[(ResourceKey, LiveFact)]) {
    use crate::world::{Live, Origin};
    for (key, fact) in facts {
        match fact {
            LiveFact::Unknown => {}
            LiveFact::Absent => {
                world.remove(key);
            }
            LiveFact::Present {
                owned,
                labelled,
                keep,
                owner: _,
            } => {
                let known = world.get(key).cloned();
                world.put(Live {
                    key: known
                        .as_ref()
                        .map_or_else(|| Arc::new(key.clone()), |l| Arc::clone(&l.key)),
                    // Unknown to the records: created outside Helm (revision 0).
                    origin: known.as_ref().map_or(Origin::Manifest, |l| l.origin),
                    created_by: known.as_ref().map_or(0, |l| l.created_by),
                    owned: *owned,
                    labelled: *labelled,
                    keep: *keep,
                    certain: true,
                });
            }
        }
    }
}
