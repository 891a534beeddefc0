//! The rules of one connector entry, each a small function; [`connector`] runs them in order
//! and builds the validated [`Connector`]. Every refusal is a sentence that names the key.

use std::collections::BTreeMap;

use super::raw::{RawConnector, RawExpiry, RawSource};
use super::{AuthKind, Connector, DeclaredExpiry, Source, fields};
use crate::base::outcome::HintKey;

mod api_key;
mod exchange;
mod oauth;
mod templates;

use templates::Templates;

/// The entry `id` checked rule by rule; `built_in` for an entry of the built-in catalog, which
/// must cite its sources.
pub(super) fn connector(
    id: &str,
    mut raw: RawConnector,
    built_in: bool,
) -> Result<Connector, String> {
    check_id(id)?;
    check_name(&raw.name)?;
    check_docs(raw.docs.as_deref())?;
    check_hint_keys(&raw.hints)?;
    check_shown_texts(&raw)?;
    check_notes(&raw)?;
    check_sources(&raw.sources, built_in)?;
    let expiry = raw.expiry.take().map(|e| expiry(e, built_in)).transpose()?;
    let fields = fields::validate(raw.auth, raw.client_auth, std::mem::take(&mut raw.fields))?;
    let templates = Templates::new(&fields);
    let check = match raw.auth {
        AuthKind::Oauth2ClientCredentials
        | AuthKind::Oauth2RefreshToken
        | AuthKind::Oauth2AuthorizationCode
        | AuthKind::Oauth2DeviceCode => oauth::check(&raw, &templates)?,
        AuthKind::TokenExchange => exchange::check(&raw, &templates)?,
        AuthKind::ApiKey => api_key::check(&raw, &templates)?,
    };
    let sources = to_sources(raw.sources);
    Ok(Connector {
        id: id.to_owned(),
        name: raw.name,
        category: raw.category,
        docs: raw.docs,
        steps: raw.steps,
        notes: raw.notes,
        revoke_note: raw.revoke_note,
        hints: raw.hints,
        fields,
        check,
        sources,
        expiry,
    })
}

fn to_sources(raw: Vec<RawSource>) -> Vec<Source> {
    raw.into_iter()
        .map(|s| Source {
            url: s.url,
            supports: s.supports,
            confidence: s.confidence,
        })
        .collect()
}

/// A declared lifetime of one day to ten years; a built-in one cites where it is documented.
fn expiry(raw: RawExpiry, built_in: bool) -> Result<DeclaredExpiry, String> {
    if !(1..=3650).contains(&raw.lifetime_days) {
        return Err("`expiry.lifetime_days` must be from 1 to 3650".into());
    }
    check_sources(&raw.sources, built_in)
        .map_err(|e| format!("`expiry`: {}", e.replace("`sources`", "`expiry.sources`")))?;
    Ok(DeclaredExpiry {
        lifetime_days: raw.lifetime_days,
        counted_from: raw.counted_from,
        sources: to_sources(raw.sources),
    })
}

/// Lowercase letters and digits, and `extra` (`-` in connector ids, `_` in field ids); a
/// connector id may start with a digit (`15five`).
pub(super) fn is_id(s: &str, extra: u8) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || (extra == b'-' && b.is_ascii_digit()))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == extra)
}

