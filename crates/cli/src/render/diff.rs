//! Rendering of `diff` (and the object diffs of `plan --diff`): a heading per object, then
//! its unified diff.

use std::fmt::Write as _;

use anyhow::Result;

use super::write_data;
use crate::args::OutputFormat;
use crate::report::diff::{DiffChange, DiffReport};
use crate::ui::Ui;

/// Append a unified diff: fenced as ```diff in Markdown, else line by line through
/// the paint (coloured by sign on a terminal).
pub fn write_unified(out: &mut String, diff: &str, markdown: bool, paint: &super::color::Paint) {
    if markdown {
        // A fence longer than any run of backticks in the text, which comes from the records.
        let longest = diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = writeln!(out, "{fence}diff\n{diff}{fence}");
        return;
    }
    for line in diff.lines() {
        out.push_str(&paint.diff_line(line));
        out.push('\n');
    }
}

/// Print the diff in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &DiffReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let mut out = String::new();
    let (r, ns, from, to) = (&report.release, &report.namespace, report.from, report.to);
    if md {
        let _ = writeln!(
            out,
            "## Diff of `{r}` (namespace `{ns}`): revision {from} → {to}\n"
        );
    } else {
        let _ = writeln!(out, "Diff of {r} (namespace {ns}): revision {from} → {to}");
    }
    if let Some([a, b]) = &report.chart {
        let _ = writeln!(out, "chart: {a} → {b}");
    }
    for o in &report.objects {
        let what = if o.hook { "hook " } else { "" };
        let _ = writeln!(
            out,
            "\n{}{what}{} {}{}",
            if md { "### " } else { "" },
            o.change.as_str(),
            o.object,
            if md { "" } else { ":" }
        );
        write_unified(&mut out, &o.diff, md, &ui.paint);
    }
    if let Some(v) = &report.values {
        let _ = writeln!(
            out,
            "\n{}user-supplied values changed{}",
            if md { "### " } else { "" },
            if md { "" } else { ":" }
        );
        write_unified(&mut out, &v.diff, md, &ui.paint);
    }
    let count = |c: DiffChange| report.objects.iter().filter(|o| o.change == c).count();
    use DiffChange::{Added, Changed, Removed};
    let mut summary = Vec::new();
    for (n, what) in [
        (count(Added), "added"),
        (count(Removed), "removed"),
        (count(Changed), "changed"),
    ] {
        if n > 0 {
            summary.push(format!("{n} {what}"));
        }
    }
    if report.values.is_some() {
        summary.push("values changed".to_owned());
    }
    if report.suppressed > 0 {
        summary.push(format!("{} suppressed", report.suppressed));
    }
    let _ = writeln!(
        out,
        "\n{}",
        if summary.is_empty() {
            "No differences.".to_owned()
        } else {
            summary.join(", ")
        }
    );
    ui.out.write_all(out.as_bytes())?;
    ui.warnings(&report.warnings)
}
