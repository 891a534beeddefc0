//! The interactive prompts, driven through a pseudo-terminal as a person would type.

use std::process::Command as StdCommand;

use nix::sys::termios::LocalFlags;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

use crate::support::*;

fn spawn(sb: &Sandbox, args: &[&str]) -> PtySession {
    let mut cmd = sb.std_cmd();
    cmd.args(args).env("TERM", "xterm");
    spawn_command(cmd, Some(20_000)).expect("credlink starts in a pty")
}

/// `program` with the sandbox's environment (config dir, keychain service, connectors file).
fn in_sandbox(sb: &Sandbox, program: &str) -> StdCommand {
    let mut cmd = StdCommand::new(program);
    for (key, value) in sb.std_cmd().get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd.env("TERM", "xterm");
    cmd
}

/// credlink in a pty that echoes what is typed, as a person's terminal does (rexpect turns
/// echo off); `exec` keeps credlink's own exit status.
fn spawn_echoing(sb: &Sandbox, args: &[&str]) -> PtySession {
    let mut cmd = in_sandbox(sb, "sh");
    cmd.args(["-c", r#"stty echo && exec "$0" "$@""#])
        .arg(env!("CARGO_BIN_EXE_credlink"))
        .args(args);
    spawn_command(cmd, Some(20_000)).expect("credlink starts in a pty")
}

/// The terminal's line settings as credlink left them (read through the pty's master side).
fn terminal_settings(session: &PtySession) -> LocalFlags {
    let pty = session.process().get_file_handle().unwrap();
    nix::sys::termios::tcgetattr(&pty).unwrap().local_flags
}

const HIDE_CURSOR: &str = "\x1b[?25l";
const SHOW_CURSOR: &str = "\x1b[?25h";

fn account(name: &str, connector: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "connector": connector,
        "auth": "oauth2_client_credentials",
        "fields": {},
        "linked_at": "2026-01-01T00:00:00Z",
    })
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
    let sb = peer.sandbox();
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
    let sb = peer.sandbox();
    sb.when(&[
        "link",
        "local-basic",
        "--client-id",
        "basic-client",
        "--client-secret-stdin",
    ])
    .stdin("basic-secret\n")
    .then()
    .exits(0);

    let mut p = spawn(&sb, &["link", "local-basic", "--client-id", "basic-client"]);
    p.exp_string("Client secret (input hidden)").unwrap();
    p.send_line("basic-secret").unwrap();
    p.exp_string("Account name [local-basic]").unwrap();
    p.send_line("").unwrap(); // accept the default, local-basic, which is taken
    p.exp_string("`local-basic` is already linked").unwrap();
    // The prompt then offers a free name, not the taken one again.
    p.exp_string("Account name [local-basic-2]").unwrap();
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
    let sb = peer.sandbox();
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
    let sb = Sandbox::with_connectors(&subdomain_connector(&server.uri()));

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

#[test]
fn ctrl_c_at_the_revoke_confirmation_restores_the_cursor_and_exits_130() {
    let sb = Sandbox::new();
    sb.write_index(&[account("acme", "personio")]);
    let mut p = spawn(&sb, &["revoke", "acme"]);
    p.exp_string("[y/N]").unwrap();
    p.send_control('c').unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    let (hidden, shown) = (rest.rfind(HIDE_CURSOR), rest.rfind(SHOW_CURSOR));
    assert!(
        hidden.is_some(),
        "the confirmation hides the cursor: {rest:?}"
    );
    assert!(shown > hidden, "the cursor was left hidden: {rest:?}");
    assert_eq!(exit_code(&p), 130);
    assert_eq!(sb.account_names(), ["acme"]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn ctrl_c_at_a_text_or_secret_prompt_restores_the_terminal_and_exits_130() {
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&oauth_connector("http://127.0.0.1:9/token", "post", "", ""));
    for at_secret in [false, true] {
        let mut p = spawn_echoing(&sb, &["link", "mock"]);
        p.exp_string("Client ID").unwrap();
        if at_secret {
            p.send_line("mock-client").unwrap();
            p.exp_string("Client secret (input hidden)").unwrap();
            p.send(MARKER).unwrap();
        }
        p.send_control('c').unwrap();
        p.flush().unwrap();
        let rest = p.exp_eof().unwrap();
        assert!(!rest.contains(MARKER), "{rest:?}");
        assert_eq!(exit_code(&p), 130, "at_secret: {at_secret}");
        let settings = terminal_settings(&p);
        assert!(
            settings.contains(LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG),
            "at_secret: {at_secret}: no echo or line editing left: {settings:?}"
        );
    }
    assert!(sb.account_names().is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn the_secret_prompt_says_why_an_empty_value_is_refused_and_ends_on_ctrl_d() {
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&oauth_connector("http://127.0.0.1:9/token", "post", "", ""));
    let mut p = spawn(&sb, &["link", "mock", "--client-id", "mock-client"]);
    p.exp_string("Client secret (input hidden)").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Client secret: is empty").unwrap();
    p.exp_string("Client secret (input hidden)").unwrap();
    p.send_control('d').unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("the input ended (Ctrl-D)"), "{rest:?}");
    assert_eq!(exit_code(&p), 2);
    assert!(sb.account_names().is_empty());
}

/// An interactive `shell` in a pty, with credlink on its PATH and the sandbox's environment;
/// `None` (a skip, a failure in CI) when the shell is not installed.
fn shell(sb: &Sandbox, program: &str, args: &[&str]) -> Option<PtySession> {
    if StdCommand::new(program)
        .arg("-c")
        .arg("true")
        .output()
        .is_err()
    {
        return skip_or_fail(program);
    }
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_credlink"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = sb.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // A terminal that echoes, of a size: bash's line editor shows nothing without echo.
    let mut cmd = in_sandbox(sb, "sh");
    cmd.args([
        "-c",
        r#"stty echo cols 200 rows 50 && exec "$0" "$@""#,
        program,
    ])
    .args(args)
    .env("PATH", path)
    .env("HOME", &home)
    .env("XDG_CONFIG_HOME", home.join(".config"))
    .env("XDG_DATA_HOME", home.join(".local/share"))
    .current_dir(&home);
    Some(spawn_command(cmd, Some(20_000)).expect("the shell starts in a pty"))
}

/// Accounts and a connectors file for the shells to complete from.
fn completion_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.write_index(&[account("alpha", "personio"), account("beta-hr", "traffit")]);
    sb.write_connectors(&oauth_connector("http://127.0.0.1:9/token", "post", "", ""));
    sb
}

#[test]
fn bash_completes_account_names_and_connector_ids_after_sourcing_the_script() {
    let sb = completion_sandbox();
    let Some(mut p) = shell(&sb, "bash", &["--norc", "--noprofile", "-i"]) else {
        return;
    };
    p.send_line("bind 'set show-all-if-ambiguous on'; PS1='READY> '")
        .unwrap();
    p.send_line("source <(credlink completions bash)").unwrap();
    p.exp_string("READY> ").unwrap();
    p.send("credlink revoke \t").unwrap();
    p.flush().unwrap();
    p.exp_regex(r"alpha\s+[\s\S]*beta-hr").unwrap();
    p.send_control('u').unwrap();
    // A single candidate is completed in place.
    p.send("credlink link mo\t").unwrap();
    p.flush().unwrap();
    p.exp_string("credlink link mock").unwrap();
    p.send_control('u').unwrap();
    p.send("credlink test --connector traf\t").unwrap();
    p.flush().unwrap();
    p.exp_string("credlink test --connector traffit").unwrap();
    p.send_control('u').unwrap();
    p.send_line("exit").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn zsh_completes_account_names_after_sourcing_the_script() {
    let sb = completion_sandbox();
    let Some(mut p) = shell(&sb, "zsh", &["-f", "-i"]) else {
        return;
    };
    p.send_line("PS1='READY> '; autoload -Uz compinit && compinit -u -D")
        .unwrap();
    p.send_line("source <(credlink completions zsh)").unwrap();
    p.exp_string("READY> ").unwrap();
    p.send("credlink token \t").unwrap();
    p.flush().unwrap();
    p.exp_regex(r"alpha\s+-- personio").unwrap();
    p.exp_regex(r"beta-hr\s+-- traffit").unwrap();
    p.send_control('u').unwrap();
    p.send("credlink connectors mo\t").unwrap();
    p.flush().unwrap();
    p.exp_string("mock").unwrap();
    p.send_control('u').unwrap();
    p.send_line("exit").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn fish_completes_account_names_after_sourcing_the_script() {
    let sb = completion_sandbox();
    let Some(mut p) = shell(&sb, "fish", &["--no-config", "-i"]) else {
        return;
    };
    p.send_line("credlink completions fish | source; echo SOURCED")
        .unwrap();
    p.exp_string("SOURCED").unwrap();
    p.send("credlink test \t").unwrap();
    p.flush().unwrap();
    p.exp_string("alpha").unwrap();
    p.exp_string("(personio)").unwrap();
    p.exp_string("beta-hr").unwrap();
}

/// At 80 columns `list` keeps one line per account: columns of low priority are left out and
/// long values cut, never a word broken across lines; statuses are plain words.
#[test]
fn list_fits_an_80_column_terminal_without_breaking_words() {
    let sb = Sandbox::new();
    let account = |name: &str, status: &str| {
        serde_json::json!({"name": name, "connector": "local-basic", "auth": "oauth2_client_credentials",
            "fields": {"client_id": "basic-client-with-a-rather-long-identifier", "subdomain": "acme-eu-central"},
            "linked_at": "2026-11-20T10:00:00Z", "last_tested_at": "2026-11-22T10:00:00Z", "last_status": status})
    };
    sb.write_index(&[
        account("basic-client-production-account", "secret_missing"),
        account("second", "valid"),
    ]);
    let mut cmd = in_sandbox(&sb, "sh");
    let bin = env!("CARGO_BIN_EXE_credlink");
    cmd.args(["-c", &format!("stty cols 80 rows 24; exec {bin} list")]);
    let mut p = spawn_command(cmd, Some(20_000)).expect("sh starts in a pty");
    let screen = p.exp_eof().unwrap();
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        3,
        "a header and one line per account:\n{screen}"
    );
    for line in &lines {
        assert!(
            line.trim_end().chars().count() <= 80,
            "{line:?} in:\n{screen}"
        );
    }
    assert!(lines[1].contains("secret missing"), "{screen}");
    assert!(
        lines[1].contains("basic-client-production-account"),
        "{screen}"
    );
    assert_eq!(exit_code(&p), 0);
}

/// At 80 columns `list` and `connectors` fit by display cells: CJK characters and emoji take
/// two columns, combining accents none, and none of them is split or wraps a line.
#[test]
fn wide_and_accented_names_fit_an_80_column_terminal() {
    let sb = Sandbox::new();
    let account = |name: &str, subdomain: &str, client_id: &str| {
        serde_json::json!({"name": name, "connector": "personio", "auth": "oauth2_client_credentials",
            "fields": {"client_id": client_id, "subdomain": subdomain},
            "linked_at": "2026-11-20T10:00:00Z", "last_tested_at": "2026-11-22T10:00:00Z", "last_status": "valid",
            "expires": {"at": "2027-11-20T10:00:00Z", "basis": "catalog_lifetime"}})
    };
    sb.write_index(&[
        account(
            "tokyo-hr",
            "東京本社人事部アカウント管理",
            "クライアント識別子-本番環境-人事",
        ),
        account(
            "paris",
            "ressources-humaines-e\u{301}quipe",
            "🧑‍💼🧑‍💼🧑‍💼-client-émoji-ça",
        ),
    ]);
    sb.write_connectors(
        r#"
[connectors.jinji]
name = "人事クラウド 💼 東京リージョンの本番環境とサンドボックス"
auth = "api_key"
docs = "https://example.com/docs"
steps = ["Create a key."]

[connectors.jinji.verify]
url = "https://example.com/api/me"
bearer = "{api_key}"

[[connectors.jinji.fields]]
id = "api_key"
label = "API key"
secret = true
"#,
    );
    let bin = env!("CARGO_BIN_EXE_credlink");
    for command in ["list", "connectors"] {
        let mut cmd = in_sandbox(&sb, "sh");
        cmd.env("CREDLINK_CONNECTORS", sb.connectors_path())
            .args(["-c", &format!("stty cols 80 rows 24; exec {bin} {command}")]);
        let mut p = spawn_command(cmd, Some(20_000)).expect("sh starts in a pty");
        // rexpect hands back each byte as a char: decode the UTF-8 again.
        let bytes: Vec<u8> = p.exp_eof().unwrap().chars().map(|c| c as u8).collect();
        let screen = String::from_utf8(bytes).expect("UTF-8 on the terminal");
        let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
        for line in &lines {
            let cells = unicode_width::UnicodeWidthStr::width(line.trim_end());
            assert!(
                cells <= 80,
                "{command}: {cells} cells: {line:?} in:\n{screen}"
            );
        }
        if command == "list" {
            assert_eq!(
                lines.len(),
                3,
                "a header and one line per account:\n{screen}"
            );
            assert!(lines[1].contains("tokyo-hr"), "{screen}");
            // The expiry outlasts the wide columns.
            assert!(lines[0].contains("EXPIRES"), "{screen}");
        } else {
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("jinji") && l.contains("人事")),
                "{screen}"
            );
        }
        assert_eq!(exit_code(&p), 0, "{command}");
    }
}

