//! Stdin's bytes as the wire carries them: each piece behind the stdin channel's byte. A reader
//! of its own (a command line's stdin) reads straight into that place, so what it reads is sent
//! without being copied again; bytes from anywhere else are copied into a frame once.

use crate::protocol;
use bytes::{Bytes, BytesMut};
use std::io::{ErrorKind, Read};

/// A block [`Reader`] reads into, cut into frames as it fills: room for four full reads and
/// their channel bytes (1 MiB and 4 bytes), one allocation for several reads.
const BLOCK: usize = 4 * (1 + READ_MAX);

/// The most a read takes (so the most a frame holds). A session queues up to 64 pieces of stdin,
/// so this bounds what waits for the socket at 16 MiB: with 1 MiB reads a 256 MiB `exec -i cat`
/// peaked at 70–89 MB of RSS, with 256 KiB reads at 37–39 MB, for the same CPU time.
const READ_MAX: usize = 256 << 10;

/// The least room a read is given: below it, the rest of a block is left to the frames already
/// cut from it and a new block starts (a read into a few bytes would cost a frame for little).
const MIN_ROOM: usize = 64 << 10;

/// Stdin bytes framed for the wire: the stdin channel's byte, then the data (a [`Reader`]'s are
/// never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame(Bytes);

impl Frame {
    /// A frame holding a copy of `data`.
    pub fn copy_of(data: &[u8]) -> Frame {
        let mut f = BytesMut::with_capacity(data.len() + 1);
        f.extend_from_slice(&[protocol::STDIN]);
        f.extend_from_slice(data);
        Frame(f.freeze())
    }

    /// The stdin bytes (the frame without its channel byte).
    pub fn data(&self) -> &[u8] {
        &self.0[1..]
    }

    /// The stdin bytes as a [`Bytes`] of their own, sharing the frame's memory (no copy).
    pub fn payload(&self) -> Bytes {
        self.0.slice(1..)
    }

    /// The whole frame, as sent.
    pub(crate) fn into_wire(self) -> Bytes {
        self.0
    }
}

/// A frame filled in place by a producer of its own (a tar stream, a file's range): it starts
/// with the channel byte, so finishing it copies nothing.
#[derive(Debug)]
pub struct Piece(BytesMut);

impl Piece {
    /// An empty piece with room for `capacity` bytes of data.
    pub fn with_capacity(capacity: usize) -> Piece {
        let mut b = BytesMut::with_capacity(1 + capacity);
        b.extend_from_slice(&[protocol::STDIN]);
        Piece(b)
    }

    /// `len` zeroed bytes of data, to be read into ([`Piece::data_mut`]) and then cut to what
    /// was read ([`Piece::truncate`]).
    pub fn zeroed(len: usize) -> Piece {
        let mut b = BytesMut::zeroed(1 + len);
        b[0] = protocol::STDIN;
        Piece(b)
    }

    /// The data's length.
    pub fn len(&self) -> usize {
        self.0.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.0.extend_from_slice(data);
    }

    pub fn data(&self) -> &[u8] {
        &self.0[1..]
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.0[1..]
    }

    /// Keeps the first `len` bytes of data.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(1 + len);
    }

    pub fn finish(self) -> Frame {
        Frame(self.0.freeze())
    }
}

/// Reads a source into frames, in place. A block is zeroed once, when it is allocated, and cut
/// into frames as reads fill it; a frame keeps its block alive until it is sent, so a block is
/// freed once every frame cut from it has gone (what is pinned is bounded by what is queued,
/// plus one block).
pub struct Reader<R> {
    source: R,
    block: BytesMut,
}

impl<R: Read> Reader<R> {
    pub fn new(source: R) -> Self {
        Reader {
            source,
            block: BytesMut::new(),
        }
    }

