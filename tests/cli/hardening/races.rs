//! Runs at once: `test --all` racing a relink, a token fetched while revoking, a run that
//! waited for a rotation, a busy account (class 8).

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

/// Class 8: `test --all` racing `link --force` of the same account, at 20 different offsets,
/// never reports it `secret_missing` nor records that on the new record.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_all_racing_a_relink_never_reports_the_secret_missing() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    answer_with(&server, token_answer(json!({}))).await;
    let sb = mock_sandbox(&server, "", "");
    link(&sb, SECRET, &["--name", "raced"]).then().exits(0);

    let mut failures = Vec::new();
    for round in 0..20_u64 {
        let relink = link(&sb, SECRET, &["--name", "raced", "--force"]).spawn();
        // `test --all` starts 0 to 152 ms after the relink: before, during and after its
        // switch from one keychain entry to the other.
        std::thread::sleep(Duration::from_millis(round * 8));
        let tester = spawn(sb.std_cmd().args(["test", "--all", "--json"]), "");
        let (relink, tester) = (finish(relink), finish(tester));
        assert_exit(&relink, 0);
        if stdout(&tester).contains("secret_missing") {
            failures.push(format!("round {round}: test --all said secret_missing"));
        }
        let recorded = sb.index()["accounts"][0]["last_status"].clone();
        if recorded == "secret_missing" {
            failures.push(format!("round {round}: the index now says secret_missing"));
        }
    }
    assert_no_failures(&failures);
}

