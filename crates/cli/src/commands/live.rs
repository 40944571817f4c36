//! The records against the live cluster: what `explain` and `timeline` say about an object
//! they could look at. Pure: the observations come from [`crate::source`].

use std::collections::BTreeMap;

use helm_why_diff::{Action, Event, Replay, RevisionView};
use helm_why_release::{History, ResourceKey, ScopeResolver, Timestamp};

use crate::report::live::{CheckCode, LiveCheck, LiveStatus, Observed, Ownership};
use crate::source::{LiveObject, Observation};

// The annotation Helm's upgrade reads on the live object before deleting it.
use helm_why_release::manifest::RESOURCE_POLICY_ANNOTATION as RESOURCE_POLICY;

/// Who put the object the records expect in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A revision's manifest (Helm set its ownership metadata).
    Manifest,
    /// A hook (no ownership metadata unless the template sets it).
    Hook,
}

/// The records of one release, ready to be compared with live objects.
pub struct Records<'a> {
    replay: &'a Replay,
    history: &'a History,
    scopes: &'a ScopeResolver,
    /// Revisions parsed so far, to read the manifest's annotations.
    views: BTreeMap<u64, RevisionView<'a>>,
}

impl<'a> Records<'a> {
    /// Compare with the replay of `history` made with `scopes`.
    pub fn new(replay: &'a Replay, history: &'a History, scopes: &'a ScopeResolver) -> Self {
        Records {
            replay,
            history,
            scopes,
            views: BTreeMap::new(),
        }
    }

    /// `helm.sh/resource-policy` of the manifest document revision `revision` applied.
    fn manifest_policy(&mut self, revision: u64, key: &ResourceKey) -> Option<String> {
        if !self.views.contains_key(&revision) {
            let record = self
                .history
                .revisions
                .iter()
                .find(|r| r.release.version == revision)?;
            let view = RevisionView::new(&record.release, self.scopes);
            self.views.insert(revision, view);
        }
        self.views
            .get(&revision)?
            .object(key)?
            .annotation(RESOURCE_POLICY)
    }

    /// Compare what the records imply about `key` with what the cluster showed.
    pub fn compare(&mut self, key: &ResourceKey, observation: &Observation) -> Observed {
        let replay = self.replay;
        let events: Vec<&Event> = replay.events_for(key).collect();
        let expected = replay.expected_present(key);
        let placing = events.iter().rev().find(|e| helm_why_diff::puts(e));
        let origin = placing.map(|e| {
            if e.action == Action::HookCreate {
                Origin::Hook
            } else {
                Origin::Manifest
            }
        });
        let last_rev = replay.steps.last().map(|s| s.revision);
        let tracked = events.iter().any(|e| {
            Some(e.revision) == last_rev
                && matches!(
                    e.action,
                    Action::Create | Action::Patch | Action::Unchanged | Action::Adopt
                )
        });
        let live = match observation {
            Observation::Unknown(reason) => {
                return Observed {
                    status: LiveStatus::Unknown,
                    reason: Some(reason.clone()),
                    uid: None,
                    created: None,
                    owned_by_release: None,
                    ownership: None,
                    resource_policy: None,
                    checks: vec![LiveCheck {
                        code: CheckCode::Unknown,
                        agrees: None,
                        message: format!("not checked: {reason}"),
                    }],
                };
            }
            Observation::Absent => None,
            Observation::Present(live) => Some(live),
        };
        let mut checks = vec![presence(expected, live, tracked)];
        if let (Some(live), Some(placing), Some(origin)) = (live, placing, origin)
            && expected != Some(false)
        {
            checks.extend(recreated(replay, placing, live));
            checks.extend(ownership(replay, key, live, origin, tracked));
            if origin == Origin::Manifest {
                let manifest = self.manifest_policy(placing.revision, key);
                checks.extend(policy(placing.revision, manifest.as_deref(), live));
            }
        }
        checks.sort_by_key(|c| c.agrees != Some(true));
        Observed {
            status: if live.is_some() {
                LiveStatus::Present
            } else {
                LiveStatus::Absent
            },
            reason: None,
            uid: live.and_then(|l| l.uid.clone()),
            created: live.and_then(|l| l.created.clone()),
            owned_by_release: live.map(|l| l.owned_by(&replay.release, &replay.namespace)),
            ownership: live.map(|l| Ownership {
                managed_by: l.managed_by.clone(),
                release_name: l.release_name.clone(),
                release_namespace: l.release_namespace.clone(),
            }),
            resource_policy: live.and_then(|l| l.resource_policy.clone()),
            checks,
        }
    }
}

