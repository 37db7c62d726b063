//! A bound on what a pod's tar stream can make the unpacker hold. The `tar` crate reads a GNU
//! long name or link (`L`, `K`) and a PAX header (`x`, `g`) whole into memory, whatever size its
//! header declares, and a GNU sparse entry's (`S`) extension blocks into a list that grows with
//! each block: a pod's `tar` declaring a 100 GiB long name, then sending bytes, would run the
//! client out of memory before any name was checked. Go's archive/tar, kubectl's reader, caps
//! such headers at 1 MiB. [`HeaderGuard`] follows the stream's blocks as they pass, unchanged, and
//! fails the read at such a header over [`MAX_META`], or at a sparse entry (which the unpacker
//! refuses anyway). It knows each entry's data length the way the `tar` crate does: the header's
//! size field (octal, or base-256), or a preceding PAX header's `size`.

use std::io::Read;

/// The largest long name, long link or PAX header taken (Go's archive/tar's `maxSpecialFileSize`).
pub const MAX_META: u64 = 1 << 20;

const BLOCK: usize = 512;

/// Why the stream was cut: said as the unpacker's "corrupt stream" reason.
#[derive(Debug, thiserror::Error)]
pub enum HeaderRefusal {
    /// A long name, long link or PAX header over [`MAX_META`].
    #[error("a tar header's {what} of {size} bytes, more than the {max} taken")]
    TooLarge {
        what: &'static str,
        size: u64,
        max: u64,
    },
    /// A GNU sparse file.
    #[error("a sparse file (GNU tar's type 'S'), which is never written")]
    Sparse,
    /// A size field that is not a number.
    #[error("a tar header whose size is not a number")]
    BadSize,
}

enum State {
    /// Filling the next header block: the bytes of it seen so far.
    Header { seen: usize },
    /// Passing an entry's data and padding: bytes left; a PAX header's records (its `size`
    /// bytes, at most [`MAX_META`]) are kept to read the next entry's size from.
    Data {
        left: u64,
        pax: Option<(Vec<u8>, usize)>,
    },
}

/// A reader passing a tar stream through unchanged while checking each header (see the module).
pub struct HeaderGuard<R> {
    inner: R,
    state: State,
    block: [u8; BLOCK],
    /// The size a PAX header gave the next entry.
    next_size: Option<u64>,
}

impl<R: Read> HeaderGuard<R> {
    pub fn new(inner: R) -> Self {
        HeaderGuard {
            inner,
            state: State::Header { seen: 0 },
            block: [0; BLOCK],
            next_size: None,
        }
    }

    /// Takes in `bytes` (the next bytes of the stream, already handed on to the reader).
    fn follow(&mut self, mut bytes: &[u8]) -> Result<(), HeaderRefusal> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Header { seen } => {
                    let n = (BLOCK - *seen).min(bytes.len());
                    self.block[*seen..*seen + n].copy_from_slice(&bytes[..n]);
                    *seen += n;
                    bytes = &bytes[n..];
                    if *seen == BLOCK {
                        self.state = self.header()?;
                    }
                }
                State::Data { left, pax } => {
                    let n = (*left).min(bytes.len() as u64) as usize;
                    if let Some((records, len)) = pax {
                        // The records, not the padding after them.
                        let keep = n.min(len.saturating_sub(records.len()));
                        records.extend_from_slice(&bytes[..keep]);
                    }
                    *left -= n as u64;
                    bytes = &bytes[n..];
                    if *left == 0 {
                        if let State::Data {
                            pax: Some((records, _)),
                            ..
                        } = &self.state
                        {
                            self.next_size = pax_size(records);
                        }
                        self.state = State::Header { seen: 0 };
                    }
                }
            }
        }
        Ok(())
    }

    /// The state after a whole header block.
    fn header(&mut self) -> Result<State, HeaderRefusal> {
        let b = &self.block;
        if b.iter().all(|&x| x == 0) {
            // The end-of-archive blocks (or padding): no entry.
            return Ok(State::Header { seen: 0 });
        }
        let kind = b[156];
        let field = header_size(&b[124..136])?;
        // The `tar` crate reads a long name, long link or PAX header as one only in a GNU or
        // ustar header (its `as_gnu`, `as_ustar`); in an old one it is an entry like any other.
        let recognized = &b[257..265] == b"ustar\x0000" || &b[257..265] == b"ustar  \x00";
        let what = match kind {
            b'S' => return Err(HeaderRefusal::Sparse),
            b'L' => "long name",
            b'K' => "long link name",
            b'x' | b'g' => "PAX extension",
            _ => "",
        };
        let extension = !what.is_empty();
        // A long name, long link or local PAX header in a GNU or ustar header is read whole and
        // kept for the entry after it; anything else is an entry the unpacker is handed, which
        // takes the pending PAX `size` (not when its type is one of those headers') and ends it.
        let held = recognized && matches!(kind, b'L' | b'K' | b'x');
        let size = if extension {
            field
        } else {
            self.next_size.unwrap_or(field)
        };
        if !held {
            self.next_size = None;
        }
        if extension && size > MAX_META {
            return Err(HeaderRefusal::TooLarge {
                what,
                size,
                max: MAX_META,
            });
        }
        let pax = (held && kind == b'x').then(|| {
            // At most MAX_META, checked above.
            let len = size as usize;
            (Vec::with_capacity(len), len)
        });
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        Ok(if padded == 0 {
            State::Header { seen: 0 }
        } else {
            State::Data { left: padded, pax }
        })
    }
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.follow(&buf[..n])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(n)
    }
}

