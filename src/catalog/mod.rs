//! The connector catalog: `connectors.toml` built into the binary, extended or overridden by
//! the user's own file, validated as a whole before any command uses it.
//!
//! `raw.rs` is the file as written (serde), `load.rs` reads and merges the files, `validate/`
//! holds the rules of an entry (one function each), `fields.rs` the roles and rules of fields,
//! `docs.rs` the documents generated from the catalog (tests), `schema.rs` the tests that
//! `docs/connectors.schema.json` agrees with the loader, `specs.rs` the tests of check calls
//! against the providers' OpenAPI documents in `tests/fixtures/specs/`. This file is the
//! validated model every other module uses.

use std::collections::BTreeMap;

use regex_lite::Regex;
use serde::Deserialize;

use crate::base::outcome::HintKey;
use crate::base::template::{JsonTemplate, Template};

#[cfg(test)]
mod docs;
mod fields;
mod load;
mod raw;
#[cfg(test)]
mod schema;
#[cfg(test)]
mod specs;
#[cfg(test)]
mod tests;
mod validate;

pub(crate) use fields::FieldRole;
pub(crate) use load::{CatalogError, Origin};

/// No connector of that id.
#[derive(Debug, thiserror::Error)]
#[error("unknown connector `{id}`")]
pub(crate) struct UnknownConnector {
    pub(crate) id: String,
    pub(crate) known: Vec<String>,
}

/// The redirect port when a connector declares none: the user registers
/// `http://127.0.0.1:53682/callback` (a fixed port, as rclone does: few providers accept any
/// loopback port).
pub(crate) const DEFAULT_REDIRECT_PORT: u16 = 53682;
/// The redirect path when a connector declares none.
pub(crate) const DEFAULT_REDIRECT_PATH: &str = "/callback";

/// The kind of product a connector links, as `connectors --category` filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Category {
    /// HR information systems and payroll.
    Hris,
    /// Applicant tracking and recruiting.
    Ats,
    /// Contract management.
    Contracts,
    /// Commerce and supply-chain networks.
    Commerce,
}

impl Category {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Hris => "hris",
            Category::Ats => "ats",
            Category::Contracts => "contracts",
            Category::Commerce => "commerce",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub(crate) enum AuthKind {
    Oauth2ClientCredentials,
    /// RFC 6749 6: a long-lived refresh token an admin generated, traded for access tokens.
    Oauth2RefreshToken,
    /// RFC 6749 4.1: a browser sign-in (PKCE, loopback redirect) gives a refresh token, which
    /// is then used like `oauth2_refresh_token`'s.
    Oauth2AuthorizationCode,
    /// RFC 8628: the device authorization grant. The user enters a code shown in the terminal
    /// at the provider's address in any browser; the refresh token it gives is then used like
    /// `oauth2_refresh_token`'s.
    Oauth2DeviceCode,
    /// RFC 7523 2.1: a JWT the client signs with its private key (a service account's) is the
    /// grant; no refresh token, no client secret.
    Oauth2JwtBearer,
    /// RFC 7522: a SAML 2.0 assertion the client builds and signs with its private key is the
    /// grant (SAP SuccessFactors).
    Oauth2Saml2Bearer,
    /// A proprietary sign-in call that trades an API key or a password for a token.
    TokenExchange,
    ApiKey,
}

impl AuthKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthKind::Oauth2ClientCredentials => "oauth2_client_credentials",
            AuthKind::Oauth2RefreshToken => "oauth2_refresh_token",
            AuthKind::Oauth2AuthorizationCode => "oauth2_authorization_code",
            AuthKind::Oauth2DeviceCode => "oauth2_device_code",
            AuthKind::Oauth2JwtBearer => "oauth2_jwt_bearer",
            AuthKind::Oauth2Saml2Bearer => "oauth2_saml2_bearer",
            AuthKind::TokenExchange => "token_exchange",
            AuthKind::ApiKey => "api_key",
        }
    }

    /// Whether an account of this kind is checked with a refresh token it spends (for a
    /// record whose connector is not in the catalog; see [`Connector::spends_refresh_token`]).
    pub(crate) fn spends_refresh_token(self) -> bool {
        matches!(
            self,
            AuthKind::Oauth2RefreshToken
                | AuthKind::Oauth2AuthorizationCode
                | AuthKind::Oauth2DeviceCode
        )
    }

    /// Whether a check yields an access token (`credlink token`).
    pub(crate) fn issues_tokens(self) -> bool {
        self != AuthKind::ApiKey
    }
}

