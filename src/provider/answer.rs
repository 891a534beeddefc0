//! Reading a provider's answers: a token with its lifetime and scope, a verification call's
//! verdict, or why not, as a typed [`Outcome`]. Every text taken from an answer is cleaned and
//! has every spelling of the secrets removed.

use serde_json::Value;

use crate::base::outcome::MAX_EXPIRES_IN;
use crate::base::outcome::{Answer, Failure, FailureKind, OAuthCode, Outcome, Stage, Token};
use crate::base::secret::{Redactor, Secret};
use crate::catalog::{ExchangeSpec, Lifetime, VerifySpec};
use crate::provider::http::{MAX_BODY, Response};

fn latency_ms(response: &Response) -> u64 {
    response.latency.as_millis() as u64
}

/// The shape of an answer, without its content.
pub(crate) fn shape(response: &Response, redactor: &Redactor) -> Answer {
    Answer {
        status: response.status,
        content_type: response.content_type().map(|c| redactor.display(&c, 100)),
        bytes: response.body.len(),
        location: response
            .header("location")
            .map(|l| redactor.display(&l, 200)),
    }
}

/// A successful answer that could not be used, as the main request's failure.
fn unusable(response: &Response, kind: FailureKind, why: String) -> Outcome {
    let f = Failure::new(kind, Stage::Main).with_description(why);
    Outcome::failed(f, Some(response.status), latency_ms(response))
}

/// A successful answer that should carry a token but is not JSON.
fn not_json(response: &Response, redactor: &Redactor) -> Outcome {
    unusable(
        response,
        FailureKind::NonJson,
        format!(
            "the answer is not JSON: {}",
            describe_unparsed_token_answer(response, redactor)
        ),
    )
}

/// A token endpoint's answer (RFC 6749 5.1 / 5.2).
pub(crate) fn token_outcome(response: &Response, redactor: &Redactor) -> Outcome {
    if !response.is_success() {
        return failure(response, redactor, None, Stage::Main);
    }
    let unusable = |kind: FailureKind, why: String| unusable(response, kind, why);
    let Ok(json) = serde_json::from_slice::<Value>(&response.body) else {
        return not_json(response, redactor);
    };
    let token = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return unusable(
            FailureKind::NoAccessToken,
            "the answer has no access_token".into(),
        );
    };
    // RFC 6750 b64token / RFC 6749 VSCHAR: a token with anything else could inject a header
    // or write to a terminal when a script uses it.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return unusable(
            FailureKind::UnusableToken,
            "the access_token holds characters a token cannot have (spaces, line breaks, control or non-ASCII characters); it was not used".into(),
        );
    }
    // RFC 6749 7.1: a client must not use a token whose type it does not understand.
    if let Some(kind) = json.get("token_type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return unusable(
            FailureKind::UnusableToken,
            format!(
                "the token is of type `{}`, not Bearer; credlink can use only Bearer tokens",
                redactor.display(kind, 40)
            ),
        );
    }
    let mut outcome = Outcome::valid(response.status, latency_ms(response));
    outcome.token = Some(Token {
        access_token: Secret::new(token),
        expires_in: expires_in(&json),
        refresh_expires_in: [
            "refresh_token_expires_in",
            "x_refresh_token_expires_in",
            "refresh_expires_in",
        ]
        .iter()
        .find_map(|k| json.get(*k).and_then(seconds)),
        scope: json
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| redactor.display(s, 500)),
        refresh_token: json
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(Secret::new),
    });
    outcome
}

/// A sign-in call's answer (`token_exchange`): the token at the declared JSON pointer, its
/// lifetime fixed or at its own pointer.
pub(crate) fn exchange_outcome(
    spec: &ExchangeSpec,
    response: &Response,
    redactor: &Redactor,
) -> Outcome {
    if !response.is_success() {
        return failure(response, redactor, None, Stage::Main);
    }
    let unusable = |kind: FailureKind, why: String| unusable(response, kind, why);
    let Ok(json) = serde_json::from_slice::<Value>(&response.body) else {
        return not_json(response, redactor);
    };
    let pointer = &spec.token_pointer;
    let Some(token) = json
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return unusable(
            FailureKind::NoAccessToken,
            format!("the answer has no token at {pointer}"),
        );
    };
    let token = match &spec.token_prefix {
        Some(prefix) => token.strip_prefix(prefix.as_str()).unwrap_or(token),
        None => token,
    };
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return unusable(
            FailureKind::UnusableToken,
            "the token holds characters a token cannot have (spaces, line breaks, control or non-ASCII characters); it was not used".into(),
        );
    }
    let expires_in = match &spec.expires_in {
        None => None,
        Some(Lifetime::Seconds(s)) => Some((*s).min(MAX_EXPIRES_IN)),
        Some(Lifetime::Pointer(p)) => json.pointer(p).and_then(seconds),
    };
    let mut outcome = Outcome::valid(response.status, latency_ms(response));
    outcome.token = Some(Token {
        access_token: Secret::new(token),
        expires_in,
        refresh_expires_in: None,
        scope: None,
        refresh_token: None,
    });
    outcome
}

/// A number of seconds, as a number or a numeric string, clamped to [`MAX_EXPIRES_IN`]: every
/// duration a provider gives is read here, so that no arithmetic on one can overflow.
pub(crate) fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|secs| secs.is_finite() && *secs >= 0.0)
    .map(|secs| secs.min(MAX_EXPIRES_IN as f64) as u64)
}

/// `expires_in` (or `expires`) as a number or a numeric string, clamped to [`MAX_EXPIRES_IN`].
fn expires_in(json: &Value) -> Option<u64> {
    ["expires_in", "expires"]
        .iter()
        .find_map(|k| json.get(*k).and_then(seconds))
}

