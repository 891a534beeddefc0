//! Issue 10, hardening: the README's guarantees against a hostile provider, hostile files,
//! names and catalogs, races and closed pipes. One or more tests per class of the issue (each
//! test's doc comment names its class and what it attacks).
//!
//! They drive the real binary and assert behaviour, not wording: exit codes, what never
//! appears on stdout or stderr, the state of files and of the keychain, no panic (101). Tests
//! that need the keychain skip without one and fail when CI is set (support.rs); the others
//! always run, with wiremock or a raw loopback server as the provider.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

const CLIENT_ID: &str = "hardening-client";
/// The client secret of these tests: `/`, `+`, `=`, `~`, `?` and `>` make each encoding of it
/// differ from it and from the others (its Base64 holds `+`, so the URL-safe one differs too).
const SECRET: &str = "MARKER~?>-s3cr3t/+=7f3a9c";
/// The access token a good answer carries.
const GOOD_TOKEN: &str = "tok-hardening-0c1d2e";
/// The longest any test waits for a credlink process it expects to finish.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

// ---- helpers: processes ----

/// Waits at most `limit` for `child`; `None` when it was still running then (it is killed).
fn wait_within(child: Child, limit: Duration) -> Option<Output> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => Some(out.expect("credlink is waited for")),
        Err(_) => {
            let _ = StdCommand::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let _ = rx.recv();
            None
        }
    }
}

/// [`wait_within`] [`PROCESS_TIMEOUT`], which no test expects to reach.
fn finish(child: Child) -> Output {
    wait_within(child, PROCESS_TIMEOUT)
        .unwrap_or_else(|| panic!("credlink did not finish within {PROCESS_TIMEOUT:?}"))
}

/// `credlink ARGS...` in the sandbox, with `env` set and nothing on stdin.
fn run_env(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    finish(spawn(sb.std_cmd().args(args).envs(env.iter().copied()), ""))
}

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    run_env(sb, &[], args)
}

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

/// `credlink link mock --client-id CLIENT_ID --client-secret-stdin EXTRA...`, `secret` on stdin.
fn spawn_link(sb: &Sandbox, secret: &str, extra: &[&str]) -> Child {
    spawn(
        sb.std_cmd()
            .args([
                "link",
                "mock",
                "--no-input",
                "--client-id",
                CLIENT_ID,
                "--client-secret-stdin",
            ])
            .args(extra),
        &format!("{secret}\n"),
    )
}

fn link(sb: &Sandbox, secret: &str, extra: &[&str]) -> Output {
    finish(spawn_link(sb, secret, extra))
}

/// `credlink test --connector CONNECTOR --no-input --client-id CLIENT_ID EXTRA...`, with
/// [`SECRET`] in CREDLINK_CLIENT_SECRET: ad hoc credentials, nothing stored, no keychain.
fn check(sb: &Sandbox, connector: &str, extra: &[&str]) -> Output {
    let mut args = vec!["test", "--connector", connector, "--no-input"];
    args.extend(["--client-id", CLIENT_ID]);
    args.extend_from_slice(extra);
    run_env(sb, &[("CREDLINK_CLIENT_SECRET", SECRET)], &args)
}

/// Exit code and both streams with every control character escaped, cut short: for failure
/// messages about output that may hold escape sequences or megabytes.
fn brief(out: &Output) -> String {
    let cut = |s: String| s.chars().take(600).collect::<String>();
    format!(
        "exit {:?}, stdout {:?}, stderr {:?}",
        out.status.code(),
        cut(stdout(out)),
        cut(stderr(out))
    )
}

