//! Presentation: turning report values into tables, Markdown and JSON. Commands build a
//! report; only this module decides how it looks.

pub mod diff;
pub mod explain;
pub mod history;
pub mod html;
pub mod images;
pub mod list;
pub mod mermaid;
pub mod plan;
pub mod scan;
pub mod timeline;
pub mod who;

use std::io::Write;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets};

/// A plain grid: a header row and data rows of text cells.
#[derive(Debug, Default, Clone)]
pub struct Grid {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// A grid with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Grid {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Add a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// kubectl-style columns: no borders, two spaces between columns, never wrapped (so the
    /// output does not depend on the terminal).
    pub fn to_table(&self) -> String {
        let mut table = Table::new();
        table
            .load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(self.header.clone());
        // One row per line: a line break or tab from a record (a failed revision's error,
        // a hostile name) is shown escaped, so it cannot start a row of its own.
        let one_line = |c: &String| {
            c.replace('\r', "\\r")
                .replace('\n', "\\n")
                .replace('\t', "\\t")
        };
        for row in &self.rows {
            table.add_row(row.iter().map(one_line).collect::<Vec<_>>());
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        let mut out = String::new();
        for line in table.to_string().lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// A GitHub-flavoured Markdown table (pipes escaped).
    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
        let mut out = String::new();
        out.push_str(&format!(
            "| {} |\n",
            self.header
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        out.push_str(&format!(
            "|{}|\n",
            self.header
                .iter()
                .map(|_| "---")
                .collect::<Vec<_>>()
                .join("|")
        ));
        for row in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out
    }
}

/// Write pretty JSON followed by a newline.
///
/// # Errors
/// Write errors (a closed pipe is handled by the caller).
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A `Hazards:` section, one line per hazard: severity, code, revision (unless `plan`, where
/// every hazard is about the planned revision), message.
pub fn write_hazards(
    out: &mut String,
    hazards: &[helm_why_diff::Hazard],
    md: bool,
    with_revision: bool,
) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "\n{}Hazards:", if md { "### " } else { "" });
    for h in hazards {
        let rev = h
            .revision
            .filter(|_| with_revision)
            .map(|r| format!("revision {r}: "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}{} [{}] {rev}{}",
            if md { "- " } else { "  " },
            h.severity.as_str(),
            h.code,
            h.message
        );
    }
}
