//! Where release records come from: files, a live cluster, or the SQL driver's database. Both end in the same
//! [`Loaded`] value, so commands never know which one they read.

pub mod cluster;
pub mod files;
mod held_tiller;
mod pg_tls;
pub mod sql;

use anyhow::Result;
use helm_why_release::input::IgnoredObject;
use helm_why_release::mentions::Mentions;
use helm_why_release::{DecodeError, Histories, History};

pub use cluster::{Connection, LiveObject, Observation};

use crate::config::{Config, SourceSpec};
use crate::error::UserError;
use crate::suggest;

/// What to read.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// Every record of one release.
    Release(&'a str),
    /// Every record of the releases stored in one namespace, or in any, but one, of which a
    /// record may mention one of some object names (the releases that may have touched that
    /// release's objects). Read in two passes: the records are searched without being decoded
    /// or kept, then only the releases found are read and decoded.
    Neighbours {
        /// The namespace; `None` for every namespace.
        namespace: Option<&'a str>,
        /// The release left out.
        except: &'a helm_why_release::ReleaseId,
        /// The object names.
        names: &'a Mentions,
    },
    /// Every release; across namespaces when `all_namespaces`.
    All {
        /// `-A`.
        all_namespaces: bool,
        /// Only the newest record of each release is needed (`list`); the others are not
        /// decoded.
        newest: bool,
    },
}

/// A source that can be read release by release as it comes, so that memory holds a few
/// releases: a cluster's Secrets or ConfigMaps ([`cluster::ReleaseStream`]; Tiller's records
/// are held as stored, undecoded, until their release's turn), files and directories
/// ([`files::stream`]) and the SQL driver's database ([`sql::stream`]). Standard input is
/// read whole with [`load`].
pub enum Streamed<'c> {
    /// A cluster.
    Cluster(&'c crate::config::ClusterSpec),
    /// Files and directories, not standard input.
    Files(&'c [std::path::PathBuf]),
    /// The SQL driver's database ([`sql::stream`]).
    Sql(&'c crate::config::SqlSpec),
}

/// How `config`'s source can be streamed, if it can.
pub fn streamed(config: &Config) -> Option<Streamed<'_>> {
    match &config.source {
        SourceSpec::Cluster(spec) => Some(Streamed::Cluster(spec)),
        // Standard input is read once, whole.
        SourceSpec::Files(_) if config.reads_stdin() => None,
        SourceSpec::Files(paths) => Some(Streamed::Files(paths)),
        SourceSpec::Sql(spec) => Some(Streamed::Sql(spec)),
    }
}

/// Records read from a source, grouped per release.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Histories, by namespace and name.
    pub histories: Histories,
    /// Objects that were not release records.
    pub ignored: Vec<IgnoredObject>,
    /// Where the records came from, for messages (`namespace "shop"`, `2 files`).
    pub origin: String,
    /// The cluster the records were read from, to look at live objects (`None` for files).
    pub cluster: Option<Connection>,
    /// Other releases the source holds (namespace, name) that were read past without being
    /// decoded: what "did you mean" and "found in namespace" hints offer.
    pub other_releases: Vec<(String, String)>,
    /// Whether [`Loaded::other_releases`] names every other release the source holds (files:
    /// every record's labels are read to select; a cluster or database is asked for one
    /// release only).
    pub others_complete: bool,
    /// When the release asked for has no record in the configured storage kind but has some
    /// in the other one: `(driver flag value, number of records)`.
    pub other_driver: Option<(&'static str, usize)>,
    /// Tiller's namespace was searched too (`--tiller`).
    pub tiller: bool,
}

impl Loaded {
    /// Whether this reading proved that no other release shares `this` one's namespace, so
    /// that reading the source again for them would find nothing: it saw every release the
    /// source holds ([`Loaded::others_complete`]), each with its namespace, and no record it
    /// could not attribute.
    pub fn alone_in_namespace(&self, this: &History) -> bool {
        // No namespace known (a record without one): it may be this one.
        self.alone_among(this, |namespace| {
            namespace.is_empty() || namespace == this.id.namespace
        })
    }

    /// Whether this reading proved that the source holds no other release than `this`, in
    /// any namespace: it saw every release ([`Loaded::others_complete`]) and no record it
    /// could not attribute.
    pub fn alone_in_source(&self, this: &History) -> bool {
        self.alone_among(this, |_| true)
    }

    /// Whether this reading saw every release of the source ([`Loaded::others_complete`]) and
    /// every record's release, and no other release than `this` in a namespace that `counts`.
    fn alone_among(&self, this: &History, counts: impl Fn(&str) -> bool) -> bool {
        self.others_complete
            && self.histories.unattributed.is_empty()
            && self.histories.releases.iter().all(|h| h.id == this.id)
            && !self
                .other_releases
                .iter()
                .any(|(namespace, _)| counts(namespace))
    }

    /// Decode errors that could not be tied to a release.
    pub fn unattributed(&self) -> &[DecodeError] {
        &self.histories.unattributed
    }
}

/// What a stream of releases ([`cluster::ReleaseStream`], [`files::stream`]) hands over.
#[derive(Debug)]
pub enum Batch {
    /// One release, complete.
    Releases(helm_why_release::Histories),
    /// The records could not be grouped as they came ([`helm_why_release::history::NotAdjacent`],
    /// said in words): what was handed over may have been incomplete, so the caller must
    /// discard it and [`load`] everything at once.
    OutOfOrder(String),
    /// Tiller's records continue a Helm 3 release handed over already (`helm 2to3`): the
    /// caller must discard what was handed over and stream the files again with Tiller's
    /// records read first ([`files::stream`]'s `tiller_first`).
    TillerFirst,
}

/// How a stream handed its releases over, as its caller keeps track of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handed {
    /// Release by release, each complete.
    InOrder,
    /// Not grouped by release ([`Batch::OutOfOrder`]): read everything at once.
    OutOfOrder,
    /// Tiller's records must come first ([`Batch::TillerFirst`]): stream the files again so.
    TillerFirst,
}

