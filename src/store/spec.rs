//! Which store a run uses: `keychain`, or `vault:MOUNT/PREFIX` for a KV v2 mount of Vault or
//! OpenBao. The one parser of that value, whether it came from `--store`, `CREDLINK_STORE` or
//! the config file.

use std::fmt;

/// A store, as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreSpec {
    Keychain,
    /// A KV v2 mount and the path prefix under it, each without leading or trailing `/`.
    Vault {
        mount: String,
        prefix: String,
    },
}

/// A store value that names no store.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{shown}` is not a store: use `keychain` or `vault:MOUNT/PREFIX` (e.g. `vault:secret/credlink`){why}"
)]
pub(crate) struct SpecError {
    shown: String,
    why: String,
}

fn error(value: &str, why: &str) -> SpecError {
    SpecError {
        shown: crate::base::text::clean_truncated(value, 80),
        why: if why.is_empty() {
            String::new()
        } else {
            format!("; {why}")
        },
    }
}

/// A path segment that is plain: it cannot climb (`..`), hide a KV v2 API segment, or carry
/// characters a URL or a policy path would read otherwise.
fn plain_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl StoreSpec {
    pub(crate) fn parse(value: &str) -> Result<Self, SpecError> {
        if value == "keychain" {
            return Ok(StoreSpec::Keychain);
        }
        let Some(path) = value.strip_prefix("vault:") else {
            return Err(error(value, ""));
        };
        let path = path.trim_matches('/');
        let Some((mount, prefix)) = path.split_once('/') else {
            return Err(error(value, "name a mount and a prefix under it"));
        };
        if !path.split('/').all(plain_segment) {
            return Err(error(
                value,
                "each part may hold only letters, digits, `-`, `_` and `.`",
            ));
        }
        if matches!(
            prefix.split('/').next(),
            Some("data" | "metadata" | "delete" | "undelete" | "destroy" | "detailed-metadata")
        ) {
            return Err(error(
                value,
                "give the mount and prefix as `bao kv` does, without the API's `data/` segment",
            ));
        }
        Ok(StoreSpec::Vault {
            mount: mount.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Keychain => f.write_str("keychain"),
            StoreSpec::Vault { mount, prefix } => write!(f, "vault:{mount}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_stores() {
        assert_eq!(StoreSpec::parse("keychain").unwrap(), StoreSpec::Keychain);
        assert_eq!(
            StoreSpec::parse("vault:secret/team/credlink").unwrap(),
            StoreSpec::Vault {
                mount: "secret".into(),
                prefix: "team/credlink".into()
            }
        );
    }

    #[test]
    fn refuses_what_would_climb_or_confuse() {
        for bad in [
            "vault:",
            "vault:secret",
            "vault:secret/../sys",
            "vault:secret//x",
            "vault:secret/data/credlink",
            "vault:secret/a b",
            "vault:secret/a?x=1",
            "vault:secret/a#b",
            "vault:secret/%2e%2e",
            "Keychain",
            "file:/tmp/x",
        ] {
            assert!(StoreSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
