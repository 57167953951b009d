//! Derived data types of IEEE 1588-2019 §5.3: `ClockIdentity`,
//! `PortIdentity`, `ClockQuality`, `PTPText`.

use std::fmt;

use serde::{Serialize, Serializer};

use nom::bytes::complete::take;
use nom::number::complete::be_u8;

use super::{PResult, array, field, whole};

/// `ClockIdentity` (§5.3.4, §7.5.2.2): eight octets, usually an EUI-64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct ClockIdentity(pub [u8; 8]);

/// Hashed as one 64-bit word: the trackers key their maps by it on every
/// message, and an array hashes as a length-prefixed slice.
impl std::hash::Hash for ClockIdentity {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from_ne_bytes(self.0));
    }
}

impl ClockIdentity {
    pub const LEN: usize = 8;
}

impl Serialize for ClockIdentity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for PortIdentity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for PtpText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string_lossy())
    }
}

pub(crate) fn parse_clock_identity<'a>(
    name: &'static str,
) -> impl FnMut(&'a [u8]) -> PResult<'a, ClockIdentity> {
    move |i| {
        let (i, b) = field(name, array::<8>)(i)?;
        Ok((i, ClockIdentity(b)))
    }
}

/// Lower-case hex of `bytes` into `out`, a separator after the octets whose
/// index is in `dots`; returns the text written.
pub(crate) fn hex_into<'o>(
    bytes: &[u8],
    dots: &[usize],
    sep: u8,
    out: &'o mut [u8; 32],
) -> &'o str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut n = 0;
    for (i, b) in bytes.iter().enumerate().take(16) {
        if dots.contains(&i) && n < 32 {
            out[n] = sep;
            n += 1;
        }
        if n + 2 <= 32 {
            out[n] = HEX[usize::from(b >> 4)];
            out[n + 1] = HEX[usize::from(b & 0xf)];
            n += 2;
        }
    }
    // Only ASCII hex digits and the ASCII separator were written.
    std::str::from_utf8(&out[..n]).unwrap_or("")
}

/// linuxptp's notation: `001b19.fffe.000001`.
impl fmt::Display for ClockIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0; 32];
        f.write_str(hex_into(&self.0, &[3, 5], b'.', &mut buf))
    }
}

/// `PortIdentity` (§5.3.5): clock identity and port number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct PortIdentity {
    pub clock_identity: ClockIdentity,
    pub port_number: u16,
}

impl PortIdentity {
    pub const LEN: usize = 10;

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.clock_identity.0);
        out.extend_from_slice(&self.port_number.to_be_bytes());
    }
}

pub(crate) fn parse_port_identity<'a>(
    name: &'static str,
) -> impl FnMut(&'a [u8]) -> PResult<'a, PortIdentity> {
    whole(name, |i| {
        let (i, [c0, c1, c2, c3, c4, c5, c6, c7, p0, p1]) = array::<10>(i)?;
        Ok((
            i,
            PortIdentity {
                clock_identity: ClockIdentity([c0, c1, c2, c3, c4, c5, c6, c7]),
                port_number: u16::from_be_bytes([p0, p1]),
            },
        ))
    })
}

/// linuxptp's notation: `001b19.fffe.000001-1`.
impl fmt::Display for PortIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.clock_identity, self.port_number)
    }
}

/// `ClockQuality` (§5.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize)]
pub struct ClockQuality {
    pub clock_class: u8,
    pub clock_accuracy: u8,
    pub offset_scaled_log_variance: u16,
}

impl ClockQuality {
    pub const LEN: usize = 4;

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.clock_class);
        out.push(self.clock_accuracy);
        out.extend_from_slice(&self.offset_scaled_log_variance.to_be_bytes());
    }
}

pub(crate) fn parse_clock_quality<'a>(
    name: &'static str,
) -> impl FnMut(&'a [u8]) -> PResult<'a, ClockQuality> {
    whole(name, |i| {
        let (i, [clock_class, clock_accuracy, v0, v1]) = array::<4>(i)?;
        let offset_scaled_log_variance = u16::from_be_bytes([v0, v1]);
        Ok((
            i,
            ClockQuality {
                clock_class,
                clock_accuracy,
                offset_scaled_log_variance,
            },
        ))
    })
}

/// `PTPText` (§5.3.9): a length octet and that many UTF-8 octets, kept as
/// bytes (the standard does not promise valid UTF-8 on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PtpText<'a>(pub &'a [u8]);

impl PtpText<'_> {
    /// Bytes on the wire: the length octet plus the text.
    pub fn buffer_len(&self) -> usize {
        1 + self.0.len()
    }

    /// Emits the text; a text longer than 255 bytes is cut at 255.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let n = self.0.len().min(255);
        out.push(n as u8);
        out.extend_from_slice(&self.0[..n]);
    }

    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.0)
    }
}

pub(crate) fn parse_ptp_text<'a>(
    name: &'static str,
) -> impl FnMut(&'a [u8]) -> PResult<'a, PtpText<'a>> {
    whole(name, |i| {
        let (i, n) = be_u8(i)?;
        let (i, t) = take(n)(i)?;
        Ok((i, PtpText(t)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_identity_round_trip_and_display() {
        let bytes = [0x00, 0x1b, 0x19, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00, 0x01];
        let (rest, p) = parse_port_identity("sourcePortIdentity")(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(p.to_string(), "001b19.fffe.000001-1");
        let mut out = vec![];
        p.emit(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn ptp_text_length_is_bounded_by_input() {
        assert!(parse_ptp_text("t")(&[5, b'a', b'b']).is_err());
        let (rest, t) = parse_ptp_text("t")(&[2, b'a', b'b', 9]).unwrap();
        assert_eq!(t.0, b"ab");
        assert_eq!(rest, &[9]);
    }
}
