//! Capture input: pcap and pcapng files, cut into blocks with pcap-parser.
//! A regular file is mapped into memory and parsed in place
//! ([`mapped`]); anything else (a pipe) streams through a fixed-size
//! buffer. Either way memory does not grow with the file.
//!
//! A *capture point* is where frames were seen: a pcap file, or one interface
//! of a pcapng file (named by its `if_name`, else `STEM#INDEX`). Interfaces
//! with the same name in several sections of one file are one point.

pub mod live;
mod mapped;
pub mod merge;
pub mod write;

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::{LegacyPcapBlock, PcapBlockOwned, PcapError, create_reader};

use crate::wire::link::LinkType;

/// One captured frame, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Index into [`Points`].
    pub point: usize,
    /// 1-based frame number in its file, counting every packet record.
    pub number: u64,
    /// Capture time in ns since the Unix epoch; `None` for pcapng Simple
    /// Packet Blocks, which carry no time.
    pub time_ns: Option<i64>,
    /// The capture timestamp's resolution, ns (at least 1), as the file
    /// format states it: 1,000 for a microsecond pcap, 1 for a nanosecond
    /// one, from `if_tsresol` for pcapng; for live capture, what libpcap
    /// delivers.
    pub resolution_ns: u32,
    pub link: LinkType,
    pub data: &'a [u8],
    /// Length on the wire (larger than `data` when the capture was snapped).
    pub orig_len: u32,
    /// Byte offset of the frame's record in its file (for progress).
    pub file_offset: u64,
}

/// The capture points seen so far, by index.
#[derive(Debug, Default, Clone)]
pub struct Points {
    names: Vec<String>,
}

impl Points {
    /// The index of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_owned());
                self.names.len() - 1
            }
        }
    }

    pub fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("?", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Every name, by index.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A capture file to read and the point name it was given, if any
/// (`--point NAME=FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub name: Option<String>,
}

/// Why a capture file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureErrorKind {
    Open(String),
    NotACapture,
    Empty,
    /// The file ends inside a record.
    Truncated,
    UnsupportedLinkType {
        code: i32,
        name: String,
    },
    UnknownInterface(u32),
    /// A block larger than the reader's buffer limit.
    BlockTooLarge,
    Malformed(String),
    TimestampOutOfRange,
}

/// A capture file error: the file, the frame being read (when known) and the
/// byte offset in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    pub path: PathBuf,
    /// Frame number the error concerns (the next one, for truncation).
    pub frame: Option<u64>,
    pub offset: u64,
    pub kind: CaptureErrorKind,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        if let Some(n) = self.frame {
            write!(f, "frame {n}: ")?;
        }
        match &self.kind {
            CaptureErrorKind::Open(e) => write!(f, "cannot open: {e}"),
            CaptureErrorKind::NotACapture => {
                write!(f, "not a pcap or pcapng capture file (unrecognised header)")
            }
            CaptureErrorKind::Empty => write!(f, "empty file"),
            // A pcap file header is 24 octets; nothing before it is a record.
            CaptureErrorKind::Truncated
                if self.offset == 0 && self.frame.is_none_or(|n| n <= 1) =>
            {
                write!(f, "truncated capture: the file ends inside its header")
            }
            CaptureErrorKind::Truncated => write!(
                f,
                "truncated capture: the file ends inside a record at byte {}",
                self.offset
            ),
            CaptureErrorKind::UnsupportedLinkType { code, name } => write!(
                f,
                "unsupported link type {code} ({name}); supported: Ethernet, Linux SLL/SLL2, raw IP, loopback"
            ),
            CaptureErrorKind::UnknownInterface(i) => write!(
                f,
                "packet refers to interface {i}, which no Interface Description Block declared (byte {})",
                self.offset
            ),
            CaptureErrorKind::BlockTooLarge => {
                write!(f, "block at byte {} larger than 16 MiB", self.offset)
            }
            CaptureErrorKind::Malformed(e) => {
                write!(f, "malformed block at byte {}: {e}", self.offset)
            }
            CaptureErrorKind::TimestampOutOfRange => {
                write!(f, "timestamp out of range at byte {}", self.offset)
            }
        }
    }
}

impl std::error::Error for CaptureError {}

const BUFFER: usize = 1 << 20;
const BUFFER_MAX: usize = 16 << 20;

