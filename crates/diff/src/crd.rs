//! CustomResourceDefinitions: deleting one makes the API server delete every custom resource
//! of its kind, tracked by this release or not, and leaves the kind unserved, so the next
//! upgrade that still renders one fails before writing a record (helm-semantics.md §2.6,
//! §12: "CRD moved from templates/ to crds/").

use helm_why_release::ResourceKey;
use serde_json::Value;

use crate::event::{Action, Cause, Phase};
use crate::hazard::{Hazard, Severity};
use crate::profile::{HelmVersion, Profile};
use crate::sim::Sim;
use crate::view::RevisionView;
use crate::world::{Live, resource_name};

/// What a CustomResourceDefinition serves: the group and kind of its custom resources. The API
/// server deletes every one of them with it (helm-semantics.md §2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdServes {
    /// The CRD.
    pub crd: ResourceKey,
    /// `spec.group`.
    pub group: String,
    /// `spec.names.kind`, when the stored document has it.
    pub kind: Option<String>,
    /// `spec.names.plural` (or the first label of the CRD's name, `<plural>.<group>`).
    pub plural: String,
}

impl CrdServes {
    /// Read what the CRD serves from its stored document, else from its name.
    pub fn new(crd: &ResourceKey, value: Option<&Value>) -> Self {
        let text = |pointer: &str| {
            value
                .and_then(|v| helm_why_release::manifest::pointer(v, pointer))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let (name_plural, name_group) = crd.name.split_once('.').unwrap_or((&crd.name, ""));
        CrdServes {
            crd: crd.clone(),
            group: text("/spec/group").unwrap_or_else(|| name_group.to_owned()),
            kind: text("/spec/names/kind"),
            plural: text("/spec/names/plural").unwrap_or_else(|| name_plural.to_owned()),
        }
    }

    /// Whether `key` names a CustomResourceDefinition.
    pub fn is_crd(key: &ResourceKey) -> bool {
        key.kind == "CustomResourceDefinition" && key.group == "apiextensions.k8s.io"
    }

    /// Whether `key` is a custom resource this CRD serves.
    pub fn serves(&self, key: &ResourceKey) -> bool {
        key.group == self.group
            && match &self.kind {
                Some(kind) => *kind == key.kind,
                None => resource_name(key).split('.').next() == Some(self.plural.as_str()),
            }
    }

    /// `Widget` (or the plural when the kind is not stored).
    pub fn kind_label(&self) -> &str {
        self.kind.as_deref().unwrap_or(&self.plural)
    }
}

/// A CustomResourceDefinition the replay deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeletedCrd {
    /// The CRD and what it served.
    served: CrdServes,
    /// The revision whose operation deleted it.
    pub(crate) revision: u64,
    /// The phase that deleted it.
    phase: Phase,
    /// Why it went.
    pub(crate) cause: Cause,
}

/// A CustomResourceDefinition that a release's operation deleted, and with it every custom
/// resource of its kind in the cluster, whichever release tracked them (helm-semantics.md
/// §2.6): what other releases' stories need ([`crate::events_about`], [`crate::cross_hazards`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdDeletion {
    /// The CRD and what it served.
    pub served: CrdServes,
    /// The revision whose operation deleted it.
    pub revision: u64,
    /// The phase that deleted it.
    pub phase: Phase,
    /// `widgets.example.com (moved to crds/, which Helm installs only on install)`.
    pub described: String,
    /// No later revision of the release created it again.
    pub still_gone: bool,
    /// When, as stored: the start of the revision's operation, or the uninstall's time.
    pub when: Option<String>,
}

impl DeletedCrd {
    fn new(
        crd: &ResourceKey,
        value: Option<&Value>,
        revision: u64,
        phase: Phase,
        cause: Cause,
    ) -> Self {
        DeletedCrd {
            served: CrdServes::new(crd, value),
            revision,
            phase,
            cause,
        }
    }

    /// The CRD.
    pub(crate) fn crd(&self) -> &ResourceKey {
        &self.served.crd
    }

    fn serves(&self, key: &ResourceKey) -> bool {
        self.served.serves(key)
    }

    fn kind_label(&self) -> &str {
        self.served.kind_label()
    }

    /// `widgets.example.com (moved to crds/)`.
    fn described(&self) -> String {
        let why = match self.cause {
            Cause::MovedToCrds => " (moved to crds/, which Helm installs only on install)",
            Cause::Uninstall => " (helm uninstall)",
            _ => "",
        };
        format!("{}{why}", self.served.crd.name)
    }
}

