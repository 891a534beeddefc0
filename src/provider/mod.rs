//! Talking to providers: the OAuth 2.0 client-credentials token request (RFC 6749 4.4), an API
//! key's verification call, the read-only permission call, and RFC 7009 revocation. Returns
//! typed [`Outcome`]s and never prints; `link`, `test`, `token` and `--explain` all check
//! through [`check`].

pub(crate) mod answer;
pub(crate) mod api;
pub(crate) mod assertion;
mod device;
pub(crate) mod http;
pub(crate) mod keys;
mod request;
mod saml;
mod scope;
mod second_try;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use url::Url;

use crate::base::outcome::{
    Failure, FailureKind, InputFault, NetFault, Outcome, PermissionCall, Stage,
};
use crate::base::secret::{REDACTED, Redactor, Secret};
use crate::base::template::{JsonTemplate, Template, TemplateError};
use crate::catalog::{
    Check, ClientAuth, Connector, ExchangeSpec, FieldRole, Grant, OAuthSpec, VerifySpec,
};
use crate::net;
use crate::provider::http::{Body, Http, Request, Value};
use request::{main_request, oauth_request};

pub(crate) use device::{DevicePoll, device_authorization, poll_device};

/// RFC 7523 2.2: the `client_assertion_type` of a JWT client assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a check is given: the non-secret field values and the secret ones, by field id.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) secrets: BTreeMap<String, Secret>,
    pub(crate) scope: Option<String>,
}

impl Credentials {
    pub(crate) fn template_values<'a>(
        &'a self,
        _connector: &'a Connector,
    ) -> BTreeMap<&'a str, &'a str> {
        let mut map: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (id, secret) in &self.secrets {
            map.insert(id.as_str(), secret.expose());
        }
        map
    }

    /// The value of the field with this role, or "".
    pub(crate) fn value(&self, connector: &Connector, role: FieldRole) -> &str {
        connector
            .field_by_role(role)
            .and_then(|f| self.values.get(&f.id))
            .map_or("", String::as_str)
    }

    /// The secret of the field with this role.
    pub(crate) fn secret(&self, role: FieldRole) -> Option<&Secret> {
        role.id().and_then(|id| self.secrets.get(id))
    }

    /// Removes every spelling of every secret, and of `client_id:secret` as Basic auth sends
    /// it.
    pub(crate) fn redactor(&self, connector: &Connector) -> Redactor {
        let mut r = Redactor::new(self.secrets.values());
        for secret in self.secrets.values() {
            r.add_basic_pair(self.value(connector, FieldRole::ClientId), secret);
        }
        r
    }

    /// These credentials with a rotated refresh token in place of the one sent.
    pub(crate) fn with_refresh_token(&self, token: &Secret) -> Credentials {
        let mut creds = self.clone();
        if let Some(id) = FieldRole::RefreshToken.id() {
            creds.secrets.insert(id.to_owned(), token.clone());
        }
        creds
    }
}

/// The URL of the main call (token endpoint, verification or sign-in call), as it will be
/// requested.
pub(crate) fn main_url(connector: &Connector, creds: &Credentials) -> Result<Url, TemplateError> {
    render_url(connector.check.main_url(), connector, creds)
}

/// The connector's `api_base` as it will be requested (`api`, `exec`).
pub(crate) fn api_base_url(
    connector: &Connector,
    creds: &Credentials,
) -> Result<Url, TemplateError> {
    match &connector.api_base {
        Some(t) => render_url(t, connector, creds),
        None => Err(TemplateError::NoApiBase(connector.id.clone())),
    }
}

pub(crate) fn render_url(
    template: &Template,
    connector: &Connector,
    creds: &Credentials,
) -> Result<Url, TemplateError> {
    template.render_url(&creds.template_values(connector), &|f| connector.label(f))
}

