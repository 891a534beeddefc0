//! Secrets in the OS keychain (keyring 4: Secret Service over pure-Rust zbus on Linux, the
//! native stores on macOS and Windows). One entry per linked account, service `credlink`.
//! There is no plaintext fallback: when the keychain cannot be used, the command fails.

use std::time::Duration;

use crate::error::CliError;
use crate::secret::Secret;

/// A keychain call waiting on an unlock dialog must not hang a CI job.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds to wait for the keychain instead of 30.
pub const ENV_KEYCHAIN_TIMEOUT: &str = "CREDLINK_KEYCHAIN_TIMEOUT";

fn call_timeout() -> Duration {
    std::env::var(ENV_KEYCHAIN_TIMEOUT)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0 && *s <= 3600.0)
        .map_or(CALL_TIMEOUT, Duration::from_secs_f64)
}

const UNREACHABLE_HINT: &str = "start a keyring daemon: on Linux a Secret Service provider such as gnome-keyring \
(`gnome-keyring-daemon --start --components=secrets`) in your D-Bus session; credlink never stores secrets in a plain file";
const LOCKED_HINT: &str = "unlock your login keyring (log in to the desktop session, or `printf %s PASSWORD | \
gnome-keyring-daemon --unlock` on a headless machine) and try again";

#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
    token_service: String,
}

impl Keychain {
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            token_service: format!("{service}:token"),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// Fails with the reason when no keychain can be reached, before anything is asked for.
    pub async fn check(&self) -> Result<(), CliError> {
        self.call("open", || {
            keyring::Entry::store_status()
                .as_ref()
                .map(|_| ())
                .map_err(clone_error)
        })
        .await
    }

    pub async fn get(&self, account: &str) -> Result<Option<Secret>, CliError> {
        self.get_from(self.service.clone(), account).await
    }

    pub async fn set(&self, account: &str, secret: &Secret) -> Result<(), CliError> {
        self.set_in(self.service.clone(), account, secret).await
    }

    /// Deletes the account's secret; `false` when there was none.
    pub async fn delete(&self, account: &str) -> Result<bool, CliError> {
        self.delete_from(self.service.clone(), account).await
    }

    /// The last access token obtained for an account: a cache beside the credential, reused
    /// by `token` until shortly before it expires and revoked by `revoke`.
    pub async fn get_token(&self, account: &str) -> Result<Option<CachedToken>, CliError> {
        Ok(self
            .get_from(self.token_service.clone(), account)
            .await?
            .map(|s| CachedToken::from_stored(&s)))
    }

    pub async fn set_token(&self, account: &str, token: &CachedToken) -> Result<(), CliError> {
        self.set_in(self.token_service.clone(), account, &token.to_stored())
            .await
    }

    pub async fn delete_token(&self, account: &str) -> Result<bool, CliError> {
        self.delete_from(self.token_service.clone(), account).await
    }