/// At 80 columns `connectors` keeps one line per connector, like `list`.
#[test]
fn connectors_fit_an_80_column_terminal() {
    let sb = Sandbox::new();
    let mut cmd = in_sandbox(&sb, "sh");
    let bin = env!("CARGO_BIN_EXE_credlink");
    cmd.args([
        "-c",
        &format!("stty cols 80 rows 24; exec {bin} connectors"),
    ]);
    let mut p = spawn_command(cmd, Some(20_000)).expect("sh starts in a pty");
    let screen = p.exp_eof().unwrap();
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    let json = sb.when(&["connectors", "--json"]).then().out;
    let count = serde_json::from_slice::<serde_json::Value>(&json.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    // A header, one line per connector, and the closing hint.
    assert_eq!(lines.len(), count + 2, "{screen}");
    for line in &lines {
        assert!(
            line.trim_end().chars().count() <= 80,
            "{line:?} in:\n{screen}"
        );
    }
    assert_eq!(exit_code(&p), 0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn ctrl_c_during_the_browser_sign_in_frees_the_port_and_saves_nothing() {
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(
        r#"
[connectors.browser]
name = "Browser"
auth = "oauth2_authorization_code"
authorize_url = "http://127.0.0.1:9/auth"
token_url = "http://127.0.0.1:9/token"
client_auth = "basic"

[[connectors.browser.fields]]
id = "client_id"
label = "Client ID"

[[connectors.browser.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = sb.std_cmd();
    cmd.args(["link", "browser", "--name", "acct", "--client-id", "c"])
        .args(["--no-browser", "--wait", "60", "--redirect-port"])
        .arg(port.to_string())
        .env("CREDLINK_CLIENT_SECRET", MARKER)
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).expect("credlink starts in a pty");
    p.exp_string("left (Ctrl-C to stop)").unwrap();
    // The listener is up.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    p.send_control('c').unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains(MARKER), "{rest:?}");
    match p.process().wait().expect("credlink ends") {
        WaitStatus::Exited(_, 130) => {}
        WaitStatus::Signaled(_, nix::sys::signal::Signal::SIGINT, _) => {}
        other => panic!("credlink did not end on Ctrl-C: {other:?}"),
    }
    // No listener is left behind: the port can be taken again.
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    assert!(sb.account_names().is_empty());
    assert!(sb.secrets_in("").is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, node): run scripts/test"
)]
#[test]
fn ctrl_c_during_the_device_sign_in_wait_saves_nothing() {
    let (Some(stub), Some(())) = (Peer::start_stub(&["device"]), keyring()) else {
        return;
    };
    let sb = Sandbox::with_connectors(&stub_device_connectors(&stub.url));
    let mut cmd = sb.std_cmd();
    cmd.args(["link", "stub-device", "--name", "acct", "--client-id", "c"])
        .args(["--no-browser", "--wait", "60"])
        .env("CREDLINK_CLIENT_SECRET", MARKER)
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).expect("credlink starts in a pty");
    p.exp_string("WDJB-MJHT").unwrap();
    p.exp_string("left (Ctrl-C to stop)").unwrap();
    p.send_control('c').unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains(MARKER), "{rest:?}");
    assert!(
        !rest.contains("dc-"),
        "the device code is never shown: {rest:?}"
    );
    match p.process().wait().expect("credlink ends") {
        WaitStatus::Exited(_, 130) => {}
        WaitStatus::Signaled(_, nix::sys::signal::Signal::SIGINT, _) => {}
        other => panic!("credlink did not end on Ctrl-C: {other:?}"),
    }
    assert!(sb.account_names().is_empty());
    assert!(sb.secrets_in("").is_empty());
}
