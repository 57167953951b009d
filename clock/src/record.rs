//! The shared-memory record: layout, snapshot, reader and writer.

use std::path::Path;
#[cfg(feature = "writer")]
use std::path::PathBuf;

use crate::mapping::Mapping;
use crate::seqlock::SeqLock;
use crate::{Error, TimeInterval, monotonic_ns};

/// Where `ptpscope serve` publishes by default.
pub const DEFAULT_PATH: &str = "/dev/shm/ptpscope-clock";
/// Layout version; a reader refuses any other.
pub const VERSION: u64 = 1;
/// "PTPSCLK" and a zero byte, little-endian.
const MAGIC: u64 = u64::from_le_bytes(*b"PTPSCLK\0");
/// Payload words of the record.
const WORDS: usize = 15;
/// Bytes of the record: the sequence word and the payload.
pub const RECORD_SIZE: usize = 128;
/// Words `now()` reads: magic to status.
const NOW_WORDS: usize = 10;
/// Read attempts before [`Error::Busy`]: 32 spins, then 32 yields.
const TRIES: u32 = 64;

/// The record in shared memory: a seqlock over [`WORDS`] words, each a
/// field below (little-endian u64; signed values two's complement; the
/// frequency an IEEE 754 double):
///
/// | word | field |
/// |---|---|
/// | 0 | magic `PTPSCLK\0` |
/// | 1 | version (1) |
/// | 2 | reference instant, CLOCK_MONOTONIC ns |
/// | 3 | the same instant, CLOCK_REALTIME ns |
/// | 4 | offset of CLOCK_REALTIME from the grandmaster at it, ns (i64) |
/// | 5 | frequency error of CLOCK_REALTIME, ppb (f64) |
/// | 6 | error bound at it, ns |
/// | 7 | drift bound, ppb: the bound grows by this × age |
/// | 8 | validity, ns: older records are refused |
/// | 9 | status |
/// | 10 | grandmaster clockIdentity (big-endian bytes in a u64) |
/// | 11 | disruptions so far |
/// | 12 | leap second announced by the grandmaster: 0 none, 1 leap61 (a 61-second last minute of the UTC day), 2 leap59 (59 seconds) |
/// | 13–14 | reserved, 0 |
pub type Record = SeqLock<WORDS>;

#[cfg(not(loom))]
const _: () = {
    assert!(std::mem::size_of::<Record>() == RECORD_SIZE);
    assert!(std::mem::align_of::<Record>() == 8);
    assert!(crate::seqlock::WORDS_OFFSET == 8);
};

/// The clock's state, as `serve` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing estimated yet.
    Unknown = 0,
    /// Estimates are current.
    Synchronized = 1,
    /// The grandmaster fell silent: the last estimate, its bound growing
    /// with the drift bound.
    Holdover = 2,
    /// No PTP at all: this host's clock with no bound.
    FreeRunning = 3,
    /// A grandmaster change or a clock step: the estimate is restarting.
    Disrupted = 4,
}