/// How the client authenticates at the token endpoint.
// `TlsClientAuth` is RFC 8705's `tls_client_auth`, the name the catalog uses.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ClientAuth {
    /// RFC 6749 2.3.1: `Authorization: Basic` of the form-urlencoded id and secret.
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
    /// All parameters as a JSON body (Auth0-style providers).
    Json,
    /// RFC 7523 2.2: a JWT client assertion signed with the `private_key` field (RS256 for an
    /// RSA key, ES256 / ES384 for a P-256 / P-384 key).
    PrivateKeyJwt,
    /// RFC 8705 2.1: mutual TLS with the `client_certificate` and `client_key` fields, and
    /// no shared secret. (A connector that declares those fields with another client
    /// authentication presents the certificate too, as ADP wants with Basic.)
    TlsClientAuth,
    /// A public client (RFC 6749 2.1): only `client_id` in the body, no secret
    /// (`oauth2_authorization_code` only, where PKCE protects the code).
    None,
}

impl ClientAuth {
    /// The secret fields this client authentication needs.
    pub(crate) fn secret_roles(self) -> &'static [FieldRole] {
        match self {
            ClientAuth::Basic | ClientAuth::Post | ClientAuth::Json => &[FieldRole::ClientSecret],
            ClientAuth::PrivateKeyJwt => &[FieldRole::PrivateKey],
            ClientAuth::TlsClientAuth => &[FieldRole::ClientKey],
            ClientAuth::None => &[],
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) id: String,
    pub(crate) role: FieldRole,
    pub(crate) label: String,
    pub(crate) secret: bool,
    /// A value that does not match is refused: the pattern guards a URL, host or header.
    pub(crate) pattern: Option<Regex>,
    /// A value that does not match gets a warning; the live check decides.
    pub(crate) expect: Option<Regex>,
    pub(crate) help: Option<String>,
    pub(crate) example: Option<String>,
    pub(crate) optional: bool,
    pub(crate) default: Option<String>,
    /// Given by the provider during `link` (the refresh token of `oauth2_authorization_code`),
    /// never asked of the user; stored with the secret.
    pub(crate) obtained: bool,
    /// The host users sign in at, around this field's value (`mycompany` in
    /// `https://mycompany.traffit.com`), so a pasted sign-in URL can give the value.
    pub(crate) sign_in_host: Option<HostAround>,
}

/// A host name split at a field's value: `{prefix}VALUE{suffix}`.
#[derive(Debug, Clone)]
pub(crate) struct HostAround {
    pub(crate) prefix: String,
    pub(crate) suffix: String,
}

impl Field {
    /// The declared sign-in URL, e.g. `https://{subdomain}.traffit.com`.
    pub(crate) fn sign_in_url(&self) -> Option<String> {
        self.sign_in_host
            .as_ref()
            .map(|h| format!("https://{}{{{}}}{}", h.prefix, self.id, h.suffix))
    }

    /// The value in a pasted sign-in URL (`https://mycompany.traffit.com/login` or
    /// `mycompany.traffit.com`), when the field declares `sign_in_url` and the URL's host has
    /// its shape with a value that matches the field's pattern.
    pub(crate) fn value_from_url(&self, pasted: &str) -> Option<String> {
        let around = self.sign_in_host.as_ref()?;
        let pasted = pasted.trim();
        let url = if pasted.contains("://") {
            url::Url::parse(pasted).ok()?
        } else if pasted.contains('.') {
            url::Url::parse(&format!("https://{pasted}")).ok()?
        } else {
            return None;
        };
        let host = url.host_str()?.to_ascii_lowercase();
        let value = host
            .strip_prefix(&around.prefix)?
            .strip_suffix(&around.suffix)?;
        let fits = self.pattern.as_ref().is_none_or(|p| p.is_match(value));
        // `www.` is the provider's own site, not an account on it.
        (fits && !value.is_empty() && !value.contains('.') && value != "www")
            .then(|| value.to_owned())
    }
}

