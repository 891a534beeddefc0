//! The one outcome model. Every failure credlink can meet is a [`FailureKind`]; the exit code,
//! the JSON `status`, the catalog hint key and the `--explain` step all derive from it here,
//! each in exactly one function.

use serde::Serialize;

use crate::base::secret::Secret;

/// The longest lifetime of a token or credential credlink believes (ten years): a peer's larger
/// values are clamped to it, by the provider client and the store alike, so that no arithmetic
/// on them can overflow.
pub(crate) const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

/// What a command's result means to a shell. [`Class::exit_code`] is the only place an exit
/// code is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Ok,
    Unexpected,
    Usage,
    Rejected,
    Unreachable,
    Keychain,
    NotFound,
    /// The team store's account changed meanwhile (check-and-set); nothing was written.
    Conflict,
    /// Valid, but expiring within `test --warn-within`, and `--fail-on-expiring` asked that to
    /// fail.
    Expiring,
    /// Ctrl-C, SIGTERM or SIGHUP ended the run (see `crate::terminal::interrupt`): 130, as a shell
    /// reports an interrupted command. Not a result a command returns, so not in
    /// [`EXIT_CODES`].
    Interrupted,
    /// `exec`'s command was not found: 127, as a shell and `env` report it. Not in
    /// [`EXIT_CODES`]: only `exec` meets it, and its help says so.
    CommandNotFound,
    /// `exec`'s command was found but could not be run (not executable, a directory): 126, as
    /// a shell and `env` report it.
    CommandNotRunnable,
}

impl Class {
    /// The error object of every `--json` output: `{"code", "kind", "message", "hint"}`.
    pub(crate) fn error_json(self, message: &str, hint: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "code": self.exit_code(),
            "kind": self.as_str(),
            "message": message,
            "hint": hint,
        })
    }

    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Class::Ok => 0,
            Class::Unexpected => 1,
            Class::Usage => 2,
            Class::Rejected => 3,
            Class::Unreachable => 4,
            Class::Keychain => 5,
            Class::NotFound => 6,
            Class::Conflict => 7,
            Class::Expiring => 8,
            Class::Interrupted => 130,
            Class::CommandNotFound => 127,
            Class::CommandNotRunnable => 126,
        }
    }

    /// The `kind` of a `--json` error object.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Unexpected => "unexpected",
            Class::Usage => "usage",
            Class::Rejected => "rejected",
            Class::Unreachable => "unreachable",
            Class::Keychain => "store",
            Class::NotFound => "not_found",
            Class::Conflict => "conflict",
            Class::Expiring => "expiring",
            Class::Interrupted => "interrupted",
            Class::CommandNotFound => "command_not_found",
            Class::CommandNotRunnable => "command_not_runnable",
        }
    }

    /// Over several results: any rejection first, else the first failure, else an expiring
    /// credential, else ok.
    pub(crate) fn combine(classes: impl Iterator<Item = Class> + Clone) -> Class {
        if classes.clone().any(|c| c == Class::Rejected) {
            return Class::Rejected;
        }
        let mut rest = classes.filter(|&c| c != Class::Ok);
        let first = rest.next().unwrap_or(Class::Ok);
        match first {
            Class::Expiring => rest.find(|&c| c != Class::Expiring).unwrap_or(first),
            other => other,
        }
    }
}

