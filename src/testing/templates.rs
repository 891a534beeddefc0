//! Property tests of `{field}` templates: `Template::parse` on arbitrary text, `parse_url` on
//! generated URL templates (a placeholder may stand only for a whole label of the host, never
//! in user info, the scheme or the port), and `render_url` with values chosen to move the
//! request elsewhere: no value can change the scheme, the host's fixed labels, the port, or the
//! path's structure.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::select;

use super::property;
use crate::base::template::{Template, TemplateError, check_url_scheme};

fn label(field: &str) -> String {
    field.to_owned()
}

#[test]
fn prop_template_parse_never_panics_and_round_trips() {
    let raw = prop_oneof![
        any::<String>(),
        "[{}a-zA-Z0-9_:/. -]{0,30}",
        prop::collection::vec(
            select(
                &[
                    "{", "}", "{a}", "{sub_1}", "{A}", "{}", "https://", "é", "x", "{{", "}}", "@",
                    ":", "."
                ][..]
            ),
            0..8
        )
        .prop_map(|p| p.concat()),
    ];
    property("template_parse", raw, |raw| {
        let parsed = Template::parse(&raw);
        let as_url = Template::parse_url(&raw);
        let t = match parsed {
            Ok(t) => t,
            Err(e) => {
                prop_assert!(matches!(e, TemplateError::Malformed { .. }), "{:?}", e);
                // A URL template is a template first: it fails the same way.
                prop_assert_eq!(as_url, Err(e));
                return Ok(false);
            }
        };
        if let Ok(u) = &as_url {
            prop_assert_eq!(u.raw(), t.raw());
            prop_assert!(u.fields().eq(t.fields()));
        }
        prop_assert_eq!(t.raw(), raw.as_str());
        let fields: Vec<&str> = t.fields().collect();
        for f in &fields {
            prop_assert!(
                !f.is_empty()
                    && f.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "placeholder {:?}",
                f
            );
        }
        prop_assert_eq!(t.is_literal(), fields.is_empty());
        // The fixed text has no braces: every `{` and `}` belongs to a placeholder.
        prop_assert!(
            t.literal_text().all(|s| !s.contains(['{', '}'])),
            "a brace in the fixed text of {:?}",
            raw
        );
        // Rendering every placeholder as itself gives the template back.
        let placeholders: Vec<String> = fields.iter().map(|f| format!("{{{f}}}")).collect();
        let values: BTreeMap<&str, &str> = fields
            .iter()
            .copied()
            .zip(placeholders.iter().map(String::as_str))
            .collect();
        prop_assert_eq!(t.render(&values), Some(raw.clone()));
        Ok(true)
    });
}

/// Values put into URLs: plausible ones, and pieces that would end the host, start a path,
/// query or fragment, add user info or a port, or spell another host.
fn url_value() -> impl Strategy<Value = String> {
    let evil = select(
        &[
            "evil.com",
            "/",
            "\\",
            "#",
            "?",
            "@",
            ":",
            ":443",
            "%2e",
            "%2f",
            "..",
            ".",
            "xn--",
            "xn--nxasmq6b",
            "ß",
            "ｅｖｉｌ",
            "0x7f",
            "127.0.0.1",
            "[::1]",
            " ",
            "\t",
            "\u{0}",
            "~",
            "_",
            "-",
            "A",
            "a",
            "1",
        ][..],
    );
    prop_oneof![
        2 => "[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?",
        3 => "[A-Za-z0-9._~-]{0,24}",
        2 => prop::collection::vec(evil, 0..6).prop_map(|p| p.concat()),
        1 => any::<String>(),
        1 => "\\PC{0,12}",
    ]
}

/// Asserts what a refused value must be refused with: never a malformed template.
fn refused(e: &TemplateError) -> Result<bool, TestCaseError> {
    prop_assert!(
        !matches!(e, TemplateError::Malformed { .. }),
        "a value made the template malformed: {:?}",
        e
    );
    Ok(false)
}

#[test]
fn prop_url_values_cannot_move_the_host_or_the_path() {
    let t = Template::parse_url("https://{sub}.example.com/{path}/token").expect("valid template");
    property("render_url", (url_value(), url_value()), |(sub, path)| {
        let values = BTreeMap::from([("sub", sub.as_str()), ("path", path.as_str())]);
        let url = match t.render_url(&values, &label) {
            Ok(url) => url,
            Err(e) => return refused(&e),
        };
        let host = url.host_str().unwrap_or_default();
        prop_assert!(host.ends_with(".example.com"), "host {:?} of {}", host, url);
        prop_assert_eq!(host, format!("{sub}.example.com").to_ascii_lowercase());
        prop_assert!(!sub.contains('.'), "a host value is one label: {:?}", sub);
        prop_assert_eq!(url.scheme(), "https");
        prop_assert!(url.port().is_none() && url.username().is_empty() && url.password().is_none());
        prop_assert!(url.query().is_none() && url.fragment().is_none(), "{}", url);
        let segments: Vec<&str> = url
            .path_segments()
            .map(Iterator::collect)
            .unwrap_or_default();
        prop_assert_eq!(segments, vec![path.as_str(), "token"], "{}", url);
        Ok(true)
    });
}

