//! `credlink completions SHELL`: the script that sets up completion. By default it registers
//! dynamic completion, which asks credlink at each Tab and so knows connector ids and account
//! names (see `complete`); `--static` prints the fixed script kept in completions/. The man
//! pages in man/ come from the same command line (see the test below).

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::commands::complete;
use crate::terminal::ui;

/// The script, or with `--json` the object `{"shell", "script"}`.
pub(crate) fn run(args: &CompletionsArgs, json: bool) {
    let dynamic = (!args.static_script)
        .then(|| complete::registration(args.shell))
        .flatten();
    let script = dynamic.unwrap_or_else(|| {
        let mut script = Vec::new();
        clap_complete::generate(args.shell, &mut Cli::command(), complete::BIN, &mut script);
        script
    });
    let script = String::from_utf8_lossy(&script);
    let script = script.trim_end_matches('\n');
    if json {
        ui::out_json(&serde_json::json!({"shell": args.shell.to_string(), "script": script}));
    } else {
        ui::out(script);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    fn pages(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "1"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect()
    }

    /// man/ holds `credlink.1` and one page per subcommand (`credlink-link.1`, ...), generated
    /// with clap_mangen. `scripts/update-completions` regenerates them: with
    /// `CREDLINK_UPDATE_MAN` set, this test writes them instead of comparing.
    #[test]
    fn checked_in_man_pages_match_the_cli() {
        let generated = tempfile::tempdir().unwrap();
        clap_mangen::generate_to(Cli::command(), generated.path()).unwrap();
        let generated = pages(generated.path());
        let man = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
        if std::env::var_os("CREDLINK_UPDATE_MAN").is_some() {
            std::fs::create_dir_all(&man).unwrap();
            for old in pages(&man).keys() {
                std::fs::remove_file(man.join(old)).unwrap();
            }
            for (name, page) in &generated {
                std::fs::write(man.join(name), page).unwrap();
            }
        }
        let checked_in = pages(&man);
        assert!(
            checked_in == generated,
            "man/ is out of date with the CLI: run scripts/update-completions"
        );
        assert!(
            checked_in["credlink-link.1"].contains("client\\-secret\\-stdin"),
            "the pages cover the link flags"
        );
    }
}
