//! Link, network and transport layers that carry PTP (IEEE 1588-2019 Annex C,
//! D, E, F): Ethernet II with any stack of 802.1Q / 802.1ad tags, IPv4 (with
//! options), IPv6 (with extension headers), UDP on the PTP ports, Linux cooked
//! captures (SLL, SLL2), raw IP and BSD loopback link types; and the
//! mirroring and overlay encapsulations of [`super::tunnel`] (GRE, ERSPAN,
//! VXLAN, Geneve, MPLS), whose inner frame is reported. IP fragments are
//! handed out as [`Fragment`]s for reassembly.
//!
//! Header fields are read through pnet_packet's views; every payload slice is
//! cut here with checked lengths, so no input can make [`peel`] panic.

use std::fmt;
use std::net::IpAddr;

use pnet_packet::ethernet::EthernetPacket;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::sll::SLLPacket;
use pnet_packet::sll2::SLL2Packet;
use pnet_packet::udp::UdpPacket;
use pnet_packet::vlan::VlanPacket;

use super::tunnel::{self, Encapsulations, ErspanTimestamp, Inner};

/// EtherType of PTP over IEEE 802.3 (Annex F).
pub const ETHERTYPE_PTP: u16 = 0x88f7;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;

/// UDP ports of PTP event and general messages (Annex C, D).
pub const PTP_EVENT_PORT: u16 = 319;
pub const PTP_GENERAL_PORT: u16 = 320;

/// The most VLAN tags kept per frame.
pub const MAX_VLANS: usize = 4;

/// Link types of capture files that can carry PTP (tcpdump.org link-layer
/// header types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// DLT_NULL (0): 4-octet address family, host byte order.
    Null,
    Ethernet,
    /// LINKTYPE_RAW (101), LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229).
    RawIp,
    /// LINKTYPE_LOOP (108): 4-octet address family, network byte order.
    Loop,
    LinuxSll,
    LinuxSll2,
}

impl LinkType {
    pub fn from_code(code: i32) -> Option<LinkType> {
        Some(match code {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 101 | 228 | 229 => LinkType::RawIp,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            _ => return None,
        })
    }
}

/// How the PTP message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// IEEE 802.3 / Ethernet, EtherType 0x88F7.
    L2,
    Udp4,
    Udp6,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::L2 => "l2",
            Transport::Udp4 => "udp4",
            Transport::Udp6 => "udp6",
        }
    }
}

/// A MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0; 32];
        f.write_str(super::types::hex_into(
            &self.0,
            &[1, 2, 3, 4, 5],
            b':',
            &mut buf,
        ))
    }
}

/// VLAN ids of a frame, outermost first, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vlans {
    ids: [u16; MAX_VLANS],
    len: u8,
}

impl Vlans {
    pub fn as_slice(&self) -> &[u16] {
        &self.ids[..usize::from(self.len)]
    }

    fn push(&mut self, id: u16) -> bool {
        let n = usize::from(self.len);
        if n == MAX_VLANS {
            return false;
        }
        self.ids[n] = id;
        self.len += 1;
        true
    }
}

/// A frame peeled down to its PTP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtpFrame<'a> {
    pub src_mac: Option<Mac>,
    pub dst_mac: Option<Mac>,
    pub vlans: Vlans,
    pub transport: Transport,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    /// The encapsulations the frame came through, outermost first; the
    /// addresses above are the innermost frame's.
    pub encapsulations: Encapsulations,
    /// The mirroring switch's timestamp, from an ERSPAN type III header.
    pub erspan_timestamp: Option<ErspanTimestamp>,
    /// The PTP message and anything after it in the frame.
    pub payload: &'a [u8],
    /// Where `payload` starts in the frame (in the reassembled datagram for
    /// IP fragments).
    pub payload_offset: usize,
}

