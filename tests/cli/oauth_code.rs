//! `oauth2_authorization_code` end to end: `credlink link` signs in through a real headless
//! browser (Debian's chromium, driven over WebDriver by chromedriver) at oidc-provider's
//! sign-in and consent pages, and completes through its loopback listener; denied consent,
//! a forged redirect, the paste fallback, a replayed, an expired and a PKCE-mismatched code, no
//! refresh token, and an old refresh token reused after rotation. `oauth2_device_code`
//! (RFC 8628): the user code entered and approved or denied in the browser, an expired code,
//! the end of `--wait`, and the polling interval with `slow_down` (a stub: oidc-provider never
//! asks to slow down). Nothing is saved on failure; no code, token or secret shows in output
//! or index.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;

use crate::support::*;

const CLIENT_SECRET: &str = "code-secret";

fn connectors(peer: &Peer) -> String {
    let entry = |id: &str, client_auth: &str, secret: bool| {
        let secret_field = if secret {
            format!(
                "\n[[connectors.{id}.fields]]\nid = \"client_secret\"\nlabel = \"Client secret\"\nsecret = true\n"
            )
        } else {
            String::new()
        };
        format!(
            r#"
[connectors.{id}]
name = "Local ({id})"
auth = "oauth2_authorization_code"
docs = "https://example.com/docs"
steps = ["Register the redirect URI."]
authorize_url = "{url}/auth"
token_url = "{url}/token"
client_auth = "{client_auth}"
scope = "api:read"
revoke_url = "{url}/token/revocation"

[[connectors.{id}.fields]]
id = "client_id"
label = "Client ID"
{secret_field}"#,
            url = peer.url
        )
    };
    let mut text = entry("local-code", "basic", true);
    text.push_str(&entry("local-public", "none", false));
    // Without PKCE: a replayed code is refused for being used, not for its verifier.
    text.push_str(&entry("local-nopkce", "basic", true).replace(
        "scope = \"api:read\"\n",
        "scope = \"api:read\"\npkce = false\n",
    ));
    // The device authorization grant (RFC 8628) on the peer's device clients.
    text.push_str(&format!(
        r#"
[connectors.local-device]
name = "Local (local-device)"
auth = "oauth2_device_code"
docs = "https://example.com/docs"
steps = ["Allow the device grant."]
device_authorization_url = "{url}/device/auth"
token_url = "{url}/token"
client_auth = "basic"
scope = "api:read"
revoke_url = "{url}/token/revocation"

[[connectors.local-device.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-device.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
        url = peer.url
    ));
    // The refresh-token kind on the same client, to present an old refresh token.
    text.push_str(&refresh_connectors(peer));
    text
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `credlink link`, its stderr collected; the authorize URL it printed.
struct Linking {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Vec<String>,
}

impl Linking {
    fn start(sb: &Sandbox, connector: &str, client_id: &str, port: u16, extra: &[&str]) -> Self {
        Self::start_as(
            sb,
            connector,
            "acct",
            (client_id, CLIENT_SECRET),
            port,
            extra,
        )
    }

    /// As [`Linking::start`], with the account's name and the client's ID and secret.
    fn start_as(
        sb: &Sandbox,
        connector: &str,
        name: &str,
        (client_id, secret): (&str, &str),
        port: u16,
        extra: &[&str],
    ) -> Self {
        let mut cmd = sb.std_cmd();
        cmd.args(["link", connector, "--name", name, "--client-id", client_id])
            .args(["--no-browser", "--wait", "60", "--redirect-port"])
            .arg(port.to_string())
            .args(extra)
            .env("CREDLINK_CLIENT_SECRET", secret);
        Self::spawn(cmd)
    }

    /// `credlink link local-device` for the peer's client `client_id`.
    fn device(sb: &Sandbox, client_id: &str, extra: &[&str]) -> Self {
        let mut cmd = sb.std_cmd();
        cmd.args([
            "link",
            "local-device",
            "--name",
            "acct",
            "--client-id",
            client_id,
        ])
        .args(["--no-browser"])
        .args(extra)
        .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET);
        Self::spawn(cmd)
    }

    fn spawn(mut cmd: StdCommand) -> Self {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in PROXY_VARS {
            cmd.env_remove(var);
        }
        let mut child = cmd.spawn().expect("credlink starts");
        let (tx, lines) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            lines,
            stderr: Vec::new(),
        }
    }

    /// The address credlink asks the user to open.
    fn authorize_url(&mut self) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    panic!("no authorize URL; stderr:\n{}", self.stderr.join("\n"))
                });
            self.stderr.push(line.clone());
            if let Some(url) = line.trim().strip_prefix("http://")
                && url.contains("response_type=code")
            {
                return format!("http://{url}");
            }
        }
    }

    /// The line printed after the line `after` on stderr.
    fn line_after(&mut self, after: &str) -> String {
        let mut found = false;
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {after:?}; stderr:\n{}", self.stderr.join("\n")));
            self.stderr.push(line.clone());
            if found {
                return line.trim().to_owned();
            }
            found = line.ends_with(after);
        }
    }

    /// The verification address and the user code of a device sign-in.
    fn device_code(&mut self) -> (String, String) {
        let uri = self.line_after("open this address in a browser:");
        let code = self.line_after("and enter the code:");
        (uri, code)
    }

    /// Stops it (a run whose code another run will present).
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn paste(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{text}").unwrap();
    }

    fn finish(mut self) -> Output {
        drop(self.child.stdin.take());
        let mut out = self.child.wait_with_output().unwrap();
        let mut err = self.stderr.join("\n");
        err.push('\n');
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            err.push_str(&line);
            err.push('\n');
        }
        out.stderr = err.into_bytes();
        out
    }
}

