//! `credlink history NAME`: the versions of an account in the team store, when each was
//! linked, to which connector and by whom, as each version's own record says (the listing's
//! word only where the data cannot be read). The store cleans its texts, for the table and
//! `--json` alike.

use crate::base::outcome::Class;
use crate::cli::HistoryArgs;
use crate::commands::error::CliResult;
use crate::store::{AccountName, Store};
use crate::terminal::table;
use crate::terminal::ui;

pub(crate) async fn run(store: &Store, args: &HistoryArgs, json: bool) -> CliResult<Class> {
    let name = AccountName::parse(&args.name)?;
    let history = store.history(&name).await?;
    if let Some(warning) = &history.warning {
        ui::warn(warning);
    }
    let versions = history.versions;
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
                v.created_time.clone(),
                v.connector.clone().unwrap_or_else(|| "-".to_owned()),
                v.linked_by.clone().unwrap_or_else(|| "-".to_owned()),
                state.to_owned(),
            ]
        })
        .collect();
    let columns = [
        ("VERSION", 0),
        ("LINKED AT", 1),
        ("CONNECTOR", 2),
        ("LINKED BY", 2),
        ("STATE", 3),
    ];
    ui::out(&table::fit(&columns, &rows, ui::stdout_width()));
    Ok(Class::Ok)
}
