//! A fast reader for the YAML that rendered manifests are made of, exact or silent.
//!
//! Rendered templates are almost always block mappings and sequences of one-line scalars,
//! `|` blocks for ConfigMap data, and the odd `[]` or `["sh", "-c"]`. serde-saphyr reads
//! them at about 20 MB/s, and YAML was half of a wide timeline's instructions
//! (docs/performance.md). This reader handles only that shape, and **declines** (returns
//! `None`) at the first thing outside it — anchors, aliases, tags, folded or indented block
//! headers, multi-line plain or quoted scalars, flow mappings, tabs, CR, unusual escapes,
//! duplicate or null-like keys, `---`/`...`/`%` lines, deep nesting, anything malformed —
//! so that [`manifest::parse_yaml`](crate::manifest::parse_yaml) hands the text to
//! serde-saphyr, which stays the definition: what this reader returns is what serde-saphyr
//! returns for the same text, with the options `manifest.rs` sets. The `yaml_fast_path`
//! fuzz target and the tests of this module compare the two on every input they try.
//!
//! Plain scalars are resolved by serde-saphyr's rules (YAML 1.1 booleans such as `yes` and
//! `off`, Helm's go-yaml v2 reading): null, then boolean, then integer, then float, else a
//! string. This reader resolves the common spellings itself and declines the rest.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// Texts longer than this go to serde-saphyr, whose node and byte budgets then apply.
const MAX_TEXT: usize = 4 * 1024 * 1024;
/// Keys longer than this go to serde-saphyr: YAML limits a key on its value's line (an
/// implicit key) to 1,024 characters.
const MAX_KEY: usize = 512;
/// Nesting deeper than this goes to serde-saphyr, whose depth limit (64) then applies.
const MAX_DEPTH: usize = 48;

/// Parse `text` as one YAML document, or `None` when it is not of the shape this reader
/// knows (see the module's documentation). `Some` is always what serde-saphyr returns.
pub fn parse(text: &str) -> Option<Value> {
    if text.len() > MAX_TEXT || !plain_characters(text) {
        return None;
    }
    let mut reader = Reader {
        lines: lines(text),
        next: 0,
    };
    let first = match reader.peek() {
        // Only comments (a template that rendered nothing but its `# Source:` line).
        Ok(None) => return Some(Value::Null),
        Ok(Some(line)) => line,
        Err(Declined) => return None,
    };
    reader.advance();
    let value = reader.block(first, 0)?;
    // Anything left over (a line less indented than the document, say) is serde-saphyr's.
    matches!(reader.peek(), Ok(None)).then_some(value)
}

/// The text split at every `\n` (as `str::split`), found with memchr's vector search. The
/// slices cannot fall inside a character: `\n` is a byte no longer UTF-8 character contains.
fn lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::with_capacity(text.len() / 16);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(&text[start..end]);
        start = end + 1;
    }
    lines.push(&text[start..]);
    lines
}

