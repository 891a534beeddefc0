//! The authorization-code sign-in through a real browser: consent given or denied, the paste
//! fallback, codes replayed, expired or for another verifier, no refresh token, built-in
//! entries (one with its permission call, against a stand-in).

use std::time::Duration;

use super::*;
use crate::support::browser::*;
use crate::support::*;

/// Port 6666, which chromium refuses to load (one of its "unsafe" ports), as a browser on
/// another machine cannot reach this one's listener: the code stays in the address it shows.
/// `None` when it is taken. The guard keeps the tests that use it from running at once.
fn unreachable_port() -> Option<(u16, std::sync::MutexGuard<'static, ()>)> {
    static TAKEN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = TAKEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let port = 6666;
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        eprintln!("SKIPPED: port {port} is in use");
        return None;
    }
    Some((port, guard))
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_browser_sign_in_links_and_the_account_refreshes_rotates_and_revokes() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let port = free_port();
    let mut linking = Linking::start(&sb, "local-code", "code-client", port, &["-v"]);
    let url = linking.authorize_url();
    assert_eq!(param(&url, "code_challenge_method"), "S256");
    assert_eq!(
        param(&url, "redirect_uri"),
        format!("http://127.0.0.1:{port}/callback")
    );
    let landed = rt.block_on(browser.consent(&url, true));
    let code = param(&landed, "code");
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 0);
    let err = stderr(&out);
    // The redirect URI to register comes first.
    assert!(
        err.starts_with(&format!(
            "Local (local-code) signs you in through a browser. The OAuth app's redirect URI at Local (local-code) must be exactly:\n  http://127.0.0.1:{port}/callback"
        )),
        "{err}"
    );
    assert_has(&stdout(&out), "Linked acct (Local (local-code)): HTTP 200");
    let secret = stored(&sb);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    let first = text(&secret["refresh_token"]).to_owned();
    assert_eq!(
        sb.index()["accounts"][0]["auth"],
        "oauth2_authorization_code"
    );
    assert_kept_secret(&sb, &[&out], &[&code, &first, CLIENT_SECRET]);
    // The listener is gone.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    // test: the refresh grant; the rotated refresh token is stored.
    let tested = sb
        .when(&["test", "acct"])
        .then()
        .exits(0)
        .stdout_has("the new one is stored")
        .out;
    let second = text(&stored(&sb)["refresh_token"]).to_owned();
    assert_ne!(second, first);

    // token: a fresh access token on stdout.
    let token = sb.when(&["token", "acct", "--fresh"]).then().exits(0).out;
    assert!(!stdout(&token).trim().is_empty());
    let third = text(&stored(&sb)["refresh_token"]).to_owned();
    assert_ne!(third, second);

    // The first refresh token, reused after rotation: invalid_grant, exit 3, saying why.
    let reused = sb
        .cmd()
        .args([
            "test",
            "--connector",
            "local-refresh",
            "--client-id",
            "code-client",
            "--secret-stdin",
            "refresh_token",
        ])
        .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET)
        .write_stdin(first.clone())
        .output()
        .unwrap();
    assert_exit(&reused, 3);
    assert_has(&stdout(&reused), "invalid_grant");
    assert_has(&stdout(&reused), "already used");
    // The provider revoked the whole grant: the linked account's current token is dead too.
    let after = sb
        .when(&["test", "acct"])
        .then()
        .exits(3)
        .stdout_has("invalid_grant")
        .stdout_has("credlink link local-code --name acct --force")
        .out;
    assert_kept_secret(
        &sb,
        &[&tested, &token, &reused, &after],
        &[&code, &first, &second, &third, CLIENT_SECRET],
    );

    // revoke removes the account (RFC 7009 for the refresh token).
    sb.when(&["revoke", "acct", "--yes"]).then().exits(0);
    assert!(sb.account_names().is_empty());
    assert!(sb.secrets_in("").is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn denied_consent_exits_3_and_saves_nothing() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::start(&sb, "local-code", "code-client", free_port(), &[]);
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, false));
    assert_has(&landed, "error=access_denied");
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 3);
    assert_has(
        &stderr(&out),
        "did not grant access (access_denied: End-User aborted interaction); nothing was saved",
    );
    assert!(sb.account_names().is_empty());
    assert!(sb.secrets_in("").is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn the_redirect_pasted_on_stdin_links_a_public_client() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let Some((port, _taken)) = unreachable_port() else {
        rt.block_on(browser.close());
        return;
    };
    let mut linking = Linking::start(&sb, "local-public", "public-code-client", port, &[]);
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    // Something else first, then the address with an older sign-in's state: refused, and
    // the wait goes on.
    linking.paste("http://127.0.0.1:1/elsewhere?code=x&state=y");
    let state = param(&landed, "state");
    linking.paste(&landed.replace(&format!("state={state}"), "state=older-sign-in"));
    linking.paste(&landed);
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "that is not the redirect address");
    assert_has(
        &stderr(&out),
        "error: it is not from the sign-in credlink started: its `state` does not match",
    );
    assert_has(&stdout(&out), "Linked acct (Local (local-public))");
    // A public client: the refresh token alone is the stored secret.
    let secrets = sb.secrets_in("");
    assert_eq!(secrets.len(), 1);
    assert_kept_secret(&sb, &[&out], &[&code, &secrets[0]]);
    sb.when(&["test", "acct"]).then().exits(0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_replayed_code_is_refused_and_saves_nothing() {
    let Some((peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let port = free_port();
    let mut first = Linking::start(&sb, "local-nopkce", "code-client", port, &[]);
    let url = first.authorize_url();
    assert!(!url.contains("code_challenge"), "{url}");
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    let first = first.finish();
    assert_exit(&first, 0);

    // The same code, presented again by another run with that run's own state.
    let mut again = Linking::start_as(
        &sb,
        "local-nopkce",
        "again",
        ("code-client", CLIENT_SECRET),
        port,
        &[],
    );
    let state = param(&again.authorize_url(), "state");
    redirect(port, &code, &state);
    let out = again.finish();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_grant");
    assert_has(&stderr(&out), "nothing was saved");
    assert_eq!(sb.account_names(), ["acct"]);
    assert_kept_secret(&sb, &[&first, &out], &[&code, CLIENT_SECRET]);
    let tokens = peer
        .requests()
        .iter()
        .filter(|r| r.starts_with("REQ POST /token"))
        .count();
    assert_eq!(tokens, 2, "{:?}", peer.requests());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn an_expired_code_is_refused_and_saves_nothing() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let rt = runtime();
    let Some(browser) = rt.block_on(Browser::start()) else {
        return;
    };
    let Some((port, _taken)) = unreachable_port() else {
        rt.block_on(browser.close());
        return;
    };
    let sb = Sandbox::with_connectors(&connectors(&peer));
    // The peer's codes for this client live 2 s.
    let mut linking = Linking::start(&sb, "local-code", "expiring-code-client", port, &[]);
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    std::thread::sleep(Duration::from_secs(3));
    linking.paste(&landed);
    let out = linking.finish();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_grant");
    assert_has(&stderr(&out), "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[&code, CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_code_issued_for_another_pkce_verifier_is_refused() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let rt = runtime();
    let Some(browser) = rt.block_on(Browser::start()) else {
        return;
    };
    let Some((port, _taken)) = unreachable_port() else {
        rt.block_on(browser.close());
        return;
    };
    let sb = Sandbox::with_connectors(&connectors(&peer));
    // A code issued for one run's code challenge...
    let mut first = Linking::start(&sb, "local-code", "code-client", port, &[]);
    let url = first.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    first.kill();
    let code = param(&landed, "code");
    // ...reaches another run, whose verifier does not match it.
    let mut other = Linking::start(&sb, "local-code", "code-client", port, &[]);
    let state = param(&other.authorize_url(), "state");
    redirect(port, &code, &state);
    let out = other.finish();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_grant");
    assert_has(&stderr(&out), "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[&code, CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_provider_that_issues_no_refresh_token_exits_3_with_the_hint() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::start_as(
        &sb,
        "local-code",
        "acct",
        ("norefresh-client", "norefresh-secret"),
        free_port(),
        &[],
    );
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    let out = linking.finish();
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert_has(&err, "no refresh token");
    assert_has(&err, "offline_access");
    assert_has(&err, "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[&code, "norefresh-secret"]);
}

/// Done means (issue 14): JobAdder's own catalog entry, copied with only its hosts rewritten
/// to the loopback provider, links through a real browser: its authorize and token paths,
/// its client authentication (secret in the body) and its choice of no PKCE.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn the_jobadder_entry_links_through_a_real_browser() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let rt = runtime();
    let Some(browser) = rt.block_on(Browser::start()) else {
        return;
    };
    let sb = Sandbox::with_connectors(&entry_on("jobadder", &peer.url));
    let port = free_port();
    let mut linking = Linking::start(&sb, "jobadder", "jobadder-client", port, &[]);
    let url = linking.authorize_url();
    assert!(url.contains("/connect/authorize?"), "{url}");
    assert!(
        !url.contains("code_challenge"),
        "JobAdder's entry sends no PKCE: {url}"
    );
    let landed = rt.block_on(browser.consent(&url, true));
    let code = param(&landed, "code");
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (JobAdder)");
    let secret = stored(&sb);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    let refresh = text(&secret["refresh_token"]).to_owned();
    assert_eq!(sb.index()["accounts"][0]["connector"], "jobadder");
    assert!(
        peer.requests()
            .iter()
            .any(|r| r == "REQ POST /connect/token 200"),
        "the code went to JobAdder's token path: {:?}",
        peer.requests()
    );
    assert_kept_secret(&sb, &[&out], &[&code, &refresh, CLIENT_SECRET]);
    // The refresh grant asks for no scope: `offline_access` is a sign-in scope, not one the
    // refresh token holds.
    sb.when(&["test", "acct"]).then().exits(0);
}

/// Employment Hero's own entry with only its hosts rewritten to a stand-in: the sign-in sends
/// PKCE, the code is traded with the secret in the form, and the permission call lists the
/// organisations with the new token before anything is saved.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn the_employment_hero_entry_makes_its_permission_call_after_the_sign_in() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "eh-access-token",
            "refresh_token": "eh-REFRESH-41c9",
            "token_type": "bearer",
            "expires_in": 900,
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/organisations"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": {"items": []}})),
        )
        .mount(&server)
        .await;
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&entry_on("employment-hero", &server.uri()));
    let port = free_port();
    let mut linking = Linking::start(&sb, "employment-hero", "eh-client", port, &[]);
    let url = linking.authorize_url();
    assert!(url.contains("/oauth2/authorize?"), "{url}");
    assert_eq!(param(&url, "code_challenge_method"), "S256");
    redirect(port, "eh-code-1", &param(&url, "state"));
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (Employment Hero)");
    assert_eq!(stored(&sb)["refresh_token"], "eh-REFRESH-41c9");
    assert_kept_secret(&sb, &[&out], &["eh-REFRESH-41c9", CLIENT_SECRET]);
    let requests = server.received_requests().await.unwrap();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&requests[0].body)
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "eh-code-1");
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert!(form.contains_key("code_verifier"), "{form:?}");
    let check = &requests[1];
    assert_eq!(check.url.path(), "/api/v1/organisations");
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer eh-access-token"
    );
}
