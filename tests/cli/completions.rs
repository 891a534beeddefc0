//! The checked-in completions must match what the CLI generates.

use crate::support::*;

#[test]
fn checked_in_completions_match_the_cli() {
    let sb = Sandbox::new();
    let files = [
        ("bash", "credlink.bash"),
        ("zsh", "_credlink"),
        ("fish", "credlink.fish"),
        ("powershell", "_credlink.ps1"),
        ("elvish", "credlink.elv"),
    ];
    for (shell, file) in files {
        let output = sb.cmd().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stdout(&output) == checked_in,
            "completions/{file} is out of date with the CLI: run scripts/update-completions"
        );
        assert!(
            checked_in.contains("client-secret-stdin"),
            "{file} covers the link flags"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    Sandbox::new()
        .cmd()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}
