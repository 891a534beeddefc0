//! The non-secret record as the team store keeps it twice: whole, as JSON beside the secret in
//! the data of each version (so a secret is never read with another credential's record), and
//! mirrored key by key in the secret's `custom_metadata` (so a token that may not read data can
//! still `list`). The mirror names the version it describes; test results and who linked each
//! version live only there.

use std::collections::BTreeMap;

use crate::store::Tested;
use crate::store::index::{Account, Expires};

/// KV v2's limits on `custom_metadata` (OpenBao 2.7 and Vault alike).
const MAX_KEYS: usize = 64;
const MAX_VALUE_BYTES: usize = 512;
/// Who linked each of the last versions, kept in the mirror for `history`.
const HISTORY_KEPT: usize = 20;

const VERSION: &str = "version";
const FIELD: &str = "field.";
const LINKED_BY_VERSION: &str = "linked_by.v";

pub(crate) type Mirror = BTreeMap<String, String>;

/// A record that does not fit into `custom_metadata`, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TooLarge(pub(crate) String);

/// The mirror of `account` as linked at `version`, carrying forward who linked the versions
/// before it (from `previous`, the mirror being replaced).
pub(crate) fn mirror(account: &Account, version: u64, previous: &Mirror) -> Mirror {
    let mut m = Mirror::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.to_owned(), v.to_owned());
        }
    };
    put("connector", Some(&account.connector));
    put("auth", Some(&account.auth));
    put("linked_at", Some(&account.linked_at));
    put("linked_by", account.linked_by.as_deref());
    put("scope", account.scope.as_deref());
    put("requested_scope", account.requested_scope.as_deref());
    put(
        "expires_in",
        account.expires_in.map(|e| e.to_string()).as_deref(),
    );
    put("last_tested_at", account.last_tested_at.as_deref());
    put("last_status", account.last_status.as_deref());
    put(VERSION, Some(&version.to_string()));
    for (id, value) in &account.fields {
        put(&format!("{FIELD}{id}"), Some(value));
    }
    put_expires(&mut m, account.expires.as_ref());
    let mut history: Vec<(u64, String)> = previous
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(LINKED_BY_VERSION)?.parse().ok()?, v.clone())))
        .filter(|(v, _)| *v < version)
        .collect();
    if let Some(by) = &account.linked_by {
        history.push((version, by.clone()));
    }
    history.sort();
    let room = MAX_KEYS.saturating_sub(m.len()).min(HISTORY_KEPT);
    let skip = history.len().saturating_sub(room);
    for (v, by) in history.into_iter().skip(skip) {
        m.insert(format!("{LINKED_BY_VERSION}{v}"), by);
    }
    m
}

/// Refuses a record `custom_metadata` cannot hold, naming what is too large.
pub(crate) fn check_fits(account: &Account) -> Result<(), TooLarge> {
    let m = mirror(account, 1, &Mirror::new());
    if m.len() > MAX_KEYS {
        return Err(TooLarge(format!(
            "the account has {} values, and the team store keeps at most {MAX_KEYS} per account",
            m.len()
        )));
    }
    for (key, value) in &m {
        let shown = key.strip_prefix(FIELD).unwrap_or(key);
        if value.len() > MAX_VALUE_BYTES {
            return Err(TooLarge(format!(
                "`{shown}` is {} bytes long, and the team store keeps at most {MAX_VALUE_BYTES} bytes per value",
                value.len()
            )));
        }
        if key.len() > 128 {
            return Err(TooLarge(format!(
                "the field id `{}` is longer than the team store allows (128 bytes)",
                crate::base::text::clean_truncated(shown, 40)
            )));
        }
        if value.chars().any(|c| c.is_control()) {
            return Err(TooLarge(format!(
                "`{shown}` holds a control character, which the team store's metadata cannot keep"
            )));
        }
    }
    Ok(())
}

/// The record a mirror describes, with the version it names; `None` when it is no credlink
/// record (a link interrupted before its mirror was written, or a key written by hand).
pub(crate) fn from_mirror(name: &str, m: &Mirror) -> Option<(Account, u64)> {
    let get = |k: &str| m.get(k).cloned();
    let account = Account {
        name: name.to_owned(),
        connector: get("connector")?,
        auth: get("auth")?,
        fields: m
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(FIELD)?.to_owned(), v.clone())))
            .collect(),
        scope: get("scope"),
        requested_scope: get("requested_scope"),
        expires_in: get("expires_in").and_then(|e| e.parse().ok()),
        linked_at: get("linked_at")?,
        linked_by: get("linked_by"),
        last_tested_at: get("last_tested_at"),
        last_status: get("last_status"),
        expires: get("expires_at")
            .zip(get("expires_basis"))
            .map(|(at, basis)| Expires { at, basis }),
        keychain_entry: None,
        revision: None,
    };
    let version = get(VERSION)?.parse().ok()?;
    Some((account, version))
}

