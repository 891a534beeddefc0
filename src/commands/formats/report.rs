//! `test --report FILE.html`: the page people look at. One self-contained file with no script,
//! no font and no address to fetch: a summary, an expiry timeline drawn as inline SVG, the
//! accounts as a table that CSS alone filters, and each failing account's `--explain` steps.
//! maud escapes every value by construction, and the page's Content-Security-Policy allows
//! only its own style sheet, by hash: even markup that slipped past escaping could load or run
//! nothing.

use std::time::SystemTime;

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::{AccountView, Verdict};
use crate::commands::diagnose::{self, StepStatus};
use crate::commands::expiry;

const DAY: i64 = 86_400;
/// The failing accounts whose steps show unfolded; past this many they start folded.
const UNFOLDED: usize = 50;
/// The accounts a timeline bar's tooltip names.
const NAMED_PER_BAR: usize = 12;

const STYLE: &str = include_str!("report.css");

/// What the report says of the run as a whole.
pub(crate) struct Run<'a> {
    pub(crate) started: SystemTime,
    pub(crate) seconds: f64,
    /// `keychain`, or `vault:MOUNT/PREFIX`.
    pub(crate) store: &'a str,
    /// Unix seconds: what "in 12 days" counts from.
    pub(crate) now: i64,
    /// `--warn-within`, in seconds.
    pub(crate) window: u64,
}

/// A failing account's diagnosis: the `--explain` steps, or why they could not be had.
pub(crate) type Diagnosis = Result<diagnose::Report, String>;

/// The page. `diagnoses` runs beside `views`: a failing account's diagnosis, where one ran.
pub(crate) fn render(run: &Run, views: &[AccountView], diagnoses: &[Option<Diagnosis>]) -> String {
    let mut order: Vec<usize> = (0..views.len()).collect();
    order.sort_by_key(|&i| {
        let v = &views[i];
        (
            rank(v.verdict),
            v.expires_at.unwrap_or(i64::MAX),
            v.name.clone(),
        )
    });
    let count = |verdict| views.iter().filter(|v| v.verdict == verdict).count();
    let (failed, expiring, passed) = (
        count(Verdict::Failed),
        count(Verdict::Expiring),
        count(Verdict::Passed),
    );
    let checked = &expiry::rfc3339(super::unix_seconds(run.started) as i64);
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(policy());
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "credlink: credential health, " (checked) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "Credential health" }
                    p.meta {
                        (views.len()) " " (plural(views.len(), "account")) " in " code { (run.store) }
                        ", checked " (checked) " in " (format!("{:.1}", run.seconds)) " s by credlink "
                        (env!("CARGO_PKG_VERSION")) "; warning window "
                        (expiry::span(run.window))
                    }
                    ul.totals {
                        li.failed { strong { (failed) } " failed" }
                        li.expiring { strong { (expiring) } " expiring soon" }
                        li.passed { strong { (passed) } " passed" }
                    }
                }
                section #timeline {
                    h2 { "When credentials expire" }
                    (timeline(run, views))
                }
                section #accounts {
                    h2 { "Accounts" }
                    (filters(views.len(), failed, expiring, passed))
                    (table(run, views, &order))
                }
                @if failed > 0 {
                    section #failures {
                        h2 { "Why they fail" }
                        @for (shown, &i) in order.iter().filter(|&&i| views[i].verdict == Verdict::Failed).enumerate() {
                            (failure(i, &views[i], diagnoses.get(i).and_then(Option::as_ref), shown < UNFOLDED))
                        }
                    }
                }
                footer { "Made by " code { "credlink test --report" } ". No secret is in this file: secrets are shown only by their length." }
            }
        }
    };
    page.into_string()
}

/// Failures first, then what expires soon, then what passed.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Failed => 0,
        Verdict::Expiring => 1,
        Verdict::Passed => 2,
    }
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Failed => "failed",
        Verdict::Expiring => "expiring",
        Verdict::Passed => "passed",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// Nothing may load, connect or run; only the page's own style sheet applies.
