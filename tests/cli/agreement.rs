//! `test` and `test --explain` agree on every input: a property test over generated values (as
//! pasted: padded, with invisible characters, of the wrong shape) and provider answers (tokens,
//! unusable tokens, every kind of error), run through the real binary both ways.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

/// The client ID, as a user might paste it (`mock` takes any non-empty value).
const CLIENT_IDS: &[&str] = &[
    "mock-client",
    "  mock-client\t",
    "mock\u{a0}client",
    "mock\u{200b}-client",
    "\u{feff}mock-client",
    "mock-client\n",
    "x",
];

/// The secret, likewise.
const SECRETS: &[&str] = &[
    "s3cret-value-1",
    "s3cret-value-1\n",
    " s3cret-value-1 ",
    "s3c\u{ad}ret-value",
    "s3cret value",
    "s3cret\u{202e}value",
];

/// A provider's answer: status, content type, body.
const ANSWERS: &[(u16, &str, &str)] = &[
    (
        200,
        "application/json",
        r#"{"access_token":"tok-123","token_type":"Bearer","expires_in":600}"#,
    ),
    (
        200,
        "application/json",
        r#"{"access_token":"tok-123","token_type":"mac"}"#,
    ),
    (
        200,
        "application/json",
        "{\"access_token\":\"tok\\r\\nX: y\"}",
    ),
    (200, "application/json", r#"{"token_type":"Bearer"}"#),
    (200, "text/html", "<html><title>Sign in</title></html>"),
    (400, "application/json", r#"{"error":"invalid_request"}"#),
    (
        401,
        "application/json",
        r#"{"error":"invalid_client","error_description":"bad"}"#,
    ),
    (401, "text/plain", ""),
    (403, "application/json", r#"{"message":"forbidden"}"#),
    (404, "text/html", "<html>not here</html>"),
    (429, "application/json", r#"{"error":"slow_down"}"#),
    (500, "application/json", r#"{"error":"invalid_client"}"#),
    (302, "text/plain", ""),
];

/// The `--explain` step a `test --json` status fails at.
fn steps_for(status: &str) -> &'static [&'static str] {
    match status {
        "rejected" => &["oauth", "permissions"],
        "unreachable" => &["dns", "connect", "tls", "http", "oauth"],
        "invalid_input" => &["input"],
        other => panic!("unexpected status {other}"),
    }
}

#[test]
fn test_and_explain_agree_on_every_input_and_answer() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "",
        "",
    ));
    let strategy = (0..CLIENT_IDS.len(), 0..SECRETS.len(), 0..ANSWERS.len());
    let config = Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |(id, secret, answer)| {
        let (status, content_type, body) = ANSWERS[answer];
        runtime.block_on(async {
            server.reset().await;
            Mock::given(method("POST"))
                .and(path("/token"))
                .respond_with(
                    ResponseTemplate::new(status)
                        .insert_header("content-type", content_type)
                        .insert_header("location", "https://elsewhere.example/")
                        .set_body_string(body),
                )
                .mount(&server)
                .await;
        });
        let run = |explain: bool| {
            let mut args = vec!["test", "--json", "--timeout", "5"];
            if explain {
                args.push("--explain");
            }
            args.extend(["--connector", "mock", "--client-id", CLIENT_IDS[id]]);
            sb.cmd()
                .args(&args)
                .env("CREDLINK_CLIENT_SECRET", SECRETS[secret])
                .output()
                .unwrap()
        };
        let plain = run(false);
        let explained = run(true);
        let code = plain.status.code();
        prop_assert_eq!(
            code,
            explained.status.code(),
            "exit codes differ for {:?} / {:?} / {:?}:\ntest: {}\nexplain: {}",
            CLIENT_IDS[id],
            SECRETS[secret],
            ANSWERS[answer],
            describe(&plain),
            describe(&explained)
        );
        let diagnosis: Value = serde_json::from_slice(&explained.stdout)
            .map_err(|e| TestCaseError::fail(format!("explain JSON: {e}")))?;
        let failed = diagnosis["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["status"] == "failed"))
            .map(|s| s["step"].as_str().unwrap_or_default().to_owned());
        let expected: &[&str] = match code {
            Some(0) => &[],
            // Values that cannot be used are an error of the command line, named on stderr.
            Some(2) => &["input"],
            _ => {
                let report: Value = serde_json::from_slice(&plain.stdout)
                    .map_err(|e| TestCaseError::fail(format!("test JSON: {e}")))?;
                steps_for(report[0]["status"].as_str().unwrap_or_default())
            }
        };
        match &failed {
            None => prop_assert!(expected.is_empty(), "no failed step, but exit {code:?}"),
            Some(step) => prop_assert!(
                expected.contains(&step.as_str()),
                "explain failed at {step}, test's result points to {expected:?}: {}",
                describe(&plain)
            ),
        }
        prop_assert!(!contains_bytes(&plain.stdout, b"s3cret"));
        prop_assert!(!contains_bytes(&explained.stdout, b"s3cret"));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
