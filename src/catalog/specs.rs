//! Evidence, not inference: each connector's check call (method, host and path, and how
//! credlink authenticates) against the provider's OpenAPI or Swagger 2 document, kept in
//! `tests/fixtures/specs/` with `index.toml` saying where each came from and which connectors
//! it confirms, or does not confirm and why.

use std::path::{Path, PathBuf};

use regex_lite::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::*;

const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 15 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    specs: Vec<SpecEntry>,
}

/// One document: where it was fetched, what it declares, what it covers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecEntry {
    file: String,
    /// The public page of the document at `commit`, cited by the connectors it confirms.
    url: String,
    repository: String,
    path: String,
    commit: String,
    fetched: String,
    publisher: Publisher,
    /// The server base URLs the document declares.
    servers: Vec<String>,
    /// Those servers with the example account in their host written as a variable, where the
    /// document gives an example (`https://subdomain.sage.hr/api` as
    /// `https://{subdomain}.sage.hr/api`); the calls are matched against these.
    #[serde(default)]
    account_servers: Vec<String>,
    #[serde(default)]
    confirms: Vec<String>,
    #[serde(default)]
    not_confirmed: Vec<NotConfirmed>,
}

/// Who published the document: the provider itself, or a third party (an SDK generator's
/// copy), which makes the facts it supports `public` rather than `confirmed`.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Publisher {
    Provider,
    Copy,
}

impl Publisher {
    fn confidence(self) -> Confidence {
        match self {
            Publisher::Provider => Confidence::Confirmed,
            Publisher::Copy => Confidence::Public,
        }
    }
}

/// A connector the document speaks to without confirming its check, and why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotConfirmed {
    connector: String,
    reason: String,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/specs")
}

fn index() -> Index {
    let text = std::fs::read_to_string(dir().join("index.toml")).expect("specs index");
    toml::from_str(&text).expect("specs index parses")
}

/// How credlink authenticates a call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    /// An access token from the token endpoint, as `Authorization: Bearer`.
    Token,
    /// A static key as `Authorization: Bearer`.
    BearerKey,
    Basic,
    /// A secret in this header.
    Header(String),
}

impl Sent {
    /// Whether an OpenAPI security scheme (or Swagger 2 security definition) describes it.
    fn fits(&self, scheme: &Value) -> bool {
        let text = |key: &str| scheme[key].as_str().unwrap_or("").to_ascii_lowercase();
        let (kind, http) = (text("type"), text("scheme"));
        let header = (text("in") == "header").then(|| text("name"));
        match self {
            Sent::Token => {
                matches!(kind.as_str(), "oauth2" | "openidconnect")
                    || (kind == "http" && http == "bearer")
                    || header.as_deref() == Some("authorization")
            }
            Sent::BearerKey => {
                (kind == "http" && http == "bearer") || header.as_deref() == Some("authorization")
            }
            Sent::Basic => kind == "basic" || (kind == "http" && http == "basic"),
            Sent::Header(name) => {
                kind == "apikey" && header.is_some_and(|h| h.eq_ignore_ascii_case(name))
            }
        }
    }
}

/// A call credlink makes: method, URL template, and how it authenticates.
struct Call<'a> {
    method: &'a reqwest::Method,
    url: &'a Template,
    sent: Vec<Sent>,
}

/// The secret-bearing parts of a request: Basic, Bearer, and headers that carry a secret field.
fn sent_by(
    c: &Connector,
    basic: Option<&(Template, Template)>,
    bearer: Option<&Template>,
    headers: &BTreeMap<String, Template>,
) -> Vec<Sent> {
    let secret = |t: &Template| t.fields().any(|f| c.field(f).is_some_and(|f| f.secret));
    let mut sent = Vec::new();
    if basic.is_some() {
        sent.push(Sent::Basic);
    }
    if bearer.is_some() {
        sent.push(Sent::BearerKey);
    }
    sent.extend(
        headers
            .iter()
            .filter(|(_, v)| secret(v))
            .map(|(k, _)| Sent::Header(k.clone())),
    );
    sent
}

