//! Offset, path delay and frequency of a capture point's clock against the
//! grandmaster, with error bounds (sans-IO: fed [`Measurement`]s).
//!
//! The capture point stands in for a slave port: its capture clock is the
//! clock estimated, over the path between the master and the point. Every
//! correction is applied as IEEE 1588 says, restricted to that path: what
//! a message carries when the point sees it is what TCs upstream of the
//! point added. A point next to the slave estimates (nearly) what the slave
//! would; a point elsewhere estimates its own clock over its own part of
//! the path, which needs no assumption about what lies beyond it.
//!
//! # E2E samples (§11.3)
//! From a Sync exchange (t1; t2 the Sync's capture time at the point; `cs`
//! its Sync and Follow_Up corrections) and the Delay exchange paired with
//! it (t3 the Delay_Req's capture time; t4), with `cd` the Delay_Resp's
//! correction minus the correction the Delay_Req already carried at the
//! point (residence downstream of the point, or the slave's own
//! asymmetry correction: not on the point's path):
//!
//! ```text
//! delay  = ((t2 - t3) + (t4 - t1) - cs - cd) / 2
//! offset = t2 - t1 - cs - delay
//! ```
//!
//! Causality: the Sync took `t2 - t1 - cs - offset >= 0` and the Delay_Req
//! `t4 - t3 - cd + offset >= 0`, so the true offset lies in
//! `[t3 - t4 + cd, t2 - t1 - cs]`, whose midpoint is the sample and whose
//! half-width is the mean path delay. A sample whose path delay comes out
//! negative contradicts the corrections (they exceed the transit the point
//! saw) and is set aside and counted, never used.
//!
//! # P2P samples (§11.4)
//! A link delay from every Pdelay exchange seen at the point, with t1 and
//! t4 the capture times of the Pdelay_Req and Pdelay_Resp and t2, t3 (or the
//! one-step turnaround) from the responder:
//! `((t4 - t1) - (t3 - t2) - c_resp - c_follow_up) / 2`. Seen from the
//! requester's end that is the link's delay; seen from the responder's end
//! it is about 0, so the requester with the largest median link delay at
//! the point, if at least 2 ns, is taken as the one whose host the point is (a P2P slave's
//! Sync arrives over the link it measures). A Sync then gives
//! `offset = t2 - t1 - cs - L` with `L` the median of that requester's last
//! 10 link delays (what ptp4l does). Its causal interval is
//! `[t2 - t1 - cs - R, t2 - t1 - cs]` with `R` the largest of those 10
//! round trips: this assumes the Sync crossed the last link no slower than
//! the slowest recent Pdelay round trip.
//!
//! # Filters, model and bounds
//! Over a sliding window of [`WINDOW`] samples, refitted every [`REFIT`]
//! samples and carried along the fitted line between refits: E2E keeps the
//! least-delayed eighth of the window, at least 8 ("lucky packets": the
//! least queued in both directions, whose offsets queueing disturbed
//! least), and fits them by least squares (each one's error is within its
//! small delay, so none can pull the line far); P2P keeps all (the link
//! delay says nothing of a Sync's own queueing) and fits a Theil–Sen line,
//! robust to the queued ones. The line of offset against time gives the
//! offset and the frequency error (ppb). An E2E sample measures the offset
//! midway between its Sync and its Delay_Req (one leg each), so it is
//! placed there in time: a drifting clock does not bias it.
//!
//! Hard bound: every sample's causal interval, widened by the drift bound
//! (`max_drift_ppm`, 200 by default: two oscillators of ±100 ppm) times its
//! age, contains the truth, so their intersection does; the estimate is
//! clamped into it and its bound is the distance to the farther end, plus
//! the timestamp resolution. An empty intersection (a clock step, or
//! corrections that lie) restarts it from the newest sample and is
//! counted. The hard bound holds whatever the queueing, given the drift
//! bound and correct TC corrections; it says nothing finer than the path's
//! asymmetry, which no one can see from the wire.
//!
//! Statistical bound: Student's t (97.5 %) × the standard error of the
//! fitted line at the estimate's time,
//! `s · sqrt(1/n + (t - t̄)² / Σ(tᵢ - t̄)²)`, plus the resolution. E2E: `s`
//! the residual standard deviation, n − 2 degrees of freedom. P2P: `s` the
//! robust spread (1.4826 MAD) of all samples about the line, the
//! intercept's variance π/2 of a mean's and 37 % of the degrees of freedom
//! (a median's efficiency). 95 % confidence if the residuals are
//! independent and the asymmetry constant (it does not include the
//! asymmetry).
//!
//! # Baseline
//! ptp4l's sample processing in free-running mode, kept to compare: a
//! moving median of the last 10 path (or link) delays, and
//! `offset = t2 - t1 - cs - median`.

