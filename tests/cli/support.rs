//! Test support: a sandbox per test (config dir, keychain service, connectors file) and the
//! real peers: the oidc-provider OAuth 2.0 server on loopback and the Secret Service.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// A secret that must never appear in any output or file.
pub const MARKER: &str = "MARKER-s3cr3t-7f3a9c";

/// In CI a missing real peer is a failure, not a skip: a skipped test there hides a broken set-up.
pub fn skip_or_fail<T>(what: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set: run the tests with scripts/test");
    }
    eprintln!("SKIPPED: {what} is missing (run the tests with scripts/test)");
    None
}

/// `Some(())` when a real Secret Service is up (scripts/test sets CREDLINK_TEST_KEYRING).
pub fn keyring() -> Option<()> {
    if std::env::var_os("CREDLINK_TEST_KEYRING").is_some() {
        Some(())
    } else {
        skip_or_fail("a Secret Service (gnome-keyring)")
    }
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub service: String,
}

impl Sandbox {
    pub fn new() -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let service = format!(
            "credlink-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        Self {
            dir: tempfile::tempdir().unwrap(),
            service,
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn index_path(&self) -> PathBuf {
        self.config_dir().join("accounts.json")
    }

    pub fn connectors_path(&self) -> PathBuf {
        self.dir.path().join("connectors.toml")
    }

    pub fn write_connectors(&self, toml: &str) {
        std::fs::write(self.connectors_path(), toml).unwrap();
    }

    /// The real binary, isolated: its own config dir, keychain service and connectors file,
    /// and none of the caller's credential variables.
    pub fn std_cmd(&self) -> StdCommand {
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_credlink"));
        cmd.env("CREDLINK_CONFIG_DIR", self.config_dir())
            .env("CREDLINK_KEYCHAIN_SERVICE", &self.service)
            .env_remove("CREDLINK_CLIENT_ID")
            .env_remove("CREDLINK_CLIENT_SECRET")
            .env_remove("CREDLINK_API_KEY")
            .env_remove("CREDLINK_CONNECTORS")
            .env_remove("CREDLINK_STORE")
            .env_remove("CREDLINK_STORE_ALLOW_HTTP");
        // The team store's settings of the caller's shell must not reach the binary.
        for var in [
            "ADDR",
            "TOKEN",
            "TOKEN_PATH",
            "ROLE_ID",
            "SECRET_ID",
            "NAMESPACE",
        ] {
            cmd.env_remove(format!("BAO_{var}"))
                .env_remove(format!("VAULT_{var}"));
        }
        if self.connectors_path().exists() {
            cmd.env("CREDLINK_CONNECTORS", self.connectors_path());
        }
        cmd
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.std_cmd());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    pub fn index(&self) -> serde_json::Value {
        match std::fs::read_to_string(self.index_path()) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => serde_json::json!({"version": 1, "accounts": []}),
        }
    }

