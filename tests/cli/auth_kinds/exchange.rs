//! `token_exchange`: a sign-in call for a token, and every way it fails classified.

use crate::support::*;

fn exchange_connectors(url: &str) -> String {
    format!(
        r#"
[connectors.local-kenjo]
name = "Local (Kenjo-style)"
auth = "token_exchange"

[connectors.local-kenjo.exchange]
url = "{url}/api/v1/auth/login"
json_body = '{{"apiKey": "{{api_key}}"}}'
token_pointer = "/token"
token_prefix = "Bearer "
expires_in = 3600

[[connectors.local-kenjo.fields]]
id = "api_key"
label = "API key"
secret = true

[connectors.local-breezy]
name = "Local (Breezy-style)"
auth = "token_exchange"

[connectors.local-breezy.exchange]
url = "{url}/v3/signin"
json_body = '{{"email": "{{email}}", "password": "{{password}}"}}'
token_pointer = "/access_token"

[[connectors.local-breezy.fields]]
id = "email"
label = "Email"
pattern = "^[^@\\s]+@[^@\\s]+$"

[[connectors.local-breezy.fields]]
id = "password"
label = "Password"
secret = true

[connectors.local-broken]
name = "Local (broken sign-in)"
auth = "token_exchange"

[connectors.local-broken.exchange]
url = "{url}/broken/signin"
json_body = '{{"apiKey": "{{api_key}}"}}'
token_pointer = "/token"

[[connectors.local-broken.fields]]
id = "api_key"
label = "API key"
secret = true

[connectors.local-empty]
name = "Local (no token)"
auth = "token_exchange"

[connectors.local-empty.exchange]
url = "{url}/empty/signin"
json_body = '{{"apiKey": "{{api_key}}"}}'
token_pointer = "/token"

[[connectors.local-empty.fields]]
id = "api_key"
label = "API key"
secret = true
"#
    )
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, node): run scripts/test"
)]
#[test]
fn a_token_exchange_signs_in_and_every_failure_is_classified() {
    let Some(()) = keyring() else { return };
    let Some(stub) = Peer::start_stub(&["exchange"]) else {
        return;
    };
    let sb = Sandbox::with_connectors(&exchange_connectors(&stub.url));

    // Kenjo-style: an API key for a token, its `Bearer ` prefix removed.
    let out = sb
        .when(&[
            "-v",
            "link",
            "local-kenjo",
            "--name",
            "kenjo",
            "--api-key-stdin",
        ])
        .stdin("kenjo-key\n")
        .then()
        .exits(0)
        .stdout_has("token valid for 3600 s")
        .out;
    assert_has(&stderr(&out), r#"{"apiKey":"(redacted)"}"#);
    assert_kept_secret(&sb, &[&out], &["kenjo-key"]);
    let out = sb.when(&["token", "kenjo", "--json"]).then().exits(0).out;
    let token = text(&json(&out)["access_token"]).to_owned();
    assert!(!token.starts_with("Bearer") && token.len() == 48, "{token}");
    assert_lacks(&sb.index_text(), &token, "the index");
    sb.when(&["test", "--explain", "kenjo"])
        .then()
        .exits(0)
        .stdout_has("[ ok ] exchange             token issued, valid 3600 s");
    let out = sb
        .when(&["link", "local-kenjo", "--name", "wrong", "--api-key-stdin"])
        .stdin(&format!("{MARKER}\n"))
        .then()
        .exits(3)
        .stderr_has("HTTP 401: Unauthorized")
        .out;
    assert_kept_secret(&sb, &[&out], &[MARKER]);

    // Breezy-style: email and password; the password from stdin.
    let breezy = |password: &str, extra: &[&str]| {
        sb.cmd()
            .args(["link", "local-breezy", "--field", "email=hr@example.com"])
            .args(["--secret-stdin", "password"])
            .args(extra)
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap()
    };
    let out = breezy("breezy-pass", &["--name", "breezy"]);
    assert_exit(&out, 0);
    assert_kept_secret(&sb, &[&out], &["breezy-pass"]);
    assert_eq!(sb.keychain_secret("breezy").as_deref(), Some("breezy-pass"));
    sb.when(&["test", "breezy", "--json"]).then().exits(0);
    let out = breezy(MARKER, &["--name", "breezy-wrong"]);
    assert_exit(&out, 3);
    assert_kept_secret(&sb, &[&out], &[MARKER]);
    let out = breezy("pass\u{a0}word", &["--name", "breezy-bad"]);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "the Password contains a non-breaking space");
    assert_eq!(sb.account_names(), ["kenjo", "breezy"]);

    // Malformed answers: not JSON, or JSON without the token: exit 4, nothing saved.
    for (connector, cause) in [
        (
            "local-broken",
            "the answer is not JSON: an HTML page titled",
        ),
        ("local-empty", "the answer has no token at /token"),
    ] {
        sb.when(&["link", connector, "--api-key-stdin"])
            .stdin("kenjo-key\n")
            .then()
            .exits(4)
            .stderr_has(cause);
        sb.when(&[
            "test",
            "--explain",
            "--connector",
            connector,
            "--api-key-stdin",
        ])
        .stdin("kenjo-key\n")
        .then()
        .exits(4)
        .stdout_has("[FAIL] exchange");
    }
    assert_eq!(sb.account_names(), ["kenjo", "breezy"]);
}
