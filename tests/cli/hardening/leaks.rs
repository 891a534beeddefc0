//! Secrets echoed in another spelling (classes 1 and 3): JSON, plain text, a header; proxy
//! credentials; a secret straddling a cut; the client assertion.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::{Command as StdCommand, Output};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;
use crate::support::*;

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
    let sb = Sandbox::with_connectors(&oauth_connector(
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
