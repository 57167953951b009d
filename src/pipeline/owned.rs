//! A decoded frame that owns its bytes, so that reading and decoding run
//! on one thread and analysis on another: [`decode_owned`] copies the PTP
//! message's octets into a batch's arena and keeps the decoded header and
//! body (which borrow nothing but the arena's TLV octets), [`apply`] feeds
//! it to the analyzer on the other side.

use std::net::IpAddr;

use super::decode::{Content, Decoder};
use crate::analysis::{Analyzer, MalformedRecord, Measurement, Observation};
use crate::capture::{Frame, Points};
use crate::wire::link::{Mac, PtpFrame, Transport};
use crate::wire::{Body, Header, Message, Ptp};

/// One frame, decoded, detached from its reader's buffer.
pub(crate) struct Decoded {
    pub point: usize,
    pub frame: u64,
    pub time_ns: Option<i64>,
    pub resolution_ns: u32,
    pub item: Item,
}

/// What a frame carried.
pub(crate) enum Item {
    /// No PTP: counted only.
    Frame,
    V2 {
        src_mac: Option<Mac>,
        src_ip: Option<IpAddr>,
        dst_mac: Option<Mac>,
        dst_ip: Option<IpAddr>,
        transport: Transport,
        header: Header,
        body: Body<'static>,
        /// The message octets and, within them, the TLVs: ranges of the
        /// batch's arena.
        bytes: (usize, usize),
        suffix: (usize, usize),
    },
    V1,
    Malformed {
        field: &'static str,
        offset: usize,
        message: String,
    },
}

/// The body without its borrow: every body but Reserved's owns its fields.
fn body_static(b: Body<'_>) -> Body<'static> {
    match b {
        Body::Sync(x) => Body::Sync(x),
        Body::DelayReq(x) => Body::DelayReq(x),
        Body::PdelayReq(x) => Body::PdelayReq(x),
        Body::PdelayResp(x) => Body::PdelayResp(x),
        Body::FollowUp(x) => Body::FollowUp(x),
        Body::DelayResp(x) => Body::DelayResp(x),
        Body::PdelayRespFollowUp(x) => Body::PdelayRespFollowUp(x),
        Body::Announce(x) => Body::Announce(x),
        Body::Signaling(x) => Body::Signaling(x),
        Body::Management(x) => Body::Management(x),
        Body::Reserved(_) => Body::Reserved(&[]),
    }
}

/// Peels and decodes a frame into a [`Decoded`], its message octets
/// appended to `arena`; a mirror session's first frame adds its point to
/// `points` (`Decoder::point_per_session`).
pub(crate) fn decode_owned(
    decoder: &mut Decoder,
    frame: &Frame<'_>,
    points: &mut Points,
    arena: &mut Vec<u8>,
) -> Decoded {
    let mut item = Item::Frame;
    let t = decoder.frame(frame, points, |_, _, link, content| {
        item = match content {
            Content::Ptp(Ptp::V2(m)) => match link {
                Some(link) => {
                    let start = arena.len();
                    let len = usize::from(m.header.message_length).min(link.payload.len());
                    arena.extend_from_slice(&link.payload[..len]);
                    let tlvs = start + m.suffix_offset().min(len);
                    Item::V2 {
                        bytes: (start, arena.len()),
                        src_mac: link.src_mac,
                        src_ip: link.src_ip,
                        dst_mac: link.dst_mac,
                        dst_ip: link.dst_ip,
                        transport: link.transport,
                        header: m.header,
                        body: body_static(m.body),
                        suffix: (tlvs, (tlvs + m.suffix.len()).min(arena.len())),
                    }
                }
                None => Item::Frame,
            },
            Content::Ptp(Ptp::V1(_)) => Item::V1,
            Content::Malformed(m) => Item::Malformed {
                field: m.error.field,
                offset: m.error.offset,
                message: m.error.to_string(),
            },
            Content::LinkMalformed(e) => Item::Malformed {
                field: e.field,
                offset: e.offset,
                message: e.to_string(),
            },
        }
    });
    Decoded {
        point: t.point,
        frame: frame.number,
        time_ns: t.time_ns,
        resolution_ns: t.resolution_ns,
        item,
    }
}

/// Feeds one decoded frame to the analyzer; returns the measurement it
/// completed, for the estimator.
pub(crate) fn apply(a: &mut Analyzer, d: &Decoded, arena: &[u8]) -> Option<Measurement> {
    a.frame(d.point, d.time_ns);
    match &d.item {
        Item::Frame => None,
        Item::V2 {
            src_mac,
            src_ip,
            dst_mac,
            dst_ip,
            transport,
            header,
            body,
            bytes,
            suffix,
        } => {
            let t = d.time_ns?;
            let link = PtpFrame {
                src_mac: *src_mac,
                src_ip: *src_ip,
                dst_mac: *dst_mac,
                dst_ip: *dst_ip,
                ..PtpFrame::bare(*transport)
            };
            let message = Message {
                header: *header,
                body: *body,
                suffix: arena.get(suffix.0..suffix.1).unwrap_or_default(),
                trailer: &[],
            };
            a.observe(&Observation {
                point: d.point,
                frame: d.frame,
                time_ns: t,
                resolution_ns: d.resolution_ns,
                link: &link,
                message: &message,
                bytes: arena.get(bytes.0..bytes.1).unwrap_or_default(),
            })
        }
        Item::V1 => {
            a.observe_v1(d.point);
            None
        }
        Item::Malformed {
            field,
            offset,
            message,
        } => {
            a.malformed(MalformedRecord {
                point_id: d.point,
                frame: d.frame,
                field,
                offset: *offset,
                message: message.clone(),
            });
            None
        }
    }
}
