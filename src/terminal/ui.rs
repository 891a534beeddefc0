//! Everything that touches the terminal: output that survives a closed pipe, prompts,
//! spinner, progress bar, notes and the `-v` trace.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dialoguer::console::Term;
use dialoguer::{Confirm, Input};
use indicatif::{ProgressBar, ProgressStyle};

use crate::terminal::interrupt;

/// Set once stdout is a closed pipe: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Set by `--json`: stdout then holds one JSON document, the result or an error.
static JSON_OUTPUT: AtomicBool = AtomicBool::new(false);

/// Whether that document has been written.
static DOCUMENT_WRITTEN: Mutex<bool> = Mutex::new(false);

/// Promises one JSON document on stdout (`--json`), for the whole run.
pub(crate) fn promise_json() {
    JSON_OUTPUT.store(true, Ordering::Relaxed);
}

pub(crate) fn json_promised() -> bool {
    JSON_OUTPUT.load(Ordering::Relaxed)
}

/// Writes `text` and a line break to stdout. A closed pipe (`credlink list | head -1`) ends
/// the output quietly, as in other good CLIs; the command still exits with its own code.
pub(crate) fn out(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if written.is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// The run's JSON document, pretty-printed, on stdout. Only the first is written: an error
/// that comes after the result (a Ctrl-C that waited for it to be printed) stays on stderr,
/// so stdout always parses as one value.
pub(crate) fn out_json(value: &impl serde::Serialize) {
    let mut written = DOCUMENT_WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    if *written {
        return;
    }
    match serde_json::to_string_pretty(value) {
        Ok(text) => out(&text),
        Err(e) => err(&format!("error: cannot write JSON: {e}")),
    }
    *written = true;
}

/// A line on stderr; a closed stderr is ignored.
pub(crate) fn err(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The terminal's width when stdout is one; `None` for a pipe or file (no limit).
pub(crate) fn stdout_width() -> Option<usize> {
    Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
        .filter(|&cols| cols > 0)
}

pub(crate) fn trace(line: &str) {
    err(&format!("* {line}"));
}

/// The sign-in's countdown, rewritten in place on stderr (a terminal only).
pub(crate) fn countdown(left: std::time::Duration) {
    let secs = left.as_secs();
    eprint!(
        "\r\x1b[2KWaiting for the sign-in… {}:{:02} left (Ctrl-C to stop)",
        secs / 60,
        secs % 60
    );
}

/// Clears the countdown's line, when there is one.
pub(crate) fn clear_countdown(shown: bool) {
    if shown {
        eprint!("\r\x1b[2K");
    }
}

pub(crate) fn note(message: &str) {
    err(&format!("note: {message}"));
}

/// `warning: ...` on stderr, for text that may quote what a store or peer holds: cleaned.
pub(crate) fn warn(message: &str) {
    err(&format!("warning: {}", crate::base::text::clean(message)));
}

/// Prompts are shown only when both stdin and stderr are terminals and `--no-input` is off.
pub(crate) fn can_prompt(no_input: bool) -> bool {
    !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The prompts below end the run on Ctrl-C (exit 130, see [`crate::terminal::interrupt`]).
pub(crate) fn prompt_text(
    label: &str,
    default: Option<&str>,
    optional: bool,
    validate: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    interrupt::watch();
    let mut input = Input::<String>::new()
        .with_prompt(label)
        .allow_empty(optional);
    if let Some(d) = default {
        input = input.default(d.to_owned());
    }
    let value = input
        .validate_with(|v: &String| validate(v.trim()))
        .interact_text_on(&Term::stderr())
        .map_err(|dialoguer::Error::IO(e)| interrupt::interrupted_or(e))?;
    Ok(value)
}

/// A hidden value. Every value, an empty one too, goes through `validate`, which says what is
/// wrong with it; Ctrl-D on an empty line ends the prompt with an error instead of asking
/// again.
pub(crate) fn prompt_secret(
    label: &str,
    validate: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    interrupt::watch();
    let term = Term::stderr();
    loop {
        term.write_str(&format!("{label}: "))?;
        let value = match rpassword::read_password() {
            Ok(value) => value,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                term.write_line("")?;
                anyhow::bail!("the input ended (Ctrl-D) before a value was given");
            }
            Err(e) => return Err(interrupt::interrupted_or(e)),
        };
        match validate(value.trim()) {
            Ok(()) => return Ok(value),
            Err(why) => term.write_line(&format!("error: {why}"))?,
        }
    }
}

pub(crate) fn confirm(question: &str) -> anyhow::Result<bool> {
    interrupt::watch();
    Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact_on(&Term::stderr())
        .map_err(|dialoguer::Error::IO(e)| interrupt::interrupted_or(e))
}

/// A spinner on stderr while a request runs; invisible when stderr is not a terminal.
pub(crate) struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub(crate) fn start(message: String, enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner().with_message(message);
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
        bar.enable_steady_tick(Duration::from_millis(80));
        Self(Some(bar))
    }

    pub(crate) fn stop(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A progress bar on stderr for checks over many accounts; only when both stdout and stderr
/// are terminals, so piped or `--json` output stays clean.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    pub(crate) fn start(total: usize, enabled: bool) -> Self {
        let visible = enabled
            && total > 1
            && std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal();
        if !visible {
            return Self(None);
        }
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} accounts checked ({elapsed})")
                .expect("static template"),
        );
        Self(Some(bar))
    }

    pub(crate) fn advance(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
