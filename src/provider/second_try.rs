//! The catalog's `prefix_retry`: where sources disagree on the form of a value, the provider
//! decides. A value refused as an unknown client is tried once more with the prefix in front,
//! and the outcome says which was accepted, so that `link` stores that one.

use crate::base::outcome::{FailureKind, OAuthCode, Outcome, SecondTry};
use crate::catalog::Connector;
use crate::provider::Credentials;

/// A refusal that can mean "no such client". Not a network fault, a 5xx or a 429: those say
/// nothing about the value, and a second request would only add load.
fn unknown_client(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::OAuth(OAuthCode::InvalidClient | OAuthCode::UnauthorizedClient)
            | FailureKind::Http401
    )
}

/// The credentials of the second try, after `first`, where the connector declares one, the
/// first was refused as an unknown client, and the value does not start with the prefix yet.
pub(super) fn credentials(
    connector: &Connector,
    creds: &Credentials,
    first: &Outcome,
) -> Option<(Credentials, SecondTry)> {
    let retry = connector.prefix_retry.as_ref()?;
    if !unknown_client(first.failure.as_ref()?.kind) {
        return None;
    }
    let prefix = retry.prefix.render(&creds.template_values(connector))?;
    let typed = creds.values.get(&retry.field)?;
    let has_prefix = typed
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(&prefix));
    if prefix.is_empty() || typed.is_empty() || has_prefix {
        return None;
    }
    let tried = format!("{prefix}{typed}");
    let mut again = creds.clone();
    again.values.insert(retry.field.clone(), tried.clone());
    let second = SecondTry {
        field: retry.field.clone(),
        label: connector.label(&retry.field),
        typed: typed.clone(),
        tried,
        first_cause: first.cause(),
        first_latency_ms: first.latency_ms,
    };
    Some((again, second))
}

impl Credentials {
    /// These credentials with the value the provider accepted on a second try.
    pub(crate) fn accepted(&self, outcome: &Outcome) -> Credentials {
        let mut creds = self.clone();
        if let Some(t) = outcome.second_try.as_ref().filter(|_| outcome.is_valid()) {
            creds.values.insert(t.field.clone(), t.tried.clone());
        }
        creds
    }
}
