//! The connector catalog: `connectors.toml` built into the binary, extended or overridden by
//! the user's own file, validated as a whole before any command uses it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex_lite::Regex;
use serde::Deserialize;

use crate::files;
use crate::outcome::HintKey;
use crate::secret::Secret;
use crate::template::{Template, check_url_scheme};

const BUILT_IN: &str = include_str!("../connectors.toml");
/// A connectors file larger than this is refused: the built-in one is under 64 KiB.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where a catalog entry came from, for messages that say what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    BuiltIn,
    UserFile(std::path::PathBuf),
    #[cfg(test)]
    Text(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("the built-in connectors.toml"),
            Origin::UserFile(p) => write!(f, "{}", p.display()),
            #[cfg(test)]
            Origin::Text(t) => f.write_str(t),
        }
    }
}

/// Why a catalog cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CatalogError {
    #[error("cannot read connectors file {path}: {why}")]
    Read { path: String, why: String },
    #[error("{origin} is not a valid connectors file: {why}")]
    Parse { origin: Origin, why: String },
    #[error("connector `{id}` is invalid: {why}")]
    Invalid {
        origin: Origin,
        id: String,
        why: String,
    },
    #[error("[hints] in {origin}: {why}")]
    Hints { origin: Origin, why: String },
}

impl CatalogError {
    pub(crate) fn origin(&self) -> Option<&Origin> {
        match self {
            CatalogError::Read { .. } => None,
            CatalogError::Parse { origin, .. }
            | CatalogError::Invalid { origin, .. }
            | CatalogError::Hints { origin, .. } => Some(origin),
        }
    }
}

/// No connector of that id.
#[derive(Debug, thiserror::Error)]
#[error("unknown connector `{id}`")]
pub(crate) struct UnknownConnector {
    pub(crate) id: String,
    pub(crate) known: Vec<String>,
}

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
    /// The PEM private key that signs a `private_key_jwt` client assertion; a secret.
    PrivateKey,
    /// The PEM client certificate of `tls_client_auth` (RFC 8705); not a secret.
    ClientCertificate,
    /// The PEM private key of that certificate; a secret.
    ClientKey,
    /// Anything else (`--field ID=VALUE`).
    Other,
}

/// The redirect port when a connector declares none: the user registers
/// `http://127.0.0.1:53682/callback` (a fixed port, as rclone does: few providers accept any
/// loopback port).
pub(crate) const DEFAULT_REDIRECT_PORT: u16 = 53682;
/// The redirect path when a connector declares none.
pub(crate) const DEFAULT_REDIRECT_PATH: &str = "/callback";

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
            FieldRole::ClientCertificate,
            FieldRole::ClientKey,
        ]
        .into_iter()
        .find(|r| r.id() == Some(id))
        .unwrap_or(FieldRole::Other)
    }
}

// ---- the file format (serde) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    hints: BTreeMap<String, String>,
    #[serde(default)]
    connectors: BTreeMap<String, RawConnector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnector {
    name: String,
    /// What kind of product it is, for `connectors --category`.
    category: Option<Category>,
    auth: AuthKind,
    docs: Option<String>,
    #[serde(default)]
    steps: Vec<String>,
    /// Shown after the steps by `connectors ID`: what a user should know beyond the steps.
    #[serde(default)]
    notes: Vec<String>,
    /// Shown after `revoke` removed the account: what stays active at the provider.
    revoke_note: Option<String>,
    #[serde(default)]
    hints: BTreeMap<String, String>,
    token_url: Option<String>,
    client_auth: Option<ClientAuth>,
    scope: Option<String>,
    #[serde(default)]
    token_params: BTreeMap<String, String>,
    revoke_url: Option<String>,
    /// `oauth2_authorization_code`: the provider's authorization endpoint (a URL template).
    authorize_url: Option<String>,
    /// Extra parameters of the authorization request (Lever's `audience`).
    #[serde(default)]
    authorize_params: BTreeMap<String, String>,
    /// Whether to send PKCE (S256); `false` for providers that reject it.
    pkce: Option<bool>,
    /// The fixed loopback port of the redirect URI the user registers.
    redirect_port: Option<u16>,
    /// The path of the redirect URI (`/callback`).
    redirect_path: Option<String>,
    /// `oauth2_device_code`: the device authorization endpoint (RFC 8628 3.1, a URL template).
    device_authorization_url: Option<String>,
    permission_check: Option<RawPermissionCheck>,
    verify: Option<RawVerify>,
    exchange: Option<RawExchange>,
    #[serde(default)]
    fields: Vec<RawField>,
}

/// `token_exchange`: the sign-in call that trades the secret(s) for a token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExchange {
    #[serde(default = "default_post")]
    method: String,
    url: String,
    basic_auth: Option<RawBasic>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json_body: Option<String>,
    #[serde(default)]
    form: BTreeMap<String, String>,
    token_pointer: String,
    token_prefix: Option<String>,
    expires_in: Option<RawLifetime>,
}

/// A token's lifetime: fixed seconds, or a JSON pointer into the answer.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawLifetime {
    Seconds(u64),
    Pointer(String),
}

fn default_post() -> String {
    "POST".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    basic_auth: Option<RawBasic>,
    bearer: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json_body: Option<String>,
    success_pointer: Option<String>,
    error_header: Option<String>,
}

fn default_method() -> String {
    "GET".to_owned()
}

/// A read-only call made with the token by `test --explain`, to prove the permissions the
/// account needs are granted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPermissionCheck {
    #[serde(default = "default_method")]
    method: String,
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasic {
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: String,
    label: String,
    #[serde(default)]
    secret: bool,
    pattern: Option<String>,
    help: Option<String>,
    example: Option<String>,
    #[serde(default)]
    optional: bool,
    default: Option<String>,
    sign_in_url: Option<String>,
}

// ---- the validated model ----

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
    pub(crate) pattern: Option<Regex>,
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
}

