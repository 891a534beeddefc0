//! One end-to-end `link` per product family (a subdomain, a region, a data centre, a fixed
//! host with a permission check, a sandbox, an API key on a subdomain, a key in a query
//! parameter, a key in a JSON body, a scope naming an entity, a private key signing a client
//! assertion, a sign-in call by form or by Basic and JSON, a raw token as the whole
//! Authorization value; for a browser sign-in with a permission check, the `test` of an account
//! it linked), each against a
//! loopback stand-in (wiremock) with a copy of the real built-in entry in which only the scheme
//! and host of its URLs are rewritten: the entry's own fields, patterns, templates, client
//! authentication, permission call and answer classification all run, and the test checks
//! the request the provider would have received and what was stored.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

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
    keyring()?;
    let sb = Sandbox::with_connectors(&entry_on(id, &server.uri()));
    let mut argv = vec!["link", id, "--name", "fam", "--no-input"];
    argv.extend_from_slice(args);
    let out = sb
        .when(&argv)
        .stdin(SECRET)
        .then()
        .exits(0)
        .hides(SECRET)
        .out;
    assert_has(&stdout(&out), "Linked fam");
    assert_eq!(sb.keychain_secret("fam").as_deref(), Some(SECRET));
    let index = sb.index();
    assert_lacks(&index.to_string(), SECRET, "the index");
    let record = index["accounts"][0].clone();
    assert_eq!(record["connector"], id);
    let requests = server.received_requests().await.unwrap();
    Some((record, requests))
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
    let check = &requests[1];
    assert_eq!(check.url.path(), "/v2/persons");
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
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

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn private_key_jwt_family_okta_links_with_a_signed_assertion_and_lists_one_user() {
    use base64::Engine;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&entry_on("okta", &server.uri()));
    let key = sb.dir.path().join("okta.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "{}", stderr(&made));
    let pem = std::fs::read_to_string(&key).unwrap();
    let file = format!("private_key={}", key.display());
    let args = [
        "link",
        "okta",
        "--name",
        "fam",
        "--no-input",
        "--subdomain",
        "acme",
        "--client-id",
        "0oa1b2c3d4e5f6g7h8i9",
        "--field-file",
        &file,
    ];
    let out = sb.when(&args).then().exits(0).out;
    assert_has(&stdout(&out), "Linked fam");
    let body_line = pem.lines().nth(2).unwrap();
    assert_kept_secret(&sb, &[&out], &[body_line]);
    assert_eq!(sb.keychain_secret("fam").as_deref(), Some(pem.trim()));
    let requests = server.received_requests().await.unwrap();
    let body = form(&requests[0]);
    assert_eq!(body["grant_type"], "client_credentials");
    assert_eq!(body["scope"], "okta.users.read");
    assert_eq!(body["client_id"], "0oa1b2c3d4e5f6g7h8i9");
    assert_eq!(
        body["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(body.get("client_secret").is_none());
    let assertion = body["client_assertion"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(assertion.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], format!("{}/oauth2/v1/token", server.uri()));
    assert_eq!(claims["iss"], "0oa1b2c3d4e5f6g7h8i9");
    assert_eq!(claims["sub"], "0oa1b2c3d4e5f6g7h8i9");
    let check = &requests[1];
    assert_eq!(check.url.path(), "/api/v1/users");
    assert_eq!(check.url.query(), Some("limit=1"));
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}

/// Links a token_exchange entry with two secret fields: `api_key` on stdin, the client secret
/// from the environment; checks both stay out of the output and the index.
fn link_two_secrets(sb: &Sandbox, args: &[&str], client_secret: &str) -> Value {
    let out = sb
        .when(args)
        .env("CREDLINK_CLIENT_SECRET", client_secret)
        .stdin(SECRET)
        .then()
        .exits(0)
        .hides(SECRET)
        .hides(client_secret)
        .out;
    assert_has(&stdout(&out), "Linked fam");
    let stored: Value = serde_json::from_str(&sb.keychain_secret("fam").unwrap()).unwrap();
    let index = sb.index().to_string();
    assert_lacks(&index, SECRET, "the index");
    assert_lacks(&index, client_secret, "the index");
    stored
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn form_exchange_family_keka_signs_in_with_its_grant_and_lists_one_employee() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/hris/employees"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&entry_on("keka", &server.uri()));
    let args = [
        "link",
        "keka",
        "--name",
        "fam",
        "--no-input",
        "--subdomain",
        "acme",
        "--client-id",
        "keka-client-1",
        "--secret-stdin",
        "api_key",
    ];
    let stored = link_two_secrets(&sb, &args, "fam-CLIENT-SECRET-77a1");
    assert_eq!(stored["api_key"], SECRET);
    assert_eq!(stored["client_secret"], "fam-CLIENT-SECRET-77a1");
    let requests = server.received_requests().await.unwrap();
    let body = form(&requests[0]);
    assert_eq!(body["grant_type"], "kekaapi");
    assert_eq!(body["scope"], "kekaapi");
    assert_eq!(body["client_id"], "keka-client-1");
    assert_eq!(body["client_secret"], "fam-CLIENT-SECRET-77a1");
    assert_eq!(body["api_key"], SECRET);
    let check = &requests[1];
    assert_eq!(check.url.path(), "/api/v1/hris/employees");
    assert_eq!(check.url.query(), Some("pageNumber=1&pageSize=1"));
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn basic_exchange_family_onelogin_signs_in_with_a_json_grant_and_lists_one_user() {
    use base64::Engine;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/oauth2/v2/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let args = [
        "--subdomain",
        "acme",
        "--client-id",
        "ol-client-1",
        "--client-secret-stdin",
    ];
    let Some((_, requests)) = link_family(&server, "onelogin", &args).await else {
        return;
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("ol-client-1:{SECRET}"))
    );
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        expected.as_str()
    );
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body, json!({"grant_type": "client_credentials"}));
    let check = &requests[1];
    assert_eq!(check.url.path(), "/api/2/users");
    assert_eq!(check.url.query(), Some("limit=1"));
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn raw_header_family_join_sends_its_token_as_the_whole_authorization_value() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/jobs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let Some((_, requests)) = link_family(&server, "join", &["--api-key-stdin"]).await else {
        return;
    };
    assert_eq!(requests[0].headers.get("authorization").unwrap(), SECRET);
    assert_eq!(requests[0].url.query(), Some("page=1&pageSize=1"));
}

/// A browser sign-in entry with a permission call (PandaDoc's OAuth app): an account linked
/// through the browser is tested with its refresh token, and the new token reads the member
/// it belongs to.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn browser_app_family_pandadoc_oauth_refreshes_and_makes_its_permission_call() {
    if keyring().is_none() {
        return;
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/access_token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/public/v1/members/current"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": "u1"})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&entry_on("pandadoc-oauth", &server.uri()));
    sb.write_index(&[json!({
        "name": "fam",
        "connector": "pandadoc-oauth",
        "auth": "oauth2_authorization_code",
        "fields": {"client_id": "pd-client"},
        "linked_at": "2026-01-01T00:00:00Z",
    })]);
    let stored = json!({"client_secret": SECRET, "refresh_token": "fam-refresh-1"});
    sb.store_secret("fam", &stored.to_string());
    sb.when(&["test", "fam"]).then().exits(0).hides(SECRET);
    let requests = server.received_requests().await.unwrap();
    let body = form(&requests[0]);
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(body["refresh_token"], "fam-refresh-1");
    assert_eq!(body["client_secret"], SECRET);
    let check = &requests[1];
    assert_eq!(check.url.path(), "/public/v1/members/current");
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}