/// The URL a template gives with each field's example (else default, else `x1`), without its
/// query.
fn sample(c: &Connector, url: &Template) -> String {
    let values: BTreeMap<&str, &str> = c
        .fields
        .iter()
        .map(|f| {
            let v = f
                .example
                .as_deref()
                .or(f.default.as_deref())
                .unwrap_or("x1");
            (f.id.as_str(), v)
        })
        .collect();
    let rendered = url.render(&values).expect("every field has a sample value");
    rendered.split('?').next().unwrap_or_default().to_owned()
}

/// A regex of an OpenAPI URL template: `{name}` stands for one or more characters other than
/// `/`; a server URL that starts with a variable (`{hostname}`) stands for an https origin.
fn template_regex(template: &str) -> Regex {
    let template = if template.starts_with('{') {
        format!("https://{template}")
    } else {
        template.to_owned()
    };
    let mut pattern = String::from("^");
    let mut rest = template.as_str();
    while let Some(start) = rest.find('{') {
        pattern.push_str(&regex_lite::escape(&rest[..start]));
        pattern.push_str("[^/]+");
        rest = rest[start..].split_once('}').map_or("", |(_, after)| after);
    }
    pattern.push_str(&regex_lite::escape(rest));
    pattern.push('$');
    Regex::new(&pattern).expect("template regex")
}

/// A parsed OpenAPI 3 or Swagger 2 document.
struct Document {
    name: String,
    json: Value,
    account_servers: Vec<String>,
}

impl Document {
    fn read(spec: &SpecEntry) -> Document {
        let text = std::fs::read_to_string(dir().join(&spec.file)).expect("spec file");
        Document {
            name: spec.file.clone(),
            json: serde_json::from_str(&text).expect("spec is JSON"),
            account_servers: spec.account_servers.clone(),
        }
    }

    /// The base URLs calls are matched against: the account servers, else the declared ones.
    fn bases(&self) -> Vec<String> {
        if self.account_servers.is_empty() {
            self.servers()
        } else {
            self.account_servers.clone()
        }
    }

    /// OpenAPI 3 `servers`, or Swagger 2 `schemes`, `host` and `basePath`.
    fn servers(&self) -> Vec<String> {
        if let Some(servers) = self.json["servers"].as_array() {
            return servers
                .iter()
                .filter_map(|s| s["url"].as_str().map(str::to_owned))
                .collect();
        }
        let Some(host) = self.json["host"].as_str() else {
            return Vec::new();
        };
        let base = self.json["basePath"].as_str().unwrap_or("");
        let schemes = self.json["schemes"].as_array().cloned().unwrap_or_default();
        let scheme = schemes.first().and_then(Value::as_str).unwrap_or("https");
        vec![format!("{scheme}://{host}{base}")]
    }

    fn schemes(&self) -> Option<&Map<String, Value>> {
        self.json["components"]["securitySchemes"]
            .as_object()
            .or_else(|| self.json["securityDefinitions"].as_object())
    }

    fn paths(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.json["paths"].as_object().into_iter().flatten()
    }

    /// The path template of a concrete URL (no query), on any of the servers: as OpenAPI
    /// matches, a concrete path before a templated one (`/users/me` before `/users/{id}`).
    fn path_of(&self, url: &str) -> Option<(&str, &Value)> {
        let servers = self.bases();
        self.paths()
            .filter(|(path, _)| {
                servers.iter().any(|server| {
                    template_regex(&format!("{}{path}", server.trim_end_matches('/'))).is_match(url)
                })
            })
            .min_by_key(|(path, _)| path.matches('{').count())
            .map(|(path, item)| (path.as_str(), item))
    }

