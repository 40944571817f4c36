//! Manifest documents: Helm's splitting, `# Source:` paths, YAML parsing with budgets, object
//! identity and the annotations that decide what Helm does with an object.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::identity::{ResourceKey, ScopeResolver, split_api_version};
use crate::model::{Hook, HookDeletePolicy, HookEvent};

/// `helm.sh/hook`.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// `helm.sh/hook-weight`.
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// `helm.sh/hook-delete-policy`.
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// `helm.sh/hook-output-log-policy`.
pub const HOOK_OUTPUT_LOG_ANNOTATION: &str = "helm.sh/hook-output-log-policy";
/// `helm.sh/resource-policy`.
pub const RESOURCE_POLICY_ANNOTATION: &str = "helm.sh/resource-policy";

/// Split a manifest the way Helm's `releaseutil.SplitManifests` does (Helm 3.0 – 4.2.3):
/// `TrimSpace` the whole text, split on the regex `(?:^|\s*\n)---\s*`, `TrimSpace` each piece
/// and drop empty ones.
///
/// A `---` that starts a line splits even when text follows on the same line; an indented
/// `---` (inside a block scalar) does not.
///
/// ```
/// use helm_why_release::manifest::split_manifests;
/// let docs = split_manifests("---\n# Source: a.yaml\nkind: A\n---kind: B\n  ---\n");
/// assert_eq!(docs, vec!["# Source: a.yaml\nkind: A", "kind: B\n  ---"]);
/// ```
pub fn split_manifests(text: &str) -> Vec<&str> {
    let s = text.trim();
    let bytes = s.as_bytes();
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut pos = 0;
    while pos <= bytes.len() {
        let Some((match_start, match_end)) = next_separator(bytes, pos) else {
            break;
        };
        if match_end != 0 {
            pieces.push(&s[piece_start..match_start]);
        }
        piece_start = match_end;
        pos = match_end.max(match_start + 1);
    }
    pieces.push(&s[piece_start..]);
    pieces
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The leftmost match of `(?:^|\s*\n)---\s*` at or after `from`, as (start, end).
fn next_separator(b: &[u8], from: usize) -> Option<(usize, usize)> {
    let skip_ws = |mut i: usize| {
        while i < b.len() && is_go_space(b[i]) {
            i += 1;
        }
        i
    };
    if from == 0 && b.starts_with(b"---") {
        return Some((0, skip_ws(3)));
    }
    // Every match but the first ends in "\n---": find those bytes, then walk back over the
    // white space before the newline.
    let i = from + memchr::memmem::find(b.get(from..)?, b"\n---")?;
    let mut start = i;
    while start > from && is_go_space(b[start - 1]) {
        start -= 1;
    }
    Some((start, skip_ws(i + 4)))
}

/// RE2's `\s`: `[\t\n\f\r ]`.
fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// One document of a stored manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document<'a> {
    /// 0-based position among the non-empty documents.
    pub index: usize,
    /// The template path from the `# Source:` comment (absent with Helm 3 post-renderers).
    pub source: Option<&'a str>,
    /// The document text without the `# Source:` line.
    pub body: &'a str,
}

/// Split a stored manifest into documents with their `# Source:` paths.
pub fn documents(manifest: &str) -> Vec<Document<'_>> {
    split_manifests(manifest)
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            let (source, body) = match piece.strip_prefix("# Source: ") {
                Some(rest) => match rest.split_once('\n') {
                    Some((path, body)) => (Some(path.trim_end()), body),
                    None => (Some(rest.trim_end()), ""),
                },
                None => (None, piece),
            };
            Document {
                index,
                source,
                body,
            }
        })
        .collect()
}

/// Nodes (mappings, sequences, scalars, alias expansions included) that all the documents
/// of one manifest may produce together. A document alone is held to serde-saphyr's
/// alias limits; this keeps a manifest of many small "billion laughs" documents from
/// multiplying them.
pub const MANIFEST_NODE_BUDGET: usize = 5_000_000;

/// How many times a node of a document that uses aliases counts against the budget: such
/// documents may produce a tenth of it (500 000 nodes), which no rendered manifest needs,
/// so that an alias bomb stops within a second.
pub const ALIAS_NODE_WEIGHT: usize = 10;

/// Whether `text` may use aliases: an alias needs `*` and an anchor `&`, so a text without
/// both cannot expand. memchr's vector search: every decoded record's manifest is tested.
pub(crate) fn may_alias(text: &str) -> bool {
    memchr::memchr(b'&', text.as_bytes()).is_some()
        && memchr::memchr(b'*', text.as_bytes()).is_some()
}

/// What is left of one manifest's [`MANIFEST_NODE_BUDGET`].
#[derive(Debug, Clone, Copy)]
pub struct NodeBudget(usize);

