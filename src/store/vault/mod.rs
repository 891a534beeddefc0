//! The team store: accounts in a KV v2 mount of Vault or OpenBao, shared by a team or a CI
//! fleet. Layout, under `MOUNT` and `PREFIX`:
//!
//! - `PREFIX/NAME`: one KV v2 secret per account. Each version's data holds the secret and the
//!   whole record (JSON), so a secret is always read with its own record. `custom_metadata`
//!   mirrors the record key by key for `list` (readable without access to any secret), names
//!   the version it describes, and holds test results and who linked each version.
//! - `PREFIX/.tokens/NAME`: the cached access token with the version it was issued for. An
//!   account name cannot start with `.`, so no account is called `.tokens`, and a policy can
//!   keep tokens apart.
//! - `PREFIX/.locks/NAME`: the account's refresh lease (`lease.rs`): who is spending its
//!   refresh token, and for how long. No secret.
//!
//! Concurrency is check-and-set: `link` writes version 0 → 1 only if the key does not exist,
//! `link --force` only over the version it read (a rotated refresh token only over the version
//! it was issued to); a teammate's change in between is a
//! [`VaultError::Conflict`], and nothing is written. Mirror writes use OpenBao's metadata
//! check-and-set where the server has it, last-writer-wins otherwise, and never overwrite
//! the mirror of a newer version.

mod client;
mod config;
mod history;
mod jwt;
mod lease;
pub(crate) mod record;
mod removal;

use std::collections::BTreeMap;

use futures_util::{Stream, StreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) use client::Client;
use client::{Need, Reply};
pub(crate) use config::{Config, ENV_ALLOW_HTTP};
pub(crate) use history::History;
pub(crate) use lease::VaultLease;
use record::Mirror;
pub(crate) use removal::VaultRemoval;

use super::{Account, AccountName, CachedToken, Loaded, Replace, StoreError, Tested};
use crate::base::secret::Secret;

/// Metadata requests in flight at once for `list` and for recording results.
const PARALLEL: usize = 16;
/// Tries of a mirror write that lost a metadata check-and-set to a teammate's, or read a
/// standby that had not caught up yet.
const MIRROR_TRIES: usize = 7;

/// Why the team store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VaultError {
    #[error("{0}")]
    Config(String),
    #[error("cannot reach the team store at {addr}: {why}")]
    Unreachable { addr: String, why: String },
    #[error("TLS with the team store at {addr} failed: {why}")]
    Tls { addr: String, why: String },
    #[error("the team store at {addr} is sealed")]
    Sealed { addr: String },
    #[error("the team store does not accept the Vault token: it is expired, revoked or unknown")]
    TokenInvalid,
    #[error("no Vault token: BAO_TOKEN (or VAULT_TOKEN) is not set and there is no ~/.vault-token")]
    NoToken,
    #[error("{method} login failed: {why}")]
    Login { method: &'static str, why: String },
    #[error("your token may not `{capability}` {path}")]
    Denied {
        capability: &'static str,
        path: String,
    },
    #[error("your token may not `{capability}` {path} (it may: {granted})")]
    DeniedWith {
        capability: &'static str,
        path: String,
        granted: String,
    },
    #[error(
        "checking `{name}` spends its refresh token, which needs `{capability}` on {path}: to take turns with other runs, and to keep the new token a provider that rotates sends (your token may: {granted}); nothing was sent"
    )]
    RefreshNeeds {
        name: String,
        capability: &'static str,
        path: String,
        granted: String,
    },
    #[error("the team store answered HTTP {status}: {message}")]
    Server { status: u16, message: String },
    #[error("`{mount}` is not a KV version 2 mount: {why}")]
    NotKv2 { mount: String, why: String },
    #[error(
        "the account `{name}` was changed in the team store by someone else meanwhile (it is at version {found}, not {expected}); nothing was written"
    )]
    Conflict {
        name: String,
        expected: u64,
        found: String,
    },
    #[error("the account does not fit the team store: {0}")]
    TooLarge(#[from] record::TooLarge),
    #[error("the team store holds no valid credlink record for `{name}`: {why}")]
    BadRecord { name: String, why: String },
    #[error(
        "the new secret of `{name}` is stored and is now the current one (version {version}), but its listing could not be updated: {why}. `credlink list` shows the link before it until the listing is rewritten; every check, `token` and `revoke` goes by the stored data, never by the listing"
    )]
    StaleMirror {
        name: String,
        version: u64,
        why: Box<VaultError>,
    },
}

