//! A drift bound the data supports (`--drift-bound measured`).
//!
//! The hard bound carries old causal intervals forward by a drift bound:
//! the largest frequency difference the point's clock and the
//! grandmaster's can have. A fixed 200 ppm (two ±100 ppm oscillators) is
//! safe for any pair of clocks and wide: 200 µs per second of age. The
//! data bound it tighter: two causal intersections `[L₀, U₀]` at `t₀` and
//! `[L, U]` at `t`, each containing the true offset, bound the mean
//! frequency difference between them (causality alone, no statistics):
//!
//! ```text
//! (L − U₀) / (t − t₀)  ≤  f̄  ≤  (U − L₀) / (t − t₀)
//! ```
//!
//! The intersections measured on are carried with the fixed bound
//! (`--max-drift-ppm`), not with the measured one, so the measurement
//! rests on the fixed assumption only, never on itself. [`MeasuredDrift`]
//! keeps one every [`EVERY`] samples for up to [`SPAN`] of them and takes
//! the oldest against the newest: the
//! measured bound is `max(|lower|, |upper|)` of that interval once the two
//! are at least [`MIN_SPAN_NS`] apart. The drift bound used is that plus a
//! margin, at most the fixed bound.
//!
//! **The assumption**: the frequency difference of the next window (and
//! of a record's validity, in holdover) stays within the mean measured
//! over the last minutes plus the margin (`--drift-margin-ppm`, 1 ppm by
//! default). It holds for free-running oscillators (wander of a few ppb
//! per second) and for clocks disciplined gently; it does not hold for a
//! host clock slewed or stepped in frequency by more than the margin
//! inside the span (a time daemon correcting a large offset), nor for the
//! grandmaster's: use the fixed bound there. A clock step, or a drift
//! beyond the measured bound that empties the intersection carried with
//! it, starts the measurement over, at the fixed bound.

use std::collections::VecDeque;

/// An intersection is kept every this many samples.
pub const EVERY: u64 = 16;
/// Intersections kept: the span measured over is up to `SPAN × EVERY`
/// samples (4,096: 17 min of 4 samples a second).
pub const SPAN: usize = 256;
/// The measured bound counts once its intersections are this far apart.
pub const MIN_SPAN_NS: i64 = 20_000_000_000;

/// How the hard bound's drift bound is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum DriftBound {
    /// `max_drift_ppm`, always.
    #[default]
    Fixed,
    /// Measured from the causal intervals, plus this margin, ppb; the
    /// fixed bound until measured and as a ceiling.
    Measured { margin_ppb: f64 },
}

/// Intersections over time, and the frequency bound they give.
#[derive(Debug, Clone, Default)]
pub struct MeasuredDrift {
    /// (time, lower, upper) of the intersection, ns.
    kept: VecDeque<(i64, f64, f64)>,
    samples: u64,
}

impl MeasuredDrift {
    /// The intersection at `time_ns` (after a sample).
    pub fn add(&mut self, time_ns: i64, lower_ns: f64, upper_ns: f64) {
        self.samples += 1;
        if self.samples % EVERY != 1 {
            return;
        }
        if self.kept.len() == SPAN {
            self.kept.pop_front();
        }
        self.kept.push_back((time_ns, lower_ns, upper_ns));
    }

    /// The intersection restarted (a step): what was measured no longer
    /// bounds anything.
    pub fn restart(&mut self) {
        self.kept.clear();
        self.samples = 0;
    }

    /// The bound on |mean frequency difference| over the span kept, ppb,
    /// once it is [`MIN_SPAN_NS`] long.
    pub fn frequency_bound_ppb(&self) -> Option<f64> {
        let (&(t0, l0, u0), &(t, l, u)) = (self.kept.front()?, self.kept.back()?);
        let span = t - t0;
        if span < MIN_SPAN_NS {
            return None;
        }
        let span = span as f64;
        let lower = (l - u0) / span;
        let upper = (u - l0) / span;
        Some(lower.abs().max(upper.abs()) * 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock running `f` ppb against the grandmaster, seen through
    /// intervals ± `half` ns about the true offset: the measured bound
    /// contains |f| and is no wider than the intervals allow.
    #[test]
    fn two_intersections_far_apart_bound_the_frequency() {
        for f in [0.0, 850.0, -12_000.0] {
            let mut m = MeasuredDrift::default();
            let half = 5_000.0;
            let mut bound = None;
            for i in 0..2_000i64 {
                let t = i * 250_000_000;
                let offset = 40_000.0 + f * 1e-9 * t as f64;
                m.add(t, offset - half, offset + half);
                if t < MIN_SPAN_NS {
                    assert_eq!(m.frequency_bound_ppb(), None);
                }
                bound = m.frequency_bound_ppb();
            }
            let b = bound.expect("measured");
            // The span is the oldest kept against the newest.
            let span = 1_984.0 * 0.25;
            assert!(b >= f64::abs(f), "{b} < |{f}|");
            assert!(b <= f64::abs(f) + 2.0 * half / span + 1e-6, "{b} for {f}");
        }
    }

    #[test]
    fn a_restart_forgets() {
        let mut m = MeasuredDrift::default();
        for i in 0..200i64 {
            m.add(i * 1_000_000_000, -10.0, 10.0);
        }
        assert!(m.frequency_bound_ppb().is_some());
        m.restart();
        assert_eq!(m.frequency_bound_ppb(), None);
    }
}
