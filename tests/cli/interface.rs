//! Human output that is part of the interface, pinned with its exact text: the `list` table,
//! the `link` success line, the `--explain` layout. Durations and ports are made steady first.

use crate::support::*;

const INDEX: &str = r#"{"version":1,"accounts":[
{"name":"acme-hr","connector":"personio","auth":"oauth2_client_credentials","fields":{"client_id":"papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a"},"linked_at":"2026-11-23T07:40:12Z","last_tested_at":"2026-11-23T08:00:00Z","last_status":"valid"},
{"name":"traffit-acme","connector":"traffit","auth":"oauth2_client_credentials","fields":{"subdomain":"acme\u001b[31m\u202e","client_id":"acme_credlink"},"linked_at":"2026-11-22T10:00:00Z"}
]}"#;

const TABLE: &str = "\
+--------------+-----------+-----------+-------------------------------------------+----------------------+----------------------+-------------+
| Name         | Connector | Subdomain | Client ID                                 | Linked               | Last tested          | Last result |
+==============================================================================================================================================+
| acme-hr      | personio  | -         | papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a | 2026-11-23 07:40 UTC | 2026-11-23 08:00 UTC | valid       |
|--------------+-----------+-----------+-------------------------------------------+----------------------+----------------------+-------------|
| traffit-acme | traffit   | acme[31m  | acme_credlink                             | 2026-11-22 10:00 UTC | -                    | -           |
+--------------+-----------+-----------+-------------------------------------------+----------------------+----------------------+-------------+
";

/// The table, with a hand-edited value's escape sequence and bidi override removed.
#[test]
fn list_shows_a_table_of_cleaned_values() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.index_path(), INDEX).unwrap();
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
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
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
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
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
