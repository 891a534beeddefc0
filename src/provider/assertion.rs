//! The assertion grants, `oauth2_jwt_bearer` (RFC 7523 2.1) and `oauth2_saml2_bearer` (RFC
//! 7522): what the assertion says (one [`plan`] for the request and for `--explain`), the token
//! request that carries it, and what a provider's refusal of it means: its words, and its clock
//! (the answer's `Date` header) against this machine's.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::base::outcome::{AssertionFault, Class, Failure, FailureKind};
use crate::base::secret::Redactor;
use crate::catalog::{Connector, FieldRole, Grant, OAuthSpec};
use crate::provider::http::{Body, Request, Response};
use crate::provider::keys::{self, Claims, PrivateKey};
use crate::provider::saml::{self, Statement};
use crate::provider::{Credentials, render_url};

/// RFC 7523 2.1: the grant type of a JWT bearer assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// RFC 7522 2.1: the grant type of a SAML 2.0 bearer assertion.
const SAML2_BEARER: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";

/// How far the clocks may differ before a refused assertion is blamed on this machine's.
const SKEW_TOLERANCE_SECS: i64 = 60;

/// What the assertion will say, and the key that signs it.
pub(crate) struct Plan {
    grant: Grant,
    issuer: String,
    subject: Option<String>,
    audience: String,
    scope: Option<String>,
    key: PrivateKey,
}

/// The claims for these credentials: the issuer is the `client_id` field, else the key file's
/// `client_email`; the audience the connector's `assertion_audience`, else the token URL.
pub(crate) fn plan(
    connector: &Connector,
    spec: &OAuthSpec,
    creds: &Credentials,
) -> Result<Plan, String> {
    let key = creds
        .secret(FieldRole::PrivateKey)
        .ok_or("the private key is missing")?;
    let key = keys::read_private_key(key.expose())?;
    let given = creds.value(connector, FieldRole::ClientId);
    let issuer = match (given.is_empty(), &key.client_email) {
        (false, _) => given.to_owned(),
        (true, Some(email)) => email.clone(),
        (true, None) => {
            return Err(format!(
                "the assertion has no issuer: give the {}, or a key file with a `client_email`",
                connector.label("client_id")
            ));
        }
    };
    let audience = match &spec.assertion_audience {
        Some(t) => t
            .render(&creds.template_values(connector))
            .ok_or("the assertion's audience names an empty field")?,
        None => render_url(&spec.token_url, connector, creds)
            .map_err(|e| e.to_string())?
            .to_string(),
    };
    let subject = Some(creds.value(connector, FieldRole::Subject))
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let scope = super::scope(connector, creds).map_err(|e| e.to_string())?;
    Ok(Plan {
        grant: spec.grant,
        issuer,
        subject,
        audience,
        scope,
        key,
    })
}

impl Plan {
    /// The claims as `--explain` shows them: never the key or the signed assertion.
    pub(crate) fn describe(&self) -> String {
        let clean = |s: &str| crate::base::text::clean_truncated(s, 120);
        let subject = self
            .subject
            .as_deref()
            .map_or_else(|| "none".to_owned(), clean);
        let key_id = self
            .key
            .key_id
            .as_deref()
            .map_or_else(|| "none (a PEM names none)".to_owned(), clean);
        let alg = self.key.algorithm().unwrap_or("unknown");
        let kind = match self.grant {
            Grant::Saml2Bearer => "SAML 2.0, ",
            _ => "",
        };
        format!(
            "{kind}issuer {}, subject {subject}, audience {}, expires {} s after signing, key id {key_id}, {alg}",
            clean(&self.issuer),
            clean(&self.audience),
            keys::ASSERTION_LIFETIME_SECS
        )
    }
}

