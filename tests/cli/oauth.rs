//! The OAuth 2.0 client-credentials connectors end to end: `link`, `list`, `test` and `revoke`
//! against the real oidc-provider peer, with secrets in the real Secret Service.

use std::process::Output;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::support::*;

const BASIC_SECRET: &str = "basic-secret";
const POST_SECRET: &str = "post-secret";
/// special-client's secret: works only when it is form-urlencoded before Base64 (RFC 6749 2.3.1).
const SPECIAL_SECRET: &str = "s3cr+t%20:/x";
const CLIENT_ID_PATTERN: &str = "^[a-z-]+$";

/// `credlink link CONNECTOR --client-id ID --client-secret-stdin EXTRA...` with `secret` on stdin.
fn link(sb: &Sandbox, connector: &str, client_id: &str, secret: &str, extra: &[&str]) -> When {
    let link = [
        "link",
        connector,
        "--client-id",
        client_id,
        "--client-secret-stdin",
    ];
    sb.when(&[&link[..], extra].concat())
        .stdin(&format!("{secret}\n"))
}

fn link_basic(sb: &Sandbox) -> When {
    link(sb, "local-basic", "basic-client", BASIC_SECRET, &[])
}

fn link_post(sb: &Sandbox) -> When {
    link(sb, "local-post", "post-client", POST_SECRET, &[])
}

/// `credlink ARGS...` with nothing on stdin.
fn run(sb: &Sandbox, args: &[&str]) -> Output {
    sb.when(args).then().out
}

/// The index record of one account.
#[track_caller]
fn record(sb: &Sandbox, name: &str) -> Value {
    let index = sb.index();
    index["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no record `{name}` in {index}"))
        .clone()
}

/// The access token credlink keeps (for `revoke`) next to an account's secret, read with
/// `secret-tool` from its token service.
fn cached_token(sb: &Sandbox, account: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            &format!("{}:token", sb.service),
            "username",
            account,
        ])
        .output()
        .expect("secret-tool runs");
    // Stored as {"access_token": ..., "expires_at": ...}.
    out.status.success().then(|| {
        let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        stored["access_token"].as_str().unwrap().to_owned()
    })
}

/// Whether a real Secret Service is up, for tests that run without one but check it when it is.
fn keyring_is_up() -> bool {
    std::env::var_os("CREDLINK_TEST_KEYRING").is_some()
}

/// Asserts that the peer logged exactly this line, e.g. `REQ POST /token 401`, `times` times
/// (waiting up to about two seconds for lines still on their way).
#[track_caller]
fn assert_seen(peer: &Peer, line: &str, times: usize) {
    let count = |lines: &[String]| lines.iter().filter(|l| *l == line).count();
    let mut lines = peer.requests();
    for _ in 0..20 {
        if count(&lines) >= times {
            break;
        }
        lines = peer.requests();
    }
    assert_eq!(
        count(&lines),
        times,
        "{line:?} in the peer's log: {lines:#?}"
    );
}

/// No index record and no keychain entry (secret or cached token) for these names.
#[track_caller]
fn assert_nothing_saved(sb: &Sandbox, names: &[&str]) {
    assert!(sb.account_names().is_empty(), "index: {}", sb.index());
    if keyring_is_up() {
        for name in names {
            assert_eq!(sb.keychain_secret(name), None, "keychain secret for {name}");
            assert_eq!(cached_token(sb, name), None, "cached token for {name}");
        }
    }
}

