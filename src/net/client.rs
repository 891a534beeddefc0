//! What every credlink HTTP client shares, the provider's and the team store's.

use std::time::Duration;

/// Shorter than the keep-alive timeouts of common servers (Node.js 5 s, nginx 75 s).
const IDLE: Duration = Duration::from_secs(3);

/// A client builder with credlink's user agent, `timeout` for a whole request (and at most
/// 10 s to connect), no redirects (a redirect could carry a credential to another origin:
/// it is reported instead), `roots` trusted beside the system's, and idle connections
/// dropped before a server drops them (Node.js closes them after 5 s): reusing one the server
/// is closing at that moment fails the request ("connection closed before message
/// completed"), which a device sign-in polling every 5 s or more met.
pub(crate) fn builder(timeout: Duration, roots: &[reqwest::Certificate]) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("credlink/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge(roots.to_vec())
        .pool_idle_timeout(IDLE)
}
