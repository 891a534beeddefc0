//! One module per subcommand, each with a `run` that returns the result's [`Class`]. Shared
//! here: the path from a stored account to a check (used by `test`, `token` and `--explain`
//! alike), and how an outcome is shown.

pub(crate) mod api;
pub(crate) mod complete;
pub(crate) mod completions;
pub(crate) mod connectors;
pub(crate) mod context;
pub(crate) mod diagnose;
pub(crate) mod error;
pub(crate) mod exec;
pub(crate) mod expiry;
pub(crate) mod explain;
pub(crate) mod formats;
pub(crate) mod history;
pub(crate) mod link;
pub(crate) mod link_code;
pub(crate) mod link_device;
pub(crate) mod list;
pub(crate) mod revoke;
pub(crate) mod store_copy;
pub(crate) mod test;
pub(crate) mod token;

use std::time::SystemTime;

use serde_json::json;

use crate::base::outcome::{Failure, FailureKind, Outcome};
use crate::base::text;
use crate::catalog::{Catalog, Connector};
use crate::commands::context::Context;
use crate::commands::error::CliError;
use crate::input::{self, Given, Note, Prepared};
use crate::provider::Credentials;
use std::collections::BTreeMap;

use crate::base::secret::Secret;
use crate::store::packing;
use crate::store::{Account, AccountName, CachedToken, Loaded, RefreshLease, Replace, StoreError};
use crate::terminal::ui;

pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// What the connector keeps with the secret, as the store's packing takes it.
fn kept(connector: &Connector) -> Vec<packing::Kept<'_>> {
    connector
        .kept_with_secret()
        .map(|f| packing::Kept {
            id: &f.id,
            secret: f.secret,
        })
        .collect()
}

/// The one secret the store keeps for these credentials.
pub(crate) fn stored_secret(connector: &Connector, creds: &Credentials) -> Secret {
    packing::pack(&kept(connector), &creds.values, &creds.secrets)
}

/// A stored account's values, to go through the same preparation as typed ones: its record's
/// fields with what was kept with the secret.
pub(crate) fn given_stored(
    connector: &Connector,
    mut values: BTreeMap<String, String>,
    secret: &Secret,
    scope: Option<String>,
) -> Given {
    let (secrets, kept) = packing::unpack(&kept(connector), secret);
    values.extend(kept);
    Given {
        values,
        secrets,
        scope,
    }
}

/// A stored account, read as its check needs it.
pub(crate) struct StoredAccount<'c> {
    pub(crate) account: Account,
    pub(crate) connector: &'c Connector,
    pub(crate) given: Given,
    /// This run's turn with the account's refresh token, for a connector that spends one:
    /// held until the check is done and a rotated token stored, then given to
    /// [`crate::store::Store::release`].
    pub(crate) lease: Option<RefreshLease>,
}

/// A stored account, read as its check needs it: the record and secret, consistently, as
/// given values, with the connector the record read with the secret names (a team store's
/// listing never decides where a secret goes). With `turn`, for a check that spends the
/// account's refresh token, it first waits for any other run spending it and holds the lease.
/// A failure here is the check's outcome.
pub(crate) async fn stored(
    ctx: &Context,
    account: Account,
    turn: bool,
) -> Result<StoredAccount<'_>, (Account, Failure)> {
    let mut account = account;
    let mut lease = None;
    loop {
        let spends = |a: &Account| {
            ctx.catalog
                .get(&a.connector)
                .is_ok_and(Connector::spends_refresh_token)
        };
        if turn && lease.is_none() && spends(&account) {
            match take_turn(ctx, account).await {
                Ok((now, held)) => (account, lease) = (now, held),
                Err((account, e)) => return Err((account, store_failure(e))),
            }
        }
        let loaded = match ctx.store.load(account.clone()).await {
            Ok(l) => l,
            Err(e) => {
                ctx.store.release(lease).await;
                return Err((account, store_failure(e)));
            }
        };
        // The record came from a listing that named a connector without a refresh token,
        // and the record read with the secret names one with: take the turn, and read again.
        if turn && lease.is_none() && spends(&loaded.account) {
            account = loaded.account;
            continue;
        }
        if let Some(warning) = &loaded.warning {
            ui::warn(warning);
        }
        return ready(ctx, loaded, lease).await;
    }
}

