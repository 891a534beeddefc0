//! A credential's expiry as data (`list`, `--json`, the index) and `test` warning before it
//! bites: `--warn-within`, `--fail-on-expiring` (exit 8), and a declared lifetime the provider
//! contradicts (the live check decides).

use serde_json::Value;

use crate::support::*;

/// A sandbox with the peer's connectors and `local-ten`, `local-twenty`, `local-one`.
fn sandbox(peer: &Peer) -> Sandbox {
    Sandbox::with_connectors(&(peer.connectors() + &lifetime_connectors(&peer.url)))
}

fn link(sb: &Sandbox, connector: &str, name: &str) {
    sb.when(&[
        "link",
        connector,
        "--name",
        name,
        "--client-id",
        "basic-client",
        "--client-secret-stdin",
    ])
    .stdin("basic-secret\n")
    .then()
    .exits(0);
}

/// Unix seconds of an RFC 3339 time.
fn unix(rfc3339: &Value) -> i64 {
    let at = humantime::parse_rfc3339(rfc3339.as_str().unwrap_or_else(|| panic!("{rfc3339}")));
    at.unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The `expires` of a JSON report or row: `days` from now (within a minute), on `basis`.
#[track_caller]
fn assert_expires(row: &Value, days: i64, basis: &str) {
    let expires = &row["expires"];
    assert_eq!(expires["basis"], basis, "{row}");
    let off = unix(&expires["at"]) - (now() + days * 86_400);
    assert!(
        off.abs() < 120,
        "{days} days from now, off by {off} s: {row}"
    );
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn test_warns_before_a_declared_lifetime_ends_and_fails_only_when_asked() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    link(&sb, "local-ten", "ten");
    link(&sb, "local-twenty", "twenty");
    link(&sb, "local-basic", "plain");

    // Ten days left: a warning at the default window (exit 0), a failure with the flag.
    sb.when(&["test", "ten"])
        .then()
        .exits(0)
        .stdout_has("ten (Local (ten)): expiring, ")
        .stdout_has("warning: expires on ")
        .stdout_has("(in 10 days), by the lifetime the provider documents");
    sb.when(&["test", "ten", "--fail-on-expiring"])
        .then()
        .exits(8);
    let report = sb.when(&["test", "ten", "--json"]).then().exits(0).json();
    assert_eq!(report[0]["status"], "expiring", "{report}");
    assert_eq!(report[0]["ok"], true, "{report}");
    assert_expires(&report[0], 10, "catalog_lifetime");
    assert_eq!(sb.index()["accounts"][0]["last_status"], "expiring");

    // Twenty days left: fine at the default window, a warning within 30 days.
    let out = sb
        .when(&["test", "twenty"])
        .then()
        .exits(0)
        .stdout_has("twenty (Local (twenty)): valid, ")
        .out;
    assert_lacks(&stdout(&out), "warning", "a warning 20 days ahead");
    sb.when(&["test", "twenty", "--warn-within", "30d"])
        .then()
        .exits(0)
        .stdout_has("twenty (Local (twenty)): expiring")
        .stdout_has("(in 20 days)");
    sb.when(&[
        "test",
        "twenty",
        "--warn-within",
        "30d",
        "--fail-on-expiring",
    ])
    .then()
    .exits(8);
    sb.when(&[
        "test",
        "twenty",
        "--warn-within",
        "12h",
        "--fail-on-expiring",
    ])
    .then()
    .exits(0);

    // Over several accounts: an expiring one fails the run only with the flag, and any other
    // failure's code comes first.
    sb.when(&["test", "--all"]).then().exits(0);
    sb.when(&["test", "--all", "--fail-on-expiring"])
        .then()
        .exits(8);
    sb.store_secret("plain", "wrong");
    sb.when(&["test", "--all", "--fail-on-expiring"])
        .then()
        .exits(3);

    // list: relative in the table, exact with its basis in --json; none where nothing says.
    sb.when(&["list"])
        .then()
        .exits(0)
        .stdout_has("EXPIRES")
        .stdout_has("in 10 days")
        .stdout_has("in 20 days");
    let rows = sb.when(&["list", "--json"]).then().exits(0).json();
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_expires(&row("ten"), 10, "catalog_lifetime");
    assert_expires(&row("twenty"), 20, "catalog_lifetime");
    assert_eq!(row("plain")["expires"], Value::Null);

    // --explain shows the expiry step, and fails it with the flag (the same exit code).
    sb.when(&["test", "--explain", "ten"])
        .then()
        .exits(0)
        .stdout_has("[warn] expiry")
        .stdout_has("expires on ");
    sb.when(&["test", "--explain", "ten", "--fail-on-expiring"])
        .then()
        .exits(8);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_credential_past_its_declared_lifetime_that_still_works_is_valid_with_a_warning() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    link(&sb, "local-one", "one");
    // Linked three days ago, by the index: a one-day lifetime ended two days ago.
    let mut index = sb.index();
    let three_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86_400);
    index["accounts"][0]["linked_at"] = humantime::format_rfc3339_seconds(three_days_ago)
        .to_string()
        .into();
    sb.write_index(index["accounts"].as_array().unwrap());

    sb.when(&["test", "one", "--fail-on-expiring"])
        .then()
        .exits(0)
        .stdout_has("one (Local (one)): valid, ")
        .stdout_has(
            "(2 days ago), yet the provider accepted it: the declared lifetime seems wrong",
        );
    let report = sb.when(&["test", "one", "--json"]).then().exits(0).json();
    assert_eq!(report[0]["status"], "valid", "{report}");
    assert_expires(&report[0], -2, "catalog_lifetime");
    sb.when(&["list"]).then().exits(0).stdout_has("2 days ago");
}

