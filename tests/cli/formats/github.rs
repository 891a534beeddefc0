//! `--format github`, and the same chosen by `GITHUB_ACTIONS=true`: the human text, then one
//! annotation per account in the workflow-command syntax. Text from a provider or a connectors
//! file cannot start a command of its own.

use regex_lite::Regex;

use super::*;

/// A provider's error text that tries to add commands of its own.
const INJECTING: &str =
    "nope <&\"'>\u{1}\n::error title=x::DESC-INJECTED\r\n::add-mask::%0A\n::stop-commands::t";

/// Two accounts: `good` passes, `bad` is refused with [`INJECTING`] as the error text.
async fn good_and_bad(server: &MockServer) -> Sandbox {
    let refused = ResponseTemplate::new(401).set_body_json(serde_json::json!({
        "error": "invalid_client",
        "error_description": INJECTING,
    }));
    linked_on_mock(
        server,
        &["good", "bad"],
        vec![("good", token()), ("bad", refused)],
    )
    .await
}

/// Every line that the runner would read as a command (it trims leading blanks) is one of
/// ours, one per account; returns them.
#[track_caller]
fn annotations(out: &Output) -> Vec<String> {
    let ours =
        Regex::new(r"^::(error|warning|notice) title=credlink%3A [a-z]+ \(mock\)::[^\r\n]*$")
            .unwrap();
    let commands: Vec<String> = stdout(out)
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("::"))
        .map(str::to_owned)
        .collect();
    for line in &commands {
        assert!(
            ours.is_match(line),
            "not one of ours: {line:?}\n{}",
            describe(out)
        );
    }
    commands
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_annotations_follow_the_syntax_and_cannot_be_injected() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let sb = good_and_bad(&server).await;

    let out = sb
        .when(&["test", "--all"])
        .env("GITHUB_ACTIONS", "true")
        .then()
        .exits(3)
        .out;
    let lines = annotations(&out);
    assert_eq!(lines.len(), 2, "{}", describe(&out));
    assert!(
        lines[0].starts_with("::notice title=credlink%3A good (mock)::valid: HTTP 200, ")
            && lines[0].ends_with(" ms, token valid for 3600 s"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("::error title=credlink%3A bad (mock)::rejected: cause: "));
    // Line breaks became spaces (the text is cleaned as everywhere), `%` is escaped.
    assert_has(
        &lines[1],
        "cause: HTTP 401 invalid_client: nope <&\"'> ::error title=x::DESC-INJECTED  ::add-mask::%250A ::stop-commands::t%0Ahint: ",
    );
    // The human text above them says the same, as without GitHub Actions.
    assert_has(&stdout(&out), "good (Mock ::error::NAME-INJECTED): valid");
    sweep(&sb, &[&out], &[]);

    // Asked for by name, the same; `--format text` leaves them out.
    let named = sb
        .when(&["test", "--all", "--format", "github"])
        .then()
        .exits(3)
        .out;
    assert_eq!(annotations(&named).len(), 2);
    let plain = sb
        .when(&["test", "--all", "--format", "text"])
        .env("GITHUB_ACTIONS", "true")
        .then()
        .exits(3)
        .out;
    assert!(annotations(&plain).is_empty(), "{}", describe(&plain));
    sweep(&sb, &[&named, &plain], &[]);

    // The same text in JUnit XML: markup escaped, the control character left out.
    let junit = sb
        .when(&["test", "--all", "--format", "junit", "-v"])
        .then()
        .exits(3)
        .out;
    let failure = python(
        "import sys, xml.etree.ElementTree as ET; import json; f = ET.fromstring(sys.stdin.buffer.read()).find('.//failure'); print(json.dumps(f.get('message')))",
        &junit.stdout,
    );
    assert_has(text(&failure), "nope <&\"'> ::error title=x::DESC-INJECTED");
    sweep(&sb, &[&junit], &[]);
}
