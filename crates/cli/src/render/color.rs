//! Colour for severities, actions and diff lines (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`).
//!
//! Every byte of output passes through [`crate::sanitize::Sanitize`], which escapes the
//! escape character so that a record cannot drive the terminal. Our own colour therefore
//! travels as a *marked* sequence: ESC, a key drawn at random for this run, then the SGR
//! parameters. The sanitizer turns exactly those into colour and escapes any other ESC, so a
//! record (which cannot know the key) cannot forge colour either.

use std::hash::{BuildHasher as _, Hasher as _};

use anstyle::{AnsiColor, Style};
use helm_why_diff::Severity;

use crate::args::ColorChoice;

/// What a word or line means, and so its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Destroys or fails: deleted, failed, high.
    Bad,
    /// Changes: patched, adopted, medium, pending.
    Change,
    /// Creates: created, installed, deployed.
    Good,
    /// Worth little attention: low, unchanged.
    Quiet,
}

impl Tone {
    fn style(self) -> Style {
        match self {
            Tone::Bad => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            Tone::Change => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            Tone::Good => Style::new().fg_color(Some(AnsiColor::Green.into())),
            Tone::Quiet => Style::new().dimmed(),
        }
    }

    /// The tone of a severity.
    pub fn of_severity(severity: Severity) -> Tone {
        match severity {
            Severity::High => Tone::Bad,
            Severity::Medium => Tone::Change,
            Severity::Low => Tone::Quiet,
        }
    }

    /// The tone of a word helm-why itself prints in an action, status or severity column
    /// (`created`, `hook-delete`, `failed`, `high`…); `None` for anything else.
    pub fn of_word(word: &str) -> Option<Tone> {
        match word {
            "high" | "deleted" | "delete" | "hook-delete" | "failed" | "fail" | "conflict"
            | "recreated" | "recreated-by-hook" | "orphaned" | "missing" | "uninstalled"
            | "undecodable" => Some(Tone::Bad),
            "medium" | "patched" | "patch" | "adopted" | "adopt" | "kept" | "keep" | "orphan"
            | "pending-install" | "pending-upgrade" | "pending-rollback" | "uninstalling" => {
                Some(Tone::Change)
            }
            "created" | "create" | "hook-create" | "hook" | "deployed" => Some(Tone::Good),
            "low" | "unchanged" | "superseded" | "-" => Some(Tone::Quiet),
            _ => None,
        }
    }
}

/// Whether to colour, decided once from `--color`, the environment and the terminal.
///
/// `auto` colours when stdout is a terminal and `NO_COLOR` is unset or empty; a
/// `CLICOLOR_FORCE` other than `0` colours even into a pipe. `always` and `never` win over
/// both variables. JSON, YAML, Markdown and HTML are never coloured.
pub fn enabled(choice: ColorChoice, no_color: bool, clicolor_force: bool, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && (clicolor_force || terminal),
    }
}

/// Paints text for one run; a disabled `Paint` returns text unchanged.
#[derive(Debug, Clone, Default)]
pub struct Paint {
    key: Option<String>,
}

impl Paint {
    /// No colour.
    pub fn off() -> Paint {
        Paint { key: None }
    }

    /// Colour, with a key drawn at random for this run (see the module docs).
    pub fn on() -> Paint {
        // RandomState is seeded from the operating system's randomness once per process.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(u64::from(std::process::id()));
        Paint {
            key: Some(format!("{:016x}", hasher.finish())),
        }
    }

    /// The key the sanitizer must know to let this paint's colour through.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Whether this paint colours.
    pub fn is_on(&self) -> bool {
        self.key.is_some()
    }

    /// `text` in the colour of `tone`.
    pub fn tone(&self, text: &str, tone: Tone) -> String {
        let Some(key) = &self.key else {
            return text.to_owned();
        };
        // Every ESC of the style and of the reset carries the key.
        let keyed = |sgr: String| sgr.replace('\x1b', &format!("\x1b{key}"));
        format!(
            "{}{text}{}",
            keyed(tone.style().render().to_string()),
            keyed(anstyle::Reset.render().to_string())
        )
    }

