//! When a linked credential stops working, worked out in one place from everything that may
//! say so: its client certificate, the provider's answer, and the lifetime the catalog
//! declares (fixed from the link, or an idle window from the last successful use). The
//! earliest wins, and its basis is named. The live check still decides whether it works now.

use crate::base::outcome::{MAX_EXPIRES_IN, Outcome};
use crate::catalog::{Connector, CountedFrom, FieldRole};
use crate::provider::Credentials;
use crate::provider::keys;
use crate::store::{Account, Expires};

/// What says when a credential expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis {
    Certificate,
    Provider,
    CatalogLifetime,
    IdleWindow,
}

impl Basis {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Basis::Certificate => "certificate",
            Basis::Provider => "provider",
            Basis::CatalogLifetime => "catalog_lifetime",
            Basis::IdleWindow => "idle_window",
        }
    }

    /// The basis in words, for a warning line.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Basis::Certificate => "the client certificate's notAfter",
            Basis::Provider => "the lifetime the provider reported",
            Basis::CatalogLifetime => "the lifetime the provider documents",
            Basis::IdleWindow => "the provider's documented idle window since the last use",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Basis::Certificate,
            Basis::Provider,
            Basis::CatalogLifetime,
            Basis::IdleWindow,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }
}

/// A credential's end: Unix seconds, and what says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expiry {
    pub(crate) at: i64,
    pub(crate) basis: Basis,
}

/// What a check learned about the credential's end.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Learned {
    /// The client certificate's `notAfter` (Unix seconds).
    pub(crate) certificate_not_after: Option<i64>,
    /// The refresh token's lifetime the provider reported, in seconds from now.
    pub(crate) provider_expires_in: Option<u64>,
    /// The key's expiry the verification call's answer gave (Unix seconds).
    pub(crate) provider_expires_at: Option<i64>,
    /// The check now succeeded: the credential was used now.
    pub(crate) used_now: bool,
}

impl Learned {
    /// What the check of `creds` with this `outcome` tells of the credential's end.
    pub(crate) fn of(connector: &Connector, creds: &Credentials, outcome: &Outcome) -> Self {
        let certificate_not_after = connector
            .uses_client_certificate()
            .then(|| keys::certificate_info(creds.value(connector, FieldRole::ClientCertificate)))
            .and_then(Result::ok)
            .map(|info| info.not_after);
        Self {
            certificate_not_after,
            provider_expires_in: outcome.token.as_ref().and_then(|t| t.refresh_expires_in),
            provider_expires_at: outcome.expires_at,
            used_now: outcome.is_valid(),
        }
    }
}

/// What a valid credential's expiry means for `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    Fine,
    /// It ends within the warning window.
    Expiring,
    /// It should have ended already, yet the provider accepted it: the live check decides.
    PastButAccepted,
}

/// How a valid credential ending at `expiry` stands at `now` with a warning window of
/// `window` seconds. A failed check has no health: its failure is the news.
pub(crate) fn health(expiry: Option<Expiry>, valid: bool, now: i64, window: u64) -> Health {
    match expiry {
        Some(e) if valid && e.at <= now => Health::PastButAccepted,
        Some(e) if valid && (e.at - now).unsigned_abs() <= window => Health::Expiring,
        _ => Health::Fine,
    }
}

/// The warning line of a valid credential that expires soon or should have expired.
pub(crate) fn warning(expiry: Expiry, health: Health, now: i64) -> Option<String> {
    let date = &rfc3339(expiry.at)[..10];
    let when = relative(expiry.at, now);
    match health {
        Health::Fine => None,
        Health::Expiring => Some(format!(
            "expires on {date} ({when}), by {}",
            expiry.basis.describe()
        )),
        Health::PastButAccepted => Some(format!(
            "by {} it expired on {date} ({when}), yet the provider accepted it: the declared lifetime seems wrong",
            expiry.basis.describe()
        )),
    }
}

