//! Faults a real OAuth server will not produce on demand (timeouts, HTML pages, redirects,
//! truncated JSON, hostile text) and the API-key verification variants, against wiremock.
//! `credlink test --connector mock` checks ad hoc credentials and stores nothing, so these
//! tests need neither a keychain nor the oidc-provider peer: they always run.
//!
//! The binary runs as a child process; wiremock serves from its own thread, so the blocking
//! `output()` calls below are fine inside a multi-thread tokio test.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{
    any, body_json, body_string, body_string_contains, header, method, path, query_param,
};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

use crate::support::*;

const CLIENT_ID: &str = "mock-client";
const API_KEY: &str = "ashby-KEY-4f9a1c";

// ---- helpers ----

/// A connectors file with one API-key connector `mock`: `verify` is the body of its
/// `[connectors.mock.verify]` table, `fields` its field tables (the secret one included).
fn api_key_connector(verify: &str, fields: &str) -> String {
    format!(
        r#"
[connectors.mock]
name = "Mock API key"
auth = "api_key"

[connectors.mock.verify]
{verify}

{fields}
"#
    )
}

const API_KEY_FIELD: &str = r#"
[[connectors.mock.fields]]
id = "api_key"
label = "API key"
secret = true
"#;

/// A sandbox whose `mock` connector posts to `{server}/token` with `client_auth = post`.
fn oauth_sandbox(server: &MockServer) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "",
        "",
    ));
    sb
}

/// `POST /token`, the token request of [`oauth_sandbox`].
fn token_mock() -> MockBuilder {
    Mock::given(method("POST")).and(path("/token"))
}

/// `credlink test --connector mock --no-input ARGS` with `env` set.
fn credlink_test(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = sb.cmd();
    cmd.args(["test", "--connector", "mock", "--no-input"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The OAuth check of [`oauth_sandbox`], in JSON, with [`MARKER`] as the client secret.
fn check_oauth(sb: &Sandbox, args: &[&str]) -> Output {
    let mut all = vec!["--json", "--client-id", CLIENT_ID];
    all.extend_from_slice(args);
    credlink_test(sb, &[("CREDLINK_CLIENT_SECRET", MARKER)], &all)
}

/// An API-key check in JSON, with [`API_KEY`] as the key.
fn check_api_key(sb: &Sandbox, args: &[&str]) -> Output {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    credlink_test(sb, &[("CREDLINK_API_KEY", API_KEY)], &all)
}

/// The one report object of `test --json`, after checking the secrets never show.
fn report(out: &Output) -> Value {
    assert_hidden(out, MARKER);
    assert_hidden(out, API_KEY);
    let all: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", describe(out)));
    let all = all.as_array().expect("an array of reports");
    assert_eq!(all.len(), 1, "{}", describe(out));
    let r = all[0].clone();
    assert_eq!(r["name"], "mock");
    assert_eq!(r["connector"], "mock");
    assert_eq!(r["ok"], r["status"] == "valid");
    r
}

/// The one report of a failed check, after checking its exit code, status and HTTP status.
#[track_caller]
fn failed(out: &Output, code: i32, status: &str, http_status: Option<u16>) -> Value {
    assert_exit(out, code);
    let r = report(out);
    assert_eq!(r["status"], status, "{r}");
    assert_eq!(r["http_status"].as_u64(), http_status.map(u64::from), "{r}");
    r
}

/// The report's `error_description` and `hint` hold these words.
#[track_caller]
fn assert_cause(r: &Value, description: &str, hint: &str) {
    assert!(text(&r["error_description"]).contains(description), "{r}");
    assert!(text(&r["hint"]).contains(hint), "{r}");
}

fn token_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "tok-9d1e2f-never-printed",
        "token_type": "Bearer",
        "expires_in": 3600
    }))
}

fn body_text(req: &Request) -> String {
    String::from_utf8_lossy(&req.body).into_owned()
}

