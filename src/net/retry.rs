//! The one retry loop of the provider and the store clients: how long to pause (the server's
//! `Retry-After`, else a capped back-off) and when to stop. Which answers may be repeated, and
//! for how long, is each caller's [`Verdict`] on an attempt.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// What a caller makes of one attempt's result.
pub(crate) struct Verdict {
    /// How many attempts a result like this one allows in all; 1 ends the loop.
    pub(crate) attempts: u32,
    /// The pause the server asked for (see [`retry_after`]), if it named one.
    pub(crate) retry_after: Option<Duration>,
    /// When the next attempt must have begun at the latest; `None` allows none.
    pub(crate) deadline: Option<Instant>,
}

/// Sends with `send` until its result's [`Verdict`] allows no further attempt or the next one
/// would begin after the verdict's deadline, pausing as the server asks or by [`backoff`] (at
/// most `max_pause`); `waiting` hears of each pause and the attempt it precedes. Returns the
/// last result, the attempts made and the last verdict.
pub(crate) async fn repeat<T, F>(
    max_pause: Duration,
    mut send: impl FnMut() -> F,
    mut judge: impl FnMut(&T) -> Verdict,
    mut waiting: impl FnMut(Duration, u32),
) -> (T, u32, Verdict)
where
    F: Future<Output = T>,
{
    let mut attempt = 1;
    loop {
        let result = send().await;
        let verdict = judge(&result);
        let pause = verdict
            .retry_after
            .unwrap_or_else(|| backoff(attempt, max_pause));
        let in_time = verdict
            .deadline
            .is_some_and(|deadline| Instant::now() + pause <= deadline);
        if attempt >= verdict.attempts || !in_time {
            return (result, attempt, verdict);
        }
        waiting(pause, attempt + 1);
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}

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

    fn verdict(attempts: u32, deadline_in: Duration) -> Verdict {
        Verdict {
            attempts,
            retry_after: Some(Duration::from_millis(1)),
            deadline: Some(Instant::now() + deadline_in),
        }
    }

    #[tokio::test]
    async fn repeat_stops_at_the_attempts_its_verdict_allows() {
        let mut sent = 0;
        let mut pauses = Vec::new();
        let (last, attempts, _) = repeat(
            Duration::from_secs(1),
            || {
                sent += 1;
                std::future::ready(sent)
            },
            |_| verdict(3, Duration::from_secs(60)),
            |_, next| pauses.push(next),
        )
        .await;
        assert_eq!((last, attempts), (3, 3));
        assert_eq!(pauses, [2, 3]);
    }

    #[tokio::test]
    async fn repeat_stops_when_a_pause_would_end_past_the_deadline_or_none_is_allowed() {
        let past = |_: &()| Verdict {
            retry_after: Some(Duration::from_secs(5)),
            ..verdict(8, Duration::from_secs(1))
        };
        let (_, attempts, _) = repeat(
            Duration::from_secs(1),
            || std::future::ready(()),
            past,
            |_, _| {},
        )
        .await;
        assert_eq!(attempts, 1);
        let none = |_: &()| Verdict {
            deadline: None,
            ..verdict(8, Duration::from_secs(60))
        };
        let (_, attempts, _) = repeat(
            Duration::from_secs(1),
            || std::future::ready(()),
            none,
            |_, _| {},
        )
        .await;
        assert_eq!(attempts, 1);
    }

    #[test]
    fn the_backoff_doubles_from_250_ms_up_to_its_cap() {
        let max = Duration::from_secs(2);
        let pauses: Vec<u128> = (1..=6).map(|a| backoff(a, max).as_millis()).collect();
        assert_eq!(pauses, [250, 500, 1000, 2000, 2000, 2000]);
        assert_eq!(backoff(u32::MAX, max), max);
    }
}
