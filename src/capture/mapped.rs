//! A capture file mapped into memory (memmap2) and cut into pcap or pcapng
//! blocks in place: no read into a buffer, no copy of a frame. Pages already
//! parsed are handed back to the kernel as the reading goes on, so resident
//! memory stays flat in the file's length.
//!
//! This module is the crate's only `unsafe` code: mapping a file and
//! releasing its pages. What each block of it rests on is written beside it.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::fs::File;

use memmap2::{Advice, Mmap, UncheckedAdvice};
use pcap_parser::nom;
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};
use pcap_parser::{LegacyPcapBlock, PcapBlockOwned, PcapError};

use super::CaptureErrorKind;

/// Octets read between two releases of the pages behind them. Each
/// release is a TLB shootdown: an interrupt of the other thread's core.
/// Measured on the steady 1M-packet bench capture (`dist` build, 15
/// interleaved rounds, median against tcpdump): 64 KiB 1.62x, 256 KiB
/// 1.49x, 1 MiB 1.43x, 4 MiB 1.45x; peak RSS 1 MiB higher at 1 MiB than
/// at 256 KiB (about 11 against 10 MiB), flat in the file's length.
const RELEASE_EVERY: usize = 1 << 20;

/// A regular file, mapped read-only.
pub struct Mapped {
    map: Mmap,
    /// The mapping's start up to here has been released.
    released: Cell<usize>,
}

impl Mapped {
    /// Maps `file`; `None` when it is not a regular file (a pipe, a
    /// terminal), is empty, or cannot be mapped: the caller reads it as a
    /// stream instead.
    pub fn new(file: &File) -> Option<Mapped> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() == 0 {
            return None;
        }
        // SAFETY: the mapping is read-only and shared (MAP_SHARED,
        // PROT_READ), so this process cannot change it. What it rests on,
        // an accepted risk as for every reader that maps files: no other
        // process writes or truncates the file while it is read. One that
        // writes it changes octets behind a `&[u8]` (undefined behaviour
        // in Rust's terms, wrong frames in practice); one that truncates
        // it makes reads past the new end fault (SIGBUS). A capture still
        // being written is to be read as a stream (`cat FILE | ptpscope …
        // /dev/stdin`), as the README says.
        let map = unsafe { Mmap::map(file) }.ok()?;
        // Read once, front to back: read-ahead, no keeping behind.
        let _ = map.advise(Advice::Sequential);
        // Mapped 4 KiB at a time, not by huge pages: `analyze`'s peak RSS
        // on the 1M-packet bench capture 8.6-9.0 MiB, against 10.4-10.6
        // without (`dist` build, Linux 6.18, the file read into the page
        // cache by `cat`).
        #[cfg(target_os = "linux")]
        let _ = map.advise(Advice::NoHugePage);
        Some(Mapped {
            map,
            released: Cell::new(0),
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Everything before `offset` has been parsed: release its pages once
    /// [`RELEASE_EVERY`] octets have gathered (in multiples of 4 KiB; on a
    /// kernel with larger pages the range is rounded to them, and a page
    /// released early is read again from the page cache).
    pub fn parsed_to(&self, offset: usize) {
        const PAGE: usize = 4096;
        let end = offset / PAGE * PAGE;
        let released = self.released.get();
        if end < released + RELEASE_EVERY {
            return;
        }
        // SAFETY: MADV_DONTNEED on a shared file mapping drops this
        // process's page-table entries only; the next access reads the
        // same octets back from the file (the page cache), so slices into
        // the range, had any survived, would still read what they read.
        // The range is inside the mapping.
        let _ = unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, released, end - released)
        };
        self.released.set(end);
    }
}

/// pcap-parser's parser of one pcap record.
type RecordParser = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// How the blocks of a mapped file are cut.
enum Format {
    /// A pcap file: its record parser (by byte order and format).
    Legacy(RecordParser),
    /// A pcapng file, in the byte order of the current section.
    Ng { big_endian: bool },
}

