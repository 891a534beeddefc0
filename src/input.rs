//! Gathering what a connector asks for: from flags, environment, stdin or a prompt, in that
//! order; trimmed, checked against the catalog, and named precisely when something is wrong.

use std::collections::BTreeMap;
use std::io::Read;

use crate::check::Credentials;
use crate::cli::CredentialArgs;
use crate::connectors::{Connector, Field};
use crate::error::CliError;
use crate::secret::Secret;
use crate::ui;

/// No credential or field value is longer than this; longer input is a mistake or an attack.
pub const MAX_VALUE_LEN: usize = 4096;

pub const ENV_CLIENT_ID: &str = "CREDLINK_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "CREDLINK_CLIENT_SECRET";
pub const ENV_API_KEY: &str = "CREDLINK_API_KEY";

/// How a field is given without a prompt, for messages: `--subdomain`, `--field region=VALUE`.
pub fn flag_for(field: &Field) -> String {
    match field.id.as_str() {
        "subdomain" => "--subdomain".into(),
        "client_id" => format!("--client-id (or {ENV_CLIENT_ID})"),
        "client_secret" => format!("--client-secret-stdin (or {ENV_CLIENT_SECRET})"),
        "api_key" => format!("--api-key-stdin (or {ENV_API_KEY})"),
        id => format!("--field {id}=VALUE"),
    }
}

/// Whether values are trimmed and checked as they are gathered (`link`, `test`), or left as
/// given so `test --explain` can diagnose them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Checking {
    Strict,
    AsGiven,
}

pub fn collect(
    connector: &Connector,
    args: &CredentialArgs,
    interactive: bool,
    checking: Checking,
) -> anyhow::Result<Credentials> {
    let normalize = |field: &Field, value: String| match checking {
        Checking::Strict => normalize(field, value),
        Checking::AsGiven => Ok(value),
    };
    let mut given = explicit_values(connector, args)?;
    let secret_field = connector.secret_field();
    check_secret_flags(connector, args)?;
    let mut values = BTreeMap::new();
    let mut secret = None;
    for field in &connector.fields {
        if field.secret {
            let raw = read_secret(field, args, interactive)?;
            secret = Some(Secret::new(normalize(field, raw)?));
            continue;
        }
        let value = match given.remove(field.id.as_str()) {
            Some(v) => normalize(field, v)?,
            None if interactive => {
                let label = match &field.help {
                    Some(help) => format!("{} ({help})", field.label),
                    None => field.label.clone(),
                };
                let v = ui::prompt_text(&label, field.default.as_deref(), field.optional, |v| {
                    match field.value_from_url(v) {
                        Some(_) => Ok(()),
                        None => check_value(field, v),
                    }
                })?;
                normalize(field, v)?
            }
            None => match (&field.default, field.optional) {
                (Some(d), _) => d.clone(),
                (None, true) => String::new(),
                (None, false) => {
                    return Err(CliError::usage(format!(
                        "missing {}: pass {}",
                        field.label,
                        flag_for(field)
                    ))
                    .with_hint("no terminal to prompt on (or --no-input was given)")
                    .into());
                }
            },
        };
        values.insert(field.id.clone(), value);
    }
    let secret = secret.ok_or_else(|| {
        anyhow::anyhow!(
            "connector `{}` declares no secret field `{}`",
            connector.id,
            secret_field.id
        )
    })?;
    Ok(Credentials {
        values,
        secret,
        scope: args.scope.clone().filter(|s| !s.trim().is_empty()),
    })
}

