//! The `estimates` of `analyze --format json` and of the report's
//! `summary.json`: the estimator's plain results, with the truth scores
//! when there is a truth, as JSON, their points named and their notes
//! worded here.

use serde::Serialize;

use crate::analysis::PointId;
use crate::analysis::stats::Span;
use crate::estimate::{DelayMechanism, Estimate, Estimator, Inconsistency};
use crate::score::{ErrorSummary, Scorer};

/// Why samples were set aside, in words.
pub fn inconsistency_note(i: Inconsistency) -> &'static str {
    match i {
        Inconsistency::NegativeMeanPathDelay => {
            "samples with a negative path delay were set aside: the corrections exceed the transit seen at this point (it is not where the slave's port timestamps, e.g. before a TC's egress timestamp); their offsets are not bounded by causality"
        }
        Inconsistency::InconsistentTimestamps => {
            "samples with a negative path delay larger than all their corrections were set aside: no correction explains them, so the timestamps contradict each other (spoofed, replayed or wrong timestamps, or a clock stepped between the Sync and the Delay_Req)"
        }
    }
}

/// The estimator's tracks in key order, scored by `scorer` with `--truth`.
pub fn estimates(
    estimator: &Estimator,
    scorer: Option<&Scorer>,
    name: &dyn Fn(PointId) -> String,
) -> Vec<EstimateJson> {
    estimator
        .summaries()
        .into_iter()
        .map(|(key, t)| {
            let point = name(key.point);
            let score = scorer.map(|s| s.track(&key, &point));
            let truth_at = |i: usize| {
                score
                    .as_ref()
                    .and_then(|s| s.truth_ns.get(i).copied().flatten())
            };
            let series = t
                .series
                .iter()
                .enumerate()
                .map(|(i, e)| EstimatePointJson::new(e, truth_at(i)))
                .collect();
            EstimateJson {
                major_sdo_id: key.major_sdo_id,
                domain: key.domain_number,
                port: key.requesting_port_identity.to_string(),
                master: key.master_port_identity.to_string(),
                mechanism: match key.delay_mechanism {
                    DelayMechanism::E2e => "E2E",
                    DelayMechanism::P2p => "P2P",
                },
                samples: t.samples,
                inconsistent_samples: t.inconsistent_samples,
                inconsistent_at: t.inconsistent_at,
                conflicts: t.conflicts,
                conflicts_at: t.conflicts_at,
                conflict_steps_ns: t.conflict_steps_ns.to_vec(),
                note: t.inconsistency.map(inconsistency_note),
                offset_ns: OffsetJson {
                    median: t.offset_median_ns,
                    fraction_median: t.offset_fraction_median_ns,
                    rms: t.offset_rms_ns,
                    p99_abs: t.offset_p99_abs_ns,
                },
                path_delay_ns: DelayJson {
                    min: t.mean_path_delay_min_ns,
                    median: t.mean_path_delay_median_ns,
                },
                frequency_ppb: t.frequency_ppb,
                bound_ns: BoundJson {
                    hard_median: t.hard_bound_median_ns,
                    stat_median: t.statistical_bound_median_ns,
                    confidence: t.confidence,
                    max_drift_ppm: t.max_drift_ppm,
                    drift_bound: t.drift_bound,
                },
                timestamp_resolution_ns: t.timestamp_resolution_ns,
                delay_asymmetry_ns: t.delay_asymmetry_ns,
                timescale: None,
                truth: score.map(|s| TruthJson {
                    found: s.found,
                    outside_span: s.outside_span,
                    ours: ErrorJson::from(s.ours),
                    baseline: ErrorJson::from(s.baseline),
                }),
                series,
                point,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct OffsetJson {
    pub median: Option<i64>,
    /// The median of the offsets less their nearest whole second: for
    /// [`TimescaleJson`]'s offset against UTC, to the nanosecond.
    #[serde(skip)]
    pub fraction_median: Option<i64>,
    pub rms: f64,
    pub p99_abs: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DelayJson {
    pub min: Option<i64>,
    pub median: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoundJson {
    pub hard_median: Option<i64>,
    pub stat_median: Option<i64>,
    /// Confidence of the statistical bound.
    pub confidence: f64,
    /// The drift bound the hard bound assumes (at the end).
    pub max_drift_ppm: f64,
    /// `"fixed"`, `"measured"`, or `"measuring"` (asked for, not yet 20 s
    /// of intersections: the fixed bound holds).
    pub drift_bound: &'static str,
}

/// The timescales behind an offset (IEEE 1588-2019 §7.2.1): the
/// grandmaster announces PTP (TAI) or ARB; a capture clock hardware-
/// timestamped by a PTP-synchronized NIC runs TAI, a software one
/// CLOCK_REALTIME's UTC.
#[derive(Debug, Clone, Serialize)]
pub struct TimescaleJson {
    /// `"PTP"` (ptpTimescale set: TAI) or `"ARB"`.
    pub grandmaster: &'static str,
    /// currentUtcOffset when the grandmaster says it is valid, s: the one
    /// it announces last or, when the offsets make the capture clock UTC
    /// only against the one before (a leap second in the capture, the
    /// median on the side before it), that one.
    pub current_utc_offset_s: Option<i16>,
    /// `"TAI"` (offset within 0.5 s of 0), `"UTC"` (within 0.5 s of
    /// −currentUtcOffset), or `"unknown"` (an ARB grandmaster: the offset
    /// is an epoch difference; or neither).
    pub capture_clock: &'static str,
    /// The median offset against UTC, ns: the offset plus currentUtcOffset
    /// (a PTP grandmaster with a valid UTC offset only).
    pub offset_vs_utc_median_ns: Option<i64>,
}

impl TimescaleJson {
    /// From what the grandmaster announces, the median offset, and the
    /// median of the offsets less their nearest whole second (which gives
    /// the offset against UTC its nanoseconds: the median offset's are
    /// the histogram's, good to 1.6 %).
    pub fn new(
        ptp_timescale: bool,
        utc_offset: Option<i16>,
        offset_median_ns: Option<i64>,
        fraction_median_ns: Option<i64>,
    ) -> Self {
        const HALF_S: i64 = 500_000_000;
        const S: i64 = 1_000_000_000;
        let utc_shift = utc_offset
            .filter(|_| ptp_timescale)
            .map(|u| i64::from(u) * S);
        let vs_utc = offset_median_ns.zip(utc_shift).map(|(o, u)| {
            let v = o.saturating_add(u);
            match fraction_median_ns {
                // Whole seconds from the median, the rest from the fractions.
                Some(f) => (v.saturating_sub(f).saturating_add(HALF_S)).div_euclid(S) * S + f,
                None => v,
            }
        });
        let capture_clock = match (ptp_timescale, offset_median_ns, vs_utc) {
            (true, Some(o), _) if o.abs() < HALF_S => "TAI",
            (true, _, Some(v)) if v.abs() < HALF_S => "UTC",
            _ => "unknown",
        };
        TimescaleJson {
            grandmaster: if ptp_timescale { "PTP" } else { "ARB" },
            current_utc_offset_s: utc_offset.filter(|_| ptp_timescale),
            capture_clock,
            offset_vs_utc_median_ns: vs_utc,
        }
    }
}

/// Errors against the truth.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorJson {
    pub samples: u64,
    pub rms_ns: Option<f64>,
    pub p99_ns: Option<i64>,
    pub max_ns: Option<f64>,
    /// Share of estimates whose bound contains the truth (null for the
    /// baseline, which states no bound, as ptp4l).
    pub hard_coverage: Option<f64>,
    pub stat_coverage: Option<f64>,
    /// Share of checks of estimates carried forward as `serve`'s record
    /// is read (at a quarter, half, three quarters and all of the time to
    /// the next estimate; the last one up to 60 s) that contained the
    /// truth (null for the baseline).
    pub carried_coverage: Option<f64>,
    pub carried_checks: u64,
    /// Checks not made because they cross a step of the grandmaster's
    /// clock, which no record can foresee (the truth file's `steps`).
    pub carried_across_steps: u64,
}

impl From<ErrorSummary> for ErrorJson {
    fn from(e: ErrorSummary) -> Self {
        Self {
            samples: e.samples,
            rms_ns: e.rms_ns,
            p99_ns: e.p99_ns,
            max_ns: e.max_ns,
            hard_coverage: e.hard_coverage,
            stat_coverage: e.statistical_coverage,
            carried_coverage: e.carried_coverage,
            carried_checks: e.carried_checks,
            carried_across_steps: e.carried_across_steps,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthJson {
    /// Whether the truth has this point and grandmaster.
    pub found: bool,
    /// Estimates outside the truth's time span.
    pub outside_span: u64,
    pub ours: ErrorJson,
    pub baseline: ErrorJson,
}

/// One estimate of a series.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EstimatePointJson {
    pub time_ns: i64,
    pub offset_ns: f64,
    /// Mean path delay (E2E) or link delay (P2P).
    pub delay_ns: f64,
    pub frequency_ppb: f64,
    pub hard_bound_ns: f64,
    pub stat_bound_ns: f64,
    pub samples_used: usize,
    /// The ptp4l-like baseline's offset for the same sample.
    pub baseline_offset_ns: f64,
    /// The true offset, with `--truth`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truth_ns: Option<f64>,
}

impl EstimatePointJson {
    fn new(e: &Estimate, truth_ns: Option<f64>) -> Self {
        Self {
            time_ns: e.time_ns,
            offset_ns: e.offset_ns,
            delay_ns: e.mean_path_delay_ns,
            frequency_ppb: e.frequency_ppb,
            hard_bound_ns: e.hard_bound_ns,
            stat_bound_ns: e.statistical_bound_ns,
            samples_used: e.samples_used,
            baseline_offset_ns: e.baseline_offset_ns,
            truth_ns,
        }
    }
}

/// The `estimates` entries of `analyze --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct EstimateJson {
    pub point: String,
    pub major_sdo_id: u8,
    pub domain: u8,
    /// The slave port whose exchanges were used (P2P: the Pdelay
    /// requester whose link delay was used).
    pub port: String,
    /// The master port whose Syncs were used.
    pub master: String,
    pub mechanism: &'static str,
    /// Samples used.
    pub samples: u64,
    /// Samples set aside (negative path delay); see `note`.
    pub inconsistent_samples: u64,
    /// When they were captured: `first_ns`, `last_ns`.
    pub inconsistent_at: Span,
    /// Times the causal intervals stopped intersecting (a step).
    pub conflicts: u64,
    /// When they did: `first_ns`, `last_ns` (the sample's Sync).
    pub conflicts_at: Span,
    /// How far the sample that restarted them moved the offset from the
    /// estimate before, ns: the first 16.
    pub conflict_steps_ns: Vec<i64>,
    pub note: Option<&'static str>,
    pub offset_ns: OffsetJson,
    pub path_delay_ns: DelayJson,
    pub frequency_ppb: Option<f64>,
    pub bound_ns: BoundJson,
    pub timestamp_resolution_ns: f64,
    /// The path asymmetry applied (`--delay-asymmetry`), ns.
    pub delay_asymmetry_ns: f64,
    /// What the offset is measured against: the grandmaster's timescale
    /// and the one the capture clock appears to run (null when the
    /// grandmaster's Announce was not seen).
    pub timescale: Option<TimescaleJson>,
    /// With `--truth`: errors and bound coverage, ours and the baseline's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truth: Option<TruthJson>,
    /// Model estimates over time, decimated to at most 2048.
    pub series: Vec<EstimatePointJson>,
}

#[cfg(test)]
mod tests {
    use super::TimescaleJson;

    #[test]
    fn capture_clock_timescale_from_the_offset() {
        let t = TimescaleJson::new(true, Some(37), Some(1_200), Some(1_200));
        assert_eq!(
            (t.capture_clock, t.offset_vs_utc_median_ns),
            ("TAI", Some(37_000_001_200))
        );
        let t = TimescaleJson::new(true, Some(37), Some(-36_999_998_000), Some(2_000));
        assert_eq!(
            (t.capture_clock, t.offset_vs_utc_median_ns),
            ("UTC", Some(2_000))
        );
        // The median's nanoseconds off by the histogram's resolution (here
        // 0.4 s): the fractions' median gives them.
        let t = TimescaleJson::new(true, Some(37), Some(-36_600_000_000), Some(-185_400));
        assert_eq!(
            (t.capture_clock, t.offset_vs_utc_median_ns),
            ("UTC", Some(-185_400))
        );
        let t = TimescaleJson::new(true, Some(37), Some(-36_999_998_000), None);
        assert_eq!(t.offset_vs_utc_median_ns, Some(2_000));
        let t = TimescaleJson::new(true, None, Some(-36_999_998_000), Some(2_000));
        assert_eq!(
            (t.capture_clock, t.offset_vs_utc_median_ns),
            ("unknown", None)
        );
        let t = TimescaleJson::new(false, Some(37), Some(5), Some(5));
        assert_eq!(
            (t.grandmaster, t.capture_clock, t.current_utc_offset_s),
            ("ARB", "unknown", None)
        );
    }
}
