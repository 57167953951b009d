//! Streaming statistics in fixed memory: count, mean, standard deviation
//! (sums of deviations from the first sample: no division per sample), extremes, and quantiles from a log-linear histogram.
//!
//! The histogram holds each sample's deviation from a reference value (0 by
//! default; the advertised interval for message intervals), with 32
//! sub-buckets per power of two on each side of it. A quantile is the
//! midpoint of a bucket no wider than 1/32 of its distance from the
//! reference, so its error is at most 1.6 % of that distance: a 125 ms
//! interval with 50 µs of jitter has its p99 known to within about 1 µs.
//! Deviations below 32 are exact. Memory is fixed (2 × 64 × 32 counters),
//! whatever the number of samples.
//!
//! While there are at most [`EXACT`] samples they are also kept as they
//! are, and quantiles are exact: a handful of samples does not deserve the
//! histogram's rounding (a lone sample's p99 is that sample). Every
//! quantile lies within the samples' extremes.

use serde::Serialize;

/// When events of one kind happened: the first and last capture time, ns
/// (null until one did).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
}

impl Span {
    /// An event at capture time `t_ns`.
    pub fn saw(&mut self, t_ns: i64) {
        self.first_ns = Some(self.first_ns.map_or(t_ns, |f| f.min(t_ns)));
        self.last_ns = Some(self.last_ns.map_or(t_ns, |l| l.max(t_ns)));
    }
}

/// Samples kept exactly, for exact quantiles of small counts.
pub const EXACT: usize = 32;

const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;

/// Summary statistics of non-negative integer samples (nanoseconds).
#[derive(Debug, Clone)]
pub struct Stats {
    count: u64,
    /// The first sample: sums are of deviations from it.
    shift: f64,
    sum: f64,
    sumsq: f64,
    min: i64,
    max: i64,
    reference: i64,
    /// Deviations at or above the reference.
    above: Box<[u32]>,
    /// Magnitudes of deviations below the reference.
    below: Box<[u32]>,
    /// The first [`EXACT`] samples.
    exact: [i64; EXACT],
}

impl Default for Stats {
    fn default() -> Self {
        Self::with_reference(0)
    }
}

/// Bucket index of a non-negative value.
fn bucket(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = exp - SUB_BITS;
    let sub = (v >> shift) as usize & (SUB - 1);
    ((exp - SUB_BITS + 1) as usize) * SUB + sub
}

/// Lowest value and width of bucket `i`.
fn bucket_range(i: usize) -> (u64, u64) {
    if i < SUB {
        return (i as u64, 1);
    }
    let exp = (i / SUB) as u32 + SUB_BITS - 1;
    let sub = (i % SUB) as u64;
    let shift = exp - SUB_BITS;
    (((SUB as u64) | sub) << shift, 1u64 << shift)
}

impl Stats {
    /// Statistics whose quantiles are most precise near `reference`.
    pub fn with_reference(reference: i64) -> Self {
        Self {
            count: 0,
            shift: 0.0,
            sum: 0.0,
            sumsq: 0.0,
            min: i64::MAX,
            max: i64::MIN,
            reference,
            above: vec![0; 64 * SUB].into_boxed_slice(),
            below: vec![0; 64 * SUB].into_boxed_slice(),
            exact: [0; EXACT],
        }
    }

    pub fn add(&mut self, v: i64) {
        if let Some(slot) = usize::try_from(self.count)
            .ok()
            .and_then(|i| self.exact.get_mut(i))
        {
            *slot = v;
        }
        self.count += 1;
        let x = v as f64;
        if self.count == 1 {
            self.shift = x;
        }
        let d = x - self.shift;
        self.sum += d;
        self.sumsq += d * d;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        // |v - reference| fits a u64 whatever the two i64s.
        let (side, mag) = if v >= self.reference {
            (&mut self.above, v.abs_diff(self.reference))
        } else {
            (&mut self.below, v.abs_diff(self.reference))
        };
        if let Some(b) = side.get_mut(bucket(mag)) {
            *b = b.saturating_add(1);
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.shift + self.sum / self.count as f64)
    }

    /// Population standard deviation.
    pub fn stddev(&self) -> Option<f64> {
        (self.count > 0).then(|| {
            let n = self.count as f64;
            ((self.sumsq - self.sum * self.sum / n) / n).max(0.0).sqrt()
        })
    }

