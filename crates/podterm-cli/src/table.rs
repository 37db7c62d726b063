//! Lists printed as `kubectl get` and `kubectl config get-contexts` print them: a header in
//! capitals, columns padded three spaces apart, the last one not padded. Every cell comes from
//! a file a user (or another program) may have written, so each is escaped (no control
//! character reaches the terminal, no newline or tab breaks a row) and cut.

use podterm_core::text;

/// The most characters a cell shows; longer text ends in `…`.
pub const CELL_LIMIT: usize = 60;

/// `raw` as one cell: control characters (newlines and tabs too) and bidi overrides escaped,
/// cut to [`CELL_LIMIT`] characters.
pub fn cell(raw: &str) -> String {
    let escaped = text::escaped(raw).replace('\n', "\\n").replace('\t', "\\t");
    if escaped.chars().count() <= CELL_LIMIT {
        return escaped;
    }
    let mut cut: String = escaped.chars().take(CELL_LIMIT - 1).collect();
    cut.push('…');
    cut
}

/// The rows (the first one is the header) as padded columns; cells are used as given (make
/// them with [`cell`]).
pub fn render<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<width$}   ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_the_header() {
        let rows = [
            ["NAME".to_string(), "SERVER".into(), "AUTH".into()],
            [
                "a".into(),
                "https://long.example:6443".into(),
                "token".into(),
            ],
            ["longer-name".into(), "https://x".into(), "".into()],
        ];
        assert_eq!(
            render(&rows),
            "NAME          SERVER                      AUTH\n\
             a             https://long.example:6443   token\n\
             longer-name   https://x\n"
        );
    }

    #[test]
    fn cells_are_escaped_and_cut() {
        assert_eq!(cell("a\nb\tc\x1b]0;x\x07"), "a\\nb\\tc\\x1b]0;x\\x07");
        assert!(!cell("\u{202e}evil").contains('\u{202e}'));
        let long = "x".repeat(500);
        let c = cell(&long);
        assert_eq!(c.chars().count(), CELL_LIMIT);
        assert!(c.ends_with('…'));
        assert_eq!(cell("plain"), "plain");
    }
}
