//! Control characters from records never reach the terminal raw: every byte written to
//! stdout and stderr passes through [`Sanitize`], so a release name or description holding
//! `ESC [ 2 J` cannot clear the screen or forge lines (`\r`).
//!
//! Text formats show escapes Rust-style (`\x1b`, `\u{9b}`); JSON, whose strings already
//! escape C0 controls, gets `\u007f` and `\u009b`-style escapes for the rest, which keep it
//! valid JSON (they can only occur inside strings).

use std::io::{self, Write};

/// How escapes are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Tables, markdown, YAML, messages: `\x1b`, `\r`, `\u{9b}`.
    Text,
    /// JSON: `\u001b`, `\u009b`.
    Json,
}

/// A writer that escapes control characters other than `\n` and `\t` (and `\r` of a CRLF),
/// DEL, the C1 controls U+0080–U+009F, and the invisible marks that reorder text on
/// screen (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): a name holding them could
/// show as another name.
pub struct Sanitize<W: Write> {
    inner: W,
    style: Style,
    /// A `\r` waiting to see whether `\n` follows (CRLF text is kept as is).
    pending_cr: bool,
    /// The first bytes of what may be an escaped character ([`escaped_char`]), waiting for
    /// the rest.
    pending: Vec<u8>,
    /// The key that marks helm-why's own colour sequences ([`crate::render::color`]).
    color_key: Option<Vec<u8>>,
    /// The bytes after an ESC while they may still be a marked colour sequence.
    marker: Option<Vec<u8>>,
}

/// Longest SGR parameter list accepted in a marked sequence.
const MAX_SGR: usize = 32;

impl<W: Write> Sanitize<W> {
    /// Wrap `inner`.
    pub fn new(inner: W, style: Style) -> Self {
        Sanitize {
            inner,
            style,
            pending_cr: false,
            pending: Vec::new(),
            color_key: None,
            marker: None,
        }
    }

    /// Let colour through: `ESC <key> [ <digits and ;> m` becomes `ESC [ … m`; every other ESC
    /// is still escaped.
    pub fn with_color_key(mut self, key: Option<&str>) -> Self {
        self.color_key = key.map(|k| k.as_bytes().to_vec());
        self
    }

    /// The wrapped writer.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Feed one byte of a possible marked sequence; `Some(b)` gives back a byte that ended it
    /// without matching (the ESC and the bytes before it have been written escaped).
    fn marker_byte(&mut self, b: u8, out: &mut Vec<u8>) -> Option<u8> {
        let (Some(key), Some(buf)) = (&self.color_key, &mut self.marker) else {
            return Some(b);
        };
        let at = buf.len();
        let fits = match at.cmp(&key.len()) {
            std::cmp::Ordering::Less => key[at] == b,
            std::cmp::Ordering::Equal => b == b'[',
            std::cmp::Ordering::Greater => {
                if b == b'm' {
                    out.push(0x1b);
                    out.extend_from_slice(&buf[key.len()..]);
                    out.push(b'm');
                    self.marker = None;
                    return None;
                }
                (b.is_ascii_digit() || b == b';') && at < key.len() + 1 + MAX_SGR
            }
        };
        if fits {
            buf.push(b);
            return None;
        }
        self.unmark(out);
        Some(b)
    }

    /// Write a pending ESC and what followed it, escaped (they are printable ASCII).
    fn unmark(&mut self, out: &mut Vec<u8>) {
        if let Some(buf) = self.marker.take() {
            self.escape(0x1b, out);
            out.extend_from_slice(&buf);
        }
    }

    fn escape(&self, c: u32, out: &mut Vec<u8>) {
        let text = match (self.style, c) {
            (Style::Text, 0x0d) => "\\r".to_owned(),
            (Style::Text, c) if c < 0x80 => format!("\\x{c:02x}"),
            (Style::Text, c) => format!("\\u{{{c:x}}}"),
            (Style::Json, c) => format!("\\u{c:04x}"),
        };
        out.extend_from_slice(text.as_bytes());
    }
}

