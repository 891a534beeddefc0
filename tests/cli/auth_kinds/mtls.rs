//! `tls_client_auth`: a client certificate presented, and `--explain` saying when it expires.

use std::path::Path;
use std::process::Command as StdCommand;

use super::*;
use crate::support::*;

fn openssl(dir: &Path, args: &[&str]) {
    let out = StdCommand::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
}

/// A CA, a server certificate for 127.0.0.1, a client certificate (CN=mtls-client) it
/// issued, and a self-signed one with the same name.
fn make_pki(dir: &Path) {
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    // Version 3 (with extensions): TLS libraries refuse version 1 certificates.
    std::fs::write(
        dir.join("client.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    let steps: [&[&str]; 7] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=credlink test CA",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "30",
            "-extfile",
            "san.cnf",
        ],
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=mtls-client",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "client.pem",
            "-days",
            "400",
            "-extfile",
            "client.cnf",
        ],
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
            "-days",
            "400",
            "-subj",
            "/CN=mtls-client",
            "-addext",
            "basicConstraints=CA:FALSE",
        ],
        &["version"],
    ];
    for args in steps {
        openssl(dir, args);
    }
}

fn mtls_connector(url: &str, client_auth: &str) -> String {
    let certificate = if client_auth == "tls_client_auth" {
        r#"
[[connectors.local-mtls.fields]]
id = "client_certificate"
label = "Client certificate"

[[connectors.local-mtls.fields]]
id = "client_key"
label = "Client key"
secret = true
"#
    } else {
        r#"
[[connectors.local-mtls.fields]]
id = "client_secret"
label = "Client secret"
secret = true
"#
    };
    format!(
        r#"
[connectors.local-mtls]
name = "Local (mutual TLS)"
auth = "oauth2_client_credentials"
token_url = "{url}/oauth/token"
client_auth = "{client_auth}"
api_base = "{url}/api/"

[[connectors.local-mtls.fields]]
id = "client_id"
label = "Client ID"
{certificate}"#
    )
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, openssl, node): run scripts/test"
)]
#[test]
fn tls_client_auth_presents_the_certificate_and_explain_says_when_it_expires() {
    let Some(()) = keyring() else { return };
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let dir = pki.path().to_str().unwrap();
    let Some(stub) = Peer::start_stub(&["mtls", dir]) else {
        return;
    };
    let sb = Sandbox::with_connectors(&mtls_connector(&stub.url, "tls_client_auth"));
    let ca = format!("{dir}/ca.pem");
    let key_text = std::fs::read_to_string(pki.path().join("client.key")).unwrap();
    let other_key = std::fs::read_to_string(pki.path().join("other.key")).unwrap();
    let with = |args: &[&str], cert: &str, key: &str| {
        let certificate = format!("client_certificate={dir}/{cert}");
        let key = format!("client_key={dir}/{key}");
        let files = ["--field-file", &certificate, "--field-file", &key];
        let client = ["--client-id", "mtls-client"];
        sb.when(&[&["--ca-file", &ca][..], args, &client, &files].concat())
            .then()
            .out
    };

    let out = with(
        &["-v", "link", "local-mtls", "--name", "adp"],
        "client.pem",
        "client.key",
    );
    assert_exit(&out, 0);
    assert_has(&stdout(&out), "token valid for 3600 s");
    assert_kept_secret(&sb, &[&out], &[&pem_line(&key_text)]);
    let record = &sb.index()["accounts"][0];
    assert!(
        record["fields"].get("client_certificate").is_none(),
        "the certificate is kept with the key, not in the record: {record}"
    );
    sb.when(&["--ca-file", &ca, "token", "adp"]).then().exits(0);
    // `api` presents the certificate with the token, as the token request did.
    let out = sb
        .when(&["--ca-file", &ca, "api", "adp", "hr/v2/workers"])
        .then()
        .exits(0)
        .stdout_is(r#"{"path":"/api/hr/v2/workers","cn":"mtls-client"}"#)
        .out;
    assert_kept_secret(&sb, &[&out], &[&pem_line(&key_text)]);
    let out = sb
        .when(&["--ca-file", &ca, "test", "--explain", "adp"])
        .then()
        .exits(0)
        .out;
    let shown = stdout(&out);
    assert_has(&shown, "[ ok ] client certificate");
    assert_has(
        &shown,
        "CN=mtls-client, issued by CN=credlink test CA, expires ",
    );
    // Issued for 400 days: 400 days left within its first second (a fast run), 399 after.
    assert!(
        shown.contains("(in 399 days)") || shown.contains("(in 400 days)"),
        "expected 399 or 400 days left in:\n{shown}"
    );
    assert_has(&shown, "[ ok ] tls");
    assert_kept_secret(&sb, &[&out], &[&pem_line(&key_text)]);

    // A certificate the server's CA did not issue: rejected, exit 3, nothing saved.
    let out = with(
        &["link", "local-mtls", "--name", "other"],
        "other.pem",
        "other.key",
    );
    assert_exit(&out, 3);
    assert_has(&stderr(&out), "invalid_client");
    assert_has(&stderr(&out), "did not accept the client certificate");
    assert_kept_secret(&sb, &[&out], &[&pem_line(&other_key)]);
    assert_eq!(sb.account_names(), ["adp"]);
    // A key that does not belong to the certificate: a clear failure before any token.
    let out = with(
        &["test", "--connector", "local-mtls"],
        "client.pem",
        "other.key",
    );
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    assert_has(&stdout(&out), "does not belong to the client certificate");
    assert_kept_secret(&sb, &[&out], &[&pem_line(&other_key)]);
    // A certificate file that is not one: exit 2, naming the field.
    let out = with(
        &["test", "--connector", "local-mtls"],
        "client.key",
        "client.key",
    );
    assert_exit(&out, 2);
    assert_has(
        &stderr(&out),
        "Client certificate: is not a PEM certificate",
    );
    assert_kept_secret(&sb, &[&out], &[&pem_line(&key_text)]);

    // No certificate at all: the server refuses the client.
    sb.write_connectors(&mtls_connector(&stub.url, "post"));
    sb.when(&[
        "--ca-file",
        &ca,
        "test",
        "--connector",
        "local-mtls",
        "--client-id",
        "mtls-client",
    ])
    .env("CREDLINK_CLIENT_SECRET", MARKER)
    .then()
    .exits(3)
    .stdout_has("a client certificate issued by the trusted CA is required")
    .hides(MARKER);
}

/// A client certificate that ends in 10 days: its `notAfter` is the account's expiry (the
/// earliest source, named `certificate`), a warning in `test`, a failure with the flag.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, openssl, node): run scripts/test"
)]
#[test]
fn a_short_lived_client_certificate_is_the_expiry_test_warns_about() {
    let Some(()) = keyring() else { return };
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    openssl(
        pki.path(),
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "short.pem",
            "-days",
            "10",
            "-extfile",
            "client.cnf",
        ],
    );
    let dir = pki.path().to_str().unwrap();
    let Some(stub) = Peer::start_stub(&["mtls", dir]) else {
        return;
    };
    let sb = Sandbox::with_connectors(&mtls_connector(&stub.url, "tls_client_auth"));
    let ca = format!("{dir}/ca.pem");
    let certificate = format!("client_certificate={dir}/short.pem");
    let key = format!("client_key={dir}/client.key");
    let key_text = std::fs::read_to_string(pki.path().join("client.key")).unwrap();
    sb.when(&[
        "--ca-file",
        &ca,
        "link",
        "local-mtls",
        "--name",
        "adp",
        "--client-id",
        "mtls-client",
        "--field-file",
        &certificate,
        "--field-file",
        &key,
    ])
    .then()
    .exits(0);
    assert_eq!(sb.index()["accounts"][0]["expires"]["basis"], "certificate");

    let out = sb
        .when(&["--ca-file", &ca, "test", "adp"])
        .then()
        .exits(0)
        .stdout_has("adp (Local (mutual TLS)): expiring")
        .stdout_has("(in 10 days), by the client certificate's notAfter")
        .out;
    assert_kept_secret(&sb, &[&out], &[&pem_line(&key_text)]);
    sb.when(&["--ca-file", &ca, "test", "adp", "--fail-on-expiring"])
        .then()
        .exits(8);
    let report = sb
        .when(&["--ca-file", &ca, "test", "adp", "--json"])
        .then()
        .exits(0)
        .json();
    assert_eq!(report[0]["status"], "expiring", "{report}");
    assert_eq!(report[0]["expires"]["basis"], "certificate", "{report}");
    sb.when(&["list"]).then().exits(0).stdout_has("in 10 days");
}
