//! Prometheus text exposition format 0.0.4, for node_exporter's textfile collector: one gauge
//! family per fact, labelled `name`, `connector`, `store`. No sample timestamps (the collector
//! takes the file's time); the check's own time is a gauge.

use super::{AccountView, Verdict, unix_seconds};

/// One metric family: its name, HELP text and each account's value (`None`: no sample).
/// An account's expiry joins as `credlink_account_expiry_timestamp_seconds` (Unix seconds,
/// a sample only for accounts whose expiry is known).
struct Family {
    name: &'static str,
    help: &'static str,
    value: fn(&AccountView) -> Option<f64>,
}

const FAMILIES: &[Family] = &[
    Family {
        name: "credlink_account_up",
        help: "1 when the account's credential passed its last live check, else 0.",
        value: |v| {
            Some(if v.verdict != Verdict::Failed {
                1.0
            } else {
                0.0
            })
        },
    },
    Family {
        name: "credlink_check_duration_seconds",
        help: "How long the account's last live check took.",
        value: |v| Some(v.seconds),
    },
    Family {
        name: "credlink_last_check_timestamp_seconds",
        help: "When the account's last live check finished, in Unix seconds.",
        value: |v| Some(unix_seconds(v.checked_at)),
    },
    Family {
        name: "credlink_account_expiry_timestamp_seconds",
        help: "When the account's credential expires, in Unix seconds, where anything says.",
        value: |v| v.expires_at.map(|at| at as f64),
    },
];

pub(crate) fn render(views: &[AccountView]) -> String {
    let mut text = String::new();
    for family in FAMILIES {
        let samples: Vec<String> = views
            .iter()
            .filter_map(|v| Some(sample(family.name, v, (family.value)(v)?)))
            .collect();
        if samples.is_empty() {
            continue;
        }
        text.push_str(&format!("# HELP {} {}\n", family.name, family.help));
        text.push_str(&format!("# TYPE {} gauge\n", family.name));
        for s in samples {
            text.push_str(&s);
        }
    }
    text
}

fn sample(name: &str, view: &AccountView, value: f64) -> String {
    format!(
        "{name}{{name=\"{}\",connector=\"{}\",store=\"{}\"}} {value}\n",
        label(&view.name),
        label(&view.connector),
        label(&view.store)
    )
}

/// A label value: backslash, double quote and line feed escaped.
fn label(text: &str) -> String {
    text.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::formats::tests::view;

    #[test]
    fn escapes_label_values() {
        assert_eq!(label("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
    }

    #[test]
    fn one_family_each_with_help_and_type() {
        let text = render(&[
            view("good", Verdict::Passed, ""),
            view("bad", Verdict::Failed, ""),
        ]);
        assert_eq!(
            text.lines().take(4).collect::<Vec<_>>(),
            [
                "# HELP credlink_account_up 1 when the account's credential passed its last live check, else 0.",
                "# TYPE credlink_account_up gauge",
                r#"credlink_account_up{name="good",connector="mock",store="keychain"} 1"#,
                r#"credlink_account_up{name="bad",connector="mock",store="keychain"} 0"#,
            ]
        );
        assert!(text.contains(r#"credlink_last_check_timestamp_seconds{name="good",connector="mock",store="keychain"} 1700000000"#), "{text}");
        assert!(text.ends_with('\n'));
    }
}
