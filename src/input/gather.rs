//! Gathering what a connector asks for, as given: from flags, the environment, stdin, a file
//! or a prompt, in that order (see [`super::prepare`] for what happens next).

use super::*;

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
