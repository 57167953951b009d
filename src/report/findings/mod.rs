//! The whole analysis as one value (`analyze --format json`, the report's
//! `summary.json`), and the findings read off it, worst first, in words.

use std::collections::BTreeMap;

use serde::Serialize;

pub mod leap;
pub mod profile;
pub mod quality;
pub mod security;

use super::estimates::EstimateJson;
use super::summary::hops::hop_text;
use super::summary::{StreamJson, Summary, fmt_ns};
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

/// One finding: what it is (`kind`), how much it matters, what it
/// concerns, its evidence, the clause it rests on and a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable snake_case name (README, "Finding kinds").
    pub kind: &'static str,
    pub severity: Severity,
    /// What it is about, in words: a point, a hop, a stream, an estimate.
    pub subject: String,
    /// The capture point it was seen at, when one.
    pub point: Option<String>,
    /// The port (sourcePortIdentity) it concerns, when one.
    pub port: Option<String>,
    /// The message type of the stream it concerns, when one.
    pub stream: Option<String>,
    pub evidence: Evidence,
    /// The clause of IEEE 1588-2019 (or the profile) it rests on.
    pub clause: Option<&'static str>,
    pub text: String,
}

/// What a finding rests on.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Capture time of the first and last message or event concerned, ns.
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    /// Frame number of the first, in its capture file.
    pub first_frame: Option<u64>,
    /// How many messages (or events) it concerns: ranks findings of one
    /// severity.
    pub count: u64,
    /// The figures that support it, by name (ns, per second, counts).
    pub figures: BTreeMap<&'static str, f64>,
}

impl Finding {
    pub fn new(kind: &'static str, severity: Severity, subject: String, text: String) -> Self {
        Self {
            kind,
            severity,
            subject,
            point: None,
            port: None,
            stream: None,
            evidence: Evidence::default(),
            clause: None,
            text,
        }
    }

    pub fn count(mut self, n: u64) -> Self {
        self.evidence.count = n;
        self
    }

    pub fn clause(mut self, c: &'static str) -> Self {
        self.clause = Some(c);
        self
    }

    /// Where: point, port and message type.
    pub fn at(mut self, point: Option<&str>, port: Option<&str>, stream: Option<&str>) -> Self {
        self.point = point.map(str::to_string);
        self.port = port.map(str::to_string);
        self.stream = stream.map(str::to_string);
        self
    }

    /// When: first and last capture time, first frame.
    pub fn span(mut self, first_ns: Option<i64>, last_ns: Option<i64>, frame: Option<u64>) -> Self {
        self.evidence.first_ns = first_ns;
        self.evidence.last_ns = last_ns;
        self.evidence.first_frame = frame.filter(|&f| f > 0);
        self
    }

    pub fn figure(mut self, name: &'static str, v: f64) -> Self {
        self.evidence.figures.insert(name, v);
        self
    }
}

/// `n` occurrences in words: "once", or "N times".
pub(crate) fn times(n: impl Into<u64>) -> String {
    match n.into() {
        1 => "once".into(),
        n => format!("{n} times"),
    }
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

/// A hop finding's kind.
fn hop_kind(f: HopFinding) -> &'static str {
    match f {
        HopFinding::KeptMac => "tc_source_mac_kept",
        HopFinding::Mixed => "tc_mixed_steps",
        HopFinding::OneWay => "tc_one_way",
        HopFinding::Skew => "capture_clock_skew",
        HopFinding::Resourced => "tc_resourced",
        HopFinding::SameCapture => "same_capture_twice",
        HopFinding::InDelayResp => "tc_residence_in_delay_resp",
        HopFinding::NoCorrection => "tc_no_correction",
        HopFinding::Negative { .. } => "tc_negative_correction",
        HopFinding::BeyondTransit { .. } => "tc_correction_beyond_transit",
        HopFinding::Unaccompanied { .. } => "tc_unaccompanied",
    }
}

/// The first event of `kind` of a stream: (time, frame).
fn first_event(st: &StreamJson, kind: &str) -> (Option<i64>, Option<u64>) {
    st.events
        .iter()
        .find(|e| e.kind == kind)
        .map_or((None, None), |e| (Some(e.time_ns), Some(e.frame)))
}

/// Estimates on fewer samples than this, or a shorter span, are uncertain.
pub const FEW_SAMPLES: u64 = 32;
pub const SHORT_SPAN_NS: i64 = 10_000_000_000;

