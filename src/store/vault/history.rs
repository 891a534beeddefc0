//! `history`: the versions of an account, each described by its own record where its data
//! can be read, and what is wrong with the listing.

use futures_util::StreamExt;

use super::{PARALLEL, Read, VaultError, VaultStore, record};
use crate::store::{AccountName, StoreError};

/// How many of the newest versions `history` reads the records of; older ones keep the
/// listing's word (as many as the listing remembers who linked).
const VERSIONS_READ: usize = 20;

/// One version of an account, for `history`: its texts cleaned to be shown, as JSON too.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Version {
    pub(crate) version: u64,
    pub(crate) created_time: String,
    /// The connector its record names; `None` when its data cannot be read.
    pub(crate) connector: Option<String>,
    pub(crate) linked_by: Option<String>,
    pub(crate) current: bool,
    pub(crate) deleted: bool,
    pub(crate) destroyed: bool,
    /// Whether `linked_by` is the listing's word (its data could not be read).
    pub(crate) from_listing: bool,
}

/// The versions of an account, and what is wrong with its listing.
pub(crate) struct History {
    pub(crate) versions: Vec<Version>,
    pub(crate) warning: Option<String>,
}

impl VaultStore {
    /// Every version of an account with its connector and who linked it, oldest first, from
    /// each version's own record where it can be read (the listing's word only for deleted
    /// versions, or for a token that may not read the data), and what is wrong with the
    /// listing.
    pub(crate) async fn history(&self, name: &AccountName) -> Result<History, StoreError> {
        let meta = self
            .metadata(name)
            .await?
            .ok_or_else(|| StoreError::NotLinked(name.clone()))?;
        let mut versions: Vec<Version> = meta
            .versions
            .iter()
            .filter_map(|(v, m)| {
                let version: u64 = v.parse().ok()?;
                Some(Version {
                    version,
                    created_time: crate::base::text::clean(&m.created_time),
                    connector: None,
                    linked_by: record::linked_by(&meta.custom_metadata, version)
                        .map(|by| crate::base::text::clean(&by)),
                    current: version == meta.current_version,
                    deleted: !m.deletion_time.is_empty(),
                    destroyed: m.destroyed,
                    from_listing: true,
                })
            })
            .collect();
        versions.sort_by_key(|v| v.version);
        // The newest ones only: a key written with many versions must not cost as many reads.
        let readable: Vec<u64> = versions
            .iter()
            .rev()
            .filter(|v| !v.deleted && !v.destroyed)
            .take(VERSIONS_READ)
            .map(|v| v.version)
            .collect();
        let reads: Vec<Result<Option<Read>, VaultError>> = futures_util::stream::iter(readable)
            .map(|v| self.read_version(name, Some(v)))
            .buffered(PARALLEL)
            .collect()
            .await;
        let mut warning = None;
        for read in reads {
            let read = match read {
                Ok(Some(read)) => read,
                Ok(None) => continue,
                // A token that may only list: the listing is all there is.
                Err(VaultError::Denied { .. } | VaultError::DeniedWith { .. }) => break,
                // A version written by hand keeps the listing's word.
                Err(VaultError::BadRecord { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(v) = versions
                .iter_mut()
                .find(|v| Some(v.version) == read.account.revision)
            else {
                continue;
            };
            if v.current {
                warning = read.warning();
            }
            v.connector = Some(crate::base::text::clean(&read.account.connector));
            v.linked_by = read
                .account
                .linked_by
                .map(|by| crate::base::text::clean(&by));
            v.from_listing = false;
        }
        Ok(History { versions, warning })
    }
}