impl Default for NodeBudget {
    fn default() -> Self {
        NodeBudget(MANIFEST_NODE_BUDGET)
    }
}

impl NodeBudget {
    /// A budget of `nodes`.
    pub fn new(nodes: usize) -> Self {
        NodeBudget(nodes)
    }

    /// Whether nothing is left.
    pub fn is_spent(&self) -> bool {
        self.0 == 0
    }

    /// Parse one document, charging the nodes it produced.
    ///
    /// # Errors
    /// The parser's message, or that the manifest's budget is spent.
    pub fn parse(&mut self, text: &str) -> Result<Value, String> {
        if self.0 == 0 {
            return Err(
                "the YAML node budget shared by these documents is spent (alias expansion?); this document was not parsed"
                    .to_owned(),
            );
        }
        let value = parse_yaml(text).inspect_err(|e| {
            // A breached parser budget means the work was done (aliases replayed) without
            // producing nodes to charge: charge everything, or a stream of such documents
            // would cost the parser's limit once per document.
            if e.contains("budget breached") {
                self.0 = 0;
            }
        })?;
        let weight = if may_alias(text) {
            ALIAS_NODE_WEIGHT
        } else {
            1
        };
        let nodes = count_nodes(&value).saturating_mul(weight);
        if nodes > self.0 {
            self.0 = 0;
            return Err(
                "the YAML node budget shared by these documents is spent (alias expansion?)"
                    .to_owned(),
            );
        }
        self.0 -= nodes;
        Ok(value)
    }
}

impl NodeBudget {
    /// Charge `nodes` already parsed (a cached document) against the budget.
    ///
    /// # Errors
    /// That the manifest's budget is spent.
    fn charge(&mut self, nodes: usize) -> Result<(), String> {
        if nodes > self.0 {
            self.0 = 0;
            return Err(format!(
                "the manifest's YAML budget of {MANIFEST_NODE_BUDGET} nodes is spent (alias expansion?)"
            ));
        }
        self.0 -= nodes;
        Ok(())
    }
}

/// Parsed documents by their text. Consecutive revisions store mostly the same documents,
/// and YAML parsing is most of a replay's time, so each distinct text is parsed once and its
/// value shared. Parses are still charged to each manifest's [`NodeBudget`].
#[derive(Debug, Default)]
pub struct ParseCache<'a> {
    parsed: HashMap<&'a str, Cached, foldhash::fast::RandomState>,
}

/// One text's parse, and the key last made from it.
#[derive(Debug)]
struct Cached {
    parsed: Parsed,
    /// The revisions that store the document share one key: it is reused while it still
    /// equals what the text yields (a different release namespace, or a scope discovered
    /// since, makes a new one).
    key: Option<MadeKey>,
}

/// A key made from a document, with the document's own `metadata.namespace`: the rest of the
/// key is the text's, so only the namespace Helm gives the object (which depends on the
/// release namespace and the scopes) is worked out again when the key is reused.
#[derive(Debug)]
struct MadeKey {
    key: Arc<ResourceKey>,
    explicit_namespace: Option<String>,
}

impl MadeKey {
    /// The key, if it is still the one the text yields with these namespace and scopes.
    fn reused(&self, release_namespace: &str, scopes: &ScopeResolver) -> Option<Arc<ResourceKey>> {
        let key = &self.key;
        let namespace = scopes.namespace_of(
            &key.group,
            &key.kind,
            self.explicit_namespace.as_deref(),
            release_namespace,
        );
        (key.namespace.as_deref() == namespace).then(|| Arc::clone(key))
    }
}

/// A parsed document and its node count, or the parser's message.
type Parsed = Result<(Arc<Value>, usize), String>;

/// A parsed document and the key of the object it describes.
type KeyedValue = (Arc<ResourceKey>, Arc<Value>);

fn parse_counted(text: &str) -> Parsed {
    parse_yaml(text).map(|v| {
        let nodes = count_nodes(&v);
        (Arc::new(v), nodes)
    })
}

impl<'a> ParseCache<'a> {
    /// An empty cache.
    pub fn new() -> Self {
        ParseCache::default()
    }

    /// Parse every text not parsed yet, on up to `threads` threads (the texts are
    /// independent; the result does not depend on the thread count).
    pub fn prefill(&mut self, texts: impl IntoIterator<Item = &'a str>, threads: usize) {
        let mut todo: Vec<&'a str> = Vec::new();
        let mut seen =
            std::collections::HashSet::with_hasher(foldhash::fast::RandomState::default());
        for t in texts {
            if !self.parsed.contains_key(t) && seen.insert(t) {
                todo.push(t);
            }
        }
        let threads = if todo.len() < 16 { 1 } else { threads };
        let results = crate::parallel::map_chunks(&todo, threads, |part| {
            part.iter().map(|t| (*t, parse_counted(t))).collect()
        });
        self.parsed.extend(
            results
                .into_iter()
                .map(|(t, parsed)| (t, Cached { parsed, key: None })),
        );
    }

