//! `private_key_jwt`: client assertions signed with RSA and EC keys.

use std::path::{Path, PathBuf};

use super::*;
use crate::support::*;

fn jwt_connector(peer: &Peer) -> String {
    format!(
        r#"
[connectors.local-jwt]
name = "Local (private_key_jwt)"
auth = "oauth2_client_credentials"
token_url = "{url}/token"
client_auth = "private_key_jwt"
scope = "api:read"

[[connectors.local-jwt.fields]]
id = "client_id"
label = "Client ID"

[[connectors.local-jwt.fields]]
id = "private_key"
label = "Private key"
secret = true
"#,
        url = peer.url
    )
}

/// The peer's keys as files: `rsa` and `ec` are registered for jwt-client, `other` is not.
fn jwt_keys(peer: &Peer, dir: &Path) -> Vec<(String, PathBuf, String)> {
    let keys = peer.call("GET", "/test/jwt-keys");
    ["rsa", "ec", "other"]
        .into_iter()
        .map(|name| {
            let pem = text(&keys[name]).to_owned();
            let path = dir.join(format!("{name}.pem"));
            std::fs::write(&path, &pem).unwrap();
            (name.to_owned(), path, pem)
        })
        .collect()
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn private_key_jwt_signs_with_rsa_and_ec_keys_and_a_wrong_key_is_rejected() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = Sandbox::with_connectors(&jwt_connector(&peer));
    let keys = jwt_keys(&peer, sb.dir.path());
    let link = |name: &str, key: &Path| {
        sb.cmd()
            .args(["-v", "link", "local-jwt", "--name", name])
            .args(["--client-id", "jwt-client", "--field-file"])
            .arg(format!("private_key={}", key.display()))
            .output()
            .unwrap()
    };
    for (name, path, pem) in &keys[..2] {
        let out = link(name, path);
        assert_exit(&out, 0);
        assert_has(&stdout(&out), "token valid for 600 s");
        assert_has(&stderr(&out), "client_assertion=(redacted)");
        assert_kept_secret(&sb, &[&out], &[&pem_line(pem)]);
        assert_eq!(sb.keychain_secret(name).as_deref(), Some(pem.trim()));
        sb.when(&["test", name]).then().exits(0);
        sb.when(&["token", name]).then().exits(0);
    }
    let (_, path, pem) = &keys[2];
    let out = link("other", path);
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_client");
    assert_has(&stderr(&out), "the private key is not the one registered");
    assert_kept_secret(&sb, &[&out], &[&pem_line(pem)]);
    assert_eq!(
        sb.account_names(),
        ["rsa", "ec"],
        "nothing saved for `other`"
    );

    // Not a key: exit 2 naming the field, nothing sent.
    let not_a_key = sb.dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, format!("{MARKER}\n")).unwrap();
    let out = link("bad", &not_a_key);
    assert_exit(&out, 2);
    assert_has(&stderr(&out), "Private key: is not a PEM private key");
    assert_hidden(&out, MARKER);
    // --explain agrees with test.
    let out = sb
        .cmd()
        .args(["test", "--explain", "--connector", "local-jwt"])
        .args(["--client-id", "jwt-client", "--field-file"])
        .arg(format!("private_key={}", path.display()))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_has(&stdout(&out), "Private key: PEM,");
    assert_has(&stdout(&out), "[FAIL] oauth");
    assert_kept_secret(&sb, &[&out], &[&pem_line(pem)]);
}
