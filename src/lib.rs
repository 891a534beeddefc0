//! credlink: link third-party SaaS accounts from a terminal.
//!
//! Data flow: `cli` parses, `context` resolves catalog, index, keychain and HTTP client once,
//! then one module in `commands` runs. `check` makes the live requests through `http`;
//! `store` keeps secrets in the OS keychain and the rest in the index file.

pub mod check;
pub mod cli;
pub mod commands;
pub mod connectors;
pub mod context;
pub mod error;
pub mod explain;
pub mod fault;
#[cfg(test)]
mod fuzz;
pub mod http;
pub mod input;
pub mod secret;
pub mod store;
pub mod template;
pub mod ui;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::cli::{Cli, Command};
use crate::commands as cmd;
use crate::context::Context;
use crate::error::{exit_code, find_cli_error};
use crate::store::Index;

/// Parse, run, render the error once, and exit with its code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                error::exit::USAGE
            } else {
                error::exit::OK
            });
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            report(&err, json);
            ExitCode::from(exit_code(&err))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    if let Command::Completions(args) = &cli.command {
        cmd::completions::run(args);
        return Ok(0);
    }
    // `list` reads only the index: no catalog, HTTP client or keychain to set up.
    if let Command::List = &cli.command {
        cmd::list::run(&Index::new(context::config_dir(&cli)?), cli.json)?;
        return Ok(0);
    }
    let ctx = Context::new(&cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Connectors(args) => cmd::connectors::run(&ctx, args.id.as_deref()).map(|()| 0),
            Command::Link(args) => cmd::link::run(&ctx, args).await,
            Command::List => unreachable!("handled before the context is built"),
            Command::Test(args) => cmd::test::run(&ctx, args).await,
            Command::Revoke(args) => cmd::revoke::run(&ctx, args).await,
            Command::Token(args) => cmd::token::run(&ctx, args).await,
            Command::Completions(_) => unreachable!("handled before the context is built"),
        }
    });
    // A keychain call that timed out may still be blocked in its thread; do not wait for it.
    runtime.shutdown_background();
    result
}

fn report(err: &anyhow::Error, json: bool) {
    let cli_error = find_cli_error(err);
    eprintln!("credlink: error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    let hint = cli_error.and_then(|e| e.hint.as_deref());
    if let Some(hint) = hint {
        eprintln!("  hint: {hint}");
    }
    if json {
        let kind = cli_error.map_or("unexpected", |e| e.kind.as_str());
        let value = json!({"error": {"code": exit_code(err), "kind": kind, "message": err.to_string(), "hint": hint}});
        println!("{value}");
    }
}
