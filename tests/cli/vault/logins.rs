//! How credlink finds and logs in to the store: AppRole, JWT, namespaces, TLS, the store and
//! connection variables.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command as StdCommand;

use super::*;
use crate::support::bao::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_approle_login_with_secret_id_from_env_or_stdin() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let (role_id, secret_id) = bao.approle("ci", "credlink-admin");
    let ci = Machine::new(&peer, &bao, "")
        .without("BAO_TOKEN")
        .env("BAO_ROLE_ID", &role_id)
        .env("BAO_SECRET_ID", &secret_id)
        .env("CREDLINK_CLIENT_SECRET", BASIC_SECRET);
    ci.when(&[
        "link",
        "local-basic",
        "--name",
        "acme",
        "--client-id",
        "basic-client",
        "-v",
    ])
    .then()
    .exits(0)
    .hides(&secret_id)
    .hides(BASIC_SECRET);
    let got = assert_stored(&bao, "acme", "basic-client");
    assert_eq!(
        got["metadata"]["custom_metadata"]["linked_by"], "approle",
        "{got}"
    );
    ci.when(&["test", "acme"]).then().exits(0);

    // The secret id from stdin.
    let stdin_ci = Machine::new(&peer, &bao, "")
        .without("BAO_TOKEN")
        .env("BAO_ROLE_ID", &role_id);
    let out = stdin_ci
        .when(&["list", "--json", "--secret-id-stdin", "-v"])
        .stdin(&format!("{secret_id}\n"))
        .then()
        .exits(0)
        .hides(&secret_id)
        .out;
    assert_eq!(names(json(&out).as_array().unwrap()), ["acme"]);
    stdin_ci
        .when(&["test", "acme", "--secret-id-stdin"])
        .stdin(&format!("{secret_id}\n"))
        .then()
        .exits(0);

    // VAULT_* names work too.
    let vault_ci = Machine::new(&peer, &bao, "")
        .without("BAO_TOKEN")
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", &secret_id);
    assert_eq!(names(&listed(&vault_ci)), ["acme"]);

    // A wrong secret id: the store refuses, exit 5.
    let wrong = "00000000-1111-2222-3333-444444444444";
    stdin_ci
        .when(&["list", "--secret-id-stdin"])
        .stdin(&format!("{wrong}\n"))
        .then()
        .exits(5)
        .hides(wrong);
}

/// A JWT signed with `key` (PEM) for `aud`, as a CI job's identity token would be.
fn signed_jwt(key: &Path, aud: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "sub": "repo:acme/hr-sync:ref:refs/heads/main",
        "aud": aud,
        "iat": now,
        "exp": now + 300,
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&std::fs::read(key).unwrap()).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap()
}

/// A stand-in for GitHub Actions' token service on loopback: `GET ...&audience=AUD` with
/// `Authorization: bearer REQUEST_TOKEN` answers `{"value": JWT}`, anything else 401.
fn github_token_service(request_token: &'static str, jwt: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut stream = stream;
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request).to_lowercase();
            let allowed = text.starts_with("get /idtoken?api-version=2.0&audience=credlink-test ")
                && text.contains(&format!("authorization: bearer {request_token}\r\n"));
            let (status, body) = if allowed {
                ("200 OK", serde_json::json!({ "value": jwt }).to_string())
            } else {
                ("401 Unauthorized", "{}".to_owned())
            };
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    format!("http://{addr}/idtoken?api-version=2.0")
}

