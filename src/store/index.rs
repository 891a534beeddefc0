//! The index file: one record per linked account, never a secret. Read-modify-write happens
//! under an advisory lock, and every write replaces the file atomically (temp file beside the
//! real file, fsync, rename) with owner-only permissions. A symlinked index is written through
//! to its target; the lock file is never followed through a symlink.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::base::files;
use crate::store::name::AccountName;

pub(crate) const VERSION: u32 = 1;
const FILE_NAME: &str = "accounts.json";
const LOCK_NAME: &str = "accounts.lock";
/// An index over this size is refused: 10,000 accounts take about 3 MiB.
const MAX_INDEX_BYTES: u64 = 32 * 1024 * 1024;
/// No stored value is longer than this (the input limit).
const MAX_VALUE_CHARS: usize = 4096;

/// Why the index cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IndexError {
    #[error("cannot read the index file {path}: {why}")]
    Read { path: PathBuf, why: String },
    #[error("the index file {path} is not valid: {why}")]
    Invalid { path: PathBuf, why: String },
    #[error(
        "the index file {path} has version {version}, written by a newer credlink (this one reads version {VERSION})"
    )]
    Newer { path: PathBuf, version: u32 },
    #[error("cannot write the index in {dir}: {why}")]
    Write { dir: PathBuf, why: String },
    #[error("{path} is {why}")]
    Unsafe { path: PathBuf, why: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndexData {
    pub(crate) version: u32,
    pub(crate) accounts: Vec<Account>,
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
    pub(crate) fn get(&self, name: &AccountName) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name.as_str())
    }

    pub(crate) fn get_mut(&mut self, name: &AccountName) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.name == name.as_str())
    }

    /// Adds or replaces the record of that name.
    pub(crate) fn upsert(&mut self, account: Account) {
        match self.accounts.iter_mut().find(|a| a.name == account.name) {
            Some(existing) => *existing = account,
            None => self.accounts.push(account),
        }
    }

    pub(crate) fn remove(&mut self, name: &AccountName) -> Option<Account> {
        let at = self.accounts.iter().position(|a| a.name == name.as_str())?;
        Some(self.accounts.remove(at))
    }
}

/// A linked account's non-secret details.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) connector: String,
    pub(crate) auth: String,
    /// Non-secret field values by field id.
    #[serde(default)]
    pub(crate) fields: BTreeMap<String, String>,
    /// The scope the provider granted, as it reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
    /// The scope asked for with `--scope` at link time; `test` asks for it again (RFC 6749
    /// 5.1: an answer without `scope` means the request was granted as asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) requested_scope: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
    pub(crate) linked_at: String,
    /// Who linked it, as the team store's token names its owner (team store only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) linked_by: Option<String>,
    #[serde(default)]
    pub(crate) last_tested_at: Option<String>,
    #[serde(default)]
    pub(crate) last_status: Option<String>,
    /// When the credential stops working, as last worked out (absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<Expires>,
    /// Which of the account's two secret entries holds its secret (see `Store`); absent for
    /// the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keychain_entry: Option<String>,
    /// The team store's version of the account this record was read from; a result or a
    /// token is kept only for that version.
    #[serde(skip)]
    pub(crate) revision: Option<u64>,
}

/// When a credential expires (RFC 3339) and what says so: `certificate`, `provider`,
/// `catalog_lifetime` or `idle_window`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expires {
    pub(crate) at: String,
    pub(crate) basis: String,
}

impl Account {
    /// A new link's record, linked now: where a store keeps it (its keychain entry, its
    /// version) is the store's to fill in, never the caller's.
    pub(crate) fn new(name: &AccountName, connector: &str, auth: &str, linked_at: String) -> Self {
        Self {
            name: name.as_str().to_owned(),
            connector: connector.to_owned(),
            auth: auth.to_owned(),
            fields: BTreeMap::new(),
            scope: None,
            requested_scope: None,
            expires_in: None,
            linked_at,
            linked_by: None,
            last_tested_at: None,
            last_status: None,
            expires: None,
            keychain_entry: None,
            revision: None,
        }
    }

    /// The record as another store takes it: without where this one keeps it.
    pub(crate) fn unplaced(self) -> Self {
        Self {
            keychain_entry: None,
            revision: None,
            ..self
        }
    }