impl Status {
    fn from_word(w: u64) -> Self {
        match w {
            1 => Status::Synchronized,
            2 => Status::Holdover,
            3 => Status::FreeRunning,
            4 => Status::Disrupted,
            _ => Status::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Synchronized => "synchronized",
            Status::Holdover => "holdover",
            Status::FreeRunning => "free-running",
            Status::Disrupted => "disrupted",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A leap second the grandmaster announces (IEEE 1588-2019 §8.2.4.2,
/// the leap61 and leap59 flags): the last minute of the current UTC day
/// has 61 or 59 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Leap {
    #[default]
    None = 0,
    /// leap61: a second is inserted.
    Insert = 1,
    /// leap59: a second is deleted.
    Delete = 2,
}

impl Leap {
    fn from_word(w: u64) -> Self {
        match w {
            1 => Leap::Insert,
            2 => Leap::Delete,
            _ => Leap::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Leap::None => "none",
            Leap::Insert => "leap61",
            Leap::Delete => "leap59",
        }
    }
}

/// One published estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// The reference instant on CLOCK_MONOTONIC and CLOCK_REALTIME.
    pub mono_ns: i64,
    pub real_ns: i64,
    /// CLOCK_REALTIME minus the grandmaster's time at the reference.
    pub offset_ns: i64,
    /// How fast CLOCK_REALTIME runs against the grandmaster, ppb.
    pub freq_ppb: f64,
    /// Error bound of the offset at the reference, ns.
    pub bound_ns: u64,
    /// The bound grows by this much per second of age, ns (ppb).
    pub drift_ppb: u64,
    /// A reader refuses the record when it is older than this.
    pub valid_ns: u64,
    pub status: Status,
    pub grandmaster: [u8; 8],
    pub disruptions: u64,
    /// A leap second announced for the end of the current UTC day.
    pub leap: Leap,
}

impl Snapshot {
    #[cfg_attr(not(feature = "writer"), allow(dead_code))]
    fn to_words(self) -> [u64; WORDS] {
        let mut w = [0u64; WORDS];
        w[0] = MAGIC;
        w[1] = VERSION;
        w[2] = self.mono_ns as u64;
        w[3] = self.real_ns as u64;
        w[4] = self.offset_ns as u64;
        w[5] = self.freq_ppb.to_bits();
        w[6] = self.bound_ns;
        w[7] = self.drift_ppb;
        w[8] = self.valid_ns;
        w[9] = self.status as u64;
        w[10] = u64::from_be_bytes(self.grandmaster);
        w[11] = self.disruptions;
        w[12] = self.leap as u64;
        w
    }

    /// From the record's words: all of them, or the first [`NOW_WORDS`]
    /// (the grandmaster, disruptions and leap then read as 0).
    #[inline]
    fn from_words<const K: usize>(w: &[u64; K]) -> Result<Self, Error> {
        const { assert!(K >= NOW_WORDS) };
        if w[0] != MAGIC {
            return Err(Error::Uninitialised);
        }
        if w[1] != VERSION {
            return Err(Error::Version { found: w[1] });
        }
        Ok(Snapshot {
            mono_ns: w[2] as i64,
            real_ns: w[3] as i64,
            offset_ns: w[4] as i64,
            freq_ppb: f64::from_bits(w[5]),
            bound_ns: w[6],
            drift_ppb: w[7],
            valid_ns: w[8],
            status: Status::from_word(w[9]),
            grandmaster: w.get(10).copied().unwrap_or(0).to_be_bytes(),
            disruptions: w.get(11).copied().unwrap_or(0),
            leap: Leap::from_word(w.get(12).copied().unwrap_or(0)),
        })
    }

    /// The interval at CLOCK_MONOTONIC `mono_ns`. CLOCK_REALTIME is
    /// carried forward from the reference on the monotonic clock (a step
    /// of the system clock after the reference changes nothing); the
    /// offset moves by the frequency error and the bound grows by the
    /// drift bound, both × age.
    #[inline]
    pub fn interval_at(&self, mono_ns: i64) -> Result<TimeInterval, Error> {
        if !matches!(self.status, Status::Synchronized | Status::Holdover) {
            return Err(Error::NotSynchronized(self.status));
        }
        let age = mono_ns.saturating_sub(self.mono_ns);
        if age < 0 || age as u64 > self.valid_ns {
            return Err(Error::Stale {
                age_ns: age,
                valid_ns: self.valid_ns,
            });
        }
        // A non-finite frequency (never published) counts as 0; a huge
        // one saturates below.
        let freq = if self.freq_ppb.is_finite() {
            self.freq_ppb
        } else {
            0.0
        };
        // offset(t) = offset + freq × age; local(t) = real + age. In f64
        // and truncated (a 128-bit division by 1e9, or libm's round and
        // ceil, would cost as much as the rest of the read): `moved` is
        // within 1 ns (f64's error is far below that at any validity up to
        // days), `grown` rounded up by the + 1, and the bound gets 1 ns
        // more for `moved`.
        let age_f = age as f64;
        let moved = (age_f * freq * 1e-9) as i64;
        let gm = self
            .real_ns
            .saturating_add(age)
            .saturating_sub(self.offset_ns)
            .saturating_sub(moved);
        let grown = (age_f * self.drift_ppb as f64 * 1e-9) as i64 + 1;
        let bound = i64::try_from(self.bound_ns)
            .unwrap_or(i64::MAX)
            .saturating_add(grown)
            .saturating_add(1);
        Ok(TimeInterval {
            earliest: gm.saturating_sub(bound),
            latest: gm.saturating_add(bound),
            status: self.status,
        })
    }
}

/// A shared mapping of a record file.
struct RecordMapping(Mapping);

impl RecordMapping {
    /// Maps the first [`RECORD_SIZE`] bytes of `path` (which must have
    /// at least that many), read-only or read-write.
    fn open(path: &Path, write: bool) -> Result<(Self, std::fs::File), Error> {
        use std::os::unix::fs::OpenOptionsExt;
        let io = |e: std::io::Error| Error::Io(format!("{}: {e}", path.display()));
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true);
        if write {
            opts.write(true).create(true).mode(0o644);
        }
        let file = opts.open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if write && len < RECORD_SIZE as u64 {
            file.set_len(RECORD_SIZE as u64).map_err(io)?;
        } else if len < RECORD_SIZE as u64 {
            return Err(Error::Io(format!(
                "{}: {len} bytes, a clock record has {RECORD_SIZE}",
                path.display()
            )));
        }
        let map = Mapping::new(&file, RECORD_SIZE, write).map_err(io)?;
        Ok((RecordMapping(map), file))
    }

    fn record(&self) -> &Record {
        // SAFETY: the mapping is page-aligned (so 8-aligned) and
        // RECORD_SIZE bytes long, valid until `self` is dropped, which
        // outlives the returned borrow. `Record` is `repr(C)` of AtomicU64
        // only (size and alignment pinned by the compile-time asserts),
        // for which every bit pattern is valid, and every access to it is
        // atomic, so other processes writing the same memory concurrently
        // is not a data race. A read-only mapping is only ever loaded
        // from: 64-bit atomic loads are plain loads on the targets with
        // 64-bit atomics this crate builds on, never a read-modify-write.
        unsafe { &*(self.0.as_ptr() as *const Record) }
    }
}

/// Reads the published clock. Cheap to share across threads (`&self`).
pub struct ClockReader {
    map: RecordMapping,
    _file: std::fs::File,
}

impl ClockReader {
    /// Opens the record at `path` (read-only).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let (map, file) = RecordMapping::open(path.as_ref(), false)?;
        Ok(Self { map, _file: file })
    }

