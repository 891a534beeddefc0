//! `credlink list`: linked accounts from the index only; never reads a secret, so it never
//! triggers a keychain prompt. Fast at thousands of accounts: one parse, output serialized
//! straight from the records, in one write.

use comfy_table::{ContentArrangement, Table};
use std::io::Write;

use serde::Serialize;

use crate::store::{Account, Index};

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

impl<'a> From<&'a Account> for Row<'a> {
    fn from(a: &'a Account) -> Self {
        Self {
            name: &a.name,
            connector: &a.connector,
            subdomain: a.fields.get("subdomain").map(String::as_str),
            client_id: a.fields.get("client_id").map(String::as_str),
            auth: &a.auth,
            linked_at: &a.linked_at,
            last_tested_at: a.last_tested_at.as_deref(),
            last_status: a.last_status.as_deref(),
        }
    }
}

pub fn run(index: &Index, json: bool) -> anyhow::Result<()> {
    let data = index.read()?;
    if json {
        let rows: Vec<Row> = data.accounts.iter().map(Row::from).collect();
        let mut out = serde_json::to_vec_pretty(&rows)?;
        out.push(b'\n');
        std::io::stdout().lock().write_all(&out)?;
        return Ok(());
    }
    if data.accounts.is_empty() {
        println!("No linked accounts. See `credlink connectors`, then `credlink link CONNECTOR`.");
        return Ok(());
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
    let dash = || "-".to_owned();
    for a in &data.accounts {
        table.add_row([
            a.name.clone(),
            a.connector.clone(),
            a.fields.get("subdomain").cloned().unwrap_or_else(dash),
            a.fields.get("client_id").cloned().unwrap_or_else(dash),
            short_time(&a.linked_at),
            a.last_tested_at.as_deref().map_or_else(dash, short_time),
            a.last_status.clone().unwrap_or_else(dash),
        ]);
    }
    // One write: `println!` would flush line by line, a system call per account.
    let mut out = table.to_string();
    out.push('\n');
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

/// "2026-11-23T07:40:12Z" -> "2026-11-23 07:40 UTC"
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}
