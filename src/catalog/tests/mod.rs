//! Unit tests of the catalog: the shipped entries, and the rules on small user files.

use super::*;

mod shipped;

const SHIPPED: &[&str] = &[
    "personio",
    "traffit",
    "spotdraft",
    "sps-commerce",
    "sps-commerce-sandbox",
    "ashby",
    "greenhouse",
    "bamboohr",
    "workable",
    "hibob",
    "smartrecruiters",
];

#[test]
fn every_shipped_entry_is_valid_and_complete() {
    let catalog = Catalog::load(None).expect("built-in catalog loads");
    for id in SHIPPED {
        assert!(catalog.connectors.contains_key(*id), "{id} is shipped");
    }
    for (id, c) in &catalog.connectors {
        assert!(
            c.docs.as_deref().is_some_and(|d| d.starts_with("https://")),
            "{id}: docs"
        );
        assert!(!c.steps.is_empty(), "{id}: steps");
        assert!(c.category.is_some(), "{id}: category");
        let urls: Vec<&Template> = match &c.check {
            Check::OAuth(o) => std::iter::once(&o.token_url)
                .chain(o.revoke_url.as_ref())
                .collect(),
            Check::ApiKey(v) => vec![&v.url],
            Check::Exchange(x) => vec![&x.url],
        };
        for url in urls {
            assert!(
                url.raw().starts_with("https://"),
                "{id}: {} is https",
                url.raw()
            );
        }
        if let Some(f) = c.field("subdomain") {
            assert_eq!(
                f.pattern.as_ref().map(Regex::as_str),
                Some("^[a-z0-9][a-z0-9-]{0,62}$"),
                "{id}"
            );
        }
        for f in &c.fields {
            for re in f.pattern.iter().chain(&f.expect) {
                if let Some(ex) = &f.example {
                    assert!(
                        re.is_match(ex),
                        "{id}.{}: example `{ex}` matches its pattern and expect",
                        f.id
                    );
                }
            }
        }
    }
    for key in HintKey::ALL {
        assert!(
            catalog.hints.contains_key(key.as_str()),
            "generic hint `{key:?}`"
        );
    }
    let personio = catalog.get("personio").unwrap();
    let id = personio
        .field("client_id")
        .unwrap()
        .expect
        .as_ref()
        .unwrap();
    assert!(id.is_match("papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a") && !id.is_match("dcec6d81"));
}

/// The API hosts that are not the host of a built-in entry's check calls, each documented in a
/// source of the entry: the token endpoint is on a sign-in host, the API on another.
const OTHER_API_HOSTS: &[(&str, &str)] = &[
    ("adp-workforce-now", "api.adp.com"),
    ("bullhorn", "rest.bullhornstaffing.com"),
    ("deel-oauth", "api.letsdeel.com"),
    ("jobadder", "api.jobadder.com"),
    ("paylocity-weblink-sandbox", "apisandbox.paylocity.com"),
    ("zoho-recruit", "recruit.zoho.com"),
    ("zoho-recruit-au", "recruit.zoho.com.au"),
    ("zoho-recruit-eu", "recruit.zoho.eu"),
    ("zoho-recruit-in", "recruit.zoho.in"),
    ("zoho-recruit-jp", "recruit.zoho.jp"),
    ("zoho-recruit-oauth", "recruit.zoho.{dc}"),
];