fn policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
    format!("default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'")
}

/// Radio buttons the style sheet reads (`:has`) to show one kind of row: no script.
fn filters(all: usize, failed: usize, expiring: usize, passed: usize) -> Markup {
    html! {
        fieldset.filters {
            legend { "Show" }
            input #show-all type="radio" name="show" checked;
            label for="show-all" { "all (" (all) ")" }
            input #show-failed type="radio" name="show";
            label for="show-failed" { "failed (" (failed) ")" }
            input #show-expiring type="radio" name="show";
            label for="show-expiring" { "expiring (" (expiring) ")" }
            input #show-passed type="radio" name="show";
            label for="show-passed" { "passed (" (passed) ")" }
        }
    }
}

fn table(run: &Run, views: &[AccountView], order: &[usize]) -> Markup {
    html! {
        table {
            thead { tr { th { "Status" } th { "Account" } th { "Connector" } th { "Result" } th { "Expires" } th.num { "Check" } } }
            tbody {
                @for &i in order {
                    @let v = &views[i];
                    tr class=(verdict_class(v.verdict)) {
                        td { span class={ "chip " (verdict_class(v.verdict)) } { (v.status.replace('_', " ")) } }
                        td.name { (v.name) }
                        td.conn { code { (v.connector) } }
                        td {
                            (v.summary)
                            @if v.verdict == Verdict::Failed {
                                @if let Some(hint) = &v.hint { div.hint { "hint: " (hint) } }
                                div { a href=(format!("#why-{i}")) { "steps" } }
                            }
                        }
                        td { (expires(run.now, v)) }
                        td.num { (format!("{:.0} ms", v.seconds * 1000.0)) }
                    }
                }
            }
        }
    }
}

fn expires(now: i64, v: &AccountView) -> Markup {
    match v.expires_at {
        None => html! { span.unknown { "not known" } },
        Some(at) => html! {
            (expiry::relative(at, now)) br;
            span.date { (&expiry::rfc3339(at)[..10]) }
            @if let Some(basis) = v.expires_basis { " · " span.basis { (basis.describe()) } }
        },
    }
}

/// A failing account: the test's cause, hint and next step, then the diagnosis's steps.
fn failure(i: usize, v: &AccountView, diagnosis: Option<&Diagnosis>, open: bool) -> Markup {
    html! {
        details #(format!("why-{i}")) open[open] {
            summary { strong { (v.name) } " " code { (v.connector) } " · " (v.status) }
            ul.lines { @for line in v.failure_lines() { li { (line) } } }
            @match diagnosis {
                None => {}
                Some(Err(why)) => p.note { "The diagnosis could not run: " (why) }
                Some(Ok(d)) => {
                    @if d.class == crate::base::outcome::Class::Ok {
                        p.note { "The diagnosis made for this report passed: the failure may come and go. Its steps:" }
                    } @else {
                        p.note { "The steps of " code { "credlink test --explain " (v.name) } ", run for this report:" }
                    }
                    ol.steps {
                        @for line in &d.lines {
                            li class=(step_class(line.status)) {
                                span.mark { (step_mark(line.status)) }
                                span.step { (line.step) }
                                span.ms { @if let Some(ms) = line.duration_ms { (ms) " ms" } }
                                span.detail { (line.detail) }
                                @if let Some(hint) = &line.hint { div.hint { "hint: " (hint) } }
                            }
                        }
                    }
                    @if let Some(next) = &d.next { p { "Next: " code { (next) } } }
                }
            }
        }
    }
}

fn step_mark(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ok => "ok",
        StepStatus::Warning => "warn",
        StepStatus::Failed => "FAIL",
        StepStatus::Skipped => "skip",
    }
}

fn step_class(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ok => "ok",
        StepStatus::Warning => "warn",
        StepStatus::Failed => "fail",
        StepStatus::Skipped => "skip",
    }
}

