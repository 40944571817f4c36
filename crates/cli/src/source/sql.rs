//! Records from the SQL storage driver's PostgreSQL database (`HELM_DRIVER=sql`), read-only.
//!
//! Helm keeps every revision as a row of `releases_v1` (`key`, `type`, `body`, `name`,
//! `namespace`, `version`, `status`, `owner`, `createdAt`, `modifiedAt`; primary key
//! `(key, namespace)`), and since Helm 3.13 custom labels in `custom_labels_v1` [Helm
//! `pkg/storage/driver/sql.go`]. helm-why connects with the connection string Helm reads
//! (`HELM_DRIVER_SQL_CONNECTION_STRING`), opens a READ ONLY transaction and runs the SELECTs
//! Helm's driver runs: `Query` for one release (`name = $1 AND owner = 'helm' AND namespace =
//! $3`), `List` for `list` and `scan` (`owner = 'helm'`, and `namespace` unless `-A`; for
//! `list`, only the rows of each release's highest `version`, as the labels select them from a
//! cluster: the others are never decoded; `scan` and `who` read them ordered by namespace,
//! name and version, a release at a time, [`stream`]); for the other
//! releases of a namespace (`explain`, `timeline`) the names and bodies of its rows, searched
//! without decoding, then the rows of the releases found (`name = ANY($3)`). It never writes, and
//! never runs Helm's migrations: a database Helm never used is an error.
//!
//! TLS follows `sslmode` as lib/pq reads it (module `pg_tls`). The password of the connection
//! string is never printed: errors are scrubbed of it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Result;
use helm_why_release::history::{Adjacent, group};
use helm_why_release::input::IgnoredObject;
use helm_why_release::mentions::Mentions;
use helm_why_release::model::ChartFiles;
use helm_why_release::parallel::{cores, map_chunks};
use helm_why_release::record::{Driver, Record, RecordMeta, decode_record};
use helm_why_release::{DecodeError, Layer, Limits, RecordRef};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::{Batch as SourceBatch, Loaded, Request, pg_tls};
use crate::config::{Config, SqlSpec};
use crate::error::UserError;

/// Helm's release table.
const RELEASES: &str = "releases_v1";
/// Helm's custom labels table (Helm ≥ 3.13).
const LABELS: &str = "custom_labels_v1";
/// How long connecting may take when the connection string does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the queries may take together.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// The parts of a connection string helm-why needs, and what must never be printed.
struct Target {
    config: tokio_postgres::Config,
    /// TLS per `sslmode` (`None`: `disable`).
    tls: Option<rustls::ClientConfig>,
    /// The database name, for messages.
    database: String,
    /// `host:port`, for messages.
    server: String,
    /// Texts to scrub from every message: the password and the whole connection string.
    secrets: Vec<String>,
}

