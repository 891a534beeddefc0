//! Account names that could collide with internal keychain entries, and default names (classes
//! 2 and 3).

use serde_json::json;
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;
use crate::support::*;

/// Class 2: `revoke` of a name no account can have (an alternate keychain entry's name, a
/// path, an empty string, a space, a bidi override) is invalid input, exit 2, before any
/// keychain access.
#[test]
fn revoke_refuses_names_no_account_can_have() {
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for name in ["acme2~2", "../x", "", "a b", "x/y", "acme\u{202e}2"] {
        let out = run(&sb, &["revoke", name, "--yes"]);
        if out.status.code() != Some(2) {
            failures.push(format!("revoke {name:?}: {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// Class 2: after `link --force acme2` the live secret of acme2 is in an internal entry; a
/// `revoke` naming that entry (`acme2~2`) must be refused (exit 2) and acme2 keep working.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn revoke_cannot_reach_another_accounts_internal_entry() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    let link_acme2 = |extra: &[&str]| {
        let mut cmd = sb.std_cmd();
        cmd.args(["link", "local-basic", "--name", "acme2", "--no-input"])
            .args(["--client-id", "basic-client", "--client-secret-stdin"])
            .args(extra);
        finish(spawn(&mut cmd, "basic-secret\n"))
    };
    assert_exit(&link_acme2(&[]), 0);
    assert_exit(&link_acme2(&["--force"]), 0);

    let revoked = run(&sb, &["revoke", "acme2~2", "--yes"]);
    let tested = run(&sb, &["test", "acme2"]);
    assert_exit(&revoked, 2);
    assert_exit(&tested, 0);
    assert_eq!(sb.account_names(), ["acme2"]);
}

/// Class 3: without `--name`, the name `link` derives (connector-subdomain) goes through the
/// name rules: a subdomain with `~` or a bidi override links nothing (exit 2), and
/// `mock-acme~2` cannot overwrite the internal entry holding `mock-acme`'s secret.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_names_follow_the_name_rules() {
    let Some(()) = keyring() else { return };
    const OWNER: &str = "owner-secret-1";
    const ATTACKER: &str = "attacker-secret-2";
    let server = MockServer::start().await;
    // The owner's secret works for tenant acme; the attacker's only for its own tenant. So
    // `test mock-acme` passes only while mock-acme still has the owner's secret.
    Mock::given(method("POST"))
        .and(|req: &Request| form_has(req, "client_secret", OWNER))
        .respond_with(token_answer(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(|req: &Request| {
            form_has(req, "client_secret", ATTACKER) && !form_has(req, "tenant", "acme")
        })
        .respond_with(token_answer(json!({})))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    // The subdomain goes in a token parameter, so the URL check never sees it.
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        r#"token_params = { tenant = "{subdomain}" }"#,
        "[[connectors.mock.fields]]\nid = \"subdomain\"\nlabel = \"Subdomain\"\npattern = \"^[^/ ]+$\"\n",
    ));
    link(&sb, OWNER, &["--subdomain", "acme"]).then().exits(0);
    link(&sb, OWNER, &["--subdomain", "acme", "--force"])
        .then()
        .exits(0);
    assert_eq!(sb.account_names(), ["mock-acme"]);
    let index_before = std::fs::read(sb.index_path()).unwrap();

    let mut failures = Vec::new();
    for subdomain in ["acme~2", "acme\u{202e}2"] {
        let out = link(&sb, ATTACKER, &["--subdomain", subdomain]).then().out;
        if out.status.code() != Some(2) {
            failures.push(format!("subdomain {subdomain:?}: {}", brief(&out)));
        }
    }
    if sb.secrets_in("").iter().any(|s| s == ATTACKER) {
        failures.push("the attacker's secret is in the keychain".to_owned());
    }
    if std::fs::read(sb.index_path()).unwrap() != index_before {
        failures.push(format!("the index changed: {}", sb.index()));
    }
    let tested = run(&sb, &["test", "mock-acme"]);
    if tested.status.code() != Some(0) {
        failures.push(format!("mock-acme lost its secret: {}", brief(&tested)));
    }
    assert_no_failures(&failures);
}
