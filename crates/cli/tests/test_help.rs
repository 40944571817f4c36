//! The command-line reference, pinned so that wording changes show up in review.

use crate::harness::run_args;

#[test]
fn top_level_help() {
    insta::assert_snapshot!(run_args(&["--help"]), @r#"
    Explain what Helm did to your cluster at every revision, what it will do at the next upgrade, and
    why.

    helm-why reads the release records Helm keeps (Secrets sh.helm.release.v1.<release>.v<N>,
    ConfigMaps, or exported files) and replays Helm's own rules between revisions. It only reads: it
    never writes to the cluster.

    Usage: helm-why [OPTIONS] <COMMAND>

    Commands:
      list         List releases with their last revision and status
      history      Show every revision of a release and what changed at each
      get          Print a stored revision's manifest, hooks, values, notes or whole record
      diff         Show what changed between two revisions: manifests, hooks and values, object by
                   object
      explain      Tell the story of one object across every revision: why it is (or is not) there
      timeline     Show what happened to every object at every revision, then the hazards found
      images       Show every container image per revision, tag mutability and pull policy, and whether
                   a rollout happened
      plan         Predict what the next helm upgrade will create, patch and delete, and fail on hazards
      scan         Audit every release: its hazards, and what releases do to each other's objects
      who          Find every release that ever rendered an object, and what each did to it
      completions  Print shell completions
      man          Print the man page
      help         Print this message or the help of the given subcommand(s)

    Options:
          --from <PATH>
              Read release records from a file, a directory (recursively) or - for stdin, instead of a
              cluster (can be repeated)

      -n, --namespace <NS>
              Namespace of the release [default: $HELM_NAMESPACE, else the kubeconfig context's, else
              "default"; with --from: every namespace in the files]

          --kubeconfig <FILE>
              Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]

          --context <NAME>
              Kubeconfig context to use [default: $HELM_KUBECONTEXT, else the current context]; scan
              takes it several times, for a fleet
              
              [alias: --kube-context]

          --no-progress
              Never show the progress indicator (shown on stderr when it is a terminal)

          --driver <DRIVER>
              Storage driver Helm uses: secret, configmap or sql (with
              $HELM_DRIVER_SQL_CONNECTION_STRING) [default: $HELM_DRIVER, else secret]

      -o, --output <OUTPUT>
              Output format [default: table]; a command refuses a format it cannot print

              Possible values:
              - table:    Aligned columns that fit the terminal; long explanations go under the table
              - wide:     Every column, one line per row, never wrapped (like kubectl -o wide)
              - json:     JSON, documented in docs/json.md
              - yaml:     YAML: the same data as JSON
              - markdown: Markdown, for incident write-ups and pull requests (with Mermaid diagrams)
              - html:     One self-contained HTML page for postmortems (timeline only)

          --color <WHEN>
              When to colour severities, actions and diff lines: auto (stdout is a terminal and NO_COLOR
              is unset, or CLICOLOR_FORCE is set), always or never; JSON and YAML never are

              Possible values:
              - auto:   Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces
                it)
              - always: Always colour (tables only)
              - never:  Never colour
              
              [default: auto]

          --max-record-bytes <SIZE>
              Largest decompressed size of one record, e.g. 64MiB or 1000000
              
              [default: 64MiB]

          --max-total-bytes <SIZE>
              Decoded bytes the records in hand may take (scan and who drop each release's as they go)
              
              [default: 1GiB]

          --max-input-bytes <SIZE>
              Largest input file, or standard input, read with --from or --manifest
              
              [default: 256MiB]

          --show-secrets
              Print Secret data and secret-looking values instead of redacting them

          --cluster-scoped <KIND>
              Treat this custom kind as cluster-scoped: Kind or Kind.group (can be repeated; a
              CustomResourceDefinition stored in the records, or connected API discovery, decides)

          --helm-version <X.Y.Z>
              Replay with the rules of this Helm version (e.g. 2.17.0, 3.16.4, 4.1.4) [default: Helm 4
              rules when the records carry apply_method, Helm 2.17.0 rules for Tiller's records, else
              the newest 3.x rules]

          --tiller
              Also read Helm 2 (Tiller) records, from Tiller's namespace (ConfigMaps and Secrets
              labelled OWNER=TILLER)

          --tiller-namespace <NS>
              Namespace Tiller stored its records in (implies --tiller) [default: $TILLER_NAMESPACE,
              else kube-system]

      -h, --help
              Print help (see a summary with '-h')

      -V, --version
              Print version

    Exit codes: 0 success, 1 error, 2 hazards found at or above --fail-on (plan, scan) or revisions
    differ (diff --exit-code).
    [exit status: 0]
    "#);
}

