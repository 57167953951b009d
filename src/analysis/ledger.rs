//! The transparent-clock ledger: the same PTP message seen at two or more
//! capture points, and what changed on the way.
//!
//! A message is recognised across points by (majorSdoId, domain,
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
//! Per hop and message type it records the correctionField delta (the
//! residence time, plus link delay and asymmetry for a P2P TC), the capture
//! time between the points, whether the Ethernet or IP source changed, and
//! whether any octet of the message other than correctionField changed.
//!
//! At each single point, the health tracker's streams keep the
//! correctionField's distribution and its jumps ([`PointCorrections`]).

use serde::Serialize;

use super::HashMap;
use super::stats::{Histogram, Series, Stats, Summary};
use super::{Config, Observation, PointId, capped_entry};
use crate::wire::link::Mac;
use crate::wire::{Body, Flags, MessageType, PortIdentity};

/// Net votes of correction growth after which the upstream point of a pair
/// is taken as known, whatever the capture times say.
pub const DECISIVE: i32 = 8;

/// How long a message's sightings wait for more points, in capture time.
pub const WINDOW_NS: i64 = 10_000_000_000;
/// Sightings kept per message (more points are ignored).
const MAX_SIGHTINGS: usize = 8;
/// Samples kept per hop series (decimated beyond, see [`Series`]).
const MAX_SERIES: usize = 2048;
/// Slack for capture-time noise when checking a correction against transit.
const TRANSIT_SLACK_NS: i64 = 100_000;
/// A change of correction at one point larger than this is a jump.
const JUMP_NS: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MsgKey {
    sdo: u8,
    domain: u8,
    message_type: MessageType,
    source: PortIdentity,
    seq: u16,
    timestamp: Option<(u64, u32)>,
    requesting: Option<PortIdentity>,
}

#[derive(Debug, Clone, Copy)]
struct Sighting {
    point: PointId,
    time_ns: i64,
    correction: i64,
    src_mac: Option<Mac>,
    src_ip: Option<std::net::IpAddr>,
    /// Hash of the message octets other than correctionField.
    content: u64,
}

#[derive(Debug)]
struct Pending {
    first_ns: i64,
    sightings: Vec<Sighting>,
}

/// One hop's record for one message type.
#[derive(Debug, Clone, Default)]
pub struct HopType {
    pub matched: u64,
    /// Correction delta, ns (rounded).
    pub residence: Stats,
    /// Capture time at `to` minus at `from`, ns.
    pub transit: Stats,
    pub correction_changed: u64,
    pub mac_changed: u64,
    pub mac_kept: u64,
    pub ip_changed: u64,
    pub other_bytes_changed: u64,
    pub negative: u64,
    pub beyond_transit: u64,
    /// (capture time at `from`, residence ns), decimated.
    pub series: Series<(i64, i64), MAX_SERIES>,
}

impl HopType {
    fn add(&mut self, a: &Sighting, b: &Sighting) {
        self.matched += 1;
        let delta_scaled = i128::from(b.correction) - i128::from(a.correction);
        let residence =
            i64::try_from((delta_scaled * 1000 / 65536 + 500).div_euclid(1000)).unwrap_or(i64::MAX);
        let transit = b.time_ns - a.time_ns;
        self.residence.add(residence);
        self.transit.add(transit);
        if delta_scaled != 0 {
            self.correction_changed += 1;
        }
        if residence < 0 {
            self.negative += 1;
        }
        if residence > transit + TRANSIT_SLACK_NS {
            self.beyond_transit += 1;
        }
        match (a.src_mac, b.src_mac) {
            (Some(x), Some(y)) if x != y => self.mac_changed += 1,
            (Some(_), Some(_)) => self.mac_kept += 1,
            _ => {}
        }
        if matches!((a.src_ip, b.src_ip), (Some(x), Some(y)) if x != y) {
            self.ip_changed += 1;
        }
        if a.content != b.content {
            self.other_bytes_changed += 1;
        }
        self.series.push((a.time_ns, residence));
    }
}

/// How a two-step Sync's residence was carried on a hop.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SyncCarriage {
    /// Added to the Sync's correction only (one-step TC behaviour).
    pub in_sync: u64,
    /// Added to the Follow_Up's correction only (two-step TC behaviour).
    pub in_follow_up: u64,
    /// Added to both.
    pub in_both: u64,
    /// Added to neither.
    pub in_neither: u64,
}

