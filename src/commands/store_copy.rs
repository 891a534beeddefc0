//! `credlink store copy`: accounts from one store to another (the keychain and a team store,
//! either way), record and secret, each read back from the target before it counts as copied.
//! The source is left as it was unless `--move` is given, and then only after the read-back.

use crate::cli::{Cli, StoreCopyArgs};
use crate::context;
use crate::error::{CliError, CliResult};
use crate::outcome::Class;
use crate::store::{Account, AccountName, Replace, Store, StoreSpec};
use crate::ui;

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
    let from = context::open_store(cli, &from_spec, dir.clone())?;
    let to = context::open_store(cli, &to_spec, dir)?;
    to.check_backend().await?;
    let accounts = if args.all {
        from.records().await?
    } else {
        let mut picked = Vec::new();
        for name in &args.names {
            picked.push(from.linked(&AccountName::parse(name)?).await?);
        }
        picked
    };
    if accounts.is_empty() {
        ui::out(&format!("No accounts in {} to copy.", from.describe()));
        return Ok(Class::Ok);
    }
    let mut class = Class::Ok;
    for account in accounts {
        let name = account.name.clone();
        match copy_one(&from, &to, account, args).await {
            Ok(()) => ui::out(&format!(
                "{} {name} to {to_spec}",
                if args.move_ { "Moved" } else { "Copied" }
            )),
            Err(e) => {
                ui::err(&format!("error: {name}: {}", e.message));
                if let Some(hint) = &e.hint {
                    ui::err(&format!("  hint: {hint}"));
                }
                if class == Class::Ok {
                    class = e.class;
                }
            }
        }
    }
    Ok(class)
}

/// Copies one account and reads it back; with `--move`, then removes it from the source.
async fn copy_one(
    from: &Store,
    to: &Store,
    account: Account,
    args: &StoreCopyArgs,
) -> CliResult<()> {
    let name = AccountName::parse(&account.name)?;
    let loaded = from.load(account).await?;
    let Some(secret) = loaded.secret else {
        return Err(CliError::new(
            Class::NotFound,
            format!("{} has no secret for this account", from.describe()),
        ));
    };
    let record = Account {
        keychain_entry: None,
        revision: None,
        ..loaded.account
    };
    to.link(record.clone(), &secret, Replace::forced(args.force), None)
        .await?;
    let back = to.load(to.linked(&name).await?).await?;
    let same_record = back.account.connector == record.connector
        && back.account.fields == record.fields
        && back.account.linked_at == record.linked_at;
    let same_secret = back.secret.as_ref().map(|s| s.expose()) == Some(secret.expose());
    if !(same_record && same_secret) {
        return Err(CliError::new(
            Class::Unexpected,
            format!(
                "the copy in {} does not read back as written; the source was left as it is",
                to.describe()
            ),
        ));
    }
    if args.move_ {
        from.begin_removal(&name).await?.finish().await?;
    }
    Ok(())
}