/// The scope asked for: the one chosen (`--scope`), else the connector's, its placeholders
/// filled in (each value inside its scope token, never adding one).
pub(crate) fn scope(
    connector: &Connector,
    creds: &Credentials,
) -> Result<Option<String>, TemplateError> {
    if let Some(chosen) = creds.scope.as_ref().filter(|s| !s.trim().is_empty()) {
        return Ok(Some(chosen.clone()));
    }
    let Check::OAuth(spec) = &connector.check else {
        return Ok(None);
    };
    spec.scope
        .as_ref()
        .map(|t| t.render_scope(&creds.template_values(connector), &|f| connector.label(f)))
        .transpose()
}

/// The authorization request of `oauth2_authorization_code` (RFC 6749 4.1.1, RFC 7636 4.3):
/// the address the browser opens. Nothing secret is in it.
pub(crate) fn authorize_url(
    connector: &Connector,
    creds: &Credentials,
    redirect_uri: &str,
    state: &str,
    challenge: Option<&str>,
) -> Result<Url, String> {
    let Check::OAuth(spec) = &connector.check else {
        return Err("not an OAuth connector".into());
    };
    let authorize = spec
        .authorize
        .as_ref()
        .ok_or("not an authorization-code connector")?;
    let mut url = render_url(&authorize.url, connector, creds).map_err(|e| e.to_string())?;
    let values = creds.template_values(connector);
    let scope = scope(connector, creds).map_err(|e| e.to_string())?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair("client_id", creds.value(connector, FieldRole::ClientId));
        q.append_pair("redirect_uri", redirect_uri);
        if let Some(scope) = &scope {
            q.append_pair("scope", scope);
        }
        q.append_pair("state", state);
        if let Some(challenge) = challenge {
            q.append_pair("code_challenge", challenge);
            q.append_pair("code_challenge_method", "S256");
        }
        for (k, t) in &authorize.params {
            if let Some(v) = t.render(&values) {
                q.append_pair(k, &v);
            }
        }
    }
    Ok(url)
}

/// Checks credentials live: the token request, verification or sign-in call, then, for a new
/// token, the connector's permission call where it declares one (unless `permissions` is
/// off). A refresh token the provider rotated is in [`Outcome::rotated`], whatever the rest of
/// the outcome: the one sent no longer works. Where the catalog declares a second try
/// (`prefix_retry`), a first refusal as an unknown client is followed by it.
pub(crate) async fn check(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    permissions: bool,
) -> Outcome {
    let first = check_once(http, connector, creds, permissions).await;
    match second_try::credentials(connector, creds, &first) {
        Some((again, second_try)) => {
            let mut outcome = check_once(http, connector, &again, permissions).await;
            outcome.second_try = Some(second_try);
            outcome
        }
        None => first,
    }
}

async fn check_once(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    permissions: bool,
) -> Outcome {
    let request = match main_request(connector, creds) {
        Ok(r) => r,
        Err(e) => return unsendable(e),
    };
    send_and_read(
        http,
        connector,
        creds,
        request,
        creds.redactor(connector),
        permissions,
    )
    .await
}

/// RFC 6749 4.1.3: trades the authorization code of `oauth2_authorization_code` (with the
/// PKCE verifier, RFC 7636 4.5) for tokens, then makes the permission call as [`check`] does.
/// Valid only with a refresh token, which is returned beside the outcome: the account keeps
/// it (and refreshes with it like an `oauth2_refresh_token` one).
pub(crate) async fn exchange_code(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    code: &Secret,
    verifier: Option<&Secret>,
    redirect_uri: &str,
    permissions: bool,
) -> (Outcome, Option<Secret>) {
    let Check::OAuth(spec) = &connector.check else {
        return (unsendable("not an OAuth connector"), None);
    };
    let mut redactor = creds.redactor(connector);
    redactor.add(code);
    let mut params = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("redirect_uri".to_owned(), redirect_uri.to_owned()),
    ];
    let values = creds.template_values(connector);
    for (k, t) in &spec.token_params {
        if let Some(v) = t.render(&values) {
            params.push((k.clone(), v));
        }
    }
    let mut sent = vec![("code", code)];
    if let Some(v) = verifier {
        redactor.add(v);
        sent.push(("code_verifier", v));
    }
    let request = match oauth_request(connector, spec, &spec.token_url, creds, &params, &sent) {
        Ok(r) => r,
        Err(e) => return (unsendable(e), None),
    };
    let outcome = send_and_read(http, connector, creds, request, redactor, permissions).await;
    first_refresh_token(connector, outcome)
}

