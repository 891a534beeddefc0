//! The auth kinds beyond a shared secret, end to end against real peers: the refresh-token
//! grant with rotation and `private_key_jwt` against oidc-provider, `tls_client_auth` against
//! a TLS server that asks for a client certificate, and `token_exchange` against sign-in calls
//! shaped like Kenjo's and Breezy HR's (tests/peer/stubs.js). Each keeps the guarantees:
//! nothing saved on failure, no secret printed or in the index, bad input exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use serde_json::Value;

use crate::guarantees::{Paused, faults_built_in};
use crate::support::*;

const REFRESH_SECRET: &str = "refresh-secret";

#[track_caller]
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", describe(out)))
}

fn index_text(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.index_path()).unwrap_or_default()
}

/// Neither output nor the index shows any of `secrets`.
#[track_caller]
fn assert_kept_secret(sb: &Sandbox, out: &Output, secrets: &[&str]) {
    for secret in secrets {
        assert_hidden(out, secret);
        assert_lacks(&index_text(sb), secret, "the index");
    }
}

// ---- oauth2_refresh_token ----

/// A refresh token for refresh-client, as an admin would generate one.
fn mint(peer: &Peer) -> String {
    text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned()
}

/// `link local-refresh --name NAME` with the refresh token on stdin.
fn link_refresh(sb: &Sandbox, name: &str, refresh_token: &str, extra: &[&str]) -> Output {
    sb.cmd()
        .args(link_refresh_args(name))
        .args(extra)
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .write_stdin(format!("{refresh_token}\n"))
        .output()
        .unwrap()
}

/// The refresh token stored for an account (the stored secret is a JSON object of the
/// connector's secret fields).
#[track_caller]
fn stored_refresh_token(sb: &Sandbox, name: &str) -> String {
    let stored = sb.secrets_in("");
    assert_eq!(stored.len(), 1, "one secret entry for {name}");
    let object: Value = serde_json::from_str(&stored[0]).expect("a JSON object of secrets");
    assert_eq!(text(&object["client_secret"]), REFRESH_SECRET);
    text(&object["refresh_token"]).to_owned()
}