/// An index written before expiries existed loads, lists and tests; its record gains one once
/// a test finds it.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn an_old_record_without_an_expiry_loads_and_gains_one_when_tested() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    link(&sb, "local-ten", "ten");
    let mut index = sb.index();
    let record = index["accounts"][0].as_object_mut().unwrap();
    assert!(record.remove("expires").is_some(), "link records it");
    sb.write_index(index["accounts"].as_array().unwrap());

    let rows = sb.when(&["list", "--json"]).then().exits(0).json();
    assert_eq!(rows[0]["expires"], Value::Null, "{rows}");
    sb.when(&["test", "ten"])
        .then()
        .exits(0)
        .stdout_has("expiring");
    assert_expires(&sb.index()["accounts"][0], 10, "catalog_lifetime");
}

#[test]
fn a_bad_warning_window_is_a_usage_error() {
    let sb = Sandbox::new();
    for bad in ["soon", "-3d", "30", "99999d", ""] {
        let flag = format!("--warn-within={bad}");
        sb.when(&["test", "--all", &flag])
            .then()
            .exits(2)
            .stderr_has("--warn-within");
    }
    sb.when(&["test", "--all", "--warn-within", "soon"])
        .then()
        .exits(2)
        .stderr_has("is not a duration such as 30d, 12h or 1w");
}

/// A token answer that says how long the refresh token lives (`refresh_token_expires_in`, or
/// Intuit's `x_refresh_token_expires_in`): the provider is the basis, for values given ad hoc
/// too. oidc-provider never says it, so a stand-in does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_token_lifetime_the_provider_reports_is_the_expiry() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    for key in ["refresh_token_expires_in", "x_refresh_token_expires_in"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "tok-never-printed", "token_type": "Bearer",
                "expires_in": 3600, key: 10 * 86_400,
            })))
            .mount(&server)
            .await;
        let token_url = format!("{}/token", server.uri());
        let sb = Sandbox::with_connectors(&oauth_connector(&token_url, "post", "", ""));
        let check = |extra: &[&str]| {
            let args = [
                "test",
                "--connector",
                "mock",
                "--no-input",
                "--client-id",
                "c",
            ];
            sb.when(&[&args[..], extra].concat())
                .env("CREDLINK_CLIENT_SECRET", "s3cret-never-printed")
        };
        let report = check(&["--json"]).then().exits(0).json();
        assert_eq!(report[0]["status"], "expiring", "{key}: {report}");
        assert_expires(&report[0], 10, "provider");
        check(&["--fail-on-expiring"])
            .then()
            .exits(8)
            .stdout_has("(in 10 days), by the lifetime the provider reported")
            .hides("s3cret-never-printed")
            .hides("tok-never-printed");
    }
}

