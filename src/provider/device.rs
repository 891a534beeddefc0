//! The device authorization grant (RFC 8628): asking for a device code and the user code to
//! enter, then polling the token endpoint until the user approves, denies or the code expires.

use super::*;

/// The answer of the device authorization endpoint (RFC 8628 3.2). The addresses are as the
/// provider sent them, to be cleaned where they are shown.
pub(crate) struct DeviceGrant {
    pub(crate) device_code: Secret,
    pub(crate) user_code: String,
    pub(crate) verification_uri: String,
    pub(crate) verification_uri_complete: Option<String>,
    pub(crate) expires_in: Option<u64>,
    pub(crate) interval: Option<u64>,
}

/// RFC 8628 3.1: asks the device authorization endpoint of an `oauth2_device_code` connector
/// for a device code and the user code to enter; a refusal is the outcome.
pub(crate) async fn device_authorization(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
) -> Result<DeviceGrant, Outcome> {
    let Check::OAuth(spec) = &connector.check else {
        return Err(unsendable("not an OAuth connector"));
    };
    let Some(url) = &spec.device_authorization else {
        return Err(unsendable("not a device-code connector"));
    };
    let mut params = Vec::new();
    if let Some(scope) = super::scope(connector, creds).map_err(unsendable)? {
        params.push(("scope".to_owned(), scope));
    }
    let request = oauth_request(connector, spec, url, creds, &params, &[]).map_err(unsendable)?;
    let redactor = request.redacting(creds.redactor(connector));
    let response = send(http, connector, &request, &redactor).await?;
    if !response.is_success() {
        return Err(answer::token_outcome(&response, &redactor));
    }
    let malformed = |why: &str| {
        let f = Failure::new(FailureKind::NonJson, Stage::Main).with_description(format!(
            "the device authorization answer {why} (RFC 8628 3.2)"
        ));
        Outcome::failed(
            f,
            Some(response.status),
            u64::try_from(response.latency.as_millis()).unwrap_or(u64::MAX),
        )
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&response.body) else {
        return Err(malformed("is not JSON"));
    };
    let text = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let number = |key: &str| json.get(key).and_then(answer::seconds);
    let Some(device_code) = text("device_code") else {
        return Err(malformed("has no device_code"));
    };
    let Some(user_code) = text("user_code") else {
        return Err(malformed("has no user_code"));
    };
    // `verification_url`: Google's name for it.
    let Some(verification_uri) = text("verification_uri").or_else(|| text("verification_url"))
    else {
        return Err(malformed("has no verification_uri"));
    };
    let fits = |v: &str| v.len() <= 2048;
    if !fits(&user_code) || !fits(&verification_uri) {
        return Err(malformed("holds a value longer than 2048 bytes"));
    }
    // The user types the code as shown: one that cleaning would change cannot be shown as sent.
    if crate::base::text::clean(&user_code) != user_code {
        return Err(malformed(
            "has a `user_code` with control, invisible or surrounding space characters, which cannot be shown as sent",
        ));
    }
    Ok(DeviceGrant {
        device_code: Secret::new(device_code),
        user_code,
        verification_uri,
        verification_uri_complete: text("verification_uri_complete").filter(|v| fits(v)),
        expires_in: number("expires_in"),
        interval: number("interval"),
    })
}

/// One poll of the token endpoint with the device code (RFC 8628 3.4, 3.5).
pub(crate) enum DevicePoll {
    /// `authorization_pending`: the user has not finished yet.
    Pending,
    /// `slow_down`: poll 5 s less often from now on.
    SlowDown,
    /// `access_denied` or `expired_token`, with the provider's words.
    Ended {
        error: String,
        description: Option<String>,
    },
    /// The token endpoint could not be reached or answered 5xx: the device code is still
    /// good, so the next poll may succeed.
    Unreachable(Box<Outcome>),
    /// Anything else: the token (valid only with a refresh token) or another failure.
    Done(Box<Outcome>, Option<Secret>),
}

pub(crate) async fn poll_device(
    http: &Http,
    connector: &Connector,
    creds: &Credentials,
    device_code: &Secret,
    permissions: bool,
) -> DevicePoll {
    let Check::OAuth(spec) = &connector.check else {
        return DevicePoll::Done(Box::new(unsendable("not an OAuth connector")), None);
    };
    let mut redactor = creds.redactor(connector);
    redactor.add(device_code);
    let mut params = vec![(
        "grant_type".to_owned(),
        "urn:ietf:params:oauth:grant-type:device_code".to_owned(),
    )];
    let values = creds.template_values(connector);
    for (k, t) in &spec.token_params {
        if let Some(v) = t.render(&values) {
            params.push((k.clone(), v));
        }
    }
    let sent = [("device_code", device_code)];
    let request = match oauth_request(connector, spec, &spec.token_url, creds, &params, &sent) {
        Ok(r) => r,
        Err(e) => return DevicePoll::Done(Box::new(unsendable(e)), None),
    };
    let redactor = request.redacting(redactor);
    let response = match send(http, connector, &request, &redactor).await {
        Ok(r) => r,
        Err(outcome) => return DevicePoll::Unreachable(Box::new(outcome)),
    };
    if response.status >= 500 {
        let outcome = read(http, connector, creds, &response, redactor, permissions).await;
        return DevicePoll::Unreachable(Box::new(outcome));
    }
    if matches!(response.status, 400 | 401 | 403)
        && let Ok(json) = serde_json::from_slice::<serde_json::Value>(&response.body)
        && let Some(error) = json.get("error").and_then(serde_json::Value::as_str)
    {
        let description = json
            .get("error_description")
            .and_then(serde_json::Value::as_str)
            .map(|d| redactor.display(d, 300))
            .filter(|d| !d.is_empty());
        match error {
            "authorization_pending" => return DevicePoll::Pending,
            "slow_down" => return DevicePoll::SlowDown,
            "access_denied" | "expired_token" => {
                return DevicePoll::Ended {
                    error: error.to_owned(),
                    description,
                };
            }
            _ => {}
        }
    }
    let outcome = read(http, connector, creds, &response, redactor, permissions).await;
    let (outcome, refresh) = first_refresh_token(connector, outcome);
    DevicePoll::Done(Box::new(outcome), refresh)
}
