//! The HTTP side of the team store (its settings are `config.rs`): login (token, token file,
//! AppRole, JWT), requests with bounded retries of what is safe to repeat, and
//! typed errors. A 403 is explained by asking the server whether the token is bad or the
//! policy lacks a capability. The `-v` trace names requests, never a token or a body.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio::sync::OnceCell;
use url::Url;

use super::VaultError;
use super::config::{Auth, Config, config_error, socket_addrs};
use super::jwt::{self, JwtLogin};
use crate::base::secret::{Redactor, Secret};
use crate::net;
use crate::net::TraceSink;

/// Attempts for a request that is safe to repeat (reads, deletes, check-and-set writes) when
/// the server answers "not now" (5xx, 412): enough to ride out a raft leader election.
const BUSY_ATTEMPTS: u32 = 8;
/// Attempts when the server cannot be reached at all: a wrong address should fail soon.
const UNREACHABLE_ATTEMPTS: u32 = 3;
/// The longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// How long requests go on being retried, counted from the first attempt that failed (its own
/// time included): a leader election takes a few seconds, while a server that answers every
/// request with a slow 500 must not hold a run for minutes. A request is not retried past it,
/// nor while the server has been failing for longer than it (a streak that any other answer
/// ends), so the requests after one that gave up do not each wait again.
const RETRY_WINDOW: Duration = Duration::from_secs(10);
/// Vault answers are small; a listing of 10,000 accounts with metadata is a few MiB.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// An answer of a sealed server: nothing can be read or written until an operator unseals it.
fn sealed(reply: &Reply) -> bool {
    reply.status == 503 && reply.errors().contains("sealed")
}

/// A server's answer: its status, JSON body (`Null` when it had none) and error texts.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    errors: String,
    /// The server's `Retry-After`, capped.
    retry_after: Option<Duration>,
    /// The server's clock (`Date`), for times that machines with different clocks compare.
    pub(crate) date: Option<std::time::SystemTime>,
    /// How a request that was retried in vain gave up ("3 attempts in 10.2 s").
    gave_up: Option<String>,
}

impl Reply {
    /// The server's error texts, fit to show: without the token or any secret the request
    /// carried (a server, or something posing as one, may echo them), controls stripped.
    pub(crate) fn errors(&self) -> String {
        self.errors.clone()
    }

    /// What went wrong, for a message: the error texts, and how the retries ended.
    pub(crate) fn message(&self) -> String {
        let said = match self.errors() {
            e if e.is_empty() => "no error text".to_owned(),
            e => e,
        };
        match &self.gave_up {
            Some(how) => format!("{said} (gave up after {how})"),
            None => said,
        }
    }
}

/// What a request needs, for explaining a 403 (the capability on the ACL path) and deciding
/// whether it may be repeated.
pub(crate) struct Need {
    pub(crate) capability: &'static str,
    pub(crate) repeatable: bool,
    /// Whether a 403 is explained and returned as an error, or handed back as a reply.
    pub(crate) explain: bool,
}

impl Need {
    pub(crate) const READ: Need = Need {
        capability: "read",
        repeatable: true,
        explain: true,
    };
    pub(crate) const LIST: Need = Need {
        capability: "list",
        repeatable: true,
        explain: true,
    };
    pub(crate) const DELETE: Need = Need {
        capability: "delete",
        repeatable: true,
        explain: true,
    };
    /// A write guarded by check-and-set: a repeat of one that did land fails the check, which
    /// the caller resolves by reading back.
    pub(crate) const fn guarded(capability: &'static str) -> Need {
        Need {
            capability,
            repeatable: true,
            explain: true,
        }
    }
    pub(crate) const fn once(capability: &'static str) -> Need {
        Need {
            capability,
            repeatable: false,
            explain: true,
        }
    }
    pub(crate) const fn probe(capability: &'static str) -> Need {
        Need {
            capability,
            repeatable: true,
            explain: false,
        }
    }
}

