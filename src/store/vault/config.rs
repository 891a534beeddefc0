//! The team store's settings by the Vault/OpenBao conventions (`BAO_*`, else `VAULT_*`):
//! address, namespace, how to log in (token, token file, AppRole, JWT), TLS, timeouts, and
//! the rule that no token goes over plain http to another machine unless allowed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::VaultError;
use super::jwt::{JwtLogin, JwtSource};
use crate::base::files;
use crate::base::secret::Secret;
use crate::base::text;

/// Certificates, keys and token files are small.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Allows plain http to a team store (or GitHub's token service) on another machine.
pub(crate) const ENV_ALLOW_HTTP: &str = "CREDLINK_STORE_ALLOW_HTTP";

/// How credlink logs in.
pub(crate) enum Auth {
    Token(Secret),
    AppRole { role_id: String, secret_id: Secret },
    Jwt(JwtLogin),
    None,
}

/// Where the server is and how to reach it, from the environment.
pub(crate) struct Config {
    pub(crate) addr: Url,
    pub(crate) namespace: Option<String>,
    pub(crate) auth: Auth,
    pub(crate) roots: Vec<reqwest::Certificate>,
    pub(crate) identity: Option<reqwest::Identity>,
    pub(crate) skip_verify: bool,
    pub(crate) timeout: Duration,
    /// `BAO_TLS_SERVER_NAME`: the name to ask for (SNI) and to verify the certificate
    /// against, instead of the address's host (a server reached by IP or through a tunnel).
    pub(crate) server_name: Option<String>,
    /// The settings that send a credential over plain http to another machine, as
    /// [`ENV_ALLOW_HTTP`] allowed.
    pub(crate) plain_http: Vec<String>,
}

/// Reads `BAO_<NAME>`, else `VAULT_<NAME>`, as OpenBao does: a `BAO_` variable that is present
/// but empty wins.
fn setting(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<(String, String)> {
    for var in [format!("BAO_{name}"), format!("VAULT_{name}")] {
        if let Some(value) = env(&var) {
            return Some((var, value));
        }
    }
    None
}

fn nonempty(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<(String, String)> {
    setting(env, name).filter(|(_, v)| !v.trim().is_empty())
}

pub(super) fn config_error(message: String) -> VaultError {
    VaultError::Config(message)
}

fn read_file(var: &str, path: &Path) -> Result<Vec<u8>, VaultError> {
    files::read_regular_bytes(path, MAX_FILE_BYTES)
        .map_err(|e| config_error(format!("{var}: cannot read {}: {e}", path.display())))
}

/// Go's `strconv.ParseBool`, which Vault's CLI uses for `VAULT_SKIP_VERIFY`.
fn go_bool(var: &str, value: &str) -> Result<bool, VaultError> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "" | "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(config_error(format!(
            "{var} must be true or false, not `{}`",
            text::clean_truncated(other, 40)
        ))),
    }
}

