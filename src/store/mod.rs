//! Where linked accounts live, behind one facade. [`Store`] is either the local store (records
//! in the index file, secrets in the OS keychain: `local.rs`) or the team store (records and
//! secrets in a Vault / OpenBao KV v2 mount: `vault/`). Each owns its whole protocol (link a new
//! account, replace one crash-safely, remove one, load record and secret together, record
//! results, cache tokens) and the only knowledge of its layout; commands call `Store` and never
//! a backend.

pub(crate) mod backend;
mod cache;
pub(crate) mod index;
pub(crate) mod keychain;
mod lease;
mod local;
pub(crate) mod name;
pub(crate) mod packing;
mod spec;
pub(crate) mod vault;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

pub(crate) use backend::{BackendError, SecretBackend};
pub(crate) use cache::CachedToken;
pub(crate) use index::{Account, Expires, Index, IndexError};
pub(crate) use lease::{Busy, RefreshLease, Turn, Waiting};
pub(crate) use local::alternate_key;
use local::{LocalRemoval, LocalStore};
pub(crate) use name::{AccountName, NameError};
pub(crate) use spec::{SpecError, StoreSpec};
pub(crate) use vault::History;
use vault::{VaultError, VaultRemoval, VaultStore};

use crate::base::secret::Secret;
use crate::terminal::interrupt::Refreshing;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("an account named `{0}` is already linked")]
    AlreadyLinked(AccountName),
    #[error("no linked account named `{0}`")]
    NotLinked(AccountName),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("`credlink history` needs the team store: the OS keychain keeps no versions")]
    NoHistory,
    #[error(transparent)]
    Busy(Busy),
    #[error("`{0}` was linked anew or removed meanwhile; nothing was written")]
    Relinked(AccountName),
}

/// What saving an account may replace.
#[derive(Clone, Copy)]
pub(crate) enum Replace<'a> {
    /// Nothing: the name must be free (`link`).
    No,
    /// Whatever is there (`link --force`).
    Any,
    /// Only the link read before, still as it was: a rotated refresh token belongs to the
    /// link it was issued to, never to one that replaced it meanwhile.
    Only(&'a Account),
}

impl Replace<'_> {
    /// `link`'s `--force`.
    pub(crate) fn forced(force: bool) -> Replace<'static> {
        if force { Replace::Any } else { Replace::No }
    }
}

/// A stored account with its secret, read consistently.
pub(crate) struct Loaded {
    pub(crate) account: Account,
    pub(crate) secret: Option<Secret>,
    /// What the store found wrong beside the account (a team store's listing that does not
    /// match the record read with the secret), for the user.
    pub(crate) warning: Option<String>,
}

/// What `test` found for one account, to be recorded.
pub(crate) struct Tested {
    pub(crate) account: Account,
    pub(crate) status: &'static str,
    pub(crate) expires: Option<Expires>,
    /// When the check finished, RFC 3339.
    pub(crate) at: String,
}

/// What a removal removed.
pub(crate) struct Removed {
    pub(crate) record: bool,
    pub(crate) secret: bool,
}

/// An account being removed: everything read, nothing changed yet. Dropping it changes
/// nothing; [`Removal::finish`] removes it everywhere.
pub(crate) struct Removal<'a> {
    pub(crate) record: Option<Account>,
    pub(crate) secret: Option<Secret>,
    pub(crate) token: Option<CachedToken>,
    /// What the store found wrong beside the account, for the user (see [`Loaded`]).
    pub(crate) warning: Option<String>,
    how: How<'a>,
}

enum How<'a> {
    Local(LocalRemoval<'a>),
    Vault(VaultRemoval<'a>),
}

impl Removal<'_> {
    /// Removes the account everywhere; nothing when it changed meanwhile.
    pub(crate) async fn finish(self) -> Result<Removed, StoreError> {
        match self.how {
            How::Local(r) => r.finish().await,
            How::Vault(r) => Ok(r.finish().await?),
        }
    }
}

