//! `-o html`: one self-contained page for postmortems — the verdict, the objects × revisions
//! grid, each object's story, each revision's record, the hazards.
//!
//! The page makes no request at all: CSS and JavaScript are inline and allowed by hash in a
//! Content-Security-Policy whose `default-src` is `'none'`, so even a record that slipped
//! markup past [`escape`] could neither run a script nor load anything. Every text that
//! comes from a record goes through [`escape`]. Without JavaScript the page is complete:
//! stories open through links (`:target`), unchanged objects through a checkbox; the script
//! only adds the filter box, several open stories and the message bar.
//!
//! A page holds one or more [`Section`]s, each one release; `timeline` writes one, a future
//! `scan` can write one per release with [`write_page`] (ids are prefixed per section).

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use base64::Engine as _;
use helm_why_diff::{Event, Severity};
use helm_why_release::Timestamp;
use helm_why_release::history::RevisionRange;

use crate::report::timeline::{Cell, ObjectTimeline, Postmortem, RevisionDetail, TimelineReport};

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/script.js");

/// Escape text for HTML content and for double- or single-quoted attribute values.
///
/// ```
/// assert_eq!(
///     helm_why::render::html::escape(r#""><img src=x onerror=alert(1)>&'"#),
///     "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;"
/// );
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a page; keep them visible.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c if crate::sanitize::reorders_text(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// One release on a page: its timeline and what the page adds to it.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    /// The timeline.
    pub report: &'a TimelineReport,
    /// Revisions' records and objects' stories.
    pub extra: &'a Postmortem,
}

/// Write the `timeline -o html` page of one release.
///
/// # Errors
/// Write errors.
pub fn write_timeline(
    out: &mut dyn Write,
    report: &TimelineReport,
    extra: &Postmortem,
) -> Result<()> {
    let title = format!(
        "helm-why timeline: release {} (namespace {})",
        report.release, report.namespace
    );
    write_page(out, &title, &[Section { report, extra }])
}

/// Write a whole page of one or more releases.
///
/// # Errors
/// Write errors.
pub fn write_page(out: &mut dyn Write, title: &str, sections: &[Section<'_>]) -> Result<()> {
    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\" class=\"nojs\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"color-scheme\" content=\"light dark\">\n\
<meta name=\"generator\" content=\"helm-why {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        csp(),
        env!("CARGO_PKG_VERSION"),
        escape(title)
    );
    let several = sections.len() > 1;
    for (i, section) in sections.iter().enumerate() {
        let prefix = if several {
            format!("x{i}-")
        } else {
            String::new()
        };
        release_section(&mut html, section, &prefix);
    }
    let _ = write!(
        html,
        "<footer>Made by helm-why {} from the release records Helm stores; it only reads them. \
What the records prove is said as fact; what only the cluster knows is marked unknown (?).</footer>\n\
<div id=\"tip\" role=\"status\" aria-live=\"polite\"></div>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out.write_all(html.as_bytes())?;
    Ok(())
}

/// Nothing may load or connect; only this page's own style and script may run.
fn csp() -> String {
    let hash = |text: &str| {
        let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    };
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src 'none'; \
connect-src 'none'; base-uri 'none'; form-action 'none'",
        hash(STYLE),
        hash(SCRIPT)
    )
}

/// How a cell looks: class, symbol, and the word the legend gives it.
fn look(cell: Cell) -> (&'static str, &'static str) {
    match cell {
        Cell::Created => ("cr", "+"),
        Cell::Recreated => ("rc", "↻"),
        Cell::Patched => ("pa", "~"),
        Cell::Unchanged => ("un", "="),
        Cell::Adopted => ("ad", "A"),
        Cell::Deleted => ("de", "✕"),
        Cell::RecreatedByHook => ("rh", "H!"),
        Cell::Hook => ("ho", "H"),
        Cell::Kept => ("ke", "K"),
        Cell::Orphaned => ("or", "O"),
        Cell::Failed => ("fa", "!"),
        Cell::Present => ("pr", "·"),
        Cell::Absent => ("ab", ""),
        Cell::Unknown => ("uk", "?"),
    }
}