impl Config {
    /// The settings from `env`. `secret_id` is the AppRole secret id read from stdin
    /// (`--secret-id-stdin`); `home` locates `~/.vault-token`.
    pub(crate) fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        secret_id: Option<Secret>,
        home: Option<PathBuf>,
    ) -> Result<Self, VaultError> {
        let (var, addr) = nonempty(env, "ADDR").ok_or_else(|| {
            config_error(
                "the team store needs its address: set BAO_ADDR (or VAULT_ADDR), e.g. https://vault.example.com:8200".into(),
            )
        })?;
        let addr = Url::parse(addr.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .filter(|u| u.username().is_empty() && u.password().is_none())
            .filter(|u| u.query().is_none() && u.fragment().is_none())
            .ok_or_else(|| {
                config_error(format!(
                    "{var} must be an http(s) address without credentials, e.g. https://vault.example.com:8200"
                ))
            })?;
        let namespace = match nonempty(env, "NAMESPACE") {
            Some((var, ns)) => {
                let ns = ns.trim().to_owned();
                // Sent as a header: a line break or control character would be refused by the
                // HTTP layer and look like a network failure.
                if !ns.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(config_error(format!(
                        "{var} may hold only printable ASCII characters without spaces"
                    )));
                }
                Some(ns)
            }
            None => None,
        };
        let auth = Self::auth(env, secret_id, home)?;
        let plain_http = plain_http(env, &var, &addr, &auth)?;
        let mut roots = Vec::new();
        if let Some((var, file)) = nonempty(env, "CACERT") {
            roots = certificates(&var, &read_file(&var, Path::new(&file))?)?;
        } else if let Some((var, dir)) = nonempty(env, "CAPATH") {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| config_error(format!("{var}: cannot read {dir}: {e}")))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file()
                    && let Ok(bytes) = files::read_regular_bytes(&path, MAX_FILE_BYTES)
                    && let Ok(certs) = reqwest::Certificate::from_pem_bundle(&bytes)
                {
                    roots.extend(certs);
                }
            }
            if roots.is_empty() {
                return Err(config_error(format!(
                    "{var}: {dir} holds no PEM certificate"
                )));
            }
        }
        let identity = match (nonempty(env, "CLIENT_CERT"), nonempty(env, "CLIENT_KEY")) {
            (None, None) => None,
            (Some((cert_var, cert)), Some((key_var, key))) => {
                let mut pem = read_file(&cert_var, Path::new(&cert))?;
                pem.push(b'\n');
                pem.extend(read_file(&key_var, Path::new(&key))?);
                Some(reqwest::Identity::from_pem(&pem).map_err(|e| {
                    config_error(format!(
                        "{cert_var} and {key_var} are not a PEM certificate and unencrypted key: {e}"
                    ))
                })?)
            }
            _ => {
                return Err(config_error(
                    "set both BAO_CLIENT_CERT and BAO_CLIENT_KEY (or neither)".into(),
                ));
            }
        };
        let skip_verify = match setting(env, "SKIP_VERIFY") {
            Some((var, value)) => go_bool(&var, value.trim())?,
            None => false,
        };
        let timeout = match nonempty(env, "CLIENT_TIMEOUT") {
            None => Duration::from_secs(60),
            Some((var, value)) => parse_timeout(&var, value.trim())?,
        };
        let server_name = match nonempty(env, "TLS_SERVER_NAME") {
            Some((var, name)) => Some(dns_name(&var, name.trim())?),
            None => None,
        };
        Ok(Self {
            addr,
            namespace,
            auth,
            roots,
            identity,
            skip_verify,
            timeout,
            server_name,
            plain_http,
        })
    }

    /// A token from the environment, else AppRole, else the token file. Both a token and a
    /// role id is a mistake worth naming rather than guessing.
    fn auth(
        env: &dyn Fn(&str) -> Option<String>,
        stdin_secret_id: Option<Secret>,
        home: Option<PathBuf>,
    ) -> Result<Auth, VaultError> {
        let token = nonempty(env, "TOKEN");
        let role = nonempty(env, "ROLE_ID");
        let env_secret_id = nonempty(env, "SECRET_ID");
        let jwt_role = nonempty(env, "JWT_ROLE");
        let chosen: Vec<&str> = [&token, &role, &jwt_role]
            .into_iter()
            .flatten()
            .map(|(var, _)| var.as_str())
            .collect();
        if let [first, second, ..] = chosen[..] {
            return Err(config_error(format!(
                "both {first} and {second} are set: unset one, so that it is clear how to log in"
            )));
        }
        if let Some((var, role)) = jwt_role {
            if stdin_secret_id.is_some() {
                return Err(config_error(
                    "--secret-id-stdin needs BAO_ROLE_ID (or VAULT_ROLE_ID) for AppRole".into(),
                ));
            }
            return Ok(Auth::Jwt(JwtLogin::from_env(
                env,
                &|name| nonempty(env, name),
                &var,
                &role,
            )?));
        }
        match (token, role) {
            (Some(_), Some(_)) => unreachable!("refused above"),
            (Some((_, token)), None) => {
                if stdin_secret_id.is_some() {
                    return Err(config_error(
                        "--secret-id-stdin needs BAO_ROLE_ID (or VAULT_ROLE_ID) for AppRole".into(),
                    ));
                }
                Ok(Auth::Token(Secret::new(token.trim())))
            }
            (None, Some((rvar, role_id))) => {
                let secret_id = match (stdin_secret_id, env_secret_id) {
                    (Some(s), None) => s,
                    (None, Some((_, s))) => Secret::new(s.trim()),
                    (Some(_), Some((svar, _))) => {
                        return Err(config_error(format!(
                            "the AppRole secret id is both in {svar} and on stdin: give it once"
                        )));
                    }
                    (None, None) => {
                        return Err(config_error(format!(
                            "{rvar} is set, but no AppRole secret id: set BAO_SECRET_ID (or VAULT_SECRET_ID), or pipe it with --secret-id-stdin"
                        )));
                    }
                };
                Ok(Auth::AppRole {
                    role_id: role_id.trim().to_owned(),
                    secret_id,
                })
            }
            (None, None) => {
                if stdin_secret_id.is_some() {
                    return Err(config_error(
                        "--secret-id-stdin needs BAO_ROLE_ID (or VAULT_ROLE_ID) for AppRole".into(),
                    ));
                }
                let path = nonempty(env, "TOKEN_PATH")
                    .map(|(_, p)| PathBuf::from(p))
                    .or_else(|| home.map(|h| h.join(".vault-token")));
                let token = path
                    .filter(|p| p.exists())
                    .map(|p| files::read_regular(&p, MAX_FILE_BYTES))
                    .transpose()
                    .map_err(|e| config_error(format!("cannot read the token file: {e}")))?;
                Ok(token
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .map_or(Auth::None, |t| Auth::Token(Secret::new(t))))
            }
        }
    }
}