/// What each exit code means: the one source of `--help`'s list and the README's table (a
/// test compares them).
pub(crate) const EXIT_CODES: [(Class, &str); 9] = [
    (Class::Ok, "ok"),
    (Class::Unexpected, "unexpected failure"),
    (
        Class::Usage,
        "usage or invalid input (bad field value, unknown flag, missing value without a terminal, invalid connectors or index file, an unsafe config dir)",
    ),
    (
        Class::Rejected,
        "credentials rejected by the provider (`invalid_client`, `unauthorized_client`, `invalid_grant`, `invalid_scope`, `invalid_request` and other RFC 6749 errors, HTTP 400/401/403, a missing permission the connector checks, a granted scope without one the check needs (`scope_not_granted`), a signed assertion the provider refused: its key, audience, subject or this machine's clock)",
    ),
    (
        Class::Unreachable,
        "provider unreachable or unusable answer (DNS, no network, connect, TLS, timeout, 404, 429, 5xx, redirect, non-JSON or malformed answer, missing or unusable `access_token`, a failed revocation)",
    ),
    (
        Class::Keychain,
        "store unavailable or access denied (OS keychain unreachable or locked; team store unreachable, sealed, TLS failure, token invalid, or a capability the policy lacks)",
    ),
    (
        Class::NotFound,
        "not found (unknown account or connector, stored secret missing)",
    ),
    (
        Class::Conflict,
        "the account changed in the team store meanwhile (check-and-set conflict: a teammate linked, replaced or removed it), or another run held its refresh token longer than this one waits; nothing was written",
    ),
    (
        Class::Expiring,
        "`test --fail-on-expiring`: a credential is valid but expires within `--warn-within` (14 days unless given)",
    ),
];

/// The exit codes as `--help` shows them.
pub(crate) fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:");
    for (class, meaning) in EXIT_CODES {
        text.push_str(&format!("\n  {}  {meaning}", class.exit_code()));
    }
    text
}

/// The per-account `status` of `test --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Valid,
    Rejected,
    Unreachable,
    InvalidInput,
    SecretMissing,
    KeychainError,
    UnknownConnector,
    Conflict,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Rejected => "rejected",
            Status::Unreachable => "unreachable",
            Status::InvalidInput => "invalid_input",
            Status::SecretMissing => "secret_missing",
            Status::KeychainError => "store_error",
            Status::UnknownConnector => "unknown_connector",
            Status::Conflict => "conflict",
        }
    }
}

/// RFC 6749 5.2 error codes (and `access_denied`, which Auth0-style servers use): the only codes
/// a provider's answer may classify itself by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OAuthCode {
    InvalidClient,
    UnauthorizedClient,
    InvalidGrant,
    InvalidScope,
    AccessDenied,
    InvalidRequest,
    UnsupportedGrantType,
}

impl OAuthCode {
    pub(crate) const ALL: [OAuthCode; 7] = [
        OAuthCode::InvalidClient,
        OAuthCode::UnauthorizedClient,
        OAuthCode::InvalidGrant,
        OAuthCode::InvalidScope,
        OAuthCode::AccessDenied,
        OAuthCode::InvalidRequest,
        OAuthCode::UnsupportedGrantType,
    ];

    pub(crate) fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.hint_key().as_str() == code)
    }

    fn hint_key(self) -> HintKey {
        match self {
            OAuthCode::InvalidClient => HintKey::InvalidClient,
            OAuthCode::UnauthorizedClient => HintKey::UnauthorizedClient,
            OAuthCode::InvalidGrant => HintKey::InvalidGrant,
            OAuthCode::InvalidScope => HintKey::InvalidScope,
            OAuthCode::AccessDenied => HintKey::AccessDenied,
            OAuthCode::InvalidRequest => HintKey::InvalidRequest,
            OAuthCode::UnsupportedGrantType => HintKey::UnsupportedGrantType,
        }
    }
}

/// Why a value given for a field cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputFault {
    /// Whitespace inside, or an invisible character anywhere (a copy-paste).
    Invisible,
    /// Does not match the field's pattern.
    WrongShape,
    /// Empty, too long, or otherwise unusable.
    Unusable,
}

/// Network failures, told apart by the HTTP client's typed errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetFault {
    /// The account's host does not resolve, though the provider's own domain does: usually a
    /// wrong subdomain.
    Dns,
    /// Neither the host nor the provider's own domain resolves: no network, or DNS blocked.
    Offline,
    Connect,
    Tls,
    Timeout,
    /// The server answered, but not with HTTP credlink can read (oversized or malformed).
    MalformedAnswer,
    /// A request credlink built could not be sent (e.g. a header value from the catalog).
    BadRequest,
}

/// Why a provider refused a signed assertion (RFC 7523), read from its words and its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssertionFault {
    /// Not yet valid or expired by the provider's clock: this machine's clock is off.
    ClockSkew,
    /// The `aud` is not the one the provider expects.
    Audience,
    /// The signature does not verify: a key the provider does not know for this issuer.
    Signature,
    /// The subject may not be acted as (Google: no domain-wide delegation; consent missing).
    Subject,
}

