//! `credlink connectors [ID]`: the catalog, or one connector with the steps to get credentials.

use comfy_table::{ContentArrangement, Table};
use serde_json::json;

use std::fmt::Write;

use crate::connectors::{Check, ClientAuth, Connector};
use crate::context::Context;
use crate::error::CliResult;
use crate::input::flag_for;
use crate::outcome::Class;
use crate::ui;

pub(crate) fn run(ctx: &Context, id: Option<&str>) -> CliResult<Class> {
    match id {
        Some(id) => show(ctx, ctx.catalog.get(id)?),
        None => list(ctx),
    }
    Ok(Class::Ok)
}

fn list(ctx: &Context) {
    if ctx.json {
        let all: Vec<_> = ctx.catalog.connectors.values().map(to_json).collect();
        ui::out_json(&all);
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
    ui::out(&format!(
        "{table}\nShow one with `credlink connectors ID`; link with `credlink link ID`."
    ));
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
        "docs": c.docs, "steps": c.steps, "notes": c.notes, "revoke_note": c.revoke_note,
        "fields": fields,
    })
}

fn show(ctx: &Context, c: &Connector) {
    if ctx.json {
        ui::out_json(&to_json(c));
        return;
    }
    let mut s = String::new();
    let (url, how) = endpoint(c);
    let _ = writeln!(s, "{} ({})", c.name, c.id);
    let _ = writeln!(s, "  auth:  {} ({how})", c.auth().as_str());
    let _ = writeln!(s, "  url:   {url}");
    if let Some(docs) = &c.docs {
        let _ = writeln!(s, "  docs:  {docs}");
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
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
        let _ = writeln!(s, "  {}{notes}: {}", f.label, flag_for(f));
        if let Some(help) = &f.help {
            let _ = writeln!(s, "      {help}");
        }
        if let Some(example) = &f.example {
            let _ = writeln!(s, "      e.g. {example}");
        }
        if let Some(url) = f.sign_in_url() {
            let _ = writeln!(s, "      or paste your sign-in address, {url}");
        }
    }
    if !c.steps.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "How to get the credentials:");
        for (i, step) in c.steps.iter().enumerate() {
            let _ = writeln!(s, "  {}. {step}", i + 1);
        }
    }
    if !c.notes.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "Good to know:");
        for note in &c.notes {
            let _ = writeln!(s, "  - {note}");
        }
    }
    if let Some(note) = &c.revoke_note {
        let _ = writeln!(s);
        let _ = writeln!(s, "After `credlink revoke`: {note}");
    }
    ui::out(s.trim_end());
}
