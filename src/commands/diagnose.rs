//! `test --explain` as data: the path of `test`, one step at a time. It loads, prepares and
//! checks exactly as `test` does (the same functions), then lays the typed outcome out as steps:
//! keychain, input, proxy, DNS (the request's own lookups), connect, TLS, HTTP, OAuth or
//! verification, permissions. The failing step and the exit code come from the outcome, so
//! `test` and `--explain` always agree. Nothing secret is shown: the client ID is partly
//! masked, secrets are described only by their length. It never prints: `explain` renders
//! the [`Report`].

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::base::outcome::{Class, Failure, FailureKind, NetFault, Outcome, Step};
use crate::catalog::{Check, Connector, FieldRole};
use crate::cli::TestArgs;
use crate::commands::context::Context;
use crate::commands::error::{Cause, CliError, CliResult};
use crate::commands::expiry::{self, Health, Learned};
use crate::commands::{
    fill, hint, keep_rotated, next_step, prepare, refuse_credential_flags, rotation_note,
    second_try_note, shown_value, stored,
};
use crate::input::{self, Given, Prepared, mask};
use crate::provider::{self, Credentials, keys};
use crate::store::{Account, AccountName, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepStatus {
    Ok,
    Warning,
    Failed,
    Skipped,
}

/// One step of a diagnosis.
#[derive(Debug, Serialize)]
pub(crate) struct Line {
    pub(crate) step: &'static str,
    pub(crate) status: StepStatus,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) detail: String,
    pub(crate) hint: Option<String>,
}

/// A diagnosis: the steps, the class `test` would exit with, and the command to run next.
pub(crate) struct Report {
    /// The account's name, or the connector's id for ad hoc credentials.
    pub(crate) name: String,
    /// The connector's id and name; `None` when the record could not be read.
    pub(crate) connector: Option<(String, String)>,
    pub(crate) lines: Vec<Line>,
    pub(crate) class: Class,
    pub(crate) next: Option<String>,
}

struct Diagnosis<'a> {
    ctx: &'a Context,
    connector: &'a Connector,
    watch: Watch,
    name: String,
    /// The stored account's name, empty for ad hoc credentials.
    account: String,
    lines: Vec<Line>,
    class: Class,
    /// The command to run next, after a failure.
    next: Option<String>,
}

impl<'a> Diagnosis<'a> {
    /// A diagnosis of `account` (empty for ad hoc credentials, then named by the connector).
    fn new(ctx: &'a Context, connector: &'a Connector, watch: Watch, account: String) -> Self {
        Self {
            ctx,
            connector,
            watch,
            name: if account.is_empty() {
                connector.id.clone()
            } else {
                account.clone()
            },
            account,
            lines: Vec::new(),
            class: Class::Ok,
            next: None,
        }
    }

    fn step_name(&self, step: Step) -> &'static str {
        match step {
            Step::Keychain => store_step(self.ctx),
            Step::Input => "input",
            Step::ClientCertificate => "client certificate",
            Step::Assertion => "assertion",
            Step::Proxy => "proxy",
            Step::Dns => "dns",
            Step::Connect => "connect",
            Step::Tls => "tls",
            Step::Http => "http",
            Step::Auth => match self.connector.check {
                Check::OAuth(_) => "oauth",
                Check::ApiKey(_) => "verify",
                Check::Exchange(_) => "exchange",
            },
            Step::Permissions => "permissions",
            Step::Expiry => "expiry",
        }
    }

    fn push(&mut self, step: Step, status: StepStatus, ms: Option<u64>, detail: String) {
        self.lines.push(Line {
            step: self.step_name(step),
            status,
            duration_ms: ms,
            detail,
            hint: None,
        });
    }

    /// The failing step: its cause, the hint `test` would give, and the class `test` would
    /// exit with. Later steps are not shown.
    fn fail(&mut self, step: Step, ms: Option<u64>, detail: String, failure: &Failure) {
        let hint = hint(
            &self.ctx.catalog,
            Some(self.connector),
            &self.account,
            failure,
        );
        self.lines.push(Line {
            step: self.step_name(step),
            status: StepStatus::Failed,
            duration_ms: ms,
            detail,
            hint,
        });
        self.class = failure.kind.class();
        // This diagnosis is what `test` would suggest for a failure it cannot name.
        self.next = next_step(failure, Some(self.connector), &self.account)
            .filter(|next| !next.starts_with("credlink test --explain"));
    }

    fn report(self) -> Report {
        Report {
            name: self.name,
            connector: Some((self.connector.id.clone(), self.connector.name.clone())),
            lines: self.lines,
            class: self.class,
            next: self.next,
        }
    }
}

