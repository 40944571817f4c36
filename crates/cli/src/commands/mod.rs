//! One module per command; each builds a report and hands it to a renderer.

pub mod explain;
pub mod get;
pub mod history;
pub mod list;
pub mod timeline;

use std::io::Write;

use anyhow::Result;

use crate::args::{Command, OutputFormat};
use crate::config::Config;
use crate::source::Loaded;

/// Where a command writes: results to `out`, warnings to `err`.
pub struct Ui<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
    /// The output format.
    pub format: OutputFormat,
}

impl Ui<'_> {
    /// Print warnings to stderr (JSON output carries them in the document instead).
    pub fn warnings(&mut self, warnings: &[String]) -> Result<()> {
        if self.format == OutputFormat::Json {
            return Ok(());
        }
        for w in warnings {
            writeln!(self.err, "warning: {w}")?;
        }
        Ok(())
    }
}

/// Run one command; returns the process exit code.
///
/// # Errors
/// Anything the command could not do; printed by the caller.
pub async fn run(command: &Command, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    match command {
        Command::List(args) => list::run(args, config, ui).await,
        Command::History(args) => history::run(args, config, ui).await,
        Command::Get(args) => get::run(args, config, ui).await,
        Command::Explain(args) => explain::run(args, config, ui).await,
        Command::Timeline(args) => timeline::run(args, config, ui).await,
    }
}

/// Warnings about the input as a whole: records that failed to decode without naming a
/// release, and objects that were not release records.
pub fn source_warnings(loaded: &Loaded) -> Vec<String> {
    let mut out: Vec<String> = loaded
        .unattributed()
        .iter()
        .map(|e| format!("could not decode {e}"))
        .collect();
    match loaded.ignored.len() {
        0 => {}
        1 => out.push(format!(
            "1 object is not a Helm release record and was ignored ({})",
            loaded.ignored[0].what
        )),
        n => out.push(format!(
            "{n} objects are not Helm release records and were ignored"
        )),
    }
    out
}