impl Target {
    /// Parse `connection` as Helm's driver (lib/pq) reads it: a URL or `key=value` pairs.
    fn parse(connection: &str) -> Result<Target, UserError> {
        let secrets = vec![connection.to_owned()];
        let scrub = |text: String| scrub(&text, &secrets);
        // The TLS options are lib/pq's, not tokio-postgres's: taken out and applied here.
        let (rest, ssl) = take_params(connection, &["sslmode", "sslrootcert", "sslcert", "sslkey"]);
        let param = |key: &str| ssl.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        if param("sslcert").is_some() || param("sslkey").is_some() {
            return Err(UserError::with_hint(
                "HELM_DRIVER_SQL_CONNECTION_STRING has sslcert/sslkey: client certificates are not supported yet",
                "authenticate with a password, or read rows exported to JSON with --from",
            ));
        }
        // lib/pq's default is `require`: without `sslmode`, Helm encrypts.
        let verify = match param("sslmode").as_deref().unwrap_or("require") {
            "disable" => None,
            "require" => Some(pg_tls::Verify::Nothing),
            "verify-ca" => Some(pg_tls::Verify::Chain),
            "verify-full" => Some(pg_tls::Verify::Full),
            other => {
                return Err(UserError::with_hint(
                    format!(
                        "HELM_DRIVER_SQL_CONNECTION_STRING has sslmode={other}, which lib/pq (Helm's driver) does not accept"
                    ),
                    "use disable, require, verify-ca or verify-full",
                ));
            }
        };
        let tls = match verify {
            None => None,
            Some(verify) => {
                let root = param("sslrootcert").map(std::path::PathBuf::from);
                Some(
                    pg_tls::client_config(verify, root.as_deref())
                        .map_err(|e| UserError::new(format!("TLS to PostgreSQL: {}", scrub(e))))?,
                )
            }
        };
        let mut config: tokio_postgres::Config =
            rest.parse().map_err(|e: tokio_postgres::Error| {
                UserError::with_hint(
                    format!(
                        "HELM_DRIVER_SQL_CONNECTION_STRING is not a connection string: {}",
                        scrub(e.to_string())
                    ),
                    "use a URL (postgresql://user@host:5432/db?sslmode=disable) or key=value pairs",
                )
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.ssl_mode(if tls.is_some() {
            tokio_postgres::config::SslMode::Require
        } else {
            tokio_postgres::config::SslMode::Disable
        });
        let mut secrets = secrets;
        if let Some(password) = config.get_password() {
            let password = String::from_utf8_lossy(password).into_owned();
            if !password.is_empty() {
                // Also as it may appear percent-encoded in a URL.
                secrets.push(percent_encode(&password));
                secrets.push(password);
            }
        }
        let user = config.get_user().unwrap_or("postgres").to_owned();
        let database = config.get_dbname().unwrap_or(&user).to_owned();
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        Ok(Target {
            config,
            tls,
            database,
            server: format!("{host}:{port}"),
            secrets,
        })
    }

    /// A message naming the database, scrubbed of secrets.
    /// The queries took longer than [`QUERY_TIMEOUT`].
    fn timed_out(&self) -> UserError {
        UserError::new(format!(
            "PostgreSQL database {:?} at {}: the queries took longer than {}s",
            self.database,
            self.server,
            QUERY_TIMEOUT.as_secs()
        ))
    }

    fn error(&self, what: &str, err: &tokio_postgres::Error) -> UserError {
        let detail = match err.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => {
                // The cause (a certificate error, a refused connection) is in the chain.
                let mut text = err.to_string();
                let mut cause = std::error::Error::source(err);
                while let Some(c) = cause {
                    text.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                text
            }
        };
        UserError::new(scrub(
            &format!(
                "PostgreSQL database {:?} at {}: {what}: {detail}",
                self.database, self.server
            ),
            &self.secrets,
        ))
    }
}

/// Replace every secret in `text`.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    // Longest first, so the whole string goes before the password inside it.
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        out = out.replace(secret.as_str(), "<redacted>");
    }
    out
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Take the parameters named `keys` out of a URL (`?a=b&c=d`) or `key=value` pairs; the rest of
/// the string, and the values taken (percent- or quote-decoded).
fn take_params(connection: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let mut taken = Vec::new();
    let url = connection.starts_with("postgres://") || connection.starts_with("postgresql://");
    if url {
        let Some((base, query)) = connection.split_once('?') else {
            return (connection.to_owned(), taken);
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if keys.contains(&k) {
                taken.push((k.to_owned(), percent_decode(v)));
            } else {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rest, taken);
    }
    // key = value pairs; a value may be 'quoted', with backslash escapes.
    let mut kept = Vec::new();
    let mut chars = connection.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars
            .peek()
            .is_some_and(|&(_, c)| c.is_whitespace() || c == '=')
        {
            chars.next();
        }
        let mut value = String::new();
        let mut end = connection.len();
        if chars.peek().is_some_and(|&(_, c)| c == '\'') {
            chars.next();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '\'' => {
                        end = i + 1;
                        break;
                    }
                    _ => value.push(c),
                }
            }
        } else {
            while let Some(&(i, c)) = chars.peek() {
                if c.is_whitespace() {
                    end = i;
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        if keys.contains(&key.as_str()) {
            taken.push((key, value));
        } else {
            kept.push(&connection[start..end]);
        }
    }
    (kept.join(" "), taken)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |i: usize| {
        bytes
            .get(i)
            .and_then(|b| (*b as char).to_digit(16))
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h * 16 + l);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Read the rows `request` needs.
///
/// # Errors
/// An unusable connection string, an unreachable database, a missing table, or a query error.
pub async fn load(spec: &SqlSpec, config: &Config, request: Request<'_>) -> Result<Loaded> {
    let target = Target::parse(&spec.connection)?;
    let (mut client, connection) = connect(&target).await?;
    let reading = read(&mut client, &target, spec, request, &config.limits);
    let rows = in_time(&target, reading).await??;
    drop(client);
    connection.abort();

    let mut reader = RowReader::new(&target);
    let mut decoded: Vec<_> = rows
        .into_iter()
        .flat_map(|row| reader.take(row, &config.limits))
        .collect();
    decoded.extend(reader.finish(&config.limits));
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for result in decoded {
        match result {
            Ok(record) => records.push(record),
            Err(e) => errors.push(e),
        }
    }
    let all_namespaces = matches!(
        request,
        Request::All {
            all_namespaces: true,
            ..
        }
    );
    Ok(Loaded {
        histories: group(records, errors),
        ignored: reader.ignored,
        origin: origin(&target, spec, all_namespaces),
        ..Loaded::default()
    })
}

/// The rows of every release (of the namespace, or of all with `all_namespaces`) for `scan`
/// and `who`, in release order, each release handed to `each` as soon as its rows are read and
/// decoded ([`Adjacent`]): memory holds a batch of rows and what `each` keeps, not the table.
/// `each` returns `false` to stop; [`SourceBatch::OutOfOrder`] when a release's rows are not
/// together after all (a row whose payload names another release than its `name` column): the
/// caller then [`load`]s everything at once. What is not a release comes back in [`Loaded`].
///
/// # Errors
/// As [`load`].
pub async fn stream(
    spec: &SqlSpec,
    config: &Config,
    all_namespaces: bool,
    each: &mut dyn FnMut(SourceBatch) -> bool,
) -> Result<Loaded> {
    let target = Target::parse(&spec.connection)?;
    let (mut client, connection) = connect(&target).await?;
    let read = read_streamed(&mut client, &target, spec, all_namespaces, config, each).await;
    drop(client);
    connection.abort();
    let (ignored, unattributed) = read?;
    Ok(Loaded {
        histories: helm_why_release::Histories {
            releases: Vec::new(),
            unattributed,
        },
        ignored,
        origin: origin(&target, spec, all_namespaces),
        ..Loaded::default()
    })
}

/// [`stream`]'s SELECTs, in one READ ONLY transaction; the rows that are not release rows, and
/// the errors that name no release.
async fn read_streamed(
    client: &mut tokio_postgres::Client,
    target: &Target,
    spec: &SqlSpec,
    all_namespaces: bool,
    config: &Config,
    each: &mut dyn FnMut(SourceBatch) -> bool,
) -> Result<(Vec<IgnoredObject>, Vec<DecodeError>), UserError> {
    let namespace = (!all_namespaces).then_some(&spec.namespace);
    let (tx, has_labels) = in_time(target, begin(client, target)).await??;
    let labels = match has_labels {
        true => {
            in_time(
                target,
                custom_labels(
                    &tx,
                    target,
                    LabelsOf::Namespace(namespace.map(String::as_str)),
                ),
            )
            .await??
        }
        false => CustomLabels::new(),
    };
    let (listed, params) = listed(namespace);
    let query = format!("{COLUMNS} WHERE {listed} ORDER BY namespace, name, version");
    let rows = in_time(target, tx.query_raw(&query, params))
        .await?
        .map_err(|e| target.error(&format!("cannot read table {RELEASES}"), &e))?;
    let mut rows = std::pin::pin!(rows);
    let mut reader = RowReader::new(target);
    let mut releases = Adjacent::default();
    // Hand each decoded row to `releases`, and each release it completes to `each`; `false`
    // once `each` said stop or the rows broke the order.
    let mut hand_over = |decoded: Vec<Result<Record, DecodeError>>| -> bool {
        for one in decoded {
            match releases.push(one) {
                Ok(Some(histories)) => {
                    if !each(SourceBatch::Releases(histories)) {
                        return false;
                    }
                }
                Ok(None) => {}
                Err(why) => {
                    each(SourceBatch::OutOfOrder(why.to_string()));
                    return false;
                }
            }
        }
        true
    };
    loop {
        let next = in_time(target, futures::TryStreamExt::try_next(&mut rows))
            .await?
            .map_err(|e| target.error(&format!("cannot read table {RELEASES}"), &e))?;
        let Some(row) = next else { break };
        let mut row = release_row(&row);
        row.add_labels(&labels);
        if !hand_over(reader.take(row, &config.limits)) {
            return Ok((reader.ignored, releases.unattributed));
        }
    }
    if hand_over(reader.finish(&config.limits))
        && let Some(last) = releases.finish()
    {
        each(SourceBatch::Releases(last));
    }
    // Read-only, nothing to keep: the transaction ends with the connection.
    Ok((reader.ignored, releases.unattributed))
}

/// `work`, unless it takes longer than [`QUERY_TIMEOUT`].
async fn in_time<T>(target: &Target, work: impl Future<Output = T>) -> Result<T, UserError> {
    tokio::time::timeout(QUERY_TIMEOUT, work)
        .await
        .map_err(|_| target.timed_out())
}

/// Connect as `target` says, TLS or not; the connection runs on its own task.
async fn connect(
    target: &Target,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), UserError> {
    match &target.tls {
        None => connect_with(target, NoTls).await,
        Some(tls) => {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone());
            connect_with(target, tls).await
        }
    }
}

/// [`connect`] with one TLS mode.
async fn connect_with<T>(
    target: &Target,
    tls: T,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), UserError>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = target
        .config
        .connect(tls)
        .await
        .map_err(|e| target.error("cannot connect", &e))?;
    // The connection's own errors end the queries, which say them.
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, connection))
}

