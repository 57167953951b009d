//! Matching the messages of one exchange into a [`Measurement`].
//!
//! | exchange | IEEE 1588-2019 | matched by (at one capture point, per majorSdoId and domainNumber) | file |
//! |---|---|---|---|
//! | Sync → Follow_Up (two-step) | §11.3, §13.6, §13.7 | sourcePortIdentity, sequenceId | `sync.rs` |
//! | Delay_Req → Delay_Resp | §11.3, §13.6, §13.8 | Delay_Resp.requestingPortIdentity = Delay_Req.sourcePortIdentity, sequenceId | `delay.rs` |
//! | Pdelay_Req → Pdelay_Resp → Pdelay_Resp_Follow_Up | §11.4, §13.9–§13.11 | requestingPortIdentity = requester, sequenceId | `pdelay.rs` |
//! | Signaling REQUEST → GRANT_UNICAST_TRANSMISSION | §16.1, §13.12 | GRANT's targetPortIdentity = requester, messageType in the TLV; a GRANT answers the latest request | `unicast.rs` |
//! | Signaling CANCEL → ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION | §16.1.4.3–4 | the same | `unicast.rs` |
//!
//! The timestamps the standard keeps off the wire — t2 of a Sync, t3 of a
//! Delay_Req, t1 and t4 of a Pdelay_Req — are the capture times at the
//! point, which stands in for the receiving or sending port. A Follow_Up
//! that arrives before its Sync (reordering) waits for it as well.
//!
//! A completed Delay_Req/Delay_Resp exchange is paired with the latest Sync
//! exchange from the same master at the same point into an E2E measurement
//! (as ptp4l pairs them).
//!
//! Requests wait [`Config::match_timeout_ns`] for their answer; then they
//! are unmatched, and remembered for two sweeps more so that a late answer
//! is told from an orphan.

mod delay;
mod pdelay;
mod sync;
mod unicast;

use super::HashMap;
use super::stats::{Span, Stats};
use super::{Config, Observation, PointId, Table};
use crate::wire::{Body, Correction, PortIdentity, Timestamp};

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
    /// Its resolution (the capture format's), ns.
    pub t2_resolution_ns: u32,
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
    /// Its resolution (the capture format's), ns.
    pub t3_resolution_ns: u32,
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
    /// Requests (or Syncs) never answered within the timeout; for unicast
    /// negotiation also each request a retry replaced.
    pub unmatched: u64,
    /// Answers to nothing seen.
    pub orphans: u64,
    /// Answers that came after their request was evicted.
    pub late: u64,
    /// A request seen twice while pending (same key).
    pub duplicates: u64,
    /// Unicast negotiation: requests re-sent with a new sequenceId while the
    /// previous one waited for its answer.
    pub retries: u64,
    /// One-step Syncs, one-step Pdelay_Resps, unicast denials.
    pub one_step: u64,
    /// Time from request to answer, for matched exchanges.
    pub response: Stats,
    /// How long late answers came after their request.
    pub late_wait: Stats,
    /// When the unmatched requests, orphans and late answers were
    /// captured (a request's time for the unmatched).
    pub problems_at: Span,
}

impl Counts {
    /// An answer whose request is not pending: late when that request was
    /// evicted lately, else an orphan.
    fn unanswered<K: std::hash::Hash + Eq>(&mut self, evicted: &mut Evicted<K>, k: &K, t: i64) {
        self.problems_at.saw(t);
        match evicted.take(k) {
            Some(at) => {
                self.late += 1;
                self.late_wait.add(t - at);
            }
            None => self.orphans += 1,
        }
    }
}

/// One exchange at one point: the port whose sequenceIds it follows (the
/// Sync's sender, the requester) and the sequenceId. The sequenceId comes
/// first: keys are compared in field order, and pending keys of one port
/// differ in it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    sequence_id: u16,
    point: PointId,
    major_sdo_id: u8,
    domain_number: u8,
    port_identity: PortIdentity,
}

impl Key {
    /// The key of the exchange `o` belongs to, followed by `port_identity`.
    fn new(o: &Observation<'_, '_>, port_identity: PortIdentity) -> Self {
        let h = &o.message.header;
        Self {
            point: o.point,
            major_sdo_id: h.major_sdo_id,
            domain_number: h.domain_number,
            port_identity,
            sequence_id: h.sequence_id,
        }
    }
}

