//! Sans-IO decoding and encoding of IEEE 1588 (PTP) messages and the link
//! layers that carry them.
//!
//! # Contract
//! Every decoder in this module takes a byte slice and returns either a value
//! that borrows from it or an [`Error`] naming the faulty field and the byte
//! offset (from the first byte of the PTP message) where that field starts;
//! [`decode`] keeps what decoded before the fault ([`Malformed`]). No decoder
//! panics on any input, and no length read from the wire is used before it
//! has been checked against the bytes actually present: allocation never
//! depends on a wire length (a well-formed message allocates nothing; a
//! malformed one boxes what decoded before its fault).
//!
//! Every decoded structure can be emitted again (`emit`), and for a message
//! decoded from bytes `b`, emitting it gives back `b[..messageLength]`.
//!
//! Versions: IEEE 1588-2008 (PTPv2, `versionPTP = 2`, `minorVersionPTP = 0`)
//! and IEEE 1588-2019 (PTPv2.1, `minorVersionPTP = 1`) are decoded in full.
//! IEEE 1588-2002 (PTPv1) messages are recognised by their version and decoded
//! as far as their header and principal timestamp ([`message::v1`]).

pub mod duration;
#[doc(hidden)]
pub mod fuzzing;
pub mod header;
pub mod link;
pub mod message;
pub mod time;
pub mod tlv;
pub mod tunnel;
pub mod types;

#[cfg(test)]
mod proptests;

use std::fmt;

use nom::error::{ErrorKind as NomErrorKind, ParseError};
use nom::{IResult, Parser};

pub use duration::Duration;
pub use header::{Flags, Header, MessageType};
pub use message::{Body, Malformed, Message, Partial, Ptp, decode};
pub use time::{Correction, Timestamp};
pub use tlv::{Tlv, TlvBody, TlvType};
pub use types::{ClockIdentity, ClockQuality, PortIdentity, PtpText};

/// Why decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes ended inside the field.
    Truncated,
    /// `messageLength` declares more bytes than the packet holds.
    LongerThanCaptured { declared: usize, available: usize },
    /// `messageLength` is smaller than the header and body of the message type.
    ShorterThanBody { declared: usize, minimum: usize },
    /// A TLV's `lengthField` runs past the end of the message.
    TlvOverrun { length: usize, available: usize },
    /// `versionPTP` is neither 1 nor 2.
    UnsupportedVersion(u8),
}

/// A decoding error: what went wrong, in which field, at which byte offset of
/// the PTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    pub field: &'static str,
    pub offset: usize,
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}: ", self.field, self.offset)?;
        match self.kind {
            ErrorKind::Truncated => write!(f, "truncated"),
            ErrorKind::LongerThanCaptured {
                declared,
                available,
            } => write!(
                f,
                "messageLength {declared} exceeds the {available} bytes present"
            ),
            ErrorKind::ShorterThanBody { declared, minimum } => write!(
                f,
                "messageLength {declared} is shorter than the {minimum} bytes of this message type"
            ),
            ErrorKind::TlvOverrun { length, available } => write!(
                f,
                "lengthField {length} runs past the end of the message ({available} bytes left)"
            ),
            ErrorKind::UnsupportedVersion(v) => write!(f, "unsupported versionPTP {v}"),
        }
    }
}

impl std::error::Error for Error {}

/// The nom error type of this module: the remaining input at the failure, and
/// the standard's name of the field being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseFailure<'a> {
    pub input: &'a [u8],
    pub field: &'static str,
    pub kind: ErrorKind,
}

impl<'a> ParseError<&'a [u8]> for ParseFailure<'a> {
    fn from_error_kind(input: &'a [u8], _kind: NomErrorKind) -> Self {
        ParseFailure {
            input,
            field: "",
            kind: ErrorKind::Truncated,
        }
    }

    fn append(_input: &'a [u8], _kind: NomErrorKind, other: Self) -> Self {
        other
    }
}

impl ParseFailure<'_> {
    /// Turns the failure into an [`Error`] with an offset counted from `base`,
    /// the slice the parse started on, plus `base_offset`.
    pub(crate) fn at(self, base: &[u8], base_offset: usize) -> Error {
        Error {
            field: if self.field.is_empty() {
                "message"
            } else {
                self.field
            },
            offset: base_offset + base.len().saturating_sub(self.input.len()),
            kind: self.kind,
        }
    }
}

pub(crate) type PResult<'a, O> = IResult<&'a [u8], O, ParseFailure<'a>>;

/// Runs `parser` and names the field it reads in any error it returns.
pub(crate) fn field<'a, O, P>(
    name: &'static str,
    mut parser: P,
) -> impl FnMut(&'a [u8]) -> PResult<'a, O>
where
    P: Parser<&'a [u8], Output = O, Error = ParseFailure<'a>>,
{
    move |i| {
        parser.parse(i).map_err(|e| {
            e.map(|mut f| {
                if f.field.is_empty() {
                    f.field = name;
                }
                f
            })
        })
    }
}

/// Runs the parser of a field read in several pieces — a `Timestamp`, a
/// `PortIdentity`, a `ClockQuality`, a `PTPText`, a `PortAddress`, a 48-bit
/// integer — so that an error names the field and points at its first octet
/// (where the field starts), not at the piece that was cut.
pub(crate) fn whole<'a, O, P>(
    name: &'static str,
    mut parser: P,
) -> impl FnMut(&'a [u8]) -> PResult<'a, O>
where
    P: Parser<&'a [u8], Output = O, Error = ParseFailure<'a>>,
{
    move |i| {
        parser.parse(i).map_err(|e| {
            e.map(|mut f| {
                f.field = name;
                f.input = i;
                f
            })
        })
    }
}

/// Runs a parse over a whole slice and converts a nom error to [`Error`].
pub(crate) fn finish<'a, O>(
    base: &'a [u8],
    base_offset: usize,
    result: PResult<'a, O>,
) -> Result<(&'a [u8], O), Error> {
    result.map_err(|e| match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => f.at(base, base_offset),
        nom::Err::Incomplete(_) => Error {
            field: "message",
            offset: base_offset + base.len(),
            kind: ErrorKind::Truncated,
        },
    })
}

/// Reads exactly `N` bytes as an array.
pub(crate) fn array<const N: usize>(i: &[u8]) -> PResult<'_, [u8; N]> {
    match i.split_first_chunk::<N>() {
        Some((head, rest)) => Ok((rest, *head)),
        None => Err(nom::Err::Error(ParseFailure::from_error_kind(
            i,
            NomErrorKind::Eof,
        ))),
    }
}

/// Serialization helpers shared by the wire types: byte strings as lower-case
/// hex, identities in linuxptp's notation.
pub(crate) mod ser {
    use serde::Serializer;

    pub fn hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&Hex(bytes))
    }

    pub struct Hex<'a>(pub &'a [u8]);

    impl std::fmt::Display for Hex<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            for b in self.0 {
                write!(f, "{b:02x}")?;
            }
            Ok(())
        }
    }
}