#[test]
fn prop_url_values_cannot_leave_loopback() {
    let t = Template::parse_url("http://127.0.0.1:9/{tenant}/token").expect("valid template");
    property("render_url_loopback", url_value(), |tenant| {
        let values = BTreeMap::from([("tenant", tenant.as_str())]);
        let url = match t.render_url(&values, &label) {
            Ok(url) => url,
            Err(e) => return refused(&e),
        };
        prop_assert_eq!(url.host_str(), Some("127.0.0.1"));
        prop_assert_eq!(url.port(), Some(9));
        prop_assert_eq!(url.path(), format!("/{tenant}/token"));
        Ok(true)
    });
}

// ---- URL templates built piece by piece ----

/// One label of a URL template's host.
#[derive(Debug, Clone)]
enum HostLabel {
    /// Fixed text.
    Fixed(&'static str),
    /// A placeholder that is the whole label: `{name}`.
    Whole(&'static str),
    /// A placeholder with other text (or another placeholder) in the same label.
    Partial(&'static str),
}

/// A URL template, built from parts so that the test knows its host and where its
/// placeholders are.
#[derive(Debug, Clone)]
struct UrlTemplate {
    scheme: &'static str,
    user_info: Option<&'static str>,
    host: Vec<HostLabel>,
    port: Option<&'static str>,
    rest: &'static str,
}

/// Placeholder names of host labels; the rest of the URL uses `p` and `q` (and `a` once, a field
/// both in the host and in the path).
const HOST_FIELDS: &[&str] = &["a", "b", "c"];

impl UrlTemplate {
    /// The host as written in the template.
    fn raw_host(&self) -> String {
        let labels: Vec<String> = self
            .host
            .iter()
            .map(|l| match l {
                HostLabel::Fixed(s) | HostLabel::Partial(s) => (*s).to_owned(),
                HostLabel::Whole(f) => format!("{{{f}}}"),
            })
            .collect();
        labels.join(".")
    }

    fn raw(&self) -> String {
        format!(
            "{}://{}{}{}{}",
            self.scheme,
            self.user_info.unwrap_or(""),
            self.raw_host(),
            self.port.unwrap_or(""),
            self.rest
        )
    }

    /// Whether `parse_url` must refuse it: a placeholder in the host that is not a whole label,
    /// user info, a placeholder in the scheme or the port, or no host at all.
    fn must_be_refused(&self) -> bool {
        (self.raw_host().is_empty() && self.port.is_none())
            || self.user_info.is_some()
            || self.host.iter().any(|l| matches!(l, HostLabel::Partial(_)))
            || self.scheme.contains('{')
            || self.port.is_some_and(|p| p.contains('{'))
    }

    /// The host as rendered with `values`, before the URL parser normalizes it.
    fn host_with(&self, values: &BTreeMap<&str, &str>) -> String {
        let labels: Vec<&str> = self
            .host
            .iter()
            .map(|l| match l {
                HostLabel::Fixed(s) | HostLabel::Partial(s) => *s,
                HostLabel::Whole(f) => values[f],
            })
            .collect();
        labels.join(".")
    }
}

fn url_template() -> impl Strategy<Value = UrlTemplate> {
    let fixed = select(
        &[
            "example",
            "com",
            "api",
            "EU",
            "x-1",
            "xn--nxasmq6b",
            "127",
            "0",
            "1",
            "0x7f",
            "localhost",
            "",
        ][..],
    );
    let host_label = prop_oneof![
        5 => fixed.prop_map(HostLabel::Fixed),
        4 => select(HOST_FIELDS).prop_map(HostLabel::Whole),
        1 => select(
            &["{a}x", "x{a}", "{a}{b}", "x{b}y", "{a}-1", "xn--{c}", "{a}:{b}", "{b}\\x"][..]
        )
        .prop_map(HostLabel::Partial),
    ];
    let user_info = prop::option::weighted(
        0.1,
        select(&["user@", "user:pw@", "{p}@", "{p}:{q}@", "@", ":@", "{a}@"][..]),
    );
    let port = prop::option::weighted(
        0.2,
        select(&[":443", ":8443", ":9", ":", ":{p}", ":8{a}"][..]),
    );
    let rest = select(
        &[
            "",
            "/",
            "/token",
            "/{p}/token",
            "/v1/{p}?x={q}",
            "?{q}",
            "#{q}",
            "/{a}",
            "/{p}{q}",
        ][..],
    );
    (
        prop_oneof![8 => Just("https"), 2 => Just("http"), 1 => Just("{p}")],
        user_info,
        prop::collection::vec(host_label, 1..5),
        port,
        rest,
    )
        .prop_map(|(scheme, user_info, host, port, rest)| UrlTemplate {
            scheme,
            user_info,
            host,
            port,
            rest,
        })
}

/// Values for the placeholders of a [`url_template`], one each, mostly DNS labels (every
/// value in the template must pass for it to render).
fn url_values() -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    let names = ["a", "b", "c", "p", "q"];
    let value = prop_oneof![
        2 => "[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?",
        1 => url_value(),
    ];
    prop::collection::vec(value, names.len()).prop_map(move |v| names.into_iter().zip(v).collect())
}

/// A URL template with a placeholder anywhere in the host other than a whole label, with user
/// info, or without a host, is refused by `parse_url` (so when the catalog loads). For one that is accepted, no value can change
/// the rendered host away from the template's fixed labels: the host is the template's labels
/// with each placeholder label replaced by its value (or, for an IP address, exactly the
/// address that text spells), and the scheme, user info and port stay the template's.
#[test]
fn prop_url_templates_keep_the_host_fixed() {
    property(
        "url_template_host",
        (url_template(), url_values()),
        |(template, values)| {
            let raw = template.raw();
            let parsed = Template::parse_url(&raw);
            if template.must_be_refused() {
                prop_assert!(
                    matches!(parsed, Err(TemplateError::Malformed { .. })),
                    "{} is accepted",
                    raw
                );
                return Ok(false);
            }
            let t = match parsed {
                Ok(t) => t,
                Err(e) => return Err(TestCaseError::fail(format!("{raw} is refused: {e}"))),
            };
            let values: BTreeMap<&str, &str> =
                values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let url = match t.render_url(&values, &label) {
                Ok(url) => url,
                Err(e) => return refused(&e),
            };
            prop_assert!(check_url_scheme(&url).is_ok());
            prop_assert_eq!(url.scheme(), template.scheme, "{}", url);
            prop_assert!(
                url.username().is_empty() && url.password().is_none(),
                "{}",
                url
            );
            let port = template
                .port
                .and_then(|p| p[1..].parse::<u16>().ok())
                .or_else(|| {
                    url::Url::parse(&format!("{}://x", template.scheme))
                        .ok()?
                        .port_or_known_default()
                });
            prop_assert_eq!(url.port_or_known_default(), port, "{}", url);
            let expected = template.host_with(&values);
            match url.host() {
                Some(url::Host::Domain(host)) => {
                    let got: Vec<&str> = host.split('.').collect();
                    let want: Vec<String> =
                        expected.split('.').map(str::to_ascii_lowercase).collect();
                    prop_assert_eq!(got, want, "{} from {}", url, raw);
                    for (i, l) in template.host.iter().enumerate() {
                        if let HostLabel::Whole(f) = l {
                            prop_assert!(
                                !values[f].contains('.'),
                                "{} fills more than label {} of {}",
                                values[f],
                                i,
                                url
                            );
                        }
                    }
                }
                Some(ip) => {
                    // An address only where the template itself spells one (WHATWG: a host
                    // that ends in a number is IPv4), and exactly the address of that text.
                    prop_assert_eq!(
                        Some(ip.to_owned()),
                        url::Host::parse(&expected).ok(),
                        "{}",
                        url
                    );
                    for l in &template.host {
                        if let HostLabel::Fixed(s) = l {
                            prop_assert!(
                                s.chars().all(|c| c.is_ascii_hexdigit() || c == 'x'),
                                "{} is an address, but {} has the label {:?}",
                                url,
                                raw,
                                s
                            );
                        }
                    }
                }
                None => return Err(TestCaseError::fail(format!("{url} has no host"))),
            }
            Ok(true)
        },
    );
}

// ---- bugs found by property tests (all fixed), kept as regression tests ----

/// `}` without an opening `{` was refused only after the last placeholder: "a}b" was an error
/// but "a}{b}" parsed, with a literal `a}`.
#[test]
fn template_refuses_a_stray_closing_brace_anywhere() {
    assert!(Template::parse("a}{b}").is_err());
    assert!(Template::parse("https://x}.{sub}.example.com/").is_err());
}

/// Found by `prop_url_templates_keep_the_host_fixed`: `parse_url` accepted a URL template whose
/// host is empty (`https:///{tenant}/token`, a typo for two slashes, or a host that is only a
/// tab or line break, which the URL parser drops), and the URL parser then skipped the extra
/// slashes and took the host from the path: the value `evil.com` (which the path allows) sent
/// the request to `https://evil.com/token`. The catalog check rendered `sample` into it and
/// accepted it too.
#[test]
fn a_url_template_without_a_host_is_refused() {
    for raw in [
        "https:///{tenant}/token",
        "https:////{tenant}/token",
        "https://\t/{tenant}/token",
        "http://\n/{tenant}/token",
    ] {
        let values = BTreeMap::from([("tenant", "evil.com")]);
        let rendered = Template::parse_url(raw).map(|t| t.render_url(&values, &label));
        assert!(
            !matches!(rendered, Ok(Ok(_))),
            "{raw:?} is accepted and renders {:?}",
            rendered.map(|r| r.map(|u| u.to_string()))
        );
    }
}