    fn cached(&mut self, text: &'a str) -> &mut Cached {
        self.parsed.entry(text).or_insert_with(|| Cached {
            parsed: parse_counted(text),
            key: None,
        })
    }

    /// The value of `text`, parsed now or before, charged to `budget`.
    ///
    /// # Errors
    /// The parser's message, or that the budget is spent.
    pub fn parse(&mut self, text: &'a str, budget: &mut NodeBudget) -> Result<Arc<Value>, String> {
        charged(&self.cached(text).parsed, budget)
    }

    /// [`ParseCache::parse`], with the key of the object the document describes (`None`
    /// without `kind`), shared with the revisions before that stored the same text.
    ///
    /// # Errors
    /// As [`ParseCache::parse`].
    fn parse_object(
        &mut self,
        text: &'a str,
        budget: &mut NodeBudget,
        release_namespace: &str,
        scopes: &ScopeResolver,
    ) -> Result<Option<KeyedValue>, String> {
        let cached = self.cached(text);
        let value = charged(&cached.parsed, budget)?;
        if let Some(key) = cached
            .key
            .as_ref()
            .and_then(|made| made.reused(release_namespace, scopes))
        {
            return Ok(Some((key, value)));
        }
        let Some(parts) = KeyParts::of(&value, release_namespace, scopes) else {
            return Ok(None);
        };
        let key = Arc::new(parts.to_key());
        cached.key = Some(MadeKey {
            key: Arc::clone(&key),
            explicit_namespace: parts.explicit_namespace.map(str::to_owned),
        });
        Ok(Some((key, value)))
    }
}

/// A cached parse, charged to `budget`.
fn charged(parsed: &Parsed, budget: &mut NodeBudget) -> Result<Arc<Value>, String> {
    match parsed {
        Ok((value, nodes)) => {
            if budget.0 == 0 {
                return Err(format!(
                    "the manifest's YAML budget of {MANIFEST_NODE_BUDGET} nodes is spent (alias expansion?); this document was not parsed"
                ));
            }
            budget.charge(*nodes)?;
            Ok(Arc::clone(value))
        }
        Err(e) => Err(e.clone()),
    }
}

/// A manifest object's identity as its parsed document gives it, borrowed.
struct KeyParts<'v> {
    group: &'v str,
    version: &'v str,
    kind: &'v str,
    namespace: Option<&'v str>,
    name: std::borrow::Cow<'v, str>,
    /// `metadata.namespace` as written.
    explicit_namespace: Option<&'v str>,
}

impl<'v> KeyParts<'v> {
    /// Helm's identity of the document: `kind` (required), `apiVersion`, `metadata.name`, and
    /// the namespace Helm gives it ([`ScopeResolver::namespace_of`]).
    fn of(value: &'v Value, release_namespace: &'v str, scopes: &ScopeResolver) -> Option<Self> {
        let kind = value.get("kind").and_then(Value::as_str)?;
        let name = match pointer(value, "/metadata/name") {
            Some(Value::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
            other => other.and_then(scalar_text).unwrap_or_default().into(),
        };
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (group, version) = split_api_version(api_version);
        let explicit = pointer(value, "/metadata/namespace").and_then(Value::as_str);
        let namespace = scopes.namespace_of(group, kind, explicit, release_namespace);
        Some(KeyParts {
            group,
            version,
            kind,
            namespace,
            name,
            explicit_namespace: explicit,
        })
    }

    fn to_key(&self) -> ResourceKey {
        ResourceKey {
            group: self.group.to_owned(),
            version: self.version.to_owned(),
            kind: self.kind.to_owned(),
            namespace: self.namespace.map(str::to_owned),
            name: self.name.clone().into_owned(),
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    let mut count = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        count += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                count += map.len();
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    count
}

/// YAML parsing limits: the defaults of serde-saphyr, raised for big manifests, with the
/// alias and depth limits kept (they are what stops alias bombs and stack exhaustion).
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 20_000_000;
    budget.max_nodes = 5_000_000;
    budget.max_documents = 100_000;
    budget.max_total_scalar_bytes = 256 * 1024 * 1024;
    // Deep enough for any real manifest (CRD schemas nest ~30 levels), shallow enough that a
    // debug build's recursive descent fits a 2 MiB thread stack.
    budget.max_depth = 64;
    // Rendered manifests and kubectl dumps have no anchors; a quarter of serde-saphyr's
    // defaults keeps a 600-byte alias bomb to tens of milliseconds (found by fuzzing).
    budget.max_recorded_anchor_events = 250_000;
    let mut options = serde_saphyr::Options::default();
    options.alias_limits.max_total_replayed_events = 250_000;
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    options.with_snippet = false;
    options
}

/// Parse one YAML (or JSON) document into a JSON value. Empty and comment-only documents
/// are `Value::Null`.
///
/// The common shape of rendered manifests is read by [`fast_yaml`](crate::fast_yaml); every
/// other text by serde-saphyr ([`parse_yaml_general`]), with the same result either way.
///
/// # Errors
/// The parser's message, including a budget breach for alias bombs or absurd nesting.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    match crate::fast_yaml::parse(text) {
        Some(value) => Ok(value),
        None => parse_yaml_general(text),
    }
}

