//! Rendering of `scan`: the verdict, one row per release, then every hazard, most severe
//! first.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_release::Timestamp;

use super::{Grid, write_data, write_named_hazards};
use crate::args::OutputFormat;
use crate::report::scan::ScanReport;
use crate::ui::Ui;

/// Print the scan in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &ScanReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
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
    let shift = usize::from(with_context);
    let mut grid = Grid::new(&header);
    grid.toned = vec![4 + shift];
    // Dropped first on a narrow terminal: the counts of records, then when and which chart.
    grid.optional = vec![7 + shift, 6 + shift, 3 + shift, 5 + shift];
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
                format!("{}/{}/{}", h.high, h.medium, h.low)
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
            grid.render(&ui.layout, &ui.paint)
        });
        let _ = writeln!(text, "(HAZARDS: high/medium/low)");
    }
    if !report.hazards.is_empty() {
        let labels: Vec<String> = report
            .hazards
            .iter()
            .map(|h| {
                let rel = format!("{}/{}", h.hazard.namespace, h.hazard.release);
                match &h.context {
                    Some(c) => format!("{rel} (context {c})"),
                    None => rel,
                }
            })
            .collect();
        let named: Vec<(&str, &helm_why_diff::Hazard)> = labels
            .iter()
            .map(String::as_str)
            .zip(report.hazards.iter().map(|h| &h.hazard.hazard))
            .collect();
        write_named_hazards(&mut text, &named, None, md, ui);
    }
    ui.out.write_all(text.as_bytes())?;
    ui.warnings(&report.warnings)
}

/// `Verdict: 6 releases in 1 file; 4 high hazards.`
fn verdict(report: &ScanReport) -> String {
    let counts = super::severity_counts(report.hazards.iter().map(|h| h.hazard.hazard.severity));
    let n = report.releases.len();
    let found = if report.hazards.is_empty() {
        "no hazards found".to_owned()
    } else {
        format!("{} (listed below)", counts.join(", "))
    };
    let checked = match report.objects_checked {
        0 => String::new(),
        1 => "; 1 live object's ownership checked".to_owned(),
        k => format!("; {k} live objects' ownership checked"),
    };
    format!(
        "Verdict: {n} release{} in {}: {found}{checked}.",
        if n == 1 { "" } else { "s" },
        report.sources.join(", "),
    )
}
