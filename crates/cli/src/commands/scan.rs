//! `helm-why scan`: every release of a namespace, a cluster or a fleet — its status, its
//! hazards, and what releases do to each other's objects — for audits and postmortems.
//!
//! From a cluster, the records are read one LIST page at a time and each release is analysed
//! as soon as the LIST has moved past it ([`ReleaseStream`]), so memory holds about one
//! release's records and every release's small [`Tracking`], not the cluster's records.

use std::collections::BTreeSet;

use anyhow::Result;
use helm_why_diff::images::image_history;
use helm_why_diff::{
    Hazard, ReleaseHazard, ReplayOptions, RevisionView, Tracking, cross_hazards, replay_parsed,
};
use helm_why_release::codec::RunBudget;
use helm_why_release::history::{Finding, count};
use helm_why_release::{Histories, History, ResourceKey};

use super::{Ui, discover, kinds_of, replay_options, source_warnings};
use crate::args::ScanArgs;
use crate::config::{Config, SourceSpec};
use crate::progress::Progress;
use crate::report::scan::{ScanHazard, ScanReport, ScanRow, SeverityCounts};
use crate::source::cluster::{
    Connection, Observation, ReleaseStream, context_names, needs_discovery,
};
use crate::source::{Batch, Handed, Loaded, Request, Streamed, files, load, sql, streamed};

/// Run `scan`.
///
/// # Errors
/// Source errors (an unreachable context fails the scan: an audit that skips a cluster
/// silently would be wrong).
pub async fn run(args: &ScanArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let progress = Progress::new(config);
    let mut report = ScanReport::default();
    for (context, config) in sources(args, config)? {
        let scanned = scan_source(args, &config, context.as_deref(), &progress).await?;
        report.sources.push(scanned.origin);
        report.releases.extend(scanned.rows);
        report.hazards.extend(scanned.hazards);
        report.objects_checked += scanned.objects_checked;
        report.warnings.extend(scanned.warnings);
    }
    progress.finish();
    report.releases.sort_by(|a, b| {
        (&a.context, &a.namespace, &a.release).cmp(&(&b.context, &b.namespace, &b.release))
    });
    // Borrowed keys: a scan of a thousand releases sorts a hundred thousand hazards.
    fn order(
        h: &ScanHazard,
    ) -> (
        std::cmp::Reverse<helm_why_diff::Severity>,
        Option<&str>,
        &str,
        &str,
        Option<u64>,
    ) {
        (
            std::cmp::Reverse(h.hazard.hazard.severity),
            h.context.as_deref(),
            h.hazard.namespace.as_str(),
            h.hazard.release.as_str(),
            h.hazard.hazard.revision,
        )
    }
    report.hazards.sort_by(|a, b| order(a).cmp(&order(b)));
    crate::render::scan::render(&report, ui)?;
    Ok(args.fail_on.exit_code(report.worst()))
}

/// The sources to scan: each `--context` (or every context with `--all-contexts`), else the
/// one configured source.
fn sources(args: &ScanArgs, config: &Config) -> Result<Vec<(Option<String>, Config)>> {
    let SourceSpec::Cluster(spec) = &config.source else {
        return Ok(vec![(None, config.clone())]);
    };
    let contexts = if args.all_contexts {
        context_names(spec)?
    } else if config.contexts.len() > 1 {
        config.contexts.clone()
    } else {
        return Ok(vec![(None, config.clone())]);
    };
    Ok(contexts
        .into_iter()
        .map(|context| {
            let mut spec = spec.clone();
            spec.context = Some(context.clone());
            let config = Config {
                source: SourceSpec::Cluster(spec),
                ..config.clone()
            };
            (Some(context), config)
        })
        .collect())
}

/// What one source gave.
struct Scanned {
    origin: String,
    rows: Vec<ScanRow>,
    hazards: Vec<ScanHazard>,
    objects_checked: usize,
    warnings: Vec<String>,
}

