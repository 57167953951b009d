//! Arithmetic time: a signed span of time at the correctionField's scale.
//!
//! The wire types of [`super::time`] only decode, emit and display. Sums and
//! differences of timestamps and corrections are taken in [`Duration`]:
//! nanoseconds multiplied by 2^16 (the scale of `TimeInterval`, IEEE
//! 1588-2019 §5.3.2, that the correctionField carries, §13.3.2.9), in an
//! i128. A `Timestamp` (§5.3.3, at most 2^48 s) times 2^16 needs 95 bits, so
//! no sum or difference of a few of them can overflow, and no fraction of a
//! correction is lost before a result is shown.

use std::ops::{Add, Div, Neg, Sub};

use super::time::{Correction, Timestamp};

/// A signed span of time in units of 2^-16 ns (statime's `Duration`, at
/// the correctionField's scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i128);

impl Duration {
    pub const ZERO: Duration = Duration(0);
    /// Units per nanosecond: 2^16.
    pub const SCALE: i128 = 1 << 16;

    /// `ns` nanoseconds.
    pub fn from_ns(ns: impl Into<i128>) -> Self {
        Duration(ns.into() * Self::SCALE)
    }

    /// A value already in units of 2^-16 ns.
    pub fn from_scaled(scaled: i128) -> Self {
        Duration(scaled)
    }

    /// The time since the PTP epoch (§7.2.3) a `Timestamp` stands for.
    pub fn from_timestamp(t: Timestamp) -> Self {
        Self::from_ns(t.as_nanos())
    }

    /// The value in units of 2^-16 ns.
    pub fn scaled(self) -> i128 {
        self.0
    }

    /// Whole nanoseconds, rounded toward negative infinity.
    pub fn floor_ns(self) -> i128 {
        self.0 >> 16
    }

    /// Nanoseconds as a float (for statistics and display; never for a
    /// timestamp). Exact to the last 2^-16 ns while the whole part fits
    /// 53 bits.
    pub fn to_ns_f64(self) -> f64 {
        // Whole and fractional ns apart when they fit an i64: two
        // instructions instead of a call.
        match i64::try_from(self.0 >> 16) {
            Ok(whole) => whole as f64 + (self.0 & 0xffff) as u16 as f64 / Self::SCALE as f64,
            Err(_) => self.0 as f64 / Self::SCALE as f64,
        }
    }
}

/// A correctionField is already a [`Duration`] in its wire form.
impl From<Correction> for Duration {
    fn from(c: Correction) -> Self {
        Duration(i128::from(c.0))
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0 + rhs.0)
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0 - rhs.0)
    }
}

impl Neg for Duration {
    type Output = Duration;
    fn neg(self) -> Duration {
        Duration(-self.0)
    }
}

/// Division by an integer, rounded toward zero (a half round trip).
impl Div<i128> for Duration {
    type Output = Duration;
    fn div(self, rhs: i128) -> Duration {
        Duration(self.0 / rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_and_conversions() {
        assert_eq!(Duration::from_ns(3).scaled(), 3 << 16);
        assert_eq!(
            Duration::from(Correction((3 << 16) + 32768)).to_ns_f64(),
            3.5
        );
        assert_eq!(
            Duration::from(Correction(-(1 << 16) - 16384)).to_ns_f64(),
            -1.25
        );
        assert_eq!(Duration::from(Correction(-(5 << 16) - 1)).floor_ns(), -6);
        let t = Timestamp {
            seconds: 2,
            nanoseconds: 5,
        };
        assert_eq!(
            Duration::from_timestamp(t),
            Duration::from_ns(2_000_000_005)
        );
        let d = Duration::from_ns(10) - Duration::from(Correction(1 << 15));
        assert_eq!(d.to_ns_f64(), 9.5);
        assert_eq!((d / 2).to_ns_f64(), 4.75);
        assert_eq!((-d + Duration::ZERO).to_ns_f64(), -9.5);
        // Beyond an i64 of whole ns, the slow path.
        let big = Duration::from_scaled(i128::from(i64::MAX) << 17);
        assert_eq!(big.to_ns_f64(), 2.0 * i64::MAX as f64);
    }
}