use std::collections::VecDeque;

use serde::Serialize;

use crate::analysis::stats::{Series, Stats};
use crate::analysis::{HashMap, Measurement, PdelayExchange, PointId, capped_entry};
use crate::simulate::{OffsetSeries, Truth};
use crate::wire::{Correction, PortIdentity};

/// Samples in the sliding window of the filter and model.
pub const WINDOW: usize = 128;
/// The model is refitted every this many samples and carried between.
pub const REFIT: u64 = 16;
/// Series points kept per estimate (decimated beyond).
const MAX_SERIES: usize = 2048;
/// Delays whose median ptp4l's filter takes (path delays for the
/// baseline, link delays for P2P).
const MEDIAN_OF: usize = 10;
/// 2^-16 ns per ns.
const K: i128 = 65536;
/// A P2P link delay below this, seen at a point, means the point is at
/// the responder's end (or the link is shorter than a metre): not used.
const MIN_LINK_NS: f64 = 2.0;

fn scaled(c: Correction) -> i128 {
    i128::from(c.0)
}

fn ns(v: i128) -> f64 {
    // Whole and fractional ns apart when they fit an i64: two
    // instructions instead of a call.
    match i64::try_from(v >> 16) {
        Ok(whole) => whole as f64 + (v & 0xffff) as u16 as f64 / K as f64,
        Err(_) => v as f64 / K as f64,
    }
}

/// One sample, ns: the offset and the interval causality allows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Capture time of the Sync at the point.
    pub time_ns: i64,
    /// The instant whose offset the sample measures: midway between the
    /// Sync and the Delay_Req (E2E), the Sync (P2P).
    pub fit_time_ns: i64,
    pub offset_ns: f64,
    /// Mean path delay (E2E) or link delay (P2P).
    pub delay_ns: f64,
    /// The causal interval of the true offset.
    pub lo_ns: f64,
    pub hi_ns: f64,
    /// The ptp4l-like baseline's offset for the same Sync.
    #[serde(skip)]
    pub baseline_ns: f64,
}

/// Computes an E2E sample; `None` when the numbers make no sense (a
/// timestamp of zero, which two-step masters may leave in a Sync).
pub fn e2e_sample(m: &Measurement) -> Option<Sample> {
    let Measurement::E2e { sync, delay } = m else {
        return None;
    };
    if sync.t1.seconds == 0 || delay.t4.seconds == 0 {
        return None;
    }
    // Everything in 2^-16 ns.
    let t1 = sync.t1.as_nanos() * K;
    let t2 = i128::from(sync.t2_capture_ns) * K;
    let t3 = i128::from(delay.t3_capture_ns) * K;
    let t4 = delay.t4.as_nanos() * K;
    let cs = scaled(sync.sync_correction) + scaled(sync.follow_up_correction);
    let cd = scaled(delay.resp_correction) - scaled(delay.req_correction);
    let hi = t2 - t1 - cs;
    let lo = t3 - t4 + cd;
    Some(Sample {
        time_ns: sync.t2_capture_ns,
        fit_time_ns: sync.t2_capture_ns + (delay.t3_capture_ns - sync.t2_capture_ns) / 2,
        offset_ns: ns(hi + lo) / 2.0,
        delay_ns: ns(hi - lo) / 2.0,
        lo_ns: ns(lo),
        hi_ns: ns(hi),
        baseline_ns: f64::NAN,
    })
}

/// The link delay and round trip of a Pdelay exchange seen at its point,
/// 2^-16 ns; `None` for a two-step exchange without its follow-up.
pub fn link_delay(p: &PdelayExchange) -> Option<(i128, i128)> {
    let span = i128::from(p.t4_capture_ns - p.t1_capture_ns) * K;
    let turnaround = match p.t3 {
        Some(t3) => {
            (t3.as_nanos() - p.t2.as_nanos()) * K
                + scaled(p.resp_correction)
                + p.follow_up_correction.map_or(0, scaled)
        }
        None => scaled(p.resp_correction),
    };
    let rt = span - turnaround;
    Some((rt / 2, rt))
}