/// chromedriver and a headless chromium session; `None` (a skip, a failure in CI) without them.
struct Browser {
    driver: Child,
    client: Client,
}

impl Browser {
    async fn start() -> Option<Self> {
        for tool in ["chromedriver", "chromium"] {
            let found = StdCommand::new(tool).arg("--version").output();
            if !found.is_ok_and(|o| o.status.success()) {
                return skip_or_fail(&format!("{tool} (Debian's chromium and chromium-driver)"));
            }
        }
        let port = free_port();
        let driver = StdCommand::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-proxy-server",
            ]}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Some(Self { driver, client }),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    /// Signs in on oidc-provider's pages at `url`, then allows (or cancels) the consent;
    /// returns the address the browser ended at.
    async fn consent(&self, url: &str, allow: bool) -> String {
        let c = &self.client;
        c.goto(url).await.unwrap();
        c.wait()
            .for_element(Locator::Css("input[name=login]"))
            .await
            .unwrap()
            .send_keys("alice")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys("anything")
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // The consent page.
        let consent = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("input[name=prompt][value=consent]"))
            .await;
        if consent.is_err() {
            panic!(
                "no consent page at {}:\n{}",
                c.current_url().await.unwrap(),
                c.source().await.unwrap_or_default()
            );
        }
        if allow {
            c.find(Locator::Css("button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        } else {
            c.find(Locator::LinkText("[ Cancel ]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        for _ in 0..100 {
            let now = c.current_url().await.unwrap().to_string();
            if now.contains("/callback?") {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the browser did not reach the redirect: {}",
            c.current_url().await.unwrap()
        );
    }

    /// Enters `user_code` at the device verification address `uri`, then confirms, signs in
    /// and allows (or aborts at the confirmation).
    async fn approve_device(&self, uri: &str, user_code: &str, allow: bool) {
        let c = &self.client;
        c.goto(uri).await.unwrap();
        c.wait()
            .for_element(Locator::Css("input[name=user_code]"))
            .await
            .unwrap()
            .send_keys(user_code)
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // "Confirm Device".
        let confirm = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("button[name=abort]"))
            .await;
        let Ok(abort) = confirm else {
            panic!(
                "no device confirmation at {}:\n{}",
                c.current_url().await.unwrap(),
                c.source().await.unwrap_or_default()
            );
        };
        if !allow {
            abort.click().await.unwrap();
            self.wait_for_text("interrupted").await;
            return;
        }
        c.find(Locator::Css("button[autofocus]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("input[name=login]"))
            .await
            .unwrap()
            .send_keys("alice")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys("anything")
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("input[name=prompt][value=consent]"))
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for_text("Sign-in Success").await;
    }

    async fn wait_for_text(&self, text: &str) {
        let c = &self.client;
        for _ in 0..150 {
            if c.source().await.unwrap_or_default().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {text:?} at {}:\n{}",
            c.current_url().await.unwrap(),
            c.source().await.unwrap_or_default()
        );
    }

    async fn close(self) {
        let _ = self.client.close().await;
        let mut driver = self.driver;
        let _ = driver.kill();
        let _ = driver.wait();
    }
}

/// The peer, a keychain, a runtime, a headless browser and a sandbox with the test
/// connectors: `None` (a skip, a failure in CI) when a peer is missing.
fn browser_sandbox() -> Option<(Peer, tokio::runtime::Runtime, Browser, Sandbox)> {
    let peer = Peer::start()?;
    keyring()?;
    let rt = runtime();
    let browser = rt.block_on(Browser::start())?;
    let sb = Sandbox::new();
    sb.write_connectors(&connectors(&peer));
    Some((peer, rt, browser, sb))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The query parameter `key` of an address.
fn param(url: &str, key: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

/// A redirect to the listener on `port`, as a browser would send it.
fn redirect(port: u16, code: &str, state: &str) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /callback?code={code}&state={state} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut answer);
}

/// `request` sent to the listener on `port` as it is; the whole answer.
fn http(port: u16, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut answer);
    answer
}

/// A stand-in `xdg-open`, first in `PATH`: it keeps its command line, the mode of the file it
/// is given and a copy of it (credlink removes its launch page when the sign-in ends).
struct Opener {
    dir: tempfile::TempDir,
}

impl Opener {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let script = format!(
            "#!/bin/sh\ncp \"$1\" '{d}/page.html'\nstat -c %a \"$1\" > '{d}/mode'\nprintf '%s\\n' \"$@\" > '{d}/argv.part'\nmv '{d}/argv.part' '{d}/argv'\n"
        );
        let opener = dir.path().join("xdg-open");
        std::fs::write(&opener, script).unwrap();
        std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        Self { dir }
    }

    /// `PATH` with the stand-in first.
    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// The opener's arguments, one a line, once it ran (it runs beside credlink).
    fn argv(&self) -> String {
        let argv = self.dir.path().join("argv");
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&argv) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the opener did not run");
    }

    fn ran(&self) -> bool {
        self.dir.path().join("page.html").exists()
    }

    fn mode(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mode"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// The copy of the launch page.
    fn page(&self) -> std::path::PathBuf {
        self.dir.path().join("page.html")
    }

    /// The address the launch page sends the browser to.
    fn target(&self) -> String {
        self.argv();
        let html = std::fs::read_to_string(self.page()).unwrap();
        let (_, rest) = html
            .split_once("content=\"0; url=")
            .unwrap_or_else(|| panic!("no refresh in {html}"));
        let (target, _) = rest.split_once('"').unwrap();
        target.replace("&quot;", "\"").replace("&amp;", "&")
    }
}

/// Port 6666, which chromium refuses to load (one of its "unsafe" ports), as a browser on
/// another machine cannot reach this one's listener: the code stays in the address it shows.
/// `None` when it is taken. The guard keeps the tests that use it from running at once.
fn unreachable_port() -> Option<(u16, std::sync::MutexGuard<'static, ()>)> {
    static TAKEN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = TAKEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let port = 6666;
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        eprintln!("SKIPPED: port {port} is in use");
        return None;
    }
    Some((port, guard))
}

