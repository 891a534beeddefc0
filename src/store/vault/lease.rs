//! The team store's refresh lease (see `store/lease.rs`): a small KV v2 secret at
//! `PREFIX/.locks/NAME` holding who took it and for how many seconds. It ends `hold` seconds
//! after the version's `created_time`, compared with the server's `Date`: both are the
//! server's clock, so runners whose clocks disagree still agree on when a lease ends. It is
//! taken with check-and-set, so two runs never both hold it; a lease whose time ran out (its
//! holder died) is taken over the same way; releasing writes a hold of 0 with check-and-set, so
//! a run never releases a lease a newer holder took over.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::client::Need;
use super::{VaultError, VaultStore, cas_mismatch, nonce, unexpected};
use crate::store::cache::unix_now;
use crate::store::lease::{Busy, Held, POLL, Turn};
use crate::store::{AccountName, StoreError};

fn unix_secs(at: std::time::SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A lease this run holds: the version it wrote, and the nonce that tells it is this run's.
pub(crate) struct VaultLease {
    name: AccountName,
    version: u64,
    holder: String,
}

/// The lease record as read: its version and contents (absent: version 0).
struct Current {
    version: u64,
    holder: Option<String>,
    by: Option<String>,
    /// When it ends and the time now, both in Unix seconds on the server's clock.
    ends: u64,
    now: u64,
}

/// Latest end time shown or computed: the last second of the year 9999.
const LAST_END: u64 = 253_402_300_799;

impl Current {
    fn running(&self) -> bool {
        self.now < self.ends
    }

    fn shown(&self) -> String {
        let until = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + Duration::from_secs(self.ends.min(LAST_END)),
        );
        match &self.by {
            Some(by) => format!(", held by {by} until {until}"),
            None => format!(", held until {until}"),
        }
    }
}

/// A capability the token lacks, said as what spending a refresh token needs.
fn needs(name: &AccountName, e: VaultError) -> VaultError {
    match e {
        VaultError::DeniedWith {
            capability,
            path,
            granted,
        } => VaultError::RefreshNeeds {
            name: name.to_string(),
            capability,
            path,
            granted,
        },
        VaultError::Denied { capability, path } => VaultError::RefreshNeeds {
            name: name.to_string(),
            capability,
            path,
            granted: "nothing".to_owned(),
        },
        other => other,
    }
}

impl VaultStore {
    fn lease_path(&self, name: &AccountName) -> String {
        format!("{}/data/{}/.locks/{name}", self.mount, self.prefix)
    }

    /// Removes a revoked account's lease record (held by the revoking run, which then has
    /// nothing to release). Best effort: a token that may not delete it leaves it, and a lease
    /// record is no secret.
    pub(crate) async fn forget_lease(&self, name: &AccountName) {
        let path = format!("{}/metadata/{}/.locks/{name}", self.mount, self.prefix);
        let _ = self
            .client
            .call(&Method::DELETE, &path, Need::probe("delete"))
            .await;
    }

    async fn current_lease(&self, name: &AccountName) -> Result<Current, VaultError> {
        let reply = self
            .client
            .call(&Method::GET, &self.lease_path(name), Need::READ)
            .await?;
        let now = reply.date.map_or_else(unix_now, unix_secs);
        match reply.status {
            200 => {
                let data = &reply.body["data"]["data"];
                let meta = &reply.body["data"]["metadata"];
                let text = |v: &Value| v.as_str().map(str::to_owned);
                // A number, or a string of one (as `bao kv put` writes by hand).
                let hold = data["hold"]
                    .as_u64()
                    .or_else(|| data["hold"].as_str()?.trim().parse().ok())
                    .unwrap_or(0);
                let created = meta["created_time"]
                    .as_str()
                    .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
                    .map_or(0, unix_secs);
                Ok(Current {
                    version: meta["version"].as_u64().unwrap_or(0),
                    holder: text(&data["holder"]),
                    by: text(&data["by"]).map(|b| self.client.redactor().display(&b, 120)),
                    // An unreadable lease has ended.
                    ends: if created == 0 {
                        0
                    } else {
                        created.saturating_add(hold).min(LAST_END)
                    },
                    now,
                })
            }
            404 => match self.no_mount(&reply) {
                Some(e) => Err(e),
                None => Ok(Current {
                    version: 0,
                    holder: None,
                    by: None,
                    ends: 0,
                    now,
                }),
            },
            _ => Err(unexpected(&reply)),
        }
    }

    /// Writes the lease record over `version` (0: create), held for `hold` seconds; `None`
    /// when another run wrote it first.
    async fn write_lease(
        &self,
        name: &AccountName,
        version: u64,
        holder: &str,
        hold: u64,
    ) -> Result<Option<u64>, VaultError> {
        let body = json!({
            "options": {"cas": version},
            "data": {"holder": holder, "by": self.client.whoami().await, "hold": hold},
        });
        let capability = if version == 0 { "create" } else { "update" };
        let reply = self
            .client
            .request(
                &Method::POST,
                &self.lease_path(name),
                Some(&body),
                &[],
                Need::guarded(capability),
            )
            .await?;
        match reply.status {
            200 | 204 => Ok(reply.body["data"]["version"].as_u64().or(Some(version + 1))),
            _ if cas_mismatch(&reply) => Ok(None),
            _ => Err(unexpected(&reply)),
        }
    }

    /// Takes the lease of `name` for `hold`, waiting up to `wait` for another holder.
    pub(crate) async fn take_lease(
        &self,
        name: &AccountName,
        turn: &Turn<'_>,
    ) -> Result<Held, StoreError> {
        let (hold, wait) = (turn.hold, turn.wait);
        // Before anything is spent: a rotated token must be storable, and the lease writable.
        let (data, lease) = (self.data_path(name), self.lease_path(name));
        self.client
            .require_all(&[("update", &data), ("create", &lease), ("update", &lease)])
            .await
            .map_err(|e| needs(name, e))?;
        let holder = nonce();
        let started = Instant::now();
        let mut told = false;
        loop {
            let current = self.current_lease(name).await.map_err(|e| needs(name, e))?;
            let ours = current.holder.as_deref() == Some(holder.as_str());
            if ours {
                // A repeated write that had landed before its reply was lost.
                return Ok(self.held(name, current.version, holder));
            }
            if !current.running() {
                if let Some(version) = self
                    .write_lease(name, current.version, &holder, hold.as_secs())
                    .await
                    .map_err(|e| needs(name, e))?
                {
                    return Ok(self.held(name, version, holder));
                }
                // Another run wrote first, or this write's first try landed: look again.
                continue;
            }
            if started.elapsed() >= wait {
                return Err(StoreError::Busy(Busy {
                    name: name.clone(),
                    holder: current.shown(),
                    waited: wait.as_secs(),
                }));
            }
            if !told {
                turn.tell_waiting(name, current.shown());
                told = true;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn held(&self, name: &AccountName, version: u64, holder: String) -> Held {
        Held::Vault(VaultLease {
            name: name.clone(),
            version,
            holder,
        })
    }

    /// Ends the lease now, unless another run took it over after it ran out. A release that
    /// fails changes nothing: the lease ends at its time anyway.
    pub(crate) async fn release_lease(&self, lease: VaultLease) {
        let _ = self
            .write_lease(&lease.name, lease.version, &lease.holder, 0)
            .await;
    }
}
