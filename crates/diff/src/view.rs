//! A parsed, borrowed view of one revision: its manifest objects and hook objects.

use helm_why_release::manifest::{
    Document, DocumentProblem, ParseCache, document_objects_cached, documents, hook_object_cached,
    manifest_objects,
};
use helm_why_release::parallel::{cores, map_chunks};
use helm_why_release::{
    DeclaredScope, Hook, ManifestObject, Record, RecordFormat, Release, ResourceKey, ScopeResolver,
    declared_by_crd,
};

use crate::index::ByName;

/// A hook with the object it creates.
#[derive(Debug, Clone, PartialEq)]
pub struct HookObject<'a> {
    /// The stored hook.
    pub hook: &'a Hook,
    /// Its parsed object.
    pub object: ManifestObject<'a>,
}

/// One revision, parsed once: every manifest object and every hook object, borrowing the
/// release's text.
#[derive(Debug, Clone)]
pub struct RevisionView<'a> {
    /// The release record.
    pub release: &'a Release,
    /// Tracked objects, in manifest order.
    pub objects: Vec<ManifestObject<'a>>,
    /// Hooks, in stored order.
    pub hooks: Vec<HookObject<'a>>,
    /// Documents that could not be parsed (manifest and hooks).
    pub problems: Vec<DocumentProblem>,
    /// Positions in `objects` by name: lookups are by index, so a revision of thousands of
    /// objects is not scanned once per object.
    objects_by_name: ByName,
    /// The same for `hooks`.
    hooks_by_name: ByName,
    /// Positions in `objects` by name and kind in any namespace, built when first asked
    /// (the causes of a deletion ask; most revisions never do).
    objects_by_kind_name: std::sync::OnceLock<ByName>,
    /// Positions in `objects` by template (`# Source:`), built when first asked.
    /// (Keys owned: a cell borrowing the records would make the view invariant in `'a`.)
    objects_by_source: std::sync::OnceLock<std::collections::HashMap<Box<str>, Vec<usize>>>,
    /// Tiller (Helm 2) wrote the record: its hooks carry no phase.
    pub from_tiller: bool,
}

impl<'a> RevisionView<'a> {
    /// Parse a release's manifest and hooks.
    ///
    /// ```
    /// use helm_why_release::builder::ReleaseBuilder;
    /// use helm_why_release::ScopeResolver;
    /// use helm_why_diff::RevisionView;
    /// let rel = ReleaseBuilder::new("web", "shop", 1)
    ///     .manifest_doc("web/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    ///     .build();
    /// let view = RevisionView::new(&rel, &ScopeResolver::builtin());
    /// assert_eq!(view.objects[0].key.name, "c");
    /// ```
    ///
    /// A kind whose CustomResourceDefinition the release stores gets the scope that CRD
    /// declares ([`declared_scopes`]).
    pub fn new(release: &'a Release, scopes: &ScopeResolver) -> Self {
        let view = Self::new_cached(release, scopes, &mut ParseCache::new());
        match learned_scopes(scopes, std::slice::from_ref(&view)) {
            Some(learned) => Self::new_cached(release, &learned, &mut ParseCache::new()),
            None => view,
        }
    }

    /// [`RevisionView::new`] with `scopes` as they are, parsing through `cache` (documents
    /// already parsed for another revision are not parsed again).
    fn new_cached(
        release: &'a Release,
        scopes: &ScopeResolver,
        cache: &mut ParseCache<'a>,
    ) -> Self {
        Self::of_documents(release, documents(&release.manifest), scopes, cache)
    }

    /// [`RevisionView::new_cached`] of a manifest split already.
    fn of_documents(
        release: &'a Release,
        documents: Vec<Document<'a>>,
        scopes: &ScopeResolver,
        cache: &mut ParseCache<'a>,
    ) -> Self {
        let (objects, mut problems) =
            document_objects_cached(documents, &release.namespace, scopes, cache);
        let mut hooks = Vec::with_capacity(release.hooks.len());
        for (index, hook) in release.hooks.iter().enumerate() {
            match hook_object_cached(hook, index, &release.namespace, scopes, cache) {
                Ok(object) => hooks.push(HookObject { hook, object }),
                Err(detail) => problems.push(DocumentProblem {
                    index,
                    source: Some(hook.path.clone()),
                    detail: format!("hook {}: {detail}", hook.name),
                }),
            }
        }
        RevisionView {
            release,
            objects_by_name: ByName::of(objects.iter().map(|o| &*o.key)),
            hooks_by_name: ByName::of(hooks.iter().map(|h| &*h.object.key)),
            objects_by_kind_name: std::sync::OnceLock::new(),
            objects_by_source: std::sync::OnceLock::new(),
            objects,
            hooks,
            problems,
            from_tiller: false,
        }
    }

