//! What a run printed, and assertions on it that show both streams when they fail.

use std::process::Output;

use super::Sandbox;

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit status and both streams, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", describe(out));
}

#[track_caller]
pub fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

#[track_caller]
pub fn assert_lacks(text: &str, needle: &str, what: &str) {
    assert!(
        !text.contains(needle),
        "{what} must not contain {needle:?}:\n{text}"
    );
}

/// Neither stream shows `secret`.
#[track_caller]
pub fn assert_hidden(out: &Output, secret: &str) {
    assert!(
        !stdout(out).contains(secret) && !stderr(out).contains(secret),
        "{secret:?} leaked:\n{}",
        describe(out)
    );
}

/// A JSON value that must be a string.
#[track_caller]
pub fn text(v: &serde_json::Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// stdout parsed as JSON.
#[track_caller]
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", describe(out)))
}

/// Neither output nor the index shows any of `secrets`.
#[track_caller]
pub fn assert_kept_secret(sb: &Sandbox, outs: &[&Output], secrets: &[&str]) {
    for secret in secrets {
        for out in outs {
            assert_hidden(out, secret);
        }
        assert_lacks(&sb.index_text(), secret, "the index");
    }
}
