//! Validating credentials live: the OAuth 2.0 client-credentials token request (RFC 6749 4.4),
//! an API key's verification call, and RFC 7009 revocation. Every answer becomes an
//! [`Outcome`]: valid, rejected or unreachable, with the provider's words and a hint.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::Value;

use crate::connectors::{
    Catalog, Check, ClientAuth, Connector, OAUTH_ERROR_CODES, OAuthSpec, VerifySpec,
};
use crate::error::{CliError, exit};
use crate::http::{Body, Header, Http, NetError, Request, Response};
use crate::secret::{Redactor, Secret};
use crate::template::Template;

/// What `link` or `test` was given: the non-secret field values and the one secret.
pub struct Credentials {
    pub values: BTreeMap<String, String>,
    pub secret: Secret,
    pub scope: Option<String>,
}

impl Credentials {
    fn template_values<'a>(&'a self, connector: &'a Connector) -> BTreeMap<&'a str, &'a str> {
        let mut map: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        map.insert(connector.secret_field().id.as_str(), self.secret.expose());
        map
    }

    fn redactor(&self) -> Redactor {
        Redactor::new([self.secret.clone()])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Rejected,
    Unreachable,
    /// The index has the account but the keychain has no secret for it.
    SecretMissing,
    /// The keychain could not be read.
    KeychainError,
    /// The account's connector is no longer in the catalog.
    UnknownConnector,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Rejected => "rejected",
            Status::Unreachable => "unreachable",
            Status::SecretMissing => "secret_missing",
            Status::KeychainError => "keychain_error",
            Status::UnknownConnector => "unknown_connector",
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Status::Valid => exit::OK,
            Status::Rejected => exit::REJECTED,
            Status::Unreachable => exit::UNREACHABLE,
            Status::SecretMissing | Status::UnknownConnector => exit::NOT_FOUND,
            Status::KeychainError => exit::KEYCHAIN,
        }
    }
}

/// The result of one live check. `error` is the provider's error code (or credlink's code
/// for a network failure), `error_description` its text, cleaned and with secrets removed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub hint: Option<String>,
    pub latency_ms: u64,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub access_token: Option<Secret>,
    /// What the HTTP answer looked like, for `test --explain`.
    pub answer: Option<Answer>,
}

/// The shape of an HTTP answer, without its content.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub bytes: usize,
    pub location: Option<String>,
}

impl Answer {
    fn of(response: &Response, redactor: &Redactor) -> Self {
        Self {
            status: response.status,
            content_type: response.content_type(),
            bytes: response.body.len(),
            location: response
                .header("location")
                .map(|l| redactor.display(&l, 200)),
        }
    }
}

impl Outcome {
    pub fn failed(status: Status, http_status: Option<u16>, latency_ms: u64) -> Self {
        Self {
            status,
            http_status,
            error: None,
            error_description: None,
            hint: None,
            latency_ms,
            expires_in: None,
            scope: None,
            access_token: None,
            answer: None,
        }
    }

    fn network(err: NetError) -> Self {
        let mut o = Self::failed(Status::Unreachable, None, err.latency.as_millis() as u64);
        o.error = Some(err.kind.code().to_owned());
        o.error_description = Some(err.message);
        o
    }

    /// One line for a terminal: "HTTP 401 invalid_client: client authentication failed".
    pub fn cause(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.http_status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(e) = &self.error {
            parts.push(e.clone());
        }
        let head = parts.join(" ");
        match (&self.error_description, head.is_empty()) {
            (Some(d), true) => d.clone(),
            (Some(d), false) => format!("{head}: {d}"),
            (None, _) => head,
        }
    }
}

/// Checks credentials with one live request. Errors only for input that cannot be sent.
pub async fn validate(
    http: &Http,
    catalog: &Catalog,
    connector: &Connector,
    creds: &Credentials,
) -> Result<Outcome, CliError> {
    let (mut outcome, hint_key) = match &connector.check {
        Check::OAuth(spec) => token_request(http, connector, spec, creds).await?,
        Check::ApiKey(spec) => verify_request(http, connector, spec, creds).await?,
    };
    if outcome.status != Status::Valid {
        outcome.hint = hint_key.and_then(|k| catalog.hint(Some(connector), &k));
    }
    Ok(outcome)
}

