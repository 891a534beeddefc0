//! What a connector asks for: gathered from flags, environment, stdin or a prompt (in that
//! order), then put through [`prepare`], the one normalisation every command and `--explain`
//! use: surrounding whitespace trimmed, a pasted sign-in URL turned into its value, every value
//! checked against the catalog, and a problem named precisely.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use crate::base::outcome::{HintKey, InputFault};
use crate::base::secret::Secret;
use crate::base::text;
use crate::catalog::{Connector, Field, FieldRole};
use crate::provider::Credentials;
use crate::terminal::ui;

/// The values given on the command line for a check: where each credential comes from when
/// it is not prompted for (a secret never comes from a flag's value, only from stdin, the
/// environment or a file).
#[derive(Debug, Default, Clone)]
pub(crate) struct Flags {
    pub(crate) subdomain: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret_stdin: bool,
    pub(crate) api_key_stdin: bool,
    /// The secret field read from stdin (`--secret-stdin FIELD`).
    pub(crate) secret_stdin: Option<String>,
    /// `KEY=VALUE` pairs (`--field`).
    pub(crate) fields: Vec<String>,
    /// `KEY=PATH` pairs (`--field-file`).
    pub(crate) field_files: Vec<String>,
    pub(crate) scope: Option<String>,
}

/// No credential or field value is longer than this; longer input is a mistake or an attack.
pub(crate) const MAX_VALUE_LEN: usize = 4096;
/// A PEM key or certificate may be longer (an RSA 4096 key is about 3,300 characters, a
/// certificate chain more).
pub(crate) const MAX_PEM_LEN: usize = 16 * 1024;

/// The environment variable of a secret field without a flag of its own:
/// `CREDLINK_SECRET_REFRESH_TOKEN`.
pub(crate) fn env_for_secret(id: &str) -> String {
    format!("CREDLINK_SECRET_{}", id.to_ascii_uppercase())
}

pub(crate) const ENV_CLIENT_ID: &str = "CREDLINK_CLIENT_ID";
pub(crate) const ENV_CLIENT_SECRET: &str = "CREDLINK_CLIENT_SECRET";
pub(crate) const ENV_API_KEY: &str = "CREDLINK_API_KEY";

/// Why the values could not be gathered or used. Messages never repeat a secret.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// A value that cannot be used, with the field's label and how to give it.
    #[error("{}", field_message(label, reason, *fault))]
    Field {
        label: String,
        reason: String,
        fault: InputFault,
        /// The field's own help, for a value that is merely unusable.
        help: Option<String>,
        flag: String,
    },
    #[error("missing {label}: pass {flag}")]
    Missing { label: String, flag: String },
    #[error("{message}")]
    Flag {
        message: String,
        hint: Option<String>,
    },
    #[error("cannot read the {label} from stdin: {why}")]
    Stdin { label: String, why: String },
    #[error("the prompt failed: {0}")]
    Prompt(String),
}

fn field_message(label: &str, reason: &str, fault: InputFault) -> String {
    match fault {
        InputFault::Invisible => format!("the {label} {reason}"),
        _ => format!("{label}: {reason}"),
    }
}

impl InputError {
    /// How to give the value again: the field's help too when the value is merely unusable
    /// (the catalog's hint explains the other faults).
    pub(crate) fn how(&self) -> Option<String> {
        match self {
            InputError::Field {
                help: Some(help),
                flag,
                fault: InputFault::Unusable,
                ..
            } => Some(format!("{help}; pass it with {flag}")),
            InputError::Field { flag, .. } => Some(format!("pass it with {flag}")),
            InputError::Missing { .. } => {
                Some("no terminal to prompt on (or --no-input was given)".to_owned())
            }
            InputError::Flag { hint, .. } => hint.clone(),
            InputError::Stdin { .. } | InputError::Prompt(_) => None,
        }
    }

