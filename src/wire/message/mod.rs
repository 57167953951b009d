//! PTP messages: the common header, one of the ten bodies, and the TLVs that
//! follow (IEEE 1588-2019 §13).
//!
//! # Lengths (§13.3.2.4)
//! `messageLength` counts the header, the body and every TLV. The decoder
//! cross-checks it against the bytes present:
//! - fewer bytes than `messageLength`: error `LongerThanCaptured`;
//! - `messageLength` below header + body for the message type: error
//!   `ShorterThanBody`;
//! - more bytes than `messageLength`: the message ends at `messageLength`;
//!   the rest (Ethernet padding, a UDP trailer) is kept in
//!   [`Message::trailer`] and is not part of the message;
//! - octets between the body and `messageLength`: TLVs (§14.1), every one
//!   decoded and checked by [`decode`].
//!
//! # Malformed messages
//! A message that fails keeps what decoded before the fault ([`Partial`]):
//! the header, the body when it decoded whole, and the TLVs before the one
//! that failed. The error names the faulty field at the offset where it
//! starts. When the bytes end before `messageLength` (a frame cut short),
//! the field is the body field they end in, or `messageLength` itself when
//! the body is whole (the TLVs wholly present are kept).

pub mod announce;
pub mod delay_req;
pub mod delay_resp;
pub mod follow_up;
pub mod management;
pub mod pdelay_req;
pub mod pdelay_resp;
pub mod pdelay_resp_follow_up;
pub mod signaling;
pub mod sync;
pub mod v1;

pub use announce::Announce;
pub use delay_req::DelayReq;
pub use delay_resp::DelayResp;
pub use follow_up::FollowUp;
pub use management::Management;
pub use pdelay_req::PdelayReq;
pub use pdelay_resp::PdelayResp;
pub use pdelay_resp_follow_up::PdelayRespFollowUp;
pub use signaling::Signaling;
pub use sync::Sync;
pub use v1::V1Message;

use serde::Serialize;

use super::header::parse_header;
use super::tlv::{TlvIter, parse_tlv};
use super::{Error, ErrorKind, Header, MessageType, PResult, PortIdentity, Timestamp, finish};

/// A message body, by message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Body<'a> {
    Sync(Sync),
    DelayReq(DelayReq),
    PdelayReq(PdelayReq),
    PdelayResp(PdelayResp),
    FollowUp(FollowUp),
    DelayResp(DelayResp),
    PdelayRespFollowUp(PdelayRespFollowUp),
    Announce(Announce),
    Signaling(Signaling),
    Management(Management),
    /// A reserved message type: everything after the header, undecoded.
    Reserved(#[serde(skip)] &'a [u8]),
}

