//! `test --explain`: the whole path to the provider, one step at a time, each timed, stopping
//! at the first that fails, with the cause in plain words and the catalog's hint. For support
//! staff at a terminal and, with `--json`, for CI logs and tickets. Nothing secret is shown:
//! the client ID is partly masked and secrets are described only by their length and shape.

use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use tokio::net::TcpStream;
use url::Url;

use crate::check::{self, Credentials, Outcome, Status};
use crate::connectors::{Check, Connector};
use crate::context::Context;
use crate::error::{CliError, exit};
use crate::input::{check_value, mask};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Ok,
    Warning,
    Failed,
    Skipped,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub step: &'static str,
    pub status: StepStatus,
    pub duration_ms: Option<u64>,
    pub detail: String,
    pub hint: Option<String>,
}

pub struct Diagnosis {
    pub name: String,
    pub connector: String,
    pub steps: Vec<Step>,
    pub exit_code: u8,
}

impl Diagnosis {
    pub fn new(name: &str, connector: &str) -> Self {
        Self {
            name: name.to_owned(),
            connector: connector.to_owned(),
            steps: Vec::new(),
            exit_code: exit::OK,
        }
    }

    pub fn push(
        &mut self,
        step: &'static str,
        status: StepStatus,
        duration_ms: Option<u64>,
        detail: String,
        hint: Option<String>,
    ) {
        self.steps.push(Step {
            step,
            status,
            duration_ms,
            detail,
            hint,
        });
    }

    /// Records the failing step and the exit code it maps to; later steps are not run.
    pub fn fail(
        &mut self,
        step: &'static str,
        duration_ms: Option<u64>,
        detail: String,
        hint: Option<String>,
        code: u8,
    ) {
        self.push(step, StepStatus::Failed, duration_ms, detail, hint);
        self.exit_code = code;
    }

    pub fn failed(&self) -> bool {
        self.exit_code != exit::OK
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "connector": self.connector,
            "ok": !self.failed(),
            "exit_code": self.exit_code,
            "steps": self.steps,
        })
    }

    pub fn print(&self, title: &str) {
        println!("Diagnosing {title}");
        for s in &self.steps {
            let mark = match s.status {
                StepStatus::Ok => "[ ok ]",
                StepStatus::Warning => "[warn]",
                StepStatus::Failed => "[FAIL]",
                StepStatus::Skipped => "[skip]",
            };
            let time = s
                .duration_ms
                .map_or_else(String::new, |ms| format!("{ms} ms"));
            println!("  {mark} {:<11} {time:>7}  {}", s.step, s.detail);
            if let Some(hint) = &s.hint {
                println!("  {:<28}hint: {hint}", "");
            }
        }
        if self.failed() {
            println!(
                "Result: failed at step `{}` (exit {})",
                self.steps.last().map_or("", |s| s.step),
                self.exit_code
            );
        } else {
            println!("Result: every step passed");
        }
    }
}

pub fn since(started: Instant) -> Option<u64> {
    Some(started.elapsed().as_millis() as u64)
}

