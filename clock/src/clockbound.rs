//! AWS ClockBound's shared-memory segment, layout version 2: the segment
//! that `clock-bound-client` 2.x and ClockBound's C client read (and
//! through them YugabyteDB), written by `ptpscope serve` instead of the
//! ClockBound daemon.
//!
//! The segment is 80 bytes, native-endian, `repr(C)` (the layout of the
//! `clock-bound-shm` 2.0.3 crate's `ShmHeader` and `ClockErrorBound`):
//!
//! | bytes | field | |
//! |---|---|---|
//! | 0–7 | magic | `[0x414D5A4E, 0x43420200]` as two u32 |
//! | 8–11 | segsize | u32, 80 |
//! | 12–13 | version | u16, 2 (0 while the writer lays the segment out) |
//! | 14–15 | generation | u16: odd while a write is in progress, even after, 0 only before the first write |
//! | 16–31 | as_of | timespec (i64 s, i64 ns), CLOCK_MONOTONIC_COARSE |
//! | 32–47 | void_after | timespec, CLOCK_MONOTONIC_COARSE |
//! | 48–55 | bound_nsec | i64, ns |
//! | 56–63 | disruption_marker | u64 |
//! | 64–67 | max_drift_ppb | u32, ppb |
//! | 68–71 | clock_status | i32: 0 unknown, 1 synchronized, 2 free-running, 3 disrupted |
//! | 72 | clock_disruption_support_enabled | u8 bool, 0 here |
//! | 73–79 | padding | 0 |
//!
//! What a ClockBound 2.x client does with it (`ClockErrorBound::now` in
//! `clock-bound-shm`): it reads CLOCK_REALTIME and then
//! CLOCK_MONOTONIC_COARSE, and returns
//! `[realtime - b, realtime + b]` with
//! `b = bound_nsec + trunc(max_drift_ppb × (coarse - as_of))` — there is
//! no offset term, so `bound_nsec` must cover CLOCK_REALTIME's whole
//! error, |offset| included — and a status: unknown and disrupted as
//! written; synchronized and free-running as written while
//! `coarse < as_of + 5 s` (its grace period for a restarting daemon, even
//! past `void_after`), then free-running until `void_after`, unknown
//! after. It refuses (an error, no interval) a `max_drift_ppb` of 10⁹ or
//! more, and an `as_of` more than 1 µs after its own coarse reading. A
//! reader that finds the generation 0 or odd keeps its last good copy; a
//! client cannot even be opened on a segment whose generation is 0.
//!
//! The generation is driven by this crate's seqlock ([`crate::seqlock`]:
//! `fence(Release)` after making it odd, `Release` when making it even),
//! stronger than ClockBound's own writer, whose ordering is right on x86
//! only. The payload is stored as eight atomic 64-bit words. The
//! readers are ClockBound's: they have no acquire fence between the
//! payload and the second generation load, sound on x86 (TSO) whatever
//! the writer, not in principle on aarch64.
//!
//! `ptpscope serve` publishes its [`Snapshot`] with
//! [`ClockBoundWriter::publish_snapshot`]: the bound written is
//! |offset| + the estimate's bound at `as_of`, and the client grows it
//! by `max_drift_ppb` (|frequency error| + drift bound) with age; see
//! [`ClockBoundRecord::from_snapshot`]. The segment has no field for
//! leap seconds: clients see CLOCK_REALTIME's own handling of one.
//!
//! Version 3 (ClockBound 3.x, at `/var/run/clockbound/shm1`) is not
//! written: its clients never read CLOCK_REALTIME but extrapolate the
//! time itself from the TSC (`as_of` + ticks × period), so a writer needs
//! a TSC reading paired with each estimate, the TSC's period in the
//! grandmaster's seconds and that period's relative error (both as
//! binary fractions, 2^-(64+shift)); ptpscope estimates CLOCK_REALTIME
//! against the grandmaster, never the TSC.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::mem::{offset_of, size_of};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering, fence};

use crate::mapping::Mapping;
use crate::seqlock::write_words;
use crate::{Snapshot, Status};