/// Every way a check can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    Input(InputFault),
    SecretMissing,
    /// The store failed: the class is the one the same error ends a command with
    /// ([`crate::commands::store_failure`]), so each cause has one exit code in every command.
    Store(Class),
    UnknownConnector,
    Net(NetFault),
    Redirect,
    HttpNotFound,
    HttpTimeout,
    RateLimited,
    ServerError,
    NonJson,
    NoAccessToken,
    /// A token credlink must not use: not printable ASCII, or of a type it does not know.
    UnusableToken,
    OAuth(OAuthCode),
    /// A rejected assertion whose cause is known.
    Assertion(AssertionFault),
    Http400,
    Http401,
    Http403,
    SuccessFalse,
    PermissionDenied,
    /// The token's granted `scope` lacks one the check needs (the connector's `check_scope`).
    ScopeNotGranted,
    /// Another run held the account's refresh token for longer than this one waits, or the
    /// account was linked anew during the check.
    Conflict,
}

impl FailureKind {
    pub(crate) fn class(self) -> Class {
        use FailureKind::*;
        match self {
            Input(_) => Class::Usage,
            SecretMissing | UnknownConnector => Class::NotFound,
            Store(class) => class,
            Conflict => Class::Conflict,
            Net(_) | Redirect | HttpNotFound | HttpTimeout | RateLimited | ServerError
            | NonJson | NoAccessToken | UnusableToken => Class::Unreachable,
            OAuth(_) | Assertion(_) | Http400 | Http401 | Http403 | SuccessFalse
            | PermissionDenied | ScopeNotGranted => Class::Rejected,
        }
    }

    pub(crate) fn status(self) -> Status {
        match self {
            FailureKind::Input(_) => Status::InvalidInput,
            FailureKind::SecretMissing => Status::SecretMissing,
            FailureKind::Store(_) => Status::KeychainError,
            FailureKind::UnknownConnector => Status::UnknownConnector,
            FailureKind::Conflict => Status::Conflict,
            other => match other.class() {
                Class::Rejected => Status::Rejected,
                _ => Status::Unreachable,
            },
        }
    }

    pub(crate) fn hint_key(self) -> Option<HintKey> {
        use FailureKind::*;
        Some(match self {
            Input(InputFault::Invisible) => HintKey::InvisibleCharacters,
            Input(InputFault::WrongShape) => HintKey::WrongShape,
            Input(InputFault::Unusable) | Store(_) | UnknownConnector | Conflict => return None,
            SecretMissing => HintKey::SecretMissing,
            Net(NetFault::Dns) => HintKey::Dns,
            Net(NetFault::Offline) => HintKey::Offline,
            Net(NetFault::Connect) => HintKey::Connect,
            Net(NetFault::Tls) => HintKey::Tls,
            Net(NetFault::Timeout) | HttpTimeout => HintKey::Timeout,
            Net(NetFault::MalformedAnswer) => HintKey::MalformedAnswer,
            Net(NetFault::BadRequest) => return None,
            Redirect => HintKey::Redirect,
            HttpNotFound => HintKey::Http404,
            RateLimited => HintKey::Http429,
            ServerError => HintKey::Http5xx,
            NonJson => HintKey::NonJson,
            NoAccessToken => HintKey::NoAccessToken,
            UnusableToken => HintKey::UnusableToken,
            OAuth(code) => code.hint_key(),
            Assertion(AssertionFault::ClockSkew) => HintKey::AssertionClockSkew,
            Assertion(AssertionFault::Audience) => HintKey::AssertionAudience,
            Assertion(AssertionFault::Signature) => HintKey::AssertionSignature,
            Assertion(AssertionFault::Subject) => HintKey::AssertionSubject,
            Http400 => HintKey::Http400,
            Http401 => HintKey::Http401,
            Http403 => HintKey::Http403,
            SuccessFalse => HintKey::SuccessFalse,
            PermissionDenied => HintKey::PermissionDenied,
            ScopeNotGranted => HintKey::ScopeNotGranted,
        })
    }

