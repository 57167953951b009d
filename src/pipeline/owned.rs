//! A decoded frame that owns its bytes, so that reading and decoding run
//! on one thread and analysis on another: [`decode_owned`] keeps the
//! decoded header and body, copies the message's TLVs (if any) into a
//! batch's arena and hashes its octets for the ledger (when there are
//! points to compare); [`apply`] feeds it to the analyzer on the other
//! side. The message's octets themselves do not cross: on a steady
//! capture, reading them back made most of the analysis thread's cache
//! misses.

use std::net::IpAddr;

use super::decode::{Content, Decoder};
use crate::analysis::security::Detail;
use crate::analysis::{Analyzer, MalformedRecord, Mismatch, Observation, content_hash};
use crate::capture::{Frame, Points};
use crate::wire::link::{Mac, PtpFrame, Transport};
use crate::wire::{Body, ClockIdentity, ErrorKind, Header, Message, PortIdentity, Ptp};

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
        /// The header and body; its TLVs are in the batch's arena, at
        /// `suffix`, and its own `suffix` and `trailer` are empty: a
        /// message without TLVs (most) is observed as it is here, not
        /// copied out.
        message: Message<'static>,
        /// The message's [`content_hash`], as [`Observation::content`].
        content: Option<u64>,
        /// The TLVs: a range of the batch's arena.
        suffix: (u32, u32),
    },
    V1,
    Malformed {
        field: &'static str,
        offset: usize,
        message: String,
        mismatch: Option<Mismatch>,
    },
}

/// A decoding error that is a header contradicting its message, not a
/// capture cut short: versionPTP neither 1 nor 2, a messageLength shorter
/// than its type's body, or longer than a frame captured whole.
fn mismatch(kind: ErrorKind, payload: &[u8], captured_whole: bool) -> Option<Mismatch> {
    let small = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let detail = match kind {
        ErrorKind::UnsupportedVersion(value) => Detail::VersionMismatch { value },
        ErrorKind::ShorterThanBody { declared, minimum } => Detail::LengthMismatch {
            declared: small(declared),
            actual: small(minimum),
        },
        ErrorKind::LongerThanCaptured {
            declared,
            available,
        } if captured_whole => Detail::LengthMismatch {
            declared: small(declared),
            actual: small(available),
        },
        _ => return None,
    };
    let header = payload
        .get(..Header::LEN)
        .filter(|h| h[1] & 0x0f == 2)
        .map(|h| {
            let mut clock = [0; 8];
            clock.copy_from_slice(&h[20..28]);
            let port = PortIdentity {
                clock_identity: ClockIdentity(clock),
                port_number: u16::from_be_bytes([h[28], h[29]]),
            };
            (h[0] >> 4, h[4], port)
        });
    Some(Mismatch { detail, header })
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

/// Peels and decodes a frame into a [`Decoded`] pushed on `out`, its TLVs'
/// octets appended to `arena`; a mirror session's first frame adds
/// its point to `points` (`Decoder::point_per_session`); [`apply`] feeds
/// it to the trackers.
pub(crate) fn decode_owned(
    decoder: &mut Decoder,
    frame: &Frame<'_>,
    points: &mut Points,
    arena: &mut Vec<u8>,
    out: &mut Vec<Decoded>,
) {
    let known = out.len();
    let t = decoder.frame(frame, points, |timed, points, link, content| {
        // Matched by reference: the message is not moved out to be read.
        let item = match content {
            Content::Ptp(Ptp::V2(m)) => match link {
                Some(link) => {
                    let len = usize::from(m.header.message_length).min(link.payload.len());
                    // The ledger compares from the second point on.
                    let content = (points.len() > 1).then(|| content_hash(&link.payload[..len]));
                    // Offsets within a batch's arena (at most BATCH_BYTES
                    // and a message) fit a u32.
                    let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                    let start = at(arena.len());
                    arena.extend_from_slice(m.suffix);
                    Item::V2 {
                        content,
                        src_mac: link.src_mac,
                        src_ip: link.src_ip,
                        dst_mac: link.dst_mac,
                        dst_ip: link.dst_ip,
                        transport: link.transport,
                        message: Message {
                            header: m.header,
                            body: body_static(m.body),
                            suffix: &[],
                            trailer: &[],
                        },
                        suffix: (start, at(arena.len())),
                    }
                }
                None => Item::Frame,
            },
            Content::Ptp(Ptp::V1(_)) => Item::V1,
            Content::Malformed(m) => Item::Malformed {
                field: m.error.field,
                offset: m.error.offset,
                message: m.error.to_string(),
                mismatch: mismatch(
                    m.error.kind,
                    link.map_or(&[][..], |l| l.payload),
                    frame.data.len() >= frame.orig_len as usize,
                ),
            },
            Content::LinkMalformed(e) => Item::Malformed {
                field: e.field,
                offset: e.offset,
                message: e.to_string(),
                mismatch: None,
            },
        };
        // Pushed here rather than returned: one copy of the frame's 200-odd
        // octets fewer (83 instructions a frame fewer, callgrind).
        out.push(Decoded {
            point: timed.point,
            frame: frame.number,
            time_ns: timed.time_ns,
            resolution_ns: timed.resolution_ns,
            item,
        });
    });
    if out.len() == known {
        out.push(Decoded {
            point: t.point,
            frame: frame.number,
            time_ns: t.time_ns,
            resolution_ns: t.resolution_ns,
            item: Item::Frame,
        });
    }
}

/// Feeds one decoded frame to the analyzer's trackers; says whether it
/// completed a measurement, left in [`Analyzer::completed`] for the
/// estimator. `link` is the caller's,
/// bare ([`PtpFrame::bare`]) but for the addresses and transport written
/// here, each frame over the last's: building a whole frame record for
/// each message cost the analysis thread 24 instructions a message more
/// (callgrind, steady bench capture).
pub(crate) fn apply(
    a: &mut Analyzer,
    d: &Decoded,
    arena: &[u8],
    link: &mut PtpFrame<'static>,
) -> bool {
    a.frame(d.point, d.time_ns);
    match &d.item {
        Item::Frame => false,
        Item::V2 {
            src_mac,
            src_ip,
            dst_mac,
            dst_ip,
            transport,
            message,
            content,
            suffix,
        } => {
            let Some(t) = d.time_ns else {
                return false;
            };
            link.src_mac = *src_mac;
            link.src_ip = *src_ip;
            link.dst_mac = *dst_mac;
            link.dst_ip = *dst_ip;
            link.transport = *transport;
            let observe = |a: &mut Analyzer, message: &Message<'_>| {
                a.observe_in_place(&Observation {
                    point: d.point,
                    frame: d.frame,
                    time_ns: t,
                    resolution_ns: d.resolution_ns,
                    link,
                    message,
                    content: *content,
                })
            };
            if suffix.0 == suffix.1 {
                observe(a, message)
            } else {
                let with_tlvs = Message {
                    suffix: arena
                        .get(suffix.0 as usize..suffix.1 as usize)
                        .unwrap_or_default(),
                    ..*message
                };
                observe(a, &with_tlvs)
            }
        }
        Item::V1 => {
            a.observe_v1(d.point);
            false
        }
        Item::Malformed {
            field,
            offset,
            message,
            mismatch,
        } => {
            a.malformed(MalformedRecord {
                point_id: d.point,
                frame: d.frame,
                field,
                offset: *offset,
                message: message.clone(),
                time_ns: d.time_ns,
                mismatch: *mismatch,
            });
            false
        }
    }
}
