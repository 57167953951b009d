//! The health tracker's streams as JSON: per point, sender port and
//! message type, intervals and sequence events; and the correctionField
//! each stream carried (kept beside them, `Analyzer::corrections`).

use serde::Serialize;

use crate::analysis::correction::{Jump, PointCorrections};
use crate::analysis::health::{Event, EventKind, FlagChange, Health, Stream, StreamKey};
use crate::analysis::log_interval_ns;
use crate::analysis::stats::Summary;
use crate::analysis::{PointId, Table};
use crate::wire::Flags;

/// The JSON form of a stream.
#[derive(Debug, Clone, Serialize)]
pub struct StreamJson {
    pub point: String,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub port: String,
    pub message_type: String,
    pub peer: Option<String>,
    pub count: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    pub interval_ns: Option<Summary>,
    pub advertised_log_interval: i8,
    pub advertised_interval_ns: Option<i64>,
    pub advertised_changes: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub restarts: u64,
    pub timeouts: u64,
    pub longest_silence_ns: i64,
    pub silent_at_end_ns: Option<i64>,
    pub flag_change_count: u64,
    pub flag_changes: Vec<FlagChangeJson>,
    pub response_ns: Option<Summary>,
    /// (capture time, interval ns), decimated to at most 1024 for plots.
    pub interval_series: Vec<(i64, i64)>,
    /// Gaps, duplicates, reordering, restarts and timeouts with their
    /// times: the first 64.
    pub events: Vec<EventJson>,
}

/// A change of the flag field between consecutive messages of a stream.
#[derive(Debug, Clone, Serialize)]
pub struct FlagChangeJson {
    pub time_ns: i64,
    pub frame: u64,
    /// The flags set before, by name.
    pub from: Vec<String>,
    pub to: Vec<String>,
}

/// A sequence or timeout event, where it happened.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EventJson {
    pub time_ns: i64,
    pub frame: u64,
    /// "gap", "duplicate", "reordered", "restart" or "timeout".
    pub kind: &'static str,
    /// For a gap, the sequenceIds skipped; for a timeout, the silence, ns.
    pub count: u64,
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
    pub jumps: Vec<JumpJson>,
}

/// A change of the correction carried by a stream at one point.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct JumpJson {
    pub time_ns: i64,
    pub from_ns: i64,
    pub to_ns: i64,
}

/// An event kind's name.
pub fn event_name(k: EventKind) -> &'static str {
    match k {
        EventKind::Gap => "gap",
        EventKind::Duplicate => "duplicate",
        EventKind::Reordered => "reordered",
        EventKind::Restart => "restart",
        EventKind::Timeout => "timeout",
    }
}

fn flag_names(f: Flags) -> Vec<String> {
    f.names().map(|n| n.to_string()).collect()
}

impl From<&FlagChange> for FlagChangeJson {
    fn from(c: &FlagChange) -> Self {
        Self {
            time_ns: c.time_ns,
            frame: c.frame,
            from: flag_names(c.from),
            to: flag_names(c.to),
        }
    }
}

impl From<&Event> for EventJson {
    fn from(e: &Event) -> Self {
        Self {
            time_ns: e.time_ns,
            frame: e.frame,
            kind: event_name(e.kind),
            count: e.count,
        }
    }
}

impl From<&Jump> for JumpJson {
    fn from(j: &Jump) -> Self {
        Self {
            time_ns: j.time_ns,
            from_ns: j.from_ns,
            to_ns: j.to_ns,
        }
    }
}

impl StreamJson {
    pub fn new(k: &StreamKey, s: &Stream, point: String) -> Self {
        Self {
            point,
            major_sdo_id: k.major_sdo_id,
            domain: k.domain_number,
            port: k.source_port_identity.to_string(),
            message_type: k.message_type.to_string(),
            peer: k.requesting_port_identity.map(|p| p.to_string()),
            count: s.count,
            first_ns: s.first_ns,
            last_ns: s.last_ns,
            interval_ns: s.intervals.summary(),
            advertised_log_interval: s.advertised_log_interval,
            advertised_interval_ns: log_interval_ns(s.advertised_log_interval),
            advertised_changes: s.advertised_changes,
            gaps: s.gaps,
            duplicates: s.duplicates,
            reordered: s.reordered,
            restarts: s.restarts,
            timeouts: s.timeouts,
            longest_silence_ns: s.longest_silence_ns,
            silent_at_end_ns: s.silent_at_end_ns,
            flag_change_count: s.flag_change_count,
            flag_changes: s.flag_changes.iter().map(FlagChangeJson::from).collect(),
            response_ns: s.response.as_ref().and_then(|r| r.summary()),
            interval_series: s.interval_series.as_slice().to_vec(),
            events: s.events.iter().map(EventJson::from).collect(),
        }
    }
}

impl PointCorrectionJson {
    pub fn new(k: &StreamKey, c: &PointCorrections, point: String) -> Self {
        Self {
            point,
            major_sdo_id: k.major_sdo_id,
            domain: k.domain_number,
            port: k.source_port_identity.to_string(),
            message_type: k.message_type.to_string(),
            count: c.count,
            nonzero: c.nonzero,
            correction_ns: c.correction.summary(),
            jump_count: c.jump_count,
            jumps: c.jumps.iter().map(JumpJson::from).collect(),
        }
    }
}

/// The streams in key order.
fn sorted<V>(streams: &Table<StreamKey, V>) -> Vec<(&StreamKey, &V)> {
    let mut v: Vec<_> = streams.iter().collect();
    v.sort_by_key(|(k, _)| **k);
    v
}

/// Every stream, in point, then header order.
pub fn streams(health: &Health, point_name: &dyn Fn(PointId) -> String) -> Vec<StreamJson> {
    sorted(&health.streams)
        .into_iter()
        .map(|(k, s)| StreamJson::new(k, s, point_name(k.point)))
        .collect()
}

/// Streams whose correction is not always zero, in the order of
/// [`streams`].
pub fn corrections(
    corrections: &Table<StreamKey, PointCorrections>,
    point_name: &dyn Fn(PointId) -> String,
) -> Vec<PointCorrectionJson> {
    sorted(corrections)
        .into_iter()
        .filter(|(_, c)| c.nonzero > 0)
        .map(|(k, c)| PointCorrectionJson::new(k, c, point_name(k.point)))
        .collect()
}