/// Whether the text has only characters this reader passes through unchanged: no tab, no CR,
/// no control character, no byte-order mark or Unicode line separator (YAML gives those
/// meanings or rejects them).
fn plain_characters(text: &str) -> bool {
    // Tested a block at a time without stopping early, so that the test is vectorised: one
    // byte at a time was ~1% of a scan's instructions.
    let unusual = |b: u8| (b < 0x20 && b != b'\n') || b == 0x7f;
    let clean = |block: &[u8]| !block.iter().fold(false, |found, &b| found | unusual(b));
    if !text.as_bytes().chunks(64).all(clean) {
        return false;
    }
    if text.is_ascii() {
        return true;
    }
    !text.chars().any(|c| {
        matches!(
            c,
            '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    })
}

/// A line's content after its indentation, without trailing spaces.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    /// The next raw line to read.
    next: usize,
}

impl<'a> Reader<'a> {
    /// The next line that holds something, skipping blank and comment lines, without
    /// consuming it. `Err` for a line this reader declines wherever it appears.
    fn peek(&mut self) -> Result<Option<Line<'a>>, Declined> {
        while let Some(raw) = self.lines.get(self.next) {
            let text = raw.trim_start_matches(' ');
            let indent = raw.len() - text.len();
            if text.is_empty() || text.starts_with('#') {
                self.next += 1;
                continue;
            }
            if indent == 0
                && (text.starts_with("---") || text.starts_with("...") || text.starts_with('%'))
            {
                return Err(Declined);
            }
            return Ok(Some(Line {
                indent,
                text: text.trim_end_matches(' '),
            }));
        }
        Ok(None)
    }

    /// Consume the line [`peek`](Self::peek) returned.
    fn advance(&mut self) {
        self.next += 1;
    }

    /// The next line after a node at `indent`: `Ok(Some(line))` when it is at `indent` (the
    /// node may go on with it), `Ok(None)` when it is less indented or there is none (the
    /// node ends), `Err` when it is deeper (a continuation this reader does not read, or an
    /// error).
    fn next_at(&mut self, indent: usize) -> Result<Option<Line<'a>>, Declined> {
        match self.peek()? {
            Some(line) if line.indent > indent => Err(Declined),
            Some(line) if line.indent == indent => Ok(Some(line)),
            _ => Ok(None),
        }
    }

    /// A block node starting at `line` (already consumed): a sequence or a mapping.
    fn block(&mut self, line: Line<'a>, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        if is_entry(line.text) {
            self.sequence(line, depth)
        } else {
            self.mapping(line, depth)
        }
    }

    /// A block sequence whose first entry is `line`.
    fn sequence(&mut self, mut line: Line<'a>, depth: usize) -> Option<Value> {
        let indent = line.indent;
        let mut items = Vec::new();
        loop {
            let after_dash = &line.text[1..];
            let rest = after_dash.trim_start_matches(' ');
            let item = if rest.is_empty() || rest.starts_with('#') {
                self.nested_or_null(indent, depth)?
            } else {
                let column = indent + 1 + (after_dash.len() - rest.len());
                let inner = Line {
                    indent: column,
                    text: rest,
                };
                if starts_block(rest) {
                    self.block(inner, depth + 1)?
                } else {
                    self.scalar(rest, indent)?
                }
            };
            items.push(item);
            match self.next_at(indent).ok()? {
                Some(next) if is_entry(next.text) => {
                    self.advance();
                    line = next;
                }
                _ => return Some(Value::Array(items)),
            }
        }
    }

    /// A block mapping whose first entry is `line`.
    fn mapping(&mut self, mut line: Line<'a>, depth: usize) -> Option<Value> {
        let indent = line.indent;
        let mut map = Map::new();
        loop {
            let (key, rest) = key_of(line.text)?;
            if map.contains_key(key.as_ref()) {
                // serde-saphyr's duplicate-key policy decides.
                return None;
            }
            let rest = rest.trim_start_matches(' ');
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.mapping_value_below(indent, depth)?
            } else {
                self.scalar(rest, indent)?
            };
            map.insert(key.into_owned(), value);
            match self.next_at(indent).ok()? {
                // A sequence entry after a scalar value at the keys' indentation is an error.
                Some(next) if is_entry(next.text) => return None,
                Some(next) => {
                    self.advance();
                    line = next;
                }
                None => return Some(Value::Object(map)),
            }
        }
    }

    /// The value of `key:` with nothing after it: a node on the lines below, a sequence at
    /// the key's own indentation (`key:` then `- item`), or null.
    fn mapping_value_below(&mut self, indent: usize, depth: usize) -> Option<Value> {
        match self.peek().ok()? {
            Some(next) if next.indent == indent && is_entry(next.text) => {
                self.advance();
                self.sequence(next, depth + 1)
            }
            _ => self.nested_or_null(indent, depth),
        }
    }

    /// A block node indented deeper than `indent` on the lines below, or null.
    fn nested_or_null(&mut self, indent: usize, depth: usize) -> Option<Value> {
        match self.peek().ok()? {
            Some(next) if next.indent > indent => {
                self.advance();
                if next.text.starts_with(['{', '[']) {
                    // `key:` then `{}` below it, as `toYaml` of an empty map renders.
                    return self.scalar(next.text, indent);
                }
                if !starts_block(next.text) {
                    // A scalar on its own line (or a multi-line one).
                    return None;
                }
                self.block(next, depth + 1)
            }
            _ => Some(Value::Null),
        }
    }

    /// A scalar that starts a value on its key's or dash's line. `parent` is the
    /// indentation of the mapping or sequence it belongs to.
    fn scalar(&mut self, text: &'a str, parent: usize) -> Option<Value> {
        let value = match text.as_bytes().first()? {
            b'"' | b'\'' => {
                let (value, rest) = quoted(text)?;
                end_of_line(rest)?;
                Value::String(value)
            }
            b'|' => return self.literal(&text[1..], parent),
            b'[' => flow_sequence(&text[1..])?,
            b'{' => {
                end_of_line(text[1..].trim_start_matches(' ').strip_prefix('}')?)?;
                Value::Object(Map::new())
            }
            _ => {
                let plain = plain_in_block(text)?;
                resolve_plain(plain)?
            }
        };
        Some(value)
    }

    /// A literal block scalar (`|` or `|-`), its header after the `|` being `header`.
    fn literal(&mut self, header: &str, parent: usize) -> Option<Value> {
        let (strip, rest) = match header.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, header),
        };
        // `|+`, an indentation digit, or anything else but a comment: serde-saphyr's.
        end_of_line(rest)?;
        let mut out = String::new();
        let mut content_indent = None;
        let mut widest_leading_blank = 0;
        let mut blanks = 0;
        let mut index = self.next;
        while let Some(raw) = self.lines.get(index) {
            let spaces = raw.len() - raw.trim_start_matches(' ').len();
            // A line of spaces is blank, unless it has spaces beyond the indentation: those
            // are text (rendered config files often have such lines).
            let text_beyond = content_indent.is_some_and(|m| spaces > m);
            if spaces == raw.len() && !text_beyond {
                if content_indent.is_none() {
                    widest_leading_blank = widest_leading_blank.max(spaces);
                }
                blanks += 1;
                index += 1;
                continue;
            }
            let m = match content_indent {
                Some(m) if spaces < m => break,
                Some(m) => m,
                None => {
                    if spaces <= parent || widest_leading_blank > spaces {
                        // An empty block scalar, or a leading blank line wider than the text.
                        return None;
                    }
                    content_indent = Some(spaces);
                    spaces
                }
            };
            for _ in 0..blanks {
                out.push('\n');
            }
            blanks = 0;
            out.push_str(&raw[m..]);
            out.push('\n');
            index += 1;
        }
        // No content line: an empty block scalar. A text that ends right after the last
        // content line still clips to one line break, as serde-saphyr reads it.
        content_indent?;
        if strip {
            out.pop();
        }
        self.next = index;
        Some(Value::String(out))
    }
}