/// The spellings of a secret that would leak it: as is, form-urlencoded, Base64, and the
/// Base64 `Authorization: Basic` credentials (RFC 6749 2.3.1) it is sent in.
fn leak_forms(client_id: &str, secret: &str) -> Vec<String> {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    vec![
        secret.to_owned(),
        enc(secret),
        BASE64.encode(secret),
        BASE64.encode(format!("{}:{}", enc(client_id), enc(secret))),
        BASE64.encode(format!("{client_id}:{secret}")),
    ]
}

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

    let out = run(&sb, &["list"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "local-basic");
    assert_has(&stdout(&out), "basic-client");
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
        .cmd()
        .args([
            "link",
            "local-basic",
            "--name",
            "special",
            "--client-id",
            "special-client",
        ])
        .env("CREDLINK_CLIENT_SECRET", SPECIAL_SECRET)
        .output()
        .unwrap();
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

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn test_all_reports_each_account_and_exit_code() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    link_basic(&sb).then().exits(0);
    link_post(&sb).then().exits(0);

    sb.store_secret("local-post", "wrong");
    let reports = sb.when(&["test", "--all", "--json"]).then().exits(3).json();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");
    let by_name = |name: &str| {
        reports
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no report for {name}: {reports:?}"))
    };
    let good = by_name("local-basic");
    assert_eq!(good["ok"], true);
    assert_eq!(good["status"], "valid");
    assert_eq!(good["http_status"], 200);
    let bad = by_name("local-post");
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["status"], "rejected");
    assert_eq!(bad["http_status"], 401);
    assert_eq!(bad["error"], "invalid_client");
    assert!(bad["hint"].is_string(), "{bad}");
    assert_seen(&peer, "REQ POST /token 401", 1);
    assert_eq!(record(&sb, "local-basic")["last_status"], "valid");
    assert_eq!(record(&sb, "local-post")["last_status"], "rejected");

    // The human form says the same, with the same exit code.
    sb.when(&["test", "--all"])
        .then()
        .exits(3)
        .stdout_has("local-basic (Local (basic)): valid")
        .stdout_has("local-post (Local (post)): rejected")
        .stdout_has("HTTP 401 invalid_client");

    sb.clear_secret("local-post");
    let requests = peer.requests().len();
    let report = sb
        .when(&["test", "local-post", "--json"])
        .then()
        .exits(6)
        .json();
    let report = &report[0];
    assert_eq!(report["ok"], false);
    assert_eq!(report["status"], "secret_missing");
    let hint = report["hint"]
        .as_str()
        .unwrap_or_else(|| panic!("{report}"));
    assert_has(hint, "--force");
    assert_eq!(
        peer.requests().len(),
        requests,
        "nothing to send without a secret"
    );
    assert_eq!(record(&sb, "local-post")["last_status"], "secret_missing");
    assert_eq!(record(&sb, "local-basic")["last_status"], "valid");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn ad_hoc_test_stores_nothing() {
    let Some(peer) = Peer::start() else { return };
    let sb = peer.sandbox();
    let ad_hoc = |secret: &str| {
        sb.cmd()
            .args([
                "test",
                "--connector",
                "local-basic",
                "--client-id",
                "basic-client",
            ])
            .env("CREDLINK_CLIENT_SECRET", secret)
            .output()
            .unwrap()
    };

    let out = ad_hoc(BASIC_SECRET);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "local-basic (Local (basic)): valid");
    assert_seen(&peer, "REQ POST /token 200", 1);
    assert!(!sb.index_path().exists(), "no index file");
    assert_nothing_saved(&sb, &["local-basic"]);

    let out = ad_hoc("not-the-secret");
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "local-basic (Local (basic)): rejected");
    assert_has(&stdout(&out), "LOCAL-HINT");
    assert_seen(&peer, "REQ POST /token 401", 1);
    assert!(!sb.index_path().exists(), "no index file");
    assert_nothing_saved(&sb, &["local-basic"]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn missing_values_without_a_terminal_name_the_flag() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    let cases: [(&[&str], &str, &[&str]); 6] = [
        (
            &["link", "local-basic"],
            "",
            &["missing Client ID", "--client-id"],
        ),
        (
            &["link", "local-basic", "--client-id", "basic-client"],
            "",
            &["missing client secret", "--client-secret-stdin"],
        ),
        (
            &[
                "link",
                "local-basic",
                "--client-id",
                "basic-client",
                "--client-secret-stdin",
            ],
            "\n",
            &["Client secret: is empty", "--client-secret-stdin"],
        ),
        (
            &[
                "link",
                "local-basic",
                "--client-id",
                "basic-client",
                "--field",
                "client_secret=x",
            ],
            "",
            &["never taken as a flag value", "--client-secret-stdin"],
        ),
        (
            &[
                "link",
                "local-basic",
                "--client-id",
                "basic-client",
                "--api-key-stdin",
            ],
            "basic-secret\n",
            &[
                "--api-key-stdin",
                "takes a client secret",
                "--client-secret-stdin",
            ],
        ),
        (
            &[
                "link",
                "local-basic",
                "--client-id",
                "Bad_ID",
                "--client-secret-stdin",
            ],
            "basic-secret\n",
            &["Client ID", "`Bad_ID`", CLIENT_ID_PATTERN, "--client-id"],
        ),
    ];
    for (args, stdin, phrases) in cases {
        let out = sb.cmd().args(args).write_stdin(stdin).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", stderr(&out));
        for phrase in phrases {
            assert!(
                stderr(&out).contains(phrase),
                "{args:?}: expected {phrase:?} in:\n{}",
                stderr(&out)
            );
        }
        assert_nothing_saved(&sb, &["local-basic"]);
    }
    assert_eq!(peer.requests(), Vec::<String>::new(), "nothing was sent");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn whitespace_is_trimmed_and_reported() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    link(
        &sb,
        "local-basic",
        " basic-client ",
        "\t basic-secret ",
        &[],
    )
    .then()
    .exits(0)
    .stderr_has("removed whitespace around the Client ID")
    .stderr_has("removed whitespace around the Client secret");
    assert_seen(&peer, "REQ POST /token 200", 1);
    assert_eq!(
        record(&sb, "local-basic")["fields"]["client_id"],
        "basic-client"
    );
    assert_eq!(
        sb.keychain_secret("local-basic").as_deref(),
        Some(BASIC_SECRET)
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn revoke_cleans_up_partial_state() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    // (a) A record whose secret is gone from the keychain.
    link_basic(&sb).then().exits(0);
    sb.clear_secret("local-basic");
    sb.when(&["revoke", "local-basic", "--yes"])
        .then()
        .exits(0)
        .stdout_has("removed from the index (the keychain had no secret for it)");
    assert!(sb.account_names().is_empty(), "{}", sb.index());
    assert_eq!(cached_token(&sb, "local-basic"), None);
    sb.when(&["revoke", "local-basic", "--yes"]).then().exits(6);

    // (b) A secret without a record, as a crash between the two writes of `link` leaves it.
    sb.store_secret("orphan", "x");
    assert_eq!(sb.keychain_secret("orphan").as_deref(), Some("x"));
    sb.when(&["revoke", "orphan", "--yes"])
        .then()
        .exits(0)
        .stdout_has("orphaned secret");
    assert_eq!(sb.keychain_secret("orphan"), None);
    assert!(sb.account_names().is_empty(), "{}", sb.index());
    sb.when(&["revoke", "orphan", "--yes"]).then().exits(6);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "hides the Secret Service's D-Bus; elsewhere the real keychain would be used"
)]
fn no_keychain_reachable_gives_exit_5_and_a_hint() {
    let Some(peer) = Peer::start() else { return };
    let sb = peer.sandbox();
    let runtime_dir = tempfile::tempdir().unwrap();

    let out = sb
        .cmd()
        .args(["link", "local-basic", "--client-id", "basic-client"])
        .env("CREDLINK_CLIENT_SECRET", BASIC_SECRET)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("XDG_RUNTIME_DIR", runtime_dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "no OS keychain reachable");
    assert_has(&stderr(&out), "dbus-run-session");
    assert_lacks(&stdout(&out), "Linked", "stdout");
    assert!(!sb.index_path().exists(), "no index file");
    assert_nothing_saved(&sb, &["local-basic"]);
    assert_eq!(
        peer.requests(),
        Vec::<String>::new(),
        "the keychain is checked before anything is sent"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn verbose_never_prints_the_secret() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    let mut forbidden = leak_forms("basic-client", MARKER);
    forbidden.extend(leak_forms("post-client", MARKER));
    forbidden.extend(leak_forms("basic-client", BASIC_SECRET));
    let mut outputs = Vec::new();

    // The marker is really sent: in the Authorization header, then in a form body.
    let out = link(&sb, "local-basic", "basic-client", MARKER, &["-v"])
        .then()
        .out;
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "> POST");
    assert_has(&stderr(&out), "> authorization: (redacted)");
    assert_has(&stderr(&out), "< HTTP 401");
    outputs.push(("link rejected", out));
    let out = sb
        .cmd()
        .args([
            "test",
            "--connector",
            "local-post",
            "--client-id",
            "post-client",
            "-v",
        ])
        .env("CREDLINK_CLIENT_SECRET", MARKER)
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "> POST");
    assert_has(&stderr(&out), "client_secret=(redacted)");
    outputs.push(("ad hoc test rejected", out));
    assert_seen(&peer, "REQ POST /token 401", 2);

    let out = link(&sb, "local-basic", "basic-client", BASIC_SECRET, &["-v"])
        .then()
        .out;
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "> authorization: (redacted)");
    assert_has(&stderr(&out), r#""access_token":"(redacted)""#);
    outputs.push(("link", out));
    let token = cached_token(&sb, "local-basic").expect("a cached token");
    forbidden.push(token);
    for secret in &forbidden {
        assert_lacks(&sb.index_text(), secret, "the index file");
    }

    let out = run(&sb, &["list", "-v"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "basic-client");
    outputs.push(("list", out));
    let out = run(&sb, &["test", "--all", "-v"]);
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "> authorization: (redacted)");
    assert_has(&stderr(&out), r#""access_token":"(redacted)""#);
    outputs.push(("test --all", out));
    for secret in &forbidden {
        assert_lacks(&sb.index_text(), secret, "the index file");
    }
    let out = run(&sb, &["revoke", "-v", "--yes", "local-basic"]);
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "/token/revocation");
    assert_has(&stderr(&out), "token=(redacted)");
    outputs.push(("revoke", out));
    assert_seen(&peer, "REQ POST /token/revocation 200", 1);

    for (what, out) in &outputs {
        for secret in &forbidden {
            assert_lacks(&stdout(out), secret, &format!("stdout of {what}"));
            assert_lacks(&stderr(out), secret, &format!("stderr of {what}"));
        }
    }
}
