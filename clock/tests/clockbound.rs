//! ptpscope's ClockBound segment read by the real ClockBound 2.x client
//! (`clock-bound-client` 2.0.3, through `clock-bound-shm` 2.0.3): the
//! bytes are the ones ClockBound's own writer makes, every status and
//! staleness rule behaves as the client documents, every interval
//! contains the true time, and a writer publishing without pause never
//! gives the client a torn record.
#![cfg(all(feature = "writer", not(loom)))]

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clock_bound_client::{ClockBoundClient, ClockBoundErrorKind, ClockBoundNowResult, ClockStatus};
use clock_bound_shm::{ClockErrorBound, ShmReader, ShmWrite, ShmWriter};
use nix::sys::time::TimeSpec;
use ptpscope_clock::clockbound::{
    self, ClockBoundRecord, ClockBoundStatus, ClockBoundWriter, SEGMENT_SIZE,
};
use ptpscope_clock::{Snapshot, Status, monotonic_coarse_ns, monotonic_ns, realtime_ns};

const S: i64 = 1_000_000_000;

/// A directory of its own for each test, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ptpscope-clockbound-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    /// A segment path one directory down (the writer creates it).
    fn shm(&self, name: &str) -> PathBuf {
        self.0.join("clockbound").join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn client(path: &Path) -> ClockBoundClient {
    match ClockBoundClient::new_with_path(path.to_str().unwrap()) {
        Ok(c) => c,
        Err(e) => panic!("the client cannot open {}: {e:?}", path.display()),
    }
}

fn now(c: &mut ClockBoundClient) -> ClockBoundNowResult {
    match c.now() {
        Ok(n) => n,
        Err(e) => panic!("now(): {e:?}"),
    }
}

fn ns(t: &TimeSpec) -> i64 {
    t.tv_sec() * S + t.tv_nsec()
}

/// The middle (the client's CLOCK_REALTIME reading) and half-width of an
/// interval.
fn middle_and_bound(n: &ClockBoundNowResult) -> (i64, i64) {
    let (e, l) = (ns(&n.earliest), ns(&n.latest));
    assert_eq!((l - e) % 2, 0, "the interval is symmetric");
    (e + (l - e) / 2, (l - e) / 2)
}

fn client_status(s: ClockBoundStatus) -> ClockStatus {
    match s {
        ClockBoundStatus::Unknown => ClockStatus::Unknown,
        ClockBoundStatus::Synchronized => ClockStatus::Synchronized,
        ClockBoundStatus::FreeRunning => ClockStatus::FreeRunning,
        ClockBoundStatus::Disrupted => ClockStatus::Disrupted,
    }
}

fn timespec(ns: i64) -> TimeSpec {
    TimeSpec::new(ns.div_euclid(S), ns.rem_euclid(S))
}

/// ClockBound's own struct for a record.
fn clock_error_bound(r: &ClockBoundRecord) -> ClockErrorBound {
    ClockErrorBound::new(
        timespec(r.as_of_monotonic_coarse_ns),
        timespec(r.void_after_monotonic_coarse_ns),
        r.bound_ns as i64,
        r.disruption_marker,
        r.max_drift_ppb,
        client_status(r.status),
        false,
    )
}

/// A record as of `as_of`, valid for 10 s.
fn record(as_of: i64, status: ClockBoundStatus) -> ClockBoundRecord {
    ClockBoundRecord {
        as_of_monotonic_coarse_ns: as_of,
        void_after_monotonic_coarse_ns: as_of + 10 * S,
        bound_ns: 5_000,
        disruption_marker: 42,
        max_drift_ppb: 100_000,
        status,
    }
}

const STATUSES: [ClockBoundStatus; 4] = [
    ClockBoundStatus::Unknown,
    ClockBoundStatus::Synchronized,
    ClockBoundStatus::FreeRunning,
    ClockBoundStatus::Disrupted,
];

#[test]
fn the_default_path_is_the_clients() {
    assert_eq!(
        clockbound::DEFAULT_PATH,
        clock_bound_client::CLOCKBOUND_SHM_DEFAULT_PATH
    );
    assert_eq!(
        std::mem::size_of::<ClockErrorBound>() + 16,
        SEGMENT_SIZE,
        "header + ClockErrorBound"
    );
}

/// Our file and the file ClockBound's own writer makes from the same
/// record are the same 80 bytes, for every status; ClockBound's reader
/// reads ours back field for field.
#[test]
fn the_segment_is_byte_for_byte_clockbounds() {
    let dir = TempDir::new("bytes");
    for (i, status) in STATUSES.into_iter().enumerate() {
        let r = ClockBoundRecord {
            as_of_monotonic_coarse_ns: 123 * S + 456_789 + i as i64,
            void_after_monotonic_coarse_ns: 1_123 * S + 999_999_999,
            bound_ns: 0x0102_0304_0506,
            disruption_marker: 0x1122_3344_5566_7788,
            max_drift_ppb: 0x0a0b_0c0d,
            status,
        };
        let ours = dir.shm(&format!("ours{i}"));
        let theirs = dir.shm(&format!("theirs{i}"));
        let mut w = ClockBoundWriter::create(&ours).unwrap();
        w.publish(&r);
        let mut t = ShmWriter::new(&theirs).unwrap();
        t.write(&clock_error_bound(&r));
        let (a, b) = (
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap(),
        );
        assert_eq!(a.len(), SEGMENT_SIZE);
        assert_eq!(a, b, "{status}: ours, then ClockBound's");
        let path = CString::new(ours.to_str().unwrap()).unwrap();
        let mut reader = ShmReader::new(&path).unwrap();
        assert_eq!(*reader.snapshot().unwrap(), clock_error_bound(&r));
        drop(reader);
        drop(t);
        drop(w);
    }
}

/// Before the first publication the client cannot open the segment
/// (generation 0); after it, it can.
#[test]
fn a_segment_never_written_cannot_be_opened() {
    let dir = TempDir::new("unwritten");
    let path = dir.shm("shm0");
    let mut w = ClockBoundWriter::create(&path).unwrap();
    match ClockBoundClient::new_with_path(path.to_str().unwrap()) {
        Err(e) => assert_eq!(e.kind, ClockBoundErrorKind::SegmentNotInitialized),
        Ok(_) => panic!("opened a segment never written"),
    }
    w.publish(&record(
        monotonic_coarse_ns(),
        ClockBoundStatus::Synchronized,
    ));
    let n = now(&mut client(&path));
    assert_eq!(n.clock_status, ClockStatus::Synchronized);
}

/// Every status comes back as written while the record is fresh; the
/// bound is the one written, grown by max_drift_ppb × the client's age.
#[test]
fn statuses_and_the_bound_as_written() {
    let dir = TempDir::new("statuses");
    let path = dir.shm("shm0");
    let mut w = ClockBoundWriter::create(&path).unwrap();
    w.publish(&record(monotonic_coarse_ns(), ClockBoundStatus::Unknown));
    let mut c = client(&path);
    for status in STATUSES {
        // Two seconds old: the bound has grown by about 200 µs.
        let r = record(monotonic_coarse_ns() - 2 * S, status);
        w.publish(&r);
        for _ in 0..100 {
            let (rt0, coarse0) = (realtime_ns(), monotonic_coarse_ns());
            let n = now(&mut c);
            let (coarse1, rt1) = (monotonic_coarse_ns(), realtime_ns());
            assert_eq!(n.clock_status, client_status(status));
            let (middle, bound) = middle_and_bound(&n);
            assert!(
                (rt0..=rt1).contains(&middle),
                "the middle is CLOCK_REALTIME"
            );
            let grown = |coarse: i64| {
                (coarse - r.as_of_monotonic_coarse_ns) as i128 * r.max_drift_ppb as i128
                    / 1_000_000_000
            };
            let (lo, hi) = (
                r.bound_ns as i128 + grown(coarse0) - 1,
                r.bound_ns as i128 + grown(coarse1) + 1,
            );
            assert!(
                (lo..=hi).contains(&(bound as i128)),
                "{status}: bound {bound} outside {lo}..={hi}"
            );
        }
    }
}

/// What the client makes of stale, void, future and out-of-range records,
/// of an invalidated segment and of a writer that restarts.
#[test]
fn staleness_disruption_and_restart_behave_as_the_client_documents() {
    let dir = TempDir::new("stale");
    let path = dir.shm("shm0");
    let mut w = ClockBoundWriter::create(&path).unwrap();
    w.publish(&record(
        monotonic_coarse_ns(),
        ClockBoundStatus::Synchronized,
    ));
    let mut c = client(&path);
    let mut publish_then_status = |r: ClockBoundRecord| {
        w.publish(&r);
        c.now().map(|n| n.clock_status).map_err(|e| e.kind)
    };
    let coarse = monotonic_coarse_ns();
    let with_void_after = |as_of: i64, void_after: i64, status| ClockBoundRecord {
        void_after_monotonic_coarse_ns: void_after,
        ..record(as_of, status)
    };
    use ClockBoundStatus as C;
    // Past the 5 s grace period but before void_after: free-running.
    assert_eq!(
        publish_then_status(with_void_after(
            coarse - 6 * S,
            coarse + 10 * S,
            C::Synchronized
        )),
        Ok(ClockStatus::FreeRunning)
    );
    // Past both: unknown, whether written synchronized or free-running.
    for s in [C::Synchronized, C::FreeRunning] {
        assert_eq!(
            publish_then_status(with_void_after(coarse - 6 * S, coarse - S, s)),
            Ok(ClockStatus::Unknown)
        );
    }
    // Past void_after but within the grace period: still as written (the
    // client trusts a restarting daemon for 5 s), which is why dropping
    // the writer writes status unknown rather than only a void_after in
    // the past.
    assert_eq!(
        publish_then_status(with_void_after(coarse - S, coarse - S / 2, C::Synchronized)),
        Ok(ClockStatus::Synchronized)
    );
    // Unknown and disrupted are reported as written, however fresh.
    for s in [C::Unknown, C::Disrupted] {
        assert_eq!(publish_then_status(record(coarse, s)), Ok(client_status(s)));
    }
    // An as_of after the client's coarse clock (by more than its 1 µs
    // blur) is an error, not an interval.
    assert_eq!(
        publish_then_status(record(monotonic_coarse_ns() + S, C::Synchronized)),
        Err(ClockBoundErrorKind::CausalityBreach)
    );
    // A drift the client would refuse is written clamped, as unknown.
    let r = ClockBoundRecord {
        max_drift_ppb: 1_000_000_000,
        ..record(coarse, C::Synchronized)
    };
    assert_eq!(publish_then_status(r), Ok(ClockStatus::Unknown));
    // Invalidated, and dropped: unknown, for a client that keeps reading.
    w.publish(&record(monotonic_coarse_ns(), C::Synchronized));
    assert_eq!(now(&mut c).clock_status, ClockStatus::Synchronized);
    w.invalidate();
    assert_eq!(now(&mut c).clock_status, ClockStatus::Unknown);
    w.publish(&record(monotonic_coarse_ns(), C::Synchronized));
    drop(w);
    assert_eq!(now(&mut c).clock_status, ClockStatus::Unknown);
    // A restarted writer takes the same file over: the client that
    // mapped it sees the new records.
    let mut w = ClockBoundWriter::create(&path).unwrap();
    w.publish(&record(monotonic_coarse_ns(), C::Synchronized));
    assert_eq!(now(&mut c).clock_status, ClockStatus::Synchronized);
}

/// A snapshot published through `publish_snapshot`: every interval the
/// client returns contains the true time. The truth is modelled as the
/// snapshot claims it: grandmaster = CLOCK_REALTIME − (offset +
/// frequency × age), within ± (bound + drift × age); the interval must
/// contain that whole range, |offset + frequency × age| + bound + drift ×
/// age ≤ its half-width, at the age read just before the call (the age at
/// the client's reading is at least that, and the requirement grows with
/// it no faster than the published drift).
#[test]
fn every_interval_contains_the_truth() {
    let dir = TempDir::new("truth");
    let path = dir.shm("shm0");
    let mut w = ClockBoundWriter::create(&path).unwrap();
    let reference = monotonic_ns() - 1_500_000_000;
    let s = Snapshot {
        mono_ns: reference,
        real_ns: realtime_ns() - 1_500_000_000,
        // Offset and frequency of one sign: the worst case, where the
        // offset grows with age by all of |frequency|.
        offset_ns: 250_000,
        freq_ppb: 1_234.5,
        bound_ns: 800,
        drift_ppb: 20_000,
        valid_ns: 60 * S as u64,
        status: Status::Synchronized,
        grandmaster: [0; 8],
        disruptions: 1,
        leap: Default::default(),
    };
    w.publish_snapshot(&s);
    let mut c = client(&path);
    let (mut reads, mut least_margin, mut most_lag) = (0u64, f64::MAX, 0i64);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        let mono0 = monotonic_ns();
        most_lag = most_lag.max(mono0 - monotonic_coarse_ns());
        let rt0 = realtime_ns();
        let n = now(&mut c);
        let rt1 = realtime_ns();
        assert_eq!(n.clock_status, ClockStatus::Synchronized);
        let (middle, bound) = middle_and_bound(&n);
        assert!((rt0..=rt1).contains(&middle));
        let age = (mono0 - reference) as f64;
        let moved = s.offset_ns as f64 + s.freq_ppb * age * 1e-9;
        let required = moved.abs() + s.bound_ns as f64 + s.drift_ppb as f64 * age * 1e-9;
        let margin = bound as f64 - required;
        assert!(
            margin >= 0.0,
            "read {reads}: half-width {bound} ns < {required:.1} ns needed at age {age} ns \
             (coarse clock lag up to {most_lag} ns seen, {} allowed)",
            w.coarse_lag_ns()
        );
        least_margin = least_margin.min(margin);
        reads += 1;
        if reads.is_multiple_of(64) {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    println!(
        "CLOCKBOUND truth: {reads} reads, every interval contains the truth, \
         least margin {least_margin:.0} ns (coarse lag allowed {} ns, seen up to {most_lag} ns)",
        w.coarse_lag_ns()
    );
}

/// Record `k` of the torn-read test. A client sees three of its fields
/// through `now()`: the bound carries k and the status code, the drift
/// (k mod 5 thousand ppb) shows in the growth. ClockBound's reader sees
/// all of them.
fn numbered(k: u64, base: i64) -> ClockBoundRecord {
    let status = STATUSES[(k % 4) as usize];
    ClockBoundRecord {
        as_of_monotonic_coarse_ns: base + k as i64,
        void_after_monotonic_coarse_ns: base + k as i64 + 600 * S,
        bound_ns: BOUND_BASE + (k << 24) + ((status.code() as u64) << 22),
        disruption_marker: k,
        max_drift_ppb: 100 + 1_000 * (k % 5) as u32,
        status,
    }
}

const BOUND_BASE: u64 = 1_000_000_000;

/// A writer thread publishes a new record every microsecond or so while
/// this thread reads in a loop, alternately through the client's `now()`
/// and ClockBound's `ShmReader`: every read is one whole record.
#[test]
fn a_busy_writer_never_gives_the_client_a_torn_record() {
    let dir = TempDir::new("torn");
    let path = dir.shm("shm0");
    let mut w = ClockBoundWriter::create(&path).unwrap();
    // A second ago, so that age (and the drift's growth) is about 1 s and
    // the records stay within the client's 5 s grace period.
    let base = monotonic_coarse_ns() - S;
    w.publish(&numbered(0, base));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut k = 0u64;
            while !stop.load(Ordering::Relaxed) {
                k += 1;
                w.publish(&numbered(k, base));
                let t = Instant::now();
                while t.elapsed() < Duration::from_micros(1) {
                    std::hint::spin_loop();
                }
            }
            k
        })
    };
    let mut c = client(&path);
    let cpath = CString::new(path.to_str().unwrap()).unwrap();
    let mut reader = ShmReader::new(&cpath).unwrap();
    let (mut client_reads, mut reader_reads) = (0u64, 0u64);
    let (mut distinct, mut last) = (0u64, u64::MAX);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        // The client: k and the status from the bound, the drift from
        // its growth over the age the client may have measured.
        let coarse0 = monotonic_coarse_ns();
        let n = now(&mut c);
        let coarse1 = monotonic_coarse_ns();
        let (_, bound) = middle_and_bound(&n);
        let above = bound as u64 - BOUND_BASE;
        let k = above >> 24;
        let r = numbered(k, base);
        assert_eq!(
            n.clock_status,
            client_status(r.status),
            "torn: status against bound {bound} (k {k})"
        );
        let growth = (above & ((1 << 22) - 1)) as i128;
        let grown = |coarse: i64| {
            (coarse - r.as_of_monotonic_coarse_ns) as i128 * r.max_drift_ppb as i128 / 1_000_000_000
        };
        assert!(
            (grown(coarse0) - 1..=grown(coarse1) + 1).contains(&growth),
            "torn: growth {growth} ns of k {k} outside {}..={}",
            grown(coarse0) - 1,
            grown(coarse1) + 1
        );
        client_reads += 1;
        if k != last {
            distinct += 1;
            last = k;
        }
        // ClockBound's reader: every field.
        let ceb = *reader.snapshot().unwrap();
        assert_eq!(
            ceb,
            clock_error_bound(&numbered(ceb.disruption_marker, base)),
            "torn record"
        );
        reader_reads += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().unwrap();
    assert!(writes > 1_000, "the writer kept publishing ({writes})");
    assert!(
        distinct > 100,
        "the client saw the records change ({distinct})"
    );
    println!(
        "CLOCKBOUND torn: {writes} writes, {client_reads} client now() and \
         {reader_reads} ShmReader reads, {distinct} distinct records seen by now(), none torn"
    );
}
