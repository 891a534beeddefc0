//! `test --explain`: every step passing, each failing step with its hint, usage and secrecy.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

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

// ---- explain: every step passing ----

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_stored_account_passes_every_step() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
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
    let sb = peer.sandbox();
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
    let sb = peer.sandbox();
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
    let sb = peer.sandbox();
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
    let sb = mock_sandbox(&format!("http://127.0.0.1:{}/token", free_port()), "");
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

    // Built-in connectors: a SpotDraft region is one of four (it picks the API host).
    let plain = Sandbox::new();
    let d = diagnose(
        &plain,
        &MOCK_ENV,
        &[
            "--connector",
            "spotdraft",
            "--client-id",
            "abc",
            "--field",
            "region=mars",
        ],
    );
    let step = d.failed_at("input", 2);
    assert_eq!(d.json["name"], "spotdraft");
    assert_eq!(d.json["connector"], "spotdraft");
    assert_has(text(&step["detail"]), "in|us|eu|me");
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
    let sb = Sandbox::with_connectors(&oauth_connector(
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
    let port = free_port();
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
    let port = free_port();
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
    let sb = peer.sandbox();
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