/// [`parse_yaml`] by serde-saphyr alone: the definition the fast reader is checked against
/// (by its tests and the `yaml_fast_path` fuzz target).
///
/// # Errors
/// The parser's message, including a budget breach for alias bombs or absurd nesting.
pub fn parse_yaml_general(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, yaml_options()).map_err(one_line)
}

/// Parse a YAML stream with several documents.
///
/// # Errors
/// The parser's message.
pub fn parse_yaml_stream(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple_with_options::<Value>(text, yaml_options()).map_err(one_line)
}

fn one_line(err: serde_saphyr::Error) -> String {
    let text = err.to_string();
    let mut line = text
        .lines()
        .next()
        .unwrap_or("invalid YAML")
        .trim()
        .to_owned();
    if line.len() > 300 {
        line.truncate(300);
        line.push('…');
    }
    line
}

/// A parsed manifest or hook object.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestObject<'a> {
    /// Identity, with Helm's namespace defaulting applied (shared: events and the replay's
    /// world keep it for every revision).
    pub key: Arc<ResourceKey>,
    /// Template path (`# Source:` for manifests, `path` for hooks).
    pub source: Option<&'a str>,
    /// 0-based document position in the manifest.
    pub index: usize,
    /// The raw document text.
    pub text: &'a str,
    /// The parsed document, shared by every revision that stores the same text
    /// ([`ParseCache`]).
    pub value: Arc<Value>,
}

impl ManifestObject<'_> {
    /// `metadata.annotations` (non-string values rendered as text).
    pub fn annotations(&self) -> BTreeMap<String, String> {
        string_map(pointer(&self.value, "/metadata/annotations"))
    }

    /// One annotation.
    pub fn annotation(&self, key: &str) -> Option<String> {
        annotation_of(&self.value, key)
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        string_map(pointer(&self.value, "/metadata/labels"))
    }

    /// What `helm.sh/hook` makes of this document.
    pub fn hook_class(&self) -> HookClass {
        classify_hook(self.annotation(HOOK_ANNOTATION).as_deref())
    }

    /// Whether `helm.sh/resource-policy` is exactly `keep`, the test Helm applies to the
    /// **live** object at upgrade and rollback.
    pub fn keep_on_upgrade(&self) -> bool {
        self.annotation(RESOURCE_POLICY_ANNOTATION).as_deref() == Some("keep")
    }

    /// Uninstall's reading of `helm.sh/resource-policy` from the stored manifest
    /// (trimmed, lower-cased; any other value silently skips the object).
    pub fn uninstall_policy(&self) -> UninstallPolicy {
        match self.annotation(RESOURCE_POLICY_ANNOTATION) {
            None => UninstallPolicy::Delete,
            Some(v) if v.trim().to_lowercase() == "keep" => UninstallPolicy::Keep,
            Some(v) => UninstallPolicy::SilentlySkipped(v),
        }
    }
}

/// What `helm uninstall` does with a manifest object, from its stored annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UninstallPolicy {
    /// No `helm.sh/resource-policy`: deleted.
    Delete,
    /// `keep` (any case, trimmed): kept and reported.
    Keep,
    /// Any other value: neither deleted nor reported (Helm drops it from both lists).
    SilentlySkipped(String),
}

/// How Helm classifies a rendered document by its `helm.sh/hook` annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookClass {
    /// No `helm.sh/hook`: a tracked manifest object.
    Manifest,
    /// A hook running on these events.
    Hook(Vec<HookEvent>),
    /// At least one event is unknown (`crd-install`, `test-failure`, a typo, an empty value):
    /// Helm drops the whole document, so the object is never created.
    Dropped {
        /// The annotation value.
        raw: String,
        /// The items Helm did not recognise.
        unknown: Vec<String>,
    },
}

