//! The loopback listener and the opener: forged and idle requests, the launch page, a taken
//! port.

use std::time::{Duration, Instant};

use super::*;
use crate::support::*;

/// Issue "Hardening, third round", class 4: what any web page can make the browser send to
/// the listener (a wrong or missing `state`, a forged `error=`), and requests with the right
/// `state` that are not the redirect (another method, path or request form), get an error
/// page and do not end the sign-in: the browser's redirect still links the account.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn forged_requests_to_the_listener_get_an_error_page_and_the_sign_in_still_links() {
    let Some((peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let port = free_port();
    let mut linking = Linking::start(&sb, "local-code", "code-client", port, &[]);
    let url = linking.authorize_url();
    let state = param(&url, "state");
    for query in [
        format!("code=FORGED-CODE-123&state={state}x"),
        "code=FORGED-CODE-123".to_owned(),
        "code=FORGED-CODE-123&state=".to_owned(),
        format!("code=FORGED-CODE-123&state=older&state={state}"),
        "error=access_denied&error_description=forged".to_owned(),
        format!("error=access_denied&state={}", state.to_uppercase()),
    ] {
        let answer = http(
            port,
            &format!("GET /callback?{query} HTTP/1.1\r\nHost: x\r\n\r\n"),
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "{query}: {answer}");
        assert_has(&answer, "This is not the sign-in credlink started");
    }
    for request in [
        format!("HEAD /callback?code=FORGED-CODE-123&state={state} HTTP/1.1\r\n\r\n"),
        format!(
            "POST /callback?code=FORGED-CODE-123&state={state} HTTP/1.0\r\nContent-Length: 0\r\n\r\n"
        ),
        format!("GET /callback/?code=FORGED-CODE-123&state={state} HTTP/1.1\r\n\r\n"),
        format!("GET /CALLBACK?code=FORGED-CODE-123&state={state} HTTP/1.1\r\n\r\n"),
        format!(
            "GET http://127.0.0.1:{port}/callback?code=FORGED-CODE-123&state={state} HTTP/1.1\r\n\r\n"
        ),
    ] {
        let answer = http(port, &request);
        assert!(
            answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 405"),
            "{request}: {answer}"
        );
    }
    let landed = rt.block_on(browser.consent(&url, true));
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (Local (local-code))");
    // Said once, however many came.
    let err = stderr(&out);
    assert_eq!(
        err.matches("warning: ignored a request to the redirect address: it is not from the sign-in credlink started").count(),
        1,
        "{err}"
    );
    assert_hidden(&out, "FORGED-CODE-123");
    assert_kept_secret(&sb, &[&out], &[&param(&landed, "code"), CLIENT_SECRET]);
    let tokens: Vec<String> = peer
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("REQ POST /token"))
        .collect();
    assert_eq!(
        tokens,
        ["REQ POST /token 200"],
        "only the real code is traded"
    );
}

/// Class 4: connections that send nothing (a browser's preconnects, a program on this
/// machine) are served beside the redirect, not before it: served one after another, five of
/// them would hold it 50 s.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn idle_connections_do_not_hold_up_the_redirect() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let port = free_port();
    let mut linking = Linking::start(&sb, "local-code", "code-client", port, &[]);
    let url = linking.authorize_url();
    let started = Instant::now();
    let idle: Vec<std::net::TcpStream> = (0..5)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    rt.block_on(browser.consent(&url, true));
    let out = linking.finish();
    let took = started.elapsed();
    rt.block_on(browser.close());
    drop(idle);
    assert_exit(&out, 0);
    assert!(took < Duration::from_secs(40), "the sign-in took {took:?}");
}

/// Class 4: the browser opener's command line, which every user of the machine can read,
/// holds the path of a launch page, not the sign-in address with its `state` and PKCE
/// challenge. The page, readable by this user only, takes a real browser on to the sign-in,
/// and is removed when the sign-in ends.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn the_opener_gets_a_launch_page_and_no_command_line_holds_the_state() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let opener = Opener::new();
    let mut cmd = sb.std_cmd();
    cmd.args([
        "link",
        "local-code",
        "--name",
        "acct",
        "--client-id",
        "code-client",
    ])
    .args(["--wait", "60", "--redirect-port"])
    .arg(free_port().to_string())
    .env("PATH", opener.path())
    .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET);
    let mut linking = Linking::spawn(cmd);
    let url = linking.authorize_url();
    let argv = opener.argv();
    for value in [param(&url, "state"), param(&url, "code_challenge")] {
        assert_lacks(&argv, &value, "the opener's command line");
    }
    let page = std::path::PathBuf::from(argv.trim_end());
    assert!(
        argv.lines().count() == 1 && page.extension().is_some_and(|e| e == "html"),
        "{argv}"
    );
    assert_eq!(opener.mode(), "600");
    assert_eq!(opener.target(), url);
    let landed = rt.block_on(browser.consent(&format!("file://{}", opener.page().display()), true));
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (Local (local-code))");
    assert!(!page.exists(), "{} is left behind", page.display());
    assert_kept_secret(&sb, &[&out], &[&param(&landed, "code"), CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_taken_redirect_port_exits_2() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let sb = Sandbox::with_connectors(&connectors(&peer));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port();
    let out = Linking::start(&sb, "local-code", "code-client", busy, &[]).finish();
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "--redirect-port");
    assert!(sb.account_names().is_empty());
}
