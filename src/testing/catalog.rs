//! Property tests of the connectors loader, `Catalog::from_toml`, on arbitrary text and on
//! structured mutations of valid connectors: it never panics, refuses with a usage error, and
//! whatever it accepts keeps the promises the rest of credlink relies on, and passes the JSON
//! Schema editors check connectors files with.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::property;
use crate::base::outcome::{Class, HintKey};
use crate::base::template::{Template, check_url_scheme, is_loopback};
use crate::catalog::{AuthKind, Catalog, CatalogError, Check, Connector, FieldRole, Grant, Origin};
use crate::commands::error::CliError;

/// The origin the generated catalogs are loaded as.
const ORIGIN: &str = "property test";

fn load(text: &str) -> Result<bool, TestCaseError> {
    let accepted = check_catalog(Catalog::from_toml(text, ORIGIN))?;
    if accepted {
        check_schema_accepts(text)?;
    }
    Ok(accepted)
}

/// `docs/connectors.schema.json`, which editors check connectors files with.
static SCHEMA: std::sync::LazyLock<jsonschema::Validator> = std::sync::LazyLock::new(|| {
    let schema = serde_json::from_str(include_str!("../../docs/connectors.schema.json")).unwrap();
    jsonschema::draft7::new(&schema).unwrap()
});

/// The schema accepts every file the loader accepts: an editor never flags a good file.
fn check_schema_accepts(text: &str) -> Result<(), TestCaseError> {
    let value: toml::Value = toml::from_str(text).unwrap();
    let json = serde_json::to_value(value).unwrap();
    let errors: Vec<String> = SCHEMA
        .iter_errors(&json)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    prop_assert!(
        errors.is_empty(),
        "the schema refuses {:?} in:\n{}",
        errors,
        text
    );
    Ok(())
}

/// What every load must satisfy: a refusal is a usage error that names the text it came from;
/// an accepted catalog has valid hint keys, one secret field per connector, URL templates whose
/// placeholders are non-secret fields with a pattern, that render to https (or loopback http)
/// URLs and whose host no value can move, and sign-in URLs that give a field's value only from
/// the declared host.
fn check_catalog(result: Result<Catalog, CatalogError>) -> Result<bool, TestCaseError> {
    let catalog = match result {
        Ok(c) => c,
        Err(e) => {
            prop_assert!(
                !matches!(e, CatalogError::Read { .. }),
                "nothing is read from a file: {}",
                e
            );
            prop_assert_eq!(e.origin(), Some(&Origin::Text(ORIGIN.to_owned())), "{}", e);
            let message = e.to_string();
            prop_assert_eq!(CliError::from(e).class, Class::Usage, "{}", message);
            return Ok(false);
        }
    };
    for key in catalog.hints.keys() {
        prop_assert!(HintKey::parse(key).is_some(), "[hints] key {:?}", key);
    }
    for (id, c) in &catalog.connectors {
        prop_assert_eq!(&c.id, id);
        check_connector(c)?;
    }
    Ok(true)
}

