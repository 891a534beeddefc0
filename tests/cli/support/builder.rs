//! A test step by step: `given` a sandbox (or a team-store machine) with its connectors, peers
//! and accounts, `when` credlink runs with these arguments (and environment, stdin), `then` its
//! exit code and output are as expected.
//!
//! ```ignore
//! sb.when(&["list"]).then().exits(0).stdout_is(TABLE);
//! sb.when(&["test", "acme", "--json"]).env("CREDLINK_CLIENT_SECRET", MARKER).then().exits(4).hides(MARKER).json();
//! ```

use std::ffi::OsStr;
use std::process::{Child, Command as StdCommand, Output};
use std::time::Duration;

use serde_json::Value;

use super::{
    PROXY_VARS, Sandbox, assert_exit, assert_has, assert_hidden, assert_lacks, describe, json,
    spawn, stderr, stdout,
};

/// A run about to happen: the real binary as a sandbox or a machine sets it up, these
/// arguments, environment and stdin.
pub struct When {
    cmd: StdCommand,
    stdin: String,
}

impl Sandbox {
    pub fn when(&self, args: &[&str]) -> When {
        When::new(self.std_cmd(), args)
    }
}

impl When {
    /// `cmd` (its program and environment) with `args`.
    pub fn new(mut cmd: StdCommand, args: &[&str]) -> Self {
        cmd.args(args);
        Self {
            cmd,
            stdin: String::new(),
        }
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        self.cmd.envs(vars.iter().copied());
        self
    }

    /// Without this machine's proxy settings.
    pub fn without_proxies(mut self) -> Self {
        for var in PROXY_VARS {
            self.cmd.env_remove(var);
        }
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = text.to_owned();
        self
    }

    /// Starts it in the background, stdin written and closed, stdout and stderr piped.
    pub fn spawn(self) -> Child {
        let mut cmd = self.cmd;
        spawn(&mut cmd, &self.stdin)
    }

    /// Runs it to the end (at most 60 s).
    pub fn then(self) -> Then {
        let mut cmd = assert_cmd::Command::from_std(self.cmd);
        cmd.write_stdin(self.stdin).timeout(Duration::from_secs(60));
        Then {
            out: cmd.output().unwrap(),
        }
    }
}

/// What a run did, checked one expectation at a time.
pub struct Then {
    pub out: Output,
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
    pub fn stdout_has(self, needle: &str) -> Self {
        assert_has(&stdout(&self.out), needle);
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert_has(&stderr(&self.out), needle);
        self
    }

    #[track_caller]
    pub fn stderr_lacks(self, needle: &str) -> Self {
        assert_lacks(&stderr(&self.out), needle, "stderr");
        self
    }

    /// Nothing on stdout.
    #[track_caller]
    pub fn prints_nothing(self) -> Self {
        assert!(self.out.stdout.is_empty(), "{}", describe(&self.out));
        self
    }

    /// Neither stream shows `secret`.
    #[track_caller]
    pub fn hides(self, secret: &str) -> Self {
        assert_hidden(&self.out, secret);
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(self) -> Value {
        json(&self.out)
    }
}
