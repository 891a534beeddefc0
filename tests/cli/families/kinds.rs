//! The families of the other auth kinds and sign-ins: a private key signing a client assertion,
//! sign-in calls by form or by Basic and JSON, a raw token as the whole Authorization value, a
//! browser sign-in with a permission check, and the assertion grants (JWT and SAML 2.0 bearer).

use super::*;

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
    assert_bearer_call(&requests[1], "/api/v1/users", Some("limit=1"));
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
    assert_bearer_call(
        &requests[1],
        "/api/v1/hris/employees",
        Some("pageNumber=1&pageSize=1"),
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
    assert_bearer_call(&requests[1], "/api/2/users", Some("limit=1"));
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
    assert_bearer_call(&requests[1], "/public/v1/members/current", None);
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
    assert_bearer_call(
        &requests[1],
        "/admin/directory/v1/users",
        Some("customer=my_customer&maxResults=1"),
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
