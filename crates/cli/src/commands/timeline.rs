//! `helm-why timeline RELEASE`: every object against every revision, then the hazards.

use anyhow::Result;
use helm_why_diff::ops::Afterwards;
use std::collections::{BTreeMap, BTreeSet};

use helm_why_diff::values::{ValueChange, effective_values, flatten};
use helm_why_diff::{Action, Event, Hazard, ReleaseEvent, Replay, done_elsewhere};
use helm_why_release::{History, ResourceKey};
use serde::Serialize;
use serde_json::Value;

use super::live::{Observed, Records};
use super::{Ui, refine_scopes, source_warnings};
use crate::args::{OutputFormat, TimelineArgs};
use crate::commands::explain::replay_with_scopes;
use crate::config::Config;
use crate::error::exit;
use crate::redact::Redactor;
use crate::source::{Request, load, select_release};

/// What happened to one object at one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cell {
    /// Created from the manifest.
    Created,
    /// Deleted and created again in the same operation.
    Recreated,
    /// Patched.
    Patched,
    /// Applied without change.
    Unchanged,
    /// Adopted and patched.
    Adopted,
    /// Deleted by Helm.
    Deleted,
    /// Created by a hook after being a tracked object (deleted-then-recreated-by-hook family).
    RecreatedByHook,
    /// Created by a hook.
    Hook,
    /// Kept by `helm.sh/resource-policy: keep`.
    Kept,
    /// Left untracked.
    Orphaned,
    /// Helm failed on it.
    Failed,
    /// Exists, nothing done.
    Present,
    /// Does not exist.
    Absent,
    /// Unknown (history pruned).
    Unknown,
}

impl Cell {
    /// Table text.
    pub fn as_str(self) -> &'static str {
        match self {
            Cell::Created => "created",
            Cell::Recreated => "recreated",
            Cell::Patched => "patched",
            Cell::Unchanged => "unchanged",
            Cell::Adopted => "adopted",
            Cell::Deleted => "deleted",
            Cell::RecreatedByHook => "recreated-by-hook",
            Cell::Hook => "hook",
            Cell::Kept => "kept",
            Cell::Orphaned => "orphaned",
            Cell::Failed => "failed",
            Cell::Present => "present",
            Cell::Absent => "-",
            Cell::Unknown => "?",
        }
    }
}

/// One object's row.
#[derive(Debug, Serialize)]
pub struct ObjectTimeline {
    /// The object.
    pub object: ResourceKey,
    /// One state per revision, in step order.
    pub timeline: Vec<RevisionState>,
    /// Everything Helm did to it.
    pub events: Vec<Event>,
    /// Expected to exist now (`null`: unknown).
    pub expected_present: Option<bool>,
    /// The live object and how it compares with the records; only when the records come
    /// from a cluster (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
    /// What other releases of the namespace did to it that this release's records cannot
    /// show (absent from the JSON when nothing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_releases: Vec<ReleaseEvent>,
}

impl ObjectTimeline {
    /// Whether anything happened to it after its creation (patched, deleted, hooked, kept,
    /// failed, unknown…): the rows the HTML page shows and the Markdown diagram draws.
    pub fn changed_after_creation(&self) -> bool {
        self.timeline
            .iter()
            .enumerate()
            .any(|(i, s)| match s.state {
                Cell::Unchanged | Cell::Present | Cell::Absent => false,
                Cell::Created => i > 0,
                _ => true,
            })
    }
}

/// The state of an object at one revision.
#[derive(Debug, Serialize)]
pub struct RevisionState {
    /// Revision.
    pub revision: u64,
    /// What happened.
    pub state: Cell,
}

/// The `timeline` report.
#[derive(Debug, Serialize)]
pub struct TimelineReport {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// The rules used.
    pub helm_version: String,
    /// Revisions, in order, with their operation.
    pub revisions: Vec<(u64, String)>,
    /// One row per object ever seen.
    pub objects: Vec<ObjectTimeline>,
    /// Hazards found in the history.
    pub hazards: Vec<Hazard>,
    /// Problems with the input.
    pub warnings: Vec<String>,
    /// Where the live objects were looked at (`context test`); `None` reading files.
    #[serde(skip)]
    pub live_source: Option<String>,
}