/// Read the records `request` needs from the configured source.
///
/// # Errors
/// Unreadable files, an unreachable or refusing cluster.
pub async fn load(config: &Config, request: Request<'_>) -> Result<Loaded> {
    match &config.source {
        SourceSpec::Files(paths) => files::load(paths, config, request),
        SourceSpec::Cluster(spec) => cluster::load(spec, config, request).await,
        SourceSpec::Sql(spec) => sql::load(spec, config, request).await,
    }
}

/// The one history of `name`, honouring the namespace filter, with at least one decoded
/// revision.
///
/// # Errors
/// No such release, the same name in several namespaces without `-n`, or records of which
/// none decodes.
pub fn select_release<'a>(
    loaded: &'a Loaded,
    name: &'a str,
    namespace: Option<&str>,
) -> Result<&'a History> {
    let history = select_release_any(loaded, name, namespace)?;
    if history.revisions.is_empty() && !history.undecodable.is_empty() {
        let n = history.undecodable.len();
        let first = &history.undecodable[0].1;
        return Err(UserError::with_hint(
            format!(
                "release {}: {n} record{} found, none could be decoded: {first}",
                history.id,
                if n == 1 { "" } else { "s" }
            ),
            if first.layer == helm_why_release::Layer::Size {
                "--max-record-bytes and --max-total-bytes raise the size limits; docs/reliability.md lists every limit"
            } else {
                "`helm-why history` shows every record with its error"
            },
        )
        .into());
    }
    Ok(history)
}

/// [`select_release`], also when no revision decodes (`history` shows each record's error).
///
/// # Errors
/// No such release, or the same name in several namespaces without `-n`.
pub fn select_release_any<'a>(
    loaded: &'a Loaded,
    name: &'a str,
    namespace: Option<&str>,
) -> Result<&'a History> {
    let matches: Vec<&History> = loaded
        .histories
        .named(name)
        .filter(|h| namespace.is_none_or(|ns| h.id.namespace == ns))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(not_found(loaded, name, namespace).into()),
        several => {
            let namespaces: Vec<&str> = several.iter().map(|h| h.id.namespace.as_str()).collect();
            Err(UserError::with_hint(
                format!(
                    "release {name:?} exists in several namespaces: {}",
                    namespaces.join(", ")
                ),
                "pick one with -n/--namespace",
            )
            .into())
        }
    }
}