// ---- OAuth token endpoint faults ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_slower_than_the_timeout_is_unreachable_with_a_timeout_hint() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(token_ok().set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &["--timeout", "1"]);
    assert_exit(&out, 4);
    let r = report(&out);
    assert_eq!(r["status"], "unreachable");
    assert_eq!(r["error"], "timeout");
    assert_eq!(r["http_status"], Value::Null);
    assert_cause(&r, "no answer within 1 s", "did not answer in time");
    let latency = r["latency_ms"].as_u64().unwrap();
    assert!(
        (900..2900).contains(&latency),
        "gave up after ~1 s, not 3: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_html_error_page_is_unreachable_and_named_by_its_title() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            "<html><head><title>Internal Error</title></head><body><h1>HTTP Status 500 - \
             Unable to invoke controller: null</h1></body></html>",
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(500));
    assert_eq!(r["error"], Value::Null);
    let description = text(&r["error_description"]);
    assert!(description.contains("HTML"), "{r}");
    assert!(description.contains("\"Internal Error\""), "{r}");
    assert!(
        text(&r["hint"]).contains("server error"),
        "generic http_5xx hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_with_200_is_not_json_even_when_labelled_json() {
    for content_type in ["text/html; charset=utf-8", "application/json"] {
        let server = MockServer::start().await;
        token_mock()
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                "<!DOCTYPE html>\n<html><head><TITLE>Sign in - Corporate Proxy</TITLE></head>\
                 <body><form></form></body></html>",
                content_type,
            ))
            .expect(1)
            .mount(&server)
            .await;
        let sb = oauth_sandbox(&server);

        let out = check_oauth(&sb, &[]);
        let r = failed(&out, 4, "unreachable", Some(200));
        let description = text(&r["error_description"]);
        assert!(description.contains("not JSON"), "{r}");
        assert!(description.contains("Sign in - Corporate Proxy"), "{r}");
        assert!(
            text(&r["hint"]).contains("other than JSON"),
            "generic non_json hint: {r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_without_an_access_token_is_unusable() {
    for body in [
        json!({"token_type": "Bearer"}),
        json!({"access_token": "", "token_type": "Bearer"}),
        json!({"access_token": 42}),
    ] {
        let server = MockServer::start().await;
        token_mock()
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let sb = oauth_sandbox(&server);

        let out = check_oauth(&sb, &[]);
        let r = failed(&out, 4, "unreachable", Some(200));
        assert_cause(&r, "no access_token", "no access token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_unusable() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"access_token": "abc""#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(200));
    assert!(text(&r["error_description"]).contains("not JSON"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_reported_and_never_followed() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(token_ok())
        .expect(0)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(302));
    let description = text(&r["error_description"]);
    assert!(description.contains("redirect"), "{r}");
    assert!(description.contains("/elsewhere"), "names the target: {r}");
    assert!(
        text(&r["hint"]).contains("redirect"),
        "generic redirect hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personio_problem_json_400_unauthorized_client_is_a_rejection() {
    // provider-auth-facts.md section 20, row 3: Personio's "Invalid Credentials" example.
    let body = r#"{"timestamp":"2023-03-01T14:07:17Z","trace_id":"baaaaaad-c0de-fade-baad-c000000000de","error":"unauthorized_client","error_description":"Client is not allowed to use the specified grant type flow.","error_uri":"https://developer.personio.de/reference/errors#credentials.oauth2.unauthorized_client"}"#;
    let server = MockServer::start().await;
    token_mock()
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains(format!("client_secret={MARKER}")))
        .respond_with(ResponseTemplate::new(400).set_body_raw(body, "application/problem+json"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 3, "rejected", Some(400));
    assert_eq!(r["error"], "unauthorized_client");
    assert_eq!(
        r["error_description"],
        "Client is not allowed to use the specified grant type flow."
    );
    assert!(
        text(&r["hint"]).contains("client-credentials flow"),
        "generic hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_401_is_a_rejection() {
    // HiBob answers bad credentials with 401 and no body at all.
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 3, "rejected", Some(401));
    assert_eq!(r["error"], Value::Null);
    assert_cause(&r, "empty", "(401)");
}

// 429 and 503 are retried (3 attempts in all, after Retry-After or a short backoff); nothing
// else is: every other fault test above and below expects exactly one request.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_client_auth_form_encodes_id_and_secret_per_rfc6749() {
    // RFC 6749 2.3.1 vector from AppAuth-iOS #233 (provider-auth-facts.md, section 19).
    let client_id = "1PpG/Q 1";
    let secret = "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=";
    let server = MockServer::start().await;
    token_mock()
        .and(header(
            "authorization",
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA==",
        ))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        // Only the grant: the credentials go in the header, never also in the body.
        .and(body_string("grant_type=client_credentials"))
        .and(|req: &Request| {
            let body = body_text(req);
            !body.contains("client_secret") && !body.contains("client_id")
        })
        .respond_with(token_ok())
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "basic",
        "",
        "",
    ));

    // The secret comes on stdin, with the one trailing line break `echo` adds.
    let out = sb
        .cmd()
        .args(["test", "--connector", "mock", "--no-input", "--json"])
        .args(["--client-id", client_id, "--client-secret-stdin"])
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_hidden(&out, secret);
    assert_hidden(&out, "tok-9d1e2f-never-printed");
    let r = report(&out);
    assert_eq!(r["ok"], true);
    assert_eq!(r["status"], "valid");
    assert_eq!(r["http_status"], 200);
    assert_eq!(r["expires_in"], 3600);
    assert_eq!(r["error"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_client_auth_sends_every_parameter_in_a_json_body() {
    let server = MockServer::start().await;
    token_mock()
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": MARKER,
            "scope": "read:all",
            "audience": "https://api.mock.example/",
        })))
        .and(|req: &Request| !req.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "tok-9d1e2f-never-printed",
            "token_type": "Bearer",
            "expires_in": 86400,
            "scope": "read:all read:extra",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "json",
        "scope = \"read:all\"\ntoken_params = { audience = \"{audience}\" }",
        "[[connectors.mock.fields]]\nid = \"audience\"\nlabel = \"Audience\"\n\
         default = \"https://api.mock.example/\"\n",
    ));

    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 0);
    assert_hidden(&out, "tok-9d1e2f-never-printed");
    let r = report(&out);
    assert_eq!(r["status"], "valid");
    assert_eq!(r["expires_in"], 86400);
    assert_eq!(
        r["scope"], "read:all read:extra",
        "the granted scope, from the answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_params_of_an_empty_optional_field_are_left_out() {
    let server = MockServer::start().await;
    token_mock()
        .and(body_string_contains("sub=42"))
        .respond_with(token_ok())
        .expect(1)
        .named("with --field user_id=42")
        .mount(&server)
        .await;
    token_mock()
        .and(body_string_contains("grant_type=client_credentials"))
        .and(|req: &Request| !body_text(req).contains("sub"))
        .respond_with(token_ok())
        .expect(1)
        .named("without user_id")
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "token_params = { sub = \"{user_id}\" }",
        "[[connectors.mock.fields]]\nid = \"user_id\"\nlabel = \"User ID\"\noptional = true\n",
    ));

    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 0);
    assert_eq!(report(&out)["status"], "valid");
    let out = check_oauth(&sb, &["--field", "user_id=42"]);
    assert_exit(&out, 0);
    assert_eq!(report(&out)["status"], "valid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_and_bidi_overrides_from_the_server_are_removed() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client\u{1b}]0;pwned\u{7}",
            "error_description":
                "Bad \u{1b}[31mred\u{1b}[0m client \u{202e}exe.txt\u{202c} done\r\nFAKE: all good",
        })))
        .expect(3)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);
    let secret = [("CREDLINK_CLIENT_SECRET", MARKER)];
    let forbidden = ['\u{1b}', '\u{7}', '\u{202e}', '\u{202c}', '\r'];

    // Human output, and the -v trace of the response on stderr.
    for args in [
        &["--client-id", CLIENT_ID][..],
        &["--client-id", CLIENT_ID, "-v"],
    ] {
        let out = credlink_test(&sb, &secret, args);
        assert_exit(&out, 3);
        assert_hidden(&out, MARKER);
        for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !stream.contains(&0x1b),
                "ESC byte on {name}:\n{}",
                describe(&out)
            );
            let stream = String::from_utf8_lossy(stream);
            assert!(
                !stream.contains(forbidden),
                "control or bidi character on {name}:\n{stream}"
            );
        }
        assert!(
            stdout(&out).contains("Bad [31mred[0m client exe.txt done  FAKE: all good"),
            "the readable text stays, on one line:\n{}",
            describe(&out)
        );
    }

    // JSON: the strings themselves are clean, not merely escaped.
    let r = report(&check_oauth(&sb, &[]));
    for key in ["error", "error_description"] {
        assert!(!text(&r[key]).contains(forbidden), "{key}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_echoing_the_secret_never_gets_it_printed() {
    // The form-encoded spelling differs from the raw one: a server may echo either.
    let secret = format!("{MARKER}+a/b=");
    let encoded: String = form_urlencoded_like(&secret);
    let server = MockServer::start().await;
    token_mock()
        .and(body_string_contains(format!("client_secret={encoded}")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": format!("invalid_client ({secret})"),
            "error_description": format!(
                "client_secret '{secret}' is wrong; you sent client_id={CLIENT_ID}&client_secret={encoded}"
            ),
        })))
        .expect(2)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);
    let env = [("CREDLINK_CLIENT_SECRET", secret.as_str())];

    let out = credlink_test(&sb, &env, &["--json", "--client-id", CLIENT_ID]);
    assert_exit(&out, 3);
    let r = report(&out);
    assert!(
        text(&r["error_description"]).contains("client_secret '(redacted)' is wrong"),
        "{r}"
    );
    assert!(
        text(&r["error_description"]).ends_with("client_secret=(redacted)"),
        "{r}"
    );
    assert_eq!(r["error"], "invalid_client ((redacted))");

    // Human output with the -v trace of request and response.
    let out = credlink_test(&sb, &env, &["-v", "--client-id", CLIENT_ID]);
    assert_exit(&out, 3);
    assert_hidden(&out, MARKER);
    assert!(stdout(&out).contains("(redacted)"), "{}", describe(&out));
    assert!(stderr(&out).contains("(redacted)"), "{}", describe(&out));
}

