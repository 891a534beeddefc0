//! The OS keychain as a [`SecretBackend`] (keyring 4: Secret Service over pure-Rust zbus on
//! Linux, the native stores on macOS and Windows). There is no plaintext fallback: when the
//! keychain cannot be used, the command fails and says why.

use crate::base::secret::Secret;
use crate::store::backend::{BackendError, Entry, Namespace, SecretBackend};

pub(crate) struct Keychain {
    service: String,
    token_service: String,
}

impl Keychain {
    pub(crate) fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            token_service: format!("{service}:token"),
        }
    }

    fn entry(&self, entry: &Entry) -> keyring::Result<keyring::Entry> {
        let service = match entry.namespace {
            Namespace::Secret => &self.service,
            Namespace::Token => &self.token_service,
        };
        keyring::Entry::new(service, &entry.key)
    }
}

impl SecretBackend for Keychain {
    fn describe(&self) -> String {
        format!("the OS keychain (service {})", self.service)
    }

    fn check(&self) -> Result<(), BackendError> {
        keyring::Entry::store_status()
            .as_ref()
            .map(|_| ())
            .map_err(|e| describe("open", clone_error(e)))
    }

    fn get(&self, entry: &Entry) -> Result<Option<Secret>, BackendError> {
        match self.entry(entry).and_then(|e| e.get_password()) {
            Ok(s) => Ok(Some(Secret::new(s))),
            Err(e) if gone(&e) => Ok(None),
            Err(e) => Err(describe("read", e)),
        }
    }

    fn set(&self, entry: &Entry, secret: &Secret) -> Result<(), BackendError> {
        self.entry(entry)
            .and_then(|e| e.set_password(secret.expose()))
            .map_err(|e| describe("write", e))
    }

    fn delete(&self, entry: &Entry) -> Result<bool, BackendError> {
        match self.entry(entry).and_then(|e| e.delete_credential()) {
            Ok(()) => Ok(true),
            Err(e) if gone(&e) => Ok(false),
            Err(e) => Err(describe("delete", e)),
        }
    }
}

/// No such entry; also one another process deleted between the Secret Service's search and
/// the use of the item it found, as when a rotated refresh token replaces an account's secret
/// while another run reads it. gnome-keyring says so in two ways, depending on how far the
/// deletion got: "Object does not exist at path ..." and "No such interface
/// “org.freedesktop.Secret.Item” on object at path ...".
fn gone(err: &keyring::Error) -> bool {
    match err {
        keyring::Error::NoEntry => true,
        keyring::Error::PlatformFailure(cause) => {
            let text = cause.to_string();
            text.contains("Object does not exist")
                || (text.contains("No such interface") && text.contains("Secret.Item"))
        }
        _ => false,
    }
}

fn describe(op: &'static str, err: keyring::Error) -> BackendError {
    match err {
        keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
            Err(cause) => describe(op, clone_error(cause)),
            Ok(()) => BackendError::Unreachable("no OS keychain store is configured".into()),
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
            BackendError::Unreachable(why)
        }
        keyring::Error::NoStorageAccess(cause) => BackendError::Locked {
            op,
            why: cause.to_string(),
        },
        keyring::Error::BadEncoding(_) => BackendError::BadData,
        other => BackendError::Refused {
            op,
            why: other.to_string(),
        },
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
    use super::gone;

    fn failure(text: &str) -> keyring::Error {
        keyring::Error::PlatformFailure(text.into())
    }

    #[test]
    fn an_item_deleted_mid_read_is_no_entry_and_other_failures_are_not() {
        assert!(gone(&keyring::Error::NoEntry));
        // Both texts as gnome-keyring gave them under a concurrent replace.
        assert!(gone(&failure(
            "zbus error: org.freedesktop.DBus.Error.UnknownMethod: Object does not exist at path \
             “/org/freedesktop/secrets/collection/login/30”"
        )));
        assert!(gone(&failure(
            "zbus error: org.freedesktop.DBus.Error.UnknownMethod: No such interface \
             “org.freedesktop.Secret.Item” on object at path /org/freedesktop/secrets/collection/login/133"
        )));
        assert!(!gone(&failure(
            "zbus error: org.freedesktop.DBus.Error.UnknownMethod: No such interface \
             “org.freedesktop.Secret.Service” on object at path /org/freedesktop/secrets"
        )));
        assert!(!gone(&failure("zbus error: Failed to connect to socket")));
        assert!(!gone(&keyring::Error::NoStorageAccess("locked".into())));
    }
}