fn check_connector(c: &Connector) -> Result<(), TestCaseError> {
    let id = &c.id;
    for key in c.hints.keys() {
        prop_assert!(HintKey::parse(key).is_some(), "{}: hint key {:?}", id, key);
    }
    let secrets: Vec<&str> = c
        .fields
        .iter()
        .filter(|f| f.secret)
        .map(|f| f.id.as_str())
        .collect();
    prop_assert!(!secrets.is_empty(), "{}: no secret field", id);
    prop_assert_eq!(c.secret_field().id.as_str(), secrets[0]);
    if !matches!(c.check, Check::Exchange(_)) && c.auth() != AuthKind::Oauth2RefreshToken {
        prop_assert_eq!(secrets.len(), 1, "{}: secret fields {:?}", id, secrets);
    }
    for f in &c.fields {
        prop_assert!(
            f.role.id().is_none_or(|role_id| role_id == f.id),
            "{}: field {} has the role {:?}",
            id,
            f.id,
            f.role
        );
    }
    let declared = |t: &Template| t.fields().all(|f| c.field(f).is_some());
    let urls: Vec<&Template> = match &c.check {
        Check::OAuth(o) => {
            let wanted: Vec<&str> = o
                .client_auth
                .secret_roles()
                .iter()
                .filter_map(|r| r.id())
                .chain((o.grant == Grant::RefreshToken).then_some("refresh_token"))
                .chain(o.grant.is_assertion().then_some("private_key"))
                .chain(
                    (c.uses_client_certificate()
                        && o.client_auth != crate::catalog::ClientAuth::TlsClientAuth)
                        .then_some("client_key"),
                )
                .collect();
            let mut have = secrets.clone();
            let mut wanted = wanted;
            have.sort_unstable();
            wanted.sort_unstable();
            prop_assert_eq!(have, wanted, "{}", id);
            prop_assert!(
                c.field_by_role(FieldRole::ClientId).is_some(),
                "{}: no client_id",
                id
            );
            for (k, t) in &o.token_params {
                prop_assert!(declared(t), "{}: token_params.{}", id, k);
                prop_assert!(
                    t.fields().all(|f| c.field(f).is_some_and(|f| !f.secret)),
                    "{}: token_params.{} holds the secret",
                    id,
                    k
                );
            }
            std::iter::once(&o.token_url)
                .chain(o.revoke_url.as_ref())
                .chain(o.permission_check.as_ref().map(|(_, url)| url))
                .collect()
        }
        Check::Exchange(x) => {
            let sent: Vec<&Template> = x
                .basic_auth
                .iter()
                .flat_map(|(u, p)| [u, p])
                .chain(x.headers.values())
                .chain(x.form.values())
                .collect();
            for t in &sent {
                prop_assert!(declared(t), "{}: {} uses an undeclared field", id, t.raw());
            }
            prop_assert!(x.token_pointer.starts_with('/'), "{}: token_pointer", id);
            std::iter::once(&x.url)
                .chain(x.permission_check.as_ref().map(|(_, url)| url))
                .collect()
        }
        Check::ApiKey(v) => {
            let sent: Vec<&Template> = v
                .basic_auth
                .iter()
                .flat_map(|(u, p)| [u, p])
                .chain(v.bearer.iter())
                .chain(v.headers.values())
                .collect();
            for t in &sent {
                prop_assert!(declared(t), "{}: {} uses an undeclared field", id, t.raw());
            }
            let in_body = v.json_body.iter().flat_map(|b| b.fields());
            let in_query = v.query_secret.iter().map(|q| q.field.clone());
            prop_assert!(
                sent.iter().any(|t| t.fields().any(|f| f == secrets[0]))
                    || in_body.chain(in_query).any(|f| f == secrets[0]),
                "{}: verify never sends the secret",
                id
            );
            for name in v.headers.keys() {
                prop_assert!(
                    reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok(),
                    "{}: header name {:?}",
                    id,
                    name
                );
            }
            if let Some(p) = &v.success_pointer {
                prop_assert!(p.starts_with('/'), "{}: success_pointer {:?}", id, p);
            }
            vec![&v.url]
        }
    };
    for t in urls {
        for f in t.fields() {
            let field = c.field(f);
            prop_assert!(
                field.is_some_and(|f| !f.secret && f.pattern.is_some()),
                "{}: URL placeholder {{{}}} must be a non-secret field with a pattern",
                id,
                f
            );
        }
        let sample: BTreeMap<&str, &str> = t.fields().map(|f| (f, "sample")).collect();
        let url = t.render_url(&sample, &|f| c.label(f));
        prop_assert!(
            url.is_ok(),
            "{}: {} does not render: {:?}",
            id,
            t.raw(),
            url
        );
        let url = url.unwrap();
        prop_assert!(
            url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)),
            "{}: {} is neither https nor loopback http",
            id,
            url
        );
        prop_assert!(check_url_scheme(&url).is_ok());
        // No value moves the request to another host: a value with a dot is refused for a
        // placeholder in the host, and leaves the host as it is anywhere else.
        for f in t.fields() {
            let mut values = sample.clone();
            values.insert(f, "evil.example");
            if let Ok(moved) = t.render_url(&values, &|f| c.label(f)) {
                prop_assert_eq!(
                    moved.host_str(),
                    url.host_str(),
                    "{}: {{{}}} = evil.example moves {} to {}",
                    id,
                    f,
                    t.raw(),
                    moved
                );
            }
        }
    }
    for f in &c.fields {
        let Some(around) = &f.sign_in_host else {
            continue;
        };
        prop_assert!(!f.secret, "{}: secret field {} has a sign_in_url", id, f.id);
        let pasted = format!("https://{}sample{}/login", around.prefix, around.suffix);
        let fits = f.pattern.as_ref().is_none_or(|p| p.is_match("sample"));
        prop_assert_eq!(
            f.value_from_url(&pasted),
            fits.then(|| "sample".to_owned()),
            "{}: {}",
            id,
            pasted
        );
        let evil = format!(
            "https://{}sample{}.evil.example",
            around.prefix, around.suffix
        );
        prop_assert_eq!(f.value_from_url(&evil), None, "{}: {}", id, evil);
    }
    Ok(())
}