/// The grant of an OAuth connector's token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// RFC 6749 4.4.
    ClientCredentials,
    /// RFC 6749 6, with the `refresh_token` field.
    RefreshToken,
    /// RFC 7523 2.1: a JWT signed with the `private_key` field, issued by the `client_id`
    /// field, for the `subject` field where declared.
    JwtBearer,
    /// RFC 7522: a SAML 2.0 assertion with the same fields, signed with XML signature.
    Saml2Bearer,
}

impl Grant {
    /// Whether the grant is an assertion credlink signs (RFC 7523 2.1 or RFC 7522).
    pub(crate) fn is_assertion(self) -> bool {
        matches!(self, Grant::JwtBearer | Grant::Saml2Bearer)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OAuthSpec {
    pub(crate) grant: Grant,
    pub(crate) token_url: Template,
    pub(crate) client_auth: ClientAuth,
    /// A scope template: placeholders only inside scope tokens.
    pub(crate) scope: Option<Template>,
    pub(crate) token_params: BTreeMap<String, Template>,
    pub(crate) revoke_url: Option<Template>,
    pub(crate) permission_check: Option<(reqwest::Method, Template)>,
    /// `oauth2_authorization_code`: how `link` gets the refresh token (`grant` is then
    /// [`Grant::RefreshToken`]: a linked account refreshes like `oauth2_refresh_token`).
    pub(crate) authorize: Option<AuthorizeSpec>,
    /// `oauth2_device_code`: the device authorization endpoint `link` starts at (`grant` is
    /// then [`Grant::RefreshToken`] too).
    pub(crate) device_authorization: Option<Template>,
    /// The assertion kinds: its audience when it is not the token endpoint's URL.
    pub(crate) assertion_audience: Option<Template>,
}

/// The authorization request of `oauth2_authorization_code` (RFC 6749 4.1, RFC 7636).
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeSpec {
    pub(crate) url: Template,
    pub(crate) params: BTreeMap<String, Template>,
    pub(crate) pkce: bool,
    pub(crate) redirect_port: u16,
    pub(crate) redirect_path: String,
}

#[derive(Debug, Clone)]
pub(crate) struct VerifySpec {
    pub(crate) method: reqwest::Method,
    pub(crate) url: Template,
    pub(crate) basic_auth: Option<(Template, Template)>,
    pub(crate) bearer: Option<Template>,
    pub(crate) headers: BTreeMap<String, Template>,
    pub(crate) json_body: Option<JsonTemplate>,
    pub(crate) query_secret: Option<QuerySecret>,
    pub(crate) success_pointer: Option<String>,
    pub(crate) error_pointer: Option<String>,
    pub(crate) error_header: Option<String>,
    /// Where a 2xx answer says when the key expires.
    pub(crate) expires_at_pointer: Option<String>,
}

/// A secret the provider takes only in the URL's query: the parameter and the secret field it
/// carries. The URL library adds it (percent-encoded); the trace shows `(redacted)`.
#[derive(Debug, Clone)]
pub(crate) struct QuerySecret {
    pub(crate) param: String,
    pub(crate) field: String,
}

/// How long an exchanged token lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lifetime {
    Seconds(u64),
    /// A JSON pointer to a number (or numeric string) of seconds in the answer.
    Pointer(String),
}

/// `token_exchange`: the sign-in call, and where the token is in its answer.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeSpec {
    pub(crate) method: reqwest::Method,
    pub(crate) url: Template,
    pub(crate) basic_auth: Option<(Template, Template)>,
    pub(crate) headers: BTreeMap<String, Template>,
    /// A JSON document whose string values may each be one whole placeholder.
    pub(crate) json_body: Option<JsonTemplate>,
    pub(crate) form: BTreeMap<String, Template>,
    pub(crate) token_pointer: String,
    /// Text the answer puts before the token (Kenjo: `Bearer `), removed.
    pub(crate) token_prefix: Option<String>,
    pub(crate) expires_in: Option<Lifetime>,
    pub(crate) permission_check: Option<(reqwest::Method, Template)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Check {
    OAuth(OAuthSpec),
    ApiKey(VerifySpec),
    Exchange(ExchangeSpec),
}

impl Check {
    /// The URL of the main call: token endpoint, verification or sign-in call.
    pub(crate) fn main_url(&self) -> &Template {
        match self {
            Check::OAuth(spec) => &spec.token_url,
            Check::ApiKey(spec) => &spec.url,
            Check::Exchange(spec) => &spec.url,
        }
    }

