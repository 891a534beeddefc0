//! What every other part stands on, and which stands on nothing of theirs: `Secret` and the
//! redactor, cleaning untrusted text, the one model of outcomes and exit codes, `{field}`
//! templates, reading files safely, and the fault points of the crash tests.

pub(crate) mod fault;
pub(crate) mod files;
pub(crate) mod outcome;
pub(crate) mod secret;
pub(crate) mod template;
pub(crate) mod text;