/// The token request: the signed assertion (kept out of the trace) and the connector's extra
/// parameters. A JWT carries the scope, where Google and DocuSign read it; a SAML assertion
/// goes with the client ID (SuccessFactors wants it beside `company_id`).
pub(crate) fn request(
    connector: &Connector,
    spec: &OAuthSpec,
    creds: &Credentials,
) -> Result<Request, String> {
    let plan = plan(connector, spec, creds)?;
    let url = render_url(&spec.token_url, connector, creds).map_err(|e| e.to_string())?;
    let (grant_type, assertion) = match spec.grant {
        Grant::Saml2Bearer => {
            let statement = Statement {
                issuer: &plan.issuer,
                subject: plan.subject.as_deref().unwrap_or(&plan.issuer),
                audience: &plan.audience,
                recipient: url.as_str(),
            };
            (SAML2_BEARER, saml::signed_assertion(&plan.key, &statement)?)
        }
        _ => {
            let claims = Claims {
                iss: &plan.issuer,
                sub: plan.subject.as_deref(),
                aud: &plan.audience,
                scope: plan.scope.as_deref(),
            };
            (JWT_BEARER, keys::sign(&plan.key, &claims)?)
        }
    };
    let values = creds.template_values(connector);
    let params: Vec<(String, String)> = spec
        .token_params
        .iter()
        .filter_map(|(k, t)| t.render(&values).map(|v| (k.clone(), v)))
        .collect();
    let mut pairs: Vec<(&str, &str, bool)> = vec![("grant_type", grant_type, false)];
    if spec.grant == Grant::Saml2Bearer {
        pairs.push(("client_id", &plan.issuer, false));
    }
    pairs.extend(params.iter().map(|(k, v)| (k.as_str(), v.as_str(), false)));
    pairs.push(("assertion", assertion.expose(), true));
    let mut request = Request::new(reqwest::Method::POST, url);
    request.body = Some(Body::form(&pairs));
    request.made.push(assertion);
    Ok(request)
}

/// A rejected assertion told apart: by the provider's words, or by the clocks when they
/// differ by more than a minute (Google's `invalid_grant` descriptions, DocuSign's codes,
/// Salesforce's). A cause not recognised stays the provider's code.
pub(crate) fn refine(failure: &mut Failure, response: &Response, redactor: &Redactor) {
    if failure.kind.class() != Class::Rejected {
        return;
    }
    let skew = clock_skew(response);
    let said = format!(
        "{} {}",
        failure.code.as_deref().unwrap_or(""),
        failure.description.as_deref().unwrap_or("")
    );
    // Words that name another cause win; a clock off by more than a minute explains the rest.
    let off = skew.is_some_and(|s| s.abs() >= SKEW_TOLERANCE_SECS);
    let fault = match fault_in_words(&said) {
        Some(f) if f != AssertionFault::ClockSkew => Some(f),
        _ if off => Some(AssertionFault::ClockSkew),
        words => words,
    };
    let Some(fault) = fault else { return };
    failure.kind = FailureKind::Assertion(fault);
    if fault == AssertionFault::ClockSkew {
        let clocks = match skew {
            Some(s) => describe_skew(s),
            None => "the answer has no Date header to compare this machine's clock with".into(),
        };
        let words = failure
            .description
            .as_deref()
            .map_or_else(String::new, |d| format!("{}; ", redactor.display(d, 300)));
        failure.description = Some(format!(
            "{words}the provider found the assertion expired or not yet valid: {clocks}"
        ));
    }
}

/// This machine's clock minus the provider's (its answer's `Date`), in seconds.
fn clock_skew(response: &Response) -> Option<i64> {
    let date = httpdate::parse_http_date(&response.header("date")?).ok()?;
    let theirs = date.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    let ours = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(ours - theirs)
}

/// "this machine's clock is 10 min 5 s behind the provider's (by its answer's Date header)".
fn describe_skew(skew: i64) -> String {
    if skew.abs() < SKEW_TOLERANCE_SECS {
        return format!(
            "this machine's clock agrees with the provider's within {} s (by its answer's Date header), so the provider's limits on iat and exp are the likelier cause",
            skew.abs()
        );
    }
    let off = skew.unsigned_abs();
    let amount = match off {
        0..3600 => format!("{} min {} s", off / 60, off % 60),
        _ => format!("{} h {} min", off / 3600, off % 3600 / 60),
    };
    let way = if skew > 0 { "ahead of" } else { "behind" };
    format!("this machine's clock is {amount} {way} the provider's (by its answer's Date header)")
}

