//! API-key accounts against a loopback stand-in (wiremock) that records every request: the key
//! as the check sends it (a header, Basic, a query parameter), the flags (`-X`, `-H`, `-f`,
//! `--input`, `-i`), the exit code of each kind of answer, and the output piped or at a
//! terminal.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

pub(super) const KEY: &str = "stand-KEY-0b7e51d2";

/// A connector `stand` whose key goes in `x-api-key`, checked with GET /v1/me, its API under
/// /v1/.
pub(super) fn stand_connector(url: &str, api_base: bool) -> String {
    let base = if api_base {
        format!("api_base = \"{url}/v1/\"")
    } else {
        String::new()
    };
    format!(
        r#"
[connectors.stand]
name = "Stand-in"
auth = "api_key"
{base}
hints = {{ http_401 = "STAND-HINT: make a new key." }}

[connectors.stand.verify]
url = "{url}/v1/me"
headers = {{ x-api-key = "{{api_key}}" }}

[[connectors.stand.fields]]
id = "api_key"
label = "API key"
secret = true
"#
    )
}

/// A stand-in that answers the check, and a sandbox with account `acct` linked to it.
pub(super) async fn linked_stand() -> Option<(MockServer, Sandbox)> {
    keyring()?;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 1})))
        .mount(&server)
        .await;
    let sb = Sandbox::with_connectors(&stand_connector(&server.uri(), true));
    sb.when(&["link", "stand", "--name", "acct", "--api-key-stdin"])
        .stdin(KEY)
        .then()
        .exits(0);
    Some((server, sb))
}

/// The requests after the first `skip` (the link's check).
pub(super) async fn sent(server: &MockServer, skip: usize) -> Vec<Request> {
    server.received_requests().await.unwrap()[skip..].to_vec()
}