fn oauth_request(
    connector: &Connector,
    spec: &OAuthSpec,
    url: &Template,
    creds: &Credentials,
    params: Vec<(String, String)>,
) -> Result<Request, CliError> {
    let values = creds.template_values(connector);
    let url = url.render_url(&values, &|f| connector.label(f))?;
    let client_id = creds
        .values
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    let secret = creds.secret.expose();
    let mut pairs: Vec<(&str, &str, bool)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), false))
        .collect();
    let mut headers = vec![Header {
        name: "accept".into(),
        value: "application/json".into(),
        sensitive: false,
    }];
    let body = match spec.client_auth {
        ClientAuth::Basic => {
            headers.push(Header {
                name: "authorization".into(),
                value: basic_header(client_id, secret),
                sensitive: true,
            });
            Body::form(&pairs)
        }
        ClientAuth::Post | ClientAuth::Json => {
            pairs.push(("client_id", client_id, false));
            pairs.push(("client_secret", secret, true));
            if spec.client_auth == ClientAuth::Post {
                Body::form(&pairs)
            } else {
                Body::json(&pairs)
            }
        }
    };
    Ok(Request {
        method: reqwest::Method::POST,
        url,
        headers,
        body: Some(body),
    })
}

/// RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and Base64-encoded.
pub fn basic_header(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        BASE64.encode(format!("{}:{}", enc(client_id), enc(secret)))
    )
}

async fn token_request(
    http: &Http,
    connector: &Connector,
    spec: &OAuthSpec,
    creds: &Credentials,
) -> Result<(Outcome, Option<String>), CliError> {
    let values = creds.template_values(connector);
    let mut params = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    if let Some(scope) = creds
        .scope
        .as_ref()
        .or(spec.scope.as_ref())
        .filter(|s| !s.trim().is_empty())
    {
        params.push(("scope".into(), scope.clone()));
    }
    for (k, t) in &spec.token_params {
        if let Some(v) = t.render(&values) {
            params.push((k.clone(), v));
        }
    }
    let request = oauth_request(connector, spec, &spec.token_url, creds, params)?;
    let redactor = creds.redactor();
    let response = match http.send(&request, &redactor).await {
        Ok(r) => r,
        Err(e) => {
            let key = e.kind.code().to_owned();
            return Ok((Outcome::network(e), Some(key)));
        }
    };
    let (mut outcome, key) = token_outcome(&response, &redactor);
    outcome.answer = Some(Answer::of(&response, &redactor));
    Ok((outcome, key))
}

/// Reads a token endpoint's answer: a token with its lifetime and scope, or why not.
pub(crate) fn token_outcome(response: &Response, redactor: &Redactor) -> (Outcome, Option<String>) {
    if !(200..300).contains(&response.status) {
        return failure(response, redactor, None);
    }
    let latency_ms = response.latency.as_millis() as u64;
    let Ok(json) = serde_json::from_slice::<Value>(&response.body) else {
        let mut o = Outcome::failed(Status::Unreachable, Some(response.status), latency_ms);
        o.error_description = Some(format!(
            "the answer is not JSON: {}",
            describe_unparsed_token_answer(response, redactor)
        ));
        return (o, Some("non_json".into()));
    };
    let token = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        let mut o = Outcome::failed(Status::Unreachable, Some(response.status), latency_ms);
        o.error_description = Some("the answer has no access_token".into());
        return (o, Some("no_access_token".into()));
    };
    let expires_in = ["expires_in", "expires"]
        .iter()
        .find_map(|k| match json.get(*k) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        });
    let outcome = Outcome {
        status: Status::Valid,
        http_status: Some(response.status),
        error: None,
        error_description: None,
        hint: None,
        latency_ms,
        expires_in,
        scope: json
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| redactor.display(s, usize::MAX)),
        access_token: Some(Secret::new(token)),
        answer: None,
    };
    (outcome, None)
}