/// The check's values of a loaded account, by the connector its own record names.
async fn ready(
    ctx: &Context,
    loaded: Loaded,
    lease: Option<RefreshLease>,
) -> Result<StoredAccount<'_>, (Account, Failure)> {
    let connector = match ctx.catalog.get(&loaded.account.connector) {
        Ok(c) => c,
        Err(e) => {
            ctx.store.release(lease).await;
            return Err((loaded.account, error::Cause::from(e).into()));
        }
    };
    let Some(secret) = loaded.secret else {
        ctx.store.release(lease).await;
        let f = Failure::local(
            FailureKind::SecretMissing,
            format!("{} has no secret for this account", ctx.store.describe()),
        );
        return Err((loaded.account, f));
    };
    let account = loaded.account;
    let given = given_stored(
        connector,
        account.fields.clone(),
        &secret,
        account.requested_scope.clone(),
    );
    Ok(StoredAccount {
        account,
        connector,
        given,
        lease,
    })
}

/// A store error met on the way to a check, as the check's failure: the same cause the error
/// ends a command with, so one cause (an unsafe lock file, a locked keychain) has one exit
/// code whichever command meets it.
pub(crate) fn store_failure(e: StoreError) -> Failure {
    error::Cause::from(e).into()
}

/// Waits for this run's turn with the account's refresh token, then reads the record again:
/// the run before may have stored a rotated token, or linked the account anew.
async fn take_turn(
    ctx: &Context,
    account: Account,
) -> Result<(Account, Option<RefreshLease>), (Account, StoreError)> {
    let name = match AccountName::parse(&account.name) {
        Ok(name) => name,
        Err(e) => return Err((account, e.into())),
    };
    let lease = match ctx.store.refresh_lease(&name, &ctx.turn()).await {
        Ok(lease) => lease,
        Err(e) => return Err((account, e)),
    };
    match ctx.store.record(&name).await {
        Ok(Some(now)) => Ok((now, Some(lease))),
        Ok(None) => {
            ctx.store.release(Some(lease)).await;
            Err((account, StoreError::NotLinked(name)))
        }
        Err(e) => {
            ctx.store.release(Some(lease)).await;
            Err((account, e))
        }
    }
}

/// Credential flags given with a stored account's name: refused, as the stored credentials
/// are what is tested.
pub(crate) fn refuse_credential_flags(c: &input::Flags) -> error::CliResult<()> {
    let given = c.subdomain.is_some()
        || c.client_id.is_some()
        || c.client_secret_stdin
        || c.api_key_stdin
        || c.secret_stdin.is_some()
        || !c.field_files.is_empty()
        || !c.fields.is_empty()
        || c.scope.is_some();
    if given {
        return Err(CliError::usage(
            "credential flags (--client-id, --subdomain, --field, ...) go with --connector",
        )
        .with_hint("stored accounts are tested with their stored credentials"));
    }
    Ok(())
}

/// A refresh token the provider rotated replaces the stored one before the result is
/// reported: the old one no longer works. The replacement is crash-safe like `link --force`
/// (`Store::link` writes the new secret to the account's other entry, then switches the
/// record), and check-and-set in the team store. Returns the record as it now stands; a store
/// that fails is the check's failure (the new token is then lost: the account must be linked
/// again).
pub(crate) async fn keep_rotated(
    ctx: &Context,
    account: &Account,
    connector: &Connector,
    creds: &Credentials,
    outcome: &Outcome,
) -> Result<Option<Account>, Failure> {
    let Some(new) = &outcome.rotated else {
        return Ok(None);
    };
    crate::base::fault::point("rotate:before_store");
    let secret = stored_secret(connector, &creds.with_refresh_token(new));
    let token = outcome
        .token
        .as_ref()
        .filter(|_| outcome.is_valid())
        .map(|t| CachedToken::new(t.access_token.clone(), t.expires_in));
    let stored = ctx
        .store
        .link(account.clone(), &secret, Replace::Only(account), token)
        .await;
    crate::base::fault::point("rotate:after_store");
    let failed = |e: StoreError| {
        let mut f = store_failure(e);
        let why = f.description.take().unwrap_or_default();
        f.description = Some(if f.kind == FailureKind::Conflict {
            format!(
                "`{}` was linked anew or removed while it was checked: the refresh token the provider rotated belonged to the link that was replaced, and was not stored ({why})",
                account.name
            )
        } else {
            format!(
                "the provider rotated the refresh token, and the new one could not be stored ({why}): the account must be linked again"
            )
        });
        f
    };
    stored.map_err(failed)?;
    let name = AccountName::parse(&account.name).map_err(|e| failed(e.into()))?;
    ctx.store.record(&name).await.map_err(failed)
}