pub(crate) struct Client {
    config: Config,
    /// Where requests go: the address, named by `BAO_TLS_SERVER_NAME` where that is set.
    base: Url,
    http: reqwest::Client,
    token: OnceCell<Secret>,
    who: OnceCell<Option<String>>,
    /// The storage index of this run's last write (`X-Vault-Index`, OpenBao): sent with every
    /// later request, so a standby that has not caught up answers 412 (retried) instead of
    /// an old state.
    index: std::sync::Mutex<Option<HeaderValue>>,
    /// When the current streak of "not now" answers and network failures began (see
    /// [`RETRY_WINDOW`]).
    failing_since: std::sync::Mutex<Option<Instant>>,
    trace: Option<Arc<TraceSink>>,
}

impl Client {
    pub(crate) fn new(config: Config, trace: Option<TraceSink>) -> Result<Self, VaultError> {
        let mut builder = net::builder(config.timeout, &config.roots)
            .danger_accept_invalid_certs(config.skip_verify);
        if let Some(identity) = config.identity.clone() {
            builder = builder.identity(identity);
        }
        let mut base = config.addr.clone();
        if let Some(name) = config.server_name.as_deref()
            && base.scheme() == "https"
        {
            // Requests name the server by `name` (for SNI and the certificate check) but go
            // to the address's host.
            builder = builder.resolve_to_addrs(name, &socket_addrs(&config.addr)?);
            base.set_host(Some(name))
                .map_err(|e| config_error(format!("BAO_TLS_SERVER_NAME: {e}")))?;
        }
        let http = builder
            .build()
            .map_err(|e| config_error(format!("cannot set up TLS for the team store: {e}")))?;
        Ok(Self {
            config,
            base,
            http,
            token: OnceCell::new(),
            who: OnceCell::new(),
            index: std::sync::Mutex::new(None),
            failing_since: std::sync::Mutex::new(None),
            trace: trace.map(Arc::new),
        })
    }

    pub(crate) fn addr(&self) -> &Url {
        &self.config.addr
    }

    pub(crate) fn namespace(&self) -> Option<&str> {
        self.config.namespace.as_deref()
    }

    pub(crate) fn skip_verify(&self) -> bool {
        self.config.skip_verify
    }

    /// The settings that send a credential over plain http to another machine (allowed).
    pub(crate) fn plain_http(&self) -> &[String] {
        &self.config.plain_http
    }

    /// The API address of `path`, which may end in a query (`?list=true`).
    fn url(&self, path: &str) -> Url {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let mut url = self.base.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/v1/{path}"));
        url.set_query(query);
        url
    }

    fn trace(&self, line: &str) {
        if let Some(sink) = &self.trace {
            sink(line);
        }
    }

    /// The token of this run: the configured one, or one from an AppRole login.
    async fn token(&self) -> Result<&Secret, VaultError> {
        self.token
            .get_or_try_init(|| async {
                match &self.config.auth {
                    Auth::Token(t) => Ok(t.clone()),
                    Auth::None => Err(VaultError::NoToken),
                    Auth::AppRole { role_id, secret_id } => {
                        self.approle_login(role_id, secret_id).await
                    }
                    Auth::Jwt(login) => self.jwt_login(login).await,
                }
            })
            .await
    }

    async fn approle_login(&self, role_id: &str, secret_id: &Secret) -> Result<Secret, VaultError> {
        let body = serde_json::json!({"role_id": role_id, "secret_id": secret_id.expose()});
        self.login("AppRole", "auth/approle/login", &body, secret_id)
            .await
    }

    async fn jwt_login(&self, login: &JwtLogin) -> Result<Secret, VaultError> {
        let trace = |line: &str| self.trace(line);
        let jwt = jwt::fetch(&login.source, &self.http, &trace).await?;
        let body = serde_json::json!({"role": login.role, "jwt": jwt.expose()});
        self.login("JWT", &login.login_path(), &body, &jwt).await
    }

