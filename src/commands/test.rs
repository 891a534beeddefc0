//! `credlink test`: live re-validation of stored accounts (concurrently, bounded), or of
//! credentials given by flags, environment or stdin for a CI job, storing nothing.

use futures_util::StreamExt;

use crate::check::{self, Outcome, Status};
use crate::cli::{CredentialArgs, TestArgs};
use crate::commands::{failure_lines, now, outcome_json, token_summary};
use crate::context::Context;
use crate::error::{CliError, exit};
use crate::explain::{self, Diagnosis, StepStatus};
use crate::input::Checking;
use crate::store::Account;
use crate::ui::Progress;

struct Report {
    name: String,
    connector: String,
    outcome: Outcome,
}

pub async fn run(ctx: &Context, args: &TestArgs) -> anyhow::Result<u8> {
    if args.explain {
        return explain(ctx, args).await;
    }
    if let Some(id) = &args.connector {
        let connector = ctx.catalog.get(id)?;
        let creds = crate::input::collect(
            connector,
            &args.credentials,
            ctx.interactive,
            Checking::Strict,
        )?;
        let outcome = check::validate(&ctx.http, &ctx.catalog, connector, &creds).await?;
        let report = Report {
            name: connector.id.clone(),
            connector: connector.id.clone(),
            outcome,
        };
        return print(ctx, &[report]);
    }
    if has_credentials(&args.credentials) {
        return Err(CliError::usage(
            "credential flags (--client-id, --subdomain, --field, ...) go with --connector",
        )
        .with_hint("stored accounts are tested with their stored credentials")
        .into());
    }
    let data = ctx.index.read()?;
    let accounts: Vec<Account> = if args.all {
        data.accounts.clone()
    } else if args.names.is_empty() {
        return Err(CliError::usage(
            "name the accounts to test, or pass --all, or --connector ID for ad hoc credentials",
        )
        .into());
    } else {
        let mut picked = Vec::new();
        for name in &args.names {
            let account = data.get(name).ok_or_else(|| {
                CliError::not_found(format!("no linked account named `{name}`"))
                    .with_hint("see `credlink list`")
            })?;
            picked.push(account.clone());
        }
        picked
    };
    if accounts.is_empty() {
        if ctx.json {
            println!("[]");
        } else {
            println!("No linked accounts to test.");
        }
        return Ok(exit::OK);
    }
    let progress = Progress::start(accounts.len(), !ctx.json);
    let reports: Vec<Report> = futures_util::stream::iter(accounts)
        .map(|account| async {
            let report = test_account(ctx, account).await;
            progress.advance();
            report
        })
        .buffered(usize::from(args.concurrency))
        .collect()
        .await;
    progress.finish();
    let tested_at = now();
    ctx.index.update(|data| {
        for r in &reports {
            if let Some(account) = data.get_mut(&r.name) {
                account.last_tested_at = Some(tested_at.clone());
                account.last_status = Some(r.outcome.status.as_str().to_owned());
            }
        }
        Ok(())
    })?;
    print(ctx, &reports)
}

/// `--explain`: one account (stored or ad hoc), step by step.
async fn explain(ctx: &Context, args: &TestArgs) -> anyhow::Result<u8> {
    let (connector, mut diagnosis, creds) = if let Some(id) = &args.connector {
        let connector = ctx.catalog.get(id)?;
        let mut d = Diagnosis::new(&connector.id, &connector.id);
        let creds = match crate::input::collect(
            connector,
            &args.credentials,
            ctx.interactive,
            Checking::AsGiven,
        ) {
            Ok(creds) => Some(creds),
            Err(e) => {
                let (message, hint) = match crate::error::find_cli_error(&e) {
                    Some(c) => (c.message.clone(), c.hint.clone()),
                    None => (e.to_string(), None),
                };
                d.fail("input", None, message, hint, crate::error::exit_code(&e));
                None
            }
        };
        (connector, d, creds)
    } else {
        let [name] = args.names.as_slice() else {
            return Err(CliError::usage(
                "--explain diagnoses one account: name it, or use --connector ID",
            )
            .into());
        };
        if has_credentials(&args.credentials) {
            return Err(CliError::usage(
                "credential flags (--client-id, --subdomain, --field, ...) go with --connector",
            )
            .into());
        }
        let account = ctx.index.read()?.get(name).cloned().ok_or_else(|| {
            CliError::not_found(format!("no linked account named `{name}`"))
                .with_hint("see `credlink list`")
        })?;
        let connector = ctx.catalog.get(&account.connector)?;
        let mut d = Diagnosis::new(name, &connector.id);
        let started = std::time::Instant::now();
        let creds = match ctx.keychain.get(account.secret_entry()).await {
            Ok(Some(secret)) => {
                let detail = format!(
                    "secret found in the OS keychain (service {})",
                    ctx.keychain.service()
                );
                d.push(
                    "keychain",
                    StepStatus::Ok,
                    explain::since(started),
                    detail,
                    None,
                );
                Some(check::Credentials {
                    values: account.fields.clone(),
                    secret,
                    scope: account.requested_scope.clone(),
                })
            }
            Ok(None) => {
                let hint = ctx.catalog.hint(Some(connector), "secret_missing");
                d.fail(
                    "keychain",
                    explain::since(started),
                    "the OS keychain has no secret for this account".into(),
                    hint,
                    exit::NOT_FOUND,
                );
                None
            }
            Err(e) => {
                d.fail(
                    "keychain",
                    explain::since(started),
                    e.message,
                    e.hint,
                    exit::KEYCHAIN,
                );
                None
            }
        };
        (connector, d, creds)
    };
    if let Some(creds) = &creds {
        crate::explain::diagnose(ctx, connector, creds, &mut diagnosis).await;
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&diagnosis.to_json())?);
    } else {
        diagnosis.print(&format!("{} ({})", diagnosis.name, connector.name));
    }
    Ok(diagnosis.exit_code)
}