#[derive(Debug, Clone)]
struct Interface {
    point: usize,
    link: Result<LinkType, i32>,
    /// Units per second.
    resolution: u64,
    /// Nanoseconds per unit when a unit is a whole number of them (every
    /// decimal resolution up to 1 ns): a timestamp is then converted by
    /// a multiplication, not two divisions a frame.
    ns_per_unit: Option<u64>,
    /// [`resolution_ns`] of `resolution`.
    resolution_ns: u32,
    offset_s: i64,
}

impl Interface {
    fn new(point: usize, link: Result<LinkType, i32>, resolution: u64, offset_s: i64) -> Self {
        Interface {
            point,
            link,
            resolution,
            ns_per_unit: (resolution != 0 && 1_000_000_000 % resolution == 0)
                .then(|| 1_000_000_000 / resolution),
            resolution_ns: resolution_ns(resolution),
            offset_s,
        }
    }

    /// `units` of the interface's resolution in ns, rounded down: units·k
    /// for k whole ns a unit, else q·10^9 + r·10^9/resolution for
    /// units = q·resolution + r (nothing overflows). `resolution` is not 0.
    fn ns(&self, units: u64) -> u128 {
        debug_assert!(self.resolution != 0, "a resolution of 0 is refused before");
        let u = u128::from(units);
        match self.ns_per_unit {
            Some(k) => u * u128::from(k),
            None => {
                let res = u128::from(self.resolution);
                (u / res) * 1_000_000_000 + (u % res) * 1_000_000_000 / res
            }
        }
    }

    /// The capture time `seconds` plus `units` of the interface's
    /// resolution, ns since the epoch.
    fn time_ns(&self, seconds: i64, units: u64) -> Result<i64, CaptureErrorKind> {
        let ns = i128::from(seconds) * 1_000_000_000 + self.ns(units) as i128;
        i64::try_from(ns).map_err(|_| CaptureErrorKind::TimestampOutOfRange)
    }
}

/// Streams the frames of one capture file into `on_frame`, registering its
/// capture points in `points`. `name` overrides the point name of a pcap file
/// (and prefixes the interface points of a pcapng file).
pub fn read_file(
    path: &Path,
    name: Option<&str>,
    points: &mut Points,
    mut on_frame: impl FnMut(&Frame<'_>, &mut Points),
) -> Result<(), CaptureError> {
    let error = |frame, offset, kind| CaptureError {
        path: path.to_owned(),
        frame,
        offset,
        kind,
    };
    // A directory opens on Linux and fails only at the first read.
    if path.is_dir() {
        return Err(error(
            None,
            0,
            CaptureErrorKind::Open("is a directory".into()),
        ));
    }
    let file =
        File::open(path).map_err(|e| error(None, 0, CaptureErrorKind::Open(e.to_string())))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".into());
    let mut st = BlockState {
        interfaces: Vec::new(),
        legacy: None,
        number: 0,
        section: 0,
        stem,
        name,
    };
    if let Some(mapped) = mapped::Mapped::new(&file) {
        let bytes = mapped.bytes();
        let mut blocks = mapped::Blocks::new(bytes).map_err(|kind| error(None, 0, kind))?;
        loop {
            let at = blocks.offset() as u64;
            let r = match blocks.next_record() {
                Some(Ok(record)) => legacy_record(&record, &mut st, points, at, &mut on_frame),
                Some(Err(kind)) => Err(kind),
                None => match blocks.next_block() {
                    Ok(Some(block)) => handle_block(&block, &mut st, points, at, &mut on_frame),
                    Ok(None) => return Ok(()),
                    Err(kind) => Err(kind),
                },
            };
            r.map_err(|kind| error(Some(st.number + 1), at, kind))?;
            mapped.parsed_to(blocks.offset());
        }
    }
    let mut reader = match create_reader(BUFFER, file) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err(error(None, 0, CaptureErrorKind::Empty)),
        Err(PcapError::Incomplete(_)) => return Err(error(None, 0, CaptureErrorKind::Truncated)),
        Err(PcapError::ReadError) => {
            return Err(error(None, 0, CaptureErrorKind::Open("read error".into())));
        }
        Err(_) => return Err(error(None, 0, CaptureErrorKind::NotACapture)),
    };
    loop {
        let offset = reader.consumed() as u64;
        match reader.next() {
            Ok((len, block)) => {
                handle_block(&block, &mut st, points, offset, &mut on_frame)
                    .map_err(|kind| error(Some(st.number + 1), offset, kind))?;
                reader.consume(len);
            }
            Err(PcapError::Eof) => return Ok(()),
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    return Err(error(
                        Some(st.number + 1),
                        offset,
                        CaptureErrorKind::Truncated,
                    ));
                }
                let before = (reader.position(), reader.data().len());
                reader.refill().map_err(|e| {
                    error(
                        Some(st.number + 1),
                        offset,
                        CaptureErrorKind::Malformed(parse_error(&e)),
                    )
                })?;
                if (reader.position(), reader.data().len()) == before && !reader.reader_exhausted()
                {
                    // The buffer is full and the block still does not fit.
                    let size = reader.data().len() * 2;
                    if size > BUFFER_MAX || !reader.grow(size) {
                        return Err(error(
                            Some(st.number + 1),
                            offset,
                            CaptureErrorKind::BlockTooLarge,
                        ));
                    }
                }
            }
            Err(PcapError::UnexpectedEof) => {
                return Err(error(
                    Some(st.number + 1),
                    offset,
                    CaptureErrorKind::Truncated,
                ));
            }
            Err(e) => {
                let kind = CaptureErrorKind::Malformed(parse_error(&e));
                return Err(error(Some(st.number + 1), offset, kind));
            }
        }
    }
}

