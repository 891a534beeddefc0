//! `credlink test --explain` (the step-by-step diagnosis of one account) and `credlink token`,
//! against the oidc-provider peer, wiremock, a local HTTPS server with its own CA, and the real
//! Secret Service. Every diagnosis is read from `--json` and checked for shape: steps in the
//! documented order, at most one failure and nothing after it, the exit code in the object
//! equal to the process's. Hints are compared with the text in `connectors.toml`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
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
    let mut cmd = sb.cmd();
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
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

/// A hint as shown for credentials given ad hoc: the connector filled in, and NAME left to
/// type, with what it is.
fn ad_hoc(hint: &str, connector: &str) -> String {
    let shown = filled(hint, connector, "NAME");
    if hint.contains("<name>") {
        format!(
            "{shown} Replace NAME with the name to link the account under (`credlink list` shows the linked ones)."
        )
    } else {
        shown
    }
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

/// A port on 127.0.0.1 that was just free: nothing listens on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---- connectors ----

/// A connectors file with one OAuth connector `mock` (client_secret_post); `extra` adds
/// top-level keys (hints, permission_check).
fn post_connector(token_url: &str, extra: &str) -> String {
    oauth_connector(token_url, "post", extra, "")
}

/// A sandbox with the `mock` connector of [`post_connector`].
fn mock_sandbox(token_url: &str, extra: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_connectors(&post_connector(token_url, extra));
    sb
}

/// Ad hoc credentials for `mock`: client `mock-client`, [`MARKER`] as the secret.
const MOCK_ENV: [(&str, &str); 1] = [("CREDLINK_CLIENT_SECRET", MARKER)];
const MOCK_ARGS: [&str; 4] = ["--connector", "mock", "--client-id", "mock-client"];

fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(more);
    all
}

/// A sandbox whose connectors file points at the peer (local-basic, local-post).
fn peer_sandbox(peer: &Peer) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
    sb
}