impl Body<'_> {
    /// The fixed body length of a message type; `None` for reserved types.
    pub fn len_for(t: MessageType) -> Option<usize> {
        Some(match t {
            MessageType::SYNC => Sync::LEN,
            MessageType::DELAY_REQ => DelayReq::LEN,
            MessageType::PDELAY_REQ => PdelayReq::LEN,
            MessageType::PDELAY_RESP => PdelayResp::LEN,
            MessageType::FOLLOW_UP => FollowUp::LEN,
            MessageType::DELAY_RESP => DelayResp::LEN,
            MessageType::PDELAY_RESP_FOLLOW_UP => PdelayRespFollowUp::LEN,
            MessageType::ANNOUNCE => Announce::LEN,
            MessageType::SIGNALING => Signaling::LEN,
            MessageType::MANAGEMENT => Management::LEN,
            _ => return None,
        })
    }

    pub fn buffer_len(&self) -> usize {
        match self {
            Body::Sync(_) => Sync::LEN,
            Body::DelayReq(_) => DelayReq::LEN,
            Body::PdelayReq(_) => PdelayReq::LEN,
            Body::PdelayResp(_) => PdelayResp::LEN,
            Body::FollowUp(_) => FollowUp::LEN,
            Body::DelayResp(_) => DelayResp::LEN,
            Body::PdelayRespFollowUp(_) => PdelayRespFollowUp::LEN,
            Body::Announce(_) => Announce::LEN,
            Body::Signaling(_) => Signaling::LEN,
            Body::Management(_) => Management::LEN,
            Body::Reserved(b) => b.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Body::Sync(b) => b.emit(out),
            Body::DelayReq(b) => b.emit(out),
            Body::PdelayReq(b) => b.emit(out),
            Body::PdelayResp(b) => b.emit(out),
            Body::FollowUp(b) => b.emit(out),
            Body::DelayResp(b) => b.emit(out),
            Body::PdelayRespFollowUp(b) => b.emit(out),
            Body::Announce(b) => b.emit(out),
            Body::Signaling(b) => b.emit(out),
            Body::Management(b) => b.emit(out),
            Body::Reserved(b) => out.extend_from_slice(b),
        }
    }

    /// The timestamp the standard gives this message type: originTimestamp,
    /// preciseOriginTimestamp, receiveTimestamp, requestReceiptTimestamp or
    /// responseOriginTimestamp.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match self {
            Body::Sync(b) => Some(b.origin_timestamp),
            Body::DelayReq(b) => Some(b.origin_timestamp),
            Body::PdelayReq(b) => Some(b.origin_timestamp),
            Body::PdelayResp(b) => Some(b.request_receipt_timestamp),
            Body::FollowUp(b) => Some(b.precise_origin_timestamp),
            Body::DelayResp(b) => Some(b.receive_timestamp),
            Body::PdelayRespFollowUp(b) => Some(b.response_origin_timestamp),
            Body::Announce(b) => Some(b.origin_timestamp),
            _ => None,
        }
    }

    /// `requestingPortIdentity` of the three response messages.
    pub fn requesting_port_identity(&self) -> Option<PortIdentity> {
        match self {
            Body::DelayResp(b) => Some(b.requesting_port_identity),
            Body::PdelayResp(b) => Some(b.requesting_port_identity),
            Body::PdelayRespFollowUp(b) => Some(b.requesting_port_identity),
            _ => None,
        }
    }
}

fn parse_body(t: MessageType, i: &[u8]) -> PResult<'_, Body<'_>> {
    Ok(match t {
        MessageType::SYNC => sync::parse_sync(i).map(|(i, b)| (i, Body::Sync(b)))?,
        MessageType::DELAY_REQ => {
            delay_req::parse_delay_req(i).map(|(i, b)| (i, Body::DelayReq(b)))?
        }
        MessageType::PDELAY_REQ => {
            pdelay_req::parse_pdelay_req(i).map(|(i, b)| (i, Body::PdelayReq(b)))?
        }
        MessageType::PDELAY_RESP => {
            pdelay_resp::parse_pdelay_resp(i).map(|(i, b)| (i, Body::PdelayResp(b)))?
        }
        MessageType::FOLLOW_UP => {
            follow_up::parse_follow_up(i).map(|(i, b)| (i, Body::FollowUp(b)))?
        }
        MessageType::DELAY_RESP => {
            delay_resp::parse_delay_resp(i).map(|(i, b)| (i, Body::DelayResp(b)))?
        }
        MessageType::PDELAY_RESP_FOLLOW_UP => pdelay_resp_follow_up::parse_pdelay_resp_follow_up(i)
            .map(|(i, b)| (i, Body::PdelayRespFollowUp(b)))?,
        MessageType::ANNOUNCE => {
            announce::parse_announce(i).map(|(i, b)| (i, Body::Announce(b)))?
        }
        MessageType::SIGNALING => {
            signaling::parse_signaling(i).map(|(i, b)| (i, Body::Signaling(b)))?
        }
        MessageType::MANAGEMENT => {
            management::parse_management(i).map(|(i, b)| (i, Body::Management(b)))?
        }
        _ => (&i[i.len()..], Body::Reserved(i)),
    })
}

/// A PTPv2 / v2.1 message, borrowing the bytes it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub header: Header,
    pub body: Body<'a>,
    /// The TLV octets between the body and `messageLength`.
    pub suffix: &'a [u8],
    /// Octets after `messageLength` (link padding); not part of the message
    /// and not emitted.
    pub trailer: &'a [u8],
}

impl<'a> Message<'a> {
    /// Octets from the start of the message to the first TLV.
    pub fn suffix_offset(&self) -> usize {
        Header::LEN + self.body.buffer_len()
    }

