//! Unicast negotiation (IEEE 1588-2019 §16.1) in Signaling messages
//! (§13.12): a REQUEST_UNICAST_TRANSMISSION TLV (§16.1.4.1) is answered by
//! a GRANT_UNICAST_TRANSMISSION TLV (§16.1.4.2) for the same messageType,
//! sent to the requester as the Signaling's targetPortIdentity. A grant of
//! durationField 0 is a denial. A CANCEL_UNICAST_TRANSMISSION TLV
//! (§16.1.4.3) is answered the same way by an
//! ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION TLV (§16.1.4.4).
//!
//! Every TLV is a request or an answer of its own (one Signaling may carry
//! several, for several message types), matched per requester and
//! messageType. A GRANT carries no sequenceId of the request it answers
//! (the Signaling's is the grantor's own), so it answers the latest request
//! for its messageType:
//! - a request re-sent with a new sequenceId while the previous one waits
//!   (a requester that heard nothing asks again) is a *retry*:
//!   the previous request went unanswered, and the response time counts
//!   from the latest;
//! - a request seen again with the same sequenceId is a duplicate;
//! - a request still waiting at the match timeout or at the end of the
//!   input is unanswered.

use super::{Counts, Evicted, Exchanges, SmallMap};
use crate::analysis::{Observation, PointId};
use crate::wire::PortIdentity;
use crate::wire::message::Signaling;
use crate::wire::tlv::TlvBody;

/// A unicast request: who asked, for which messageType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct UnicastKey {
    point: PointId,
    major_sdo_id: u8,
    domain_number: u8,
    requester: PortIdentity,
    /// The TLV's messageType nibble.
    message_type: u8,
}

/// The latest request (or cancel) of a [`UnicastKey`], waiting for its
/// answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingRequest {
    pub capture_ns: i64,
    /// The Signaling's sequenceId: the same again is a duplicate, another
    /// a retry.
    pub sequence_id: u16,
}

/// Every PortIdentity bit set: "all ports" in a targetPortIdentity.
fn is_wildcard(p: &PortIdentity) -> bool {
    p.clock_identity.0 == [0xff; 8]
}

/// Files a request under `k`: a duplicate when the pending one has its
/// sequenceId, a retry when it has another (the pending one is then
/// unanswered and the new one waits in its place), dropped when the tables
/// are full.
fn file_request(
    map: &mut SmallMap<UnicastKey, PendingRequest>,
    k: UnicastKey,
    request: PendingRequest,
    full: bool,
    counts: &mut Counts,
    dropped: &mut u64,
) {
    match map.entry(k) {
        Ok(p) if p.sequence_id == request.sequence_id => counts.duplicates += 1,
        Ok(p) => {
            counts.unmatched += 1;
            counts.problems_at.saw(p.capture_ns);
            counts.retries += 1;
            *p = request;
        }
        Err(_) if full => *dropped += 1,
        Err(e) => {
            e.insert(request);
        }
    }
}

/// An answer (GRANT or ACKNOWLEDGE_CANCEL) to `k`'s latest request, or late,
/// or to nothing seen.
fn answer(
    map: &mut SmallMap<UnicastKey, PendingRequest>,
    evicted: &mut Evicted<UnicastKey>,
    k: &UnicastKey,
    t: i64,
    counts: &mut Counts,
) {
    match map.remove(k) {
        Some(r) => {
            counts.matched += 1;
            counts.response.add(t - r.capture_ns);
        }
        None => counts.unanswered(evicted, k, t),
    }
}

