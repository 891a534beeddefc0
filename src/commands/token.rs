//! `credlink token NAME`: a fresh access token on stdout, for `$(credlink token NAME)`. A token
//! cached in the store is reused until shortly before it expires.

use serde_json::json;

use crate::base::outcome::{Class, Failure, Outcome, Stage};
use crate::catalog::Connector;
use crate::cli::TokenArgs;
use crate::commands::context::Context;
use crate::commands::error::print_error;
use crate::commands::error::{CliError, CliResult};
use crate::commands::test::check_stored;
use crate::commands::{StoredAccount, failure_lines, hint, next_step, stored};
use crate::input::Given;
use crate::store::{Account, AccountName, CachedToken};
use crate::terminal::ui;

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
    let first = match stored(ctx, account, false).await {
        Ok(found) => found,
        Err((_, failure)) => return Ok(refused_locally(ctx, connector, &name, failure)),
    };
    let want = Freshness {
        min_ttl: args.min_ttl,
        fresh: args.fresh,
    };
    Ok(match obtain(ctx, &name, first, &want).await? {
        Got::Token { token, cached } => {
            print(ctx, &name, &token, cached);
            Class::Ok
        }
        Got::Refused(class) => class,
    })
}

/// How fresh a token must be: a cached one is reused only while it stays valid `min_ttl` more
/// seconds, and never with `fresh`.
pub(crate) struct Freshness {
    pub(crate) min_ttl: u64,
    pub(crate) fresh: bool,
}

/// A token for an account, or the class of why there is none (said on stderr).
pub(crate) enum Got {
    Token { token: CachedToken, cached: bool },
    Refused(Class),
}

/// The one path to an account's access token, for `token` and `exec`: the cached one while it
/// is fresh enough, else a new one from the provider, cached; a connector that spends a
/// refresh token takes the account's turn first. `first` is the account as read without it.
pub(crate) async fn obtain(
    ctx: &Context,
    name: &AccountName,
    first: StoredAccount<'_>,
    want: &Freshness,
) -> CliResult<Got> {
    let connector = first.connector;
    if let Some(cached) = usable_cached(ctx, &first.account, want).await? {
        return Ok(Got::Token {
            token: cached,
            cached: true,
        });
    }
    if !connector.spends_refresh_token() {
        return fresh(ctx, name, first.account, connector, first.given).await;
    }
    // A new token spends the refresh token: wait for this run's turn. The run before may
    // have cached a token meanwhile.
    let s = match stored(ctx, first.account, true).await {
        Ok(found) => found,
        Err((_, failure)) => {
            return Ok(Got::Refused(refused_locally(ctx, connector, name, failure)));
        }
    };
    let result = match usable_cached(ctx, &s.account, want).await {
        Ok(Some(cached)) => Ok(Got::Token {
            token: cached,
            cached: true,
        }),
        Ok(None) => fresh(ctx, name, s.account, s.connector, s.given).await,
        Err(e) => Err(e),
    };
    ctx.store.release(s.lease).await;
    result
}

pub(crate) fn refused_locally(
    ctx: &Context,
    connector: &Connector,
    name: &AccountName,
    failure: Failure,
) -> Class {
    refused(ctx, Some(connector), name, Outcome::local(failure))
}

/// The token cached for this link, unless `--fresh` or it expires within `--min-ttl`.
async fn usable_cached(
    ctx: &Context,
    account: &Account,
    want: &Freshness,
) -> CliResult<Option<CachedToken>> {
    if want.fresh {
        return Ok(None);
    }
    Ok(ctx.store.cached_token(account).await?.filter(|cached| {
        cached.remaining().is_some_and(|left| left > want.min_ttl)
            // A token cached before tokens were checked is printed only if it is a plain token.
            && cached.access_token.expose().bytes().all(|b| b.is_ascii_graphic())
    }))
}

/// A new token from the provider, cached for the link it was issued to.
async fn fresh(
    ctx: &Context,
    name: &AccountName,
    account: Account,
    connector: &Connector,
    given: Given,
) -> CliResult<Got> {
    // A rotated refresh token is stored (with the new access token) before anything is
    // printed.
    let (outcome, _, _) = check_stored(ctx, account.clone(), connector, given).await;
    let Some(token) = outcome.token.clone().filter(|_| outcome.is_valid()) else {
        return Ok(Got::Refused(refused(ctx, Some(connector), name, outcome)));
    };
    let cached = CachedToken::new(token.access_token, token.expires_in);
    if outcome.rotated.is_none() && !ctx.store.cache_token(&account, &cached).await? {
        return Err(CliError::new(
            Class::NotFound,
            format!("`{name}` was revoked or linked anew while the token was requested"),
        )
        .with_hint(format!("run `{}` again", crate::cli::again(&[]))));
    }
    Ok(Got::Token {
        token: cached,
        cached: false,
    })
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
    // A failure before any request (the store, a value) is not the provider's refusal.
    let asked = outcome
        .failure
        .as_ref()
        .is_none_or(|f| f.stage != Stage::Local);
    let noun = if connector.is_none_or(|c| c.auth().issues_tokens()) {
        "token"
    } else {
        "credentials"
    };
    let what = if asked {
        format!("the provider did not issue a token for `{name}`")
    } else {
        format!("no {noun} for `{name}`")
    };
    print_error(
        &what,
        &failure_lines(&outcome, hint.as_deref(), next.as_deref()),
    );
    if ctx.json {
        let mut err = CliError::new(outcome.class(), format!("{what}: {}", outcome.cause()));
        err.hint = hint;
        ui::out_json(&err.json());
    }
    outcome.class()
}

/// The one place credlink prints a credential, because it was asked to: stdout only.
fn print(ctx: &Context, name: &AccountName, token: &CachedToken, cached: bool) {
    if ctx.json {
        let expires_at = expires_at(token);
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

/// When the token expires, in RFC 3339, when the provider said.
pub(crate) fn expires_at(token: &CachedToken) -> Option<String> {
    token.expires_at.map(|at| {
        humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(at),
        )
        .to_string()
    })
}
