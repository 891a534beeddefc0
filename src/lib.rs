//! credlink: link third-party SaaS accounts from a terminal.
//!
//! `cli` parses; `context` resolves catalog, store and HTTP client once; one module in
//! `commands` runs and prints. Commands check accounts through `provider` (which never
//! prints) and keep them through `store` (the only module that knows the entry layout).
//! `outcome` is the one model of what can go wrong, and `error` turns lower-layer errors into
//! what the user sees. See ARCHITECTURE.md.

mod base;
mod catalog;
mod cli;
mod commands;
mod input;
mod net;
mod oauth;
mod provider;
mod store;
mod terminal;
#[cfg(test)]
mod testing;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::base::outcome::Class;
use crate::cli::{Cli, Command, StoreCommand};
use crate::commands as cmd;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::commands::{complete, context};
use crate::terminal::{interrupt, ui};

/// Parses the command line, runs the command, reports an error once, and exits with the code
/// of the result's class.
pub fn main() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash credlink -- ...`) is answered, then exits.
    clap_complete::CompleteEnv::with_factory(complete::command).complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(parse_failed(&e).exit_code()),
    };
    if cli.json {
        ui::promise_json();
        // A Ctrl-C at any point then ends with the error object too.
        interrupt::watch();
    }
    let class = run(cli).unwrap_or_else(|err| {
        report(&err);
        err.class
    });
    ExitCode::from(class.exit_code())
}

/// A command line clap did not run: an error, or `--help` or `--version`, shown as clap
/// shows them; with `--json` (which promises one JSON document on stdout whatever happens),
/// as a JSON document instead.
fn parse_failed(e: &clap::Error) -> Class {
    let json = std::env::args()
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    let rendered = e.render().to_string();
    let class = if e.use_stderr() {
        Class::Usage
    } else {
        Class::Ok
    };
    if !json {
        let _ = e.print();
        return class;
    }
    ui::promise_json();
    match e.kind() {
        clap::error::ErrorKind::DisplayVersion => {
            ui::out_json(&json!({"name": "credlink", "version": env!("CARGO_PKG_VERSION")}));
        }
        _ if class == Class::Ok => ui::out_json(&json!({"help": rendered.trim_end()})),
        _ => {
            let _ = e.print();
            let first = rendered.lines().next().unwrap_or_default();
            let message = first.strip_prefix("error: ").unwrap_or(first);
            ui::out_json(&CliError::usage(message).json());
        }
    }
    class
}

fn run(cli: Cli) -> CliResult<Class> {
    if let Command::Completions(args) = &cli.command {
        cmd::completions::run(args, cli.json);
        return Ok(Class::Ok);
    }
    let runtime = Background(Some(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    ));
    match &cli.command {
        // `list` and `history` read only records: no catalog or HTTP client to set up.
        Command::List => {
            let store = context::store(&cli)?;
            return runtime.block_on(cmd::list::run(&store, cli.json));
        }
        Command::History(args) => {
            let store = context::store(&cli)?;
            return runtime.block_on(cmd::history::run(&store, args, cli.json));
        }
        Command::Store(StoreCommand::Copy(args)) => {
            return runtime.block_on(cmd::store_copy::run(&cli, args));
        }
        _ => {}
    }
    let ctx = Context::new(&cli)?;
    runtime.block_on(async {
        match &cli.command {
            Command::Connectors(args) => cmd::connectors::run(&ctx, args),
            Command::Link(args) => cmd::link::run(&ctx, args).await,
            Command::Test(args) => cmd::test::run(&ctx, args).await,
            Command::Revoke(args) => cmd::revoke::run(&ctx, args).await,
            Command::Token(args) => cmd::token::run(&ctx, args).await,
            Command::Exec(args) => cmd::exec::run(&ctx, args).await,
            Command::Api(args) => cmd::api::run(&ctx, args).await,
            Command::List | Command::History(_) | Command::Store(_) | Command::Completions(_) => {
                unreachable!("handled above")
            }
        }
    })
}

/// The runtime, shut down without waiting when dropped (also while a panic unwinds): a
/// keychain call that timed out may still be blocked in its thread.
struct Background(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for Background {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// An error on stderr, and with `--json` also as the error object on stdout.
fn report(err: &CliError) {
    err.print();
    if ui::json_promised() {
        ui::out_json(&err.json());
    }
}