/// Connector-file-ish text: table headers, keys and values line by line.
fn tomlish() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "\\[\\[?connectors\\.[a-z0-9-]{1,6}(\\.(fields|verify|hints|token_params))?\\]\\]?",
        "\\[hints\\]",
        "[a-z_]{1,12} = (\"[^\"\\\\\\n]{0,16}\"|[0-9]{1,4}|true|false|\\[\\]|\\{\\})",
        "(id|label|pattern|token_url|auth|client_auth|name) = \"[a-z_{}:/.^$]{0,20}\"",
        "[\\[\\]{}=\"'#., a-z0-9_\\\\-]{0,30}",
    ];
    prop::collection::vec(line, 0..16).prop_map(|l| l.join("\n"))
}

#[test]
fn prop_catalog_loader_never_panics_on_arbitrary_text() {
    let input = prop_oneof![
        any::<String>(),
        tomlish(),
        "[\\[\\]{}=\"'#.,\\n a-z0-9_]{0,200}"
    ];
    property("catalog_arbitrary_text", input, |text| load(&text));
}

/// Values for connector keys: the formats the loader knows, near misses, and junk.
const CONFIG_STRINGS: &[&str] = &[
    "oauth2_client_credentials",
    "api_key",
    "basic",
    "post",
    "json",
    "digest",
    "GET",
    "post",
    "DELETE",
    "client_id",
    "client_secret",
    "sub",
    "path",
    "^[a-z0-9][a-z0-9-]{0,62}$",
    "^.*$",
    "^[a-z",
    "[a-z]+",
    "^$",
    "^(a|b)$",
    "/success",
    "success",
    "",
    " ",
    "{}",
    "{",
    "}",
    "}{sub}",
    "{client_secret}",
    "{api_key}",
    "{sub}",
    "{path}",
    "{client_id}",
    "{SUB}",
    "{a-b}",
    "Bearer {api_key}",
    "https://docs.example.com/x",
    "ftp://docs.example.com/x",
    "https://{sub}.example.com/{path}/token",
    "https://{sub}.example.com/oauth/token",
    "http://127.0.0.1:9/{sub}/token",
    "http://127.0.0.{sub}/t",
    "http://localhost/t",
    "http://LOCALHOST./t",
    "http://[::1]:8080/t",
    "http://example.com/t",
    "http://{sub}/t",
    "https://{sub}",
    "{sub}://example.com",
    "https://",
    "https://ü.example/ü",
    "https://x.example/{client_secret}",
    "https://x.example:{sub}/",
    "https://{sub}x.example.com/t",
    "https://user@{sub}.example.com/t",
    "https://{sub}/t",
    "https:///{sub}/token",
    "{\"a\":1}",
    "not json",
    "x-api-key",
    "bad header",
    "\u{202e}evil",
    "ünïcödé",
    "\u{0}",
];

fn config_string() -> BoxedStrategy<String> {
    let url_piece = select(
        &[
            "https://",
            "http://",
            "127.0.0.1",
            "localhost",
            "[::1]",
            ":8080",
            "/",
            ".",
            "example.com",
            "{sub}",
            "{path}",
            "{client_id}",
            "{client_secret}",
            "{api_key}",
            "{",
            "}",
            "?",
            "#",
            "@",
            "%2e",
            "..",
            "ü",
            "xn--",
            " ",
        ][..],
    );
    prop_oneof![
        6 => select(CONFIG_STRINGS).prop_map(str::to_owned),
        3 => prop::collection::vec(url_piece, 1..8).prop_map(|p| p.concat()),
        2 => "\\PC{0,30}",
        1 => any::<String>(),
        1 => (select(&["a", "{sub}", "é", "^", "/x"][..]), 1000usize..20_000)
            .prop_map(|(s, n)| s.repeat(n)),
    ]
    .boxed()
}

