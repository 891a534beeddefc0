//! A credential value that cannot be printed by accident.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A client secret, API key or access token. `Debug` and `Display` print `(redacted)`, and the
/// buffer is zeroized when dropped (secrecy). Call [`Secret::expose`] only where the value is
/// sent to the provider or the keychain.
#[derive(Clone)]
pub struct Secret(SecretString);

pub const REDACTED: &str = "(redacted)";

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every occurrence of the known secrets in text that came from elsewhere (a server
/// echoing what it was sent, an error message) before that text is printed or stored.
#[derive(Default, Clone)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let secrets = secrets
            .into_iter()
            // Very short values would redact ordinary words; real secrets are longer.
            .filter(|s| s.expose().len() >= 4)
            .collect();
        Self { secrets }
    }

    pub fn add(&mut self, secret: &Secret) {
        if secret.expose().len() >= 4 {
            self.secrets.push(secret.clone());
        }
    }

    pub fn clean(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.expose(), REDACTED);
            // Also the form-encoded spelling, as a server may echo the raw request body.
            let encoded: String =
                form_urlencoded::byte_serialize(secret.expose().as_bytes()).collect();
            if encoded != secret.expose() {
                out = out.replace(&encoded, REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{:?}", Some(s.clone())), "Some((redacted))");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redactor_removes_plain_and_form_encoded_echoes() {
        let r = Redactor::new([Secret::new("a+b/c d")]);
        assert_eq!(
            r.clean("got a+b/c d and a%2Bb%2Fc+d"),
            "got (redacted) and (redacted)"
        );
        assert_eq!(Redactor::new([Secret::new("ab")]).clean("ab"), "ab");
    }
}
