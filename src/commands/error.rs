//! The command boundary: the one place a typed error from a lower layer becomes what the user
//! sees (a message, a hint with the next step, and the class its exit code derives from).

use crate::base::outcome::{Class, Failure, FailureKind};
use crate::base::template::TemplateError;
use crate::base::text;
use crate::catalog::{CatalogError, Origin, UnknownConnector};
use crate::cli::again;
use crate::input::InputError;
use crate::store::vault::VaultError;
use crate::store::{BackendError, IndexError, NameError, SpecError, StoreError};
use crate::terminal::ui;

/// An error the user can act on. Messages never contain a secret: they are built from field
/// labels and non-secret values.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) class: Class,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

pub(crate) type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub(crate) fn new(class: Class, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Class::Usage, message)
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `{"code", "kind", "message", "hint"}`, the error object of every `--json` output.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        self.class.error_json(&self.message, self.hint.as_deref())
    }

    /// The error as `--json` prints it: `{"error": {"code", "kind", "message", "hint"}}`.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.to_json() })
    }
}

impl CliError {
    /// The error on stderr: `error: MESSAGE`, then its hint.
    pub(crate) fn print(&self) {
        let hint = self
            .hint
            .iter()
            .map(|h| format!("hint: {}", text::clean(h)));
        print_error(&self.message, &hint.collect::<Vec<_>>());
    }
}

/// The one way an error reaches stderr: `error: WHAT` (cleaned: it may quote a peer or a
/// hand-edited file), then its `cause:`, `hint:`, `next:` or `note:` lines, indented.
pub(crate) fn print_error(what: &str, lines: &[String]) {
    ui::err(&format!("error: {}", text::clean(what)));
    for line in lines {
        ui::err(&format!("  {line}"));
    }
}

/// The headless recipe, the same as the README's.
const NO_KEYCHAIN_HINT: &str = "start a Secret Service: on a desktop, log in to its session (GNOME Keyring, KWallet); on a headless Linux machine run `dbus-run-session -- bash`, then in that shell `printf %s PASSWORD | gnome-keyring-daemon --unlock --components=secrets`. credlink never stores secrets in a plain file";
const LOCKED_HINT: &str = "unlock your login keyring (log in to the desktop session, or `printf %s PASSWORD | gnome-keyring-daemon --unlock --components=secrets` on a headless machine) and try again";

/// A lower-layer error as the user meets it, decided once: what kind of failure it is (its
/// class, and so its exit code, derive from that), the message and the hint. A command that
/// ends on it shows it as a [`CliError`]; a check that meets it reports it as a [`Failure`].
pub(crate) struct Cause {
    kind: FailureKind,
    message: String,
    hint: Option<String>,
}

impl Cause {
    fn new(kind: FailureKind, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint,
        }
    }

    /// A failure of the store, with the class the same error ends a command with.
    fn store(class: Class, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(FailureKind::Store(class), message, Some(hint.into()))
    }
}

impl From<Cause> for CliError {
    fn from(c: Cause) -> Self {
        CliError {
            class: c.kind.class(),
            message: c.message,
            hint: c.hint,
        }
    }
}

impl From<Cause> for Failure {
    fn from(c: Cause) -> Self {
        let mut f = Failure::local(c.kind, c.message);
        f.hint = c.hint;
        f
    }
}

/// Every lower-layer error with a [`Cause`] ends a command as that cause.
macro_rules! ends_as_cause {
    ($($error:ty),*) => {$(
        impl From<$error> for CliError {
            fn from(e: $error) -> Self {
                Cause::from(e).into()
            }
        }
    )*};
}

ends_as_cause!(
    BackendError,
    IndexError,
    StoreError,
    VaultError,
    NameError,
    InputError,
    UnknownConnector
);

