//! Mirroring and overlay encapsulations that carry whole frames to an
//! analyzer: GRE (RFC 2784, RFC 2890) with transparent Ethernet bridging,
//! IPv4 or IPv6 inside; ERSPAN types I, II and III in GRE
//! (draft-foschiano-erspan-03); VXLAN (RFC 7348, UDP 4789, and Linux's 8472);
//! Geneve
//! (RFC 8926, UDP 6081); MPLS label stacks (RFC 3032) with an Ethernet
//! pseudowire (RFC 4448, with or without its control word) or IP inside.
//!
//! Each header is read with checked lengths; [`super::link::peel`] follows
//! the inner frame and reports its addresses, with the encapsulations it
//! came through in [`Encapsulations`].

use std::fmt;

use pnet_packet::gre::GrePacket;
use pnet_packet::vxlan::VxlanPacket;

/// UDP destination port of VXLAN (RFC 7348 §5).
pub const VXLAN_PORT: u16 = 4789;
/// The port Linux's vxlan driver used before IANA assigned 4789, still its
/// default: taken as VXLAN only when the header is exactly VXLAN's (I flag
/// alone, reserved octets zero).
pub const VXLAN_LINUX_PORT: u16 = 8472;
/// UDP destination port of Geneve (RFC 8926 §3.3).
pub const GENEVE_PORT: u16 = 6081;
/// GRE protocol types (IEEE EtherTypes) of ERSPAN.
pub const GRE_ERSPAN_I_II: u16 = 0x88be;
pub const GRE_ERSPAN_III: u16 = 0x22eb;
/// Transparent Ethernet bridging: an Ethernet frame inside GRE or Geneve.
pub const TRANSPARENT_ETHERNET: u16 = 0x6558;
/// EtherTypes of MPLS unicast and multicast.
pub const ETHERTYPE_MPLS: u16 = 0x8847;
pub const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
/// The most encapsulations followed in one frame.
pub const MAX_ENCAPSULATIONS: usize = 4;
/// The most MPLS labels read in one stack.
const MAX_LABELS: usize = 8;

/// One encapsulation a frame came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encapsulation {
    /// Plain GRE; the key when present (RFC 2890).
    Gre { key: Option<u32> },
    /// ERSPAN type I: GRE with no sequence number and no ERSPAN header.
    ErspanI,
    /// ERSPAN type II; the session ID.
    ErspanII { session: u16 },
    /// ERSPAN type III; the session ID.
    ErspanIII { session: u16 },
    /// VXLAN; the VXLAN Network Identifier.
    Vxlan { vni: u32 },
    /// Geneve; the Virtual Network Identifier.
    Geneve { vni: u32 },
    /// MPLS; the bottom label of the stack.
    Mpls { label: u32 },
}

impl Encapsulation {
    /// The encapsulation's name, as in records: `erspan2`, `vxlan`, …
    pub fn name(self) -> &'static str {
        match self {
            Self::Gre { .. } => "gre",
            Self::ErspanI => "erspan1",
            Self::ErspanII { .. } => "erspan2",
            Self::ErspanIII { .. } => "erspan3",
            Self::Vxlan { .. } => "vxlan",
            Self::Geneve { .. } => "geneve",
            Self::Mpls { .. } => "mpls",
        }
    }

    /// The identifier that tells its sessions apart: ERSPAN session ID,
    /// VNI, GRE key or MPLS label.
    pub fn id(self) -> Option<u32> {
        match self {
            Self::Gre { key } => key,
            Self::ErspanI => None,
            Self::ErspanII { session } | Self::ErspanIII { session } => Some(u32::from(session)),
            Self::Vxlan { vni } | Self::Geneve { vni } => Some(vni),
            Self::Mpls { label } => Some(label),
        }
    }

    /// Whether it is a mirror session or overlay network, whose id names a
    /// capture point of its own when asked (`--point-per-session`).
    pub fn is_session(self) -> bool {
        !matches!(self, Self::Mpls { .. } | Self::Gre { key: None })
    }
}

impl fmt::Display for Encapsulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self.id() {
            Some(id) => write!(f, "-{id}"),
            None => Ok(()),
        }
    }
}

/// The encapsulations of a frame, outermost first, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Encapsulations {
    items: [Option<Encapsulation>; MAX_ENCAPSULATIONS],
    len: u8,
}

