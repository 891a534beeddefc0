//! `credlink exec NAME... -- CMD ARGS...`: runs CMD with the accounts' fresh credentials in its
//! environment, never on a command line. The command, the names and every variable are checked
//! before any credential is read. Then, on Unix, credlink becomes the command (`execve`): the
//! command keeps credlink's process id, so every signal sent to it, its stdin, stdout and
//! stderr, and its exit status are the command's own, and nothing of credlink outlives the
//! switch (no token in its memory, no lease held, no file written).
//!
//! A cached token is given while it stays valid `--min-ttl` more seconds (300 by default:
//! time for the command to start and make its calls; a longer job runs `credlink exec` or
//! `credlink token` again when it needs a fresh one, which is why a run inside another is
//! allowed: each variable it sets again is named in a warning, never shown).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use url::Url;

use crate::base::outcome::Class;
use crate::base::secret::Secret;
use crate::base::text;
use crate::catalog::Connector;
use crate::cli::ExecArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::commands::token::{self, Freshness, Got};
use crate::commands::{prepare, stored};
use crate::provider::{self, Credentials};
use crate::store::{Account, AccountName};
use crate::terminal::ui;

/// A linked account with the variables it will set.
struct Planned<'c> {
    name: AccountName,
    account: Account,
    connector: &'c Connector,
    /// `CREDLINK_ACME_HR`, and `CREDLINK` too when it is the only account.
    prefixes: Vec<String>,
}

pub(crate) async fn run(ctx: &Context, args: &ExecArgs) -> CliResult<Class> {
    if ctx.json {
        return Err(CliError::usage(
            "exec does not take --json: stdout is the command's own",
        ));
    }
    let program = find_program(&args.command[0])?;
    let planned = plan(ctx, &args.names).await?;
    let want = Freshness {
        min_ttl: args.min_ttl,
        fresh: args.fresh,
    };
    let mut env = Vec::new();
    for account in planned {
        match credentials(ctx, account, &want).await? {
            Ok(vars) => env.extend(vars),
            Err(class) => return Ok(class),
        }
    }
    for (var, _) in &env {
        if std::env::var_os(var).is_some() {
            ui::warn(&format!(
                "{var} was already set: the command gets the new value"
            ));
        }
    }
    crate::base::fault::point("exec:before_start");
    start(&program, &args.command, &env)
}

/// The accounts, each found linked, and the variables they will set, none set twice.
async fn plan<'c>(ctx: &'c Context, names: &[String]) -> CliResult<Vec<Planned<'c>>> {
    let mut prefixes: BTreeMap<String, AccountName> = BTreeMap::new();
    for given in names {
        let name = AccountName::parse(given)?;
        let prefix = format!("CREDLINK_{}", env_word(name.as_str()));
        if let Some(first) = prefixes.insert(prefix.clone(), name.clone()) {
            return Err(twice(&first, &name, &format!("{prefix}_...")));
        }
    }
    let mut planned = Vec::new();
    for (prefix, name) in prefixes {
        let account = ctx.store.linked(&name).await?;
        let connector = ctx.catalog.get(&account.connector)?;
        let mut prefixes = vec![prefix];
        if names.len() == 1 {
            prefixes.push("CREDLINK".to_owned());
        }
        planned.push(Planned {
            name,
            account,
            connector,
            prefixes,
        });
    }
    let mut taken: BTreeMap<String, &AccountName> = BTreeMap::new();
    for p in &planned {
        for var in variables(p) {
            if SETTINGS.contains(&var.as_str()) {
                return Err(CliError::usage(format!(
                    "`{}` would set {var}, one of credlink's own settings: a credlink the command runs would read a credential as that setting",
                    p.name
                ))
                .with_hint("rename the account, or the connector's field, so that no variable names a setting"));
            }
            match taken.insert(var.clone(), &p.name) {
                Some(first) if *first == p.name => {
                    return Err(CliError::usage(format!(
                        "`{}` would set {var} twice: connector `{}` has a field named like a variable credlink sets",
                        p.name, p.connector.id
                    )));
                }
                Some(first) => return Err(twice(first, &p.name, &var)),
                None => {}
            }
        }
    }
    Ok(planned)
}

