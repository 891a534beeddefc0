//! `api_key`: a static key checked with one authenticated call.

use super::templates::{Templates, method};
use super::{oauth_only, refuse, refuse_exchange};
use crate::base::template::Template;
use crate::catalog::raw::RawConnector;
use crate::catalog::{Check, VerifySpec};

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
    if let Some(body) = &v.json_body {
        serde_json::from_str::<serde_json::Value>(body)
            .map_err(|e| format!("`verify.json_body` is not JSON: {e}"))?;
    }
    if let Some(p) = &v.success_pointer
        && !p.starts_with('/')
    {
        return Err("`verify.success_pointer` is a JSON pointer starting with `/`".into());
    }
    let sent = basic_auth
        .iter()
        .flat_map(|(u, p)| [u, p])
        .chain(bearer.iter())
        .chain(headers.values());
    check_sends_the_key(sent, t)?;
    Ok(Check::ApiKey(VerifySpec {
        method,
        url: t.url("verify.url", &v.url)?,
        basic_auth,
        bearer,
        headers,
        json_body: v.json_body.clone(),
        success_pointer: v.success_pointer.clone(),
        error_header: v.error_header.clone(),
    }))
}

/// The call sends the secret field, in a header: otherwise it would not check the key.
fn check_sends_the_key<'t>(
    mut sent: impl Iterator<Item = &'t Template>,
    t: &Templates,
) -> Result<(), String> {
    let secret_id = t
        .fields()
        .iter()
        .find(|f| f.secret)
        .map(|f| f.id.as_str())
        .unwrap_or_default();
    match sent.any(|t| t.fields().any(|f| f == secret_id)) {
        true => Ok(()),
        false => Err(format!(
            "`verify` never sends `{{{secret_id}}}`, so it would not check the key"
        )),
    }
}
