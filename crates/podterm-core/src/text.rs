//! Text from outside — API servers, credential plugins, pods — made safe to show anywhere but the
//! terminal stream itself (CLI stderr, error messages, a tab's "lost" reason, the UI).
//!
//! Two rules: control characters are shown, never executed (an `ESC]0;…` in a Status message must
//! not retitle the user's terminal; a bidi override must not reorder what they read), and the text
//! is cut to a few KiB with a count of what was left out (a 50 MB message is not a message).

/// How much outside text is shown at most, in bytes of the original (before escaping).
pub const SHOW_LIMIT: usize = 4 * 1024;

/// `raw` escaped and cut to [`SHOW_LIMIT`].
pub fn shown(raw: &str) -> String {
    shown_within(raw, SHOW_LIMIT)
}

/// A whole message on its way out (CLI stderr, an IPC payload), the belt after [`shown`]: outside
/// text in it was escaped and cut where it entered, and escaping it again changes nothing (an
/// escape is plain text); this catches what slipped in unescaped, and caps the whole at
/// [`MESSAGE_LIMIT`].
pub fn message(whole: &str) -> String {
    shown_within(whole, MESSAGE_LIMIT)
}

/// The most a whole message may be: room for our own words around one [`SHOW_LIMIT`] of
/// outside text.
pub const MESSAGE_LIMIT: usize = 2 * SHOW_LIMIT;

/// Bytes from outside (lossy UTF-8), escaped and cut to [`SHOW_LIMIT`].
pub fn shown_bytes(raw: &[u8]) -> String {
    let cut = raw.len().min(SHOW_LIMIT);
    let mut out = escaped(&String::from_utf8_lossy(&raw[..cut]));
    // A cut inside a multi-byte character turns its start into U+FFFD; that is fine to show.
    if raw.len() > cut {
        out.push_str(&more(raw.len() - cut));
    }
    out
}

/// `raw` escaped, cut to at most `limit` bytes of the original on a character boundary, with
/// "… (N more bytes)" when something was left out.
pub fn shown_within(raw: &str, limit: usize) -> String {
    let mut cut = raw.len().min(limit);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = escaped(&raw[..cut]);
    if raw.len() > cut {
        out.push_str(&more(raw.len() - cut));
    }
    out
}

fn more(n: usize) -> String {
    format!("… ({n} more bytes)")
}

/// Every control character as a visible escape (`\x1b`, `\u{9b}`, `\u{202e}`); newlines and tabs
/// stay, since server messages span lines.
pub fn escaped(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c == '\n' || c == '\t' {
            out.push(c);
        } else if c.is_ascii_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that reorder the text around them (embeddings, overrides, isolates, marks).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_executed() {
        let s = shown("a\x1b]0;pwned\x07b\r\n\tc\u{9b}31m\u{202e}d\x7f");
        assert_eq!(s, "a\\x1b]0;pwned\\x07b\\x0d\n\tc\\u{9b}31m\\u{202e}d\\x7f");
        assert!(!s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    }

    #[test]
    fn long_text_is_cut_with_a_count() {
        let big = "é".repeat(10_000); // 20,000 bytes
        let s = shown(&big);
        assert!(
            s.ends_with(&format!("… ({} more bytes)", 20_000 - SHOW_LIMIT)),
            "{}",
            &s[s.len() - 40..]
        );
        assert!(s.len() < SHOW_LIMIT + 40);
        // A limit inside a character backs off to its start.
        assert_eq!(shown_within("aé", 2), "a… (2 more bytes)");
        assert_eq!(shown_within("short", 100), "short");
    }

    #[test]
    fn the_belt_changes_nothing_already_shown_and_catches_the_rest() {
        let once = shown("\x1b]0;t\x07 ok");
        assert_eq!(message(&once), once);
        assert_eq!(message("raw \x1b[2J"), "raw \\x1b[2J");
        let long = format!("ours: {}", shown(&"x".repeat(3 * SHOW_LIMIT)));
        assert_eq!(message(&long), long, "one cut piece of outside text fits");
        assert!(message(&"y".repeat(5 * SHOW_LIMIT)).ends_with(&format!(
            "… ({} more bytes)",
            5 * SHOW_LIMIT - MESSAGE_LIMIT
        )));
    }

    #[test]
    fn bytes_are_decoded_lossily_and_cut() {
        let mut raw = vec![0xff, b'o', b'k', 0x1b];
        raw.extend(std::iter::repeat_n(b'x', SHOW_LIMIT));
        let s = shown_bytes(&raw);
        assert!(s.starts_with("\u{fffd}ok\\x1b"), "{s:.20}");
        assert!(s.ends_with("… (4 more bytes)"));
    }
}
