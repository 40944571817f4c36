//! One module per command; each builds a report and hands it to a renderer.

pub mod diff;
pub mod explain;
pub mod get;
pub mod history;
pub mod images;
pub mod list;
pub mod live;
pub mod plan;
pub mod scan;
pub mod timeline;
pub mod who;

use std::collections::BTreeSet;

use anyhow::Result;
use helm_why_diff::RevisionView;
use helm_why_release::mentions::Mentions;
use helm_why_release::{History, ResourceKey, ScopeResolver};

use crate::args::{Command, OtherReleasesArgs, OutputFormat};
use crate::config::Config;
use crate::source::Loaded;
pub use crate::ui::Ui;

/// Run one command; returns the process exit code.
///
/// # Errors
/// Anything the command could not do; printed by the caller.
pub async fn run(command: &Command, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    check_format(command, ui.format)?;
    if config.contexts.len() > 1 && !matches!(command, Command::Scan(_)) {
        return Err(crate::error::UserError::with_hint(
            format!(
                "--context was given {} times, and only scan reads several contexts",
                config.contexts.len()
            ),
            "give one --context",
        )
        .into());
    }
    match command {
        Command::List(args) => list::run(args, config, ui).await,
        Command::History(args) => history::run(args, config, ui).await,
        Command::Get(args) => get::run(args, config, ui).await,
        Command::Explain(args) => explain::run(args, config, ui).await,
        Command::Diff(args) => diff::run(args, config, ui).await,
        Command::Timeline(args) => timeline::run(args, config, ui).await,
        Command::Plan(args) => plan::run(args, config, ui).await,
        Command::Scan(args) => scan::run(args, config, ui).await,
        Command::Who(args) => who::run(args, config, ui).await,
        Command::Completions(args) => {
            let mut cmd = <crate::args::Cli as clap::CommandFactory>::command();
            // clap_complete panics when its writer fails (a closed pipe): render to memory,
            // then write, so that `| head` ends quietly.
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "helm-why", &mut script);
            ui.out.write_all(&script)?;
            Ok(crate::error::exit::OK)
        }
        Command::Man => {
            let cmd = <crate::args::Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(ui.out)?;
            Ok(crate::error::exit::OK)
        }
        Command::Images(args) => images::run(args, config, ui).await,
    }
}

/// The `-o` formats a command can print.
pub fn formats(command: &Command) -> &'static [OutputFormat] {
    use OutputFormat::*;
    match command {
        Command::List(_)
        | Command::History(_)
        | Command::Explain(_)
        | Command::Images(_)
        | Command::Plan(_)
        | Command::Scan(_)
        | Command::Who(_) => &[Table, Wide, Json, Yaml, Markdown],
        Command::Diff(_) => &[Table, Json, Yaml, Markdown],
        Command::Timeline(_) => &[Table, Wide, Json, Yaml, Markdown, Html],
        Command::Get(_) => &[Table, Json, Yaml],
        Command::Completions(_) | Command::Man => &[Table],
    }
}