/// The cause a provider's code and description name.
fn fault_in_words(said: &str) -> Option<AssertionFault> {
    let said = said.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| said.contains(w));
    if any(&["audience", "invalid aud"]) {
        Some(AssertionFault::Audience)
    } else if any(&[
        "expired",
        "timeframe",
        "not yet valid",
        "in the future",
        "iat",
        "nbf",
        "clock",
    ]) {
        Some(AssertionFault::ClockSkew)
    } else if any(&[
        "signature",
        "no_valid_keys",
        "issuer_not_found",
        "unknown key",
        "kid",
    ]) {
        Some(AssertionFault::Signature)
    } else if any(&[
        "unauthorized_client",
        "consent_required",
        "delegation",
        "approved",
        "user_not_found",
        "invalid email or user id",
        "subject",
    ]) {
        Some(AssertionFault::Subject)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_words_name_the_cause() {
        let cases = [
            (
                "invalid_grant Invalid JWT Signature.",
                Some(AssertionFault::Signature),
            ),
            (
                "invalid_grant Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
                Some(AssertionFault::ClockSkew),
            ),
            (
                "invalid_grant Invalid JWT: Failed audience check.",
                Some(AssertionFault::Audience),
            ),
            (
                "unauthorized_client Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
                Some(AssertionFault::Subject),
            ),
            ("consent_required ", Some(AssertionFault::Subject)),
            (
                "invalid_grant no_valid_keys_or_signatures",
                Some(AssertionFault::Signature),
            ),
            (
                "invalid_grant user hasn't approved this consumer",
                Some(AssertionFault::Subject),
            ),
            ("invalid_grant invalid assertion", None),
        ];
        for (said, fault) in cases {
            assert_eq!(fault_in_words(said), fault, "{said}");
        }
    }

    /// A rejection of an assertion, answered `ahead` seconds ahead of this machine's clock.
    fn refined(code: &str, words: &str, ahead: Option<u64>) -> Failure {
        use crate::base::outcome::{OAuthCode, Stage};
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(ahead) = ahead {
            let date =
                httpdate::fmt_http_date(SystemTime::now() + std::time::Duration::from_secs(ahead));
            headers.insert("date", date.parse().unwrap());
        }
        let response = Response {
            status: 400,
            headers,
            body: Vec::new(),
            cut: false,
            latency: std::time::Duration::ZERO,
        };
        let mut f = Failure::new(FailureKind::OAuth(OAuthCode::InvalidGrant), Stage::Main);
        f.code = Some(code.into());
        f.description = Some(words.into());
        refine(&mut f, &response, &Redactor::new(std::iter::empty()));
        f
    }

    #[test]
    fn words_that_name_a_cause_win_and_the_clock_explains_the_rest() {
        let f = refined("invalid_grant", "invalid assertion", Some(600));
        assert_eq!(f.kind, FailureKind::Assertion(AssertionFault::ClockSkew));
        let said = f.description.unwrap();
        assert!(
            said.starts_with("invalid assertion; the provider found"),
            "{said}"
        );
        assert!(said.contains("behind the provider's"), "{said}");
        let f = refined("invalid_grant", "Invalid JWT Signature.", Some(600));
        assert_eq!(f.kind, FailureKind::Assertion(AssertionFault::Signature));
        let f = refined("invalid_grant", "invalid assertion", Some(0));
        assert_eq!(
            f.kind,
            FailureKind::OAuth(crate::base::outcome::OAuthCode::InvalidGrant)
        );
        let f = refined("invalid_grant", "Token expired", None);
        assert!(f.description.unwrap().contains("has no Date header"));
    }

    #[test]
    fn the_skew_is_said_in_minutes_or_hours_and_which_way() {
        assert_eq!(
            describe_skew(-605),
            "this machine's clock is 10 min 5 s behind the provider's (by its answer's Date header)"
        );
        assert!(describe_skew(7300).contains("2 h 1 min ahead of"));
        assert!(describe_skew(3).contains("agrees with the provider's within 3 s"));
    }
}
