//! Rendering of `who`: the releases that rendered an object, then its story across them.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_release::Timestamp;

use super::{Grid, write_data};
use crate::args::OutputFormat;
use crate::report::who::WhoReport;
use crate::ui::Ui;

/// Print the report in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &WhoReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let width = if md { None } else { ui.layout.wrap_width() };
    let mut text = String::new();
    if md {
        let _ = writeln!(text, "## {}\n", report.object);
    } else {
        let _ = writeln!(text, "{}", report.object);
    }
    text.push_str(&super::layout::wrap("", &report.summary, 0, width));
    text.push('\n');
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
    grid.optional = vec![2];
    text.push_str(&if md {
        grid.to_markdown()
    } else {
        grid.render(&ui.layout, &ui.paint)
    });
    let _ = writeln!(text, "\n{}Story:", if md { "### " } else { "" });
    for e in &report.events {
        let when = e
            .when
            .as_deref()
            .map(|t| Timestamp::new(t).display_seconds())
            .unwrap_or_else(|| "(no time)".to_owned());
        let line = format!(
            "{when}  {}/{} revision {} ({}, {}): {} — {}",
            e.namespace,
            e.release,
            e.event.revision,
            e.event.operation,
            e.event.phase.as_str(),
            e.event.action.as_str(),
            e.event.message
        );
        text.push_str(&super::layout::wrap(
            if md { "- " } else { "  " },
            &line,
            4,
            width,
        ));
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