/// Summarise one object's events within one step.
pub fn cell(events: &[&Event], present_after: Option<bool>, was_manifest: bool) -> Cell {
    if events.iter().any(|e| e.action == Action::Fail) {
        return Cell::Failed;
    }
    let deleted_earlier = events
        .iter()
        .any(|e| matches!(e.action, Action::Delete | Action::HookDelete));
    match events.iter().rev().find(|e| e.action != Action::Orphan) {
        Some(e) => match e.action {
            Action::Create if deleted_earlier => Cell::Recreated,
            Action::Create => Cell::Created,
            Action::Patch if events.iter().any(|e| e.action == Action::Adopt) => Cell::Adopted,
            Action::Patch => Cell::Patched,
            Action::Unchanged => Cell::Unchanged,
            Action::Adopt => Cell::Adopted,
            Action::Delete | Action::HookDelete => Cell::Deleted,
            Action::HookCreate if was_manifest => Cell::RecreatedByHook,
            Action::HookCreate => Cell::Hook,
            Action::Keep => Cell::Kept,
            Action::Unknown => Cell::Unknown,
            Action::Fail => Cell::Failed,
            Action::Orphan => Cell::Orphaned,
        },
        None if events.iter().any(|e| e.action == Action::Orphan) => Cell::Orphaned,
        None => match present_after {
            Some(true) => Cell::Present,
            Some(false) => Cell::Absent,
            None => Cell::Unknown,
        },
    }
}

/// Build the report. Events and presence come from [`Replay::index`], built once, so the cost
/// is linear in the events (2,000 objects × 100 revisions stays interactive).
pub fn build(replay: &Replay, warnings: Vec<String>) -> TimelineReport {
    let index = replay.index();
    let objects = replay
        .objects
        .iter()
        .map(|key| {
            let all = index.events(key);
            let presence = index.presence(key);
            let mut was_manifest = false;
            // The object's events are in step order: walk them alongside the steps.
            let mut rest = all;
            let timeline = replay
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    let n = rest.iter().take_while(|(s, _)| *s == i).count();
                    let (here, later) = rest.split_at(n);
                    rest = later;
                    let events: Vec<&Event> = here.iter().map(|(_, e)| *e).collect();
                    let present = presence.get(i).copied().unwrap_or(Some(false));
                    let state = cell(&events, present, was_manifest);
                    if events.iter().any(|e| {
                        matches!(
                            e.action,
                            Action::Create | Action::Patch | Action::Unchanged | Action::Adopt
                        )
                    }) {
                        was_manifest = true;
                    }
                    RevisionState {
                        revision: step.revision,
                        state,
                    }
                })
                .collect();
            ObjectTimeline {
                object: key.clone(),
                timeline,
                events: all.iter().map(|(_, e)| (*e).clone()).collect(),
                expected_present: index.expected_present(key),
                observed: None,
                other_releases: Vec::new(),
            }
        })
        .collect();
    TimelineReport {
        release: replay.release.clone(),
        namespace: replay.namespace.clone(),
        helm_version: replay.profile.version.to_string(),
        revisions: replay
            .steps
            .iter()
            .map(|s| {
                // The record of an uninstalled revision stands for the uninstall.
                let op = match s.inferred.afterwards {
                    Afterwards::Nothing => s.operation.clone(),
                    Afterwards::Uninstalled | Afterwards::UninstallIncomplete => {
                        "uninstall".to_owned()
                    }
                };
                (s.revision, op)
            })
            .collect(),
        objects,
        hazards: replay.hazards.clone(),
        warnings,
        live_source: None,
    }
}

/// One revision as the HTML page shows it, from its record.
#[derive(Debug, Clone)]
pub struct RevisionDetail {
    /// Revision.
    pub revision: u64,
    /// The operation, as the timeline's column says it.
    pub operation: String,
    /// Stored status (`deployed`, `failed`, `pending-upgrade`, …).
    pub status: String,
    /// `chart-version`.
    pub chart: String,
    /// `appVersion`.
    pub app_version: String,
    /// Helm's description.
    pub description: String,
    /// When the operation started (RFC 3339), as stored.
    pub started: Option<String>,
    /// The stored revision the values are compared with (`None`: the first one).
    pub compared_with: Option<u64>,
    /// Values (chart defaults merged with the user's) that changed, redacted unless
    /// `--show-secrets`; at most [`MAX_VALUE_CHANGES`].
    pub values_changed: Vec<ValueChange>,
    /// How many more changed and are not listed.
    pub values_omitted: usize,
    /// The replay's remarks on this revision (interrupted hooks, the base it diffed against…).
    pub notes: Vec<String>,
}

/// How many changed values one revision lists; the page says how many more there are.
pub const MAX_VALUE_CHANGES: usize = 50;

/// Longest value shown, in characters; longer ones end with `…`.
const MAX_VALUE_CHARS: usize = 120;

/// What the HTML page adds to the timeline: each revision's record, each object's story.
#[derive(Debug)]
pub struct Postmortem {
    /// One per replayed revision, in order.
    pub revisions: Vec<RevisionDetail>,
    /// Revisions with no record (pruned or deleted).
    pub missing: Vec<helm_why_release::history::RevisionRange>,
    /// One per row of the timeline, in the same order.
    pub stories: Vec<Story>,
}

/// What an object's story adds to its events: the `explain` summary. (The replay's notes
/// are about revisions, and go with them.)
#[derive(Debug)]
pub struct Story {
    /// One sentence on its state now.
    pub summary: String,
}

