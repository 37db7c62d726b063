//! SPDY/3.1 framing, the server's half, as far as kubectl's port-forward uses it: kubectl opens
//! a SPDY session (tunnelled through a WebSocket, `SPDY/3.1+portforward.k8s.io`), then two
//! streams per forwarded connection (`SYN_STREAM`), which the server accepts (`SYN_REPLY`) and
//! feeds with `DATA`. Pings are echoed; settings and window updates are read past (kubectl's
//! SPDY library does no flow control).
//!
//! Frames (big-endian): a control frame is `1|version(15) type(16) flags(8) length(24) body`; a
//! data frame is `0|stream(31) flags(8) length(24) data`. A header block is zlib-compressed with
//! SPDY/3's dictionary, one compression stream per direction for the whole session, flushed at
//! each frame. The client's blocks are inflated with the dictionary; the server's are written as
//! stored (uncompressed) deflate blocks, which any inflater reads, with or without a dictionary.

use bytes::{Buf, BytesMut};
use flate2::{Decompress, FlushDecompress, Status};

/// The only version spoken.
const VERSION: u16 = 3;
/// Frame types.
const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
/// `FLAG_FIN`: the sender's last frame on the stream.
const FIN: u8 = 0x01;
/// The largest frame accepted. kubectl's data frames are at most 32 KiB; anything much larger
/// ends the session rather than growing a buffer.
pub const MAX_FRAME: usize = 1 << 20;
/// A header block inflated past this ends the session (kubectl's are a few dozen bytes).
const MAX_HEADERS: usize = 64 << 10;

/// Why a session cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SpdyError {
    #[error("a SPDY frame of {0} bytes is larger than {MAX_FRAME}")]
    TooLarge(usize),
    #[error("SPDY version {0} is not spoken (only 3)")]
    Version(u16),
    #[error("a malformed SPDY frame: {0}")]
    Malformed(&'static str),
    #[error("a header block does not inflate: {0}")]
    Inflate(String),
}

/// A frame the server acts on.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    SynStream {
        id: u32,
        fin: bool,
        headers: Vec<(String, String)>,
    },
    Data {
        id: u32,
        fin: bool,
        data: bytes::Bytes,
    },
    RstStream {
        id: u32,
    },
    Ping {
        id: u32,
    },
    GoAway,
    /// Settings, window updates, replies and headers: nothing to do.
    Ignored,
}

/// SPDY/3's header dictionary: length-prefixed lowercase words, then a run of common values.
const DICTIONARY_WORDS: [&str; 66] = [
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
    "",
];
const DICTIONARY_TAIL: [&str; 8] = [
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized",
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable",
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,",
    "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch",
    "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
    "",
];

fn dictionary() -> Vec<u8> {
    let mut d = Vec::with_capacity(1423);
    for w in DICTIONARY_WORDS.iter().filter(|w| !w.is_empty()) {
        d.extend_from_slice(&(w.len() as u32).to_be_bytes());
        d.extend_from_slice(w.as_bytes());
    }
    for t in DICTIONARY_TAIL {
        d.extend_from_slice(t.as_bytes());
    }
    d
}

/// Reads frames from the bytes of a session, as they come.
pub struct Reader {
    buf: BytesMut,
    inflate: Decompress,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            buf: BytesMut::new(),
            inflate: Decompress::new(true),
        }
    }
}

impl Reader {
    /// Adds bytes read from the session.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, if one is there.
    pub fn next(&mut self) -> Result<Option<Frame>, SpdyError> {
        if self.buf.len() < 8 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([0, self.buf[5], self.buf[6], self.buf[7]]) as usize;
        if len > MAX_FRAME {
            return Err(SpdyError::TooLarge(len));
        }
        if self.buf.len() < 8 + len {
            return Ok(None);
        }
        let head = self.buf.split_to(8);
        let mut body = self.buf.split_to(len);
        let flags = head[4];
        if head[0] & 0x80 == 0 {
            let id = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            return Ok(Some(Frame::Data {
                id,
                fin: flags & FIN != 0,
                data: body.freeze(),
            }));
        }
        let version = u16::from_be_bytes([head[0] & 0x7f, head[1]]);
        if version != VERSION {
            return Err(SpdyError::Version(version));
        }
        let kind = u16::from_be_bytes([head[2], head[3]]);
        let word = |b: &mut BytesMut| -> Result<u32, SpdyError> {
            if b.len() < 4 {
                return Err(SpdyError::Malformed(
                    "a control frame too short for its type",
                ));
            }
            Ok(b.get_u32() & 0x7fff_ffff)
        };
        Ok(Some(match kind {
            SYN_STREAM => {
                let id = word(&mut body)?;
                let _associated = word(&mut body)?;
                if body.len() < 2 {
                    return Err(SpdyError::Malformed("SYN_STREAM without its priority"));
                }
                body.advance(2);
                let block = self.inflate_block(&body)?;
                Frame::SynStream {
                    id,
                    fin: flags & FIN != 0,
                    headers: parse_headers(&block)?,
                }
            }
            SYN_REPLY | 8 => {
                // A reply or HEADERS: the block still moves the shared inflate stream on.
                let _id = word(&mut body)?;
                self.inflate_block(&body)?;
                Frame::Ignored
            }
            RST_STREAM => Frame::RstStream {
                id: word(&mut body)?,
            },
            PING => Frame::Ping {
                id: word(&mut body)?,
            },
            GOAWAY => Frame::GoAway,
            _ => Frame::Ignored,
        }))
    }

