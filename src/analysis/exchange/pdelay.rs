//! Pdelay_Req, Pdelay_Resp and Pdelay_Resp_Follow_Up (IEEE 1588-2019
//! §13.9–§13.11), the peer delay mechanism (§11.4): the answers carry the
//! requester's sourcePortIdentity as their requestingPortIdentity and its
//! sequenceId. A one-step responder's Pdelay_Resp completes the exchange; a
//! two-step one's (twoStepFlag set) waits for its follow-up, which carries
//! the responseOriginTimestamp.

use super::{Exchanges, Key, Measurement, Outcome, PdelayExchange, file};
use crate::analysis::Observation;
use crate::wire::message::{PdelayReq, PdelayResp, PdelayRespFollowUp};
use crate::wire::{Correction, Flags, PortIdentity, Timestamp};

/// A Pdelay_Req, waiting for its answers.
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingPdelayReq {
    pub capture_ns: i64,
    pub origin_timestamp: Timestamp,
    pub correction_field: Correction,
    /// The Pdelay_Resp, waiting for its follow-up.
    pub response: Option<PdelayResponse>,
}

/// What a Pdelay_Resp brought.
#[derive(Debug, Clone, Copy)]
pub(super) struct PdelayResponse {
    pub capture_ns: i64,
    /// Its sourcePortIdentity.
    pub responder: PortIdentity,
    pub request_receipt_timestamp: Timestamp,
    pub correction_field: Correction,
}

impl Exchanges {
    pub(super) fn pdelay_req(&mut self, o: &Observation<'_, '_>, p: &PdelayReq, full: bool) {
        let h = &o.message.header;
        let pending = PendingPdelayReq {
            capture_ns: o.time_ns,
            origin_timestamp: p.origin_timestamp,
            correction_field: h.correction_field,
            response: None,
        };
        let k = Key::new(o, h.source_port_identity);
        let c = &mut self.pdelay.duplicates;
        file(
            &mut self.pdelay_reqs,
            k,
            pending,
            full,
            c,
            &mut self.dropped,
        );
    }

    pub(super) fn pdelay_resp(&mut self, o: &Observation<'_, '_>, r: &PdelayResp) -> Outcome {
        let h = &o.message.header;
        let t = o.time_ns;
        let k = Key::new(o, r.requesting_port_identity);
        let mut out = Outcome::default();
        match self.pdelay_reqs.get_mut(&k) {
            Some(p) if p.response.is_none() => {
                out.response_ns = Some(t - p.capture_ns);
                p.response = Some(PdelayResponse {
                    capture_ns: t,
                    responder: h.source_port_identity,
                    request_receipt_timestamp: r.request_receipt_timestamp,
                    correction_field: h.correction_field,
                });
                if !h.flags.contains(Flags::TWO_STEP) {
                    self.pdelay.one_step += 1;
                    out.measurement = self.pdelay_done(k, None);
                }
            }
            Some(_) => self.pdelay.duplicates += 1,
            None => self.pdelay.unanswered(&mut self.evicted_pdelay_reqs, &k, t),
        }
        out
    }

    pub(super) fn pdelay_resp_follow_up(
        &mut self,
        o: &Observation<'_, '_>,
        f: &PdelayRespFollowUp,
    ) -> Outcome {
        let t = o.time_ns;
        let k = Key::new(o, f.requesting_port_identity);
        let mut out = Outcome::default();
        let response = self.pdelay_reqs.get(&k).and_then(|p| p.response);
        match response {
            Some(r) => {
                out.response_ns = Some(t - r.capture_ns);
                let follow_up = FollowUp {
                    response_origin_timestamp: f.response_origin_timestamp,
                    correction_field: o.message.header.correction_field,
                };
                out.measurement = self.pdelay_done(k, Some(follow_up));
            }
            None => self.pdelay.unanswered(&mut self.evicted_pdelay_reqs, &k, t),
        }
        out
    }

    /// The completed exchange, if its Pdelay_Resp came.
    fn pdelay_done(&mut self, k: Key, follow_up: Option<FollowUp>) -> Option<Measurement> {
        let p = self.pdelay_reqs.remove(&k)?;
        let r = p.response?;
        self.pdelay.matched += 1;
        self.pdelay.response.add(r.capture_ns - p.capture_ns);
        Some(Measurement::Pdelay(PdelayExchange {
            point: k.point,
            major_sdo_id: k.major_sdo_id,
            domain: k.domain_number,
            requester: k.port_identity,
            responder: r.responder,
            sequence_id: k.sequence_id,
            t1_origin: p.origin_timestamp,
            t1_capture_ns: p.capture_ns,
            t2: r.request_receipt_timestamp,
            t3: follow_up.map(|f| f.response_origin_timestamp),
            t4_capture_ns: r.capture_ns,
            req_correction: p.correction_field,
            resp_correction: r.correction_field,
            follow_up_correction: follow_up.map(|f| f.correction_field),
        }))
    }
}

/// What a Pdelay_Resp_Follow_Up brings.
#[derive(Debug, Clone, Copy)]
struct FollowUp {
    response_origin_timestamp: Timestamp,
    correction_field: Correction,
}

#[cfg(test)]
mod tests {
    use super::super::super::Analyzer;
    use super::super::super::testing::*;
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn pdelay_triplet_two_step() {
        let f = frame();
        let (req_p, resp_p) = (port(1, 1), port(2, 1));
        let mut a = Analyzer::default();
        let req = message(0x2, req_p, 9, 0, 0, &[ts(0, 0), vec![0; 10]].concat());
        let mut rb = ts(50, 10);
        req_p.emit(&mut rb);
        let resp = message(0x3, resp_p, 9, Flags::TWO_STEP, 0x7f, &rb);
        let mut fb = ts(50, 90);
        req_p.emit(&mut fb);
        let fu = message(0xA, resp_p, 9, 0, 0x7f, &fb);
        assert_eq!(see(&mut a, &req, &f, MS), None);
        assert_eq!(see(&mut a, &resp, &f, 2 * MS), None);
        let Some(Measurement::Pdelay(p)) = see(&mut a, &fu, &f, 3 * MS) else {
            panic!()
        };
        assert_eq!((p.t1_capture_ns, p.t4_capture_ns), (MS, 2 * MS));
        assert_eq!(
            p.t2,
            Timestamp {
                seconds: 50,
                nanoseconds: 10
            }
        );
        assert_eq!(
            p.t3,
            Some(Timestamp {
                seconds: 50,
                nanoseconds: 90
            })
        );
        assert_eq!(p.responder, resp_p);
        assert_eq!(a.exchanges.pdelay.matched, 1);
    }
}
