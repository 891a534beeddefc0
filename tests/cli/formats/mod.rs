//! `test --format`: JUnit XML, GitHub Actions workflow commands, JSON Lines and Prometheus text,
//! each with accounts that pass and fail, read by what reads them in CI (an XML parser,
//! promtool, the workflow-command syntax), with a leak sweep on each; the HTML report in
//! Chromium; and the CI examples in docs/ci/ checked by their linters.

mod examples;
mod github;
mod jsonl;
mod junit;
mod prometheus;
mod report;

use std::process::{Command as StdCommand, Output, Stdio};

use serde_json::Value;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const BASIC_SECRET: &str = "basic-secret";
const POST_SECRET: &str = "post-secret";

/// On the oidc-provider peer: `local-post` passes; `local-basic`, its secret replaced by
/// [`MARKER`], is rejected (with the connector's hint).
fn pass_and_fail() -> Option<(Peer, Sandbox)> {
    let peer = Peer::start()?;
    keyring()?;
    let sb = peer.sandbox();
    link(&sb, "local-basic", "basic-client", BASIC_SECRET);
    link(&sb, "local-post", "post-client", POST_SECRET);
    sb.store_secret("local-basic", MARKER);
    Some((peer, sb))
}

fn link(sb: &Sandbox, connector: &str, client_id: &str, secret: &str) {
    sb.when(&[
        "link",
        connector,
        "--client-id",
        client_id,
        "--client-secret-stdin",
    ])
    .stdin(&format!("{secret}\n"))
    .then()
    .exits(0);
}

/// No output and no file shows a secret.
#[track_caller]
fn sweep(sb: &Sandbox, outs: &[&Output], files: &[&str]) {
    assert_kept_secret(sb, outs, &[BASIC_SECRET, POST_SECRET, MARKER]);
    for file in files {
        for secret in [BASIC_SECRET, POST_SECRET, MARKER] {
            assert_lacks(file, secret, "the report");
        }
    }
}

/// A `mock` OAuth connector (client_secret_post) on `server`, named with a line break and a
/// workflow command in it, as a hostile connectors file could.
fn mock_sandbox(server: &MockServer) -> Sandbox {
    let connectors = oauth_connector(&format!("{}/token", server.uri()), "post", "", "");
    Sandbox::with_connectors(&connectors.replace(
        r#"name = "Mock OAuth""#,
        r#"name = "Mock ::error::NAME-INJECTED""#,
    ))
}

/// Links `names` on `server`'s `mock` connector (each name its client id); then the server
/// answers as `answers` says, by client id.
async fn linked_on_mock(
    server: &MockServer,
    names: &[&str],
    answers: Vec<(&str, ResponseTemplate)>,
) -> Sandbox {
    let sb = mock_sandbox(server);
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token())
        .mount(server)
        .await;
    for name in names {
        sb.when(&[
            "link",
            "mock",
            "--name",
            name,
            "--client-id",
            name,
            "--client-secret-stdin",
        ])
        .stdin(&format!("{MARKER}-{name}\n"))
        .then()
        .exits(0);
    }
    server.reset().await;
    for (client_id, answer) in answers {
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains(format!("client_id={client_id}")))
            .respond_with(answer)
            .mount(server)
            .await;
    }
    sb
}

fn token() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": format!("{MARKER}-token"),
        "token_type": "Bearer",
        "expires_in": 3600,
    }))
}

/// `python3 -c SCRIPT` with `input` on stdin; its stdout parsed as JSON.
fn python(script: &str, input: &[u8]) -> Value {
    let out = pipe(StdCommand::new("python3").args(["-c", script]), input);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&out)))
}

/// Runs `cmd` with `input` on stdin to the end.
fn pipe(cmd: &mut StdCommand, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
