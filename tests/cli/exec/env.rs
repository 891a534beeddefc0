//! What the command gets: a token the provider accepts, in its environment only; an API key's
//! fields; the variables' names; nothing of the client secret.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

/// Calls the base URL's `test/whoami` with the token, prints what it answered and the names of
/// the `CREDLINK_*` variables as one JSON line, then waits for stdin to close and exits 7.
const WHOAMI: &str = r#"
import json, os, sys, urllib.request, urllib.error
env = {k: v for k, v in os.environ.items() if k.startswith('CREDLINK_')}
req = urllib.request.Request(env['CREDLINK_BASE_URL'] + 'test/whoami', headers={'Authorization': 'Bearer ' + env['CREDLINK_TOKEN']})
try:
    with urllib.request.urlopen(req) as r:
        answer = {'status': r.status, 'body': json.load(r)}
except urllib.error.HTTPError as e:
    answer = {'status': e.code}
print(json.dumps({'names': sorted(env), 'whoami': answer}), flush=True)
sys.stdin.read()
sys.exit(7)
"#;

/// The variables a sandbox sets for credlink itself, which the command inherits.
const SANDBOX_VARS: [&str; 3] = [
    "CREDLINK_CONFIG_DIR",
    "CREDLINK_CONNECTORS",
    "CREDLINK_KEYCHAIN_SERVICE",
];

/// Whether credlink set this variable: neither the sandbox nor this test's environment did.
fn added(name: &str) -> bool {
    !SANDBOX_VARS.contains(&name) && std::env::var_os(name).is_none()
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .filter(|n| added(n))
        .collect()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn the_command_gets_a_token_the_provider_accepts_in_its_environment_and_no_secret_anywhere() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    // The interpreter itself, not a wrapper script that would run it as another process.
    let python = StdCommand::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = stdout(&python).trim().to_owned();
    let command = [python.as_str(), "-c", WHOAMI];
    let mut run = Running::start(&sb, &[&["acme-hr", "--"][..], &command].concat());
    let line: Value = serde_json::from_str(&run.line()).unwrap();
    let pid = run.pid();

    assert_eq!(
        line["whoami"],
        json!({"status": 200, "body": {"client_id": "basic-client", "scope": "api:read"}}),
        "the token works at the provider's resource"
    );
    assert_eq!(
        names(&line["names"]),
        [
            "CREDLINK_ACME_HR_BASE_URL",
            "CREDLINK_ACME_HR_EXPIRES_AT",
            "CREDLINK_ACME_HR_TOKEN",
            "CREDLINK_BASE_URL",
            "CREDLINK_EXPIRES_AT",
            "CREDLINK_TOKEN",
        ]
    );
    // credlink became the command: its process runs exactly CMD ARGS.
    assert_eq!(proc_list(pid, "cmdline"), command);
    let token = environ_var(pid, "CREDLINK_TOKEN").expect("the token in the environment");
    assert_eq!(
        environ_var(pid, "CREDLINK_ACME_HR_TOKEN").as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        environ_var(pid, "CREDLINK_BASE_URL").as_deref(),
        Some(format!("{}/", peer.url).as_str())
    );
    let expires_at = environ_var(pid, "CREDLINK_EXPIRES_AT").unwrap();
    let left = humantime::parse_rfc3339(&expires_at)
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(left.as_secs() > 300, "{expires_at}");
    assert!(token_is_active(&peer, &token));
    let environ = proc_list(pid, "environ").join("\n");
    assert_lacks(&environ, SECRET, "the command's environment");
    // No process on this machine has the token on its command line.
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(other) = entry.file_name().to_string_lossy().parse::<u32>() {
            let cmdline = proc_list(other, "cmdline").join(" ");
            assert_lacks(&cmdline, &token, &format!("/proc/{other}/cmdline"));
        }
    }

    let (status, err) = run.finish();
    assert_eq!(status.code(), Some(7), "the command's exit code: {err}");
    assert_lacks(&err, &token, "stderr");
    assert_lacks(&err, SECRET, "stderr");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn credlink_holding_the_token_shows_it_in_neither_its_command_line_nor_its_environment() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let Some(()) = faults_built_in() else { return };
    let sb = linked(&peer);
    let flag = sb.dir.path().join("resume");
    let mut cmd = sb.std_cmd();
    let args = [
        "exec",
        "acme-hr",
        "--fresh",
        "--",
        "sh",
        "-c",
        "printf %s \"$CREDLINK_TOKEN\"",
    ];
    cmd.args(args).env("CREDLINK_FAULT_RESUME", &flag);
    // Paused with a new token in memory, just before it becomes the command.
    let paused = Paused::start(cmd, "exec:before_start", "");
    let pid = paused.pid();
    let cmdline = proc_list(pid, "cmdline");
    let environ = proc_list(pid, "environ").join("\n");
    let out = paused.resume(&flag);
    assert_exit(&out, 0);
    let token = stdout(&out);
    assert!(token.len() > 20, "{}", describe(&out));
    assert!(token_is_active(&peer, &token));
    assert_eq!(cmdline[1..], args, "credlink's own arguments: names only");
    for secret in [token.as_str(), SECRET] {
        assert_lacks(&cmdline.join(" "), secret, "credlink's command line");
        assert_lacks(&environ, secret, "credlink's environment");
        assert_lacks(&stderr(&out), secret, "stderr");
    }
}