    /// A severity word in its colour.
    pub fn severity(&self, severity: Severity) -> String {
        self.tone(severity.as_str(), Tone::of_severity(severity))
    }

    /// A line that starts with two spaces and a severity word (a wrapped hazard or finding),
    /// with that word painted; painted after wrapping, as colour takes no room on screen.
    pub fn leading_severity(&self, text: &str, severity: Severity) -> String {
        let word = severity.as_str();
        match text.strip_prefix("  ").and_then(|t| t.strip_prefix(word)) {
            Some(rest) => format!("  {}{rest}", self.severity(severity)),
            None => text.to_owned(),
        }
    }

    /// A word of helm-why's own vocabulary (see [`Tone::of_word`]) in its colour.
    pub fn word(&self, word: &str) -> String {
        match Tone::of_word(word) {
            Some(tone) => self.tone(word, tone),
            None => word.to_owned(),
        }
    }

    /// One line of a unified diff: `+` green, `-` red, `@@` dim; headers and context as is.
    pub fn diff_line(&self, line: &str) -> String {
        let tone = if line.starts_with("+++") || line.starts_with("---") {
            None
        } else if line.starts_with('+') {
            Some(Tone::Good)
        } else if line.starts_with('-') {
            Some(Tone::Bad)
        } else if line.starts_with("@@") {
            Some(Tone::Quiet)
        } else {
            None
        };
        match tone {
            Some(t) => self.tone(line, t),
            None => line.to_owned(),
        }
    }

    /// A whole unified diff, line by line.
    pub fn diff(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let (body, end) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            out.push_str(&self.diff_line(body));
            out.push_str(end);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::{Sanitize, Style as Escapes};
    use std::io::Write as _;

    fn through_sanitizer(paint: &Paint, text: &str) -> String {
        let mut w = Sanitize::new(Vec::new(), Escapes::Text).with_color_key(paint.key());
        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
        String::from_utf8(w.into_inner()).unwrap()
    }

    #[test]
    fn own_colour_passes_forged_colour_does_not() {
        let paint = Paint::on();
        let text = format!("{} \x1b[31mforged\x1b[0m", paint.severity(Severity::High));
        assert_eq!(
            through_sanitizer(&paint, &text),
            "\x1b[1m\x1b[31mhigh\x1b[0m \\x1b[31mforged\\x1b[0m"
        );
        // Another run's key is as good as a forgery.
        let other = Paint::on();
        assert_ne!(other.key(), paint.key());
        assert_eq!(
            through_sanitizer(&paint, &other.word("deleted")),
            format!(
                "\\x1b{}[1m\\x1b{}[31mdeleted\\x1b{}[0m",
                other.key().unwrap(),
                other.key().unwrap(),
                other.key().unwrap()
            )
        );
    }

    #[test]
    fn off_paints_nothing_and_diff_lines_are_coloured_by_sign() {
        assert_eq!(Paint::off().diff("+a\n-b\n c\n"), "+a\n-b\n c\n");
        let paint = Paint::on();
        assert_eq!(
            through_sanitizer(&paint, &paint.diff("--- a\n+b\n-c\n d")),
            "--- a\n\x1b[32m+b\x1b[0m\n\x1b[1m\x1b[31m-c\x1b[0m\n d"
        );
    }

    #[test]
    fn auto_follows_the_terminal_and_the_variables() {
        use ColorChoice::*;
        assert!(enabled(Auto, false, false, true));
        assert!(!enabled(Auto, false, false, false));
        assert!(!enabled(Auto, true, false, true));
        assert!(enabled(Auto, false, true, false));
        assert!(!enabled(Auto, true, true, false));
        assert!(enabled(Always, true, false, false));
        assert!(!enabled(Never, false, true, true));
    }
}
