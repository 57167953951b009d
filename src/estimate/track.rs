//! The estimator of one [`TrackKey`](super::TrackKey): each sample goes to
//! the hard bound, the estimator's filter and the baseline, and their
//! results make one [`Estimate`].

use super::baseline::Baseline;
use super::causal::CausalBound;
use super::drift::{self, DriftBound, MeasuredDrift};
use super::fit::{CONFIDENCE, LineFit};
use super::stats::{Inconsistency, Statistics, Summary};
use super::{DelayMechanism, Filter, Sample};
use crate::analysis::stats::Span;

/// One estimate, at a sample's time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Capture time of the sample's Sync.
    pub time_ns: i64,
    /// offsetFromMaster (§11.2): the point's clock minus the grandmaster's,
    /// clamped into the hard bound.
    pub offset_ns: f64,
    /// The meanPathDelay (§11.3) or link delay (§11.4) of the fit.
    pub mean_path_delay_ns: f64,
    /// The point's clock's frequency error (NaN if the filter estimates
    /// none).
    pub frequency_ppb: f64,
    /// Half-width of the interval causality allows about the offset.
    pub hard_bound_ns: f64,
    /// Half-width of the [`CONFIDENCE`] interval, at most the hard one.
    pub statistical_bound_ns: f64,
    /// The drift bound the hard bound assumed, ppb: how far the point's
    /// clock's frequency may be from the grandmaster's.
    pub drift_ppb: f64,
    /// The interval causality allows the offset (the window's
    /// intersection), widened by the timestamp resolution, ns: it holds
    /// `offset_ns ± hard_bound_ns`'s truth and is as narrow or narrower.
    pub causal_lower_ns: f64,
    pub causal_upper_ns: f64,
    pub samples_used: usize,
    /// The ptp4l-like baseline's offset for the same sample.
    pub baseline_offset_ns: f64,
}

/// The estimator of one capture point, slave port and master.
#[derive(Debug, Clone)]
pub struct Track {
    delay_mechanism: DelayMechanism,
    causal: CausalBound,
    /// `max_drift_ppm`, ppb: the drift bound, or with a measured one its
    /// ceiling.
    fixed_drift_ppb: f64,
    /// With a measured drift bound, the intersection carried with the
    /// fixed one, which the measurement is made on.
    fixed_causal: CausalBound,
    pub drift_bound: DriftBound,
    measured_drift: MeasuredDrift,
    /// The drift bound in use was measured (since the start or the last
    /// step), not the fixed one.
    drift_measured: bool,
    filter: LineFit,
    baseline: Baseline,
    statistics: Statistics,
    /// Timestamp resolution of the capture, ns.
    pub resolution_ns: f64,
    /// The path asymmetry applied (delayAsymmetry, §7.4.2), ns.
    pub delay_asymmetry_ns: f64,
    /// Samples set aside (see [`Inconsistency`]), not used.
    pub inconsistent: u64,
    /// Of those, the ones no correction explains.
    pub inconsistent_timestamps: u64,
    /// When the samples set aside were captured.
    pub inconsistent_at: Span,
    /// When the causal intervals stopped intersecting.
    conflicts_at: Span,
    /// How far the sample that restarted them moved the offset from the
    /// estimate before, ns: the first [`CONFLICT_STEPS`].
    conflict_steps_ns: Vec<i64>,
}

/// Conflicts whose step is kept.
pub const CONFLICT_STEPS: usize = 16;

impl Track {
    pub fn new(delay_mechanism: DelayMechanism, resolution_ns: f64, max_drift_ppm: f64) -> Self {
        Self {
            delay_mechanism,
            causal: CausalBound::new(max_drift_ppm),
            fixed_causal: CausalBound::new(max_drift_ppm),
            fixed_drift_ppb: max_drift_ppm * 1000.0,
            drift_bound: DriftBound::Fixed,
            measured_drift: MeasuredDrift::default(),
            drift_measured: false,
            filter: LineFit::new(delay_mechanism),
            baseline: Baseline::new(delay_mechanism),
            statistics: Statistics::default(),
            resolution_ns,
            delay_asymmetry_ns: 0.0,
            inconsistent: 0,
            inconsistent_timestamps: 0,
            inconsistent_at: Span::default(),
            conflicts_at: Span::default(),
            conflict_steps_ns: Vec::new(),
        }
    }