    pub(crate) fn fault(&self) -> InputFault {
        match self {
            InputError::Field { fault, .. } => *fault,
            _ => InputFault::Unusable,
        }
    }
}

/// A value as given, before [`prepare`].
#[derive(Clone)]
pub(crate) struct Given {
    pub(crate) values: BTreeMap<String, String>,
    /// The secret fields' values, by field id.
    pub(crate) secrets: BTreeMap<String, Secret>,
    pub(crate) scope: Option<String>,
}

/// Something [`prepare`] changed and says so: `link` and `test` print it as a note, `--explain`
/// as a warning step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub(crate) text: String,
    /// What the catalog says about it, for `--explain`.
    pub(crate) hint: Option<HintKey>,
}

impl Note {
    fn new(text: String) -> Self {
        Self { text, hint: None }
    }
}

/// Credentials ready to send, with what was changed on the way.
pub(crate) struct Prepared {
    pub(crate) creds: Credentials,
    pub(crate) notes: Vec<Note>,
}

/// How a field is given without a prompt, for messages: `--subdomain`, `--field region=VALUE`.
pub(crate) fn flag_for(field: &Field) -> String {
    match field.role {
        FieldRole::Subdomain => "--subdomain".into(),
        FieldRole::ClientId => format!("--client-id (or {ENV_CLIENT_ID})"),
        FieldRole::ClientSecret => format!("--client-secret-stdin (or {ENV_CLIENT_SECRET})"),
        FieldRole::ApiKey => format!("--api-key-stdin (or {ENV_API_KEY})"),
        role if role.is_pem() && field.secret => {
            format!(
                "--field-file {id}=PATH (or --secret-stdin {id})",
                id = field.id
            )
        }
        role if role.is_pem() => format!("--field-file {}=PATH", field.id),
        _ if field.secret => format!(
            "--secret-stdin {} (or {})",
            field.id,
            env_for_secret(&field.id)
        ),
        _ => format!("--field {}=VALUE", field.id),
    }
}

/// The one normalisation of given values: the same for `link`, `test`, `token` and
/// `--explain`, for typed and for stored values.
pub(crate) fn prepare(connector: &Connector, given: Given) -> Result<Prepared, InputError> {
    let mut notes = Vec::new();
    let mut values = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for field in &connector.fields {
        // The sign-in of `link` has not given it yet.
        if field.obtained && !given.secrets.contains_key(&field.id) {
            continue;
        }
        if field.secret {
            let raw = given.secrets.get(&field.id).map_or("", Secret::expose);
            let (value, note) = prepare_value(field, raw)?;
            notes.extend(note);
            secrets.insert(field.id.clone(), Secret::new(value));
            continue;
        }
        let raw = given.values.get(&field.id).map_or("", String::as_str);
        let (value, note) = prepare_value(field, raw)?;
        notes.extend(note);
        values.insert(field.id.clone(), value);
    }
    notes.extend(issuer_from_key_file(connector, &mut values, &secrets)?);
    Ok(Prepared {
        creds: Credentials {
            values,
            secrets,
            scope: given.scope.filter(|s| !s.trim().is_empty()),
        },
        notes,
    })
}

/// A service account's key file names the issuer (`client_email`): it fills an empty client ID
/// field, and one that differs is said (the one given is sent: the provider's answer decides).
fn issuer_from_key_file(
    connector: &Connector,
    values: &mut BTreeMap<String, String>,
    secrets: &BTreeMap<String, Secret>,
) -> Result<Option<Note>, InputError> {
    let Some(field) = connector.field_by_role(FieldRole::ClientId) else {
        return Ok(None);
    };
    let key = FieldRole::PrivateKey.id().and_then(|id| secrets.get(id));
    let Some(email) = key
        .and_then(|k| crate::provider::keys::read_private_key(k.expose()).ok())
        .and_then(|k| k.client_email)
    else {
        return Ok(None);
    };
    let given = values.entry(field.id.clone()).or_default();
    if given.is_empty() {
        // Checked as if typed into the field.
        *given = prepare_value(field, &email)?.0;
        return Ok(Some(Note::new(format!(
            "took the {} `{given}` from the key file's client_email",
            field.label
        ))));
    }
    Ok((*given != email).then(|| {
        Note::new(format!(
            "the {} given is not the key file's client_email `{}`; sending the one given",
            field.label,
            text::clean_truncated(&email, 120)
        ))
    }))
}

