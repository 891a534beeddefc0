use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "credlink",
        &mut std::io::stdout(),
    );
}
