//! Where the sources disagree, the provider's answer decides (issue 21): Traffit's client ID
//! is tried as typed and, when refused as an unknown client, once more with the instance name
//! in front (the catalog's `prefix_retry`), against the real oidc-provider peer with only the
//! entry's hosts rewritten. The peer knows the client `acme_credlink` (instance `acme`).

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const TRAFFIT_SECRET: &str = "traffit-secret";

/// `REQ POST /oauth2/token STATUS` lines in the peer's log, in order.
fn token_requests(peer: &Peer) -> Vec<String> {
    peer.requests()
        .into_iter()
        .filter(|l| l.starts_with("REQ POST /oauth2/token"))
        .collect()
}

fn ad_hoc(client_id: &str) -> Vec<String> {
    [
        "test",
        "--connector",
        "traffit",
        "--subdomain",
        "acme",
        "--client-id",
        client_id,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The name typed (`credlink`) is refused, the prefixed one (`acme_credlink`) accepted: `link`
/// says so on stderr and stores the accepted form; the stored account is then checked with
/// one request. `test --json` names both forms; `--explain` shows both tries.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn traffit_tries_the_client_id_with_the_instance_prefix_and_keeps_the_accepted_form() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&entry_on("traffit", &peer.url));
    let out = sb
        .when(&[
            "link",
            "traffit",
            "--name",
            "acme-ats",
            "--no-input",
            "--subdomain",
            "acme",
            "--client-id",
            "credlink",
            "--client-secret-stdin",
        ])
        .stdin(TRAFFIT_SECRET)
        .then()
        .exits(0)
        .hides(TRAFFIT_SECRET)
        .stderr_has(
            "note: Traffit refused the Client ID (client name) `credlink` and accepted `acme_credlink`: that form is the one stored",
        )
        .out;
    assert_has(&stdout(&out), "Linked acme-ats");
    assert_eq!(
        token_requests(&peer),
        ["REQ POST /oauth2/token 401", "REQ POST /oauth2/token 200"]
    );
    let record = &sb.index()["accounts"][0];
    assert_eq!(record["fields"]["client_id"], "acme_credlink");
    assert_eq!(
        sb.keychain_secret("acme-ats").as_deref(),
        Some(TRAFFIT_SECRET)
    );

    // The stored form is accepted at once: no second try.
    sb.when(&["test", "acme-ats"])
        .then()
        .exits(0)
        .stderr_lacks("refused");
    assert_eq!(token_requests(&peer).len(), 3);

    // Ad hoc, as JSON: the second try in the report, the note on stderr.
    let args = ad_hoc("credlink");
    let mut json_args = vec!["--json".to_owned()];
    json_args.extend(args.iter().cloned());
    let json_args: Vec<&str> = json_args.iter().map(String::as_str).collect();
    let out = sb
        .when(&json_args)
        .env("CREDLINK_CLIENT_SECRET", TRAFFIT_SECRET)
        .then()
        .exits(0)
        .stderr_has("accepted `acme_credlink`: link the account with that form")
        .out;
    let report: Value = json(&out);
    let second = &report[0]["second_try"];
    assert_eq!(second["field"], "client_id");
    assert_eq!(second["typed"], "credlink");
    assert_eq!(second["tried"], "acme_credlink");
    assert_eq!(second["accepted"], true);
    assert_has(text(&second["first_error"]), "invalid_client");

    // --explain: the first try, then the steps of the second.
    let mut explain: Vec<&str> = args.iter().map(String::as_str).collect();
    explain.push("--explain");
    let out = sb
        .when(&explain)
        .env("CREDLINK_CLIENT_SECRET", TRAFFIT_SECRET)
        .then()
        .exits(0)
        .out;
    let page = stdout(&out);
    let first = page
        .find("[warn] oauth")
        .unwrap_or_else(|| panic!("{page}"));
    assert_has(
        &page[first..],
        "first try: the Client ID (client name) `credlink`: HTTP 401 invalid_client",
    );
    assert_has(&page[first..], "trying again with `acme_credlink`");
    let ok = page
        .find("[ ok ] oauth")
        .unwrap_or_else(|| panic!("{page}"));
    assert!(first < ok, "{page}");
    assert_has(&page, "Result: every step passed");
}

/// Neither form accepted: the error names both tries and nothing is stored. A client ID typed
/// with the prefix already is sent once, as typed.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn traffit_names_both_client_ids_when_neither_is_accepted() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&entry_on("traffit", &peer.url));
    let out = sb
        .when(&[
            "link",
            "traffit",
            "--name",
            "acme-ats",
            "--no-input",
            "--subdomain",
            "acme",
            "--client-id",
            "nobody",
            "--client-secret-stdin",
        ])
        .stdin(TRAFFIT_SECRET)
        .then()
        .exits(3)
        .hides(TRAFFIT_SECRET)
        .out;
    let err = stderr(&out);
    assert_has(
        &err,
        "tried: the Client ID (client name) `nobody` (HTTP 401 invalid_client",
    );
    assert_has(&err, "then `acme_nobody`");
    assert_has(&err, "revoked");
    assert!(sb.account_names().is_empty());
    assert_eq!(token_requests(&peer).len(), 2);

    let out = sb
        .when(
            &ad_hoc("acme_nobody")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .env("CREDLINK_CLIENT_SECRET", TRAFFIT_SECRET)
        .then()
        .exits(3)
        .out;
    assert_lacks(&stdout(&out), "tried:", "a single try");
    assert_eq!(token_requests(&peer).len(), 3);
}

/// A server error or a rate limit says nothing about the client ID: no second try.
#[tokio::test(flavor = "multi_thread")]
async fn traffit_does_not_try_again_after_a_server_error_or_rate_limit() {
    for status in [503, 429] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth2/token"))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "0"))
            .mount(&server)
            .await;
        let sb = Sandbox::with_connectors(&entry_on("traffit", &server.uri()));
        sb.when(
            &ad_hoc("credlink")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .env("CREDLINK_CLIENT_SECRET", TRAFFIT_SECRET)
        .then()
        .exits(4);
        for request in server.received_requests().await.unwrap() {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(
                body["client_id"], "credlink",
                "HTTP {status}: no second try"
            );
        }
    }
}

/// A connector on the peer that asks for `api:read api:admin` with basic-client; the peer
/// knows no `api:admin` and grants the narrower `api:read`. `check_scope` is what the check
/// needs; `scope` (the request) is left out when empty.
fn scoped_connector(peer: &Peer, scope: &str, check_scope: &str) -> String {
    let scope = match scope {
        "" => String::new(),
        s => format!("scope = \"{s}\"\n"),
    };
    format!(
        r#"
[connectors.scoped]
name = "Scoped"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "basic"
{scope}check_scope = "{check_scope}"

[[connectors.scoped.fields]]
id = "client_id"
label = "Client ID"

[[connectors.scoped.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
        url = peer.url
    )
}

const SCOPED: [&str; 5] = [
    "test",
    "--connector",
    "scoped",
    "--client-id",
    "basic-client",
];
const BASIC: (&str, &str) = ("CREDLINK_CLIENT_SECRET", "basic-secret");

/// A grant narrower than the check needs fails with the missing scope named (exit 3, its own
/// kind and hint), in `test`, `--json` and `--explain`; a grant that covers the check, or an
/// answer without `scope` (RFC 6749 5.1: as requested), passes.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_granted_scope_narrower_than_the_check_needs_fails_naming_the_missing_scope() {
    let Some(peer) = Peer::start() else { return };
    let narrower = scoped_connector(&peer, "api:read api:admin", "api:read api:admin");
    let sb = Sandbox::with_connectors(&narrower);
    let out = sb.when(&SCOPED).envs(&[BASIC]).then().exits(3).out;
    let page = stdout(&out);
    assert_has(&page, "scope_not_granted");
    assert_has(
        &page,
        "the provider granted the scope `api:read`, which lacks one the check needs: api:admin",
    );
    assert_has(&page, "approve every requested permission");
    let json = sb
        .when(&[&["--json"][..], &SCOPED].concat())
        .envs(&[BASIC])
        .then()
        .exits(3)
        .json();
    assert_eq!(json[0]["status"], "rejected", "{json}");
    assert_eq!(json[0]["error"], "scope_not_granted", "{json}");
    let explain = sb
        .when(&[&SCOPED[..], &["--explain"]].concat())
        .envs(&[BASIC])
        .then()
        .exits(3)
        .out;
    assert_has(&stdout(&explain), "[FAIL] oauth");
    assert_has(&stdout(&explain), "needs: api:admin");

    // The grant covers what the check needs: valid.
    let covered = scoped_connector(&peer, "api:read api:admin", "api:read");
    Sandbox::with_connectors(&covered)
        .when(&SCOPED)
        .envs(&[BASIC])
        .then()
        .exits(0);
    // No scope requested: the answer carries none, which is not a failure.
    let silent = scoped_connector(&peer, "", "api:read api:admin");
    Sandbox::with_connectors(&silent)
        .when(&SCOPED)
        .envs(&[BASIC])
        .then()
        .exits(0);
}
