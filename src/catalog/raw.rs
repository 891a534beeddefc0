//! The connectors file as written (serde): every key the loader accepts, unknown keys refused.
//! `validate` turns these into the model of `mod.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{AuthKind, Category, ClientAuth, Confidence, CountedFrom};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalog {
    #[serde(default)]
    pub(super) hints: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) connectors: BTreeMap<String, RawConnector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConnector {
    pub(super) name: String,
    /// What kind of product it is, for `connectors --category`.
    pub(super) category: Option<Category>,
    pub(super) auth: AuthKind,
    pub(super) docs: Option<String>,
    #[serde(default)]
    pub(super) steps: Vec<String>,
    /// Shown after the steps by `connectors ID`: what a user should know beyond the steps.
    #[serde(default)]
    pub(super) notes: Vec<String>,
    /// Shown after `revoke` removed the account: what stays active at the provider.
    pub(super) revoke_note: Option<String>,
    /// The other connector of the same product (an API key beside an OAuth app), and when to
    /// choose it.
    pub(super) alternative: Option<RawAlternative>,
    #[serde(default)]
    pub(super) hints: BTreeMap<String, String>,
    pub(super) token_url: Option<String>,
    pub(super) client_auth: Option<ClientAuth>,
    pub(super) scope: Option<String>,
    #[serde(default)]
    pub(super) token_params: BTreeMap<String, String>,
    pub(super) revoke_url: Option<String>,
    /// `oauth2_authorization_code`: the provider's authorization endpoint (a URL template).
    pub(super) authorize_url: Option<String>,
    /// Extra parameters of the authorization request (Lever's `audience`).
    #[serde(default)]
    pub(super) authorize_params: BTreeMap<String, String>,
    /// Whether to send PKCE (S256); `false` for providers that reject it.
    pub(super) pkce: Option<bool>,
    /// The fixed loopback port of the redirect URI the user registers.
    pub(super) redirect_port: Option<u16>,
    /// The path of the redirect URI (`/callback`).
    pub(super) redirect_path: Option<String>,
    /// `oauth2_device_code`: the device authorization endpoint (RFC 8628 3.1, a URL template).
    pub(super) device_authorization_url: Option<String>,
    /// The assertion kinds: the assertion's audience when it is not the token endpoint's URL (a
    /// template).
    pub(super) assertion_audience: Option<String>,
    /// The base URL the product's API paths are relative to (a URL template), for `api`.
    pub(super) api_base: Option<String>,
    pub(super) permission_check: Option<RawPermissionCheck>,
    /// A second try with a prefix in front of a field's value, when the provider refuses the
    /// first as an unknown client.
    pub(super) prefix_retry: Option<RawPrefixRetry>,
    /// OAuth kinds: the scopes the check needs; a token whose granted `scope` lacks one fails.
    pub(super) check_scope: Option<String>,
    pub(super) verify: Option<RawVerify>,
    pub(super) exchange: Option<RawExchange>,
    #[serde(default)]
    pub(super) fields: Vec<RawField>,
    /// How long a credential of the product lives, where the provider says so.
    pub(super) expiry: Option<RawExpiry>,
    /// Where the entry's facts come from.
    #[serde(default)]
    pub(super) sources: Vec<RawSource>,
}

/// `[connectors.ID.expiry]`: a lifetime the provider documents, with the pages that say so.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpiry {
    pub(super) lifetime_days: u32,
    pub(super) counted_from: CountedFrom,
    #[serde(default)]
    pub(super) sources: Vec<RawSource>,
}

/// `token_exchange`: the sign-in call that trades the secret(s) for a token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExchange {
    #[serde(default = "default_post")]
    pub(super) method: String,
    pub(super) url: String,
    pub(super) basic_auth: Option<RawBasic>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    pub(super) json_body: Option<String>,
    #[serde(default)]
    pub(super) form: BTreeMap<String, String>,
    pub(super) token_pointer: String,
    pub(super) token_prefix: Option<String>,
    pub(super) expires_in: Option<RawLifetime>,
}

/// A token's lifetime: fixed seconds, or a JSON pointer into the answer.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawLifetime {
    Seconds(u64),
    Pointer(String),
}

fn default_post() -> String {
    "POST".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVerify {
    #[serde(default = "default_method")]
    pub(super) method: String,
    pub(super) url: String,
    pub(super) basic_auth: Option<RawBasic>,
    pub(super) bearer: Option<String>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    pub(super) json_body: Option<String>,
    /// The query parameter that carries the secret, for a provider that takes it nowhere
    /// else: declared here, refused anywhere else in a URL.
    pub(super) query_secret: Option<RawQuerySecret>,
    pub(super) success_pointer: Option<String>,
    /// A JSON pointer whose `true` in a 2xx answer means the key was refused (PeopleHR's
    /// `/isError`).
    pub(super) error_pointer: Option<String>,
    pub(super) error_header: Option<String>,
    /// A JSON pointer to the key's expiry in a 2xx answer (RFC 3339 or Unix seconds).
    pub(super) expires_at_pointer: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuerySecret {
    /// The query parameter's name (JazzHR: `apikey`).
    pub(super) param: String,
    /// The secret field it carries.
    pub(super) field: String,
}

fn default_method() -> String {
    "GET".to_owned()
}

/// A read-only call made with the token by `test --explain`, to prove the permissions the
/// account needs are granted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPermissionCheck {
    #[serde(default = "default_method")]
    pub(super) method: String,
    pub(super) url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlternative {
    pub(super) id: String,
    pub(super) when: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrefixRetry {
    pub(super) field: String,
    pub(super) prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBasic {
    pub(super) username: String,
    #[serde(default)]
    pub(super) password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub(super) id: String,
    pub(super) label: String,
    #[serde(default)]
    pub(super) secret: bool,
    pub(super) pattern: Option<String>,
    /// The shape values usually have, when it is only a guess: a warning, not a refusal.
    pub(super) expect: Option<String>,
    pub(super) help: Option<String>,
    pub(super) example: Option<String>,
    #[serde(default)]
    pub(super) optional: bool,
    pub(super) default: Option<String>,
    pub(super) sign_in_url: Option<String>,
}

/// One source of a connector's facts: a public page, what it supports, how sure.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) url: String,
    pub(super) supports: String,
    pub(super) confidence: Confidence,
}
