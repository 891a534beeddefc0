//! Tokens that cannot be used, and lifetimes or intervals no one can wait for (class 4).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

/// Access tokens that are not printable ASCII (RFC 6750 b64token, RFC 6749 VSCHAR).
const UNPRINTABLE_TOKENS: [(&str, &str); 5] = [
    (
        "an OSC 52 clipboard write",
        "tok-\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u{7}-end",
    ),
    ("CR LF and a header", "tok-abc\r\nX-Injected: 1"),
    ("a bidi override", "tok-\u{202e}cba"),
    ("a C1 CSI", "tok-\u{9b}31m-red"),
    ("a NUL", "tok-\u{0}-end"),
];

/// Token answers `token` and `test` must call unusable (exit 4), named: each unprintable
/// token (without a lifetime, so `token` never reuses one), and token types other than Bearer.
fn unusable_answers() -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = UNPRINTABLE_TOKENS
        .iter()
        .map(|(what, token)| {
            (
                format!("a token with {what}"),
                json!({"access_token": token, "expires_in": null}),
            )
        })
        .collect();
    for token_type in ["mac", "DPoP"] {
        all.push((
            format!("token_type {token_type}"),
            json!({"token_type": token_type, "expires_in": null}),
        ));
    }
    all
}

/// `expires_in` values that overflow an instant or a date: 1e19 and 9e18 as integers, as
/// strings and as floats, and u64::MAX.
fn huge_lifetimes() -> Vec<Value> {
    vec![
        json!(10_000_000_000_000_000_000_u64),
        json!(9_000_000_000_000_000_000_u64),
        json!(u64::MAX),
        json!("10000000000000000000"),
        json!("9000000000000000000"),
        json!(1e19),
        json!(9e18),
    ]
}

/// Class 4: a token with control, bidi or non-ASCII characters (OSC 52, CR LF header
/// injection) or of a type other than Bearer makes the check fail as unusable (exit 4);
/// `bearer` in any case still passes, and a huge `expires_in` does not crash `test --json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_tokens_fail_the_check_and_huge_lifetimes_do_not_crash_it() {
    let server = MockServer::start().await;
    let sb = mock_sandbox(&server, "", "");
    let mut failures = Vec::new();
    for (what, changes) in unusable_answers() {
        answer_with(&server, token_answer(changes)).await;
        for mode in [&[][..], &["--json"]] {
            let out = check(&sb, "mock", mode);
            if out.status.code() != Some(4) || contains_bytes(&out.stdout, b"\x1b") {
                failures.push(format!("{what}, test {}: {}", mode.join(" "), brief(&out)));
            }
        }
    }
    for token_type in ["bearer", "BEARER"] {
        answer_with(&server, token_answer(json!({"token_type": token_type}))).await;
        let out = check(&sb, "mock", &[]);
        if out.status.code() != Some(0) {
            failures.push(format!("token_type {token_type} is fine: {}", brief(&out)));
        }
    }
    for lifetime in huge_lifetimes() {
        answer_with(&server, token_answer(json!({"expires_in": lifetime}))).await;
        let out = check(&sb, "mock", &["--json"]);
        if out.status.code() != Some(0) {
            failures.push(format!("expires_in {lifetime}: {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// Class 4: `credlink token NAME` prints nothing and exits 4 when the provider's token is
/// unusable (it would land in `curl -H "Authorization: Bearer $(credlink token x)"` or the
/// terminal); a huge `expires_in` crashes neither `link` nor `token --json`, fresh or cached.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_prints_only_usable_tokens_and_survives_huge_lifetimes() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    // A token that is stale at once: every `token` asks the provider again.
    answer_with(&server, token_answer(json!({"expires_in": 1}))).await;
    let sb = mock_sandbox(&server, "", "");
    link(&sb, SECRET, &["--name", "acct"]).then().exits(0);

    let mut failures = Vec::new();
    for (what, changes) in unusable_answers() {
        answer_with(&server, token_answer(changes)).await;
        let out = run(&sb, &["token", "acct"]);
        if out.status.code() != Some(4) || !out.stdout.is_empty() {
            failures.push(format!("{what}, token acct: {}", brief(&out)));
        }
    }
    for (i, lifetime) in huge_lifetimes().into_iter().enumerate() {
        answer_with(&server, token_answer(json!({"expires_in": lifetime}))).await;
        let name = format!("huge-{i}");
        let steps = [
            ("link", link(&sb, SECRET, &["--name", &name]).then().out),
            (
                "token --fresh --json",
                run(&sb, &["token", &name, "--fresh", "--json"]),
            ),
            (
                "token --json (cached)",
                run(&sb, &["token", &name, "--json"]),
            ),
            ("token (cached)", run(&sb, &["token", &name])),
        ];
        for (step, out) in steps {
            if out.status.code() != Some(0) {
                failures.push(format!("expires_in {lifetime}, {step}: {}", brief(&out)));
            }
        }
    }
    assert_no_failures(&failures);
}

/// Third round, class 2: lifetimes and intervals in a device authorization answer that do not
/// fit a duration (u64::MAX, 1e30, as numbers or strings), or are negative, are clamped: the
/// sign-in polls on and ends at `--wait` (exit 4), never with a panic.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_or_negative_durations_in_a_device_answer_do_not_crash_the_sign_in() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let sb = Sandbox::with_connectors(&stub_device_connectors(&server.uri()));
    let mut failures = Vec::new();
    for (expires_in, interval) in [
        (json!(u64::MAX), json!(1)),
        (json!("18446744073709551615"), json!(1)),
        (json!(1e30), json!(1)),
        (json!(-1), json!(1)),
        (json!(60), json!(u64::MAX)),
        (json!(60), json!(-5)),
        (json!(u64::MAX), json!(1e30)),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/device/auth"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "device_code": "dc-0123456789",
                "user_code": "WDJB-MJHT",
                "verification_uri": format!("{}/device", server.uri()),
                "expires_in": expires_in,
                "interval": interval,
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(
                ResponseTemplate::new(400).set_body_json(json!({"error": "authorization_pending"})),
            )
            .mount(&server)
            .await;
        let mut args = vec![
            "link",
            "stub-device",
            "--name",
            "acct",
            "--client-id",
            CLIENT_ID,
        ];
        args.extend(["--no-browser", "--wait", "2"]);
        let out = run_env(&sb, &[("CREDLINK_CLIENT_SECRET", SECRET)], &args);
        if crashed(&out)
            || out.status.code() != Some(4)
            || !stderr(&out).contains("did not finish within 2 s")
        {
            failures.push(format!(
                "expires_in {expires_in}, interval {interval}: {}",
                brief(&out)
            ));
        }
    }
    assert_no_failures(&failures);
}
