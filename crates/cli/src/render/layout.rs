//! How wide the output may be, and wrapping prose to that width.
//!
//! The width is `COLUMNS` when set, else the terminal's when stdout is one, else unlimited
//! (a pipe or a file gets one line per row, nothing wrapped, like kubectl). `-o wide` never
//! wraps and shows every column.

use unicode_width::UnicodeWidthStr;

/// Narrowest width honoured: below it, tables would be no more readable wrapped.
pub const MIN_WIDTH: usize = 40;

/// The room text output has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// Columns available; `None`: unlimited.
    pub width: Option<usize>,
    /// `-o wide`: every column, one line per row, nothing moved under the table.
    pub wide: bool,
}

impl Layout {
    /// Unlimited width, default columns.
    pub fn unlimited() -> Layout {
        Layout::default()
    }

    /// The width from `COLUMNS` (if a number) or else the terminal's.
    pub fn detect(columns: Option<&str>, terminal: Option<usize>, wide: bool) -> Layout {
        let from_env = columns.and_then(|c| c.trim().parse::<usize>().ok());
        Layout {
            width: from_env.or(terminal).map(|w| w.max(MIN_WIDTH)),
            wide,
        }
    }

    /// The width prose is wrapped at (`None`: not wrapped).
    pub fn wrap_width(&self) -> Option<usize> {
        if self.wide { None } else { self.width }
    }
}

/// Display width of `text` in terminal columns.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `first` followed by `text`, wrapped at spaces to `width` columns; continuation lines start
/// with `indent` spaces. A word longer than a line is kept whole. Ends with a newline.
pub fn wrap(first: &str, text: &str, indent: usize, width: Option<usize>) -> String {
    let mut out = String::from(first);
    let Some(width) = width else {
        out.push_str(text);
        out.push('\n');
        return out;
    };
    let mut column = self::width(first);
    let mut at_start = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = self::width(word);
        if !at_start && column + 1 + w > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
            at_start = true;
        }
        if !at_start {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += w;
        at_start = false;
    }
    out.push('\n');
    out
}

/// `a, b, c and 4 more`: at most `max` items named.
pub fn cut_list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        return items.join(", ");
    }
    format!("{} and {} more", items[..max].join(", "), items.len() - max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_a_hanging_indent() {
        assert_eq!(
            wrap("  high: ", "one two three four five", 4, Some(20)),
            "  high: one two\n    three four five\n"
        );
        assert_eq!(wrap("x ", "a  b", 2, None), "x a  b\n");
        assert_eq!(
            wrap("", "averyveryverylongword b", 0, Some(5)),
            "averyveryverylongword\nb\n"
        );
    }

    #[test]
    fn columns_wins_then_the_terminal() {
        assert_eq!(Layout::detect(Some("80"), Some(200), false).width, Some(80));
        assert_eq!(Layout::detect(Some("x"), Some(200), false).width, Some(200));
        assert_eq!(Layout::detect(None, None, false).width, None);
        assert_eq!(
            Layout::detect(Some("10"), None, false).width,
            Some(MIN_WIDTH)
        );
        assert_eq!(Layout::detect(Some("80"), None, true).wrap_width(), None);
    }

    #[test]
    fn long_lists_are_cut() {
        let items: Vec<String> = (1..=7).map(|i| i.to_string()).collect();
        assert_eq!(cut_list(&items, 3), "1, 2, 3 and 4 more");
        assert_eq!(cut_list(&items[..2], 3), "1, 2");
    }
}