    /// The `--explain` step at which a failure of the main call shows.
    pub(crate) fn step(self) -> Step {
        use FailureKind::*;
        match self {
            Input(_) => Step::Input,
            SecretMissing | Store(_) | UnknownConnector | Conflict => Step::Keychain,
            Net(NetFault::Dns | NetFault::Offline) => Step::Dns,
            Net(NetFault::Connect) => Step::Connect,
            Net(NetFault::Tls) => Step::Tls,
            Net(_) | Redirect | HttpNotFound | HttpTimeout | RateLimited | ServerError => {
                Step::Http
            }
            NonJson | NoAccessToken | UnusableToken | OAuth(_) | Assertion(_) | Http400
            | Http401 | Http403 | SuccessFalse | ScopeNotGranted => Step::Auth,
            PermissionDenied => Step::Permissions,
        }
    }

    /// Classifies an HTTP status that is not 2xx, before the body is read.
    pub(crate) fn of_status(status: u16) -> Self {
        match status {
            300..=399 => FailureKind::Redirect,
            404 | 405 | 410 => FailureKind::HttpNotFound,
            408 => FailureKind::HttpTimeout,
            429 => FailureKind::RateLimited,
            401 => FailureKind::Http401,
            403 => FailureKind::Http403,
            500.. => FailureKind::ServerError,
            _ => FailureKind::Http400,
        }
    }
}

/// The steps of `--explain`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    Keychain,
    Input,
    /// The client certificate of mutual TLS (`tls_client_auth`): whose it is, when it expires.
    ClientCertificate,
    /// The signed assertion of `oauth2_jwt_bearer`: issuer, subject, audience, expiry, key id.
    Assertion,
    Proxy,
    Dns,
    Connect,
    Tls,
    Http,
    /// The token request (`oauth`), the API key's verification call (`verify`) or the
    /// sign-in call (`exchange`).
    Auth,
    Permissions,
    /// When the credential expires, and what says so.
    Expiry,
}

/// Keys a hint may be given for in `connectors.toml` (`[hints]` and per connector).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HintKey {
    InvalidClient,
    UnauthorizedClient,
    InvalidGrant,
    InvalidScope,
    AccessDenied,
    InvalidRequest,
    UnsupportedGrantType,
    AssertionClockSkew,
    AssertionAudience,
    AssertionSignature,
    AssertionSubject,
    Http400,
    Http401,
    Http403,
    Http404,
    Http429,
    Http5xx,
    Redirect,
    Timeout,
    Connect,
    Dns,
    Offline,
    Tls,
    MalformedAnswer,
    NonJson,
    NoAccessToken,
    UnusableToken,
    SuccessFalse,
    SecretMissing,
    InvisibleCharacters,
    WrongShape,
    PermissionDenied,
    ScopeNotGranted,
}

impl HintKey {
    pub(crate) const ALL: [HintKey; 33] = [
        HintKey::InvalidClient,
        HintKey::UnauthorizedClient,
        HintKey::InvalidGrant,
        HintKey::InvalidScope,
        HintKey::AccessDenied,
        HintKey::InvalidRequest,
        HintKey::UnsupportedGrantType,
        HintKey::AssertionClockSkew,
        HintKey::AssertionAudience,
        HintKey::AssertionSignature,
        HintKey::AssertionSubject,
        HintKey::Http400,
        HintKey::Http401,
        HintKey::Http403,
        HintKey::Http404,
        HintKey::Http429,
        HintKey::Http5xx,
        HintKey::Redirect,
        HintKey::Timeout,
        HintKey::Connect,
        HintKey::Dns,
        HintKey::Offline,
        HintKey::Tls,
        HintKey::MalformedAnswer,
        HintKey::NonJson,
        HintKey::NoAccessToken,
        HintKey::UnusableToken,
        HintKey::SuccessFalse,
        HintKey::SecretMissing,
        HintKey::InvisibleCharacters,
        HintKey::WrongShape,
        HintKey::PermissionDenied,
        HintKey::ScopeNotGranted,
    ];

