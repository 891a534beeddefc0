//! `test --report FILE.html`, opened in a real headless Chromium: it renders with no console
//! error (a refused style or load would be one), its style applies under its own
//! Content-Security-Policy, the CSS-only filter works, each failing account shows its
//! `--explain` steps, hostile text from a provider stays text, and no secret is in the file.
//! With 3 accounts and with 1,000.

use std::path::Path;

use fantoccini::Locator;

use super::*;
use crate::support::browser::{Browser, runtime};

const DAY: i64 = 86_400;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn rfc3339(unix: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// The page at `file`, loaded; fails on any console error.
async fn open(browser: &Browser, file: &Path) {
    let c = browser.client();
    c.goto(&format!("file://{}", file.display())).await.unwrap();
    c.wait().for_element(Locator::Css("footer")).await.unwrap();
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "the console shows errors: {errors:?}");
}

/// The rows the page shows now.
async fn rows_shown(browser: &Browser) -> usize {
    let mut shown = 0;
    for row in browser
        .client()
        .find_all(Locator::Css("tbody tr"))
        .await
        .unwrap()
    {
        if row.is_displayed().await.unwrap() {
            shown += 1;
        }
    }
    shown
}

async fn computed(browser: &Browser, css: &str, property: &str) -> String {
    let script = format!(
        "return getComputedStyle(document.querySelector({css:?})).getPropertyValue({property:?})"
    );
    let value = browser.client().execute(&script, vec![]).await.unwrap();
    value.as_str().unwrap_or_default().to_owned()
}

/// The text of the first element `css` selects, as shown.
async fn text(browser: &Browser, css: &str) -> String {
    let element = browser.client().find(Locator::Css(css)).await.unwrap();
    element.text().await.unwrap()
}

async fn click(browser: &Browser, css: &str) {
    let element = browser.client().find(Locator::Css(css)).await.unwrap();
    element.click().await.unwrap();
}

