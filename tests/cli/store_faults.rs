//! What a team store (Vault / OpenBao) will not do on demand, against wiremock standing in for
//! it: echo a secret in an error, answer 5xx and then recover, answer with something that is
//! not JSON, or claim to be sealed. The real OpenBao suite is `vault/`; these need no peer.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const TOKEN: &str = "s.vault-TOKEN-9d2e71";

/// A sandbox on the team store `vault:secret/credlink` at `store`, with a `mock` OAuth
/// connector whose token endpoint is on `provider`.
fn team_sandbox(provider: &MockServer) -> Sandbox {
    Sandbox::with_connectors(&oauth_connector(
        &format!("{}/token", provider.uri()),
        "post",
        "",
        "",
    ))
}

fn team(sb: &Sandbox, store: &MockServer, args: &[&str]) -> When {
    sb.when(args)
        .env("CREDLINK_STORE", "vault:secret/credlink")
        .env("BAO_ADDR", store.uri())
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
/// whoever wrote its metadata) put there. OpenBao refuses them; `vault/round_trip.rs` has what it keeps.
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

/// A loopback server answering every request with `head` and then spaces, without end, until
/// the client hangs up.
fn endless_answer_server(head: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let filler = [b' '; 64 * 1024];
                if stream.write_all(head.as_bytes()).is_ok() {
                    while stream.write_all(&filler).is_ok() {}
                }
            });
        }
    });
    format!("http://{address}")
}

/// Issue "hardening, third round", class 2: an endless 200 from the team store, or from the
/// GitHub token service of a JWT login, is read up to its cap and no further: the run ends at
/// once with exit 5, "too large" or "without a token", with bounded memory. `ulimit -v` stops
/// an unbounded read at 1 GiB.
#[test]
fn an_endless_answer_from_the_store_or_the_token_service_is_not_read_to_the_end() {
    let base = endless_answer_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
    );
    let store = [("BAO_ADDR", base.as_str()), ("BAO_TOKEN", TOKEN)];
    let github_url = format!("{base}/idtoken");
    let github = [
        ("BAO_ADDR", base.as_str()),
        ("BAO_JWT_ROLE", "ci"),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", github_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", MARKER),
    ];
    let sb = Sandbox::new();
    for (what, env, said) in [
        ("the store", &store[..], "too large"),
        ("GitHub's token service", &github[..], "without a token"),
    ] {
        let mut cmd = under_sh(&sb, "ulimit -v 1048576", &["list"]);
        cmd.env("CREDLINK_STORE", "vault:secret/credlink")
            .envs(env.iter().copied());
        for var in PROXY_VARS {
            cmd.env_remove(var);
        }
        let (out, peak_mib) = run_watching_memory(&mut cmd, Duration::from_secs(30));
        let out = out.unwrap_or_else(|| panic!("{what}: still reading after 30 s, {peak_mib} MiB"));
        assert_exit(&out, 5);
        assert_has(&stderr(&out), said);
        assert_hidden(&out, MARKER);
        assert!(peak_mib < 256, "{what}: up to {peak_mib} MiB resident");
    }
}

/// Issue "hardening, third round", class 2: a store that answers every request with a 500
/// after 2 s is given up on after about 10 s of retrying (README), the attempts' own time
/// included, and the second listing `list` would try is not retried again: a few requests,
/// not 16 (8 attempts of each).
#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_fails_slowly_is_given_up_on_within_the_retry_window() {
    let store = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_delay(Duration::from_secs(2))
                .set_body_json(json!({"errors": ["busy"]})),
        )
        .mount(&store)
        .await;
    let sb = Sandbox::new();
    let started = Instant::now();
    let out = team(&sb, &store, &["list"]).then().exits(5).out;
    let elapsed = started.elapsed();
    let requests = store.received_requests().await.unwrap().len();
    assert_has(
        &stderr(&out),
        "the team store answered HTTP 500: busy (gave up after",
    );
    assert!(requests <= 6, "{requests} requests in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(25), "took {elapsed:?}");
}

/// Issue "hardening, third round", class 3: a store error that is not JSON is redacted whole
/// before it is cut, so a Vault token or AppRole secret id placed to straddle the cut (behind
/// padding that cleaning removes) shows no prefix.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_straddling_the_cut_of_an_error_that_is_not_json_shows_no_prefix() {
    const SECRET_ID: &str = "MARKER-approle-secret-id-0f3a9c2d71";
    let sb = Sandbox::new();
    for straddle in [4, 11, 19] {
        for (padding, width) in [("\u{1}", 1), ("\u{200b}", 3), ("\u{1b}[0m", 4)] {
            let store = MockServer::start().await;
            let body = |secret: &str| {
                let mut body = padding.repeat((300 - straddle) / width);
                body.push_str(&" ".repeat((300 - straddle) % width));
                body.push_str(secret);
                body.push_str(" and more");
                body
            };
            Mock::given(method("POST"))
                .and(path("/v1/auth/approle/login"))
                .respond_with(ResponseTemplate::new(400).set_body_string(body(SECRET_ID)))
                .mount(&store)
                .await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(400).set_body_string(body(TOKEN)))
                .mount(&store)
                .await;
            let out = team(&sb, &store, &["list"]).then().exits(5).out;
            assert_has(&stderr(&out), "HTTP 400");
            assert_hidden(&out, &TOKEN[..4]);
            let out = sb
                .when(&["list"])
                .env("CREDLINK_STORE", "vault:secret/credlink")
                .env("BAO_ADDR", store.uri())
                .env("BAO_ROLE_ID", "role")
                .env("BAO_SECRET_ID", SECRET_ID)
                .then()
                .exits(5)
                .out;
            assert_has(&stderr(&out), "AppRole login failed");
            assert_hidden(&out, &SECRET_ID[..4]);
        }
    }
}