    /// Views of many revisions, each distinct document parsed once, on every core.
    ///
    /// ```
    /// use helm_why_release::builder::ReleaseBuilder;
    /// use helm_why_release::ScopeResolver;
    /// use helm_why_diff::RevisionView;
    /// let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";
    /// let a = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/cm.yaml", cm).build();
    /// let b = ReleaseBuilder::new("web", "shop", 2).manifest_doc("web/templates/cm.yaml", cm).build();
    /// let views = RevisionView::parse_all([&a, &b], &ScopeResolver::builtin());
    /// // One parse, shared by both revisions.
    /// assert!(std::sync::Arc::ptr_eq(&views[0].objects[0].value, &views[1].objects[0].value));
    /// ```
    pub fn parse_all(
        releases: impl IntoIterator<Item = &'a Release>,
        scopes: &ScopeResolver,
    ) -> Vec<RevisionView<'a>> {
        Self::parse_all_on(releases, scopes, cores())
    }

    /// [`RevisionView::parse_all`] on up to `threads` threads (1 when the caller already
    /// runs one release per core); the result does not depend on `threads`.
    ///
    /// A kind whose CustomResourceDefinition these revisions store gets the scope that CRD
    /// declares ([`declared_scopes`]): when that is not what `scopes` says of a kind they use,
    /// they are parsed again with it.
    pub fn parse_all_on(
        releases: impl IntoIterator<Item = &'a Release>,
        scopes: &ScopeResolver,
        threads: usize,
    ) -> Vec<RevisionView<'a>> {
        let releases: Vec<&'a Release> = releases.into_iter().collect();
        let views = Self::parse_with(&releases, scopes, threads);
        match learned_scopes(scopes, &views) {
            Some(learned) => Self::parse_with(&releases, &learned, threads),
            None => views,
        }
    }

    /// [`RevisionView::parse_all_on`] with `scopes` as they are.
    fn parse_with(
        releases: &[&'a Release],
        scopes: &ScopeResolver,
        threads: usize,
    ) -> Vec<RevisionView<'a>> {
        // Each manifest is split once, for the parse and for the views.
        let split = split_all(releases, threads);
        let mut cache = ParseCache::new();
        let texts = releases.iter().zip(&split).flat_map(|(r, docs)| {
            docs.iter()
                .map(|d| d.body)
                .chain(r.hooks.iter().map(|h| h.manifest.as_str()))
        });
        cache.prefill(texts, threads);
        releases
            .iter()
            .zip(split)
            .map(|(r, docs)| RevisionView::of_documents(r, docs, scopes, &mut cache))
            .collect()
    }

    /// Parse a stored record (as [`RevisionView::new`], knowing which Helm wrote it).
    pub fn of_record(record: &'a Record, scopes: &ScopeResolver) -> Self {
        Self::parse_records(std::slice::from_ref(record), scopes)
            .pop()
            .unwrap_or_else(|| RevisionView::new(&record.release, scopes))
    }

    /// [`RevisionView::parse_all`] of stored records, knowing which Helm wrote each.
    pub fn parse_records(records: &'a [Record], scopes: &ScopeResolver) -> Vec<RevisionView<'a>> {
        Self::parse_records_on(records, scopes, cores())
    }

    /// [`RevisionView::parse_records`] on up to `threads` threads
    /// ([`RevisionView::parse_all_on`]).
    pub fn parse_records_on(
        records: &'a [Record],
        scopes: &ScopeResolver,
        threads: usize,
    ) -> Vec<RevisionView<'a>> {
        let mut views =
            RevisionView::parse_all_on(records.iter().map(|r| &r.release), scopes, threads);
        for (view, record) in views.iter_mut().zip(records) {
            view.from_tiller = record.meta.format == RecordFormat::TillerProtobuf;
        }
        views
    }

    /// The revision number.
    pub fn revision(&self) -> u64 {
        self.release.version
    }

    /// The manifest object with exactly this identity (group, kind, namespace, name).
    pub fn object(&self, key: &ResourceKey) -> Option<&ManifestObject<'a>> {
        self.objects_named(key).find(|o| o.key.same_object(key))
    }

    /// The manifest objects with `key`'s name, namespace and kind (any group or version),
    /// in manifest order.
    pub(crate) fn objects_named(
        &self,
        key: &ResourceKey,
    ) -> impl Iterator<Item = &ManifestObject<'a>> {
        self.objects_by_name
            .get(key)
            .iter()
            .filter_map(|i| self.objects.get(*i))
            .filter(move |o| same_name(&o.key, key))
    }

    /// The tracked objects of `key`'s kind and name, in any namespace or API group, in
    /// manifest order.
    pub(crate) fn objects_of_kind_named(
        &self,
        key: &ResourceKey,
    ) -> impl Iterator<Item = &ManifestObject<'a>> {
        let index = self
            .objects_by_kind_name
            .get_or_init(|| ByName::any_namespace_of(self.objects.iter().map(|o| &*o.key)));
        index
            .get(key)
            .iter()
            .filter_map(|i| self.objects.get(*i))
            .filter(move |o| o.key.kind == key.kind && o.key.name == key.name)
    }

    /// Whether an object of `key`'s kind and name is tracked, in any namespace or API group.
    pub(crate) fn has_kind_named(&self, key: &ResourceKey) -> bool {
        self.objects_of_kind_named(key).next().is_some()
    }

    /// The tracked objects rendered by template `source`, in manifest order.
    pub(crate) fn objects_from(&self, source: &str) -> impl Iterator<Item = &ManifestObject<'a>> {
        let index = self.objects_by_source.get_or_init(|| {
            let mut by_source: std::collections::HashMap<Box<str>, Vec<usize>> =
                std::collections::HashMap::new();
            for (i, o) in self.objects.iter().enumerate() {
                if let Some(source) = o.source {
                    by_source.entry(source.into()).or_default().push(i);
                }
            }
            by_source
        });
        index
            .get(source)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|i| self.objects.get(*i))
    }

    /// The hook object with this identity.
    pub fn hook(&self, key: &ResourceKey) -> Option<&HookObject<'a>> {
        self.hooks_named(key)
            .find(|h| h.object.key.same_object(key))
    }

    /// The hooks with `key`'s name, namespace and kind (any group or version), in stored
    /// order.
    pub(crate) fn hooks_named(&self, key: &ResourceKey) -> impl Iterator<Item = &HookObject<'a>> {
        self.hooks_by_name
            .get(key)
            .iter()
            .filter_map(|i| self.hooks.get(*i))
            .filter(move |h| same_name(&h.object.key, key))
    }
}

