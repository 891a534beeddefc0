//! What a team store (Vault / OpenBao) will not do on demand, against wiremock standing in for
//! it: echo a secret in an error, answer 5xx and then recover, answer with something that is
//! not JSON, or claim to be sealed. The real OpenBao suite is `vault.rs`; these need no peer.

use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const TOKEN: &str = "s.vault-TOKEN-9d2e71";

/// A sandbox on the team store `vault:secret/credlink` at `store`, with a `mock` OAuth
/// connector whose token endpoint is on `provider`.
fn team_sandbox(provider: &MockServer) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", provider.uri()),
        "post",
        "",
        "",
    ));
    sb
}

fn team<'a>(sb: &'a Sandbox, store: &MockServer, args: &[&str]) -> When<'a> {
    sb.when(args)
        .env("CREDLINK_STORE", "vault:secret/credlink")
        .env("BAO_ADDR", &store.uri())
        .env("BAO_TOKEN", TOKEN)
}

async fn token_endpoint() -> MockServer {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 600}),
        ))
        .mount(&provider)
        .await;
    provider
}

/// Preflight and identity answers every link asks for.
async fn kv2_mount(store: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/sys/internal/ui/mounts/secret"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"type": "kv", "options": {"version": "2"}}})),
        )
        .mount(store)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"display_name": "token"}})),
        )
        .mount(store)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/credlink/acme"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"errors": []})))
        .mount(store)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_echoes_the_secret_or_token_in_an_error_never_gets_it_printed() {
    let (store, provider) = (MockServer::start().await, token_endpoint().await);
    kv2_mount(&store).await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/credlink/acme"))
        .and(header("X-Vault-Token", TOKEN))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [
            format!("bad value {MARKER} for {TOKEN}"),
            format!("base64 {}", base64_of(MARKER)),
        ]})))
        .mount(&store)
        .await;
    let sb = team_sandbox(&provider);
    for verbose in [false, true] {
        let mut args = vec![
            "link",
            "mock",
            "--name",
            "acme",
            "--client-id",
            "mock-client",
        ];
        args.extend(["--client-secret-stdin", "--no-input"]);
        if verbose {
            args.push("-v");
        }
        let out = team(&sb, &store, &args)
            .stdin(MARKER)
            .then()
            .exits(5)
            .hides(MARKER)
            .hides(TOKEN)
            .out;
        assert_has(&stderr(&out), "the team store answered HTTP 400");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_are_retried_after_a_5xx_and_a_sealed_store_says_so() {
    let store = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/detailed-metadata/credlink"))
        .respond_with(ResponseTemplate::new(405).set_body_json(json!({"errors": []})))
        .mount(&store)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/credlink"))
        .and(query_param("list", "true"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"errors": ["busy"]})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&store)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/credlink"))
        .and(query_param("list", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"keys": ["acme"]}})))
        .with_priority(2)
        .mount(&store)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/credlink/acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "current_version": 1,
            "versions": {"1": {"created_time": "2026-11-23T10:00:00Z", "deletion_time": "", "destroyed": false}},
            "custom_metadata": {"connector": "mock", "auth": "oauth2_client_credentials",
                "linked_at": "2026-11-23T10:00:00Z", "version": "1", "field.client_id": "mock-client"},
        }})))
        .mount(&store)
        .await;
    let sb = Sandbox::new();
    let out = team(&sb, &store, &["list", "--json"]).then().exits(0).out;
    let listed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(listed[0]["name"], "acme");
    assert_eq!(listed[0]["client_id"], "mock-client");

    let sealed = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"errors": ["Vault is sealed"]})),
        )
        .mount(&sealed)
        .await;
    let out = team(&sb, &sealed, &["list"]).then().exits(5).out;
    assert_has(&stderr(&out), "is sealed");
    assert_has(&stderr(&out), "unseal");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_is_not_json_or_a_record_written_by_hand_is_a_clear_error() {
    let proxy = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy error</html>"))
        .mount(&proxy)
        .await;
    let sb = Sandbox::new();
    let out = team(&sb, &proxy, &["test", "acme"]).then().exits(5).out;
    assert_has(&stderr(&out), "the answer is not JSON");

    let store = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/credlink/acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "current_version": 1,
            "versions": {"1": {"created_time": "2026-11-23T10:00:00Z", "deletion_time": "", "destroyed": false}},
        }})))
        .mount(&store)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/credlink/acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "data": {"secret": MARKER},
            "metadata": {"version": 1},
        }})))
        .mount(&store)
        .await;
    let out = team(&sb, &store, &["test", "acme"])
        .then()
        .exits(2)
        .hides(MARKER)
        .out;
    assert_has(&stderr(&out), "no valid credlink record for `acme`");
}