    /// The last published snapshot, whatever its age and status.
    pub fn snapshot(&self) -> Result<Snapshot, Error> {
        let words = self.map.record().read(TRIES).ok_or(Error::Busy)?;
        Snapshot::from_words(&words)
    }

    /// The interval the true time is in now.
    #[inline]
    pub fn now(&self) -> Result<TimeInterval, Error> {
        // The words up to the status are all now() needs.
        let rec = self.map.record();
        let words = rec.read_prefix::<NOW_WORDS>(TRIES).ok_or(Error::Busy)?;
        let mono = monotonic_ns();
        let s = Snapshot::from_words(&words)?;
        s.interval_at(mono)
    }

    /// Certainly before `t` now.
    pub fn before(&self, t: i64) -> Result<bool, Error> {
        Ok(self.now()?.before(t))
    }

    /// Certainly after `t` now.
    pub fn after(&self, t: i64) -> Result<bool, Error> {
        Ok(self.now()?.after(t))
    }
}

impl crate::TimeSource for ClockReader {
    fn now(&self) -> Result<TimeInterval, Error> {
        ClockReader::now(self)
    }
}

/// The single writer of a record (`ptpscope serve`). Holds an exclusive
/// lock on the file, so a second writer fails to open it; on drop the
/// record is invalidated and the file removed.
#[cfg(feature = "writer")]
pub struct ClockWriter {
    map: RecordMapping,
    path: PathBuf,
    _file: std::fs::File,
}

#[cfg(feature = "writer")]
impl ClockWriter {
    /// Creates (or takes over) the record at `path`, mode 0644: readable
    /// by everyone, writable by its owner only.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::PermissionsExt;
        let path = path.as_ref();
        let io = |e: std::io::Error| Error::Io(format!("{}: {e}", path.display()));
        let (map, file) = RecordMapping::open(path, true)?;
        // SAFETY: flock on an open descriptor; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(Error::Io(format!(
                "{}: another writer holds it ({})",
                path.display(),
                std::io::Error::last_os_error()
            )));
        }
        // Whatever the umask and whoever made the file before.
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
        let w = Self {
            map,
            path: path.to_path_buf(),
            _file: file,
        };
        Ok(w)
    }

    /// Publishes `s`; never waits for readers.
    pub fn publish(&mut self, s: &Snapshot) {
        self.map.record().write(&s.to_words());
    }

    /// Publishes a record no reader accepts (status unknown, validity 0).
    pub fn invalidate(&mut self) {
        let s = Snapshot {
            mono_ns: 0,
            real_ns: 0,
            offset_ns: 0,
            freq_ppb: 0.0,
            bound_ns: u64::MAX,
            drift_ppb: 0,
            valid_ns: 0,
            status: Status::Unknown,
            grandmaster: [0; 8],
            disruptions: 0,
            leap: Default::default(),
        };
        self.publish(&s);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(feature = "writer")]