/// Findings from a summary and its estimates, worst first (then by count).
pub fn findings(s: &Summary, estimates: &[EstimateJson]) -> Vec<Finding> {
    let leaps = leap::leaps(s, leap::Clocks::of(estimates));
    let mut v = security::findings(s);
    v.extend(quality::findings(s, &leaps));
    v.extend(profile::findings(s));
    let mut add = |f: Finding| v.push(f);
    if s.errors.count > 0 {
        let first = s.errors.first.first();
        let text = first.map_or(String::new(), |e| {
            format!(
                " (first: {} frame {}, field {}: {})",
                e.point, e.frame, e.field, e.message
            )
        });
        add(Finding::new(
            "malformed_messages",
            Severity::Error,
            "capture".into(),
            format!("{} malformed PTP messages{text}", s.errors.count),
        )
        .count(s.errors.count)
        .clause("IEEE 1588-2019 §13 (message formats)")
        .at(first.map(|e| e.point.as_str()), None, None)
        .span(None, None, first.map(|e| e.frame)));
    }
    for w in &s.warnings {
        add(Finding::new(
            "point_without_ptp",
            Severity::Warning,
            "capture".into(),
            w.clone(),
        )
        .count(1));
    }
    if s.untracked > 0 {
        add(Finding::new(
            "untracked_messages",
            Severity::Warning,
            "capture".into(),
            format!(
                "{} messages not tracked: a table reached its bound",
                s.untracked
            ),
        )
        .count(s.untracked));
    }
    for h in &s.hops {
        for &f in &h.flags {
            add(Finding::new(
                hop_kind(f),
                hop_severity(f),
                format!("hop {} → {}", h.from, h.to),
                hop_text(f),
            )
            .count(h.matched)
            .clause(match f {
                HopFinding::KeptMac => "IEEE 1588-2019 §10.2 and IEEE 802.1Q §8.6 (a relay sources frames with its own MAC)",
                HopFinding::InDelayResp => "IEEE 1588-2019 §11.5.3",
                _ => "IEEE 1588-2019 §10.2 (transparent clocks)",
            }));
        }
    }
    let ex = &s.exchanges;
    for (name, c, clause) in [
        ("Sync/Follow_Up", &ex.sync_follow_up, "IEEE 1588-2019 §11.3"),
        (
            "Delay_Req/Delay_Resp",
            &ex.delay_req_resp,
            "IEEE 1588-2019 §11.3",
        ),
        ("Pdelay", &ex.pdelay, "IEEE 1588-2019 §11.4"),
        (
            "unicast negotiation",
            &ex.unicast_negotiation,
            "IEEE 1588-2019 §16.1",
        ),
        ("unicast cancel", &ex.unicast_cancel, "IEEE 1588-2019 §16.1"),
    ] {
        let bad = c.unmatched + c.orphans + c.late;
        if bad > 0 {
            // A unicast request re-sent with a new sequenceId leaves the one
            // it replaced unanswered.
            let retried = match c.retries {
                0 => String::new(),
                n => format!(" ({n} followed by a retry)"),
            };
            add(Finding::new(
                "unanswered_exchanges",
                Severity::Warning,
                name.into(),
                format!(
                    "{} unanswered{retried}, {} answers to nothing seen, {} late answers (of {} matched)",
                    c.unmatched, c.orphans, c.late, c.matched
                ),
            )
            .count(bad)
            .clause(clause)
            .span(c.problems_at.first_ns, c.problems_at.last_ns, None)
            .figure("retries", c.retries as f64)
            .figure("unanswered", c.unmatched as f64)
            .figure("orphans", c.orphans as f64)
            .figure("late", c.late as f64)
            .figure("matched", c.matched as f64));
        }
    }
    for st in &s.health {
        let subject = format!("{} {} {}", st.point, st.port, st.message_type);
        let mut problem = |kind, sev, n: u64, what: &str, event: &str, clause| {
            if n > 0 {
                let (first, frame) = first_event(st, event);
                // The last, when the events kept hold them all.
                let listed: Vec<_> = st.events.iter().filter(|e| e.kind == event).collect();
                let last = listed
                    .last()
                    .filter(|_| listed.len() as u64 == n)
                    .map(|e| e.time_ns);
                add(
                    Finding::new(kind, sev, subject.clone(), format!("{n} {what}"))
                        .count(n)
                        .clause(clause)
                        .at(Some(&st.point), Some(&st.port), Some(&st.message_type))
                        .span(first, last, frame),
                );
            }
        };
        problem(
            "sequence_gaps",
            Severity::Warning,
            st.gaps,
            &format!("sequenceIds missing (of {} seen)", st.count),
            "gap",
            "IEEE 1588-2019 §7.3.7 (sequenceId)",
        );
        problem(
            "sequence_restarts",
            Severity::Warning,
            st.restarts,
            "sequence restarts",
            "restart",
            "IEEE 1588-2019 §7.3.7 (sequenceId)",
        );
        problem(
            "receipt_timeouts",
            Severity::Warning,
            st.timeouts,
            &format!(
                "receipt timeouts (longest silence {})",
                fmt_ns(st.longest_silence_ns as f64)
            ),
            "timeout",
            "IEEE 1588-2019 §7.7.3.1 (receipt timeouts)",
        );
        problem(
            "duplicates",
            Severity::Notice,
            st.duplicates,
            "duplicates",
            "duplicate",
            "IEEE 1588-2019 §7.3.7 (sequenceId)",
        );
        problem(
            "reordered_messages",
            Severity::Notice,
            st.reordered,
            "reordered messages",
            "reordered",
            "IEEE 1588-2019 §7.3.7 (sequenceId)",
        );
        problem(
            "interval_changes",
            Severity::Notice,
            st.advertised_changes,
            "changes of the advertised interval",
            "",
            "IEEE 1588-2019 §7.7.2 (logMessageInterval)",
        );
        if st.flag_change_count > 0 {
            let c = st.flag_changes.first();
            add(Finding::new(
                "flag_changes",
                Severity::Notice,
                subject.clone(),
                format!("{} flag changes", st.flag_change_count),
            )
            .count(st.flag_change_count)
            .clause("IEEE 1588-2019 §13.3.2.8 (flagField)")
            .at(Some(&st.point), Some(&st.port), Some(&st.message_type))
            .span(
                c.map(|c| c.time_ns),
                st.flag_changes.last().map(|c| c.time_ns),
                c.map(|c| c.frame),
            ));
        }
        if let Some(t) = st.silent_at_end_ns {
            add(Finding::new(
                "silent_at_end",
                Severity::Warning,
                subject.clone(),
                format!("silent for the last {}", fmt_ns(t as f64)),
            )
            .count(1)
            .clause("IEEE 1588-2019 §7.7.3.1 (receipt timeouts)")
            .at(Some(&st.point), Some(&st.port), Some(&st.message_type))
            .span(Some(st.last_ns), Some(st.last_ns), None)
            .figure("silence_ns", t as f64));
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
            add(Finding::new(
                "interval_mismatch",
                Severity::Warning,
                subject.clone(),
                format!(
                    "median interval {} where {} is advertised (logMessageInterval {})",
                    fmt_ns(i.median as f64),
                    fmt_ns(adv as f64),
                    st.advertised_log_interval
                ),
            )
            .count(i.count)
            .clause("IEEE 1588-2019 §7.7.2 (logMessageInterval)")
            .at(Some(&st.point), Some(&st.port), Some(&st.message_type))
            .span(Some(st.first_ns), Some(st.last_ns), None)
            .figure("median_interval_ns", i.median as f64)
            .figure("advertised_interval_ns", adv as f64));
        }
    }
    // Each domain's first grandmaster is listed as a change too, and a
    // grandmaster lost (to none) as one: neither is a change from one
    // grandmaster to another.
    let real = |c: &&super::summary::GmChangeJson| c.reason != "first" && c.to.is_some();
    let lost_list = || s.grandmaster_changes.iter().filter(|c| c.to.is_none());
    let listed = |reason: &str| {
        s.grandmaster_changes
            .iter()
            .filter(|c| c.reason == reason)
            .count() as u64
    };
    let lost = lost_list().count() as u64;
    let changes = s
        .grandmaster_changes_total
        .saturating_sub(listed("first") + lost);
    if changes > 0 {
        let first = s.grandmaster_changes.iter().find(real).map(|c| c.time_ns);
        let last = s
            .grandmaster_changes
            .iter()
            .rev()
            .find(real)
            .map(|c| c.time_ns);
        add(Finding::new(
            "grandmaster_changes",
            Severity::Warning,
            "grandmaster".into(),
            format!("the grandmaster changed {}", times(changes)),
        )
        .count(changes)
        .clause("IEEE 1588-2019 §9.3 (best master clock algorithm)")
        .span(first, last, None));
    }
    if lost > 0 {
        add(Finding::new(
            "grandmaster_lost",
            Severity::Warning,
            "grandmaster".into(),
            format!(
                "the grandmaster fell silent past its announce receipt timeout with no other to take over, {}",
                times(lost)
            ),
        )
        .count(lost)
        .clause("IEEE 1588-2019 §9.2.6.12 (ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES)")
        .span(lost_list().next().map(|c| c.time_ns), lost_list().next_back().map(|c| c.time_ns), None));
    }
    for c in &s.corrections {
        if c.jump_count > 0 {
            add(Finding::new(
                "correction_jumps",
                Severity::Notice,
                format!("{} {} {}", c.point, c.port, c.message_type),
                format!("{} jumps of the correctionField", c.jump_count),
            )
            .count(c.jump_count)
            .clause("IEEE 1588-2019 §13.3.2.9 (correctionField)")
            .at(Some(&c.point), Some(&c.port), Some(&c.message_type))
            .span(
                c.jumps.first().map(|j| j.time_ns),
                // The last only when the 16 listed are all of them.
                c.jumps
                    .last()
                    .filter(|_| c.jumps.len() as u64 == c.jump_count)
                    .map(|j| j.time_ns),
                None,
            ));
        }
    }
    for e in estimates {
        let subject = format!("estimate {} slave {}", e.point, e.port);
        let span = (
            e.series.first().map(|p| p.time_ns),
            e.series.last().map(|p| p.time_ns),
        );
        let est = |kind, sev, text: String, n: u64| {
            Finding::new(kind, sev, subject.clone(), text)
                .count(n)
                .at(Some(&e.point), Some(&e.port), None)
                .span(span.0, span.1, None)
        };
        if e.conflicts > 0 {
            let first_step = e.conflict_steps_ns.first().map(|&d| d as f64);
            let step = first_step.map_or(String::new(), |d| {
                format!(" (the first moved the offset by {})", fmt_ns(d))
            });
            let mut f = est(
                "causality_conflicts",
                Severity::Error,
                format!(
                    "the causal intervals stopped intersecting {}{step}: a clock step or a wrong timestamp",
                    times(e.conflicts)
                ),
                e.conflicts,
            );
            if let Some(d) = first_step {
                f = f.figure("first_step_ns", d);
            }
            add(f
                .span(e.conflicts_at.first_ns, e.conflicts_at.last_ns, None)
                .clause("IEEE 1588-2019 §11.3 (delay request-response)"));
        }
        if e.inconsistent_samples > 0 {
            add(est(
                "samples_set_aside",
                Severity::Warning,
                format!(
                    "{} samples set aside: {}",
                    e.inconsistent_samples,
                    e.note.unwrap_or("inconsistent")
                ),
                e.inconsistent_samples,
            )
            .span(e.inconsistent_at.first_ns, e.inconsistent_at.last_ns, None)
            .clause("IEEE 1588-2019 §11.3 (delay request-response)"));
        }
        // Few samples, or a short span, say little of a frequency.
        let span_ns = span.1.zip(span.0).map_or(0, |(l, f)| l - f);
        if e.samples > 0 && (e.samples < FEW_SAMPLES || span_ns < SHORT_SPAN_NS) {
            let freq = e
                .frequency_ppb
                .map_or(String::new(), |f| format!(" frequency {f:.0} ppb and"));
            add(est(
                "few_samples",
                Severity::Notice,
                format!(
                    "the estimate rests on {} samples over {}: its{freq} offset are uncertain beyond the bounds stated (a frequency needs tens of samples over tens of seconds)",
                    e.samples,
                    fmt_ns(span_ns as f64)
                ),
                e.samples,
            )
            .figure("samples", e.samples as f64)
            .figure("span_ns", span_ns as f64));
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
                    // The estimate's own, exact to the nanosecond (the
                    // median is a histogram's, good to 1.6 %).
                    let vs_utc = e
                        .timescale
                        .as_ref()
                        .and_then(|t| t.offset_vs_utc_median_ns)
                        .unwrap_or(m + i64::from(d.current_utc_offset) * 1_000_000_000);
                    (d.current_utc_offset, vs_utc)
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
            add(
                est("offset_beyond_bound", Severity::Notice, text, e.samples)
                    .clause("IEEE 1588-2019 §7.2.1 (timescales), §11.2")
                    .figure("offset_median_ns", m as f64)
                    .figure("hard_bound_median_ns", b as f64),
            );
        }
    }
    for l in &leaps {
        let f = leap::fold(l, s, estimates, &mut v);
        v.push(f);
    }
    v.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(b.evidence.count.cmp(&a.evidence.count))
    });
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
        let got: Vec<_> = f.iter().map(|f| (f.severity, f.evidence.count)).collect();
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