    /// A login request carrying `credential`; the client token it gives.
    async fn login(
        &self,
        method: &'static str,
        path: &str,
        body: &Value,
        credential: &Secret,
    ) -> Result<Secret, VaultError> {
        let redactor = Redactor::new([credential]);
        let reply = self
            .send(
                &Method::POST,
                path,
                None,
                Some(body),
                &redactor,
                Need::once("update"),
            )
            .await?;
        let failed = |why: String| VaultError::Login { method, why };
        match reply.status {
            200 => reply.body["auth"]["client_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(Secret::new)
                .ok_or_else(|| failed("the answer holds no client token".into())),
            _ => Err(failed(match reply.errors() {
                e if e.is_empty() => format!("HTTP {}", reply.status),
                e => e,
            })),
        }
    }

    /// Who the token belongs to, for `linked_by`: its display name. `None` when the server
    /// does not say.
    pub(crate) async fn whoami(&self) -> Option<String> {
        self.who
            .get_or_init(|| async {
                let reply = self
                    .call(&Method::GET, "auth/token/lookup-self", Need::probe("read"))
                    .await
                    .ok()?;
                let name = reply.body["data"]["display_name"].as_str()?;
                Some(self.redactor().display(name, 120)).filter(|n| !n.is_empty())
            })
            .await
            .clone()
    }

    /// Removes this run's credentials from a text the server gave: the token (once there is
    /// one) and the AppRole secret id.
    pub(crate) fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::new(self.token.get());
        if let Auth::AppRole { secret_id, .. } = &self.config.auth {
            redactor.add(secret_id);
        }
        redactor
    }

    pub(crate) async fn call(
        &self,
        method: &Method,
        path: &str,
        need: Need,
    ) -> Result<Reply, VaultError> {
        self.request(method, path, None, &[], need).await
    }

    /// A request whose body may carry `secrets` (kept out of every message).
    pub(crate) async fn request(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        secrets: &[&Secret],
        need: Need,
    ) -> Result<Reply, VaultError> {
        let token = self.token().await?.clone();
        let explain = need.explain;
        let capability = need.capability;
        let mut redactor = Redactor::new(secrets.iter().copied());
        redactor.add(&token);
        let reply = self
            .send(method, path, Some(&token), body, &redactor, need)
            .await?;
        if reply.status == 403 && explain {
            return Err(self.explain_denied(capability, path, &token).await);
        }
        Ok(reply)
    }

    /// The capabilities the token has on `path`, as the server says (`sys/capabilities-self`);
    /// `None` when it does not say.
    async fn capabilities(&self, path: &str, token: &Secret) -> Option<Vec<String>> {
        self.capabilities_of(&[path], token)
            .await
            .and_then(|mut all| all.pop())
    }

    /// The capabilities the token has on each of `paths`, in one request.
    async fn capabilities_of(&self, paths: &[&str], token: &Secret) -> Option<Vec<Vec<String>>> {
        let body = serde_json::json!({ "paths": paths });
        let redactor = Redactor::new([token]);
        let caps = self
            .send(
                &Method::POST,
                "sys/capabilities-self",
                Some(token),
                Some(&body),
                &redactor,
                Need::probe("update"),
            )
            .await
            .ok()
            .filter(|r| r.status == 200)?;
        paths
            .iter()
            .map(|path| {
                let granted = caps.body[*path]
                    .as_array()
                    .or_else(|| caps.body["data"][*path].as_array())?
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                Some(granted)
            })
            .collect()
    }

    /// Fails with [`VaultError::DeniedWith`] when the server says the token lacks `capability`
    /// on `path`: asked before a step that cannot be taken back (a provider-side revocation).
    pub(crate) async fn require(
        &self,
        capability: &'static str,
        path: &str,
    ) -> Result<(), VaultError> {
        self.require_all(&[(capability, path)]).await
    }