fn check_id(id: &str) -> Result<(), String> {
    match is_id(id, b'-') {
        true => Ok(()),
        false => Err("ids are lowercase letters, digits and `-`".into()),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    match name.trim().is_empty() {
        true => Err("`name` is empty".into()),
        false => Ok(()),
    }
}

fn check_docs(docs: Option<&str>) -> Result<(), String> {
    let Some(docs) = docs else {
        return Ok(());
    };
    let url = url::Url::parse(docs).map_err(|e| format!("`docs` is not a URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(()),
        _ => Err("`docs` must be an https URL".into()),
    }
}

/// Hint keys are outcome codes credlink knows, and hints are text safe to show.
pub(super) fn check_hint_keys(hints: &BTreeMap<String, String>) -> Result<(), String> {
    if let Some(k) = hints.keys().find(|k| HintKey::parse(k).is_none()) {
        return Err(format!(
            "unknown hint key `{k}` (known: {})",
            HintKey::ALL.map(HintKey::as_str).join(", ")
        ));
    }
    for (key, hint) in hints {
        check_shown_text(&format!("hints.{key}"), hint)?;
    }
    Ok(())
}

/// Text a catalog shows people (names, steps, notes, hints, labels, help, sources) holds no
/// control or invisible character: a shared connectors file must not be able to write to a
/// terminal or hide text in what credlink prints.
fn check_shown_text(key: &str, text: &str) -> Result<(), String> {
    match text
        .chars()
        .position(|c| c.is_control() || crate::base::text::is_invisible(c))
    {
        Some(at) => Err(format!(
            "`{key}` holds a control or invisible character at character {}",
            at + 1
        )),
        None => Ok(()),
    }
}

fn check_shown_texts(raw: &RawConnector) -> Result<(), String> {
    check_shown_text("name", &raw.name)?;
    for (i, text) in raw
        .steps
        .iter()
        .chain(&raw.notes)
        .chain(&raw.revoke_note)
        .enumerate()
    {
        check_shown_text(&format!("steps/notes ({})", i + 1), text)?;
    }
    for f in &raw.fields {
        for text in [Some(&f.label), f.help.as_ref(), f.example.as_ref()]
            .into_iter()
            .flatten()
        {
            check_shown_text(&format!("fields.{}", f.id), text)?;
        }
    }
    Ok(())
}

fn check_notes(raw: &RawConnector) -> Result<(), String> {
    if raw.notes.iter().any(|n| n.trim().is_empty()) {
        return Err("`notes` holds an empty note".into());
    }
    if raw
        .revoke_note
        .as_ref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return Err("`revoke_note` is empty".into());
    }
    Ok(())
}

/// Each source is a public https page (no user info) that says what it supports, in text safe
/// to show. A built-in connector cites at least one; a user's own file may cite none.
fn check_sources(sources: &[RawSource], built_in: bool) -> Result<(), String> {
    if built_in && sources.is_empty() {
        return Err("a built-in connector cites at least one entry in `sources`".into());
    }
    for (i, source) in sources.iter().enumerate() {
        let key = format!("sources ({})", i + 1);
        check_shown_text(&key, &source.url)?;
        check_shown_text(&key, &source.supports)?;
        let url = url::Url::parse(&source.url)
            .map_err(|e| format!("`{key}`: `url` is not a URL: {e}"))?;
        if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "`{key}`: `url` must be an https URL without user info"
            ));
        }
        if source.supports.trim().is_empty() {
            return Err(format!("`{key}`: `supports` is empty"));
        }
    }
    Ok(())
}

/// Keys only OAuth kinds take, and whether the entry sets each: `[5..10]` are those of
/// `oauth2_authorization_code` alone, `[10..]` that of `oauth2_device_code` alone.
fn oauth_only(raw: &RawConnector) -> [(&'static str, bool); 11] {
    [
        ("token_url", raw.token_url.is_some()),
        ("client_auth", raw.client_auth.is_some()),
        ("scope", raw.scope.is_some()),
        ("token_params", !raw.token_params.is_empty()),
        ("revoke_url", raw.revoke_url.is_some()),
        ("authorize_url", raw.authorize_url.is_some()),
        ("authorize_params", !raw.authorize_params.is_empty()),
        ("pkce", raw.pkce.is_some()),
        ("redirect_port", raw.redirect_port.is_some()),
        ("redirect_path", raw.redirect_path.is_some()),
        (
            "device_authorization_url",
            raw.device_authorization_url.is_some(),
        ),
    ]
}

/// Refuses the first of `keys` that is set: it is for `kinds` connectors only.
fn refuse(keys: &[(&str, bool)], kinds: &str) -> Result<(), String> {
    match keys.iter().find(|(_, set)| *set) {
        Some((key, _)) => Err(format!("`{key}` is for {kinds} connectors")),
        None => Ok(()),
    }
}

fn refuse_verify(raw: &RawConnector) -> Result<(), String> {
    match raw.verify {
        Some(_) => Err("`verify` is for api_key connectors".into()),
        None => Ok(()),
    }
}

fn refuse_exchange(raw: &RawConnector) -> Result<(), String> {
    match raw.exchange {
        Some(_) => Err("`exchange` is for token_exchange connectors".into()),
        None => Ok(()),
    }
}
