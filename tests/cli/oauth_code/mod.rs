//! `oauth2_authorization_code` end to end: `credlink link` signs in through a real headless
//! browser (Debian's chromium, driven over WebDriver by chromedriver) at oidc-provider's
//! sign-in and consent pages, and completes through its loopback listener; denied consent,
//! a forged redirect, the paste fallback, a replayed, an expired and a PKCE-mismatched code, no
//! refresh token, and an old refresh token reused after rotation. `oauth2_device_code`
//! (RFC 8628): the user code entered and approved or denied in the browser, an expired code,
//! the end of `--wait`, and the polling interval with `slow_down` (a stub: oidc-provider never
//! asks to slow down). Nothing is saved on failure; no code, token or secret shows in output
//! or index.
//!
//! The browser is a fixture in `support::browser`; the tests are split by sign-in.

mod code;
mod device;
mod listener;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::support::browser::*;
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

/// The peer, a keychain, a runtime, a headless browser and a sandbox with the test
/// connectors: `None` (a skip, a failure in CI) when a peer is missing.
fn browser_sandbox() -> Option<(Peer, tokio::runtime::Runtime, Browser, Sandbox)> {
    let peer = Peer::start()?;
    keyring()?;
    let rt = runtime();
    let browser = rt.block_on(Browser::start())?;
    let sb = Sandbox::with_connectors(&connectors(&peer));
    Some((peer, rt, browser, sb))
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
