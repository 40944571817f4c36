//! `helm-why who KIND/NAME`: every release that ever rendered an object (manifest or hook),
//! what each revision did to it, which release deleted it last and which tracks it now, and,
//! connected, the live object.

use std::collections::BTreeSet;

use anyhow::Result;
use helm_why_diff::{
    Action, Event, ObjectId, ObjectQuery, ReleaseEvent, Replay, events_about, last_removal, replay,
};
use helm_why_release::{Histories, History, ResourceKey};

use super::{Ui, discover, mentions_any, replay_options, source_warnings, unreadable_documents};
use crate::args::WhoArgs;
use crate::config::Config;
use crate::error::{UserError, exit};
use crate::progress::Progress;
use crate::report::who::{WhoLive, WhoRelease, WhoReport};
use crate::source::cluster::ReleaseStream;
use crate::source::{
    Batch, Connection, Handed, Observation, Request, Streamed, files, load, sql, streamed,
};

/// Run `who`.
///
/// # Errors
/// Source errors; an object no release ever rendered, or several objects that match.
pub async fn run(args: &WhoArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let object_namespace = args
        .object_namespace
        .as_deref()
        .or(config.namespace_filter.as_deref());
    let query = ObjectQuery::parse(&args.object, object_namespace).map_err(UserError::new)?;
    let progress = Progress::new(config);
    progress.say("reading release records");
    let found = Candidates::read(config, args.all_namespaces, &query.name).await?;
    let mut warnings = found.warnings;
    let candidates = &found.histories;
    let mut scopes = config.scopes.clone();
    if let Some(cluster) = &found.cluster {
        warnings.extend(discover(cluster, candidates.iter(), &mut scopes).await);
    }
    let options = replay_options(config, &scopes, found.cluster.is_some())?;
    let total = candidates.len();
    let mut replays = Vec::with_capacity(total);
    for (i, history) in candidates.iter().enumerate() {
        progress.say(format!("replaying release {} of {total}", i + 1));
        warnings.extend(
            history
                .findings
                .iter()
                .map(|f| format!("{}: {f}", history.id)),
        );
        replays.push(replay(history, &options));
    }
    // A CRD that one release stores gives its kind's scope to the others' objects too.
    if let Some(learned) = declared_by_any(&replays, &scopes) {
        let options = replay_options(config, &learned, found.cluster.is_some())?;
        replays = candidates.iter().map(|h| replay(h, &options)).collect();
    }
    progress.finish();
    // A document of any release that could not be parsed may be the object.
    warnings.extend(replays.iter().flat_map(unreadable_documents));
    let key = find(&replays, &query, &found.origin)?;
    warnings.extend(one_namespace_read(config, args, &key));
    let mut report = build(&replays, &key, found.read, warnings);
    if let Some(cluster) = &found.cluster {
        let all: Vec<&Replay> = replays.iter().collect();
        let observation = super::observe(cluster, std::slice::from_ref(&key), &all).await;
        report.live = observation.first().map(|o| live(o, cluster.source()));
        report.summary = summary(&report);
    }
    crate::render::who::render(&report, ui)?;
    Ok(exit::OK)
}

/// The releases in scope of which a record mentions the object's name: only they can have
/// rendered it.
#[derive(Default)]
struct Candidates {
    /// Those releases, by namespace and name.
    histories: Vec<History>,
    /// How many releases were read, candidates or not.
    read: usize,
    /// What the source said (records that could not be decoded, objects ignored).
    warnings: Vec<String>,
    /// What was read, for messages.
    origin: String,
    /// The cluster, when connected.
    cluster: Option<Connection>,
}

