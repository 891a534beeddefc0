//! `credlink token NAME`: a fresh access token on stdout, for `$(credlink token NAME)`. A token
//! cached in the keychain is reused until shortly before it expires.

use serde_json::json;

use crate::check::{self, Credentials, Status};
use crate::cli::TokenArgs;
use crate::commands::failure_lines;
use crate::connectors::AuthKind;
use crate::context::Context;
use crate::error::CliError;
use crate::store::CachedToken;

pub async fn run(ctx: &Context, args: &TokenArgs) -> anyhow::Result<u8> {
    let name = &args.name;
    let account = ctx.index.read()?.get(name).cloned().ok_or_else(|| {
        CliError::not_found(format!("no linked account named `{name}`"))
            .with_hint("see `credlink list`")
    })?;
    let connector = ctx.catalog.get(&account.connector)?;
    if connector.auth() != AuthKind::Oauth2ClientCredentials {
        return Err(CliError::usage(format!(
            "`{name}` uses an API key ({}), which has no access token: the key itself is the credential",
            connector.name
        ))
        .into());
    }
    if !args.fresh
        && let Some(cached) = ctx.keychain.get_token(name).await?
        && cached.remaining().is_some_and(|left| left > args.min_ttl)
    {
        print(ctx, name, &cached, true)?;
        return Ok(0);
    }
    let secret = ctx
        .keychain
        .get(account.secret_entry())
        .await?
        .ok_or_else(|| {
            let hint = ctx
                .catalog
                .hint(Some(connector), "secret_missing")
                .unwrap_or_default();
            CliError::not_found(format!("the OS keychain has no secret for `{name}`"))
                .with_hint(hint)
        })?;
    let creds = Credentials {
        values: account.fields.clone(),
        secret,
        scope: account.requested_scope.clone(),
    };
    let outcome = check::validate(&ctx.http, &ctx.catalog, connector, &creds).await?;
    let (Status::Valid, Some(token)) = (outcome.status, outcome.access_token.clone()) else {
        eprintln!(
            "credlink: {} did not issue a token for `{name}`",
            connector.name
        );
        for line in failure_lines(&outcome) {
            eprintln!("  {line}");
        }
        return Ok(outcome.status.exit_code());
    };
    let cached = CachedToken::new(token, outcome.expires_in);
    ctx.keychain.set_token(name, &cached).await?;
    print(ctx, name, &cached, false)?;
    Ok(0)
}

/// The one place credlink prints a credential, because it was asked to: stdout only.
fn print(ctx: &Context, name: &str, token: &CachedToken, cached: bool) -> anyhow::Result<()> {
    if ctx.json {
        let expires_at = token.expires_at.map(|at| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(at),
            )
            .to_string()
        });
        let value = json!({
            "name": name,
            "access_token": token.access_token.expose(),
            "token_type": "Bearer",
            "expires_in": token.remaining(),
            "expires_at": expires_at,
            "cached": cached,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{}", token.access_token.expose());
    }
    Ok(())
}
