//! `credlink list`: linked accounts from the index only; never reads a secret, so it never
//! triggers a keychain prompt. Every value is cleaned and cut before it is shown: the index may
//! have been edited by hand.

use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::connectors::FieldRole;
use crate::error::CliResult;
use crate::outcome::Class;
use crate::store::{Account, Store};
use crate::text;
use crate::ui;

/// Longest value shown in a table cell.
const CELL_CHARS: usize = 64;

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
    let mut table = Table::new();
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header([
        "Name",
        "Connector",
        "Subdomain",
        "Client ID",
        "Linked",
        "Last tested",
        "Last result",
    ]);
    let cell = |v: Option<&str>| {
        v.map_or_else(|| "-".to_owned(), |v| text::clean_truncated(v, CELL_CHARS))
    };
    for a in &accounts {
        table.add_row([
            cell(Some(&a.name)),
            cell(Some(&a.connector)),
            cell(value(a, FieldRole::Subdomain)),
            cell(value(a, FieldRole::ClientId)),
            cell(Some(&short_time(&a.linked_at))),
            cell(a.last_tested_at.as_deref().map(short_time).as_deref()),
            cell(a.last_status.as_deref()),
        ]);
    }
    ui::out(&table.to_string());
    Ok(Class::Ok)
}

/// "2026-11-23T07:40:12Z" -> "2026-11-23 07:40 UTC"
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}
