//! One HTTP client for every provider call: timeouts, no redirects, capped bodies, typed
//! network failures, and a trace (for `-v`) in which credentials never appear. It never prints:
//! the trace goes to the sink the command gives it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::base::outcome::NetFault;
use crate::base::secret::{REDACTED, Redactor, Secret};
use crate::base::text;
use crate::net::{
    self, Lookup, NetError, RecordingResolver, TraceSink, classify, without_user_info,
};

/// Larger answers are cut here: a token or error response is a few hundred bytes.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// Tries per request when the provider answers 429 or 503.
pub(crate) const MAX_ATTEMPTS: u32 = 3;
/// The longest wait credlink honours from a Retry-After header.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A header value: plain, or a secret that stays one until reqwest builds the header, where
/// it is marked sensitive.
pub(crate) enum Value {
    Plain(String),
    Secret(Secret),
}

pub(crate) struct Header {
    pub(crate) name: &'static str,
    pub(crate) value: Value,
}

impl Header {
    pub(crate) fn secret(name: &'static str, value: Secret) -> Self {
        Self {
            name,
            value: Value::Secret(value),
        }
    }
}

/// A request as credlink builds it. Header names from the catalog are owned strings.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Vec<(String, Value)>,
    pub(crate) body: Option<Body>,
    /// A PEM client certificate and its key for mutual TLS (RFC 8705); the key makes it a
    /// secret.
    pub(crate) identity: Option<Secret>,
    /// JSON pointers of credentials in the answer beyond the usual token keys (an exchanged
    /// token's own place), redacted in the trace.
    pub(crate) answer_secrets: Vec<String>,
    /// Credentials made for this request alone (a signed client assertion), which a server
    /// may echo like any other: see [`Request::redacting`].
    pub(crate) made: Vec<Secret>,
    /// Query parameters that carry a secret (a provider that takes the key only in the URL),
    /// shown as `(redacted)`.
    pub(crate) secret_params: Vec<String>,
    /// The most of an answer read: [`MAX_BODY`], more for `api`.
    pub(crate) max_body: usize,
    /// Whether a 429 or 503 answer is tried again: not for a method that may have changed
    /// something (an `api` POST).
    pub(crate) repeatable: bool,
}

impl Request {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: vec![("accept".into(), Value::Plain("application/json".into()))],
            body: None,
            identity: None,
            answer_secrets: Vec::new(),
            made: Vec::new(),
            secret_params: Vec::new(),
            max_body: MAX_BODY,
            repeatable: true,
        }
    }

    /// The URL as the trace shows it: no user info, each secret parameter `(redacted)`.
    pub(crate) fn shown_url(&self) -> String {
        let mut shown = self.url.clone();
        if !self.secret_params.is_empty() {
            let pairs: Vec<(String, String)> = self
                .url
                .query_pairs()
                .map(|(k, v)| match self.secret_params.iter().any(|p| *p == k) {
                    true => (k.into_owned(), REDACTED.to_owned()),
                    false => (k.into_owned(), v.into_owned()),
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        without_user_info(&shown).replace("%28redacted%29", REDACTED)
    }

    /// `redactor`, also removing the credentials made for this request.
    pub(crate) fn redacting(&self, mut redactor: Redactor) -> Redactor {
        for secret in &self.made {
            redactor.add(secret);
        }
        redactor
    }

    /// Adds a header, replacing one of the same name.
    pub(crate) fn header(&mut self, name: &str, value: Value) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    pub(crate) fn with(mut self, header: Header) -> Self {
        self.header(header.name, header.value);
        self
    }
}

/// A body: the text sent (a secret when it carries one) and how the trace shows it.
pub(crate) struct Body {
    pub(crate) content_type: String,
    pub(crate) text: Secret,
    pub(crate) shown: String,
}

impl Body {
    pub(crate) fn form(pairs: &[(&str, &str, bool)]) -> Self {
        let mut text = form_urlencoded::Serializer::new(String::new());
        let mut shown = form_urlencoded::Serializer::new(String::new());
        for (k, v, sensitive) in pairs {
            text.append_pair(k, v);
            shown.append_pair(k, if *sensitive { REDACTED } else { v });
        }
        let shown = shown.finish().replace("%28redacted%29", REDACTED);
        Self {
            content_type: "application/x-www-form-urlencoded".into(),
            text: Secret::new(text.finish()),
            shown,
        }
    }

    pub(crate) fn json(pairs: &[(&str, &str, bool)]) -> Self {
        let object = |redact: bool| {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(k, v, s)| {
                    let v = if redact && *s { REDACTED } else { *v };
                    ((*k).to_owned(), v.into())
                })
                .collect();
            serde_json::Value::Object(map).to_string()
        };
        Self {
            content_type: "application/json".into(),
            text: Secret::new(object(false)),
            shown: object(true),
        }
    }
}

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    /// The first [`MAX_BODY`] bytes of the body.
    pub(crate) body: Vec<u8>,
    /// The body went on past [`MAX_BODY`]: its text is never shown, since a secret may
    /// straddle the cut, where no redaction can recognise it.
    pub(crate) cut: bool,
    pub(crate) latency: Duration,
}

