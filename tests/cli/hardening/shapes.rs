//! Issue 21, the request shapes that carry a value in the request's structure: a secret in a
//! declared query parameter, a JSON body whose string values are placeholders, a scope with a
//! placeholder inside it. No value moves the request elsewhere, adds a parameter, a key or a
//! scope, or shows; and a catalog that would put a value anywhere else is refused at load.

use std::collections::BTreeMap;

use super::*;
use crate::support::*;

/// Values an attacker (or a bad paste) might give: separators of a query, a fragment, an
/// encoded `&`, spaces and `+`, JSON quotes and braces, a backslash, a line break, a
/// full-width `＆` and `＝` that look like the real ones; and a key too short for the text
/// redaction of echoes (under 4 characters), which only the request's own knowledge of where
/// the secret is can hide.
const HOSTILE: [&str; 10] = [
    "Q&z",
    "QS-SECRET-a&status=all&apikey=other",
    "QS-SECRET-b#fragment?x=1/../admin",
    "QS-SECRET-c%26status%3Dall",
    "QS-SECRET-d with spaces+plus",
    "QS-SECRET-e\", \"Action\": \"DeleteEmployee",
    "QS-SECRET-f\\\"}{\"x\":[1]}",
    "QS-SECRET-g\u{ff06}status\u{ff1d}all",
    "QS-SECRET-h}{api_key}{",
    "QS-SECRET-i\nX-Injected: 1",
];

/// An `api_key` connector `mock` calling `url` with `verify` (more keys of its `verify` table).
fn api_key_connector(url: &str, verify: &str) -> String {
    format!(
        r#"
[connectors.mock]
name = "Mock API key"
auth = "api_key"

[connectors.mock.verify]
url = "{url}"
{verify}

[[connectors.mock.fields]]
id = "api_key"
label = "API key"
secret = true

[[connectors.mock.fields]]
id = "tenant"
label = "Tenant"
pattern = '^[a-z0-9-]+$'
optional = true
"#
    )
}

/// `credlink test --connector mock --no-input EXTRA...` with `secret` as the API key.
fn check_key(sb: &Sandbox, secret: &str, extra: &[&str]) -> Output {
    let mut args = vec!["test", "--connector", "mock", "--no-input"];
    args.extend_from_slice(extra);
    run_env(sb, &[("CREDLINK_API_KEY", secret)], &args)
}

/// The secret's spellings a leak would show: as given, and percent-encoded as a query carries
/// it (both `+` and `%20` for a space).
fn spellings(secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    vec![secret.to_owned(), form.replace('+', "%20"), form]
}

fn leaks(out: &Output, secret: &str) -> bool {
    let shown = format!("{}{}", stdout(out), stderr(out));
    spellings(secret).iter().any(|s| shown.contains(s.as_str()))
}

/// Class 5 and 2: JazzHR's and Crelate's shape. The secret is added to the URL as one
/// percent-encoded query parameter, whatever it holds: the stand-in receives the same host,
/// path and other parameters, and the secret back exactly; `-v` shows the parameter as
/// `(redacted)` and no output shows the secret in any spelling.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_in_a_declared_query_parameter_stays_one_parameter_and_never_shows() {
    let server = MockServer::start().await;
    let sb = Sandbox::with_connectors(&api_key_connector(
        &format!("{}/v1/users?status=active", server.uri()),
        r#"query_secret = { param = "apikey", field = "api_key" }"#,
    ));
    let mut failures = Vec::new();
    for secret in HOSTILE {
        for mode in [&["-v"][..], &["--json"], &["--explain"]] {
            answer_with(&server, ResponseTemplate::new(200).set_body_json(json!([]))).await;
            let out = check_key(&sb, secret, mode);
            let case = format!("{secret:?} with {mode:?}");
            if crashed(&out) || leaks(&out, secret) {
                failures.push(format!("{case}: crashed or leaked: {}", brief(&out)));
            }
            let requests = server.received_requests().await.unwrap();
            if secret.contains('\n') {
                // Refused as input (a line break), or sent encoded: either way one parameter.
                if out.status.code() == Some(0) && requests.is_empty() {
                    failures.push(format!("{case}: valid without a request"));
                }
            } else if out.status.code() != Some(0) || requests.len() != 1 {
                failures.push(format!("{case}: not checked once: {}", brief(&out)));
            }
            for r in &requests {
                let pairs: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
                let expected = vec![
                    ("status".to_owned(), "active".to_owned()),
                    ("apikey".to_owned(), secret.to_owned()),
                ];
                if r.url.path() != "/v1/users" || pairs != expected || r.url.fragment().is_some() {
                    failures.push(format!("{case}: the provider received {}", r.url));
                }
            }
            if mode == ["-v"] && requests.len() == 1 && !stderr(&out).contains("apikey=(redacted)")
            {
                failures.push(format!("{case}: the trace does not show apikey=(redacted)"));
            }
        }
    }
    assert_no_failures(&failures);
}