async fn count(browser: &Browser, css: &str) -> usize {
    browser
        .client()
        .find_all(Locator::Css(css))
        .await
        .unwrap()
        .len()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn the_report_shows_status_expiry_and_the_steps_of_a_failure_in_chromium() {
    let Some((peer, sb)) = pass_and_fail() else {
        return;
    };
    sb.write_connectors(&(peer.connectors() + &lifetime_connectors(&peer.url)));
    link(&sb, "local-ten", "basic-client", BASIC_SECRET);
    let file = sb.out_file("report.html");
    let out = sb
        .when(&["test", "--all", "--report", file.to_str().unwrap()])
        .then()
        .exits(3)
        .out;
    let html = std::fs::read_to_string(&file).unwrap();
    sweep(&sb, &[&out], &[&html]);
    assert!(!html.contains("<script"), "no script in the report");
    for loads in [" src=", "<link", "url(", "@import"] {
        assert!(!html.contains(loads), "the report loads nothing: {loads}");
    }
    let rt = runtime();
    rt.block_on(async {
        let Some(browser) = Browser::start().await else {
            return;
        };
        open(&browser, &file).await;
        assert_eq!(rows_shown(&browser).await, 3);
        // The style sheet applied under the page's policy: a failed chip is red.
        assert_eq!(
            computed(&browser, ".chip.failed", "background-color").await,
            "rgb(198, 40, 40)"
        );
        let body = text(&browser, "body")
            .await
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(body.contains("1 failed"), "{body}");
        assert!(body.contains("warning window 14 days"), "{body}");
        assert!(body.contains("1 expiring soon"), "{body}");
        assert!(body.contains("1 passed"), "{body}");
        assert!(body.contains("in 10 days"), "{body}");
        // The failing account's diagnosis, as `test --explain local-basic` shows it.
        let steps = text(&browser, "#failures details").await;
        assert!(steps.contains("local-basic"), "{steps}");
        assert!(
            steps.contains("LOCAL-HINT: check the client id and secret."),
            "{steps}"
        );
        assert!(steps.contains("FAIL"), "{steps}");
        assert!(steps.contains("oauth"), "{steps}");
        assert!(
            steps.contains("credlink test --explain local-basic"),
            "{steps}"
        );
        // The timeline has the expiring credential in a bar inside the warning window.
        assert!(count(&browser, "svg.timeline rect.bar.soon").await >= 1);
        // The filter needs no script: the label's radio button and the style sheet.
        click(&browser, "label[for=show-failed]").await;
        assert_eq!(rows_shown(&browser).await, 1);
        click(&browser, "label[for=show-expiring]").await;
        assert_eq!(rows_shown(&browser).await, 1);
        assert_eq!(browser.console_errors().await, Vec::<String>::new());
        // The console is read for real: an error logged now is seen.
        browser
            .client()
            .execute("console.error('probe')", vec![])
            .await
            .unwrap();
        let errors = browser.console_errors().await;
        assert!(errors.iter().any(|e| e.contains("probe")), "{errors:?}");
        browser.close().await;
    });
}

/// 1,000 accounts: 960 whose secrets are in the keychain, on a connector whose credentials
/// live a year, linked on days spread over the last 400 (some past their lifetime, some soon,
/// the rest later); 40 whose secret is missing fail at the keychain step. The page renders them all
/// with no console error and stays small; `CREDLINK_REPORT_SCREENSHOT=FILE` saves a picture.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_report_of_a_thousand_accounts_renders_in_chromium() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(
        &(peer.connectors() + &lifetime_connector(&peer.url, "yearly", 365, "post")),
    );
    let now = now();
    let records: Vec<Value> = (0..1000)
        .map(|i| {
            serde_json::json!({
                "name": format!("acct-{i:04}"),
                "connector": "local-yearly",
                "auth": "oauth2_client_credentials",
                "fields": {"client_id": "post-client"},
                "linked_at": rfc3339(now - (i * 7 % 400) * DAY - 3600),
            })
        })
        .collect();
    sb.write_index(&records);
    for i in (0..1000).filter(|i| i % 25 != 0) {
        sb.store_secret(&format!("acct-{i:04}"), POST_SECRET);
    }
    let file = sb.out_file("report.html");
    let out = sb
        .when(&["test", "--all", "--report", file.to_str().unwrap()])
        .then()
        .exits(6)
        .out;
    let html = std::fs::read_to_string(&file).unwrap();
    sweep(&sb, &[&out], &[&html]);
    assert!(
        html.len() < 3 * 1024 * 1024,
        "{} bytes for 1,000 accounts",
        html.len()
    );
    let rt = runtime();
    rt.block_on(async {
        let Some(browser) = Browser::start().await else {
            return;
        };
        browser.client().set_window_size(1280, 1400).await.unwrap();
        open(&browser, &file).await;
        assert_eq!(count(&browser, "tbody tr").await, 1000);
        assert_eq!(count(&browser, "tbody tr.failed").await, 40);
        assert_eq!(count(&browser, "#failures details").await, 40);
        assert_eq!(count(&browser, "#failures li.fail").await, 40);
        assert!(count(&browser, "svg.timeline rect.bar.expired").await == 1);
        // Every account with an expiry sits in exactly one bar: the tooltips' counts add up.
        let tips = browser
            .client()
            .execute(
                "return [...document.querySelectorAll('svg.timeline g > title')].map(t => parseInt(t.textContent))",
                vec![],
            )
            .await
            .unwrap();
        let total: i64 = tips
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_i64().unwrap())
            .sum();
        assert_eq!(total, 1000, "{tips}");
        if let Ok(path) = std::env::var("CREDLINK_REPORT_SCREENSHOT") {
            let png = browser.client().screenshot().await.unwrap();
            std::fs::write(path, png).unwrap();
        }
        browser.close().await;
    });
}

/// A provider's error text with markup in it stays text: no element is made of it, no
/// script runs, and the title stays the report's. A secret a provider echoes is redacted in
/// every spelling before the page escapes it.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, chromium): run scripts/test"
)]
#[test]
fn markup_from_a_provider_stays_text_in_the_report() {
    use base64::Engine;
    let rt = runtime();
    let hostile = r#"</td></tr></table><script>document.title='PWNED'</script><img src=x onerror="document.title='PWNED'"><svg onload="document.title='PWNED'">"#;
    // To a second account the provider echoes the secret it was sent, spelled as a server
    // might: as is, in base64 (alone and as a Basic header's `id:secret`), and as HTML
    // entities, which a page that did not escape would turn back into the secret.
    let secret = format!("{MARKER}-echo");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let entities: String = secret.chars().map(|c| format!("&#{};", c as u32)).collect();
    let spellings = [
        secret.clone(),
        b64(&secret),
        b64(&format!("echo:{secret}")),
        entities,
    ];
    let echo = spellings.join(" ");
    let sb = rt.block_on(async {
        keyring()?;
        let server = MockServer::start().await;
        let answer = |description: &str| {
            ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client",
                "error_description": description,
            }))
        };
        let answers = vec![("hostile", answer(hostile)), ("echo", answer(&echo))];
        let sb = linked_on_mock(&server, &["hostile", "echo"], answers).await;
        Some((server, sb))
    });
    let Some((_server, sb)) = sb else { return };
    let file = sb.out_file("report.html");
    sb.when(&["test", "--all", "--report", file.to_str().unwrap()])
        .then()
        .exits(3);
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    for spelling in &spellings[..3] {
        assert_lacks(&html, spelling, "the report");
    }
    assert_lacks(&html, &spellings[3].replace('&', "&amp;"), "the report");
    // Each spelling was there to be found, and was redacted in place.
    let cause = "HTTP 401 invalid_client: (redacted) (redacted) (redacted) (redacted)";
    assert_has(&html, cause);
    rt.block_on(async {
        let Some(browser) = Browser::start().await else {
            return;
        };
        open(&browser, &file).await;
        let c = browser.client();
        assert!(
            c.title()
                .await
                .unwrap()
                .starts_with("credlink: credential health")
        );
        assert_eq!(
            count(&browser, "script, img, body svg:not(.timeline)").await,
            0
        );
        let body = text(&browser, "body").await;
        assert!(
            body.contains("<script>document.title='PWNED'</script>"),
            "{body}"
        );
        assert_lacks(&body, &secret, "the rendered report");
        browser.close().await;
    });
}

