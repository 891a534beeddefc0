//! `credlink revoke NAME`: remove an account from the index and the keychain, revoking its
//! last access token at the provider where the connector declares how (RFC 7009). Safe to
//! re-run: a record without a secret, or a secret without a record, is cleaned up.

use serde_json::json;

use crate::check::{self, Credentials, Status};
use crate::cli::RevokeArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::store::{Account, secret_entries};
use crate::ui;

pub async fn run(ctx: &Context, args: &RevokeArgs) -> anyhow::Result<u8> {
    let name = &args.name;
    let entries = secret_entries(name);
    // A first look, for the question; everything is read again under the lock.
    let record = ctx.index.read()?.get(name).cloned();
    if record.is_none() && !has_secret(ctx, &entries).await? {
        return Err(
            CliError::not_found(format!("no linked account named `{name}`"))
                .with_hint("see `credlink list`")
                .into(),
        );
    }
    if !args.yes {
        if !ctx.interactive {
            return Err(CliError::usage(format!(
                "revoking `{name}` needs confirmation: pass --yes"
            ))
            .into());
        }
        let what = record
            .as_ref()
            .map_or_else(|| name.clone(), |r| format!("{name} ({})", r.connector));
        if !ui::confirm(&format!("Remove {what} from the keychain and the index?"))? {
            eprintln!("Nothing was changed.");
            return Ok(0);
        }
    }

    // Under the index lock, so no `link` of the same name can slip in between. Index first: a
    // crash before the keychain delete leaves an orphan secret, which the next `revoke`
    // removes, never a listed account whose secret is gone.
    let locked = ctx.index.lock()?;
    let mut data = locked.read()?;
    let record = data.remove(name);
    let at_provider = match &record {
        Some(record) => revoke_at_provider(ctx, record).await?,
        None => None,
    };
    if record.is_some() {
        locked.write(&data)?;
    }
    crate::fault::point("revoke:after_index_write");
    let mut removed_secret = false;
    for entry in &entries {
        removed_secret |= ctx.keychain.delete(entry).await?;
    }
    ctx.keychain.delete_token(name).await?;
    drop(locked);
    let removed_record = record.is_some();

    let provider_result = at_provider.as_ref().map(|o| {
        if o.status == Status::Valid {
            "revoked".to_owned()
        } else {
            format!("failed: {}", o.cause())
        }
    });
    if ctx.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "name": name,
                "removed_record": removed_record,
                "removed_secret": removed_secret,
                "provider_revocation": provider_result,
            }))?
        );
    } else {
        let what = match (removed_record, removed_secret) {
            (true, true) => "removed from the index and the keychain".to_owned(),
            (true, false) => {
                "removed from the index (the keychain had no secret for it)".to_owned()
            }
            (false, _) => {
                "removed its orphaned secret from the keychain (the index had no record)".to_owned()
            }
        };
        println!("Revoked {name}: {what}");
        if let Some(result) = provider_result {
            println!("  token at the provider: {result}");
        }
    }
    Ok(0)
}

async fn has_secret(ctx: &Context, entries: &[String]) -> Result<bool, CliError> {
    for entry in entries {
        if ctx.keychain.get(entry).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// RFC 7009 for the last access token, where the connector declares a revocation endpoint.
async fn revoke_at_provider(
    ctx: &Context,
    record: &Account,
) -> Result<Option<check::Outcome>, CliError> {
    let Ok(connector) = ctx.catalog.get(&record.connector) else {
        return Ok(None);
    };
    let (Some(secret), Some(token)) = (
        ctx.keychain.get(record.secret_entry()).await?,
        ctx.keychain.get_token(&record.name).await?,
    ) else {
        return Ok(None);
    };
    let creds = Credentials {
        values: record.fields.clone(),
        secret,
        scope: None,
    };
    check::revoke(&ctx.http, connector, &creds, &token.access_token).await
}
