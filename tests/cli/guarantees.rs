//! The guarantees under faults, bad input, concurrency and attack: nothing lost, nothing
//! leaked. Concurrent links lose no update; a link racing a revoke of the same name ends
//! consistent; a process killed at any fault point (src/fault.rs) leaves a state that `list`
//! reads and `revoke` cleans up; a secret never reaches the command line, the environment or a
//! panic message; bad input of every kind exits 2 and changes nothing; a keychain that never
//! answers times out with a clear message.
//!
//! The crash tests need the `fault-injection` feature (scripts/test builds with it): without it
//! they skip on a laptop and fail in CI.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::support::*;

const BASIC_SECRET: &str = "basic-secret";
/// special-client's secret at the peer (tests/peer/README.md).
const SPECIAL_SECRET: &str = "s3cr+t%20:/x";
/// The longest any test waits for one credlink process before killing it and failing.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

// ---- helpers ----

/// A sandbox whose connectors file points at this peer.
fn sandbox(peer: &Peer) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_connectors(&peer.connectors());
    sb
}

/// Without the `fault-injection` feature `CREDLINK_FAULT` does nothing: skip, or fail in CI.
pub fn faults_built_in() -> Option<()> {
    if cfg!(feature = "fault-injection") {
        Some(())
    } else {
        skip_or_fail("the fault-injection feature (cargo test --features fault-injection)")
    }
}

/// `credlink link local-basic --client-id ID --client-secret-stdin EXTRA...`, `secret` on stdin.
fn spawn_link(sb: &Sandbox, client_id: &str, secret: &str, extra: &[&str]) -> Child {
    spawn(
        sb.std_cmd()
            .args([
                "link",
                "local-basic",
                "--client-id",
                client_id,
                "--client-secret-stdin",
            ])
            .args(extra),
        &format!("{secret}\n"),
    )
}

/// Waits for a spawned process (at most [`PROCESS_TIMEOUT`]) and collects its output.
fn finish(child: Child) -> Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PROCESS_TIMEOUT) {
        Ok(out) => out.expect("credlink is waited for"),
        Err(_) => {
            let _ = StdCommand::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("credlink (pid {pid}) did not finish within {PROCESS_TIMEOUT:?}");
        }
    }
}

/// `credlink link local-basic ...` to the end.
fn link(sb: &Sandbox, client_id: &str, secret: &str, extra: &[&str]) -> Output {
    finish(spawn_link(sb, client_id, secret, extra))
}

/// `credlink ARGS...` with nothing on stdin.
fn run(sb: &Sandbox, args: &[&str]) -> Output {
    sb.cmd().args(args).output().unwrap()
}

/// A credlink process stopped at a fault point by `CREDLINK_FAULT=pause@POINT`.
pub struct Paused {
    child: Child,
    point: &'static str,
    /// The stderr lines after the pause, as they come.
    rest: mpsc::Receiver<String>,
    /// Those of them already read by [`Paused::expect_line`].
    said: Vec<String>,
}

