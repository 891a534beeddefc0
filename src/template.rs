//! `{field}` placeholders in connector URLs, headers and token parameters.

use std::collections::BTreeMap;

use url::Url;

use crate::error::CliError;

/// A string with `{field_id}` placeholders, parsed once when the catalog loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    raw: String,
    parts: Vec<Part>,
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

impl Template {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find('{') {
            if rest[..start].contains('}') {
                return Err(format!("`{raw}` has a `}}` without an opening `{{`"));
            }
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 1..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("`{raw}` has a `{{` without a closing `}}`"))?;
            let name = &after[..end];
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(format!("`{raw}` has an invalid placeholder `{{{name}}}`"));
            }
            parts.push(Part::Field(name.to_owned()));
            rest = &after[end + 1..];
        }
        if rest.contains('}') {
            return Err(format!("`{raw}` has a `}}` without an opening `{{`"));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self {
            raw: raw.to_owned(),
            parts,
        })
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(f.as_str()),
            Part::Literal(_) => None,
        })
    }

    pub fn is_literal(&self) -> bool {
        self.fields().next().is_none()
    }

    /// Substitutes values verbatim. `None` when a placeholder's field has no value (an optional
    /// field left empty): the caller leaves the whole parameter or header out.
    pub fn render(&self, values: &BTreeMap<&str, &str>) -> Option<String> {
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
    pub fn render_url(
        &self,
        values: &BTreeMap<&str, &str>,
        labels: &dyn Fn(&str) -> String,
    ) -> Result<Url, CliError> {
        for field in self.fields() {
            let value = values.get(field).copied().unwrap_or("");
            if !is_url_safe(value) {
                return Err(CliError::usage(format!(
                    "{} `{}` cannot be used in the provider URL: only letters, digits, `-`, `.`, `_` and `~` are allowed",
                    labels(field),
                    value
                )));
            }
        }
        let rendered = self.render(values).unwrap_or_default();
        let url = Url::parse(&rendered)
            .map_err(|e| CliError::usage(format!("`{rendered}` is not a valid URL: {e}")))?;
        check_url_scheme(&url).map_err(CliError::usage)?;
        Ok(url)
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// https only; plain http is allowed to loopback hosts, which tests and local proxies need.
pub fn check_url_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(format!(
            "`{url}` must use https (plain http is allowed only to 127.0.0.1, ::1 or localhost)"
        )),
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
        let t = Template::parse("https://{subdomain}.traffit.com/oauth2/token").unwrap();
        for evil in [
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
            assert!(
                err.message.contains("cannot be used in the provider URL"),
                "{evil}"
            );
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
}
