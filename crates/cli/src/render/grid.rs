//! kubectl-style tables that fit the terminal.
//!
//! A table that is wider than the [`Layout`] leaves out its optional columns, in the order
//! given, when that is enough to fit; otherwise it moves its explanation column (a `WHY` or
//! `DESCRIPTION`) under the table as wrapped notes and leaves out only the optional columns
//! that still do not fit. It says what it left out (`-o wide` shows it). Cells are never
//! wrapped: every row stays one line, so the output greps. `-o wide` and an unlimited width
//! show every column.

use std::borrow::Cow;

use super::color::{Paint, Tone};
use super::layout::{Layout, width, wrap};

/// A header row and data rows of text cells, and how to fit them.
#[derive(Debug, Default, Clone)]
pub struct Grid {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows (words of helm-why's own, like a timeline's million `unchanged` cells, are
    /// borrowed, not copied).
    pub rows: Vec<Vec<Cow<'static, str>>>,
    /// The column of long explanations, moved under the table when the table is too wide.
    pub notes: Option<usize>,
    /// The columns whose cells name a row in the notes (default: the first).
    pub note_key: Vec<usize>,
    /// Columns that may be left out to fit, the first to go first.
    pub optional: Vec<usize>,
    /// Columns of helm-why's own words (actions, statuses, severities): coloured.
    pub toned: Vec<usize>,
}

impl Grid {
    /// A grid with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Grid {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            ..Grid::default()
        }
    }

    /// Add a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.into_iter().map(Cow::Owned).collect());
    }

    /// Add a row of cells that may be borrowed.
    pub fn row_of(&mut self, cells: Vec<Cow<'static, str>>) {
        self.rows.push(cells);
    }

    /// The table, fitted to `layout`, with notes and left-out columns said under it.
    pub fn render(&self, layout: &Layout, paint: &Paint) -> String {
        let mut out = String::new();
        self.render_into(&mut out, layout, paint);
        out
    }

    /// [`Grid::render`], appended to `out` (a timeline's table can be megabytes: one
    /// buffer, sized once, not a copy per caller).
    pub fn render_into(&self, out: &mut String, layout: &Layout, paint: &Paint) {
        let rows: Vec<Vec<Cow<'_, str>>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| one_line(c)).collect())
            .collect();
        let columns = self.header.len();
        let mut shown: Vec<usize> = (0..columns).collect();
        // One pass over the rows, not one per column: a timeline has a thousand columns.
        let mut widths: Vec<usize> = self.header.iter().map(|h| cell_width(h)).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell_width(cell));
            }
        }
        let total = |shown: &[usize]| -> usize {
            shown.iter().map(|&c| widths[c]).sum::<usize>() + 2 * shown.len().saturating_sub(1)
        };
        let mut moved = None;
        let mut left_out = Vec::new();
        if let (Some(limit), false) = (layout.width, layout.wide) {
            // Explanations beside their rows read best: leave out optional columns first if
            // that is enough; else move the explanations under the table, then leave out
            // only what still does not fit.
            let mut optional = vec![false; columns];
            for &c in self.optional.iter().filter(|&&c| c < columns) {
                optional[c] = true;
            }
            let without_optional: Vec<usize> =
                shown.iter().copied().filter(|&c| !optional[c]).collect();
            let keep_notes_inline = total(&without_optional) <= limit;
            if let Some(n) = self
                .notes
                .filter(|&n| n < columns && total(&shown) > limit && !keep_notes_inline)
            {
                shown.retain(|&c| c != n);
                moved = Some(n);
            }
            for &c in &self.optional {
                if total(&shown) <= limit {
                    break;
                }
                if shown.len() > 1 && shown.contains(&c) {
                    shown.retain(|&s| s != c);
                    left_out.push(self.header[c].clone());
                }
            }
        }
        // The rows' width is known: no regrowth (and copy) of a table of megabytes.
        out.reserve((total(&shown) + 1).saturating_mul(rows.len() + 1));
        let header: Vec<Cow<'_, str>> = self.header.iter().map(|h| one_line(h)).collect();
        // One lookup per cell: a timeline can have a thousand toned columns.
        let mut toned = vec![false; columns];
        for &c in self.toned.iter().filter(|&&c| c < columns) {
            toned[c] = true;
        }
        write_line(out, &header, &shown, &widths, &[], paint);
        for row in &rows {
            write_line(out, row, &shown, &widths, &toned, paint);
        }
        if let Some(n) = moved {
            self.write_notes(out, &rows, n, layout);
        }
        let what = match left_out.as_slice() {
            [] => None,
            [first, .., last] if left_out.len() > 3 => {
                Some(format!("{} columns: {first} … {last}", left_out.len()))
            }
            _ => Some(left_out.join(", ")),
        };
        if let Some(what) = what {
            out.push_str(&wrap(
                "",
                &format!("(-o wide adds {what})"),
                1,
                layout.width,
            ));
        }
    }

    fn write_notes(
        &self,
        out: &mut String,
        rows: &[Vec<Cow<'_, str>>],
        column: usize,
        layout: &Layout,
    ) {
        let keys = if self.note_key.is_empty() {
            vec![0]
        } else {
            self.note_key.clone()
        };
        let notes: Vec<(String, &str)> = rows
            .iter()
            .filter_map(|row| {
                let text = row.get(column).map(AsRef::as_ref).unwrap_or_default();
                if text.is_empty() || text == "-" {
                    return None;
                }
                let key: Vec<&str> = keys
                    .iter()
                    .filter_map(|&k| row.get(k).map(AsRef::as_ref))
                    .collect();
                Some((key.join(" "), text))
            })
            .collect();
        if notes.is_empty() {
            return;
        }
        out.push('\n');
        out.push_str(&format!("{}:\n", self.header[column]));
        for (key, text) in notes {
            out.push_str(&wrap(&format!("  {key}: "), text, 4, layout.width));
        }
    }

    /// A GitHub-flavoured Markdown table (pipes escaped), every column. Markdown renders
    /// inline HTML: a record's `<img src=…>` or `<a>` would show as such in the ticket it is
    /// pasted into, so `&`, `<` and `>` are written as entities.
    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('|', "\\|")
                .replace('\n', "<br>")
        };
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut out = line(self.header.iter().map(|h| cell(h)).collect());
        out.push_str(&format!(
            "|{}|\n",
            self.header
                .iter()
                .map(|_| "---")
                .collect::<Vec<_>>()
                .join("|")
        ));
        for row in &self.rows {
            out.push_str(&line(row.iter().map(|c| cell(c)).collect()));
        }
        out
    }
}