/// The invisible marks that reorder text on screen ("Trojan Source"): a name holding them
/// can read as another. [`Sanitize`] escapes them (its byte patterns spell the same set).
pub fn reorders_text(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether UTF-8 bytes are a character [`Sanitize`] escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escaped {
    /// They are: this one.
    Yes(u32),
    /// They begin one.
    Maybe,
    /// They do not.
    No,
}

/// [`Escaped`] of `bytes`: the C1 controls (`C2 80`–`C2 9F`) and the bidirectional marks
/// U+061C (`D8 9C`), U+200E–U+200F (`E2 80 8E`–`8F`), U+202A–U+202E (`E2 80 AA`–`AE`) and
/// U+2066–U+2069 (`E2 81 A6`–`A9`).
fn escaped_char(bytes: &[u8]) -> Escaped {
    let decoded = || {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.chars().next())
            .map_or(Escaped::No, |c| Escaped::Yes(u32::from(c)))
    };
    match bytes {
        [0xc2 | 0xd8 | 0xe2] | [0xe2, 0x80 | 0x81] => Escaped::Maybe,
        [0xc2, 0x80..=0x9f] | [0xd8, 0x9c] => decoded(),
        [0xe2, 0x80, 0x8e | 0x8f | 0xaa..=0xae] | [0xe2, 0x81, 0xa6..=0xa9] => decoded(),
        _ => Escaped::No,
    }
}

/// The most one [`Sanitize`] write takes of its input.
const WRITE_PART: usize = 64 * 1024;