    pub fn min(&self) -> Option<i64> {
        (self.count > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<i64> {
        (self.count > 0).then_some(self.max)
    }

    /// How many samples lie at or below quantile `q` (at least one).
    fn rank(&self, q: f64) -> u64 {
        ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1)
    }

    /// The `q` quantile (0..=1), within the histogram's resolution and
    /// clamped to the observed extremes.
    pub fn quantile(&self, q: f64) -> Option<i64> {
        if self.count == 0 {
            return None;
        }
        let rank = self.rank(q);
        if let Some(v) = self.exact_samples() {
            let mut v = v.to_vec();
            v.sort_unstable();
            return v.get(rank as usize - 1).copied();
        }
        let mid = |i: usize| {
            let (lo, width) = bucket_range(i);
            i128::from(lo) + i128::from(width / 2)
        };
        // Below the reference, from the farthest; then above, from the nearest.
        let below = self
            .below
            .iter()
            .enumerate()
            .rev()
            .map(|(i, &n)| (-mid(i), n));
        let above = self.above.iter().enumerate().map(|(i, &n)| (mid(i), n));
        let mut seen = 0u64;
        for (dev, n) in below.chain(above) {
            seen += u64::from(n);
            if seen >= rank {
                let v = i128::from(self.reference) + dev;
                let v = i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
                return Some(v.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Quantile `q` of the magnitudes `|v - reference|`, from the same
    /// histogram (its buckets are of magnitudes on either side).
    pub fn abs_quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = self.rank(q);
        let r = i128::from(self.reference);
        let magnitude =
            |v: i64| u64::try_from((i128::from(v) - r).unsigned_abs()).unwrap_or(u64::MAX);
        if let Some(v) = self.exact_samples() {
            let mut m: Vec<u64> = v.iter().map(|&v| magnitude(v)).collect();
            m.sort_unstable();
            return m.get(rank as usize - 1).copied();
        }
        let far = magnitude(self.min).max(magnitude(self.max));
        // The smallest magnitude: 0 when the samples straddle the reference.
        let near = if i128::from(self.min) <= r && r <= i128::from(self.max) {
            0
        } else {
            magnitude(self.min).min(magnitude(self.max))
        };
        let mut seen = 0u64;
        for (i, (a, b)) in self.above.iter().zip(self.below.iter()).enumerate() {
            seen += u64::from(*a) + u64::from(*b);
            if seen >= rank {
                let (lo, width) = bucket_range(i);
                return Some((lo + width / 2).clamp(near, far));
            }
        }
        Some(far)
    }

    /// All the samples, while there are at most [`EXACT`] of them.
    fn exact_samples(&self) -> Option<&[i64]> {
        usize::try_from(self.count)
            .ok()
            .filter(|&n| n <= EXACT)
            .map(|n| &self.exact[..n])
    }

    /// The samples on at most `bins` equal bins from the minimum to the
    /// `q_hi` quantile, rebinned from the log-linear buckets (each counted
    /// in the bin of its midpoint, so a bin edge is as exact as a
    /// quantile); samples beyond go to `above`. For drawing: the counts are
    /// of every sample.
    pub fn histogram(&self, bins: usize, q_hi: f64) -> Option<Histogram> {
        if self.count == 0 || bins == 0 {
            return None;
        }
        let start = self.min;
        let hi = self.quantile(q_hi).unwrap_or(self.max).max(start);
        let span = i128::from(hi) - i128::from(start) + 1;
        let width = i64::try_from(((span + bins as i128 - 1) / bins as i128).max(1)).ok()?;
        let n = usize::try_from((span + i128::from(width) - 1) / i128::from(width)).ok()?;
        let mut h = Histogram {
            start_ns: start,
            bin_ns: width,
            counts: vec![0; n.clamp(1, bins)],
            above: 0,
        };
        let mid = |i: usize| {
            let (lo, w) = bucket_range(i);
            i128::from(lo) + i128::from(w / 2)
        };
        let r = i128::from(self.reference);
        let sides = self.below.iter().enumerate().map(|(i, &c)| (r - mid(i), c));
        let sides = sides.chain(self.above.iter().enumerate().map(|(i, &c)| (r + mid(i), c)));
        for (v, c) in sides.filter(|&(_, c)| c > 0) {
            let v = v.clamp(i128::from(self.min), i128::from(self.max));
            if v > i128::from(hi) {
                h.above += u64::from(c);
            } else {
                let bin = ((v - i128::from(start)) / i128::from(width)) as usize;
                let last = h.counts.len() - 1;
                h.counts[bin.min(last)] += u64::from(c);
            }
        }
        Some(h)
    }

    pub fn summary(&self) -> Option<Summary> {
        (self.count > 0).then(|| Summary {
            count: self.count,
            mean: self.mean().unwrap_or(0.0),
            stddev: self.stddev().unwrap_or(0.0),
            min: self.min,
            median: self.quantile(0.5).unwrap_or(self.min),
            p99: self.quantile(0.99).unwrap_or(self.max),
            max: self.max,
        })
    }
}

/// A time series of at most `CAP` points: every sample while there is
/// room; when full, every other one is dropped and from then on only every
/// second (fourth, …) sample is kept, so the series spans the whole run.
#[derive(Debug, Clone)]
pub struct Series<T, const CAP: usize> {
    points: Vec<T>,
    stride: u64,
    seen: u64,
}

impl<T, const CAP: usize> Default for Series<T, CAP> {
    fn default() -> Self {
        Self {
            points: Vec::new(),
            stride: 1,
            seen: 0,
        }
    }
}

impl<T, const CAP: usize> Series<T, CAP> {
    pub fn push(&mut self, v: T) {
        self.seen += 1;
        // The stride is a power of two: a mask, not a division.
        if self.seen & (self.stride - 1) != 0 {
            return;
        }
        if self.points.len() >= CAP {
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 0
            });
            self.stride *= 2;
        }
        self.points.push(v);
    }

    pub fn as_slice(&self) -> &[T] {
        &self.points
    }
}

/// Counts on equal bins: bin i holds samples in
/// `[start_ns + i·bin_ns, start_ns + (i+1)·bin_ns)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    pub start_ns: i64,
    pub bin_ns: i64,
    pub counts: Vec<u64>,
    /// Samples beyond the last bin.
    pub above: u64,
}

/// What [`Stats`] reports, in the unit of its samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    /// Standard deviation: the jitter, for intervals.
    pub stddev: f64,
    pub min: i64,
    pub median: i64,
    pub p99: i64,
    pub max: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_sample_in_its_bin() {
        let mut s = Stats::default();
        // 1000 samples 0..1000 µs in steps of 1 µs, and 10 far outliers.
        for i in 0..1000 {
            s.add(i * 1000);
        }
        for _ in 0..10 {
            s.add(50_000_000);
        }
        let h = s.histogram(10, 0.99).unwrap();
        assert_eq!(h.start_ns, 0);
        assert_eq!(h.counts.len(), 10);
        assert_eq!(h.counts.iter().sum::<u64>() + h.above, 1010);
        assert_eq!(h.above, 10, "{h:?}");
        // Equal bins of a uniform spread hold about equal counts (bucket
        // midpoints, 1.6 % wide here, move some samples across bin edges).
        for (i, &c) in h.counts.iter().enumerate() {
            assert!((85..=120).contains(&c), "bin {i}: {c} in {h:?}");
        }
        // One value only: one bin.
        let mut one = Stats::default();
        one.add(7);
        one.add(7);
        let h = one.histogram(40, 0.99).unwrap();
        assert_eq!((h.start_ns, h.counts.clone(), h.above), (7, vec![2], 0));
        // Negative values below the reference.
        let mut neg = Stats::default();
        for v in [-300, -200, -100, 100] {
            neg.add(v);
        }
        let h = neg.histogram(4, 1.0).unwrap();
        assert_eq!(h.counts.iter().sum::<u64>(), 4);
        assert!(h.counts[0] >= 1, "{h:?}");
        assert_eq!(*h.counts.last().unwrap(), 1);
        assert!(Stats::default().histogram(10, 0.99).is_none());
    }

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 40) + 12345, u64::MAX >> 1]) {
            let b = bucket(v);
            assert!(b >= last, "bucket order at {v}");
            let (lo, w) = bucket_range(b);
            assert!(
                lo <= v && v - lo < w,
                "{v} not in bucket {b} = [{lo}, +{w})"
            );
            last = b;
        }
    }

    #[test]
    fn quantiles_are_within_resolution() {
        let mut s = Stats::default();
        for v in 1..=100_000 {
            s.add(v * 10);
        }
        let p50 = s.quantile(0.5).unwrap() as f64;
        let p99 = s.quantile(0.99).unwrap() as f64;
        assert!((p50 / 500_000.0 - 1.0).abs() < 0.016, "{p50}");
        assert!((p99 / 990_000.0 - 1.0).abs() < 0.016, "{p99}");
        assert_eq!(s.min(), Some(10));
        assert_eq!(s.max(), Some(1_000_000));
        assert!((s.mean().unwrap() - 500_005.0).abs() < 1e-6);
        // Uniform 10..=1e6: sd = 1e6 / sqrt(12).
        assert!((s.stddev().unwrap() / (1e6 / 12f64.sqrt()) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn small_counts_have_exact_quantiles_inside_the_extremes() {
        // One sample far from the reference: every quantile is that sample
        // (the histogram alone put a lone 1.79e18 ns p99 0.64 % low).
        let mut one = Stats::default();
        one.add(1_794_989_209_000_000_000);
        assert_eq!(one.quantile(0.99), Some(1_794_989_209_000_000_000));
        assert_eq!(one.quantile(0.5), Some(1_794_989_209_000_000_000));
        assert_eq!(one.abs_quantile(0.99), Some(1_794_989_209_000_000_000));
        // Constant data, then a few: quantiles are samples, in [min, max].
        let mut few = Stats::default();
        for v in [-7_000_123, 5_000_321, 9_999_999, 5_000_321, 12] {
            few.add(v);
        }
        assert_eq!(few.quantile(0.0), Some(-7_000_123));
        assert_eq!(few.quantile(0.5), Some(5_000_321));
        assert_eq!(few.quantile(0.99), Some(9_999_999));
        assert_eq!(few.abs_quantile(0.5), Some(5_000_321));
        assert_eq!(few.abs_quantile(0.99), Some(9_999_999));
        // Past EXACT samples the histogram answers, still within the
        // extremes of both the values and their magnitudes.
        let mut many = Stats::default();
        for i in 0..(EXACT as i64 * 4) {
            many.add(1_000_000_007 + i % 3);
        }
        for q in [0.0, 0.01, 0.5, 0.99, 1.0] {
            let v = many.quantile(q).unwrap();
            assert!((1_000_000_007..=1_000_000_009).contains(&v), "{q}: {v}");
            let a = many.abs_quantile(q).unwrap();
            assert!((1_000_000_007..=1_000_000_009).contains(&a), "{q}: {a}");
        }
    }

    #[test]
    fn series_decimate_to_their_cap_and_span_the_run() {
        let mut s = Series::<u32, 8>::default();
        for i in 1..=100u32 {
            s.push(i);
        }
        let v = s.as_slice();
        assert!(v.len() <= 8, "{v:?}");
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        assert!(*v.last().unwrap() > 80, "{v:?}");
        let mut short = Series::<i32, 8>::default();
        for i in 0..5 {
            short.push(i);
        }
        assert_eq!(short.as_slice(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn small_values_are_exact_and_empty_is_none() {
        let mut s = Stats::default();
        assert!(s.summary().is_none());
        for v in [3, 1, 2] {
            s.add(v);
        }
        assert_eq!(s.quantile(0.5), Some(2));
        assert_eq!(s.quantile(1.0), Some(3));
        assert_eq!(s.quantile(0.0), Some(1));
    }

    #[test]
    fn negative_samples_are_ordered() {
        let mut s = Stats::default();
        for v in [-5, 10, -20, 30] {
            s.add(v);
        }
        assert_eq!(s.quantile(0.25), Some(-20));
        assert_eq!(s.quantile(0.5), Some(-5));
        assert_eq!(s.quantile(0.75), Some(10));
        assert_eq!(s.min(), Some(-20));
    }

    #[test]
    fn a_reference_keeps_quantiles_precise_far_from_zero() {
        // 125 ms intervals with ±50 µs of spread: p99 within 1 µs.
        let mut s = Stats::with_reference(125_000_000);
        for i in 0..10_000i64 {
            s.add(125_000_000 + (i % 101 - 50) * 1000);
        }
        let p99 = s.quantile(0.99).unwrap();
        assert!((p99 - 125_049_000).abs() <= 1000, "{p99}");
        let p50 = s.quantile(0.5).unwrap();
        assert!((p50 - 125_000_000).abs() <= 1000, "{p50}");
    }

    #[test]
    fn abs_quantile_folds_both_sides() {
        let mut s = Stats::default();
        for v in [-1000, -10, 0, 5, 20, 3000] {
            s.add(v);
        }
        // Magnitudes 0, 5, 10, 20, 1000, 3000.
        assert_eq!(s.abs_quantile(0.5), Some(10));
        // Beyond 32, the bucket's midpoint: within 1.6 %.
        let top = s.abs_quantile(1.0).unwrap();
        assert!((2952..=3000).contains(&top), "{top}");
        let q = s.abs_quantile(0.8).unwrap();
        assert!((960..=1040).contains(&q), "{q}");
        assert_eq!(Stats::default().abs_quantile(0.5), None);
    }
}
