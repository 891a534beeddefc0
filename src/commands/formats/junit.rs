//! JUnit XML in the subset GitLab, Jenkins and the GitHub test-report actions all read: one
//! `testsuite` of one `testcase` per account (`classname` the connector), a failing account's
//! class as the `failure`'s `type`, its cause as `message`, and every line in the element's
//! text (GitLab shows only the text).

use std::time::SystemTime;

use super::{AccountView, Verdict};

pub(crate) fn render(views: &[AccountView], started: SystemTime, seconds: f64) -> String {
    let failures = views
        .iter()
        .filter(|v| v.verdict == Verdict::Failed)
        .count();
    let counts = format!(
        r#"tests="{}" failures="{failures}" errors="0" skipped="0" time="{seconds:.3}""#,
        views.len()
    );
    // xs:dateTime without a zone, as the Ant schema Jenkins follows has it; the time is UTC.
    let stamp = humantime::format_rfc3339_seconds(started).to_string();
    let stamp = stamp.trim_end_matches('Z');
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!("<testsuites name=\"credlink\" {counts}>\n"));
    xml.push_str(&format!(
        "  <testsuite name=\"credlink test\" {counts} timestamp=\"{stamp}\">\n"
    ));
    for view in views {
        xml.push_str(&testcase(view));
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

fn testcase(view: &AccountView) -> String {
    let open = format!(
        r#"    <testcase name="{}" classname="{}" time="{:.3}""#,
        escape(&view.name),
        escape(&view.connector),
        view.seconds
    );
    match view.verdict {
        Verdict::Passed | Verdict::Expiring => format!("{open}/>\n"),
        Verdict::Failed => {
            let mut text = vec![format!("class: {}", view.class)];
            text.extend(view.failure_lines());
            format!(
                "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                escape(&view.summary),
                escape(view.class),
                escape(&text.join("\n"))
            )
        }
    }
}

/// Text made safe for an XML 1.0 attribute or element: the five markup characters as entities,
/// line breaks and tabs as character references (an attribute keeps them then), and the
/// characters XML 1.0 forbids (the other C0 controls, U+FFFE, U+FFFF) left out.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::formats::tests::view;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(escape(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    }

    #[test]
    fn keeps_line_breaks_and_tabs_as_references() {
        assert_eq!(escape("a\nb\rc\td"), "a&#10;b&#13;c&#9;d");
    }

    #[test]
    fn leaves_out_what_xml_forbids() {
        let forbidden: String = ('\u{0}'..='\u{1f}')
            .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
            .chain(['\u{fffe}', '\u{ffff}'])
            .collect();
        assert_eq!(escape(&format!("a{forbidden}b")), "ab");
        assert_eq!(escape("é\u{7f}\u{1f600}"), "é\u{7f}\u{1f600}");
    }

    #[test]
    fn a_failure_carries_class_cause_and_hint() {
        let xml = render(
            &[
                view("good", Verdict::Passed, "HTTP 200, 5 ms"),
                view("bad", Verdict::Failed, "invalid_client <x>"),
            ],
            SystemTime::UNIX_EPOCH,
            1.5,
        );
        assert!(xml.contains(r#"tests="2" failures="1""#), "{xml}");
        assert!(xml.contains(r#"timestamp="1970-01-01T00:00:00""#), "{xml}");
        assert!(
            xml.contains(r#"<testcase name="good" classname="mock" time="0.250"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure message="invalid_client &lt;x&gt;" type="rejected">class: rejected&#10;cause: invalid_client &lt;x&gt;&#10;hint: check the secret</failure>"#),
            "{xml}"
        );
    }
}
