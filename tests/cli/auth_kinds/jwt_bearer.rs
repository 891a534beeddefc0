//! `oauth2_jwt_bearer` (RFC 7523 2.1) against oidc-provider with the grant registered
//! (tests/peer/server.js): jose verifies each assertion's signature against the keys
//! registered for the service account, its audience and its times (5 s of skew allowed), and
//! the subject it may act as; the check call proves the token it issues.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::*;
use crate::support::*;

const ISSUER: &str = "svc@assert.test";
const SUBJECT: &str = "admin@assert.test";

/// A connector on the peer; `extra` adds top-level keys (an `assertion_audience`).
fn assert_connector(peer: &Peer, extra: &str) -> String {
    format!(
        r#"
[connectors.local-assert]
name = "Local (JWT bearer)"
auth = "oauth2_jwt_bearer"
token_url = "{url}/token"
scope = "api:read"
permission_check = {{ url = "{url}/test/whoami" }}
{extra}

[[connectors.local-assert.fields]]
id = "client_id"
label = "Service account"
optional = true

[[connectors.local-assert.fields]]
id = "subject"
label = "Subject"
optional = true

[[connectors.local-assert.fields]]
id = "private_key"
label = "Private key"
secret = true
"#,
        url = peer.url
    )
}

/// The peer's keys as files in `dir`: `rsa.pem` (registered), `other.pem` (not), and
/// `key.json`, Google's key file shape around the registered RSA key. Returns the paths and the
/// secret lines that must never show.
struct Keys {
    rsa: PathBuf,
    other: PathBuf,
    key_file: PathBuf,
    key_file_text: String,
    secrets: Vec<String>,
}

fn keys(peer: &Peer, dir: &Path) -> Keys {
    let keys = peer.call("GET", "/test/jwt-keys");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let rsa = text(&keys["rsa"]);
    let other = text(&keys["other"]);
    let key_file_text = serde_json::to_string_pretty(&serde_json::json!({
        "type": "service_account",
        "project_id": "credlink-test",
        "private_key_id": "peer-rsa-1",
        "private_key": rsa,
        "client_email": ISSUER,
        "client_id": "104857600000000000001",
        "token_uri": format!("{}/token", peer.url),
    }))
    .unwrap();
    Keys {
        rsa: write("rsa.pem", rsa),
        other: write("other.pem", other),
        key_file: write("key.json", &key_file_text),
        key_file_text,
        secrets: vec![pem_line(rsa), pem_line(other)],
    }
}

fn link(sb: &Sandbox, name: &str, args: &[&str], key: &Path) -> Output {
    sb.cmd()
        .args(["-v", "link", "local-assert", "--name", name, "--no-input"])
        .args(args)
        .arg("--field-file")
        .arg(format!("private_key={}", key.display()))
        .output()
        .unwrap()
}

fn assert_no_secret(sb: &Sandbox, out: &Output, keys: &Keys) {
    let lines: Vec<&str> = keys.secrets.iter().map(String::as_str).collect();
    assert_kept_secret(sb, &[out], &lines);
    // No signed assertion either: its header is base64url of `{"typ":"JWT","alg":`.
    assert_hidden(out, "eyJ0eXAiOiJKV1Qi");
    assert_hidden(out, "eyJhbGciOi");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_jwt_bearer_account_links_with_a_pem_or_a_key_file_kept_only_in_the_keychain() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&assert_connector(&peer, ""));
    let keys = keys(&peer, sb.dir.path());

    let pem = link(
        &sb,
        "pem",
        &[
            "--client-id",
            ISSUER,
            "--field",
            &format!("subject={SUBJECT}"),
        ],
        &keys.rsa,
    );
    assert_exit(&pem, 0);
    assert_has(&stdout(&pem), "token valid for 600 s");
    assert_has(&stderr(&pem), "assertion=(redacted)");
    assert_has(&stderr(&pem), "/test/whoami");
    assert_no_secret(&sb, &pem, &keys);
    let stored = sb.keychain_secret("pem").unwrap();
    assert!(
        stored.starts_with("-----BEGIN PRIVATE KEY-----"),
        "the PEM is stored"
    );

    // The key file names the issuer and the key id.
    let file = link(&sb, "file", &[], &keys.key_file);
    assert_exit(&file, 0);
    assert_has(
        &stderr(&file),
        &format!("took the Service account `{ISSUER}` from the key file's client_email"),
    );
    assert_no_secret(&sb, &file, &keys);
    assert_eq!(
        sb.keychain_secret("file").as_deref(),
        Some(keys.key_file_text.trim())
    );
    assert_lacks(&sb.index_text(), "peer-rsa-1", "the index");
    for name in ["pem", "file"] {
        let out = sb.when(&["-v", "test", name]).then().exits(0).out;
        assert_no_secret(&sb, &out, &keys);
    }
    let requests = peer.requests();
    assert!(
        requests
            .iter()
            .filter(|r| *r == "REQ POST /token 200")
            .count()
            >= 4,
        "{requests:?}"
    );
}

