//! No secret on the command line, in the environment or in a panic message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;
use crate::support::*;

#[cfg(target_os = "linux")]
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_process_command_line() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let Some(()) = faults_built_in() else { return };
    let Some(()) = keyring() else { return };
    // A token endpoint that accepts any client, so that MARKER itself is linked.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok-5e1c-guarantees",
            "token_type": "Bearer",
            "expires_in": 600
        })))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "",
        "",
    ));

    let point = "link:after_keychain_write";
    let mut cmd = sb.std_cmd();
    cmd.args([
        "link",
        "mock",
        "--name",
        "acct",
        "--client-id",
        "mock-client",
        "--client-secret-stdin",
    ]);
    let paused = Paused::start(cmd, point, &format!("{MARKER}\n"));
    let pid = paused.pid();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    // The process read whole, while it holds the secret (it is in the keychain already).
    assert!(contains_bytes(&cmdline, b"--client-secret-stdin"));
    assert!(contains_bytes(
        &environ,
        format!("CREDLINK_FAULT=pause@{point}").as_bytes()
    ));
    assert_eq!(sb.keychain_secret("acct").as_deref(), Some(MARKER));
    let sent = server.received_requests().await.unwrap();
    assert!(
        sent.iter()
            .any(|r| contains_bytes(&r.body, format!("client_secret={MARKER}").as_bytes())),
        "the marker was the secret sent to the provider"
    );
    assert!(
        !contains_bytes(&cmdline, MARKER.as_bytes()),
        "/proc/{pid}/cmdline holds the secret"
    );
    assert!(
        !contains_bytes(&environ, MARKER.as_bytes()),
        "/proc/{pid}/environ holds the secret"
    );
    paused.kill();
    assert_orphan_is_cleaned_up(&sb, "acct");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn an_injected_panic_prints_no_secret() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();

    let out = sb
        .cmd()
        .args([
            "link",
            "local-basic",
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
            "-v",
        ])
        .env("CREDLINK_FAULT", "panic@link:after_keychain_write")
        .env("RUST_BACKTRACE", "1")
        .write_stdin(format!("{BASIC_SECRET}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 101);
    let err = stderr(&out);
    assert_has(&err, "injected panic at link:after_keychain_write");
    assert_has(&err, "> authorization: (redacted)");
    for leak in [
        BASIC_SECRET.to_owned(),
        BASE64.encode(BASIC_SECRET),
        BASE64.encode(format!("basic-client:{BASIC_SECRET}")),
    ] {
        assert_lacks(&err, &leak, "stderr of a panic");
        assert_lacks(&stdout(&out), &leak, "stdout of a panic");
    }
    // The panic struck between the two writes: an orphan secret, no account.
    assert_listed(&sb, &[]);
    assert_config_dir_lacks(&sb, BASIC_SECRET);
    assert_orphan_is_cleaned_up(&sb, "local-basic");
}