/// How the mirror `m` misdescribes `account`, the record in the data of `version`: `None` when
/// it describes that record. Results and who linked earlier versions live only in the mirror,
/// so they are not compared. The mirror's values are shown cleaned: anyone who may write
/// metadata wrote them.
pub(crate) fn disagreement(m: &Mirror, account: &Account, version: u64) -> Option<String> {
    let shown = |v: &str| crate::base::text::clean_truncated(v, 60);
    let Some((listed, v)) = from_mirror(&account.name, m) else {
        return Some("it holds no credlink record".to_owned());
    };
    if v != version {
        return Some(format!("it describes version {v}, not {version}"));
    }
    if listed.connector != account.connector {
        return Some(format!(
            "it names connector `{}`, the data `{}`",
            shown(&listed.connector),
            shown(&account.connector)
        ));
    }
    let differs = [
        ("auth", listed.auth != account.auth),
        ("fields", listed.fields != account.fields),
        (
            "requested_scope",
            listed.requested_scope != account.requested_scope,
        ),
        ("linked_at", listed.linked_at != account.linked_at),
    ];
    let names: Vec<&str> = differs
        .iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| *n)
        .collect();
    (!names.is_empty()).then(|| format!("its {} differ from the data's", names.join(", ")))
}

/// Who linked `version`, as the mirror recorded it.
pub(crate) fn linked_by(m: &Mirror, version: u64) -> Option<String> {
    m.get(&format!("{LINKED_BY_VERSION}{version}")).cloned()
}

/// The mirror with a test result set on it, and the expiry that test found.
pub(crate) fn with_result(mut m: Mirror, result: &Tested) -> Mirror {
    m.insert("last_status".into(), result.status.to_owned());
    m.insert("last_tested_at".into(), result.at.clone());
    put_expires(&mut m, result.expires.as_ref());
    m
}

/// Sets the expiry keys of the mirror, or removes them when nothing is known.
fn put_expires(m: &mut Mirror, expires: Option<&Expires>) {
    match expires {
        Some(e) => {
            m.insert("expires_at".into(), e.at.clone());
            m.insert("expires_basis".into(), e.basis.clone());
        }
        None => {
            m.remove("expires_at");
            m.remove("expires_basis");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            name: "acme".into(),
            connector: "personio".into(),
            auth: "oauth2_client_credentials".into(),
            fields: BTreeMap::from([("client_id".into(), "abc".into())]),
            scope: Some("read".into()),
            requested_scope: None,
            expires_in: Some(3600),
            linked_at: "2026-11-23T10:00:00Z".into(),
            linked_by: Some("token-alice".into()),
            last_tested_at: None,
            last_status: None,
            expires: None,
            keychain_entry: None,
            revision: None,
        }
    }

    #[test]
    fn a_mirror_reads_back_as_its_record_and_version() {
        let m = mirror(&account(), 3, &Mirror::new());
        let (back, version) = from_mirror("acme", &m).unwrap();
        assert_eq!(back, account());
        assert_eq!(version, 3);
        assert_eq!(linked_by(&m, 3).as_deref(), Some("token-alice"));
    }

    #[test]
    fn history_is_carried_forward_and_bounded() {
        let mut m = Mirror::new();
        for v in 1..=40 {
            let mut a = account();
            a.linked_by = Some(format!("user{v}"));
            m = mirror(&a, v, &m);
        }
        assert_eq!(linked_by(&m, 40).as_deref(), Some("user40"));
        assert_eq!(linked_by(&m, 21).as_deref(), Some("user21"));
        assert_eq!(linked_by(&m, 20), None);
        assert!(m.len() <= MAX_KEYS);
    }

    #[test]
    fn a_mirror_that_misdescribes_its_version_is_named() {
        let a = account();
        let m = mirror(&a, 2, &Mirror::new());
        assert_eq!(disagreement(&m, &a, 2), None);
        assert_eq!(
            disagreement(&m, &a, 3).as_deref(),
            Some("it describes version 2, not 3")
        );
        let mut other = a.clone();
        other.connector = "evil\u{202e}".into();
        let forged = mirror(&other, 2, &Mirror::new());
        assert_eq!(
            disagreement(&forged, &a, 2).as_deref(),
            Some("it names connector `evil`, the data `personio`")
        );
        let mut other = a.clone();
        other
            .fields
            .insert("client_id".into(), "someone-else".into());
        let forged = mirror(&other, 2, &Mirror::new());
        assert_eq!(
            disagreement(&forged, &a, 2).as_deref(),
            Some("its fields differ from the data's")
        );
        assert_eq!(
            disagreement(&Mirror::new(), &a, 2).as_deref(),
            Some("it holds no credlink record")
        );
        let mut tested = a.clone();
        tested.last_status = Some("valid".into());
        assert_eq!(disagreement(&mirror(&tested, 2, &m), &a, 2), None);
    }

    #[test]
    fn what_does_not_fit_is_refused_by_name() {
        let mut a = account();
        a.fields.insert("tenant".into(), "x".repeat(513));
        let err = check_fits(&a).unwrap_err().to_string();
        assert!(err.contains("`tenant` is 513 bytes"), "{err}");
        let mut a = account();
        for i in 0..60 {
            a.fields.insert(format!("f{i}"), "v".into());
        }
        assert!(
            check_fits(&a)
                .unwrap_err()
                .to_string()
                .contains("at most 64")
        );
        assert!(check_fits(&account()).is_ok());
    }
}
