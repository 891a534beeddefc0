//! What fails around credlink: a result that cannot be recorded, a hanging keychain, answers
//! that are too large, a provider that will not revoke, an endless line on stdin.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;
use crate::support::*;

/// `credlink ARGS...` with the sandbox's config dir read-only, or why this machine offers no
/// way to: a read-only bind mount in a mount namespace of its own (needs CAP_SYS_ADMIN, as
/// root has in a container), else mode 0500 (which root ignores).
fn with_read_only_config(sb: &Sandbox, args: &[&str]) -> Result<Output, &'static str> {
    let dir = sb.config_dir().display().to_string();
    let bind = format!("mount --bind -o ro '{dir}' '{dir}'");
    let probe = StdCommand::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            &format!("{bind} && ! touch '{dir}/probe'"),
        ])
        .stderr(Stdio::null())
        .status();
    if probe.is_ok_and(|s| s.success()) {
        let mut cmd = launched(sb, &["unshare", "-m", "sh"], &bind, args);
        return Ok(finish(spawn(&mut cmd, "")));
    }
    let mode = |bits| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(bits));
    mode(0o500).unwrap();
    let probe = sb.config_dir().join("probe");
    let writable = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    let out = (!writable).then(|| run(sb, args));
    mode(0o700).unwrap();
    out.ok_or("no mount namespace, and this user writes to a 0500 dir (root)")
}

#[track_caller]
fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", brief(out)))
}

/// `status` of each report of `test --json`.
#[track_caller]
fn statuses(out: &Output) -> Vec<String> {
    json_of(out)
        .as_array()
        .unwrap_or_else(|| panic!("test --json prints an array: {}", brief(out)))
        .iter()
        .map(|r| text(&r["status"]).to_owned())
        .collect()
}

// ---- 7. a result that cannot be recorded is still a result ----

/// Class 7: `test NAME` whose result cannot be written to the index still prints the result,
/// exits with its code (0) and warns on stderr: on a full disk (simulated by a file size
/// limit of 0 with SIGXFSZ ignored, so writes fail with EFBIG) and in a read-only config dir
/// (see [`with_read_only_config`]; skipped where neither way works).
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_that_cannot_be_recorded_is_still_printed() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    answer_with(&server, token_answer(json!({}))).await;
    let sb = mock_sandbox(&server, "", "");
    link(&sb, SECRET, &["--name", "acct"]).then().exits(0);

    let full_disk = "trap '' XFSZ && ulimit -f 0";
    let mut runs = vec![
        (
            "full disk, test",
            finish(spawn(&mut under_sh(&sb, full_disk, &["test", "acct"]), "")),
        ),
        (
            "full disk, test --json",
            finish(spawn(
                &mut under_sh(&sb, full_disk, &["test", "acct", "--json"]),
                "",
            )),
        ),
    ];
    for (what, args) in [
        ("read-only config dir, test", &["test", "acct"][..]),
        (
            "read-only config dir, test --json",
            &["test", "acct", "--json"],
        ),
    ] {
        match with_read_only_config(&sb, args) {
            Ok(out) => runs.push((what, out)),
            Err(why) => eprintln!("SKIPPED {what}: {why}"),
        }
    }

    let mut failures = Vec::new();
    for (what, out) in &runs {
        let printed = if what.ends_with("--json") {
            serde_json::from_slice::<Value>(&out.stdout)
                .is_ok_and(|v| v[0]["name"] == "acct" && v[0]["status"] == "valid")
        } else {
            stdout(out).contains("acct") && stdout(out).contains("valid")
        };
        if out.status.code() != Some(0) || !printed || stderr(out).trim().is_empty() {
            failures.push(format!("{what}: {}", brief(out)));
        }
    }
    assert_no_failures(&failures);
}

// ---- 10. keychain hangs ----

/// A D-Bus address whose bus accepts connections and never says a word, so every keychain
/// call hangs as behind an unanswered unlock dialog. The listener lives until the test ends.
fn hanging_bus(dir: &Path) -> String {
    let socket = dir.join("hanging-bus.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    format!("unix:path={}", socket.display())
}

/// Class 10: with a keychain that hangs, `test --all` over 50 accounts waits one keychain
/// timeout in all (2 s here), not one per batch of 16, and reports each `store_error`.
#[test]
fn a_hanging_keychain_costs_one_timeout_for_the_whole_run() {
    let sb = Sandbox::new();
    let accounts: Vec<Value> = (0..50)
        .map(|i| {
            let id = "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a";
            record(&format!("acct-{i}"), "personio", json!({"client_id": id}))
        })
        .collect();
    sb.write_index(&accounts);
    let bus = hanging_bus(sb.dir.path());

    let started = Instant::now();
    let out = run_env(
        &sb,
        &[
            ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()),
            ("CREDLINK_KEYCHAIN_TIMEOUT", "2"),
        ],
        &["test", "--all", "--json"],
    );
    let elapsed = started.elapsed();
    assert_exit(&out, 5);
    let statuses = statuses(&out);
    assert_eq!(statuses.len(), 50);
    assert!(statuses.iter().all(|s| s == "store_error"), "{statuses:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "took {elapsed:.1?} for one hanging keychain at a 2 s timeout"
    );
}

