//! Everything that touches the terminal: prompts, spinner, notes, the `-v` trace, and
//! cleaning text that came from a server before it is printed.

use std::io::IsTerminal;
use std::time::Duration;

use dialoguer::console::Term;
use dialoguer::{Confirm, Input, Password};
use indicatif::{ProgressBar, ProgressStyle};

/// Removes control characters (escape sequences, bidi overrides) from text a provider sent,
/// so a hostile server cannot write to the terminal; line breaks and tabs become spaces.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            // Bidi controls and invisible format characters (Unicode category Cf that
            // reorder or hide text).
            '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}' => {}
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// [`clean`], cut to at most `max` characters.
pub fn clean_truncated(text: &str, max: usize) -> String {
    truncate(&clean(text), max)
}

/// `text` cut to at most `max` characters, with `…` where it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

pub fn trace(line: &str) {
    eprintln!("* {line}");
}

pub fn note(message: &str) {
    eprintln!("note: {message}");
}

/// Prompts are shown only when both stdin and stderr are terminals and `--no-input` is off.
pub fn can_prompt(no_input: bool) -> bool {
    !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn prompt_text(
    label: &str,
    default: Option<&str>,
    optional: bool,
    validate: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    let mut input = Input::<String>::new()
        .with_prompt(label)
        .allow_empty(optional);
    if let Some(d) = default {
        input = input.default(d.to_owned());
    }
    let value = input
        .validate_with(|v: &String| validate(v.trim()))
        .interact_text_on(&Term::stderr())?;
    Ok(value)
}

pub fn prompt_secret(
    label: &str,
    validate: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    Ok(Password::new()
        .with_prompt(label)
        .validate_with(|v: &String| validate(v.trim()))
        .interact_on(&Term::stderr())?)
}

pub fn confirm(question: &str) -> anyhow::Result<bool> {
    Ok(Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact_on(&Term::stderr())?)
}

/// A spinner on stderr while a request runs; invisible when stderr is not a terminal.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub fn start(message: String, enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner().with_message(message);
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
        bar.enable_steady_tick(Duration::from_millis(80));
        Self(Some(bar))
    }

    pub fn stop(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A progress bar on stderr for checks over many accounts; only when both stdout and stderr
/// are terminals, so piped or `--json` output stays clean.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn start(total: usize, enabled: bool) -> Self {
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

    pub fn advance(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_escape_sequences_and_controls() {
        assert_eq!(
            clean("bad\u{1b}[31mred\u{1b}[0m\r\nnext\u{7}"),
            "bad[31mred[0m  next"
        );
        assert_eq!(clean("a\u{202e}b"), "ab");
        assert_eq!(clean_truncated("abcdef", 3), "abc…");
        assert_eq!(clean_truncated("äöü", 3), "äöü");
    }
}
