//! Mermaid diagrams for `-o markdown` (GitHub and GitLab draw them): an object's life across
//! revisions, under the text.

use std::fmt::Write as _;

use helm_why_diff::{Action, Event};

use crate::report::explain::ExplainReport;
use crate::report::timeline::{Cell, ObjectTimeline, TimelineReport};

/// How many objects the `timeline` diagram draws; the rest are counted under it.
pub const MAX_DIAGRAM_OBJECTS: usize = 30;

/// Colours shared by both diagrams (Okabe–Ito, as the HTML page), and dark text on them.
const CLASSES: &str = concat!(
    "  classDef created fill:#c8ecdf,stroke:#009e73,color:#000\n",
    "  classDef patched fill:#cfe3f3,stroke:#0072b2,color:#000\n",
    "  classDef quiet fill:#f2f2f2,stroke:#999999,color:#000\n",
    "  classDef deleted fill:#f6cdb0,stroke:#d55e00,color:#000\n",
    "  classDef hook fill:#f3d7e7,stroke:#cc79a7,color:#000\n",
    "  classDef kept fill:#fbe3b0,stroke:#e69f00,color:#000\n",
    "  classDef failed fill:#f5b5bf,stroke:#b00020,color:#000\n",
    "  classDef unknown fill:#e6e6e6,stroke:#666666,color:#000,stroke-dasharray:4\n",
);

/// Text for a quoted Mermaid label: anything but letters, digits and plain punctuation
/// becomes an entity code (`#60;`), so a record cannot close the label, the diagram or the
/// Markdown fence, nor inject markup.
///
/// ```
/// assert_eq!(helm_why::render::mermaid::label(r#"a"<b>`"#), "a#34;#60;b#62;#96;");
/// ```
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " .,:/_-+=·→–()".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

fn action_class(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Patch | Action::Adopt => "patched",
        Action::Unchanged => "quiet",
        Action::Delete | Action::HookDelete => "deleted",
        Action::HookCreate => "hook",
        Action::Keep | Action::Orphan => "kept",
        Action::Fail => "failed",
        Action::Unknown => "unknown",
    }
}

fn cell_class(cell: Cell) -> &'static str {
    match cell {
        Cell::Created => "created",
        Cell::Patched | Cell::Adopted | Cell::Recreated => "patched",
        Cell::Unchanged | Cell::Present | Cell::Absent => "quiet",
        Cell::Deleted => "deleted",
        Cell::Hook | Cell::RecreatedByHook => "hook",
        Cell::Kept | Cell::Orphaned => "kept",
        Cell::Failed => "failed",
        Cell::Unknown => "unknown",
    }
}

/// The `explain` diagram: one node per revision that touched the object, then its state now.
pub fn explain(report: &ExplainReport) -> String {
    let mut groups: Vec<Vec<&Event>> = Vec::new();
    for e in &report.events {
        match groups.last_mut() {
            Some(g) if g[0].revision == e.revision && g[0].operation == e.operation => g.push(e),
            _ => groups.push(vec![e]),
        }
    }
    let mut out = String::from("```mermaid\nflowchart LR\n");
    let mut ids = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let mut text = label(&format!("revision {} · {}", g[0].revision, g[0].operation));
        for e in g {
            let cause = e
                .cause
                .map(|c| format!(" ({})", c.code()))
                .unwrap_or_default();
            let _ = write!(
                text,
                "<br/>{}",
                label(&format!("{}: {}{cause}", e.phase, e.action.as_str()))
            );
        }
        let last = g
            .iter()
            .rev()
            .find(|e| e.action != Action::Orphan)
            .unwrap_or(&g[0]);
        let _ = writeln!(out, "  e{i}[\"{text}\"]:::{}", action_class(last.action));
        ids.push(format!("e{i}"));
    }
    let (now, class) = match report.expected_present {
        Some(true) => ("now: expected present", "created"),
        Some(false) => ("now: expected absent", "deleted"),
        None => ("now: unknown", "unknown"),
    };
    let _ = writeln!(out, "  now([\"{}\"]):::{class}", label(now));
    ids.push("now".to_owned());
    let _ = writeln!(out, "  {}", ids.join(" --> "));
    out.push_str(CLASSES);
    out.push_str("```\n");
    out
}

/// The `timeline` diagram: one lane per object that changed after its creation (at most
/// [`MAX_DIAGRAM_OBJECTS`]), consecutive revisions in the same state merged.
pub fn timeline(report: &TimelineReport) -> String {
    let drawn: Vec<&ObjectTimeline> = report
        .objects
        .iter()
        .filter(|o| o.changed_after_creation())
        .collect();
    let mut out = String::from("```mermaid\nflowchart LR\n");
    for (i, o) in drawn.iter().take(MAX_DIAGRAM_OBJECTS).enumerate() {
        let name = format!("{}/{}", o.object.kind_with_group(), o.object.name);
        let _ = writeln!(
            out,
            "  subgraph o{i}[\"{}\"]\n    direction LR",
            label(&name)
        );
        let mut runs: Vec<(u64, u64, Cell)> = Vec::new();
        for s in &o.timeline {
            match runs.last_mut() {
                Some((_, last, cell)) if *cell == s.state && *last + 1 == s.revision => {
                    *last = s.revision;
                }
                _ => runs.push((s.revision, s.revision, s.state)),
            }
        }
        let mut ids = Vec::new();
        for (j, (first, last, cell)) in runs.iter().enumerate() {
            let revs = if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            };
            let state = match cell {
                Cell::Absent => "absent",
                Cell::Unknown => "unknown",
                other => other.as_str(),
            };
            let _ = writeln!(
                out,
                "    o{i}n{j}[\"{}\"]:::{}",
                label(&format!("{revs} · {state}")),
                cell_class(*cell)
            );
            ids.push(format!("o{i}n{j}"));
        }
        let _ = writeln!(out, "    {}\n  end", ids.join(" --> "));
    }
    out.push_str(CLASSES);
    out.push_str("```\n");
    let hidden = drawn.len().saturating_sub(MAX_DIAGRAM_OBJECTS);
    let quiet = report.objects.len() - drawn.len();
    let mut notes = Vec::new();
    if hidden > 0 {
        notes.push(format!(
            "{hidden} more object{} that changed not drawn",
            plural(hidden)
        ));
    }
    if quiet > 0 {
        notes.push(format!(
            "{quiet} object{} created and never changed since not drawn",
            plural(quiet)
        ));
    }
    if drawn.is_empty() {
        return if quiet > 0 {
            format!("No object changed after its creation ({quiet} objects).\n")
        } else {
            String::new()
        };
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n{}.", notes.join("; "));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