/// KV v2 metadata, as much of it as credlink reads.
#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    current_version: u64,
    /// OpenBao only: the metadata's own version, for metadata check-and-set.
    #[serde(default)]
    current_metadata_version: Option<u64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    custom_metadata: Mirror,
    #[serde(default)]
    versions: BTreeMap<String, VersionMeta>,
}

#[derive(Debug, Default, Deserialize)]
struct VersionMeta {
    #[serde(default)]
    created_time: String,
    #[serde(default)]
    deletion_time: String,
    #[serde(default)]
    destroyed: bool,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Mirror, D::Error> {
    Ok(Option::<Mirror>::deserialize(d)?.unwrap_or_default())
}

impl Meta {
    /// Whether the latest version is live (not soft-deleted or destroyed).
    fn live(&self) -> bool {
        self.versions
            .get(&self.current_version.to_string())
            .is_some_and(|v| v.deletion_time.is_empty() && !v.destroyed)
    }

    /// The record the mirror describes, when it describes the current version.
    fn record(&self, name: &str) -> Option<Account> {
        let (mut account, version) = record::from_mirror(name, &self.custom_metadata)?;
        (version == self.current_version).then(|| {
            account.revision = Some(version);
            account
        })
    }
}

impl Meta {
    /// The record `list` shows: the mirror, even when a newer version's mirror is still being
    /// written; nothing for a removed (soft-deleted) account or a key that is no record.
    fn listed(&self, name: &str) -> Option<Account> {
        if !self.live() {
            return None;
        }
        let (mut account, version) = record::from_mirror(name, &self.custom_metadata)?;
        account.revision = Some(version);
        Some(account)
    }
}

/// Whether a delete happened or there was nothing to delete.
fn deleted(reply: &Reply) -> Result<(), VaultError> {
    match reply.status {
        200 | 204 | 404 => Ok(()),
        _ => Err(unexpected(reply)),
    }
}

/// One version's data as read: record, secret, the nonce of the write that made it, and how
/// the mirror read with it misdescribes it.
struct Read {
    account: Account,
    secret: Option<Secret>,
    nonce: Option<String>,
    stale_mirror: Option<String>,
}

impl Read {
    /// What to tell the user about a mirror that misdescribes this version.
    fn warning(&self) -> Option<String> {
        let why = self.stale_mirror.as_ref()?;
        Some(format!(
            "the team store's listing of `{}` (its custom_metadata) does not match its data: {why}. credlink goes by the data (version {}), never by the listing; a `credlink test` with `update` on the metadata rewrites it",
            self.account.name,
            self.account.revision.unwrap_or_default()
        ))
    }
}

/// 128 random bits, base64url.
fn nonce() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) struct VaultStore {
    client: Client,
    pub(super) mount: String,
    pub(super) prefix: String,
}

fn unexpected(reply: &Reply) -> VaultError {
    VaultError::Server {
        status: reply.status,
        message: reply.message(),
    }
}

fn cas_mismatch(reply: &Reply) -> bool {
    reply.status == 400 && reply.errors().contains("check-and-set")
}

impl VaultStore {
    pub(crate) fn new(client: Client, mount: String, prefix: String) -> Self {
        Self {
            client,
            mount,
            prefix,
        }
    }

    pub(crate) fn describe(&self) -> String {
        let ns = self
            .client
            .namespace()
            .map(|n| format!(", namespace {n}"))
            .unwrap_or_default();
        format!(
            "the team store {}/{} at {}{ns}",
            self.mount,
            self.prefix,
            self.client.addr()
        )
    }

    fn data_path(&self, name: &AccountName) -> String {
        format!("{}/data/{}/{name}", self.mount, self.prefix)
    }

    fn metadata_path(&self, name: &AccountName) -> String {
        format!("{}/metadata/{}/{name}", self.mount, self.prefix)
    }

    fn token_data_path(&self, name: &AccountName) -> String {
        format!("{}/data/{}/.tokens/{name}", self.mount, self.prefix)
    }

    fn token_metadata_path(&self, name: &AccountName) -> String {
        format!("{}/metadata/{}/.tokens/{name}", self.mount, self.prefix)
    }