impl Paused {
    /// Spawns `cmd` with `input` on stdin, and returns once it printed
    /// `FAULT: paused at POINT`: everything before that point has happened, nothing after it.
    pub fn start(mut cmd: StdCommand, point: &'static str, input: &str) -> Self {
        cmd.env("CREDLINK_FAULT", format!("pause@{point}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("credlink starts");
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let wanted = format!("FAULT: paused at {point}");
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        let mut seen = Vec::new();
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line == wanted => {
                    return Self {
                        child,
                        point,
                        rest: rx,
                        said: Vec::new(),
                    };
                }
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = child.wait().unwrap();
                    panic!(
                        "credlink ended ({status}) before pausing at {point}; stderr:\n{}",
                        seen.join("\n")
                    );
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "credlink did not reach {point} within {PROCESS_TIMEOUT:?}; stderr:\n{}",
                        seen.join("\n")
                    );
                }
            }
        }
    }

    #[cfg(target_os = "linux")]
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lets the process go on (it was started with `CREDLINK_FAULT_RESUME=flag`), and waits for
    /// its end: its output, stderr from the pause on.
    pub fn resume(self, flag: &std::path::Path) -> Output {
        std::fs::write(flag, "").unwrap();
        self.finish()
    }

    /// Waits for the end of a process that ends by itself while paused (on a signal).
    pub fn finish(mut self) -> Output {
        let mut stdout = Vec::new();
        std::io::Read::read_to_end(&mut self.child.stdout.take().unwrap(), &mut stdout).unwrap();
        let status = self.child.wait().unwrap();
        let mut stderr = std::mem::take(&mut self.said);
        stderr.extend(self.rest.iter());
        Output {
            status,
            stdout,
            stderr: stderr.join("\n").into_bytes(),
        }
    }

    /// SIGINT, as Ctrl-C at a terminal sends it.
    #[cfg(unix)]
    pub fn interrupt(&self) {
        self.signal(libc::SIGINT);
    }

    #[cfg(unix)]
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with a child's pid and a valid signal number touches no memory.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Waits until the paused process writes a stderr line holding `text`.
    pub fn expect_line(&mut self, text: &str) {
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        loop {
            match self
                .rest
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => {
                    let found = line.contains(text);
                    self.said.push(line);
                    if found {
                        return;
                    }
                }
                Err(e) => panic!(
                    "no stderr line with {text:?} while paused at {} ({e}); stderr:\n{}",
                    self.point,
                    self.said.join("\n")
                ),
            }
        }
    }

    /// SIGKILL, as a crash, an OOM kill or `kill -9` would: no destructor, no cleanup.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "killed while paused at {}",
                self.point
            );
        }
        #[cfg(not(unix))]
        assert!(!status.success(), "killed while paused at {}", self.point);
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The index file parses (or does not exist), and both it and `credlink list --json` (exit 0)
/// hold exactly these accounts.
#[track_caller]
fn assert_listed(sb: &Sandbox, names: &[&str]) {
    if let Ok(text) = std::fs::read_to_string(sb.index_path())
        && let Err(e) = serde_json::from_str::<Value>(&text)
    {
        panic!("the index file does not parse ({e}):\n{text}");
    }
    assert_eq!(sb.account_names(), names, "the index file");
    let out = run(sb, &["list", "--json"]);
    assert_exit(&out, 0);
    let rows: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("list --json is not JSON ({e}):\n{}", describe(&out)));
    let listed: Vec<&str> = rows
        .as_array()
        .expect("list --json prints an array")
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names, "credlink list --json");
}

/// No file in the config dir (index, lock, leftover temporary files) holds `secret`; returns
/// the names of leftover temporary index files.
#[track_caller]
fn assert_config_dir_lacks(sb: &Sandbox, secret: &str) -> Vec<String> {
    let mut leftovers = Vec::new();
    let Ok(entries) = std::fs::read_dir(sb.config_dir()) else {
        return leftovers;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !contains_bytes(&bytes, secret.as_bytes()),
            "{} holds the secret",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".accounts.") {
            leftovers.push(name);
        }
    }
    leftovers
}

/// A secret without a record, as a crash between the two writes leaves it: `revoke` removes it
/// and says so, and then there is nothing left to revoke.
#[track_caller]
fn assert_orphan_is_cleaned_up(sb: &Sandbox, name: &str) {
    assert!(
        sb.keychain_secret(name).is_some(),
        "{name}: the orphan secret is there"
    );
    let out = run(sb, &["revoke", name, "--yes"]);
    assert_exit(&out, 0);
    assert_has(
        &stdout(&out),
        &format!(
            "Revoked {name}: removed its orphaned secret from the keychain (the index had no record)"
        ),
    );
    assert_eq!(
        sb.keychain_secret(name),
        None,
        "{name}: secret after revoke"
    );
    assert!(
        !sb.has_cached_token(name),
        "{name}: cached token after revoke"
    );
    assert_exit(&run(sb, &["revoke", name, "--yes"]), 6);
}

