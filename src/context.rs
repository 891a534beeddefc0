//! Everything a command needs, resolved once from flags and environment before it runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Cli, Command};
use crate::connectors::Catalog;
use crate::error::{CliError, CliResult};
use crate::provider::http::Http;
use crate::store::keychain::Keychain;
use crate::store::{Index, Store};
use crate::{files, ui};

/// The keychain service name; another value keeps a separate set of secrets (as tests do).
pub(crate) const ENV_KEYCHAIN_SERVICE: &str = "CREDLINK_KEYCHAIN_SERVICE";
/// Seconds to wait for the keychain instead of 30.
pub(crate) const ENV_KEYCHAIN_TIMEOUT: &str = "CREDLINK_KEYCHAIN_TIMEOUT";
/// A keychain call waiting on an unlock dialog must not hang a CI job.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// A CA bundle larger than this is not one.
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

pub(crate) struct Context {
    pub(crate) catalog: Catalog,
    pub(crate) store: Store,
    pub(crate) http: Http,
    pub(crate) json: bool,
    pub(crate) interactive: bool,
    /// Whether checks make the connector's permission call (`test --no-permission-check`).
    pub(crate) check_permissions: bool,
}

impl Context {
    pub(crate) fn new(cli: &Cli) -> CliResult<Self> {
        let catalog = Catalog::load(connectors_file(cli).as_deref())?;
        let trace: Option<crate::provider::http::TraceSink> = if cli.verbose {
            Some(Box::new(ui::trace))
        } else {
            None
        };
        Ok(Self {
            catalog,
            store: store(cli)?,
            http: Http::new(
                Duration::from_secs(cli.timeout),
                trace,
                extra_roots(flag_or_env(&cli.ca_file, "CREDLINK_CA_FILE").as_deref())?,
            ),
            json: cli.json,
            interactive: ui::can_prompt(cli.no_input),
            check_permissions: !matches!(&cli.command, Command::Test(t) if t.no_permission_check),
        })
    }
}

/// The store: the index in the config dir, secrets in the OS keychain. Nothing is opened yet.
pub(crate) fn store(cli: &Cli) -> CliResult<Store> {
    let service = std::env::var(ENV_KEYCHAIN_SERVICE).unwrap_or_else(|_| "credlink".to_owned());
    let timeout = std::env::var(ENV_KEYCHAIN_TIMEOUT)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0 && *s <= 3600.0)
        .map_or(KEYCHAIN_TIMEOUT, Duration::from_secs_f64);
    Ok(Store::new(
        Index::new(config_dir(cli)?),
        Arc::new(Keychain::new(&service)),
        timeout,
    ))
}

/// The certificates of `--ca-file`, trusted in addition to the system's.
fn extra_roots(path: Option<&Path>) -> CliResult<Vec<reqwest::Certificate>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let pem = files::read_regular_bytes(path, MAX_CA_FILE_BYTES)
        .map_err(|e| CliError::usage(format!("--ca-file: cannot read {}: {e}", path.display())))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        CliError::usage(format!(
            "--ca-file: {} is not a PEM certificate bundle: {e}",
            path.display()
        ))
    })?;
    if certs.is_empty() {
        return Err(CliError::usage(format!(
            "--ca-file: {} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// The user's connectors file: `--connectors`, else `CREDLINK_CONNECTORS`.
pub(crate) fn connectors_file(cli: &Cli) -> Option<PathBuf> {
    flag_or_env(&cli.connectors, "CREDLINK_CONNECTORS")
}

/// A path from its flag, else from its environment variable (an empty one is unset). Read
/// here rather than by clap, so that usage lines never show an option the environment set.
fn flag_or_env(flag: &Option<PathBuf>, var: &str) -> Option<PathBuf> {
    flag.clone().or_else(|| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Where the index lives: --config-dir, else the platform config dir + credlink.
fn config_dir(cli: &Cli) -> CliResult<PathBuf> {
    match flag_or_env(&cli.config_dir, "CREDLINK_CONFIG_DIR") {
        Some(dir) => Ok(dir),
        None => directories::BaseDirs::new()
            .map(|base| base.config_dir().join("credlink"))
            .ok_or_else(|| {
                CliError::usage("cannot find your home directory").with_hint("pass --config-dir")
            }),
    }
}
