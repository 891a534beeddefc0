//! Completions: the checked-in static scripts match what the CLI generates, and dynamic
//! completion (`COMPLETE=SHELL credlink -- WORDS...`, which the shell runs at each Tab) offers
//! connector ids and account names. The shells themselves are driven in `pty.rs`.

use crate::support::*;

#[test]
fn checked_in_completions_match_the_cli() {
    let sb = Sandbox::new();
    let files = [
        ("bash", "credlink.bash"),
        ("zsh", "_credlink"),
        ("fish", "credlink.fish"),
        ("powershell", "_credlink.ps1"),
        ("elvish", "credlink.elv"),
    ];
    for (shell, file) in files {
        let output = sb.when(&["completions", shell, "--static"]).then().out;
        assert!(output.status.success(), "{shell}");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stdout(&output) == checked_in,
            "completions/{file} is out of date with the CLI: run scripts/update-completions"
        );
        assert!(
            checked_in.contains("client-secret-stdin"),
            "{file} covers the link flags"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    Sandbox::new()
        .when(&["completions", "tcsh"])
        .then()
        .exits(2);
}

#[test]
fn completions_prints_the_script_that_asks_credlink_at_each_tab() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = sb.when(&["completions", shell]).then().exits(0).out;
        let registration = sb.cmd().env("COMPLETE", shell).output().unwrap();
        assert_exit(&registration, 0);
        assert_eq!(
            stdout(&script).trim_end(),
            stdout(&registration).trim_end(),
            "{shell}"
        );
        assert_has(&stdout(&script), env!("CARGO_BIN_EXE_credlink"));
    }
}

/// What the shell gets for the last of `words` (fish's protocol: `VALUE\tHELP` lines).
fn candidates(sb: &Sandbox, words: &[&str]) -> std::process::Output {
    sb.cmd()
        .env("COMPLETE", "fish")
        .arg("--")
        .arg("credlink")
        .args(words)
        .output()
        .unwrap()
}

fn values(out: &std::process::Output) -> Vec<String> {
    stdout(out)
        .lines()
        .map(|line| line.split('\t').next().unwrap().to_owned())
        .filter(|value| !value.starts_with('-'))
        .collect()
}

fn account(name: &str, connector: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "connector": connector,
        "auth": "oauth2_client_credentials",
        "fields": {},
        "linked_at": "2026-01-01T00:00:00Z",
    })
}

#[test]
fn dynamic_completion_offers_account_names_from_the_index() {
    let sb = Sandbox::new();
    sb.write_index(&[account("alpha", "personio"), account("beta-hr", "traffit")]);
    for command in ["test", "token", "exec", "api", "revoke"] {
        let out = candidates(&sb, &[command, ""]);
        assert_exit(&out, 0);
        assert_eq!(values(&out), ["alpha", "beta-hr"], "{}", describe(&out));
        assert_has(&stdout(&out), "alpha\tpersonio\n");
        assert_eq!(stderr(&out), "");
    }
    assert_eq!(values(&candidates(&sb, &["revoke", "b"])), ["beta-hr"]);
    assert_eq!(
        values(&candidates(&sb, &["test", "alpha", ""])),
        ["alpha", "beta-hr"]
    );
    assert_eq!(
        values(&candidates(&sb, &["exec", "alpha", "b"])),
        ["beta-hr"]
    );

    // --config-dir on the line being completed wins over CREDLINK_CONFIG_DIR.
    let other = Sandbox::new();
    other.write_index(&[account("gamma", "hibob")]);
    let dir = other.config_dir();
    let dir = dir.to_str().unwrap();
    assert_eq!(
        values(&candidates(&sb, &["--config-dir", dir, "revoke", ""])),
        ["gamma"]
    );
    assert_eq!(
        values(&candidates(
            &sb,
            &["token", &format!("--config-dir={dir}"), ""]
        )),
        ["gamma"]
    );
}

#[test]
fn dynamic_completion_offers_connector_ids_from_the_catalog() {
    let sb = Sandbox::new();
    let out = candidates(&sb, &["link", "tr"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "traffit\tTraffit\n");
    assert!(values(&candidates(&sb, &["connectors", ""])).contains(&"personio".to_owned()));
    assert_eq!(
        values(&candidates(&sb, &["test", "--connector", "per"])),
        ["personio", "personio-recruiting"]
    );
    assert_eq!(
        stdout(&candidates(&sb, &["test", "--connector=per"])),
        "--connector=personio\tPersonio\n\
         --connector=personio-recruiting\tPersonio (Recruiting API v2)\n"
    );

    // The user's connectors file (CREDLINK_CONNECTORS or --connectors) adds its ids.
    sb.write_connectors(&oauth_connector("http://127.0.0.1:9/token", "post", "", ""));
    assert_eq!(values(&candidates(&sb, &["link", "mo"])), ["mock"]);
    let other = Sandbox::new();
    let file = sb.connectors_path();
    let file = file.to_str().unwrap();
    assert_eq!(
        values(&candidates(&other, &["link", "mo"])),
        Vec::<String>::new()
    );
    assert_eq!(
        values(&candidates(&other, &["--connectors", file, "link", "mo"])),
        ["mock"]
    );
}

#[test]
fn a_broken_index_or_catalog_gives_no_candidates_and_no_message() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.index_path(), "{ not json").unwrap();
    sb.write_connectors("[connectors.broken]\nname = 1\n");
    for words in [
        &["revoke", ""][..],
        &["link", ""][..],
        &["test", "--connector", ""][..],
    ] {
        let out = candidates(&sb, words);
        assert_exit(&out, 0);
        assert_eq!(values(&out), Vec::<String>::new(), "{words:?}");
        assert_eq!(stderr(&out), "", "{words:?}");
    }
    // A hand-edited record with escape codes in its name makes the whole index invalid.
    sb.write_index(&[
        account("alpha", "personio"),
        account("evil\u{1b}[2J", "personio"),
    ]);
    let out = candidates(&sb, &["revoke", ""]);
    assert_eq!(values(&out), Vec::<String>::new(), "{}", describe(&out));
    assert_eq!(stderr(&out), "");
}