/// `--output` and `--report` never replace credlink's own state or a file the run reads: not
/// the index or anything else in the config dir (named directly, through `..` or through a link
/// to the directory), not the connectors file, and not each other. Each is refused before any
/// check, exit 2, and every file stays as it was.
#[test]
fn outputs_never_replace_credlinks_own_files() {
    let sb = Sandbox::with_connectors(&lifetime_connectors("https://127.0.0.1:9"));
    sb.write_index(&[serde_json::json!({
        "name": "acme",
        "connector": "local-ten",
        "auth": "oauth2_client_credentials",
        "fields": {"client_id": "post-client"},
        "linked_at": "2026-11-23T00:00:00Z",
    })]);
    let index = std::fs::read(sb.index_path()).unwrap();
    let connectors = std::fs::read(sb.connectors_path()).unwrap();
    let alias = sb.out_file("alias");
    std::os::unix::fs::symlink(sb.config_dir(), &alias).unwrap();
    let config = sb.config_dir();
    let junit = |to: &Path| {
        vec![
            "--format".to_owned(),
            "junit".into(),
            "--output".into(),
            to.to_str().unwrap().into(),
        ]
    };
    let report = |to: &Path| vec!["--report".to_owned(), to.to_str().unwrap().into()];
    let both = sb.out_file("both.xml");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (report(&sb.index_path()), "--report"),
        (junit(&sb.index_path()), "--output"),
        (report(&config.join("config.toml")), "--report"),
        (report(&config.join("new-report.html")), "--report"),
        (report(&config.join("../config/accounts.lock")), "--report"),
        (report(&alias.join("accounts.json")), "--report"),
        (junit(&sb.connectors_path()), "--output"),
        ([junit(&both), report(&both)].concat(), "--report"),
    ];
    for (flags, flag) in cases {
        let mut args = vec!["test".to_owned(), "--all".into()];
        args.extend(flags);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sb.when(&args).then().exits(2).out;
        let err = stderr(&out);
        assert_has(&err, flag);
        assert_has(&err, "is where credlink reads or keeps its state");
        assert_eq!(std::fs::read(sb.index_path()).unwrap(), index, "{args:?}");
        assert_eq!(std::fs::read(sb.connectors_path()).unwrap(), connectors);
        assert!(!config.join("new-report.html").exists());
        assert!(!both.exists(), "{args:?}");
    }
    let left: Vec<_> = std::fs::read_dir(&config)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().starts_with(".tmp")),
        "no temporary file left: {left:?}"
    );
}

/// `--output` or `--report` naming a pipe, or a link to one as `/dev/stdout` is, writes into
/// it: a rename would replace the pipe itself (as root, `/dev/stdout` for the whole machine).
/// A directory is refused before any check.
#[test]
fn outputs_into_a_pipe_write_into_it_and_leave_it_a_pipe() {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let sb = Sandbox::new();
    let fifo = sb.out_file("out.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let link = sb.out_file("stdout-like");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let cases = [
        (vec!["--format", "junit", "--output"], &link, "<testsuites"),
        (vec!["--report"], &fifo, "<!DOCTYPE html>"),
    ];
    for (flags, to, starts) in cases {
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let mut args = vec!["test", "--all"];
        args.extend(flags);
        args.push(to.to_str().unwrap());
        sb.when(&args).then().exits(0);
        // Unblocks the reader had credlink never opened the pipe (it then reads nothing).
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo);
        let got = reader.join().unwrap();
        assert!(got.contains(starts), "{args:?}: {got:?}");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "{args:?}: the pipe is still a pipe");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }
    let out = sb
        .when(&["test", "--all", "--report", sb.dir.path().to_str().unwrap()])
        .then()
        .exits(2)
        .out;
    assert_has(&stderr(&out), "is a directory");
}