// ---- concurrency ----

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn twenty_concurrent_links_all_land() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    const N: usize = 20;

    let started = Instant::now();
    let names: Vec<String> = (0..N).map(|i| format!("acct-{i}")).collect();
    let children: Vec<Child> = names
        .iter()
        .map(|name| spawn_link(&sb, "basic-client", BASIC_SECRET, &["--name", name]))
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(finish).collect();
    let elapsed = started.elapsed();

    for (name, out) in names.iter().zip(&outputs) {
        assert_exit(out, 0);
        assert_has(&stdout(out), &format!("Linked {name} (Local (basic))"));
    }
    let mut stored = sb.account_names();
    stored.sort_unstable();
    let mut expected = names.clone();
    expected.sort_unstable();
    assert_eq!(stored, expected, "every link landed in the index, once");
    for name in &names {
        assert_eq!(
            sb.keychain_secret(name).as_deref(),
            Some(BASIC_SECRET),
            "{name}: secret"
        );
    }
    println!(
        "{N} concurrent `link` processes: {} exited 0, {} records, {N} secrets, in {elapsed:.1?}",
        outputs.iter().filter(|o| o.status.success()).count(),
        stored.len()
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn link_and_revoke_of_the_same_name_race_to_a_consistent_state() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    // When `revoke` starts relative to `link --force`, in ms (negative: `revoke` starts first):
    // the same moment, and apart enough that each of them takes the index lock first in some
    // round.
    let offsets_ms: [i64; 6] = [0, 0, -50, -150, 50, 150];
    let (mut kept, mut removed) = (0, 0);

    for (round, offset) in offsets_ms.into_iter().enumerate() {
        let name = format!("race-{round}");
        assert_exit(
            &link(&sb, "basic-client", BASIC_SECRET, &["--name", &name]),
            0,
        );
        let pause = || std::thread::sleep(Duration::from_millis(offset.unsigned_abs()));
        let start_relink = || {
            spawn_link(
                &sb,
                "basic-client",
                BASIC_SECRET,
                &["--name", &name, "--force"],
            )
        };
        let start_revoke = || spawn(sb.std_cmd().args(["revoke", &name, "--yes"]), "");
        let (relink, revoke) = if offset < 0 {
            let revoke = start_revoke();
            pause();
            (start_relink(), revoke)
        } else {
            let relink = start_relink();
            pause();
            (relink, start_revoke())
        };
        let (relink, revoke) = (finish(relink), finish(revoke));
        assert_exit(&relink, 0);
        assert_exit(&revoke, 0);

        let record = sb.account_names().contains(&name);
        let secret = sb.keychain_secret(&name);
        match (record, secret.as_deref()) {
            (true, Some(BASIC_SECRET)) => kept += 1,
            (false, None) => removed += 1,
            (record, secret) => panic!(
                "round {round} ({offset:+} ms): inconsistent: record {record}, secret {secret:?}\n\
                 --- link:\n{}\n--- revoke:\n{}",
                describe(&relink),
                describe(&revoke)
            ),
        }
        assert_eq!(
            sb.has_cached_token(&name),
            record,
            "round {round}: the cached token goes with the account"
        );
        // The survivor is a working account; `test` proves it.
        if record {
            assert_exit(&run(&sb, &["test", &name]), 0);
        }
    }
    println!(
        "{} link/revoke races: {kept} ended linked, {removed} ended revoked, none half-way",
        offsets_ms.len()
    );
}

// ---- crashes ----