    /// The TLVs of the message, each decoded; errors carry message offsets.
    pub fn tlvs(&self) -> TlvIter<'a> {
        TlvIter::new(self.suffix, self.suffix_offset())
    }

    /// Header + body + TLVs: what `messageLength` should say.
    pub fn buffer_len(&self) -> usize {
        self.suffix_offset() + self.suffix.len()
    }

    /// Emits header, body and TLVs. `messageLength` is written as held in the
    /// header, so a decoded message emits back to its own bytes; set it with
    /// [`Message::fix_length`] when building a message.
    pub fn emit(&self, out: &mut Vec<u8>) {
        self.header.emit(out);
        self.body.emit(out);
        out.extend_from_slice(self.suffix);
    }

    /// Sets `messageLength` from the body and TLVs.
    pub fn fix_length(&mut self) {
        self.header.message_length = u16::try_from(self.buffer_len()).unwrap_or(u16::MAX);
    }
}

/// What decoded of a malformed v2 message before its fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial<'a> {
    pub header: Header,
    /// The body, when it decoded whole.
    pub body: Option<Body<'a>>,
    /// The octets of the TLVs that decoded whole, from the first TLV up to
    /// the one that failed ([`Partial::tlvs`] decodes them).
    pub tlv_octets: &'a [u8],
    /// Octets after `messageLength` (link padding); empty when the bytes
    /// end before it.
    pub trailer: &'a [u8],
}

impl<'a> Partial<'a> {
    /// The TLVs that decoded whole before the fault.
    pub fn tlvs(&self) -> TlvIter<'a> {
        let at = Header::LEN + self.body.map_or(0, |b| b.buffer_len());
        TlvIter::new(self.tlv_octets, at)
    }
}

/// A PTP message that failed to decode: the error, and for a v2 message
/// whose header could be read, what decoded before the fault. (Boxed: the
/// malformed path may allocate, a well-formed message's `Result` stays as
/// small as the message.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed<'a> {
    pub error: Error,
    pub partial: Option<Box<Partial<'a>>>,
}

impl From<Error> for Malformed<'_> {
    fn from(error: Error) -> Self {
        Malformed {
            error,
            partial: None,
        }
    }
}

impl std::fmt::Display for Malformed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Malformed<'_> {}

