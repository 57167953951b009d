//! Sync and Follow_Up (IEEE 1588-2019 §13.6, §13.7): a one-step Sync is
//! a measurement on its own; a two-step Sync (twoStepFlag set) waits for
//! the Follow_Up with its sourcePortIdentity and sequenceId, which carries
//! the preciseOriginTimestamp (§11.3). Either may come first.

use super::{Exchanges, Key, MasterKey, Measurement, Outcome, SyncExchange, file};
use crate::analysis::Observation;
use crate::wire::message::{FollowUp, Sync};
use crate::wire::{Correction, Flags, Timestamp};

/// A two-step Sync, waiting for its Follow_Up.
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingSync {
    pub capture_ns: i64,
    pub resolution_ns: u32,
    pub frame: u64,
    pub correction_field: Correction,
}

/// A Follow_Up that came before its Sync.
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingFollowUp {
    pub capture_ns: i64,
    pub precise_origin_timestamp: Timestamp,
    pub correction_field: Correction,
}

/// Where a Sync exchange's t1 comes from.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// A one-step Sync's originTimestamp.
    OneStep(Timestamp),
    /// The Follow_Up of a two-step Sync.
    TwoStep(PendingFollowUp),
}

impl Exchanges {
    pub(super) fn sync(&mut self, o: &Observation<'_, '_>, s: &Sync, full: bool) -> Outcome {
        let h = &o.message.header;
        let k = Key::new(o, h.source_port_identity);
        let sync = PendingSync {
            capture_ns: o.time_ns,
            resolution_ns: o.resolution_ns,
            frame: o.frame,
            correction_field: h.correction_field,
        };
        let mut out = Outcome::default();
        // A two-step Sync's originTimestamp is only approximate (§11.3.2):
        // t1 is its Follow_Up's.
        if !h.flags.contains(Flags::TWO_STEP) {
            self.sync_follow_up.one_step += 1;
            out.measurement = Some(self.sync_done(k, sync, Origin::OneStep(s.origin_timestamp)));
        } else if let Some(fu) = self.early_follow_ups.remove(&k) {
            self.sync_follow_up.matched += 1;
            out.measurement = Some(self.sync_done(k, sync, Origin::TwoStep(fu)));
        } else {
            let c = &mut self.sync_follow_up.duplicates;
            file(&mut self.syncs, k, sync, full, c, &mut self.dropped);
        }
        out
    }

    pub(super) fn follow_up(
        &mut self,
        o: &Observation<'_, '_>,
        f: &FollowUp,
        full: bool,
    ) -> Outcome {
        let h = &o.message.header;
        let t = o.time_ns;
        let k = Key::new(o, h.source_port_identity);
        let follow_up = PendingFollowUp {
            capture_ns: t,
            precise_origin_timestamp: f.precise_origin_timestamp,
            correction_field: h.correction_field,
        };
        let mut out = Outcome::default();
        if let Some(s) = self.syncs.remove(&k) {
            self.sync_follow_up.matched += 1;
            self.sync_follow_up.response.add(t - s.capture_ns);
            out.response_ns = Some(t - s.capture_ns);
            out.measurement = Some(self.sync_done(k, s, Origin::TwoStep(follow_up)));
        } else if let Some(at) = self.evicted_syncs.take(&k) {
            self.sync_follow_up.late += 1;
            self.sync_follow_up.problems_at.saw(t);
            self.sync_follow_up.late_wait.add(t - at);
        } else if !full {
            self.early_follow_ups.insert(k, follow_up);
        } else {
            self.sync_follow_up.orphans += 1;
            self.sync_follow_up.problems_at.saw(t);
        }
        out
    }

    /// The completed Sync exchange, kept as its master's latest.
    fn sync_done(&mut self, k: Key, sync: PendingSync, origin: Origin) -> Measurement {
        let (one_step, t1, follow_up_correction) = match origin {
            Origin::OneStep(t) => (true, t, Correction(0)),
            Origin::TwoStep(f) => (false, f.precise_origin_timestamp, f.correction_field),
        };
        let s = SyncExchange {
            point: k.point,
            major_sdo_id: k.major_sdo_id,
            domain: k.domain_number,
            master: k.port_identity,
            sequence_id: k.sequence_id,
            one_step,
            t1,
            t2_capture_ns: sync.capture_ns,
            t2_resolution_ns: sync.resolution_ns,
            sync_correction: sync.correction_field,
            follow_up_correction,
            sync_frame: sync.frame,
        };
        let mk = MasterKey {
            point: k.point,
            major_sdo_id: k.major_sdo_id,
            domain_number: k.domain_number,
            master: k.port_identity,
        };
        if let Some(last) = self
            .last_sync
            .capped_entry(mk, self.config.max_streams, || s)
        {
            *last = s;
        }
        Measurement::Sync(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::Analyzer;
    use super::super::super::testing::*;
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn two_step_sync_matches_its_follow_up_in_either_order() {
        let f = frame();
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        let sync = with_correction(message(0x0, gm, 7, Flags::TWO_STEP, -3, &ts(0, 0)), 65536);
        let fu = with_correction(message(0x8, gm, 7, 0, -3, &ts(100, 5)), 2 * 65536);
        assert_eq!(see(&mut a, &sync, &f, 1000 * MS), None);
        let Some(Measurement::Sync(s)) = see(&mut a, &fu, &f, 1001 * MS) else {
            panic!("no sync measurement");
        };
        assert_eq!(
            s.t1,
            Timestamp {
                seconds: 100,
                nanoseconds: 5
            }
        );
        assert_eq!(s.t2_capture_ns, 1000 * MS);
        assert_eq!(
            (s.sync_correction.0, s.follow_up_correction.0),
            (65536, 131072)
        );
        assert!(!s.one_step);
        // Follow_Up first (its timestamp 100 ms on, as the capture's).
        let sync = message(0x0, gm, 8, Flags::TWO_STEP, -3, &ts(0, 0));
        let fu = message(0x8, gm, 8, 0, -3, &ts(100, 100_000_005));
        assert_eq!(see(&mut a, &fu, &f, 1100 * MS), None);
        assert!(matches!(
            see(&mut a, &sync, &f, 1101 * MS),
            Some(Measurement::Sync(_))
        ));
        assert_eq!(a.exchanges.sync_follow_up.matched, 2);
        assert_eq!(a.exchanges.sync_follow_up.response.count(), 1);
        assert_eq!(a.exchanges.pending(), 0);
    }

    #[test]
    fn one_step_sync_is_a_measurement_at_once() {
        let f = frame();
        let mut a = Analyzer::default();
        let sync = message(0x0, port(1, 1), 1, 0, 0, &ts(5, 6));
        let Some(Measurement::Sync(s)) = see(&mut a, &sync, &f, MS) else {
            panic!()
        };
        assert!(s.one_step);
        assert_eq!(
            s.t1,
            Timestamp {
                seconds: 5,
                nanoseconds: 6
            }
        );
        assert_eq!(a.exchanges.sync_follow_up.one_step, 1);
    }
}