    /// Checks that the document has the call, with a security requirement that fits it.
    fn has_call(&self, c: &Connector, call: &Call) -> Result<(), String> {
        let url = sample(c, call.url);
        let method = call.method.as_str().to_ascii_lowercase();
        let (path, item) = self.path_of(&url).ok_or_else(|| {
            format!(
                "no path of the spec matches {url} (servers {:?})",
                self.bases()
            )
        })?;
        let operation = item
            .get(&method)
            .ok_or_else(|| format!("{path} has no {} operation", call.method))?;
        if call.sent.is_empty() {
            return Ok(());
        }
        let requirements = operation
            .get("security")
            .or_else(|| self.json.get("security"))
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{} {path} declares no security", call.method))?;
        let fits = |requirement: &Value| self.requirement_fits(requirement, &call.sent);
        if requirements.iter().any(fits) {
            Ok(())
        } else {
            Err(format!(
                "{} {path}: credlink sends {:?}, the spec's security is {requirements:?} with schemes {:?}",
                call.method,
                call.sent,
                self.schemes().map(|s| s.keys().collect::<Vec<_>>())
            ))
        }
    }

    /// Whether one security requirement (all of its schemes) is exactly what credlink sends:
    /// each scheme fits something sent, and each thing sent fits a scheme.
    fn requirement_fits(&self, requirement: &Value, sent: &[Sent]) -> bool {
        let Some(names) = requirement.as_object().filter(|r| !r.is_empty()) else {
            return false;
        };
        let schemes: Vec<&Value> = names
            .keys()
            .filter_map(|n| self.schemes().and_then(|s| s.get(n)))
            .collect();
        schemes.len() == names.len()
            && schemes.iter().all(|s| sent.iter().any(|x| x.fits(s)))
            && sent.iter().all(|x| schemes.iter().any(|s| x.fits(s)))
    }

    /// The token URLs of the document's OAuth 2 flows of this kind, relative ones resolved
    /// against each server's origin.
    fn token_urls(&self, kind: AuthKind) -> Vec<String> {
        let wanted: &[&str] = match kind {
            AuthKind::Oauth2ClientCredentials => &["clientCredentials", "application"],
            AuthKind::Oauth2AuthorizationCode => &["authorizationCode", "accessCode"],
            _ => &[
                "clientCredentials",
                "authorizationCode",
                "password",
                "application",
                "accessCode",
            ],
        };
        let mut raw = Vec::new();
        for scheme in self.schemes().into_iter().flat_map(|s| s.values()) {
            for (flow, body) in scheme["flows"].as_object().into_iter().flatten() {
                if wanted.contains(&flow.as_str()) {
                    raw.extend(body["tokenUrl"].as_str());
                }
            }
            if scheme["flow"].as_str().is_some_and(|f| wanted.contains(&f)) {
                raw.extend(scheme["tokenUrl"].as_str());
            }
        }
        let origins: Vec<String> = self.bases().iter().map(|s| origin(s)).collect();
        raw.into_iter()
            .flat_map(|url| match url.starts_with('/') {
                true => origins.iter().map(|o| format!("{o}{url}")).collect(),
                false => vec![url.to_owned()],
            })
            .collect()
    }

    /// Checks the connector's token endpoint: the tokenUrl of the spec's flow of this kind, or
    /// where the spec names none, a POST operation at that URL.
    fn has_token_url(&self, c: &Connector, token_url: &Template) -> Result<(), String> {
        let url = sample(c, token_url);
        let declared = self.token_urls(c.auth());
        if declared.is_empty() {
            let post = Call {
                method: &reqwest::Method::POST,
                url: token_url,
                sent: Vec::new(),
            };
            return self
                .has_call(c, &post)
                .map_err(|e| format!("the spec gives no OAuth 2 tokenUrl, and {e}"));
        }
        let bare = |u: &str| u.split('?').next().unwrap_or_default().to_owned();
        if declared
            .iter()
            .any(|d| template_regex(&bare(d)).is_match(&url))
        {
            Ok(())
        } else {
            Err(format!(
                "token_url {url} is not the spec's tokenUrl {declared:?}"
            ))
        }
    }
}

/// `https://host` of a server URL.
fn origin(server: &str) -> String {
    let after = server.find("://").map_or(0, |i| i + 3);
    let end = server[after..]
        .find('/')
        .map_or(server.len(), |i| after + i);
    server[..end].to_owned()
}

