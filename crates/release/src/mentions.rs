//! Whether release records mention any of a set of object names: in a decoded release's
//! manifests, or — before decoding — in the decompressed bytes of a record.
//!
//! `explain` and `timeline` look for the other releases of a namespace that touched the
//! objects of one release. Parsing every record of a namespace to find the few that name an
//! object costs the whole namespace in memory and time; searching the decompressed bytes
//! (base64, gunzip, then one multi-pattern search, the record dropped at once) finds the
//! candidates without parsing anything. The search may say "maybe" where the manifests do not
//! mention a name (the name is in the values or a template): those candidates are decoded and
//! tested exactly with [`Mentions::in_release`].
//!
//! ```
//! use helm_why_release::{codec, mentions::Mentions, Limits};
//! let names = Mentions::new(["web-config", "web"]);
//! assert!(names.in_text("kind: ConfigMap\nmetadata:\n  name: web-config\n"));
//! let record = codec::encode_payload(br#"{"manifest":"metadata:\n  name: web-config\n"}"#);
//! assert!(names.may_be_in_payload(record.as_bytes(), &Limits::default()));
//! let other = codec::encode_payload(br#"{"manifest":"metadata:\n  name: db\n"}"#);
//! assert!(!names.may_be_in_payload(other.as_bytes(), &Limits::default()));
//! ```

use aho_corasick::{AhoCorasick, MatchKind};

use crate::codec::{Limits, peel_then};
use crate::model::Release;

/// A set of names, searched for together (one pass over a text, whatever the number of
/// names: a timeline of a thousand objects would otherwise search every record once per name).
/// Cloning shares the automaton.
#[derive(Clone)]
pub struct Mentions {
    /// The names, sorted and without duplicates.
    names: Vec<String>,
    /// Every name at once; `None` when there are none or the automaton could not be built
    /// (then each name is searched on its own).
    searcher: Option<AhoCorasick>,
    /// A name holds a byte a JSON encoder may write escaped: its mention in a manifest is then
    /// not byte for byte in the record's JSON, so the bytes cannot rule a record out.
    escapable: bool,
}

impl Mentions {
    /// The mentions of `names` (an empty name is in every text, as `str::contains` has it).
    pub fn new<'n>(names: impl IntoIterator<Item = &'n str>) -> Self {
        let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
        names.sort();
        names.dedup();
        // Any match will do; leftmost-first lets the automaton use its faster packed
        // searchers (about a fifth faster than the standard kind on Helm records).
        let searcher = if names.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&names)
                .ok()
        };
        let escapable = names.iter().any(|n| n.bytes().any(json_may_escape));
        Mentions {
            names,
            searcher,
            escapable,
        }
    }

    /// No names: nothing mentions them.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether `text` holds one of the names.
    pub fn in_text(&self, text: &str) -> bool {
        self.in_bytes(text.as_bytes())
    }

    /// Whether `release`'s manifest or one of its hooks' manifests holds one of the names.
    pub fn in_release(&self, release: &Release) -> bool {
        self.in_text(&release.manifest) || release.hooks.iter().any(|h| self.in_text(&h.manifest))
    }

    /// Whether the decoded JSON (or Helm 2 protobuf) of a record may mention one of the names
    /// in its manifests: `false` only when it certainly does not.
    pub fn may_be_in_record(&self, decoded: &[u8]) -> bool {
        // Go's encoding/json (Helm's) writes every byte of a string as is except `"`, `\`,
        // control bytes, `<`, `>`, `&` (as `\u003c`…), U+2028 and U+2029; protobuf writes
        // strings as they are. Other encoders may escape more (`/`, anything not ASCII), so a
        // name with any such byte is never ruled out by the bytes: its records are decoded.
        // Object names are DNS-1123 names in practice, and never take this path.
        self.escapable || self.in_bytes(decoded)
    }

    /// [`Mentions::may_be_in_record`] of an encoded payload, peeled (base64, gunzip) within
    /// `limits` and dropped, and what it drew from the run budget given back: a search holds
    /// a record at a time, so the budget bounds that, not the sum over a namespace (which
    /// would make every record past it "may mention", and be decoded). A payload that cannot
    /// be peeled may mention anything: decoding it will report why it cannot be read.
    pub fn may_be_in_payload(&self, payload: &[u8], limits: &Limits) -> bool {
        if self.is_empty() {
            return false;
        }
        peel_then(payload, limits, |peeled| {
            limits.budget.give_back(peeled.json.len());
            self.may_be_in_record(&peeled.json)
        })
        .unwrap_or(true)
    }

    fn in_bytes(&self, bytes: &[u8]) -> bool {
        match &self.searcher {
            Some(searcher) => searcher.is_match(bytes),
            None => self.names.iter().any(|n| contains(bytes, n.as_bytes())),
        }
    }
}

