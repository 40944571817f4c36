//! `helm-why list`: releases with their last revision and status.

use anyhow::Result;
use helm_why_release::history::Finding;

use super::{Ui, source_warnings};
use crate::args::ListArgs;
use crate::config::Config;
use crate::error::exit;
use crate::report::list::{ListReport, ListedRelease};
use crate::source::{Request, load};

/// Run `list`.
///
/// # Errors
/// Source errors.
pub async fn run(args: &ListArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let loaded = load(
        config,
        Request::All {
            all_namespaces: args.all_namespaces,
        },
    )
    .await?;
    let mut warnings = source_warnings(&loaded);
    let releases = loaded
        .histories
        .releases
        .iter()
        .map(|h| {
            // Pruned revisions are ordinary (--history-max); `history` shows them.
            warnings.extend(
                h.findings
                    .iter()
                    .filter(|f| !matches!(f, Finding::MissingRevisions { .. }))
                    .map(|f| format!("{}: {f}", h.id)),
            );
            let latest = h.latest().map(|r| &r.release);
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