/// One bar of the timeline: the accounts whose credentials end within its span.
struct Bar<'a> {
    /// Under the bar: the span's first day, or `expired`, or `later`.
    label: String,
    kind: BarKind,
    names: Vec<&'a str>,
    /// The tooltip's first words: how many, and when.
    tip: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BarKind {
    Expired,
    Soon,
    Later,
}

/// The bars: one for what has already expired, then days, weeks or months from now up to the
/// last expiry (at most two years, and at least the warning window), then one for later.
fn bars<'a>(run: &Run, views: &'a [AccountView]) -> Vec<Bar<'a>> {
    let ends: Vec<(i64, &str)> = views
        .iter()
        .filter_map(|v| Some((v.expires_at?, v.name.as_str())))
        .collect();
    let window = i64::try_from(run.window).unwrap_or(i64::MAX);
    let last = ends.iter().map(|(at, _)| *at).max().unwrap_or(run.now);
    // At least the warning window and a month, at most two years (a window of years too).
    let least = (window / DAY + 1).clamp(30, 730);
    let span_days = ((last - run.now) / DAY + 1).clamp(least, 730);
    let step_days = if span_days <= 60 {
        1
    } else if span_days <= 366 {
        7
    } else {
        30
    };
    let count = (span_days + step_days - 1) / step_days;
    let mut bars = Vec::new();
    let expired: Vec<&str> = ends
        .iter()
        .filter(|(at, _)| *at < run.now)
        .map(|e| e.1)
        .collect();
    bars.push(Bar {
        label: "expired".into(),
        kind: BarKind::Expired,
        tip: format!("{} already expired", expired.len()),
        names: expired,
    });
    for k in 0..count {
        let from = run.now + k * step_days * DAY;
        let to = from + step_days * DAY;
        let names: Vec<&str> = ends
            .iter()
            .filter(|(at, _)| (from..to).contains(at))
            .map(|e| e.1)
            .collect();
        let date = |t: i64| expiry::rfc3339(t)[..10].to_owned();
        bars.push(Bar {
            label: date(from),
            kind: if from < run.now.saturating_add(window) {
                BarKind::Soon
            } else {
                BarKind::Later
            },
            tip: format!("{} expire from {} to {}", names.len(), date(from), date(to)),
            names,
        });
    }
    let horizon = run.now + count * step_days * DAY;
    let later: Vec<&str> = ends
        .iter()
        .filter(|(at, _)| *at >= horizon)
        .map(|e| e.1)
        .collect();
    if !later.is_empty() {
        bars.push(Bar {
            label: "later".into(),
            kind: BarKind::Later,
            tip: format!(
                "{} expire after {}",
                later.len(),
                &expiry::rfc3339(horizon)[..10]
            ),
            names: later,
        });
    }
    bars
}

fn timeline(run: &Run, views: &[AccountView]) -> Markup {
    if views.iter().all(|v| v.expires_at.is_none()) {
        return html! { p.unknown { "No account's expiry is known: nothing in its certificate, the provider's answer or the catalog says when it ends." } };
    }
    let bars = bars(run, views);
    let (left, right, base, tall) = (48.0, 952.0, 200.0, 160.0);
    let width = (right - left) / bars.len() as f64;
    let most = bars.iter().map(|b| b.names.len()).max().unwrap_or(1).max(1);
    // About eight date labels, whatever the number of bars.
    let every = bars.len().div_ceil(8).max(1);
    let x_of_window = {
        let soon = bars.iter().filter(|b| b.kind != BarKind::Later).count();
        left + width * soon as f64
    };
    html! {
        svg.timeline viewBox="0 0 1000 250" role="img" aria-labelledby="timeline-title" {
            title #timeline-title { "How many credentials expire when: bars by date, the warning window shaded" }
            rect.window x=(left) y=(base - tall - 20.0) width=(x_of_window - left) height=(tall + 20.0) {}
            line.axis x1=(left) y1=(base) x2=(right) y2=(base) {}
            text.axis-label x=(left - 6.0) y=(base - tall + 4.0) text-anchor="end" { (most) }
            text.axis-label x=(left - 6.0) y=(base + 4.0) text-anchor="end" { "0" }
            @for (k, bar) in bars.iter().enumerate() {
                @let x = left + width * k as f64;
                @let h = tall * bar.names.len() as f64 / most as f64;
                g {
                    title { (bar.tip) (tooltip_names(&bar.names)) }
                    rect class=(match bar.kind { BarKind::Expired => "bar expired", BarKind::Soon => "bar soon", BarKind::Later => "bar later" })
                        x=(format!("{:.1}", x + 1.0)) y=(format!("{:.1}", base - h))
                        width=(format!("{:.1}", (width - 2.0).max(1.0))) height=(format!("{:.1}", h)) {}
                    @if !bar.names.is_empty() && width >= 14.0 {
                        text.count x=(format!("{:.1}", x + width / 2.0)) y=(format!("{:.1}", base - h - 4.0)) text-anchor="middle" { (bar.names.len()) }
                    }
                    @if k % every == 0 || bar.kind == BarKind::Expired {
                        text.axis-label x=(format!("{:.1}", x + width / 2.0)) y=(base + 18.0) text-anchor="middle" { (bar.label) }
                    }
                }
            }
            text.window-label x=(x_of_window - 4.0) y=(base - tall - 26.0) text-anchor="end" { "warning window" }
        }
    }
}