/// The host (with placeholders) of a URL template.
fn template_host(t: &Template) -> &str {
    let rest = t.raw().split_once("://").map_or("", |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

#[test]
fn every_built_in_entry_has_an_https_api_base_on_its_own_host_with_a_source() {
    let catalog = Catalog::load(None).expect("built-in catalog loads");
    for (id, c) in &catalog.connectors {
        let base = c
            .api_base
            .as_ref()
            .unwrap_or_else(|| panic!("{id}: api_base"));
        assert!(base.raw().starts_with("https://"), "{id}: https");
        let host = template_host(base);
        let checked: Vec<&str> = std::iter::once(c.check.main_url())
            .chain(c.check.permission_check().map(|(_, t)| t))
            .map(template_host)
            .collect();
        let other = OTHER_API_HOSTS.iter().any(|&(i, h)| i == id && h == host);
        assert!(
            checked.contains(&host) || other,
            "{id}: api_base host {host} is not a check host {checked:?}"
        );
        assert!(
            c.sources
                .iter()
                .any(|s| s.supports.contains(&format!("api_base {}", base.raw()))),
            "{id}: a source supports api_base"
        );
    }
}

#[test]
fn an_api_base_is_a_url_template_under_which_paths_go() {
    let with = |base: &str| {
        load_user(&LOCAL.replacen("\nauth = ", &format!("\napi_base = \"{base}\"\nauth = "), 1))
    };
    let loaded = with("http://127.0.0.1:9/{tenant}/api/").unwrap();
    assert_eq!(
        loaded
            .get("local")
            .unwrap()
            .api_base
            .as_ref()
            .unwrap()
            .raw(),
        "http://127.0.0.1:9/{tenant}/api/"
    );
    for (bad, why) in [
        ("https://{tenant}x.example.com/", "whole label"),
        ("https://example.com/api", "must end with `/`"),
        ("https://example.com/api/?a=1/", "query or fragment"),
        ("https://user@example.com/", "user info"),
        ("http://example.com/", "https"),
        ("https://{client_secret}.example.com/", "secret"),
    ] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains(why), "{bad}: {err}");
    }
    assert!(
        load_user(LOCAL)
            .unwrap()
            .get("local")
            .unwrap()
            .api_base
            .is_none()
    );
}

#[test]
fn a_pasted_sign_in_url_gives_the_subdomain() {
    let catalog = Catalog::load(None).unwrap();
    let sub = catalog.get("traffit").unwrap().field("subdomain").unwrap();
    for pasted in [
        "https://acme.traffit.com",
        "https://ACME.traffit.com/login?next=/",
        " acme.traffit.com/ ",
        "http://acme.traffit.com:443/x",
    ] {
        assert_eq!(
            sub.value_from_url(pasted).as_deref(),
            Some("acme"),
            "{pasted}"
        );
    }
    for pasted in [
        "acme",
        "https://acme.traffit.com.evil.example",
        "https://a.b.traffit.com",
        "https://acme.workable.com",
        "https://traffit.com",
        "https://-bad.traffit.com",
        "https://www.traffit.com",
        "https://user@.traffit.com",
    ] {
        assert_eq!(sub.value_from_url(pasted), None, "{pasted}");
    }
    let personio = catalog.get("personio").unwrap();
    assert_eq!(
        personio
            .field("client_id")
            .unwrap()
            .value_from_url("https://x.personio.de"),
        None
    );
}

#[test]
fn a_sign_in_url_must_hold_its_field_in_the_host() {
    for (url, why) in [
        ("http://{tenant}.example.com", "must start with https://"),
        (
            "https://example.com/{tenant}",
            "must hold {tenant} in its host",
        ),
        ("https://{tenant}.com", "domain.tld"),
        ("https://{tenant}.example.com:8443", "without a port"),
    ] {
        let text = LOCAL.replace(
            "pattern = \"^[a-z]+$\"",
            &format!("pattern = \"^[a-z]+$\"\nsign_in_url = \"{url}\""),
        );
        let err = load_user(&text).unwrap_err().to_string();
        assert!(err.contains(why), "{url}: {err}");
    }
}

fn load_user(text: &str) -> Result<Catalog, CatalogError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    Catalog::load(Some(&path))
}

