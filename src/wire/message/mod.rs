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
use super::tlv::TlvIter;
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

/// A decoded PTP payload: v2/v2.1 in full, or a recognised v1 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ptp<'a> {
    V2(Message<'a>),
    V1(V1Message<'a>),
}

/// Decodes the PTP message at the start of `bytes` (a UDP payload or the
/// payload of an 0x88F7 Ethernet frame). Every TLV is decoded too, so `Ok`
/// means the whole message is well formed.
pub fn decode(bytes: &[u8]) -> Result<Ptp<'_>, Error> {
    let Some(&b1) = bytes.get(1) else {
        return Err(Error {
            field: "versionPTP",
            offset: bytes.len(),
            kind: ErrorKind::Truncated,
        });
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
        }),
    }
}

/// Decodes just the common header of a v2 message (for reporting what can be
/// read of a message that fails to decode).
pub fn decode_header(bytes: &[u8]) -> Result<Header, Error> {
    finish(bytes, 0, parse_header(bytes)).map(|(_, h)| h)
}

fn decode_v2(bytes: &[u8]) -> Result<Message<'_>, Error> {
    let (after_header, header) = finish(bytes, 0, parse_header(bytes))?;
    let declared = usize::from(header.message_length);
    let minimum = Header::LEN + Body::len_for(header.message_type).unwrap_or(0);
    if declared < minimum {
        return Err(Error {
            field: "messageLength",
            offset: 2,
            kind: ErrorKind::ShorterThanBody { declared, minimum },
        });
    }
    if declared > bytes.len() {
        return Err(Error {
            field: "messageLength",
            offset: 2,
            kind: ErrorKind::LongerThanCaptured {
                declared,
                available: bytes.len(),
            },
        });
    }
    let trailer = &bytes[declared..];
    let body_bytes = &after_header[..declared - Header::LEN];
    let (suffix, body) = finish(
        body_bytes,
        Header::LEN,
        parse_body(header.message_type, body_bytes),
    )?;
    let message = Message {
        header,
        body,
        suffix,
        trailer,
    };
    for tlv in message.tlvs() {
        tlv?;
    }
    Ok(message)
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
        let b = delay_resp();
        let e = decode(&b[..50]).unwrap_err();
        assert_eq!(e.field, "messageLength");
        assert_eq!(
            e.kind,
            ErrorKind::LongerThanCaptured {
                declared: 54,
                available: 50
            }
        );
    }

    #[test]
    fn message_length_shorter_than_body() {
        let mut b = delay_resp();
        b[3] = 44;
        let e = decode(&b).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::ShorterThanBody {
                declared: 44,
                minimum: 54
            }
        );
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
        // A broken TLV inside messageLength fails the whole message.
        b[57] = 9;
        let e = decode(&b).unwrap_err();
        assert_eq!((e.field, e.offset), ("lengthField", 56));
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
        let e = decode(&[0x00, 0x03, 0x00]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnsupportedVersion(3));
        assert_eq!(decode(&[0x00]).unwrap_err().field, "versionPTP");
    }

    #[test]
    fn every_prefix_is_an_error_not_a_panic() {
        let b = delay_resp();
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err(), "{n}");
        }
    }
}