/// Runs every step after the credentials were gathered (stored or given ad hoc).
pub async fn diagnose(
    ctx: &Context,
    connector: &Connector,
    creds: &Credentials,
    d: &mut Diagnosis,
) {
    let started = Instant::now();
    match inspect_input(connector, creds) {
        Err((detail, hint_key)) => {
            let hint = ctx.catalog.hint(Some(connector), hint_key);
            return d.fail("input", since(started), detail, hint, exit::USAGE);
        }
        Ok((detail, warnings)) => {
            d.push("input", StepStatus::Ok, since(started), detail, None);
            for w in warnings {
                d.push(
                    "input",
                    StepStatus::Warning,
                    None,
                    w,
                    ctx.catalog.hint(Some(connector), "invisible_characters"),
                );
            }
        }
    }
    let url = match target_url(connector, creds) {
        Ok(url) => url,
        Err(e) => return d.fail("input", None, e.message, e.hint, exit::USAGE),
    };
    let (host, port) = match proxy_for(&url) {
        Some(proxy) => {
            let shown = strip_credentials(&proxy);
            d.push(
                "proxy",
                StepStatus::Ok,
                None,
                format!(
                    "requests to {} go through the proxy {shown}",
                    url.host_str().unwrap_or("")
                ),
                None,
            );
            (
                proxy.host_str().unwrap_or_default().to_owned(),
                proxy.port_or_known_default().unwrap_or(80),
            )
        }
        None => (
            url.host_str().unwrap_or_default().to_owned(),
            url.port_or_known_default().unwrap_or(443),
        ),
    };
    let Some(address) = resolve(ctx, connector, &host, port, d).await else {
        return;
    };
    if !connect(ctx, connector, address, d).await {
        return;
    }
    let started = Instant::now();
    let outcome = match check::validate(&ctx.http, &ctx.catalog, connector, creds).await {
        Ok(o) => o,
        Err(e) => return d.fail("input", None, e.message, e.hint, exit::USAGE),
    };
    if !tls_and_http(ctx, connector, &url, &outcome, started, d) {
        return;
    }
    let step = match connector.check {
        Check::OAuth(_) => "oauth",
        Check::ApiKey(_) => "verify",
    };
    if outcome.status != Status::Valid {
        let detail = outcome.cause();
        return d.fail(
            step,
            None,
            detail,
            outcome.hint.clone(),
            outcome.status.exit_code(),
        );
    }
    let detail = match (&outcome.access_token, outcome.expires_in, &outcome.scope) {
        (Some(_), expires, scope) => format!(
            "token issued{}{}",
            expires.map_or_else(String::new, |e| format!(", valid {e} s")),
            scope
                .as_ref()
                .map_or_else(String::new, |s| format!(", scope {s}"))
        ),
        (None, _, _) => "the provider accepted the key".to_owned(),
    };
    d.push(step, StepStatus::Ok, None, detail, None);
    match &outcome.access_token {
        Some(token) => permissions(ctx, connector, creds, token, d).await,
        None => d.push(
            "permissions",
            StepStatus::Skipped,
            None,
            "an API key has no token to check permissions with; the verification call proved the key".into(),
            None,
        ),
    }
}

/// Checks every value against the catalog, and looks for the invisible characters a
/// copy-paste brings along. Secrets are described, never shown.
fn inspect_input(
    connector: &Connector,
    creds: &Credentials,
) -> Result<(String, Vec<String>), (String, &'static str)> {
    let mut shown = Vec::new();
    let mut warnings = Vec::new();
    for field in &connector.fields {
        let value = if field.secret {
            creds.secret.expose()
        } else {
            creds.values.get(&field.id).map_or("", String::as_str)
        };
        if let Some(problem) = invisible(value) {
            return Err((
                format!("the {} {problem}", field.label),
                "invisible_characters",
            ));
        }
        if let Err(reason) = check_value(field, value) {
            let key = if field
                .pattern
                .as_ref()
                .is_some_and(|p| !value.is_empty() && !p.is_match(value))
            {
                "wrong_shape"
            } else {
                "invisible_characters"
            };
            return Err((format!("{}: {reason}", field.label), key));
        }
        if field.secret {
            if value.contains(' ') {
                warnings.push(format!(
                    "the {} contains a space; most providers never issue one",
                    field.label
                ));
            }
            let n = value.chars().count();
            shown.push(format!(
                "{}: {n} character{}",
                field.label,
                if n == 1 { "" } else { "s" }
            ));
        } else if !value.is_empty() {
            let value = if field.id == "client_id" {
                mask(value, 8)
            } else {
                value.to_owned()
            };
            shown.push(format!("{} {value}", field.label));
        }
    }
    Ok((shown.join("; "), warnings))
}

/// What a copy-paste can hide in a value: whitespace around it, line breaks, non-breaking and
/// zero-width spaces.
fn invisible(value: &str) -> Option<String> {
    if value.ends_with(['\n', '\r']) {
        return Some("ends with a line break".into());
    }
    for (at, c) in value.chars().enumerate() {
        let name = match c {
            '\u{a0}' | '\u{202f}' => "a non-breaking space",
            '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' => "a zero-width character",
            '\n' | '\r' => "a line break",
            '\t' => "a tab",
            _ => continue,
        };
        return Some(format!("contains {name} at character {}", at + 1));
    }
    if value.trim() != value {
        return Some("has whitespace at its start or end".into());
    }
    None
}

fn target_url(connector: &Connector, creds: &Credentials) -> Result<Url, CliError> {
    let values = creds
        .values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let template = match &connector.check {
        Check::OAuth(spec) => &spec.token_url,
        Check::ApiKey(spec) => &spec.url,
    };
    template.render_url(&values, &|f| connector.label(f))
}

