//! Matching the messages of one exchange into a [`Measurement`].
//!
//! | exchange | matched by (at one capture point, per majorSdoId and domain) |
//! |---|---|
//! | Sync → Follow_Up (two-step, §11.3) | sourcePortIdentity, sequenceId |
//! | Delay_Req → Delay_Resp (§11.3) | Delay_Resp.requestingPortIdentity = Delay_Req.sourcePortIdentity, sequenceId |
//! | Pdelay_Req → Pdelay_Resp → Pdelay_Resp_Follow_Up (§11.4) | requestingPortIdentity = requester, sequenceId |
//! | Signaling REQUEST → GRANT_UNICAST_TRANSMISSION (§16.1) | GRANT's targetPortIdentity = requester, messageType in the TLV |
//!
//! The timestamps the standard keeps off the wire — t2 of a Sync, t3 of a
//! Delay_Req, t1 and t4 of a Pdelay_Req — are the capture times at the
//! point, which stands in for the receiving or sending port. A Follow_Up
//! that arrives before its Sync (reordering) waits for it as well.
//!
//! A completed Delay_Req/Delay_Resp exchange is paired with the latest Sync
//! exchange from the same master at the same point into an E2E measurement
//! (as ptp4l pairs them).

use super::HashMap;
use super::stats::Stats;
use super::{Config, Observation, PointId, capped_entry};
use crate::wire::tlv::TlvBody;
use crate::wire::{Body, Correction, Flags, PortIdentity, Timestamp};

/// A Sync and, for a two-step master, its Follow_Up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncExchange {
    pub point: PointId,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub master: PortIdentity,
    pub sequence_id: u16,
    pub one_step: bool,
    /// originTimestamp (one-step) or the Follow_Up's preciseOriginTimestamp.
    pub t1: Timestamp,
    /// Capture time of the Sync.
    pub t2_capture_ns: i64,
    pub sync_correction: Correction,
    /// Zero for one-step.
    pub follow_up_correction: Correction,
    pub sync_frame: u64,
}

/// A Delay_Req and its Delay_Resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayExchange {
    pub point: PointId,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub slave: PortIdentity,
    pub master: PortIdentity,
    pub sequence_id: u16,
    /// The Delay_Req's originTimestamp (the slave's estimate of t3; may be 0).
    pub t3_origin: Timestamp,
    /// Capture time of the Delay_Req.
    pub t3_capture_ns: i64,
    /// The Delay_Resp's receiveTimestamp.
    pub t4: Timestamp,
    pub req_correction: Correction,
    pub resp_correction: Correction,
    pub resp_capture_ns: i64,
}

/// A Pdelay_Req, its Pdelay_Resp and (two-step) Pdelay_Resp_Follow_Up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdelayExchange {
    pub point: PointId,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub requester: PortIdentity,
    pub responder: PortIdentity,
    pub sequence_id: u16,
    /// The Pdelay_Req's originTimestamp.
    pub t1_origin: Timestamp,
    /// Capture time of the Pdelay_Req.
    pub t1_capture_ns: i64,
    /// requestReceiptTimestamp (zero when a one-step responder puts the
    /// turnaround in the correction instead).
    pub t2: Timestamp,
    /// responseOriginTimestamp of the follow-up (two-step only).
    pub t3: Option<Timestamp>,
    /// Capture time of the Pdelay_Resp.
    pub t4_capture_ns: i64,
    pub req_correction: Correction,
    pub resp_correction: Correction,
    pub follow_up_correction: Option<Correction>,
}

/// A completed exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    Sync(SyncExchange),
    /// t1, t2 from the latest Sync; t3, t4 from the Delay exchange.
    E2e {
        sync: SyncExchange,
        delay: DelayExchange,
    },
    Pdelay(PdelayExchange),
}