/// Class 2: reqwest's errors carry the URL, so a failure to connect with the secret in the
/// query must not print it: the message is built without the URL.
#[test]
fn a_connection_failure_does_not_show_the_url_with_its_secret() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sb = Sandbox::with_connectors(&api_key_connector(
        &format!("http://127.0.0.1:{port}/v1/users"),
        r#"query_secret = { param = "apikey", field = "api_key" }"#,
    ));
    let secret = "QS-SECRET-conn-refused-9d1";
    for mode in [&["-v"][..], &["--json"], &["--explain"], &[]] {
        let out = check_key(&sb, secret, mode);
        assert_eq!(out.status.code(), Some(4), "{mode:?}: {}", brief(&out));
        assert!(!leaks(&out, secret), "{mode:?} leaked: {}", brief(&out));
    }
}

/// Class 5: PeopleHR's shape. A secret with quotes, braces or backslashes fills the one JSON
/// string it stands for: the body the stand-in receives has the same keys and `Action`, and
/// the secret back exactly; `-v` shows `(redacted)` in its place.
#[tokio::test(flavor = "multi_thread")]
async fn a_value_in_a_json_body_stays_one_string() {
    let server = MockServer::start().await;
    let sb = Sandbox::with_connectors(&api_key_connector(
        &format!("{}/Employee", server.uri()),
        r#"method = "POST"
json_body = '{"APIKey": "{api_key}", "Action": "GetAllEmployeeDetail", "Tenant": "{tenant}", "n": 1}'
error_pointer = "/isError""#,
    ));
    let mut failures = Vec::new();
    for secret in HOSTILE.iter().filter(|s| !s.contains('\n')) {
        answer_with(
            &server,
            ResponseTemplate::new(200).set_body_json(json!({"isError": false, "Result": []})),
        )
        .await;
        let out = check_key(&sb, secret, &["-v", "--field", "tenant=acme"]);
        let case = format!("{secret:?}");
        if out.status.code() != Some(0) || leaks(&out, secret) {
            failures.push(format!("{case}: {}", brief(&out)));
        }
        if !stderr(&out).contains(r#""APIKey":"(redacted)""#) {
            failures.push(format!(
                "{case}: the trace does not redact APIKey: {}",
                brief(&out)
            ));
        }
        for r in server.received_requests().await.unwrap() {
            let body: BTreeMap<String, Value> = serde_json::from_slice(&r.body).unwrap_or_default();
            let expected = BTreeMap::from([
                ("APIKey".to_owned(), json!(secret)),
                ("Action".to_owned(), json!("GetAllEmployeeDetail")),
                ("Tenant".to_owned(), json!("acme")),
                ("n".to_owned(), json!(1)),
            ]);
            if body != expected {
                failures.push(format!(
                    "{case}: the provider received {}",
                    String::from_utf8_lossy(&r.body)
                ));
            }
        }
    }
    assert_no_failures(&failures);
}

