//! Where output goes: standard output for results, standard error for warnings.

use std::io::Write;

use anyhow::Result;

use crate::args::OutputFormat;

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
