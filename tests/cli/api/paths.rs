//! Every PATH that could take the request (and the key) to another host or out of the API base
//! is refused with exit 2, naming what was wrong, and nothing reaches the stand-in.

use super::keys::{KEY, linked_stand, sent};

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs a Secret Service (scripts/test)"
)]
#[tokio::test(flavor = "multi_thread")]
async fn each_path_that_would_leave_the_api_base_is_refused_with_nothing_sent() {
    let Some((server, sb)) = linked_stand().await else {
        return;
    };
    for (path, why) in [
        ("https://evil.example/steal", "absolute URL"),
        ("http://127.0.0.1:9/steal", "absolute URL"),
        ("HTTPS:evil.example", "absolute URL"),
        ("//evil.example/steal", "`//`"),
        ("\\\\evil.example\\steal", "backslash"),
        ("/\\evil.example", "backslash"),
        ("user@evil.example", "`@`"),
        ("x:pw@evil.example/", "`@`"),
        ("../steal", "`..`"),
        ("persons/../../steal", "`..`"),
        ("%2e%2e/steal", "`..`"),
        ("%2E%2e/steal", "`..`"),
        (".%2e/steal", "`..`"),
        ("%252e%252e/steal", "`..`"),
        ("./persons", "`..`"),
        ("a%2f..%2f..%2fsteal", "encoded `/`"),
        ("a%5c..%5csteal", "encoded `/`"),
        ("a%252f..", "encoded `/`"),
        ("persons\r\nHost: evil.example", "control character"),
        ("persons%0d%0aX: y", "control character"),
        ("persons\t", "control character"),
        ("persons#frag", "fragment"),
        ("..;/steal", "`..`"),
        ("\u{FF0E}\u{FF0E}/steal", "full-width"),
        ("%EF%BC%8F%EF%BC%8Fevil.example", "full-width"),
    ] {
        sb.when(&["-v", "api", "acct", path])
            .then()
            .exits(2)
            .stderr_has(why)
            .hides(KEY)
            .prints_nothing();
    }
    assert_eq!(sent(&server, 1).await.len(), 0, "nothing was sent");
}
