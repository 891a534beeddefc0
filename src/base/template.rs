//! `{field}` placeholders in connector URLs, headers and token parameters.

use std::collections::BTreeMap;

use url::Url;

/// A template that cannot be used, found when the catalog loads or a value is put in.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TemplateError {
    #[error("`{raw}` {why}")]
    Malformed { raw: String, why: String },
    #[error(
        "{label} `{value}` cannot be used in {place}: only letters, digits, `-`, `.`, `_` and `~` are allowed{where_}"
    )]
    UnsafeValue {
        label: String,
        value: String,
        place: &'static str,
        where_: &'static str,
    },
    #[error("`{url}` is not a valid URL: {why}")]
    NotAUrl { url: String, why: String },
    #[error(
        "the connector `{0}` declares no `api_base` (the base URL of its API): add `api_base = \"https://...\"` to its entry in your connectors file"
    )]
    NoApiBase(String),
    #[error("`{0}` must use https (plain http is allowed only to 127.0.0.1, ::1 or localhost)")]
    NotHttps(String),
}

/// A string with `{field_id}` placeholders, parsed once when the catalog loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    raw: String,
    parts: Vec<Part>,
    /// Placeholders that stand in a URL's host name: each fills one whole DNS label.
    host_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(String),
}

/// Characters a value may have to stand in a URL: they cannot end the host, start a path,
/// query or fragment, or add user info, so no value can send a request to another host or
/// another path.
fn is_url_safe(value: &str) -> bool {
    // `.` and `..` alone would step through the path.
    !value.bytes().all(|b| b == b'.')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// One DNS label: letters, digits and inner `-`.
fn is_dns_label(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && !value.starts_with('-')
        && !value.ends_with('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl Template {
    pub(crate) fn parse(raw: &str) -> Result<Self, TemplateError> {
        let malformed = |why: String| TemplateError::Malformed {
            raw: raw.to_owned(),
            why,
        };
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find('{') {
            if rest[..start].contains('}') {
                return Err(malformed("has a `}` without an opening `{`".into()));
            }
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 1..];
            let end = after
                .find('}')
                .ok_or_else(|| malformed("has a `{` without a closing `}`".into()))?;
            let name = &after[..end];
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(malformed(format!(
                    "has an invalid placeholder `{{{name}}}`"
                )));
            }
            parts.push(Part::Field(name.to_owned()));
            rest = &after[end + 1..];
        }
        if rest.contains('}') {
            return Err(malformed("has a `}` without an opening `{`".into()));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self {
            raw: raw.to_owned(),
            parts,
            host_fields: Vec::new(),
        })
    }

    /// A URL template: the scheme and every separator are fixed text, there is no user info,
    /// and the host is fixed text or placeholders that each fill one whole DNS label, so no
    /// value can move the request to another host.
    pub(crate) fn parse_url(raw: &str) -> Result<Self, TemplateError> {
        let mut t = Self::parse(raw)?;
        let malformed = |why: &str| TemplateError::Malformed {
            raw: raw.to_owned(),
            why: why.to_owned(),
        };
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(malformed("has whitespace or a control character"));
        }
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(malformed("is not an absolute URL (scheme://host/...)"));
        };
        if scheme.contains('{') {
            return Err(malformed("has a placeholder in its scheme"));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // An empty host would let the URL parser take the host from the path.
        if authority.is_empty() {
            return Err(malformed("has no host"));
        }
        if authority.contains('@') {
            return Err(malformed(
                "has user info (`user:password@`) in its host; credentials go in fields",
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
            _ => (authority, None),
        };
        if port.is_some_and(|p| p.contains('{')) {
            return Err(malformed("has a placeholder in its port"));
        }
        for label in host.split('.') {
            if !label.contains('{') {
                continue;
            }
            let whole = label
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .filter(|name| !name.contains(['{', '}']));
            match whole {
                Some(name) => t.host_fields.push(name.to_owned()),
                None => {
                    return Err(malformed(
                        "has a placeholder that is not a whole label of the host name",
                    ));
                }
            }
        }
        Ok(t)
    }

    /// The fixed domain after the last placeholder label of a URL template's host
    /// (`traffit.com` in `https://{subdomain}.traffit.com/...`); `None` when the whole host is
    /// fixed text.
    pub(crate) fn base_domain(&self) -> Option<String> {
        let rest = self.raw.split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let labels: Vec<&str> = host.split('.').collect();
        let last = labels.iter().rposition(|l| l.contains('{'))?;
        let base = labels[last + 1..].join(".");
        (!base.is_empty()).then_some(base)
    }

    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(f.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The fixed text of the template, without its placeholders.
    pub(crate) fn literal_text(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Literal(s) => Some(s.as_str()),
            Part::Field(_) => None,
        })
    }

    #[cfg(test)]
    pub(crate) fn is_literal(&self) -> bool {
        self.fields().next().is_none()
    }

    /// Substitutes values verbatim. `None` when a placeholder's field has no value (an optional
    /// field left empty): the caller leaves the whole parameter or header out.
    pub(crate) fn render(&self, values: &BTreeMap<&str, &str>) -> Option<String> {
        let mut out = String::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Field(f) => match values.get(f.as_str()) {
                    Some(v) if !v.is_empty() => out.push_str(v),
                    _ => return None,
                },
            }
        }
        Some(out)
    }

    /// Substitutes values into a URL, refusing values that could change the host or path
    /// structure, and any URL that is not https (plain http only to a loopback host).
    pub(crate) fn render_url(
        &self,
        values: &BTreeMap<&str, &str>,
        labels: &dyn Fn(&str) -> String,
    ) -> Result<Url, TemplateError> {
        for field in self.fields() {
            let value = values.get(field).copied().unwrap_or("");
            let in_host = self.host_fields.iter().any(|h| h == field);
            if !is_url_safe(value) || (in_host && !is_dns_label(value)) {
                return Err(TemplateError::UnsafeValue {
                    label: labels(field),
                    value: value.to_owned(),
                    place: "the provider URL",
                    where_: if in_host {
                        " (in the host name: one label, no `.`)"
                    } else {
                        ""
                    },
                });
            }
        }
        let rendered = self.render(values).unwrap_or_default();
        let url = Url::parse(&rendered).map_err(|e| TemplateError::NotAUrl {
            url: rendered.clone(),
            why: e.to_string(),
        })?;
        check_url_scheme(&url)?;
        Ok(url)
    }
}

