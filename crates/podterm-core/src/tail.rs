//! The part of a flood a terminal tab can still show (issue 13; docs/architecture.md, "A flood
//! is skipped, not queued"). While a tab is behind, the engine keeps reading its session and
//! keeps here only the output that can still be on its screen or in its scrollback: the last
//! `scrollback + 2 × rows` lines. A tab that then draws the compacted tail ends with the same
//! screen, scrollback, colours and title as one that drew every byte, and a keystroke's echo
//! waits behind that tail, not behind megabytes.
//!
//! Pure: no I/O, no clock. Only *plain* output is ever dropped: printable UTF-8, `\r`, `\n`,
//! `\t`, `\b`, BEL, SGR (`CSI … m` with the codes both xterm.js and common emulators read the
//! same way), erase in line (`CSI [0-2] K`) and OSC 0/1/2 titles. Anything else (cursor
//! movement, modes, the alternate screen, scroll regions, charset shifts, DCS/APC strings,
//! other OSCs, unknown or malformed escapes, invalid UTF-8, C1 controls) is *structural*: from
//! there on the bytes are kept raw and in order until the tab has drawn them all.
//!
//! Why it is exact. A cut is made only at a line start where the cursor is at column 0 (after
//! `\r`, then `\n`: with a TTY every newline is `\r\n`); a bare `\n` that follows text leaves
//! the cursor where it was and is never a cut. What the dropped part set that outlives it is put
//! back before the kept part: the SGR changes it made (composed per attribute; a reset first if
//! it had one) and its last title and icon name, then a `\r` so the kept part starts at column 0
//! as it did. The kept part has at least `scrollback + 2 × rows` newlines of plain output: the
//! first up to `rows - 1` may only move the cursor down a screen whose rows hold older content,
//! the rest each scroll in a fresh row, so everything the tab can show at the end (its screen
//! and scrollback) was written by the kept part alone, from the same state, in both cases.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::sync::Arc;

/// The most a tail holds while its tab is behind, in bytes: what the tab draws before a
/// keystroke's echo once it catches up (at the tens of MB/s a tab draws long lines, well under
/// a second). Lines that would make it larger are dropped from the oldest, down to what the
/// screen may show (`2 × rows` lines: those are never dropped for bytes); the scrollback then
/// holds fewer lines than its setting (README, "Floods"). Beyond that (one line longer than
/// this), the tail takes no more and the session is paused as before.
pub const MAX_TAIL_BYTES: usize = 4 * 1024 * 1024;
/// Structural output held beyond the drawable part before the session is paused: it is never
/// dropped, so it is back-pressured like any output (one batch of a terminal's largest window).
pub const RAW_CAP: usize = crate::flow::MAX_BATCH;
/// An SGR or erase sequence with more parameter bytes than this is treated as structural.
const MAX_CSI: usize = 64;
/// A title longer than this (bytes) is treated as structural (kept, never dropped).
const MAX_TITLE: usize = 1024;

/// How many lines a tail keeps for a tab of `rows` rows and `scrollback` lines of scrollback:
/// everything older can be neither on its screen nor in its scrollback (module docs).
pub fn lines_to_keep(scrollback: usize, rows: usize) -> usize {
    scrollback.saturating_add(rows.max(1).saturating_mul(2))
}

/// The last value of one attribute, as the parameters that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Code(u16),
    /// `38;5;N` / `48;5;N`.
    Idx(u16, u8),
    /// `38;2;R;G;B` / `48;2;R;G;B`.
    Rgb(u16, u8, u8, u8),
}

const ITALIC: usize = 0;
const UNDERLINE: usize = 1;
const BLINK: usize = 2;
const INVERSE: usize = 3;
const HIDDEN: usize = 4;
const STRIKE: usize = 5;
const FG: usize = 6;
const BG: usize = 7;
const OVERLINE: usize = 8;
const SLOTS: usize = 9;

/// SGR changes since an origin, composed: whatever state the tab had at the origin, applying
/// these gives the state after them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Sgr {
    /// A reset (`0`) came: the state before does not matter.
    reset: bool,
    /// `22` came (bold and dim off) after the last reset.
    normal: bool,
    /// `1` (bold) and `2` (dim) since, in the order each last came: xterm.js keeps both,
    /// other terminals only the last, and replaying them in this order suits both.
    intensity: Vec<u16>,
    slots: [Option<Val>; SLOTS],
}

impl Sgr {
    fn is_empty(&self) -> bool {
        *self == Sgr::default()
    }

