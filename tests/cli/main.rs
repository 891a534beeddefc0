//! One integration-test binary driving the real `credlink` executable (one binary keeps
//! links few on a 2-core machine). Real peers: oidc-provider on loopback, gnome-keyring,
//! OpenBao and a headless chromium, each a fixture in `support/`; every test reads as
//! given/when/then (`support/builder.rs`). A subject too large for one file is a folder split
//! by subject.
#![allow(unreachable_pub)] // test helpers are shared between modules of this one binary

mod agreement;
mod api;
mod auth_kinds;
mod catalog;
mod completions;
#[cfg(unix)]
mod exec;
mod expiry;
mod explain;
mod families;
mod faults;
mod formats;
mod guarantees;
mod guides;
#[cfg(unix)]
mod hardening;
mod interface;
mod live_decides;
mod oauth;
mod oauth_code;
mod pty;
#[cfg(unix)]
mod store_faults;
mod support;
#[cfg(unix)]
mod vault;