    /// Checks what a hand edit could break: the name, where the secret is, value sizes.
    fn validate(&self) -> Result<(), String> {
        let name = AccountName::parse(&self.name).map_err(|e| e.to_string())?;
        if let Some(entry) = &self.keychain_entry
            && *entry != crate::store::alternate_key(&name)
        {
            return Err(format!(
                "account `{name}` names a keychain entry that is not its own"
            ));
        }
        let long = self
            .fields
            .iter()
            .flat_map(|(k, v)| [k, v])
            .chain([&self.connector, &self.auth, &self.linked_at])
            .chain(self.linked_by.iter())
            .chain(self.scope.iter().chain(self.requested_scope.iter()))
            .chain(self.last_status.iter().chain(self.last_tested_at.iter()))
            .chain(self.expires.iter().flat_map(|e| [&e.at, &e.basis]))
            .any(|v| v.chars().count() > MAX_VALUE_CHARS);
        if long {
            return Err(format!(
                "account `{name}` has a value longer than {MAX_VALUE_CHARS} characters"
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Index {
    dir: PathBuf,
    /// The last version of the file read, so a run that reads it once per account (`test
    /// --all`) parses it once.
    last: Arc<Mutex<Option<Version>>>,
}

/// A version of the index file, parsed.
type Version = (Stamp, Arc<IndexData>);

/// What tells one version of the index file from another: every write replaces the file by
/// rename (a new inode), and a hand edit changes its modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (device, inode) = (0, 0);
        Self {
            device,
            inode,
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

impl Index {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            last: Arc::default(),
        }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads without locking: writers replace the file by rename, so a reader sees a whole
    /// old or a whole new file.
    pub(crate) fn read(&self) -> Result<IndexData, IndexError> {
        Ok((*self.read_shared()?).clone())
    }

    /// [`Index::read`] without a copy: the version read last, when the file is still that
    /// version (its stamp is taken before the read, so a file replaced meanwhile is read again
    /// next time).
    pub(crate) fn read_shared(&self) -> Result<Arc<IndexData>, IndexError> {
        self.refuse_unsafe_dir()?;
        let path = self.path();
        let stamp = fs::metadata(&path).ok().map(|m| Stamp::of(&m));
        let last = || self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, data)) = &*last()
            && Some(*seen) == stamp
        {
            return Ok(Arc::clone(data));
        }
        let data = Arc::new(self.read_file(&path)?);
        if let Some(stamp) = stamp {
            *last() = Some((stamp, Arc::clone(&data)));
        }
        Ok(data)
    }

    fn read_file(&self, path: &Path) -> Result<IndexData, IndexError> {
        let path = path.to_owned();
        let text = match files::read_regular(&path, MAX_INDEX_BYTES) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(IndexData::default());
            }
            Err(e) => {
                return Err(IndexError::Read {
                    path,
                    why: e.to_string(),
                });
            }
        };
        parse(&text, &path)
    }

    /// A config dir anyone may write to lets anyone point an account at another connector and
    /// so send its secret to another host: refuse it, as ssh does for keys.
    fn refuse_unsafe_dir(&self) -> Result<(), IndexError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [self.dir.clone(), self.path()] {
                let Ok(meta) = fs::metadata(&path) else {
                    continue;
                };
                if meta.permissions().mode() & 0o002 != 0 {
                    return Err(IndexError::Unsafe {
                        why: format!(
                            "writable by every user, so anyone could redirect your accounts' secrets; run `chmod go-w {}`",
                            path.display()
                        ),
                        path,
                    });
                }
            }
        }
        Ok(())
    }

    /// Takes the advisory lock that serialises every read-modify-write of the index. The lock
    /// is released when the guard is dropped (or the process dies).
    pub(crate) fn lock(&self) -> Result<Locked<'_>, IndexError> {
        let file = self.lock_file(LOCK_NAME)?;
        file.lock().map_err(|e| IndexError::Write {
            dir: self.dir.clone(),
            why: format!("cannot lock the index: {e}"),
        })?;
        let target_dir = self.write_target().parent().map(Path::to_owned);
        remove_stale_temp_files(&self.dir);
        if let Some(dir) = target_dir.filter(|d| *d != self.dir) {
            remove_stale_temp_files(&dir);
        }
        Ok(Locked {
            index: self,
            _file: file,
        })
    }

    /// The config dir the index lives in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file whose advisory lock lets one credlink run at a time spend the refresh token of
    /// account `name` (see `Store::refresh_lease`); not locked yet.
    pub(crate) fn refresh_lock_file(&self, name: &AccountName) -> Result<File, IndexError> {
        self.lock_file(&Self::refresh_lock_name(name))
    }

    fn refresh_lock_name(name: &AccountName) -> String {
        format!("refresh-{name}.lock")
    }

    /// Whether `file` is still the refresh lock file of `name` (not one removed meanwhile).
    pub(crate) fn is_refresh_lock_file(&self, name: &AccountName, file: &File) -> bool {
        let at_path = fs::symlink_metadata(self.dir.join(Self::refresh_lock_name(name)));
        match (file.metadata(), at_path) {
            #[cfg(unix)]
            (Ok(open), Ok(at_path)) => {
                use std::os::unix::fs::MetadataExt;
                (open.dev(), open.ino()) == (at_path.dev(), at_path.ino())
            }
            #[cfg(not(unix))]
            (Ok(_), Ok(_)) => true,
            _ => false,
        }
    }

    /// Removes the refresh lock file of a revoked account. Only its holder may: a run waiting
    /// on the removed file then opens a new one (see [`Self::is_refresh_lock_file`]).
    pub(crate) fn remove_refresh_lock_file(&self, name: &AccountName) {
        let _ = fs::remove_file(self.dir.join(Self::refresh_lock_name(name)));
    }

    /// Opens (creating it) a lock file in the config dir, never through a symlink, and only
    /// when it is a regular file: opening a FIFO would wait for a reader forever.
    fn lock_file(&self, file_name: &str) -> Result<File, IndexError> {
        create_private_dir(&self.dir)?;
        self.refuse_unsafe_dir()?;
        let lock_path = self.dir.join(file_name);
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A symlinked lock file could create or truncate a file anywhere: never follow it.
            // Non-blocking, so a FIFO fails or opens at once instead of waiting.
            options
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let unsafe_file = || {
            let kind = fs::symlink_metadata(&lock_path).ok()?.file_type();
            let why = if kind.is_symlink() {
                "a symlink; credlink does not follow it"
            } else if !kind.is_file() {
                "not a regular file (a FIFO, device or directory)"
            } else {
                return None;
            };
            Some(IndexError::Unsafe {
                path: lock_path.clone(),
                why: format!("{why}. Remove it, and credlink creates a plain lock file"),
            })
        };
        let file = options.open(&lock_path).map_err(|e| {
            unsafe_file().unwrap_or_else(|| IndexError::Write {
                dir: self.dir.clone(),
                why: format!("cannot open the lock file: {e}"),
            })
        })?;
        match file.metadata() {
            Ok(meta) if meta.is_file() => Ok(file),
            _ => Err(unsafe_file().unwrap_or_else(|| IndexError::Unsafe {
                path: lock_path.clone(),
                why: "not a regular file. Remove it, and credlink creates a plain lock file".into(),
            })),
        }
    }

    /// The file a write replaces: the index, or the target of a symlinked index (a dotfiles
    /// manager's), so the link stays a link.
    fn write_target(&self) -> PathBuf {
        let path = self.path();
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => fs::canonicalize(&path).unwrap_or(path),
            _ => path,
        }
    }

    fn write(&self, data: &IndexData) -> Result<(), IndexError> {
        let target = self.write_target();
        let dir = target.parent().unwrap_or(&self.dir).to_owned();
        let write_error = |why: String| IndexError::Write {
            dir: dir.clone(),
            why,
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".accounts.")
            .suffix(".tmp")
            .permissions(private_file())
            .tempfile_in(&dir)
            .map_err(|e| write_error(format!("cannot create a temporary file: {e}")))?;
        serde_json::to_writer_pretty(&mut tmp, data)
            .map_err(std::io::Error::from)
            .and_then(|()| tmp.write_all(b"\n"))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| write_error(e.to_string()))?;
        crate::base::fault::point("index:before_rename");
        tmp.persist(&target)
            .map_err(|e| write_error(format!("cannot replace {}: {e}", target.display())))?;
        // The rename itself is durable only once the directory is synced.
        #[cfg(unix)]
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| write_error(e.to_string()))?;
        Ok(())
    }
}