/// Links `local-assert` with these arguments and key, expecting exit 3 and nothing saved.
fn refused(sb: &Sandbox, keys: &Keys, args: &[&str], key: &Path) -> Output {
    let out = link(sb, "refused", args, key);
    assert_exit(&out, 3);
    assert_no_secret(sb, &out, keys);
    assert!(sb.account_names().is_empty(), "nothing saved");
    out
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_refused_assertion_names_its_cause_key_audience_or_subject() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&assert_connector(&peer, ""));
    let keys = keys(&peer, sb.dir.path());
    let issuer = ["--client-id", ISSUER];

    let out = refused(&sb, &keys, &issuer, &keys.other);
    assert_has(&stderr(&out), "invalid_grant: Invalid JWT Signature.");
    assert_has(&stderr(&out), "could not verify the assertion's signature");

    let eve = ["--client-id", ISSUER, "--field", "subject=eve@assert.test"];
    let out = refused(&sb, &keys, &eve, &keys.rsa);
    assert_has(&stderr(&out), "unauthorized_client");
    assert_has(
        &stderr(&out),
        "will not let this service account or app act as the subject",
    );

    let audience = "assertion_audience = \"https://accounts.example.com\"";
    let sb = Sandbox::with_connectors(&assert_connector(&peer, audience));
    let keys = self::keys(&peer, sb.dir.path());
    let out = refused(&sb, &keys, &issuer, &keys.rsa);
    assert_has(&stderr(&out), "Invalid JWT: Failed audience check.");
    assert_has(&stderr(&out), "expects another audience (`aud`)");

    // `test --json` reports each as a rejection with the provider's code.
    let out = sb
        .cmd()
        .args([
            "test",
            "--json",
            "--connector",
            "local-assert",
            "--no-input",
        ])
        .args(issuer)
        .arg("--field-file")
        .arg(format!("private_key={}", keys.rsa.display()))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "\"rejected\"");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_clock_ten_minutes_off_is_measured_against_the_providers_date() {
    // The peer's clock runs 10 minutes ahead: every assertion has expired by it.
    let Some(peer) = Peer::start_with(&["--clock-offset-s", "600"]) else {
        return;
    };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&assert_connector(&peer, ""));
    let keys = keys(&peer, sb.dir.path());
    let out = refused(&sb, &keys, &[], &keys.key_file);
    let err = stderr(&out);
    assert_has(&err, "in a reasonable timeframe");
    // 600 s, give or take the second the Date header and the run take.
    assert!(
        ["9 min 59 s", "10 min 0 s", "10 min 1 s"]
            .iter()
            .any(|off| err.contains(&format!("this machine's clock is {off} behind"))),
        "{err}"
    );
    assert_has(&err, "behind the provider's (by its answer's Date header)");
    assert_has(&err, "Set the clock right");
    // --explain fails at the same step with the same words.
    let out = sb
        .cmd()
        .args([
            "test",
            "--explain",
            "--connector",
            "local-assert",
            "--no-input",
        ])
        .arg("--field-file")
        .arg(format!("private_key={}", keys.key_file.display()))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "[FAIL] oauth");
    assert_has(&stdout(&out), "behind the provider's");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn explain_shows_the_assertion_it_signs_but_never_the_key() {
    let Some(peer) = Peer::start() else { return };
    let sb = Sandbox::with_connectors(&assert_connector(&peer, ""));
    let keys = keys(&peer, sb.dir.path());
    let out = sb
        .cmd()
        .args([
            "test",
            "--explain",
            "--connector",
            "local-assert",
            "--no-input",
        ])
        .args(["--field", &format!("subject={SUBJECT}"), "--field-file"])
        .arg(format!("private_key={}", keys.key_file.display()))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let shown = stdout(&out);
    assert_has(
        &shown,
        &format!(
            "[ ok ] assertion            issuer {ISSUER}, subject {SUBJECT}, audience {}/token, expires 120 s after signing, key id peer-rsa-1, RS256",
            peer.url
        ),
    );
    assert_has(&shown, "Private key: JSON key file, ");
    assert_has(&shown, "[ ok ] permissions");
    assert_no_secret(&sb, &out, &keys);

    // A service account given beside the key file is sent as given; the difference is said.
    let out = sb
        .cmd()
        .args([
            "test",
            "--explain",
            "--connector",
            "local-assert",
            "--no-input",
        ])
        .args(["--client-id", "nobody@assert.test", "--field-file"])
        .arg(format!("private_key={}", keys.key_file.display()))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(
        &stdout(&out),
        &format!(
            "the Service account given is not the key file's client_email `{ISSUER}`; sending the one given"
        ),
    );
    assert_has(&stdout(&out), "issuer nobody@assert.test,");
    assert_no_secret(&sb, &out, &keys);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_key_file_that_is_not_a_service_accounts_is_refused_naming_its_field() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&assert_connector(&peer, ""));
    let cases = [
        (
            format!(r#"{{"type": "authorized_user", "refresh_token": "{MARKER}"}}"#),
            "Private key: is a JSON key file of `type` `authorized_user`, not `service_account`",
        ),
        (
            format!(r#"{{"type": "service_account", "private_key": "{MARKER}"}}"#),
            "Private key: is a JSON key file whose `private_key` is not a PEM private key",
        ),
        (
            format!(r#"{{"type": "service_account", "private_key_id": "{MARKER}""#),
            "Private key: starts like a JSON key file but is not JSON",
        ),
    ];
    for (json, expected) in cases {
        let path = sb.dir.path().join("bad.json");
        std::fs::write(&path, json).unwrap();
        let out = link(&sb, "bad", &[], &path);
        assert_exit(&out, 2);
        assert_has(&stderr(&out), expected);
        assert_hidden(&out, MARKER);
    }
    let rsa = text(&peer.call("GET", "/test/jwt-keys")["rsa"]).to_owned();
    let no_email = serde_json::json!({"type": "service_account", "private_key": rsa});
    let path = sb.dir.path().join("bad.json");
    std::fs::write(&path, no_email.to_string()).unwrap();
    let out = link(&sb, "bad", &[], &path);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "without a `client_email`");
    assert_hidden(&out, &pem_line(&rsa));
    assert!(
        !peer.requests().iter().any(|r| r.contains("/token")),
        "nothing was sent"
    );
}

/// `credlink api` with a JWT bearer account: the token the grant issued reaches the peer's
/// protected resource, and neither key nor assertion shows.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn api_sends_the_token_a_jwt_bearer_account_was_issued() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let base = format!("api_base = \"{}/test/api/\"", peer.url);
    let sb = Sandbox::with_connectors(&assert_connector(&peer, &base));
    let keys = keys(&peer, sb.dir.path());
    let linked = link(&sb, "svc", &["--client-id", ISSUER], &keys.rsa);
    assert_exit(&linked, 0);
    let out = sb
        .when(&["-v", "api", "svc", "directory/users"])
        .then()
        .exits(0)
        .stdout_has(&format!(r#""client_id":"{ISSUER}""#))
        .stdout_has(r#""path":"/test/api/directory/users""#)
        .out;
    assert_no_secret(&sb, &out, &keys);
}
