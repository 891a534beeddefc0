//! The redirect of an authorization-code flow: a listener on 127.0.0.1 only (RFC 8252 7.3),
//! which answers the browser's request to the redirect path and hands back its parameters,
//! and the same reading of a redirect URL the user pastes (an SSH session has no browser on
//! the listener's machine). Other paths (a favicon) get a 404 and the wait goes on.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::secret::Secret;
use crate::text;

/// A request head larger than this is not a browser's redirect.
const MAX_HEAD: usize = 16 * 1024;
/// A connection that sends nothing is dropped after this.
const READ_WAIT: Duration = Duration::from_secs(10);

/// What the authorization server sent back through the browser.
#[derive(Debug)]
pub(crate) enum Callback {
    Code {
        code: Secret,
        state: Option<String>,
    },
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// Why a redirect could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallbackError {
    #[error("the address holds neither `code` nor `error`: {0}")]
    Incomplete(String),
    #[error("that is not the redirect address: {0}")]
    NotRedirect(String),
}

/// Reads the parameters of a redirect's query.
pub(crate) fn parse_query(query: &str) -> Result<Callback, CallbackError> {
    let params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let state = params.get("state").cloned();
    if let Some(error) = params.get("error") {
        return Ok(Callback::Error {
            error: text::clean_truncated(error, 100),
            description: params
                .get("error_description")
                .map(|d| text::clean_truncated(d, 300)),
            state,
        });
    }
    match params.get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(Callback::Code {
            code: Secret::new(code.clone()),
            state,
        }),
        None => Err(CallbackError::Incomplete(
            "the provider may have shown an error page instead".into(),
        )),
    }
}

/// Reads a redirect URL pasted by the user: it must be the redirect URI (same host, port and
/// path), so that a URL from somewhere else is not taken for it.
pub(crate) fn parse_pasted(pasted: &str, redirect_uri: &str) -> Result<Callback, CallbackError> {
    let pasted = pasted.trim();
    let url = url::Url::parse(pasted)
        .map_err(|_| CallbackError::NotRedirect("paste the whole address, from http".into()))?;
    let expected = url::Url::parse(redirect_uri)
        .map_err(|_| CallbackError::NotRedirect("the redirect URI is not an address".into()))?;
    let same = url.host_str() == expected.host_str()
        && url.port_or_known_default() == expected.port_or_known_default()
        && url.path() == expected.path();
    if !same {
        return Err(CallbackError::NotRedirect(format!(
            "it should start with {redirect_uri}"
        )));
    }
    parse_query(url.query().unwrap_or_default())
}

/// A listener for the redirect, bound to 127.0.0.1.
pub(crate) struct Listener {
    socket: TcpListener,
    path: String,
}

impl Listener {
    /// Binds 127.0.0.1:`port` (0: a port the system picks).
    pub(crate) async fn bind(port: u16, path: &str) -> std::io::Result<Self> {
        let socket = TcpListener::bind(("127.0.0.1", port)).await?;
        Ok(Self {
            socket,
            path: path.to_owned(),
        })
    }

    pub(crate) fn redirect_uri(&self) -> String {
        let port = self.socket.local_addr().map_or(0, |a| a.port());
        format!("http://127.0.0.1:{port}{}", self.path)
    }

    /// Waits for the browser's request to the redirect path and answers it; requests to
    /// other paths are answered 404 and the wait goes on.
    pub(crate) async fn next(&self) -> Result<Callback, CallbackError> {
        loop {
            let Ok((stream, _)) = self.socket.accept().await else {
                continue;
            };
            if let Some(result) = self.serve(stream).await {
                return result;
            }
        }
    }

    /// One connection: `None` when it was not the redirect.
    async fn serve(&self, mut stream: TcpStream) -> Option<Result<Callback, CallbackError>> {
        let head = tokio::time::timeout(READ_WAIT, read_head(&mut stream))
            .await
            .ok()??;
        let target = head
            .lines()
            .next()?
            .strip_prefix("GET ")?
            .split(' ')
            .next()?
            .to_owned();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        if path != self.path {
            let _ = respond(&mut stream, "404 Not Found", "Not the redirect path.").await;
            return None;
        }
        let result = parse_query(query);
        let page = match &result {
            Ok(Callback::Code { .. }) => {
                "credlink received the authorization. You can close this tab and go back to the terminal."
            }
            Ok(Callback::Error { .. }) => {
                "The authorization was not granted. The terminal says why; you can close this tab."
            }
            Err(_) => "This address holds no authorization. Go back to the terminal.",
        };
        let _ = respond(&mut stream, "200 OK", page).await;
        Some(result)
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_HEAD {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf).ok()
}

async fn respond(stream: &mut TcpStream, status: &str, message: &str) -> std::io::Result<()> {
    let body =
        format!("<!doctype html><meta charset=utf-8><title>credlink</title><p>{message}</p>");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_gives_a_code_or_the_providers_error() {
        let Callback::Code { code, state } = parse_query("code=abc%2F1&state=s1").unwrap() else {
            panic!("a code")
        };
        assert_eq!(code.expose(), "abc/1");
        assert_eq!(state.as_deref(), Some("s1"));
        let Callback::Error {
            error, description, ..
        } = parse_query("error=access_denied&error_description=The+user+said+no%1b[31m").unwrap()
        else {
            panic!("an error")
        };
        assert_eq!(error, "access_denied");
        assert!(!description.unwrap().contains('\u{1b}'));
        assert!(parse_query("state=x").is_err());
    }

    #[test]
    fn a_pasted_address_must_be_the_redirect_uri() {
        let uri = "http://127.0.0.1:8765/callback";
        assert!(parse_pasted("http://127.0.0.1:8765/callback?code=c&state=s", uri).is_ok());
        assert!(parse_pasted("  http://127.0.0.1:8765/callback?code=c&state=s\n", uri).is_ok());
        for other in [
            "http://evil.example/callback?code=c",
            "http://127.0.0.1:8766/callback?code=c",
            "http://127.0.0.1:8765/other?code=c",
            "code=c&state=s",
        ] {
            assert!(parse_pasted(other, uri).is_err(), "{other}");
        }
    }

    #[tokio::test]
    async fn the_listener_answers_other_paths_404_and_returns_the_redirect() {
        let listener = Listener::bind(0, "/callback").await.unwrap();
        let uri = listener.redirect_uri();
        let port: u16 = uri
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let client = tokio::spawn(async move {
            let mut replies = Vec::new();
            for target in ["/favicon.ico", "/callback?code=xyz&state=st"] {
                let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                    .await
                    .unwrap();
                let mut reply = String::new();
                s.read_to_string(&mut reply).await.unwrap();
                replies.push(reply);
            }
            replies
        });
        let Callback::Code { code, state } = listener.next().await.unwrap() else {
            panic!("a code")
        };
        assert_eq!((code.expose(), state.as_deref()), ("xyz", Some("st")));
        let replies = client.await.unwrap();
        assert!(replies[0].starts_with("HTTP/1.1 404"));
        assert!(replies[1].starts_with("HTTP/1.1 200") && !replies[1].contains("xyz"));
    }
}