impl Encapsulations {
    pub fn iter(&self) -> impl Iterator<Item = Encapsulation> + '_ {
        self.items[..usize::from(self.len)]
            .iter()
            .flatten()
            .copied()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The innermost mirror session or overlay network, if any.
    pub fn session(&self) -> Option<Encapsulation> {
        self.iter().filter(|e| e.is_session()).last()
    }

    pub fn push(&mut self, e: Encapsulation, at: usize) -> Result<(), HeaderError> {
        let n = usize::from(self.len);
        if n == MAX_ENCAPSULATIONS {
            return Err(link_err("encapsulation.depth", at));
        }
        self.items[n] = Some(e);
        self.len += 1;
        Ok(())
    }
}

/// A list of names with their ids, `["erspan2-7"]`, as in records.
impl serde::Serialize for Encapsulations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(usize::from(self.len)))?;
        for e in self.iter() {
            seq.serialize_element(&format_args!("{e}"))?;
        }
        seq.end()
    }
}

/// The timestamp an ERSPAN type III header carries: the mirroring
/// switch's time when it saw the frame (draft-foschiano-erspan-03 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErspanTimestamp {
    /// The header's 32-bit Timestamp field.
    pub timestamp: u32,
    /// The Gra field: 0 = 100 µs units, 1 = 100 ns units, 2 = IEEE 1588
    /// (the field holds nanoseconds), 3 = platform-specific units.
    pub granularity: u8,
    /// From the platform-specific subheader, when present.
    pub upper: Option<ErspanUpper>,
}

/// What a platform-specific subheader adds to the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErspanUpper {
    /// Platform IDs 0x3 and 0x7: the upper 32 bits of a 64-bit count of
    /// granularity units.
    High32(u32),
    /// Platform IDs 0x5 and 0x6: the seconds of an IEEE 1588 timestamp.
    Seconds(u32),
}

impl ErspanTimestamp {
    /// The timestamp in ns since the epoch and its resolution in ns.
    ///
    /// A 32-bit count wraps (every 429 s in 100 ns units, 4.97 days in
    /// 100 µs units) and a bare IEEE 1588 nanoseconds field every second;
    /// without the subheader's upper part the wrap is resolved as the one
    /// nearest `near_ns`, the capture time, which assumes the switch and
    /// the capture clock share the epoch and differ by less than half a
    /// wrap. None for platform-specific units or a nanoseconds field of
    /// 10^9 or more.
    pub fn to_ns(self, near_ns: Option<i64>) -> Option<(i64, u32)> {
        let unit: i128 = match self.granularity {
            0 => 100_000,
            1 => 100,
            2 => 1,
            _ => return None,
        };
        let (value, period) = match (self.granularity, self.upper) {
            (2, _) if self.timestamp >= 1_000_000_000 => return None,
            (2, Some(ErspanUpper::Seconds(s) | ErspanUpper::High32(s))) => {
                return i64::try_from(i128::from(s) * 1_000_000_000 + i128::from(self.timestamp))
                    .ok()
                    .map(|t| (t, 1));
            }
            (2, None) => (i128::from(self.timestamp), 1_000_000_000),
            (_, Some(ErspanUpper::High32(h))) => {
                let v = (i128::from(h) << 32 | i128::from(self.timestamp)) * unit;
                return i64::try_from(v).ok().map(|t| (t, unit as u32));
            }
            (_, _) => (i128::from(self.timestamp) * unit, unit << 32),
        };
        let near = i128::from(near_ns?);
        // The value + k·period nearest `near`.
        let k = (near - value + period / 2).div_euclid(period);
        i64::try_from(value + k * period)
            .ok()
            .map(|t| (t, unit as u32))
    }
}

/// What follows a header that was peeled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Inner {
    Ethernet(usize),
    /// An EtherType (IPv4, IPv6, …) and where its header starts.
    EtherType(u16, usize),
    /// Neither a frame nor a protocol this program follows.
    Other,
}

/// A header that does not hold together: the field and its offset in the
/// frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderError {
    pub field: &'static str,
    pub offset: usize,
}

fn link_err(field: &'static str, offset: usize) -> HeaderError {
    HeaderError { field, offset }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(*b.get(at..)?.first_chunk()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(*b.get(at..)?.first_chunk()?))
}

