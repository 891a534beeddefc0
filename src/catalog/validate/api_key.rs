//! `api_key`: a static key checked with one authenticated call.

use super::templates::{Templates, method};
use super::{oauth_only, refuse, refuse_exchange};
use crate::base::template::Template;
use crate::catalog::raw::{RawConnector, RawQuerySecret};
use crate::catalog::{Check, QuerySecret, VerifySpec};

pub(super) fn check(raw: &RawConnector, t: &Templates) -> Result<Check, String> {
    refuse(&oauth_only(raw), "OAuth")?;
    refuse(
        &[("permission_check", raw.permission_check.is_some())],
        "OAuth or token_exchange",
    )?;
    refuse_exchange(raw)?;
    let v = raw
        .verify
        .as_ref()
        .ok_or("`verify` is required for api_key connectors")?;
    let method = method("verify.method", &v.method)?;
    let basic_auth = t.basic("verify.basic_auth", v.basic_auth.as_ref())?;
    let bearer = v
        .bearer
        .as_deref()
        .map(|b| t.header("verify.bearer", b))
        .transpose()?;
    let headers = t.headers("verify.headers", &v.headers)?;
    let json_body = v
        .json_body
        .as_deref()
        .map(|b| t.json_body("verify.json_body", b))
        .transpose()?;
    for (key, pointer) in [
        ("success_pointer", &v.success_pointer),
        ("error_pointer", &v.error_pointer),
        ("expires_at_pointer", &v.expires_at_pointer),
    ] {
        if pointer.as_ref().is_some_and(|p| !p.starts_with('/')) {
            return Err(format!(
                "`verify.{key}` is a JSON pointer starting with `/`"
            ));
        }
    }
    let url = t.url("verify.url", &v.url)?;
    let query_secret = v
        .query_secret
        .as_ref()
        .map(|q| query_secret(q, &url, t))
        .transpose()?;
    let mut sent: Vec<String> = basic_auth
        .iter()
        .flat_map(|(u, p)| [u, p])
        .chain(bearer.iter())
        .chain(headers.values())
        .flat_map(|t| t.fields().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    sent.extend(json_body.iter().flat_map(|b| b.fields()));
    sent.extend(query_secret.iter().map(|q| q.field.clone()));
    check_sends_the_key(&sent, t)?;
    Ok(Check::ApiKey(VerifySpec {
        method,
        url,
        basic_auth,
        bearer,
        headers,
        json_body,
        query_secret,
        success_pointer: v.success_pointer.clone(),
        error_pointer: v.error_pointer.clone(),
        error_header: v.error_header.clone(),
        expires_at_pointer: v.expires_at_pointer.clone(),
    }))
}

/// The declared query parameter that carries a secret field: a plain name the URL does not
/// already set, and a secret field (a non-secret one belongs in `verify.url`).
fn query_secret(
    raw: &RawQuerySecret,
    url: &Template,
    t: &Templates,
) -> Result<QuerySecret, String> {
    let name_ok = !raw.param.is_empty()
        && raw
            .param
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !name_ok {
        return Err(format!(
            "`verify.query_secret.param` `{}` is not a plain parameter name (letters, digits, `-`, `.`, `_`)",
            raw.param
        ));
    }
    if !t.fields().iter().any(|f| f.id == raw.field && f.secret) {
        return Err(format!(
            "`verify.query_secret.field` `{}` is not a declared secret field",
            raw.field
        ));
    }
    let fixed = url::Url::parse(
        &url.render(&url.fields().map(|f| (f, "x")).collect())
            .unwrap_or_default(),
    )
    .map_err(|e| format!("`verify.url` is not a valid URL: {e}"))?;
    if fixed.query_pairs().any(|(k, _)| k == raw.param.as_str()) {
        return Err(format!(
            "`verify.url` already sets the query parameter `{}` that `verify.query_secret` fills",
            raw.param
        ));
    }
    Ok(QuerySecret {
        param: raw.param.clone(),
        field: raw.field.clone(),
    })
}

/// The call sends the secret field (in a header, the JSON body or its declared query
/// parameter): otherwise it would not check the key.
fn check_sends_the_key(sent: &[String], t: &Templates) -> Result<(), String> {
    let secret_id = t
        .fields()
        .iter()
        .find(|f| f.secret)
        .map(|f| f.id.as_str())
        .unwrap_or_default();
    match sent.iter().any(|f| f == secret_id) {
        true => Ok(()),
        false => Err(format!(
            "`verify` never sends `{{{secret_id}}}`, so it would not check the key"
        )),
    }
}
