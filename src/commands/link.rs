//! `credlink link CONNECTOR`: ask for the credentials, check them with a live request, and only
//! then save them in the store.

use crate::base::outcome::{Class, Outcome, Status};
use crate::catalog::{AuthKind, Check, Connector, FieldRole};
use crate::cli::LinkArgs;
use crate::commands::context::Context;
use crate::commands::error::print_error;
use crate::commands::error::{CliError, CliResult};
use crate::commands::expiry::{self, Learned};
use crate::commands::{
    failure_lines, hint, input_error, next_step, now, outcome_json, prepare, rotation_note,
    second_try_note, show_notes, token_summary,
};
use crate::provider::{self, Credentials};
use crate::store::{Account, AccountName, CachedToken, Replace, StoreError};
use crate::terminal::interrupt::Refreshing;
use crate::terminal::ui::{self, Spinner};

use super::{link_code, link_device};

pub(crate) async fn run(ctx: &Context, args: &LinkArgs) -> CliResult<Class> {
    let connector = ctx.catalog.get(&args.connector)?;
    let authorize = match &connector.check {
        Check::OAuth(spec) => spec.authorize.as_ref(),
        _ => None,
    };
    let device =
        matches!(&connector.check, Check::OAuth(spec) if spec.device_authorization.is_some());
    match authorize {
        Some(spec) => link_code::announce(connector, args, spec),
        None if device && args.redirect_port.is_some() => {
            return Err(CliError::usage(format!(
                "--redirect-port is for connectors that sign in through a browser redirect; `{}` is {}: it shows a code to enter in a browser",
                connector.id,
                connector.auth().as_str()
            )));
        }
        None if device => {}
        None if args.redirect_port.is_some() || args.no_browser => {
            return Err(CliError::usage(format!(
                "--redirect-port and --no-browser are for connectors that sign in through a browser; `{}` is {}",
                connector.id,
                connector.auth().as_str()
            )));
        }
        None => {}
    }
    // Fail before asking for anything when the secret could not be saved anyway.
    ctx.store.check_backend().await?;
    let given_name = args.name.as_deref().map(AccountName::parse).transpose()?;
    if let Some(name) = &given_name {
        ctx.store.ensure_free(name, args.force).await?;
    }
    if ctx.interactive && !ctx.json {
        introduce(connector);
    }
    let given = crate::input::gather(connector, &args.credentials.flags(), ctx.interactive)?;
    let named = given_name.as_ref().map_or("", AccountName::as_str);
    let prepared =
        prepare(connector, given).map_err(|f| input_error(&ctx.catalog, connector, named, f))?;
    show_notes(&prepared.notes, None);
    let creds = prepared.creds;
    let name = match given_name {
        Some(name) => name,
        None => choose_name(ctx, connector, &creds, args.force).await?,
    };

    // A given refresh token is spent by the check: a Ctrl-C from here waits until the rotated
    // one is saved (see `crate::terminal::interrupt`).
    let refreshing = (connector.auth() == AuthKind::Oauth2RefreshToken).then(Refreshing::start);
    // A browser sign-in gives the refresh token; other kinds check what was given.
    let (outcome, obtained) = match authorize {
        Some(spec) => link_code::sign_in(ctx, args, connector, spec, &creds).await?,
        None if device => link_device::sign_in(ctx, args, connector, &creds).await?,
        None => {
            let spinner = Spinner::start(
                format!("Checking the credentials with {}…", connector.name),
                !ctx.json,
            );
            let outcome =
                provider::check(&ctx.http, connector, &creds, ctx.check_permissions).await;
            spinner.stop();
            (outcome, None)
        }
    };
    if let Some(failure) = &outcome.failure {
        let hint = hint(&ctx.catalog, Some(connector), name.as_str(), failure);
        if ctx.json {
            ui::out_json(&outcome_json(name.as_str(), &connector.id, &outcome, hint));
        } else {
            let next = next_step(failure, Some(connector), "");
            let mut lines = failure_lines(&outcome, hint.as_deref(), next.as_deref());
            lines.extend(rotation_note(&outcome, false).map(|note| format!("note: {note}")));
            print_error(
                &format!(
                    "{} rejected or could not check the credentials; nothing was saved",
                    connector.name
                ),
                &lines,
            );
        }
        return Ok(outcome.class());
    }

    // A rotated refresh token is the one to keep: the one given no longer works. A browser
    // sign-in's is the first.
    let creds = match outcome.rotated.as_ref().or(obtained.as_ref()) {
        Some(new) => creds.with_refresh_token(new),
        None => creds,
    };
    // The form the provider accepted on a second try is the one kept.
    let creds = creds.accepted(&outcome);
    if let Some(note) = second_try_note(&connector.name, &outcome, true) {
        ui::note(&note);
    }
    let account = record(connector, &name, &creds, &outcome);
    let token = outcome
        .token
        .as_ref()
        .map(|t| CachedToken::new(t.access_token.clone(), t.expires_in));
    ctx.store
        .link(
            account,
            &super::stored_secret(connector, &creds),
            Replace::forced(args.force),
            token,
        )
        .await
        .map_err(|e| match e {
            StoreError::AlreadyLinked(name) => {
                CliError::usage(format!("an account named `{name}` was linked meanwhile"))
                    .with_hint(format!(
                        "choose another --name, or replace it: `{}`",
                        crate::cli::again(&["--force"])
                    ))
            }
            other => other.into(),
        })?;

    if ctx.json {
        let mut value = outcome_json(name.as_str(), &connector.id, &outcome, None);
        value["linked"] = true.into();
        ui::out_json(&value);
    } else {
        ui::out(&format!(
            "Linked {name} ({}): {}",
            connector.name,
            token_summary(&outcome)
        ));
        if let Some(note) = rotation_note(&outcome, true) {
            ui::err(&format!("note: {note}"));
        }
    }
    drop(refreshing);
    Ok(Class::Ok)
}