const LOCAL: &str = r#"
[connectors.local]
name = "Local"
auth = "oauth2_client_credentials"
token_url = "http://127.0.0.1:9/{tenant}/token"
client_auth = "basic"
[[connectors.local.fields]]
id = "tenant"
label = "Tenant"
pattern = "^[a-z]+$"
[[connectors.local.fields]]
id = "client_id"
label = "Client ID"
[[connectors.local.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#;

#[test]
fn a_user_file_adds_and_overrides_entries() {
    let catalog = load_user(LOCAL).unwrap();
    assert!(catalog.connectors.contains_key("local"));
    assert!(catalog.connectors.contains_key("personio"));
}

#[test]
fn notes_and_a_revoke_note_are_read_and_must_not_be_empty() {
    let with = |keys: &str| {
        LOCAL.replace(
            "client_auth = \"basic\"",
            &format!("client_auth = \"basic\"\n{keys}"),
        )
    };
    let catalog = load_user(&with(
        "notes = [\"a\", \"b\"]\nrevoke_note = \"stays active\"",
    ))
    .unwrap();
    let local = catalog.get("local").unwrap();
    assert_eq!(local.notes, ["a", "b"]);
    assert_eq!(local.revoke_note.as_deref(), Some("stays active"));
    for (keys, why) in [
        ("notes = [\"a\", \" \"]", "`notes` holds an empty note"),
        ("revoke_note = \"\"", "`revoke_note` is empty"),
    ] {
        let err = load_user(&with(keys)).unwrap_err().to_string();
        assert!(err.contains(why), "{keys}: {err}");
    }
}

#[test]
fn bad_catalogs_are_refused_with_the_reason() {
    let cases = [
        (
            LOCAL.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\ncolour = 1",
            ),
            "unknown field `colour`",
        ),
        (
            LOCAL.replace("http://127.0.0.1:9", "http://example.com"),
            "must use https",
        ),
        (
            LOCAL.replace("{tenant}", "{tenat}"),
            "no field `tenat` is declared",
        ),
        (
            LOCAL.replace("pattern = \"^[a-z]+$\"\n", ""),
            "must be a non-secret field with a `pattern`",
        ),
        (
            LOCAL.replace("secret = true", ""),
            "exactly one secret field",
        ),
        (
            LOCAL.replace("client_auth = \"basic\"", "client_auth = \"digest\""),
            "unknown variant `digest`",
        ),
        (
            format!("{LOCAL}\n[connectors.local]\nname = \"again\"\n"),
            "duplicate key",
        ),
        (
            LOCAL.replace("connectors.local", "connectors.Local"),
            "ids are lowercase",
        ),
        (
            LOCAL.replace("pattern = \"^[a-z]+$\"", "pattern = \"[a-z]+\""),
            "anchored",
        ),
        (
            LOCAL.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\nprefix_retry = { field = \"client_secret\", prefix = \"{tenant}_\" }",
            ),
            "`prefix_retry.field` `client_secret` must be a declared field that is not a secret",
        ),
        (
            LOCAL.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\nprefix_retry = { field = \"client_id\", prefix = \"{client_id}_\" }",
            ),
            "uses `{client_id}`, which must be another declared field",
        ),
        (
            LOCAL.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\nprefix_retry = { field = \"client_id\", prefix = \"{client_secret}_\" }",
            ),
            "uses `{client_secret}`",
        ),
        (
            LOCAL.replace("pattern = \"^[a-z]+$\"", "pattern = \"^[a-z]+$\"\nexpect = \"[a-z]+\""),
            "expect must be anchored",
        ),
        (
            LOCAL.replace("name = \"Local\"", "name = \"Lo\\u001b[2Jcal\""),
            "`name` holds a control or invisible character",
        ),
        (
            LOCAL.replace("label = \"Tenant\"", "label = \"Ten\\u202eant\""),
            "`fields.tenant` holds a control or invisible character",
        ),
        (
            format!("{LOCAL}\n[hints]\ndns = \"x\\u0007\"\n"),
            "`hints.dns` holds a control or invisible character",
        ),
    ];
    for (text, expected) in cases {
        let err = load_user(&text).unwrap_err().to_string();
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
    }
}

#[test]
fn a_device_code_entry_loads_and_its_rules_hold() {
    let device = LOCAL.replace(
        "auth = \"oauth2_client_credentials\"",
        "auth = \"oauth2_device_code\"\ndevice_authorization_url = \"http://127.0.0.1:9/{tenant}/device\"",
    );
    let catalog = load_user(&device).unwrap();
    let local = catalog.get("local").unwrap();
    assert_eq!(local.auth(), AuthKind::Oauth2DeviceCode);
    let Check::OAuth(spec) = &local.check else {
        panic!("an OAuth check");
    };
    assert_eq!(spec.grant, Grant::RefreshToken);
    assert!(spec.authorize.is_none());
    // The sign-in gives the refresh token.
    assert!(local.field("refresh_token").is_some_and(|f| f.obtained));
    // A public client.
    let public = device
        .replace("client_auth = \"basic\"", "client_auth = \"none\"")
        .replace("[[connectors.local.fields]]\nid = \"client_secret\"\nlabel = \"Client secret\"\nsecret = true\n", "");
    assert!(load_user(&public).is_ok());
    let cases = [
        (
            device.replace(
                "device_authorization_url = \"http://127.0.0.1:9/{tenant}/device\"\n",
                "",
            ),
            "`device_authorization_url` is required for oauth2_device_code",
        ),
        (
            device.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\nredirect_port = 1234",
            ),
            "`redirect_port` is for oauth2_authorization_code connectors",
        ),
        (
            LOCAL.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\ndevice_authorization_url = \"http://127.0.0.1:9/d\"",
            ),
            "`device_authorization_url` is for oauth2_device_code connectors",
        ),
        (
            format!(
                "{device}[[connectors.local.fields]]\nid = \"refresh_token\"\nlabel = \"R\"\nsecret = true\n"
            ),
            "declares no `refresh_token` field",
        ),
        (
            device.replace(
                "device_authorization_url = \"http://127.0.0.1:9/",
                "device_authorization_url = \"http://example.com/",
            ),
            "must use https",
        ),
    ];
    for (text, expected) in cases {
        let err = load_user(&text).unwrap_err().to_string();
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
    }
}

