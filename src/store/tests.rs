//! Protocol tests of the store against the in-memory backend.
