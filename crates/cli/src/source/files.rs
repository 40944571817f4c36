//! Records from files, directories (recursively) and standard input.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use helm_why_release::history::{Adjacent, group};
use helm_why_release::input::{
    EncodedTiller, IgnoredObject, InputOutcome, Select, read_input_each, read_input_from,
    read_input_selected,
};
use helm_why_release::mentions::Mentions;
use helm_why_release::record::parse_storage_key;
use helm_why_release::{DecodeError, Layer, Limits, Record, RecordRef, ReleaseId};

use super::held_tiller::{HeldTiller, StoredTiller, by_claimed_release};
use super::{Batch, Loaded, Request};
use crate::config::Config;
use crate::error::UserError;

/// Read every input, then keep what `request` asks for.
///
/// # Errors
/// A path that cannot be read, is not a regular file, a directory or `-`, or is too large.
/// Inside a directory such problems are warnings naming the entry instead.
pub fn load(paths: &[PathBuf], config: &Config, request: Request<'_>) -> Result<Loaded> {
    let needed: BTreeSet<String>;
    // Only the records the question needs are decoded: one release's, for `list` the
    // newest of each, for other releases those that may mention the objects.
    let select = match request {
        Request::Release(name) => Select::Release {
            name,
            namespace: config.namespace_filter.as_deref(),
        },
        Request::All { newest: true, .. } => Select::Latest,
        Request::All { newest: false, .. } => Select::All,
        Request::Neighbours {
            namespace,
            except,
            names,
        } => {
            needed = mentioning(paths, config, namespace, except, names)?;
            if needed.is_empty() {
                return Ok(Loaded {
                    origin: origin(paths.len(), config),
                    ..Loaded::default()
                });
            }
            Select::Releases {
                namespace,
                names: &needed,
            }
        }
    };
    let (outcome, files) = read_all(paths, config, select, &config.limits)?;
    let mut histories = group(outcome.records, outcome.errors);
    // What was read past, for the hints of a release that is not found.
    let mut other_releases: Vec<(String, String)> = outcome
        .other_releases
        .into_iter()
        .map(|(ns, name)| (ns.unwrap_or_default(), name))
        .collect();
    let wanted = |h: &helm_why_release::History| {
        let filtered = || in_namespace_filter(h, config);
        match request {
            Request::Release(name) => filtered() && h.id.name == name,
            Request::All { .. } => filtered(),
            Request::Neighbours {
                namespace, except, ..
            } => namespace.is_none_or(|ns| h.id.namespace == ns) && h.id != *except,
        }
    };
    other_releases.extend(
        histories
            .releases
            .iter()
            .filter(|h| !wanted(h))
            .map(|h| (h.id.namespace.clone(), h.id.name.clone())),
    );
    histories.releases.retain(wanted);
    Ok(Loaded {
        histories,
        ignored: outcome.ignored,
        origin: origin(files, config),
        cluster: None,
        other_releases,
        others_complete: matches!(request, Request::Release(_)),
        other_driver: None,
        tiller: false,
    })
}