/// Where ClockBound's daemon publishes, and its clients look by default
/// (`CLOCKBOUND_SHM_DEFAULT_PATH` of `clock-bound-client` 2.x).
pub const DEFAULT_PATH: &str = "/var/run/clockbound/shm0";
/// The segment's magic: two native-endian u32.
pub const MAGIC: [u32; 2] = [0x414D_5A4E, 0x4342_0200];
/// The layout version written: 2, the one ClockBound 2.x clients accept.
pub const LAYOUT_VERSION: u16 = 2;
/// Bytes of the segment: the 16-byte header and the 64-byte
/// `ClockErrorBound`.
pub const SEGMENT_SIZE: usize = 80;
/// The largest `max_drift_ppb` a client accepts, ppb (it refuses 10⁹ and
/// more as malformed).
pub const MAX_DRIFT_PPB: u32 = 999_999_999;
/// The largest bound written, ns (about 36 years): a client adds it to
/// and subtracts it from CLOCK_REALTIME in i64 ns, which must not
/// overflow. A larger bound is written as this one with status unknown.
pub const MAX_BOUND_NS: u64 = 1 << 60;
/// The client's grace period, ns: for this long after `as_of` it reports
/// a synchronized or free-running status as written, even past
/// `void_after` (`CLOCKBOUND_RESTART_GRACE_PERIOD` in `clock-bound-shm`).
pub const CLIENT_GRACE_PERIOD_NS: i64 = 5_000_000_000;
/// Added to every bound converted from a [`Snapshot`], ns: the client
/// truncates the drift growth to whole ns (up to 1 ns down) and computes
/// it in f64 (far below 1 ns of error at any age up to days).
pub const ROUNDING_NS: u64 = 2;

/// The byte ranges of the segment's fields (see the module docs).
mod field {
    use std::ops::Range;

    pub const MAGIC: Range<usize> = 0..8;
    pub const SEGSIZE: Range<usize> = 8..12;
    pub const VERSION: Range<usize> = 12..14;
    pub const GENERATION: Range<usize> = 14..16;
    /// The `ClockErrorBound`, guarded by the generation.
    pub const PAYLOAD: Range<usize> = 16..80;
    pub const AS_OF_SEC: Range<usize> = 16..24;
    pub const AS_OF_NSEC: Range<usize> = 24..32;
    pub const VOID_AFTER_SEC: Range<usize> = 32..40;
    pub const VOID_AFTER_NSEC: Range<usize> = 40..48;
    pub const BOUND_NSEC: Range<usize> = 48..56;
    pub const DISRUPTION_MARKER: Range<usize> = 56..64;
    pub const MAX_DRIFT_PPB: Range<usize> = 64..68;
    pub const CLOCK_STATUS: Range<usize> = 68..72;
    pub const CLOCK_DISRUPTION_SUPPORT_ENABLED: usize = 72;
    pub const PADDING: Range<usize> = 73..80;
}

/// Payload words: the `ClockErrorBound` as u64.
const PAYLOAD_WORDS: usize = (field::PAYLOAD.end - field::PAYLOAD.start) / 8;

/// The segment in shared memory, field for field (see the module docs).
#[repr(C, align(8))]
struct Segment {
    magic: [AtomicU32; 2],
    segsize: AtomicU32,
    version: AtomicU16,
    generation: AtomicU16,
    payload: [AtomicU64; PAYLOAD_WORDS],
}

const _: () = {
    assert!(size_of::<Segment>() == SEGMENT_SIZE);
    assert!(std::mem::align_of::<Segment>() == 8);
    assert!(offset_of!(Segment, magic) == field::MAGIC.start);
    assert!(offset_of!(Segment, segsize) == field::SEGSIZE.start);
    assert!(offset_of!(Segment, version) == field::VERSION.start);
    assert!(offset_of!(Segment, generation) == field::GENERATION.start);
    assert!(offset_of!(Segment, payload) == field::PAYLOAD.start);
    assert!(field::PAYLOAD.end == SEGMENT_SIZE);
    assert!(field::PADDING.end == SEGMENT_SIZE);
};

/// ClockBound's clock status (`ClockStatus`, an i32 in the segment).
///
/// A closed enum: the Rust client reads the field as a Rust enum, for
/// which any other value would be undefined behaviour, so no other value
/// is ever written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockBoundStatus {
    /// Not to be trusted; the client reports it as is.
    Unknown = 0,
    /// Kept accurate by the synchronization daemon; trusted.
    Synchronized = 1,
    /// No longer updated, the bound growing with the drift; trusted.
    FreeRunning = 2,
    /// Disrupted, the error cannot be bounded; the client reports it as
    /// is.
    Disrupted = 3,
}

impl ClockBoundStatus {
    /// The value in the segment.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The status of a value in the segment; `None` for any other.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            0 => Some(Self::Unknown),
            1 => Some(Self::Synchronized),
            2 => Some(Self::FreeRunning),
            3 => Some(Self::Disrupted),
            _ => None,
        }
    }

    /// ClockBound's name for this crate's [`Status`]: holdover is its
    /// free-running (the last estimate, its bound growing); this crate's
    /// free-running has no bound at all, so it is unknown.
    pub fn from_status(s: Status) -> Self {
        match s {
            Status::Synchronized => Self::Synchronized,
            Status::Holdover => Self::FreeRunning,
            Status::Disrupted => Self::Disrupted,
            Status::Unknown | Status::FreeRunning => Self::Unknown,
        }
    }

    /// Its name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Synchronized => "synchronized",
            Self::FreeRunning => "free-running",
            Self::Disrupted => "disrupted",
        }
    }
}

