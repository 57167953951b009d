//! Wire time: the 80-bit `Timestamp` (IEEE 1588-2019 §5.3.3) and the
//! `correctionField` (§13.3.2.9), kept in their wire forms. Arithmetic time
//! lives elsewhere; these types only decode, emit and display.

use std::fmt;

use nom::number::complete::be_i64;
use serde::Serialize;

use super::{PResult, array, field, whole};

/// `Timestamp`: 48-bit seconds and 32-bit nanoseconds (§5.3.3).
///
/// `nanoseconds` is kept as sent, even when it is 10^9 or more (invalid per the
/// standard but seen on the wire); [`Timestamp::is_valid`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize)]
pub struct Timestamp {
    /// `secondsField`, 48 bits.
    pub seconds: u64,
    /// `nanosecondsField`.
    pub nanoseconds: u32,
}

impl Timestamp {
    pub const LEN: usize = 10;
    const SECONDS_MAX: u64 = (1 << 48) - 1;

    /// True when `nanoseconds` is below one second.
    pub fn is_valid(&self) -> bool {
        self.nanoseconds < 1_000_000_000
    }

    /// Nanoseconds since the PTP epoch, as a wide integer.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanoseconds)
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        let s = (self.seconds & Self::SECONDS_MAX).to_be_bytes();
        out.extend_from_slice(&s[2..]);
        out.extend_from_slice(&self.nanoseconds.to_be_bytes());
    }
}

/// Parses a `Timestamp`, naming `name` in errors.
pub(crate) fn parse_timestamp<'a>(
    name: &'static str,
) -> impl FnMut(&'a [u8]) -> PResult<'a, Timestamp> {
    // One length check for the ten octets: three, one per piece, made
    // this most of a Sync body's decoding.
    whole(name, |i| {
        let (i, [s0, s1, s2, s3, s4, s5, n0, n1, n2, n3]) = array::<10>(i)?;
        Ok((
            i,
            Timestamp {
                seconds: u64::from_be_bytes([0, 0, s0, s1, s2, s3, s4, s5]),
                nanoseconds: u32::from_be_bytes([n0, n1, n2, n3]),
            },
        ))
    })
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.seconds, self.nanoseconds)
    }
}

/// `correctionField` (§13.3.2.9) and other `TimeInterval` values (§5.3.2):
/// nanoseconds multiplied by 2^16, as a signed 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize)]
#[serde(transparent)]
pub struct Correction(pub i64);

impl Correction {
    /// The value the standard reserves for "too big to represent"
    /// (0x7FFF_FFFF_FFFF_FFFF).
    pub const TOO_BIG: Correction = Correction(i64::MAX);

    /// Whole nanoseconds, rounded toward negative infinity.
    pub fn nanos_floor(&self) -> i64 {
        self.0 >> 16
    }

    /// Nanoseconds as a float, for display only.
    pub fn nanos_f64(&self) -> f64 {
        self.0 as f64 / 65536.0
    }
}

pub(crate) fn parse_correction<'a>(
    name: &'static str,
) -> impl FnMut(&'a [u8]) -> PResult<'a, Correction> {
    move |i| {
        let (i, v) = field(name, be_i64)(i)?;
        Ok((i, Correction(v)))
    }
}

impl fmt::Display for Correction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::TOO_BIG {
            return write!(f, "too-big");
        }
        // Exact decimal rendering of the scaled value: whole ns and 1/65536 ns
        // to three decimals, without going through a float.
        let v = i128::from(self.0);
        let sign = if v < 0 { "-" } else { "" };
        let a = v.unsigned_abs();
        let whole = a >> 16;
        let frac = ((a & 0xffff) * 1000 + 32768) >> 16;
        let (whole, frac) = if frac == 1000 {
            (whole + 1, 0)
        } else {
            (whole, frac)
        };
        write!(f, "{sign}{whole}.{frac:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BYTES: [u8; 10] = [0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x3b, 0x9a, 0xc9, 0xff];

    #[test]
    fn parse() {
        let (rest, ts) = parse_timestamp("t")(&BYTES).unwrap();
        assert!(rest.is_empty());
        assert_eq!(ts.seconds, (1 << 32) + 2);
        assert_eq!(ts.nanoseconds, 999_999_999);
        assert!(ts.is_valid());
        assert_eq!(ts.to_string(), "4294967298.999999999");
    }

    #[test]
    fn emit() {
        let ts = Timestamp {
            seconds: (1 << 32) + 2,
            nanoseconds: 999_999_999,
        };
        let mut out = vec![];
        ts.emit(&mut out);
        assert_eq!(out, BYTES);
    }

    #[test]
    fn truncated_names_the_field() {
        let e = parse_timestamp("originTimestamp")(&BYTES[..7]).unwrap_err();
        match e {
            nom::Err::Error(f) => assert_eq!(f.field, "originTimestamp"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn correction_display() {
        assert_eq!(Correction(0).to_string(), "0.000");
        assert_eq!(Correction(105045 << 16).to_string(), "105045.000");
        assert_eq!(Correction((3 << 16) + 32768).to_string(), "3.500");
        assert_eq!(Correction(-(1 << 16) - 16384).to_string(), "-1.250");
        assert_eq!(Correction::TOO_BIG.to_string(), "too-big");
        assert_eq!(Correction(-(5 << 16)).nanos_floor(), -5);
    }
}
