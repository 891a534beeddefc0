//! Crash tests: a credlink process paused at a fault point (`CREDLINK_FAULT`, the
//! `fault-injection` feature).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;

use super::{PROCESS_TIMEOUT, skip_or_fail};

/// Without the `fault-injection` feature `CREDLINK_FAULT` does nothing: skip, or fail in CI.
pub fn faults_built_in() -> Option<()> {
    if cfg!(feature = "fault-injection") {
        Some(())
    } else {
        skip_or_fail("the fault-injection feature (cargo test --features fault-injection)")
    }
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
    pub fn pid(&self) -> u32 {
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
