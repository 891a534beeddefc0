//! Keys and certificates beyond the shared secret: the one signer of RFC 7523 assertions (the
//! client assertion of `private_key_jwt`, 2.2, and the grant of `oauth2_jwt_bearer`, 2.1), and
//! the client certificate of RFC 8705 `tls_client_auth`. PEM values are read here, never shown: what is said about them names
//! their kind, never their content.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;

use crate::base::secret::Secret;

/// How long an assertion is valid: long enough for the request and its retries, short enough
/// for every provider (Salesforce wants at most 3 minutes, Google at most an hour).
pub(crate) const ASSERTION_LIFETIME_SECS: u64 = 120;

/// A private key as given: a PEM, or a service account's JSON key file (Google's: `type` =
/// `service_account`, `client_email`, `private_key_id`, `private_key`), which also names the
/// issuer and the key id.
pub(crate) struct PrivateKey {
    pem: Secret,
    /// The key file's `private_key_id`: the `kid` of the JWT header.
    pub(crate) key_id: Option<String>,
    /// The key file's `client_email`: the issuer.
    pub(crate) client_email: Option<String>,
}

/// The private key in a value, checked for use, or why not (never quoting the value).
pub(crate) fn check_private_key(value: &str) -> Result<(), String> {
    read_private_key(value).map(drop)
}

/// A PEM private key, or a JSON key file; a problem names the key file's field at fault.
pub(crate) fn read_private_key(value: &str) -> Result<PrivateKey, String> {
    if value.trim_start().starts_with('{') {
        return read_key_file(value);
    }
    check_pem_key(value).map_err(|why| format!("{why}, or a service account's JSON key file"))?;
    Ok(PrivateKey {
        pem: Secret::new(value),
        key_id: None,
        client_email: None,
    })
}

/// A PEM private key alone (the key of a client certificate).
pub(crate) fn check_pem_key(pem: &str) -> Result<(), String> {
    match PrivateKeyDer::from_pem_slice(pem.as_bytes()) {
        Ok(_) => Ok(()),
        Err(_) => Err(
            "is not a PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
                .into(),
        ),
    }
}

/// A service account's JSON key file.
fn read_key_file(value: &str) -> Result<PrivateKey, String> {
    let json: serde_json::Value = serde_json::from_str(value).map_err(|e| {
        format!(
            "starts like a JSON key file but is not JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let field = |key: &str| json.get(key).and_then(serde_json::Value::as_str);
    match field("type") {
        Some("service_account") => {}
        Some(other)
            if other.len() <= 32
                && other
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            return Err(format!(
                "is a JSON key file of `type` `{other}`, not `service_account`: create a key for a service account (IAM & Admin > Service accounts > Keys)"
            ));
        }
        _ => {
            return Err(
                "is a JSON file whose `type` is not `service_account`: not a service account's key file".into(),
            );
        }
    }
    let pem = field("private_key")
        .ok_or("is a JSON key file without a `private_key`")?
        .to_owned();
    check_pem_key(&pem).map_err(|_| {
        "is a JSON key file whose `private_key` is not a PEM private key".to_owned()
    })?;
    let client_email = field("client_email")
        .filter(|e| e.contains('@'))
        .ok_or("is a JSON key file without a `client_email` (the service account's address)")?;
    Ok(PrivateKey {
        pem: Secret::new(pem),
        key_id: field("private_key_id")
            .filter(|k| !k.is_empty())
            .map(str::to_owned),
        client_email: Some(client_email.to_owned()),
    })
}

/// An encoding key and the algorithm it signs with: RS256 for an RSA key, ES256 / ES384 for a
/// P-256 / P-384 key.
fn signing_key(pem: &Secret) -> Result<(Algorithm, EncodingKey), String> {
    let bytes = pem.expose().as_bytes();
    if let Ok(key) = EncodingKey::from_rsa_pem(bytes) {
        return Ok((Algorithm::RS256, key));
    }
    if let Ok(key) = EncodingKey::from_ec_pem(bytes) {
        // A P-384 key signs only as ES384.
        let p256 = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &(), &key).is_ok();
        return Ok((
            if p256 {
                Algorithm::ES256
            } else {
                Algorithm::ES384
            },
            key,
        ));
    }
    Err("the private key is neither an RSA key nor an EC key in PKCS#8 form (convert it with `openssl pkcs8 -topk8 -nocrypt`)".into())
}

impl PrivateKey {
    /// Signs `message` with this key's [`PrivateKey::algorithm`]: RSASSA-PKCS1-v1_5 with SHA-256,
    /// or ECDSA as r || s, which XML signatures take as they are.
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        use base64::Engine;
        let (alg, key) = signing_key(&self.pem)?;
        let signature = jsonwebtoken::crypto::sign(message, &key, alg)
            .map_err(|e| format!("cannot sign with the private key: {e}"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| "the signature is not base64url")?;
        Ok(bytes)
    }

    /// The JWS algorithm this key signs with (`RS256`, `ES256`, `ES384`).
    pub(crate) fn algorithm(&self) -> Result<&'static str, String> {
        Ok(match signing_key(&self.pem)?.0 {
            Algorithm::RS256 => "RS256",
            Algorithm::ES384 => "ES384",
            _ => "ES256",
        })
    }
}