/// `namespace "shop" of PostgreSQL database "helm" (host:port)`, or all namespaces.
fn origin(target: &Target, spec: &SqlSpec, all_namespaces: bool) -> String {
    if all_namespaces {
        format!(
            "all namespaces of PostgreSQL database {:?} ({})",
            target.database, target.server
        )
    } else {
        format!(
            "namespace {:?} of PostgreSQL database {:?} ({})",
            spec.namespace, target.database, target.server
        )
    }
}

/// Rows made records: each checked (a repeated key, a NULL body), then decoded a batch at a
/// time on every core, so that a body is dropped soon after it is decoded rather than held
/// until the last row is. A batch's records share each chart text: a release's revisions
/// mostly store the same chart, and its rows come together. (Sharing across batches would
/// hold every text of a stream to the end.)
struct RowReader {
    origin: RecordRef,
    seen: BTreeSet<(String, String)>,
    /// Rows not read: a repeated key.
    ignored: Vec<IgnoredObject>,
    /// Rows waiting to be decoded, in order; `None`: the body is NULL.
    waiting: Vec<(Option<String>, RecordMeta)>,
}

impl RowReader {
    /// Enough rows for every core to decode a few.
    const BATCH: usize = 256;

    fn new(target: &Target) -> Self {
        RowReader {
            origin: RecordRef::file(format!("database {:?}, table {RELEASES}", target.database)),
            seen: BTreeSet::new(),
            ignored: Vec::new(),
            waiting: Vec::new(),
        }
    }

