//! Command-line flags, as the user typed them. Resolution (environment, kubeconfig, defaults
//! that depend on other flags) happens in [`crate::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Explain what Helm did to your cluster at every revision, what it will do at the next
/// upgrade, and why
#[derive(Debug, Parser)]
#[command(
    name = "helm-why",
    version,
    about,
    long_about = "Explain what Helm did to your cluster at every revision, what it will do at the \
next upgrade, and why.\n\nhelm-why reads the release records Helm keeps (Secrets \
sh.helm.release.v1.<release>.v<N>, ConfigMaps, or exported files) and replays Helm's own rules \
between revisions. It only reads: it never writes to the cluster.",
    after_help = "Exit codes: 0 success, 1 error, 2 hazards found at or above --fail-on (plan)."
)]
pub struct Cli {
    /// Flags shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read release records from a file, a directory (recursively) or - for stdin, instead of a
    /// cluster (can be repeated)
    #[arg(long, global = true, value_name = "PATH")]
    pub from: Vec<PathBuf>,

    /// Namespace of the release [default: $HELM_NAMESPACE, else the kubeconfig context's, else
    /// "default"; with --from: every namespace in the files]
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,

    /// Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use [default: $HELM_KUBECONTEXT, else the current context]
    #[arg(
        long,
        visible_alias = "kube-context",
        global = true,
        value_name = "NAME"
    )]
    pub context: Option<String>,

    /// Storage driver Helm uses: secret, configmap or sql (with
    /// $HELM_DRIVER_SQL_CONNECTION_STRING) [default: $HELM_DRIVER, else secret]
    #[arg(long, global = true, value_name = "DRIVER")]
    pub driver: Option<String>,

    /// Output format [default: table]; a command refuses a format it cannot print
    #[arg(short = 'o', long, global = true, value_enum)]
    pub output: Option<OutputFormat>,

    /// When to colour severities, actions and diff lines: auto (stdout is a terminal and
    /// NO_COLOR is unset, or CLICOLOR_FORCE is set), always or never; JSON and YAML never are
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Largest decompressed size of one record, e.g. 64MiB or 1000000
    #[arg(long, global = true, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_record_bytes: usize,

    /// Decoded bytes allowed for the whole run, across every record
    #[arg(long, global = true, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub max_total_bytes: usize,

    /// Largest input file, or standard input, read with --from or --manifest
    #[arg(long, global = true, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub max_input_bytes: usize,

    /// Print Secret data and secret-looking values instead of redacting them
    #[arg(long, global = true)]
    pub show_secrets: bool,

    /// Treat this custom kind as cluster-scoped: Kind or Kind.group (can be repeated; connected
    /// to a cluster, API discovery decides)
    #[arg(long = "cluster-scoped", global = true, value_name = "KIND")]
    pub cluster_scoped: Vec<String>,

    /// Replay with the rules of this Helm version (e.g. 2.17.0, 3.16.4, 4.1.4) [default: Helm 4
    /// rules when the records carry apply_method, Helm 2.17.0 rules for Tiller's records, else
    /// the newest 3.x rules]
    #[arg(long, global = true, value_name = "X.Y.Z")]
    pub helm_version: Option<String>,

    /// Also read Helm 2 (Tiller) records, from Tiller's namespace (ConfigMaps and Secrets
    /// labelled OWNER=TILLER)
    #[arg(long, global = true)]
    pub tiller: bool,

    /// Namespace Tiller stored its records in (implies --tiller) [default: $TILLER_NAMESPACE,
    /// else kube-system]
    #[arg(long, global = true, value_name = "NS")]
    pub tiller_namespace: Option<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns that fit the terminal; long explanations go under the table
    Table,
    /// Every column, one line per row, never wrapped (like kubectl -o wide)
    Wide,
    /// JSON, documented in docs/json.md
    Json,
    /// YAML: the same data as JSON
    Yaml,
    /// Markdown, for incident write-ups and pull requests (with Mermaid diagrams)
    Markdown,
    /// One self-contained HTML page for postmortems (timeline only)
    Html,
}

