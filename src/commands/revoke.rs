//! `credlink revoke NAME`: remove an account from the index and the keychain, revoking its
//! last access token at the provider where the connector declares how (RFC 7009). Safe to
//! re-run: a record without a secret, or a secret without a record, is cleaned up.

use serde_json::json;

use crate::check::{self, Credentials, Status};
use crate::cli::RevokeArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::ui;

pub async fn run(ctx: &Context, args: &RevokeArgs) -> anyhow::Result<u8> {
    let name = &args.name;
    let record = ctx.index.read()?.get(name).cloned();
    let secret = ctx.keychain.get(name).await?;
    if record.is_none() && secret.is_none() {
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

    let mut at_provider = None;
    if let (Some(record), Some(secret)) = (&record, &secret)
        && let Ok(connector) = ctx.catalog.get(&record.connector)
        && let Some(token) = ctx.keychain.get_token(name).await?
    {
        let creds = Credentials {
            values: record.fields.clone(),
            secret: secret.clone(),
            scope: None,
        };
        at_provider = check::revoke(&ctx.http, connector, &creds, &token.access_token).await?;
    }

    // Under the index lock, so no `link` of the same name can slip in between. Index first: a
    // crash before the keychain delete leaves an orphan secret, which the next `revoke`
    // removes, never a listed account whose secret is gone.
    let locked = ctx.index.lock()?;
    let mut data = locked.read()?;
    let removed_record = data.remove(name).is_some();
    if removed_record {
        locked.write(&data)?;
    }
    crate::fault::point("revoke:after_index_write");
    let removed_secret = ctx.keychain.delete(name).await?;
    ctx.keychain.delete_token(name).await?;
    drop(locked);

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