/// A JSON document whose string values may each be one whole `{field}` placeholder, filled
/// with serde_json: a value with quotes, braces or backslashes stays one string, and no value
/// can add a key, end the document or become a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonTemplate {
    json: serde_json::Value,
}

impl JsonTemplate {
    pub(crate) fn parse(raw: &str) -> Result<Self, TemplateError> {
        let malformed = |why: String| TemplateError::Malformed {
            raw: raw.to_owned(),
            why,
        };
        let json = serde_json::from_str::<serde_json::Value>(raw).map_err(|e| {
            malformed(format!(
                "is not JSON ({e}); a placeholder fills a whole JSON string value, `\"{{field}}\"`, never a key, a number or part of the document"
            ))
        })?;
        let mut bad = None;
        visit(&json, &mut |key, s| {
            if bad.is_some() {
                return;
            }
            let what = if key { "key" } else { "string" };
            if !key && whole_field(s).is_some() {
                return;
            }
            if let Some(mention) = placeholder_in(s) {
                bad = Some(malformed(if whole_field(mention).is_none() {
                    format!(
                        "has `{mention}` in the {what} `{s}`: a placeholder names a field id (lowercase letters, digits, `_`)"
                    )
                } else if key {
                    format!(
                        "has a placeholder in the {what} `{s}`: only a whole string value may be one"
                    )
                } else {
                    format!(
                        "has the {what} `{s}`: a placeholder fills a whole string value, with no text around it"
                    )
                }));
            }
        });
        match bad {
            Some(e) => Err(e),
            None => Ok(Self { json }),
        }
    }

    /// The placeholders, in document order.
    pub(crate) fn fields(&self) -> Vec<String> {
        let mut fields = Vec::new();
        visit(&self.json, &mut |key, s| {
            if !key && let Some(f) = whole_field(s) {
                fields.push(f.to_owned());
            }
        });
        fields
    }