    /// Take one row: what a full batch decoded, in the rows' order (else nothing yet).
    fn take(&mut self, row: ReleaseRow, limits: &Limits) -> Vec<Result<Record, DecodeError>> {
        let reference = self
            .origin
            .clone()
            .with_object(row.key.clone())
            .with_namespace(Some(row.namespace.clone()));
        if !self.seen.insert((row.namespace.clone(), row.key.clone())) {
            // Helm's primary key (key, namespace) forbids this: a table not made by Helm.
            self.ignored.push(IgnoredObject {
                reference,
                what: format!(
                    "a second row with key {:?} in namespace {:?} (Helm's primary key forbids it): not read",
                    row.key, row.namespace
                ),
            });
            return Vec::new();
        }
        let meta = RecordMeta::object(
            Driver::Sql,
            reference,
            Some(row.key),
            Some(row.namespace),
            row.labels,
        );
        self.waiting.push((row.body, meta));
        if self.waiting.len() < Self::BATCH {
            return Vec::new();
        }
        self.finish(limits)
    }

    /// Decode the rows waiting, on every core, in their order, and let go of their bodies.
    fn finish(&mut self, limits: &Limits) -> Vec<Result<Record, DecodeError>> {
        let mut decoded = map_chunks(&self.waiting, cores(), |part| {
            part.iter()
                .map(|(body, meta)| match body {
                    Some(body) => decode_record(body.as_bytes(), meta.clone(), limits),
                    None => Err(DecodeError::new(
                        meta.reference.clone(),
                        Layer::Object,
                        "the row's body is NULL",
                    )),
                })
                .collect()
        });
        self.waiting.clear();
        let mut files = ChartFiles::default();
        for record in decoded.iter_mut().flatten() {
            files.share(&mut record.release);
        }
        decoded
    }
}

