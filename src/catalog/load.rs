//! Reading the catalog: the built-in `connectors.toml`, then the user's file over it (an entry
//! of the same id replaces the built-in one whole; `[hints]` override key by key), then every
//! entry validated, naming the file it came from when it is refused.

use std::collections::BTreeMap;
use std::path::Path;

use super::Catalog;
use super::raw::RawCatalog;
use super::validate::{self, check_hint_keys};
use crate::base::files;

const BUILT_IN: &str = include_str!("../../connectors.toml");
/// A connectors file larger than this is refused (the built-in one is a small fraction of it).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where a catalog entry came from, for messages that say what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    BuiltIn,
    UserFile(std::path::PathBuf),
    #[cfg(test)]
    Text(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("the built-in connectors.toml"),
            Origin::UserFile(p) => write!(f, "{}", p.display()),
            #[cfg(test)]
            Origin::Text(t) => f.write_str(t),
        }
    }
}

/// Why a catalog cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CatalogError {
    #[error("cannot read connectors file {path}: {why}")]
    Read { path: String, why: String },
    #[error("{origin} is not a valid connectors file: {why}")]
    Parse { origin: Origin, why: String },
    #[error("connector `{id}` is invalid: {why}")]
    Invalid {
        origin: Origin,
        id: String,
        why: String,
    },
    #[error("[hints] in {origin}: {why}")]
    Hints { origin: Origin, why: String },
}

impl CatalogError {
    pub(crate) fn origin(&self) -> Option<&Origin> {
        match self {
            CatalogError::Read { .. } => None,
            CatalogError::Parse { origin, .. }
            | CatalogError::Invalid { origin, .. }
            | CatalogError::Hints { origin, .. } => Some(origin),
        }
    }
}

impl Catalog {
    /// The built-in catalog, extended or overridden (by id) by the user's file.
    pub(crate) fn load(user_file: Option<&Path>) -> Result<Self, CatalogError> {
        let mut raw = parse(BUILT_IN, &Origin::BuiltIn)?;
        let mut origins: BTreeMap<String, Origin> = raw
            .connectors
            .keys()
            .map(|id| (id.clone(), Origin::BuiltIn))
            .collect();
        let mut hints_origin = Origin::BuiltIn;
        if let Some(path) = user_file {
            let text =
                files::read_regular(path, MAX_FILE_BYTES).map_err(|e| CatalogError::Read {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })?;
            let origin = Origin::UserFile(path.to_owned());
            let user = parse(&text, &origin)?;
            if !user.hints.is_empty() {
                hints_origin = origin.clone();
            }
            for id in user.connectors.keys() {
                origins.insert(id.clone(), origin.clone());
            }
            raw.hints.extend(user.hints);
            raw.connectors.extend(user.connectors);
        }
        Self::build(
            raw,
            &|id| origins.get(id).cloned().unwrap_or(Origin::BuiltIn),
            hints_origin,
        )
    }

    fn build(
        raw: RawCatalog,
        origin_of: &dyn Fn(&str) -> Origin,
        hints_origin: Origin,
    ) -> Result<Self, CatalogError> {
        let mut connectors = BTreeMap::new();
        for (id, c) in raw.connectors {
            let origin = origin_of(&id);
            let built_in = origin == Origin::BuiltIn;
            let connector =
                validate::connector(&id, c, built_in).map_err(|why| CatalogError::Invalid {
                    origin,
                    id: id.clone(),
                    why,
                })?;
            connectors.insert(id, connector);
        }
        for (id, c) in &connectors {
            if let Some(alt) = c
                .alternative
                .as_ref()
                .filter(|a| !connectors.contains_key(&a.id))
            {
                return Err(CatalogError::Invalid {
                    origin: origin_of(id),
                    id: id.clone(),
                    why: format!("`alternative.id` `{}` is not a connector", alt.id),
                });
            }
        }
        check_hint_keys(&raw.hints).map_err(|why| CatalogError::Hints {
            origin: hints_origin,
            why,
        })?;
        Ok(Self {
            hints: raw.hints,
            connectors,
        })
    }

    /// A catalog from TOML text alone (no built-in entries), validated as `load` does.
    #[cfg(test)]
    pub(crate) fn from_toml(text: &str, origin: &str) -> Result<Self, CatalogError> {
        let origin = Origin::Text(origin.to_owned());
        let raw = parse(text, &origin)?;
        Self::build(raw, &|_| origin.clone(), origin.clone())
    }
}

fn parse(text: &str, origin: &Origin) -> Result<RawCatalog, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Parse {
        origin: origin.clone(),
        why: e.to_string().trim_end().to_owned(),
    })
}