impl Candidates {
    /// Read the source. Files, directories and a cluster's Secrets or ConfigMaps (with
    /// Tiller's records) are read as a stream, release by release (so is the SQL driver's
    /// database), and the releases that do not mention `name` are dropped as they come, so
    /// memory holds the candidates, not the source; standard input, and a stream whose
    /// records are not grouped by release, are read whole.
    async fn read(config: &Config, all_namespaces: bool, name: &str) -> Result<Candidates> {
        let names = BTreeSet::from([name]);
        let mut found = Candidates::default();
        let budget = &config.limits.budget;
        let budget_before = budget.spent();
        let keep = |found: &mut Candidates, histories: Histories| {
            found.read += histories.releases.len();
            // A release that stores a CRD may declare the object's scope, or have deleted
            // the custom resources of its kind, which its records do not name: it is replayed
            // too, and shown if it did something to the object. The others are dropped, and
            // what their records decoded to is free for the releases still to come.
            for history in histories.releases {
                if may_store_crd(&history) || mentions_any(&history, &names) {
                    found.histories.push(history);
                } else {
                    budget.give_back(history.decoded_bytes());
                }
            }
            histories.unattributed
        };
        if let Some(Streamed::Cluster(spec)) = streamed(config) {
            let mut stream = ReleaseStream::open(spec, config, all_namespaces).await?;
            let mut in_order = true;
            while let Some(batch) = stream.next().await? {
                match batch {
                    Batch::Releases(histories) => {
                        let undecoded = keep(&mut found, histories);
                        let said = undecoded.iter().map(|e| format!("could not decode {e}"));
                        found.warnings.extend(said);
                    }
                    // A cluster's Tiller records are read first already.
                    Batch::OutOfOrder(_) | Batch::TillerFirst => {
                        in_order = false;
                        break;
                    }
                }
            }
            if in_order {
                found.origin = stream.origin();
                found.cluster = Some(stream.into_connection());
                return Ok(found.sorted());
            }
        }
        // Files whose Tiller records continue a Helm 3 release handed over already are
        // streamed again, Tiller's records first.
        let mut tiller_first = false;
        loop {
            let mut handed = Handed::InOrder;
            let mut take = |batch| match batch {
                Batch::Releases(histories) => {
                    // These streams' undecodable records that name no release are in what they
                    // return.
                    keep(&mut found, histories);
                    true
                }
                Batch::OutOfOrder(_) => {
                    handed = Handed::OutOfOrder;
                    false
                }
                Batch::TillerFirst => {
                    handed = Handed::TillerFirst;
                    false
                }
            };
            let loaded = match streamed(config) {
                Some(Streamed::Files(paths)) => {
                    Some(files::stream(paths, config, tiller_first, &mut take)?)
                }
                Some(Streamed::Sql(spec)) => {
                    Some(sql::stream(spec, config, all_namespaces, &mut take).await?)
                }
                Some(Streamed::Cluster(_)) | None => None,
            };
            if let Some(loaded) = loaded
                && handed == Handed::InOrder
            {
                found.warnings = source_warnings(&loaded);
                found.origin = loaded.origin;
                return Ok(found.sorted());
            }
            // What was kept is read again, and what the stream decoded is dropped.
            found = Candidates::default();
            budget.rewind(budget_before);
            if handed != Handed::TillerFirst || tiller_first {
                break;
            }
            tiller_first = true;
        }
        // Not streamed, or not grouped by release: read whole.
        let request = Request::All {
            all_namespaces,
            newest: false,
        };
        let loaded = load(config, request).await?;
        found.warnings = source_warnings(&loaded);
        found.origin = loaded.origin;
        found.cluster = loaded.cluster;
        keep(&mut found, loaded.histories);
        Ok(found)
    }

    /// In release order, as a whole source is grouped.
    fn sorted(mut self) -> Self {
        self.histories.sort_by(|a, b| a.id.cmp(&b.id));
        self
    }
}