/// The claims of an RFC 7523 assertion, as signed.
#[derive(Serialize)]
pub(crate) struct Claims<'a> {
    pub(crate) iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub: Option<&'a str>,
    pub(crate) aud: &'a str,
    /// Google and DocuSign read the scope from the assertion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<&'a str>,
}

#[derive(Serialize)]
struct Signed<'a> {
    #[serde(flatten)]
    claims: &'a Claims<'a>,
    jti: String,
    iat: u64,
    exp: u64,
}

pub(crate) fn random_id() -> Result<String, String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(|_| "no randomness for the assertion's jti")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The one signer of RFC 7523 assertions: the claims with a random `jti`, `iat` now and a
/// short `exp`, the key file's `kid` in the header. It is a credential until it expires: a
/// [`Secret`].
pub(crate) fn sign(key: &PrivateKey, claims: &Claims) -> Result<Secret, String> {
    let (alg, encoding) = signing_key(&key.pem)?;
    let now = now().max(0) as u64;
    let signed = Signed {
        claims,
        jti: random_id()?,
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    let mut header = Header::new(alg);
    header.typ = Some("JWT".into());
    header.kid = key.key_id.clone();
    jsonwebtoken::encode(&header, &signed, &encoding)
        .map(Secret::new)
        .map_err(|e| format!("cannot sign the assertion with the private key: {e}"))
}

/// RFC 7523 2.2: a client assertion, `iss` = `sub` = the client ID, `aud` = the token
/// endpoint.
pub(crate) fn client_assertion(
    key: &Secret,
    client_id: &str,
    audience: &str,
) -> Result<Secret, String> {
    let claims = Claims {
        iss: client_id,
        sub: Some(client_id),
        aud: audience,
        scope: None,
    };
    sign(&read_private_key(key.expose())?, &claims)
}

/// What `--explain` says about a client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateInfo {
    pub(crate) subject: String,
    pub(crate) issuer: String,
    /// Seconds since the epoch.
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
}

impl CertificateInfo {
    /// "CN=acme, issued by CN=ADP CA, expires 2027-05-01 (in 160 days)".
    pub(crate) fn describe(&self, now: i64) -> String {
        let date = |at: i64| {
            humantime::format_rfc3339_seconds(
                UNIX_EPOCH + std::time::Duration::from_secs(at.max(0) as u64),
            )
            .to_string()
            .chars()
            .take(10)
            .collect::<String>()
        };
        let days = (self.not_after - now).div_euclid(86_400);
        let when = if self.not_after <= now {
            format!("EXPIRED on {}", date(self.not_after))
        } else if self.not_before > now {
            format!("not valid before {}", date(self.not_before))
        } else {
            format!("expires {} (in {days} days)", date(self.not_after))
        };
        format!(
            "{}, issued by {}, {when}",
            crate::base::text::clean_truncated(&self.subject, 120),
            crate::base::text::clean_truncated(&self.issuer, 120)
        )
    }

    /// Expired, not yet valid, or expiring within 30 days.
    pub(crate) fn needs_attention(&self, now: i64) -> bool {
        self.not_after - now < 30 * 86_400 || self.not_before > now
    }
}

/// The first certificate of a PEM value, read.
pub(crate) fn certificate_info(pem: &str) -> Result<CertificateInfo, String> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|_| "is not a PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned())?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|_| "holds a PEM block that is not an X.509 certificate".to_owned())?;
    let validity = cert.validity();
    Ok(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
    })
}

/// The current time in seconds since the epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_described_by_its_expiry() {
        let info = CertificateInfo {
            subject: "CN=acme".into(),
            issuer: "CN=Test CA".into(),
            not_before: 0,
            not_after: 86_400 * 400,
        };
        assert_eq!(
            info.describe(86_400 * 300),
            "CN=acme, issued by CN=Test CA, expires 1971-02-05 (in 100 days)"
        );
        assert!(!info.needs_attention(86_400 * 300));
        assert!(
            info.describe(86_400 * 401)
                .contains("EXPIRED on 1971-02-05")
        );
        assert!(info.needs_attention(86_400 * 390));
    }

    #[test]
    fn a_key_file_that_is_not_a_service_accounts_names_the_field_at_fault() {
        let err = |json: &str| read_private_key(json).err().unwrap_or_default();
        assert!(err(r#"{"type":"authorized_user"}"#).contains("of `type` `authorized_user`"));
        assert!(err(r#"{"type":"MARKER-s3cr3t x"}"#).contains("whose `type` is not"));
        assert!(!err(r#"{"type":"MARKER-s3cr3t x"}"#).contains("MARKER"));
        assert!(err(r#"{"type":"service_account"}"#).contains("without a `private_key`"));
        let no_pem = r#"{"type":"service_account","private_key":"MARKER-s3cr3t"}"#;
        assert!(err(no_pem).contains("whose `private_key` is not a PEM private key"));
        assert!(!err(no_pem).contains("MARKER"));
        assert!(err("{\"type\": MARKER-s3cr3t").contains("is not JSON (line 1, column"));
        // A client certificate's key is a PEM, never a key file.
        assert!(check_pem_key(r#"{"type":"service_account"}"#).is_err());
    }

    #[test]
    fn values_that_are_not_pem_are_refused_without_quoting_them() {
        let err = check_private_key("MARKER-s3cr3t").unwrap_err();
        assert!(!err.contains("MARKER"), "{err}");
        assert!(certificate_info("nope").is_err());
    }
}
