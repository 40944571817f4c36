//! What `list` reports: releases with their last revision.

use serde::Serialize;

/// One release in the list.
#[derive(Debug, Serialize)]
pub struct ListedRelease {
    /// Release name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Last revision (decoded or not).
    pub revision: Option<u64>,
    /// `last_deployed` of the last decoded revision.
    pub updated: Option<String>,
    /// Status of the last decoded revision.
    pub status: String,
    /// `chart-version`.
    pub chart: String,
    /// `appVersion`.
    pub app_version: String,
}

/// The `list` report.
#[derive(Debug, Serialize)]
pub struct ListReport {
    /// Releases, by namespace then name.
    pub releases: Vec<ListedRelease>,
    /// Problems with the input.
    pub warnings: Vec<String>,
}