/// Panicked (exit 101) or was killed by a signal.
fn crashed(out: &Output) -> bool {
    out.status.code().is_none_or(|c| c == 101) || stderr(out).contains("panicked")
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

#[track_caller]
fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- helpers: providers and files ----

/// A 200 token answer: a good Bearer token valid for an hour, with `changes` applied on top
/// (a null removes the key).
fn token_answer(changes: Value) -> ResponseTemplate {
    let mut body = json!({"access_token": GOOD_TOKEN, "token_type": "Bearer", "expires_in": 3600});
    for (key, value) in changes.as_object().expect("changes are an object") {
        match value {
            Value::Null => drop(body.as_object_mut().unwrap().remove(key)),
            value => body[key] = value.clone(),
        }
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// From now on `server` answers every request with `answer`.
async fn answer_with(server: &MockServer, answer: ResponseTemplate) {
    server.reset().await;
    Mock::given(any()).respond_with(answer).mount(server).await;
}

/// A sandbox whose `mock` connector (client_secret_basic) gets tokens at `{server}/token`;
/// `extra` adds top-level keys, `more` more tables (see [`oauth_connector`]).
fn mock_sandbox(server: &MockServer, extra: &str, more: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "basic",
        extra,
        more,
    ));
    sb
}

/// An index record as a hand-edited or older index may hold it.
fn record(name: &str, connector: &str, fields: Value) -> Value {
    json!({
        "name": name,
        "connector": connector,
        "auth": "oauth2_client_credentials",
        "fields": fields,
        "linked_at": "2026-01-01T00:00:00Z",
    })
}

/// A record whose connector is not in the catalog: `test --all` reports it
/// `unknown_connector` and records that, without touching the keychain.
fn orphan(name: &str) -> Value {
    record(name, "gone", json!({"client_id": "x"}))
}

/// Names in an index file, read independently of credlink.
fn names_in(index: &Path) -> Vec<String> {
    let index: Value = serde_json::from_str(&std::fs::read_to_string(index).unwrap()).unwrap();
    index["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| text(&a["name"]).to_owned())
        .collect()
}

fn mkfifo(path: &Path) {
    let status = StdCommand::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

// ---- 1. secrets printed in another spelling ----

/// Every spelling of `secret` (of client `id`) a server may plausibly echo, named.
fn echoed_spellings(id: &str, secret: &str) -> Vec<(String, String)> {
    let form = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let per_char = |f: &dyn Fn(char) -> String| secret.chars().map(f).collect::<String>();
    let per_byte = |f: &dyn Fn(u8) -> String| secret.bytes().map(f).collect::<String>();
    let split_by = |sep: char| {
        let chars: Vec<String> = secret.chars().map(String::from).collect();
        chars.join(&sep.to_string())
    };
    let basic = format!("{}:{}", form(id), form(secret));
    let mut all = vec![
        ("the secret as is".to_owned(), secret.to_owned()),
        (
            "`Basic base64(form(id):form(secret))` (RFC 6749 2.3.1)".to_owned(),
            format!("Basic {}", STANDARD.encode(&basic)),
        ),
    ];
    for (what, plain) in [
        ("the secret", secret.to_owned()),
        ("id:secret", format!("{id}:{secret}")),
        ("form(id):form(secret)", basic.clone()),
    ] {
        for (engine, encoded) in [
            ("base64", STANDARD.encode(&plain)),
            ("unpadded base64", STANDARD_NO_PAD.encode(&plain)),
            ("URL-safe base64", URL_SAFE.encode(&plain)),
            ("unpadded URL-safe base64", URL_SAFE_NO_PAD.encode(&plain)),
        ] {
            all.push((format!("{engine} of {what}"), encoded));
        }
    }
    all.extend([
        (
            "lowercase hex".to_owned(),
            per_byte(&|b| format!("{b:02x}")),
        ),
        (
            "uppercase hex".to_owned(),
            per_byte(&|b| format!("{b:02X}")),
        ),
        (
            "every byte percent-encoded, uppercase".to_owned(),
            per_byte(&|b| format!("%{b:02X}")),
        ),
        (
            "every byte percent-encoded, lowercase".to_owned(),
            per_byte(&|b| format!("%{b:02x}")),
        ),
        (
            "HTML decimal entities".to_owned(),
            per_char(&|c| format!("&#{};", u32::from(c))),
        ),
        (
            "HTML hex entities".to_owned(),
            per_char(&|c| format!("&#x{:x};", u32::from(c))),
        ),
        (
            "JSON \\u00XX escapes".to_owned(),
            per_char(&|c| format!("\\u{:04x}", u32::from(c))),
        ),
        (
            "split by U+00AD soft hyphens".to_owned(),
            split_by('\u{ad}'),
        ),
        (
            "split by U+034F combining grapheme joiners".to_owned(),
            split_by('\u{34f}'),
        ),
        (
            "split by U+E0041 tag characters".to_owned(),
            split_by('\u{e0041}'),
        ),
    ]);
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|(_, s)| seen.insert(s.clone()));
    all
}

/// What must never appear in output: each spelling, and each spelling as it shows inside a
/// JSON string (`--json`, and the `-v` trace of a JSON answer, escape its backslashes).
fn leak_needles(id: &str, secret: &str) -> Vec<(String, String)> {
    let mut needles = Vec::new();
    for (what, spelling) in echoed_spellings(id, secret) {
        let quoted = serde_json::to_string(&spelling).unwrap();
        let in_json = quoted[1..quoted.len() - 1].to_owned();
        if in_json != spelling {
            needles.push((format!("{what}, JSON-escaped"), in_json));
        }
        needles.push((what, spelling));
    }
    needles
}

/// The needles found in either stream of `out`, by name.
fn leaked(out: &Output, needles: &[(String, String)]) -> Vec<String> {
    let (o, e) = (stdout(out), stderr(out));
    needles
        .iter()
        .filter(|(_, n)| o.contains(n.as_str()) || e.contains(n.as_str()))
        .map(|(what, _)| what.clone())
        .collect()
}

/// A sandbox with two connectors at `server`: `mock` (OAuth, client_secret_basic) and `echo`
/// (a verification call with Basic `client_id:client_secret`, whose error text the provider
/// sends in `WWW-Authenticate`).
fn echo_sandbox(server: &MockServer) -> Sandbox {
    let echo = format!(
        r#"
[connectors.echo]
name = "Echo"
auth = "api_key"

[connectors.echo.verify]
method = "GET"
url = "{}/verify"
basic_auth = {{ username = "{{client_id}}", password = "{{client_secret}}" }}
error_header = "WWW-Authenticate"

[[connectors.echo.fields]]
id = "client_id"
label = "Client ID"

[[connectors.echo.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
        server.uri()
    );
    mock_sandbox(server, "", &echo)
}

/// For each spelling of [`SECRET`], the provider answers 401 with `answer(spelling)`; then
/// `test --connector CONNECTOR` plain, with `-v`, with `--json` and with `--explain` must each
/// exit 3 and print no spelling. `ascii_only`: only spellings a header value can carry.
async fn assert_echoes_stay_hidden(
    connector: &str,
    ascii_only: bool,
    answer: impl Fn(&str) -> ResponseTemplate,
) {
    let server = MockServer::start().await;
    let sb = echo_sandbox(&server);
    let needles = leak_needles(CLIENT_ID, SECRET);
    let mut failures = Vec::new();
    for (what, spelling) in echoed_spellings(CLIENT_ID, SECRET) {
        if ascii_only && !spelling.is_ascii() {
            continue;
        }
        answer_with(&server, answer(&spelling)).await;
        let (mut modes, mut leaks) = (Vec::new(), std::collections::BTreeSet::new());
        for (mode, args) in [
            ("plain", &[][..]),
            ("-v", &["-v"]),
            ("--json", &["--json"]),
            ("--explain", &["--explain"]),
        ] {
            let out = check(&sb, connector, args);
            if out.status.code() != Some(3) {
                failures.push(format!("echo of {what}, {mode}: {}", brief(&out)));
            }
            let found = leaked(&out, &needles);
            if !found.is_empty() {
                modes.push(mode);
                leaks.extend(found);
            }
        }
        if !leaks.is_empty() {
            failures.push(format!("echo of {what}: printed {leaks:?} with {modes:?}"));
        }
    }
    assert_no_failures(&failures);
}

/// Class 1: a 401 whose JSON `error_description` quotes the secret in another spelling
/// (Base64 alone or in the Basic header, hex, percent-, HTML- and JSON-escaped, split by
/// invisible characters that cleaning keeps).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_error_description_echoing_the_secret_in_any_spelling_never_prints_it() {
    assert_echoes_stay_hidden("mock", false, |spelling| {
        ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("client authentication failed for {spelling}"),
        }))
    })
    .await;
}

/// Class 1: the same spellings in a text/plain 401 body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_401_echoing_the_secret_in_any_spelling_never_prints_it() {
    assert_echoes_stay_hidden("mock", false, |spelling| {
        ResponseTemplate::new(401).set_body_raw(
            format!("401 Unauthorized: bad credentials {spelling}"),
            "text/plain",
        )
    })
    .await;
}

/// Class 1: the same spellings in a `WWW-Authenticate` challenge that echoes what it got, read
/// as the connector's `error_header`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_www_authenticate_header_echoing_the_secret_in_any_spelling_never_prints_it() {
    assert_echoes_stay_hidden("echo", true, |spelling| {
        ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!("Basic realm=\"api\", error=\"invalid_client\", error_description=\"rejected {spelling}\""),
        )
    })
    .await;
}

