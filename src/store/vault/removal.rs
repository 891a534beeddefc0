//! Removing an account from the team store: read everything first (the record from the data,
//! so the listing never decides where the secret is revoked), then delete it with all its
//! versions, unless it was linked anew meanwhile.

use reqwest::Method;

use super::client::Need;
use super::{Read, VaultError, VaultStore};
use crate::base::secret::Secret;
use crate::store::{Account, AccountName, CachedToken, Removed, StoreError};

/// What [`VaultStore::begin_removal`] read.
pub(crate) struct Begun<'a> {
    pub(crate) removal: VaultRemoval<'a>,
    pub(crate) record: Option<Account>,
    pub(crate) secret: Option<Secret>,
    pub(crate) token: Option<CachedToken>,
    /// How the listing misdescribes the record read with the secret.
    pub(crate) warning: Option<String>,
}

/// A removal in progress: the version read, to refuse removing a newer link.
pub(crate) struct VaultRemoval<'a> {
    store: &'a VaultStore,
    name: AccountName,
    version: Option<u64>,
}

impl VaultStore {
    /// Reads what a removal removes: record and secret (from the data: the listing never
    /// decides where the secret is revoked), cached token, and the version.
    pub(crate) async fn begin_removal(&self, name: &AccountName) -> Result<Begun<'_>, StoreError> {
        let meta = self.metadata(name).await?;
        let read = match &meta {
            Some(m) if m.live() => self.read_data(name).await?,
            _ => None,
        };
        let warning = read.as_ref().and_then(Read::warning);
        let (record, secret) = match read {
            Some(read) => (Some(read.account), read.secret),
            None => (None, None),
        };
        let token_reply = self
            .client
            .call(&Method::GET, &self.token_data_path(name), Need::READ)
            .await?;
        let token = (token_reply.status == 200)
            .then(|| token_reply.body["data"]["data"]["token"].as_str())
            .flatten()
            .map(|t| CachedToken::from_stored(&Secret::new(t)));
        if meta.is_none() && token.is_none() {
            return Err(StoreError::NotLinked(name.clone()));
        }
        // Before the provider-side revocation, which cannot be taken back: can it be removed?
        self.client
            .require("delete", &self.metadata_path(name))
            .await?;
        let removal = VaultRemoval {
            store: self,
            name: name.clone(),
            version: meta.map(|m| m.current_version),
        };
        Ok(Begun {
            removal,
            record,
            secret,
            token,
            warning,
        })
    }
}

impl VaultRemoval<'_> {
    /// Deletes the account with all its versions, and its cached token, unless it was linked
    /// anew since it was read.
    pub(crate) async fn finish(self) -> Result<Removed, StoreError> {
        let store = self.store;
        if let Some(version) = self.version {
            let now = store.metadata(&self.name).await?;
            if let Some(meta) = now.filter(|m| m.current_version != version) {
                return Err(VaultError::Conflict {
                    name: self.name.to_string(),
                    expected: version,
                    found: meta.current_version.to_string(),
                }
                .into());
            }
            store.delete_all(&store.metadata_path(&self.name)).await?;
        }
        crate::base::fault::point("revoke:after_index_write");
        store
            .delete_all(&store.token_metadata_path(&self.name))
            .await?;
        store.forget_lease(&self.name).await;
        Ok(Removed {
            record: self.version.is_some(),
            secret: self.version.is_some(),
        })
    }
}
