//! `credlink connectors [ID]`: the catalog, or one connector with the steps to get credentials.

use comfy_table::{ContentArrangement, Table};
use serde_json::json;

use crate::connectors::{Check, ClientAuth, Connector};
use crate::context::Context;
use crate::input::flag_for;

pub fn run(ctx: &Context, id: Option<&str>) -> anyhow::Result<()> {
    match id {
        Some(id) => show(ctx, ctx.catalog.get(id)?),
        None => {
            list(ctx);
            Ok(())
        }
    }
}

fn list(ctx: &Context) {
    if ctx.json {
        let all: Vec<_> = ctx.catalog.connectors.values().map(to_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&all).expect("serializable")
        );
        return;
    }
    let mut table = Table::new();
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(["ID", "Name", "Auth", "Asks for"]);
    for c in ctx.catalog.connectors.values() {
        let fields: Vec<&str> = c.fields.iter().map(|f| f.label.as_str()).collect();
        table.add_row([
            c.id.as_str(),
            c.name.as_str(),
            c.auth().as_str(),
            &fields.join(", "),
        ]);
    }
    println!("{table}");
    println!("Show one with `credlink connectors ID`; link with `credlink link ID`.");
}

fn endpoint(c: &Connector) -> (String, String) {
    match &c.check {
        Check::OAuth(o) => {
            let how = match o.client_auth {
                ClientAuth::Basic => "client_secret_basic",
                ClientAuth::Post => "client_secret_post",
                ClientAuth::Json => "JSON body",
            };
            (o.token_url.raw().to_owned(), how.to_owned())
        }
        Check::ApiKey(v) => (
            v.url.raw().to_owned(),
            format!("{} verification call", v.method),
        ),
    }
}

fn to_json(c: &Connector) -> serde_json::Value {
    let (url, how) = endpoint(c);
    let fields: Vec<_> = c
        .fields
        .iter()
        .map(|f| {
            json!({
                "id": f.id, "label": f.label, "secret": f.secret, "optional": f.optional,
                "pattern": f.pattern.as_ref().map(|p| p.as_str()), "help": f.help,
                "example": f.example, "default": f.default, "sign_in_url": f.sign_in_url(),
            })
        })
        .collect();
    json!({
        "id": c.id, "name": c.name, "auth": c.auth().as_str(), "url": url, "method": how,
        "docs": c.docs, "steps": c.steps, "fields": fields,
    })
}

fn show(ctx: &Context, c: &Connector) -> anyhow::Result<()> {
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&to_json(c))?);
        return Ok(());
    }
    let (url, how) = endpoint(c);
    println!("{} ({})", c.name, c.id);
    println!("  auth:  {} ({how})", c.auth().as_str());
    println!("  url:   {url}");
    if let Some(docs) = &c.docs {
        println!("  docs:  {docs}");
    }
    println!();
    println!(
        "Fields, in the order `credlink link {}` asks for them:",
        c.id
    );
    for f in &c.fields {
        let mut notes = Vec::new();
        if f.secret {
            notes.push("secret, hidden input".to_owned());
        }
        if f.optional {
            notes.push("optional".to_owned());
        }
        if let Some(d) = &f.default {
            notes.push(format!("default {d}"));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        println!("  {}{notes}: {}", f.label, flag_for(f));
        if let Some(help) = &f.help {
            println!("      {help}");
        }
        if let Some(example) = &f.example {
            println!("      e.g. {example}");
        }
        if let Some(url) = f.sign_in_url() {
            println!("      or paste your sign-in address, {url}");
        }
    }
    if !c.steps.is_empty() {
        println!();
        println!("How to get the credentials:");
        for (i, step) in c.steps.iter().enumerate() {
            println!("  {}. {step}", i + 1);
        }
    }
    Ok(())
}