/// The scope that each CustomResourceDefinition stored in these revisions declares for its
/// kind ([`declared_by_crd`]), each once, in revision order: the
/// CRDs of their manifests and hooks, and those of their charts' `crds/` files, which Helm
/// installs without tracking them (helm-semantics.md §2.6). A CRD's scope cannot change, so
/// this is the scope the cluster serves the kind with, whatever the records' objects write in
/// `metadata.namespace` (cli-runtime's `FilterNamespace` drops it for a cluster-scoped kind,
/// §3.1).
pub fn declared_scopes(views: &[RevisionView<'_>]) -> Vec<DeclaredScope> {
    let mut out = Vec::new();
    // The revisions of a release mostly store the same chart files: each text is read once.
    let mut files_read: std::collections::HashSet<&str, foldhash::fast::RandomState> =
        std::collections::HashSet::default();
    for view in views {
        let stored = view
            .objects
            .iter()
            .chain(view.hooks.iter().map(|h| &h.object))
            .filter(|o| o.key.kind == "CustomResourceDefinition");
        let mut found: Vec<DeclaredScope> =
            stored.filter_map(|o| declared_by_crd(&o.value)).collect();
        let crd_files = view.release.chart.files.iter();
        for file in crd_files.filter(|f| f.name.starts_with("crds/")) {
            if !files_read.insert(&file.data) {
                continue;
            }
            let Some(text) = file.text() else { continue };
            // Read as `moved-to-crds` reads them (cause.rs): a crds/ file is a manifest.
            let (objects, _) = manifest_objects(&text, "", &ScopeResolver::builtin());
            found.extend(objects.iter().filter_map(|o| declared_by_crd(&o.value)));
        }
        for declared in found {
            // A history declares a few kinds, once per revision.
            if !out.contains(&declared) {
                out.push(declared);
            }
        }
    }
    out
}

/// `scopes` with what the CRDs stored in `views` declare ([`declared_scopes`]), when that
/// changes the scope of a kind the views' objects or hooks use (they must then be parsed
/// again); `None` otherwise.
fn learned_scopes(scopes: &ScopeResolver, views: &[RevisionView<'_>]) -> Option<ScopeResolver> {
    let declared = declared_scopes(views);
    let keys = views.iter().flat_map(|v| {
        let objects = v.objects.iter().map(|o| &*o.key);
        objects.chain(v.hooks.iter().map(|h| &*h.object.key))
    });
    scopes.with_declared(&declared, keys)
}

/// Every release's manifest split into documents ([`documents`]), in order, on up to
/// `threads` threads: a thousand revisions are tens of megabytes to scan.
fn split_all<'a>(releases: &[&'a Release], threads: usize) -> Vec<Vec<Document<'a>>> {
    let threads = if releases.len() < 8 { 1 } else { threads };
    map_chunks(releases, threads, |part| {
        part.iter().map(|r| documents(&r.manifest)).collect()
    })
}

