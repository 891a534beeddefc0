//! `test`, `revoke` and their input: every account and its exit code, ad hoc values, missing or
//! padded values, partial state, no keychain, `-v`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;
use crate::support::*;

const CLIENT_ID_PATTERN: &str = "^[a-z-]+$";

fn link_post(sb: &Sandbox) -> When {
    link(sb, "local-post", "post-client", POST_SECRET, &[])
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
        "  basic-client  ",
        "\t basic-secret  ",
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
        .when(&["link", "local-basic", "--client-id", "basic-client"])
        .env("CREDLINK_CLIENT_SECRET", BASIC_SECRET)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("XDG_RUNTIME_DIR", runtime_dir.path())
        .then()
        .exits(5)
        .stderr_has("no OS keychain reachable")
        .stderr_has("dbus-run-session")
        .out;
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
        .when(&[
            "test",
            "--connector",
            "local-post",
            "--client-id",
            "post-client",
            "-v",
        ])
        .env("CREDLINK_CLIENT_SECRET", MARKER)
        .then()
        .exits(3)
        .stderr_has("> POST")
        .stderr_has("client_secret=(redacted)")
        .out;
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

    let out = sb
        .when(&["list", "-v"])
        .then()
        .exits(0)
        .stdout_has("basic-client")
        .out;
    outputs.push(("list", out));
    let out = sb
        .when(&["test", "--all", "-v"])
        .then()
        .exits(0)
        .stderr_has("> authorization: (redacted)")
        .out;
    assert_has(&stderr(&out), r#""access_token":"(redacted)""#);
    outputs.push(("test --all", out));
    for secret in &forbidden {
        assert_lacks(&sb.index_text(), secret, "the index file");
    }
    let out = sb
        .when(&["revoke", "-v", "--yes", "local-basic"])
        .then()
        .exits(0)
        .stderr_has("/token/revocation")
        .stderr_has("token=(redacted)")
        .out;
    outputs.push(("revoke", out));
    assert_seen(&peer, "REQ POST /token/revocation 200", 1);

    for (what, out) in &outputs {
        for secret in &forbidden {
            assert_lacks(&stdout(out), secret, &format!("stdout of {what}"));
            assert_lacks(&stderr(out), secret, &format!("stderr of {what}"));
        }
    }
}
