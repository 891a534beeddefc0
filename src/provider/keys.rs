//! Keys and certificates of client authentication beyond the shared secret: the RFC 7523 2.2
//! client assertion of `private_key_jwt`, and the client certificate of RFC 8705
//! `tls_client_auth`. PEM values are read here, never shown: what is said about them names
//! their kind, never their content.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;

use crate::base::secret::Secret;

/// How long a client assertion is valid: long enough for the request and its retries.
const ASSERTION_LIFETIME_SECS: u64 = 120;

/// The PEM private key in a value, checked for use, or why not (never quoting the value).
pub(crate) fn check_private_key(pem: &str) -> Result<(), String> {
    match PrivateKeyDer::from_pem_slice(pem.as_bytes()) {
        Ok(_) => Ok(()),
        Err(_) => Err(
            "is not a PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
                .into(),
        ),
    }
}

/// An encoding key and the algorithm it signs with: RS256 for an RSA key, ES256 / ES384 for a
/// P-256 / P-384 key.
fn signing_key(pem: &Secret) -> Result<(Algorithm, EncodingKey), String> {
    let bytes = pem.expose().as_bytes();
    if let Ok(key) = EncodingKey::from_rsa_pem(bytes) {
        return Ok((Algorithm::RS256, key));
    }
    if let Ok(key) = EncodingKey::from_ec_pem(bytes) {
        return Ok((Algorithm::ES256, key));
    }
    Err("the private key is neither an RSA key nor an EC key in PKCS#8 form (convert it with `openssl pkcs8 -topk8 -nocrypt`)".into())
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

fn random_id() -> Result<String, String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(|_| "no randomness for the assertion's jti")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// RFC 7523 2.2: a JWT with `iss` = `sub` = the client ID, `aud` = the token endpoint, a
/// random `jti` and a short `exp`, signed with the private key. It is a credential until it
/// expires: a [`Secret`].
pub(crate) fn client_assertion(
    pem: &Secret,
    client_id: &str,
    audience: &str,
) -> Result<Secret, String> {
    let (alg, key) = signing_key(pem)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = Claims {
        iss: client_id,
        sub: client_id,
        aud: audience,
        jti: random_id()?,
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    let mut header = Header::new(alg);
    header.typ = Some("JWT".into());
    let signed = jsonwebtoken::encode(&header, &claims, &key).or_else(|e| {
        // A P-384 key: the same key as ES384.
        if alg == Algorithm::ES256 {
            jsonwebtoken::encode(&Header::new(Algorithm::ES384), &claims, &key)
        } else {
            Err(e)
        }
    });
    signed
        .map(Secret::new)
        .map_err(|e| format!("cannot sign the client assertion with the private key: {e}"))
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
    fn values_that_are_not_pem_are_refused_without_quoting_them() {
        let err = check_private_key("MARKER-s3cr3t").unwrap_err();
        assert!(!err.contains("MARKER"), "{err}");
        assert!(certificate_info("nope").is_err());
    }
}
