//! `credlink link CONNECTOR`: ask for the credentials, check them with a live request, and only
//! then save: the secret in the OS keychain, the rest in the index.

use serde_json::json;

use crate::check::{self, Credentials, Status};
use crate::cli::LinkArgs;
use crate::commands::{check_name, failure_lines, now, outcome_json, token_summary};
use crate::connectors::{Check, Connector};
use crate::context::Context;
use crate::error::CliError;
use crate::input::Checking;
use crate::secret::Secret;
use crate::store::{Account, CachedToken, secret_entries};
use crate::ui::{self, Spinner};

pub async fn run(ctx: &Context, args: &LinkArgs) -> anyhow::Result<u8> {
    let connector = ctx.catalog.get(&args.connector)?;
    // Fail before asking for anything when the secret could not be saved anyway.
    ctx.keychain.check().await?;
    if let Some(name) = &args.name {
        check_name(name)?;
        refuse_existing(ctx, name, args.force)?;
    }
    if ctx.interactive && !ctx.json {
        introduce(connector);
    }
    let creds = crate::input::collect(
        connector,
        &args.credentials,
        ctx.interactive,
        Checking::Strict,
    )?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => choose_name(ctx, connector, &creds, args.force)?,
    };

    let spinner = Spinner::start(
        format!("Checking the credentials with {}…", connector.name),
        !ctx.json,
    );
    let outcome = check::validate(&ctx.http, &ctx.catalog, connector, &creds).await;
    spinner.stop();
    let outcome = outcome?;
    if outcome.status != Status::Valid {
        if ctx.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&outcome_json(&name, &connector.id, &outcome))?
            );
        } else {
            eprintln!(
                "credlink: {} rejected or could not check the credentials; nothing was saved",
                connector.name
            );
            for line in failure_lines(&outcome) {
                eprintln!("  {line}");
            }
        }
        return Ok(outcome.status.exit_code());
    }

    let account = Account {
        name: name.clone(),
        connector: connector.id.clone(),
        auth: connector.auth().as_str().to_owned(),
        fields: creds
            .values
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        // RFC 6749 5.1: an answer without `scope` granted what was asked for.
        scope: outcome
            .scope
            .clone()
            .or_else(|| requested_scope(connector, &creds)),
        requested_scope: creds.scope.clone(),
        expires_in: outcome.expires_in,
        linked_at: now(),
        last_tested_at: Some(now()),
        last_status: Some(Status::Valid.as_str().to_owned()),
        keychain_entry: None,
    };
    save(
        ctx,
        &account,
        &creds,
        args.force,
        outcome.access_token.as_ref(),
    )
    .await?;

    if ctx.json {
        let mut value = outcome_json(&name, &connector.id, &outcome);
        value["linked"] = json!(true);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "Linked {name} ({}): {}",
            connector.name,
            token_summary(&outcome)
        );
    }
    Ok(0)
}

fn requested_scope(connector: &Connector, creds: &Credentials) -> Option<String> {
    match &connector.check {
        Check::OAuth(spec) => creds.scope.clone().or_else(|| spec.scope.clone()),
        Check::ApiKey(_) => None,
    }
}

fn refuse_existing(ctx: &Context, name: &str, force: bool) -> Result<(), CliError> {
    if !force && ctx.index.read()?.get(name).is_some() {
        return Err(
            CliError::usage(format!("an account named `{name}` is already linked"))
                .with_hint("choose another --name, or pass --force to replace it"),
        );
    }
    Ok(())
}

fn introduce(connector: &Connector) {
    eprintln!("Linking {} ({})", connector.name, connector.auth().as_str());
    for (i, step) in connector.steps.iter().enumerate() {
        eprintln!("  {}. {step}", i + 1);
    }
    if let Some(docs) = &connector.docs {
        eprintln!("  Docs: {docs}");
    }
    eprintln!();
}

fn choose_name(
    ctx: &Context,
    connector: &Connector,
    creds: &Credentials,
    force: bool,
) -> anyhow::Result<String> {
    let default = match creds.values.get("subdomain").filter(|s| !s.is_empty()) {
        Some(sub) => format!("{}-{sub}", connector.id),
        None => connector.id.clone(),
    };
    if !ctx.interactive {
        refuse_existing(ctx, &default, force)?;
        return Ok(default);
    }
    let existing = ctx.index.read()?;
    let name = ui::prompt_text("Account name", Some(&default), false, |v| {
        check_name(v).map_err(|e| e.message)?;
        match existing.get(v) {
            Some(_) if !force => Err(format!(
                "`{v}` is already linked: choose another name (or use --force)"
            )),
            _ => Ok(()),
        }
    })?;
    Ok(name.trim().to_owned())
}

/// Under the index lock: secret first, then the index record. A crash in between leaves an
/// orphan secret that `revoke` cleans up, never a record without its secret; a replacement
/// goes to the other of the account's two keychain entries, so the old record keeps its own
/// secret until the new record is written. A failed index write takes the new secret back out.
async fn save(
    ctx: &Context,
    account: &Account,
    creds: &Credentials,
    force: bool,
    token: Option<&Secret>,
) -> anyhow::Result<()> {
    let locked = ctx.index.lock()?;
    let mut data = locked.read()?;
    let old_entry = data.get(&account.name).map(|a| a.secret_entry().to_owned());
    if old_entry.is_some() && !force {
        return Err(CliError::usage(format!(
            "an account named `{}` was linked meanwhile",
            account.name
        ))
        .with_hint("choose another --name, or pass --force to replace it")
        .into());
    }
    let [primary, alternate] = secret_entries(&account.name);
    let entry = if old_entry.as_deref() == Some(primary.as_str()) {
        alternate
    } else {
        primary
    };
    ctx.keychain.set(&entry, &creds.secret).await?;
    crate::fault::point("link:after_keychain_write");
    let mut account = account.clone();
    account.keychain_entry = (entry != account.name).then(|| entry.clone());
    data.upsert(account.clone());
    if let Err(e) = locked.write(&data) {
        let _ = ctx.keychain.delete(&entry).await;
        return Err(e);
    }
    crate::fault::point("link:after_index_write");
    if let Some(old) = old_entry.filter(|old| *old != entry) {
        let _ = ctx.keychain.delete(&old).await;
    }
    // The token is kept only so `revoke` can revoke it at the provider; losing it is harmless.
    let _ = match token {
        Some(token) => {
            let cached = CachedToken::new(token.clone(), account.expires_in);
            ctx.keychain.set_token(&account.name, &cached).await
        }
        None => ctx.keychain.delete_token(&account.name).await.map(drop),
    };
    Ok(())
}