    /// The document with each placeholder's string replaced by its value (an absent value by
    /// an empty string).
    pub(crate) fn render(&self, values: &BTreeMap<&str, &str>) -> String {
        let mut json = self.json.clone();
        fill(&mut json, values);
        json.to_string()
    }
}

/// The first `{word}` in `s` (letters, digits, `_`): a placeholder, or meant as one. Other
/// braces, such as a GraphQL query's `{ id }`, are text.
fn placeholder_in(s: &str) -> Option<&str> {
    s.match_indices('{').find_map(|(at, _)| {
        let rest = &s[at..];
        let end = rest.find('}')?;
        let name = &rest[1..end];
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then(|| &rest[..=end])
    })
}

/// The field of a string that is one whole placeholder.
fn whole_field(s: &str) -> Option<&str> {
    let name = s.strip_prefix('{')?.strip_suffix('}')?;
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    .then_some(name)
}

/// Calls `f` on every key (`true`) and string value (`false`) of a JSON document.
fn visit(json: &serde_json::Value, f: &mut dyn FnMut(bool, &str)) {
    match json {
        serde_json::Value::String(s) => f(false, s),
        serde_json::Value::Array(items) => items.iter().for_each(|v| visit(v, f)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            f(true, k);
            visit(v, f);
        }),
        _ => {}
    }
}

