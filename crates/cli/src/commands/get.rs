//! `helm-why get RELEASE WHAT`: the offline equivalent of `helm get`, secrets redacted.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use helm_why_release::{Record, Release};
use serde_json::{Value, json};

use super::Ui;
use crate::args::{GetArgs, GetWhat, OutputFormat};
use crate::config::Config;
use crate::error::{UserError, exit};
use crate::redact::{self, Redactor};
use crate::source::{Request, load, select_release};

/// Run `get`.
///
/// # Errors
/// Source errors, unknown release or revision.
pub async fn run(args: &GetArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release(&loaded, &args.release, config.namespace_filter.as_deref())?;
    let record: &Record = match args.revision {
        Some(rev) => history.revision(rev).ok_or_else(|| {
            let why = if history.missing.iter().any(|m| m.contains(rev)) {
                "its record is missing (pruned by --history-max or deleted)".to_owned()
            } else if history.undecodable.iter().any(|(r, _)| *r == Some(rev)) {
                "its record could not be decoded".to_owned()
            } else {
                "there is no such revision".to_owned()
            };
            UserError::with_hint(
                format!("release {:?} has no revision {rev}: {why}", args.release),
                "run `helm-why history` to see the revisions",
            )
        })?,
        None => history.latest().ok_or_else(|| {
            UserError::new(format!(
                "release {:?} has no decodable revision",
                args.release
            ))
        })?,
    };
    if args.all && args.what != GetWhat::Values {
        return Err(UserError::with_hint(
            "--all only applies to `get values`",
            "`get RELEASE all` prints every part, with the computed values",
        )
        .into());
    }
    let what = match args.what {
        GetWhat::Values if args.all => Part::ComputedValues,
        other => Part::Plain(other),
    };
    // Learned from every revision: a value that went into a Secret in one of them is still
    // secret in a revision that no longer renders that Secret.
    let releases = || history.revisions.iter().map(|r| &r.release);
    let redactor = Redactor::for_releases(releases()).quoting(releases());
    let text = render(
        &record.release,
        &redactor,
        what,
        config.show_secrets,
        ui.format,
    )?;
    ui.out.write_all(text.as_bytes())?;
    Ok(exit::OK)
}

/// What `get` prints: a part as named on the command line, or the computed values
/// (`values --all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `manifest`, `hooks`, `values`, `notes`, `release`, `all`.
    Plain(GetWhat),
    /// `values --all`.
    ComputedValues,
}

/// Values as `helm get values` prints them: YAML, `null` when empty.
fn values_yaml(values: &Value) -> Result<String> {
    Ok(
        if values.is_null() || values.as_object().is_some_and(|m| m.is_empty()) {
            "null\n".to_owned()
        } else {
            serde_saphyr::to_string(values).context("cannot print values as YAML")?
        },
    )
}