#[test]
fn plan_help() {
    insta::assert_snapshot!(run_args(&["plan", "--help"]), @r#"
    Predict what the next helm upgrade will create, patch and delete, and fail on hazards

    Usage: helm-why plan [OPTIONS] <RELEASE> [CHART] [-- <HELM FLAGS>...]

    Arguments:
      <RELEASE>
              Release name

      [CHART]
              Chart to render with $HELM_BIN (helm plugin mode); omit with --manifest

      [HELM FLAGS]...
              Any other flags for `helm upgrade --dry-run` / `helm template`, after --

    Options:
          --from <PATH>
              Read release records from a file, a directory (recursively) or - for stdin, instead of a
              cluster (can be repeated)

          --manifest <FILE>
              The candidate: helm template output, helm upgrade --dry-run text or its -o json (- for
              stdin)

          --fail-on <FAIL_ON>
              Exit 2 when a hazard of this severity or worse is found

              Possible values:
              - low:    Any hazard
              - medium: Medium and high hazards
              - high:   Only high hazards
              - never:  Never fail on hazards
              
              [default: high]

      -n, --namespace <NS>
              Namespace of the release [default: $HELM_NAMESPACE, else the kubeconfig context's, else
              "default"; with --from: every namespace in the files]

          --diff
              Show a unified diff of every changed object

          --kubeconfig <FILE>
              Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]

          --context <NAME>
              Kubeconfig context to use [default: $HELM_KUBECONTEXT, else the current context]; scan
              takes it several times, for a fleet
              
              [alias: --kube-context]

      -f, --values <FILE>
              Values file passed to helm with CHART (can be repeated)

          --no-progress
              Never show the progress indicator (shown on stderr when it is a terminal)

          --set <KEY=VALUE>
              A value passed to helm with CHART: key=value (can be repeated)

          --driver <DRIVER>
              Storage driver Helm uses: secret, configmap or sql (with
              $HELM_DRIVER_SQL_CONNECTION_STRING) [default: $HELM_DRIVER, else secret]

          --set-string <KEY=VALUE>
              A string value passed to helm with CHART: key=value (can be repeated)

      -o, --output <OUTPUT>
              Output format [default: table]; a command refuses a format it cannot print

              Possible values:
              - table:    Aligned columns that fit the terminal; long explanations go under the table
              - wide:     Every column, one line per row, never wrapped (like kubectl -o wide)
              - json:     JSON, documented in docs/json.md
              - yaml:     YAML: the same data as JSON
              - markdown: Markdown, for incident write-ups and pull requests (with Mermaid diagrams)
              - html:     One self-contained HTML page for postmortems (timeline only)

          --version <VERSION>
              The chart version passed to helm with CHART

          --color <WHEN>
              When to colour severities, actions and diff lines: auto (stdout is a terminal and NO_COLOR
              is unset, or CLICOLOR_FORCE is set), always or never; JSON and YAML never are

              Possible values:
              - auto:   Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces
                it)
              - always: Always colour (tables only)
              - never:  Never colour
              
              [default: auto]

          --max-record-bytes <SIZE>
              Largest decompressed size of one record, e.g. 64MiB or 1000000
              
              [default: 64MiB]

          --max-total-bytes <SIZE>
              Decoded bytes the records in hand may take (scan and who drop each release's as they go)
              
              [default: 1GiB]

          --max-input-bytes <SIZE>
              Largest input file, or standard input, read with --from or --manifest
              
              [default: 256MiB]

          --show-secrets
              Print Secret data and secret-looking values instead of redacting them

          --cluster-scoped <KIND>
              Treat this custom kind as cluster-scoped: Kind or Kind.group (can be repeated; a
              CustomResourceDefinition stored in the records, or connected API discovery, decides)

          --helm-version <X.Y.Z>
              Replay with the rules of this Helm version (e.g. 2.17.0, 3.16.4, 4.1.4) [default: Helm 4
              rules when the records carry apply_method, Helm 2.17.0 rules for Tiller's records, else
              the newest 3.x rules]

          --tiller
              Also read Helm 2 (Tiller) records, from Tiller's namespace (ConfigMaps and Secrets
              labelled OWNER=TILLER)

          --tiller-namespace <NS>
              Namespace Tiller stored its records in (implies --tiller) [default: $TILLER_NAMESPACE,
              else kube-system]

      -h, --help
              Print help (see a summary with '-h')
    [exit status: 0]
    "#);
}
