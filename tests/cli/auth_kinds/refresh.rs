//! `oauth2_refresh_token`: rotation stored before success, runs taking turns, crashes, relinks
//! and Ctrl-C during a rotation.

use serde_json::Value;

use crate::support::*;

const REFRESH_SECRET: &str = "refresh-secret";

/// A refresh token for refresh-client, as an admin would generate one.
fn mint(peer: &Peer) -> String {
    text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned()
}

/// `link local-refresh --name NAME` with the refresh token on stdin.
fn link_refresh(sb: &Sandbox, name: &str, refresh_token: &str, extra: &[&str]) -> When {
    sb.when(&[&link_refresh_args(name)[..], extra].concat())
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .stdin(&format!("{refresh_token}\n"))
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
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
    let first = mint(&peer);
    link_refresh(&sb, "wd", &first, &[]).then().exits(0);
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
    let out = sb.when(&["test", "wd", "--json"]).then().exits(0).out;
    assert_eq!(json(&out)[0]["rotated"], true, "{}", describe(&out));

    // The turns were taken on a lock file beside the index; `revoke` removes it too.
    let lock = sb.config_dir().join("refresh-wd.lock");
    assert!(lock.exists(), "{} while linked", lock.display());
    sb.when(&["revoke", "wd", "--yes", "--local"])
        .then()
        .exits(0);
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
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
    let first = mint(&peer);

    // link: the rotated token is the one stored.
    let out = link_refresh(&sb, "wd", &first, &[])
        .then()
        .exits(0)
        .stdout_has("Linked wd (Local (refresh token)): HTTP 200")
        .stderr_has("the provider rotated the refresh token; the new one is stored")
        .out;
    let second = stored_refresh_token(&sb, "wd");
    assert_ne!(second, first);
    assert_kept_secret(&sb, &[&out], &[&first, &second, REFRESH_SECRET]);

    // test: rotates again, stores the new one, and says so.
    let out = sb.when(&["test", "wd", "--json"]).then().exits(0).out;
    let result = &json(&out)[0];
    assert_eq!(result["ok"], true);
    assert_eq!(result["rotated"], true);
    let third = stored_refresh_token(&sb, "wd");
    assert_ne!(third, second);
    assert_kept_secret(&sb, &[&out], &[&second, &third, REFRESH_SECRET]);
    assert_eq!(
        sb.index()["accounts"][0]["last_status"],
        "valid",
        "the result is recorded on the record the rotation wrote"
    );

    let out = sb
        .when(&["-v", "test", "wd"])
        .then()
        .exits(0)
        .stdout_has("wd (Local (refresh token)): valid")
        .stdout_has("note: the provider rotated the refresh token; the new one is stored")
        .out;
    let fourth = stored_refresh_token(&sb, "wd");
    assert_kept_secret(&sb, &[&out], &[&third, &fourth, REFRESH_SECRET]);

    // token: a fresh token on stdout, the rotated refresh token stored first.
    let out = sb.when(&["token", "wd", "--fresh"]).then().exits(0).out;
    let access = stdout(&out).trim().to_owned();
    assert!(access.len() > 20, "{access}");
    let fifth = stored_refresh_token(&sb, "wd");
    assert_ne!(fifth, fourth);
    assert_kept_secret(&sb, &[&out], &[&fourth, &fifth, REFRESH_SECRET]);
    // ... and cached with the account, so the next call reuses it.
    let out = sb.when(&["token", "wd", "--json"]).then().exits(0).out;
    assert_eq!(json(&out)["cached"], true);
    assert_eq!(stored_refresh_token(&sb, "wd"), fifth);

    // --explain takes the same path: it stores the rotation too.
    let out = sb
        .when(&["test", "--explain", "wd"])
        .then()
        .exits(0)
        .stdout_has("[ ok ] oauth")
        .stdout_has("the new one is stored")
        .out;
    let sixth = stored_refresh_token(&sb, "wd");
    assert_ne!(sixth, fifth);
    assert_kept_secret(&sb, &[&out], &[&fifth, &sixth, REFRESH_SECRET]);

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
    assert_kept_secret(&sb, &[&out], &[&first, REFRESH_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_refused_refresh_token_saves_nothing_and_bad_input_exits_2() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));

    let bogus = format!("{MARKER}-not-issued");
    let out = link_refresh(&sb, "wd", &bogus, &[])
        .then()
        .exits(3)
        .stderr_has("nothing was saved")
        .stderr_has("invalid_grant")
        .out;
    assert_kept_secret(&sb, &[&out], &[&bogus, REFRESH_SECRET]);
    assert!(sb.secrets_in("").is_empty(), "nothing in the keychain");
    assert!(sb.account_names().is_empty());

    // A zero-width space inside the refresh token: exit 2, naming the field, nothing sent.
    link_refresh(&sb, "wd", "abc\u{200b}defghijk", &[])
        .then()
        .exits(2)
        .stderr_has("Refresh token contains a zero-width character");
    // Missing without a terminal: exit 2, naming how to give it.
    sb.when(&[
        "link",
        "local-refresh",
        "--client-id",
        "refresh-client",
        "--no-input",
    ])
    .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
    .then()
    .exits(2)
    .stderr_has("--secret-stdin refresh_token");
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
        let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
        link_refresh(&sb, "wd", &mint(&peer), &[]).then().exits(0);
        let linked = stored_refresh_token(&sb, "wd");
        let index_before = sb.index_text();
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
        sb.when(&["test", "wd"])
            .then()
            .exits(3)
            .stdout_has("next: credlink link local-refresh --name wd --force")
            .hides(&linked);
    }
    // A panic at that point prints no secret.
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
    let first = mint(&peer);
    link_refresh(&sb, "wd", &first, &[]).then().exits(0);
    let linked = stored_refresh_token(&sb, "wd");
    let out = sb
        .when(&["-v", "test", "wd"])
        .env("CREDLINK_FAULT", "panic@rotate:before_store")
        .then()
        .out;
    assert_ne!(out.status.code(), Some(0));
    assert_kept_secret(&sb, &[&out], &[&first, &linked, REFRESH_SECRET]);
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
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
    link_refresh(&sb, "wd", &mint(&peer), &[]).then().exits(0);
    let flag = sb.dir.path().join("resume");
    let mut cmd = sb.std_cmd();
    cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
    let paused = Paused::start(cmd, "rotate:before_store", "");

    let relinked = mint(&peer);
    link_refresh(&sb, "wd", &relinked, &["--force"])
        .then()
        .exits(0);
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
    sb.when(&["test", "wd"]).then().exits(0);
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
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
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
    assert_kept_secret(&sb, &[&out], &[&given, &linked, REFRESH_SECRET]);
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
    assert_kept_secret(&sb, &[&out], &[&linked, &kept, REFRESH_SECRET]);
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
    sb.when(&["test", "wd"]).then().exits(0);

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
    sb.when(&["test", "wd"])
        .then()
        .exits(3)
        .stdout_has("invalid_grant");
}