impl Response {
    /// A header's value, cleaned of control and invisible characters (not yet redacted).
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(text::clean)
    }

    pub(crate) fn content_type(&self) -> Option<String> {
        self.header(header::CONTENT_TYPE.as_str())
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Built on the first request: loading the system's root certificates costs milliseconds
/// that commands like `list` should not pay.
pub(crate) struct Http {
    client: OnceLock<Result<reqwest::Client, String>>,
    extra_roots: Vec<reqwest::Certificate>,
    timeout: Duration,
    trace: Option<TraceSink>,
    resolver: RecordingResolver,
}

impl Http {
    pub(crate) fn new(
        timeout: Duration,
        trace: Option<TraceSink>,
        extra_roots: Vec<reqwest::Certificate>,
    ) -> Self {
        Self {
            client: OnceLock::new(),
            extra_roots,
            timeout,
            trace,
            resolver: RecordingResolver::default(),
        }
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Every DNS lookup made so far.
    pub(crate) fn lookups(&self) -> Vec<Lookup> {
        self.resolver
            .lookups
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    fn trace(&self, line: &str) {
        if let Some(sink) = &self.trace {
            sink(line);
        }
    }

    fn builder(&self) -> reqwest::ClientBuilder {
        net::builder(self.timeout, &self.extra_roots).dns_resolver(Arc::new(self.resolver.clone()))
    }

    fn client(&self) -> Result<&reqwest::Client, NetError> {
        let built = self.client.get_or_init(|| {
            self.builder()
                .build()
                .map_err(|e| format!("cannot set up TLS: {e}"))
        });
        built.as_ref().map_err(|message| NetError {
            fault: NetFault::Tls,
            message: message.clone(),
            latency: Duration::ZERO,
        })
    }

    /// A client that presents this certificate and key (mutual TLS); built per request, as
    /// few accounts use one.
    fn client_with_identity(&self, pem: &Secret) -> Result<reqwest::Client, NetError> {
        let bad = |message: String| NetError {
            fault: NetFault::BadRequest,
            message,
            latency: Duration::ZERO,
        };
        let identity = reqwest::Identity::from_pem(pem.expose().as_bytes()).map_err(|_| {
            bad("the client certificate or its key cannot be used for TLS (a key that does not belong to the certificate?)".into())
        })?;
        self.builder().identity(identity).build().map_err(|e| {
            let mut why = Vec::new();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why.push(text::clean_truncated(&cause.to_string(), 200));
                source = cause.source();
            }
            let why = why.join(": ");
            let plain = if why.contains("UnsupportedCertVersion") {
                "the client certificate is an X.509 version 1 certificate, which TLS libraries refuse (issue it with extensions, as version 3)"
            } else if why.to_lowercase().contains("inconsistent") || why.contains("KeyMismatch") {
                "the client key does not belong to the client certificate"
            } else {
                "the client certificate and key cannot be used for TLS (a key that does not belong to the certificate?)"
            };
            bad(format!("{plain} ({why})"))
        })
    }

    /// Sends a request; 429 and 503 answers are retried a bounded number of times, after the
    /// server's Retry-After (capped) or an exponential backoff, within the timeout. Nothing
    /// else is retried: a rejected credential must not be hammered into a lock-out.
    pub(crate) async fn send(
        &self,
        req: &Request,
        redactor: &Redactor,
    ) -> Result<Response, NetError> {
        self.trace_request(req, redactor);
        let started = Instant::now();
        // --timeout bounds the whole request, attempts and waits included.
        let deadline = started + self.timeout;
        let (response, _, _) = net::repeat(
            MAX_RETRY_AFTER,
            || {
                self.send_once(
                    req,
                    redactor,
                    self.timeout.saturating_sub(started.elapsed()),
                )
            },
            |result| net::Verdict {
                attempts: match result {
                    Ok(r) if req.repeatable && matches!(r.status, 429 | 503) => MAX_ATTEMPTS,
                    _ => 1,
                },
                retry_after: result
                    .as_ref()
                    .ok()
                    .and_then(|r| net::retry_after(&r.headers, MAX_RETRY_AFTER)),
                deadline: Some(deadline),
            },
            |pause, next| {
                self.trace(&format!(
                    "retrying in {:.1} s (attempt {next} of {MAX_ATTEMPTS})",
                    pause.as_secs_f32()
                ))
            },
        )
        .await;
        response
    }

    fn trace_request(&self, req: &Request, redactor: &Redactor) {
        if self.trace.is_none() {
            return;
        }
        self.trace(&format!(
            "> {} {}",
            req.method,
            redactor.display(&req.shown_url(), 2000)
        ));
        for (name, value) in &req.headers {
            let shown = match value {
                Value::Plain(v) => redactor.display(v, 500),
                Value::Secret(_) => REDACTED.to_owned(),
            };
            self.trace(&format!("> {name}: {shown}"));
        }
        if let Some(body) = &req.body {
            self.trace(&format!("> content-type: {}", body.content_type));
            self.trace(&format!("> {}", redactor.display(&body.shown, 2000)));
        }
    }

    fn build(&self, req: &Request) -> Result<reqwest::RequestBuilder, NetError> {
        let bad = |message: String| NetError {
            fault: NetFault::BadRequest,
            message,
            latency: Duration::ZERO,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| bad(format!("`{name}` is not a header name")))?;
            let value = match value {
                Value::Plain(v) => HeaderValue::from_str(v).map_err(|_| {
                    bad(format!(
                        "the value of the `{name}` header has a character a header cannot carry"
                    ))
                })?,
                Value::Secret(s) => {
                    let mut v = HeaderValue::from_str(s.expose()).map_err(|_| {
                        bad(format!(
                            "the `{name}` header, which carries the secret, has a character a header cannot carry"
                        ))
                    })?;
                    v.set_sensitive(true);
                    v
                }
            };
            headers.insert(name, value);
        }
        let client = match &req.identity {
            Some(pem) => self.client_with_identity(pem)?,
            None => self.client()?.clone(),
        };
        let mut builder = client
            .request(req.method.clone(), req.url.clone())
            .headers(headers);
        if let Some(body) = &req.body {
            builder = builder
                .header(header::CONTENT_TYPE, body.content_type.as_str())
                .body(body.text.expose().to_owned());
        }
        Ok(builder)
    }

    /// One attempt, given `timeout` (what is left of the request's).
    async fn send_once(
        &self,
        req: &Request,
        redactor: &Redactor,
        timeout: Duration,
    ) -> Result<Response, NetError> {
        let builder = self.build(req)?.timeout(timeout);
        let started = Instant::now();
        let result = async {
            let mut response = builder.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = net::read_capped(&mut response, req.max_body).await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        let latency = started.elapsed();
        match result {
            Ok((status, headers, body)) => {
                let response = Response {
                    status,
                    headers,
                    body: body.bytes,
                    cut: !body.complete,
                    latency,
                };
                self.trace_response(&response, redactor, &req.answer_secrets);
                Ok(response)
            }
            Err(e) => {
                // reqwest's errors carry the URL, which may hold a secret parameter.
                let err = classify(&e.without_url(), latency, self.timeout, redactor);
                self.trace(&format!(
                    "< {:?} error after {} ms: {}",
                    err.fault,
                    latency.as_millis(),
                    err.message
                ));
                Err(err)
            }
        }
    }

    fn trace_response(&self, r: &Response, redactor: &Redactor, secrets: &[String]) {
        if self.trace.is_none() {
            return;
        }
        self.trace(&format!(
            "< HTTP {} ({} ms, {} bytes, {})",
            r.status,
            r.latency.as_millis(),
            r.body.len(),
            r.content_type()
                .map(|c| redactor.display(&c, 100))
                .unwrap_or_else(|| "no content-type".into())
        ));
        if let Some(location) = r.header("location") {
            self.trace(&format!("< location: {}", redactor.display(&location, 500)));
        }
        let shown = match serde_json::from_slice::<serde_json::Value>(&r.body) {
            _ if r.cut => "(a body larger than credlink reads: not shown)".to_owned(),
            Ok(mut json) => {
                redact_tokens(&mut json);
                for pointer in secrets {
                    if let Some(value) = json.pointer_mut(pointer) {
                        *value = REDACTED.into();
                    }
                }
                // Each string is redacted before serializing, which would escape a spelling
                // again (a `\u0041` echoed as text becomes `\\u0041`).
                redact_strings(&mut json, redactor);
                json.to_string()
            }
            Err(_) => {
                let body = String::from_utf8_lossy(&r.body);
                if body.contains("access_token") {
                    "(a body that mentions access_token but does not parse: not shown)".to_owned()
                } else {
                    body.into_owned()
                }
            }
        };
        if !shown.is_empty() {
            self.trace(&format!("< {}", redactor.display(&shown, 500)));
        }
    }
}

/// Keys whose values are credentials wherever they stand in a JSON answer.
const TOKEN_KEYS: [&str; 6] = [
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    // RFC 8628 3.2: whoever holds it can poll for the tokens.
    "device_code",
];

/// Tokens in a response are credentials too, at any depth.
pub(crate) fn redact_tokens(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if TOKEN_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
                    *value = REDACTED.into();
                } else {
                    redact_tokens(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_tokens),
        _ => {}
    }
}

fn redact_strings(json: &mut serde_json::Value, redactor: &Redactor) {
    match json {
        serde_json::Value::String(s) => *s = redactor.clean(s),
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(|v| redact_strings(v, redactor))
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| redact_strings(v, redactor))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_show_sensitive_parts_redacted() {
        let form = Body::form(&[
            ("grant_type", "client_credentials", false),
            ("client_secret", "a+b c", true),
        ]);
        assert_eq!(
            form.text.expose(),
            "grant_type=client_credentials&client_secret=a%2Bb+c"
        );
        assert_eq!(
            form.shown,
            "grant_type=client_credentials&client_secret=(redacted)"
        );
        let json = Body::json(&[("client_id", "id", false), ("client_secret", "s3", true)]);
        assert_eq!(
            json.text.expose(),
            r#"{"client_id":"id","client_secret":"s3"}"#
        );
        assert!(!json.shown.contains("s3"));
    }

    #[test]
    fn token_fields_are_redacted_at_any_depth() {
        let mut v = serde_json::json!({"access_token": "tok", "expires_in": 5,
            "data": {"Token": "t2", "items": [{"refresh_token": "r"}]}});
        redact_tokens(&mut v);
        assert_eq!(
            v.to_string(),
            r#"{"access_token":"(redacted)","data":{"Token":"(redacted)","items":[{"refresh_token":"(redacted)"}]},"expires_in":5}"#
        );
    }
}
