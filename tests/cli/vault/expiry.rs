//! A credential's expiry in the team store: kept in the account's record and its listing, so a
//! teammate's `list` sees it; `test` warns and fails on it as with the keychain.

use serde_json::Value;

use crate::support::bao::*;
use crate::support::*;

/// A machine on the team store with the lifetime connectors too.
fn machine(peer: &Peer, bao: &Bao, token: &str) -> Machine {
    let m = Machine::new(peer, bao, token);
    m.sb.write_connectors(&(peer.connectors() + &lifetime_connectors(&peer.url)));
    m
}

fn days_from_now(at: &Value) -> f64 {
    let at = humantime::parse_rfc3339(at.as_str().unwrap_or_else(|| panic!("{at}"))).unwrap();
    let secs = at
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs_f64();
    secs / 86_400.0
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_expiry_is_kept_for_the_team_and_warns_before_it_bites() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let alice = bao.token(&["credlink-admin"], "alice");
    let bob = bao.token(&["credlink-admin"], "bob");
    let a = machine(&peer, &bao, &alice);
    let b = machine(&peer, &bao, &bob);
    for (connector, name) in [("local-ten", "ten"), ("local-twenty", "twenty")] {
        a.when(&[
            "link",
            connector,
            "--name",
            name,
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
        ])
        .stdin(&format!("{BASIC_SECRET}\n"))
        .then()
        .exits(0);
    }
    // The record beside the secret and its listing both carry it.
    let got = bao.kv_get(&kv("ten")).unwrap();
    let record: Value = serde_json::from_str(text(&got["data"]["record"])).unwrap();
    assert_eq!(record["expires"]["basis"], "catalog_lifetime", "{record}");
    let meta = &got["metadata"]["custom_metadata"];
    assert_eq!(meta["expires_basis"], "catalog_lifetime", "{got}");
    assert_eq!(meta["expires_at"], record["expires"]["at"], "{got}");

    // A teammate sees it.
    let rows = listed(&b);
    let ten = rows.iter().find(|r| r["name"] == "ten").unwrap();
    assert_eq!(ten["expires"]["basis"], "catalog_lifetime", "{ten}");
    let days = days_from_now(&ten["expires"]["at"]);
    assert!((9.9..=10.0).contains(&days), "{days} days: {ten}");
    b.when(&["list"])
        .then()
        .exits(0)
        .stdout_has("in 10 days")
        .stdout_has("in 20 days");

    // test, by the teammate: a warning, a failure with the flag; 20 days only within 30d.
    b.when(&["test", "ten"])
        .then()
        .exits(0)
        .stdout_has("ten (Local (ten)): expiring")
        .stdout_has("(in 10 days), by the lifetime the provider documents");
    b.when(&["test", "ten", "--fail-on-expiring"])
        .then()
        .exits(8);
    b.when(&["test", "twenty", "--fail-on-expiring"])
        .then()
        .exits(0);
    let report = b
        .when(&["test", "twenty", "--json", "--warn-within", "30d"])
        .then()
        .exits(0)
        .json();
    assert_eq!(report[0]["status"], "expiring", "{report}");
    assert_eq!(report[0]["expires"]["basis"], "catalog_lifetime");
    let meta = bao.kv_metadata(&kv("twenty")).unwrap();
    assert_eq!(meta["custom_metadata"]["last_status"], "expiring", "{meta}");

    // A listing written before expiries existed still lists, and the record still decides.
    let meta = bao.kv_metadata(&kv("ten")).unwrap();
    let mut args = vec!["kv".to_owned(), "metadata".to_owned(), "put".to_owned()];
    for (k, v) in meta["custom_metadata"].as_object().unwrap() {
        if !k.starts_with("expires_") {
            args.push(format!("-custom-metadata={k}={}", text(v)));
        }
    }
    args.push(kv("ten"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // A metadata write replaces the whole listing: this one has no expiry.
    bao.ok(&args);
    let rows = listed(&a);
    let ten = rows.iter().find(|r| r["name"] == "ten").unwrap();
    assert_eq!(ten["expires"], Value::Null, "{ten}");
    a.when(&["test", "ten"])
        .then()
        .exits(0)
        .stdout_has("expiring");
    let meta = bao.kv_metadata(&kv("ten")).unwrap();
    assert_eq!(
        meta["custom_metadata"]["expires_basis"], "catalog_lifetime",
        "{meta}"
    );
}