/// The report's `error` (or the error object's `kind`) and all the words a user reads.
fn cause_and_words(out: &Output) -> (Option<String>, String) {
    let words = format!("{}\n{}", stdout(out), stderr(out)).to_lowercase();
    let cause = serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| {
            let error = if v.is_array() {
                &v[0]["error"]
            } else {
                &v["error"]["kind"]
            };
            error.as_str().map(str::to_owned)
        });
    (cause, words)
}

/// Class 11: an answer with 10,000 headers, and a header value from the catalog that cannot be
/// sent, are not called "connect" nor blamed on the network or a VPN.
#[test]
fn oversized_answers_and_unsendable_headers_are_not_blamed_on_the_network() {
    let mut answer =
        String::from("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n");
    for i in 0..10_000 {
        answer.push_str(&format!("x-filler-{i}: {i}\r\n"));
    }
    answer.push_str("content-length: 2\r\nconnection: close\r\n\r\n{}");
    let base = raw_http_server(answer.into_bytes());
    let sb = Sandbox::new();
    let header = format!(
        r#"
[connectors.team]
name = "Team header"
auth = "api_key"

[connectors.team.verify]
method = "GET"
url = "{base}/verify"
bearer = "{{client_secret}}"
headers = {{ "X-Team" = "team\u007Fone" }}

[[connectors.team.fields]]
id = "client_id"
label = "Client ID"

[[connectors.team.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    );
    sb.write_connectors(&format!(
        "{}\n{header}",
        oauth_connector(&format!("{base}/token"), "basic", "", "")
    ));

    let mut failures = Vec::new();
    for connector in ["mock", "team"] {
        let out = check(&sb, connector, &["--json"]);
        let (cause, words) = cause_and_words(&out);
        if crashed(&out)
            || cause.as_deref() == Some("connect")
            || words.contains("network")
            || words.contains("vpn")
        {
            failures.push(format!("{connector}: cause {cause:?}: {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

// ---- 12. revoke when the provider's revocation fails ----

/// Class 12: when the provider's RFC 7009 revocation fails (500), `revoke` exits 4 and keeps
/// the account (listed, still working); once the endpoint works, a second `revoke` revokes
/// the same token at the provider, exits 0 and leaves nothing in the index or the keychain.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_provider_revocation_keeps_the_account_for_a_retry() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let sb = mock_sandbox(
        &server,
        &format!("revoke_url = \"{}/revoke\"", server.uri()),
        "",
    );
    let mount = |revoke_status: u16| {
        let server = &server;
        async move {
            server.reset().await;
            Mock::given(path("/token"))
                .respond_with(token_answer(json!({})))
                .mount(server)
                .await;
            Mock::given(path("/revoke"))
                .respond_with(ResponseTemplate::new(revoke_status))
                .mount(server)
                .await;
        }
    };
    mount(500).await;
    link(&sb, SECRET, &["--name", "acct"]).then().exits(0);

    sb.when(&["revoke", "acct", "--yes"]).then().exits(4);
    assert_eq!(
        sb.account_names(),
        ["acct"],
        "the account is kept for a retry"
    );
    sb.when(&["test", "acct"]).then().exits(0);

    // `mount` also forgets the requests received so far: only the retry's count below.
    mount(200).await;
    sb.when(&["revoke", "acct", "--yes"]).then().exits(0);
    assert!(sb.account_names().is_empty(), "{}", sb.index());
    assert_eq!(sb.secrets_in(""), Vec::<String>::new(), "secrets left");
    assert_eq!(sb.secrets_in(":token"), Vec::<String>::new(), "tokens left");
    let revocations: Vec<Request> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/revoke")
        .collect();
    assert!(
        revocations.iter().any(|r| form_has(r, "token", GOOD_TOKEN)),
        "the second revoke revoked the token at the provider"
    );
}

/// Third round, class 2: the paste fallback of a browser sign-in reads a line of stdin up to
/// 16 KiB: an endless line (here /dev/zero, no newline in it) is refused with a clear error
/// and not read on, while the sign-in waits for the browser until `--wait` (exit 4), in
/// bounded memory. `ulimit -v` stops an unbounded read at 1 GiB.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[test]
fn an_endless_line_on_stdin_is_not_buffered_by_the_paste_fallback() {
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(
        r#"
[connectors.code]
name = "Code"
auth = "oauth2_authorization_code"
authorize_url = "http://127.0.0.1:9/auth"
token_url = "http://127.0.0.1:9/token"
client_auth = "none"

[[connectors.code.fields]]
id = "client_id"
label = "Client ID"
"#,
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let args = [
        "link",
        "code",
        "--name",
        "acct",
        "--client-id",
        CLIENT_ID,
        "--no-browser",
        "--wait",
        "3",
        "--redirect-port",
        &port,
    ];
    let mut cmd = under_sh(&sb, "ulimit -v 1048576 && exec 0</dev/zero", &args);
    let (out, peak_mib) = run_watching_memory(&mut cmd, Duration::from_secs(30));
    let out = out.unwrap_or_else(|| panic!("still running after 30 s, {peak_mib} MiB"));
    assert_exit(&out, 4);
    assert_has(&stderr(&out), "a line on stdin is longer than 16 KiB");
    assert!(
        peak_mib < 256,
        "up to {peak_mib} MiB resident: {}",
        brief(&out)
    );
}
