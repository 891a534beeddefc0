//! `credlink token NAME`: a fresh access token on stdout, for `$(credlink token NAME)`. A token
//! cached in the store is reused until shortly before it expires.

use serde_json::json;

use crate::cli::TokenArgs;
use crate::commands::test::check_stored;
use crate::commands::{failure_lines, hint, next_step, stored};
use crate::connectors::Connector;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::outcome::{Class, Outcome};
use crate::store::{AccountName, CachedToken};
use crate::ui;

pub(crate) async fn run(ctx: &Context, args: &TokenArgs) -> CliResult<Class> {
    let name = AccountName::parse(&args.name)?;
    let account = ctx.store.linked(&name).await?;
    let connector = ctx.catalog.get(&account.connector)?;
    if !connector.auth().issues_tokens() {
        return Err(CliError::usage(format!(
            "`{name}` uses an API key ({}), which has no access token: the key itself is the credential",
            connector.name
        )));
    }
    // The secret is read even when a cached token will do: an account whose secret is gone
    // is not usable, for `token` as for `test`.
    let (account, connector, given) = match stored(ctx, account).await {
        Ok(found) => found,
        Err((_, failure)) => {
            return Ok(refused(
                ctx,
                Some(connector),
                &name,
                Outcome::local(failure),
            ));
        }
    };
    if !args.fresh
        && let Some(cached) = ctx.store.cached_token(&account).await?
        && cached.remaining().is_some_and(|left| left > args.min_ttl)
        // A token cached before tokens were checked is printed only if it is a plain token.
        && cached.access_token.expose().bytes().all(|b| b.is_ascii_graphic())
    {
        print(ctx, &name, &cached, true);
        return Ok(Class::Ok);
    }
    // A rotated refresh token is stored (with the new access token) before anything is
    // printed.
    let (outcome, _) = check_stored(ctx, account.clone(), connector, given).await;
    let Some(token) = outcome.token.clone().filter(|_| outcome.is_valid()) else {
        return Ok(refused(ctx, Some(connector), &name, outcome));
    };
    let cached = CachedToken::new(token.access_token, token.expires_in);
    if outcome.rotated.is_none() && !ctx.store.cache_token(&account, &cached).await? {
        return Err(CliError::new(
            Class::NotFound,
            format!("`{name}` was revoked or linked anew while the token was requested"),
        )
        .with_hint(format!("run `credlink token {name}` again")));
    }
    print(ctx, &name, &cached, false);
    Ok(Class::Ok)
}

/// No token: why, on stderr, and the outcome's exit code.
fn refused(
    ctx: &Context,
    connector: Option<&Connector>,
    name: &AccountName,
    outcome: Outcome,
) -> Class {
    let hint = outcome
        .failure
        .as_ref()
        .and_then(|f| hint(&ctx.catalog, connector, name.as_str(), f));
    let next = outcome
        .failure
        .as_ref()
        .and_then(|f| next_step(f, connector, name.as_str()));
    ui::err(&format!(
        "error: the provider did not issue a token for `{name}`"
    ));
    for line in failure_lines(&outcome, hint.as_deref(), next.as_deref()) {
        ui::err(&format!("  {line}"));
    }
    outcome.class()
}

/// The one place credlink prints a credential, because it was asked to: stdout only.
fn print(ctx: &Context, name: &AccountName, token: &CachedToken, cached: bool) {
    if ctx.json {
        let expires_at = token.expires_at.map(|at| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(at),
            )
            .to_string()
        });
        ui::out_json(&json!({
            "name": name.as_str(),
            "access_token": token.access_token.expose(),
            "token_type": "Bearer",
            "expires_in": token.remaining(),
            "expires_at": expires_at,
            "cached": cached,
        }));
    } else {
        ui::out(token.access_token.expose());
    }
}