/// Classify a `helm.sh/hook` value as Helm's `manifestFile.sort` does: split on `,`, trim and
/// lower-case each item; any unknown item drops the whole document.
///
/// ```
/// use helm_why_release::manifest::{classify_hook, HookClass};
/// use helm_why_release::HookEvent;
/// assert_eq!(classify_hook(None), HookClass::Manifest);
/// assert_eq!(classify_hook(Some(" Pre-Upgrade, test-success")),
///            HookClass::Hook(vec![HookEvent::PreUpgrade, HookEvent::Test]));
/// assert!(matches!(classify_hook(Some("pre-install,crd-install")), HookClass::Dropped { .. }));
/// ```
pub fn classify_hook(value: Option<&str>) -> HookClass {
    let Some(raw) = value else {
        return HookClass::Manifest;
    };
    let mut events = Vec::new();
    let mut unknown = Vec::new();
    for item in raw.split(',') {
        let item = item.trim().to_lowercase();
        match HookEvent::parse(&item) {
            HookEvent::Unknown(name) => unknown.push(name),
            event => events.push(event),
        }
    }
    if unknown.is_empty() {
        HookClass::Hook(events)
    } else {
        HookClass::Dropped {
            raw: raw.to_owned(),
            unknown,
        }
    }
}

/// `helm.sh/hook-weight` as Go's `strconv.Atoi` reads the untrimmed value (0 on error).
///
/// ```
/// use helm_why_release::manifest::parse_hook_weight;
/// assert_eq!(parse_hook_weight("-5"), -5);
/// assert_eq!(parse_hook_weight(" 5"), 0);
/// assert_eq!(parse_hook_weight("+3"), 3);
/// ```
pub fn parse_hook_weight(raw: &str) -> i64 {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    raw.parse::<i64>().unwrap_or(0)
}

/// `helm.sh/hook-delete-policy` (or output log policy): comma split, trimmed, lower-cased.
pub fn parse_policy_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Parse one manifest document into an object with its identity.
///
/// `Ok(None)` for empty and comment-only documents (Helm's Build ignores them) and for
/// documents without `kind` or `metadata.name`, which Helm would never have stored.
///
/// # Errors
/// The YAML parser's message.
pub fn parse_object<'a>(
    doc: &Document<'a>,
    release_namespace: &str,
    scopes: &ScopeResolver,
) -> Result<Option<ManifestObject<'a>>, String> {
    parse_object_within(doc, release_namespace, scopes, &mut NodeBudget::default())
}

/// [`parse_object`], charging the nodes to a manifest-wide budget.
///
/// # Errors
/// The YAML parser's message, or that the budget is spent.
pub fn parse_object_within<'a>(
    doc: &Document<'a>,
    release_namespace: &str,
    scopes: &ScopeResolver,
    budget: &mut NodeBudget,
) -> Result<Option<ManifestObject<'a>>, String> {
    let value = budget.parse(doc.body)?;
    Ok(object_from_value(
        Arc::new(value),
        doc,
        release_namespace,
        scopes,
    ))
}

fn object_from_value<'a>(
    value: Arc<Value>,
    doc: &Document<'a>,
    release_namespace: &str,
    scopes: &ScopeResolver,
) -> Option<ManifestObject<'a>> {
    let key = KeyParts::of(&value, release_namespace, scopes)?.to_key();
    Some(object_with_key(Arc::new(key), value, doc))
}

fn object_with_key<'a>(
    key: Arc<ResourceKey>,
    value: Arc<Value>,
    doc: &Document<'a>,
) -> ManifestObject<'a> {
    ManifestObject {
        key,
        source: doc.source,
        index: doc.index,
        text: doc.body,
        value,
    }
}

/// A problem with one document of a manifest or hook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentProblem {
    /// 0-based document index (or hook index).
    pub index: usize,
    /// Template path when known.
    pub source: Option<String>,
    /// What was wrong.
    pub detail: String,
}

/// Every object of a stored manifest, plus the documents that could not be parsed.
pub fn manifest_objects<'a>(
    manifest: &'a str,
    release_namespace: &str,
    scopes: &ScopeResolver,
) -> (Vec<ManifestObject<'a>>, Vec<DocumentProblem>) {
    manifest_objects_cached(manifest, release_namespace, scopes, &mut ParseCache::new())
}

/// [`manifest_objects`], parsing each document through `cache`.
pub fn manifest_objects_cached<'a>(
    manifest: &'a str,
    release_namespace: &str,
    scopes: &ScopeResolver,
    cache: &mut ParseCache<'a>,
) -> (Vec<ManifestObject<'a>>, Vec<DocumentProblem>) {
    document_objects_cached(documents(manifest), release_namespace, scopes, cache)
}