/// One row per line: a line break or tab from a record (a failed revision's error, a hostile
/// name) is shown escaped, so it cannot start a row of its own.
fn one_line(cell: &str) -> Cow<'_, str> {
    if !cell.contains(['\r', '\n', '\t']) {
        return Cow::Borrowed(cell);
    }
    Cow::Owned(
        cell.replace('\r', "\\r")
            .replace('\n', "\\n")
            .replace('\t', "\\t"),
    )
}

/// [`width`], without the Unicode tables for printable ASCII (one column per byte): most
/// cells of a long timeline are a few ASCII letters.
fn cell_width(text: &str) -> usize {
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        text.len()
    } else {
        width(text)
    }
}

/// One row, its cells padded to `widths`, trailing spaces trimmed, written straight into
/// `out`.
fn write_line<S: AsRef<str>>(
    out: &mut String,
    cells: &[S],
    shown: &[usize],
    widths: &[usize],
    toned: &[bool],
    paint: &Paint,
) {
    let start = out.len();
    let colour = paint.key().is_some();
    for (i, &c) in shown.iter().enumerate() {
        let text = cells.get(c).map(AsRef::as_ref).unwrap_or_default();
        let last = i + 1 == shown.len();
        let tone = match toned.get(c) {
            Some(true) if colour => Tone::of_word(text),
            _ => None,
        };
        match tone {
            Some(tone) => out.push_str(&paint.tone(text, tone)),
            None => out.push_str(text),
        }
        if !last {
            let pad = widths[c] - cell_width(text) + 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    let kept = out[start..].trim_end().len();
    out.truncate(start + kept);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_show_record_text_as_text() {
        let mut g = Grid::new(&["NAME", "DESCRIPTION"]);
        g.row(vec![
            "<img src=x onerror=alert(1)>".into(),
            "a & b | c\nd".into(),
        ]);
        assert_eq!(
            g.to_markdown(),
            "| NAME | DESCRIPTION |\n|---|---|\n| &lt;img src=x onerror=alert(1)&gt; | a &amp; b \\| c<br>d |\n"
        );
    }

    fn grid() -> Grid {
        let mut g = Grid::new(&["NAME", "COUNT", "WHY"]);
        g.row(vec![
            "a".into(),
            "1".into(),
            "a long explanation of a".into(),
        ]);
        g.row(vec!["bb".into(), "22".into(), "-".into()]);
        g.notes = Some(2);
        g.optional = vec![1];
        g
    }

    #[test]
    fn wide_enough_keeps_every_column() {
        let layout = Layout {
            width: Some(80),
            wide: false,
        };
        assert_eq!(
            grid().render(&layout, &Paint::off()),
            "NAME  COUNT  WHY\na     1      a long explanation of a\nbb    22     -\n"
        );
    }

    #[test]
    fn narrow_moves_notes_then_drops_columns() {
        let layout = Layout {
            width: Some(12),
            wide: false,
        };
        assert_eq!(
            grid().render(&layout, &Paint::off()),
            "NAME  COUNT\na     1\nbb    22\n\nWHY:\n  a: a long\n    explanation\n    of a\n"
        );
        let layout = Layout {
            width: Some(9),
            wide: false,
        };
        assert_eq!(
            grid().render(&layout, &Paint::off()),
            "NAME\na\nbb\n\nWHY:\n  a: a\n    long\n    explanation\n    of a\n(-o wide\n adds\n COUNT)\n"
        );
    }

    #[test]
    fn wide_never_fits() {
        let layout = Layout {
            width: Some(5),
            wide: true,
        };
        assert_eq!(
            grid().render(&layout, &Paint::off()),
            "NAME  COUNT  WHY\na     1      a long explanation of a\nbb    22     -\n"
        );
    }
}