/// The releases of `--from` files and directories (standard input aside), handed to `each`
/// one at a time as the files are read, in the order [`load`] reads them (a JSON List item by
/// item; a directory's files sorted by path), so that memory holds a few releases, not the
/// files. A kubectl List holds a release's records next to each other, and so do files
/// exported one per release or one per record (named by their storage key), which is what
/// [`Adjacent`] needs. `each` returns `false` to stop; [`Batch::OutOfOrder`] says that the
/// records could not be grouped so (the caller then [`load`]s the files whole). What is not a
/// release comes back in [`Loaded`], whose histories hold only what names no release.
///
/// # Errors
/// As [`load`].
pub fn stream(
    paths: &[PathBuf],
    config: &Config,
    tiller_first: bool,
    each: &mut dyn FnMut(Batch) -> bool,
) -> Result<Loaded> {
    let mut stream = Stream {
        releases: Adjacent::default(),
        ignored: Vec::new(),
        placed: tiller_first.then(|| placed_tiller(paths, config)),
        tiller: Vec::new(),
        names: BTreeSet::new(),
        tiller_names: BTreeMap::new(),
        going: true,
        each,
        config,
    };
    let mut files = 0usize;
    for path in paths {
        if !std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            stream.file(path, false)?;
            files += 1;
        } else {
            let mut problems = Vec::new();
            let entries = expand(path, &mut problems);
            stream.take(InputOutcome {
                errors: problems,
                ..InputOutcome::default()
            });
            files += stream.directory(&entries);
        }
        if !stream.going {
            break;
        }
    }
    if stream.going {
        let limits = &config.limits;
        let mut join = |id: &ReleaseId| HeldTiller::join(&mut stream.placed, id, limits);
        if let Some(last) = stream.releases.finish_joining(&mut join) {
            stream.hand_over(last);
        }
    }
    if stream.going {
        stream.tiller_releases();
    }
    Ok(Loaded {
        histories: helm_why_release::Histories {
            releases: Vec::new(),
            unattributed: stream.releases.unattributed,
        },
        ignored: stream.ignored,
        origin: origin(files, config),
        cluster: None,
        other_releases: Vec::new(),
        others_complete: false,
        other_driver: None,
        tiller: false,
    })
}

/// Files read as one stream of records ([`stream`]).
struct Stream<'a> {
    releases: Adjacent,
    ignored: Vec<IgnoredObject>,
    /// Tiller's records read and placed before the others (`tiller_first`), joined to the
    /// Helm 3 releases they continue as those are handed over.
    placed: Option<HeldTiller<EncodedTiller>>,
    /// Else Tiller's records, held as stored until the Helm 3 records are over
    /// ([`Stream::tiller_releases`]).
    tiller: Vec<EncodedTiller>,
    /// The names of the Helm 3 releases read so far ([`Adjacent::has_read`] tells their
    /// namespaces): a Tiller release of the same name and namespace is one `helm 2to3`
    /// converted, whose Tiller records continue its Helm 3 history: the files are then read
    /// again, Tiller's records first ([`Stream::tiller_met`], [`Stream::helm3_met`]).
    names: BTreeSet<String>,
    /// The namespaces of the Tiller releases of a name some Helm 3 release has too (one
    /// record of each decoded to tell), and the names of the others.
    tiller_names: BTreeMap<String, BTreeSet<String>>,
    /// `false` once `each` said stop or the records broke the order.
    going: bool,
    each: &'a mut dyn FnMut(Batch) -> bool,
    config: &'a Config,
}