/// [`manifest_objects_cached`] of a manifest split already ([`documents`]), for callers that
/// split it once for several uses.
pub fn document_objects_cached<'a>(
    documents: Vec<Document<'a>>,
    release_namespace: &str,
    scopes: &ScopeResolver,
    cache: &mut ParseCache<'a>,
) -> (Vec<ManifestObject<'a>>, Vec<DocumentProblem>) {
    let mut objects = Vec::with_capacity(documents.len());
    let mut problems = Vec::new();
    let mut budget = NodeBudget::default();
    let count = documents.len();
    for (n, doc) in documents.into_iter().enumerate() {
        if budget.is_spent() {
            // Every document left would fail alike: one problem for them all (a manifest of
            // millions of tiny documents printed a warning for each).
            problems.push(DocumentProblem {
                index: doc.index,
                source: doc.source.map(str::to_owned),
                detail: format!(
                    "the YAML node budget shared by these documents is spent (alias expansion?); this document and the {} after it were not parsed",
                    count - n - 1
                ),
            });
            break;
        }
        match cache.parse_object(doc.body, &mut budget, release_namespace, scopes) {
            Ok(Some((key, value))) => objects.push(object_with_key(key, value, &doc)),
            Ok(None) => {}
            Err(detail) => problems.push(DocumentProblem {
                index: doc.index,
                source: doc.source.map(str::to_owned),
                detail,
            }),
        }
    }
    (objects, problems)
}

/// The object a stored hook creates.
///
/// # Errors
/// The YAML parser's message; a hook whose manifest has no `kind` falls back to the stored
/// `kind` and `name`.
pub fn hook_object<'a>(
    hook: &'a Hook,
    index: usize,
    release_namespace: &str,
    scopes: &ScopeResolver,
) -> Result<ManifestObject<'a>, String> {
    hook_object_cached(
        hook,
        index,
        release_namespace,
        scopes,
        &mut ParseCache::new(),
    )
}

/// [`hook_object`], parsing through `cache`.
///
/// # Errors
/// As [`hook_object`].
pub fn hook_object_cached<'a>(
    hook: &'a Hook,
    index: usize,
    release_namespace: &str,
    scopes: &ScopeResolver,
    cache: &mut ParseCache<'a>,
) -> Result<ManifestObject<'a>, String> {
    let doc = Document {
        index,
        source: Some(hook.path.as_str()).filter(|p| !p.is_empty()),
        body: hook.manifest.as_str(),
    };
    let value = cache.parse(&hook.manifest, &mut NodeBudget::default())?;
    if let Some(obj) = object_from_value(Arc::clone(&value), &doc, release_namespace, scopes) {
        return Ok(obj);
    }
    let namespace = scopes.effective_namespace("", &hook.kind, None, release_namespace);
    Ok(ManifestObject {
        key: Arc::new(ResourceKey {
            group: String::new(),
            version: String::new(),
            kind: hook.kind.clone(),
            namespace,
            name: hook.name.clone(),
        }),
        source: doc.source,
        index,
        text: doc.body,
        value,
    })
}

/// Output of `helm template` (or the rendered part of `helm upgrade --dry-run`) sorted into
/// what Helm would store: hooks, manifest documents, and documents Helm drops.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderedSplit {
    /// The manifest as Helm would store it (`---\n# Source: <path>\n<doc>\n` per document).
    pub manifest: String,
    /// Hooks as Helm would store them (delete policies as given; empty until a hook runs).
    pub hooks: Vec<Hook>,
    /// Documents dropped for an unknown hook event: (source, annotation value).
    pub dropped: Vec<(Option<String>, String)>,
    /// Documents that could not be parsed.
    pub problems: Vec<DocumentProblem>,
}

/// Sort rendered documents (each with its `# Source:` path) into hooks and manifest the way
/// Helm's `SortManifests` does, keeping document order (Helm also sorts by kind; the order of
/// documents does not change what is created or deleted).
pub fn split_rendered(rendered: &str) -> RenderedSplit {
    let mut out = RenderedSplit::default();
    let mut budget = NodeBudget::default();
    for doc in documents(rendered) {
        let value = match budget.parse(doc.body) {
            Ok(Value::Null) => continue,
            Ok(v) => v,
            Err(detail) => {
                out.problems.push(DocumentProblem {
                    index: doc.index,
                    source: doc.source.map(str::to_owned),
                    detail,
                });
                continue;
            }
        };
        match classify_hook(annotation_of(&value, HOOK_ANNOTATION).as_deref()) {
            HookClass::Manifest => {
                let source = doc.source.unwrap_or("");
                out.manifest
                    .push_str(&format!("---\n# Source: {source}\n{}\n", doc.body));
            }
            HookClass::Hook(events) => out.hooks.push(hook_from_document(
                doc.source.unwrap_or(""),
                doc.body,
                &value,
                events,
            )),
            HookClass::Dropped { raw, .. } => {
                out.dropped.push((doc.source.map(str::to_owned), raw));
            }
        }
    }
    out
}

