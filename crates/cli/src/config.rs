//! Resolved configuration: flags plus the environment Helm and kubectl plugins are given.
//! Nothing here touches the network; the cluster source resolves the kubeconfig itself.

use std::path::PathBuf;

use anyhow::{Result, bail};
use helm_why_release::{Limits, ScopeResolver};

use crate::args::{GlobalArgs, OutputFormat};

/// The environment variables helm-why honours, captured once so tests can pin them.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `HELM_NAMESPACE` (set by Helm for plugins).
    pub helm_namespace: Option<String>,
    /// `HELM_KUBECONTEXT` (set by Helm for plugins; empty means the current context).
    pub helm_kubecontext: Option<String>,
    /// `HELM_DRIVER` (only set when the user exported it; Helm does not pass it on).
    pub helm_driver: Option<String>,
    /// `KUBECONFIG`.
    pub kubeconfig: Option<String>,
    /// `HELM_BIN` (set by Helm for plugins): the helm that `plan CHART` runs.
    pub helm_bin: Option<String>,
    /// `TILLER_NAMESPACE` (Helm 2's own variable): where Tiller's records are.
    pub tiller_namespace: Option<String>,
    /// `HELM_DRIVER_SQL_CONNECTION_STRING`: the database of the SQL driver.
    pub sql_connection: Option<String>,
    /// `COLUMNS`: the width of text output, before the terminal's.
    pub columns: Option<String>,
    /// `NO_COLOR` set to anything: no colour with `--color auto`.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` set to anything but `0`: colour with `--color auto` even into a pipe.
    pub clicolor_force: bool,
}

impl Env {
    /// Read the process environment; empty values count as unset.
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            helm_namespace: var("HELM_NAMESPACE"),
            helm_kubecontext: var("HELM_KUBECONTEXT"),
            helm_driver: var("HELM_DRIVER"),
            kubeconfig: var("KUBECONFIG"),
            helm_bin: var("HELM_BIN"),
            tiller_namespace: var("TILLER_NAMESPACE"),
            sql_connection: var("HELM_DRIVER_SQL_CONNECTION_STRING"),
            columns: var("COLUMNS"),
            no_color: var("NO_COLOR").is_some(),
            clicolor_force: var("CLICOLOR_FORCE").is_some_and(|v| v != "0"),
        }
    }
}

/// Which Kubernetes objects hold the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageDriver {
    /// Secrets (Helm's default).
    Secret,
    /// ConfigMaps.
    ConfigMap,
}

/// A `HELM_DRIVER` value: a Kubernetes storage object, or the SQL driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverChoice {
    /// Secrets or ConfigMaps.
    Kube(StorageDriver),
    /// The SQL driver (PostgreSQL).
    Sql,
}

impl StorageDriver {
    /// Parse a `HELM_DRIVER` value as Helm does.
    ///
    /// # Errors
    /// `memory` (nothing to read) and unknown names.
    pub fn parse(value: &str) -> Result<DriverChoice> {
        match value.to_ascii_lowercase().as_str() {
            "" | "secret" | "secrets" => Ok(DriverChoice::Kube(StorageDriver::Secret)),
            "configmap" | "configmaps" => Ok(DriverChoice::Kube(StorageDriver::ConfigMap)),
            "sql" => Ok(DriverChoice::Sql),
            "memory" => bail!(crate::error::UserError::new(
                "the memory storage driver keeps nothing to read"
            )),
            other => bail!(crate::error::UserError::with_hint(
                format!("unknown storage driver {other:?}"),
                "use secret (the default), configmap or sql"
            )),
        }
    }
}

/// Where records come from.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// Files, directories or stdin.
    Files(Vec<PathBuf>),
    /// A live cluster.
    Cluster(ClusterSpec),
    /// The SQL driver's database.
    Sql(SqlSpec),
}

/// How to reach the SQL driver's database.
#[derive(Clone)]
pub struct SqlSpec {
    /// `HELM_DRIVER_SQL_CONNECTION_STRING`, as Helm reads it (it may hold a password: never
    /// print it).
    pub connection: String,
    /// `-n`, else `HELM_NAMESPACE`, else `default`.
    pub namespace: String,
}