fn has_credentials(c: &CredentialArgs) -> bool {
    c.subdomain.is_some()
        || c.client_id.is_some()
        || c.client_secret_stdin
        || c.api_key_stdin
        || !c.fields.is_empty()
        || c.scope.is_some()
}

async fn test_account(ctx: &Context, account: Account) -> Report {
    let outcome = check_account(ctx, &account).await;
    Report {
        name: account.name,
        connector: account.connector,
        outcome,
    }
}

async fn check_account(ctx: &Context, account: &Account) -> Outcome {
    let problem = |status: Status, description: String, hint: Option<String>| {
        let mut o = Outcome::failed(status, None, 0);
        o.error_description = Some(description);
        o.hint = hint;
        o
    };
    let connector = match ctx.catalog.get(&account.connector) {
        Ok(c) => c,
        Err(e) => return problem(Status::UnknownConnector, e.message, e.hint),
    };
    let secret = match ctx.keychain.get(account.secret_entry()).await {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            let hint = ctx.catalog.hint(Some(connector), "secret_missing");
            return problem(
                Status::SecretMissing,
                "the OS keychain has no secret for this account".into(),
                hint,
            );
        }
        Err(e) => return problem(Status::KeychainError, e.message, e.hint),
    };
    let creds = check::Credentials {
        values: account.fields.clone(),
        secret,
        scope: account.requested_scope.clone(),
    };
    match check::validate(&ctx.http, &ctx.catalog, connector, &creds).await {
        Ok(outcome) => outcome,
        Err(e) => problem(Status::Rejected, e.message, e.hint),
    }
}

fn print(ctx: &Context, reports: &[Report]) -> anyhow::Result<u8> {
    if ctx.json {
        let all: Vec<_> = reports
            .iter()
            .map(|r| outcome_json(&r.name, &r.connector, &r.outcome))
            .collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        for r in reports {
            let o = &r.outcome;
            if o.status == Status::Valid {
                println!("{} ({}): valid, {}", r.name, r.connector, token_summary(o));
            } else {
                println!(
                    "{} ({}): {}",
                    r.name,
                    r.connector,
                    o.status.as_str().replace('_', " ")
                );
                for line in failure_lines(o) {
                    println!("    {line}");
                }
            }
        }
    }
    Ok(exit_status(reports.iter().map(|r| r.outcome.status)))
}

/// 0 when all pass, else 3 if any was rejected, else the code of the first failure.
fn exit_status(statuses: impl Iterator<Item = Status> + Clone) -> u8 {
    if statuses.clone().any(|s| s == Status::Rejected) {
        return exit::REJECTED;
    }
    statuses
        .map(Status::exit_code)
        .find(|&c| c != exit::OK)
        .unwrap_or(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_prefers_rejections_then_the_first_failure() {
        use Status::*;
        assert_eq!(exit_status([Valid, Valid].into_iter()), 0);
        assert_eq!(exit_status([Unreachable, Rejected].into_iter()), 3);
        assert_eq!(
            exit_status([Valid, SecretMissing, Unreachable].into_iter()),
            6
        );
        assert_eq!(exit_status([KeychainError, Unreachable].into_iter()), 5);
    }
}
