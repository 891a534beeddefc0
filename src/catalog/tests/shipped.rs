//! What the shipped entries say: the founding guides' shapes, hints and key sets, patterns
//! only where they guard a request, and twins that name each other.

use super::*;

/// The full shape of a Personio client ID (papi- and a UUID, as in Personio's spec and
/// StackOne's guide): an ID cut short when copied does not have it (a warning; Personio's
/// answer decides).
#[test]
fn a_personio_client_id_cut_short_does_not_match() {
    let catalog = Catalog::load(None).unwrap();
    let field = catalog.get("personio").unwrap().field("client_id").unwrap();
    assert!(field.pattern.is_none(), "only a shape guess: a warning");
    let id = field.expect.as_ref().unwrap();
    for whole in [
        "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
        "papi-baaaaaad-c0de-fade-baad-00000000001d",
        "papi-DCEC6D81-8C0F-47F0-9DD8-4E59755F041A",
    ] {
        assert!(id.is_match(whole), "{whole}");
    }
    let full = "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a";
    for cut in 5..full.len() {
        assert!(!id.is_match(&full[..cut]), "{}", &full[..cut]);
    }
    for wrong in [
        "dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
        "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a0",
        "papi-zcec6d81-8c0f-47f0-9dd8-4e59755f041a",
        "papi-FTcGcxmX_secret-pasted-into-the-id",
    ] {
        assert!(!id.is_match(wrong), "{wrong}");
    }
}

/// The two SPS Commerce connectors differ only in words: the key set they name.
#[test]
fn the_sps_commerce_key_sets_differ_only_in_their_words() {
    let catalog = Catalog::load(None).unwrap();
    let live = catalog.get("sps-commerce").unwrap();
    let sandbox = catalog.get("sps-commerce-sandbox").unwrap();
    let (Check::OAuth(a), Check::OAuth(b)) = (&live.check, &sandbox.check) else {
        panic!("both are OAuth connectors");
    };
    assert_eq!(a.token_url.raw(), b.token_url.raw());
    assert_eq!(a.client_auth, b.client_auth);
    assert_eq!(a.scope, b.scope);
    let params = |o: &OAuthSpec| -> Vec<(String, String)> {
        o.token_params
            .iter()
            .map(|(k, t)| (k.clone(), t.raw().to_owned()))
            .collect()
    };
    assert_eq!(params(a), params(b));
    assert_eq!(
        a.revoke_url.as_ref().map(Template::raw),
        b.revoke_url.as_ref().map(Template::raw)
    );
    let check = |o: &OAuthSpec| {
        o.permission_check
            .as_ref()
            .map(|(m, u)| (m.clone(), u.raw().to_owned()))
    };
    assert_eq!(check(a), check(b));
    let shape = |c: &Connector| -> Vec<_> {
        c.fields
            .iter()
            .map(|f| {
                (
                    f.id.clone(),
                    f.secret,
                    f.optional,
                    f.default.clone(),
                    f.pattern.as_ref().map(|p| p.as_str().to_owned()),
                    f.expect.as_ref().map(|p| p.as_str().to_owned()),
                )
            })
            .collect()
    };
    assert_eq!(shape(live), shape(sandbox));
    assert_eq!(
        live.hints.keys().collect::<Vec<_>>(),
        sandbox.hints.keys().collect::<Vec<_>>()
    );
    assert_eq!(live.steps.len(), sandbox.steps.len());
    for (c, set, other) in [
        (live, "Production Keys", "sps-commerce-sandbox"),
        (sandbox, "Sandbox Keys", "sps-commerce"),
    ] {
        let steps = c.steps.join(" ");
        assert!(
            steps.contains(&format!("This connector links the {set}")),
            "{}",
            c.id
        );
        assert!(
            steps.contains(&format!("credlink link {other}")),
            "{}",
            c.id
        );
        let link_again = format!("credlink link {} --name <name> --force", c.id);
        for key in ["invalid_client", "access_denied", "http_401"] {
            assert!(c.hints[key].contains(&link_again), "{}.{key}", c.id);
        }
    }
}

/// The FAQ's "authentication is failing" items, in the hints of the four founding
/// connectors: revoked credentials and values cut short where a rejection is reported,
/// and Personio's required permission in its guide's words.
#[test]
fn rejection_hints_name_revoked_credentials_and_values_cut_short() {
    let catalog = Catalog::load(None).unwrap();
    for (id, keys) in [
        (
            "personio",
            &["invalid_client", "unauthorized_client", "http_401"][..],
        ),
        ("traffit", &["invalid_client", "access_denied", "http_401"]),
        (
            "sps-commerce",
            &["invalid_client", "access_denied", "http_401"],
        ),
        (
            "sps-commerce-sandbox",
            &["invalid_client", "access_denied", "http_401"],
        ),
        ("spotdraft", &["http_401", "http_403"]),
    ] {
        let c = catalog.get(id).unwrap();
        for key in keys {
            let hint = catalog.hint(Some(c), HintKey::parse(key).unwrap()).unwrap();
            assert!(hint.contains("revoked"), "{id}.{key}: {hint}");
        }
        let first = catalog
            .hint(Some(c), HintKey::parse(keys[0]).unwrap())
            .unwrap();
        assert!(first.contains("cut short"), "{id}.{}: {first}", keys[0]);
        assert!(c.revoke_note.is_some(), "{id}: revoke_note");
    }
    let wrong_shape = catalog.hint(None, HintKey::WrongShape).unwrap();
    assert!(wrong_shape.contains("cut short"), "{wrong_shape}");
    let personio = catalog.get("personio").unwrap();
    for key in [HintKey::PermissionDenied, HintKey::Http403] {
        let hint = catalog.hint(Some(personio), key).unwrap();
        for words in [
            "Read access for Employees",
            "the connection fails without it",
            "create a new integration",
            "credlink link personio --name <name> --force",
        ] {
            assert!(hint.contains(words), "{key:?} lacks `{words}`: {hint}");
        }
    }
}

