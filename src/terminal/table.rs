//! Tables that fit the terminal, as `gh` and `kubectl` print them: no borders, two spaces
//! between columns, one line per row.

use comfy_table::{ContentArrangement, Table};

use crate::base::text;

/// A table of `rows` under `columns` (header, priority: lower stays longer), at most `width`
/// terminal columns wide (counted in display cells: a CJK character or emoji takes two) (no limit when stdout is not a terminal): columns of low priority are left
/// out first, then the widest cells are cut with `…`; a word is never broken across lines.
pub(crate) fn fit(columns: &[(&str, u8)], rows: &[Vec<String>], width: Option<usize>) -> String {
    let mut shown: Vec<usize> = (0..columns.len()).collect();
    let widths = |shown: &[usize]| -> Vec<usize> {
        shown
            .iter()
            .map(|&c| {
                rows.iter()
                    .map(|r| text::cells(&r[c]))
                    .chain([text::cells(columns[c].0)])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    // Two spaces between columns.
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    let mut cut = usize::MAX;
    if let Some(limit) = width {
        while total(&widths(&shown)) > limit && shown.len() > 2 {
            let least = (0..shown.len())
                .max_by_key(|&i| columns[shown[i]].1)
                .unwrap_or(0);
            shown.remove(least);
        }
        let over = total(&widths(&shown)).saturating_sub(limit);
        if over > 0 {
            let widest = widths(&shown).into_iter().max().unwrap_or(0);
            cut = widest.saturating_sub(over + 1).max(8);
        }
    }
    let mut table = Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(shown.iter().map(|&c| columns[c].0));
    for r in rows {
        table.add_row(shown.iter().map(|&c| text::truncate_cells(&r[c], cut)));
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let rendered = table.to_string();
    let lines: Vec<&str> = rendered.lines().map(str::trim_end).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [(&str, u8); 7] = [
        ("NAME", 0),
        ("CONNECTOR", 1),
        ("SUBDOMAIN", 4),
        ("CLIENT ID", 5),
        ("LINKED", 6),
        ("LAST TESTED", 3),
        ("LAST RESULT", 2),
    ];

    fn rows() -> Vec<Vec<String>> {
        let row = |v: [&str; 7]| v.iter().map(|s| (*s).to_owned()).collect();
        vec![
            row([
                "acme-hr",
                "personio",
                "-",
                "papi-dcec6d81-8c0f-47f0-9dd8-4e59755f041a",
                "2 h ago",
                "1 h ago",
                "secret missing",
            ]),
            row([
                "traffit-acme",
                "traffit",
                "acme",
                "acme_credlink",
                "3 d ago",
                "-",
                "-",
            ]),
        ]
    }

    #[test]
    fn a_narrow_terminal_drops_columns_by_priority_and_never_wraps() {
        let full = fit(&COLUMNS, &rows(), None);
        assert!(full.lines().next().unwrap().contains("CLIENT ID"));
        for width in [40, 60, 80, 100] {
            let narrow = fit(&COLUMNS, &rows(), Some(width));
            assert_eq!(
                narrow.lines().count(),
                3,
                "one line a row at {width}:\n{narrow}"
            );
            for line in narrow.lines() {
                assert!(text::cells(line) <= width, "{width}: {line}");
            }
            assert!(narrow.contains("acme-hr"), "{narrow}");
        }
        let narrow = fit(&COLUMNS, &rows(), Some(60));
        assert!(!narrow.contains("LINKED"), "{narrow}");
        assert!(narrow.contains("secret missing"), "{narrow}");
    }

    #[test]
    fn wide_and_combining_characters_fit_by_display_cells() {
        let mut rows = rows();
        rows[0][0] = "人事部-東京-本社-アカウント".into();
        rows[1][0] = "Ressources-humaines-e\u{301}quipe-🧑‍💼🧑‍💼".into();
        for width in [40, 60, 80] {
            let narrow = fit(&COLUMNS, &rows, Some(width));
            assert_eq!(narrow.lines().count(), 3, "{width}:\n{narrow}");
            for line in narrow.lines() {
                assert!(text::cells(line) <= width, "{width}: {line}");
            }
        }
    }
}