/// A line this reader does not read.
struct Declined;

/// Whether a line's content is a block sequence entry: `-` then a space or nothing.
fn is_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Whether a line's content starts a block node: a sequence entry, or a mapping entry with a
/// key this reader reads.
fn starts_block(text: &str) -> bool {
    is_entry(text) || key_of(text).is_some()
}

/// Whether the rest of a line after a value is empty or a comment.
fn end_of_line(rest: &str) -> Option<()> {
    let trimmed = rest.trim_start_matches(' ');
    // A comment needs a space before its `#`.
    (rest.is_empty() || rest.starts_with(' ') && (trimmed.is_empty() || trimmed.starts_with('#')))
        .then_some(())
}

/// Split a mapping entry into its key and what follows the `:`, or `None` when the line is
/// not an entry with a key this reader reads.
fn key_of(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let first = *text.as_bytes().first()?;
    if first == b'"' || first == b'\'' {
        let (key, rest) = quoted(text)?;
        let after = rest.strip_prefix(':')?;
        // A quoted `<<` is text to YAML, but which serde-saphyr merges is its business.
        if text.len() - after.len() > MAX_KEY
            || key == "<<"
            || !(after.is_empty() || after.starts_with(' '))
        {
            return None;
        }
        return Some((Cow::Owned(key), after));
    }
    if is_indicator(first) || first == b' ' {
        return None;
    }
    let bytes = text.as_bytes();
    let mut colon = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => {
                colon = Some(i);
                break;
            }
            b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
            _ => {}
        }
    }
    let colon = colon?;
    if colon > MAX_KEY {
        return None;
    }
    let key = &text[..colon];
    // Keys are their text in a `Value`, but serde-saphyr finds duplicates by what keys
    // resolve to (`11` and `0xb` are one key), so only keys that are text are read here.
    // A null key is an error, `<<` merges, and a space before the colon is trimmed.
    if key.ends_with(' ') || key == "<<" || classify(key) != Plain::Text {
        return None;
    }
    Some((Cow::Borrowed(key), &text[colon + 1..]))
}

