//! GitHub Actions workflow commands: one annotation per account, `::error` for a failure and
//! `::notice` for a pass, titled with the account and its connector. The runner reads them
//! from stdout; every value is escaped as the workflow-command syntax requires, so no line
//! break in an account's text can start a second command.

use super::{AccountView, Verdict};

pub(crate) fn render(views: &[AccountView]) -> String {
    views.iter().map(annotation).collect()
}

fn annotation(view: &AccountView) -> String {
    let (command, message) = match view.verdict {
        Verdict::Passed => ("notice", format!("{}: {}", view.status, view.summary)),
        Verdict::Expiring => ("warning", format!("{}: {}", view.status, view.summary)),
        Verdict::Failed => (
            "error",
            format!("{}: {}", view.status, view.failure_lines().join("\n")),
        ),
    };
    let title = format!("credlink: {} ({})", view.name, view.connector);
    format!(
        "::{command} title={}::{}\n",
        property(&title),
        data(&message)
    )
}

/// A command's message (actions/toolkit `escapeData`): `%` first, then CR and LF.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property's value (actions/toolkit `escapeProperty`): as data, and `:` and `,`, which
/// would end the value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::formats::tests::view;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(data("100%\r\n::x"), "100%25%0D%0A::x");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn one_line_per_account_whatever_it_says() {
        let text = render(&[
            view("good", Verdict::Passed, "HTTP 200"),
            view("bad", Verdict::Failed, "nope\n::error::injected"),
        ]);
        assert_eq!(
            text,
            "::notice title=credlink%3A good (mock)::valid: HTTP 200\n\
             ::error title=credlink%3A bad (mock)::rejected: cause: nope%0A::error::injected%0Ahint: check the secret\n"
        );
    }
}
