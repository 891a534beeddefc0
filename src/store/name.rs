//! Account names: the one validation every name goes through, given or derived.

use crate::base::text;

/// A valid account name: 1-64 ASCII letters, digits, `.`, `_` or `-`, starting with a letter
/// or digit. Names become keychain entry names and table cells, so they stay plain; no name
/// can spell an entry that belongs to another account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AccountName(String);

/// A name that breaks the rules, shown cleaned.
#[derive(Debug, thiserror::Error)]
#[error(
    "account name `{shown}` must be 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit"
)]
pub(crate) struct NameError {
    pub(crate) shown: String,
}

impl AccountName {
    pub(crate) fn parse(name: &str) -> Result<Self, NameError> {
        let mut bytes = name.bytes();
        let ok = name.len() <= 64
            && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
            && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(NameError {
                shown: text::clean_truncated(name, 80),
            })
        }
    }

    /// The name an account gets without `--name`: the connector id, and the subdomain if any.
    pub(crate) fn default_for(connector: &str, subdomain: Option<&str>) -> Result<Self, NameError> {
        match subdomain.filter(|s| !s.is_empty()) {
            Some(sub) => Self::parse(&format!("{connector}-{sub}")),
            None => Self::parse(connector),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_one_rule_given_or_derived() {
        for ok in ["acme", "acme-hr", "a.b_c-1", &"a".repeat(64)] {
            assert!(AccountName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "acme2~2",
            "a b",
            "../x",
            "a\u{202e}b",
            &"a".repeat(65),
        ] {
            assert!(AccountName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            AccountName::default_for("traffit", Some("acme"))
                .unwrap()
                .as_str(),
            "traffit-acme"
        );
        assert!(AccountName::default_for("traffit", Some("x~2")).is_err());
        assert!(AccountName::default_for("traffit", Some("a\u{202e}")).is_err());
        let err = AccountName::parse("a\u{1b}[31m").unwrap_err();
        assert!(!err.to_string().contains('\u{1b}'));
    }
}