/// A sandbox with the account `acct` linked, after a `revoke acct` killed at `point`.
fn revoke_killed_at(peer: &Peer, point: &'static str) -> Sandbox {
    let sb = sandbox(peer);
    assert_exit(
        &link(&sb, "basic-client", BASIC_SECRET, &["--name", "acct"]),
        0,
    );
    let mut cmd = sb.std_cmd();
    cmd.args(["revoke", "acct", "--yes"]);
    Paused::start(cmd, point, "").kill();
    sb
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn crash_points_leave_a_detectable_consistent_state() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let link_cmd = |sb: &Sandbox, name: &str| {
        let mut cmd = sb.std_cmd();
        cmd.args([
            "link",
            "local-basic",
            "--name",
            name,
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
        ]);
        cmd
    };
    let secret_in = format!("{BASIC_SECRET}\n");
    let mut tried = Vec::new();
    let mut leftovers = 0;

    // link, killed before its index record is in place: an orphan secret, no account.
    for point in ["link:after_keychain_write", "index:before_rename"] {
        let sb = sandbox(&peer);
        Paused::start(link_cmd(&sb, "acct"), point, &secret_in).kill();
        assert!(!sb.index_path().exists(), "{point}: no index file yet");
        assert_listed(&sb, &[]);
        leftovers += assert_config_dir_lacks(&sb, BASIC_SECRET).len();
        assert!(!sb.has_cached_token("acct"), "{point}: no cached token");
        assert_orphan_is_cleaned_up(&sb, "acct");
        assert_listed(&sb, &[]);
        tried.push(format!("link@{point}"));
    }

    // link, killed after the record: a whole, working account (only the token cache is missing).
    {
        let point = "link:after_index_write";
        let sb = sandbox(&peer);
        Paused::start(link_cmd(&sb, "acct"), point, &secret_in).kill();
        assert_listed(&sb, &["acct"]);
        assert_config_dir_lacks(&sb, BASIC_SECRET);
        assert_eq!(sb.keychain_secret("acct").as_deref(), Some(BASIC_SECRET));
        let out = run(&sb, &["test", "acct"]);
        assert_exit(&out, 0);
        assert_has(&stdout(&out), "acct (Local (basic)): valid");
        tried.push(format!("link@{point}"));
    }

    // link of a second account, killed before the new index replaces the old: the first
    // account is untouched, byte for byte, and still works.
    {
        let point = "index:before_rename";
        let sb = sandbox(&peer);
        assert_exit(
            &link(&sb, "basic-client", BASIC_SECRET, &["--name", "first"]),
            0,
        );
        let before = std::fs::read(sb.index_path()).unwrap();
        Paused::start(link_cmd(&sb, "second"), point, &secret_in).kill();
        assert_eq!(
            std::fs::read(sb.index_path()).unwrap(),
            before,
            "the old index survives whole"
        );
        assert_listed(&sb, &["first"]);
        leftovers += assert_config_dir_lacks(&sb, BASIC_SECRET).len();
        assert_eq!(sb.keychain_secret("first").as_deref(), Some(BASIC_SECRET));
        assert_exit(&run(&sb, &["test", "first"]), 0);
        assert_orphan_is_cleaned_up(&sb, "second");
        assert_listed(&sb, &["first"]);
        assert_eq!(sb.keychain_secret("first").as_deref(), Some(BASIC_SECRET));
        tried.push(format!("link (with an existing index)@{point}"));
    }

    // revoke, killed after removing the record: an orphan secret that the next revoke removes.
    {
        let point = "revoke:after_index_write";
        let sb = revoke_killed_at(&peer, point);
        assert_listed(&sb, &[]);
        assert_config_dir_lacks(&sb, BASIC_SECRET);
        assert_exit(&run(&sb, &["test", "acct"]), 6);
        assert_orphan_is_cleaned_up(&sb, "acct");
        tried.push(format!("revoke@{point}"));
    }

    // revoke, killed before the index without the record replaces the old one: the account is
    // still whole and working, and the next revoke removes all of it.
    {
        let point = "index:before_rename";
        let sb = revoke_killed_at(&peer, point);
        assert_listed(&sb, &["acct"]);
        leftovers += assert_config_dir_lacks(&sb, BASIC_SECRET).len();
        assert_eq!(sb.keychain_secret("acct").as_deref(), Some(BASIC_SECRET));
        assert_exit(&run(&sb, &["test", "acct"]), 0);
        let out = run(&sb, &["revoke", "acct", "--yes"]);
        assert_exit(&out, 0);
        assert_has(
            &stdout(&out),
            "Revoked acct: removed from the index and the keychain",
        );
        assert_listed(&sb, &[]);
        assert_eq!(sb.keychain_secret("acct"), None);
        assert!(!sb.has_cached_token("acct"));
        tried.push(format!("revoke@{point}"));
    }

    println!(
        "{} crash points tried (SIGKILL while paused): {}; {leftovers} leftover temporary index file(s), none holding a secret",
        tried.len(),
        tried.join(", ")
    );
}

