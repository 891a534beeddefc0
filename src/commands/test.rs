//! `credlink test`: live re-validation of stored accounts (concurrently, bounded), or of
//! credentials given by flags, environment or stdin for a CI job, storing nothing. `--explain`
//! runs the same path step by step (see `diagnose` and `explain`).

use std::time::SystemTime;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::base::outcome::{Class, Failure, Outcome, Status};
use crate::base::text;
use crate::catalog::Connector;
use crate::cli::{TestArgs, TestFormat};
use crate::commands::context::Context;
use crate::commands::diagnose;
use crate::commands::error::{CliError, CliResult};
use crate::commands::expiry::{self, Expiry, Health, Learned};
use crate::commands::formats::output::OutputFile;
use crate::commands::formats::report::{self, Diagnosis};
use crate::commands::formats::{self, AccountView, Verdict};
use crate::commands::{
    StoredAccount, failure_lines, hint, input_error, keep_rotated, next_step, now, outcome_json,
    prepare, rotation_note, second_try_note, show_notes, stored, token_summary,
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
    checked_at: SystemTime,
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

/// Where the results go: stdout shows `--json`'s document or a format; `--output` writes the
/// `--format` to a file and leaves stdout the human text; `--report` writes the HTML page.
struct Outputs {
    stdout: Stdout,
    file: Option<(TestFormat, OutputFile)>,
    report: Option<OutputFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stdout {
    Json,
    Shown(TestFormat),
}

impl Outputs {
    /// Decided before any check runs, so a bad `--output` or a clash of flags changes nothing.
    fn of(ctx: &Context, args: &TestArgs) -> CliResult<Self> {
        let file = match (&args.output, args.format) {
            (Some(path), Some(format)) => {
                Some((format, OutputFile::open("--output", path, &ctx.kept)?))
            }
            _ => None,
        };
        let chosen = if file.is_some() { None } else { args.format };
        let stdout = match (ctx.json, chosen) {
            (true, None) => Stdout::Json,
            (true, Some(_)) => {
                return Err(CliError::usage(
                    "--json and --format both choose what stdout shows: pick one, or add --output FILE for the --format",
                ));
            }
            (false, Some(format)) => Stdout::Shown(format),
            (false, None) if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") => {
                Stdout::Shown(TestFormat::Github)
            }
            (false, None) => Stdout::Shown(TestFormat::Text),
        };
        // Not onto the --output file either: one of the two would be lost.
        let mut kept = ctx.kept.clone();
        kept.extend(file.iter().map(|(_, f)| f.resolved().to_owned()));
        let report = match &args.report {
            Some(path) => Some(OutputFile::open("--report", path, &kept)?),
            None => None,
        };
        Ok(Self {
            stdout,
            file,
            report,
        })
    }

    /// A progress bar only above the human text.
    fn progress(&self) -> bool {
        matches!(
            self.stdout,
            Stdout::Shown(TestFormat::Text | TestFormat::Github)
        )
    }

    /// JSON Lines are written as each check finishes.
    fn finished(&self, report: &Report) {
        if self.stdout == Stdout::Shown(TestFormat::Jsonl) {
            ui::out(&report_json(report).to_string());
        }
    }
}

pub(crate) async fn run(ctx: &Context, args: &TestArgs) -> CliResult<Class> {
    if args.explain {
        return super::explain::run(ctx, args).await;
    }
    let started = SystemTime::now();
    let outputs = Outputs::of(ctx, args)?;
    let watch = Watch {
        now: crate::provider::keys::now(),
        window: args.warn_within.as_secs(),
        fail: args.fail_on_expiring,
    };
    if let Some(id) = &args.connector {
        let connector = ctx.catalog.get(id)?;
        let given = crate::input::gather(connector, &args.credentials.flags(), ctx.interactive)?;
        let again = outputs.report.is_some().then(|| given.clone());
        let prepared =
            prepare(connector, given).map_err(|f| input_error(&ctx.catalog, connector, "", f))?;
        show_notes(&prepared.notes, None);
        let outcome =
            provider::check(&ctx.http, connector, &prepared.creds, ctx.check_permissions).await;
        let learned = Learned::of(connector, &prepared.creds, &outcome);
        let mut report = report(ctx, connector.id.clone(), Some(connector), outcome, None);
        let expiry = expiry::compute(None, Some(connector), &learned, watch.now);
        watch.judge(&mut report, expiry);
        outputs.finished(&report);
        let diagnosis = match again {
            Some(given) if report.class(watch.fail) != Class::Ok => {
                Some(Ok(
                    diagnose::ad_hoc(ctx, connector, given, watch.explain()).await
                ))
            }
            _ => None,
        };
        return print(ctx, outputs, &[report], &[diagnosis], started, &watch);
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
        return print(ctx, outputs, &[], &[], started, &watch);
    }
    // A Ctrl-C while a refresh token is spent waits for it to be stored (see
    // `crate::terminal::interrupt`): then no more accounts are checked, and what was found is printed
    // before the run ends.
    let reporting = Reporting::start();
    let progress = Progress::start(accounts.len(), outputs.progress());
    let (found, mut recorder) = mpsc::unbounded_channel();
    let checks = Checks {
        ctx,
        outputs: &outputs,
        watch: &watch,
        progress: &progress,
        found,
    };
    let (reports, recorded) = tokio::join!(
        checks.run(accounts, usize::from(args.concurrency), &reporting),
        ctx.store
            .record_as_found(futures_util::stream::poll_fn(|cx| recorder.poll_recv(cx)))
    );
    progress.finish();
    let diagnoses = match outputs.report {
        Some(_) => diagnose_failures(ctx, &reports, &watch, args.concurrency, &reporting).await,
        None => Vec::new(),
    };
    let class = print(ctx, outputs, &reports, &diagnoses, started, &watch);
    // A result that cannot be recorded is still a result: say so, and exit with its code.
    if let Err(e) = recorded {
        let e = CliError::from(e);
        ui::err(&format!(
            "warning: the result was not recorded: {}",
            e.message
        ));
    }
    drop(reporting);
    class
}

/// `test`'s checks of stored accounts, as a pipeline: records and secrets are read ahead while
/// token requests run, `concurrency` checks at a time, and each result goes to the store's
/// recorder as it is found, so neither reading nor recording holds up the next check.
struct Checks<'a> {
    ctx: &'a Context,
    outputs: &'a Outputs,
    watch: &'a Watch,
    progress: &'a Progress,
    /// To the store's recorder.
    found: mpsc::UnboundedSender<Tested>,
}