/// oidc-provider rotates refresh tokens and, when a spent one comes back, revokes the whole
/// grant: runs that refreshed one account at the same time would kill its link. They take
/// turns (a lock file beside the index), each spending the newest token.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn runs_refreshing_one_account_at_once_take_turns_and_the_link_survives() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors(&peer));
    let first = mint(&peer);
    assert_exit(&link_refresh(&sb, "wd", &first, &[]), 0);
    for round in 0..2 {
        let runs: Vec<std::process::Child> = (0..4)
            .map(|i| {
                let mut cmd = sb.std_cmd();
                // Both commands that spend the refresh token: `test`, and `token --fresh`.
                if i % 2 == 0 {
                    cmd.args(["test", "wd"]);
                } else {
                    cmd.args(["token", "wd", "--fresh"]);
                }
                cmd.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: every run passes: {}",
                describe(&out)
            );
            assert_hidden(&out, &first);
            assert_hidden(&out, REFRESH_SECRET);
        }
    }
    // Eight rotations later the stored token is the newest: the grant was never revoked.
    let out = sb.cmd().args(["test", "wd", "--json"]).output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(json(&out)[0]["rotated"], true, "{}", describe(&out));

    // The turns were taken on a lock file beside the index; `revoke` removes it too.
    let lock = sb.config_dir().join("refresh-wd.lock");
    assert!(lock.exists(), "{} while linked", lock.display());
    assert_exit(
        &sb.cmd()
            .args(["revoke", "wd", "--yes", "--local"])
            .output()
            .unwrap(),
        0,
    );
    assert!(!lock.exists(), "{} left after revoke", lock.display());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_rotated_refresh_token_is_stored_before_success_and_the_old_one_is_refused() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors(&peer));
    let first = mint(&peer);

    // link: the rotated token is the one stored.
    let out = link_refresh(&sb, "wd", &first, &[]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked wd (Local (refresh token)): HTTP 200");
    assert_has(
        &stderr(&out),
        "the provider rotated the refresh token; the new one is stored",
    );
    let second = stored_refresh_token(&sb, "wd");
    assert_ne!(second, first);
    assert_kept_secret(&sb, &out, &[&first, &second, REFRESH_SECRET]);

    // test: rotates again, stores the new one, and says so.
    let out = sb.cmd().args(["test", "wd", "--json"]).output().unwrap();
    assert_exit(&out, 0);
    let result = &json(&out)[0];
    assert_eq!(result["ok"], true);
    assert_eq!(result["rotated"], true);
    let third = stored_refresh_token(&sb, "wd");
    assert_ne!(third, second);
    assert_kept_secret(&sb, &out, &[&second, &third, REFRESH_SECRET]);
    assert_eq!(
        sb.index()["accounts"][0]["last_status"],
        "valid",
        "the result is recorded on the record the rotation wrote"
    );

    let out = sb.cmd().args(["-v", "test", "wd"]).output().unwrap();
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "wd (Local (refresh token)): valid");
    assert_has(
        &stdout(&out),
        "note: the provider rotated the refresh token; the new one is stored",
    );
    let fourth = stored_refresh_token(&sb, "wd");
    assert_kept_secret(&sb, &out, &[&third, &fourth, REFRESH_SECRET]);

    // token: a fresh token on stdout, the rotated refresh token stored first.
    let out = sb.cmd().args(["token", "wd", "--fresh"]).output().unwrap();
    assert_exit(&out, 0);
    let access = stdout(&out).trim().to_owned();
    assert!(access.len() > 20, "{access}");
    let fifth = stored_refresh_token(&sb, "wd");
    assert_ne!(fifth, fourth);
    assert_kept_secret(&sb, &out, &[&fourth, &fifth, REFRESH_SECRET]);
    // ... and cached with the account, so the next call reuses it.
    let out = sb.cmd().args(["token", "wd", "--json"]).output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(json(&out)["cached"], true);
    assert_eq!(stored_refresh_token(&sb, "wd"), fifth);

    // --explain takes the same path: it stores the rotation too.
    let out = sb.cmd().args(["test", "--explain", "wd"]).output().unwrap();
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "[ ok ] oauth");
    assert_has(&stdout(&out), "the new one is stored");
    let sixth = stored_refresh_token(&sb, "wd");
    assert_ne!(sixth, fifth);
    assert_kept_secret(&sb, &out, &[&fifth, &sixth, REFRESH_SECRET]);

    // An old refresh token: invalid_grant, exit 3, saying why.
    let out = sb
        .cmd()
        .args([
            "test",
            "--connector",
            "local-refresh",
            "--client-id",
            "refresh-client",
            "--secret-stdin",
            "refresh_token",
        ])
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .write_stdin(first.clone())
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "invalid_grant");
    assert_has(&stdout(&out), "already used");
    assert_kept_secret(&sb, &out, &[&first, REFRESH_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_refused_refresh_token_saves_nothing_and_bad_input_exits_2() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors(&peer));

    let bogus = format!("{MARKER}-not-issued");
    let out = link_refresh(&sb, "wd", &bogus, &[]);
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "nothing was saved");
    assert_has(&stderr(&out), "invalid_grant");
    assert_kept_secret(&sb, &out, &[&bogus, REFRESH_SECRET]);
    assert!(sb.secrets_in("").is_empty(), "nothing in the keychain");
    assert!(sb.account_names().is_empty());

    // A zero-width space inside the refresh token: exit 2, naming the field, nothing sent.
    let out = link_refresh(&sb, "wd", "abc\u{200b}defghijk", &[]);
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "Refresh token contains a zero-width character",
    );
    // Missing without a terminal: exit 2, naming how to give it.
    let out = sb
        .cmd()
        .args([
            "link",
            "local-refresh",
            "--client-id",
            "refresh-client",
            "--no-input",
        ])
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "--secret-stdin refresh_token");
    // A secret is never a flag value.
    let out = sb
        .cmd()
        .args([
            "test",
            "--connector",
            "local-refresh",
            "--client-id",
            "refresh-client",
            "--field",
            &format!("refresh_token={MARKER}"),
        ])
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "is a secret and is never taken as a flag value",
    );
    assert!(sb.account_names().is_empty());
    assert!(
        peer.requests()
            .iter()
            .all(|r| !r.contains("POST /token 200"))
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_crash_between_the_rotation_and_its_store_leaves_one_consistent_account() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    for point in [
        "rotate:before_store",
        "link:after_keychain_write",
        "index:before_rename",
    ] {
        let sb = Sandbox::new();
        sb.write_connectors(&refresh_connectors(&peer));
        assert_exit(&link_refresh(&sb, "wd", &mint(&peer), &[]), 0);
        let linked = stored_refresh_token(&sb, "wd");
        let index_before = index_text(&sb);
        let mut cmd = sb.std_cmd();
        cmd.args(["test", "wd"]);
        Paused::start(cmd, point, "").kill();
        // The record still names the entry of the token it was linked with: one whole,
        // matching pair, and a parseable index.
        assert_eq!(sb.account_names(), ["wd"], "{point}");
        let record = &sb.index()["accounts"][0];
        assert_eq!(
            record["keychain_entry"],
            serde_json::from_str::<Value>(&index_before).unwrap()["accounts"][0]["keychain_entry"],
            "{point}: the record did not switch"
        );
        let secret = sb.keychain_secret("wd").expect("the linked entry stays");
        let object: Value = serde_json::from_str(&secret).unwrap();
        assert_eq!(text(&object["refresh_token"]), linked, "{point}");
        // The old token was consumed by the killed run: the account is reported rejected
        // (exit 3), with the command that links it again, never as valid or missing.
        let out = sb.cmd().args(["test", "wd"]).output().unwrap();
        assert_exit(&out, 3);
        assert_has(
            &stdout(&out),
            "next: credlink link local-refresh --name wd --force",
        );
        assert_hidden(&out, &linked);
    }
    // A panic at that point prints no secret.
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors(&peer));
    let first = mint(&peer);
    assert_exit(&link_refresh(&sb, "wd", &first, &[]), 0);
    let linked = stored_refresh_token(&sb, "wd");
    let out = sb
        .cmd()
        .args(["-v", "test", "wd"])
        .env("CREDLINK_FAULT", "panic@rotate:before_store")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_kept_secret(&sb, &out, &[&first, &linked, REFRESH_SECRET]);
}