async fn verify_request(
    http: &Http,
    connector: &Connector,
    spec: &VerifySpec,
    creds: &Credentials,
) -> Result<(Outcome, Option<String>), CliError> {
    let values = creds.template_values(connector);
    let secret_id = connector.secret_field().id.as_str();
    let url = spec.url.render_url(&values, &|f| connector.label(f))?;
    let mut headers = vec![Header {
        name: "accept".into(),
        value: "application/json".into(),
        sensitive: false,
    }];
    if let Some((user, pass)) = &spec.basic_auth {
        let user = user.render(&values).unwrap_or_default();
        let pass = pass.render(&values).unwrap_or_default();
        let value = format!("Basic {}", BASE64.encode(format!("{user}:{pass}")));
        headers.push(Header {
            name: "authorization".into(),
            value,
            sensitive: true,
        });
    }
    if let Some(bearer) = &spec.bearer {
        let value = format!("Bearer {}", bearer.render(&values).unwrap_or_default());
        headers.push(Header {
            name: "authorization".into(),
            value,
            sensitive: true,
        });
    }
    for (name, t) in &spec.headers {
        if let Some(value) = t.render(&values) {
            let sensitive = t.fields().any(|f| f == secret_id);
            headers.retain(|h| !h.name.eq_ignore_ascii_case(name));
            headers.push(Header {
                name: name.clone(),
                value,
                sensitive,
            });
        }
    }
    let body = spec.json_body.as_deref().map(Body::raw_json);
    let request = Request {
        method: spec.method.clone(),
        url,
        headers,
        body,
    };
    let redactor = creds.redactor();
    let response = match http.send(&request, &redactor).await {
        Ok(r) => r,
        Err(e) => {
            let key = e.kind.code().to_owned();
            return Ok((Outcome::network(e), Some(key)));
        }
    };
    let (mut outcome, key) = verify_outcome(spec, &response, &redactor);
    outcome.answer = Some(Answer::of(&response, &redactor));
    Ok((outcome, key))
}

/// Reads a verification call's answer: 2xx (and, where declared, `success` not false).
fn verify_outcome(
    spec: &VerifySpec,
    response: &Response,
    redactor: &Redactor,
) -> (Outcome, Option<String>) {
    let error_header = spec
        .error_header
        .as_deref()
        .and_then(|h| response.header(h));
    if !(200..300).contains(&response.status) {
        return failure(response, redactor, error_header);
    }
    let latency_ms = response.latency.as_millis() as u64;
    if let Some(pointer) = &spec.success_pointer {
        let Ok(json) = serde_json::from_slice::<Value>(&response.body) else {
            let mut o = Outcome::failed(Status::Unreachable, Some(response.status), latency_ms);
            o.error_description = Some(format!(
                "the answer is not JSON: {}",
                describe_body(response, redactor)
            ));
            return (o, Some("non_json".into()));
        };
        if json.pointer(pointer) == Some(&Value::Bool(false)) {
            let parsed = parse_error_json(&json);
            let mut o = Outcome::failed(Status::Rejected, Some(response.status), latency_ms);
            o.error = parsed.code.map(|c| redactor.display(&c, 100));
            o.error_description = Some(parsed.description.map_or_else(
                || format!("the answer says {pointer} = false"),
                |d| redactor.display(&d, 300),
            ));
            return (o, Some("success_false".into()));
        }
    }
    (
        Outcome::failed(Status::Valid, Some(response.status), latency_ms),
        None,
    )
}

pub(crate) struct ProviderError {
    pub(crate) code: Option<String>,
    pub(crate) description: Option<String>,
}

/// Error bodies come in many shapes: RFC 6749 5.2 `error`/`error_description`, `message`,
/// `errors[]` of strings or objects, Ashby's `errorInfo`, problem+json `detail`.
pub(crate) fn parse_error_json(json: &Value) -> ProviderError {
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut code = str_at(json, "error");
    let mut description = str_at(json, "error_description");
    if let Some(err) = json.get("error").filter(|e| e.is_object()) {
        code = str_at(err, "code");
        description = description.or_else(|| str_at(err, "message"));
    }
    if let Some(info) = json.get("errorInfo") {
        code = code.or_else(|| str_at(info, "code"));
        description = description.or_else(|| str_at(info, "message"));
    }
    description = description
        .or_else(|| str_at(json, "message"))
        .or_else(|| str_at(json, "detail"));
    if description.is_none()
        && let Some(first) = json
            .get("errors")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
    {
        description = match first {
            Value::String(s) => Some(s.clone()),
            other => {
                let parts: Vec<String> = ["title", "detail", "message"]
                    .iter()
                    .filter_map(|k| str_at(other, k))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(": "))
            }
        };
    }
    ProviderError { code, description }
}