#[track_caller]
fn assert_nothing_saved(sb: &Sandbox) {
    assert!(sb.account_names().is_empty(), "{:?}", sb.account_names());
    assert!(sb.secrets_in("").is_empty());
}

/// The one stored secret of the sandbox, as the JSON object of the connector's secrets.
fn stored(sb: &Sandbox) -> Value {
    let secrets = sb.secrets_in("");
    assert_eq!(secrets.len(), 1, "one secret entry");
    serde_json::from_str(&secrets[0]).expect("a JSON object of secrets")
}

fn index_text(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.index_path()).unwrap_or_default()
}

#[track_caller]
fn assert_kept_secret(sb: &Sandbox, outs: &[&Output], secrets: &[&str]) {
    for secret in secrets {
        for out in outs {
            assert_hidden(out, secret);
        }
        assert_lacks(&index_text(sb), secret, "the index");
    }
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_browser_sign_in_links_and_the_account_refreshes_rotates_and_revokes() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let port = free_port();
    let mut linking = Linking::start(&sb, "local-code", "code-client", port, &["-v"]);
    let url = linking.authorize_url();
    assert_eq!(param(&url, "code_challenge_method"), "S256");
    assert_eq!(
        param(&url, "redirect_uri"),
        format!("http://127.0.0.1:{port}/callback")
    );
    let landed = rt.block_on(browser.consent(&url, true));
    let code = param(&landed, "code");
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 0);
    let err = stderr(&out);
    // The redirect URI to register comes first.
    assert!(
        err.starts_with(&format!(
            "Local (local-code) signs you in through a browser. The OAuth app's redirect URI at Local (local-code) must be exactly:\n  http://127.0.0.1:{port}/callback"
        )),
        "{err}"
    );
    assert_has(&stdout(&out), "Linked acct (Local (local-code)): HTTP 200");
    let secret = stored(&sb);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    let first = text(&secret["refresh_token"]).to_owned();
    assert_eq!(
        sb.index()["accounts"][0]["auth"],
        "oauth2_authorization_code"
    );
    assert_kept_secret(&sb, &[&out], &[&code, &first, CLIENT_SECRET]);
    // The listener is gone.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    // test: the refresh grant; the rotated refresh token is stored.
    let tested = sb.cmd().args(["test", "acct"]).output().unwrap();
    assert_exit(&tested, 0);
    assert_has(&stdout(&tested), "the new one is stored");
    let second = text(&stored(&sb)["refresh_token"]).to_owned();
    assert_ne!(second, first);

    // token: a fresh access token on stdout.
    let token = sb
        .cmd()
        .args(["token", "acct", "--fresh"])
        .output()
        .unwrap();
    assert_exit(&token, 0);
    assert!(!stdout(&token).trim().is_empty());
    let third = text(&stored(&sb)["refresh_token"]).to_owned();
    assert_ne!(third, second);

    // The first refresh token, reused after rotation: invalid_grant, exit 3, saying why.
    let reused = sb
        .cmd()
        .args([
            "test",
            "--connector",
            "local-refresh",
            "--client-id",
            "code-client",
            "--secret-stdin",
            "refresh_token",
        ])
        .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET)
        .write_stdin(first.clone())
        .output()
        .unwrap();
    assert_exit(&reused, 3);
    assert_has(&stdout(&reused), "invalid_grant");
    assert_has(&stdout(&reused), "already used");
    // The provider revoked the whole grant: the linked account's current token is dead too.
    let after = sb.cmd().args(["test", "acct"]).output().unwrap();
    assert_exit(&after, 3);
    assert_has(&stdout(&after), "invalid_grant");
    assert_has(
        &stdout(&after),
        "credlink link local-code --name acct --force",
    );
    assert_kept_secret(
        &sb,
        &[&tested, &token, &reused, &after],
        &[&code, &first, &second, &third, CLIENT_SECRET],
    );

    // revoke removes the account (RFC 7009 for the refresh token).
    let revoked = sb.cmd().args(["revoke", "acct", "--yes"]).output().unwrap();
    assert_exit(&revoked, 0);
    assert!(sb.account_names().is_empty());
    assert!(sb.secrets_in("").is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn denied_consent_exits_3_and_saves_nothing() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::start(&sb, "local-code", "code-client", free_port(), &[]);
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, false));
    assert_has(&landed, "error=access_denied");
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 3);
    assert_has(
        &stderr(&out),
        "did not grant access (access_denied: End-User aborted interaction); nothing was saved",
    );
    assert!(sb.account_names().is_empty());
    assert!(sb.secrets_in("").is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn the_redirect_pasted_on_stdin_links_a_public_client() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let Some((port, _taken)) = unreachable_port() else {
        rt.block_on(browser.close());
        return;
    };
    let mut linking = Linking::start(&sb, "local-public", "public-code-client", port, &[]);
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    // Something else first, then the address with an older sign-in's state: refused, and
    // the wait goes on.
    linking.paste("http://127.0.0.1:1/elsewhere?code=x&state=y");
    let state = param(&landed, "state");
    linking.paste(&landed.replace(&format!("state={state}"), "state=older-sign-in"));
    linking.paste(&landed);
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "that is not the redirect address");
    assert_has(
        &stderr(&out),
        "error: it is not from the sign-in credlink started: its `state` does not match",
    );
    assert_has(&stdout(&out), "Linked acct (Local (local-public))");
    // A public client: the refresh token alone is the stored secret.
    let secrets = sb.secrets_in("");
    assert_eq!(secrets.len(), 1);
    assert_kept_secret(&sb, &[&out], &[&code, &secrets[0]]);
    let tested = sb.cmd().args(["test", "acct"]).output().unwrap();
    assert_exit(&tested, 0);
}

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
    let sb = Sandbox::new();
    sb.write_connectors(&connectors(&peer));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port();
    let out = Linking::start(&sb, "local-code", "code-client", busy, &[]).finish();
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "--redirect-port");
    assert!(sb.account_names().is_empty());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_replayed_code_is_refused_and_saves_nothing() {
    let Some((peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let port = free_port();
    let mut first = Linking::start(&sb, "local-nopkce", "code-client", port, &[]);
    let url = first.authorize_url();
    assert!(!url.contains("code_challenge"), "{url}");
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    let first = first.finish();
    assert_exit(&first, 0);

    // The same code, presented again by another run with that run's own state.
    let mut again = Linking::start_as(
        &sb,
        "local-nopkce",
        "again",
        ("code-client", CLIENT_SECRET),
        port,
        &[],
    );
    let state = param(&again.authorize_url(), "state");
    redirect(port, &code, &state);
    let out = again.finish();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_grant");
    assert_has(&stderr(&out), "nothing was saved");
    assert_eq!(sb.account_names(), ["acct"]);
    assert_kept_secret(&sb, &[&first, &out], &[&code, CLIENT_SECRET]);
    let tokens = peer
        .requests()
        .iter()
        .filter(|r| r.starts_with("REQ POST /token"))
        .count();
    assert_eq!(tokens, 2, "{:?}", peer.requests());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn an_expired_code_is_refused_and_saves_nothing() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let rt = runtime();
    let Some(browser) = rt.block_on(Browser::start()) else {
        return;
    };
    let Some((port, _taken)) = unreachable_port() else {
        rt.block_on(browser.close());
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&connectors(&peer));
    // The peer's codes for this client live 2 s.
    let mut linking = Linking::start(&sb, "local-code", "expiring-code-client", port, &[]);
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    std::thread::sleep(Duration::from_secs(3));
    linking.paste(&landed);
    let out = linking.finish();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_grant");
    assert_has(&stderr(&out), "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[&code, CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_code_issued_for_another_pkce_verifier_is_refused() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let rt = runtime();
    let Some(browser) = rt.block_on(Browser::start()) else {
        return;
    };
    let Some((port, _taken)) = unreachable_port() else {
        rt.block_on(browser.close());
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&connectors(&peer));
    // A code issued for one run's code challenge...
    let mut first = Linking::start(&sb, "local-code", "code-client", port, &[]);
    let url = first.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    first.kill();
    let code = param(&landed, "code");
    // ...reaches another run, whose verifier does not match it.
    let mut other = Linking::start(&sb, "local-code", "code-client", port, &[]);
    let state = param(&other.authorize_url(), "state");
    redirect(port, &code, &state);
    let out = other.finish();
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_grant");
    assert_has(&stderr(&out), "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[&code, CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_provider_that_issues_no_refresh_token_exits_3_with_the_hint() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::start_as(
        &sb,
        "local-code",
        "acct",
        ("norefresh-client", "norefresh-secret"),
        free_port(),
        &[],
    );
    let url = linking.authorize_url();
    let landed = rt.block_on(browser.consent(&url, true));
    rt.block_on(browser.close());
    let code = param(&landed, "code");
    let out = linking.finish();
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert_has(&err, "no refresh token");
    assert_has(&err, "offline_access");
    assert_has(&err, "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[&code, "norefresh-secret"]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_device_code_approved_in_the_browser_links_and_the_account_refreshes() {
    let Some((peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::device(&sb, "device-client", &["-v"]);
    let (uri, user_code) = linking.device_code();
    assert_eq!(uri, format!("{}/device", peer.url));
    let complete = linking.line_after("Or open this address, which carries the code:");
    assert_eq!(param(&complete, "user_code"), user_code);
    rt.block_on(browser.approve_device(&uri, &user_code, true));
    rt.block_on(browser.close());
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(
        &stdout(&out),
        "Linked acct (Local (local-device)): HTTP 200",
    );
    let secret = stored(&sb);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    let first = text(&secret["refresh_token"]).to_owned();
    assert_eq!(sb.index()["accounts"][0]["auth"], "oauth2_device_code");
    assert!(
        peer.requests()
            .iter()
            .any(|r| r.starts_with("REQ POST /device/auth 200")),
        "{:?}",
        peer.requests()
    );
    assert_kept_secret(&sb, &[&out], &[&first, CLIENT_SECRET]);

    // The account is one of the refresh-token kind's: test rotates, token, revoke.
    let tested = sb.cmd().args(["test", "acct"]).output().unwrap();
    assert_exit(&tested, 0);
    let second = text(&stored(&sb)["refresh_token"]).to_owned();
    assert_ne!(second, first);
    let token = sb
        .cmd()
        .args(["token", "acct", "--fresh"])
        .output()
        .unwrap();
    assert_exit(&token, 0);
    let access = stdout(&token).trim().to_owned();
    assert!(!access.is_empty());
    assert_kept_secret(
        &sb,
        &[&out, &tested],
        &[&first, &second, &access, CLIENT_SECRET],
    );
    let revoked = sb.cmd().args(["revoke", "acct", "--yes"]).output().unwrap();
    assert_exit(&revoked, 0);
    assert_nothing_saved(&sb);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn a_device_code_denied_in_the_browser_exits_3_and_saves_nothing() {
    let Some((_peer, rt, browser, sb)) = browser_sandbox() else {
        return;
    };
    let mut linking = Linking::device(&sb, "device-client", &[]);
    let (uri, user_code) = linking.device_code();
    rt.block_on(browser.approve_device(&uri, &user_code, false));
    rt.block_on(browser.close());
    let out = linking.finish();
    assert_exit(&out, 3);
    assert_has(
        &stderr(&out),
        "Local (local-device) did not grant access (access_denied",
    );
    assert_has(&stderr(&out), "nothing was saved");
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[CLIENT_SECRET]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn an_expired_device_code_or_the_end_of_the_wait_stops_the_sign_in() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&connectors(&peer));
    // The peer's device codes for this client live 3 s; the first poll comes after 5 s.
    let mut linking = Linking::device(&sb, "expiring-device-client", &[]);
    let _ = linking.device_code();
    let out = linking.finish();
    assert_exit(&out, 3);
    assert_has(
        &stderr(&out),
        "Local (local-device) let the code expire before the sign-in finished (expired_token",
    );
    assert_nothing_saved(&sb);
    assert_kept_secret(&sb, &[&out], &[CLIENT_SECRET]);

    // --wait ends it before the code expires: exit 4, nothing saved.
    let mut linking = Linking::device(&sb, "device-client", &["--wait", "2"]);
    let _ = linking.device_code();
    let out = linking.finish();
    assert_exit(&out, 4);
    assert_has(&stderr(&out), "the sign-in did not finish within 2 s");
    assert_nothing_saved(&sb);

    // A device sign-in has no redirect: --redirect-port is bad input.
    let out = Linking::device(&sb, "device-client", &["--redirect-port", "8080"]).finish();
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "--redirect-port is for connectors");
    assert_nothing_saved(&sb);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, node): run scripts/test"
)]
#[test]
fn device_polling_opens_the_browser_keeps_the_interval_and_slows_down_when_asked() {
    let (Some(stub), Some(())) = (Peer::start_stub(&["device"]), keyring()) else {
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&stub_device_connectors(&stub.url));
    // Without --no-browser: a stand-in `xdg-open` notes what it was asked to open.
    let opener = Opener::new();
    let mut cmd = sb.std_cmd();
    cmd.args([
        "link",
        "stub-device",
        "--name",
        "acct",
        "--client-id",
        "c",
        "-v",
    ])
    .env("PATH", opener.path())
    .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET);
    let mut linking = Linking::spawn(cmd);
    let (uri, code) = linking.device_code();
    assert_eq!(uri, format!("{}/device", stub.url));
    assert_eq!(code, "WDJB-MJHT");
    let out = linking.finish();
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (Stub device)");
    // The stub gives no verification_uri_complete: the browser opens the plain address.
    assert_eq!(opener.target(), format!("{}/device", stub.url));
    // The device code (the stub's start with `dc-`) is a credential: not even in the -v trace.
    assert_has(&stderr(&out), "/device/auth");
    assert_lacks(&stderr(&out), "dc-", "stderr");
    // pending after 1 s, slow_down after 2 s, then every 1 + 5 s; the 500 after slow_down is
    // a blip: polling goes on and the next poll gets the tokens.
    let polls: Vec<u64> = serde_json::from_value(stub.call("GET", "/stub/polls")).unwrap();
    assert_eq!(polls.len(), 4, "{polls:?}");
    assert!(polls[0] >= 900 && polls[0] < 3000, "{polls:?}");
    assert!(polls[1] - polls[0] >= 900, "{polls:?}");
    assert!(polls[2] - polls[1] >= 5900, "{polls:?}");
    assert!(polls[3] - polls[2] >= 5900, "{polls:?}");
    let secret = stored(&sb);
    assert_kept_secret(
        &sb,
        &[&out],
        &[text(&secret["refresh_token"]), CLIENT_SECRET],
    );
}

/// Issue "Hardening, third round", class 5: the addresses of a device answer are shown without
/// control or invisible characters (bidi overrides, zero-width), and only an https address, or
/// http to this machine, is opened: not `javascript:`, `file:`, `data:`, plain http elsewhere
/// or an address with a user name. A `user_code` that cleaning would change is refused (exit
/// 4): the user could not type it as sent.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_answer_is_shown_clean_and_only_https_addresses_are_opened() {
    let Some(()) = keyring() else { return };
    const HIDDEN: [char; 8] = [
        '\u{1b}', '\u{7}', '\u{202e}', '\u{200b}', '\u{2066}', '\u{feff}', '\u{ad}', '\u{3164}',
    ];
    // verification_uri, verification_uri_complete, what is shown, what is opened.
    let cases: [(&str, Option<&str>, &str, Option<&str>); 8] = [
        (
            "\u{202e}https://exa\u{200b}mple.com/dev\u{2066}ice\u{feff}",
            None,
            "https://example.com/device",
            Some("https://example.com/device"),
        ),
        (
            "https://example.com/device",
            Some("HTTPS://EXAMPLE.com/device?user_code=WDJB\u{ad}-MJHT"),
            "https://example.com/device?user_code=WDJB-MJHT",
            Some("https://example.com/device?user_code=WDJB-MJHT"),
        ),
        (
            "https://example.com/device",
            Some("javascript:alert(document.cookie)//\u{202e}\u{1b}[2J"),
            "javascript:alert(document.cookie)//[2J",
            None,
        ),
        (
            " \u{7}javascript:alert(1)",
            None,
            "javascript:alert(1)",
            None,
        ),
        ("file:///etc/passwd", None, "file:///etc/passwd", None),
        (
            "data:text/html,<script>alert(1)</script>",
            None,
            "data:text/html,<script>alert(1)</script>",
            None,
        ),
        (
            "http://evil.example/device",
            None,
            "http://evil.example/device",
            None,
        ),
        (
            "HTTPS://accounts.example.com@evil.example/device",
            None,
            "https://accounts.example.com@evil.example/device",
            None,
        ),
    ];
    let sb = Sandbox::new();
    for (uri, complete, shown, opened) in cases {
        let mut answer = serde_json::json!({
            "device_code": "dc-1", "user_code": "WDJB-MJHT", "verification_uri": uri,
            "interval": 1, "expires_in": 60,
        });
        if let Some(complete) = complete {
            answer["verification_uri_complete"] = complete.into();
        }
        let server = device_server(answer).await;
        sb.write_connectors(&stub_device_connectors(&server.uri()));
        let opener = Opener::new();
        let out = link_device(&sb, &opener);
        let err = stderr(&out);
        assert_exit(&out, 3);
        assert!(!err.contains(HIDDEN), "{uri:?}: {err}");
        assert_has(&err, &format!("\n  {shown}\n"));
        match opened {
            Some(target) => assert_eq!(opener.target(), target, "{uri:?}"),
            None => {
                assert!(!opener.ran(), "{uri:?} was opened");
                assert_has(&err, "note: the browser was not opened at this address");
            }
        }
    }
    for code in [
        "WDJB\u{200b}-MJHT",
        "WDJB-MJHT\u{1b}[8m",
        "\u{202e}THJM-BJDW",
        "WDJB\u{3164}MJHT",
        " WDJB-MJHT",
    ] {
        let server = device_server(serde_json::json!({
            "device_code": "dc-1", "user_code": code,
            "verification_uri": "https://example.com/device", "interval": 1,
        }))
        .await;
        sb.write_connectors(&stub_device_connectors(&server.uri()));
        let opener = Opener::new();
        let out = link_device(&sb, &opener);
        assert_exit(&out, 4);
        let shown = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!shown.contains(HIDDEN), "{code:?}: {shown}");
        assert_has(
            &shown,
            "`user_code` with control, invisible or surrounding space characters",
        );
        assert!(!opener.ran(), "{code:?}: opened");
    }
    assert_nothing_saved(&sb);
}

