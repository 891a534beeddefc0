//! Catalog entries that could redirect a secret or write to the terminal (class 5).

use super::*;
use crate::support::*;

/// Class 5: a catalog entry whose URL lets a value move the host (a placeholder glued to the
/// host), carries user-info (sent as a second Authorization), or whose header template holds
/// CR/LF is refused when it loads: `connectors` exits 2 and names the key. A placeholder
/// filling whole DNS labels still loads.
#[test]
fn catalog_entries_that_could_redirect_or_inject_are_refused_at_load() {
    let sfx =
        "[[connectors.mock.fields]]\nid = \"sfx\"\nlabel = \"Suffix\"\npattern = \"^[^/ ]+$\"\n";
    let oauth = |token_url: &str, extra: &str| oauth_connector(token_url, "basic", extra, sfx);
    let header = |table: &str| {
        format!(
            r#"
[connectors.mock]
name = "Mock API key"
auth = "api_key"

[connectors.mock.verify]
method = "GET"
url = "https://api.example.com/verify"
{table}

[[connectors.mock.fields]]
id = "api_key"
label = "API key"
secret = true
"#
        )
    };
    // (what, connectors file, key stderr must name; None: the file is fine)
    let cases = [
        (
            "a placeholder glued to the end of the host",
            oauth("https://api.example.com{sfx}/token", ""),
            Some("token_url"),
        ),
        (
            "a placeholder glued to the end of the host, in revoke_url",
            oauth(
                "https://api.example.com/token",
                r#"revoke_url = "https://api.example.com{sfx}/revoke""#,
            ),
            Some("revoke_url"),
        ),
        (
            "user-info in the token URL",
            oauth("http://user:pw@127.0.0.1:9/token", ""),
            Some("token_url"),
        ),
        (
            "a placeholder as user-info in the token URL",
            oauth("https://{sfx}@api.example.com/token", ""),
            Some("token_url"),
        ),
        (
            "user-info in the revocation URL",
            oauth(
                "http://127.0.0.1:9/token",
                r#"revoke_url = "http://user:pw@127.0.0.1:9/revoke""#,
            ),
            Some("revoke_url"),
        ),
        (
            "CR LF in a verify header",
            header(
                "bearer = \"{api_key}\"\nheaders = { \"X-Tenant\" = \"acme\\r\\nX-Injected: 1\" }",
            ),
            Some("verify.headers.X-Tenant"),
        ),
        (
            "a bare LF in a verify header",
            header("bearer = \"{api_key}\"\nheaders = { \"X-Tenant\" = \"acme\\nX-Injected: 1\" }"),
            Some("verify.headers.X-Tenant"),
        ),
        (
            "CR LF in the bearer template",
            header("bearer = \"{api_key}\\r\\nX-Injected: 1\""),
            Some("verify.bearer"),
        ),
        (
            "a placeholder filling a whole DNS label (fine)",
            oauth("https://api.{sfx}.example.com/token", ""),
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
            failures.push(format!("{what} (key {key:?}): {}", brief(&out)));
        }
    }
    assert_no_failures(&failures);
}