/// What to say about a rotated refresh token, after the result.
pub(crate) fn rotation_note(outcome: &Outcome, stored: bool) -> Option<&'static str> {
    outcome.rotated.as_ref()?;
    Some(if stored {
        "the provider rotated the refresh token; the new one is stored"
    } else {
        "the provider rotated the refresh token: the one given no longer works, and nothing was stored (link the account to keep the new one)"
    })
}

/// [`input::prepare`] with a failure as an outcome, keeping how to give the value as its hint.
pub(crate) fn prepare(connector: &Connector, given: Given) -> Result<Prepared, Failure> {
    input::prepare(connector, given).map_err(|e| error::Cause::from(e).into())
}

/// Values given on the command line that cannot be used: an error naming the field, what the
/// problem usually means, and how to give the value again. `name` is the account's, where it
/// has one yet.
pub(crate) fn input_error(
    catalog: &Catalog,
    connector: &Connector,
    name: &str,
    f: Failure,
) -> CliError {
    let hint = match (hint(catalog, Some(connector), name, &f), &f.hint) {
        (Some(general), Some(how)) if general != *how => Some(format!("{general} Then {how}.")),
        (general, how) => general.or_else(|| how.clone()),
    };
    let err = CliError::new(f.kind.class(), f.description.unwrap_or_default());
    match hint {
        Some(h) => err.with_hint(h),
        None => err,
    }
}

/// Prints what preparation changed, on stderr (also with `--json`, whose output is stdout),
/// naming the stored account it is about.
pub(crate) fn show_notes(notes: &[Note], account: Option<&str>) {
    for note in notes {
        let text = match account {
            Some(name) => format!("{name}: {}", note.text),
            None => note.text.clone(),
        };
        if note.warning {
            ui::warn(&text);
        } else {
            ui::note(&text);
        }
    }
}

/// The hint to show with a failure: its own, else the catalog's for its kind, its
/// placeholders filled (see [`fill`]; `name` is empty for ad hoc credentials).
pub(crate) fn hint(
    catalog: &Catalog,
    connector: Option<&Connector>,
    name: &str,
    failure: &Failure,
) -> Option<String> {
    let from_catalog = failure
        .kind
        .hint_key()
        .and_then(|key| catalog.hint(connector, key))
        .map(|text| fill(&text, connector, name));
    match (from_catalog, &failure.hint) {
        // A value's problem: what it usually means comes first.
        (Some(general), _) if matches!(failure.kind, FailureKind::Input(_)) => Some(general),
        (_, Some(own)) => Some(own.clone()),
        (general, None) => general,
    }
}

/// A catalog text (a hint, a revoke note) as shown: `<connector>` becomes the connector's id
/// and `<name>` the account's name. One not known (credentials given ad hoc, an account not
/// named yet) becomes a word to replace, which a sentence at the end explains, so the command
/// in the text stays one to type.
pub(crate) fn fill(text: &str, connector: Option<&Connector>, name: &str) -> String {
    let mut filled = text.to_owned();
    let mut to_replace = Vec::new();
    let mut put = |placeholder: &str, known: Option<&str>, word: &str, what: &str| {
        if !filled.contains(placeholder) {
            return;
        }
        filled = filled.replace(placeholder, known.unwrap_or(word));
        if known.is_none() {
            to_replace.push(format!("{word} with {what}"));
        }
    };
    put(
        "<connector>",
        connector.map(|c| c.id.as_str()),
        "CONNECTOR",
        "the connector's id (`credlink connectors` lists them)",
    );
    put(
        "<name>",
        Some(name).filter(|n| !n.is_empty()),
        "NAME",
        "the name to link the account under (`credlink list` shows the linked ones)",
    );
    if to_replace.is_empty() {
        return filled;
    }
    format!("{filled} Replace {}.", to_replace.join(", and "))
}