/// The proxy reqwest will use for this URL, from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY and NO_PROXY.
fn proxy_for(url: &Url) -> Option<Url> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    };
    let proxy = match url.scheme() {
        "https" => var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
        _ => var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]),
    }?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let bypass = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let excluded = bypass
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|e| {
            let e = e.trim_start_matches('.');
            e == "*" || host == e || host.ends_with(&format!(".{e}"))
        });
    if excluded {
        return None;
    }
    Url::parse(&proxy)
        .or_else(|_| Url::parse(&format!("http://{proxy}")))
        .ok()
}

fn strip_credentials(url: &Url) -> String {
    let mut shown = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        let _ = shown.set_username("***");
        let _ = shown.set_password(None);
    }
    shown.to_string()
}

async fn resolve(
    ctx: &Context,
    connector: &Connector,
    host: &str,
    port: u16,
    d: &mut Diagnosis,
) -> Option<std::net::SocketAddr> {
    let started = Instant::now();
    if let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
    {
        d.push(
            "dns",
            StepStatus::Skipped,
            None,
            format!("{ip} is an IP address, nothing to look up"),
            None,
        );
        return Some((ip, port).into());
    }
    let lookup = tokio::time::timeout(ctx.timeout, tokio::net::lookup_host((host, port))).await;
    let addresses: Vec<_> = match lookup {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(e)) => {
            let detail = format!(
                "`{host}` does not resolve ({e}): usually a typo in the subdomain or region, or no network"
            );
            d.fail(
                "dns",
                since(started),
                detail,
                ctx.catalog.hint(Some(connector), "dns"),
                exit::UNREACHABLE,
            );
            return None;
        }
        Err(_) => {
            d.fail(
                "dns",
                since(started),
                format!("no answer for `{host}` within the timeout"),
                ctx.catalog.hint(Some(connector), "dns"),
                exit::UNREACHABLE,
            );
            return None;
        }
    };
    let first = *addresses.first()?;
    let list: Vec<String> = addresses
        .iter()
        .take(3)
        .map(|a| a.ip().to_string())
        .collect();
    d.push(
        "dns",
        StepStatus::Ok,
        since(started),
        format!("{host} → {}", list.join(", ")),
        None,
    );
    Some(first)
}

async fn connect(
    ctx: &Context,
    connector: &Connector,
    address: std::net::SocketAddr,
    d: &mut Diagnosis,
) -> bool {
    let started = Instant::now();
    match tokio::time::timeout(ctx.timeout, TcpStream::connect(address)).await {
        Ok(Ok(_)) => {
            d.push(
                "connect",
                StepStatus::Ok,
                since(started),
                format!("TCP connection to {address}"),
                None,
            );
            true
        }
        Ok(Err(e)) => {
            d.fail(
                "connect",
                since(started),
                format!("cannot connect to {address}: {e}"),
                ctx.catalog.hint(Some(connector), "connect"),
                exit::UNREACHABLE,
            );
            false
        }
        Err(_) => {
            d.fail(
                "connect",
                since(started),
                format!("no TCP connection to {address} within the timeout (a firewall?)"),
                ctx.catalog.hint(Some(connector), "connect"),
                exit::UNREACHABLE,
            );
            false
        }
    }
}