/// A GRE header (and the ERSPAN header inside it) at `at` in `frame`;
/// `end` is where the IP payload ends.
pub(super) fn gre(
    frame: &[u8],
    at: usize,
    end: usize,
) -> Result<(Inner, Encapsulation, Option<ErspanTimestamp>), HeaderError> {
    let b = frame.get(at..end).unwrap_or(&[]);
    let g = GrePacket::new(b).ok_or(link_err("gre", at))?;
    // RFC 1701 source routing is obsolete (RFC 2784): nothing to follow.
    if g.get_routing_present() != 0 || g.get_version() != 0 {
        return Ok((Inner::Other, Encapsulation::Gre { key: None }, None));
    }
    let mut len = 4;
    if g.get_checksum_present() != 0 {
        len += 4;
    }
    let key = if g.get_key_present() != 0 {
        len += 4;
        Some(be32(b, len - 4).ok_or(link_err("gre.key", at + len - 4))?)
    } else {
        None
    };
    let sequence = g.get_sequence_present() != 0;
    if sequence {
        len += 4;
    }
    if b.len() < len {
        return Err(link_err("gre", at));
    }
    let inner = at + len;
    Ok(match g.get_protocol_type() {
        GRE_ERSPAN_I_II if !sequence => (Inner::Ethernet(inner), Encapsulation::ErspanI, None),
        GRE_ERSPAN_I_II => {
            let h = be16(b, len).ok_or(link_err("erspan", inner))?;
            if h >> 12 != 1 || b.len() < len + 8 {
                return Err(link_err("erspan.version", inner));
            }
            let session = be16(b, len + 2).unwrap_or(0) & 0x3ff;
            (
                Inner::Ethernet(inner + 8),
                Encapsulation::ErspanII { session },
                None,
            )
        }
        GRE_ERSPAN_III => {
            let h = be16(b, len).ok_or(link_err("erspan", inner))?;
            if h >> 12 != 2 || b.len() < len + 12 {
                return Err(link_err("erspan.version", inner));
            }
            let session = be16(b, len + 2).unwrap_or(0) & 0x3ff;
            let timestamp = be32(b, len + 4).unwrap_or(0);
            let flags = be16(b, len + 10).unwrap_or(0);
            // Frame type (FT) 0 is Ethernet; others (e.g. IP) carry no
            // Ethernet header.
            let frame_type = (flags >> 10) & 0x1f;
            let granularity = ((flags >> 1) & 3) as u8;
            let mut hl = 12;
            let mut upper = None;
            if flags & 1 != 0 {
                let sub = be32(b, len + 12).ok_or(link_err("erspan.subheader", inner + 12))?;
                let word = be32(b, len + 16).ok_or(link_err("erspan.subheader", inner + 12))?;
                // Platform ID 0 is reserved (some switches send it, with
                // nothing in it), and an upper part of 0 would put the time
                // in 1970: both count as absent.
                upper = match sub >> 26 {
                    _ if word == 0 => None,
                    3 | 7 => Some(ErspanUpper::High32(word)),
                    5 | 6 => Some(ErspanUpper::Seconds(word)),
                    _ => None,
                };
                hl += 8;
            }
            let ts = ErspanTimestamp {
                timestamp,
                granularity,
                upper,
            };
            let next = match frame_type {
                0 => Inner::Ethernet(inner + hl),
                _ => Inner::Other,
            };
            (next, Encapsulation::ErspanIII { session }, Some(ts))
        }
        TRANSPARENT_ETHERNET => (Inner::Ethernet(inner), Encapsulation::Gre { key }, None),
        t => (Inner::EtherType(t, inner), Encapsulation::Gre { key }, None),
    })
}

/// A VXLAN header at `at` (the UDP payload); `strict` for the Linux port.
pub(super) fn vxlan(
    frame: &[u8],
    at: usize,
    strict: bool,
) -> Result<(Inner, Encapsulation), HeaderError> {
    let b = frame.get(at..).unwrap_or(&[]);
    let v = VxlanPacket::new(b).ok_or(link_err("vxlan", at))?;
    if strict && (v.get_flags() != 0x08 || v.get_reserved1() != 0 || v.get_reserved2() != 0) {
        return Ok((Inner::Other, Encapsulation::Vxlan { vni: 0 }));
    }
    // The I flag says the VNI is valid (RFC 7348 §5).
    if v.get_flags() & 0x08 == 0 {
        return Ok((Inner::Other, Encapsulation::Vxlan { vni: 0 }));
    }
    Ok((
        Inner::Ethernet(at + 8),
        Encapsulation::Vxlan { vni: v.get_vni() },
    ))
}

