//! Where linked accounts live: the secret in the OS keychain, the rest in an index file.

pub mod index;
pub mod keychain;

pub use index::{Account, Index, IndexData, secret_entries};
pub use keychain::{CachedToken, Keychain};
