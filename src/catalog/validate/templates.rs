//! The `{field}` templates of one entry: parsed, their placeholders declared fields, URLs whose
//! host no value can move, header text that can be sent.

use std::collections::BTreeMap;

use crate::base::template::{JsonTemplate, Template, check_url_scheme};
use crate::catalog::Field;
use crate::catalog::raw::{RawBasic, RawPermissionCheck};

/// The templates of a connector with these fields.
pub(super) struct Templates<'a> {
    /// In declaration order.
    fields: &'a [Field],
    declared: BTreeMap<&'a str, &'a Field>,
}

impl<'a> Templates<'a> {
    pub(super) fn new(fields: &'a [Field]) -> Self {
        let declared = fields.iter().map(|f| (f.id.as_str(), f)).collect();
        Self { fields, declared }
    }

    /// The declared fields, in order.
    pub(super) fn fields(&self) -> &'a [Field] {
        self.fields
    }

    /// Whether a checked template fills in a secret field.
    pub(super) fn holds_secret(&self, t: &Template) -> bool {
        t.fields().any(|f| self.declared[f].secret)
    }

    fn check_declared(&self, key: &str, t: &Template) -> Result<(), String> {
        match t.fields().find(|f| !self.declared.contains_key(f)) {
            Some(f) => Err(format!(
                "`{key}` uses `{{{f}}}` but no field `{f}` is declared"
            )),
            None => Ok(()),
        }
    }

    /// Text with placeholders of declared fields.
    pub(super) fn text(&self, key: &str, raw: &str) -> Result<Template, String> {
        let t = Template::parse(raw).map_err(|e| format!("`{key}`: {e}"))?;
        self.check_declared(key, &t)?;
        Ok(t)
    }

    /// A URL whose placeholders are non-secret fields with a pattern, that renders to a URL of
    /// an allowed scheme.
    pub(super) fn url(&self, key: &str, raw: &str) -> Result<Template, String> {
        let t = Template::parse_url(raw).map_err(|e| format!("`{key}`: {e}"))?;
        self.patterned(
            key,
            &t,
            "a secret never goes in a URL, where proxies and server logs keep it (a provider that takes its key only in a query parameter declares that parameter with `verify.query_secret`)",
        )?;
        let sample: BTreeMap<&str, &str> = t.fields().map(|f| (f, "sample")).collect();
        let url = url::Url::parse(&t.render(&sample).unwrap_or_default())
            .map_err(|e| format!("`{key}` is not a valid URL: {e}"))?;
        check_url_scheme(&url).map_err(|e| format!("`{key}`: {e}"))?;
        Ok(t)
    }

    /// Placeholders that fill a value into a request's structure (URL, scope) stand for
    /// non-secret fields with a `pattern`: the anchored pattern refuses a value with a
    /// separator before anything is sent, and the template refuses it again when filled in.
    fn patterned(&self, key: &str, t: &Template, no_secret: &str) -> Result<(), String> {
        self.check_declared(key, t)?;
        for f in t.fields() {
            let field = self.declared[f];
            if field.secret {
                return Err(format!("`{key}` uses the secret `{{{f}}}`: {no_secret}"));
            }
            if field.pattern.is_none() {
                return Err(format!(
                    "`{key}` uses `{{{f}}}`, which must be a non-secret field with a `pattern`"
                ));
            }
        }
        Ok(())
    }

    /// An OAuth scope: fixed text, or placeholders inside its scope tokens (Culture Amp's
    /// `target-entity:{entity_id}:employees-read`).
    pub(super) fn scope(&self, key: &str, raw: &str) -> Result<Template, String> {
        let t = Template::parse_scope(raw).map_err(|e| format!("`{key}`: {e}"))?;
        self.patterned(key, &t, "a secret never goes in a scope")?;
        Ok(t)
    }

    /// A JSON body whose string values may each be one whole placeholder of a declared field.
    pub(super) fn json_body(&self, key: &str, raw: &str) -> Result<JsonTemplate, String> {
        let t = JsonTemplate::parse(raw).map_err(|e| format!("`{key}`: {e}"))?;
        match t
            .fields()
            .into_iter()
            .find(|f| !self.declared.contains_key(f.as_str()))
        {
            Some(f) => Err(format!(
                "`{key}` uses `{{{f}}}` but no field `{f}` is declared"
            )),
            None => Ok(t),
        }
    }

    /// A header value: its fixed text must be sendable as is (a CR or LF would end the header).
    pub(super) fn header(&self, key: &str, raw: &str) -> Result<Template, String> {
        let t = self.text(key, raw)?;
        for text in t.literal_text() {
            if reqwest::header::HeaderValue::from_str(text).is_err() {
                return Err(format!(
                    "`{key}` holds a character a header cannot carry (a line break or control character)"
                ));
            }
        }
        Ok(t)
    }

    /// Headers by name: valid names, sendable values.
    pub(super) fn headers(
        &self,
        key: &str,
        raw: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, Template>, String> {
        let mut headers = BTreeMap::new();
        for (name, value) in raw {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{key}`: `{name}` is not a header name"))?;
            headers.insert(name.clone(), self.header(&format!("{key}.{name}"), value)?);
        }
        Ok(headers)
    }

    /// HTTP Basic credentials: user name and password, each a header template.
    pub(super) fn basic(
        &self,
        key: &str,
        raw: Option<&RawBasic>,
    ) -> Result<Option<(Template, Template)>, String> {
        raw.map(|b| {
            Ok((
                self.header(&format!("{key}.username"), &b.username)?,
                self.header(&format!("{key}.password"), &b.password)?,
            ))
        })
        .transpose()
    }

    /// The read-only call made with a new token.
    pub(super) fn permission_check(
        &self,
        raw: Option<&RawPermissionCheck>,
    ) -> Result<Option<(reqwest::Method, Template)>, String> {
        raw.map(|p| {
            Ok((
                method("permission_check.method", &p.method)?,
                self.url("permission_check.url", &p.url)?,
            ))
        })
        .transpose()
    }
}

/// GET or POST, in any case.
pub(super) fn method(key: &str, raw: &str) -> Result<reqwest::Method, String> {
    match raw.to_ascii_uppercase().as_str() {
        "GET" => Ok(reqwest::Method::GET),
        "POST" => Ok(reqwest::Method::POST),
        other => Err(format!("`{key}` `{other}` is not GET or POST")),
    }
}