impl std::fmt::Debug for SqlSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlSpec")
            .field("connection", &"<hidden>")
            .field("namespace", &self.namespace)
            .finish()
    }
}

/// How to reach the cluster.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// `--kubeconfig`, else `KUBECONFIG` (may list several files).
    pub kubeconfig: Option<String>,
    /// `--context`, else `HELM_KUBECONTEXT`.
    pub context: Option<String>,
    /// `-n`, else `HELM_NAMESPACE`; `None` means the context's namespace, else `default`.
    pub namespace: Option<String>,
    /// Secrets or ConfigMaps.
    pub driver: StorageDriver,
    /// Tiller's namespace when Helm 2 records are read too (`--tiller`, `--tiller-namespace`).
    pub tiller_namespace: Option<String>,
}

/// Tiller's namespace when Helm 2 was installed with its defaults.
pub const DEFAULT_TILLER_NAMESPACE: &str = "kube-system";

/// Everything a command needs to know about how it was asked to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where records come from.
    pub source: SourceSpec,
    /// `-n` for file sources (a filter), `None` for every namespace.
    pub namespace_filter: Option<String>,
    /// Output format.
    pub output: OutputFormat,
    /// Record size limits and the run's decoded-bytes budget.
    pub limits: Limits,
    /// Largest input file or standard input (`--max-input-bytes`).
    pub max_input_bytes: usize,
    /// `--show-secrets`: print Secret data and secret-looking values.
    pub show_secrets: bool,
    /// Kind scopes (built-in plus `--cluster-scoped`).
    pub scopes: ScopeResolver,
    /// `--helm-version`, unparsed until the simulator reads it.
    pub helm_version: Option<String>,
    /// `HELM_BIN`.
    pub helm_bin: Option<String>,
}

impl Config {
    /// Resolve flags against the environment.
    ///
    /// # Errors
    /// An unusable driver name.
    pub fn resolve(global: &GlobalArgs, env: &Env) -> Result<Config> {
        let mut scopes = ScopeResolver::builtin();
        for kind in &global.cluster_scoped {
            scopes.add_cluster_scoped(kind);
        }
        let driver = match global.driver.as_deref().or(env.helm_driver.as_deref()) {
            Some(d) => StorageDriver::parse(d)?,
            None => DriverChoice::Kube(StorageDriver::Secret),
        };
        let source = if !global.from.is_empty() {
            SourceSpec::Files(global.from.clone())
        } else if let DriverChoice::Kube(driver) = driver {
            SourceSpec::Cluster(ClusterSpec {
                kubeconfig: global
                    .kubeconfig
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .or_else(|| env.kubeconfig.clone()),
                context: global
                    .context
                    .clone()
                    .or_else(|| env.helm_kubecontext.clone()),
                namespace: global
                    .namespace
                    .clone()
                    .or_else(|| env.helm_namespace.clone()),
                driver,
                tiller_namespace: match (&global.tiller_namespace, global.tiller) {
                    (Some(ns), _) => Some(ns.clone()),
                    (None, true) => Some(
                        env.tiller_namespace
                            .clone()
                            .unwrap_or_else(|| DEFAULT_TILLER_NAMESPACE.to_owned()),
                    ),
                    (None, false) => None,
                },
            })
        } else {
            let Some(connection) = env.sql_connection.clone() else {
                bail!(crate::error::UserError::with_hint(
                    "the sql storage driver needs HELM_DRIVER_SQL_CONNECTION_STRING",
                    "set it as for helm, e.g. postgresql://helm@db.example:5432/helm?sslmode=disable"
                ));
            };
            SourceSpec::Sql(SqlSpec {
                connection,
                namespace: global
                    .namespace
                    .clone()
                    .or_else(|| env.helm_namespace.clone())
                    .unwrap_or_else(|| "default".to_owned()),
            })
        };
        Ok(Config {
            source,
            namespace_filter: global.namespace.clone(),
            output: global.output.unwrap_or(OutputFormat::Table),
            limits: Limits::with_max_record_bytes(global.max_record_bytes)
                .with_run_budget(global.max_total_bytes),
            max_input_bytes: global.max_input_bytes,
            show_secrets: global.show_secrets,
            scopes,
            helm_version: global.helm_version.clone(),
            helm_bin: env.helm_bin.clone(),
        })
    }
}