/// A decoded PTP payload: v2/v2.1 in full, or a recognised v1 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ptp<'a> {
    V2(Message<'a>),
    V1(V1Message<'a>),
}

/// Decodes the PTP message at the start of `bytes` (a UDP payload or the
/// payload of an 0x88F7 Ethernet frame). Every TLV is decoded too, so `Ok`
/// means the whole message is well formed; an error keeps what decoded
/// before the fault.
pub fn decode(bytes: &[u8]) -> Result<Ptp<'_>, Malformed<'_>> {
    let Some(&b1) = bytes.get(1) else {
        return Err(Error {
            field: "versionPTP",
            offset: bytes.len(),
            kind: ErrorKind::Truncated,
        }
        .into());
    };
    match b1 & 0x0f {
        2 => decode_v2(bytes).map(Ptp::V2),
        1 if bytes[0] == 0 => {
            let (_, m) = finish(bytes, 0, v1::parse_v1(bytes))?;
            Ok(Ptp::V1(m))
        }
        v => Err(Error {
            field: "versionPTP",
            offset: 1,
            kind: ErrorKind::UnsupportedVersion(v),
        }
        .into()),
    }
}

fn decode_v2(bytes: &[u8]) -> Result<Message<'_>, Malformed<'_>> {
    let (after_header, header) = finish(bytes, 0, parse_header(bytes))?;
    let malformed = |error, body, tlv_octets, trailer| Malformed {
        error,
        partial: Some(Box::new(Partial {
            header,
            body,
            tlv_octets,
            trailer,
        })),
    };
    let declared = usize::from(header.message_length);
    let minimum = Header::LEN + Body::len_for(header.message_type).unwrap_or(0);
    if declared < minimum {
        let e = Error {
            field: "messageLength",
            offset: 2,
            kind: ErrorKind::ShorterThanBody { declared, minimum },
        };
        return Err(malformed(e, None, &[], &[]));
    }
    // Bytes that end before messageLength are decoded as far as they go.
    let cut = (declared > bytes.len()).then_some(ErrorKind::LongerThanCaptured {
        declared,
        available: bytes.len(),
    });
    let trailer = bytes.get(declared..).unwrap_or_default();
    let present = declared.min(bytes.len()).saturating_sub(Header::LEN);
    let body_bytes = after_header.get(..present).unwrap_or(after_header);
    let (suffix, body) = match finish(
        body_bytes,
        Header::LEN,
        parse_body(header.message_type, body_bytes),
    ) {
        Ok(v) => v,
        Err(mut e) => {
            if let Some(kind) = cut {
                e.kind = kind;
            }
            return Err(malformed(e, None, &[], trailer));
        }
    };
    // Every TLV, up to the first that fails.
    let at = Header::LEN + body.buffer_len();
    let mut rest = suffix;
    let mut fault = None;
    while !rest.is_empty() {
        match parse_tlv(rest, at + (suffix.len() - rest.len())) {
            Ok((r, _)) => rest = r,
            Err(e) => {
                fault = Some(e);
                break;
            }
        }
    }
    let whole_tlvs = suffix.get(..suffix.len() - rest.len()).unwrap_or_default();
    let fault = match cut {
        Some(kind) => Some(Error {
            field: "messageLength",
            offset: 2,
            kind,
        }),
        None => fault,
    };
    if let Some(e) = fault {
        return Err(malformed(e, Some(body), whole_tlvs, trailer));
    }
    Ok(Message {
        header,
        body,
        suffix,
        trailer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tlv::TlvBody;

    /// Delay_Resp from the tcpdump test corpus (ptp_corrections.pcap, frame 3):
    /// domain 44, correction 36035 ns.
    fn delay_resp() -> Vec<u8> {
        let mut b = vec![
            0x09, 0x02, 0x00, 0x36, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0xc3,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        b.extend_from_slice(&[0x00, 0x1b, 0x19, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00, 0x01]);
        b.extend_from_slice(&[0x00, 0x07, 0x03, 0xfe]);
        b.extend_from_slice(&[0x00, 0x00, 0x65, 0x5d, 0x2f, 0x10, 0x00, 0x00, 0x03, 0xe8]);
        b.extend_from_slice(&[0x00, 0x1b, 0x19, 0xff, 0xfe, 0x00, 0x00, 0x02, 0x00, 0x02]);
        b
    }

    #[test]
    fn parse_delay_resp() {
        let b = delay_resp();
        let Ptp::V2(m) = decode(&b).unwrap() else {
            panic!()
        };
        assert_eq!(m.header.message_type, MessageType::DELAY_RESP);
        assert_eq!(m.header.domain_number, 44);
        assert_eq!(m.header.correction_field.nanos_floor(), 36035);
        assert_eq!(m.header.sequence_id, 7);
        let Body::DelayResp(d) = m.body else { panic!() };
        assert_eq!(d.receive_timestamp.seconds, 0x655d2f10);
        assert_eq!(d.receive_timestamp.nanoseconds, 1000);
        assert_eq!(
            d.requesting_port_identity.to_string(),
            "001b19.fffe.000002-2"
        );
        assert!(m.suffix.is_empty() && m.trailer.is_empty());
        let mut out = vec![];
        m.emit(&mut out);
        assert_eq!(out, b);
    }

    #[test]
    fn padding_after_message_length_is_trailer() {
        let mut b = delay_resp();
        b.extend_from_slice(&[0; 6]);
        let Ptp::V2(m) = decode(&b).unwrap() else {
            panic!()
        };
        assert_eq!(m.trailer.len(), 6);
        let mut out = vec![];
        m.emit(&mut out);
        assert_eq!(out, &b[..54]);
    }

    #[test]
    fn message_length_longer_than_bytes() {
        // The bytes end inside requestingPortIdentity (octets 44..54).
        let b = delay_resp();
        let m = decode(&b[..50]).unwrap_err();
        assert_eq!(
            (m.error.field, m.error.offset),
            ("requestingPortIdentity", 44)
        );
        assert_eq!(
            m.error.kind,
            ErrorKind::LongerThanCaptured {
                declared: 54,
                available: 50
            }
        );
        let p = m.partial.unwrap();
        assert_eq!(p.header.sequence_id, 7);
        assert_eq!(p.body, None);
    }

    #[test]
    fn message_length_shorter_than_body() {
        let mut b = delay_resp();
        b[3] = 44;
        let m = decode(&b).unwrap_err();
        assert_eq!(
            m.error.kind,
            ErrorKind::ShorterThanBody {
                declared: 44,
                minimum: 54
            }
        );
        assert_eq!((m.error.field, m.error.offset), ("messageLength", 2));
        // The header is kept; the body is not read past messageLength.
        let p = m.partial.unwrap();
        assert_eq!((p.header.message_length, p.body), (44, None));
    }

    #[test]
    fn suffix_tlvs_are_decoded_and_checked() {
        let mut b = delay_resp();
        b.extend_from_slice(&[0x80, 0x08, 0x00, 0x02, 0x00, 0x00]);
        b[3] = 60;
        let Ptp::V2(m) = decode(&b).unwrap() else {
            panic!()
        };
        let tlvs: Vec<_> = m.tlvs().collect::<Result<_, _>>().unwrap();
        assert_eq!(tlvs.len(), 1);
        assert_eq!(tlvs[0].body, TlvBody::Pad { pad: &[0, 0] });
        // A broken TLV inside messageLength fails the whole message; the
        // header and body are kept.
        b[57] = 9;
        let m = decode(&b).unwrap_err();
        assert_eq!((m.error.field, m.error.offset), ("lengthField", 56));
        let p = m.partial.unwrap();
        assert!(matches!(p.body, Some(Body::DelayResp(_))));
        assert_eq!(p.tlvs().count(), 0);
    }

    #[test]
    fn v1_is_recognised_not_misread() {
        let mut b = vec![0x00, 0x01, 0x00, 0x01];
        b.extend_from_slice(b"_DFLT\0\0\0\0\0\0\0\0\0\0\0");
        b.extend_from_slice(&[
            1, 1, 0, 0x1b, 0x19, 0, 0, 1, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        b.extend_from_slice(&[0x40, 0, 0, 0, 0, 0, 0, 5]);
        let Ptp::V1(m) = decode(&b).unwrap() else {
            panic!()
        };
        assert_eq!(m.message_name(), Some("Sync"));
        assert_eq!(m.sequence_id, 9);
        assert_eq!(m.subdomain_name(), "_DFLT");
        assert_eq!(m.timestamp().unwrap().seconds, 0x4000_0000);
        let mut out = vec![];
        m.emit(&mut out);
        assert_eq!(out, b);
    }

    #[test]
    fn other_versions_rejected() {
        let m = decode(&[0x00, 0x03, 0x00]).unwrap_err();
        assert_eq!(m.error.kind, ErrorKind::UnsupportedVersion(3));
        assert_eq!(m.partial, None);
        assert_eq!(decode(&[0x00]).unwrap_err().error.field, "versionPTP");
    }

    #[test]
    fn every_prefix_is_an_error_not_a_panic() {
        let b = delay_resp();
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err(), "{n}");
        }
    }

    /// A header with `message_type` and `messageLength` `length`, from
    /// port 020000.fffe.000001-1, sequenceId 9.
    fn header(message_type: u8, length: u16) -> Vec<u8> {
        let mut b = vec![message_type, 0x02];
        b.extend_from_slice(&length.to_be_bytes());
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&[0x02, 0, 0, 0xff, 0xfe, 0, 0, 1, 0, 1, 0, 9, 5, 0x7f]);
        b
    }

    /// Emits what a malformed message kept: header, body and whole TLVs.
    fn emit_partial(p: &Partial<'_>) -> Vec<u8> {
        let mut out = vec![];
        p.header.emit(&mut out);
        if let Some(b) = p.body {
            b.emit(&mut out);
        }
        out.extend_from_slice(p.tlv_octets);
        out
    }

    /// Each body's fields (§13.5–§13.12), in order, with their octets.
    const BODIES: &[(u8, &[(&str, usize)])] = &[
        (0x0, &[("originTimestamp", 10)]),
        (0x1, &[("originTimestamp", 10)]),
        (0x2, &[("originTimestamp", 10), ("reserved", 10)]),
        (
            0x3,
            &[
                ("requestReceiptTimestamp", 10),
                ("requestingPortIdentity", 10),
            ],
        ),
        (0x8, &[("preciseOriginTimestamp", 10)]),
        (
            0x9,
            &[("receiveTimestamp", 10), ("requestingPortIdentity", 10)],
        ),
        (
            0xa,
            &[
                ("responseOriginTimestamp", 10),
                ("requestingPortIdentity", 10),
            ],
        ),
        (
            0xb,
            &[
                ("originTimestamp", 10),
                ("currentUtcOffset", 2),
                ("reserved", 1),
                ("grandmasterPriority1", 1),
                ("grandmasterClockQuality", 4),
                ("grandmasterPriority2", 1),
                ("grandmasterIdentity", 8),
                ("stepsRemoved", 2),
                ("timeSource", 1),
            ],
        ),
        (0xc, &[("targetPortIdentity", 10)]),
        (
            0xd,
            &[
                ("targetPortIdentity", 10),
                ("startingBoundaryHops", 1),
                ("boundaryHops", 1),
                ("actionField", 1),
                ("reserved", 1),
            ],
        ),
    ];

    /// Every body cut at every octet (the bytes end before messageLength):
    /// the error names the body field the bytes end in, where it starts,
    /// with messageLength's count and the count present; the header is kept.
    #[test]
    fn a_cut_body_names_the_field_where_it_starts() {
        for &(t, fields) in BODIES {
            let len: usize = fields.iter().map(|f| f.1).sum();
            let mut b = header(t, (Header::LEN + len) as u16);
            b.extend((0..len).map(|i| i as u8 | 0x40));
            assert!(decode(&b).is_ok(), "{t:#x} whole");
            for cut in Header::LEN..b.len() {
                let m = decode(&b[..cut]).unwrap_err();
                let mut start = Header::LEN;
                let (name, at) = fields
                    .iter()
                    .find_map(|&(name, n)| {
                        start += n;
                        (cut < start).then_some((name, start - n))
                    })
                    .unwrap();
                assert_eq!(
                    (m.error.field, m.error.offset, m.error.kind),
                    (
                        name,
                        at,
                        ErrorKind::LongerThanCaptured {
                            declared: b.len(),
                            available: cut
                        }
                    ),
                    "{t:#x} cut at {cut}"
                );
                let p = m.partial.unwrap();
                assert_eq!((p.header.sequence_id, p.body), (9, None), "{t:#x}");
            }
        }
    }

    /// An Announce cut inside grandmasterClockQuality (octets 48..52):
    /// the error points at octet 48, not at the clockQuality octet that
    /// is missing.
    #[test]
    fn a_truncated_announce_names_grandmaster_clock_quality() {
        let mut b = header(0xb, 64);
        b.extend_from_slice(&[0; 14]);
        b.extend_from_slice(&[128, 248, 0xfe, 0xff, 0xff, 128]);
        b.extend_from_slice(&[0; 10]);
        let m = decode(&b[..50]).unwrap_err();
        assert_eq!(
            (m.error.field, m.error.offset),
            ("grandmasterClockQuality", 48)
        );
        assert_eq!(
            m.error.to_string(),
            "grandmasterClockQuality at byte 48: messageLength 64 exceeds the 50 bytes present"
        );
    }

    /// An 802.1AS Follow_Up with its Follow_Up information TLV, cut inside
    /// preciseOriginTimestamp, and cut inside the TLV.
    #[test]
    fn a_truncated_follow_up() {
        let mut b = header(0x18, 76);
        b.extend_from_slice(&[0, 0, 0x65, 0x5d, 0x2f, 0x10, 0, 0, 0x03, 0xe8]);
        b.extend_from_slice(&[0x00, 0x03, 0x00, 0x1c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x01]);
        b.extend_from_slice(&[0; 22]);
        assert!(decode(&b).is_ok());
        let m = decode(&b[..40]).unwrap_err();
        assert_eq!(
            (m.error.field, m.error.offset),
            ("preciseOriginTimestamp", 34)
        );
        assert_eq!(m.partial.unwrap().header.major_sdo_id, 1);
        // The body is whole, the TLV is not: messageLength is what the bytes
        // fall short of, and the body is kept.
        let m = decode(&b[..60]).unwrap_err();
        assert_eq!((m.error.field, m.error.offset), ("messageLength", 2));
        let p = m.partial.unwrap();
        let Some(Body::FollowUp(f)) = p.body else {
            panic!("{p:?}")
        };
        assert_eq!(f.precise_origin_timestamp.nanoseconds, 1000);
        assert_eq!(p.tlvs().count(), 0);
        assert_eq!(emit_partial(&p), b[..44]);
    }

    /// A Signaling whose first TLV is whole and whose second says more
    /// octets than the message has: the first TLV is kept, the error is at
    /// the second's lengthField.
    #[test]
    fn a_bad_second_tlv_keeps_the_first() {
        let mut b = header(0xc, 0);
        b.extend_from_slice(&[0xff; 10]); // targetPortIdentity: all ports
        b.extend_from_slice(&[0x00, 0x04, 0x00, 0x06, 0x00, 0xfc, 0, 0, 0x01, 0x2c]);
        b.extend_from_slice(&[0x00, 0x04, 0x00, 0x1c, 0xb0, 0xfc, 0, 0, 0x01, 0x2c]);
        let len = b.len() as u16;
        b[2..4].copy_from_slice(&len.to_be_bytes());
        let m = decode(&b).unwrap_err();
        assert_eq!((m.error.field, m.error.offset), ("lengthField", 56));
        assert_eq!(
            m.error.kind,
            ErrorKind::TlvOverrun {
                length: 28,
                available: 6
            }
        );
        let p = m.partial.unwrap();
        let Some(Body::Signaling(s)) = p.body else {
            panic!("{p:?}")
        };
        assert_eq!(s.target_port_identity.port_number, 0xffff);
        let tlvs: Vec<_> = p.tlvs().collect::<Result<_, _>>().unwrap();
        assert_eq!(tlvs.len(), 1);
        assert!(matches!(
            tlvs[0].body,
            TlvBody::RequestUnicastTransmission {
                message_type: 0x00,
                ..
            }
        ));
        assert_eq!(emit_partial(&p), b[..54]);
        assert!(p.trailer.is_empty());
    }

    /// field/gptp-signaling-tlv-length-28.pcap frame 1: an 802.1AS message
    /// interval request TLV whose lengthField says 28 for 12 octets.
    #[test]
    fn captured_gptp_signaling_keeps_header_and_target() {
        let b: &[u8] = &[
            0x1c, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,
            0x00, 0x01, 0x00, 0x00, 0x05, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0x00, 0x03, 0x00, 0x1c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x01, 0x00, 0xfd,
            0x00, 0x00, 0x00, 0x00,
        ];
        let m = decode(b).unwrap_err();
        assert_eq!((m.error.field, m.error.offset), ("lengthField", 46));
        let p = m.partial.unwrap();
        assert_eq!(
            p.header.source_port_identity.to_string(),
            "020000.fffe.000002-1"
        );
        assert!(matches!(p.body, Some(Body::Signaling(_))));
        assert_eq!(p.tlvs().count(), 0);
    }

    /// field/mgmt-time-short-data-bad-control.pcap frame 2: a TIME RESPONSE
    /// with two octets of data; currentTime starts at octet 54.
    #[test]
    fn captured_short_management_data_keeps_the_body() {
        let b: &[u8] = &[
            0x0d, 0x02, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01,
            0x00, 0x01, 0x00, 0x07, 0x00, 0x7f, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x09,
            0x00, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0x04, 0x20, 0x0f, 0x00, 0x01,
        ];
        let m = decode(b).unwrap_err();
        assert_eq!(
            (m.error.field, m.error.offset, m.error.kind),
            ("currentTime", 54, ErrorKind::Truncated)
        );
        let p = m.partial.unwrap();
        let Some(Body::Management(mg)) = p.body else {
            panic!("{p:?}")
        };
        assert_eq!((mg.action(), mg.target_port_identity.port_number), (2, 1));
        assert_eq!(emit_partial(&p), b[..48]);
    }
}
