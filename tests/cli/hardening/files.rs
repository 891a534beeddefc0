//! Hostile files: symlinks, FIFOs, endless files, a world-writable config dir, a hand-edited
//! index (class 6).

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::MockServer;

use super::*;
use crate::support::*;

/// Names in an index file, read independently of credlink.
fn names_in(index: &Path) -> Vec<String> {
    let index: Value = serde_json::from_str(&std::fs::read_to_string(index).unwrap()).unwrap();
    index["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| text(&a["name"]).to_owned())
        .collect()
}

fn mkfifo(path: &Path) {
    let status = StdCommand::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Makes the sandbox's accounts.json a symlink to a file elsewhere (as a dotfiles manager
/// does) holding `accounts`; returns the target.
fn symlinked_index(sb: &Sandbox, accounts: &[Value]) -> PathBuf {
    let dotfiles = sb.dir.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    let target = dotfiles.join("accounts.json");
    let index = json!({"version": 1, "accounts": accounts});
    std::fs::write(&target, index.to_string()).unwrap();
    symlink(&target, sb.index_path()).unwrap();
    target
}

#[track_caller]
fn assert_still_a_symlink(sb: &Sandbox) {
    let meta = std::fs::symlink_metadata(sb.index_path()).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "accounts.json was replaced by a regular file: the dotfiles link is broken"
    );
}

/// Class 6: a symlinked accounts.json stays a symlink when `test --all` records its results,
/// and the target gets them.
#[test]
fn a_symlinked_index_stays_a_symlink_when_results_are_recorded() {
    let sb = Sandbox::new();
    let target = symlinked_index(&sb, &[orphan("old")]);

    let out = run(&sb, &["test", "--all", "--json"]);
    assert!(!crashed(&out), "{}", brief(&out));
    assert_still_a_symlink(&sb);
    let index: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(
        index["accounts"][0]["last_status"], "unknown_connector",
        "the target holds the result"
    );
}

/// Class 6: a symlinked accounts.json stays a symlink when `link` adds an account, and the
/// target holds the new record beside the old one.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_index_stays_a_symlink_when_an_account_is_linked() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    answer_with(&server, token_answer(json!({}))).await;
    let sb = mock_sandbox(&server, "", "");
    let target = symlinked_index(&sb, &[orphan("old")]);

    link(&sb, SECRET, &["--name", "new"]).then().exits(0);
    assert_still_a_symlink(&sb);
    assert_eq!(names_in(&target), ["old", "new"]);
}

/// Class 6: a symlinked accounts.lock pointing outside the config dir is never followed to
/// create its target.
#[test]
fn a_symlinked_lock_file_is_not_followed_to_create_a_file() {
    let sb = Sandbox::new();
    sb.write_index(&[orphan("old")]);
    let planted = sb.dir.path().join("elsewhere-created-by-credlink");
    symlink(&planted, sb.config_dir().join("accounts.lock")).unwrap();

    let out = run(&sb, &["test", "--all"]);
    assert!(!crashed(&out), "{}", brief(&out));
    assert!(
        !planted.exists(),
        "following accounts.lock created {}",
        planted.display()
    );
}

/// The same for the lock file of an account's refresh token (`refresh-NAME.lock`): a run
/// that would spend it refuses, naming the file, and creates nothing elsewhere.
#[test]
fn a_symlinked_refresh_lock_file_is_not_followed() {
    let sb = Sandbox::with_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
    sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
    let planted = sb.dir.path().join("elsewhere-created-by-credlink");
    symlink(&planted, sb.config_dir().join("refresh-wd.lock")).unwrap();

    // `token` reads the secret first, and there is none here: it never gets to the lock.
    for args in [&["test", "wd"][..], &["revoke", "wd", "--yes"]] {
        let out = run(&sb, args);
        assert!(!crashed(&out), "{}", brief(&out));
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", brief(&out));
        assert!(
            format!("{}{}", stdout(&out), stderr(&out)).contains("refresh-wd.lock"),
            "{args:?} names the file: {}",
            brief(&out)
        );
        assert!(!planted.exists(), "{args:?} followed refresh-wd.lock");
    }
    assert_eq!(sb.account_names(), ["wd"], "nothing was removed");
}