impl std::fmt::Display for ClockBoundStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One `ClockErrorBound`: what a ClockBound client needs to bound
/// CLOCK_REALTIME's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockBoundRecord {
    /// The instant `bound_ns` holds at, CLOCK_MONOTONIC_COARSE ns. A
    /// client reading its coarse clock more than 1 µs before it gets an
    /// error, so this must not be later than any coarse reading after
    /// the publication (see [`ClockBoundRecord::from_snapshot`]).
    pub as_of_monotonic_coarse_ns: i64,
    /// From this CLOCK_MONOTONIC_COARSE instant on (ns) the client
    /// reports a synchronized or free-running status as unknown — but
    /// only once [`CLIENT_GRACE_PERIOD_NS`] past `as_of` as well.
    pub void_after_monotonic_coarse_ns: i64,
    /// Bound on |CLOCK_REALTIME − true time| at `as_of`, ns. The client
    /// takes CLOCK_REALTIME itself as the middle of its interval, so this
    /// covers |offset| as well as the estimate's own error. At most
    /// [`MAX_BOUND_NS`] (more is written as that, status unknown).
    pub bound_ns: u64,
    /// Changes (by any amount) at every disruption of the clock.
    pub disruption_marker: u64,
    /// How fast the bound grows with age, ppb (ns per s): the client adds
    /// `max_drift_ppb × (coarse now − as_of)`. At most
    /// [`MAX_DRIFT_PPB`] (more is written as that, status unknown).
    pub max_drift_ppb: u32,
    /// The clock's status.
    pub status: ClockBoundStatus,
}

impl ClockBoundRecord {
    /// The record for `s`, rounded outward so that every interval a
    /// client computes from it contains the interval this crate's own
    /// reader gives ([`Snapshot::interval_at`]):
    ///
    /// - `as_of` = the reference instant `s.mono_ns` − `coarse_lag_ns`,
    ///   the most CLOCK_MONOTONIC_COARSE may lag CLOCK_MONOTONIC
    ///   ([`default_coarse_lag_ns`]): then the client's age (coarse now −
    ///   `as_of`) is never less than the true age, nor `as_of` after any
    ///   coarse reading taken after the reference. Each ns of lag beyond
    ///   `coarse_lag_ns` would leave the bound short by
    ///   `max_drift_ppb` × 10⁻⁹ ns; each ns allowed widens it by as much;
    /// - `void_after` = `as_of` + `s.valid_ns`: the client stops
    ///   trusting the record no later than this crate's reader does
    ///   (past the client's own 5 s grace period);
    /// - `bound` = |`s.offset_ns`| + `s.bound_ns` + [`ROUNDING_NS`]:
    ///   CLOCK_REALTIME is `offset` away from the grandmaster's time at
    ///   the reference, which is itself known within `bound`;
    /// - `max_drift` = ⌈|`s.freq_ppb`|⌉ + `s.drift_ppb`: the offset moves
    ///   by the frequency error with age and the bound grows by the drift
    ///   bound, and the client grows `bound` by `max_drift` × age for
    ///   both (a non-finite frequency counts as 0, as in
    ///   [`Snapshot::interval_at`]);
    /// - the status by [`ClockBoundStatus::from_status`], unknown when the
    ///   bound or the drift is too large for the segment;
    /// - the disruption marker = `s.disruptions`.
    pub fn from_snapshot(s: &Snapshot, coarse_lag_ns: u64) -> Self {
        let lag = i64::try_from(coarse_lag_ns).unwrap_or(i64::MAX);
        let as_of = s.mono_ns.saturating_sub(lag);
        let valid = i64::try_from(s.valid_ns).unwrap_or(i64::MAX);
        let freq = if s.freq_ppb.is_finite() {
            // Saturating cast; the ceiling rounds outward.
            s.freq_ppb.abs().ceil() as u64
        } else {
            0
        };
        let max_drift = freq.saturating_add(s.drift_ppb);
        let bound = s
            .offset_ns
            .unsigned_abs()
            .saturating_add(s.bound_ns)
            .saturating_add(ROUNDING_NS);
        ClockBoundRecord {
            as_of_monotonic_coarse_ns: as_of,
            void_after_monotonic_coarse_ns: as_of.saturating_add(valid),
            bound_ns: bound,
            disruption_marker: s.disruptions,
            max_drift_ppb: u32::try_from(max_drift).unwrap_or(u32::MAX),
            status: ClockBoundStatus::from_status(s.status),
        }
        .within_limits()
    }