fn fill(json: &mut serde_json::Value, values: &BTreeMap<&str, &str>) {
    match json {
        serde_json::Value::String(s) => {
            if let Some(f) = whole_field(s) {
                *s = values.get(f).copied().unwrap_or_default().to_owned();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| fill(v, values)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| fill(v, values)),
        _ => {}
    }
}

impl Template {
    /// Substitutes values into a scope: each value stays inside the scope token the template
    /// puts it in (no space, `+`, `,`, `:` or other separator), so no value can add a scope.
    pub(crate) fn render_scope(
        &self,
        values: &BTreeMap<&str, &str>,
        labels: &dyn Fn(&str) -> String,
    ) -> Result<String, TemplateError> {
        for field in self.fields() {
            let value = values.get(field).copied().unwrap_or("");
            if value.is_empty() || !is_url_safe(value) {
                return Err(TemplateError::UnsafeValue {
                    label: labels(field),
                    value: value.to_owned(),
                    place: "the scope",
                    where_: " (one part of one scope, never a separator)",
                });
            }
        }
        Ok(self.render(values).unwrap_or_default())
    }

    /// A scope template: placeholders inside scope tokens, never a separator around them.
    pub(crate) fn parse_scope(raw: &str) -> Result<Self, TemplateError> {
        let t = Self::parse(raw)?;
        if raw.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(TemplateError::Malformed {
                raw: raw.to_owned(),
                why:
                    "has a control character, `\"` or `\\`, which no scope may hold (RFC 6749 3.3)"
                        .into(),
            });
        }
        Ok(t)
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// https only; plain http is allowed to loopback hosts, which tests and local proxies need.
pub(crate) fn check_url_scheme(url: &Url) -> Result<(), TemplateError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(TemplateError::NotHttps(url.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(pairs: &[(&'a str, &'a str)]) -> BTreeMap<&'a str, &'a str> {
        pairs.iter().copied().collect()
    }

    fn label(f: &str) -> String {
        f.to_owned()
    }

    #[test]
    fn parses_and_renders_placeholders() {
        let t = Template::parse("https://{subdomain}.traffit.com/oauth2/token").unwrap();
        assert_eq!(t.fields().collect::<Vec<_>>(), ["subdomain"]);
        let url = t
            .render_url(&values(&[("subdomain", "acme")]), &label)
            .unwrap();
        assert_eq!(url.as_str(), "https://acme.traffit.com/oauth2/token");
        assert!(Template::parse("plain").unwrap().is_literal());
    }

    #[test]
    fn rejects_malformed_templates() {
        for bad in [
            "https://{sub",
            "https://{}.x",
            "https://{Sub}.x",
            "a}b",
            "{a-b}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_value_can_move_the_request_to_another_host() {
        let t = Template::parse_url("https://{subdomain}.traffit.com/oauth2/token").unwrap();
        for evil in [
            "evil.com",
            "evil.com/",
            "evil.com#",
            "evil.com?",
            "a@evil.com",
            "evil.com:443",
            "a b",
            "",
            "%2e",
        ] {
            let err = t
                .render_url(&values(&[("subdomain", evil)]), &label)
                .unwrap_err();
            assert!(matches!(err, TemplateError::UnsafeValue { .. }), "{evil}");
        }
    }

    #[test]
    fn https_only_except_loopback() {
        let ok = [
            "https://a.example/x",
            "http://127.0.0.1:9/t",
            "http://[::1]:9/t",
            "http://localhost/t",
        ];
        for u in ok {
            assert!(check_url_scheme(&Url::parse(u).unwrap()).is_ok(), "{u}");
        }
        for u in [
            "http://example.com/t",
            "ftp://127.0.0.1/",
            "http://127.0.0.1.evil.com/",
        ] {
            assert!(check_url_scheme(&Url::parse(u).unwrap()).is_err(), "{u}");
        }
    }

    #[test]
    fn render_leaves_out_empty_optional_values() {
        let t = Template::parse("{user_id}").unwrap();
        assert_eq!(t.render(&values(&[("user_id", "")])), None);
        assert_eq!(
            t.render(&values(&[("user_id", "42")])).as_deref(),
            Some("42")
        );
    }

    #[test]
    fn url_templates_keep_the_host_fixed() {
        for ok in [
            "https://{subdomain}.traffit.com/oauth2/token",
            "https://api.example.com/{tenant}/token",
            "http://127.0.0.1:9400/{a}/{b}",
            "https://{region}.{tenant}.example.com/x",
        ] {
            assert!(Template::parse_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://api.example.com{sfx}/token",
            "https://{sub}x.example.com/t",
            "https://user:pw@example.com/t",
            "http://{u}@127.0.0.1/t",
            "https://example.com:{port}/t",
            "{scheme}://example.com/t",
            "example.com/t",
            "https:///{tenant}/token",
            "https://\t/{tenant}/token",
        ] {
            assert!(Template::parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_values_fill_whole_strings_only() {
        let t = JsonTemplate::parse(r#"{"APIKey": "{api_key}", "n": 1, "a": ["{x}"]}"#).unwrap();
        assert_eq!(t.fields(), ["api_key", "x"]);
        let body = t.render(&values(&[
            ("api_key", r#"k", "Action": "Delete\"#),
            ("x", "}{"),
        ]));
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["APIKey"], r#"k", "Action": "Delete\"#);
        assert_eq!(parsed["a"][0], "}{");
        assert_eq!(parsed.as_object().unwrap().len(), 3);
        for bad in [
            r#"{"{api_key}": "x"}"#,
            r#"{"k": "Bearer {api_key}"}"#,
            r#"{"k": {api_key}}"#,
            r#"{"k": "{api_key}{x}"}"#,
            r#"{"k": "{Bad}"}"#,
            r#"{"query": "{ users {id} }"}"#,
        ] {
            assert!(JsonTemplate::parse(bad).is_err(), "{bad}");
        }
        for text in [
            r#"{"query": "{ users(limit: 1) { items { id } } }"}"#,
            r#"{"k": "{}"}"#,
        ] {
            let t = JsonTemplate::parse(text).unwrap();
            assert!(t.fields().is_empty(), "{text}");
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&t.render(&values(&[]))).unwrap(),
                serde_json::from_str::<serde_json::Value>(text).unwrap()
            );
        }
    }

    #[test]
    fn scope_values_stay_inside_their_scope_token() {
        let t = Template::parse_scope("target-entity:{entity}:employees-read").unwrap();
        let ok = t.render_scope(&values(&[("entity", "8ed17dce-9eca")]), &label);
        assert_eq!(ok.unwrap(), "target-entity:8ed17dce-9eca:employees-read");
        for evil in ["a b", "a+b", "a,b", "a:b", "a%20b", "", "a\u{3000}b"] {
            let err = t.render_scope(&values(&[("entity", evil)]), &label);
            assert!(err.is_err(), "{evil}");
        }
        assert!(Template::parse_scope("a \"{x}\"").is_err());
    }
}