/// Refuse a format the command cannot print, rather than ignore it.
///
/// # Errors
/// A [`crate::error::UserError`] naming the command and the formats it prints.
pub fn check_format(command: &Command, format: OutputFormat) -> Result<()> {
    let supported = formats(command);
    if supported.contains(&format) {
        return Ok(());
    }
    let name = command.name();
    let message = format!("{name} cannot print -o {}", format.as_str());
    Err(match supported {
        [_] => crate::error::UserError::with_hint(message, format!("{name} takes no -o")),
        _ => crate::error::UserError::with_hint(
            message,
            format!(
                "{name} prints -o {}",
                supported
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
    .into())
}

/// The replay options the flags ask for: `--helm-version` (else the default for the records)
/// and the kind scopes.
///
/// # Errors
/// An unparsable `--helm-version`.
pub fn replay_options(
    config: &Config,
    scopes: &helm_why_release::ScopeResolver,
    connected: bool,
) -> Result<helm_why_diff::ReplayOptions> {
    let profile = match &config.helm_version {
        Some(v) => Some(helm_why_diff::Profile::new(v.parse().map_err(|e| {
            crate::error::UserError::with_hint(
                format!("{e}"),
                "helm version looks like 3.17.1 or 4.1.4",
            )
        })?)),
        None => None,
    };
    Ok(helm_why_diff::ReplayOptions {
        profile,
        scopes: scopes.clone(),
        connected,
    })
}

/// Warnings for the documents of a replayed release that could not be parsed (its
/// `unreadable-document` hazards), naming the release: an answer about one object must
/// say when a document it may be in was left out.
pub fn unreadable_documents(replay: &helm_why_diff::Replay) -> impl Iterator<Item = String> {
    replay
        .hazards
        .iter()
        .filter(|h| h.code == helm_why_diff::UNREADABLE_DOCUMENT)
        .map(|h| {
            let revision = h
                .revision
                .map(|r| format!(", revision {r}"))
                .unwrap_or_default();
            format!(
                "release {}/{}{revision}: {}",
                replay.namespace, replay.release, h.message
            )
        })
}

/// Warnings about the input as a whole: records that failed to decode without naming a
/// release, and objects that were not release records.
pub fn source_warnings(loaded: &Loaded) -> Vec<String> {
    let mut out: Vec<String> = loaded
        .unattributed()
        .iter()
        .map(|e| match e.layer {
            helm_why_release::Layer::File => format!("could not read {e}"),
            _ => format!("could not decode {e}"),
        })
        .collect();
    match loaded.ignored.len() {
        0 => {}
        1 => out.push(format!(
            "1 object is not a Helm release record and was ignored ({})",
            loaded.ignored[0].what
        )),
        n => out.push(format!(
            "{n} objects are not Helm release records and were ignored"
        )),
    }
    out
}

/// Every kind (group, version, kind) of a history's manifests and hooks.
pub fn kinds_in(history: &History) -> BTreeSet<(String, String, String)> {
    // Only the group, version and kind are read: the scopes used to parse do not matter.
    let scopes = ScopeResolver::builtin();
    // Revisions mostly store the same documents: each distinct one is parsed once.
    let views = RevisionView::parse_all(history.revisions.iter().map(|r| &r.release), &scopes);
    kinds_of(&views)
}

/// Every kind (group, version, kind) of these revisions' objects and hooks.
pub fn kinds_of(views: &[RevisionView<'_>]) -> BTreeSet<(String, String, String)> {
    let mut kinds = BTreeSet::new();
    for view in views {
        let keys = view
            .objects
            .iter()
            .map(|o| &o.key)
            .chain(view.hooks.iter().map(|h| &h.object.key));
        for key in keys {
            kinds.insert((key.group.clone(), key.version.clone(), key.kind.clone()));
        }
    }
    kinds
}

/// The kind scopes to replay `history` with: the configured ones (built-in table and
/// `--cluster-scoped`), refined by API discovery when the records come from a cluster.
/// Discovery problems become warnings.
pub async fn refine_scopes(
    loaded: &Loaded,
    history: &History,
    config: &Config,
    warnings: &mut Vec<String>,
) -> ScopeResolver {
    let mut scopes = config.scopes.clone();
    if let Some(cluster) = &loaded.cluster {
        let found = discover(cluster, [history], &mut scopes).await;
        warnings.extend(found);
    }
    scopes
}

/// Tell `scopes` what API discovery says of the kinds the `histories` use ([`kinds_in`],
/// [`crate::source::Connection::discover_scopes`]); returns the warnings.
pub async fn discover<'h>(
    cluster: &crate::source::Connection,
    histories: impl IntoIterator<Item = &'h History>,
    scopes: &mut ScopeResolver,
) -> Vec<String> {
    let kinds = histories.into_iter().flat_map(kinds_in).collect();
    cluster.discover_scopes(&kinds, scopes).await
}

/// The other releases whose records mention one of the `objects` (their names, and the kinds
/// a CRD may serve), replayed with `options`: what `explain` and `timeline` need to tell when
/// another release deleted or took over this release's objects
/// ([`helm_why_diff::done_elsewhere`]).
///
/// They are read in two passes (connected: one LIST, then one for the releases found): the
/// records are searched for the names without being decoded, then the releases of which a
/// record may mention one are decoded, so memory holds those releases, never the source
/// ([`crate::source::Request::Neighbours`]). Where depends on the objects: when one is
/// cluster-scoped or of a kind a CRD may serve, a release of any namespace may have deleted
/// it, so every namespace is searched; if that reading fails (a user allowed one namespace
/// only), a warning says so and this release's namespace is searched instead. Otherwise only
/// this release's namespace is.
///
/// Records of those releases that could not be decoded are not skipped silently: one warning
/// per release goes to `warnings`, since what they did to the objects is then unknown. With
/// `--no-other-releases` nothing is read and one warning says that it was not.
///
/// # Errors
/// Source errors.
pub async fn neighbour_replays(
    config: &Config,
    loaded: &Loaded,
    this: &History,
    objects: impl IntoIterator<Item = &ResourceKey>,
    others: OtherReleasesArgs,
    options: &helm_why_diff::ReplayOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<helm_why_diff::Replay>> {
    let objects: Vec<&ResourceKey> = objects.into_iter().collect();
    let mentions = Mentions::new(searched_for(objects.iter().copied()));
    let everywhere = objects.iter().any(|k| reachable_from_any_namespace(k));
    let alone = if everywhere {
        loaded.alone_in_source(this)
    } else {
        loaded.alone_in_namespace(this)
    };
    if mentions.is_empty() || alone {
        return Ok(Vec::new());
    }
    if others.no_other_releases {
        // Not a silent gap: without the other releases, "deleted outside what the records
        // show" may be another release's doing.
        let which = if everywhere {
            "the other releases".to_owned()
        } else {
            format!("the other releases of namespace {}", this.id.namespace)
        };
        warnings.push(format!(
            "{which} were not read (--no-other-releases): what they did to this release's objects is not shown"
        ));
        return Ok(Vec::new());
    }
    let request = |namespace| crate::source::Request::Neighbours {
        namespace,
        except: &this.id,
        names: &mentions,
    };
    let mut found = None;
    if everywhere {
        match crate::source::load(config, request(None)).await {
            Ok(loaded) => found = Some(loaded),
            Err(e) => warnings.push(format!(
                "the releases of other namespaces could not be read ({e:#}): only namespace {} was searched for what other releases did to this release's objects",
                this.id.namespace
            )),
        }
    }
    let histories = match found {
        Some(loaded) => loaded.histories.releases,
        None if loaded.alone_in_namespace(this) => return Ok(Vec::new()),
        None => {
            let namespace = Some(this.id.namespace.as_str());
            crate::source::load(config, request(namespace))
                .await?
                .histories
                .releases
        }
    };
    let others = histories.iter().filter(|h| h.id != this.id);
    warnings.extend(others.filter_map(undecoded_warning));
    // The search may say "maybe" (a name in the values, in a template): the manifests say.
    Ok(histories
        .iter()
        .filter(|h| h.id != this.id && mentions_in(h, &mentions))
        .map(|h| helm_why_diff::replay(h, options))
        .collect())
}

/// What `cluster` says of the objects `keys`, as [`crate::source::Connection::observe`] says it,
/// and one step further for a custom resource it could not look at (its kind not served, or
/// discovery refused) when the `replays` show a release deleting the CustomResourceDefinition
/// that served its kind: that CRD is asked for by name, and when none of them exists, neither
/// does the object (the API server deletes every custom resource of a CRD with it,
/// helm-semantics.md §2.6), so it is absent rather than unknown.
pub async fn observe(
    cluster: &crate::source::Connection,
    keys: &[ResourceKey],
    replays: &[&helm_why_diff::Replay],
) -> Vec<crate::source::Observation> {
    use crate::source::Observation;
    let mut observations = cluster.observe(keys).await;
    // For each object the cluster could not say anything of: the CRDs the replays deleted
    // that served its kind.
    let deleted_crds: Vec<Vec<&ResourceKey>> = keys
        .iter()
        .zip(&observations)
        .map(|(key, observation)| match observation {
            Observation::Unknown(_) => replays
                .iter()
                .flat_map(|r| &r.crd_deletions)
                .filter(|d| d.served.serves(key))
                .map(|d| &d.served.crd)
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut asked: Vec<ResourceKey> = deleted_crds.iter().flatten().map(|&k| k.clone()).collect();
    asked.sort();
    asked.dedup();
    if asked.is_empty() {
        return observations;
    }
    let answers = cluster.observe(&asked).await;
    let absent = |crd: &&ResourceKey| {
        let at = asked.binary_search(crd).ok();
        at.and_then(|i| answers.get(i))
            .is_some_and(|o| matches!(o, Observation::Absent))
    };
    for (observation, crds) in observations.iter_mut().zip(&deleted_crds) {
        if !crds.is_empty() && crds.iter().all(absent) {
            *observation = Observation::Absent;
        }
    }
    observations
}

/// Whether a release of another namespace than the object's own release may have deleted
/// `key`: a cluster-scoped object is one object for every namespace's releases, and an object
/// of a kind a CustomResourceDefinition may serve goes when that CRD (cluster-scoped, owned by
/// a release anywhere) is deleted.
pub fn reachable_from_any_namespace(key: &ResourceKey) -> bool {
    key.namespace.is_none() || !helm_why_release::is_builtin_group(&key.group)
}

/// What other releases' records are searched for to find those that may have touched
/// `objects`: their names, and the kinds among them that a CustomResourceDefinition may serve
/// (not of Kubernetes' own groups). A release that deletes such a CRD deletes every object of
/// its kind (helm-semantics.md §2.6), and its records name the kind (`spec.names.kind`), not
/// the objects.
fn searched_for<'k>(objects: impl IntoIterator<Item = &'k ResourceKey>) -> BTreeSet<&'k str> {
    let mut searched = BTreeSet::new();
    for key in objects {
        searched.insert(key.name.as_str());
        if !helm_why_release::is_builtin_group(&key.group) {
            searched.insert(key.kind.as_str());
        }
    }
    searched
}

/// What the records of another release that could not be decoded leave unknown, if any.
fn undecoded_warning(history: &History) -> Option<String> {
    let (_, first) = history.undecodable.first()?;
    let n = history.undecodable.len();
    Some(format!(
        "release {}: {n} record{} could not be decoded (the first: {first}); what it did to this release's objects may be missing",
        history.id,
        if n == 1 { "" } else { "s" }
    ))
}

/// Whether a record of `history` mentions one of `names` in its manifest or hooks: a cheap
/// test before replaying a release to see what it did to them.
pub fn mentions_in(history: &History, names: &Mentions) -> bool {
    history
        .revisions
        .iter()
        .any(|r| names.in_release(&r.release))
}

/// [`mentions_in`] for one set of names.
pub fn mentions_any(history: &History, names: &BTreeSet<&str>) -> bool {
    mentions_in(history, &Mentions::new(names.iter().copied()))
}