    /// A record no client trusts, from `as_of` (CLOCK_MONOTONIC_COARSE
    /// ns, not after the present) on: status unknown, void from `as_of`,
    /// the largest bound.
    pub fn untrusted(as_of_monotonic_coarse_ns: i64, disruption_marker: u64) -> Self {
        ClockBoundRecord {
            as_of_monotonic_coarse_ns,
            void_after_monotonic_coarse_ns: as_of_monotonic_coarse_ns,
            bound_ns: MAX_BOUND_NS,
            disruption_marker,
            max_drift_ppb: 0,
            status: ClockBoundStatus::Unknown,
        }
    }

    /// The record as written: a bound over [`MAX_BOUND_NS`] or a drift
    /// over [`MAX_DRIFT_PPB`] is clamped and the status made unknown (a
    /// clamped bound no longer covers the error).
    pub fn within_limits(mut self) -> Self {
        if self.bound_ns > MAX_BOUND_NS || self.max_drift_ppb > MAX_DRIFT_PPB {
            self.bound_ns = self.bound_ns.min(MAX_BOUND_NS);
            self.max_drift_ppb = self.max_drift_ppb.min(MAX_DRIFT_PPB);
            self.status = ClockBoundStatus::Unknown;
        }
        self
    }

    /// Writes the record (as [`Self::within_limits`] makes it) into the
    /// `ClockErrorBound` bytes of `segment` (16–79), native-endian,
    /// `clock_disruption_support_enabled` and the padding 0. The header
    /// (0–15) is left as it is.
    pub fn emit(&self, segment: &mut [u8; SEGMENT_SIZE]) {
        let r = self.within_limits();
        let (as_of_sec, as_of_nsec) = timespec(r.as_of_monotonic_coarse_ns);
        let (void_sec, void_nsec) = timespec(r.void_after_monotonic_coarse_ns);
        segment[field::AS_OF_SEC].copy_from_slice(&as_of_sec.to_ne_bytes());
        segment[field::AS_OF_NSEC].copy_from_slice(&as_of_nsec.to_ne_bytes());
        segment[field::VOID_AFTER_SEC].copy_from_slice(&void_sec.to_ne_bytes());
        segment[field::VOID_AFTER_NSEC].copy_from_slice(&void_nsec.to_ne_bytes());
        // Within MAX_BOUND_NS, so within i64.
        segment[field::BOUND_NSEC].copy_from_slice(&(r.bound_ns as i64).to_ne_bytes());
        segment[field::DISRUPTION_MARKER].copy_from_slice(&r.disruption_marker.to_ne_bytes());
        segment[field::MAX_DRIFT_PPB].copy_from_slice(&r.max_drift_ppb.to_ne_bytes());
        segment[field::CLOCK_STATUS].copy_from_slice(&r.status.code().to_ne_bytes());
        segment[field::CLOCK_DISRUPTION_SUPPORT_ENABLED] = 0;
        segment[field::PADDING].fill(0);
    }

    /// The record in the `ClockErrorBound` bytes of `segment`; `None`
    /// when a field holds what [`Self::emit`] never writes (a status
    /// outside 0–3, a negative bound, nanoseconds outside 0–999,999,999,
    /// disruption support enabled).
    pub fn parse(segment: &[u8; SEGMENT_SIZE]) -> Option<Self> {
        let i64_at = |r: std::ops::Range<usize>| i64::from_ne_bytes(segment[r].try_into().unwrap());
        let ns = |sec: i64, nsec: i64| {
            (0..1_000_000_000)
                .contains(&nsec)
                .then(|| sec.checked_mul(1_000_000_000)?.checked_add(nsec))
                .flatten()
        };
        let bound = u64::try_from(i64_at(field::BOUND_NSEC)).ok()?;
        let status = i32::from_ne_bytes(segment[field::CLOCK_STATUS].try_into().unwrap());
        if segment[field::CLOCK_DISRUPTION_SUPPORT_ENABLED] != 0 {
            return None;
        }
        Some(ClockBoundRecord {
            as_of_monotonic_coarse_ns: ns(i64_at(field::AS_OF_SEC), i64_at(field::AS_OF_NSEC))?,
            void_after_monotonic_coarse_ns: ns(
                i64_at(field::VOID_AFTER_SEC),
                i64_at(field::VOID_AFTER_NSEC),
            )?,
            bound_ns: bound,
            disruption_marker: u64::from_ne_bytes(
                segment[field::DISRUPTION_MARKER].try_into().unwrap(),
            ),
            max_drift_ppb: u32::from_ne_bytes(segment[field::MAX_DRIFT_PPB].try_into().unwrap()),
            status: ClockBoundStatus::from_code(status)?,
        })
    }

    /// The payload words [`ClockBoundWriter::publish`] stores: the
    /// emitted bytes 16–79 as native-endian u64.
    fn to_words(self) -> [u64; PAYLOAD_WORDS] {
        let mut image = [0u8; SEGMENT_SIZE];
        self.emit(&mut image);
        std::array::from_fn(|i| {
            let at = field::PAYLOAD.start + 8 * i;
            u64::from_ne_bytes(image[at..at + 8].try_into().unwrap())
        })
    }
}