/// The index record of a newly checked account: non-secret values only.
fn record(
    connector: &Connector,
    name: &AccountName,
    creds: &Credentials,
    outcome: &Outcome,
) -> Account {
    let token = outcome.token.as_ref();
    let requested = crate::provider::scope(connector, creds).ok().flatten();
    let mut account = Account::new(name, &connector.id, connector.auth().as_str(), now());
    // PEM documents (a client certificate) are kept with the secret.
    account.fields = creds
        .values
        .iter()
        .filter(|(k, v)| !v.is_empty() && connector.field(k).is_none_or(|f| !f.role.is_pem()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // RFC 6749 5.1: an answer without `scope` granted what was asked for.
    account.scope = token.and_then(|t| t.scope.clone()).or(requested);
    account.requested_scope = creds.scope.clone();
    account.expires_in = token.and_then(|t| t.expires_in);
    account.last_tested_at = Some(now());
    account.last_status = Some(Status::Valid.as_str().to_owned());
    let learned = Learned::of(connector, creds, outcome);
    let now = provider::keys::now();
    account.expires =
        expiry::compute(Some(&account), Some(connector), &learned, now).map(expiry::Expiry::stored);
    account
}

fn introduce(connector: &Connector) {
    ui::err(&format!(
        "Linking {} ({})",
        connector.name,
        connector.auth().as_str()
    ));
    for (i, step) in connector.steps.iter().enumerate() {
        ui::err(&format!("  {}. {step}", i + 1));
    }
    for note in &connector.notes {
        ui::err(&format!("  - {note}"));
    }
    if let Some(docs) = &connector.docs {
        ui::err(&format!("  Docs: {docs}"));
    }
    ui::err("");
}

/// The name without `--name`: connector and subdomain, through the same validation as a
/// given name; at a terminal, offered as the default of a prompt. A taken name is refused and
/// a free one (`NAME-2`, ...) offered instead.
async fn choose_name(
    ctx: &Context,
    connector: &Connector,
    creds: &Credentials,
    force: bool,
) -> CliResult<AccountName> {
    let subdomain = Some(creds.value(connector, FieldRole::Subdomain));
    let default = AccountName::default_for(&connector.id, subdomain)?;
    if !ctx.interactive {
        ctx.store.ensure_free(&default, force).await?;
        return Ok(default);
    }
    let mut offered = default;
    loop {
        let typed = ui::prompt_text("Account name", Some(offered.as_str()), false, |v| {
            AccountName::parse(v).map(drop).map_err(|e| e.to_string())
        })?;
        let name = AccountName::parse(typed.trim())?;
        let Err(StoreError::AlreadyLinked(_)) = ctx.store.ensure_free(&name, force).await else {
            return Ok(name);
        };
        ui::err(&format!(
            "error: `{name}` is already linked: choose another name (or use --force)"
        ));
        // `acme-3` after `acme-2`, not `acme-2-2`.
        let (base, first) = match name.as_str().rsplit_once('-') {
            Some((base, n)) if !base.is_empty() => match n.parse::<u16>() {
                Ok(n) => (base, n.saturating_add(1)),
                Err(_) => (name.as_str(), 2),
            },
            _ => (name.as_str(), 2),
        };
        let mut free = None;
        for candidate in (first..=u16::MAX)
            .take(100)
            .filter_map(|n| AccountName::parse(&format!("{base}-{n}")).ok())
        {
            if ctx.store.ensure_free(&candidate, false).await.is_ok() {
                free = Some(candidate);
                break;
            }
        }
        offered = free.unwrap_or(name);
    }
}
