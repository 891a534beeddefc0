//! The rules of one connector entry, each a small function; [`connector`] runs them in order
//! and builds the validated [`Connector`]. Every refusal is a sentence that names the key.

use std::collections::BTreeMap;

use super::raw::{RawAlternative, RawConnector, RawExpiry, RawPrefixRetry, RawSource};
use super::{Alternative, AuthKind, Connector, DeclaredExpiry, Field, PrefixRetry, Source, fields};
use crate::base::outcome::HintKey;
use crate::base::template::Template;

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
    let alternative = raw
        .alternative
        .take()
        .map(|a| alternative(id, a))
        .transpose()?;
    let expiry = raw.expiry.take().map(|e| expiry(e, built_in)).transpose()?;
    let fields = fields::validate(raw.auth, raw.client_auth, std::mem::take(&mut raw.fields))?;
    let templates = Templates::new(&fields);
    let check = match raw.auth {
        AuthKind::Oauth2ClientCredentials
        | AuthKind::Oauth2RefreshToken
        | AuthKind::Oauth2AuthorizationCode
        | AuthKind::Oauth2DeviceCode
        | AuthKind::Oauth2JwtBearer
        | AuthKind::Oauth2Saml2Bearer => oauth::check(&raw, &templates)?,
        AuthKind::TokenExchange => exchange::check(&raw, &templates)?,
        AuthKind::ApiKey => api_key::check(&raw, &templates)?,
    };
    let check_scope = check_scope(&raw)?;
    let prefix_retry = raw
        .prefix_retry
        .take()
        .map(|r| prefix_retry(r, &fields))
        .transpose()?;
    let api_base = raw
        .api_base
        .as_deref()
        .map(|raw| api_base(&templates, raw))
        .transpose()?;
    let sources = to_sources(raw.sources);
    Ok(Connector {
        id: id.to_owned(),
        name: raw.name,
        category: raw.category,
        docs: raw.docs,
        steps: raw.steps,
        notes: raw.notes,
        revoke_note: raw.revoke_note,
        alternative,
        hints: raw.hints,
        fields,
        check,
        prefix_retry,
        check_scope,
        api_base,
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

/// `check_scope`: scopes separated by spaces, for the kinds whose token answer has a `scope`.
fn check_scope(raw: &RawConnector) -> Result<Vec<String>, String> {
    let Some(text) = &raw.check_scope else {
        return Ok(Vec::new());
    };
    if matches!(raw.auth, AuthKind::ApiKey | AuthKind::TokenExchange) {
        return Err("`check_scope` is for OAuth connectors".into());
    }
    let scopes: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    // RFC 6749 3.3: scope tokens are printable ASCII without `"` or `\\`.
    let bad = |s: &String| {
        !s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    match (scopes.is_empty(), scopes.iter().find(|s| bad(s))) {
        (true, _) => Err("`check_scope` is empty".into()),
        (_, Some(s)) => Err(format!("`check_scope` holds `{s}`, which is not a scope")),
        _ => Ok(scopes),
    }
}

/// `alternative`: another connector's id and a sentence on when to choose it. (That the id
/// names a connector is checked once the whole catalog is read.)
fn alternative(id: &str, raw: RawAlternative) -> Result<Alternative, String> {
    if raw.id == id || !is_id(&raw.id, b'-') {
        return Err(format!(
            "`alternative.id` `{}` must be another connector's id",
            raw.id
        ));
    }
    if raw.when.trim().is_empty() {
        return Err("`alternative.when` is empty".into());
    }
    check_shown_text("alternative.when", &raw.when)?;
    Ok(Alternative {
        id: raw.id,
        when: raw.when,
    })
}

/// `prefix_retry`: a plain field, and a prefix made of text and other plain fields.
fn prefix_retry(raw: RawPrefixRetry, fields: &[Field]) -> Result<PrefixRetry, String> {
    let plain = |id: &str| {
        fields
            .iter()
            .any(|f| f.id == id && !f.secret && !f.role.is_pem() && !f.obtained)
    };
    if !plain(&raw.field) {
        return Err(format!(
            "`prefix_retry.field` `{}` must be a declared field that is not a secret",
            raw.field
        ));
    }
    let prefix = Template::parse(&raw.prefix).map_err(|e| format!("`prefix_retry.prefix`: {e}"))?;
    if let Some(f) = prefix.fields().find(|f| *f == raw.field || !plain(f)) {
        return Err(format!(
            "`prefix_retry.prefix` uses `{{{f}}}`, which must be another declared field that is not a secret"
        ));
    }
    if raw.prefix.is_empty() {
        return Err("`prefix_retry.prefix` is empty".into());
    }
    Ok(PrefixRetry {
        field: raw.field,
        prefix,
    })
}

/// `api_base`: a URL template like the check URL's, whose path ends with `/` so an API path
/// is added under it; no query or fragment.
fn api_base(templates: &Templates, raw: &str) -> Result<crate::base::template::Template, String> {
    let t = templates.url("api_base", raw)?;
    let rest = raw.split_once("://").map_or("", |(_, r)| r);
    match rest.find('/') {
        _ if raw.contains(['?', '#']) => Err("`api_base` has a query or fragment".into()),
        Some(_) if raw.ends_with('/') => Ok(t),
        _ => Err("`api_base` must end with `/` (the API paths go under it)".into()),
    }
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
/// `oauth2_authorization_code` alone, `[10]` that of `oauth2_device_code` alone, `[11]` that
/// of the assertion kinds alone.
fn oauth_only(raw: &RawConnector) -> [(&'static str, bool); 12] {
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
        ("assertion_audience", raw.assertion_audience.is_some()),
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
