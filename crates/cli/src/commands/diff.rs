//! `helm-why diff RELEASE [REV1] [REV2]`: manifests, hooks and values between two stored
//! revisions, object by object. [`object_diff`] is also what `plan --diff` prints.

use anyhow::Result;
use helm_why_diff::{RevisionView, kind_names};
use helm_why_release::{History, Record, ResourceKey};

use super::{Ui, source_warnings};
use crate::args::DiffArgs;
use crate::config::Config;
use crate::error::{UserError, exit};
use crate::redact::{self, Redactor};
use crate::report::diff::{DiffChange, DiffReport, ObjectDiff, ValuesDiff};
use crate::source::{Request, load, select_release};

/// A unified diff of one document, `None` when the texts are equal. `old`/`new` are
/// `(label, text)`; a missing side diffs against nothing (an added or removed object).
/// The texts must already be redacted.
pub fn object_diff(
    old: (&str, Option<&str>),
    new: (&str, Option<&str>),
    context: usize,
) -> Option<String> {
    let (a, b) = (old.1.unwrap_or(""), new.1.unwrap_or(""));
    if a == b && old.1.is_some() == new.1.is_some() {
        return None;
    }
    // Myers' diff is quadratic at worst: past the timeout similar returns a correct but
    // less minimal diff, so a huge, wholly rewritten document cannot stall the run.
    let text = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(1))
        .diff_lines(a, b)
        .unified_diff()
        .context_radius(context)
        .header(old.0, new.0)
        .to_string();
    (!text.is_empty()).then_some(text)
}

/// A document's text as printed: a final newline, Secret values masked unless shown.
pub fn document_text(redactor: &Redactor, text: &str, show_secrets: bool) -> String {
    redact::manifest(redactor, &format!("{}\n", text.trim_end()), show_secrets)
}

/// Whether `--suppress KIND` leaves out objects of `key`'s kind: any name kubectl accepts
/// for the kind, in any case.
fn suppressed(suppress: &[String], key: &ResourceKey) -> bool {
    let names = kind_names(&key.kind);
    suppress.iter().any(|s| {
        let s = s.to_ascii_lowercase();
        let (kind, group) = s
            .split_once('.')
            .map_or((s.as_str(), None), |(k, g)| (k, Some(g)));
        names.iter().any(|n| n == kind) && group.is_none_or(|g| g == key.group)
    })
}

/// The two revisions `diff` compares: both given; one (REV-1 and REV); none (the last two
/// stored).
///
/// # Errors
/// A revision without a decoded record, or fewer than two revisions.
pub fn pick(history: &History, rev1: Option<u64>, rev2: Option<u64>) -> Result<(&Record, &Record)> {
    let get = |rev: u64| {
        history.revision(rev).ok_or_else(|| {
            let why = if history.missing.iter().any(|m| m.contains(rev)) {
                "its record is missing (pruned by --history-max or deleted)"
            } else if history.undecodable.iter().any(|(r, _)| *r == Some(rev)) {
                "its record could not be decoded"
            } else {
                "there is no such revision"
            };
            UserError::with_hint(
                format!("release {} has no revision {rev}: {why}", history.id),
                "run `helm-why history` to see the revisions; `diff RELEASE REV1 REV2` picks any two",
            )
        })
    };
    match (rev1, rev2) {
        (Some(a), Some(b)) => Ok((get(a)?, get(b)?)),
        (Some(b), None) => {
            let before = b.checked_sub(1).filter(|a| *a > 0).ok_or_else(|| {
                UserError::with_hint(
                    format!(
                        "release {}: revision {b} is the first, nothing comes before it",
                        history.id
                    ),
                    "give two revisions: `diff RELEASE REV1 REV2`",
                )
            })?;
            Ok((get(before)?, get(b)?))
        }
        _ => match history.revisions.as_slice() {
            [.., a, b] => Ok((a, b)),
            _ => Err(UserError::with_hint(
                format!(
                    "release {} has one decodable revision: nothing to compare",
                    history.id
                ),
                "`helm-why get RELEASE all` prints it",
            )
            .into()),
        },
    }
}

/// What the comparison of `a` and `b` leaves out: revisions between them (or newer, when the
/// newest stored one is not `b`) whose records are missing or could not be decoded. A diff of
/// the last two decodable revisions is not "the last change" when a newer record is broken.
pub fn gaps(history: &History, a: u64, b: u64) -> Vec<String> {
    let (low, high) = (a.min(b), a.max(b));
    let mut out = Vec::new();
    let between = |r: u64| r > low && r < high;
    // The decode errors themselves are already warnings (the history's findings).
    for (rev, _) in &history.undecodable {
        match rev {
            Some(r) if between(*r) => out.push(format!(
                "revision {r}, between the two compared, could not be decoded: its changes are folded into this diff"
            )),
            Some(r) if *r > high => out.push(format!(
                "revision {r} is newer than both compared and could not be decoded: this is not the release's last change"
            )),
            _ => {}
        }
    }
    let missing: Vec<u64> = history
        .missing
        .iter()
        .flat_map(|m| m.first.max(low + 1)..=m.last.min(high.saturating_sub(1)))
        .take(1000)
        .collect();
    match missing.as_slice() {
        [] => {}
        [one] => out.push(format!(
            "revision {one}, between the two compared, is missing: its changes are folded into this diff"
        )),
        more => out.push(format!(
            "revisions {}, between the two compared, are missing: their changes are folded into this diff",
            helm_why_release::history::format_ranges(more)
        )),
    }
    out
}