/// Whitespace or an invisible character a copy-paste brings along at the ends of a value.
fn is_padding(c: char) -> bool {
    c.is_whitespace() || text::is_invisible(c)
}

/// One value: trimmed, taken out of a pasted sign-in URL where the field declares one, then
/// checked. Returns the value to use and a note when it was changed.
pub(crate) fn prepare_value(
    field: &Field,
    raw: &str,
) -> Result<(String, Option<Note>), InputError> {
    let fail = |reason: String, fault: InputFault| InputError::Field {
        label: field.label.clone(),
        reason,
        fault,
        help: field.help.clone(),
        flag: flag_for(field),
    };
    if field.role.is_pem() {
        let value = raw.replace("\r\n", "\n");
        let trimmed = value.trim_matches(is_padding);
        check_value(field, trimmed).map_err(|(reason, fault)| fail(reason, fault))?;
        return Ok((trimmed.to_owned(), None));
    }
    let trimmed = raw.trim_matches(is_padding);
    if check_value(field, trimmed).is_err()
        && let Some(from_url) = field.value_from_url(raw)
    {
        let note = Note::new(format!(
            "took the {} `{from_url}` from the URL given",
            field.label
        ));
        return Ok((from_url, Some(note)));
    }
    if let Some(problem) = hidden_character(trimmed) {
        return Err(fail(problem, InputFault::Invisible));
    }
    check_value(field, trimmed).map_err(|(reason, fault)| fail(reason, fault))?;
    let note = (trimmed.len() != raw.len() && !trimmed.is_empty())
        .then(|| Note::new(format!("removed whitespace around the {}", field.label)));
    let note = note.or_else(|| {
        (field.secret && trimmed.contains(' ')).then(|| Note {
            text: format!(
                "the {} contains a space; most providers never issue one",
                field.label
            ),
            hint: Some(HintKey::InvisibleCharacters),
        })
    });
    Ok((trimmed.to_owned(), note))
}

/// What a copy-paste can hide inside a value: line breaks, tabs, non-breaking and zero-width
/// spaces, soft hyphens, bidi controls (every default-ignorable code point). A plain space is
/// left to the field's pattern.
fn hidden_character(value: &str) -> Option<String> {
    for (at, c) in value.chars().enumerate() {
        let name = match c {
            '\n' | '\r' => "a line break".to_owned(),
            '\t' => "a tab".to_owned(),
            '\u{a0}' | '\u{202f}' => "a non-breaking space".to_owned(),
            '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' => {
                "a zero-width character".to_owned()
            }
            c if text::is_invisible(c) => format!("an invisible character (U+{:04X})", c as u32),
            ' ' => continue,
            c if c.is_whitespace() => format!("a special space (U+{:04X})", c as u32),
            _ => continue,
        };
        return Some(format!("contains {name} at character {}", at + 1));
    }
    None
}

/// A PEM document (a key or certificate, trimmed, with `\n` line ends): its lines may hold
/// nothing a copy-paste hides, and it must parse as what the field holds.
fn check_pem(field: &Field, value: &str) -> Result<(), (String, InputFault)> {
    if value.chars().count() > MAX_PEM_LEN {
        return Err((
            format!("is longer than {MAX_PEM_LEN} characters"),
            InputFault::Unusable,
        ));
    }
    for (n, line) in value.split('\n').enumerate() {
        if let Some(problem) = hidden_character(line) {
            return Err((
                format!("{problem} of line {}", n + 1),
                InputFault::Invisible,
            ));
        }
        if line.chars().any(char::is_control) {
            return Err((
                format!("contains a control character on line {}", n + 1),
                InputFault::Unusable,
            ));
        }
    }
    let parsed = match field.role {
        FieldRole::ClientCertificate => crate::provider::keys::certificate_info(value).map(drop),
        FieldRole::PrivateKey => crate::provider::keys::check_private_key(value),
        _ => crate::provider::keys::check_pem_key(value),
    };
    parsed.map_err(|why| (why, InputFault::Unusable))
}

