//! Rendering of `history`.

use anyhow::Result;
use helm_why_release::Timestamp;

use super::{Grid, HazardContext, write_data};
use crate::args::OutputFormat;
use crate::report::history::{HistoryReport, RevisionRow};
use crate::ui::Ui;

/// `+2 -1 ~3`, `initial` for the first revision, `-` for placeholder rows.
pub fn change_summary(row: &RevisionRow) -> String {
    if row.status == "undecodable" {
        return "-".to_owned();
    }
    let Some(previous) = row.compared_with else {
        // Only revision 1 is an initial install; a first stored revision after pruning is not.
        let what = if row.revision <= 1 {
            "initial"
        } else {
            "first stored"
        };
        return format!("+{} ({what})", row.added.len());
    };
    let mut parts = Vec::new();
    if !row.added.is_empty() {
        parts.push(format!("+{}", row.added.len()));
    }
    if !row.removed.is_empty() {
        parts.push(format!("-{}", row.removed.len()));
    }
    if !row.changed.is_empty() {
        parts.push(format!("~{}", row.changed.len()));
    }
    let summary = if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(" ")
    };
    // Across a gap the change is counted against an older revision: say which.
    if previous + 1 == row.revision {
        summary
    } else {
        format!("{summary} (vs {previous})")
    }
}

/// Print the history in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &HistoryReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    // Storage is shown where Helm 2 is involved: Tiller's records, or a 2to3 conversion.
    let storage = report
        .revisions
        .iter()
        .any(|r| r.migrated || r.storage.starts_with("tiller"));
    let mut header = vec![
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
        "OBJECTS",
        "HOOKS",
        "CHANGE",
    ];
    if storage {
        header.push("STORAGE");
    }
    header.push("DESCRIPTION");
    let mut grid = Grid::new(&header);
    let column = |name: &str| header.iter().position(|h| *h == name);
    grid.notes = column("DESCRIPTION");
    grid.toned = column("STATUS").into_iter().collect();
    grid.optional = ["HOOKS", "OBJECTS", "APP VERSION"]
        .into_iter()
        .filter_map(column)
        .collect();
    let placeholder = |row: &RevisionRow| row.status == "undecodable";
    // Missing revisions come in runs (pruning removes the oldest): one row per run.
    let mut gaps = report
        .missing_ranges
        .iter()
        .map(|r| (r.first, r.last))
        .collect::<Vec<_>>()
        .into_iter()
        .peekable();
    for row in &report.revisions {
        while let Some((first, last)) = gaps.next_if(|(first, _)| *first < row.revision) {
            grid.row(gap_row(first, last, storage));
        }
        let count = |n: usize| {
            if placeholder(row) {
                "-".to_owned()
            } else {
                n.to_string()
            }
        };
        let mut cells = vec![
            row.revision.to_string(),
            row.updated
                .as_deref()
                .map(|t| Timestamp::new(t).display_seconds())
                .unwrap_or_else(|| "-".to_owned()),
            row.status.clone(),
            if row.chart.is_empty() {
                "-".into()
            } else {
                row.chart.clone()
            },
            if row.app_version.is_empty() {
                "-".into()
            } else {
                row.app_version.clone()
            },
            count(row.objects),
            count(row.hooks),
            change_summary(row),
        ];
        if storage {
            cells.push(match (row.storage.as_str(), row.migrated) {
                ("", _) => "-".to_owned(),
                (s, true) => format!("{s} (2to3)"),
                (s, false) => s.to_owned(),
            });
        }
        cells.push(row.description.clone());
        grid.row(cells);
    }
    for (first, last) in gaps {
        grid.row(gap_row(first, last, storage));
    }
    let md = ui.format == OutputFormat::Markdown;
    let mut text = if md {
        format!(
            "## Release `{}` in namespace `{}`\n\n{}",
            report.release,
            report.namespace,
            grid.to_markdown()
        )
    } else {
        grid.render(&ui.layout, &ui.paint)
    };
    if !report.hazards.is_empty() {
        let context = HazardContext {
            release: &report.release,
            revision: None,
        };
        super::write_hazards(&mut text, &report.hazards, &context, md, ui);
    }
    ui.out.write_all(text.as_bytes())?;
    ui.warnings(&report.warnings)
}

fn gap_row(first: u64, last: u64, storage: bool) -> Vec<String> {
    let label = if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    };
    let mut row = vec![label, "-".into(), "missing".into()];
    row.extend(std::iter::repeat_n(
        "-".to_owned(),
        if storage { 6 } else { 5 },
    ));
    row.push("no record: pruned by --history-max or deleted".into());
    row
}