    /// Deletes a key with all its versions (a metadata path); nothing to delete is fine.
    async fn delete_all(&self, metadata_path: &str) -> Result<(), VaultError> {
        let reply = self
            .client
            .call(&Method::DELETE, metadata_path, Need::DELETE)
            .await?;
        deleted(&reply)
    }

    /// A 404 that says the mount is missing, rather than the key.
    fn no_mount(&self, reply: &Reply) -> Option<VaultError> {
        reply
            .errors()
            .contains("no handler for route")
            .then(|| VaultError::NotKv2 {
                mount: self.mount.clone(),
                why: "there is no such mount (create it with `bao secrets enable -version=2 -path=MOUNT kv`)".into(),
            })
    }

    /// Fails with the reason when the store cannot be used: no token, a bad one, a mount that
    /// is not KV v2. A token that may not see the mount's settings is let through: the
    /// operations themselves say what it lacks.
    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        let path = format!("sys/internal/ui/mounts/{}", self.mount);
        let reply = self
            .client
            .call(&Method::GET, &path, Need::probe("read"))
            .await?;
        match reply.status {
            200 => {
                let data = &reply.body["data"];
                let kind = data["type"].as_str().unwrap_or_default();
                let version = data["options"]["version"].as_str().unwrap_or("1");
                if kind == "kv" && version == "2" {
                    Ok(())
                } else {
                    Err(VaultError::NotKv2 {
                        mount: self.mount.clone(),
                        why: format!("it is a `{kind}` mount, version {version}"),
                    }
                    .into())
                }
            }
            403 => {
                // Tells a bad token from a policy that hides the mount.
                match self
                    .client
                    .call(&Method::GET, "auth/token/lookup-self", Need::probe("read"))
                    .await?
                    .status
                {
                    403 => Err(VaultError::TokenInvalid.into()),
                    _ => Ok(()),
                }
            }
            400 | 404 => Err(VaultError::NotKv2 {
                mount: self.mount.clone(),
                why: "there is no such mount (create it with `bao secrets enable -version=2 -path=MOUNT kv`)".into(),
            }
            .into()),
            _ => Err(unexpected(&reply).into()),
        }
    }

    async fn metadata(&self, name: &AccountName) -> Result<Option<Meta>, VaultError> {
        let reply = self
            .client
            .call(&Method::GET, &self.metadata_path(name), Need::READ)
            .await?;
        match reply.status {
            200 => Ok(Some(self.parse_meta(name.as_str(), &reply.body["data"])?)),
            404 => match self.no_mount(&reply) {
                Some(e) => Err(e),
                None => Ok(None),
            },
            _ => Err(unexpected(&reply)),
        }
    }

    fn parse_meta(&self, name: &str, data: &Value) -> Result<Meta, VaultError> {
        Meta::deserialize(data).map_err(|e| VaultError::BadRecord {
            name: name.to_owned(),
            why: format!("its metadata cannot be read: {e}"),
        })
    }

    /// The record of an account, from its data: the record stored with the secret decides
    /// which connector (and so which host) the secret goes to. Only a token that may not read
    /// the data gets the mirror, which then decides nothing: such a token cannot read the
    /// secret either.
    pub(crate) async fn record(&self, name: &AccountName) -> Result<Option<Account>, StoreError> {
        let Some(meta) = self.metadata(name).await? else {
            return Ok(None);
        };
        if !meta.live() {
            return Ok(None);
        }
        match self.read_data(name).await {
            Ok(read) => Ok(read.map(|read| read.account)),
            Err(VaultError::Denied { .. } | VaultError::DeniedWith { .. })
                if meta.record(name.as_str()).is_some() =>
            {
                Ok(meta.record(name.as_str()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The latest version's record and secret.
    async fn read_data(&self, name: &AccountName) -> Result<Option<Read>, VaultError> {
        self.read_version(name, None).await
    }

    /// One version's record and secret (the latest for `None`).
    async fn read_version(
        &self,
        name: &AccountName,
        version: Option<u64>,
    ) -> Result<Option<Read>, VaultError> {
        let path = match version {
            Some(v) => format!("{}?version={v}", self.data_path(name)),
            None => self.data_path(name),
        };
        let reply = self.client.call(&Method::GET, &path, Need::READ).await?;
        match reply.status {
            200 => {}
            404 => {
                return match self.no_mount(&reply) {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            _ => return Err(unexpected(&reply)),
        }
        let data = &reply.body["data"];
        let bad = |why: &str| VaultError::BadRecord {
            name: name.to_string(),
            why: why.to_owned(),
        };
        let version = data["metadata"]["version"]
            .as_u64()
            .ok_or_else(|| bad("its data names no version"))?;
        let mut account: Account = data["data"]["record"]
            .as_str()
            .ok_or_else(|| bad("its data holds no record (was it written by hand?)"))
            .and_then(|r| {
                serde_json::from_str(r).map_err(|e| bad(&format!("its record is not valid: {e}")))
            })?;
        if account.name != name.as_str() {
            return Err(bad("its record names another account"));
        }
        account.revision = Some(version);
        // The mirror as of this very read (KV v2 answers a data read with the metadata).
        let mirror: Mirror =
            serde_json::from_value(data["metadata"]["custom_metadata"].clone()).unwrap_or_default();
        let stale_mirror = record::disagreement(&mirror, &account, version);
        if stale_mirror.is_none()
            && let Some((tested, _)) = record::from_mirror(name.as_str(), &mirror)
        {
            account.last_tested_at = tested.last_tested_at;
            account.last_status = tested.last_status;
        }
        Ok(Some(Read {
            account,
            secret: data["data"]["secret"].as_str().map(Secret::new),
            nonce: data["data"]["nonce"].as_str().map(str::to_owned),
            stale_mirror,
        }))
    }

    /// Every account, from metadata only: one detailed listing where the server has it
    /// (OpenBao), else one listing and bounded parallel metadata reads.
    pub(crate) async fn records(&self) -> Result<Vec<Account>, StoreError> {
        let detailed = format!("{}/detailed-metadata/{}?list=true", self.mount, self.prefix);
        let reply = self
            .client
            .call(&Method::GET, &detailed, Need::probe("list"))
            .await?;
        // A server that fails this request fails the plain listing too: no second wait.
        if reply.status >= 500 && reply.status != 501 {
            return Err(unexpected(&reply).into());
        }
        if reply.status == 200 && reply.body["data"]["key_info"].is_object() {
            let mut accounts = Vec::new();
            for (key, meta) in reply.body["data"]["key_info"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let Ok(name) = AccountName::parse(key) else {
                    continue;
                };
                let meta = self.parse_meta(key, meta)?;
                accounts.extend(meta.listed(name.as_str()));
            }
            accounts.sort_by(|a, b| a.name.cmp(&b.name));
            return Ok(accounts);
        }
        let list = format!("{}/metadata/{}?list=true", self.mount, self.prefix);
        let reply = self.client.call(&Method::GET, &list, Need::LIST).await?;
        let keys: Vec<AccountName> = match reply.status {
            200 => reply.body["data"]["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|k| AccountName::parse(k).ok())
                .collect(),
            404 => match self.no_mount(&reply) {
                Some(e) => return Err(e.into()),
                None => Vec::new(),
            },
            _ => return Err(unexpected(&reply).into()),
        };
        let metas: Vec<Result<Option<Account>, VaultError>> = futures_util::stream::iter(keys)
            .map(|name| async move {
                Ok(self
                    .metadata(&name)
                    .await?
                    .and_then(|m| m.listed(name.as_str())))
            })
            .buffered(PARALLEL)
            .collect()
            .await;
        let mut accounts = Vec::new();
        for m in metas {
            accounts.extend(m?);
        }
        Ok(accounts)
    }

    /// The record and secret of the account's latest version, read in one request.
    pub(crate) async fn load(&self, account: Account) -> Result<Loaded, StoreError> {
        let name = AccountName::parse(&account.name)?;
        match self.read_data(&name).await? {
            Some(read) => Ok(Loaded {
                warning: read.warning(),
                account: read.account,
                secret: read.secret,
            }),
            None => Ok(Loaded {
                account,
                secret: None,
                warning: None,
            }),
        }
    }

    /// Writes a new version with check-and-set, then its mirror. A new account is written
    /// only if the key does not exist; a replacement only over the version read. Nothing is
    /// written when the record does not fit or a teammate got there first.
    pub(crate) async fn link(
        &self,
        mut account: Account,
        secret: &Secret,
        replace: Replace<'_>,
        token: Option<CachedToken>,
    ) -> Result<(), StoreError> {
        let name = AccountName::parse(&account.name)?;
        account.linked_by = self.client.whoami().await;
        record::check_fits(&account).map_err(VaultError::from)?;
        let existing = self.metadata(&name).await?;
        let live = existing.as_ref().filter(|m| m.live());
        let cas = match (live, replace) {
            (Some(_), Replace::No) => return Err(StoreError::AlreadyLinked(name)),
            (Some(meta), Replace::Only(read)) if read.revision != Some(meta.current_version) => {
                return Err(VaultError::Conflict {
                    name: name.to_string(),
                    expected: read.revision.unwrap_or(0),
                    found: meta.current_version.to_string(),
                }
                .into());
            }
            (None, Replace::Only(_)) => return Err(StoreError::Relinked(name)),
            (Some(meta), _) => meta.current_version,
            // A removed account's metadata may remain (all versions deleted): write over it.
            (None, _) => existing.as_ref().map_or(0, |m| m.current_version),
        };
        let record = serde_json::to_string(&account).map_err(|e| VaultError::BadRecord {
            name: name.to_string(),
            why: e.to_string(),
        })?;
        // Two teammates may write the same record and secret in the same second: the nonce
        // tells this write from theirs when a repeated write meets a check-and-set mismatch.
        let nonce = nonce();
        let body = json!({
            "options": {"cas": cas},
            "data": {"secret": secret.expose(), "record": record, "nonce": nonce},
        });
        let capability = if cas == 0 { "create" } else { "update" };
        let reply = self
            .client
            .request(
                &Method::POST,
                &self.data_path(&name),
                Some(&body),
                &[secret],
                Need::guarded(capability),
            )
            .await?;
        let version = match reply.status {
            200 | 204 => reply.body["data"]["version"].as_u64(),
            _ if cas_mismatch(&reply) => None,
            404 => {
                return Err(self
                    .no_mount(&reply)
                    .unwrap_or_else(|| unexpected(&reply))
                    .into());
            }
            _ => return Err(unexpected(&reply).into()),
        };
        let version = match version {
            Some(v) => v,
            // A mismatch after a repeated write may be this write's own first attempt.
            None => match self.read_data(&name).await? {
                Some(read) if read.nonce.as_deref() == Some(nonce.as_str()) => {
                    read.account.revision.unwrap_or(cas + 1)
                }
                other => {
                    let found = other
                        .and_then(|read| read.account.revision)
                        .map_or_else(|| "removed".to_owned(), |v| v.to_string());
                    return Err(VaultError::Conflict {
                        name: name.to_string(),
                        expected: cas,
                        found,
                    }
                    .into());
                }
            },
        };
        crate::base::fault::point("link:after_keychain_write");
        if let Err(e) = self.write_mirror(&name, version, &account).await {
            // Nothing existed before this link: take it back out, so that a failed link
            // leaves nothing behind. A replacement cannot be taken back (KV v2 keeps the
            // version), so say plainly which secret is now current.
            if cas == 0 && self.delete_all(&self.metadata_path(&name)).await.is_ok() {
                return Err(e.into());
            }
            return Err(VaultError::StaleMirror {
                name: name.to_string(),
                version,
                why: Box::new(e),
            }
            .into());
        }
        let _ = match token {
            Some(token) => self.put_token(&name, version, &token).await,
            None => self.delete_all(&self.token_metadata_path(&name)).await,
        };
        Ok(())
    }

    /// Writes the mirror of `version` unless a newer version was linked meanwhile, with the
    /// server's metadata check-and-set where it has one.
    async fn write_mirror(
        &self,
        name: &AccountName,
        version: u64,
        account: &Account,
    ) -> Result<(), VaultError> {
        self.update_mirror(name, version, |previous| {
            record::mirror(account, version, previous)
        })
        .await
        .map(drop)
    }

    /// Replaces the mirror with `f(current mirror)` while the key is at `version`; `false`
    /// when it is not (relinked or removed meanwhile).
    async fn update_mirror(
        &self,
        name: &AccountName,
        version: u64,
        f: impl Fn(&Mirror) -> Mirror,
    ) -> Result<bool, VaultError> {
        let mut pause = std::time::Duration::from_millis(250);
        for attempt in 1..=MIRROR_TRIES {
            let meta = self.metadata(name).await?;
            match &meta {
                Some(meta) if meta.current_version > version => return Ok(false),
                // Older than the version just written, or not there yet: a standby that has
                // not caught up (OpenBao serves reads from standbys). Gone for good after the
                // last try: removed meanwhile.
                Some(meta) if meta.current_version < version && attempt < MIRROR_TRIES => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(2));
                    continue;
                }
                None if attempt < MIRROR_TRIES => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(2));
                    continue;
                }
                None => return Ok(false),
                Some(meta) if meta.current_version < version => {
                    return Err(VaultError::Server {
                        status: 200,
                        message: format!(
                            "the server still shows version {} of `{name}` after version {version} was written; try again",
                            meta.current_version
                        ),
                    });
                }
                Some(_) => {}
            }
            let meta = meta.expect("matched above");
            let mut body = json!({"custom_metadata": f(&meta.custom_metadata)});
            if let Some(mv) = meta.current_metadata_version {
                body["metadata_cas"] = json!(mv);
            }
            let reply = self
                .client
                .request(
                    &Method::POST,
                    &self.metadata_path(name),
                    Some(&body),
                    &[],
                    Need::guarded("update"),
                )
                .await?;
            match reply.status {
                200 | 204 => return Ok(true),
                _ if cas_mismatch(&reply) => continue,
                _ => return Err(unexpected(&reply)),
            }
        }
        Err(VaultError::Server {
            status: 400,
            message: format!(
                "the metadata of `{name}` kept changing under {MIRROR_TRIES} tries; try again"
            ),
        })
    }

    /// Records results onto the versions they were found for as they come, PARALLEL at a
    /// time; a result for a version linked over meanwhile is dropped. The results' records
    /// come from the data. Returns the first error; the other results are still recorded.
    pub(crate) async fn record_as_found(
        &self,
        results: impl Stream<Item = Tested>,
    ) -> Result<(), StoreError> {
        let first_error = results
            .map(|r| async move { self.record_result(&r).await })
            .buffer_unordered(PARALLEL)
            .fold(None, |first, done| std::future::ready(first.or(done.err())))
            .await;
        first_error.map_or(Ok(()), |e| Err(e.into()))
    }

    async fn record_result(&self, r: &Tested) -> Result<bool, VaultError> {
        let (Ok(name), Some(version)) = (AccountName::parse(&r.account.name), r.account.revision)
        else {
            return Ok(false);
        };
        // `r.account` is the record read from the data: a mirror that misdescribes it is
        // rewritten from it.
        self.update_mirror(&name, version, |current| {
            let base = match record::disagreement(current, &r.account, version) {
                None => current.clone(),
                Some(_) => record::mirror(&r.account, version, current),
            };
            record::with_result(base, r)
        })
        .await
    }

    async fn put_token(
        &self,
        name: &AccountName,
        version: u64,
        token: &CachedToken,
    ) -> Result<(), VaultError> {
        let stored = token.to_stored();
        let body = json!({"data": {"token": stored.expose(), "version": version}});
        let reply = self
            .client
            .request(
                &Method::POST,
                &self.token_data_path(name),
                Some(&body),
                &[&token.access_token],
                // The same token written twice is the same entry.
                Need::guarded("update"),
            )
            .await?;
        match reply.status {
            200 | 204 => Ok(()),
            _ => Err(unexpected(&reply)),
        }
    }

    pub(crate) async fn cached_token(
        &self,
        account: &Account,
    ) -> Result<Option<CachedToken>, StoreError> {
        let name = AccountName::parse(&account.name)?;
        let reply = self
            .client
            .call(&Method::GET, &self.token_data_path(&name), Need::READ)
            .await?;
        if reply.status != 200 {
            return Ok(None);
        }
        let data = &reply.body["data"]["data"];
        if data["version"].as_u64() != account.revision {
            return Ok(None);
        }
        Ok(data["token"]
            .as_str()
            .map(|t| CachedToken::from_stored(&Secret::new(t))))
    }

    pub(crate) async fn cache_token(
        &self,
        account: &Account,
        token: &CachedToken,
    ) -> Result<bool, StoreError> {
        let name = AccountName::parse(&account.name)?;
        let Some(version) = account.revision else {
            return Ok(false);
        };
        match self.metadata(&name).await? {
            Some(meta) if meta.current_version == version && meta.live() => {}
            _ => return Ok(false),
        }
        self.put_token(&name, version, token).await?;
        Ok(true)
    }
}
