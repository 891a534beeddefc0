//! `link`: the round trip with `list`, `test` and `revoke`, client authentication, rejected
//! secrets and scopes, a name taken.

use serde_json::Value;

use super::*;
use crate::support::*;

/// special-client's secret: works only when it is form-urlencoded before Base64 (RFC 6749 2.3.1).
const SPECIAL_SECRET: &str = "s3cr+t%20:/x";

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn link_basic_then_list_test_revoke_round_trip() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    link_basic(&sb)
        .then()
        .exits(0)
        .stdout_has("Linked local-basic");
    assert_seen(&peer, "REQ POST /token 200", 1);
    assert_eq!(
        sb.keychain_secret("local-basic").as_deref(),
        Some(BASIC_SECRET)
    );
    let token = cached_token(&sb, "local-basic").expect("the access token is kept for revoke");
    let account = record(&sb, "local-basic");
    assert_eq!(account["connector"], "local-basic");
    assert_eq!(account["auth"], "oauth2_client_credentials");
    assert_eq!(account["fields"]["client_id"], "basic-client");
    assert_eq!(account["scope"], "api:read");
    assert_eq!(account["expires_in"], 600);
    assert_eq!(account["last_status"], "valid");
    let text = sb.index_text();
    assert_lacks(&text, BASIC_SECRET, "the index file");
    assert_lacks(&text, &token, "the index file");

    let rows = sb.when(&["list", "--json"]).then().exits(0).json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "auth",
            "client_id",
            "connector",
            "expires",
            "last_status",
            "last_tested_at",
            "linked_at",
            "name",
            "subdomain"
        ]
    );
    assert_eq!(rows[0]["name"], "local-basic");
    assert_eq!(rows[0]["client_id"], "basic-client");
    assert_eq!(rows[0]["subdomain"], Value::Null);
    assert_eq!(rows[0]["last_status"], "valid");

    let out = sb
        .when(&["list"])
        .then()
        .exits(0)
        .stdout_has("local-basic")
        .stdout_has("basic-client")
        .out;
    assert_lacks(&stdout(&out), BASIC_SECRET, "list");

    let report = sb
        .when(&["test", "local-basic", "--json"])
        .then()
        .exits(0)
        .json();
    assert_eq!(report.as_array().map(Vec::len), Some(1), "{report}");
    let report = &report[0];
    assert_eq!(report["name"], "local-basic");
    assert_eq!(report["ok"], true);
    assert_eq!(report["status"], "valid");
    assert_eq!(report["http_status"], 200);
    assert_eq!(report["expires_in"], 600);
    assert_eq!(report["scope"], "api:read");
    assert_seen(&peer, "REQ POST /token 200", 2); // `test` asked the peer again

    assert!(token_is_active(&peer, &token), "the linked token is live");
    sb.when(&["revoke", "local-basic", "--yes"])
        .then()
        .exits(0)
        .stdout_has("Revoked local-basic: removed from the index and the keychain")
        .stdout_has("token at the provider: revoked");
    assert_seen(&peer, "REQ POST /token/revocation 200", 1);
    assert!(
        !token_is_active(&peer, &token),
        "the token is revoked at the provider"
    );
    assert_eq!(sb.keychain_secret("local-basic"), None);
    assert_eq!(cached_token(&sb, "local-basic"), None);
    assert!(sb.index_path().exists());
    assert!(sb.account_names().is_empty(), "{}", sb.index());

    sb.when(&["revoke", "local-basic", "--yes"])
        .then()
        .exits(6)
        .stderr_has("no linked account named `local-basic`");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn link_post_method_succeeds() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    // -v shows where the credentials went: the peer accepts either method for any client.
    let out = link(&sb, "local-post", "post-client", POST_SECRET, &["-v"])
        .then()
        .out;
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked local-post");
    let trace = stderr(&out);
    assert_has(&trace, "client_id=post-client&client_secret=(redacted)");
    assert_lacks(&trace, "> authorization:", "a client_secret_post request");
    assert_lacks(&trace, POST_SECRET, "the trace");
    assert_seen(&peer, "REQ POST /token 200", 1);
    assert_eq!(
        sb.keychain_secret("local-post").as_deref(),
        Some(POST_SECRET)
    );
    let account = record(&sb, "local-post");
    assert_eq!(account["fields"]["client_id"], "post-client");
    assert_eq!(account["scope"], "api:read");

    sb.when(&["test", "local-post"])
        .then()
        .exits(0)
        .stdout_has("local-post (Local (post)): valid");
    assert_seen(&peer, "REQ POST /token 200", 2);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn link_secret_with_reserved_characters_uses_rfc6749_encoding() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    let out = sb
        .when(&[
            "link",
            "local-basic",
            "--name",
            "special",
            "--client-id",
            "special-client",
        ])
        .env("CREDLINK_CLIENT_SECRET", SPECIAL_SECRET)
        .then()
        .out;
    // The raw secret in Basic decodes to another secret and gets 401 (tests/peer/README.md).
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked special");
    assert_seen(&peer, "REQ POST /token 200", 1);
    assert_seen(&peer, "REQ POST /token 401", 0);
    assert_eq!(sb.account_names(), ["special"]);
    assert_eq!(
        record(&sb, "special")["fields"]["client_id"],
        "special-client"
    );
    assert_eq!(
        sb.keychain_secret("special").as_deref(),
        Some(SPECIAL_SECRET),
        "the keychain holds the secret as typed, not its encoding"
    );
    assert_lacks(&sb.index_text(), SPECIAL_SECRET, "the index file");

    // Read back from the keychain, it is encoded the same way again: for `test`, and for the
    // client authentication of the RFC 7009 revocation.
    sb.when(&["test", "special"]).then().exits(0);
    assert_seen(&peer, "REQ POST /token 200", 2);
    let token = cached_token(&sb, "special").expect("a cached token");
    assert!(token_is_active(&peer, &token));
    sb.when(&["revoke", "special", "--yes"])
        .then()
        .exits(0)
        .stdout_has("token at the provider: revoked");
    assert_seen(&peer, "REQ POST /token/revocation 200", 1);
    assert!(!token_is_active(&peer, &token));
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn wrong_secret_is_rejected_and_nothing_saved() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    for (client_id, secret) in [
        ("basic-client", "not-the-secret"),
        ("nobody-client", BASIC_SECRET),
    ] {
        let out = link(&sb, "local-basic", client_id, secret, &[]).then().out;
        assert_exit(&out, 3);
        let err = stderr(&out);
        assert_has(&err, "nothing was saved");
        assert_has(&err, "HTTP 401 invalid_client");
        assert_has(&err, "hint: LOCAL-HINT");
        assert_lacks(&err, secret, "stderr");
        assert_lacks(&stdout(&out), "Linked", "stdout");
        assert_nothing_saved(&sb, &["local-basic"]);
    }
    assert_seen(&peer, "REQ POST /token 401", 2);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn disallowed_scope_is_rejected() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    let out = link(
        &sb,
        "local-post",
        "post-client",
        POST_SECRET,
        &["--scope", "api:write"],
    )
    .then()
    .out;
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert_has(&err, "HTTP 400 invalid_scope");
    assert_has(&err, "nothing was saved");
    assert_has(&err, "--scope");
    assert_seen(&peer, "REQ POST /token 400", 1);
    assert_nothing_saved(&sb, &["local-post"]);

    // The same credentials with a scope the client has are fine, and the scope is kept.
    link(
        &sb,
        "local-post",
        "post-client",
        POST_SECRET,
        &["--scope", "api:read"],
    )
    .then()
    .exits(0);
    assert_eq!(record(&sb, "local-post")["scope"], "api:read");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_scope_given_to_link_is_used_by_test() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    // oidc-provider drops scopes it does not know and then answers without `scope`, as a
    // provider does that grants exactly the requested scope (RFC 6749 5.1).
    let out = link(
        &sb,
        "local-basic",
        "basic-client",
        BASIC_SECRET,
        &["--scope", "reports", "-v"],
    )
    .then()
    .out;
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "scope=reports");
    assert_lacks(&stderr(&out), "scope=api", "the link request");

    sb.when(&["test", "local-basic", "-v"])
        .then()
        .exits(0)
        .stderr_has("scope=reports");
    assert_eq!(record(&sb, "local-basic")["scope"], "reports");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn existing_name_refused_without_force_and_replaced_with_force() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    link(
        &sb,
        "local-basic",
        "basic-client",
        BASIC_SECRET,
        &["--name", "acct"],
    )
    .then()
    .exits(0);
    let first = record(&sb, "acct");

    // Refused before anything is sent, whether the name is given or the default.
    link(
        &sb,
        "local-basic",
        "special-client",
        SPECIAL_SECRET,
        &["--name", "acct"],
    )
    .then()
    .exits(2)
    .stderr_has("an account named `acct` is already linked")
    .stderr_has("--force");
    link_basic(&sb).then().exits(0);
    link_basic(&sb)
        .then()
        .exits(2)
        .stderr_has("`local-basic` is already linked")
        .stderr_has("--force");
    assert_seen(&peer, "REQ POST /token 200", 2); // none for the refused names
    assert_eq!(record(&sb, "acct"), first);
    assert_eq!(sb.keychain_secret("acct").as_deref(), Some(BASIC_SECRET));

    // --force with rejected credentials changes nothing.
    link(
        &sb,
        "local-basic",
        "special-client",
        "wrong-secret",
        &["--name", "acct", "--force"],
    )
    .then()
    .exits(3);
    assert_eq!(record(&sb, "acct"), first);
    assert_eq!(sb.keychain_secret("acct").as_deref(), Some(BASIC_SECRET));

    link(
        &sb,
        "local-basic",
        "special-client",
        SPECIAL_SECRET,
        &["--name", "acct", "--force"],
    )
    .then()
    .exits(0)
    .stdout_has("Linked acct");
    assert_eq!(sb.account_names(), ["acct", "local-basic"]);
    assert_eq!(record(&sb, "acct")["fields"]["client_id"], "special-client");
    // The replacement went to the account's other keychain entry, which the record names;
    // the old entry is gone.
    let entry = record(&sb, "acct")["keychain_entry"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(entry, "acct~2");
    assert_eq!(sb.keychain_secret(&entry).as_deref(), Some(SPECIAL_SECRET));
    assert_eq!(sb.keychain_secret("acct"), None);
    assert_eq!(
        sb.keychain_secret("local-basic").as_deref(),
        Some(BASIC_SECRET),
        "the other account is untouched"
    );
    sb.when(&["test", "acct"]).then().exits(0);
}
