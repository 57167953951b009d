//! The correctionField (IEEE 1588-2019 §13.3.2.9) carried at one capture
//! point by one stream: its distribution and its jumps.
//!
//! The analyzer keeps one per health stream ([`super::Analyzer::corrections`],
//! on the analysis thread while, with estimates, the health tracker runs
//! on the reading one); the ledger compares the same message across
//! points instead.

use super::stats::Stats;
use crate::wire::Duration;

/// A change of correction at one point larger than this is a jump.
const JUMP_NS: i64 = 1_000;
/// Jumps kept per stream (all are counted).
const MAX_JUMPS: usize = 16;

/// Correction at one point, per sender port and message type.
#[derive(Debug, Clone, Default)]
pub struct PointCorrections {
    pub count: u64,
    pub nonzero: u64,
    /// The correctionField, whole ns.
    pub correction: Stats,
    last: Option<i64>,
    /// The first `MAX_JUMPS` (16) jumps.
    pub jumps: Vec<Jump>,
    pub jump_count: u64,
}

/// A change of the correction carried by a stream at one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jump {
    pub time_ns: i64,
    pub from_ns: i64,
    pub to_ns: i64,
}

impl PointCorrections {
    /// Files a correctionField (scaled, 2^-16 ns) seen at `time_ns`.
    pub fn observe(&mut self, correction_field: i64, time_ns: i64) {
        self.count += 1;
        let ns = Duration::from_scaled(i128::from(correction_field)).floor_ns() as i64;
        if correction_field != 0 {
            self.nonzero += 1;
        }
        self.correction.add(ns);
        if let Some(last) = self.last
            && (ns - last).abs() > JUMP_NS.max(last.abs() / 2)
        {
            self.jump_count += 1;
            if self.jumps.len() < MAX_JUMPS {
                self.jumps.push(Jump {
                    time_ns,
                    from_ns: last,
                    to_ns: ns,
                });
            }
        }
        self.last = Some(ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumps_are_changes_beyond_a_microsecond_or_half_the_last() {
        let mut c = PointCorrections::default();
        for (i, ns) in [0i64, 500, 0, 5_000, 5_400, 20_000].into_iter().enumerate() {
            c.observe(ns << 16, i as i64);
        }
        assert_eq!((c.count, c.nonzero), (6, 4));
        let jumps: Vec<_> = c.jumps.iter().map(|j| (j.from_ns, j.to_ns)).collect();
        assert_eq!(jumps, [(0, 5_000), (5_400, 20_000)]);
        assert_eq!(c.jump_count, 2);
    }
}
