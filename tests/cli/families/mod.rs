//! One end-to-end `link` per product family (a subdomain, a region, a data centre, a fixed
//! host with a permission check, a sandbox, an API key on a subdomain, a key in a query
//! parameter, a key in a JSON body, a scope naming an entity, a private key signing a client
//! assertion, a sign-in call by form or by Basic and JSON, a raw token as the whole
//! Authorization value; for a browser sign-in with a permission check, the `test` of an account
//! it linked), each against a
//! loopback stand-in (wiremock) with a copy of the real built-in entry in which only the scheme
//! and host of its URLs are rewritten: the entry's own fields, patterns, templates, client
//! authentication, permission call and answer classification all run, and the test checks
//! the request the provider would have received and what was stored. The assertion family
//! (Google Workspace) has the stand-in verify the signed JWT as the provider would.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

mod kinds;

const SECRET: &str = "fam-SECRET-5c1e09";

fn token() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "fam-access-token",
        "token_type": "Bearer",
        "expires_in": 3600,
    }))
}

/// Links `id` against `server` with `args` (the secret on stdin), then checks exit 0, that the
/// secret is in the keychain and nowhere in the output or index, and returns the record and
/// the requests the stand-in received.
async fn link_family(
    server: &MockServer,
    id: &str,
    args: &[&str],
) -> Option<(Value, Vec<Request>)> {
    link_family_with(server, id, args, SECRET).await
}

/// [`link_family`] with this secret on stdin.
async fn link_family_with(
    server: &MockServer,
    id: &str,
    args: &[&str],
    secret: &str,
) -> Option<(Value, Vec<Request>)> {
    keyring()?;
    let sb = Sandbox::with_connectors(&entry_on(id, &server.uri()));
    let mut argv = vec!["link", id, "--name", "fam", "--no-input"];
    argv.extend_from_slice(args);
    let out = sb
        .when(&argv)
        .stdin(secret)
        .then()
        .exits(0)
        .hides(secret)
        .out;
    assert_has(&stdout(&out), "Linked fam");
    assert_eq!(sb.keychain_secret("fam").as_deref(), Some(secret.trim()));
    let index = sb.index();
    assert_lacks(&index.to_string(), secret, "the index");
    let record = index["accounts"][0].clone();
    assert_eq!(record["connector"], id);
    let requests = server.received_requests().await.unwrap();
    Some((record, requests))
}

/// The check's read-only call: this path and query, with the token the stand-in issued.
fn assert_bearer_call(call: &Request, path: &str, query: Option<&str>) {
    assert_eq!(call.url.path(), path);
    assert_eq!(call.url.query(), query);
    assert_eq!(
        call.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}

fn form(req: &Request) -> Value {
    let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(pairs)
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn subdomain_family_traffit_links_with_its_json_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    let args = [
        "--subdomain",
        "https://acme.traffit.com/login",
        "--client-id",
        "acme_credlink",
        "--client-secret-stdin",
    ];
    let Some((record, requests)) = link_family(&server, "traffit", &args).await else {
        return;
    };
    assert_eq!(
        record["fields"]["subdomain"], "acme",
        "taken out of the pasted sign-in URL"
    );
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["grant_type"], "client_credentials");
    assert_eq!(body["client_id"], "acme_credlink");
    assert_eq!(body["client_secret"], SECRET);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn region_family_spotdraft_links_with_its_verification_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.1/public/contract_types/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&server)
        .await;
    let args = [
        "--client-id",
        "sd-client-1",
        "--field",
        "region=eu",
        "--client-secret-stdin",
    ];
    let Some((record, requests)) = link_family(&server, "spotdraft", &args).await else {
        return;
    };
    assert_eq!(record["fields"]["region"], "eu");
    let headers = &requests[0].headers;
    assert_eq!(headers.get("client-id").unwrap(), "sd-client-1");
    assert_eq!(headers.get("client-secret").unwrap(), SECRET);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn data_centre_family_zoho_recruit_eu_links_with_its_form_and_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    let args = [
        "--client-id",
        "1000.ABCDEF123",
        "--field",
        "org_id=12345678",
        "--client-secret-stdin",
    ];
    let Some((_, requests)) = link_family(&server, "zoho-recruit-eu", &args).await else {
        return;
    };
    let body = form(&requests[0]);
    assert_eq!(body["grant_type"], "client_credentials");
    assert_eq!(body["client_id"], "1000.ABCDEF123");
    assert_eq!(body["client_secret"], SECRET);
    assert_eq!(body["scope"], "ZohoRecruit.users.READ");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn fixed_host_family_personio_links_and_makes_its_permission_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/persons"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"_data": []})))
        .mount(&server)
        .await;
    let args = [
        "--client-id",
        "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
        "--client-secret-stdin",
    ];
    let Some((_, requests)) = link_family(&server, "personio", &args).await else {
        return;
    };
    let body = form(&requests[0]);
    assert_eq!(body["client_secret"], SECRET);
    assert_bearer_call(&requests[1], "/v2/persons", Some("limit=1"));
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn sandbox_family_sps_commerce_sandbox_links_with_its_audience() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/auth-check"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let args = [
        "--client-id",
        "sps-sandbox-client",
        "--field",
        "audience=api://api.spscommerce.com/",
        "--client-secret-stdin",
    ];
    let Some((record, requests)) = link_family(&server, "sps-commerce-sandbox", &args).await else {
        return;
    };
    assert_eq!(record["connector"], "sps-commerce-sandbox");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["audience"], "api://api.spscommerce.com/");
    assert_eq!(body["client_secret"], SECRET);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn api_key_family_bamboohr_links_with_basic_auth_on_its_subdomain() {
    use base64::Engine;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/employees/0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "0"})))
        .mount(&server)
        .await;
    let args = ["--subdomain", "acme", "--api-key-stdin"];
    let Some((record, requests)) = link_family(&server, "bamboohr", &args).await else {
        return;
    };
    assert_eq!(record["fields"]["subdomain"], "acme");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SECRET}:x"))
    );
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        expected.as_str()
    );
    assert_eq!(requests[0].url.query(), Some("fields=id"));
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn query_key_family_jazzhr_links_with_its_key_in_the_apikey_parameter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let Some((_, requests)) = link_family(&server, "jazzhr", &["--api-key-stdin"]).await else {
        return;
    };
    let pairs: Vec<(String, String)> = requests[0].url.query_pairs().into_owned().collect();
    assert_eq!(pairs, [("apikey".to_owned(), SECRET.to_owned())]);
    assert!(requests[0].headers.get("authorization").is_none());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn json_key_family_peoplehr_links_with_its_key_in_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Employee"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"isError": false, "Result": []})),
        )
        .mount(&server)
        .await;
    let Some((_, requests)) = link_family(&server, "peoplehr", &["--api-key-stdin"]).await else {
        return;
    };
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({"APIKey": SECRET, "Action": "GetAllEmployeeDetail", "IncludeLeavers": "false"})
    );
    assert_eq!(requests[0].url.query(), None);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn entity_scope_family_cultureamp_links_with_its_target_entity_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/employees"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let args = ["--client-id", "ca-client-1", "--client-secret-stdin"];
    let Some((record, requests)) = link_family(&server, "cultureamp", &args).await else {
        return;
    };
    let body = form(&requests[0]);
    assert_eq!(
        body["scope"],
        "target-entity:8ed17dce-9eca-4383-a9e1-54f82c362b6d:employees-read"
    );
    assert_eq!(body["client_secret"], SECRET);
    assert_eq!(record["scope"], body["scope"]);
    assert_eq!(
        requests[1].headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}
