//! The browser sign-in of `credlink link` for `oauth2_authorization_code` connectors (RFC 6749
//! 4.1 with PKCE, RFC 7636, on a loopback redirect, RFC 8252): listen on 127.0.0.1, print the
//! authorization address (and open a browser), take the redirect from the listener or pasted
//! on stdin, check `state`, and trade the code for tokens. `link` then validates and stores
//! the result like any other check's: nothing is saved on failure.

use std::io::{BufRead, IsTerminal};
use std::time::{Duration, Instant};

use crate::catalog::{AuthorizeSpec, Connector};
use crate::cli::LinkArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::oauth::loopback::{Callback, Listener, parse_pasted};
use crate::oauth::pkce::{self, Pkce};
use crate::outcome::{Class, Outcome};
use crate::provider::{self, Credentials};
use crate::secret::Secret;
use crate::ui::{self, Spinner};

/// The redirect URI to register at the provider for this run.
pub(crate) fn redirect_uri(args: &LinkArgs, spec: &AuthorizeSpec) -> String {
    crate::oauth::redirect_uri(
        args.redirect_port.unwrap_or(spec.redirect_port),
        &spec.redirect_path,
    )
}

/// Says which redirect URI the provider must know, before anything else happens.
pub(crate) fn announce(connector: &Connector, args: &LinkArgs, spec: &AuthorizeSpec) {
    ui::err(&format!(
        "{} signs you in through a browser. The OAuth app's redirect URI at {} must be exactly:\n  {}",
        connector.name,
        connector.name,
        redirect_uri(args, spec)
    ));
}

/// The sign-in and the code exchange: the check's outcome and, when valid, the refresh token.
pub(crate) async fn sign_in(
    ctx: &Context,
    args: &LinkArgs,
    connector: &Connector,
    spec: &AuthorizeSpec,
    creds: &Credentials,
) -> CliResult<(Outcome, Option<Secret>)> {
    let port = args.redirect_port.unwrap_or(spec.redirect_port);
    let listener = Listener::bind(port, &spec.redirect_path)
        .await
        .map_err(|e| {
            CliError::usage(format!(
                "cannot listen for the redirect on 127.0.0.1:{port}: {e}"
            ))
            .with_hint(format!(
                "another program uses port {port} (an earlier `credlink link` still waiting?): end it, or pass --redirect-port PORT with a free port and register http://127.0.0.1:PORT{} at the provider",
                spec.redirect_path
            ))
        })?;
    let redirect_uri = listener.redirect_uri();
    let pkce = spec.pkce.then(Pkce::new);
    let state = pkce::state();
    let url = provider::authorize_url(
        connector,
        creds,
        &redirect_uri,
        &state,
        pkce.as_ref().map(|p| p.challenge.as_str()),
    )
    .map_err(|e| CliError::usage(format!("cannot build the sign-in address: {e}")))?;

    ui::err(&format!(
        "Open this address in a browser, sign in to {} and allow access:\n  {url}",
        connector.name
    ));
    if !args.no_browser {
        open_browser(url.as_str());
    }
    // Secrets read from stdin used it up: nothing can be pasted there.
    let c = &args.credentials;
    let paste = !(c.client_secret_stdin || c.api_key_stdin || c.secret_stdin.is_some());
    if paste {
        ui::err(&format!(
            "If the browser runs on another machine, paste here the address it ends up at (it starts with {redirect_uri}) and press Enter."
        ));
    }

    let callback = wait(
        &listener,
        &redirect_uri,
        paste,
        Duration::from_secs(args.wait),
    )
    .await?;
    drop(listener);
    let code = match callback {
        Callback::Code { code, state: got } => {
            check_state(got.as_deref(), &state)?;
            code
        }
        Callback::Error {
            error,
            description,
            state: got,
        } => {
            check_state(got.as_deref(), &state)?;
            let words = match description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            };
            let hint = if error == "access_denied" {
                "access was denied or the sign-in was cancelled in the browser: run the command again and allow access (an admin of the account may have to)".to_owned()
            } else {
                format!(
                    "check the OAuth app's settings at {} (client ID, redirect URI, scopes), then run the command again",
                    connector.name
                )
            };
            return Err(CliError::new(
                Class::Rejected,
                format!(
                    "{} did not grant access ({words}); nothing was saved",
                    connector.name
                ),
            )
            .with_hint(hint));
        }
    };

    let spinner = Spinner::start(
        format!("Trading the authorization code with {}…", connector.name),
        !ctx.json,
    );
    let result = provider::exchange_code(
        &ctx.http,
        connector,
        creds,
        &code,
        pkce.as_ref().map(|p| &p.verifier),
        &redirect_uri,
        ctx.check_permissions,
    )
    .await;
    spinner.stop();
    Ok(result)
}

fn check_state(got: Option<&str>, expected: &str) -> CliResult<()> {
    if got == Some(expected) {
        return Ok(());
    }
    Err(CliError::new(
        Class::Rejected,
        "refused the redirect: its `state` is not this sign-in's (a forged redirect, or one from an older sign-in); nothing was saved",
    )
    .with_hint("run the command again and finish the sign-in in the address it prints"))
}

/// Waits for the redirect: from the browser through the listener, or pasted on stdin, until
/// `limit`. A countdown shows at a terminal.
async fn wait(
    listener: &Listener,
    redirect_uri: &str,
    paste: bool,
    limit: Duration,
) -> CliResult<Callback> {
    let (tx, mut pasted) = tokio::sync::mpsc::unbounded_channel::<String>();
    if paste {
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    } else {
        drop(tx);
    }
    let mut paste_open = paste;
    let countdown = std::io::stderr().is_terminal();
    let started = Instant::now();
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut from_browser = Box::pin(listener.next());
    let result = loop {
        tokio::select! {
            got = &mut from_browser => match got {
                Ok(callback) => break Ok(callback),
                Err(e) => {
                    clear_line(countdown);
                    ui::err(&format!("warning: a request to the redirect address carried no authorization ({e}); still waiting"));
                    from_browser = Box::pin(listener.next());
                }
            },
            line = pasted.recv(), if paste_open => match line {
                None => paste_open = false,
                Some(line) if line.trim().is_empty() => {}
                Some(line) => match parse_pasted(&line, redirect_uri) {
                    Ok(callback) => break Ok(callback),
                    Err(e) => {
                        clear_line(countdown);
                        ui::err(&format!("error: {e}; paste the whole address, or finish the sign-in in the browser"));
                    }
                },
            },
            _ = tick.tick(), if countdown => {
                let left = limit.saturating_sub(started.elapsed()).as_secs();
                eprint!("\r\x1b[2KWaiting for the sign-in… {}:{:02} left (Ctrl-C to stop)", left / 60, left % 60);
            }
            () = &mut deadline => {
                break Err(CliError::new(
                    Class::Unreachable,
                    format!("the sign-in did not finish within {} s; nothing was saved", limit.as_secs()),
                )
                .with_hint("run the command again (with a longer --wait SECS if you need the time); over SSH, paste the address the browser ends up at"));
            }
        }
    };
    clear_line(countdown);
    result
}

fn clear_line(countdown: bool) {
    if countdown {
        eprint!("\r\x1b[2K");
    }
}

/// Opens the address in the system's browser; where that fails the address printed above is
/// the way on.
pub(crate) fn open_browser(url: &str) {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        // Not `cmd /c start`: cmd would split the address at its `&`s.
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let spawned = cmd
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        ui::note("no browser could be opened: open the address above yourself");
    }
}
