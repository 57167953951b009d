//! The ptp4l-like baseline, kept to compare the estimator against: ptp4l's
//! sample processing in free-running mode (its `delay_filter` moving
//! median, `delay_filter_length` 10), with no servo and no bound.
//!
//! - E2E (§11.3): the meanPathDelay is the median of the last
//!   [`MEDIAN_OF`] samples' path delays, and
//!   `offsetFromMaster = t2 - t1 - syncCorrection - median` (§11.2), i.e.
//!   the sample's offset moved by its own delay minus the median.
//! - P2P (§11.4): the link delay is already the median of the requester's
//!   last [`MEDIAN_OF`] Pdelay exchanges (see the
//!   [`Estimator`](super::Estimator)), so the sample's offset is the
//!   baseline's.

use super::{DelayMechanism, Filter, Sample, Update};

/// Delays whose median ptp4l's filter takes (path delays for the
/// baseline, link delays for P2P).
pub const MEDIAN_OF: usize = 10;

/// The median of the last [`MEDIAN_OF`] values (ptp4l's delay filter),
/// kept sorted as they come and go: linear in ten elements, no sort.
#[derive(Debug, Clone, Default)]
pub struct MovingMedian {
    /// In arrival order, a ring: the oldest at `head` once full.
    arrivals: [f64; MEDIAN_OF],
    head: usize,
    len: usize,
    /// The same, sorted (the first `len`).
    sorted: [f64; MEDIAN_OF],
}

impl MovingMedian {
    pub fn push(&mut self, v: f64) {
        let sorted = &mut self.sorted;
        let mut n = self.len;
        if n == MEDIAN_OF {
            let oldest = self.arrivals[self.head];
            let i = sorted.iter().position(|x| *x == oldest).unwrap_or(n - 1);
            sorted.copy_within(i + 1..n, i);
            n -= 1;
            self.arrivals[self.head] = v;
            self.head = (self.head + 1) % MEDIAN_OF;
        } else {
            self.arrivals[n] = v;
            self.len = n + 1;
        }
        let mut i = n;
        while i > 0 && sorted[i - 1] > v {
            sorted[i] = sorted[i - 1];
            i -= 1;
        }
        sorted[i] = v;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The median's standard error, ns: `sqrt(π/2) · s / sqrt(n)` for
    /// normal errors, `s` the values' sample standard deviation; 0 with
    /// fewer than 2 values.
    pub fn standard_error(&self) -> f64 {
        let n = self.len;
        if n < 2 {
            return 0.0;
        }
        let v = &self.sorted[..n];
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (std::f64::consts::FRAC_PI_2 * var / n as f64).sqrt()
    }

    /// NaN when empty; the mean of the middle two for an even count.
    pub fn median(&self) -> f64 {
        let n = self.len;
        match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => self.sorted[n / 2],
            _ => (self.sorted[n / 2 - 1] + self.sorted[n / 2]) / 2.0,
        }
    }
}

/// ptp4l's sample processing, behind the same [`Filter`] seam as the
/// estimator. It states neither a frequency nor a bound.
#[derive(Debug, Clone)]
pub struct Baseline {
    delay_mechanism: DelayMechanism,
    mean_path_delays: MovingMedian,
}

impl Baseline {
    pub fn new(delay_mechanism: DelayMechanism) -> Self {
        Self {
            delay_mechanism,
            mean_path_delays: MovingMedian::default(),
        }
    }
}

impl Filter for Baseline {
    fn sample(&mut self, s: &Sample) -> Update {
        let (offset_ns, mean_path_delay_ns, samples_used) = match self.delay_mechanism {
            DelayMechanism::E2e => {
                self.mean_path_delays.push(s.mean_path_delay_ns);
                let median = self.mean_path_delays.median();
                (
                    s.offset_ns + s.mean_path_delay_ns - median,
                    median,
                    self.mean_path_delays.len(),
                )
            }
            DelayMechanism::P2p => (s.offset_ns, s.mean_path_delay_ns, 1),
        };
        Update {
            offset_ns,
            mean_path_delay_ns,
            frequency_ppb: None,
            statistical_bound_ns: None,
            samples_used,
        }
    }

    fn restart(&mut self) {
        self.mean_path_delays = MovingMedian::default();
    }
}