/// A master at one point: its latest Sync exchange pairs with the
/// Delay_Resps it sends there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MasterKey {
    point: PointId,
    major_sdo_id: u8,
    domain_number: u8,
    master: PortIdentity,
}

/// Removes `k`'s entry from `map`: without hashing when `map` is empty,
/// as the maps of early and evicted messages are as a rule.
fn take<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: &K) -> Option<V> {
    if map.is_empty() {
        return None;
    }
    map.remove(k)
}

/// Entries kept in the short list of a [`SmallMap`].
const NEAR: usize = 4;

/// A map that as a rule holds a few entries: up to [`NEAR`] in a short
/// list searched before a hash map. One or two messages wait for their
/// answer at a time (a two-step Sync for its Follow_Up, a Delay_Req for
/// its Delay_Resp), and a point sees one master or two; comparing a key
/// or two costs less than hashing it and probing: 46 instructions a
/// message fewer on the analysis thread (callgrind, steady bench
/// capture; 6 more on the stepping one, where unanswered Syncs fill the
/// list and every lookup goes on to the hash map).
#[derive(Debug)]
struct SmallMap<K, V> {
    near: Vec<(K, V)>,
    far: HashMap<K, V>,
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self {
            near: Vec::new(),
            far: HashMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq, V> SmallMap<K, V> {
    fn len(&self) -> usize {
        self.near.len() + self.far.len()
    }

    fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        match self.near.iter().position(|(x, _)| x == k) {
            Some(i) => Some(&mut self.near[i].1),
            None if self.far.is_empty() => None,
            None => self.far.get_mut(k),
        }
    }

    fn get(&self, k: &K) -> Option<&V> {
        match self.near.iter().find(|(x, _)| x == k) {
            Some((_, v)) => Some(v),
            None if self.far.is_empty() => None,
            None => self.far.get(k),
        }
    }

    fn remove(&mut self, k: &K) -> Option<V> {
        match self.near.iter().position(|(x, _)| x == k) {
            Some(i) => Some(self.near.swap_remove(i).1),
            None => take(&mut self.far, k),
        }
    }

    /// `k`'s value, or the place that would hold it: hashed at most once,
    /// and not at all while the hash map is empty and the list has room.
    fn entry(&mut self, k: K) -> Result<&mut V, Vacant<'_, K, V>> {
        use std::collections::hash_map::Entry;
        if let Some(i) = self.near.iter().position(|(x, _)| *x == k) {
            return Ok(&mut self.near[i].1);
        }
        let near = &mut self.near;
        if self.far.is_empty() && near.len() < NEAR {
            return Err(Vacant::Near(k, near));
        }
        match self.far.entry(k) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => Err(Vacant::Far(e, near)),
        }
    }

    /// The entry for `k`, made by `make` when new, unless the map holds
    /// `cap` entries (as [`capped_entry`](crate::analysis::capped_entry)).
    fn capped_entry(&mut self, k: K, cap: usize, make: impl FnOnce() -> V) -> Option<&mut V> {
        let full = self.len() >= cap;
        match self.entry(k) {
            Ok(v) => Some(v),
            Err(_) if full => None,
            Err(e) => Some(e.insert(make())),
        }
    }

    /// Files `v` under `k`, in place of what `k` held.
    fn insert(&mut self, k: K, v: V) {
        match self.entry(k) {
            Ok(old) => *old = v,
            Err(e) => {
                e.insert(v);
            }
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.near.retain_mut(|(k, v)| keep(k, v));
        self.far.retain(|k, v| keep(k, v));
    }
}

/// Where a key absent from a [`SmallMap`] goes: the short list while it
/// has room, else the hash map.
enum Vacant<'a, K, V> {
    /// The hash map is empty: the key was not hashed.
    Near(K, &'a mut Vec<(K, V)>),
    Far(
        std::collections::hash_map::VacantEntry<'a, K, V>,
        &'a mut Vec<(K, V)>,
    ),
}