/// A short description of a body that is not the JSON we expected.
fn describe_body(response: &Response, redactor: &Redactor) -> String {
    let text = String::from_utf8_lossy(&response.body);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return "the body is empty".into();
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body")
    {
        let title = lower.find("<title>").and_then(|start| {
            let rest = &trimmed[start + 7..];
            rest.find('<').map(|end| rest[..end].to_owned())
        });
        return match title {
            Some(t) if !t.trim().is_empty() => {
                format!("an HTML page titled \"{}\"", redactor.display(&t, 120))
            }
            _ => "an HTML page".into(),
        };
    }
    format!("\"{}\"", redactor.display(trimmed, 200))
}

/// A 2xx token answer that is not JSON may still carry a token (truncated JSON): name what it
/// looks like, never quote it.
fn describe_unparsed_token_answer(response: &Response, redactor: &Redactor) -> String {
    if String::from_utf8_lossy(&response.body).contains("access_token") {
        return format!(
            "{} bytes that mention access_token but do not parse (truncated?)",
            response.body.len()
        );
    }
    describe_body(response, redactor)
}

/// Classifies a non-2xx answer. The body's error code decides first; the status second, as
/// providers disagree on statuses (Personio answers 400 for everything).
pub(crate) fn failure(
    response: &Response,
    redactor: &Redactor,
    header_text: Option<String>,
) -> (Outcome, Option<String>) {
    let status = response.status;
    let mut o = Outcome::failed(
        Status::Rejected,
        Some(status),
        response.latency.as_millis() as u64,
    );
    let parsed = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .map(|j| parse_error_json(&j));
    let (code, description) = match parsed {
        Some(ProviderError {
            code: None,
            description: None,
        }) => (
            None,
            Some(format!(
                "an answer of an unknown shape: {}",
                describe_body(response, redactor)
            )),
        ),
        Some(p) => (p.code, p.description),
        None if response.body.iter().all(u8::is_ascii_whitespace) => (None, None),
        None => (None, Some(describe_body(response, redactor))),
    };
    o.error = code.map(|c| redactor.display(&c, 100));
    o.error_description = header_text
        .or(description)
        .map(|d| redactor.display(&d, 300));
    let status_key = match status {
        300..=399 => "redirect",
        404 | 405 | 410 => "http_404",
        408 => "timeout",
        429 => "http_429",
        401 => "http_401",
        403 => "http_403",
        500.. => "http_5xx",
        _ => "http_400",
    };
    o.status = match status_key {
        "redirect" | "http_404" | "timeout" | "http_429" | "http_5xx" => Status::Unreachable,
        _ => Status::Rejected,
    };
    if status_key == "redirect" {
        let to = response
            .header("location")
            .map_or_else(|| "nowhere".into(), |l| redactor.display(&l, 200));
        o.error_description = Some(format!(
            "the provider redirects to {to}; credlink does not follow redirects"
        ));
    }
    let key = match &o.error {
        Some(code) if status < 500 && OAUTH_ERROR_CODES.contains(&code.as_str()) => code.clone(),
        _ => status_key.to_owned(),
    };
    if o.error_description.is_none() && o.error.is_none() {
        o.error_description = Some("the answer has an empty body".into());
    }
    (o, Some(key))
}

