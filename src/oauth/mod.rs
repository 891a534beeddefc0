//! User-delegated OAuth from a terminal: PKCE and state, and the loopback redirect.

pub(crate) mod loopback;
pub(crate) mod pkce;

/// The loopback redirect URI a user registers at the provider (RFC 8252 7.3: the IP literal,
/// not `localhost`).
pub(crate) fn redirect_uri(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}
