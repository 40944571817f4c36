//! Records from files, directories (recursively) and standard input.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use helm_why_release::Layer;
use helm_why_release::history::group;
use helm_why_release::input::{IgnoredObject, InputOutcome, read_input};

use super::{Loaded, Request};
use crate::config::Config;
use crate::error::UserError;

/// Read every input, then keep what `request` asks for.
///
/// # Errors
/// A path that cannot be read.
pub fn load(paths: &[PathBuf], config: &Config, request: Request<'_>) -> Result<Loaded> {
    let mut outcome = InputOutcome::default();
    let mut files = 0usize;
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            outcome.extend(read_input(&bytes, "-", &config.limits));
            files += 1;
            continue;
        }
        let walked = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
        for file in expand(path)? {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut one = read_input(&bytes, &file.display().to_string(), &config.limits);
            if walked {
                skip_unparsable(&mut one);
            }
            outcome.extend(one);
            files += 1;
        }
    }
    let mut histories = group(outcome.records, outcome.errors);
    if let Some(ns) = &config.namespace_filter {
        histories.releases.retain(|h| &h.id.namespace == ns);
    }
    if let Request::Release(name) = request {
        histories.releases.retain(|h| h.id.name == name);
    }
    let origin = match (files, &config.namespace_filter) {
        (1, None) => "1 file".to_owned(),
        (n, None) => format!("{n} files"),
        (1, Some(ns)) => format!("namespace {ns:?} of 1 file"),
        (n, Some(ns)) => format!("namespace {ns:?} of {n} files"),
    };
    Ok(Loaded {
        histories,
        ignored: outcome.ignored,
        origin,
        cluster: None,
    })
}

/// Inside a directory, a `.yaml` that is not YAML at all (a chart template, say) is not a
/// broken record: it is counted among the ignored objects instead of reported as an error.
fn skip_unparsable(outcome: &mut InputOutcome) {
    let (whole_file, rest): (Vec<_>, Vec<_>) = outcome.errors.drain(..).partition(|e| {
        e.record.object.is_none()
            && e.record.item.is_none()
            && e.record.document.is_none()
            && matches!(e.layer, Layer::Yaml | Layer::Json)
    });
    outcome.errors = rest;
    outcome
        .ignored
        .extend(whole_file.into_iter().map(|e| IgnoredObject {
            what: "a file that is not YAML or JSON (a chart template?)".to_owned(),
            reference: e.record,
        }));
}

/// A file, or every file below a directory (sorted, hidden entries skipped).
fn expand(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        UserError::with_hint(
            format!("cannot read {}: {e}", path.display()),
            "--from takes a file, a directory or - for stdin",
        )
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = entry.path();
            let ft = entry
                .file_type()
                .with_context(|| format!("cannot stat {}", p.display()))?;
            if ft.is_dir() {
                stack.push(p);
            } else if is_record_file(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Inside directories only YAML and JSON files are read (notes and charts are skipped).
fn is_record_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}
