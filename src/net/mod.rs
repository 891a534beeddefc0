//! The HTTP layer that the provider client and the team store client both sit on: the trace
//! sink of `-v`, the recording resolver, the classification of network failures, bodies read up
//! to a limit, and the one retry loop (`Retry-After`, back-off). It never prints and knows neither providers nor the store.

mod body;
mod client;
mod fault;
mod resolve;
mod retry;

pub(crate) use body::read_capped;
pub(crate) use client::builder;
pub(crate) use fault::{NetError, classify, without_user_info};
pub(crate) use resolve::{Lookup, RecordingResolver};
pub(crate) use retry::{Verdict, repeat, retry_after};

/// Where trace lines go (`-v`); the command decides, this layer never prints.
pub(crate) type TraceSink = Box<dyn Fn(&str) + Send + Sync>;
