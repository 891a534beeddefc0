//! A headless chromium driven over WebDriver by chromedriver (Debian's chromium and
//! chromium-driver), signing in on oidc-provider's pages.

use std::process::{Child, Command as StdCommand, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use super::{free_port, skip_or_fail};

/// chromedriver and a headless chromium session; `None` (a skip, a failure in CI) without them.
pub struct Browser {
    driver: Child,
    client: Client,
}

impl Browser {
    pub async fn start() -> Option<Self> {
        for tool in ["chromedriver", "chromium"] {
            let found = StdCommand::new(tool).arg("--version").output();
            if !found.is_ok_and(|o| o.status.success()) {
                return skip_or_fail(&format!("{tool} (Debian's chromium and chromium-driver)"));
            }
        }
        let port = free_port();
        let driver = StdCommand::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-proxy-server",
            ]}),
        );
        // The console, for pages that must render without an error (`console_errors`).
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({"browser": "ALL"}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Some(Self { driver, client }),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    /// Signs in on oidc-provider's pages at `url`, then allows (or cancels) the consent;
    /// returns the address the browser ended at.
    pub async fn consent(&self, url: &str, allow: bool) -> String {
        let c = &self.client;
        c.goto(url).await.unwrap();
        c.wait()
            .for_element(Locator::Css("input[name=login]"))
            .await
            .unwrap();
        self.log_in().await;
        // The consent page.
        let consent = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("input[name=prompt][value=consent]"))
            .await;
        if consent.is_err() {
            panic!(
                "no consent page at {}:\n{}",
                c.current_url().await.unwrap(),
                c.source().await.unwrap_or_default()
            );
        }
        if allow {
            c.find(Locator::Css("button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        } else {
            c.find(Locator::LinkText("[ Cancel ]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        for _ in 0..100 {
            let now = c.current_url().await.unwrap().to_string();
            if now.contains("/callback?") {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the browser did not reach the redirect: {}",
            c.current_url().await.unwrap()
        );
    }

    /// Enters `user_code` at the device verification address `uri`, then confirms, signs in
    /// and allows (or aborts at the confirmation).
    pub async fn approve_device(&self, uri: &str, user_code: &str, allow: bool) {
        let c = &self.client;
        c.goto(uri).await.unwrap();
        c.wait()
            .for_element(Locator::Css("input[name=user_code]"))
            .await
            .unwrap()
            .send_keys(user_code)
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // "Confirm Device".
        let confirm = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("button[name=abort]"))
            .await;
        let Ok(abort) = confirm else {
            panic!(
                "no device confirmation at {}:\n{}",
                c.current_url().await.unwrap(),
                c.source().await.unwrap_or_default()
            );
        };
        if !allow {
            abort.click().await.unwrap();
            self.wait_for_text("interrupted").await;
            return;
        }
        c.find(Locator::Css("button[autofocus]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("input[name=login]"))
            .await
            .unwrap();
        self.log_in().await;
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("input[name=prompt][value=consent]"))
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for_text("Sign-in Success").await;
    }

    /// Types alice's login and any password into oidc-provider's sign-in form (shown) and
    /// submits it.
    async fn log_in(&self) {
        let c = &self.client;
        c.find(Locator::Css("input[name=login]"))
            .await
            .unwrap()
            .send_keys("alice")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys("anything")
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub async fn wait_for_text(&self, text: &str) {
        let c = &self.client;
        for _ in 0..150 {
            if c.source().await.unwrap_or_default().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {text:?} at {}:\n{}",
            c.current_url().await.unwrap(),
            c.source().await.unwrap_or_default()
        );
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The console's errors since the last call (a script error, a refused style or load),
    /// from chromedriver's log endpoint.
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        log.as_array()
            .expect("chromedriver's log is a list")
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].to_string())
            .collect()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let mut driver = self.driver;
        let _ = driver.kill();
        let _ = driver.wait();
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// chromedriver's `POST /session/{id}/se/log` for the browser's console.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}
