//! Faults a real OAuth server will not produce on demand (timeouts, HTML pages, redirects,
//! truncated JSON, hostile text) and the API-key verification variants, against wiremock.
//! `credlink test --connector mock` checks ad hoc credentials and stores nothing, so these
//! tests need neither a keychain nor the oidc-provider peer: they always run.
//!
//! The binary runs as a child process; wiremock serves from its own thread, so the blocking
//! `output()` calls below are fine inside a multi-thread tokio test.
//!
//! The tests are split by what goes wrong; the connectors, runners and reports they share are
//! here.

mod api_key;
mod echoes;
mod requests;
mod retries;
mod token_endpoint;

use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::support::*;

const CLIENT_ID: &str = "mock-client";

const API_KEY: &str = "ashby-KEY-4f9a1c";

/// A sandbox whose `mock` connector posts to `{server}/token` with `client_auth = post`.
fn oauth_sandbox(server: &MockServer) -> Sandbox {
    Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "",
        "",
    ))
}

/// `POST /token`, the token request of [`oauth_sandbox`].
fn token_mock() -> MockBuilder {
    Mock::given(method("POST")).and(path("/token"))
}

/// `credlink test --connector mock --no-input ARGS` with `env` set.
fn credlink_test(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let test = ["test", "--connector", "mock", "--no-input"];
    sb.when(&[&test[..], args].concat()).envs(env).then().out
}

/// The OAuth check of [`oauth_sandbox`], in JSON, with [`MARKER`] as the client secret.
fn check_oauth(sb: &Sandbox, args: &[&str]) -> Output {
    let mut all = vec!["--json", "--client-id", CLIENT_ID];
    all.extend_from_slice(args);
    credlink_test(sb, &[("CREDLINK_CLIENT_SECRET", MARKER)], &all)
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