impl<W: Write> Write for Sanitize<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A part at a time (`write_all` comes back for the rest): a table of megabytes is
        // not copied whole.
        let buf = &buf[..buf.len().min(WRITE_PART)];
        let mut out = Vec::with_capacity(buf.len() + 8);
        for &b in buf {
            let b = if self.marker.is_some() {
                match self.marker_byte(b, &mut out) {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                b
            };
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    out.push(b'\r');
                } else {
                    self.escape(0x0d, &mut out);
                }
            }
            if !self.pending.is_empty() {
                self.pending.push(b);
                match escaped_char(&self.pending) {
                    Escaped::Yes(c) => {
                        self.pending.clear();
                        self.escape(c, &mut out);
                        continue;
                    }
                    Escaped::Maybe => continue,
                    Escaped::No => {
                        self.pending.pop();
                        out.append(&mut self.pending);
                    }
                }
            }
            match b {
                b'\r' => self.pending_cr = true,
                b if escaped_char(&[b]) == Escaped::Maybe => self.pending.push(b),
                b'\n' | b'\t' => out.push(b),
                0x1b if self.color_key.is_some() => self.marker = Some(Vec::new()),
                // JSON never has raw C0 bytes (serde_json escapes them); text may.
                0x00..=0x1f | 0x7f => self.escape(u32::from(b), &mut out),
                _ => out.push(b),
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut unmarked = Vec::new();
        self.unmark(&mut unmarked);
        self.inner.write_all(&unmarked)?;
        if std::mem::take(&mut self.pending_cr) {
            let mut out = Vec::new();
            self.escape(0x0d, &mut out);
            self.inner.write_all(&out)?;
        }
        let pending = std::mem::take(&mut self.pending);
        self.inner.write_all(&pending)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(style: Style, chunks: &[&[u8]]) -> String {
        let mut w = Sanitize::new(Vec::new(), style);
        for c in chunks {
            w.write_all(c).unwrap();
        }
        w.flush().unwrap();
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn controls_are_escaped_even_across_writes() {
        assert_eq!(
            run(
                Style::Text,
                &[b"a\x1b[2Jb\tc\r\nd\re\xc2", b"\x9bf \xc2\xa0\x7f"]
            ),
            "a\\x1b[2Jb\tc\r\nd\\re\\u{9b}f \u{a0}\\x7f"
        );
        assert_eq!(run(Style::Text, &[b"x\r"]), "x\\r");
    }

    #[test]
    fn marks_that_reorder_text_are_escaped_even_across_writes() {
        let name = "web\u{202e}lmth.exe\u{2066}x\u{200f}\u{61c}";
        assert_eq!(
            run(Style::Text, &[name.as_bytes()]),
            "web\\u{202e}lmth.exe\\u{2066}x\\u{200f}\\u{61c}"
        );
        // Split inside the character; and the characters next to them, kept.
        let bytes = "a\u{202e}b\u{2014}c\u{2070}d\u{600}".as_bytes();
        assert_eq!(
            run(Style::Text, &[&bytes[..2], &bytes[2..3], &bytes[3..]]),
            "a\\u{202e}b\u{2014}c\u{2070}d\u{600}"
        );
        assert_eq!(
            run(Style::Json, &["\"\u{202a}\"".as_bytes()]),
            "\"\\u202a\""
        );
        // The bytes spell exactly the marks `reorders_text` names (and the C1 controls).
        for c in (0x80..=0x2fff).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let escaped = matches!(
                escaped_char(c.encode_utf8(&mut buf).as_bytes()),
                Escaped::Yes(_)
            );
            assert_eq!(escaped, reorders_text(c) || c.is_control(), "{c:?}");
        }
        // A lead byte at the very end is written as is.
        let mut w = Sanitize::new(Vec::new(), Style::Text);
        w.write_all(b"x\xe2\x80").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner, b"x\xe2\x80");
    }

    #[test]
    fn a_write_longer_than_a_part_is_escaped_across_the_parts() {
        // A CR LF pair and a C1 control split by the part boundary, and a bare CR on it.
        let mut text = vec![b'a'; WRITE_PART - 1];
        text.extend_from_slice(b"\r\n");
        text.resize(2 * WRITE_PART - 1, b'b');
        text.extend_from_slice(b"\xc2\x9b");
        text.resize(3 * WRITE_PART - 1, b'c');
        text.extend_from_slice(b"\rd");
        let out = run(Style::Text, &[&text]);
        let expected = format!(
            "{}\r\n{}\\u{{9b}}{}\\rd",
            "a".repeat(WRITE_PART - 1),
            "b".repeat(WRITE_PART - 2),
            "c".repeat(WRITE_PART - 2)
        );
        assert_eq!(out, expected);
    }

    fn run_keyed(chunks: &[&[u8]]) -> String {
        let mut w = Sanitize::new(Vec::new(), Style::Text).with_color_key(Some("k3y"));
        for c in chunks {
            w.write_all(c).unwrap();
        }
        w.flush().unwrap();
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn only_keyed_colour_passes_even_split_across_writes() {
        assert_eq!(
            run_keyed(&[b"\x1bk3", b"y[31mred\x1bk3y[0m"]),
            "\x1b[31mred\x1b[0m"
        );
        // Unkeyed, a wrong key, a key cut short, or something else than SGR: escaped.
        assert_eq!(run_keyed(&[b"\x1b[31m"]), "\\x1b[31m");
        assert_eq!(run_keyed(&[b"\x1bk4y[31m"]), "\\x1bk4y[31m");
        assert_eq!(run_keyed(&[b"\x1bk3y[2J"]), "\\x1bk3y[2J");
        assert_eq!(run_keyed(&[b"\x1bk3"]), "\\x1bk3");
        assert_eq!(run_keyed(&[b"\x1bk3\x1bk3y[1m"]), "\\x1bk3\x1b[1m");
        assert_eq!(run_keyed(&[b"\x1bk3y[1\r"]), "\\x1bk3y[1\\r");
        assert_eq!(
            run(Style::Json, &["\"a\u{7f}b\u{9b}\"\n".as_bytes()]),
            "\"a\\u007fb\\u009b\"\n"
        );
    }
}
