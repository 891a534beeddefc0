//! User-delegated OAuth from a terminal: PKCE and state, and the loopback redirect.

pub(crate) mod loopback;
pub(crate) mod pkce;
