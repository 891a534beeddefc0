//! Property tests that span modules, and the harness for all property tests.