/// The variables credlink reads as settings. No account's value may land in one: an account
/// named `store` with a field `allow_http`, or a connectors file's field `connectors`, would
/// otherwise configure a credlink that the command runs. (The credential variables, such as
/// `CREDLINK_API_KEY`, are what `exec` is for.)
const SETTINGS: &[&str] = &[
    "CREDLINK_CA_FILE",
    "CREDLINK_CONFIG_DIR",
    "CREDLINK_CONNECTORS",
    "CREDLINK_FAULT",
    "CREDLINK_FAULT_RESUME",
    "CREDLINK_KEYCHAIN_SERVICE",
    "CREDLINK_KEYCHAIN_TIMEOUT",
    "CREDLINK_REFRESH_WAIT",
    "CREDLINK_STORE",
    "CREDLINK_STORE_ALLOW_HTTP",
    "CREDLINK_UPDATE_DOCS",
    "CREDLINK_UPDATE_MAN",
];

/// Two accounts (or one, twice) would set the same variable.
fn twice(first: &AccountName, second: &AccountName, var: &str) -> CliError {
    let who = if first == second {
        format!("`{first}` is named twice: it would set {var} twice")
    } else {
        format!("`{first}` and `{second}` would both set {var}")
    };
    CliError::usage(who).with_hint(
        "name each account once; accounts whose names differ only in `-`, `.` or `_` run with one `credlink exec` inside another",
    )
}

/// Every variable an account may set: its values, under each of its prefixes.
fn variables(p: &Planned<'_>) -> Vec<String> {
    let words: Vec<String> = if p.connector.auth().issues_tokens() {
        vec!["TOKEN".into(), "EXPIRES_AT".into()]
    } else {
        p.connector.fields.iter().map(|f| env_word(&f.id)).collect()
    };
    let words = words.into_iter().chain(["BASE_URL".to_owned()]);
    words
        .flat_map(|w| p.prefixes.iter().map(move |prefix| format!("{prefix}_{w}")))
        .collect()
}

