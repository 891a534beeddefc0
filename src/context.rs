//! Everything a command needs, resolved once from flags and environment before it runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::Cli;
use crate::connectors::Catalog;
use crate::error::CliError;
use crate::http::Http;
use crate::store::{Index, Keychain};
use crate::ui;

/// The keychain service name; another value keeps a separate set of secrets (as tests do).
pub const ENV_KEYCHAIN_SERVICE: &str = "CREDLINK_KEYCHAIN_SERVICE";

pub struct Context {
    pub catalog: Catalog,
    pub index: Index,
    pub keychain: Keychain,
    pub http: Http,
    pub json: bool,
    pub verbose: bool,
    pub interactive: bool,
    pub timeout: Duration,
}

impl Context {
    pub fn new(cli: &Cli) -> anyhow::Result<Self> {
        let catalog = Catalog::load(cli.connectors.as_deref())?;
        let dir = config_dir(cli)?;
        let service = std::env::var(ENV_KEYCHAIN_SERVICE).unwrap_or_else(|_| "credlink".to_owned());
        Ok(Self {
            catalog,
            index: Index::new(dir),
            keychain: Keychain::new(&service),
            http: Http::new(
                Duration::from_secs(cli.timeout),
                cli.verbose,
                extra_roots(cli.ca_file.as_deref())?,
            ),
            json: cli.json,
            verbose: cli.verbose,
            interactive: ui::can_prompt(cli.no_input),
            timeout: Duration::from_secs(cli.timeout),
        })
    }
}

/// The certificates of `--ca-file`, trusted in addition to the system's.
fn extra_roots(path: Option<&Path>) -> Result<Vec<reqwest::Certificate>, CliError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path)
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

/// Where the index lives: --config-dir, else the platform config dir + credlink.
pub fn config_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    match &cli.config_dir {
        Some(dir) => Ok(dir.clone()),
        None => default_config_dir(),
    }
}

fn default_config_dir() -> anyhow::Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .context("cannot find your home directory; pass --config-dir")?;
    Ok(base.config_dir().join("credlink"))
}
