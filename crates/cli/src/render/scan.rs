//! Rendering of `scan`: one row per release, then every hazard, most severe first.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_release::Timestamp;

use super::{Grid, write_json};
use crate::args::OutputFormat;
use crate::commands::Ui;
use crate::commands::scan::{ScanHazard, ScanReport};

/// Print the scan in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &ScanReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format == OutputFormat::Json {
        return write_json(ui.out, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let with_context = report.releases.iter().any(|r| r.context.is_some());
    let mut header = vec![
        "NAMESPACE",
        "NAME",
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "STORED",
        "MISSING",
        "HAZARDS",
        "WORST",
    ];
    if with_context {
        header.insert(0, "CONTEXT");
    }
    let mut grid = Grid::new(&header);
    for r in &report.releases {
        let h = &r.hazards;
        let mut cells = vec![
            r.namespace.clone(),
            r.release.clone(),
            r.revision.map(|v| v.to_string()).unwrap_or_default(),
            r.updated
                .as_deref()
                .map(|t| Timestamp::new(t).display_seconds())
                .unwrap_or_default(),
            r.status.clone(),
            r.chart.clone(),
            r.revisions_stored.to_string(),
            r.revisions_missing.to_string(),
            if h.high + h.medium + h.low == 0 {
                "-".to_owned()
            } else {
                format!("{} high, {} medium, {} low", h.high, h.medium, h.low)
            },
            r.worst.clone().unwrap_or_else(|| "-".to_owned()),
        ];
        if with_context {
            cells.insert(0, r.context.clone().unwrap_or_default());
        }
        grid.row(cells);
    }
    let mut text = String::new();
    if md {
        let _ = writeln!(text, "## helm-why scan\n");
    }
    let _ = writeln!(text, "{}", verdict(report));
    if md {
        text.push('\n');
    }
    if report.releases.is_empty() {
        let _ = writeln!(
            text,
            "No release records found in {}.",
            report.sources.join(", ")
        );
    } else {
        text.push_str(&if md {
            grid.to_markdown()
        } else {
            grid.to_table()
        });
    }
    if !report.hazards.is_empty() {
        let _ = writeln!(text, "\n{}Hazards:", if md { "### " } else { "" });
        for h in &report.hazards {
            let _ = writeln!(text, "{}{}", if md { "- " } else { "  " }, hazard_line(h));
        }
    }
    ui.out.write_all(text.as_bytes())?;
    ui.warnings(&report.warnings)
}

/// `3 releases in all namespaces (context prod): 2 high, 1 medium, 0 low hazards.`
fn verdict(report: &ScanReport) -> String {
    let (mut high, mut medium, mut low) = (0, 0, 0);
    for h in &report.hazards {
        match h.hazard.hazard.severity {
            helm_why_diff::Severity::High => high += 1,
            helm_why_diff::Severity::Medium => medium += 1,
            helm_why_diff::Severity::Low => low += 1,
        }
    }
    let n = report.releases.len();
    let checked = match report.objects_checked {
        0 => String::new(),
        1 => "; 1 live object's ownership checked".to_owned(),
        k => format!("; {k} live objects' ownership checked"),
    };
    format!(
        "{n} release{} in {}: {high} high, {medium} medium, {low} low hazard{}{checked}.",
        if n == 1 { "" } else { "s" },
        report.sources.join(", "),
        if high + medium + low == 1 { "" } else { "s" },
    )
}

/// `high [shared-object] shop/web revision 3, ConfigMap shop/x: <message>` (with the context
/// first when there are several).
fn hazard_line(h: &ScanHazard) -> String {
    let rh = &h.hazard;
    let context = h
        .context
        .as_deref()
        .map(|c| format!("{c}: "))
        .unwrap_or_default();
    let revision = rh
        .hazard
        .revision
        .map(|r| format!(" revision {r}"))
        .unwrap_or_default();
    let object = rh
        .hazard
        .object
        .as_ref()
        .map(|k| format!(", {k}"))
        .unwrap_or_default();
    format!(
        "{} [{}] {context}{}/{}{revision}{object}: {}",
        rh.hazard.severity.as_str(),
        rh.hazard.code,
        rh.namespace,
        rh.release,
        rh.hazard.message
    )
}
