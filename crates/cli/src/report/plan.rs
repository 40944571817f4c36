//! What `plan` reports.

use helm_why_diff::Plan;

/// What `plan` prints, besides the plan itself.
#[derive(Debug, serde::Serialize)]
pub struct PlanReport {
    /// The plan.
    #[serde(flatten)]
    pub plan: Plan,
    /// How the candidate was obtained (`helm template`, a file, …).
    pub candidate: String,
    /// Problems with the input.
    pub warnings: Vec<String>,
    /// Unified diffs of patched objects (`--diff`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<String>,
}
