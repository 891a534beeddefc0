//! `test --explain`: runs the diagnosis (`diagnose`, which returns the steps as data) and
//! shows it, as text or `--json`.

use serde_json::json;

use super::context::Context;
use super::diagnose::{self, Report, StepStatus};
use super::error::CliResult;
use crate::base::outcome::Class;
use crate::cli::TestArgs;
use crate::terminal::interrupt::Reporting;
use crate::terminal::ui;

pub(crate) async fn run(ctx: &Context, args: &TestArgs) -> CliResult<Class> {
    // A Ctrl-C while the refresh token is spent ends the run after the diagnosis is shown.
    let reporting = Reporting::start();
    let report = diagnose::run(ctx, args).await?;
    render(ctx.json, &report);
    drop(reporting);
    Ok(report.class)
}

fn render(json: bool, report: &Report) {
    let Report {
        name,
        connector,
        lines,
        class,
        next,
    } = report;
    if json {
        ui::out_json(&json!({
            "name": name,
            "connector": connector.as_ref().map(|(id, _)| id),
            "ok": *class == Class::Ok,
            "exit_code": class.exit_code(),
            "steps": lines,
            "next": next,
        }));
        return;
    }
    let shown = connector
        .as_ref()
        .map_or("record not read", |(_, name)| name.as_str());
    let mut text = format!("Diagnosing {name} ({shown})\n");
    for l in lines {
        let mark = match l.status {
            StepStatus::Ok => "[ ok ]",
            StepStatus::Warning => "[warn]",
            StepStatus::Failed => "[FAIL]",
            StepStatus::Skipped => "[skip]",
        };
        let time = l
            .duration_ms
            .map_or_else(String::new, |ms| format!("{ms} ms"));
        text.push_str(&format!(
            "  {mark} {:<11} {time:>7}  {}\n",
            l.step, l.detail
        ));
        if let Some(hint) = &l.hint {
            text.push_str(&format!("  {:<28}hint: {hint}\n", ""));
        }
    }
    match lines.iter().find(|l| l.status == StepStatus::Failed) {
        Some(failed) => text.push_str(&format!(
            "Result: failed at step `{}` (exit {})",
            failed.step,
            class.exit_code()
        )),
        None => text.push_str("Result: every step passed"),
    }
    if let Some(next) = next {
        text.push_str(&format!("\nNext: {next}"));
    }
    ui::out(&text);
}
