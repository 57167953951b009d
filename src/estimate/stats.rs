//! What a track's estimates add up to, for the output layer: running
//! statistics while the estimates come, and a [`Summary`] of plain numbers
//! at the end (no names, no sentences: the report words them).

use crate::analysis::stats::{Series, Span, Stats};

use super::Estimate;

/// Series points kept per track (decimated beyond).
pub const MAX_SERIES: usize = 2048;

/// `x` rounded to the nearest integer, halves away from zero (what
/// `f64::round` does, without its libm call), saturating.
pub fn nearest(x: f64) -> i64 {
    (x + 0.5f64.copysign(x)) as i64
}

/// `ns` less its nearest whole second: within ±0.5 s.
pub fn fraction_of_second(ns: i64) -> i64 {
    const S: i64 = 1_000_000_000;
    let r = ns.rem_euclid(S);
    if r > S / 2 { r - S } else { r }
}

/// Why samples of a track were set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inconsistency {
    /// E2E samples whose mean path delay came out negative: the
    /// corrections exceed the transit seen at the point, so the point is
    /// not where the slave's port timestamps (e.g. it is before a TC's
    /// egress timestamp), and causality does not bound their offsets.
    NegativeMeanPathDelay,
    /// E2E samples whose mean path delay came out negative by more than
    /// all the corrections they carry: no correction explains them, the
    /// timestamps themselves contradict each other (spoofed, replayed or
    /// wrong timestamps, or a clock stepped between the Sync and the
    /// Delay_Req).
    InconsistentTimestamps,
}

/// Running statistics of a track's estimates.
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    /// Estimates made (one per sample taken).
    pub samples: u64,
    pub offsets: Stats,
    /// The offsets less their nearest whole second, as deviations from
    /// the first one's: their median keeps the nanoseconds of an offset
    /// of −37 s (a TAI grandmaster, a UTC capture clock), which `offsets`'
    /// relative resolution (1.6 %) rounds to 0.6 s, and does not mix the
    /// halves of a capture across a leap second.
    pub offset_fractions: Stats,
    offset_sum_of_squares: f64,
    /// The samples' own mean path delays.
    pub mean_path_delays: Stats,
    pub hard_bounds: Stats,
    pub statistical_bounds: Stats,
    pub last: Option<Estimate>,
    pub series: Series<Estimate, MAX_SERIES>,
}

impl Statistics {
    /// Counts `e`, made from a sample with mean path delay
    /// `sample_delay_ns`.
    pub fn add(&mut self, e: Estimate, sample_delay_ns: f64) {
        let fraction = fraction_of_second(nearest(e.offset_ns));
        if self.samples == 0 {
            self.offset_fractions = Stats::with_reference(fraction);
        }
        self.samples += 1;
        self.offsets.add(nearest(e.offset_ns));
        self.offset_fractions.add(fraction);
        self.offset_sum_of_squares += e.offset_ns * e.offset_ns;
        self.mean_path_delays.add(nearest(sample_delay_ns));
        self.hard_bounds.add(nearest(e.hard_bound_ns));
        self.statistical_bounds.add(nearest(e.statistical_bound_ns));
        self.last = Some(e);
        self.series.push(e);
    }

    /// Root mean square of the offsets, ns (0 without any).
    pub fn offset_rms_ns(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            (self.offset_sum_of_squares / self.samples as f64).sqrt()
        }
    }
}

/// A track at the end, in numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary<'a> {
    /// Samples used.
    pub samples: u64,
    /// Samples set aside, and why.
    pub inconsistent_samples: u64,
    pub inconsistency: Option<Inconsistency>,
    /// When the samples set aside were captured.
    pub inconsistent_at: Span,
    /// Times the causal intervals stopped intersecting (a step).
    pub conflicts: u64,
    /// When they did.
    pub conflicts_at: Span,
    /// How far each moved the offset, ns (the first 16).
    pub conflict_steps_ns: &'a [i64],
    pub offset_median_ns: Option<i64>,
    /// The median of the offsets less their nearest whole second, ns
    /// (see [`Statistics::offset_fractions`]).
    pub offset_fraction_median_ns: Option<i64>,
    pub offset_rms_ns: f64,
    pub offset_p99_abs_ns: Option<u64>,
    pub mean_path_delay_min_ns: Option<i64>,
    pub mean_path_delay_median_ns: Option<i64>,
    /// The last estimate's.
    pub frequency_ppb: Option<f64>,
    pub hard_bound_median_ns: Option<i64>,
    pub statistical_bound_median_ns: Option<i64>,
    /// Confidence of the statistical bound.
    pub confidence: f64,
    /// The drift bound the hard bound assumes (at the end).
    pub max_drift_ppm: f64,
    /// How that drift bound was chosen: `"fixed"` (`--max-drift-ppm`),
    /// `"measured"`, or `"measuring"` (measured was asked for, but the
    /// track's intersections since its start or last step span less than
    /// 20 s: the fixed bound holds).
    pub drift_bound: &'static str,
    pub timestamp_resolution_ns: f64,
    /// The path asymmetry applied (delayAsymmetry, §7.4.2), ns.
    pub delay_asymmetry_ns: f64,
    /// Estimates over time, decimated to at most [`MAX_SERIES`].
    pub series: &'a [Estimate],
}