impl Stream<'_> {
    /// Read one regular file (`in_dir`: an entry of a directory, where a file that is not
    /// YAML or JSON at all is ignored, as [`load`] does).
    ///
    /// # Errors
    /// As [`open_input`], or a file that cannot be read.
    fn file(&mut self, path: &Path, in_dir: bool) -> Result<()> {
        let file = open_input(path, self.config.max_input_bytes, "--from")?;
        let shown = path.display().to_string();
        let limits = self.config.limits.clone();
        let select = Select::AllTillerEncoded;
        let rest = read_input_each(file, &shown, &limits, select, &mut |mut outcome| {
            if in_dir {
                skip_unparsable(&mut outcome);
            }
            self.take(outcome);
            self.going
        })
        .with_context(|| format!("cannot read {shown}"))?;
        if self.going {
            let mut rest = rest;
            if in_dir {
                skip_unparsable(&mut rest);
            }
            self.take(rest);
        }
        Ok(())
    }

    /// The files of a directory; how many were read. One that cannot be read is a warning
    /// naming it; the rest is analysed.
    fn directory(&mut self, entries: &[PathBuf]) -> usize {
        let mut files = 0;
        for entry in entries {
            if !self.going {
                break;
            }
            match self.file(entry, true) {
                Ok(()) => files += 1,
                Err(e) => self.take(unreadable(entry, &e)),
            }
        }
        files
    }

    /// Group what a part of a file gave, handing over each release it completes.
    fn take(&mut self, outcome: InputOutcome) {
        if !self.going {
            return;
        }
        self.ignored.extend(outcome.ignored);
        // Tiller's records read first were placed already; else they are held.
        let first = self.placed.is_none();
        for held in outcome.tiller.into_iter().filter(|_| first) {
            if self.tiller_met(&held) {
                return self.tiller_first();
            }
            self.tiller.push(held);
        }
        let decoded = outcome.records.into_iter().map(Ok);
        for one in decoded.chain(outcome.errors.into_iter().map(Err)) {
            if first && self.helm3_met(&one) {
                return self.tiller_first();
            }
            // Each Helm 3 release takes the Tiller records placed under it, when read first.
            let (limits, placed) = (&self.config.limits, &mut self.placed);
            let mut join = |id: &ReleaseId| HeldTiller::join(placed, id, limits);
            match self.releases.push_joining(one, &mut join) {
                Ok(Some(finished)) => self.hand_over(finished),
                Ok(None) => {}
                Err(why) => return self.out_of_order(&why.to_string()),
            }
            if !self.going {
                return;
            }
        }
    }

    /// Whether the Tiller record just held makes a Tiller release and a Helm 3 release of one
    /// name and namespace (a release `helm 2to3` converted), as far as the records read so
    /// far tell. A Tiller record names its release's namespace only once decoded: one of a
    /// name some Helm 3 release has is decoded to tell ([`Stream::tiller_namespace`]); one
    /// that cannot be is taken to be of the same namespace. The check at the end
    /// ([`Stream::tiller_releases`]) catches what these cannot tell.
    fn tiller_met(&mut self, held: &EncodedTiller) -> bool {
        let Some((name, _)) = &held.claimed else {
            return false;
        };
        if !self.names.contains(name) {
            self.tiller_names.entry(name.clone()).or_default();
            return false;
        }
        let Some(namespace) = self.tiller_namespace(held) else {
            return true;
        };
        let id = ReleaseId {
            namespace,
            name: name.clone(),
        };
        let converted = self.releases.has_read(&id);
        let homes = self.tiller_names.entry(id.name).or_default();
        homes.insert(id.namespace);
        converted
    }

    /// [`Stream::tiller_met`] for a Helm 3 record (or one that failed): the first release of
    /// a name has the Tiller records of that name held so far decoded to tell theirs.
    fn helm3_met(&mut self, one: &Result<Record, DecodeError>) -> bool {
        let Some((namespace, name)) = helm_release(one) else {
            return false;
        };
        if !self.names.contains(name) {
            if self.tiller_names.contains_key(name) {
                let mut homes = BTreeSet::new();
                let of_name =
                    |t: &&EncodedTiller| t.claimed.as_ref().is_some_and(|(n, _)| n == name);
                for held in self.tiller.iter().filter(of_name) {
                    match self.tiller_namespace(held) {
                        Some(ns) => homes.insert(ns),
                        None => return true,
                    };
                }
                self.tiller_names.insert(name.to_owned(), homes);
            }
            self.names.insert(name.to_owned());
        }
        self.tiller_names
            .get(name)
            .is_some_and(|homes| homes.contains(namespace))
    }

    /// The namespace a Tiller record names, decoded and let go; `None` when it cannot be.
    fn tiller_namespace(&self, held: &EncodedTiller) -> Option<String> {
        let limits = &self.config.limits;
        let record = held.decode(limits).ok()?;
        limits.budget.give_back(record.meta.decoded_bytes);
        Some(record.storage_namespace().to_owned())
    }

    /// Tell the caller to read the files whole: nothing more is needed from here.
    fn out_of_order(&mut self, why: &str) {
        (self.each)(Batch::OutOfOrder(why.to_owned()));
        self.going = false;
    }

    /// Tell the caller to read the files again, Tiller's records first: a Tiller release may
    /// continue a Helm 3 release (`helm 2to3`) that was handed over without them.
    fn tiller_first(&mut self) {
        (self.each)(Batch::TillerFirst);
        self.going = false;
    }

    /// Once the Helm 3 records are over, the releases only Tiller stores, one at a time:
    /// placed by their newest record that decodes (unless they were placed first), then
    /// decoded whole. A Tiller release placed under a Helm 3 release already handed over
    /// continues it: the files are then read again, Tiller's records first.
    fn tiller_releases(&mut self) {
        let mut held = match self.placed.take() {
            Some(placed) => placed,
            None if self.tiller.is_empty() => return,
            None => {
                let tiller = std::mem::take(&mut self.tiller);
                let placed = place(tiller, self.config);
                if placed.releases.keys().any(|id| self.releases.has_read(id)) {
                    return self.tiller_first();
                }
                placed
            }
        };
        let limits = &self.config.limits;
        while let Some(batch) = held.take().decode(limits) {
            if let Err(why) = held.check_handed(&batch, |id| self.releases.has_read(id)) {
                return self.out_of_order(&why.to_string());
            }
            for mut histories in batch {
                self.releases
                    .unattributed
                    .append(&mut histories.unattributed);
                self.hand_over(histories);
                if !self.going {
                    return;
                }
            }
        }
    }

    /// Hand the releases of `-n`'s namespace over to `each`.
    fn hand_over(&mut self, mut histories: helm_why_release::Histories) {
        histories
            .releases
            .retain(|h| in_namespace_filter(h, self.config));
        if !histories.releases.is_empty() && !(self.each)(Batch::Releases(histories)) {
            self.going = false;
        }
    }
}