/// Why `name` is not in `loaded`, with what the source suggests instead: the same release in
/// another namespace, records in the other storage kind, a similar name.
fn not_found(loaded: &Loaded, name: &str, namespace: Option<&str>) -> UserError {
    // Inputs that failed before a release name could be read may have held it.
    let failed = match loaded.unattributed() {
        [] => String::new(),
        [only] => format!("; 1 input could not be decoded: {only}"),
        [first, rest @ ..] => format!(
            "; {} inputs could not be decoded, the first: {first}",
            rest.len() + 1
        ),
    };
    let message = format!("release {name:?} not found in {}{failed}", loaded.origin);
    let mut known: Vec<(String, String)> = loaded
        .histories
        .releases
        .iter()
        .map(|h| (h.id.namespace.clone(), h.id.name.clone()))
        .chain(loaded.other_releases.iter().cloned())
        .collect();
    known.sort();
    known.dedup();
    let elsewhere: Vec<String> = known
        .iter()
        .filter(|(ns, n)| n == name && namespace.is_some_and(|want| want != ns))
        .map(|(ns, _)| ns.clone())
        .collect();
    if let Some(first) = elsewhere.first() {
        let hint = format!(
            "found in namespace{} {}: add -n {first}",
            if elsewhere.len() == 1 { "" } else { "s" },
            suggest::cut_list(&elsewhere, suggest::MAX_LISTED)
        );
        return UserError::with_hint(message, hint);
    }
    if let Some((driver, count)) = loaded.other_driver {
        let hint = format!(
            "{count} record{} of release {name:?} exist with --driver {driver}",
            if count == 1 { "" } else { "s" }
        );
        return UserError::with_hint(message, hint);
    }
    let names: Vec<&str> = known.iter().map(|(_, n)| n.as_str()).collect();
    let close = suggest::closest(name, names);
    if !close.is_empty() {
        let close: Vec<String> = close.into_iter().map(str::to_owned).collect();
        let hint = format!(
            "did you mean {}?",
            suggest::cut_list_or(&close, suggest::MAX_SUGGESTED)
        );
        return UserError::with_hint(message, hint);
    }
    let mut hint = if known.is_empty() {
        "check --namespace and --context, or the files given to --from".to_owned()
    } else {
        let all: Vec<String> = known.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
        format!(
            "releases found: {}",
            suggest::cut_list(&all, suggest::MAX_LISTED)
        )
    };
    if loaded.tiller {
        // Tiller's `helm delete --purge` removes every record [Helm v2.17.0
        // `pkg/tiller/release_uninstall.go` `purgeReleases`].
        hint.push_str("; Helm 2's helm delete --purge leaves no record of a release");
    }
    UserError::with_hint(message, hint)
}

/// For a plan: the newest record must decode, since it may be the base of the next upgrade
/// (a plan against an older revision would be confidently wrong).
///
/// # Errors
/// A revision newer than every decoded one failed to decode.
pub fn require_latest_decoded(history: &History) -> Result<()> {
    let latest = history.latest().map(|r| r.release.version);
    let newer = history
        .undecodable
        .iter()
        .filter(|(rev, _)| rev.is_some_and(|r| latest.is_none_or(|l| r > l)))
        .max_by_key(|(rev, _)| *rev);
    match newer {
        Some((Some(rev), error)) => Err(UserError::with_hint(
            format!(
                "release {}: revision {rev}, the newest and so possibly the base of the next upgrade, could not be decoded: {error}",
                history.id
            ),
            "planning against an older revision would be wrong; `helm-why history` shows every revision",
        )
        .into()),
        _ => Ok(()),
    }
}