const LEGEND: [(Cell, &str); 14] = [
    (Cell::Created, "created"),
    (Cell::Patched, "patched"),
    (Cell::Unchanged, "applied, unchanged"),
    (Cell::Present, "exists, not touched"),
    (Cell::Recreated, "deleted and recreated"),
    (Cell::Adopted, "adopted"),
    (Cell::Deleted, "deleted"),
    (Cell::Hook, "created by a hook"),
    (Cell::RecreatedByHook, "recreated by a hook (untracked now)"),
    (Cell::Kept, "kept (resource-policy)"),
    (Cell::Orphaned, "left untracked"),
    (Cell::Failed, "Helm failed on it"),
    (Cell::Unknown, "unknown"),
    (Cell::Absent, "does not exist"),
];

fn object_label(row: &ObjectTimeline) -> String {
    format!("{}/{}", row.object.kind_with_group(), row.object.name)
}

fn status_class(status: &str) -> &'static str {
    match status {
        "failed" => "failed",
        s if s.starts_with("pending") => "pending",
        _ => "",
    }
}

fn status_mark(status: &str) -> &'static str {
    match status_class(status) {
        "failed" => "✕ ",
        "pending" => "… ",
        _ if status == "deployed" => "✓ ",
        _ => "",
    }
}

/// Columns of the grid: a revision (index into the steps) or a gap of missing revisions.
enum Column<'a> {
    Revision(usize, &'a RevisionDetail),
    Gap(&'a RevisionRange),
}

fn columns<'a>(report: &TimelineReport, extra: &'a Postmortem) -> Vec<Column<'a>> {
    let mut out = Vec::new();
    let mut gaps = extra.missing.iter().peekable();
    for (i, heading) in report.revisions.iter().enumerate() {
        let rev = heading.revision;
        while let Some(gap) = gaps.next_if(|g| g.last < rev) {
            out.push(Column::Gap(gap));
        }
        if let Some(detail) = extra.revisions.iter().find(|d| d.revision == rev) {
            out.push(Column::Revision(i, detail));
        }
    }
    out.extend(gaps.map(Column::Gap));
    out
}

/// `3` or `3–5`.
fn range_numbers(gap: &RevisionRange) -> String {
    if gap.first == gap.last {
        gap.first.to_string()
    } else {
        format!("{}–{}", gap.first, gap.last)
    }
}

/// `revision 3` or `revisions 3–5`.
fn range_text(gap: &RevisionRange) -> String {
    let s = if gap.first == gap.last { "" } else { "s" };
    format!("revision{s} {}", range_numbers(gap))
}