/// The median of the last [`MEDIAN_OF`] values (ptp4l's delay filter),
/// kept sorted as they come and go: linear in ten elements, no sort.
#[derive(Debug, Clone, Default)]
struct MovingMedian {
    /// In arrival order, a ring: the oldest at `head` once full.
    fifo: [f64; MEDIAN_OF],
    head: usize,
    len: usize,
    /// The same, sorted (the first `len`).
    sorted: [f64; MEDIAN_OF],
}

impl MovingMedian {
    fn push(&mut self, v: f64) {
        let sorted = &mut self.sorted;
        let mut n = self.len;
        if n == MEDIAN_OF {
            let old = self.fifo[self.head];
            let i = sorted.iter().position(|x| *x == old).unwrap_or(n - 1);
            sorted.copy_within(i + 1..n, i);
            n -= 1;
            self.fifo[self.head] = v;
            self.head = (self.head + 1) % MEDIAN_OF;
        } else {
            self.fifo[n] = v;
            self.len = n + 1;
        }
        let mut i = n;
        while i > 0 && sorted[i - 1] > v {
            sorted[i] = sorted[i - 1];
            i -= 1;
        }
        sorted[i] = v;
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// NaN when empty; the mean of the middle two for an even count.
    fn median(&self) -> f64 {
        let n = self.len;
        match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => self.sorted[n / 2],
            _ => (self.sorted[n / 2 - 1] + self.sorted[n / 2]) / 2.0,
        }
    }
}

/// `x` rounded to the nearest integer, halves away from zero (what
/// `f64::round` does, without its libm call), saturating.
fn nearest(x: f64) -> i64 {
    (x + 0.5f64.copysign(x)) as i64
}

/// The 97.5 % quantile of Student's t with `dof` degrees of freedom:
/// two-sided 95 %.
fn t975(dof: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match dof {
        0 => T[0],
        d if d <= 30 => T[d - 1],
        _ => 1.96,
    }
}

/// One model estimate at the newest sample of a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub time_ns: i64,
    pub offset_ns: f64,
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

/// The model fitted over a window, about `x0` (ns).
#[derive(Debug, Clone, Copy)]
struct Fit {
    x0: i64,
    offset: f64,
    slope: f64,
    delay: f64,
    /// Samples used and their mean time (relative to x0).
    used: usize,
    xbar: f64,
    /// The statistical bound at time x is `spread · sqrt(var0 + (x -
    /// xbar)² var1)`: Student's t × the residual spread, the variances of
    /// the mean and of the slope, inflated by n / n_eff.
    spread: f64,
    var0: f64,
    var1: f64,
}

/// Errors against the truth of one estimator (ours or the baseline).
#[derive(Debug, Clone, Default)]
pub struct ErrorStats {
    n: u64,
    sum_sq: f64,
    max: f64,
    abs: Stats,
    hard_covered: u64,
    stat_covered: u64,
}

impl ErrorStats {
    fn add(&mut self, err: f64, bounds: Option<(f64, f64)>) {
        self.n += 1;
        self.sum_sq += err * err;
        self.max = self.max.max(err.abs());
        self.abs.add(nearest(err.abs()));
        if let Some((hard, stat)) = bounds {
            self.hard_covered += u64::from(err.abs() <= hard);
            self.stat_covered += u64::from(err.abs() <= stat);
        }
    }

    fn json(&self, with_bounds: bool) -> ErrorJson {
        let share = |k: u64| (with_bounds && self.n > 0).then(|| k as f64 / self.n as f64);
        ErrorJson {
            samples: self.n,
            rms_ns: (self.n > 0).then(|| (self.sum_sq / self.n as f64).sqrt()),
            p99_ns: self.abs.quantile(0.99),
            max_ns: (self.n > 0).then_some(self.max),
            hard_coverage: share(self.hard_covered),
            stat_coverage: share(self.stat_covered),
        }
    }
}

