//! `helm-why timeline RELEASE`: every object against every revision, then the hazards.

use anyhow::Result;
use helm_why_diff::ops::{Afterwards, Outcome};
use std::collections::BTreeMap;

use helm_why_diff::values::{ValueChange, effective_values, flatten};
use helm_why_diff::{Action, Event, Replay, ReplayIndex, told_elsewhere};
use helm_why_release::parallel::{cores, map_chunks};
use helm_why_release::{History, ResourceKey};
use serde_json::Value;

use super::live::Records;
use super::{Ui, refine_scopes, source_warnings};
use crate::args::{OutputFormat, TimelineArgs};
use crate::config::Config;
use crate::error::exit;
use crate::redact::Redactor;
use crate::report::timeline::{
    Cell, Heading, MAX_VALUE_CHANGES, ObjectTimeline, Postmortem, RevisionDetail, RevisionState,
    Story, TimelineReport,
};
use crate::source::{Request, load, select_release};

/// Summarise one object's events within one step.
pub fn cell(events: &[&Event], present_after: Option<bool>, was_manifest: bool) -> Cell {
    if events.iter().any(|e| e.action == Action::Fail) {
        return Cell::Failed;
    }
    let deleted_earlier = events.iter().any(|e| helm_why_diff::removes(e));
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
/// is linear in the events (2,000 objects × 100 revisions stays interactive). A long or wide
/// history's rows are built on every core, in object order.
pub fn build(replay: &Replay, warnings: Vec<String>) -> TimelineReport {
    let index = replay.index();
    let cells = replay.objects.len() * replay.steps.len();
    let threads = if cells < PARALLEL_CELLS { 1 } else { cores() };
    let objects = map_chunks(&replay.objects, threads, |keys| rows(replay, &index, keys));
    report(replay, objects, warnings)
}

/// The report of `replay` with these rows.
fn report(replay: &Replay, objects: Vec<ObjectTimeline>, warnings: Vec<String>) -> TimelineReport {
    TimelineReport {
        release: replay.release.clone(),
        namespace: replay.namespace.clone(),
        helm_version: replay.profile.version.to_string(),
        revisions: replay
            .steps
            .iter()
            .map(|s| {
                // The record of an uninstalled revision stands for the uninstall.
                let operation = match s.inferred.afterwards {
                    Afterwards::Nothing => s.operation.clone(),
                    Afterwards::Uninstalled | Afterwards::UninstallIncomplete => {
                        "uninstall".to_owned()
                    }
                };
                let unfinished = match s.inferred.outcome {
                    Outcome::Succeeded => None,
                    Outcome::Failed { .. } => Some("failed"),
                    Outcome::Pending => Some("pending"),
                };
                Heading {
                    revision: s.revision,
                    operation,
                    unfinished,
                }
            })
            .collect(),
        objects,
        hazards: replay.hazards.clone(),
        warnings,
        live_source: None,
    }
}

/// Below this many cells a timeline's rows are built on one thread (a thread costs more).
const PARALLEL_CELLS: usize = 20_000;

/// The rows of `keys`, in order.
fn rows(replay: &Replay, index: &ReplayIndex<'_>, keys: &[ResourceKey]) -> Vec<ObjectTimeline> {
    // One buffer for every cell's events: a long timeline has a million cells.
    let mut events: Vec<&Event> = Vec::new();
    keys.iter()
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
                    events.clear();
                    events.extend(here.iter().map(|(_, e)| *e));
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
        .collect()
}

/// Longest value shown, in characters; longer ones end with `…`.
const MAX_VALUE_CHARS: usize = 120;

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
    for (step, heading) in replay.steps.iter().zip(&report.revisions) {
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
            operation: heading.operation.clone(),
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
    let options = super::replay_options(config, &scopes, loaded.cluster.is_some())?;
    let replay = helm_why_diff::replay(history, &options);
    let mut report = build(&replay, warnings);
    let neighbours = super::neighbour_replays(
        config,
        &loaded,
        history,
        &replay.objects,
        args.others,
        &options,
        &mut report.warnings,
    )
    .await?;
    if !neighbours.is_empty() {
        let mut all: Vec<&Replay> = vec![&replay];
        all.extend(&neighbours);
        for row in &mut report.objects {
            row.other_releases = told_elsewhere(&all, &replay, &row.object, &mut row.events);
        }
    }
    if let Some(cluster) = &loaded.cluster {
        let mut all: Vec<&Replay> = vec![&replay];
        all.extend(&neighbours);
        let observations = super::observe(cluster, &replay.objects, &all).await;
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
    // A long history is a table of a million cells: the records and the replays, which the
    // report no longer needs, are freed on another core while it is laid out.
    std::thread::scope(|scope| {
        scope.spawn(move || drop((neighbours, replay, loaded)));
        crate::render::timeline::render(&report, ui)
    })?;
    Ok(exit::OK)
}
