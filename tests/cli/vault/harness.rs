//! The OpenBao harness itself: dev, TLS and disk servers, policies, tokens, AppRole,
//! namespaces, sealing, restarts, a raft cluster (it drives only the `bao` CLI).

use std::time::{Duration, Instant};

use crate::support::bao::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs OpenBao's bao: run scripts/test"
)]
#[test]
fn vault_harness_dev_server_policies_tokens_approle_namespace_seal_tls_restart() {
    let Some(bao) = Bao::dev() else { return };
    bao.policy("credlink-support", SUPPORT_POLICY);
    bao.ok(&[
        "kv",
        "put",
        "-cas=0",
        "secret/credlink/acme",
        "secret=s",
        "record={}",
    ]);
    bao.ok(&[
        "kv",
        "metadata",
        "put",
        "-custom-metadata=connector=local-basic",
        "secret/credlink/acme",
    ]);
    assert_eq!(bao.kv_list("secret/credlink"), ["acme"]);
    let got = bao.kv_get("secret/credlink/acme").unwrap();
    assert_eq!(got["data"]["secret"], "s");
    assert_eq!(
        got["metadata"]["custom_metadata"]["connector"],
        "local-basic"
    );
    assert_eq!(bao.kv_get("secret/credlink/nope"), None);
    assert_eq!(bao.kv_metadata("secret/credlink/nope"), None);

    let support = bao.token(&["credlink-support"], "sam");
    assert_eq!(bao.display_name(&support), "token-sam");
    let read = bao
        .cli_as(&support)
        .args(["kv", "get", "secret/credlink/acme"])
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", describe(&read));
    let write = bao
        .cli_as(&support)
        .args(["kv", "put", "secret/credlink/b", "x=1"])
        .output()
        .unwrap();
    assert!(stderr(&write).contains("Code: 403"), "{}", describe(&write));
    bao.ok(&["token", "revoke", &support]);
    let dead = bao
        .cli_as(&support)
        .args(["kv", "get", "secret/credlink/acme"])
        .output()
        .unwrap();
    assert!(stderr(&dead).contains("Code: 403"), "{}", describe(&dead));

    let (role_id, secret_id) = bao.approle("ci", "credlink-support");
    let login = bao
        .cli_as("")
        .args(["write", "-field=token", "auth/approle/login"])
        .arg(format!("role_id={role_id}"))
        .arg(format!("secret_id={secret_id}"))
        .output()
        .unwrap();
    assert!(login.status.success(), "{}", describe(&login));
    assert_eq!(bao.display_name(stdout(&login).trim()), "approle");

    bao.namespace("team-a");
    bao.cli()
        .env("BAO_NAMESPACE", "team-a")
        .args(["kv", "put", "secret/credlink/x", "secret=1"])
        .output()
        .unwrap();
    assert!(bao.kv_get_in(Some("team-a"), "secret/credlink/x").is_some());
    assert_eq!(bao.kv_get("secret/credlink/x"), None);

    bao.seal();
    let sealed = bao.bao(&["kv", "get", "secret/credlink/acme"]);
    assert!(stderr(&sealed).contains("sealed"), "{}", describe(&sealed));
    bao.unseal();
    assert_eq!(
        bao.kv_get("secret/credlink/acme").unwrap()["data"]["secret"],
        "s"
    );

    let Some(tls) = Bao::dev_tls() else { return };
    assert!(tls.addr.starts_with("https://"));
    tls.ok(&["kv", "put", "secret/x", "a=1"]); // verified with the CA file
    let unverified = bao_command(&tls.bin, tls.dir.path())
        .env("BAO_ADDR", &tls.addr)
        .env("BAO_TOKEN", &tls.root)
        .args(["kv", "list", "secret/"])
        .output()
        .unwrap();
    assert!(
        stderr(&unverified).contains("certificate"),
        "{}",
        describe(&unverified)
    );

    let Some(mut disk) = Bao::disk_server() else {
        return;
    };
    disk.ok(&["kv", "put", "secret/credlink/kept", "secret=k"]);
    disk.restart();
    assert_eq!(
        disk.kv_get("secret/credlink/kept").unwrap()["data"]["secret"],
        "k"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs OpenBao's bao: run scripts/test"
)]
#[test]
fn vault_harness_raft_cluster_forms_and_elects_a_new_leader() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let leader = cluster.leader(0).expect("a leader");
    let follower = (leader + 1) % 3;
    cluster.ok(
        follower,
        &["kv", "put", "secret/credlink/before", "secret=b"],
    );
    cluster.kill(leader);
    let new = cluster.wait_for_new_leader(leader, follower, Duration::from_secs(30));
    assert_ne!(new, leader);
    assert_eq!(
        cluster.kv_get(follower, "secret/credlink/before").unwrap()["data"]["secret"],
        "b"
    );
    cluster.ok(
        follower,
        &["kv", "put", "secret/credlink/after", "secret=a"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{:?}",
        started.elapsed()
    );
}