#[derive(Debug, Clone)]
pub(crate) struct OAuthSpec {
    pub(crate) grant: Grant,
    pub(crate) token_url: Template,
    pub(crate) client_auth: ClientAuth,
    pub(crate) scope: Option<String>,
    pub(crate) token_params: BTreeMap<String, Template>,
    pub(crate) revoke_url: Option<Template>,
    pub(crate) permission_check: Option<(reqwest::Method, Template)>,
    /// `oauth2_authorization_code`: how `link` gets the refresh token (`grant` is then
    /// [`Grant::RefreshToken`]: a linked account refreshes like `oauth2_refresh_token`).
    pub(crate) authorize: Option<AuthorizeSpec>,
    /// `oauth2_device_code`: the device authorization endpoint `link` starts at (`grant` is
    /// then [`Grant::RefreshToken`] too).
    pub(crate) device_authorization: Option<Template>,
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
    pub(crate) json_body: Option<String>,
    pub(crate) success_pointer: Option<String>,
    pub(crate) error_header: Option<String>,
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
    /// A JSON document whose strings are templates (values are JSON-escaped when filled in).
    pub(crate) json_body: Option<serde_json::Value>,
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
    pub(crate) hints: BTreeMap<String, String>,
    pub(crate) fields: Vec<Field>,
    pub(crate) check: Check,
}

