//! Rendering of `explain`: short sentences, grouped by revision.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_release::Timestamp;

use super::layout::wrap;
use super::write_data;
use crate::args::OutputFormat;
use crate::report::explain::ExplainReport;
use crate::report::live::{CheckCode, LiveCheck, LiveStatus, Observed};
use crate::ui::Ui;

/// Print the story in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &ExplainReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    // Markdown is reflowed by whatever shows it: only text is wrapped.
    let width = if md { None } else { ui.layout.wrap_width() };
    let mut out = String::new();
    if md {
        let _ = writeln!(
            out,
            "## `{}` in release `{}` (namespace `{}`)\n\nReplayed with Helm {} rules.\n",
            report.object, report.release, report.namespace, report.helm_version
        );
    } else {
        let heading = format!(
            "{} in release {} (namespace {}), replayed with Helm {} rules",
            report.object, report.release, report.namespace, report.helm_version
        );
        out.push_str(&wrap("", &heading, 2, width));
        out.push('\n');
    }
    let mut current: Option<(u64, &str)> = None;
    for e in &report.events {
        // A new heading for each revision, and for an uninstall done on the same record.
        if current != Some((e.revision, e.operation.as_str())) {
            current = Some((e.revision, e.operation.as_str()));
            let time = report
                .times
                .iter()
                .find(|(r, _)| *r == e.revision)
                .and_then(|(_, t)| t.as_deref())
                .map(|t| Timestamp::new(t).display_seconds())
                .unwrap_or_default();
            if md {
                let _ = writeln!(
                    out,
                    "\n### Revision {} · {} · {time}\n",
                    e.revision, e.operation
                );
            } else {
                let _ = writeln!(out, "revision {} · {} · {time}", e.revision, e.operation);
            }
        }
        let cause = e
            .cause
            .map(|c| format!(" ({})", c.code()))
            .unwrap_or_default();
        if md {
            let _ = writeln!(
                out,
                "- **{}**: {}{cause} — {}",
                e.phase,
                e.action.as_str(),
                e.message
            );
        } else {
            let head = format!("  {}: {}", e.phase, e.action.as_str());
            let line = format!("{}: {}{cause} — {}", e.phase, e.action.as_str(), e.message);
            let text = wrap("  ", &line, 4, width);
            // The action word in its colour; painted after wrapping (colour takes no room).
            let painted = format!("  {}: {}", e.phase, ui.paint.word(e.action.as_str()));
            match text.strip_prefix(&head) {
                Some(rest) => out.push_str(&format!("{painted}{rest}")),
                None => out.push_str(&text),
            }
        }
    }
    out.push('\n');
    out.push_str(&wrap("", &report.summary, 0, width));
    if !report.other_versions.is_empty() {
        let _ = writeln!(
            out,
            "\n{}Other Helm versions would have done otherwise:",
            if md { "### " } else { "" }
        );
        for d in &report.other_versions {
            let now = match d.expected_present {
                Some(true) => "expected present now",
                Some(false) => "expected absent now",
                None => "unknown now",
            };
            let mut what = d.differences.clone();
            what.push(now.to_owned());
            let line = format!("Helm {}: {}", d.versions, what.join("; "));
            out.push_str(&wrap(if md { "- " } else { "  " }, &line, 4, width));
        }
    }
    if !report.other_releases.is_empty() {
        let _ = writeln!(out, "\n{}Other releases:", if md { "### " } else { "" });
        for e in &report.other_releases {
            let line = helm_why_diff::describe_elsewhere(e);
            let first = if md { "- " } else { "  " };
            out.push_str(&super::layout::wrap(first, &line, 4, width));
        }
    }
    if let (Some(observed), Some(source)) = (&report.observed, &report.live_source) {
        live(&mut out, observed, source, &report.release, md, width);
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out);
        for n in &report.notes {
            out.push_str(&wrap(if md { "- note: " } else { "note: " }, n, 2, width));
        }
    }
    if md {
        let _ = write!(out, "\n### Diagram\n\n{}", super::mermaid::explain(report));
    }
    ui.out.write_all(out.as_bytes())?;
    ui.warnings(&report.warnings)
}

/// `exists · uid … · created … · no Helm ownership metadata`, or why it was not checked.
pub fn live_state(observed: &Observed, release: &str) -> String {
    match observed.status {
        LiveStatus::Absent => "missing".to_owned(),
        LiveStatus::Unknown => format!(
            "not checked — {}",
            observed.reason.as_deref().unwrap_or("unknown reason")
        ),
        LiveStatus::Present => {
            let mut parts = vec!["exists".to_owned()];
            if let Some(uid) = &observed.uid {
                parts.push(format!("uid {uid}"));
            }
            if let Some(created) = &observed.created {
                parts.push(format!(
                    "created {}",
                    Timestamp::new(created.as_str()).display_seconds()
                ));
            }
            let ownership = observed.ownership.as_ref();
            let named = ownership.and_then(|o| o.release_name.as_deref());
            parts.push(match (observed.owned_by_release, named) {
                (Some(true), _) => format!("owned by release {release}"),
                (_, Some(other)) if other != release => format!("owned by release {other}"),
                _ if ownership.is_some_and(|o| {
                    o.managed_by.is_none()
                        && o.release_name.is_none()
                        && o.release_namespace.is_none()
                }) =>
                {
                    "no Helm ownership metadata".to_owned()
                }
                _ => "incomplete Helm ownership metadata".to_owned(),
            });
            if let Some(policy) = &observed.resource_policy {
                parts.push(format!("helm.sh/resource-policy: {policy}"));
            }
            parts.join(" · ")
        }
    }
}

/// `agrees`, `differs` or `note`.
pub fn check_label(check: &LiveCheck) -> &'static str {
    match check.agrees {
        Some(true) => "agrees",
        Some(false) => "differs",
        None => "note",
    }
}

/// The live object and the comparisons, after the summary.
fn live(
    out: &mut String,
    observed: &Observed,
    source: &str,
    release: &str,
    md: bool,
    width: Option<usize>,
) {
    let state = live_state(observed, release);
    if md {
        let _ = writeln!(out, "\n### Live ({source})\n\n{state}\n");
    } else {
        out.push('\n');
        out.push_str(&wrap(&format!("Live ({source}): "), &state, 2, width));
    }
    for check in observed
        .checks
        .iter()
        .filter(|c| c.code != CheckCode::Unknown)
    {
        let label = check_label(check);
        if md {
            let _ = writeln!(out, "- **{label}**: {}", check.message);
        } else {
            out.push_str(&wrap(&format!("  {label}: "), &check.message, 4, width));
        }
    }
}