/// Class 8: `token --fresh` racing `revoke`: a token obtained after the revoke removed the
/// account must not stay cached out of reach; a second `revoke` exits 0 or 6, and nothing is
/// left in the keychain, under the secrets' service or the token cache's (any entry name).
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_fetched_while_revoking_does_not_outlive_the_account() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let sb = mock_sandbox(
        &server,
        &format!("revoke_url = \"{}/revoke\"", server.uri()),
        "",
    );
    let mut failures = Vec::new();
    for round in 0..3 {
        server.reset().await;
        // The first token (for `link`) at once, the next one (for `token`) after 1.5 s.
        Mock::given(path("/token"))
            .respond_with(token_answer(json!({})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/token"))
            .respond_with(token_answer(json!({})).set_delay(Duration::from_millis(1500)))
            .mount(&server)
            .await;
        Mock::given(path("/revoke"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let name = format!("raced-{round}");
        link(&sb, SECRET, &["--name", &name]).then().exits(0);

        let token = spawn(sb.std_cmd().args(["token", &name, "--fresh"]), "");
        std::thread::sleep(Duration::from_millis(300));
        let first = run(&sb, &["revoke", &name, "--yes"]);
        let token = finish(token);
        let second = run(&sb, &["revoke", &name, "--yes"]);
        if !matches!(second.status.code(), Some(0 | 6)) {
            failures.push(format!("round {round}, second revoke: {}", brief(&second)));
        }
        let left = (sb.secrets_in(""), sb.secrets_in(":token"));
        if !left.0.is_empty() || !left.1.is_empty() {
            failures.push(format!(
                "round {round}: left in the keychain after two revokes (secrets, tokens): {left:?}\n  first revoke: {}\n  token: {}\n  second revoke: {}",
                brief(&first),
                brief(&token),
                brief(&second)
            ));
        }
    }
    assert_no_failures(&failures);
}

/// After a Ctrl-C that waited for a rotated refresh token to be stored, `test` prints what it
/// found before it exits 130, as `link` and `token` do: one account or `--all`, in text and
/// `--json` (one document), and `--explain`. The rotated token is stored.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_test_that_waited_for_a_rotation_prints_its_result_before_it_ends() {
    const REFRESH_SECRET: &str = "refresh-secret";
    let Some(()) = faults_built_in() else {
        return;
    };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&format!(
        "{}\n{}",
        refresh_connectors(&peer),
        peer.connectors()
    ));
    let minted = peer.call("POST", "/test/refresh-token");
    let out = sb
        .cmd()
        .args(link_refresh_args("wd"))
        .env("CREDLINK_CLIENT_SECRET", REFRESH_SECRET)
        .write_stdin(format!("{}\n", text(&minted["refresh_token"])))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let basic = [
        "link",
        "local-basic",
        "--name",
        "basic",
        "--client-id",
        "basic-client",
        "--client-secret-stdin",
    ];
    let out = sb
        .cmd()
        .args(basic)
        .write_stdin("basic-secret\n")
        .output()
        .unwrap();
    assert_exit(&out, 0);

    let mut failures = Vec::new();
    for (i, args) in [
        &["test", "wd"][..],
        &["test", "wd", "--json"],
        &["test", "--all"],
        &["test", "--all", "--json"],
        &["test", "--explain", "wd"],
        &["test", "--explain", "wd", "--json"],
    ]
    .into_iter()
    .enumerate()
    {
        let case = args.join(" ");
        let stored_before = sb.keychain_secret("wd");
        let flag = sb.dir.path().join(format!("resume-{i}"));
        let mut cmd = sb.std_cmd();
        cmd.args(args).env("CREDLINK_FAULT_RESUME", &flag);
        let mut paused = Paused::start(cmd, "rotate:before_store", "");
        paused.interrupt();
        paused.expect_line("stopping once the refresh token in use is stored");
        let out = paused.resume(&flag);
        if out.status.code() != Some(130) {
            failures.push(format!("{case}: {}", brief(&out)));
        }
        if sb.keychain_secret("wd") == stored_before {
            failures.push(format!("{case}: the rotated refresh token was not stored"));
        }
        let printed =
            if args.contains(&"--json") {
                match one_json_document(&out) {
                    Ok(doc) if args.contains(&"--explain") => doc["ok"] == true,
                    Ok(doc) => doc.as_array().into_iter().flatten().any(|r| {
                        r["name"] == "wd" && r["status"] == "valid" && r["rotated"] == true
                    }),
                    Err(why) => {
                        failures.push(format!("{case}: {why}"));
                        true
                    }
                }
            } else if args.contains(&"--explain") {
                stdout(&out).contains("Result: every step passed")
            } else {
                stdout(&out).contains("wd (Local (refresh token)): valid")
            };
        if !printed {
            failures.push(format!(
                "{case}: the result is not printed: {}",
                brief(&out)
            ));
        }
        assert_hidden(&out, REFRESH_SECRET);
    }
    sb.when(&["test", "--all"]).then().exits(0);
    assert_no_failures(&failures);
}

/// A hint that says to run the command again names the command that was run, as it was
/// typed: here another run holds the account's refresh token (exit 7) for `test`, `token`
/// and `revoke`, in text and `--json`.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[test]
fn a_busy_account_is_retried_with_the_command_that_was_run() {
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
    sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
    let secret = json!({"client_secret": "busy-client-secret", "refresh_token": "busy-refresh"});
    sb.store_secret("wd", &secret.to_string());
    // Another run's turn: the lock of the account's lock file, held by this test.
    let held = std::fs::File::create(sb.config_dir().join("refresh-wd.lock")).unwrap();
    held.lock().unwrap();
    let mut failures = Vec::new();
    for args in [
        &["test", "wd"][..],
        &["token", "wd", "--fresh"],
        &["revoke", "wd", "--yes"],
        &["--json", "token", "wd", "--fresh"],
    ] {
        let out = run_env(&sb, &[("CREDLINK_REFRESH_WAIT", "0")], args);
        let again = format!("`credlink {}`", args.join(" "));
        let shown = format!("{}{}", stdout(&out), stderr(&out));
        if out.status.code() != Some(7) || !shown.contains(&again) {
            failures.push(format!(
                "{}: {again} is not named: {}",
                args.join(" "),
                brief(&out)
            ));
        }
    }
    assert_eq!(sb.account_names(), ["wd"]);
    sb.clear_secret("wd");
    assert_no_failures(&failures);
}
