//! The granted scope covers the check: where the connector names the scopes its check needs
//! (`check_scope`), a token answer whose `scope` lacks one fails, naming it. An answer without
//! `scope` is not a failure: RFC 6749 5.1 says the scope is then the one requested.

use crate::base::outcome::{Failure, FailureKind, Outcome, Stage};
use crate::catalog::Connector;

/// Fails a valid `outcome` whose token's granted scope lacks a scope the check needs.
pub(super) fn require(connector: &Connector, outcome: &mut Outcome) {
    if !outcome.is_valid() || connector.check_scope.is_empty() {
        return;
    }
    let Some(granted) = outcome.token.as_ref().and_then(|t| t.scope.as_deref()) else {
        return;
    };
    let missing = missing(&connector.check_scope, granted);
    if missing.is_empty() {
        return;
    }
    let description = format!(
        "the provider granted the scope `{granted}`, which lacks {} the check needs: {}",
        if missing.len() == 1 { "one" } else { "scopes" },
        missing.join(" ")
    );
    let mut f = Failure::new(FailureKind::ScopeNotGranted, Stage::Main);
    f.code = Some("scope_not_granted".into());
    outcome.failure = Some(f.with_description(description));
}

/// The needed scopes that `granted` (space-separated, RFC 6749 3.3) does not hold.
fn missing<'a>(needed: &'a [String], granted: &str) -> Vec<&'a str> {
    let granted: Vec<&str> = granted.split_whitespace().collect();
    needed
        .iter()
        .map(String::as_str)
        .filter(|n| !granted.contains(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_scopes_not_granted_are_missing() {
        let needed = ["api:read".to_owned(), "api:write".to_owned()];
        assert_eq!(
            missing(&needed, "api:read  api:write other"),
            Vec::<&str>::new()
        );
        assert_eq!(missing(&needed, "api:read"), ["api:write"]);
        assert_eq!(missing(&needed, ""), ["api:read", "api:write"]);
        assert_eq!(missing(&needed, "api:reader"), ["api:read", "api:write"]);
    }
}