/// Correction at one point, per sender port and message type.
#[derive(Debug, Clone, Default)]
pub struct PointCorrections {
    pub count: u64,
    pub nonzero: u64,
    pub correction: Stats,
    last: Option<i64>,
    pub jumps: Vec<Jump>,
    pub jump_count: u64,
}

/// A change of the correction carried by a stream at one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Jump {
    pub time_ns: i64,
    pub from_ns: i64,
    pub to_ns: i64,
}

/// The ledger tracker.
#[derive(Debug)]
pub struct Ledger {
    config: Config,
    /// `--path`: point order; hops only between neighbours on it.
    pub path: Option<Vec<PointId>>,
    pending: HashMap<MsgKey, Pending>,
    pub hops: HashMap<(PointId, PointId, MessageType), HopType>,
    /// Two-step Sync deltas per hop, waiting for their Follow_Up's.
    sync_deltas: HashMap<(PointId, PointId, PortIdentity, u16), i64>,
    pub carriage: HashMap<(PointId, PointId), SyncCarriage>,
    /// Per point pair (lower id first): > 0 when the first is upstream
    /// (nearer the master), from the messages whose correction grew.
    upstream: HashMap<(PointId, PointId), i32>,
    /// The same message seen twice at one point.
    pub duplicates_at_point: HashMap<PointId, u64>,
    pub untracked: u64,
    /// Capture points known so far; matching starts with the second.
    pub point_count: usize,
    last_sweep_ns: i64,
}

