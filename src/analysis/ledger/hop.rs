//! A hop between two capture points: per message type, what the messages
//! that crossed it had added to their correctionField (IEEE 1588-2019
//! §10.2, §11.5) and what else changed; and what that says about the
//! transparent clock between the points, as [`HopFinding`]s.

use super::{Ledger, Sighting};
use crate::analysis::PointId;
use crate::analysis::stats::{Series, Stats};
use crate::wire::{Duration, MessageType};

/// Samples kept per hop series (decimated beyond, see [`Series`]).
const MAX_SERIES: usize = 2048;
/// Slack for capture-time noise when checking a correction against transit.
const TRANSIT_SLACK_NS: i64 = 100_000;
/// A median transit beyond this means the two capture clocks disagree.
const SKEW_NS: i64 = 1_000_000_000;

/// Two capture points in the direction a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hop {
    pub from: PointId,
    pub to: PointId,
}

/// A hop, for one message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HopKey {
    pub hop: Hop,
    pub message_type: MessageType,
}

/// One hop's record for one message type.
#[derive(Debug, Clone, Default)]
pub struct HopStats {
    /// Messages seen at both points.
    pub matched: u64,
    /// Correction delta, ns (rounded).
    pub residence: Stats,
    /// Capture time at `to` minus at `from`, ns.
    pub transit: Stats,
    pub correction_changed: u64,
    pub source_mac_changed: u64,
    pub source_mac_kept: u64,
    pub source_ip_changed: u64,
    pub other_bytes_changed: u64,
    /// Messages whose correction shrank.
    pub negative: u64,
    /// Messages whose correction grew by more than the capture times allow.
    pub beyond_transit: u64,
    /// (capture time at `from`, residence ns), decimated.
    pub series: Series<(i64, i64), MAX_SERIES>,
}

impl HopStats {
    /// Files the message seen at `a` and then at `b`.
    pub(super) fn add(&mut self, a: &Sighting, b: &Sighting) {
        self.matched += 1;
        let delta_scaled = i128::from(b.correction_field) - i128::from(a.correction_field);
        let residence =
            i64::try_from((delta_scaled * 1000 / Duration::SCALE + 500).div_euclid(1000))
                .unwrap_or(i64::MAX);
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
        match (a.source_mac, b.source_mac) {
            (Some(x), Some(y)) if x != y => self.source_mac_changed += 1,
            (Some(_), Some(_)) => self.source_mac_kept += 1,
            _ => {}
        }
        if matches!((a.source_ip, b.source_ip), (Some(x), Some(y)) if x != y) {
            self.source_ip_changed += 1;
        }
        if a.content != b.content {
            self.other_bytes_changed += 1;
        }
        self.series.push((a.time_ns, residence));
    }
}

/// How a two-step Sync's residence was carried on a hop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

impl SyncCarriage {
    /// Files a two-step Sync and its Follow_Up: whether each had
    /// correction added on the hop.
    pub(super) fn add(&mut self, sync: bool, follow_up: bool) {
        match (sync, follow_up) {
            (true, false) => self.in_sync += 1,
            (false, true) => self.in_follow_up += 1,
            (true, true) => self.in_both += 1,
            (false, false) => self.in_neither += 1,
        }
    }

    /// Two-step Syncs whose Follow_Up was seen on the hop.
    pub fn total(&self) -> u64 {
        self.in_neither + self.in_sync + self.in_follow_up + self.in_both
    }
}

/// What a hop's records say about the transparent clock between its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopFinding {
    /// The source MAC changed: the TC sent the frame as its own.
    Resourced,
    /// The message was modified and its source MAC kept: the IEEE 1588 TC
    /// against IEEE 802.1Q layering conflict.
    KeptMac,
    /// Nothing changed and the capture times are equal: one capture twice.
    SameCapture,
    /// No correction on Delay_Req, while the Delay_Resps coming back carry
    /// it: a two-step E2E TC puts a Delay_Req's residence in its Delay_Resp
    /// (§11.5.3).
    InDelayResp,
    /// No correction either way: a switch, a link, or the same wire twice.
    NoCorrection,
    /// No correction this way, though the other way gets one.
    OneWay,
    /// `messages` had their correction shrink.
    Negative { messages: u64 },
    /// The two capture clocks disagree by more than 1 s: capture-time
    /// checks mean nothing.
    Skew,
    /// `messages` gained more correction than the capture times allow.
    BeyondTransit { messages: u64 },
    /// One-step and two-step carriage mixed on one path.
    Mixed,
    /// `missing` two-step Syncs (of `two_step_syncs`) had no residence in
    /// either the Sync or the Follow_Up, where others on the hop had it.
    Unaccompanied { missing: u64, two_step_syncs: u64 },
}

/// One message type's record on a hop.
#[derive(Debug, Clone, Copy)]
pub struct PerType<'a> {
    pub message_type: MessageType,
    pub stats: &'a HopStats,
}