/// Issue "Hardening, third round", class 5: `history --json` shows when and by whom each
/// version was linked as the table does, without the control and bidi characters a store (or
/// whoever wrote its metadata) put there. OpenBao refuses them; `vault.rs` has what it keeps.
#[tokio::test(flavor = "multi_thread")]
async fn history_shows_hand_written_metadata_clean_in_json_too() {
    let store = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/credlink/acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "current_version": 1,
            "versions": {"1": {"created_time": "2026-11-23T10:00:00Z\u{1b}[8m", "deletion_time": "", "destroyed": false}},
            "custom_metadata": {"linked_by.v1": "mal\u{202e}lo\u{200b}ry\u{1b}]52;c;ZXZpbA==\u{7}"},
        }})))
        .mount(&store)
        .await;
    let sb = Sandbox::new();
    let out = team(&sb, &store, &["history", "acme", "--json"])
        .then()
        .exits(0)
        .out;
    let versions: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        versions[0]["linked_by"], "mallory]52;c;ZXZpbA==",
        "{versions}"
    );
    assert_eq!(versions[0]["created_time"], "2026-11-23T10:00:00Z[8m");
    let out = team(&sb, &store, &["history", "acme"]).then().exits(0).out;
    assert_has(&stdout(&out), "mallory]52;c;ZXZpbA==");
}

#[test]
fn store_settings_that_cannot_work_are_usage_errors_naming_the_setting() {
    let sb = Sandbox::new();
    for (store, addr, needle) in [
        ("vault:secret", "http://127.0.0.1:1", "--store"),
        ("vault:secret/../sys", "http://127.0.0.1:1", "--store"),
        ("vault:secret/credlink", "", "BAO_ADDR"),
        ("vault:secret/credlink", "ftp://x", "BAO_ADDR"),
        (
            "vault:secret/credlink",
            "http://user:pw@127.0.0.1:1",
            "BAO_ADDR",
        ),
    ] {
        let out = sb
            .when(&["list"])
            .env("CREDLINK_STORE", store)
            .env("BAO_ADDR", addr)
            .env("BAO_TOKEN", TOKEN)
            .then()
            .exits(2)
            .hides("pw@")
            .out;
        assert_has(&stderr(&out), needle);
    }
    let out = sb
        .when(&["list"])
        .env("CREDLINK_STORE", "vault:secret/credlink")
        .env("BAO_ADDR", "http://127.0.0.1:1")
        .env("BAO_TOKEN", TOKEN)
        .env("BAO_ROLE_ID", "role")
        .then()
        .exits(2)
        .out;
    assert_has(&stderr(&out), "both BAO_TOKEN and BAO_ROLE_ID are set");
    // A namespace goes into a header: a line break in it is a setting to fix, not a network
    // failure.
    let out = sb
        .when(&["list"])
        .env("CREDLINK_STORE", "vault:secret/credlink")
        .env("BAO_ADDR", "http://127.0.0.1:1")
        .env("BAO_TOKEN", TOKEN)
        .env("BAO_NAMESPACE", "team\r\nX-Injected: 1")
        .then()
        .exits(2)
        .out;
    assert_has(&stderr(&out), "BAO_NAMESPACE may hold only printable ASCII");
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    let config = sb.config_dir().join("config.toml");
    std::fs::write(&config, "stor = 'keychain'\n").unwrap();
    let out = sb.when(&["list"]).then().exits(2).out;
    assert_has(&stderr(&out), "config.toml is not valid");
    // A config file that is a FIFO, an endless device or huge is refused, never waited on.
    std::fs::remove_file(&config).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&config)
            .status()
            .unwrap()
            .success()
    );
    let out = sb.when(&["list"]).then().exits(2).out;
    assert_has(&stderr(&out), "not a regular file");
    std::fs::remove_file(&config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    let out = sb.when(&["list"]).then().exits(2).out;
    assert_has(&stderr(&out), "not a regular file");
    std::fs::remove_file(&config).unwrap();
    std::fs::write(&config, format!("store = \"{}\"\n", "a".repeat(100_000))).unwrap();
    let out = sb.when(&["list"]).then().exits(2).out;
    assert_has(&stderr(&out), "larger than 64 KiB");
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
