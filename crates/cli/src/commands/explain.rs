//! `helm-why explain RELEASE KIND/NAME`: the story of one object across every revision.

use anyhow::Result;

use helm_why_diff::{
    BaseQuery, BaseRule, Event, ObjectQuery, ReleaseEvent, Replay, headline_elsewhere,
    other_versions, replay, told_elsewhere,
};
use helm_why_release::ResourceKey;

use super::live::Records;
use super::{
    Ui, neighbour_replays, refine_scopes, replay_options, source_warnings, unreadable_documents,
};
use crate::args::ExplainArgs;
use crate::config::Config;
use crate::error::{UserError, exit};
use crate::report::explain::ExplainReport;
use crate::source::{Request, load, select_release};

/// The object an argument names: `KIND/NAME`, or `KIND` and `NAME` as two words.
///
/// # Errors
/// Text that names no object.
pub fn parse_object(
    object: &str,
    name: Option<&str>,
    namespace: Option<&str>,
) -> Result<ObjectQuery> {
    let query = match name {
        Some(name) => ObjectQuery::parse_words(object, name, namespace),
        None => ObjectQuery::parse(object, namespace),
    };
    Ok(query.map_err(UserError::new)?)
}

/// Find the object a query names among everything the replay saw.
///
/// # Errors
/// No object, or several, match.
pub fn find_object<'a>(replay: &'a Replay, query: &ObjectQuery) -> Result<&'a ResourceKey> {
    let found: Vec<&ResourceKey> = replay.objects.iter().filter(|k| query.matches(k)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(not_found(replay, query).into()),
        several => Err(several_match(query, several).into()),
    }
}

/// Several objects match `query`. When they differ only by namespace and their kind is a
/// custom one, the kind may be cluster-scoped with no CustomResourceDefinition in the
/// records to say so: the hint says how to declare it.
pub fn several_match(query: &ObjectQuery, keys: &[&ResourceKey]) -> UserError {
    let listed: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let message = format!(
        "{} objects match {}: {}",
        keys.len(),
        query.display(),
        listed.join(", ")
    );
    let same_but_namespace = keys.split_first().is_some_and(|(first, rest)| {
        !first.group.is_empty()
            && first.namespace.is_some()
            && rest
                .iter()
                .all(|k| (&k.group, &k.kind, &k.name) == (&first.group, &first.kind, &first.name))
    });
    let hint = match keys.first() {
        Some(key) if same_but_namespace => {
            let kind = key.kind_with_group();
            format!(
                "if {kind} is cluster-scoped (the records read hold no CustomResourceDefinition for it), say so with --cluster-scoped {kind}; otherwise name the namespace with --object-namespace"
            )
        }
        _ => "name the group (ingress.networking.k8s.io/NAME) or the namespace with --object-namespace".to_owned(),
    };
    UserError::with_hint(message, hint)
}

/// No object matches: say so, with the objects that come closest (same type and a similar
/// name, the same name of another type, or similar as typed), else the objects there are.
fn not_found(replay: &Replay, query: &ObjectQuery) -> UserError {
    let message = format!(
        "no object {} in any revision of release {:?}",
        query.display(),
        replay.release
    );
    let label = |k: &ResourceKey| format!("{}/{}", k.kind.to_lowercase(), k.name);
    let mut known: Vec<String> = replay.objects.iter().map(label).collect();
    known.sort();
    known.dedup();
    let same_type: Vec<&ResourceKey> = replay
        .objects
        .iter()
        .filter(|k| query.matches_type(k) && query.matches_namespace(k))
        .collect();
    let mut close: Vec<String> =
        crate::suggest::closest(&query.name, same_type.iter().map(|k| k.name.as_str()))
            .into_iter()
            .filter_map(|n| same_type.iter().find(|k| k.name == n).map(|k| label(k)))
            .collect();
    if close.is_empty() {
        close = replay
            .objects
            .iter()
            .filter(|k| k.name == query.name)
            .map(label)
            .collect();
    }
    if close.is_empty() {
        let typed = format!("{}/{}", query.kind, query.name);
        close = crate::suggest::closest(&typed, known.iter().map(String::as_str))
            .into_iter()
            .map(str::to_owned)
            .collect();
    }
    close.dedup();
    let hint = if !close.is_empty() {
        format!(
            "did you mean {}?",
            crate::suggest::cut_list_or(&close, crate::suggest::MAX_SUGGESTED)
        )
    } else if known.is_empty() {
        "no revision of the release has any object".to_owned()
    } else {
        format!(
            "objects seen: {}",
            crate::suggest::cut_list(&known, crate::suggest::MAX_LISTED)
        )
    };
    UserError::with_hint(message, hint)
}

/// Build the report for one object.
pub fn build(replay: &Replay, key: &ResourceKey, warnings: Vec<String>) -> ExplainReport {
    let events: Vec<Event> = replay.events_for(key).cloned().collect();
    let expected_present = replay.expected_present(key);
    let revisions: Vec<u64> = events.iter().map(|e| e.revision).collect();
    let notes = replay
        .steps
        .iter()
        .filter(|s| revisions.contains(&s.revision))
        .flat_map(|s| {
            s.notes
                .iter()
                .map(move |n| format!("revision {}: {n}", s.revision))
        })
        .collect();
    let times = replay
        .steps
        .iter()
        .map(|s| (s.revision, s.started.clone()))
        .collect();
    ExplainReport {
        release: replay.release.clone(),
        namespace: replay.namespace.clone(),
        helm_version: replay.profile.version.to_string(),
        object: key.clone(),
        summary: summary(replay, key, &events, expected_present),
        events,
        expected_present,
        observed_present: None,
        observed: None,
        live_source: None,
        notes,
        other_versions: Vec::new(),
        other_releases: Vec::new(),
        warnings,
        times,
    }
}