/// Tiller's records of `paths` alone (the others skipped undecoded), placed ([`place`]): the
/// first pass of a stream with `tiller_first`. A file that cannot be read is left to the
/// second pass to report; what this pass decoded is given back, as it keeps nothing decoded.
fn placed_tiller(paths: &[PathBuf], config: &Config) -> HeldTiller<EncodedTiller> {
    let mark = config.limits.budget.spent();
    let select = Select::TillerEncodedOnly;
    let read = read_all(paths, config, select, &config.limits);
    config.limits.budget.rewind(mark);
    place(
        read.map(|(outcome, _)| outcome.tiller).unwrap_or_default(),
        config,
    )
}

/// Tiller's records grouped by the release they claim and placed ([`HeldTiller::place_all`])
/// in `-n`'s namespace.
fn place(tiller: Vec<EncodedTiller>, config: &Config) -> HeldTiller<EncodedTiller> {
    let claim = |t: &EncodedTiller| {
        let storage_namespace = t.meta.namespace.clone().unwrap_or_default();
        (storage_namespace, t.claimed.clone())
    };
    let mut held = HeldTiller::default();
    let wanted = config.namespace_filter.as_deref();
    held.place_all(by_claimed_release(tiller, claim), wanted, &config.limits);
    held
}

/// The storage namespace and name of the release a Helm 3 record (or one that failed)
/// belongs to, when it says.
fn helm_release(one: &Result<Record, DecodeError>) -> Option<(&str, &str)> {
    match one {
        Ok(record) => Some((record.storage_namespace(), &record.release.name)),
        Err(error) => {
            let key = error.record.object.as_deref()?;
            let namespace = error.record.namespace.as_deref().unwrap_or_default();
            parse_storage_key(key).map(|(name, _)| (namespace, name))
        }
    }
}

impl StoredTiller for EncodedTiller {
    fn decode(&self, limits: &Limits) -> Result<Record, DecodeError> {
        EncodedTiller::decode(self, limits)
    }

    fn payload(&self) -> Option<&[u8]> {
        Some(self.payload.as_bytes())
    }
}

/// The warning for a file of a directory that cannot be read.
fn unreadable(entry: &Path, error: &anyhow::Error) -> InputOutcome {
    InputOutcome {
        errors: vec![DecodeError::new(
            RecordRef::file(entry.display().to_string()),
            Layer::File,
            format!("{error:#}"),
        )],
        ..InputOutcome::default()
    }
}

