//! `token_exchange`: a sign-in call that trades the secret(s) for a token.

use std::collections::{BTreeMap, BTreeSet};

use super::templates::{Templates, method};
use super::{oauth_only, refuse, refuse_verify};
use crate::base::template::Template;
use crate::catalog::raw::{RawConnector, RawExchange, RawLifetime};
use crate::catalog::{Check, ExchangeSpec, Lifetime};

pub(super) fn check(raw: &RawConnector, t: &Templates) -> Result<Check, String> {
    refuse(&oauth_only(raw), "OAuth")?;
    refuse_verify(raw)?;
    let x = raw
        .exchange
        .as_ref()
        .ok_or("`exchange` is required for token_exchange connectors")?;
    let json_body = x
        .json_body
        .as_deref()
        .map(|b| t.json_body("exchange.json_body", b))
        .transpose()?;
    let form = form(x, t)?;
    if json_body.is_some() && !form.is_empty() {
        return Err("`exchange` sends `json_body` or `form`, not both".into());
    }
    if !x.token_pointer.starts_with('/') {
        return Err("`exchange.token_pointer` is a JSON pointer starting with `/`".into());
    }
    let spec = ExchangeSpec {
        expires_in: expires_in(x)?,
        method: method("exchange.method", &x.method)?,
        url: t.url("exchange.url", &x.url)?,
        basic_auth: t.basic("exchange.basic_auth", x.basic_auth.as_ref())?,
        headers: t.headers("exchange.headers", &x.headers)?,
        json_body,
        form,
        token_pointer: x.token_pointer.clone(),
        token_prefix: x.token_prefix.clone().filter(|p| !p.is_empty()),
        permission_check: t.permission_check(raw.permission_check.as_ref())?,
    };
    check_every_secret_sent(&spec, t)?;
    Ok(Check::Exchange(spec))
}

fn form(x: &RawExchange, t: &Templates) -> Result<BTreeMap<String, Template>, String> {
    let mut form = BTreeMap::new();
    for (k, v) in &x.form {
        form.insert(k.clone(), t.text(&format!("exchange.form.{k}"), v)?);
    }
    Ok(form)
}

fn expires_in(x: &RawExchange) -> Result<Option<Lifetime>, String> {
    match &x.expires_in {
        None => Ok(None),
        Some(RawLifetime::Seconds(s)) => Ok(Some(Lifetime::Seconds(*s))),
        Some(RawLifetime::Pointer(p)) if p.starts_with('/') => {
            Ok(Some(Lifetime::Pointer(p.clone())))
        }
        Some(RawLifetime::Pointer(_)) => {
            Err("`exchange.expires_in` is seconds or a JSON pointer starting with `/`".into())
        }
    }
}

/// Every secret is sent, and only where it cannot show in a URL.
fn check_every_secret_sent(spec: &ExchangeSpec, t: &Templates) -> Result<(), String> {
    let mut sent: BTreeSet<String> = BTreeSet::new();
    let mut note = |t: &Template| sent.extend(t.fields().map(str::to_owned));
    spec.basic_auth
        .iter()
        .flat_map(|(u, p)| [u, p])
        .for_each(&mut note);
    spec.headers.values().for_each(&mut note);
    spec.form.values().for_each(&mut note);
    if let Some(body) = &spec.json_body {
        sent.extend(body.fields());
    }
    match t
        .fields()
        .iter()
        .find(|f| f.secret && !sent.contains(&f.id))
    {
        Some(missing) => Err(format!(
            "`exchange` never sends `{{{}}}`, so it would not check it",
            missing.id
        )),
        None => Ok(()),
    }
}
