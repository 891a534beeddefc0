//! `credlink connectors [ID|WORD] [--category C] [--auth KIND]`: the catalog, filtered, or one
//! connector with the steps to get credentials, and the sources of its facts.

use serde_json::json;

use std::fmt::Write;

use crate::base::outcome::Class;
use crate::catalog::{Check, ClientAuth, Connector, FieldRole, Grant};
use crate::cli::ConnectorsArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::commands::fill;
use crate::input::flag_for;
use crate::terminal::table;
use crate::terminal::ui;

pub(crate) fn run(ctx: &Context, args: &ConnectorsArgs) -> CliResult<Class> {
    let filtered = args.category.is_some() || args.auth.is_some();
    if let Some(c) = args
        .id
        .as_deref()
        .and_then(|id| ctx.catalog.connectors.get(id))
        && !filtered
    {
        show(ctx, c);
        return Ok(Class::Ok);
    }
    let word = args.id.as_deref().map(str::to_lowercase);
    let matching: Vec<&Connector> = ctx
        .catalog
        .connectors
        .values()
        .filter(|c| args.category.is_none_or(|cat| c.category == Some(cat)))
        .filter(|c| args.auth.is_none_or(|kind| c.auth() == kind))
        .filter(|c| {
            word.as_deref()
                .is_none_or(|w| c.id.contains(w) || c.name.to_lowercase().contains(w))
        })
        .collect();
    if matching.is_empty() {
        // A word that is neither an id nor part of one: the same "unknown connector" as
        // everywhere, with the known ids.
        if let Some(Err(unknown)) = args.id.as_deref().map(|w| ctx.catalog.get(w)) {
            return Err(unknown.into());
        }
        return Err(
            CliError::new(Class::NotFound, "no connector matches these filters")
                .with_hint("see `credlink connectors` for the whole catalog"),
        );
    }
    list(ctx, &matching);
    Ok(Class::Ok)
}

fn list(ctx: &Context, connectors: &[&Connector]) {
    if ctx.json {
        let all: Vec<_> = connectors.iter().map(|c| to_json(ctx, c)).collect();
        ui::out_json(&all);
        return;
    }
    let columns = [
        ("ID", 0),
        ("NAME", 1),
        ("CATEGORY", 3),
        ("AUTH", 2),
        ("ASKS FOR", 4),
    ];
    let rows: Vec<Vec<String>> = connectors
        .iter()
        .map(|c| {
            let fields: Vec<&str> = c
                .fields
                .iter()
                .filter(|f| !f.obtained)
                .map(|f| f.label.as_str())
                .collect();
            vec![
                c.id.clone(),
                c.name.clone(),
                c.category.map_or("-", |cat| cat.as_str()).to_owned(),
                c.auth().as_str().to_owned(),
                fields.join(", "),
            ]
        })
        .collect();
    ui::out(&format!(
        "{}\nShow one with `credlink connectors ID`; link with `credlink link ID`.",
        table::fit(&columns, &rows, ui::stdout_width())
    ));
}

fn endpoint(c: &Connector) -> (String, String) {
    match &c.check {
        Check::OAuth(o) => {
            let how = match o.client_auth {
                ClientAuth::Basic => "client_secret_basic",
                ClientAuth::Post => "client_secret_post",
                ClientAuth::Json => "JSON body",
                ClientAuth::PrivateKeyJwt => "private_key_jwt (RFC 7523)",
                ClientAuth::TlsClientAuth => "tls_client_auth (RFC 8705)",
                ClientAuth::None => "public client",
            };
            let how = match (o.grant, &o.authorize) {
                (_, Some(a)) => format!(
                    "browser sign-in{}, redirect {}, then refresh_token grant, {how}",
                    if a.pkce {
                        " with PKCE"
                    } else {
                        " without PKCE"
                    },
                    crate::oauth::redirect_uri(a.redirect_port, &a.redirect_path)
                ),
                (_, None) if o.device_authorization.is_some() => {
                    format!("device code (RFC 8628), then refresh_token grant, {how}")
                }
                (Grant::ClientCredentials, None) => how.to_owned(),
                (Grant::RefreshToken, None) => format!("refresh_token grant, {how}"),
                (Grant::JwtBearer, None) => "JWT bearer assertion (RFC 7523 2.1)".to_owned(),
                (Grant::Saml2Bearer, None) => "SAML 2.0 bearer assertion (RFC 7522)".to_owned(),
            };
            (o.token_url.raw().to_owned(), how)
        }
        Check::Exchange(x) => (
            x.url.raw().to_owned(),
            format!("{} sign-in call, token at {}", x.method, x.token_pointer),
        ),
        Check::ApiKey(v) => (
            v.url.raw().to_owned(),
            format!("{} verification call", v.method),
        ),
    }
}

