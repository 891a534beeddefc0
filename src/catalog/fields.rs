//! What a field is for ([`FieldRole`], derived from its id here and nowhere else), and the rules
//! of a connector's `fields`: each field on its own, then the secret fields its kind needs.

use std::collections::BTreeSet;

use regex_lite::Regex;

use super::raw::RawField;
use super::validate::is_id;
use super::{AuthKind, ClientAuth, Field, HostAround};

/// What a field is for. Roles are derived from field ids here, once: no other module names a
/// field id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldRole {
    /// The OAuth client ID (`--client-id`, masked when shown).
    ClientId,
    /// The OAuth client secret (`--client-secret-stdin`).
    ClientSecret,
    /// An API key (`--api-key-stdin`).
    ApiKey,
    /// The account's own subdomain at the provider (`--subdomain`, part of default names).
    Subdomain,
    /// A long-lived refresh token an admin generated (`oauth2_refresh_token`); a secret.
    RefreshToken,
    /// The private key that signs a `private_key_jwt` client assertion or an
    /// `oauth2_jwt_bearer` grant: a PEM, or a service account's JSON key file; a secret.
    PrivateKey,
    /// `oauth2_jwt_bearer`: the user the assertion acts as (`sub`); not a secret.
    Subject,
    /// The PEM client certificate of `tls_client_auth` (RFC 8705); not a secret.
    ClientCertificate,
    /// The PEM private key of that certificate; a secret.
    ClientKey,
    /// Anything else (`--field ID=VALUE`).
    Other,
}

impl FieldRole {
    /// The field id that carries this role; `None` for [`FieldRole::Other`].
    pub(crate) fn id(self) -> Option<&'static str> {
        match self {
            FieldRole::ClientId => Some("client_id"),
            FieldRole::ClientSecret => Some("client_secret"),
            FieldRole::ApiKey => Some("api_key"),
            FieldRole::Subdomain => Some("subdomain"),
            FieldRole::RefreshToken => Some("refresh_token"),
            FieldRole::PrivateKey => Some("private_key"),
            FieldRole::Subject => Some("subject"),
            FieldRole::ClientCertificate => Some("client_certificate"),
            FieldRole::ClientKey => Some("client_key"),
            FieldRole::Other => None,
        }
    }

    /// Fields whose value is a PEM document (several lines), given as a file.
    pub(crate) fn is_pem(self) -> bool {
        matches!(
            self,
            FieldRole::PrivateKey | FieldRole::ClientCertificate | FieldRole::ClientKey
        )
    }

    fn of(id: &str) -> Self {
        [
            FieldRole::ClientId,
            FieldRole::ClientSecret,
            FieldRole::ApiKey,
            FieldRole::Subdomain,
            FieldRole::RefreshToken,
            FieldRole::PrivateKey,
            FieldRole::Subject,
            FieldRole::ClientCertificate,
            FieldRole::ClientKey,
        ]
        .into_iter()
        .find(|r| r.id() == Some(id))
        .unwrap_or(FieldRole::Other)
    }

    /// Roles whose value is always a secret.
    fn must_be_secret(self) -> bool {
        matches!(
            self,
            FieldRole::RefreshToken | FieldRole::PrivateKey | FieldRole::ClientKey
        )
    }
}

/// The declared fields, each checked, then the secret fields the connector's kind needs; a
/// browser or device sign-in adds the refresh token it obtains.
pub(super) fn validate(
    auth: AuthKind,
    client_auth: Option<ClientAuth>,
    raw: Vec<RawField>,
) -> Result<Vec<Field>, String> {
    let mut seen = BTreeSet::new();
    let mut fields = Vec::new();
    for f in raw {
        if !is_id(&f.id, b'_') {
            return Err(format!(
                "field id `{}` must be lowercase letters, digits and `_`",
                f.id
            ));
        }
        if !seen.insert(f.id.clone()) {
            return Err(format!("field `{}` is declared twice", f.id));
        }
        fields.push(field(f)?);
    }
    match auth {
        AuthKind::Oauth2ClientCredentials
        | AuthKind::Oauth2RefreshToken
        | AuthKind::Oauth2AuthorizationCode
        | AuthKind::Oauth2DeviceCode => oauth_secrets(auth, client_auth, &mut fields)?,
        _ if seen.contains("client_certificate") || seen.contains("client_key") => {
            return Err("`client_certificate` and `client_key` are for OAuth connectors".into());
        }
        AuthKind::Oauth2JwtBearer | AuthKind::Oauth2Saml2Bearer => assertion_fields(auth, &fields)?,
        AuthKind::ApiKey => {
            if !matches!(
                secret_ids(&fields).as_slice(),
                ["api_key" | "client_secret"]
            ) {
                return Err("needs exactly one secret field, `api_key` or `client_secret`".into());
            }
        }
        AuthKind::TokenExchange => {
            if secret_ids(&fields).is_empty() {
                return Err("needs at least one secret field to exchange".into());
            }
        }
    }
    Ok(fields)
}

