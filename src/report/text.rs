//! The analysis as people read it on a terminal: the summary, the
//! estimates and the findings, worst first (`analyze`'s text output).

use super::estimates::{BoundJson, EstimateJson, TimescaleJson, TruthJson, estimates};
use super::{Analysis, Finding, Summary, fmt_ns};
use crate::pipeline::Pipeline;

impl Analysis {
    /// The analysis of a pipeline so far, its points named by `names`.
    pub fn of(p: &Pipeline, names: &dyn Fn(usize) -> String) -> Self {
        let mut estimates = estimates(&p.estimator, p.scorer.as_ref(), names);
        // What each offset is measured against: the domain's current
        // grandmaster's timescale.
        for e in &mut estimates {
            let inventory = &p.analyzer.inventory;
            let current = inventory
                .domains
                .get(&(e.major_sdo_id, e.domain))
                .and_then(|d| {
                    d.current
                        .and_then(|gm| Some((gm, d.grandmasters.get(&gm)?)))
                });
            e.timescale = current.map(|(gm, g)| {
                let d = &g.dataset;
                let read = |utc_offset: Option<i16>| {
                    TimescaleJson::new(
                        d.ptp_timescale,
                        utc_offset,
                        e.offset_ns.median,
                        e.offset_ns.fraction_median,
                    )
                };
                let now = read(d.current_utc_offset_valid.then_some(d.current_utc_offset));
                if now.capture_clock != "unknown" {
                    return now;
                }
                // Across a leap second the median may lie on the side of
                // the offset the grandmaster announced before.
                inventory
                    .dataset_changes
                    .iter()
                    .filter(|c| {
                        c.grandmaster == gm
                            && c.from.ptp_timescale
                            && c.from.current_utc_offset_valid
                            && c.from.current_utc_offset != d.current_utc_offset
                    })
                    .map(|c| read(Some(c.from.current_utc_offset)))
                    .find(|t| t.capture_clock == "UTC")
                    .unwrap_or(now)
            });
        }
        Self::new(Summary::new(&p.analyzer, names), estimates)
    }

    /// `analyze`'s text output.
    pub fn text(&self) -> String {
        let mut o = self.summary.text();
        o.push_str(&estimates_text(&self.estimates));
        o.push_str(&findings_text(&self.findings));
        o
    }
}

fn findings_text(v: &[Finding]) -> String {
    let mut o = String::new();
    if !v.is_empty() {
        o.push_str("\nFindings (worst first)\n");
    }
    for f in v {
        o.push_str(&format!(
            "  {:<8} {}: {}\n           [{}] {}\n",
            f.severity.name(),
            f.subject,
            f.text,
            f.kind,
            evidence_line(f)
        ));
    }
    o
}

/// A finding's evidence and clause on one line.
pub fn evidence_line(f: &Finding) -> String {
    let e = &f.evidence;
    let secs = |t: i64| {
        format!(
            "{}.{:09}",
            t.div_euclid(1_000_000_000),
            t.rem_euclid(1_000_000_000)
        )
    };
    let mut parts = vec![format!("{} concerned", e.count)];
    if let Some(frame) = e.first_frame {
        parts.push(format!("first frame {frame}"));
    }
    match (e.first_ns, e.last_ns) {
        (Some(a), Some(b)) if a != b => parts.push(format!("{} to {}", secs(a), secs(b))),
        (Some(a), _) => parts.push(format!("at {}", secs(a))),
        _ => {}
    }
    if let Some(c) = f.clause {
        parts.push(c.to_string());
    }
    parts.join("; ")
}

