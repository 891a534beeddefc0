//! The index file: one record per linked account, never a secret. Read-modify-write happens
//! under an advisory lock, and every write replaces the file atomically (temp file in the same
//! directory, fsync, rename) with owner-only permissions.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::error::CliError;

pub const VERSION: u32 = 1;
const FILE_NAME: &str = "accounts.json";
const LOCK_NAME: &str = "accounts.lock";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexData {
    pub version: u32,
    pub accounts: Vec<Account>,
}

impl Default for IndexData {
    fn default() -> Self {
        Self {
            version: VERSION,
            accounts: Vec::new(),
        }
    }
}

impl IndexData {
    pub fn get(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.name == name)
    }

    /// Adds or replaces the record of that name.
    pub fn upsert(&mut self, account: Account) {
        match self.get_mut(&account.name) {
            Some(existing) => *existing = account,
            None => self.accounts.push(account),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Account> {
        let at = self.accounts.iter().position(|a| a.name == name)?;
        Some(self.accounts.remove(at))
    }
}

/// A linked account's non-secret details.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    pub connector: String,
    pub auth: String,
    /// Non-secret field values, e.g. subdomain and client_id.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The scope the provider granted, as it reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The scope asked for with `--scope` at link time; `test` asks for it again (RFC 6749
    /// 5.1: an answer without `scope` means the request was granted as asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_scope: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    pub linked_at: String,
    #[serde(default)]
    pub last_tested_at: Option<String>,
    #[serde(default)]
    pub last_status: Option<String>,
    /// The keychain entry holding the secret when it is not the account name (see
    /// [`secret_entries`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keychain_entry: Option<String>,
}

impl Account {
    pub fn secret_entry(&self) -> &str {
        self.keychain_entry.as_deref().unwrap_or(&self.name)
    }
}

/// The two keychain entries an account's secret may live in. `link --force` writes the new
/// secret to the one not in use and switches the record over only after that, so a crash
/// never pairs the record with another credential's secret. `~` cannot occur in a name.
pub fn secret_entries(name: &str) -> [String; 2] {
    [name.to_owned(), format!("{name}~2")]
}

#[derive(Debug, Clone)]
pub struct Index {
    dir: PathBuf,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

impl Index {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads without locking: writers replace the file by rename, so a reader sees a whole
    /// old or a whole new file.
    pub fn read(&self) -> Result<IndexData, CliError> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IndexData::default()),
            Err(e) => {
                return Err(CliError::usage(format!(
                    "cannot read the index file {}: {e}",
                    path.display()
                )));
            }
        };
        parse(&text, &path)
    }

    /// Takes the advisory lock that serialises every read-modify-write of the index. The lock
    /// is released when the guard is dropped (or the process dies).
    pub fn lock(&self) -> anyhow::Result<Locked<'_>> {
        create_private_dir(&self.dir)?;
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(self.dir.join(LOCK_NAME))
            .with_context(|| format!("cannot open the lock file in {}", self.dir.display()))?;
        file.lock().context("cannot lock the index")?;
        remove_stale_temp_files(&self.dir);
        Ok(Locked {
            index: self,
            _file: file,
        })
    }

    /// Locks the index, reads it, lets `change` modify it, and writes it back atomically.
    /// Nothing is written when `change` fails.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut IndexData) -> Result<T, CliError>,
    ) -> anyhow::Result<T> {
        let locked = self.lock()?;
        let mut data = locked.read()?;
        let result = change(&mut data)?;
        locked.write(&data)?;
        Ok(result)
    }

    fn write(&self, data: &IndexData) -> anyhow::Result<()> {
        let path = self.path();
        let mut tmp = tempfile::Builder::new()
            .prefix(".accounts.")
            .suffix(".tmp")
            .permissions(private_file())
            .tempfile_in(&self.dir)
            .with_context(|| format!("cannot create a temporary file in {}", self.dir.display()))?;
        serde_json::to_writer_pretty(&mut tmp, data)?;
        tmp.write_all(b"\n")?;
        tmp.as_file().sync_all()?;
        crate::fault::point("index:before_rename");
        tmp.persist(&path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        // The rename itself is durable only once the directory is synced.
        #[cfg(unix)]
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }
}

