//! What credlink sends: client authentication per RFC 6749, token parameters, values that could
//! move the request, https only.

use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, body_string, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;
use crate::support::*;

fn body_text(req: &Request) -> String {
    String::from_utf8_lossy(&req.body).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_client_auth_form_encodes_id_and_secret_per_rfc6749() {
    // RFC 6749 2.3.1 vector from AppAuth-iOS #233 (provider-auth-facts.md, section 19).
    let client_id = "1PpG/Q 1";
    let secret = "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=";
    let server = MockServer::start().await;
    token_mock()
        .and(header(
            "authorization",
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA==",
        ))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        // Only the grant: the credentials go in the header, never also in the body.
        .and(body_string("grant_type=client_credentials"))
        .and(|req: &Request| {
            let body = body_text(req);
            !body.contains("client_secret") && !body.contains("client_id")
        })
        .respond_with(token_ok())
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "basic",
        "",
        "",
    ));

    // The secret comes on stdin, with the one trailing line break `echo` adds.
    let out = sb
        .cmd()
        .args(["test", "--connector", "mock", "--no-input", "--json"])
        .args(["--client-id", client_id, "--client-secret-stdin"])
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_hidden(&out, secret);
    assert_hidden(&out, "tok-9d1e2f-never-printed");
    let r = report(&out);
    assert_eq!(r["ok"], true);
    assert_eq!(r["status"], "valid");
    assert_eq!(r["http_status"], 200);
    assert_eq!(r["expires_in"], 3600);
    assert_eq!(r["error"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_client_auth_sends_every_parameter_in_a_json_body() {
    let server = MockServer::start().await;
    token_mock()
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": MARKER,
            "scope": "read:all",
            "audience": "https://api.mock.example/",
        })))
        .and(|req: &Request| !req.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "tok-9d1e2f-never-printed",
            "token_type": "Bearer",
            "expires_in": 86400,
            "scope": "read:all read:extra",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "json",
        "scope = \"read:all\"\ntoken_params = { audience = \"{audience}\" }",
        "[[connectors.mock.fields]]\nid = \"audience\"\nlabel = \"Audience\"\n\
         default = \"https://api.mock.example/\"\n",
    ));

    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 0);
    assert_hidden(&out, "tok-9d1e2f-never-printed");
    let r = report(&out);
    assert_eq!(r["status"], "valid");
    assert_eq!(r["expires_in"], 86400);
    assert_eq!(
        r["scope"], "read:all read:extra",
        "the granted scope, from the answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_params_of_an_empty_optional_field_are_left_out() {
    let server = MockServer::start().await;
    token_mock()
        .and(body_string_contains("sub=42"))
        .respond_with(token_ok())
        .expect(1)
        .named("with --field user_id=42")
        .mount(&server)
        .await;
    token_mock()
        .and(body_string_contains("grant_type=client_credentials"))
        .and(|req: &Request| !body_text(req).contains("sub"))
        .respond_with(token_ok())
        .expect(1)
        .named("without user_id")
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "token_params = { sub = \"{user_id}\" }",
        "[[connectors.mock.fields]]\nid = \"user_id\"\nlabel = \"User ID\"\noptional = true\n",
    ));

    let out = check_oauth(&sb, &[]);
    assert_exit(&out, 0);
    assert_eq!(report(&out)["status"], "valid");
    let out = check_oauth(&sb, &["--field", "user_id=42"]);
    assert_exit(&out, 0);
    assert_eq!(report(&out)["status"], "valid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_unsafe_values_never_reach_the_network_even_when_the_pattern_allows_them() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(token_ok())
        .expect(0)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    // The pattern accepts anything: the URL check must refuse these values by itself.
    sb.write_connectors(&oauth_connector(
        &format!("{}/{{tenant}}/token", server.uri()),
        "post",
        "",
        "[[connectors.mock.fields]]\nid = \"tenant\"\nlabel = \"Tenant\"\npattern = \"^.+$\"\n",
    ));

    for evil in [
        "evil.com/x?",
        "a@evil.com",
        "evil.com#",
        "x/../../admin",
        "%2e%2e",
        "a b",
    ] {
        let out = check_oauth(&sb, &["--field", &format!("tenant={evil}")]);
        assert_exit(&out, 2);
        assert_hidden(&out, MARKER);
        assert!(
            describe(&out).contains("cannot be used in the provider URL"),
            "{evil}: {}",
            describe(&out)
        );
    }
}

// ---- the shipped catalog ----

#[test]
fn built_in_connectors_are_reachable_only_over_https() {
    let out = Sandbox::new()
        .cmd()
        .args(["connectors", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert!(!all.is_empty());
    for c in all {
        let url = text(&c["url"]);
        assert!(url.starts_with("https://"), "{}: {url}", c["id"]);
        if let Some(docs) = c["docs"].as_str() {
            assert!(docs.starts_with("https://"), "{}: {docs}", c["id"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_sign_in_url_gives_the_subdomain_and_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/t/acme/token"))
        .respond_with(token_ok())
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&subdomain_connector(&server.uri()));

    let out = check_oauth(&sb, &["--subdomain", "https://acme.example.com/login"]);
    assert_exit(&out, 0);
    assert_has(
        &stderr(&out),
        "took the Mock subdomain `acme` from the URL given",
    );
    assert_eq!(report(&out)["status"], "valid");

    // A URL of another host is not taken apart: the field names the problem, nothing is sent.
    let out = check_oauth(&sb, &["--subdomain", "https://acme.example.org"]);
    assert_exit(&out, 2);
    assert_has(
        &describe(&out),
        "Mock subdomain: `https://acme.example.org` does not match",
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
