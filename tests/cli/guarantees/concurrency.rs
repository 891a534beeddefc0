//! Nothing lost when runs meet: twenty links at once, a link racing a revoke of the same name.

use std::process::{Child, Output};
use std::time::{Duration, Instant};

use super::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn twenty_concurrent_links_all_land() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    const N: usize = 20;

    let started = Instant::now();
    let names: Vec<String> = (0..N).map(|i| format!("acct-{i}")).collect();
    let children: Vec<Child> = names
        .iter()
        .map(|name| link(&sb, "basic-client", BASIC_SECRET, &["--name", name]).spawn())
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(finish).collect();
    let elapsed = started.elapsed();

    for (name, out) in names.iter().zip(&outputs) {
        assert_exit(out, 0);
        assert_has(&stdout(out), &format!("Linked {name} (Local (basic))"));
    }
    let mut stored = sb.account_names();
    stored.sort_unstable();
    let mut expected = names.clone();
    expected.sort_unstable();
    assert_eq!(stored, expected, "every link landed in the index, once");
    for name in &names {
        assert_eq!(
            sb.keychain_secret(name).as_deref(),
            Some(BASIC_SECRET),
            "{name}: secret"
        );
    }
    println!(
        "{N} concurrent `link` processes: {} exited 0, {} records, {N} secrets, in {elapsed:.1?}",
        outputs.iter().filter(|o| o.status.success()).count(),
        stored.len()
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn link_and_revoke_of_the_same_name_race_to_a_consistent_state() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    // When `revoke` starts relative to `link --force`, in ms (negative: `revoke` starts first):
    // the same moment, and apart enough that each of them takes the index lock first in some
    // round.
    let offsets_ms: [i64; 6] = [0, 0, -50, -150, 50, 150];
    let (mut kept, mut removed) = (0, 0);

    for (round, offset) in offsets_ms.into_iter().enumerate() {
        let name = format!("race-{round}");
        link(&sb, "basic-client", BASIC_SECRET, &["--name", &name])
            .then()
            .exits(0);
        let pause = || std::thread::sleep(Duration::from_millis(offset.unsigned_abs()));
        let start_relink = || {
            link(
                &sb,
                "basic-client",
                BASIC_SECRET,
                &["--name", &name, "--force"],
            )
            .spawn()
        };
        let start_revoke = || spawn(sb.std_cmd().args(["revoke", &name, "--yes"]), "");
        let (relink, revoke) = if offset < 0 {
            let revoke = start_revoke();
            pause();
            (start_relink(), revoke)
        } else {
            let relink = start_relink();
            pause();
            (relink, start_revoke())
        };
        let (relink, revoke) = (finish(relink), finish(revoke));
        assert_exit(&relink, 0);
        assert_exit(&revoke, 0);

        let record = sb.account_names().contains(&name);
        let secret = sb.keychain_secret(&name);
        match (record, secret.as_deref()) {
            (true, Some(BASIC_SECRET)) => kept += 1,
            (false, None) => removed += 1,
            (record, secret) => panic!(
                "round {round} ({offset:+} ms): inconsistent: record {record}, secret {secret:?}\n\
                 --- link:\n{}\n--- revoke:\n{}",
                describe(&relink),
                describe(&revoke)
            ),
        }
        assert_eq!(
            sb.has_cached_token(&name),
            record,
            "round {round}: the cached token goes with the account"
        );
        // The survivor is a working account; `test` proves it.
        if record {
            sb.when(&["test", &name]).then().exits(0);
        }
    }
    println!(
        "{} link/revoke races: {kept} ended linked, {removed} ended revoked, none half-way",
        offsets_ms.len()
    );
}
