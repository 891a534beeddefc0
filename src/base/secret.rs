//! A credential value that cannot be printed by accident, and the redactor that removes every
//! spelling of one from text that came from elsewhere.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};

use crate::base::text;

/// A client secret, API key or access token. `Debug` and `Display` print `(redacted)`, and the
/// buffer is zeroized when dropped (secrecy). Call [`Secret::expose`] only where the value is
/// sent to the provider or the store.
#[derive(Clone)]
pub(crate) struct Secret(SecretString);

pub(crate) const REDACTED: &str = "(redacted)";

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    pub(crate) fn expose(&self) -> &str {
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

/// Very short values would redact ordinary words; real secrets are longer. A short secret is
/// still removed where its place in the text is known: the password of a URL, the pair a
/// proxy is sent (see [`Redactor::clean`]).
const MIN_SECRET_LEN: usize = 4;

/// Replaces every spelling of the known secrets in text that came from elsewhere (a server
/// echoing what it was sent, an error message, a URL) before that text is printed or stored.
/// Every redactor knows the proxy's credentials: any request may carry them.
#[derive(Clone)]
pub(crate) struct Redactor {
    /// Every spelling of every secret, longest first.
    spellings: Vec<Secret>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self {
            spellings: proxy_spellings().to_vec(),
        }
    }
}

/// The variables of the proxy settings reqwest reads.
const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The spellings of this run's proxy credentials, read once.
fn proxy_spellings() -> &'static [Secret] {
    static SPELLINGS: std::sync::OnceLock<Vec<Secret>> = std::sync::OnceLock::new();
    SPELLINGS.get_or_init(|| {
        let mut r = Redactor {
            spellings: Vec::new(),
        };
        for (user, password) in proxy_credentials(&|var| std::env::var(var).ok()) {
            r.add_proxy(&user, &password);
        }
        r.spellings
    })
}

/// The user and password (percent-decoded, as the proxy is sent them) of each proxy setting
/// that has them, with a scheme or without one (which reqwest reads as http).
fn proxy_credentials(env: &dyn Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8_lossy()
            .into_owned()
    };
    PROXY_VARS
        .iter()
        .filter_map(|var| env(var))
        .filter_map(|value| {
            let value = value.trim();
            let url = if value.contains("://") {
                url::Url::parse(value)
            } else {
                url::Url::parse(&format!("http://{value}"))
            };
            let url = url.ok()?;
            let password = url.password().map(decode).unwrap_or_default();
            let user = decode(url.username());
            (!user.is_empty() || !password.is_empty()).then_some((user, password))
        })
        .collect()
}

impl Redactor {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut r = Self::default();
        for s in secrets {
            r.add(s);
        }
        r
    }

    /// A proxy's user and password: each as a secret (a user name may be a token), and the
    /// `user:password` pair in every spelling whatever the password's length, since that pair
    /// (Base64 in `Proxy-Authorization`) is what a proxy or a server behind it may echo.
    fn add_proxy(&mut self, user: &str, password: &str) {
        self.add(&Secret::new(user));
        self.add(&Secret::new(password));
        let pair = format!("{user}:{password}");
        if pair.chars().count() >= MIN_SECRET_LEN {
            self.extend(spellings(&pair));
        }
    }

    pub(crate) fn add(&mut self, secret: &Secret) {
        if secret.expose().chars().count() >= MIN_SECRET_LEN {
            self.extend(spellings(secret.expose()));
        }
    }

    /// The spellings of `id:secret` as HTTP Basic authentication sends it, raw and RFC 6749
    /// 2.3.1 form-encoded, whatever the secret's length: the pair's place is known.
    pub(crate) fn add_basic_pair(&mut self, client_id: &str, secret: &Secret) {
        let form = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let pairs = [
            format!("{client_id}:{}", secret.expose()),
            format!("{}:{}", form(client_id), form(secret.expose())),
        ];
        if pairs[0].chars().count() < MIN_SECRET_LEN {
            return;
        }
        self.extend(pairs.iter().flat_map(|p| base64_spellings(p.as_bytes())));
    }

    fn extend(&mut self, more: impl IntoIterator<Item = String>) {
        self.spellings.extend(more.into_iter().map(Secret::new));
        self.spellings
            .sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        self.spellings.dedup_by(|a, b| a.expose() == b.expose());
    }

    /// `text` with every spelling of every secret replaced by `(redacted)`, and the user info
    /// of every URL in it (`scheme://user:password@`), whatever its length.
    pub(crate) fn clean(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for spelling in &self.spellings {
            if out.contains(spelling.expose()) {
                out = out.replace(spelling.expose(), REDACTED);
            }
        }
        without_user_info(&out)
    }

    /// `text` made fit for a terminal: secrets removed, control and invisible characters
    /// stripped (see [`text::clean`]), then cut to `max` characters. Secrets are removed again
    /// after stripping, because a server may split one with a character that stripping removes,
    /// and before cutting, so that no prefix of a secret survives the cut.
    pub(crate) fn display(&self, text: &str, max: usize) -> String {
        let stripped = text::clean(&self.clean(text));
        text::truncate(&self.clean(&stripped), max)
    }
}