/// Gather what the HTML page shows beyond the timeline. Values are redacted with the
/// project's redaction unless `show_secrets`.
pub fn postmortem(
    history: &History,
    replay: &Replay,
    report: &TimelineReport,
    show_secrets: bool,
) -> Postmortem {
    // Per revision: the values as stored (compared) and as shown (redacted).
    let redactor = Redactor::for_releases(history.revisions.iter().map(|r| &r.release));
    let mut previous: Option<(u64, Flat, Flat)> = None;
    let mut revisions = Vec::with_capacity(replay.steps.len());
    for (step, (_, operation)) in replay.steps.iter().zip(&report.revisions) {
        let Some(record) = history.revision(step.revision) else {
            continue;
        };
        let release = &record.release;
        let values = effective_values(release);
        let raw = flatten(&values);
        let shown = if show_secrets {
            raw.clone()
        } else {
            let mut redacted = values;
            redactor.values(&mut redacted);
            flatten(&redacted)
        };
        let (compared_with, changes) = match &previous {
            // A secret that changed is listed, with both sides redacted.
            Some((rev, raw_before, shown_before)) => (
                Some(*rev),
                value_changes((raw_before, shown_before), (&raw, &shown)),
            ),
            None => (None, Vec::new()),
        };
        let values_omitted = changes.len().saturating_sub(MAX_VALUE_CHANGES);
        revisions.push(RevisionDetail {
            revision: step.revision,
            operation: operation.clone(),
            status: step.status.clone(),
            chart: release.chart_label(),
            app_version: release.chart.metadata.app_version.clone(),
            description: step.description.clone(),
            started: step.started.clone(),
            compared_with,
            values_changed: changes.into_iter().take(MAX_VALUE_CHANGES).collect(),
            values_omitted,
            notes: step.notes.clone(),
        });
        previous = Some((step.revision, raw, shown));
    }
    let stories = report
        .objects
        .iter()
        .map(|row| Story {
            summary: super::explain::summary(
                replay,
                &row.object,
                &row.events,
                row.expected_present,
            ),
        })
        .collect();
    Postmortem {
        revisions,
        missing: replay.missing.clone(),
        stories,
    }
}

/// A flattened values tree: `a.b.c` → value.
type Flat = BTreeMap<String, Value>;

/// The leaves that differ between two flattened values trees (compared as stored, shown
/// from the second of each pair).
fn value_changes(before: (&Flat, &Flat), after: (&Flat, &Flat)) -> Vec<ValueChange> {
    let show = |v: Option<&Value>| {
        v.map(|v| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match text.char_indices().nth(MAX_VALUE_CHARS) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            }
        })
    };
    let paths: std::collections::BTreeSet<&String> =
        before.0.keys().chain(after.0.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.0.get(*p) != after.0.get(*p))
        .map(|p| ValueChange {
            path: p.clone(),
            before: show(before.1.get(p)),
            after: show(after.1.get(p)),
        })
        .collect()
}

/// Run `timeline`.
///
/// # Errors
/// Source errors, unknown release.
pub async fn run(args: &TimelineArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release(&loaded, &args.release, config.namespace_filter.as_deref())?;
    let mut warnings = source_warnings(&loaded);
    warnings.extend(history.findings.iter().map(ToString::to_string));
    let scopes = refine_scopes(&loaded, history, config, &mut warnings).await;
    let replay = replay_with_scopes(history, config, &scopes, loaded.cluster.is_some())?;
    let mut report = build(&replay, warnings);
    let names: BTreeSet<&str> = replay.objects.iter().map(|k| k.name.as_str()).collect();
    let options = super::replay_options(config, &scopes, loaded.cluster.is_some())?;
    let neighbours = super::neighbour_replays(config, history, &names, &options).await?;
    if !neighbours.is_empty() {
        let mut all: Vec<&Replay> = vec![&replay];
        all.extend(&neighbours);
        for row in &mut report.objects {
            row.other_releases = done_elsewhere(&all, &replay, &row.object);
        }
    }
    if let Some(cluster) = &loaded.cluster {
        let observations = cluster.observe(&replay.objects).await;
        let mut records = Records::new(&replay, history, &scopes);
        for (row, observation) in report.objects.iter_mut().zip(&observations) {
            let mut observed = records.compare(&row.object, observation);
            super::live::attribute(&mut observed, &row.other_releases);
            row.observed = Some(observed);
        }
        report.live_source = Some(cluster.source().to_owned());
    }
    if ui.format == OutputFormat::Html {
        let extra = postmortem(history, &replay, &report, config.show_secrets);
        crate::render::html::write_timeline(ui.out, &report, &extra)?;
        return ui.warnings(&report.warnings).map(|()| exit::OK);
    }
    // A long history is a table of a million cells: lay it out without the records and
    // the replays, which the report no longer needs.
    drop((neighbours, replay, loaded));
    crate::render::timeline::render(&report, ui)?;
    Ok(exit::OK)
}