/// A device authorization server answering `answer`, whose token endpoint answers
/// `access_denied`.
async fn device_server(answer: Value) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/device/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "access_denied"})),
        )
        .mount(&server)
        .await;
    server
}

/// `credlink link stub-device`, the browser opened by `opener`.
fn link_device(sb: &Sandbox, opener: &Opener) -> Output {
    let mut cmd = sb.std_cmd();
    cmd.args(["link", "stub-device", "--name", "acct", "--client-id", "c"])
        .env("PATH", opener.path())
        .env("CREDLINK_CLIENT_SECRET", CLIENT_SECRET);
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null()).output().unwrap()
}

/// Done means (issue 14): JobAdder's own catalog entry, copied with only its hosts rewritten
/// to the loopback provider, links through a real browser: its authorize and token paths,
/// its client authentication (secret in the body) and its choice of no PKCE.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider, chromium): run scripts/test"
)]
#[test]
fn the_jobadder_entry_links_through_a_real_browser() {
    let (Some(peer), Some(())) = (Peer::start(), keyring()) else {
        return;
    };
    let rt = runtime();
    let Some(browser) = rt.block_on(Browser::start()) else {
        return;
    };
    let sb = Sandbox::new();
    sb.write_connectors(&entry_on("jobadder", &peer.url));
    let port = free_port();
    let mut linking = Linking::start(&sb, "jobadder", "jobadder-client", port, &[]);
    let url = linking.authorize_url();
    assert!(url.contains("/connect/authorize?"), "{url}");
    assert!(
        !url.contains("code_challenge"),
        "JobAdder's entry sends no PKCE: {url}"
    );
    let landed = rt.block_on(browser.consent(&url, true));
    let code = param(&landed, "code");
    let out = linking.finish();
    rt.block_on(browser.close());
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acct (JobAdder)");
    let secret = stored(&sb);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    let refresh = text(&secret["refresh_token"]).to_owned();
    assert_eq!(sb.index()["accounts"][0]["connector"], "jobadder");
    assert!(
        peer.requests()
            .iter()
            .any(|r| r == "REQ POST /connect/token 200"),
        "the code went to JobAdder's token path: {:?}",
        peer.requests()
    );
    assert_kept_secret(&sb, &[&out], &[&code, &refresh, CLIENT_SECRET]);
    // The refresh grant asks for no scope: `offline_access` is a sign-in scope, not one the
    // refresh token holds.
    let tested = sb.cmd().args(["test", "acct"]).output().unwrap();
    assert_exit(&tested, 0);
}
