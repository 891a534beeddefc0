//! `credlink store copy`: accounts from one store to another (the keychain and a team store,
//! either way), record and secret, each read back from the target before it counts as copied.
//! The source is left as it was unless `--move` is given, and then only after the read-back.
//! An account that spends a refresh token is copied during this run's turn with it, so that no
//! other run rotates the token between the read and the write (which would leave a spent one
//! in the target).

use std::time::Duration;

use clap::ValueEnum;

use serde_json::json;

use crate::base::outcome::Class;
use crate::base::text;
use crate::catalog::{AuthKind, Catalog};
use crate::cli::{Cli, StoreCopyArgs};
use crate::commands::context;
use crate::commands::error::print_error;
use crate::commands::error::{CliError, CliResult};
use crate::store::{Account, AccountName, Replace, Store, StoreError, StoreSpec, Turn};
use crate::terminal::ui;

/// The two stores and how long a refresh turn may be held or waited for.
struct Copy<'a> {
    from: Store,
    to: Store,
    catalog: Catalog,
    args: &'a StoreCopyArgs,
    to_spec: StoreSpec,
    hold: Duration,
    wait: Duration,
}

pub(crate) async fn run(cli: &Cli, args: &StoreCopyArgs) -> CliResult<Class> {
    let from_spec =
        StoreSpec::parse(&args.from).map_err(|e| CliError::usage(format!("--from: {e}")))?;
    let to_spec = StoreSpec::parse(&args.to).map_err(|e| CliError::usage(format!("--to: {e}")))?;
    if from_spec == to_spec {
        return Err(CliError::usage(format!(
            "--from and --to both name {from_spec}: copy between two stores"
        )));
    }
    let dir = context::config_dir(cli)?;
    let copy = Copy {
        from: context::open_store(cli, &from_spec, dir.clone())?,
        to: context::open_store(cli, &to_spec, dir)?,
        catalog: Catalog::load(context::connectors_file(cli).as_deref())?,
        args,
        to_spec,
        hold: context::refresh_hold(cli.timeout),
        wait: context::refresh_wait(cli)?,
    };
    copy.to.check_backend().await?;
    let accounts = if args.all {
        copy.from.records().await?
    } else {
        let mut picked = Vec::new();
        for name in &args.names {
            picked.push(copy.from.linked(&AccountName::parse(name)?).await?);
        }
        picked
    };
    let mut results = Vec::new();
    for account in accounts {
        let name = account.name.clone();
        let result = copy.one(account).await;
        // Errors go to stderr also with --json, as every command's do.
        if !cli.json || result.is_err() {
            copy.show(&name, &result);
        }
        results.push((name, result));
    }
    if cli.json {
        ui::out_json(&copy.json(&results));
    } else if results.is_empty() {
        ui::out(&format!("No accounts in {} to copy.", copy.from.describe()));
    }
    Ok(results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .map(|e| e.class)
        .next()
        .unwrap_or(Class::Ok))
}

impl Copy<'_> {
    fn verb(&self) -> &'static str {
        if self.args.move_ { "Moved" } else { "Copied" }
    }

    fn show(&self, name: &str, result: &CliResult<()>) {
        match result {
            Ok(()) => ui::out(&format!("{} {name} to {}", self.verb(), self.to_spec)),
            Err(e) => {
                let hint = e.hint.iter().map(|h| format!("hint: {}", text::clean(h)));
                print_error(&format!("{name}: {}", e.message), &hint.collect::<Vec<_>>());
            }
        }
    }

    /// One document: each account with `ok`, and the error object where it failed.
    fn json(&self, results: &[(String, CliResult<()>)]) -> serde_json::Value {
        let accounts: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, result)| match result {
                Ok(()) => json!({"name": name, "ok": true}),
                Err(e) => json!({"name": name, "ok": false, "error": e.to_json()}),
            })
            .collect();
        json!({
            "from": self.args.from,
            "to": self.to_spec.to_string(),
            "moved": self.args.move_,
            "accounts": accounts,
        })
    }

    /// Copies one account, during this run's turn with its refresh token where it has one.
    async fn one(&self, account: Account) -> CliResult<()> {
        let name = AccountName::parse(&account.name)?;
        if !self.spends_refresh_token(&account) {
            return self.copy(&name, account).await;
        }
        let turn = Turn {
            hold: self.hold,
            wait: self.wait,
            waiting: &context::say_waiting,
        };
        let lease = self.from.refresh_lease(&name, &turn).await?;
        // The run before may have rotated the token, or the account was linked anew.
        let result = match self.from.linked(&name).await {
            Ok(now) => self.copy(&name, now).await,
            Err(e) => Err(e.into()),
        };
        if self.args.move_ {
            self.from.release_revoked(&name, Some(lease)).await;
        } else {
            self.from.release(Some(lease)).await;
        }
        result
    }

    /// Whether the account's check spends a refresh token: by its connector, or, for one this
    /// catalog does not know, by the kind its record names.
    fn spends_refresh_token(&self, account: &Account) -> bool {
        match self.catalog.get(&account.connector) {
            Ok(connector) => connector.spends_refresh_token(),
            Err(_) => AuthKind::value_variants()
                .iter()
                .any(|kind| kind.as_str() == account.auth && kind.spends_refresh_token()),
        }
    }

    /// Copies one account and reads it back; with `--move`, then removes it from the source.
    async fn copy(&self, name: &AccountName, account: Account) -> CliResult<()> {
        let loaded = self.from.load(account).await?;
        if let Some(warning) = &loaded.warning {
            ui::warn(warning);
        }
        let Some(secret) = loaded.secret else {
            return Err(CliError::new(
                Class::NotFound,
                format!("{} has no secret for this account", self.from.describe()),
            ));
        };
        let record = loaded.account.unplaced();
        let linked = self
            .to
            .link(
                record.clone(),
                &secret,
                Replace::forced(self.args.force),
                None,
            )
            .await;
        if let Err(StoreError::AlreadyLinked(name)) = linked {
            return Err(CliError::usage(format!(
                "an account named `{name}` is already in {}",
                self.to.describe()
            ))
            .with_hint(format!(
                "replace it with `credlink store copy --from {} --to {} {name} --force`, or remove it there first",
                self.args.from, self.to_spec
            )));
        }
        linked?;
        let back = self.to.load(self.to.linked(name).await?).await?;
        let same_record = back.account.connector == record.connector
            && back.account.fields == record.fields
            && back.account.linked_at == record.linked_at;
        let same_secret = back.secret.as_ref().map(|s| s.expose()) == Some(secret.expose());
        if !(same_record && same_secret) {
            return Err(CliError::new(
                Class::Unexpected,
                format!(
                    "the copy in {} does not read back as written; the source was left as it is",
                    self.to.describe()
                ),
            ));
        }
        if self.args.move_ {
            self.from.begin_removal(name).await?.finish().await?;
        }
        Ok(())
    }
}
