//! `helm-why plan RELEASE`: what the next `helm upgrade` will do, as a CI gate.

use std::process::Command;

use anyhow::Result;
use helm_why_diff::{ChangeOp, LiveFact, Plan, RevisionView, plan_with_live, rendered_as_install};
use helm_why_release::candidate::{Candidate, CandidateFormat, parse_candidate};
use helm_why_release::{History, Info, Release, Status};
use helm_why_release::{ResourceKey, ScopeResolver};

use super::{Ui, refine_scopes, replay_options, source_warnings};
use crate::args::PlanArgs;
use crate::config::{Config, SourceSpec};
use crate::error::UserError;
use crate::redact::Redactor;
use crate::report::plan::PlanReport;
use crate::source::files::read_input_bytes;
use crate::source::{Request, load, require_latest_decoded, select_release};

/// Run `plan`.
///
/// # Errors
/// Source errors, an unreadable candidate, a failing helm.
pub async fn run(args: &PlanArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let (text, how) = candidate_text(args, config)?;
    let candidate = parse_candidate(&text, &how).map_err(|e| UserError::new(e.to_string()))?;
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release(&loaded, &args.release, config.namespace_filter.as_deref())?;
    require_latest_decoded(history)?;
    let mut warnings = source_warnings(&loaded);
    warnings.extend(history.findings.iter().map(ToString::to_string));
    for (source, raw) in &candidate.dropped {
        warnings.push(format!(
            "{}: helm.sh/hook: {raw} names an event Helm does not know: Helm drops this document, so the object is never created",
            source.as_deref().unwrap_or("a document")
        ));
    }
    for p in &candidate.problems {
        warnings.push(format!(
            "candidate document {} could not be parsed: {}",
            p.index, p.detail
        ));
    }
    let format = candidate.format;
    let release = candidate_release(candidate, history);
    let scopes = refine_scopes(&loaded, history, config, &mut warnings).await;
    // Connected or not, plan_with_live knows from the live facts it is given.
    let options = replay_options(config, &scopes, false)?;
    let facts = match &loaded.cluster {
        Some(cluster) => Some(live_facts(cluster, history, &release, &scopes).await),
        None => None,
    };
    let mut planned = plan_with_live(history, &release, &options, facts.as_deref());
    if format == CandidateFormat::Template
        && let Some(base) = planned
            .base_revision
            .and_then(|b| history.revision(b))
            .or_else(|| history.latest())
        && let Some(h) = rendered_as_install(&base.release, planned.revision)
    {
        planned.hazards.push(h);
        planned
            .hazards
            .sort_by_key(|h| std::cmp::Reverse(h.severity));
    }
    let diffs = if args.diff {
        diffs(history, &planned, &release, config)
    } else {
        Vec::new()
    };
    let report = PlanReport {
        candidate: format!("{how} ({})", describe(format)),
        plan: planned,
        warnings,
        diffs,
    };
    crate::render::plan::render(&report, ui)?;
    Ok(args.fail_on.exit_code(report.plan.worst()))
}

fn describe(format: CandidateFormat) -> &'static str {
    match format {
        CandidateFormat::Template => "helm template output",
        CandidateFormat::DryRunText => "helm upgrade --dry-run output",
        CandidateFormat::ReleaseJson => "release JSON",
    }
}