/// Why a value cannot be used, in words that never repeat a secret.
pub(crate) fn check_value(field: &Field, value: &str) -> Result<(), (String, InputFault)> {
    let unusable = |why: String| Err((why, InputFault::Unusable));
    if field.role.is_pem() && !value.is_empty() {
        return check_pem(field, value);
    }
    if value.is_empty() {
        return if field.optional {
            Ok(())
        } else {
            unusable("is empty".into())
        };
    }
    if value.chars().count() > MAX_VALUE_LEN {
        return unusable(format!("is longer than {MAX_VALUE_LEN} characters"));
    }
    if value.chars().any(char::is_control) {
        return unusable("contains a control character (a pasted line break or escape?)".into());
    }
    if let Some(problem) = hidden_character(value) {
        return Err((problem, InputFault::Invisible));
    }
    let Some(pattern) = &field.pattern else {
        return Ok(());
    };
    if pattern.is_match(value) {
        return Ok(());
    }
    if field.secret {
        return Err((
            format!("does not have the expected format ({})", pattern.as_str()),
            InputFault::WrongShape,
        ));
    }
    // A client ID of the wrong shape is often the secret pasted into the wrong field.
    // Short values are not secrets, and masking them would hide the typo.
    let shown = if field.role == FieldRole::ClientId {
        mask(value, 12)
    } else {
        text::clean_truncated(value, 80)
    };
    let mut reason = format!("`{shown}` does not match {}", pattern.as_str());
    if let Some(host) = value.split_once("://").map(|(_, rest)| rest)
        && let Some(label) = host
            .split(['.', '/'])
            .next()
            .filter(|l| pattern.is_match(l) && *l != "www")
    {
        reason.push_str(&format!(" (give only the subdomain: `{label}`)"));
    }
    Err((reason, InputFault::WrongShape))
}

/// "papi-dc…041a": enough to tell values apart in a message or ticket, not to use them.
/// Values up to `keep_up_to` characters are shown whole.
pub(crate) fn mask(value: &str, keep_up_to: usize) -> String {
    let chars: Vec<char> = text::clean(value).chars().collect();
    if chars.len() <= keep_up_to.max(8) {
        return chars.into_iter().collect();
    }
    let head: String = chars.iter().take(6).collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Gathers what the connector asks for, as given (see [`prepare`] for what happens next).
/// Prompts check each value with the same rules before accepting it.
pub(crate) fn gather(
    connector: &Connector,
    args: &Flags,
    interactive: bool,
) -> Result<Given, InputError> {
    let mut given = explicit_values(connector, args)?;
    check_secret_flags(connector, args)?;
    let mut values = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for field in connector.fields.iter().filter(|f| !f.obtained) {
        if field.secret {
            let value = read_secret(field, args, interactive)?;
            secrets.insert(field.id.clone(), Secret::new(value));
            continue;
        }
        let value = match given.remove(field.id.as_str()) {
            Some(v) => v,
            None if interactive && field.role.is_pem() => prompt_pem_file(field)?,
            None if interactive => {
                let label = match &field.help {
                    Some(help) => format!("{} ({help})", field.label),
                    None => field.label.clone(),
                };
                ui::prompt_text(&label, field.default.as_deref(), field.optional, |v| {
                    prepare_value(field, v).map(drop).map_err(|e| e.to_string())
                })
                .map_err(|e| InputError::Prompt(e.to_string()))?
            }
            None => match (&field.default, field.optional) {
                (Some(d), _) => d.clone(),
                (None, true) => String::new(),
                (None, false) => {
                    return Err(InputError::Missing {
                        label: field.label.clone(),
                        flag: flag_for(field),
                    });
                }
            },
        };
        values.insert(field.id.clone(), value);
    }
    Ok(Given {
        values,
        secrets,
        scope: args.scope.clone(),
    })
}

/// The file of `--field-file ID=PATH` for this field, if given.
fn file_for<'a>(args: &'a Flags, id: &str) -> Option<&'a str> {
    args.field_files.iter().find_map(|pair| {
        let (key, path) = pair.split_once('=')?;
        (key.trim() == id).then_some(path)
    })
}