fn release_section(html: &mut String, section: &Section<'_>, p: &str) {
    let report = section.report;
    let extra = section.extra;
    let _ = write!(
        html,
        "<section class=\"release\">\n<header>\n<h1>Release <code>{}</code> in namespace <code>{}</code></h1>\n\
<p class=\"meta\">Replayed with Helm {} rules · {} revisions · {} objects{}</p>\n",
        escape(&report.release),
        escape(&report.namespace),
        escape(&report.helm_version),
        report.revisions.len(),
        report.objects.len(),
        report
            .live_source
            .as_deref()
            .map(|s| format!(" · live objects from {}", escape(s)))
            .unwrap_or_default()
    );
    verdict(html, report, p);
    html.push_str("</header>\n");
    let row_of =
        |key: &helm_why_release::ResourceKey| report.objects.iter().position(|o| &o.object == key);
    grid(html, section, p);
    if !report.hazards.is_empty() {
        let _ = writeln!(
            html,
            "<h2 id=\"{p}hazards\">Hazards</h2>\n<ol class=\"hazards\">"
        );
        let mut hazards: Vec<&helm_why_diff::Hazard> = report.hazards.iter().collect();
        hazards.sort_by_key(|h| std::cmp::Reverse(h.severity));
        for h in hazards {
            let sev = h.severity.as_str();
            let _ = write!(
                html,
                "<li class=\"{sev}\"><span class=\"sev\">{sev}</span><code>{}</code>",
                escape(&h.code)
            );
            if let Some(r) = h.revision {
                let _ = write!(html, " · <a href=\"#{p}r-{r}\">revision {r}</a>");
            }
            if let Some(key) = &h.object {
                match row_of(key) {
                    Some(i) => {
                        let _ = write!(
                            html,
                            " · <a href=\"#{p}o-{i}\">{}</a>",
                            escape(&object_label(&report.objects[i]))
                        );
                    }
                    None => {
                        let _ = write!(html, " · {}", escape(&key.to_string()));
                    }
                }
            }
            let _ = writeln!(html, ": {}</li>", escape(&h.message));
        }
        html.push_str("</ol>\n");
    }
    revisions(html, extra, p);
    if !report.warnings.is_empty() {
        html.push_str("<h2>Warnings about the records</h2>\n<ul class=\"warnings\">\n");
        for w in &report.warnings {
            let _ = writeln!(html, "<li>{}</li>", escape(w));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</section>\n");
}

/// Hazards by severity, worst first; or that none were found.
fn verdict(html: &mut String, report: &TimelineReport, p: &str) {
    html.push_str("<p class=\"verdict\">");
    if report.hazards.is_empty() {
        html.push_str("<span class=\"badge none\">✓ No hazards found</span>");
    }
    for sev in [Severity::High, Severity::Medium, Severity::Low] {
        let n = report.hazards.iter().filter(|h| h.severity == sev).count();
        if n > 0 {
            let _ = write!(
                html,
                "<a class=\"badge {0}\" href=\"#{p}hazards\">{n} {0} hazard{1}</a>",
                sev.as_str(),
                if n == 1 { "" } else { "s" }
            );
        }
    }
    html.push_str("</p>\n");
}

fn grid(html: &mut String, section: &Section<'_>, p: &str) {
    let report = section.report;
    let extra = section.extra;
    let cols = columns(report, extra);
    let hazardous: Vec<bool> = report
        .objects
        .iter()
        .map(|o| {
            report
                .hazards
                .iter()
                .any(|h| h.object.as_ref() == Some(&o.object))
        })
        .collect();
    let (loud, quiet): (Vec<usize>, Vec<usize>) = (0..report.objects.len())
        .partition(|&i| hazardous[i] || report.objects[i].changed_after_creation());
    html.push_str("<h2>What happened to each object</h2>\n<ul class=\"legend\">\n");
    for (cell, name) in LEGEND {
        let (class, symbol) = look(cell);
        let _ = writeln!(
            html,
            "<li data-state=\"{class}\" data-name=\"{name}\"><span class=\"cellkey {class}\">{}</span>{name}</li>",
            if symbol.is_empty() { "&nbsp;" } else { symbol }
        );
    }
    html.push_str("</ul>\n<div class=\"controls\">\n");
    let _ = writeln!(
        html,
        "<input type=\"search\" class=\"filter needs-js\" data-table=\"{p}grid\" placeholder=\"Filter objects by kind or name\" aria-label=\"Filter objects\">"
    );
    html.push_str("</div>\n");
    if !quiet.is_empty() {
        let _ = writeln!(
            html,
            "<input type=\"checkbox\" class=\"show-quiet\" id=\"{p}show-quiet\"> <label for=\"{p}show-quiet\">Show the {} object{} created and never changed since</label>",
            quiet.len(),
            if quiet.len() == 1 { "" } else { "s" }
        );
    }
    let _ = write!(
        html,
        "<div class=\"scroll\">\n<table class=\"grid\" id=\"{p}grid\">\n<thead><tr><th class=\"obj\" scope=\"col\">Object <span class=\"ns\">({} with changes)</span></th>",
        loud.len()
    );
    for col in &cols {
        match col {
            Column::Revision(_, d) => {
                let _ = write!(
                    html,
                    "<th class=\"rev {}\" scope=\"col\" data-rev=\"{}\" title=\"{}\"><a href=\"#{p}r-{1}\">{1}</a><span class=\"op\">{}</span><span class=\"st\">{}{}</span></th>",
                    status_class(&d.status),
                    d.revision,
                    escape(&format!(
                        "revision {} · {} · {} · {}",
                        d.revision, d.operation, d.status, d.description
                    )),
                    escape(&d.operation),
                    status_mark(&d.status),
                    escape(&d.status)
                );
            }
            Column::Gap(g) => {
                let _ = write!(
                    html,
                    "<th class=\"gap\" scope=\"col\" data-rev=\"{}\" title=\"{}: no record (pruned or deleted)\"><a href=\"#{p}r-{}\">?</a><span class=\"op\">pruned</span></th>",
                    range_numbers(g),
                    range_text(g),
                    g.first
                );
            }
        }
    }
    html.push_str("<th class=\"fill\"></th></tr></thead>\n<tbody>\n");
    for &i in &loud {
        row(html, section, &cols, i, hazardous[i], p);
    }
    html.push_str("</tbody>\n");
    if !quiet.is_empty() {
        let _ = writeln!(
            html,
            "<tbody class=\"quiet\" data-toggle=\"{p}show-quiet\">"
        );
        for &i in &quiet {
            row(html, section, &cols, i, hazardous[i], p);
        }
        html.push_str("</tbody>\n");
    }
    html.push_str("</table>\n</div>\n");
}

fn row(
    html: &mut String,
    section: &Section<'_>,
    cols: &[Column<'_>],
    i: usize,
    hazard: bool,
    p: &str,
) {
    let o = &section.report.objects[i];
    let label = object_label(o);
    let ns = o.object.namespace.as_deref().unwrap_or("");
    let _ = write!(
        html,
        "<tr class=\"row{}\" id=\"{p}o-{i}\" data-name=\"{}\"><th class=\"obj\" scope=\"row\"><a class=\"toggle\" href=\"#{p}s-{i}\" aria-controls=\"{p}s-{i}\" aria-expanded=\"false\">{}</a>",
        if hazard { " hazard" } else { "" },
        escape(&format!("{label} {ns}").to_lowercase()),
        escape(&label)
    );
    if !ns.is_empty() && ns != section.report.namespace {
        let _ = write!(html, "<span class=\"ns\">{}</span>", escape(ns));
    }
    html.push_str("</th>");
    // Quiet cells (unchanged, exists, absent) in a row merge into one spanning cell: most
    // of a long history is quiet, and one cell per run keeps big pages small.
    let mut run: Option<(Cell, u64, u64, usize)> = None;
    let flush = |html: &mut String, run: &mut Option<(Cell, u64, u64, usize)>| {
        if let Some((state, first, last, n)) = run.take() {
            let (class, symbol) = look(state);
            if n == 1 {
                let _ = write!(html, "<td class=\"{class}\">{symbol}</td>");
            } else {
                let _ = write!(
                    html,
                    "<td class=\"{class}\" colspan=\"{n}\" title=\"revisions {first}–{last}\">{symbol}</td>"
                );
            }
        }
    };
    for col in cols {
        match col {
            Column::Gap(_) => {
                flush(html, &mut run);
                html.push_str("<td class=\"gap\">?</td>");
            }
            Column::Revision(step, d) => {
                let state = o.timeline.get(*step).map_or(Cell::Unknown, |s| s.state);
                let (class, symbol) = look(state);
                let events: Vec<&Event> = o
                    .events
                    .iter()
                    .filter(|e| e.revision == d.revision)
                    .collect();
                if matches!(state, Cell::Unchanged | Cell::Present | Cell::Absent) {
                    match &mut run {
                        Some((s, _, last, n)) if *s == state => {
                            *last = d.revision;
                            *n += 1;
                        }
                        _ => {
                            flush(html, &mut run);
                            run = Some((state, d.revision, d.revision, 1));
                        }
                    }
                    continue;
                }
                flush(html, &mut run);
                if events.is_empty() {
                    let _ = write!(html, "<td class=\"{class}\">{symbol}</td>");
                } else {
                    // What Helm did, one line per event; the column says which revision and
                    // the row which object (the script puts all three in the message bar).
                    let title: Vec<String> = events
                        .iter()
                        .map(|e| {
                            let cause = e
                                .cause
                                .map(|c| format!(" ({})", c.code()))
                                .unwrap_or_default();
                            format!("{}: {}{cause} — {}", e.phase, e.action.as_str(), e.message)
                        })
                        .collect();
                    let _ = write!(
                        html,
                        "<td class=\"{class}\" tabindex=\"0\" title=\"{}\">{symbol}</td>",
                        escape(&title.join("\n"))
                    );
                }
            }
        }
    }
    flush(html, &mut run);
    html.push_str("</tr>\n");
    story(html, section, cols.len() + 2, i, p);
}

/// The object's `explain` story, in a row of its own that opens from the object's name.
fn story(html: &mut String, section: &Section<'_>, span: usize, i: usize, p: &str) {
    let o = &section.report.objects[i];
    let _ = write!(
        html,
        "<tr class=\"story\" id=\"{p}s-{i}\"><td colspan=\"{span}\"><div class=\"storybox\"><h3>{}</h3>",
        escape(&o.object.to_string())
    );
    // Revisions in a row that did the same thing are told once ("Revisions 2–40"), so a
    // long quiet history stays a few lines.
    let mut groups: Vec<(u64, u64, &[Event])> = Vec::new();
    let mut start = 0;
    while start < o.events.len() {
        let first = &o.events[start];
        let len = o.events[start..]
            .iter()
            .take_while(|e| e.revision == first.revision && e.operation == first.operation)
            .count();
        let group = &o.events[start..start + len];
        let same = |a: &[Event], b: &[Event]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| {
                    x.operation == y.operation
                        && x.phase == y.phase
                        && x.action == y.action
                        && x.cause == y.cause
                        && x.message == y.message
                })
        };
        match groups.last_mut() {
            Some((_, last, events)) if same(events, group) => *last = first.revision,
            _ => groups.push((first.revision, first.revision, group)),
        }
        start += len;
    }
    for (first, last, events) in groups {
        let revisions = if first == last {
            format!("<a href=\"#{p}r-{first}\">Revision {first}</a>")
        } else {
            format!(
                "<a href=\"#{p}r-{first}\">Revisions {first}</a>–<a href=\"#{p}r-{last}\">{last}</a>"
            )
        };
        let _ = write!(
            html,
            "<div>{revisions} · {}</div><ol>",
            escape(&events[0].operation)
        );
        for e in events {
            let cause = e
                .cause
                .map(|c| format!(" ({})", c.code()))
                .unwrap_or_default();
            let _ = write!(
                html,
                "<li><b>{}</b>: {}{} — {}</li>",
                escape(e.phase.as_str()),
                e.action.as_str(),
                escape(&cause),
                escape(&e.message)
            );
        }
        html.push_str("</ol>");
    }
    if let Some(story) = section.extra.stories.get(i) {
        let _ = write!(html, "<p class=\"summary\">{}</p>", escape(&story.summary));
    }
    html.push_str("</div></td></tr>\n");
}

fn revisions(html: &mut String, extra: &Postmortem, p: &str) {
    html.push_str("<h2>Revisions</h2>\n<div class=\"revisions\">\n");
    let mut gaps = extra.missing.iter().peekable();
    let gap = |html: &mut String, g: &RevisionRange| {
        let _ = writeln!(
            html,
            "<section class=\"revision gap\" id=\"{p}r-{}\"><h3>{}: no record</h3><p>Pruned (<code>--history-max</code>) or deleted: nothing is known about what Helm did then.</p></section>",
            g.first,
            range_text(g)
        );
    };
    for d in &extra.revisions {
        while let Some(g) = gaps.next_if(|g| g.last < d.revision) {
            gap(html, g);
        }
        let _ = write!(
            html,
            "<section class=\"revision {}\" id=\"{p}r-{}\"><h3>Revision {1} · {} · {}{}</h3><dl>",
            status_class(&d.status),
            d.revision,
            escape(&d.operation),
            status_mark(&d.status),
            escape(&d.status)
        );
        let started = d
            .started
            .as_deref()
            .map(|t| Timestamp::new(t).display_seconds())
            .unwrap_or_else(|| "unknown".to_owned());
        for (name, value) in [
            ("Chart", d.chart.as_str()),
            ("App version", d.app_version.as_str()),
            ("Started", started.as_str()),
            ("Description", d.description.as_str()),
        ] {
            let _ = write!(html, "<dt>{name}</dt><dd>{}</dd>", escape(value));
        }
        html.push_str("</dl>");
        for n in &d.notes {
            let _ = write!(html, "<p class=\"note\">note: {}</p>", escape(n));
        }
        match d.compared_with {
            None => html.push_str("<p class=\"meta\">First revision on record.</p>"),
            Some(prev) if d.values_changed.is_empty() => {
                let _ = write!(
                    html,
                    "<p class=\"meta\">Values unchanged since revision {prev}.</p>"
                );
            }
            Some(prev) => {
                let _ = write!(
                    html,
                    "<p class=\"meta\">Values changed since revision {prev} (chart defaults merged with the user's; secret-looking ones redacted unless <code>--show-secrets</code>):</p><table class=\"values\">"
                );
                for c in &d.values_changed {
                    let _ = write!(
                        html,
                        "<tr><td><code>{}</code></td><td class=\"before\">{}</td><td>→</td><td class=\"after\">{}</td></tr>",
                        escape(&c.path),
                        escape(c.before.as_deref().unwrap_or("unset")),
                        escape(c.after.as_deref().unwrap_or("unset"))
                    );
                }
                html.push_str("</table>");
                if d.values_omitted > 0 {
                    let _ = write!(
                        html,
                        "<p class=\"meta\">…and {} more (see <code>helm-why get RELEASE values --revision {}</code>).</p>",
                        d.values_omitted, d.revision
                    );
                }
            }
        }
        html.push_str("</section>\n");
    }
    for g in gaps {
        gap(html, g);
    }
    html.push_str("</div>\n");
}