fn content_hash(bytes: &[u8]) -> u64 {
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
            sync_deltas: HashMap::default(),
            carriage: HashMap::default(),
            upstream: HashMap::default(),
            point_count: 0,
            duplicates_at_point: HashMap::default(),
            untracked: 0,
            last_sweep_ns: i64::MIN,
        }
    }

    pub fn observe(&mut self, o: &Observation<'_, '_>, now_ns: i64) {
        let h = &o.message.header;
        if matches!(o.message.body, Body::Reserved(_)) {
            return;
        }
        let corr = h.correction_field.0;
        let t = o.time_ns;
        // Across points, once there are several.
        if self.point_count < 2 {
            return;
        }
        if now_ns - self.last_sweep_ns >= WINDOW_NS / 2 {
            self.last_sweep_ns = now_ns;
            self.pending.retain(|_, p| now_ns - p.first_ns <= WINDOW_NS);
            if self.sync_deltas.len() > 4096 {
                self.sync_deltas.clear();
            }
        }
        let key = MsgKey {
            sdo: h.major_sdo_id,
            domain: h.domain_number,
            message_type: h.message_type,
            source: h.source_port_identity,
            seq: h.sequence_id,
            timestamp: o
                .message
                .body
                .timestamp()
                .map(|t| (t.seconds, t.nanoseconds)),
            requesting: o.message.body.requesting_port_identity(),
        };
        let s = Sighting {
            point: o.point,
            time_ns: t,
            correction: corr,
            src_mac: o.link.src_mac,
            src_ip: o.link.src_ip,
            content: content_hash(o.bytes),
        };
        let two_step_sync =
            h.message_type == MessageType::SYNC && h.flags.contains(Flags::TWO_STEP);
        let mut first = false;
        let cap = self.config.max_streams * 16;
        let Some(p) = capped_entry(&mut self.pending, key, cap, || {
            first = true;
            Pending {
                first_ns: t,
                sightings: vec![s],
            }
        }) else {
            self.untracked += 1;
            return;
        };
        if first {
            return;
        }
        if p.sightings.iter().any(|x| x.point == o.point) {
            *self.duplicates_at_point.entry(o.point).or_default() += 1;
            return;
        }
        if p.sightings.len() >= MAX_SIGHTINGS {
            return;
        }
        // The neighbour: on the path, the nearest point already seen;
        // otherwise the latest sighting.
        let prev = match &self.path {
            Some(path) => {
                let pos = |pt| path.iter().position(|&x| x == pt);
                let me = pos(o.point);
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
        let Some(prev) = prev else { return };
        // Direction of travel: capture time. When the two points' clocks
        // disagree (over 1 s apart), the correction's growth, else what the
        // message type says (from the master, or to it) given which point
        // is upstream, as learnt from messages whose correction grew.
        let t = h.message_type;
        let from_master = matches!(
            t,
            MessageType::SYNC
                | MessageType::FOLLOW_UP
                | MessageType::ANNOUNCE
                | MessageType::DELAY_RESP
        );
        let to_master = t == MessageType::DELAY_REQ;
        let pair = (prev.point.min(s.point), prev.point.max(s.point));
        if s.correction != prev.correction && (from_master || to_master) {
            // The later on the message's way is the one with more correction.
            let s_later = s.correction > prev.correction;
            let s_downstream = s_later == from_master;
            let vote = if (s.point == pair.1) == s_downstream {
                1
            } else {
                -1
            };
            let v = self.upstream.entry(pair).or_default();
            *v = (*v + vote).clamp(-1000, 1000);
        }
        let learnt = self.upstream.get(&pair).copied().unwrap_or(0);
        let forward = if learnt.abs() >= DECISIVE && (from_master || to_master) {
            // Which point is upstream is settled: capture times may be
            // skewed by more than the transit (a TC's own clock).
            let s_downstream = (s.point == pair.1) == (learnt > 0);
            s_downstream == from_master
        } else if learnt != 0 && (from_master || to_master) {
            // Not settled: what the votes so far say (capture times may be
            // skewed by more than the transit); a correction that shrank is
            // still seen as negative residence.
            let s_downstream = (s.point == pair.1) == (learnt > 0);
            s_downstream == from_master
        } else if (s.time_ns - prev.time_ns).abs() > 1_000_000_000
            && s.correction != prev.correction
        {
            s.correction > prev.correction
        } else {
            s.time_ns >= prev.time_ns
        };
        let (a, b) = if forward { (prev, s) } else { (s, prev) };
        let hop = (a.point, b.point, h.message_type);
        self.hops.entry(hop).or_default().add(&a, &b);
        let delta = b.correction.wrapping_sub(a.correction);
        if two_step_sync {
            self.sync_deltas
                .insert((a.point, b.point, key.source, key.seq), delta);
        } else if h.message_type == MessageType::FOLLOW_UP
            && let Some(sd) = self
                .sync_deltas
                .remove(&(a.point, b.point, key.source, key.seq))
        {
            let c = self.carriage.entry((a.point, b.point)).or_default();
            match (sd != 0, delta != 0) {
                (true, false) => c.in_sync += 1,
                (false, true) => c.in_follow_up += 1,
                (true, true) => c.in_both += 1,
                (false, false) => c.in_neither += 1,
            }
        }
    }
}

impl PointCorrections {
    pub fn observe(&mut self, corr: i64, t: i64) {
        self.count += 1;
        let ns = corr >> 16;
        if corr != 0 {
            self.nonzero += 1;
        }
        self.correction.add(ns);
        if let Some(last) = self.last
            && (ns - last).abs() > JUMP_NS.max(last.abs() / 2)
        {
            self.jump_count += 1;
            if self.jumps.len() < 16 {
                self.jumps.push(Jump {
                    time_ns: t,
                    from_ns: last,
                    to_ns: ns,
                });
            }
        }
        self.last = Some(ns);
    }
}

/// A hop between two points, all message types together, as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct HopJson {
    pub from: String,
    pub to: String,
    pub message_types: Vec<String>,
    /// Messages seen at both points.
    pub matched: u64,
    /// Correction added on the hop, from the message type that carries it
    /// (the one whose correction changed most often).
    pub residence_ns: Option<Summary>,
    pub transit_ns: Option<Summary>,
    pub source_mac_changed: bool,
    pub source_ip_changed: bool,
    pub other_bytes_changed: bool,
    pub correction_added: bool,
    pub sync_carriage: Option<SyncCarriage>,
    pub per_type: Vec<HopTypeJson>,
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HopTypeJson {
    pub message_type: String,
    pub matched: u64,
    pub residence_ns: Option<Summary>,
    pub transit_ns: Option<Summary>,
    pub correction_changed: u64,
    pub source_mac_changed: u64,
    pub source_ip_changed: u64,
    pub other_bytes_changed: u64,
    pub negative: u64,
    pub beyond_transit: u64,
    /// (capture time at `from`, residence ns), decimated to at most 2048.
    pub series: Vec<(i64, i64)>,
    /// The residence times of every match on up to 40 bins to their 99th
    /// percentile.
    pub residence_histogram: Option<Histogram>,
}

/// Correction carried at one point by one stream, as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct PointCorrectionJson {
    pub point: String,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub port: String,
    pub message_type: String,
    pub count: u64,
    pub nonzero: u64,
    pub correction_ns: Option<Summary>,
    pub jump_count: u64,
    pub jumps: Vec<Jump>,
}

/// The flag texts.
pub const FLAG_KEPT_MAC: &str =
    "frame modified in transit with unchanged source MAC (IEEE 1588 TC vs IEEE 802.1Q)";