    /// Adds a sample; returns the estimate at it.
    pub fn add(&mut self, s: Sample) -> Estimate {
        let baseline = self.baseline.sample(&s);
        let interval = self.causal.add(&s);
        // The drift bound this interval assumed.
        let drift_ppb = self.causal.max_drift_ppb;
        if self.drift_bound != DriftBound::Fixed {
            // Measured on intervals carried with the fixed bound: the
            // measurement does not rest on itself.
            let fixed = self.fixed_causal.add(&s);
            if fixed.restarted {
                self.measured_drift.restart();
            } else {
                self.measured_drift
                    .add(s.time_ns, fixed.lower_ns, fixed.upper_ns);
            }
        }
        if interval.restarted {
            self.conflicts_at.saw(s.time_ns);
            if let Some(before) = self.statistics.last
                && self.conflict_steps_ns.len() < CONFLICT_STEPS
            {
                self.conflict_steps_ns
                    .push((s.offset_ns - before.offset_ns) as i64);
            }
            self.filter.restart();
            if self.drift_bound != DriftBound::Fixed {
                // A step, or the drift went beyond what was measured: the
                // fixed bound until measured again.
                self.measured_drift.restart();
                self.causal.set_drift_ppb(self.fixed_drift_ppb);
                self.drift_measured = false;
            }
        } else {
            self.measure_drift();
        }
        let fitted = self.filter.sample(&s);
        let offset = fitted.offset_ns.clamp(interval.lower_ns, interval.upper_ns);
        let hard =
            (offset - interval.lower_ns).max(interval.upper_ns - offset) + self.resolution_ns;
        // A delay error shared by the window's samples adds to the fit's,
        // independently.
        let statistical = fitted.statistical_bound_ns.map_or(hard, |b| {
            (b.hypot(s.shared_delay_bound_ns) + self.resolution_ns).min(hard)
        });
        let e = Estimate {
            time_ns: s.time_ns,
            offset_ns: offset,
            mean_path_delay_ns: fitted.mean_path_delay_ns,
            frequency_ppb: fitted.frequency_ppb.unwrap_or(f64::NAN),
            hard_bound_ns: hard,
            statistical_bound_ns: statistical,
            drift_ppb,
            causal_lower_ns: interval.lower_ns - self.resolution_ns,
            causal_upper_ns: interval.upper_ns + self.resolution_ns,
            samples_used: fitted.samples_used,
            baseline_offset_ns: baseline.offset_ns,
        };
        self.statistics.add(e, s.mean_path_delay_ns);
        e
    }

    /// The drift bound in use, ppb.
    pub fn drift_ppb(&self) -> f64 {
        self.causal.max_drift_ppb
    }

    /// With a measured drift bound: every [`drift::EVERY`] samples, the
    /// measured frequency bound plus the margin, at most the fixed bound;
    /// up at once, down once it fell by a twentieth.
    fn measure_drift(&mut self) {
        let DriftBound::Measured { margin_ppb } = self.drift_bound else {
            return;
        };
        if !self.statistics.samples.is_multiple_of(drift::EVERY) {
            return;
        }
        let Some(f) = self.measured_drift.frequency_bound_ppb() else {
            return;
        };
        let d = (f + margin_ppb).min(self.fixed_drift_ppb);
        let now = self.causal.max_drift_ppb;
        if d > now || now - d > now / 20.0 {
            self.causal.set_drift_ppb(d);
            self.drift_measured = true;
        }
    }

    pub fn delay_mechanism(&self) -> DelayMechanism {
        self.delay_mechanism
    }

    /// Times the causal intervals stopped intersecting (a step).
    pub fn conflicts(&self) -> u64 {
        self.causal.conflicts
    }

    /// Samples taken (each made an estimate).
    pub fn samples(&self) -> u64 {
        self.statistics.samples
    }

    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// The track in numbers.
    pub fn summary(&self) -> Summary<'_> {
        let s = &self.statistics;
        Summary {
            samples: s.samples,
            inconsistent_samples: self.inconsistent,
            inconsistent_at: self.inconsistent_at,
            inconsistency: (self.inconsistent > 0).then_some(
                if self.inconsistent_timestamps * 2 > self.inconsistent {
                    Inconsistency::InconsistentTimestamps
                } else {
                    Inconsistency::NegativeMeanPathDelay
                },
            ),
            conflicts: self.causal.conflicts,
            conflicts_at: self.conflicts_at,
            conflict_steps_ns: &self.conflict_steps_ns,
            offset_median_ns: s.offsets.quantile(0.5),
            offset_fraction_median_ns: s.offset_fractions.quantile(0.5),
            offset_rms_ns: s.offset_rms_ns(),
            offset_p99_abs_ns: s.offsets.abs_quantile(0.99),
            mean_path_delay_min_ns: s.mean_path_delays.min(),
            mean_path_delay_median_ns: s.mean_path_delays.quantile(0.5),
            frequency_ppb: s.last.map(|e| e.frequency_ppb),
            hard_bound_median_ns: s.hard_bounds.quantile(0.5),
            statistical_bound_median_ns: s.statistical_bounds.quantile(0.5),
            confidence: CONFIDENCE,
            max_drift_ppm: self.causal.max_drift_ppb / 1000.0,
            drift_bound: match self.drift_bound {
                DriftBound::Fixed => "fixed",
                DriftBound::Measured { .. } if self.drift_measured => "measured",
                DriftBound::Measured { .. } => "measuring",
            },
            timestamp_resolution_ns: self.resolution_ns,
            delay_asymmetry_ns: self.delay_asymmetry_ns,
            series: s.series.as_slice(),
        }
    }
}
