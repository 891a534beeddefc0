//! The command as a process: its stdio, exit status and signals are its own; it starts with
//! nothing of credlink's (open files, ignored signals); a rotating refresh token is spent one
//! run at a time.

use super::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn stdin_and_stdout_pass_through_and_the_exit_code_is_the_commands() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    let data = "line one\n\tline two, no newline at the end";
    exec(&sb, &["acme-hr", "--", "cat"])
        .stdin(data)
        .then()
        .exits(0)
        .stdout_is(data);
    let out = exec(
        &sb,
        &["acme-hr", "--", "sh", "-c", "echo to-stderr >&2; exit 7"],
    )
    .then()
    .exits(7)
    .prints_nothing()
    .out;
    assert_eq!(stderr(&out), "to-stderr\n");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn sigint_to_credlink_reaches_the_command_which_decides_the_exit_code() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    let script = "trap 'kill $! 2>/dev/null; echo interrupted; exit 130' INT; \
        sleep 30 & echo ready; wait";
    let mut run = Running::start(&sb, &["acme-hr", "--", "sh", "-c", script]);
    assert_eq!(run.line(), "ready");
    run.signal("INT");
    assert_eq!(run.line(), "interrupted");
    let (status, err) = run.finish();
    assert_eq!(status.code(), Some(130), "{err}");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn credlink_becomes_the_command_so_a_shell_sees_130_when_sigint_ends_it() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    // A shell runs `credlink exec acme-hr -- sleep 30` and reports its status.
    let inner = sb.std_cmd();
    let mut cmd = StdCommand::new("sh");
    cmd.args(["-c", "echo \"$$\"; \"$@\"; echo \"status $?\"", "sh"])
        .arg(inner.get_program())
        .args(["exec", "acme-hr", "--", "sleep", "30"]);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let mut run = Running::spawn(cmd);
    let shell: u32 = run.line().parse().unwrap();
    let pid = child_of(shell);
    wait_for_cmdline(pid, &["sleep", "30"]);
    signal(pid, "INT");
    assert_eq!(run.line(), "status 130");
    let (status, err) = run.finish();
    assert!(status.success(), "{err}");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn the_command_starts_with_no_file_or_signal_setting_of_credlinks() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = linked(&peer);
    // What the command would have had, started by this test directly.
    let direct = |args: &[&str]| {
        let out = StdCommand::new(args[0])
            .args(&args[1..])
            .stdin(Stdio::piped())
            .output()
            .unwrap();
        stdout(&out)
    };
    // --fresh: a token request and the keychain's D-Bus connection were open before the switch.
    let fds = ["ls", "/proc/self/fd"];
    exec(&sb, &[&["acme-hr", "--fresh", "--"][..], &fds].concat())
        .then()
        .exits(0)
        .stdout_is(&direct(&fds));
    let status = ["cat", "/proc/self/status"];
    let out = exec(&sb, &[&["acme-hr", "--"][..], &status].concat())
        .then()
        .exits(0)
        .out;
    let mask = |text: &str, field: &str| -> u64 {
        let line = text.lines().find_map(|l| l.strip_prefix(field)).unwrap();
        u64::from_str_radix(line.trim(), 16).unwrap()
    };
    let (via, own) = (stdout(&out), direct(&status));
    assert_eq!(
        mask(&via, "SigBlk:"),
        mask(&own, "SigBlk:"),
        "blocked signals"
    );
    // credlink ignores SIGPIPE (as every Rust program does): the command must not, nor any
    // other signal its parent does not ignore.
    let ignored = mask(&via, "SigIgn:");
    assert_eq!(ignored & !mask(&own, "SigIgn:"), 0, "{via}");
    assert_eq!(ignored & (1 << (13 - 1)), 0, "SIGPIPE is not ignored");
}

/// The one child process of `parent`, once it has one.
#[track_caller]
fn child_of(parent: u32) -> u32 {
    for _ in 0..600 {
        let children =
            std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap();
        if let Some(pid) = children.split_whitespace().next() {
            return pid.parse().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("process {parent} started no child");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn runs_that_spend_a_rotating_refresh_token_take_turns() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&refresh_connectors(&peer));
    let refresh_token = text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned();
    sb.when(&link_refresh_args("rot"))
        .env("CREDLINK_CLIENT_SECRET", "refresh-secret")
        .stdin(&format!("{refresh_token}\n"))
        .then()
        .exits(0);
    let runs: Vec<Child> = (0..3)
        .map(|_| {
            exec(
                &sb,
                &[
                    "rot",
                    "--fresh",
                    "--",
                    "sh",
                    "-c",
                    "test -n \"$CREDLINK_TOKEN\"",
                ],
            )
            .spawn()
        })
        .collect();
    for run in runs {
        let out = finish(run);
        assert_exit(&out, 0);
        assert_hidden(&out, &refresh_token);
    }
    // Each run stored the token it was rotated to: the last one still works.
    sb.when(&["test", "rot"]).then().exits(0);
}
