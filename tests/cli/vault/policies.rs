//! What a token may do: support and list-only policies, a revoked token, and no secret or token
//! in a `-v` trace.

use std::process::Output;

use super::*;
use crate::support::bao::*;
use crate::support::*;

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_support_policy_lists_and_tests_but_cannot_link_or_revoke() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-support", SUPPORT_POLICY);
    let admin = Machine::new(&peer, &bao, &bao.root);
    admin.link("acme", "basic-client", &[]).then().exits(0);
    let before = bao.kv_get(&kv("acme")).unwrap();

    let support = Machine::new(&peer, &bao, &bao.token(&["credlink-support"], "sam"));
    assert_eq!(names(&listed(&support)), ["acme"]);
    let out = support
        .when(&["test", "acme"])
        .then()
        .exits(0)
        .stdout_has("valid")
        .out;
    let err = stderr(&out).to_lowercase();
    assert!(
        err.contains("warning") && err.contains("record"),
        "a warning that the result was not recorded: {}",
        describe(&out)
    );
    assert_eq!(bao.kv_get(&kv("acme")).unwrap(), before, "nothing written");

    support
        .link("beta", "basic-client", &[])
        .then()
        .exits(5)
        .stderr_has("`create`")
        .stderr_has("secret/data/credlink/beta");
    assert_eq!(bao.kv_metadata(&kv("beta")), None);

    support
        .link("acme", "post-client", &["--force"])
        .then()
        .exits(5)
        .stderr_has("`update`")
        .stderr_has("secret/data/credlink/acme");

    support
        .when(&["revoke", "acme", "-y"])
        .then()
        .exits(5)
        .stderr_has("`delete`")
        .stderr_has("secret/metadata/credlink/acme");
    assert_stored(&bao, "acme", "basic-client");
    assert_eq!(bao.kv_get(&kv("acme")).unwrap()["data"], before["data"]);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_list_only_policy_lists_but_cannot_test() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-list", LIST_ONLY_POLICY);
    let admin = Machine::new(&peer, &bao, &bao.root);
    admin.link("acme", "basic-client", &[]).then().exits(0);

    let lister = Machine::new(&peer, &bao, &bao.token(&["credlink-list"], "lee"));
    let rows = listed(&lister);
    assert_eq!(names(&rows), ["acme"]);
    assert_eq!(
        rows[0]["client_id"], "basic-client",
        "list reads custom_metadata only"
    );
    lister.when(&["list"]).then().exits(0).hides(BASIC_SECRET);

    let out = lister.when(&["test", "acme"]).then().exits(5).out;
    // The account's result (stdout) or the error (stderr) names the capability and the path.
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert_has(&said, "`read` secret/data/credlink/acme");
    assert_hidden(&out, BASIC_SECRET);
    lister.when(&["token", "acme"]).then().exits(5);
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_revoked_or_unknown_token_is_not_valid_not_a_policy_gap() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let token = bao.token(&["credlink-admin"], "gone");
    let m = Machine::new(&peer, &bao, &token);
    m.link("acme", "basic-client", &[]).then().exits(0);
    bao.ok(&["token", "revoke", &token]);
    let unknown = Machine::new(&peer, &bao, "s.notatokenatall0000000000");
    for (m, args) in [
        (&m, &["list"][..]),
        (&m, &["test", "acme"][..]),
        (&unknown, &["list"][..]),
    ] {
        let out = m.when(args).then().exits(5).out;
        let said = lower(&out);
        assert!(
            said.contains("not valid") || (said.contains("expired") && said.contains("revoked")),
            "says the token is not valid: {}",
            describe(&out)
        );
        assert!(
            !said.contains("may not"),
            "no policy message: {}",
            describe(&out)
        );
        assert_hidden(&out, &token);
    }
    assert_stored(&bao, "acme", "basic-client");
}

#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (OpenBao's bao, oidc-provider): run scripts/test"
)]
#[test]
fn vault_verbose_traces_store_requests_and_never_shows_a_secret() {
    let Some((peer, bao)) = peers() else { return };
    bao.policy("credlink-admin", ADMIN_POLICY);
    let token = bao.token(&["credlink-admin"], "vic");
    let m = Machine::new(&peer, &bao, &token);
    let check = |out: &Output| {
        assert_hidden(out, &token);
        assert_hidden(out, &bao.root);
        assert_hidden(out, BASIC_SECRET);
        assert_hidden(out, POST_SECRET);
    };
    let out = m.link("acme", "basic-client", &["-v"]).then().exits(0).out;
    check(&out);
    let trace = stderr(&out).to_lowercase();
    assert_has(&trace, "x-vault-token");
    assert_has(&trace, "secret/data/credlink/acme");
    for args in [
        &["list", "-v"][..],
        &["list", "--json", "-v"],
        &["test", "acme", "-v"],
        &["test", "--all", "--json", "-v"],
        &["test", "acme", "--explain", "-v"],
        &["token", "acme", "-v"],
        &["history", "acme", "-v"],
        &["history", "acme", "--json", "-v"],
    ] {
        let out = m.when(args).then().exits(0).out;
        check(&out);
    }
    let out = m
        .link("acme", "post-client", &["--force", "-v"])
        .then()
        .exits(0)
        .out;
    check(&out);
    let out = m.when(&["revoke", "acme", "-y", "-v"]).then().exits(0).out;
    check(&out);
    assert_absent(&bao, "acme");
    // Failures too: an unknown account and a dead token.
    let out = Machine::new(&peer, &bao, &token).run(&["test", "nope", "-v"]);
    check(&out);
    bao.ok(&["token", "revoke", &token]);
    let out = m.when(&["list", "-v"]).then().exits(5).out;
    check(&out);
}
