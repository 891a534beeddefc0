//! Everything a command needs, resolved once from flags and environment before it runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::base::files;
use crate::catalog::Catalog;
use crate::cli::{Cli, Command};
use crate::commands::error::{CliError, CliResult};
use crate::provider::http::Http;
use crate::store::keychain::Keychain;
use crate::store::vault::{self, VaultStore};
use crate::store::{Index, Store, StoreSpec, Turn, Waiting};
use crate::terminal::ui;

/// The keychain service name; another value keeps a separate set of secrets (as tests do).
pub(crate) const ENV_KEYCHAIN_SERVICE: &str = "CREDLINK_KEYCHAIN_SERVICE";
/// Seconds to wait for the keychain instead of 30.
pub(crate) const ENV_KEYCHAIN_TIMEOUT: &str = "CREDLINK_KEYCHAIN_TIMEOUT";
/// A keychain call waiting on an unlock dialog must not hang a CI job.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds to wait for another run's turn with an account's refresh token, instead of as
/// long as that turn may last.
pub(crate) const ENV_REFRESH_WAIT: &str = "CREDLINK_REFRESH_WAIT";
/// The store, when neither `--store` nor the config file names one.
pub(crate) const ENV_STORE: &str = "CREDLINK_STORE";
/// The config file in the config dir; today it names the store.
const CONFIG_FILE: &str = "config.toml";
const MAX_CONFIG_BYTES: u64 = 64 * 1024;
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
    /// How long a run may hold an account's refresh lease, and wait for another's.
    pub(crate) refresh_hold: Duration,
    pub(crate) refresh_wait: Duration,
    /// What no `--output` or `--report` may replace: the config dir (the index, its locks,
    /// config.toml) and the files this run reads (connectors, CA bundle), resolved.
    pub(crate) kept: Vec<PathBuf>,
}

impl Context {
    pub(crate) fn new(cli: &Cli) -> CliResult<Self> {
        let connectors = connectors_file(cli);
        let catalog = Catalog::load(connectors.as_deref())?;
        let ca_file = flag_or_env(&cli.ca_file, "CREDLINK_CA_FILE");
        let config = config_dir(cli)?;
        let trace: Option<crate::net::TraceSink> = if cli.verbose {
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
                extra_roots(ca_file.as_deref())?,
            ),
            json: cli.json,
            interactive: ui::can_prompt(cli.no_input),
            check_permissions: !matches!(&cli.command, Command::Test(t) if t.no_permission_check),
            refresh_hold: refresh_hold(cli.timeout),
            refresh_wait: refresh_wait(cli)?,
            kept: crate::commands::formats::output::kept(
                [
                    Some(config.as_path()),
                    connectors.as_deref(),
                    ca_file.as_deref(),
                ]
                .into_iter()
                .flatten(),
            ),
        })
    }
}

/// How long to wait for another run's turn with an account's refresh token:
/// `CREDLINK_REFRESH_WAIT`, else as long as that turn may last.
impl Context {
    /// This run's turn with an account's refresh token: how long it may be held and waited
    /// for, and the note a wait prints.
    pub(crate) fn turn(&self) -> Turn<'static> {
        Turn {
            hold: self.refresh_hold,
            wait: self.refresh_wait,
            waiting: &say_waiting,
        }
    }
}

/// Said once, on stderr, when a run has to wait for another's turn with a refresh token.
pub(crate) fn say_waiting(waiting: &Waiting) {
    ui::note(&format!(
        "waiting for another credlink run that is refreshing `{}`{}",
        waiting.name, waiting.holder
    ));
}

pub(crate) fn refresh_wait(cli: &Cli) -> CliResult<Duration> {
    let Some(value) = std::env::var_os(ENV_REFRESH_WAIT) else {
        return Ok(refresh_hold(cli.timeout));
    };
    match value.to_str().and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(secs) if secs <= 3600 => Ok(Duration::from_secs(secs)),
        _ => Err(CliError::usage(format!(
            "{ENV_REFRESH_WAIT} must be a whole number of seconds from 0 to 3600, not `{}`",
            crate::base::text::clean_truncated(&value.to_string_lossy(), 40)
        ))),
    }
}