impl Checks<'_> {
    /// The reports in the accounts' order, up to a Ctrl-C that stopped the run.
    async fn run(
        self,
        accounts: Vec<Account>,
        concurrency: usize,
        reporting: &Reporting,
    ) -> Vec<Report> {
        let ctx = self.ctx;
        let (ready, mut waiting) = mpsc::channel(concurrency);
        // Reads run ahead, `concurrency` at a time, and pause while `concurrency` more wait
        // read; after a Ctrl-C no more begin.
        let read = async move {
            let mut reads = std::pin::pin!(
                futures_util::stream::iter(accounts.into_iter().enumerate())
                    .take_while(|_| std::future::ready(!ready.is_closed()))
                    .map(|(at, account)| async move { (at, stored(ctx, account, true).await) })
                    .buffer_unordered(concurrency)
            );
            while let Some(read) = reads.next().await {
                if let Err(mpsc::error::SendError((_, Ok(s)))) = ready.send(read).await {
                    ctx.store.release(s.lease).await;
                }
            }
        };
        let this = &self;
        let check = async {
            let mut reports: Vec<(usize, Report)> =
                futures_util::stream::poll_fn(|cx| waiting.poll_recv(cx))
                    .map(|(at, read)| async move { (at, this.check(read).await) })
                    .buffer_unordered(concurrency)
                    .take_until(reporting.stopped())
                    .collect()
                    .await;
            // Stopped by a Ctrl-C: the turns of accounts read ahead are given back.
            waiting.close();
            while let Some((_, read)) = waiting.recv().await {
                if let Ok(s) = read {
                    ctx.store.release(s.lease).await;
                }
            }
            reports.sort_by_key(|(at, _)| *at);
            reports.into_iter().map(|(_, report)| report).collect()
        };
        let ((), reports) = tokio::join!(read, check);
        reports
    }

    async fn check(&self, read: Result<StoredAccount<'_>, (Account, Failure)>) -> Report {
        let report = test_stored(self.ctx, read, self.watch).await;
        self.outputs.finished(&report);
        // A run that gave up waiting for another's turn tested nothing: the other run records.
        if report.outcome.status() != Status::Conflict
            && let Some(account) = report.tested.clone()
        {
            let tested = Tested {
                account,
                status: report.status(),
                expires: report.expiry.map(Expiry::stored),
                at: now(),
            };
            // The recorder outlives the checks: the send cannot fail.
            let _ = self.found.send(tested);
        }
        self.progress.advance();
        report
    }
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

