//! `credlink test`: live re-validation of stored accounts (concurrently, bounded), or of
//! credentials given by flags, environment or stdin for a CI job, storing nothing. `--explain`
//! runs the same path step by step (see `diagnose` and `explain`).

use futures_util::StreamExt;

use crate::base::outcome::{Class, Outcome, Status};
use crate::catalog::Connector;
use crate::cli::TestArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::commands::{
    failure_lines, hint, input_error, keep_rotated, next_step, now, outcome_json, prepare,
    rotation_note, second_try_note, show_notes, stored, token_summary,
};
use crate::input::Given;
use crate::provider;
use crate::store::{Account, AccountName, Tested};
use crate::terminal::interrupt::Reporting;
use crate::terminal::ui::{self, Progress};

/// One account's result, as shown.
struct Report {
    name: String,
    connector: String,
    /// The connector's display name, for people.
    connector_name: String,
    next: Option<String>,
    outcome: Outcome,
    hint: Option<String>,
    /// The record the result was found for, when the account is stored.
    tested: Option<Account>,
}

pub(crate) async fn run(ctx: &Context, args: &TestArgs) -> CliResult<Class> {
    if args.explain {
        return super::explain::run(ctx, args).await;
    }
    if let Some(id) = &args.connector {
        let connector = ctx.catalog.get(id)?;
        let given = crate::input::gather(connector, &args.credentials.flags(), ctx.interactive)?;
        let prepared =
            prepare(connector, given).map_err(|f| input_error(&ctx.catalog, connector, "", f))?;
        show_notes(&prepared.notes, None);
        let outcome =
            provider::check(&ctx.http, connector, &prepared.creds, ctx.check_permissions).await;
        let report = report(ctx, connector.id.clone(), Some(connector), outcome, None);
        return Ok(print(ctx, &[report]));
    }
    super::refuse_credential_flags(&args.credentials.flags())?;
    let accounts = if args.all {
        ctx.store.records().await?
    } else if args.names.is_empty() {
        return Err(CliError::usage(
            "name the accounts to test, or pass --all, or --connector ID for ad hoc credentials",
        ));
    } else {
        let mut picked = Vec::new();
        for name in &args.names {
            picked.push(ctx.store.linked(&AccountName::parse(name)?).await?);
        }
        picked
    };
    if accounts.is_empty() {
        if ctx.json {
            ui::out_json(&serde_json::json!([]));
        } else {
            ui::out("No linked accounts to test.");
        }
        return Ok(Class::Ok);
    }
    // A Ctrl-C while a refresh token is spent waits for it to be stored (see
    // `crate::terminal::interrupt`): then no more accounts are checked, and what was found is printed
    // before the run ends.
    let reporting = Reporting::start();
    let progress = Progress::start(accounts.len(), !ctx.json);
    let mut reports: Vec<(usize, Report)> =
        futures_util::stream::iter(accounts.into_iter().enumerate())
            .map(|(at, account)| {
                let progress = &progress;
                async move {
                    let report = test_stored(ctx, account).await;
                    progress.advance();
                    (at, report)
                }
            })
            .buffer_unordered(usize::from(args.concurrency))
            .take_until(reporting.stopped())
            .collect()
            .await;
    progress.finish();
    reports.sort_by_key(|(at, _)| *at);
    let reports: Vec<Report> = reports.into_iter().map(|(_, report)| report).collect();
    // A run that gave up waiting for another's turn tested nothing: the other run records.
    let tested: Vec<Tested> = reports
        .iter()
        .filter(|r| r.outcome.status() != Status::Conflict)
        .filter_map(|r| {
            Some(Tested {
                account: r.tested.clone()?,
                status: r.outcome.status().as_str(),
            })
        })
        .collect();
    let class = print(ctx, &reports);
    // A result that cannot be recorded is still a result: say so, and exit with its code.
    if let Err(e) = ctx.store.record_results(&tested, &now()).await {
        let e = CliError::from(e);
        ui::err(&format!(
            "warning: the result was not recorded: {}",
            e.message
        ));
    }
    drop(reporting);
    Ok(class)
}

