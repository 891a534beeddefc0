//! Issue 10, hardening: the README's guarantees against a hostile provider, hostile files,
//! names and catalogs, races and closed pipes. One or more tests per class of the issue (each
//! test's doc comment names its class and what it attacks).
//!
//! They drive the real binary and assert behaviour, not wording: exit codes, what never
//! appears on stdout or stderr, the state of files and of the keychain, no panic (101). Tests
//! that need the keychain skip without one and fail when CI is set (support/); the others
//! always run, with wiremock or a raw loopback server as the provider.
//!
//! The tests are split by the class they attack; the helpers they share are here.

mod catalog;
mod failures;
mod files;
mod leaks;
mod names;
mod output;
mod races;
mod shapes;
mod tokens;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

const CLIENT_ID: &str = "hardening-client";

/// The client secret of these tests: `/`, `+`, `=`, `~`, `?` and `>` make each encoding of it
/// differ from it and from the others (its Base64 holds `+`, so the URL-safe one differs too).
const SECRET: &str = "MARKER~?>-s3cr3t/+=7f3a9c";

/// The access token a good answer carries.
const GOOD_TOKEN: &str = "tok-hardening-0c1d2e";

/// `credlink ARGS...` in the sandbox, with `env` set and nothing on stdin.
fn run_env(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    sb.when(args).envs(env).then().out
}

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    run_env(sb, &[], args)
}

/// `credlink link mock --no-input --client-id CLIENT_ID --client-secret-stdin EXTRA...`, `secret`
/// on stdin.
fn link(sb: &Sandbox, secret: &str, extra: &[&str]) -> When {
    let link = [
        "link",
        "mock",
        "--no-input",
        "--client-id",
        CLIENT_ID,
        "--client-secret-stdin",
    ];
    sb.when(&[&link[..], extra].concat())
        .stdin(&format!("{secret}\n"))
}

/// `credlink test --connector CONNECTOR --no-input --client-id CLIENT_ID EXTRA...`, with
/// [`SECRET`] in CREDLINK_CLIENT_SECRET: ad hoc credentials, nothing stored, no keychain.
fn check(sb: &Sandbox, connector: &str, extra: &[&str]) -> Output {
    let mut args = vec!["test", "--connector", connector, "--no-input"];
    args.extend(["--client-id", CLIENT_ID]);
    args.extend_from_slice(extra);
    run_env(sb, &[("CREDLINK_CLIENT_SECRET", SECRET)], &args)
}

/// Exit code and both streams with every control character escaped, cut short: for failure
/// messages about output that may hold escape sequences or megabytes.
fn brief(out: &Output) -> String {
    let cut = |s: String| s.chars().take(600).collect::<String>();
    format!(
        "exit {:?}, stdout {:?}, stderr {:?}",
        out.status.code(),
        cut(stdout(out)),
        cut(stderr(out))
    )
}

/// Panicked (exit 101) or was killed by a signal.
fn crashed(out: &Output) -> bool {
    out.status.code().is_none_or(|c| c == 101) || stderr(out).contains("panicked")
}

#[track_caller]
fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- helpers: providers and files ----

/// A 200 token answer: a good Bearer token valid for an hour, with `changes` applied on top
/// (a null removes the key).
fn token_answer(changes: Value) -> ResponseTemplate {
    let mut body = json!({"access_token": GOOD_TOKEN, "token_type": "Bearer", "expires_in": 3600});
    for (key, value) in changes.as_object().expect("changes are an object") {
        match value {
            Value::Null => drop(body.as_object_mut().unwrap().remove(key)),
            value => body[key] = value.clone(),
        }
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// From now on `server` answers every request with `answer`.
async fn answer_with(server: &MockServer, answer: ResponseTemplate) {
    server.reset().await;
    Mock::given(any()).respond_with(answer).mount(server).await;
}

/// A sandbox whose `mock` connector (client_secret_basic) gets tokens at `{server}/token`;
/// `extra` adds top-level keys, `more` more tables (see [`oauth_connector`]).
fn mock_sandbox(server: &MockServer, extra: &str, more: &str) -> Sandbox {
    Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "basic",
        extra,
        more,
    ))
}

/// An index record as a hand-edited or older index may hold it.
fn record(name: &str, connector: &str, fields: Value) -> Value {
    json!({
        "name": name,
        "connector": connector,
        "auth": "oauth2_client_credentials",
        "fields": fields,
        "linked_at": "2026-01-01T00:00:00Z",
    })
}

/// A record whose connector is not in the catalog: `test --all` reports it
/// `unknown_connector` and records that, without touching the keychain.
fn orphan(name: &str) -> Value {
    record(name, "gone", json!({"client_id": "x"}))
}

/// Whether a form-encoded request body has `key=value`.
fn form_has(req: &Request, key: &str, value: &str) -> bool {
    form_urlencoded::parse(&req.body).any(|(k, v)| k == key && v == value)
}

/// A loopback HTTP server answering every request with these bytes, then closing cleanly.
fn raw_http_server(answer: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(&answer);
            let _ = stream.shutdown(Shutdown::Write);
            // Drain until the client hangs up, so closing sends no RST.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = std::io::copy(&mut stream, &mut std::io::sink());
        }
    });
    format!("http://{address}")
}

/// The one JSON value stdout holds, or why it does not hold exactly one; an error object's
/// `code` must be the exit code.
fn one_json_document(out: &Output) -> Result<Value, String> {
    let mut values = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>();
    let first = match values.next() {
        None => return Err("nothing on stdout".into()),
        Some(Err(e)) => return Err(format!("stdout is not JSON ({e})")),
        Some(Ok(first)) => first,
    };
    if let Some(more) = values.next() {
        return Err(format!("more than one JSON value on stdout: then {more:?}"));
    }
    let code = first["error"]["code"].as_i64();
    if code.is_some() && code != out.status.code().map(i64::from) {
        return Err(format!(
            "the error object's code is not the exit code: {first}"
        ));
    }
    Ok(first)
}
