//! The redirect of an authorization-code flow: a listener on 127.0.0.1 only (RFC 8252 7.3),
//! which answers the browser's request to the redirect path and hands back its parameters,
//! and the same reading of a redirect URL the user pastes (an SSH session has no browser on
//! the listener's machine). Any web page can make the browser send a request here, so only
//! a redirect carrying this sign-in's `state` ends the wait: another gets an error page, and
//! the wait goes on. Each connection is served on its own, so idle ones cannot hold up the
//! browser's; other paths (a favicon) get a 404.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::base::secret::Secret;
use crate::base::text;

/// A request head larger than this is not a browser's redirect.
const MAX_HEAD: usize = 16 * 1024;
/// A connection that sends nothing is dropped after this.
const READ_WAIT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed unread, so a flood cannot exhaust memory.
const MAX_CONNECTIONS: usize = 64;

/// What the authorization server sent back through the browser, for this sign-in.
#[derive(Debug)]
pub(crate) enum Callback {
    Code(Secret),
    Error {
        error: String,
        description: Option<String>,
    },
}

/// Why a request or a pasted address is not this sign-in's redirect.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallbackError {
    #[error(
        "it is not from the sign-in credlink started: its `state` does not match (a forged request, or one from an older sign-in)"
    )]
    Forged,
    #[error("the address holds `{0}` more than once")]
    Repeated(&'static str),
    #[error(
        "the address holds neither `code` nor `error`: the provider may have shown an error page instead"
    )]
    Incomplete,
    #[error("that is not the redirect address: {0}")]
    NotRedirect(String),
}

/// The redirect a sign-in waits for: its address and its `state`.
struct Redirect {
    uri: String,
    path: String,
    state: String,
}

impl Redirect {
    /// Reads a redirect's query: this sign-in's only when it carries its `state`, once.
    fn read(&self, query: &str) -> Result<Callback, CallbackError> {
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let all = |key: &str| -> Vec<&str> {
            params
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        if !matches!(all("state")[..], [got] if same_state(got, &self.state)) {
            return Err(CallbackError::Forged);
        }
        let once = |key: &'static str| match all(key)[..] {
            [] => Ok(None),
            [value] => Ok(Some(value)),
            _ => Err(CallbackError::Repeated(key)),
        };
        let (code, error, description) =
            (once("code")?, once("error")?, once("error_description")?);
        if let Some(error) = error {
            return Ok(Callback::Error {
                error: text::clean_truncated(error, 100),
                description: description.map(|d| text::clean_truncated(d, 300)),
            });
        }
        match code.filter(|c| !c.is_empty()) {
            Some(code) => Ok(Callback::Code(Secret::new(code))),
            None => Err(CallbackError::Incomplete),
        }
    }

    /// Reads a redirect URL pasted by the user: it must be the redirect URI (same host, port
    /// and path), so that a URL from somewhere else is not taken for it.
    fn read_pasted(&self, pasted: &str) -> Result<Callback, CallbackError> {
        let url = url::Url::parse(pasted.trim())
            .map_err(|_| CallbackError::NotRedirect("paste the whole address, from http".into()))?;
        let expected = url::Url::parse(&self.uri)
            .map_err(|_| CallbackError::NotRedirect("the redirect URI is not an address".into()))?;
        let same = url.host_str() == expected.host_str()
            && url.port_or_known_default() == expected.port_or_known_default()
            && url.path() == expected.path();
        if !same {
            return Err(CallbackError::NotRedirect(format!(
                "it should start with {}",
                self.uri
            )));
        }
        self.read(url.query().unwrap_or_default())
    }
}

/// Compares digests, so the time taken tells nothing about how much of the state a guess got
/// right.
fn same_state(got: &str, expected: &str) -> bool {
    Sha256::digest(got) == Sha256::digest(expected)
}

/// A listener for the redirect, bound to 127.0.0.1, and the connections it is serving.
pub(crate) struct Listener {
    socket: TcpListener,
    redirect: Arc<Redirect>,
    serving: JoinSet<Option<Result<Callback, CallbackError>>>,
}

impl Listener {
    /// Binds 127.0.0.1:`port` (0: a port the system picks) for the redirect to `path` that
    /// carries `state`.
    pub(crate) async fn bind(port: u16, path: &str, state: &str) -> std::io::Result<Self> {
        let socket = TcpListener::bind(("127.0.0.1", port)).await?;
        let uri = crate::oauth::redirect_uri(socket.local_addr()?.port(), path);
        Ok(Self {
            socket,
            redirect: Arc::new(Redirect {
                uri,
                path: path.to_owned(),
                state: state.to_owned(),
            }),
            serving: JoinSet::new(),
        })
    }