    fn inflate_block(&mut self, input: &[u8]) -> Result<Vec<u8>, SpdyError> {
        let mut out = Vec::with_capacity(256);
        let mut rest = input;
        loop {
            if out.len() == out.capacity() {
                if out.len() >= MAX_HEADERS {
                    return Err(SpdyError::Inflate(format!(
                        "larger than {MAX_HEADERS} bytes"
                    )));
                }
                out.reserve(out.len().max(256));
            }
            let before_in = self.inflate.total_in();
            let before_out = self.inflate.total_out();
            let status = match self
                .inflate
                .decompress_vec(rest, &mut out, FlushDecompress::Sync)
            {
                Ok(s) => s,
                Err(e) if e.needs_dictionary().is_some() => {
                    let read = (self.inflate.total_in() - before_in) as usize;
                    rest = &rest[read.min(rest.len())..];
                    self.inflate
                        .set_dictionary(&dictionary())
                        .map_err(|e| SpdyError::Inflate(e.to_string()))?;
                    continue;
                }
                Err(e) => return Err(SpdyError::Inflate(e.to_string())),
            };
            let read = (self.inflate.total_in() - before_in) as usize;
            rest = &rest[read.min(rest.len())..];
            let wrote = self.inflate.total_out() - before_out;
            if status == Status::StreamEnd {
                return Err(SpdyError::Inflate("the header stream ended".into()));
            }
            if rest.is_empty() && out.len() < out.capacity() {
                return Ok(out);
            }
            if read == 0 && wrote == 0 && out.len() < out.capacity() {
                return Err(SpdyError::Inflate("a header block cut short".into()));
            }
        }
    }
}

/// `count, (name length, name, value length, value)…`, all lengths 32-bit big-endian.
fn parse_headers(mut b: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
    const SHORT: SpdyError = SpdyError::Malformed("a header block shorter than it says");
    let take = |b: &mut &[u8]| -> Result<String, SpdyError> {
        if b.len() < 4 {
            return Err(SHORT);
        }
        let n = b.get_u32() as usize;
        if b.len() < n {
            return Err(SHORT);
        }
        let s = String::from_utf8_lossy(&b[..n]).into_owned();
        b.advance(n);
        Ok(s)
    };
    if b.len() < 4 {
        return Err(SHORT);
    }
    let count = b.get_u32();
    let mut out = Vec::new();
    for _ in 0..count {
        let name = take(&mut b)?;
        let value = take(&mut b)?;
        out.push((name.to_ascii_lowercase(), value));
    }
    Ok(out)
}

/// Writes the server's frames; each call returns one whole frame.
#[derive(Default)]
pub struct Writer {
    started: bool,
}

impl Writer {
    fn control(kind: u16, flags: u8, body: &[u8]) -> Vec<u8> {
        let mut f = Vec::with_capacity(8 + body.len());
        f.extend_from_slice(&(0x8000 | VERSION).to_be_bytes());
        f.extend_from_slice(&kind.to_be_bytes());
        f.push(flags);
        f.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        f.extend_from_slice(body);
        f
    }

