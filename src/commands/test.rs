//! `credlink test`: live re-validation of stored accounts (concurrently, bounded), or of
//! credentials given by flags, environment or stdin for a CI job, storing nothing. `--explain`
//! runs the same path step by step (see `diagnose` and `explain`).

use futures_util::StreamExt;

use crate::base::outcome::{Class, Outcome, Status};
use crate::catalog::Connector;
use crate::cli::TestArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::commands::expiry::{self, Expiry, Health, Learned};
use crate::commands::{
    failure_lines, hint, input_error, keep_rotated, next_step, now, outcome_json, prepare,
    rotation_note, show_notes, stored, token_summary,
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
    expiry: Option<Expiry>,
    health: Health,
}

impl Report {
    /// The `status` shown and recorded: `expiring` for a valid credential that ends soon.
    fn status(&self) -> &'static str {
        match self.health {
            Health::Expiring => "expiring",
            _ => self.outcome.status().as_str(),
        }
    }

    fn class(&self, fail_on_expiring: bool) -> Class {
        match self.health {
            Health::Expiring if fail_on_expiring => Class::Expiring,
            _ => self.outcome.class(),
        }
    }
}

/// How `test` treats a credential's end: the window and whether its end fails the run.
struct Watch {
    now: i64,
    window: u64,
    fail: bool,
}

pub(crate) async fn run(ctx: &Context, args: &TestArgs) -> CliResult<Class> {
    if args.explain {
        return super::explain::run(ctx, args).await;
    }
    let watch = Watch {
        now: crate::provider::keys::now(),
        window: args.warn_within.as_secs(),
        fail: args.fail_on_expiring,
    };
    if let Some(id) = &args.connector {
        let connector = ctx.catalog.get(id)?;
        let given = crate::input::gather(connector, &args.credentials.flags(), ctx.interactive)?;
        let prepared =
            prepare(connector, given).map_err(|f| input_error(&ctx.catalog, connector, "", f))?;
        show_notes(&prepared.notes, None);
        let outcome =
            provider::check(&ctx.http, connector, &prepared.creds, ctx.check_permissions).await;
        let learned = Learned::of(connector, &prepared.creds, &outcome);
        let mut report = report(ctx, connector.id.clone(), Some(connector), outcome, None);
        let expiry = expiry::compute(None, Some(connector), &learned, watch.now);
        watch.judge(&mut report, expiry);
        return Ok(print(ctx, &[report], watch.fail));
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
                let watch = &watch;
                async move {
                    let report = test_stored(ctx, account, watch).await;
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
                status: r.status(),
                expires: r.expiry.map(Expiry::stored),
            })
        })
        .collect();
    let class = print(ctx, &reports, watch.fail);
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
/// rotated refresh token. Returns the outcome, the record as it now stands, and what the check
/// learned of the credential's end.
pub(crate) async fn check_stored(
    ctx: &Context,
    account: Account,
    connector: &Connector,
    given: Given,
) -> (Outcome, Account, Learned) {
    match prepare(connector, given) {
        Err(f) => (Outcome::local(f), account, Learned::default()),
        Ok(prepared) => {
            show_notes(&prepared.notes, Some(&account.name));
            let mut outcome =
                provider::check(&ctx.http, connector, &prepared.creds, ctx.check_permissions).await;
            let learned = Learned::of(connector, &prepared.creds, &outcome);
            match keep_rotated(ctx, &account, connector, &prepared.creds, &outcome).await {
                Ok(Some(now)) => (outcome, now, learned),
                Ok(None) => (outcome, account, learned),
                Err(f) => {
                    outcome.failure = Some(f);
                    (outcome, account, learned)
                }
            }
        }
    }
}

async fn test_stored(ctx: &Context, account: Account, watch: &Watch) -> Report {
    let name = account.name.clone();
    let (mut report, learned) = match stored(ctx, account, true).await {
        Err((account, failure)) => {
            let connector = account.connector.clone();
            let outcome = Outcome::local(failure);
            let known = ctx.catalog.get(&connector).ok();
            let report = report(ctx, name, known, outcome, Some(account));
            (report, Learned::default())
        }
        Ok(s) => {
            let (outcome, account, learned) =
                check_stored(ctx, s.account, s.connector, s.given).await;
            ctx.store.release(s.lease).await;
            let report = report(ctx, name, Some(s.connector), outcome, Some(account));
            (report, learned)
        }
    };
    let known = ctx.catalog.get(&report.connector).ok();
    let expiry = report
        .tested
        .as_ref()
        .and_then(|a| expiry::compute(Some(a), known, &learned, watch.now));
    watch.judge(&mut report, expiry);
    report
}

impl Watch {
    fn judge(&self, report: &mut Report, expiry: Option<Expiry>) {
        report.expiry = expiry;
        report.health = expiry::health(expiry, report.outcome.is_valid(), self.now, self.window);
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
        expiry: None,
        health: Health::Fine,
    }
}

fn print(ctx: &Context, reports: &[Report], fail_on_expiring: bool) -> Class {
    let now = crate::provider::keys::now();
    if ctx.json {
        let all: Vec<_> = reports
            .iter()
            .map(|r| {
                let mut json = outcome_json(&r.name, &r.connector, &r.outcome, r.hint.clone());
                json["next"] = r.next.clone().into();
                json["status"] = r.status().into();
                json["expires"] = r.expiry.map(Expiry::json).into();
                json["warning"] = r
                    .expiry
                    .and_then(|e| expiry::warning(e, r.health, now))
                    .into();
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
                    "{} ({connector}): {}, {}\n",
                    r.name,
                    r.status(),
                    token_summary(o)
                ));
                if let Some(warning) = r.expiry.and_then(|e| expiry::warning(e, r.health, now)) {
                    text.push_str(&format!("    warning: {warning}\n"));
                }
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
    Class::combine(reports.iter().map(|r| r.class(fail_on_expiring)))
}
