//! Runs at once: runners taking turns with a rotating refresh token through a lease, twenty
//! links of one name.

use std::process::{Child, Output};
use std::time::Duration;

use serde_json::Value;

use crate::support::bao::*;
use crate::support::*;

/// A machine on the team store with the refresh-token connector too.
fn refresh_machine(peer: &Peer, bao: &Bao) -> Machine {
    let m = Machine::new(peer, bao, &bao.root);
    m.sb.write_connectors(&format!(
        "{}{}",
        peer.connectors(),
        refresh_connectors(peer)
    ));
    m
}

/// Writes a refresh lease by hand, as a runner that holds it for `secs` would have.
fn hold_lease(bao: &Bao, name: &str, by: &str, secs: u64) {
    bao.ok(&[
        "kv",
        "put",
        &kv(&format!(".locks/{name}")),
        "holder=another-run",
        &format!("by={by}"),
        &format!("hold={secs}"),
    ]);
}

/// Runners on two machines testing one account whose provider rotates refresh tokens, and
/// revokes the whole grant when a spent one comes back (oidc-provider): they take turns
/// through a lease under `.locks/NAME`, so every run passes and the link survives. A lease
/// whose runner died is taken over when its time runs out; one still held makes a run that
/// may not wait long enough give up with exit 7, testing and recording nothing.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_runners_take_turns_with_a_rotating_refresh_token() {
    let Some((peer, bao)) = peers() else { return };
    let (a, b) = (refresh_machine(&peer, &bao), refresh_machine(&peer, &bao));
    let first = text(&peer.call("POST", "/test/refresh-token")["refresh_token"]).to_owned();
    let linker = refresh_machine(&peer, &bao).env("CREDLINK_CLIENT_SECRET", "refresh-secret");
    linker
        .when(&link_refresh_args("wd"))
        .stdin(&format!("{first}\n"))
        .then()
        .exits(0);

    for round in 0..3 {
        let runs: Vec<Child> = (0..6)
            .map(|i| {
                let machine = if i % 2 == 0 { &a } else { &b };
                if i % 3 == 2 {
                    machine.spawn(&["token", "wd", "--fresh"])
                } else {
                    machine.spawn(&["test", "wd"])
                }
            })
            .collect();
        for run in runs {
            let out = wait_for(run, Duration::from_secs(120), "a racing test");
            assert!(
                out.status.success(),
                "round {round}: every run passes: {}",
                describe(&out)
            );
            assert_hidden(&out, &first);
            assert_hidden(&out, "refresh-secret");
        }
    }
    let out = a.when(&["test", "wd", "--json"]).then().exits(0).out;
    assert_eq!(json(&out)[0]["rotated"], true, "{}", describe(&out));
    let lease = bao.kv_get(&kv(".locks/wd"));
    assert_eq!(
        lease.as_ref().map(|l| l["data"]["hold"].clone()),
        Some(Value::from(0)),
        "a finished run ends its lease: {lease:?}"
    );

    // Ctrl-C while a run stores the token it rotated: it stores it and ends its lease before
    // it stops, so a teammate need not wait the lease out.
    if faults_built_in().is_some() {
        let flag = a.sb.dir.path().join("resume");
        let mut cmd = a.std_cmd();
        cmd.args(["test", "wd"]).env("CREDLINK_FAULT_RESUME", &flag);
        let mut paused = Paused::start(cmd, "rotate:before_store", "");
        paused.interrupt();
        paused.expect_line("stopping once the refresh token in use is stored");
        let out = paused.resume(&flag);
        assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
        let lease = bao.kv_get(&kv(".locks/wd"));
        assert_eq!(
            lease.as_ref().map(|l| l["data"]["hold"].clone()),
            Some(Value::from(0)),
            "an interrupted run ends its lease: {lease:?}"
        );
        b.when(&["test", "wd"])
            .then()
            .exits(0)
            .stderr_lacks("waiting for another credlink run");
    }

    // A runner died holding the lease: the next run waits until it runs out, then goes on.
    hold_lease(&bao, "wd", "crashed-runner", 3);
    b.when(&["test", "wd"]).then().exits(0).stderr_has(
        "waiting for another credlink run that is refreshing `wd`, held by crashed-runner until",
    );

    // A lease still held, and a run that may wait 1 s: exit 7, status `conflict`, nothing
    // recorded; `revoke` waits its turn too, and changes nothing.
    let tested_before =
        bao.kv_metadata(&kv("wd")).unwrap()["custom_metadata"]["last_tested_at"].clone();
    hold_lease(&bao, "wd", "ci-runner-7", 600);
    let impatient = refresh_machine(&peer, &bao).env("CREDLINK_REFRESH_WAIT", "1");
    let out = impatient
        .when(&["test", "wd", "--json"])
        .then()
        .exits(7)
        .out;
    let report = &json(&out)[0];
    assert_eq!(report["status"], "conflict", "{report}");
    assert_has(
        report["error_description"].as_str().unwrap_or_default(),
        "another credlink run is refreshing `wd`, held by ci-runner-7 until",
    );
    assert_eq!(
        bao.kv_metadata(&kv("wd")).unwrap()["custom_metadata"]["last_tested_at"],
        tested_before,
        "a run that gave up records nothing"
    );
    impatient
        .when(&["token", "wd", "--fresh"])
        .then()
        .exits(7)
        .prints_nothing()
        .stderr_has("error: no token for `wd`");
    impatient
        .when(&["revoke", "wd", "--yes"])
        .then()
        .exits(7)
        .stderr_has("ci-runner-7");
    assert!(bao.kv_get(&kv("wd")).is_some(), "revoke changed nothing");
    // A cached token needs no turn.
    impatient.when(&["token", "wd"]).then().exits(0);

    // Lease records written by hand: a hold that is no number of seconds counts as ended; the
    // largest one is capped (at the end of the year 9999) rather than overflowing; who holds
    // it is shown without its control characters.
    for hold in ["-5", "abc", ""] {
        bao.ok(&[
            "kv",
            "put",
            &kv(".locks/wd"),
            "holder=x",
            &format!("hold={hold}"),
        ]);
        impatient.when(&["test", "wd"]).then().exits(0);
    }
    bao.ok(&[
        "kv",
        "put",
        &kv(".locks/wd"),
        "holder=x",
        "by=\u{1b}[31mevil\u{7}",
        &format!("hold={}", u64::MAX),
    ]);
    let out = impatient
        .when(&["test", "wd"])
        .then()
        .exits(7)
        .stdout_has("held by [31mevil until 9999-12-31T23:59:59Z")
        .out;
    assert!(
        !format!("{}{}", stdout(&out), stderr(&out)).contains(['\u{1b}', '\u{7}']),
        "control characters are never printed: {}",
        describe(&out)
    );

    // A token that could not keep a rotated refresh token spends none: exit 5, naming the
    // capability and path; the account still works for a token that may.
    hold_lease(&bao, "wd", "nobody", 0);
    bao.policy("credlink-support", SUPPORT_POLICY);
    let support = bao.token(&["credlink-support"], "sam");
    let reader = refresh_machine(&peer, &bao).env("BAO_TOKEN", &support);
    reader.when(&["test", "wd"]).then().exits(5).stdout_has("checking `wd` spends its refresh token, which needs `update` on secret/data/credlink/wd").hides(&support);
    a.when(&["test", "wd"]).then().exits(0);

    // Nonsense for the wait is a usage error, before anything is read.
    refresh_machine(&peer, &bao)
        .env("CREDLINK_REFRESH_WAIT", "soon")
        .when(&["test", "wd"])
        .then()
        .exits(2)
        .stderr_has("CREDLINK_REFRESH_WAIT must be a whole number of seconds");

    // `revoke` removes the account everywhere: its lease record too.
    a.when(&["revoke", "wd", "--yes"]).then().exits(0);
    assert!(bao.kv_get(&kv("wd")).is_none());
    assert!(
        bao.kv_metadata(&kv(".locks/wd")).is_none(),
        "the lease record went with the account"
    );
}

