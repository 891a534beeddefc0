//! The real Secret Service (gnome-keyring in a throwaway D-Bus session, started by
//! scripts/test), read and written with `secret-tool`, independently of credlink.

use std::process::{Command as StdCommand, Stdio};

use super::{Sandbox, skip_or_fail};

/// `Some(())` when a real Secret Service is up (scripts/test sets CREDLINK_TEST_KEYRING).
pub fn keyring() -> Option<()> {
    if std::env::var_os("CREDLINK_TEST_KEYRING").is_some() {
        Some(())
    } else {
        skip_or_fail("a Secret Service (gnome-keyring)")
    }
}

impl Sandbox {
    /// The secret stored for an account, read with `secret-tool`, independently of credlink.
    pub fn keychain_secret(&self, account: &str) -> Option<String> {
        let out = StdCommand::new("secret-tool")
            .args(["lookup", "service", &self.service, "username", account])
            .output()
            .expect("secret-tool runs");
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    pub fn store_secret(&self, account: &str, secret: &str) {
        use std::io::Write;
        let mut child = StdCommand::new("secret-tool")
            .args([
                "store",
                "--label",
                "test",
                "service",
                &self.service,
                "username",
                account,
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(secret.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }

    /// Whether an access token is cached for an account (credlink keeps the last one beside the
    /// secret, under service `SERVICE:token`, so `revoke` can revoke it), read with `secret-tool`.
    pub fn has_cached_token(&self, account: &str) -> bool {
        StdCommand::new("secret-tool")
            .args([
                "lookup",
                "service",
                &format!("{}:token", self.service),
                "username",
                account,
            ])
            .output()
            .expect("secret-tool runs")
            .status
            .success()
    }

    pub fn clear_secret(&self, account: &str) {
        StdCommand::new("secret-tool")
            .args(["clear", "service", &self.service, "username", account])
            .status()
            .unwrap();
    }

    /// The secrets of every keychain item of this sandbox's service followed by `suffix` (""
    /// for the secrets, ":token" for the token cache), whatever their user names: read with
    /// `secret-tool search --all`, which prints each item's secret on stdout.
    pub fn secrets_in(&self, suffix: &str) -> Vec<String> {
        let out = StdCommand::new("secret-tool")
            .args([
                "search",
                "--all",
                "service",
                &format!("{}{suffix}", self.service),
            ])
            .output()
            .expect("secret-tool runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("secret = "))
            .map(str::to_owned)
            .collect()
    }
}
