//! Completions that know the data: connector ids from the catalog and account names from the
//! index, through clap_complete's dynamic completion. The shell runs `COMPLETE=SHELL credlink --
//! WORDS...` at each Tab (`credlink completions SHELL` prints the script that sets this up), and
//! `lib::main` answers it before anything else. Nothing here reads a secret, sends a request or
//! prints: whatever goes wrong gives no candidates, since every line printed is one.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

use crate::base::text;
use crate::catalog::Catalog;
use crate::cli::Cli;
use crate::commands::context;

/// The environment variable that asks for completions, as clap_complete's `CompleteEnv` reads it.
const ENV_COMPLETE: &str = "COMPLETE";
/// The command the scripts complete.
pub(crate) const BIN: &str = "credlink";

/// The command line with its completers: connector ids after `link`, `connectors` and
/// `test --connector`, account names after `test`, `token`, `exec`, `api`, `revoke` and `history`. Attached
/// here, not in `cli`, so that the command line's definition needs nothing of the store.
pub(crate) fn command() -> clap::Command {
    let connectors = || ArgValueCompleter::new(connector_ids);
    let accounts = || ArgValueCompleter::new(account_names);
    Cli::command()
        .mut_subcommand("connectors", |c| c.mut_arg("id", |a| a.add(connectors())))
        .mut_subcommand("link", |c| c.mut_arg("connector", |a| a.add(connectors())))
        .mut_subcommand("test", |c| {
            c.mut_arg("names", |a| a.add(accounts()))
                .mut_arg("connector", |a| a.add(connectors()))
        })
        .mut_subcommand("token", |c| c.mut_arg("name", |a| a.add(accounts())))
        .mut_subcommand("exec", |c| c.mut_arg("names", |a| a.add(accounts())))
        .mut_subcommand("api", |c| c.mut_arg("name", |a| a.add(accounts())))
        .mut_subcommand("revoke", |c| c.mut_arg("name", |a| a.add(accounts())))
        .mut_subcommand("history", |c| c.mut_arg("name", |a| a.add(accounts())))
}

/// The script that registers dynamic completion for `shell`: what `COMPLETE=SHELL credlink`
/// prints, calling credlink the way this run was called (a relative path made absolute).
/// `None` for a shell clap_complete has no dynamic completion for.
pub(crate) fn registration(shell: clap_complete::Shell) -> Option<Vec<u8>> {
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells.completer(&shell.to_string())?;
    let argv0 = PathBuf::from(std::env::args_os().next().unwrap_or_else(|| BIN.into()));
    let program = match std::env::current_dir() {
        Ok(dir) if argv0.components().count() > 1 => dir.join(argv0),
        _ => argv0,
    };
    let mut script = Vec::new();
    completer
        .write_registration(
            ENV_COMPLETE,
            BIN,
            BIN,
            &program.to_string_lossy(),
            &mut script,
        )
        .ok()?;
    Some(script)
}

fn connector_ids(current: &OsStr) -> Vec<CompletionCandidate> {
    let (Some(prefix), Some(cli)) = (current.to_str(), line()) else {
        return Vec::new();
    };
    let Ok(catalog) = Catalog::load(crate::commands::context::connectors_file(&cli).as_deref())
    else {
        return Vec::new();
    };
    catalog
        .connectors
        .values()
        .filter(|c| c.id.starts_with(prefix))
        .map(|c| candidate(&c.id, &c.name))
        .collect()
}

fn account_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let (Some(prefix), Some(cli)) = (current.to_str(), line()) else {
        return Vec::new();
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    // A team store that does not answer soon gets no completion rather than a hung shell.
    let records = context::store(&cli).ok().and_then(|store| {
        runtime
            .block_on(async { tokio::time::timeout(COMPLETION_WAIT, store.records()).await })
            .ok()?
            .ok()
    });
    let Some(records) = records else {
        return Vec::new();
    };
    records
        .iter()
        // The index refuses a name that breaks the rules: every name is plain ASCII.
        .filter(|a| a.name.starts_with(prefix))
        .map(|a| candidate(&a.name, &a.connector))
        .collect()
}

/// How long a Tab waits for the store's records.
const COMPLETION_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn candidate(value: &str, help: &str) -> CompletionCandidate {
    CompletionCandidate::new(value).help(Some(text::clean_truncated(help, 64).into()))
}

/// The global options of the command line being completed (`--config-dir`, `--connectors`),
/// as a parsed command line whose command is `list`: the words are rarely a complete command.
fn line() -> Option<Cli> {
    let words: Vec<OsString> = std::env::args_os()
        .skip_while(|arg| arg != "--")
        .skip(1)
        .collect();
    let matches = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&words)
        .ok();
    let mut argv: Vec<OsString> = vec![BIN.into()];
    for (id, flag) in [
        ("config_dir", "--config-dir"),
        ("connectors", "--connectors"),
    ] {
        let value = matches
            .as_ref()
            .and_then(|m| m.try_get_one::<PathBuf>(id).ok().flatten());
        if let Some(value) = value.map(PathBuf::as_path).map(Path::as_os_str) {
            argv.extend([flag.into(), value.to_owned()]);
        }
    }
    argv.push("list".into());
    Cli::try_parse_from(argv).ok()
}