/// A hop, all message types together.
#[derive(Debug, Clone)]
pub struct HopResult<'a> {
    pub hop: Hop,
    /// In messageType order.
    pub per_type: Vec<PerType<'a>>,
    /// The message type that carries the hop's correction: Sync, or
    /// Follow_Up behind a two-step TC, or Delay_Req on the way back (the one
    /// whose correction changed most often, then the most seen).
    pub carrier: Option<&'a HopStats>,
    /// Totals over the message types.
    pub matched: u64,
    pub correction_changed: u64,
    pub other_bytes_changed: u64,
    pub source_mac_changed: u64,
    pub source_ip_changed: u64,
    pub sync_carriage: Option<SyncCarriage>,
    pub findings: Vec<HopFinding>,
}

impl Ledger {
    /// Every hop, in (from, to) order, with its findings.
    pub fn hops(&self) -> Vec<HopResult<'_>> {
        let mut hops: Vec<Hop> = self.hops.keys().map(|k| k.hop).collect();
        hops.sort_unstable();
        hops.dedup();
        hops.into_iter().map(|hop| self.hop(hop)).collect()
    }

    fn per_type(&self, hop: Hop) -> Vec<PerType<'_>> {
        let mut v: Vec<PerType<'_>> = self
            .hops
            .iter()
            .filter(|(k, _)| k.hop == hop)
            .map(|(k, stats)| PerType {
                message_type: k.message_type,
                stats,
            })
            .collect();
        v.sort_by_key(|t| t.message_type);
        v
    }

    fn hop(&self, hop: Hop) -> HopResult<'_> {
        let per_type = self.per_type(hop);
        let carrier = per_type
            .iter()
            .max_by_key(|t| (t.stats.correction_changed, t.stats.matched))
            .map(|t| t.stats);
        let sum = |f: fn(&HopStats) -> u64| per_type.iter().map(|t| f(t.stats)).sum::<u64>();
        let matched = sum(|h| h.matched);
        let changed = sum(|h| h.correction_changed);
        let other = sum(|h| h.other_bytes_changed);
        let mac_changed = sum(|h| h.source_mac_changed);
        let mac_kept = sum(|h| h.source_mac_kept);
        let mut findings = Vec::new();
        let modified = changed + other > 0;
        if mac_changed > 0 {
            findings.push(HopFinding::Resourced);
        } else if modified && mac_kept > 0 {
            findings.push(HopFinding::KeptMac);
        }
        let same_time = carrier
            .and_then(|h| h.transit.quantile(0.5))
            .is_some_and(|m| m == 0);
        if changed == 0 && other == 0 && mac_changed == 0 && same_time {
            findings.push(HopFinding::SameCapture);
        } else if changed == 0 && matched > 0 {
            let back = self.per_type(Hop {
                from: hop.to,
                to: hop.from,
            });
            let delay_req_only = per_type
                .iter()
                .all(|t| t.message_type == MessageType::DELAY_REQ);
            let resp_carries = back.iter().any(|t| {
                t.message_type == MessageType::DELAY_RESP && t.stats.correction_changed > 0
            });
            if delay_req_only && resp_carries {
                findings.push(HopFinding::InDelayResp);
            } else if back.iter().all(|t| t.stats.correction_changed == 0) {
                findings.push(HopFinding::NoCorrection);
            } else {
                findings.push(HopFinding::OneWay);
            }
        }
        let negative = sum(|h| h.negative);
        if negative > 0 {
            findings.push(HopFinding::Negative { messages: negative });
        }
        let skew = per_type
            .iter()
            .filter_map(|t| t.stats.transit.quantile(0.5))
            .any(|m| m.abs() > SKEW_NS);
        let beyond = sum(|h| h.beyond_transit);
        if skew {
            findings.push(HopFinding::Skew);
        } else if beyond > 0 {
            findings.push(HopFinding::BeyondTransit { messages: beyond });
        }
        let sync_carriage = self.carriage.get(&hop).copied();
        if let Some(c) = sync_carriage {
            let kinds = [c.in_sync, c.in_follow_up, c.in_both]
                .iter()
                .filter(|n| **n > 0)
                .count();
            if kinds > 1 || c.in_both > 0 {
                findings.push(HopFinding::Mixed);
            }
            if c.in_neither > 0 && kinds > 0 {
                findings.push(HopFinding::Unaccompanied {
                    missing: c.in_neither,
                    two_step_syncs: c.total(),
                });
            }
        }
        HopResult {
            hop,
            carrier,
            matched,
            correction_changed: changed,
            other_bytes_changed: other,
            source_mac_changed: mac_changed,
            source_ip_changed: sum(|h| h.source_ip_changed),
            sync_carriage,
            findings,
            per_type,
        }
    }
}
