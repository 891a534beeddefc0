//! `--format jsonl`: `test --json`'s object per account, a line each, written as each check
//! finishes.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use super::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring): run scripts/test"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_writes_each_account_as_it_finishes() {
    let Some(()) = keyring() else { return };
    let server = MockServer::start().await;
    let slow = token().set_delay(Duration::from_secs(6));
    let sb = linked_on_mock(
        &server,
        &["fast", "slow"],
        vec![("fast", token()), ("slow", slow)],
    )
    .await;

    let mut child = sb.when(&["test", "--all", "--format", "jsonl"]).spawn();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let first_at = Instant::now();
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let out = finish(child);
    // The slow account's answer came seconds after the fast one's line was out.
    assert!(
        first_at.elapsed() >= Duration::from_secs(3),
        "the first line came only at the end"
    );
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["name"], "fast", "{first}");
    assert_exit(&out, 0);
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["name"], "slow");
    sweep(&sb, &[&out], &[]);

    // Each object is the element of `--json`'s array for the same account.
    let json = sb.when(&["test", "--all", "--json"]).then().exits(0).json();
    for line in [&first, &rest[0]] {
        let element = json
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == line["name"])
            .unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(line), keys(element));
        assert_eq!(line["status"], element["status"]);
    }
}