/// What one observation did to the exchanges.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// For a Follow_Up, Delay_Resp or Pdelay_Resp(_Follow_Up) that matched:
    /// the time since the message it answers.
    pub response_ns: Option<i64>,
    pub measurement: Option<Measurement>,
}

/// Counts of one kind of exchange.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Completed exchanges.
    pub matched: u64,
    /// Requests (or Syncs) never answered within the timeout.
    pub unmatched: u64,
    /// Answers to nothing seen.
    pub orphans: u64,
    /// Answers that came after their request was evicted.
    pub late: u64,
    /// A request seen twice while pending (same key).
    pub duplicates: u64,
    /// One-step Syncs, one-step Pdelay_Resps, unicast denials.
    pub one_step: u64,
    /// Time from request to answer, for matched exchanges.
    pub response: Stats,
    /// How long late answers came after their request.
    pub late_wait: Stats,
}

impl Counts {
    /// An answer whose request is not pending: late when that request was
    /// evicted lately, else an orphan.
    fn unanswered<K: std::hash::Hash + Eq>(&mut self, evicted: &mut Evicted<K>, k: &K, t: i64) {
        match evicted.take(k) {
            Some(at) => {
                self.late += 1;
                self.late_wait.add(t - at);
            }
            None => self.orphans += 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    point: PointId,
    sdo: u8,
    domain: u8,
    port: PortIdentity,
    seq: u16,
}

#[derive(Debug, Clone, Copy)]
struct PendingSync {
    time_ns: i64,
    frame: u64,
    correction: Correction,
}

#[derive(Debug, Clone, Copy)]
struct PendingFollowUp {
    time_ns: i64,
    precise: Timestamp,
    correction: Correction,
}

#[derive(Debug, Clone, Copy)]
struct PendingDelay {
    time_ns: i64,
    origin: Timestamp,
    correction: Correction,
}

#[derive(Debug, Clone, Copy)]
struct PendingPdelay {
    time_ns: i64,
    origin: Timestamp,
    correction: Correction,
    /// The Pdelay_Resp, waiting for its follow-up.
    resp: Option<(i64, PortIdentity, Timestamp, Correction)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct UnicastKey {
    point: PointId,
    sdo: u8,
    domain: u8,
    requester: PortIdentity,
    message_type: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MasterKey {
    point: PointId,
    sdo: u8,
    domain: u8,
    master: PortIdentity,
}

/// Keys evicted in the last two sweeps, to tell late answers from orphans.
#[derive(Debug)]
struct Evicted<K> {
    current: HashMap<K, i64>,
    previous: HashMap<K, i64>,
}

impl<K> Default for Evicted<K> {
    fn default() -> Self {
        Self {
            current: HashMap::default(),
            previous: HashMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq> Evicted<K> {
    fn rotate(&mut self) {
        self.previous = std::mem::take(&mut self.current);
    }
    fn take(&mut self, k: &K) -> Option<i64> {
        self.current.remove(k).or_else(|| self.previous.remove(k))
    }
}

/// The exchange matcher.
#[derive(Debug)]
pub struct Exchanges {
    config: Config,
    pub sync_follow_up: Counts,
    pub delay_req_resp: Counts,
    pub pdelay: Counts,
    pub unicast: Counts,
    /// E2E measurements (Delay exchanges paired with a Sync).
    pub e2e: u64,
    /// Pending entries dropped because the tables were full.
    pub dropped: u64,
    /// Per point: Delay_Resp correction minus its Delay_Req's, ns. Equal
    /// at the master; downstream of a two-step E2E TC, its residence.
    pub delay_correction_diff: HashMap<PointId, Stats>,
    syncs: HashMap<Key, PendingSync>,
    early_follow_ups: HashMap<Key, PendingFollowUp>,
    delays: HashMap<Key, PendingDelay>,
    pdelays: HashMap<Key, PendingPdelay>,
    unicast_requests: HashMap<UnicastKey, i64>,
    last_sync: HashMap<MasterKey, SyncExchange>,
    evicted_syncs: Evicted<Key>,
    evicted_delays: Evicted<Key>,
    evicted_pdelays: Evicted<Key>,
    last_sweep_ns: Option<i64>,
}

/// Files a request (or a two-step Sync) under `k`: a duplicate when one is
/// pending already, dropped when the tables are full.
fn file<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    k: K,
    v: V,
    full: bool,
    duplicates: &mut u64,
    dropped: &mut u64,
) {
    use std::collections::hash_map::Entry;
    match map.entry(k) {
        Entry::Occupied(_) => *duplicates += 1,
        Entry::Vacant(_) if full => *dropped += 1,
        Entry::Vacant(e) => {
            e.insert(v);
        }
    }
}

/// Removes the entries of `map` whose time (`time`) is `old`, telling
/// `gone` each key and time.
fn evict_old<K: Copy, V>(
    map: &mut HashMap<K, V>,
    time: impl Fn(&V) -> i64,
    old: &impl Fn(i64) -> bool,
    mut gone: impl FnMut(K, i64),
) {
    map.retain(|k, v| {
        let t = time(v);
        if old(t) {
            gone(*k, t);
        }
        !old(t)
    });
}

/// Every PortIdentity bit set: "all ports" in a targetPortIdentity.
fn is_wildcard(p: &PortIdentity) -> bool {
    p.clock_identity.0 == [0xff; 8]
}

impl Exchanges {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            sync_follow_up: Counts::default(),
            delay_req_resp: Counts::default(),
            pdelay: Counts::default(),
            unicast: Counts::default(),
            e2e: 0,
            dropped: 0,
            delay_correction_diff: HashMap::default(),
            syncs: HashMap::default(),
            early_follow_ups: HashMap::default(),
            delays: HashMap::default(),
            pdelays: HashMap::default(),
            unicast_requests: HashMap::default(),
            last_sync: HashMap::default(),
            evicted_syncs: Evicted::default(),
            evicted_delays: Evicted::default(),
            evicted_pdelays: Evicted::default(),
            last_sweep_ns: None,
        }
    }

    /// Pending entries of every kind (for tests of boundedness).
    pub fn pending(&self) -> usize {
        self.syncs.len()
            + self.early_follow_ups.len()
            + self.delays.len()
            + self.pdelays.len()
            + self.unicast_requests.len()
    }

    fn full(&self) -> bool {
        self.pending() >= self.config.max_streams * 16
    }

    pub fn observe(&mut self, o: &Observation<'_, '_>, now_ns: i64) -> Outcome {
        self.sweep(now_ns);
        let m = o.message;
        let h = &m.header;
        let key = |port| Key {
            point: o.point,
            sdo: h.major_sdo_id,
            domain: h.domain_number,
            port,
            seq: h.sequence_id,
        };
        let t = o.time_ns;
        let full = self.full();
        let mut out = Outcome::default();
        match m.body {
            Body::Sync(s) => {
                // A two-step Sync's originTimestamp is only approximate (§11.3.2).
                let k = key(h.source_port_identity);
                if h.flags.contains(Flags::TWO_STEP) {
                    if let Some(fu) = self.early_follow_ups.remove(&k) {
                        self.sync_follow_up.matched += 1;
                        out.measurement = Some(self.sync_done(
                            k,
                            false,
                            fu.precise,
                            t,
                            o.frame,
                            h.correction_field,
                            fu.correction,
                        ));
                    } else {
                        let pending = PendingSync {
                            time_ns: t,
                            frame: o.frame,
                            correction: h.correction_field,
                        };
                        let c = &mut self.sync_follow_up.duplicates;
                        file(&mut self.syncs, k, pending, full, c, &mut self.dropped);
                    }
                } else {
                    self.sync_follow_up.one_step += 1;
                    out.measurement = Some(self.sync_done(
                        k,
                        true,
                        s.origin_timestamp,
                        t,
                        o.frame,
                        h.correction_field,
                        Correction(0),
                    ));
                }
            }
            Body::FollowUp(f) => {
                let k = key(h.source_port_identity);
                if let Some(s) = self.syncs.remove(&k) {
                    self.sync_follow_up.matched += 1;
                    self.sync_follow_up.response.add(t - s.time_ns);
                    out.response_ns = Some(t - s.time_ns);
                    out.measurement = Some(self.sync_done(
                        k,
                        false,
                        f.precise_origin_timestamp,
                        s.time_ns,
                        s.frame,
                        s.correction,
                        h.correction_field,
                    ));
                } else if let Some(at) = self.evicted_syncs.take(&k) {
                    self.sync_follow_up.late += 1;
                    self.sync_follow_up.late_wait.add(t - at);
                } else if !full {
                    self.early_follow_ups.insert(
                        k,
                        PendingFollowUp {
                            time_ns: t,
                            precise: f.precise_origin_timestamp,
                            correction: h.correction_field,
                        },
                    );
                } else {
                    self.sync_follow_up.orphans += 1;
                }
            }
            Body::DelayReq(d) => {
                let pending = PendingDelay {
                    time_ns: t,
                    origin: d.origin_timestamp,
                    correction: h.correction_field,
                };
                let k = key(h.source_port_identity);
                let c = &mut self.delay_req_resp.duplicates;
                file(&mut self.delays, k, pending, full, c, &mut self.dropped);
            }
            Body::DelayResp(r) => {
                let k = key(r.requesting_port_identity);
                if let Some(d) = self.delays.remove(&k) {
                    self.delay_req_resp.matched += 1;
                    self.delay_req_resp.response.add(t - d.time_ns);
                    out.response_ns = Some(t - d.time_ns);
                    let diff = (h.correction_field.0 as i128 - d.correction.0 as i128) >> 16;
                    if let Some(s) =
                        capped_entry(&mut self.delay_correction_diff, o.point, 64, Stats::default)
                    {
                        s.add(diff as i64);
                    }
                    let delay = DelayExchange {
                        point: o.point,
                        major_sdo_id: h.major_sdo_id,
                        domain: h.domain_number,
                        slave: r.requesting_port_identity,
                        master: h.source_port_identity,
                        sequence_id: h.sequence_id,
                        t3_origin: d.origin,
                        t3_capture_ns: d.time_ns,
                        t4: r.receive_timestamp,
                        req_correction: d.correction,
                        resp_correction: h.correction_field,
                        resp_capture_ns: t,
                    };
                    let mk = MasterKey {
                        point: o.point,
                        sdo: h.major_sdo_id,
                        domain: h.domain_number,
                        master: h.source_port_identity,
                    };
                    if let Some(&sync) = self.last_sync.get(&mk) {
                        self.e2e += 1;
                        out.measurement = Some(Measurement::E2e { sync, delay });
                    }
                } else {
                    self.delay_req_resp
                        .unanswered(&mut self.evicted_delays, &k, t);
                }
            }
            Body::PdelayReq(p) => {
                let pending = PendingPdelay {
                    time_ns: t,
                    origin: p.origin_timestamp,
                    correction: h.correction_field,
                    resp: None,
                };
                let k = key(h.source_port_identity);
                let c = &mut self.pdelay.duplicates;
                file(&mut self.pdelays, k, pending, full, c, &mut self.dropped);
            }
            Body::PdelayResp(r) => {
                let k = key(r.requesting_port_identity);
                match self.pdelays.get_mut(&k) {
                    Some(p) if p.resp.is_none() => {
                        out.response_ns = Some(t - p.time_ns);
                        p.resp = Some((
                            t,
                            h.source_port_identity,
                            r.request_receipt_timestamp,
                            h.correction_field,
                        ));
                        if !h.flags.contains(Flags::TWO_STEP) {
                            self.pdelay.one_step += 1;
                            out.measurement = self.pdelay_done(k, h, None);
                        }
                    }
                    Some(_) => self.pdelay.duplicates += 1,
                    None => self.pdelay.unanswered(&mut self.evicted_pdelays, &k, t),
                }
            }
            Body::PdelayRespFollowUp(f) => {
                let k = key(f.requesting_port_identity);
                let ready = self.pdelays.get(&k).and_then(|p| p.resp);
                match ready {
                    Some((resp_t, ..)) => {
                        out.response_ns = Some(t - resp_t);
                        out.measurement = self.pdelay_done(k, h, Some(f.response_origin_timestamp));
                    }
                    None => self.pdelay.unanswered(&mut self.evicted_pdelays, &k, t),
                }
            }
            Body::Signaling(sig) => {
                for tlv in m.tlvs().flatten() {
                    match tlv.body {
                        TlvBody::RequestUnicastTransmission { message_type, .. } => {
                            let k = UnicastKey {
                                point: o.point,
                                sdo: h.major_sdo_id,
                                domain: h.domain_number,
                                requester: h.source_port_identity,
                                message_type: message_type >> 4,
                            };
                            // Several REQUEST TLVs may share a message.
                            let full = self.full();
                            let c = &mut self.unicast.duplicates;
                            file(&mut self.unicast_requests, k, t, full, c, &mut self.dropped);
                        }
                        TlvBody::GrantUnicastTransmission {
                            message_type,
                            duration_field,
                            ..
                        } => {
                            if is_wildcard(&sig.target_port_identity) {
                                self.unicast.orphans += 1;
                                continue;
                            }
                            let k = UnicastKey {
                                point: o.point,
                                sdo: h.major_sdo_id,
                                domain: h.domain_number,
                                requester: sig.target_port_identity,
                                message_type: message_type >> 4,
                            };
                            if duration_field == 0 {
                                self.unicast.one_step += 1;
                            }
                            match self.unicast_requests.remove(&k) {
                                Some(at) => {
                                    self.unicast.matched += 1;
                                    self.unicast.response.add(t - at);
                                }
                                None => self.unicast.orphans += 1,
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn sync_done(
        &mut self,
        k: Key,
        one_step: bool,
        t1: Timestamp,
        t2: i64,
        frame: u64,
        sync_correction: Correction,
        follow_up_correction: Correction,
    ) -> Measurement {
        let s = SyncExchange {
            point: k.point,
            major_sdo_id: k.sdo,
            domain: k.domain,
            master: k.port,
            sequence_id: k.seq,
            one_step,
            t1,
            t2_capture_ns: t2,
            sync_correction,
            follow_up_correction,
            sync_frame: frame,
        };
        let mk = MasterKey {
            point: k.point,
            sdo: k.sdo,
            domain: k.domain,
            master: k.port,
        };
        if let Some(last) = capped_entry(&mut self.last_sync, mk, self.config.max_streams, || s) {
            *last = s;
        }
        Measurement::Sync(s)
    }

    fn pdelay_done(
        &mut self,
        k: Key,
        h: &crate::wire::Header,
        t3: Option<Timestamp>,
    ) -> Option<Measurement> {
        let p = self.pdelays.remove(&k)?;
        let (t4, responder, t2, resp_correction) = p.resp?;
        self.pdelay.matched += 1;
        self.pdelay.response.add(t4 - p.time_ns);
        Some(Measurement::Pdelay(PdelayExchange {
            point: k.point,
            major_sdo_id: k.sdo,
            domain: k.domain,
            requester: k.port,
            responder,
            sequence_id: k.seq,
            t1_origin: p.origin,
            t1_capture_ns: p.time_ns,
            t2,
            t3,
            t4_capture_ns: t4,
            req_correction: p.correction,
            resp_correction,
            follow_up_correction: t3.map(|_| h.correction_field),
        }))
    }

    /// Evicts what waited longer than the timeout, at most twice per timeout.
    fn sweep(&mut self, now: i64) {
        let timeout = self.config.match_timeout_ns;
        match self.last_sweep_ns {
            None => {
                self.last_sweep_ns = Some(now);
                return;
            }
            Some(last) if now - last < timeout / 2 => return,
            _ => {}
        }
        self.last_sweep_ns = Some(now);
        self.evict(Some(now - timeout));
    }

    /// Evicts entries older than `before` (everything when `None`).
    fn evict(&mut self, before: Option<i64>) {
        let old = |t: i64| before.is_none_or(|b| t < b);
        for e in [
            &mut self.evicted_syncs,
            &mut self.evicted_delays,
            &mut self.evicted_pdelays,
        ] {
            e.rotate();
        }
        // Unanswered requests are unmatched, and remembered a while so that
        // a late answer is told from an orphan.
        let (c, e) = (&mut self.sync_follow_up, &mut self.evicted_syncs);
        evict_old(
            &mut self.syncs,
            |s| s.time_ns,
            &old,
            |k, t| {
                c.unmatched += 1;
                e.current.insert(k, t);
            },
        );
        evict_old(
            &mut self.early_follow_ups,
            |f| f.time_ns,
            &old,
            |_, _| c.orphans += 1,
        );
        let (c, e) = (&mut self.delay_req_resp, &mut self.evicted_delays);
        evict_old(
            &mut self.delays,
            |d| d.time_ns,
            &old,
            |k, t| {
                c.unmatched += 1;
                e.current.insert(k, t);
            },
        );
        let (c, e) = (&mut self.pdelay, &mut self.evicted_pdelays);
        evict_old(
            &mut self.pdelays,
            |p| p.time_ns,
            &old,
            |k, t| {
                c.unmatched += 1;
                e.current.insert(k, t);
            },
        );
        let c = &mut self.unicast;
        evict_old(
            &mut self.unicast_requests,
            |t| *t,
            &old,
            |_, _| c.unmatched += 1,
        );
        // A master silent for many timeouts no longer pairs with Delay_Resps.
        let stale = before.map(|b| b - 7 * self.config.match_timeout_ns);
        self.last_sync
            .retain(|_, s| stale.is_some_and(|b| s.t2_capture_ns >= b));
    }

    /// End of input: everything still pending is unmatched.
    pub fn finish(&mut self) {
        self.evict(None);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Analyzer, Observation};
    use super::*;

    fn obs<'m>(
        a: &mut Analyzer,
        m: &'m crate::wire::Message<'static>,
        f: &'m crate::wire::link::PtpFrame<'static>,
        t: i64,
    ) -> Option<Measurement> {
        a.frame(0, Some(t));
        a.observe(&Observation {
            point: 0,
            frame: 1,
            time_ns: t,
            link: f,
            message: m,
            bytes: &[],
        })
    }

    const MS: i64 = 1_000_000;

    #[test]
    fn two_step_sync_matches_its_follow_up_in_either_order() {
        let f = frame();
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        let sync = with_correction(message(0x0, gm, 7, Flags::TWO_STEP, -3, &ts(0, 0)), 65536);
        let fu = with_correction(message(0x8, gm, 7, 0, -3, &ts(100, 5)), 2 * 65536);
        assert_eq!(obs(&mut a, &sync, &f, 1000 * MS), None);
        let Some(Measurement::Sync(s)) = obs(&mut a, &fu, &f, 1001 * MS) else {
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
        // Follow_Up first.
        let sync = message(0x0, gm, 8, Flags::TWO_STEP, -3, &ts(0, 0));
        let fu = message(0x8, gm, 8, 0, -3, &ts(101, 0));
        assert_eq!(obs(&mut a, &fu, &f, 1100 * MS), None);
        assert!(matches!(
            obs(&mut a, &sync, &f, 1101 * MS),
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
        let Some(Measurement::Sync(s)) = obs(&mut a, &sync, &f, MS) else {
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

    #[test]
    fn delay_exchange_pairs_with_the_latest_sync_into_e2e() {
        let f = frame();
        let (gm, sl) = (port(1, 1), port(2, 1));
        let mut a = Analyzer::default();
        obs(&mut a, &message(0x0, gm, 1, 0, 0, &ts(10, 0)), &f, 10 * MS);
        let req = message(0x1, sl, 4, 0, 0x7f, &ts(0, 0));
        let mut resp_body = ts(10, 500);
        sl.emit(&mut resp_body);
        let resp = message(0x9, gm, 4, 0, 0, &resp_body);
        assert_eq!(obs(&mut a, &req, &f, 20 * MS), None);
        let Some(Measurement::E2e { sync, delay }) = obs(&mut a, &resp, &f, 21 * MS) else {
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
        obs(&mut a, &message(0x9, gm, 4, 0, 0, &other), &f, 22 * MS);
        assert_eq!(a.exchanges.delay_req_resp.orphans, 1);
    }

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
        assert_eq!(obs(&mut a, &req, &f, MS), None);
        assert_eq!(obs(&mut a, &resp, &f, 2 * MS), None);
        let Some(Measurement::Pdelay(p)) = obs(&mut a, &fu, &f, 3 * MS) else {
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

    #[test]
    fn unanswered_requests_are_evicted_and_late_answers_counted() {
        let f = frame();
        let (gm, sl) = (port(1, 1), port(2, 1));
        let mut a = Analyzer::default();
        let req = message(0x1, sl, 1, 0, 0x7f, &ts(0, 0));
        obs(&mut a, &req, &f, 0);
        // Unrelated traffic moves time past the timeout.
        for i in 0..40 {
            let s = message(0x0, gm, i, 0, 0, &ts(0, 0));
            obs(&mut a, &s, &f, i64::from(i) * 100 * MS);
        }
        assert_eq!(a.exchanges.delay_req_resp.unmatched, 1);
        assert_eq!(a.exchanges.pending(), 0);
        let mut rb = ts(0, 0);
        sl.emit(&mut rb);
        obs(&mut a, &message(0x9, gm, 1, 0, 0, &rb), &f, 4000 * MS);
        assert_eq!(a.exchanges.delay_req_resp.late, 1);
        assert_eq!(a.exchanges.delay_req_resp.late_wait.max(), Some(4000 * MS));
    }

    #[test]
    fn requests_beyond_the_tables_are_dropped_and_counted() {
        let f = frame();
        let mut a = Analyzer::new(super::super::Config {
            max_streams: 1,
            ..Default::default()
        });
        // Room for 16 pending requests; 20 slaves ask at once.
        for slave in 0..20u8 {
            let req = message(0x1, port(slave, 1), 1, 0, 0x7f, &ts(0, 0));
            obs(&mut a, &req, &f, MS);
        }
        assert_eq!(a.exchanges.pending(), 16);
        assert_eq!(a.exchanges.dropped, 4);
        // The same request again is a duplicate, not a drop.
        let again = message(0x1, port(0, 1), 1, 0, 0x7f, &ts(0, 0));
        obs(&mut a, &again, &f, MS);
        assert_eq!(a.exchanges.delay_req_resp.duplicates, 1);
        assert_eq!(a.exchanges.dropped, 4);
    }

    #[test]
    fn pending_state_stays_bounded_over_a_long_stream() {
        let f = frame();
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        // Two-step Syncs whose Follow_Ups are all lost, 8 per second.
        for i in 0..100_000u32 {
            let s = message(0x0, gm, i as u16, Flags::TWO_STEP, -3, &ts(0, 0));
            obs(&mut a, &s, &f, i64::from(i) * 125 * MS);
        }
        assert!(a.exchanges.pending() <= 40, "{}", a.exchanges.pending());
        assert!(a.exchanges.sync_follow_up.unmatched >= 99_960);
    }
}