/// The text `get` prints, with what `redactor` knows is secret redacted (unless
/// `show_secrets`).
///
/// # Errors
/// YAML serialization of values.
pub fn render(
    r: &Release,
    redactor: &Redactor,
    what: Part,
    show_secrets: bool,
    format: OutputFormat,
) -> Result<String> {
    let manifest = |text: &str| redact::manifest(redactor, text, show_secrets);
    // Charts print values in their notes: a secret value is hidden there too.
    let notes = redact::text(redactor, &r.info.notes, show_secrets);
    let mut values = r.config.clone();
    redact::values(redactor, &mut values, show_secrets);
    let mut computed = helm_why_diff::values::effective_values(r);
    redact::values(redactor, &mut computed, show_secrets);
    let what = match what {
        Part::ComputedValues if format == OutputFormat::Json => {
            return Ok(serde_json::to_string_pretty(&computed)? + "\n");
        }
        Part::ComputedValues => {
            return Ok(format!("COMPUTED VALUES:\n{}", values_yaml(&computed)?));
        }
        Part::Plain(what) => what,
    };
    let hooks_text = || {
        let mut out = String::new();
        for hook in &r.hooks {
            let _ = write!(
                out,
                "---\n# Source: {}\n{}\n",
                hook.path,
                hook.manifest.trim_end()
            );
        }
        manifest(&out)
    };
    let json_out = |v: Value| -> Result<String> {
        if format == OutputFormat::Yaml {
            return serde_saphyr::to_string(&v).context("cannot print YAML");
        }
        Ok(serde_json::to_string_pretty(&v)? + "\n")
    };
    if format.is_data() {
        return match what {
            GetWhat::Manifest => json_out(json!({ "manifest": manifest(&r.manifest) })),
            GetWhat::Hooks => json_out(json!({ "hooks": hooks_text() })),
            GetWhat::Values => json_out(values),
            GetWhat::Notes => json_out(json!({ "notes": notes })),
            GetWhat::Release => json_out(release_view(r, values, &notes, &manifest, &|v| {
                redact::values(redactor, v, show_secrets)
            })),
            GetWhat::All => json_out(json!({
                "name": r.name,
                "namespace": r.namespace,
                "revision": r.version,
                "status": r.info.status.as_str(),
                "last_deployed": r.info.last_deployed.as_ref().map(|t| t.to_string()),
                "chart": r.chart.metadata.name,
                "version": r.chart.metadata.version,
                "app_version": r.chart.metadata.app_version,
                "values": values,
                "computed_values": computed,
                "hooks": hooks_text(),
                "manifest": manifest(&r.manifest),
                "notes": notes,
            })),
        };
    }
    Ok(match what {
        GetWhat::Manifest => manifest(&r.manifest),
        GetWhat::Hooks => hooks_text(),
        GetWhat::Values => format!("USER-SUPPLIED VALUES:\n{}", values_yaml(&values)?),
        GetWhat::All => {
            let mut out = String::new();
            let time = r
                .info
                .last_deployed
                .as_ref()
                .map_or("-".to_owned(), |t| t.to_string());
            for (key, value) in [
                ("NAME", r.name.as_str()),
                ("LAST DEPLOYED", time.as_str()),
                ("NAMESPACE", r.namespace.as_str()),
                ("STATUS", r.info.status.as_str()),
                ("REVISION", &r.version.to_string()),
                ("CHART", r.chart.metadata.name.as_str()),
                ("VERSION", r.chart.metadata.version.as_str()),
                ("APP_VERSION", r.chart.metadata.app_version.as_str()),
            ] {
                let _ = writeln!(out, "{}", format!("{key}: {value}").trim_end());
            }
            let _ = write!(out, "USER-SUPPLIED VALUES:\n{}\n", values_yaml(&values)?);
            let _ = write!(out, "COMPUTED VALUES:\n{}\n", values_yaml(&computed)?);
            let _ = write!(out, "HOOKS:\n{}", hooks_text());
            let _ = write!(out, "MANIFEST:\n{}", manifest(&r.manifest));
            if !out.ends_with('\n') {
                out.push('\n');
            }
            if !notes.trim().is_empty() {
                let _ = writeln!(out, "\nNOTES:\n{}", notes.trim_end());
            }
            out
        }
        GetWhat::Notes => format!("NOTES:\n{}\n", notes.trim_end()),
        GetWhat::Release => {
            serde_json::to_string_pretty(&release_view(r, values, &notes, &manifest, &|v| {
                redact::values(redactor, v, show_secrets)
            }))? + "\n"
        }
    })
}

/// The whole record as JSON, with the same redaction as the other views.
fn release_view(
    r: &Release,
    values: Value,
    notes: &str,
    manifest: &dyn Fn(&str) -> String,
    redact_values: &dyn Fn(&mut Value),
) -> Value {
    let time = |t: &Option<helm_why_release::Timestamp>| t.as_ref().map(|t| t.to_string());
    let mut chart_values = r.chart.values.clone();
    redact_values(&mut chart_values);
    json!({
        "name": r.name,
        "namespace": r.namespace,
        "version": r.version,
        "info": {
            "status": r.info.status.as_str(),
            "description": r.info.description,
            "first_deployed": time(&r.info.first_deployed),
            "last_deployed": time(&r.info.last_deployed),
            "deleted": time(&r.info.deleted),
            "notes": notes,
        },
        "chart": {
            "name": r.chart.metadata.name,
            "version": r.chart.metadata.version,
            "app_version": r.chart.metadata.app_version,
            "templates": r.chart.templates.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            "values": chart_values,
        },
        "config": values,
        "manifest": manifest(&r.manifest),
        "hooks": r.hooks.iter().map(|h| json!({
            "name": h.name,
            "kind": h.kind,
            "path": h.path,
            "events": h.events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "weight": h.weight,
            "delete_policies": h.delete_policies.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "last_run": {
                "started_at": time(&h.last_run.started_at),
                "completed_at": time(&h.last_run.completed_at),
                "phase": h.last_run.phase,
            },
            "manifest": manifest(&h.manifest),
        })).collect::<Vec<_>>(),
        "apply_method": r.apply_method.as_ref().map(|m| m.as_str()),
    })
}