    /// Applies one SGR's parameters; `None` (nothing changed) when one is not plain.
    fn apply(&self, params: &[u8]) -> Option<Sgr> {
        let mut ps = Vec::with_capacity(4);
        for p in params.split(|b| *b == b';') {
            if p.len() > 5 || !p.iter().all(u8::is_ascii_digit) {
                return None;
            }
            // Empty means 0, as every parser reads it.
            let n = p.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            ps.push(u16::try_from(n).ok()?);
        }
        if ps.len() > 16 {
            return None;
        }
        let mut s = self.clone();
        let byte = |n: u16| u8::try_from(n).ok();
        let mut i = 0;
        while i < ps.len() {
            let p = ps[i];
            let slot = |s: &mut Sgr, k: usize, v: Val| s.slots[k] = Some(v);
            match p {
                0 => {
                    s = Sgr {
                        reset: true,
                        ..Sgr::default()
                    }
                }
                1 | 2 => {
                    s.intensity.retain(|c| *c != p);
                    s.intensity.push(p);
                }
                22 => {
                    s.normal = true;
                    s.intensity.clear();
                }
                3 | 23 => slot(&mut s, ITALIC, Val::Code(p)),
                4 | 24 => slot(&mut s, UNDERLINE, Val::Code(p)),
                5 | 25 => slot(&mut s, BLINK, Val::Code(p)),
                7 | 27 => slot(&mut s, INVERSE, Val::Code(p)),
                8 | 28 => slot(&mut s, HIDDEN, Val::Code(p)),
                9 | 29 => slot(&mut s, STRIKE, Val::Code(p)),
                53 | 55 => slot(&mut s, OVERLINE, Val::Code(p)),
                30..=37 | 39 | 90..=97 => slot(&mut s, FG, Val::Code(p)),
                40..=47 | 49 | 100..=107 => slot(&mut s, BG, Val::Code(p)),
                38 | 48 => {
                    let k = if p == 38 { FG } else { BG };
                    match ps.get(i + 1) {
                        Some(5) => {
                            let n = byte(*ps.get(i + 2)?)?;
                            slot(&mut s, k, Val::Idx(p, n));
                            i += 2;
                        }
                        Some(2) => {
                            let r = byte(*ps.get(i + 2)?)?;
                            let g = byte(*ps.get(i + 3)?)?;
                            let b = byte(*ps.get(i + 4)?)?;
                            slot(&mut s, k, Val::Rgb(p, r, g, b));
                            i += 4;
                        }
                        _ => return None,
                    }
                }
                // 21 (double underline, or bold off), 6, 58 and the rest are read differently
                // by different terminals: structural.
                _ => return None,
            }
            i += 1;
        }
        Some(s)
    }

    /// One SGR sequence that makes these changes (nothing when there are none).
    fn write(&self, out: &mut Vec<u8>) {
        if self.is_empty() {
            return;
        }
        let mut parts: Vec<String> = Vec::new();
        if self.reset {
            parts.push("0".into());
        }
        if self.normal {
            parts.push("22".into());
        }
        parts.extend(self.intensity.iter().map(u16::to_string));
        for v in self.slots.iter().flatten() {
            parts.push(match *v {
                Val::Code(c) => c.to_string(),
                Val::Idx(b, n) => format!("{b};5;{n}"),
                Val::Rgb(b, r, g, bl) => format!("{b};2;{r};{g};{bl}"),
            });
        }
        out.extend_from_slice(b"\x1b[");
        out.extend_from_slice(parts.join(";").as_bytes());
        out.push(b'm');
    }
}

/// What output since the last structural sequence set that outlives it: put back before the
/// kept part when the part before it is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Carried {
    sgr: Sgr,
    title: Option<Bytes>,
    icon: Option<Bytes>,
}

impl Carried {
    /// The bytes that put this state back, ending at column 0.
    fn replay(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.sgr.write(&mut out);
        for (code, text) in [(b'1', &self.icon), (b'2', &self.title)] {
            if let Some(t) = text {
                out.extend_from_slice(b"\x1b]");
                out.push(code);
                out.push(b';');
                out.extend_from_slice(t);
                out.push(0x07);
            }
        }
        out.push(b'\r');
        out
    }
}

/// The escape parser's state (a DEC VT parser's states, as xterm.js and vte have them, folded to
/// what deciding plain or structural needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Ground,
    Esc,
    EscInter,
    Csi,
    Osc,
    OscEsc,
    /// DCS, SOS, PM, APC: a string up to ST.
    Str,
    StrEsc,
}

/// What the scanner found.
enum Event<'a> {
    /// A line starts here at column 0: a possible cut, and the state carried to it.
    Line(u64, &'a Arc<Carried>),
    /// Output that is not plain ends dropping until the tab has drawn it.
    Structural(u64),
}

/// Follows the stream byte by byte: the parser state, the column-0 flag, the carried state.
#[derive(Debug)]
struct Scanner {
    st: St,
    /// UTF-8 continuation bytes still expected, the code point so far, and the allowed range
    /// of the next byte (overlongs and surrogates are invalid).
    need: u8,
    cp: u32,
    lo: u8,
    hi: u8,
    /// The cursor is at column 0 with no pending wrap (a `\r` came, then only bytes that do not
    /// move it).
    col0: bool,
    /// The current CSI's parameter bytes, and whether it may still be plain.
    csi: Vec<u8>,
    csi_plain: bool,
    /// The current OSC's bytes, and whether it may still be a plain title.
    osc: Vec<u8>,
    osc_plain: bool,
    /// What plain output set since the last structural sequence. Shared with the line starts
    /// that were recorded while it held (copied on change).
    carried: Arc<Carried>,
}

impl Scanner {
    fn new() -> Scanner {
        Scanner {
            st: St::Ground,
            need: 0,
            cp: 0,
            lo: 0x80,
            hi: 0xbf,
            col0: false,
            csi: Vec::new(),
            csi_plain: true,
            osc: Vec::new(),
            osc_plain: true,
            carried: Arc::new(Carried::default()),
        }
    }

    /// At a point where a terminal's parser is at rest (nothing half read).
    fn at_rest(&self) -> bool {
        self.st == St::Ground && self.need == 0
    }