impl PtpFrame<'static> {
    /// A frame over `transport` with no addresses and no payload yet.
    pub fn bare(transport: Transport) -> Self {
        PtpFrame {
            src_mac: None,
            dst_mac: None,
            vlans: Vlans::default(),
            transport,
            src_ip: None,
            dst_ip: None,
            src_port: None,
            dst_port: None,
            encapsulations: Encapsulations::default(),
            erspan_timestamp: None,
            payload: &[],
            payload_offset: 0,
        }
    }
}

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peeled<'a> {
    Ptp(PtpFrame<'a>),
    /// A fragment of a UDP datagram (IPv4 or IPv6), to be reassembled.
    Fragment(Fragment<'a>),
    NotPtp,
}

/// One fragment of a UDP datagram (RFC 791 §3.2, RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// The addresses and encapsulations so far (no payload).
    pub frame: PtpFrame<'a>,
    /// The Identification field (16 bits in IPv4, 32 in IPv6).
    pub id: u32,
    /// Where the fragment's data goes in the datagram's payload, octets.
    pub offset: usize,
    /// More fragments follow (the MF / M flag).
    pub more: bool,
    /// The fragment's data.
    pub data: &'a [u8],
    /// Where `data` starts in the frame.
    pub data_offset: usize,
}

/// What [`peel_into`] found under the headers it wrote to its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<'a> {
    /// A PTP message: the frame's `payload`.
    Ptp,
    /// A fragment of a UDP datagram; the frame holds its addresses.
    Fragment(Part<'a>),
    NotPtp,
}

/// A fragment without its frame's addresses (see [`Fragment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    pub id: u32,
    pub offset: usize,
    pub more: bool,
    pub data: &'a [u8],
    pub data_offset: usize,
}

impl<'a> Part<'a> {
    /// The fragment with the addresses and encapsulations of `frame`.
    pub fn with(self, frame: PtpFrame<'a>) -> Fragment<'a> {
        Fragment {
            frame,
            id: self.id,
            offset: self.offset,
            more: self.more,
            data: self.data,
            data_offset: self.data_offset,
        }
    }
}

/// A frame whose headers do not hold together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkError {
    /// The header field that failed, e.g. `ipv4.ihl`.
    pub field: &'static str,
    /// Byte offset of that header in the frame.
    pub offset: usize,
    /// True when the frame was on its way to PTP (EtherType 0x88F7 or a PTP
    /// UDP port) when it failed.
    pub ptp_bound: bool,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at frame byte {}: malformed", self.field, self.offset)
    }
}

impl std::error::Error for LinkError {}

impl From<tunnel::HeaderError> for LinkError {
    fn from(e: tunnel::HeaderError) -> Self {
        err(e.field, e.offset, false)
    }
}

/// The UDP ports treated as PTP: 319 and 320, plus any the user adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtpPorts(Vec<u16>);

impl Default for PtpPorts {
    fn default() -> Self {
        PtpPorts(vec![PTP_EVENT_PORT, PTP_GENERAL_PORT])
    }
}

impl PtpPorts {
    pub fn with_extra(extra: &[u16]) -> Self {
        let mut p = Self::default();
        p.0.extend_from_slice(extra);
        p
    }

    fn matches(&self, a: u16, b: u16) -> bool {
        self.0.iter().any(|&p| p == a || p == b)
    }
}

struct Cursor<'a, 'o> {
    frame: &'a [u8],
    ports: &'a PtpPorts,
    out: &'o mut PtpFrame<'a>,
}

fn err(field: &'static str, offset: usize, ptp_bound: bool) -> LinkError {
    LinkError {
        field,
        offset,
        ptp_bound,
    }
}

/// Peels the link, network and transport headers of `frame`.
pub fn peel<'a>(
    link: LinkType,
    frame: &'a [u8],
    ports: &'a PtpPorts,
) -> Result<Peeled<'a>, LinkError> {
    let mut out = PtpFrame::bare(Transport::L2);
    Ok(match peel_into(link, frame, ports, &mut out)? {
        Found::Ptp => Peeled::Ptp(out),
        Found::Fragment(part) => Peeled::Fragment(part.with(out)),
        Found::NotPtp => Peeled::NotPtp,
    })
}

