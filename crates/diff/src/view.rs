//! A parsed, borrowed view of one revision: its manifest objects and hook objects.

use helm_why_release::manifest::{DocumentProblem, hook_object, manifest_objects};
use helm_why_release::{
    Hook, ManifestObject, Record, RecordFormat, Release, ResourceKey, ScopeResolver,
};

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
    pub fn new(release: &'a Release, scopes: &ScopeResolver) -> Self {
        let (objects, mut problems) =
            manifest_objects(&release.manifest, &release.namespace, scopes);
        let mut hooks = Vec::with_capacity(release.hooks.len());
        for (index, hook) in release.hooks.iter().enumerate() {
            match hook_object(hook, index, &release.namespace, scopes) {
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
            objects,
            hooks,
            problems,
            from_tiller: false,
        }
    }

    /// Parse a stored record (as [`RevisionView::new`], knowing which Helm wrote it).
    pub fn of_record(record: &'a Record, scopes: &ScopeResolver) -> Self {
        let mut view = RevisionView::new(&record.release, scopes);
        view.from_tiller = record.meta.format == RecordFormat::TillerProtobuf;
        view
    }

    /// The revision number.
    pub fn revision(&self) -> u64 {
        self.release.version
    }

    /// The manifest object with exactly this identity (group, kind, namespace, name).
    pub fn object(&self, key: &ResourceKey) -> Option<&ManifestObject<'a>> {
        self.objects.iter().find(|o| o.key.same_object(key))
    }

    /// The hook object with this identity.
    pub fn hook(&self, key: &ResourceKey) -> Option<&HookObject<'a>> {
        self.hooks.iter().find(|h| h.object.key.same_object(key))
    }
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
                None => changes.added.push(obj.key.clone()),
                Some(old) if old.value != obj.value => changes.changed.push(obj.key.clone()),
                Some(_) => {}
            }
        }
        for obj in &older.objects {
            if newer.object(&obj.key).is_none() {
                changes.removed.push(obj.key.clone());
            }
        }
        changes
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}