/// The summary, with what another release did last when that changes the answer: it deleted
/// the object after this release last wrote it (or may have, in an operation that never
/// finished), or took it over.
pub fn elsewhere_summary(summary: &str, elsewhere: &[ReleaseEvent]) -> String {
    match elsewhere.last() {
        Some(e) if helm_why_diff::removes(&e.event) => format!(
            "{summary} But another release deleted it afterwards: {} (see below).",
            headline_elsewhere(e)
        ),
        Some(e) if helm_why_diff::may_remove(&e.event) => format!(
            "{summary} But another release may have deleted it afterwards: {} (see below).",
            headline_elsewhere(e)
        ),
        Some(e) => format!(
            "{summary} Another release has it now: {} (see below).",
            headline_elsewhere(e)
        ),
        None => summary.to_owned(),
    }
}

/// One sentence on the object's state now, from its events and whether it should exist.
pub fn summary(
    replay: &Replay,
    key: &ResourceKey,
    events: &[Event],
    present: Option<bool>,
) -> String {
    let last = events.last();
    match present {
        None if !replay.missing.is_empty() => format!(
            "Now: unknown — {}, so whether {} exists cannot be told from the records.",
            helm_why_release::history::are_missing(&replay.missing),
            key
        ),
        None => format!(
            "Now: unknown — an operation on {key} never finished (see the notes), so the records cannot tell whether it exists."
        ),
        Some(false) => match last {
            Some(e) => format!(
                "Now: expected absent — last {} by revision {} ({}).",
                e.action.as_str(),
                e.revision,
                e.cause.map_or("no cause recorded", |c| c.code())
            ),
            None => "Now: expected absent.".to_owned(),
        },
        Some(true) => match (replay.tracked_by(key), last) {
            (Some(base), _) => format!(
                "Now: expected present and tracked by revision {base}{}.",
                tracked_role(replay, base)
            ),
            (None, Some(e)) if e.action == helm_why_diff::Action::Orphan => format!(
                "Now: expected present, but no revision tracks it — {}",
                e.message
                    .strip_prefix("present but untracked: ")
                    .unwrap_or(&e.message)
            ),
            (None, _) => match (replay.tracked_base, &replay.next_upgrade) {
                (Some(base), _) => format!(
                    "Now: expected present, but no revision tracks it: revision {base}, which the next upgrade diffs against, does not have it, so Helm will never delete it."
                ),
                (None, BaseQuery::Refused { last, status, .. }) => format!(
                    "Now: expected present, but no revision tracks it: revision {last} is {status}, so no upgrade diffs against a manifest that has it."
                ),
                (None, _) => "Now: expected present, but no revision tracks it.".to_owned(),
            },
        },
    }
}

/// `, the last deployed revision, which the next upgrade diffs against` — or why an upgrade
/// would not start from it now.
fn tracked_role(replay: &Replay, base: u64) -> String {
    match &replay.next_upgrade {
        BaseQuery::Base { rule, .. } => {
            let which = match rule {
                BaseRule::LastDeployed | BaseRule::HighestDeployed => "the deployed revision",
                BaseRule::LastFailedOrSuperseded => "the last revision (none is deployed)",
            };
            format!(" ({which}, which the next upgrade diffs against)")
        }
        BaseQuery::Refused { last, error, .. } => format!(
            " (the deployed revision; the next upgrade is refused while revision {last} stands: {error})"
        ),
        BaseQuery::NoRelease => format!(" (revision {base})"),
    }
}

/// Run `explain`.
///
/// # Errors
/// Source errors, unknown release or object.
pub async fn run(args: &ExplainArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let query = parse_object(
        &args.object,
        args.name.as_deref(),
        args.object_namespace.as_deref(),
    )?;
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release(&loaded, &args.release, config.namespace_filter.as_deref())?;
    let mut warnings = source_warnings(&loaded);
    warnings.extend(history.findings.iter().map(ToString::to_string));
    let scopes = refine_scopes(&loaded, history, config, &mut warnings).await;
    let options = replay_options(config, &scopes, loaded.cluster.is_some())?;
    let replay = replay(history, &options);
    let key = find_object(&replay, &query)?;
    warnings.extend(unreadable_documents(&replay));
    let mut report = build(&replay, key, warnings);
    report.other_versions = other_versions(history, &options, &replay, key);
    let neighbours = neighbour_replays(
        config,
        &loaded,
        history,
        [key],
        args.others,
        &options,
        &mut report.warnings,
    )
    .await?;
    let mut all: Vec<&Replay> = vec![&replay];
    all.extend(&neighbours);
    report.other_releases = told_elsewhere(&all, &replay, key, &mut report.events);
    report.summary = elsewhere_summary(&report.summary, &report.other_releases);
    if let Some(cluster) = &loaded.cluster {
        let observations = super::observe(cluster, std::slice::from_ref(key), &all).await;
        if let Some(observation) = observations.first() {
            let mut observed = Records::new(&replay, history, &scopes).compare(key, observation);
            super::live::attribute(&mut observed, &report.other_releases);
            report.observed_present = observed.present();
            report.observed = Some(observed);
            report.live_source = Some(cluster.source().to_owned());
        }
    }
    crate::render::explain::render(&report, ui)?;
    Ok(exit::OK)
}
