//! The hard bound: what causality alone says of the offset.
//!
//! Every sample's causal interval `[lower, upper]` (see [`super::sample`])
//! contains the true offset at its time. Carried to a later time `t`, it
//! widens by the drift bound `d` (`max_drift_ppm`, 200 by default: two
//! oscillators of ±100 ppm) times its age: a sample `i` bounds the offset
//! at `t` from below by `lower_i + d t_i - d t` and from above by
//! `upper_i - d t_i + d t`. The intersection over the last
//! [`WINDOW`] samples therefore contains the truth, and is a sliding
//! maximum and minimum (monotonic queues, O(1) per sample).
//!
//! The [`Track`](super::Track) clamps its estimate into the intersection;
//! its hard bound is the distance to the farther end plus the timestamp
//! resolution. This holds whatever the queueing, given the drift bound and
//! correct transparent-clock corrections; it says nothing finer than the
//! path's asymmetry (§7.4.2), which no one can see from the wire.
//!
//! An empty intersection (a clock step, or corrections that lie) restarts
//! it from the newest sample alone, is counted as a conflict, and tells the
//! caller to restart its filter too.

use std::collections::VecDeque;

use super::{Sample, WINDOW};

/// The intersection at the newest sample's time, ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lower_ns: f64,
    pub upper_ns: f64,
    /// The intersection was empty and restarted from the newest sample.
    pub restarted: bool,
}

/// The running intersection of the window's causal intervals.
#[derive(Debug, Clone)]
pub struct CausalBound {
    /// Sliding maximum of `lower + drift t` and minimum of `upper - drift
    /// t` over the window: (sample number, value).
    lower: VecDeque<(u64, f64)>,
    upper: VecDeque<(u64, f64)>,
    /// The window's samples as they came: (number, time since the
    /// epoch, lower, upper), to rebuild the queues for another drift.
    raw: VecDeque<(u64, f64, f64, f64)>,
    /// Time origin of the queues' values (f64 precision).
    epoch: Option<i64>,
    samples: u64,
    /// Drift allowed when carrying a bound across time, ppb.
    pub max_drift_ppb: f64,
    /// Times the intervals did not intersect (restarted).
    pub conflicts: u64,
}

impl CausalBound {
    pub fn new(max_drift_ppm: f64) -> Self {
        Self {
            lower: VecDeque::new(),
            upper: VecDeque::new(),
            raw: VecDeque::new(),
            epoch: None,
            samples: 0,
            max_drift_ppb: max_drift_ppm * 1000.0,
            conflicts: 0,
        }
    }

    /// Takes `s` into the intersection; returns it at `s`'s time.
    pub fn add(&mut self, s: &Sample) -> Interval {
        self.samples += 1;
        let drift = self.max_drift_ppb * 1e-9;
        let epoch = *self.epoch.get_or_insert(s.time_ns);
        let t = (s.time_ns - epoch) as f64;
        let n = self.samples;
        let lower = s.lower_ns + drift * t;
        let upper = s.upper_ns - drift * t;
        if self.raw.len() == WINDOW {
            self.raw.pop_front();
        }
        self.raw.push_back((n, t, s.lower_ns, s.upper_ns));
        while self.lower.front().is_some_and(|x| x.0 + WINDOW as u64 <= n) {
            self.lower.pop_front();
        }
        while self.upper.front().is_some_and(|x| x.0 + WINDOW as u64 <= n) {
            self.upper.pop_front();
        }
        self.push(n, lower, upper);
        let lower_ns = self.lower.front().map_or(lower, |x| x.1) - drift * t;
        let upper_ns = self.upper.front().map_or(upper, |x| x.1) + drift * t;
        if lower_ns <= upper_ns {
            return Interval {
                lower_ns,
                upper_ns,
                restarted: false,
            };
        }
        self.conflicts += 1;
        self.lower.clear();
        self.upper.clear();
        self.raw.clear();
        self.raw.push_back((n, t, s.lower_ns, s.upper_ns));
        self.lower.push_back((n, lower));
        self.upper.push_back((n, upper));
        Interval {
            lower_ns: s.lower_ns,
            upper_ns: s.upper_ns,
            restarted: true,
        }
    }

    /// Carries the window's intervals with another drift bound, ppb, from
    /// now on: the queues are rebuilt from the window's samples.
    pub fn set_drift_ppb(&mut self, ppb: f64) {
        self.max_drift_ppb = ppb;
        let drift = ppb * 1e-9;
        self.lower.clear();
        self.upper.clear();
        for i in 0..self.raw.len() {
            let (n, t, lower, upper) = self.raw[i];
            self.push(n, lower + drift * t, upper - drift * t);
        }
    }

    /// Sample `n`'s carried bounds into the monotonic queues: what they
    /// make useless (a larger lower, a smaller upper, newer) goes.
    fn push(&mut self, n: u64, lower: f64, upper: f64) {
        while self.lower.back().is_some_and(|x| x.1 <= lower) {
            self.lower.pop_back();
        }
        while self.upper.back().is_some_and(|x| x.1 >= upper) {
            self.upper.pop_back();
        }
        self.lower.push_back((n, lower));
        self.upper.push_back((n, upper));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: i64, centre: f64, half: f64) -> Sample {
        Sample {
            time_ns: i * 250_000_000,
            fit_time_ns: i * 250_000_000,
            offset_ns: centre,
            mean_path_delay_ns: half,
            lower_ns: centre - half,
            upper_ns: centre + half,
            shared_delay_bound_ns: 0.0,
        }
    }

    /// A bound switched to another drift mid-way gives, from the next
    /// sample on, what one built with that drift from the start gives.
    #[test]
    fn another_drift_rebuilds_the_window_as_if_it_had_always_been() {
        let widths = |i: i64| 2_000.0 + ((i * 7919) % 13) as f64 * 400.0;
        let centre = |i: i64| 500.0 + 3.0 * i as f64;
        let (mut switched, mut always) = (CausalBound::new(200.0), CausalBound::new(5.0));
        for i in 0..300 {
            if i == 150 {
                switched.set_drift_ppb(5_000.0);
            }
            let s = sample(i, centre(i), widths(i));
            let (a, b) = (switched.add(&s), always.add(&s));
            if i >= 150 {
                assert!((a.lower_ns - b.lower_ns).abs() < 1e-6, "{i}: {a:?} {b:?}");
                assert!((a.upper_ns - b.upper_ns).abs() < 1e-6, "{i}: {a:?} {b:?}");
            }
            // The smaller drift keeps more of the past: never wider.
            assert!(b.upper_ns - b.lower_ns <= 2.0 * widths(i) + 1e-6);
        }
        assert_eq!(switched.conflicts, 0);
    }
}