pub const FLAG_RESOURCED: &str = "TC re-sourced the frame";
pub const FLAG_NO_CORRECTION: &str =
    "no correction added: not a transparent clock (a switch, a link, or the same wire twice)";
pub const FLAG_SAME_CAPTURE: &str =
    "the two points look like one capture twice (identical messages at identical times)";
pub const FLAG_IN_DELAY_RESP: &str =
    "Delay_Req residence carried in its Delay_Resp (two-step TC, IEEE 1588 11.5.3)";
pub const FLAG_ONE_WAY: &str =
    "no correction added in this direction, though the other direction gets one";
pub const FLAG_NEGATIVE: &str = "negative correction added";
pub const FLAG_BEYOND: &str = "correction added exceeds the capture-time difference";
pub const FLAG_MIXED: &str = "one-step and two-step corrections mixed on one path";
pub const FLAG_UNACCOMPANIED: &str = "residence missing from both a two-step Sync and its Follow_Up, where other Syncs on the hop carry it";
pub const FLAG_SKEW: &str = "capture clocks of the two points disagree by more than 1 s; capture-time checks are not meaningful";

impl Ledger {
    pub fn hops_json(&self, name: &dyn Fn(PointId) -> String) -> Vec<HopJson> {
        let mut pairs: Vec<(PointId, PointId)> =
            self.hops.keys().map(|&(a, b, _)| (a, b)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut out = Vec::new();
        for (a, b) in pairs {
            let mut types: Vec<(&MessageType, &HopType)> = self
                .hops
                .iter()
                .filter(|((x, y, _), _)| (*x, *y) == (a, b))
                .map(|((_, _, t), h)| (t, h))
                .collect();
            types.sort_by_key(|(t, _)| **t);
            // The hop's residence: the message type that carries the
            // correction (Sync, or Follow_Up behind a two-step TC, or
            // Delay_Req on the way back), else the most seen.
            let carrier = types
                .iter()
                .max_by_key(|(_, h)| (h.correction_changed, h.matched))
                .map(|(_, h)| *h);
            let sum = |f: fn(&HopType) -> u64| types.iter().map(|(_, h)| f(h)).sum::<u64>();
            let matched = sum(|h| h.matched);
            let changed = sum(|h| h.correction_changed);
            let other = sum(|h| h.other_bytes_changed);
            let mac_changed = sum(|h| h.mac_changed);
            let mac_kept = sum(|h| h.mac_kept);
            let ip_changed = sum(|h| h.ip_changed);
            let mut flags = Vec::new();
            let modified = changed + other > 0;
            if mac_changed > 0 {
                flags.push(FLAG_RESOURCED.to_owned());
            } else if modified && mac_kept > 0 {
                flags.push(FLAG_KEPT_MAC.to_owned());
            }
            let same_time = carrier
                .and_then(|h| h.transit.quantile(0.5))
                .is_some_and(|m| m == 0);
            if changed == 0 && other == 0 && mac_changed == 0 && same_time {
                flags.push(FLAG_SAME_CAPTURE.to_owned());
            } else if changed == 0 && matched > 0 {
                let back = self
                    .hops
                    .iter()
                    .filter(|((x, y, _), _)| (*x, *y) == (b, a))
                    .map(|((_, _, t), h)| (*t, h.correction_changed))
                    .collect::<Vec<_>>();
                let delay_req_only = types.iter().all(|(t, _)| **t == MessageType::DELAY_REQ);
                let resp_carries = back
                    .iter()
                    .any(|(t, n)| *t == MessageType::DELAY_RESP && *n > 0);
                if delay_req_only && resp_carries {
                    flags.push(FLAG_IN_DELAY_RESP.to_owned());
                } else if back.iter().all(|(_, n)| *n == 0) {
                    flags.push(FLAG_NO_CORRECTION.to_owned());
                } else {
                    flags.push(FLAG_ONE_WAY.to_owned());
                }
            }
            if sum(|h| h.negative) > 0 {
                flags.push(format!(
                    "{FLAG_NEGATIVE} ({} messages)",
                    sum(|h| h.negative)
                ));
            }
            let skew = types
                .iter()
                .filter_map(|(_, h)| h.transit.quantile(0.5))
                .any(|m| m.abs() > 1_000_000_000);
            if skew {
                flags.push(FLAG_SKEW.to_owned());
            } else if sum(|h| h.beyond_transit) > 0 {
                flags.push(format!(
                    "{FLAG_BEYOND} ({} messages)",
                    sum(|h| h.beyond_transit)
                ));
            }
            let carriage = self.carriage.get(&(a, b)).copied();
            if let Some(c) = carriage {
                let kinds = [c.in_sync, c.in_follow_up, c.in_both]
                    .iter()
                    .filter(|n| **n > 0)
                    .count();
                if kinds > 1 || c.in_both > 0 {
                    flags.push(FLAG_MIXED.to_owned());
                }
                if c.in_neither > 0 && kinds > 0 {
                    flags.push(format!(
                        "{FLAG_UNACCOMPANIED} ({} of {} two-step Syncs)",
                        c.in_neither,
                        c.in_neither + c.in_sync + c.in_follow_up + c.in_both
                    ));
                }
            }
            out.push(HopJson {
                from: name(a),
                to: name(b),
                message_types: types.iter().map(|(t, _)| t.to_string()).collect(),
                matched,
                residence_ns: carrier.and_then(|h| h.residence.summary()),
                transit_ns: carrier.and_then(|h| h.transit.summary()),
                source_mac_changed: mac_changed > 0,
                source_ip_changed: ip_changed > 0,
                other_bytes_changed: other > 0,
                correction_added: changed > 0,
                sync_carriage: carriage,
                per_type: types
                    .iter()
                    .map(|(t, h)| HopTypeJson {
                        message_type: t.to_string(),
                        matched: h.matched,
                        residence_ns: h.residence.summary(),
                        transit_ns: h.transit.summary(),
                        correction_changed: h.correction_changed,
                        source_mac_changed: h.mac_changed,
                        source_ip_changed: h.ip_changed,
                        other_bytes_changed: h.other_bytes_changed,
                        negative: h.negative,
                        beyond_transit: h.beyond_transit,
                        series: h.series.as_slice().to_vec(),
                        residence_histogram: h.residence.histogram(40, 0.99),
                    })
                    .collect(),
                flags,
            });
        }
        out
    }

    /// Streams whose correction is not always zero, from the health tracker.
    pub fn corrections_json(
        health: &super::health::Health,
        name: &dyn Fn(PointId) -> String,
    ) -> Vec<PointCorrectionJson> {
        let mut v: Vec<_> = health
            .streams
            .iter()
            .filter(|(_, s)| s.corrections.nonzero > 0)
            .collect();
        v.sort_by_key(|(k, _)| **k);
        v.into_iter()
            .map(|(k, s)| {
                let p = &s.corrections;
                PointCorrectionJson {
                    point: name(k.point),
                    major_sdo_id: k.major_sdo_id,
                    domain: k.domain,
                    port: k.port.to_string(),
                    message_type: k.message_type.to_string(),
                    count: p.count,
                    nonzero: p.nonzero,
                    correction_ns: p.correction.summary(),
                    jump_count: p.jump_count,
                    jumps: p.jumps.clone(),
                }
            })
            .collect()
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
            link: &f,
            message: &m,
            bytes: &bytes,
        });
    }

    fn names(p: PointId) -> String {
        ["a", "b", "c"][p].to_owned()
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
        let hops = a.ledger.hops_json(&names);
        let pairs: Vec<(&str, &str)> = hops
            .iter()
            .map(|h| (h.from.as_str(), h.to.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "b"), ("b", "c")], "never a -> c");
        let ab = &hops[0];
        assert_eq!(ab.matched, 10);
        assert_eq!(ab.residence_ns.unwrap().median, 40);
        assert!(ab.source_mac_changed && ab.flags.contains(&FLAG_RESOURCED.to_owned()));
        let bc = &hops[1];
        assert_eq!(bc.residence_ns.unwrap().median, 30);
        assert!(!bc.source_mac_changed);
        assert!(
            bc.flags.contains(&FLAG_KEPT_MAC.to_owned()),
            "{:?}",
            bc.flags
        );
        assert_eq!(bc.transit_ns.unwrap().median, 40 * US);
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
        let h = &a.ledger.hops_json(&names)[0];
        assert!(h.other_bytes_changed);
        let f = h.flags.join("; ");
        assert!(f.contains(FLAG_NEGATIVE), "{f}");
        assert!(f.contains(FLAG_BEYOND), "{f}");
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
        let h = &a.ledger.hops_json(&names)[0];
        let c = h.sync_carriage.unwrap();
        assert_eq!((c.in_sync, c.in_follow_up, c.in_neither), (1, 1, 1));
        let f = h.flags.join("; ");
        assert!(f.contains(FLAG_MIXED), "{f}");
        assert!(f.contains(FLAG_UNACCOMPANIED), "{f}");
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
