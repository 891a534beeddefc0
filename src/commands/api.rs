//! `credlink api NAME PATH`: one request to the account's API, under the connector's
//! `api_base`, with its credentials applied as the check applies them; the answer's body on
//! stdout, as the provider sent it. A PATH that could leave the base is refused before the
//! store is read or anything is sent.

use std::io::{IsTerminal, Write};

use reqwest::Method;

use crate::base::outcome::{Class, FailureKind, Outcome, Stage};
use crate::base::secret::Secret;
use crate::catalog::Connector;
use crate::cli::ApiArgs;
use crate::commands::context::Context;
use crate::commands::error::{CliError, CliResult, print_error};
use crate::commands::{failure_lines, hint, next_step, prepare, stored, token};
use crate::input::Given;
use crate::provider::answer;
use crate::provider::api::{API_MAX_BODY, api_request, api_url, check_path, refused_header};
use crate::provider::http::{Body, Response, Value};
use crate::store::{Account, AccountName};

/// The most of a body credlink sends.
const MAX_INPUT: usize = 64 * 1024 * 1024;
/// A cached token is reused while it stays valid this many more seconds (as `token`'s
/// default).
const MIN_TTL: u64 = 60;

/// What the user asked to send, checked before anything is read or sent.
struct Asked {
    method: Method,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

pub(crate) async fn run(ctx: &Context, args: &ApiArgs) -> CliResult<Class> {
    check_path(&args.path).map_err(|e| CliError::usage(e.to_string()))?;
    let asked = asked(args)?;
    let name = AccountName::parse(&args.name)?;
    let account = ctx.store.linked(&name).await?;
    let connector = ctx.catalog.get(&account.connector)?;
    if connector.api_base.is_none() {
        return Err(CliError::usage(
            crate::base::template::TemplateError::NoApiBase(connector.id.clone()).to_string(),
        ));
    }
    for (header, _) in &asked.headers {
        if let Some(why) = refused_header(connector, header) {
            return Err(CliError::usage(format!("-H `{header}` is refused: {why}")));
        }
    }
    let (given, token) = match credentials(ctx, &name, account, connector).await? {
        Ok(found) => found,
        Err(class) => return Ok(class),
    };
    send(ctx, &name, connector, args, asked, given, token).await
}

/// The method, headers and body asked for: a body needs a method other than GET, named with
/// -X.
fn asked(args: &ApiArgs) -> CliResult<Asked> {
    let body = body(args)?;
    let method = match (&args.method, &body) {
        (None, Some(_)) => {
            return Err(CliError::usage(
                "a body (-f or --input) is sent only with a method named: add -X POST (or PUT, PATCH)",
            ));
        }
        (None, None) => Method::GET,
        (Some(m), _) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| CliError::usage(format!("-X `{m}` is not an HTTP method")))?,
    };
    if matches!(method, Method::TRACE | Method::CONNECT) {
        return Err(CliError::usage(format!(
            "-X {method} is refused: a TRACE answer echoes the request's credential, and CONNECT opens a tunnel, not an API call"
        )));
    }
    if body.is_some() && matches!(method, Method::GET | Method::HEAD) {
        return Err(CliError::usage(format!(
            "-X {method} sends no body: name the method that takes one, e.g. -X POST"
        )));
    }
    let mut headers = Vec::new();
    for raw in &args.headers {
        let (name, value) = raw
            .split_once(':')
            .ok_or_else(|| CliError::usage(format!("-H `{raw}` is not `Name: value`")))?;
        let (name, value) = (name.trim(), value.trim());
        let valid = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && reqwest::header::HeaderValue::from_str(value).is_ok();
        if !valid {
            return Err(CliError::usage(format!(
                "-H `{}` is not a header a request can carry (a name of letters, digits and `-`, a value without line breaks)",
                crate::base::text::clean_truncated(raw, 100)
            )));
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    Ok(Asked {
        method,
        headers,
        body,
    })
}

/// The body: `-f` fields as a JSON object of strings, or `--input` as given.
fn body(args: &ApiArgs) -> CliResult<Option<String>> {
    if let Some(path) = &args.input {
        let read = if path.as_os_str() == "-" {
            crate::input::read_stdin(MAX_INPUT)
        } else {
            crate::base::files::read_regular(path, MAX_INPUT as u64)
        };
        return read.map(Some).map_err(|e| {
            CliError::usage(format!("--input `{}` cannot be read: {e}", path.display()))
        });
    }
    if args.fields.is_empty() {
        return Ok(None);
    }
    let mut object = serde_json::Map::new();
    for field in &args.fields {
        let (key, value) = field
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("-f `{field}` is not `key=value`")))?;
        object.insert(key.to_owned(), value.into());
    }
    Ok(Some(serde_json::Value::Object(object).to_string()))
}

/// The account's values and, for a connector that issues tokens, a usable access token (the
/// cached one, or a new one as `token` gets it). `Err(class)`: refused, said on stderr.
async fn credentials(
    ctx: &Context,
    name: &AccountName,
    account: Account,
    connector: &Connector,
) -> CliResult<Result<(Given, Option<Secret>), Class>> {
    let first = match stored(ctx, account, false).await {
        Ok(s) => s,
        Err((_, failure)) => {
            return Ok(Err(refused(ctx, connector, name, Outcome::local(failure))));
        }
    };
    if !connector.auth().issues_tokens() {
        return Ok(Ok((first.given, None)));
    }
    let given = first.given.clone();
    let want = token::Freshness {
        min_ttl: MIN_TTL,
        fresh: false,
    };
    Ok(match token::obtain(ctx, name, first, &want).await? {
        token::Got::Token { token, .. } => Ok((given, Some(token.access_token))),
        token::Got::Refused(class) => Err(class),
    })
}

