//! credlink on a "machine": its own config dir (a Sandbox), HOME, and environment; and the
//! store read back with the `bao` CLI, independently of credlink.

use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Output};

use serde_json::Value;

use super::Bao;
use crate::support::{
    PROXY_VARS, Peer, Sandbox, When, assert_exit, assert_lacks, json, spawn, text,
};

pub const STORE: &str = "vault:secret/credlink";

pub const BASIC_SECRET: &str = "basic-secret";

pub const POST_SECRET: &str = "post-secret";

/// Every variable of the Vault/OpenBao client conventions: unset for each run, so only what a
/// test sets counts.
pub const VAULT_VARS: [&str; 42] = [
    "BAO_ADDR",
    "VAULT_ADDR",
    "BAO_TOKEN",
    "VAULT_TOKEN",
    "BAO_TOKEN_PATH",
    "VAULT_TOKEN_PATH",
    "BAO_ROLE_ID",
    "VAULT_ROLE_ID",
    "BAO_SECRET_ID",
    "VAULT_SECRET_ID",
    "BAO_NAMESPACE",
    "VAULT_NAMESPACE",
    "BAO_CACERT",
    "VAULT_CACERT",
    "BAO_CAPATH",
    "VAULT_CAPATH",
    "BAO_CLIENT_CERT",
    "VAULT_CLIENT_CERT",
    "BAO_CLIENT_KEY",
    "VAULT_CLIENT_KEY",
    "BAO_SKIP_VERIFY",
    "VAULT_SKIP_VERIFY",
    "BAO_TLS_SERVER_NAME",
    "VAULT_TLS_SERVER_NAME",
    "BAO_HTTP_PROXY",
    "VAULT_HTTP_PROXY",
    "BAO_MAX_RETRIES",
    "VAULT_MAX_RETRIES",
    "BAO_JWT_ROLE",
    "VAULT_JWT_ROLE",
    "BAO_JWT",
    "VAULT_JWT",
    "BAO_JWT_PATH",
    "VAULT_JWT_PATH",
    "BAO_JWT_MOUNT",
    "VAULT_JWT_MOUNT",
    "BAO_JWT_AUDIENCE",
    "VAULT_JWT_AUDIENCE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "CREDLINK_STORE",
    "CREDLINK_CA_FILE",
];

// ------------------------------------------------------------------------------------------
// credlink on a "machine": its own config dir (a Sandbox), HOME, and environment
// ------------------------------------------------------------------------------------------

/// Policies to copy: full use of `secret/credlink`, support (read only), list only.
pub const ADMIN_POLICY: &str = r#"
path "secret/data/credlink/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
path "secret/metadata/credlink/*" { capabilities = ["create", "read", "update", "patch", "delete", "list"] }
path "secret/metadata/credlink" { capabilities = ["list"] }
"#;

pub const SUPPORT_POLICY: &str = r#"
path "secret/data/credlink/*" { capabilities = ["read"] }
path "secret/metadata/credlink/*" { capabilities = ["read", "list"] }
path "secret/metadata/credlink" { capabilities = ["list"] }
"#;

pub const LIST_ONLY_POLICY: &str = r#"
path "secret/metadata/credlink/*" { capabilities = ["read", "list"] }
path "secret/metadata/credlink" { capabilities = ["list"] }
"#;

pub struct Machine {
    pub sb: Sandbox,
    env: Vec<(String, String)>,
    keychain: bool,
}

impl Machine {
    /// A machine with the peer's connectors and nothing of the Vault store configured.
    pub fn bare(peer: &Peer) -> Self {
        let sb = Sandbox::new();
        sb.write_connectors(&peer.connectors());
        std::fs::create_dir_all(sb.dir.path().join("home")).unwrap();
        std::fs::create_dir_all(sb.dir.path().join("run")).unwrap();
        Self {
            sb,
            env: Vec::new(),
            keychain: false,
        }
    }

