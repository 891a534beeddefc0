//! The auth kinds beyond a shared secret, end to end against real peers: the refresh-token
//! grant with rotation and `private_key_jwt` against oidc-provider, `tls_client_auth` against
//! a TLS server that asks for a client certificate, and `token_exchange` against sign-in calls
//! shaped like Kenjo's and Breezy HR's (tests/peer/stubs.js). Each keeps the guarantees:
//! nothing saved on failure, no secret printed or in the index, bad input exit 2.
//!
//! The tests are split by kind of authentication.

mod exchange;
mod jwt_bearer;
mod mtls;
mod private_key_jwt;
mod refresh;

/// The base64 body of a PEM key, one line of it: what must never show anywhere.
fn pem_line(pem: &str) -> String {
    pem.lines().nth(2).unwrap().to_owned()
}
