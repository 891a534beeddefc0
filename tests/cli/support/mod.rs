//! Test support, one fixture per peer so that a test starts with one line per peer it needs:
//! a [`Sandbox`] per test (config dir, keychain service, connectors file) and the
//! given/when/then [`builder`]; the real peers: the Secret Service ([`keyring`]), the
//! oidc-provider OAuth 2.0 server and its stubs ([`Peer`]), OpenBao ([`bao`]) and a headless
//! chromium ([`browser`]). A real peer that is missing skips the test on a laptop and fails it
//! when CI is set ([`skip_or_fail`]).

mod asserts;
pub mod bao;
pub mod browser;
pub mod builder;
mod connectors;
pub mod keyring;
mod paused;
mod peers;
mod ports;
mod processes;
mod sandbox;

pub use asserts::*;
pub use builder::*;
pub use connectors::*;
pub use keyring::*;
pub use paused::*;
pub use peers::*;
pub use ports::*;
pub use processes::*;
pub use sandbox::*;

/// A secret that must never appear in any output or file.
pub const MARKER: &str = "MARKER-s3cr3t-7f3a9c";

/// In CI a missing real peer is a failure, not a skip: a skipped test there hides a broken set-up.
pub fn skip_or_fail<T>(what: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set: run the tests with scripts/test");
    }
    eprintln!("SKIPPED: {what} is missing (run the tests with scripts/test)");
    None
}