/// A lock file that is a FIFO (nobody reading) is refused at once, naming it: opening one for
/// writing would wait for a reader forever.
#[test]
fn a_fifo_as_a_lock_file_is_refused_not_waited_on() {
    for lock in ["refresh-wd.lock", "accounts.lock"] {
        let sb = Sandbox::with_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
        sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
        mkfifo(&sb.config_dir().join(lock));
        let args: &[&str] = if lock == "accounts.lock" {
            &["revoke", "wd", "--yes", "--local"]
        } else {
            &["test", "wd"]
        };
        let out = wait_within(spawn(sb.std_cmd().args(args), ""), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{args:?} still waiting on the FIFO {lock} after 10 s"));
        assert!(!crashed(&out), "{}", brief(&out));
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", brief(&out));
        assert!(
            stdout(&out).contains(lock) || stderr(&out).contains(lock),
            "{args:?} names {lock}: {}",
            brief(&out)
        );
        assert_eq!(sb.account_names(), ["wd"], "nothing was removed");
    }
}

/// Everyday use: an unsafe refresh lock file (a symlink, a FIFO) is one cause with one exit code in
/// every command that takes the account's turn with its refresh token (`test`, `test
/// --explain`, `token`, `revoke`; text and `--json`): 2, as for an unsafe config dir or index.
/// Each names the file, and nothing changes: the account, its secret, the lock file.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[test]
fn an_unsafe_refresh_lock_file_has_one_exit_code_in_every_command() {
    let Some(()) = keyring() else { return };
    let secret = json!({"client_secret": "lock-client-secret", "refresh_token": "lock-refresh"});
    let mut failures = Vec::new();
    for unsafe_file in ["a symlink", "a FIFO"] {
        let sb = Sandbox::with_connectors(&refresh_connectors_at("http://127.0.0.1:9"));
        sb.write_index(&[record("wd", "local-refresh", json!({"client_id": "x"}))]);
        sb.store_secret("wd", &secret.to_string());
        let lock = sb.config_dir().join("refresh-wd.lock");
        let planted = sb.dir.path().join("elsewhere-created-by-credlink");
        match unsafe_file {
            "a symlink" => symlink(&planted, &lock).unwrap(),
            _ => mkfifo(&lock),
        }
        for args in [
            &["test", "wd"][..],
            &["test", "wd", "--json"],
            &["test", "--explain", "wd"],
            &["test", "--explain", "wd", "--json"],
            &["token", "wd"],
            &["token", "wd", "--json"],
            &["revoke", "wd", "--yes"],
            &["revoke", "wd", "--yes", "--json"],
        ] {
            let case = format!("{unsafe_file}, {}", args.join(" "));
            let Some(out) = wait_within(spawn(sb.std_cmd().args(args), ""), PROCESS_TIMEOUT) else {
                failures.push(format!("{case}: still running after {PROCESS_TIMEOUT:?}"));
                continue;
            };
            let shown = format!("{}{}", stdout(&out), stderr(&out));
            if out.status.code() != Some(2) || !shown.contains("refresh-wd.lock") {
                failures.push(format!("{case}: {}", brief(&out)));
            }
        }
        // `test` records its result (`store_error`), as for a locked keychain.
        let unchanged = sb.account_names() == ["wd"]
            && sb.keychain_secret("wd") == Some(secret.to_string())
            && !planted.exists()
            && std::fs::symlink_metadata(&lock).is_ok_and(|m| !m.is_file());
        if !unchanged {
            failures.push(format!("{unsafe_file}: something was changed"));
        }
        sb.clear_secret("wd");
    }
    assert_no_failures(&failures);
}

/// Class 6: an index or connectors file that is a FIFO (nobody writing) is refused with exit 2
/// within seconds, instead of hanging.
#[test]
fn a_fifo_as_index_or_connectors_file_is_refused_not_waited_on() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    mkfifo(&sb.index_path());
    let list = wait_within(spawn(sb.std_cmd().arg("list"), ""), Duration::from_secs(5));

    let sb = Sandbox::new();
    mkfifo(&sb.connectors_path());
    let connectors = wait_within(
        spawn(sb.std_cmd().arg("connectors"), ""),
        Duration::from_secs(5),
    );

    let mut failures = Vec::new();
    for (what, out) in [
        ("list, index a FIFO", list),
        ("connectors, file a FIFO", connectors),
    ] {
        match out {
            None => failures.push(format!("{what}: still waiting after 5 s")),
            Some(out) if out.status.code() != Some(2) || stderr(&out).trim().is_empty() => {
                failures.push(format!("{what}: {}", brief(&out)));
            }
            Some(_) => {}
        }
    }
    assert_no_failures(&failures);
}