/// A header's size field: octal digits (space or NUL padded), or base-256 when its first byte
/// has the high bit set (GNU tar's form for sizes of 8 GiB and more).
fn header_size(field: &[u8]) -> Result<u64, HeaderRefusal> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut v: u64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let b = if i == 0 { b & 0x7f } else { b };
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(b)))
                .ok_or(HeaderRefusal::BadSize)?;
        }
        return Ok(v);
    }
    let text = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|&b| b != b' ' && b != 0)
        .collect::<Vec<u8>>();
    if text.is_empty() {
        return Ok(0);
    }
    let s = std::str::from_utf8(&text).map_err(|_| HeaderRefusal::BadSize)?;
    u64::from_str_radix(s, 8).map_err(|_| HeaderRefusal::BadSize)
}

/// The `size` a PAX header's records give, read as the `tar` crate reads it (its first `size`
/// record; none when a record before it is malformed or its value is not a number).
fn pax_size(records: &[u8]) -> Option<u64> {
    for ext in tar::PaxExtensions::new(records) {
        let ext = ext.ok()?;
        if ext.key() != Ok("size") {
            continue;
        }
        return ext.value().ok()?.parse().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GNU or ustar header block (`gnu`: GNU's magic) of `kind` declaring `size`, its
    /// checksum set.
    fn header(name: &str, kind: u8, size: u64, gnu: bool) -> Vec<u8> {
        let mut h = if gnu {
            tar::Header::new_gnu()
        } else {
            tar::Header::new_ustar()
        };
        h.set_path(name).expect("name");
        h.set_size(size);
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_mode(0o644);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    /// Everything read through a guard, or its error.
    fn through(stream: &[u8]) -> Result<Vec<u8>, std::io::Error> {
        let mut out = Vec::new();
        // Odd read sizes: headers cut across reads.
        let mut g = HeaderGuard::new(stream);
        let mut buf = [0u8; 333];
        loop {
            let n = g.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn a_stream_passes_unchanged_and_unpacks_as_without_it() {
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("dir/{}", "n".repeat(300));
        let data = vec![7u8; 70_000];
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, &long, &data[..]).expect("long name");
        b.append_pax_extensions([("comment", b"hello".as_slice())])
            .expect("pax");
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, "small", &b"abc"[..]).expect("small");
        let link = format!("l/{}", "k".repeat(200));
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "sym", &link).expect("long link");
        let stream = b.into_inner().expect("tar");
        assert_eq!(through(&stream).expect("a valid stream"), stream);
        let mut ar = tar::Archive::new(HeaderGuard::new(&stream[..]));
        let names: Vec<String> = ar
            .entries()
            .expect("entries")
            .map(|e| {
                e.expect("entry")
                    .path()
                    .expect("path")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, vec![long, "small".to_string(), "sym".to_string()]);
    }

    /// A long name declaring 100 GiB, its bytes never ending: refused at its header, before
    /// the `tar` crate holds any of it.
    #[test]
    fn a_huge_long_name_or_pax_header_is_refused_at_its_header() {
        for (kind, what) in [
            (b'L', "long name"),
            (b'K', "long link name"),
            (b'x', "PAX extension"),
        ] {
            let head = header("././@LongLink", kind, 100 << 30, kind != b'x');
            let endless = std::io::Read::chain(&head[..], std::io::repeat(b'a'));
            let mut ar = tar::Archive::new(HeaderGuard::new(endless));
            let e = ar
                .entries()
                .expect("entries")
                .next()
                .expect("an entry")
                .err()
                .expect("refused");
            let words = e.to_string();
            assert!(
                words.contains(what) && words.contains("107374182400"),
                "{words}"
            );
        }
        // At the bound itself: taken.
        let head = header("././@LongLink", b'L', MAX_META, true);
        let mut stream = head.clone();
        stream.extend(std::iter::repeat_n(b'a', MAX_META as usize));
        assert!(through(&stream).is_ok());
    }

    /// A PAX `size` gives the next entry its length: the guard follows it, so a huge long name
    /// after that entry is still seen as a header (a guard reading the header's 0 would take
    /// the entry's bytes for headers).
    #[test]
    fn a_pax_size_is_followed_to_the_next_header() {
        let mut stream = Vec::new();
        let records = b"16 size=2000000\n";
        stream.extend(header("pax", b'x', records.len() as u64, false));
        stream.extend(records);
        stream.extend(std::iter::repeat_n(0u8, 512 - records.len()));
        // The file's own size field says 0; its 2,000,000 bytes of data hold what looks like a
        // harmless header at 512 and never a huge one.
        stream.extend(header("file", b'0', 0, false));
        let mut data = vec![b'z'; 2_000_000];
        data[..512].copy_from_slice(&header("decoy", b'0', 0, false));
        stream.extend(&data);
        stream.extend(std::iter::repeat_n(
            0u8,
            2_000_000usize.div_ceil(512) * 512 - 2_000_000,
        ));
        stream.extend(header("././@LongLink", b'L', 100 << 30, true));
        stream.extend(std::iter::repeat_n(b'a', 4096));
        let e = through(&stream).expect_err("the long name after the PAX-sized file");
        assert!(e.to_string().contains("long name"), "{e}");
        // The same file through the `tar` crate: 2,000,000 bytes, as the guard counted.
        let mut ar = tar::Archive::new(&stream[..]);
        let mut entries = ar.entries().expect("entries");
        let first = entries.next().expect("file").expect("entry");
        assert_eq!(first.size(), 2_000_000);
    }

    #[test]
    fn a_sparse_file_is_refused() {
        let mut stream = header("holes", b'S', 0, true);
        stream.extend([0u8; 1024]);
        let e = through(&stream).expect_err("sparse");
        assert!(e.to_string().contains("sparse"), "{e}");
    }

    #[test]
    fn sizes_read_as_tar_writes_them() {
        assert_eq!(header_size(b"00000001750\0").ok(), Some(1000));
        assert_eq!(header_size(b"   1750 \0\0\0\0").ok(), Some(1000));
        assert_eq!(header_size(b"\0\0\0\0\0\0\0\0\0\0\0\0").ok(), Some(0));
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[7] = 0x10; // 0x10 << 32
        assert_eq!(header_size(&big).ok(), Some(0x10 << 32));
        assert!(header_size(b"12x4\0\0\0\0\0\0\0\0").is_err());
        assert_eq!(pax_size(b"16 size=2000000\n"), Some(2_000_000));
        assert_eq!(pax_size(b"12 path=abc\n16 size=2000000\n"), Some(2_000_000));
        assert_eq!(pax_size(b"99 path=abc\n16 size=2000000\n"), None);
    }
}
