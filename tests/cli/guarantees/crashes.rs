//! A process killed at any fault point leaves a state that `list` reads and `revoke` cleans up.

use super::*;
use crate::support::*;

/// special-client's secret at the peer (tests/peer/README.md).
const SPECIAL_SECRET: &str = "s3cr+t%20:/x";

/// A sandbox with the account `acct` linked, after a `revoke acct` killed at `point`.
fn revoke_killed_at(peer: &Peer, point: &'static str) -> Sandbox {
    let sb = peer.sandbox();
    link(&sb, "basic-client", BASIC_SECRET, &["--name", "acct"])
        .then()
        .exits(0);
    let mut cmd = sb.std_cmd();
    cmd.args(["revoke", "acct", "--yes"]);
    Paused::start(cmd, point, "").kill();
    sb
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn crash_points_leave_a_detectable_consistent_state() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let link_cmd = |sb: &Sandbox, name: &str| {
        let mut cmd = sb.std_cmd();
        cmd.args([
            "link",
            "local-basic",
            "--name",
            name,
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
        ]);
        cmd
    };
    let secret_in = format!("{BASIC_SECRET}\n");
    let mut tried = Vec::new();
    let mut leftovers = 0;

    // link, killed before its index record is in place: an orphan secret, no account.
    for point in ["link:after_keychain_write", "index:before_rename"] {
        let sb = peer.sandbox();
        Paused::start(link_cmd(&sb, "acct"), point, &secret_in).kill();
        assert!(!sb.index_path().exists(), "{point}: no index file yet");
        assert_listed(&sb, &[]);
        leftovers += assert_config_dir_lacks(&sb, BASIC_SECRET).len();
        assert!(!sb.has_cached_token("acct"), "{point}: no cached token");
        assert_orphan_is_cleaned_up(&sb, "acct");
        assert_listed(&sb, &[]);
        tried.push(format!("link@{point}"));
    }

    // link, killed after the record: a whole, working account (only the token cache is missing).
    {
        let point = "link:after_index_write";
        let sb = peer.sandbox();
        Paused::start(link_cmd(&sb, "acct"), point, &secret_in).kill();
        assert_listed(&sb, &["acct"]);
        assert_config_dir_lacks(&sb, BASIC_SECRET);
        assert_eq!(sb.keychain_secret("acct").as_deref(), Some(BASIC_SECRET));
        sb.when(&["test", "acct"])
            .then()
            .exits(0)
            .stdout_has("acct (Local (basic)): valid");
        tried.push(format!("link@{point}"));
    }

    // link of a second account, killed before the new index replaces the old: the first
    // account is untouched, byte for byte, and still works.
    {
        let point = "index:before_rename";
        let sb = peer.sandbox();
        link(&sb, "basic-client", BASIC_SECRET, &["--name", "first"])
            .then()
            .exits(0);
        let before = std::fs::read(sb.index_path()).unwrap();
        Paused::start(link_cmd(&sb, "second"), point, &secret_in).kill();
        assert_eq!(
            std::fs::read(sb.index_path()).unwrap(),
            before,
            "the old index survives whole"
        );
        assert_listed(&sb, &["first"]);
        leftovers += assert_config_dir_lacks(&sb, BASIC_SECRET).len();
        assert_eq!(sb.keychain_secret("first").as_deref(), Some(BASIC_SECRET));
        sb.when(&["test", "first"]).then().exits(0);
        assert_orphan_is_cleaned_up(&sb, "second");
        assert_listed(&sb, &["first"]);
        assert_eq!(sb.keychain_secret("first").as_deref(), Some(BASIC_SECRET));
        tried.push(format!("link (with an existing index)@{point}"));
    }

    // revoke, killed after removing the record: an orphan secret that the next revoke removes.
    {
        let point = "revoke:after_index_write";
        let sb = revoke_killed_at(&peer, point);
        assert_listed(&sb, &[]);
        assert_config_dir_lacks(&sb, BASIC_SECRET);
        sb.when(&["test", "acct"]).then().exits(6);
        assert_orphan_is_cleaned_up(&sb, "acct");
        tried.push(format!("revoke@{point}"));
    }

    // revoke, killed before the index without the record replaces the old one: the account is
    // still whole and working, and the next revoke removes all of it.
    {
        let point = "index:before_rename";
        let sb = revoke_killed_at(&peer, point);
        assert_listed(&sb, &["acct"]);
        leftovers += assert_config_dir_lacks(&sb, BASIC_SECRET).len();
        assert_eq!(sb.keychain_secret("acct").as_deref(), Some(BASIC_SECRET));
        sb.when(&["test", "acct"]).then().exits(0);
        sb.when(&["revoke", "acct", "--yes"])
            .then()
            .exits(0)
            .stdout_has("Revoked acct: removed from the index and the keychain");
        assert_listed(&sb, &[]);
        assert_eq!(sb.keychain_secret("acct"), None);
        assert!(!sb.has_cached_token("acct"));
        tried.push(format!("revoke@{point}"));
    }

    println!(
        "{} crash points tried (SIGKILL while paused): {}; {leftovers} leftover temporary index file(s), none holding a secret",
        tried.len(),
        tried.join(", ")
    );
}

/// `link --force` over a working account, killed between the keychain write and the index
/// write: the account must keep one whole pair of credentials, the old or the new.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_crash_while_replacing_an_account_keeps_one_whole_pair_of_credentials() {
    let Some(()) = faults_built_in() else { return };
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    for point in ["link:after_keychain_write", "index:before_rename"] {
        let sb = peer.sandbox();
        link(&sb, "basic-client", BASIC_SECRET, &["--name", "acct"])
            .then()
            .exits(0);
        let mut cmd = sb.std_cmd();
        cmd.args([
            "link",
            "local-basic",
            "--name",
            "acct",
            "--force",
            "--client-id",
            "special-client",
            "--client-secret-stdin",
        ]);
        Paused::start(cmd, point, &format!("{SPECIAL_SECRET}\n")).kill();
        assert_listed(&sb, &["acct"]);
        let client_id = sb.index()["accounts"][0]["fields"]["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let secret = sb.keychain_secret("acct");
        let pair = (client_id.as_str(), secret.as_deref());
        assert!(
            matches!(
                pair,
                ("basic-client", Some(BASIC_SECRET)) | ("special-client", Some(SPECIAL_SECRET))
            ),
            "killed at {point}: the record's client id and the stored secret do not belong \
             together: {pair:?}"
        );
        sb.when(&["test", "acct"]).then().exits(0);
    }
}
