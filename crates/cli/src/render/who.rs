//! Rendering of `who`: the releases that rendered an object, then its story across them.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_release::Timestamp;

use super::{Grid, write_json};
use crate::args::OutputFormat;
use crate::commands::Ui;
use crate::commands::who::WhoReport;

/// Print the report in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &WhoReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format == OutputFormat::Json {
        return write_json(ui.out, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let mut text = String::new();
    if md {
        let _ = writeln!(text, "## {}\n", report.object);
    } else {
        let _ = writeln!(text, "{}", report.object);
    }
    let _ = writeln!(text, "{}\n", report.summary);
    let mut grid = Grid::new(&[
        "NAMESPACE",
        "RELEASE",
        "REVISIONS",
        "WHAT IT DID",
        "TRACKS IT NOW",
    ]);
    for r in &report.releases {
        let done = r
            .revisions
            .iter()
            .zip(&r.actions)
            .map(|(rev, what)| format!("{rev}: {what}"))
            .collect::<Vec<_>>()
            .join("; ");
        grid.row(vec![
            r.namespace.clone(),
            r.release.clone(),
            r.revisions.len().to_string(),
            done,
            r.tracks_now
                .map_or("-".to_owned(), |rev| format!("revision {rev}")),
        ]);
    }
    text.push_str(&if md {
        grid.to_markdown()
    } else {
        grid.to_table()
    });
    let _ = writeln!(text, "\n{}Story:", if md { "### " } else { "" });
    for e in &report.events {
        let when = e
            .when
            .as_deref()
            .map(|t| Timestamp::new(t).display_seconds())
            .unwrap_or_else(|| "(no time)".to_owned());
        let _ = writeln!(
            text,
            "{}{when}  {}/{} revision {} ({}, {}): {} — {}",
            if md { "- " } else { "  " },
            e.namespace,
            e.release,
            e.event.revision,
            e.event.operation,
            e.event.phase.as_str(),
            e.event.action.as_str(),
            e.event.message
        );
    }
    if let Some(live) = &report.live {
        let _ = writeln!(
            text,
            "\n{}Live ({}):",
            if md { "### " } else { "" },
            live.source
        );
        let detail = match live.status.as_str() {
            "present" => format!(
                "present, uid {}, created {}, owner annotations: {}",
                live.uid.as_deref().unwrap_or("?"),
                live.created
                    .as_deref()
                    .map(|t| Timestamp::new(t).display_seconds())
                    .unwrap_or_else(|| "?".to_owned()),
                live.owner.as_deref().unwrap_or("none")
            ),
            "absent" => "absent".to_owned(),
            _ => format!("unknown: {}", live.reason.as_deref().unwrap_or("")),
        };
        let _ = writeln!(text, "{}{detail}", if md { "- " } else { "  " });
    }
    ui.out.write_all(text.as_bytes())?;
    ui.warnings(&report.warnings)
}
