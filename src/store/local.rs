//! The local store: records in the index file, secrets in a [`SecretBackend`] (the OS
//! keychain). It owns the whole protocol for that pair and the only knowledge of the entry
//! layout.
//!
//! Layout: an account's secret is in one of two entries of the secret namespace, its name or
//! its name + `~2` ([`alternate_key`]); a replacement goes to the one not in use, and the
//! record names it, so a crash never pairs a record with another credential's secret. `~`
//! cannot occur in an account name, so no name reaches another account's entry. Its cached
//! access token is in the token namespace under its name.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Replace;
use super::backend::{BackendError, Entry, Namespace, SecretBackend};
use super::cache::CachedToken;
use super::index::{Account, Index, IndexData, Locked};
use super::name::AccountName;
use super::{Loaded, Removed, StoreError, Tested};
use crate::base::secret::Secret;

/// The key of an account's second secret entry.
pub(crate) fn alternate_key(name: &AccountName) -> String {
    format!("{name}~2")
}

fn secret_entry(key: String) -> Entry {
    Entry {
        namespace: Namespace::Secret,
        key,
    }
}

fn secret_entries(name: &AccountName) -> [Entry; 2] {
    [
        secret_entry(name.as_str().to_owned()),
        secret_entry(alternate_key(name)),
    ]
}

fn token_entry(name: &AccountName) -> Entry {
    Entry {
        namespace: Namespace::Token,
        key: name.as_str().to_owned(),
    }
}

/// The entry a record's secret is in. Records are validated on load, so this is one of the
/// account's own two entries.
fn entry_of(account: &Account) -> Entry {
    secret_entry(
        account
            .keychain_entry
            .clone()
            .unwrap_or_else(|| account.name.clone()),
    )
}

fn name_of(account: &Account) -> AccountName {
    AccountName::parse(&account.name).expect("records are validated when the index is read")
}

/// Two views of one account are the same link when neither a `link --force` nor a revoke
/// and re-link came between them.
fn same_link(a: &Account, b: &Account) -> bool {
    a.linked_at == b.linked_at && a.keychain_entry == b.keychain_entry && a.connector == b.connector
}

/// An account being removed: everything read under the index lock, nothing changed yet.
/// Dropping it changes nothing; [`Removal::finish`] removes it everywhere.
pub(crate) struct LocalRemoval<'a> {
    store: &'a LocalStore,
    locked: Locked<'a>,
    data: IndexData,
    name: AccountName,
    orphans: bool,
}

/// What [`LocalStore::begin_removal`] read: the removal, the record, secret and cached token.
pub(super) type Begun<'a> = (
    LocalRemoval<'a>,
    Option<Account>,
    Option<Secret>,
    Option<CachedToken>,
);

pub(crate) struct LocalStore {
    index: Index,
    backend: Arc<dyn SecretBackend>,
    timeout: Duration,
    /// Set once a backend call timed out: a hung keychain is not waited for again.
    hung: AtomicBool,
}

impl LocalStore {
    pub(crate) fn new(index: Index, backend: Arc<dyn SecretBackend>, timeout: Duration) -> Self {
        Self {
            index,
            backend,
            timeout,
            hung: AtomicBool::new(false),
        }
    }