/// Every release's analysis, kept small: the row, its hazards, what it tracks.
#[derive(Default)]
struct Analyses {
    rows: Vec<ScanRow>,
    hazards: Vec<ReleaseHazard>,
    tracking: Vec<Tracking>,
    warnings: Vec<String>,
}

/// One release's analysis.
struct Analysis {
    row: ScanRow,
    hazards: Vec<ReleaseHazard>,
    tracking: Option<Tracking>,
    warnings: Vec<String>,
}

/// Analyse one release: its row, its hazards (replay and images), what it tracks. It runs on
/// one thread: [`Pool`] analyses a release per core.
fn analyse(history: &History, options: &ReplayOptions, context: Option<&str>) -> Analysis {
    let views = RevisionView::parse_records_on(&history.revisions, &options.scopes, 1);
    analyse_views(history, views, options, context)
}

/// [`analyse`], unless the release uses a group version whose kinds' scopes come from API
/// discovery ([`needs_discovery`]) and `known` does not hold it yet: then the kinds it uses,
/// so that the caller discovers them and hands the release back. The documents are parsed
/// once either way when nothing is missing, which is the common case.
fn analyse_discovered(
    history: &History,
    options: &ReplayOptions,
    known: &BTreeSet<(String, String)>,
    context: Option<&str>,
) -> Result<Analysis, Kinds> {
    let views = RevisionView::parse_records_on(&history.revisions, &options.scopes, 1);
    let kinds = kinds_of(&views);
    let missing = kinds
        .iter()
        .any(|(g, v, _)| needs_discovery(g, v) && !known.contains(&(g.clone(), v.clone())));
    if missing {
        return Err(kinds);
    }
    Ok(analyse_views(history, views, options, context))
}

/// [`analyse`] with the revisions parsed.
fn analyse_views(
    history: &History,
    views: Vec<RevisionView<'_>>,
    options: &ReplayOptions,
    context: Option<&str>,
) -> Analysis {
    // Pruned revisions are ordinary (--history-max); the row counts them.
    let warnings = history
        .findings
        .iter()
        .filter(|f| !matches!(f, Finding::MissingRevisions { .. }))
        .map(|f| format!("{}: {f}", history.id))
        .collect();
    let latest = history.latest().map(|r| &r.release);
    let row = ScanRow {
        context: context.map(str::to_owned),
        namespace: history.id.namespace.clone(),
        release: history.id.name.clone(),
        revision: history.last_revision(),
        status: latest.map_or("undecodable".to_owned(), |r| r.info.status.to_string()),
        updated: latest
            .and_then(|r| r.info.last_deployed.as_ref())
            .map(ToString::to_string),
        chart: latest.map(|r| r.chart_label()).unwrap_or_default(),
        revisions_stored: history.revisions.len() + history.undecodable.len(),
        revisions_missing: count(&history.missing),
        hazards: SeverityCounts::default(),
        worst: None,
    };
    if history.revisions.is_empty() {
        return Analysis {
            row,
            hazards: Vec::new(),
            tracking: None,
            warnings,
        };
    }
    let replay = replay_parsed(history, &views, options);
    let mut hazards = replay.hazards.clone();
    hazards.extend(image_hazards(&views));
    drop(views);
    Analysis {
        row,
        hazards: hazards
            .into_iter()
            .map(|h| ReleaseHazard::of(&replay, h))
            .collect(),
        tracking: Some(Tracking::of(&replay)),
        warnings,
    }
}

impl Analyses {
    /// Keep one release's analysis.
    fn push(&mut self, analysis: Analysis) {
        self.warnings.extend(analysis.warnings);
        self.rows.push(analysis.row);
        self.hazards.extend(analysis.hazards);
        self.tracking.extend(analysis.tracking);
    }

    /// Add the cross-release hazards, once every release of the source is in.
    fn cross(&mut self) {
        // In release order, whatever order the source gave them in.
        self.tracking
            .sort_by(|a, b| (&a.namespace, &a.release).cmp(&(&b.namespace, &b.release)));
        let cross = cross_hazards(&self.tracking);
        self.hazards.extend(cross);
    }

