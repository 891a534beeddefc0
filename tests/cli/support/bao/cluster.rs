//! A 3-node raft cluster of OpenBao servers on loopback.

use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{bao_bin, bao_command, health, kill_child};
use crate::support::{describe, free_port, stderr, stdout, text};

/// A 3-node raft cluster on loopback (non-dev servers, one unseal key), `secret/` = KV v2.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    nodes: Vec<Node>,
    pub root: String,
    unseal_key: String,
}

pub struct Node {
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
