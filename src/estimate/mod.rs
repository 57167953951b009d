//! Offset, path delay and frequency of a capture point's clock against the
//! grandmaster, with error bounds (sans-IO: fed [`Measurement`]s).
//!
//! # Samples
//! E2E (IEEE 1588 §11.3): from a Sync exchange (t1, and t2 the Sync's
//! capture time at the point) and the Delay exchange paired with it (t3 the
//! Delay_Req's capture time, t4), with `cs` the Sync's and Follow_Up's
//! corrections and `cd` the Delay_Resp's:
//!
//! ```text
//! delay  = ((t2 - t3) + (t4 - t1) - cs - cd) / 2
//! offset = t2 - t1 - cs - delay
//! ```
//!
//! The capture point stands in for the slave port: its capture clock is the
//! clock estimated, and the path is the one between the master and the
//! point. A point elsewhere (e.g. beside the master) measures its own clock
//! over a path that includes whatever lies between it and the slave's
//! traffic; the figures are then the point's, not the slave's.
//!
//! # Bounds
//! Causality: the Sync took `d1 = t2 - t1 - cs - offset >= 0` and the
//! Delay_Req `d2 = t4 - t3 - cd + offset >= 0`, so the true offset lies in
//! `[t3 - t4 + cd, t2 - t1 - cs]`, whose midpoint is the estimate: a sample
//! cannot be wrong by more than its mean path delay, plus the timestamp
//! resolution of the capture. This assumes the corrections are right for
//! the point: a sample whose path delay comes out negative contradicts it
//! (the corrections exceed the transit seen here) and is set aside and
//! counted, never used. The hard bound of the model estimate over a
//! window is the smallest such half-width in it plus the drift over the
//! window's span. The statistical bound is 1.96 robust standard deviations
//! (1.4826 MAD) of the window's offsets about the fitted line, divided by
//! the square root of the samples used, at 95 % confidence; it assumes the
//! delay asymmetry is constant and says nothing about it (only the hard
//! bound does).
//!
//! # Filters and model
//! Over a sliding window of [`WINDOW`] samples, refitted every [`REFIT`]
//! samples and carried along the fitted line between refits: samples whose path delay is
//! more than 3 MAD above the window's minimum-delay cluster are dropped
//! ("lucky packet" selection keeps the least-queued ones), then a
//! Theil–Sen line of offset against time gives the offset at the newest
//! sample and the frequency error (ppb).
//!
//! # Baseline
//! ptp4l's sample processing in free-running mode, kept to compare: a moving
//! median of the last 10 path delays, and offset = t2 - t1 - cs - median.

use serde::Serialize;

use crate::analysis::stats::{Series, Stats};
use crate::analysis::{HashMap, Measurement, PointId, capped_entry};
use crate::wire::{Correction, PortIdentity};

/// Samples in the sliding window of the filter and model.
pub const WINDOW: usize = 32;
/// The model is refitted every this many samples and carried between.
pub const REFIT: u64 = 16;
/// Series points kept per estimate (decimated beyond).
const MAX_SERIES: usize = 2048;

fn scaled(c: Correction) -> i128 {
    i128::from(c.0)
}

/// One E2E sample, ns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Capture time of the Sync at the point.
    pub time_ns: i64,
    pub offset_ns: f64,
    pub delay_ns: f64,
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
    let k = 65536i128;
    let t1 = sync.t1.as_nanos() * k;
    let t2 = i128::from(sync.t2_capture_ns) * k;
    let t3 = i128::from(delay.t3_capture_ns) * k;
    let t4 = delay.t4.as_nanos() * k;
    let cs = scaled(sync.sync_correction) + scaled(sync.follow_up_correction);
    let cd = scaled(delay.resp_correction);
    let two_delay = (t2 - t3) + (t4 - t1) - cs - cd;
    let offset2 = 2 * (t2 - t1 - cs) - two_delay;
    Some(Sample {
        time_ns: sync.t2_capture_ns,
        offset_ns: offset2 as f64 / (2.0 * k as f64),
        delay_ns: two_delay as f64 / (2.0 * k as f64),
    })
}

/// Median by selection (O(n)); the mean of the middle two for even n.
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