/// What reading one file has learnt so far.
struct BlockState<'s> {
    interfaces: Vec<Interface>,
    legacy: Option<Interface>,
    /// Packet records so far.
    number: u64,
    section: usize,
    stem: String,
    name: Option<&'s str>,
}

/// pcap-parser's error in a few words: its own wording of a parser error
/// quotes the rest of the input, which on a mapped file is the rest of the
/// file.
fn parse_error(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("parser error ({kind:?})")
        }
        other => other.to_string(),
    }
}

/// `if_tsresol` in units per second: 10^-n, or 2^-n when the top bit is set;
/// 0 when it does not fit in 64 bits.
fn ts_resolution(tsresol: u8) -> u64 {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n).unwrap_or(0)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64).unwrap_or(0)
    }
}

/// A resolution in units per second as whole nanoseconds, rounded up, at
/// least 1 (finer than a nanosecond counts as 1).
fn resolution_ns(units_per_second: u64) -> u32 {
    match units_per_second {
        0 => u32::MAX,
        u => u32::try_from(1_000_000_000u64.div_ceil(u)).unwrap_or(u32::MAX),
    }
}

fn link_of(code: i32) -> Result<LinkType, i32> {
    LinkType::from_code(code).ok_or(code)
}

fn handle_block(
    block: &PcapBlockOwned<'_>,
    st: &mut BlockState<'_>,
    points: &mut Points,
    offset: u64,
    on_frame: &mut impl FnMut(&Frame<'_>, &mut Points),
) -> Result<(), CaptureErrorKind> {
    // A packet block gives its interface, time, octets and length on the
    // wire; the others only tell what the packets that follow mean.
    let (iface, time_ns, data, orig_len) = match block {
        PcapBlockOwned::LegacyHeader(h) => {
            let point = points.intern(st.name.unwrap_or(&st.stem));
            let resolution = if h.is_nanosecond_precision() {
                1_000_000_000
            } else {
                1_000_000
            };
            st.legacy = Some(Interface::new(point, link_of(h.network.0), resolution, 0));
            return Ok(());
        }
        PcapBlockOwned::Legacy(b) => return legacy_record(b, st, points, offset, on_frame),
        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
            st.interfaces.clear();
            st.section += 1;
            return Ok(());
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            let index = st.interfaces.len();
            let if_name = idb.if_name().and_then(Result::ok).filter(|n| !n.is_empty());
            let base = match (if_name, st.section > 1) {
                (Some(n), _) => n.to_owned(),
                (None, false) => format!("{}#{index}", st.stem),
                (None, true) => format!("{}#{}.{index}", st.stem, st.section - 1),
            };
            let name = match st.name {
                Some(p) => format!("{p}/{base}"),
                None => base,
            };
            let point = points.intern(&name);
            st.interfaces.push(Interface::new(
                point,
                link_of(idb.linktype.0),
                ts_resolution(idb.if_tsresol),
                idb.ts_offset(),
            ));
            return Ok(());
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let iface = st
                .interfaces
                .get(epb.if_id as usize)
                .cloned()
                .ok_or(CaptureErrorKind::UnknownInterface(epb.if_id))?;
            if iface.resolution == 0 {
                return Err(CaptureErrorKind::Malformed("invalid if_tsresol".into()));
            }
            let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
            let ns = iface.time_ns(iface.offset_s, ts)?;
            let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
            (iface, Some(ns), data, epb.origlen)
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            let iface = st
                .interfaces
                .first()
                .cloned()
                .ok_or(CaptureErrorKind::UnknownInterface(0))?;
            (iface, None, spb.data, spb.origlen)
        }
        PcapBlockOwned::NG(_) => return Ok(()),
    };
    emit(
        &iface, time_ns, data, orig_len, st, points, offset, on_frame,
    )
}

