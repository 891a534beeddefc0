//! `--format prometheus`: the text format node_exporter's textfile collector reads, as
//! `promtool check metrics` checks it.

use super::*;

/// `promtool check metrics` on `text`: its complaints, or `None` when promtool is missing.
fn promtool(text: &[u8]) -> Option<Output> {
    let found = StdCommand::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        return skip_or_fail("promtool (Debian package prometheus)");
    }
    Some(pipe(
        StdCommand::new("promtool").args(["check", "metrics"]),
        text,
    ))
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn prometheus_metrics_pass_promtool() {
    let Some((_peer, sb)) = pass_and_fail() else {
        return;
    };
    let out = sb
        .when(&["test", "--all", "--format", "prometheus"])
        .then()
        .exits(3)
        .out;
    let Some(check) = promtool(&out.stdout) else {
        return;
    };
    assert_exit(&check, 0);
    let metrics = stdout(&out);
    for line in [
        "# TYPE credlink_account_up gauge",
        r#"credlink_account_up{name="local-basic",connector="local-basic",store="keychain"} 0"#,
        r#"credlink_account_up{name="local-post",connector="local-post",store="keychain"} 1"#,
        "# TYPE credlink_check_duration_seconds gauge",
        "# TYPE credlink_last_check_timestamp_seconds gauge",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in:\n{metrics}"
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let checked: f64 = metrics
        .lines()
        .find(|l| l.starts_with("credlink_last_check_timestamp_seconds{name=\"local-post\""))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no check time in:\n{metrics}"));
    assert!(
        (now - checked).abs() < 120.0,
        "{checked} is not about {now}"
    );
    sweep(&sb, &[&out], &[]);
}

/// For the textfile collector: `--output` writes the file whole, readable by node_exporter's
/// user, and stdout keeps the human text.
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn prometheus_to_a_textfile_collector_file() {
    let Some((_peer, sb)) = pass_and_fail() else {
        return;
    };
    let file = sb.out_file("credlink.prom");
    let out = sb
        .when(&[
            "test",
            "--all",
            "--format",
            "prometheus",
            "--output",
            file.to_str().unwrap(),
        ])
        .then()
        .exits(3)
        .stdout_has("local-basic (Local (basic)): rejected")
        .out;
    let metrics = std::fs::read(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    let leftovers: Vec<_> = std::fs::read_dir(sb.config_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let Some(check) = promtool(&metrics) else {
        return;
    };
    assert_exit(&check, 0);
    sweep(&sb, &[&out], &[&String::from_utf8_lossy(&metrics)]);
}

/// On the team store the `store` label names it as `--store` does.
#[cfg(unix)]
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn prometheus_names_the_team_store() {
    use crate::support::bao::{Machine, peers};
    let Some((peer, bao)) = peers() else { return };
    let m = Machine::new(&peer, &bao, &bao.root);
    m.link("acme", "basic-client", &[]).then().exits(0);
    let out = m
        .when(&["test", "--all", "--format", "prometheus"])
        .then()
        .exits(0)
        .hides(BASIC_SECRET)
        .hides(&bao.root)
        .out;
    assert_has(
        &stdout(&out),
        "credlink_account_up{name=\"acme\",connector=\"local-basic\",store=\"vault:secret/credlink\"} 1\n",
    );
    let Some(check) = promtool(&out.stdout) else {
        return;
    };
    assert_exit(&check, 0);
}