/// The blocks of a whole capture file in memory, in order, with their
/// offsets.
pub struct Blocks<'a> {
    data: &'a [u8],
    at: usize,
    format: Format,
    /// A pcap file's header still to be handed out.
    header: bool,
}

impl<'a> Blocks<'a> {
    /// Recognises the file's format, as pcap-parser's `create_reader` does.
    pub fn new(data: &'a [u8]) -> Result<Blocks<'a>, CaptureErrorKind> {
        if data.is_empty() {
            return Err(CaptureErrorKind::Empty);
        }
        if let Ok((_, shb)) = parse_sectionheaderblock(data) {
            return Ok(Blocks {
                data,
                at: 0,
                format: Format::Ng {
                    big_endian: shb.big_endian(),
                },
                header: false,
            });
        }
        match parse_pcap_header(data) {
            Ok((_, h)) => {
                let parse = match (h.is_modified_format(), h.is_bigendian()) {
                    (true, _) => parse_pcap_frame_modified,
                    (false, true) => parse_pcap_frame_be,
                    (false, false) => parse_pcap_frame,
                };
                Ok(Blocks {
                    data,
                    at: 0,
                    format: Format::Legacy(parse),
                    header: true,
                })
            }
            Err(nom::Err::Incomplete(_)) => Err(CaptureErrorKind::Truncated),
            Err(_) => Err(CaptureErrorKind::NotACapture),
        }
    }

    /// Where the next block starts in the file.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// The next block; `None` at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<PcapBlockOwned<'a>>, CaptureErrorKind> {
        let rest = &self.data[self.at..];
        if self.header {
            self.header = false;
            let (after, h) = parse_pcap_header(rest).map_err(|_| CaptureErrorKind::Truncated)?;
            self.at = self.data.len() - after.len();
            return Ok(Some(PcapBlockOwned::LegacyHeader(h)));
        }
        if rest.is_empty() {
            return Ok(None);
        }
        let parsed = match self.format {
            Format::Legacy(parse) => parse(rest).map(|(r, b)| (r, PcapBlockOwned::Legacy(b))),
            Format::Ng { big_endian } => {
                let parse = if big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(rest).map(|(r, b)| {
                    if let Block::SectionHeader(shb) = &b {
                        self.format = Format::Ng {
                            big_endian: shb.big_endian(),
                        };
                    }
                    (r, PcapBlockOwned::NG(b))
                })
            }
        };
        match parsed {
            Ok((after, block)) => {
                self.at = self.data.len() - after.len();
                Ok(Some(block))
            }
            Err(e) => Err(failure(e)),
        }
    }

    /// The next record of a pcap file, its header read, without the block
    /// enum around it (the path of every frame; making, matching and
    /// dropping the enum cost 37 instructions a frame, callgrind). `None`
    /// for a pcapng file, before the header and at the end:
    /// [`Blocks::next_block`] then says what comes.
    pub fn next_record(&mut self) -> Option<Result<LegacyPcapBlock<'a>, CaptureErrorKind>> {
        let Format::Legacy(parse) = self.format else {
            return None;
        };
        let rest = self.data.get(self.at..).unwrap_or_default();
        if self.header || rest.is_empty() {
            return None;
        }
        Some(match parse(rest) {
            Ok((after, record)) => {
                self.at = self.data.len() - after.len();
                Ok(record)
            }
            Err(e) => Err(failure(e)),
        })
    }
}

/// A block that did not parse: cut short, or malformed.
fn failure(e: nom::Err<PcapError<&[u8]>>) -> CaptureErrorKind {
    match e {
        nom::Err::Incomplete(_) => CaptureErrorKind::Truncated,
        nom::Err::Error(e) | nom::Err::Failure(e) => {
            CaptureErrorKind::Malformed(super::parse_error(&e))
        }
    }
}