/// `link --force` over a working account, killed between the keychain write and the index
/// write: the account must keep one whole pair of credentials, the old or the new.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_crash_while_replacing_an_account_keeps_one_whole_pair_of_credentials() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    for point in ["link:after_keychain_write", "index:before_rename"] {
        let sb = sandbox(&peer);
        assert_exit(
            &link(&sb, "basic-client", BASIC_SECRET, &["--name", "acct"]),
            0,
        );
        let mut cmd = sb.std_cmd();
        cmd.args([
            "link",
            "local-basic",
            "--name",
            "acct",
            "--force",
            "--client-id",
            "special-client",
            "--client-secret-stdin",
        ]);
        Paused::start(cmd, point, &format!("{SPECIAL_SECRET}\n")).kill();
        assert_listed(&sb, &["acct"]);
        let client_id = sb.index()["accounts"][0]["fields"]["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let secret = sb.keychain_secret("acct");
        let pair = (client_id.as_str(), secret.as_deref());
        assert!(
            matches!(
                pair,
                ("basic-client", Some(BASIC_SECRET)) | ("special-client", Some(SPECIAL_SECRET))
            ),
            "killed at {point}: the record's client id and the stored secret do not belong \
             together: {pair:?}"
        );
        assert_exit(&run(&sb, &["test", "acct"]), 0);
    }
}

// ---- secrets in the process's surroundings ----