/// The index while this process holds its lock.
pub(crate) struct Locked<'a> {
    index: &'a Index,
    _file: File,
}

impl Locked<'_> {
    pub(crate) fn read(&self) -> Result<IndexData, IndexError> {
        self.index.read()
    }

    pub(crate) fn write(&self, data: &IndexData) -> Result<(), IndexError> {
        self.index.write(data)
    }
}

fn parse(text: &str, path: &Path) -> Result<IndexData, IndexError> {
    let invalid = |why: String| IndexError::Invalid {
        path: path.to_owned(),
        why,
    };
    let data = match serde_json::from_str::<IndexData>(text) {
        Ok(data) => data,
        // A newer version may have keys this one does not know: say so, not "unknown field".
        Err(e) => {
            return Err(match serde_json::from_str::<VersionOnly>(text) {
                Ok(v) if v.version > VERSION => IndexError::Newer {
                    path: path.to_owned(),
                    version: v.version,
                },
                _ => invalid(e.to_string()),
            });
        }
    };
    if data.version > VERSION {
        return Err(IndexError::Newer {
            path: path.to_owned(),
            version: data.version,
        });
    }
    for account in &data.accounts {
        account.validate().map_err(invalid)?;
    }
    let mut names: Vec<&str> = data.accounts.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid(format!("account `{}` is listed twice", pair[0])));
    }
    Ok(data)
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

