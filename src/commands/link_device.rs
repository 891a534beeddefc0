//! The device sign-in of `credlink link` for `oauth2_device_code` connectors (RFC 8628): ask
//! the device authorization endpoint for a user code, show it with the address to enter it at
//! (and open a browser there), then poll the token endpoint at the server's interval until the
//! user approved or denied, the code expired, or `--wait` ran out. `link` then validates and
//! stores the refresh token as for `oauth2_authorization_code`: nothing is saved on failure.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::base::outcome::{Class, Outcome};
use crate::base::secret::Secret;
use crate::catalog::Connector;
use crate::cli::LinkArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult};
use crate::provider::{self, Credentials, DevicePoll};
use crate::terminal::browser::PeerAddress;
use crate::terminal::ui;

/// Polls in a row that may fail to reach the token endpoint before the sign-in gives up.
const MAX_UNREACHABLE_POLLS: u32 = 3;

/// RFC 8628 3.2: the polling interval when the server names none.
const DEFAULT_INTERVAL: u64 = 5;
/// RFC 8628 3.5: what `slow_down` adds to the interval, for this and every later poll.
const SLOW_DOWN: u64 = 5;

/// The next polling interval after an answer: `slow_down` adds 5 s.
pub(crate) fn next_interval(interval: Duration, slow_down: bool) -> Duration {
    if slow_down {
        interval + Duration::from_secs(SLOW_DOWN)
    } else {
        interval
    }
}

/// The device sign-in: the check's outcome and, when valid, the refresh token.
pub(crate) async fn sign_in(
    ctx: &Context,
    args: &LinkArgs,
    connector: &Connector,
    creds: &Credentials,
) -> CliResult<(Outcome, Option<Secret>)> {
    let grant = match provider::device_authorization(&ctx.http, connector, creds).await {
        Ok(grant) => grant,
        Err(outcome) => return Ok((outcome, None)),
    };
    let uri = PeerAddress::new(&grant.verification_uri);
    let complete = grant
        .verification_uri_complete
        .as_deref()
        .map(PeerAddress::new);
    ui::err(&format!(
        "To sign in to {}, open this address in a browser:\n  {uri}\nand enter the code:\n  {}",
        connector.name, grant.user_code
    ));
    if let Some(complete) = &complete {
        ui::err(&format!(
            "Or open this address, which carries the code:\n  {complete}"
        ));
    }
    let _launched = (!args.no_browser)
        .then(|| complete.as_ref().unwrap_or(&uri).open())
        .flatten();

    let limit = Duration::from_secs(args.wait);
    let expires = grant.expires_in.map(Duration::from_secs);
    let mut interval = Duration::from_secs(grant.interval.unwrap_or(DEFAULT_INTERVAL).max(1));
    let countdown = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut unreachable_in_a_row = 0;
    let result = loop {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            break Err(CliError::new(
                Class::Unreachable,
                format!(
                    "the sign-in did not finish within {} s; nothing was saved",
                    limit.as_secs()
                ),
            )
            .with_hint(
                "run the command again (with a longer --wait SECS if you need the time) and enter the code it shows",
            ));
        }
        wait(interval.min(left), limit, started, countdown).await;
        if started.elapsed() >= limit {
            continue;
        }
        match provider::poll_device(
            &ctx.http,
            connector,
            creds,
            &grant.device_code,
            ctx.check_permissions,
        )
        .await
        {
            DevicePoll::Pending => unreachable_in_a_row = 0,
            DevicePoll::SlowDown => {
                unreachable_in_a_row = 0;
                interval = next_interval(interval, true);
            }
            // A blip at the provider does not end a sign-in whose code is still good; a
            // provider that stays away does.
            DevicePoll::Unreachable(outcome) => {
                unreachable_in_a_row += 1;
                if unreachable_in_a_row >= MAX_UNREACHABLE_POLLS {
                    break Ok((*outcome, None));
                }
            }
            DevicePoll::Ended { error, description } => {
                ui::clear_countdown(countdown);
                let words = match description {
                    Some(d) => format!("{error}: {d}"),
                    None => error.clone(),
                };
                let (what, hint) = if error == "access_denied" {
                    (
                        "did not grant access",
                        "access was denied in the browser: run the command again and allow access (an admin of the account may have to)",
                    )
                } else {
                    (
                        "let the code expire before the sign-in finished",
                        "run the command again and enter the new code it shows sooner",
                    )
                };
                break Err(CliError::new(
                    Class::Rejected,
                    format!("{} {what} ({words}); nothing was saved", connector.name),
                )
                .with_hint(hint));
            }
            DevicePoll::Done(outcome, refresh) => break Ok((*outcome, refresh)),
        }
        if let Some(expires) = expires
            && started.elapsed() >= expires + interval
        {
            // The server should have said `expired_token` by now.
            break Err(CliError::new(
                Class::Rejected,
                format!(
                    "{} let the code expire before the sign-in finished ({} s); nothing was saved",
                    connector.name,
                    expires.as_secs()
                ),
            )
            .with_hint("run the command again and enter the new code it shows sooner"));
        }
    };
    ui::clear_countdown(countdown);
    result
}

/// Sleeps `for_`, showing the time left of `limit` at a terminal.
async fn wait(for_: Duration, limit: Duration, started: Instant, countdown: bool) {
    if !countdown {
        tokio::time::sleep(for_).await;
        return;
    }
    let until = Instant::now() + for_;
    loop {
        ui::countdown(limit.saturating_sub(started.elapsed()));
        let now = Instant::now();
        if now >= until {
            return;
        }
        tokio::time::sleep((until - now).min(Duration::from_secs(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_down_adds_five_seconds_for_every_later_poll() {
        let start = Duration::from_secs(DEFAULT_INTERVAL);
        let once = next_interval(start, true);
        assert_eq!(once, Duration::from_secs(10));
        assert_eq!(next_interval(once, false), Duration::from_secs(10));
        assert_eq!(next_interval(once, true), Duration::from_secs(15));
    }
}
