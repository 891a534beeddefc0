//! The failures that need their own exit code or hint, and the mapping to exit codes.

use std::fmt;

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const UNEXPECTED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REJECTED: u8 = 3;
    pub const UNREACHABLE: u8 = 4;
    pub const KEYCHAIN: u8 = 5;
    pub const NOT_FOUND: u8 = 6;
}

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  unexpected failure
  2  usage or invalid input (bad field value, unknown flag, missing value without a terminal)
  3  credentials rejected by the provider (invalid_client, unauthorized_client, invalid_grant,
     invalid_scope, HTTP 401/403)
  4  provider unreachable or unusable answer (DNS, connect, TLS, timeout, 5xx, non-JSON,
     missing access_token)
  5  OS keychain unavailable, locked or access denied
  6  not found (unknown account or connector, stored secret missing)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Usage,
    Rejected,
    Unreachable,
    Keychain,
    NotFound,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => exit::USAGE,
            Kind::Rejected => exit::REJECTED,
            Kind::Unreachable => exit::UNREACHABLE,
            Kind::Keychain => exit::KEYCHAIN,
            Kind::NotFound => exit::NOT_FOUND,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Rejected => "rejected",
            Kind::Unreachable => "unreachable",
            Kind::Keychain => "keychain",
            Kind::NotFound => "not_found",
        }
    }
}

/// An error the user can act on: a message, an optional hint, and the exit code it maps to.
/// Messages never contain a secret: they are built from field labels and non-secret values.
#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }

    pub fn keychain(message: impl Into<String>) -> Self {
        Self::new(Kind::Keychain, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The first [`CliError`] in an error's chain, if any.
pub fn find_cli_error(err: &anyhow::Error) -> Option<&CliError> {
    err.chain().find_map(|e| e.downcast_ref::<CliError>())
}

/// Exit code for any error: its [`CliError`] kind, or 1 for the unexpected.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    find_cli_error(err).map_or(exit::UNEXPECTED, |e| e.kind.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn exit_code_follows_the_chain() {
        let err = Err::<(), _>(CliError::not_found("no account `x`"))
            .context("while testing")
            .unwrap_err();
        assert_eq!(exit_code(&err), exit::NOT_FOUND);
        assert_eq!(exit_code(&anyhow::anyhow!("boom")), exit::UNEXPECTED);
    }
}
