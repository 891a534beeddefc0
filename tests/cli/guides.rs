//! The four founding connectors tell a user what their StackOne connection guides tell them,
//! in the guides' order, plus what credlink adds (issue 15). The guides are in
//! ../shared/reference/stackone-guides/; each test pins the key phrases of
//! `credlink connectors ID` in order, and the checks the guide implies.

use serde_json::{Value, json};

use crate::support::*;

/// Each phrase occurs in `text`, each after the one before it.
#[track_caller]
fn assert_in_order(text: &str, phrases: &[&str]) {
    let mut from = 0;
    for (i, phrase) in phrases.iter().enumerate() {
        match text[from..].find(phrase) {
            Some(at) => from += at + phrase.len(),
            None => {
                let before = if i == 0 { "(start)" } else { phrases[i - 1] };
                panic!(
                    "`{phrase}` is missing after `{before}` (phrase {} of {}) in:\n{text}",
                    i + 1,
                    phrases.len()
                );
            }
        }
    }
}

/// `credlink connectors ID` exits 0; its stdout.
fn shown(id: &str) -> String {
    let out = Sandbox::new().when(&["connectors", id]).then().exits(0).out;
    stdout(&out)
}

/// `credlink --json connectors ID`.
fn shown_json(id: &str) -> Value {
    let out = Sandbox::new()
        .when(&["--json", "connectors", id])
        .then()
        .exits(0)
        .out;
    serde_json::from_slice(&out.stdout).unwrap()
}

fn record(name: &str, connector: &str, fields: Value) -> Value {
    json!({
        "name": name,
        "connector": connector,
        "auth": "oauth2_client_credentials",
        "fields": fields,
        "linked_at": "2026-01-01T00:00:00Z",
    })
}

/// Personio: the guide's warning, path, access rights, credentials and notes in its order.
#[test]
fn personio_follows_its_guide() {
    let text = shown("personio");
    assert_in_order(
        &text,
        &[
            // fields: the client ID's full shape
            "Client ID",
            "papi-",
            "36",
            // warning, then step 1
            "How to get the credentials:",
            "Settings → Integrations",
            "admin",
            "Settings → Integrations → API credentials",
            "\"Create a custom integration\"",
            // step 2
            "Next",
            // step 3: access rights
            "Read and/or Write access",
            "Read access for Employees is required",
            "fails without it",
            "credlink checks it",
            "Write",
            // optional settings
            "Optional",
            "readable employee attributes",
            "legal entities",
            "\"Create integration\"",
            // credentials
            "Client ID",
            "\"Copy secret\"",
            "not shown again",
            "lose the secret",
            "new integration",
            "credlink link personio --name NAME --force",
            // important notes
            "Good to know:",
            "Client Credentials flow",
            "permissions",
            "Settings → Integrations → API credentials",
            "To change permissions, create a new integration",
            "credlink link personio --name NAME --force",
            "https://developer.personio.de/docs/getting-started-with-the-personio-api",
            // what `revoke` leaves behind
            "credlink revoke",
            "stays active in Personio",
            "Settings → Integrations → API credentials",
        ],
    );
    assert_lacks(&text, "Generate new credential", "the old path");
    let c = shown_json("personio");
    assert!(
        c["revoke_note"]
            .as_str()
            .is_some_and(|n| n.contains("stays active in Personio")),
        "{c}"
    );
}

/// Personio on a loopback stand-in (only the hosts of its entry rewritten) that knows one
/// client ID of the old shape and refuses the rest as Personio does (`unauthorized_client`).
async fn personio_stand_in() -> (wiremock::MockServer, Sandbox) {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/token"))
        .and(body_string_contains("client_id=legacy-v1-client&"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "personio-token-0c1f",
            "token_type": "Bearer",
            "expires_in": 86400,
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "unauthorized_client"})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/persons"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"_data": []})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&entry_on("personio", &server.uri()));
    (server, sb)
}

const PERSONIO_WARNING: &str = "Client ID `papi-dcec` does not look like papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a; checking with Personio anyway";

