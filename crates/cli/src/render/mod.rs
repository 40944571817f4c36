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

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;
use unicode_width::UnicodeWidthStr as _;

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
    ///
    /// Each column is as wide as its widest line (terminal cells, as `unicode-width` counts
    /// them; at least 1), cells are left-aligned, a header cell may span several lines, and
    /// trailing spaces are trimmed: the layout comfy-table made with no borders, padding
    /// `(0, 2)` and no wrapping, written straight out — a timeline of 1,000 revisions is a
    /// million cells, which comfy-table held several hundred bytes each to lay out.
    ///
    /// ```
    /// use helm_why::render::Grid;
    /// let mut grid = Grid::new(&["NAME", "STATUS\nNOW"]);
    /// grid.row(vec!["wéb".into(), "deployed".into()]);
    /// grid.row(vec!["a\nb".into(), String::new()]);
    /// assert_eq!(grid.to_table(), "NAME  STATUS\n      NOW\nwéb   deployed\na\\nb\n");
    /// ```
    pub fn to_table(&self) -> String {
        // One row per line: a line break or tab from a record (a failed revision's error,
        // a hostile name) is shown escaped, so it cannot start a row of its own.
        fn one_line(c: &str) -> Cow<'_, str> {
            if c.contains(['\r', '\n', '\t']) {
                Cow::Owned(
                    c.replace('\r', "\\r")
                        .replace('\n', "\\n")
                        .replace('\t', "\\t"),
                )
            } else {
                Cow::Borrowed(c)
            }
        }
        // The header's line breaks are its own (titles on two lines); a cell's are escaped.
        let all_rows = || {
            let header = self.header.iter().map(|h| Cow::Borrowed(h.as_str()));
            std::iter::once(header.collect::<Vec<_>>()).chain(
                self.rows
                    .iter()
                    .map(|r| r.iter().map(|c| one_line(c)).collect()),
            )
        };
        let mut widths: Vec<usize> = Vec::new();
        for row in all_rows() {
            if widths.len() < row.len() {
                widths.resize(row.len(), 0);
            }
            for (width, cell) in widths.iter_mut().zip(&row) {
                let widest = cell.split('\n').map(|l| l.width()).max().unwrap_or(0);
                *width = (*width).max(widest.max(1));
            }
        }
        let mut out = String::new();
        for row in all_rows() {
            let lines: Vec<Vec<&str>> = row.iter().map(|c| c.split('\n').collect()).collect();
            let height = lines.iter().map(Vec::len).max().unwrap_or(1);
            for l in 0..height {
                let mut line = String::new();
                for (i, width) in widths.iter().enumerate() {
                    let text = lines.get(i).and_then(|c| c.get(l)).copied().unwrap_or("");
                    line.push_str(text);
                    let pad = width.saturating_sub(text.width()) + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
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
