//! The wait a server's `Retry-After` asks for.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The pause after failed attempt `attempt` (counted from 1) when the server names none:
/// 250 ms, doubled per attempt, at most `max`. The one back-off of the provider and the store.
pub(crate) fn backoff(attempt: u32, max: Duration) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    Duration::from_millis(250 * 2u64.pow(doublings)).min(max)
}

/// The wait a `Retry-After` header asks for (RFC 9110 10.2.3: seconds, or an HTTP date, which
/// is read against this machine's clock), at most `max`; a date in the past is no wait.
pub(crate) fn retry_after(headers: &HeaderMap, max: Duration) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date_and_capped() {
        let max = Duration::from_secs(10);
        let after = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value.parse().unwrap());
            retry_after(&headers, max)
        };
        assert_eq!(after("2"), Some(Duration::from_secs(2)));
        assert_eq!(after("18446744073709551615"), Some(max));
        assert_eq!(after("99999999999999999999999"), None);
        assert_eq!(after("soon"), None);
        assert_eq!(after("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(after("Fri, 31 Dec 9999 23:59:59 GMT"), Some(max));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
        let wait = after(&soon).unwrap();
        assert!(
            wait > Duration::from_secs(3) && wait <= Duration::from_secs(5),
            "{wait:?}"
        );
        assert_eq!(retry_after(&HeaderMap::new(), max), None);
    }

    #[test]
    fn the_backoff_doubles_from_250_ms_up_to_its_cap() {
        let max = Duration::from_secs(2);
        let pauses: Vec<u128> = (1..=6).map(|a| backoff(a, max).as_millis()).collect();
        assert_eq!(pauses, [250, 500, 1000, 2000, 2000, 2000]);
        assert_eq!(backoff(u32::MAX, max), max);
    }
}
