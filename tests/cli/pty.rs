//! The interactive prompts, driven through a pseudo-terminal as a person would type.

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

use crate::support::*;

fn spawn(sb: &Sandbox, args: &[&str]) -> PtySession {
    let mut cmd = sb.std_cmd();
    cmd.args(args).env("TERM", "xterm");
    spawn_command(cmd, Some(20_000)).expect("credlink starts in a pty")
}

fn exit_code(session: &PtySession) -> i32 {
    match session.process().wait().expect("credlink exits") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("credlink did not exit normally: {other:?}"),
    }
}

/// A one-key confirmation: no Enter, so the key must be flushed to the terminal by itself.
fn answer(p: &mut PtySession, key: &str) {
    p.exp_string("[y/N]").unwrap();
    p.send(key).unwrap();
    p.flush().unwrap();
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn interactive_link_prompts_validates_and_hides_the_secret() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
    let mut p = spawn(&sb, &["link", "local-basic"]);
    p.exp_string("Linking Local (basic)").unwrap();
    p.exp_string("Use basic-client / basic-secret.").unwrap();
    p.exp_string("Client ID (lowercase letters)").unwrap();
    p.send_line("Bad_ID").unwrap();
    p.exp_string("does not match ^[a-z-]+$").unwrap();
    p.send_line("basic-client").unwrap();
    p.exp_string("Client secret (input hidden)").unwrap();
    p.send_line("basic-secret").unwrap();
    let before_name = p.exp_string("Account name").unwrap();
    assert!(
        !before_name.contains("basic-secret"),
        "the secret was echoed: {before_name:?}"
    );
    p.send_line("mine").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("Linked mine (Local (basic))"), "{rest}");
    assert!(!rest.contains("basic-secret"));
    assert_eq!(exit_code(&p), 0);
    assert_eq!(sb.account_names(), ["mine"]);
    assert_eq!(sb.keychain_secret("mine").as_deref(), Some("basic-secret"));
    assert!(peer.requests().contains(&"REQ POST /token 200".to_owned()));
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn interactive_name_prompt_refuses_a_linked_name_and_revoke_asks_first() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
    sb.cmd()
        .args([
            "link",
            "local-basic",
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
        ])
        .write_stdin("basic-secret\n")
        .assert()
        .code(0);

    let mut p = spawn(&sb, &["link", "local-basic", "--client-id", "basic-client"]);
    p.exp_string("Client secret (input hidden)").unwrap();
    p.send_line("basic-secret").unwrap();
    p.exp_string("Account name").unwrap();
    p.send_line("").unwrap(); // accept the default, local-basic, which is taken
    p.exp_string("`local-basic` is already linked").unwrap();
    p.send_line("second").unwrap();
    p.exp_string("Linked second").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(sb.account_names(), ["local-basic", "second"]);

    let mut p = spawn(&sb, &["revoke", "second"]);
    p.exp_string("Remove second (Local (basic)) from the keychain and the index, and revoke its last token at the provider?")
        .unwrap();
    answer(&mut p, "n");
    p.exp_string("Nothing was changed.").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(sb.account_names(), ["local-basic", "second"]);

    let mut p = spawn(&sb, &["revoke", "second"]);
    p.exp_string("Remove second").unwrap();
    answer(&mut p, "y");
    p.exp_string("Revoked second: removed from the index and the keychain")
        .unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&p), 0);
    assert_eq!(sb.account_names(), ["local-basic"]);
    assert_eq!(sb.keychain_secret("second"), None);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn test_all_shows_a_progress_bar_at_a_terminal_but_not_with_json() {
    // A delay per request keeps the bar on screen long enough to be drawn.
    let Some(peer) = Peer::start_with(&["--delay-ms", "300"]) else {
        return;
    };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
    for name in ["a", "b", "c"] {
        sb.cmd()
            .args(["link", "local-basic", "--name", name])
            .args(["--client-id", "basic-client", "--client-secret-stdin"])
            .write_stdin("basic-secret")
            .assert()
            .code(0);
    }

    let mut p = spawn(&sb, &["test", "--all", "--concurrency", "1"]);
    p.exp_string("accounts checked").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("c (Local (basic)): valid"), "{rest}");
    assert_eq!(exit_code(&p), 0);

    let mut p = spawn(&sb, &["--json", "test", "--all", "--concurrency", "1"]);
    let all = p.exp_eof().unwrap();
    assert!(!all.contains("accounts checked"), "{all}");
    let json: serde_json::Value = serde_json::from_str(all.trim()).expect("only JSON in the pty");
    assert_eq!(json.as_array().map(Vec::len), Some(3), "{all}");
    assert_eq!(exit_code(&p), 0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subdomain_prompt_takes_a_pasted_sign_in_url() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/t/acme/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok-pty-8c1d",
            "token_type": "Bearer",
            "expires_in": 600
        })))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&subdomain_connector(&server.uri()));

    let mut p = spawn(&sb, &["link", "mock", "--name", "acme"]);
    p.exp_string("Client ID").unwrap();
    p.send_line("mock-client").unwrap();
    p.exp_string("Client secret (input hidden)").unwrap();
    p.send_line(MARKER).unwrap();
    p.exp_string("Mock subdomain").unwrap();
    p.send_line("https://www.example.com").unwrap();
    p.exp_string("does not match").unwrap();
    p.send_line("https://acme.example.com/dashboard").unwrap();
    p.exp_string("took the Mock subdomain `acme` from the URL given")
        .unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("Linked acme (Mock OAuth)"), "{rest}");
    assert!(!rest.contains(MARKER), "{rest}");
    assert_eq!(exit_code(&p), 0);
    assert_eq!(sb.index()["accounts"][0]["fields"]["subdomain"], "acme");
}
