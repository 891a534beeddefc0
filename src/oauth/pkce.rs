//! PKCE (RFC 7636) and the `state` value of an authorization request: random values from the
//! operating system's generator, base64url without padding.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::base::secret::Secret;

/// A code verifier and its S256 challenge.
pub(crate) struct Pkce {
    /// Sent only with the code, to the token endpoint.
    pub(crate) verifier: Secret,
    pub(crate) challenge: String,
}

fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random generator works");
    URL_SAFE_NO_PAD.encode(buf)
}

impl Pkce {
    /// 32 random bytes: a 43-character verifier, the shortest RFC 7636 allows with 256 bits.
    pub(crate) fn new() -> Self {
        let verifier = random(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier: Secret::new(verifier),
            challenge,
        }
    }
}

/// A fresh `state`: 128 random bits, compared when the browser comes back.
pub(crate) fn state() -> String {
    random(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_rfc_7636_s256_of_the_verifier() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let p = Pkce::new();
        assert_eq!(p.verifier.expose().len(), 43);
        assert!(
            p.verifier
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(Pkce::new().verifier.expose(), p.verifier.expose());
        assert_ne!(state(), state());
    }
}
