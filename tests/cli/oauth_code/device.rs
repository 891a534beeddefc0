//! The device sign-in (RFC 8628): approved or denied in the browser, expired, polling and
//! `slow_down`, hostile device answers.

use std::process::{Output, Stdio};

use serde_json::Value;

use super::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_device_code_approved_in_the_browser_links_and_the_account_refreshes() {
    let Some((peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::device(&sb, "device-client", &["-v"]);
    let (uri, user_code) = linking.device_code();
    assert_eq!(uri, format!("{}/device", peer.url));
    let complete = linking.line_after("Or open this address, which carries the code:");
    assert_eq!(param(&complete, "user_code"), user_code);
    rt.block_on(browser.approve_device(&uri, &user_code, true));
    rt.block_on(browser.close());
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(
        &stdout(&out),
        "Linked acct (Local (local-device)): HTTP 200",
    );
    let secret = stored(&sb);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    let first = text(&secret["refresh_token"]).to_owned();
    assert_eq!(sb.index()["accounts"][0]["auth"], "oauth2_device_code");
    assert!(
        peer.requests()
            .iter()
            .any(|r| r.starts_with("REQ POST /device/auth 200")),
        "{:?}",
        peer.requests()
    );
    assert_kept_secret(&sb, &[&out], &[&first, CLIENT_SECRET]);

    // The account is one of the refresh-token kind's: test rotates, token, revoke.
    let tested = sb.when(&["test", "acct"]).then().exits(0).out;
    let second = text(&stored(&sb)["refresh_token"]).to_owned();
    assert_ne!(second, first);
    let token = sb.when(&["token", "acct", "--fresh"]).then().exits(0).out;
    let access = stdout(&token).trim().to_owned();
    assert!(!access.is_empty());
    assert_kept_secret(
        &sb,
        &[&out, &tested],
        &[&first, &second, &access, CLIENT_SECRET],
    );
    sb.when(&["revoke", "acct", "--yes"]).then().exits(0);
    assert_nothing_saved(&sb);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_device_code_denied_in_the_browser_exits_3_and_saves_nothing() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::device(&sb, "device-client", &[]);
    let (uri, user_code) = linking.device_code();
    rt.block_on(browser.approve_device(&uri, &user_code, false));
    rt.block_on(browser.close());
    let out = linking.finish();
    assert_exit(&out, 3);
    assert_has(
        &stderr(&out),
        "Local (local-device) did not grant access (access_denied",
    );
    assert_has(&stderr(&out), "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn an_expired_device_code_or_the_end_of_the_wait_stops_the_sign_in() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let sb = Sandbox::with_connectors(&connectors(&peer));
    // The peer's device codes for this client live 3 s; the first poll comes after 5 s.
    let mut linking = Linking::device(&sb, "expiring-device-client", &[]);
    let _ = linking.device_code();
    let out = linking.finish();
    assert_exit(&out, 3);
    assert_has(
        &stderr(&out),
        "Local (local-device) let the code expire before the sign-in finished (expired_token",
    );
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[CLIENT_SECRET]);

    // --wait ends it before the code expires: exit 4, nothing saved.
    let mut linking = Linking::device(&sb, "device-client", &["--wait", "2"]);
    let _ = linking.device_code();
    let out = linking.finish();
    assert_exit(&out, 4);
    assert_has(&stderr(&out), "the sign-in did not finish within 2 s");
    assert_nothing_saved(&sb);

    // A device sign-in has no redirect: --redirect-port is bad input.
    let out = Linking::device(&sb, "device-client", &["--redirect-port", "8080"]).finish();
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "--redirect-port is for connectors");
    assert_nothing_saved(&sb);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, node): run scripts/test"
)]
#[test]
fn device_polling_opens_the_browser_keeps_the_interval_and_slows_down_when_asked() {
    let (Some(stub), Some(())) = (Peer::start_stub(&["device"]), keyring()) else {
        return;
    };
    let sb = Sandbox::with_connectors(&stub_device_connectors(&stub.url));
    // Without --no-browser: a stand-in `xdg-open` notes what it was asked to open.
    let opener = Opener::new();
    let mut cmd = sb.std_cmd();
    cmd.args([
        "link",
        "stub-device",
        "--name",
        "acct",
        "--client-id",
        "c",
        "-v",
    ])
    .env("PATH", opener.path())
    .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET);
    let mut linking = Linking::spawn(cmd);
    let (uri, code) = linking.device_code();
    assert_eq!(uri, format!("{}/device", stub.url));
    assert_eq!(code, "WDJB-MJHT");
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (Stub device)");
    // The stub gives no verification_uri_complete: the browser opens the plain address.
    assert_eq!(opener.target(), format!("{}/device", stub.url));
    // The device code (the stub's start with `dc-`) is a credential: not even in the -v trace.
    assert_has(&stderr(&out), "/device/auth");
    assert_lacks(&stderr(&out), "dc-", "stderr");
    // pending after 1 s, slow_down after 2 s, then every 1 + 5 s; the 500 after slow_down is
    // a blip: polling goes on and the next poll gets the tokens.
    let polls: Vec<u64> = serde_json::from_value(stub.call("GET", "/stub/polls")).unwrap();
    assert_eq!(polls.len(), 4, "{polls:?}");
    assert!(polls[0] >= 900 && polls[0] < 3000, "{polls:?}");
    assert!(polls[1] - polls[0] >= 900, "{polls:?}");
    assert!(polls[2] - polls[1] >= 5900, "{polls:?}");
    assert!(polls[3] - polls[2] >= 5900, "{polls:?}");
    let secret = stored(&sb);
    assert_kept_secret(
        &sb,
        &[&out],
        &[text(&secret["refresh_token"]), CLIENT_SECRET],
    );
}

