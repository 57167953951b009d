//! The simulated clocks and links: a clock's reading against true time
//! (an offset, a drift and a random walk of its frequency, piecewise
//! linear between knots of [`KNOT_NS`]) and the packet delay variation a
//! link draws per frame.

use rand::RngExt;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Exp, Gamma};

use super::scenario::{self, ClockSpec, Pdv};
use super::{K, KNOT_NS};

/// A clock against true time, piecewise linear between knots.
#[derive(Debug, Clone)]
pub struct Clock {
    t0: i64,
    /// Offset (ns) at each knot and the frequency error over the next.
    knots: Vec<(f64, f64)>,
    /// A step of the clock: from true time `.0` on, `.1` ns more.
    step: Option<(i64, f64)>,
    /// A UTC clock: TAI − UTC (ns) and its leap second: the UTC midnight
    /// (ns) and what it does to TAI − UTC (+1 s inserted, −1 s deleted).
    utc: Option<(i64, Option<(i64, i64)>)>,
}

impl Clock {
    pub(super) fn new(spec: &ClockSpec, t0: i64, duration_ns: i64, rng: &mut StdRng) -> Self {
        let n = (duration_ns / KNOT_NS + 2) as usize;
        let mut knots = Vec::with_capacity(n);
        let (mut off, mut freq) = (spec.offset_ns, spec.drift_ppm * 1e-6);
        let step = spec.wander_ppb * 1e-9 * (KNOT_NS as f64 * 1e-9).sqrt();
        for _ in 0..n {
            knots.push((off, freq));
            off += freq * KNOT_NS as f64;
            if step > 0.0 {
                freq += step * normal(rng);
            }
        }
        Self {
            t0,
            knots,
            step: None,
            utc: None,
        }
    }

    /// The clock reading UTC (true time is TAI): `tai_minus_utc_ns` less,
    /// and, with a `leap` (UTC midnight, ±1 s), as the kernel does: an
    /// inserted second makes it step back a second when its own reading
    /// reaches the midnight (it repeats 23:59:59); a deleted one makes it
    /// step forward a second when it reaches 23:59:59 (it leaves it out).
    pub(super) fn with_utc(mut self, tai_minus_utc_ns: i64, leap: Option<(i64, i64)>) -> Self {
        self.utc = Some((tai_minus_utc_ns, leap));
        self
    }

    /// Whether the clock reads UTC (and steps at a leap second).
    pub fn reads_utc(&self) -> bool {
        self.utc.is_some()
    }

    /// The reading at which the UTC clock's leap steps it, and what it
    /// adds to TAI − UTC, ns.
    fn leap_at(&self) -> Option<(i64, i64, i64)> {
        let (shift, Some((m, change))) = self.utc? else {
            return None;
        };
        let day_end = if change > 0 { m } else { m + change };
        Some((shift, day_end, change))
    }

    /// What the clock's timescale takes off true time at `t`, ns: TAI − UTC
    /// for a UTC clock (changed by its leap once it happened), else 0.
    pub fn timescale_shift_ns(&self, t: i64) -> i64 {
        let Some((shift, _)) = self.utc else {
            return 0;
        };
        let unstepped = t - shift + self.offset(t).round() as i64;
        match self.leap_at() {
            Some((_, day_end, change)) if unstepped >= day_end => shift + change,
            _ => shift,
        }
    }

    /// The true time at which the clock reads `target` (before any leap).
    fn solve(&self, target: i64) -> i64 {
        // Solve t + offset(t) = target: the offset moves ppm while t does,
        // so a few rounds are exact to well under a ns.
        let mut t = target;
        for _ in 0..3 {
            t = target - self.offset(t).round() as i64;
        }
        t
    }

    /// The true time at which the reading jumps at its leap second (back
    /// a second when inserted, forward when deleted).
    pub(super) fn leap_jump(&self) -> Option<i64> {
        let (shift, day_end, _) = self.leap_at()?;
        Some(self.solve(day_end + shift))
    }

    /// An inserted leap second's true times: when the reading steps back
    /// and when it reads the same again. `None` for a deleted one (the
    /// reading jumps forward and repeats nothing).
    pub(super) fn jumps(&self) -> Option<(i64, i64)> {
        let (shift, day_end, change) = self.leap_at()?;
        (change > 0).then(|| {
            (
                self.solve(day_end + shift),
                self.solve(day_end + shift + change),
            )
        })
    }

    /// The clock, stepped by `ns` at true time `at`.
    pub(super) fn with_step(mut self, at: i64, ns: f64) -> Self {
        self.step = Some((at, ns));
        self
    }

    /// The true time of the step [`Clock::with_step`] gave, if any.
    pub(super) fn step_at(&self) -> Option<i64> {
        self.step.map(|(at, _)| at)
    }

    /// Offset from true time at true time `t`, ns.
    pub fn offset(&self, t: i64) -> f64 {
        let k = ((t - self.t0).max(0) / KNOT_NS) as usize;
        let k = k.min(self.knots.len() - 1);
        let (off, freq) = self.knots[k];
        let stepped = self.step.filter(|&(at, _)| t >= at).map_or(0.0, |s| s.1);
        off + freq * (t - self.t0 - k as i64 * KNOT_NS) as f64 + stepped
    }

    /// Frequency error at true time `t` (ns per ns).
    pub fn frequency(&self, t: i64) -> f64 {
        let k = ((t - self.t0).max(0) / KNOT_NS) as usize;
        self.knots[k.min(self.knots.len() - 1)].1
    }

    /// The reading at true time `t`, in 2^-16 ns.
    pub(super) fn reading(&self, t: i64) -> i128 {
        i128::from(t - self.timescale_shift_ns(t)) * K + (self.offset(t) * K as f64).round() as i128
    }
}

impl scenario::Link {
    /// Mean one-way delay over both directions.
    pub fn mean_ns(&self) -> f64 {
        self.fixed_ns + self.pdv.mean_ns()
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random::<f64>();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

impl Pdv {
    /// The mean delay added.
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Pdv::None => 0.0,
            Pdv::Exponential { mean_ns } | Pdv::Gamma { mean_ns, .. } => mean_ns,
        }
    }

    pub(super) fn sample(&self, rng: &mut StdRng) -> f64 {
        match *self {
            Pdv::None => 0.0,
            Pdv::Exponential { mean_ns } if mean_ns > 0.0 => {
                Exp::new(1.0 / mean_ns).map_or(0.0, |d| d.sample(rng))
            }
            Pdv::Gamma { shape, mean_ns } if mean_ns > 0.0 => {
                Gamma::new(shape, mean_ns / shape).map_or(0.0, |d| d.sample(rng))
            }
            _ => 0.0,
        }
    }
}