impl OutputFormat {
    /// The name `-o` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Wide => "wide",
            OutputFormat::Json => "json",
            OutputFormat::Yaml => "yaml",
            OutputFormat::Markdown => "markdown",
            OutputFormat::Html => "html",
        }
    }

    /// JSON or YAML: data for programs (warnings inside, never colour).
    pub fn is_data(self) -> bool {
        matches!(self, OutputFormat::Json | OutputFormat::Yaml)
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)
    Auto,
    /// Always colour (tables only)
    Always,
    /// Never colour
    Never,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List releases with their last revision and status
    List(ListArgs),
    /// Show every revision of a release and what changed at each
    History(HistoryArgs),
    /// Print a stored revision's manifest, hooks, values, notes or whole record
    Get(GetArgs),
    /// Tell the story of one object across every revision: why it is (or is not) there
    Explain(ExplainArgs),
    /// Show what happened to every object at every revision, then the hazards found
    Timeline(TimelineArgs),
    /// Show every container image per revision, tag mutability and pull policy, and whether a rollout happened
    Images(ImagesArgs),
    /// Predict what the next helm upgrade will create, patch and delete, and fail on hazards
    Plan(PlanArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Print the man page
    Man,
}

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::List(_) => "list",
            Command::History(_) => "history",
            Command::Get(_) => "get",
            Command::Explain(_) => "explain",
            Command::Timeline(_) => "timeline",
            Command::Images(_) => "images",
            Command::Plan(_) => "plan",
            Command::Completions(_) => "completions",
            Command::Man => "man",
        }
    }
}

/// `list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// List releases in every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

/// `history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name
    pub release: String,
}

/// What `get` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetWhat {
    /// The rendered manifest of tracked objects
    Manifest,
    /// The hooks, each as a YAML document
    Hooks,
    /// The user-supplied values
    Values,
    /// The rendered NOTES.txt
    Notes,
    /// The whole decoded record
    Release,
}

/// `get`
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Release name
    pub release: String,
    /// What to print
    #[arg(value_enum)]
    pub what: GetWhat,
    /// Revision to read [default: the last one]
    #[arg(long)]
    pub revision: Option<u64>,
}

/// `explain`
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Release name
    pub release: String,
    /// The object, as kubectl names it: cm/x, configmap/x, ingress.networking.k8s.io/x
    pub object: String,
    /// The object's namespace, when objects of the release share a name across namespaces
    #[arg(long, value_name = "NS")]
    pub object_namespace: Option<String>,
}

/// `timeline`
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Release name
    pub release: String,
}

/// `images`
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Release name
    pub release: String,
    /// Only this container (its name in the pod spec)
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Only this revision (its table, and the findings that concern it)
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
    /// Only findings of this severity or worse
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub severity: Option<MinSeverity>,
}

/// `images --severity`: the least severe finding shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    /// Every finding
    Low,
    /// Medium and high findings
    Medium,
    /// High findings only
    High,
}

/// `plan`
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Release name
    pub release: String,
    /// Chart to render with $HELM_BIN (helm plugin mode); omit with --manifest
    pub chart: Option<String>,
    /// The candidate: helm template output, helm upgrade --dry-run text or its -o json (- for stdin)
    #[arg(long, value_name = "FILE", conflicts_with = "chart")]
    pub manifest: Option<std::path::PathBuf>,
    /// Exit 2 when a hazard of this severity or worse is found
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Show a unified diff of every changed object
    #[arg(long)]
    pub diff: bool,
    /// Values file passed to helm with CHART (can be repeated)
    #[arg(short = 'f', long = "values", value_name = "FILE", requires = "chart")]
    pub values: Vec<String>,
    /// A value passed to helm with CHART: key=value (can be repeated)
    #[arg(long = "set", value_name = "KEY=VALUE", requires = "chart")]
    pub set: Vec<String>,
    /// A string value passed to helm with CHART: key=value (can be repeated)
    #[arg(long = "set-string", value_name = "KEY=VALUE", requires = "chart")]
    pub set_string: Vec<String>,
    /// The chart version passed to helm with CHART
    #[arg(long = "version", value_name = "VERSION", requires = "chart")]
    pub chart_version: Option<String>,
    /// Any other flags for `helm upgrade --dry-run` / `helm template`, after --
    #[arg(last = true, value_name = "HELM FLAGS")]
    pub helm_args: Vec<String>,
}

impl PlanArgs {
    /// The flags for helm: values files, --set, --set-string, --version, then the rest.
    pub fn helm_flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.values {
            out.extend(["--values".to_owned(), f.clone()]);
        }
        for s in &self.set {
            out.extend(["--set".to_owned(), s.clone()]);
        }
        for s in &self.set_string {
            out.extend(["--set-string".to_owned(), s.clone()]);
        }
        if let Some(v) = &self.chart_version {
            out.extend(["--version".to_owned(), v.clone()]);
        }
        out.extend(self.helm_args.iter().cloned());
        out
    }
}

/// Severity threshold of `plan --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any hazard
    Low,
    /// Medium and high hazards
    Medium,
    /// Only high hazards
    High,
    /// Never fail on hazards
    Never,
}

/// `completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parse `64MiB`, `1GiB`, `500k`, `1000000`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 64MiB or 1000000)"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" | "ki" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" | "mi" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" | "gi" => 1024 * 1024 * 1024,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{s:?} is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
