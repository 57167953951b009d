//! The transparent-clock ledger's hops as JSON, with their findings worded
//! ([`hop_text`]; `report::findings` grades them).

use serde::Serialize;

use crate::analysis::PointId;
use crate::analysis::ledger::{HopFinding, HopResult, Ledger, PerType, SyncCarriage};
use crate::analysis::stats::{Histogram, Summary};

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
    pub sync_carriage: Option<SyncCarriageJson>,
    pub per_type: Vec<HopTypeJson>,
    /// The hop's findings, worded.
    #[serde(serialize_with = "worded")]
    pub flags: Vec<HopFinding>,
}

fn worded<S: serde::Serializer>(flags: &[HopFinding], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(flags.iter().map(|&f| hop_text(f)))
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

/// How a two-step Sync's residence was carried on a hop.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SyncCarriageJson {
    /// Added to the Sync's correction only (one-step TC behaviour).
    pub in_sync: u64,
    /// Added to the Follow_Up's correction only (two-step TC behaviour).
    pub in_follow_up: u64,
    /// Added to both.
    pub in_both: u64,
    /// Added to neither.
    pub in_neither: u64,
}

impl From<SyncCarriage> for SyncCarriageJson {
    fn from(c: SyncCarriage) -> Self {
        Self {
            in_sync: c.in_sync,
            in_follow_up: c.in_follow_up,
            in_both: c.in_both,
            in_neither: c.in_neither,
        }
    }
}

impl From<&PerType<'_>> for HopTypeJson {
    fn from(t: &PerType<'_>) -> Self {
        let h = t.stats;
        Self {
            message_type: t.message_type.to_string(),
            matched: h.matched,
            residence_ns: h.residence.summary(),
            transit_ns: h.transit.summary(),
            correction_changed: h.correction_changed,
            source_mac_changed: h.source_mac_changed,
            source_ip_changed: h.source_ip_changed,
            other_bytes_changed: h.other_bytes_changed,
            negative: h.negative,
            beyond_transit: h.beyond_transit,
            series: h.series.as_slice().to_vec(),
            residence_histogram: h.residence.histogram(40, 0.99),
        }
    }
}

impl HopJson {
    pub fn new(h: &HopResult<'_>, point_name: &dyn Fn(PointId) -> String) -> Self {
        Self {
            from: point_name(h.hop.from),
            to: point_name(h.hop.to),
            message_types: h
                .per_type
                .iter()
                .map(|t| t.message_type.to_string())
                .collect(),
            matched: h.matched,
            residence_ns: h.carrier.and_then(|c| c.residence.summary()),
            transit_ns: h.carrier.and_then(|c| c.transit.summary()),
            source_mac_changed: h.source_mac_changed > 0,
            source_ip_changed: h.source_ip_changed > 0,
            other_bytes_changed: h.other_bytes_changed > 0,
            correction_added: h.correction_changed > 0,
            sync_carriage: h.sync_carriage.map(SyncCarriageJson::from),
            per_type: h.per_type.iter().map(HopTypeJson::from).collect(),
            flags: h.findings.clone(),
        }
    }
}

/// A hop finding in words.
pub fn hop_text(f: HopFinding) -> String {
    match f {
        HopFinding::Resourced => "TC re-sourced the frame".into(),
        HopFinding::KeptMac => "frame modified in transit with unchanged source MAC (IEEE 1588 TC vs IEEE 802.1Q)".into(),
        HopFinding::SameCapture => "the two points look like one capture twice (identical messages at identical times)".into(),
        HopFinding::InDelayResp => "Delay_Req residence carried in its Delay_Resp (two-step TC, IEEE 1588 11.5.3)".into(),
        HopFinding::NoCorrection => "no correction added: not a transparent clock (a switch, a link, or the same wire twice)".into(),
        HopFinding::OneWay => "no correction added in this direction, though the other direction gets one".into(),
        HopFinding::Negative { messages } => {
            format!("negative correction added ({messages} messages)")
        }
        HopFinding::Skew => "capture clocks of the two points disagree by more than 1 s; capture-time checks are not meaningful".into(),
        HopFinding::BeyondTransit { messages } => {
            format!("correction added exceeds the capture-time difference ({messages} messages)")
        }
        HopFinding::Mixed => "one-step and two-step corrections mixed on one path".into(),
        HopFinding::Unaccompanied {
            missing,
            two_step_syncs,
        } => format!(
            "residence missing from both a two-step Sync and its Follow_Up, where other Syncs on the hop carry it ({missing} of {two_step_syncs} two-step Syncs)"
        ),
    }
}

/// Every hop of the ledger, in (from, to) order of the points.
pub fn hops(ledger: &Ledger, point_name: &dyn Fn(PointId) -> String) -> Vec<HopJson> {
    ledger
        .hops()
        .iter()
        .map(|h| HopJson::new(h, point_name))
        .collect()
}
