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
    after_help = "Exit codes: 0 success, 1 error, 2 hazards found at or above --fail-on (plan, scan) \
or revisions differ (diff --exit-code)."
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

    /// Kubeconfig context to use [default: $HELM_KUBECONTEXT, else the current context]; scan
    /// takes it several times, for a fleet
    #[arg(
        long,
        visible_alias = "kube-context",
        global = true,
        value_name = "NAME",
        action = clap::ArgAction::Append
    )]
    pub context: Vec<String>,

    /// Never show the progress indicator (shown on stderr when it is a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,

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

    /// Decoded bytes the records in hand may take (scan and who drop each release's as they go)
    #[arg(long, global = true, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub max_total_bytes: usize,

    /// Largest input file, or standard input, read with --from or --manifest
    #[arg(long, global = true, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub max_input_bytes: usize,

    /// Print Secret data and secret-looking values instead of redacting them
    #[arg(long, global = true)]
    pub show_secrets: bool,

    /// Treat this custom kind as cluster-scoped: Kind or Kind.group (can be repeated; a
    /// CustomResourceDefinition stored in the records, or connected API discovery, decides)
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
    /// Show what changed between two revisions: manifests, hooks and values, object by object
    Diff(DiffArgs),
    /// Tell the story of one object across every revision: why it is (or is not) there
    Explain(ExplainArgs),
    /// Show what happened to every object at every revision, then the hazards found
    Timeline(TimelineArgs),
    /// Show every container image per revision, tag mutability and pull policy, and whether a rollout happened
    Images(ImagesArgs),
    /// Predict what the next helm upgrade will create, patch and delete, and fail on hazards
    Plan(PlanArgs),
    /// Audit every release: its hazards, and what releases do to each other's objects
    Scan(ScanArgs),
    /// Find every release that ever rendered an object, and what each did to it
    Who(WhoArgs),
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
            Command::Diff(_) => "diff",
            Command::Scan(_) => "scan",
            Command::Who(_) => "who",
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
    /// Only releases whose name matches this regular expression (Perl-like syntax, as helm)
    #[arg(short = 'f', long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Show deployed releases (status filters combine; none: every status)
    #[arg(long)]
    pub deployed: bool,
    /// Show failed releases
    #[arg(long)]
    pub failed: bool,
    /// Show pending releases (pending-install, pending-upgrade, pending-rollback)
    #[arg(long)]
    pub pending: bool,
    /// Show superseded releases
    #[arg(long)]
    pub superseded: bool,
    /// Show releases uninstalled with --keep-history
    #[arg(long)]
    pub uninstalled: bool,
    /// Show releases being uninstalled
    #[arg(long)]
    pub uninstalling: bool,
}

/// `scan`
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Scan every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Scan every context of the kubeconfig (with -A: the whole fleet)
    #[arg(long, conflicts_with = "from")]
    pub all_contexts: bool,
    /// Exit 2 when a hazard of this severity or worse is found
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Connected: read the ownership annotations of every tracked object (one GET each, 16
    /// at a time), not only of the objects two releases claim
    #[arg(long)]
    pub check_ownership: bool,
}

/// `who`
#[derive(Debug, Args)]
pub struct WhoArgs {
    /// The object, as kubectl names it: cm/x, configmap/x, ingress.networking.k8s.io/x
    pub object: String,
    /// Look at the releases of every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// The object's namespace [default: -n, else the namespace of the releases]
    #[arg(long, value_name = "NS")]
    pub object_namespace: Option<String>,
}

/// `history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name
    pub release: String,
    /// Show only the newest N revisions (as helm history --max) [default: every revision]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max: Option<u64>,
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
    /// Like `helm get all`: metadata, values (user-supplied and computed), hooks, manifest,
    /// notes
    All,
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
    /// With `values`: the computed values, chart defaults coalesced with the user's as Helm
    /// does (`helm get values --all`)
    #[arg(short = 'a', long)]
    pub all: bool,
}

/// `diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Release name
    pub release: String,
    /// The older revision; given alone, the newer one, compared with the revision before it
    /// [default: the last two stored revisions]
    pub rev1: Option<u64>,
    /// The newer revision
    pub rev2: Option<u64>,
    /// Lines of context around each change (--context is the kubeconfig context, as in helm)
    #[arg(short = 'C', long, value_name = "N", default_value_t = 3)]
    pub context_lines: usize,
    /// Leave out objects of this kind: Kind, Kind.group, a plural or short name (can be
    /// repeated)
    #[arg(long, value_name = "KIND")]
    pub suppress: Vec<String>,
    /// Exit 2 when the revisions differ (helm-diff's --detailed-exitcode)
    #[arg(long)]
    pub exit_code: bool,
}

/// `explain`
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Release name
    pub release: String,
    /// The object, as kubectl names it: cm/x, configmaps/x, deployment.apps/x,
    /// ingress.extensions/x (any group revision used), or KIND then NAME
    pub object: String,
    /// The name, when the object is given as KIND NAME (`explain web deployment web`)
    pub name: Option<String>,
    /// The object's namespace, when objects of the release share a name across namespaces
    #[arg(long, value_name = "NS")]
    pub object_namespace: Option<String>,
    /// Whether the other releases are read.
    #[command(flatten)]
    pub others: OtherReleasesArgs,
}

/// `timeline`
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Release name
    pub release: String,
    /// Whether the other releases are read.
    #[command(flatten)]
    pub others: OtherReleasesArgs,
}

/// Whether `explain` and `timeline` read the other releases (of the release's namespace, or of
/// every namespace for cluster-scoped objects and custom resources), to tell when one of them
/// deleted or took over this release's objects.
#[derive(Debug, Clone, Copy, Args)]
pub struct OtherReleasesArgs {
    /// Read only this release's records, not the other releases (of its namespace, or of
    /// every namespace for cluster-scoped objects and custom resources): faster where many
    /// releases are stored, but what another release did to these objects is not shown (a
    /// warning says so)
    #[arg(long)]
    pub no_other_releases: bool,
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

/// Severity threshold of `plan --fail-on` and `scan --fail-on`.
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

impl FailOn {
    /// The least severity that fails the run (`None`: never).
    pub fn threshold(self) -> Option<helm_why_diff::Severity> {
        use helm_why_diff::Severity;
        match self {
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Never => None,
        }
    }

    /// The exit code for a run whose worst hazard is `worst`: [`crate::error::exit::HAZARDS`]
    /// at or above the threshold.
    pub fn exit_code(self, worst: Option<helm_why_diff::Severity>) -> u8 {
        match (worst, self.threshold()) {
            (Some(worst), Some(t)) if worst >= t => crate::error::exit::HAZARDS,
            _ => crate::error::exit::OK,
        }
    }
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
