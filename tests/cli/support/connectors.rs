//! Connectors files for the tests: on the peer, on a stub or a mock server, or a built-in entry
//! moved onto a local server.

use super::Peer;

/// A connectors file with one OAuth connector `mock`. `extra` adds top-level keys (scope,
/// token_params), `more_fields` more `[[connectors.mock.fields]]` tables.
pub fn oauth_connector(
    token_url: &str,
    client_auth: &str,
    extra: &str,
    more_fields: &str,
) -> String {
    format!(
        r#"
[connectors.mock]
name = "Mock OAuth"
auth = "oauth2_client_credentials"
token_url = "{token_url}"
client_auth = "{client_auth}"
{extra}

[[connectors.mock.fields]]
id = "client_id"
label = "Client ID"

[[connectors.mock.fields]]
id = "client_secret"
label = "Client secret"
secret = true
{more_fields}
"#
    )
}

/// A `mock` OAuth connector whose token URL holds a `subdomain` field that a pasted sign-in URL
/// (`https://SUBDOMAIN.example.com`) can give; `base` is the token endpoint's origin.
pub fn subdomain_connector(base: &str) -> String {
    oauth_connector(
        &format!("{base}/t/{{subdomain}}/token"),
        "post",
        "",
        r#"
[[connectors.mock.fields]]
id = "subdomain"
label = "Mock subdomain"
pattern = "^[a-z0-9][a-z0-9-]{0,62}$"
sign_in_url = "https://{subdomain}.example.com"
"#,
    )
}

/// A `local-refresh` connector (`oauth2_refresh_token`) on the peer's refresh-token clients.
/// `link local-refresh --name NAME` for refresh-client, the refresh token read from stdin.
pub fn link_refresh_args(name: &str) -> [&str; 8] {
    [
        "link",
        "local-refresh",
        "--name",
        name,
        "--client-id",
        "refresh-client",
        "--secret-stdin",
        "refresh_token",
    ]
}

pub fn refresh_connectors(peer: &Peer) -> String {
    refresh_connectors_at(&peer.url)
}

/// A `local-refresh` connector whose token endpoint is `{url}/token`.
pub fn refresh_connectors_at(url: &str) -> String {
    format!(
        r#"
[connectors.local-refresh]
name = "Local (refresh token)"
auth = "oauth2_refresh_token"
docs = "https://example.com/docs"
steps = ["Generate a refresh token."]
token_url = "{url}/token"
client_auth = "basic"

[[connectors.local-refresh.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-refresh.fields]]
id = "client_secret"
label = "Client secret"
secret = true

[[connectors.local-refresh.fields]]
id = "refresh_token"
label = "Refresh token"
secret = true
"#
    )
}

/// The built-in entry `id` with every `https://HOST` of its URLs replaced by `base`.
pub fn entry_on(id: &str, base: &str) -> String {
    let catalog: toml::Table = toml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/connectors.toml")).unwrap(),
    )
    .unwrap();
    let mut entry = catalog["connectors"][id].clone();
    rewrite_hosts(&mut entry, base);
    let mut connectors = toml::Table::new();
    connectors.insert(id.to_owned(), entry);
    let mut file = toml::Table::new();
    file.insert("connectors".into(), toml::Value::Table(connectors));
    toml::to_string(&file).unwrap()
}

/// Rewrites the host of every request URL (`token_url`, `revoke_url`, a `url` of a call, the
/// `api_base`), not
/// the documentation links shown to people (`docs`, `sources`) or the sign-in address a pasted
/// URL is read by.
fn rewrite_hosts(value: &mut toml::Value, base: &str) {
    match value {
        toml::Value::Table(t) => {
            for (key, v) in t.iter_mut().filter(|(key, _)| *key != "sources") {
                match v {
                    toml::Value::String(s)
                        if key == "url"
                            || key == "api_base"
                            || (key.ends_with("_url") && key != "sign_in_url") =>
                    {
                        if let Some(rest) = s.strip_prefix("https://") {
                            let path = rest.find('/').map_or("", |at| &rest[at..]);
                            *s = format!("{base}{path}");
                        }
                    }
                    _ => rewrite_hosts(v, base),
                }
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(|v| rewrite_hosts(v, base)),
        _ => {}
    }
}

/// A `stub-device` connector (`oauth2_device_code`) on the device stub at `url`
/// (tests/peer/stubs.js `device`).
pub fn stub_device_connectors(url: &str) -> String {
    format!(
        r#"
[connectors.stub-device]
name = "Stub device"
auth = "oauth2_device_code"
device_authorization_url = "{url}/device/auth"
token_url = "{url}/token"
client_auth = "basic"

[[connectors.stub-device.fields]]
id = "client_id"
label = "Client ID"

[[connectors.stub-device.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    )
}

/// `local-basic` again as `local-ten`, `local-twenty` and `local-one`, each declaring that its
/// credentials expire that many days after they are linked.
pub fn lifetime_connectors(url: &str) -> String {
    [("ten", 10), ("twenty", 20), ("one", 1)]
        .iter()
        .map(|(id, days)| lifetime_connector(url, id, *days, "basic"))
        .collect()
}

/// `local-{id}` on the OAuth peer at `url` (`client_auth` basic or post), declaring that its
/// credentials expire `days` after they are linked.
pub fn lifetime_connector(url: &str, id: &str, days: u32, client_auth: &str) -> String {
    format!(
        r#"
[connectors.local-{id}]
name = "Local ({id})"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "{client_auth}"
scope = "api:read"

[connectors.local-{id}.expiry]
lifetime_days = {days}
counted_from = "linked"

[[connectors.local-{id}.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-{id}.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    )
}