/// The outcome of a sign-in's token request: valid only with a refresh token, which is
/// returned beside it.
fn first_refresh_token(connector: &Connector, mut outcome: Outcome) -> (Outcome, Option<Secret>) {
    // Not a rotation: the first refresh token.
    outcome.rotated = None;
    let refresh = outcome.token.as_ref().and_then(|t| t.refresh_token.clone());
    if outcome.is_valid() && refresh.is_none() {
        use crate::base::outcome::OAuthCode;
        let mut f = Failure::new(FailureKind::OAuth(OAuthCode::InvalidScope), Stage::Main)
            .with_description("the provider issued an access token but no refresh token, so the account could not be tested or used later");
        f.hint = Some(connector.hints.get("invalid_scope").cloned().unwrap_or_else(|| {
            "Ask for offline access: many providers issue a refresh token only with the `offline_access` scope (`--scope`), or when the app is allowed the refresh_token grant in its settings.".into()
        }));
        outcome.failure = Some(f);
    }
    (outcome, refresh)
}

async fn send_and_read(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    request: Request,
    redactor: Redactor,
    permissions: bool,
) -> Outcome {
    let redactor = request.redacting(redactor);
    match send(http, connector, &request, &redactor).await {
        Ok(response) => read(http, connector, creds, &response, redactor, permissions).await,
        Err(outcome) => outcome,
    }
}

/// Sends the main request; a network failure is its outcome.
async fn send(
    http: &Http,
    connector: &Connector,
    request: &Request,
    redactor: &Redactor,
) -> Result<http::Response, Outcome> {
    match http.send(request, redactor).await {
        Ok(r) => Ok(r),
        Err(e) if e.fault == NetFault::Dns => Err(network(
            tell_dns_apart(http, connector, &request.url, e).await,
            Stage::Main,
        )),
        Err(e) => Err(network(e, Stage::Main)),
    }
}

/// The outcome of the main request's answer, with the permission call where declared.
async fn read(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    response: &http::Response,
    mut redactor: Redactor,
    permissions: bool,
) -> Outcome {
    let mut outcome = match &connector.check {
        Check::OAuth(spec) => {
            let mut outcome = answer::token_outcome(response, &redactor);
            if let (Some(f), true) = (outcome.failure.as_mut(), spec.grant.is_assertion()) {
                assertion::refine(f, response, &redactor);
            }
            outcome
        }
        Check::ApiKey(spec) => answer::verify_outcome(spec, response, &redactor),
        Check::Exchange(spec) => answer::exchange_outcome(spec, response, &redactor),
    };
    outcome.answer = Some(answer::shape(response, &redactor));
    if let Some(f) = outcome.failure.as_mut()
        && f.hint.is_none()
    {
        f.hint = kind_hint(connector, f);
    }
    if let Some(token) = &outcome.token {
        redactor.add(&token.access_token);
        if let Some(refresh) = &token.refresh_token {
            redactor.add(refresh);
        }
        if let Check::OAuth(OAuthSpec {
            grant: Grant::RefreshToken,
            ..
        }) = &connector.check
            && let Some(new) = &token.refresh_token
            && creds.secret(FieldRole::RefreshToken).map(Secret::expose) != Some(new.expose())
        {
            outcome.rotated = Some(new.clone());
        }
    }
    scope::require(connector, &mut outcome);
    if let (Some(token), Some((method, url)), true) = (
        &outcome.token,
        connector.check.permission_check(),
        permissions && outcome.is_valid(),
    ) {
        let token = token.access_token.clone();
        permission_check(http, connector, creds, method, url, &token, &mut outcome).await;
    }
    outcome
}

