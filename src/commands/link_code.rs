//! The browser sign-in of `credlink link` for `oauth2_authorization_code` connectors (RFC 6749
//! 4.1 with PKCE, RFC 7636, on a loopback redirect, RFC 8252): listen on 127.0.0.1, print the
//! authorization address (and open a browser), wait for the redirect that carries this
//! sign-in's `state` from the listener or pasted on stdin, and trade the code for tokens.
//! `link` then validates and stores the result like any other check's: nothing is saved on
//! failure.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::base::outcome::{Class, Outcome};
use crate::base::secret::Secret;
use crate::catalog::{AuthorizeSpec, Connector};
use crate::cli::LinkArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::input::{Line, read_line};
use crate::oauth::loopback::{Callback, CallbackError, Listener};
use crate::oauth::pkce::{self, Pkce};
use crate::provider::{self, Credentials};
use crate::terminal::browser;
use crate::terminal::ui::{self, Spinner};

/// A pasted redirect address is a few hundred characters; a longer line is something else.
const MAX_PASTED_LINE: usize = 16 * 1024;

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
    let state = pkce::state();
    let mut listener = Listener::bind(port, &spec.redirect_path, &state)
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
    let redirect_uri = listener.redirect_uri().to_owned();
    let pkce = spec.pkce.then(Pkce::new);
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
    let _launched = (!args.no_browser).then(|| browser::open(&url)).flatten();
    // Secrets read from stdin used it up: nothing can be pasted there.
    let c = &args.credentials;
    let paste = !(c.client_secret_stdin || c.api_key_stdin || c.secret_stdin.is_some());
    if paste {
        ui::err(&format!(
            "If the browser runs on another machine, paste here the address it ends up at (it starts with {redirect_uri}) and press Enter."
        ));
    }

    let callback = wait(&mut listener, paste, Duration::from_secs(args.wait)).await?;
    drop(listener);
    let code = match callback {
        Callback::Code(code) => code,
        Callback::Error { error, description } => {
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

/// Waits for this sign-in's redirect: from the browser through the listener, or pasted on
/// stdin, until `limit`. Requests and pastes that are not it are refused, and the wait goes
/// on. A countdown shows at a terminal.
async fn wait(listener: &mut Listener, paste: bool, limit: Duration) -> CliResult<Callback> {
    // Bounded too: a pipe of endless short lines waits for each to be read.
    let (tx, mut pasted) = tokio::sync::mpsc::channel::<Line>(4);
    if paste {
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            while let Ok(line) = read_line(&mut stdin, MAX_PASTED_LINE) {
                let more = matches!(line, Line::Text(_));
                if tx.blocking_send(line).is_err() || !more {
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
    // Any web page can send requests here: say so once, not once for each of them.
    let mut told_forged = false;
    let result = loop {
        tokio::select! {
            got = listener.next() => match got {
                Ok(callback) => break Ok(callback),
                Err(CallbackError::Forged) if told_forged => {}
                Err(e) => {
                    told_forged |= matches!(e, CallbackError::Forged);
                    ui::clear_countdown(countdown);
                    ui::err(&format!("warning: ignored a request to the redirect address: {e}; still waiting"));
                }
            },
            line = pasted.recv(), if paste_open => match line {
                None | Some(Line::End) => paste_open = false,
                Some(Line::TooLong) => {
                    paste_open = false;
                    ui::clear_countdown(countdown);
                    ui::err(&format!("error: a line on stdin is longer than {} KiB, so it is no address; stdin is no longer read: finish the sign-in in the browser", MAX_PASTED_LINE / 1024));
                }
                Some(Line::Text(line)) if line.trim().is_empty() => {}
                Some(Line::Text(line)) => match listener.read_pasted(&line) {
                    Ok(callback) => break Ok(callback),
                    Err(e) => {
                        ui::clear_countdown(countdown);
                        ui::err(&format!("error: {e}; still waiting: finish the sign-in in the browser, or paste the address it ends up at"));
                    }
                },
            },
            _ = tick.tick(), if countdown => {
                ui::countdown(limit.saturating_sub(started.elapsed()));
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
    ui::clear_countdown(countdown);
    result
}
