//! Rendering of `explain`: short sentences, grouped by revision.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_release::Timestamp;

use super::write_json;
use crate::args::OutputFormat;
use crate::commands::Ui;
use crate::commands::explain::ExplainReport;

/// Print the story in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &ExplainReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format == OutputFormat::Json {
        return write_json(ui.out, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let mut out = String::new();
    if md {
        let _ = writeln!(
            out,
            "## `{}` in release `{}` (namespace `{}`)\n\nReplayed with Helm {} rules.\n",
            report.object, report.release, report.namespace, report.helm_version
        );
    } else {
        let _ = writeln!(
            out,
            "{} in release {} (namespace {}), replayed with Helm {} rules\n",
            report.object, report.release, report.namespace, report.helm_version
        );
    }
    let mut current: Option<u64> = None;
    for e in &report.events {
        if current != Some(e.revision) {
            current = Some(e.revision);
            let time = report
                .times
                .iter()
                .find(|(r, _)| *r == e.revision)
                .and_then(|(_, t)| t.as_deref())
                .map(|t| Timestamp::new(t).display_seconds())
                .unwrap_or_default();
            if md {
                let _ = writeln!(
                    out,
                    "\n### Revision {} · {} · {time}\n",
                    e.revision, e.operation
                );
            } else {
                let _ = writeln!(out, "revision {} · {} · {time}", e.revision, e.operation);
            }
        }
        let cause = e
            .cause
            .map(|c| format!(" ({})", c.code()))
            .unwrap_or_default();
        if md {
            let _ = writeln!(
                out,
                "- **{}**: {}{cause} — {}",
                e.phase,
                e.action.as_str(),
                e.message
            );
        } else {
            let _ = writeln!(
                out,
                "  {}: {}{cause} — {}",
                e.phase,
                e.action.as_str(),
                e.message
            );
        }
    }
    let _ = writeln!(out, "\n{}", report.summary);
    if !report.notes.is_empty() {
        let _ = writeln!(out);
        for n in &report.notes {
            let _ = writeln!(out, "{}note: {n}", if md { "- " } else { "" });
        }
    }
    ui.out.write_all(out.as_bytes())?;
    ui.warnings(&report.warnings)
}
