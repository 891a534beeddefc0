//! Bad input of every kind exits 2, names the field and changes nothing.

use super::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn bad_input_of_every_kind_exits_2_and_changes_nothing() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = peer.sandbox();
    link(&sb, "basic-client", BASIC_SECRET, &["--name", "keep"])
        .then()
        .exits(0);
    let requests = peer.requests().len();
    let index_before = std::fs::read(sb.index_path()).unwrap();

    let file = |name: &str, text: &str| {
        let path = sb.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let good = peer.connectors();
    let changed = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    let unknown_key = file(
        "unknown-key.toml",
        &changed(
            "client_auth = \"basic\"",
            "client_auth = \"basic\"\ncolour = \"red\"",
        ),
    );
    let placeholder = file(
        "placeholder.toml",
        &changed("/token\"", "/{tenant}/token\""),
    );
    let plain_http = file(
        "plain-http.toml",
        &changed(
            &format!("token_url = \"{}/token\"", peer.url),
            "token_url = \"http://example.com/token\"",
        ),
    );
    let duplicate = file(
        "duplicate.toml",
        &format!("{good}\n[connectors.local-basic]\nname = \"Again\"\n"),
    );
    let two_secrets = file(
        "two-secrets.toml",
        &changed(
            "[connectors.local-post]",
            "[[connectors.local-basic.fields]]\nid = \"api_key\"\nlabel = \"API key\"\nsecret = true\n\n[connectors.local-post]",
        ),
    );
    let missing = sb.dir.path().join("missing.toml").display().to_string();
    let corrupt_dir = sb.dir.path().join("corrupt");
    std::fs::create_dir(&corrupt_dir).unwrap();
    let corrupt_index = corrupt_dir.join("accounts.json");
    std::fs::write(&corrupt_index, "{\"version\": 1,\n \"accounts\": [}\n").unwrap();
    let newer_dir = sb.dir.path().join("newer");
    std::fs::create_dir(&newer_dir).unwrap();
    let newer_index = newer_dir.join("accounts.json");
    std::fs::write(&newer_index, r#"{"version": 2, "accounts": []}"#).unwrap();
    let other_indexes = [
        (
            corrupt_index.clone(),
            std::fs::read(&corrupt_index).unwrap(),
        ),
        (newer_index.clone(), std::fs::read(&newer_index).unwrap()),
    ];
    let corrupt_dir = corrupt_dir.display().to_string();
    let newer_dir = newer_dir.display().to_string();
    let corrupt_index = corrupt_index.display().to_string();
    let newer_index = newer_index.display().to_string();

    let long_id = "a".repeat(5000);
    let long_name = "a".repeat(65);
    let secret = format!("{BASIC_SECRET}\n");
    let ok = ["--client-id", "basic-client", "--client-secret-stdin"];
    let link_with = |extra: &[&str]| -> Vec<String> {
        ["link", "local-basic"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let link_ok = |extra: &[&str]| -> Vec<String> {
        let mut args = link_with(&ok);
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    // (what, args, stdin, phrases stderr must hold)
    let cases: Vec<(&str, Vec<String>, String, Vec<String>)> = vec![
        (
            "empty client id",
            link_with(&["--client-id", "", "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: is empty".into(), "--client-id".into()],
        ),
        (
            "client id with a control character",
            link_with(&["--client-id", "basic\u{1b}client", "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: contains a control character".into()],
        ),
        (
            "client id of 5000 characters",
            link_with(&["--client-id", &long_id, "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: is longer than 4096 characters".into()],
        ),
        (
            "client id against the connector's pattern",
            link_with(&["--client-id", "Bad_ID", "--client-secret-stdin"]),
            secret.clone(),
            vec!["Client ID: `Bad_ID` does not match ^[a-z-]+$".into()],
        ),
        (
            "secret of 5000 characters on stdin",
            link_ok(&[]),
            format!("{}\n", MARKER.repeat(250)),
            vec!["Client secret: is longer than 4096 characters".into()],
        ),
        (
            "secret with a control character",
            link_ok(&[]),
            format!("{MARKER}\u{7}b\n"),
            vec!["Client secret: contains a control character".into()],
        ),
        (
            "empty secret on stdin",
            link_ok(&[]),
            "\n".into(),
            vec!["Client secret: is empty".into()],
        ),
        (
            "--field for a field the connector does not have",
            link_ok(&["--field", "nope=1"]),
            secret.clone(),
            vec![
                "--field: connector `local-basic` has no field `nope`".into(),
                "its fields are: client_id, client_secret".into(),
            ],
        ),
        (
            "--field without =",
            link_ok(&["--field", "nope"]),
            secret.clone(),
            vec!["--field `nope` is not KEY=VALUE".into()],
        ),
        (
            "--field client_secret=...",
            link_ok(&["--field", &format!("client_secret={MARKER}")]),
            secret.clone(),
            vec![
                "--field: `client_secret` is a secret and is never taken as a flag value".into(),
                "--client-secret-stdin".into(),
            ],
        ),
        (
            "client id given twice",
            link_ok(&["--field", "client_id=other"]),
            secret.clone(),
            vec!["--field: `client_id` is given twice".into()],
        ),
        (
            "--subdomain for a connector without one",
            link_ok(&["--subdomain", "acme"]),
            secret.clone(),
            vec!["--subdomain: connector `local-basic` has no field `subdomain`".into()],
        ),
        (
            "account name with a slash",
            link_ok(&["--name", "a/b"]),
            secret.clone(),
            vec!["account name `a/b` must be 1-64 letters".into()],
        ),
        (
            "account name of 65 characters",
            link_ok(&["--name", &long_name]),
            secret.clone(),
            vec![format!("account name `{long_name}` must be 1-64 letters")],
        ),
        (
            "empty account name",
            link_ok(&["--name", ""]),
            secret.clone(),
            vec!["account name `` must be 1-64 letters".into()],
        ),
        (
            "connectors file with an unknown key",
            link_ok(&["--connectors", &unknown_key]),
            secret.clone(),
            vec![unknown_key.clone(), "unknown field `colour`".into()],
        ),
        (
            "connectors file with a placeholder without its field",
            link_ok(&["--connectors", &placeholder]),
            secret.clone(),
            vec![
                "connector `local-basic` is invalid".into(),
                "`token_url` uses `{tenant}` but no field `tenant` is declared".into(),
                "--connectors".into(),
            ],
        ),
        (
            "connectors file with a plain-http token URL",
            link_ok(&["--connectors", &plain_http]),
            secret.clone(),
            vec![
                "connector `local-basic` is invalid".into(),
                "`token_url`: `http://example.com/token` must use https".into(),
            ],
        ),
        (
            "connectors file with a duplicate connector id",
            link_ok(&["--connectors", &duplicate]),
            secret.clone(),
            vec![duplicate.clone(), "duplicate key".into()],
        ),
        (
            "connectors file with two secret fields",
            link_ok(&["--connectors", &two_secrets]),
            secret.clone(),
            vec![
                "connector `local-basic` is invalid".into(),
                "exactly one secret field".into(),
            ],
        ),
        (
            "connectors file that does not exist",
            link_ok(&["--connectors", &missing]),
            secret.clone(),
            vec![format!("cannot read connectors file {missing}")],
        ),
        (
            "Traffit subdomain given as a URL of another host",
            [
                "test",
                "--connector",
                "traffit",
                "--subdomain",
                "https://acme.traffit.com.evil.example",
                "--client-id",
                "acme_credlink",
                "--client-secret-stdin",
            ]
            .map(String::from)
            .to_vec(),
            secret.clone(),
            vec![
                "Traffit subdomain".into(),
                "give only the subdomain: `acme`".into(),
            ],
        ),
        (
            "corrupt index file",
            link_ok(&["--config-dir", &corrupt_dir]),
            secret.clone(),
            vec![
                format!("the index file {corrupt_index} is not valid"),
                "line 2".into(),
            ],
        ),
        (
            "index file from a newer credlink",
            link_ok(&["--config-dir", &newer_dir]),
            secret.clone(),
            vec![
                format!("the index file {newer_index} has version 2"),
                "newer credlink".into(),
            ],
        ),
        (
            "--timeout 0",
            link_ok(&["--timeout", "0"]),
            secret.clone(),
            vec!["--timeout".into()],
        ),
    ];

    for (what, args, input, phrases) in &cases {
        let out = sb
            .cmd()
            .args(args)
            .write_stdin(input.as_str())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", describe(&out));
        for phrase in phrases {
            assert!(
                err.contains(phrase.as_str()),
                "{what}: expected {phrase:?} in:\n{err}"
            );
        }
        assert_lacks(&err, MARKER, what);
        assert_lacks(&stdout(&out), MARKER, what);
        assert_eq!(
            std::fs::read(sb.index_path()).unwrap(),
            index_before,
            "{what}: the index changed"
        );
        for (path, bytes) in &other_indexes {
            assert_eq!(
                &std::fs::read(path).unwrap(),
                bytes,
                "{what}: {} changed",
                path.display()
            );
        }
        assert_eq!(
            sb.keychain_secret("keep").as_deref(),
            Some(BASIC_SECRET),
            "{what}: the linked account's secret"
        );
        assert_eq!(
            sb.keychain_secret("local-basic"),
            None,
            "{what}: a secret was saved"
        );
    }
    assert_eq!(sb.account_names(), ["keep"]);
    assert_eq!(
        peer.requests().len(),
        requests,
        "bad input is refused before anything is sent"
    );
    sb.when(&["test", "keep"]).then().exits(0);
    println!("{} bad inputs: each exit 2, nothing changed", cases.len());
}
