//! `credlink history NAME`: the versions of an account in the team store, when each was
//! linked and by whom. Reads metadata only, never a secret.

use crate::cli::HistoryArgs;
use crate::error::CliResult;
use crate::outcome::Class;
use crate::store::{AccountName, Store};
use crate::{table, text, ui};

pub(crate) async fn run(store: &Store, args: &HistoryArgs, json: bool) -> CliResult<Class> {
    let name = AccountName::parse(&args.name)?;
    let versions = store.history(&name).await?;
    if json {
        ui::out_json(&versions);
        return Ok(Class::Ok);
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .rev()
        .map(|v| {
            let state = if v.destroyed {
                "destroyed"
            } else if v.deleted {
                "deleted"
            } else if v.current {
                "current"
            } else {
                "replaced"
            };
            vec![
                v.version.to_string(),
                text::clean(&v.created_time),
                v.linked_by
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), text::clean),
                state.to_owned(),
            ]
        })
        .collect();
    let columns = [
        ("VERSION", 0),
        ("LINKED AT", 1),
        ("LINKED BY", 2),
        ("STATE", 3),
    ];
    ui::out(&table::fit(&columns, &rows, ui::stdout_width()));
    Ok(Class::Ok)
}