    /// One read of the source (retried when interrupted): its bytes as a frame, or `None` at
    /// the end.
    pub fn next_frame(&mut self) -> std::io::Result<Option<Frame>> {
        if self.block.len() < 1 + MIN_ROOM {
            self.block = BytesMut::zeroed(BLOCK);
        }
        self.block[0] = protocol::STDIN;
        let room = self.block.len().min(1 + READ_MAX);
        let n = loop {
            match self.source.read(&mut self.block[1..room]) {
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(Frame(self.block.split_to(1 + n).freeze())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out the given pieces, one a read, with an interruption first.
    struct Pieces {
        pieces: std::collections::VecDeque<Vec<u8>>,
        interrupted: bool,
        largest_ask: usize,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(ErrorKind::Interrupted.into());
            }
            self.largest_ask = self.largest_ask.max(buf.len());
            let Some(mut p) = self.pieces.pop_front() else {
                return Ok(0);
            };
            let n = p.len().min(buf.len());
            buf[..n].copy_from_slice(&p[..n]);
            if n < p.len() {
                self.pieces.push_front(p.split_off(n));
            }
            Ok(n)
        }
    }

    /// The test bytes at positions `at`: each position's value mod 251 (lost or repeated bytes
    /// show).
    fn pattern(at: std::ops::Range<usize>) -> Vec<u8> {
        at.map(|i| (i % 251) as u8).collect()
    }

    fn pieces(sizes: &[usize]) -> (Pieces, Vec<u8>) {
        let mut all = Vec::new();
        let mut v = std::collections::VecDeque::new();
        for &s in sizes {
            let p = pattern(all.len()..all.len() + s);
            all.extend_from_slice(&p);
            v.push_back(p);
        }
        let src = Pieces {
            pieces: v,
            interrupted: false,
            largest_ask: 0,
        };
        (src, all)
    }

    #[test]
    fn a_copied_frame_is_the_channel_byte_then_the_data() {
        let f = Frame::copy_of(b"ab");
        assert_eq!(f.data(), b"ab");
        assert_eq!(&f.payload()[..], b"ab");
        assert_eq!(&f.into_wire()[..], &[protocol::STDIN, b'a', b'b']);
    }

    #[test]
    fn a_piece_is_filled_in_place_behind_the_channel_byte() {
        let mut grown = Piece::with_capacity(4);
        assert!(grown.is_empty());
        grown.extend_from_slice(b"ab");
        grown.extend_from_slice(b"cdef");
        assert_eq!(grown.len(), 6);
        assert_eq!(&grown.finish().into_wire()[..], b"\0abcdef");
        let mut read = Piece::zeroed(8);
        read.data_mut()[..3].copy_from_slice(b"xyz");
        read.truncate(3);
        assert_eq!(read.data(), b"xyz");
        let f = read.finish();
        assert_eq!(f.data(), b"xyz");
        assert_eq!(&f.into_wire()[..], &[protocol::STDIN, b'x', b'y', b'z']);
    }

    #[test]
    fn reads_become_frames_in_order_across_blocks_until_the_end() {
        // Small reads, then reads that fill a block and spill into the next ones.
        let (src, all) = pieces(&[1, 3, 700_000, 900_000, 2_000_000, 5]);
        let mut r = Reader::new(src);
        let mut frames = Vec::new();
        while let Some(f) = r.next_frame().expect("read") {
            assert!(!f.data().is_empty());
            frames.push(f);
        }
        let got: Vec<u8> = frames.iter().flat_map(|f| f.data().to_vec()).collect();
        assert_eq!(got.len(), all.len());
        assert!(got == all, "the frames' bytes differ from what was read");
        for f in frames {
            assert_eq!(f.into_wire()[0], protocol::STDIN);
        }
        // No read is offered more than the most a read takes.
        assert_eq!(r.source.largest_ask, READ_MAX);
        assert!(r.next_frame().expect("read after the end").is_none());
    }

    #[test]
    fn a_read_is_always_given_at_least_the_least_room() {
        // Four full reads and one of 246 KiB leave 10 KiB of the block, less than the least
        // room: the next read starts a new block and is offered as much as ever.
        struct Asks {
            asks: Vec<usize>,
            give: Vec<usize>,
        }
        impl Read for Asks {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.asks.push(buf.len());
                let n = self.give.pop().unwrap_or(0).min(buf.len());
                Ok(n)
            }
        }
        let mut r = Reader::new(Asks {
            asks: Vec::new(),
            give: vec![7, 246 << 10, READ_MAX, READ_MAX, READ_MAX],
        });
        let mut sizes = Vec::new();
        for _ in 0..5 {
            sizes.push(r.next_frame().expect("read").expect("a frame").data().len());
        }
        assert_eq!(sizes, vec![READ_MAX, READ_MAX, READ_MAX, 246 << 10, 7]);
        assert_eq!(r.source.asks, vec![READ_MAX; 5]);
    }

    #[test]
    fn frames_cut_from_one_block_stay_whole_when_the_reader_reads_on() {
        let (src, _) = pieces(&[10, 20, 30]);
        let mut r = Reader::new(src);
        let a = r.next_frame().expect("read").expect("a frame");
        let b = r.next_frame().expect("read").expect("a frame");
        let c = r.next_frame().expect("read").expect("a frame");
        assert_eq!(a.data(), pattern(0..10));
        assert_eq!(b.data(), pattern(10..30));
        assert_eq!(c.data(), pattern(30..60));
    }
}
