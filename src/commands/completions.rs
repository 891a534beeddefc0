//! `credlink completions SHELL`: the completion script, generated from the command line.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::ui;

pub(crate) fn run(args: &CompletionsArgs) {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "credlink", &mut script);
    ui::out(String::from_utf8_lossy(&script).trim_end_matches('\n'));
}
