//! Ctrl-C, decided in one place; SIGTERM and SIGHUP (a CI job cancelled or timed out, a
//! container stopped, a closed terminal) alike. Outside a refresh it restores the terminal (as
//! the first prompt found it) and ends the run with exit code 130, as a shell reports an
//! interrupted command. While a run spends a refresh token, from the request that may rotate it until the
//! rotated one is stored and the account's turn released, a Ctrl-C waits for that to finish:
//! ending there would lose a rotated refresh token, which kills the link, and would leave a
//! team-store lease for teammates to wait out. A second Ctrl-C ends the run at once. A run
//! that prints its results after its refreshes (`test`) first prints what it found. With
//! `--json` an interrupted run that printed nothing prints the error object.

use std::sync::Mutex;

use dialoguer::console::Term;
use tokio::sync::Notify;

use crate::base::outcome::Class;

/// How many refreshes are under way, whether a Ctrl-C is waiting for them, and how many runs
/// print their results before that Ctrl-C ends the run.
struct State {
    refreshing: usize,
    requested: bool,
    reporting: usize,
}

impl State {
    /// A Ctrl-C waited for the refreshes under way, and they are done.
    fn due(&self) -> bool {
        self.requested && self.refreshing == 0
    }
}

static STATE: Mutex<State> = Mutex::new(State {
    refreshing: 0,
    requested: false,
    reporting: 0,
});

/// Told when a Ctrl-C that waited becomes due while a [`Reporting`] run is printing.
static DUE: Notify = Notify::const_new();

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The terminal as it was before the first prompt changed it (echo, line editing).
#[cfg(unix)]
static TERMINAL: Mutex<Option<nix::sys::termios::Termios>> = Mutex::new(None);

/// Installs the handler, once: at the first prompt (while the terminal is still as the user
/// had it) or the first refresh, whichever comes first.
pub(crate) fn watch() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        #[cfg(unix)]
        if let Ok(mut saved) = TERMINAL.lock() {
            *saved = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
        }
        // Fails only when a handler is already set, and none is.
        let _ = ctrlc::set_handler(on_interrupt);
    });
}

fn on_interrupt() {
    let mut state = state();
    if state.refreshing == 0 || state.requested {
        drop(state);
        exit_interrupted();
    }
    state.requested = true;
    crate::terminal::ui::err(
        "\nstopping once the refresh token in use is stored, so the link survives; press Ctrl-C again to stop at once",
    );
}

/// A refresh under way: a Ctrl-C meanwhile ends the run when the last one is dropped.
#[must_use = "a refresh is protected for as long as its guard lives"]
pub(crate) struct Refreshing(());

impl Refreshing {
    pub(crate) fn start() -> Self {
        watch();
        state().refreshing += 1;
        Self(())
    }

    /// Whether a Ctrl-C came: a refresh not yet begun is not begun.
    pub(crate) fn stopping(&self) -> bool {
        state().requested
    }
}

impl Drop for Refreshing {
    fn drop(&mut self) {
        let mut state = state();
        state.refreshing -= 1;
        if !state.due() {
            return;
        }
        let reporting = state.reporting > 0;
        drop(state);
        if reporting {
            DUE.notify_waiters();
        } else {
            exit_interrupted();
        }
    }
}

/// A run that prints what its refreshes stored: a Ctrl-C that waited for them ends the run when
/// this guard is dropped, once the results are printed, rather than when the last refresh is
/// done.
#[must_use = "the results are printed before a Ctrl-C ends the run for as long as it lives"]
pub(crate) struct Reporting(());

impl Reporting {
    pub(crate) fn start() -> Self {
        state().reporting += 1;
        Self(())
    }

    /// Resolves once a Ctrl-C waited for the refreshes under way and they are done: a run
    /// checking many accounts stops checking there, and prints what it found.
    pub(crate) async fn stopped(&self) {
        loop {
            // Registered before the state is read, so a notification in between is not lost.
            let notified = DUE.notified();
            if state().due() {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Reporting {
    fn drop(&mut self) {
        let mut state = state();
        state.reporting -= 1;
        if state.due() {
            drop(state);
            exit_interrupted();
        }
    }
}

/// A prompt's Ctrl-C: prompts read keys with echo and signals off, so Ctrl-C reaches them as
/// a key and they return an `Interrupted` error. Ends the run like the signal does.
pub(crate) fn interrupted_or(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::Interrupted {
        exit_interrupted();
    }
    e.into()
}

fn exit_interrupted() -> ! {
    // The signal handler's thread and a prompt may both get here: the first one exits.
    static EXITING: Mutex<()> = Mutex::new(());
    let _first = EXITING.lock();
    #[cfg(unix)]
    if let Ok(saved) = TERMINAL.lock()
        && let Some(settings) = saved.as_ref()
    {
        use nix::sys::termios::{SetArg, tcsetattr};
        let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, settings);
    }
    let term = Term::stderr();
    if term.is_term() {
        let _ = term.show_cursor();
        let _ = term.write_line("");
    }
    if crate::terminal::ui::json_promised() {
        let error = Class::Interrupted
            .error_json("the run was interrupted (Ctrl-C, SIGTERM or SIGHUP)", None);
        crate::terminal::ui::out_json(&serde_json::json!({ "error": error }));
    }
    std::process::exit(Class::Interrupted.exit_code().into())
}