/// YAML's indicators, which cannot start a plain scalar here (`-`, `?` and `:` can, before
/// a non-space; this reader declines those too).
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// A plain scalar in block context, from its first character to the end of the line or a
/// comment; `None` for one this reader declines.
fn plain_in_block(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    // `-` starts a plain scalar before a non-space (`-1`, `--port=80`); `- x` is an entry.
    if is_indicator(first) && !(first == b'-' && bytes.get(1).is_some_and(|&b| b != b' ')) {
        return None;
    }
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'#' if i > 0 && bytes[i - 1] == b' ' => {
                end = i;
                break;
            }
            // `a: b: c` is an error, and a trailing `:` starts a mapping.
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => return None,
            _ => {}
        }
    }
    Some(text[..end].trim_end_matches(' '))
}

/// A one-line flow sequence of scalars, after its `[`.
fn flow_sequence(mut text: &str) -> Option<Value> {
    let mut items = Vec::new();
    text = text.trim_start_matches(' ');
    if let Some(rest) = text.strip_prefix(']') {
        end_of_line(rest)?;
        return Some(Value::Array(items));
    }
    loop {
        let (item, rest) = match text.as_bytes().first()? {
            b'"' | b'\'' => {
                let (value, rest) = quoted(text)?;
                (Value::String(value), rest)
            }
            &first => {
                if is_indicator(first) {
                    return None;
                }
                let end = text.find([',', ']'])?;
                let plain = text[..end].trim_end_matches(' ');
                // `[a: b]` is a mapping, `#` may start a comment, brackets nest.
                if plain.contains([':', '#', '[', '{', '}']) {
                    return None;
                }
                (resolve_plain(plain)?, &text[end..])
            }
        };
        items.push(item);
        let rest = rest.trim_start_matches(' ');
        match rest.as_bytes().first()? {
            b',' => {
                text = rest[1..].trim_start_matches(' ');
                if text.starts_with(']') || text.starts_with(',') || text.is_empty() {
                    return None;
                }
            }
            b']' => {
                end_of_line(&rest[1..])?;
                return Some(Value::Array(items));
            }
            _ => return None,
        }
    }
}

/// A quoted scalar (`"…"` or `'…'`) that ends on its line: its value and what follows the
/// closing quote; `None` for text that does not start with a quote, or one declined.
fn quoted(text: &str) -> Option<(String, &str)> {
    match text.as_bytes().first()? {
        b'"' => double_quoted(text),
        b'\'' => single_quoted(text),
        _ => None,
    }
}