fn create_private_dir(dir: &Path) -> Result<(), IndexError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| IndexError::Write {
        dir: dir.to_owned(),
        why: format!("cannot create the config directory: {e}"),
    })
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

    pub(crate) fn account(name: &str) -> Account {
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
            expires: None,
            linked_by: None,
            keychain_entry: None,
            revision: None,
        }
    }

    fn write(index: &Index, data: &IndexData) {
        let locked = index.lock().unwrap();
        locked.write(data).unwrap();
    }

    #[test]
    fn writes_a_private_file_that_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().join("cfg"));
        assert!(index.read().unwrap().accounts.is_empty());
        let mut data = IndexData::default();
        data.upsert(account("a"));
        data.upsert(account("b"));
        write(&index, &data);
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
    fn a_replaced_or_hand_edited_index_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().join("cfg"));
        let names = |index: &Index| -> Vec<String> {
            let data = index.read_shared().unwrap();
            data.accounts.iter().map(|a| a.name.clone()).collect()
        };
        let mut data = IndexData::default();
        data.upsert(account("a"));
        write(&index, &data);
        assert_eq!(names(&index), ["a"]);
        assert!(Arc::ptr_eq(
            &index.read_shared().unwrap(),
            &index.read_shared().unwrap()
        ));
        data.upsert(account("b"));
        write(&index, &data);
        assert_eq!(names(&index), ["a", "b"]);
        // In place, the same length: only the modification time tells.
        let text = fs::read_to_string(index.path())
            .unwrap()
            .replace("\"b\"", "\"c\"");
        let file = OpenOptions::new().write(true).open(index.path()).unwrap();
        (&file).write_all(text.as_bytes()).unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        file.set_modified(later).unwrap();
        assert_eq!(names(&index), ["a", "c"]);
    }

    #[test]
    fn corrupt_newer_or_tampered_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().to_owned());
        fs::write(index.path(), "{\"version\": 1,\n \"accounts\": [}\n").unwrap();
        assert!(index.read().unwrap_err().to_string().contains("line 2"));
        fs::write(
            index.path(),
            r#"{"version": 2, "accounts": [], "new_key": true}"#,
        )
        .unwrap();
        assert!(matches!(
            index.read().unwrap_err(),
            IndexError::Newer { version: 2, .. }
        ));
        let mut tampered = account("a");
        tampered.keychain_entry = Some("b".into());
        let text = serde_json::to_string(&IndexData {
            version: 1,
            accounts: vec![tampered],
        })
        .unwrap();
        fs::write(index.path(), text).unwrap();
        assert!(
            index
                .read()
                .unwrap_err()
                .to_string()
                .contains("not its own")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_index_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("dotfiles");
        fs::create_dir(&elsewhere).unwrap();
        let target = elsewhere.join("accounts.json");
        fs::write(&target, r#"{"version":1,"accounts":[]}"#).unwrap();
        let index = Index::new(dir.path().join("cfg"));
        fs::create_dir(dir.path().join("cfg")).unwrap();
        std::os::unix::fs::symlink(&target, index.path()).unwrap();
        let mut data = IndexData::default();
        data.upsert(account("a"));
        write(&index, &data);
        assert!(
            fs::symlink_metadata(index.path())
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&target).unwrap().contains("\"a\""));
    }
}