    /// The read-only call made with a new token, where the connector declares one.
    pub(crate) fn permission_check(&self) -> Option<&(reqwest::Method, Template)> {
        match self {
            Check::OAuth(spec) => spec.permission_check.as_ref(),
            Check::Exchange(spec) => spec.permission_check.as_ref(),
            Check::ApiKey(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Connector {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: Option<Category>,
    pub(crate) docs: Option<String>,
    pub(crate) steps: Vec<String>,
    /// Shown after the steps by `connectors ID` ("Good to know").
    pub(crate) notes: Vec<String>,
    /// Shown after `revoke` removed an account of this connector, with `<connector>` and
    /// `<name>` filled in: e.g. that the credential stays active at the provider.
    pub(crate) revoke_note: Option<String>,
    pub(crate) alternative: Option<Alternative>,
    pub(crate) hints: BTreeMap<String, String>,
    pub(crate) fields: Vec<Field>,
    pub(crate) check: Check,
    pub(crate) prefix_retry: Option<PrefixRetry>,
    /// The scopes the check needs (OAuth kinds): a token answer whose `scope` lacks one fails.
    pub(crate) check_scope: Vec<String>,
    /// The base URL the product's API paths are relative to (`credlink api`), a URL template
    /// with the check URL's host rules. A user's own entry may leave it out.
    pub(crate) api_base: Option<Template>,
    /// Where the entry's facts come from (the built-in catalog cites at least one each).
    pub(crate) sources: Vec<Source>,
    /// The lifetime the provider documents for a credential, where it does.
    pub(crate) expiry: Option<DeclaredExpiry>,
}

/// A credential's lifetime as the provider documents it (`[connectors.ID.expiry]`).
#[derive(Debug, Clone)]
pub(crate) struct DeclaredExpiry {
    pub(crate) lifetime_days: u32,
    pub(crate) counted_from: CountedFrom,
    pub(crate) sources: Vec<Source>,
}

impl DeclaredExpiry {
    /// The lifetime in words: "365 days after it is linked", "after 14 days without use".
    pub(crate) fn describe(&self) -> String {
        match self.counted_from {
            CountedFrom::Linked => format!("{} days after it is linked", self.lifetime_days),
            CountedFrom::LastUse => format!("after {} days without use", self.lifetime_days),
        }
    }

    pub(crate) fn counted_from_str(&self) -> &'static str {
        match self.counted_from {
            CountedFrom::Linked => "linked",
            CountedFrom::LastUse => "last_use",
        }
    }
}

/// What a declared lifetime is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CountedFrom {
    /// When the credential was linked (issued): a fixed lifetime.
    Linked,
    /// The last successful use: an idle window.
    LastUse,
}

/// The other connector of the same product (an API key beside an OAuth app): `connectors ID`
/// names it and says when to choose it.
#[derive(Debug, Clone)]
pub(crate) struct Alternative {
    pub(crate) id: String,
    pub(crate) when: String,
}

/// Where sources disagree on the form of a value (Traffit's client ID: the name typed, or the
/// instance name, `_` and the name), the provider decides: a value refused as an unknown
/// client is tried once more with `prefix` (a template of other fields) in front of it, where
/// it does not start with it already.
#[derive(Debug, Clone)]
pub(crate) struct PrefixRetry {
    pub(crate) field: String,
    pub(crate) prefix: Template,
}

/// A public page a connector's facts come from.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// An https URL.
    pub(crate) url: String,
    /// What the page supports: the token endpoint, the client authentication, the check call,
    /// the steps...
    pub(crate) supports: String,
    pub(crate) confidence: Confidence,
}

/// How sure a source makes the facts it supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Confidence {
    /// The provider's own documentation says so.
    Confirmed,
    /// Other public material says so: third-party integrator docs, public code.
    Public,
    /// Inferred, and not tested against the provider.
    Inferred,
}

impl Confidence {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Public => "public",
            Confidence::Inferred => "inferred",
        }
    }
}