fn field(f: RawField) -> Result<Field, String> {
    if f.label.trim().is_empty() {
        return Err(format!("field `{}` has an empty label", f.id));
    }
    let role = FieldRole::of(&f.id);
    check_role(role, &f)?;
    let pattern = regex(&f, "pattern", f.pattern.as_deref())?;
    let expect = regex(&f, "expect", f.expect.as_deref())?;
    check_secret_has_no_value(&f)?;
    check_default_matches(&f, pattern.as_ref())?;
    check_default_matches(&f, expect.as_ref())?;
    let sign_in_host = sign_in_host_of(&f)?;
    Ok(Field {
        role,
        id: f.id,
        label: f.label,
        secret: f.secret,
        pattern,
        expect,
        help: f.help,
        example: f.example,
        optional: f.optional,
        default: f.default,
        obtained: false,
        sign_in_host,
    })
}

/// A role that is a secret is declared one; a certificate is not; a PEM document takes no
/// pattern or sign-in URL.
fn check_role(role: FieldRole, f: &RawField) -> Result<(), String> {
    if role.must_be_secret() && !f.secret {
        return Err(format!("field `{}` must be declared `secret = true`", f.id));
    }
    if role == FieldRole::ClientCertificate && f.secret {
        return Err(format!("field `{}` is a certificate, not a secret", f.id));
    }
    if role.is_pem() && (f.pattern.is_some() || f.expect.is_some() || f.sign_in_url.is_some()) {
        return Err(format!(
            "field `{}` holds a PEM document: it takes no pattern, expect or sign_in_url",
            f.id
        ));
    }
    Ok(())
}

/// A `pattern` or `expect` is anchored at both ends and compiles.
fn regex(f: &RawField, key: &str, p: Option<&str>) -> Result<Option<Regex>, String> {
    let Some(p) = p else {
        return Ok(None);
    };
    if !p.starts_with('^') || !p.ends_with('$') {
        return Err(format!(
            "field `{}`: {key} must be anchored with ^ and $",
            f.id
        ));
    }
    Regex::new(p)
        .map(Some)
        .map_err(|e| format!("field `{}`: {key} is not a valid regex: {e}", f.id))
}

fn check_secret_has_no_value(f: &RawField) -> Result<(), String> {
    if f.secret && (f.default.is_some() || f.optional || f.example.is_some()) {
        return Err(format!(
            "secret field `{}` cannot have a default, example or be optional",
            f.id
        ));
    }
    Ok(())
}

fn check_default_matches(f: &RawField, pattern: Option<&Regex>) -> Result<(), String> {
    if let (Some(re), Some(d)) = (pattern, &f.default)
        && !re.is_match(d)
    {
        return Err(format!(
            "field `{}`: default `{d}` does not match its pattern (or expect)",
            f.id
        ));
    }
    Ok(())
}

fn sign_in_host_of(f: &RawField) -> Result<Option<HostAround>, String> {
    let Some(url) = &f.sign_in_url else {
        return Ok(None);
    };
    if f.secret {
        return Err(format!("secret field `{}` cannot have a sign_in_url", f.id));
    }
    sign_in_host(&f.id, url)
        .map(Some)
        .map_err(|e| format!("field `{}`: sign_in_url {e}", f.id))
}

