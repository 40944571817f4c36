//! Records from a live cluster, through the Kubernetes API (read-only: get and list only).

use anyhow::Result;

use super::{Loaded, Request};
use crate::config::{ClusterSpec, Config};
use crate::error::UserError;

/// Read the records `request` needs.
///
/// # Errors
/// Not wired yet.
pub async fn load(_spec: &ClusterSpec, _config: &Config, _request: Request<'_>) -> Result<Loaded> {
    Err(UserError::with_hint("reading from a cluster is not wired yet", "use --from FILE").into())
}
