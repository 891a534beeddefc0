//! A credential value that cannot be printed by accident.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::ui;

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

    /// `text` with every secret replaced, in each spelling a server may echo it in: as is,
    /// form-encoded (`+` or `%20` for a space), and JSON-escaped (also with `/` as `\/`, as
    /// PHP writes it).
    pub fn clean(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            for spelling in spellings(secret.expose()) {
                out = out.replace(spelling.expose(), REDACTED);
            }
        }
        out
    }

    /// `text` made fit for a terminal: secrets removed, control and invisible characters
    /// stripped (see [`ui::clean`]), then cut to `max` characters. Secrets are removed again
    /// after stripping, because a server may split one with a character that stripping removes,
    /// and before cutting, so that no prefix of a secret survives the cut.
    pub fn display(&self, text: &str, max: usize) -> String {
        let stripped = ui::clean(&self.clean(text));
        ui::truncate(&self.clean(&stripped), max)
    }
}

/// The spellings of `secret` that [`Redactor::clean`] removes, longest first so that a longer
/// one is not broken up by a shorter one it contains. Each is a [`Secret`] itself, zeroized
/// when dropped.
fn spellings(secret: &str) -> Vec<Secret> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len() - 1].to_owned();
    let mut all = vec![
        secret.to_owned(),
        form.replace('+', "%20"),
        json.replace('/', "\\/"),
        form,
        json,
    ];
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    all.dedup();
    all.into_iter().map(Secret::new).collect()
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

    #[test]
    fn json_and_percent_spellings_are_redacted() {
        let r = Redactor::new([Secret::new("a b/c\"d")]);
        assert_eq!(
            r.clean(r#"{"e":"a b/c\"d","f":"a b\/c\"d","g":"a%20b%2Fc%22d"}"#),
            r#"{"e":"(redacted)","f":"(redacted)","g":"(redacted)"}"#
        );
    }

    #[test]
    fn display_catches_a_secret_split_by_an_invisible_character() {
        let r = Redactor::new([Secret::new("S3cr3t+/=value")]);
        assert_eq!(
            r.display("got S3cr3t\u{200b}+/=value\u{1b}", 100),
            "got (redacted)"
        );
        // Cut after redaction: no prefix of the secret is left at the cut.
        assert_eq!(r.display("xxxS3cr3t+/=value", 6), "xxx(re…");
    }
}