/// The exact command to run next after a failure: re-link a stored account whose credentials
/// are wrong or gone, diagnose one that could not be checked. `name` is empty for ad hoc
/// credentials.
pub(crate) fn next_step(
    failure: &Failure,
    connector: Option<&Connector>,
    name: &str,
) -> Option<String> {
    use crate::base::outcome::Class;
    let connector = connector?;
    let stored = !name.is_empty();
    match failure.kind {
        FailureKind::UnknownConnector => Some("credlink connectors".to_owned()),
        // The hint says what to do: run it again (the command that was run) or fix the store.
        FailureKind::Store(_) | FailureKind::Conflict => None,
        FailureKind::SecretMissing | FailureKind::Input(_) if stored => Some(format!(
            "credlink link {} --name {name} --force",
            connector.id
        )),
        kind if kind.class() == Class::Rejected && stored => Some(format!(
            "credlink link {} --name {name} --force",
            connector.id
        )),
        _ if stored => Some(format!("credlink test --explain {name}")),
        FailureKind::Input(_) => None,
        _ => Some(format!(
            "credlink test --explain --connector {} with the same values",
            connector.id
        )),
    }
}

/// The JSON object `test` prints per account (stable keys).
pub(crate) fn outcome_json(
    name: &str,
    connector: &str,
    outcome: &Outcome,
    hint: Option<String>,
) -> serde_json::Value {
    let failure = outcome.failure.as_ref();
    let token = outcome.token.as_ref();
    json!({
        "name": name,
        "connector": connector,
        "ok": outcome.is_valid(),
        "status": outcome.status().as_str(),
        "http_status": outcome.http_status,
        "error": failure.and_then(Failure::shown_code),
        "error_description": failure.and_then(|f| f.description.clone()),
        "hint": hint,
        "latency_ms": outcome.latency_ms,
        "expires_in": token.and_then(|t| t.expires_in),
        "scope": token.and_then(|t| t.scope.clone()),
        "rotated": outcome.rotated.is_some(),
        "second_try": outcome.second_try.as_ref().map(|t| json!({
            "field": t.field,
            "typed": shown_value(&t.typed),
            "tried": shown_value(&t.tried),
            "accepted": outcome.is_valid(),
            "first_error": text::clean(&t.first_cause),
        })),
    })
}

/// A value of a second try as shown: whole when short, else masked (a secret pasted into the
/// wrong field must not be printed).
pub(crate) fn shown_value(value: &str) -> String {
    crate::input::mask(value, 24)
}

/// What to say when the provider accepted a value only on the second try: which form it
/// accepted, and that `link` stores that one (`linked`), or how to store it.
pub(crate) fn second_try_note(provider: &str, outcome: &Outcome, linked: bool) -> Option<String> {
    let t = outcome.second_try.as_ref().filter(|_| outcome.is_valid())?;
    let then = if linked {
        "that form is the one stored"
    } else {
        "link the account with that form to spare the first request"
    };
    Some(format!(
        "{} refused the {} `{}` and accepted `{}`: {then}",
        text::clean_truncated(provider, 64),
        t.label,
        shown_value(&t.typed),
        shown_value(&t.tried)
    ))
}

/// The details under a failed check: the provider's words, what to do, and the command to
/// run next.
pub(crate) fn failure_lines(
    outcome: &Outcome,
    hint: Option<&str>,
    next: Option<&str>,
) -> Vec<String> {
    // Causes may quote a hand-edited index or a user's catalog: shown cleaned.
    let mut lines = vec![format!("cause: {}", text::clean(&outcome.cause()))];
    if let Some(t) = &outcome.second_try {
        lines.push(format!(
            "tried: the {} `{}` ({}), then `{}` (the cause above)",
            t.label,
            shown_value(&t.typed),
            text::clean(&t.first_cause),
            shown_value(&t.tried)
        ));
    }
    if let Some(hint) = hint {
        lines.push(format!("hint: {}", text::clean(hint)));
    }
    if let Some(next) = next {
        lines.push(format!("next: {next}"));
    }
    lines
}

/// "HTTP 200, 212 ms, token valid for 86400 s, scope: api:read"
pub(crate) fn token_summary(outcome: &Outcome) -> String {
    let mut parts = vec![format!("{} ms", outcome.latency_ms)];
    if let Some(s) = outcome.http_status {
        parts.insert(0, format!("HTTP {s}"));
    }
    if let Some(token) = &outcome.token {
        if let Some(e) = token.expires_in {
            parts.push(format!("token valid for {e} s"));
        }
        if let Some(scope) = &token.scope {
            parts.push(format!("scope: {scope}"));
        }
    }
    parts.join(", ")
}
