//! Rendering of `plan`: a kapp-style change table, counts, hazards.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;

use super::{Grid, HazardContext, write_data};
use crate::args::OutputFormat;
use crate::report::plan::PlanReport;
use crate::ui::Ui;

/// Print the plan in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &PlanReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let p = &report.plan;
    let mut out = String::new();
    let base = p.base_revision.map_or("no base (install)".to_owned(), |b| {
        format!("base revision {b}")
    });
    if md {
        let _ = writeln!(
            out,
            "## Plan for `{}` (namespace `{}`): revision {}, {base}, Helm {} rules\n",
            p.release, p.namespace, p.revision, p.helm_version
        );
    } else {
        let _ = writeln!(
            out,
            "Plan for {} (namespace {}): revision {}, {base}, Helm {} rules",
            p.release, p.namespace, p.revision, p.helm_version
        );
        let _ = writeln!(out, "Candidate: {}\n", report.candidate);
    }
    out.push_str(&super::verdict(&p.hazards, md, &ui.paint));
    out.push('\n');
    if let Some(refused) = &p.refused {
        let _ = writeln!(out, "helm upgrade will refuse to start: {refused}\n");
    }
    let mut grid = Grid::new(&["OP", "PHASE", "KIND", "NAMESPACE", "NAME", "WHY"]);
    grid.notes = Some(5);
    grid.note_key = vec![0, 2, 4];
    grid.toned = vec![0];
    grid.optional = vec![3, 1];
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &p.changes {
        *counts.entry(c.op.as_str()).or_default() += 1;
        let why = match c.cause {
            Some(cause) => format!("{}: {}", cause.code(), c.message),
            None => c.message.clone(),
        };
        grid.row(vec![
            c.op.as_str().to_owned(),
            c.phase.to_string(),
            c.object.kind_with_group(),
            c.object.namespace.clone().unwrap_or_else(|| "-".to_owned()),
            c.object.name.clone(),
            why,
        ]);
    }
    out.push_str(&if md {
        grid.to_markdown()
    } else {
        grid.render(&ui.layout, &ui.paint)
    });
    let summary: Vec<String> = counts.iter().map(|(op, n)| format!("{n} {op}")).collect();
    let _ = writeln!(
        out,
        "\n{}",
        if summary.is_empty() {
            "No changes.".to_owned()
        } else {
            summary.join(", ")
        }
    );
    if !p.hazards.is_empty() {
        let context = HazardContext {
            release: &p.release,
            revision: Some(p.revision),
        };
        super::write_hazards(&mut out, &p.hazards, &context, md, ui);
    }
    for n in &p.notes {
        if md {
            let _ = writeln!(out, "- note: {n}");
        } else {
            out.push_str(&super::layout::wrap("note: ", n, 2, ui.layout.wrap_width()));
        }
    }
    for d in &report.diffs {
        out.push('\n');
        super::diff::write_unified(&mut out, d, md, &ui.paint);
    }
    ui.out.write_all(out.as_bytes())?;
    ui.warnings(&report.warnings)
}
