//! Delay_Req and Delay_Resp (IEEE 1588-2019 §13.6, §13.8), the delay
//! request-response mechanism (§11.3): a Delay_Resp answers the Delay_Req
//! whose sourcePortIdentity is its requestingPortIdentity and whose
//! sequenceId it repeats. The exchange, with its master's latest Sync
//! exchange, is an E2E measurement.

use super::{DelayExchange, Exchanges, Key, MasterKey, Measurement, Outcome, file};
use crate::analysis::Observation;
use crate::analysis::stats::Stats;
use crate::wire::message::{DelayReq, DelayResp};
use crate::wire::{Correction, Duration, Timestamp};

/// Points whose Delay_Resp minus Delay_Req correction is kept.
const MAX_CORRECTION_POINTS: usize = 64;

/// A Delay_Req, waiting for its Delay_Resp.
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingDelayReq {
    pub capture_ns: i64,
    pub resolution_ns: u32,
    pub origin_timestamp: Timestamp,
    pub correction_field: Correction,
}

impl Exchanges {
    pub(super) fn delay_req(&mut self, o: &Observation<'_, '_>, d: &DelayReq, full: bool) {
        let h = &o.message.header;
        let pending = PendingDelayReq {
            capture_ns: o.time_ns,
            resolution_ns: o.resolution_ns,
            origin_timestamp: d.origin_timestamp,
            correction_field: h.correction_field,
        };
        let k = Key::new(o, h.source_port_identity);
        let c = &mut self.delay_req_resp.duplicates;
        file(&mut self.delay_reqs, k, pending, full, c, &mut self.dropped);
    }

    pub(super) fn delay_resp(&mut self, o: &Observation<'_, '_>, r: &DelayResp) -> Outcome {
        let h = &o.message.header;
        let t = o.time_ns;
        let k = Key::new(o, r.requesting_port_identity);
        let mut out = Outcome::default();
        let Some(d) = self.delay_reqs.remove(&k) else {
            self.delay_req_resp
                .unanswered(&mut self.evicted_delay_reqs, &k, t);
            return out;
        };
        self.delay_req_resp.matched += 1;
        self.delay_req_resp.response.add(t - d.capture_ns);
        out.response_ns = Some(t - d.capture_ns);
        let diff =
            (Duration::from(h.correction_field) - Duration::from(d.correction_field)).floor_ns();
        if let Some(s) = self.delay_resp_minus_req_correction.capped_entry(
            0,
            &o.point,
            MAX_CORRECTION_POINTS,
            Stats::default,
        ) {
            s.add(diff as i64);
        }
        let delay = DelayExchange {
            point: o.point,
            major_sdo_id: h.major_sdo_id,
            domain: h.domain_number,
            slave: r.requesting_port_identity,
            master: h.source_port_identity,
            sequence_id: h.sequence_id,
            t3_origin: d.origin_timestamp,
            t3_capture_ns: d.capture_ns,
            t3_resolution_ns: d.resolution_ns,
            t4: r.receive_timestamp,
            req_correction: d.correction_field,
            resp_correction: h.correction_field,
            resp_capture_ns: t,
        };
        let mk = MasterKey {
            point: o.point,
            major_sdo_id: h.major_sdo_id,
            domain_number: h.domain_number,
            master: h.source_port_identity,
        };
        if let Some(&sync) = self.last_sync.get(&mk) {
            self.e2e_measurements += 1;
            out.measurement = Some(Measurement::E2e { sync, delay });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::Analyzer;
    use super::super::super::testing::*;
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn delay_exchange_pairs_with_the_latest_sync_into_e2e() {
        let f = frame();
        let (gm, sl) = (port(1, 1), port(2, 1));
        let mut a = Analyzer::default();
        see(&mut a, &message(0x0, gm, 1, 0, 0, &ts(10, 0)), &f, 10 * MS);
        let req = message(0x1, sl, 4, 0, 0x7f, &ts(0, 0));
        let mut resp_body = ts(10, 500);
        sl.emit(&mut resp_body);
        let resp = message(0x9, gm, 4, 0, 0, &resp_body);
        assert_eq!(see(&mut a, &req, &f, 20 * MS), None);
        let Some(Measurement::E2e { sync, delay }) = see(&mut a, &resp, &f, 21 * MS) else {
            panic!("no e2e")
        };
        assert_eq!(sync.sequence_id, 1);
        assert_eq!((delay.slave, delay.master), (sl, gm));
        assert_eq!(delay.t3_capture_ns, 20 * MS);
        assert_eq!(
            delay.t4,
            Timestamp {
                seconds: 10,
                nanoseconds: 500
            }
        );
        assert_eq!(a.exchanges.delay_req_resp.response.mean(), Some(MS as f64));
        // A response with another requesting port is an orphan.
        let mut other = ts(10, 0);
        port(3, 1).emit(&mut other);
        see(&mut a, &message(0x9, gm, 4, 0, 0, &other), &f, 22 * MS);
        assert_eq!(a.exchanges.delay_req_resp.orphans, 1);
    }
}
