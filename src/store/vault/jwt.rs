//! JWT login (`auth/jwt`), the way CI jobs reach the team store without a stored secret: the
//! job's identity token (GitHub Actions OIDC, a Kubernetes service-account token, any JWT the
//! server's role trusts) is exchanged for a Vault token.
//!
//! Settings (each `BAO_*`, else `VAULT_*`): `JWT_ROLE` (the role; turns JWT login on),
//! `JWT_MOUNT` (default `jwt`), and the token from `JWT`, else the file `JWT_PATH`, else, in a
//! GitHub Actions job with `permissions: id-token: write`, from GitHub's token service
//! (`ACTIONS_ID_TOKEN_REQUEST_URL` / `ACTIONS_ID_TOKEN_REQUEST_TOKEN`) for the audience
//! `JWT_AUDIENCE` (GitHub's default audience when unset).

use std::path::PathBuf;

use reqwest::Url;

use super::VaultError;
use crate::base::files;
use crate::base::secret::Secret;
use crate::net;

/// The largest JWT, token file or answer of GitHub's token service read.
const MAX_JWT_BYTES: usize = 64 * 1024;

/// Where the JWT comes from.
pub(crate) enum JwtSource {
    Given(Secret),
    /// Read at login, so a file that is rotated (a Kubernetes projected token) is fresh.
    File(PathBuf),
    GitHub {
        url: Url,
        bearer: Secret,
        audience: Option<String>,
    },
}

/// JWT login settings.
pub(crate) struct JwtLogin {
    pub(crate) mount: String,
    pub(crate) role: String,
    pub(crate) source: JwtSource,
}

impl JwtLogin {
    /// The settings, given the role (from `role_var`) and the environment.
    pub(crate) fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        setting: &dyn Fn(&str) -> Option<(String, String)>,
        role_var: &str,
        role: &str,
    ) -> Result<Self, VaultError> {
        let config = |m: String| VaultError::Config(m);
        let mount = match setting("JWT_MOUNT") {
            None => "jwt".to_owned(),
            Some((var, mount)) => {
                let mount = mount.trim().trim_matches('/').to_owned();
                let ok = mount.split('/').all(|part| {
                    !part.is_empty()
                        && part != ".."
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                });
                if !ok {
                    return Err(config(format!(
                        "{var} must be the path of a JWT auth mount, such as `jwt` or `github`"
                    )));
                }
                mount
            }
        };
        let source = if let Some((var, jwt)) = setting("JWT") {
            let jwt = Secret::new(jwt.trim());
            if let Some(why) = not_a_jwt(&jwt) {
                return Err(config(format!("{var}: {why}")));
            }
            JwtSource::Given(jwt)
        } else if let Some((_, path)) = setting("JWT_PATH") {
            JwtSource::File(PathBuf::from(path.trim()))
        } else if let (Some(url), Some(bearer)) = (
            env("ACTIONS_ID_TOKEN_REQUEST_URL").filter(|v| !v.trim().is_empty()),
            env("ACTIONS_ID_TOKEN_REQUEST_TOKEN").filter(|v| !v.trim().is_empty()),
        ) {
            let url = Url::parse(url.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| {
                    config("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) address".into())
                })?;
            JwtSource::GitHub {
                url,
                bearer: Secret::new(bearer.trim()),
                audience: setting("JWT_AUDIENCE").map(|(_, a)| a.trim().to_owned()),
            }
        } else {
            return Err(config(format!(
                "{role_var} is set, but there is no JWT: set BAO_JWT (or VAULT_JWT) or BAO_JWT_PATH, or run in a GitHub Actions job with `permissions: id-token: write`"
            )));
        };
        Ok(Self {
            mount,
            role: role.trim().to_owned(),
            source,
        })
    }

    /// The path of the login endpoint.
    pub(crate) fn login_path(&self) -> String {
        format!("auth/{}/login", self.mount)
    }
}

fn failed(why: String) -> VaultError {
    VaultError::Login { method: "JWT", why }
}

/// The JWT to log in with: as given, read from its file, or asked of GitHub.
pub(crate) async fn fetch(
    source: &JwtSource,
    http: &reqwest::Client,
    trace: &dyn Fn(&str),
) -> Result<Secret, VaultError> {
    let jwt = match source {
        JwtSource::Given(jwt) => jwt.clone(),
        JwtSource::File(path) => files::read_regular(path, MAX_JWT_BYTES as u64)
            .map(|t| Secret::new(t.trim()))
            .map_err(|e| {
                VaultError::Config(format!("BAO_JWT_PATH: cannot read {}: {e}", path.display()))
            })?,
        JwtSource::GitHub {
            url,
            bearer,
            audience,
        } => {
            let mut url = url.clone();
            if let Some(audience) = audience {
                url.query_pairs_mut().append_pair("audience", audience);
            }
            trace(&format!(
                "store: GET {} (GitHub Actions identity token; Authorization: [redacted])",
                url.host_str().unwrap_or_default()
            ));
            let mut answer = http
                .get(url)
                .bearer_auth(bearer.expose())
                .send()
                .await
                // Its address is the job's own; the error says why without it.
                .map_err(|e| {
                    failed(format!(
                        "cannot reach GitHub's token service: {}",
                        e.without_url()
                    ))
                })?;
            let status = answer.status();
            let body = match net::read_capped(&mut answer, MAX_JWT_BYTES).await {
                Ok(capped) if capped.complete => {
                    serde_json::from_slice(&capped.bytes).unwrap_or_default()
                }
                _ => serde_json::Value::Null,
            };
            match body["value"].as_str().filter(|v| !v.is_empty()) {
                Some(jwt) if status.is_success() => Secret::new(jwt),
                _ => {
                    return Err(failed(format!(
                        "GitHub's token service answered HTTP {} without a token (does the job have `permissions: id-token: write`?)",
                        status.as_u16()
                    )));
                }
            }
        }
    };
    match not_a_jwt(&jwt) {
        Some(why) => Err(failed(why)),
        None => Ok(jwt),
    }
}

/// Why `jwt` cannot be a JWT (three base64url parts joined by dots), if it cannot: anything
/// else would only earn the server's 400.
fn not_a_jwt(jwt: &Secret) -> Option<String> {
    let b64url = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let parts: Vec<&str> = jwt.expose().split('.').collect();
    (parts.len() != 3 || !parts.iter().all(|p| b64url(p))).then(|| {
        format!(
            "what was given is not a JWT (three base64url parts joined by dots; {} characters given)",
            jwt.expose().chars().count()
        )
    })
}