/// Theil–Sen slope and intercept of y against x (x relative to `x0`).
fn theil_sen(p: &[(f64, f64)]) -> (f64, f64) {
    let mut slopes = Vec::with_capacity(p.len() * p.len() / 2);
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            let dx = p[j].0 - p[i].0;
            if dx != 0.0 {
                slopes.push((p[j].1 - p[i].1) / dx);
            }
        }
    }
    let slope = if slopes.is_empty() {
        0.0
    } else {
        median(&mut slopes)
    };
    let mut icpt: Vec<f64> = p.iter().map(|(x, y)| y - slope * x).collect();
    (slope, median(&mut icpt))
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
}

/// The model fitted over a window, at `time_ns`.
#[derive(Debug, Clone, Copy)]
struct Fit {
    time_ns: i64,
    offset: f64,
    slope: f64,
    delay: f64,
    hard: f64,
    stat: f64,
    used: usize,
}

/// The estimator of one capture point and slave port.
#[derive(Debug, Clone)]
pub struct Track {
    window: std::collections::VecDeque<Sample>,
    baseline_delays: std::collections::VecDeque<f64>,
    /// Timestamp resolution of the capture, ns.
    pub resolution_ns: f64,
    /// Drift allowed when carrying a bound across the window, ppb.
    pub max_drift_ppb: f64,
    pub samples: u64,
    /// Samples with a negative path delay, not used.
    pub inconsistent: u64,
    pub offsets: Stats,
    pub abs_offsets: Stats,
    sum_sq: f64,
    pub delays: Stats,
    pub hard: Stats,
    pub stat: Stats,
    pub last: Option<Estimate>,
    pub series: Series<Estimate, MAX_SERIES>,
    fit: Option<Fit>,
}

impl Track {
    pub fn new(resolution_ns: f64) -> Self {
        Self {
            window: std::collections::VecDeque::with_capacity(WINDOW),
            baseline_delays: std::collections::VecDeque::with_capacity(10),
            resolution_ns,
            max_drift_ppb: 100_000.0,
            samples: 0,
            inconsistent: 0,
            offsets: Stats::default(),
            abs_offsets: Stats::default(),
            sum_sq: 0.0,
            delays: Stats::default(),
            hard: Stats::default(),
            stat: Stats::default(),
            last: None,
            series: Series::default(),
            fit: None,
        }
    }

    /// Adds a sample; returns the model's estimate at it.
    pub fn add(&mut self, s: Sample) -> Estimate {
        self.samples += 1;
        if self.window.len() == WINDOW {
            self.window.pop_front();
        }
        self.window.push_back(s);
        // Baseline: moving median of 10 delays.
        if self.baseline_delays.len() == 10 {
            self.baseline_delays.pop_front();
        }
        self.baseline_delays.push_back(s.delay_ns);
        let mut bd = [0.0; 10];
        let n = self.baseline_delays.len();
        for (d, x) in bd.iter_mut().zip(&self.baseline_delays) {
            *d = *x;
        }
        let base_delay = median(&mut bd[..n]);
        let baseline_offset = s.offset_ns + s.delay_ns - base_delay;

        let fit = match self.fit {
            Some(f) if !self.samples.is_multiple_of(REFIT) && self.window.len() == WINDOW => f,
            _ => {
                let f = self.refit(s.time_ns);
                self.fit = Some(f);
                f
            }
        };
        let dt = (s.time_ns - fit.time_ns) as f64;
        let drift = dt.abs() * self.max_drift_ppb * 1e-9;
        let hard = fit.hard + drift;
        let stat = fit.stat + drift;
        let e = Estimate {
            time_ns: s.time_ns,
            offset_ns: fit.offset + fit.slope * dt,
            delay_ns: fit.delay,
            frequency_ppb: fit.slope * 1e9,
            hard_bound_ns: hard,
            stat_bound_ns: stat,
            samples_used: fit.used,
            baseline_offset_ns: baseline_offset,
        };
        self.offsets.add(e.offset_ns.round() as i64);
        self.abs_offsets.add(e.offset_ns.abs().round() as i64);
        self.sum_sq += e.offset_ns * e.offset_ns;
        self.delays.add(s.delay_ns.round() as i64);
        self.hard.add(hard.round() as i64);
        self.stat.add(stat.round() as i64);
        self.last = Some(e);
        self.series.push(e);
        e
    }