/// The store of this run: the local one, or the team's.
pub(crate) enum Store {
    Local(LocalStore),
    Vault(Box<VaultStore>),
}

impl Store {
    /// The local store: records in the index, secrets in `backend`.
    pub(crate) fn new(index: Index, backend: Arc<dyn SecretBackend>, timeout: Duration) -> Self {
        Store::Local(LocalStore::new(index, backend, timeout))
    }

    pub(crate) fn vault(store: VaultStore) -> Self {
        Store::Vault(Box::new(store))
    }

    /// Where the secrets are, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Store::Local(s) => s.describe(),
            Store::Vault(s) => s.describe(),
        }
    }

    /// The store as `--store` names it: `keychain` or `vault:MOUNT/PREFIX`.
    pub(crate) fn label(&self) -> String {
        match self {
            Store::Local(_) => "keychain".to_owned(),
            Store::Vault(s) => format!("vault:{}/{}", s.mount, s.prefix),
        }
    }

    /// Where an account is kept, for questions: "the keychain and the index".
    pub(crate) fn kept_in(&self) -> &'static str {
        match self {
            Store::Local(_) => "the keychain and the index",
            Store::Vault(_) => "the team store (all its versions)",
        }
    }

    /// Fails with the reason when secrets could not be read or saved at all.
    pub(crate) async fn check_backend(&self) -> Result<(), StoreError> {
        match self {
            Store::Local(s) => s.check_backend().await,
            Store::Vault(s) => Ok(s.check().await?),
        }
    }

    /// Every record (no secret is read).
    pub(crate) async fn records(&self) -> Result<Vec<Account>, StoreError> {
        match self {
            Store::Local(s) => s.records(),
            Store::Vault(s) => Ok(s.records().await?),
        }
    }

    pub(crate) async fn record(&self, name: &AccountName) -> Result<Option<Account>, StoreError> {
        match self {
            Store::Local(s) => s.record(name),
            Store::Vault(s) => Ok(s.record(name).await?),
        }
    }

    /// The record of a linked account, or [`StoreError::NotLinked`].
    pub(crate) async fn linked(&self, name: &AccountName) -> Result<Account, StoreError> {
        self.record(name)
            .await?
            .ok_or_else(|| StoreError::NotLinked(name.clone()))
    }

    /// Fails when the name is taken and `replace` is off; a first look, before prompting.
    pub(crate) async fn ensure_free(
        &self,
        name: &AccountName,
        replace: bool,
    ) -> Result<(), StoreError> {
        match self.record(name).await? {
            Some(_) if !replace => Err(StoreError::AlreadyLinked(name.clone())),
            _ => Ok(()),
        }
    }

    /// The record and its secret, read consistently.
    pub(crate) async fn load(&self, account: Account) -> Result<Loaded, StoreError> {
        match self {
            Store::Local(s) => s.load(account).await,
            Store::Vault(s) => Ok(s.load(account).await?),
        }
    }

    /// Saves a new or replacing account; nothing is saved when it fails.
    pub(crate) async fn link(
        &self,
        account: Account,
        secret: &Secret,
        replace: Replace<'_>,
        token: Option<CachedToken>,
    ) -> Result<(), StoreError> {
        match self {
            Store::Local(s) => s.link(account, secret, replace, token).await,
            Store::Vault(s) => s.link(account, secret, replace, token).await,
        }
    }

    /// Records `test` results onto the records they were found for, as they are found; a record
    /// linked anew meanwhile keeps its own state. The team store writes each result while the
    /// next checks run; the local index, one file, is written once when the results end.
    /// Returns the first error; the other results are still recorded.
    pub(crate) async fn record_as_found(
        &self,
        results: impl Stream<Item = Tested>,
    ) -> Result<(), StoreError> {
        match self {
            Store::Local(s) => s.record_results(&results.collect::<Vec<_>>().await),
            Store::Vault(s) => s.record_as_found(results).await,
        }
    }

    /// The token cached for this link of the account, if any.
    pub(crate) async fn cached_token(
        &self,
        account: &Account,
    ) -> Result<Option<CachedToken>, StoreError> {
        match self {
            Store::Local(s) => s.cached_token(account).await,
            Store::Vault(s) => Ok(s.cached_token(account).await?),
        }
    }

    /// Caches a token for the link it was issued to; `false` when the account was removed or
    /// replaced meanwhile.
    pub(crate) async fn cache_token(
        &self,
        account: &Account,
        token: &CachedToken,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Local(s) => s.cache_token(account, token).await,
            Store::Vault(s) => Ok(s.cache_token(account, token).await?),
        }
    }

    /// Starts removing an account: reads its record, secret and cached token.
    /// [`StoreError::NotLinked`] when none of them exists.
    pub(crate) async fn begin_removal(
        &self,
        name: &AccountName,
    ) -> Result<Removal<'_>, StoreError> {
        match self {
            Store::Local(s) => {
                let (r, record, secret, token) = s.begin_removal(name).await?;
                Ok(Removal {
                    record,
                    secret,
                    token,
                    warning: None,
                    how: How::Local(r),
                })
            }
            Store::Vault(s) => {
                let begun = s.begin_removal(name).await?;
                Ok(Removal {
                    record: begun.record,
                    secret: begun.secret,
                    token: begun.token,
                    warning: begun.warning,
                    how: How::Vault(begun.removal),
                })
            }
        }
    }

    /// Waits (up to `turn.wait`, telling `turn.waiting` once) until no other credlink run,
    /// here or on a teammate's machine, is spending the refresh token of `name`, and holds that
    /// turn until [`Store::release`]. The team store's lease ends by itself after `turn.hold`,
    /// should its holder die.
    pub(crate) async fn refresh_lease(
        &self,
        name: &AccountName,
        turn: &Turn<'_>,
    ) -> Result<RefreshLease, StoreError> {
        let held = match self {
            Store::Local(s) => lease::take_local(s.index(), name, turn).await?,
            Store::Vault(s) => s.take_lease(name, turn).await?,
        };
        let lease = RefreshLease {
            held,
            refreshing: Refreshing::start(),
        };
        if lease.refreshing.stopping() {
            // Ctrl-C came while other accounts were refreshing: this one is not begun. The
            // run ends when the last refresh under way gives back its turn.
            self.release(Some(lease)).await;
            return std::future::pending().await;
        }
        Ok(lease)
    }

    /// [`Store::release`] for `revoke`: when the account is gone, the keychain store removes
    /// its lock file too, while the lease still holds it. (The team store's removal took the
    /// lease record with the account.)
    pub(crate) async fn release_revoked(&self, name: &AccountName, lease: Option<RefreshLease>) {
        if let (Store::Local(s), Some(_)) = (self, &lease)
            && matches!(self.record(name).await, Ok(None))
        {
            s.index().remove_refresh_lock_file(name);
        }
        self.release(lease).await;
    }

    pub(crate) async fn release(&self, lease: Option<RefreshLease>) {
        let Some(RefreshLease { held, refreshing }) = lease else {
            return;
        };
        match (self, held) {
            (Store::Vault(s), lease::Held::Vault(l)) => s.release_lease(l).await,
            // The local lock ends when its file is closed.
            (_, held) => drop(held),
        }
        // Last: a Ctrl-C during the refresh ends the run here.
        drop(refreshing);
    }

    /// The versions of an account, oldest first (team store only).
    pub(crate) async fn history(&self, name: &AccountName) -> Result<History, StoreError> {
        match self {
            Store::Local(_) => Err(StoreError::NoHistory),
            Store::Vault(s) => Ok(s.history(name).await?),
        }
    }
}

#[cfg(test)]
mod tests;
