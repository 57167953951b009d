//! The result of an analysis as one serializable value: the `analyze
//! --format json` schema (documented in the README), built from the
//! trackers' plain results with the capture points' names; its text form
//! is in `text.rs` ([`Summary::text`]).
//!
//! - [`clocks`]: clocks, ports, grandmasters and grandmaster changes;
//! - [`streams`]: per stream health, and the correctionField per stream;
//! - [`hops`]: the transparent-clock ledger's hops.

pub mod clocks;
pub mod hops;
pub mod profiles;
pub mod streams;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;

pub use clocks::{ClockJson, DatasetJson, GmChangeJson, GrandmasterJson, PortJson};
pub use hops::{HopJson, HopTypeJson, SyncCarriageJson};
pub use streams::{EventJson, FlagChangeJson, PointCorrectionJson, StreamJson};
pub use text::fmt_ns;

use crate::analysis::exchange::Counts;
use crate::analysis::security::Alert;
use crate::analysis::stats::{Span, Summary as SummaryStats};
use crate::analysis::{Analyzer, MalformedRecord, PointId};
use crate::wire::MessageType;

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub points: Vec<PointJson>,
    /// Every PTP message (v2, v1 and malformed).
    pub ptp_messages: u64,
    /// v2 messages per message type name; `PTPv1` and `malformed` too.
    pub messages: BTreeMap<String, u64>,
    pub exchanges: ExchangesJson,
    pub clocks: Vec<ClockJson>,
    pub grandmasters: Vec<GrandmasterJson>,
    pub grandmaster_changes: Vec<GmChangeJson>,
    /// Changes beyond those listed.
    pub grandmaster_changes_total: u64,
    /// Per majorSdoId and domain: the profile told from the wire.
    pub profiles: Vec<profiles::ProfileJson>,
    pub health: Vec<StreamJson>,
    /// The transparent-clock ledger: one entry per ordered pair of
    /// neighbouring capture points that saw the same messages.
    pub hops: Vec<HopJson>,
    /// Per point, sender port and message type: the correction carried,
    /// for streams where it is not always zero.
    pub corrections: Vec<PointCorrectionJson>,
    /// Per point: Delay_Resp correctionField minus its Delay_Req's.
    pub delay_correction_consistency: Vec<DelayConsistencyJson>,
    pub errors: ErrorsJson,
    /// Problems with the inputs as a whole (a point without PTP, …).
    pub warnings: Vec<String>,
    /// Messages not tracked because a table was full (bounded memory).
    pub untracked: u64,
    /// Messages kept out of the exchanges, hence out of every estimate.
    pub set_aside: SetAsideJson,
    /// What ports announced of their grandmaster, changed mid-capture
    /// (worded into `findings`).
    #[serde(skip)]
    pub dataset_changes: Vec<crate::analysis::inventory::DatasetChange>,
    /// The security tracker's alerts with their points' names: worded
    /// into `findings` (`report::findings::security`).
    #[serde(skip)]
    pub alerts: Vec<(Alert, Option<String>)>,
}

