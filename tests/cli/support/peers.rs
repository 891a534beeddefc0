//! The oidc-provider peer (tests/peer/server.js) and the node stubs (tests/peer/stubs.js) on
//! loopback ports, and RFC 7662 introspection at the peer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Sandbox, skip_or_fail};

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

    /// A sandbox whose connectors file is [`Peer::connectors`].
    pub fn sandbox(&self) -> Sandbox {
        Sandbox::with_connectors(&self.connectors())
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
