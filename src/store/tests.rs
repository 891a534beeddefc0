//! Protocol tests of the store against the in-memory backend: replacement, removal, orphans,
//! a dying backend, and reads that race a replacement. The same protocol runs against the
//! real keychain in the integration suite.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::backend::{Entry, Memory, Namespace};
use super::*;

struct Given {
    store: Store,
    memory: Arc<Memory>,
    _dir: tempfile::TempDir,
}

fn given_a_store() -> Given {
    let dir = tempfile::tempdir().unwrap();
    let memory = Arc::new(Memory::default());
    let store = Store::new(
        Index::new(dir.path().join("cfg")),
        memory.clone(),
        Duration::from_secs(5),
    );
    Given {
        store,
        memory,
        _dir: dir,
    }
}

impl Given {
    /// Links (or with `replace`, relinks) an account as `link` would after a valid check.
    async fn link(&self, n: &str, linked_at: &str, secret: &str, replace: bool) {
        self.store
            .link(
                account(n, linked_at),
                &Secret::new(secret),
                Replace::forced(replace),
                None,
            )
            .await
            .unwrap();
    }

    /// Removes an account as `revoke` would: what was removed.
    async fn remove(&self, n: &str) -> Removed {
        self.store
            .begin_removal(&name(n))
            .await
            .unwrap()
            .finish()
            .await
            .unwrap()
    }
}

fn account(name: &str, linked_at: &str) -> Account {
    Account {
        name: name.into(),
        connector: "local".into(),
        auth: "oauth2_client_credentials".into(),
        fields: BTreeMap::from([("client_id".into(), "id".into())]),
        scope: None,
        requested_scope: None,
        expires_in: None,
        linked_at: linked_at.into(),
        last_tested_at: None,
        last_status: None,
        expires: None,
        linked_by: None,
        keychain_entry: None,
        revision: None,
    }
}

fn name(n: &str) -> AccountName {
    AccountName::parse(n).unwrap()
}

fn secret_keys(memory: &Memory) -> Vec<String> {
    memory
        .keys()
        .into_iter()
        .filter(|e| e.namespace == Namespace::Secret)
        .map(|e| e.key)
        .collect()
}

async fn secret_of(store: &Store, n: &str) -> Option<String> {
    let record = store.linked(&name(n)).await.unwrap();
    store
        .load(record)
        .await
        .unwrap()
        .secret
        .map(|s| s.expose().to_owned())
}

#[tokio::test]
async fn a_replacement_alternates_entries_and_leaves_one_secret() {
    let g = given_a_store();
    let s1 = Secret::new("first-secret");
    let s2 = Secret::new("second-secret");
    g.store
        .link(account("acme", "t1"), &s1, Replace::No, None)
        .await
        .unwrap();
    assert_eq!(secret_keys(&g.memory), ["acme"]);
    let again = g
        .store
        .link(account("acme", "t2"), &s2, Replace::No, None)
        .await;
    assert!(matches!(again, Err(StoreError::AlreadyLinked(_))));
    g.store
        .link(account("acme", "t2"), &s2, Replace::Any, None)
        .await
        .unwrap();
    assert_eq!(secret_keys(&g.memory), ["acme~2"]);
    assert_eq!(
        secret_of(&g.store, "acme").await.as_deref(),
        Some("second-secret")
    );
    g.store
        .link(account("acme", "t3"), &s1, Replace::Any, None)
        .await
        .unwrap();
    assert_eq!(secret_keys(&g.memory), ["acme"]);
}

#[tokio::test]
async fn a_read_that_races_a_replacement_finds_the_new_secret() {
    let g = given_a_store();
    g.link("acme", "t1", "first-secret", false).await;
    let seen_before = g.store.linked(&name("acme")).await.unwrap();
    g.link("acme", "t2", "second-secret", true).await;
    let loaded = g.store.load(seen_before).await.unwrap();
    assert_eq!(loaded.secret.unwrap().expose(), "second-secret");
    assert_eq!(loaded.account.linked_at, "t2");
}

#[tokio::test]
async fn results_are_recorded_only_onto_the_link_they_were_found_for() {
    let g = given_a_store();
    g.link("acme", "t1", "first-secret", false).await;
    let tested = g.store.linked(&name("acme")).await.unwrap();
    g.link("acme", "t2", "second-secret", true).await;
    let results = [Tested {
        account: tested,
        status: "secret_missing",
        expires: None,
        at: "t9".into(),
    }];
    g.store
        .record_as_found(futures_util::stream::iter(results))
        .await
        .unwrap();
    let now = g.store.linked(&name("acme")).await.unwrap();
    assert_eq!(now.last_status, None);
}

#[tokio::test]
async fn removal_takes_record_secrets_and_token_and_changes_nothing_when_dropped() {
    let g = given_a_store();
    let token = CachedToken::new(Secret::new("access-token"), Some(60));
    g.store
        .link(
            account("acme", "t1"),
            &Secret::new("first-secret"),
            Replace::No,
            Some(token),
        )
        .await
        .unwrap();
    let removal = g.store.begin_removal(&name("acme")).await.unwrap();
    assert_eq!(
        removal.token.as_ref().unwrap().access_token.expose(),
        "access-token"
    );
    drop(removal);
    assert_eq!(g.memory.keys().len(), 2);
    let removed = g.remove("acme").await;
    assert!(removed.record && removed.secret);
    assert!(g.memory.keys().is_empty());
    assert!(matches!(
        g.store.begin_removal(&name("acme")).await,
        Err(StoreError::NotLinked(_))
    ));
}

