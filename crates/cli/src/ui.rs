//! Where output goes: standard output for results, standard error for warnings.

use std::io::Write;

use anyhow::Result;

use crate::args::OutputFormat;
use crate::render::color::Paint;
use crate::render::layout::Layout;

/// Where a command writes: results to `out`, warnings to `err`.
pub struct Ui<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
    /// The output format.
    pub format: OutputFormat,
    /// How wide text output may be.
    pub layout: Layout,
    /// Colour for text output (off for JSON, YAML, Markdown and HTML).
    pub paint: Paint,
}

impl Ui<'_> {
    /// Print warnings to stderr (JSON and YAML carry them in the document instead).
    pub fn warnings(&mut self, warnings: &[String]) -> Result<()> {
        if self.format.is_data() {
            return Ok(());
        }
        for w in warnings {
            writeln!(self.err, "warning: {w}")?;
        }
        Ok(())
    }
}
