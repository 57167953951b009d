//! Writing pcapng files (pcap-parser's serializer): one section, one
//! interface block per capture point, nanosecond timestamps (`if_tsresol` 9).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use pcap_parser::pcapng::{
    EnhancedPacketBlock, InterfaceDescriptionBlock, OptionCode, PcapNGOption, SectionHeaderBlock,
};
use pcap_parser::{Linktype, ToVec};

/// A pcapng file being written.
pub struct PcapngWriter<W: Write> {
    out: W,
    interfaces: u32,
}

fn gen_error(e: impl std::fmt::Debug) -> io::Error {
    io::Error::other(format!("pcapng serialization: {e:?}"))
}

/// An option value padded to 32 bits, as pcapng requires.
fn option(code: OptionCode, value: &[u8]) -> PcapNGOption<'static> {
    let mut v = value.to_vec();
    v.resize(value.len().div_ceil(4) * 4, 0);
    PcapNGOption {
        code,
        len: value.len().min(usize::from(u16::MAX)) as u16,
        value: Cow::Owned(v),
    }
}

impl PcapngWriter<BufWriter<File>> {
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::new(BufWriter::new(File::create(path)?))
    }
}

impl<W: Write> PcapngWriter<W> {
    /// Starts the file with its section header.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut shb = SectionHeaderBlock {
            block_type: 0,
            block_len1: 0,
            bom: 0,
            major_version: 1,
            minor_version: 0,
            section_len: -1,
            options: vec![option(
                OptionCode::ShbUserAppl,
                concat!("ptpscope ", env!("CARGO_PKG_VERSION")).as_bytes(),
            )],
            block_len2: 0,
        };
        out.write_all(&shb.to_vec().map_err(gen_error)?)?;
        Ok(Self { out, interfaces: 0 })
    }

    /// Declares an interface (a capture point); returns its id.
    pub fn add_interface(&mut self, name: &str, linktype: i32, snaplen: u32) -> io::Result<u32> {
        let mut idb = InterfaceDescriptionBlock {
            block_type: 0,
            block_len1: 0,
            linktype: Linktype(linktype),
            reserved: 0,
            snaplen,
            options: vec![option(OptionCode::IfName, name.as_bytes())],
            block_len2: 0,
            if_tsresol: 9,
            if_tsoffset: 0,
        };
        self.out.write_all(&idb.to_vec().map_err(gen_error)?)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Writes one packet captured at `time_ns` (ns since the epoch).
    pub fn write_packet(
        &mut self,
        interface: u32,
        time_ns: i64,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let ts = time_ns.max(0) as u64;
        let mut epb = EnhancedPacketBlock {
            block_type: 0,
            block_len1: 0,
            if_id: interface,
            ts_high: (ts >> 32) as u32,
            ts_low: ts as u32,
            caplen: data.len() as u32,
            origlen: orig_len.max(data.len() as u32),
            data,
            options: Vec::new(),
            block_len2: 0,
        };
        self.out.write_all(&epb.to_vec().map_err(gen_error)?)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back_with_names_and_nanoseconds() {
        let dir = std::env::temp_dir().join(format!("ptpscope-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.pcapng");
        let mut w = PcapngWriter::create(&path).unwrap();
        let a = w.add_interface("veth-a", 1, 65535).unwrap();
        let b = w.add_interface("veth-b", 1, 65535).unwrap();
        w.write_packet(a, 1_700_000_000_123_456_789, &[1, 2, 3], 3)
            .unwrap();
        w.write_packet(b, 1_700_000_000_123_456_790, &[4; 61], 64)
            .unwrap();
        w.flush().unwrap();
        drop(w);
        let mut points = super::super::Points::default();
        let mut seen = vec![];
        super::super::read_file(&path, None, &mut points, |f, p| {
            seen.push((
                p.name(f.point).to_owned(),
                f.time_ns,
                f.data.to_vec(),
                f.orig_len,
            ));
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                (
                    "veth-a".into(),
                    Some(1_700_000_000_123_456_789),
                    vec![1, 2, 3],
                    3
                ),
                (
                    "veth-b".into(),
                    Some(1_700_000_000_123_456_790),
                    vec![4; 61],
                    64
                ),
            ]
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