impl std::fmt::Display for ClockBoundRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ClockBound {} ±{} ns + {} ppb as of {} ns, void after {} ns, disruption {}",
            self.status,
            self.bound_ns,
            self.max_drift_ppb,
            self.as_of_monotonic_coarse_ns,
            self.void_after_monotonic_coarse_ns,
            self.disruption_marker
        )
    }
}

/// `ns` as a timespec: seconds and 0–999,999,999 ns.
fn timespec(ns: i64) -> (i64, i64) {
    (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000))
}

/// Ticks of CLOCK_MONOTONIC_COARSE's resolution that
/// [`default_coarse_lag_ns`] allows it to lag CLOCK_MONOTONIC by.
///
/// The coarse clock is CLOCK_MONOTONIC as of the kernel's last
/// timekeeping update, normally within one tick; but a late tick (a busy
/// or virtualized host) lags more: on the sandboxed 2-core kernel this
/// crate's tests run on, lags of 3 to 7.6 ms were measured with a 4 ms
/// resolution on a quiet machine, and once about 28 ms (a read's interval
/// came out 337 ns short at 21,235 ppb against the 3 ticks allowed then)
/// while the whole CI ran on both cores.
///
/// Ten ticks cost `max_drift_ppb` × 40 ms of bound at HZ=250: 600 ns at
/// ClockBound's default 15,000 ppb, 40 ns at 1,000 ppb. A host that lags
/// more still leaves the bound short by `max_drift_ppb` × the excess:
/// [`ClockBoundWriter::set_coarse_lag_ns`] sets another allowance.
pub const COARSE_LAG_TICKS: u64 = 10;

/// How far CLOCK_MONOTONIC_COARSE is taken to lag CLOCK_MONOTONIC at
/// most, ns: [`COARSE_LAG_TICKS`] × its resolution.
pub fn default_coarse_lag_ns() -> u64 {
    COARSE_LAG_TICKS.saturating_mul(monotonic_coarse_resolution_ns())
}

/// CLOCK_MONOTONIC_COARSE's resolution, ns: one kernel tick (1–10 ms).
pub fn monotonic_coarse_resolution_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_getres writes
    // only it. With a valid clock id it cannot fail.
    let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    debug_assert_eq!(rc, 0);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// The single writer of a ClockBound segment (`ptpscope serve`).
///
/// Holds an exclusive lock on the file, so a second ptpscope writer fails
/// to open it (ClockBound's own daemon takes no lock: do not run both on
/// one path). On drop the segment is marked untrusted
/// ([`ClockBoundRecord::untrusted`]) and unmapped, but the file stays:
/// clients map it once, at start, and keep reading that file, so a
/// restarted writer that takes the same file over is seen by them again,
/// where one that made a new file would not be.
pub struct ClockBoundWriter {
    map: Mapping,
    path: PathBuf,
    coarse_lag_ns: u64,
    disruption_marker: u64,
    _file: File,
}