/// `https://{subdomain}.traffit.com` -> the host around the value: "" and ".traffit.com".
fn sign_in_host(id: &str, raw: &str) -> Result<HostAround, String> {
    let placeholder = format!("{{{id}}}");
    let host = raw
        .strip_prefix("https://")
        .ok_or_else(|| format!("`{raw}` must start with https://"))?;
    let host = host.split('/').next().unwrap_or_default();
    let (prefix, suffix) = host
        .split_once(&placeholder)
        .ok_or_else(|| format!("`{raw}` must hold {placeholder} in its host name"))?;
    let plain = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    if !plain(prefix) || !plain(suffix) || !suffix.starts_with('.') || !suffix[1..].contains('.') {
        return Err(format!(
            "`{raw}` must be https://[prefix]{placeholder}.domain.tld in lowercase, without a port"
        ));
    }
    Ok(HostAround {
        prefix: prefix.to_owned(),
        suffix: suffix.to_owned(),
    })
}

fn secret_ids(fields: &[Field]) -> Vec<&str> {
    fields
        .iter()
        .filter(|f| f.secret)
        .map(|f| f.id.as_str())
        .collect()
}

/// OAuth kinds: a `client_id`, exactly the secret fields the client authentication and grant
/// need, and for a browser or device sign-in the refresh token it gives (kept with the secret).
fn oauth_secrets(
    auth: AuthKind,
    client_auth: Option<ClientAuth>,
    fields: &mut Vec<Field>,
) -> Result<(), String> {
    let has = |id: &str| fields.iter().any(|f| f.id == id);
    let signs_in = matches!(
        auth,
        AuthKind::Oauth2AuthorizationCode | AuthKind::Oauth2DeviceCode
    );
    if !has("client_id") {
        return Err(format!(
            "{} connectors need a `client_id` field",
            auth.as_str()
        ));
    }
    let Some(client_auth) = client_auth else {
        // Reported with the other OAuth keys.
        return Ok(());
    };
    let mut wanted: Vec<&str> = client_auth
        .secret_roles()
        .iter()
        .filter_map(|r| r.id())
        .collect();
    if auth == AuthKind::Oauth2RefreshToken {
        wanted.push("refresh_token");
    }
    if signs_in {
        if has("refresh_token") {
            return Err("declares no `refresh_token` field: the browser sign-in gives it".into());
        }
        if client_auth == ClientAuth::None && has("client_secret") {
            return Err("a public client (`client_auth = \"none\"`) has no `client_secret`".into());
        }
    }
    // A client certificate is presented in the TLS handshake with any client
    // authentication (ADP: Basic and a certificate); tls_client_auth has no other.
    let certificate = has("client_certificate");
    if certificate && client_auth != ClientAuth::TlsClientAuth {
        wanted.push("client_key");
    }
    let mut have = secret_ids(fields);
    have.sort_unstable();
    wanted.sort_unstable();
    if have != wanted {
        let list = wanted
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        return Err(match wanted.len() {
            1 => format!("needs exactly one secret field, {list}"),
            _ => format!("needs exactly the secret fields {list}"),
        });
    }
    if client_auth == ClientAuth::TlsClientAuth && !certificate {
        return Err("tls_client_auth needs a `client_certificate` field".into());
    }
    if signs_in {
        fields.push(obtained_refresh_token());
    }
    Ok(())
}

/// The assertion kinds: the issuer in `client_id` (optional where a key file gives it) and one
/// secret, the `private_key`.
fn assertion_fields(auth: AuthKind, fields: &[Field]) -> Result<(), String> {
    if !fields.iter().any(|f| f.role == FieldRole::ClientId) {
        return Err(format!(
            "{} connectors need a `client_id` field (the issuer)",
            auth.as_str()
        ));
    }
    match secret_ids(fields).as_slice() {
        ["private_key"] => Ok(()),
        _ => Err("needs exactly one secret field, `private_key`".into()),
    }
}

/// The refresh token a sign-in gives, kept with the secret; never asked of the user.
fn obtained_refresh_token() -> Field {
    Field {
        id: "refresh_token".into(),
        role: FieldRole::RefreshToken,
        label: "Refresh token".into(),
        secret: true,
        pattern: None,
        expect: None,
        help: None,
        example: None,
        optional: false,
        default: None,
        obtained: true,
        sign_in_host: None,
    }
}
