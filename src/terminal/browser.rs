//! Opening an address in the user's browser. Only an https address, or http to this machine,
//! is opened, so an address a provider sends cannot start another program (`javascript:`,
//! `file:`). The opener is given a launch page, a file only this user can read that sends the
//! browser on, not the address itself: a sign-in address carries its `state` and PKCE
//! challenge, and a command line can be read by every user of the machine.

use std::io::Write;

use url::Url;

use crate::base::template;
use crate::base::text;
use crate::terminal::ui;

/// An address a provider sent, cleaned to be shown; the address opened is the one shown.
pub(crate) struct PeerAddress {
    shown: String,
    url: Option<Url>,
}

impl PeerAddress {
    pub(crate) fn new(raw: &str) -> Self {
        let cleaned = text::clean(raw);
        match Url::parse(&cleaned) {
            // The serialization: hosts in punycode, anything else outside ASCII escaped.
            Ok(url) => Self {
                shown: url.to_string(),
                url: Some(url),
            },
            Err(_) => Self {
                shown: cleaned,
                url: None,
            },
        }
    }

    /// [`open`]s the address, or says why it is no address to open.
    pub(crate) fn open(&self) -> Option<LaunchPage> {
        match &self.url {
            Some(url) => open(url),
            None => {
                ui::note(&format!(
                    "the browser was not opened: `{}` is not an address",
                    self.shown
                ));
                None
            }
        }
    }
}

impl std::fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Why `url` is not opened in a browser, if it is not: the rule of the addresses credlink
/// sends requests to, and no user name.
fn refusal(url: &Url) -> Option<String> {
    if template::check_url_scheme(url).is_err() {
        return Some(format!(
            "credlink opens only https addresses (or http on this machine), not this `{}:` one",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("the address carries a user name, which can disguise where it leads".into());
    }
    None
}

/// A launch page for as long as it lives: removed when dropped, once the sign-in is over.
pub(crate) struct LaunchPage(tempfile::NamedTempFile);

/// Opens `url` in the system's browser through a launch page; where it may not be opened or
/// opening fails, a note says so, and the address printed before is the way on.
pub(crate) fn open(url: &Url) -> Option<LaunchPage> {
    if let Some(why) = refusal(url) {
        ui::note(&format!(
            "the browser was not opened at this address: {why}"
        ));
        return None;
    }
    let opened = launch_page(url).and_then(|page| {
        start_opener(page.0.path())?;
        Ok(page)
    });
    if opened.is_err() {
        ui::note("no browser could be opened: open the address above yourself");
    }
    opened.ok()
}

/// A page that sends the browser on to `url`, in a file only this user can read (mode 0600 on
/// Unix, in the user's own temporary directory elsewhere).
fn launch_page(url: &Url) -> std::io::Result<LaunchPage> {
    let mut file = tempfile::Builder::new()
        .prefix("credlink-sign-in-")
        .suffix(".html")
        .tempfile()?;
    let href = html_attribute(url.as_str());
    writeln!(
        file,
        "<!doctype html><meta charset=utf-8><meta name=referrer content=no-referrer>\
         <meta http-equiv=refresh content=\"0; url={href}\"><title>credlink</title>\
         <p><a href=\"{href}\">Continue to the sign-in</a></p>"
    )?;
    file.flush()?;
    Ok(LaunchPage(file))
}

fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn start_opener(page: &std::path::Path) -> std::io::Result<()> {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        // Not `cmd /c start`: cmd would split a path at its `&`s.
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_http_to_this_machine_is_opened() {
        for ok in [
            "https://example.com/device",
            "HTTPS://EXAMPLE.com/device?user_code=AB-CD",
            "https:/\\example.com/device",
            "http://127.0.0.1:8080/device",
            "http://127.1.2.3/device",
            "http://[::1]:8080/device",
            "http://localhost/device",
        ] {
            let url = Url::parse(ok).unwrap();
            assert_eq!(refusal(&url), None, "{ok}");
        }
        for refused in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "ftp://example.com/",
            "http://example.com/device",
            "http://localhost.example.com/device",
            "http://[::ffff:7f00:1]/device",
            "https://accounts.example.com@evil.example/device",
            "https://user:pass@example.com/device",
            "ms-settings:privacy",
        ] {
            let url = Url::parse(refused).unwrap();
            assert!(refusal(&url).is_some(), "{refused}");
        }
    }

    #[test]
    fn a_peer_address_is_shown_clean_and_as_it_is_opened() {
        let a = PeerAddress::new("\u{202e}https://exa\u{200b}mple.com/dev\u{2066}ice\u{1b}[0m");
        assert_eq!(a.to_string(), "https://example.com/device[0m");
        let a = PeerAddress::new("https://bücher.example/gerät");
        assert_eq!(a.to_string(), "https://xn--bcher-kva.example/ger%C3%A4t");
        // Controls before a scheme do not hide it.
        let a = PeerAddress::new("\u{1}\t javascript:alert(1)");
        assert_eq!(a.to_string(), "javascript:alert(1)");
        assert!(refusal(a.url.as_ref().unwrap()).is_some());
        let a = PeerAddress::new("example.com/\u{200f}device");
        assert_eq!(
            (a.to_string().as_str(), a.url.is_none()),
            ("example.com/device", true)
        );
    }

    #[test]
    fn the_launch_page_sends_the_browser_on_and_only_its_owner_can_read_it() {
        let url = Url::parse("https://example.com/auth?a=1&b=%22x%22&state=s'").unwrap();
        let page = launch_page(&url).unwrap();
        let html = std::fs::read_to_string(page.0.path()).unwrap();
        assert!(
            html.contains(&format!("url={}\"", html_attribute(url.as_str()))),
            "{html}"
        );
        assert!(!html.contains("a=1&b"), "{html}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(page.0.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let path = page.0.path().to_owned();
        drop(page);
        assert!(!path.exists());
    }
}