impl Connector {
    /// The product the connector links: its name without a variant in parentheses
    /// (`SPS Commerce (sandbox keys)` is `SPS Commerce`), so a sandbox, region or OAuth-app
    /// variant counts once.
    pub(crate) fn product(&self) -> &str {
        self.name.split(" (").next().unwrap_or(&self.name)
    }

    pub(crate) fn auth(&self) -> AuthKind {
        match &self.check {
            Check::OAuth(spec) if spec.authorize.is_some() => AuthKind::Oauth2AuthorizationCode,
            Check::OAuth(spec) if spec.device_authorization.is_some() => AuthKind::Oauth2DeviceCode,
            Check::OAuth(spec) if spec.grant == Grant::RefreshToken => AuthKind::Oauth2RefreshToken,
            Check::OAuth(spec) if spec.grant == Grant::JwtBearer => AuthKind::Oauth2JwtBearer,
            Check::OAuth(spec) if spec.grant == Grant::Saml2Bearer => AuthKind::Oauth2Saml2Bearer,
            Check::OAuth(_) => AuthKind::Oauth2ClientCredentials,
            Check::ApiKey(_) => AuthKind::ApiKey,
            Check::Exchange(_) => AuthKind::TokenExchange,
        }
    }

    /// Whether a linked account's check spends a refresh token (the refresh grant), which a
    /// provider that rotates refresh tokens accepts once.
    pub(crate) fn spends_refresh_token(&self) -> bool {
        matches!(&self.check, Check::OAuth(spec) if spec.grant == Grant::RefreshToken)
    }

    /// Whether the TLS handshake presents a client certificate (mutual TLS).
    pub(crate) fn uses_client_certificate(&self) -> bool {
        self.field_by_role(FieldRole::ClientCertificate).is_some()
    }

    pub(crate) fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub(crate) fn field_by_role(&self, role: FieldRole) -> Option<&Field> {
        self.fields.iter().find(|f| f.role == role)
    }

    /// The first secret field (the only one of most connectors).
    pub(crate) fn secret_field(&self) -> &Field {
        self.fields
            .iter()
            .find(|f| f.secret)
            .expect("validated: at least one secret field")
    }

    pub(crate) fn secret_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.secret)
    }

    /// Fields whose values the store keeps with the secret rather than in the record: the
    /// secret ones, and PEM documents (a certificate does not fit a team store's metadata).
    pub(crate) fn kept_with_secret(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.secret || f.role.is_pem())
    }

    /// The query parameter that carries a secret, for a provider that takes it only there.
    pub(crate) fn secret_in_url(&self) -> Option<&QuerySecret> {
        match &self.check {
            Check::ApiKey(spec) => spec.query_secret.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn label(&self, field_id: &str) -> String {
        self.field(field_id)
            .map_or_else(|| field_id.to_owned(), |f| f.label.clone())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub(crate) hints: BTreeMap<String, String>,
    pub(crate) connectors: BTreeMap<String, Connector>,
}

impl Catalog {
    pub(crate) fn get(&self, id: &str) -> Result<&Connector, UnknownConnector> {
        self.connectors.get(id).ok_or_else(|| UnknownConnector {
            id: crate::base::text::clean_truncated(id, 64),
            known: self.connectors.keys().cloned().collect(),
        })
    }

    /// The connector's own hint for a key, else the catalog's generic one.
    pub(crate) fn hint(&self, connector: Option<&Connector>, key: HintKey) -> Option<String> {
        connector
            .and_then(|c| c.hints.get(key.as_str()))
            .or_else(|| self.hints.get(key.as_str()))
            .cloned()
    }
}
