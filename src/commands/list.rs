//! `credlink list`: linked accounts from the index only; never reads a secret, so it never
//! triggers a keychain prompt.

use comfy_table::{ContentArrangement, Table};
use serde_json::json;

use crate::context::Context;

pub fn run(ctx: &Context) -> anyhow::Result<()> {
    let data = ctx.index.read()?;
    if ctx.json {
        let rows: Vec<_> = data
            .accounts
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "connector": a.connector,
                    "subdomain": a.fields.get("subdomain"),
                    "client_id": a.fields.get("client_id"),
                    "auth": a.auth,
                    "linked_at": a.linked_at,
                    "last_tested_at": a.last_tested_at,
                    "last_status": a.last_status,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
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
    println!("{table}");
    Ok(())
}

/// "2026-11-23T07:40:12Z" -> "2026-11-23 07:40 UTC"
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}
