//! `docs/connectors.schema.json`, the JSON Schema editors check connectors files with (taplo,
//! Even Better TOML), agrees with the loader: the built-in file and the README's examples
//! validate, and at every level the schema allows exactly the keys and values the loader reads.

use regex_lite::Regex;

use super::Catalog;
use super::raw::RawCatalog;
use crate::base::outcome::HintKey;

fn schema_json() -> serde_json::Value {
    serde_json::from_str(include_str!("../../docs/connectors.schema.json")).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&schema_json()).unwrap()
}

/// Where the schema fails `text` (a TOML file), one line per failure.
fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let value: toml::Value = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let json = serde_json::to_value(value).unwrap();
    validator
        .iter_errors(&json)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The loader's own list of what it expects where `text` has something it does not know:
/// serde's "unknown field `zzz`, expected one of `a`, `b`" (or variant).
fn loader_expects(text: &str) -> Vec<String> {
    let Err(e) = toml::from_str::<RawCatalog>(text) else {
        panic!("the loader accepts:\n{text}");
    };
    let message = e.to_string();
    let (_, expected) = message
        .split_once("expected")
        .unwrap_or_else(|| panic!("no expected keys in: {message}"));
    let quoted = Regex::new(r"`([^`]+)`").unwrap();
    let mut names: Vec<String> = quoted
        .captures_iter(expected)
        .map(|c| c[1].to_owned())
        .collect();
    names.sort_unstable();
    names
}

/// The property names, or enum values, at a JSON pointer of the schema.
fn schema_names(pointer: &str) -> Vec<String> {
    let schema = schema_json();
    let at = schema
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the schema"));
    let mut names: Vec<String> = match at {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        serde_json::Value::Array(values) => values
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("{pointer} is {other}"),
    };
    names.sort_unstable();
    names
}

const CONNECTOR: &str = "[connectors.x]\nname = \"X\"\nauth = \"api_key\"\n";

/// A file with `zzz` where the loader reads a key or a value, and where the schema lists them.
fn unknown_everywhere() -> Vec<(String, &'static str)> {
    let verify = format!("{CONNECTOR}[connectors.x.verify]\nurl = \"https://a.example\"\n");
    let exchange = format!(
        "{CONNECTOR}[connectors.x.exchange]\nurl = \"https://a.example\"\ntoken_pointer = \"/t\"\n"
    );
    let field = format!("{CONNECTOR}[[connectors.x.fields]]\nid = \"a\"\nlabel = \"A\"\n");
    let source = format!(
        "{CONNECTOR}[[connectors.x.sources]]\nurl = \"https://a.example\"\nsupports = \"s\"\nconfidence = \"public\"\n"
    );
    vec![
        ("zzz = 1\n".to_owned(), "/properties"),
        (
            format!("{CONNECTOR}zzz = 1\n"),
            "/definitions/connector/properties",
        ),
        (format!("{field}zzz = 1\n"), "/definitions/field/properties"),
        (
            format!("{verify}zzz = 1\n"),
            "/definitions/verify/properties",
        ),
        (
            format!("{exchange}zzz = 1\n"),
            "/definitions/exchange/properties",
        ),
        (
            format!("{CONNECTOR}permission_check = {{ url = \"https://a.example\", zzz = 1 }}\n"),
            "/definitions/permissionCheck/properties",
        ),
        (
            format!("{verify}basic_auth = {{ username = \"u\", zzz = 1 }}\n"),
            "/definitions/basicAuth/properties",
        ),
        (
            format!("{source}zzz = 1\n"),
            "/definitions/source/properties",
        ),
        (
            source.replace("\"public\"", "\"zzz\""),
            "/definitions/source/properties/confidence/enum",
        ),
        (
            CONNECTOR.replace("\"api_key\"", "\"zzz\""),
            "/definitions/connector/properties/auth/enum",
        ),
        (
            format!("{CONNECTOR}category = \"zzz\"\n"),
            "/definitions/connector/properties/category/enum",
        ),
        (
            format!("{CONNECTOR}client_auth = \"zzz\"\n"),
            "/definitions/connector/properties/client_auth/enum",
        ),
    ]
}

#[test]
fn the_built_in_catalog_validates_against_the_schema() {
    let text = include_str!("../../connectors.toml");
    assert_eq!(schema_errors(&validator(), text), Vec::<String>::new());
    assert_eq!(
        text.lines().next(),
        Some("#:schema ./docs/connectors.schema.json"),
        "the first line points editors at the schema"
    );
}

/// Every ```toml block of the README, and the connectors file of "Try it end to end", is a
/// connectors file the schema accepts; the end-to-end file also loads.
#[test]
fn the_readme_examples_validate_against_the_schema() {
    let readme = include_str!("../../README.md");
    let blocks = Regex::new(r"(?s)```toml\n(.*?)```").unwrap();
    let mut examples: Vec<String> = blocks
        .captures_iter(readme)
        .map(|c| c[1].to_owned())
        .collect();
    assert!(examples.len() >= 3, "{} toml blocks", examples.len());
    let end_to_end = Regex::new(r"(?s)cat > /tmp/local.toml <<'EOF'\n(.*?)\nEOF\n").unwrap();
    let local = end_to_end
        .captures(readme)
        .expect("the end-to-end connectors file")[1]
        .to_owned();
    Catalog::from_toml(&local, "README.md").unwrap_or_else(|e| panic!("{e}\n{local}"));
    examples.push(local);
    let validator = validator();
    for example in examples {
        assert_eq!(
            schema_errors(&validator, &example),
            Vec::<String>::new(),
            "in:\n{example}"
        );
    }
}

/// At each level the schema lists the keys (or values) the loader reads, no more and no fewer,
/// and refuses a file the loader refuses for an unknown one.
#[test]
fn the_schema_allows_exactly_what_the_loader_reads() {
    let validator = validator();
    for (text, pointer) in unknown_everywhere() {
        assert_eq!(loader_expects(&text), schema_names(pointer), "{pointer}");
        assert!(
            !schema_errors(&validator, &text).is_empty(),
            "the schema accepts what the loader refuses:\n{text}"
        );
    }
    assert_eq!(
        schema_names("/definitions/hints/propertyNames/enum"),
        {
            let mut keys: Vec<String> = HintKey::ALL.map(|k| k.as_str().to_owned()).to_vec();
            keys.sort_unstable();
            keys
        },
        "hint keys"
    );
}

/// A few files the loader refuses for their shape are refused by the schema too.
#[test]
fn the_schema_refuses_what_the_loader_refuses_for_its_shape() {
    let validator = validator();
    for text in [
        "[connectors.x]\nauth = \"api_key\"\n".to_owned(),
        "[connectors.Big]\nname = \"X\"\nauth = \"api_key\"\n".to_owned(),
        format!("{CONNECTOR}[[connectors.x.fields]]\nid = \"a\"\n"),
        format!(
            "{CONNECTOR}[[connectors.x.fields]]\nid = \"a\"\nlabel = \"A\"\nsecret = \"yes\"\n"
        ),
        format!(
            "{CONNECTOR}[[connectors.x.sources]]\nurl = \"https://a.example\"\nconfidence = \"public\"\n"
        ),
        format!("{CONNECTOR}redirect_port = 70000\n"),
        "[hints]\nnope = \"x\"\n".to_owned(),
    ] {
        assert!(
            Catalog::from_toml(&text, "schema test").is_err(),
            "the loader accepts:\n{text}"
        );
        assert!(
            !schema_errors(&validator, &text).is_empty(),
            "the schema accepts:\n{text}"
        );
    }
}
