//! Rendering of `list`.

use anyhow::Result;
use helm_why_release::Timestamp;

use super::{Grid, write_data};
use crate::args::OutputFormat;
use crate::report::list::ListReport;
use crate::ui::Ui;

/// Print the list in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &ListReport, ui: &mut Ui<'_>) -> Result<()> {
    if ui.format.is_data() {
        return write_data(ui, report);
    }
    let mut grid = Grid::new(&[
        "NAME",
        "NAMESPACE",
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
    ]);
    grid.toned = vec![4];
    grid.optional = vec![6, 3];
    for r in &report.releases {
        grid.row(vec![
            r.name.clone(),
            r.namespace.clone(),
            r.revision.map(|v| v.to_string()).unwrap_or_default(),
            r.updated
                .as_deref()
                .map(|t| Timestamp::new(t).display_seconds())
                .unwrap_or_default(),
            r.status.clone(),
            r.chart.clone(),
            r.app_version.clone(),
        ]);
    }
    let text = match ui.format {
        OutputFormat::Markdown => grid.to_markdown(),
        _ => grid.render(&ui.layout, &ui.paint),
    };
    ui.out.write_all(text.as_bytes())?;
    ui.warnings(&report.warnings)
}