#[test]
fn a_jwt_bearer_entry_loads_and_its_rules_hold() {
    let jwt = LOCAL
        .replace(
            "auth = \"oauth2_client_credentials\"",
            "auth = \"oauth2_jwt_bearer\"\nassertion_audience = \"{tenant}.example.com\"",
        )
        .replace("client_auth = \"basic\"\n", "")
        .replace(
            "id = \"client_secret\"\nlabel = \"Client secret\"",
            "id = \"private_key\"\nlabel = \"Private key\"",
        );
    let catalog = load_user(&jwt).unwrap();
    let local = catalog.get("local").unwrap();
    assert_eq!(local.auth(), AuthKind::Oauth2JwtBearer);
    let Check::OAuth(spec) = &local.check else {
        panic!("an OAuth check");
    };
    assert_eq!(spec.grant, Grant::JwtBearer);
    assert!(spec.assertion_audience.is_some());
    let saml = jwt.replace("oauth2_jwt_bearer", "oauth2_saml2_bearer");
    let catalog = load_user(&saml).unwrap();
    assert_eq!(
        catalog.get("local").unwrap().auth(),
        AuthKind::Oauth2Saml2Bearer
    );
    let cases = [
        (
            jwt.replace(
                "auth = \"oauth2_jwt_bearer\"",
                "auth = \"oauth2_jwt_bearer\"\nclient_auth = \"basic\"",
            ),
            "`client_auth` is not for oauth2_jwt_bearer connectors",
        ),
        (
            jwt.replace("id = \"private_key\"", "id = \"client_secret\""),
            "needs exactly one secret field, `private_key`",
        ),
        (
            jwt.replace("id = \"client_id\"", "id = \"issuer\""),
            "need a `client_id` field (the issuer)",
        ),
        (
            LOCAL.replace(
                "client_auth = \"basic\"",
                "client_auth = \"basic\"\nassertion_audience = \"x\"",
            ),
            "`assertion_audience` is for oauth2_jwt_bearer and oauth2_saml2_bearer connectors",
        ),
        (
            jwt.replace("{tenant}.example.com", "{private_key}"),
            "`assertion_audience` is text that holds no secret",
        ),
    ];
    for (text, expected) in cases {
        let err = load_user(&text).unwrap_err().to_string();
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
    }
}

