//! The command-line surface (clap derive). Help text lives on the flags.

use crate::input::Flags;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::base::outcome::exit_codes_help;

#[derive(Debug, Parser)]
#[command(
    name = "credlink",
    version,
    about = "Link third-party SaaS accounts from a terminal: credentials are checked live, secrets kept in the OS keychain or a team's Vault / OpenBao",
    after_help = exit_codes_help(),
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) connectors: Option<PathBuf>,

    /// Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config
    /// dir + credlink]
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) config_dir: Option<PathBuf>,

    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Never prompt; a missing value is an error naming its flag
    #[arg(long, global = true)]
    pub(crate) no_input: bool,

    /// Trace every request on stderr (secrets are always redacted)
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,

    /// Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy's
    /// (or set CREDLINK_CA_FILE)
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,

    /// Where accounts are kept: `keychain` (the OS keychain and an index file), or
    /// `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set
    /// CREDLINK_STORE, or `store = "..."` in the config dir's config.toml) [default: keychain]
    #[arg(long, global = true, value_name = "STORE")]
    pub(crate) store: Option<String>,

    /// Read the team store's AppRole secret id from stdin (with BAO_ROLE_ID set)
    #[arg(long, global = true)]
    pub(crate) secret_id_stdin: bool,

    /// Seconds to wait for a provider
    #[arg(long, global = true, default_value_t = 15, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub(crate) timeout: u64,
}

/// This run's command line as a command to type, with `extra` flags added (before a `--`): a
/// hint that says to run it again (or again with `--force`) names the command that was run,
/// with its options (the store among them). Flags never carry a secret, so it can be shown.
pub(crate) fn again(extra: &[&str]) -> String {
    let mut args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    args.splice(at..at, extra.iter().map(|a| (*a).to_owned()));
    let mut line = String::from("credlink");
    for arg in args {
        line.push(' ');
        line.push_str(&shell_quoted(&arg));
    }
    line
}

