//! 429 and 503 are retried, `Retry-After` honoured, always within `--timeout`.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

// 429 and 503 are retried (3 attempts in all, after Retry-After or a short backoff); nothing
// else is: every other fault test expects exactly one request.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiting_429_is_retried_after_retry_after_then_unreachable_not_rejected() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "Too Many Requests"})),
        )
        .expect(3)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let started = Instant::now();
    let out = check_oauth(&sb, &[]);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited Retry-After (1 s) before each of the two retries"
    );
    let r = failed(&out, 4, "unreachable", Some(429));
    assert_eq!(r["error_description"], "Too Many Requests");
    assert!(
        text(&r["hint"]).contains("rate-limiting"),
        "generic http_429 hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_503_is_retried_then_unreachable() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(
            ResponseTemplate::new(503).set_body_raw("upstream connect error", "text/plain"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(503));
    assert_cause(&r, "upstream connect error", "server error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_followed_by_a_token_is_valid() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock()
        .respond_with(token_ok())
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &["-v"]);
    assert_exit(&out, 0);
    assert_hidden(&out, "tok-9d1e2f-never-printed");
    assert_eq!(report(&out)["status"], "valid");
    assert!(stderr(&out).contains("retrying"), "{}", describe(&out));
}

/// `--timeout` is "seconds to wait for a provider"; retries of a 429 must not stretch one
/// check far beyond it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_of_a_429_stay_within_the_timeout() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let started = Instant::now();
    let out = check_oauth(&sb, &["--timeout", "2"]);
    let elapsed = started.elapsed();
    assert_exit(&out, 4);
    assert!(
        elapsed < Duration::from_secs(8),
        "took {elapsed:?} with --timeout 2"
    );
}

/// Third round of hardening, class 2: `--timeout` bounds the whole request, the attempts'
/// own time included: a 503 that takes 8 s to come, with `--timeout 10`, is not asked for a
/// second time with a fresh 10 s to wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_of_a_slow_503_stay_within_the_timeout() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_secs(8)))
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let started = Instant::now();
    let out = check_oauth(&sb, &["--timeout", "10"]);
    let elapsed = started.elapsed();
    assert_exit(&out, 4);
    assert!(
        elapsed < Duration::from_secs(14),
        "took {elapsed:?} with --timeout 10"
    );
}

/// Third round of hardening, class 2: a `Retry-After` given as an HTTP date (RFC 9110
/// 10.2.3) is waited for, as one given in seconds is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_given_as_a_date_is_waited_for() {
    let server = MockServer::start().await;
    let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    token_mock()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", at.as_str()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock()
        .respond_with(token_ok())
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let started = Instant::now();
    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 0);
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "waited for the date in Retry-After ({at}), not the 250 ms backoff"
    );
}