impl<'a, K, V> Vacant<'a, K, V> {
    fn insert(self, v: V) -> &'a mut V {
        let (k, near) = match self {
            Vacant::Near(k, near) => (k, near),
            Vacant::Far(e, near) if near.len() < NEAR => (e.into_key(), near),
            Vacant::Far(e, _) => return e.insert(v),
        };
        let i = near.len();
        near.push((k, v));
        &mut near[i].1
    }
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
    /// The current sweep's keys become the previous; both maps keep their
    /// memory (no allocation per sweep).
    fn rotate(&mut self) {
        std::mem::swap(&mut self.previous, &mut self.current);
        self.current.clear();
    }
    fn take(&mut self, k: &K) -> Option<i64> {
        take(&mut self.current, k).or_else(|| take(&mut self.previous, k))
    }
}

/// The exchange matcher.
#[derive(Debug)]
pub struct Exchanges {
    config: Config,
    pub sync_follow_up: Counts,
    pub delay_req_resp: Counts,
    pub pdelay: Counts,
    pub unicast_negotiation: Counts,
    /// CANCEL_UNICAST_TRANSMISSION answered by ACKNOWLEDGE_CANCEL.
    pub unicast_cancel: Counts,
    /// E2E measurements (Delay exchanges paired with a Sync).
    pub e2e_measurements: u64,
    /// Pending entries dropped because the tables were full.
    pub dropped: u64,
    /// Per point: Delay_Resp correctionField minus its Delay_Req's, ns.
    /// Equal at the master; downstream of a two-step E2E TC, its residence.
    pub delay_resp_minus_req_correction: Table<PointId, Stats>,
    syncs: SmallMap<Key, sync::PendingSync>,
    early_follow_ups: SmallMap<Key, sync::PendingFollowUp>,
    delay_reqs: SmallMap<Key, delay::PendingDelayReq>,
    pdelay_reqs: SmallMap<Key, pdelay::PendingPdelayReq>,
    /// REQUEST_UNICAST_TRANSMISSION TLVs: the latest per requester and
    /// messageType.
    unicast_requests: SmallMap<unicast::UnicastKey, unicast::PendingRequest>,
    /// CANCEL_UNICAST_TRANSMISSION TLVs, the same way.
    unicast_cancels: SmallMap<unicast::UnicastKey, unicast::PendingRequest>,
    last_sync: SmallMap<MasterKey, SyncExchange>,
    evicted_syncs: Evicted<Key>,
    evicted_delay_reqs: Evicted<Key>,
    evicted_pdelay_reqs: Evicted<Key>,
    evicted_unicast_requests: Evicted<unicast::UnicastKey>,
    evicted_unicast_cancels: Evicted<unicast::UnicastKey>,
    last_sweep_ns: Option<i64>,
}

/// Files a request (or a two-step Sync) under `k`: a duplicate when one is
/// pending already, dropped when the tables are full.
fn file<K: std::hash::Hash + Eq, V>(
    map: &mut SmallMap<K, V>,
    k: K,
    v: V,
    full: bool,
    duplicates: &mut u64,
    dropped: &mut u64,
) {
    match map.entry(k) {
        Ok(_) => *duplicates += 1,
        Err(_) if full => *dropped += 1,
        Err(e) => {
            e.insert(v);
        }
    }
}