/// A `link --force` while a `test` of the same account is between the provider's rotation and
/// its store: the rotated token belongs to the replaced link, so it is not stored; the new
/// link is kept whole, and the run says why (exit 7).
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_relink_during_a_rotation_keeps_the_new_link() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors(&peer));
    assert_exit(&link_refresh(&sb, "wd", &mint(&peer), &[]), 0);
    let flag = sb.dir.path().join("resume");
    let mut cmd = sb.std_cmd();
    cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
    let paused = Paused::start(cmd, "rotate:before_store", "");

    let relinked = mint(&peer);
    assert_exit(&link_refresh(&sb, "wd", &relinked, &["--force"]), 0);
    let kept = stored_refresh_token(&sb, "wd");
    let record = sb.index()["accounts"][0].clone();

    let out = paused.resume(&flag);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    assert_has(
        &stdout(&out),
        "`wd` was linked anew or removed while it was checked",
    );
    assert_hidden(&out, &kept);
    assert_eq!(
        stored_refresh_token(&sb, "wd"),
        kept,
        "the new link is kept"
    );
    assert_eq!(
        sb.index()["accounts"][0],
        record,
        "the new link's record is untouched: no result of the replaced link recorded on it"
    );
    assert_exit(&sb.cmd().args(["test", "wd"]).output().unwrap(), 0);
}

