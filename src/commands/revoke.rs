//! `credlink revoke NAME`: revoke the account's refresh token (for the kinds that refresh),
//! else its last access token, at the provider where the connector declares how (RFC 7009),
//! then remove the account from the store. When the
//! provider's revocation fails nothing is removed, so running it again retries; a record
//! without a secret, or a secret or token without a record, is cleaned up.

use serde_json::json;

use crate::base::outcome::{Class, Outcome};
use crate::catalog::{Check, Connector, FieldRole};
use crate::cli::RevokeArgs;
use crate::commands::context::Context;
use crate::commands::error::CliResult;
use crate::commands::error::print_error;
use crate::commands::{failure_lines, fill, hint};
use crate::provider;
use crate::store::{AccountName, RefreshLease, Removal, Store};
use crate::terminal::ui;

pub(crate) async fn run(ctx: &Context, args: &RevokeArgs) -> CliResult<Class> {
    let name = AccountName::parse(&args.name)?;
    if !args.yes {
        if !ctx.interactive {
            return Err(crate::commands::error::CliError::usage(format!(
                "revoking `{name}` needs confirmation: pass --yes"
            )));
        }
        // A first look, for the question; everything is read again under the lock.
        let record = ctx.store.record(&name).await?;
        let connector = record
            .as_ref()
            .and_then(|r| ctx.catalog.get(&r.connector).ok());
        let what = match (&record, connector) {
            (_, Some(c)) => format!("{name} ({})", c.name),
            (Some(r), None) => format!(
                "{name} ({})",
                crate::base::text::clean_truncated(&r.connector, 64)
            ),
            (None, None) => name.to_string(),
        };
        let revokes = !args.local
            && connector
                .is_some_and(|c| matches!(&c.check, Check::OAuth(s) if s.revoke_url.is_some()));
        let question = if revokes {
            format!(
                "Remove {what} from {}, and revoke its last token at the provider?",
                ctx.store.kept_in()
            )
        } else {
            format!("Remove {what} from {}?", ctx.store.kept_in())
        };
        let confirmed = ui::confirm(&question)?;
        if !confirmed {
            ui::err("Nothing was changed.");
            print_json(ctx, &name, false, false, None);
            return Ok(Class::Ok);
        }
    }
    // Not while another run spends the refresh token: revoking it then would end the one that
    // run is about to store.
    let lease = refresh_turn(ctx, &name).await?;
    let result = remove(ctx, args, &name).await;
    ctx.store.release_revoked(&name, lease).await;
    result
}

/// This run's turn with the account's refresh token, when its connector spends one.
async fn refresh_turn(ctx: &Context, name: &AccountName) -> CliResult<Option<RefreshLease>> {
    let spends = ctx
        .store
        .record(name)
        .await?
        .and_then(|r| ctx.catalog.get(&r.connector).ok())
        .is_some_and(Connector::spends_refresh_token);
    if !spends {
        return Ok(None);
    }
    Ok(Some(ctx.store.refresh_lease(name, &ctx.turn()).await?))
}

/// Removes the account everywhere, after revoking its token at the provider where it can.
async fn remove(ctx: &Context, args: &RevokeArgs, name: &AccountName) -> CliResult<Class> {
    let removal = ctx.store.begin_removal(name).await?;
    if let Some(warning) = &removal.warning {
        ui::warn(warning);
    }
    let connector = removal
        .record
        .as_ref()
        .and_then(|r| ctx.catalog.get(&r.connector).ok());
    let at_provider = match connector {
        Some(connector) if !args.local => revoke_at_provider(ctx, connector, &removal).await,
        _ => None,
    };
    if let Some(outcome) = at_provider.as_ref().filter(|o| !o.is_valid()) {
        drop(removal);
        return Ok(report_failed_revocation(ctx, name, connector, outcome));
    }
    let removed = removal.finish().await?;
    let revoked = at_provider.as_ref().map(|_| "revoked".to_owned());
    print_json(ctx, name, removed.record, removed.secret, revoked);
    if !ctx.json {
        let team = matches!(ctx.store, Store::Vault(_));
        let what = match (removed.record, removed.secret) {
            (true, _) if team => "removed from the team store with all its versions".to_owned(),
            (false, _) if team => "removed its orphaned token from the team store".to_owned(),
            (true, true) => "removed from the index and the keychain".to_owned(),
            (true, false) => {
                "removed from the index (the keychain had no secret for it)".to_owned()
            }
            (false, true) => {
                "removed its orphaned secret from the keychain (the index had no record)".to_owned()
            }
            (false, false) => {
                "removed its orphaned token from the keychain (the index had no record)".to_owned()
            }
        };
        let mut text = format!("Revoked {name}: {what}");
        if at_provider.is_some() {
            text.push_str("\n  token at the provider: revoked");
        }
        ui::out(&text);
    }
    // What `revoke` cannot reach, such as the credential itself at the provider.
    if let Some(c) = connector
        && let Some(note) = &c.revoke_note
    {
        ui::note(&crate::base::text::clean(&fill(
            note,
            Some(c),
            name.as_str(),
        )));
    }
    Ok(Class::Ok)
}

/// RFC 7009 where the connector declares a revocation endpoint and a secret is stored: the
/// refresh token of an account that refreshes (which ends its access tokens too, RFC 7009 2.1),
/// else the last access token.
async fn revoke_at_provider(
    ctx: &Context,
    connector: &Connector,
    removal: &Removal<'_>,
) -> Option<Outcome> {
    let (Some(record), Some(secret)) = (&removal.record, &removal.secret) else {
        return None;
    };
    let given = super::given_stored(connector, record.fields.clone(), secret, None);
    let creds = match crate::commands::prepare(connector, given) {
        Ok(prepared) => prepared.creds,
        Err(f) => return Some(Outcome::local(f)),
    };
    let refreshes = connector.spends_refresh_token();
    match (
        refreshes,
        creds.secret(FieldRole::RefreshToken),
        &removal.token,
    ) {
        (true, Some(refresh), _) => {
            let refresh = refresh.clone();
            provider::revoke(&ctx.http, connector, &creds, &refresh, true).await
        }
        (_, _, Some(token)) => {
            provider::revoke(&ctx.http, connector, &creds, &token.access_token, false).await
        }
        _ => None,
    }
}

fn report_failed_revocation(
    ctx: &Context,
    name: &AccountName,
    connector: Option<&Connector>,
    outcome: &Outcome,
) -> Class {
    let hint = outcome
        .failure
        .as_ref()
        .and_then(|f| hint(&ctx.catalog, connector, name.as_str(), f));
    let failed = format!("failed: {}", outcome.cause());
    print_json(ctx, name, false, false, Some(failed));
    let mut lines = failure_lines(outcome, hint.as_deref(), None);
    lines.push(format!(
        "next: run `{}` again to retry once the provider answers, or `{}` to remove it here and leave the token to expire",
        crate::cli::again(&[]),
        crate::cli::again(&["--local"])
    ));
    print_error(
        &format!(
            "the provider did not revoke the token of `{name}`; nothing was removed, so the token can still be revoked"
        ),
        &lines,
    );
    outcome.class()
}

/// What `revoke --json` prints: what was removed, and what the provider's revocation did.
fn print_json(
    ctx: &Context,
    name: &AccountName,
    removed_record: bool,
    removed_secret: bool,
    provider_revocation: Option<String>,
) {
    if ctx.json {
        ui::out_json(&json!({
            "name": name.as_str(),
            "removed_record": removed_record,
            "removed_secret": removed_secret,
            "provider_revocation": provider_revocation,
        }));
    }
}
