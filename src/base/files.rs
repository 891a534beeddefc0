//! Reading the files credlink is handed (the index, a connectors file, a CA bundle) without
//! hanging on a FIFO, reading a device forever, or running out of memory on a huge file.

use std::io::{self, Read};
use std::path::Path;

/// Reads a regular file (a symlink to one is fine) of at most `max` bytes as UTF-8 text.
pub(crate) fn read_regular(path: &Path, max: u64) -> io::Result<String> {
    let bytes = read_regular_bytes(path, max)?;
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// [`read_regular`] for binary content.
pub(crate) fn read_regular_bytes(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a FIFO, device or directory)",
        ));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            if max >= 1024 * 1024 {
                format!("it is larger than {} MiB", max / (1024 * 1024))
            } else {
                format!("it is larger than {} KiB", max / 1024)
            },
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "hello").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), "hello");
        assert!(
            read_regular(&file, 4)
                .unwrap_err()
                .to_string()
                .contains("larger")
        );
        assert!(read_regular(dir.path(), 5).is_err());
        assert!(read_regular(Path::new("/dev/zero"), 5).is_err());
    }
}