    /// Fits the model over the window: lucky-packet filter, Theil–Sen
    /// line, bounds, all at `x0`.
    fn refit(&self, x0: i64) -> Fit {
        // Lucky packets: delays near the window's minimum.
        let mut d: Vec<f64> = self.window.iter().map(|w| w.delay_ns).collect();
        let dmin = d.iter().copied().fold(f64::INFINITY, f64::min);
        let dmed = median(&mut d);
        let mut dev: Vec<f64> = self
            .window
            .iter()
            .map(|w| (w.delay_ns - dmed).abs())
            .collect();
        let mad = median(&mut dev).max(self.resolution_ns);
        let used: Vec<&Sample> = self
            .window
            .iter()
            .filter(|w| w.delay_ns <= dmin + 3.0 * 1.4826 * mad)
            .collect();
        let pts: Vec<(f64, f64)> = used
            .iter()
            .map(|w| ((w.time_ns - x0) as f64, w.offset_ns))
            .collect();
        // Theil–Sen over at most 16 of them (every other one when more):
        // 120 pairwise slopes instead of 496.
        let step = pts.len().div_ceil(16).max(1);
        let thin: Vec<(f64, f64)> = pts.iter().step_by(step).copied().collect();
        let (slope, icpt) = if thin.len() >= 3 {
            theil_sen(&thin)
        } else {
            (0.0, pts.first().map_or(0.0, |p| p.1))
        };
        // Residual spread about the line, robust.
        let mut res: Vec<f64> = pts
            .iter()
            .map(|(x, y)| (y - (icpt + slope * x)).abs())
            .collect();
        let sigma = 1.4826 * median(&mut res);
        let n = pts.len().max(1) as f64;
        let stat = 1.96 * sigma / n.sqrt() + self.resolution_ns;
        // Hard: the tightest sample's half-width, carried to now with drift.
        let hard = used
            .iter()
            .map(|w| {
                let age = (x0 - w.time_ns).abs() as f64;
                w.delay_ns.max(0.0) + self.resolution_ns + age * self.max_drift_ppb * 1e-9
            })
            .fold(f64::INFINITY, f64::min);
        Fit {
            time_ns: x0,
            offset: icpt,
            slope,
            delay: used
                .iter()
                .map(|w| w.delay_ns)
                .fold(f64::INFINITY, f64::min),
            hard,
            stat,
            used: used.len(),
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

/// Estimators per capture point and slave port.
#[derive(Debug, Default)]
pub struct Estimator {
    pub tracks: HashMap<(PointId, u8, u8, PortIdentity), Track>,
    /// Samples dropped as nonsensical (zero timestamps).
    pub rejected: u64,
}

/// Why a sample was not used.
pub const NOTE_INCONSISTENT: &str = "samples with a negative path delay were set aside: the corrections exceed the transit seen at this point (it is not where the slave's port timestamps, e.g. before a TC's egress timestamp); their offsets are not bounded by causality";

impl Estimator {
    pub fn observe(&mut self, m: &Measurement) -> Option<Estimate> {
        let Measurement::E2e { sync, delay } = m else {
            return None;
        };
        let Some(s) = e2e_sample(m) else {
            self.rejected += 1;
            return None;
        };
        // Capture resolution: microsecond captures have whole-µs times.
        let us = sync.t2_capture_ns % 1000 == 0 && delay.t3_capture_ns % 1000 == 0;
        let key = (sync.point, sync.major_sdo_id, sync.domain, delay.slave);
        let track = capped_entry(&mut self.tracks, key, 10_000, || {
            Track::new(if us { 1000.0 } else { 1.0 })
        })?;
        if !us {
            track.resolution_ns = 1.0;
        }
        if s.delay_ns < 0.0 {
            track.inconsistent += 1;
            return None;
        }
        Some(track.add(s))
    }

    pub fn json(&self, name: &dyn Fn(PointId) -> String) -> Vec<EstimateJson> {
        let mut v: Vec<_> = self.tracks.iter().collect();
        v.sort_by_key(|(k, _)| **k);
        v.into_iter()
            .map(|(&(p, sdo, domain, port), t)| EstimateJson {
                point: name(p),
                major_sdo_id: sdo,
                domain,
                port: port.to_string(),
                mechanism: "E2E",
                samples: t.samples,
                inconsistent_samples: t.inconsistent,
                note: (t.inconsistent > 0).then_some(NOTE_INCONSISTENT),
                offset_ns: OffsetJson {
                    median: t.offsets.quantile(0.5),
                    rms: t.rms_ns(),
                    p99_abs: t.abs_offsets.quantile(0.99),
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
                },
                timestamp_resolution_ns: t.resolution_ns,
                series: t.series.as_slice().to_vec(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OffsetJson {
    pub median: Option<i64>,
    pub rms: f64,
    pub p99_abs: Option<i64>,
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
}

/// The `estimates` entries of `analyze --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct EstimateJson {
    pub point: String,
    pub major_sdo_id: u8,
    pub domain: u8,
    /// The slave port whose exchanges were used.
    pub port: String,
    pub mechanism: &'static str,
    /// Samples used.
    pub samples: u64,
    /// Samples set aside (negative path delay); see `note`.
    pub inconsistent_samples: u64,
    pub note: Option<&'static str>,
    pub offset_ns: OffsetJson,
    pub path_delay_ns: DelayJson,
    pub frequency_ppb: Option<f64>,
    pub bound_ns: BoundJson,
    pub timestamp_resolution_ns: f64,
    /// Model estimates over time, decimated to at most 2048.
    pub series: Vec<Estimate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{DelayExchange, SyncExchange};
    use crate::wire::Timestamp;

    const S: i64 = 1_000_000_000;

    fn ts(ns: i128) -> Timestamp {
        Timestamp {
            seconds: (ns / 1_000_000_000) as u64,
            nanoseconds: (ns % 1_000_000_000) as u32,
        }
    }

    /// An exchange with true `offset` (point clock minus master), one-way
    /// delays `d1` (master->point) and `d2`, and TC residences in the
    /// corrections.
    fn exchange(t: i64, offset: i64, d1: i64, d2: i64, res1: i64, res2: i64) -> Measurement {
        let p = PortIdentity::default();
        let t1 = i128::from(100 * S + t);
        let t2 = t1 as i64 + d1 + res1 + offset;
        let t3 = t2 + 1_000_000;
        let t4 = i128::from(t3 - offset + d2 + res2);
        Measurement::E2e {
            sync: SyncExchange {
                point: 0,
                major_sdo_id: 0,
                domain: 0,
                master: p,
                sequence_id: 0,
                one_step: false,
                t1: ts(t1),
                t2_capture_ns: t2,
                sync_correction: Correction(0),
                follow_up_correction: Correction(res1 << 16),
                sync_frame: 1,
            },
            delay: DelayExchange {
                point: 0,
                major_sdo_id: 0,
                domain: 0,
                slave: p,
                master: p,
                sequence_id: 0,
                t3_origin: ts(0),
                t3_capture_ns: t3,
                t4: ts(t4),
                req_correction: Correction(0),
                resp_correction: Correction(res2 << 16),
                resp_capture_ns: t3 + 50_000,
            },
        }
    }

    #[test]
    fn symmetric_path_gives_the_true_offset_and_delay() {
        let s = e2e_sample(&exchange(0, 1234, 5000, 5000, 300, 700)).unwrap();
        assert_eq!(s.offset_ns, 1234.0);
        assert_eq!(s.delay_ns, 5000.0);
    }

    #[test]
    fn asymmetry_is_inside_the_hard_bound() {
        // 2 µs of asymmetry: offset off by 1 µs, within the 6 µs delay.
        let s = e2e_sample(&exchange(0, 0, 7000, 5000, 0, 0)).unwrap();
        assert_eq!(s.offset_ns, 1000.0);
        assert_eq!(s.delay_ns, 6000.0);
        let mut t = Track::new(1.0);
        let e = t.add(s);
        assert!(e.offset_ns.abs() <= e.hard_bound_ns);
    }

    #[test]
    fn frequency_and_offset_from_a_drifting_clock_with_queueing() {
        // The point's clock runs 50 ppm fast from offset 10 µs; every
        // fifth Sync is queued 200 µs.
        let mut t = Track::new(1.0);
        let mut last = None;
        for i in 0..200i64 {
            let time = i * S / 8;
            let offset = 10_000 + time * 50_000 / 1_000_000_000;
            let q = if i % 5 == 0 { 200_000 } else { 0 };
            let s = e2e_sample(&exchange(time, offset, 20_000 + q, 20_000, 0, 0)).unwrap();
            last = Some((t.add(s), offset));
        }
        let (e, truth) = last.unwrap();
        assert!(
            (e.frequency_ppb - 50_000.0).abs() < 50.0,
            "{}",
            e.frequency_ppb
        );
        assert!(
            (e.offset_ns - truth as f64).abs() < 5.0,
            "{} vs {truth}",
            e.offset_ns
        );
        assert!((e.offset_ns - truth as f64).abs() <= e.hard_bound_ns);
        assert!((e.delay_ns - 20_000.0).abs() < 1.0);
        // The baseline (median of 10 delays) is pulled by the queued ones
        // less than the raw sample but still off on queued samples.
        assert!(t.samples == 200 && t.series.as_slice().len() == 200);
    }
}
