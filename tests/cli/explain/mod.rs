//! `credlink test --explain` (the step-by-step diagnosis of one account) and `credlink token`,
//! against the oidc-provider peer, wiremock, a local HTTPS server with its own CA, and the real
//! Secret Service. Every diagnosis is read from `--json` and checked for shape: steps in the
//! documented order, at most one failure and nothing after it, the exit code in the object
//! equal to the process's. Hints are compared with the text in `connectors.toml`.
//!
//! The tests are split by the steps they reach; the runners and connectors they share are here.

mod steps;
mod tls;
mod token;
mod verify;

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const BASIC_SECRET: &str = "basic-secret";

/// The steps of a diagnosis, in the order they run (`oauth` and `verify` are alternatives).
const STEP_ORDER: [&str; 10] = [
    "keychain",
    "input",
    "proxy",
    "dns",
    "connect",
    "tls",
    "http",
    "oauth",
    "verify",
    "permissions",
];

// ---- running credlink ----

/// `credlink ARGS` with `env` set, proxies unset, nothing on stdin.
fn run(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    sb.when(args).without_proxies().envs(env).then().out
}

/// `credlink test --explain --no-input ARGS`.
fn explain(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut all = vec!["test", "--explain", "--no-input"];
    all.extend_from_slice(args);
    run(sb, env, &all)
}

/// A `test --explain --json` run, parsed.
struct Diagnosis {
    out: Output,
    json: Value,
}

impl Diagnosis {
    fn steps(&self) -> &[Value] {
        self.json["steps"].as_array().unwrap()
    }

    fn names(&self) -> Vec<&str> {
        self.steps()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect()
    }

    /// The first step of this name that is not a warning.
    #[track_caller]
    fn step(&self, name: &str) -> &Value {
        self.steps()
            .iter()
            .find(|s| s["step"] == name && s["status"] != "warning")
            .unwrap_or_else(|| panic!("no step `{name}`:\n{}", describe(&self.out)))
    }

    #[track_caller]
    fn status(&self, name: &str) -> &str {
        text(&self.step(name)["status"])
    }

    #[track_caller]
    fn detail(&self, name: &str) -> &str {
        text(&self.step(name)["detail"])
    }

    /// Asserts that the diagnosis stopped at `step` with exit `code`, every step before it
    /// passing (ok, skipped or warning); returns the failed step.
    #[track_caller]
    fn failed_at(&self, step: &str, code: i32) -> &Value {
        assert_exit(&self.out, code);
        assert_eq!(self.json["ok"], false, "{}", describe(&self.out));
        let last = self.steps().last().unwrap();
        assert_eq!(last["step"], step, "{}", describe(&self.out));
        assert_eq!(last["status"], "failed", "{}", describe(&self.out));
        last
    }

    /// Asserts that every step passed, with exit 0.
    #[track_caller]
    fn passed(&self) {
        assert_exit(&self.out, 0);
        assert_eq!(self.json["ok"], true, "{}", describe(&self.out));
        for s in self.steps() {
            assert!(
                ["ok", "skipped", "warning"].contains(&text(&s["status"])),
                "{s}"
            );
        }
    }
}

/// `credlink test --explain --no-input --json ARGS`, parsed and checked for shape. No output
/// of any diagnosis may show [`MARKER`].
#[track_caller]
fn diagnose(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Diagnosis {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = explain(sb, env, &all);
    assert_hidden(&out, MARKER);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", describe(&out)));
    assert_eq!(
        keys(&json),
        ["connector", "exit_code", "name", "next", "ok", "steps"],
        "{json}"
    );
    assert_eq!(
        json["exit_code"].as_i64().map(|c| c as i32),
        out.status.code(),
        "the JSON exit_code is the process's:\n{}",
        describe(&out)
    );
    assert_eq!(json["ok"], json["exit_code"] == 0, "{json}");
    let steps = json["steps"].as_array().expect("steps is an array");
    assert!(!steps.is_empty(), "{json}");
    let mut at = 0;
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(
            keys(s),
            ["detail", "duration_ms", "hint", "status", "step"],
            "{s}"
        );
        let place = STEP_ORDER
            .iter()
            .position(|n| s["step"] == *n)
            .unwrap_or_else(|| panic!("unknown step {s}"));
        assert!(place >= at, "steps out of order:\n{json:#}");
        at = place;
        assert!(
            ["ok", "warning", "failed", "skipped"].contains(&text(&s["status"])),
            "{s}"
        );
        assert!(
            s["duration_ms"].is_null() || s["duration_ms"].is_u64(),
            "{s}"
        );
        assert!(!text(&s["detail"]).is_empty(), "{s}");
        assert!(s["hint"].is_null() || s["hint"].is_string(), "{s}");
        if s["status"] == "failed" {
            assert_eq!(
                i,
                steps.len() - 1,
                "nothing runs after a failure:\n{json:#}"
            );
        }
        if s["status"] == "skipped" {
            assert!(
                s["duration_ms"].is_null(),
                "a skipped step takes no time: {s}"
            );
        }
    }
    let failed = steps.last().unwrap()["status"] == "failed";
    assert_eq!(failed, json["exit_code"] != 0, "{json:#}");
    Diagnosis { out, json }
}