    /// Where the secrets are, for messages.
    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    pub(crate) fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Runs a blocking backend call off the async runtime, bounded in time.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretBackend) -> Result<T, BackendError> + Send + 'static,
    ) -> Result<T, BackendError> {
        if self.hung.load(Ordering::SeqCst) {
            return Err(BackendError::Timeout(self.timeout));
        }
        let backend = self.backend.clone();
        let task = tokio::task::spawn_blocking(move || {
            crate::base::fault::point("keychain:call");
            f(&*backend)
        });
        match tokio::time::timeout(self.timeout, task).await {
            Err(_) => {
                self.hung.store(true, Ordering::SeqCst);
                Err(BackendError::Timeout(self.timeout))
            }
            Ok(Err(join)) => Err(BackendError::Refused {
                op: "reach",
                why: join.to_string(),
            }),
            Ok(Ok(result)) => result,
        }
    }

    async fn get(&self, entry: Entry) -> Result<Option<Secret>, BackendError> {
        self.call(move |b| b.get(&entry)).await
    }

    async fn set(&self, entry: Entry, secret: &Secret) -> Result<(), BackendError> {
        let secret = secret.clone();
        self.call(move |b| b.set(&entry, &secret)).await
    }

    async fn delete(&self, entry: Entry) -> Result<bool, BackendError> {
        self.call(move |b| b.delete(&entry)).await
    }

    /// Fails with the reason when secrets could not be read or saved at all.
    pub(crate) async fn check_backend(&self) -> Result<(), StoreError> {
        Ok(self.call(|b| b.check()).await?)
    }

    /// Every record, from the index alone (no secret is read).
    pub(crate) fn records(&self) -> Result<Vec<Account>, StoreError> {
        Ok(self.index.read()?.accounts)
    }

    pub(crate) fn record(&self, name: &AccountName) -> Result<Option<Account>, StoreError> {
        Ok(self.index.read_shared()?.get(name).cloned())
    }

    /// The record and its secret, read consistently: when the secret is not where the record
    /// said, the record is read again (a `link --force` may have moved it meanwhile).
    pub(crate) async fn load(&self, account: Account) -> Result<Loaded, StoreError> {
        let secret = self.get(entry_of(&account)).await?;
        if secret.is_some() {
            return Ok(Loaded {
                account,
                secret,
                warning: None,
            });
        }
        let name = name_of(&account);
        match self.record(&name)? {
            Some(now) if !same_link(&now, &account) => {
                let secret = self.get(entry_of(&now)).await?;
                Ok(Loaded {
                    account: now,
                    secret,
                    warning: None,
                })
            }
            _ => Ok(Loaded {
                account,
                secret: None,
                warning: None,
            }),
        }
    }

    /// Saves a new or replacing account under the index lock: secret first, then the record.
    /// A crash in between leaves an orphan secret that `revoke` cleans up, never a record
    /// without its secret; a replacement goes to the account's other entry, so the old record
    /// keeps its own secret until the new record is written. A failed index write takes the
    /// new secret back out.
    pub(crate) async fn link(
        &self,
        mut account: Account,
        secret: &Secret,
        replace: Replace<'_>,
        token: Option<CachedToken>,
    ) -> Result<(), StoreError> {
        let name = name_of(&account);
        let locked = self.index.lock()?;
        let mut data = locked.read()?;
        let current = data.get(&name);
        match (current, replace) {
            (Some(_), Replace::No) => return Err(StoreError::AlreadyLinked(name)),
            (Some(now), Replace::Only(read)) if !same_link(now, read) => {
                return Err(StoreError::Relinked(name));
            }
            (None, Replace::Only(_)) => return Err(StoreError::Relinked(name)),
            _ => {}
        }
        let old = current.map(entry_of);
        let [primary, alternate] = secret_entries(&name);
        let entry = if old.as_ref() == Some(&primary) {
            alternate
        } else {
            primary
        };
        self.set(entry.clone(), secret).await?;
        crate::base::fault::point("link:after_keychain_write");
        account.keychain_entry = (entry.key != account.name).then(|| entry.key.clone());
        data.upsert(account);
        if let Err(e) = locked.write(&data) {
            let _ = self.delete(entry).await;
            return Err(e.into());
        }
        crate::base::fault::point("link:after_index_write");
        if let Some(old) = old.filter(|old| *old != entry) {
            let _ = self.delete(old).await;
        }
        // The token is kept so `token` can reuse it and `revoke` can revoke it; losing it is
        // harmless.
        let _ = match token {
            Some(token) => self.set(token_entry(&name), &token.to_stored()).await,
            None => self.delete(token_entry(&name)).await.map(drop),
        };
        Ok(())
    }

    /// Records `test` results onto the records they were found for; a record linked anew
    /// meanwhile keeps its own state.
    pub(crate) fn record_results(&self, results: &[Tested]) -> Result<(), StoreError> {
        let locked = self.index.lock()?;
        let mut data = locked.read()?;
        let mut changed = false;
        for r in results {
            let name = name_of(&r.account);
            if let Some(now) = data.get_mut(&name)
                && same_link(now, &r.account)
            {
                now.last_tested_at = Some(r.at.clone());
                now.last_status = Some(r.status.to_owned());
                now.expires = r.expires.clone();
                changed = true;
            }
        }
        if changed {
            locked.write(&data)?;
        }
        Ok(())
    }

    pub(crate) async fn cached_token(
        &self,
        account: &Account,
    ) -> Result<Option<CachedToken>, StoreError> {
        Ok(self
            .get(token_entry(&name_of(account)))
            .await?
            .map(|s| CachedToken::from_stored(&s)))
    }

    /// Caches a token for the account it was issued to, under the lock, only while that link
    /// still stands: a token issued while `revoke` ran is not left behind. `false` when the
    /// account was removed or replaced meanwhile.
    pub(crate) async fn cache_token(
        &self,
        account: &Account,
        token: &CachedToken,
    ) -> Result<bool, StoreError> {
        let name = name_of(account);
        let locked = self.index.lock()?;
        let current = locked.read()?.get(&name).cloned();
        if !current.is_some_and(|now| same_link(&now, account)) {
            return Ok(false);
        }
        self.set(token_entry(&name), &token.to_stored()).await?;
        drop(locked);
        Ok(true)
    }

    /// Starts removing an account: takes the index lock and reads its record, secret and
    /// cached token. [`StoreError::NotLinked`] when none of them exists.
    pub(crate) async fn begin_removal(&self, name: &AccountName) -> Result<Begun<'_>, StoreError> {
        let locked = self.index.lock()?;
        let data = locked.read()?;
        let record = data.get(name).cloned();
        let [primary, alternate] = secret_entries(name);
        let entries = vec![primary, alternate, token_entry(name)];
        let found = self.call(move |b| b.get_many(&entries)).await?;
        let [in_primary, in_alternate, token] =
            <[Option<Secret>; 3]>::try_from(found).map_err(|_| BackendError::BadData)?;
        let orphans = in_primary.is_some() || in_alternate.is_some() || token.is_some();
        if record.is_none() && !orphans {
            return Err(StoreError::NotLinked(name.clone()));
        }
        let secret = match record.as_ref().map(|r| entry_of(r).key != r.name) {
            Some(true) => in_alternate,
            Some(false) => in_primary,
            None => None,
        };
        let removal = LocalRemoval {
            store: self,
            locked,
            data,
            name: name.clone(),
            orphans,
        };
        Ok((
            removal,
            record,
            secret,
            token.map(|t| CachedToken::from_stored(&t)),
        ))
    }
}

impl LocalRemoval<'_> {
    /// Removes the record first, then both secret entries and the cached token: a crash in
    /// between leaves an orphan secret, which the next `revoke` removes, never a listed
    /// account whose secret is gone.
    pub(crate) async fn finish(mut self) -> Result<Removed, StoreError> {
        let removed_record = self.data.remove(&self.name).is_some();
        if removed_record {
            self.locked.write(&self.data)?;
        }
        crate::base::fault::point("revoke:after_index_write");
        let mut removed_secret = false;
        if self.orphans || removed_record {
            for entry in secret_entries(&self.name) {
                removed_secret |= self.store.delete(entry).await?;
            }
            self.store.delete(token_entry(&self.name)).await?;
        }
        drop(self.locked);
        Ok(Removed {
            record: removed_record,
            secret: removed_secret,
        })
    }
}