impl Connector {
    pub(crate) fn auth(&self) -> AuthKind {
        match &self.check {
            Check::OAuth(spec) if spec.authorize.is_some() => AuthKind::Oauth2AuthorizationCode,
            Check::OAuth(spec) if spec.device_authorization.is_some() => AuthKind::Oauth2DeviceCode,
            Check::OAuth(spec) if spec.grant == Grant::RefreshToken => AuthKind::Oauth2RefreshToken,
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

    /// The values kept with the secret, as the store keeps them: one [`Secret`]. For a
    /// connector with one such field (every account linked before there were several), the
    /// value itself; else a JSON object of the values by field id.
    pub(crate) fn pack_secrets(
        &self,
        values: &BTreeMap<String, String>,
        secrets: &BTreeMap<String, Secret>,
    ) -> Secret {
        let fields: Vec<&Field> = self.kept_with_secret().collect();
        let value_of = |f: &Field| match f.secret {
            true => secrets.get(&f.id).map_or("", Secret::expose),
            false => values.get(&f.id).map_or("", String::as_str),
        };
        if let [only] = fields.as_slice() {
            return Secret::new(value_of(only));
        }
        let object: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|f| (f.id.clone(), serde_json::Value::from(value_of(f))))
            .collect();
        Secret::new(serde_json::Value::Object(object).to_string())
    }

    /// The secret values and the other values kept with them, from the stored [`Secret`] (see
    /// [`Connector::pack_secrets`]). A value that cannot be read is left out, so that preparing
    /// it fails naming the field.
    pub(crate) fn unpack_secrets(
        &self,
        stored: &Secret,
    ) -> (BTreeMap<String, Secret>, BTreeMap<String, String>) {
        let fields: Vec<&Field> = self.kept_with_secret().collect();
        let mut secrets = BTreeMap::new();
        let mut values = BTreeMap::new();
        if let [only] = fields.as_slice() {
            secrets.insert(only.id.clone(), stored.clone());
            return (secrets, values);
        }
        let Ok(serde_json::Value::Object(object)) =
            serde_json::from_str::<serde_json::Value>(stored.expose())
        else {
            return (secrets, values);
        };
        for f in fields {
            let Some(value) = object.get(&f.id).and_then(serde_json::Value::as_str) else {
                continue;
            };
            if f.secret {
                secrets.insert(f.id.clone(), Secret::new(value));
            } else {
                values.insert(f.id.clone(), value.to_owned());
            }
        }
        (secrets, values)
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
    /// The built-in catalog, extended or overridden (by id) by the user's file.
    pub(crate) fn load(user_file: Option<&Path>) -> Result<Self, CatalogError> {
        let mut raw = parse(BUILT_IN, &Origin::BuiltIn)?;
        let mut origins: BTreeMap<String, Origin> = raw
            .connectors
            .keys()
            .map(|id| (id.clone(), Origin::BuiltIn))
            .collect();
        let mut hints_origin = Origin::BuiltIn;
        if let Some(path) = user_file {
            let text =
                files::read_regular(path, MAX_FILE_BYTES).map_err(|e| CatalogError::Read {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })?;
            let origin = Origin::UserFile(path.to_owned());
            let user = parse(&text, &origin)?;
            if !user.hints.is_empty() {
                hints_origin = origin.clone();
            }
            for id in user.connectors.keys() {
                origins.insert(id.clone(), origin.clone());
            }
            raw.hints.extend(user.hints);
            raw.connectors.extend(user.connectors);
        }
        Self::build(
            raw,
            &|id| origins.get(id).cloned().unwrap_or(Origin::BuiltIn),
            hints_origin,
        )
    }

    fn build(
        raw: RawCatalog,
        origin_of: &dyn Fn(&str) -> Origin,
        hints_origin: Origin,
    ) -> Result<Self, CatalogError> {
        let mut connectors = BTreeMap::new();
        for (id, c) in raw.connectors {
            let connector = validate(&id, c).map_err(|why| CatalogError::Invalid {
                origin: origin_of(&id),
                id: id.clone(),
                why,
            })?;
            connectors.insert(id, connector);
        }
        check_hint_keys(&raw.hints).map_err(|why| CatalogError::Hints {
            origin: hints_origin,
            why,
        })?;
        Ok(Self {
            hints: raw.hints,
            connectors,
        })
    }

    /// A catalog from TOML text alone (no built-in entries), validated as `load` does.
    #[cfg(test)]
    pub(crate) fn from_toml(text: &str, origin: &str) -> Result<Self, CatalogError> {
        let origin = Origin::Text(origin.to_owned());
        let raw = parse(text, &origin)?;
        Self::build(raw, &|_| origin.clone(), origin.clone())
    }

    pub(crate) fn get(&self, id: &str) -> Result<&Connector, UnknownConnector> {
        self.connectors.get(id).ok_or_else(|| UnknownConnector {
            id: crate::text::clean_truncated(id, 64),
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

fn parse(text: &str, origin: &Origin) -> Result<RawCatalog, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Parse {
        origin: origin.clone(),
        why: e.to_string().trim_end().to_owned(),
    })
}

fn check_hint_keys(hints: &BTreeMap<String, String>) -> Result<(), String> {
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

/// Text a catalog shows people (names, steps, notes, hints, labels, help) holds no control or
/// invisible character: a shared connectors file must not be able to write to a terminal or
/// hide text in what credlink prints.
fn check_shown_text(key: &str, text: &str) -> Result<(), String> {
    match text
        .chars()
        .position(|c| c.is_control() || crate::text::is_invisible(c))
    {
        Some(at) => Err(format!(
            "`{key}` holds a control or invisible character at character {}",
            at + 1
        )),
        None => Ok(()),
    }
}

fn is_id(s: &str, extra: u8) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || (extra == b'-' && b.is_ascii_digit()))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == extra)
}

fn validate(id: &str, raw: RawConnector) -> Result<Connector, String> {
    if !is_id(id, b'-') {
        return Err("ids are lowercase letters, digits and `-`".into());
    }
    if raw.name.trim().is_empty() {
        return Err("`name` is empty".into());
    }
    if let Some(docs) = &raw.docs {
        let url = url::Url::parse(docs).map_err(|e| format!("`docs` is not a URL: {e}"))?;
        if url.scheme() != "https" {
            return Err("`docs` must be an https URL".into());
        }
    }
    check_hint_keys(&raw.hints)?;
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
    let fields = validate_fields(raw.auth, raw.client_auth, raw.fields)?;
    let declared: BTreeMap<&str, &Field> = fields.iter().map(|f| (f.id.as_str(), f)).collect();
    let check_declared = |key: &str, t: &Template| -> Result<(), String> {
        match t.fields().find(|f| !declared.contains_key(f)) {
            Some(f) => Err(format!(
                "`{key}` uses `{{{f}}}` but no field `{f}` is declared"
            )),
            None => Ok(()),
        }
    };
    let template = |key: &str, raw: &str| -> Result<Template, String> {
        let t = Template::parse(raw).map_err(|e| format!("`{key}`: {e}"))?;
        check_declared(key, &t)?;
        Ok(t)
    };
    let url_template = |key: &str, raw: &str| -> Result<Template, String> {
        let t = Template::parse_url(raw).map_err(|e| format!("`{key}`: {e}"))?;
        check_declared(key, &t)?;
        for f in t.fields() {
            let field = declared[f];
            if field.secret || field.pattern.is_none() {
                return Err(format!(
                    "`{key}` uses `{{{f}}}`, which must be a non-secret field with a `pattern`"
                ));
            }
        }
        let sample: BTreeMap<&str, &str> = t.fields().map(|f| (f, "sample")).collect();
        let url = url::Url::parse(&t.render(&sample).unwrap_or_default())
            .map_err(|e| format!("`{key}` is not a valid URL: {e}"))?;
        check_url_scheme(&url).map_err(|e| format!("`{key}`: {e}"))?;
        Ok(t)
    };
    // Fixed text of a header must be sendable as is: a CR or LF would end the header.
    let header_template = |key: &str, raw: &str| -> Result<Template, String> {
        let t = template(key, raw)?;
        for text in t.literal_text() {
            if reqwest::header::HeaderValue::from_str(text).is_err() {
                return Err(format!(
                    "`{key}` holds a character a header cannot carry (a line break or control character)"
                ));
            }
        }
        Ok(t)
    };
    let oauth_only = [
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
    ];
    let code_only = &oauth_only[5..10];
    let device_only = &oauth_only[10..];
    let refuse = |keys: &[(&str, bool)], kinds: &str| match keys.iter().find(|(_, set)| *set) {
        Some((key, _)) => Err(format!("`{key}` is for {kinds} connectors")),
        None => Ok(()),
    };
    let permission_check = |raw: Option<RawPermissionCheck>| {
        raw.map(|p| {
            Ok::<_, String>((
                method("permission_check.method", &p.method)?,
                url_template("permission_check.url", &p.url)?,
            ))
        })
        .transpose()
    };
    // Where a value is sent in the clear of a header: the fixed text must be sendable.
    let headers_of = |key: &str, raw: BTreeMap<String, String>| {
        let mut headers = BTreeMap::new();
        for (name, value) in raw {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{key}`: `{name}` is not a header name"))?;
            headers.insert(
                name.clone(),
                header_template(&format!("{key}.{name}"), &value)?,
            );
        }
        Ok::<_, String>(headers)
    };
    let basic_of = |key: &str, raw: Option<RawBasic>| {
        raw.map(|b| {
            Ok::<_, String>((
                header_template(&format!("{key}.username"), &b.username)?,
                header_template(&format!("{key}.password"), &b.password)?,
            ))
        })
        .transpose()
    };
    let check = match raw.auth {
        AuthKind::Oauth2ClientCredentials
        | AuthKind::Oauth2RefreshToken
        | AuthKind::Oauth2AuthorizationCode
        | AuthKind::Oauth2DeviceCode => {
            let code = raw.auth == AuthKind::Oauth2AuthorizationCode;
            let device = raw.auth == AuthKind::Oauth2DeviceCode;
            if !code {
                refuse(code_only, "oauth2_authorization_code")?;
            }
            if !device {
                refuse(device_only, "oauth2_device_code")?;
            }
            if raw.client_auth == Some(ClientAuth::None) && !code && !device {
                return Err(
                    "`client_auth = \"none\"` (a public client) is for oauth2_authorization_code and oauth2_device_code connectors".into(),
                );
            }
            if raw.verify.is_some() {
                return Err("`verify` is for api_key connectors".into());
            }
            if raw.exchange.is_some() {
                return Err("`exchange` is for token_exchange connectors".into());
            }
            let kind = raw.auth.as_str();
            let token_url = raw
                .token_url
                .ok_or_else(|| format!("`token_url` is required for {kind}"))?;
            let client_auth = raw.client_auth.ok_or(
                "`client_auth` is required (basic, post, json, private_key_jwt or tls_client_auth)",
            )?;
            let mut token_params = BTreeMap::new();
            for (k, v) in raw.token_params {
                let own = [
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
                ];
                if own.contains(&k.as_str()) {
                    return Err(format!("`token_params.{k}` is set by credlink itself"));
                }
                let t = template(&format!("token_params.{k}"), &v)?;
                if t.fields().any(|f| declared[f].secret) {
                    return Err(format!("`token_params.{k}` may not hold the secret"));
                }
                token_params.insert(k, t);
            }
            let authorize = if code {
                let url = raw
                    .authorize_url
                    .as_deref()
                    .ok_or("`authorize_url` is required for oauth2_authorization_code")?;
                let mut params = BTreeMap::new();
                for (k, v) in &raw.authorize_params {
                    let own = [
                        "response_type",
                        "client_id",
                        "redirect_uri",
                        "scope",
                        "state",
                        "code_challenge",
                        "code_challenge_method",
                    ];
                    if own.contains(&k.as_str()) {
                        return Err(format!("`authorize_params.{k}` is set by credlink itself"));
                    }
                    let t = template(&format!("authorize_params.{k}"), v)?;
                    if t.fields().any(|f| declared[f].secret) {
                        return Err(format!("`authorize_params.{k}` may not hold a secret"));
                    }
                    params.insert(k.clone(), t);
                }
                let redirect_path = raw
                    .redirect_path
                    .clone()
                    .unwrap_or_else(|| DEFAULT_REDIRECT_PATH.to_owned());
                let plain_path = redirect_path.starts_with('/')
                    && redirect_path
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
                if !plain_path {
                    return Err(
                        "`redirect_path` is a path such as /callback (letters, digits, / - _ . ~)"
                            .into(),
                    );
                }
                if raw.redirect_port == Some(0) {
                    return Err("`redirect_port` is a port from 1 to 65535".into());
                }
                Some(AuthorizeSpec {
                    url: url_template("authorize_url", url)?,
                    params,
                    pkce: raw.pkce.unwrap_or(true),
                    redirect_port: raw.redirect_port.unwrap_or(DEFAULT_REDIRECT_PORT),
                    redirect_path,
                })
            } else {
                None
            };
            let device_authorization = match (device, raw.device_authorization_url.as_deref()) {
                (true, Some(url)) => Some(url_template("device_authorization_url", url)?),
                (true, None) => {
                    return Err(
                        "`device_authorization_url` is required for oauth2_device_code".into(),
                    );
                }
                (false, _) => None,
            };
            Check::OAuth(OAuthSpec {
                authorize,
                device_authorization,
                grant: match raw.auth {
                    AuthKind::Oauth2ClientCredentials => Grant::ClientCredentials,
                    _ => Grant::RefreshToken,
                },
                token_url: url_template("token_url", &token_url)?,
                client_auth,
                scope: raw.scope.filter(|s| !s.trim().is_empty()),
                token_params,
                revoke_url: raw
                    .revoke_url
                    .map(|u| url_template("revoke_url", &u))
                    .transpose()?,
                permission_check: permission_check(raw.permission_check)?,
            })
        }
        AuthKind::TokenExchange => {
            refuse(&oauth_only, "OAuth")?;
            if raw.verify.is_some() {
                return Err("`verify` is for api_key connectors".into());
            }
            let x = raw
                .exchange
                .ok_or("`exchange` is required for token_exchange connectors")?;
            let json_body = x
                .json_body
                .map(|body| {
                    let mut json = serde_json::from_str::<serde_json::Value>(&body)
                        .map_err(|e| format!("`exchange.json_body` is not JSON: {e}"))?;
                    let mut bad = None;
                    visit_strings(&mut json, &mut |s: &mut String| {
                        if bad.is_none()
                            && let Err(e) = template("exchange.json_body", s)
                        {
                            bad = Some(e);
                        }
                    });
                    match bad {
                        Some(e) => Err(e),
                        None => Ok(json),
                    }
                })
                .transpose()?;
            let mut form = BTreeMap::new();
            for (k, v) in x.form {
                form.insert(k.clone(), template(&format!("exchange.form.{k}"), &v)?);
            }
            if json_body.is_some() && !form.is_empty() {
                return Err("`exchange` sends `json_body` or `form`, not both".into());
            }
            if !x.token_pointer.starts_with('/') {
                return Err("`exchange.token_pointer` is a JSON pointer starting with `/`".into());
            }
            let expires_in = match x.expires_in {
                None => None,
                Some(RawLifetime::Seconds(s)) => Some(Lifetime::Seconds(s)),
                Some(RawLifetime::Pointer(p)) if p.starts_with('/') => Some(Lifetime::Pointer(p)),
                Some(RawLifetime::Pointer(_)) => {
                    return Err(
                        "`exchange.expires_in` is seconds or a JSON pointer starting with `/`"
                            .into(),
                    );
                }
            };
            let spec = ExchangeSpec {
                method: method("exchange.method", &x.method)?,
                url: url_template("exchange.url", &x.url)?,
                basic_auth: basic_of("exchange.basic_auth", x.basic_auth)?,
                headers: headers_of("exchange.headers", x.headers)?,
                json_body,
                form,
                token_pointer: x.token_pointer,
                token_prefix: x.token_prefix.filter(|p| !p.is_empty()),
                expires_in,
                permission_check: permission_check(raw.permission_check)?,
            };
            // Every secret is sent, and only where it cannot show in a URL.
            let mut sent: BTreeSet<String> = BTreeSet::new();
            let mut note = |t: &Template| sent.extend(t.fields().map(str::to_owned));
            spec.basic_auth
                .iter()
                .flat_map(|(u, p)| [u, p])
                .for_each(&mut note);
            spec.headers.values().for_each(&mut note);
            spec.form.values().for_each(&mut note);
            if let Some(body) = &spec.json_body {
                let mut body = body.clone();
                visit_strings(&mut body, &mut |s: &mut String| {
                    if let Ok(t) = Template::parse(s) {
                        note(&t);
                    }
                });
            }
            if let Some(missing) = fields.iter().find(|f| f.secret && !sent.contains(&f.id)) {
                return Err(format!(
                    "`exchange` never sends `{{{}}}`, so it would not check it",
                    missing.id
                ));
            }
            Check::Exchange(spec)
        }
        AuthKind::ApiKey => {
            refuse(&oauth_only, "OAuth")?;
            refuse(
                &[("permission_check", raw.permission_check.is_some())],
                "OAuth or token_exchange",
            )?;
            if raw.exchange.is_some() {
                return Err("`exchange` is for token_exchange connectors".into());
            }
            let v = raw
                .verify
                .ok_or("`verify` is required for api_key connectors")?;
            let method = method("verify.method", &v.method)?;
            let basic_auth = basic_of("verify.basic_auth", v.basic_auth)?;
            let bearer = v
                .bearer
                .map(|b| header_template("verify.bearer", &b))
                .transpose()?;
            let headers = headers_of("verify.headers", v.headers)?;
            if let Some(body) = &v.json_body {
                serde_json::from_str::<serde_json::Value>(body)
                    .map_err(|e| format!("`verify.json_body` is not JSON: {e}"))?;
            }
            if let Some(p) = &v.success_pointer
                && !p.starts_with('/')
            {
                return Err("`verify.success_pointer` is a JSON pointer starting with `/`".into());
            }
            let secret_id = fields
                .iter()
                .find(|f| f.secret)
                .map(|f| f.id.as_str())
                .unwrap_or_default();
            let sends_secret = basic_auth
                .iter()
                .flat_map(|(u, p)| [u, p])
                .chain(bearer.iter())
                .chain(headers.values())
                .any(|t| t.fields().any(|f| f == secret_id));
            if !sends_secret {
                return Err(format!(
                    "`verify` never sends `{{{secret_id}}}`, so it would not check the key"
                ));
            }
            Check::ApiKey(VerifySpec {
                method,
                url: url_template("verify.url", &v.url)?,
                basic_auth,
                bearer,
                headers,
                json_body: v.json_body,
                success_pointer: v.success_pointer,
                error_header: v.error_header,
            })
        }
    };
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
    })
}