impl Drop for ClockWriter {
    fn drop(&mut self) {
        self.invalidate();
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(status: Status) -> Snapshot {
        Snapshot {
            mono_ns: 1_000_000_000,
            real_ns: 1_700_000_000_000_000_000,
            offset_ns: 5_000,
            freq_ppb: 100.0,
            bound_ns: 2_000,
            drift_ppb: 50_000,
            valid_ns: 10_000_000_000,
            status,
            grandmaster: [1, 2, 3, 4, 5, 6, 7, 8],
            disruptions: 3,
            leap: Default::default(),
        }
    }

    #[test]
    fn words_round_trip() {
        let s = snap(Status::Holdover);
        assert_eq!(Snapshot::from_words(&s.to_words()), Ok(s));
        for leap in [Leap::Insert, Leap::Delete] {
            let s = Snapshot { leap, ..s };
            assert_eq!(Snapshot::from_words(&s.to_words()), Ok(s));
        }
        // A record written before the leap word (reserved, 0): none.
        let mut w = s.to_words();
        w[12] = 0;
        assert_eq!(Snapshot::from_words(&w).unwrap().leap, Leap::None);
        assert_eq!(Snapshot::from_words(&[0; WORDS]), Err(Error::Uninitialised));
        let mut w = s.to_words();
        w[1] = 2;
        assert_eq!(Snapshot::from_words(&w), Err(Error::Version { found: 2 }));
    }

    #[test]
    fn interval_moves_with_age() {
        let s = snap(Status::Synchronized);
        let at0 = s.interval_at(s.mono_ns).unwrap();
        assert_eq!(at0.midpoint(), s.real_ns - 5_000);
        assert_eq!(at0.bound(), 2_002);
        // One second later: 1 s more, the offset 100 ns larger, the bound
        // 50 µs wider.
        let at1 = s.interval_at(s.mono_ns + 1_000_000_000).unwrap();
        assert_eq!(at1.midpoint(), s.real_ns + 1_000_000_000 - 5_100);
        assert_eq!(at1.bound(), 2_000 + 50_000 + 2);
        assert!(at1.after(at0.latest) || at1.earliest <= at0.latest);
    }

    #[test]
    fn stale_and_unsynchronized_records_are_errors() {
        let s = snap(Status::Synchronized);
        assert!(matches!(
            s.interval_at(s.mono_ns + 10_000_000_001),
            Err(Error::Stale { .. })
        ));
        assert!(matches!(
            s.interval_at(s.mono_ns - 1),
            Err(Error::Stale { .. })
        ));
        for st in [Status::Unknown, Status::FreeRunning, Status::Disrupted] {
            assert_eq!(
                snap(st).interval_at(s.mono_ns),
                Err(Error::NotSynchronized(st))
            );
        }
    }

    #[cfg(feature = "writer")]
    #[test]
    fn writer_and_reader_through_a_file() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("ptpscope-clock-test-{}", std::process::id()));
        let mut w = ClockWriter::create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert!(ClockWriter::create(&path).is_err(), "a second writer");
        let r = ClockReader::open(&path).unwrap();
        assert_eq!(r.snapshot(), Err(Error::Uninitialised));
        let mut s = snap(Status::Synchronized);
        s.mono_ns = monotonic_ns();
        w.publish(&s);
        assert_eq!(r.snapshot(), Ok(s));
        let now = r.now().unwrap();
        assert!(now.earliest < now.latest);
        w.invalidate();
        assert_eq!(r.now(), Err(Error::NotSynchronized(Status::Unknown)));
        drop(w);
        assert!(!path.exists());
        assert!(ClockReader::open(&path).is_err());
    }
}