    pub(crate) fn redirect_uri(&self) -> &str {
        &self.redirect.uri
    }

    /// Reads an address the user pasted as this sign-in's redirect.
    pub(crate) fn read_pasted(&self, pasted: &str) -> Result<Callback, CallbackError> {
        self.redirect.read_pasted(pasted)
    }

    /// The next request to the redirect path, answered: this sign-in's redirect, or why a
    /// request was not it. Cancel-safe: a connection accepted or served meanwhile is kept for
    /// the next call.
    pub(crate) async fn next(&mut self) -> Result<Callback, CallbackError> {
        loop {
            tokio::select! {
                accepted = self.socket.accept() => {
                    if let Ok((stream, _)) = accepted
                        && self.serving.len() < MAX_CONNECTIONS
                    {
                        self.serving.spawn(serve(stream, Arc::clone(&self.redirect)));
                    }
                }
                Some(served) = self.serving.join_next() => {
                    if let Ok(Some(result)) = served {
                        return result;
                    }
                }
            }
        }
    }
}

/// One connection: `None` when it was no request to the redirect path.
async fn serve(
    mut stream: TcpStream,
    redirect: Arc<Redirect>,
) -> Option<Result<Callback, CallbackError>> {
    let head = tokio::time::timeout(READ_WAIT, read_head(&mut stream))
        .await
        .ok()??;
    let mut request_line = head.lines().next()?.split(' ');
    let (method, target) = (request_line.next()?, request_line.next()?);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != redirect.path {
        let _ = respond(&mut stream, "404 Not Found", "Not the redirect path.").await;
        return None;
    }
    if method != "GET" {
        let _ = respond(&mut stream, "405 Method Not Allowed", "Not a redirect.").await;
        return None;
    }
    let result = redirect.read(query);
    let (status, page) = match &result {
        Ok(Callback::Code(_)) => (
            "200 OK",
            "credlink received the authorization. You can close this tab and go back to the terminal.",
        ),
        Ok(Callback::Error { .. }) => (
            "200 OK",
            "The authorization was not granted. The terminal says why; you can close this tab.",
        ),
        Err(CallbackError::Forged) => (
            "400 Bad Request",
            "This is not the sign-in credlink started (its state does not match), so credlink ignored it. The terminal keeps waiting for the sign-in.",
        ),
        Err(_) => (
            "400 Bad Request",
            "This address holds no authorization. Go back to the terminal.",
        ),
    };
    let _ = respond(&mut stream, status, page).await;
    Some(result)
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_HEAD {
            return None;
        }
        // Only the new bytes (and the three before them) can complete the end of the head.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if buf[from..].windows(4).any(|w| w == b"\r\n\r\n") {
            return String::from_utf8(buf).ok();
        }
    }
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

    fn redirect() -> Redirect {
        Redirect {
            uri: "http://127.0.0.1:8765/callback".into(),
            path: "/callback".into(),
            state: "st-1".into(),
        }
    }

    #[test]
    fn only_a_query_with_this_sign_ins_state_gives_a_code_or_the_providers_error() {
        let r = redirect();
        let Callback::Code(code) = r.read("code=abc%2F1&state=st-1").unwrap() else {
            panic!("a code")
        };
        assert_eq!(code.expose(), "abc/1");
        // Percent-encoded, the state is the same.
        assert!(matches!(
            r.read("code=c&state=st%2D1"),
            Ok(Callback::Code(_))
        ));
        let Callback::Error { error, description } = r
            .read("error=access_denied&error_description=The+user+said+no%1b[31m&state=st-1")
            .unwrap()
        else {
            panic!("an error")
        };
        assert_eq!(error, "access_denied");
        assert!(!description.unwrap().contains('\u{1b}'));
        for forged in [
            "code=c",
            "code=c&state=",
            "code=c&state=st-2",
            "code=c&state=ST-1",
            "code=c&state=st-1x",
            "code=c&state=st-1%00",
            "code=c&state=st-1&state=st-1",
            "code=c&state=x&state=st-1",
            "code=c&State=st-1",
            "error=access_denied",
            "error=access_denied&state=st-2",
        ] {
            assert!(
                matches!(r.read(forged), Err(CallbackError::Forged)),
                "{forged}"
            );
        }
        assert!(matches!(
            r.read("code=a&code=b&state=st-1"),
            Err(CallbackError::Repeated("code"))
        ));
        assert!(matches!(
            r.read("state=st-1&code="),
            Err(CallbackError::Incomplete)
        ));
    }

    #[test]
    fn a_pasted_address_must_be_the_redirect_uri_with_this_sign_ins_state() {
        let r = redirect();
        assert!(
            r.read_pasted("http://127.0.0.1:8765/callback?code=c&state=st-1")
                .is_ok()
        );
        assert!(
            r.read_pasted("  http://127.0.0.1:8765/callback?code=c&state=st-1\n")
                .is_ok()
        );
        assert!(matches!(
            r.read_pasted("http://127.0.0.1:8765/callback?code=c&state=old"),
            Err(CallbackError::Forged)
        ));
        for other in [
            "http://evil.example/callback?code=c&state=st-1",
            "http://127.0.0.1:8766/callback?code=c&state=st-1",
            "http://127.0.0.1:8765/other?code=c&state=st-1",
            "code=c&state=st-1",
        ] {
            assert!(
                matches!(r.read_pasted(other), Err(CallbackError::NotRedirect(_))),
                "{other}"
            );
        }
    }

    /// Sends `request` to the listener on `port`, returns the whole answer.
    async fn ask(port: u16, request: String) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply).await;
        reply
    }

    fn port(listener: &Listener) -> u16 {
        listener.socket.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn the_listener_answers_other_requests_and_returns_only_this_sign_ins_redirect() {
        let mut listener = Listener::bind(0, "/callback", "st-1").await.unwrap();
        let port = port(&listener);
        let get = |target: &str| format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        let refused = [
            (get("/favicon.ico"), "HTTP/1.1 404"),
            (get("/callback/?code=c&state=st-1"), "HTTP/1.1 404"),
            (get("/Callback?code=c&state=st-1"), "HTTP/1.1 404"),
            (
                get(&format!(
                    "http://127.0.0.1:{port}/callback?code=c&state=st-1"
                )),
                "HTTP/1.1 404",
            ),
            (
                "HEAD /callback?code=c&state=st-1 HTTP/1.1\r\n\r\n".to_owned(),
                "HTTP/1.1 405",
            ),
            (
                "POST /callback?code=c&state=st-1 HTTP/1.0\r\nContent-Length: 0\r\n\r\n".to_owned(),
                "HTTP/1.1 405",
            ),
            (get("/callback?code=forged&state=st-2"), "HTTP/1.1 400"),
            (get("/callback?error=access_denied"), "HTTP/1.1 400"),
        ];
        let client = tokio::spawn(async move {
            for (request, status) in refused {
                let reply = ask(port, request.clone()).await;
                assert!(reply.starts_with(status), "{request:?}: {reply}");
            }
            ask(
                port,
                "GET /callback?code=xyz&state=st-1 HTTP/1.0\r\n\r\n".into(),
            )
            .await
        });
        let mut forged = 0;
        let code = loop {
            match listener.next().await {
                Ok(Callback::Code(code)) => break code,
                Err(CallbackError::Forged) => forged += 1,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!((code.expose(), forged), ("xyz", 2));
        let reply = client.await.unwrap();
        assert!(
            reply.starts_with("HTTP/1.1 200") && !reply.contains("xyz"),
            "{reply}"
        );
    }

    #[tokio::test]
    async fn idle_connections_do_not_hold_up_the_redirect_and_a_flood_is_cut_off() {
        let mut listener = Listener::bind(0, "/callback", "st-1").await.unwrap();
        let port = port(&listener);
        let client = tokio::spawn(async move {
            let mut idle = Vec::new();
            for _ in 0..MAX_CONNECTIONS + 8 {
                idle.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
            }
            // The connections over the limit are closed unread.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let closed = idle
                .iter()
                .filter(|s| matches!(s.try_read(&mut [0u8; 1]), Ok(0)))
                .count();
            // Some are let go: the redirect gets a place again.
            idle.truncate(3);
            tokio::time::sleep(Duration::from_millis(300)).await;
            let reply = ask(
                port,
                "GET /callback?code=c&state=st-1 HTTP/1.1\r\n\r\n".into(),
            )
            .await;
            (closed, reply, idle)
        });
        let got = tokio::time::timeout(READ_WAIT / 2, listener.next()).await;
        assert!(matches!(got, Ok(Ok(Callback::Code(_)))), "{got:?}");
        let (closed, reply, _idle) = client.await.unwrap();
        assert_eq!(closed, 8);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    }
}
