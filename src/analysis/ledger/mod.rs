//! The transparent-clock ledger: the same PTP message seen at two or more
//! capture points, and what changed on the way (IEEE 1588-2019 §10.2: a
//! transparent clock adds a message's residence time to its correctionField,
//! §13.3.2.9, and must leave the rest of the message alone).
//!
//! A message is recognised across points by (majorSdoId, domainNumber,
//! messageType, sourcePortIdentity, sequenceId, its principal timestamp and
//! requestingPortIdentity): what a transparent clock must leave alone. Its
//! sightings are kept for [`WINDOW_NS`] of capture time; each new sighting at
//! another point makes a hop sample with the latest earlier sighting, so
//! with three points a→b→c the hops are a→b and b→c, never a→c. With
//! `--path a,b,c` only pairs adjacent on that path count. A hop runs in the
//! direction the message travelled: once [`DECISIVE`] messages more have
//! grown their correction going one way between two points than the other,
//! that way, given the message type's direction (Sync, Follow_Up,
//! Announce and Delay_Resp leave the master, Delay_Req goes to it); before
//! that, the direction the votes so far favour, else increasing capture
//! time (or increasing correction when the two points' clocks are over a
//! second apart).
//!
//! Per hop and message type ([`hop`]) it records the correctionField delta
//! (the residence time, plus link delay and asymmetry for a P2P TC), the
//! capture time between the points, whether the Ethernet or IP source
//! changed, and whether any octet of the message other than correctionField
//! changed; [`Ledger::hops`] reads the hops' findings off those records.
//!
//! At each single point, the health tracker's streams keep the
//! correctionField's distribution and its jumps
//! ([`super::correction::PointCorrections`]).

pub mod hop;

use std::net::IpAddr;

use super::HashMap;
use super::{Config, Observation, PointId, capped_entry};
use crate::wire::link::Mac;
use crate::wire::{Body, Flags, MessageType, PortIdentity, Timestamp};

pub use hop::{Hop, HopFinding, HopKey, HopResult, HopStats, PerType, SyncCarriage};

/// Net votes of correction growth after which the upstream point of a pair
/// is taken as known, whatever the capture times say.
pub const DECISIVE: i32 = 8;

/// How long a message's sightings wait for more points, in capture time.
pub const WINDOW_NS: i64 = 10_000_000_000;
/// Sightings kept per message (more points are ignored).
const MAX_SIGHTINGS: usize = 8;
/// Two-step Syncs waiting for their Follow_Up beyond this are forgotten
/// at the next sweep.
const MAX_TWO_STEP_SYNCS: usize = 4096;
/// Capture clocks further apart than this make capture times useless for
/// telling the direction of travel.
const SKEWED_NS: i64 = 1_000_000_000;

/// What identifies one message at every point it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MessageKey {
    major_sdo_id: u8,
    domain_number: u8,
    message_type: MessageType,
    source_port_identity: PortIdentity,
    sequence_id: u16,
    /// originTimestamp, preciseOriginTimestamp, receiveTimestamp, …
    timestamp: Option<Timestamp>,
    requesting_port_identity: Option<PortIdentity>,
}

/// One message at one point.
#[derive(Debug, Clone, Copy)]
struct Sighting {
    point: PointId,
    time_ns: i64,
    /// correctionField, scaled (2^-16 ns).
    correction_field: i64,
    source_mac: Option<Mac>,
    source_ip: Option<IpAddr>,
    /// Hash of the message octets other than correctionField.
    content: u64,
}

#[derive(Debug)]
struct Pending {
    first_ns: i64,
    sightings: Vec<Sighting>,
}

/// Two points either way round: the lower id first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PointPair {
    lower: PointId,
    higher: PointId,
}

impl PointPair {
    fn new(a: PointId, b: PointId) -> Self {
        Self {
            lower: a.min(b),
            higher: a.max(b),
        }
    }
}

/// A two-step Sync on a hop, waiting for its Follow_Up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TwoStepSync {
    hop: Hop,
    source_port_identity: PortIdentity,
    sequence_id: u16,
}

/// The ledger tracker.
#[derive(Debug)]
pub struct Ledger {
    config: Config,
    /// `--path`: point order; hops only between neighbours on it.
    pub path: Option<Vec<PointId>>,
    pending: HashMap<MessageKey, Pending>,
    pub hops: HashMap<HopKey, HopStats>,
    /// Correction added to two-step Syncs on a hop (scaled), waiting for
    /// their Follow_Up's.
    two_step_syncs: HashMap<TwoStepSync, i64>,
    pub carriage: HashMap<Hop, SyncCarriage>,
    /// Per point pair: > 0 when the lower is upstream (nearer the master),
    /// from the messages whose correction grew.
    upstream: HashMap<PointPair, i32>,
    /// The same message seen twice at one point.
    pub duplicates_at_point: HashMap<PointId, u64>,
    pub untracked: u64,
    /// Capture points known so far; matching starts with the second.
    pub point_count: usize,
    last_sweep_ns: i64,
}

