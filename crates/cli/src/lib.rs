//! The helm-why command line: flags, sources (files or a cluster), commands and rendering.
//!
//! `main.rs` (and the `kubectl-helm_why` binary) only call [`main`].
#![deny(missing_docs)]

pub mod args;
pub mod commands;
pub mod config;
pub mod error;
pub mod progress;
pub mod redact;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod source;
pub mod suggest;
pub mod ui;

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

use crate::args::{Cli, OutputFormat};
use crate::config::{Config, Env};
use crate::error::{exit, report};
use crate::sanitize::{Sanitize, Style};

/// Every program linking this library (both binaries, the tests) allocates with mimalloc: see
/// the workspace `Cargo.toml` for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parse the process arguments and environment, run, and return the exit code.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    run(args, &Env::from_process())
}

/// The name to show in usage lines: `kubectl helm-why` when run as the kubectl plugin.
fn display_name(argv0: Option<&OsString>) -> &'static str {
    let invoked = argv0
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str())
        .unwrap_or("");
    if invoked.starts_with("kubectl-") {
        "kubectl helm-why"
    } else {
        "helm-why"
    }
}

/// Run with explicit arguments and environment.
pub fn run(args: Vec<OsString>, env: &Env) -> ExitCode {
    let stderr = std::io::stderr();
    let mut err = Sanitize::new(stderr.lock(), Style::Text);
    let command = Cli::command().bin_name(display_name(args.first()));
    let cli = match command
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors; usage errors exit 1 so that 2 keeps
            // meaning "hazards found" for CI.
            return ExitCode::from(if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            });
        }
    };
    let config = match Config::resolve(&cli.global, env) {
        Ok(c) => c,
        Err(e) => return report(&e, &mut err),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&anyhow::Error::from(e), &mut err),
    };
    let stdout = std::io::stdout();
    let format = config.output;
    let style = match format {
        args::OutputFormat::Json => Style::Json,
        _ => Style::Text,
    };
    let terminal = stdout.is_terminal();
    let colored = matches!(format, OutputFormat::Table | OutputFormat::Wide)
        && render::color::enabled(cli.global.color, env.no_color, env.clicolor_force, terminal);
    let paint = if colored {
        render::color::Paint::on()
    } else {
        render::color::Paint::off()
    };
    let layout = render::layout::Layout::detect(
        env.columns.as_deref(),
        terminal
            .then(|| terminal_size::terminal_size_of(&stdout))
            .flatten()
            .map(|(w, _)| usize::from(w.0)),
        format == OutputFormat::Wide,
    );
    let mut out =
        std::io::BufWriter::new(Sanitize::new(stdout.lock(), style).with_color_key(paint.key()));
    let result = {
        let mut ui = ui::Ui {
            out: &mut out,
            err: &mut err,
            format,
            layout,
            paint,
        };
        runtime.block_on(commands::run(&cli.command, &config, &mut ui))
    };
    let result = result.and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => {
            let _ = err.flush();
            ExitCode::from(code)
        }
        Err(e) => {
            let _ = out.flush();
            let code = report(&e, &mut err);
            let _ = err.flush();
            code
        }
    }
}