/// The other connector of the same product, its name from the catalog, and when to choose it.
fn alternative<'a>(ctx: &'a Context, c: &'a Connector) -> Option<(&'a Connector, &'a str)> {
    let alt = c.alternative.as_ref()?;
    Some((ctx.catalog.connectors.get(&alt.id)?, alt.when.as_str()))
}

fn to_json(ctx: &Context, c: &Connector) -> serde_json::Value {
    let (url, how) = endpoint(c);
    // The fields a user gives (not the refresh token a browser sign-in obtains).
    let fields: Vec<_> = c
        .fields
        .iter()
        .filter(|f| !f.obtained)
        .map(|f| {
            json!({
                "id": f.id, "label": f.label, "secret": f.secret, "optional": f.optional,
                "pattern": f.pattern.as_ref().map(|p| p.as_str()),
                "expect": f.expect.as_ref().map(|p| p.as_str()), "help": f.help,
                "example": f.example, "default": f.default, "sign_in_url": f.sign_in_url(),
            })
        })
        .collect();
    let source = |s: &crate::catalog::Source| json!({"url": s.url, "supports": s.supports, "confidence": s.confidence.as_str()});
    let sources: Vec<_> = c.sources.iter().map(source).collect();
    let expiry = c.expiry.as_ref().map(|e| {
        json!({
            "lifetime_days": e.lifetime_days, "counted_from": e.counted_from_str(),
            "sources": e.sources.iter().map(source).collect::<Vec<_>>(),
        })
    });
    json!({
        "id": c.id, "name": c.name, "product": c.product(),
        "category": c.category.map(|cat| cat.as_str()),
        "auth": c.auth().as_str(), "url": url, "method": how,
        "api_base": c.api_base.as_ref().map(|t| t.raw()),
        "docs": c.docs, "steps": c.steps, "notes": c.notes,
        "revoke_note": c.revoke_note.as_deref().map(|note| fill(note, Some(c), "")),
        "alternative": alternative(ctx, c)
            .map(|(alt, when)| json!({"id": alt.id, "name": alt.name, "when": when})),
        "fields": fields, "sources": sources, "expiry": expiry,
        "key_in_url": key_in_url(c),
    })
}

/// What `connectors ID` says of a provider that takes the key in the URL.
fn key_in_url(c: &Connector) -> Option<String> {
    let q = c.secret_in_url()?;
    Some(format!(
        "{} takes the {} in the URL (the `{}` query parameter), not in a header: this is weaker, since proxies, the provider's server logs and monitoring tools may keep URLs. credlink adds it to the verification call only, percent-encoded, and never shows it.",
        c.product(),
        c.label(&q.field),
        q.param
    ))
}

fn show(ctx: &Context, c: &Connector) {
    if ctx.json {
        ui::out_json(&to_json(ctx, c));
        return;
    }
    let mut s = String::new();
    let (url, how) = endpoint(c);
    let _ = writeln!(s, "{} ({})", c.name, c.id);
    let _ = writeln!(s, "  auth:  {} ({how})", c.auth().as_str());
    let _ = writeln!(s, "  url:   {url}");
    if let Some(base) = &c.api_base {
        let _ = writeln!(s, "  api:   {} (`credlink api NAME PATH`)", base.raw());
    }
    if let Some(docs) = &c.docs {
        let _ = writeln!(s, "  docs:  {docs}");
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Fields, in the order `credlink link {}` asks for them:",
        c.id
    );
    for f in c.fields.iter().filter(|f| !f.obtained) {
        let mut notes = Vec::new();
        if f.role == FieldRole::PrivateKey {
            notes.push("secret, a PEM or a JSON key file".to_owned());
        } else if f.secret && f.role.is_pem() {
            notes.push("secret, a PEM file".to_owned());
        } else if f.secret {
            notes.push("secret, hidden input".to_owned());
        } else if f.role.is_pem() {
            notes.push("a PEM file".to_owned());
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
    if let Some(warning) = key_in_url(c) {
        let _ = writeln!(s);
        let _ = writeln!(s, "Key in the URL: {warning}");
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
    if let Some((alt, when)) = alternative(ctx, c) {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Also for {}: {} (`credlink link {}`). {when}",
            c.product(),
            alt.name,
            alt.id
        );
    }
    if let Some(e) = &c.expiry {
        let _ = writeln!(s);
        let _ = writeln!(s, "Expires: {} (`test` warns before)", e.describe());
    }
    if let Some(note) = &c.revoke_note {
        let _ = writeln!(s);
        let _ = writeln!(s, "After `credlink revoke`: {}", fill(note, Some(c), ""));
    }
    if !c.sources.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Sources (confirmed: the provider's own docs; public: other public material; inferred: untested):"
        );
        for source in c
            .sources
            .iter()
            .chain(c.expiry.iter().flat_map(|e| &e.sources))
        {
            let _ = writeln!(s, "  - {} ({})", source.url, source.confidence.as_str());
            let _ = writeln!(s, "    {}", source.supports);
        }
    }
    ui::out(s.trim_end());
}