    /// Accepts a stream the client opened: a reply with no headers.
    pub fn syn_reply(&mut self, id: u32) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        // The header block: no headers, as one stored deflate block; the session's first block
        // opens the zlib stream (no dictionary needed to read it).
        if !self.started {
            self.started = true;
            body.extend_from_slice(&[0x78, 0x01]);
        }
        let block = 0u32.to_be_bytes();
        let len = block.len() as u16;
        body.push(0x00);
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(&(!len).to_le_bytes());
        body.extend_from_slice(&block);
        // Then an empty stored block, as a sync flush ends with: Go's inflater hands a stored
        // block's bytes on only once it has read the next block's header, which must be in this
        // frame (the reader may not look past it).
        body.extend_from_slice(&[0x00, 0x00, 0x00, 0xff, 0xff]);
        Self::control(SYN_REPLY, 0, &body)
    }

    /// Data on a stream; `fin` ends the server's side of it.
    pub fn data(id: u32, fin: bool, data: &[u8]) -> Vec<u8> {
        let mut f = Vec::with_capacity(8 + data.len());
        f.extend_from_slice(&(id & 0x7fff_ffff).to_be_bytes());
        f.push(if fin { FIN } else { 0 });
        f.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
        f.extend_from_slice(data);
        f
    }

    /// The answer to a client's ping: the same id.
    pub fn ping(id: u32) -> Vec<u8> {
        Self::control(PING, 0, &id.to_be_bytes())
    }

    /// Ends a stream at once (status 5: CANCEL).
    pub fn rst(id: u32) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        body.extend_from_slice(&5u32.to_be_bytes());
        Self::control(RST_STREAM, 0, &body)
    }

    /// Ends the session (status 0: OK).
    pub fn goaway(last: u32) -> Vec<u8> {
        let mut body = last.to_be_bytes().to_vec();
        body.extend_from_slice(&0u32.to_be_bytes());
        Self::control(GOAWAY, 0, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    fn adler32(b: &[u8]) -> u32 {
        let (mut a, mut s) = (1u32, 0u32);
        for &x in b {
            a = (a + x as u32) % 65521;
            s = (s + a) % 65521;
        }
        (s << 16) | a
    }

    #[test]
    fn the_dictionary_is_spdy_3s() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        assert_eq!(adler32(&d), 0xe3c6_a7c2);
    }

    fn block(headers: &[(&str, &str)]) -> Vec<u8> {
        let mut b = (headers.len() as u32).to_be_bytes().to_vec();
        for (k, v) in headers {
            b.extend_from_slice(&(k.len() as u32).to_be_bytes());
            b.extend_from_slice(k.as_bytes());
            b.extend_from_slice(&(v.len() as u32).to_be_bytes());
            b.extend_from_slice(v.as_bytes());
        }
        b
    }

    /// A client's SYN_STREAM, its block compressed with the dictionary as Go's framer does.
    fn syn_stream(z: &mut Compress, id: u32, headers: &[(&str, &str)]) -> Vec<u8> {
        let plain = block(headers);
        let mut out = Vec::with_capacity(plain.len() + 64);
        z.compress_vec(&plain, &mut out, FlushCompress::Sync)
            .expect("compress");
        let mut body = id.to_be_bytes().to_vec();
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&out);
        Writer::control(SYN_STREAM, 0, &body)
    }

    #[test]
    fn streams_are_read_across_one_compression_stream() {
        let mut z = Compress::new(Compression::best(), true);
        z.set_dictionary(&dictionary()).expect("dictionary");
        let mut r = Reader::default();
        let h = [
            ("streamtype", "error"),
            ("port", "8080"),
            ("requestid", "0"),
        ];
        let mut bytes = syn_stream(&mut z, 1, &h);
        let h2 = [("streamtype", "data"), ("port", "8080"), ("requestid", "0")];
        bytes.extend(syn_stream(&mut z, 3, &h2));
        bytes.extend(Writer::data(3, true, b"hello"));
        bytes.extend(Writer::ping(7));
        // Byte by byte: a frame is read only once whole.
        let mut frames = Vec::new();
        for b in bytes {
            r.push(&[b]);
            while let Some(f) = r.next().expect("frame") {
                frames.push(f);
            }
        }
        let owned = |h: &[(&str, &str)]| {
            h.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            frames,
            vec![
                Frame::SynStream {
                    id: 1,
                    fin: false,
                    headers: owned(&h)
                },
                Frame::SynStream {
                    id: 3,
                    fin: false,
                    headers: owned(&h2)
                },
                Frame::Data {
                    id: 3,
                    fin: true,
                    data: bytes::Bytes::from_static(b"hello")
                },
                Frame::Ping { id: 7 },
            ]
        );
    }

    #[test]
    fn replies_inflate_as_one_stream() {
        let mut w = Writer::default();
        let mut z = Decompress::new(true);
        let mut fed = 0;
        for id in [1u32, 3, 5] {
            let f = w.syn_reply(id);
            assert_eq!(&f[..4], &[0x80, 3, 0, 2]);
            assert_eq!(&f[8..12], &id.to_be_bytes());
            let mut out = Vec::with_capacity(64);
            z.decompress_vec(&f[12..], &mut out, FlushDecompress::Sync)
                .expect("inflate");
            fed += f.len() - 12;
            assert_eq!(out, vec![0, 0, 0, 0], "no headers");
            assert_eq!(z.total_in() as usize, fed, "every byte of the block read");
        }
    }

    #[test]
    fn oversized_and_foreign_frames_are_refused() {
        let mut r = Reader::default();
        r.push(&[0x80, 3, 0, 1, 0, 0x20, 0, 0]);
        assert!(matches!(r.next(), Err(SpdyError::TooLarge(_))));
        let mut r = Reader::default();
        r.push(&[0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]);
        assert!(matches!(r.next(), Err(SpdyError::Version(2))));
        let mut r = Reader::default();
        r.push(&[0x80, 3, 0, 1, 0, 0, 0, 2, 0, 0]);
        assert!(matches!(r.next(), Err(SpdyError::Malformed(_))));
    }
}