    fn structural(&mut self, pos: u64, on: &mut impl FnMut(Event<'_>)) {
        self.col0 = false;
        if !self.carried.as_ref().eq(&Carried::default()) {
            self.carried = Arc::new(Carried::default());
        }
        on(Event::Structural(pos));
    }

    /// A UTF-8 lead byte in ground or in an OSC: false when it is not one.
    fn lead(&mut self, b: u8) -> bool {
        let (need, cp, lo, hi) = match b {
            0xc2..=0xdf => (1, u32::from(b & 0x1f), 0x80, 0xbf),
            0xe0 => (2, 0, 0xa0, 0xbf),
            0xe1..=0xec | 0xee..=0xef => (2, u32::from(b & 0x0f), 0x80, 0xbf),
            0xed => (2, 0x0d, 0x80, 0x9f),
            0xf0 => (3, 0, 0x90, 0xbf),
            0xf1..=0xf3 => (3, u32::from(b & 0x07), 0x80, 0xbf),
            0xf4 => (3, 4, 0x80, 0x8f),
            _ => return false,
        };
        (self.need, self.cp, self.lo, self.hi) = (need, cp, lo, hi);
        true
    }

    /// A continuation byte: `Some(code point)` once complete, `None` while more are needed,
    /// `Err` when invalid (the decoder is reset).
    fn cont(&mut self, b: u8) -> Result<Option<u32>, ()> {
        if b < self.lo || b > self.hi {
            self.need = 0;
            return Err(());
        }
        self.cp = (self.cp << 6) | u32::from(b & 0x3f);
        (self.lo, self.hi) = (0x80, 0xbf);
        self.need -= 1;
        Ok((self.need == 0).then_some(self.cp))
    }

    /// Scans `data`, which starts at stream position `base`.
    fn scan(&mut self, data: &[u8], base: u64, on: &mut impl FnMut(Event<'_>)) {
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            let pos = base + i as u64;
            i += 1;
            match self.st {
                St::Ground if self.need > 0 => match self.cont(b) {
                    Ok(None) => {}
                    Ok(Some(cp)) => self.code_point(cp, pos, on),
                    Err(()) => {
                        // Invalid UTF-8: terminals substitute it in their own ways.
                        self.structural(pos, on);
                        i -= 1;
                    }
                },
                St::Ground => match b {
                    0x20..=0x7e => {
                        self.col0 = false;
                        // The common case, a run of ASCII text.
                        while i < data.len() && (0x20..=0x7e).contains(&data[i]) {
                            i += 1;
                        }
                    }
                    b'\r' => self.col0 = true,
                    b'\n' => {
                        if self.col0 {
                            on(Event::Line(pos + 1, &self.carried));
                        }
                    }
                    b'\t' | 0x08 => self.col0 = false,
                    0x07 => {}
                    0x1b => self.st = St::Esc,
                    0x80..=0xff => {
                        if !self.lead(b) {
                            self.structural(pos, on);
                        }
                    }
                    // Other C0 controls (VT, FF, SO, SI, ...) and DEL.
                    _ => self.structural(pos, on),
                },
                St::Esc => match b {
                    b'[' => {
                        self.st = St::Csi;
                        self.csi.clear();
                        self.csi_plain = true;
                    }
                    b']' => {
                        self.st = St::Osc;
                        self.osc.clear();
                        self.osc_plain = true;
                        self.need = 0;
                    }
                    b'P' | b'X' | b'^' | b'_' => {
                        self.st = St::Str;
                        self.structural(pos, on);
                    }
                    0x1b => self.structural(pos, on),
                    0x18 | 0x1a => {
                        self.st = St::Ground;
                        self.structural(pos, on);
                    }
                    0x20..=0x2f => {
                        self.st = St::EscInter;
                        self.structural(pos, on);
                    }
                    0x30..=0x7e => {
                        // ESC c, ESC 7/8, ESC M, ESC =, a stray ST ...
                        self.st = St::Ground;
                        self.structural(pos, on);
                    }
                    // C0 controls run inside an escape; anything else is not one.
                    _ => {
                        if b >= 0x80 {
                            self.st = St::Ground;
                        }
                        self.structural(pos, on);
                    }
                },
                St::EscInter => match b {
                    0x1b => self.st = St::Esc,
                    0x18 | 0x1a | 0x30..=0x7e => self.st = St::Ground,
                    _ => {}
                },
                St::Csi => match b {
                    0x30..=0x3f => {
                        if !matches!(b, b'0'..=b'9' | b';') || self.csi.len() >= MAX_CSI {
                            // Private markers (`?`, `>` ...), colons, or too long.
                            self.csi_plain = false;
                        } else {
                            self.csi.push(b);
                        }
                    }
                    0x20..=0x2f => self.csi_plain = false,
                    0x40..=0x7e => {
                        self.st = St::Ground;
                        self.csi_end(b, pos, on);
                    }
                    0x1b => {
                        self.st = St::Esc;
                        self.structural(pos, on);
                    }
                    0x18 | 0x1a => {
                        self.st = St::Ground;
                        self.structural(pos, on);
                    }
                    // C0 controls run inside a CSI; DEL and non-ASCII are read differently.
                    _ => {
                        self.csi_plain = false;
                        self.structural(pos, on);
                    }
                },
                St::Osc => self.osc_byte(b, pos, on),
                St::OscEsc => {
                    if b == b'\\' {
                        self.st = St::Ground;
                        self.osc_end(pos, on);
                    } else {
                        // The OSC was cut short by another escape.
                        self.st = St::Esc;
                        self.structural(pos, on);
                        i -= 1;
                    }
                }
                St::Str => match b {
                    0x1b => self.st = St::StrEsc,
                    0x18 | 0x1a => self.st = St::Ground,
                    _ => {}
                },
                St::StrEsc => {
                    if b == b'\\' {
                        self.st = St::Ground;
                    } else {
                        self.st = St::Esc;
                        i -= 1;
                    }
                }
            }
        }
    }

    /// A whole non-ASCII code point in ground.
    fn code_point(&mut self, cp: u32, pos: u64, on: &mut impl FnMut(Event<'_>)) {
        if (0x80..=0x9f).contains(&cp) {
            // A C1 control: CSI, OSC, DCS ... in one code point.
            self.st = match cp {
                0x9b => St::Csi,
                0x9d => St::Osc,
                0x90 | 0x98 | 0x9e | 0x9f => St::Str,
                _ => St::Ground,
            };
            self.csi.clear();
            self.osc.clear();
            self.csi_plain = false;
            self.osc_plain = false;
            self.structural(pos, on);
        } else {
            self.col0 = false;
        }
    }

    fn csi_end(&mut self, fin: u8, pos: u64, on: &mut impl FnMut(Event<'_>)) {
        if self.csi_plain {
            match fin {
                b'm' => {
                    if let Some(sgr) = self.carried.sgr.apply(&self.csi) {
                        Arc::make_mut(&mut self.carried).sgr = sgr;
                        return;
                    }
                }
                b'K' if matches!(&self.csi[..], b"" | b"0" | b"1" | b"2") => return,
                _ => {}
            }
        }
        self.structural(pos, on);
    }

    fn osc_byte(&mut self, b: u8, pos: u64, on: &mut impl FnMut(Event<'_>)) {
        if self.need > 0 {
            // Continuation bytes are kept only while the title is short enough to be one (an
            // endless OSC of multi-byte text must not grow this without bound).
            let room = self.osc.len() < MAX_TITLE + 2;
            if !room {
                self.osc_plain = false;
            }
            match self.cont(b) {
                Ok(None) => {
                    if room {
                        self.osc.push(b);
                    }
                }
                Ok(Some(cp)) => {
                    if room {
                        self.osc.push(b);
                    }
                    if (0x80..=0x9f).contains(&cp) {
                        // A C1 control inside a title: ST ends it, the others are ignored.
                        self.osc_plain = false;
                        if cp == 0x9c {
                            self.st = St::Ground;
                            self.structural(pos, on);
                        }
                    }
                }
                Err(()) => {
                    self.osc_plain = false;
                    self.osc_byte(b, pos, on);
                }
            }
            return;
        }
        match b {
            0x07 => {
                self.st = St::Ground;
                self.osc_end(pos, on);
            }
            0x1b => self.st = St::OscEsc,
            0x18 | 0x1a => {
                self.st = St::Ground;
                self.structural(pos, on);
            }
            0x20..=0x7e => {
                if self.osc.len() < MAX_TITLE + 2 {
                    self.osc.push(b);
                } else {
                    self.osc_plain = false;
                }
            }
            0x80..=0xff => {
                if self.lead(b) && self.osc.len() < MAX_TITLE + 2 {
                    self.osc.push(b);
                } else {
                    self.osc_plain = false;
                }
            }
            // Other C0 controls are ignored inside an OSC by some terminals, not by others.
            _ => self.osc_plain = false,
        }
    }

    fn osc_end(&mut self, pos: u64, on: &mut impl FnMut(Event<'_>)) {
        if self.osc_plain && self.need == 0 {
            let (code, text) = match self.osc.iter().position(|b| *b == b';') {
                Some(at) => (&self.osc[..at], &self.osc[at + 1..]),
                None => (&self.osc[..], &[][..]),
            };
            // A `;` in the text is read as a parameter separator by some terminals.
            if matches!(code, b"0" | b"1" | b"2")
                && text.len() <= MAX_TITLE
                && !text.contains(&b';')
                && self.osc.contains(&b';')
            {
                let text = Bytes::copy_from_slice(text);
                let c = Arc::make_mut(&mut self.carried);
                if code != b"2" {
                    c.icon = Some(text.clone());
                }
                if code != b"1" {
                    c.title = Some(text);
                }
                return;
            }
        }
        self.need = 0;
        self.structural(pos, on);
    }
}

/// A line start in the drawable part: a place to cut, and the state carried to it.
#[derive(Debug)]
struct Cut {
    pos: u64,
    carried: Arc<Carried>,
}

/// A terminal's output while its tab is behind, compacted to what the tab can still show.
///
/// Every byte of the session goes through it in order: [`Tail::observe`] for output handed to
/// the tab directly (the tail empty), [`Tail::push`] for output taken while the tab is behind,
/// [`Tail::take`] for what the tab gets once it has room.
#[derive(Debug)]
pub struct Tail {
    scanner: Scanner,
    /// Output not yet taken, from stream position `base`.
    buf: BytesMut,
    base: u64,
    /// Line starts in `buf` before any structural output, oldest first.
    cuts: VecDeque<Cut>,
    /// Where structural output began in `buf`: nothing from there on is dropped until the tab
    /// has been handed every structural byte and a line start after the last one.
    raw_from: Option<u64>,
    /// The last structural byte seen: once a take ends at a line start past it (the tab has
    /// every structural byte and its parser is at rest), skipping resumes (`raw_from` clears).
    raw_last: Option<u64>,
    /// The tab's parser may be half-way through a sequence at `base` (the last take ended
    /// mid-line): nothing is dropped until a take ends at a line start or empties the tail.
    unclean: bool,
    /// What a cut dropped that must be put back before `buf`.
    replay: Option<Arc<Carried>>,
    dropped_bytes: u64,
    dropped_lines: u64,
}

impl Default for Tail {
    fn default() -> Self {
        Tail::new()
    }
}

impl Tail {
    pub fn new() -> Tail {
        Tail {
            scanner: Scanner::new(),
            buf: BytesMut::new(),
            base: 0,
            cuts: VecDeque::new(),
            raw_from: None,
            raw_last: None,
            unclean: false,
            replay: None,
            dropped_bytes: 0,
            dropped_lines: 0,
        }
    }

    /// Nothing held: the tab has everything (output may go to it directly).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.replay.is_none()
    }

    /// Structural output is held (it goes to the tab at the window's pace, never paced or
    /// dropped).
    pub fn holds_raw(&self) -> bool {
        self.raw_from.is_some()
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Output handed to the tab directly (only while the tail is empty): followed, not kept.
    pub fn observe(&mut self, data: &[u8]) {
        debug_assert!(self.is_empty());
        let base = self.base;
        self.scanner.scan(data, base, &mut |_| {});
        self.base += data.len() as u64;
    }

    /// May more output be pushed? False once the tail is at its bound (bytes it may not drop:
    /// the screen's lines, structural output, a part the tab has half read): the session is then
    /// paused until the tab takes some.
    pub fn accepts(&self) -> bool {
        let end = self.base + self.buf.len() as u64;
        let raw = self.raw_from.map_or(0, |r| end.saturating_sub(r)) as usize;
        self.buf.len() < MAX_TAIL_BYTES && raw < RAW_CAP
    }

    /// Output taken while the tab is behind. `keep` lines ([`lines_to_keep`]) are kept, and at
    /// least `screen` (`2 × rows`) whatever their size.
    pub fn push(&mut self, data: &[u8], keep: usize, screen: usize) {
        if self.is_empty() {
            // Output went to the tab directly until now: it may have stopped half-way through
            // a sequence.
            self.unclean = !self.scanner.at_rest();
        }
        let base = self.base + self.buf.len() as u64;
        self.buf.extend_from_slice(data);
        let (cuts, raw_from, raw_last) = (&mut self.cuts, &mut self.raw_from, &mut self.raw_last);
        // Line starts after structural output are recorded too: they become cuts once the tab
        // has been handed the structural bytes before them (`take`); until then `compact` uses
        // only those before `raw_from`.
        self.scanner.scan(data, base, &mut |e| match e {
            Event::Line(pos, carried) => cuts.push_back(Cut {
                pos,
                carried: Arc::clone(carried),
            }),
            Event::Structural(pos) => {
                raw_from.get_or_insert(pos);
                *raw_last = Some(pos);
            }
        });
        self.compact(keep, screen.min(keep));
    }

    /// Drops the oldest lines beyond `keep`, and beyond [`MAX_TAIL_BYTES`] down to `screen`.
    fn compact(&mut self, keep: usize, screen: usize) {
        if self.unclean {
            return;
        }
        // Only line starts before the first structural byte may be cut at: dropping up to one
        // beyond it would drop structural output.
        let m = match self.raw_from {
            Some(r) => self.cuts.partition_point(|c| c.pos <= r),
            None => self.cuts.len(),
        };
        if m == 0 {
            return;
        }
        // Cutting at `cuts[j]` keeps at least `m - 1 - j` newlines of plain output.
        let mut j = (m > keep).then(|| m - 1 - keep);
        let end = self.base + self.buf.len() as u64;
        if self.buf.len() > MAX_TAIL_BYTES && m > screen {
            let last = m - 1 - screen;
            let mut k = j.unwrap_or(0);
            while k < last && end - self.cuts[k].pos > MAX_TAIL_BYTES as u64 {
                k += 1;
            }
            j = Some(k);
        }
        let Some(j) = j else { return };
        let at = self.cuts[j].pos;
        let carried = Arc::clone(&self.cuts[j].carried);
        let n = (at - self.base) as usize;
        self.buf.advance(n);
        self.base = at;
        self.dropped_bytes += n as u64;
        self.dropped_lines += j as u64 + 1;
        self.cuts.drain(..=j);
        // The state carried to the cut is composed since an origin the tab has already drawn,
        // so it replaces any replay still pending.
        self.replay = Some(carried);
    }

    /// At most `max` bytes for the tab (more by the few bytes that put the state of a dropped
    /// part back), ending at a line start when one is in reach. `None` when empty.
    pub fn take(&mut self, max: usize) -> Option<Bytes> {
        if self.is_empty() {
            return None;
        }
        let mut out = BytesMut::new();
        if let Some(r) = self.replay.take() {
            out.extend_from_slice(&r.replay());
        }
        let max = max.max(1);
        let (n, at_line) = if self.buf.len() <= max {
            (self.buf.len(), false)
        } else {
            let limit = self.base + max as u64;
            let k = self.cuts.partition_point(|c| c.pos <= limit);
            match k.checked_sub(1).map(|k| self.cuts[k].pos) {
                Some(pos) if pos > self.base => ((pos - self.base) as usize, true),
                _ => (max, false),
            }
        };
        out.extend_from_slice(&self.buf.split_to(n));
        self.base += n as u64;
        while self.cuts.front().is_some_and(|c| c.pos <= self.base) {
            self.cuts.pop_front();
        }
        if self.buf.is_empty() {
            // The tab has everything: structural output no longer holds anything back.
            self.raw_from = None;
            self.raw_last = None;
            self.unclean = !self.scanner.at_rest();
        } else {
            self.unclean = !at_line;
            // Ended at a line start past the last structural byte: the tab has all of it and
            // its parser is at rest (a line start is recorded only in ground, after any string
            // a structural byte opened), so what follows is plain and may be skipped again,
            // however long the flood goes on (before, one cursor movement made the rest of a
            // sustained flood back-pressured until the tail emptied).
            if at_line && self.raw_last.is_some_and(|l| l < self.base) {
                self.raw_from = None;
                self.raw_last = None;
            }
        }
        Some(out.freeze())
    }

    /// Bytes and lines dropped so far.
    pub fn dropped(&self) -> (u64, u64) {
        (self.dropped_bytes, self.dropped_lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::num::NonZeroU16;

    /// Records the title and icon name a terminal was given.
    #[derive(Default)]
    struct Titles {
        title: Vec<u8>,
        icon: Vec<u8>,
    }

    impl vt100::Callbacks for Titles {
        fn set_window_title(&mut self, _: &mut vt100::Screen, t: &[u8]) {
            self.title = t.to_vec();
        }
        fn set_window_icon_name(&mut self, _: &mut vt100::Screen, t: &[u8]) {
            self.icon = t.to_vec();
        }
    }

    type Term = vt100::Parser<Titles>;

    fn term(rows: u16, cols: u16, scrollback: usize) -> Term {
        let n = |v: u16| NonZeroU16::new(v).expect("a size");
        vt100::Parser::new_with_callbacks(n(rows), n(cols), scrollback, Titles::default())
    }

    /// vt100 reads a stream the same however it is cut, except (seen with a combining
    /// character at the end of a row) for some cuts; byte by byte on both sides takes the cuts
    /// out of the comparison.
    fn feed(t: &mut Term, bytes: &[u8]) {
        for b in bytes {
            t.process(std::slice::from_ref(b));
        }
    }

    /// Where two terminals differ (screen, formatting, cursor, attributes, scrollback, titles).
    fn difference(a: &mut Term, b: &mut Term) -> Option<String> {
        let (sa, sb) = (a.screen(), b.screen());
        if sa.cursor_position() != sb.cursor_position() {
            return Some(format!(
                "cursor {:?} vs {:?}",
                sa.cursor_position(),
                sb.cursor_position()
            ));
        }
        if sa.attributes_formatted() != sb.attributes_formatted() {
            return Some(format!(
                "attributes {:?} vs {:?}",
                sa.attributes_formatted(),
                sb.attributes_formatted()
            ));
        }
        if sa.scrollback_len() != sb.scrollback_len() {
            return Some(format!(
                "scrollback {} vs {} rows",
                sa.scrollback_len(),
                sb.scrollback_len()
            ));
        }
        if a.callbacks().title != b.callbacks().title || a.callbacks().icon != b.callbacks().icon {
            return Some("title or icon name".into());
        }
        let rows = a.screen().size().0.get();
        let len = a.screen().scrollback_len();
        for off in 0..=len {
            a.screen_mut().set_scrollback(off);
            b.screen_mut().set_scrollback(off);
            let (sa, sb) = (a.screen(), b.screen());
            let wrapped =
                |s: &vt100::Screen| (0..rows).map(|r| s.row_wrapped(r)).collect::<Vec<_>>();
            if sa.contents_formatted() != sb.contents_formatted() || wrapped(sa) != wrapped(sb) {
                let d = format!(
                    "at scrollback offset {off}:\n{}\nvs\n{}",
                    sa.contents(),
                    sb.contents()
                );
                a.screen_mut().set_scrollback(0);
                b.screen_mut().set_scrollback(0);
                return Some(d);
            }
        }
        a.screen_mut().set_scrollback(0);
        b.screen_mut().set_scrollback(0);
        None
    }

    /// Random plain output: text (long wrapped lines, wide and combined characters), SGR,
    /// erase in line, `\r` progress, titles, tabs, BEL, backspace; `\r\n` and some bare `\n`.
    fn plain(rng: &mut StdRng, lines: usize, cols: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..lines {
            for _ in 0..rng.random_range(0..4) {
                match rng.random_range(0..14) {
                    0..=4 => {
                        let n = match rng.random_range(0..10) {
                            0 => rng.random_range(cols..cols * 4),
                            _ => rng.random_range(0..cols),
                        };
                        out.extend((0..n).map(|_| rng.random_range(b' '..=b'~')));
                    }
                    5 => out.extend_from_slice("漢字😀é".as_bytes()),
                    6 => out.extend_from_slice("e\u{301}x".as_bytes()),
                    7 => {
                        let codes = [
                            "",
                            "0",
                            "1",
                            "2",
                            "22",
                            "3",
                            "23",
                            "4",
                            "24",
                            "7",
                            "27",
                            "31",
                            "39",
                            "42",
                            "49",
                            "92",
                            "101",
                            "38;5;208",
                            "48;2;1;2;3",
                            "1;31;44",
                            "0;2",
                            "5",
                            "9",
                            "53",
                            "55",
                        ];
                        let c = codes[rng.random_range(0..codes.len())];
                        out.extend_from_slice(format!("\x1b[{c}m").as_bytes());
                    }
                    8 => {
                        let el = ["\x1b[K", "\x1b[0K", "\x1b[1K", "\x1b[2K"];
                        out.extend_from_slice(el[rng.random_range(0..el.len())].as_bytes());
                    }
                    9 => {
                        out.extend_from_slice(format!("{}%\r", rng.random_range(0..100)).as_bytes())
                    }
                    10 => {
                        let n = rng.random_range(0..1000);
                        let t = match rng.random_range(0..4) {
                            0 => format!("\x1b]0;t{n}\x07"),
                            1 => format!("\x1b]2;tïtle {n}\x1b\\"),
                            2 => format!("\x1b]1;icon{n}\x07"),
                            _ => format!("\x1b]2;{n}\x07"),
                        };
                        out.extend_from_slice(t.as_bytes());
                    }
                    11 => out.push(b'\t'),
                    12 => out.push(0x07),
                    _ => out.extend_from_slice(b"ab\x08"),
                }
            }
            out.extend_from_slice(if rng.random_range(0..12) == 0 {
                b"\n"
            } else {
                b"\r\n"
            });
        }
        out
    }

    /// A few structural sequences, for streams that must stop dropping where they are.
    fn structural(rng: &mut StdRng) -> &'static [u8] {
        let s: [&[u8]; 8] = [
            b"\x1b[H",
            b"\x1b[2J",
            b"\x1b[3A",
            b"\x1b7\x1b[31m",
            b"\x1b8",
            b"\x1b[?25l",
            b"\x1bc",
            b"\x1b]8;;http://x\x1b\\",
        ];
        s[rng.random_range(0..s.len())]
    }

    /// Feeds `stream` to a tab the way the pump does: chunks cut at random, some handed on
    /// directly while nothing is held, others held while the tab is "behind", taken in
    /// random amounts. Returns the tab and the tail.
    fn through_tail(
        rng: &mut StdRng,
        stream: &[u8],
        (rows, cols, sb): (u16, u16, usize),
    ) -> (Term, Tail) {
        let mut tab = term(rows, cols, sb);
        let mut tail = Tail::new();
        let keep = lines_to_keep(sb, usize::from(rows));
        let screen = 2 * usize::from(rows);
        let mut behind = false;
        let mut got: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < stream.len() {
            let n = rng.random_range(1..64).min(stream.len() - i);
            let chunk = &stream[i..i + n];
            i += n;
            if rng.random_range(0..40) == 0 {
                behind = !behind;
            }
            if !behind && tail.is_empty() {
                tail.observe(chunk);
                got.extend_from_slice(chunk);
                feed(&mut tab, chunk);
            } else {
                tail.push(chunk, keep, screen);
            }
            if !behind && rng.random_range(0..3) == 0 {
                let max = rng.random_range(1..400);
                if let Some(b) = tail.take(max) {
                    got.extend_from_slice(&b);
                    feed(&mut tab, &b);
                }
            }
        }
        while let Some(b) = tail.take(rng.random_range(1..400)) {
            got.extend_from_slice(&b);
            feed(&mut tab, &b);
        }
        if tail.dropped().0 == 0 {
            assert!(got == stream, "nothing dropped: every byte, in order");
        }
        (tab, tail)
    }

    #[test]
    fn a_compacted_flood_leaves_the_screen_and_scrollback_as_drawing_everything() {
        let mut dropped = 0;
        for seed in 0..500u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let rows = rng.random_range(2..9);
            let cols = rng.random_range(8..40);
            let sb = rng.random_range(0..30);
            let lines = rng.random_range(0..400);
            let mut stream = plain(&mut rng, lines, usize::from(cols));
            if seed % 4 == 0 {
                // Structural output here and there: nothing after it may be dropped until drawn.
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(0..=stream.len());
                    let s = structural(&mut rng);
                    stream.splice(at..at, s.iter().copied());
                }
            }
            let mut all = term(rows, cols, sb);
            feed(&mut all, &stream);
            let (mut tab, tail) = through_tail(&mut rng, &stream, (rows, cols, sb));
            if let Some(d) = difference(&mut all, &mut tab) {
                panic!("seed {seed} ({rows}x{cols}, scrollback {sb}): {d}");
            }
            dropped += tail.dropped().0;
        }
        assert!(
            dropped > 100_000,
            "the floods were compacted: {dropped} bytes dropped"
        );
    }

    /// Everything pushed while behind, then taken whole.
    fn compact(stream: &[u8], keep: usize, screen: usize) -> (Vec<u8>, Tail) {
        let mut tail = Tail::new();
        tail.push(stream, keep, screen);
        let mut out = Vec::new();
        while let Some(b) = tail.take(usize::MAX) {
            out.extend_from_slice(&b);
        }
        (out, tail)
    }

    #[test]
    fn a_yes_flood_keeps_its_last_lines_with_the_colour_in_force() {
        let mut stream = b"\x1b]0;busy\x07\x1b[1;32m".to_vec();
        stream.extend(b"y\r\n".repeat(100_000));
        let (out, tail) = compact(&stream, 10, 4);
        // The carried state, then at least `keep` lines.
        assert_eq!(
            out,
            [
                &b"\x1b[1;32m\x1b]1;busy\x07\x1b]2;busy\x07\r"[..],
                &b"y\r\n".repeat(10)
            ]
            .concat()
        );
        assert_eq!(tail.dropped(), (stream.len() as u64 - 30, 100_000 - 10));
    }

    #[test]
    fn an_endless_title_of_multibyte_text_stays_bounded() {
        // A pod may open an OSC and never end it: whatever its bytes, the scanner keeps at
        // most a title's worth of them (before, multi-byte text grew it without bound).
        let mut t = Tail::new();
        t.observe(b"\x1b]0;");
        let text = "\u{e9}\u{4e16}\u{1f600}".repeat(100_000);
        for _ in 0..10 {
            t.observe(text.as_bytes());
        }
        assert!(
            t.scanner.osc.len() <= MAX_TITLE + 8,
            "{} bytes kept of an endless title",
            t.scanner.osc.len()
        );
    }

    #[test]
    fn a_structural_byte_stops_the_dropping() {
        // A cursor movement after 1,000 lines: the lines before it may go (beyond what is
        // kept), nothing from it on.
        let mut stream = b"y\r\n".repeat(1_000);
        stream.extend_from_slice(b"\x1b[5A");
        stream.extend(b"n\r\n".repeat(1_000));
        let (out, tail) = compact(&stream, 10, 4);
        let want = [
            &b"\r"[..],
            &b"y\r\n".repeat(10),
            b"\x1b[5A",
            &b"n\r\n".repeat(1_000),
        ]
        .concat();
        assert_eq!(out, want);
        assert_eq!(tail.dropped().1, 990);
        // Unknown SGR codes, other OSCs, private CSIs and charset shifts are structural too.
        for s in [
            &b"\x1b[21m"[..],
            b"\x1b]52;c;eA==\x07",
            b"\x1b[?1049h",
            b"\x0e",
            b"\x1b(0",
            b"\x1bPq\x1b\\",
            b"\x1b]0;a;b\x07",
            b"\xff",
        ] {
            let mut stream = s.to_vec();
            stream.extend(b"y\r\n".repeat(100));
            let (out, tail) = compact(&stream, 10, 4);
            assert_eq!(out, stream, "{s:?} is structural");
            assert_eq!(tail.dropped(), (0, 0));
        }
    }

    #[test]
    fn skipping_resumes_once_the_tab_has_the_structural_bytes() {
        // A cursor movement inside a sustained flood: held (never dropped) until the tab has
        // been handed it and a line start after it; from there on, the flood is skipped again
        // (before, not until the tail emptied: the rest of the flood was back-pressured).
        let (rows, cols, sb) = (4u16, 10u16, 2usize);
        let (keep, screen) = (lines_to_keep(sb, rows.into()), 2 * usize::from(rows));
        let mut stream = b"y\r\n".repeat(1_000);
        stream.extend_from_slice(b"\x1b[5A");
        let second = b"n\r\n".repeat(1_000);
        let third = b"m\r\n".repeat(1_000);
        let mut tail = Tail::new();
        tail.push(&stream, keep, screen);
        tail.push(&second, keep, screen);
        assert_eq!(tail.dropped().1, 1_000 - keep as u64, "the lines before it");
        assert!(tail.holds_raw());
        let mut tab = term(rows, cols, sb);
        // The tab takes a little: the kept lines, the movement, a few lines after it.
        let first = tail.take(3 * keep + 4 + 6).expect("output");
        assert!(first.ends_with(b"\x1b[5An\r\nn\r\n"), "{first:?}");
        feed(&mut tab, &first);
        assert!(!tail.holds_raw(), "the structural part was handed on");
        let before = tail.dropped().1;
        tail.push(&third, keep, screen);
        assert!(
            tail.dropped().1 >= before + 1_900,
            "skipped again: {:?}",
            tail.dropped()
        );
        while let Some(b) = tail.take(64) {
            feed(&mut tab, &b);
        }
        let mut all = term(rows, cols, sb);
        feed(&mut all, &[stream, second, third].concat());
        assert_eq!(difference(&mut all, &mut tab), None);
    }

    #[test]
    fn escapes_and_utf8_split_across_chunks_are_followed() {
        // The same stream pushed a byte at a time and whole compacts the same way.
        let mut stream = Vec::new();
        for i in 0..300 {
            stream.extend_from_slice(
                format!("\x1b[38;5;{}mé漢 {i}\x1b]2;t{i}\x1b\\\x1b[K\r\n", i % 256).as_bytes(),
            );
        }
        let (whole, _) = compact(&stream, 20, 4);
        let mut tail = Tail::new();
        for b in &stream {
            tail.push(std::slice::from_ref(b), 20, 4);
        }
        let mut bytewise = Vec::new();
        while let Some(b) = tail.take(usize::MAX) {
            bytewise.extend_from_slice(&b);
        }
        assert_eq!(whole, bytewise);
        assert!(
            whole.starts_with(b"\x1b[38;5;23m\x1b]2;t279\x07\r"),
            "{:?}",
            String::from_utf8_lossy(&whole[..40])
        );
        // A split escape after a cut point: the title's OSC and the UTF-8 character are kept
        // whole, and a sequence the tab got half of is never dropped.
        let mut tail = Tail::new();
        tail.observe(b"\x1b]2;ha");
        tail.push(b"lf\x07\r\n", 1, 1);
        tail.push(&b"y\r\n".repeat(50), 1, 1);
        let first = tail.take(usize::MAX).expect("output");
        assert!(first.starts_with(b"lf\x07\r\n"), "{first:?}");
    }

    #[test]
    fn the_byte_bound_drops_old_long_lines_but_never_the_screen() {
        let line = [b"x".repeat(100_000), b"\r\n".to_vec()].concat();
        // 200 lines of 100 kB: 20 MB, with room for 1,000 lines of scrollback.
        let stream = line.repeat(200);
        let mut tail = Tail::new();
        for c in stream.chunks(64 * 1024) {
            tail.push(c, 1_000, 8);
        }
        assert!(tail.len() <= MAX_TAIL_BYTES, "bounded: {}", tail.len());
        assert!(tail.accepts());
        assert_eq!(tail.len() % line.len(), 0, "whole lines");
        assert_eq!(tail.len() / line.len(), MAX_TAIL_BYTES / line.len());
        // Lines so long that the screen's 8 exceed the bound: those are kept, and the tail
        // takes no more (the session pauses) until the tab has drawn some.
        let line = [b"x".repeat(1_000_000), b"\r\n".to_vec()].concat();
        let mut tail = Tail::new();
        for c in line.repeat(12).chunks(64 * 1024) {
            tail.push(c, 1_000, 8);
        }
        assert_eq!(tail.len(), 8 * line.len(), "the screen's lines");
        assert!(!tail.accepts());
        // A structural flood is held up to its cap.
        let mut tail = Tail::new();
        tail.push(b"\x1b[H", 10, 4);
        for c in b"\x1b[Hy\r\n".repeat(100_000).chunks(4096) {
            if !tail.accepts() {
                break;
            }
            tail.push(c, 10, 4);
        }
        assert!(!tail.accepts());
        assert!(tail.len() < RAW_CAP + 4096, "{}", tail.len());
        assert_eq!(tail.dropped(), (0, 0));
    }

    #[test]
    fn a_flood_that_starts_high_on_a_full_screen_keeps_twice_the_rows() {
        // The tab's cursor at the top of a screen full of older text when the flood starts:
        // the first `rows` lines only overwrite those rows in place, so the scrollback and
        // screen are all the flood's own only after `scrollback + 2 × rows` lines (with
        // `scrollback + rows` the scrollback kept the older rows' ends).
        let (rows, cols, sb) = (4u16, 10u16, 3usize);
        let before = b"xxxxxxxxxx\r\nxxxxxxxxxx\r\nxxxxxxxxxx\r\nxxxxxxxxxx\x1b[H";
        let flood: Vec<u8> = (0..100)
            .flat_map(|i| format!("L{i}\r\n").into_bytes())
            .collect();
        let mut all = term(rows, cols, sb);
        feed(&mut all, before);
        feed(&mut all, &flood);
        let mut tab = term(rows, cols, sb);
        let mut tail = Tail::new();
        feed(&mut tab, before);
        tail.observe(before);
        tail.push(
            &flood,
            lines_to_keep(sb, rows.into()),
            2 * usize::from(rows),
        );
        while let Some(b) = tail.take(usize::MAX) {
            feed(&mut tab, &b);
        }
        assert!(tail.dropped().1 > 80);
        assert_eq!(difference(&mut all, &mut tab), None);
    }
}