/// Links `local-basic` (basic-client / basic-secret) under its default name.
#[track_caller]
fn link_basic(sb: &Sandbox) {
    let out = sb
        .cmd()
        .args([
            "link",
            "local-basic",
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
            "--no-input",
        ])
        .write_stdin(format!("{BASIC_SECRET}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
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

// ---- explain: every step passing ----

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_stored_account_passes_every_step() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);

    let d = diagnose(&sb, &[], &["local-basic"]);
    d.passed();
    assert_eq!(d.json["name"], "local-basic");
    assert_eq!(d.json["connector"], "local-basic");
    assert_eq!(
        d.names(),
        [
            "keychain",
            "input",
            "dns",
            "connect",
            "tls",
            "http",
            "oauth",
            "permissions"
        ]
    );
    assert_eq!(d.status("keychain"), "ok");
    assert_has(d.detail("keychain"), &sb.service);
    assert_eq!(d.status("input"), "ok");
    assert_has(
        d.detail("input"),
        &format!("Client secret: {} characters", BASIC_SECRET.len()),
    );
    assert_eq!(d.status("dns"), "skipped", "127.0.0.1 needs no lookup");
    assert_eq!(d.status("connect"), "ok");
    assert!(d.step("connect")["duration_ms"].is_u64());
    assert_eq!(d.status("tls"), "skipped", "plain http to loopback");
    assert_eq!(d.status("http"), "ok");
    assert_has(d.detail("http"), "HTTP 200 application/json");
    assert!(d.step("http")["duration_ms"].is_u64());
    assert_eq!(d.status("oauth"), "ok");
    assert_has(
        d.detail("oauth"),
        "token issued, valid 600 s, scope api:read",
    );
    assert_eq!(d.status("permissions"), "skipped", "no permission_check");
    for s in d.steps() {
        assert!(s["hint"].is_null(), "no hint when nothing failed: {s}");
    }
    assert_hidden(&d.out, BASIC_SECRET);

    let page = human(&sb, &[], &["local-basic"], 0);
    assert!(
        page.starts_with("Diagnosing local-basic (Local (basic))\n"),
        "{page}"
    );
    assert!(page.contains("  [ ok ] keychain"), "{page}");
    assert!(page.contains("  [skip] dns"), "{page}");
    assert!(page.contains("  [ ok ] oauth"), "{page}");
    assert!(page.ends_with("Result: every step passed\n"), "{page}");
    // Two diagnoses, two token requests (besides link's); explain stores nothing.
    assert_eq!(seen(&peer, "REQ POST /token 200", 3), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_with_a_space_is_a_warning_not_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-space-1b7", "expires_in": 60})),
        )
        .mount(&server)
        .await;
    let sb = mock_sandbox(&format!("{}/token", server.uri()), "");

    let d = diagnose(&sb, &[("CREDLINK_CLIENT_SECRET", "two words")], &MOCK_ARGS);
    d.passed();
    let warning = d
        .steps()
        .iter()
        .find(|s| s["status"] == "warning")
        .unwrap_or_else(|| panic!("a warning:\n{}", describe(&d.out)));
    assert_eq!(warning["step"], "input");
    assert_has(text(&warning["detail"]), "contains a space");
    assert_eq!(
        warning["hint"],
        ad_hoc(&generic_hint("invisible_characters"), "mock")
    );
    assert_eq!(d.status("oauth"), "ok");
    assert_hidden(&d.out, "two words");
    assert_hidden(&d.out, "tok-space-1b7");
}

// ---- explain: the failing step ----

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn an_oauth_rejection_fails_at_the_oauth_step_with_the_connectors_hint() {
    let Some(peer) = Peer::start() else { return };
    let sb = peer_sandbox(&peer);
    let env = [("CREDLINK_CLIENT_SECRET", MARKER)];
    let args = ["--connector", "local-basic", "--client-id", "basic-client"];

    let d = diagnose(&sb, &env, &args);
    let step = d.failed_at("oauth", 3);
    assert_eq!(d.json["name"], "local-basic");
    assert_eq!(
        d.names(),
        ["input", "dns", "connect", "tls", "http", "oauth"],
        "ad hoc credentials have no keychain step"
    );
    assert_eq!(d.status("input"), "ok");
    assert_eq!(d.status("dns"), "skipped");
    assert_eq!(d.status("connect"), "ok");
    assert_eq!(d.status("tls"), "skipped");
    assert_eq!(d.status("http"), "ok", "a 401 is an answer");
    assert_has(d.detail("http"), "HTTP 401");
    assert_has(text(&step["detail"]), "HTTP 401 invalid_client");
    assert_has(text(&step["hint"]), "LOCAL-HINT");

    let page = human(&sb, &env, &args, 3);
    assert_human_failure(&page, "oauth", 3, "LOCAL-HINT");
    assert_eq!(seen(&peer, "REQ POST /token 401", 2), 2);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_stored_account_without_its_secret_fails_at_the_keychain_step() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);
    sb.clear_secret("local-basic");

    let d = diagnose(&sb, &[], &["local-basic"]);
    let step = d.failed_at("keychain", 6);
    assert_eq!(d.names(), ["keychain"]);
    assert_has(text(&step["detail"]), "no secret");
    let hint = filled(
        &generic_hint("secret_missing"),
        "local-basic",
        "local-basic",
    );
    assert_eq!(step["hint"], hint);

    let page = human(&sb, &[], &["local-basic"], 6);
    assert_human_failure(&page, "keychain", 6, &hint);
    assert_eq!(seen(&peer, "REQ POST /token 200", 1), 1, "only link's");
}

/// `test` trims a stored value as `link` does; `--explain` takes the same path and shows the
/// trimming as a warning, so the two agree.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_stored_secret_with_a_trailing_line_break_is_trimmed_with_a_warning_as_test_does() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);
    sb.store_secret("local-basic", "basic-secret\n");
    assert_eq!(
        sb.keychain_secret("local-basic").as_deref(),
        Some("basic-secret\n"),
        "set-up: the keychain holds the line break"
    );

    let d = diagnose(&sb, &[], &["local-basic"]);
    assert_eq!(d.json["exit_code"], 0, "{}", d.json);
    let warning = d.steps().iter().find(|s| s["status"] == "warning").cloned();
    let warning = warning.unwrap_or_else(|| panic!("a warning step: {}", d.json));
    assert_eq!(warning["step"], "input");
    assert_eq!(
        warning["detail"],
        "removed whitespace around the Client secret"
    );
    let out = run(&sb, &[], &["test", "local-basic"]);
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "removed whitespace around the Client secret");
    assert_hidden(&d.out, BASIC_SECRET);
}