/// Whether `history` is in the namespace `-n` asks for (any, without `-n`).
fn in_namespace_filter(history: &helm_why_release::History, config: &Config) -> bool {
    config
        .namespace_filter
        .as_ref()
        .is_none_or(|ns| &history.id.namespace == ns)
}

/// `2 files`, `namespace "shop" of 1 file`: what was read, for messages.
fn origin(files: usize, config: &Config) -> String {
    match (files, &config.namespace_filter) {
        (1, None) => "1 file".to_owned(),
        (n, None) => format!("{n} files"),
        (1, Some(ns)) => format!("namespace {ns:?} of 1 file"),
        (n, Some(ns)) => format!("namespace {ns:?} of {n} files"),
    }
}

/// Every input read with `select` and `limits`, and the number of files read.
///
/// # Errors
/// As [`load`].
fn read_all(
    paths: &[PathBuf],
    config: &Config,
    select: Select<'_>,
    limits: &Limits,
) -> Result<(InputOutcome, usize)> {
    let mut outcome = InputOutcome::default();
    let mut files = 0usize;
    for path in paths {
        if crate::config::is_stdin(path) {
            let bytes = read_input_bytes(path, config.max_input_bytes, "--from")?;
            outcome.extend(read_input_selected(&bytes, "-", limits, select));
            files += 1;
            continue;
        }
        let walked = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
        if !walked {
            outcome.extend(read_file(path, config, select, limits)?);
            files += 1;
            continue;
        }
        for entry in expand(path, &mut outcome.errors) {
            match read_file(&entry, config, select, limits) {
                Ok(mut one) => {
                    skip_unparsable(&mut one);
                    outcome.extend(one);
                    files += 1;
                }
                // One bad entry of a directory is a warning; the rest is analysed.
                Err(e) => outcome.errors.push(DecodeError::new(
                    RecordRef::file(entry.display().to_string()),
                    Layer::File,
                    format!("{e:#}"),
                )),
            }
        }
    }
    Ok((outcome, files))
}

/// Pass 1 of [`Request::Neighbours`]: the releases of `namespace` (every one when `None`) but
/// `except` of which a record may mention one of `names`. No record that names its release is
/// decoded or kept: each is peeled, searched and dropped, on the reader's worker threads. The
/// few that cannot be told a release before decoding (a bare payload, raw release JSON,
/// Tiller's) are decoded, and tested on their manifests.
///
/// # Errors
/// As [`load`].
fn mentioning(
    paths: &[PathBuf],
    config: &Config,
    namespace: Option<&str>,
    except: &helm_why_release::ReleaseId,
    names: &Mentions,
) -> Result<BTreeSet<String>> {
    if names.is_empty() {
        return Ok(BTreeSet::new());
    }
    // Searching keeps nothing and gives back what each record drew, on a budget of its own:
    // the run's is left whole for what pass 2 decodes.
    let search = config
        .limits
        .clone()
        .with_run_budget(config.limits.budget.total());
    let select = Select::Mentioning {
        namespace,
        except,
        names,
    };
    let (outcome, _) = read_all(paths, config, select, &search)?;
    let decoded = outcome.records.iter().filter(|r| {
        let ns = r.storage_namespace();
        namespace.is_none_or(|wanted| ns == wanted)
            && !(ns == except.namespace && r.release.name == except.name)
            && names.in_release(&r.release)
    });
    Ok(outcome
        .mentioning
        .into_iter()
        .map(|(_, name)| name)
        .chain(decoded.map(|r| r.release.name.clone()))
        .collect())
}