/// The papi- + UUID shape is only expected: a client ID cut short gets a warning, then
/// Personio's answer decides (here a rejection with Personio's own hint), for `test`,
/// `--json` and `--explain` alike; the client ID comes from the environment here.
#[tokio::test(flavor = "multi_thread")]
async fn personio_warns_about_a_client_id_of_another_shape_and_personio_decides() {
    let (server, sb) = personio_stand_in().await;
    let args = ["--timeout", "5", "test", "--connector", "personio"];
    let env = [
        ("CREDLINK_CLIENT_ID", "papi-dcec"),
        ("CREDLINK_CLIENT_SECRET", MARKER),
    ];
    let out = sb.when(&args).envs(&env).then().exits(3).hides(MARKER).out;
    assert_has(&stderr(&out), &format!("warning: {PERSONIO_WARNING}"));
    assert_in_order(
        &format!("{}{}", stderr(&out), stdout(&out)),
        &[PERSONIO_WARNING, "unauthorized_client", "revoked"],
    );
    let json = sb
        .when(&[&["--json"][..], &args].concat())
        .envs(&env)
        .then()
        .exits(3)
        .out;
    assert_has(&stderr(&json), PERSONIO_WARNING);
    let explain = sb
        .when(&[&args[..], &["--explain"]].concat())
        .envs(&env)
        .then()
        .exits(3)
        .out;
    assert_in_order(
        &stdout(&explain),
        &[
            "[warn] input",
            PERSONIO_WARNING,
            "[FAIL] oauth",
            "unauthorized_client",
        ],
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

/// A client ID of the old shape that Personio still accepts: linked with a warning, and the
/// stored account tested with the same warning, naming it; the check passes.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn personio_links_and_tests_a_client_id_of_another_shape_that_personio_accepts() {
    let Some(()) = keyring() else { return };
    let (_server, sb) = personio_stand_in().await;
    let out = sb
        .when(&[
            "link",
            "personio",
            "--name",
            "old-hr",
            "--no-input",
            "--client-id",
            "legacy-v1-client",
            "--client-secret-stdin",
        ])
        .stdin(MARKER)
        .then()
        .exits(0)
        .hides(MARKER)
        .out;
    assert_has(
        &stderr(&out),
        "warning: Client ID `legacy…ient` does not look like papi-",
    );
    assert_has(&stdout(&out), "Linked old-hr");
    let out = sb.when(&["test", "old-hr"]).then().exits(0).out;
    assert_has(
        &stderr(&out),
        "warning: old-hr: Client ID `legacy…ient` does not look like papi-",
    );
}

/// Personio: `revoke` says the integration stays active in Personio and where to revoke it.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn revoking_a_personio_account_says_the_integration_stays_active_in_personio() {
    let Some(()) = keyring() else { return };
    let sb = Sandbox::new();
    sb.write_index(&[record(
        "acme-hr",
        "personio",
        json!({"client_id": "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a"}),
    )]);
    let out = sb.when(&["revoke", "acme-hr", "--yes"]).then().exits(0).out;
    assert_has(&stdout(&out), "Revoked acme-hr");
    assert_in_order(
        &stderr(&out),
        &[
            "note:",
            "stays active in Personio",
            "Settings → Integrations → API credentials",
        ],
    );
    assert!(sb.account_names().is_empty());
}

/// Traffit: subdomain, admin access, the guide's UI path, the six scopes and which ones
/// credlink's check needs, both forms of the Client ID, the secret shown once.
#[test]
fn traffit_follows_its_guide() {
    let text = shown("traffit");
    assert_in_order(
        &text,
        &[
            "How to get the credentials:",
            // find the subdomain
            "https://mycompany.traffit.com",
            "mycompany",
            // create an API client
            "Admin access",
            "Settings → Integrations → API",
            "\"Add new API client\"",
            // name and scopes, in the guide's order
            "employee (",
            "recruitment (",
            "webhook (",
            "client (",
            "user (",
            "crm (",
            "credlink's own check needs none of them",
            // credentials
            "Client ID",
            "the name you gave the client",
            "with your instance name and an underscore in front",
            "Client Secret",
            "only once",
            // what `revoke` leaves behind
            "credlink revoke",
            "stays active in Traffit",
        ],
    );
}

/// SpotDraft: the guide's method name, administrator access, its UI path, the secret shown
/// once; the Region credlink adds is explained (where it comes from, no silent default).
#[test]
fn spotdraft_follows_its_guide_and_explains_the_region() {
    let text = shown("spotdraft");
    assert_in_order(
        &text,
        &[
            "How to get the credentials:",
            "Client Credentials",
            "Administrator access",
            "https://app.spotdraft.com/",
            "Settings",
            "Developer Settings",
            "Generate API Credentials",
            "name",
            "Generate credentials",
            "shown only once",
            "password manager",
            // credlink's addition, with its reason
            "Region",
            "in (India)",
            "me (Middle East)",
            "only work on that region's API host",
            "ask SpotDraft support",
            "no default",
            // what `revoke` leaves behind
            "credlink revoke",
            "Settings → Developer Settings",
        ],
    );
    let c = shown_json("spotdraft");
    let region = c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "region")
        .expect("a region field");
    assert_eq!(
        region["default"],
        Value::Null,
        "no silent default: {region}"
    );
    // In the guide's order: Client ID and Client Secret first, then what credlink adds.
    let ids: Vec<&str> = c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["client_id", "client_secret", "region"]);
}

