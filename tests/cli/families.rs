//! One end-to-end `link` per product family (a subdomain, a region, a data centre, a fixed
//! host with a permission check, a sandbox, an API key on a subdomain), each against a
//! loopback stand-in (wiremock) with a copy of the real built-in entry in which only the scheme
//! and host of its URLs are rewritten: the entry's own fields, patterns, templates, client
//! authentication, permission call and answer classification all run, and the test checks
//! the request the provider would have received and what was stored. The assertion family
//! (Google Workspace) has the stand-in verify the signed JWT as the provider would.

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

/// An RSA key pair made by openssl: the private key (PKCS#8 PEM) and the public key (PEM).
fn rsa_key_pair(dir: &std::path::Path) -> (String, String) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    };
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "sa.pem",
    ]);
    run(&["pkey", "-in", "sa.pem", "-pubout", "-out", "sa.pub"]);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    (read("sa.pem"), read("sa.pub"))
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn assertion_family_google_workspace_links_with_a_key_file_and_acts_as_the_admin() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/admin/directory/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": []})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = rsa_key_pair(dir.path());
    let email = "credlink@acme-hr.iam.gserviceaccount.com";
    let key_file = serde_json::to_string_pretty(&json!({
        "type": "service_account",
        "project_id": "acme-hr",
        "private_key_id": "8f1c0ffee",
        "private_key": private,
        "client_email": email,
        "client_id": "104857600000000000001",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    .unwrap();
    let args = [
        "--field",
        "subject=admin@acme.example",
        "--secret-stdin",
        "private_key",
    ];
    let Some((record, requests)) =
        link_family_with(&server, "google-workspace", &args, &key_file).await
    else {
        return;
    };
    assert_eq!(
        record["fields"]["client_id"], email,
        "the issuer, from the key file"
    );
    let body = form(&requests[0]);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["assertion", "grant_type"],
        "Google's request: nothing else"
    );
    assert_eq!(
        body["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    // The stand-in verifies what Google would: the signature with the key's public half.
    let assertion = body["assertion"].as_str().unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[format!("{}/token", server.uri())]);
    validation.set_issuer(&[email]);
    let decoded = jsonwebtoken::decode::<Value>(
        assertion,
        &DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
        &validation,
    )
    .expect("the assertion verifies with the key's public half");
    assert_eq!(decoded.header.kid.as_deref(), Some("8f1c0ffee"));
    let claims = decoded.claims;
    assert_eq!(claims["sub"], "admin@acme.example");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/admin.directory.user.readonly"
    );
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert!(lifetime <= 3600, "Google's limit: an hour");
    assert!(claims["jti"].is_string());
    let check = &requests[1];
    assert_eq!(check.url.query(), Some("customer=my_customer&maxResults=1"));
    assert_eq!(
        check.headers.get("authorization").unwrap(),
        "Bearer fam-access-token"
    );
}

/// SuccessFactors' token endpoint as a stand-in: it checks the SAML assertion's XML signature
/// with a real verifier, `xmlsec1 --verify`, against the public key registered for the client,
/// and issues a token only when it verifies.
struct SamlVerifier {
    dir: std::path::PathBuf,
}

impl wiremock::Respond for SamlVerifier {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        use base64::Engine;
        let body = form(request);
        let xml = base64::engine::general_purpose::STANDARD
            .decode(body["assertion"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let file = self.dir.join("assertion.xml");
        std::fs::write(&file, &xml).unwrap();
        let verified = std::process::Command::new("xmlsec1")
            .args(["--verify", "--pubkey-pem", "sa.pub", "--id-attr:ID"])
            .arg("urn:oasis:names:tc:SAML:2.0:assertion:Assertion")
            .arg(&file)
            .current_dir(&self.dir)
            .output()
            .expect("xmlsec1 runs (scripts/test installs it)");
        match verified.status.success() {
            true => token(),
            false => ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_grant",
                "error_description": "Unable to verify the signature of the SAML assertion",
            })),
        }
    }
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service and xmlsec1 (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn saml_family_successfactors_links_with_an_assertion_xmlsec1_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (private, _) = rsa_key_pair(dir.path());
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(SamlVerifier {
            dir: dir.path().to_owned(),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/odata/v2/User"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"d": {"results": []}})))
        .mount(&server)
        .await;
    let args = [
        "--field",
        "api_host=api4",
        "--field",
        "company_id=ACME123",
        "--client-id",
        "NzQ1ZjE5ZTk1NmFiZDQ",
        "--field",
        "subject=SFADMIN",
        "--secret-stdin",
        "private_key",
    ];
    let Some((record, requests)) =
        link_family_with(&server, "sap-successfactors", &args, &private).await
    else {
        return;
    };
    assert_eq!(record["fields"]["company_id"], "ACME123");
    let body = form(&requests[0]);
    assert_eq!(
        body["grant_type"],
        "urn:ietf:params:oauth:grant-type:saml2-bearer"
    );
    assert_eq!(body["client_id"], "NzQ1ZjE5ZTk1NmFiZDQ");
    assert_eq!(body["company_id"], "ACME123");
    let xml = std::fs::read_to_string(dir.path().join("assertion.xml")).unwrap();
    for part in [
        "<saml2:Issuer>NzQ1ZjE5ZTk1NmFiZDQ</saml2:Issuer>",
        ">SFADMIN</saml2:NameID>",
        "<saml2:Audience>www.successfactors.com</saml2:Audience>",
        &format!("Recipient=\"{}/oauth/token\"", server.uri()),
    ] {
        assert_has(&xml, part);
    }
    assert!(!xml.contains("PRIVATE KEY"), "no key in the assertion");
    assert_eq!(requests[1].url.path(), "/odata/v2/User");

    // --explain shows what the assertion says, never the key or the assertion.
    let sb = Sandbox::with_connectors(&entry_on("sap-successfactors", &server.uri()));
    let mut argv = vec![
        "test",
        "--explain",
        "--connector",
        "sap-successfactors",
        "--no-input",
    ];
    argv.extend_from_slice(&args);
    let out = sb.when(&argv).stdin(&private).then().exits(0).out;
    assert_has(
        &stdout(&out),
        "[ ok ] assertion            SAML 2.0, issuer NzQ1ZjE5ZTk1NmFiZDQ, subject SFADMIN, audience www.successfactors.com, expires 120 s after signing",
    );
    assert_hidden(&out, private.lines().nth(2).unwrap());

    // A key the client did not register: the verifier refuses, nothing is saved.
    let other = tempfile::tempdir().unwrap();
    let (wrong, _) = rsa_key_pair(other.path());
    let sb = Sandbox::with_connectors(&entry_on("sap-successfactors", &server.uri()));
    let mut argv = vec![
        "link",
        "sap-successfactors",
        "--name",
        "wrong",
        "--no-input",
    ];
    argv.extend_from_slice(&args);
    let out = sb.when(&argv).stdin(&wrong).then().exits(3).out;
    assert_has(
        &stderr(&out),
        "Unable to verify the signature of the SAML assertion",
    );
    assert_has(
        &stderr(&out),
        "SuccessFactors could not verify the assertion",
    );
    assert_hidden(&out, wrong.lines().nth(2).unwrap());
    assert!(sb.account_names().is_empty());
}
