//! The guarantees under faults, bad input, concurrency and attack: nothing lost, nothing
//! leaked. Concurrent links lose no update; a link racing a revoke of the same name ends
//! consistent; a process killed at any fault point (src/base/fault.rs) leaves a state that `list`
//! reads and `revoke` cleans up; a secret never reaches the command line, the environment or a
//! panic message; bad input of every kind exits 2 and changes nothing; a keychain that never
//! answers times out with a clear message.
//!
//! The crash tests need the `fault-injection` feature (scripts/test builds with it): without it
//! they skip on a laptop and fail in CI.
//!
//! The tests are split by guarantee; `Paused` (the crash tests' process) is in `support`.

mod bad_input;
mod concurrency;
mod crashes;
mod keychain;
mod secrecy;

use serde_json::Value;

use crate::support::*;

const BASIC_SECRET: &str = "basic-secret";

/// `credlink link local-basic ...` to the end.
/// `credlink link local-basic --client-id ID --client-secret-stdin EXTRA...`, `secret` on stdin.
fn link(sb: &Sandbox, client_id: &str, secret: &str, extra: &[&str]) -> When {
    let link = [
        "link",
        "local-basic",
        "--client-id",
        client_id,
        "--client-secret-stdin",
    ];
    sb.when(&[&link[..], extra].concat())
        .stdin(&format!("{secret}\n"))
}

/// The index file parses (or does not exist), and both it and `credlink list --json` (exit 0)
/// hold exactly these accounts.
#[track_caller]
fn assert_listed(sb: &Sandbox, names: &[&str]) {
    if let Ok(text) = std::fs::read_to_string(sb.index_path())
        && let Err(e) = serde_json::from_str::<Value>(&text)
    {
        panic!("the index file does not parse ({e}):\n{text}");
    }
    assert_eq!(sb.account_names(), names, "the index file");
    let out = sb.when(&["list", "--json"]).then().exits(0).out;
    let rows: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("list --json is not JSON ({e}):\n{}", describe(&out)));
    let listed: Vec<&str> = rows
        .as_array()
        .expect("list --json prints an array")
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names, "credlink list --json");
}

/// No file in the config dir (index, lock, leftover temporary files) holds `secret`; returns
/// the names of leftover temporary index files.
#[track_caller]
fn assert_config_dir_lacks(sb: &Sandbox, secret: &str) -> Vec<String> {
    let mut leftovers = Vec::new();
    let Ok(entries) = std::fs::read_dir(sb.config_dir()) else {
        return leftovers;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !contains_bytes(&bytes, secret.as_bytes()),
            "{} holds the secret",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".accounts.") {
            leftovers.push(name);
        }
    }
    leftovers
}

/// A secret without a record, as a crash between the two writes leaves it: `revoke` removes it
/// and says so, and then there is nothing left to revoke.
#[track_caller]
fn assert_orphan_is_cleaned_up(sb: &Sandbox, name: &str) {
    assert!(
        sb.keychain_secret(name).is_some(),
        "{name}: the orphan secret is there"
    );
    sb.when(&["revoke", name, "--yes"]).then().exits(0).stdout_has(&format!("Revoked {name}: removed its orphaned secret from the keychain (the index had no record)"));
    assert_eq!(
        sb.keychain_secret(name),
        None,
        "{name}: secret after revoke"
    );
    assert!(
        !sb.has_cached_token(name),
        "{name}: cached token after revoke"
    );
    sb.when(&["revoke", name, "--yes"]).then().exits(6);
}