    /// Count each release's hazards into its row, and name its worst.
    fn tally(&mut self) {
        let index: std::collections::BTreeMap<(&str, &str), usize> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.namespace.as_str(), r.release.as_str()), i))
            .collect();
        let mut counts = vec![(SeverityCounts::default(), None::<&Hazard>); self.rows.len()];
        for h in &self.hazards {
            if let Some(i) = index.get(&(h.namespace.as_str(), h.release.as_str())) {
                let (tally, worst) = &mut counts[*i];
                tally.add(h.hazard.severity);
                if worst.is_none_or(|w| w.severity < h.hazard.severity) {
                    *worst = Some(&h.hazard);
                }
            }
        }
        let counted: Vec<(SeverityCounts, Option<String>)> = counts
            .into_iter()
            .map(|(c, w)| (c, w.map(|h| h.code.clone())))
            .collect();
        for (row, (tally, worst)) in self.rows.iter_mut().zip(counted) {
            row.hazards = tally;
            row.worst = worst;
        }
    }
}

/// The image findings of the records as hazards, one per cause (code and severity): a
/// release with 10 revisions and 40 containers has one `tag-kept-app-version-changed`, not
/// 400. The hazard names the first place and counts the others (`images` lists them all).
fn image_hazards(views: &[RevisionView<'_>]) -> Vec<Hazard> {
    let findings = image_history(views).findings;
    let mut causes: Vec<Vec<&helm_why_diff::images::ImageFinding>> = Vec::new();
    for f in &findings {
        match causes
            .iter_mut()
            .find(|c| c[0].code == f.code && c[0].severity == f.severity)
        {
            Some(cause) => cause.push(f),
            None => causes.push(vec![f]),
        }
    }
    causes
        .into_iter()
        .map(|cause| {
            let first = cause[0];
            let places: BTreeSet<(&ResourceKey, &str)> = cause
                .iter()
                .map(|f| (&*f.workload, f.container.as_str()))
                .collect();
            let revisions: BTreeSet<u64> = cause
                .iter()
                .flat_map(|f| f.revision.into_iter().chain(f.last_revision))
                .collect();
            let message = match cause.len() {
                1 => first.message.clone(),
                n => format!(
                    "{n} findings in {} container{}{}; `helm-why images` lists them. The first: {}",
                    places.len(),
                    if places.len() == 1 { "" } else { "s" },
                    match (revisions.first(), revisions.last()) {
                        (Some(a), Some(b)) if a != b => format!(", revisions {a}–{b}"),
                        (Some(a), _) => format!(", revision {a}"),
                        _ => String::new(),
                    },
                    first.message
                ),
            };
            Hazard::new(
                first.code.as_str(),
                first.severity,
                first.revision,
                Some(ResourceKey::clone(&first.workload)),
                message,
            )
        })
        .collect()
}

/// Scan one source.
async fn scan_source(
    args: &ScanArgs,
    config: &Config,
    context: Option<&str>,
    progress: &Progress,
) -> Result<Scanned> {
    let where_ = context.map_or(String::new(), |c| format!(" in context {c}"));
    progress.say(format!("reading release records{where_}"));
    let budget_before = config.limits.budget.spent();
    match streamed(config) {
        Some(Streamed::Cluster(spec)) => {
            let mut stream = ReleaseStream::open(spec, config, args.all_namespaces).await?;
            if let Some(mut analyses) = scan_stream(&mut stream, config, context, progress).await? {
                let checked = check_ownership(args, stream.connection(), &mut analyses).await;
                return Ok(finish(stream.origin(), analyses, checked, context));
            }
            // The server broke key order: read everything at once instead.
            progress.say(format!("reading release records{where_} again"));
        }
        Some(Streamed::Files(paths)) => match scan_files(paths, config, context, progress)? {
            Some(scanned) => return Ok(scanned),
            None => progress.say(format!("reading release records{where_} again")),
        },
        Some(Streamed::Sql(spec)) => match scan_sql(spec, args, config, context, progress).await? {
            Some(scanned) => return Ok(scanned),
            None => progress.say(format!("reading release records{where_} again")),
        },
        None => {}
    }
    // Whatever a stream decoded before it fell back is dropped: read again, it is charged
    // again.
    config.limits.budget.rewind(budget_before);
    let loaded = load(
        config,
        Request::All {
            all_namespaces: args.all_namespaces,
            newest: false,
        },
    )
    .await?;
    let mut analyses = Analyses {
        warnings: source_warnings(&loaded),
        ..Analyses::default()
    };
    let mut scopes = config.scopes.clone();
    if let Some(cluster) = &loaded.cluster {
        let found = discover(cluster, &loaded.histories.releases, &mut scopes).await;
        analyses.warnings.extend(found);
    }
    let options = replay_options(config, &scopes, loaded.cluster.is_some())?;
    let pool = Pool::start(context, progress, &config.limits.budget);
    let options = std::sync::Arc::new(options);
    // One release per job, so that every core takes its share.
    for history in loaded.histories.releases {
        let one = Histories {
            releases: vec![history],
            unattributed: Vec::new(),
        };
        pool.give(one, &options, None);
    }
    for analysis in pool.finish() {
        analyses.push(analysis);
    }
    analyses.cross();
    let checked = match &loaded.cluster {
        Some(cluster) => check_ownership(args, cluster, &mut analyses).await,
        None => 0,
    };
    Ok(finish(loaded.origin, analyses, checked, context))
}

/// Analyse a cluster's releases one by one as the LIST reads them; `None` when the LIST came
/// back to a release already analysed (the caller reads everything at once).
async fn scan_stream(
    stream: &mut ReleaseStream,
    config: &Config,
    context: Option<&str>,
    progress: &Progress,
) -> Result<Option<Analyses>> {
    let where_ = context.map_or(String::new(), |c| format!(" in context {c}"));
    let mut discovery = Discovery {
        scopes: config.scopes.clone(),
        known: BTreeSet::new(),
        warnings: BTreeSet::new(),
    };
    let mut options = std::sync::Arc::new(replay_options(config, &discovery.scopes, true)?);
    let mut known = std::sync::Arc::new(discovery.known.clone());
    // Each release is analysed as soon as the LIST moves past it, while the next pages are
    // read; a release whose kinds need a discovery not made yet comes back to be discovered
    // here (the async side) and is handed over again.
    let pool = Pool::start(context, progress, &config.limits.budget);
    let mut unattributed = Vec::new();
    loop {
        let next = match stream.next().await {
            Ok(next) => next,
            Err(e) => {
                pool.finish();
                return Err(e);
            }
        };
        let last = match next {
            Some(Batch::Releases(mut h)) => {
                unattributed.append(&mut h.unattributed);
                pool.give(h, &options, Some(&known));
                false
            }
            // A cluster's Tiller records are read first already.
            Some(Batch::OutOfOrder(_) | Batch::TillerFirst) => {
                pool.finish();
                return Ok(None);
            }
            None => true,
        };
        progress.say(format!("{} records read{where_}", stream.records));
        while let Some((history, kinds)) = pool.handed_back(last) {
            discovery.learn(stream.connection(), &kinds).await;
            options = std::sync::Arc::new(replay_options(config, &discovery.scopes, true)?);
            known = std::sync::Arc::new(discovery.known.clone());
            let again = Histories {
                releases: vec![history],
                unattributed: Vec::new(),
            };
            pool.give(again, &options, Some(&known));
        }
        if last {
            break;
        }
    }
    let mut analyses = Analyses::default();
    analyses
        .warnings
        .extend(unattributed.iter().map(|e| format!("could not decode {e}")));
    for analysis in pool.finish() {
        analyses.push(analysis);
    }
    analyses.warnings.extend(discovery.warnings);
    analyses.cross();
    Ok(Some(analyses))
}

/// What API discovery taught a streaming scan so far.
struct Discovery {
    scopes: helm_why_release::ScopeResolver,
    /// The group versions asked about (answered or not).
    known: BTreeSet<(String, String)>,
    warnings: BTreeSet<String>,
}

impl Discovery {
    /// Discover the group versions of `kinds` not asked about yet.
    async fn learn(&mut self, cluster: &Connection, kinds: &Kinds) {
        let found = cluster.discover_scopes(kinds, &mut self.scopes).await;
        self.warnings.extend(found);
        self.known.extend(
            kinds
                .iter()
                .filter(|(g, v, _)| needs_discovery(g, v))
                .map(|(g, v, _)| (g.clone(), v.clone())),
        );
    }
}

/// Analyse the releases of files as they are read ([`files::stream`]: reading and decoding
/// on other threads), each release by the next free core as soon as it is complete
/// ([`Pool`]), so that memory holds a few releases and the reading overlaps the analysis.
/// Files whose Tiller records continue a Helm 3 release handed over already are streamed
/// again, Tiller's records first. `None` when the records are not grouped by release (the
/// caller reads the files whole).
fn scan_files(
    paths: &[std::path::PathBuf],
    config: &Config,
    context: Option<&str>,
    progress: &Progress,
) -> Result<Option<Scanned>> {
    let options = std::sync::Arc::new(replay_options(config, &config.scopes, false)?);
    let budget_before = config.limits.budget.spent();
    let mut tiller_first = false;
    loop {
        let pool = Pool::start(context, progress, &config.limits.budget);
        let mut handed = Handed::InOrder;
        let loaded = files::stream(
            paths,
            config,
            tiller_first,
            &mut give_to(&pool, &options, &mut handed),
        );
        let done = pool.finish();
        let loaded = loaded?;
        match handed {
            Handed::InOrder => return Ok(Some(finish_streamed(loaded, done, context))),
            Handed::TillerFirst if !tiller_first => {
                // What the first pass decoded is dropped with its analyses.
                config.limits.budget.rewind(budget_before);
                progress.say("reading release records again, Tiller's first".to_owned());
                tiller_first = true;
            }
            Handed::TillerFirst | Handed::OutOfOrder => return Ok(None),
        }
    }
}

/// [`scan_files`] for the SQL driver's database ([`sql::stream`]).
async fn scan_sql(
    spec: &crate::config::SqlSpec,
    args: &ScanArgs,
    config: &Config,
    context: Option<&str>,
    progress: &Progress,
) -> Result<Option<Scanned>> {
    let options = std::sync::Arc::new(replay_options(config, &config.scopes, false)?);
    let pool = Pool::start(context, progress, &config.limits.budget);
    let mut handed = Handed::InOrder;
    let mut give = give_to(&pool, &options, &mut handed);
    let loaded = sql::stream(spec, config, args.all_namespaces, &mut give).await;
    drop(give);
    let done = pool.finish();
    let loaded = loaded?;
    if handed != Handed::InOrder {
        return Ok(None);
    }
    Ok(Some(finish_streamed(loaded, done, context)))
}

/// What a stream hands over, given to `pool`; `handed` says when the stream was told to stop
/// because its records are not grouped by release, or must be read again Tiller's first.
fn give_to<'a>(
    pool: &'a Pool,
    options: &'a std::sync::Arc<ReplayOptions>,
    handed: &'a mut Handed,
) -> impl FnMut(Batch) -> bool + 'a {
    move |batch| match batch {
        Batch::Releases(histories) => pool.give(histories, options, None),
        Batch::OutOfOrder(_) => {
            *handed = Handed::OutOfOrder;
            false
        }
        Batch::TillerFirst => {
            *handed = Handed::TillerFirst;
            false
        }
    }
}