/// A key endpoint that says when the key expires, where the catalog declares where to read it
/// (`verify.expires_at_pointer`): RFC 3339 or Unix seconds; a value that is neither is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_a_key_endpoint_reports_where_the_catalog_points_is_read() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let in_ten_days = std::time::SystemTime::now() + std::time::Duration::from_secs(10 * 86_400);
    let rfc3339 = humantime::format_rfc3339_seconds(in_ten_days).to_string();
    let unix_seconds = now() + 10 * 86_400;
    let cases = [
        (serde_json::json!(rfc3339), true),
        (serde_json::json!(unix_seconds), true),
        (serde_json::json!(unix_seconds.to_string()), true),
        (serde_json::json!("soon"), false),
        (serde_json::json!(1e300), false),
        (serde_json::json!(-5), false),
        (serde_json::json!({"at": rfc3339}), false),
    ];
    for (value, read) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/me"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"key": {"expires_at": value}})),
            )
            .mount(&server)
            .await;
        let sb = Sandbox::with_connectors(&format!(
            r#"
[connectors.keyed]
name = "Keyed"
auth = "api_key"

[connectors.keyed.verify]
url = "{}/me"
bearer = "{{api_key}}"
expires_at_pointer = "/key/expires_at"

[[connectors.keyed.fields]]
id = "api_key"
label = "API key"
secret = true
"#,
            server.uri()
        ));
        let report = sb
            .when(&["test", "--connector", "keyed", "--no-input", "--json"])
            .env("CREDLINK_API_KEY", "key-never-printed")
            .then()
            .exits(0)
            .hides("key-never-printed")
            .json();
        if read {
            assert_eq!(report[0]["status"], "expiring", "{value}: {report}");
            assert_expires(&report[0], 10, "provider");
        } else {
            assert_eq!(report[0]["status"], "valid", "{value}: {report}");
            assert_eq!(report[0]["expires"], Value::Null, "{value}: {report}");
        }
    }
}

/// The CI formats with a credential that expires soon: a GitHub `::warning`, a passing JUnit
/// case (a failing one with `--fail-on-expiring`), and the expiry as a Prometheus gauge.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn the_ci_formats_show_a_credential_that_expires_soon() {
    let Some(peer) = Peer::start() else { return };
    let Some(()) = keyring() else { return };
    let sb = sandbox(&peer);
    link(&sb, "local-ten", "ten");

    let github = sb
        .when(&["test", "ten", "--format", "github"])
        .then()
        .exits(0)
        .out;
    let github = stdout(&github);
    let warning = github
        .lines()
        .find(|l| l.starts_with("::warning title=credlink%3A ten"))
        .unwrap_or_else(|| panic!("a ::warning for ten: {github}"));
    assert!(warning.contains("expiring: "), "{warning}");
    assert!(!github.contains("::notice"), "{github}");

    let junit = sb
        .when(&["test", "ten", "--format", "junit"])
        .then()
        .exits(0)
        .out;
    let junit = stdout(&junit);
    assert!(junit.contains("failures=\"0\""), "{junit}");
    let failing = sb
        .when(&["test", "ten", "--format", "junit", "--fail-on-expiring"])
        .then()
        .exits(8)
        .out;
    let failing = stdout(&failing);
    assert!(failing.contains("failures=\"1\""), "{failing}");
    assert!(failing.contains("type=\"expiring\""), "{failing}");

    let metrics = sb
        .when(&["test", "ten", "--format", "prometheus"])
        .then()
        .exits(0)
        .out;
    let metrics = stdout(&metrics);
    let expiry = metrics
        .lines()
        .find(|l| l.starts_with("credlink_account_expiry_timestamp_seconds{"))
        .unwrap_or_else(|| panic!("an expiry gauge: {metrics}"));
    let at: f64 = expiry.rsplit(' ').next().unwrap().parse().unwrap();
    let off = at as i64 - (now() + 10 * 86_400);
    assert!(
        off.abs() < 120,
        "ten days from now, off by {off} s: {expiry}"
    );
    assert!(
        metrics.contains("credlink_account_up{name=\"ten\""),
        "{metrics}"
    );
}