/// One annotation of a parsed document, as text.
pub fn annotation_of(value: &Value, key: &str) -> Option<String> {
    scalar_text(pointer(value, "/metadata/annotations")?.get(key)?)
}

/// The hook Helm stores for a rendered document whose `helm.sh/hook` names `events`: name,
/// kind, template path, raw manifest, weight and policies read from the annotations as
/// Helm's `manifestFile.sort` reads them. Delete policies stay as given (empty until the hook
/// runs), and `last_run` is empty.
pub fn hook_from_document(
    path: &str,
    manifest: &str,
    value: &Value,
    events: Vec<HookEvent>,
) -> Hook {
    Hook {
        name: pointer(value, "/metadata/name")
            .and_then(scalar_text)
            .unwrap_or_default(),
        kind: value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        path: path.to_owned(),
        manifest: manifest.to_owned(),
        events,
        last_run: Default::default(),
        weight: annotation_of(value, HOOK_WEIGHT_ANNOTATION)
            .map(|w| parse_hook_weight(&w))
            .unwrap_or(0),
        delete_policies: annotation_of(value, HOOK_DELETE_ANNOTATION)
            .map(|p| {
                parse_policy_list(&p)
                    .iter()
                    .map(|p| HookDeletePolicy::parse(p))
                    .collect()
            })
            .unwrap_or_default(),
        output_log_policies: annotation_of(value, HOOK_OUTPUT_LOG_ANNOTATION)
            .map(|p| parse_policy_list(&p))
            .unwrap_or_default(),
    }
}

/// `value.pointer(path)` (RFC 6901) without its allocations: serde_json copies every token
/// of the path into a new `String`, which showed in profiles of replays that read a few
/// fields of every object of every revision.
///
/// ```
/// use helm_why_release::manifest::pointer;
/// let v = serde_json::json!({"metadata": {"name": "web"}, "items": [1, 2]});
/// assert_eq!(pointer(&v, "/metadata/name"), v.pointer("/metadata/name"));
/// assert_eq!(pointer(&v, "/items/1"), v.pointer("/items/1"));
/// assert_eq!(pointer(&v, "/items/01"), None);
/// ```
pub fn pointer<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.contains('~') {
        return value.pointer(path);
    }
    if path.is_empty() {
        return Some(value);
    }
    path.strip_prefix('/')?
        .split('/')
        .try_fold(value, |v, token| match v {
            Value::Object(map) => map.get(token),
            Value::Array(items) => array_index(token).and_then(|i| items.get(i)),
            _ => None,
        })
}