/// A verification call's answer: 2xx (and, where declared, `success` not false).
pub(crate) fn verify_outcome(
    spec: &VerifySpec,
    response: &Response,
    redactor: &Redactor,
) -> Outcome {
    let error_header = spec
        .error_header
        .as_deref()
        .and_then(|h| response.header(h));
    if !response.is_success() {
        return failure(response, redactor, error_header, Stage::Main);
    }
    // A refusal in a 2xx answer: `false` at the success pointer, `true` at the error pointer.
    let refusals = [(&spec.success_pointer, false), (&spec.error_pointer, true)];
    let refusals: Vec<(&String, bool)> = refusals
        .into_iter()
        .filter_map(|(p, refused)| p.as_ref().map(|p| (p, refused)))
        .collect();
    let valid = |json: Option<&Value>| {
        let mut outcome = Outcome::valid(response.status, latency_ms(response));
        outcome.expires_at = spec
            .expires_at_pointer
            .as_deref()
            .and_then(|p| json?.pointer(p))
            .and_then(instant);
        outcome
    };
    if refusals.is_empty() && spec.expires_at_pointer.is_none() {
        return valid(None);
    }
    let fail = |f: Failure| Outcome::failed(f, Some(response.status), latency_ms(response));
    let Ok(json) = serde_json::from_slice::<Value>(&response.body) else {
        // An expiry is extra: an answer without JSON is still a pass where nothing else is read.
        if refusals.is_empty() {
            return valid(None);
        }
        return fail(
            Failure::new(FailureKind::NonJson, Stage::Main).with_description(format!(
                "the answer is not JSON: {}",
                describe_body(response, redactor)
            )),
        );
    };
    for (pointer, refused) in refusals {
        if json.pointer(pointer) == Some(&Value::Bool(refused)) {
            let parsed = parse_error_json(&json);
            let mut f = Failure::new(FailureKind::SuccessFalse, Stage::Main);
            f.code = parsed.code.map(|c| redactor.display(&c, 100));
            f.description = Some(parsed.description.map_or_else(
                || format!("the answer says {pointer} = {refused}"),
                |d| redactor.display(&d, 300),
            ));
            return fail(f);
        }
    }
    valid(Some(&json))
}

/// A point in time as an answer gives it: an RFC 3339 string or Unix seconds (a number or a
/// numeric string), from 1970 to the year 9999.
fn instant(value: &Value) -> Option<i64> {
    let secs = match value {
        Value::String(text) => match humantime::parse_rfc3339_weak(text.trim()) {
            Ok(t) => t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as f64,
            Err(_) => text.trim().parse::<f64>().ok()?,
        },
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    // Unix seconds up to the year 9999, so that no arithmetic on it can overflow.
    (secs.is_finite() && (0.0..253_402_300_800.0).contains(&secs)).then_some(secs as i64)
}

/// The code and description of an error answer.
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
    if response.cut {
        return format!("a body larger than {} MiB (not shown)", MAX_BODY >> 20);
    }
    let body = String::from_utf8_lossy(&response.body);
    let trimmed = body.trim_start();
    if trimmed.is_empty() {
        return "the body is empty".into();
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body")
    {
        let title = lower.find("<title>").and_then(|start| {
            let rest = trimmed.get(start + 7..)?;
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
    if !response.cut && String::from_utf8_lossy(&response.body).contains("access_token") {
        return format!(
            "{} bytes that mention access_token but do not parse (truncated?)",
            response.body.len()
        );
    }
    describe_body(response, redactor)
}

/// Classifies a non-2xx answer. An RFC 6749 error code in the body decides among the statuses
/// that mean "rejected" (providers disagree on those: Personio answers 400 for everything);
/// otherwise the status decides.
pub(crate) fn failure(
    response: &Response,
    redactor: &Redactor,
    header_text: Option<String>,
    stage: Stage,
) -> Outcome {
    let status = response.status;
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
    let by_status = FailureKind::of_status(status);
    let mut kind = match code.as_deref().and_then(OAuthCode::parse) {
        Some(oauth) if matches!(by_status.class(), crate::base::outcome::Class::Rejected) => {
            FailureKind::OAuth(oauth)
        }
        _ => by_status,
    };
    if stage == Stage::Permissions && matches!(status, 401 | 403) {
        kind = FailureKind::PermissionDenied;
    }
    let mut f = Failure::new(kind, stage);
    f.code = code.map(|c| redactor.display(&c, 100));
    f.description = header_text
        .or(description)
        .map(|d| redactor.display(&d, 300));
    if kind == FailureKind::Redirect {
        let to = response
            .header("location")
            .map_or_else(|| "nowhere".into(), |l| redactor.display(&l, 200));
        f.description = Some(format!(
            "the provider redirects to {to}; credlink does not follow redirects"
        ));
    }
    if f.description.is_none() && f.code.is_none() {
        f.description = Some("the answer has an empty body".into());
    }
    Outcome::failed(f, Some(status), latency_ms(response))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn lifetimes_are_clamped_and_read_in_every_form() {
        let e = |v: Value| expires_in(&serde_json::json!({ "expires_in": v }));
        assert_eq!(e(600.into()), Some(600));
        assert_eq!(e("600".into()), Some(600));
        assert_eq!(e(serde_json::json!(1e19)), Some(MAX_EXPIRES_IN));
        assert_eq!(e("9e18".into()), Some(MAX_EXPIRES_IN));
        assert_eq!(e(serde_json::json!(-5)), None);
        assert_eq!(e("soon".into()), None);
    }
}
