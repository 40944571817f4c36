//! Resolved configuration: flags plus the environment Helm and kubectl plugins are given.
//! Nothing here touches the network; the cluster source resolves the kubeconfig itself.

use std::path::PathBuf;

use anyhow::{Result, bail};
use helm_why_release::{Limits, ScopeResolver};

use crate::args::{GlobalArgs, OutputFormat};
use crate::source::cluster::{kubeconfig_paths, pick_context, read_kubeconfigs};

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
    /// `-n`, else `HELM_NAMESPACE`, else the kubeconfig context's namespace, else `default`
    /// (as Helm's `EnvSettings.Namespace`).
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
    /// Every `--context` given (`scan` reads each; other commands take one).
    pub contexts: Vec<String>,
    /// `--no-progress`.
    pub no_progress: bool,
}

/// The release namespace of the SQL driver, as Helm computes it (Helm v3.17.3
/// `pkg/cli/environment.go` `EnvSettings.Namespace`): `-n`, else `HELM_NAMESPACE`, else the
/// namespace of the kubeconfig context (`--context`/`HELM_KUBECONTEXT`, else the current one, in
/// `--kubeconfig`/`KUBECONFIG`/`~/.kube/config`), else `default`.
///
/// Only the kubeconfig file is read; the cluster is never contacted. Helm also falls back to
/// `default` when the kubeconfig cannot be loaded; helm-why refuses instead (a broken file or
/// an unknown `--context`), since reading the wrong namespace would answer "not found".
///
/// # Errors
/// A kubeconfig that exists and cannot be read, or a `--context` it does not define.
fn sql_namespace(global: &GlobalArgs, env: &Env) -> Result<String> {
    if let Some(ns) = global
        .namespace
        .clone()
        .or_else(|| env.helm_namespace.clone())
    {
        return Ok(ns);
    }
    let list = global
        .kubeconfig
        .as_ref()
        .map(|p| p.display().to_string())
        .or_else(|| env.kubeconfig.clone());
    let paths = kubeconfig_paths(list.as_deref()).unwrap_or_default();
    if !paths.iter().any(|p| p.exists()) {
        return Ok(DEFAULT_NAMESPACE.to_owned());
    }
    let kubeconfig = read_kubeconfigs(&paths)?;
    let wanted = global
        .context
        .first()
        .cloned()
        .or_else(|| env.helm_kubecontext.clone());
    let has_current = kubeconfig
        .current_context
        .as_deref()
        .is_some_and(|c| !c.is_empty());
    if wanted.as_deref().is_none_or(str::is_empty) && !has_current {
        return Ok(DEFAULT_NAMESPACE.to_owned());
    }
    let context = pick_context(&kubeconfig, wanted.as_deref())?;
    let namespace = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.namespace.clone())
        .filter(|ns| !ns.is_empty());
    Ok(namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()))
}

/// The namespace when nothing names one.
const DEFAULT_NAMESPACE: &str = "default";

/// Whether an input path is `-`, standard input.
pub fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

impl Config {
    /// Whether `--from -` reads standard input.
    pub fn reads_stdin(&self) -> bool {
        matches!(&self.source, SourceSpec::Files(paths) if paths.iter().any(|p| is_stdin(p)))
    }

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
        let stdin = global.from.iter().filter(|p| is_stdin(p)).count();
        if stdin > 1 {
            bail!(crate::error::UserError::with_hint(
                format!("--from - is given {stdin} times: standard input can be read once"),
                "give - once, and the other inputs as files",
            ));
        }
        let source = if !global.from.is_empty() {
            SourceSpec::Files(global.from.clone())
        } else if let DriverChoice::Kube(driver) = driver {
            SourceSpec::Cluster(ClusterSpec {
                kubeconfig: global
                    .kubeconfig
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .or_else(|| env.kubeconfig.clone()),
                context: match global.context.as_slice() {
                    [] => env.helm_kubecontext.clone(),
                    [one] => Some(one.clone()),
                    // Several: `scan` reads each in turn (Config::contexts).
                    [first, ..] => Some(first.clone()),
                },
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
                namespace: sql_namespace(global, env)?,
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
            contexts: global.context.clone(),
            no_progress: global.no_progress,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::args::Cli;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
current-context: shop
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:1'}
users:
- name: u
  user: {token: t}
contexts:
- name: shop
  context: {cluster: c, user: u, namespace: shop}
- name: bare
  context: {cluster: c, user: u}
";

    /// The SQL namespace for `args` (after `helm-why`, before `list`) and `env`.
    fn namespace(args: &[&str], env: &Env) -> Result<String> {
        let argv = ["helm-why", "--driver", "sql"]
            .iter()
            .chain(args)
            .chain(&["list"]);
        let cli = Cli::try_parse_from(argv)?;
        let env = Env {
            sql_connection: Some("postgresql://helm@db/helm".to_owned()),
            ..env.clone()
        };
        match Config::resolve(&cli.global, &env)?.source {
            SourceSpec::Sql(spec) => Ok(spec.namespace),
            other => panic!("not the SQL source: {other:?}"),
        }
    }

    #[test]
    fn sql_namespace_falls_back_like_helm() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, KUBECONFIG).unwrap();
        let with_file = Env {
            kubeconfig: Some(file.display().to_string()),
            ..Env::default()
        };
        // -n, then HELM_NAMESPACE, then the context's namespace, then `default`.
        assert_eq!(namespace(&["-n", "flag"], &with_file).unwrap(), "flag");
        let with_env = Env {
            helm_namespace: Some("from-env".to_owned()),
            ..with_file.clone()
        };
        assert_eq!(namespace(&[], &with_env).unwrap(), "from-env");
        assert_eq!(namespace(&[], &with_file).unwrap(), "shop");
        assert_eq!(
            namespace(&["--context", "bare"], &with_file).unwrap(),
            "default"
        );
        let bare = Env {
            helm_kubecontext: Some("bare".to_owned()),
            ..with_file.clone()
        };
        assert_eq!(namespace(&[], &bare).unwrap(), "default");
        let path = file.display().to_string();
        assert_eq!(
            namespace(&["--kubeconfig", &path], &Env::default()).unwrap(),
            "shop"
        );
        // No kubeconfig at all: `default`, as Helm.
        let missing = Env {
            kubeconfig: Some(dir.path().join("absent").display().to_string()),
            ..Env::default()
        };
        assert_eq!(namespace(&[], &missing).unwrap(), "default");
    }

    #[test]
    fn sql_namespace_refuses_an_unreadable_kubeconfig_or_unknown_context() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, KUBECONFIG).unwrap();
        let env = Env {
            kubeconfig: Some(file.display().to_string()),
            ..Env::default()
        };
        let err = namespace(&["--context", "nope"], &env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "context \"nope\" not found in the kubeconfig"
        );
        // -n needs no kubeconfig, even a broken one.
        std::fs::write(&file, "contexts: [").unwrap();
        assert!(
            namespace(&[], &env)
                .unwrap_err()
                .to_string()
                .starts_with("invalid kubeconfig")
        );
        assert_eq!(namespace(&["-n", "shop"], &env).unwrap(), "shop");
    }
}