/// The estimator of one capture point, slave port and master.
#[derive(Debug, Clone)]
pub struct Track {
    window: VecDeque<Sample>,
    /// Each window sample's delay in whole ns (saturated, never negative
    /// here), kept beside it: selection reads these, not the samples.
    delay_keys: VecDeque<u32>,
    /// Reused by each refit: (delay rounded, window index) keys.
    keys: Vec<u64>,
    /// Reused by each refit: (delay, time, offset).
    scratch: Vec<(f64, f64, f64)>,
    /// Sliding maximum of `lo + drift t` and minimum of `hi - drift t`
    /// over the window: (sample number, value).
    lows: VecDeque<(u64, f64)>,
    highs: VecDeque<(u64, f64)>,
    /// Time origin of the queues' values (f64 precision).
    epoch: Option<i64>,
    baseline_delays: MovingMedian,
    /// Select the least-delayed samples (E2E) or use all (P2P).
    pub lucky: bool,
    /// Timestamp resolution of the capture, ns.
    pub resolution_ns: f64,
    /// Drift allowed when carrying a bound across time, ppb.
    pub max_drift_ppb: f64,
    /// The path asymmetry applied (delayAsymmetry), ns.
    pub asymmetry_ns: f64,
    pub samples: u64,
    /// Samples with a negative path delay, not used.
    pub inconsistent: u64,
    /// Times the causal intervals did not intersect (restarted).
    pub conflicts: u64,
    pub offsets: Stats,
    sum_sq: f64,
    pub delays: Stats,
    pub hard: Stats,
    pub stat: Stats,
    pub last: Option<Estimate>,
    pub series: Series<Estimate, MAX_SERIES>,
    fit: Option<Fit>,
    truth: Option<OffsetSeries>,
    pub ours: ErrorStats,
    pub baseline: ErrorStats,
    /// Estimates outside the truth's time span.
    pub no_truth: u64,
}

impl Track {
    pub fn new(resolution_ns: f64, max_drift_ppm: f64) -> Self {
        Self {
            window: VecDeque::with_capacity(WINDOW),
            delay_keys: VecDeque::with_capacity(WINDOW),
            keys: Vec::with_capacity(WINDOW),
            scratch: Vec::with_capacity(WINDOW),
            lows: VecDeque::new(),
            highs: VecDeque::new(),
            epoch: None,
            baseline_delays: MovingMedian::default(),
            lucky: true,
            resolution_ns,
            max_drift_ppb: max_drift_ppm * 1000.0,
            asymmetry_ns: 0.0,
            samples: 0,
            inconsistent: 0,
            conflicts: 0,
            offsets: Stats::default(),
            sum_sq: 0.0,
            delays: Stats::default(),
            hard: Stats::default(),
            stat: Stats::default(),
            last: None,
            series: Series::default(),
            fit: None,
            truth: None,
            ours: ErrorStats::default(),
            baseline: ErrorStats::default(),
            no_truth: 0,
        }
    }

    /// The baseline for E2E samples: the sample's offset moved by its
    /// delay minus the median of the last 10 delays.
    fn baseline(&mut self, s: &Sample) -> f64 {
        self.baseline_delays.push(s.delay_ns);
        let median = self.baseline_delays.median();
        s.offset_ns + s.delay_ns - median
    }

    /// Appends `s` to the window, dropping the oldest when full.
    fn push_window(&mut self, s: Sample) {
        if self.window.len() == WINDOW {
            self.window.pop_front();
            self.delay_keys.pop_front();
        }
        self.window.push_back(s);
        self.delay_keys
            .push_back(s.delay_ns.clamp(0.0, u32::MAX as f64) as u32);
    }

    /// Takes `s` into the running intersection of the window's causal
    /// intervals, each widened by the drift bound times its age, and
    /// returns it at `s`'s time. A sample `i` bounds the offset at `t` from
    /// below by `lo_i + d t_i - d t` and above by `hi_i - d t_i + d t`, so
    /// the intersection is a sliding maximum and minimum (monotonic queues,
    /// O(1) per sample). Empty: a step or a broken assumption; it restarts
    /// from `s` alone, and so does the model.
    fn causal(&mut self, s: &Sample) -> (f64, f64) {
        let drift = self.max_drift_ppb * 1e-9;
        let epoch = *self.epoch.get_or_insert(s.time_ns);
        let t = (s.time_ns - epoch) as f64;
        let n = self.samples;
        let a = s.lo_ns + drift * t;
        let b = s.hi_ns - drift * t;
        while self.lows.front().is_some_and(|x| x.0 + WINDOW as u64 <= n) {
            self.lows.pop_front();
        }
        while self.highs.front().is_some_and(|x| x.0 + WINDOW as u64 <= n) {
            self.highs.pop_front();
        }
        while self.lows.back().is_some_and(|x| x.1 <= a) {
            self.lows.pop_back();
        }
        while self.highs.back().is_some_and(|x| x.1 >= b) {
            self.highs.pop_back();
        }
        self.lows.push_back((n, a));
        self.highs.push_back((n, b));
        let lo = self.lows.front().map_or(a, |x| x.1) - drift * t;
        let hi = self.highs.front().map_or(b, |x| x.1) + drift * t;
        if lo <= hi {
            return (lo, hi);
        }
        self.conflicts += 1;
        self.lows.clear();
        self.highs.clear();
        self.lows.push_back((n, a));
        self.highs.push_back((n, b));
        self.window.clear();
        self.delay_keys.clear();
        self.push_window(*s);
        self.fit = None;
        (s.lo_ns, s.hi_ns)
    }