/// A connectors file with `keyed`: an API key checked by `GET {uri}/me` with a bearer header.
fn keyed_connector(uri: &str) -> String {
    format!(
        r#"
[connectors.keyed]
name = "Mock API key"
auth = "api_key"
api_base = "{uri}/"

[connectors.keyed.verify]
method = "GET"
url = "{uri}/me"
bearer = "{{api_key}}"

[[connectors.keyed.fields]]
id = "api_key"
label = "API key"
secret = true
"#
    )
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread")]
async fn each_account_sets_its_own_variables_an_api_key_its_fields() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&format!(
        "{}{}",
        peer_connector(&peer),
        keyed_connector(&server.uri())
    ));
    link(&sb, "acme-hr");
    sb.when(&[
        "link",
        "keyed",
        "--name",
        "shop",
        "--api-key-stdin",
        "--no-input",
    ])
    .stdin(&format!("{MARKER}\n"))
    .then()
    .exits(0);

    let listing = "env | grep ^CREDLINK_ | cut -d= -f1 | sort; \
        test \"$CREDLINK_SHOP_API_KEY\" = \"$EXPECTED\" && echo \"key $CREDLINK_SHOP_BASE_URL\"";
    let out = exec(&sb, &["acme-hr", "shop", "--", "sh", "-c", listing])
        .env("EXPECTED", MARKER)
        .then()
        .exits(0)
        .hides(SECRET)
        .out;
    let shown = stdout(&out);
    let lines: Vec<&str> = shown.lines().filter(|l| added(l)).collect();
    assert_eq!(
        lines,
        [
            "CREDLINK_ACME_HR_BASE_URL",
            "CREDLINK_ACME_HR_EXPIRES_AT",
            "CREDLINK_ACME_HR_TOKEN",
            "CREDLINK_SHOP_API_KEY",
            "CREDLINK_SHOP_BASE_URL",
            &format!("key {}/", server.uri()),
        ],
        "with two names no short names; the key as linked"
    );
    assert!(stderr(&out).is_empty(), "{}", describe(&out));

    // One API-key account: the short names too.
    exec(
        &sb,
        &[
            "shop",
            "--",
            "sh",
            "-c",
            "test \"$CREDLINK_API_KEY\" = \"$EXPECTED\" && echo same",
        ],
    )
    .env("EXPECTED", MARKER)
    .then()
    .exits(0)
    .stdout_is("same\n");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_variable_already_set_is_replaced_with_a_warning() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    exec(
        &sb,
        &[
            "acme-hr",
            "--",
            "sh",
            "-c",
            "test \"$CREDLINK_TOKEN\" != stale && echo replaced",
        ],
    )
    .env("CREDLINK_TOKEN", "stale")
    .then()
    .exits(0)
    .stdout_is("replaced\n")
    .stderr_has("warning: CREDLINK_TOKEN was already set: the command gets the new value")
    .stderr_lacks("CREDLINK_ACME_HR_TOKEN");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_token_is_reused_only_with_min_ttl_left_and_never_shown_by_credlink() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    assert_eq!(seen(&peer, TOKEN_OK, 1), 1, "link's token");
    // The peer's tokens live 600 s: the default 300 s left reuses link's token.
    exec(&sb, &["acme-hr", "--", "true"]).then().exits(0);
    assert_eq!(seen(&peer, TOKEN_OK, 1), 1, "the cached token");
    let out = exec(&sb, &["-v", "acme-hr", "--min-ttl", "700", "--", "true"])
        .then()
        .exits(0)
        .out;
    assert_eq!(seen(&peer, TOKEN_OK, 2), 2, "a new token");
    let cached = sb.when(&["token", "acme-hr"]).then().exits(0).out;
    let token = stdout(&cached).trim().to_owned();
    assert_hidden(&out, &token);
    assert_hidden(&out, SECRET);
    assert_has(&stderr(&out), "POST");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread")]
async fn a_field_named_like_a_variable_credlink_sets_is_refused_before_anything_runs() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&format!(
        "{}\n[[connectors.keyed.fields]]\nid = \"base_url\"\nlabel = \"Base URL\"\n",
        keyed_connector(&server.uri())
    ));
    sb.when(&[
        "link",
        "keyed",
        "--name",
        "shop",
        "--api-key-stdin",
        "--field",
        "base_url=https://shop.example",
        "--no-input",
    ])
    .stdin(&format!("{MARKER}\n"))
    .then()
    .exits(0);
    let file = sb.dir.path().join("ran");
    exec(&sb, &["shop", "--", "touch", file.to_str().unwrap()])
        .then()
        .exits(2)
        .stderr_has("`shop` would set CREDLINK_SHOP_BASE_URL twice: connector `keyed` has a field named like a variable credlink sets")
        .hides(MARKER);
    assert!(!file.exists(), "nothing ran");
}

/// An account's value never lands in one of credlink's own settings: an account `store` with a
/// field `allow_http` would set CREDLINK_STORE_ALLOW_HTTP for a credlink the command runs.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread")]
async fn an_account_whose_variable_would_be_a_credlink_setting_is_refused() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&format!(
        "{}\n[[connectors.keyed.fields]]\nid = \"allow_http\"\nlabel = \"Allow\"\n",
        keyed_connector(&server.uri())
    ));
    sb.when(&[
        "link",
        "keyed",
        "--name",
        "store",
        "--api-key-stdin",
        "--field",
        "allow_http=1",
        "--no-input",
    ])
    .stdin(&format!("{MARKER}\n"))
    .then()
    .exits(0);
    let file = sb.dir.path().join("ran");
    exec(&sb, &["store", "--", "touch", file.to_str().unwrap()])
        .then()
        .exits(2)
        .stderr_has("`store` would set CREDLINK_STORE_ALLOW_HTTP, one of credlink's own settings")
        .hides(MARKER);
    assert!(!file.exists(), "nothing ran");
}