/// Whether a byte of a name may be written escaped by a JSON encoder (see
/// [`Mentions::may_be_in_record`]): anything but printable ASCII, and `"`, `\`, `<`, `>`,
/// `&`, `/`.
fn json_may_escape(b: u8) -> bool {
    !(0x20..=0x7e).contains(&b) || matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | b'/')
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

impl std::fmt::Debug for Mentions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mentions")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Mentions {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names
    }
}

impl Eq for Mentions {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_payload;

    #[test]
    fn names_are_found_together_and_alone() {
        let m = Mentions::new(["a-config", "b-svc"]);
        assert!(m.in_text("name: b-svc\n"));
        assert!(m.in_text("name: a-config-2\n"));
        assert!(!m.in_text("name: c\n"));
        assert!(!Mentions::new([]).in_text("anything"));
        // As `str::contains`: the empty name is everywhere.
        assert!(Mentions::new([""]).in_text("x"));
    }

    #[test]
    fn names_a_json_encoder_may_escape_are_never_ruled_out() {
        let json = br#"{"manifest":"name: a\u0026b"}"#;
        let plain = Mentions::new(["a-b"]);
        assert!(!plain.may_be_in_record(json));
        for name in ["a&b", "a<b", "caf\u{e9}", "a/b", "a\"b"] {
            let m = Mentions::new([name]);
            assert!(m.may_be_in_record(b"{}"), "{name}");
        }
    }

    #[test]
    fn payloads_are_searched_after_peeling_and_kept_when_unreadable() {
        let m = Mentions::new(["web"]);
        let limits = Limits::default();
        let hit = encode_payload(br#"{"manifest":"name: web"}"#);
        let miss = encode_payload(br#"{"manifest":"name: db"}"#);
        assert!(m.may_be_in_payload(hit.as_bytes(), &limits));
        assert!(!m.may_be_in_payload(miss.as_bytes(), &limits));
        // Helm's own base64 layer, then the API's: both peeled.
        let twice = crate::codec::encode_base64(hit.as_bytes());
        assert!(m.may_be_in_payload(twice.as_bytes(), &limits));
        assert!(m.may_be_in_payload(b"not base64!", &limits));
        assert!(!Mentions::new([]).may_be_in_payload(hit.as_bytes(), &limits));
    }

    /// A search gives back what each payload drew: under a budget of two records' decoded
    /// size, ten records that do not mention the name are all ruled out, not only the first
    /// two (the others would have counted as "may mention", to be decoded).
    #[test]
    fn a_search_holds_one_record_of_the_budget_at_a_time() {
        let m = Mentions::new(["web"]);
        let json = br#"{"manifest":"name: db"}"#;
        let limits = Limits::default().with_run_budget(2 * json.len());
        let miss = encode_payload(json);
        for _ in 0..10 {
            assert!(!m.may_be_in_payload(miss.as_bytes(), &limits));
        }
        assert_eq!(limits.budget.remaining(), 2 * json.len());
    }
}
