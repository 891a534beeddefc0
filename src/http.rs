//! One HTTP client for every provider call: timeouts, no redirects, capped bodies, and a `-v`
//! trace in which credentials never appear.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{self, HeaderMap};
use url::Url;

use crate::secret::{REDACTED, Redactor};
use crate::ui;

/// Larger answers are cut here: a token or error response is a few hundred bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// Tries per request when the provider answers 429 or 503.
pub const MAX_ATTEMPTS: u32 = 3;
/// The longest wait credlink honours from a Retry-After header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Retry-After in seconds (capped), else 250 ms doubled per attempt.
fn retry_delay(response: &Response, attempt: u32) -> Duration {
    let backoff = Duration::from_millis(250 * 2u64.pow(attempt - 1));
    response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(backoff, |secs| {
            Duration::from_secs(secs).min(MAX_RETRY_AFTER)
        })
}

/// Built on the first request: loading the system's root certificates costs milliseconds
/// that commands like `list` should not pay.
pub struct Http {
    client: OnceLock<reqwest::Client>,
    extra_roots: Vec<reqwest::Certificate>,
    timeout: Duration,
    verbose: bool,
}

/// A request as credlink builds it. Sensitive headers and body parts carry their own
/// redacted rendering for the trace, so the trace never needs to see the real values.
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<Header>,
    pub body: Option<Body>,
}

pub struct Header {
    pub name: String,
    pub value: String,
    pub sensitive: bool,
}

pub struct Body {
    pub content_type: &'static str,
    pub text: String,
    pub shown: String,
}

impl Body {
    pub fn form(pairs: &[(&str, &str, bool)]) -> Self {
        let mut text = form_urlencoded::Serializer::new(String::new());
        let mut shown = form_urlencoded::Serializer::new(String::new());
        for (k, v, sensitive) in pairs {
            text.append_pair(k, v);
            shown.append_pair(k, if *sensitive { REDACTED } else { v });
        }
        let shown = shown.finish().replace("%28redacted%29", REDACTED);
        Self {
            content_type: "application/x-www-form-urlencoded",
            text: text.finish(),
            shown,
        }
    }

    pub fn json(pairs: &[(&str, &str, bool)]) -> Self {
        let object = |redact: bool| {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(k, v, s)| {
                    (
                        (*k).to_owned(),
                        (if redact && *s { REDACTED } else { *v }).into(),
                    )
                })
                .collect();
            serde_json::Value::Object(map).to_string()
        };
        Self {
            content_type: "application/json",
            text: object(false),
            shown: object(true),
        }
    }

    pub fn raw_json(text: &str) -> Self {
        Self {
            content_type: "application/json",
            text: text.to_owned(),
            shown: text.to_owned(),
        }
    }
}

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub latency: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(ui::clean)
    }

    pub fn content_type(&self) -> Option<String> {
        self.header(header::CONTENT_TYPE.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetErrorKind {
    Timeout,
    Dns,
    Connect,
    Tls,
    Body,
}

impl NetErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            NetErrorKind::Timeout => "timeout",
            NetErrorKind::Dns => "dns",
            NetErrorKind::Connect => "connect",
            NetErrorKind::Tls => "tls",
            NetErrorKind::Body => "connect",
        }
    }
}

pub struct NetError {
    pub kind: NetErrorKind,
    pub message: String,
    pub latency: Duration,
}