    /// A machine on `bao`'s `secret/credlink` with this token: BAO_ADDR, BAO_TOKEN,
    /// CREDLINK_STORE (and BAO_CACERT for a TLS server).
    pub fn new(peer: &Peer, bao: &Bao, token: &str) -> Self {
        let mut m = Self::bare(peer)
            .env("CREDLINK_STORE", STORE)
            .env("BAO_ADDR", &bao.addr)
            .env("BAO_TOKEN", token);
        if let Some(ca) = &bao.cacert {
            m = m.env("BAO_CACERT", &ca.display().to_string());
        }
        m
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, key: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Keeps the D-Bus session, for the keychain side of `store copy`.
    pub fn with_keychain(mut self) -> Self {
        self.keychain = true;
        self
    }

    pub fn home(&self) -> PathBuf {
        self.sb.dir.path().join("home")
    }

    pub fn std_cmd(&self) -> StdCommand {
        let mut cmd = self.sb.std_cmd();
        for v in VAULT_VARS.iter().chain(PROXY_VARS.iter()) {
            cmd.env_remove(v);
        }
        cmd.env("HOME", self.home());
        if !self.keychain {
            // No Secret Service reachable: the Vault store must not need one.
            cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env_remove("DISPLAY")
                .env_remove("WAYLAND_DISPLAY")
                .env("XDG_RUNTIME_DIR", self.sb.dir.path().join("run"));
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `credlink ARGS` on this machine, for [`When::then`].
    pub fn when(&self, args: &[&str]) -> When {
        When::new(self.std_cmd(), args)
    }

    /// `credlink ARGS` with `input` on stdin, at most 60 s.
    pub fn run_in(&self, args: &[&str], input: &str) -> Output {
        self.when(args).stdin(input).then().out
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(args, "")
    }

    /// `credlink link local-basic --name NAME --client-id ID --client-secret-stdin EXTRA`.
    pub fn link(&self, name: &str, client_id: &str, extra: &[&str]) -> When {
        let mut args = vec![
            "link",
            "local-basic",
            "--name",
            name,
            "--client-id",
            client_id,
            "--client-secret-stdin",
        ];
        args.extend_from_slice(extra);
        self.when(&args)
            .stdin(&format!("{}\n", secret_of(client_id)))
    }

    /// The same, started in the background.
    pub fn spawn_link(&self, name: &str, client_id: &str, extra: &[&str]) -> Child {
        let mut cmd = self.std_cmd();
        cmd.args([
            "link",
            "local-basic",
            "--name",
            name,
            "--client-id",
            client_id,
            "--client-secret-stdin",
        ])
        .args(extra);
        spawn(&mut cmd, &format!("{}\n", secret_of(client_id)))
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = self.std_cmd();
        cmd.args(args);
        spawn(&mut cmd, "")
    }
}

pub fn secret_of(client_id: &str) -> &'static str {
    match client_id {
        "basic-client" => BASIC_SECRET,
        "post-client" => POST_SECRET,
        other => panic!("no secret for {other}"),
    }
}

/// `path` of the account in the KV v2 mount, as the `bao kv` commands take it.
pub fn kv(name: &str) -> String {
    format!("secret/credlink/{name}")
}

/// Asserts the account is in the store in full: data `secret` and `record`, `custom_metadata`
/// with connector, linked_at and field.client_id, all for this client. Returns the kv get data.
#[track_caller]
pub fn assert_stored_in(bao: &Bao, ns: Option<&str>, name: &str, client_id: &str) -> Value {
    let got = bao
        .kv_get_in(ns, &kv(name))
        .unwrap_or_else(|| panic!("no secret at {} in the store", kv(name)));
    assert_consistent(&got, name, Some(client_id));
    got
}

#[track_caller]
pub fn assert_stored(bao: &Bao, name: &str, client_id: &str) -> Value {
    assert_stored_in(bao, None, name, client_id)
}

/// One account's `kv get` data holds a secret that belongs to the client id of its record and
/// of its custom_metadata (and to `client_id`, when given).
#[track_caller]
pub fn assert_consistent(got: &Value, name: &str, client_id: Option<&str>) {
    let data = &got["data"];
    let meta = &got["metadata"]["custom_metadata"];
    let meta_client = meta["field.client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no custom_metadata field.client_id in {got}"));
    if let Some(c) = client_id {
        assert_eq!(
            meta_client, c,
            "{name}: custom_metadata field.client_id in {got}"
        );
    }
    assert_eq!(
        data["secret"].as_str(),
        Some(secret_of(meta_client)),
        "{name}: the stored secret belongs to the record's client id {meta_client}: {got}"
    );
    assert_eq!(
        meta["connector"], "local-basic",
        "{name}: custom_metadata connector in {got}"
    );
    assert!(
        meta["linked_at"].as_str().is_some_and(|s| !s.is_empty()),
        "{name}: custom_metadata linked_at in {got}"
    );
    let record = text(&data["record"]);
    let parsed: Value = serde_json::from_str(record)
        .unwrap_or_else(|e| panic!("{name}: data `record` is not JSON ({e}): {record}"));
    assert_eq!(
        parsed["connector"], "local-basic",
        "{name}: record {parsed}"
    );
    assert!(
        record.contains(&format!("\"{meta_client}\"")),
        "{name}: the record's client id matches custom_metadata ({meta_client}): {record}"
    );
    assert_lacks(record, text(&data["secret"]), "the non-secret record");
}

/// What [`assert_consistent`] finds wrong, as text.
pub fn inconsistency(got: &Value, name: &str, client_id: &str) -> Option<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_consistent(got, name, Some(client_id))
    }))
    .err()
    .map(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// Nothing in the store for this account: no secret, no metadata, no cached token.
#[track_caller]
pub fn assert_absent(bao: &Bao, name: &str) {
    assert_eq!(bao.kv_metadata(&kv(name)), None, "metadata of {name}");
    assert_eq!(
        bao.kv_metadata(&kv(&format!(".tokens/{name}"))),
        None,
        "cached token of {name}"
    );
}

/// The rows of `list --json` by name.
#[track_caller]
pub fn listed(m: &Machine) -> Vec<Value> {
    let out = m.run(&["list", "--json"]);
    assert_exit(&out, 0);
    json(&out).as_array().cloned().expect("an array")
}

pub fn names(rows: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = rows.iter().map(|r| text(&r["name"]).to_owned()).collect();
    n.sort();
    n
}

/// Starts the peer and a dev server, or skips.
pub fn peers() -> Option<(Peer, Bao)> {
    let bao = Bao::dev()?;
    let peer = Peer::start()?;
    Some((peer, bao))
}
