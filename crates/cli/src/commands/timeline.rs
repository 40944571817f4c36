//! `helm-why timeline RELEASE`: every object against every revision, then the hazards.

use anyhow::Result;
use helm_why_diff::ops::Afterwards;
use helm_why_diff::{Action, Event, Hazard, Replay};
use helm_why_release::ResourceKey;
use serde::Serialize;

use super::live::{Observed, Records};
use super::{Ui, refine_scopes, source_warnings};
use crate::args::TimelineArgs;
use crate::commands::explain::replay_with_scopes;
use crate::config::Config;
use crate::error::exit;
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

/// Build the report.
pub fn build(replay: &Replay, warnings: Vec<String>) -> TimelineReport {
    let index = replay.index();
    let objects = replay
        .objects
        .iter()
        .map(|key| {
            let all = index.events(key);
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
                    let state = cell(&events, index.present_after(key, i), was_manifest);
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
    if let Some(cluster) = &loaded.cluster {
        let observations = cluster.observe(&replay.objects).await;
        let mut records = Records::new(&replay, history, &scopes);
        for (row, observation) in report.objects.iter_mut().zip(&observations) {
            row.observed = Some(records.compare(&row.object, observation));
        }
        report.live_source = Some(cluster.source().to_owned());
    }
    crate::render::timeline::render(&report, ui)?;
    Ok(exit::OK)
}