/// Inside a directory, a `.yaml` that is not YAML at all (a chart template, say) is not a
/// broken record: it is counted among the ignored objects instead of reported as an error.
/// A file that gave records before it broke, or that ends in the middle of a value, is an
/// export cut short: its error stands (records were lost).
fn skip_unparsable(outcome: &mut InputOutcome) {
    let read_some = !outcome.records.is_empty() || outcome.skipped > 0;
    let (whole_file, rest): (Vec<_>, Vec<_>) = outcome.errors.drain(..).partition(|e| {
        e.record.object.is_none()
            && e.record.item.is_none()
            && e.record.document.is_none()
            && matches!(e.layer, Layer::Yaml | Layer::Json)
            && !read_some
            && !e.detail.contains("EOF while parsing")
    });
    outcome.errors = rest;
    outcome
        .ignored
        .extend(whole_file.into_iter().map(|e| IgnoredObject {
            what: "a file that is not YAML or JSON (a chart template?)".to_owned(),
            reference: e.record,
        }));
}

/// The records of one regular file, read as a stream: memory holds what is decoded, not
/// the file.
///
/// # Errors
/// As [`open_input`].
fn read_file(
    path: &Path,
    config: &Config,
    select: Select<'_>,
    limits: &Limits,
) -> Result<InputOutcome> {
    let file = open_input(path, config.max_input_bytes, "--from")?;
    let shown = path.display().to_string();
    read_input_from(file, &shown, limits, select).with_context(|| format!("cannot read {shown}"))
}

/// Open `path`, refusing what is not a regular file (a FIFO, device or socket would block or
/// never end) and anything over `max` bytes.
///
/// # Errors
/// A [`UserError`] naming the path, what it is, and `flag` or `--max-input-bytes`.
pub fn open_input(path: &Path, max: usize, flag: &str) -> Result<std::fs::File> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        UserError::with_hint(
            format!("cannot read {shown}: {e}"),
            format!("{flag} takes a file, a directory or - for stdin"),
        )
    })?;
    if !meta.is_file() {
        return Err(UserError::with_hint(
            format!("{shown} is {}, not a regular file", file_kind(&meta)),
            format!("{flag} takes a regular file, a directory or - for stdin"),
        )
        .into());
    }
    if meta.len() > u64::try_from(max).unwrap_or(u64::MAX) {
        return Err(UserError::with_hint(
            format!("{shown} is over the limit of {max} bytes"),
            "--max-input-bytes raises the limit",
        )
        .into());
    }
    std::fs::File::open(path).with_context(|| format!("cannot read {shown}"))
}

/// The bytes of `path` (`-`: standard input), refusing what is not a regular file (a FIFO,
/// device or socket would block or never end) and anything over `max` bytes.
///
/// # Errors
/// A [`UserError`] naming the path, what it is, and `flag` or `--max-input-bytes`.
pub fn read_input_bytes(path: &Path, max: usize, flag: &str) -> Result<Vec<u8>> {
    let too_large = |what: &str| {
        UserError::with_hint(
            format!("{what} is over the limit of {max} bytes"),
            "--max-input-bytes raises the limit",
        )
    };
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    if crate::config::is_stdin(path) {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        if bytes.len() > max {
            return Err(too_large("standard input").into());
        }
        return Ok(bytes);
    }
    let shown = path.display();
    let file = open_input(path, max, flag)?;
    file.take(limit)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() > max {
        return Err(too_large(&shown.to_string()).into());
    }
    Ok(bytes)
}