/// CI jobs log in with their identity token (`auth/jwt`): given in BAO_JWT, read from
/// BAO_JWT_PATH, or fetched from GitHub Actions' token service for BAO_JWT_AUDIENCE. The JWT
/// and GitHub's request token are never printed; a JWT the role does not accept, or
/// settings that cannot work, say why.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_jwt_login_from_env_file_or_github_actions() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = (keys.path().join("key.pem"), keys.path().join("pub.pem"));
    for args in [
        vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ],
        vec!["pkey", "-pubout", "-in", key.to_str().unwrap(), "-out"],
    ] {
        let target = if args[0] == "genpkey" { &key } else { &public };
        let out = StdCommand::new("openssl")
            .args(&args)
            .arg(target)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", describe(&out));
    }
    bao.ok(&["auth", "enable", "jwt"]);
    bao.ok(&[
        "write",
        "auth/jwt/config",
        &format!("jwt_validation_pubkeys=@{}", public.display()),
    ]);
    bao.ok(&[
        "write",
        "auth/jwt/role/ci",
        "role_type=jwt",
        "user_claim=sub",
        "bound_audiences=credlink-test",
        "token_policies=credlink-admin",
    ]);
    let jwt = signed_jwt(&key, "credlink-test");
    let job = |extra: &[(&str, &str)]| {
        let mut m = Machine::new(&peer, &bao, "")
            .without("BAO_TOKEN")
            .env("BAO_JWT_ROLE", "ci");
        for (k, v) in extra {
            m = m.env(k, v);
        }
        m
    };

    // Given in the environment: link, list, test.
    let given = job(&[("BAO_JWT", &jwt), ("CREDLINK_CLIENT_SECRET", BASIC_SECRET)]);
    given
        .when(&[
            "link",
            "local-basic",
            "--name",
            "acme",
            "--client-id",
            "basic-client",
            "-v",
        ])
        .then()
        .exits(0)
        .stderr_has("auth/jwt/login")
        .hides(&jwt)
        .hides(BASIC_SECRET);
    assert_stored(&bao, "acme", "basic-client");
    given
        .without("CREDLINK_CLIENT_SECRET")
        .when(&["test", "acme"])
        .then()
        .exits(0);

    // From a file, on a mount of another name.
    bao.ok(&["auth", "enable", "-path=ci-jwt", "jwt"]);
    bao.ok(&[
        "write",
        "auth/ci-jwt/config",
        &format!("jwt_validation_pubkeys=@{}", public.display()),
    ]);
    bao.ok(&[
        "write",
        "auth/ci-jwt/role/ci",
        "role_type=jwt",
        "user_claim=sub",
        "bound_audiences=credlink-test",
        "token_policies=credlink-admin",
    ]);
    let file = keys.path().join("token");
    std::fs::write(&file, format!("{jwt}\n")).unwrap();
    let from_file = job(&[
        ("VAULT_JWT_PATH", file.to_str().unwrap()),
        ("BAO_JWT_MOUNT", "ci-jwt"),
    ]);
    assert_eq!(names(&listed(&from_file)), ["acme"]);

    // From GitHub Actions' token service, for the audience the role binds.
    let service = github_token_service("gh-request-token", jwt.clone());
    let github = job(&[
        ("ACTIONS_ID_TOKEN_REQUEST_URL", &service),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"),
        ("BAO_JWT_AUDIENCE", "credlink-test"),
    ]);
    let out = github.when(&["list", "--json", "-v"]).then().exits(0).out;
    assert_eq!(names(json(&out).as_array().unwrap()), ["acme"]);
    assert_hidden(&out, "gh-request-token");
    assert_hidden(&out, &jwt);
    github
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-wrong-token")
        .when(&["list"])
        .then()
        .exits(5)
        .stderr_has("JWT login failed: GitHub's token service answered HTTP 401")
        .hides("gh-wrong-token");

    // A JWT for another audience: the server refuses it, and says why.
    let other = signed_jwt(&key, "someone-else");
    let out = job(&[("BAO_JWT", &other)])
        .when(&["list"])
        .then()
        .exits(5)
        .stderr_has("JWT login failed:")
        .out;
    assert_has(&lower(&out), "aud");
    assert_hidden(&out, &other);

    // Settings that cannot work: exit 2, before any request.
    for (extra, says) in [
        (vec![], "BAO_JWT_ROLE is set, but there is no JWT"),
        (vec![("BAO_JWT", "not-a-jwt")], "not a JWT"),
        (
            vec![("BAO_TOKEN", "s.sometoken"), ("BAO_JWT", jwt.as_str())],
            "both BAO_TOKEN and BAO_JWT_ROLE are set",
        ),
        (
            vec![("BAO_JWT", jwt.as_str()), ("BAO_JWT_MOUNT", "../sys")],
            "BAO_JWT_MOUNT must be the path of a JWT auth mount",
        ),
    ] {
        job(&extra)
            .when(&["list"])
            .then()
            .exits(2)
            .stderr_has(says)
            .hides("not-a-jwt");
    }
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_namespace_from_bao_or_vault_namespace() {
    let Some((peer, bao)) = peers() else { return };
    bao.namespace("team-a");
    let m = Machine::new(&peer, &bao, &bao.root).env("BAO_NAMESPACE", "team-a");
    m.link("acme", "basic-client", &[]).then().exits(0);
    assert_stored_in(&bao, Some("team-a"), "acme", "basic-client");
    assert_eq!(bao.kv_get(&kv("acme")), None, "not in the root namespace");
    assert_eq!(names(&listed(&m)), ["acme"]);
    m.when(&["test", "acme"]).then().exits(0);
    let v = Machine::new(&peer, &bao, &bao.root).env("VAULT_NAMESPACE", "team-a");
    assert_eq!(names(&listed(&v)), ["acme"]);
    let root_ns = Machine::new(&peer, &bao, &bao.root);
    assert_eq!(names(&listed(&root_ns)), Vec::<String>::new());
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_tls_with_a_ca_file_and_without() {
    let Some(bao) = Bao::dev_tls() else { return };
    let Some(peer) = Peer::start() else { return };
    let ca = bao.cacert.clone().unwrap();
    let m = Machine::new(&peer, &bao, &bao.root); // BAO_CACERT
    m.link("acme", "basic-client", &[]).then().exits(0);
    assert_stored(&bao, "acme", "basic-client");
    assert_eq!(names(&listed(&m)), ["acme"]);
    m.when(&["test", "acme"]).then().exits(0);

    let vault_ca = Machine::new(&peer, &bao, &bao.root)
        .without("BAO_CACERT")
        .env("VAULT_CACERT", &ca.display().to_string());
    assert_eq!(names(&listed(&vault_ca)), ["acme"]);

    let capath = tempfile::tempdir().unwrap();
    std::fs::copy(&ca, capath.path().join("ca.pem")).unwrap();
    let by_dir = Machine::new(&peer, &bao, &bao.root)
        .without("BAO_CACERT")
        .env("BAO_CAPATH", &capath.path().display().to_string());
    assert_eq!(names(&listed(&by_dir)), ["acme"]);

    let no_ca = Machine::new(&peer, &bao, &bao.root).without("BAO_CACERT");
    for args in [&["list"][..], &["test", "acme"]] {
        let out = no_ca.when(args).then().exits(5).out;
        let said = lower(&out);
        assert!(
            said.contains("tls") || said.contains("certificate"),
            "names TLS: {}",
            describe(&out)
        );
    }

    // The server reached by IP but verified as `localhost` (a name its certificate holds), as
    // through a tunnel: BAO_TLS_SERVER_NAME; a name the certificate does not hold fails TLS.
    let named = |name: &str| Machine::new(&peer, &bao, &bao.root).env("BAO_TLS_SERVER_NAME", name);
    assert!(bao.addr.starts_with("https://127.0.0.1:"), "{}", bao.addr);
    assert_eq!(names(&listed(&named("localhost"))), ["acme"]);
    named("LOCALHOST.").when(&["test", "acme"]).then().exits(0);
    let out = named("vault.example.com")
        .when(&["list"])
        .then()
        .exits(5)
        .out;
    assert_has(&lower(&out), "tls");
    assert_has(&stderr(&out), "vault.example.com");
    named("not a host!")
        .when(&["list"])
        .then()
        .exits(2)
        .stderr_has("BAO_TLS_SERVER_NAME must be a host name");

    let skip = Machine::new(&peer, &bao, &bao.root)
        .without("BAO_CACERT")
        .env("BAO_SKIP_VERIFY", "true");
    skip.when(&["list", "--json"])
        .then()
        .exits(0)
        .stderr_has("SKIP_VERIFY");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_store_selection_and_connection_variables() {
    let Some((peer, bao)) = peers() else { return };
    let plain = |extra: &[(&str, &str)]| {
        let mut m = Machine::bare(&peer)
            .env("BAO_ADDR", &bao.addr)
            .env("BAO_TOKEN", &bao.root);
        for (k, v) in extra {
            m = m.env(k, v);
        }
        m
    };

    // config.toml in the config dir.
    let m = plain(&[]);
    std::fs::create_dir_all(m.sb.config_dir()).unwrap();
    std::fs::write(
        m.sb.config_dir().join("config.toml"),
        "store = \"vault:secret/credlink\"\n",
    )
    .unwrap();
    m.link("from-config", "basic-client", &[]).then().exits(0);
    assert_stored(&bao, "from-config", "basic-client");
    // The environment overrides the file, the flag the environment.
    let m = m.env("CREDLINK_STORE", "vault:secret/from-env");
    m.link("e", "basic-client", &[]).then().exits(0);
    assert!(
        bao.kv_get("secret/from-env/e").is_some(),
        "CREDLINK_STORE wins over config.toml"
    );
    m.link("f", "basic-client", &["--store", "vault:secret/from-flag"])
        .then()
        .exits(0);
    assert!(
        bao.kv_get("secret/from-flag/f").is_some(),
        "--store wins over CREDLINK_STORE"
    );
    assert_eq!(bao.kv_metadata("secret/from-env/f"), None);
    let out = m
        .when(&["--store", "keychain", "list", "--json"])
        .then()
        .exits(0)
        .out;
    assert_eq!(
        json(&out),
        serde_json::json!([]),
        "--store keychain: the (empty) index"
    );

    // Malformed stores.
    for bad in ["vault:", "bogus", "vault:/credlink"] {
        plain(&[])
            .when(&["--store", bad, "list"])
            .then()
            .exits(2)
            .stderr_has("--store");
    }
    plain(&[("CREDLINK_STORE", "bogus")])
        .when(&["list"])
        .then()
        .exits(2);

    // BAO_ADDR, else VAULT_ADDR; neither, or an empty BAO_ADDR: exit 2 naming BAO_ADDR.
    let vault_addr =
        plain(&[("CREDLINK_STORE", STORE), ("VAULT_ADDR", bao.addr.as_str())]).without("BAO_ADDR");
    assert_eq!(names(&listed(&vault_addr)), ["from-config"]);
    for m in [
        plain(&[("CREDLINK_STORE", STORE)]).without("BAO_ADDR"),
        plain(&[
            ("CREDLINK_STORE", STORE),
            ("BAO_ADDR", ""),
            ("VAULT_ADDR", bao.addr.as_str()),
        ]),
    ] {
        m.when(&["list"]).then().exits(2).stderr_has("BAO_ADDR");
    }

    // Tokens: VAULT_TOKEN; an empty BAO_TOKEN wins over VAULT_TOKEN; BAO_TOKEN_PATH; ~/.vault-token.
    let v = plain(&[
        ("CREDLINK_STORE", STORE),
        ("VAULT_TOKEN", bao.root.as_str()),
    ])
    .without("BAO_TOKEN");
    assert_eq!(names(&listed(&v)), ["from-config"]);
    let empty = plain(&[
        ("CREDLINK_STORE", STORE),
        ("BAO_TOKEN", ""),
        ("VAULT_TOKEN", bao.root.as_str()),
    ]);
    let out = empty.link("empty-token", "basic-client", &[]).then().out;
    assert_ne!(
        out.status.code(),
        Some(0),
        "an empty BAO_TOKEN is not VAULT_TOKEN: {}",
        describe(&out)
    );
    assert_eq!(bao.kv_metadata(&kv("empty-token")), None);
    let file = plain(&[("CREDLINK_STORE", STORE)]).without("BAO_TOKEN");
    let token_file = file.sb.dir.path().join("token");
    std::fs::write(&token_file, format!("{}\n", bao.root)).unwrap();
    let file = file.env("BAO_TOKEN_PATH", &token_file.display().to_string());
    assert_eq!(names(&listed(&file)), ["from-config"]);
    let home = plain(&[("CREDLINK_STORE", STORE)]).without("BAO_TOKEN");
    std::fs::write(home.home().join(".vault-token"), &bao.root).unwrap();
    assert_eq!(names(&listed(&home)), ["from-config"]);
    home.when(&["list", "-v"]).then().hides(&bao.root);
}