#[test]
fn sources_are_public_https_pages_that_say_what_they_support() {
    let with = |source: &str| {
        LOCAL.replace(
            "[[connectors.local.fields]]\nid = \"tenant\"",
            &format!("[[connectors.local.sources]]\n{source}\n\n[[connectors.local.fields]]\nid = \"tenant\""),
        )
    };
    let good = "url = \"https://docs.example.com/token\"\nsupports = \"the token endpoint\"\nconfidence = \"public\"";
    let catalog = load_user(&with(good)).unwrap();
    let sources = &catalog.get("local").unwrap().sources;
    assert_eq!(sources.len(), 1);
    assert_eq!(
        (
            sources[0].url.as_str(),
            sources[0].supports.as_str(),
            sources[0].confidence
        ),
        (
            "https://docs.example.com/token",
            "the token endpoint",
            Confidence::Public
        )
    );
    for (source, why) in [
        (
            good.replace("https://docs", "http://docs"),
            "`sources (1)`: `url` must be an https URL without user info",
        ),
        (
            good.replace("https://docs", "https://me:pw@docs"),
            "`sources (1)`: `url` must be an https URL without user info",
        ),
        (
            good.replace("https://docs.example.com/token", "docs.example.com"),
            "`sources (1)`: `url` is not a URL",
        ),
        (
            good.replace("the token endpoint", " "),
            "`sources (1)`: `supports` is empty",
        ),
        (
            good.replace("the token endpoint", "the token\\u001b[2J endpoint"),
            "`sources (1)` holds a control or invisible character",
        ),
        (
            good.replace("\"public\"", "\"sure\""),
            "unknown variant `sure`",
        ),
        (
            good.replace(
                "confidence = \"public\"",
                "confidence = \"public\"\nseen = 1",
            ),
            "unknown field `seen`",
        ),
        (
            good.replace("supports = \"the token endpoint\"\n", ""),
            "missing field `supports`",
        ),
    ] {
        let err = load_user(&with(&source)).unwrap_err().to_string();
        assert!(err.contains(why), "{source}: {err}");
    }
}

/// A user's own entry may cite no source; a built-in one must cite one.
#[test]
fn a_built_in_entry_must_cite_a_source() {
    assert!(load_user(LOCAL).is_ok());
    for (built_in, expected) in [
        (false, None),
        (
            true,
            Some("a built-in connector cites at least one entry in `sources`"),
        ),
    ] {
        let mut raw: raw::RawCatalog = toml::from_str(LOCAL).unwrap();
        let connector = raw.connectors.remove("local").unwrap();
        let result = validate::connector("local", connector, built_in);
        assert_eq!(result.err().as_deref(), expected, "built in: {built_in}");
    }
}

/// `connectors.toml` is data: entries sorted by id, no research notes or paths on anyone's
/// machine, and a comment only as a note of one or two lines beside a value.
#[test]
fn the_built_in_file_is_sorted_data() {
    let text = include_str!("../../../connectors.toml");
    let header = Regex::new(r"^\[connectors\.([a-z0-9-]+)\]$").unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| header.captures(l).map(|c| c.get(1).unwrap().as_str()))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "entries sorted by id");
    for (number, line) in text.lines().enumerate() {
        for word in ["/work/", "/home/", "/tmp/", "copy in ", "[C]", "[P]", "[I]"] {
            assert!(
                !line.contains(word),
                "line {}: `{word}` in {line}",
                number + 1
            );
        }
    }
    let after_header = text.lines().skip_while(|l| l.starts_with('#'));
    let mut run = 0;
    for line in after_header {
        run = if line.starts_with('#') { run + 1 } else { 0 };
        assert!(run <= 2, "a comment of more than two lines: {line}");
    }
}

/// Angle brackets in the built-in texts are credlink's placeholders, `<connector>` and
/// `<name>`, and only in the texts that are filled (hints, revoke notes): another word in
/// brackets reads as one more to fill, and `<name>` elsewhere would be shown raw. Filled,
/// with or without an account's name, no bracketed word is left.
#[test]
fn bracketed_words_are_only_the_placeholders_of_filled_texts() {
    let bracketed = Regex::new("<[^<>]{1,40}>").unwrap();
    let catalog = Catalog::load(None).unwrap();
    let mut failures = Vec::new();
    let mut check = |what: String, text: &str, filled: bool| {
        for found in bracketed.find_iter(text).map(|m| m.as_str()) {
            if !(filled && matches!(found, "<connector>" | "<name>")) {
                failures.push(format!("{what}: {found}"));
            }
        }
    };
    for (key, hint) in &catalog.hints {
        check(format!("hints.{key}"), hint, true);
    }
    for c in catalog.connectors.values() {
        let filled = c
            .hints
            .iter()
            .chain(c.revoke_note.iter().map(|n| (&c.id, n)));
        for (key, text) in filled {
            check(format!("{}: {key}", c.id), text, true);
            for name in ["", "acme"] {
                let shown = crate::commands::fill(text, Some(c), name);
                check(format!("{}: {key} filled", c.id), &shown, false);
            }
        }
        let fields = c
            .fields
            .iter()
            .flat_map(|f| [&f.help, &f.example])
            .flatten();
        for text in c.steps.iter().chain(&c.notes).chain(fields) {
            check(c.id.clone(), text, false);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
