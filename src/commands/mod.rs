//! One module per subcommand, each with a `run`. Shared here: account names, timestamps, and
//! how a check's outcome is shown.

pub mod completions;
pub mod connectors;
pub mod link;
pub mod list;
pub mod revoke;
pub mod test;
pub mod token;

use std::time::SystemTime;

use serde_json::json;

use crate::check::Outcome;
use crate::error::CliError;

pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Account names become keychain entry names and table cells: keep them plain.
pub fn check_name(name: &str) -> Result<(), CliError> {
    let mut bytes = name.bytes();
    let ok = name.len() <= 64
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "account name `{}` must be 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            crate::ui::clean_truncated(name, 80)
        )))
    }
}

/// The JSON object `test` prints per account (stable keys).
pub fn outcome_json(name: &str, connector: &str, outcome: &Outcome) -> serde_json::Value {
    json!({
        "name": name,
        "connector": connector,
        "ok": outcome.status == crate::check::Status::Valid,
        "status": outcome.status.as_str(),
        "http_status": outcome.http_status,
        "error": outcome.error,
        "error_description": outcome.error_description,
        "hint": outcome.hint,
        "latency_ms": outcome.latency_ms,
        "expires_in": outcome.expires_in,
        "scope": outcome.scope,
    })
}

/// The details under a failed check: the provider's words and what to do.
pub fn failure_lines(outcome: &Outcome) -> Vec<String> {
    let mut lines = vec![format!("cause: {}", outcome.cause())];
    if let Some(hint) = &outcome.hint {
        lines.push(format!("hint: {hint}"));
    }
    lines
}

/// "valid for 86400 s, scope api:read"
pub fn token_summary(outcome: &Outcome) -> String {
    let mut parts = vec![format!("{} ms", outcome.latency_ms)];
    if let Some(s) = outcome.http_status {
        parts.insert(0, format!("HTTP {s}"));
    }
    if let Some(e) = outcome.expires_in {
        parts.push(format!("token valid for {e} s"));
    }
    if let Some(scope) = &outcome.scope {
        parts.push(format!("scope: {scope}"));
    }
    parts.join(", ")
}