impl ClockBoundWriter {
    /// Creates the segment at `path` (its directory too, mode 0755), or
    /// takes it over: mode 0644, readable by every client. A file that
    /// already holds a version-2 segment is kept as it is, generation and
    /// last record included, so that clients that mapped it go on
    /// reading it; anything else is laid out anew, generation 0 (clients
    /// cannot open it until the first [`Self::publish`]). The file is
    /// never shortened: a client that mapped it must not fault.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        use std::os::fd::AsRawFd;
        let path = path.as_ref();
        let context = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(dir)
                .map_err(context)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(path)
            .map_err(context)?;
        // SAFETY: flock on an open descriptor; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("{}: another writer holds it ({e})", path.display()),
            ));
        }
        // Whatever the umask and whoever made the file before.
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(context)?;
        if file.metadata().map_err(context)?.len() < SEGMENT_SIZE as u64 {
            file.set_len(SEGMENT_SIZE as u64).map_err(context)?;
        }
        let map = Mapping::new(&file, SEGMENT_SIZE, true).map_err(context)?;
        let w = ClockBoundWriter {
            map,
            path: path.to_path_buf(),
            coarse_lag_ns: default_coarse_lag_ns(),
            disruption_marker: 0,
            _file: file,
        };
        let segment = w.segment();
        if !segment.is_version_2() {
            segment.lay_out();
        }
        Ok(w)
    }

    /// Publishes `r` (as [`ClockBoundRecord::within_limits`] makes it):
    /// the generation odd, the record, the generation even. Never waits
    /// for readers.
    pub fn publish(&mut self, r: &ClockBoundRecord) {
        let s = self.segment();
        write_words(&s.generation, &s.payload, &r.to_words());
        self.disruption_marker = r.disruption_marker;
    }

    /// Publishes `s` as [`ClockBoundRecord::from_snapshot`] converts it,
    /// with [`Self::coarse_lag_ns`] as the coarse clock's lag.
    pub fn publish_snapshot(&mut self, s: &Snapshot) {
        let r = ClockBoundRecord::from_snapshot(s, self.coarse_lag_ns);
        self.publish(&r);
    }

    /// Publishes a record no client trusts ([`ClockBoundRecord::untrusted`]
    /// as of now, keeping the last disruption marker). Clients report
    /// status unknown from then on.
    pub fn invalidate(&mut self) {
        let r = ClockBoundRecord::untrusted(crate::monotonic_coarse_ns(), self.disruption_marker);
        self.publish(&r);
    }

    /// The segment's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How far CLOCK_MONOTONIC_COARSE is taken to lag CLOCK_MONOTONIC,
    /// ns: what [`Self::publish_snapshot`] moves `as_of` back by.
    /// [`default_coarse_lag_ns`] unless set.
    pub fn coarse_lag_ns(&self) -> u64 {
        self.coarse_lag_ns
    }

    /// Sets [`Self::coarse_lag_ns`], for a host whose coarse clock is
    /// known to lag more (or less) than the default allows.
    pub fn set_coarse_lag_ns(&mut self, lag_ns: u64) {
        self.coarse_lag_ns = lag_ns;
    }

    /// The generation now: even when no write is in progress, 0 before
    /// the first.
    pub fn generation(&self) -> u16 {
        self.segment().generation.load(Ordering::Acquire)
    }

    fn segment(&self) -> &Segment {
        // SAFETY: the mapping is page-aligned (so 8-aligned) and
        // SEGMENT_SIZE bytes long, valid until `self` is dropped, which
        // outlives the returned borrow. `Segment` is `repr(C)` of atomic
        // integers only (size, alignment and offsets pinned by the
        // compile-time asserts), for which every bit pattern is valid.
        // Every access through it is atomic; the clients in other
        // processes only read, and the single writer is this one (the
        // file lock).
        unsafe { &*(self.map.as_ptr() as *const Segment) }
    }
}

impl Drop for ClockBoundWriter {
    fn drop(&mut self) {
        self.invalidate();
    }
}

impl Segment {
    /// Holds a version-2 segment of this size (whatever its generation).
    fn is_version_2(&self) -> bool {
        self.magic[0].load(Ordering::Relaxed) == MAGIC[0]
            && self.magic[1].load(Ordering::Relaxed) == MAGIC[1]
            && self.segsize.load(Ordering::Relaxed) == SEGMENT_SIZE as u32
            && self.version.load(Ordering::Relaxed) == LAYOUT_VERSION
    }

    /// Lays the segment out anew: version and generation 0 (a client that
    /// mapped the file before keeps its last copy), the record zeroed,
    /// the magic and size, then the version. Clients can open it from the
    /// first publication on, when the generation leaves 0.
    fn lay_out(&self) {
        self.version.store(0, Ordering::Relaxed);
        self.generation.store(0, Ordering::Relaxed);
        fence(Ordering::Release);
        for w in &self.payload {
            w.store(0, Ordering::Relaxed);
        }
        self.magic[0].store(MAGIC[0], Ordering::Relaxed);
        self.magic[1].store(MAGIC[1], Ordering::Relaxed);
        self.segsize.store(SEGMENT_SIZE as u32, Ordering::Relaxed);
        self.version.store(LAYOUT_VERSION, Ordering::Release);
    }