/// `application/x-www-form-urlencoded` of the few characters the echo test uses.
fn form_urlencoded_like(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_location_echoing_the_secret_never_gets_it_printed() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!(
                "{}/login?client_id={CLIENT_ID}&client_secret={MARKER}",
                server.uri()
            ),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    // Both runs first, so a failure shows every place the secret appears.
    let json = check_oauth(&sb, &[]);
    let traced = credlink_test(
        &sb,
        &[("CREDLINK_CLIENT_SECRET", MARKER)],
        &["-v", "--client-id", CLIENT_ID],
    );
    assert_exit(&json, 4);
    assert_exit(&traced, 4);
    assert_hidden(&traced, MARKER);
    let r = report(&json);
    assert!(
        text(&r["error_description"]).contains("client_secret=(redacted)"),
        "{r}"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_unsafe_values_never_reach_the_network_even_when_the_pattern_allows_them() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(token_ok())
        .expect(0)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    // The pattern accepts anything: the URL check must refuse these values by itself.
    sb.write_connectors(&oauth_connector(
        &format!("{}/{{tenant}}/token", server.uri()),
        "post",
        "",
        "[[connectors.mock.fields]]\nid = \"tenant\"\nlabel = \"Tenant\"\npattern = \"^.+$\"\n",
    ));

    for evil in [
        "evil.com/x?",
        "a@evil.com",
        "evil.com#",
        "x/../../admin",
        "%2e%2e",
        "a b",
    ] {
        let out = check_oauth(&sb, &["--field", &format!("tenant={evil}")]);
        assert_exit(&out, 2);
        assert_hidden(&out, MARKER);
        assert!(
            describe(&out).contains("cannot be used in the provider URL"),
            "{evil}: {}",
            describe(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_unreachable_with_a_connect_hint() {
    // A port that was just free: nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("http://127.0.0.1:{port}/token"),
        "post",
        "",
        "",
    ));

    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 4);
    let r = report(&out);
    assert_eq!(r["status"], "unreachable");
    assert_eq!(r["error"], "connect");
    assert_eq!(r["http_status"], Value::Null);
    assert!(
        text(&r["hint"]).contains("Could not connect"),
        "generic connect hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_the_connection_without_an_answer_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // Read a little of the request, then hang up without a byte of answer.
            let mut buf = [0u8; 256];
            let _ = std::io::Read::read(&mut &stream, &mut buf);
            drop(stream);
        }
    });
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("http://127.0.0.1:{port}/token"),
        "post",
        "",
        "",
    ));

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", None);
    assert!(r["error"].is_string(), "{r}");
    assert!(r["error_description"].is_string(), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_error_body_of_an_unknown_shape_is_not_called_empty() {
    for body in [
        json!({"errorId": "err-7f3a", "code": 40101}),
        json!("Unauthorized"),
    ] {
        let server = MockServer::start().await;
        token_mock()
            .respond_with(ResponseTemplate::new(401).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let sb = oauth_sandbox(&server);

        let out = check_oauth(&sb, &[]);
        assert_exit(&out, 3);
        let r = report(&out);
        assert_eq!(r["http_status"], 401);
        assert!(
            !text(&r["error_description"]).contains("empty"),
            "{body}: {r}"
        );
    }
}

// ---- API-key verification variants ----

/// The Ashby-like connector: POST, Basic with the key as user and no password, body `{}`,
/// and `success: false` on a 200 meaning a rejection.
fn ashby_like(server: &MockServer) -> Sandbox {
    let sb = Sandbox::new();
    let verify = format!(
        r#"method = "POST"
url = "{}/apiKey.info"
basic_auth = {{ username = "{{api_key}}", password = "" }}
headers = {{ "Accept" = "application/json; version=1" }}
json_body = "{{}}"
success_pointer = "/success""#,
        server.uri()
    );
    sb.write_connectors(&api_key_connector(&verify, API_KEY_FIELD));
    sb
}

fn ashby_mock() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/apiKey.info"))
        // base64("ashby-KEY-4f9a1c:"): the key as user name, an empty password.
        .and(header("authorization", "Basic YXNoYnktS0VZLTRmOWExYzo="))
        .and(header("accept", "application/json; version=1"))
        .and(header("content-type", "application/json"))
        .and(body_string("{}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ashby_like_success_false_on_200_is_a_rejection() {
    let server = MockServer::start().await;
    ashby_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false,
            "errorInfo": {"code": "api_key_invalid", "message": "Invalid API key"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = ashby_like(&server);

    let out = check_api_key(&sb, &[]);
    let r = failed(&out, 3, "rejected", Some(200));
    assert_eq!(r["error"], "api_key_invalid");
    assert_eq!(r["error_description"], "Invalid API key");
    assert!(
        text(&r["hint"]).contains("reported a failure"),
        "generic success_false hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ashby_like_success_true_is_valid() {
    let server = MockServer::start().await;
    ashby_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "results": {"title": "credlink"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = ashby_like(&server);

    let out = check_api_key(&sb, &[]);
    let r = failed(&out, 0, "valid", Some(200));
    assert_eq!(r["error"], Value::Null);
    assert_eq!(r["hint"], Value::Null);
}

/// The Workable-like connector: GET with `Authorization: Bearer KEY` on a path that holds
/// the subdomain (the real one is in the host).
fn workable_like(server: &MockServer) -> Sandbox {
    let sb = Sandbox::new();
    let verify = format!(
        "method = \"GET\"\nurl = \"{}/{{subdomain}}/spi/v3/jobs?limit=1\"\nbearer = \"{{api_key}}\"",
        server.uri()
    );
    let fields = format!(
        "[[connectors.mock.fields]]\nid = \"subdomain\"\nlabel = \"Subdomain\"\n\
         pattern = \"^[a-z0-9][a-z0-9-]{{0,62}}$\"\n{API_KEY_FIELD}"
    );
    sb.write_connectors(&api_key_connector(&verify, &fields));
    sb
}

fn workable_mock() -> MockBuilder {
    Mock::given(method("GET"))
        .and(path("/acme/spi/v3/jobs"))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {API_KEY}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_verification_valid_on_200_and_rejected_on_401() {
    let server = MockServer::start().await;
    workable_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"jobs": []})))
        .expect(1)
        .mount(&server)
        .await;
    let out = check_api_key(&workable_like(&server), &["--subdomain", "acme"]);
    assert_exit(&out, 0);
    assert_eq!(report(&out)["status"], "valid");

    let server = MockServer::start().await;
    workable_mock()
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "Not authorized"})))
        .expect(1)
        .mount(&server)
        .await;
    let out = check_api_key(&workable_like(&server), &["--subdomain", "acme"]);
    let r = failed(&out, 3, "rejected", Some(401));
    assert!(
        text(&r["hint"]).contains("(401)"),
        "generic http_401 hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_header_verification_sends_both_headers_and_403_is_a_rejection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/eu/api/v2.1/public/contract_types/"))
        .and(header("client-id", CLIENT_ID))
        .and(header("client-secret", MARKER))
        .and(|req: &Request| !req.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "detail": "You do not have permission to perform this action."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let verify = format!(
        "method = \"GET\"\nurl = \"{}/{{region}}/api/v2.1/public/contract_types/\"\n\
         headers = {{ \"client-id\" = \"{{client_id}}\", \"client-secret\" = \"{{client_secret}}\" }}",
        server.uri()
    );
    let fields = r#"
[[connectors.mock.fields]]
id = "region"
label = "Region"
pattern = "^(in|us|eu|me)$"

[[connectors.mock.fields]]
id = "client_id"
label = "Client ID"

[[connectors.mock.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#;
    sb.write_connectors(&api_key_connector(&verify, fields));

    let out = credlink_test(
        &sb,
        &[("CREDLINK_CLIENT_SECRET", MARKER)],
        &["--json", "--client-id", CLIENT_ID, "--field", "region=eu"],
    );
    let r = failed(&out, 3, "rejected", Some(403));
    assert_eq!(
        r["error_description"],
        "You do not have permission to perform this action."
    );
    assert!(
        text(&r["hint"]).contains("(403)"),
        "generic http_403 hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_header_is_reported_as_the_description() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/employees/0"))
        .and(query_param("fields", "id"))
        // base64("bamboo-KEY-0c7e21:x"): the key as user name, any password.
        .and(header(
            "authorization",
            "Basic YmFtYm9vLUtFWS0wYzdlMjE6eA==",
        ))
        .respond_with(
            ResponseTemplate::new(401).insert_header("X-BambooHR-Error-Message", "Invalid API key"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let verify = format!(
        "method = \"GET\"\nurl = \"{}/api/v1/employees/0?fields=id\"\n\
         basic_auth = {{ username = \"{{api_key}}\", password = \"x\" }}\n\
         error_header = \"X-BambooHR-Error-Message\"",
        server.uri()
    );
    sb.write_connectors(&api_key_connector(&verify, API_KEY_FIELD));

    let out = credlink_test(
        &sb,
        &[("CREDLINK_API_KEY", "bamboo-KEY-0c7e21")],
        &["--json"],
    );
    assert_exit(&out, 3);
    assert_hidden(&out, "bamboo-KEY-0c7e21");
    let r = report(&out);
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["http_status"], 401);
    assert!(
        text(&r["error_description"]).contains("Invalid API key"),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_on_the_verify_url_is_unreachable() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_raw("Not Found", "text/plain"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = workable_like(&server);

    let out = check_api_key(&sb, &["--subdomain", "no-such-company"]);
    let r = failed(&out, 4, "unreachable", Some(404));
    assert!(
        text(&r["hint"]).contains("404"),
        "generic http_404 hint: {r}"
    );
}

// ---- the shipped catalog ----

#[test]
fn built_in_connectors_are_reachable_only_over_https() {
    let out = Sandbox::new()
        .cmd()
        .args(["connectors", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert!(!all.is_empty());
    for c in all {
        let url = text(&c["url"]);
        assert!(url.starts_with("https://"), "{}: {url}", c["id"]);
        if let Some(docs) = c["docs"].as_str() {
            assert!(docs.starts_with("https://"), "{}: {docs}", c["id"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_sign_in_url_gives_the_subdomain_and_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/t/acme/token"))
        .respond_with(token_ok())
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&subdomain_connector(&server.uri()));

    let out = check_oauth(&sb, &["--subdomain", "https://acme.example.com/login"]);
    assert_exit(&out, 0);
    assert_has(
        &stderr(&out),
        "took the Mock subdomain `acme` from the URL given",
    );
    assert_eq!(report(&out)["status"], "valid");

    // A URL of another host is not taken apart: the field names the problem, nothing is sent.
    let out = check_oauth(&sb, &["--subdomain", "https://acme.example.org"]);
    assert_exit(&out, 2);
    assert_has(
        &describe(&out),
        "Mock subdomain: `https://acme.example.org` does not match",
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
