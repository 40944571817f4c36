//! A progress line on stderr while records are read and releases replayed: shown only when
//! stderr is a terminal, never with `--no-progress`, and never for JSON output (a pipeline
//! reading the document may still show stderr to a person, but CI logs do not want it).

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::OutputFormat;
use crate::config::Config;

/// The progress line (or nothing, when it must not show); clones show on the same line.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner on stderr, when stderr is a terminal, the output is not JSON and
    /// `--no-progress` was not given.
    pub fn new(config: &Config) -> Self {
        let wanted = !config.no_progress
            && config.output != OutputFormat::Json
            && std::io::stderr().is_terminal();
        Progress {
            bar: wanted.then(|| {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                    bar.set_style(style);
                }
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            }),
        }
    }

    /// None at all (tests, library callers).
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// Say what is happening now.
    pub fn say(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.into());
        }
    }

    /// Remove the line, leaving the terminal as it was.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
