//! Human output that is part of the interface, pinned with its exact text: the `list` table,
//! the `link` success line, the `--explain` layout. Durations and ports are made steady first.

use crate::support::*;

/// An index written by hand: one account linked two hours ago, tested one hour ago and
/// expiring in 12 days, one (without an expiry, as older records are) with an escape sequence
/// and a bidi override in a value.
fn hand_written_index() -> String {
    let ago = |hours: u64| {
        let then = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600 + 60);
        humantime::format_rfc3339_seconds(then).to_string()
    };
    let in_days = |days: u64| {
        let then = std::time::SystemTime::now() + std::time::Duration::from_secs(days * 86_400);
        humantime::format_rfc3339_seconds(then).to_string()
    };
    serde_json::json!({"version": 1, "accounts": [
        {"name": "acme-hr", "connector": "personio", "auth": "oauth2_client_credentials",
         "fields": {"client_id": "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a"},
         "linked_at": ago(2), "last_tested_at": ago(1), "last_status": "secret_missing",
         "expires": {"at": in_days(12), "basis": "catalog_lifetime"}},
        {"name": "traffit-acme", "connector": "traffit", "auth": "oauth2_client_credentials",
         "fields": {"subdomain": "acme\u{1b}[31m\u{202e}", "client_id": "acme_credlink"},
         "linked_at": ago(50)},
    ]})
    .to_string()
}

const TABLE: &str = "\
NAME          CONNECTOR  SUBDOMAIN  CLIENT ID                                  LINKED   LAST TESTED  LAST RESULT     EXPIRES
acme-hr       personio   -          papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a  2 h ago  1 h ago      secret missing  in 12 days
traffit-acme  traffit    acme[31m   acme_credlink                              2 d ago  -            -               -
";

/// The table, with relative times, plain statuses, and a hand-edited value's escape sequence
/// and bidi override removed.
#[test]
fn list_shows_a_table_of_cleaned_values() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.index_path(), hand_written_index()).unwrap();
    sb.when(&["list"]).then().exits(0).stdout_is(TABLE);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn link_says_what_it_linked_in_one_line() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    sb.when(&[
        "link",
        "local-basic",
        "--name",
        "acme",
        "--client-id",
        "basic-client",
        "--client-secret-stdin",
        "--no-input",
    ])
    .stdin("basic-secret\n")
    .then()
    .exits(0)
    .stdout_is(
        "Linked acme (Local (basic)): HTTP 200, N ms, token valid for 600 s, scope: api:read\n",
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn explain_lays_out_every_step_and_the_result() {
    let Some(peer) = Peer::start() else { return };
    let sb = peer.sandbox();
    let args = [
        "test",
        "--explain",
        "--connector",
        "local-basic",
        "--client-id",
        "basic-client",
    ];
    sb.when(&args)
        .env("CREDLINK_CLIENT_SECRET", "basic-secret")
        .then()
        .exits(0)
        .stdout_is(
            "\
Diagnosing local-basic (Local (basic))
  [ ok ] input          N ms  Client ID basic-…ient; Client secret: 12 characters
  [skip] dns                  127.0.0.1 is an IP address, nothing to look up
  [ ok ] connect        N ms  TCP connection to 127.0.0.1:N
  [skip] tls                  plain http to a loopback address
  [ ok ] http           N ms  HTTP 200 application/json; charset=utf-8, 120 bytes
  [ ok ] oauth                token issued, valid 600 s, scope api:read
  [skip] permissions          the connector declares no permission check
Result: every step passed
",
        )
        .hides("basic-secret");
    sb.when(&args)
        .env("CREDLINK_CLIENT_SECRET", "wrong-secret")
        .then()
        .exits(3)
        .stdout_is(
            "\
Diagnosing local-basic (Local (basic))
  [ ok ] input          N ms  Client ID basic-…ient; Client secret: 12 characters
  [skip] dns                  127.0.0.1 is an IP address, nothing to look up
  [ ok ] connect        N ms  TCP connection to 127.0.0.1:N
  [skip] tls                  plain http to a loopback address
  [ ok ] http           N ms  HTTP 401 application/json; charset=utf-8, 77 bytes
  [FAIL] oauth                HTTP 401 invalid_client: client authentication failed
                              hint: LOCAL-HINT: check the client id and secret.
Result: failed at step `oauth` (exit 3)
",
        );
}

/// The README's exit-code table and `--help`'s list are the same text.
#[test]
fn help_and_readme_list_the_same_exit_codes() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("## Exit codes")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").nth(1))
        .expect("the README has an exit-code table");
    let rows: Vec<(String, String)> = table
        .lines()
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].to_owned(), cells[1].to_owned())
        })
        .collect();
    assert_eq!(rows.len(), 9, "{table}");
    let out = Sandbox::new().when(&["--help"]).then().exits(0).out;
    let help = stdout(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for (code, meaning) in rows {
        let line = format!("{code} {meaning}")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_has(&help, &line);
    }
}

/// Every error has one style (`error:`, then `hint:`), clap's own included, and `--json`
/// keeps its promise of an error object on stdout for an argument error too.
#[test]
fn errors_have_one_style_and_json_reports_argument_errors() {
    let sb = Sandbox::new();
    let ours = sb.when(&["test", "nobody"]).then().exits(6).out;
    assert!(
        stderr(&ours).starts_with("error: no linked account named `nobody`"),
        "{}",
        describe(&ours)
    );
    let clap = sb.when(&["test", "--bogus"]).then().exits(2).out;
    assert!(stderr(&clap).starts_with("error: "), "{}", describe(&clap));

    let out = sb.when(&["test", "--json", "--bogus"]).then().exits(2).out;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", describe(&out)));
    assert_eq!(json["error"]["code"], 2);
    assert_eq!(json["error"]["kind"], "usage");
    assert_has(text(&json["error"]["message"]), "--bogus");
}

/// Options set through the environment are not shown as if they had been typed.
#[test]
fn options_from_the_environment_stay_out_of_usage_lines() {
    let sb = Sandbox::with_connectors("");
    let out = sb.when(&["test", "--all", "a"]).then().exits(2).out;
    assert_has(&stderr(&out), "Usage: credlink test");
    assert_lacks(&stderr(&out), "--connectors", "the usage line");
}

/// `revoke --help` says that the token is revoked at the provider too.
#[test]
fn revoke_help_says_it_revokes_at_the_provider() {
    let out = Sandbox::new()
        .when(&["revoke", "--help"])
        .then()
        .exits(0)
        .out;
    assert_has(&stdout(&out), "at the provider");
}
