//! Everything a command needs, resolved once from flags and environment before it runs.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::Cli;
use crate::connectors::Catalog;
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
}

impl Context {
    pub fn new(cli: &Cli) -> anyhow::Result<Self> {
        let catalog = Catalog::load(cli.connectors.as_deref())?;
        let dir = match &cli.config_dir {
            Some(dir) => dir.clone(),
            None => default_config_dir()?,
        };
        let service = std::env::var(ENV_KEYCHAIN_SERVICE).unwrap_or_else(|_| "credlink".to_owned());
        Ok(Self {
            catalog,
            index: Index::new(dir),
            keychain: Keychain::new(&service),
            http: Http::new(Duration::from_secs(cli.timeout), cli.verbose)?,
            json: cli.json,
            verbose: cli.verbose,
            interactive: ui::can_prompt(cli.no_input),
        })
    }
}

fn default_config_dir() -> anyhow::Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .context("cannot find your home directory; pass --config-dir")?;
    Ok(base.config_dir().join("credlink"))
}