/// With a token just issued, the connector's read-only call that proves the account has the
/// permissions an integration needs (`permission_check` in the catalog). `None` when the
/// connector declares none.
pub async fn permission_check(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    token: &Secret,
) -> Result<Option<(String, Outcome, Option<String>)>, CliError> {
    let Check::OAuth(spec) = &connector.check else {
        return Ok(None);
    };
    let Some((method, url)) = &spec.permission_check else {
        return Ok(None);
    };
    let values = creds.template_values(connector);
    let url = url.render_url(&values, &|f| connector.label(f))?;
    let shown = format!("{method} {url}");
    let headers = vec![
        Header {
            name: "accept".into(),
            value: "application/json".into(),
            sensitive: false,
        },
        Header {
            name: "authorization".into(),
            value: format!("Bearer {}", token.expose()),
            sensitive: true,
        },
    ];
    let request = Request {
        method: method.clone(),
        url,
        headers,
        body: None,
    };
    let mut redactor = creds.redactor();
    redactor.add(token);
    let (outcome, hint_key) = match http.send(&request, &redactor).await {
        Err(e) => {
            let key = e.kind.code().to_owned();
            (Outcome::network(e), Some(key))
        }
        Ok(r) if (200..300).contains(&r.status) => {
            let o = Outcome::failed(Status::Valid, Some(r.status), r.latency.as_millis() as u64);
            (o, None)
        }
        Ok(r) => {
            let (o, key) = failure(&r, &redactor, None);
            let key = if matches!(r.status, 401 | 403) {
                Some("permission_denied".to_owned())
            } else {
                key
            };
            (o, key)
        }
    };
    Ok(Some((shown, outcome, hint_key)))
}

/// RFC 7009: revokes an access token credlink obtained, with the same client authentication.
pub async fn revoke(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    token: &Secret,
) -> Result<Option<Outcome>, CliError> {
    let Check::OAuth(spec) = &connector.check else {
        return Ok(None);
    };
    let Some(url) = &spec.revoke_url else {
        return Ok(None);
    };
    let params = vec![
        ("token".to_owned(), token.expose().to_owned()),
        ("token_type_hint".to_owned(), "access_token".to_owned()),
    ];
    let mut request = oauth_request(connector, spec, url, creds, params)?;
    if let Some(body) = &mut request.body {
        body.shown = body.shown.replace(token.expose(), crate::secret::REDACTED);
    }
    let mut redactor = creds.redactor();
    redactor.add(token);
    Ok(Some(match http.send(&request, &redactor).await {
        Err(e) => Outcome::network(e),
        Ok(r) if (200..300).contains(&r.status) => {
            Outcome::failed(Status::Valid, Some(r.status), r.latency.as_millis() as u64)
        }
        Ok(r) => failure(&r, &redactor, None).0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_form_encodes_before_base64() {
        // RFC 6749 2.3.1 vector from AppAuth-iOS #233 (see provider-auth-facts.md, section 19).
        assert_eq!(
            basic_header(
                "1PpG/Q 1",
                "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw="
            ),
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA=="
        );
        assert_eq!(
            basic_header("example.com", "s=cr%t"),
            "Basic ZXhhbXBsZS5jb206cyUzRGNyJTI1dA=="
        );
    }

    #[test]
    fn error_bodies_of_every_known_shape_are_read() {
        let cases = [
            (
                r#"{"error":"invalid_client","error_description":"client authentication failed"}"#,
                Some("invalid_client"),
                Some("client authentication failed"),
            ),
            (
                r#"{"success":false,"errorInfo":{"code":"api_key_invalid","message":"bad key"}}"#,
                Some("api_key_invalid"),
                Some("bad key"),
            ),
            (
                r#"{"message":"Unauthorized","errors":["Token could not be decoded."]}"#,
                None,
                Some("Unauthorized"),
            ),
            (
                r#"{"errors":[{"title":"Insufficient access scope","detail":"Client scope insufficient"}]}"#,
                None,
                Some("Insufficient access scope: Client scope insufficient"),
            ),
            (
                r#"{"detail":"Invalid client id"}"#,
                None,
                Some("Invalid client id"),
            ),
            (
                r#"{"error":{"code":"E1","message":"nope"}}"#,
                Some("E1"),
                Some("nope"),
            ),
        ];
        for (body, code, description) in cases {
            let p = parse_error_json(&serde_json::from_str(body).unwrap());
            assert_eq!(p.code.as_deref(), code, "{body}");
            assert_eq!(p.description.as_deref(), description, "{body}");
        }
    }
}