/// What reading one namespace's releases leaves out when `key` can be reached from any
/// namespace ([`super::reachable_from_any_namespace`]): the answer may miss the release that
/// created or deleted it.
fn one_namespace_read(config: &Config, args: &WhoArgs, key: &ResourceKey) -> Option<String> {
    let one_namespace = match config.source {
        _ if args.all_namespaces => false,
        crate::config::SourceSpec::Files(_) => config.namespace_filter.is_some(),
        _ => true,
    };
    if !one_namespace || !super::reachable_from_any_namespace(key) {
        return None;
    }
    let why = match key.namespace {
        None => format!(
            "{key} is cluster-scoped: a release of any namespace may have created or deleted it"
        ),
        Some(_) => format!(
            "{key} is served by a CustomResourceDefinition, which a release of any namespace may have deleted, and every {} with it",
            key.kind
        ),
    };
    Some(format!(
        "{why}; only the releases of one namespace were read (-A reads every namespace)"
    ))
}

/// Whether a revision of `history` may store a CustomResourceDefinition (manifest, hooks,
/// the chart's `crds/`).
fn may_store_crd(history: &History) -> bool {
    history.revisions.iter().any(|r| {
        let release = &r.release;
        let crd = "CustomResourceDefinition";
        release.manifest.contains(crd)
            || release.hooks.iter().any(|h| h.manifest.contains(crd))
            || release
                .chart
                .files
                .iter()
                .any(|f| f.name.starts_with("crds/"))
    })
}

/// `scopes` with the scopes that the CRDs stored by any of the releases declare
/// ([`Replay::declared_scopes`]), when that changes the scope of a kind some release's objects
/// were replayed with; `None` otherwise.
fn declared_by_any(
    replays: &[Replay],
    scopes: &helm_why_release::ScopeResolver,
) -> Option<helm_why_release::ScopeResolver> {
    let declared = replays.iter().flat_map(|r| &r.declared_scopes);
    scopes.with_declared(declared, replays.iter().flat_map(|r| &r.objects))
}

/// The one object identity the query names among everything the replays saw.
fn find(replays: &[Replay], query: &ObjectQuery, origin: &str) -> Result<ResourceKey> {
    let mut found: Vec<(ObjectId, &ResourceKey)> = Vec::new();
    for key in replays.iter().flat_map(|r| &r.objects) {
        let id = ObjectId::of(key);
        if query.matches(key) && !found.iter().any(|(i, _)| *i == id) {
            found.push((id, key));
        }
    }
    match found.as_slice() {
        [(_, key)] => Ok((*key).clone()),
        [] => Err(UserError::with_hint(
            format!(
                "no release in {origin} ever rendered {}/{}",
                query.kind, query.name
            ),
            "check the kind and name; -A looks at the releases of every namespace",
        )
        .into()),
        several => {
            let keys: Vec<&ResourceKey> = several.iter().map(|(_, k)| *k).collect();
            Err(super::explain::several_match(query, &keys).into())
        }
    }
}

/// Build the report from every candidate's replay.
pub fn build(
    replays: &[Replay],
    key: &ResourceKey,
    releases_read: usize,
    warnings: Vec<String>,
) -> WhoReport {
    let refs: Vec<&Replay> = replays.iter().collect();
    let id = ObjectId::of(key);
    let events = events_about(&refs, &id);
    let mut releases = Vec::new();
    for replay in replays {
        let mine: Vec<&ReleaseEvent> = events.iter().filter(|e| e.is_of(replay)).collect();
        if mine.is_empty() {
            continue;
        }
        let revisions: Vec<u64> = mine
            .iter()
            .map(|e| e.event.revision)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let actions = revisions
            .iter()
            .map(|rev| {
                let mut done: Vec<&str> = Vec::new();
                for e in mine.iter().filter(|e| e.event.revision == *rev) {
                    let word = action_word(&e.event);
                    if !done.contains(&word) {
                        done.push(word);
                    }
                }
                done.join(", ")
            })
            .collect();
        releases.push(WhoRelease {
            release: replay.release.clone(),
            namespace: replay.namespace.clone(),
            revisions,
            actions,
            tracks_now: replay.tracked_by(key),
        });
    }
    releases.sort_by(|a, b| (&a.namespace, &a.release).cmp(&(&b.namespace, &b.release)));
    let deleted_last_by = last_removal(&events).cloned();
    let tracked_by = releases
        .iter()
        .filter(|r| r.tracks_now.is_some())
        .map(|r| format!("{}/{}", r.namespace, r.release))
        .collect();
    let mut report = WhoReport {
        object: key.clone(),
        releases,
        events,
        deleted_last_by,
        tracked_by,
        live: None,
        summary: String::new(),
        releases_read,
        warnings,
    };
    report.summary = summary(&report);
    report
}

