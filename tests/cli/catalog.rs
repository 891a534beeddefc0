//! The catalog and the CLI surface that needs no peer: connectors, help, usage errors, the
//! index file's guarantees.

use predicates::prelude::*;

use crate::support::*;

const SHIPPED: [&str; 10] = [
    "personio",
    "traffit",
    "spotdraft",
    "sps-commerce",
    "ashby",
    "greenhouse",
    "bamboohr",
    "workable",
    "hibob",
    "smartrecruiters",
];

#[test]
fn connectors_lists_the_shipped_catalog() {
    let out = Sandbox::new().cmd().arg("connectors").output().unwrap();
    assert!(out.status.success());
    for id in SHIPPED {
        assert!(stdout(&out).contains(id), "{id} listed");
    }
    assert!(stdout(&out).contains("oauth2_client_credentials") && stdout(&out).contains("api_key"));
}

#[test]
fn connectors_json_has_fields_and_steps() {
    let out = Sandbox::new()
        .cmd()
        .args(["connectors", "--json"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert!(all.len() >= SHIPPED.len());
    for c in all {
        assert!(!c["fields"].as_array().unwrap().is_empty(), "{}", c["id"]);
        assert!(!c["steps"].as_array().unwrap().is_empty(), "{}", c["id"]);
        let secrets = c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["secret"] == true)
            .count();
        // Several only for the kinds that need them (a refresh token, a client key, a
        // sign-in's password beside its secret).
        let several =
            c["auth"] != "api_key"
                && c["fields"].as_array().unwrap().iter().any(|f| {
                    ["refresh_token", "client_key"].contains(&f["id"].as_str().unwrap_or(""))
                });
        if !several && c["auth"] != "token_exchange" {
            assert_eq!(secrets, 1, "{} has one secret field", c["id"]);
        }
        assert!(secrets >= 1, "{} has a secret field", c["id"]);
    }
}

#[test]
fn one_connector_shows_fields_and_the_steps_to_get_credentials() {
    Sandbox::new()
        .cmd()
        .args(["connectors", "personio"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Personio (personio)"))
        .stdout(predicate::str::contains(
            "https://api.personio.de/v2/auth/token",
        ))
        .stdout(predicate::str::contains(
            "Client secret (secret, hidden input)",
        ))
        .stdout(predicate::str::contains("papi-"))
        .stdout(predicate::str::contains("How to get the credentials:"))
        .stdout(predicate::str::contains("Settings"));
}

#[test]
fn subdomain_connectors_show_the_sign_in_address_a_paste_can_give() {
    for (id, host) in [
        ("traffit", "traffit.com"),
        ("bamboohr", "bamboohr.com"),
        ("workable", "workable.com"),
    ] {
        let url = format!("https://{{subdomain}}.{host}");
        Sandbox::new()
            .when(&["connectors", id])
            .then()
            .exits(0)
            .stdout_has(&format!("or paste your sign-in address, {url}"));
        let out = Sandbox::new()
            .cmd()
            .args(["--json", "connectors", id])
            .output()
            .unwrap();
        let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(c["fields"][0]["id"], "subdomain", "{id}");
        assert_eq!(c["fields"][0]["sign_in_url"], url.as_str(), "{id}");
    }
}

#[test]
fn an_unknown_connector_is_not_found_with_the_known_ones() {
    for args in [
        &["connectors", "nope"][..],
        &["link", "nope", "--no-input"],
        &["test", "--connector", "nope"],
    ] {
        Sandbox::new()
            .when(args)
            .then()
            .exits(6)
            .stderr_has("unknown connector `nope`")
            .stderr_has("personio");
    }
}

#[test]
fn help_documents_the_exit_codes_and_usage_errors_exit_2() {
    Sandbox::new()
        .when(&["--help"])
        .then()
        .exits(0)
        .stdout_has("Exit codes:")
        .stdout_has("5  store unavailable or access denied");
    Sandbox::new().when(&["--bogus"]).then().exits(2);
    Sandbox::new()
        .when(&["test"])
        .then()
        .exits(2)
        .stderr_has("--all");
    Sandbox::new()
        .when(&["test", "--all", "--client-id", "x"])
        .then()
        .exits(2)
        .stderr_has("go with --connector");
}

#[test]
fn a_broken_user_connectors_file_names_the_file_and_line() {
    let sb = Sandbox::with_connectors(
        "[connectors.x]\nname = \"X\"\nauth = \"api_key\"\ncolour = \"red\"\n",
    );
    sb.when(&["connectors"])
        .then()
        .exits(2)
        .stderr_has("connectors.toml")
        .stderr_has("line 4")
        .stderr_has("unknown field `colour`");
    sb.write_connectors(
        "[connectors.x]\nname = \"X\"\nauth = \"oauth2_client_credentials\"\ntoken_url = \"http://example.com/t\"\nclient_auth = \"post\"\n\
         fields = [{ id = \"client_id\", label = \"ID\" }, { id = \"client_secret\", label = \"S\", secret = true }]\n",
    );
    sb.when(&["connectors"])
        .then()
        .exits(2)
        .stderr_has("must use https");
}

#[test]
fn a_user_file_overrides_a_built_in_connector() {
    let sb = Sandbox::new();
    sb.write_connectors(
        "[connectors.personio]\nname = \"Personio EU proxy\"\nauth = \"oauth2_client_credentials\"\n\
         token_url = \"https://proxy.example.com/v2/auth/token\"\nclient_auth = \"post\"\n\
         fields = [{ id = \"client_id\", label = \"ID\" }, { id = \"client_secret\", label = \"S\", secret = true }]\n",
    );
    sb.when(&["connectors", "personio"])
        .then()
        .exits(0)
        .stdout_has("Personio EU proxy")
        .stdout_has("proxy.example.com");
}

#[test]
fn list_without_accounts_says_how_to_start() {
    let sb = Sandbox::new();
    sb.when(&["list"])
        .then()
        .exits(0)
        .stdout_has("No linked accounts");
    sb.cmd()
        .args(["list", "--json"])
        .assert()
        .code(0)
        .stdout("[]\n");
    assert!(!sb.index_path().exists(), "list creates nothing");
}

#[test]
fn a_corrupt_index_is_reported_and_never_overwritten() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    let corrupt = "{\"version\": 1,\n  \"accounts\": [ {\"name\": \n";
    std::fs::write(sb.index_path(), corrupt).unwrap();
    sb.when(&["list"])
        .then()
        .exits(2)
        .stderr_has("accounts.json")
        .stderr_has("line 3")
        .stderr_has("will not overwrite");
    sb.when(&["test", "--all"]).then().exits(2);
    assert_eq!(std::fs::read_to_string(sb.index_path()).unwrap(), corrupt);

    std::fs::write(sb.index_path(), r#"{"version": 9, "accounts": []}"#).unwrap();
    sb.when(&["list"])
        .then()
        .exits(2)
        .stderr_has("newer credlink");
}

#[test]
fn json_mode_keeps_exit_codes_and_reports_errors_as_json() {
    let out = Sandbox::new()
        .cmd()
        .args(["test", "ghost", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], 6);
    assert_eq!(err["error"]["kind"], "not_found");
}

/// `connectors` filters by category, auth kind and a word, in the table and in JSON; nothing
/// matching is "not found" (exit 6).
#[test]
fn connectors_are_filtered_by_category_auth_kind_and_a_word() {
    let sb = Sandbox::new();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["connectors", "--json"];
        all.extend_from_slice(args);
        let out = sb.when(&all).then().exits(0).out;
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let ats = ids(&["--category", "ats"]);
    assert!(
        ats.contains(&"traffit".to_owned()) && !ats.contains(&"personio".to_owned()),
        "{ats:?}"
    );
    let keys = ids(&["--auth", "api_key"]);
    assert!(
        keys.contains(&"ashby".to_owned()) && !keys.contains(&"personio".to_owned()),
        "{keys:?}"
    );
    assert_eq!(ids(&["SPS"]), ["sps-commerce", "sps-commerce-sandbox"]);
    sb.when(&["connectors", "--category", "commerce", "--auth", "api_key"])
        .then()
        .exits(6)
        .stderr_has("no connector matches these filters");
    let json = sb.when(&["connectors", "traffit", "--json"]).then().out;
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["category"], "ats");
}

/// `connectors ID` ends with the sources of the entry's facts, each with how sure it is; the
/// JSON has them too.
#[test]
fn one_connector_shows_the_sources_of_its_facts() {
    let out = Sandbox::new()
        .when(&["connectors", "personio"])
        .then()
        .exits(0)
        .out;
    let text = stdout(&out);
    let revoke = text.find("After `credlink revoke`").unwrap();
    let sources = text.find("\nSources (confirmed: the provider's own docs; public: other public material; inferred: untested):\n  - https://developer.personio.de/reference/post_v2-auth-token (confirmed)\n    token endpoint POST /v2/auth/token").unwrap_or_else(|| panic!("{text}"));
    assert!(revoke < sources, "{text}");
    assert_has(
        &text,
        "  - https://docs.stackone.com/connectors/personio/guides/link-account/oauth-2-0 (public)",
    );
    let json = Sandbox::new()
        .when(&["--json", "connectors", "personio"])
        .then()
        .exits(0)
        .out;
    let c: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        c["sources"][0]["url"],
        "https://developer.personio.de/reference/post_v2-auth-token"
    );
    assert_eq!(c["sources"][0]["confidence"], "confirmed");
    assert!(
        c["sources"][0]["supports"]
            .as_str()
            .is_some_and(|s| s.starts_with("token endpoint POST /v2/auth/token")),
        "{c}"
    );
    assert_eq!(c["product"], "Personio");
    assert_eq!(c["api_base"], "https://api.personio.de/v2/");
    assert_has(
        &text,
        "  api:   https://api.personio.de/v2/ (`credlink api NAME PATH`)\n",
    );
}

/// Every connector of `connectors --json` cites a public https source; its count of connectors
/// and products is the one the README and docs/connectors.md show.
#[test]
fn connectors_json_counts_what_the_readme_says() {
    let out = Sandbox::new()
        .when(&["connectors", "--json"])
        .then()
        .exits(0)
        .out;
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    for c in all {
        let sources = c["sources"].as_array().unwrap();
        assert!(!sources.is_empty(), "{}", c["id"]);
        for s in sources {
            assert!(s["url"].as_str().unwrap().starts_with("https://"), "{s}");
            assert!(
                ["confirmed", "public", "inferred"].contains(&s["confidence"].as_str().unwrap()),
                "{s}"
            );
        }
    }
    let products: std::collections::BTreeSet<&str> =
        all.iter().map(|c| c["product"].as_str().unwrap()).collect();
    let readme = include_str!("../../README.md").replace('\n', " ");
    assert_has(
        &readme,
        &format!("{} products in {} connectors", products.len(), all.len()),
    );
    assert_has(
        include_str!("../../docs/connectors.md"),
        &format!("{} connectors, {} products.", all.len(), products.len()),
    );
}

/// A source in a user's file is a public https page that says what it supports; a bad one is
/// refused naming the file and the source (exit 2). Leaving sources out is fine.
#[test]
fn a_user_files_source_must_be_a_public_https_page() {
    let sb = Sandbox::new();
    let entry = "[connectors.mine]\nname = \"Mine\"\nauth = \"api_key\"\n\
         [connectors.mine.verify]\nurl = \"https://api.example.com/me\"\nbearer = \"{api_key}\"\n\
         [[connectors.mine.fields]]\nid = \"api_key\"\nlabel = \"API key\"\nsecret = true\n";
    sb.write_connectors(entry);
    sb.when(&["connectors", "mine"]).then().exits(0);
    sb.write_connectors(&format!(
        "{entry}[[connectors.mine.sources]]\nurl = \"http://docs.example.com\"\nsupports = \"the key\"\nconfidence = \"public\"\n"
    ));
    let out = sb.when(&["connectors"]).then().exits(2).out;
    assert_has(&stderr(&out), "connectors.toml");
    assert_has(
        &stderr(&out),
        "connector `mine` is invalid: `sources (1)`: `url` must be an https URL without user info",
    );
}

/// A product with an API-key and an OAuth-app connector: `connectors ID` names the other one,
/// how to link it and when to choose it, as text and as JSON, both ways.
#[test]
fn connectors_names_the_twin_and_when_to_choose_it() {
    let sb = Sandbox::new();
    for (id, other, words) in [
        (
            "factorial",
            "factorial-oauth",
            "full access to the whole company",
        ),
        ("factorial-oauth", "factorial", "never expires"),
        ("deel", "deel-oauth", "scopes an admin approves"),
        (
            "zoho-recruit-oauth",
            "zoho-recruit",
            "nobody can sign in through a browser",
        ),
    ] {
        let out = sb.when(&["connectors", id]).then().exits(0).out;
        let text = stdout(&out);
        assert_has(&text, &format!("(`credlink link {other}`). Choose "));
        assert_has(&text, words);
        let json = sb
            .when(&["--json", "connectors", id])
            .then()
            .exits(0)
            .json();
        assert_eq!(json["alternative"]["id"], other, "{json}");
        assert!(
            json["alternative"]["when"]
                .as_str()
                .is_some_and(|w| w.contains(words)),
            "{json}"
        );
    }
    let json = sb
        .when(&["--json", "connectors", "personio"])
        .then()
        .exits(0)
        .json();
    assert!(json["alternative"].is_null(), "{json}");
}
