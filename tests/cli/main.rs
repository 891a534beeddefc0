//! One integration-test binary driving the real `credlink` executable (one binary keeps
//! links few on a 2-core machine). Real peers: oidc-provider on loopback and gnome-keyring.

mod catalog;
mod completions;
mod explain;
mod faults;
mod guarantees;
mod oauth;
mod pty;
mod support;