/// The earliest end any source gives, at `now` (Unix seconds); `None` when none says. Values
/// given ad hoc have no `account`, so no link date a declared lifetime could count from.
pub(crate) fn compute(
    account: Option<&Account>,
    connector: Option<&Connector>,
    learned: &Learned,
    now: i64,
) -> Option<Expiry> {
    let certificate = learned.certificate_not_after.map(|at| Expiry {
        at,
        basis: Basis::Certificate,
    });
    let reported = learned
        .provider_expires_in
        .map(|secs| now + secs.min(MAX_EXPIRES_IN) as i64);
    let provider = reported
        .into_iter()
        .chain(learned.provider_expires_at)
        .min()
        .map(|at| Expiry {
            at,
            basis: Basis::Provider,
        });
    let declared = connector.and_then(|c| c.expiry.as_ref()).and_then(|d| {
        let account = account?;
        let lifetime = i64::from(d.lifetime_days) * 86_400;
        let (from, basis) = match d.counted_from {
            CountedFrom::Linked => (unix(&account.linked_at)?, Basis::CatalogLifetime),
            CountedFrom::LastUse => (last_use(account, learned, now)?, Basis::IdleWindow),
        };
        Some(Expiry {
            at: from.saturating_add(lifetime).min(LAST_SECOND),
            basis,
        })
    });
    [certificate, provider, declared]
        .into_iter()
        .flatten()
        .min_by_key(|e| e.at)
}

/// The last successful use: now, when the check succeeded; else the last test that found it
/// valid; else the link.
fn last_use(account: &Account, learned: &Learned, now: i64) -> Option<i64> {
    if learned.used_now {
        return Some(now);
    }
    let tested_valid = account
        .last_status
        .as_deref()
        .is_some_and(|s| s == "valid" || s == "expiring");
    account
        .last_tested_at
        .as_deref()
        .filter(|_| tested_valid)
        .and_then(unix)
        .or_else(|| unix(&account.linked_at))
}

fn unix(rfc3339: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(rfc3339).ok()?;
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
}

impl Expiry {
    /// As a record keeps it.
    pub(crate) fn stored(self) -> Expires {
        Expires {
            at: rfc3339(self.at),
            basis: self.basis.as_str().to_owned(),
        }
    }

    /// A record's expiry, when it is one credlink wrote.
    pub(crate) fn from_stored(e: &Expires) -> Option<Self> {
        Some(Self {
            at: unix(&e.at)?,
            basis: Basis::parse(&e.basis)?,
        })
    }

    /// `{"at", "basis"}` of `--json`.
    pub(crate) fn json(self) -> serde_json::Value {
        serde_json::json!({ "at": rfc3339(self.at), "basis": self.basis.as_str() })
    }
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z); later times are shown as it.
const LAST_SECOND: i64 = 253_402_300_799;

