//! One writer at full speed, several reader processes: no reader ever
//! sees a torn record. Every snapshot the writer publishes is derived from
//! one counter, so a mix of two writes is detectable in any field.
#![cfg(feature = "writer")]

use std::process::Command;
use std::time::{Duration, Instant};

use ptpscope_clock::{ClockReader, ClockWriter, Error, Snapshot, Status};

fn snapshot(k: u64) -> Snapshot {
    Snapshot {
        mono_ns: k as i64,
        real_ns: (k as i64).wrapping_mul(3),
        offset_ns: -(k as i64),
        freq_ppb: k as f64,
        bound_ns: k.wrapping_mul(7),
        drift_ppb: k ^ 0x5555_5555,
        valid_ns: k.wrapping_mul(11),
        status: if k.is_multiple_of(2) {
            Status::Synchronized
        } else {
            Status::Holdover
        },
        grandmaster: k.to_be_bytes(),
        disruptions: k.rotate_left(17),
        leap: Default::default(),
    }
}

const ENV: &str = "PTPSCOPE_CLOCK_STRESS";
const READ_FOR: Duration = Duration::from_millis(1500);

/// The reader side, run in child processes by the test below; does
/// nothing when run on its own.
#[test]
fn stress_reader_child() {
    let Ok(path) = std::env::var(ENV) else { return };
    let r = ClockReader::open(&path).expect("open the record");
    let (mut reads, mut busy, mut distinct, mut last) = (0u64, 0u64, 0u64, u64::MAX);
    let start = Instant::now();
    while start.elapsed() < READ_FOR {
        match r.snapshot() {
            Ok(s) => {
                let k = s.mono_ns as u64;
                assert_eq!(s, snapshot(k), "torn record at k = {k}");
                reads += 1;
                if k != last {
                    distinct += 1;
                    last = k;
                }
            }
            Err(Error::Busy) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    println!("STRESS reads={reads} distinct={distinct} busy={busy}");
}

#[test]
fn no_torn_record_across_processes() {
    if std::env::var(ENV).is_ok() {
        return;
    }
    let path = std::env::temp_dir().join(format!("ptpscope-clock-stress-{}", std::process::id()));
    let mut w = ClockWriter::create(&path).expect("create the record");
    w.publish(&snapshot(0));
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "stress_reader_child",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(ENV, &path)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a reader")
        })
        .collect();
    let start = Instant::now();
    let mut k = 0u64;
    while start.elapsed() < READ_FOR + Duration::from_millis(500) {
        k += 1;
        w.publish(&snapshot(k));
    }
    let mut total = 0u64;
    for c in children {
        let out = c.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "reader failed: {text}");
        let line = text
            .lines()
            .find_map(|l| l.split_once("STRESS ").map(|x| x.1))
            .unwrap_or_else(|| panic!("no result from a reader: {text}"));
        eprintln!("{line}");
        let field = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        // The readers saw the writer move, many times.
        assert!(field("distinct") > 10, "{line}");
        total += field("reads");
    }
    eprintln!("writer: {k} writes; readers: {total} good reads, none torn");
    assert!(k > 10_000);
}
