//! How several values become the one stored secret of an account, and back: the only code that
//! knows this layout. A connector with one value kept with the secret stores that value (every
//! account linked before there were several); one with more (several secret fields, or a PEM
//! client certificate, which fits neither an index record nor a team store's metadata) stores a
//! JSON object of the values by field id.

use std::collections::BTreeMap;

use crate::base::secret::Secret;

/// A value kept with the secret: its field id, and whether it is itself a secret.
pub(crate) struct Kept<'a> {
    pub(crate) id: &'a str,
    pub(crate) secret: bool,
}

/// The kept values as one [`Secret`]; a missing value is stored empty.
pub(crate) fn pack(
    kept: &[Kept<'_>],
    values: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, Secret>,
) -> Secret {
    let value_of = |k: &Kept<'_>| match k.secret {
        true => secrets.get(k.id).map_or("", Secret::expose),
        false => values.get(k.id).map_or("", String::as_str),
    };
    if let [only] = kept {
        return Secret::new(value_of(only));
    }
    let object: serde_json::Map<String, serde_json::Value> = kept
        .iter()
        .map(|k| (k.id.to_owned(), serde_json::Value::from(value_of(k))))
        .collect();
    Secret::new(serde_json::Value::Object(object).to_string())
}

/// The secret values and the other kept values, from the stored [`Secret`]. A value that
/// cannot be read is left out, so that preparing it fails naming the field.
pub(crate) fn unpack(
    kept: &[Kept<'_>],
    stored: &Secret,
) -> (BTreeMap<String, Secret>, BTreeMap<String, String>) {
    let mut secrets = BTreeMap::new();
    let mut values = BTreeMap::new();
    if let [only] = kept {
        secrets.insert(only.id.to_owned(), stored.clone());
        return (secrets, values);
    }
    let Ok(serde_json::Value::Object(object)) =
        serde_json::from_str::<serde_json::Value>(stored.expose())
    else {
        return (secrets, values);
    };
    for k in kept {
        let Some(value) = object.get(k.id).and_then(serde_json::Value::as_str) else {
            continue;
        };
        if k.secret {
            secrets.insert(k.id.to_owned(), Secret::new(value));
        } else {
            values.insert(k.id.to_owned(), value.to_owned());
        }
    }
    (secrets, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_is_stored_as_is_and_several_as_an_object() {
        let one = [Kept {
            id: "client_secret",
            secret: true,
        }];
        let secrets = BTreeMap::from([("client_secret".to_owned(), Secret::new("s3"))]);
        let packed = pack(&one, &BTreeMap::new(), &secrets);
        assert_eq!(packed.expose(), "s3");
        assert_eq!(unpack(&one, &packed).0["client_secret"].expose(), "s3");
        let two = [
            Kept {
                id: "client_secret",
                secret: true,
            },
            Kept {
                id: "client_certificate",
                secret: false,
            },
        ];
        let values = BTreeMap::from([("client_certificate".to_owned(), "PEM".to_owned())]);
        let packed = pack(&two, &values, &secrets);
        let (s, v) = unpack(&two, &packed);
        assert_eq!(s["client_secret"].expose(), "s3");
        assert_eq!(v["client_certificate"], "PEM");
        assert!(unpack(&two, &Secret::new("not json")).0.is_empty());
    }
}