/// `arg` as a POSIX shell reads it back: as is when it holds nothing the shell would
/// interpret, else in single quotes.
fn shell_quoted(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the connectors in the catalog, or show one with the steps to get credentials
    Connectors(ConnectorsArgs),
    /// Link an account: ask for its credentials, check them live, then save them
    Link(LinkArgs),
    /// List linked accounts (reads no secret)
    List,
    /// Show the versions of an account in the team store: when each was linked, and by whom
    History(HistoryArgs),
    /// Work on stores as a whole
    #[command(subcommand)]
    Store(StoreCommand),
    /// Check stored accounts, or credentials given by environment/stdin, with a live request
    Test(TestArgs),
    /// Print a fresh access token for a linked OAuth account (cached until shortly before expiry)
    Token(TokenArgs),
    /// Run a command with fresh credentials of linked accounts in its environment, never on a
    /// command line
    Exec(ExecArgs),
    /// Send a request to a linked account's API with its credentials applied (a path under
    /// the connector's API base only)
    Api(ApiArgs),
    /// Revoke a linked account's token at the provider (where the connector can), then remove
    /// the account from its store
    Revoke(RevokeArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ConnectorsArgs {
    /// Show this connector in full; any other word lists the connectors whose id or name
    /// contains it
    #[arg(value_name = "CONNECTOR|WORD")]
    pub(crate) id: Option<String>,

    /// Only connectors of this kind of product
    #[arg(long, value_enum, value_name = "CATEGORY")]
    pub(crate) category: Option<crate::catalog::Category>,

    /// Only connectors of this auth kind
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) auth: Option<crate::catalog::AuthKind>,
}

/// Where each credential comes from when not prompted for. Secrets never come from a flag
/// value: flags' values are visible to other users in `ps`.
#[derive(Debug, Args, Default)]
pub(crate) struct CredentialArgs {
    /// The account's subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that
    /// sign-in address works too)
    #[arg(long, value_name = "SUBDOMAIN")]
    pub(crate) subdomain: Option<String>,

    /// OAuth client ID, or the connector's client-id field (or set CREDLINK_CLIENT_ID)
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,

    /// Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)
    #[arg(long, conflicts_with_all = ["api_key_stdin", "secret_stdin"])]
    pub(crate) client_secret_stdin: bool,

    /// Read the API key from stdin (or set CREDLINK_API_KEY)
    #[arg(long, conflicts_with = "secret_stdin")]
    pub(crate) api_key_stdin: bool,

    /// Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set
    /// CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)
    #[arg(long, value_name = "FIELD")]
    pub(crate) secret_stdin: Option<String>,

    /// Any other field the connector asks for, e.g. --field region=eu (repeatable)
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub(crate) fields: Vec<String>,

    /// A field's value from a file, e.g. --field-file private_key=key.pem for a PEM key or
    /// certificate, or a service account's JSON key file (repeatable; secrets too: a path is not
    /// a secret)
    #[arg(long = "field-file", value_name = "KEY=PATH")]
    pub(crate) field_files: Vec<String>,

    /// Scope to request instead of the connector's default (OAuth only)
    #[arg(long, value_name = "SCOPE")]
    pub(crate) scope: Option<String>,
}

impl CredentialArgs {
    /// The values as `input` takes them: plain values, nothing of clap.
    pub(crate) fn flags(&self) -> Flags {
        Flags {
            subdomain: self.subdomain.clone(),
            client_id: self.client_id.clone(),
            client_secret_stdin: self.client_secret_stdin,
            api_key_stdin: self.api_key_stdin,
            secret_stdin: self.secret_stdin.clone(),
            fields: self.fields.clone(),
            field_files: self.field_files.clone(),
            scope: self.scope.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct LinkArgs {
    /// Connector id, as listed by `credlink connectors`
    #[arg(value_name = "CONNECTOR")]
    pub(crate) connector: String,

    /// Name for this account [default: the connector id, or CONNECTOR-SUBDOMAIN]
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,

    /// Replace an existing account of the same name
    #[arg(long)]
    pub(crate) force: bool,

    /// Browser sign-in (oauth2_authorization_code): listen for the redirect on this port of
    /// 127.0.0.1 instead of the connector's; register http://127.0.0.1:PORT/callback at the
    /// provider
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) redirect_port: Option<u16>,

    /// Browser sign-in: do not open a browser; open the printed address yourself (or on
    /// another machine, then paste the address it was sent to; with a device code, enter the
    /// code shown there)
    #[arg(long)]
    pub(crate) no_browser: bool,

    /// Browser sign-in or device code: seconds to wait for the sign-in to finish
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub(crate) wait: u64,

    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when every account is valid, else 3 if any was rejected, else the code of the first failure, else 8 if --fail-on-expiring and a credential expires within --warn-within."
)]
pub(crate) struct TestArgs {
    /// Accounts to test
    #[arg(value_name = "NAME", conflicts_with_all = ["all", "connector"])]
    pub(crate) names: Vec<String>,

    /// Test every linked account
    #[arg(long, conflicts_with = "connector")]
    pub(crate) all: bool,

    /// Check credentials given by flags, environment or stdin for this connector, storing nothing
    #[arg(long, value_name = "CONNECTOR")]
    pub(crate) connector: Option<String>,

    /// Walk the whole path step by step (input, DNS, connect, TLS, HTTP, OAuth, permissions) and
    /// stop at the first step that fails
    #[arg(long)]
    pub(crate) explain: bool,

    /// Requests in flight at once
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,

    /// Do not make the connector's read-only permission call after the token request
    #[arg(long)]
    pub(crate) no_permission_check: bool,

    /// The results for CI and monitoring; without it the human text (GitHub annotations after
    /// it when GITHUB_ACTIONS=true)
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "explain")]
    pub(crate) format: Option<TestFormat>,

    /// Write the --format results to FILE (whole or not at all) and the human text to stdout
    #[arg(long, value_name = "FILE", requires = "format")]
    pub(crate) output: Option<PathBuf>,

    /// Write an HTML report to FILE: each account's status, an expiry timeline and each failing
    /// account's --explain steps, in one file that opens offline and holds no secret
    #[arg(long, value_name = "FILE", conflicts_with = "explain")]
    pub(crate) report: Option<PathBuf>,

    /// Warn about a valid credential that expires within this time (e.g. 30d, 12h)
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_window)]
    pub(crate) warn_within: std::time::Duration,

    /// Fail with exit code 8 when a credential expires within --warn-within (for CI jobs that
    /// must page)
    #[arg(long)]
    pub(crate) fail_on_expiring: bool,

    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}

/// What `test --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TestFormat {
    /// The human text (also under GitHub Actions: no annotations)
    Text,
    /// JUnit XML, one test case per account (GitLab, Jenkins, GitHub test reports)
    Junit,
    /// The human text, then a GitHub Actions annotation per account (::error, ::notice)
    Github,
    /// JSON Lines: `test --json`'s object for each account as its check finishes
    Jsonl,
    /// Prometheus text format for node_exporter's textfile collector
    Prometheus,
}

/// A warning window: a duration such as `30d` or `12h`, at most ten years.
fn parse_window(value: &str) -> Result<std::time::Duration, String> {
    let bad = || {
        let shown = crate::base::text::clean_truncated(value, 40);
        format!("`{shown}` is not a duration such as 30d, 12h or 1w")
    };
    let window = humantime::parse_duration(value).map_err(|_| bad())?;
    if window.as_secs() > crate::base::outcome::MAX_EXPIRES_IN {
        return Err("the window is longer than ten years".into());
    }
    Ok(window)
}

#[derive(Debug, Args)]
#[command(
    after_help = "Prints only the token on stdout, for `$(credlink token NAME)`; --json adds its expiry."
)]
pub(crate) struct TokenArgs {
    /// Linked account
    #[arg(value_name = "NAME")]
    pub(crate) name: String,

    /// Reuse a cached token only while it stays valid this many more seconds
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub(crate) min_ttl: u64,

    /// Always request a new token
    #[arg(long)]
    pub(crate) fresh: bool,
}

