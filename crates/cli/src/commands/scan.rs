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
use helm_why_release::history::{Finding, count};
use helm_why_release::{Histories, History, ResourceKey};

use super::{Ui, discover, replay_options, source_warnings};
use crate::args::ScanArgs;
use crate::config::{Config, SourceSpec};
use crate::progress::Progress;
use crate::report::scan::{ScanHazard, ScanReport, ScanRow, SeverityCounts};
use crate::source::cluster::{Connection, Observation, ReleaseStream, context_names};
use crate::source::{Batch, Request, files, load};

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

/// Analyse one release: its row, its hazards (replay and images), what it tracks. Parsing
/// runs on `threads` threads.
fn analyse(
    history: &History,
    options: &ReplayOptions,
    context: Option<&str>,
    threads: usize,
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
    let views = RevisionView::parse_records_on(&history.revisions, &options.scopes, threads);
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

/// Analyse every release of `histories`, one release per core at a time (the releases are
/// independent), calling `done` with how many are finished; the result is in the order of
/// `histories`, whatever the thread count.
fn analyse_all(
    histories: &[History],
    options: &ReplayOptions,
    context: Option<&str>,
    done: &(dyn Fn(usize) + Sync),
) -> Vec<Analysis> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = cores.min(histories.len());
    if threads < 2 {
        // One release (or one core): its parse may use every core instead.
        return histories
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let analysis = analyse(h, options, context, cores);
                done(i + 1);
                analysis
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    // Each worker takes the next release as soon as it is free, so the analyses come back
    // out of order: tag them with their position, and sort.
    let work = || {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(history) = histories.get(i) else {
                return mine;
            };
            mine.push((i, analyse(history, options, context, 1)));
            done(finished.fetch_add(1, Ordering::Relaxed) + 1);
        }
    };
    let mut results: Vec<(usize, Analysis)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, a)| a).collect()
}

