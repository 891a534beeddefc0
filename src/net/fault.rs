//! A request that got no HTTP answer, classified by the error types in reqwest's chain (never
//! by their wording), and a URL as it may be shown.

use std::time::Duration;

use url::Url;

use super::resolve::DnsFailure;
use crate::base::outcome::NetFault;
use crate::base::secret::Redactor;

/// A request that got no HTTP answer.
#[derive(Debug, Clone)]
pub(crate) struct NetError {
    pub(crate) fault: NetFault,
    pub(crate) message: String,
    pub(crate) latency: Duration,
}

/// A URL as it may be shown: never its user info.
pub(crate) fn without_user_info(url: &Url) -> String {
    let mut shown = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
    }
    shown.to_string()
}

/// Classifies by the error types in reqwest's chain, never by their wording.
pub(crate) fn classify(
    e: &reqwest::Error,
    latency: Duration,
    timeout: Duration,
    redactor: &Redactor,
) -> NetError {
    // `io::Error::source` skips the error it wraps, so look inside each one too.
    let mut chain: Vec<&(dyn std::error::Error + 'static)> = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push(s);
        let mut wrapped = s;
        while let Some(inner) = wrapped
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            chain.push(inner);
            wrapped = inner;
        }
        source = s.source();
    }
    let has = |f: &dyn Fn(&(dyn std::error::Error + 'static)) -> bool| chain.iter().any(|s| f(*s));
    let fault = if e.is_timeout() || has(&|s| s.is::<tokio::time::error::Elapsed>()) {
        NetFault::Timeout
    } else if has(&|s| s.is::<DnsFailure>()) {
        NetFault::Dns
    } else if has(&|s| s.is::<rustls::Error>()) {
        NetFault::Tls
    } else if has(&|s| {
        s.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse() || h.is_parse_status())
    }) {
        NetFault::MalformedAnswer
    } else if e.is_connect() {
        NetFault::Connect
    } else {
        NetFault::MalformedAnswer
    };
    let detail = chain
        .last()
        .map_or_else(|| e.to_string(), |s| s.to_string());
    let message = match fault {
        NetFault::Timeout => format!("no answer within {} s", timeout.as_secs()),
        NetFault::MalformedAnswer => format!(
            "the server's answer is not HTTP credlink can read (oversized or malformed headers): {}",
            redactor.display(&detail, 300)
        ),
        _ => redactor.display(&detail, 300),
    };
    NetError {
        fault,
        message,
        latency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_never_shown() {
        let url = Url::parse("http://user:pass@127.0.0.1:9/token").unwrap();
        assert_eq!(without_user_info(&url), "http://127.0.0.1:9/token");
    }
}