/// `unix` in RFC 3339, within 1970 to 9999 (a connectors file may declare a lifetime of
/// millions of years, and humantime refuses to format past 9999).
pub(crate) fn rfc3339(unix: i64) -> String {
    let secs = unix.clamp(0, LAST_SECOND).unsigned_abs();
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// "in 12 days", "3 days ago": how far `at` is from `now`, rounded in its largest unit (a
/// lifetime of 10 days linked a minute ago ends "in 10 days").
pub(crate) fn relative(at: i64, now: i64) -> String {
    let amount = span((at - now).unsigned_abs());
    if at >= now {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// "14 days", "3 h": a length of time rounded in its largest unit.
pub(crate) fn span(secs: u64) -> String {
    match secs {
        0..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", (secs + 1800) / 3600),
        _ => match secs.saturating_add(43_200) / 86_400 {
            1 => "1 day".to_owned(),
            days => format!("{days} days"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_past_the_year_9999_are_shown_as_its_last_second() {
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00Z");
    }
    use crate::catalog::{DeclaredExpiry, Source};

    const DAY: i64 = 86_400;
    /// 2026-11-23T00:00:00Z.
    const LINKED: i64 = 1_795_392_000;

    fn account() -> Account {
        let mut a = Account::new(
            &crate::store::AccountName::parse("acme").unwrap(),
            "x",
            "api_key",
            "2026-11-23T00:00:00Z".into(),
        );
        a.last_tested_at = Some("2026-12-03T00:00:00Z".into());
        a.last_status = Some("valid".into());
        a
    }

    fn declared(days: u32, counted_from: CountedFrom) -> Connector {
        let mut c = crate::catalog::Catalog::load(None)
            .unwrap()
            .get("15five")
            .unwrap()
            .clone();
        c.expiry = Some(DeclaredExpiry {
            lifetime_days: days,
            counted_from,
            sources: Vec::<Source>::new(),
        });
        c
    }

    #[test]
    fn a_lifetime_of_millions_of_years_ends_in_the_year_9999() {
        let huge = declared(u32::MAX, CountedFrom::Linked);
        let e = compute(Some(&account()), Some(&huge), &Learned::default(), LINKED).unwrap();
        assert_eq!(e.at, LAST_SECOND);
        assert_eq!(e.json()["at"], "9999-12-31T23:59:59Z");
    }

    #[test]
    fn a_declared_lifetime_counts_from_the_link_or_the_last_use() {
        let now = LINKED + 20 * DAY;
        let fixed = declared(365, CountedFrom::Linked);
        let e = compute(Some(&account()), Some(&fixed), &Learned::default(), now).unwrap();
        assert_eq!(
            (e.at, e.basis),
            (LINKED + 365 * DAY, Basis::CatalogLifetime)
        );
        let idle = declared(14, CountedFrom::LastUse);
        let e = compute(Some(&account()), Some(&idle), &Learned::default(), now).unwrap();
        assert_eq!((e.at, e.basis), (LINKED + 24 * DAY, Basis::IdleWindow));
        let used = Learned {
            used_now: true,
            ..Learned::default()
        };
        assert_eq!(
            compute(Some(&account()), Some(&idle), &used, now)
                .unwrap()
                .at,
            now + 14 * DAY
        );
        let mut failed = account();
        failed.last_status = Some("rejected".into());
        let e = compute(Some(&failed), Some(&idle), &Learned::default(), now).unwrap();
        assert_eq!(e.at, LINKED + 14 * DAY);
    }

    #[test]
    fn the_earliest_source_wins_and_is_named() {
        let now = LINKED + DAY;
        let fixed = declared(365, CountedFrom::Linked);
        let learned = Learned {
            certificate_not_after: Some(now + 30 * DAY),
            provider_expires_in: Some(10 * DAY as u64),
            provider_expires_at: Some(now + 20 * DAY),
            used_now: true,
        };
        let e = compute(Some(&account()), Some(&fixed), &learned, now).unwrap();
        assert_eq!((e.at, e.basis), (now + 10 * DAY, Basis::Provider));
        let learned = Learned {
            provider_expires_in: None,
            ..learned
        };
        let e = compute(Some(&account()), Some(&fixed), &learned, now).unwrap();
        assert_eq!((e.at, e.basis), (now + 20 * DAY, Basis::Provider));
        let learned = Learned {
            provider_expires_at: None,
            ..learned
        };
        let e = compute(Some(&account()), Some(&fixed), &learned, now).unwrap();
        assert_eq!(e.basis, Basis::Certificate);
        assert_eq!(
            compute(Some(&account()), None, &Learned::default(), now),
            None
        );
        let huge = Learned {
            provider_expires_in: Some(u64::MAX),
            ..Learned::default()
        };
        assert!(compute(Some(&account()), None, &huge, now).is_some());
    }

    #[test]
    fn an_expiry_is_stored_and_shown_relative() {
        let e = Expiry {
            at: LINKED,
            basis: Basis::IdleWindow,
        };
        assert_eq!(e.stored().at, "2026-11-23T00:00:00Z");
        assert_eq!(Expiry::from_stored(&e.stored()), Some(e));
        let forged = Expires {
            at: "soon".into(),
            basis: "idle_window".into(),
        };
        assert_eq!(Expiry::from_stored(&forged), None);
        assert_eq!(relative(LINKED + 12 * DAY + 5, LINKED), "in 12 days");
        assert_eq!(relative(LINKED - 3 * DAY, LINKED), "3 days ago");
        assert_eq!(relative(LINKED + 2 * 3600, LINKED), "in 2 h");
        assert_eq!(relative(LINKED + 10 * DAY - 60, LINKED), "in 10 days");
    }
}
