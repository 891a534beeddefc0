//! The terminal: the only part that writes to stdout and stderr. Output that survives a
//! closed pipe, prompts, progress, tables that fit, Ctrl-C and the terminal's state, and
//! opening the browser.

pub(crate) mod browser;
pub(crate) mod interrupt;
pub(crate) mod table;
pub(crate) mod ui;