fn tooltip_names(names: &[&str]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let shown = names[..names.len().min(NAMED_PER_BAR)].join(", ");
    match names.len().saturating_sub(NAMED_PER_BAR) {
        0 => format!(": {shown}"),
        more => format!(": {shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::formats::tests::view;

    fn run() -> Run<'static> {
        Run {
            started: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000),
            seconds: 1.5,
            store: "keychain",
            now: 1_800_000_000,
            window: 14 * DAY as u64,
        }
    }

    #[test]
    fn the_policy_hashes_the_style_sheet_that_is_on_the_page() {
        let page = render(&run(), &[view("a", Verdict::Passed, "HTTP 200")], &[None]);
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(page.contains(&format!("style-src 'sha256-{hash}'")));
        assert!(!page.contains("<script"));
        // One class attribute per element: a browser ignores a second one.
        assert!(page.contains(r#"<span class="chip passed">"#));
    }

    #[test]
    fn values_are_escaped() {
        let mut v = view("a", Verdict::Failed, "<script>alert(1)</script>");
        v.hint = Some("\"><img src=x onerror=alert(2)>".into());
        let page = render(&run(), &[v], &[Some(Err("<b>bold</b>".into()))]);
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;b&gt;bold"));
    }

    #[test]
    fn the_timeline_puts_each_end_in_one_bar() {
        let r = run();
        let mut views = Vec::new();
        for (name, days) in [("gone", -3), ("soon", 10), ("month", 40), ("far", 5000)] {
            let mut v = view(name, Verdict::Passed, "ok");
            v.expires_at = Some(r.now + days * DAY);
            views.push(v);
        }
        let bars = bars(&r, &views);
        let total: usize = bars.iter().map(|b| b.names.len()).sum();
        assert_eq!(total, 4);
        assert_eq!(bars[0].names, ["gone"]);
        assert_eq!(bars.last().unwrap().names, ["far"]);
        let soon = bars.iter().find(|b| b.names == ["soon"]).unwrap();
        assert!(soon.kind == BarKind::Soon);
        let month = bars.iter().find(|b| b.names == ["month"]).unwrap();
        assert!(month.kind == BarKind::Later);
    }

    #[test]
    fn a_window_of_years_draws_every_end_once() {
        for window in [1000 * DAY as u64, u64::MAX] {
            let r = Run { window, ..run() };
            let mut v = view("far", Verdict::Expiring, "ok");
            v.expires_at = Some(r.now + 900 * DAY);
            let bars = bars(&r, std::slice::from_ref(&v));
            assert_eq!(bars.iter().map(|b| b.names.len()).sum::<usize>(), 1);
            assert!(render(&r, &[v], &[None]).contains("svg"));
        }
    }
}
