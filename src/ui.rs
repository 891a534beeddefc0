//! Everything that touches the terminal: output that survives a closed pipe, prompts,
//! spinner, progress bar, notes and the `-v` trace.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dialoguer::console::Term;
use dialoguer::{Confirm, Input};
use indicatif::{ProgressBar, ProgressStyle};

/// Set once stdout is a closed pipe: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

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

/// A JSON value, pretty-printed, on stdout.
pub(crate) fn out_json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => out(&text),
        Err(e) => err(&format!("error: cannot write JSON: {e}")),
    }
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

pub(crate) fn note(message: &str) {
    err(&format!("note: {message}"));
}

/// Prompts are shown only when both stdin and stderr are terminals and `--no-input` is off.
pub(crate) fn can_prompt(no_input: bool) -> bool {
    !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The prompts below end the run on Ctrl-C (exit 130, see [`restore_on_interrupt`]).
pub(crate) fn prompt_text(
    label: &str,
    default: Option<&str>,
    optional: bool,
    validate: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    restore_on_interrupt();
    let mut input = Input::<String>::new()
        .with_prompt(label)
        .allow_empty(optional);
    if let Some(d) = default {
        input = input.default(d.to_owned());
    }
    let value = input
        .validate_with(|v: &String| validate(v.trim()))
        .interact_text_on(&Term::stderr())
        .map_err(|dialoguer::Error::IO(e)| interrupted_or(e))?;
    Ok(value)
}

/// A hidden value. Every value, an empty one too, goes through `validate`, which says what is
/// wrong with it; Ctrl-D on an empty line ends the prompt with an error instead of asking
/// again.
pub(crate) fn prompt_secret(
    label: &str,
    validate: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    restore_on_interrupt();
    let term = Term::stderr();
    loop {
        term.write_str(&format!("{label}: "))?;
        let value = match rpassword::read_password() {
            Ok(value) => value,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                term.write_line("")?;
                anyhow::bail!("the input ended (Ctrl-D) before a value was given");
            }
            Err(e) => return Err(interrupted_or(e)),
        };
        match validate(value.trim()) {
            Ok(()) => return Ok(value),
            Err(why) => term.write_line(&format!("error: {why}"))?,
        }
    }
}

pub(crate) fn confirm(question: &str) -> anyhow::Result<bool> {
    restore_on_interrupt();
    Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact_on(&Term::stderr())
        .map_err(|dialoguer::Error::IO(e)| interrupted_or(e))
}

/// The terminal as it was before the first prompt changed it (echo, line editing).
#[cfg(unix)]
static TERMINAL: std::sync::Mutex<Option<nix::sys::termios::Termios>> = std::sync::Mutex::new(None);

/// Makes an interrupt restore the terminal and end the run with exit code 130, as a shell
/// reports an interrupted command. The prompts read keys with echo and signals off (and a
/// confirmation hides the cursor), so Ctrl-C reaches them as a key: they raise SIGINT
/// themselves and return an `Interrupted` error, which [`interrupted_or`] ends the same way.
/// A SIGINT from elsewhere, at or after a prompt, is handled alike. Installed at the first
/// prompt, while the terminal is still as the user had it.
fn restore_on_interrupt() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        #[cfg(unix)]
        if let Ok(mut saved) = TERMINAL.lock() {
            *saved = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
        }
        // Fails only when a handler is already set, and none is.
        let _ = ctrlc::set_handler(|| exit_interrupted());
    });
}

/// `e`, unless it is a prompt's Ctrl-C: then the run ends here.
fn interrupted_or(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::Interrupted {
        exit_interrupted();
    }
    e.into()
}

fn exit_interrupted() -> ! {
    // The signal handler's thread and the prompt may both get here: the first one exits.
    static EXITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _first = EXITING.lock();
    #[cfg(unix)]
    if let Ok(saved) = TERMINAL.lock()
        && let Some(settings) = saved.as_ref()
    {
        use nix::sys::termios::{SetArg, tcsetattr};
        let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, settings);
    }
    let term = Term::stderr();
    if term.is_term() {
        let _ = term.show_cursor();
        let _ = term.write_line("");
    }
    std::process::exit(130)
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