/// 20 processes on two machines, half with each client: returns the outputs.
fn race(a: &Machine, b: &Machine, name: &str, extra: &[&str]) -> Vec<(String, Output)> {
    let children: Vec<(String, Child)> = (0..20)
        .map(|i| {
            let machine = if i % 2 == 0 { a } else { b };
            let client = if i % 4 < 2 {
                "basic-client"
            } else {
                "post-client"
            };
            (client.to_owned(), machine.spawn_link(name, client, extra))
        })
        .collect();
    children
        .into_iter()
        .map(|(c, child)| (c, wait_for(child, Duration::from_secs(90), "a racing link")))
        .collect()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_race_twenty_links_of_one_name_one_wins() {
    let Some((peer, bao)) = peers() else { return };
    let a = Machine::new(&peer, &bao, &bao.root);
    let b = Machine::new(&peer, &bao, &bao.root);
    let outs = race(&a, &b, "acme", &[]);
    let winners: Vec<&(String, Output)> = outs
        .iter()
        .filter(|(_, o)| o.status.code() == Some(0))
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one link wins: {:#?}",
        outs.iter()
            .map(|(c, o)| format!("{c}: {}", describe(o)))
            .collect::<Vec<_>>()
    );
    for (_, out) in &outs {
        assert_hidden(out, BASIC_SECRET);
        assert_hidden(out, POST_SECRET);
        match out.status.code() {
            Some(0) => {}
            Some(2) => {
                // "already linked", or "linked meanwhile" when it lost the create-only write
                let err = stderr(out);
                assert!(
                    err.contains("`acme`") && err.contains("linked"),
                    "says why: {}",
                    describe(out)
                );
            }
            Some(7) => assert_says_changed(out),
            _ => panic!("a losing link exits 2 or 7: {}", describe(out)),
        }
    }
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    assert_eq!(metadata["current_version"], 1, "one version: {metadata}");
    assert_eq!(
        metadata["versions"].as_object().map(|v| v.len()),
        Some(1),
        "{metadata}"
    );
    assert_stored(&bao, "acme", &winners[0].0);
    a.when(&["test", "acme"]).then().exits(0);
    b.when(&["test", "acme"]).then().exits(0);
}

#[track_caller]
fn assert_says_changed(out: &Output) {
    let err = stderr(out).to_lowercase();
    assert!(
        err.contains("acme")
            && ["changed", "meanwhile", "conflict", "check-and-set"]
                .iter()
                .any(|w| err.contains(w)),
        "exit 7 says the account changed meanwhile: {}",
        describe(out)
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_race_twenty_force_links_keep_secret_and_record_together() {
    let Some((peer, bao)) = peers() else { return };
    let a = Machine::new(&peer, &bao, &bao.root);
    let b = Machine::new(&peer, &bao, &bao.root);
    a.link("acme", "basic-client", &[]).then().exits(0);
    let outs = race(&a, &b, "acme", &["--force"]);
    let mut wins = 0;
    for (_, out) in &outs {
        assert_hidden(out, BASIC_SECRET);
        assert_hidden(out, POST_SECRET);
        match out.status.code() {
            Some(0) => wins += 1,
            Some(7) => assert_says_changed(out),
            _ => panic!("a racing link --force exits 0 or 7: {}", describe(out)),
        }
    }
    assert!(wins >= 1, "at least one link --force wins");
    let got = bao.kv_get(&kv("acme")).unwrap();
    assert_consistent(&got, "acme", None);
    let metadata = bao.kv_metadata(&kv("acme")).unwrap();
    // A loser writes nothing: at most one version per winner (a winner whose write another
    // process made identically may write none).
    let current = metadata["current_version"].as_u64().unwrap();
    assert!(
        (2..=1 + wins).contains(&current),
        "{wins} winners, version {current}: {metadata}"
    );
    let rows = listed(&b);
    assert_eq!(
        rows[0]["client_id"], got["metadata"]["custom_metadata"]["field.client_id"],
        "list shows the stored record"
    );
    a.when(&["test", "acme"]).then().exits(0);
    b.when(&["test", "acme"]).then().exits(0);
}