/// The report of a source read as a stream ([`scan_files`], [`scan_sql`]): `loaded` holds
/// what is not a release, `done` the analyses of the releases.
fn finish_streamed(loaded: Loaded, done: Vec<Analysis>, context: Option<&str>) -> Scanned {
    // What is not a release comes first, as when the source is read whole.
    let mut analyses = Analyses {
        warnings: source_warnings(&loaded),
        ..Analyses::default()
    };
    for analysis in done {
        analyses.push(analysis);
    }
    analyses.cross();
    finish(loaded.origin, analyses, 0, context)
}

/// Releases analysed by one thread per core, each taking the next release as soon as it is
/// free, while the caller reads on: [`Pool::give`] waits when the analysis is a few releases
/// behind, so memory holds those few, not the source.
struct Pool {
    send: std::sync::mpsc::SyncSender<Job>,
    workers: Vec<std::thread::JoinHandle<Vec<Analysis>>>,
    /// Releases handed back because their kinds need discovery ([`analyse_discovered`]).
    undiscovered: std::sync::mpsc::Receiver<(History, Kinds)>,
    /// Releases given and neither analysed nor handed back yet.
    outstanding: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Kinds as (group, version, kind).
type Kinds = BTreeSet<(String, String, String)>;

/// Releases to analyse, with the options to replay them with (discovery may have taught the
/// scopes more since the last ones) and, from a cluster, the group versions discovered so far.
type Job = (
    Histories,
    std::sync::Arc<ReplayOptions>,
    Option<std::sync::Arc<BTreeSet<(String, String)>>>,
);

impl Pool {
    fn start(context: Option<&str>, progress: &Progress, budget: &RunBudget) -> Pool {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let cores = helm_why_release::parallel::cores();
        let (send, receive) = std::sync::mpsc::sync_channel::<Job>(2 * cores);
        let (hand_back, undiscovered) = std::sync::mpsc::channel();
        let receive = Arc::new(Mutex::new(receive));
        let replayed = Arc::new(AtomicUsize::new(0));
        let outstanding = Arc::new(AtomicUsize::new(0));
        let workers = (0..cores)
            .map(|_| {
                let (receive, replayed) = (Arc::clone(&receive), Arc::clone(&replayed));
                let (outstanding, hand_back) = (Arc::clone(&outstanding), hand_back.clone());
                let (context, progress) = (context.map(str::to_owned), progress.clone());
                let budget = budget.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    // The lock is held only to take the next job.
                    while let Some((histories, options, known)) =
                        receive.lock().ok().and_then(|r| r.recv().ok())
                    {
                        for history in histories.releases {
                            let context = context.as_deref();
                            let analysed = match &known {
                                None => Ok(analyse(&history, &options, context)),
                                Some(known) => {
                                    analyse_discovered(&history, &options, known, context)
                                }
                            };
                            match analysed {
                                Ok(analysis) => {
                                    // Its records are dropped now: what they decoded to
                                    // is free for the releases still to come.
                                    budget.give_back(history.decoded_bytes());
                                    mine.push(analysis);
                                    let done = replayed.fetch_add(1, Ordering::Relaxed) + 1;
                                    progress.say(format!("replayed {done} releases"));
                                }
                                // Sent before it stops being outstanding, so that the caller
                                // never sees neither.
                                Err(kinds) => drop(hand_back.send((history, kinds))),
                            }
                            outstanding.fetch_sub(1, Ordering::AcqRel);
                        }
                    }
                    mine
                })
            })
            .collect();
        Pool {
            send,
            workers,
            undiscovered,
            outstanding,
        }
    }

    /// Queue releases; `false` when no worker is left to take them. With `known` (the group
    /// versions discovered so far), a release that needs another discovery is handed back
    /// ([`Pool::handed_back`]) instead of analysed.
    fn give(
        &self,
        histories: Histories,
        options: &std::sync::Arc<ReplayOptions>,
        known: Option<&std::sync::Arc<BTreeSet<(String, String)>>>,
    ) -> bool {
        let n = histories.releases.len();
        self.outstanding
            .fetch_add(n, std::sync::atomic::Ordering::AcqRel);
        let job = (histories, std::sync::Arc::clone(options), known.cloned());
        let given = self.send.send(job).is_ok();
        if !given {
            self.outstanding
                .fetch_sub(n, std::sync::atomic::Ordering::AcqRel);
        }
        given
    }

    /// A release handed back, with its kinds; with `wait`, waits for one as long as some
    /// release is outstanding.
    fn handed_back(&self, wait: bool) -> Option<(History, Kinds)> {
        use std::sync::atomic::Ordering;
        loop {
            if let Ok(back) = self.undiscovered.try_recv() {
                return Some(back);
            }
            if !wait || self.outstanding.load(Ordering::Acquire) == 0 {
                // A worker sends before it stops counting a release: look once more.
                return self.undiscovered.try_recv().ok();
            }
            match self
                .undiscovered
                .recv_timeout(std::time::Duration::from_millis(20))
            {
                Ok(back) => return Some(back),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Every analysis, in release order whichever core made it.
    fn finish(self) -> Vec<Analysis> {
        drop(self.send);
        let mut done: Vec<Analysis> = self
            .workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        done.sort_by(|a, b| {
            (&a.row.namespace, &a.row.release).cmp(&(&b.row.namespace, &b.row.release))
        });
        done
    }
}

/// The hazards whose objects `scan` looks at live by default: two releases claim them, and
/// the live ownership annotations say which one Helm's metadata names now.
const CLAIMED: [&str; 2] = ["shared-object", "crd-shared"];

/// `ownership-moved` (connected): read the ownership annotations of the tracked objects the
/// cross-release hazards name (with `--check-ownership`, of every tracked object: one GET
/// each), and flag each whose `meta.helm.sh/release-name`/`-namespace` names another release
/// than one whose base tracks it: that release's next upgrade without it deletes it all the
/// same. Returns how many objects were looked at.
async fn check_ownership(args: &ScanArgs, cluster: &Connection, analyses: &mut Analyses) -> usize {
    let named: BTreeSet<&ResourceKey> = analyses
        .hazards
        .iter()
        .filter(|h| CLAIMED.contains(&h.hazard.code.as_str()))
        .filter_map(|h| h.hazard.object.as_ref())
        .collect();
    // (tracking release index, key) for each object to look at.
    let mut wanted: Vec<(usize, ResourceKey)> = Vec::new();
    for (i, t) in analyses.tracking.iter().enumerate() {
        for key in t.objects.keys() {
            if args.check_ownership || named.contains(key) {
                wanted.push((i, key.clone()));
            }
        }
    }
    let mut keys: Vec<ResourceKey> = wanted.iter().map(|(_, k)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    let observations = cluster.observe(&keys).await;
    let mut found = Vec::new();
    for (i, key) in &wanted {
        let Ok(at) = keys.binary_search(key) else {
            continue;
        };
        let Some(Observation::Present(live)) = observations.get(at) else {
            continue;
        };
        let tracker = &analyses.tracking[*i];
        if let Some(owner) = live.release_name.as_deref() {
            let owner_ns = live.release_namespace.as_deref().unwrap_or("");
            if owner != tracker.release || owner_ns != tracker.namespace {
                found.push(helm_why_diff::ownership_moved(
                    tracker, key, owner, owner_ns,
                ));
            }
        }
    }
    analyses.hazards.extend(found);
    keys.len()
}

/// The source's part of the report.
fn finish(
    origin: String,
    mut analyses: Analyses,
    objects_checked: usize,
    context: Option<&str>,
) -> Scanned {
    analyses.tally();
    Scanned {
        origin,
        rows: analyses.rows,
        hazards: analyses
            .hazards
            .into_iter()
            .map(|hazard| ScanHazard {
                context: context.map(str::to_owned),
                hazard,
            })
            .collect(),
        objects_checked,
        warnings: analyses.warnings,
    }
}
