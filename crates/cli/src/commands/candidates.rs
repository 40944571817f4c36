//! The releases of a whole source that may matter to a question: read as a stream where the
//! source allows it, and kept only when a test of their records says so, so that memory holds
//! those releases, not the source. `who` reads its candidates so, and `explain` and `timeline`
//! the other releases of every namespace when an object can be reached from any of them.

use anyhow::Result;
use helm_why_release::{Histories, History};

use super::source_warnings;
use crate::config::Config;
use crate::source::cluster::ReleaseStream;
use crate::source::{Batch, Connection, Request, Streamed, files, load, streamed};

/// The releases of a source that a test kept.
#[derive(Default)]
pub struct Candidates {
    /// Those releases, by namespace and name.
    pub histories: Vec<History>,
    /// How many releases were read, candidates or not.
    pub read: usize,
    /// What the source said (records that could not be decoded, objects ignored).
    pub warnings: Vec<String>,
    /// What was read, for messages.
    pub origin: String,
    /// The cluster, when connected.
    pub cluster: Option<Connection>,
}

impl Candidates {
    /// Read the source (every namespace when `all_namespaces`) and keep the releases that
    /// `wanted` holds. A single file and a cluster's Secrets or ConfigMaps are read as a
    /// stream, release by release, and the releases not wanted are dropped as they come;
    /// other sources (several files, a directory, SQL, Tiller), and a stream whose records are
    /// not grouped by release, are read whole.
    ///
    /// # Errors
    /// Source errors.
    pub async fn read(
        config: &Config,
        all_namespaces: bool,
        wanted: &dyn Fn(&History) -> bool,
    ) -> Result<Candidates> {
        let mut found = Candidates::default();
        let keep = |found: &mut Candidates, histories: Histories| {
            found.read += histories.releases.len();
            found
                .histories
                .extend(histories.releases.into_iter().filter(|h| wanted(h)));
            histories.unattributed
        };
        match streamed(config) {
            Some(Streamed::Cluster(spec)) => {
                let mut stream = ReleaseStream::open(spec, config, all_namespaces).await?;
                let mut in_order = true;
                while let Some(batch) = stream.next().await? {
                    match batch {
                        Batch::Releases(histories) => {
                            let undecoded = keep(&mut found, histories);
                            let said = undecoded.iter().map(|e| format!("could not decode {e}"));
                            found.warnings.extend(said);
                        }
                        Batch::OutOfOrder(_) => {
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
            Some(Streamed::File(path)) => {
                let mut in_order = true;
                let loaded = files::stream(path, config, &mut |batch| match batch {
                    Batch::Releases(histories) => {
                        // A streamed file's undecodable records are in what it returns.
                        keep(&mut found, histories);
                        true
                    }
                    Batch::OutOfOrder(_) => {
                        in_order = false;
                        false
                    }
                })?;
                if in_order {
                    found.warnings = source_warnings(&loaded);
                    found.origin = loaded.origin;
                    return Ok(found.sorted());
                }
            }
            None => {}
        }
        // Not streamed, or not grouped by release: what was kept is read again whole.
        found = Candidates::default();
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