#[test]
fn ad_hoc_values_with_invisible_characters_or_the_wrong_shape_fail_at_the_input_step() {
    // Nothing reaches the network: the token URL has nothing listening.
    let sb = mock_sandbox(&format!("http://127.0.0.1:{}/token", closed_port()), "");
    let invisible = ad_hoc(&generic_hint("invisible_characters"), "mock");
    for (client_id, problem) in [
        (
            "basic\u{a0}client",
            "contains a non-breaking space at character 6",
        ),
        (
            "basic\u{200b}-client",
            "contains a zero-width character at character 6",
        ),
    ] {
        let args = ["--connector", "mock", "--client-id", client_id];
        let d = diagnose(&sb, &MOCK_ENV, &args);
        let step = d.failed_at("input", 2);
        assert_eq!(d.names(), ["input"]);
        assert_eq!(step["detail"], format!("the Client ID {problem}"));
        assert_eq!(step["hint"], invisible);
    }
    let page = human(
        &sb,
        &MOCK_ENV,
        &["--connector", "mock", "--client-id", "basic\u{a0}client"],
        2,
    );
    assert_human_failure(&page, "input", 2, &invisible);

    // Built-in connectors: a Personio client ID starts with papi-.
    let plain = Sandbox::new();
    let d = diagnose(
        &plain,
        &MOCK_ENV,
        &["--connector", "personio", "--client-id", "abc"],
    );
    let step = d.failed_at("input", 2);
    assert_eq!(d.json["name"], "personio");
    assert_eq!(d.json["connector"], "personio");
    assert_has(text(&step["detail"]), "papi");
    assert!(step["hint"].is_string(), "{step}");

    // A Traffit sign-in address pasted as the subdomain: `test` takes the subdomain out of it,
    // and so does the diagnosis, as a warning with the value it used; both then fail or pass
    // alike (here at DNS: nothing resolves in the sandbox, or at the provider with a made-up
    // client).
    let args = [
        "--connector",
        "traffit",
        "--subdomain",
        "https://acme.traffit.com/settings",
        "--client-id",
        "acme_credlink",
        "--timeout",
        "5",
    ];
    let d = diagnose(&plain, &MOCK_ENV, &args);
    let warning = d.steps().iter().find(|s| s["status"] == "warning").cloned();
    let warning = warning.unwrap_or_else(|| panic!("a warning step: {}", d.json));
    assert_eq!(warning["step"], "input");
    assert_eq!(
        warning["detail"],
        "took the Traffit subdomain `acme` from the URL given"
    );
    let mut plain_args = vec!["test", "--json"];
    plain_args.extend_from_slice(&args);
    let out = run(&plain, &MOCK_ENV, &plain_args);
    assert_eq!(
        out.status.code(),
        d.json["exit_code"].as_i64().map(|c| c as i32),
        "test and --explain agree: {}",
        describe(&out)
    );
}

/// A fixed host that does not resolve is the network's problem (`offline` hint), not the
/// account's; a host built from a subdomain whose provider domain does not resolve either is
/// too. (The sandbox resolves nothing, so the "wrong subdomain" case, where the provider's own
/// domain resolves, is covered by the unit tests of the classification.)
#[test]
fn an_unresolvable_host_fails_at_the_dns_step_and_says_whether_the_network_is_to_blame() {
    // RFC 6761: .invalid names never resolve.
    let sb = Sandbox::new();
    sb.write_connectors(
        &[
            post_connector(
                "https://nowhere.invalid/token",
                r#"hints = { offline = "NOWHERE-OFFLINE-HINT: check the network." }"#,
            ),
            post_connector("https://nowhere.invalid/token", "").replace("mock", "plain"),
        ]
        .concat(),
    );

    let d = diagnose(&sb, &MOCK_ENV, &with(&MOCK_ARGS, &["--timeout", "5"]));
    let step = d.failed_at("dns", 4);
    assert_eq!(d.names(), ["input", "dns"]);
    assert_has(
        text(&step["detail"]),
        "`nowhere.invalid` does not resolve: this machine has no network",
    );
    assert_eq!(step["hint"], "NOWHERE-OFFLINE-HINT: check the network.");

    let d = diagnose(
        &sb,
        &MOCK_ENV,
        &["--connector", "plain", "--client-id", "c", "--timeout", "5"],
    );
    let step = d.failed_at("dns", 4);
    assert_eq!(step["hint"], generic_hint("offline"), "the generic hint");

    let page = human(&sb, &MOCK_ENV, &with(&MOCK_ARGS, &["--timeout", "5"]), 4);
    assert_human_failure(&page, "dns", 4, "NOWHERE-OFFLINE-HINT");

    // A subdomain of a provider domain that does not resolve either: the network again.
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        "https://{subdomain}.nowhere.invalid/token",
        "post",
        "",
        "[[connectors.mock.fields]]\nid = \"subdomain\"\nlabel = \"Sub\"\npattern = \"^[a-z]+$\"\n",
    ));
    let args = [
        "--connector",
        "mock",
        "--subdomain",
        "acme",
        "--client-id",
        "c",
        "--timeout",
        "5",
    ];
    let d = diagnose(&sb, &MOCK_ENV, &args);
    let step = d.failed_at("dns", 4);
    assert_has(text(&step["detail"]), "nor `nowhere.invalid` resolves");
}