/// The name of the step that reads the account: `keychain`, or `store` for the team store.
fn store_step(ctx: &Context) -> &'static str {
    match ctx.store {
        Store::Local(_) => "keychain",
        Store::Vault(_) => "store",
    }
}

fn ms_since(started: Instant) -> Option<u64> {
    Some(started.elapsed().as_millis() as u64)
}

/// `--warn-within` in seconds, and `--fail-on-expiring`: how the expiry step judges.
pub(crate) type Watch = (u64, bool);

/// `test --explain`: one account, stored or given ad hoc.
pub(crate) async fn run(ctx: &Context, args: &TestArgs) -> CliResult<Report> {
    let watch = (args.warn_within.as_secs(), args.fail_on_expiring);
    if let Some(id) = &args.connector {
        let connector = ctx.catalog.get(id)?;
        return Ok(
            match input::gather(connector, &args.credentials.flags(), ctx.interactive) {
                Err(e) => {
                    let mut d = Diagnosis::new(ctx, connector, watch, String::new());
                    let detail = e.to_string();
                    let failure = Failure::from(Cause::from(e));
                    d.fail(Step::Input, None, detail, &failure);
                    d.report()
                }
                Ok(given) => ad_hoc(ctx, connector, given, watch).await,
            },
        );
    }
    let [name] = args.names.as_slice() else {
        return Err(CliError::usage(
            "--explain diagnoses one account: name it, or use --connector ID",
        ));
    };
    refuse_credential_flags(&args.credentials.flags())?;
    stored_account(ctx, &AccountName::parse(name)?, watch).await
}

/// Credentials given ad hoc, for `connector`.
pub(crate) async fn ad_hoc(
    ctx: &Context,
    connector: &Connector,
    given: Given,
    watch: Watch,
) -> Report {
    let mut d = Diagnosis::new(ctx, connector, watch, String::new());
    from_input(&mut d, prepare(connector, given), Instant::now(), None).await;
    d.report()
}

