//! Rendering of `images`: one table per revision, the findings, then the live pods.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_diff::images::{ImageFinding, ImageRow, LiveImageGroup, RevisionImages};
use helm_why_release::images::{ContainerList, short_digest};

use super::color::Paint;
use super::layout::{cut_list, wrap};
use super::{Grid, write_data};
use crate::args::OutputFormat;
use crate::report::images::{FindingPlace, ImagesReport, LiveReport};
use crate::ui::Ui;

/// Print the report in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &ImagesReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let md = ui.format == OutputFormat::Markdown;
    let text = render_text(report, md, ui);
    ui.out.write_all(text.as_bytes())?;
    ui.warnings(&report.warnings)
}

/// The table (or Markdown) text.
pub fn render_text(report: &ImagesReport, md: bool, ui: &Ui<'_>) -> String {
    let mut out = String::new();
    if md {
        let _ = writeln!(
            out,
            "## Images of release `{}` in namespace `{}`\n",
            report.release, report.namespace
        );
    }
    for (i, revision) in report.revisions.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let heading = revision_heading(revision, md);
        if md {
            let _ = writeln!(out, "### {heading}\n");
        } else {
            let _ = writeln!(out, "{heading}");
        }
        if revision.rows.is_empty() {
            let _ = writeln!(out, "{}no workloads", if md { "" } else { "  " });
            continue;
        }
        let grid = revision_grid(&revision.rows);
        out.push_str(&if md {
            grid.to_markdown()
        } else {
            grid.render(&ui.layout, &ui.paint)
        });
    }
    if let Some(live) = &report.live {
        out.push('\n');
        render_live(&mut out, live, md, ui);
    }
    out.push('\n');
    render_findings(&mut out, report, md, ui);
    out
}

fn revision_heading(revision: &RevisionImages, md: bool) -> String {
    let word = if md { "Revision" } else { "REVISION" };
    let mut heading = format!("{word} {}", revision.revision);
    if !revision.chart.is_empty() {
        let _ = write!(heading, " · chart {}", revision.chart);
    }
    if !revision.app_version.is_empty() {
        let _ = write!(heading, " · app {}", revision.app_version);
    }
    if let Some(base) = revision.compared_with
        && base + 1 != revision.revision
    {
        let _ = write!(heading, " · compared with revision {base}");
    }
    if !revision.applied {
        heading.push_str(" · failed before applying its manifest");
    }
    heading
}

fn workload_cell(row: &ImageRow) -> String {
    let hook = if row.hook { " (hook)" } else { "" };
    format!("{}/{}{hook}", row.workload.kind, row.workload.name)
}

fn container_cell(list: ContainerList, name: &str) -> String {
    match list {
        ContainerList::Container => name.to_owned(),
        ContainerList::Init => format!("{name} (init)"),
        ContainerList::Ephemeral => format!("{name} (ephemeral)"),
    }
}

fn revision_grid(rows: &[ImageRow]) -> Grid {
    let mut grid = Grid::new(&[
        "WORKLOAD",
        "CONTAINER",
        "IMAGE",
        "TAG CLASS",
        "PULL POLICY",
        "ROLLOUT?",
        "POLICY FROM",
    ]);
    // On a narrow terminal, where the pull policy comes from goes first, then the policy and
    // the tag class (the findings below name both).
    grid.optional = vec![6, 4, 3];
    for row in rows {
        let spec = &row.spec;
        let tag_class = match (spec.tag_class.label(), &spec.reference) {
            ("latest", Some(r)) if r.tag.is_none() => "no tag (latest)".to_owned(),
            (label, _) => label.to_owned(),
        };
        grid.row(vec![
            workload_cell(row),
            container_cell(spec.list, &spec.container),
            spec.image.clone(),
            tag_class,
            spec.pull_policy.to_string(),
            row.rollout.label().to_owned(),
            spec.pull_policy_rule.describe().to_owned(),
        ]);
    }
    grid
}

fn render_live(out: &mut String, live: &LiveReport, md: bool, ui: &Ui<'_>) {
    let heading = format!(
        "{} in namespace {}: {} listed, {} of this release's workloads",
        if md { "Live pods" } else { "LIVE PODS" },
        live.namespace,
        live.pods_listed,
        live.pods_matched
    );
    if md {
        let _ = writeln!(out, "### {heading}\n");
    } else {
        let _ = writeln!(out, "{heading}");
    }
    if live.groups.is_empty() {
        let _ = writeln!(
            out,
            "{}no pod runs a workload of this release",
            if md { "" } else { "  " }
        );
        return;
    }
    let mut grid = Grid::new(&[
        "WORKLOAD",
        "CONTAINER",
        "IMAGE",
        "VERDICT",
        "IMAGE ID",
        "NODES",
        "PODS",
    ]);
    for group in &live.groups {
        for (i, line) in live_lines(group).into_iter().enumerate() {
            let first = |text: String| if i == 0 { text } else { String::new() };
            let mut cells = vec![
                first(format!("{}/{}", group.workload.kind, group.workload.name)),
                first(container_cell(group.list, &group.container)),
                first(group.image.clone()),
                first(group.verdict.as_str().to_owned()),
            ];
            cells.extend(line);
            grid.row(cells);
        }
    }
    out.push_str(&if md {
        grid.to_markdown()
    } else {
        grid.render(&ui.layout, &ui.paint)
    });
}