/// SPS Commerce: one connector per key set (Production and Sandbox), each saying where its
/// keys are and pointing to the other; the services to authorise; the secret shown once; the
/// audience explained and the uncited "agreement" text gone; `list` names the environment.
#[test]
fn sps_commerce_asks_which_key_set_and_list_shows_it() {
    for (id, set, other) in [
        ("sps-commerce", "Production Keys", "sps-commerce-sandbox"),
        ("sps-commerce-sandbox", "Sandbox Keys", "sps-commerce"),
    ] {
        let text = shown(id);
        assert_in_order(
            &text,
            &[
                "How to get the credentials:",
                "Dev Center",
                "Machine-to-Machine application",
                "https://developercenter.spscommerce.com/",
                "Applications",
                "Create New Application",
                "Machine-to-Machine",
                "Transaction API",
                "Shipping Label API",
                "Packing Slip API",
                "Trading Partner Submission API",
                "Create",
                "Application Keys",
                "Sandbox Keys",
                "Production Keys",
                &format!("This connector links the {set}"),
                &format!("credlink link {other}"),
                "will not be shown again",
                "audience",
                "https://spscommerce.com",
                "Good to know:",
                "same SPS hosts",
                "credlink list",
                "credlink revoke",
                &format!("{set} stay active in the SPS Dev Center"),
            ],
        );
        assert_lacks(&text, "agreement with SPS", id);
    }
    let all = Sandbox::new().when(&["connectors"]).then().exits(0).out;
    assert_has(&stdout(&all), "sps-commerce-sandbox");

    let sb = Sandbox::new();
    sb.write_index(&[
        record("sps-live", "sps-commerce", json!({"client_id": "abc"})),
        record(
            "sps-test",
            "sps-commerce-sandbox",
            json!({"client_id": "def"}),
        ),
    ]);
    let out = sb.when(&["list"]).then().exits(0).out;
    let table = stdout(&out);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("sps-test") && l.contains("sps-commerce-sandbox")),
        "{table}"
    );
}

/// The connector's own hint for `key`, as an ad hoc `test` shows it (`<name>` is NAME).
fn own_hint(id: &str, key: &str) -> String {
    let catalog: toml::Table = toml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/connectors.toml")).unwrap(),
    )
    .unwrap();
    catalog["connectors"][id]["hints"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{id} has no hint `{key}`"))
        .replace("<name>", "NAME")
}

/// A rejection of each founding connector, as its provider gives it (a 401, or the OAuth
/// error it answers with), prints that connector's own hint, which names a revoked credential.
#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_prints_the_founding_connectors_own_revocation_hint() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let cases: [(&str, u16, Value, &str, &[&str]); 4] = [
        (
            "traffit",
            401,
            json!({"error": "invalid_client"}),
            "invalid_client",
            &["--subdomain", "acme", "--client-id", "acme_credlink"],
        ),
        (
            "spotdraft",
            401,
            json!({"detail": "Invalid credentials."}),
            "http_401",
            &["--client-id", "sd-client", "--field", "region=eu"],
        ),
        (
            "personio",
            400,
            json!({"error": "unauthorized_client"}),
            "unauthorized_client",
            &["--client-id", "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a"],
        ),
        (
            "sps-commerce",
            401,
            json!({"error": "access_denied", "error_description": "Unauthorized"}),
            "access_denied",
            &["--client-id", "sps-client"],
        ),
    ];
    for (id, status, body, key, args) in cases {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let sb = Sandbox::with_connectors(&entry_on(id, &server.uri()));
        let argv = [&["test", "--connector", id][..], args].concat();
        let out = sb
            .when(&argv)
            .env("CREDLINK_CLIENT_SECRET", MARKER)
            .then()
            .exits(3)
            .hides(MARKER)
            .out;
        let hint = own_hint(id, key);
        assert!(hint.contains("revoked"), "{id}.{key}: {hint}");
        assert_has(&stdout(&out), &format!("hint: {hint}"));
    }
}