/// A `pattern` refuses a value, so the built-in catalog keeps it for values that guard a
/// request: a URL (its host or path), a Basic-auth user name or a value joined to another with
/// `:` in a header (a colon would move the split). A shape that is only a guess is an
/// `expect`: a warning, and the provider's answer decides.
#[test]
fn patterns_guard_a_request_and_shape_guesses_are_expectations() {
    let catalog = Catalog::load(None).unwrap();
    let mut guesses = Vec::new();
    for c in catalog.connectors.values() {
        let mut urls: Vec<&Template> = vec![c.check.main_url()];
        urls.extend(c.check.permission_check().map(|(_, u)| u));
        let mut colon_joined: Vec<String> = Vec::new();
        match &c.check {
            Check::OAuth(o) => {
                urls.extend(o.revoke_url.as_ref());
                // A scope placeholder's value is refused past its pattern too.
                urls.extend(o.scope.as_ref());
                urls.extend(o.authorize.as_ref().map(|a| &a.url));
                urls.extend(o.device_authorization.as_ref());
            }
            Check::ApiKey(v) => {
                colon_joined.extend(v.basic_auth.iter().map(|(user, _)| user.raw().to_owned()));
                colon_joined.extend(v.headers.values().map(|t| t.raw().to_owned()));
            }
            Check::Exchange(e) => {
                colon_joined.extend(e.basic_auth.iter().map(|(user, _)| user.raw().to_owned()));
                colon_joined.extend(e.headers.values().map(|t| t.raw().to_owned()));
            }
        }
        for f in c.fields.iter().filter(|f| f.pattern.is_some()) {
            let placeholder = format!("{{{}}}", f.id);
            let in_url = urls.iter().any(|u| u.fields().any(|id| id == f.id));
            let joined = colon_joined
                .iter()
                .any(|t| t == &placeholder || t.contains(&format!("{placeholder}:")));
            if !(in_url || joined || f.sign_in_host.is_some()) {
                guesses.push(format!("{}.{}", c.id, f.id));
            }
        }
    }
    assert!(
        guesses.is_empty(),
        "patterns that guard no request (make them `expect`): {guesses:?}"
    );
}

/// Every rejection the four founding connectors can give names a revoked credential, in the
/// connector's own words: where to look in its UI and what revoked looks like there (the
/// README's promise). A permission call's refusal too, where the connector makes one.
#[test]
fn the_founding_connectors_own_a_revocation_hint_for_every_rejection() {
    let catalog = Catalog::load(None).unwrap();
    for (id, place) in [
        ("traffit", "Settings → Integrations → API"),
        ("spotdraft", "Settings → Developer Settings"),
        ("personio", "Settings → Integrations → API credentials"),
        ("sps-commerce", "Application Keys"),
        ("sps-commerce-sandbox", "Application Keys"),
    ] {
        let c = catalog.get(id).unwrap();
        let mut keys = vec![
            HintKey::InvalidClient,
            HintKey::UnauthorizedClient,
            HintKey::AccessDenied,
            HintKey::Http401,
            HintKey::Http403,
        ];
        if c.check.permission_check().is_some() {
            keys.push(HintKey::PermissionDenied);
        }
        for key in keys {
            let hint = c
                .hints
                .get(key.as_str())
                .unwrap_or_else(|| panic!("{id} has no hint of its own for {}", key.as_str()));
            assert!(hint.contains("revoked"), "{id}.{}: {hint}", key.as_str());
            assert!(
                hint.contains(place),
                "{id}.{}: where to look: {hint}",
                key.as_str()
            );
            assert!(
                hint.contains(&format!("credlink link {id} --name <name> --force")),
                "{id}.{}: how to link again: {hint}",
                key.as_str()
            );
        }
    }
}

/// A product with both an API-key and an OAuth-app connector names the other from each, with
/// when to choose it; every pairing in the built-in catalog goes both ways.
#[test]
fn twins_name_each_other_and_say_when_to_choose() {
    let catalog = Catalog::load(None).unwrap();
    for (a, b) in [
        ("deel", "deel-oauth"),
        ("bamboohr", "bamboohr-oauth"),
        ("factorial", "factorial-oauth"),
        ("zoho-recruit", "zoho-recruit-oauth"),
    ] {
        let alt = |id: &str| catalog.get(id).unwrap().alternative.clone();
        assert_eq!(alt(a).map(|x| x.id).as_deref(), Some(b), "{a}");
        assert_eq!(alt(b).map(|x| x.id).as_deref(), Some(a), "{b}");
    }
    for c in catalog.connectors.values() {
        let Some(alt) = &c.alternative else { continue };
        let other = catalog.get(&alt.id).unwrap();
        assert_eq!(
            other.alternative.as_ref().map(|x| x.id.as_str()),
            Some(c.id.as_str()),
            "{} names {} but not the other way",
            c.id,
            other.id
        );
        assert_eq!(c.product(), other.product(), "{}", c.id);
        assert_ne!(c.auth(), other.auth(), "{}: another kind", c.id);
        assert!(alt.when.starts_with("Choose "), "{}: {}", c.id, alt.when);
    }
    let err = load_user(&LOCAL.replace(
        "client_auth = \"basic\"",
        "client_auth = \"basic\"\nalternative = { id = \"nowhere\", when = \"Choose it.\" }",
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`alternative.id` `nowhere` is not a connector"),
        "{err}"
    );
}