/// Class 1: the user-info of a proxy URL, with a scheme or without one (which reqwest accepts
/// with its credentials), never shows in `test --explain` (text or JSON) or the `-v` trace.
#[test]
fn proxy_credentials_are_never_printed() {
    const PROXY_PASSWORD: &str = "PROXYPASS-marker";
    let proxy = raw_http_server(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"proxy\"\r\n\
          content-length: 0\r\nconnection: close\r\n\r\n"
            .to_vec(),
    );
    let proxy = proxy.trim_start_matches("http://");
    let sb = Sandbox::new();
    // Every request goes to the proxy: `mock` would be plain http, `mock-tls` https.
    let plain = oauth_connector("http://127.0.0.1:9/token", "basic", "", "");
    let tls = plain
        .replace("connectors.mock", "connectors.mock-tls")
        .replace("http://", "https://");
    sb.write_connectors(&format!("{plain}\n{tls}"));
    let with_password = format!("user:{PROXY_PASSWORD}@{proxy}");
    let cases = [
        ("HTTPS_PROXY", with_password.clone(), "mock-tls"),
        ("https_proxy", format!("http://{with_password}"), "mock-tls"),
        ("HTTP_PROXY", format!("http://{with_password}"), "mock"),
        ("ALL_PROXY", with_password.clone(), "mock"),
    ];
    let mut failures = Vec::new();
    for (var, value, connector) in &cases {
        for mode in [&["--explain"][..], &["--explain", "--json"], &["-v"]] {
            let mut cmd = sb.std_cmd();
            for unset in PROXY_VARS {
                cmd.env_remove(unset);
            }
            cmd.args(["test", "--connector", connector, "--no-input"])
                .args(["--client-id", CLIENT_ID])
                .args(mode)
                .env(var, value)
                .env("CREDLINK_CLIENT_SECRET", SECRET);
            let out = finish(spawn(&mut cmd, ""));
            let case = format!("{var}={value}, test {}", mode.join(" "));
            if stdout(&out).contains(PROXY_PASSWORD) || stderr(&out).contains(PROXY_PASSWORD) {
                failures.push(format!(
                    "{case}: printed the proxy password: {}",
                    brief(&out)
                ));
            }
            if crashed(&out) {
                failures.push(format!("{case}: crashed: {}", brief(&out)));
            }
        }
    }
    assert_no_failures(&failures);
}

// ---- 2. account names that collide with internal keychain entries ----