fn toml_value() -> BoxedStrategy<toml::Value> {
    prop_oneof![
        24 => config_string().prop_map(toml::Value::String),
        1 => any::<i64>().prop_map(toml::Value::Integer),
        1 => any::<bool>().prop_map(toml::Value::Boolean),
        1 => prop::collection::vec(config_string().prop_map(toml::Value::String), 0..3)
            .prop_map(toml::Value::Array),
        1 => prop::collection::btree_map("[a-z_]{1,8}", config_string(), 0..3).prop_map(|m| {
            toml::Value::Table(m.into_iter().map(|(k, v)| (k, toml::Value::String(v))).collect())
        }),
    ]
    .boxed()
}

/// Key paths inside one connector's table that a mutation sets or removes.
const CONNECTOR_KEYS: &[&[&str]] = &[
    &["name"],
    &["auth"],
    &["docs"],
    &["steps"],
    &["hints", "invalid_client"],
    &["hints", "no_such_hint"],
    &["token_url"],
    &["client_auth"],
    &["scope"],
    &["token_params", "audience"],
    &["token_params", "grant_type"],
    &["revoke_url"],
    &["permission_check"],
    &["permission_check", "method"],
    &["permission_check", "url"],
    &["verify"],
    &["verify", "method"],
    &["verify", "url"],
    &["verify", "basic_auth", "username"],
    &["verify", "basic_auth", "password"],
    &["verify", "bearer"],
    &["verify", "headers", "x-api-key"],
    &["verify", "headers", "bad header"],
    &["verify", "json_body"],
    &["verify", "success_pointer"],
    &["verify", "error_header"],
    &["colour"],
];