impl From<BackendError> for Cause {
    fn from(e: BackendError) -> Self {
        let hint = match &e {
            BackendError::Unreachable(_) => NO_KEYCHAIN_HINT,
            BackendError::Locked { .. } | BackendError::Timeout(_) => LOCKED_HINT,
            BackendError::BadData => "revoke the account and link it again",
            BackendError::Refused { .. } => {
                "check the keychain's own log; credlink never falls back to a plain file"
            }
        };
        Cause::store(Class::Keychain, e.to_string(), hint)
    }
}

impl From<IndexError> for Cause {
    fn from(e: IndexError) -> Self {
        let (class, hint) = match &e {
            IndexError::Newer { .. } => (
                Class::Usage,
                Some("upgrade credlink; the file was left as it is"),
            ),
            IndexError::Invalid { .. } | IndexError::Read { .. } => (
                Class::Usage,
                Some("fix the file by hand or move it away; credlink will not overwrite it"),
            ),
            IndexError::Unsafe { .. } => (Class::Usage, None),
            IndexError::Write { .. } => (
                Class::Unexpected,
                Some("check the directory's permissions and free space"),
            ),
        };
        Cause::new(
            FailureKind::Store(class),
            e.to_string(),
            hint.map(str::to_owned),
        )
    }
}

impl From<StoreError> for Cause {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::Backend(b) => b.into(),
            StoreError::Index(i) => i.into(),
            StoreError::AlreadyLinked(_) => Cause::store(
                Class::Usage,
                message,
                format!(
                    "choose another --name, or replace it: `{}`",
                    again(&["--force"])
                ),
            ),
            StoreError::NotLinked(_) => Cause::new(
                FailureKind::SecretMissing,
                message,
                Some("see `credlink list`".to_owned()),
            ),
            StoreError::Vault(v) => v.into(),
            StoreError::Name(n) => n.into(),
            StoreError::NoHistory => Cause::store(
                Class::Usage,
                message,
                "use --store vault:MOUNT/PREFIX (see the README's \"Teams and CI\")",
            ),
            StoreError::Relinked(_) => Cause::new(
                FailureKind::Conflict,
                message,
                Some(format!(
                    "see `credlink list`, then run it again: `{}`",
                    again(&[])
                )),
            ),
            StoreError::Busy(_) => Cause::new(
                FailureKind::Conflict,
                message,
                Some(format!(
                    "run it again when that run has finished (`{}`): runs take turns with an account's refresh token, because a provider that rotates it accepts each one once",
                    again(&[])
                )),
            ),
        }
    }
}

