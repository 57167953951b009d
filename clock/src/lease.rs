//! Leases and commit-wait on an error-bounded clock.
//!
//! Two kinds, as a Paxos or Raft daemon's lease layer needs them:
//!
//! - [`Lease`]: an absolute expiry in the grandmaster's timescale. Its
//!   holder acts only while `now().latest < expiry`; every other node
//!   treats it as expired only once `now().earliest > expiry`. With
//!   intervals that contain the true time, the holder stops before the
//!   true expiry and the others start after it: they never overlap,
//!   whatever the clocks' errors, as long as each stays within its bound.
//!   A clock that cannot answer (stale, disrupted) makes the holder stop
//!   and the others wait.
//! - [`MonotonicLease`]: a duration `L` for nodes without synchronized
//!   time, on each node's monotonic clock with a drift bound `rho`: the
//!   holder counts from before it asked and stops at `L(1 - rho) - e`; the
//!   others count from when they granted or learned of it and wait
//!   `L(1 + rho) + e` (Chandra, Griesemer, Redstone, "Paxos Made Live",
//!   2007).

use crate::{Error, TimeInterval};

/// Anything that says which interval the true time is in.
pub trait TimeSource {
    fn now(&self) -> Result<TimeInterval, Error>;
}

/// A lease with an absolute expiry, ns since the epoch of the clock's
/// timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub expiry_ns: i64,
}

impl Lease {
    /// The holder may act on the lease at `now`.
    pub fn holder_may_act(&self, now: &TimeInterval) -> bool {
        now.latest < self.expiry_ns
    }

    /// Any other node may consider it expired at `now`.
    pub fn expired_for_others(&self, now: &TimeInterval) -> bool {
        now.earliest > self.expiry_ns
    }

    /// The holder's question against a clock: an error is a no.
    pub fn holder_may_act_now(&self, clock: &impl TimeSource) -> bool {
        clock.now().is_ok_and(|n| self.holder_may_act(&n))
    }

    /// The others' question against a clock: an error is a no.
    pub fn expired_for_others_now(&self, clock: &impl TimeSource) -> bool {
        clock.now().is_ok_and(|n| self.expired_for_others(&n))
    }
}

/// A lease of a duration, measured on monotonic clocks whose rates differ
/// from true time by at most `rho` (e.g. 200e-6), with `e_ns` of slack for
/// the reading and scheduling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonotonicLease {
    pub duration_ns: i64,
    pub rho: f64,
    pub e_ns: i64,
}

impl MonotonicLease {
    /// The holder, which read its monotonic clock at `asked_ns` before
    /// sending the request, acts until this (its monotonic clock).
    pub fn holder_deadline(&self, asked_ns: i64) -> i64 {
        asked_ns + (self.duration_ns as f64 * (1.0 - self.rho)).floor() as i64 - self.e_ns
    }

    /// Another node, which granted or learned of the lease at `seen_ns`
    /// on its monotonic clock, waits until this before taking over.
    pub fn others_deadline(&self, seen_ns: i64) -> i64 {
        seen_ns + (self.duration_ns as f64 * (1.0 + self.rho)).ceil() as i64 + self.e_ns
    }
}

/// Waits until the clock is certainly past `t` (Spanner's commit wait),
/// then returns the interval that proved it. Errors from the clock end
/// the wait: the caller must not commit.
pub fn commit_wait(clock: &impl TimeSource, t: i64) -> Result<TimeInterval, Error> {
    loop {
        let now = clock.now()?;
        if now.after(t) {
            return Ok(now);
        }
        let gap = (t - now.earliest).clamp(1_000, 10_000_000);
        std::thread::sleep(std::time::Duration::from_nanos(gap as u64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use std::cell::Cell;

    fn at(earliest: i64, latest: i64) -> TimeInterval {
        TimeInterval {
            earliest,
            latest,
            status: Status::Synchronized,
        }
    }

    #[test]
    fn absolute_lease_edges() {
        let l = Lease { expiry_ns: 100 };
        assert!(l.holder_may_act(&at(80, 99)));
        assert!(!l.holder_may_act(&at(80, 100)));
        assert!(!l.expired_for_others(&at(100, 120)));
        assert!(l.expired_for_others(&at(101, 120)));
    }

    struct Fake(Cell<i64>, i64);

    impl TimeSource for Fake {
        fn now(&self) -> Result<TimeInterval, Error> {
            let t = self.0.get();
            self.0.set(t + 1_000_000);
            if t < 0 {
                return Err(Error::Busy);
            }
            Ok(at(t - self.1, t + self.1))
        }
    }

    #[test]
    fn commit_wait_waits_for_the_earliest() {
        let c = Fake(Cell::new(0), 500);
        let n = commit_wait(&c, 2_000_000).unwrap();
        assert!(n.earliest > 2_000_000);
        assert!(n.earliest - 2_000_000 <= 1_000_000);
        let bad = Fake(Cell::new(-5), 0);
        assert_eq!(commit_wait(&bad, 0), Err(Error::Busy));
        assert!(!Lease { expiry_ns: 10 }.holder_may_act_now(&Fake(Cell::new(-5), 0)));
    }

    #[test]
    fn monotonic_lease_margins() {
        let l = MonotonicLease {
            duration_ns: 10_000_000_000,
            rho: 200e-6,
            e_ns: 1_000_000,
        };
        assert_eq!(l.holder_deadline(0), 10_000_000_000 - 2_000_000 - 1_000_000);
        assert_eq!(l.others_deadline(0), 10_000_000_000 + 2_000_000 + 1_000_000);
    }
}
