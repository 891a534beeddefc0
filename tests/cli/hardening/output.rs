//! What credlink prints: into a closed pipe, hints without placeholders, one JSON document
//! under `--json` (classes 9, 13 and 14).

use std::net::TcpListener;
use std::process::{Output, Stdio};
use std::sync::mpsc;

use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

/// `credlink ARGS...` writing into a pipe whose reading end is already closed, as
/// `credlink ... | head -1` leaves it once `head` has exited.
fn into_closed_pipe(sb: &Sandbox, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = sb
        .std_cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("credlink starts");
    finish(child)
}

// ---- 9. closed pipes ----

/// Class 9: `list`, `list --json`, `connectors`, `test --all` and `test --all --json` into a
/// closed pipe (2,000 accounts, more than a pipe holds) end quietly, as `cat` does: no "Broken
/// pipe" on stderr, no panic, not exit 1 or 101 (SIGPIPE itself is a quiet end).
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let sb = Sandbox::new();
    let accounts: Vec<Value> = (0..2000).map(|i| orphan(&format!("acct-{i:04}"))).collect();
    sb.write_index(&accounts);

    let mut failures = Vec::new();
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["connectors"],
        &["connectors", "--json"],
        &["test", "--all"],
        &["test", "--all", "--json"],
    ] {
        let out = into_closed_pipe(&sb, args);
        let err = stderr(&out).to_lowercase();
        let sigpipe = std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(13);
        let loud = err.contains("broken pipe") || err.contains("panicked");
        if loud || (crashed(&out) && !sigpipe) || out.status.code() == Some(1) {
            failures.push(format!("{} | head -1: {}", args.join(" "), brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

// ---- 13. everyday use ----

/// Every hint key, each given a hint with both placeholders in the `mock` connector.
const HINT_KEYS: [&str; 28] = [
    "invalid_client",
    "unauthorized_client",
    "invalid_grant",
    "invalid_scope",
    "access_denied",
    "invalid_request",
    "unsupported_grant_type",
    "http_400",
    "http_401",
    "http_403",
    "http_404",
    "http_429",
    "http_5xx",
    "redirect",
    "timeout",
    "connect",
    "dns",
    "offline",
    "tls",
    "malformed_answer",
    "non_json",
    "no_access_token",
    "unusable_token",
    "success_false",
    "secret_missing",
    "invisible_characters",
    "wrong_shape",
    "permission_denied",
];

/// What is wrong with the placeholders in a run's output for credentials given ad hoc: one
/// left raw, or NAME not explained.
fn unfilled(case: String, out: &Output) -> Option<String> {
    let shown = format!("{}{}", stdout(out), stderr(out));
    if shown.contains("<connector>") || shown.contains("<name>") {
        Some(format!("{case}: a raw placeholder: {}", brief(out)))
    } else if !shown.contains("Replace NAME with the name to link the account under") {
        Some(format!("{case}: NAME is not explained: {}", brief(out)))
    } else {
        None
    }
}

/// Everyday use: a hint never shows a raw `<connector>` or `<name>`. For credentials given ad
/// hoc (`test --connector`, plain, `--json` and `--explain`), failures of every kind a provider
/// or the input can cause get the connector's id filled in, and NAME left to type with a
/// sentence saying what it is; so does a built-in hint (Personio, a pasted secret with a
/// non-breaking space in it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hints_for_ad_hoc_credentials_leave_no_placeholder() {
    const FILLED: &str =
        "`credlink link mock --name NAME --force` (see `credlink connectors mock`)";
    let server = MockServer::start().await;
    let hints: Vec<String> = HINT_KEYS
        .iter()
        .map(|key| {
            format!("{key} = \"{key}: run `credlink link <connector> --name <name> --force` (see `credlink connectors <connector>`).\"")
        })
        .collect();
    let sb = mock_sandbox(&server, &format!("hints = {{ {} }}", hints.join(", ")), "");
    let oauth_error = |code: &str| ResponseTemplate::new(400).set_body_json(json!({"error": code}));
    let answers = [
        ("invalid_client", oauth_error("invalid_client")),
        ("invalid_grant", oauth_error("invalid_grant")),
        ("invalid_request", oauth_error("invalid_request")),
        ("http_400", ResponseTemplate::new(400)),
        ("http_401", ResponseTemplate::new(401)),
        ("http_403", ResponseTemplate::new(403)),
        ("http_404", ResponseTemplate::new(404)),
        ("http_5xx", ResponseTemplate::new(500)),
        (
            "redirect",
            ResponseTemplate::new(302).insert_header("location", "https://example.com/"),
        ),
        (
            "non_json",
            ResponseTemplate::new(200).set_body_raw("<html></html>", "text/html"),
        ),
        (
            "no_access_token",
            token_answer(json!({"access_token": null})),
        ),
        ("unusable_token", token_answer(json!({"token_type": "mac"}))),
    ];
    let mut failures = Vec::new();
    for (key, answer) in answers {
        answer_with(&server, answer).await;
        for mode in [&[][..], &["--json"], &["--explain"]] {
            let out = check(&sb, "mock", mode);
            if !stdout(&out).contains(&format!("{key}: run {FILLED}")) {
                failures.push(format!("{key} {mode:?}: not its hint: {}", brief(&out)));
            }
            failures.extend(unfilled(format!("{key} {mode:?}"), &out));
        }
    }
    // Input: a zero-width space inside the secret, caught before anything is sent.
    let args = [
        "test",
        "--connector",
        "mock",
        "--no-input",
        "--client-id",
        CLIENT_ID,
    ];
    for mode in [&[][..], &["--json"], &["--explain"]] {
        let out = run_env(
            &sb,
            &[("CREDLINK_CLIENT_SECRET", "abc\u{200b}defgh")],
            &[&args[..], mode].concat(),
        );
        failures.extend(unfilled(format!("invisible_characters {mode:?}"), &out));
    }
    // The same through a built-in hint: no request leaves the machine.
    let builtin = Sandbox::new();
    let personio = [
        "test",
        "--connector",
        "personio",
        "--no-input",
        "--client-id",
        "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
    ];
    for mode in [&[][..], &["--json"], &["--explain"]] {
        let out = builtin
            .when(&[&personio[..], mode].concat())
            .envs(&[("CREDLINK_CLIENT_SECRET", "abcd\u{a0}efgh")])
            .then()
            .exits(2)
            .out;
        failures.extend(unfilled(format!("personio {mode:?}"), &out));
        if !format!("{}{}", stdout(&out), stderr(&out))
            .contains("`credlink link personio --name NAME --force`")
        {
            failures.push(format!("personio {mode:?}: {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// [`one_json_document`] with exit `code`, or what is wrong in `failures`.
fn expect(failures: &mut Vec<String>, case: &str, out: Output, code: i32) -> Value {
    let doc = one_json_document(&out).unwrap_or_else(|why| {
        failures.push(format!("{case}: {why}: {}", brief(&out)));
        Value::Null
    });
    if out.status.code() != Some(code) {
        failures.push(format!("{case}: expected exit {code}: {}", brief(&out)));
    }
    doc
}

/// A loopback server that accepts connections and never answers; the receiver hears of each
/// connection.
fn silent_server() -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
            let _ = tx.send(());
        }
    });
    (url, rx)
}

/// `--json`: every command prints exactly one JSON document on stdout and nothing else,
/// whether it succeeds or fails (`link` of a secret or by device sign-in, `list`, `test`, `test
/// --explain`, `token`, `revoke`, `connectors`, `history`, `completions`), and whatever
/// fails: a usage error clap finds, `--help` and
/// `--version`, a config file or store that cannot be used, a name taken (whose hint names
/// the command that was run, with `--force`), a provider that refuses (`link`, `test`,
/// `token`), a run interrupted by Ctrl-C (an error object with code 130).
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_under_json_prints_one_json_document() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    answer_with(&server, token_answer(json!({}))).await;
    let sb = mock_sandbox(&server, "", "");
    let link_acct = [
        "--json",
        "link",
        "mock",
        "--name",
        "acct",
        "--no-input",
        "--client-id",
        CLIENT_ID,
        "--client-secret-stdin",
    ];
    let secret = format!("{SECRET}\n");
    let link_other: Vec<&str> = link_acct
        .iter()
        .map(|a| if *a == "acct" { "other" } else { a })
        .collect();
    let adhoc = [
        "--json",
        "test",
        "--connector",
        "mock",
        "--no-input",
        "--client-id",
        CLIENT_ID,
    ];
    let bad_config = Sandbox::new();
    std::fs::create_dir_all(bad_config.config_dir()).unwrap();
    std::fs::write(bad_config.config_dir().join("config.toml"), "store = 5").unwrap();

    let mut failures = Vec::new();
    let f = &mut failures;
    let with_stdin = |args: &[&str], input: &str| finish(spawn(sb.std_cmd().args(args), input));
    expect(f, "link", with_stdin(&link_acct, &secret), 0);
    let taken = expect(
        f,
        "link, the name taken",
        with_stdin(&link_acct, &secret),
        2,
    );
    let retry = format!("`credlink {} --force`", link_acct.join(" "));
    if !taken["error"]["hint"]
        .as_str()
        .unwrap_or_default()
        .contains(&retry)
    {
        f.push(format!(
            "link, the name taken: the hint does not say {retry}: {taken}"
        ));
    }
    for (args, code) in [
        (&["--json", "list"][..], 0),
        (&["--json", "test", "acct"], 0),
        (&["--json", "test", "--all"], 0),
        (&["--json", "test", "--explain", "acct"], 0),
        (&["--json", "token", "acct"], 0),
        (&["--json", "connectors"], 0),
        (&["--json", "connectors", "mock"], 0),
        (&["--json", "connectors", "no-such-connector"], 6),
        (&["--json", "completions", "bash"], 0),
        (&["--json", "--version"], 0),
        (&["--json", "--help"], 0),
        (&["--json", "test", "--help"], 0),
        (&["--json"], 2),
        (&["--json", "test", "--bogus"], 2),
        (&["--json", "history", "acct"], 2),
        (&["--json", "test"], 2),
        (&["--json", "test", "nobody"], 6),
        (&["--json", "token", "nobody"], 6),
        (&["--json", "revoke", "acct"], 2),
        (&["--json", "--store", "vault:", "list"], 2),
        (&["--json", "--store", "vault:secret/credlink", "list"], 2),
    ] {
        expect(f, &args.join(" "), run(&sb, args), code);
    }
    let out = run_env(
        &sb,
        &[("CREDLINK_REFRESH_WAIT", "soon")],
        &["--json", "test", "acct"],
    );
    expect(f, "a bad CREDLINK_REFRESH_WAIT", out, 2);
    expect(
        f,
        "a bad config.toml",
        run(&bad_config, &["--json", "list"]),
        2,
    );
    let out = run_env(&sb, &[("CREDLINK_CLIENT_SECRET", SECRET)], &adhoc);
    expect(f, "test --connector", out, 0);

    // The provider refuses.
    answer_with(&server, ResponseTemplate::new(401)).await;
    expect(f, "test, refused", run(&sb, &["--json", "test", "acct"]), 3);
    let out = run(&sb, &["--json", "token", "acct", "--fresh"]);
    expect(f, "token, refused", out, 3);
    expect(f, "link, refused", with_stdin(&link_other, &secret), 3);
    let out = run_env(&sb, &[("CREDLINK_CLIENT_SECRET", SECRET)], &adhoc);
    expect(f, "test --connector, refused", out, 3);
    expect(
        f,
        "revoke",
        run(&sb, &["--json", "revoke", "acct", "--yes"]),
        0,
    );

    // A device sign-in (the stub approves it after a few polls).
    let Some(stub) = Peer::start_stub(&["device"]) else {
        return;
    };
    let device = Sandbox::with_connectors(&stub_device_connectors(&stub.url));
    let args = [
        "--json",
        "link",
        "stub-device",
        "--name",
        "dev",
        "--client-id",
        "c",
    ];
    let out = run_env(
        &device,
        &[("CREDLINK_CLIENT_SECRET", SECRET)],
        &[&args[..], &["--no-browser"]].concat(),
    );
    let linked = expect(f, "link, device sign-in", out, 0);
    if linked["linked"] != true {
        f.push(format!("link, device sign-in: {linked}"));
    }

    // Ctrl-C while the provider does not answer.
    let (url, connected) = silent_server();
    let silent =
        Sandbox::with_connectors(&oauth_connector(&format!("{url}/token"), "basic", "", ""));
    let child = spawn(
        silent
            .std_cmd()
            .args(adhoc)
            .env("CREDLINK_CLIENT_SECRET", SECRET),
        "",
    );
    connected
        .recv_timeout(PROCESS_TIMEOUT)
        .expect("credlink connects to the provider");
    // SAFETY: kill(2) with a child's pid and a valid signal number touches no memory.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let interrupted = expect(f, "test --connector, interrupted", finish(child), 130);
    if interrupted["error"]["kind"] != "interrupted" {
        f.push(format!("interrupted: {interrupted}"));
    }
    assert_no_failures(&failures);
}
