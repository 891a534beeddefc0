//! The OAuth 2.0 client-credentials connectors end to end: `link`, `list`, `test` and `revoke`
//! against the real oidc-provider peer, with secrets in the real Secret Service.
//!
//! The tests are split by command: linking, and checking, revoking and what they print.

mod checks;
mod link;

use serde_json::Value;

use crate::support::*;

const BASIC_SECRET: &str = "basic-secret";

const POST_SECRET: &str = "post-secret";

/// `credlink link CONNECTOR --client-id ID --client-secret-stdin EXTRA...` with `secret` on stdin.
fn link(sb: &Sandbox, connector: &str, client_id: &str, secret: &str, extra: &[&str]) -> When {
    let link = [
        "link",
        connector,
        "--client-id",
        client_id,
        "--client-secret-stdin",
    ];
    sb.when(&[&link[..], extra].concat())
        .stdin(&format!("{secret}\n"))
}

fn link_basic(sb: &Sandbox) -> When {
    link(sb, "local-basic", "basic-client", BASIC_SECRET, &[])
}

/// The index record of one account.
#[track_caller]
fn record(sb: &Sandbox, name: &str) -> Value {
    let index = sb.index();
    index["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no record `{name}` in {index}"))
        .clone()
}

/// The access token credlink keeps (for `revoke`) next to an account's secret, read with
/// `secret-tool` from its token service.
fn cached_token(sb: &Sandbox, account: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            &format!("{}:token", sb.service),
            "username",
            account,
        ])
        .output()
        .expect("secret-tool runs");
    // Stored as {"access_token": ..., "expires_at": ...}.
    out.status.success().then(|| {
        let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        stored["access_token"].as_str().unwrap().to_owned()
    })
}

/// Whether a real Secret Service is up, for tests that run without one but check it when it is.
fn keyring_is_up() -> bool {
    std::env::var_os("CREDLINK_TEST_KEYRING").is_some()
}

/// Asserts that the peer logged exactly this line, e.g. `REQ POST /token 401`, `times` times
/// (waiting up to about two seconds for lines still on their way).
#[track_caller]
fn assert_seen(peer: &Peer, line: &str, times: usize) {
    let count = |lines: &[String]| lines.iter().filter(|l| *l == line).count();
    let mut lines = peer.requests();
    for _ in 0..20 {
        if count(&lines) >= times {
            break;
        }
        lines = peer.requests();
    }
    assert_eq!(
        count(&lines),
        times,
        "{line:?} in the peer's log: {lines:#?}"
    );
}

/// No index record and no keychain entry (secret or cached token) for these names.
#[track_caller]
fn assert_nothing_saved(sb: &Sandbox, names: &[&str]) {
    assert!(sb.account_names().is_empty(), "index: {}", sb.index());
    if keyring_is_up() {
        for name in names {
            assert_eq!(sb.keychain_secret(name), None, "keychain secret for {name}");
            assert_eq!(cached_token(sb, name), None, "cached token for {name}");
        }
    }
}
