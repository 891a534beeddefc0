//! `credlink list`: linked accounts from the index only; never reads a secret, so it never
//! triggers a keychain prompt. The table fits the terminal (columns of low priority are left
//! out, wide cells cut with `…`, never a word broken across lines), with relative times;
//! `--json` has the exact ones. Every value is cleaned before it is shown: the index may have
//! been edited by hand.

use std::time::SystemTime;

use serde::Serialize;

use crate::base::outcome::Class;
use crate::base::text;
use crate::catalog::FieldRole;
use crate::commands::error::CliResult;
use crate::commands::expiry::{self, Expiry};
use crate::store::{Account, Store};
use crate::terminal::table;
use crate::terminal::ui;

/// One account in `list --json`: these keys are stable.
#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    connector: &'a str,
    subdomain: Option<&'a str>,
    client_id: Option<&'a str>,
    auth: &'a str,
    linked_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    linked_by: Option<&'a str>,
    last_tested_at: Option<&'a str>,
    last_status: Option<&'a str>,
    /// `{"at", "basis"}`, or null when nothing says when it expires.
    expires: Option<serde_json::Value>,
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
            linked_by: a.linked_by.as_deref(),
            last_tested_at: a.last_tested_at.as_deref(),
            last_status: a.last_status.as_deref(),
            expires: stored_expiry(a).map(Expiry::json),
        }
    }
}

pub(crate) async fn run(store: &Store, json: bool) -> CliResult<Class> {
    let accounts = store.records().await?;
    if json {
        // JSON escapes every control character; a reader's own tools decide how to show them.
        let rows: Vec<Row> = accounts.iter().map(Row::from).collect();
        ui::out_json(&rows);
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
    let columns: Vec<(&str, u8)> = COLUMNS.iter().map(|c| (c.header, c.priority)).collect();
    ui::out(&table::fit(&columns, &rows, ui::stdout_width()));
    Ok(Class::Ok)
}

/// A table column: its header, how important it is (lower stays longer in a narrow terminal),
/// and its value.
struct Column {
    header: &'static str,
    priority: u8,
    value: fn(&Account, SystemTime) -> Option<String>,
}

/// The expiry a record keeps; one written by hand that credlink cannot read counts as none.
fn stored_expiry(a: &Account) -> Option<Expiry> {
    a.expires.as_ref().and_then(Expiry::from_stored)
}

const COLUMNS: [Column; 8] = [
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
    Column {
        header: "EXPIRES",
        priority: 2,
        value: |a, now| {
            let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
            let now = i64::try_from(now).ok()?;
            stored_expiry(a).map(|e| expiry::relative(e.at, now))
        },
    },
];

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

    #[test]
    fn times_are_relative() {
        let now = humantime::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        assert_eq!(ago("2026-11-23T10:00:00Z", now), "2 h ago");
        assert_eq!(ago("2026-11-23T11:59:30Z", now), "just now");
        assert_eq!(ago("2026-11-20T12:00:00Z", now), "3 d ago");
        assert_eq!(ago("garbage", now), "garbage");
    }
}