/// The settings among `BAO_ADDR` (named `addr_var`) and GitHub's token service that are plain
/// http to another machine, where the Vault token or the job's token would cross the network
/// unencrypted: refused, unless [`ENV_ALLOW_HTTP`] allows them.
fn plain_http(
    env: &dyn Fn(&str) -> Option<String>,
    addr_var: &str,
    addr: &Url,
    auth: &Auth,
) -> Result<Vec<String>, VaultError> {
    let allowed = match env(ENV_ALLOW_HTTP) {
        Some(value) => go_bool(ENV_ALLOW_HTTP, value.trim())?,
        None => false,
    };
    let clear = |url: &Url| url.scheme() == "http" && !crate::base::template::is_loopback(url);
    let mut found = Vec::new();
    if clear(addr) {
        found.push(addr_var.to_owned());
    }
    if let Auth::Jwt(login) = auth
        && let JwtSource::GitHub { url, .. } = &login.source
        && clear(url)
    {
        found.push("ACTIONS_ID_TOKEN_REQUEST_URL".to_owned());
    }
    match found.first() {
        Some(var) if !allowed => Err(config_error(format!(
            "{var} is plain http to another machine, so the token credlink sends would cross the network unencrypted: use https, or set {ENV_ALLOW_HTTP}=1 to allow it"
        ))),
        _ => Ok(found),
    }
}

/// The socket addresses of an address's host, for a request that names the server otherwise.
pub(super) fn socket_addrs(addr: &Url) -> Result<Vec<std::net::SocketAddr>, VaultError> {
    use std::net::ToSocketAddrs;
    let port = addr.port_or_known_default().unwrap_or(8200);
    let unreachable = |why: String| VaultError::Unreachable {
        addr: addr.to_string(),
        why,
    };
    let found: Vec<std::net::SocketAddr> = match addr.host() {
        Some(url::Host::Ipv4(ip)) => vec![(ip, port).into()],
        Some(url::Host::Ipv6(ip)) => vec![(ip, port).into()],
        Some(url::Host::Domain(host)) => (host, port)
            .to_socket_addrs()
            .map_err(|e| unreachable(format!("cannot look up {host}: {e}")))?
            .collect(),
        None => Vec::new(),
    };
    if found.is_empty() {
        return Err(unreachable("the host has no address".into()));
    }
    Ok(found)
}

/// A DNS name, as a certificate names a host: dot-separated labels of letters, digits and
/// inner hyphens.
fn dns_name(var: &str, value: &str) -> Result<String, VaultError> {
    let name = value.trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() <= 253 && name.split('.').all(label_ok) {
        Ok(name)
    } else {
        Err(config_error(format!(
            "{var} must be a host name such as vault.example.com, not `{}`",
            text::clean_truncated(value, 60)
        )))
    }
}

fn parse_timeout(var: &str, value: &str) -> Result<Duration, VaultError> {
    value
        .parse::<u64>()
        .map(Duration::from_secs)
        .or_else(|_| humantime::parse_duration(value))
        .ok()
        .filter(|d| !d.is_zero() && *d <= Duration::from_secs(3600))
        .ok_or_else(|| config_error(format!("{var} must be seconds (1-3600) or e.g. `30s`")))
}

fn certificates(var: &str, pem: &[u8]) -> Result<Vec<reqwest::Certificate>, VaultError> {
    reqwest::Certificate::from_pem_bundle(pem)
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| config_error(format!("{var} is not a PEM certificate bundle")))
}
