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

/// Personio: the guide's warning, path, access rights, credentials and notes in its order;
/// a client ID cut short is refused before anything is sent (exit 2), naming the field, by
/// `test` and `test --explain` alike. (That whole IDs still match is a unit test in
/// src/catalog/tests.rs: a whole ID here would go on to the network.)
#[test]
fn personio_follows_its_guide_and_refuses_a_truncated_client_id() {
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

    // A client ID cut short: exit 2, naming the field and the likely cause; nothing sent.
    let sb = Sandbox::new();
    let out = sb
        .when(&[
            "--timeout",
            "3",
            "test",
            "--connector",
            "personio",
            "--client-id",
            "papi-dcec",
        ])
        .env("CREDLINK_CLIENT_SECRET", "papi-secret")
        .then()
        .exits(2)
        .out;
    assert_has(&stderr(&out), "Client ID");
    assert_has(&stderr(&out), "cut short");
    // The same through --explain: it fails at the input step.
    let out = sb
        .when(&[
            "--timeout",
            "3",
            "test",
            "--explain",
            "--connector",
            "personio",
            "--client-id",
            "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041",
        ])
        .env("CREDLINK_CLIENT_SECRET", "papi-secret")
        .then()
        .exits(2)
        .out;
    assert_has(&stdout(&out), "[FAIL] input");
    assert_has(&stdout(&out), "Client ID");
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
