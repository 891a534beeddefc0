//! What a server sends back is cleaned: escape sequences, bidi overrides and the secret itself.

use serde_json::json;
use wiremock::matchers::body_string_contains;
use wiremock::{MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_and_bidi_overrides_from_the_server_are_removed() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client\u{1b}]0;pwned\u{7}",
            "error_description":
                "Bad \u{1b}[31mred\u{1b}[0m client \u{202e}exe.txt\u{202c} done\r\nFAKE: all good",
        })))
        .expect(3)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);
    let secret = [("CREDLINK_CLIENT_SECRET", MARKER)];
    let forbidden = ['\u{1b}', '\u{7}', '\u{202e}', '\u{202c}', '\r'];

    // Human output, and the -v trace of the response on stderr.
    for args in [
        &["--client-id", CLIENT_ID][..],
        &["--client-id", CLIENT_ID, "-v"],
    ] {
        let out = credlink_test(&sb, &secret, args);
        assert_exit(&out, 3);
        assert_hidden(&out, MARKER);
        for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !stream.contains(&0x1b),
                "ESC byte on {name}:\n{}",
                describe(&out)
            );
            let stream = String::from_utf8_lossy(stream);
            assert!(
                !stream.contains(forbidden),
                "control or bidi character on {name}:\n{stream}"
            );
        }
        assert!(
            stdout(&out).contains("Bad [31mred[0m client exe.txt done  FAKE: all good"),
            "the readable text stays, on one line:\n{}",
            describe(&out)
        );
    }

    // JSON: the strings themselves are clean, not merely escaped.
    let r = report(&check_oauth(&sb, &[]));
    for key in ["error", "error_description"] {
        assert!(!text(&r[key]).contains(forbidden), "{key}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_echoing_the_secret_never_gets_it_printed() {
    // The form-encoded spelling differs from the raw one: a server may echo either.
    let secret = format!("{MARKER}+a/b=");
    let encoded: String = form_urlencoded_like(&secret);
    let server = MockServer::start().await;
    token_mock()
        .and(body_string_contains(format!("client_secret={encoded}")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": format!("invalid_client ({secret})"),
            "error_description": format!(
                "client_secret '{secret}' is wrong; you sent client_id={CLIENT_ID}&client_secret={encoded}"
            ),
        })))
        .expect(2)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);
    let env = [("CREDLINK_CLIENT_SECRET", secret.as_str())];

    let out = credlink_test(&sb, &env, &["--json", "--client-id", CLIENT_ID]);
    assert_exit(&out, 3);
    let r = report(&out);
    assert!(
        text(&r["error_description"]).contains("client_secret '(redacted)' is wrong"),
        "{r}"
    );
    assert!(
        text(&r["error_description"]).ends_with("client_secret=(redacted)"),
        "{r}"
    );
    assert_eq!(r["error"], "invalid_client ((redacted))");

    // Human output with the -v trace of request and response.
    let out = credlink_test(&sb, &env, &["-v", "--client-id", CLIENT_ID]);
    assert_exit(&out, 3);
    assert_hidden(&out, MARKER);
    assert!(stdout(&out).contains("(redacted)"), "{}", describe(&out));
    assert!(stderr(&out).contains("(redacted)"), "{}", describe(&out));
}

/// `application/x-www-form-urlencoded` of the few characters the echo test uses.
fn form_urlencoded_like(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_location_echoing_the_secret_never_gets_it_printed() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!(
                "{}/login?client_id={CLIENT_ID}&client_secret={MARKER}",
                server.uri()
            ),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    // Both runs first, so a failure shows every place the secret appears.
    let json = check_oauth(&sb, &[]);
    let traced = credlink_test(
        &sb,
        &[("CREDLINK_CLIENT_SECRET", MARKER)],
        &["-v", "--client-id", CLIENT_ID],
    );
    assert_exit(&json, 4);
    assert_exit(&traced, 4);
    assert_hidden(&traced, MARKER);
    let r = report(&json);
    assert!(
        text(&r["error_description"]).contains("client_secret=(redacted)"),
        "{r}"
    );
}
