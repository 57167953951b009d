//! The synchronized, error-bounded time that `ptpscope serve` publishes,
//! read lock-free from shared memory; and the lease and commit-wait logic
//! a consensus daemon builds on it.
//!
//! A consensus daemon's lease layer needs not what time it is but the
//! interval the true time is certainly in. [`ClockReader::now`] gives it:
//! `[earliest, latest]` in ns since the epoch of the grandmaster's
//! timescale, from CLOCK_MONOTONIC and the last published [`Snapshot`] —
//! the estimated offset of this host's clock from the grandmaster, its
//! frequency error and error bound at a reference instant, grown by the
//! drift bound with age. A record that is uninitialised, of another
//! version, past its validity or not synchronized gives an [`Error`],
//! never a guess.
//!
//! ```no_run
//! use ptpscope_clock::{ClockReader, Lease};
//!
//! let clock = ClockReader::open(ptpscope_clock::DEFAULT_PATH)?;
//! let now = clock.now()?;
//! println!("between {} and {} ({:?})", now.earliest, now.latest, now.status);
//! let lease = Lease { expiry_ns: now.latest + 10_000_000_000 };
//! assert!(lease.holder_may_act(&clock.now()?));
//! # Ok::<(), ptpscope_clock::Error>(())
//! ```
//!
//! The record is one 128-byte seqlock ([`seqlock`]): a single writer,
//! any number of readers in other processes, readers wait-free while no
//! write is in progress. This is the only crate of ptpscope with `unsafe`:
//! the memory mapping, each use argued in a SAFETY comment.
//!
//! With the `writer` feature, `clockbound` also writes the same estimate
//! as AWS ClockBound's shared-memory segment (layout version 2), for
//! unmodified ClockBound 2.x clients.

#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
compile_error!(
    "ptpscope-clock needs 64-bit Linux (lock-free 64-bit atomics in shared memory, 64-bit time_t)"
);

#[cfg(all(feature = "writer", not(loom)))]
pub mod clockbound;
pub mod lease;
mod mapping;
mod record;
pub mod seqlock;

#[cfg(all(feature = "writer", not(loom)))]
pub use clockbound::{ClockBoundRecord, ClockBoundStatus, ClockBoundWriter};
pub use lease::{Lease, MonotonicLease, TimeSource, commit_wait};
#[cfg(feature = "writer")]
pub use record::ClockWriter;
pub use record::{ClockReader, DEFAULT_PATH, Leap, RECORD_SIZE, Snapshot, Status, VERSION};

/// An interval that certainly contains the true time (given the bound's
/// assumptions), ns since the epoch of the grandmaster's timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeInterval {
    pub earliest: i64,
    pub latest: i64,
    pub status: Status,
}

impl TimeInterval {
    /// The middle of the interval.
    pub fn midpoint(&self) -> i64 {
        self.earliest + (self.latest - self.earliest) / 2
    }

    /// Half its width: the error bound.
    pub fn bound(&self) -> i64 {
        (self.latest - self.earliest) / 2
    }

    /// Certainly before `t`: the latest possible time is before it.
    pub fn before(&self, t: i64) -> bool {
        self.latest < t
    }

    /// Certainly after `t`: the earliest possible time is after it.
    pub fn after(&self, t: i64) -> bool {
        self.earliest > t
    }
}

/// Why there is no time to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Opening or mapping the record failed.
    Io(String),
    /// The record was never written (or is being created).
    Uninitialised,
    /// The record is of another layout version.
    Version { found: u64 },
    /// The last estimate is older than the record's validity.
    Stale { age_ns: i64, valid_ns: u64 },
    /// The clock is not synchronized (unknown, free-running, disrupted).
    NotSynchronized(Status),
    /// A write was in progress at every attempt (the writer died
    /// mid-write, or is updating far faster than it should).
    Busy,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Uninitialised => write!(f, "the clock record was never written"),
            Error::Version { found } => write!(
                f,
                "the clock record is version {found}, this reader knows {VERSION}"
            ),
            Error::Stale { age_ns, valid_ns } => write!(
                f,
                "the last estimate is {:.3} s old, valid for {:.3} s (is ptpscope serve running?)",
                *age_ns as f64 / 1e9,
                *valid_ns as f64 / 1e9
            ),
            Error::NotSynchronized(s) => write!(f, "the clock is not synchronized ({s})"),
            Error::Busy => write!(f, "the clock record was being written at every attempt"),
        }
    }
}

impl std::error::Error for Error {}

/// CLOCK_MONOTONIC, ns.
#[inline]
pub fn monotonic_ns() -> i64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// CLOCK_MONOTONIC_COARSE, ns: CLOCK_MONOTONIC as of the last kernel
/// tick (what ClockBound's clients measure age on).
pub fn monotonic_coarse_ns() -> i64 {
    clock_ns(libc::CLOCK_MONOTONIC_COARSE)
}

/// CLOCK_REALTIME, ns since the Unix epoch.
pub fn realtime_ns() -> i64 {
    clock_ns(libc::CLOCK_REALTIME)
}

#[inline]
fn clock_ns(id: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime writes
    // only it. With a valid clock id it cannot fail (vDSO on Linux).
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    debug_assert_eq!(rc, 0);
    // time_t and c_long are i64 on the 64-bit targets this builds for.
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}