/// Ctrl-C while a refresh token is spent waits until the rotated one is stored: ending there
/// would lose it, and the link with it. A second Ctrl-C stops at once, and shows why.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn ctrl_c_while_a_refresh_token_is_spent_waits_until_the_rotated_one_is_stored() {
    const NOTICE: &str = "stopping once the refresh token in use is stored";
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors(&peer));
    let flag = sb.dir.path().join("resume");

    // link: the check spent the given token; the rotated one is saved before the run ends.
    let given = mint(&peer);
    let mut cmd = sb.std_cmd();
    cmd.args(link_refresh_args("wd"))
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .env("CREDLINK_FAULT_RESUME", &flag);
    let mut paused = Paused::start(cmd, "link:after_keychain_write", &format!("{given}\n"));
    paused.interrupt();
    paused.expect_line(NOTICE);
    let out = paused.resume(&flag);
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
    assert_has(&stdout(&out), "Linked wd (Local (refresh token))");
    let linked = stored_refresh_token(&sb, "wd");
    assert_ne!(linked, given);
    assert_kept_secret(&sb, &out, &[&given, &linked, REFRESH_SECRET]);
    std::fs::remove_file(&flag).unwrap();

    // test: the same, at the store of the token it rotated.
    let mut cmd = sb.std_cmd();
    cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
    let mut paused = Paused::start(cmd, "rotate:before_store", "");
    paused.interrupt();
    paused.expect_line(NOTICE);
    let out = paused.resume(&flag);
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
    let kept = stored_refresh_token(&sb, "wd");
    assert_ne!(
        kept, linked,
        "the rotated token was stored before the run ended"
    );
    assert_kept_secret(&sb, &out, &[&linked, &kept, REFRESH_SECRET]);
    std::fs::remove_file(&flag).unwrap();

    // SIGTERM (a CI job cancelled or timed out, a container stopped) alike.
    let mut cmd = sb.std_cmd();
    cmd.args(["token", "wd", "--fresh"])
        .env("CREDLINK_FAULT_RESUME", &flag);
    let mut paused = Paused::start(cmd, "rotate:before_store", "");
    paused.signal(libc::SIGTERM);
    paused.expect_line(NOTICE);
    let out = paused.resume(&flag);
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
    assert_ne!(
        stored_refresh_token(&sb, "wd"),
        kept,
        "stored before the run ended"
    );
    assert_exit(&sb.cmd().args(["test", "wd"]).output().unwrap(), 0);

    // A second Ctrl-C ends the run before the store: the rotated token is lost, and the
    // provider refuses the stored one it replaced.
    let mut cmd = sb.std_cmd();
    cmd.args(["test", "wd"]);
    let mut paused = Paused::start(cmd, "rotate:before_store", "");
    paused.interrupt();
    paused.expect_line(NOTICE);
    paused.interrupt();
    let out = paused.finish();
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
    let out = sb.cmd().args(["test", "wd"]).output().unwrap();
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "invalid_grant");
}

// ---- private_key_jwt ----

fn jwt_connector(peer: &Peer) -> String {
    format!(
        r#"
[connectors.local-jwt]
name = "Local (private_key_jwt)"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "private_key_jwt"
scope = "api:read"

[[connectors.local-jwt.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-jwt.fields]]
id = "private_key"
label = "Private key"
secret = true
"#,
        url = peer.url
    )
}

/// The peer's keys as files: `rsa` and `ec` are registered for jwt-client, `other` is not.
fn jwt_keys(peer: &Peer, dir: &Path) -> Vec<(String, PathBuf, String)> {
    let keys = peer.call("GET", "/test/jwt-keys");
    ["rsa", "ec", "other"]
        .into_iter()
        .map(|name| {
            let pem = text(&keys[name]).to_owned();
            let path = dir.join(format!("{name}.pem"));
            std::fs::write(&path, &pem).unwrap();
            (name.to_owned(), path, pem)
        })
        .collect()
}