/// The index while this process holds its lock.
pub struct Locked<'a> {
    index: &'a Index,
    _file: File,
}

impl Locked<'_> {
    pub fn read(&self) -> Result<IndexData, CliError> {
        self.index.read()
    }

    pub fn write(&self, data: &IndexData) -> anyhow::Result<()> {
        self.index.write(data)
    }
}

fn parse(text: &str, path: &Path) -> Result<IndexData, CliError> {
    let newer = |version: u32| {
        CliError::usage(format!(
            "the index file {} has version {version}, written by a newer credlink (this one reads version {VERSION})",
            path.display()
        ))
        .with_hint("upgrade credlink; the file was left as it is")
    };
    match serde_json::from_str::<IndexData>(text) {
        Ok(data) if data.version > VERSION => Err(newer(data.version)),
        Ok(data) => Ok(data),
        // A newer version may have keys this one does not know: say so, not "unknown field".
        Err(e) => match serde_json::from_str::<VersionOnly>(text) {
            Ok(v) if v.version > VERSION => Err(newer(v.version)),
            _ => Err(CliError::usage(format!(
                "the index file {} is not valid: {e}",
                path.display()
            ))
            .with_hint("fix the file by hand or move it away; credlink will not overwrite it")),
        },
    }
}

/// Temporary files of a writer that died before its rename. Only called under the lock, when
/// no writer can be running.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".accounts.") && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the config directory {}", dir.display()))
}

fn private_file() -> fs::Permissions {
    #[cfg(unix)]
    {
        std::os::unix::fs::PermissionsExt::from_mode(0o600)
    }
    #[cfg(not(unix))]
    {
        fs::metadata(".")
            .map(|m| m.permissions())
            .unwrap_or_else(|_| unreachable!())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str) -> Account {
        Account {
            name: name.into(),
            connector: "personio".into(),
            auth: "oauth2_client_credentials".into(),
            fields: BTreeMap::from([("client_id".into(), "papi-1".into())]),
            scope: None,
            requested_scope: None,
            expires_in: Some(86400),
            linked_at: "2026-11-23T00:00:00Z".into(),
            last_tested_at: None,
            last_status: None,
            keychain_entry: None,
        }
    }

    #[test]
    fn update_writes_a_private_file_that_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().join("cfg"));
        assert!(index.read().unwrap().accounts.is_empty());
        index
            .update(|d| {
                d.upsert(account("a"));
                Ok(())
            })
            .unwrap();
        index
            .update(|d| {
                d.upsert(account("b"));
                Ok(())
            })
            .unwrap();
        let names: Vec<String> = index
            .read()
            .unwrap()
            .accounts
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(index.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().to_owned());
        index
            .update(|d| {
                d.upsert(account("a"));
                Ok(())
            })
            .unwrap();
        let before = fs::read(index.path()).unwrap();
        let err = index
            .update(|d| {
                d.remove("a");
                Err::<(), _>(CliError::usage("no"))
            })
            .unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert_eq!(fs::read(index.path()).unwrap(), before);
    }

    #[test]
    fn corrupt_or_newer_files_are_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().to_owned());
        fs::write(index.path(), "{\"version\": 1,\n \"accounts\": [}\n").unwrap();
        let err = index.read().unwrap_err();
        assert!(err.message.contains("line 2"), "{}", err.message);
        assert!(index.update(|_| Ok(())).is_err());
        assert_eq!(
            fs::read_to_string(index.path()).unwrap(),
            "{\"version\": 1,\n \"accounts\": [}\n"
        );
        fs::write(
            index.path(),
            r#"{"version": 2, "accounts": [], "new_key": true}"#,
        )
        .unwrap();
        assert!(index.read().unwrap_err().message.contains("newer credlink"));
    }
}