/// The candidate text: from `--manifest`, or by running helm on the chart.
fn candidate_text(args: &PlanArgs, config: &Config) -> Result<(String, String)> {
    if let Some(path) = &args.manifest {
        if crate::config::is_stdin(path) && config.reads_stdin() {
            return Err(UserError::with_hint(
                "--from - and --manifest - both read standard input, which can be read once",
                "give one of them as a file",
            )
            .into());
        }
        let bytes = read_input_bytes(path, config.max_input_bytes, "--manifest")?;
        let origin = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|e| {
            UserError::new(format!(
                "{origin} is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        return Ok((text, origin));
    }
    let Some(chart) = &args.chart else {
        return Err(UserError::with_hint(
            "plan needs the candidate revision",
            "give --manifest FILE (helm template or helm upgrade --dry-run output), or a CHART to render with helm",
        )
        .into());
    };
    let helm = config.helm_bin.clone().unwrap_or_else(|| "helm".to_owned());
    let mut common: Vec<String> = Vec::new();
    if let SourceSpec::Cluster(spec) = &config.source {
        if let Some(ns) = &spec.namespace {
            common.extend(["--namespace".to_owned(), ns.clone()]);
        }
        if let Some(ctx) = &spec.context {
            common.extend(["--kube-context".to_owned(), ctx.clone()]);
        }
    } else if let Some(ns) = &config.namespace_filter {
        common.extend(["--namespace".to_owned(), ns.clone()]);
    }
    let run = |words: &[&str]| {
        Command::new(&helm)
            .args(words)
            .args(&common)
            .args(args.helm_flags())
            .output()
            .map_err(|e| {
                UserError::with_hint(
                    format!("cannot run {helm}: {e}"),
                    "set HELM_BIN to the helm binary, or give --manifest FILE",
                )
            })
    };
    if matches!(config.source, SourceSpec::Cluster(_)) {
        // Render as the upgrade will (`.Release.IsUpgrade`, lookups): a failure is Helm's
        // answer, never a reason to fall back to `helm template`, which renders an install.
        let out = run(&["upgrade", &args.release, chart, "--dry-run", "-o", "json"])?;
        if !out.status.success() || !out.stdout.trim_ascii_start().starts_with(b"{") {
            return Err(UserError::with_hint(
                format!(
                    "{helm} upgrade --dry-run failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
                "fix what Helm reports, or render the candidate yourself and give --manifest FILE",
            )
            .into());
        }
        return Ok((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            format!("{helm} upgrade --dry-run -o json"),
        ));
    }
    // Records from files: no cluster to dry-run against, so the chart is rendered alone.
    let out = run(&["template", &args.release, chart])?;
    if !out.status.success() {
        return Err(UserError::new(format!(
            "{helm} template failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .into());
    }
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        format!("{helm} template"),
    ))
}

/// Read what the cluster holds for every object the upgrade touches: the candidate's
/// objects and hooks, and the base's objects (get only).
async fn live_facts(
    cluster: &crate::source::cluster::Connection,
    history: &History,
    candidate: &Release,
    scopes: &ScopeResolver,
) -> Vec<(ResourceKey, LiveFact)> {
    use crate::source::cluster::Observation;
    let mut keys: Vec<ResourceKey> = Vec::new();
    let target = RevisionView::new(candidate, scopes);
    keys.extend(target.objects.iter().map(|o| (*o.key).clone()));
    keys.extend(target.hooks.iter().map(|h| (*h.object.key).clone()));
    if let Some(latest) = history.latest() {
        let base = RevisionView::new(&latest.release, scopes);
        keys.extend(base.objects.iter().map(|o| (*o.key).clone()));
    }
    keys.sort();
    keys.dedup_by(|a, b| a.same_object(b));
    let observations = cluster.observe(&keys).await;
    let release_ns = candidate.namespace.as_str();
    keys.into_iter()
        .zip(observations)
        .map(|(key, observation)| {
            let fact = match observation {
                Observation::Absent => LiveFact::Absent,
                Observation::Unknown(_) => LiveFact::Unknown,
                Observation::Present(o) => {
                    let labelled = o.managed_by.as_deref() == Some("Helm");
                    let named = (o.release_namespace.as_deref(), o.release_name.as_deref());
                    LiveFact::Present {
                        owned: labelled && named == (Some(release_ns), Some(&candidate.name)),
                        labelled,
                        keep: o.resource_policy.as_deref() == Some("keep"),
                        // Handed over: both annotations name another release.
                        owner: match named {
                            (Some(ns), Some(name))
                                if (ns, name) != (release_ns, candidate.name.as_str()) =>
                            {
                                Some(format!("{ns}/{name}"))
                            }
                            _ => None,
                        },
                    }
                }
            };
            (key, fact)
        })
        .collect()
}

/// The release Helm would write: release JSON as given, or the rendered documents with the
/// history's name, namespace and apply method (Helm 4 upgrades keep the last one's).
fn candidate_release(candidate: Candidate, history: &History) -> Release {
    let next = history.last_revision().unwrap_or(0).saturating_add(1);
    let latest = history.latest().map(|r| &r.release);
    match candidate.release {
        Some(mut r) => {
            if r.name.is_empty() {
                r.name = history.id.name.clone();
            }
            if r.namespace.is_empty() {
                r.namespace =
                    latest.map_or_else(|| history.id.namespace.clone(), |l| l.namespace.clone());
            }
            r.version = next;
            r
        }
        None => Release {
            name: history.id.name.clone(),
            namespace: latest.map_or_else(|| history.id.namespace.clone(), |l| l.namespace.clone()),
            version: next,
            info: Info {
                status: Status::PendingUpgrade,
                description: "Preparing upgrade".to_owned(),
                ..Info::default()
            },
            manifest: candidate.manifest,
            hooks: candidate.hooks,
            apply_method: latest.and_then(|l| l.apply_method.clone()),
            ..Release::default()
        },
    }
}

/// Unified diffs of the objects the plan patches (base document → candidate document).
fn diffs(history: &History, planned: &Plan, candidate: &Release, config: &Config) -> Vec<String> {
    let Some(base) = planned.base_revision.and_then(|b| history.revision(b)) else {
        return Vec::new();
    };
    let base = RevisionView::new(&base.release, &config.scopes);
    let target = RevisionView::new(candidate, &config.scopes);
    // Changed Secret values show as changed marks, not as two equal `<redacted>`.
    let redactor =
        Redactor::for_releases(history.revisions.iter().map(|r| &r.release)).marking_changes();
    let text = |t: &str| super::diff::document_text(&redactor, t, config.show_secrets);
    planned
        .changes
        .iter()
        .filter(|c| c.op == ChangeOp::Patch)
        .filter_map(|c| {
            let old = base.object(&c.object)?;
            let new = target.object(&c.object)?;
            let (a, b) = (text(old.text), text(new.text));
            let name = c.object.to_string();
            super::diff::object_diff(
                (&format!("{name} (revision {})", base.revision()), Some(&a)),
                (&format!("{name} (candidate)"), Some(&b)),
                3,
            )
        })
        .collect()
}