/// A pcap record's frame to `on_frame`.
#[inline(always)]
fn legacy_record(
    b: &LegacyPcapBlock<'_>,
    st: &mut BlockState<'_>,
    points: &mut Points,
    offset: u64,
    on_frame: &mut impl FnMut(&Frame<'_>, &mut Points),
) -> Result<(), CaptureErrorKind> {
    let iface = st
        .legacy
        .clone()
        .ok_or_else(|| CaptureErrorKind::Malformed("record before header".into()))?;
    // A pcap file's resolution (µs or ns) is never 0.
    let ns = iface.time_ns(i64::from(b.ts_sec), u64::from(b.ts_usec))?;
    let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
    emit(
        &iface,
        Some(ns),
        data,
        b.origlen,
        st,
        points,
        offset,
        on_frame,
    )
}

/// A packet's frame, from its interface, to `on_frame`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn emit(
    iface: &Interface,
    time_ns: Option<i64>,
    data: &[u8],
    orig_len: u32,
    st: &mut BlockState<'_>,
    points: &mut Points,
    offset: u64,
    on_frame: &mut impl FnMut(&Frame<'_>, &mut Points),
) -> Result<(), CaptureErrorKind> {
    let link = iface
        .link
        .map_err(|code| CaptureErrorKind::UnsupportedLinkType {
            code,
            name: pcap_parser::Linktype(code).to_string(),
        })?;
    st.number += 1;
    let frame = Frame {
        point: iface.point,
        number: st.number,
        time_ns,
        resolution_ns: iface.resolution_ns,
        link,
        data,
        orig_len,
        file_offset: offset,
    };
    on_frame(&frame, points);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn timestamps_convert_by_multiplication_exactly_as_by_division() {
        let resolutions = [1, 10, 1_000, 1_000_000, 1_000_000_000, 1_000_000_000_000, 7];
        let binary = [1u64 << 10, 1 << 30, 1 << 63];
        for res in resolutions.into_iter().chain(binary) {
            let iface = Interface::new(0, Ok(LinkType::Ethernet), res, 0);
            // Whole ns a unit only for decimal resolutions up to 1 ns.
            let whole = res <= 1_000_000_000 && 1_000_000_000 % res == 0;
            assert_eq!(iface.ns_per_unit.is_some(), whole, "{res}");
            for units in [0, 1, res - 1, res, res + 1, u64::from(u32::MAX), u64::MAX] {
                let exact = u128::from(units) * 1_000_000_000 / u128::from(res);
                assert_eq!(iface.ns(units), exact, "{units} units of 1/{res} s");
            }
        }
    }

    fn write_tmp(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ptpscope-capture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn pcap_header(magic: u32, big_endian: bool, linktype: u32) -> Vec<u8> {
        let mut h = vec![];
        let w32 = |h: &mut Vec<u8>, v: u32| {
            h.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        w32(&mut h, magic);
        let v: [u8; 4] = if big_endian {
            [0, 2, 0, 4]
        } else {
            [2, 0, 4, 0]
        };
        h.extend_from_slice(&v);
        w32(&mut h, 0);
        w32(&mut h, 0);
        w32(&mut h, 65535);
        w32(&mut h, linktype);
        h
    }

    fn pcap_record(h: &mut Vec<u8>, big_endian: bool, sec: u32, frac: u32, data: &[u8]) {
        for v in [sec, frac, data.len() as u32, data.len() as u32] {
            h.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
        h.extend_from_slice(data);
    }

    type Seen = Vec<(String, u64, Option<i64>, usize, u32)>;

    fn collect(path: &Path) -> (Seen, Result<(), CaptureError>) {
        let mut points = Points::default();
        let mut v = vec![];
        let r = read_file(path, None, &mut points, |f, p| {
            v.push((
                p.name(f.point).to_owned(),
                f.number,
                f.time_ns,
                f.data.len(),
                f.resolution_ns,
            ))
        });
        (v, r)
    }

    #[test]
    fn pcap_both_byte_orders_micro_and_nano() {
        for (magic, be, ns) in [
            (0xa1b2c3d4u32, false, false),
            (0xa1b2c3d4, true, false),
            (0xa1b23c4d, false, true),
            (0xa1b23c4d, true, true),
        ] {
            let mut b = pcap_header(magic, be, 1);
            pcap_record(&mut b, be, 1_700_000_000, 123_456, &[0; 20]);
            let p = write_tmp(&format!("t-{magic:x}-{be}.pcap"), &b);
            let (v, r) = collect(&p);
            r.unwrap();
            let frac = if ns { 123_456 } else { 123_456_000 };
            assert_eq!(
                v,
                [(
                    format!("t-{magic:x}-{be}"),
                    1,
                    Some(1_700_000_000_000_000_000 + frac),
                    20,
                    if ns { 1 } else { 1000 }
                )]
            );
        }
    }

    #[test]
    fn truncated_pcap_names_frame() {
        let mut b = pcap_header(0xa1b2c3d4, false, 1);
        pcap_record(&mut b, false, 1, 2, &[0; 20]);
        pcap_record(&mut b, false, 1, 3, &[0; 20]);
        b.truncate(b.len() - 5);
        let p = write_tmp("trunc.pcap", &b);
        let (v, r) = collect(&p);
        assert_eq!(v.len(), 1);
        let e = r.unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::Truncated);
        assert_eq!(e.frame, Some(2));
        // The second record's start: the header, then 16 + 20 octets.
        assert_eq!(e.offset, 60);
        assert!(
            e.to_string().contains("trunc.pcap: frame 2: truncated"),
            "{e}"
        );
    }

    #[test]
    fn not_a_capture() {
        let p = write_tmp(
            "text.pcap",
            b"hello, this is not a capture file at all......",
        );
        let e = collect(&p).1.unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::NotACapture);
        let e = collect(&write_tmp("empty.pcap", b"")).1.unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::Empty);
    }

    #[test]
    fn unsupported_link_type_names_frame() {
        let mut b = pcap_header(0xa1b2c3d4, false, 147);
        pcap_record(&mut b, false, 1, 2, &[0; 20]);
        let e = collect(&write_tmp("usb.pcap", &b)).1.unwrap_err();
        assert!(matches!(
            e.kind,
            CaptureErrorKind::UnsupportedLinkType { code: 147, .. }
        ));
        assert_eq!(e.frame, Some(1));
    }

    fn ng_block(t: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = t.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(len as usize - 4, 0);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }

    fn idb(name: Option<&str>, tsresol: Option<u8>, tsoffset: Option<i64>) -> Vec<u8> {
        let mut body = vec![1, 0, 0, 0, 0, 0, 4, 0];
        let mut opt = |code: u16, v: &[u8]| {
            body.extend_from_slice(&code.to_le_bytes());
            body.extend_from_slice(&(v.len() as u16).to_le_bytes());
            body.extend_from_slice(v);
            body.resize(body.len().div_ceil(4) * 4, 0);
        };
        if let Some(n) = name {
            opt(2, n.as_bytes());
        }
        if let Some(r) = tsresol {
            opt(9, &[r]);
        }
        if let Some(o) = tsoffset {
            opt(14, &o.to_le_bytes());
        }
        if name.is_some() || tsresol.is_some() || tsoffset.is_some() {
            opt(0, &[]);
        }
        ng_block(1, &body)
    }

    fn epb(if_id: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut body = if_id.to_le_bytes().to_vec();
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        ng_block(6, &body)
    }

    fn shb() -> Vec<u8> {
        ng_block(
            0x0a0d0d0a,
            &[
                0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        )
    }

    /// A block whose length is under the 12 octets of its frame, followed
    /// by a megabyte of zeros (a capture cut by a crash): the error names
    /// the block's offset in a few words, not the rest of the file.
    #[test]
    fn a_malformed_block_is_named_in_a_few_words() {
        let mut f = shb();
        f.extend(idb(None, None, None));
        let at = f.len() as u64;
        f.extend_from_slice(&6u32.to_le_bytes());
        f.extend_from_slice(&8u32.to_le_bytes());
        f.resize(f.len() + (1 << 20), 0);
        let (seen, r) = collect(&write_tmp("zero-tail.pcapng", &f));
        assert!(seen.is_empty());
        let e = r.unwrap_err();
        assert_eq!((e.frame, e.offset), (Some(1), at));
        assert!(matches!(e.kind, CaptureErrorKind::Malformed(_)), "{e}");
        assert!(e.to_string().len() < 200, "{}", e.to_string().len());
    }

    #[test]
    fn pcapng_interfaces_sections_resolution_offset() {
        let mut b = shb();
        b.extend(idb(Some("tc-in"), Some(9), None));
        b.extend(idb(None, None, Some(100)));
        b.extend(epb(0, 1_500_000_000_000_000_001, &[0; 14]));
        b.extend(epb(1, 2_000_001, &[0; 14]));
        b.extend(shb());
        b.extend(idb(Some("tc-in"), Some(0x80 | 20), None));
        b.extend(epb(0, 3 << 20 | 1 << 19, &[0; 14]));
        let p = write_tmp("lab.pcapng", &b);
        let (v, r) = collect(&p);
        r.unwrap();
        assert_eq!(
            v,
            [
                // if_tsresol 9: ns; absent: µs; 0x80|20: 2^-20 s, 954 ns up.
                ("tc-in".into(), 1, Some(1_500_000_000_000_000_001), 14, 1),
                ("lab#1".into(), 2, Some(102_000_001_000), 14, 1000),
                ("tc-in".into(), 3, Some(3_500_000_000), 14, 954),
            ]
        );
    }

    #[test]
    fn a_directory_or_a_missing_file_says_so() {
        let dir = std::env::temp_dir().join(format!("ptpscope-capture-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = collect(&dir).1.unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::Open("is a directory".into()));
        assert!(
            e.to_string().ends_with(": cannot open: is a directory"),
            "{e}"
        );
        let e = collect(&dir.join("nothing.pcap")).1.unwrap_err();
        assert!(
            e.to_string()
                .contains("nothing.pcap: cannot open: No such file"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pcapng_unknown_interface() {
        let mut b = shb();
        b.extend(idb(None, None, None));
        b.extend(epb(3, 0, &[0; 14]));
        let e = collect(&write_tmp("badif.pcapng", &b)).1.unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::UnknownInterface(3));
    }

    /// A pipe is read as a stream, a regular file through its mapping: the
    /// same frames, and the same error at the same frame and offset, from
    /// every capture of the project and a truncated one.
    #[test]
    fn a_pipe_reads_as_the_mapped_file_does() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("pcap" | "pcapng")
                )
            })
            .collect();
        files.sort();
        assert!(files.len() >= 3, "captures/ has its lab captures");
        let bytes = std::fs::read(&files[0]).unwrap();
        files.push(write_tmp("cut.pcap", &bytes[..bytes.len() - 7]));
        for file in &files {
            let fifo = std::env::temp_dir().join(format!(
                "ptpscope-fifo-{}-{}",
                std::process::id(),
                file.file_name().unwrap().to_string_lossy()
            ));
            let _ = std::fs::remove_file(&fifo);
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if !made.is_ok_and(|s| s.success()) {
                eprintln!("skipped: mkfifo is not available");
                return;
            }
            let (src, dst) = (file.clone(), fifo.clone());
            let writer = std::thread::spawn(move || {
                let mut out = File::create(&dst).unwrap();
                out.write_all(&std::fs::read(&src).unwrap()).unwrap();
            });
            let (piped, piped_r) = collect(&fifo);
            writer.join().unwrap();
            std::fs::remove_file(&fifo).unwrap();
            let (mapped, mapped_r) = collect(file);
            // Points are named after the file's stem: compare the rest.
            let strip = |v: Seen| {
                v.into_iter()
                    .map(|(_, n, t, l, r)| (n, t, l, r))
                    .collect::<Vec<_>>()
            };
            assert!(!mapped.is_empty(), "{}", file.display());
            let cut = file.ends_with("cut.pcap");
            assert_eq!(mapped_r.is_err(), cut, "{}: {mapped_r:?}", file.display());
            assert_eq!(strip(piped), strip(mapped), "{}", file.display());
            let where_ = |r: Result<(), CaptureError>| {
                r.err().map(|e| {
                    (
                        e.frame,
                        e.offset,
                        e.to_string().split(": ").last().map(str::to_owned),
                    )
                })
            };
            assert_eq!(where_(piped_r), where_(mapped_r), "{}", file.display());
        }
    }
}