    /// Adds a sample; returns the model's estimate at it.
    pub fn add(&mut self, mut s: Sample) -> Estimate {
        self.samples += 1;
        if s.baseline_ns.is_nan() {
            s.baseline_ns = self.baseline(&s);
        }
        // Delay exchanges paired with the same Sync share its error: the
        // model takes the first only (choosing by delay would bias it).
        if self.window.back().is_none_or(|w| w.time_ns != s.time_ns) {
            self.push_window(s);
        }
        let (lo, hi) = self.causal(&s);
        let fit = match self.fit {
            Some(f) if !self.samples.is_multiple_of(REFIT) && self.window.len() == WINDOW => f,
            _ => {
                let f = self.refit(s.time_ns);
                self.fit = Some(f);
                f
            }
        };
        let dt = (s.time_ns - fit.x0) as f64;
        let offset = (fit.offset + fit.slope * dt).clamp(lo, hi);
        let hard = (offset - lo).max(hi - offset) + self.resolution_ns;
        // Correlated residuals inflate the whole variance by n / n_eff.
        let var = fit.var0 + (dt - fit.xbar).powi(2) * fit.var1;
        let stat = (fit.spread * var.sqrt() + self.resolution_ns).min(hard);
        let mut e = Estimate {
            time_ns: s.time_ns,
            offset_ns: offset,
            delay_ns: fit.delay,
            frequency_ppb: fit.slope * 1e9,
            hard_bound_ns: hard,
            stat_bound_ns: stat,
            samples_used: fit.used,
            baseline_offset_ns: s.baseline_ns,
            truth_ns: None,
        };
        if let Some(series) = &self.truth {
            match series.at(s.time_ns) {
                Some(t) => {
                    e.truth_ns = Some(t);
                    self.ours.add(e.offset_ns - t, Some((hard, stat)));
                    self.baseline.add(e.baseline_offset_ns - t, None);
                }
                None => self.no_truth += 1,
            }
        }
        self.offsets.add(nearest(e.offset_ns));
        self.sum_sq += e.offset_ns * e.offset_ns;
        self.delays.add(nearest(s.delay_ns));
        self.hard.add(nearest(hard));
        self.stat.add(nearest(stat));
        self.last = Some(e);
        self.series.push(e);
        e
    }

    /// Fits the model over the window: lucky-packet filter, Theil–Sen
    /// line and its spread, about `x0`.
    fn refit(&mut self, x0: i64) -> Fit {
        let n = self.window.len();
        // Lucky packets: the least-delayed eighth (at least 8), whose
        // offsets the queueing disturbed least. P2P delays say nothing of
        // the Sync's own queueing: all samples are used (the mean of their
        // errors is that of the link delay's estimate, near 0).
        let keep = if self.lucky { (n / 8).max(8).min(n) } else { n };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let point = |w: &Sample| (w.delay_ns, (w.fit_time_ns - x0) as f64, w.offset_ns);
        if keep < n {
            // The least delayed, in time order: select on integer keys,
            // the delay in ns (saturated, never negative here) above the
            // window index.
            let mut keys = std::mem::take(&mut self.keys);
            keys.clear();
            keys.extend(
                self.delay_keys
                    .iter()
                    .enumerate()
                    .map(|(i, d)| u64::from(*d) << 32 | i as u64),
            );
            keys.select_nth_unstable(keep - 1);
            let lucky = &mut keys[..keep];
            lucky.sort_unstable_by_key(|k| *k as u32);
            scratch.extend(
                lucky
                    .iter()
                    .filter_map(|k| self.window.get(*k as u32 as usize).map(point)),
            );
            self.keys = keys;
        } else {
            scratch.extend(self.window.iter().map(point));
        }
        let fit = Self::fit_line(x0, &scratch);
        self.scratch = scratch;
        fit
    }

