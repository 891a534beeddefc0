//! The SAML 2.0 assertion of `oauth2_saml2_bearer` (RFC 7522), built and signed here: the
//! private key never leaves this machine (SAP SuccessFactors' `/oauth/idp` would build it from
//! the key sent to it). The assertion is written in its exclusive canonical form (XML-EXC-C14N:
//! namespace declarations first, attributes sorted, no empty-element tags, values escaped), so
//! its digest is taken over the very bytes sent, and the enveloped XML signature (RSA-SHA256 or
//! ECDSA-SHA256 over the canonical `SignedInfo`) verifies with any XML signature verifier.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::base::secret::Secret;
use crate::provider::keys::{self, PrivateKey};

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// What the assertion says.
pub(crate) struct Statement<'a> {
    /// The client (SuccessFactors: the API key).
    pub(crate) issuer: &'a str,
    /// The user acted as (`NameID`).
    pub(crate) subject: &'a str,
    /// The authorization server (`AudienceRestriction`).
    pub(crate) audience: &'a str,
    /// The token endpoint (`SubjectConfirmationData Recipient`).
    pub(crate) recipient: &'a str,
}

/// The signed assertion, Base64-encoded as the token request carries it: a credential until it
/// expires.
pub(crate) fn signed_assertion(key: &PrivateKey, s: &Statement) -> Result<Secret, String> {
    let id = format!("_{}", keys::random_id()?);
    let now = keys::now();
    let assertion = canonical_assertion(&id, s, now);
    let digest = BASE64.encode(Sha256::digest(assertion.as_bytes()));
    let method = match key.algorithm()? {
        "RS256" => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "ES384" => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        _ => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    };
    let signed_info = signed_info(&id, &digest, method);
    let signature = key.sign_bytes(signed_info.as_bytes())?;
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DSIG}\">{}<ds:SignatureValue>{}</ds:SignatureValue></ds:Signature>",
        signed_info.replacen(&format!(" xmlns:ds=\"{DSIG}\""), "", 1),
        BASE64.encode(signature)
    );
    // The signature goes right after the Issuer (SAML 2.0 core 2.3.3).
    let at = assertion
        .find("</saml2:Issuer>")
        .map(|i| i + "</saml2:Issuer>".len())
        .ok_or("the assertion has no Issuer")?;
    let signed = format!("{}{signature}{}", &assertion[..at], &assertion[at..]);
    Ok(Secret::new(BASE64.encode(signed)))
}

/// `SignedInfo` in its canonical form as the apex of the canonicalisation: the `ds` namespace
/// declared on it.
fn signed_info(id: &str, digest: &str, method: &str) -> String {
    format!(
        "<ds:SignedInfo xmlns:ds=\"{DSIG}\">\
<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod>\
<ds:SignatureMethod Algorithm=\"{method}\"></ds:SignatureMethod>\
<ds:Reference URI=\"#{id}\"><ds:Transforms>\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform>\
<ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms>\
<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod>\
<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    )
}

/// The assertion without its signature, canonical: valid from a minute ago (clocks differ) for
/// as long as a JWT assertion.
fn canonical_assertion(id: &str, s: &Statement, now: i64) -> String {
    let at = |secs: i64| {
        humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64),
        )
        .to_string()
    };
    let (issued, not_before, not_after) = (
        at(now),
        at(now - 60),
        at(now + keys::ASSERTION_LIFETIME_SECS as i64),
    );
    let (issuer, subject) = (text(s.issuer), text(s.subject));
    let (audience, recipient) = (text(s.audience), attribute(s.recipient));
    format!(
        "<saml2:Assertion xmlns:saml2=\"{SAML}\" ID=\"{id}\" IssueInstant=\"{issued}\" Version=\"2.0\">\
<saml2:Issuer>{issuer}</saml2:Issuer>\
<saml2:Subject><saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">{subject}</saml2:NameID>\
<saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
<saml2:SubjectConfirmationData NotOnOrAfter=\"{not_after}\" Recipient=\"{recipient}\"></saml2:SubjectConfirmationData>\
</saml2:SubjectConfirmation></saml2:Subject>\
<saml2:Conditions NotBefore=\"{not_before}\" NotOnOrAfter=\"{not_after}\">\
<saml2:AudienceRestriction><saml2:Audience>{audience}</saml2:Audience></saml2:AudienceRestriction>\
</saml2:Conditions>\
<saml2:AuthnStatement AuthnInstant=\"{issued}\"><saml2:AuthnContext>\
<saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef>\
</saml2:AuthnContext></saml2:AuthnStatement>\
<saml2:AttributeStatement><saml2:Attribute Name=\"api_key\"><saml2:AttributeValue>{issuer}</saml2:AttributeValue></saml2:Attribute></saml2:AttributeStatement>\
</saml2:Assertion>"
    )
}

/// Text content as canonical XML writes it.
fn text(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

/// An attribute value as canonical XML writes it.
fn attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_as_canonical_xml_writes_them() {
        assert_eq!(text("a&b<c>\"d\""), "a&amp;b&lt;c&gt;\"d\"");
        assert_eq!(
            attribute("a&b<c>\"d\"\t"),
            "a&amp;b&lt;c>&quot;d&quot;&#x9;"
        );
        let s = Statement {
            issuer: "key<1>",
            subject: "sfadmin",
            audience: "www.successfactors.com",
            recipient: "https://api4.successfactors.com/oauth/token?x=1&y=2",
        };
        let xml = canonical_assertion("_1", &s, 0);
        assert!(
            xml.contains("<saml2:Issuer>key&lt;1&gt;</saml2:Issuer>"),
            "{xml}"
        );
        assert!(
            xml.contains("Recipient=\"https://api4.successfactors.com/oauth/token?x=1&amp;y=2\"")
        );
        assert!(xml.contains("NotBefore=\"1970-01-01T00:00:00Z\""), "{xml}");
    }
}
