//! The whole analysis as one value (`analyze --format json`, the report's
//! `summary.json`), and the findings read off it, worst first, in words.

use serde::Serialize;

use super::estimates::EstimateJson;
use super::summary::hops::hop_text;
use super::summary::{Summary, fmt_ns};
use crate::analysis::ledger::HopFinding;

/// Everything `analyze` found.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    #[serde(flatten)]
    pub summary: Summary,
    pub estimates: Vec<EstimateJson>,
    /// What deserves attention, worst first.
    pub findings: Vec<Finding>,
}

impl Analysis {
    pub fn new(summary: Summary, estimates: Vec<EstimateJson>) -> Self {
        let findings = findings(&summary, &estimates);
        Self {
            summary,
            estimates,
            findings,
        }
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Data lost or wrong: malformed messages, broken corrections, a step.
    Error,
    /// The network misbehaves: gaps, timeouts, unanswered requests, a
    /// TC that breaks layering.
    Warning,
    /// Worth knowing: how TCs behave, GM and interval changes.
    Notice,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// What it is about: a point, a hop, a stream, an estimate.
    pub subject: String,
    pub text: String,
    /// How many messages (or events) it concerns: ranks findings of one
    /// severity.
    pub count: u64,
}

/// Message types sent at the interval they advertise. An answer's (a
/// Delay_Resp's) logMessageInterval is the interval its requester should
/// use, not its own; requests advertise 0x7F.
pub fn periodic(message_type: &str) -> bool {
    matches!(message_type, "Sync" | "Follow_Up" | "Announce")
}

/// A hop finding's severity.
///
/// `Negative`, `BeyondTransit` and `Unaccompanied` grade as notices, as
/// they did when the grade was looked up by the finding's text: their text
/// carries a count, so it never equalled the bare text that was listed as
/// an error (negative, beyond) or a warning (unaccompanied). Kept so that
/// outputs stay as they were; whether they should be errors is open.
fn hop_severity(f: HopFinding) -> Severity {
    match f {
        HopFinding::KeptMac | HopFinding::Mixed | HopFinding::OneWay | HopFinding::Skew => {
            Severity::Warning
        }
        HopFinding::Resourced
        | HopFinding::SameCapture
        | HopFinding::InDelayResp
        | HopFinding::NoCorrection
        | HopFinding::Negative { .. }
        | HopFinding::BeyondTransit { .. }
        | HopFinding::Unaccompanied { .. } => Severity::Notice,
    }
}

/// Findings from a summary and its estimates, worst first (then by count).
pub fn findings(s: &Summary, estimates: &[EstimateJson]) -> Vec<Finding> {
    let mut v = Vec::new();
    let mut add = |severity, subject: String, text: String, count| {
        v.push(Finding {
            severity,
            subject,
            text,
            count,
        })
    };
    if s.errors.count > 0 {
        let first = s.errors.first.first().map_or(String::new(), |e| {
            format!(
                " (first: {} frame {}, field {}: {})",
                e.point, e.frame, e.field, e.message
            )
        });
        add(
            Severity::Error,
            "capture".into(),
            format!("{} malformed PTP messages{first}", s.errors.count),
            s.errors.count,
        );
    }
    for w in &s.warnings {
        add(Severity::Warning, "capture".into(), w.clone(), 1);
    }
    if s.untracked > 0 {
        add(
            Severity::Warning,
            "capture".into(),
            format!(
                "{} messages not tracked: a table reached its bound",
                s.untracked
            ),
            s.untracked,
        );
    }
    for h in &s.hops {
        for &f in &h.flags {
            add(
                hop_severity(f),
                format!("hop {} → {}", h.from, h.to),
                hop_text(f),
                h.matched,
            );
        }
    }
    let ex = &s.exchanges;
    for (name, c) in [
        ("Sync/Follow_Up", &ex.sync_follow_up),
        ("Delay_Req/Delay_Resp", &ex.delay_req_resp),
        ("Pdelay", &ex.pdelay),
        ("unicast negotiation", &ex.unicast_negotiation),
        ("unicast cancel", &ex.unicast_cancel),
    ] {
        let bad = c.unmatched + c.orphans + c.late;
        if bad > 0 {
            // A unicast request re-sent with a new sequenceId leaves the one
            // it replaced unanswered.
            let retried = match c.retries {
                0 => String::new(),
                n => format!(" ({n} followed by a retry)"),
            };
            add(
                Severity::Warning,
                name.into(),
                format!(
                    "{} unanswered{retried}, {} answers to nothing seen, {} late answers (of {} matched)",
                    c.unmatched, c.orphans, c.late, c.matched
                ),
                bad,
            );
        }
    }
    for st in &s.health {
        let subject = format!("{} {} {}", st.point, st.port, st.message_type);
        let mut problem = |sev, n: u64, what: &str| {
            if n > 0 {
                add(sev, subject.clone(), format!("{n} {what}"), n);
            }
        };
        problem(
            Severity::Warning,
            st.gaps,
            &format!("sequenceIds missing (of {} seen)", st.count),
        );
        problem(Severity::Warning, st.restarts, "sequence restarts");
        problem(
            Severity::Warning,
            st.timeouts,
            &format!(
                "receipt timeouts (longest silence {})",
                fmt_ns(st.longest_silence_ns as f64)
            ),
        );
        problem(Severity::Notice, st.duplicates, "duplicates");
        problem(Severity::Notice, st.reordered, "reordered messages");
        problem(
            Severity::Notice,
            st.advertised_changes,
            "changes of the advertised interval",
        );
        problem(Severity::Notice, st.flag_change_count, "flag changes");
        if let Some(t) = st.silent_at_end_ns {
            add(
                Severity::Warning,
                subject.clone(),
                format!("silent for the last {}", fmt_ns(t as f64)),
                1,
            );
        }
        // Sent at another rate than advertised (by more than 10 %); not
        // for a stream that mixes flags or intervals (unicast and multicast
        // from one port share a sequence), whose intervals mean little.
        if let (Some(i), Some(adv)) = (&st.interval_ns, st.advertised_interval_ns)
            && periodic(&st.message_type)
            && i.count >= 4
            && st.advertised_changes == 0
            && st.flag_change_count == 0
            && (i.median - adv).abs() * 10 > adv
        {
            add(
                Severity::Warning,
                subject.clone(),
                format!(
                    "median interval {} where {} is advertised (logMessageInterval {})",
                    fmt_ns(i.median as f64),
                    fmt_ns(adv as f64),
                    st.advertised_log_interval
                ),
                i.count,
            );
        }
    }
    // Each domain's first grandmaster is listed as a change too, and a
    // grandmaster lost (to none) as one: neither is a change from one
    // grandmaster to another.
    let listed = |reason: &str| {
        s.grandmaster_changes
            .iter()
            .filter(|c| c.reason == reason)
            .count() as u64
    };
    let lost = s
        .grandmaster_changes
        .iter()
        .filter(|c| c.to.is_none())
        .count() as u64;
    let changes = s
        .grandmaster_changes_total
        .saturating_sub(listed("first") + lost);
    if changes > 0 {
        add(
            Severity::Warning,
            "grandmaster".into(),
            format!("the grandmaster changed {changes} times"),
            changes,
        );
    }
    if lost > 0 {
        add(
            Severity::Warning,
            "grandmaster".into(),
            format!(
                "the grandmaster fell silent past its announce receipt timeout with no other to take over, {lost} times"
            ),
            lost,
        );
    }
    for c in &s.corrections {
        if c.jump_count > 0 {
            add(
                Severity::Notice,
                format!("{} {} {}", c.point, c.port, c.message_type),
                format!("{} jumps of the correctionField", c.jump_count),
                c.jump_count,
            );
        }
    }
    for e in estimates {
        let subject = format!("estimate {} slave {}", e.point, e.port);
        if e.conflicts > 0 {
            add(
                Severity::Error,
                subject.clone(),
                format!(
                    "{} times the causal intervals stopped intersecting: a clock step or a wrong timestamp",
                    e.conflicts
                ),
                e.conflicts,
            );
        }
        if e.inconsistent_samples > 0 {
            add(
                Severity::Warning,
                subject.clone(),
                format!(
                    "{} samples set aside: {}",
                    e.inconsistent_samples,
                    e.note.unwrap_or("inconsistent")
                ),
                e.inconsistent_samples,
            );
        }
        if let (Some(m), Some(b)) = (e.offset_ns.median, e.bound_ns.hard_median)
            && m.unsigned_abs() > b.unsigned_abs()
        {
            // What the domain's grandmaster says of its timescale (§7.2.1).
            let gm = s
                .grandmasters
                .iter()
                .filter(|g| g.major_sdo_id == e.major_sdo_id && g.domain == e.domain)
                .max_by_key(|g| (g.current, g.last_ns))
                .map(|g| &g.dataset);
            let head = format!(
                "offset median {} exceeds the hard bound's median {}",
                fmt_ns(m as f64),
                fmt_ns(b as f64)
            );
            let utc_ns = gm
                .filter(|d| d.ptp_timescale && d.current_utc_offset_valid)
                .map(|d| {
                    (
                        d.current_utc_offset,
                        m + i64::from(d.current_utc_offset) * 1_000_000_000,
                    )
                });
            let text = match (gm, utc_ns) {
                // An ARB epoch can be anything; an offset of a second or more
                // from it is the epochs' difference, not a clock's error.
                (Some(d), _) if !d.ptp_timescale && m.unsigned_abs() >= 1_000_000_000 => format!(
                    "{head}: the grandmaster runs the ARB timescale (ptpTimescale clear), so the offset is the difference of two epochs, not an error of the capture clock; path delay and frequency keep their meaning"
                ),
                (_, Some((u, utc))) if utc.unsigned_abs() <= b.unsigned_abs() => format!(
                    "{head}: the grandmaster runs the PTP timescale (TAI) and the capture clock UTC; with currentUtcOffset {u} s the offset against UTC is {}, within the bound",
                    fmt_ns(utc as f64)
                ),
                (_, Some((u, utc))) if utc.unsigned_abs() < m.unsigned_abs() => format!(
                    "{head}: the grandmaster runs the PTP timescale (TAI); against UTC (currentUtcOffset {u} s) the capture point's clock is off by {}, more than the bound: it is not synchronized to UTC, or a correction or timestamp on the path is wrong",
                    fmt_ns(utc as f64)
                ),
                _ => format!(
                    "{head}: the capture point's clock is off the grandmaster's, or a correction or timestamp on the path is wrong"
                ),
            };
            add(Severity::Notice, subject, text, e.samples);
        }
    }
    v.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.count.cmp(&a.count)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;

    #[test]
    fn worst_first_then_by_count() {
        let mut s = Summary::new(&Analyzer::default(), &|_| "p".into());
        assert!(findings(&s, &[]).is_empty(), "nothing to find in nothing");
        s.errors.count = 2;
        s.warnings
            .push("capture point p: 3 frames, no PTP message".into());
        s.untracked = 50;
        let f = findings(&s, &[]);
        let got: Vec<_> = f.iter().map(|f| (f.severity, f.count)).collect();
        assert_eq!(
            got,
            [
                (Severity::Error, 2),
                (Severity::Warning, 50),
                (Severity::Warning, 1)
            ]
        );
        assert!(f[0].text.starts_with("2 malformed"), "{}", f[0].text);
    }

    #[test]
    fn hop_findings_are_graded_and_worded() {
        assert_eq!(hop_severity(HopFinding::KeptMac), Severity::Warning);
        assert_eq!(hop_severity(HopFinding::Resourced), Severity::Notice);
        assert_eq!(
            hop_text(HopFinding::Negative { messages: 3 }),
            "negative correction added (3 messages)"
        );
    }
}