/// `created`, `deleted`, `recreated by a hook`, …
fn action_word(event: &Event) -> &'static str {
    if helm_why_diff::may_remove(event) {
        return "may have deleted";
    }
    match event.action {
        Action::Create => "created",
        Action::Patch => "patched",
        Action::Unchanged => "applied unchanged",
        Action::Adopt => "adopted",
        Action::Delete => "deleted",
        Action::HookCreate => "created by a hook",
        Action::HookDelete => "deleted by a hook policy",
        Action::Keep => "kept",
        Action::Orphan => "left untracked",
        Action::Fail => "failed on it",
        Action::Unknown => "unknown (records missing)",
    }
}

/// What the cluster said, for the report.
fn live(observation: &Observation, source: &str) -> WhoLive {
    let (status, reason, object) = match observation {
        Observation::Present(o) => ("present", None, Some(o)),
        Observation::Absent => ("absent", None, None),
        Observation::Unknown(why) => ("unknown", Some(why.clone()), None),
    };
    WhoLive {
        status: status.to_owned(),
        reason,
        uid: object.and_then(|o| o.uid.clone()),
        created: object.and_then(|o| o.created.clone()),
        owner: object.and_then(|o| {
            o.release_name
                .as_ref()
                .map(|name| format!("{}/{name}", o.release_namespace.as_deref().unwrap_or("?")))
        }),
        source: source.to_owned(),
    }
}

/// One sentence: who tracks it, who deleted it last, what the cluster says.
fn summary(report: &WhoReport) -> String {
    let mut parts = Vec::new();
    match report.tracked_by.as_slice() {
        [] => parts.push("no release tracks it now".to_owned()),
        [one] => parts.push(format!("release {one} tracks it now")),
        several => parts.push(format!(
            "{} releases track it now ({}): whichever upgrades without it or is uninstalled deletes it from under the others",
            several.len(),
            several.join(", ")
        )),
    }
    let maybe_deleted = helm_why_diff::last_possible_removal(&report.events);
    match (&report.deleted_last_by, maybe_deleted) {
        (Some(e), _) => parts.push(format!(
            "release {}/{} deleted it last, at revision {} ({})",
            e.namespace, e.release, e.event.revision, e.event.operation
        )),
        (None, Some(e)) => parts.push(format!(
            "release {}/{} may have deleted it last, at revision {} ({}, which never finished)",
            e.namespace, e.release, e.event.revision, e.event.operation
        )),
        (None, None) => {
            let wrote = report
                .events
                .iter()
                .rev()
                .find(|e| helm_why_diff::puts(&e.event));
            if let Some(e) = wrote {
                parts.push(format!(
                    "release {}/{} wrote it last, at revision {} ({}: {})",
                    e.namespace,
                    e.release,
                    e.event.revision,
                    e.event.operation,
                    action_word(&e.event)
                ));
            }
        }
    }
    if let Some(live) = &report.live {
        let said = match (live.status.as_str(), &live.owner) {
            ("present", Some(owner)) => format!("the cluster has it, owned by release {owner}"),
            ("present", None) => {
                "the cluster has it, with no Helm ownership annotations".to_owned()
            }
            ("absent", _) => "the cluster has no such object".to_owned(),
            _ => format!(
                "the cluster could not be asked ({})",
                live.reason.as_deref().unwrap_or("unknown")
            ),
        };
        parts.push(said);
    }
    let mut s = parts.join("; ");
    s.push('.');
    s
}