fn table(pairs: &[(&str, toml::Value)]) -> toml::Table {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn s(v: &str) -> toml::Value {
    toml::Value::String(v.to_owned())
}

fn subdomain_field() -> toml::Value {
    toml::Value::Table(table(&[
        ("id", s("sub")),
        ("label", s("Subdomain")),
        ("pattern", s("^[a-z0-9][a-z0-9-]{0,62}$")),
        ("example", s("acme")),
    ]))
}

/// A valid OAuth connector and a valid API-key connector, the starting points of mutation.
fn baseline(oauth: bool) -> toml::Table {
    if oauth {
        table(&[
            ("name", s("Prop OAuth")),
            ("auth", s("oauth2_client_credentials")),
            ("docs", s("https://docs.example.com/oauth")),
            ("steps", toml::Value::Array(vec![s("Create a client")])),
            ("token_url", s("https://{sub}.example.com/oauth/token")),
            ("client_auth", s("basic")),
            ("scope", s("read")),
            (
                "token_params",
                toml::Value::Table(table(&[("audience", s("https://{sub}.example.com"))])),
            ),
            ("revoke_url", s("https://{sub}.example.com/oauth/revoke")),
            (
                "permission_check",
                toml::Value::Table(table(&[
                    ("method", s("GET")),
                    ("url", s("https://{sub}.example.com/v1/employees")),
                ])),
            ),
            (
                "fields",
                toml::Value::Array(vec![
                    subdomain_field(),
                    toml::Value::Table(table(&[("id", s("client_id")), ("label", s("Client ID"))])),
                    toml::Value::Table(table(&[
                        ("id", s("client_secret")),
                        ("label", s("Client secret")),
                        ("secret", toml::Value::Boolean(true)),
                    ])),
                ]),
            ),
        ])
    } else {
        table(&[
            ("name", s("Prop Key")),
            ("auth", s("api_key")),
            (
                "verify",
                toml::Value::Table(table(&[
                    ("method", s("GET")),
                    ("url", s("https://{sub}.example.com/v1/me")),
                    (
                        "headers",
                        toml::Value::Table(table(&[("x-api-key", s("{api_key}"))])),
                    ),
                    ("success_pointer", s("/success")),
                    ("error_header", s("x-error")),
                ])),
            ),
            (
                "fields",
                toml::Value::Array(vec![
                    subdomain_field(),
                    toml::Value::Table(table(&[
                        ("id", s("api_key")),
                        ("label", s("API key")),
                        ("secret", toml::Value::Boolean(true)),
                    ])),
                ]),
            ),
        ])
    }
}

fn field_table() -> impl Strategy<Value = toml::Value> {
    let id = prop_oneof![
        4 => select(&["client_id", "client_secret", "api_key", "sub", "path", "tenant"][..])
            .prop_map(str::to_owned),
        1 => select(&["Client", "1x", "", "a b", "ünï", "a-b"][..]).prop_map(str::to_owned),
        1 => "[a-z_0-9]{1,8}",
    ];
    let pattern = prop_oneof![
        select(
            &[
                "^[a-z0-9][a-z0-9-]{0,62}$",
                "^.*$",
                "^[a-z",
                "[a-z]",
                "^$",
                "^a{1000}{1000}$"
            ][..]
        )
        .prop_map(str::to_owned),
        config_string(),
    ];
    let opt_value = || {
        prop::option::weighted(
            0.3,
            prop_oneof![9 => config_string().prop_map(toml::Value::String), 1 => toml_value()],
        )
    };
    (
        id,
        prop::option::weighted(
            0.97,
            prop_oneof![3 => Just("Label".to_owned()), 1 => config_string()],
        ),
        prop::option::weighted(0.4, any::<bool>()),
        prop::option::weighted(0.4, pattern),
        (opt_value(), opt_value(), opt_value()),
        prop::option::weighted(0.2, any::<bool>()),
        prop::option::weighted(
            0.2,
            prop_oneof![
                select(
                    &[
                        "https://{sub}.example.com",
                        "https://{tenant}.example.co.uk/login",
                        "https://app-{sub}.example.com",
                        "https://{sub}.com",
                        "https://{missing}.example.com",
                        "https://example.com/{sub}",
                        "http://{sub}.example.com",
                    ][..]
                )
                .prop_map(str::to_owned),
                config_string(),
            ],
        ),
    )
        .prop_map(
            |(id, label, secret, pattern, (help, example, default), optional, sign_in)| {
                let mut t = toml::Table::new();
                t.insert("id".into(), toml::Value::String(id));
                if let Some(l) = label {
                    t.insert("label".into(), toml::Value::String(l));
                }
                if let Some(b) = secret {
                    t.insert("secret".into(), toml::Value::Boolean(b));
                }
                if let Some(p) = pattern {
                    t.insert("pattern".into(), toml::Value::String(p));
                }
                for (k, v) in [("help", help), ("example", example), ("default", default)] {
                    if let Some(v) = v {
                        t.insert(k.into(), v);
                    }
                }
                if let Some(b) = optional {
                    t.insert("optional".into(), toml::Value::Boolean(b));
                }
                if let Some(url) = sign_in {
                    t.insert("sign_in_url".into(), toml::Value::String(url));
                }
                toml::Value::Table(t)
            },
        )
}

/// The keys a hint may be given for, as written in `connectors.toml`.
fn hint_keys() -> Vec<&'static str> {
    HintKey::ALL.iter().map(|k| k.as_str()).collect()
}

/// One connector: a baseline with some keys set to random values or removed, and sometimes
/// a random field list.
fn connector_table() -> impl Strategy<Value = toml::Table> {
    let mutation = (
        select(CONNECTOR_KEYS),
        prop::option::weighted(0.8, toml_value()),
    );
    (
        any::<bool>(),
        prop::collection::vec(mutation, 0..4),
        prop::option::weighted(0.3, prop::collection::vec(field_table(), 0..5)),
        prop::option::weighted(0.2, (any::<Index>(), field_table())),
    )
        .prop_map(|(oauth, mutations, fields, extra_field)| {
            let mut t = baseline(oauth);
            for (path, value) in mutations {
                // Keys under `verify` or `permission_check` go into a whole table of that kind,
                // so that the wrong connector kind fails on the table rather than a missing `url`.
                for (key, oauth) in [("verify", false), ("permission_check", true)] {
                    if path.len() > 1
                        && path[0] == key
                        && !t.get(key).is_some_and(toml::Value::is_table)
                    {
                        t.insert(key.into(), baseline(oauth)[key].clone());
                    }
                }
                if path.len() > 2 && path[1] == "basic_auth" {
                    let verify = t["verify"].as_table_mut().expect("made a table");
                    if !verify.get("basic_auth").is_some_and(toml::Value::is_table) {
                        let basic = table(&[("username", s("{api_key}"))]);
                        verify.insert("basic_auth".into(), toml::Value::Table(basic));
                    }
                }
                set_path(&mut t, path, value);
            }
            if let Some(f) = fields {
                t.insert("fields".into(), toml::Value::Array(f));
            }
            if let (Some((at, f)), Some(toml::Value::Array(fields))) =
                (extra_field, t.get_mut("fields"))
            {
                let at = at.index(fields.len() + 1);
                fields.insert(at, f);
            }
            t
        })
}

