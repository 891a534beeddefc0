//! `test --explain` against a local HTTPS server: untrusted, self-signed and expired
//! certificates.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};

use super::*;
use crate::support::*;

/// A Python HTTPS server on an ephemeral loopback port (printed on stdout) that answers every
/// POST with a token. argv: certificate chain, key.
const TLS_SERVER: &str = r#"
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b'{"access_token":"tls-token-5c2e","expires_in":60}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.handle_error = lambda request, address: None
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

struct TlsServer {
    child: Child,
    port: u16,
}

impl TlsServer {
    fn start(cert: &Path, key: &Path) -> Self {
        let mut child = StdCommand::new("python3")
            .arg("-c")
            .arg(TLS_SERVER)
            .arg(cert)
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the TLS server printed {line:?}"));
        Self { child, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Some(())` when openssl and python3 can run.
fn tls_tools() -> Option<()> {
    for (tool, arg) in [("openssl", "version"), ("python3", "--version")] {
        let ok = StdCommand::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return skip_or_fail(tool);
        }
    }
    Some(())
}

/// `openssl ARGS` in `dir`, the arguments split at spaces.
#[track_caller]
fn openssl(dir: &Path, args: &str) {
    let out = StdCommand::new("openssl")
        .args(args.split(' '))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}:\n{}",
        describe(&out)
    );
}

/// A private CA (`ca.pem`) and a server certificate it signed for 127.0.0.1 and localhost
/// (`leaf.pem`, `leaf.key`), as a corporate TLS-inspecting proxy would present.
fn private_ca(dir: &Path) {
    openssl(
        dir,
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=credlink-test-CA",
    );
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=localhost",
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext",
    );
}

/// A TLS token endpoint with the certificate and key named (files in the sandbox's directory),
/// as the `mock` connector of the sandbox; `extra` as for [`post_connector`].
fn serve_tls(sb: &Sandbox, cert: &str, key: &str, extra: &str) -> TlsServer {
    let dir = sb.dir.path();
    let server = TlsServer::start(&dir.join(cert), &dir.join(key));
    sb.write_connectors(&post_connector(
        &format!("https://127.0.0.1:{}/token", server.port),
        extra,
    ));
    server
}

#[test]
fn an_untrusted_certificate_fails_at_the_tls_step_and_ca_file_fixes_it() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    private_ca(dir);
    let _server = serve_tls(&sb, "leaf.pem", "leaf.key", "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("tls", 4);
    assert_eq!(d.names(), ["input", "dns", "connect", "tls"]);
    assert_eq!(d.status("connect"), "ok", "TCP works, TLS does not");
    assert_has(
        text(&step["detail"]),
        "the server's certificate is not signed by an authority this machine trusts",
    );
    assert_has(text(&step["detail"]), "--ca-file");
    assert_eq!(step["hint"], generic_hint("tls"));
    let page = human(&sb, &MOCK_ENV, &MOCK_ARGS, 4);
    assert_human_failure(&page, "tls", 4, &generic_hint("tls"));

    let ca = dir.join("ca.pem");
    let d = diagnose(
        &sb,
        &MOCK_ENV,
        &with(&MOCK_ARGS, &["--ca-file", ca.to_str().unwrap()]),
    );
    d.passed();
    assert_eq!(d.status("tls"), "ok");
    assert_has(d.detail("tls"), "certificate trusted");
    assert_eq!(d.status("http"), "ok");
    assert_eq!(d.status("oauth"), "ok");
    assert_has(d.detail("oauth"), "valid 60 s");
    assert_hidden(&d.out, "tls-token-5c2e");
}

#[test]
fn a_self_signed_certificate_is_named_in_plain_words() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    openssl(
        dir,
        "req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1",
    );
    let _server = serve_tls(&sb, "cert.pem", "key.pem", "");

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("tls", 4);
    assert_has(text(&step["detail"]), "self-signed");
}

#[test]
fn an_expired_certificate_is_named_even_from_a_trusted_ca() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    private_ca(dir);
    // `openssl ca` is the one that takes validity dates in the past.
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n\
         default_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
    )
    .unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    openssl(
        dir,
        "ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in leaf.csr -out expired.pem -startdate 20200101000000Z -enddate 20200102000000Z -extfile leaf.ext",
    );
    let _server = serve_tls(&sb, "expired.pem", "leaf.key", "");
    let ca = dir.join("ca.pem");

    let d = diagnose(
        &sb,
        &MOCK_ENV,
        &with(&MOCK_ARGS, &["--ca-file", ca.to_str().unwrap()]),
    );
    let step = d.failed_at("tls", 4);
    assert_has(
        text(&step["detail"]),
        "the server's certificate has expired",
    );
}

#[test]
fn a_connectors_own_tls_hint_is_shown_at_the_tls_step() {
    let Some(()) = tls_tools() else { return };
    let sb = Sandbox::new();
    private_ca(sb.dir.path());
    let _server = serve_tls(
        &sb,
        "leaf.pem",
        "leaf.key",
        r#"hints = { tls = "CONN-TLS-HINT: no www." }"#,
    );

    let d = diagnose(&sb, &MOCK_ENV, &MOCK_ARGS);
    let step = d.failed_at("tls", 4);
    assert_eq!(step["hint"], "CONN-TLS-HINT: no www.");
}
