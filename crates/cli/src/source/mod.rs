//! Where release records come from: files, a live cluster, or the SQL driver's database. Both end in the same
//! [`Loaded`] value, so commands never know which one they read.

pub mod cluster;
pub mod files;
mod pg_tls;
pub mod sql;

use anyhow::Result;
use helm_why_release::input::IgnoredObject;
use helm_why_release::{DecodeError, Histories, History};

pub use cluster::{Connection, LiveObject, Observation};

use crate::config::{Config, SourceSpec};
use crate::error::UserError;

/// What to read.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// Every record of one release.
    Release(&'a str),
    /// Every release (`list`); across namespaces when `all_namespaces`.
    All {
        /// `-A`.
        all_namespaces: bool,
    },
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
}

impl Loaded {
    /// Decode errors that could not be tied to a release.
    pub fn unattributed(&self) -> &[DecodeError] {
        &self.histories.unattributed
    }
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

/// The one history of `name`, honouring the namespace filter.
///
/// # Errors
/// No such release, or the same name in several namespaces without `-n`.
pub fn select_release<'a>(
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
        [] => {
            let others: Vec<String> = loaded
                .histories
                .releases
                .iter()
                .map(|h| h.id.to_string())
                .collect();
            let hint = if others.is_empty() {
                "check --namespace and --context, or the files given to --from".to_owned()
            } else {
                format!("releases found: {}", others.join(", "))
            };
            Err(UserError::with_hint(
                format!("release {name:?} not found in {}", loaded.origin),
                hint,
            )
            .into())
        }
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