#[derive(Debug, Args)]
#[command(after_help = EXEC_HELP)]
pub(crate) struct ExecArgs {
    /// Linked accounts whose credentials the command gets
    // Indexes fixed: completion adds a completer to `names`, which moves it behind `command`.
    #[arg(value_name = "NAME", required = true, index = 1)]
    pub(crate) names: Vec<String>,

    /// Reuse a cached token only while it stays valid this many more seconds
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub(crate) min_ttl: u64,

    /// Always request new tokens
    #[arg(long)]
    pub(crate) fresh: bool,

    /// The command and its arguments, after `--`
    #[arg(value_name = "CMD", last = true, required = true, index = 2)]
    pub(crate) command: Vec<std::ffi::OsString>,
}

const EXEC_HELP: &str = "\
Variables, per account (PREFIX is CREDLINK_ and the name uppercased, other characters `_`: \
`acme-hr` gives CREDLINK_ACME_HR):
  PREFIX_TOKEN       an access token (accounts that issue tokens), valid --min-ttl more seconds
  PREFIX_EXPIRES_AT  when that token expires (RFC 3339), when the provider said
  PREFIX_<FIELD>     an API-key account's fields by id, e.g. PREFIX_API_KEY
  PREFIX_BASE_URL    the address of the account's API, where known
With one NAME, the same without the name too: CREDLINK_TOKEN, CREDLINK_BASE_URL, ...
A client secret, refresh token or private key is never given: the token is.

credlink becomes the command (exec): its signals, stdin, stdout and stderr are the command's, \
and so is its exit status. Exit 127 when the command is not found, 126 when it cannot be run; \
otherwise credlink's own codes only when the credentials could not be had (nothing is run).";

#[derive(Debug, Args)]
#[command(after_help = API_HELP)]
pub(crate) struct ApiArgs {
    /// Linked account
    // The index is fixed: adding a completer to this argument moves it after PATH otherwise.
    #[arg(value_name = "NAME", index = 1)]
    pub(crate) name: String,

    /// Path under the connector's API base (`credlink connectors ID` shows it), with an
    /// optional query, e.g. `persons?limit=1`
    #[arg(value_name = "PATH", index = 2)]
    pub(crate) path: String,

    /// The HTTP method [default: GET]; a request with a body needs one, e.g. -X POST
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub(crate) method: Option<String>,

    /// A request header, e.g. -H 'Accept: text/csv' (repeatable); not the credential's
    /// header or Host
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,

    /// A string field of a JSON object sent as the body, e.g. -f name=Ada (repeatable; with
    /// -X)
    #[arg(
        short = 'f',
        long = "raw-field",
        value_name = "KEY=VALUE",
        conflicts_with = "input"
    )]
    pub(crate) fields: Vec<String>,

    /// Send this file as the body, or stdin with `-` (with -X)
    #[arg(long, value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,

    /// Print the status line and the response headers before the body
    #[arg(short = 'i', long)]
    pub(crate) include: bool,
}

const API_HELP: &str = "The answer's body goes to stdout as the provider sent it (JSON pretty-printed at a terminal). Exit status: 0 for a 2xx answer; 3 for 401 or 403 (the credential was refused); 4 for a redirect (never followed), 408, 429, a 5xx answer or no answer; 1 for any other 4xx (the request itself was refused); 2 for a PATH that could leave the API base, which is refused before anything is sent.";

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// Account to remove
    #[arg(value_name = "NAME")]
    pub(crate) name: String,

    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,

    /// Remove the account here without revoking its token at the provider (it stays valid
    /// until it expires)
    #[arg(long)]
    pub(crate) local: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Linked account
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Copy accounts (record and secret) from one store to another, reading each back
    Copy(StoreCopyArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: credlink store copy --from keychain --to vault:secret/credlink --all"
)]
pub(crate) struct StoreCopyArgs {
    /// The store to copy from: `keychain` or `vault:MOUNT/PREFIX`
    #[arg(long, value_name = "STORE")]
    pub(crate) from: String,

    /// The store to copy to: `keychain` or `vault:MOUNT/PREFIX`
    #[arg(long, value_name = "STORE")]
    pub(crate) to: String,

    /// Accounts to copy
    #[arg(
        value_name = "NAME",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub(crate) names: Vec<String>,

    /// Copy every account of the source store
    #[arg(long)]
    pub(crate) all: bool,

    /// Remove each account from the source once its copy has been read back
    #[arg(long = "move")]
    pub(crate) move_: bool,

    /// Replace accounts of the same name in the target store
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to print completions for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,

    /// Print the fixed script (as in completions/), which completes no connector or account
    /// names [default: a script that asks credlink at each Tab]
    #[arg(long = "static")]
    pub(crate) static_script: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_only_where_the_shell_would_read_them_otherwise() {
        assert_eq!(
            shell_quoted("vault:secret/credlink"),
            "vault:secret/credlink"
        );
        assert_eq!(shell_quoted("--field=region=eu"), "--field=region=eu");
        assert_eq!(shell_quoted("a b"), "'a b'");
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
        assert_eq!(shell_quoted(""), "''");
        assert_eq!(shell_quoted("$HOME"), "'$HOME'");
    }
}