/// Build the report of the differences between two records.
pub fn build(
    old: &Record,
    new: &Record,
    args: &DiffArgs,
    config: &Config,
    warnings: Vec<String>,
) -> Result<DiffReport> {
    let (o, n) = (&old.release, &new.release);
    let old_view = RevisionView::new(o, &config.scopes);
    let new_view = RevisionView::new(n, &config.scopes);
    let redactor = Redactor::for_releases([o, n]).marking_changes();
    let text = |t: &str| document_text(&redactor, t, config.show_secrets);
    let label = |key: &ResourceKey, rev: u64, present: bool| {
        format!(
            "{key} ({}revision {rev})",
            if present { "" } else { "not in " }
        )
    };
    let mut objects = Vec::new();
    let mut suppressed_count = 0;
    let mut push = |key: &ResourceKey, hook: bool, a: Option<&str>, b: Option<&str>| {
        let (a, b) = (a.map(text), b.map(text));
        let Some(diff) = object_diff(
            (&label(key, o.version, a.is_some()), a.as_deref()),
            (&label(key, n.version, b.is_some()), b.as_deref()),
            args.context_lines,
        ) else {
            return;
        };
        if suppressed(&args.suppress, key) {
            suppressed_count += 1;
            return;
        }
        let change = match (&a, &b) {
            (None, _) => DiffChange::Added,
            (_, None) => DiffChange::Removed,
            _ => DiffChange::Changed,
        };
        objects.push(ObjectDiff {
            object: key.clone(),
            hook,
            change,
            diff,
        });
    };
    for obj in &new_view.objects {
        push(
            &obj.key,
            false,
            old_view.object(&obj.key).map(|x| x.text),
            Some(obj.text),
        );
    }
    for obj in &old_view.objects {
        if new_view.object(&obj.key).is_none() {
            push(&obj.key, false, Some(obj.text), None);
        }
    }
    for h in &new_view.hooks {
        let key = &h.object.key;
        let before = old_view.hook(key).map(|x| x.object.text);
        push(key, true, before, Some(h.object.text));
    }
    for h in &old_view.hooks {
        if new_view.hook(&h.object.key).is_none() {
            push(&h.object.key, true, Some(h.object.text), None);
        }
    }
    let values_text = |r: &helm_why_release::Release| -> Result<String> {
        let mut v = r.config.clone();
        redact::values(&redactor, &mut v, config.show_secrets);
        Ok(
            if v.is_null() || v.as_object().is_some_and(|m| m.is_empty()) {
                String::new()
            } else {
                serde_saphyr::to_string(&v)?
            },
        )
    };
    let (va, vb) = (values_text(o)?, values_text(n)?);
    let values = object_diff(
        (&format!("values (revision {})", o.version), Some(&va)),
        (&format!("values (revision {})", n.version), Some(&vb)),
        args.context_lines,
    )
    .map(|diff| ValuesDiff { diff });
    let (ca, cb) = (o.chart_label(), n.chart_label());
    let differs = !objects.is_empty() || values.is_some() || ca != cb;
    let mut warnings = warnings;
    for (view, rev) in [(&old_view, o.version), (&new_view, n.version)] {
        for problem in &view.problems {
            warnings.push(format!(
                "revision {rev}: document {} ({}) could not be parsed and is not compared: {}",
                problem.index,
                problem.source.as_deref().unwrap_or("no source"),
                problem.detail
            ));
        }
    }
    Ok(DiffReport {
        release: n.name.clone(),
        namespace: n.namespace.clone(),
        from: o.version,
        to: n.version,
        chart: (ca != cb).then_some([ca, cb]),
        objects,
        values,
        suppressed: suppressed_count,
        differs,
        warnings,
    })
}

/// Run `diff`.
///
/// # Errors
/// Source errors, unknown release or revisions.
pub async fn run(args: &DiffArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release(&loaded, &args.release, config.namespace_filter.as_deref())?;
    let mut warnings = source_warnings(&loaded);
    warnings.extend(history.findings.iter().map(ToString::to_string));
    let (old, new) = pick(history, args.rev1, args.rev2)?;
    warnings.extend(gaps(history, old.release.version, new.release.version));
    let report = build(old, new, args, config, warnings)?;
    crate::render::diff::render(&report, ui)?;
    Ok(if args.exit_code && report.differs {
        exit::DIFFERENT
    } else {
        exit::OK
    })
}
