//! The sandbox of one test: its own config dir, keychain service and connectors file, and the
//! real binary run in it.

use std::path::PathBuf;
use std::process::Command as StdCommand;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use assert_cmd::Command;

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub service: String,
}

impl Sandbox {
    pub fn new() -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let service = format!(
            "credlink-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        Self {
            dir: tempfile::tempdir().unwrap(),
            service,
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn index_path(&self) -> PathBuf {
        self.config_dir().join("accounts.json")
    }

    pub fn connectors_path(&self) -> PathBuf {
        self.dir.path().join("connectors.toml")
    }

    pub fn write_connectors(&self, toml: &str) {
        std::fs::write(self.connectors_path(), toml).unwrap();
    }

    /// A sandbox with this connectors file.
    pub fn with_connectors(toml: &str) -> Self {
        let sb = Self::new();
        sb.write_connectors(toml);
        sb
    }

    /// A file beside the config dir, for what a run writes (`--output`, `--report`): credlink
    /// refuses to write into its config dir.
    pub fn out_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The real binary, isolated: its own config dir, keychain service and connectors file,
    /// and none of the caller's credential variables.
    pub fn std_cmd(&self) -> StdCommand {
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_credlink"));
        cmd.env("CREDLINK_CONFIG_DIR", self.config_dir())
            .env("CREDLINK_KEYCHAIN_SERVICE", &self.service)
            .env_remove("CREDLINK_CLIENT_ID")
            .env_remove("CREDLINK_CLIENT_SECRET")
            .env_remove("CREDLINK_API_KEY")
            .env_remove("CREDLINK_CONNECTORS")
            .env_remove("CREDLINK_STORE")
            .env_remove("CREDLINK_STORE_ALLOW_HTTP")
            // A test run inside GitHub Actions must not add its annotations to `test`'s output.
            .env_remove("GITHUB_ACTIONS");
        // The team store's settings of the caller's shell must not reach the binary.
        for var in [
            "ADDR",
            "TOKEN",
            "TOKEN_PATH",
            "ROLE_ID",
            "SECRET_ID",
            "NAMESPACE",
        ] {
            cmd.env_remove(format!("BAO_{var}"))
                .env_remove(format!("VAULT_{var}"));
        }
        if self.connectors_path().exists() {
            cmd.env("CREDLINK_CONNECTORS", self.connectors_path());
        }
        cmd
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.std_cmd());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    pub fn index(&self) -> serde_json::Value {
        match std::fs::read_to_string(self.index_path()) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => serde_json::json!({"version": 1, "accounts": []}),
        }
    }

    pub fn account_names(&self) -> Vec<String> {
        self.index()["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The index file as text, empty when there is none.
    pub fn index_text(&self) -> String {
        std::fs::read_to_string(self.index_path()).unwrap_or_default()
    }

    /// Writes a hand-made index (version 1) holding these account records, creating the
    /// config dir.
    pub fn write_index(&self, accounts: &[serde_json::Value]) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        let index = serde_json::json!({"version": 1, "accounts": accounts});
        std::fs::write(self.index_path(), index.to_string()).unwrap();
    }
}

/// Unset for every run so the steps do not depend on this machine's proxy settings.
pub const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];
