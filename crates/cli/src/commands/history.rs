//! `helm-why history RELEASE`: one row per revision, with what changed against the previous one.

use anyhow::Result;
use helm_why_diff::{ObjectChanges, RevisionView, empty_manifest};
use helm_why_release::History;
use helm_why_release::RecordFormat;

use super::{Ui, source_warnings};
use crate::args::HistoryArgs;
use crate::config::Config;
use crate::error::exit;
use crate::report::history::{HistoryReport, MAX_LISTED_MISSING, RevisionRow};
use crate::source::{Request, load, select_release_any};

/// Build the report of one history.
pub fn build(history: &History, config: &Config, mut warnings: Vec<String>) -> HistoryReport {
    let views: Vec<RevisionView<'_>> =
        RevisionView::parse_records(&history.revisions, &config.scopes);
    let mut rows = Vec::new();
    let mut hazards = Vec::new();
    for (i, (view, record)) in views.iter().zip(&history.revisions).enumerate() {
        let r = view.release;
        let previous = i.checked_sub(1).and_then(|p| views.get(p));
        if let Some(p) = previous {
            hazards.extend(empty_manifest(r.version, p, view, false));
        }
        let changes = previous
            .map(|p| ObjectChanges::between(p, view))
            .unwrap_or_else(|| ObjectChanges {
                added: view.objects.iter().map(|o| (*o.key).clone()).collect(),
                ..ObjectChanges::default()
            });
        for problem in &view.problems {
            warnings.push(format!(
                "revision {}: document {} ({}) could not be parsed: {}",
                r.version,
                problem.index,
                problem.source.as_deref().unwrap_or("no source"),
                problem.detail
            ));
        }
        rows.push(RevisionRow {
            revision: r.version,
            status: r.info.status.to_string(),
            updated: r.info.last_deployed.as_ref().map(|t| t.to_string()),
            chart: r.chart_label(),
            app_version: r.chart.metadata.app_version.clone(),
            description: r.info.description.clone(),
            objects: view.objects.len(),
            hooks: view.hooks.len(),
            added: changes.added,
            removed: changes.removed,
            changed: changes.changed,
            compared_with: previous.map(RevisionView::revision),
            storage: storage(record),
            migrated: history.migrated(r.version),
        });
    }
    for (rev, err) in &history.undecodable {
        if let Some(rev) = rev {
            rows.push(placeholder(
                *rev,
                "undecodable",
                format!("{}: {}", err.layer, err.detail),
            ));
        }
    }
    rows.sort_by_key(|r| r.revision);
    warnings.extend(history.findings.iter().map(ToString::to_string));
    let missing = helm_why_release::history::count(&history.missing);
    if missing > MAX_LISTED_MISSING as u64 {
        warnings.push(format!(
            "{missing} revisions are missing; missing_revisions lists the first {MAX_LISTED_MISSING}"
        ));
    }
    HistoryReport {
        release: history.id.name.clone(),
        namespace: history.id.namespace.clone(),
        revisions: rows,
        missing_revisions: history
            .missing
            .iter()
            .flat_map(|m| m.first..=m.last)
            .take(MAX_LISTED_MISSING)
            .collect(),
        missing_ranges: history.missing.clone(),
        hazards,
        warnings,
    }
}

/// `--max N`: only the newest `max` rows, as `helm history --max`; missing revisions and
/// hazards older than the oldest row shown go with them.
pub fn keep_newest(report: &mut HistoryReport, max: u64) {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let drop = report.revisions.len().saturating_sub(max);
    report.revisions.drain(..drop);
    let Some(oldest) = report.revisions.first().map(|r| r.revision) else {
        return;
    };
    report.missing_revisions.retain(|r| *r > oldest);
    report.missing_ranges.retain(|m| m.last > oldest);
    for m in &mut report.missing_ranges {
        m.first = m.first.max(oldest + 1);
    }
    report
        .hazards
        .retain(|h| h.revision.is_none_or(|r| r >= oldest));
}

/// Where a record is stored, as `RevisionRow::storage` names it.
fn storage(record: &helm_why_release::Record) -> String {
    match record.meta.format {
        RecordFormat::HelmV1Json => record.meta.driver.as_str().to_owned(),
        RecordFormat::TillerProtobuf => format!("tiller-{}", record.meta.driver.as_str()),
    }
}

fn placeholder(revision: u64, status: &str, description: String) -> RevisionRow {
    RevisionRow {
        revision,
        status: status.to_owned(),
        updated: None,
        chart: String::new(),
        app_version: String::new(),
        description,
        objects: 0,
        hooks: 0,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        compared_with: None,
        storage: String::new(),
        migrated: false,
    }
}

/// Run `history`.
///
/// # Errors
/// Source errors, unknown release.
pub async fn run(args: &HistoryArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release_any(&loaded, &args.release, config.namespace_filter.as_deref())?;
    let mut warnings = source_warnings(&loaded);
    let scopes = super::refine_scopes(&loaded, history, config, &mut warnings).await;
    let config = Config {
        scopes,
        ..config.clone()
    };
    let mut report = build(history, &config, warnings);
    if let Some(max) = args.max {
        keep_newest(&mut report, max);
    }
    crate::render::history::render(&report, ui)?;
    Ok(exit::OK)
}
