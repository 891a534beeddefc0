//! What `exec` refuses before anything runs: a command line without `--` or without a command,
//! an account that is not linked, a command that cannot run, names that would set the same
//! variable, `--json`.

use super::*;

/// A command that leaves a file behind when it runs.
fn touch(sb: &Sandbox) -> (String, std::path::PathBuf) {
    let file = sb.dir.path().join("ran");
    (file.to_string_lossy().into_owned(), file)
}

#[test]
fn bad_usage_exits_2_and_runs_nothing() {
    let sb = Sandbox::new();
    let (arg, file) = touch(&sb);
    // Without `--`, the command's words are names, and the command is missing.
    exec(&sb, &["acme-hr", "touch", &arg])
        .then()
        .exits(2)
        .stderr_has("<CMD>")
        .stderr_has("-- <CMD>");
    exec(&sb, &["acme-hr", "--"])
        .then()
        .exits(2)
        .stderr_has("<CMD>");
    exec(&sb, &["--", "touch", &arg])
        .then()
        .exits(2)
        .stderr_has("<NAME>");
    exec(&sb, &["acme-hr", "--json", "--", "touch", &arg])
        .then()
        .exits(2)
        .stderr_has("exec does not take --json");
    exec(&sb, &["acme-hr", "acme-hr", "--", "touch", &arg])
        .then()
        .exits(2)
        .stderr_has("`acme-hr` is named twice");
    exec(&sb, &["acme-hr", "acme_hr", "--", "touch", &arg])
        .then()
        .exits(2)
        .stderr_has("`acme-hr` and `acme_hr` would both set CREDLINK_ACME_HR_...");
    exec(&sb, &["bad/name", "--", "touch", &arg])
        .then()
        .exits(2)
        .stderr_has("account name `bad/name`");
    assert!(!file.exists(), "nothing ran");
}

#[test]
fn an_account_that_is_not_linked_is_not_found_and_nothing_runs() {
    let sb = Sandbox::new();
    let (arg, file) = touch(&sb);
    exec(&sb, &["nope", "--", "touch", &arg])
        .then()
        .exits(6)
        .stderr_has("no linked account named `nope`");
    assert!(!file.exists(), "nothing ran");
}

#[test]
fn a_command_that_cannot_run_exits_127_or_126_as_a_shell_does() {
    let sb = Sandbox::new();
    exec(&sb, &["acme-hr", "--", "no-such-command-credlink"])
        .then()
        .exits(127)
        .stderr_has("command not found: `no-such-command-credlink`");
    let plain = sb.dir.path().join("plain.sh");
    std::fs::write(&plain, "#!/bin/sh\ntrue\n").unwrap();
    exec(&sb, &["acme-hr", "--", plain.to_str().unwrap()])
        .then()
        .exits(126)
        .stderr_has("is not an executable file");
    exec(&sb, &["acme-hr", "--", sb.dir.path().to_str().unwrap()])
        .then()
        .exits(126);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_command_that_cannot_run_spends_no_token() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    assert_eq!(seen(&peer, TOKEN_OK, 1), 1);
    exec(
        &sb,
        &["acme-hr", "--fresh", "--", "no-such-command-credlink"],
    )
    .then()
    .exits(127);
    assert_eq!(seen(&peer, TOKEN_OK, 1), 1, "no token request");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn credentials_that_fail_exit_with_their_class_and_nothing_runs() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    let (arg, file) = touch(&sb);
    // The secret is gone from the keychain: not found, with the next step.
    sb.clear_secret("acme-hr");
    exec(&sb, &["acme-hr", "--", "touch", &arg])
        .then()
        .exits(6)
        .stderr_has("error: no token for `acme-hr`")
        .stderr_has("next: credlink link mock --name acme-hr --force");
    assert!(!file.exists(), "nothing ran");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread")]
async fn credentials_the_provider_now_rejects_exit_3_with_the_hint_and_nothing_runs() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let answer = |status: u16, body: serde_json::Value| {
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
    };
    answer(
        200,
        serde_json::json!({"access_token": "tok-exec-rejected", "token_type": "Bearer", "expires_in": 600}),
    )
    .mount(&server)
    .await;
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "hints = { invalid_client = \"EXEC-HINT: the client was deleted.\" }",
        "",
    ));
    sb.when(&[
        "link",
        "mock",
        "--name",
        "acme-hr",
        "--client-id",
        "c",
        "--client-secret-stdin",
    ])
    .stdin(&format!("{MARKER}\n"))
    .then()
    .exits(0);
    server.reset().await;
    answer(401, serde_json::json!({"error": "invalid_client"}))
        .mount(&server)
        .await;
    let (arg, file) = touch(&sb);
    exec(&sb, &["acme-hr", "--fresh", "--", "touch", &arg])
        .then()
        .exits(3)
        .stderr_has("error: the provider did not issue a token for `acme-hr`")
        .stderr_has("EXEC-HINT: the client was deleted.")
        .stderr_has("next: credlink link mock --name acme-hr --force")
        .hides(MARKER);
    assert!(!file.exists(), "nothing ran");
}
