//! Which other Helm versions of the same major would have told an object's story
//! differently (helm-semantics.md §11): the history replayed once per span of versions
//! whose rules are the same, compared with the replay at hand.

use helm_why_release::{History, ResourceKey};

use crate::profile::{HelmVersion, Profile};
use crate::replay::{Replay, ReplayOptions, run_views};
use crate::view::RevisionView;

/// A span of Helm versions with the same rules for everything the replay models: the
/// boundaries are where a rule of [`Profile`] changes.
struct Span {
    first: HelmVersion,
    label: &'static str,
}

const fn span(major: u32, minor: u32, patch: u32, label: &'static str) -> Span {
    Span {
        first: HelmVersion::new(major, minor, patch),
        label,
    }
}

/// Every span, oldest first; a span runs until the next one's first version.
const SPANS: &[Span] = &[
    span(3, 0, 0, "3.0.x"),
    span(3, 1, 0, "3.1.x"),
    span(3, 2, 0, "3.2.x"),
    span(3, 3, 0, "3.3.x"),
    span(3, 4, 0, "3.4–3.8"),
    span(3, 9, 0, "3.9–3.16"),
    span(3, 17, 0, "3.17.0"),
    span(3, 17, 1, "3.17.1–3.18"),
    span(3, 19, 0, "3.19 and later"),
    span(4, 0, 0, "4.0.0–4.1.0"),
    span(4, 1, 1, "4.1.x from 4.1.1"),
    span(4, 2, 0, "4.2 and later"),
];

/// What other versions of the same major would have done to one object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionDifference {
    /// The versions, e.g. `3.9–3.16` or `3.0.x, 3.1.x`.
    pub versions: String,
    /// What they do differently, one entry per revision that differs.
    pub differences: Vec<String>,
    /// Whether the object would exist now under their rules (`None`: unknown).
    pub expected_present: Option<bool>,
}

/// One object's story: per revision, the phases and actions; and its presence now.
type Story = (Vec<(u64, String)>, Option<bool>);

fn story(replay: &Replay, key: &ResourceKey) -> Story {
    let mut per_revision: Vec<(u64, String)> = Vec::new();
    for e in replay.events_for(key) {
        let step = format!("{} ({})", e.action.as_str(), e.phase);
        match per_revision.last_mut() {
            Some((rev, text)) if *rev == e.revision => {
                text.push_str(", ");
                text.push_str(&step);
            }
            _ => per_revision.push((e.revision, step)),
        }
    }
    (per_revision, replay.expected_present(key))
}

/// Replay `history` with the rules of every other span of `replay`'s major version and
/// report those that treat `key` differently, adjacent spans with the same answer merged.
///
/// ```
/// use helm_why_release::builder::ReleaseBuilder;
/// use helm_why_release::{history::group, Record, RecordMeta, ResourceKey, Status};
/// use helm_why_diff::{other_versions, replay, ReplayOptions};
/// let ing = |api: &str| format!("apiVersion: {api}\nkind: Ingress\nmetadata:\n  name: web\n");
/// let v1 = ReleaseBuilder::new("web", "shop", 1).manifest_doc("web/templates/i.yaml", &ing("extensions/v1beta1"))
///     .status(Status::Superseded, "Install complete").build();
/// let v2 = ReleaseBuilder::new("web", "shop", 2).manifest_doc("web/templates/i.yaml", &ing("networking.k8s.io/v1")).build();
/// let records = [v1, v2].into_iter().map(|release| Record { meta: RecordMeta::raw(Default::default()), release }).collect();
/// let history = group(records, vec![]).releases.remove(0);
/// let r = replay(&history, &ReplayOptions::default());
/// let key = ResourceKey::new("networking.k8s.io/v1", "Ingress", Some("shop"), "web");
/// let others = other_versions(&history, &ReplayOptions::default(), &r, &key);
/// // Helm ≤ 3.17.0 match by kind only: the Ingress survives.
/// assert!(others.iter().any(|d| d.versions.contains("3.9–3.16") && d.expected_present == Some(true)));
/// ```
pub fn other_versions(
    history: &History,
    options: &ReplayOptions,
    replay_at_hand: &Replay,
    key: &ResourceKey,
) -> Vec<VersionDifference> {
    let version = replay_at_hand.profile.version;
    let own = story(replay_at_hand, key);
    let spans: Vec<(usize, &Span)> = SPANS
        .iter()
        .enumerate()
        .filter(|(_, s)| s.first.major == version.major)
        .collect();
    let own_span = spans
        .iter()
        .rev()
        .find(|(_, s)| s.first <= version)
        .map(|(i, _)| *i);
    let views = RevisionView::parse_all(
        history.revisions.iter().map(|r| &r.release),
        &options.scopes,
    );
    let mut out: Vec<(Story, Vec<&'static str>, usize)> = Vec::new();
    for (i, span) in spans {
        if Some(i) == own_span {
            continue;
        }
        let options = ReplayOptions {
            profile: Some(Profile::new(span.first)),
            ..options.clone()
        };
        let theirs = story(&run_views(history, &views, &options).replay, key);
        if theirs == own {
            continue;
        }
        match out.last_mut() {
            Some((s, labels, last)) if *s == theirs && *last + 1 == i => {
                labels.push(span.label);
                *last = i;
            }
            _ => out.push((theirs, vec![span.label], i)),
        }
    }
    out.into_iter()
        .map(|((revisions, present), labels, _)| VersionDifference {
            versions: labels.join(", "),
            differences: differences(&own.0, &revisions),
            expected_present: present,
        })
        .collect()
}

/// `revision 2: orphan (delete) instead of delete (delete)`, for each revision that differs.
fn differences(own: &[(u64, String)], theirs: &[(u64, String)]) -> Vec<String> {
    let mut revisions: Vec<u64> = own.iter().chain(theirs).map(|(r, _)| *r).collect();
    revisions.sort_unstable();
    revisions.dedup();
    let at = |list: &[(u64, String)], rev: u64| {
        list.iter()
            .find(|(r, _)| *r == rev)
            .map_or("nothing", |(_, t)| t.as_str())
            .to_owned()
    };
    revisions
        .into_iter()
        .filter_map(|rev| {
            let (mine, other) = (at(own, rev), at(theirs, rev));
            (mine != other).then(|| format!("revision {rev}: {other} instead of {mine}"))
        })
        .collect()
}