/// `text` with the user info of every URL in it replaced by `(redacted)`: a password there is
/// a secret of any length.
fn without_user_info(text: &str) -> String {
    static USER_INFO: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
    let user_info = USER_INFO.get_or_init(|| {
        regex_lite::Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^@/?#\s]+@")
            .expect("a valid pattern")
    });
    user_info
        .replace_all(text, format!("${{1}}{REDACTED}@"))
        .into_owned()
}

/// The spellings of `secret` a server might plausibly echo: as is; percent-encoded (form style,
/// `%20` for a space, every byte encoded, either case of hex); JSON-escaped (as serde writes it,
/// with `\/`, with every non-ASCII or every character as `\uXXXX`); base64 (standard and
/// URL-safe, padded or not, at any alignment inside a longer base64 text); hex; HTML entities.
fn spellings(secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let every_byte: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len() - 1].to_owned();
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let mut all = vec![
        secret.to_owned(),
        form.replace('+', "%20"),
        lower_percent_hex(&form),
        lower_percent_hex(&form.replace('+', "%20")),
        every_byte.to_lowercase(),
        every_byte,
        form.clone(),
        json,
        json_unicode_escaped(secret, false, false),
        json_unicode_escaped(secret, false, true),
        json_unicode_escaped(secret, true, false),
        json_unicode_escaped(secret, true, true),
        hex.to_uppercase(),
        hex,
        secret.chars().map(|c| format!("&#{};", c as u32)).collect(),
        secret
            .chars()
            .map(|c| format!("&#x{:x};", c as u32))
            .collect(),
        secret
            .chars()
            .map(|c| format!("&#x{:X};", c as u32))
            .collect(),
    ];
    all.extend(json_spellings(secret));
    all.extend(html_spellings(secret));
    all.extend(base64_spellings(secret.as_bytes()));
    all.extend(base64_spellings(form.as_bytes()));
    all
}

/// `%2f` instead of `%2F`: some servers lower-case their escapes.
fn lower_percent_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
        }
    }
    out
}

/// JSON `\uXXXX` escapes for every character (`all`) or only for non-ASCII ones, in lower or
/// upper case hex; characters outside the BMP as surrogate pairs.
fn json_unicode_escaped(secret: &str, all: bool, upper: bool) -> String {
    let mut out = String::new();
    for c in secret.chars() {
        if !all && c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{unit:04X}"));
            } else {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// JSON string escapes as common server stacks write them: `/` plain or `\/` (PHP), non-ASCII
/// raw or `\uXXXX` in either case (PHP, Python), `<`, `>`, `&` raw or `\u003c`... (Go).
fn json_spellings(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    for slash in [false, true] {
        for non_ascii in [None, Some(false), Some(true)] {
            for html in [None, Some(false), Some(true)] {
                out.push(json_escaped(secret, slash, non_ascii, html));
            }
        }
    }
    out
}

/// One JSON spelling; `Some(upper)` escapes that class of characters as `\uXXXX`.
fn json_escaped(secret: &str, slash: bool, non_ascii: Option<bool>, html: Option<bool>) -> String {
    let unicode = |c: char, upper: bool| {
        let mut units = [0u16; 2];
        c.encode_utf16(&mut units)
            .iter()
            .map(|u| {
                if upper {
                    format!("\\u{u:04X}")
                } else {
                    format!("\\u{u:04x}")
                }
            })
            .collect::<String>()
    };
    let mut out = String::new();
    for c in secret.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if slash => out.push_str("\\/"),
            '<' | '>' | '&' if html.is_some() => out.push_str(&unicode(c, html == Some(true))),
            c if c.is_control() => out.push_str(&unicode(c, false)),
            c if !c.is_ascii() && non_ascii.is_some() => {
                out.push_str(&unicode(c, non_ascii == Some(true)));
            }
            c => out.push(c),
        }
    }
    out
}

/// HTML escapes of `&`, `<`, `>`, `"`, `'` as the common escapers write them.
fn html_spellings(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ["&quot;", "&#34;", "&#x22;"] {
        for apostrophe in ["&#39;", "&#x27;", "&apos;"] {
            out.push(
                secret
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', quote)
                    .replace('\'', apostrophe),
            );
        }
    }
    out
}