    /// One read of the record, as this crate's seqlock reads: `None`
    /// while a write is in progress, before the first, or when the
    /// record does not parse.
    #[cfg(test)]
    fn read(&self) -> Option<ClockBoundRecord> {
        if self.generation.load(Ordering::Acquire) == 0 {
            return None;
        }
        let words: [u64; PAYLOAD_WORDS] =
            crate::seqlock::try_read_words(&self.generation, &self.payload)?;
        let mut image = [0u8; SEGMENT_SIZE];
        for (i, w) in words.iter().enumerate() {
            let at = field::PAYLOAD.start + 8 * i;
            image[at..at + 8].copy_from_slice(&w.to_ne_bytes());
        }
        ClockBoundRecord::parse(&image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ClockBoundRecord {
        ClockBoundRecord {
            as_of_monotonic_coarse_ns: 1_234_567_890_123,
            void_after_monotonic_coarse_ns: 1_244_567_890_123,
            bound_ns: 250_802,
            disruption_marker: 7,
            max_drift_ppb: 21_235,
            status: ClockBoundStatus::Synchronized,
        }
    }

    /// The segment's bytes, built field by field from the layout in the
    /// module docs (little-endian: the hosts this crate builds on).
    #[cfg(target_endian = "little")]
    fn bytes() -> [u8; SEGMENT_SIZE] {
        let mut b = [0xa5u8; SEGMENT_SIZE];
        b[16..24].copy_from_slice(&1_234i64.to_le_bytes());
        b[24..32].copy_from_slice(&567_890_123i64.to_le_bytes());
        b[32..40].copy_from_slice(&1_244i64.to_le_bytes());
        b[40..48].copy_from_slice(&567_890_123i64.to_le_bytes());
        b[48..56].copy_from_slice(&250_802i64.to_le_bytes());
        b[56..64].copy_from_slice(&7u64.to_le_bytes());
        b[64..68].copy_from_slice(&21_235u32.to_le_bytes());
        b[68..72].copy_from_slice(&1i32.to_le_bytes());
        b[72..80].fill(0);
        b
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn emit_writes_every_payload_byte_and_no_header_byte() {
        let mut b = [0xa5u8; SEGMENT_SIZE];
        record().emit(&mut b);
        assert_eq!(b, bytes());
        assert!(b[..16].iter().all(|&x| x == 0xa5));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parse_reads_what_emit_wrote() {
        assert_eq!(ClockBoundRecord::parse(&bytes()), Some(record()));
        let mut b = bytes();
        b[68..72].copy_from_slice(&4i32.to_le_bytes());
        assert_eq!(ClockBoundRecord::parse(&b), None, "status 4");
        let mut b = bytes();
        b[72] = 1;
        assert_eq!(ClockBoundRecord::parse(&b), None, "disruption support");
        let mut b = bytes();
        b[48..56].copy_from_slice(&(-1i64).to_le_bytes());
        assert_eq!(ClockBoundRecord::parse(&b), None, "negative bound");
    }

    #[test]
    fn negative_instants_make_a_normalised_timespec() {
        assert_eq!(timespec(-1), (-1, 999_999_999));
        assert_eq!(timespec(1_000_000_000), (1, 0));
        let mut r = record();
        r.as_of_monotonic_coarse_ns = -1_500_000_000;
        let mut b = [0u8; SEGMENT_SIZE];
        r.emit(&mut b);
        assert_eq!(ClockBoundRecord::parse(&b), Some(r));
    }

    #[test]
    fn out_of_range_bound_and_drift_are_clamped_and_untrusted() {
        let mut r = record();
        r.bound_ns = u64::MAX;
        let w = r.within_limits();
        assert_eq!(w.bound_ns, MAX_BOUND_NS);
        assert_eq!(w.status, ClockBoundStatus::Unknown);
        let mut r = record();
        r.max_drift_ppb = 1_000_000_000;
        let w = r.within_limits();
        assert_eq!(w.max_drift_ppb, MAX_DRIFT_PPB);
        assert_eq!(w.status, ClockBoundStatus::Unknown);
        assert_eq!(record().within_limits(), record());
    }

    fn snapshot(status: Status) -> Snapshot {
        Snapshot {
            mono_ns: 10_000_000_000,
            real_ns: 1_700_000_000_000_000_000,
            offset_ns: -250_000,
            freq_ppb: -1_234.5,
            bound_ns: 800,
            drift_ppb: 20_000,
            valid_ns: 30_000_000_000,
            status,
            grandmaster: [0; 8],
            disruptions: 3,
            leap: Default::default(),
        }
    }

    #[test]
    fn a_snapshot_becomes_an_outward_rounded_record() {
        let r = ClockBoundRecord::from_snapshot(&snapshot(Status::Synchronized), 4_000_000);
        assert_eq!(
            r,
            ClockBoundRecord {
                as_of_monotonic_coarse_ns: 9_996_000_000,
                void_after_monotonic_coarse_ns: 39_996_000_000,
                bound_ns: 250_000 + 800 + ROUNDING_NS,
                disruption_marker: 3,
                max_drift_ppb: 1_235 + 20_000,
                status: ClockBoundStatus::Synchronized,
            }
        );
        let mut s = snapshot(Status::Synchronized);
        s.freq_ppb = f64::NAN;
        assert_eq!(ClockBoundRecord::from_snapshot(&s, 0).max_drift_ppb, 20_000);
        s.drift_ppb = u64::MAX;
        let r = ClockBoundRecord::from_snapshot(&s, 0);
        assert_eq!(
            (r.max_drift_ppb, r.status),
            (MAX_DRIFT_PPB, ClockBoundStatus::Unknown)
        );
    }

    /// Wherever this crate's reader gives an interval, the interval a
    /// ClockBound client computes from the converted record (with the
    /// worst coarse lag and its truncation) contains it.
    #[test]
    fn the_client_interval_contains_this_crates_interval() {
        let s = snapshot(Status::Synchronized);
        let lag = 4_000_000;
        let r = ClockBoundRecord::from_snapshot(&s, lag);
        for age in [
            0,
            1,
            999,
            1_000_000,
            3_999_999,
            1_000_000_000,
            29_000_000_000,
        ] {
            let mono = s.mono_ns + age;
            let ours = s.interval_at(mono).unwrap();
            // CLOCK_REALTIME carried forward as this crate's reader does;
            // the client reads its coarse clock up to `lag` behind.
            let real = s.real_ns + age;
            for coarse in [mono - lag as i64 + 1, mono] {
                let client_age = (coarse - r.as_of_monotonic_coarse_ns) as f64 / 1e9;
                let b = r.bound_ns as i64 + (client_age * r.max_drift_ppb as f64) as i64;
                assert!(
                    real - b <= ours.earliest,
                    "age {age}: {} > {}",
                    real - b,
                    ours.earliest
                );
                assert!(
                    real + b >= ours.latest,
                    "age {age}: {} < {}",
                    real + b,
                    ours.latest
                );
            }
        }
    }

    #[test]
    fn statuses_map_to_clockbound_statuses() {
        use ClockBoundStatus as C;
        for (s, c) in [
            (Status::Unknown, C::Unknown),
            (Status::Synchronized, C::Synchronized),
            (Status::Holdover, C::FreeRunning),
            (Status::FreeRunning, C::Unknown),
            (Status::Disrupted, C::Disrupted),
        ] {
            assert_eq!(ClockBoundStatus::from_status(s), c);
            assert_eq!(ClockBoundRecord::from_snapshot(&snapshot(s), 0).status, c);
            assert_eq!(C::from_code(c.code()), Some(c));
        }
    }

    /// `<temp>/ptpscope-clockbound-unit-<pid>-<name>/clockbound/shm0`:
    /// the test removes the directory two levels up.
    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir()
            .join(format!(
                "ptpscope-clockbound-unit-{}-{name}",
                std::process::id()
            ))
            .join("clockbound")
            .join("shm0")
    }

    fn remove_temp(path: &Path) {
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn writer_lays_out_publishes_and_takes_over() {
        let path = temp_path("lay-out");
        remove_temp(&path);
        let mut w = ClockBoundWriter::create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert!(ClockBoundWriter::create(&path).is_err(), "a second writer");
        assert_eq!(w.generation(), 0);
        assert_eq!(w.segment().read(), None);
        w.publish(&record());
        assert_eq!(w.generation(), 2);
        assert_eq!(w.segment().read(), Some(record()));
        let file = std::fs::read(&path).unwrap();
        assert_eq!(file.len(), SEGMENT_SIZE);
        assert_eq!(file[0..4], MAGIC[0].to_ne_bytes());
        assert_eq!(file[4..8], MAGIC[1].to_ne_bytes());
        assert_eq!(file[8..12], 80u32.to_ne_bytes());
        assert_eq!(file[12..14], 2u16.to_ne_bytes());
        assert_eq!(file[14..16], 2u16.to_ne_bytes());
        drop(w);
        // Dropped: untrusted, the file kept; a new writer takes it over
        // and goes on from its generation.
        let mut w = ClockBoundWriter::create(&path).unwrap();
        assert_eq!(w.generation(), 4);
        let r = w.segment().read().unwrap();
        assert_eq!(r.status, ClockBoundStatus::Unknown);
        assert_eq!(r.disruption_marker, 7);
        assert!(r.void_after_monotonic_coarse_ns <= crate::monotonic_coarse_ns());
        w.publish(&record());
        assert_eq!(w.generation(), 6);
        drop(w);
        remove_temp(&path);
    }

    #[test]
    fn anything_but_a_version_2_segment_is_laid_out_anew() {
        let path = temp_path("garbage");
        remove_temp(&path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A version 3 header and a record: laid out anew, generation 0.
        let mut b = [0x5au8; 100];
        b[0..4].copy_from_slice(&MAGIC[0].to_ne_bytes());
        b[4..8].copy_from_slice(&MAGIC[1].to_ne_bytes());
        b[8..12].copy_from_slice(&88u32.to_ne_bytes());
        b[12..14].copy_from_slice(&3u16.to_ne_bytes());
        std::fs::write(&path, b).unwrap();
        let w = ClockBoundWriter::create(&path).unwrap();
        assert_eq!(w.generation(), 0);
        let file = std::fs::read(&path).unwrap();
        assert_eq!(file.len(), 100, "never shortened");
        assert_eq!(file[8..12], 80u32.to_ne_bytes());
        assert_eq!(file[12..14], 2u16.to_ne_bytes());
        assert!(file[14..80].iter().all(|&x| x == 0));
        drop(w);
        remove_temp(&path);
    }
}