async fn test_stored(
    ctx: &Context,
    read: Result<StoredAccount<'_>, (Account, Failure)>,
    watch: &Watch,
) -> Report {
    let (mut report, learned) = match read {
        Err((account, failure)) => {
            let name = account.name.clone();
            let connector = account.connector.clone();
            let outcome = Outcome::local(failure);
            let known = ctx.catalog.get(&connector).ok();
            let report = report(ctx, name, known, outcome, Some(account));
            (report, Learned::default())
        }
        Ok(s) => {
            let name = s.account.name.clone();
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

/// For `--report`: each failing stored account diagnosed anew, as `test --explain NAME` does,
/// `concurrency` at a time; `None` beside the others.
async fn diagnose_failures(
    ctx: &Context,
    reports: &[Report],
    watch: &Watch,
    concurrency: u16,
    reporting: &Reporting,
) -> Vec<Option<Diagnosis>> {
    let failing = reports.iter().enumerate().filter_map(|(at, r)| {
        let failed = r.class(watch.fail) != Class::Ok && r.outcome.status() != Status::Conflict;
        Some((at, r.tested.as_ref().filter(|_| failed)?.name.clone()))
    });
    let found: Vec<(usize, Diagnosis)> = futures_util::stream::iter(failing)
        .map(|(at, name)| async move {
            let diagnosis = match AccountName::parse(&name) {
                Ok(name) => diagnose::stored_account(ctx, &name, watch.explain())
                    .await
                    .map_err(|e| e.message),
                Err(e) => Err(e.to_string()),
            };
            (at, diagnosis)
        })
        .buffer_unordered(usize::from(concurrency))
        .take_until(reporting.stopped())
        .collect()
        .await;
    let mut diagnoses: Vec<Option<Diagnosis>> = reports.iter().map(|_| None).collect();
    for (at, diagnosis) in found {
        diagnoses[at] = Some(diagnosis);
    }
    diagnoses
}

impl Watch {
    /// What the diagnosis judges a credential's end by.
    fn explain(&self) -> diagnose::Watch {
        (self.window, self.fail)
    }

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
        checked_at: SystemTime::now(),
        expiry: None,
        health: Health::Fine,
    }
}

/// The results on stdout and in the `--output` file; the class the run exits with is the
/// results' alone.
fn print(
    ctx: &Context,
    outputs: Outputs,
    reports: &[Report],
    diagnoses: &[Option<Diagnosis>],
    started: SystemTime,
    watch: &Watch,
) -> CliResult<Class> {
    let fail_on_expiring = watch.fail;
    for r in reports {
        let name = format!("{}: {}", r.name, r.connector_name);
        if let Some(note) = second_try_note(&name, &r.outcome, false) {
            ui::note(&note);
        }
    }
    let seconds = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
    let store = ctx.store.label();
    let views: Vec<AccountView> = reports
        .iter()
        .map(|r| view(r, &store, fail_on_expiring))
        .collect();
    match outputs.stdout {
        Stdout::Json => ui::out_json(&reports.iter().map(report_json).collect::<Vec<_>>()),
        Stdout::Shown(TestFormat::Jsonl) => {}
        Stdout::Shown(format) => {
            let text = render(format, reports, &views, started, seconds);
            ui::out(text.trim_end_matches('\n'));
        }
    }
    if let Some((format, file)) = outputs.file {
        file.finish(&render(format, reports, &views, started, seconds))?;
    }
    if let Some(file) = outputs.report {
        let run = report::Run {
            started,
            seconds,
            store: &store,
            now: watch.now,
            window: watch.window,
        };
        file.finish(&report::render(&run, &views, diagnoses))?;
    }
    Ok(Class::combine(
        reports.iter().map(|r| r.class(fail_on_expiring)),
    ))
}

fn render(
    format: TestFormat,
    reports: &[Report],
    views: &[AccountView],
    started: SystemTime,
    seconds: f64,
) -> String {
    match format {
        TestFormat::Text => human(reports),
        TestFormat::Github => human(reports) + &formats::github::render(views),
        TestFormat::Junit => formats::junit::render(views, started, seconds),
        TestFormat::Prometheus => formats::prometheus::render(views),
        TestFormat::Jsonl => reports
            .iter()
            .map(|r| report_json(r).to_string() + "\n")
            .collect(),
    }
}

/// An element of `test --json`'s array, and a line of `--format jsonl`.
fn report_json(r: &Report) -> serde_json::Value {
    let mut json = outcome_json(&r.name, &r.connector, &r.outcome, r.hint.clone());
    json["next"] = r.next.clone().into();
    json["status"] = r.status().into();
    json["expires"] = r.expiry.map(Expiry::json).into();
    json["warning"] = r.warning().into();
    json
}

impl Report {
    /// What to say about the credential's end, where anything is worth saying.
    fn warning(&self) -> Option<String> {
        let now = crate::provider::keys::now();
        self.expiry
            .and_then(|e| expiry::warning(e, self.health, now))
    }
}

fn view(r: &Report, store: &str, fail_on_expiring: bool) -> AccountView {
    let o = &r.outcome;
    let passed = o.is_valid();
    let class = r.class(fail_on_expiring);
    let mut summary = if passed { token_summary(o) } else { o.cause() };
    if let Some(warning) = r.warning() {
        summary = format!("{summary}; {warning}");
    }
    AccountView {
        name: r.name.clone(),
        connector: r.connector.clone(),
        store: if r.tested.is_some() { store } else { "none" }.to_owned(),
        verdict: match (passed, r.health, class) {
            (false, _, _) | (_, _, Class::Expiring) => Verdict::Failed,
            (true, Health::Expiring, _) => Verdict::Expiring,
            _ => Verdict::Passed,
        },
        status: r.status(),
        class: class.as_str(),
        summary: text::clean(&summary),
        hint: r.hint.as_deref().map(text::clean),
        next: r.next.clone(),
        seconds: o.latency_ms as f64 / 1000.0,
        checked_at: r.checked_at,
        expires_at: r.expiry.map(|e| e.at),
        expires_basis: r.expiry.map(|e| e.basis),
    }
}

/// The human text, a few lines per account.
fn human(reports: &[Report]) -> String {
    if reports.is_empty() {
        return "No linked accounts to test.\n".to_owned();
    }
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
            if let Some(warning) = r.warning() {
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
    text
}