/// As long as a refresh may take: the token request with its retries (each up to `timeout`,
/// a `Retry-After` up to 10 s between them), then storing a rotated token.
pub(crate) fn refresh_hold(timeout_secs: u64) -> Duration {
    Duration::from_secs(4 * timeout_secs + 20)
}

/// The store of this run (`--store`, else `CREDLINK_STORE`, else the config file, else the
/// keychain). Nothing is opened yet.
pub(crate) fn store(cli: &Cli) -> CliResult<Store> {
    let dir = config_dir(cli)?;
    let spec = match cli
        .store
        .clone()
        .or_else(|| std::env::var(ENV_STORE).ok().filter(|v| !v.is_empty()))
    {
        Some(value) => StoreSpec::parse(value.trim())?,
        None => configured_store(&dir)?.unwrap_or(StoreSpec::Keychain),
    };
    open_store(cli, &spec, dir)
}

/// A store by its spec, for `store copy` as for every other command.
pub(crate) fn open_store(cli: &Cli, spec: &StoreSpec, dir: PathBuf) -> CliResult<Store> {
    match spec {
        StoreSpec::Keychain => {
            let service =
                std::env::var(ENV_KEYCHAIN_SERVICE).unwrap_or_else(|_| "credlink".to_owned());
            let timeout = std::env::var(ENV_KEYCHAIN_TIMEOUT)
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| *s > 0.0 && *s <= 3600.0)
                .map_or(KEYCHAIN_TIMEOUT, Duration::from_secs_f64);
            Ok(Store::new(
                Index::new(dir),
                Arc::new(Keychain::new(&service)),
                timeout,
            ))
        }
        StoreSpec::Vault { mount, prefix } => {
            let secret_id = cli.secret_id_stdin.then(read_secret_id).transpose()?;
            let home = directories::BaseDirs::new().map(|b| b.home_dir().to_owned());
            let config = vault::Config::from_env(&|var| std::env::var(var).ok(), secret_id, home)?;
            let trace: Option<crate::net::TraceSink> = if cli.verbose {
                Some(Box::new(ui::trace))
            } else {
                None
            };
            let client = vault::Client::new(config, trace)?;
            for var in client.plain_http() {
                ui::err(&format!(
                    "warning: {var} is plain http to another machine ({} is set): the token credlink sends, and every secret it sends or receives, cross the network unencrypted",
                    vault::ENV_ALLOW_HTTP
                ));
            }
            if client.skip_verify() {
                ui::err(
                    "warning: BAO_SKIP_VERIFY (or VAULT_SKIP_VERIFY) is set: the team store's TLS certificate is NOT verified, so anyone on the network path can read every secret credlink sends or receives",
                );
            }
            Ok(Store::vault(VaultStore::new(
                client,
                mount.clone(),
                prefix.clone(),
            )))
        }
    }
}

/// The AppRole secret id from stdin, without its line break.
fn read_secret_id() -> CliResult<crate::base::secret::Secret> {
    let text = crate::input::read_stdin(16 * 1024)
        .map_err(|e| CliError::usage(format!("--secret-id-stdin: cannot read stdin: {e}")))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(CliError::usage(
            "--secret-id-stdin: stdin held no AppRole secret id",
        ));
    }
    Ok(crate::base::secret::Secret::new(text))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    store: Option<String>,
}

/// The store named in the config dir's config.toml, if any.
fn configured_store(dir: &Path) -> CliResult<Option<StoreSpec>> {
    let path = dir.join(CONFIG_FILE);
    let text = match files::read_regular(&path, MAX_CONFIG_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::usage(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let config: ConfigFile = toml::from_str(&text).map_err(|e| {
        CliError::usage(format!("{} is not valid: {}", path.display(), e.message())).with_hint(
            "it may hold one key: store = \"keychain\" or store = \"vault:MOUNT/PREFIX\"",
        )
    })?;
    config
        .store
        .map(|s| {
            StoreSpec::parse(s.trim())
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
        })
        .transpose()
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
pub(crate) fn config_dir(cli: &Cli) -> CliResult<PathBuf> {
    match flag_or_env(&cli.config_dir, "CREDLINK_CONFIG_DIR") {
        Some(dir) => Ok(dir),
        None => directories::BaseDirs::new()
            .map(|base| base.config_dir().join("credlink"))
            .ok_or_else(|| {
                CliError::usage("cannot find your home directory").with_hint("pass --config-dir")
            }),
    }
}