/// Expected presence against observed presence.
fn presence(expected: Option<bool>, live: Option<&LiveObject>, tracked: bool) -> LiveCheck {
    let check = |code, agrees, message: String| LiveCheck {
        code,
        agrees,
        message,
    };
    match (expected, live) {
        (Some(true), Some(_)) => check(
            CheckCode::Agrees,
            Some(true),
            "expected present, and it exists".to_owned(),
        ),
        (Some(false), None) => check(
            CheckCode::Agrees,
            Some(true),
            "expected absent, and it does not exist".to_owned(),
        ),
        (Some(true), None) => check(
            CheckCode::Missing,
            Some(false),
            format!(
                "expected present, but the cluster has no such object: it was deleted outside what \
                 the records show (kubectl, a controller, a namespace deletion){}",
                if tracked {
                    "; the next upgrade that renders it creates it again"
                } else {
                    ""
                }
            ),
        ),
        (Some(false), Some(live)) => {
            let why = if live.resource_policy.as_deref() == Some("keep") {
                "its live helm.sh/resource-policy: keep explains it: Helm's upgrade reads the live \
                 annotation and keeps the object"
                    .to_owned()
            } else {
                "made again outside Helm, or never deleted (a failed DELETE, a finalizer, a live \
                 helm.sh/resource-policy: keep since removed)"
                    .to_owned()
            };
            check(
                CheckCode::Unexpected,
                Some(false),
                format!("expected absent, but it exists: {why}"),
            )
        }
        (None, live) => check(
            CheckCode::RecordsUnknown,
            None,
            format!(
                "the records cannot tell whether it exists (revisions are missing); the cluster \
                 says it {}",
                if live.is_some() { "does" } else { "does not" }
            ),
        ),
    }
}

/// When the operation of `revision` began (`last_deployed`), in whole seconds.
fn started(replay: &Replay, index: usize) -> Option<(u64, i64, String)> {
    let step = replay.steps.get(index)?;
    let ts = Timestamp::new(step.started.clone()?);
    let (secs, _) = ts.unix()?;
    Some((step.revision, secs, ts.display_seconds()))
}

/// A creation time later than the object the records know could have been made.
fn recreated(replay: &Replay, placing: &Event, live: &LiveObject) -> Option<LiveCheck> {
    let created = Timestamp::new(live.created.clone()?);
    let (created_secs, _) = created.unix()?;
    let index = replay
        .steps
        .iter()
        .position(|s| s.revision == placing.revision)?;
    let n = placing.revision;
    let (bound, how) = if matches!(placing.action, Action::Create | Action::HookCreate) {
        // Created during revision n: anything created after the next operation began is new.
        let (m, secs, at) = started(replay, index + 1)?;
        (
            secs,
            format!("after revision {m} began ({at}), and no revision since {n} created it"),
        )
    } else {
        let (_, secs, at) = started(replay, index)?;
        (
            secs,
            format!("after revision {n} began ({at}), which applied it to an existing object"),
        )
    };
    (created_secs > bound).then(|| LiveCheck {
        code: CheckCode::Recreated,
        agrees: Some(false),
        message: format!(
            "recreated after revision {n} (new uid{}): created {}, {how}",
            live.uid
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default(),
            created.display_seconds()
        ),
    })
}

/// Helm's ownership metadata against what the records imply.
fn ownership(
    replay: &Replay,
    key: &ResourceKey,
    live: &LiveObject,
    origin: Origin,
    tracked: bool,
) -> Option<LiveCheck> {
    let (release, namespace) = (replay.release.as_str(), replay.namespace.as_str());
    if live.owned_by(release, namespace) {
        return None;
    }
    let conflict = format!(
        "{} {:?}{} exists and cannot be imported into the current release: invalid ownership \
         metadata",
        key.kind,
        key.name,
        key.namespace
            .as_deref()
            .map(|ns| format!(" in namespace {ns:?}"))
            .unwrap_or_default()
    );
    let other = live
        .release_name
        .as_deref()
        .filter(|name| *name != release || live.release_namespace.as_deref() != Some(namespace));
    if let Some(other) = other {
        let other_ns = live
            .release_namespace
            .as_deref()
            .map(|ns| format!(" in namespace {ns}"))
            .unwrap_or_default();
        return Some(LiveCheck {
            code: CheckCode::OtherOwner,
            agrees: Some(false),
            message: format!(
                "its ownership metadata names release {other}{other_ns}: Helm cannot adopt it into \
                 {release}; an upgrade that renders it as a tracked object fails with: {conflict}"
            ),
        });
    }
    let mut lacks = Vec::new();
    if live.managed_by.as_deref() != Some("Helm") {
        lacks.push("label app.kubernetes.io/managed-by=Helm".to_owned());
    }
    if live.release_name.as_deref() != Some(release) {
        lacks.push(format!("annotation meta.helm.sh/release-name={release}"));
    }
    if live.release_namespace.as_deref() != Some(namespace) {
        lacks.push(format!(
            "annotation meta.helm.sh/release-namespace={namespace}"
        ));
    }
    let lacks = lacks.join(", ");
    Some(if tracked {
        LiveCheck {
            code: CheckCode::MetadataMissing,
            agrees: Some(false),
            message: format!(
                "Helm tracks it, but the live object lacks {lacks}: it was made again by a hook or \
                 outside Helm; the next upgrade that renders it patches the metadata back"
            ),
        }
    } else {
        LiveCheck {
            code: CheckCode::NotAdoptable,
            agrees: Some(origin == Origin::Hook),
            message: format!(
                "created by a hook or outside Helm: Helm cannot adopt it — it lacks {lacks}; an \
                 upgrade that renders it as a tracked object fails with: {conflict}"
            ),
        }
    })
}