impl From<VaultError> for Cause {
    fn from(e: VaultError) -> Self {
        let message = e.to_string();
        let (class, hint) = match e {
            VaultError::Config(_) => (
                Class::Usage,
                "see the README's \"Teams and CI\" for the settings".to_owned(),
            ),
            VaultError::Unreachable { .. } => (
                Class::Keychain,
                "check BAO_ADDR (or VAULT_ADDR) and that the server runs (`bao status`); nothing was changed".to_owned(),
            ),
            VaultError::Tls { .. } => (
                Class::Keychain,
                "set BAO_CACERT (or VAULT_CACERT) to the file of the CA that signed the server's certificate".to_owned(),
            ),
            VaultError::Sealed { .. } => (
                Class::Keychain,
                "ask an operator to unseal it (`bao operator unseal`); nothing was changed".to_owned(),
            ),
            VaultError::TokenInvalid => (
                Class::Keychain,
                "log in again (`bao login`), or set a new BAO_TOKEN or AppRole secret id".to_owned(),
            ),
            VaultError::NoToken => (
                Class::Keychain,
                "set BAO_TOKEN, run `bao login`, or set BAO_ROLE_ID and BAO_SECRET_ID for AppRole".to_owned(),
            ),
            VaultError::Login { method: "JWT", .. } => (
                Class::Keychain,
                "check BAO_JWT_ROLE and the JWT: the role must trust its issuer, and its audience and claims must match what the role binds".to_owned(),
            ),
            VaultError::Login { .. } => (
                Class::Keychain,
                "check BAO_ROLE_ID and the secret id: a secret id may have expired or been used up".to_owned(),
            ),
            VaultError::Denied { capability, .. } | VaultError::DeniedWith { capability, .. } => (
                Class::Keychain,
                match capability {
                    "read" | "list" => format!(
                        "ask your Vault administrator for `{capability}` on that path (the README's \"Teams and CI\" has policies to copy)"
                    ),
                    _ => format!(
                        "ask for `{capability}` on that path, or use a read-only command (`list`, `test`)"
                    ),
                },
            ),
            VaultError::RefreshNeeds { .. } => (
                Class::Keychain,
                "ask for `create`, `read` and `update` on the account's data path and on `.locks/` beside it (the README's \"Teams and CI\" has policies to copy); `list`, `history` and cached tokens need neither".to_owned(),
            ),
            VaultError::Server { .. } => (
                Class::Keychain,
                "nothing was changed; try again, or run with -v to see the requests".to_owned(),
            ),
            VaultError::NotKv2 { .. } => (
                Class::Usage,
                "name a KV version 2 mount: --store vault:MOUNT/PREFIX".to_owned(),
            ),
            VaultError::Conflict { name, .. } => (
                Class::Conflict,
                format!("see what changed with `credlink history {name}`, then run it again: `{}`", again(&[])),
            ),
            VaultError::TooLarge(_) => (
                Class::Usage,
                "shorten the value; nothing was written".to_owned(),
            ),
            VaultError::BadRecord { name, .. } => (
                Class::Usage,
                format!("remove it with `credlink revoke {name} --local`, then link it again"),
            ),
            VaultError::StaleMirror { name, .. } => (
                Class::Keychain,
                format!(
                    "ask for `update` on the account's metadata path; then `credlink test {name}` rewrites the listing"
                ),
            ),
        };
        let kind = match class {
            Class::Conflict => FailureKind::Conflict,
            class => FailureKind::Store(class),
        };
        Cause::new(kind, message, Some(hint))
    }
}

impl From<SpecError> for CliError {
    fn from(e: SpecError) -> Self {
        CliError::usage(format!("--store: {e}"))
    }
}

impl From<NameError> for Cause {
    fn from(e: NameError) -> Self {
        Cause::store(Class::Usage, e.to_string(), "pass a plain name with --name")
    }
}

impl From<CatalogError> for CliError {
    fn from(e: CatalogError) -> Self {
        let hint = match e.origin() {
            Some(Origin::BuiltIn) => {
                "the catalog built into credlink is broken: please report this".to_owned()
            }
            Some(Origin::UserFile(path)) => format!(
                "fix the entry in {} (the file given with --connectors or CREDLINK_CONNECTORS)",
                path.display()
            ),
            _ => "check the file given with --connectors (or CREDLINK_CONNECTORS)".to_owned(),
        };
        let class = match e.origin() {
            Some(Origin::BuiltIn) => Class::Unexpected,
            _ => Class::Usage,
        };
        CliError::new(class, e.to_string()).with_hint(hint)
    }
}

impl From<UnknownConnector> for Cause {
    fn from(e: UnknownConnector) -> Self {
        let known = e.known.join(", ");
        Cause::new(
            FailureKind::UnknownConnector,
            e.to_string(),
            Some(format!("known connectors: {known}")),
        )
    }
}

impl From<InputError> for Cause {
    fn from(e: InputError) -> Self {
        Cause::new(FailureKind::Input(e.fault()), e.to_string(), e.how())
    }
}

impl From<TemplateError> for CliError {
    fn from(e: TemplateError) -> Self {
        CliError::usage(e.to_string())
    }
}

/// A failure at the top of the program that no lower layer names (a prompt that could not
/// be shown): unexpected, with the context `anyhow` carries.
impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::new(Class::Unexpected, format!("{e:#}"))
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(Class::Unexpected, e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::new(Class::Unexpected, e.to_string())
    }
}