/// Calls `f` on every string of a JSON document.
pub(crate) fn visit_strings(json: &mut serde_json::Value, f: &mut dyn FnMut(&mut String)) {
    match json {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| visit_strings(v, f)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| visit_strings(v, f)),
        _ => {}
    }
}

fn method(key: &str, raw: &str) -> Result<reqwest::Method, String> {
    match raw.to_ascii_uppercase().as_str() {
        "GET" => Ok(reqwest::Method::GET),
        "POST" => Ok(reqwest::Method::POST),
        other => Err(format!("`{key}` `{other}` is not GET or POST")),
    }
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

fn validate_fields(
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
        if f.label.trim().is_empty() {
            return Err(format!("field `{}` has an empty label", f.id));
        }
        let role = FieldRole::of(&f.id);
        let must_be_secret = matches!(
            role,
            FieldRole::RefreshToken | FieldRole::PrivateKey | FieldRole::ClientKey
        );
        if must_be_secret && !f.secret {
            return Err(format!("field `{}` must be declared `secret = true`", f.id));
        }
        if role == FieldRole::ClientCertificate && f.secret {
            return Err(format!("field `{}` is a certificate, not a secret", f.id));
        }
        if role.is_pem() && (f.pattern.is_some() || f.sign_in_url.is_some()) {
            return Err(format!(
                "field `{}` holds a PEM document: it takes no pattern or sign_in_url",
                f.id
            ));
        }
        let pattern = f
            .pattern
            .map(|p| {
                if !p.starts_with('^') || !p.ends_with('$') {
                    return Err(format!(
                        "field `{}`: pattern must be anchored with ^ and $",
                        f.id
                    ));
                }
                Regex::new(&p)
                    .map_err(|e| format!("field `{}`: pattern is not a valid regex: {e}", f.id))
            })
            .transpose()?;
        if f.secret && (f.default.is_some() || f.optional || f.example.is_some()) {
            return Err(format!(
                "secret field `{}` cannot have a default, example or be optional",
                f.id
            ));
        }
        if let (Some(re), Some(d)) = (&pattern, &f.default)
            && !re.is_match(d)
        {
            return Err(format!(
                "field `{}`: default `{d}` does not match its pattern",
                f.id
            ));
        }
        let sign_in_host = f
            .sign_in_url
            .map(|url| {
                if f.secret {
                    return Err(format!("secret field `{}` cannot have a sign_in_url", f.id));
                }
                sign_in_host(&f.id, &url).map_err(|e| format!("field `{}`: sign_in_url {e}", f.id))
            })
            .transpose()?;
        fields.push(Field {
            role: FieldRole::of(&f.id),
            id: f.id,
            label: f.label,
            secret: f.secret,
            pattern,
            help: f.help,
            example: f.example,
            optional: f.optional,
            default: f.default,
            obtained: false,
            sign_in_host,
        });
    }
    let secrets: Vec<String> = fields
        .iter()
        .filter(|f| f.secret)
        .map(|f| f.id.clone())
        .collect();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    match auth {
        AuthKind::Oauth2ClientCredentials
        | AuthKind::Oauth2RefreshToken
        | AuthKind::Oauth2AuthorizationCode
        | AuthKind::Oauth2DeviceCode => {
            let signs_in = matches!(
                auth,
                AuthKind::Oauth2AuthorizationCode | AuthKind::Oauth2DeviceCode
            );
            if !seen.contains("client_id") {
                return Err(format!(
                    "{} connectors need a `client_id` field",
                    auth.as_str()
                ));
            }
            let Some(client_auth) = client_auth else {
                // Reported with the other OAuth keys.
                return Ok(fields);
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
                if seen.contains("refresh_token") {
                    return Err(
                        "declares no `refresh_token` field: the browser sign-in gives it".into(),
                    );
                }
                if client_auth == ClientAuth::None && seen.contains("client_secret") {
                    return Err(
                        "a public client (`client_auth = \"none\"`) has no `client_secret`".into(),
                    );
                }
            }
            // A client certificate is presented in the TLS handshake with any client
            // authentication (ADP: Basic and a certificate); tls_client_auth has no other.
            let certificate = seen.contains("client_certificate");
            if certificate && client_auth != ClientAuth::TlsClientAuth {
                wanted.push("client_key");
            }
            let mut have = secrets.clone();
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
                // The refresh token the sign-in gives, kept with the secret.
                fields.push(Field {
                    id: "refresh_token".into(),
                    role: FieldRole::RefreshToken,
                    label: "Refresh token".into(),
                    secret: true,
                    pattern: None,
                    help: None,
                    example: None,
                    optional: false,
                    default: None,
                    obtained: true,
                    sign_in_host: None,
                });
            }
        }
        _ if seen.contains("client_certificate") || seen.contains("client_key") => {
            return Err("`client_certificate` and `client_key` are for OAuth connectors".into());
        }
        AuthKind::ApiKey => {
            if !matches!(secrets.as_slice(), ["api_key" | "client_secret"]) {
                return Err("needs exactly one secret field, `api_key` or `client_secret`".into());
            }
        }
        AuthKind::TokenExchange => {
            if secrets.is_empty() {
                return Err("needs at least one secret field to exchange".into());
            }
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &[&str] = &[
        "personio",
        "traffit",
        "spotdraft",
        "sps-commerce",
        "sps-commerce-sandbox",
        "ashby",
        "greenhouse",
        "bamboohr",
        "workable",
        "hibob",
        "smartrecruiters",
    ];

    #[test]
    fn every_shipped_entry_is_valid_and_complete() {
        let catalog = Catalog::load(None).expect("built-in catalog loads");
        for id in SHIPPED {
            assert!(catalog.connectors.contains_key(*id), "{id} is shipped");
        }
        for (id, c) in &catalog.connectors {
            assert!(
                c.docs.as_deref().is_some_and(|d| d.starts_with("https://")),
                "{id}: docs"
            );
            assert!(!c.steps.is_empty(), "{id}: steps");
            assert!(c.category.is_some(), "{id}: category");
            let urls: Vec<&Template> = match &c.check {
                Check::OAuth(o) => std::iter::once(&o.token_url)
                    .chain(o.revoke_url.as_ref())
                    .collect(),
                Check::ApiKey(v) => vec![&v.url],
                Check::Exchange(x) => vec![&x.url],
            };
            for url in urls {
                assert!(
                    url.raw().starts_with("https://"),
                    "{id}: {} is https",
                    url.raw()
                );
            }
            if let Some(f) = c.field("subdomain") {
                assert_eq!(
                    f.pattern.as_ref().map(Regex::as_str),
                    Some("^[a-z0-9][a-z0-9-]{0,62}$"),
                    "{id}"
                );
            }
            for f in &c.fields {
                if let (Some(re), Some(ex)) = (&f.pattern, &f.example) {
                    assert!(
                        re.is_match(ex),
                        "{id}.{}: example `{ex}` matches its pattern",
                        f.id
                    );
                }
            }
        }
        for key in HintKey::ALL {
            assert!(
                catalog.hints.contains_key(key.as_str()),
                "generic hint `{key:?}`"
            );
        }
        let personio = catalog.get("personio").unwrap();
        let id = personio
            .field("client_id")
            .unwrap()
            .pattern
            .as_ref()
            .unwrap();
        assert!(
            id.is_match("papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a") && !id.is_match("dcec6d81")
        );
    }

    /// The full shape of a Personio client ID (papi- and a UUID, as in Personio's spec and
    /// StackOne's guide): an ID cut short when copied fails its pattern.
    #[test]
    fn a_personio_client_id_cut_short_does_not_match() {
        let catalog = Catalog::load(None).unwrap();
        let field = catalog.get("personio").unwrap().field("client_id").unwrap();
        let id = field.pattern.as_ref().unwrap();
        for whole in [
            "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
            "papi-baaaaaad-c0de-fade-baad-00000000001d",
            "papi-DCEC6D81-8C0F-47F0-9DD8-4E59755F041A",
        ] {
            assert!(id.is_match(whole), "{whole}");
        }
        let full = "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a";
        for cut in 5..full.len() {
            assert!(!id.is_match(&full[..cut]), "{}", &full[..cut]);
        }
        for wrong in [
            "dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
            "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a0",
            "papi-zcec6d81-8c0f-47f0-9dd8-4e59755f041a",
            "papi-FTcGcxmX_secret-pasted-into-the-id",
        ] {
            assert!(!id.is_match(wrong), "{wrong}");
        }
    }

    /// The two SPS Commerce connectors differ only in words: the key set they name.
    #[test]
    fn the_sps_commerce_key_sets_differ_only_in_their_words() {
        let catalog = Catalog::load(None).unwrap();
        let live = catalog.get("sps-commerce").unwrap();
        let sandbox = catalog.get("sps-commerce-sandbox").unwrap();
        let (Check::OAuth(a), Check::OAuth(b)) = (&live.check, &sandbox.check) else {
            panic!("both are OAuth connectors");
        };
        assert_eq!(a.token_url.raw(), b.token_url.raw());
        assert_eq!(a.client_auth, b.client_auth);
        assert_eq!(a.scope, b.scope);
        let params = |o: &OAuthSpec| -> Vec<(String, String)> {
            o.token_params
                .iter()
                .map(|(k, t)| (k.clone(), t.raw().to_owned()))
                .collect()
        };
        assert_eq!(params(a), params(b));
        assert_eq!(
            a.revoke_url.as_ref().map(Template::raw),
            b.revoke_url.as_ref().map(Template::raw)
        );
        let check = |o: &OAuthSpec| {
            o.permission_check
                .as_ref()
                .map(|(m, u)| (m.clone(), u.raw().to_owned()))
        };
        assert_eq!(check(a), check(b));
        let shape = |c: &Connector| -> Vec<_> {
            c.fields
                .iter()
                .map(|f| {
                    (
                        f.id.clone(),
                        f.secret,
                        f.optional,
                        f.default.clone(),
                        f.pattern.as_ref().map(|p| p.as_str().to_owned()),
                    )
                })
                .collect()
        };
        assert_eq!(shape(live), shape(sandbox));
        assert_eq!(
            live.hints.keys().collect::<Vec<_>>(),
            sandbox.hints.keys().collect::<Vec<_>>()
        );
        assert_eq!(live.steps.len(), sandbox.steps.len());
        for (c, set, other) in [
            (live, "Production Keys", "sps-commerce-sandbox"),
            (sandbox, "Sandbox Keys", "sps-commerce"),
        ] {
            let steps = c.steps.join(" ");
            assert!(
                steps.contains(&format!("This connector links the {set}")),
                "{}",
                c.id
            );
            assert!(
                steps.contains(&format!("credlink link {other}")),
                "{}",
                c.id
            );
            let link_again = format!("credlink link {} --name <name> --force", c.id);
            for key in ["invalid_client", "access_denied", "http_401"] {
                assert!(c.hints[key].contains(&link_again), "{}.{key}", c.id);
            }
        }
    }

    /// The FAQ's "authentication is failing" items, in the hints of the four founding
    /// connectors: revoked credentials and values cut short where a rejection is reported,
    /// and Personio's required permission in its guide's words.
    #[test]
    fn rejection_hints_name_revoked_credentials_and_values_cut_short() {
        let catalog = Catalog::load(None).unwrap();
        for (id, keys) in [
            (
                "personio",
                &["invalid_client", "unauthorized_client", "http_401"][..],
            ),
            ("traffit", &["invalid_client", "access_denied", "http_401"]),
            (
                "sps-commerce",
                &["invalid_client", "access_denied", "http_401"],
            ),
            (
                "sps-commerce-sandbox",
                &["invalid_client", "access_denied", "http_401"],
            ),
            ("spotdraft", &["http_401", "http_403"]),
        ] {
            let c = catalog.get(id).unwrap();
            for key in keys {
                let hint = catalog.hint(Some(c), HintKey::parse(key).unwrap()).unwrap();
                assert!(hint.contains("revoked"), "{id}.{key}: {hint}");
            }
            let first = catalog
                .hint(Some(c), HintKey::parse(keys[0]).unwrap())
                .unwrap();
            assert!(first.contains("cut short"), "{id}.{}: {first}", keys[0]);
            assert!(c.revoke_note.is_some(), "{id}: revoke_note");
        }
        let wrong_shape = catalog.hint(None, HintKey::WrongShape).unwrap();
        assert!(wrong_shape.contains("cut short"), "{wrong_shape}");
        let personio = catalog.get("personio").unwrap();
        for key in [HintKey::PermissionDenied, HintKey::Http403] {
            let hint = catalog.hint(Some(personio), key).unwrap();
            for words in [
                "Read access for Employees",
                "the connection fails without it",
                "create a new integration",
                "credlink link personio --name <name> --force",
            ] {
                assert!(hint.contains(words), "{key:?} lacks `{words}`: {hint}");
            }
        }
    }

    #[test]
    fn a_pasted_sign_in_url_gives_the_subdomain() {
        let catalog = Catalog::load(None).unwrap();
        let sub = catalog.get("traffit").unwrap().field("subdomain").unwrap();
        for pasted in [
            "https://acme.traffit.com",
            "https://ACME.traffit.com/login?next=/",
            " acme.traffit.com/ ",
            "http://acme.traffit.com:443/x",
        ] {
            assert_eq!(
                sub.value_from_url(pasted).as_deref(),
                Some("acme"),
                "{pasted}"
            );
        }
        for pasted in [
            "acme",
            "https://acme.traffit.com.evil.example",
            "https://a.b.traffit.com",
            "https://acme.workable.com",
            "https://traffit.com",
            "https://-bad.traffit.com",
            "https://www.traffit.com",
            "https://user@.traffit.com",
        ] {
            assert_eq!(sub.value_from_url(pasted), None, "{pasted}");
        }
        let personio = catalog.get("personio").unwrap();
        assert_eq!(
            personio
                .field("client_id")
                .unwrap()
                .value_from_url("https://x.personio.de"),
            None
        );
    }

    #[test]
    fn a_sign_in_url_must_hold_its_field_in_the_host() {
        for (url, why) in [
            ("http://{tenant}.example.com", "must start with https://"),
            (
                "https://example.com/{tenant}",
                "must hold {tenant} in its host",
            ),
            ("https://{tenant}.com", "domain.tld"),
            ("https://{tenant}.example.com:8443", "without a port"),
        ] {
            let text = LOCAL.replace(
                "pattern = \"^[a-z]+$\"",
                &format!("pattern = \"^[a-z]+$\"\nsign_in_url = \"{url}\""),
            );
            let err = load_user(&text).unwrap_err().to_string();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    fn load_user(text: &str) -> Result<Catalog, CatalogError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        Catalog::load(Some(&path))
    }

    const LOCAL: &str = r#"
[connectors.local]
name = "Local"
auth = "oauth2_client_credentials"
token_url = "http://127.0.0.1:9/{tenant}/token"
client_auth = "basic"
[[connectors.local.fields]]
id = "tenant"
label = "Tenant"
pattern = "^[a-z]+$"
[[connectors.local.fields]]
id = "client_id"
label = "Client ID"
[[connectors.local.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#;

    #[test]
    fn a_user_file_adds_and_overrides_entries() {
        let catalog = load_user(LOCAL).unwrap();
        assert!(catalog.connectors.contains_key("local"));
        assert!(catalog.connectors.contains_key("personio"));
    }

    #[test]
    fn notes_and_a_revoke_note_are_read_and_must_not_be_empty() {
        let with = |keys: &str| {
            LOCAL.replace(
                "client_auth = \"basic\"",
                &format!("client_auth = \"basic\"\n{keys}"),
            )
        };
        let catalog = load_user(&with(
            "notes = [\"a\", \"b\"]\nrevoke_note = \"stays active\"",
        ))
        .unwrap();
        let local = catalog.get("local").unwrap();
        assert_eq!(local.notes, ["a", "b"]);
        assert_eq!(local.revoke_note.as_deref(), Some("stays active"));
        for (keys, why) in [
            ("notes = [\"a\", \" \"]", "`notes` holds an empty note"),
            ("revoke_note = \"\"", "`revoke_note` is empty"),
        ] {
            let err = load_user(&with(keys)).unwrap_err().to_string();
            assert!(err.contains(why), "{keys}: {err}");
        }
    }

    #[test]
    fn bad_catalogs_are_refused_with_the_reason() {
        let cases = [
            (
                LOCAL.replace(
                    "client_auth = \"basic\"",
                    "client_auth = \"basic\"\ncolour = 1",
                ),
                "unknown field `colour`",
            ),
            (
                LOCAL.replace("http://127.0.0.1:9", "http://example.com"),
                "must use https",
            ),
            (
                LOCAL.replace("{tenant}", "{tenat}"),
                "no field `tenat` is declared",
            ),
            (
                LOCAL.replace("pattern = \"^[a-z]+$\"\n", ""),
                "must be a non-secret field with a `pattern`",
            ),
            (
                LOCAL.replace("secret = true", ""),
                "exactly one secret field",
            ),
            (
                LOCAL.replace("client_auth = \"basic\"", "client_auth = \"digest\""),
                "unknown variant `digest`",
            ),
            (
                format!("{LOCAL}\n[connectors.local]\nname = \"again\"\n"),
                "duplicate key",
            ),
            (
                LOCAL.replace("connectors.local", "connectors.Local"),
                "ids are lowercase",
            ),
            (
                LOCAL.replace("pattern = \"^[a-z]+$\"", "pattern = \"[a-z]+\""),
                "anchored",
            ),
            (
                LOCAL.replace("name = \"Local\"", "name = \"Lo\\u001b[2Jcal\""),
                "`name` holds a control or invisible character",
            ),
            (
                LOCAL.replace("label = \"Tenant\"", "label = \"Ten\\u202eant\""),
                "`fields.tenant` holds a control or invisible character",
            ),
            (
                format!("{LOCAL}\n[hints]\ndns = \"x\\u0007\"\n"),
                "`hints.dns` holds a control or invisible character",
            ),
        ];
        for (text, expected) in cases {
            let err = load_user(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "expected `{expected}` in: {err}");
        }
    }

    #[test]
    fn a_device_code_entry_loads_and_its_rules_hold() {
        let device = LOCAL.replace(
            "auth = \"oauth2_client_credentials\"",
            "auth = \"oauth2_device_code\"\ndevice_authorization_url = \"http://127.0.0.1:9/{tenant}/device\"",
        );
        let catalog = load_user(&device).unwrap();
        let local = catalog.get("local").unwrap();
        assert_eq!(local.auth(), AuthKind::Oauth2DeviceCode);
        let Check::OAuth(spec) = &local.check else {
            panic!("an OAuth check");
        };
        assert_eq!(spec.grant, Grant::RefreshToken);
        assert!(spec.authorize.is_none());
        // The sign-in gives the refresh token.
        assert!(local.field("refresh_token").is_some_and(|f| f.obtained));
        // A public client.
        let public = device
            .replace("client_auth = \"basic\"", "client_auth = \"none\"")
            .replace("[[connectors.local.fields]]\nid = \"client_secret\"\nlabel = \"Client secret\"\nsecret = true\n", "");
        assert!(load_user(&public).is_ok());
        let cases = [
            (
                device.replace(
                    "device_authorization_url = \"http://127.0.0.1:9/{tenant}/device\"\n",
                    "",
                ),
                "`device_authorization_url` is required for oauth2_device_code",
            ),
            (
                device.replace(
                    "client_auth = \"basic\"",
                    "client_auth = \"basic\"\nredirect_port = 1234",
                ),
                "`redirect_port` is for oauth2_authorization_code connectors",
            ),
            (
                LOCAL.replace(
                    "client_auth = \"basic\"",
                    "client_auth = \"basic\"\ndevice_authorization_url = \"http://127.0.0.1:9/d\"",
                ),
                "`device_authorization_url` is for oauth2_device_code connectors",
            ),
            (
                format!(
                    "{device}[[connectors.local.fields]]\nid = \"refresh_token\"\nlabel = \"R\"\nsecret = true\n"
                ),
                "declares no `refresh_token` field",
            ),
            (
                device.replace(
                    "device_authorization_url = \"http://127.0.0.1:9/",
                    "device_authorization_url = \"http://example.com/",
                ),
                "must use https",
            ),
        ];
        for (text, expected) in cases {
            let err = load_user(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "expected `{expected}` in: {err}");
        }
    }

    /// Angle brackets in the built-in texts are credlink's placeholders, `<connector>` and
    /// `<name>`, and only in the texts that are filled (hints, revoke notes): another word in
    /// brackets reads as one more to fill, and `<name>` elsewhere would be shown raw. Filled,
    /// with or without an account's name, no bracketed word is left.
    #[test]
    fn bracketed_words_are_only_the_placeholders_of_filled_texts() {
        let bracketed = Regex::new("<[^<>]{1,40}>").unwrap();
        let catalog = Catalog::load(None).unwrap();
        let mut failures = Vec::new();
        let mut check = |what: String, text: &str, filled: bool| {
            for found in bracketed.find_iter(text).map(|m| m.as_str()) {
                if !(filled && matches!(found, "<connector>" | "<name>")) {
                    failures.push(format!("{what}: {found}"));
                }
            }
        };
        for (key, hint) in &catalog.hints {
            check(format!("hints.{key}"), hint, true);
        }
        for c in catalog.connectors.values() {
            let filled = c
                .hints
                .iter()
                .chain(c.revoke_note.iter().map(|n| (&c.id, n)));
            for (key, text) in filled {
                check(format!("{}: {key}", c.id), text, true);
                for name in ["", "acme"] {
                    let shown = crate::commands::fill(text, Some(c), name);
                    check(format!("{}: {key} filled", c.id), &shown, false);
                }
            }
            let fields = c
                .fields
                .iter()
                .flat_map(|f| [&f.help, &f.example])
                .flatten();
            for text in c.steps.iter().chain(&c.notes).chain(fields) {
                check(c.id.clone(), text, false);
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
