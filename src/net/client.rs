//! What every credlink HTTP client shares, the provider's and the team store's.

use std::time::Duration;

/// A client builder with credlink's user agent, `timeout` for a whole request (and at most
/// 10 s to connect), no redirects (a redirect could carry a credential to another origin:
/// it is reported instead), and `roots` trusted beside the system's.
pub(crate) fn builder(timeout: Duration, roots: &[reqwest::Certificate]) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("credlink/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge(roots.to_vec())
}