/// What a rejection means for the newer kinds of credential, where the catalog's generic
/// hint (about a client ID and secret pair) would mislead; a connector's own hint wins.
fn kind_hint(connector: &Connector, f: &Failure) -> Option<String> {
    use crate::base::outcome::OAuthCode;
    let Check::OAuth(spec) = &connector.check else {
        return None;
    };
    let own = |key: &str| connector.hints.contains_key(key);
    let client_rejected = matches!(
        f.kind,
        FailureKind::OAuth(OAuthCode::InvalidClient | OAuthCode::UnauthorizedClient)
            | FailureKind::Http401
    );
    match (f.kind, spec.grant, spec.client_auth) {
        (FailureKind::OAuth(OAuthCode::InvalidGrant), Grant::RefreshToken, _)
            if !own("invalid_grant") =>
        {
            Some("The provider refused the refresh token: it expired, was revoked, or was already used (a provider that rotates refresh tokens accepts each one once, so an older copy, or one another program used, no longer works). Generate a new refresh token at the provider, then link the account again.".into())
        }
        (_, _, ClientAuth::PrivateKeyJwt) if client_rejected && !own("invalid_client") => {
            Some("The provider did not accept the signed client assertion: the private key is not the one registered for this client ID (or the key registered at the provider changed), or the client ID is wrong. Check the key pair and the client ID, then link again.".into())
        }
        (_, _, ClientAuth::TlsClientAuth) if client_rejected && !own("invalid_client") => {
            Some("The provider did not accept the client certificate: it is not the one registered for this client ID, not issued by a CA the provider trusts, or expired (`credlink test --explain` shows whose it is and when it expires).".into())
        }
        _ => None,
    }
}

/// A value that cannot be put in a request: nothing was sent.
fn unsendable(e: impl ToString) -> Outcome {
    Outcome::local(Failure::local(
        FailureKind::Input(InputFault::Unusable),
        e.to_string(),
    ))
}

/// A host that does not resolve: a wrong subdomain when the provider's own domain resolves,
/// else no network (or blocked DNS). A fixed host that does not resolve is the network's.
async fn tell_dns_apart(
    http: &Http,
    connector: &Connector,
    url: &Url,
    mut e: net::NetError,
) -> net::NetError {
    let host = url.host_str().unwrap_or_default();
    let base = connector.check.main_url().base_domain();
    let base_resolves = match &base {
        Some(base) => {
            let lookup = tokio::net::lookup_host((base.as_str(), 443));
            matches!(
                tokio::time::timeout(http.timeout(), lookup).await,
                Ok(Ok(_))
            )
        }
        None => false,
    };
    (e.fault, e.message) = dns_verdict(host, base.as_deref(), base_resolves);
    e
}
/// Whose problem a host that does not resolve is, from whether the provider's own domain
/// (`base`, for a host built from a subdomain) resolves.
fn dns_verdict(host: &str, base: Option<&str>, base_resolves: bool) -> (NetFault, String) {
    match (base, base_resolves) {
        (Some(base), true) => (
            NetFault::Dns,
            format!(
                "`{host}` does not resolve, though `{base}` does: no account at this address (a typo in the subdomain or region?)"
            ),
        ),
        (Some(base), false) => (
            NetFault::Offline,
            format!(
                "neither `{host}` nor `{base}` resolves: this machine has no network, or DNS is blocked"
            ),
        ),
        (None, _) => (
            NetFault::Offline,
            format!(
                "`{host}` does not resolve: this machine has no network, DNS is blocked, or the provider moved"
            ),
        ),
    }
}

