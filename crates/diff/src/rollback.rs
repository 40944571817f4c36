//! What a `helm rollback` would do now, from the records alone (helm-semantics.md §6, §12:
//! "Rollback to a revision whose object was kept").
//!
//! A rollback diffs the last revision's manifest (`current = Last(name)`) against the target
//! revision's, and its Update stops at the first target object that exists in the cluster
//! but is not in `current`: Helm 3 `no <Kind> with the name "<n>" found`, Helm 4.0–4.1
//! `original object <Kind> with the name "<n>" not found`; Helm ≥ 4.2 patches it from its
//! live state instead (v3.21.4 and v4.2.0 `pkg/kube/client.go` `Client.Update`).

use std::collections::BTreeMap;

use helm_why_release::ResourceKey;

use crate::hazard::{Hazard, Severity};
use crate::profile::Profile;
use crate::view::RevisionView;
use crate::world::{Live, Origin, World};

/// `rollback-will-fail`: for every stored revision a rollback could target, the first of its
/// objects that is live but untracked by the last revision; one hazard per such object,
/// naming the revisions it blocks.
pub(crate) fn rollback_hazards(
    views: &[RevisionView<'_>],
    world: &World,
    profile: &Profile,
) -> Vec<Hazard> {
    if profile.patches_untracked() {
        return Vec::new();
    }
    let Some((last, targets)) = views.split_last() else {
        return Vec::new();
    };
    let rule = profile.match_rule();
    let mut blocked: BTreeMap<ResourceKey, (Live, Vec<u64>)> = BTreeMap::new();
    for target in targets {
        let first = target.objects.iter().find_map(|t| {
            let live = world.get(&t.key)?;
            let tracked = last
                .objects_named(&t.key)
                .any(|c| rule.matches(&c.key, &t.key));
            (!tracked).then(|| (ResourceKey::clone(&t.key), live.clone()))
        });
        if let Some((key, live)) = first {
            blocked
                .entry(key)
                .or_insert_with(|| (live, Vec::new()))
                .1
                .push(target.revision());
        }
    }
    blocked
        .into_iter()
        .map(|(key, (live, revisions))| {
            let list = revisions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let why = match live.origin {
                Origin::Hook => format!("a hook of revision {} created it", live.created_by),
                Origin::Manifest if live.keep => {
                    "helm.sh/resource-policy: keep left it when it left the chart".to_owned()
                }
                Origin::Manifest if live.created_by == 0 => {
                    "it was created outside this release's records".to_owned()
                }
                Origin::Manifest => format!("revision {} applied it", live.created_by),
            };
            let fails = format!(
                "helm rollback to revision{} {list} will fail (Helm's error: {}){}",
                if revisions.len() == 1 { "" } else { "s" },
                profile.untracked_error(&key),
                if profile.version.major == 4 {
                    " (Helm 4.2 and later patch it instead)"
                } else {
                    ""
                },
            );
            let (kind, name, last) = (&key.kind, &key.name, last.revision());
            let rest = format!(
                "revision {last}, where a rollback starts, does not track it; nothing is applied past it and the rollback revision is stored failed"
            );
            // Uncertain: an operation that never finished, or a gap in the records.
            let message = if live.certain {
                format!("{fails}: {kind} {name} exists in the cluster ({why}) but {rest}")
            } else {
                format!(
                    "{fails} if {kind} {name} is in the cluster, which the records cannot tell ({why}, if that step ran and nothing removed it since): {rest}"
                )
            };
            Hazard::new(
                "rollback-will-fail",
                Severity::Medium,
                Some(last),
                Some(key.clone()),
                message,
            )
        })
        .collect()
}