/// The live `helm.sh/resource-policy` against the manifest revision `revision` applied.
fn policy(revision: u64, manifest: Option<&str>, live: &LiveObject) -> Option<LiveCheck> {
    let live_keep = live.resource_policy.as_deref() == Some("keep");
    let manifest_keep = manifest == Some("keep");
    let message = match (manifest_keep, live_keep) {
        (false, true) => format!(
            "the live object has helm.sh/resource-policy: keep, the manifest of revision \
             {revision} does not: Helm's upgrade reads the live annotation, so an upgrade that \
             drops it from the chart keeps it (uninstall reads the stored manifest and deletes it)"
        ),
        (true, false) => format!(
            "the manifest of revision {revision} has helm.sh/resource-policy: keep, the live \
             object does not: Helm's upgrade reads the live annotation, so an upgrade that drops \
             it from the chart deletes it (uninstall reads the stored manifest and keeps it)"
        ),
        _ => return None,
    };
    Some(LiveCheck {
        code: CheckCode::ResourcePolicy,
        agrees: Some(false),
        message,
    })
}

/// Tell the live comparison what other releases did to the object (issue 10): an object
/// missing although this release's records expect it, when another release deleted it last,
/// is explained by that deletion instead of "deleted outside what the records show"; an
/// object whose ownership names another release that took it over says when it did.
pub fn attribute(observed: &mut Observed, elsewhere: &[helm_why_diff::ReleaseEvent]) {
    let removal = elsewhere
        .iter()
        .rev()
        .find(|e| helm_why_diff::removes(&e.event) || helm_why_diff::may_remove(&e.event));
    let adoption = elsewhere
        .iter()
        .rev()
        .find(|e| e.event.action == Action::Adopt);
    for check in &mut observed.checks {
        match (check.code, removal, adoption) {
            (CheckCode::Missing, Some(e), _) => {
                check.message = format!(
                    "expected present from this release's records, but the cluster has no such object: {}, after this release last applied it",
                    helm_why_diff::headline_elsewhere(e)
                );
            }
            (CheckCode::OtherOwner, _, Some(e)) => {
                check.message = format!(
                    "{}; {}",
                    check.message,
                    helm_why_diff::headline_elsewhere(e)
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use helm_why_diff::{ReplayOptions, replay};
    use helm_why_release::builder::ReleaseBuilder;
    use helm_why_release::history::group;
    use helm_why_release::{HookEvent, Record, RecordMeta, Status};

    use super::*;

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
    const CM_KEEP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    helm.sh/resource-policy: keep\n";
    const HOOK: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    helm.sh/hook: pre-upgrade\n";

    fn history(revisions: Vec<ReleaseBuilder>) -> History {
        let last = revisions.len();
        let records = revisions
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let b = if i + 1 < last {
                    b.status(Status::Superseded, "Upgrade complete")
                } else {
                    b
                };
                Record {
                    meta: RecordMeta::raw(Default::default()),
                    release: b.build(),
                }
            })
            .collect();
        group(records, vec![]).releases.remove(0)
    }

    fn rev(n: u64) -> ReleaseBuilder {
        ReleaseBuilder::new("web", "shop", n)
    }

    fn owned(created: &str) -> LiveObject {
        LiveObject {
            uid: Some("u-2".into()),
            created: Some(created.into()),
            managed_by: Some("Helm".into()),
            release_name: Some("web".into()),
            release_namespace: Some("shop".into()),
            resource_policy: None,
        }
    }

    /// The checks for ConfigMap shop/x, as `code agrees` lines.
    fn checks(h: &History, observation: &Observation) -> Vec<(CheckCode, Option<bool>, String)> {
        let scopes = ScopeResolver::builtin();
        let r = replay(h, &ReplayOptions::default());
        let key = ResourceKey::new("v1", "ConfigMap", Some("shop"), "x");
        Records::new(&r, h, &scopes)
            .compare(&key, observation)
            .checks
            .into_iter()
            .map(|c| (c.code, c.agrees, c.message))
            .collect()
    }

    fn codes(h: &History, observation: &Observation) -> Vec<(CheckCode, Option<bool>)> {
        checks(h, observation)
            .into_iter()
            .map(|(c, a, _)| (c, a))
            .collect()
    }

    #[test]
    fn manifest_keep_without_live_keep() {
        let h = history(vec![
            rev(1).manifest_doc("t", CM_KEEP),
            rev(2).manifest_doc("t", CM_KEEP),
        ]);
        let live = Observation::Present(owned("2026-01-01T00:00:01Z"));
        let found = checks(&h, &live);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!((found[0].0, found[0].1), (CheckCode::Agrees, Some(true)));
        assert_eq!(found[1].0, CheckCode::ResourcePolicy);
        assert!(
            found[1]
                .2
                .starts_with("the manifest of revision 2 has helm.sh/resource-policy: keep")
        );
        assert!(
            found[1]
                .2
                .contains("so an upgrade that drops it from the chart deletes it")
        );
    }

    #[test]
    fn ownership_of_a_tracked_object() {
        let h = history(vec![rev(1).manifest_doc("t", CM)]);
        let mut other = owned("2026-01-01T00:00:01Z");
        other.release_name = Some("api".into());
        let found = checks(&h, &Observation::Present(other));
        assert_eq!(
            (found[1].0, found[1].1),
            (CheckCode::OtherOwner, Some(false))
        );
        assert!(
            found[1]
                .2
                .starts_with("its ownership metadata names release api in namespace shop")
        );
        let bare = LiveObject {
            created: Some("2026-01-01T00:00:01Z".into()),
            ..LiveObject::default()
        };
        assert_eq!(
            codes(&h, &Observation::Present(bare)),
            [
                (CheckCode::Agrees, Some(true)),
                (CheckCode::MetadataMissing, Some(false))
            ]
        );
    }

    #[test]
    fn present_although_removed() {
        let h = history(vec![rev(1).manifest_doc("t", CM), rev(2)]);
        let mut live = owned("2026-01-01T00:00:01Z");
        live.resource_policy = Some("keep".into());
        let found = checks(&h, &Observation::Present(live));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].0, found[0].1),
            (CheckCode::Unexpected, Some(false))
        );
        assert!(
            found[0]
                .2
                .contains("its live helm.sh/resource-policy: keep explains it")
        );
        assert_eq!(
            codes(&h, &Observation::Absent),
            [(CheckCode::Agrees, Some(true))]
        );
    }

    #[test]
    fn a_hook_object_made_again_after_a_later_revision() {
        // Revision 2's hook made it; revision 3 has no hook any more and left it alone.
        let h = history(vec![
            rev(1),
            rev(2)
                .hook("t", HOOK)
                .hooks_ran_for(&[HookEvent::PreUpgrade]),
            rev(3),
        ]);
        let live = LiveObject {
            uid: Some("u-9".into()),
            created: Some("2026-01-01T00:00:10Z".into()),
            ..LiveObject::default()
        };
        let found = checks(&h, &Observation::Present(live.clone()));
        let recreated = found
            .iter()
            .find(|c| c.0 == CheckCode::Recreated)
            .unwrap_or_else(|| panic!("{found:#?}"));
        assert_eq!(
            recreated.2,
            "recreated after revision 2 (new uid u-9): created 2026-01-01 00:00:10 UTC, after \
             revision 3 began (2026-01-01 00:00:03 UTC), and no revision since 2 created it"
        );
        // The hook's own object, made during revision 2: no claim.
        let made_by_hook = LiveObject {
            created: Some("2026-01-01T00:00:02Z".into()),
            ..live
        };
        assert_eq!(
            codes(&h, &Observation::Present(made_by_hook)),
            [
                (CheckCode::Agrees, Some(true)),
                (CheckCode::NotAdoptable, Some(true))
            ]
        );
    }

    #[test]
    fn unknown_is_neither_agreement_nor_disagreement() {
        let h = history(vec![rev(1).manifest_doc("t", CM)]);
        let scopes = ScopeResolver::builtin();
        let r = replay(&h, &ReplayOptions::default());
        let key = ResourceKey::new("v1", "ConfigMap", Some("shop"), "x");
        let observed = Records::new(&r, &h, &scopes)
            .compare(&key, &Observation::Unknown("forbidden (403)".into()));
        assert_eq!(observed.present(), None);
        assert_eq!(observed.reason.as_deref(), Some("forbidden (403)"));
        assert_eq!(observed.disagreements().count(), 1);
        assert_eq!(observed.checks[0].agrees, None);
    }
}