fn estimates_text(v: &[EstimateJson]) -> String {
    let mut o = String::new();
    if !v.is_empty() {
        o.push_str("\nEstimates (capture point clock vs grandmaster)\n");
    }
    let ns = |x: Option<i64>| x.map_or("-".into(), |x| fmt_ns(x as f64));
    for e in v {
        o.push_str(&format!(
            "  {:<14} slave {:<22} {:>5} samples  offset median {} (rms {}, p99 |{}|)  delay min {} median {}  freq {}  bound hard {} / stat {} ({:.0}%)\n",
            e.point,
            e.port,
            e.samples,
            ns(e.offset_ns.median),
            fmt_ns(e.offset_ns.rms),
            ns(e.offset_ns.p99_abs.map(|x| x as i64)),
            ns(e.path_delay_ns.min),
            ns(e.path_delay_ns.median),
            e.frequency_ppb.map_or("-".into(), |f| format!("{f:.0} ppb")),
            ns(e.bound_ns.hard_median),
            ns(e.bound_ns.stat_median),
            e.bound_ns.confidence * 100.0
        ));
        o.push_str(&drift_line(&e.bound_ns));
        if e.delay_asymmetry_ns != 0.0 {
            o.push_str(&format!(
                "    delay asymmetry {} applied (--delay-asymmetry)\n",
                fmt_ns(e.delay_asymmetry_ns)
            ));
        }
        if let Some(t) = &e.truth {
            o.push_str(&truth_line(t));
        }
        if let Some(n) = e.note {
            o.push_str(&format!("    ! {} of them: {n}\n", e.inconsistent_samples));
        }
        if let Some(t) = &e.timescale {
            o.push_str(&timescale_line(t));
        }
    }
    o
}

/// The drift bound the hard bound carried intervals with, and how it was
/// chosen.
fn drift_line(b: &BoundJson) -> String {
    let ppm = fmt_ppm(b.max_drift_ppm);
    match b.drift_bound {
        "measured" => format!(
            "    drift bound {ppm} ppm at the end: measured from the causal intervals, plus --drift-margin-ppm\n"
        ),
        "measuring" => format!(
            "    drift bound {ppm} ppm (--max-drift-ppm): --drift-bound measured had not taken over at the end (the intervals since the start or the last step span less than 20 s)\n"
        ),
        _ => format!("    drift bound {ppm} ppm (--max-drift-ppm)\n"),
    }
}

/// A drift bound in ppm, to 3 significant digits.
fn fmt_ppm(ppm: f64) -> String {
    if ppm >= 100.0 {
        format!("{ppm:.0}")
    } else if ppm >= 10.0 {
        format!("{ppm:.1}")
    } else {
        format!("{ppm:.2}")
    }
}

/// The comparison with a simulation's truth (`--truth`).
fn truth_line(t: &TruthJson) -> String {
    if !t.found {
        return "    truth: this point and grandmaster are not in the truth file\n".into();
    }
    if t.ours.samples == 0 {
        return format!(
            "    truth: none of the {} estimates falls within the truth file's time span: is it this capture's?\n",
            t.outside_span
        );
    }
    let share = |x: Option<f64>| x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0));
    let ours = &t.ours;
    format!(
        "    truth: error rms {} (baseline {}), max {}; hard bound held {}, statistical {}, carried forward {} of {} checks\n",
        ours.rms_ns.map_or("-".into(), fmt_ns),
        t.baseline.rms_ns.map_or("-".into(), fmt_ns),
        ours.max_ns.map_or("-".into(), fmt_ns),
        share(ours.hard_coverage),
        share(ours.stat_coverage),
        share(ours.carried_coverage),
        ours.carried_checks
    )
}

/// What the offset is against, when the grandmaster runs the PTP
/// timescale; ARB is said once by the findings when it matters.
fn timescale_line(t: &TimescaleJson) -> String {
    let against = match (t.current_utc_offset_s, t.offset_vs_utc_median_ns) {
        (Some(u), Some(v)) => format!(
            "; against UTC (currentUtcOffset {u} s) the offset median is {}",
            fmt_ns(v as f64)
        ),
        _ => "; no valid currentUtcOffset".into(),
    };
    match (t.grandmaster, t.capture_clock) {
        ("PTP", "TAI") => format!(
            "    grandmaster on the PTP timescale (TAI), capture clock too (a NIC synchronized to PTP){against}\n"
        ),
        ("PTP", "UTC") => {
            format!("    grandmaster on the PTP timescale (TAI), capture clock on UTC{against}\n")
        }
        ("PTP", _) => format!(
            "    grandmaster on the PTP timescale (TAI), capture clock on neither TAI nor UTC{against}\n"
        ),
        _ => String::new(),
    }
}