/// Issue "hardening, third round", class 3: the token's display name, which `link` records as
/// who linked (and a lease as who holds it), is redacted like any text from the server: a
/// server echoing the token there gets it neither printed nor written into the record.
#[tokio::test(flavor = "multi_thread")]
async fn a_display_name_echoing_the_token_is_not_written_into_the_record() {
    let (store, provider) = (MockServer::start().await, token_endpoint().await);
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"display_name": format!("ci {TOKEN}")}})),
        )
        .with_priority(1)
        .mount(&store)
        .await;
    kv2_mount(&store).await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/credlink/acme"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": ["no"]})))
        .mount(&store)
        .await;
    let sb = team_sandbox(&provider);
    let args = [
        "link",
        "mock",
        "--name",
        "acme",
        "--client-id",
        "mock-client",
    ];
    let out = team(&sb, &store, &args)
        .env("CREDLINK_CLIENT_SECRET", MARKER)
        .then()
        .exits(5)
        .hides(TOKEN)
        .out;
    assert_has(&stderr(&out), "the team store answered HTTP 400");
    let writes: Vec<String> = store
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(
        writes.iter().any(|w| w.contains("ci (redacted)")),
        "{writes:?}"
    );
    assert!(!writes.iter().any(|w| w.contains(TOKEN)), "{writes:?}");
}

/// Issue "hardening, third round", class 6: a store address (or GitHub's token service) that
/// is plain http to another machine is refused, exit 2, naming the variable and the way to
/// allow it, before anything is sent; allowed with CREDLINK_STORE_ALLOW_HTTP=1, every run
/// warns. Loopback addresses stay allowed without a word.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_another_machine_is_refused_unless_allowed_and_then_warned() {
    let sb = Sandbox::new();
    // `list` with these settings, and the token in BAO_TOKEN unless a JWT login is set.
    let run = |env: &[(&str, &str)]| {
        let mut cmd = sb.cmd();
        cmd.args(["list"])
            .env("CREDLINK_STORE", "vault:secret/credlink");
        if !env.iter().any(|(k, _)| *k == "BAO_JWT_ROLE") {
            cmd.env("BAO_TOKEN", TOKEN);
        }
        for var in PROXY_VARS {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    for (var, addr) in [
        ("BAO_ADDR", "http://vault.example.com:8200"),
        ("BAO_ADDR", "http://203.0.113.7:8200"),
        ("BAO_ADDR", "http://[2001:db8::7]:8200"),
        ("BAO_ADDR", "http://0.0.0.0:8200"),
        ("BAO_ADDR", "http://localhost.example.com:8200"),
        ("VAULT_ADDR", "HTTP://VAULT.EXAMPLE.COM"),
    ] {
        let out = run(&[(var, addr)]);
        assert_exit(&out, 2);
        assert_has(
            &stderr(&out),
            &format!("{var} is plain http to another machine"),
        );
        assert_has(&stderr(&out), "CREDLINK_STORE_ALLOW_HTTP=1");
        assert_hidden(&out, TOKEN);
    }
    let out = run(&[
        ("BAO_ADDR", "https://vault.example.com:8200"),
        ("BAO_JWT_ROLE", "ci"),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "http://token.actions.example.com/idtoken",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", MARKER),
    ]);
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "ACTIONS_ID_TOKEN_REQUEST_URL is plain http to another machine",
    );
    let out = run(&[
        ("BAO_ADDR", "http://vault.example.com:8200"),
        ("CREDLINK_STORE_ALLOW_HTTP", "maybe"),
    ]);
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "CREDLINK_STORE_ALLOW_HTTP must be true or false",
    );

    // A store on another machine, reached through a proxy on loopback that records what it
    // is sent (so the test needs no network): refused, nothing sent; then allowed, with a
    // warning on every run, and the token goes out.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = MockServer::builder().listener(listener).start().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/detailed-metadata/credlink"))
        .and(header("X-Vault-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"key_info": {}}})))
        .mount(&store)
        .await;
    let proxy = format!("http://127.0.0.1:{port}");
    let remote = [
        ("BAO_ADDR", "http://vault.example.com:8200"),
        ("HTTP_PROXY", proxy.as_str()),
    ];
    let out = run(&remote);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "BAO_ADDR is plain http to another machine");
    assert!(store.received_requests().await.unwrap().is_empty());
    let warning =
        "warning: BAO_ADDR is plain http to another machine (CREDLINK_STORE_ALLOW_HTTP is set)";
    for _ in 0..2 {
        let out = run(&[remote[0], remote[1], ("CREDLINK_STORE_ALLOW_HTTP", "1")]);
        assert_exit(&out, 0);
        assert_has(&stderr(&out), warning);
    }
    let sent = store.received_requests().await.unwrap();
    assert!(
        sent.iter()
            .any(|r| r.url.host_str() == Some("vault.example.com")),
        "the requests went to the other machine, through the proxy: {sent:?}"
    );
    // Loopback: no refusal, no warning.
    let loopback = format!("http://127.0.0.1:{port}");
    for addr in [loopback.clone(), loopback.replace("127.0.0.1", "localhost")] {
        let out = run(&[("BAO_ADDR", &addr)]);
        assert_exit(&out, 0);
        assert_lacks(&stderr(&out), "warning", "stderr");
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