    /// A least-squares line through `(delay, x, offset)` points about
    /// `x0`, in time order. Its spread is the residuals' standard
    /// deviation, and its sample count the effective one of residuals
    /// with lag-one autocorrelation `r > 0`: `n (1 - r) / (1 + r)` (P2P
    /// samples share the link delay's median, and so their errors).
    fn fit_line(x0: i64, p: &[(f64, f64, f64)]) -> Fit {
        let dmin = p.iter().map(|w| w.0).fold(f64::INFINITY, f64::min);
        let n = p.len().max(1) as f64;
        let xbar = p.iter().map(|w| w.1).sum::<f64>() / n;
        let sxx = p.iter().map(|w| (w.1 - xbar).powi(2)).sum::<f64>();
        let ybar = p.iter().map(|w| w.2).sum::<f64>() / n;
        // (intercept, slope, residual spread, effective count, its dof)
        let (offset, slope, sigma, n_eff, dof) = if p.len() < 3 {
            // Too few for a line: their mean, the spread unknown (the
            // delay stands in).
            (ybar, 0.0, dmin.max(0.0), n, 1)
        } else {
            let sxy = p.iter().map(|w| (w.1 - xbar) * (w.2 - ybar)).sum::<f64>();
            let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
            let icpt = ybar - slope * xbar;
            let res = |w: &(f64, f64, f64)| w.2 - icpt - slope * w.1;
            let rss: f64 = p.iter().map(|w| res(w).powi(2)).sum();
            let lag: f64 = p.windows(2).map(|w| res(&w[0]) * res(&w[1])).sum();
            let r = if rss > 0.0 {
                (lag / rss).clamp(0.0, 0.95)
            } else {
                0.0
            };
            let n_eff = (n * (1.0 - r) / (1.0 + r)).max(3.0);
            let sigma = (rss / (n - 2.0)).sqrt();
            (icpt, slope, sigma, n_eff, (n_eff - 2.0).floor() as usize)
        };
        Fit {
            x0,
            offset,
            slope,
            delay: dmin,
            used: p.len(),
            xbar,
            spread: t975(dof) * sigma,
            var0: 1.0 / n_eff,
            var1: if sxx > 0.0 { n / n_eff / sxx } else { 0.0 },
        }
    }

    pub fn rms_ns(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            (self.sum_sq / self.samples as f64).sqrt()
        }
    }
}

/// The estimator's settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Bound on the frequency difference of a point's clock and the
    /// grandmaster's, ppm (0: the default, 200).
    pub max_drift_ppm: f64,
    /// Known truth (from `ptpscope simulate`) to compare against.
    pub truth: Option<Truth>,
    /// Estimate at all.
    pub enabled: bool,
    /// Known path asymmetries (IEEE 1588 delayAsymmetry, ns): for the
    /// named capture point, or every point (`None`); a named one wins.
    pub asymmetry: Vec<(Option<String>, f64)>,
}

/// Which track: point, majorSdoId, domain, slave port (E2E: the
/// Delay_Req's source; P2P: the Pdelay requester), master port, P2P.
pub type TrackKey = (PointId, u8, u8, PortIdentity, PortIdentity, bool);

/// The last link delays and round trips of one Pdelay requester at one
/// point, ns.
#[derive(Debug, Clone, Default)]
struct Link {
    delays: MovingMedian,
    round_trips: VecDeque<f64>,
}

/// Which measurements an [`Estimator`] can use, decided from the
/// measurements alone (so another thread can filter what it sends): a
/// Sync gives a P2P sample only at a point where a Pdelay exchange was
/// seen before it, which most E2E captures never have.
#[derive(Debug, Clone, Default)]
pub struct Relevant {
    pdelay_at: Vec<bool>,
}

impl Relevant {
    pub fn keep(&mut self, m: &Measurement) -> bool {
        match m {
            Measurement::E2e { .. } => true,
            Measurement::Pdelay(p) => {
                if let Some(seen) = self.pdelay_at.get_mut(p.point) {
                    *seen = true;
                } else if p.point < 1 << 16 {
                    self.pdelay_at.resize(p.point + 1, false);
                    self.pdelay_at[p.point] = true;
                }
                true
            }
            Measurement::Sync(s) => self
                .pdelay_at
                .get(s.point)
                .copied()
                .unwrap_or(s.point >= 1 << 16),
        }
    }
}

/// Estimators per capture point, slave port and master.
#[derive(Debug, Default)]
pub struct Estimator {
    /// The tracks, in order of appearance.
    pub tracks: Vec<(TrackKey, Track)>,
    index: HashMap<TrackKey, usize>,
    /// The track used last (consecutive samples are mostly of one).
    last: usize,
    links: HashMap<(PointId, u8, u8, PortIdentity), Link>,
    /// Samples dropped as nonsensical (zero timestamps).
    pub rejected: u64,
    max_drift_ppm: f64,
    truth: Option<Truth>,
    asymmetry: Vec<(Option<String>, f64)>,
    /// Whether measurements are to be observed (`--no-estimates`).
    pub enabled: bool,
}

