//! The record read with the secret decides where the secret goes, never the listing
//! (`custom_metadata`).

use std::process::Output;

use crate::support::bao::*;
use crate::support::*;

/// `local-basic` again, on another peer: the host a forged listing would send the secret to.
fn elsewhere_connector(other: &Peer) -> String {
    format!(
        r#"
[connectors.elsewhere]
name = "Elsewhere"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "basic"
scope = "api:read"
revoke_url = "{url}/token/revocation"

[[connectors.elsewhere.fields]]
id = "client_id"
label = "Client ID"

[[connectors.elsewhere.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#,
        url = other.url
    )
}

/// Requests that reached a peer's token or revocation endpoint.
fn token_requests(peer: &Peer) -> usize {
    peer.requests()
        .iter()
        .filter(|l| l.starts_with("REQ POST /token"))
        .count()
}

/// Rewrites the account's listing (custom_metadata) as a token that may write metadata but
/// not read data could: the same keys, another connector.
fn forge_listing(bao: &Bao, name: &str, connector: &str) {
    let meta = bao.kv_metadata(&kv(name)).expect("the account's metadata");
    let mut args = vec!["kv".to_owned(), "metadata".to_owned(), "put".to_owned()];
    for (k, v) in meta["custom_metadata"].as_object().expect("a listing") {
        let v = if k == "connector" { connector } else { text(v) };
        args.push(format!("-custom-metadata={k}={v}"));
    }
    args.push(kv(name));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    bao.ok(&args);
    let now = bao.kv_metadata(&kv(name)).unwrap();
    assert_eq!(now["custom_metadata"]["connector"], connector, "{now}");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn vault_the_record_read_with_the_secret_decides_where_it_goes_never_the_listing() {
    let Some((peer, bao)) = peers() else { return };
    let Some(other) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let connectors = format!("{}{}", peer.connectors(), elsewhere_connector(&other));
    let m = Machine::new(&peer, &bao, &bao.root);
    m.sb.write_connectors(&connectors);
    m.link("mix", "basic-client", &[]).then().exits(0);
    let warned = |out: &Output| {
        assert_has(&stderr(out), "does not match its data");
        assert_has(
            &stderr(out),
            "connector `elsewhere`, the data `local-basic`",
        );
    };

    // Each path that reads the account, each after the listing was forged anew (a `test`
    // that records its result rewrites it from the data).
    let paths: [&[&str]; 5] = [
        &["test", "mix"],
        &["test", "--all", "--json"],
        &["token", "mix", "--fresh"],
        &["test", "--explain", "mix"],
        &["history", "mix"],
    ];
    for args in paths {
        forge_listing(&bao, "mix", "elsewhere");
        let out = m.run(args);
        assert_eq!(
            token_requests(&other),
            0,
            "{args:?} sent the secret elsewhere"
        );
        assert_exit(&out, 0);
        warned(&out);
        assert_hidden(&out, BASIC_SECRET);
    }
    let out = m.run(&["history", "mix", "--json"]);
    assert_eq!(
        json(&out)[0]["connector"],
        "local-basic",
        "{}",
        stdout(&out)
    );
    assert_eq!(json(&out)[0]["from_listing"], false, "{}", stdout(&out));
    // A result recorded by an admin rewrote the listing from the data.
    forge_listing(&bao, "mix", "elsewhere");
    m.when(&["test", "mix"]).then().exits(0);
    let meta = bao.kv_metadata(&kv("mix")).unwrap();
    assert_eq!(
        meta["custom_metadata"]["connector"], "local-basic",
        "{meta}"
    );

    // store copy takes the record read with the secret.
    forge_listing(&bao, "mix", "elsewhere");
    let k = Machine::new(&peer, &bao, &bao.root)
        .without("CREDLINK_STORE")
        .with_keychain();
    k.sb.write_connectors(&connectors);
    let out = k
        .when(&["store", "copy", "--from", STORE, "--to", "keychain", "mix"])
        .then()
        .exits(0)
        .out;
    warned(&out);
    assert_eq!(k.sb.index()["accounts"][0]["connector"], "local-basic");
    k.when(&["test", "mix"]).then().exits(0);

    // revoke revokes at the data's connector's host.
    forge_listing(&bao, "mix", "elsewhere");
    let out = m.when(&["revoke", "mix", "-y"]).then().exits(0).out;
    warned(&out);
    assert_absent(&bao, "mix");
    assert_eq!(token_requests(&other), 0, "nothing was ever sent elsewhere");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_a_replacement_whose_listing_cannot_be_written_says_the_new_secret_is_current() {
    let Some((peer, bao)) = peers() else { return };
    let Some(other) = Peer::start() else { return };
    let connectors = format!("{}{}", peer.connectors(), elsewhere_connector(&other));
    let admin = Machine::new(&peer, &bao, &bao.root);
    admin.sb.write_connectors(&connectors);
    admin.link("mix", "basic-client", &[]).then().exits(0);
    bao.policy(
        "credlink-data-only",
        r#"
path "secret/data/credlink/*" { capabilities = ["create", "read", "update"] }
path "secret/metadata/credlink/*" { capabilities = ["read", "list"] }
"#,
    );
    let limited = Machine::new(&peer, &bao, &bao.token(&["credlink-data-only"], "carol"));
    limited.sb.write_connectors(&connectors);
    limited
        .when(&[
            "link",
            "elsewhere",
            "--name",
            "mix",
            "--client-id",
            "basic-client",
            "--client-secret-stdin",
            "--force",
        ])
        .stdin(&format!("{BASIC_SECRET}\n"))
        .then()
        .exits(5)
        .stderr_has("is now the current one (version 2)")
        .stderr_has("never by the listing");
    let sent_elsewhere = token_requests(&other);
    let sent_here = token_requests(&peer);

    // The listing still says local-basic (version 1); every check goes by the data.
    assert_eq!(listed(&admin)[0]["connector"], "local-basic");
    admin
        .when(&["test", "--all"])
        .then()
        .exits(0)
        .stderr_has("it describes version 1, not 2");
    assert_eq!(
        token_requests(&peer),
        sent_here,
        "nothing went to the listing's host"
    );
    assert_eq!(token_requests(&other), sent_elsewhere + 1);
    assert_eq!(
        listed(&admin)[0]["connector"],
        "elsewhere",
        "the listing rewritten"
    );
}