/// Same name, namespace and kind.
fn same_name(a: &ResourceKey, b: &ResourceKey) -> bool {
    a.name == b.name && a.namespace == b.namespace && a.kind == b.kind
}

/// How the tracked objects of one revision differ from another's.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ObjectChanges {
    /// Objects only in the newer revision.
    pub added: Vec<ResourceKey>,
    /// Objects only in the older revision.
    pub removed: Vec<ResourceKey>,
    /// Objects in both whose document differs (content or apiVersion).
    pub changed: Vec<ResourceKey>,
}

impl ObjectChanges {
    /// Compare two revisions' tracked objects by identity (group, kind, namespace, name).
    ///
    /// ```
    /// use helm_why_release::builder::ReleaseBuilder;
    /// use helm_why_release::ScopeResolver;
    /// use helm_why_diff::{ObjectChanges, RevisionView};
    /// let cm = |n: &str, v: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  k: {v}\n");
    /// let a = ReleaseBuilder::new("w", "ns", 1).manifest_doc("t", &cm("a", "1")).manifest_doc("t", &cm("b", "1")).build();
    /// let b = ReleaseBuilder::new("w", "ns", 2).manifest_doc("t", &cm("a", "2")).manifest_doc("t", &cm("c", "1")).build();
    /// let s = ScopeResolver::builtin();
    /// let ch = ObjectChanges::between(&RevisionView::new(&a, &s), &RevisionView::new(&b, &s));
    /// assert_eq!((ch.added[0].name.as_str(), ch.removed[0].name.as_str(), ch.changed[0].name.as_str()), ("c", "b", "a"));
    /// ```
    pub fn between(older: &RevisionView<'_>, newer: &RevisionView<'_>) -> Self {
        let mut changes = ObjectChanges::default();
        for obj in &newer.objects {
            match older.object(&obj.key) {
                None => changes.added.push(ResourceKey::clone(&obj.key)),
                Some(old) if old.value != obj.value => {
                    changes.changed.push(ResourceKey::clone(&obj.key));
                }
                Some(_) => {}
            }
        }
        for obj in &older.objects {
            if newer.object(&obj.key).is_none() {
                changes.removed.push(ResourceKey::clone(&obj.key));
            }
        }
        changes
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use helm_why_release::builder::ReleaseBuilder;

    use super::*;

    #[test]
    fn parsing_on_one_thread_or_several_gives_the_same_views() {
        let cm = |n: usize, v: usize| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{n}\ndata:\n  v: \"{v}\"\n"
            )
        };
        // Enough distinct documents (over 16) for the parse to be shared between threads.
        let releases: Vec<Release> = (1..=4)
            .map(|rev| {
                (0..20)
                    .fold(ReleaseBuilder::new("web", "shop", rev), |b, n| {
                        b.manifest_doc(
                            "web/templates/cm.yaml",
                            &cm(n, if n < 5 { rev as usize } else { 0 }),
                        )
                    })
                    .build()
            })
            .collect();
        let scopes = ScopeResolver::builtin();
        let one = RevisionView::parse_all_on(&releases, &scopes, 1);
        let two = RevisionView::parse_all_on(&releases, &scopes, 2);
        assert_eq!(one.len(), 4);
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a.objects, b.objects);
            assert_eq!(a.objects.len(), 20);
        }
        // Unchanged documents share one parse across revisions; changed ones do not.
        assert!(std::sync::Arc::ptr_eq(
            &two[0].objects[9].value,
            &two[3].objects[9].value
        ));
        assert!(!std::sync::Arc::ptr_eq(
            &two[0].objects[1].value,
            &two[3].objects[1].value
        ));
        // Lookups by identity find each object, under its own name only.
        let key = &two[2].objects[7].key;
        assert_eq!(two[2].object(key).map(|o| o.index), Some(7));
        assert!(two[2].hook(key).is_none());
    }
}