/// A stored account, read from the store as `test` reads it.
pub(crate) async fn stored_account(
    ctx: &Context,
    name: &AccountName,
    watch: Watch,
) -> CliResult<Report> {
    let started = Instant::now();
    let account = match ctx.store.linked(name).await {
        Ok(account) => account,
        // The record could not be read at all (a team store sealed, unreachable or denying):
        // that is the store step failing, as `test` fails there.
        Err(e) if !matches!(e, StoreError::NotLinked(_) | StoreError::Name(_)) => {
            let err = CliError::from(e);
            let line = Line {
                step: store_step(ctx),
                status: StepStatus::Failed,
                duration_ms: ms_since(started),
                detail: err.message,
                hint: err.hint,
            };
            return Ok(Report {
                name: name.to_string(),
                connector: None,
                lines: vec![line],
                class: err.class,
                next: None,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let connector = ctx.catalog.get(&account.connector)?;
    let mut d = Diagnosis::new(ctx, connector, watch, name.to_string());
    let started = Instant::now();
    match stored(ctx, account, true).await {
        Err((_, failure)) => {
            let detail = failure.description.clone().unwrap_or_default();
            d.fail(Step::Keychain, ms_since(started), detail, &failure);
        }
        Ok(s) => {
            let detail = format!("secret found in {}", ctx.store.describe());
            d.push(Step::Keychain, StepStatus::Ok, ms_since(started), detail);
            let started = Instant::now();
            from_input(
                &mut d,
                prepare(connector, s.given),
                started,
                Some(&s.account),
            )
            .await;
            ctx.store.release(s.lease).await;
        }
    }
    Ok(d.report())
}

/// The input step, then the check and the network steps. A refresh token the provider
/// rotated is stored for a stored `account`, as `test` does.
async fn from_input(
    d: &mut Diagnosis<'_>,
    prepared: Result<Prepared, Failure>,
    started: Instant,
    account: Option<&Account>,
) {
    let prepared = match prepared {
        Err(f) => {
            let detail = f.description.clone().unwrap_or_default();
            return d.fail(Step::Input, ms_since(started), detail, &f);
        }
        Ok(p) => p,
    };
    let summary = describe_input(d.connector, &prepared.creds);
    d.push(Step::Input, StepStatus::Ok, ms_since(started), summary);
    for note in &prepared.notes {
        let hint = note
            .hint
            .and_then(|key| d.ctx.catalog.hint(Some(d.connector), key))
            .map(|text| fill(&text, Some(d.connector), &d.account));
        d.push(Step::Input, StepStatus::Warning, None, note.text.clone());
        if let Some(line) = d.lines.last_mut() {
            line.hint = hint;
        }
    }
    if d.connector.uses_client_certificate() {
        client_certificate_step(d, &prepared.creds);
    }
    assertion_step(d, &prepared.creds);
    let url = match provider::main_url(d.connector, &prepared.creds) {
        Ok(url) => url,
        Err(e) => {
            let f = Failure::local(
                FailureKind::Input(crate::base::outcome::InputFault::Unusable),
                e.to_string(),
            );
            return d.fail(Step::Input, None, e.to_string(), &f);
        }
    };
    // The first hop: the proxy where one is used, else the provider.
    let mut target = Target {
        host: url
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_owned(),
        port: url.port_or_known_default().unwrap_or(443),
    };
    if let Some(proxy) = proxy_for(&url) {
        d.push(
            Step::Proxy,
            StepStatus::Ok,
            None,
            format!(
                "requests to {} go through the proxy {}",
                target.host, proxy.shown
            ),
        );
        target = proxy.target;
    }
    let outcome = provider::check(
        &d.ctx.http,
        d.connector,
        &prepared.creds,
        d.ctx.check_permissions,
    )
    .await;
    let kept = match account {
        Some(account) => keep_rotated(d.ctx, account, d.connector, &prepared.creds, &outcome)
            .await
            .map(|_| true),
        None => Ok(false),
    };
    if let Some(t) = &outcome.second_try {
        let detail = format!(
            "first try: the {} `{}`: {}; trying again with `{}`",
            t.label,
            shown_value(&t.typed),
            crate::base::text::clean(&t.first_cause),
            shown_value(&t.tried)
        );
        d.push(
            Step::Auth,
            StepStatus::Warning,
            Some(t.first_latency_ms),
            detail,
        );
    }
    network_steps(d, &url, &target, &outcome).await;
    if let Some(note) = second_try_note(&d.connector.name, &outcome, false) {
        d.push(Step::Auth, StepStatus::Warning, None, note);
    }
    if outcome.is_valid() {
        expiry_step(d, account, &prepared.creds, &outcome);
    }
    match kept {
        Err(f) => {
            let detail = f.description.clone().unwrap_or_default();
            d.fail(Step::Keychain, None, detail, &f);
        }
        Ok(stored) => {
            if let Some(note) = rotation_note(&outcome, stored) {
                let status = if stored {
                    StepStatus::Ok
                } else {
                    StepStatus::Warning
                };
                d.push(Step::Keychain, status, None, note.to_owned());
            }
        }
    }
}

/// When a valid credential expires, where anything says, by the one computation `test` uses: a warning within
/// `--warn-within` or after it, a failure within it with `--fail-on-expiring`.
fn expiry_step(d: &mut Diagnosis<'_>, account: Option<&Account>, creds: &Credentials, o: &Outcome) {
    let now = keys::now();
    let learned = Learned::of(d.connector, creds, o);
    // Nothing says when it expires: no step to show.
    let Some(e) = expiry::compute(account, Some(d.connector), &learned, now) else {
        return;
    };
    let (window, fail) = d.watch;
    let health = expiry::health(Some(e), true, now, window);
    let detail = expiry::warning(e, health, now).unwrap_or_else(|| {
        let date = &expiry::rfc3339(e.at)[..10];
        let when = expiry::relative(e.at, now);
        format!("expires on {date} ({when}), by {}", e.basis.describe())
    });
    let status = match health {
        Health::Fine => StepStatus::Ok,
        Health::Expiring if fail => StepStatus::Failed,
        _ => StepStatus::Warning,
    };
    if status == StepStatus::Failed {
        d.class = Class::Expiring;
    }
    d.push(Step::Expiry, status, None, detail);
}

/// Mutual TLS: whose certificate it is and when it expires (a warning within 30 days or
/// after); the handshake itself shows at the `tls` step.
fn client_certificate_step(d: &mut Diagnosis<'_>, creds: &Credentials) {
    let pem = creds.value(d.connector, FieldRole::ClientCertificate);
    let now = keys::now();
    match keys::certificate_info(pem) {
        Ok(info) => {
            let status = if info.needs_attention(now) {
                StepStatus::Warning
            } else {
                StepStatus::Ok
            };
            d.push(Step::ClientCertificate, status, None, info.describe(now));
        }
        Err(why) => {
            let detail = format!("the client certificate {why}");
            d.push(Step::ClientCertificate, StepStatus::Warning, None, detail);
        }
    }
}

/// The assertion kinds: what the assertion will say (issuer, subject, audience, expiry, key
/// id), never the key or the signed assertion. One that cannot be made fails at `input`.
fn assertion_step(d: &mut Diagnosis<'_>, creds: &Credentials) {
    if let Check::OAuth(spec) = &d.connector.check
        && spec.grant.is_assertion()
        && let Ok(plan) = provider::assertion::plan(d.connector, spec, creds)
    {
        d.push(Step::Assertion, StepStatus::Ok, None, plan.describe());
    }
}

/// The values as a support person may see them: labels, a masked client ID, the secret's
/// length.
fn describe_input(connector: &Connector, creds: &Credentials) -> String {
    let mut shown = Vec::new();
    for field in &connector.fields {
        if field.secret {
            let value = creds.secrets.get(&field.id).map_or("", |s| s.expose());
            let n = value.chars().count();
            let s = if n == 1 { "" } else { "s" };
            let pem = match (field.role.is_pem(), value.starts_with('{')) {
                (true, true) => "JSON key file, ",
                (true, false) => "PEM, ",
                (false, _) => "",
            };
            shown.push(format!("{}: {pem}{n} character{s}", field.label));
            continue;
        }
        if field.role.is_pem() {
            shown.push(format!("{}: PEM", field.label));
            continue;
        }
        let value = creds.values.get(&field.id).map_or("", String::as_str);
        if value.is_empty() {
            continue;
        }
        let value = match field.role {
            FieldRole::ClientId => mask(value, 8),
            _ => crate::base::text::clean_truncated(value, 80),
        };
        shown.push(format!("{} {value}", field.label));
    }
    shown.join("; ")
}

/// Where a connection goes first.
struct Target {
    host: String,
    port: u16,
}

struct Proxy {
    target: Target,
    /// The proxy's address without its credentials.
    shown: String,
}

/// The proxy reqwest uses for this URL: the same matcher (hyper-util's, from the environment
/// and system settings), shown without its credentials.
fn proxy_for(url: &url::Url) -> Option<Proxy> {
    let uri: http::Uri = url.as_str().parse().ok()?;
    let intercept = hyper_util::client::proxy::matcher::Matcher::from_system().intercept(&uri)?;
    let proxy = intercept.uri();
    let scheme = proxy.scheme_str().unwrap_or("http");
    let host = proxy
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = proxy
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    Some(Proxy {
        shown: format!("{scheme}://{host}:{port}"),
        target: Target { host, port },
    })
}

/// DNS, connect, TLS, HTTP, the OAuth or verification step and permissions, laid out from the
/// check's outcome; the failing step is the outcome's own.
async fn network_steps(d: &mut Diagnosis<'_>, url: &url::Url, target: &Target, outcome: &Outcome) {
    let failure = outcome.failure.as_ref();
    if let Some(f) = failure.filter(|f| f.step() == Step::Input) {
        let detail = f.description.clone().unwrap_or_default();
        return d.fail(Step::Input, None, detail, f);
    }
    // DNS: the lookups of the request itself.
    let lookups = d.ctx.http.lookups();
    let addresses: Vec<SocketAddr> = match target.host.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            let detail = format!("{ip} is an IP address, nothing to look up");
            d.push(Step::Dns, StepStatus::Skipped, None, detail);
            vec![SocketAddr::new(ip, target.port)]
        }
        Err(_) => {
            let lookup = lookups
                .iter()
                .find(|l| l.host == target.host)
                .or(lookups.first());
            let Some(lookup) = lookup else {
                if let Some(f) = failure.filter(|f| f.step() == Step::Dns) {
                    let detail = f.description.clone().unwrap_or_default();
                    return d.fail(Step::Dns, None, detail, f);
                }
                let detail = "no lookup was needed".to_owned();
                d.push(Step::Dns, StepStatus::Skipped, None, detail);
                return after_dns(d, url, outcome, Vec::new()).await;
            };
            let ms = Some(lookup.duration.as_millis() as u64);
            match &lookup.result {
                Err(why) => {
                    let said = failure
                        .filter(|f| f.step() == Step::Dns)
                        .and_then(|f| f.description.clone());
                    let detail = match said {
                        Some(said) => format!("{said} ({why})"),
                        None => format!("`{}` does not resolve ({why})", lookup.host),
                    };
                    let f = failure.cloned().unwrap_or_else(|| {
                        Failure::local(FailureKind::Net(NetFault::Dns), detail.clone())
                    });
                    return d.fail(Step::Dns, ms, detail, &f);
                }
                Ok(found) => {
                    let list: Vec<String> =
                        found.iter().take(3).map(|a| a.ip().to_string()).collect();
                    let more = if found.len() > 3 {
                        format!(" (+{} more)", found.len() - 3)
                    } else {
                        String::new()
                    };
                    let detail = format!("{} → {}{more}", lookup.host, list.join(", "));
                    d.push(Step::Dns, StepStatus::Ok, ms, detail);
                    found
                        .iter()
                        .map(|a| SocketAddr::new(a.ip(), target.port))
                        .collect()
                }
            }
        }
    };
    after_dns(d, url, outcome, addresses).await;
}

/// Connect, TLS, HTTP, the OAuth or verification step, and permissions.
async fn after_dns(
    d: &mut Diagnosis<'_>,
    url: &url::Url,
    outcome: &Outcome,
    addresses: Vec<SocketAddr>,
) {
    let failure = outcome.failure.as_ref();
    let failed_at = failure.map(Failure::step);
    // Connect: every address, so one bad address among good ones shows.
    let started = Instant::now();
    let probes = probe_all(&addresses, d.ctx.http.timeout()).await;
    let ms = ms_since(started);
    if let Some(f) = failure.filter(|f| f.step() == Step::Connect) {
        let detail = match probes.is_empty() {
            true => f.description.clone().unwrap_or_default(),
            false => probes
                .iter()
                .map(|(a, r)| format!("{a}: {r}"))
                .collect::<Vec<_>>()
                .join("; "),
        };
        return d.fail(Step::Connect, ms, format!("cannot connect: {detail}"), f);
    }
    if !probes.is_empty() {
        let ok: Vec<String> = probes
            .iter()
            .filter(|(_, r)| r == "connected")
            .map(|(a, _)| a.to_string())
            .collect();
        let bad: Vec<String> = probes
            .iter()
            .filter(|(_, r)| r != "connected")
            .map(|(a, r)| format!("{a} {r}"))
            .collect();
        let (status, detail) = match (ok.is_empty(), bad.is_empty()) {
            (false, true) => (
                StepStatus::Ok,
                format!("TCP connection to {}", ok.join(", ")),
            ),
            (false, false) => (
                StepStatus::Warning,
                format!(
                    "TCP connection to {}; not to {}",
                    ok.join(", "),
                    bad.join(", ")
                ),
            ),
            (true, _) => (
                StepStatus::Warning,
                format!("no address answered this probe: {}", bad.join(", ")),
            ),
        };
        d.push(Step::Connect, status, ms, detail);
    }
    // TLS happens within the request.
    if let Some(f) = failure.filter(|f| f.step() == Step::Tls) {
        let detail = tls_cause(f.description.as_deref().unwrap_or(""));
        return d.fail(Step::Tls, None, detail, f);
    }
    if url.scheme() != "https" {
        d.push(
            Step::Tls,
            StepStatus::Skipped,
            None,
            "plain http to a loopback address".into(),
        );
    } else if outcome.answer.is_some() {
        d.push(
            Step::Tls,
            StepStatus::Ok,
            None,
            "handshake ok, certificate trusted".into(),
        );
    }
    // HTTP: the answer's shape, or why there was none.
    let http_detail = outcome.answer.as_ref().map(|a| {
        let mut detail = format!(
            "HTTP {} {}, {} bytes",
            a.status,
            a.content_type.as_deref().unwrap_or("(no content-type)"),
            a.bytes
        );
        if let Some(location) = &a.location {
            detail.push_str(&format!(", redirect to {location} (not followed)"));
        }
        detail
    });
    let http_ms = Some(outcome.latency_ms);
    if let Some(f) = failure.filter(|f| f.step() == Step::Http) {
        let detail = match &http_detail {
            Some(shape) => format!(
                "{shape}: {}",
                f.description.as_deref().unwrap_or("unusable answer")
            ),
            None => outcome.cause(),
        };
        return d.fail(Step::Http, http_ms, detail, f);
    }
    if let Some(detail) = http_detail {
        d.push(Step::Http, StepStatus::Ok, http_ms, detail);
    }
    if let Some(f) = failure.filter(|f| f.step() == Step::Auth) {
        return d.fail(Step::Auth, None, outcome.cause(), f);
    }
    let detail = match &outcome.token {
        Some(t) => format!(
            "token issued{}{}",
            t.expires_in
                .map_or_else(String::new, |e| format!(", valid {e} s")),
            t.scope
                .as_ref()
                .map_or_else(String::new, |s| format!(", scope {s}"))
        ),
        None => "the provider accepted the key".to_owned(),
    };
    d.push(Step::Auth, StepStatus::Ok, None, detail);
    match (&outcome.permission, failed_at) {
        (Some(call), Some(Step::Permissions)) => {
            let f = failure.expect("a failed step has a failure");
            let detail = format!("{}: {}", call.shown, outcome.cause());
            d.fail(Step::Permissions, Some(call.latency_ms), detail, f);
        }
        (Some(call), _) => {
            let detail = format!("{}: HTTP {}", call.shown, call.http_status.unwrap_or(0));
            d.push(
                Step::Permissions,
                StepStatus::Ok,
                Some(call.latency_ms),
                detail,
            );
        }
        (None, _) => {
            let declared = d.connector.check.permission_check().is_some();
            let detail = match outcome.token {
                Some(_) if declared => "not made (--no-permission-check)",
                Some(_) => "the connector declares no permission check",
                None => {
                    "an API key has no token to check permissions with; the verification call proved the key"
                }
            };
            d.push(Step::Permissions, StepStatus::Skipped, None, detail.into());
        }
    }
}

/// A TCP connection to each address, at once, each bounded by the timeout.
async fn probe_all(addresses: &[SocketAddr], timeout: Duration) -> Vec<(SocketAddr, String)> {
    let probes = addresses.iter().map(|&address| async move {
        let result =
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await {
                Ok(Ok(_)) => "connected".to_owned(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "no answer within the timeout (a firewall?)".to_owned(),
            };
        (address, result)
    });
    futures_util::future::join_all(probes).await
}

/// rustls and the platform verifier name certificate problems tersely; say them plainly.
fn tls_cause(raw: &str) -> String {
    let lower = raw.to_lowercase();
    let plain = if lower.contains("unknownissuer")
        || lower.contains("unknown issuer")
        || lower.contains("self-signed")
        || lower.contains("self signed")
    {
        "the server's certificate is not signed by an authority this machine trusts: a self-signed certificate, or a TLS-inspecting proxy (pass its CA with --ca-file)"
    } else if lower.contains("causedasendentity") {
        "the server presents a CA certificate as its own (a self-signed certificate made as a CA); --ca-file cannot fix that: the server needs a certificate issued for its host name"
    } else if lower.contains("badsignature") {
        "the certificate's signature does not verify against a trusted authority (a self-signed certificate?)"
    } else if lower.contains("expired") {
        "the server's certificate has expired"
    } else if lower.contains("notvalidforname") || lower.contains("not valid for") {
        "the server's certificate is for another host name"
    } else if lower.contains("revoked") {
        "the server's certificate was revoked"
    } else {
        "the TLS handshake failed"
    };
    format!("{plain} ({raw})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_causes_are_named_plainly() {
        assert!(
            tls_cause("invalid peer certificate: UnknownIssuer")
                .contains("not signed by an authority")
        );
        assert!(tls_cause("invalid peer certificate: Expired").contains("expired"));
        assert!(tls_cause("Other(OtherError(CaUsedAsEndEntity))").contains("--ca-file cannot fix"));
    }
}