/// A Geneve header at `at` (the UDP payload), options skipped.
pub(super) fn geneve(frame: &[u8], at: usize) -> Result<(Inner, Encapsulation), HeaderError> {
    let b = frame.get(at..).unwrap_or(&[]);
    let (Some(&first), Some(protocol), Some(vni)) = (b.first(), be16(b, 2), be32(b, 4)) else {
        return Err(link_err("geneve", at));
    };
    let vni = vni >> 8;
    if first >> 6 != 0 {
        return Ok((Inner::Other, Encapsulation::Geneve { vni }));
    }
    let len = 8 + usize::from(first & 0x3f) * 4;
    if b.len() < len {
        return Err(link_err("geneve.opt_len", at));
    }
    let inner = match protocol {
        TRANSPARENT_ETHERNET => Inner::Ethernet(at + len),
        t => Inner::EtherType(t, at + len),
    };
    Ok((inner, Encapsulation::Geneve { vni }))
}

/// An MPLS label stack at `at` and what its bottom carries: IPv4, IPv6,
/// or an Ethernet pseudowire with or without its control word.
pub(super) fn mpls(frame: &[u8], at: usize) -> Result<(Inner, Encapsulation), HeaderError> {
    let mut pos = at;
    for _ in 0..MAX_LABELS {
        let entry = be32(frame, pos).ok_or(link_err("mpls", pos))?;
        pos += 4;
        if entry & 0x100 == 0 {
            continue;
        }
        let e = Encapsulation::Mpls { label: entry >> 12 };
        let rest = frame.get(pos..).unwrap_or(&[]);
        let inner = match rest.first().map(|b| b >> 4) {
            Some(4) if ip_like(rest, 4) => Inner::EtherType(0x0800, pos),
            Some(6) if ip_like(rest, 6) => Inner::EtherType(0x86dd, pos),
            // An Ethernet frame right away when its EtherType is one
            // followed; else a pseudowire control word (RFC 4385: first
            // nibble 0) when the frame after it has one; else no control
            // word.
            Some(_) if known_ethertype(rest) => Inner::Ethernet(pos),
            Some(0) if known_ethertype(rest.get(4..).unwrap_or(&[])) => Inner::Ethernet(pos + 4),
            Some(_) => Inner::Ethernet(pos),
            None => return Err(link_err("mpls.payload", pos)),
        };
        return Ok((inner, e));
    }
    Err(link_err("mpls.label_stack", pos))
}

/// Whether `b` starts with a header of IP version `v` whose length fits.
fn ip_like(b: &[u8], v: u8) -> bool {
    match v {
        4 => b.len() >= 20 && b[0] & 0x0f >= 5 && be16(b, 2).is_some_and(|t| usize::from(t) >= 20),
        _ => b.len() >= 40,
    }
}