/// Values from --subdomain, --client-id (or its env var) and --field, checked for fit.
fn explicit_values<'a>(
    connector: &'a Connector,
    args: &CredentialArgs,
) -> Result<BTreeMap<&'a str, String>, CliError> {
    let mut given = BTreeMap::new();
    let mut put = |id: &str, value: String, flag: &str| -> Result<(), CliError> {
        let field = connector.field(id).ok_or_else(|| {
            CliError::usage(format!(
                "{flag}: connector `{}` has no field `{id}`",
                connector.id
            ))
            .with_hint(format!("its fields are: {}", field_ids(connector)))
        })?;
        if field.secret {
            return Err(CliError::usage(format!(
                "{flag}: `{id}` is a secret and is never taken as a flag value (other users can read flags in `ps`)"
            ))
            .with_hint(format!("pass it with {}", flag_for(field))));
        }
        if given.insert(field.id.as_str(), value).is_some() {
            return Err(CliError::usage(format!("{flag}: `{id}` is given twice")));
        }
        Ok(())
    };
    if let Some(s) = &args.subdomain {
        put("subdomain", s.clone(), "--subdomain")?;
    }
    if let Some(id) = &args.client_id {
        put("client_id", id.clone(), "--client-id")?;
    } else if let Ok(id) = std::env::var(ENV_CLIENT_ID)
        && connector.field("client_id").is_some()
    {
        put("client_id", id, ENV_CLIENT_ID)?;
    }
    for pair in &args.fields {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--field `{pair}` is not KEY=VALUE")))?;
        put(key.trim(), value.to_owned(), "--field")?;
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

fn check_secret_flags(connector: &Connector, args: &CredentialArgs) -> Result<(), CliError> {
    let wanted = connector.secret_field();
    let wrong = match wanted.id.as_str() {
        "client_secret" if args.api_key_stdin => Some("--api-key-stdin"),
        "api_key" if args.client_secret_stdin => Some("--client-secret-stdin"),
        _ => None,
    };
    match wrong {
        Some(flag) => Err(CliError::usage(format!(
            "{flag}: connector `{}` takes a {}, not that",
            connector.id,
            wanted.label.to_lowercase()
        ))
        .with_hint(format!("pass it with {}", flag_for(wanted)))),
        None => Ok(()),
    }
}

fn read_secret(field: &Field, args: &CredentialArgs, interactive: bool) -> anyhow::Result<String> {
    let (from_stdin, env) = match field.id.as_str() {
        "client_secret" => (args.client_secret_stdin, ENV_CLIENT_SECRET),
        _ => (args.api_key_stdin, ENV_API_KEY),
    };
    let raw = if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_VALUE_LEN as u64 + 2)
            .read_to_string(&mut text)
            .map_err(|e| {
                CliError::usage(format!(
                    "cannot read the {} from stdin: {e}",
                    field.label.to_lowercase()
                ))
            })?;
        // One trailing line break is how `echo` and here-strings end; it is not part of the secret.
        let end = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .map(str::len);
        if let Some(end) = end {
            text.truncate(end);
        }
        text
    } else if let Ok(value) = std::env::var(env) {
        value
    } else if interactive {
        ui::prompt_secret(&format!("{} (input hidden)", field.label), |v| {
            check_value(field, v)
        })?
    } else {
        return Err(CliError::usage(format!(
            "missing {}: pass {}",
            field.label.to_lowercase(),
            flag_for(field)
        ))
        .with_hint("no terminal to prompt on (or --no-input was given)")
        .into());
    };
    Ok(raw)
}

/// Trims surrounding whitespace, or takes the value out of a pasted sign-in URL (and says
/// so), then checks the value.
fn normalize(field: &Field, value: String) -> Result<String, CliError> {
    if check_value(field, value.trim()).is_err()
        && let Some(from_url) = field.value_from_url(&value)
    {
        ui::note(&format!(
            "took the {} `{from_url}` from the URL given",
            field.label
        ));
        return Ok(from_url);
    }
    let trimmed = value.trim();
    if trimmed.len() != value.len() && !trimmed.is_empty() {
        ui::note(&format!("removed whitespace around the {}", field.label));
    }
    check_value(field, trimmed).map_err(|reason| {
        CliError::usage(format!("{}: {reason}", field.label)).with_hint(match &field.help {
            Some(help) => format!("{help}; pass it with {}", flag_for(field)),
            None => format!("pass it with {}", flag_for(field)),
        })
    })?;
    Ok(trimmed.to_owned())
}

/// Why a value cannot be used, in words that never repeat a secret.
pub fn check_value(field: &Field, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return if field.optional {
            Ok(())
        } else {
            Err("is empty".into())
        };
    }
    if value.chars().count() > MAX_VALUE_LEN {
        return Err(format!("is longer than {MAX_VALUE_LEN} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("contains a control character (a pasted line break or escape?)".into());
    }
    let Some(pattern) = &field.pattern else {
        return Ok(());
    };
    if pattern.is_match(value) {
        return Ok(());
    }
    if field.secret {
        return Err(format!(
            "does not have the expected format ({})",
            pattern.as_str()
        ));
    }
    // A client ID of the wrong shape is often the secret pasted into the wrong field.
    // Short values are not secrets, and masking them would hide the typo.
    let shown = if field.id == "client_id" {
        mask(value, 12)
    } else {
        value.to_owned()
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
    Err(reason)
}

/// "papi-dc…041a": enough to tell values apart in a message or ticket, not to use them.
/// Values up to `keep_up_to` characters are shown whole.
pub fn mask(value: &str, keep_up_to: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_up_to.max(8) {
        return value.to_owned();
    }
    let head: String = chars.iter().take(6).collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::Catalog;

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
    fn values_are_checked_with_reasons_that_name_no_secret() {
        let catalog = Catalog::load(None).unwrap();
        let traffit = catalog.get("traffit").unwrap();
        let sub = traffit.field("subdomain").unwrap();
        assert!(check_value(sub, "mycompany").is_ok());
        let err = check_value(sub, "https://mycompany.traffit.com").unwrap_err();
        assert!(
            err.contains("give only the subdomain: `mycompany`"),
            "{err}"
        );
        assert!(check_value(sub, "").unwrap_err().contains("empty"));
        assert!(
            check_value(sub, &"a".repeat(5000))
                .unwrap_err()
                .contains("longer")
        );
        assert!(
            check_value(sub, "a\u{1b}b")
                .unwrap_err()
                .contains("control")
        );
        let personio = catalog.get("personio").unwrap();
        let secret = personio.secret_field();
        assert!(check_value(secret, "x\ny").unwrap_err().contains("control"));
    }
}