/// A name as a part of a variable name: uppercased, every other character `_`.
fn env_word(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The variables of one account: an access token where the account is checked with one (the
/// secrets that get it stay here), else the API key's fields; the API's address where known.
/// `Err` is the class of why there are none, said on stderr.
async fn credentials(
    ctx: &Context,
    p: Planned<'_>,
    want: &Freshness,
) -> CliResult<Result<Vec<(String, Secret)>, Class>> {
    let first = match stored(ctx, p.account, false).await {
        Ok(found) => found,
        Err((_, failure)) => {
            return Ok(Err(token::refused_locally(
                ctx,
                p.connector,
                &p.name,
                failure,
            )));
        }
    };
    let prepared = prepare(first.connector, first.given.clone());
    let mut values: Vec<(String, Secret)> = Vec::new();
    if first.connector.auth().issues_tokens() {
        let base = prepared
            .ok()
            .and_then(|prepared| base_url(first.connector, &prepared.creds));
        let token = match token::obtain(ctx, &p.name, first, want).await? {
            Got::Token { token, .. } => token,
            Got::Refused(class) => return Ok(Err(class)),
        };
        if let Some(at) = token::expires_at(&token) {
            values.push(("EXPIRES_AT".into(), Secret::new(at)));
        }
        values.push(("TOKEN".into(), token.access_token));
        values.extend(base.map(|url| ("BASE_URL".into(), Secret::new(url.to_string()))));
    } else {
        let creds = match prepared {
            Ok(prepared) => prepared.creds,
            Err(f) => return Ok(Err(token::refused_locally(ctx, p.connector, &p.name, f))),
        };
        for field in &first.connector.fields {
            let value = creds
                .secrets
                .get(&field.id)
                .cloned()
                .or_else(|| creds.values.get(&field.id).map(Secret::new));
            values.extend(value.map(|v| (env_word(&field.id), v)));
        }
        values.extend(
            base_url(first.connector, &creds)
                .map(|url| ("BASE_URL".into(), Secret::new(url.to_string()))),
        );
    }
    Ok(Ok(values
        .iter()
        .flat_map(|(word, value)| {
            p.prefixes
                .iter()
                .map(move |prefix| (format!("{prefix}_{word}"), value.clone()))
        })
        .collect()))
}

/// The address of the account's API, for `PREFIX_BASE_URL`: the connector's `api_base`, where
/// it has one (a user's own entry may leave it out).
fn base_url(connector: &Connector, creds: &Credentials) -> Option<Url> {
    provider::api_base_url(connector, creds).ok()
}

/// The command's file, found as a shell finds it (in `PATH` unless the name has a `/`), before
/// any credential is read: a command that cannot run spends no token.
#[cfg(unix)]
fn find_program(command: &OsStr) -> CliResult<PathBuf> {
    let shown = text::clean_truncated(&command.to_string_lossy(), 80);
    if command.is_empty() {
        return Err(CliError::usage("the command after `--` is empty"));
    }
    let candidates: Vec<PathBuf> = if command.to_string_lossy().contains('/') {
        vec![PathBuf::from(command)]
    } else {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        std::env::split_paths(&path)
            .map(|dir| dir.join(command))
            .collect()
    };
    let mut found_unrunnable = None;
    for candidate in candidates {
        match runnable(&candidate) {
            Some(true) => return Ok(candidate),
            Some(false) => found_unrunnable = found_unrunnable.or(Some(candidate)),
            None => {}
        }
    }
    Err(match found_unrunnable {
        Some(path) => CliError::new(
            Class::CommandNotRunnable,
            format!(
                "`{shown}` cannot be run: {} is not an executable file",
                path.display()
            ),
        ),
        None => CliError::new(
            Class::CommandNotFound,
            format!("command not found: `{shown}`"),
        )
        .with_hint("a name without `/` is looked up in PATH, as a shell does"),
    })
}

/// `Some(true)` for an executable file, `Some(false)` for something else that exists.
#[cfg(unix)]
fn runnable(path: &Path) -> Option<bool> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    Some(meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Elsewhere the command is found as it is started (`PATHEXT` and all).
#[cfg(not(unix))]
fn find_program(command: &OsStr) -> CliResult<PathBuf> {
    Ok(PathBuf::from(command))
}

/// Becomes the command, its environment with `env` added: returns only when that failed.
#[cfg(unix)]
fn start(program: &Path, command: &[OsString], env: &[(String, Secret)]) -> CliResult<Class> {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    cmd.arg0(&command[0]).args(&command[1..]);
    for (var, value) in env {
        cmd.env(var, value.expose());
    }
    Err(not_started(program, &cmd.exec()))
}

/// Runs the command, its environment with `env` added, and ends with its exit code.
#[cfg(not(unix))]
fn start(program: &Path, command: &[OsString], env: &[(String, Secret)]) -> CliResult<Class> {
    let mut cmd = std::process::Command::new(program);
    cmd.args(&command[1..]);
    for (var, value) in env {
        cmd.env(var, value.expose());
    }
    let status = cmd.status().map_err(|e| not_started(program, &e))?;
    std::process::exit(status.code().unwrap_or(1))
}

/// The command could not be started: 127 when its file is gone, else 126, as a shell says.
fn not_started(program: &Path, e: &std::io::Error) -> CliError {
    let class = if e.kind() == std::io::ErrorKind::NotFound {
        Class::CommandNotFound
    } else {
        Class::CommandNotRunnable
    };
    CliError::new(
        class,
        format!(
            "cannot run {}: {e}",
            text::clean(&program.display().to_string())
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `CREDLINK_…` name the source reads, but the credentials `exec` hands over, is in
    /// [`SETTINGS`]: a setting added later is kept from accounts' values too.
    #[test]
    fn every_setting_credlink_reads_is_kept_from_accounts_values() {
        let credentials = [
            "CREDLINK_API_KEY",
            "CREDLINK_CLIENT_ID",
            "CREDLINK_CLIENT_SECRET",
        ];
        let name = regex_lite::Regex::new(r#""(CREDLINK_[A-Z_]+)""#).unwrap();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for found in name.captures_iter(&text) {
                        let var = &found[1];
                        assert!(
                            SETTINGS.contains(&var) || credentials.contains(&var),
                            "{var} ({}) is neither a setting exec keeps out nor a credential",
                            path.display()
                        );
                    }
                }
            }
        }
    }
}