#[tokio::test]
async fn orphans_of_a_name_are_removable_and_no_other_names_are_touched() {
    let g = given_a_store();
    let orphan = Entry {
        namespace: Namespace::Token,
        key: "gone".into(),
    };
    g.memory.set(&orphan, &Secret::new("live-token")).unwrap();
    g.link("acme2", "t1", "first-secret", false).await;
    g.link("acme2", "t2", "second-secret", true).await;
    let removed = g.remove("gone").await;
    assert!(!removed.record);
    assert_eq!(secret_keys(&g.memory), ["acme2~2"]);
    assert!(AccountName::parse("acme2~2").is_err());
}

#[tokio::test]
async fn a_dying_backend_fails_the_link_before_the_record_is_written() {
    let g = given_a_store();
    *g.memory.fail_after.lock().unwrap() = Some(0);
    let result = g
        .store
        .link(
            account("acme", "t1"),
            &Secret::new("first-secret"),
            Replace::No,
            None,
        )
        .await;
    assert!(matches!(result, Err(StoreError::Backend(_))));
    assert!(g.store.records().await.unwrap().is_empty());
}

/// Stores a rotated secret onto the link `read`, as `keep_rotated` does.
async fn keep_late_rotation(g: &Given, read: &Account) -> Result<(), StoreError> {
    g.store
        .link(
            read.clone(),
            &Secret::new("late"),
            Replace::Only(read),
            None,
        )
        .await
}

#[tokio::test]
async fn a_rotation_is_kept_only_on_the_link_it_came_from() {
    let g = given_a_store();
    g.link("acme", "t1", "first-secret", false).await;
    let read = g.store.record(&name("acme")).await.unwrap().unwrap();
    // Still the link read: replaced.
    g.store
        .link(
            read.clone(),
            &Secret::new("rotated"),
            Replace::Only(&read),
            None,
        )
        .await
        .unwrap();
    let rotated = g.store.record(&name("acme")).await.unwrap().unwrap();
    let loaded = g.store.load(rotated.clone()).await.unwrap();
    assert_eq!(loaded.secret.unwrap().expose(), "rotated");
    // Linked anew meanwhile: nothing written, the new link kept.
    g.link("acme", "t2", "second-secret", true).await;
    let stale = keep_late_rotation(&g, &rotated).await;
    assert!(matches!(stale, Err(StoreError::Relinked(_))), "{stale:?}");
    let now = g.store.record(&name("acme")).await.unwrap().unwrap();
    assert_eq!(now.linked_at, "t2");
    let loaded = g.store.load(now).await.unwrap();
    assert_eq!(loaded.secret.unwrap().expose(), "second-secret");
    // Removed meanwhile: nothing written.
    g.remove("acme").await;
    let gone = keep_late_rotation(&g, &rotated).await;
    assert!(matches!(gone, Err(StoreError::Relinked(_))), "{gone:?}");
    assert!(g.store.record(&name("acme")).await.unwrap().is_none());
}

/// `revoke` removes an account's lock file while it holds it. A run that was waiting on the
/// removed file must not count as holding the lease once it gets that file's lock: it takes
/// the lock of the file now at the path, which another run may already hold.
#[tokio::test]
async fn a_lock_on_a_removed_lock_file_is_no_lease() {
    let given = given_a_store();
    let Store::Local(local) = &given.store else {
        unreachable!()
    };
    let name = AccountName::parse("acme").unwrap();
    let turn = |secs| Turn {
        hold: Duration::from_secs(60),
        wait: Duration::from_secs(secs),
        waiting: &|_: &Waiting| {},
    };
    let (at_once, two_seconds) = (turn(0), turn(2));
    let revoking = given.store.refresh_lease(&name, &at_once).await.unwrap();
    let waiting = given.store.refresh_lease(&name, &two_seconds);
    // The revocation removes the lock file, a new link's run locks a new one, and the revoke
    // ends: the waiting run now gets the old file's lock, which guards nothing.
    let interleaved = async {
        tokio::time::sleep(lease::POLL).await;
        local.index().remove_refresh_lock_file(&name);
        let relinked = given.store.refresh_lease(&name, &at_once).await.unwrap();
        given.store.release(Some(revoking)).await;
        relinked
    };
    let (waited, relinked) = tokio::join!(waiting, interleaved);
    assert!(
        matches!(waited, Err(StoreError::Busy(_))),
        "the waiting run must wait for the new file's holder: {:?}",
        waited.as_ref().err()
    );
    given.store.release(Some(relinked)).await;
    let again = given.store.refresh_lease(&name, &at_once).await;
    assert!(again.is_ok(), "free again once the holder lets go");
    given.store.release(again.ok()).await;
}
