//! Presentation: turning report values into tables, Markdown and JSON. Commands build a
//! report; only this module decides how it looks.

pub mod color;
pub mod diff;
pub mod explain;
pub mod grid;
pub mod history;
pub mod html;
pub mod images;
pub mod layout;
pub mod list;
pub mod mermaid;
pub mod plan;
pub mod scan;
pub mod timeline;
pub mod who;

use std::io::Write;

use anyhow::Result;

pub use grid::Grid;

use crate::args::OutputFormat;
use crate::ui::Ui;

/// Write pretty JSON followed by a newline.
///
/// # Errors
/// Write errors (a closed pipe is handled by the caller).
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Write a report as JSON or YAML, whichever `-o` asked for (the same data).
///
/// # Errors
/// Write and serialization errors.
pub fn write_data<T: serde::Serialize>(ui: &mut Ui<'_>, value: &T) -> Result<()> {
    match ui.format {
        OutputFormat::Yaml => write_yaml(ui.out, value),
        _ => write_json(ui.out, value),
    }
}

/// Write YAML: one document, the same fields as the JSON.
///
/// # Errors
/// Write and serialization errors.
pub fn write_yaml<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<()> {
    let text = serde_saphyr::to_string(value)?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

/// `2 high, 1 low`: how many of each severity, most severe first.
pub fn severity_counts(severities: impl Iterator<Item = helm_why_diff::Severity>) -> Vec<String> {
    let all: Vec<helm_why_diff::Severity> = severities.collect();
    [
        helm_why_diff::Severity::High,
        helm_why_diff::Severity::Medium,
        helm_why_diff::Severity::Low,
    ]
    .into_iter()
    .filter_map(|s| {
        let n = all.iter().filter(|x| **x == s).count();
        (n > 0).then(|| format!("{n} {}", s.as_str()))
    })
    .collect()
}

/// The first line of `timeline` and `plan`: `Verdict: 1 high, 2 medium hazards (listed
/// below)`, or that none were found. The most severe word is coloured.
pub fn verdict(hazards: &[helm_why_diff::Hazard], md: bool, paint: &color::Paint) -> String {
    let counts = severity_counts(hazards.iter().map(|h| h.severity));
    let label = if md { "**Verdict:**" } else { "Verdict:" };
    let Some(worst) = hazards.iter().map(|h| h.severity).max() else {
        return format!("{label} no hazards found\n");
    };
    let word = if hazards.len() == 1 {
        "hazard"
    } else {
        "hazards"
    };
    let counts = counts.join(", ");
    // `1 high, …`: the number, then the worst severity's word in its colour.
    let painted = match counts.split_once(' ') {
        Some((n, rest)) if rest.starts_with(worst.as_str()) && !md => format!(
            "{n} {}{}",
            paint.severity(worst),
            &rest[worst.as_str().len()..]
        ),
        _ => counts,
    };
    format!("{label} {painted} {word} (listed below)\n")
}

/// Whose hazards [`write_hazards`] prints.
pub struct HazardContext<'a> {
    /// The release.
    pub release: &'a str,
    /// The revision a hazard without one concerns (`plan`: the planned revision).
    pub revision: Option<u64>,
}

/// A `Hazards:` section: a count by severity first, then one line per hazard, most severe
/// first, each naming its release, revision and object, wrapped to the layout.
pub fn write_hazards(
    out: &mut String,
    hazards: &[helm_why_diff::Hazard],
    context: &HazardContext<'_>,
    md: bool,
    ui: &Ui<'_>,
) {
    let named: Vec<(&str, &helm_why_diff::Hazard)> =
        hazards.iter().map(|h| (context.release, h)).collect();
    write_named_hazards(out, &named, context.revision, md, ui);
}

/// [`write_hazards`] for hazards of several releases (`scan`): each with the label of its
/// release (`shop/web`), sorted most severe first, the given order kept within a severity.
pub fn write_named_hazards(
    out: &mut String,
    hazards: &[(&str, &helm_why_diff::Hazard)],
    revision: Option<u64>,
    md: bool,
    ui: &Ui<'_>,
) {
    use std::fmt::Write as _;
    let mut sorted: Vec<&(&str, &helm_why_diff::Hazard)> = hazards.iter().collect();
    // Stable: within one severity, the order given (the history's).
    sorted.sort_by_key(|(_, h)| std::cmp::Reverse(h.severity));
    let counts = severity_counts(hazards.iter().map(|(_, h)| h.severity));
    let _ = writeln!(
        out,
        "\n{}Hazards: {}",
        if md { "### " } else { "" },
        counts.join(", ")
    );
    if md {
        let _ = writeln!(out);
    }
    let paint = if md { &color::Paint::off() } else { &ui.paint };
    for (release, h) in sorted {
        let mut place = vec![if md {
            format!("release `{release}`")
        } else {
            format!("release {release}")
        }];
        if let Some(r) = h.revision.or(revision) {
            place.push(format!("revision {r}"));
        }
        if let Some(o) = &h.object {
            place.push(if md { format!("`{o}`") } else { o.to_string() });
        }
        let place = place.join(", ");
        if md {
            let _ = writeln!(
                out,
                "- **{}** `{}` {place}: {}",
                h.severity.as_str(),
                h.code,
                h.message
            );
        } else {
            let line = format!(
                "{} [{}] {place}: {}",
                h.severity.as_str(),
                h.code,
                h.message
            );
            let text = layout::wrap("  ", &line, 4, ui.layout.wrap_width());
            out.push_str(&paint.leading_severity(&text, h.severity));
        }
    }
}

#[cfg(test)]
mod tests {
    /// Renderers print reports; they never reach into the commands that build them.
    #[test]
    fn render_does_not_import_commands() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/render");
        let mut files = vec![std::path::PathBuf::from(dir)];
        let mut checked = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // Spelled in two halves so that this file does not match itself.
                let needle = ["crate::", "commands"].concat();
                assert!(!text.contains(&needle), "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} files found");
    }
}