/// What a non-regular file is, for messages.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let ft = meta.file_type();
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Every YAML or JSON file below a directory (sorted, hidden entries skipped). Symbolic
/// links are followed, but a directory is never entered twice (no symlink loops); entries
/// that cannot be listed become errors naming them.
fn expand(path: &Path, errors: &mut Vec<DecodeError>) -> Vec<PathBuf> {
    let mut problem = |p: &Path, what: String| {
        errors.push(DecodeError::new(
            RecordRef::file(p.display().to_string()),
            Layer::File,
            what,
        ));
    };
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        match std::fs::canonicalize(&dir) {
            Ok(real) => {
                if !seen.insert(real) {
                    continue;
                }
            }
            Err(e) => {
                problem(&dir, format!("cannot resolve the directory: {e}"));
                continue;
            }
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                problem(&dir, format!("cannot list the directory: {e}"));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    problem(&dir, format!("cannot list an entry of the directory: {e}"));
                    continue;
                }
            };
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = entry.path();
            // Follows symbolic links; a dangling one is reported.
            let meta = match std::fs::metadata(&p) {
                Ok(meta) => meta,
                Err(e) => {
                    problem(&p, format!("cannot read: {e}"));
                    continue;
                }
            };
            if meta.is_dir() {
                stack.push(p);
            } else if is_record_file(&p) {
                // Special files are refused when read, with a message naming them.
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
/// Inside directories only YAML and JSON files are read (notes and charts are skipped).
fn is_record_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use helm_why_release::builder::{ReleaseBuilder, list};
    use helm_why_release::{ScopeResolver, Status};

    use super::*;
    use crate::args::OutputFormat;
    use crate::config::SourceSpec;

    fn cm(name: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
    }

    /// Namespace `shop`: `own` (the release asked about) renders cm/shared; `b` renders it
    /// in revision 1 and deletes it in revision 2; `c` never renders it; `x` of namespace
    /// `lab` does.
    fn revisions() -> Vec<ReleaseBuilder> {
        vec![
            ReleaseBuilder::new("b", "shop", 2).manifest_doc("b/t/b.yaml", &cm("b-only")),
            ReleaseBuilder::new("c", "shop", 1).manifest_doc("c/t/c.yaml", &cm("c-only")),
            ReleaseBuilder::new("b", "shop", 1)
                .manifest_doc("b/t/s.yaml", &cm("shared"))
                .status(Status::Superseded, "Install complete"),
            ReleaseBuilder::new("own", "shop", 1).manifest_doc("own/t/s.yaml", &cm("shared")),
            ReleaseBuilder::new("x", "lab", 1).manifest_doc("x/t/s.yaml", &cm("shared")),
        ]
    }

    fn config(path: PathBuf) -> Config {
        Config {
            source: SourceSpec::Files(vec![path]),
            namespace_filter: None,
            output: OutputFormat::Table,
            limits: Limits::default(),
            max_input_bytes: 1 << 30,
            show_secrets: false,
            scopes: ScopeResolver::builtin(),
            helm_version: None,
            helm_bin: None,
            contexts: Vec::new(),
            no_progress: true,
        }
    }

    fn neighbours(config: &Config, name: &str) -> Loaded {
        let names = Mentions::new([name]);
        let own = helm_why_release::ReleaseId {
            namespace: "shop".to_owned(),
            name: "own".to_owned(),
        };
        let request = Request::Neighbours {
            namespace: Some("shop"),
            except: &own,
            names: &names,
        };
        let SourceSpec::Files(paths) = &config.source else {
            unreachable!()
        };
        load(paths, config, request).unwrap()
    }

    /// The bytes decoding `revisions` charges to a run's budget.
    fn decoded_bytes(revisions: &[&ReleaseBuilder]) -> usize {
        let limits = Limits::default();
        for r in revisions {
            helm_why_release::codec::peel(r.payload().as_bytes(), &limits).unwrap();
        }
        limits.budget.total() - limits.budget.remaining()
    }

    #[test]
    fn a_release_alone_in_its_namespace_is_known_to_be_from_the_first_reading() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, releases: &[ReleaseBuilder]| {
            let path = dir.path().join(name);
            let items = releases.iter().map(ReleaseBuilder::secret).collect();
            std::fs::write(&path, serde_json::to_vec(&list(items)).unwrap()).unwrap();
            path
        };
        let alone = |path: PathBuf, namespace: Option<&str>| {
            let config = Config {
                namespace_filter: namespace.map(str::to_owned),
                ..config(path)
            };
            let SourceSpec::Files(paths) = &config.source else {
                unreachable!()
            };
            let loaded = load(paths, &config, Request::Release("own")).unwrap();
            let own = loaded.histories.releases.first().unwrap();
            loaded.alone_in_namespace(own)
        };
        // b and c share namespace shop with own.
        assert!(!alone(write("all.json", &revisions()), None));
        assert!(!alone(write("all.json", &revisions()), Some("shop")));
        // Only x, in lab.
        let revs = revisions();
        let lab = [revs[3].clone(), revs[4].clone()];
        assert!(alone(write("lab.json", &lab), None));
        // A release of the same name in another namespace is no neighbour either.
        let twin = [
            revs[3].clone(),
            ReleaseBuilder::new("own", "lab", 1).manifest_doc("own/t/s.yaml", &cm("shared")),
        ];
        assert!(alone(write("twin.json", &twin), Some("shop")));
    }

    #[test]
    fn only_the_releases_that_mention_a_name_are_decoded_all_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.json");
        let all = revisions();
        let items = all.iter().map(ReleaseBuilder::secret).collect();
        std::fs::write(&path, serde_json::to_vec(&list(items)).unwrap()).unwrap();
        let config = config(path);

        let loaded = neighbours(&config, "shared");
        let found: Vec<(String, usize)> = loaded
            .histories
            .releases
            .iter()
            .map(|h| (h.id.to_string(), h.revisions.len()))
            .collect();
        // Revision 2 of b, which deleted cm/shared, does not mention it; revision 1 does.
        assert_eq!(found, [("shop/b".to_owned(), 2)]);
        // Only b's records were decoded (the search has a budget of its own).
        let spent = config.limits.budget.total() - config.limits.budget.remaining();
        assert_eq!(spent, decoded_bytes(&[&all[0], &all[2]]));

        // No other release mentions the name: nothing is decoded beyond the search.
        let config = Config {
            limits: Limits::default(),
            ..config
        };
        let loaded = neighbours(&config, "c-only-not");
        assert!(loaded.histories.releases.is_empty());
        assert_eq!(
            config.limits.budget.remaining(),
            config.limits.budget.total()
        );
    }

    /// A Tiller release and a Helm 3 release of one name are read in one pass when their
    /// namespaces differ (each Tiller record of the name decoded once to tell), in either
    /// order; in one namespace (a release `helm 2to3` converted) the stream asks to be read
    /// again, Tiller's records first.
    #[test]
    fn only_a_tiller_release_of_a_helm_3_releases_namespace_reads_the_files_again() {
        use helm_why_release::tiller::builder::TillerBuilder;
        let dir = tempfile::tempdir().unwrap();
        let tiller = |ns: &str| {
            TillerBuilder::new("redis", ns, 1)
                .manifest_doc("redis/t/c.yaml", &cm("redis-old"))
                .configmap("kube-system")
        };
        let helm3 = ReleaseBuilder::new("redis", "new", 2)
            .manifest_doc("redis/t/c.yaml", &cm("redis-new"))
            .secret();
        for (tiller_ns, again) in [("old", false), ("new", true)] {
            for tiller_first in [true, false] {
                let items = if tiller_first {
                    vec![tiller(tiller_ns), helm3.clone()]
                } else {
                    vec![helm3.clone(), tiller(tiller_ns)]
                };
                let path = dir.path().join("records.json");
                std::fs::write(&path, serde_json::to_vec(&list(items)).unwrap()).unwrap();
                let config = config(path.clone());
                let (mut asked, mut releases) = (false, Vec::new());
                let mut each = |batch| match batch {
                    Batch::Releases(h) => {
                        for history in h.releases {
                            // As `scan` does once it has analysed a release.
                            config.limits.budget.give_back(history.decoded_bytes());
                            releases.push(history.id.to_string());
                        }
                        true
                    }
                    Batch::TillerFirst => {
                        asked = true;
                        false
                    }
                    Batch::OutOfOrder(why) => panic!("{why}"),
                };
                stream(&[path], &config, false, &mut each).unwrap();
                assert_eq!(asked, again, "{tiller_ns} {tiller_first}");
                if !again {
                    releases.sort();
                    assert_eq!(releases, ["new/redis", "old/redis"]);
                    // What telling the namespaces decoded was given back.
                    let budget = &config.limits.budget;
                    assert_eq!(budget.remaining(), budget.total());
                }
            }
        }
    }
}
