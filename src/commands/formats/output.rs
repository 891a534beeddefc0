//! Where `test --output` and `--report` write: a file written whole or not at all, and never
//! over credlink's own state or a file this run reads.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::base::outcome::Class;
use crate::commands::error::{CliError, CliResult};

/// A file written whole or not at all: a temporary file in the same directory (same file
/// system, so node_exporter's textfile collector never reads half a file), renamed over it.
/// A path that is not a regular file (`/dev/stdout`, a FIFO, a link to one) is written into
/// instead: a rename would replace the device or pipe itself (as root, `/dev/stdout` for the
/// whole machine). Opened before the checks run, so a bad `--output` or `--report` changes
/// nothing.
pub(crate) struct OutputFile {
    flag: &'static str,
    path: PathBuf,
    /// Where the output lands: for a rename the directory resolved (its links followed), then
    /// the name; for a stream, the path with every link followed.
    resolved: PathBuf,
    how: How,
}

enum How {
    Replace(NamedTempFile),
    Stream,
}

impl OutputFile {
    /// `kept`: paths no output may land on or under (the config dir, which holds the index,
    /// its locks and config.toml; the files this run reads), from [`kept`].
    pub(crate) fn open(flag: &'static str, path: &Path, kept: &[PathBuf]) -> CliResult<Self> {
        let shown = || format!("{flag} {}", path.display());
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let cannot = |e: std::io::Error| {
            CliError::usage(format!(
                "{}: cannot write in {}: {e}",
                shown(),
                dir.display()
            ))
        };
        let stream = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(CliError::usage(format!("{}: is a directory", shown())));
            }
            Ok(m) => !m.is_file(),
            Err(_) => false,
        };
        let resolved = match stream {
            true => std::fs::canonicalize(path).or_else(|_| resolve(path)),
            false => resolve(path),
        }
        .map_err(cannot)?;
        if let Some(own) = kept.iter().find(|k| resolved.starts_with(k)) {
            return Err(CliError::usage(format!(
                "{}: {} is where credlink reads or keeps its state, and no output may replace anything there",
                shown(),
                own.display()
            ))
            .with_hint("write it to another file"));
        }
        let how = match stream {
            true => How::Stream,
            false => How::Replace(NamedTempFile::new_in(dir).map_err(cannot)?),
        };
        Ok(Self {
            flag,
            path: path.to_owned(),
            resolved,
            how,
        })
    }

    /// Where this file lands, for a second output to keep off it.
    pub(crate) fn resolved(&self) -> &Path {
        &self.resolved
    }

    pub(crate) fn finish(self, text: &str) -> CliResult<()> {
        let failed = |e: std::io::Error| {
            CliError::new(
                Class::Unexpected,
                format!(
                    "{} {}: cannot write it: {e}",
                    self.flag,
                    self.path.display()
                ),
            )
        };
        match self.how {
            How::Stream => {
                let mut sink = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.path)
                    .map_err(failed)?;
                sink.write_all(text.as_bytes()).map_err(failed)
            }
            How::Replace(mut temp) => {
                temp.write_all(text.as_bytes()).map_err(failed)?;
                temp.as_file().sync_all().map_err(failed)?;
                readable_by_others(temp.as_file()).map_err(failed)?;
                temp.persist(&self.path).map_err(|e| failed(e.error))?;
                Ok(())
            }
        }
    }
}

/// A path as a rename onto it lands: its directory with every link followed, then its own name
/// (a link there is replaced, not followed).
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(std::fs::canonicalize(dir)?.join(name))
}

/// The paths an output must keep off for `paths` that exist: each as a rename would land on
/// it (a link itself) and where it leads.
pub(crate) fn kept<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    paths
        .into_iter()
        .filter(|p| p.exists())
        .flat_map(|p| [resolve(p).ok(), std::fs::canonicalize(p).ok()])
        .flatten()
        .collect()
}

/// A report holds no secret, and node_exporter or a CI uploader often runs as another user.
#[cfg(unix)]
fn readable_by_others(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_others(_: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
