//! Splitting a JSON `v1 List` into the text of each of its items while reading it.
//!
//! Parsing a 137 MB List into `serde_json::Value`s on the thread that reads it took most of
//! the time of a question about one release (the reader's bytes go one by one through
//! `serde_json`'s `IoRead`). Here the reader only finds where each item of `items` begins and
//! ends — strings (with their escapes) and brackets, the strings skipped with `memchr` — and
//! hands the item's bytes on; the item is then parsed from a slice, borrowing its strings, on
//! another thread. Only the structure is checked here: serde_json checks each item's text.

use std::io::BufRead;

/// A List that is not well-formed JSON, in serde_json's words and positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitError {
    what: &'static str,
    line: usize,
    column: usize,
    io: Option<String>,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.io {
            Some(e) => write!(f, "{e}"),
            None => write!(
                f,
                "{} at line {} column {}",
                self.what, self.line, self.column
            ),
        }
    }
}

/// Where the top-level object's reading is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `{`, or between the keys that come before `items`.
    Keys,
    /// Inside the `items` array; `first` until an item was handed over.
    Items { first: bool },
    /// The top-level object is read (and nothing follows it).
    Done,
}

/// Reads a JSON object from `reader`, handing over each element of its `items` array as
/// bytes ([`ListSplitter::next_item`]); the text of the object outside `items` is kept only
/// until `items` is found, for an object that has none ([`ListSplitter::finish`]).
pub(crate) struct ListSplitter<R> {
    reader: R,
    line: usize,
    /// Bytes read since the last newline.
    column: usize,
    state: State,
    /// Whether an `items` array was found.
    found_items: bool,
    /// The bytes read while `capture` is on: the object's text while no `items` is found.
    captured: Vec<u8>,
    capture: bool,
    /// Whether the object's `{` was read.
    opened: bool,
    /// The size of the last item, which the next one starts with room for: the items of a
    /// List of release records are much alike, and a buffer grown from nothing copied each
    /// item about twice over.
    item_hint: usize,
}

/// The most room an item starts with ([`ListSplitter::item_hint`]): one large item must not
/// make every small one after it allocate as much.
const MAX_ITEM_HINT: usize = 1 << 20;

/// Where [`ListSplitter::copy_value`] puts the bytes of the value it reads past.
enum Sink<'o> {
    /// Keep them (an item).
    Keep(&'o mut Vec<u8>),
    /// Only check them (a key other than `items`).
    Drop,
}

impl<R: BufRead> ListSplitter<R> {
    pub(crate) fn new(reader: R) -> Self {
        ListSplitter {
            reader,
            line: 1,
            column: 0,
            state: State::Keys,
            found_items: false,
            captured: Vec::new(),
            capture: true,
            opened: false,
            item_hint: 0,
        }
    }