/// Why a sample was not used.
pub const NOTE_INCONSISTENT: &str = "samples with a negative path delay were set aside: the corrections exceed the transit seen at this point (it is not where the slave's port timestamps, e.g. before a TC's egress timestamp); their offsets are not bounded by causality";

impl Estimator {
    pub fn new(config: Config) -> Self {
        Self {
            max_drift_ppm: config.max_drift_ppm,
            truth: config.truth,
            asymmetry: config.asymmetry,
            enabled: config.enabled,
            ..Default::default()
        }
    }

    /// The track of the last sample taken (what the last estimate came
    /// from).
    pub fn last_track(&self) -> Option<&(TrackKey, Track)> {
        self.tracks.get(self.last)
    }

    fn drift_ppm(&self) -> f64 {
        if self.max_drift_ppm > 0.0 {
            self.max_drift_ppm
        } else {
            200.0
        }
    }

    fn track<'n>(
        &mut self,
        key: TrackKey,
        microseconds: bool,
        name: &dyn Fn(PointId) -> &'n str,
    ) -> Option<&mut Track> {
        let i = match self.tracks.get(self.last) {
            Some((k, _)) if *k == key => self.last,
            _ => {
                let next = self.tracks.len();
                let drift = self.drift_ppm();
                let truth = &self.truth;
                let asymmetry = &self.asymmetry;
                let tracks = &mut self.tracks;
                let i = *capped_entry(&mut self.index, key, 10_000, || {
                    let mut t = Track::new(if microseconds { 1000.0 } else { 1.0 }, drift);
                    let point = name(key.0);
                    t.asymmetry_ns = asymmetry
                        .iter()
                        .rev()
                        .find(|(p, _)| p.as_deref() == Some(point))
                        .or_else(|| asymmetry.iter().rev().find(|(p, _)| p.is_none()))
                        .map_or(0.0, |a| a.1);
                    t.truth = truth.as_ref().and_then(|tr| {
                        let p = tr.points.iter().find(|p| p.name == point)?;
                        let gm = key.4.clock_identity.to_string();
                        p.offsets.iter().find(|s| s.grandmaster == gm).cloned()
                    });
                    tracks.push((key, t));
                    next
                })?;
                self.last = i;
                i
            }
        };
        let t = &mut self.tracks[i].1;
        if !microseconds {
            t.resolution_ns = 1.0;
        }
        t.lucky = !key.5;
        Some(t)
    }

    /// Feeds one measurement; returns the estimate it produced.
    pub fn observe<'n>(
        &mut self,
        m: &Measurement,
        name: &dyn Fn(PointId) -> &'n str,
    ) -> Option<Estimate> {
        match m {
            Measurement::E2e { sync, delay } => {
                let Some(mut s) = e2e_sample(m) else {
                    self.rejected += 1;
                    return None;
                };
                // The Delay_Req saw the offset of a later instant.
                let apart = (delay.t3_capture_ns - sync.t2_capture_ns).abs() as f64;
                s.lo_ns -= apart * self.drift_ppm() * 1e-6;
                let us = sync.t2_capture_ns % 1000 == 0 && delay.t3_capture_ns % 1000 == 0;
                let key = (
                    sync.point,
                    sync.major_sdo_id,
                    sync.domain,
                    delay.slave,
                    sync.master,
                    false,
                );
                let track = self.track(key, us, name)?;
                if s.delay_ns < 0.0 {
                    track.inconsistent += 1;
                    return None;
                }
                // The Sync's leg is the mean path delay plus the asymmetry.
                s.offset_ns -= track.asymmetry_ns;
                Some(track.add(s))
            }
            Measurement::Pdelay(p) => {
                let (d, rt) = link_delay(p)?;
                let key = (p.point, p.major_sdo_id, p.domain, p.requester);
                let l = capped_entry(&mut self.links, key, 10_000, Link::default)?;
                l.delays.push(ns(d));
                if l.round_trips.len() == MEDIAN_OF {
                    l.round_trips.pop_front();
                }
                l.round_trips.push_back(ns(rt));
                None
            }
            Measurement::Sync(sync) => {
                if sync.t1.seconds == 0 {
                    return None;
                }
                // The requester at this point with the longest link.
                let (requester, link) = self
                    .links
                    .iter()
                    .filter(|((p, sdo, dom, _), l)| {
                        *p == sync.point
                            && *sdo == sync.major_sdo_id
                            && *dom == sync.domain
                            && !l.delays.is_empty()
                    })
                    .map(|(k, l)| (k.3, l))
                    .max_by(|a, b| a.1.delays.median().total_cmp(&b.1.delays.median()))
                    .filter(|(_, l)| l.delays.median() >= MIN_LINK_NS)?;
                let l = link.delays.median();
                let rt = link.round_trips.iter().copied().fold(0.0, f64::max);
                let t1 = sync.t1.as_nanos() * K;
                let t2 = i128::from(sync.t2_capture_ns) * K;
                let cs = scaled(sync.sync_correction) + scaled(sync.follow_up_correction);
                let hi = ns(t2 - t1 - cs);
                let s = Sample {
                    time_ns: sync.t2_capture_ns,
                    fit_time_ns: sync.t2_capture_ns,
                    offset_ns: hi - l,
                    delay_ns: l,
                    lo_ns: hi - rt,
                    hi_ns: hi,
                    baseline_ns: hi - l,
                };
                let us = sync.t2_capture_ns % 1000 == 0;
                let key = (
                    sync.point,
                    sync.major_sdo_id,
                    sync.domain,
                    requester,
                    sync.master,
                    true,
                );
                let track = self.track(key, us, name)?;
                if l < 0.0 {
                    track.inconsistent += 1;
                    return None;
                }
                let s = Sample {
                    offset_ns: s.offset_ns - track.asymmetry_ns,
                    baseline_ns: s.baseline_ns - track.asymmetry_ns,
                    ..s
                };
                Some(track.add(s))
            }
        }
    }

    pub fn json(&self, name: &dyn Fn(PointId) -> String) -> Vec<EstimateJson> {
        let mut v: Vec<_> = self.tracks.iter().collect();
        v.sort_by_key(|(k, _)| *k);
        v.into_iter()
            .map(
                |&((p, sdo, domain, port, master, p2p), ref t)| EstimateJson {
                    point: name(p),
                    major_sdo_id: sdo,
                    domain,
                    port: port.to_string(),
                    master: master.to_string(),
                    mechanism: if p2p { "P2P" } else { "E2E" },
                    samples: t.samples,
                    inconsistent_samples: t.inconsistent,
                    conflicts: t.conflicts,
                    note: (t.inconsistent > 0).then_some(NOTE_INCONSISTENT),
                    offset_ns: OffsetJson {
                        median: t.offsets.quantile(0.5),
                        rms: t.rms_ns(),
                        p99_abs: t.offsets.abs_quantile(0.99),
                    },
                    path_delay_ns: DelayJson {
                        min: t.delays.min(),
                        median: t.delays.quantile(0.5),
                    },
                    frequency_ppb: t.last.map(|e| e.frequency_ppb),
                    bound_ns: BoundJson {
                        hard_median: t.hard.quantile(0.5),
                        stat_median: t.stat.quantile(0.5),
                        confidence: 0.95,
                        max_drift_ppm: t.max_drift_ppb / 1000.0,
                    },
                    timestamp_resolution_ns: t.resolution_ns,
                    delay_asymmetry_ns: t.asymmetry_ns,
                    truth: self.truth.as_ref().map(|_| TruthJson {
                        found: t.truth.is_some(),
                        outside_span: t.no_truth,
                        ours: t.ours.json(true),
                        baseline: t.baseline.json(false),
                    }),
                    series: t.series.as_slice().to_vec(),
                },
            )
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OffsetJson {
    pub median: Option<i64>,
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
    /// The drift bound the hard bound assumes.
    pub max_drift_ppm: f64,
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
    /// Times the causal intervals stopped intersecting (a step).
    pub conflicts: u64,
    pub note: Option<&'static str>,
    pub offset_ns: OffsetJson,
    pub path_delay_ns: DelayJson,
    pub frequency_ppb: Option<f64>,
    pub bound_ns: BoundJson,
    pub timestamp_resolution_ns: f64,
    /// The path asymmetry applied (`--delay-asymmetry`), ns.
    pub delay_asymmetry_ns: f64,
    /// With `--truth`: errors and bound coverage, ours and the baseline's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truth: Option<TruthJson>,
    /// Model estimates over time, decimated to at most 2048.
    pub series: Vec<Estimate>,
}

#[cfg(test)]
mod tests;