fn set_path(t: &mut toml::Table, path: &[&str], value: Option<toml::Value>) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = t;
    for p in parents {
        let entry = t
            .entry((*p).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("made a table");
    }
    match value {
        Some(v) => {
            t.insert((*last).to_owned(), v);
        }
        None => {
            t.remove(*last);
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(Index, usize),
    Insert(Index, &'static str),
}

/// A whole connectors file: one to three connectors, maybe `[hints]`, maybe a few raw edits
/// of the serialized text (to reach the parser's error paths near valid input).
fn connectors_file() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        6 => Just("prop".to_owned()),
        1 => select(&["a-b", "0x", "Local", "-x", "", "ü", "a_b"][..]).prop_map(str::to_owned),
        1 => "[a-z0-9-]{1,10}",
    ];
    let hints = prop::option::weighted(
        0.2,
        prop::collection::btree_map(
            prop_oneof![select(hint_keys()).prop_map(str::to_owned), "[a-z_]{1,10}"],
            config_string(),
            0..3,
        ),
    );
    let edit = prop_oneof![
        (any::<Index>(), 1usize..8).prop_map(|(i, n)| Edit::Delete(i, n)),
        (
            any::<Index>(),
            select(
                &[
                    "[", "]", "=", "\"", "{", "}", "\n", "#", "'''", "\\u", "é", ","
                ][..]
            )
        )
            .prop_map(|(i, s)| Edit::Insert(i, s)),
    ];
    (
        prop::collection::vec((id, connector_table()), 1..3),
        hints,
        prop::option::weighted(0.15, prop::collection::vec(edit, 1..4)),
    )
        .prop_map(|(connectors, hints, edits)| {
            let mut doc = toml::Table::new();
            doc.insert(
                "connectors".into(),
                toml::Value::Table(
                    connectors
                        .into_iter()
                        .map(|(id, c)| (id, toml::Value::Table(c)))
                        .collect(),
                ),
            );
            if let Some(h) = hints {
                doc.insert(
                    "hints".into(),
                    toml::Value::Table(
                        h.into_iter()
                            .map(|(k, v)| (k, toml::Value::String(v)))
                            .collect(),
                    ),
                );
            }
            let mut text = toml::to_string(&doc).unwrap_or_default();
            for e in edits.unwrap_or_default() {
                let boundaries: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                match e {
                    Edit::Delete(at, n) => {
                        let start = at.index(boundaries.len());
                        let end = (start + n).min(boundaries.len() - 1);
                        text.replace_range(boundaries[start]..boundaries[end], "");
                    }
                    Edit::Insert(at, s) => {
                        text.insert_str(boundaries[at.index(boundaries.len())], s)
                    }
                }
            }
            text
        })
}

#[test]
fn baselines_load() {
    for oauth in [true, false] {
        let mut doc = toml::Table::new();
        doc.insert(
            "connectors".into(),
            toml::Value::Table(table(&[("prop", toml::Value::Table(baseline(oauth)))])),
        );
        let text = toml::to_string(&doc).unwrap();
        let catalog = Catalog::from_toml(&text, ORIGIN).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(catalog.connectors.len(), 1);
        // And they keep every promise of an accepted catalog.
        assert!(load(&text).unwrap_or_else(|e| panic!("{e}\n{text}")));
    }
}

#[test]
fn prop_catalog_loader_never_panics_on_mutated_connectors() {
    property("catalog_structured", connectors_file(), |text| load(&text));
}
