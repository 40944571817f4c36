//! Rendering of `timeline`: objects × revisions, then hazards.

use std::borrow::Cow;
use std::fmt::Write as _;

use anyhow::Result;

use super::{Grid, HazardContext, write_data};
use crate::args::OutputFormat;
use crate::report::live::LiveStatus;
use crate::report::timeline::{Heading, TimelineReport};
use crate::ui::Ui;

/// Print the timeline in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &TimelineReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let mut header = vec!["OBJECT".to_owned()];
    header.extend(report.revisions.iter().map(Heading::label));
    if report.live_source.is_some() {
        header.push("LIVE".to_owned());
    }
    let revisions = report.revisions.len();
    let mut grid = Grid {
        // The oldest revisions give way first; the last one and the objects stay.
        optional: (1..revisions).collect(),
        toned: (1..header.len()).collect(),
        header,
        ..Grid::default()
    };
    for o in &report.objects {
        let mut row: Vec<Cow<'static, str>> = Vec::with_capacity(o.timeline.len() + 2);
        row.push(format!("{}/{}", o.object.kind_with_group(), o.object.name).into());
        row.extend(o.timeline.iter().map(|c| Cow::Borrowed(c.state.as_str())));
        if report.live_source.is_some() {
            let live = match o.observed.as_ref().map(|l| l.status) {
                Some(LiveStatus::Present) => "exists",
                Some(LiveStatus::Absent) => "missing",
                Some(LiveStatus::Unknown) | None => "?",
            };
            row.push(Cow::Borrowed(live));
        }
        grid.row_of(row);
    }
    let md = ui.format == OutputFormat::Markdown;
    let verdict = super::verdict(&report.hazards, md, &ui.paint);
    let mut out = if md {
        format!(
            "## Release `{}` in namespace `{}` (Helm {} rules)\n\n{verdict}\n{}",
            report.release,
            report.namespace,
            report.helm_version,
            grid.to_markdown()
        )
    } else {
        let mut out = format!("{verdict}\n");
        grid.render_into(&mut out, &ui.layout, &ui.paint);
        out
    };
    if let Some(source) = &report.live_source {
        let lines: Vec<String> = report
            .objects
            .iter()
            .flat_map(|o| {
                let name = format!("{}/{}", o.object.kind_with_group(), o.object.name);
                o.observed
                    .iter()
                    .flat_map(|l| l.disagreements())
                    .map(move |c| match c.agrees {
                        Some(false) => format!("{name}: differs: {}", c.message),
                        _ => format!("{name}: {}", c.message),
                    })
            })
            .collect();
        if lines.is_empty() {
            let _ = writeln!(
                out,
                "\nLive ({source}): the cluster agrees with the records."
            );
        } else {
            let _ = writeln!(out, "\n{}Live ({source}):", if md { "### " } else { "" });
            let width = if md { None } else { ui.layout.wrap_width() };
            for line in lines {
                out.push_str(&super::layout::wrap(
                    if md { "- " } else { "  " },
                    &line,
                    4,
                    width,
                ));
            }
        }
    }
    let elsewhere: Vec<String> = report
        .objects
        .iter()
        .flat_map(|o| {
            let name = format!("{}/{}", o.object.kind_with_group(), o.object.name);
            o.other_releases
                .iter()
                .map(move |e| format!("{name}: {}", helm_why_diff::describe_elsewhere(e)))
        })
        .collect();
    if !elsewhere.is_empty() {
        let _ = writeln!(out, "\n{}Other releases:", if md { "### " } else { "" });
        for line in elsewhere {
            let first = if md { "- " } else { "  " };
            let width = if md { None } else { ui.layout.wrap_width() };
            out.push_str(&super::layout::wrap(first, &line, 4, width));
        }
    }
    if !report.hazards.is_empty() {
        let context = HazardContext {
            release: &report.release,
            revision: None,
        };
        super::write_hazards(&mut out, &report.hazards, &context, md, ui);
    }
    if md {
        let diagram = super::mermaid::timeline(report);
        if !diagram.is_empty() {
            let _ = write!(out, "\n### Diagram\n\n{diagram}");
        }
    }
    ui.out.write_all(out.as_bytes())?;
    ui.warnings(&report.warnings)
}