/// A field's value from a file (a PEM key or certificate), without hanging on a FIFO.
fn read_field_file(field: &Field, path: &str) -> Result<String, InputError> {
    let limit = if field.role.is_pem() {
        MAX_PEM_LEN
    } else {
        MAX_VALUE_LEN
    } as u64
        * 4;
    crate::base::files::read_regular(std::path::Path::new(path), limit).map_err(|e| {
        InputError::Flag {
            message: format!(
                "--field-file {}: cannot read {}: {e}",
                field.id,
                text::clean_truncated(path, 200)
            ),
            hint: None,
        }
    })
}

/// At a terminal, a PEM value is read from the file whose path is typed.
fn prompt_pem_file(field: &Field) -> Result<String, InputError> {
    let label = format!("{} (path of the PEM file)", field.label);
    let path = ui::prompt_text(&label, None, false, |v| {
        let text = crate::base::files::read_regular(
            std::path::Path::new(v.trim()),
            MAX_PEM_LEN as u64 * 4,
        )
        .map_err(|e| format!("cannot read {}: {e}", v.trim()))?;
        prepare_value(field, &text)
            .map(drop)
            .map_err(|e| e.to_string())
    })
    .map_err(|e| InputError::Prompt(e.to_string()))?;
    read_field_file(field, path.trim())
}

/// Values from --subdomain, --client-id (or its env var) and --field, checked for fit.
fn explicit_values<'a>(
    connector: &'a Connector,
    args: &Flags,
) -> Result<BTreeMap<&'a str, String>, InputError> {
    let mut given = BTreeMap::new();
    let flag_error = |message: String, hint: Option<String>| InputError::Flag { message, hint };
    let mut put = |field: Option<&'a Field>, id: &str, value: String, flag: &str| {
        let field = field.ok_or_else(|| {
            flag_error(
                format!(
                    "{flag}: connector `{}` has no field `{}`",
                    connector.id,
                    text::clean_truncated(id, 40)
                ),
                Some(format!("its fields are: {}", field_ids(connector))),
            )
        })?;
        if field.secret {
            return Err(flag_error(
                format!(
                    "{flag}: `{id}` is a secret and is never taken as a flag value (other users can read flags in `ps`)"
                ),
                Some(format!("pass it with {}", flag_for(field))),
            ));
        }
        if given.insert(field.id.as_str(), value).is_some() {
            return Err(flag_error(format!("{flag}: `{id}` is given twice"), None));
        }
        Ok(())
    };
    // The flags that stand for a role: the field, and its id for messages.
    let by_role = |role: FieldRole| (connector.field_by_role(role), role.id().unwrap_or_default());
    if let Some(s) = &args.subdomain {
        let (field, id) = by_role(FieldRole::Subdomain);
        put(field, id, s.clone(), "--subdomain")?;
    }
    let (client_id_field, client_id) = by_role(FieldRole::ClientId);
    if let Some(value) = &args.client_id {
        put(client_id_field, client_id, value.clone(), "--client-id")?;
    } else if let Ok(value) = std::env::var(ENV_CLIENT_ID)
        && client_id_field.is_some()
    {
        put(client_id_field, client_id, value, ENV_CLIENT_ID)?;
    }
    for pair in &args.field_files {
        let (key, path) = pair.split_once('=').ok_or_else(|| {
            flag_error(
                format!(
                    "--field-file `{}` is not KEY=PATH",
                    text::clean_truncated(pair, 80)
                ),
                None,
            )
        })?;
        let key = key.trim();
        match connector.field(key) {
            // A secret's file is read where the secret is (`read_secret`).
            Some(field) if field.secret => {}
            Some(field) => {
                let value = read_field_file(field, path)?;
                put(Some(field), key, value, "--field-file")?;
            }
            None => put(None, key, String::new(), "--field-file")?,
        }
    }
    for pair in &args.fields {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            flag_error(
                format!(
                    "--field `{}` is not KEY=VALUE",
                    text::clean_truncated(pair, 40)
                ),
                None,
            )
        })?;
        let key = key.trim();
        put(connector.field(key), key, value.to_owned(), "--field")?;
    }
    Ok(given)
}