    /// The next item's text; `None` once `items` is over (or when the object has none).
    pub(crate) fn next_item(&mut self) -> Result<Option<Vec<u8>>, SplitError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Keys => self.keys()?,
                State::Items { first } => {
                    self.skip_whitespace()?;
                    match self.peek()? {
                        Some(b']') => {
                            self.advance(1, None);
                            self.state = State::Keys;
                            self.after_value()?;
                            continue;
                        }
                        Some(b',') if !first => {
                            self.advance(1, None);
                            self.skip_whitespace()?;
                        }
                        Some(_) if first => {}
                        Some(_) => return Err(self.error("expected `,` or `]`")),
                        None => return Err(self.eof("EOF while parsing a list")),
                    }
                    if self.peek()? == Some(b']') {
                        // `[1,]`
                        return Err(self.error("trailing comma"));
                    }
                    let mut item = Vec::with_capacity(self.item_hint);
                    self.copy_value(Sink::Keep(&mut item))?;
                    // A little more: the next revision of a release is often a little larger.
                    self.item_hint = (item.len() + item.len() / 4).min(MAX_ITEM_HINT);
                    self.state = State::Items { first: false };
                    return Ok(Some(item));
                }
            }
        }
    }

    /// Read to the end of the object (after [`ListSplitter::next_item`] gave `None`) and of
    /// the input. Returns the object's text when it has no `items` array: it is one record
    /// (a Secret, a release, a SQL row), to be parsed whole.
    pub(crate) fn finish(mut self) -> Result<Option<Vec<u8>>, SplitError> {
        while self.next_item()?.is_some() {}
        self.skip_whitespace()?;
        if self.peek()?.is_some() {
            return Err(self.error("trailing characters"));
        }
        Ok((!self.found_items).then_some(self.captured))
    }

    /// Read keys and their values until `items`' array opens (state `Items`) or the object
    /// ends (state `Done`).
    fn keys(&mut self) -> Result<(), SplitError> {
        self.skip_whitespace()?;
        if !self.opened {
            // The very start: `{`, then an empty object or the first key.
            self.opened = true;
            match self.peek()? {
                Some(b'{') => self.advance(1, None),
                Some(_) => return Err(self.error("expected value")),
                None => return Err(self.eof("EOF while parsing a value")),
            }
            self.skip_whitespace()?;
            if self.peek()? == Some(b'}') {
                self.advance(1, None);
                self.state = State::Done;
                return Ok(());
            }
        }
        match self.peek()? {
            Some(b'"') => {}
            Some(_) => return Err(self.error("key must be a string")),
            None => return Err(self.eof("EOF while parsing an object")),
        }
        let mut key = Vec::new();
        self.copy_value(Sink::Keep(&mut key))?;
        self.skip_whitespace()?;
        match self.peek()? {
            Some(b':') => self.advance(1, None),
            Some(_) => return Err(self.error("expected `:`")),
            None => return Err(self.eof("EOF while parsing an object")),
        }
        self.skip_whitespace()?;
        if key == b"\"items\"" && !self.found_items && self.peek()? == Some(b'[') {
            self.advance(1, None);
            self.found_items = true;
            // A List: the rest of the object is never needed.
            self.capture = false;
            self.captured = Vec::new();
            self.state = State::Items { first: true };
            return Ok(());
        }
        self.copy_value(Sink::Drop)?;
        self.after_value()
    }

    /// After a value of the top-level object: `,` and the next key, or `}` and the end.
    fn after_value(&mut self) -> Result<(), SplitError> {
        self.skip_whitespace()?;
        match self.peek()? {
            Some(b',') => {
                self.advance(1, None);
                Ok(())
            }
            Some(b'}') => {
                self.advance(1, None);
                self.state = State::Done;
                Ok(())
            }
            Some(_) => Err(self.error("expected `,` or `}`")),
            None => Err(self.eof("EOF while parsing an object")),
        }
    }

    /// Read past one JSON value (a string, an object, an array or a scalar), checking that
    /// its strings end and its brackets match, into `sink`.
    fn copy_value(&mut self, mut sink: Sink<'_>) -> Result<(), SplitError> {
        // The closing brackets expected, innermost last.
        let mut open: Vec<u8> = Vec::new();
        let mut in_string = false;
        let mut escaped = false;
        let mut scalar = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(&e)),
            };
            if buf.is_empty() {
                return match (in_string, open.last(), scalar) {
                    (true, _, _) => Err(self.eof("EOF while parsing a string")),
                    (false, Some(b'}'), _) => Err(self.eof("EOF while parsing an object")),
                    (false, Some(_), _) => Err(self.eof("EOF while parsing a list")),
                    // A number or literal that ends the input: the caller reports what
                    // should have followed it.
                    (false, None, true) => Ok(()),
                    (false, None, false) => Err(self.eof("EOF while parsing a value")),
                };
            }
            // How many bytes of `buf` belong to the value, and whether it ends there.
            let (taken, done) = if in_string {
                if escaped {
                    escaped = false;
                    (1, false)
                } else {
                    match memchr::memchr2(b'"', b'\\', buf) {
                        None => (buf.len(), false),
                        Some(i) if buf[i] == b'\\' => {
                            escaped = true;
                            (i + 1, false)
                        }
                        Some(i) => {
                            in_string = false;
                            (i + 1, open.is_empty())
                        }
                    }
                }
            } else {
                let mut end = None;
                let mut mismatch: Option<&'static str> = None;
                for (i, &b) in buf.iter().enumerate() {
                    match b {
                        b'"' if !scalar => {
                            in_string = true;
                            end = Some((i + 1, false));
                        }
                        b'{' if !scalar => open.push(b'}'),
                        b'[' if !scalar => open.push(b']'),
                        b'}' | b']' if !open.is_empty() => {
                            let expected = open.pop();
                            if expected != Some(b) {
                                mismatch = Some(if expected == Some(b']') {
                                    "expected `,` or `]`"
                                } else {
                                    "expected `,` or `}`"
                                });
                                end = Some((i, false));
                            } else if open.is_empty() {
                                end = Some((i + 1, true));
                            }
                        }
                        // A number or literal at the top ends at what follows it.
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n' if open.is_empty() => {
                            if scalar {
                                end = Some((i, true));
                            } else if b == b',' || b == b'}' || b == b']' {
                                mismatch = Some("expected value");
                                end = Some((i, false));
                            } else {
                                continue;
                            }
                        }
                        _ if open.is_empty() => scalar = true,
                        _ => {}
                    }
                    if end.is_some() {
                        break;
                    }
                }
                if let Some(what) = mismatch {
                    let (i, _) = end.unwrap_or((0, false));
                    self.advance(i, Some(&mut sink));
                    return Err(self.error(what));
                }
                end.unwrap_or((buf.len(), false))
            };
            self.advance(taken, Some(&mut sink));
            if done {
                return Ok(());
            }
        }
    }

    /// Skip white space.
    fn skip_whitespace(&mut self) -> Result<(), SplitError> {
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(&e)),
            };
            let n = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            if n == 0 {
                return Ok(());
            }
            self.advance(n, None);
        }
    }

    /// The next byte, not consumed.
    fn peek(&mut self) -> Result<Option<u8>, SplitError> {
        loop {
            match self.reader.fill_buf() {
                Ok(b) => return Ok(b.first().copied()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(&e)),
            }
        }
    }

    /// Consume `n` bytes of the buffer (which holds at least `n`), counting lines, keeping
    /// them in `sink` and, while capturing, in the object's text.
    fn advance(&mut self, n: usize, sink: Option<&mut Sink<'_>>) {
        if n == 0 {
            return;
        }
        // `fill_buf` returns what is buffered without reading again.
        let Ok(buf) = self.reader.fill_buf() else {
            return;
        };
        let bytes = &buf[..n.min(buf.len())];
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.column = bytes.len() - last - 1;
            }
            None => self.column += bytes.len(),
        }
        if let Some(Sink::Keep(out)) = sink {
            out.extend_from_slice(bytes);
        }
        if self.capture {
            self.captured.extend_from_slice(bytes);
        }
        let n = bytes.len();
        self.reader.consume(n);
    }

    fn error(&self, what: &'static str) -> SplitError {
        SplitError {
            what,
            line: self.line,
            column: self.column + 1,
            io: None,
        }
    }

    /// At the end of the input serde_json gives the bytes read on the line as the column.
    fn eof(&self, what: &'static str) -> SplitError {
        SplitError {
            column: self.column,
            ..self.error(what)
        }
    }

    fn io_error(&self, e: &std::io::Error) -> SplitError {
        SplitError {
            what: "",
            line: self.line,
            column: self.column,
            io: Some(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item's text, then what `finish` gives, read through a tiny buffer so that
    /// strings, escapes and brackets straddle buffer ends.
    fn split(text: &str, capacity: usize) -> Result<(Vec<String>, Option<String>), String> {
        let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
        let mut s = ListSplitter::new(reader);
        let mut items = Vec::new();
        while let Some(item) = s.next_item().map_err(|e| e.to_string())? {
            items.push(String::from_utf8(item).map_err(|e| e.to_string())?);
        }
        let rest = s.finish().map_err(|e| e.to_string())?;
        Ok((
            items,
            rest.map(|r| String::from_utf8_lossy(&r).into_owned()),
        ))
    }

    #[test]
    fn items_are_split_whatever_the_buffer_size() {
        let text = r#"{"apiVersion": "v1", "items": [
            {"a": "x\"]}", "b": [1, {"c": "\\"}]},
            "payload",
            12.5e3 ,
            true,
            [] ],
            "kind": "List", "metadata": {"resourceVersion": ""}}
        "#;
        for capacity in [1, 2, 3, 7, 64, 1 << 16] {
            let (items, rest) = split(text, capacity).unwrap();
            assert_eq!(
                items,
                [
                    r#"{"a": "x\"]}", "b": [1, {"c": "\\"}]}"#,
                    r#""payload""#,
                    "12.5e3",
                    "true",
                    "[]"
                ],
                "buffer of {capacity}"
            );
            assert_eq!(rest, None);
        }
    }

    #[test]
    fn an_object_without_items_is_given_back_whole() {
        let text = r#" {"kind": "Secret", "items": "not an array", "data": {"release": "H4s"}} "#;
        for capacity in [1, 5, 1024] {
            let (items, rest) = split(text, capacity).unwrap();
            assert!(items.is_empty());
            assert_eq!(rest.as_deref(), Some(text));
        }
        assert_eq!(split("{}", 8).unwrap(), (vec![], Some("{}".to_owned())));
        assert_eq!(
            split(r#"{"items": []}"#, 8).unwrap(),
            (vec![], None),
            "an empty List is a List"
        );
    }

    #[test]
    fn broken_lists_are_errors_with_serde_jsons_words_and_positions() {
        let cases = [
            (
                "{\"items\": [{\"a\": \"b",
                "EOF while parsing a string at line 1 column 19",
            ),
            (
                "{\"items\": [{\"a\": [1}]}",
                "expected `,` or `]` at line 1 column 20",
            ),
            (
                "{\"items\": [{}\n{}]}",
                "expected `,` or `]` at line 2 column 1",
            ),
            ("{\"items\": [{},]}", "trailing comma at line 1 column 15"),
            (
                "{\"items\": [{}]",
                "EOF while parsing an object at line 1 column 14",
            ),
            (
                "{\"items\": [{}]} x",
                "trailing characters at line 1 column 17",
            ),
            (
                "{\"items\": [{}], 3: 4}",
                "key must be a string at line 1 column 17",
            ),
            ("{\"items\" [", "expected `:` at line 1 column 10"),
            ("{\"items\": [,]}", "expected value at line 1 column 12"),
        ];
        for (text, want) in cases {
            for capacity in [1, 4, 1024] {
                let got = split(text, capacity).expect_err(text);
                assert_eq!(got, want, "{text:?} with a buffer of {capacity}");
            }
        }
    }

    #[test]
    fn items_before_an_error_are_handed_over() {
        let reader = std::io::BufReader::new(&b"{\"items\": [{\"n\": 1}, {\"n\": 2}, {\"n\""[..]);
        let mut s = ListSplitter::new(reader);
        assert_eq!(s.next_item().unwrap().as_deref(), Some(&b"{\"n\": 1}"[..]));
        assert_eq!(s.next_item().unwrap().as_deref(), Some(&b"{\"n\": 2}"[..]));
        assert!(s.next_item().is_err());
    }
}
