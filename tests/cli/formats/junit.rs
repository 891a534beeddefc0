//! `--format junit`: one test case per account, read by an XML parser as GitLab, Jenkins and
//! the GitHub report actions read it.

use super::*;

/// Each `testsuite` with its attributes and its cases (name, classname, time, failure).
const READ_JUNIT: &str = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
def case(c):
    f = c.find("failure")
    failure = None if f is None else {"message": f.get("message"), "type": f.get("type"), "text": f.text}
    return {"name": c.get("name"), "classname": c.get("classname"), "time": c.get("time"), "failure": failure}
suites = [{"attrs": s.attrib, "cases": [case(c) for c in s.findall("testcase")]} for s in root.iter("testsuite")]
print(json.dumps({"root": root.tag, "suites": suites}))
"#;

fn read_junit(xml: &[u8]) -> Value {
    python(READ_JUNIT, xml)
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn junit_has_a_case_per_account_and_failures_carry_class_cause_and_hint() {
    let Some((_peer, sb)) = pass_and_fail() else {
        return;
    };
    let out = sb
        .when(&["test", "--all", "--format", "junit"])
        .then()
        .exits(3)
        .out;
    let junit = read_junit(&out.stdout);
    assert_eq!(junit["root"], "testsuites", "{junit}");
    let suites = junit["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1, "{junit}");
    let suite = &suites[0];
    assert_eq!(suite["attrs"]["tests"], "2", "{junit}");
    assert_eq!(suite["attrs"]["failures"], "1", "{junit}");
    let cases = suite["cases"].as_array().unwrap();
    let good = &cases[1];
    assert_eq!(good["name"], "local-post", "{junit}");
    assert_eq!(good["classname"], "local-post");
    assert!(text(&good["time"]).parse::<f64>().is_ok(), "{junit}");
    assert!(good["failure"].is_null(), "{junit}");
    let bad = &cases[0];
    assert_eq!(bad["name"], "local-basic", "{junit}");
    assert_eq!(bad["classname"], "local-basic");
    let failure = &bad["failure"];
    assert_eq!(failure["type"], "rejected", "{junit}");
    assert_has(text(&failure["message"]), "invalid_client");
    let body = text(&failure["text"]);
    assert_has(body, "class: rejected\ncause: ");
    assert_has(body, "\nhint: LOCAL-HINT: check the client id and secret.");
    sweep(&sb, &[&out], &[]);
}

/// `--output FILE` writes the report whole and leaves stdout the human text (here GitHub's
/// annotations after it, as in a workflow); a directory that cannot take it stops the run
/// before any check.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn junit_to_a_file_leaves_stdout_to_people() {
    let Some((peer, sb)) = pass_and_fail() else {
        return;
    };
    let file = sb.out_file("credlink-junit.xml");
    let file_arg = file.to_str().unwrap();
    let out = sb
        .when(&["test", "--all", "--format", "junit", "--output", file_arg])
        .env("GITHUB_ACTIONS", "true")
        .then()
        .exits(3)
        .out;
    let xml = std::fs::read(&file).unwrap();
    let junit = read_junit(&xml);
    assert_eq!(junit["suites"][0]["cases"].as_array().unwrap().len(), 2);
    let stdout = stdout(&out);
    assert_has(&stdout, "local-post (Local (post)): valid");
    assert_has(
        &stdout,
        "::error title=credlink%3A local-basic (local-basic)::rejected",
    );
    sweep(&sb, &[&out], &[&String::from_utf8_lossy(&xml)]);

    let seen = peer.requests().len();
    sb.when(&[
        "test",
        "--all",
        "--format",
        "junit",
        "--output",
        "/nonexistent/dir/r.xml",
    ])
    .then()
    .exits(2)
    .stderr_has("--output /nonexistent/dir/r.xml: cannot write in /nonexistent/dir");
    assert_eq!(peer.requests().len(), seen, "no check ran");
}

/// Ad hoc credentials (`--connector`) are one test case; `--json` and `--format` together are
/// refused, naming both.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn junit_for_ad_hoc_credentials() {
    let Some(peer) = Peer::start() else { return };
    let sb = peer.sandbox();
    let out = sb
        .when(&[
            "test",
            "--connector",
            "local-post",
            "--client-id",
            "post-client",
            "--format",
            "junit",
        ])
        .env("CREDLINK_CLIENT_SECRET", POST_SECRET)
        .then()
        .exits(0)
        .hides(POST_SECRET)
        .out;
    let junit = read_junit(&out.stdout);
    assert_eq!(junit["suites"][0]["attrs"]["failures"], "0", "{junit}");
    assert_eq!(
        junit["suites"][0]["cases"][0]["name"], "local-post",
        "{junit}"
    );
    sb.when(&["test", "--all", "--json", "--format", "junit"])
        .then()
        .exits(2)
        .stdout_has("--json and --format both choose what stdout shows");
}
