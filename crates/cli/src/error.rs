//! Errors the user can act on, with hints, and the one place exit codes are decided.

use std::fmt;
use std::process::ExitCode;

/// An error caused by the input or the request (not a bug), optionally with a hint.
#[derive(Debug)]
pub struct UserError {
    message: String,
    hint: Option<String>,
}

impl UserError {
    /// An error without a hint.
    pub fn new(message: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: None,
        }
    }

    /// An error with a hint printed on its own line.
    pub fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// Exit codes, documented in the README and `--help`.
pub mod exit {
    /// Success, and for `plan`: no hazard at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// Any error, including usage errors.
    pub const ERROR: u8 = 1;
    /// `plan` found hazards at or above `--fail-on`.
    pub const HAZARDS: u8 = 2;
    /// `diff --exit-code`: the revisions differ.
    pub const DIFFERENT: u8 = 2;
}

/// Print an error chain once, with its hint, and choose the exit code.
pub fn report(err: &anyhow::Error, stderr: &mut dyn std::io::Write) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::from(exit::OK);
    }
    let _ = writeln!(stderr, "helm-why: {err:#}");
    if let Some(hint) = err
        .chain()
        .find_map(|e| e.downcast_ref::<UserError>())
        .and_then(|u| u.hint.as_deref())
    {
        let _ = writeln!(stderr, "hint: {hint}");
    }
    let _ = stderr.flush();
    ExitCode::from(exit::ERROR)
}

/// A closed stdout (`helm-why … | head`) is not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