fn field_ids(connector: &Connector) -> String {
    connector
        .fields
        .iter()
        .map(|f| f.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_secret_flags(connector: &Connector, args: &Flags) -> Result<(), InputError> {
    let wanted = connector.secret_field();
    let has = |role: FieldRole| connector.field_by_role(role).is_some_and(|f| f.secret);
    if let Some(id) = &args.secret_stdin
        && !connector.field(id).is_some_and(|f| f.secret && !f.obtained)
    {
        let ids: Vec<&str> = connector
            .secret_fields()
            .filter(|f| !f.obtained)
            .map(|f| f.id.as_str())
            .collect();
        return Err(InputError::Flag {
            message: format!(
                "--secret-stdin: connector `{}` has no secret field `{}`",
                connector.id,
                text::clean_truncated(id, 40)
            ),
            hint: Some(format!("its secret fields are: {}", ids.join(", "))),
        });
    }
    let wrong = if args.client_secret_stdin && !has(FieldRole::ClientSecret) {
        Some("--client-secret-stdin")
    } else if args.api_key_stdin && !has(FieldRole::ApiKey) {
        Some("--api-key-stdin")
    } else {
        None
    };
    match wrong {
        Some(flag) => Err(InputError::Flag {
            message: format!(
                "{flag}: connector `{}` takes a {}, not that",
                connector.id,
                wanted.label.to_lowercase()
            ),
            hint: Some(format!("pass it with {}", flag_for(wanted))),
        }),
        None => Ok(()),
    }
}

fn read_secret(field: &Field, args: &Flags, interactive: bool) -> Result<String, InputError> {
    let (from_stdin, env) = match field.role {
        FieldRole::ApiKey => (args.api_key_stdin, ENV_API_KEY.to_owned()),
        FieldRole::ClientSecret => (args.client_secret_stdin, ENV_CLIENT_SECRET.to_owned()),
        _ => (false, env_for_secret(&field.id)),
    };
    let from_stdin = from_stdin || args.secret_stdin.as_deref() == Some(field.id.as_str());
    let limit = if field.role.is_pem() {
        MAX_PEM_LEN
    } else {
        MAX_VALUE_LEN
    } as u64
        * 4;
    if from_stdin {
        // Two more bytes for the line break that ends what `echo` writes.
        let mut text = read_stdin(limit as usize + 2).map_err(|e| InputError::Stdin {
            label: field.label.to_lowercase(),
            why: e.to_string(),
        })?;
        // One trailing line break is how `echo` and here-strings end; it is not part of the secret.
        let end = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .map(str::len);
        if let Some(end) = end {
            text.truncate(end);
        }
        Ok(text)
    } else if let Some(path) = file_for(args, &field.id) {
        read_field_file(field, path)
    } else if let Ok(value) = std::env::var(&env) {
        Ok(value)
    } else if interactive && field.role.is_pem() {
        prompt_pem_file(field)
    } else if interactive {
        ui::prompt_secret(&format!("{} (input hidden)", field.label), |v| {
            prepare_value(field, v).map(drop).map_err(|e| e.to_string())
        })
        .map_err(|e| InputError::Prompt(e.to_string()))
    } else {
        Err(InputError::Missing {
            label: field.label.to_lowercase(),
            flag: flag_for(field),
        })
    }
}

/// All of stdin, if it holds at most `max` bytes of UTF-8 text; more is refused, not cut, and
/// not read on (a pipe that never ends, or the wrong file).
pub(crate) fn read_stdin(max: usize) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it holds more than {} KiB", max / 1024),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// One line of a stream, read by [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// Without its line break (`\n` or `\r\n`); bytes that are not UTF-8 replaced.
    Text(String),
    /// Longer than the limit: nothing after the limit was read.
    TooLong,
    End,
}

/// The next line of `reader`, holding at most `max` bytes in memory whatever the stream holds.
pub(crate) fn read_line(reader: &mut impl BufRead, max: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    if reader.take(max as u64 + 1).read_until(b'\n', &mut line)? == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > max {
        return Ok(Line::TooLong);
    }
    Ok(Line::Text(String::from_utf8_lossy(&line).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn lines_are_read_up_to_a_limit() {
        let mut reader = std::io::Cursor::new(b"short\r\nline\n0123456789\nlast".to_vec());
        let mut next = || read_line(&mut reader, 8).unwrap();
        assert_eq!(next(), Line::Text("short".into()));
        assert_eq!(next(), Line::Text("line".into()));
        assert_eq!(next(), Line::TooLong);
        let mut endless = std::io::repeat(b'x');
        let mut endless = std::io::BufReader::new(&mut endless);
        assert_eq!(read_line(&mut endless, 8).unwrap(), Line::TooLong);
        let mut reader = std::io::Cursor::new(b"12345678\nlast".to_vec());
        assert_eq!(
            read_line(&mut reader, 8).unwrap(),
            Line::Text("12345678".into())
        );
        assert_eq!(
            read_line(&mut reader, 8).unwrap(),
            Line::Text("last".into())
        );
        assert_eq!(read_line(&mut reader, 8).unwrap(), Line::End);
    }

    #[test]
    fn client_ids_are_masked() {
        assert_eq!(
            mask("papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a", 12),
            "papi-d…041a"
        );
        assert_eq!(mask("basic-client", 12), "basic-client");
        assert_eq!(mask("basic-client", 8), "basic-…ient");
    }

    #[test]
    fn values_are_normalised_once_with_notes() {
        let catalog = Catalog::load(None).unwrap();
        let traffit = catalog.get("traffit").unwrap();
        let sub = traffit.field("subdomain").unwrap();
        assert_eq!(
            prepare_value(sub, "mycompany").unwrap(),
            ("mycompany".into(), None)
        );
        let (v, note) = prepare_value(sub, "https://acme.traffit.com/settings").unwrap();
        assert_eq!(v, "acme");
        assert!(note.unwrap().text.contains("from the URL"));
        let (v, note) = prepare_value(sub, " acme\u{a0}").unwrap();
        assert_eq!(v, "acme");
        assert!(note.is_some());
        let personio = catalog.get("personio").unwrap();
        let secret = personio.secret_field();
        let err = prepare_value(secret, "ab\u{200b}cdefgh").unwrap_err();
        assert_eq!(err.fault(), InputFault::Invisible);
        assert!(
            err.to_string()
                .contains("zero-width character at character 3"),
            "{err}"
        );
        assert!(prepare_value(secret, "abc\u{ad}def").is_err());
        assert!(prepare_value(sub, &"a".repeat(5000)).is_err());
        let err = check_value(sub, "https://mycompany.example.com").unwrap_err();
        assert!(
            err.0.contains("give only the subdomain: `mycompany`"),
            "{}",
            err.0
        );
    }
}
