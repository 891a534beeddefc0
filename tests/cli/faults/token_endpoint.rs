//! A token endpoint that answers badly: slowly, with HTML, without a token, cut short, with a
//! redirect, a rejection, or not at all.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_slower_than_the_timeout_is_unreachable_with_a_timeout_hint() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(token_ok().set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &["--timeout", "1"]);
    assert_exit(&out, 4);
    let r = report(&out);
    assert_eq!(r["status"], "unreachable");
    assert_eq!(r["error"], "timeout");
    assert_eq!(r["http_status"], Value::Null);
    assert_cause(&r, "no answer within 1 s", "did not answer in time");
    let latency = r["latency_ms"].as_u64().unwrap();
    assert!(
        (900..2900).contains(&latency),
        "gave up after ~1 s, not 3: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_html_error_page_is_unreachable_and_named_by_its_title() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            "<html><head><title>Internal Error</title></head><body><h1>HTTP Status 500 - \
             Unable to invoke controller: null</h1></body></html>",
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(500));
    assert_eq!(r["error"], Value::Null);
    let description = text(&r["error_description"]);
    assert!(description.contains("HTML"), "{r}");
    assert!(description.contains("\"Internal Error\""), "{r}");
    assert!(
        text(&r["hint"]).contains("server error"),
        "generic http_5xx hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_with_200_is_not_json_even_when_labelled_json() {
    for content_type in ["text/html; charset=utf-8", "application/json"] {
        let server = MockServer::start().await;
        token_mock()
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                "<!DOCTYPE html>\n<html><head><TITLE>Sign in - Corporate Proxy</TITLE></head>\
                 <body><form></form></body></html>",
                content_type,
            ))
            .expect(1)
            .mount(&server)
            .await;
        let sb = oauth_sandbox(&server);

        let out = check_oauth(&sb, &[]);
        let r = failed(&out, 4, "unreachable", Some(200));
        let description = text(&r["error_description"]);
        assert!(description.contains("not JSON"), "{r}");
        assert!(description.contains("Sign in - Corporate Proxy"), "{r}");
        assert!(
            text(&r["hint"]).contains("other than JSON"),
            "generic non_json hint: {r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_without_an_access_token_is_unusable() {
    for body in [
        json!({"token_type": "Bearer"}),
        json!({"access_token": "", "token_type": "Bearer"}),
        json!({"access_token": 42}),
    ] {
        let server = MockServer::start().await;
        token_mock()
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let sb = oauth_sandbox(&server);

        let out = check_oauth(&sb, &[]);
        let r = failed(&out, 4, "unreachable", Some(200));
        assert_cause(&r, "no access_token", "no access token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_unusable() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"access_token": "abc""#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(200));
    assert!(text(&r["error_description"]).contains("not JSON"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_reported_and_never_followed() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(token_ok())
        .expect(0)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", Some(302));
    let description = text(&r["error_description"]);
    assert!(description.contains("redirect"), "{r}");
    assert!(description.contains("/elsewhere"), "names the target: {r}");
    assert!(
        text(&r["hint"]).contains("redirect"),
        "generic redirect hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personio_problem_json_400_unauthorized_client_is_a_rejection() {
    // provider-auth-facts.md section 20, row 3: Personio's "Invalid Credentials" example.
    let body = r#"{"timestamp":"2023-03-01T14:07:17Z","trace_id":"baaaaaad-c0de-fade-baad-c000000000de","error":"unauthorized_client","error_description":"Client is not allowed to use the specified grant type flow.","error_uri":"https://developer.personio.de/reference/errors#credentials.oauth2.unauthorized_client"}"#;
    let server = MockServer::start().await;
    token_mock()
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains(format!("client_secret={MARKER}")))
        .respond_with(ResponseTemplate::new(400).set_body_raw(body, "application/problem+json"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 3, "rejected", Some(400));
    assert_eq!(r["error"], "unauthorized_client");
    assert_eq!(
        r["error_description"],
        "Client is not allowed to use the specified grant type flow."
    );
    assert!(
        text(&r["hint"]).contains("client-credentials flow"),
        "generic hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_401_is_a_rejection() {
    // HiBob answers bad credentials with 401 and no body at all.
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let sb = oauth_sandbox(&server);

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 3, "rejected", Some(401));
    assert_eq!(r["error"], Value::Null);
    assert_cause(&r, "empty", "(401)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_unreachable_with_a_connect_hint() {
    // A port that was just free: nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("http://127.0.0.1:{port}/token"),
        "post",
        "",
        "",
    ));

    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 4);
    let r = report(&out);
    assert_eq!(r["status"], "unreachable");
    assert_eq!(r["error"], "connect");
    assert_eq!(r["http_status"], Value::Null);
    assert!(
        text(&r["hint"]).contains("Could not connect"),
        "generic connect hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_the_connection_without_an_answer_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // Read a little of the request, then hang up without a byte of answer.
            let mut buf = [0u8; 256];
            let _ = std::io::Read::read(&mut &stream, &mut buf);
            drop(stream);
        }
    });
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("http://127.0.0.1:{port}/token"),
        "post",
        "",
        "",
    ));

    let out = check_oauth(&sb, &[]);
    let r = failed(&out, 4, "unreachable", None);
    assert!(r["error"].is_string(), "{r}");
    assert!(r["error_description"].is_string(), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_error_body_of_an_unknown_shape_is_not_called_empty() {
    for body in [
        json!({"errorId": "err-7f3a", "code": 40101}),
        json!("Unauthorized"),
    ] {
        let server = MockServer::start().await;
        token_mock()
            .respond_with(ResponseTemplate::new(401).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let sb = oauth_sandbox(&server);

        let out = check_oauth(&sb, &[]);
        assert_exit(&out, 3);
        let r = report(&out);
        assert_eq!(r["http_status"], 401);
        assert!(
            !text(&r["error_description"]).contains("empty"),
            "{body}: {r}"
        );
    }
}