    /// The key as written in `connectors.toml`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HintKey::InvalidClient => "invalid_client",
            HintKey::UnauthorizedClient => "unauthorized_client",
            HintKey::InvalidGrant => "invalid_grant",
            HintKey::InvalidScope => "invalid_scope",
            HintKey::AccessDenied => "access_denied",
            HintKey::InvalidRequest => "invalid_request",
            HintKey::UnsupportedGrantType => "unsupported_grant_type",
            HintKey::AssertionClockSkew => "assertion_clock_skew",
            HintKey::AssertionAudience => "assertion_audience",
            HintKey::AssertionSignature => "assertion_signature",
            HintKey::AssertionSubject => "assertion_subject",
            HintKey::Http400 => "http_400",
            HintKey::Http401 => "http_401",
            HintKey::Http403 => "http_403",
            HintKey::Http404 => "http_404",
            HintKey::Http429 => "http_429",
            HintKey::Http5xx => "http_5xx",
            HintKey::Redirect => "redirect",
            HintKey::Timeout => "timeout",
            HintKey::Connect => "connect",
            HintKey::Dns => "dns",
            HintKey::Offline => "offline",
            HintKey::Tls => "tls",
            HintKey::MalformedAnswer => "malformed_answer",
            HintKey::NonJson => "non_json",
            HintKey::NoAccessToken => "no_access_token",
            HintKey::UnusableToken => "unusable_token",
            HintKey::SuccessFalse => "success_false",
            HintKey::SecretMissing => "secret_missing",
            HintKey::InvisibleCharacters => "invisible_characters",
            HintKey::WrongShape => "wrong_shape",
            HintKey::PermissionDenied => "permission_denied",
            HintKey::ScopeNotGranted => "scope_not_granted",
        }
    }

    pub(crate) fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

/// Which call of a check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Before anything was sent: the keychain, the connector, the input.
    Local,
    /// The token request or verification call.
    Main,
    /// The connector's read-only permission call with the new token.
    Permissions,
}

/// Why a check failed: the kind decides everything; the rest is the provider's own words
/// (cleaned, secrets removed) for people to read.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) stage: Stage,
    /// The provider's error code, or credlink's code for a network failure.
    pub(crate) code: Option<String>,
    pub(crate) description: Option<String>,
    /// A hint that is not the catalog's (e.g. how to unlock the keychain). Catalog hints are
    /// looked up by [`FailureKind::hint_key`] where the result is shown.
    pub(crate) hint: Option<String>,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, stage: Stage) -> Self {
        Self {
            kind,
            stage,
            code: None,
            description: None,
            hint: None,
        }
    }

    pub(crate) fn local(kind: FailureKind, description: impl Into<String>) -> Self {
        let mut f = Self::new(kind, Stage::Local);
        f.description = Some(description.into());
        f
    }

    pub(crate) fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The `--explain` step this failure shows at.
    pub(crate) fn step(&self) -> Step {
        match self.stage {
            Stage::Permissions => Step::Permissions,
            _ => self.kind.step(),
        }
    }

    /// The `error` code shown: the provider's, else credlink's own for a network failure.
    pub(crate) fn shown_code(&self) -> Option<String> {
        self.code.clone().or_else(|| match self.kind {
            FailureKind::Net(_) => self.kind.hint_key().map(|k| k.as_str().to_owned()),
            _ => None,
        })
    }
}

/// The shape of an HTTP answer, without its content, for `--explain`.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: usize,
    pub(crate) location: Option<String>,
}

/// A token the provider issued.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) access_token: Secret,
    pub(crate) expires_in: Option<u64>,
    /// The refresh token's lifetime in seconds, where the answer gives one.
    pub(crate) refresh_expires_in: Option<u64>,
    pub(crate) scope: Option<String>,
    /// The refresh token of the answer, where it carries one.
    pub(crate) refresh_token: Option<Secret>,
}

/// The permission call made with a new token, as shown by `--explain`.
#[derive(Debug, Clone)]
pub(crate) struct PermissionCall {
    pub(crate) shown: String,
    pub(crate) http_status: Option<u16>,
    pub(crate) latency_ms: u64,
}

