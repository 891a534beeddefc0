//! The OAuth kinds: client credentials, refresh token, authorization code, device code, JWT
//! bearer.

use std::collections::BTreeMap;

use super::templates::Templates;
use super::{oauth_only, refuse, refuse_exchange, refuse_verify};
use crate::base::template::Template;
use crate::catalog::raw::RawConnector;
use crate::catalog::{
    AuthKind, AuthorizeSpec, Check, ClientAuth, DEFAULT_REDIRECT_PATH, DEFAULT_REDIRECT_PORT,
    Grant, OAuthSpec,
};

/// Parameters of the token request that credlink sets itself.
const OWN_TOKEN_PARAMS: [&str; 12] = [
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "refresh_token",
    "client_assertion",
    "client_assertion_type",
    "code",
    "code_verifier",
    "redirect_uri",
    "device_code",
    "assertion",
];

/// Parameters of the authorization request that credlink sets itself.
const OWN_AUTHORIZE_PARAMS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

pub(super) fn check(raw: &RawConnector, t: &Templates) -> Result<Check, String> {
    let code = raw.auth == AuthKind::Oauth2AuthorizationCode;
    let device = raw.auth == AuthKind::Oauth2DeviceCode;
    let keys = oauth_only(raw);
    if !code {
        refuse(&keys[5..10], "oauth2_authorization_code")?;
    }
    if !device {
        refuse(&keys[10..11], "oauth2_device_code")?;
    }
    let assertion = matches!(
        raw.auth,
        AuthKind::Oauth2JwtBearer | AuthKind::Oauth2Saml2Bearer
    );
    if !assertion {
        refuse(&keys[11..], "oauth2_jwt_bearer and oauth2_saml2_bearer")?;
    }
    if raw.client_auth == Some(ClientAuth::None) && !code && !device {
        return Err(
            "`client_auth = \"none\"` (a public client) is for oauth2_authorization_code and oauth2_device_code connectors".into(),
        );
    }
    refuse_verify(raw)?;
    refuse_exchange(raw)?;
    let kind = raw.auth.as_str();
    let token_url = raw
        .token_url
        .as_deref()
        .ok_or_else(|| format!("`token_url` is required for {kind}"))?;
    let client_auth = client_auth(raw, assertion)?;
    let token_params = token_params(raw, t)?;
    let authorize = code.then(|| authorize(raw, t)).transpose()?;
    let device_authorization = device_authorization(raw, t, device)?;
    Ok(Check::OAuth(OAuthSpec {
        authorize,
        device_authorization,
        grant: match raw.auth {
            AuthKind::Oauth2ClientCredentials => Grant::ClientCredentials,
            AuthKind::Oauth2JwtBearer => Grant::JwtBearer,
            AuthKind::Oauth2Saml2Bearer => Grant::Saml2Bearer,
            _ => Grant::RefreshToken,
        },
        token_url: t.url("token_url", token_url)?,
        client_auth,
        scope: raw
            .scope
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| t.scope("scope", s))
            .transpose()?,
        token_params,
        revoke_url: raw
            .revoke_url
            .as_deref()
            .map(|u| t.url("revoke_url", u))
            .transpose()?,
        permission_check: t.permission_check(raw.permission_check.as_ref())?,
        assertion_audience: assertion_audience(raw, t)?,
    }))
}

/// Required for the other OAuth kinds; the assertion kinds take none: the signed assertion is
/// the grant and authenticates the client.
fn client_auth(raw: &RawConnector, assertion: bool) -> Result<ClientAuth, String> {
    match (assertion, raw.client_auth) {
        (true, None) => Ok(ClientAuth::None),
        (true, Some(_)) => Err(format!(
            "`client_auth` is not for {} connectors: the signed assertion authenticates the client",
            raw.auth.as_str()
        )),
        (false, Some(auth)) => Ok(auth),
        (false, None) => Err(
            "`client_auth` is required (basic, post, json, private_key_jwt or tls_client_auth)"
                .into(),
        ),
    }
}

/// The assertion's `aud` where it is not the token endpoint's URL: text that holds no secret.
fn assertion_audience(raw: &RawConnector, t: &Templates) -> Result<Option<Template>, String> {
    let Some(audience) = raw.assertion_audience.as_deref() else {
        return Ok(None);
    };
    let template = t.text("assertion_audience", audience)?;
    if t.holds_secret(&template) || audience.trim().is_empty() {
        return Err("`assertion_audience` is text that holds no secret".into());
    }
    Ok(Some(template))
}

/// Extra token parameters: none that credlink sets itself, none holding a secret.
fn token_params(raw: &RawConnector, t: &Templates) -> Result<BTreeMap<String, Template>, String> {
    let mut params = BTreeMap::new();
    for (k, v) in &raw.token_params {
        if OWN_TOKEN_PARAMS.contains(&k.as_str()) {
            return Err(format!("`token_params.{k}` is set by credlink itself"));
        }
        let template = t.text(&format!("token_params.{k}"), v)?;
        if t.holds_secret(&template) {
            return Err(format!("`token_params.{k}` may not hold the secret"));
        }
        params.insert(k.clone(), template);
    }
    Ok(params)
}

/// The authorization request of `oauth2_authorization_code`.
fn authorize(raw: &RawConnector, t: &Templates) -> Result<AuthorizeSpec, String> {
    let url = raw
        .authorize_url
        .as_deref()
        .ok_or("`authorize_url` is required for oauth2_authorization_code")?;
    let params = authorize_params(raw, t)?;
    let redirect_path = redirect_path(raw)?;
    if raw.redirect_port == Some(0) {
        return Err("`redirect_port` is a port from 1 to 65535".into());
    }
    Ok(AuthorizeSpec {
        url: t.url("authorize_url", url)?,
        params,
        pkce: raw.pkce.unwrap_or(true),
        redirect_port: raw.redirect_port.unwrap_or(DEFAULT_REDIRECT_PORT),
        redirect_path,
    })
}

/// Extra authorization parameters: none that credlink sets itself, none holding a secret.
fn authorize_params(
    raw: &RawConnector,
    t: &Templates,
) -> Result<BTreeMap<String, Template>, String> {
    let mut params = BTreeMap::new();
    for (k, v) in &raw.authorize_params {
        if OWN_AUTHORIZE_PARAMS.contains(&k.as_str()) {
            return Err(format!("`authorize_params.{k}` is set by credlink itself"));
        }
        let template = t.text(&format!("authorize_params.{k}"), v)?;
        if t.holds_secret(&template) {
            return Err(format!("`authorize_params.{k}` may not hold a secret"));
        }
        params.insert(k.clone(), template);
    }
    Ok(params)
}

/// The path of the redirect URI: plain path characters only.
fn redirect_path(raw: &RawConnector) -> Result<String, String> {
    let path = raw
        .redirect_path
        .clone()
        .unwrap_or_else(|| DEFAULT_REDIRECT_PATH.to_owned());
    let plain = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    match plain {
        true => Ok(path),
        false => {
            Err("`redirect_path` is a path such as /callback (letters, digits, / - _ . ~)".into())
        }
    }
}

/// The device authorization endpoint, required for `oauth2_device_code`.
fn device_authorization(
    raw: &RawConnector,
    t: &Templates,
    device: bool,
) -> Result<Option<Template>, String> {
    match (device, raw.device_authorization_url.as_deref()) {
        (true, Some(url)) => Ok(Some(t.url("device_authorization_url", url)?)),
        (true, None) => Err("`device_authorization_url` is required for oauth2_device_code".into()),
        (false, _) => Ok(None),
    }
}