impl Http {
    pub fn new(timeout: Duration, verbose: bool, extra_roots: Vec<reqwest::Certificate>) -> Self {
        Self {
            client: OnceLock::new(),
            extra_roots,
            timeout,
            verbose,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, NetError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let built = reqwest::Client::builder()
            .tls_certs_merge(self.extra_roots.clone())
            .user_agent(concat!("credlink/", env!("CARGO_PKG_VERSION")))
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            // A redirect could carry credentials to another origin: report it instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NetError {
                kind: NetErrorKind::Tls,
                message: format!("cannot set up TLS: {e}"),
                latency: Duration::ZERO,
            })?;
        Ok(self.client.get_or_init(|| built))
    }

    /// Sends a request; 429 and 503 answers are retried a bounded number of times, after the
    /// server's Retry-After (capped) or an exponential backoff, within the timeout. Nothing else is retried: a
    /// rejected credential must not be hammered into a lock-out.
    pub async fn send(&self, req: &Request, redactor: &Redactor) -> Result<Response, NetError> {
        if self.verbose {
            self.trace_request(req, redactor);
        }
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let response = self.send_once(req, redactor).await?;
            if !matches!(response.status, 429 | 503) || attempt == MAX_ATTEMPTS {
                return Ok(response);
            }
            let wait = retry_delay(&response, attempt);
            // --timeout bounds the whole check, waits included.
            if started.elapsed() + wait >= self.timeout {
                return Ok(response);
            }
            if self.verbose {
                ui::trace(&format!(
                    "retrying in {:.1} s (attempt {} of {MAX_ATTEMPTS})",
                    wait.as_secs_f32(),
                    attempt + 1
                ));
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    fn trace_request(&self, req: &Request, redactor: &Redactor) {
        ui::trace(&format!("> {} {}", req.method, req.url));
        for h in &req.headers {
            ui::trace(&format!(
                "> {}: {}",
                h.name,
                if h.sensitive { REDACTED } else { &h.value }
            ));
        }
        if let Some(body) = &req.body {
            ui::trace(&format!("> content-type: {}", body.content_type));
            ui::trace(&format!("> {}", redactor.clean(&body.shown)));
        }
    }

    async fn send_once(&self, req: &Request, redactor: &Redactor) -> Result<Response, NetError> {
        let mut builder = self.client()?.request(req.method.clone(), req.url.clone());
        for h in &req.headers {
            builder = builder.header(&h.name, &h.value);
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(header::CONTENT_TYPE, body.content_type)
                .body(body.text.clone());
        }
        let started = Instant::now();
        let result = async {
            let mut response = builder.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                let room = MAX_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_BODY {
                    break;
                }
            }
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        let latency = started.elapsed();
        match result {
            Ok((status, headers, body)) => {
                let response = Response {
                    status,
                    headers,
                    body,
                    latency,
                };
                if self.verbose {
                    self.trace_response(&response, redactor);
                }
                Ok(response)
            }
            Err(e) => {
                let err = classify(&e, latency);
                if self.verbose {
                    ui::trace(&format!(
                        "< {} error after {} ms: {}",
                        err.kind.code(),
                        latency.as_millis(),
                        err.message
                    ));
                }
                Err(err)
            }
        }
    }

    fn trace_response(&self, r: &Response, redactor: &Redactor) {
        ui::trace(&format!(
            "< HTTP {} ({} ms, {} bytes, {})",
            r.status,
            r.latency.as_millis(),
            r.body.len(),
            r.content_type().unwrap_or_else(|| "no content-type".into())
        ));
        if let Some(location) = r.header("location") {
            ui::trace(&format!("< location: {}", redactor.display(&location, 500)));
        }
        let shown = match serde_json::from_slice::<serde_json::Value>(&r.body) {
            Ok(mut json) => {
                redact_tokens(&mut json);
                json.to_string()
            }
            Err(_) => {
                let text = String::from_utf8_lossy(&r.body);
                if text.contains("access_token") {
                    "(a body that mentions access_token but does not parse: not shown)".to_owned()
                } else {
                    text.into_owned()
                }
            }
        };
        if !shown.is_empty() {
            ui::trace(&format!("< {}", redactor.display(&shown, 500)));
        }
    }
}

/// Tokens in a response are credentials too.
fn redact_tokens(json: &mut serde_json::Value) {
    if let Some(map) = json.as_object_mut() {
        for key in ["access_token", "refresh_token", "id_token", "token"] {
            if let Some(v) = map.get_mut(key) {
                *v = REDACTED.into();
            }
        }
    }
}

fn classify(e: &reqwest::Error, latency: Duration) -> NetError {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let detail = causes.last().cloned().unwrap_or_else(|| e.to_string());
    let all = causes.join(": ").to_lowercase();
    let kind = if e.is_timeout() {
        NetErrorKind::Timeout
    } else if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
    {
        NetErrorKind::Dns
    } else if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        NetErrorKind::Tls
    } else if e.is_connect() {
        NetErrorKind::Connect
    } else {
        NetErrorKind::Body
    };
    let message = match kind {
        NetErrorKind::Timeout => format!("no answer within {} s", latency.as_secs_f32().round()),
        _ => ui::clean(&detail),
    };
    NetError {
        kind,
        message,
        latency,
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
            form.text,
            "grant_type=client_credentials&client_secret=a%2Bb+c"
        );
        assert_eq!(
            form.shown,
            "grant_type=client_credentials&client_secret=(redacted)"
        );
        let json = Body::json(&[("client_id", "id", false), ("client_secret", "s3", true)]);
        assert_eq!(json.text, r#"{"client_id":"id","client_secret":"s3"}"#);
        assert!(!json.shown.contains("s3"));
    }

    #[test]
    fn retry_delay_honours_retry_after_up_to_a_cap() {
        let response = |retry_after: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = retry_after {
                headers.insert("retry-after", v.parse().unwrap());
            }
            Response {
                status: 429,
                headers,
                body: Vec::new(),
                latency: Duration::ZERO,
            }
        };
        assert_eq!(retry_delay(&response(Some("2")), 1), Duration::from_secs(2));
        assert_eq!(retry_delay(&response(Some("3600")), 1), MAX_RETRY_AFTER);
        assert_eq!(retry_delay(&response(None), 1), Duration::from_millis(250));
        assert_eq!(
            retry_delay(&response(Some("soon")), 2),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn token_fields_are_redacted_in_traces() {
        let mut v = serde_json::json!({"access_token": "tok", "expires_in": 5});
        redact_tokens(&mut v);
        assert_eq!(
            v.to_string(),
            r#"{"access_token":"(redacted)","expires_in":5}"#
        );
    }
}
