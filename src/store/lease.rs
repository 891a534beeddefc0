//! Refresh leases: one credlink run at a time spends an account's refresh token. A provider
//! that rotates refresh tokens accepts each one once, and many (oidc-provider, Auth0, Okta)
//! revoke the whole token family when an old one comes back: two runs refreshing the same
//! account at once would kill the link for both. The holder reads the secret after it has the
//! lease, so it always spends the newest refresh token, and stores a rotated one before it
//! lets go.
//!
//! The local store holds an advisory lock on a file beside the index (released by the
//! kernel when the process dies); the team store holds a lease record with an end time under
//! `PREFIX/.locks/NAME`, taken and released with check-and-set (`vault/lease.rs`).

use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use super::index::{Index, IndexError};
use super::{AccountName, StoreError};

/// How often a waiting run looks again.
pub(super) const POLL: Duration = Duration::from_millis(200);

/// A held lease. The local one is released on drop; the team store's with
/// [`super::Store::release`], or when its time runs out.
#[must_use = "a lease is released with Store::release"]
pub(crate) struct RefreshLease {
    pub(super) held: Held,
    /// Dropped after `held` (fields drop in order): a Ctrl-C while the refresh token is spent
    /// ends the run only once the turn is given back.
    pub(super) refreshing: crate::terminal::interrupt::Refreshing,
}

pub(crate) enum Held {
    /// Held for as long as the file is open.
    Local {
        _lock: File,
    },
    Vault(super::vault::VaultLease),
}

/// Why a run could not take the lease within its wait.
#[derive(Debug, thiserror::Error)]
#[error(
    "another credlink run is refreshing `{name}`{holder}, and it did not finish within {waited} s; nothing was sent"
)]
pub(crate) struct Busy {
    pub(crate) name: AccountName,
    /// ", held by ci-runner-3 until 12:00:05Z", where the store says.
    pub(crate) holder: String,
    pub(crate) waited: u64,
}

/// How long a run may hold an account's refresh lease and wait for another run's, and whom
/// to tell, once, that it has to wait: the command decides how that is shown.
pub(crate) struct Turn<'a> {
    pub(crate) hold: Duration,
    pub(crate) wait: Duration,
    pub(crate) waiting: &'a (dyn Fn(&Waiting) + Sync),
}

/// A run waits for another's turn with an account's refresh token.
pub(crate) struct Waiting {
    pub(crate) name: AccountName,
    /// ", held by ci-runner-3 until 12:00:05Z", where the store says.
    pub(crate) holder: String,
}

impl Turn<'_> {
    pub(super) fn tell_waiting(&self, name: &AccountName, holder: String) {
        (self.waiting)(&Waiting {
            name: name.clone(),
            holder,
        });
    }
}

/// Takes the local lease: the advisory lock of the account's lock file.
pub(super) async fn take_local(
    index: &Index,
    name: &AccountName,
    turn: &Turn<'_>,
) -> Result<Held, StoreError> {
    let wait = turn.wait;
    let mut file = index.refresh_lock_file(name)?;
    let started = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            // `revoke` removes the lock file while it holds it: a lock on a removed file
            // guards nothing, so open the one now at its path and lock that.
            Ok(()) if !index.is_refresh_lock_file(name, &file) => {
                file = index.refresh_lock_file(name)?;
                continue;
            }
            Ok(()) => return Ok(Held::Local { _lock: file }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(IndexError::Write {
                    dir: index.dir().to_owned(),
                    why: format!("cannot lock the refresh lock file of `{name}`: {e}"),
                }
                .into());
            }
        }
        if started.elapsed() >= wait {
            return Err(StoreError::Busy(Busy {
                name: name.clone(),
                holder: String::new(),
                waited: wait.as_secs(),
            }));
        }
        if !told {
            turn.tell_waiting(name, String::new());
            told = true;
        }
        tokio::time::sleep(POLL).await;
    }
}