/// The permission check, made with the access token.
fn with_token(check: Option<&(reqwest::Method, Template)>) -> Option<Call<'_>> {
    check.map(|(method, url)| Call {
        method,
        url,
        sent: vec![Sent::Token],
    })
}

/// Checks every call of the connector's check against the document.
fn confirm(c: &Connector, doc: &Document) -> Result<(), String> {
    let calls = match &c.check {
        Check::ApiKey(v) => {
            let sent = sent_by(c, v.basic_auth.as_ref(), v.bearer.as_ref(), &v.headers);
            vec![Call {
                method: &v.method,
                url: &v.url,
                sent,
            }]
        }
        Check::OAuth(o) => {
            doc.has_token_url(c, &o.token_url)
                .map_err(|e| format!("{} against spec {}: {e}", c.id, doc.name))?;
            with_token(o.permission_check.as_ref())
                .into_iter()
                .collect()
        }
        Check::Exchange(x) => {
            let sent = sent_by(c, x.basic_auth.as_ref(), None, &x.headers);
            let sign_in = Call {
                method: &x.method,
                url: &x.url,
                sent,
            };
            std::iter::once(sign_in)
                .chain(with_token(x.permission_check.as_ref()))
                .collect()
        }
    };
    calls
        .iter()
        .try_for_each(|call| doc.has_call(c, call))
        .map_err(|e| format!("{} against spec {}: {e}", c.id, doc.name))
}

#[test]
fn spec_files_are_small_public_copies_that_declare_the_listed_servers() {
    let catalog = Catalog::load(None).expect("built-in catalog loads");
    let mut total = 0;
    for spec in index().specs {
        let file = &spec.file;
        let size = std::fs::metadata(dir().join(file))
            .expect("spec file")
            .len();
        assert!(size <= MAX_FILE_BYTES, "{file}: {size} bytes, over 2 MB");
        total += size;
        let blob = format!(
            "https://github.com/{}/blob/{}/{}",
            spec.repository, spec.commit, spec.path
        );
        assert_eq!(spec.url, blob, "{file}: url");
        assert!(
            spec.commit.len() == 40 && spec.commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{file}: commit"
        );
        let date = Regex::new(r"^\d{4}-\d{2}-\d{2}$").unwrap();
        assert!(date.is_match(&spec.fetched), "{file}: fetched");
        let doc = Document::read(&spec);
        assert!(
            doc.json["openapi"].is_string() || doc.json["swagger"].is_string(),
            "{file}: an OpenAPI or Swagger document"
        );
        assert_eq!(doc.servers(), spec.servers, "{file}: servers");
        for account in &spec.account_servers {
            let shape = template_regex(account);
            let declared = spec.servers.iter().any(|s| shape.is_match(s));
            assert!(
                declared,
                "{file}: account server {account} is not a declared one"
            );
        }
        let covered = spec.not_confirmed.iter().map(|n| &n.connector);
        for id in spec.confirms.iter().chain(covered) {
            assert!(
                catalog.connectors.contains_key(id),
                "{file}: no connector {id}"
            );
        }
    }
    assert!(total <= MAX_TOTAL_BYTES, "specs: {total} bytes, over 15 MB");
}