/// A double-quoted scalar that ends on its line: its value and what follows the quote.
fn double_quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => {
                let (_, escaped) = chars.next()?;
                out.push(match escaped {
                    '\\' => '\\',
                    '"' => '"',
                    '/' => '/',
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    _ => return None,
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// A single-quoted scalar that ends on its line: its value and what follows the quote.
fn single_quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('\'')?;
    let mut out = String::new();
    let mut start = 0;
    loop {
        let quote = start + body[start..].find('\'')?;
        out.push_str(&body[start..quote]);
        if body[quote + 1..].starts_with('\'') {
            out.push('\'');
            start = quote + 2;
        } else {
            return Some((out, &body[quote + 1..]));
        }
    }
}

/// What a plain scalar resolves to, by serde-saphyr's resolution for an untyped target: null,
/// then a YAML 1.1 boolean, then an integer, then a float, else the text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text,
    /// A numeric spelling this reader leaves to serde-saphyr (exponents, radix prefixes, `+`,
    /// underscores, leading zeros, overflow, `.5`, `.inf`).
    Declined,
}

fn classify(text: &str) -> Plain {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Plain::Null;
    }
    for (word, value) in [
        ("true", true),
        ("yes", true),
        ("y", true),
        ("on", true),
        ("false", false),
        ("no", false),
        ("n", false),
        ("off", false),
    ] {
        if text.eq_ignore_ascii_case(word) {
            return Plain::Bool(value);
        }
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        // Not an integer; a float only as `.5`, `.inf`, `.nan` and their signed forms.
        let float_like = unsigned.starts_with('.')
            && (unsigned.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
                || matches!(
                    &unsigned[1..],
                    "nan" | "NaN" | "NAN" | "inf" | "Inf" | "INF"
                ));
        return if float_like {
            Plain::Declined
        } else {
            Plain::Text
        };
    }
    if text.starts_with('+') {
        return Plain::Declined;
    }
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if decimal(unsigned) && unsigned.len() <= 18 && (unsigned == "0" || !unsigned.starts_with('0'))
    {
        return text.parse().map_or(Plain::Declined, Plain::Int);
    }
    // A decimal fraction is a float, read as serde-saphyr reads it (Rust's `f64` parse).
    if let Some((whole, fraction)) = unsigned.split_once('.')
        && decimal(whole)
        && (fraction.is_empty() || decimal(fraction))
    {
        return match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Plain::Float(v),
            _ => Plain::Declined,
        };
    }
    // Everything else that starts with a digit: text unless it could be a number.
    let could_be_number = text.parse::<f64>().is_ok()
        || text.contains('_')
        || unsigned.len() > 1
            && matches!(
                unsigned.as_bytes()[1],
                b'x' | b'X' | b'o' | b'O' | b'b' | b'B'
            );
    if could_be_number {
        Plain::Declined
    } else {
        Plain::Text
    }
}

