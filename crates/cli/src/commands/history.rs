//! `helm-why history RELEASE`: one row per revision, with what changed against the previous one.

use anyhow::Result;
use helm_why_diff::{Hazard, ObjectChanges, RevisionView, empty_manifest};
use helm_why_release::RecordFormat;
use helm_why_release::{History, ResourceKey};
use serde::Serialize;

use super::{Ui, source_warnings};
use crate::args::HistoryArgs;
use crate::config::Config;
use crate::error::exit;
use crate::source::{Request, load, select_release_any};

/// One revision row. Undecodable revisions are rows too; missing ones are listed apart.
#[derive(Debug, Serialize)]
pub struct RevisionRow {
    /// Revision number.
    pub revision: u64,
    /// Stored status, or `undecodable` for a record that could not be decoded.
    pub status: String,
    /// `last_deployed` as stored (RFC 3339).
    pub updated: Option<String>,
    /// `chart-version`.
    pub chart: String,
    /// `appVersion`.
    pub app_version: String,
    /// Helm's description, or what is wrong with the record.
    pub description: String,
    /// Number of tracked manifest objects.
    pub objects: usize,
    /// Number of hooks.
    pub hooks: usize,
    /// Objects added since the previous stored revision.
    pub added: Vec<ResourceKey>,
    /// Objects removed since the previous stored revision.
    pub removed: Vec<ResourceKey>,
    /// Objects whose document changed since the previous stored revision.
    pub changed: Vec<ResourceKey>,
    /// The revision the change is counted against (the previous one stored; may be earlier
    /// than `revision - 1` across a gap); `None` for the first one.
    pub compared_with: Option<u64>,
    /// Where the record used is stored: `secret`, `configmap`, `sql`, `raw`, or Helm 2's
    /// `tiller-configmap`, `tiller-secret`; empty for undecodable rows.
    pub storage: String,
    /// Tiller stores this revision too: helm 2to3 converted it (the Helm 3 copy is used).
    pub migrated: bool,
}

/// The `history` report (JSON contract in docs/json.md).
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Rows, by revision.
    pub revisions: Vec<RevisionRow>,
    /// Revisions with no record (pruned or deleted), at most [`MAX_LISTED_MISSING`] of them
    /// (the rest are counted in a warning: a corrupt record can claim revision 2^64 - 1).
    pub missing_revisions: Vec<u64>,
    /// The same, as ranges (for the table).
    #[serde(skip)]
    pub missing_ranges: Vec<helm_why_release::history::RevisionRange>,
    /// Hazards visible revision to revision (`empty-manifest`: a revision that tracks
    /// nothing after one that tracked objects).
    pub hazards: Vec<Hazard>,
    /// Findings about the records.
    pub warnings: Vec<String>,
}

/// How many missing revision numbers JSON lists one by one.
pub const MAX_LISTED_MISSING: usize = 10_000;

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
                added: view.objects.iter().map(|o| o.key.clone()).collect(),
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
