//! `credlink token`: only the token on stdout, the cached one reused, failures as `test` has
//! them.

use std::process::Command as StdCommand;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

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
    let sb = peer.sandbox();
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
    let sb = peer.sandbox();
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
    sb.when(&["link", "keyed", "--api-key-stdin", "--no-input"])
        .stdin(&format!("{MARKER}\n"))
        .then()
        .exits(0);

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
    let sb = peer.sandbox();
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
    let sb = peer.sandbox();
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

/// A secret pasted as Personio's client ID: the warning about its shape masks it, and
/// Personio's answer decides (here a rejection); the whole value is shown nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_pasted_as_the_client_id_is_not_shown_in_full() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "unauthorized_client"})),
        )
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&entry_on("personio", &server.uri()));
    let d = diagnose(
        &sb,
        &[("CREDLINK_CLIENT_SECRET", "x")],
        &["--connector", "personio", "--client-id", MARKER],
    );
    d.failed_at("oauth", 3);
    let warning = d
        .steps()
        .iter()
        .find(|s| s["step"] == "input" && s["status"] == "warning")
        .unwrap_or_else(|| panic!("{}", d.json));
    assert_has(
        text(&warning["detail"]),
        "`MARKER…3a9c` does not look like papi-",
    );
}