/// Class 6: an index or connectors file that is a symlink to /dev/zero is refused with exit 2
/// at once, reading next to nothing (under 256 MiB resident), instead of being read until
/// memory runs out. `ulimit -v` caps the process at 1 GiB, so today's unbounded read stops
/// there instead of exhausting the machine.
#[test]
fn an_endless_index_or_connectors_file_is_refused_without_reading_it() {
    let endless_index = Sandbox::new();
    std::fs::create_dir_all(endless_index.config_dir()).unwrap();
    symlink("/dev/zero", endless_index.index_path()).unwrap();
    let endless_catalog = Sandbox::new();
    symlink("/dev/zero", endless_catalog.connectors_path()).unwrap();

    let mut failures = Vec::new();
    for (what, sb, command) in [
        ("list, index /dev/zero", &endless_index, "list"),
        ("connectors, file /dev/zero", &endless_catalog, "connectors"),
    ] {
        let mut cmd = under_sh(sb, "ulimit -v 1048576", &[command]);
        let (out, peak_mib) = run_watching_memory(&mut cmd, Duration::from_secs(5));
        match out {
            None => failures.push(format!("{what}: still reading after 5 s, {peak_mib} MiB")),
            Some(out) if out.status.code() != Some(2) || peak_mib >= 256 => {
                failures.push(format!(
                    "{what}: up to {peak_mib} MiB resident, {}",
                    brief(&out)
                ));
            }
            Some(_) => {}
        }
    }
    assert_no_failures(&failures);
}

/// Class 6: a world-writable config dir (anyone could point an account at another connector
/// and so send its secret to another host) is refused, exit 2, and stderr speaks of its
/// permissions.
#[test]
fn a_world_writable_config_dir_is_refused() {
    let sb = Sandbox::new();
    sb.write_index(&[orphan("old")]);
    std::fs::set_permissions(sb.config_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();

    let mut failures = Vec::new();
    for args in [&["list"][..], &["test", "--all"], &["test", "old"]] {
        let out = run(&sb, args);
        let err = stderr(&out).to_lowercase();
        let names_it = ["permission", "writable", "chmod", "0777", "777"]
            .iter()
            .any(|w| err.contains(w));
        if out.status.code() != Some(2) || !names_it {
            failures.push(format!("{}: {}", args.join(" "), brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// Characters that must never reach a terminal from a stored value: C0 controls but line
/// breaks and tabs, DEL, C1 controls, bidi controls.
fn terminal_hostile(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// Class 6: escape sequences, bidi overrides and C1 controls in a hand-edited index never
/// reach the terminal through `list` or `test --all` (rejected on load, or cleaned);
/// `list --json` stays JSON with no raw control character.
#[test]
fn hostile_values_in_a_hand_edited_index_are_never_printed_raw() {
    let sb = Sandbox::new();
    let mut evil = record(
        "evil",
        "gone\u{1b}[2J",
        json!({
            "subdomain": "acme\u{1b}]52;c;ZXZpbA==\u{7}",
            "client_id": "papi-\u{202e}exe.txt",
        }),
    );
    evil["last_status"] = json!("valid\u{9b}31m");
    evil["last_tested_at"] = json!("2026-01-01T00:00:00Z\u{85}\u{1b}[1A");
    sb.write_index(&[evil]);

    let mut failures = Vec::new();
    for args in [&["list"][..], &["test", "--all"]] {
        let out = run(&sb, args);
        let hostile: Vec<char> = [stdout(&out), stderr(&out)]
            .iter()
            .flat_map(|s| terminal_hostile(s))
            .collect();
        if !hostile.is_empty() || !matches!(out.status.code(), Some(0 | 2 | 6)) {
            failures.push(format!(
                "{}: printed {hostile:?}: {}",
                args.join(" "),
                brief(&out)
            ));
        }
    }
    let out = run(&sb, &["list", "--json"]);
    let raw_c0 = out.stdout.iter().any(|&b| b < 0x20 && b != b'\n');
    let parses = serde_json::from_slice::<Value>(&out.stdout).is_ok();
    if raw_c0 || !matches!((out.status.code(), parses), (Some(0), true) | (Some(2), _)) {
        failures.push(format!("list --json: {}", brief(&out)));
    }
    assert_no_failures(&failures);
}

/// Class 6: a 50 MB field in the index does not make `list` run for long: done (or refused)
/// within 5 s.
#[test]
fn a_huge_field_in_the_index_does_not_stall_list() {
    let sb = Sandbox::new();
    let huge = "a".repeat(50 * 1024 * 1024);
    sb.write_index(&[record("big", "gone", json!({"client_id": huge}))]);

    let started = Instant::now();
    let out = wait_within(spawn(sb.std_cmd().arg("list"), ""), Duration::from_secs(5));
    let out = out.unwrap_or_else(|| panic!("`list` still running after {:?}", started.elapsed()));
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", brief(&out));
}