/// The one path from a stored account's values to an outcome: prepare, check, and keep a
/// rotated refresh token. Returns the outcome and the record as it now stands.
pub(crate) async fn check_stored(
    ctx: &Context,
    account: Account,
    connector: &Connector,
    given: Given,
) -> (Outcome, Account) {
    match prepare(connector, given) {
        Err(f) => (Outcome::local(f), account),
        Ok(prepared) => {
            show_notes(&prepared.notes, Some(&account.name));
            let mut outcome =
                provider::check(&ctx.http, connector, &prepared.creds, ctx.check_permissions).await;
            match keep_rotated(ctx, &account, connector, &prepared.creds, &outcome).await {
                Ok(Some(now)) => (outcome, now),
                Ok(None) => (outcome, account),
                Err(f) => {
                    outcome.failure = Some(f);
                    (outcome, account)
                }
            }
        }
    }
}

async fn test_stored(ctx: &Context, account: Account) -> Report {
    let name = account.name.clone();
    match stored(ctx, account, true).await {
        Err((account, failure)) => {
            let connector = account.connector.clone();
            let outcome = Outcome::local(failure);
            let known = ctx.catalog.get(&connector).ok();
            report(ctx, name, known, outcome, Some(account))
        }
        Ok(s) => {
            let (outcome, account) = check_stored(ctx, s.account, s.connector, s.given).await;
            ctx.store.release(s.lease).await;
            report(ctx, name, Some(s.connector), outcome, Some(account))
        }
    }
}

fn report(
    ctx: &Context,
    name: String,
    connector: Option<&Connector>,
    outcome: Outcome,
    tested: Option<Account>,
) -> Report {
    let account_name = if tested.is_some() { name.as_str() } else { "" };
    let hint = outcome
        .failure
        .as_ref()
        .and_then(|f| hint(&ctx.catalog, connector, account_name, f));
    let next = outcome
        .failure
        .as_ref()
        .and_then(|f| next_step(f, connector, account_name));
    let connector_name = connector.map_or_else(
        || {
            tested
                .as_ref()
                .map(|a| a.connector.clone())
                .unwrap_or_default()
        },
        |c| c.name.clone(),
    );
    Report {
        connector_name,
        next,
        connector: connector.map_or_else(
            || {
                tested
                    .as_ref()
                    .map(|a| a.connector.clone())
                    .unwrap_or_default()
            },
            |c| c.id.clone(),
        ),
        name,
        outcome,
        hint,
        tested,
    }
}

fn print(ctx: &Context, reports: &[Report]) -> Class {
    for r in reports {
        let name = format!("{}: {}", r.name, r.connector_name);
        if let Some(note) = second_try_note(&name, &r.outcome, false) {
            ui::note(&note);
        }
    }
    if ctx.json {
        let all: Vec<_> = reports
            .iter()
            .map(|r| {
                let mut json = outcome_json(&r.name, &r.connector, &r.outcome, r.hint.clone());
                json["next"] = r.next.clone().into();
                json
            })
            .collect();
        ui::out_json(&all);
    } else {
        let mut text = String::new();
        for r in reports {
            let o = &r.outcome;
            let connector = crate::base::text::clean_truncated(&r.connector_name, 64);
            if o.is_valid() {
                text.push_str(&format!(
                    "{} ({connector}): valid, {}\n",
                    r.name,
                    token_summary(o)
                ));
                if let Some(note) = rotation_note(o, r.tested.is_some()) {
                    text.push_str(&format!("    note: {note}\n"));
                }
            } else {
                let status = o.status().as_str().replace('_', " ");
                text.push_str(&format!("{} ({connector}): {status}\n", r.name));
                for line in failure_lines(o, r.hint.as_deref(), r.next.as_deref()) {
                    text.push_str(&format!("    {line}\n"));
                }
                // A failure after a rotation (a permission check): the new token is kept.
                if o.failure
                    .as_ref()
                    .is_some_and(|f| !matches!(f.kind, crate::base::outcome::FailureKind::Store(_)))
                    && let Some(note) = rotation_note(o, r.tested.is_some())
                {
                    text.push_str(&format!("    note: {note}\n"));
                }
            }
        }
        ui::out(text.trim_end_matches('\n'));
    }
    Class::combine(reports.iter().map(|r| r.outcome.class()))
}