fn network(e: net::NetError, stage: Stage) -> Outcome {
    let mut f = Failure::new(FailureKind::Net(e.fault), stage);
    f.description = Some(e.message);
    Outcome::failed(f, None, e.latency.as_millis() as u64)
}

/// With a token just issued, the connector's read-only call that proves the account has the
/// permissions an integration needs. A failure makes the whole outcome fail at that stage.
async fn permission_check(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    method: &reqwest::Method,
    url: &Template,
    token: &Secret,
    outcome: &mut Outcome,
) {
    let url = match render_url(url, connector, creds) {
        Ok(url) => url,
        Err(e) => {
            let rotated = outcome.rotated.take();
            *outcome = unsendable(e);
            outcome.rotated = rotated;
            return;
        }
    };
    let shown = format!("{method} {}", net::without_user_info(&url));
    let request = Request::new(method.clone(), url).with(http::Header::secret(
        "authorization",
        Secret::new(format!("Bearer {}", token.expose())),
    ));
    let mut redactor = creds.redactor(connector);
    redactor.add(token);
    let (http_status, latency_ms, failure) = match http.send(&request, &redactor).await {
        Err(e) => {
            let o = network(e, Stage::Permissions);
            (None, o.latency_ms, o.failure)
        }
        Ok(r) if r.is_success() => (Some(r.status), r.latency.as_millis() as u64, None),
        Ok(r) => {
            let o = answer::failure(&r, &redactor, None, Stage::Permissions);
            (Some(r.status), o.latency_ms, o.failure)
        }
    };
    outcome.permission = Some(PermissionCall {
        shown,
        http_status,
        latency_ms,
    });
    if let Some(f) = failure {
        outcome.failure = Some(f);
        outcome.http_status = http_status;
    }
}

/// RFC 7009: revokes a token credlink obtained (the access token, or the refresh token of an
/// account that refreshes: `refresh` true), with the same client authentication. `None` when
/// the connector declares no revocation endpoint.
pub(crate) async fn revoke(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    token: &Secret,
    refresh: bool,
) -> Option<Outcome> {
    let Check::OAuth(spec) = &connector.check else {
        return None;
    };
    let url = spec.revoke_url.as_ref()?;
    let hint = if refresh {
        "refresh_token"
    } else {
        "access_token"
    };
    let params = [("token_type_hint".to_owned(), hint.to_owned())];
    let request = match oauth_request(connector, spec, url, creds, &params, &[("token", token)]) {
        Ok(r) => r,
        Err(e) => return Some(unsendable(e)),
    };
    let mut redactor = creds.redactor(connector);
    redactor.add(token);
    let redactor = request.redacting(redactor);
    Some(match http.send(&request, &redactor).await {
        Err(e) => network(e, Stage::Main),
        Ok(r) if r.is_success() => Outcome::valid(r.status, r.latency.as_millis() as u64),
        Ok(r) => answer::failure(&r, &redactor, None, Stage::Main),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_that_does_not_resolve_is_blamed_on_the_subdomain_only_when_the_domain_resolves() {
        let (fault, why) = dns_verdict("acme.traffit.com", Some("traffit.com"), true);
        assert_eq!(fault, NetFault::Dns);
        assert!(why.contains("though `traffit.com` does"), "{why}");
        let (fault, _) = dns_verdict("acme.traffit.com", Some("traffit.com"), false);
        assert_eq!(fault, NetFault::Offline);
        let (fault, _) = dns_verdict("api.personio.de", None, false);
        assert_eq!(fault, NetFault::Offline);
        let template = Template::parse_url("https://{subdomain}.traffit.com:443/x").unwrap();
        assert_eq!(template.base_domain().as_deref(), Some("traffit.com"));
        assert_eq!(
            Template::parse_url("https://api.personio.de/x")
                .unwrap()
                .base_domain(),
            None
        );
    }
}