/// Removes the entries of `map` whose time (`time`) is `old`, telling
/// `gone` each key and time.
fn evict_old<K: Copy + std::hash::Hash + Eq, V>(
    map: &mut SmallMap<K, V>,
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

impl Exchanges {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            sync_follow_up: Counts::default(),
            delay_req_resp: Counts::default(),
            pdelay: Counts::default(),
            unicast_negotiation: Counts::default(),
            unicast_cancel: Counts::default(),
            e2e_measurements: 0,
            dropped: 0,
            delay_resp_minus_req_correction: Table::default(),
            syncs: SmallMap::default(),
            early_follow_ups: SmallMap::default(),
            delay_reqs: SmallMap::default(),
            pdelay_reqs: SmallMap::default(),
            unicast_requests: SmallMap::default(),
            unicast_cancels: SmallMap::default(),
            last_sync: SmallMap::default(),
            evicted_syncs: Evicted::default(),
            evicted_delay_reqs: Evicted::default(),
            evicted_pdelay_reqs: Evicted::default(),
            evicted_unicast_requests: Evicted::default(),
            evicted_unicast_cancels: Evicted::default(),
            last_sweep_ns: None,
        }
    }

    /// Pending entries of every kind (for tests of boundedness).
    pub fn pending(&self) -> usize {
        self.syncs.len()
            + self.early_follow_ups.len()
            + self.delay_reqs.len()
            + self.pdelay_reqs.len()
            + self.unicast_requests.len()
            + self.unicast_cancels.len()
    }

    fn full(&self) -> bool {
        self.pending() >= self.config.max_streams * 16
    }

    pub fn observe(&mut self, o: &Observation<'_, '_>, now_ns: i64) -> Outcome {
        self.sweep(now_ns);
        let full = self.full();
        match &o.message.body {
            Body::Sync(s) => self.sync(o, s, full),
            Body::FollowUp(f) => self.follow_up(o, f, full),
            Body::DelayReq(d) => {
                self.delay_req(o, d, full);
                Outcome::default()
            }
            Body::DelayResp(r) => self.delay_resp(o, r),
            Body::PdelayReq(p) => {
                self.pdelay_req(o, p, full);
                Outcome::default()
            }
            Body::PdelayResp(r) => self.pdelay_resp(o, r),
            Body::PdelayRespFollowUp(f) => self.pdelay_resp_follow_up(o, f),
            Body::Signaling(s) => {
                self.signaling(o, s);
                Outcome::default()
            }
            _ => Outcome::default(),
        }
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
            &mut self.evicted_delay_reqs,
            &mut self.evicted_pdelay_reqs,
        ] {
            e.rotate();
        }
        self.evicted_unicast_requests.rotate();
        self.evicted_unicast_cancels.rotate();
        // Unanswered requests are unmatched, and remembered a while so that
        // a late answer is told from an orphan.
        let (c, e) = (&mut self.sync_follow_up, &mut self.evicted_syncs);
        evict_old(
            &mut self.syncs,
            |s| s.capture_ns,
            &old,
            |k, t| {
                c.unmatched += 1;
                c.problems_at.saw(t);
                e.current.insert(k, t);
            },
        );
        evict_old(
            &mut self.early_follow_ups,
            |f| f.capture_ns,
            &old,
            |_, t| {
                c.orphans += 1;
                c.problems_at.saw(t);
            },
        );
        let (c, e) = (&mut self.delay_req_resp, &mut self.evicted_delay_reqs);
        evict_old(
            &mut self.delay_reqs,
            |d| d.capture_ns,
            &old,
            |k, t| {
                c.unmatched += 1;
                c.problems_at.saw(t);
                e.current.insert(k, t);
            },
        );
        let (c, e) = (&mut self.pdelay, &mut self.evicted_pdelay_reqs);
        evict_old(
            &mut self.pdelay_reqs,
            |p| p.capture_ns,
            &old,
            |k, t| {
                c.unmatched += 1;
                c.problems_at.saw(t);
                e.current.insert(k, t);
            },
        );
        for (map, c, e) in [
            (
                &mut self.unicast_requests,
                &mut self.unicast_negotiation,
                &mut self.evicted_unicast_requests,
            ),
            (
                &mut self.unicast_cancels,
                &mut self.unicast_cancel,
                &mut self.evicted_unicast_cancels,
            ),
        ] {
            evict_old(
                map,
                |r| r.capture_ns,
                &old,
                |k, t| {
                    c.unmatched += 1;
                    c.problems_at.saw(t);
                    e.current.insert(k, t);
                },
            );
        }
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
    use super::super::{Analyzer, Config};
    use crate::wire::Flags;

    const MS: i64 = 1_000_000;

    /// The short list and the hash map behave as one map, whichever of
    /// the two holds a key: checked against a HashMap over every
    /// operation, with more keys than the list holds.
    #[test]
    fn a_small_map_is_a_map_whether_a_key_is_near_or_far() {
        use super::{NEAR, SmallMap, file};
        let mut m: SmallMap<u32, u32> = SmallMap::default();
        let mut truth = std::collections::HashMap::new();
        let (mut dup, mut dropped) = (0, 0);
        // Keys 0..12 filed, each twice: the second is a duplicate.
        for k in 0..12u32 {
            file(&mut m, k, k * 10, false, &mut dup, &mut dropped);
            file(&mut m, k, 99, false, &mut dup, &mut dropped);
            truth.insert(k, k * 10);
        }
        assert_eq!((dup, dropped), (12, 0));
        assert_eq!(m.near.len(), NEAR);
        assert!(!m.far.is_empty());
        // A full map drops a new key, and still counts a duplicate.
        file(&mut m, 100, 1, true, &mut dup, &mut dropped);
        file(&mut m, 11, 1, true, &mut dup, &mut dropped);
        assert_eq!((dup, dropped), (13, 1));
        // Removed from the list and from the map alike.
        assert_eq!(m.remove(&1), truth.remove(&1));
        assert_eq!(m.remove(&9), truth.remove(&9));
        assert_eq!(m.remove(&9), None);
        // A freed place in the list takes the next key.
        file(&mut m, 50, 500, false, &mut dup, &mut dropped);
        truth.insert(50, 500);
        assert!(m.near.iter().any(|&(k, _)| k == 50));
        m.insert(3, 33);
        truth.insert(3, 33);
        m.retain(|k, _| k % 3 != 0);
        truth.retain(|k, _| k % 3 != 0);
        assert_eq!(m.len(), truth.len());
        for k in 0..120 {
            assert_eq!(m.get(&k), truth.get(&k), "{k}");
        }
        // Replaced and changed in place where the hash map holds them.
        assert!(m.far.contains_key(&5) && m.far.contains_key(&7));
        m.insert(5, 55);
        truth.insert(5, 55);
        *m.get_mut(&7).unwrap() += 1;
        *truth.get_mut(&7).unwrap() += 1;
        // The list filled again.
        for k in [60, 61] {
            file(&mut m, k, k, false, &mut dup, &mut dropped);
            truth.insert(k, k);
        }
        // Capped: a new key only while there is room, a known one always,
        // in the list or in the hash map.
        let cap = m.len();
        assert!(m.capped_entry(1000, cap, || 0).is_none());
        *m.capped_entry(2, cap, || 0).unwrap() += 1;
        *truth.get_mut(&2).unwrap() += 1;
        *m.capped_entry(8, cap, || 0).unwrap() += 1;
        *truth.get_mut(&8).unwrap() += 1;
        assert!(m.far.contains_key(&8));
        // A new key goes to the hash map once the list is full.
        assert_eq!(m.near.len(), NEAR);
        assert_eq!(m.capped_entry(1000, cap + 1, || 7), Some(&mut 7));
        truth.insert(1000, 7);
        assert!(m.far.contains_key(&1000));
        assert_eq!(m.len(), truth.len());
        for k in 0..1200 {
            assert_eq!(m.get(&k), truth.get(&k), "{k}");
        }
    }

    #[test]
    fn unanswered_requests_are_evicted_and_late_answers_counted() {
        let f = frame();
        let (gm, sl) = (port(1, 1), port(2, 1));
        let mut a = Analyzer::default();
        let req = message(0x1, sl, 1, 0, 0x7f, &ts(0, 0));
        see(&mut a, &req, &f, 0);
        // Unrelated traffic moves time past the timeout.
        for i in 0..40 {
            let s = message(0x0, gm, i, 0, 0, &ts(0, 0));
            see(&mut a, &s, &f, i64::from(i) * 100 * MS);
        }
        assert_eq!(a.exchanges.delay_req_resp.unmatched, 1);
        assert_eq!(a.exchanges.pending(), 0);
        let mut rb = ts(0, 0);
        sl.emit(&mut rb);
        see(&mut a, &message(0x9, gm, 1, 0, 0, &rb), &f, 4000 * MS);
        assert_eq!(a.exchanges.delay_req_resp.late, 1);
        assert_eq!(a.exchanges.delay_req_resp.late_wait.max(), Some(4000 * MS));
    }

    #[test]
    fn requests_beyond_the_tables_are_dropped_and_counted() {
        let f = frame();
        let mut a = Analyzer::new(Config {
            max_streams: 1,
            ..Default::default()
        });
        // Room for 16 pending requests; 20 slaves ask at once.
        for slave in 0..20u8 {
            let req = message(0x1, port(slave, 1), 1, 0, 0x7f, &ts(0, 0));
            see(&mut a, &req, &f, MS);
        }
        assert_eq!(a.exchanges.pending(), 16);
        assert_eq!(a.exchanges.dropped, 4);
        // The same request again is a duplicate, not a drop.
        let again = message(0x1, port(0, 1), 1, 0, 0x7f, &ts(0, 0));
        see(&mut a, &again, &f, MS);
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
            see(&mut a, &s, &f, i64::from(i) * 125 * MS);
        }
        assert!(a.exchanges.pending() <= 40, "{}", a.exchanges.pending());
        assert!(a.exchanges.sync_follow_up.unmatched >= 99_960);
    }
}
