//! `credlink list`: linked accounts from the index only; never reads a secret, so it never
//! triggers a keychain prompt. The table fits the terminal (columns of low priority are left
//! out, wide cells cut with `…`, never a word broken across lines), with relative times;
//! `--json` has the exact ones. Every value is cleaned before it is shown: the index may have
//! been edited by hand.

use std::time::SystemTime;

use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::connectors::FieldRole;
use crate::error::CliResult;
use crate::outcome::Class;
use crate::store::{Account, Store};
use crate::text;
use crate::ui;

/// One account in `list --json`: these keys are stable.
#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    connector: &'a str,
    subdomain: Option<&'a str>,
    client_id: Option<&'a str>,
    auth: &'a str,
    linked_at: &'a str,
    last_tested_at: Option<&'a str>,
    last_status: Option<&'a str>,
}

fn value(a: &Account, role: FieldRole) -> Option<&str> {
    role.id()
        .and_then(|id| a.fields.get(id))
        .map(String::as_str)
}

impl<'a> From<&'a Account> for Row<'a> {
    fn from(a: &'a Account) -> Self {
        Self {
            name: &a.name,
            connector: &a.connector,
            subdomain: value(a, FieldRole::Subdomain),
            client_id: value(a, FieldRole::ClientId),
            auth: &a.auth,
            linked_at: &a.linked_at,
            last_tested_at: a.last_tested_at.as_deref(),
            last_status: a.last_status.as_deref(),
        }
    }
}

pub(crate) fn run(store: &Store, json: bool) -> CliResult<Class> {
    let accounts = store.records()?;
    if json {
        // JSON escapes every control character; a reader's own tools decide how to show them.
        let rows: Vec<Row> = accounts.iter().map(Row::from).collect();
        ui::out(&serde_json::to_string_pretty(&rows)?);
        return Ok(Class::Ok);
    }
    if accounts.is_empty() {
        ui::out("No linked accounts. See `credlink connectors`, then `credlink link CONNECTOR`.");
        return Ok(Class::Ok);
    }
    let now = SystemTime::now();
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            COLUMNS
                .iter()
                .map(|c| (c.value)(a, now).map_or_else(|| "-".to_owned(), |v| text::clean(&v)))
                .collect()
        })
        .collect();
    ui::out(&layout(&rows, ui::stdout_width()));
    Ok(Class::Ok)
}

/// A table column: its header, how important it is (lower stays longer in a narrow terminal),
/// and its value.
struct Column {
    header: &'static str,
    priority: u8,
    value: fn(&Account, SystemTime) -> Option<String>,
}

const COLUMNS: [Column; 7] = [
    Column {
        header: "NAME",
        priority: 0,
        value: |a, _| Some(a.name.clone()),
    },
    Column {
        header: "CONNECTOR",
        priority: 1,
        value: |a, _| Some(a.connector.clone()),
    },
    Column {
        header: "SUBDOMAIN",
        priority: 4,
        value: |a, _| value(a, FieldRole::Subdomain).map(str::to_owned),
    },
    Column {
        header: "CLIENT ID",
        priority: 5,
        value: |a, _| value(a, FieldRole::ClientId).map(str::to_owned),
    },
    Column {
        header: "LINKED",
        priority: 6,
        value: |a, now| Some(ago(&a.linked_at, now)),
    },
    Column {
        header: "LAST TESTED",
        priority: 3,
        value: |a, now| a.last_tested_at.as_deref().map(|t| ago(t, now)),
    },
    Column {
        header: "LAST RESULT",
        priority: 2,
        value: |a, _| a.last_status.as_deref().map(|s| s.replace('_', " ")),
    },
];

/// The table at most `width` characters wide (no limit when stdout is not a terminal).
fn layout(rows: &[Vec<String>], width: Option<usize>) -> String {
    let mut shown: Vec<usize> = (0..COLUMNS.len()).collect();
    let widths = |shown: &[usize]| -> Vec<usize> {
        shown
            .iter()
            .map(|&c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([COLUMNS[c].header.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    // Two spaces between columns.
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    let mut cut = usize::MAX;
    if let Some(limit) = width {
        while total(&widths(&shown)) > limit && shown.len() > 2 {
            let least = (0..shown.len())
                .max_by_key(|&i| COLUMNS[shown[i]].priority)
                .unwrap_or(0);
            shown.remove(least);
        }
        let over = total(&widths(&shown)).saturating_sub(limit);
        if over > 0 {
            let widest = widths(&shown).into_iter().max().unwrap_or(0);
            cut = widest.saturating_sub(over + 1).max(8);
        }
    }
    let mut table = Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(shown.iter().map(|&c| COLUMNS[c].header));
    for r in rows {
        table.add_row(shown.iter().map(|&c| text::truncate(&r[c], cut)));
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let rendered = table.to_string();
    let lines: Vec<&str> = rendered.lines().map(str::trim_end).collect();
    lines.join("\n")
}

/// "2 h ago": how long ago an RFC 3339 time was, in its largest whole unit.
fn ago(rfc3339: &str, now: SystemTime) -> String {
    let Ok(then) = humantime::parse_rfc3339_weak(rfc3339) else {
        return rfc3339.to_owned();
    };
    let secs = now.duration_since(then).map_or(0, |d| d.as_secs());
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        86_400..2_592_000 => format!("{} d ago", secs / 86_400),
        _ => format!("{} mo ago", secs / 2_592_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<String>> {
        let row = |v: [&str; 7]| v.iter().map(|s| (*s).to_owned()).collect();
        vec![
            row([
                "acme-hr",
                "personio",
                "-",
                "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
                "2 h ago",
                "1 h ago",
                "secret missing",
            ]),
            row([
                "traffit-acme",
                "traffit",
                "acme",
                "acme_credlink",
                "3 d ago",
                "-",
                "-",
            ]),
        ]
    }

    #[test]
    fn a_narrow_terminal_drops_columns_by_priority_and_never_wraps() {
        let full = layout(&rows(), None);
        assert!(full.lines().next().unwrap().contains("CLIENT ID"));
        for width in [40, 60, 80, 100] {
            let narrow = layout(&rows(), Some(width));
            assert_eq!(
                narrow.lines().count(),
                3,
                "one line a row at {width}:\n{narrow}"
            );
            for line in narrow.lines() {
                assert!(line.chars().count() <= width, "{width}: {line}");
            }
            assert!(narrow.contains("acme-hr"), "{narrow}");
        }
        let narrow = layout(&rows(), Some(60));
        assert!(!narrow.contains("LINKED"), "{narrow}");
        assert!(narrow.contains("secret missing"), "{narrow}");
    }

    #[test]
    fn times_are_relative() {
        let now = humantime::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        assert_eq!(ago("2026-11-23T10:00:00Z", now), "2 h ago");
        assert_eq!(ago("2026-11-23T11:59:30Z", now), "just now");
        assert_eq!(ago("2026-11-20T12:00:00Z", now), "3 d ago");
        assert_eq!(ago("garbage", now), "garbage");
    }
}
