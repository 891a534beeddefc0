//! The resolver every client uses: the system's (getaddrinfo, as reqwest's own), recording each
//! lookup so that a diagnosis shows the lookups of the very request it diagnoses.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::base::text;

/// One DNS lookup the client made, as `--explain` shows it.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    pub(crate) host: String,
    pub(crate) result: Result<Vec<SocketAddr>, String>,
    pub(crate) duration: Duration,
}

/// The resolver reqwest uses: the system's (getaddrinfo, as reqwest's own), recording each
/// lookup so a diagnosis shows the lookups of the very request it diagnoses.
#[derive(Clone, Default)]
pub(crate) struct RecordingResolver {
    pub(crate) lookups: Arc<Mutex<Vec<Lookup>>>,
}

/// A failed lookup, recognisable in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct DnsFailure(String);

impl Resolve for RecordingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookups = self.lookups.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let started = Instant::now();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await;
            let result = found
                .map(|addrs| addrs.collect::<Vec<_>>())
                .map_err(|e| text::clean(&e.to_string()));
            if let Ok(mut log) = lookups.lock() {
                log.push(Lookup {
                    host,
                    result: result.clone(),
                    duration: started.elapsed(),
                });
            }
            match result {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(e) => Err(Box::new(DnsFailure(e)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}
