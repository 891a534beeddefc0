//! credlink as a child process: started in the background, waited for within a limit, started
//! under a shell that sets limits first, watched for memory.

use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Sandbox;

/// The longest any test waits for a credlink process it expects to finish.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts `cmd` with piped stdio and writes `input` to its stdin.
pub fn spawn(cmd: &mut StdCommand, input: &str) -> Child {
    use std::io::Write;
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

// ---- helpers: processes ----

/// Waits at most `limit` for `child`; `None` when it was still running then (it is killed).
pub fn wait_within(child: Child, limit: Duration) -> Option<Output> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => Some(out.expect("credlink is waited for")),
        Err(_) => {
            let _ = StdCommand::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let _ = rx.recv();
            None
        }
    }
}

/// [`wait_within`] [`PROCESS_TIMEOUT`], which no test expects to reach.
#[track_caller]
pub fn finish(child: Child) -> Output {
    wait_for(child, PROCESS_TIMEOUT, "credlink")
}

/// Waits for `child` up to `limit`, then kills it and panics.
#[track_caller]
pub fn wait_for(child: Child, limit: Duration, what: &str) -> Output {
    wait_within(child, limit).unwrap_or_else(|| panic!("{what} did not finish within {limit:?}"))
}