/// Whether `b` is an Ethernet frame whose EtherType this program follows.
fn known_ethertype(b: &[u8]) -> bool {
    matches!(
        be16(b, 12),
        Some(0x88f7 | 0x0800 | 0x86dd | 0x8100 | 0x88a8 | 0x9100 | ETHERTYPE_MPLS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erspan_timestamps_in_each_granularity() {
        let t = |timestamp, granularity, upper| ErspanTimestamp {
            timestamp,
            granularity,
            upper,
        };
        let near = Some(1_795_000_000_123_456_789);
        // IEEE 1588 with the seconds in the subheader: exact.
        let s = t(123_456_700, 2, Some(ErspanUpper::Seconds(1_795_000_000)));
        assert_eq!(s.to_ns(None), Some((1_795_000_000_123_456_700, 1)));
        // Without the seconds: the second nearest the capture time.
        let s = t(999_999_990, 2, None);
        assert_eq!(s.to_ns(near), Some((1_794_999_999_999_999_990, 1)));
        assert_eq!(s.to_ns(None), None);
        assert_eq!(t(1_000_000_000, 2, None).to_ns(near), None);
        // 100 ns units, 32 bits: wraps every 429.5 s.
        let units = (1_795_000_000_123_456_700i64 / 100) as u64;
        let s = t(units as u32, 1, None);
        assert_eq!(s.to_ns(near), Some((1_795_000_000_123_456_700, 100)));
        let s = t(
            units as u32,
            1,
            Some(ErspanUpper::High32((units >> 32) as u32)),
        );
        assert_eq!(s.to_ns(None), Some((1_795_000_000_123_456_700, 100)));
        // 100 µs units.
        let units = 1_795_000_000_123_400_000i64 / 100_000;
        let s = t(units as u32, 0, None);
        assert_eq!(s.to_ns(near), Some((1_795_000_000_123_400_000, 100_000)));
        assert_eq!(t(5, 3, None).to_ns(near), None);
    }

    #[test]
    fn mpls_pseudowire_with_and_without_control_word() {
        // One label (16, bottom of stack), control word, Ethernet with PTP.
        let mut f = vec![0x00, 0x01, 0x01, 0x40, 0, 0, 0, 0];
        f.extend_from_slice(&[0x01, 0x1b, 0x19, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0x88, 0xf7]);
        assert_eq!(
            mpls(&f, 0).unwrap(),
            (Inner::Ethernet(8), Encapsulation::Mpls { label: 16 })
        );
        // Without the control word: the PTP multicast address also starts
        // with a 0 nibble, and is not taken for one, also when a VLAN tag
        // follows (octets 16..18 then hold an EtherType too).
        f.drain(4..8);
        assert_eq!(mpls(&f, 0).unwrap().0, Inner::Ethernet(4));
        let mut tagged = f.clone();
        tagged.splice(16..18, [0x81, 0x00, 0x00, 0x64, 0x88, 0xf7]);
        assert_eq!(mpls(&tagged, 0).unwrap().0, Inner::Ethernet(4));
        // Two labels, IPv4 inside.
        let mut f = vec![0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40];
        f.extend_from_slice(&[0x45, 0, 0, 20]);
        f.extend_from_slice(&[0; 16]);
        assert_eq!(
            mpls(&f, 0).unwrap(),
            (
                Inner::EtherType(0x0800, 8),
                Encapsulation::Mpls { label: 32 }
            )
        );
        // No bottom of stack within the frame.
        assert_eq!(mpls(&[0, 0, 0, 0], 0).unwrap_err().field, "mpls");
    }

    #[test]
    fn gre_flags_and_erspan_headers() {
        // GRE with checksum and key, transparent Ethernet bridging.
        let f = [0xa0, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 42];
        assert_eq!(
            gre(&f, 0, f.len()).unwrap(),
            (
                Inner::Ethernet(12),
                Encapsulation::Gre { key: Some(42) },
                None
            )
        );
        // ERSPAN II, session 7.
        let f = [
            0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x00, 0x00, 0x07, 0, 0, 0, 0,
        ];
        assert_eq!(
            gre(&f, 0, f.len()).unwrap(),
            (
                Inner::Ethernet(16),
                Encapsulation::ErspanII { session: 7 },
                None
            )
        );
        // ERSPAN III with a platform subheader (ID 5: seconds).
        let f = [
            0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1, // GRE + sequence
            0x20, 0x00, 0x00, 0x09, // version 2, session 9
            0x00, 0x00, 0x01, 0x00, // timestamp 256
            0x00, 0x00, 0x00, 0x05, // SGT, gra 2, O
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, // platform 5, seconds 3
        ];
        let (inner, e, ts) = gre(&f, 0, f.len()).unwrap();
        assert_eq!(
            (inner, e),
            (Inner::Ethernet(28), Encapsulation::ErspanIII { session: 9 })
        );
        assert_eq!(ts.unwrap().to_ns(None), Some((3_000_000_256, 1)));
        // Platform ID 0 (reserved, sent empty by some switches): no upper
        // part, the nanoseconds resolved near the capture time.
        let mut g = f;
        g[20] = 0;
        let (_, _, ts) = gre(&g, 0, g.len()).unwrap();
        assert_eq!(ts.unwrap().upper, None);
        // Seconds 0 (1970) likewise.
        let mut g = f;
        g[27] = 0;
        let (_, _, ts) = gre(&g, 0, g.len()).unwrap();
        assert_eq!(ts.unwrap().upper, None);
        // Cut inside the ERSPAN header: an error naming it.
        assert_eq!(gre(&f[..12], 0, 12).unwrap_err().field, "erspan.version");
    }
}
