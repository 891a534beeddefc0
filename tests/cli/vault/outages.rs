//! A store that goes away: sealed, killed during `test --all`, a raft leader killed during
//! links.

use std::process::{Child, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;
use crate::support::bao::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_sealed_server_exits_5_and_loses_nothing() {
    let Some((peer, bao)) = peers() else { return };
    let m = Machine::new(&peer, &bao, &bao.root);
    m.link("acme", "basic-client", &[]).then().exits(0);
    m.when(&["test", "acme"]).then().exits(0);
    let before = bao.kv_get(&kv("acme")).unwrap();

    bao.seal();
    for args in [
        &["list"][..],
        &["test", "acme"],
        &["token", "acme"],
        &["history", "acme"],
    ] {
        let out = m.when(args).then().exits(5).out;
        assert_has(&lower(&out), "sealed");
    }
    let out = m.link("beta", "basic-client", &[]).then().exits(5).out;
    assert_has(&lower(&out), "sealed");
    let explained = m
        .when(&["test", "acme", "--explain", "--json"])
        .then()
        .exits(5)
        .json();
    let last = explained["steps"]
        .as_array()
        .and_then(|s| s.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["step"], "store", "{explained}");
    assert_eq!(last["status"], "failed", "{explained}");

    bao.unseal();
    assert_eq!(
        bao.kv_get(&kv("acme")).unwrap(),
        before,
        "nothing lost or changed"
    );
    assert_eq!(bao.kv_metadata(&kv("beta")), None);
    assert_eq!(names(&listed(&m)), ["acme"]);
    m.when(&["test", "acme"]).then().exits(0);
    m.link("beta", "basic-client", &[]).then().exits(0);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_server_killed_during_test_all_exits_5_and_keeps_every_record() {
    let Some(mut bao) = Bao::disk_server() else {
        return;
    };
    // Each token request takes 300 ms, so `test --all --concurrency 1` over 30 accounts runs
    // ~9 s and the server dies while most accounts are still to be read.
    let Some(peer) = Peer::start_with(&["--delay-ms", "300"]) else {
        return;
    };
    let m = Machine::new(&peer, &bao, &bao.root);
    let names: Vec<String> = (0..30).map(|i| format!("acct-{i:02}")).collect();
    for batch in names.chunks(10) {
        let children: Vec<(String, String, Child)> = batch
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let client = if i % 2 == 0 {
                    "basic-client"
                } else {
                    "post-client"
                };
                (n.clone(), client.to_owned(), m.spawn_link(n, client, &[]))
            })
            .collect();
        for (n, client, child) in children {
            let out = wait_for(child, Duration::from_secs(60), "link");
            assert_exit(&out, 0);
            assert_stored(&bao, &n, &client);
        }
    }
    let snapshot: Vec<Value> = names.iter().map(|n| bao.kv_get(&kv(n)).unwrap()).collect();

    let child = m.spawn(&["test", "--all", "--concurrency", "1"]);
    std::thread::sleep(Duration::from_millis(1500));
    bao.kill();
    let killed = Instant::now();
    let out = wait_for(child, Duration::from_secs(300), "test --all");
    let took = killed.elapsed();
    assert_exit(&out, 5);
    let said = lower(&out);
    assert!(
        said.contains(&format!("127.0.0.1:{}", bao.port))
            || ["connect", "unreachable", "refused"]
                .iter()
                .any(|w| said.contains(w)),
        "says the store cannot be reached: {}",
        describe(&out)
    );
    assert_hidden(&out, BASIC_SECRET);
    assert_hidden(&out, POST_SECRET);

    bao.restart();
    for (n, before) in names.iter().zip(&snapshot) {
        let now = bao.kv_get(&kv(n)).unwrap_or_else(|| panic!("{n} lost"));
        assert_eq!(now["data"], before["data"], "{n}");
        assert_eq!(
            now["metadata"]["version"], before["metadata"]["version"],
            "{n}"
        );
        for key in ["connector", "linked_at", "field.client_id", "linked_by"] {
            assert_eq!(
                now["metadata"]["custom_metadata"][key], before["metadata"]["custom_metadata"][key],
                "{n}: {key}"
            );
        }
        assert_consistent(&now, n, None);
    }
    let out = m.when(&["test", "--all", "--json"]).then().exits(0).out;
    assert_eq!(json(&out).as_array().map(Vec::len), Some(30));
    // A store that went away fails the remaining accounts promptly, as a dead keychain does.
    assert!(
        took < Duration::from_secs(60),
        "test --all took {took:?} after the store died"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_raft_leader_killed_during_links_and_tests_every_link_all_or_nothing() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let Some(peer) = Peer::start() else { return };
    let leader = cluster.leader(0).expect("a leader");
    let via = (leader + 1) % 3; // credlink talks to a node that survives
    let m = Machine::bare(&peer)
        .env("CREDLINK_STORE", STORE)
        .env("BAO_ADDR", &cluster.addr(via))
        .env("BAO_TOKEN", &cluster.root);

    // A loop of links (and tests of the account linked before); the leader dies during the
    // fourth iteration.
    let mut linked: Vec<(String, &str, Output)> = Vec::new();
    for i in 0..12 {
        let name = format!("acct-{i:02}");
        let client = if i % 2 == 0 {
            "basic-client"
        } else {
            "post-client"
        };
        let link = m.spawn_link(&name, client, &[]);
        let test = (i > 0).then(|| m.spawn(&["test", &format!("acct-{:02}", i - 1)]));
        if i == 3 {
            std::thread::sleep(Duration::from_millis(60));
            cluster.kill(leader);
        }
        let out = wait_for(link, Duration::from_secs(60), "link");
        assert!(
            matches!(out.status.code(), Some(0 | 5)),
            "a link during a leader change exits 0 or 5: {}",
            describe(&out)
        );
        if let Some(test) = test {
            let t = wait_for(test, Duration::from_secs(60), "test");
            assert!(
                matches!(t.status.code(), Some(0 | 5 | 6)),
                "{}",
                describe(&t)
            );
        }
        linked.push((name, client, out));
        if i >= 3 {
            // Spread the rest over the election (~2 s with performance_multiplier = 1).
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    // Read the store back from the new leader (a standby may answer reads from a lagging copy).
    let new_leader = cluster.wait_for_new_leader(leader, via, Duration::from_secs(30));

    // Every link fully happened (secret, record, custom_metadata; test passes) or not at all.
    // Problems are collected, so that one failure shows them all.
    let codes: Vec<String> = linked
        .iter()
        .map(|(n, _, o)| format!("{n}: {:?}", o.status.code()))
        .collect();
    eprintln!("links (the leader was killed during acct-03): {codes:?}");
    let mut problems = Vec::new();
    let mut happened = Vec::new();
    for (name, client, out) in &linked {
        match cluster.kv_get(new_leader, &kv(name)) {
            Some(got) => {
                if let Some(why) = inconsistency(&got, name, client) {
                    problems.push(format!(
                        "{name} (link exit {:?}) is in the store half-written: {why}",
                        out.status.code()
                    ));
                }
                let t = m.run(&["test", name]);
                if t.status.code() != Some(0) {
                    problems.push(format!("{name}: test fails: {}", describe(&t)));
                }
                happened.push(name.clone());
            }
            None => {
                if out.status.code() == Some(0) {
                    problems.push(format!("{name} linked (exit 0) but not in the store"));
                }
                let meta = cluster.bao(new_leader, &["kv", "metadata", "get", &kv(name)]);
                if meta.status.success() {
                    problems.push(format!("{name}: metadata without a secret"));
                }
            }
        }
    }
    if happened.len() < 3 {
        problems.push(format!("the links before the kill stay: {happened:?}"));
    }
    // Commands work again, and list shows exactly what is in the store.
    let rows = listed(&m);
    if names(&rows) != happened {
        problems.push(format!(
            "list shows {:?}, the store holds {happened:?}",
            names(&rows)
        ));
    }
    m.link("after", "basic-client", &[]).then().exits(0);
    let after = cluster
        .kv_get(new_leader, &kv("after"))
        .expect("`after` in the store");
    if let Some(why) = inconsistency(&after, "after", "basic-client") {
        problems.push(format!("after (linked once the new leader was up): {why}"));
    }
    for (name, _, out) in &linked {
        if out.status.code() != Some(0) && !happened.contains(name) {
            // Nothing half-written blocks a new link.
            let again = m.link(name, "basic-client", &[]).then().out;
            if again.status.code() != Some(0) {
                problems.push(format!("{name}: linking again fails: {}", describe(&again)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
}