impl Exchanges {
    pub(super) fn signaling(&mut self, o: &Observation<'_, '_>, sig: &Signaling) {
        let h = &o.message.header;
        let t = o.time_ns;
        let key = |requester, message_type: u8| UnicastKey {
            point: o.point,
            major_sdo_id: h.major_sdo_id,
            domain_number: h.domain_number,
            requester,
            message_type: message_type >> 4,
        };
        let request = PendingRequest {
            capture_ns: t,
            sequence_id: h.sequence_id,
        };
        // An answer goes to one port: the targetPortIdentity.
        let target = (!is_wildcard(&sig.target_port_identity)).then_some(sig.target_port_identity);
        for tlv in o.message.tlvs().flatten() {
            match tlv.body {
                TlvBody::RequestUnicastTransmission { message_type, .. } => {
                    let k = key(h.source_port_identity, message_type);
                    let full = self.full();
                    let c = &mut self.unicast_negotiation;
                    file_request(
                        &mut self.unicast_requests,
                        k,
                        request,
                        full,
                        c,
                        &mut self.dropped,
                    );
                }
                TlvBody::CancelUnicastTransmission { message_type, .. } => {
                    let k = key(h.source_port_identity, message_type);
                    let full = self.full();
                    let c = &mut self.unicast_cancel;
                    file_request(
                        &mut self.unicast_cancels,
                        k,
                        request,
                        full,
                        c,
                        &mut self.dropped,
                    );
                }
                TlvBody::GrantUnicastTransmission {
                    message_type,
                    duration_field,
                    ..
                } => {
                    if duration_field == 0 {
                        self.unicast_negotiation.one_step += 1;
                    }
                    let c = &mut self.unicast_negotiation;
                    match target {
                        Some(p) => answer(
                            &mut self.unicast_requests,
                            &mut self.evicted_unicast_requests,
                            &key(p, message_type),
                            t,
                            c,
                        ),
                        None => {
                            c.orphans += 1;
                            c.problems_at.saw(t);
                        }
                    }
                }
                TlvBody::AcknowledgeCancelUnicastTransmission { message_type, .. } => {
                    let c = &mut self.unicast_cancel;
                    match target {
                        Some(p) => answer(
                            &mut self.unicast_cancels,
                            &mut self.evicted_unicast_cancels,
                            &key(p, message_type),
                            t,
                            c,
                        ),
                        None => {
                            c.orphans += 1;
                            c.problems_at.saw(t);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::*;
    use super::super::super::{Analyzer, Config};
    use crate::wire::{MessageType, PortIdentity};

    const MS: i64 = 1_000_000;

    /// A REQUEST_UNICAST_TRANSMISSION TLV (§16.1.4.1): logInterMessagePeriod
    /// -4, durationField 300 s.
    fn request(t: MessageType) -> Vec<u8> {
        vec![0x00, 0x04, 0x00, 0x06, t.0 << 4, 0xfc, 0, 0, 0x01, 0x2c]
    }

    /// A GRANT_UNICAST_TRANSMISSION TLV (§16.1.4.2) of `duration` s.
    fn grant(t: MessageType, duration: u32) -> Vec<u8> {
        let mut v = vec![0x00, 0x05, 0x00, 0x08, t.0 << 4, 0xfc];
        v.extend_from_slice(&duration.to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v
    }

    /// CANCEL (0x0006) or ACKNOWLEDGE_CANCEL (0x0007) (§16.1.4.3–4).
    fn cancel(tlv_type: u8, t: MessageType) -> Vec<u8> {
        vec![0x00, tlv_type, 0x00, 0x02, t.0 << 4, 0]
    }

    /// A Signaling message from `src` to `target` carrying `tlvs`.
    fn signaling(
        src: PortIdentity,
        seq: u16,
        target: PortIdentity,
        tlvs: &[Vec<u8>],
    ) -> crate::wire::Message<'static> {
        let mut body = Vec::new();
        target.emit(&mut body);
        for t in tlvs {
            body.extend_from_slice(t);
        }
        message(0xc, src, seq, 0x0400, 0x7f, &body)
    }

    fn all_ports() -> PortIdentity {
        PortIdentity {
            clock_identity: crate::wire::ClockIdentity([0xff; 8]),
            port_number: 0xffff,
        }
    }

    /// The grantor and a requester.
    fn gm_sl() -> (PortIdentity, PortIdentity) {
        (port(1, 1), port(0x30, 1))
    }

    #[test]
    fn a_request_resent_with_a_new_sequence_id_is_a_retry() {
        // field/unicast-request-retry-1s.pcap: requests at 0, 1 and 2 s,
        // the GRANT 1 ms after the third.
        let (f, (gm, sl)) = (frame(), gm_sl());
        let mut a = Analyzer::default();
        for seq in 0..3u16 {
            let r = signaling(sl, seq, all_ports(), &[request(MessageType::SYNC)]);
            see(&mut a, &r, &f, i64::from(seq) * 1000 * MS);
        }
        let g = signaling(gm, 0, sl, &[grant(MessageType::SYNC, 300)]);
        see(&mut a, &g, &f, 2001 * MS);
        a.finish();
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.unmatched, u.retries), (1, 2, 2));
        assert_eq!((u.duplicates, u.orphans, u.late), (0, 0, 0));
        // The GRANT answers the latest request.
        assert_eq!(u.response.max(), Some(MS));
        assert_eq!(u.response.min(), Some(MS));
    }

    #[test]
    fn the_same_sequence_id_again_is_a_duplicate() {
        let (f, (gm, sl)) = (frame(), gm_sl());
        let mut a = Analyzer::default();
        let r = signaling(sl, 7, all_ports(), &[request(MessageType::SYNC)]);
        see(&mut a, &r, &f, 0);
        see(&mut a, &r, &f, 10 * MS);
        let g = signaling(gm, 0, sl, &[grant(MessageType::SYNC, 300)]);
        see(&mut a, &g, &f, 15 * MS);
        a.finish();
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.duplicates), (1, 1));
        assert_eq!((u.unmatched, u.retries), (0, 0));
        // The duplicate does not move the request's time.
        assert_eq!(u.response.max(), Some(15 * MS));
    }

    #[test]
    fn each_tlv_of_one_signaling_is_its_own_request() {
        // One Signaling asks for Announce, Sync and Delay_Resp; one GRANT
        // message answers Announce and Sync, and Delay_Resp is never granted.
        let (f, (gm, sl)) = (frame(), gm_sl());
        let mut a = Analyzer::default();
        let r = signaling(
            sl,
            1,
            all_ports(),
            &[
                request(MessageType::ANNOUNCE),
                request(MessageType::SYNC),
                request(MessageType::DELAY_RESP),
            ],
        );
        see(&mut a, &r, &f, 0);
        let g = signaling(
            gm,
            0,
            sl,
            &[
                grant(MessageType::SYNC, 300),
                grant(MessageType::ANNOUNCE, 300),
            ],
        );
        see(&mut a, &g, &f, 2 * MS);
        a.finish();
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.unmatched), (2, 1));
        assert_eq!((u.duplicates, u.retries, u.orphans), (0, 0, 0));
        assert_eq!(u.response.count(), 2);
    }

