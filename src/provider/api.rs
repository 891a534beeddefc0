//! `credlink api`: the URL of a request under a connector's `api_base`, and the request with
//! the account's credentials applied as the check applies them. A PATH can never move the
//! request to another host or out of the base path: what could is refused before anything is
//! sent, and the URL built is checked again.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use super::request::{add_key, client_identity, secret_ids};
use super::*;

/// The largest answer `api` reads; a larger one is not printed.
pub(crate) const API_MAX_BODY: usize = 64 * 1024 * 1024;

/// Percent-decodings tried on a path segment: `%25` encodes `%`, so `%252e` is a `.` once
/// decoded twice; a segment still changing after this many is refused.
const MAX_DECODINGS: usize = 4;

/// Characters a server that normalises Unicode (NFKC) may turn into `.`, `/` or `\`.
const LOOKALIKES: [char; 6] = [
    '\u{FF0E}', '\u{FF0F}', '\u{FF3C}', '\u{FE52}', '\u{2024}', '\u{2215}',
];

/// Why a PATH is refused, as the error names it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("PATH `{shown}` {why}")]
pub(crate) struct PathRefused {
    shown: String,
    why: &'static str,
}

/// `base` with `path` (and its query) under it. `path` is relative to the base, with or
/// without a leading `/`.
pub(crate) fn api_url(base: &Url, path: &str) -> Result<Url, PathRefused> {
    check_path(path)?;
    let (part, query) = split(path);
    let mut url = base.clone();
    url.set_path(&format!("{}{part}", base.path()));
    url.set_query(query.filter(|q| !q.is_empty()));
    match stays_under(base, &url) {
        true => Ok(url),
        false => Err(refused(
            path,
            "leaves the connector's API base (another host, port or path)",
        )),
    }
}

/// Refuses a PATH that could leave the API base, whatever the base: run before anything is
/// read or sent.
pub(crate) fn check_path(path: &str) -> Result<(), PathRefused> {
    let (part, _) = split(path);
    match refused_anywhere(path).or_else(|| refused_in_path(part)) {
        Some(why) => Err(refused(path, why)),
        None => Ok(()),
    }
}

/// The path relative to the base (a leading `/` dropped) and the query.
fn split(path: &str) -> (&str, Option<&str>) {
    let relative = path.strip_prefix('/').unwrap_or(path);
    match relative.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (relative, None),
    }
}

fn refused(path: &str, why: &'static str) -> PathRefused {
    PathRefused {
        shown: crate::base::text::clean_truncated(path, 200),
        why,
    }
}

/// What the whole PATH may not hold: another address, a fragment, a character no URL
/// carries.
fn refused_anywhere(path: &str) -> Option<&'static str> {
    let lower = path.trim_start().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .is_some_and(|(s, rest)| rest.starts_with("//") && !s.contains('/'));
    if scheme || lower.starts_with("http:") || lower.starts_with("https:") {
        return Some("is an absolute URL: give a path under the connector's API base");
    }
    if path.starts_with("//") {
        return Some("starts with `//`, which names another host");
    }
    if path.contains('\\') {
        return Some("holds a backslash, which some servers read as `/`");
    }
    if path.chars().any(char::is_control) {
        return Some("holds a control character");
    }
    if path.contains('#') {
        return Some("holds a fragment (`#`), which is never sent");
    }
    None
}

/// What the path part (before `?`) may not hold, also once percent-decoded: user info, a `.`
/// or `..` segment, an encoded `/` or `\`.
fn refused_in_path(part: &str) -> Option<&'static str> {
    if part.contains('@') {
        return Some("holds `@`, which names user info (encode it as `%40`)");
    }
    for segment in part.split('/') {
        let mut decoded = Cow::Borrowed(segment);
        for _ in 0..=MAX_DECODINGS {
            // Tomcat reads `..;x` as `..`.
            let bare = decoded.split(';').next().unwrap_or_default();
            if matches!(bare, "." | "..") {
                return Some(
                    "has a `.` or `..` segment (also percent-encoded), which steps out of the path",
                );
            }
            if decoded.contains(LOOKALIKES) {
                return Some(
                    "holds a character some servers read as `.`, `/` or `\\` (a full-width or small form)",
                );
            }
            if decoded.contains(['/', '\\']) {
                return Some("has an encoded `/` or `\\` (`%2F`, `%5C`)");
            }
            if decoded.chars().any(char::is_control) {
                return Some("has an encoded control character");
            }
            let next = percent_decode_str(&decoded)
                .decode_utf8_lossy()
                .into_owned();
            if next == decoded {
                break;
            }
            decoded = Cow::Owned(next);
        }
        if percent_decode_str(&decoded).decode_utf8_lossy() != decoded {
            return Some("is percent-encoded too many times over");
        }
    }
    None
}

/// The built URL keeps the base's scheme, host and port, has no user info or fragment, and
/// its path starts with the base path.
fn stays_under(base: &Url, url: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && url.path().starts_with(base.path())
}

/// The request to `url` with the account's credentials applied as the check applies them: the
/// access token as Bearer (OAuth, token exchange), or the API key's headers, Basic, Bearer or
/// query parameter; the client certificate where the connector presents one.
pub(crate) fn api_request(
    connector: &Connector,
    creds: &Credentials,
    token: Option<&Secret>,
    method: reqwest::Method,
    url: Url,
) -> Result<Request, String> {
    let mut request = Request::new(method, url);
    match (&connector.check, token) {
        (Check::ApiKey(spec), _) => apply_key(&mut request, connector, spec, creds)?,
        (_, Some(token)) => request.header(
            "authorization",
            Value::Secret(Secret::new(format!("Bearer {}", token.expose()))),
        ),
        (_, None) => return Err("no access token".into()),
    }
    request.identity = client_identity(connector, creds)?;
    Ok(request)
}