/// A second try with another form of a field's value (the catalog's `prefix_retry`), made
/// after the provider refused the first as an unknown client. The outcome is the second's.
#[derive(Debug, Clone)]
pub(crate) struct SecondTry {
    pub(crate) field: String,
    pub(crate) label: String,
    /// The value as given, refused.
    pub(crate) typed: String,
    /// The value of the second try, with the prefix.
    pub(crate) tried: String,
    /// Why the first try failed, as [`Outcome::cause`] puts it.
    pub(crate) first_cause: String,
    pub(crate) first_latency_ms: u64,
}

/// The result of one live check (or of what stopped it before it was sent).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) failure: Option<Failure>,
    pub(crate) http_status: Option<u16>,
    pub(crate) latency_ms: u64,
    pub(crate) token: Option<Token>,
    pub(crate) answer: Option<Answer>,
    pub(crate) permission: Option<PermissionCall>,
    /// A refresh token that replaces the one sent (rotation): the old one no longer works, so
    /// it must be stored before the result is reported.
    pub(crate) rotated: Option<Secret>,
    /// The second try, where one was made.
    pub(crate) second_try: Option<SecondTry>,
    /// When the credential expires (Unix seconds), where the verification call's answer says.
    pub(crate) expires_at: Option<i64>,
}

impl Outcome {
    pub(crate) fn valid(http_status: u16, latency_ms: u64) -> Self {
        Self {
            failure: None,
            http_status: Some(http_status),
            latency_ms,
            token: None,
            answer: None,
            permission: None,
            rotated: None,
            second_try: None,
            expires_at: None,
        }
    }

    pub(crate) fn failed(failure: Failure, http_status: Option<u16>, latency_ms: u64) -> Self {
        Self {
            failure: Some(failure),
            http_status,
            latency_ms,
            token: None,
            answer: None,
            permission: None,
            rotated: None,
            second_try: None,
            expires_at: None,
        }
    }

    /// A failure before anything was sent.
    pub(crate) fn local(failure: Failure) -> Self {
        Self::failed(failure, None, 0)
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.failure.is_none()
    }

    pub(crate) fn status(&self) -> Status {
        self.failure
            .as_ref()
            .map_or(Status::Valid, |f| f.kind.status())
    }

    pub(crate) fn class(&self) -> Class {
        self.failure.as_ref().map_or(Class::Ok, |f| f.kind.class())
    }

    /// One line for a terminal: "HTTP 401 invalid_client: client authentication failed".
    pub(crate) fn cause(&self) -> String {
        let Some(f) = &self.failure else {
            return String::new();
        };
        let mut parts = Vec::new();
        if let Some(s) = self.http_status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(e) = f.shown_code() {
            parts.push(e);
        }
        let head = parts.join(" ");
        match (&f.description, head.is_empty()) {
            (Some(d), true) => d.clone(),
            (Some(d), false) => format!("{head}: {d}"),
            (None, _) => head,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_help_lists_every_class_once_in_order() {
        let codes: Vec<u8> = EXIT_CODES.iter().map(|(c, _)| c.exit_code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(exit_codes_help().contains("\n  5  store unavailable"));
    }

    #[test]
    fn combine_prefers_rejections_then_the_first_failure() {
        use Class::*;
        let c = |v: &[Class]| Class::combine(v.iter().copied());
        assert_eq!(c(&[Ok, Ok]), Ok);
        assert_eq!(c(&[Unreachable, Rejected]), Rejected);
        assert_eq!(c(&[Ok, NotFound, Unreachable]), NotFound);
        assert_eq!(c(&[Keychain, Unreachable]), Keychain);
        assert_eq!(c(&[Expiring, Ok]), Expiring);
        assert_eq!(c(&[Expiring, Unreachable, NotFound]), Unreachable);
    }

    #[test]
    fn hint_keys_and_oauth_codes_round_trip() {
        for key in HintKey::ALL {
            assert_eq!(HintKey::parse(key.as_str()), Some(key));
        }
        for code in OAuthCode::ALL {
            assert_eq!(OAuthCode::parse(code.hint_key().as_str()), Some(code));
        }
        assert_eq!(OAuthCode::parse("dns"), None);
    }
}