impl Analyses {
    /// Analyse every release of `histories` with these scopes.
    fn add(&mut self, histories: &Histories, options: &ReplayOptions, context: Option<&str>) {
        self.warnings.extend(
            histories
                .unattributed
                .iter()
                .map(|e| format!("could not decode {e}")),
        );
        for analysis in analyse_all(&histories.releases, options, context, &|_| {}) {
            self.push(analysis);
        }
    }

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
                .map(|f| (&f.workload, f.container.as_str()))
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
                Some(first.workload.clone()),
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
    if let SourceSpec::Cluster(spec) = &config.source
        && spec.tiller_namespace.is_none()
    {
        let mut stream = ReleaseStream::open(spec, config, args.all_namespaces).await?;
        match scan_stream(&mut stream, config, context, progress).await? {
            Some(mut analyses) => {
                let checked = check_ownership(args, stream.connection(), &mut analyses).await;
                return Ok(finish(stream.origin(), analyses, checked, context));
            }
            None => {
                // The server broke key order: read everything at once instead.
                progress.say(format!("reading release records{where_} again"));
            }
        }
    }
    if let SourceSpec::Files(paths) = &config.source
        && let [path] = paths.as_slice()
        && std::fs::metadata(path).is_ok_and(|m| m.is_file())
    {
        match scan_file(path, config, context, progress)? {
            Some((origin, analyses)) => return Ok(finish(origin, analyses, 0, context)),
            None => progress.say(format!("reading release records{where_} again")),
        }
    }
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
    let total = loaded.histories.releases.len();
    let done = |i: usize| progress.say(format!("replayed {i} of {total} releases{where_}"));
    for analysis in analyse_all(&loaded.histories.releases, &options, context, &done) {
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
    let mut analyses = Analyses::default();
    let mut scopes = config.scopes.clone();
    let mut discovery_warnings = BTreeSet::new();
    let mut released = 0usize;
    // Releases are analysed a few at a time (both cores can share a batch), and each batch's
    // records are dropped once analysed: memory holds about one batch, not the cluster.
    let mut pending = Histories::default();
    let mut finished = false;
    while !finished {
        match stream.next().await? {
            Some(Batch::Releases(h)) => {
                pending.releases.extend(h.releases);
                pending.unattributed.extend(h.unattributed);
            }
            Some(Batch::OutOfOrder(_)) => return Ok(None),
            None => finished = true,
        }
        let records: usize = pending.releases.iter().map(|h| h.revisions.len()).sum();
        if records < STREAM_BATCH_RECORDS && !finished {
            continue;
        }
        let histories = std::mem::take(&mut pending);
        let found = discover(stream.connection(), &histories.releases, &mut scopes).await;
        discovery_warnings.extend(found);
        let options = replay_options(config, &scopes, true)?;
        released += histories.releases.len();
        progress.say(format!(
            "{} records read, {released} releases replayed{where_}",
            stream.records
        ));
        analyses.add(&histories, &options, context);
    }
    analyses.warnings.extend(discovery_warnings);
    analyses.cross();
    Ok(Some(analyses))
}

/// Analyse the releases of one file as it is read ([`files::stream`]: reading and decoding
/// on other threads), each release by the next free core as soon as it is complete, so that
/// memory holds a few releases and the reading overlaps the analysis. `None` when the file's
/// records are not grouped by release (the caller reads it whole).
fn scan_file(
    path: &std::path::Path,
    config: &Config,
    context: Option<&str>,
    progress: &Progress,
) -> Result<Option<(String, Analyses)>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let options = replay_options(config, &config.scopes, false)?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let out_of_order = AtomicBool::new(false);
    let replayed = AtomicUsize::new(0);
    // A few releases ahead of the analysis, no more.
    let (send, receive) = std::sync::mpsc::sync_channel::<Batch>(2 * cores);
    let receive = std::sync::Mutex::new(receive);
    std::thread::scope(|scope| {
        let out_of_order = &out_of_order;
        let reader = scope.spawn(move || {
            files::stream(path, config, &mut |batch| {
                !out_of_order.load(Ordering::Relaxed) && send.send(batch).is_ok()
            })
        });
        let work = || {
            let mut mine = Vec::new();
            while !out_of_order.load(Ordering::Relaxed) {
                // The lock is held only to take the next release.
                let next = receive.lock().ok().and_then(|r| r.recv().ok());
                match next {
                    Some(Batch::Releases(histories)) => {
                        for history in &histories.releases {
                            mine.push(analyse(history, &options, context, 1));
                            let done = replayed.fetch_add(1, Ordering::Relaxed) + 1;
                            progress.say(format!("replayed {done} releases"));
                        }
                    }
                    Some(Batch::OutOfOrder(_)) => out_of_order.store(true, Ordering::Relaxed),
                    None => break,
                }
            }
            mine
        };
        let workers: Vec<_> = (0..cores).map(|_| scope.spawn(work)).collect();
        let mut done: Vec<Analysis> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        // The reader stops at its next release; what it queued is dropped.
        while receive.lock().ok().and_then(|r| r.recv().ok()).is_some() {}
        let loaded = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        if out_of_order.load(Ordering::Relaxed) {
            return Ok(None);
        }
        // In release order, whichever core analysed them.
        done.sort_by(|a, b| {
            (&a.row.namespace, &a.row.release).cmp(&(&b.row.namespace, &b.row.release))
        });
        // What is not a release comes first, as when the file is read whole.
        let mut analyses = Analyses {
            warnings: source_warnings(&loaded),
            ..Analyses::default()
        };
        for analysis in done {
            analyses.push(analysis);
        }
        analyses.cross();
        Ok(Some((loaded.origin, analyses)))
    })
}

/// Records analysed together when streaming from a cluster: enough releases for both cores,
/// few enough that memory stays far below the bound (a record decodes to ≈ 100 KB).
const STREAM_BATCH_RECORDS: usize = 200;

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
        for key in t.objects.values() {
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