/// [`peel`] into a frame the caller owns (reset here): the headers' fields
/// are written in place, and only what was found under them is returned.
/// This is the decoding path's form: nothing is copied per frame. Inlined
/// with its fast path: the reading thread spends 26 instructions a frame
/// fewer (callgrind, steady bench capture).
#[inline(always)]
pub fn peel_into<'a>(
    link: LinkType,
    frame: &'a [u8],
    ports: &'a PtpPorts,
    out: &mut PtpFrame<'a>,
) -> Result<Found<'a>, LinkError> {
    if link == LinkType::Ethernet && udp4(frame, ports, out) {
        return Ok(Found::Ptp);
    }
    peel_walk(link, frame, ports, out)
}

/// The most common frame read at once: untagged Ethernet II, IPv4 without
/// options and not a fragment, UDP to or from a PTP port, its lengths
/// consistent. Writes `out` and says true for such a frame, as
/// [`peel_walk`] would (a property test holds the two to it); any other
/// frame is left to the walk, errors and all. The walk's views and
/// results cost the reading thread 125 instructions a frame more
/// (callgrind, both bench captures).
fn udp4<'a>(frame: &'a [u8], ports: &PtpPorts, out: &mut PtpFrame<'a>) -> bool {
    // Ethernet (14), IPv4 (20), UDP (8).
    let Some(h) = frame.first_chunk::<42>() else {
        return false;
    };
    let be = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
    // EtherType IPv4; version 4 with a 20-octet header; UDP; neither the
    // More Fragments flag nor a fragment offset.
    if be(12) != ETHERTYPE_IPV4 || h[14] != 0x45 || h[23] != 17 || be(20) & 0x3fff != 0 {
        return false;
    }
    let (src_port, dst_port, udp_length) = (be(34), be(36), usize::from(be(38)));
    // The IP payload ends at totalLength (Ethernet padding cut off) or
    // where the capture does; it must hold the UDP header.
    let end = 14 + usize::from(be(16)).min(frame.len() - 14);
    if end < 42 || udp_length < 8 || !ports.matches(src_port, dst_port) {
        return false;
    }
    let ip = |i: usize| Some(IpAddr::from([h[i], h[i + 1], h[i + 2], h[i + 3]]));
    *out = PtpFrame {
        src_mac: Some(Mac(mac6(&h[6..12]))),
        dst_mac: Some(Mac(mac6(&h[..6]))),
        vlans: Vlans::default(),
        transport: Transport::Udp4,
        src_ip: ip(26),
        dst_ip: ip(30),
        src_port: Some(src_port),
        dst_port: Some(dst_port),
        encapsulations: Encapsulations::default(),
        erspan_timestamp: None,
        payload: &frame[42..(34 + udp_length).min(end)],
        payload_offset: 42,
    };
    true
}

/// [`peel_into`]'s walk through the headers, one at a time.
fn peel_walk<'a>(
    link: LinkType,
    frame: &'a [u8],
    ports: &'a PtpPorts,
    out: &mut PtpFrame<'a>,
) -> Result<Found<'a>, LinkError> {
    *out = PtpFrame::bare(Transport::L2);
    let c = Cursor { frame, ports, out };
    match link {
        LinkType::Ethernet => {
            let e = EthernetPacket::new(frame).ok_or(err("ethernet", 0, false))?;
            // The addresses copied whole (pnet's getters read them an
            // octet at a time); the frame holds at least a header here.
            c.out.dst_mac = Some(Mac(mac6(&frame[..6])));
            c.out.src_mac = Some(Mac(mac6(&frame[6..12])));
            c.ethertype(e.get_ethertype().0, 14)
        }
        LinkType::LinuxSll => {
            // pnet_packet 0.35's SLLPacket under-counts its minimum size (the
            // 8-octet address) and panics on short input: check here.
            if frame.len() < 16 {
                return Err(err("sll", 0, false));
            }
            let s = SLLPacket::new(frame).ok_or(err("sll", 0, false))?;
            if s.get_link_layer_address_len() == 6 {
                c.out.src_mac = Some(Mac(mac6(&frame[6..12])));
            }
            c.ethertype(s.get_protocol().0, 16)
        }
        LinkType::LinuxSll2 => {
            if frame.len() < 20 {
                return Err(err("sll2", 0, false));
            }
            let s = SLL2Packet::new(frame).ok_or(err("sll2", 0, false))?;
            if s.get_link_layer_address_length() == 6 {
                c.out.src_mac = Some(Mac(mac6(&frame[12..18])));
            }
            c.ethertype(s.get_protocol_type().0, 20)
        }
        LinkType::RawIp => match frame.first().map(|b| b >> 4) {
            Some(4) => c.ipv4(0),
            Some(6) => c.ipv6(0),
            Some(_) => Ok(Found::NotPtp),
            None => Err(err("ip.version", 0, false)),
        },
        LinkType::Null | LinkType::Loop => {
            let Some(af) = frame.first_chunk::<4>() else {
                return Err(err("loopback.family", 0, false));
            };
            let family = if link == LinkType::Loop {
                u32::from_be_bytes(*af)
            } else {
                // Host byte order of the capturing machine: accept both.
                u32::from_le_bytes(*af).min(u32::from_be_bytes(*af))
            };
            match family {
                2 => c.ipv4(4),
                10 | 24 | 28 | 30 => c.ipv6(4),
                _ => Ok(Found::NotPtp),
            }
        }
    }
}