#[test]
fn each_confirmed_check_call_is_in_the_provider_spec_which_the_connector_cites() {
    let catalog = Catalog::load(None).expect("built-in catalog loads");
    let mut failures = Vec::new();
    for spec in index().specs {
        let doc = Document::read(&spec);
        for id in &spec.confirms {
            let c = &catalog.connectors[id];
            failures.extend(confirm(c, &doc).err());
            let confidence = spec.publisher.confidence();
            let cites = c
                .sources
                .iter()
                .any(|s| s.url == spec.url && s.confidence == confidence);
            if !cites {
                failures.push(format!(
                    "{id} does not cite spec {} ({}) as {}",
                    spec.file,
                    spec.url,
                    confidence.as_str()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_spec_that_does_not_confirm_a_check_still_differs_and_says_why() {
    let catalog = Catalog::load(None).expect("built-in catalog loads");
    for spec in index().specs {
        let doc = Document::read(&spec);
        for n in &spec.not_confirmed {
            assert!(!n.reason.trim().is_empty(), "{}: a reason", n.connector);
            assert!(
                confirm(&catalog.connectors[&n.connector], &doc).is_err(),
                "{} now agrees with spec {}: move it to confirms and cite the spec",
                n.connector,
                spec.file
            );
        }
    }
}

/// A small document: one server with a host variable, an API key header, an OAuth 2 client
/// credentials flow with a relative tokenUrl.
fn small_spec() -> Document {
    let json = serde_json::json!({
        "openapi": "3.0.0",
        "servers": [{"url": "https://{tenant}.example.com/api"}],
        "components": {"securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "/oauth/token", "scopes": {}}}}
        }},
        "paths": {
            "/v1/users/{id}": {"get": {"security": [{"key": []}]}},
            "/v1/users/me": {"delete": {"security": [{"key": []}]}},
            "/v1/me": {"get": {"security": [{"oauth": []}]}}
        }
    });
    Document {
        name: "small".into(),
        json,
        account_servers: Vec::new(),
    }
}

fn api_key_entry(method: &str, path: &str, header: &str) -> Connector {
    let text = format!(
        r#"[connectors.small]
name = "Small"
auth = "api_key"
[connectors.small.verify]
method = "{method}"
url = "https://{{tenant}}.example.com/api{path}?limit=1"
headers = {{ {header} = "{{api_key}}" }}
[[connectors.small.fields]]
id = "tenant"
label = "Tenant"
pattern = "^[a-z]+$"
example = "acme"
[[connectors.small.fields]]
id = "api_key"
label = "Key"
secret = true
"#
    );
    let catalog = Catalog::from_toml(&text, "small").expect("small entry");
    catalog.connectors["small"].clone()
}

fn client_credentials_entry(token_path: &str) -> Connector {
    let text = format!(
        r#"[connectors.small]
name = "Small"
auth = "oauth2_client_credentials"
token_url = "https://{{tenant}}.example.com{token_path}"
client_auth = "basic"
permission_check = {{ url = "https://{{tenant}}.example.com/api/v1/me" }}
[[connectors.small.fields]]
id = "tenant"
label = "Tenant"
pattern = "^[a-z]+$"
[[connectors.small.fields]]
id = "client_id"
label = "Client ID"
[[connectors.small.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    );
    let catalog = Catalog::from_toml(&text, "small").expect("small entry");
    catalog.connectors["small"].clone()
}

#[test]
fn a_check_call_matches_the_spec_only_with_its_method_path_and_authentication() {
    let doc = small_spec();
    assert_eq!(
        confirm(&api_key_entry("GET", "/v1/users/0", "X-Key"), &doc),
        Ok(())
    );
    let wrong_path = confirm(&api_key_entry("GET", "/v1/user/0", "X-Key"), &doc);
    assert!(
        wrong_path
            .unwrap_err()
            .contains("no path of the spec matches")
    );
    let wrong_method = confirm(&api_key_entry("POST", "/v1/users/0", "X-Key"), &doc);
    assert!(wrong_method.unwrap_err().contains("has no POST operation"));
    let concrete_first = confirm(&api_key_entry("GET", "/v1/users/me", "X-Key"), &doc);
    assert!(
        concrete_first
            .unwrap_err()
            .contains("/v1/users/me has no GET operation")
    );
    let wrong_header = confirm(&api_key_entry("GET", "/v1/users/0", "X-Other"), &doc).unwrap_err();
    assert!(
        wrong_header.starts_with("small against spec small: GET /v1/users/{id}: credlink sends")
    );
}

#[test]
fn an_oauth_check_matches_the_spec_only_with_its_token_url() {
    let doc = small_spec();
    assert_eq!(
        confirm(&client_credentials_entry("/oauth/token"), &doc),
        Ok(())
    );
    let wrong = confirm(&client_credentials_entry("/oauth2/token"), &doc).unwrap_err();
    assert!(
        wrong.contains("token_url https://x1.example.com/oauth2/token is not the spec's tokenUrl")
    );
}