/// One row of `releases_v1`, with its columns as labels (as the driver's `Query` filters on).
struct ReleaseRow {
    key: String,
    namespace: String,
    body: Option<String>,
    labels: BTreeMap<String, String>,
}

/// The SELECTs, in one READ ONLY transaction.
async fn read(
    client: &mut tokio_postgres::Client,
    target: &Target,
    spec: &SqlSpec,
    request: Request<'_>,
    limits: &Limits,
) -> Result<Vec<ReleaseRow>, UserError> {
    let (tx, has_labels) = begin(client, target).await?;
    let rows = match request {
        Request::Release(name) => {
            tx.query(
                &format!("{COLUMNS} WHERE name = $1 AND owner = $2 AND namespace = $3"),
                &[&name, &"helm", &spec.namespace],
            )
            .await
        }
        Request::All {
            all_namespaces,
            newest,
        } => {
            let (listed, params) = listed((!all_namespaces).then_some(&spec.namespace));
            let newest = newest_only(newest, listed);
            tx.query(&format!("{COLUMNS} WHERE {listed}{newest}"), &params)
                .await
        }
        Request::Neighbours {
            namespace,
            except,
            names,
        } => {
            let found = mentioning(&tx, target, namespace, except, names, limits).await?;
            match namespace {
                Some(namespace) => {
                    tx.query(
                        &format!(
                            "{COLUMNS} WHERE owner = $1 AND namespace = $2 AND name = ANY($3)"
                        ),
                        &[&"helm", &namespace, &found],
                    )
                    .await
                }
                None => {
                    tx.query(
                        &format!("{COLUMNS} WHERE owner = $1 AND name = ANY($2)"),
                        &[&"helm", &found],
                    )
                    .await
                }
            }
        }
    }
    .map_err(|e| target.error(&format!("cannot read table {RELEASES}"), &e))?;
    let mut out: Vec<ReleaseRow> = rows.iter().map(release_row).collect();
    drop(rows);
    if has_labels && !out.is_empty() {
        let keys: Vec<String> = out.iter().map(|r| r.key.clone()).collect();
        let labels = custom_labels(&tx, target, LabelsOf::Keys(&keys)).await?;
        for row in &mut out {
            row.add_labels(&labels);
        }
    }
    // Read-only: nothing to keep.
    tx.rollback()
        .await
        .map_err(|e| target.error("cannot end the transaction", &e))?;
    Ok(out)
}

/// The columns of `releases_v1` read.
const COLUMNS: &str = "SELECT key, namespace, body, name, version, status, owner FROM releases_v1";

/// Start the READ ONLY transaction and check Helm's tables: whether `custom_labels_v1` exists
/// (Helm 3.13+); no `releases_v1` is an error.
async fn begin<'c>(
    client: &'c mut tokio_postgres::Client,
    target: &Target,
) -> Result<(tokio_postgres::Transaction<'c>, bool), UserError> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| target.error("cannot start a read-only transaction", &e))?;
    let exists = tx
        .query_one(
            "SELECT to_regclass($1)::text IS NOT NULL, to_regclass($2)::text IS NOT NULL",
            &[&RELEASES, &LABELS],
        )
        .await
        .map_err(|e| target.error("cannot look up Helm's tables", &e))?;
    let (has_releases, has_labels): (bool, bool) = (exists.get(0), exists.get(1));
    if !has_releases {
        return Err(UserError::with_hint(
            format!(
                "PostgreSQL database {:?} at {} has no table {RELEASES}: Helm's SQL driver never stored a release there",
                target.database, target.server
            ),
            "check the database name in HELM_DRIVER_SQL_CONNECTION_STRING",
        ));
    }
    Ok((tx, has_labels))
}