/// A plain scalar's value (see [`classify`]), or `None` for one left to serde-saphyr.
fn resolve_plain(text: &str) -> Option<Value> {
    Some(match classify(text) {
        Plain::Null => Value::Null,
        Plain::Bool(b) => Value::Bool(b),
        Plain::Int(i) => Value::from(i),
        Plain::Float(f) => Value::from(f),
        Plain::Text => Value::String(text.to_owned()),
        Plain::Declined => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_yaml_general;

    /// Documents of the shape rendered manifests have: read here, exactly as serde-saphyr.
    const READ: &[&str] = &[
        "# Source: web/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app.kubernetes.io/name: web # trailing comment\n    helm.sh/chart: \"web-1.2.3\"\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        args:\n          - --port=8080\n          - -v\n        ports:\n        - containerPort: 8080\n          protocol: TCP\n        resources:\n          limits: {}\n          requests:\n            cpu: 100m\n            memory: 128Mi\n        command: [\"sh\", \"-c\", 'echo it''s']\n",
        "data:\n  app.properties: |\n    a = 1\n\n    b = 2\n      indented\n  # a comment between keys\n  script: |-\n    #!/bin/sh\n    echo hi\n\n\n  last: x\n",
        "data:\n  tail: |\n    no line break at the end",
        "data:\n  tail: |-\n    stripped\n    lines",
        "data:\n  lead: |\n\n    after a blank line\n",
        "a: |\n  x\n    \n  y\n      \nb: |-\n  x\n    \n\nc: |\n  x\n    \n  \n",
        "a: |\n  ends with spaces\n    ",
        "- - a\n  - b\n- c: 1\n  d:\n  - e\n-\n  f: g\n- # comment\n  h: i\n-\n",
        "a:\n- 1\n- 2\nb: []\nc: [x, 1, true, ~, 'q', \"w\"]\n",
        "securityContext:\n  {}\nresources:\n    {}\nlist:\n  - [a, b]\nempty:\n  []\n",
        "\"quoted key\": 1\n'single': 2\n\"true\": 3\n'1': 4\nhttp://x: 5\n",
        "v1: ---\nv2: ...\nv3: -1\nv4: -0\nv5: 0\nv6: 1.5\nv7: -2.25\nv8: 12:30\nv9: 1.2.3\nv10: 2024-01-02\nv11: a#b\nv12: \"a\\\"b\\\\c\\n\\t/\"\nv13: inf\nv14: -foo\nv15: =\nv16: 'x'   # c\nv17: yes\nv18: Off\nv19: N\nv20: NULL\nv21:\nv22: café ✓\nv23: 123456789012345678\n",
        "  indented: document\n  second: key\n",
        "# Source: chart/templates/pdb.yaml\n# PDB is not supported for DaemonSets.\n\n  # indented\n",
        "",
    ];

    #[test]
    fn lines_are_what_str_split_gives() {
        for text in READ
            .iter()
            .chain(["", "\n", "a", "a\n\nb\n", "é\n✓"].iter())
        {
            assert_eq!(
                lines(text),
                text.split('\n').collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn unusual_characters_are_found_in_any_block() {
        for at in [0, 1, 63, 64, 65, 200] {
            for unusual in ["\t", "\r", "\u{7f}", "\u{0}"] {
                let mut text = "a".repeat(201);
                text.replace_range(at..=at, unusual);
                assert!(!plain_characters(&text), "{unusual:?} at {at}");
            }
        }
        assert!(plain_characters(&"ab\n".repeat(100)));
    }

    /// Everything next to that shape: left to serde-saphyr.
    const DECLINED: &[&str] = &[
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: >\n  folded\n",
        "a: |+\n  kept\n\n",
        "a: |2\n    indented\n",
        "a: plain\n  continued\n",
        "a: \"multi\n  line\"\n",
        "a: {b: 1}\n",
        "a: [b,\n  c]\n",
        "a:\n  {}\n  b: 1\n",
        "a:\n  {b: 1}\n",
        "a:\tb\n",
        "a: b\r\nc: d\r\n",
        "a: 1\na: 2\n",
        "~: x\n",
        "true: x\n",
        "11: a\n0xb: b\n",
        "<<: {a: 1}\n",
        "\"<<\": 1\n",
        "---\na: 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "just a scalar\n",
        "a: 1e3\n",
        "a: 0x1F\n",
        "a: 1_000\n",
        "a: +1\n",
        "a: .5\n",
        "a: .inf\n",
        "a: 0755\n",
        "a: 1234567890123456789\n",
        "a: \"\\u0041\"\n",
        "a: |\nb: 1\n",
        "a: |\n    \n  x\n",
        "a:\n  b: 1\n c: 2\n",
        "a: b: c\n",
        "a: - x\n",
        "- a\n  b\n",
        "a: 1\n- b\n",
        "a:\n  scalar on its own line\n",
        "? complex\n: key\n",
        "a: 'unterminated\n",
        "a: x\u{85}y\n",
        "a: [b, ]\n",
        "a: \"x\" y\n",
    ];

    #[test]
    fn the_shape_of_rendered_manifests_is_read_exactly_as_serde_saphyr_reads_it() {
        for doc in READ {
            let fast = parse(doc).unwrap_or_else(|| panic!("declined {doc:?}"));
            assert_eq!(parse_yaml_general(doc), Ok(fast), "{doc:?}");
        }
    }

    #[test]
    fn everything_else_is_left_to_serde_saphyr() {
        for doc in DECLINED {
            assert_eq!(parse(doc), None, "{doc:?}");
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_left_to_serde_saphyr() {
        let deep = |levels: usize| {
            (0..levels)
                .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
                .collect::<String>()
        };
        assert!(parse(&deep(MAX_DEPTH)).is_some());
        assert_eq!(parse(&deep(MAX_DEPTH + 2)), None);
    }

    #[test]
    fn keys_longer_than_yaml_allows_on_one_line_are_left_to_serde_saphyr() {
        for key in ["k".repeat(1_100), format!("'{}'", "k".repeat(1_100))] {
            let doc = format!("{key}: 1\n");
            assert_eq!(parse(&doc), None);
            assert!(
                parse_yaml_general(&doc).is_err(),
                "an implicit key is at most 1,024 characters"
            );
        }
    }

    /// Documents assembled from pieces of both lists, then damaged at random (a character
    /// inserted or removed, a line's indentation moved): whenever the fast reader answers,
    /// serde-saphyr answers the same.
    #[test]
    fn on_assembled_and_damaged_documents_the_reader_answers_only_as_serde_saphyr_does() {
        const KEYS: &[&str] = &[
            "a", "b: ", "\"q k\"", "'s'", "true", "1", "x.y/z", "~", "<<",
        ];
        const SCALARS: &[&str] = &[
            "1",
            "-1",
            "0",
            "00",
            "1.5",
            "1e3",
            "yes",
            "No",
            "null",
            "~",
            "",
            "x y",
            "a#b",
            "b # c",
            "'q'",
            "'it''s'",
            "\"d\\n\"",
            "\"\\x41\"",
            "[]",
            "{}",
            "[a, 'b', 1]",
            "[a: b]",
            "--x",
            "-",
            "- x",
            "&a x",
            "*a",
            "!t x",
            ">",
            "|",
            "|-",
            "|+",
            ":x",
            "12:30",
            "1.2.3",
            ".5",
            "+1",
            "0x1f",
            "1_0",
            "café",
        ];
        const DAMAGE: &[u8] = b" -:#'\"\n|[]{}&*!?\\\t";
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let (mut read, mut total) = (0, 0);
        for _ in 0..10_000 {
            let mut doc = String::new();
            // The indentations of the open mappings: a key nests, a pop returns to one.
            let mut open = vec![0];
            for n in 0..1 + next(8) {
                let indent = *open.last().unwrap_or(&0);
                let pad = " ".repeat(indent);
                let key = match next(4) {
                    0 => KEYS[next(KEYS.len())].to_owned(),
                    _ => format!("k{n}"),
                };
                match next(6) {
                    0 => {
                        doc.push_str(&format!("{pad}{key}:\n"));
                        open.push(indent + 1 + next(3));
                    }
                    1 => doc.push_str(&format!("{pad}- {}\n", SCALARS[next(SCALARS.len())])),
                    2 => doc.push_str(&format!("{pad}{key}: |\n{pad}  line one\n\n{pad}  two\n")),
                    3 if open.len() > 1 => {
                        open.pop();
                    }
                    4 => doc.push_str(&format!("{pad}# comment\n")),
                    _ => doc.push_str(&format!("{pad}{key}: {}\n", SCALARS[next(SCALARS.len())])),
                }
            }
            let mut doc = doc.into_bytes();
            for _ in 0..next(4).saturating_sub(1) {
                let at = next(doc.len() + 1);
                match next(3) {
                    0 if at < doc.len() => {
                        doc.remove(at);
                    }
                    _ => doc.insert(at, DAMAGE[next(DAMAGE.len())]),
                }
            }
            let Ok(doc) = String::from_utf8(doc) else {
                continue;
            };
            total += 1;
            if let Some(fast) = parse(&doc) {
                read += 1;
                assert_eq!(parse_yaml_general(&doc), Ok(fast), "{doc:?}");
            }
        }
        // The comparison means something only if both kinds of answer occur often (most
        // declines are of pieces from the declined list, or of damage).
        assert!(
            read > total / 10 && read < total * 9 / 10,
            "read {read} of {total}"
        );
    }
}
