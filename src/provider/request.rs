//! The requests a check sends: the token request of each grant, the verification call of an
//! API key, the sign-in call of a token exchange, each with the client authentication and
//! headers its connector declares.

use super::*;

pub(super) fn main_request(connector: &Connector, creds: &Credentials) -> Result<Request, String> {
    match &connector.check {
        Check::OAuth(spec) if spec.grant.is_assertion() => {
            assertion::request(connector, spec, creds)
        }
        Check::OAuth(spec) => token_request(connector, spec, creds),
        Check::ApiKey(spec) => verify_request(connector, spec, creds).map_err(|e| e.to_string()),
        Check::Exchange(spec) => exchange_request(connector, spec, creds),
    }
}

/// The client-credentials or refresh grant's token request.
pub(super) fn token_request(
    connector: &Connector,
    spec: &OAuthSpec,
    creds: &Credentials,
) -> Result<Request, String> {
    let values = creds.template_values(connector);
    let refreshes = spec.grant == Grant::RefreshToken;
    let grant = if refreshes {
        "refresh_token"
    } else {
        "client_credentials"
    };
    let mut params = vec![("grant_type".to_owned(), grant.to_owned())];
    // A refresh grant asks for the connector's scope only when nobody chose one: the token was
    // granted a scope at sign-in, and a sign-in scope such as `offline_access` is not one a
    // refresh token holds (RFC 6749 6: omitted, the scope is the one originally granted).
    let asked = if refreshes {
        creds.scope.clone().filter(|s| !s.trim().is_empty())
    } else {
        scope(connector, creds).map_err(|e| e.to_string())?
    };
    if let Some(scope) = asked {
        params.push(("scope".into(), scope));
    }
    for (k, t) in &spec.token_params {
        if let Some(v) = t.render(&values) {
            params.push((k.clone(), v));
        }
    }
    let refresh = match refreshes {
        false => None,
        true => Some((
            "refresh_token",
            creds
                .secret(FieldRole::RefreshToken)
                .ok_or("the refresh token is missing")?,
        )),
    };
    let sent: Vec<(&str, &Secret)> = refresh.into_iter().collect();
    oauth_request(connector, spec, &spec.token_url, creds, &params, &sent)
}

/// A POST to an OAuth endpoint with the client authentication the connector declares.
/// `tokens` are credentials sent as parameters (a refresh token, the token to revoke, an
/// authorization code and its PKCE verifier), kept out of the trace.
pub(super) fn oauth_request(
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
    request.identity = client_identity(connector, creds)?;
    Ok(request)
}

/// The PEM certificate and key a connector with mutual TLS presents (RFC 8705); `None` for
/// one without.
pub(super) fn client_identity(
    connector: &Connector,
    creds: &Credentials,
) -> Result<Option<Secret>, String> {
    if !connector.uses_client_certificate() {
        return Ok(None);
    }
    let key = creds
        .secret(FieldRole::ClientKey)
        .ok_or("the client key is missing")?;
    let cert = creds.value(connector, FieldRole::ClientCertificate);
    Ok(Some(Secret::new(format!(
        "{}\n{}\n",
        cert.trim_end(),
        key.expose().trim_end()
    ))))
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
pub(super) fn secret_ids(connector: &Connector) -> BTreeSet<&str> {
    connector.secret_fields().map(|f| f.id.as_str()).collect()
}

/// Headers of a verification or sign-in call: a header that carries a secret stays one.
pub(super) fn add_headers(
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

pub(super) fn verify_request(
    connector: &Connector,
    spec: &VerifySpec,
    creds: &Credentials,
) -> Result<Request, TemplateError> {
    let values = creds.template_values(connector);
    let mut request = Request::new(
        spec.method.clone(),
        render_url(&spec.url, connector, creds)?,
    );
    add_key(&mut request, connector, spec, &values);
    if let Some(body) = &spec.json_body {
        request.body = Some(json_body(body, connector, &values));
    }
    Ok(request)
}

/// An API key as the verification call sends it outside its body: headers, Basic, Bearer,
/// the query parameter (also for `api`'s requests).
pub(super) fn add_key(
    request: &mut Request,
    connector: &Connector,
    spec: &VerifySpec,
    values: &BTreeMap<&str, &str>,
) {
    add_headers(
        request,
        connector,
        spec.basic_auth.as_ref(),
        &spec.headers,
        values,
    );
    if let Some(bearer) = &spec.bearer {
        let value = Secret::new(format!(
            "Bearer {}",
            bearer.render(values).unwrap_or_default()
        ));
        request.header("authorization", Value::Secret(value));
    }
    if let Some(q) = &spec.query_secret {
        let secret = values.get(q.field.as_str()).copied().unwrap_or_default();
        request.url.query_pairs_mut().append_pair(&q.param, secret);
        request.secret_params.push(q.param.clone());
    }
}

/// The sign-in call of a `token_exchange` connector: the secrets in the declared headers or
/// body (JSON-escaped in a JSON body), shown in the trace as `(redacted)`.
pub(super) fn exchange_request(
    connector: &Connector,
    spec: &ExchangeSpec,
    creds: &Credentials,
) -> Result<Request, String> {
    let values = creds.template_values(connector);
    let secrets = secret_ids(connector);
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
        request.body = Some(json_body(body, connector, &values));
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

/// A JSON body filled with serde_json, shown in the trace with `(redacted)` for each secret.
pub(super) fn json_body(
    body: &JsonTemplate,
    connector: &Connector,
    values: &BTreeMap<&str, &str>,
) -> Body {
    let mut shown_values = values.clone();
    for id in secret_ids(connector) {
        shown_values.insert(id, REDACTED);
    }
    Body {
        content_type: "application/json".into(),
        text: Secret::new(body.render(values)),
        shown: body.render(&shown_values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