/// Which rows of `custom_labels_v1` to read.
enum LabelsOf<'a> {
    /// Those of these release keys.
    Keys(&'a [String]),
    /// Those of one namespace, or of every one.
    Namespace(Option<&'a str>),
}

/// Custom labels by the (key, namespace) of the release row they belong to.
type CustomLabels = BTreeMap<(String, String), Vec<(String, String)>>;

/// Read the custom labels `of` selects.
async fn custom_labels(
    tx: &tokio_postgres::Transaction<'_>,
    target: &Target,
    of: LabelsOf<'_>,
) -> Result<CustomLabels, UserError> {
    const LABEL_COLUMNS: &str =
        "SELECT releasekey, releasenamespace, key, value FROM custom_labels_v1";
    let rows = match of {
        LabelsOf::Keys(keys) => {
            tx.query(
                &format!("{LABEL_COLUMNS} WHERE releasekey = ANY($1)"),
                &[&keys],
            )
            .await
        }
        LabelsOf::Namespace(Some(namespace)) => {
            tx.query(
                &format!("{LABEL_COLUMNS} WHERE releasenamespace = $1"),
                &[&namespace],
            )
            .await
        }
        LabelsOf::Namespace(None) => tx.query(LABEL_COLUMNS, &[]).await,
    }
    .map_err(|e| target.error(&format!("cannot read table {LABELS}"), &e))?;
    let mut labels = CustomLabels::new();
    for l in &rows {
        let text = |i: usize| l.try_get::<_, Option<String>>(i).ok().flatten();
        if let (Some(key), Some(ns), Some(k), Some(v)) = (text(0), text(1), text(2), text(3)) {
            labels.entry((key, ns)).or_default().push((k, v));
        }
    }
    Ok(labels)
}

/// Pass 1 of [`Request::Neighbours`]: the releases of `namespace` (every one when `None`) but
/// `except` of which a row may mention one of `names`. The rows are streamed, and each body is
/// peeled, searched and dropped: none is decoded or kept. Searching keeps nothing and gives
/// back what each body drew, on a budget of its own (of the run's size): the run's is left
/// whole for what pass 2 decodes.
async fn mentioning(
    tx: &tokio_postgres::Transaction<'_>,
    target: &Target,
    namespace: Option<&str>,
    except: &helm_why_release::ReleaseId,
    names: &Mentions,
    limits: &Limits,
) -> Result<Vec<String>, UserError> {
    use futures::TryStreamExt as _;
    let searching = limits.clone().with_run_budget(limits.budget.total());
    let failed =
        |e: &tokio_postgres::Error| target.error(&format!("cannot read table {RELEASES}"), e);
    // With every namespace, only the release itself is left out (`IS DISTINCT FROM`: a NULL
    // namespace or name is another row).
    let (query, namespace) = match namespace {
        Some(ns) => (
            "SELECT name, body FROM releases_v1 WHERE owner = $1 AND namespace = $2 AND name <> $3",
            ns,
        ),
        None => (
            "SELECT name, body FROM releases_v1 WHERE owner = $1 AND (namespace IS DISTINCT FROM $2 OR name IS DISTINCT FROM $3)",
            except.namespace.as_str(),
        ),
    };
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
        [&"helm", &namespace, &except.name];
    let rows = tx.query_raw(query, params).await.map_err(|e| failed(&e))?;
    let mut rows = std::pin::pin!(rows);
    let mut found = BTreeSet::new();
    while let Some(row) = rows.try_next().await.map_err(|e| failed(&e))? {
        let text = |i: usize| row.try_get::<_, Option<String>>(i).ok().flatten();
        let Some(name) = text(0) else { continue };
        if found.contains(&name) {
            continue;
        }
        // A NULL body is reported by pass 2, as any row that cannot be decoded.
        if text(1).is_none_or(|body| names.may_be_in_payload(body.as_bytes(), &searching)) {
            found.insert(name);
        }
    }
    Ok(found.into_iter().collect())
}

/// The rows Helm's `List` reads: its own (`owner = 'helm'`), of one namespace or of every one;
/// the condition, and its parameters `$1` and `$2`.
fn listed(namespace: Option<&String>) -> (&'static str, Vec<&(dyn ToSql + Sync)>) {
    match namespace {
        None => ("owner = $1", vec![&"helm"]),
        Some(namespace) => ("owner = $1 AND namespace = $2", vec![&"helm", namespace]),
    }
}

/// The condition that keeps, of the rows that `rows` selects, only those of each release's
/// newest revision (`list` decodes nothing else), as the labels `name` and `version` select
/// them from a cluster; rows that lack either are kept. Empty unless `newest`. One grouped
/// subquery, not one per row: Helm's schema has no index on `name`.
fn newest_only(newest: bool, rows: &str) -> String {
    if newest {
        format!(
            " AND (name IS NULL OR version IS NULL OR (namespace, name, version) IN \
             (SELECT namespace, name, max(version) FROM releases_v1 WHERE {rows} \
             GROUP BY namespace, name))"
        )
    } else {
        String::new()
    }
}

impl ReleaseRow {
    /// Add the row's custom labels; its columns win over a label of the same name.
    fn add_labels(&mut self, labels: &CustomLabels) {
        let key = (self.key.clone(), self.namespace.clone());
        for (k, v) in labels.get(&key).into_iter().flatten() {
            self.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// A row as text; columns of another type than Helm's schema are left out of the labels.
fn release_row(row: &Row) -> ReleaseRow {
    let text = |name: &str| row.try_get::<_, Option<String>>(name).ok().flatten();
    let mut labels = BTreeMap::new();
    for column in ["name", "status", "owner"] {
        if let Some(v) = text(column) {
            labels.insert(column.to_owned(), v);
        }
    }
    if let Ok(Some(v)) = row.try_get::<_, Option<i32>>("version") {
        labels.insert("version".to_owned(), v.to_string());
    }
    ReleaseRow {
        key: text("key").unwrap_or_default(),
        namespace: text("namespace").unwrap_or_default(),
        body: text("body"),
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// helm-why never writes: every statement here is a SELECT in a read-only transaction.
    #[test]
    fn only_selects() {
        let source = include_str!("sql.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        for word in [
            "INSERT",
            "UPDATE ",
            "DELETE",
            "CREATE",
            "DROP",
            "ALTER",
            "GRANT",
            "TRUNCATE",
            "execute(",
            "batch_execute",
        ] {
            assert!(!code.contains(word), "sql.rs must not use {word}");
        }
        assert!(code.contains(".read_only(true)"));
    }

    #[test]
    fn tls_parameters_are_taken_out() {
        let (rest, taken) = take_params(
            "postgresql://u:p@h/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
            &["sslmode", "sslrootcert"],
        );
        assert_eq!(rest, "postgresql://u:p@h/db?application_name=x");
        assert_eq!(
            taken,
            [
                ("sslmode".to_owned(), "verify-full".to_owned()),
                ("sslrootcert".to_owned(), "/tmp/ca.pem".to_owned())
            ]
        );
        let (rest, taken) = take_params(
            r"host=h password='a b\'c' sslmode = require dbname=d",
            &["sslmode"],
        );
        assert_eq!(rest, r"host=h password='a b\'c' dbname=d");
        assert_eq!(taken, [("sslmode".to_owned(), "require".to_owned())]);
    }

    #[test]
    fn passwords_never_appear_in_errors() {
        let url = "postgresql://helm:s3cr%40t@db.example:5433/helm?sslmode=disable";
        let target = Target::parse(url).unwrap();
        assert_eq!(target.database, "helm");
        assert_eq!(target.server, "db.example:5433");
        assert_eq!(
            scrub("auth failed for s3cr@t and s3cr%40t", &target.secrets),
            "auth failed for <redacted> and <redacted>"
        );
        let kv =
            Target::parse("host=db user=helm password='p w' dbname=rel sslmode=disable").unwrap();
        assert_eq!(
            (kv.database.as_str(), kv.server.as_str()),
            ("rel", "db:5432")
        );
        assert_eq!(scrub("x p w y", &kv.secrets), "x <redacted> y");
        for bad in [
            "postgresql://helm:hunter2@db/helm?sslmode=prefer",
            "postgresql://helm:hunter2@db/helm?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "postgresql://helm:hunter2@db/helm?sslmode=disable&bogus=1",
            "host=db password=hunter2 sslcert=/x sslkey=/y",
        ] {
            let Err(err) = Target::parse(bad) else {
                panic!("{bad} should be refused")
            };
            let text = err.to_string();
            assert!(!text.contains("hunter2"), "{text}");
        }
        // lib/pq's default: TLS without checking the certificate.
        assert!(Target::parse("postgresql://db/helm").unwrap().tls.is_some());
        assert!(Target::parse(url).unwrap().tls.is_none());
    }
}