#[test]
fn a_port_with_nothing_listening_fails_at_the_connect_step() {
    let port = closed_port();
    let sb = mock_sandbox(&format!("http://127.0.0.1:{port}/token"), "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("connect", 4);
    assert_eq!(d.names(), ["input", "dns", "connect"]);
    let detail = text(&step["detail"]);
    assert_has(detail, &format!("127.0.0.1:{port}"));
    assert_has(detail, "Connection refused");
    assert_eq!(step["hint"], generic_hint("connect"));

    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 4);
    assert_human_failure(&page, "connect", 4, &generic_hint("connect"));
}

#[test]
fn a_proxy_is_its_own_step_without_its_credentials_and_no_proxy_bypasses_it() {
    let port = closed_port();
    let sb = mock_sandbox("https://nowhere.invalid/token", "");
    let proxy = format!("http://proxy-user:proxy-pass-9e1@127.0.0.1:{port}");
    let env = [
        ("CREDLINK_CLIENT_SECRET", MARKER),
        ("HTTPS_PROXY", proxy.as_str()),
    ];

    let d = diagnose(&sb, &env, &MOCK_ARGS);
    let step = d.failed_at("connect", 4);
    assert_eq!(d.names(), ["input", "proxy", "dns", "connect"]);
    let shown = d.detail("proxy");
    assert_has(shown, "nowhere.invalid");
    assert_has(shown, &format!("127.0.0.1:{port}"));
    assert_eq!(d.status("dns"), "skipped", "the proxy is an IP address");
    assert_has(text(&step["detail"]), &format!("127.0.0.1:{port}"));
    assert_hidden(&d.out, "proxy-pass-9e1");
    assert_hidden(&d.out, "proxy-user");

    let env = [
        ("CREDLINK_CLIENT_SECRET", MARKER),
        ("HTTPS_PROXY", proxy.as_str()),
        ("NO_PROXY", "localhost,.invalid"),
    ];
    let d = diagnose(&sb, &env, &with(&MOCK_ARGS, &["--timeout", "5"]));
    d.failed_at("dns", 4);
    assert_eq!(d.names(), ["input", "dns"], "NO_PROXY: no proxy step");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_html_page_fails_at_the_http_step() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            "<!DOCTYPE html><html><head><title>Internal Server Error</title></head></html>",
            "text/html; charset=utf-8",
        ))
        .expect(2)
        .mount(&server)
        .await;
    let sb = mock_sandbox(&format!("{}/token", server.uri()), "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("http", 4);
    assert_eq!(d.names(), ["input", "dns", "connect", "tls", "http"]);
    let detail = text(&step["detail"]);
    assert_has(detail, "HTTP 500 text/html");
    assert_has(detail, "Internal Server Error");
    assert_eq!(step["hint"], generic_hint("http_5xx"));

    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 4);
    assert_human_failure(&page, "http", 4, &generic_hint("http_5xx"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_fails_at_the_http_step_and_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let sb = mock_sandbox(&format!("{}/token", server.uri()), "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("http", 4);
    let detail = text(&step["detail"]);
    assert_has(detail, "HTTP 302");
    assert_has(detail, "redirect");
    assert_has(detail, "/elsewhere");
    assert_eq!(step["hint"], generic_hint("redirect"));

    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 4);
    assert_human_failure(&page, "http", 4, &generic_hint("redirect"));
}

const PERM_TOKEN: &str = "tok-perm-4a8c2e";
const PERM_HINT: &str = "PERM-HINT: grant Read access for Employees.";

/// A `mock` connector on `server` with a permission check on `/v2/persons?limit=1`, and the
/// token endpoint answering [`PERM_TOKEN`].
async fn permission_sandbox(server: &MockServer) -> Sandbox {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": PERM_TOKEN, "expires_in": 3600})),
        )
        .mount(server)
        .await;
    mock_sandbox(
        &format!("{}/token", server.uri()),
        &format!(
            "permission_check = {{ url = \"{}/v2/persons?limit=1\" }}\nhints = {{ permission_denied = \"{PERM_HINT}\" }}",
            server.uri()
        ),
    )
}

