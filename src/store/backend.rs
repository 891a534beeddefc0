//! Where secrets live: the [`SecretBackend`] trait, its typed errors, and the in-memory backend
//! the protocol tests run against. Backends are blocking; [`crate::store::Store`] calls them off
//! the async runtime, bounded in time.

#[cfg(test)]
use std::collections::BTreeMap;
#[cfg(test)]
use std::sync::Mutex;
use std::time::Duration;

use crate::base::secret::Secret;

/// The two namespaces of entries: credentials, and the access tokens cached beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Namespace {
    Secret,
    Token,
}

/// One entry, named by the store's layout (see `Store`); backends never invent names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) namespace: Namespace,
    pub(crate) key: String,
}

/// Why a backend could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum BackendError {
    #[error("no OS keychain reachable: {0}")]
    Unreachable(String),
    #[error("the OS keychain is locked or denied access ({op}): {why}")]
    Locked { op: &'static str, why: String },
    #[error("the OS keychain did not answer within {} s (it may be waiting for an unlock dialog)", .0.as_secs_f64().round())]
    Timeout(Duration),
    #[error("the stored secret is not valid UTF-8 text")]
    BadData,
    #[error("the OS keychain refused to {op} the secret: {why}")]
    Refused { op: &'static str, why: String },
}

/// A store of secrets by entry. Implementations block; they are called from a thread pool.
pub(crate) trait SecretBackend: Send + Sync + 'static {
    /// "the OS keychain (service credlink)": where the secrets are, for messages.
    fn describe(&self) -> String;
    /// Fails with the reason when the backend cannot be used at all.
    fn check(&self) -> Result<(), BackendError>;
    fn get(&self, entry: &Entry) -> Result<Option<Secret>, BackendError>;
    fn set(&self, entry: &Entry, secret: &Secret) -> Result<(), BackendError>;
    /// `false` when there was no such entry.
    fn delete(&self, entry: &Entry) -> Result<bool, BackendError>;
    fn get_many(&self, entries: &[Entry]) -> Result<Vec<Option<Secret>>, BackendError> {
        entries.iter().map(|e| self.get(e)).collect()
    }
}

/// Secrets in memory, for tests of the store's protocol. `fail_after` makes every call after
/// that many fail, to stand in for a keychain that dies mid-way.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Memory {
    entries: Mutex<BTreeMap<Entry, Secret>>,
    pub(crate) fail_after: Mutex<Option<usize>>,
}

#[cfg(test)]
impl Memory {
    pub(crate) fn keys(&self) -> Vec<Entry> {
        self.entries.lock().unwrap().keys().cloned().collect()
    }

    fn tick(&self) -> Result<(), BackendError> {
        if let Some(left) = self.fail_after.lock().unwrap().as_mut() {
            if *left == 0 {
                return Err(BackendError::Unreachable("the test backend died".into()));
            }
            *left -= 1;
        }
        Ok(())
    }
}

#[cfg(test)]
impl SecretBackend for Memory {
    fn describe(&self) -> String {
        "the in-memory test store".into()
    }

    fn check(&self) -> Result<(), BackendError> {
        self.tick()
    }

    fn get(&self, entry: &Entry) -> Result<Option<Secret>, BackendError> {
        self.tick()?;
        Ok(self.entries.lock().unwrap().get(entry).cloned())
    }

    fn set(&self, entry: &Entry, secret: &Secret) -> Result<(), BackendError> {
        self.tick()?;
        self.entries
            .lock()
            .unwrap()
            .insert(entry.clone(), secret.clone());
        Ok(())
    }

    fn delete(&self, entry: &Entry) -> Result<bool, BackendError> {
        self.tick()?;
        Ok(self.entries.lock().unwrap().remove(entry).is_some())
    }
}