/// Messages kept out of the exchanges, by reason.
#[derive(Debug, Clone, Serialize)]
pub struct SetAsideJson {
    /// Messages another clock sent under a master's identity.
    pub spoofed: u64,
    /// Copies of earlier messages.
    pub replayed: u64,
    /// Messages with a timestamp no clock can send (nanoseconds ≥ 10^9).
    pub invalid: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PointJson {
    pub name: String,
    pub frames: u64,
    pub ptp_messages: u64,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExchangesJson {
    pub sync_follow_up: CountsJson,
    pub delay_req_resp: CountsJson,
    pub pdelay: CountsJson,
    pub unicast_negotiation: CountsJson,
    /// CANCEL_UNICAST_TRANSMISSION answered by ACKNOWLEDGE_CANCEL.
    pub unicast_cancel: CountsJson,
    /// Delay_Req/Delay_Resp exchanges paired with a Sync (t1..t4 complete).
    pub e2e_measurements: u64,
}

/// Counts of one kind of exchange.
#[derive(Debug, Clone, Serialize)]
pub struct CountsJson {
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
    /// Unicast: requests re-sent with a new sequenceId while the previous
    /// one waited.
    pub retries: u64,
    /// One-step Syncs, one-step Pdelay_Resps, unicast denials.
    pub one_step: u64,
    /// Time from request to answer, for matched exchanges.
    pub response_ns: Option<SummaryStats>,
    /// How long late answers came after their request.
    pub late_wait_ns: Option<SummaryStats>,
    /// When the unmatched requests, orphans and late answers were
    /// captured: `first_ns`, `last_ns`.
    pub problems_at: Span,
}

impl From<&Counts> for CountsJson {
    fn from(c: &Counts) -> Self {
        Self {
            matched: c.matched,
            unmatched: c.unmatched,
            orphans: c.orphans,
            late: c.late,
            duplicates: c.duplicates,
            retries: c.retries,
            one_step: c.one_step,
            response_ns: c.response.summary(),
            late_wait_ns: c.late_wait.summary(),
            problems_at: c.problems_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DelayConsistencyJson {
    pub point: String,
    pub resp_minus_req_ns: Option<SummaryStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorsJson {
    pub count: u64,
    /// The first ones, with point, frame, field and byte offset.
    pub first: Vec<MalformedJson>,
}

/// A malformed frame or message.
#[derive(Debug, Clone, Serialize)]
pub struct MalformedJson {
    pub point: String,
    pub frame: u64,
    pub field: &'static str,
    pub offset: usize,
    pub message: String,
}

impl MalformedJson {
    fn new(e: &MalformedRecord, point_name: &dyn Fn(PointId) -> String) -> Self {
        Self {
            point: point_name(e.point_id),
            frame: e.frame,
            field: e.field,
            offset: e.offset,
            message: e.message.clone(),
        }
    }
}

/// A message type's name, from its messageType nibble.
fn type_name(i: usize) -> String {
    MessageType(i as u8).to_string()
}

impl Summary {
    /// The analysis so far; `point_name` names the capture points.
    pub fn new(a: &Analyzer, point_name: &dyn Fn(PointId) -> String) -> Self {
        let mut messages = BTreeMap::new();
        for (i, &n) in a.messages.iter().enumerate() {
            if n > 0 {
                messages.insert(type_name(i), n);
            }
        }
        if a.v1_messages > 0 {
            messages.insert("PTPv1".into(), a.v1_messages);
        }
        if a.malformed > 0 {
            messages.insert("malformed".into(), a.malformed);
        }
        let points: Vec<PointJson> = a
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| PointJson {
                name: point_name(i),
                frames: p.frames,
                ptp_messages: p.ptp_messages,
                first_ns: p.first_ns,
                last_ns: p.last_ns,
            })
            .collect();
        let e = &a.exchanges;
        Self {
            schema_version: SCHEMA_VERSION,
            points,
            ptp_messages: a.messages.iter().sum::<u64>() + a.v1_messages + a.malformed,
            messages,
            exchanges: ExchangesJson {
                sync_follow_up: (&e.sync_follow_up).into(),
                delay_req_resp: (&e.delay_req_resp).into(),
                pdelay: (&e.pdelay).into(),
                unicast_negotiation: (&e.unicast_negotiation).into(),
                unicast_cancel: (&e.unicast_cancel).into(),
                e2e_measurements: e.e2e_measurements,
            },
            clocks: clocks::clocks(&a.inventory, point_name),
            grandmasters: clocks::grandmasters(&a.inventory),
            grandmaster_changes: a.inventory.changes.iter().map(GmChangeJson::from).collect(),
            grandmaster_changes_total: a.inventory.change_count,
            profiles: profiles::profiles(&a.profiles),
            health: streams::streams(&a.health, point_name),
            hops: hops::hops(&a.ledger, point_name),
            corrections: streams::corrections(&a.corrections, point_name),
            delay_correction_consistency: {
                let mut v: Vec<_> = e.delay_resp_minus_req_correction.iter().collect();
                v.sort_by_key(|(p, _)| **p);
                v.into_iter()
                    .map(|(p, s)| DelayConsistencyJson {
                        point: point_name(*p),
                        resp_minus_req_ns: s.summary(),
                    })
                    .collect()
            },
            errors: ErrorsJson {
                count: a.malformed,
                first: a
                    .errors
                    .iter()
                    .map(|e| MalformedJson::new(e, point_name))
                    .collect(),
            },
            warnings: a
                .points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.ptp_messages == 0)
                // With --point-per-session a capture whose frames all went
                // to its sessions' points (named POINT/session) is not
                // short of PTP.
                .filter(|&(i, p)| {
                    let prefix = format!("{}/", point_name(i));
                    p.frames > 0 || !(0..a.points.len()).any(|j| point_name(j).starts_with(&prefix))
                })
                .map(|(i, p)| {
                    format!(
                        "capture point {}: {} frames, no PTP message",
                        point_name(i),
                        p.frames
                    )
                })
                .collect(),
            untracked: a.untracked(),
            dataset_changes: a.inventory.dataset_changes.clone(),
            set_aside: SetAsideJson {
                spoofed: a.security.set_aside[0],
                replayed: a.security.set_aside[1],
                invalid: a.security.set_aside[2],
            },
            alerts: a
                .security
                .alerts
                .iter()
                .map(|al| (al.clone(), al.point.map(point_name)))
                .collect(),
        }
    }
}
