//! The result of an analysis as one serializable value: the `analyze
//! --format json` schema (documented in the README) and the text summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::exchange::Counts;
use super::health::StreamJson;
use super::inventory::{Dataset, GmChange};
use super::ledger::{HopJson, PointCorrectionJson};
use super::stats::Summary as SummaryStats;
use super::{Analyzer, MalformedRecord, PointId};
use crate::wire::link::Mac;
use crate::wire::{ClockIdentity, MessageType};

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
    pub sync_follow_up: Counts,
    pub delay_req_resp: Counts,
    pub pdelay: Counts,
    pub unicast_negotiation: Counts,
    /// Delay_Req/Delay_Resp exchanges paired with a Sync (t1..t4 complete).
    pub e2e_measurements: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortJson {
    pub port_number: u16,
    pub port_identity: String,
    pub roles: Vec<&'static str>,
    pub sent: BTreeMap<String, u64>,
    pub macs: Vec<String>,
    pub ips: Vec<String>,
    pub points: Vec<String>,
    pub first_ns: i64,
    pub last_ns: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockJson {
    pub clock_identity: ClockIdentity,
    pub major_sdo_id: u8,
    pub domain: u8,
    /// "grandmaster", "master", "slave", "master+slave", "peer-delay only",
    /// "management" or "unknown".
    pub role: String,
    pub ports: Vec<PortJson>,
    /// The Announce dataset, for a clock announced as grandmaster.
    pub grandmaster: Option<Dataset>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GrandmasterJson {
    pub major_sdo_id: u8,
    pub domain: u8,
    pub announces: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    pub announced_by: Vec<String>,
    pub current: bool,
    #[serde(flatten)]
    pub dataset: Dataset,
}

#[derive(Debug, Clone, Serialize)]
pub struct GmChangeJson {
    #[serde(flatten)]
    pub change: GmChange,
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
    pub first: Vec<MalformedRecord>,
}

fn type_name(i: usize) -> String {
    MessageType(i as u8).to_string()
}

impl Summary {
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
        let mut clocks = Vec::new();
        let mut grandmasters = Vec::new();
        let by_domain = a.inventory.clocks();
        for (&(sdo, domain), d) in &a.inventory.domains {
            for (id, c) in by_domain.get(&(sdo, domain)).into_iter().flatten() {
                let ports: Vec<PortJson> = c
                    .ports
                    .iter()
                    .map(|(&n, p)| PortJson {
                        port_number: n,
                        port_identity: crate::wire::PortIdentity {
                            clock_identity: *id,
                            port_number: n,
                        }
                        .to_string(),
                        roles: p.roles(),
                        sent: p
                            .sent
                            .iter()
                            .enumerate()
                            .filter(|(_, n)| **n > 0)
                            .map(|(i, n)| (type_name(i), *n))
                            .collect(),
                        macs: p.macs.iter().map(Mac::to_string).collect(),
                        ips: p.ips.iter().map(|i| i.to_string()).collect(),
                        points: (0..64)
                            .filter(|b| p.points & (1 << b) != 0)
                            .map(point_name)
                            .collect(),
                        first_ns: p.first_ns,
                        last_ns: p.last_ns,
                    })
                    .collect();
                let gm = d.grandmasters.get(id).map(|g| g.dataset.clone());
                let mut roles: Vec<&str> = ports.iter().flat_map(|p| p.roles.clone()).collect();
                roles.sort_unstable();
                roles.dedup();
                let role = if gm.is_some() && roles.contains(&"master") {
                    "grandmaster".to_owned()
                } else if roles.contains(&"master") && roles.contains(&"slave") {
                    "master+slave".to_owned()
                } else {
                    roles.first().copied().unwrap_or("unknown").to_owned()
                };
                clocks.push(ClockJson {
                    clock_identity: *id,
                    major_sdo_id: sdo,
                    domain,
                    role,
                    ports,
                    grandmaster: gm,
                });
            }
            for (id, g) in &d.grandmasters {
                grandmasters.push(GrandmasterJson {
                    major_sdo_id: sdo,
                    domain,
                    announces: g.announces,
                    first_ns: g.first_ns,
                    last_ns: g.last_ns,
                    announced_by: g.announced_by.iter().map(|p| p.to_string()).collect(),
                    current: d.current == Some(*id),
                    dataset: g.dataset.clone(),
                });
            }
        }
        let mut health: Vec<_> = a.health.streams.iter().collect();
        health.sort_by_key(|(k, _)| **k);
        let health = health
            .into_iter()
            .map(|(k, s)| StreamJson::new(k, s, point_name(k.point)))
            .collect();
        let e = &a.exchanges;
        Self {
            schema_version: SCHEMA_VERSION,
            points,
            ptp_messages: a.messages.iter().sum::<u64>() + a.v1_messages + a.malformed,
            messages,
            exchanges: ExchangesJson {
                sync_follow_up: e.sync_follow_up.clone(),
                delay_req_resp: e.delay_req_resp.clone(),
                pdelay: e.pdelay.clone(),
                unicast_negotiation: e.unicast.clone(),
                e2e_measurements: e.e2e,
            },
            clocks,
            grandmasters,
            grandmaster_changes: a
                .inventory
                .changes
                .iter()
                .map(|c| GmChangeJson { change: c.clone() })
                .collect(),
            grandmaster_changes_total: a.inventory.change_count,
            health,
            hops: a.ledger.hops_json(point_name),
            corrections: super::ledger::Ledger::corrections_json(&a.health, point_name),
            delay_correction_consistency: {
                let mut v: Vec<_> = e.delay_correction_diff.iter().collect();
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
                first: a.errors.clone(),
            },
            warnings: a
                .points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.ptp_messages == 0)
                .map(|(i, p)| {
                    format!(
                        "capture point {}: {} frames, no PTP message",
                        point_name(i),
                        p.frames
                    )
                })
                .collect(),
            untracked: a.inventory.untracked + a.health.untracked + e.dropped + a.ledger.untracked,
        }
    }

    /// The human summary.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let _ = self.write_text(&mut o);
        o
    }

    fn write_text(&self, o: &mut String) -> std::fmt::Result {
        writeln!(o, "Capture points")?;
        for p in &self.points {
            let span = match (p.first_ns, p.last_ns) {
                (Some(a), Some(b)) => format!("{:.3} s", (b - a) as f64 / 1e9),
                _ => "-".into(),
            };
            writeln!(
                o,
                "  {:<24} {:>9} frames {:>9} PTP  over {span}",
                p.name, p.frames, p.ptp_messages
            )?;
        }
        writeln!(o, "\nMessages ({})", self.ptp_messages)?;
        for (t, n) in &self.messages {
            writeln!(o, "  {t:<24} {n:>9}")?;
        }
        writeln!(o, "\nExchanges")?;
        let ex = &self.exchanges;
        for (name, c) in [
            ("Sync/Follow_Up", &ex.sync_follow_up),
            ("Delay_Req/Delay_Resp", &ex.delay_req_resp),
            ("Pdelay", &ex.pdelay),
            ("unicast negotiation", &ex.unicast_negotiation),
        ] {
            if c.matched + c.unmatched + c.orphans + c.one_step == 0 {
                continue;
            }
            write!(
                o,
                "  {name:<24} {:>7} matched {:>5} unmatched {:>5} orphan {:>5} late",
                c.matched, c.unmatched, c.orphans, c.late
            )?;
            if c.one_step > 0 {
                let what = if name == "unicast negotiation" {
                    "denied"
                } else {
                    "one-step"
                };
                write!(o, " {:>5} {what}", c.one_step)?;
            }
            if let Some(r) = c.response.summary() {
                write!(
                    o,
                    "  response median {} p99 {}",
                    fmt_ns(r.median as f64),
                    fmt_ns(r.p99 as f64)
                )?;
            }
            writeln!(o)?;
        }
        writeln!(o, "  E2E measurements (t1..t4) {:>7}", ex.e2e_measurements)?;
        writeln!(o, "\nClocks")?;
        for c in &self.clocks {
            writeln!(
                o,
                "  {} sdo {} domain {:<3} {}",
                c.clock_identity, c.major_sdo_id, c.domain, c.role
            )?;
            for p in &c.ports {
                let sent: Vec<String> = p.sent.iter().map(|(t, n)| format!("{t} {n}")).collect();
                writeln!(
                    o,
                    "    port {:<5} {:<18} {}  [{}]",
                    p.port_number,
                    p.roles.join("+"),
                    p.macs.first().map_or("", |m| m.as_str()),
                    sent.join(", ")
                )?;
            }
        }
        if !self.grandmasters.is_empty() {
            writeln!(o, "\nGrandmasters")?;
        }
        for g in &self.grandmasters {
            let d = &g.dataset;
            writeln!(
                o,
                "  {}{} sdo {} domain {}: priority1 {} class {} accuracy 0x{:02x} variance 0x{:04x} priority2 {} steps {} timeSource 0x{:02x} UTC offset {}{}{}",
                d.grandmaster_identity,
                if g.current { " (current)" } else { "" },
                g.major_sdo_id,
                g.domain,
                d.priority1,
                d.clock_class,
                d.clock_accuracy,
                d.offset_scaled_log_variance,
                d.priority2,
                d.steps_removed,
                d.time_source,
                d.current_utc_offset,
                if d.current_utc_offset_valid {
                    " (valid)"
                } else {
                    ""
                },
                if d.ptp_timescale {
                    ", PTP timescale"
                } else {
                    ""
                },
            )?;
        }
        if !self.grandmaster_changes.is_empty() {
            writeln!(
                o,
                "\nGrandmaster changes ({})",
                self.grandmaster_changes_total
            )?;
            for c in &self.grandmaster_changes {
                let c = &c.change;
                let id = |x: Option<ClockIdentity>| x.map_or("none".into(), |x| x.to_string());
                writeln!(
                    o,
                    "  {} domain {}: {} -> {} ({})",
                    fmt_time(c.time_ns),
                    c.domain,
                    id(c.from),
                    id(c.to),
                    c.reason
                )?;
            }
        }
        writeln!(o, "\nHealth (per point, port and message type)")?;
        for h in &self.health {
            let iv = h.interval_ns.as_ref().map_or("-".into(), |s| {
                format!(
                    "{} ±{} p99 {}",
                    fmt_ns(s.mean),
                    fmt_ns(s.stddev),
                    fmt_ns(s.p99 as f64)
                )
            });
            let adv = h
                .advertised_interval_ns
                .map_or("n/a".into(), |v| fmt_ns(v as f64));
            write!(
                o,
                "  {:<14} {:<22} {:<21} {:>7}  interval {iv} (advertised {adv})",
                h.point, h.port, h.message_type, h.count
            )?;
            for (n, what) in [
                (h.gaps, "missing"),
                (h.duplicates, "duplicates"),
                (h.reordered, "reordered"),
                (h.restarts, "restarts"),
                (h.timeouts, "timeouts"),
                (h.flag_change_count, "flag changes"),
            ] {
                if n > 0 {
                    write!(o, ", {n} {what}")?;
                }
            }
            if let Some(s) = h.silent_at_end_ns {
                write!(o, ", silent for the last {}", fmt_ns(s as f64))?;
            }
            writeln!(o)?;
        }
        if !self.hops.is_empty() {
            writeln!(
                o,
                "\nTransparent-clock ledger (hops between capture points)"
            )?;
        }
        for hop in &self.hops {
            let r = hop.residence_ns.as_ref().map_or("-".into(), |r| {
                format!(
                    "correction added median {} (min {}, p99 {}, max {})",
                    fmt_ns(r.median as f64),
                    fmt_ns(r.min as f64),
                    fmt_ns(r.p99 as f64),
                    fmt_ns(r.max as f64)
                )
            });
            writeln!(
                o,
                "  {} -> {}: {} messages seen at both [{}]; {r}",
                hop.from,
                hop.to,
                hop.matched,
                hop.message_types.join(", ")
            )?;
            writeln!(
                o,
                "    source MAC {}, other octets {}",
                if hop.source_mac_changed {
                    "changed"
                } else {
                    "kept"
                },
                if hop.other_bytes_changed {
                    "changed"
                } else {
                    "unchanged"
                }
            )?;
            for f in &hop.flags {
                writeln!(o, "    ! {f}")?;
            }
        }
        if !self.corrections.is_empty() {
            writeln!(o, "\nNon-zero correctionField (per point and stream)")?;
        }
        for c in &self.corrections {
            let d = c.correction_ns.as_ref();
            writeln!(
                o,
                "  {:<14} {:<22} {:<21} {}/{} non-zero, median {}{}",
                c.point,
                c.port,
                c.message_type,
                c.nonzero,
                c.count,
                d.map_or("-".into(), |d| fmt_ns(d.median as f64)),
                if c.jump_count > 0 {
                    format!(", {} jumps", c.jump_count)
                } else {
                    String::new()
                }
            )?;
        }
        if self.errors.count > 0 {
            writeln!(o, "\nMalformed ({})", self.errors.count)?;
            for e in &self.errors.first {
                writeln!(o, "  {} frame {}: {}", e.point, e.frame, e.message)?;
            }
        }
        for w in &self.warnings {
            writeln!(o, "\nwarning: {w}")?;
        }
        if self.untracked > 0 {
            writeln!(
                o,
                "\n{} messages not tracked: tables full (more than the configured clocks/streams)",
                self.untracked
            )?;
        }
        Ok(())
    }
}

/// A duration with a readable unit.
pub fn fmt_ns(ns: f64) -> String {
    let a = ns.abs();
    if a >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if a >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if a >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Capture time as seconds.nanoseconds since the epoch.
fn fmt_time(ns: i64) -> String {
    format!(
        "{}.{:09}",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000)
    )
}