/// Issue "Hardening, third round", class 5: the addresses of a device answer are shown without
/// control or invisible characters (bidi overrides, zero-width), and only an https address, or
/// http to this machine, is opened: not `javascript:`, `file:`, `data:`, plain http elsewhere
/// or an address with a user name. A `user_code` that cleaning would change is refused (exit
/// 4): the user could not type it as sent.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_answer_is_shown_clean_and_only_https_addresses_are_opened() {
    let Some(()) = keyring() else { return };
    const HIDDEN: [char; 8] = [
        '\u{1b}', '\u{7}', '\u{202e}', '\u{200b}', '\u{2066}', '\u{feff}', '\u{ad}', '\u{3164}',
    ];
    // verification_uri, verification_uri_complete, what is shown, what is opened.
    let cases: [(&str, Option<&str>, &str, Option<&str>); 8] = [
        (
            "\u{202e}https://exa\u{200b}mple.com/dev\u{2066}ice\u{feff}",
            None,
            "https://example.com/device",
            Some("https://example.com/device"),
        ),
        (
            "https://example.com/device",
            Some("HTTPS://EXAMPLE.com/device?user_code=WDJB\u{ad}-MJHT"),
            "https://example.com/device?user_code=WDJB-MJHT",
            Some("https://example.com/device?user_code=WDJB-MJHT"),
        ),
        (
            "https://example.com/device",
            Some("javascript:alert(document.cookie)//\u{202e}\u{1b}[2J"),
            "javascript:alert(document.cookie)//[2J",
            None,
        ),
        (
            " \u{7}javascript:alert(1)",
            None,
            "javascript:alert(1)",
            None,
        ),
        ("file:///etc/passwd", None, "file:///etc/passwd", None),
        (
            "data:text/html,<script>alert(1)</script>",
            None,
            "data:text/html,<script>alert(1)</script>",
            None,
        ),
        (
            "http://evil.example/device",
            None,
            "http://evil.example/device",
            None,
        ),
        (
            "HTTPS://accounts.example.com@evil.example/device",
            None,
            "https://accounts.example.com@evil.example/device",
            None,
        ),
    ];
    let sb = Sandbox::new();
    for (uri, complete, shown, opened) in cases {
        let mut answer = serde_json::json!({
            "device_code": "dc-1", "user_code": "WDJB-MJHT", "verification_uri": uri,
            "interval": 1, "expires_in": 60,
        });
        if let Some(complete) = complete {
            answer["verification_uri_complete"] = complete.into();
        }
        let server = device_server(answer).await;
        sb.write_connectors(&stub_device_connectors(&server.uri()));
        let opener = Opener::new();
        let out = link_device(&sb, &opener);
        let err = stderr(&out);
        assert_exit(&out, 3);
        assert!(!err.contains(HIDDEN), "{uri:?}: {err}");
        assert_has(&err, &format!("\n  {shown}\n"));
        match opened {
            Some(target) => assert_eq!(opener.target(), target, "{uri:?}"),
            None => {
                assert!(!opener.ran(), "{uri:?} was opened");
                assert_has(&err, "note: the browser was not opened at this address");
            }
        }
    }
    for code in [
        "WDJB\u{200b}-MJHT",
        "WDJB-MJHT\u{1b}[8m",
        "\u{202e}THJM-BJDW",
        "WDJB\u{3164}MJHT",
        " WDJB-MJHT",
    ] {
        let server = device_server(serde_json::json!({
            "device_code": "dc-1", "user_code": code,
            "verification_uri": "https://example.com/device", "interval": 1,
        }))
        .await;
        sb.write_connectors(&stub_device_connectors(&server.uri()));
        let opener = Opener::new();
        let out = link_device(&sb, &opener);
        assert_exit(&out, 4);
        let shown = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!shown.contains(HIDDEN), "{code:?}: {shown}");
        assert_has(
            &shown,
            "`user_code` with control, invisible or surrounding space characters",
        );
        assert!(!opener.ran(), "{code:?}: opened");
    }
    assert_nothing_saved(&sb);
}

/// A device authorization server answering `answer`, whose token endpoint answers
/// `access_denied`.
async fn device_server(answer: Value) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/device/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "access_denied"})),
        )
        .mount(&server)
        .await;
    server
}

/// `credlink link stub-device`, the browser opened by `opener`.
fn link_device(sb: &Sandbox, opener: &Opener) -> Output {
    let mut cmd = sb.std_cmd();
    cmd.args(["link", "stub-device", "--name", "acct", "--client-id", "c"])
        .env("PATH", opener.path())
        .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET);
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null()).output().unwrap()
}