/// The base64 body of a PEM key, one line of it: what must never show anywhere.
fn pem_line(pem: &str) -> String {
    pem.lines().nth(2).unwrap().to_owned()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn private_key_jwt_signs_with_rsa_and_ec_keys_and_a_wrong_key_is_rejected() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&jwt_connector(&peer));
    let keys = jwt_keys(&peer, sb.dir.path());
    let link = |name: &str, key: &Path| {
        sb.cmd()
            .args(["-v", "link", "local-jwt", "--name", name])
            .args(["--client-id", "jwt-client", "--field-file"])
            .arg(format!("private_key={}", key.display()))
            .output()
            .unwrap()
    };
    for (name, path, pem) in &keys[..2] {
        let out = link(name, path);
        assert_exit(&out, 0);
        assert_has(&stdout(&out), "token valid for 600 s");
        assert_has(&stderr(&out), "client_assertion=(redacted)");
        assert_kept_secret(&sb, &out, &[&pem_line(pem)]);
        assert_eq!(sb.keychain_secret(name).as_deref(), Some(pem.trim()));
        let out = sb.cmd().args(["test", name]).output().unwrap();
        assert_exit(&out, 0);
        let out = sb.cmd().args(["token", name]).output().unwrap();
        assert_exit(&out, 0);
    }
    let (_, path, pem) = &keys[2];
    let out = link("other", path);
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_client");
    assert_has(&stderr(&out), "the private key is not the one registered");
    assert_kept_secret(&sb, &out, &[&pem_line(pem)]);
    assert_eq!(
        sb.account_names(),
        ["rsa", "ec"],
        "nothing saved for `other`"
    );

    // Not a key: exit 2 naming the field, nothing sent.
    let not_a_key = sb.dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, format!("{MARKER}\n")).unwrap();
    let out = link("bad", &not_a_key);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "Private key: is not a PEM private key");
    assert_hidden(&out, MARKER);
    // --explain agrees with test.
    let out = sb
        .cmd()
        .args(["test", "--explain", "--connector", "local-jwt"])
        .args(["--client-id", "jwt-client", "--field-file"])
        .arg(format!("private_key={}", path.display()))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "Private key: PEM,");
    assert_has(&stdout(&out), "[FAIL] oauth");
    assert_kept_secret(&sb, &out, &[&pem_line(pem)]);
}

// ---- tls_client_auth ----

fn openssl(dir: &Path, args: &[&str]) {
    let out = StdCommand::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
}

/// A CA, a server certificate for 127.0.0.1, a client certificate (CN=mtls-client) it
/// issued, and a self-signed one with the same name.
fn make_pki(dir: &Path) {
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    // Version 3 (with extensions): TLS libraries refuse version 1 certificates.
    std::fs::write(
        dir.join("client.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    let steps: [&[&str]; 7] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=credlink test CA",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "30",
            "-extfile",
            "san.cnf",
        ],
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=mtls-client",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "client.pem",
            "-days",
            "400",
            "-extfile",
            "client.cnf",
        ],
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
            "-days",
            "400",
            "-subj",
            "/CN=mtls-client",
            "-addext",
            "basicConstraints=CA:FALSE",
        ],
        &["version"],
    ];
    for args in steps {
        openssl(dir, args);
    }
}

