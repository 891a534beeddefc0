//! `credlink exec NAME... -- CMD ARGS...` against the oidc-provider peer (its `/test/whoami`
//! resource is the connector's permission call, and so the base URL's origin), a wiremock
//! stand-in for an API key, and the real Secret Service. The command is read from outside
//! while it runs: `/proc/PID/cmdline` and `/proc/PID/environ`, and every process's command line.

mod env;
mod process;
mod usage;

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command as StdCommand, Stdio};

use crate::support::*;

/// The client secret of the peer's `basic-client`, which the accounts here are linked with.
const SECRET: &str = "basic-secret";

/// A connectors file with `mock` on the peer: client credentials (basic-client), and
/// `/test/whoami` (a resource that takes the peer's client-credentials tokens) as its
/// permission call.
fn peer_connector(peer: &Peer) -> String {
    oauth_connector(
        &format!("{}/token", peer.url),
        "basic",
        &format!(
            "scope = \"api:read\"\napi_base = \"{0}/\"\npermission_check = {{ url = \"{0}/test/whoami\" }}",
            peer.url
        ),
        "",
    )
}

/// Links `mock` as `name` with basic-client's secret on stdin.
#[track_caller]
fn link(sb: &Sandbox, name: &str) {
    sb.when(&[
        "link",
        "mock",
        "--name",
        name,
        "--client-id",
        "basic-client",
        "--client-secret-stdin",
        "--no-input",
    ])
    .stdin(&format!("{SECRET}\n"))
    .then()
    .exits(0);
}

/// A sandbox on the peer with `acme-hr` linked.
fn linked(peer: &Peer) -> Sandbox {
    let sb = Sandbox::with_connectors(&peer_connector(peer));
    link(&sb, "acme-hr");
    sb
}

/// `credlink exec ARGS`, proxies unset (the command inherits that too).
fn exec(sb: &Sandbox, args: &[&str]) -> When {
    let mut all = vec!["exec"];
    all.extend_from_slice(args);
    sb.when(&all).without_proxies()
}

/// `credlink exec ARGS` running in the background with stdin open, stdout read line by line.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn start(sb: &Sandbox, args: &[&str]) -> Self {
        let mut cmd = sb.std_cmd();
        cmd.arg("exec").args(args);
        for var in PROXY_VARS {
            cmd.env_remove(var);
        }
        Self::spawn(cmd)
    }

    fn spawn(mut cmd: StdCommand) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("credlink starts");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    /// The next line the command printed.
    #[track_caller]
    fn line(&mut self) -> String {
        self.lines
            .next()
            .expect("a line from the command")
            .expect("readable")
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, name: &str) {
        signal(self.pid(), name);
    }

    /// Closes stdin and waits: the exit status, and stderr.
    fn finish(mut self) -> (std::process::ExitStatus, String) {
        drop(self.child.stdin.take());
        // The rest of stdout, so that the command never blocks on a full pipe.
        self.lines.map_while(Result::ok).for_each(drop);
        let out = wait_for(self.child, PROCESS_TIMEOUT, "credlink exec");
        (out.status, stderr(&out))
    }
}

fn signal(pid: u32, name: &str) {
    let status = StdCommand::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

/// `/proc/PID/FILE` split at its NUL bytes (`cmdline`, `environ`).
fn proc_list(pid: u32, file: &str) -> Vec<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/{file}")).unwrap_or_default();
    bytes
        .split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect()
}

/// A variable of `/proc/PID/environ`.
fn environ_var(pid: u32, var: &str) -> Option<String> {
    proc_list(pid, "environ")
        .into_iter()
        .find_map(|entry| entry.strip_prefix(&format!("{var}=")).map(str::to_owned))
}

/// Waits (up to 30 s) until process `pid`'s command line is `expected`.
#[track_caller]
fn wait_for_cmdline(pid: u32, expected: &[&str]) {
    for _ in 0..600 {
        if proc_list(pid, "cmdline") == expected {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "process {pid} runs {:?}, not {expected:?}",
        proc_list(pid, "cmdline")
    );
}

/// How many times the peer logged exactly `line`, waiting up to about two seconds for `at_least`.
fn seen(peer: &Peer, line: &str, at_least: usize) -> usize {
    let count = || peer.requests().iter().filter(|l| *l == line).count();
    let mut n = count();
    for _ in 0..20 {
        if n >= at_least {
            break;
        }
        n = count();
    }
    n
}

const TOKEN_OK: &str = "REQ POST /token 200";
