//! API-key verification as Ashby, Workable and custom-header connectors do it.

use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{any, body_string, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

use super::*;
use crate::support::*;

/// A connectors file with one API-key connector `mock`: `verify` is the body of its
/// `[connectors.mock.verify]` table, `fields` its field tables (the secret one included).
fn api_key_connector(verify: &str, fields: &str) -> String {
    format!(
        r#"
[connectors.mock]
name = "Mock API key"
auth = "api_key"

[connectors.mock.verify]
{verify}

{fields}
"#
    )
}

const API_KEY_FIELD: &str = r#"
[[connectors.mock.fields]]
id = "api_key"
label = "API key"
secret = true
"#;

/// An API-key check in JSON, with [`API_KEY`] as the key.
fn check_api_key(sb: &Sandbox, args: &[&str]) -> Output {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    credlink_test(sb, &[("CREDLINK_API_KEY", API_KEY)], &all)
}

// ---- API-key verification variants ----

/// The Ashby-like connector: POST, Basic with the key as user and no password, body `{}`,
/// and `success: false` on a 200 meaning a rejection.
fn ashby_like(server: &MockServer) -> Sandbox {
    let sb = Sandbox::new();
    let verify = format!(
        r#"method = "POST"
url = "{}/apiKey.info"
basic_auth = {{ username = "{{api_key}}", password = "" }}
headers = {{ "Accept" = "application/json; version=1" }}
json_body = "{{}}"
success_pointer = "/success""#,
        server.uri()
    );
    sb.write_connectors(&api_key_connector(&verify, API_KEY_FIELD));
    sb
}

fn ashby_mock() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/apiKey.info"))
        // base64("ashby-KEY-4f9a1c:"): the key as user name, an empty password.
        .and(header("authorization", "Basic YXNoYnktS0VZLTRmOWExYzo="))
        .and(header("accept", "application/json; version=1"))
        .and(header("content-type", "application/json"))
        .and(body_string("{}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ashby_like_success_false_on_200_is_a_rejection() {
    let server = MockServer::start().await;
    ashby_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false,
            "errorInfo": {"code": "api_key_invalid", "message": "Invalid API key"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = ashby_like(&server);

    let out = check_api_key(&sb, &[]);
    let r = failed(&out, 3, "rejected", Some(200));
    assert_eq!(r["error"], "api_key_invalid");
    assert_eq!(r["error_description"], "Invalid API key");
    assert!(
        text(&r["hint"]).contains("reported a failure"),
        "generic success_false hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ashby_like_success_true_is_valid() {
    let server = MockServer::start().await;
    ashby_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "results": {"title": "credlink"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = ashby_like(&server);

    let out = check_api_key(&sb, &[]);
    let r = failed(&out, 0, "valid", Some(200));
    assert_eq!(r["error"], Value::Null);
    assert_eq!(r["hint"], Value::Null);
}

/// The Workable-like connector: GET with `Authorization: Bearer KEY` on a path that holds
/// the subdomain (the real one is in the host).
fn workable_like(server: &MockServer) -> Sandbox {
    let sb = Sandbox::new();
    let verify = format!(
        "method = \"GET\"\nurl = \"{}/{{subdomain}}/spi/v3/jobs?limit=1\"\nbearer = \"{{api_key}}\"",
        server.uri()
    );
    let fields = format!(
        "[[connectors.mock.fields]]\nid = \"subdomain\"\nlabel = \"Subdomain\"\n\
         pattern = \"^[a-z0-9][a-z0-9-]{{0,62}}$\"\n{API_KEY_FIELD}"
    );
    sb.write_connectors(&api_key_connector(&verify, &fields));
    sb
}

fn workable_mock() -> MockBuilder {
    Mock::given(method("GET"))
        .and(path("/acme/spi/v3/jobs"))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {API_KEY}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_verification_valid_on_200_and_rejected_on_401() {
    let server = MockServer::start().await;
    workable_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"jobs": []})))
        .expect(1)
        .mount(&server)
        .await;
    let out = check_api_key(&workable_like(&server), &["--subdomain", "acme"]);
    assert_exit(&out, 0);
    assert_eq!(report(&out)["status"], "valid");

    let server = MockServer::start().await;
    workable_mock()
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "Not authorized"})))
        .expect(1)
        .mount(&server)
        .await;
    let out = check_api_key(&workable_like(&server), &["--subdomain", "acme"]);
    let r = failed(&out, 3, "rejected", Some(401));
    assert!(
        text(&r["hint"]).contains("(401)"),
        "generic http_401 hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_header_verification_sends_both_headers_and_403_is_a_rejection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/eu/api/v2.1/public/contract_types/"))
        .and(header("client-id", CLIENT_ID))
        .and(header("client-secret", MARKER))
        .and(|req: &Request| !req.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "detail": "You do not have permission to perform this action."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let verify = format!(
        "method = \"GET\"\nurl = \"{}/{{region}}/api/v2.1/public/contract_types/\"\n\
         headers = {{ \"client-id\" = \"{{client_id}}\", \"client-secret\" = \"{{client_secret}}\" }}",
        server.uri()
    );
    let fields = r#"
[[connectors.mock.fields]]
id = "region"
label = "Region"
pattern = "^(in|us|eu|me)$"

[[connectors.mock.fields]]
id = "client_id"
label = "Client ID"

[[connectors.mock.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#;
    sb.write_connectors(&api_key_connector(&verify, fields));

    let out = credlink_test(
        &sb,
        &[("CREDLINK_CLIENT_SECRET", MARKER)],
        &["--json", "--client-id", CLIENT_ID, "--field", "region=eu"],
    );
    let r = failed(&out, 3, "rejected", Some(403));
    assert_eq!(
        r["error_description"],
        "You do not have permission to perform this action."
    );
    assert!(
        text(&r["hint"]).contains("(403)"),
        "generic http_403 hint: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_header_is_reported_as_the_description() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/employees/0"))
        .and(query_param("fields", "id"))
        // base64("bamboo-KEY-0c7e21:x"): the key as user name, any password.
        .and(header(
            "authorization",
            "Basic YmFtYm9vLUtFWS0wYzdlMjE6eA==",
        ))
        .respond_with(
            ResponseTemplate::new(401).insert_header("X-BambooHR-Error-Message", "Invalid API key"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let verify = format!(
        "method = \"GET\"\nurl = \"{}/api/v1/employees/0?fields=id\"\n\
         basic_auth = {{ username = \"{{api_key}}\", password = \"x\" }}\n\
         error_header = \"X-BambooHR-Error-Message\"",
        server.uri()
    );
    sb.write_connectors(&api_key_connector(&verify, API_KEY_FIELD));

    let out = credlink_test(
        &sb,
        &[("CREDLINK_API_KEY", "bamboo-KEY-0c7e21")],
        &["--json"],
    );
    assert_exit(&out, 3);
    assert_hidden(&out, "bamboo-KEY-0c7e21");
    let r = report(&out);
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["http_status"], 401);
    assert!(
        text(&r["error_description"]).contains("Invalid API key"),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_on_the_verify_url_is_unreachable() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_raw("Not Found", "text/plain"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = workable_like(&server);

    let out = check_api_key(&sb, &["--subdomain", "no-such-company"]);
    let r = failed(&out, 4, "unreachable", Some(404));
    assert!(
        text(&r["hint"]).contains("404"),
        "generic http_404 hint: {r}"
    );
}
