//! The documents made from the built-in catalog: `docs/connectors.md`, and the README's count
//! of products and connectors. The tests here fail when a checked-in copy drifts from
//! `connectors.toml`, and write it when `CREDLINK_UPDATE_DOCS` is set
//! (`scripts/update-completions` does).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

use regex_lite::Regex;

use super::{Catalog, Connector};

/// How many connectors and products (see [`Connector::product`]) the catalog holds.
fn counts(catalog: &Catalog) -> (usize, usize) {
    let products: BTreeSet<&str> = catalog
        .connectors
        .values()
        .map(Connector::product)
        .collect();
    (catalog.connectors.len(), products.len())
}

/// `docs/connectors.md`: every connector by category, with its auth kind, what to create in
/// the provider's UI (its steps), its notes and its sources.
fn catalog_page(catalog: &Catalog) -> String {
    let mut page = String::from(
        "# Connectors\n\nGenerated from `connectors.toml` (run `scripts/update-completions`); \
         each entry there lists its sources, with how sure each is: confirmed (the provider's \
         own docs), public (other public material) or inferred (untested).\n",
    );
    let (connectors, products) = counts(catalog);
    let _ = writeln!(page, "\n{connectors} connectors, {products} products.\n");
    let mut by_category: BTreeMap<&str, Vec<&Connector>> = BTreeMap::new();
    for c in catalog.connectors.values() {
        by_category
            .entry(c.category.map_or("other", |cat| cat.as_str()))
            .or_default()
            .push(c);
    }
    for (category, connectors) in by_category {
        let _ = writeln!(page, "## {}\n", category.to_uppercase());
        let _ = writeln!(page, "| connector | id | auth | docs |\n|---|---|---|---|");
        for c in &connectors {
            let _ = writeln!(
                page,
                "| [{}](#{}) | `{}` | {} | {} |",
                c.name,
                c.id,
                c.id,
                c.auth().as_str(),
                c.docs.as_deref().unwrap_or("-")
            );
        }
        for c in connectors {
            connector_section(&mut page, c);
        }
        page.push('\n');
    }
    page.trim_end().to_owned() + "\n"
}

fn connector_section(page: &mut String, c: &Connector) {
    let _ = writeln!(
        page,
        "\n### <a id=\"{}\"></a>{} (`{}`)\n",
        c.id, c.name, c.id
    );
    let fields: Vec<&str> = c
        .fields
        .iter()
        .filter(|f| !f.obtained)
        .map(|f| f.label.as_str())
        .collect();
    let _ = writeln!(page, "Asks for: {}.\n", fields.join(", "));
    if let Some(base) = &c.api_base {
        let _ = writeln!(page, "API base (`credlink api`): `{}`\n", base.raw());
    }
    for (i, step) in c.steps.iter().enumerate() {
        let _ = writeln!(page, "{}. {step}", i + 1);
    }
    for note in &c.notes {
        let _ = writeln!(page, "\n- {note}");
    }
    if let Some(alt) = &c.alternative {
        let _ = writeln!(
            page,
            "\nAlso for {}: [`{}`](#{}). {}",
            c.product(),
            alt.id,
            alt.id,
            alt.when
        );
    }
    if let Some(e) = &c.expiry {
        let _ = writeln!(page, "\n- The credential expires {}.", e.describe());
    }
    let _ = writeln!(page, "\nSources:\n");
    let expiry_sources = c.expiry.iter().flat_map(|e| &e.sources);
    for source in c.sources.iter().chain(expiry_sources) {
        let _ = writeln!(
            page,
            "- {} ({}): {}",
            source.url,
            source.confidence.as_str(),
            source.supports
        );
    }
}

/// The README's one count of the catalog, "N products in M connectors" (a line break may fall
/// inside it).
fn readme_count() -> Regex {
    Regex::new(r"(\d+) products in (\d+)(\s+)connectors").unwrap()
}

/// `text` with the count of every connector and product written by hand anywhere but in the
/// generated count: a number before "connectors", "-connector" or "products".
fn hand_written_counts(text: &str) -> Vec<String> {
    let generated = readme_count();
    let any = Regex::new(r"\d+(\s+|-)(connectors?|products?)\b").unwrap();
    let text = generated.replace_all(text, "");
    any.find_iter(&text)
        .map(|m| m.as_str().to_owned())
        .collect()
}

fn checked_in(relative: &str) -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    (path, text)
}

/// The first line where `found` differs from `expected`, for a failure message.
fn first_difference(expected: &str, found: &str) -> String {
    let (mut expected_lines, mut found_lines) = (expected.lines(), found.lines());
    for number in 1.. {
        match (expected_lines.next(), found_lines.next()) {
            (None, None) => break,
            (e, f) if e == f => continue,
            (e, f) => {
                return format!(
                    "line {number}:\n  expected: {}\n  found:    {}",
                    e.unwrap_or("(end of file)"),
                    f.unwrap_or("(end of file)")
                );
            }
        }
    }
    "no line differs".to_owned()
}

fn updating() -> bool {
    std::env::var_os("CREDLINK_UPDATE_DOCS").is_some()
}

#[test]
fn the_connectors_page_matches_the_catalog() {
    let page = catalog_page(&Catalog::load(None).unwrap());
    let (path, text) = checked_in("docs/connectors.md");
    if updating() {
        std::fs::write(&path, &page).unwrap();
        return;
    }
    assert!(
        text == page,
        "docs/connectors.md is out of date with connectors.toml: run scripts/update-completions\n{}",
        first_difference(&page, &text)
    );
}

/// The README says how many products and connectors the catalog holds in one generated
/// place, and nowhere else.
#[test]
fn the_readme_counts_match_the_catalog() {
    let (connectors, products) = counts(&Catalog::load(None).unwrap());
    let (path, text) = checked_in("README.md");
    let count = readme_count();
    assert_eq!(
        count.find_iter(&text).count(),
        1,
        "README.md says \"N products in M connectors\" once"
    );
    if updating() {
        let updated = count.replace(&text, |c: &regex_lite::Captures| {
            format!("{products} products in {connectors}{}connectors", &c[3])
        });
        std::fs::write(&path, updated.as_ref()).unwrap();
        return;
    }
    let found = count.captures(&text).unwrap();
    assert_eq!(
        (&found[1], &found[2]),
        (
            products.to_string().as_str(),
            connectors.to_string().as_str()
        ),
        "README.md's count of products and connectors is out of date: run scripts/update-completions"
    );
    assert_eq!(
        hand_written_counts(&text),
        Vec::<String>::new(),
        "README.md counts connectors or products by hand: say it without the number, or use the generated count"
    );
}

#[test]
fn a_hand_written_count_is_found_and_the_generated_one_is_not() {
    let text = "53 products in 71\nconnectors; 5.5 ms with the 45-connector catalog, 3 connectors, 2 products";
    assert_eq!(
        hand_written_counts(text),
        ["45-connector", "3 connectors", "2 products"]
    );
    assert_eq!(
        first_difference("a\nb\n", "a\nc\n"),
        "line 2:\n  expected: b\n  found:    c"
    );
}