/// Class 2: `revoke` of a name no account can have (an alternate keychain entry's name, a
/// path, an empty string, a space, a bidi override) is invalid input, exit 2, before any
/// keychain access.
#[test]
fn revoke_refuses_names_no_account_can_have() {
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for name in ["acme2~2", "../x", "", "a b", "x/y", "acme\u{202e}2"] {
        let out = run(&sb, &["revoke", name, "--yes"]);
        if out.status.code() != Some(2) {
            failures.push(format!("revoke {name:?}: {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// Class 2: after `link --force acme2` the live secret of acme2 is in an internal entry; a
/// `revoke` naming that entry (`acme2~2`) must be refused (exit 2) and acme2 keep working.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn revoke_cannot_reach_another_accounts_internal_entry() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
    let link_acme2 = |extra: &[&str]| {
        let mut cmd = sb.std_cmd();
        cmd.args(["link", "local-basic", "--name", "acme2", "--no-input"])
            .args(["--client-id", "basic-client", "--client-secret-stdin"])
            .args(extra);
        finish(spawn(&mut cmd, "basic-secret\n"))
    };
    assert_exit(&link_acme2(&[]), 0);
    assert_exit(&link_acme2(&["--force"]), 0);

    let revoked = run(&sb, &["revoke", "acme2~2", "--yes"]);
    let tested = run(&sb, &["test", "acme2"]);
    assert_exit(&revoked, 2);
    assert_exit(&tested, 0);
    assert_eq!(sb.account_names(), ["acme2"]);
}

// ---- 3. default names skip the name rules ----

/// Whether a form-encoded request body has `key=value`.
fn form_has(req: &Request, key: &str, value: &str) -> bool {
    form_urlencoded::parse(&req.body).any(|(k, v)| k == key && v == value)
}

/// Class 3: without `--name`, the name `link` derives (connector-subdomain) goes through the
/// name rules: a subdomain with `~` or a bidi override links nothing (exit 2), and
/// `mock-acme~2` cannot overwrite the internal entry holding `mock-acme`'s secret.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_names_follow_the_name_rules() {
    let Some(()) = keyring() else { return };
    const OWNER: &str = "owner-secret-1";
    const ATTACKER: &str = "attacker-secret-2";
    let server = MockServer::start().await;
    // The owner's secret works for tenant acme; the attacker's only for its own tenant. So
    // `test mock-acme` passes only while mock-acme still has the owner's secret.
    Mock::given(method("POST"))
        .and(|req: &Request| form_has(req, "client_secret", OWNER))
        .respond_with(token_answer(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(|req: &Request| {
            form_has(req, "client_secret", ATTACKER) && !form_has(req, "tenant", "acme")
        })
        .respond_with(token_answer(json!({})))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    // The subdomain goes in a token parameter, so the URL check never sees it.
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        r#"token_params = { tenant = "{subdomain}" }"#,
        "[[connectors.mock.fields]]\nid = \"subdomain\"\nlabel = \"Subdomain\"\npattern = \"^[^/ ]+$\"\n",
    ));
    assert_exit(&link(&sb, OWNER, &["--subdomain", "acme"]), 0);
    assert_exit(&link(&sb, OWNER, &["--subdomain", "acme", "--force"]), 0);
    assert_eq!(sb.account_names(), ["mock-acme"]);
    let index_before = std::fs::read(sb.index_path()).unwrap();

    let mut failures = Vec::new();
    for subdomain in ["acme~2", "acme\u{202e}2"] {
        let out = link(&sb, ATTACKER, &["--subdomain", subdomain]);
        if out.status.code() != Some(2) {
            failures.push(format!("subdomain {subdomain:?}: {}", brief(&out)));
        }
    }
    if sb.secrets_in("").iter().any(|s| s == ATTACKER) {
        failures.push("the attacker's secret is in the keychain".to_owned());
    }
    if std::fs::read(sb.index_path()).unwrap() != index_before {
        failures.push(format!("the index changed: {}", sb.index()));
    }
    let tested = run(&sb, &["test", "mock-acme"]);
    if tested.status.code() != Some(0) {
        failures.push(format!("mock-acme lost its secret: {}", brief(&tested)));
    }
    assert_no_failures(&failures);
}

// ---- 4. tokens ----

/// Access tokens that are not printable ASCII (RFC 6750 b64token, RFC 6749 VSCHAR).
const UNPRINTABLE_TOKENS: [(&str, &str); 5] = [
    (
        "an OSC 52 clipboard write",
        "tok-\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u{7}-end",
    ),
    ("CR LF and a header", "tok-abc\r\nX-Injected: 1"),
    ("a bidi override", "tok-\u{202e}cba"),
    ("a C1 CSI", "tok-\u{9b}31m-red"),
    ("a NUL", "tok-\u{0}-end"),
];

/// Token answers `token` and `test` must call unusable (exit 4), named: each unprintable
/// token (without a lifetime, so `token` never reuses one), and token types other than Bearer.
fn unusable_answers() -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = UNPRINTABLE_TOKENS
        .iter()
        .map(|(what, token)| {
            (
                format!("a token with {what}"),
                json!({"access_token": token, "expires_in": null}),
            )
        })
        .collect();
    for token_type in ["mac", "DPoP"] {
        all.push((
            format!("token_type {token_type}"),
            json!({"token_type": token_type, "expires_in": null}),
        ));
    }
    all
}

/// `expires_in` values that overflow an instant or a date: 1e19 and 9e18 as integers, as
/// strings and as floats, and u64::MAX.
fn huge_lifetimes() -> Vec<Value> {
    vec![
        json!(10_000_000_000_000_000_000_u64),
        json!(9_000_000_000_000_000_000_u64),
        json!(u64::MAX),
        json!("10000000000000000000"),
        json!("9000000000000000000"),
        json!(1e19),
        json!(9e18),
    ]
}

/// Class 4: a token with control, bidi or non-ASCII characters (OSC 52, CR LF header
/// injection) or of a type other than Bearer makes the check fail as unusable (exit 4);
/// `bearer` in any case still passes, and a huge `expires_in` does not crash `test --json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_tokens_fail_the_check_and_huge_lifetimes_do_not_crash_it() {
    let server = MockServer::start().await;
    let sb = mock_sandbox(&server, "", "");
    let mut failures = Vec::new();
    for (what, changes) in unusable_answers() {
        answer_with(&server, token_answer(changes)).await;
        for mode in [&[][..], &["--json"]] {
            let out = check(&sb, "mock", mode);
            if out.status.code() != Some(4) || contains_bytes(&out.stdout, b"\x1b") {
                failures.push(format!("{what}, test {}: {}", mode.join(" "), brief(&out)));
            }
        }
    }
    for token_type in ["bearer", "BEARER"] {
        answer_with(&server, token_answer(json!({"token_type": token_type}))).await;
        let out = check(&sb, "mock", &[]);
        if out.status.code() != Some(0) {
            failures.push(format!("token_type {token_type} is fine: {}", brief(&out)));
        }
    }
    for lifetime in huge_lifetimes() {
        answer_with(&server, token_answer(json!({"expires_in": lifetime}))).await;
        let out = check(&sb, "mock", &["--json"]);
        if out.status.code() != Some(0) {
            failures.push(format!("expires_in {lifetime}: {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// Class 4: `credlink token NAME` prints nothing and exits 4 when the provider's token is
/// unusable (it would land in `curl -H "Authorization: Bearer $(credlink token x)"` or the
/// terminal); a huge `expires_in` crashes neither `link` nor `token --json`, fresh or cached.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_prints_only_usable_tokens_and_survives_huge_lifetimes() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    // A token that is stale at once: every `token` asks the provider again.
    answer_with(&server, token_answer(json!({"expires_in": 1}))).await;
    let sb = mock_sandbox(&server, "", "");
    assert_exit(&link(&sb, SECRET, &["--name", "acct"]), 0);

    let mut failures = Vec::new();
    for (what, changes) in unusable_answers() {
        answer_with(&server, token_answer(changes)).await;
        let out = run(&sb, &["token", "acct"]);
        if out.status.code() != Some(4) || !out.stdout.is_empty() {
            failures.push(format!("{what}, token acct: {}", brief(&out)));
        }
    }
    for (i, lifetime) in huge_lifetimes().into_iter().enumerate() {
        answer_with(&server, token_answer(json!({"expires_in": lifetime}))).await;
        let name = format!("huge-{i}");
        let steps = [
            ("link", link(&sb, SECRET, &["--name", &name])),
            (
                "token --fresh --json",
                run(&sb, &["token", &name, "--fresh", "--json"]),
            ),
            (
                "token --json (cached)",
                run(&sb, &["token", &name, "--json"]),
            ),
            ("token (cached)", run(&sb, &["token", &name])),
        ];
        for (step, out) in steps {
            if out.status.code() != Some(0) {
                failures.push(format!("expires_in {lifetime}, {step}: {}", brief(&out)));
            }
        }
    }
    assert_no_failures(&failures);
}

// ---- 5. catalog files ----

/// Class 5: a catalog entry whose URL lets a value move the host (a placeholder glued to the
/// host), carries user-info (sent as a second Authorization), or whose header template holds
/// CR/LF is refused when it loads: `connectors` exits 2 and names the key. A placeholder
/// filling whole DNS labels still loads.
#[test]
fn catalog_entries_that_could_redirect_or_inject_are_refused_at_load() {
    let sfx =
        "[[connectors.mock.fields]]\nid = \"sfx\"\nlabel = \"Suffix\"\npattern = \"^[^/ ]+$\"\n";
    let oauth = |token_url: &str, extra: &str| oauth_connector(token_url, "basic", extra, sfx);
    let header = |table: &str| {
        format!(
            r#"
[connectors.mock]
name = "Mock API key"
auth = "api_key"

[connectors.mock.verify]
method = "GET"
url = "https://api.example.com/verify"
{table}

[[connectors.mock.fields]]
id = "api_key"
label = "API key"
secret = true
"#
        )
    };
    // (what, connectors file, key stderr must name; None: the file is fine)
    let cases = [
        (
            "a placeholder glued to the end of the host",
            oauth("https://api.example.com{sfx}/token", ""),
            Some("token_url"),
        ),
        (
            "a placeholder glued to the end of the host, in revoke_url",
            oauth(
                "https://api.example.com/token",
                r#"revoke_url = "https://api.example.com{sfx}/revoke""#,
            ),
            Some("revoke_url"),
        ),
        (
            "user-info in the token URL",
            oauth("http://user:pw@127.0.0.1:9/token", ""),
            Some("token_url"),
        ),
        (
            "a placeholder as user-info in the token URL",
            oauth("https://{sfx}@api.example.com/token", ""),
            Some("token_url"),
        ),
        (
            "user-info in the revocation URL",
            oauth(
                "http://127.0.0.1:9/token",
                r#"revoke_url = "http://user:pw@127.0.0.1:9/revoke""#,
            ),
            Some("revoke_url"),
        ),
        (
            "CR LF in a verify header",
            header(
                "bearer = \"{api_key}\"\nheaders = { \"X-Tenant\" = \"acme\\r\\nX-Injected: 1\" }",
            ),
            Some("verify.headers.X-Tenant"),
        ),
        (
            "a bare LF in a verify header",
            header("bearer = \"{api_key}\"\nheaders = { \"X-Tenant\" = \"acme\\nX-Injected: 1\" }"),
            Some("verify.headers.X-Tenant"),
        ),
        (
            "CR LF in the bearer template",
            header("bearer = \"{api_key}\\r\\nX-Injected: 1\""),
            Some("verify.bearer"),
        ),
        (
            "a placeholder filling a whole DNS label (fine)",
            oauth("https://api.{sfx}.example.com/token", ""),
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (what, file, key) in &cases {
        let sb = Sandbox::new();
        sb.write_connectors(file);
        let out = run(&sb, &["connectors"]);
        let ok = match key {
            Some(key) => out.status.code() == Some(2) && stderr(&out).contains(key),
            None => out.status.code() == Some(0),
        };
        if !ok {
            failures.push(format!("{what} (key {key:?}): {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

// ---- 6. files ----

/// Makes the sandbox's accounts.json a symlink to a file elsewhere (as a dotfiles manager
/// does) holding `accounts`; returns the target.
fn symlinked_index(sb: &Sandbox, accounts: &[Value]) -> PathBuf {
    let dotfiles = sb.dir.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    let target = dotfiles.join("accounts.json");
    let index = json!({"version": 1, "accounts": accounts});
    std::fs::write(&target, index.to_string()).unwrap();
    symlink(&target, sb.index_path()).unwrap();
    target
}

#[track_caller]
fn assert_still_a_symlink(sb: &Sandbox) {
    let meta = std::fs::symlink_metadata(sb.index_path()).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "accounts.json was replaced by a regular file: the dotfiles link is broken"
    );
}

/// Class 6: a symlinked accounts.json stays a symlink when `test --all` records its results,
/// and the target gets them.
#[test]
fn a_symlinked_index_stays_a_symlink_when_results_are_recorded() {
    let sb = Sandbox::new();
    let target = symlinked_index(&sb, &[orphan("old")]);

    let out = run(&sb, &["test", "--all", "--json"]);
    assert!(!crashed(&out), "{}", brief(&out));
    assert_still_a_symlink(&sb);
    let index: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(
        index["accounts"][0]["last_status"], "unknown_connector",
        "the target holds the result"
    );
}

/// Class 6: a symlinked accounts.json stays a symlink when `link` adds an account, and the
/// target holds the new record beside the old one.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_index_stays_a_symlink_when_an_account_is_linked() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    answer_with(&server, token_answer(json!({}))).await;
    let sb = mock_sandbox(&server, "", "");
    let target = symlinked_index(&sb, &[orphan("old")]);

    assert_exit(&link(&sb, SECRET, &["--name", "new"]), 0);
    assert_still_a_symlink(&sb);
    assert_eq!(names_in(&target), ["old", "new"]);
}

/// Class 6: a symlinked accounts.lock pointing outside the config dir is never followed to
/// create its target.
#[test]
fn a_symlinked_lock_file_is_not_followed_to_create_a_file() {
    let sb = Sandbox::new();
    sb.write_index(&[orphan("old")]);
    let planted = sb.dir.path().join("elsewhere-created-by-credlink");
    symlink(&planted, sb.config_dir().join("accounts.lock")).unwrap();

    let out = run(&sb, &["test", "--all"]);
    assert!(!crashed(&out), "{}", brief(&out));
    assert!(
        !planted.exists(),
        "following accounts.lock created {}",
        planted.display()
    );
}

/// The same for the lock file of an account's refresh token (`refresh-NAME.lock`): a run
/// that would spend it refuses, naming the file, and creates nothing elsewhere.
#[test]
fn a_symlinked_refresh_lock_file_is_not_followed() {
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
    sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
    let planted = sb.dir.path().join("elsewhere-created-by-credlink");
    symlink(&planted, sb.config_dir().join("refresh-wd.lock")).unwrap();

    // `token` reads the secret first, and there is none here: it never gets to the lock.
    for args in [&["test", "wd"][..], &["revoke", "wd", "--yes"]] {
        let out = run(&sb, args);
        assert!(!crashed(&out), "{}", brief(&out));
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", brief(&out));
        assert!(
            format!("{}{}", stdout(&out), stderr(&out)).contains("refresh-wd.lock"),
            "{args:?} names the file: {}",
            brief(&out)
        );
        assert!(!planted.exists(), "{args:?} followed refresh-wd.lock");
    }
    assert_eq!(sb.account_names(), ["wd"], "nothing was removed");
}

/// A lock file that is a FIFO (nobody reading) is refused at once, naming it: opening one for
/// writing would wait for a reader forever.
#[test]
fn a_fifo_as_a_lock_file_is_refused_not_waited_on() {
    for lock in ["refresh-wd.lock", "accounts.lock"] {
        let sb = Sandbox::new();
        sb.write_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
        sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
        mkfifo(&sb.config_dir().join(lock));
        let args: &[&str] = if lock == "accounts.lock" {
            &["revoke", "wd", "--yes", "--local"]
        } else {
            &["test", "wd"]
        };
        let out = wait_within(spawn(sb.std_cmd().args(args), ""), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{args:?} still waiting on the FIFO {lock} after 10 s"));
        assert!(!crashed(&out), "{}", brief(&out));
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", brief(&out));
        assert!(
            stdout(&out).contains(lock) || stderr(&out).contains(lock),
            "{args:?} names {lock}: {}",
            brief(&out)
        );
        assert_eq!(sb.account_names(), ["wd"], "nothing was removed");
    }
}

/// Everyday use: an unsafe refresh lock file (a symlink, a FIFO) is one cause with one exit code in
/// every command that takes the account's turn with its refresh token (`test`, `test
/// --explain`, `token`, `revoke`; text and `--json`): 2, as for an unsafe config dir or index.
/// Each names the file, and nothing changes: the account, its secret, the lock file.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[test]
fn an_unsafe_refresh_lock_file_has_one_exit_code_in_every_command() {
    let Some(()) = keyring() else { return };
    let secret = json!({"client_secret": "lock-client-secret", "refresh_token": "lock-refresh"});
    let mut failures = Vec::new();
    for unsafe_file in ["a symlink", "a FIFO"] {
        let sb = Sandbox::new();
        sb.write_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
        sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
        sb.store_secret("wd", &secret.to_string());
        let lock = sb.config_dir().join("refresh-wd.lock");
        let planted = sb.dir.path().join("elsewhere-created-by-credlink");
        match unsafe_file {
            "a symlink" => symlink(&planted, &lock).unwrap(),
            _ => mkfifo(&lock),
        }
        for args in [
            &["test", "wd"][..],
            &["test", "wd", "--json"],
            &["test", "--explain", "wd"],
            &["test", "--explain", "wd", "--json"],
            &["token", "wd"],
            &["token", "wd", "--json"],
            &["revoke", "wd", "--yes"],
            &["revoke", "wd", "--yes", "--json"],
        ] {
            let case = format!("{unsafe_file}, {}", args.join(" "));
            let Some(out) = wait_within(spawn(sb.std_cmd().args(args), ""), PROCESS_TIMEOUT) else {
                failures.push(format!("{case}: still running after {PROCESS_TIMEOUT:?}"));
                continue;
            };
            let shown = format!("{}{}", stdout(&out), stderr(&out));
            if out.status.code() != Some(2) || !shown.contains("refresh-wd.lock") {
                failures.push(format!("{case}: {}", brief(&out)));
            }
        }
        // `test` records its result (`store_error`), as for a locked keychain.
        let unchanged = sb.account_names() == ["wd"]
            && sb.keychain_secret("wd") == Some(secret.to_string())
            && !planted.exists()
            && std::fs::symlink_metadata(&lock).is_ok_and(|m| !m.is_file());
        if !unchanged {
            failures.push(format!("{unsafe_file}: something was changed"));
        }
        sb.clear_secret("wd");
    }
    assert_no_failures(&failures);
}

/// Class 6: an index or connectors file that is a FIFO (nobody writing) is refused with exit 2
/// within seconds, instead of hanging.
#[test]
fn a_fifo_as_index_or_connectors_file_is_refused_not_waited_on() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    mkfifo(&sb.index_path());
    let list = wait_within(spawn(sb.std_cmd().arg("list"), ""), Duration::from_secs(5));

    let sb = Sandbox::new();
    mkfifo(&sb.connectors_path());
    let connectors = wait_within(
        spawn(sb.std_cmd().arg("connectors"), ""),
        Duration::from_secs(5),
    );

    let mut failures = Vec::new();
    for (what, out) in [
        ("list, index a FIFO", list),
        ("connectors, file a FIFO", connectors),
    ] {
        match out {
            None => failures.push(format!("{what}: still waiting after 5 s")),
            Some(out) if out.status.code() != Some(2) || stderr(&out).trim().is_empty() => {
                failures.push(format!("{what}: {}", brief(&out)));
            }
            Some(_) => {}
        }
    }
    assert_no_failures(&failures);
}

/// Class 6: an index or connectors file that is a symlink to /dev/zero is refused with exit 2
/// at once, reading next to nothing (under 256 MiB resident), instead of being read until
/// memory runs out. `ulimit -v` caps the process at 1 GiB, so today's unbounded read stops
/// there instead of exhausting the machine.
#[test]
fn an_endless_index_or_connectors_file_is_refused_without_reading_it() {
    let endless_index = Sandbox::new();
    std::fs::create_dir_all(endless_index.config_dir()).unwrap();
    symlink("/dev/zero", endless_index.index_path()).unwrap();
    let endless_catalog = Sandbox::new();
    symlink("/dev/zero", endless_catalog.connectors_path()).unwrap();

    let mut failures = Vec::new();
    for (what, sb, command) in [
        ("list, index /dev/zero", &endless_index, "list"),
        ("connectors, file /dev/zero", &endless_catalog, "connectors"),
    ] {
        let mut cmd = under_sh(sb, "ulimit -v 1048576", &[command]);
        let (out, peak_mib) = run_watching_memory(&mut cmd, Duration::from_secs(5));
        match out {
            None => failures.push(format!("{what}: still reading after 5 s, {peak_mib} MiB")),
            Some(out) if out.status.code() != Some(2) || peak_mib >= 256 => {
                failures.push(format!(
                    "{what}: up to {peak_mib} MiB resident, {}",
                    brief(&out)
                ));
            }
            Some(_) => {}
        }
    }
    assert_no_failures(&failures);
}

/// Class 6: a world-writable config dir (anyone could point an account at another connector
/// and so send its secret to another host) is refused, exit 2, and stderr speaks of its
/// permissions.
#[test]
fn a_world_writable_config_dir_is_refused() {
    let sb = Sandbox::new();
    sb.write_index(&[orphan("old")]);
    std::fs::set_permissions(sb.config_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();

    let mut failures = Vec::new();
    for args in [&["list"][..], &["test", "--all"], &["test", "old"]] {
        let out = run(&sb, args);
        let err = stderr(&out).to_lowercase();
        let names_it = ["permission", "writable", "chmod", "0777", "777"]
            .iter()
            .any(|w| err.contains(w));
        if out.status.code() != Some(2) || !names_it {
            failures.push(format!("{}: {}", args.join(" "), brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// Characters that must never reach a terminal from a stored value: C0 controls but line
/// breaks and tabs, DEL, C1 controls, bidi controls.
fn terminal_hostile(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// Class 6: escape sequences, bidi overrides and C1 controls in a hand-edited index never
/// reach the terminal through `list` or `test --all` (rejected on load, or cleaned);
/// `list --json` stays JSON with no raw control character.
#[test]
fn hostile_values_in_a_hand_edited_index_are_never_printed_raw() {
    let sb = Sandbox::new();
    let mut evil = record(
        "evil",
        "gone\u{1b}[2J",
        json!({
            "subdomain": "acme\u{1b}]52;c;ZXZpbA==\u{7}",
            "client_id": "papi-\u{202e}exe.txt",
        }),
    );
    evil["last_status"] = json!("valid\u{9b}31m");
    evil["last_tested_at"] = json!("2026-01-01T00:00:00Z\u{85}\u{1b}[1A");
    sb.write_index(&[evil]);

    let mut failures = Vec::new();
    for args in [&["list"][..], &["test", "--all"]] {
        let out = run(&sb, args);
        let hostile: Vec<char> = [stdout(&out), stderr(&out)]
            .iter()
            .flat_map(|s| terminal_hostile(s))
            .collect();
        if !hostile.is_empty() || !matches!(out.status.code(), Some(0 | 2 | 6)) {
            failures.push(format!(
                "{}: printed {hostile:?}: {}",
                args.join(" "),
                brief(&out)
            ));
        }
    }
    let out = run(&sb, &["list", "--json"]);
    let raw_c0 = out.stdout.iter().any(|&b| b < 0x20 && b != b'\n');
    let parses = serde_json::from_slice::<Value>(&out.stdout).is_ok();
    if raw_c0 || !matches!((out.status.code(), parses), (Some(0), true) | (Some(2), _)) {
        failures.push(format!("list --json: {}", brief(&out)));
    }
    assert_no_failures(&failures);
}

/// Class 6: a 50 MB field in the index does not make `list` run for long: done (or refused)
/// within 5 s.
#[test]
fn a_huge_field_in_the_index_does_not_stall_list() {
    let sb = Sandbox::new();
    let huge = "a".repeat(50 * 1024 * 1024);
    sb.write_index(&[record("big", "gone", json!({"client_id": huge}))]);

    let started = Instant::now();
    let out = wait_within(spawn(sb.std_cmd().arg("list"), ""), Duration::from_secs(5));
    let out = out.unwrap_or_else(|| panic!("`list` still running after {:?}", started.elapsed()));
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", brief(&out));
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
    assert_exit(&link(&sb, SECRET, &["--name", "acct"]), 0);

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

// ---- 8. races ----

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
    assert_exit(&link(&sb, SECRET, &["--name", "raced"]), 0);

    let mut failures = Vec::new();
    for round in 0..20_u64 {
        let relink = spawn_link(&sb, SECRET, &["--name", "raced", "--force"]);
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
        assert_exit(&link(&sb, SECRET, &["--name", &name]), 0);

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

// ---- 11. causes named right ----

/// A loopback HTTP server answering every request with these bytes, then closing cleanly.
fn raw_http_server(answer: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(&answer);
            let _ = stream.shutdown(Shutdown::Write);
            // Drain until the client hangs up, so closing sends no RST.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = std::io::copy(&mut stream, &mut std::io::sink());
        }
    });
    format!("http://{address}")
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
    assert_exit(&link(&sb, SECRET, &["--name", "acct"]), 0);

    let failed = run(&sb, &["revoke", "acct", "--yes"]);
    assert_exit(&failed, 4);
    assert_eq!(
        sb.account_names(),
        ["acct"],
        "the account is kept for a retry"
    );
    assert_exit(&run(&sb, &["test", "acct"]), 0);

    // `mount` also forgets the requests received so far: only the retry's count below.
    mount(200).await;
    let retried = run(&sb, &["revoke", "acct", "--yes"]);
    assert_exit(&retried, 0);
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
        let out = run_env(
            &builtin,
            &[("CREDLINK_CLIENT_SECRET", "abcd\u{a0}efgh")],
            &[&personio[..], mode].concat(),
        );
        assert_exit(&out, 2);
        failures.extend(unfilled(format!("personio {mode:?}"), &out));
        if !format!("{}{}", stdout(&out), stderr(&out))
            .contains("`credlink link personio --name NAME --force`")
        {
            failures.push(format!("personio {mode:?}: {}", brief(&out)));
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
    let Some(()) = crate::guarantees::faults_built_in() else {
        return;
    };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_connectors(&format!(
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
        let mut paused = crate::guarantees::Paused::start(cmd, "rotate:before_store", "");
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
    assert_exit(&sb.cmd().args(["test", "--all"]).output().unwrap(), 0);
    assert_no_failures(&failures);
}

/// A proxy that answers every request with a 400 whose `error_description` quotes the
/// request it received (its `Proxy-Authorization` header among it) and the proxy's own
/// address with `user_info`, as a misconfigured proxy or a server behind it may.
fn echoing_proxy(user_info: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let description = format!("{request} (via http://{user_info}@{address})");
            let body = json!({"error": "invalid_request", "error_description": description});
            let body = body.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.shutdown(Shutdown::Write);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = std::io::copy(&mut stream, &mut std::io::sink());
        }
    });
    address.to_string()
}

/// Everyday use: a proxy password of 1 to 3 characters (shorter than any secret redacted as a
/// value, which would take words out of messages) is never printed: not in the `user:password`
/// pair a proxy is sent (Base64 in `Proxy-Authorization`) or raw, nor in a URL's user info,
/// whichever proxy variable sets it (with a scheme or without), with `-v`, `--json` or
/// `--explain`.
#[test]
fn a_short_proxy_password_is_never_printed() {
    const USER_INFO: &str = "usr:pw1";
    let proxy = echoing_proxy(USER_INFO);
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        "http://127.0.0.1:9/token",
        "basic",
        "",
        "",
    ));
    let basic = STANDARD.encode(USER_INFO);
    let mut failures = Vec::new();
    for (var, value) in [
        ("HTTP_PROXY", format!("http://{USER_INFO}@{proxy}")),
        ("http_proxy", format!("{USER_INFO}@{proxy}")),
        ("ALL_PROXY", format!("http://{USER_INFO}@{proxy}")),
    ] {
        for mode in [
            &[][..],
            &["-v"],
            &["--json"],
            &["--explain"],
            &["--explain", "--json"],
        ] {
            let mut cmd = sb.std_cmd();
            for unset in PROXY_VARS {
                cmd.env_remove(unset);
            }
            cmd.args(["test", "--connector", "mock", "--no-input"])
                .args(["--client-id", CLIENT_ID])
                .args(mode)
                .env(var, &value)
                .env("CREDLINK_CLIENT_SECRET", SECRET);
            let out = finish(spawn(&mut cmd, ""));
            let shown = format!("{}{}", stdout(&out), stderr(&out));
            let case = format!("{var}={value}, test {}", mode.join(" "));
            if shown.contains("pw1") || shown.contains(&basic) {
                failures.push(format!("{case}: the proxy password: {}", brief(&out)));
            }
            if out.status.code() != Some(3)
                || !shown.contains("proxy-authorization: Basic (redacted)")
            {
                failures.push(format!("{case}: not the proxy's answer: {}", brief(&out)));
            }
        }
    }
    assert_no_failures(&failures);
}

// ---- 14. one JSON document under --json ----

/// The one JSON value stdout holds, or why it does not hold exactly one; an error object's
/// `code` must be the exit code.
fn one_json_document(out: &Output) -> Result<Value, String> {
    let mut values = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>();
    let first = match values.next() {
        None => return Err("nothing on stdout".into()),
        Some(Err(e)) => return Err(format!("stdout is not JSON ({e})")),
        Some(Ok(first)) => first,
    };
    if let Some(more) = values.next() {
        return Err(format!("more than one JSON value on stdout: then {more:?}"));
    }
    let code = first["error"]["code"].as_i64();
    if code.is_some() && code != out.status.code().map(i64::from) {
        return Err(format!(
            "the error object's code is not the exit code: {first}"
        ));
    }
    Ok(first)
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
    let device = Sandbox::new();
    device.write_connectors(&stub_device_connectors(&stub.url));
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
    let silent = Sandbox::new();
    silent.write_connectors(&oauth_connector(&format!("{url}/token"), "basic", "", ""));
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
    let sb = Sandbox::new();
    sb.write_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
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

// ---- hardening, third round: bounded peers, redaction before cutting ----

/// Third round, class 3: an answer larger than the body cap, padded with characters that
/// cleaning removes so that a secret straddling the cap would stand within the text shown,
/// shows no prefix of the secret, whatever the status and the output mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_straddling_the_cap_of_a_huge_answer_shows_no_prefix() {
    let server = MockServer::start().await;
    let sb = mock_sandbox(&server, "", "");
    let mut failures = Vec::new();
    for straddle in [4, 12] {
        let mut body = "\u{1}".repeat(1024 * 1024 - straddle);
        body.push_str(SECRET);
        body.push_str(&" and more".repeat(100));
        for status in [401, 200] {
            let answer = ResponseTemplate::new(status).set_body_raw(body.clone(), "text/plain");
            answer_with(&server, answer).await;
            for args in [&[][..], &["--json"], &["-v"], &["--explain"]] {
                let out = check(&sb, "mock", args);
                let shown = format!("{}{}", stdout(&out), stderr(&out));
                if crashed(&out) || shown.contains(&SECRET[..4]) {
                    failures.push(format!(
                        "HTTP {status}, cut {straddle} into the secret, {args:?}: {}",
                        brief(&out)
                    ));
                }
            }
        }
    }
    assert_no_failures(&failures);
}

/// Answers a token request 401, echoing its `client_assertion` plain and in Base64, and keeps
/// every assertion it was sent.
struct EchoAssertion(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl wiremock::Respond for EchoAssertion {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let assertion = form_urlencoded::parse(&req.body)
            .find(|(key, _)| key == "client_assertion")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        self.0.lock().unwrap().push(assertion.clone());
        ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!(
                "the assertion {assertion} is not signed by a registered key ({})",
                STANDARD.encode(&assertion)
            ),
        }))
    }
}

/// Third round, class 3: the private_key_jwt client assertion is a bearer credential while it
/// lives: a provider echoing it (RS256, ES256, ES384) gets no part of it printed, in the
/// human output, `-v`, `--json` or `--explain`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_echoing_the_client_assertion_never_gets_it_printed() {
    let server = MockServer::start().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(EchoAssertion(seen.clone()))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&format!(
        r#"
[connectors.jwt]
name = "JWT"
auth = "oauth2_client_credentials"
token_url = "{}/token"
client_auth = "private_key_jwt"

[[connectors.jwt.fields]]
id = "client_id"
label = "Client ID"

[[connectors.jwt.fields]]
id = "private_key"
label = "Private key"
secret = true
"#,
        server.uri()
    ));
    let mut failures = Vec::new();
    for (kind, options) in [
        ("RSA", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"),
        ("P-256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"),
        ("P-384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384"),
    ] {
        let key = sb.dir.path().join(format!("{kind}.pem"));
        let made = StdCommand::new("sh")
            .arg("-c")
            .arg(format!(
                "openssl genpkey {options} -out '{}'",
                key.display()
            ))
            .output()
            .expect("openssl runs");
        assert!(made.status.success(), "{kind}: {}", stderr(&made));
        let file = format!("private_key={}", key.display());
        for mode in [&[][..], &["-v"], &["--json"], &["--explain"]] {
            let mut args = vec!["test", "--connector", "jwt", "--no-input"];
            args.extend(["--client-id", CLIENT_ID, "--field-file", &file]);
            args.extend_from_slice(mode);
            let out = run(&sb, &args);
            let assertion = seen.lock().unwrap().last().cloned().unwrap_or_default();
            let shown = format!("{}{}", stdout(&out), stderr(&out));
            let parts: Vec<&str> = assertion.split('.').collect();
            if out.status.code() != Some(3) || parts.len() != 3 {
                failures.push(format!("{kind} {mode:?}: {}", brief(&out)));
            }
            if let Some(part) = parts.iter().find(|p| shown.contains(*p)) {
                failures.push(format!("{kind} {mode:?}: printed {part}: {}", brief(&out)));
            }
        }
    }
    assert_no_failures(&failures);
}

/// Third round, class 2: lifetimes and intervals in a device authorization answer that do not
/// fit a duration (u64::MAX, 1e30, as numbers or strings), or are negative, are clamped: the
/// sign-in polls on and ends at `--wait` (exit 4), never with a panic.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_or_negative_durations_in_a_device_answer_do_not_crash_the_sign_in() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let sb = Sandbox::new();
    sb.write_connectors(&stub_device_connectors(&server.uri()));
    let mut failures = Vec::new();
    for (expires_in, interval) in [
        (json!(u64::MAX), json!(1)),
        (json!("18446744073709551615"), json!(1)),
        (json!(1e30), json!(1)),
        (json!(-1), json!(1)),
        (json!(60), json!(u64::MAX)),
        (json!(60), json!(-5)),
        (json!(u64::MAX), json!(1e30)),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/device/auth"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "device_code": "dc-0123456789",
                "user_code": "WDJB-MJHT",
                "verification_uri": format!("{}/device", server.uri()),
                "expires_in": expires_in,
                "interval": interval,
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(
                ResponseTemplate::new(400).set_body_json(json!({"error": "authorization_pending"})),
            )
            .mount(&server)
            .await;
        let mut args = vec![
            "link",
            "stub-device",
            "--name",
            "acct",
            "--client-id",
            CLIENT_ID,
        ];
        args.extend(["--no-browser", "--wait", "2"]);
        let out = run_env(&sb, &[("CREDLINK_CLIENT_SECRET", SECRET)], &args);
        if crashed(&out)
            || out.status.code() != Some(4)
            || !stderr(&out).contains("did not finish within 2 s")
        {
            failures.push(format!(
                "expires_in {expires_in}, interval {interval}: {}",
                brief(&out)
            ));
        }
    }
    assert_no_failures(&failures);
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