#[cfg(target_os = "linux")]
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_process_command_line() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let Some(()) = faults_built_in() else { return };
    let Some(()) = keyring() else { return };
    // A token endpoint that accepts any client, so that MARKER itself is linked.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok-5e1c-guarantees",
            "token_type": "Bearer",
            "expires_in": 600
        })))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    sb.write_connectors(&oauth_connector(
        &format!("{}/token", server.uri()),
        "post",
        "",
        "",
    ));

    let point = "link:after_keychain_write";
    let mut cmd = sb.std_cmd();
    cmd.args([
        "link",
        "mock",
        "--name",
        "acct",
        "--client-id",
        "mock-client",
        "--client-secret-stdin",
    ]);
    let paused = Paused::start(cmd, point, &format!("{MARKER}\n"));
    let pid = paused.pid();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    // The process read whole, while it holds the secret (it is in the keychain already).
    assert!(contains_bytes(&cmdline, b"--client-secret-stdin"));
    assert!(contains_bytes(
        &environ,
        format!("CREDLINK_FAULT=pause@{point}").as_bytes()
    ));
    assert_eq!(sb.keychain_secret("acct").as_deref(), Some(MARKER));
    let sent = server.received_requests().await.unwrap();
    assert!(
        sent.iter()
            .any(|r| contains_bytes(&r.body, format!("client_secret={MARKER}").as_bytes())),
        "the marker was the secret sent to the provider"
    );
    assert!(
        !contains_bytes(&cmdline, MARKER.as_bytes()),
        "/proc/{pid}/cmdline holds the secret"
    );
    assert!(
        !contains_bytes(&environ, MARKER.as_bytes()),
        "/proc/{pid}/environ holds the secret"
    );
    paused.kill();
    assert_orphan_is_cleaned_up(&sb, "acct");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn an_injected_panic_prints_no_secret() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);

    let out = sb
        .cmd()
        .args([
            "link",
            "local-basic",
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
            "-v",
        ])
        .env("CREDLINK_FAULT", "panic@link:after_keychain_write")
        .env("RUST_BACKTRACE", "1")
        .write_stdin(format!("{BASIC_SECRET}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 101);
    let err = stderr(&out);
    assert_has(&err, "injected panic at link:after_keychain_write");
    assert_has(&err, "> authorization: (redacted)");
    for leak in [
        BASIC_SECRET.to_owned(),
        BASE64.encode(BASIC_SECRET),
        BASE64.encode(format!("basic-client:{BASIC_SECRET}")),
    ] {
        assert_lacks(&err, &leak, "stderr of a panic");
        assert_lacks(&stdout(&out), &leak, "stdout of a panic");
    }
    // The panic struck between the two writes: an orphan secret, no account.
    assert_listed(&sb, &[]);
    assert_config_dir_lacks(&sb, BASIC_SECRET);
    assert_orphan_is_cleaned_up(&sb, "local-basic");
}

// ---- bad input ----

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn bad_input_of_every_kind_exits_2_and_changes_nothing() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    assert_exit(
        &link(&sb, "basic-client", BASIC_SECRET, &["--name", "keep"]),
        0,
    );
    let requests = peer.requests().len();
    let index_before = std::fs::read(sb.index_path()).unwrap();

    let file = |name: &str, text: &str| {
        let path = sb.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let good = peer.connectors();
    let changed = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    let unknown_key = file(
        "unknown-key.toml",
        &changed(
            "client_auth = \"basic\"",
            "client_auth = \"basic\"\ncolour = \"red\"",
        ),
    );
    let placeholder = file(
        "placeholder.toml",
        &changed("/token\"", "/{tenant}/token\""),
    );
    let plain_http = file(
        "plain-http.toml",
        &changed(
            &format!("token_url = \"{}/token\"", peer.url),
            "token_url = \"http://example.com/token\"",
        ),
    );
    let duplicate = file(
        "duplicate.toml",
        &format!("{good}\n[connectors.local-basic]\nname = \"Again\"\n"),
    );
    let two_secrets = file(
        "two-secrets.toml",
        &changed(
            "[connectors.local-post]",
            "[[connectors.local-basic.fields]]\nid = \"api_key\"\nlabel = \"API key\"\nsecret = true\n\n[connectors.local-post]",
        ),
    );
    let missing = sb.dir.path().join("missing.toml").display().to_string();
    let corrupt_dir = sb.dir.path().join("corrupt");
    std::fs::create_dir(&corrupt_dir).unwrap();
    let corrupt_index = corrupt_dir.join("accounts.json");
    std::fs::write(&corrupt_index, "{\"version\": 1,\n \"accounts\": [}\n").unwrap();
    let newer_dir = sb.dir.path().join("newer");
    std::fs::create_dir(&newer_dir).unwrap();
    let newer_index = newer_dir.join("accounts.json");
    std::fs::write(&newer_index, r#"{"version": 2, "accounts": []}"#).unwrap();
    let other_indexes = [
        (
            corrupt_index.clone(),
            std::fs::read(&corrupt_index).unwrap(),
        ),
        (newer_index.clone(), std::fs::read(&newer_index).unwrap()),
    ];
    let corrupt_dir = corrupt_dir.display().to_string();
    let newer_dir = newer_dir.display().to_string();
    let corrupt_index = corrupt_index.display().to_string();
    let newer_index = newer_index.display().to_string();

    let long_id = "a".repeat(5000);
    let long_name = "a".repeat(65);
    let secret = format!("{BASIC_SECRET}\n");
    let ok = ["--client-id", "basic-client", "--client-secret-stdin"];
    let link_with = |extra: &[&str]| -> Vec<String> {
        ["link", "local-basic"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let link_ok = |extra: &[&str]| -> Vec<String> {
        let mut args = link_with(&ok);
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    // (what, args, stdin, phrases stderr must hold)
    let cases: Vec<(&str, Vec<String>, String, Vec<String>)> = vec![
        (
            "empty client id",
            link_with(&["--client-id", "", "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: is empty".into(), "--client-id".into()],
        ),
        (
            "client id with a control character",
            link_with(&["--client-id", "basic\u{1b}client", "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: contains a control character".into()],
        ),
        (
            "client id of 5000 characters",
            link_with(&["--client-id", &long_id, "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: is longer than 4096 characters".into()],
        ),
        (
            "client id against the connector's pattern",
            link_with(&["--client-id", "Bad_ID", "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: `Bad_ID` does not match ^[a-z-]+$".into()],
        ),
        (
            "secret of 5000 characters on stdin",
            link_ok(&[]),
            format!("{}\n", MARKER.repeat(250)),
            vec!["Client secret: is longer than 4096 characters".into()],
        ),
        (
            "secret with a control character",
            link_ok(&[]),
            format!("{MARKER}\u{7}b\n"),
            vec!["Client secret: contains a control character".into()],
        ),
        (
            "empty secret on stdin",
            link_ok(&[]),
            "\n".into(),
            vec!["Client secret: is empty".into()],
        ),
        (
            "--field for a field the connector does not have",
            link_ok(&["--field", "nope=1"]),
            secret.clone(),
            vec![
                "--field: connector `local-basic` has no field `nope`".into(),
                "its fields are: client_id, client_secret".into(),
            ],
        ),
        (
            "--field without =",
            link_ok(&["--field", "nope"]),
            secret.clone(),
            vec!["--field `nope` is not KEY=VALUE".into()],
        ),
        (
            "--field client_secret=...",
            link_ok(&["--field", &format!("client_secret={MARKER}")]),
            secret.clone(),
            vec![
                "--field: `client_secret` is a secret and is never taken as a flag value".into(),
                "--client-secret-stdin".into(),
            ],
        ),
        (
            "client id given twice",
            link_ok(&["--field", "client_id=other"]),
            secret.clone(),
            vec!["--field: `client_id` is given twice".into()],
        ),
        (
            "--subdomain for a connector without one",
            link_ok(&["--subdomain", "acme"]),
            secret.clone(),
            vec!["--subdomain: connector `local-basic` has no field `subdomain`".into()],
        ),
        (
            "account name with a slash",
            link_ok(&["--name", "a/b"]),
            secret.clone(),
            vec!["account name `a/b` must be 1-64 letters".into()],
        ),
        (
            "account name of 65 characters",
            link_ok(&["--name", &long_name]),
            secret.clone(),
            vec![format!("account name `{long_name}` must be 1-64 letters")],
        ),
        (
            "empty account name",
            link_ok(&["--name", ""]),
            secret.clone(),
            vec!["account name `` must be 1-64 letters".into()],
        ),
        (
            "connectors file with an unknown key",
            link_ok(&["--connectors", &unknown_key]),
            secret.clone(),
            vec![unknown_key.clone(), "unknown field `colour`".into()],
        ),
        (
            "connectors file with a placeholder without its field",
            link_ok(&["--connectors", &placeholder]),
            secret.clone(),
            vec![
                "connector `local-basic` is invalid".into(),
                "`token_url` uses `{tenant}` but no field `tenant` is declared".into(),
                "--connectors".into(),
            ],
        ),
        (
            "connectors file with a plain-http token URL",
            link_ok(&["--connectors", &plain_http]),
            secret.clone(),
            vec![
                "connector `local-basic` is invalid".into(),
                "`token_url`: `http://example.com/token` must use https".into(),
            ],
        ),
        (
            "connectors file with a duplicate connector id",
            link_ok(&["--connectors", &duplicate]),
            secret.clone(),
            vec![duplicate.clone(), "duplicate key".into()],
        ),
        (
            "connectors file with two secret fields",
            link_ok(&["--connectors", &two_secrets]),
            secret.clone(),
            vec![
                "connector `local-basic` is invalid".into(),
                "exactly one secret field".into(),
            ],
        ),
        (
            "connectors file that does not exist",
            link_ok(&["--connectors", &missing]),
            secret.clone(),
            vec![format!("cannot read connectors file {missing}")],
        ),
        (
            "Traffit subdomain given as a URL of another host",
            [
                "test",
                "--connector",
                "traffit",
                "--subdomain",
                "https://acme.traffit.com.evil.example",
                "--client-id",
                "acme_credlink",
                "--client-secret-stdin",
            ]
            .map(String::from)
            .to_vec(),
            secret.clone(),
            vec![
                "Traffit subdomain".into(),
                "give only the subdomain: `acme`".into(),
            ],
        ),
        (
            "corrupt index file",
            link_ok(&["--config-dir", &corrupt_dir]),
            secret.clone(),
            vec![
                format!("the index file {corrupt_index} is not valid"),
                "line 2".into(),
            ],
        ),
        (
            "index file from a newer credlink",
            link_ok(&["--config-dir", &newer_dir]),
            secret.clone(),
            vec![
                format!("the index file {newer_index} has version 2"),
                "newer credlink".into(),
            ],
        ),
        (
            "--timeout 0",
            link_ok(&["--timeout", "0"]),
            secret.clone(),
            vec!["--timeout".into()],
        ),
    ];

    for (what, args, input, phrases) in &cases {
        let out = sb
            .cmd()
            .args(args)
            .write_stdin(input.as_str())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", describe(&out));
        for phrase in phrases {
            assert!(
                err.contains(phrase.as_str()),
                "{what}: expected {phrase:?} in:\n{err}"
            );
        }
        assert_lacks(&err, MARKER, what);
        assert_lacks(&stdout(&out), MARKER, what);
        assert_eq!(
            std::fs::read(sb.index_path()).unwrap(),
            index_before,
            "{what}: the index changed"
        );
        for (path, bytes) in &other_indexes {
            assert_eq!(
                &std::fs::read(path).unwrap(),
                bytes,
                "{what}: {} changed",
                path.display()
            );
        }
        assert_eq!(
            sb.keychain_secret("keep").as_deref(),
            Some(BASIC_SECRET),
            "{what}: the linked account's secret"
        );
        assert_eq!(
            sb.keychain_secret("local-basic"),
            None,
            "{what}: a secret was saved"
        );
    }
    assert_eq!(sb.account_names(), ["keep"]);
    assert_eq!(
        peer.requests().len(),
        requests,
        "bad input is refused before anything is sent"
    );
    assert_exit(&run(&sb, &["test", "keep"]), 0);
    println!("{} bad inputs: each exit 2, nothing changed", cases.len());
}

// ---- a keychain that never answers ----

/// A private D-Bus session bus (`dbus-daemon` in a process group of its own) on which the
/// Secret Service is activatable but never starts: its service file runs a script that records
/// its pid and sleeps. Dropping it kills the whole group, the activated script included.
#[cfg(target_os = "linux")]
struct HangingBus {
    daemon: Child,
    address: String,
    /// The file the activated "Secret Service" writes its pid to.
    pid_file: std::path::PathBuf,
}

#[cfg(target_os = "linux")]
impl HangingBus {
    fn start(dir: &std::path::Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;

        let services = dir.join("services");
        std::fs::create_dir(&services).unwrap();
        let script = dir.join("hanging-secret-service.sh");
        let pid_file = dir.join("hanging-secret-service.pid");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > '{}'\nexec sleep 600\n",
                pid_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(
            services.join("org.freedesktop.secrets.service"),
            format!(
                "[D-BUS Service]\nName=org.freedesktop.secrets\nExec={}\n",
                script.display()
            ),
        )
        .unwrap();
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">600000</limit>
</busconfig>
"#,
                dir = dir.display(),
                services = services.display()
            ),
        )
        .unwrap();
        let mut daemon = StdCommand::new("dbus-daemon")
            .arg("--nofork")
            .arg("--print-address")
            .arg(format!("--config-file={}", config.display()))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        Self {
            daemon,
            address,
            pid_file,
        }
    }

    /// The pid of the activated, hanging "Secret Service", once it started.
    fn activated_pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

#[cfg(target_os = "linux")]
impl Drop for HangingBus {
    fn drop(&mut self) {
        let group = format!("-{}", self.daemon.id());
        let _ = StdCommand::new("kill")
            .args(["-KILL", "--", &group])
            .status();
        let _ = self.daemon.wait();
    }
}

/// Whether a process is still running (a zombie waiting for its reaper is not).
#[cfg(target_os = "linux")]
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

#[cfg(target_os = "linux")]
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_hanging_keychain_times_out_with_a_clear_message() {
    if StdCommand::new("dbus-daemon")
        .arg("--version")
        .output()
        .is_err()
    {
        skip_or_fail::<()>("dbus-daemon");
        return;
    }
    let Some(peer) = Peer::start() else { return };
    let sb = sandbox(&peer);
    let bus = HangingBus::start(sb.dir.path());

    let started = Instant::now();
    let out = finish(spawn(
        sb.std_cmd()
            .args([
                "link",
                "local-basic",
                "--client-id",
                "basic-client",
                "--client-secret-stdin",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("CREDLINK_KEYCHAIN_TIMEOUT", "2"),
        &format!("{BASIC_SECRET}\n"),
    ));
    let elapsed = started.elapsed();
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "the OS keychain did not answer within 2 s");
    assert_has(&stderr(&out), "hint: unlock your login keyring");
    assert_lacks(&stderr(&out), BASIC_SECRET, "stderr");
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(10),
        "took {elapsed:?}"
    );
    let hanging = bus
        .activated_pid()
        .expect("the bus activated the hanging Secret Service: that is what credlink waited for");
    assert!(is_running(hanging), "the Secret Service still hangs");
    assert!(!sb.index_path().exists(), "no index file");
    assert_eq!(
        peer.requests(),
        Vec::<String>::new(),
        "the keychain is checked before anything is sent"
    );

    drop(bus);
    let deadline = Instant::now() + Duration::from_secs(5);
    while is_running(hanging) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !is_running(hanging),
        "the hanging Secret Service (pid {hanging}) was killed with its bus"
    );
    println!("a hanging keychain: exit 5 after {elapsed:.1?}");
}