fn mac6(b: &[u8]) -> [u8; 6] {
    let mut m = [0; 6];
    m.copy_from_slice(&b[..6]);
    m
}

impl<'a> Cursor<'a, '_> {
    fn rest(&self, at: usize) -> &'a [u8] {
        self.frame.get(at..).unwrap_or(&[])
    }

    /// An inner Ethernet frame at `at`: its addresses replace the outer ones.
    fn ethernet(self, at: usize) -> Result<Found<'a>, LinkError> {
        let b = self.rest(at);
        let e = EthernetPacket::new(b).ok_or(err("ethernet", at, false))?;
        self.out.dst_mac = Some(Mac(mac6(&b[..6])));
        self.out.src_mac = Some(Mac(mac6(&b[6..12])));
        self.out.vlans = Vlans::default();
        self.out.src_ip = None;
        self.out.dst_ip = None;
        self.ethertype(e.get_ethertype().0, at + 14)
    }

    fn inner(self, inner: Inner) -> Result<Found<'a>, LinkError> {
        match inner {
            Inner::Ethernet(at) => self.ethernet(at),
            Inner::EtherType(t, at) => self.ethertype(t, at),
            Inner::Other => Ok(Found::NotPtp),
        }
    }

    fn ethertype(self, mut ethertype: u16, mut at: usize) -> Result<Found<'a>, LinkError> {
        loop {
            match ethertype {
                ETHERTYPE_PTP => {
                    self.out.transport = Transport::L2;
                    self.out.payload = self.rest(at);
                    self.out.payload_offset = at;
                    return Ok(Found::Ptp);
                }
                ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                    let v = VlanPacket::new(self.rest(at)).ok_or(err("vlan", at, false))?;
                    if !self.out.vlans.push(v.get_vlan_identifier()) {
                        return Err(err("vlan.count", at, false));
                    }
                    ethertype = v.get_ethertype().0;
                    at += 4;
                }
                ETHERTYPE_IPV4 => return self.ipv4(at),
                ETHERTYPE_IPV6 => return self.ipv6(at),
                tunnel::ETHERTYPE_MPLS | tunnel::ETHERTYPE_MPLS_MULTICAST => {
                    let (inner, e) = tunnel::mpls(self.frame, at)?;
                    self.out.encapsulations.push(e, at)?;
                    return self.inner(inner);
                }
                _ => return Ok(Found::NotPtp),
            }
        }
    }

    /// GRE at `at`, the IP payload ending at `end`.
    fn gre(mut self, at: usize, end: usize) -> Result<Found<'a>, LinkError> {
        let (inner, e, ts) = tunnel::gre(self.frame, at, end)?;
        // The inner frame ends with the outer IP payload, not with the
        // outer frame's padding.
        self.frame = self.frame.get(..end).unwrap_or(self.frame);
        self.out.encapsulations.push(e, at)?;
        if ts.is_some() {
            self.out.erspan_timestamp = ts;
        }
        self.inner(inner)
    }

    fn ipv4(self, at: usize) -> Result<Found<'a>, LinkError> {
        let b = self.rest(at);
        let ip = Ipv4Packet::new(b).ok_or(err("ipv4", at, false))?;
        if ip.get_version() != 4 {
            return Err(err("ipv4.version", at, false));
        }
        let ihl = usize::from(ip.get_header_length()) * 4;
        let total = usize::from(ip.get_total_length());
        if ihl < 20 || ihl > b.len() {
            return Err(err("ipv4.ihl", at, false));
        }
        if total < ihl {
            return Err(err("ipv4.total_length", at, false));
        }
        let protocol = ip.get_next_level_protocol().0;
        if protocol != 17 && protocol != 47 {
            return Ok(Found::NotPtp);
        }
        // Within the header (`ihl` >= 20 fits `b`), copied whole.
        let addr = |at: usize| IpAddr::from([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        self.out.src_ip = Some(addr(12));
        self.out.dst_ip = Some(addr(16));
        self.out.transport = Transport::Udp4;
        // Cut Ethernet padding off; a snapped capture keeps what it has.
        let end = at + total.min(b.len());
        // More fragments (flag bit 0x1) or an offset: a fragment.
        let offset = usize::from(ip.get_fragment_offset()) * 8;
        if ip.get_flags() & 1 != 0 || offset != 0 {
            if protocol != 17 {
                return Ok(Found::NotPtp);
            }
            return Ok(Found::Fragment(Part {
                id: u32::from(ip.get_identification()),
                offset,
                more: ip.get_flags() & 1 != 0,
                data: self.frame.get(at + ihl..end).unwrap_or(&[]),
                data_offset: at + ihl,
            }));
        }
        match protocol {
            47 => self.gre(at + ihl, end),
            _ => self.udp(at + ihl, end),
        }
    }

    fn ipv6(self, at: usize) -> Result<Found<'a>, LinkError> {
        let b = self.rest(at);
        let ip = Ipv6Packet::new(b).ok_or(err("ipv6", at, false))?;
        if ip.get_version() != 6 {
            return Err(err("ipv6.version", at, false));
        }
        self.out.src_ip = Some(IpAddr::V6(ip.get_source()));
        self.out.dst_ip = Some(IpAddr::V6(ip.get_destination()));
        self.out.transport = Transport::Udp6;
        let end = at + (40 + usize::from(ip.get_payload_length())).min(b.len());
        let mut next = ip.get_next_header().0;
        let mut pos = at + 40;
        // Extension headers (RFC 8200 §4), a bounded walk.
        for _ in 0..16 {
            let h = self.frame.get(pos..end).unwrap_or(&[]);
            let len = match next {
                17 => return self.udp(pos, end),
                47 => return self.gre(pos, end),
                0 | 43 | 60 => h.get(1).map(|&l| (usize::from(l) + 1) * 8),
                44 => {
                    let Some(f) = h.first_chunk::<8>() else {
                        return Err(err("ipv6.fragment", pos, false));
                    };
                    let word = u16::from_be_bytes([f[2], f[3]]);
                    let (offset, more) = (usize::from(word >> 3) * 8, word & 1 != 0);
                    if offset != 0 || more {
                        // Only a UDP datagram is reassembled.
                        if f[0] != 17 {
                            return Ok(Found::NotPtp);
                        }
                        return Ok(Found::Fragment(Part {
                            id: u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
                            offset,
                            more,
                            data: &h[8..],
                            data_offset: pos + 8,
                        }));
                    }
                    // An atomic fragment (RFC 6946): a whole datagram.
                    Some(8)
                }
                51 => h.get(1).map(|&l| (usize::from(l) + 2) * 4),
                _ => return Ok(Found::NotPtp),
            };
            let Some(len) = len.filter(|&l| l <= h.len()) else {
                return Err(err("ipv6.extension_header", pos, false));
            };
            next = h[0];
            pos += len;
        }
        Err(err("ipv6.extension_header", pos, false))
    }

    fn udp(mut self, at: usize, end: usize) -> Result<Found<'a>, LinkError> {
        let b = self.frame.get(at..end).unwrap_or(&[]);
        let u = UdpPacket::new(b).ok_or(err("udp", at, false))?;
        let (sp, dp) = (u.get_source(), u.get_destination());
        if !self.ports.matches(sp, dp) {
            let len = usize::from(u.get_length()).clamp(8, b.len());
            self.frame = self.frame.get(..at + len).unwrap_or(self.frame);
            let tunnel = match dp {
                tunnel::VXLAN_PORT => tunnel::vxlan(self.frame, at + 8, false)?,
                tunnel::VXLAN_LINUX_PORT => tunnel::vxlan(self.frame, at + 8, true)?,
                tunnel::GENEVE_PORT => tunnel::geneve(self.frame, at + 8)?,
                _ => return Ok(Found::NotPtp),
            };
            self.out.encapsulations.push(tunnel.1, at + 8)?;
            self.out.src_port = None;
            self.out.dst_port = None;
            return self.inner(tunnel.0);
        }
        let len = usize::from(u.get_length());
        if len < 8 {
            return Err(err("udp.length", at + 4, true));
        }
        self.out.src_port = Some(sp);
        self.out.dst_port = Some(dp);
        self.out.payload = &b[8..len.min(b.len())];
        self.out.payload_offset = at + 8;
        Ok(Found::Ptp)
    }
}

