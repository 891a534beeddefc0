//! `test --format`: the results in the forms CI systems and monitoring read (JUnit XML, GitHub
//! Actions workflow commands, Prometheus text), and `test --report`'s HTML page. Each renderer turns [`AccountView`]s into a
//! string; `commands::test` decides where it goes and `terminal/` writes it. JSON Lines is
//! `test --json`'s object per line, built in `commands::test`.

pub(crate) mod github;
pub(crate) mod junit;
pub(crate) mod output;
pub(crate) mod prometheus;
pub(crate) mod report;

use std::time::SystemTime;

/// One account's result as every format shows it: no secret, only what the human text shows.
/// An account's expiry (its RFC 3339 time and basis) joins here as one field, and a passing
/// credential that expires soon as a [`Verdict`] of its own; each renderer matches on both.
pub(crate) struct AccountView {
    pub(crate) name: String,
    /// The connector's id.
    pub(crate) connector: String,
    /// `keychain`, `vault:MOUNT/PREFIX`, or `none` for ad hoc credentials.
    pub(crate) store: String,
    pub(crate) verdict: Verdict,
    /// `valid`, `rejected`, ... as in `test --json`.
    pub(crate) status: &'static str,
    /// The failure's class, as `--json` errors name it (`rejected`, `unreachable`, ...).
    pub(crate) class: &'static str,
    /// "HTTP 200, 212 ms, ..." for a pass; the cause for a failure. Cleaned.
    pub(crate) summary: String,
    pub(crate) hint: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) seconds: f64,
    pub(crate) checked_at: SystemTime,
    /// When the credential expires (Unix seconds), where anything says, and what says so.
    pub(crate) expires_at: Option<i64>,
    pub(crate) expires_basis: Option<crate::commands::expiry::Basis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Passed,
    /// Passed, but the credential expires within the warning window (`test --warn-within`).
    Expiring,
    Failed,
}

impl AccountView {
    /// `cause: ...`, `hint: ...`, `next: ...` as the human text shows them under a failure.
    pub(crate) fn failure_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("cause: {}", self.summary)];
        lines.extend(self.hint.iter().map(|h| format!("hint: {h}")));
        lines.extend(self.next.iter().map(|n| format!("next: {n}")));
        lines
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn view(name: &str, verdict: Verdict, summary: &str) -> AccountView {
        AccountView {
            name: name.into(),
            connector: "mock".into(),
            store: "keychain".into(),
            verdict,
            status: if verdict == Verdict::Passed {
                "valid"
            } else {
                "rejected"
            },
            class: if verdict == Verdict::Passed {
                "ok"
            } else {
                "rejected"
            },
            summary: summary.into(),
            hint: (verdict == Verdict::Failed).then(|| "check the secret".into()),
            next: None,
            seconds: 0.25,
            checked_at: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            expires_at: None,
            expires_basis: None,
        }
    }
}