async fn send(
    ctx: &Context,
    name: &AccountName,
    connector: &Connector,
    args: &ApiArgs,
    asked: Asked,
    given: Given,
    token: Option<Secret>,
) -> CliResult<Class> {
    let creds = match prepare(connector, given) {
        Ok(p) => p.creds,
        Err(f) => return Ok(refused(ctx, connector, name, Outcome::local(f))),
    };
    let base = crate::provider::api_base_url(connector, &creds)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let url = api_url(&base, &args.path).map_err(|e| CliError::usage(e.to_string()))?;
    let repeatable = asked.method.is_idempotent();
    let mut request = api_request(connector, &creds, token.as_ref(), asked.method, url)
        .map_err(CliError::usage)?;
    request.max_body = API_MAX_BODY;
    request.repeatable = repeatable;
    let mut content_type = "application/json".to_owned();
    for (header, value) in asked.headers {
        match header.eq_ignore_ascii_case("content-type") {
            true => content_type = value,
            false => request.header(&header, Value::Plain(value)),
        }
    }
    request.body = asked.body.map(|text| Body {
        content_type,
        shown: text.clone(),
        text: Secret::new(text),
    });
    let mut redactor = creds.redactor(connector);
    if let Some(token) = &token {
        redactor.add(token);
    }
    let redactor = request.redacting(redactor);
    match ctx.http.send(&request, &redactor).await {
        Ok(response) => Ok(answered(ctx, name, connector, args, &response, &redactor)),
        Err(e) => {
            print_error(
                &format!("no answer from {}", request.shown_url()),
                &[format!("cause: {}", e.message)],
            );
            Ok(FailureKind::Net(e.fault).class())
        }
    }
}

/// Prints the answer (status line and headers with `-i`, then the body) and says why on
/// stderr when it is not a success.
fn answered(
    ctx: &Context,
    name: &AccountName,
    connector: &Connector,
    args: &ApiArgs,
    response: &Response,
    redactor: &crate::base::secret::Redactor,
) -> Class {
    let mut out = Vec::new();
    if args.include {
        let reason = reqwest::StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        out.extend(format!("HTTP {} {reason}\n", response.status).into_bytes());
        for (header, value) in &response.headers {
            let value = redactor.clean(&String::from_utf8_lossy(value.as_bytes()));
            out.extend(format!("{header}: {value}\n").into_bytes());
        }
        out.push(b'\n');
    }
    if response.cut {
        print_error(
            &format!(
                "the answer is larger than {} MiB: not printed",
                API_MAX_BODY >> 20
            ),
            &[],
        );
        write_out(&out);
        return Class::Unexpected;
    }
    out.extend(shown_body(&response.body));
    write_out(&out);
    let class = class_of(response.status);
    if class != Class::Ok {
        let outcome = answer::failure(response, redactor, None, Stage::Main);
        refused(ctx, connector, name, outcome);
    }
    class
}

/// The body as sent, or pretty-printed JSON at a terminal.
fn shown_body(body: &[u8]) -> Vec<u8> {
    if std::io::stdout().is_terminal()
        && let Ok(json) = serde_json::from_slice::<serde_json::Value>(body)
        && let Ok(pretty) = serde_json::to_string_pretty(&json)
    {
        return format!("{pretty}\n").into_bytes();
    }
    body.to_vec()
}

fn write_out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    // A reader that went away (`| head`) is not an error of the request.
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

/// The exit status of an answer: 401 and 403 refuse the credential (3); a redirect (never
/// followed), 408, 429 and 5xx are the provider's (4); any other 4xx refuses the request
/// itself (1).
fn class_of(status: u16) -> Class {
    match status {
        200..=299 => Class::Ok,
        401 | 403 => Class::Rejected,
        300..=399 | 408 | 429 | 500.. => Class::Unreachable,
        _ => Class::Unexpected,
    }
}

/// Why the request failed, with the connector's hint for a refused credential.
fn refused(ctx: &Context, connector: &Connector, name: &AccountName, outcome: Outcome) -> Class {
    let failure = outcome.failure.as_ref();
    let rejected =
        failure.is_some_and(|f| matches!(f.kind, FailureKind::Http401 | FailureKind::Http403));
    let local = failure.is_some_and(|f| f.stage == Stage::Local);
    let hint = failure
        .filter(|_| rejected || local)
        .and_then(|f| hint(&ctx.catalog, Some(connector), name.as_str(), f));
    let next = failure
        .filter(|_| rejected || local)
        .and_then(|f| next_step(f, Some(connector), name.as_str()));
    let what = match local {
        true => format!("no request for `{name}`"),
        false => format!("the provider answered `{name}`'s request with an error"),
    };
    print_error(
        &what,
        &failure_lines(&outcome, hint.as_deref(), next.as_deref()),
    );
    outcome.class()
}