    #[test]
    fn requests_are_matched_per_requester() {
        // Two slaves ask for Sync with the same sequenceId; the grants go to
        // each by targetPortIdentity, the second one's first.
        let (f, (gm, sl)) = (frame(), gm_sl());
        let other = port(0x31, 1);
        let mut a = Analyzer::default();
        see(
            &mut a,
            &signaling(sl, 5, all_ports(), &[request(MessageType::SYNC)]),
            &f,
            0,
        );
        see(
            &mut a,
            &signaling(other, 5, all_ports(), &[request(MessageType::SYNC)]),
            &f,
            10 * MS,
        );
        let to = |p| signaling(gm, 0, p, &[grant(MessageType::SYNC, 300)]);
        see(&mut a, &to(other), &f, 12 * MS);
        see(&mut a, &to(sl), &f, 30 * MS);
        // A grant to a third port answers nothing seen.
        see(&mut a, &to(port(0x32, 1)), &f, 31 * MS);
        a.finish();
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.unmatched, u.orphans), (2, 0, 1));
        assert_eq!((u.duplicates, u.retries), (0, 0));
        assert_eq!(
            (u.response.min(), u.response.max()),
            (Some(2 * MS), Some(30 * MS))
        );
    }

    #[test]
    fn a_denial_answers_its_request() {
        // durationField 0: the request is denied, and answered all the same.
        let (f, (gm, sl)) = (frame(), gm_sl());
        let mut a = Analyzer::default();
        see(
            &mut a,
            &signaling(sl, 1, all_ports(), &[request(MessageType::ANNOUNCE)]),
            &f,
            0,
        );
        let g = signaling(gm, 0, sl, &[grant(MessageType::ANNOUNCE, 0)]);
        see(&mut a, &g, &f, 3 * MS);
        a.finish();
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.one_step, u.unmatched), (1, 1, 0));
        assert_eq!(u.response.max(), Some(3 * MS));
    }

    #[test]
    fn unanswered_at_the_end_and_late_after_the_timeout() {
        let (f, (gm, sl)) = (frame(), gm_sl());
        let mut a = Analyzer::new(Config::default());
        // Delay_Resp asked for and never granted; Sync granted after 3 s.
        see(
            &mut a,
            &signaling(sl, 1, all_ports(), &[request(MessageType::DELAY_RESP)]),
            &f,
            0,
        );
        see(
            &mut a,
            &signaling(sl, 2, all_ports(), &[request(MessageType::SYNC)]),
            &f,
            MS,
        );
        // Unrelated traffic moves time past the timeout.
        for i in 1..30 {
            let s = message(0x0, gm, i, 0, 0, &ts(0, 0));
            see(&mut a, &s, &f, i64::from(i) * 100 * MS);
        }
        see(
            &mut a,
            &signaling(gm, 0, sl, &[grant(MessageType::SYNC, 300)]),
            &f,
            3001 * MS,
        );
        a.finish();
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.unmatched, u.late, u.orphans), (0, 2, 1, 0));
        assert_eq!(u.late_wait.max(), Some(3000 * MS));
        assert_eq!(a.exchanges.pending(), 0);
    }

    #[test]
    fn a_cancel_is_answered_by_its_acknowledgement() {
        // The grantor cancels Sync and Announce to the slave; the slave
        // acknowledges Sync only, after a retried cancel of it.
        let (f, (gm, sl)) = (frame(), gm_sl());
        let mut a = Analyzer::default();
        let c = signaling(
            gm,
            1,
            sl,
            &[
                cancel(0x06, MessageType::SYNC),
                cancel(0x06, MessageType::ANNOUNCE),
            ],
        );
        see(&mut a, &c, &f, 0);
        let again = signaling(gm, 2, sl, &[cancel(0x06, MessageType::SYNC)]);
        see(&mut a, &again, &f, 500 * MS);
        let ack = signaling(sl, 9, gm, &[cancel(0x07, MessageType::SYNC)]);
        see(&mut a, &ack, &f, 501 * MS);
        a.finish();
        let c = &a.exchanges.unicast_cancel;
        assert_eq!((c.matched, c.unmatched, c.retries), (1, 2, 1));
        assert_eq!(c.response.max(), Some(MS));
        // Not mixed with the requests and grants.
        let u = &a.exchanges.unicast_negotiation;
        assert_eq!((u.matched, u.unmatched, u.orphans), (0, 0, 0));
    }
}
