//! Talking to providers: the OAuth 2.0 client-credentials token request (RFC 6749 4.4), an API
//! key's verification call, the read-only permission call, and RFC 7009 revocation. Returns
//! typed [`Outcome`]s and never prints; `link`, `test`, `token` and `--explain` all check
//! through [`check`].

pub(crate) mod answer;
mod device;
pub(crate) mod http;
pub(crate) mod keys;
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
use crate::base::template::{Template, TemplateError};
use crate::catalog::{
    Check, ClientAuth, Connector, ExchangeSpec, FieldRole, Grant, OAuthSpec, VerifySpec,
    visit_strings,
};
use crate::net;
use crate::provider::http::{Body, Http, Request, Value};

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
    fn template_values<'a>(&'a self, _connector: &'a Connector) -> BTreeMap<&'a str, &'a str> {
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

fn render_url(
    template: &Template,
    connector: &Connector,
    creds: &Credentials,
) -> Result<Url, TemplateError> {
    template.render_url(&creds.template_values(connector), &|f| connector.label(f))
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
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair("client_id", creds.value(connector, FieldRole::ClientId));
        q.append_pair("redirect_uri", redirect_uri);
        if let Some(scope) = creds
            .scope
            .as_ref()
            .or(spec.scope.as_ref())
            .filter(|s| !s.trim().is_empty())
        {
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
        Check::OAuth(_) => answer::token_outcome(response, &redactor),
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

fn main_request(connector: &Connector, creds: &Credentials) -> Result<Request, String> {
    match &connector.check {
        Check::OAuth(spec) => {
            let values = creds.template_values(connector);
            let grant = match spec.grant {
                Grant::ClientCredentials => "client_credentials",
                Grant::RefreshToken => "refresh_token",
            };
            let mut params = vec![("grant_type".to_owned(), grant.to_owned())];
            // A refresh grant asks for the connector's scope only when nobody chose one: the
            // token was granted a scope at sign-in, and a sign-in scope such as
            // `offline_access` is not one a refresh token holds (RFC 6749 6: omitted, the
            // scope is the one originally granted).
            let default_scope = match spec.grant {
                Grant::ClientCredentials => spec.scope.as_ref(),
                Grant::RefreshToken => None,
            };
            if let Some(scope) = creds
                .scope
                .as_ref()
                .or(default_scope)
                .filter(|s| !s.trim().is_empty())
            {
                params.push(("scope".into(), scope.clone()));
            }
            for (k, t) in &spec.token_params {
                if let Some(v) = t.render(&values) {
                    params.push((k.clone(), v));
                }
            }
            let refresh = match spec.grant {
                Grant::ClientCredentials => None,
                Grant::RefreshToken => Some((
                    "refresh_token",
                    creds
                        .secret(FieldRole::RefreshToken)
                        .ok_or("the refresh token is missing")?,
                )),
            };
            let sent: Vec<(&str, &Secret)> = refresh.into_iter().collect();
            oauth_request(connector, spec, &spec.token_url, creds, &params, &sent)
        }
        Check::ApiKey(spec) => verify_request(connector, spec, creds).map_err(|e| e.to_string()),
        Check::Exchange(spec) => exchange_request(connector, spec, creds),
    }
}

/// A POST to an OAuth endpoint with the client authentication the connector declares.
/// `tokens` are credentials sent as parameters (a refresh token, the token to revoke, an
/// authorization code and its PKCE verifier), kept out of the trace.
fn oauth_request(
    connector: &Connector,
    spec: &OAuthSpec,
    url: &Template,
    creds: &Credentials,
    params: &[(String, String)],
    tokens: &[(&str, &Secret)],
) -> Result<Request, String> {
    let url = render_url(url, connector, creds).map_err(|e| e.to_string())?;
    let client_id = creds.value(connector, FieldRole::ClientId);
    let empty = Secret::new("");
    let client_secret = creds.secret(FieldRole::ClientSecret).unwrap_or(&empty);
    let assertion: Secret;
    let mut pairs: Vec<(&str, &str, bool)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), false))
        .collect();
    for (key, token) in tokens {
        pairs.push((key, token.expose(), true));
    }
    let mut request = Request::new(reqwest::Method::POST, url);
    request.body = Some(match spec.client_auth {
        ClientAuth::Basic => {
            request.header(
                "authorization",
                Value::Secret(basic_header(client_id, client_secret)),
            );
            Body::form(&pairs)
        }
        ClientAuth::Post | ClientAuth::Json => {
            pairs.push(("client_id", client_id, false));
            pairs.push(("client_secret", client_secret.expose(), true));
            if spec.client_auth == ClientAuth::Post {
                Body::form(&pairs)
            } else {
                Body::json(&pairs)
            }
        }
        ClientAuth::PrivateKeyJwt => {
            let key = creds
                .secret(FieldRole::PrivateKey)
                .ok_or("the private key is missing")?;
            // RFC 7523 3: the token endpoint's URL identifies the authorization server.
            let audience =
                render_url(&spec.token_url, connector, creds).map_err(|e| e.to_string())?;
            assertion = keys::client_assertion(key, client_id, audience.as_str())?;
            pairs.push(("client_id", client_id, false));
            pairs.push(("client_assertion_type", JWT_BEARER, false));
            pairs.push(("client_assertion", assertion.expose(), true));
            request.made.push(assertion.clone());
            Body::form(&pairs)
        }
        ClientAuth::TlsClientAuth | ClientAuth::None => {
            // RFC 8705 2.1: the client ID in the request, the certificate in the handshake;
            // RFC 6749 2.1: a public client sends its ID alone.
            pairs.push(("client_id", client_id, false));
            Body::form(&pairs)
        }
    });
    if connector.uses_client_certificate() {
        let key = creds
            .secret(FieldRole::ClientKey)
            .ok_or("the client key is missing")?;
        let cert = creds.value(connector, FieldRole::ClientCertificate);
        request.identity = Some(Secret::new(format!(
            "{}\n{}\n",
            cert.trim_end(),
            key.expose().trim_end()
        )));
    }
    Ok(request)
}

/// RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and Base64-encoded.
pub(crate) fn basic_header(client_id: &str, secret: &Secret) -> Secret {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    Secret::new(format!(
        "Basic {}",
        BASE64.encode(format!("{}:{}", enc(client_id), enc(secret.expose())))
    ))
}

/// The secret field ids of a connector.
fn secret_ids(connector: &Connector) -> BTreeSet<&str> {
    connector.secret_fields().map(|f| f.id.as_str()).collect()
}

/// Headers of a verification or sign-in call: a header that carries a secret stays one.
fn add_headers(
    request: &mut Request,
    connector: &Connector,
    basic_auth: Option<&(Template, Template)>,
    headers: &BTreeMap<String, Template>,
    values: &BTreeMap<&str, &str>,
) {
    let secrets = secret_ids(connector);
    if let Some((user, pass)) = basic_auth {
        let user = user.render(values).unwrap_or_default();
        let pass = pass.render(values).unwrap_or_default();
        let value = Secret::new(format!("Basic {}", BASE64.encode(format!("{user}:{pass}"))));
        request.header("authorization", Value::Secret(value));
    }
    for (name, t) in headers {
        if let Some(value) = t.render(values) {
            let value = if t.fields().any(|f| secrets.contains(f)) {
                Value::Secret(Secret::new(value))
            } else {
                Value::Plain(value)
            };
            request.header(name, value);
        }
    }
}

fn verify_request(
    connector: &Connector,
    spec: &VerifySpec,
    creds: &Credentials,
) -> Result<Request, TemplateError> {
    let values = creds.template_values(connector);
    let mut request = Request::new(
        spec.method.clone(),
        render_url(&spec.url, connector, creds)?,
    );
    add_headers(
        &mut request,
        connector,
        spec.basic_auth.as_ref(),
        &spec.headers,
        &values,
    );
    if let Some(bearer) = &spec.bearer {
        let value = Secret::new(format!(
            "Bearer {}",
            bearer.render(&values).unwrap_or_default()
        ));
        request.header("authorization", Value::Secret(value));
    }
    request.body = spec.json_body.as_deref().map(Body::raw_json);
    Ok(request)
}

/// The sign-in call of a `token_exchange` connector: the secrets in the declared headers or
/// body (JSON-escaped in a JSON body), shown in the trace as `(redacted)`.
fn exchange_request(
    connector: &Connector,
    spec: &ExchangeSpec,
    creds: &Credentials,
) -> Result<Request, String> {
    let values = creds.template_values(connector);
    let secrets = secret_ids(connector);
    let mut shown_values = values.clone();
    for id in &secrets {
        shown_values.insert(id, REDACTED);
    }
    let url = render_url(&spec.url, connector, creds).map_err(|e| e.to_string())?;
    let mut request = Request::new(spec.method.clone(), url);
    add_headers(
        &mut request,
        connector,
        spec.basic_auth.as_ref(),
        &spec.headers,
        &values,
    );
    if let Some(body) = &spec.json_body {
        let fill = |values: &BTreeMap<&str, &str>| {
            let mut json = body.clone();
            visit_strings(&mut json, &mut |s: &mut String| {
                if let Some(filled) = Template::parse(s).ok().and_then(|t| t.render(values)) {
                    *s = filled;
                }
            });
            json.to_string()
        };
        request.body = Some(Body {
            content_type: "application/json",
            text: Secret::new(fill(&values)),
            shown: fill(&shown_values),
        });
    } else if !spec.form.is_empty() {
        let rendered: Vec<(&str, String, bool)> = spec
            .form
            .iter()
            .map(|(k, t)| {
                let secret = t.fields().any(|f| secrets.contains(f));
                (k.as_str(), t.render(&values).unwrap_or_default(), secret)
            })
            .collect();
        let pairs: Vec<(&str, &str, bool)> = rendered
            .iter()
            .map(|(k, v, s)| (*k, v.as_str(), *s))
            .collect();
        request.body = Some(Body::form(&pairs));
    }
    request.answer_secrets.push(spec.token_pointer.clone());
    Ok(request)
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

    #[test]
    fn basic_header_form_encodes_before_base64() {
        // RFC 6749 2.3.1 vector from AppAuth-iOS #233 (see provider-auth-facts.md, section 19).
        let secret = Secret::new("z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=");
        assert_eq!(
            basic_header("1PpG/Q 1", &secret).expose(),
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA=="
        );
        assert_eq!(
            basic_header("example.com", &Secret::new("s=cr%t")).expose(),
            "Basic ZXhhbXBsZS5jb206cyUzRGNyJTI1dA=="
        );
    }
}
