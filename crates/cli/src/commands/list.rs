//! `helm-why list`: releases with their last revision and status.

use anyhow::Result;
use helm_why_release::history::Finding;
use helm_why_release::{History, Record, Status};

use super::{Ui, source_warnings};
use crate::args::ListArgs;
use crate::config::Config;
use crate::error::{UserError, exit};
use crate::report::list::{ListReport, ListedRelease};
use crate::source::{Request, load};

/// The newest record of a history when it decoded; `None` when a newer record did not (its
/// status and chart are then unknown: `undecodable`, not the older revision's).
fn newest_decoded(h: &History) -> Option<&Record> {
    let latest = h.latest()?;
    let newer_failed = h
        .undecodable
        .iter()
        .any(|(rev, _)| rev.is_some_and(|r| r > latest.release.version));
    (!newer_failed).then_some(latest)
}

/// Which releases `list` shows: helm's status flags (combined: any of them) and name filter.
struct Wanted {
    statuses: Vec<Status>,
    name: Option<regex::Regex>,
}

impl Wanted {
    fn new(args: &ListArgs) -> Result<Self> {
        let mut statuses = Vec::new();
        for (on, these) in [
            (args.deployed, &[Status::Deployed][..]),
            (args.failed, &[Status::Failed]),
            (
                args.pending,
                &[
                    Status::PendingInstall,
                    Status::PendingUpgrade,
                    Status::PendingRollback,
                ],
            ),
            (args.superseded, &[Status::Superseded]),
            (args.uninstalled, &[Status::Uninstalled]),
            (args.uninstalling, &[Status::Uninstalling]),
        ] {
            if on {
                statuses.extend(these.iter().cloned());
            }
        }
        let name = match &args.filter {
            None => None,
            Some(re) => Some(regex::Regex::new(re).map_err(|e| {
                UserError::with_hint(
                    format!("--filter {re:?} is not a regular expression: {e}"),
                    "the syntax is Perl-like, as helm's: -f '^web-' or -f 'api|db'",
                )
            })?),
        };
        Ok(Wanted { statuses, name })
    }

    /// Whether to show a release. A status filter cannot tell where the newest record did
    /// not decode: such releases are shown, as `undecodable`, rather than silently dropped.
    fn shows(&self, name: &str, status: Option<&Status>) -> bool {
        self.name.as_ref().is_none_or(|re| re.is_match(name))
            && (self.statuses.is_empty() || status.is_none_or(|s| self.statuses.contains(s)))
    }
}

/// Run `list`.
///
/// # Errors
/// Source errors, an invalid `--filter`.
pub async fn run(args: &ListArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let wanted = Wanted::new(args)?;
    let loaded = load(
        config,
        Request::All {
            all_namespaces: args.all_namespaces,
            newest: true,
        },
    )
    .await?;
    let mut warnings = source_warnings(&loaded);
    let releases = loaded
        .histories
        .releases
        .iter()
        .filter(|h| {
            // The newest record decides; an undecodable one newer than every decoded one
            // leaves the status unknown.
            let latest = newest_decoded(h).map(|r| &r.release.info.status);
            wanted.shows(&h.id.name, latest)
        })
        .map(|h| {
            // Pruned revisions are ordinary (--history-max); `history` shows them.
            warnings.extend(
                h.findings
                    .iter()
                    .filter(|f| !matches!(f, Finding::MissingRevisions { .. }))
                    .map(|f| format!("{}: {f}", h.id)),
            );
            let latest = newest_decoded(h).map(|r| &r.release);
            ListedRelease {
                name: h.id.name.clone(),
                namespace: h.id.namespace.clone(),
                revision: h.last_revision(),
                updated: latest
                    .and_then(|r| r.info.last_deployed.as_ref())
                    .map(|t| t.to_string()),
                status: latest.map_or("undecodable".to_owned(), |r| r.info.status.to_string()),
                chart: latest.map(|r| r.chart_label()).unwrap_or_default(),
                app_version: latest
                    .map(|r| r.chart.metadata.app_version.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let report = ListReport { releases, warnings };
    crate::render::list::render(&report, ui)?;
    Ok(exit::OK)
}