/// Base64 of `bytes` in both alphabets, padded and not, and the aligned cores that stand in any
/// base64 text containing `bytes` at any offset (the 0-2 bytes at either end that share a
/// base64 group with their neighbours are left out of a core).
fn base64_spellings(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for engine in [&STANDARD, &URL_SAFE] {
        out.push(engine.encode(bytes));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        out.push(engine.encode(bytes));
        for skip in 0..3 {
            let Some(rest) = bytes.get(skip..) else {
                continue;
            };
            let whole = rest.len() / 3 * 3;
            // A core shorter than 6 bytes could match ordinary base64 by chance.
            if whole >= 6 {
                out.push(engine.encode(&rest[..whole]));
            }
        }
    }
    out
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
    fn plain_form_json_and_percent_spellings_are_redacted() {
        let r = Redactor::new([&Secret::new("a+b/c d")]);
        assert_eq!(
            r.clean("got a+b/c d and a%2Bb%2Fc+d"),
            "got (redacted) and (redacted)"
        );
        assert_eq!(Redactor::new([&Secret::new("ab")]).clean("ab"), "ab");
        let r = Redactor::new([&Secret::new("a b/c\"d")]);
        assert_eq!(
            r.clean(r#"{"e":"a b/c\"d","f":"a b\/c\"d","g":"a%20b%2Fc%22d","h":"a%20b%2fc%22d"}"#),
            r#"{"e":"(redacted)","f":"(redacted)","g":"(redacted)","h":"(redacted)"}"#
        );
    }

    #[test]
    fn encoded_spellings_are_redacted() {
        let secret = "S3cr3t+/=välue";
        let r = Redactor::new([&Secret::new(secret)]);
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        for spelling in [
            STANDARD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            hex.clone(),
            hex.to_uppercase(),
            secret.bytes().map(|b| format!("%{b:02x}")).collect(),
            secret.chars().map(|c| format!("&#{};", c as u32)).collect(),
            json_unicode_escaped(secret, true, false),
            json_unicode_escaped(secret, false, true),
            // Base64 of the secret behind a prefix of each length: a core remains.
            STANDARD.encode(format!("x{secret}")),
            STANDARD.encode(format!("xy{secret}")),
        ] {
            let shown = r.clean(&format!("echo: {spelling}."));
            assert!(shown.contains(REDACTED), "{spelling} -> {shown}");
            assert!(!shown.contains(&spelling), "{spelling} -> {shown}");
        }
    }

    #[test]
    fn basic_authorization_of_id_and_secret_is_redacted() {
        let secret = Secret::new("s3cr3t/value");
        let mut r = Redactor::new([&secret]);
        r.add_basic_pair("client-1", &secret);
        let header = format!("Basic {}", STANDARD.encode("client-1:s3cr3t%2Fvalue"));
        assert!(!r.clean(&header).contains(&header[6..]));
        let raw = STANDARD.encode("client-1:s3cr3t/value");
        assert!(!r.clean(&raw).contains(&raw));
        // A secret too short to redact alone is still redacted in the pair.
        let mut r = Redactor::new([]);
        r.add_basic_pair("client-1", &Secret::new("abc"));
        let header = format!("Basic {}", STANDARD.encode("client-1:abc"));
        assert_eq!(r.clean(&header), format!("Basic {REDACTED}"));
    }

    #[test]
    fn proxy_credentials_are_read_with_or_without_a_scheme_and_decoded() {
        let env = |var: &str| {
            match var {
                "HTTPS_PROXY" => Some("usr:p%40s@proxy.example:3128"),
                "http_proxy" => Some("http://token@proxy.example"),
                "ALL_PROXY" => Some("socks5://a:b@127.0.0.1:1080"),
                "all_proxy" => Some("http://proxy.example:3128"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let pairs = |found: Vec<(String, String)>| {
            found
                .iter()
                .map(|(u, p)| format!("{u}:{p}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(proxy_credentials(&env)), ["usr:p@s", "token:", "a:b"]);
    }

    #[test]
    fn a_short_proxy_password_is_redacted_where_its_place_is_known() {
        let mut r = Redactor::new([]);
        r.add_proxy("usr", "pw1");
        for (shown, expected) in [
            (
                format!("proxy-authorization: Basic {}", STANDARD.encode("usr:pw1")),
                "proxy-authorization: Basic (redacted)",
            ),
            ("as usr:pw1".to_owned(), "as (redacted)"),
            (
                "via http://usr:pw1@proxy:3128/ or socks5://x:y@h".to_owned(),
                "via http://(redacted)@proxy:3128/ or socks5://(redacted)@h",
            ),
            // Alone, a value this short is a word: it stays.
            ("the pw1 key".to_owned(), "the pw1 key"),
            (
                "https://example.com/a@b and mail@example.com".to_owned(),
                "https://example.com/a@b and mail@example.com",
            ),
        ] {
            assert_eq!(r.display(&shown, 500), expected);
        }
    }

    #[test]
    fn display_catches_a_secret_split_by_an_invisible_character() {
        let r = Redactor::new([&Secret::new("S3cr3t+/=value")]);
        for splitter in ['\u{200b}', '\u{ad}', '\u{34f}', '\u{e0041}'] {
            assert_eq!(
                r.display(&format!("got S3cr3t{splitter}+/=value\u{1b}"), 100),
                "got (redacted)"
            );
        }
        // Cut after redaction: no prefix of the secret is left at the cut.
        assert_eq!(r.display("xxxS3cr3t+/=value", 6), "xxx(re…");
    }
}