/// The UDP datagram `datagram` (header and data, reassembled from
/// fragments), sent with the addresses of `frame`: PTP when on a PTP port.
pub fn peel_datagram<'a>(
    frame: &PtpFrame<'_>,
    datagram: &'a [u8],
    ports: &'a PtpPorts,
) -> Result<Peeled<'a>, LinkError> {
    let mut out = PtpFrame {
        src_mac: frame.src_mac,
        dst_mac: frame.dst_mac,
        vlans: frame.vlans,
        transport: frame.transport,
        src_ip: frame.src_ip,
        dst_ip: frame.dst_ip,
        src_port: None,
        dst_port: None,
        encapsulations: frame.encapsulations,
        erspan_timestamp: frame.erspan_timestamp,
        payload: &[],
        payload_offset: 0,
    };
    Ok(match peel_datagram_into(datagram, ports, &mut out)? {
        Found::Ptp => Peeled::Ptp(out),
        Found::Fragment(part) => Peeled::Fragment(part.with(out)),
        Found::NotPtp => Peeled::NotPtp,
    })
}

/// [`peel_datagram`] in place: `out` holds the frame of the fragment that
/// completed the datagram and gets the datagram's ports and payload.
pub fn peel_datagram_into<'a>(
    datagram: &'a [u8],
    ports: &'a PtpPorts,
    out: &mut PtpFrame<'a>,
) -> Result<Found<'a>, LinkError> {
    out.src_port = None;
    out.dst_port = None;
    out.payload = &[];
    out.payload_offset = 0;
    Cursor {
        frame: datagram,
        ports,
        out,
    }
    .udp(0, datagram.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(ethertype: u16) -> Vec<u8> {
        let mut f = vec![0x01, 0x1b, 0x19, 0, 0, 0, 0x00, 0x1b, 0x19, 0, 0, 1];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f
    }

    fn ipv4_udp(dport: u16, payload: &[u8]) -> Vec<u8> {
        let total = (20 + 8 + payload.len()) as u16;
        let mut f = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 1, 17, 0, 0, 10, 0, 0, 1, 224, 0, 1, 129,
        ];
        f[2..4].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&1234u16.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        f
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The fast path for untagged IPv4/UDP frames finds what the walk
        /// finds, for frames near the ones it takes: a valid frame with
        /// some header octets changed (EtherType, version and IHL,
        /// protocol, flags and fragment offset, totalLength, ports, UDP
        /// length) and cut or padded.
        #[test]
        fn udp4_fast_path_is_the_walk(
            changes in proptest::collection::vec(
                (
                    // EtherType, version and IHL (with the DSCP octet),
                    // totalLength, flags and fragment offset, TTL and
                    // protocol, ports, UDP length: 16-bit words.
                    proptest::sample::select(vec![12usize, 14, 16, 20, 22, 34, 36, 38]),
                    proptest::prop_oneof![
                        0u16..80,
                        proptest::prelude::any::<u16>(),
                        proptest::sample::select(vec![
                            0x0800u16, 0x8100, 0x86dd, 0x88f7, 0x4500, 0x4600, 0x4400, 0x6500,
                            0x4000, 0x2000, 0x0001, 0x8000, 0x4011, 0x402f, 0x4006, 319, 320,
                            4789, 6081,
                        ]),
                    ],
                ),
                0..4,
            ),
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60),
            cut in proptest::prop_oneof![proptest::strategy::Just(0usize), 0usize..40],
            pad in 0usize..20,
            dport in proptest::sample::select(vec![319u16, 320, 4789, 9999]),
        ) {
            let mut f = eth(ETHERTYPE_IPV4);
            f.extend(ipv4_udp(dport, &payload));
            f.extend(std::iter::repeat_n(0, pad));
            for (i, v) in changes {
                f[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            f.truncate(f.len().saturating_sub(cut));
            let ports = PtpPorts::default();
            let mut fast = PtpFrame::bare(Transport::L2);
            let mut walk = PtpFrame::bare(Transport::L2);
            let a = peel_into(LinkType::Ethernet, &f, &ports, &mut fast);
            let b = peel_walk(LinkType::Ethernet, &f, &ports, &mut walk);
            proptest::prop_assert_eq!(a, b);
            if a.is_ok() {
                proptest::prop_assert_eq!(fast, walk);
            }
        }
    }

    #[test]
    fn udp4_fast_path_takes_the_common_frame() {
        let mut f = eth(ETHERTYPE_IPV4);
        f.extend(ipv4_udp(319, &[1, 2, 3]));
        let mut out = PtpFrame::bare(Transport::L2);
        assert!(udp4(&f, &PtpPorts::default(), &mut out));
        assert_eq!(out.payload, &[1, 2, 3]);
        // A fragment, a VLAN tag, IPv4 options: left to the walk.
        for (i, v) in [(21, 1), (12, 0x81), (14, 0x46)] {
            let mut g = f.clone();
            g[i] = v;
            let mut out = PtpFrame::bare(Transport::L2);
            assert!(!udp4(&g, &PtpPorts::default(), &mut out));
        }
    }

    #[test]
    fn l2_with_stacked_vlans() {
        let mut f = eth(ETHERTYPE_QINQ);
        f.extend_from_slice(&[0x00, 0x64, 0x81, 0x00, 0x20, 0x96, 0x88, 0xf7]);
        f.extend_from_slice(&[0xaa, 0xbb]);
        let p = PtpPorts::default();
        let Peeled::Ptp(x) = peel(LinkType::Ethernet, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!(x.vlans.as_slice(), &[100, 150]);
        assert_eq!(x.transport, Transport::L2);
        assert_eq!(x.payload, &[0xaa, 0xbb]);
        assert_eq!(x.payload_offset, 22);
        assert_eq!(x.src_mac.unwrap().to_string(), "00:1b:19:00:00:01");
    }

    #[test]
    fn udp4_cuts_ethernet_padding() {
        let mut f = eth(ETHERTYPE_IPV4);
        f.extend(ipv4_udp(319, &[1, 2, 3]));
        f.extend_from_slice(&[0; 10]);
        let p = PtpPorts::default();
        let Peeled::Ptp(x) = peel(LinkType::Ethernet, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!(x.payload, &[1, 2, 3]);
        assert_eq!(x.dst_ip.unwrap().to_string(), "224.0.1.129");
        assert_eq!(x.dst_port, Some(319));
    }

    #[test]
    fn other_ports_only_by_option() {
        let f = ipv4_udp(5000, &[1]);
        let p = PtpPorts::default();
        assert_eq!(peel(LinkType::RawIp, &f, &p).unwrap(), Peeled::NotPtp);
        let p = PtpPorts::with_extra(&[5000]);
        assert!(matches!(
            peel(LinkType::RawIp, &f, &p).unwrap(),
            Peeled::Ptp(_)
        ));
    }

    #[test]
    fn ipv4_options_and_fragments() {
        let mut f = ipv4_udp(320, &[9]);
        // Add one 4-octet option (NOP x4): IHL 6.
        f.splice(20..20, [1, 1, 1, 1]);
        f[0] = 0x46;
        let total = f.len() as u16;
        f[2..4].copy_from_slice(&total.to_be_bytes());
        let p = PtpPorts::default();
        let Peeled::Ptp(x) = peel(LinkType::RawIp, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!(x.payload, &[9]);
        // Offset 16 × 8 octets, the last fragment.
        f[6..8].copy_from_slice(&0x0010u16.to_be_bytes());
        let Peeled::Fragment(x) = peel(LinkType::RawIp, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!((x.offset, x.more, x.data_offset), (128, false, 24));
        // The first fragment (MF set, offset 0) is a fragment too.
        f[6..8].copy_from_slice(&0x2000u16.to_be_bytes());
        let Peeled::Fragment(x) = peel(LinkType::RawIp, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!((x.offset, x.more, x.data.len()), (0, true, 9));
    }

    #[test]
    fn ipv6_with_hop_by_hop() {
        let payload = [7u8, 7];
        let mut f = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        f.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&[0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x81]);
        f.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop, 8 octets
        f.extend_from_slice(&[0x01, 0x3f, 0x01, 0x3f, 0, 10, 0, 0]);
        f.extend_from_slice(&payload);
        let plen = (f.len() - 40) as u16;
        f[4..6].copy_from_slice(&plen.to_be_bytes());
        let p = PtpPorts::default();
        let Peeled::Ptp(x) = peel(LinkType::RawIp, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!(x.transport, Transport::Udp6);
        assert_eq!(x.payload, &payload);
        assert_eq!(x.dst_ip.unwrap().to_string(), "ff0e::181");
    }

    #[test]
    fn sll_and_sll2() {
        let mut f = vec![
            0, 0, 0, 1, 0, 6, 0, 0x1b, 0x19, 0, 0, 2, 0, 0, 0x88, 0xf7, 0xee,
        ];
        let p = PtpPorts::default();
        let Peeled::Ptp(x) = peel(LinkType::LinuxSll, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!(x.payload, &[0xee]);
        assert_eq!(x.src_mac.unwrap().to_string(), "00:1b:19:00:00:02");
        f = vec![0x88, 0xf7, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6];
        f.extend_from_slice(&[0, 0x1b, 0x19, 0, 0, 3, 0, 0, 0xdd]);
        let Peeled::Ptp(x) = peel(LinkType::LinuxSll2, &f, &p).unwrap() else {
            panic!()
        };
        assert_eq!(x.payload, &[0xdd]);
        assert_eq!(x.src_mac.unwrap().to_string(), "00:1b:19:00:00:03");
    }

    #[test]
    fn short_cooked_headers_are_errors_not_panics() {
        let p = PtpPorts::default();
        assert!(peel(LinkType::LinuxSll, &[0; 8], &p).is_err());
        assert!(peel(LinkType::LinuxSll2, &[0; 12], &p).is_err());
    }

    #[test]
    fn malformed_headers_are_errors() {
        let p = PtpPorts::default();
        assert!(peel(LinkType::Ethernet, &[0; 5], &p).is_err());
        let mut f = ipv4_udp(319, &[1]);
        f[0] = 0x4f; // IHL 60 > frame
        assert_eq!(peel(LinkType::RawIp, &f, &p).unwrap_err().field, "ipv4.ihl");
        let mut f = ipv4_udp(319, &[1]);
        f[24..26].copy_from_slice(&[0, 3]); // UDP length 3
        let e = peel(LinkType::RawIp, &f, &p).unwrap_err();
        assert_eq!((e.field, e.ptp_bound), ("udp.length", true));
    }
}
