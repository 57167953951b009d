//! The text form of a [`Summary`]: what `analyze` prints by default.

use std::fmt::Write as _;

use super::Summary;
use super::clocks as quality;
use super::hops::hop_text;
use crate::wire::ClockIdentity;

impl Summary {
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
        // Unicast rows are requests and their answers: what no answer came
        // for is unanswered, re-sent requests are retries, and a GRANT of
        // duration 0 is a denial.
        for (name, c, unicast) in [
            ("Sync/Follow_Up", &ex.sync_follow_up, false),
            ("Delay_Req/Delay_Resp", &ex.delay_req_resp, false),
            ("Pdelay", &ex.pdelay, false),
            ("unicast negotiation", &ex.unicast_negotiation, true),
            ("unicast cancel", &ex.unicast_cancel, true),
        ] {
            if c.matched + c.unmatched + c.orphans + c.one_step == 0 {
                continue;
            }
            write!(
                o,
                "  {name:<24} {:>7} matched {:>5} {} {:>5} orphan {:>5} late",
                c.matched,
                c.unmatched,
                if unicast { "unanswered" } else { "unmatched" },
                c.orphans,
                c.late
            )?;
            if c.retries > 0 {
                write!(o, " {:>5} retries", c.retries)?;
            }
            if c.one_step > 0 {
                let what = if unicast { "denied" } else { "one-step" };
                write!(o, " {:>5} {what}", c.one_step)?;
            }
            if let Some(r) = &c.response_ns {
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
        if !self.profiles.is_empty() {
            writeln!(o, "\nProfiles")?;
        }
        for p in &self.profiles {
            writeln!(
                o,
                "  majorSdoId {} domain {:<3} {}  ({} messages; from {})",
                p.major_sdo_id,
                p.domain,
                p.name,
                p.messages,
                p.basis.join(", ")
            )?;
        }
        if !self.grandmasters.is_empty() {
            writeln!(o, "\nGrandmasters")?;
        }
        for g in &self.grandmasters {
            let d = &g.dataset;
            writeln!(
                o,
                "  {}{} sdo {} domain {}: priority1 {} class {} ({}) accuracy 0x{:02x} ({}) variance 0x{:04x} priority2 {} steps {} timeSource 0x{:02x} ({}) UTC offset {}{}{}",
                d.grandmaster_identity,
                if g.current { " (current)" } else { "" },
                g.major_sdo_id,
                g.domain,
                d.priority1,
                d.clock_class,
                quality::clock_class_meaning(d.clock_class),
                d.clock_accuracy,
                quality::clock_accuracy_meaning(d.clock_accuracy),
                d.offset_scaled_log_variance,
                d.priority2,
                d.steps_removed,
                d.time_source,
                quality::time_source_meaning(d.time_source),
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
            for &f in &hop.flags {
                writeln!(o, "    ! {}", hop_text(f))?;
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
