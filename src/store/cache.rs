//! The last access token obtained for an account, cached beside its secret (never in the
//! index), reused by `token` until shortly before it expires and revoked by `revoke`.

use crate::base::outcome::MAX_EXPIRES_IN;
use crate::base::secret::Secret;

/// An access token and when it expires (Unix seconds), stored as a small JSON object.
pub(crate) struct CachedToken {
    pub(crate) access_token: Secret,
    pub(crate) expires_at: Option<u64>,
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl CachedToken {
    pub(crate) fn new(access_token: Secret, expires_in: Option<u64>) -> Self {
        Self {
            access_token,
            expires_at: expires_in.map(|e| unix_now().saturating_add(e.min(MAX_EXPIRES_IN))),
        }
    }

    /// Seconds left, `None` when the provider gave no lifetime.
    pub(crate) fn remaining(&self) -> Option<u64> {
        self.expires_at.map(|at| at.saturating_sub(unix_now()))
    }

    pub(crate) fn to_stored(&self) -> Secret {
        let json = serde_json::json!({"access_token": self.access_token.expose(), "expires_at": self.expires_at});
        Secret::new(json.to_string())
    }

    /// Reads the JSON form (an expiry beyond the longest believable lifetime is clamped);
    /// anything else is taken as a bare token of unknown lifetime.
    pub(crate) fn from_stored(stored: &Secret) -> Self {
        let parsed = serde_json::from_str::<serde_json::Value>(stored.expose()).ok();
        match parsed
            .as_ref()
            .and_then(|v| v.get("access_token")?.as_str().map(|t| (t, v)))
        {
            Some((token, v)) => Self {
                access_token: Secret::new(token),
                expires_at: v
                    .get("expires_at")
                    .and_then(|e| e.as_u64())
                    .map(|at| at.min(unix_now().saturating_add(MAX_EXPIRES_IN))),
            },
            None => Self {
                access_token: stored.clone(),
                expires_at: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_tokens_round_trip_and_read_bare_tokens() {
        let t = CachedToken::new(Secret::new("tok"), Some(600));
        let back = CachedToken::from_stored(&t.to_stored());
        assert_eq!(back.access_token.expose(), "tok");
        assert!((599..=600).contains(&back.remaining().unwrap()));
        let bare = CachedToken::from_stored(&Secret::new("opaque-token"));
        assert_eq!(bare.access_token.expose(), "opaque-token");
        assert_eq!(bare.remaining(), None);
        let huge = CachedToken::from_stored(&Secret::new(
            r#"{"access_token":"t","expires_at":18446744073709551615}"#,
        ));
        assert!(huge.remaining().unwrap() <= MAX_EXPIRES_IN);
    }
}
