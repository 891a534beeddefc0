//! `test --explain` of the calls after the token: the permission check, and the verify call of
//! API-key connectors.

use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::support::*;

const PERM_TOKEN: &str = "tok-perm-4a8c2e";

const PERM_HINT: &str = "PERM-HINT: grant Read access for Employees.";

/// A `mock` connector on `server` with a permission check on `/v2/persons?limit=1`, and the
/// token endpoint answering [`PERM_TOKEN`].
async fn permission_sandbox(server: &MockServer) -> Sandbox {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": PERM_TOKEN, "expires_in": 3600})),
        )
        .mount(server)
        .await;
    mock_sandbox(
        &format!("{}/token", server.uri()),
        &format!(
            "permission_check = {{ url = \"{}/v2/persons?limit=1\" }}\nhints = {{ permission_denied = \"{PERM_HINT}\" }}",
            server.uri()
        ),
    )
}

fn persons_call() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/v2/persons"))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {PERM_TOKEN}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_the_permission_check_fails_with_the_permission_hint() {
    let server = MockServer::start().await;
    let sb = permission_sandbox(&server).await;
    persons_call()
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "errors": [{"title": "Insufficient access scope", "detail": "persons:read"}]
        })))
        .expect(2)
        .mount(&server)
        .await;

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("permissions", 3);
    assert_eq!(
        d.names(),
        [
            "input",
            "dns",
            "connect",
            "tls",
            "http",
            "oauth",
            "permissions"
        ]
    );
    assert_eq!(d.status("oauth"), "ok");
    let detail = text(&step["detail"]);
    assert_has(detail, "/v2/persons?limit=1");
    assert_has(detail, "HTTP 403");
    assert_has(detail, "Insufficient access scope");
    assert_eq!(step["hint"], PERM_HINT);
    assert_hidden(&d.out, PERM_TOKEN);

    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 3);
    assert_human_failure(&page, "permissions", 3, PERM_HINT);
    // The bearer header matcher above proves the token was sent; and nothing else was asked.
    let calls = server.received_requests().await.unwrap();
    let persons: Vec<_> = calls
        .iter()
        .filter(|r| r.url.path() == "/v2/persons")
        .collect();
    assert_eq!(persons.len(), 2);
    for r in persons {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            &format!("Bearer {PERM_TOKEN}")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_permission_check_is_ok() {
    let server = MockServer::start().await;
    let sb = permission_sandbox(&server).await;
    persons_call()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(1)
        .mount(&server)
        .await;

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    d.passed();
    assert_eq!(d.status("permissions"), "ok");
    assert_has(d.detail("permissions"), "HTTP 200");
    assert!(d.step("permissions")["duration_ms"].is_u64());
    assert_hidden(&d.out, PERM_TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_connectors_run_the_verify_step() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("authorization", "Bearer good-key-77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "bad key"})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&api_key_connector(&server.uri()));
    let args = ["--connector", "keyed"];

    let d = diagnose(&sb, &[("CREDLINK_API_KEY", "good-key-77")], &args);
    d.passed();
    assert_eq!(d.status("verify"), "ok");
    assert_has(d.detail("verify"), "accepted the key");
    assert!(!d.names().contains(&"oauth"), "{:?}", d.names());
    assert_has(d.detail("input"), "API key: 11 characters");
    assert_hidden(&d.out, "good-key-77");

    let d = diagnose(&sb, &[("CREDLINK_API_KEY", MARKER)], &args);
    let step = d.failed_at("verify", 3);
    assert_has(text(&step["detail"]), "HTTP 401");
    assert_eq!(step["hint"], "KEY-HINT: the key was revoked.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_connectors_report_the_permissions_step_as_skipped() {
    let (_server, sb) = api_key_sandbox().await;

    let d = diagnose(
        &sb,
        &[("CREDLINK_API_KEY", "good-key-77")],
        &["--connector", "keyed"],
    );
    d.passed();
    assert_eq!(d.status("permissions"), "skipped");
}
