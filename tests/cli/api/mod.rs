//! `credlink api NAME PATH`: a request under the connector's `api_base` with the account's
//! credentials applied as its check applies them. OAuth kinds against the real peer's
//! protected resource (`/test/api/...` in tests/peer/server.js, which looks the token up in
//! the provider's own store), a token exchange against the sign-in stub, API keys against a
//! loopback stand-in that records every request (`keys.rs`, `paths.rs`).

use crate::support::*;

mod keys;
mod paths;

/// The peer's connectors with an `api_base` on its protected resource.
fn peer_connectors(peer: &Peer) -> String {
    let base = format!("api_base = \"{}/test/api/\"\n", peer.url);
    let with_base = |text: String, id: &str| {
        text.replacen(
            &format!("[connectors.{id}]\n"),
            &format!("[connectors.{id}]\n{base}"),
            1,
        )
    };
    let both = format!("{}{}", peer.connectors(), refresh_connectors(peer));
    with_base(with_base(both, "local-basic"), "local-refresh")
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_client_credentials_account_reaches_the_resource_with_its_cached_token() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&peer_connectors(&peer));
    sb.when(&[
        "link",
        "local-basic",
        "--name",
        "acct",
        "--client-id",
        "basic-client",
    ])
    .env("CREDLINK_CLIENT_SECRET", "basic-secret")
    .then()
    .exits(0);
    let token =
        text(&json(&sb.when(&["token", "acct", "--json"]).then().exits(0).out)["access_token"])
            .to_owned();
    let tokens_before = token_requests(&peer);

    let out = sb
        .when(&["-v", "api", "acct", "/people?limit=1"])
        .then()
        .exits(0)
        .hides(&token)
        .hides("basic-secret")
        .out;
    let answer = json(&out);
    assert_eq!(
        answer["client_id"], "basic-client",
        "the peer found the token"
    );
    assert_eq!(answer["path"], "/test/api/people");
    assert_eq!(answer["query"], "limit=1");
    assert_eq!(answer["method"], "GET");
    assert_has(&stderr(&out), "authorization: (redacted)");
    assert_eq!(
        token_requests(&peer),
        tokens_before,
        "the cached token was used"
    );

    // A refusal: exit 3, the body still printed.
    sb.when(&["api", "acct", "status/403"])
        .then()
        .exits(3)
        .stdout_has(r#""path":"/test/api/status/403""#)
        .stderr_has("HTTP 403");
}

/// The token requests the peer has answered.
fn token_requests(peer: &Peer) -> usize {
    peer.requests()
        .iter()
        .filter(|l| l.starts_with("REQ POST /token"))
        .count()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_refresh_token_account_uses_the_token_its_last_refresh_cached() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&peer_connectors(&peer));
    let first = text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned();
    sb.when(&link_refresh_args("wd"))
        .env("CREDLINK_CLIENT_SECRET", "refresh-secret")
        .stdin(&format!("{first}\n"))
        .then()
        .exits(0);
    // `test` rotates the refresh token and caches the new access token, which `api` sends.
    sb.when(&["test", "wd"]).then().exits(0);
    let runs: Vec<std::process::Child> = (0..3)
        .map(|_| sb.when(&["api", "wd", "me"]).spawn())
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert_exit(&out, 0);
        assert_has(&stdout(&out), r#""client_id":"refresh-client""#);
        assert_hidden(&out, &first);
        assert_hidden(&out, "refresh-secret");
    }
    sb.when(&["test", "wd"]).then().exits(0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, node): run scripts/test"
)]
#[test]
fn a_token_exchange_account_sends_the_exchanged_token_as_bearer() {
    let Some(()) = keyring() else { return };
    let Some(stub) = Peer::start_stub(&["exchange"]) else {
        return;
    };
    let sb = Sandbox::with_connectors(&entry_on("kenjo", &stub.url));
    sb.when(&["link", "kenjo", "--name", "kj", "--api-key-stdin"])
        .stdin("kenjo-key\n")
        .then()
        .exits(0);
    sb.when(&["api", "kj", "employees"])
        .then()
        .exits(0)
        .hides("kenjo-key")
        .stdout_is(r#"{"path":"/api/v1/employees","issued":true}"#);
}