/// An API key as the verification call sends it.
fn apply_key(
    request: &mut Request,
    connector: &Connector,
    spec: &VerifySpec,
    creds: &Credentials,
) -> Result<(), String> {
    add_key(request, connector, spec, &creds.template_values(connector));
    let secrets = secret_ids(connector);
    let sent = request
        .headers
        .iter()
        .any(|(_, v)| matches!(v, Value::Secret(_)))
        || !request.secret_params.is_empty()
        || spec.basic_auth.is_some();
    let in_body = spec
        .json_body
        .as_ref()
        .is_some_and(|b| b.fields().iter().any(|f| secrets.contains(f.as_str())));
    match (sent, in_body) {
        (false, true) => Err(format!(
            "{} takes its key in the request body of each call, which `credlink api` does not write: send the call with `credlink exec` or a tool of your own",
            connector.product()
        )),
        _ => Ok(()),
    }
}

/// The header names a user's `-H` may not set: the credential's, the host, and what framing
/// the HTTP client decides.
pub(crate) fn refused_header(connector: &Connector, name: &str) -> Option<&'static str> {
    const FIXED: [&str; 7] = [
        "authorization",
        "proxy-authorization",
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "cookie",
    ];
    let lower = name.to_ascii_lowercase();
    if FIXED.contains(&lower.as_str()) {
        return Some("credlink sets it (the credential, the host or the framing)");
    }
    let carries_secret = match &connector.check {
        Check::ApiKey(spec) => spec.headers.iter().any(|(n, t)| {
            n.eq_ignore_ascii_case(name)
                && t.fields()
                    .any(|f| connector.field(f).is_some_and(|f| f.secret))
        }),
        _ => false,
    };
    carries_secret.then_some("it carries the account's key")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.example.com/v2/").unwrap()
    }

    #[test]
    fn a_path_goes_under_the_base_with_its_query_encoded() {
        let url = |p: &str| api_url(&base(), p).unwrap().to_string();
        assert_eq!(url("persons"), "https://api.example.com/v2/persons");
        assert_eq!(url("/persons/1"), "https://api.example.com/v2/persons/1");
        assert_eq!(url(""), "https://api.example.com/v2/");
        assert_eq!(
            url("persons?q=a b&email=x@y.z"),
            "https://api.example.com/v2/persons?q=a%20b&email=x@y.z"
        );
        assert_eq!(
            url("users:batchGet"),
            "https://api.example.com/v2/users:batchGet"
        );
        assert_eq!(url("a%20b/c"), "https://api.example.com/v2/a%20b/c");
    }

    #[test]
    fn a_path_that_would_leave_the_base_is_refused() {
        for (path, why) in [
            ("https://evil.example/x", "absolute URL"),
            ("HTTPS://evil.example/x", "absolute URL"),
            ("http:evil.example", "absolute URL"),
            ("ftp://evil.example/", "absolute URL"),
            ("//evil.example/x", "`//`"),
            ("\\\\evil.example\\x", "backslash"),
            ("/\\evil.example", "backslash"),
            ("x\\..\\y", "backslash"),
            ("user@evil.example/x", "`@`"),
            ("../v1/x", "`..`"),
            ("a/../../x", "`..`"),
            ("./x", "`..`"),
            ("%2e%2e/x", "`..`"),
            ("%2E%2e/x", "`..`"),
            (".%2e/x", "`..`"),
            ("%252e%252e/x", "`..`"),
            ("%25252e%25252e/x", "`..`"),
            ("a%2f..%2fb", "encoded `/`"),
            ("a%2F..", "encoded `/`"),
            ("a%5c..", "encoded `/`"),
            ("a%255c..", "encoded `/`"),
            ("a\nHost: evil", "control"),
            ("a%0d%0aHost:x", "control"),
            ("a\u{7f}", "control"),
            ("x#frag", "fragment"),
            ("..;/x", "`..`"),
            ("a/..;jsessionid=1/x", "`..`"),
            ("\u{FF0E}\u{FF0E}/x", "full-width"),
            ("%EF%BC%8F%EF%BC%8Fevil", "full-width"),
            ("a\u{2215}b", "full-width"),
        ] {
            let err = api_url(&base(), path).unwrap_err().to_string();
            assert!(err.contains(why), "{path:?}: {err}");
        }
    }

    fn built_in_request(id: &str) -> Result<Request, String> {
        let catalog = crate::catalog::Catalog::load(None).unwrap();
        let connector = catalog.get(id).unwrap();
        let creds = Credentials {
            values: BTreeMap::new(),
            secrets: [("api_key".to_owned(), Secret::new("key-0123456789"))].into(),
            scope: None,
        };
        api_request(connector, &creds, None, reqwest::Method::GET, base())
    }

    #[test]
    fn a_key_the_check_sends_only_in_its_body_is_not_sent_by_api() {
        let err = built_in_request("peoplehr").err().unwrap();
        assert!(err.contains("takes its key in the request body"), "{err}");
        let jazz = built_in_request("jazzhr").unwrap();
        assert_eq!(jazz.url.query(), Some("apikey=key-0123456789"));
        assert_eq!(jazz.secret_params, ["apikey"]);
    }

    #[test]
    fn an_over_encoded_segment_is_refused() {
        let mut s = ".".to_owned();
        for _ in 0..8 {
            s = s.replace('%', "%25").replace('.', "%2e");
        }
        assert!(api_url(&base(), &s).is_err());
    }
}