/// A hash of a message's octets but its correctionField (octets 8..16),
/// which transparent clocks change: equal for the same message seen at two
/// points, different when anything else was altered.
pub fn content_hash(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // Fixed seed: equal octets hash equal across the whole run.
    let mut h = foldhash::fast::FixedState::with_seed(0x5054_5053).build_hasher();
    h.write(bytes.get(..8).unwrap_or(bytes));
    h.write(bytes.get(16..).unwrap_or(&[]));
    h.finish()
}

impl Ledger {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            path: None,
            pending: HashMap::default(),
            hops: HashMap::default(),
            two_step_syncs: HashMap::default(),
            carriage: HashMap::default(),
            upstream: HashMap::default(),
            point_count: 0,
            duplicates_at_point: HashMap::default(),
            untracked: 0,
            last_sweep_ns: i64::MIN,
        }
    }

    /// Matches a message across capture points, once there are several;
    /// with one point (most captures) it returns at once, inlined where
    /// it is called: the whole function's entry cost the analysis thread
    /// 21 instructions a message for nothing (callgrind, steady capture).
    #[inline]
    pub fn observe(&mut self, o: &Observation<'_, '_>, now_ns: i64) {
        if matches!(o.message.body, Body::Reserved(_)) {
            return;
        }
        if let Some(content) = o.content.filter(|_| self.point_count >= 2) {
            self.observe_across(o, now_ns, content);
        }
    }

    fn observe_across(&mut self, o: &Observation<'_, '_>, now_ns: i64, content: u64) {
        let h = &o.message.header;
        if now_ns.saturating_sub(self.last_sweep_ns) >= WINDOW_NS / 2 {
            self.last_sweep_ns = now_ns;
            self.pending.retain(|_, p| now_ns - p.first_ns <= WINDOW_NS);
            if self.two_step_syncs.len() > MAX_TWO_STEP_SYNCS {
                self.two_step_syncs.clear();
            }
        }
        let key = MessageKey {
            major_sdo_id: h.major_sdo_id,
            domain_number: h.domain_number,
            message_type: h.message_type,
            source_port_identity: h.source_port_identity,
            sequence_id: h.sequence_id,
            timestamp: o.message.body.timestamp(),
            requesting_port_identity: o.message.body.requesting_port_identity(),
        };
        let s = Sighting {
            point: o.point,
            time_ns: o.time_ns,
            correction_field: h.correction_field.0,
            source_mac: o.link.src_mac,
            source_ip: o.link.src_ip,
            content,
        };
        let Some(prev) = self.sight(key, s) else {
            return;
        };
        let forward = self.forward(&prev, &s, h.message_type);
        let (a, b) = if forward { (prev, s) } else { (s, prev) };
        let hop = Hop {
            from: a.point,
            to: b.point,
        };
        let hop_key = HopKey {
            hop,
            message_type: h.message_type,
        };
        self.hops.entry(hop_key).or_default().add(&a, &b);
        let delta = b.correction_field.wrapping_sub(a.correction_field);
        let two_step = TwoStepSync {
            hop,
            source_port_identity: key.source_port_identity,
            sequence_id: key.sequence_id,
        };
        if h.message_type == MessageType::SYNC && h.flags.contains(Flags::TWO_STEP) {
            self.two_step_syncs.insert(two_step, delta);
        } else if h.message_type == MessageType::FOLLOW_UP
            && let Some(sync_delta) = self.two_step_syncs.remove(&two_step)
        {
            self.carriage
                .entry(hop)
                .or_default()
                .add(sync_delta != 0, delta != 0);
        }
    }

    /// Files sighting `s` of the message `key`; returns the sighting it
    /// makes a hop with, if any: on the path, the nearest point already
    /// seen; otherwise the latest sighting.
    fn sight(&mut self, key: MessageKey, s: Sighting) -> Option<Sighting> {
        let mut first = false;
        let cap = self.config.max_streams * 16;
        let Some(p) = capped_entry(&mut self.pending, key, cap, || {
            first = true;
            Pending {
                first_ns: s.time_ns,
                sightings: vec![s],
            }
        }) else {
            self.untracked += 1;
            return None;
        };
        if first {
            return None;
        }
        if p.sightings.iter().any(|x| x.point == s.point) {
            *self.duplicates_at_point.entry(s.point).or_default() += 1;
            return None;
        }
        if p.sightings.len() >= MAX_SIGHTINGS {
            return None;
        }
        let prev = match &self.path {
            Some(path) => {
                let pos = |pt| path.iter().position(|&x| x == pt);
                let me = pos(s.point);
                p.sightings
                    .iter()
                    .filter(
                        |x| matches!((pos(x.point), me), (Some(a), Some(b)) if a.abs_diff(b) == 1),
                    )
                    .max_by_key(|x| x.time_ns)
                    .copied()
            }
            None => p.sightings.iter().max_by_key(|x| x.time_ns).copied(),
        };
        p.sightings.push(s);
        prev
    }

    /// Whether the message went from `prev`'s point to `s`'s. By capture
    /// time; when the two points' clocks disagree (over 1 s apart), by the
    /// correction's growth; but once the pair has voted, by what the
    /// message type says (from the master, or to it) given which point is
    /// upstream, as learnt from messages whose correction grew.
    fn forward(&mut self, prev: &Sighting, s: &Sighting, message_type: MessageType) -> bool {
        let from_master = matches!(
            message_type,
            MessageType::SYNC
                | MessageType::FOLLOW_UP
                | MessageType::ANNOUNCE
                | MessageType::DELAY_RESP
        );
        let to_master = message_type == MessageType::DELAY_REQ;
        let pair = PointPair::new(prev.point, s.point);
        if s.correction_field != prev.correction_field && (from_master || to_master) {
            // The later on the message's way is the one with more correction.
            let s_later = s.correction_field > prev.correction_field;
            let s_downstream = s_later == from_master;
            let vote = if (s.point == pair.higher) == s_downstream {
                1
            } else {
                -1
            };
            let v = self.upstream.entry(pair).or_default();
            *v = (*v + vote).clamp(-1000, 1000);
        }
        let learnt = self.upstream.get(&pair).copied().unwrap_or(0);
        if learnt.abs() >= DECISIVE && (from_master || to_master) {
            // Which point is upstream is settled: capture times may be
            // skewed by more than the transit (a TC's own clock).
            let s_downstream = (s.point == pair.higher) == (learnt > 0);
            s_downstream == from_master
        } else if learnt != 0 && (from_master || to_master) {
            // Not settled: what the votes so far say (capture times may be
            // skewed by more than the transit); a correction that shrank is
            // still seen as negative residence.
            let s_downstream = (s.point == pair.higher) == (learnt > 0);
            s_downstream == from_master
        } else if (s.time_ns - prev.time_ns).abs() > SKEWED_NS
            && s.correction_field != prev.correction_field
        {
            s.correction_field > prev.correction_field
        } else {
            s.time_ns >= prev.time_ns
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Analyzer, Observation};
    use super::*;
    use crate::wire::Correction;

    const US: i64 = 1_000;

    /// Sees `m` at `point`, `t` ns, from `mac`, with `corr_ns` of correction.
    fn see(
        a: &mut Analyzer,
        point: PointId,
        t: i64,
        mac: u8,
        m: &crate::wire::Message<'static>,
        corr_ns: i64,
    ) {
        let mut m = *m;
        m.header.correction_field = Correction(corr_ns << 16);
        let mut bytes = Vec::new();
        m.emit(&mut bytes);
        let mut f = frame();
        f.src_mac = Some(Mac([2, 0, 0, 0, 0, mac]));
        a.frame(point, Some(t));
        a.observe(&Observation {
            point,
            frame: 1,
            time_ns: t,
            resolution_ns: 1,
            link: &f,
            message: &m,
            content: Some(content_hash(&bytes)),
        });
    }

    #[test]
    fn messages_decoded_while_one_point_was_known_are_not_matched() {
        let mut a = Analyzer::default();
        a.set_point_count(2);
        let f = frame();
        let early = message(0x0, port(1, 1), 1, 0, -3, &ts(100, 0));
        for point in 0..2 {
            a.frame(point, Some(1));
            a.observe(&Observation {
                point,
                frame: 1,
                time_ns: 1 + point as i64,
                resolution_ns: 1,
                link: &f,
                message: &early,
                content: None,
            });
        }
        assert!(a.ledger.hops().is_empty());
        let later = message(0x0, port(1, 1), 2, 0, -3, &ts(101, 0));
        see(&mut a, 0, 10, 1, &later, 0);
        see(&mut a, 1, 20, 1, &later, 0);
        assert_eq!(a.ledger.hops().len(), 1);
    }

    #[test]
    fn a_message_at_three_points_makes_two_hops() {
        let mut a = Analyzer::default();
        a.set_point_count(3);
        for seq in 0..10u16 {
            let m = message(0x0, port(1, 1), seq, 0, -3, &ts(100, u32::from(seq)));
            let t = i64::from(seq) * 125_000 * US;
            see(&mut a, 0, t, 1, &m, 0);
            see(&mut a, 1, t + 50 * US, 0x11, &m, 40);
            see(&mut a, 2, t + 90 * US, 0x11, &m, 70);
        }
        let hops = a.ledger.hops();
        let pairs: Vec<(PointId, PointId)> = hops.iter().map(|h| (h.hop.from, h.hop.to)).collect();
        assert_eq!(pairs, [(0, 1), (1, 2)], "never 0 -> 2");
        let ab = &hops[0];
        assert_eq!(ab.matched, 10);
        let residence = |h: &HopResult<'_>| h.carrier.and_then(|c| c.residence.summary());
        assert_eq!(residence(ab).unwrap().median, 40);
        assert!(ab.source_mac_changed > 0 && ab.findings.contains(&HopFinding::Resourced));
        let bc = &hops[1];
        assert_eq!(residence(bc).unwrap().median, 30);
        assert_eq!(bc.source_mac_changed, 0);
        assert!(
            bc.findings.contains(&HopFinding::KeptMac),
            "{:?}",
            bc.findings
        );
        let transit = bc.carrier.and_then(|c| c.transit.summary());
        assert_eq!(transit.unwrap().median, 40 * US);
    }

    #[test]
    fn changed_octets_negative_and_impossible_corrections_are_flagged() {
        let mut a = Analyzer::default();
        a.set_point_count(2);
        for seq in 0..4u16 {
            let m = message(0x0, port(1, 1), seq, 0, -3, &ts(7, 0));
            let mut changed = m;
            changed.header.log_message_interval = 0; // not the TC's to touch
            let t = i64::from(seq) * 1_000_000;
            see(&mut a, 0, t, 1, &m, 500);
            // Residence 1 ms and -100 ns over a 1 µs transit.
            let corr = if seq % 2 == 0 { 500 + 1_000_000 } else { 400 };
            see(&mut a, 1, t + US, 1, &changed, corr);
        }
        let h = &a.ledger.hops()[0];
        assert!(h.other_bytes_changed > 0);
        let f = &h.findings;
        assert!(f.contains(&HopFinding::Negative { messages: 2 }), "{f:?}");
        assert!(
            f.contains(&HopFinding::BeyondTransit { messages: 2 }),
            "{f:?}"
        );
    }

    #[test]
    fn two_step_carriage_mixed_and_missing() {
        let mut a = Analyzer::default();
        a.set_point_count(2);
        // Seq 0: in the Follow_Up; 1: in the Sync; 2: in neither.
        for (seq, sync_add, fu_add) in [(0u16, 0, 50), (1, 50, 0), (2, 0, 0)] {
            let t = i64::from(seq) * 125_000 * US;
            let sync = message(0x0, port(1, 1), seq, Flags::TWO_STEP, -3, &ts(0, 0));
            let fu = message(0x8, port(1, 1), seq, 0, -3, &ts(5, u32::from(seq)));
            see(&mut a, 0, t, 1, &sync, 0);
            see(&mut a, 1, t + 60 * US, 1, &sync, sync_add);
            see(&mut a, 0, t + 100 * US, 1, &fu, 0);
            see(&mut a, 1, t + 160 * US, 1, &fu, fu_add);
        }
        let h = &a.ledger.hops()[0];
        let c = h.sync_carriage.unwrap();
        assert_eq!((c.in_sync, c.in_follow_up, c.in_neither), (1, 1, 1));
        let f = &h.findings;
        assert!(f.contains(&HopFinding::Mixed), "{f:?}");
        assert!(
            f.contains(&HopFinding::Unaccompanied {
                missing: 1,
                two_step_syncs: 3
            }),
            "{f:?}"
        );
    }

    #[test]
    fn the_same_message_twice_at_one_point_is_a_duplicate_not_a_hop() {
        let mut a = Analyzer::default();
        a.set_point_count(2);
        let m = message(0xB, port(1, 1), 3, 0, 1, &[ts(0, 0), vec![0; 20]].concat());
        see(&mut a, 0, 0, 1, &m, 0);
        see(&mut a, 0, 10, 1, &m, 0);
        assert!(a.ledger.hops.is_empty());
        assert_eq!(a.ledger.duplicates_at_point.get(&0), Some(&1));
    }
}