/// PeopleHR answers 200 to a refused key; its `isError: true` makes the check a rejection
/// (exit 3) with the provider's message, and no secret shows.
#[tokio::test(flavor = "multi_thread")]
async fn a_true_error_pointer_in_a_200_answer_is_a_rejection() {
    let server = MockServer::start().await;
    answer_with(
        &server,
        ResponseTemplate::new(200).set_body_json(
            json!({"isError": true, "Status": 1, "message": "Invalid API key", "Result": null}),
        ),
    )
    .await;
    let sb = Sandbox::with_connectors(&entry_on("peoplehr", &server.uri()));
    let secret = "QS-SECRET-peoplehr-refused";
    let out = sb
        .when(&["test", "--connector", "peoplehr", "--no-input", "--json"])
        .env("CREDLINK_API_KEY", secret)
        .then()
        .exits(3)
        .hides(secret)
        .out;
    assert_has(&stdout(&out), "Invalid API key");
}

/// Class 5: a scope value stays inside its scope token. A value with a space, `+`, `,`, `:`
/// or an encoded separator is refused before anything is sent, by the field's anchored
/// pattern and, where a looser pattern lets it through, by the scope template itself; a
/// plain value fills the scope exactly.
#[tokio::test(flavor = "multi_thread")]
async fn a_scope_value_cannot_add_a_scope() {
    let server = MockServer::start().await;
    answer_with(&server, token_answer(json!({}))).await;
    let connector = |pattern: &str| {
        oauth_connector(
            &format!("{}/token", server.uri()),
            "post",
            r#"scope = "target-entity:{entity}:employees-read""#,
            &format!(
                "[[connectors.mock.fields]]\nid = \"entity\"\nlabel = \"Entity ID\"\npattern = '{pattern}'\n"
            ),
        )
    };
    let mut failures = Vec::new();
    for pattern in ["^[A-Za-z0-9-]+$", "^.+$"] {
        let sb = Sandbox::with_connectors(&connector(pattern));
        for value in [
            "abc employees-write",
            "abc+admin",
            "abc,employees-write",
            "abc:employees-write",
            "abc%20admin",
            "abc\u{3000}admin",
            "abc\u{ff0c}admin",
        ] {
            answer_with(&server, token_answer(json!({}))).await;
            let out = check(&sb, "mock", &["--field", &format!("entity={value}")]);
            let sent = server.received_requests().await.unwrap();
            if out.status.code() != Some(2) || !sent.is_empty() || crashed(&out) {
                failures.push(format!(
                    "pattern {pattern}, entity {value:?}: {} requests, {}",
                    sent.len(),
                    brief(&out)
                ));
            }
        }
        answer_with(&server, token_answer(json!({}))).await;
        let out = check(&sb, "mock", &["--field", "entity=8ed17dce-9eca"]);
        let sent = server.received_requests().await.unwrap();
        let scope = sent.first().and_then(|r| {
            form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "scope")
                .map(|(_, v)| v.into_owned())
        });
        if out.status.code() != Some(0)
            || scope.as_deref() != Some("target-entity:8ed17dce-9eca:employees-read")
        {
            failures.push(format!(
                "pattern {pattern}: scope {scope:?}, {}",
                brief(&out)
            ));
        }
    }
    assert_no_failures(&failures);
}