/// `credlink test --explain --no-input ARGS` for a terminal reader: checks the exit code and
/// that no [`MARKER`] shows; returns stdout.
#[track_caller]
fn human(sb: &Sandbox, env: &[(&str, &str)], args: &[&str], code: i32) -> String {
    let out = explain(sb, env, args);
    assert_exit(&out, code);
    assert_hidden(&out, MARKER);
    stdout(&out)
}

/// The human checklist failed at `step` with exit `code`, showing `hint`.
#[track_caller]
fn assert_human_failure(text: &str, step: &str, code: i32, hint: &str) {
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("  [FAIL] {step} "))),
        "a [FAIL] {step} line in:\n{text}"
    );
    assert!(
        text.contains(&format!("hint: {hint}")),
        "hint {hint:?} in:\n{text}"
    );
    // The result line ends the page, but for the command to run next.
    let end = text
        .rfind("\nNext: credlink ")
        .map_or(text, |at| &text[..=at]);
    assert!(
        end.ends_with(&format!("Result: failed at step `{step}` (exit {code})\n")),
        "the result line in:\n{text}"
    );
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A hint as shown for an account: its placeholders filled in.
fn filled(hint: &str, connector: &str, name: &str) -> String {
    hint.replace("<connector>", connector)
        .replace("<name>", name)
}

/// A generic hint, from the `[hints]` table of the built-in catalog.
fn generic_hint(key: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors.toml");
    let catalog: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    catalog["hints"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no generic hint `{key}`"))
        .to_owned()
}

// ---- connectors ----

/// A connectors file with one OAuth connector `mock` (client_secret_post); `extra` adds
/// top-level keys (hints, permission_check).
fn post_connector(token_url: &str, extra: &str) -> String {
    oauth_connector(token_url, "post", extra, "")
}

/// A sandbox with the `mock` connector of [`post_connector`].
fn mock_sandbox(token_url: &str, extra: &str) -> Sandbox {
    Sandbox::with_connectors(&post_connector(token_url, extra))
}

/// Ad hoc credentials for `mock`: client `mock-client`, [`MARKER`] as the secret.
const MOCK_ENV: [(&str, &str); 1] = [("CREDLINK_CLIENT_SECRET", MARKER)];

const MOCK_ARGS: [&str; 4] = ["--connector", "mock", "--client-id", "mock-client"];

fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(more);
    all
}

/// Links `local-basic` (basic-client / basic-secret) under its default name.
#[track_caller]
fn link_basic(sb: &Sandbox) {
    sb.when(&[
        "link",
        "local-basic",
        "--client-id",
        "basic-client",
        "--client-secret-stdin",
        "--no-input",
    ])
    .stdin(&format!("{BASIC_SECRET}\n"))
    .then()
    .exits(0);
}

/// How many times the peer logged exactly `line`, waiting up to about two seconds for `at_least`.
fn seen(peer: &Peer, line: &str, at_least: usize) -> usize {
    let count = || peer.requests().iter().filter(|l| *l == line).count();
    let mut n = count();
    for _ in 0..20 {
        if n >= at_least {
            break;
        }
        n = count();
    }
    n
}

// ---- explain: API-key connectors ----

/// A connectors file with one API-key connector `keyed` checked by `GET {uri}/me` with a
/// bearer header.
fn api_key_connector(uri: &str) -> String {
    format!(
        r#"
[connectors.keyed]
name = "Mock API key"
auth = "api_key"
hints = {{ http_401 = "KEY-HINT: the key was revoked." }}

[connectors.keyed.verify]
method = "GET"
url = "{uri}/me"
bearer = "{{api_key}}"

[[connectors.keyed.fields]]
id = "api_key"
label = "API key"
secret = true
"#
    )
}

/// The `keyed` connector against a verification endpoint that accepts any key.
async fn api_key_sandbox() -> (MockServer, Sandbox) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&api_key_connector(&server.uri()));
    (server, sb)
}
