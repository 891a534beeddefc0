//! Text from elsewhere (a provider's answer, a hand-edited file, a pasted value) made safe to
//! show: no control characters, no invisible or reordering characters, bounded length.

/// Unicode's default-ignorable code points (DerivedCoreProperties.txt), which render as
/// nothing and so can hide inside a value or split a secret, plus the interlinear annotation
/// controls.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}'
        | '\u{034f}'
        | '\u{061c}'
        | '\u{115f}'..='\u{1160}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff0}'..='\u{fffb}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}')
}

/// Removes control characters (escape sequences, C1 controls) and invisible characters (bidi
/// overrides, zero-width, soft hyphen, tags) so a hostile server or file cannot write to the
/// terminal or hide text; line breaks and tabs become spaces.
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// `text` cut to at most `max` characters, with `…` where it was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The columns `text` takes in a terminal: two for a CJK character or most emoji, none for a
/// combining mark.
pub(crate) fn cells(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` cut after at most `max` terminal columns, with `…` where it was cut (so at most
/// `max + 1` columns in all); a wide character is never split.
pub(crate) fn truncate_cells(text: &str, max: usize) -> String {
    if cells(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// [`clean`], cut to at most `max` characters.
pub(crate) fn clean_truncated(text: &str, max: usize) -> String {
    truncate(&clean(text), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_escape_sequences_controls_and_invisibles() {
        assert_eq!(
            clean("bad\u{1b}[31mred\u{1b}[0m\r\nnext\u{7}"),
            "bad[31mred[0m  next"
        );
        assert_eq!(
            clean("a\u{202e}b\u{ad}c\u{34f}d\u{e0041}e\u{85}f"),
            "abcdef"
        );
        assert_eq!(clean_truncated("abcdef", 3), "abc…");
        assert_eq!(clean_truncated("äöü", 3), "äöü");
    }

    #[test]
    fn cells_count_terminal_columns_and_cutting_never_splits_a_wide_character() {
        assert_eq!(cells("名前"), 4);
        assert_eq!(cells("e\u{301}"), 1);
        assert_eq!(truncate_cells("名前テスト", 5), "名前…");
        assert_eq!(truncate_cells("abcdef", 3), "abc…");
        assert_eq!(truncate_cells("名前", 4), "名前");
    }
}
