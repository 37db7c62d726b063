//! A terminal stream's bytes as text, batch by batch, for a consumer that takes strings (the
//! desktop hands a tab its output as a script's string argument: docs/architecture.md, "Ways
//! into the page").
//!
//! A batch may end inside a character (a read cuts anywhere): its first bytes are held and put
//! before the next batch, so the character arrives whole. Bytes that are not UTF-8 become
//! U+FFFD, as `String::from_utf8_lossy` makes them (xterm.js would drop them; VTE, like this,
//! shows U+FFFD). Each batch says how many bytes of the stream it took, held ones included, so
//! what the consumer acknowledges is what was sent.

/// The decoder of one stream.
#[derive(Debug, Default)]
pub struct StreamText {
    /// The start of a character the last batch ended in (at most 3 bytes).
    held: Vec<u8>,
}

impl StreamText {
    /// `bytes` (after what the last batch held back) as text, less the start of a character
    /// it ends in; the text and `bytes.len()`, the bytes this batch took from the stream.
    pub fn push(&mut self, bytes: &[u8]) -> (String, usize) {
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(bytes);
        let keep = incomplete_tail(&all);
        self.held = all.split_off(all.len() - keep);
        let text = match String::from_utf8(all) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        (text, bytes.len())
    }
}

/// How many bytes at the end of `b` begin a character that is not complete yet (0 to 3).
fn incomplete_tail(b: &[u8]) -> usize {
    // The last lead byte within the last three bytes, and the length it announces.
    for back in 1..=b.len().min(3) {
        let byte = b[b.len() - back];
        if byte & 0xC0 == 0x80 {
            continue; // a continuation byte: its lead is further back
        }
        let needs = match byte {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0, // ASCII or not a lead byte: nothing is waiting
        };
        return if back < needs { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of `stream` fed in batches cut at `cuts`.
    fn fed(stream: &[u8], cuts: &[usize]) -> (String, usize) {
        let mut d = StreamText::default();
        let (mut text, mut taken, mut at) = (String::new(), 0, 0);
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            let (t, n) = d.push(&stream[at..cut]);
            text.push_str(&t);
            taken += n;
            at = cut;
        }
        (text, taken)
    }

    #[test]
    fn a_character_cut_between_batches_arrives_whole() {
        let stream = "a→b😀c".as_bytes();
        for cut in 0..=stream.len() {
            let (text, taken) = fed(stream, &[cut]);
            assert_eq!(text, "a→b😀c", "cut at {cut}");
            assert_eq!(taken, stream.len());
        }
    }

    #[test]
    fn the_held_start_is_counted_in_the_batch_that_took_it() {
        let mut d = StreamText::default();
        let euro = "€".as_bytes();
        assert_eq!(d.push(&euro[..2]), (String::new(), 2));
        assert_eq!(d.push(&euro[2..]), ("€".to_owned(), 1));
    }

    #[test]
    fn bytes_that_are_not_utf8_become_replacement_characters() {
        let stream = b"ok \xff\xfe then \xc3( and \xe2\x82 end";
        let lossy = String::from_utf8_lossy(stream).into_owned();
        for cut in 0..=stream.len() {
            assert_eq!(fed(stream, &[cut]).0, lossy, "cut at {cut}");
        }
    }

    #[test]
    fn a_stream_cut_anywhere_reads_as_the_whole_does() {
        // Seeded cuts through text with 1- to 4-byte characters and invalid bytes.
        let mut stream = Vec::new();
        for i in 0..400u32 {
            match i % 7 {
                0 => stream.extend_from_slice("é".as_bytes()),
                1 => stream.extend_from_slice("中".as_bytes()),
                2 => stream.extend_from_slice("🙂".as_bytes()),
                3 => stream.push(0x80 + (i % 64) as u8),
                4 => stream.extend_from_slice(b"\xf0\x9f"),
                _ => stream.push(b'a' + (i % 26) as u8),
            }
        }
        let whole = String::from_utf8_lossy(&stream).into_owned();
        let mut seed = 7u64;
        for _ in 0..200 {
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                at += 1 + (seed >> 33) as usize % 9;
                if at >= stream.len() {
                    break;
                }
                cuts.push(at);
            }
            assert_eq!(fed(&stream, &cuts), (whole.clone(), stream.len()));
        }
    }
}
