//! The team store in use: the round trip of every command, a teammate on another machine,
//! `store copy` both ways, `history`.

use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::support::bao::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_round_trip_link_list_test_token_history_revoke() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let alice = bao.token(&["credlink-admin"], "alice");
    let bob = bao.token(&["credlink-admin"], "bob");
    let a = Machine::new(&peer, &bao, &alice);

    a.link("acme", "basic-client", &[])
        .then()
        .exits(0)
        .stdout_has("Linked acme")
        .hides(BASIC_SECRET)
        .hides(&alice);
    let got = assert_stored(&bao, "acme", "basic-client");
    let meta = &got["metadata"]["custom_metadata"];
    assert_eq!(
        meta["linked_by"].as_str(),
        Some(bao.display_name(&alice).as_str()),
        "{got}"
    );
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(metadata["current_version"], 1, "{metadata}");
    assert!(
        !a.sb.index_path().exists(),
        "the Vault store keeps no local index"
    );

    // An existing name is refused, as with the keychain; nothing is written.
    a.link("acme", "post-client", &[])
        .then()
        .exits(2)
        .stderr_has("already linked");
    assert_eq!(bao.kv_metadata(&kv("acme")).unwrap()["current_version"], 1);
    assert_stored(&bao, "acme", "basic-client");

    // list: same JSON shape as with the keychain.
    let rows = listed(&a);
    assert_eq!(names(&rows), ["acme"]);
    // Every key of the keychain's `list --json` (a team store may add some, e.g. linked_by).
    let shown = keys(&rows[0]);
    for key in [
        "auth",
        "client_id",
        "connector",
        "last_status",
        "last_tested_at",
        "linked_at",
        "name",
        "subdomain",
    ] {
        assert!(shown.iter().any(|k| k == key), "`{key}` in {}", rows[0]);
    }
    assert_eq!(rows[0]["connector"], "local-basic");
    assert_eq!(rows[0]["client_id"], "basic-client");
    a.when(&["list"])
        .then()
        .exits(0)
        .stdout_has("acme")
        .stdout_has("basic-client")
        .hides(BASIC_SECRET);

    // test: the result goes to custom_metadata for the whole team (a second later than link).
    std::thread::sleep(Duration::from_millis(1100));
    let before = bao.kv_metadata(&kv("acme")).unwrap();
    let report = a.when(&["test", "acme", "--json"]).then().exits(0).json();
    assert_eq!(report[0]["name"], "acme", "{report}");
    assert_eq!(report[0]["status"], "valid", "{report}");
    let after = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(after["custom_metadata"]["last_status"], "valid", "{after}");
    assert!(
        after["custom_metadata"]["last_tested_at"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{after}"
    );
    assert_ne!(
        before["custom_metadata"]["last_tested_at"], after["custom_metadata"]["last_tested_at"],
        "test recorded a new time"
    );
    assert_eq!(
        after["current_version"], 1,
        "a test result writes no new version"
    );
    assert_eq!(listed(&a)[0]["last_status"], "valid");

    // test --explain gains a `store` step.
    let explained = a
        .when(&["test", "acme", "--explain", "--json"])
        .then()
        .exits(0)
        .json();
    let steps = explained["steps"].as_array().expect("steps");
    let store = steps
        .iter()
        .find(|s| s["step"] == "store")
        .unwrap_or_else(|| panic!("no `store` step: {explained}"));
    assert_eq!(store["status"], "ok", "{explained}");

    // token: the cache lives in the store, under .tokens/.
    let out = a.when(&["token", "acme"]).then().exits(0).out;
    let token = stdout(&out).trim().to_owned();
    assert!(!token.is_empty());
    let cached = bao
        .kv_get(&kv(".tokens/acme"))
        .expect("the token cache at secret/credlink/.tokens/acme");
    assert_has(&cached["data"].to_string(), &token);
    let top = bao.kv_list("secret/credlink");
    assert!(
        top.contains(&"acme".to_owned()) && top.contains(&".tokens/".to_owned()),
        "{top:?}"
    );
    assert!(token_is_active(&peer, &token));

    // A second account, and test --all.
    a.link("beta", "post-client", &[]).then().exits(0);
    assert_stored(&bao, "beta", "post-client");
    let all = a.when(&["test", "--all", "--json"]).then().exits(0).json();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "valid"),
        "{all}"
    );
    let rows = listed(&a);
    assert_eq!(
        names(&rows),
        ["acme", "beta"],
        "the .tokens folder is no account"
    );

    // link --force by another teammate: version 2, by bob; history shows both.
    let b = Machine::new(&peer, &bao, &bob);
    b.link("acme", "post-client", &["--force"]).then().exits(0);
    assert_stored(&bao, "acme", "post-client");
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(metadata["current_version"], 2, "{metadata}");
    let history = a
        .when(&["history", "acme", "--json"])
        .then()
        .exits(0)
        .json();
    let versions = history
        .as_array()
        .unwrap_or_else(|| panic!("an array: {history}"));
    assert_eq!(versions.len(), 2, "{history}");
    let version = |n: u64| {
        versions
            .iter()
            .find(|v| v["version"].as_u64() == Some(n))
            .unwrap_or_else(|| panic!("no version {n}: {history}"))
    };
    for (n, who) in [(1, &alice), (2, &bob)] {
        let v = version(n);
        assert_eq!(
            v["linked_by"].as_str(),
            Some(bao.display_name(who).as_str()),
            "{v}"
        );
        assert_eq!(v["current"], n == 2, "{v}");
        let created = text(&metadata["versions"][n.to_string()]["created_time"]);
        assert!(
            text(&v["created_time"]).starts_with(&created[..19]),
            "version {n} created {created} by the server: {v}"
        );
    }
    a.when(&["history", "acme"])
        .then()
        .exits(0)
        .stdout_has("token-alice")
        .stdout_has("token-bob");

    // revoke: the provider's token is revoked, the secret deleted with all its versions.
    let out = a.when(&["token", "acme", "--fresh"]).then().exits(0).out;
    let token = stdout(&out).trim().to_owned();
    assert!(token_is_active(&peer, &token));
    a.when(&["revoke", "acme", "-y"])
        .then()
        .exits(0)
        .hides(POST_SECRET);
    assert_absent(&bao, "acme");
    assert!(!token_is_active(&peer, &token), "revoked at the provider");
    assert_stored(&bao, "beta", "post-client");
    assert_eq!(names(&listed(&a)), ["beta"]);
    a.when(&["revoke", "acme", "-y"]).then().exits(6);
    a.when(&["test", "acme"]).then().exits(6);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_copy_keychain_to_vault_and_back() {
    let Some((peer, bao)) = peers() else { return };
    let Some(()) = keyring() else { return };
    let to_vault = ["store", "copy", "--from", "keychain", "--to", STORE];
    let from_vault = ["store", "copy", "--from", STORE, "--to", "keychain"];
    // The keychain side needs the Secret Service; the store is given by --from/--to only.
    let m = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    for (name, client) in [("k1", "basic-client"), ("k2", "post-client")] {
        m.link(name, client, &[]).then().exits(0);
        assert_eq!(
            m.sb.keychain_secret(name).as_deref(),
            Some(secret_of(client))
        );
    }
    assert_eq!(bao.kv_list("secret/credlink"), Vec::<String>::new());

    // Without --move the source stays.
    let mut args = to_vault.to_vec();
    args.push("k1");
    m.when(&args).then().exits(0).hides(BASIC_SECRET);
    assert_stored(&bao, "k1", "basic-client");
    assert_eq!(m.sb.keychain_secret("k1").as_deref(), Some(BASIC_SECRET));
    assert!(m.sb.account_names().contains(&"k1".to_owned()));
    assert_eq!(
        bao.kv_metadata(&kv("k2")),
        None,
        "only what was named is copied"
    );

    // With --move the source goes.
    let mut args = to_vault.to_vec();
    args.extend(["k2", "--move"]);
    m.when(&args).then().exits(0);
    assert_stored(&bao, "k2", "post-client");
    assert_eq!(m.sb.keychain_secret("k2"), None);
    assert_eq!(m.sb.account_names(), ["k1"]);

    // The copies work on the Vault store.
    let v = Machine::new(&peer, &bao, &bao.root);
    v.when(&["test", "k1", "k2"]).then().exits(0);
    v.link("v1", "basic-client", &[]).then().exits(0);

    // Back: one account without --move, then --all --move into another machine's keychain.
    let mut args = from_vault.to_vec();
    args.push("v1");
    m.when(&args).then().exits(0);
    assert_eq!(m.sb.keychain_secret("v1").as_deref(), Some(BASIC_SECRET));
    assert!(m.sb.account_names().contains(&"v1".to_owned()));
    assert_stored(&bao, "v1", "basic-client");

    let other = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    let mut args = from_vault.to_vec();
    args.extend(["--all", "--move"]);
    other
        .when(&args)
        .then()
        .exits(0)
        .hides(BASIC_SECRET)
        .hides(POST_SECRET);
    let mut moved = other.sb.account_names();
    moved.sort();
    assert_eq!(moved, ["k1", "k2", "v1"]);
    for (name, client) in [
        ("k1", "basic-client"),
        ("k2", "post-client"),
        ("v1", "basic-client"),
    ] {
        assert_eq!(
            other.sb.keychain_secret(name).as_deref(),
            Some(secret_of(client)),
            "{name}"
        );
        assert_eq!(
            bao.kv_metadata(&kv(name)),
            None,
            "{name} moved out of the store"
        );
    }
    other.when(&["test", "--all"]).then().exits(0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_teammate_on_another_machine_lists_and_tests() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let first = Machine::new(&peer, &bao, &bao.token(&["credlink-admin"], "alice"));
    first.link("acme-hr", "basic-client", &[]).then().exits(0);
    first.link("acme-ats", "post-client", &[]).then().exits(0);

    // The teammate: a fresh config dir, only BAO_ADDR, BAO_TOKEN and CREDLINK_STORE (and the
    // same connector catalog: the peer's connectors stand in for the built-in ones).
    let teammate = Machine::new(&peer, &bao, &bao.token(&["credlink-admin"], "tom"));
    let rows = listed(&teammate);
    assert_eq!(names(&rows), ["acme-ats", "acme-hr"]);
    let hr = rows.iter().find(|r| r["name"] == "acme-hr").unwrap();
    assert_eq!(hr["client_id"], "basic-client");
    assert_eq!(hr["connector"], "local-basic");
    teammate
        .when(&["test", "--all"])
        .then()
        .exits(0)
        .stdout_has("acme-hr")
        .stdout_has("valid")
        .hides(BASIC_SECRET)
        .hides(POST_SECRET);
    assert!(
        !teammate.sb.index_path().exists(),
        "nothing local on the teammate's machine"
    );
    // The teammate's result is the team's.
    let meta = bao.kv_metadata(&kv("acme-hr")).unwrap();
    assert_eq!(meta["custom_metadata"]["last_status"], "valid", "{meta}");
    assert_eq!(
        listed(&first)
            .iter()
            .find(|r| r["name"] == "acme-hr")
            .unwrap()["last_status"],
        "valid"
    );
}

/// `store copy --move` of an account whose provider rotates refresh tokens, while a `test` of
/// it is between the rotation and its store: the copy waits for that run's turn, then copies
/// the rotated token, so the moved link still works (a copy of the spent token would be dead,
/// and oidc-provider revokes the whole grant when it comes back).
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_copy_takes_its_turn_with_a_refresh_token() {
    let Some(()) = faults_built_in() else {
        return;
    };
    let Some((peer, bao)) = peers() else { return };
    let Some(()) = keyring() else { return };
    let m = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain()
        .env("CREDLINK_CLIENT_SECRET", "refresh-secret");
    m.sb.write_connectors(&refresh_connectors(&peer));
    let first = text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned();
    m.when(&link_refresh_args("wd"))
        .stdin(&format!("{first}\n"))
        .then()
        .exits(0);

    let flag = m.sb.dir.path().join("resume");
    let mut cmd = m.std_cmd();
    cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
    let paused = Paused::start(cmd, "rotate:before_store", "");
    let copy = m.spawn(&[
        "store", "copy", "--from", "keychain", "--to", STORE, "wd", "--move",
    ]);
    std::thread::sleep(Duration::from_secs(2));
    let tested = paused.resume(&flag);
    assert_exit(&tested, 0);
    let out = wait_for(copy, Duration::from_secs(60), "the store copy");
    assert_exit(&out, 0);
    assert_hidden(&out, &first);

    let stored = bao.kv_get(&kv("wd")).expect("moved to the team store");
    let secrets: Value = serde_json::from_str(text(&stored["data"]["secret"])).unwrap();
    assert_ne!(
        text(&secrets["refresh_token"]),
        first,
        "the rotated token was moved"
    );
    assert_eq!(
        m.sb.account_names(),
        Vec::<String>::new(),
        "moved out of the keychain"
    );
    let team = Machine::new(&peer, &bao, &bao.root).env("CREDLINK_CLIENT_SECRET", "x");
    team.sb.write_connectors(&refresh_connectors(&peer));
    team.when(&["test", "wd"]).then().exits(0);
}

/// `--json store copy` prints one JSON document, also when an account fails, and a name taken
/// in the target names `store copy --force`, the command that replaces it.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_copy_json_is_one_document_and_a_conflict_names_its_force() {
    let Some((peer, bao)) = peers() else { return };
    let Some(()) = keyring() else { return };
    let m = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    m.link("k1", "basic-client", &[]).then().exits(0);
    m.link("k2", "post-client", &[]).then().exits(0);
    let v = Machine::new(&peer, &bao, &bao.root);
    v.link("k1", "post-client", &[]).then().exits(0);

    let copy = [
        "--json", "store", "copy", "--from", "keychain", "--to", STORE, "--all",
    ];
    let out = m.when(&copy).then().exits(2).out;
    let doc = json(&out);
    assert_eq!(doc["moved"], false, "{doc}");
    assert_eq!(doc["accounts"][0]["name"], "k1", "{doc}");
    assert_eq!(doc["accounts"][0]["ok"], false, "{doc}");
    let hint = text(&doc["accounts"][0]["error"]["hint"]);
    assert_has(
        hint,
        "credlink store copy --from keychain --to vault:secret/credlink k1 --force",
    );
    assert_eq!(doc["accounts"][0]["error"]["code"], 2, "{doc}");
    assert_eq!(
        doc["accounts"][1],
        serde_json::json!({"name": "k2", "ok": true})
    );
    assert_has(&stderr(&out), "store copy");
    assert_lacks(&stderr(&out), "credlink link", "the hint of a copy");
    assert_stored(&bao, "k1", "post-client");
    assert_stored(&bao, "k2", "post-client");

    let mut forced = copy.to_vec();
    forced.push("--force");
    let out = m.when(&forced).then().exits(0).out;
    assert_eq!(json(&out)["accounts"].as_array().map(Vec::len), Some(2));
    assert_stored(&bao, "k1", "basic-client");
}

/// Issue "Hardening, third round", class 5: `history --json` cleans who linked a version as
/// the table does. OpenBao refuses control and format characters (bidi overrides, zero-width)
/// in `custom_metadata` as unprintable, but keeps invisible letters and marks such as the
/// Hangul filler and the combining grapheme joiner; `store_faults.rs` has a store that keeps
/// anything.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_history_json_is_cleaned_like_the_table() {
    let Some((peer, bao)) = peers() else { return };
    let m = Machine::new(&peer, &bao, &bao.root);
    bao.ok(&["kv", "put", "-cas=0", &kv("hist"), "secret=s", "record={}"]);
    bao.ok(&[
        "kv",
        "metadata",
        "put",
        "-custom-metadata=linked_by.v1=mal\u{3164}lo\u{34f}ry\u{115f}",
        &kv("hist"),
    ]);
    let versions = m
        .when(&["history", "hist", "--json"])
        .then()
        .exits(0)
        .json();
    assert_eq!(versions[0]["linked_by"], "mallory", "{versions}");
    m.when(&["history", "hist"])
        .then()
        .exits(0)
        .stdout_has("mallory");
}