    pub fn account_names(&self) -> Vec<String> {
        self.index()["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The secret stored for an account, read with `secret-tool`, independently of credlink.
    pub fn keychain_secret(&self, account: &str) -> Option<String> {
        let out = StdCommand::new("secret-tool")
            .args(["lookup", "service", &self.service, "username", account])
            .output()
            .expect("secret-tool runs");
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    pub fn store_secret(&self, account: &str, secret: &str) {
        use std::io::Write;
        let mut child = StdCommand::new("secret-tool")
            .args([
                "store",
                "--label",
                "test",
                "service",
                &self.service,
                "username",
                account,
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(secret.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }

    /// Whether an access token is cached for an account (credlink keeps the last one beside the
    /// secret, under service `SERVICE:token`, so `revoke` can revoke it), read with `secret-tool`.
    pub fn has_cached_token(&self, account: &str) -> bool {
        StdCommand::new("secret-tool")
            .args([
                "lookup",
                "service",
                &format!("{}:token", self.service),
                "username",
                account,
            ])
            .output()
            .expect("secret-tool runs")
            .status
            .success()
    }

    pub fn clear_secret(&self, account: &str) {
        StdCommand::new("secret-tool")
            .args(["clear", "service", &self.service, "username", account])
            .status()
            .unwrap();
    }
}

/// The oidc-provider peer (tests/peer/server.js) on an ephemeral loopback port.
pub struct Peer {
    child: Child,
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer")
}

impl Peer {
    /// `None` (a skip) on a machine without the peer installed, a panic in CI.
    pub fn start() -> Option<Self> {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Option<Self> {
        if !peer_dir().join("node_modules/oidc-provider").exists() {
            return skip_or_fail("the oidc-provider peer (npm ci in tests/peer)");
        }
        Some(Self::spawn_script("server.js", extra))
    }

    /// tests/peer/stubs.js (node built-ins only): `exchange`, or `mtls DIR`.
    pub fn start_stub(args: &[&str]) -> Option<Self> {
        let node = StdCommand::new("node").arg("--version").output();
        if !node.is_ok_and(|o| o.status.success()) {
            return skip_or_fail("node (for tests/peer/stubs.js)");
        }
        Some(Self::spawn_script("stubs.js", args))
    }

    /// Starts a peer script and waits for its READY line. A start that hangs (seen once, on
    /// a loaded machine) is killed and tried again, rather than holding the suite.
    fn spawn_script(script: &str, extra: &[&str]) -> Self {
        const READY_WAIT: Duration = Duration::from_secs(45);
        for attempt in 1..=2 {
            let mut child = StdCommand::new("node")
                .args([script, "--watch-stdin"])
                .args(extra)
                .current_dir(peer_dir())
                // The peer exits when its stdin closes, so it never outlives a crashed test.
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("node starts");
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let (tx, rx) = std::sync::mpsc::channel();
            let requests = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&requests);
            std::thread::spawn(move || {
                let first = lines.next().map(|l| l.unwrap_or_default());
                let _ = tx.send(first);
                for line in lines.map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
            let ready = match rx.recv_timeout(READY_WAIT) {
                Ok(Some(line)) => line,
                Ok(None) => panic!("the peer {script} exited before it was ready"),
                Err(_) if attempt == 1 => {
                    eprintln!(
                        "the peer {script} did not start within {READY_WAIT:?}; trying again"
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    continue;
                }
                Err(_) => panic!("the peer {script} did not start within {READY_WAIT:?}, twice"),
            };
            let url = ready
                .strip_prefix("READY ")
                .unwrap_or_else(|| panic!("unexpected peer line: {ready}"))
                .to_owned();
            return Self {
                child,
                url,
                requests,
            };
        }
        unreachable!("the loop returns or panics")
    }

    /// A plain-http request to the peer with an empty body (its test-only routes), the answer
    /// parsed as JSON.
    pub fn call(&self, method: &str, path: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let addr = self.url.strip_prefix("http://").expect("a plain-http peer");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (_, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {answer}"))
    }

    /// `REQ POST /token 200` lines seen so far.
    pub fn requests(&self) -> Vec<String> {
        // The peer prints a line when a response finishes; give the reader thread a moment.
        std::thread::sleep(Duration::from_millis(100));
        self.requests.lock().unwrap().clone()
    }

    /// A connectors file with two connectors on this peer: client_secret_basic with RFC 7009
    /// revocation, and client_secret_post.
    pub fn connectors(&self) -> String {
        format!(
            r#"
[connectors.local-basic]
name = "Local (basic)"
auth = "oauth2_client_credentials"
docs = "https://example.com/docs"
steps = ["Use basic-client / basic-secret."]
token_url = "{url}/token"
client_auth = "basic"
scope = "api:read"
revoke_url = "{url}/token/revocation"
hints = {{ invalid_client = "LOCAL-HINT: check the client id and secret." }}

[[connectors.local-basic.fields]]
id = "client_id"
label = "Client ID"
pattern = "^[a-z-]+$"
help = "lowercase letters"

[[connectors.local-basic.fields]]
id = "client_secret"
label = "Client secret"
secret = true

[connectors.local-post]
name = "Local (post)"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "post"
scope = "api:read"

[[connectors.local-post.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-post.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
            url = self.url
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit status and both streams, for assertion messages.
pub fn describe(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

#[track_caller]
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", describe(out));
}

#[track_caller]
pub fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

#[track_caller]
pub fn assert_lacks(text: &str, needle: &str, what: &str) {
    assert!(
        !text.contains(needle),
        "{what} must not contain {needle:?}:\n{text}"
    );
}

/// Neither stream shows `secret`.
#[track_caller]
pub fn assert_hidden(out: &std::process::Output, secret: &str) {
    assert!(
        !stdout(out).contains(secret) && !stderr(out).contains(secret),
        "{secret:?} leaked:\n{}",
        describe(out)
    );
}

/// A JSON value that must be a string.
#[track_caller]
pub fn text(v: &serde_json::Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A connectors file with one OAuth connector `mock`. `extra` adds top-level keys (scope,
/// token_params), `more_fields` more `[[connectors.mock.fields]]` tables.
pub fn oauth_connector(
    token_url: &str,
    client_auth: &str,
    extra: &str,
    more_fields: &str,
) -> String {
    format!(
        r#"
[connectors.mock]
name = "Mock OAuth"
auth = "oauth2_client_credentials"
token_url = "{token_url}"
client_auth = "{client_auth}"
{extra}

[[connectors.mock.fields]]
id = "client_id"
label = "Client ID"

[[connectors.mock.fields]]
id = "client_secret"
label = "Client secret"
secret = true
{more_fields}
"#
    )
}

/// A `mock` OAuth connector whose token URL holds a `subdomain` field that a pasted sign-in URL
/// (`https://SUBDOMAIN.example.com`) can give; `base` is the token endpoint's origin.
pub fn subdomain_connector(base: &str) -> String {
    oauth_connector(
        &format!("{base}/t/{{subdomain}}/token"),
        "post",
        "",
        r#"
[[connectors.mock.fields]]
id = "subdomain"
label = "Mock subdomain"
pattern = "^[a-z0-9][a-z0-9-]{0,62}$"
sign_in_url = "https://{subdomain}.example.com"
"#,
    )
}

/// A test step by step: `given` a sandbox, `when` credlink runs with these arguments (and
/// environment, stdin), `then` its exit code and output are as expected.
///
/// ```ignore
/// sb.when(&["list"]).then().exits(0).stdout_is(TABLE);
/// ```
pub struct When<'a> {
    sb: &'a Sandbox,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: String,
}

impl Sandbox {
    pub fn when(&self, args: &[&str]) -> When<'_> {
        When {
            sb: self,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: Vec::new(),
            stdin: String::new(),
        }
    }
}

impl When<'_> {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = text.to_owned();
        self
    }

    pub fn then(self) -> Then {
        let mut cmd = self.sb.cmd();
        cmd.args(&self.args).write_stdin(self.stdin);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        Then {
            out: cmd.output().unwrap(),
        }
    }
}

/// What a run did, checked one expectation at a time.
pub struct Then {
    pub out: std::process::Output,
}

/// Output with every duration (`12 ms`, width kept) and port (`:41234`) written as `N`, so that
/// human output can be pinned exactly.
pub fn steady(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut number = c.to_string();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                number.push(*d);
                chars.next();
            }
            let rest: String = chars.clone().take(3).collect();
            if rest == " ms" {
                // Right-aligned in a column (spaces before it): keep the width.
                if out.ends_with("  ") {
                    out.push_str(&" ".repeat(number.len() - 1));
                }
                out.push('N');
            } else if out.ends_with(':') && number.len() >= 4 {
                out.push('N');
            } else {
                out.push_str(&number);
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Then {
    #[track_caller]
    pub fn exits(self, code: i32) -> Self {
        assert_exit(&self.out, code);
        self
    }

    /// stdout, with durations and ports made steady, is exactly `expected`.
    #[track_caller]
    pub fn stdout_is(self, expected: &str) -> Self {
        let shown = steady(&stdout(&self.out));
        assert_eq!(shown, expected, "{}", describe(&self.out));
        self
    }

    #[track_caller]
    pub fn hides(self, secret: &str) -> Self {
        assert_hidden(&self.out, secret);
        self
    }
}

impl Sandbox {
    /// Writes a hand-made index (version 1) holding these account records, creating the
    /// config dir.
    pub fn write_index(&self, accounts: &[serde_json::Value]) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        let index = serde_json::json!({"version": 1, "accounts": accounts});
        std::fs::write(self.index_path(), index.to_string()).unwrap();
    }

    /// The secrets of every keychain item of this sandbox's service followed by `suffix` (""
    /// for the secrets, ":token" for the token cache), whatever their user names: read with
    /// `secret-tool search --all`, which prints each item's secret on stdout.
    pub fn secrets_in(&self, suffix: &str) -> Vec<String> {
        let out = StdCommand::new("secret-tool")
            .args([
                "search",
                "--all",
                "service",
                &format!("{}{suffix}", self.service),
            ])
            .output()
            .expect("secret-tool runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("secret = "))
            .map(str::to_owned)
            .collect()
    }
}

/// Starts `cmd` with piped stdio and writes `input` to its stdin.
pub fn spawn(cmd: &mut StdCommand, input: &str) -> std::process::Child {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("credlink starts");
    // A process that fails before reading stdin closes it: that is its answer, not ours.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child
}

/// Unset for every run so the steps do not depend on this machine's proxy settings.
pub const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// RFC 7662 introspection at the peer (as basic-client): is this access token still active?
pub fn token_is_active(peer: &Peer, token: &str) -> bool {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/token/introspection", peer.url))
            .basic_auth("basic-client", Some("basic-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    let answer = serde_json::from_slice::<serde_json::Value>(&answer).unwrap();
    answer["active"]
        .as_bool()
        .unwrap_or_else(|| panic!("introspection answer: {answer}"))
}

/// A `local-refresh` connector (`oauth2_refresh_token`) on the peer's refresh-token clients.
/// `link local-refresh --name NAME` for refresh-client, the refresh token read from stdin.
pub fn link_refresh_args(name: &str) -> [&str; 8] {
    [
        "link",
        "local-refresh",
        "--name",
        name,
        "--client-id",
        "refresh-client",
        "--secret-stdin",
        "refresh_token",
    ]
}

pub fn refresh_connectors(peer: &Peer) -> String {
    refresh_connectors_at(&peer.url)
}

/// A `local-refresh` connector whose token endpoint is `{url}/token`.
pub fn refresh_connectors_at(url: &str) -> String {
    format!(
        r#"
[connectors.local-refresh]
name = "Local (refresh token)"
auth = "oauth2_refresh_token"
docs = "https://example.com/docs"
steps = ["Generate a refresh token."]
token_url = "{url}/token"
client_auth = "basic"

[[connectors.local-refresh.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-refresh.fields]]
id = "client_secret"
label = "Client secret"
secret = true

[[connectors.local-refresh.fields]]
id = "refresh_token"
label = "Refresh token"
secret = true
"#
    )
}

/// The built-in entry `id` with every `https://HOST` of its URLs replaced by `base`.
pub fn entry_on(id: &str, base: &str) -> String {
    let catalog: toml::Table = toml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/connectors.toml")).unwrap(),
    )
    .unwrap();
    let mut entry = catalog["connectors"][id].clone();
    rewrite_hosts(&mut entry, base);
    let mut connectors = toml::Table::new();
    connectors.insert(id.to_owned(), entry);
    let mut file = toml::Table::new();
    file.insert("connectors".into(), toml::Value::Table(connectors));
    toml::to_string(&file).unwrap()
}

/// Rewrites the host of every request URL (`token_url`, `revoke_url`, a `url` of a call), not
/// the documentation links shown to people (`docs`, `sources`) or the sign-in address a pasted
/// URL is read by.
fn rewrite_hosts(value: &mut toml::Value, base: &str) {
    match value {
        toml::Value::Table(t) => {
            for (key, v) in t.iter_mut().filter(|(key, _)| *key != "sources") {
                match v {
                    toml::Value::String(s)
                        if key == "url" || (key.ends_with("_url") && key != "sign_in_url") =>
                    {
                        if let Some(rest) = s.strip_prefix("https://") {
                            let path = rest.find('/').map_or("", |at| &rest[at..]);
                            *s = format!("{base}{path}");
                        }
                    }
                    _ => rewrite_hosts(v, base),
                }
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(|v| rewrite_hosts(v, base)),
        _ => {}
    }
}

/// A `stub-device` connector (`oauth2_device_code`) on the device stub at `url`
/// (tests/peer/stubs.js `device`).
pub fn stub_device_connectors(url: &str) -> String {
    format!(
        r#"
[connectors.stub-device]
name = "Stub device"
auth = "oauth2_device_code"
device_authorization_url = "{url}/device/auth"
token_url = "{url}/token"
client_auth = "basic"

[[connectors.stub-device.fields]]
id = "client_id"
label = "Client ID"

[[connectors.stub-device.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    )
}

/// `credlink ARGS...` started as `LAUNCHER... -c 'SETUP && exec credlink ARGS...'` (LAUNCHER
/// ends with a shell) with the sandbox's environment, so it inherits the limits (`ulimit`),
/// ignored signals and mounts SETUP sets.
pub fn launched(sb: &Sandbox, launcher: &[&str], setup: &str, args: &[&str]) -> StdCommand {
    let inner = sb.std_cmd();
    let mut cmd = StdCommand::new(launcher[0]);
    cmd.args(&launcher[1..])
        .arg("-c")
        .arg(format!("{setup} && exec \"$@\""))
        .arg("sh")
        .arg(inner.get_program())
        .args(args);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd
}

/// [`launched`] by `sh`.
pub fn under_sh(sb: &Sandbox, setup: &str, args: &[&str]) -> StdCommand {
    launched(sb, &["sh"], setup, args)
}

/// Runs `cmd` (stdin closed) for at most `limit`, sampling its resident memory every 5 ms:
/// its output (`None` when it had to be killed) and the largest sample, in MiB.
pub fn run_watching_memory(cmd: &mut StdCommand, limit: Duration) -> (Option<Output>, u64) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("credlink starts");
    let status_file = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + limit;
    let mut peak_kib = 0;
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let rss_kib = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|status| {
                let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
                line.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            });
        peak_kib = peak_kib.max(rss_kib.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(5));
    }
    let running = child.try_wait().unwrap().is_none();
    if running {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    ((!running).then_some(out), peak_kib / 1024)
}