impl Sim {
    /// The API server deletes every custom resource of a deleted CRD: each live one of this
    /// release's records goes with it (`crd-deleted`), and the CRD is remembered as gone.
    pub(crate) fn cascade_crd(
        &mut self,
        crd: &ResourceKey,
        value: Option<&Value>,
        phase: Phase,
        cause: Cause,
    ) {
        let deleted = DeletedCrd::new(crd, value, self.rev, phase.clone(), cause);
        let victims: Vec<Live> = self
            .world
            .iter()
            .filter(|(_, l)| deleted.serves(&l.key))
            .map(|(_, l)| l.clone())
            .collect();
        for v in &victims {
            self.world.remove(&v.key);
            self.event(
                phase.clone(),
                Action::Delete,
                &v.key,
                Some(Cause::CrdDeleted),
                format!(
                    "deleted by the API server with its CustomResourceDefinition {}, which revision {} deleted: removing a CRD removes every {} in the cluster, tracked by a release or not",
                    deleted.described(),
                    self.rev,
                    deleted.kind_label()
                ),
            );
        }
        let tracked = if victims.is_empty() {
            String::new()
        } else {
            format!(
                " — {} of them from this release's records: {}",
                victims.len(),
                victims
                    .iter()
                    .map(|v| v.key.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        self.push_hazard(Hazard::new(
            "crd-deleted",
            Severity::High,
            Some(self.rev),
            Some(crd.clone()),
            format!(
                "revision {} deleted CustomResourceDefinition {}, and with it every {} in the cluster{tracked}",
                self.rev,
                deleted.described(),
                deleted.kind_label()
            ),
        ));
        self.deleted_crds.retain(|d| d.crd().name != crd.name);
        self.crd_deletions.push(deleted.clone());
        self.deleted_crds.push(deleted);
    }

    /// Every CRD deletion of the replay, in order, saying which are still gone at its end
    /// ([`Sim::crd_gone_for`]'s rule: no live CRD of that name since).
    pub(crate) fn crd_deletions(&self) -> Vec<CrdDeletion> {
        self.crd_deletions
            .iter()
            .map(|d| CrdDeletion {
                served: d.served.clone(),
                revision: d.revision,
                phase: d.phase.clone(),
                described: d.described(),
                still_gone: self.deleted_crds.contains(d)
                    && self
                        .world
                        .get(d.crd())
                        .is_none_or(|l| l.key.kind != "CustomResourceDefinition"),
                when: None,
            })
            .collect()
    }

    /// The deleted CRD that served `key`'s kind, unless a CRD of that name exists again.
    pub(crate) fn crd_gone_for(&self, key: &ResourceKey) -> Option<&DeletedCrd> {
        self.deleted_crds.iter().find(|d| {
            d.serves(key)
                && self
                    .world
                    .get(d.crd())
                    .is_none_or(|l| l.key.kind != "CustomResourceDefinition")
        })
    }

    /// `crd-missing`: `view` renders custom resources whose CRD the replay deleted, so the
    /// upgrade to it fails before writing a record — unless the CRD was installed again
    /// outside Helm, which the records cannot show.
    pub(crate) fn crd_missing(&self, view: &RevisionView<'_>, upgrade: &str) -> Vec<Hazard> {
        let mut by_crd: Vec<(&DeletedCrd, Vec<&ResourceKey>)> = Vec::new();
        for o in &view.objects {
            let Some(crd) = self.crd_gone_for(&o.key) else {
                continue;
            };
            match by_crd.iter_mut().find(|(c, _)| c.crd() == crd.crd()) {
                Some((_, keys)) => keys.push(&o.key),
                None => by_crd.push((crd, vec![&o.key])),
            }
        }
        by_crd
            .into_iter()
            .filter_map(|(crd, keys)| {
                let first = keys.first()?;
                // Helm's build error quotes the namespace as the document sets it.
                let namespace = view
                    .objects
                    .iter()
                    .find(|o| *o.key == **first)
                    .and_then(|o| helm_why_release::manifest::pointer(&o.value, "/metadata/namespace"))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                let error = mapping_error(&self.profile, first, namespace);
                Some(Hazard::new(
                    "crd-missing",
                    Severity::High,
                    Some(crd.revision),
                    Some((*first).clone()),
                    format!(
                        "{upgrade} fails before writing any record: it still renders {} {} but revision {} deleted their CustomResourceDefinition {}: {error} — unless the CRD was installed again outside Helm (e.g. kubectl apply -f crds/), which the records cannot show",
                        crd.kind_label(),
                        keys.iter()
                            .map(|k| k.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        crd.revision,
                        crd.described()
                    ),
                ))
            })
            .collect()
    }
}

/// Helm's error for a kind the cluster does not serve (≤ 3.8 `unable to recognize`, ≥ 3.9
/// and 4.x `resource mapping not found`; helm-semantics.md §12).
fn mapping_error(profile: &Profile, key: &ResourceKey, namespace: &str) -> String {
    let no_match = format!(
        "no matches for kind {:?} in version {:?}",
        key.kind,
        key.api_version()
    );
    if profile.version < HelmVersion::new(3, 9, 0) {
        format!("Error: UPGRADE FAILED: unable to recognize \"\": {no_match}")
    } else {
        format!(
            "Error: UPGRADE FAILED: resource mapping not found for name: {:?} namespace: {:?} from \"\": {no_match} — ensure CRDs are installed first",
            key.name, namespace
        )
    }
}
