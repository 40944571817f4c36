//! Rendering of `images`: one table per revision, the findings, then the live pods.

use std::fmt::Write as _;

use anyhow::Result;
use helm_why_diff::images::{ImageFinding, ImageRow, LiveImageGroup, RevisionImages};
use helm_why_release::images::{ContainerList, short_digest};

use super::{Grid, write_data};
use crate::args::OutputFormat;
use crate::report::images::{ImagesReport, LiveReport};
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
    render_findings(&mut out, &report.findings, md);
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
    ]);
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
            format!(
                "{} ({})",
                spec.pull_policy,
                spec.pull_policy_rule.describe()
            ),
            row.rollout.label().to_owned(),
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

fn render_findings(out: &mut String, findings: &[ImageFinding], md: bool) {
    if findings.is_empty() {
        let _ = writeln!(out, "No findings.");
        return;
    }
    if md {
        let _ = writeln!(out, "### Findings\n");
    } else {
        let _ = writeln!(out, "Findings:");
    }
    for f in findings {
        let when = match (f.revision, f.last_revision) {
            (Some(first), Some(last)) if last > first => format!("revisions {first}–{last}"),
            (Some(first), _) => format!("revision {first}"),
            (None, _) => "live".to_owned(),
        };
        if md {
            let _ = writeln!(
                out,
                "- **{}** `{}` {when}: {}",
                f.severity.as_str(),
                f.code,
                f.message
            );
        } else {
            let _ = writeln!(
                out,
                "  {} [{}] {when}: {}",
                f.severity.as_str(),
                f.code,
                f.message
            );
        }
    }
}