    async fn get_from(&self, service: String, account: &str) -> Result<Option<Secret>, CliError> {
        let account = account.to_owned();
        self.call("read", move || {
            match keyring::Entry::new(&service, &account)?.get_password() {
                Ok(s) => Ok(Some(Secret::new(s))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn set_in(
        &self,
        service: String,
        account: &str,
        secret: &Secret,
    ) -> Result<(), CliError> {
        let account = account.to_owned();
        let secret = secret.clone();
        self.call("write", move || {
            keyring::Entry::new(&service, &account)?.set_password(secret.expose())
        })
        .await
    }

    async fn delete_from(&self, service: String, account: &str) -> Result<bool, CliError> {
        let account = account.to_owned();
        self.call("delete", move || {
            match keyring::Entry::new(&service, &account)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Runs a blocking keychain call off the async runtime, bounded in time.
    async fn call<T: Send + 'static>(
        &self,
        op: &'static str,
        f: impl FnOnce() -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, CliError> {
        let task = tokio::task::spawn_blocking(f);
        let timeout = call_timeout();
        match tokio::time::timeout(timeout, task).await {
            Err(_) => Err(CliError::keychain(format!(
                "the OS keychain did not answer within {:.0} s (it may be waiting for an unlock dialog)",
                timeout.as_secs_f64()
            ))
            .with_hint(LOCKED_HINT)),
            Ok(Err(join)) => Err(CliError::keychain(format!("the keychain call failed: {join}"))),
            Ok(Ok(result)) => result.map_err(|e| describe(op, e)),
        }
    }
}

/// An access token and when it expires (Unix seconds), stored as a small JSON object.
pub struct CachedToken {
    pub access_token: Secret,
    pub expires_at: Option<u64>,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl CachedToken {
    pub fn new(access_token: Secret, expires_in: Option<u64>) -> Self {
        Self {
            access_token,
            expires_at: expires_in.map(|e| unix_now() + e),
        }
    }

    /// Seconds left, `None` when the provider gave no lifetime.
    pub fn remaining(&self) -> Option<u64> {
        self.expires_at.map(|at| at.saturating_sub(unix_now()))
    }

    fn to_stored(&self) -> Secret {
        let json = serde_json::json!({"access_token": self.access_token.expose(), "expires_at": self.expires_at});
        Secret::new(json.to_string())
    }

    /// Reads the JSON form; anything else is taken as a bare token of unknown lifetime.
    fn from_stored(stored: &Secret) -> Self {
        let parsed = serde_json::from_str::<serde_json::Value>(stored.expose()).ok();
        match parsed
            .as_ref()
            .and_then(|v| v.get("access_token")?.as_str().map(|t| (t, v)))
        {
            Some((token, v)) => Self {
                access_token: Secret::new(token),
                expires_at: v.get("expires_at").and_then(|e| e.as_u64()),
            },
            None => Self {
                access_token: stored.clone(),
                expires_at: None,
            },
        }
    }
}

fn describe(op: &str, err: keyring::Error) -> CliError {
    match err {
        keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
            Err(cause) => describe(op, clone_error(cause)),
            Ok(()) => {
                CliError::keychain("no OS keychain store is configured").with_hint(UNREACHABLE_HINT)
            }
        },
        keyring::Error::PlatformFailure(cause) => {
            let text = cause.to_string();
            let why = if text.contains("org.freedesktop.secrets") {
                "the D-Bus session has no Secret Service provider".to_owned()
            } else if text.contains("Failed to connect")
                || text.contains("DBUS_SESSION_BUS_ADDRESS")
            {
                format!("no D-Bus session bus ({text})")
            } else {
                text
            };
            CliError::keychain(format!("no OS keychain reachable: {why}"))
                .with_hint(UNREACHABLE_HINT)
        }
        keyring::Error::NoStorageAccess(cause) => CliError::keychain(format!(
            "the OS keychain is locked or denied access ({op}): {cause}"
        ))
        .with_hint(LOCKED_HINT),
        keyring::Error::BadEncoding(_) => {
            CliError::keychain("the stored secret is not valid UTF-8 text")
                .with_hint("revoke the account and link it again")
        }
        other => CliError::keychain(format!(
            "the OS keychain refused to {op} the secret: {other}"
        )),
    }
}

/// `store_status()` hands out a shared reference; rebuild an owned error with the same text.
fn clone_error(err: &keyring::Error) -> keyring::Error {
    match err {
        keyring::Error::NoStorageAccess(e) => keyring::Error::NoStorageAccess(e.to_string().into()),
        keyring::Error::NoDefaultStore => {
            keyring::Error::PlatformFailure("no default keychain store".into())
        }
        other => keyring::Error::PlatformFailure(other.to_string().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_tokens_round_trip_and_read_bare_tokens() {
        let t = CachedToken::new(Secret::new("tok"), Some(600));
        let back = CachedToken::from_stored(&t.to_stored());
        assert_eq!(back.access_token.expose(), "tok");
        assert!((599..=600).contains(&back.remaining().unwrap()));
        let bare = CachedToken::from_stored(&Secret::new("opaque-token"));
        assert_eq!(bare.access_token.expose(), "opaque-token");
        assert_eq!(bare.remaining(), None);
    }
}