/// One line per digest, ambiguous replica and replica without image ID: IMAGE ID, NODES, PODS.
fn live_lines(group: &LiveImageGroup) -> Vec<[String; 3]> {
    let mut lines: Vec<[String; 3]> = group
        .digests
        .iter()
        .map(|d| {
            [
                short_digest(&d.digest),
                d.nodes.join(", "),
                d.pods.join(", "),
            ]
        })
        .collect();
    lines.extend(group.ambiguous.iter().map(|a| {
        [
            format!("ambiguous: {}", ambiguous_id(&a.image_id)),
            a.node.clone().unwrap_or_default(),
            a.pod.clone(),
        ]
    }));
    if !group.without_image_id.is_empty() {
        lines.push([
            "none yet".to_owned(),
            String::new(),
            group.without_image_id.join(", "),
        ]);
    }
    if lines.is_empty() {
        lines.push(Default::default());
    }
    lines
}

/// `other.io/app@sha256:0123456789ab`: the repository and a short digest.
fn ambiguous_id(image_id: &str) -> String {
    let without_scheme = image_id.split_once("://").map_or(image_id, |(_, r)| r);
    match without_scheme.rsplit_once('@') {
        Some((name, digest)) => format!("{name}@{}", short_digest(digest)),
        None => short_digest(without_scheme),
    }
}

fn render_findings(out: &mut String, report: &ImagesReport, md: bool, ui: &Ui<'_>) {
    let findings = &report.findings;
    if findings.is_empty() {
        let _ = writeln!(out, "No findings.");
        return;
    }
    let groups = &report.finding_groups;
    let by_severity = super::severity_counts(groups.iter().map(|g| g.severity));
    let summary = format!(
        "{} {}, {} {}: {}",
        groups.len(),
        plural(groups.len(), "cause", "causes"),
        findings.len(),
        plural(findings.len(), "finding", "findings"),
        by_severity.join(", ")
    );
    if md {
        let _ = writeln!(out, "### Findings\n\n{summary}\n");
    } else {
        let _ = writeln!(out, "Findings: {summary}");
    }
    let paint = if md { &Paint::off() } else { &ui.paint };
    let width = ui.layout.wrap_width();
    // -o wide: every finding on its own line, as JSON lists them, most severe first.
    if ui.layout.wide {
        let mut sorted: Vec<&ImageFinding> = findings.iter().collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in sorted {
            let line = format!(
                "{} [{}] {}: {}",
                f.severity.as_str(),
                f.code,
                when(f),
                f.message
            );
            out.push_str(&paint.leading_severity(&wrap("  ", &line, 4, width), f.severity));
        }
        return;
    }
    for g in groups {
        let Some(first) = g.findings.first().and_then(|&i| findings.get(i)) else {
            continue;
        };
        if g.findings.len() == 1 {
            if md {
                let _ = writeln!(
                    out,
                    "- **{}** `{}` {}: {}",
                    g.severity.as_str(),
                    g.code,
                    when(first),
                    first.message
                );
            } else {
                let line = format!(
                    "{} [{}] {}: {}",
                    g.severity.as_str(),
                    g.code,
                    when(first),
                    first.message
                );
                out.push_str(&paint.leading_severity(&wrap("  ", &line, 4, width), g.severity));
            }
            continue;
        }
        let span = match (g.revision, g.last_revision) {
            (Some(a), Some(b)) if b > a => format!(", revisions {a}–{b}"),
            (Some(a), _) => format!(", revision {a}"),
            (None, _) => ", live".to_owned(),
        };
        let head = format!(
            "{} times in {} {}{span}",
            g.findings.len(),
            g.places.len(),
            plural(g.places.len(), "container", "containers")
        );
        let places: Vec<String> = g.places.iter().map(place_label).collect();
        let places = cut_list(&places, MAX_PLACES);
        let example = format!("for example, {}: {}", when(first), first.message);
        if md {
            let _ = writeln!(
                out,
                "- **{}** `{}` `{}`: {head}: {places}\n  - {example}",
                g.severity.as_str(),
                g.code,
                g.image
            );
        } else {
            let line = format!("{} [{}] {}: {head}", g.severity.as_str(), g.code, g.image);
            out.push_str(&paint.leading_severity(&wrap("  ", &line, 4, width), g.severity));
            out.push_str(&wrap("    ", &places, 4, width));
            out.push_str(&wrap("    ", &example, 6, width));
        }
    }
}

/// How many places a grouped finding names before "and N more".
const MAX_PLACES: usize = 5;

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `revisions 1–3`, `revision 2` or `live`.
fn when(f: &ImageFinding) -> String {
    match (f.revision, f.last_revision) {
        (Some(first), Some(last)) if last > first => format!("revisions {first}–{last}"),
        (Some(first), _) => format!("revision {first}"),
        (None, _) => "live".to_owned(),
    }
}

/// `Deployment/web app (2–10)`.
fn place_label(place: &FindingPlace) -> String {
    let runs: Vec<String> = place
        .revisions
        .iter()
        .map(|[a, b]| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    let runs = if runs.is_empty() {
        String::new()
    } else {
        format!(" ({})", runs.join(", "))
    };
    format!(
        "{}/{} {}{runs}",
        place.workload.kind, place.workload.name, place.container
    )
}