fn persons_call() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/v2/persons"))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {PERM_TOKEN}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_the_permission_check_fails_with_the_permission_hint() {
    let server = MockServer::start().await;
    let sb = permission_sandbox(&server).await;
    persons_call()
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "errors": [{"title": "Insufficient access scope", "detail": "persons:read"}]
        })))
        .expect(2)
        .mount(&server)
        .await;

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("permissions", 3);
    assert_eq!(
        d.names(),
        [
            "input",
            "dns",
            "connect",
            "tls",
            "http",
            "oauth",
            "permissions"
        ]
    );
    assert_eq!(d.status("oauth"), "ok");
    let detail = text(&step["detail"]);
    assert_has(detail, "/v2/persons?limit=1");
    assert_has(detail, "HTTP 403");
    assert_has(detail, "Insufficient access scope");
    assert_eq!(step["hint"], PERM_HINT);
    assert_hidden(&d.out, PERM_TOKEN);

    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 3);
    assert_human_failure(&page, "permissions", 3, PERM_HINT);
    // The bearer header matcher above proves the token was sent; and nothing else was asked.
    let calls = server.received_requests().await.unwrap();
    let persons: Vec<_> = calls
        .iter()
        .filter(|r| r.url.path() == "/v2/persons")
        .collect();
    assert_eq!(persons.len(), 2);
    for r in persons {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            &format!("Bearer {PERM_TOKEN}")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_permission_check_is_ok() {
    let server = MockServer::start().await;
    let sb = permission_sandbox(&server).await;
    persons_call()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(1)
        .mount(&server)
        .await;

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    d.passed();
    assert_eq!(d.status("permissions"), "ok");
    assert_has(d.detail("permissions"), "HTTP 200");
    assert!(d.step("permissions")["duration_ms"].is_u64());
    assert_hidden(&d.out, PERM_TOKEN);
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
    let sb = Sandbox::new();
    sb.write_connectors(&api_key_connector(&server.uri()));
    (server, sb)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_connectors_run_the_verify_step() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("authorization", "Bearer good-key-77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "bad key"})))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&api_key_connector(&server.uri()));
    let args = ["--connector", "keyed"];

    let d = diagnose(&sb, &[("CREDLINK_API_KEY", "good-key-77")], &args);
    d.passed();
    assert_eq!(d.status("verify"), "ok");
    assert_has(d.detail("verify"), "accepted the key");
    assert!(!d.names().contains(&"oauth"), "{:?}", d.names());
    assert_has(d.detail("input"), "API key: 11 characters");
    assert_hidden(&d.out, "good-key-77");

    let d = diagnose(&sb, &[("CREDLINK_API_KEY", MARKER)], &args);
    let step = d.failed_at("verify", 3);
    assert_has(text(&step["detail"]), "HTTP 401");
    assert_eq!(step["hint"], "KEY-HINT: the key was revoked.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_connectors_report_the_permissions_step_as_skipped() {
    let (_server, sb) = api_key_sandbox().await;

    let d = diagnose(
        &sb,
        &[("CREDLINK_API_KEY", "good-key-77")],
        &["--connector", "keyed"],
    );
    d.passed();
    assert_eq!(d.status("permissions"), "skipped");
}

// ---- explain: TLS against a local HTTPS server ----

/// A Python HTTPS server on an ephemeral loopback port (printed on stdout) that answers every
/// POST with a token. argv: certificate chain, key.
const TLS_SERVER: &str = r#"
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b'{"access_token":"tls-token-5c2e","expires_in":60}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.handle_error = lambda request, address: None
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

struct TlsServer {
    child: Child,
    port: u16,
}

impl TlsServer {
    fn start(cert: &Path, key: &Path) -> Self {
        let mut child = StdCommand::new("python3")
            .arg("-c")
            .arg(TLS_SERVER)
            .arg(cert)
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the TLS server printed {line:?}"));
        Self { child, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Some(())` when openssl and python3 can run.
fn tls_tools() -> Option<()> {
    for (tool, arg) in [("openssl", "version"), ("python3", "--version")] {
        let ok = StdCommand::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return skip_or_fail(tool);
        }
    }
    Some(())
}

/// `openssl ARGS` in `dir`, the arguments split at spaces.
#[track_caller]
fn openssl(dir: &Path, args: &str) {
    let out = StdCommand::new("openssl")
        .args(args.split(' '))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}:\n{}",
        describe(&out)
    );
}

/// A private CA (`ca.pem`) and a server certificate it signed for 127.0.0.1 and localhost
/// (`leaf.pem`, `leaf.key`), as a corporate TLS-inspecting proxy would present.
fn private_ca(dir: &Path) {
    openssl(
        dir,
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=credlink-test-CA",
    );
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=localhost",
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext",
    );
}

/// A TLS token endpoint with the certificate and key named (files in the sandbox's directory),
/// as the `mock` connector of the sandbox; `extra` as for [`post_connector`].
fn serve_tls(sb: &Sandbox, cert: &str, key: &str, extra: &str) -> TlsServer {
    let dir = sb.dir.path();
    let server = TlsServer::start(&dir.join(cert), &dir.join(key));
    sb.write_connectors(&post_connector(
        &format!("https://127.0.0.1:{}/token", server.port),
        extra,
    ));
    server
}

#[test]
fn an_untrusted_certificate_fails_at_the_tls_step_and_ca_file_fixes_it() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    private_ca(dir);
    let _server = serve_tls(&sb, "leaf.pem", "leaf.key", "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("tls", 4);
    assert_eq!(d.names(), ["input", "dns", "connect", "tls"]);
    assert_eq!(d.status("connect"), "ok", "TCP works, TLS does not");
    assert_has(
        text(&step["detail"]),
        "the server's certificate is not signed by an authority this machine trusts",
    );
    assert_has(text(&step["detail"]), "--ca-file");
    assert_eq!(step["hint"], generic_hint("tls"));
    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 4);
    assert_human_failure(&page, "tls", 4, &generic_hint("tls"));

    let ca = dir.join("ca.pem");
    let d = diagnose(
        &sb,
        &MOCK_ENV,
        &with(&MOCK_ARGS, &["--ca-file", ca.to_str().unwrap()]),
    );
    d.passed();
    assert_eq!(d.status("tls"), "ok");
    assert_has(d.detail("tls"), "certificate trusted");
    assert_eq!(d.status("http"), "ok");
    assert_eq!(d.status("oauth"), "ok");
    assert_has(d.detail("oauth"), "valid 60 s");
    assert_hidden(&d.out, "tls-token-5c2e");
}

#[test]
fn a_self_signed_certificate_is_named_in_plain_words() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    openssl(
        dir,
        "req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1",
    );
    let _server = serve_tls(&sb, "cert.pem", "key.pem", "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("tls", 4);
    assert_has(text(&step["detail"]), "self-signed");
}

#[test]
fn an_expired_certificate_is_named_even_from_a_trusted_ca() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    private_ca(dir);
    // `openssl ca` is the one that takes validity dates in the past.
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n\
         default_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
    )
    .unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    openssl(
        dir,
        "ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in leaf.csr -out expired.pem -startdate 20200101000000Z -enddate 20200102000000Z -extfile leaf.ext",
    );
    let _server = serve_tls(&sb, "expired.pem", "leaf.key", "");
    let ca = dir.join("ca.pem");

    let d = diagnose(
        &sb,
        &MOCK_ENV,
        &with(&MOCK_ARGS, &["--ca-file", ca.to_str().unwrap()]),
    );
    let step = d.failed_at("tls", 4);
    assert_has(
        text(&step["detail"]),
        "the server's certificate has expired",
    );
}

#[test]
fn a_connectors_own_tls_hint_is_shown_at_the_tls_step() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    private_ca(sb.dir.path());
    let _server = serve_tls(
        &sb,
        "leaf.pem",
        "leaf.key",
        r#"hints = { tls = "CONN-TLS-HINT: no www." }"#,
    );

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("tls", 4);
    assert_eq!(step["hint"], "CONN-TLS-HINT: no www.");
}

// ---- explain: usage and secrecy ----

#[test]
fn explain_takes_exactly_one_account() {
    let sb = Sandbox::new();
    for args in [
        vec!["a", "b"],
        vec!["--all"],
        vec![],
        vec!["a", "--client-id", "x"],
    ] {
        let out = explain(&sb, &[], &args);
        assert_exit(&out, 2);
        assert!(out.stdout.is_empty(), "{args:?}: {}", describe(&out));
    }
    let out = explain(&sb, &[], &["a", "b"]);
    assert_has(&stderr(&out), "--explain diagnoses one account");
    let out = explain(&sb, &[], &["nope"]);
    assert_exit(&out, 6);
    assert_has(&stderr(&out), "no linked account named `nope`");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn explain_output_never_shows_the_secret_and_masks_the_client_id() {
    let Some(peer) = Peer::start() else { return };
    let sb = peer_sandbox(&peer);
    let env = [("CREDLINK_CLIENT_SECRET", MARKER)];
    let args = [
        "-v",
        "--connector",
        "local-basic",
        "--client-id",
        "basic-client",
    ];
    let leaks = [
        MARKER.to_owned(),
        BASE64.encode(MARKER),
        BASE64.encode(format!("basic-client:{MARKER}")),
    ];

    let d = diagnose(&sb, &env, &args);
    d.failed_at("oauth", 3);
    for leak in &leaks {
        assert_hidden(&d.out, leak);
    }
    let input = d.detail("input");
    assert_has(input, "Client ID basic-…ient");
    assert!(!input.contains("basic-client"), "{input}");
    assert_has(
        input,
        &format!("Client secret: {} characters", MARKER.len()),
    );
    let trace = stderr(&d.out);
    assert_has(&trace, "* > POST ");
    assert_has(&trace, "(redacted)");

    let out = explain(&sb, &env, &args);
    assert_exit(&out, 3);
    for leak in &leaks {
        assert_hidden(&out, leak);
    }
    assert_has(&stdout(&out), "basic-…ient");
}

// ---- credlink token ----

/// `credlink token ARGS`: checks that stdout is exactly one token and a line break, and
/// returns the token.
#[track_caller]
fn token(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["token"];
    all.extend_from_slice(args);
    let out = run(sb, &[], &all);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let token = text
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("a line: {text:?}"));
    assert!(
        !token.is_empty()
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "stdout is only the token and a line break: {text:?}"
    );
    token.to_owned()
}

/// `credlink token --json ARGS`, parsed.
#[track_caller]
fn token_json(sb: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["token", "--json"];
    all.extend_from_slice(args);
    let out = run(sb, &[], &all);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", describe(&out)))
}

/// The cached token credlink keeps under `SERVICE:token`, read with `secret-tool`.
fn cached_token(sb: &Sandbox, account: &str) -> Option<Value> {
    let out = StdCommand::new("secret-tool")
        .args([
            "lookup",
            "service",
            &format!("{}:token", sb.service),
            "username",
            account,
        ])
        .output()
        .expect("secret-tool runs");
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

fn clear_cached_token(sb: &Sandbox, account: &str) {
    let status = StdCommand::new("secret-tool")
        .args([
            "clear",
            "service",
            &format!("{}:token", sb.service),
            "username",
            account,
        ])
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn token_prints_only_the_token_and_reuses_the_cached_one() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);
    let ok = "REQ POST /token 200";
    assert_eq!(seen(&peer, ok, 1), 1);

    let first = token(&sb, &["local-basic"]);
    let second = token(&sb, &["local-basic"]);
    assert_eq!(first, second, "the cached token");
    assert_eq!(
        cached_token(&sb, "local-basic").unwrap()["access_token"],
        first.as_str(),
        "link's token, from the keychain"
    );
    assert_eq!(seen(&peer, ok, 1), 1, "no token request for a cached token");

    let j = token_json(&sb, &["local-basic"]);
    assert_eq!(
        keys(&j),
        [
            "access_token",
            "cached",
            "expires_at",
            "expires_in",
            "name",
            "token_type"
        ]
    );
    assert_eq!(j["name"], "local-basic");
    assert_eq!(j["access_token"], first.as_str());
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["cached"], true);
    let expires_in = j["expires_in"].as_u64().unwrap();
    assert!((500..=600).contains(&expires_in), "{j}");
    let expires_at = humantime::parse_rfc3339(text(&j["expires_at"])).unwrap();
    let left = expires_at
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!(left.abs_diff(expires_in) <= 5, "{j}");

    let fresh = token(&sb, &["local-basic", "--fresh"]);
    assert_ne!(fresh, first, "--fresh asks the provider");
    assert_eq!(seen(&peer, ok, 2), 2);
    assert_eq!(
        token(&sb, &["local-basic"]),
        fresh,
        "the fresh token replaced the cached one"
    );

    let j = token_json(&sb, &["local-basic", "--fresh"]);
    assert_eq!(j["cached"], false);
    assert!(j["expires_in"].as_u64().unwrap() >= 598, "{j}");
    assert_ne!(j["access_token"], fresh.as_str());
    assert_eq!(seen(&peer, ok, 3), 3);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_min_ttl_longer_than_the_tokens_lifetime_forces_a_new_token() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);
    let ok = "REQ POST /token 200";

    let cached = token(&sb, &["local-basic", "--min-ttl", "500"]);
    assert_eq!(seen(&peer, ok, 1), 1, "600 s left > 500: cached");
    let first = token(&sb, &["local-basic", "--min-ttl", "700"]);
    assert_ne!(first, cached);
    assert_eq!(seen(&peer, ok, 2), 2);
    let second = token(&sb, &["local-basic", "--min-ttl", "700"]);
    assert_ne!(second, first, "a 600 s token never lasts 700 s");
    assert_eq!(seen(&peer, ok, 3), 3);
    assert_eq!(token(&sb, &["local-basic"]), second);
    assert_eq!(seen(&peer, ok, 3), 3);
}

#[test]
fn token_for_an_unknown_account_is_not_found() {
    let sb = Sandbox::new();
    let out = run(&sb, &[], &["token", "nope"]);
    assert_exit(&out, 6);
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert_has(&stderr(&out), "no linked account named `nope`");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_for_an_api_key_account_is_a_usage_error() {
    let Some(()) = keyring() else { return };
    let (_server, sb) = api_key_sandbox().await;
    let out = sb
        .cmd()
        .args(["link", "keyed", "--api-key-stdin", "--no-input"])
        .write_stdin(format!("{MARKER}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);

    let out = run(&sb, &[], &["token", "keyed"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert_has(&stderr(&out), "API key");
    assert_hidden(&out, MARKER);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
/// `token` agrees with `test`: an account whose secret is gone is not usable, even with a
/// token still cached (exit 6, nothing on stdout).
#[test]
fn token_without_a_secret_fails_like_test_even_with_a_cached_token() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);
    let _cached = token(&sb, &["local-basic"]);
    sb.clear_secret("local-basic");

    let hint = filled(
        &generic_hint("secret_missing"),
        "local-basic",
        "local-basic",
    );
    for args in [
        &["token", "local-basic"][..],
        &["token", "local-basic", "--fresh"],
    ] {
        let out = run(&sb, &[], args);
        assert_exit(&out, 6);
        assert!(out.stdout.is_empty(), "{}", describe(&out));
        assert_has(&stderr(&out), &hint);
    }
    assert_exit(&run(&sb, &[], &["test", "local-basic"]), 6);

    // A secret the provider rejects: its words on stderr, nothing on stdout, exit 3.
    clear_cached_token(&sb, "local-basic");
    sb.store_secret("local-basic", MARKER);
    let out = run(&sb, &[], &["token", "local-basic"]);
    assert_exit(&out, 3);
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert_has(&stderr(&out), "did not issue a token");
    assert_has(&stderr(&out), "LOCAL-HINT");
    assert_hidden(&out, MARKER);
    assert!(cached_token(&sb, "local-basic").is_none(), "nothing cached");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn token_verbose_traces_the_request_redacted_and_prints_only_the_token() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer_sandbox(&peer);
    link_basic(&sb);

    let out = run(&sb, &[], &["token", "local-basic", "--fresh", "-v"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let token = text.strip_suffix('\n').unwrap();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{text:?}"
    );
    let trace = stderr(&out);
    assert_has(&trace, &format!("* > POST {}/token", peer.url));
    assert_has(&trace, "* > authorization: (redacted)");
    assert_has(&trace, "* < HTTP 200");
    assert_has(&trace, "\"access_token\":\"(redacted)\"");
    assert!(!trace.contains(token), "the token in the trace:\n{trace}");
    for leak in [
        BASIC_SECRET.to_owned(),
        BASE64.encode(format!("basic-client:{BASIC_SECRET}")),
    ] {
        assert!(!trace.contains(&leak), "{leak} in the trace:\n{trace}");
    }
    assert_eq!(
        cached_token(&sb, "local-basic").unwrap()["access_token"],
        token
    );

    // A cached token: no request, so no trace, and still only the token on stdout.
    let out = run(&sb, &[], &["token", "local-basic", "-v"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), text);
    assert!(!stderr(&out).contains(token), "{}", describe(&out));
}

#[test]
fn an_unreachable_keychain_fails_at_the_keychain_step() {
    // The index names the account; the keychain is on a D-Bus address where nothing listens.
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(
        sb.index_path(),
        json!({"version": 1, "accounts": [{
            "name": "acme-hr",
            "connector": "personio",
            "auth": "oauth2_client_credentials",
            "fields": {"client_id": "papi-0f3c9a7e-1b2d"},
            "linked_at": "2025-01-01T00:00:00Z"
        }]})
        .to_string(),
    )
    .unwrap();
    let env = [(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/credlink-bus",
    )];

    let d = diagnose(&sb, &env, &["acme-hr"]);
    let step = d.failed_at("keychain", 5);
    assert_eq!(d.json["name"], "acme-hr");
    assert_eq!(d.json["connector"], "personio");
    assert_eq!(d.names(), ["keychain"]);
    assert_has(text(&step["detail"]), "no OS keychain reachable");
    assert_has(text(&step["hint"]), "dbus-run-session");

    let page = human(&sb, &env, &["acme-hr"], 5);
    assert_human_failure(&page, "keychain", 5, "start a Secret Service");

    let out = run(&sb, &env, &["token", "acme-hr"]);
    assert_exit(&out, 5);
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert_has(&stderr(&out), "no OS keychain reachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_answer_without_an_access_token_fails_at_the_oauth_step() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer"})))
        .mount(&server)
        .await;
    let sb = mock_sandbox(&format!("{}/token", server.uri()), "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    assert_eq!(
        d.status("http"),
        "ok",
        "HTTP 200 with JSON is a good answer"
    );
    let step = d.failed_at("oauth", 4);
    assert_has(text(&step["detail"]), "no access_token");
    assert_eq!(step["hint"], generic_hint("no_access_token"));
}

#[test]
fn a_secret_pasted_as_the_client_id_is_not_shown_in_full() {
    let sb = Sandbox::new();
    let d = diagnose(
        &sb,
        &[("CREDLINK_CLIENT_SECRET", "x")],
        &["--connector", "personio", "--client-id", MARKER],
    );
    d.failed_at("input", 2);
}