fn mtls_connector(url: &str, client_auth: &str) -> String {
    let certificate = if client_auth == "tls_client_auth" {
        r#"
[[connectors.local-mtls.fields]]
id = "client_certificate"
label = "Client certificate"

[[connectors.local-mtls.fields]]
id = "client_key"
label = "Client key"
secret = true
"#
    } else {
        r#"
[[connectors.local-mtls.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    };
    format!(
        r#"
[connectors.local-mtls]
name = "Local (mutual TLS)"
auth = "oauth2_client_credentials"
token_url = "{url}/oauth/token"
client_auth = "{client_auth}"

[[connectors.local-mtls.fields]]
id = "client_id"
label = "Client ID"
{certificate}"#
    )
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, openssl, node): run scripts/test"
)]
#[test]
fn tls_client_auth_presents_the_certificate_and_explain_says_when_it_expires() {
    let Some(()) = keyring() else { return };
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let dir = pki.path().to_str().unwrap();
    let Some(stub) = Peer::start_stub(&["mtls", dir]) else {
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&mtls_connector(&stub.url, "tls_client_auth"));
    let ca = pki.path().join("ca.pem");
    let key_text = std::fs::read_to_string(pki.path().join("client.key")).unwrap();
    let other_key = std::fs::read_to_string(pki.path().join("other.key")).unwrap();
    let with = |args: &[&str], cert: &str, key: &str| {
        sb.cmd()
            .arg("--ca-file")
            .arg(&ca)
            .args(args)
            .args(["--client-id", "mtls-client", "--field-file"])
            .arg(format!("client_certificate={dir}/{cert}"))
            .arg("--field-file")
            .arg(format!("client_key={dir}/{key}"))
            .output()
            .unwrap()
    };

    let out = with(
        &["-v", "link", "local-mtls", "--name", "adp"],
        "client.pem",
        "client.key",
    );
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "token valid for 3600 s");
    assert_kept_secret(&sb, &out, &[&pem_line(&key_text)]);
    let record = &sb.index()["accounts"][0];
    assert!(
        record["fields"].get("client_certificate").is_none(),
        "the certificate is kept with the key, not in the record: {record}"
    );
    let out = sb
        .cmd()
        .arg("--ca-file")
        .arg(&ca)
        .args(["token", "adp"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let out = sb
        .cmd()
        .arg("--ca-file")
        .arg(&ca)
        .args(["test", "--explain", "adp"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let shown = stdout(&out);
    assert_has(&shown, "[ ok ] client certificate");
    assert_has(
        &shown,
        "CN=mtls-client, issued by CN=credlink test CA, expires ",
    );
    // Issued for 400 days: 400 days left within its first second (a fast run), 399 after.
    assert!(
        shown.contains("(in 399 days)") || shown.contains("(in 400 days)"),
        "expected 399 or 400 days left in:\n{shown}"
    );
    assert_has(&shown, "[ ok ] tls");
    assert_kept_secret(&sb, &out, &[&pem_line(&key_text)]);

    // A certificate the server's CA did not issue: rejected, exit 3, nothing saved.
    let out = with(
        &["link", "local-mtls", "--name", "other"],
        "other.pem",
        "other.key",
    );
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_client");
    assert_has(&stderr(&out), "did not accept the client certificate");
    assert_kept_secret(&sb, &out, &[&pem_line(&other_key)]);
    assert_eq!(sb.account_names(), ["adp"]);
    // A key that does not belong to the certificate: a clear failure before any token.
    let out = with(
        &["test", "--connector", "local-mtls"],
        "client.pem",
        "other.key",
    );
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    assert_has(&stdout(&out), "does not belong to the client certificate");
    assert_kept_secret(&sb, &out, &[&pem_line(&other_key)]);
    // A certificate file that is not one: exit 2, naming the field.
    let out = with(
        &["test", "--connector", "local-mtls"],
        "client.key",
        "client.key",
    );
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "Client certificate: is not a PEM certificate",
    );
    assert_kept_secret(&sb, &out, &[&pem_line(&key_text)]);

    // No certificate at all: the server refuses the client.
    sb.write_connectors(&mtls_connector(&stub.url, "post"));
    let out = sb
        .cmd()
        .arg("--ca-file")
        .arg(&ca)
        .args([
            "test",
            "--connector",
            "local-mtls",
            "--client-id",
            "mtls-client",
        ])
        .env("CREDLINK_CLIENT_SECRET", MARKER)
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(
        &stdout(&out),
        "a client certificate issued by the trusted CA is required",
    );
    assert_hidden(&out, MARKER);
}

// ---- token_exchange ----

fn exchange_connectors(url: &str) -> String {
    format!(
        r#"
[connectors.local-kenjo]
name = "Local (Kenjo-style)"
auth = "token_exchange"

[connectors.local-kenjo.exchange]
url = "{url}/api/v1/auth/login"
json_body = '{{"apiKey": "{{api_key}}"}}'
token_pointer = "/token"
token_prefix = "Bearer "
expires_in = 3600

[[connectors.local-kenjo.fields]]
id = "api_key"
label = "API key"
secret = true

[connectors.local-breezy]
name = "Local (Breezy-style)"
auth = "token_exchange"

[connectors.local-breezy.exchange]
url = "{url}/v3/signin"
json_body = '{{"email": "{{email}}", "password": "{{password}}"}}'
token_pointer = "/access_token"

[[connectors.local-breezy.fields]]
id = "email"
label = "Email"
pattern = "^[^@\\s]+@[^@\\s]+$"

[[connectors.local-breezy.fields]]
id = "password"
label = "Password"
secret = true

[connectors.local-broken]
name = "Local (broken sign-in)"
auth = "token_exchange"

[connectors.local-broken.exchange]
url = "{url}/broken/signin"
json_body = '{{"apiKey": "{{api_key}}"}}'
token_pointer = "/token"

[[connectors.local-broken.fields]]
id = "api_key"
label = "API key"
secret = true

[connectors.local-empty]
name = "Local (no token)"
auth = "token_exchange"

[connectors.local-empty.exchange]
url = "{url}/empty/signin"
json_body = '{{"apiKey": "{{api_key}}"}}'
token_pointer = "/token"

[[connectors.local-empty.fields]]
id = "api_key"
label = "API key"
secret = true
"#
    )
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, node): run scripts/test"
)]
#[test]
fn a_token_exchange_signs_in_and_every_failure_is_classified() {
    let Some(()) = keyring() else { return };
    let Some(stub) = Peer::start_stub(&["exchange"]) else {
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&exchange_connectors(&stub.url));

    // Kenjo-style: an API key for a token, its `Bearer ` prefix removed.
    let out = sb
        .cmd()
        .args([
            "-v",
            "link",
            "local-kenjo",
            "--name",
            "kenjo",
            "--api-key-stdin",
        ])
        .write_stdin("kenjo-key\n")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "token valid for 3600 s");
    assert_has(&stderr(&out), r#"{"apiKey":"(redacted)"}"#);
    assert_kept_secret(&sb, &out, &["kenjo-key"]);
    let out = sb
        .cmd()
        .args(["token", "kenjo", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let token = text(&json(&out)["access_token"]).to_owned();
    assert!(!token.starts_with("Bearer") && token.len() == 48, "{token}");
    assert_lacks(&index_text(&sb), &token, "the index");
    let out = sb
        .cmd()
        .args(["test", "--explain", "kenjo"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_has(
        &stdout(&out),
        "[ ok ] exchange             token issued, valid 3600 s",
    );
    let out = sb
        .cmd()
        .args(["link", "local-kenjo", "--name", "wrong", "--api-key-stdin"])
        .write_stdin(format!("{MARKER}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "HTTP 401: Unauthorized");
    assert_kept_secret(&sb, &out, &[MARKER]);

    // Breezy-style: email and password; the password from stdin.
    let breezy = |password: &str, extra: &[&str]| {
        sb.cmd()
            .args(["link", "local-breezy", "--field", "email=hr@example.com"])
            .args(["--secret-stdin", "password"])
            .args(extra)
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap()
    };
    let out = breezy("breezy-pass", &["--name", "breezy"]);
    assert_exit(&out, 0);
    assert_kept_secret(&sb, &out, &["breezy-pass"]);
    assert_eq!(sb.keychain_secret("breezy").as_deref(), Some("breezy-pass"));
    let out = sb
        .cmd()
        .args(["test", "breezy", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let out = breezy(MARKER, &["--name", "breezy-wrong"]);
    assert_exit(&out, 3);
    assert_kept_secret(&sb, &out, &[MARKER]);
    let out = breezy("pass\u{a0}word", &["--name", "breezy-bad"]);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "the Password contains a non-breaking space");
    assert_eq!(sb.account_names(), ["kenjo", "breezy"]);

    // Malformed answers: not JSON, or JSON without the token: exit 4, nothing saved.
    for (connector, cause) in [
        (
            "local-broken",
            "the answer is not JSON: an HTML page titled",
        ),
        ("local-empty", "the answer has no token at /token"),
    ] {
        let out = sb
            .cmd()
            .args(["link", connector, "--api-key-stdin"])
            .write_stdin("kenjo-key\n")
            .output()
            .unwrap();
        assert_exit(&out, 4);
        assert_has(&stderr(&out), cause);
        let out = sb
            .cmd()
            .args([
                "test",
                "--explain",
                "--connector",
                connector,
                "--api-key-stdin",
            ])
            .write_stdin("kenjo-key\n")
            .output()
            .unwrap();
        assert_exit(&out, 4);
        assert_has(&stdout(&out), "[FAIL] exchange");
    }
    assert_eq!(sb.account_names(), ["kenjo", "breezy"]);
}