fn header(req: &Request, name: &str) -> String {
    req.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn the_key_goes_as_the_check_sends_it_and_the_body_comes_back_as_sent() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    Mock::given(method("GET"))
        .and(path("/v1/persons"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"data":[{"id":7}]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let out = sb
        .when(&["-v", "api", "acct", "persons?limit=1&q=a b"])
        .then()
        .exits(0)
        .stdout_is(r#"{"data":[{"id":7}]}"#)
        .out;
    assert_hidden(&out, KEY);
    assert_has(&stderr(&out), "x-api-key: (redacted)");
    let got = sent(&server, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].url.path(), "/v1/persons");
    assert_eq!(got[0].url.query(), Some("limit=1&q=a%20b"));
    assert_eq!(header(&got[0], "x-api-key"), KEY);
    assert_eq!(got[0].method.as_str(), "GET");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn a_query_key_and_a_basic_key_go_where_their_checks_put_them() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    // JazzHR takes its key in the `apikey` query parameter only.
    let sb = Sandbox::with_connectors(&entry_on("jazzhr", &server.uri()));
    sb.when(&["link", "jazzhr", "--name", "jz", "--api-key-stdin"])
        .stdin(KEY)
        .then()
        .exits(0);
    let out = sb
        .when(&["-v", "api", "jz", "jobs?page=2"])
        .then()
        .exits(0)
        .out;
    assert_hidden(&out, KEY);
    let got = sent(&server, 1).await;
    assert_eq!(got[0].url.path(), "/v1/jobs");
    assert_eq!(got[0].url.query(), Some(&*format!("page=2&apikey={KEY}")));

    // BambooHR: Basic with the key as the user name.
    let sb = Sandbox::with_connectors(&entry_on("bamboohr", &server.uri()));
    sb.when(&[
        "link",
        "bamboohr",
        "--name",
        "bh",
        "--subdomain",
        "acme",
        "--api-key-stdin",
    ])
    .stdin(KEY)
    .then()
    .exits(0);
    let before = server.received_requests().await.unwrap().len();
    sb.when(&["api", "bh", "employees/directory"])
        .then()
        .exits(0)
        .hides(KEY);
    let got = sent(&server, before).await;
    assert_eq!(got[0].url.path(), "/api/v1/employees/directory");
    assert!(header(&got[0], "authorization").starts_with("Basic "));
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn method_headers_fields_and_input_are_sent_as_asked() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-request-id", "rq-1")
                .set_body_json(serde_json::json!({"created": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let out = sb
        .when(&[
            "api",
            "acct",
            "persons",
            "-X",
            "post",
            "-f",
            "name=Ada",
            "-f",
            "age=36",
            "-H",
            "X-Custom: yes",
            "-i",
        ])
        .then()
        .exits(0)
        .out;
    let shown = stdout(&out);
    assert!(shown.starts_with("HTTP 201 Created\n"), "{shown}");
    assert_has(&shown, "x-request-id: rq-1\n");
    assert!(shown.ends_with("\n\n{\"created\":true}"), "{shown}");
    let got = sent(&server, 1).await;
    assert_eq!(got[0].method.as_str(), "POST");
    assert_eq!(header(&got[0], "content-type"), "application/json");
    assert_eq!(header(&got[0], "x-custom"), "yes");
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body, serde_json::json!({"name": "Ada", "age": "36"}));

    // A raw body from stdin, with its own content type.
    sb.when(&[
        "api",
        "acct",
        "import",
        "-X",
        "PUT",
        "--input",
        "-",
        "-H",
        "Content-Type: text/csv",
    ])
    .stdin("id,name\n1,Ada\n")
    .then()
    .exits(0);
    let got = sent(&server, 2).await;
    assert_eq!(got[0].method.as_str(), "PUT");
    assert_eq!(header(&got[0], "content-type"), "text/csv");
    assert_eq!(got[0].body, b"id,name\n1,Ada\n");

    // Refused before anything is sent: a body without -X, a header that would replace the
    // credential or the host.
    for (args, why) in [
        (&["-f", "a=b"][..], "add -X POST"),
        (&["-X", "GET", "-f", "a=b"][..], "sends no body"),
        (&["-H", "Authorization: Bearer x"][..], "credlink sets it"),
        (&["-H", "x-api-key: other"][..], "carries the account's key"),
        (&["-H", "Host: evil.example"][..], "credlink sets it"),
        (&["-H", "no colon"][..], "is not `Name: value`"),
        (&["-X", "BAD METHOD"][..], "is not an HTTP method"),
        (&["-X", "TRACE"][..], "echoes the request's credential"),
    ] {
        let argv = [&["api", "acct", "persons"][..], args].concat();
        sb.when(&argv)
            .then()
            .exits(2)
            .stderr_has(why)
            .prints_nothing();
    }
    assert_eq!(sent(&server, 3).await.len(), 0, "nothing more was sent");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_answer_has_its_exit_code_and_the_body_is_still_printed() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    for (status, code) in [(401, 3), (403, 3), (404, 1), (422, 1), (429, 4), (500, 4)] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/s{status}")))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(serde_json::json!({"status": status})),
            )
            .mount(&server)
            .await;
        let out = sb
            .when(&["api", "acct", &format!("s{status}")])
            .then()
            .exits(code)
            .stdout_is(&format!(r#"{{"status":{status}}}"#))
            .stderr_has(&format!("HTTP {status}"))
            .hides(KEY)
            .out;
        let hinted = stderr(&out).contains("STAND-HINT");
        assert_eq!(hinted, status == 401, "{}", describe(&out));
    }
    // A GET answered 429 is tried again; a POST, which may have changed something, is not.
    Mock::given(method("POST"))
        .and(path("/v1/p429"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let before = server.received_requests().await.unwrap().len();
    sb.when(&["api", "acct", "p429", "-X", "POST", "-f", "a=b"])
        .then()
        .exits(4);
    assert_eq!(sent(&server, before).await.len(), 1, "one POST");
    let all = server.received_requests().await.unwrap();
    let gets = all.iter().filter(|r| r.url.path() == "/v1/s429").count();
    assert!(gets > 1, "the GET was tried again");
    // A redirect is reported, never followed.
    Mock::given(method("GET"))
        .and(path("/v1/moved"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "https://elsewhere.example/steal"),
        )
        .mount(&server)
        .await;
    let before = server.received_requests().await.unwrap().len();
    sb.when(&["api", "acct", "moved"])
        .then()
        .exits(4)
        .stderr_has("https://elsewhere.example/steal")
        .stderr_has("does not follow redirects");
    assert_eq!(
        sent(&server, before).await.len(),
        1,
        "only the first request"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn a_connector_without_an_api_base_is_told_so() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    sb.write_connectors(&stand_connector(&server.uri(), false));
    sb.when(&["api", "acct", "persons"])
        .then()
        .exits(2)
        .stderr_has("declares no `api_base`");
    assert_eq!(sent(&server, 1).await.len(), 0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn json_is_pretty_at_a_terminal() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    Mock::given(method("GET"))
        .and(path("/v1/persons"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"data":[7]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let mut cmd = sb.std_cmd();
    cmd.args(["api", "acct", "persons"]).env("TERM", "xterm");
    let mut session = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    session
        .exp_string("{\r\n  \"data\": [\r\n    7\r\n  ]\r\n}")
        .unwrap();
    session.exp_eof().unwrap();
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn a_key_the_provider_echoes_is_shown_only_in_the_body_it_sent() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    Mock::given(method("GET"))
        .and(path("/v1/echo"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-echo", KEY)
                .set_body_json(serde_json::json!({"error": "bad key", "error_description": KEY})),
        )
        .mount(&server)
        .await;
    let out = sb
        .when(&["-v", "api", "acct", "echo", "-i"])
        .then()
        .exits(3)
        .stderr_lacks(KEY)
        .out;
    let shown = stdout(&out);
    assert_has(&shown, "x-echo: (redacted)\n");
    assert!(
        shown.ends_with(&format!(
            r#"{{"error":"bad key","error_description":"{KEY}"}}"#
        )),
        "the body as the provider sent it: {shown}"
    );
    assert_eq!(shown.matches(KEY).count(), 1, "{shown}");
}