    /// [`Client::require`] for several capabilities and paths, asked in one request; the first
    /// one missing is the error.
    pub(crate) async fn require_all(
        &self,
        needs: &[(&'static str, &str)],
    ) -> Result<(), VaultError> {
        let token = self.token().await?.clone();
        let paths: Vec<&str> = needs.iter().map(|(_, path)| *path).collect();
        let Some(all) = self.capabilities_of(&paths, &token).await else {
            return Ok(());
        };
        for ((capability, path), granted) in needs.iter().zip(all) {
            if !granted
                .iter()
                .any(|c| c == capability || c == "root" || c == "sudo")
            {
                return Err(VaultError::DeniedWith {
                    capability,
                    path: (*path).to_owned(),
                    granted: if granted.is_empty() || granted == ["deny"] {
                        "nothing".to_owned()
                    } else {
                        granted.join(", ")
                    },
                });
            }
        }
        Ok(())
    }

    /// Why a 403: a token the server does not know, or a policy without the capability.
    async fn explain_denied(
        &self,
        capability: &'static str,
        path: &str,
        token: &Secret,
    ) -> VaultError {
        let denied = || VaultError::Denied {
            capability,
            path: path.to_owned(),
        };
        let redactor = Redactor::new([token]);
        let Ok(lookup) = self
            .send(
                &Method::GET,
                "auth/token/lookup-self",
                Some(token),
                None,
                &redactor,
                Need::probe("read"),
            )
            .await
        else {
            return denied();
        };
        if lookup.status == 403 {
            return VaultError::TokenInvalid;
        }
        match self.capabilities(path, token).await {
            Some(granted) if !granted.is_empty() && !granted.iter().any(|c| c == "deny") => {
                VaultError::DeniedWith {
                    capability,
                    path: path.to_owned(),
                    granted: granted.join(", "),
                }
            }
            _ => denied(),
        }
    }

    /// Sends one request, repeating what [`Client::verdict`] allows.
    async fn send(
        &self,
        method: &Method,
        path: &str,
        token: Option<&Secret>,
        body: Option<&Value>,
        redactor: &Redactor,
        need: Need,
    ) -> Result<Reply, VaultError> {
        let url = self.url(path);
        let first = Instant::now();
        let (result, attempt, verdict) = net::repeat(
            MAX_PAUSE,
            || async {
                let started = Instant::now();
                let result = self.send_once(method, &url, token, body, redactor).await;
                (result, started)
            },
            |(result, started)| self.verdict(result, *started, first, &need),
            |pause, _| self.trace(&format!("store: trying again in {} ms", pause.as_millis())),
        )
        .await;
        let (result, _) = result;
        let gave_up = (verdict.attempts > 1).then(|| {
            let s = if attempt == 1 { "" } else { "s" };
            format!(
                "{attempt} attempt{s} in {:.1} s",
                first.elapsed().as_secs_f32()
            )
        });
        self.last(result, gave_up)
    }

    /// Whether an attempt that began at `started` may be followed by another: what is safe to
    /// repeat, after a network failure or an answer that says "try again" (412, 429, 5xx but
    /// 501), while the server has been failing for less than [`RETRY_WINDOW`].
    fn verdict(
        &self,
        result: &Result<Reply, VaultError>,
        started: Instant,
        first: Instant,
        need: &Need,
    ) -> net::Verdict {
        // 412: a standby that has not yet caught up with this run's last write (OpenBao
        // answers 429 with Retry-After instead).
        let failing = match result {
            Ok(r) => matches!(r.status, 412 | 429) || (r.status >= 500 && r.status != 501),
            Err(e) => matches!(e, VaultError::Unreachable { .. }),
        };
        let failing_since = self.note_streak(failing, started);
        let attempts = match result {
            Ok(r) if sealed(r) => 1,
            // Refused before it was processed: safe to send again, whatever it was.
            Ok(r) if r.status == 429 => BUSY_ATTEMPTS,
            _ if !need.repeatable => 1,
            Err(VaultError::Unreachable { .. }) => UNREACHABLE_ATTEMPTS,
            _ if failing => BUSY_ATTEMPTS,
            _ => 1,
        };
        net::Verdict {
            attempts,
            retry_after: result.as_ref().ok().and_then(|r| r.retry_after),
            deadline: failing_since.map(|since| since.min(first) + RETRY_WINDOW),
        }
    }

    /// The last attempt's result as the caller gets it: a sealed store named, and how a request
    /// retried in vain gave up said in its message.
    fn last(
        &self,
        result: Result<Reply, VaultError>,
        gave_up: Option<String>,
    ) -> Result<Reply, VaultError> {
        match result {
            Ok(r) if sealed(&r) => Err(VaultError::Sealed {
                addr: self.config.addr.to_string(),
            }),
            Ok(reply) => Ok(Reply { gave_up, ..reply }),
            Err(VaultError::Unreachable { addr, why }) => Err(VaultError::Unreachable {
                addr,
                why: match gave_up {
                    Some(how) => format!("{why} (gave up after {how})"),
                    None => why,
                },
            }),
            Err(e) => Err(e),
        }
    }

    /// Records whether the attempt that began at `started` found the server failing; the start
    /// of the streak of failures it belongs to, if it failed.
    fn note_streak(&self, failing: bool, started: Instant) -> Option<Instant> {
        let mut since = self
            .failing_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failing {
            Some(*since.get_or_insert(started))
        } else {
            *since = None;
            None
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        token: Option<&Secret>,
        body: Option<&Value>,
        redactor: &Redactor,
    ) -> Result<Reply, VaultError> {
        let mut req = self.http.request(method.clone(), url.clone());
        let mut shown = format!("store: {method} {url}");
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
                config_error("the Vault token holds characters a header cannot carry".into())
            })?;
            value.set_sensitive(true);
            req = req.header("X-Vault-Token", value);
            shown.push_str(" (X-Vault-Token: [redacted])");
        }
        if let Some(ns) = &self.config.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        let index = self.index.lock().map(|i| i.clone()).unwrap_or_default();
        if let Some(index) = index {
            req = req.header("X-Vault-Index", index);
        }
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default());
        }
        self.trace(&shown);
        let started = Instant::now();
        let mut response = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.network_error(&e, started, redactor)),
        };
        let status = response.status().as_u16();
        let retry_after = net::retry_after(response.headers(), MAX_PAUSE);
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if *method != Method::GET
            && let Some(index) = response.headers().get("X-Vault-Index")
            && let Ok(mut last) = self.index.lock()
        {
            *last = Some(index.clone());
        }
        let bytes = match net::read_capped(&mut response, MAX_ANSWER_BYTES).await {
            Ok(capped) if capped.complete => capped.bytes,
            Ok(_) => {
                return Err(VaultError::Server {
                    status,
                    message: format!(
                        "the answer is too large (more than {} MiB); the rest was not read",
                        MAX_ANSWER_BYTES >> 20
                    ),
                });
            }
            Err(e) => return Err(self.network_error(&e, started, redactor)),
        };
        self.trace(&format!(
            "store: ← {status} in {} ms",
            started.elapsed().as_millis()
        ));
        let body = match serde_json::from_slice(&bytes) {
            _ if bytes.is_empty() => Value::Null,
            Ok(json) => json,
            // A page from a proxy or load balancer in front of the server.
            Err(_) if (200..300).contains(&status) => {
                return Err(VaultError::Server {
                    status,
                    message:
                        "the answer is not JSON: is BAO_ADDR the server itself, not a proxy's page?"
                            .into(),
                });
            }
            // Whole, so that the redactor sees every secret whole before the text is cut.
            Err(_) => serde_json::json!({"errors": [String::from_utf8_lossy(&bytes)]}),
        };
        let texts: Vec<String> = body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|e| redactor.display(e.trim(), 200))
            .filter(|e| !e.is_empty())
            .collect();
        Ok(Reply {
            status,
            body,
            errors: texts.join("; "),
            retry_after,
            date,
            gave_up: None,
        })
    }

    fn network_error(
        &self,
        e: &reqwest::Error,
        started: Instant,
        redactor: &Redactor,
    ) -> VaultError {
        let net = crate::net::classify(e, started.elapsed(), self.config.timeout, redactor);
        let addr = self.config.addr.to_string();
        match net.fault {
            crate::base::outcome::NetFault::Tls => VaultError::Tls {
                addr,
                why: net.message,
            },
            _ => VaultError::Unreachable {
                addr,
                why: net.message,
            },
        }
    }
}
