//! The architecture rules of ARCHITECTURE.md, kept by a test rather than by memory (as
//! rust-analyzer's tidy tests do): it reads the `crate::…` paths of every source file and fails
//! on an import a part may not make, on an import circle between parts, on a write to the
//! terminal outside `terminal/`, and on a source file over 800 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each part (a folder of `src/`, or `lib`/`main`) and what it may import besides itself and
/// `base`: a part (`net`), one module of a part (`terminal::interrupt`), or anything (`*`).
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("base", &[]),
    ("net", &[]),
    ("catalog", &[]),
    ("oauth", &[]),
    ("terminal", &[]),
    ("provider", &["net", "catalog"]),
    // The store holds Ctrl-C off while a refresh token is spent; it never writes to the
    // terminal: a wait for another run's turn is an event the command shows.
    ("store", &["net", "terminal::interrupt"]),
    ("input", &["catalog", "provider", "terminal"]),
    ("cli", &["catalog", "input"]),
    ("commands", &["*"]),
    ("lib", &["*"]),
    ("main", &["*"]),
];

/// Modules that may not import a part their own part may: the diagnosis returns data, and
/// `commands::explain` shows it.
const MAY_NOT_IMPORT: &[(&str, &str)] = &[("commands/diagnose.rs", "terminal")];

/// Writing to stdout or stderr is the terminal's job; the crash tests' pause marker is the one
/// exception (a `fault-injection` build only).
const PRINTS: &[&str] = &["println!", "eprintln!", "print!(", "eprint!(", "dbg!("];
const MAY_PRINT: &[&str] = &["base/fault.rs"];

const MAX_LINES: usize = 800;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file, by its path under `src/`, without the property tests (`testing/`).
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if !rel.starts_with("testing/") {
                    out.insert(rel, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &src(), &mut out);
    out
}

/// The part a file belongs to: its top folder, or its name at the top.
fn part_of(rel: &str) -> &str {
    let first = rel.split('/').next().unwrap();
    first.strip_suffix(".rs").unwrap_or(first)
}

/// The code a rule applies to: without comments and without unit tests (a file's trailing
/// `mod tests`, or a test module's own file).
fn code(rel: &str, text: &str) -> String {
    if rel.ends_with("/tests.rs") || rel.contains("/tests/") {
        return String::new();
    }
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `crate::` paths of `code`, each as its first one or two segments: `store`,
/// `terminal::ui`, also inside `use crate::{a, b::c}` and `crate::a::{b, c}`.
fn imports(code: &str) -> BTreeSet<String> {
    fn ident(s: &str) -> &str {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        &s[..end]
    }
    /// The items of a `{...}` group at the start of `s`, split at its top-level commas.
    fn group(s: &str) -> Vec<&str> {
        let mut depth = 0;
        let mut items = Vec::new();
        let mut start = 1;
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => {
                    items.push(s[start..i].trim());
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 1 => {
                    items.push(s[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.into_iter().filter(|i| !i.is_empty()).collect()
    }
    fn path(s: &str, out: &mut BTreeSet<String>) {
        if s.starts_with('{') {
            for item in group(s) {
                path(item, out);
            }
            return;
        }
        let first = ident(s);
        let rest = &s[first.len()..];
        match rest.strip_prefix("::") {
            Some(r) if r.starts_with('{') => {
                for item in group(r) {
                    out.insert(format!("{first}::{}", ident(item)));
                }
            }
            Some(r) if !ident(r).is_empty() => {
                out.insert(format!("{first}::{}", ident(r)));
            }
            _ => {
                out.insert(first.to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        // `$crate::` or `other_crate::` are not ours.
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        path(&code[at + "crate::".len()..], &mut out);
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Every broken rule, as one line each.
fn broken_rules(files: &BTreeMap<String, String>) -> Vec<String> {
    let may: BTreeMap<&str, &[&str]> = MAY_IMPORT.iter().copied().collect();
    let mut broken = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in files {
        let part = part_of(rel);
        let Some(allowed) = may.get(part) else {
            broken.push(format!("{rel}: `{part}` is no part ARCHITECTURE.md names"));
            continue;
        };
        let code = code(rel, text);
        for import in imports(&code) {
            let target = import.split("::").next().unwrap();
            if target == part || target == "base" {
                continue;
            }
            graph
                .entry(part.to_owned())
                .or_default()
                .insert(target.to_owned());
            let ok = allowed
                .iter()
                .any(|a| *a == "*" || *a == target || *a == import);
            if !ok {
                broken.push(format!("{rel}: `{part}` may not import `crate::{import}`"));
            }
            for (file, never) in MAY_NOT_IMPORT {
                if rel == file && target == *never {
                    broken.push(format!("{rel} may not import `crate::{import}`"));
                }
            }
        }
        if !MAY_PRINT.contains(&rel.as_str()) && part != "terminal" {
            for print in PRINTS.iter().filter(|p| code.contains(**p)) {
                broken.push(format!(
                    "{rel} writes to the terminal with `{print}`: use terminal::ui"
                ));
            }
        }
        let lines = text.lines().count();
        if lines > MAX_LINES {
            broken.push(format!("{rel} has {lines} lines (at most {MAX_LINES})"));
        }
    }
    broken.extend(circles(&graph));
    broken
}

/// The import circles between parts, one line each.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(at) = stack.pop() {
            if at == to {
                return true;
            }
            if seen.insert(at.clone()) {
                stack.extend(graph.get(&at).into_iter().flatten().cloned());
            }
        }
        false
    }
    let mut found = Vec::new();
    for (part, targets) in graph {
        for target in targets.iter().filter(|t| *t > part) {
            if reaches(graph, target, part) {
                found.push(format!(
                    "`{part}` and `{target}` import each other (a circle)"
                ));
            }
        }
    }
    found
}

#[test]
fn the_architecture_rules_hold() {
    let broken = broken_rules(&sources());
    assert!(
        broken.is_empty(),
        "ARCHITECTURE.md's rules are broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn each_rule_catches_what_it_forbids() {
    let files = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect()
    };
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("store/cache.rs", "use crate::provider::answer::X;")],
            "`store` may not import `crate::provider::answer`",
        ),
        (
            &[("store/lease.rs", "use crate::{terminal::ui, net};")],
            "`store` may not import `crate::terminal::ui`",
        ),
        (
            &[("commands/diagnose.rs", "use crate::terminal::ui;")],
            "commands/diagnose.rs may not import `crate::terminal::ui`",
        ),
        (
            &[("provider/mod.rs", "fn f() { println!(\"x\") }")],
            "writes to the terminal with `println!`",
        ),
        (
            &[
                ("net/mod.rs", "use crate::catalog::Catalog;"),
                ("catalog/mod.rs", "use crate::net::{self, X};"),
            ],
            "`catalog` and `net` import each other",
        ),
        (&[("base/x.rs", &"\n".repeat(801))], "has 801 lines"),
        (&[("wild.rs", "")], "`wild` is no part"),
    ];
    for (given, expected) in cases {
        let broken = broken_rules(&files(given)).join("\n");
        assert!(broken.contains(expected), "{expected:?} in:\n{broken}");
    }
    let fine = files(&[
        (
            "store/lease.rs",
            "// crate::terminal::ui in a comment\nuse crate::terminal::interrupt::Refreshing;",
        ),
        (
            "provider/http.rs",
            "use crate::net::{self, Lookup};\n#[cfg(test)]\nmod tests { use crate::store::X; }",
        ),
    ]);
    assert_eq!(broken_rules(&fine), Vec::<String>::new());
}