/// TLS and HTTP happen in the one request; network errors tell which of the two failed.
fn tls_and_http(
    ctx: &Context,
    connector: &Connector,
    url: &Url,
    outcome: &Outcome,
    started: Instant,
    d: &mut Diagnosis,
) -> bool {
    let network_error = outcome.answer.is_none() && outcome.error.is_some();
    let code = outcome.error.as_deref().unwrap_or("");
    if url.scheme() != "https" {
        d.push(
            "tls",
            StepStatus::Skipped,
            None,
            "plain http to a loopback address".into(),
            None,
        );
    } else if network_error && code == "tls" {
        let detail = tls_cause(outcome.error_description.as_deref().unwrap_or(""));
        let hint = ctx.catalog.hint(Some(connector), "tls");
        d.fail("tls", None, detail, hint, exit::UNREACHABLE);
        return false;
    } else if !network_error {
        d.push(
            "tls",
            StepStatus::Ok,
            None,
            "handshake ok, certificate trusted".into(),
            None,
        );
    }
    let Some(answer) = &outcome.answer else {
        let detail = outcome.cause();
        d.fail(
            "http",
            since(started),
            detail,
            outcome.hint.clone(),
            exit::UNREACHABLE,
        );
        return false;
    };
    let mut detail = format!(
        "HTTP {} {}, {} bytes",
        answer.status,
        answer
            .content_type
            .as_deref()
            .unwrap_or("(no content-type)"),
        answer.bytes,
    );
    if let Some(location) = &answer.location {
        detail.push_str(&format!(", redirect to {location} (not followed)"));
    }
    // A 2xx that is unusable (no token, not JSON) is the OAuth step's failure, not HTTP's.
    if outcome.status == Status::Unreachable && !(200..300).contains(&answer.status) {
        detail = format!(
            "{detail}: {}",
            outcome
                .error_description
                .as_deref()
                .unwrap_or("unusable answer")
        );
        d.fail(
            "http",
            Some(outcome.latency_ms),
            detail,
            outcome.hint.clone(),
            exit::UNREACHABLE,
        );
        return false;
    }
    d.push(
        "http",
        StepStatus::Ok,
        Some(outcome.latency_ms),
        detail,
        None,
    );
    true
}

/// rustls and the platform verifier name certificate problems tersely; say them plainly.
fn tls_cause(raw: &str) -> String {
    let lower = raw.to_lowercase();
    let plain = if lower.contains("unknownissuer")
        || lower.contains("unknown issuer")
        || lower.contains("self-signed")
        || lower.contains("self signed")
    {
        "the server's certificate is not signed by an authority this machine trusts: a self-signed certificate, or a TLS-inspecting proxy (pass its CA with --ca-file)"
    } else if lower.contains("causedasendentity") {
        "the server presents a CA certificate as its own (a self-signed certificate made as a CA); --ca-file cannot fix that: the server needs a certificate issued for its host name"
    } else if lower.contains("badsignature") {
        "the certificate's signature does not verify against a trusted authority (a self-signed certificate?)"
    } else if lower.contains("expired") {
        "the server's certificate has expired"
    } else if lower.contains("notvalidforname") || lower.contains("not valid for") {
        "the server's certificate is for another host name"
    } else if lower.contains("revoked") {
        "the server's certificate was revoked"
    } else {
        "the TLS handshake failed"
    };
    format!("{plain} ({raw})")
}

async fn permissions(
    ctx: &Context,
    connector: &Connector,
    creds: &Credentials,
    token: &crate::secret::Secret,
    d: &mut Diagnosis,
) {
    let started = Instant::now();
    match check::permission_check(&ctx.http, connector, creds, token).await {
        Ok(None) => d.push(
            "permissions",
            StepStatus::Skipped,
            None,
            "the connector declares no permission check".into(),
            None,
        ),
        Err(e) => d.fail("permissions", None, e.message, e.hint, exit::USAGE),
        Ok(Some((call, o, _))) if o.status == Status::Valid => {
            d.push(
                "permissions",
                StepStatus::Ok,
                since(started),
                format!("{call}: HTTP {}", o.http_status.unwrap_or(0)),
                None,
            );
        }
        Ok(Some((call, o, hint_key))) => {
            let hint = hint_key.and_then(|k| ctx.catalog.hint(Some(connector), &k));
            d.fail(
                "permissions",
                since(started),
                format!("{call}: {}", o.cause()),
                hint,
                o.status.exit_code(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_named_with_their_place() {
        assert_eq!(
            invisible("abc\n").as_deref(),
            Some("ends with a line break")
        );
        assert_eq!(
            invisible(" abc").as_deref(),
            Some("has whitespace at its start or end")
        );
        assert_eq!(
            invisible("ab\u{a0}c").as_deref(),
            Some("contains a non-breaking space at character 3")
        );
        assert_eq!(
            invisible("\u{200b}abc").as_deref(),
            Some("contains a zero-width character at character 1")
        );
        assert_eq!(invisible("papi-123"), None);
    }

    #[test]
    fn tls_causes_are_named_plainly() {
        assert!(
            tls_cause("invalid peer certificate: UnknownIssuer")
                .contains("not signed by an authority")
        );
        assert!(tls_cause("invalid peer certificate: Expired").contains("expired"));
        assert!(tls_cause("Other(OtherError(CaUsedAsEndEntity))").contains("--ca-file cannot fix"));
    }
}