/// An array index as RFC 6901 (and serde_json) read it: no sign, no leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// A scalar as text (strings as-is, numbers and booleans printed).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), scalar_text(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `split_manifests` as Helm computes it: Go's `regexp.Split` with
    /// `(?:^|\s*\n)---\s*` (RE2's `\s` is `[\t\n\f\r ]`) on the trimmed text, each piece
    /// trimmed, empty ones dropped.
    fn split_as_helm(separator: &regex::Regex, text: &str) -> Vec<String> {
        let s = text.trim_matches(|c| matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' ' | '\x0B'));
        let mut pieces = Vec::new();
        let (mut begin, mut end) = (0, 0);
        for m in separator.find_iter(s) {
            end = m.start();
            if m.end() != 0 {
                pieces.push(&s[begin..end]);
            }
            begin = m.end();
        }
        if end != s.len() || s.is_empty() {
            pieces.push(&s[begin..]);
        }
        pieces
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn split_manifests_agrees_with_helms_regex_on_every_short_text() {
        let separator = regex::Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").unwrap();
        let alphabet = ['-', '\n', ' ', 'a'];
        let mut checked = 0;
        for len in 0..=8u32 {
            for mut code in 0..4usize.pow(len) {
                let text: String = (0..len)
                    .map(|_| {
                        let c = alphabet[code % 4];
                        code /= 4;
                        c
                    })
                    .collect();
                assert_eq!(
                    split_manifests(&text),
                    split_as_helm(&separator, &text),
                    "{text:?}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 87_381);
    }

    #[test]
    fn revisions_storing_one_document_share_its_key_until_it_would_differ() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n";
        let tenant = "apiVersion: example.com/v1\nkind: Tenant\nmetadata:\n  name: t\n";
        let rev1 = format!("---\n{cm}---\n{tenant}");
        let rev2 = format!("---\n{cm}---\n{tenant}");
        let mut scopes = ScopeResolver::builtin();
        let mut cache = ParseCache::new();
        let (one, _) = manifest_objects_cached(&rev1, "shop", &scopes, &mut cache);
        let (two, _) = manifest_objects_cached(&rev2, "shop", &scopes, &mut cache);
        assert!(Arc::ptr_eq(&one[0].key, &two[0].key));
        assert!(Arc::ptr_eq(&one[1].key, &two[1].key));
        // Another release namespace: the same text, another key.
        let (other, _) = manifest_objects_cached(&rev2, "web", &scopes, &mut cache);
        assert_eq!(other[0].key.namespace.as_deref(), Some("web"));
        // A scope learned since (discovery): the kind's objects lose their namespace.
        scopes.add_discovered("example.com", "Tenant", false);
        let (three, _) = manifest_objects_cached(&rev1, "shop", &scopes, &mut cache);
        assert_eq!(three[1].key.namespace, None);
        assert_eq!(three[0].key.namespace.as_deref(), Some("shop"));
        let fresh = manifest_objects(&rev1, "shop", &scopes).0;
        assert_eq!(
            three.iter().map(|o| &o.key).collect::<Vec<_>>(),
            fresh.iter().map(|o| &o.key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn splitting_matches_helm_edge_cases() {
        // Separator glued to text, CRLF, trailing separators, indented dashes inside a scalar.
        assert_eq!(
            split_manifests("a: 1\r\n---\r\nb: 2\n---"),
            vec!["a: 1", "b: 2"]
        );
        assert_eq!(split_manifests("---apiVersion: v1"), vec!["apiVersion: v1"]);
        assert_eq!(
            split_manifests("x: |\n  ---\n  y"),
            vec!["x: |\n  ---\n  y"]
        );
        assert_eq!(split_manifests("  \n\n"), Vec::<&str>::new());
        assert_eq!(split_manifests("a\n----b"), vec!["a", "-b"]);
        // Go's Split: a match after the first swallows the rest of the separator run.
        assert_eq!(split_manifests("---\n---\nfoo"), vec!["---\nfoo"]);
        assert_eq!(split_manifests("a\n---\n\n---b"), vec!["a", "---b"]);
    }

    #[test]
    fn documents_keep_source_paths() {
        let docs = documents("---\n# Source: c/templates/a.yaml\nkind: A\n---\nkind: B\n");
        assert_eq!(docs[0].source, Some("c/templates/a.yaml"));
        assert_eq!(docs[0].body, "kind: A");
        assert_eq!(docs[1].source, None);
    }

    #[test]
    fn identity_defaults_namespace_and_drops_it_for_cluster_scope() {
        let scopes = ScopeResolver::builtin();
        let (objs, problems) = manifest_objects(
            "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: ignored\n---\n# just a comment\n",
            "prod",
            &scopes,
        );
        assert!(problems.is_empty());
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].key.namespace.as_deref(), Some("prod"));
        assert_eq!(objs[1].key.namespace, None);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut bomb =
            String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!(
                "l{i}: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        assert!(parse_yaml(&bomb).is_err());
    }

    #[test]
    fn many_small_alias_bombs_share_one_budget() {
        // 9^5 = 59,049 nodes from ~300 bytes: within one document's alias limits.
        let mut doc =
            String::from("kind: ConfigMap\nmetadata: {name: x}\na: &a [x,x,x,x,x,x,x,x,x]\n");
        for i in 0..4 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            let refs = vec![format!("*{prev}"); 9].join(",");
            doc.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        let one = parse_yaml(&doc).unwrap();
        assert!(count_nodes(&one) > 59_049);
        // 150 of them is 8.9 M nodes: parsing stops at the budget (5 M), ~85 documents in.
        let manifest = format!("---\n{doc}").repeat(150);
        let (objects, problems) = manifest_objects(&manifest, "ns", &ScopeResolver::builtin());
        assert!(objects.len() < 100, "{}", objects.len());
        assert!(
            problems[0].detail.contains("budget"),
            "{}",
            problems[0].detail
        );
        // The documents left after the budget is spent are one problem, which counts them.
        assert_eq!(problems.len(), 2, "{problems:?}");
        let rest = 150 - objects.len() - 2;
        assert!(
            problems[1].detail.ends_with(&format!(
                "this document and the {rest} after it were not parsed"
            )),
            "{}",
            problems[1].detail
        );
    }

    #[test]
    fn rendered_output_is_sorted_like_helm() {
        let rendered = "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n---\n# Source: c/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\n# Source: c/templates/old.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n  annotations:\n    helm.sh/hook: crd-install\n";
        let split = split_rendered(rendered);
        assert_eq!(split.hooks.len(), 1);
        assert_eq!(split.hooks[0].weight, -5);
        assert_eq!(split.hooks[0].path, "c/templates/cm.yaml");
        assert!(
            split
                .manifest
                .starts_with("---\n# Source: c/templates/d.yaml\n")
        );
        assert_eq!(
            split.dropped,
            vec![(Some("c/templates/old.yaml".into()), "crd-install".into())]
        );
    }
}