/// Class 5: a connectors file that would put a secret in a URL without declaring it, or a
/// placeholder anywhere but a whole JSON string value or inside a scope, is refused when it
/// loads: `connectors` exits 2 and names the key. The declared shapes load.
#[test]
fn undeclared_secret_urls_and_partial_placeholders_are_refused_at_load() {
    let url = "https://api.example.com/v1/users";
    let key = |verify: &str| api_key_connector(url, verify);
    let scope = |scope: &str| {
        oauth_connector(
            "https://api.example.com/token",
            "post",
            &format!("scope = '{scope}'"),
            "[[connectors.mock.fields]]\nid = \"entity\"\nlabel = \"Entity\"\n",
        )
    };
    let exchange = |body: &str| {
        format!(
            r#"
[connectors.mock]
name = "Mock exchange"
auth = "token_exchange"

[connectors.mock.exchange]
url = "https://api.example.com/login"
json_body = '{body}'
token_pointer = "/token"

[[connectors.mock.fields]]
id = "api_key"
label = "API key"
secret = true
"#
        )
    };
    let bearer = r#"bearer = "{api_key}""#;
    let cases = [
        (
            "the secret in the URL's query, undeclared",
            api_key_connector("https://api.example.com/v1/users?apikey={api_key}", bearer),
            Some("`verify.url` uses the secret `{api_key}`: a secret never goes in a URL"),
        ),
        (
            "a declared query parameter carrying a non-secret field",
            key(&format!(
                "{bearer}\nquery_secret = {{ param = \"t\", field = \"tenant\" }}"
            )),
            Some("verify.query_secret.field"),
        ),
        (
            "a declared query parameter the URL already sets",
            api_key_connector(
                "https://api.example.com/v1/users?apikey=x",
                r#"query_secret = { param = "apikey", field = "api_key" }"#,
            ),
            Some("already sets the query parameter `apikey`"),
        ),
        (
            "a query parameter name with `&`",
            key(r#"query_secret = { param = "a&b", field = "api_key" }"#),
            Some("verify.query_secret.param"),
        ),
        (
            "a placeholder as a JSON key",
            key(&format!(
                "{bearer}\njson_body = '{{\"{{api_key}}\": \"x\"}}'"
            )),
            Some("verify.json_body"),
        ),
        (
            "text around a placeholder in a JSON string",
            key(r#"json_body = '{"auth": "Bearer {api_key}"}'"#),
            Some("verify.json_body"),
        ),
        (
            "a placeholder as a JSON number",
            key(r#"json_body = '{"n": {api_key}}'"#),
            Some("verify.json_body"),
        ),
        (
            "a placeholder as a JSON key of an exchange body",
            exchange(r#"{"{api_key}": "x"}"#),
            Some("exchange.json_body"),
        ),
        (
            "text around a placeholder in an exchange body",
            exchange(r#"{"key": "k-{api_key}"}"#),
            Some("exchange.json_body"),
        ),
        (
            "a scope placeholder for a field without a pattern",
            scope("target-entity:{entity}:read"),
            Some("`scope` uses `{entity}`"),
        ),
        (
            "the client secret in the scope",
            scope("target-entity:{client_secret}:read"),
            Some("`scope` uses the secret `{client_secret}`: a secret never goes in a scope"),
        ),
        (
            "the declared query parameter (fine)",
            key(r#"query_secret = { param = "apikey", field = "api_key" }"#),
            None,
        ),
        (
            "whole-value placeholders in a JSON body (fine)",
            key(r#"json_body = '{"APIKey": "{api_key}", "a": ["{tenant}", 1]}'"#),
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (what, file, key) in &cases {
        let sb = Sandbox::with_connectors(file);
        let out = run(&sb, &["connectors"]);
        let ok = match key {
            Some(key) => out.status.code() == Some(2) && stderr(&out).contains(key),
            None => out.status.code() == Some(0),
        };
        if !ok {
            failures.push(format!("{what} (expected {key:?}): {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}

/// `connectors jazzhr` says plainly that JazzHR takes the key in the URL and why that is
/// weaker; a connector that takes it in a header says nothing of the kind.
#[test]
fn connectors_says_when_a_provider_takes_the_key_in_the_url() {
    let sb = Sandbox::new();
    let out = sb.when(&["connectors", "jazzhr"]).then().exits(0).out;
    let shown = stdout(&out);
    assert_has(
        &shown,
        "Key in the URL: JazzHR takes the JazzHR API key in the URL",
    );
    assert_has(&shown, "`apikey` query parameter");
    assert_has(&shown, "proxies, the provider's server logs");
    let json = sb
        .when(&["connectors", "crelate", "--json"])
        .then()
        .exits(0)
        .json();
    assert_has(text(&json["key_in_url"]), "`api_key` query parameter");
    let other = sb.when(&["connectors", "remote"]).then().exits(0).out;
    assert_lacks(&stdout(&other), "Key in the URL", "connectors remote");
}
