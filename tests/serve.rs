//! `ptpscope serve --replay` and `ptpscope time` as programs: the record
//! appears with the right mode, `time` reads it, SIGTERM removes it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{lab, ptpscope};

#[test]
fn serve_replay_then_time_then_sigterm() {
    let clock = std::env::temp_dir().join(format!("ptpscope-serve-test-{}", std::process::id()));
    let serve = Command::new(env!("CARGO_BIN_EXE_ptpscope"))
        .args(["serve", "--replay"])
        .arg(lab("lab-l2-e2e.pcap"))
        .arg("--clock")
        .arg(&clock)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    // The capture's first estimate comes within its first seconds.
    let start = Instant::now();
    let json = loop {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no time from serve"
        );
        std::thread::sleep(Duration::from_millis(100));
        let out = ptpscope(&["time", "--json", "--clock", clock.to_str().unwrap()]);
        if out.status.success() {
            break serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
        }
    };
    assert_eq!(json["status"], "synchronized", "{json}");
    assert_eq!(json["grandmaster"], "020000.fffe.000001", "{json}");
    let (e, l) = (
        json["earliest_ns"].as_i64().unwrap(),
        json["latest_ns"].as_i64().unwrap(),
    );
    assert!(e < l && json["bound_ns"].as_i64().unwrap() > 0, "{json}");
    assert!(json["error"].is_null());
    let mode = std::fs::metadata(&clock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "readable by all, writable by the owner");
    let text = ptpscope(&["time", "--clock", clock.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains(" ns (synchronized; grandmaster 020000.fffe.000001"),
        "{text}"
    );
    assert!(
        text.contains("earliest ") && text.contains("latest "),
        "{text}"
    );
    // SIGTERM: a clean stop that removes the record.
    let pid = serve.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = serve.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("the record is removed"), "{err}");
    assert!(!clock.exists());
    let gone = ptpscope(&["time", "--clock", clock.to_str().unwrap()]);
    assert!(!gone.status.success());
    let msg = String::from_utf8_lossy(&gone.stderr);
    assert!(msg.contains("is ptpscope serve running?"), "{msg}");
}

#[test]
fn serve_refuses_bad_options() {
    let clock = std::env::temp_dir().join(format!("ptpscope-serve-bad-{}", std::process::id()));
    let clock = clock.to_str().unwrap();
    let out = ptpscope(&[
        "serve",
        "--replay",
        "/nonexistent.pcap",
        "--clock",
        clock,
        "--metrics",
        "0.0.0.0:9999",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback only"), "{err}");
    let out = ptpscope(&[
        "serve", "--replay", "x.pcap", "--clock", clock, "--valid", "0",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--valid 0"));
    // Checked before the record is created: nothing is left behind.
    let out = ptpscope(&[
        "serve",
        "--replay",
        "x.pcap",
        "--clock",
        clock,
        "--max-drift-ppm",
        "0",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-drift-ppm 0"));
    assert!(!std::path::Path::new(clock).exists());
}

/// The offsets `serve -v` published for a fast replay of `capture`.
fn published_offsets(capture: &std::path::Path, extra: &[&str]) -> Vec<i64> {
    // Tests run in parallel: a record each.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let clock =
        std::env::temp_dir().join(format!("ptpscope-serve-offsets-{}-{n}", std::process::id()));
    let mut args = vec!["serve", "--fast", "-v", "--clock", clock.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(["--replay", capture.to_str().unwrap()]);
    let out = ptpscope(&args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    err.lines()
        .filter(|l| l.starts_with("ptpscope: synchronized offset "))
        .map(|l| l.split(' ').nth(3).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn serve_applies_a_known_delay_asymmetry() {
    // E2E: the Sync's leg is the mean path delay plus delayAsymmetry, so
    // the offset moves by minus it (IEEE 1588-2019 §7.4.2, §11.3).
    let capture = lab("lab-l2-e2e.pcap");
    let plain = published_offsets(&capture, &[]);
    let moved = published_offsets(&capture, &["--delay-asymmetry", "3000"]);
    let named = published_offsets(
        &capture,
        &[
            "--delay-asymmetry",
            "lab-l2-e2e=-500",
            "--delay-asymmetry",
            "9",
        ],
    );
    assert!(plain.len() > 5, "{plain:?}");
    assert_eq!(plain.len(), moved.len());
    assert_eq!(plain.len(), named.len());
    // Each offset moves by the asymmetry, except where the estimator
    // clamps it into the causal interval, which assumes no asymmetry: then
    // it moves less, never the other way.
    let check = |v: &[i64], by: i64| {
        let exact = plain
            .iter()
            .zip(v)
            .filter(|(p, m)| (*p + by - *m).abs() <= 1)
            .count();
        assert!(exact * 10 >= plain.len() * 7, "{by}: {plain:?} {v:?}");
        for (p, m) in plain.iter().zip(v) {
            let d = m - p;
            assert!(
                d * by.signum() >= 0 && d.abs() <= by.abs() + 1,
                "{by}: {p} {m}"
            );
        }
    };
    check(&moved, -3000);
    check(&named, 500);
    let out = ptpscope(&["serve", "--replay", "x.pcap", "--delay-asymmetry", "a=b"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--delay-asymmetry a=b"));
}

/// The truth file's offset series of the first point, [(time, ns)].
fn truth_series(truth: &std::path::Path) -> Vec<(i64, f64)> {
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(truth).unwrap()).unwrap();
    t["points"][0]["offsets"][0]["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// The truth file's series of the first point against true UTC.
fn utc_series(truth: &std::path::Path) -> Vec<(i64, f64)> {
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(truth).unwrap()).unwrap();
    t["points"][0]["utc_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// A truth series at capture time `t`, linear between its samples.
fn series_at(series: &[(i64, f64)], t: i64) -> f64 {
    let i = series
        .partition_point(|(st, _)| *st <= t)
        .clamp(1, series.len() - 1);
    let ((ta, oa), (tb, ob)) = (series[i - 1], series[i]);
    oa + (ob - oa) * (t - ta) as f64 / (tb - ta) as f64
}

/// (capture time, CLOCK_REALTIME) of a replay's start, as serve says it.
fn replay_start(err: &str) -> (i64, i64) {
    err.lines()
        .find_map(|l| {
            let l = l.strip_prefix("ptpscope: replay: capture time ")?;
            let (t, rest) = l.split_once(" ns is published as CLOCK_REALTIME ")?;
            Some((t.parse().ok()?, rest.strip_suffix(" ns")?.parse().ok()?))
        })
        .unwrap_or_else(|| panic!("serve did not say where the replay starts: {err}"))
}

/// `serve --replay --clockbound` of a simulated capture whose clock runs
/// 25 µs and more ahead of the grandmaster, drifting 8 ppm: the unmodified
/// ClockBound 2.x client reads the segment, and every interval it gives
/// contains the true time (CLOCK_REALTIME minus the true offset at the
/// replayed instant), so the bound it carries covers |offset|.
#[test]
fn clockbound_client_reads_serves_segment_and_it_contains_the_truth() {
    let dir = std::env::temp_dir().join(format!("ptpscope-serve-cb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pcap, truth) = (dir.join("q.pcapng"), dir.join("q.truth.json"));
    common::simulate(
        std::path::Path::new("quiet-lan"),
        &pcap,
        &truth,
        &["--duration", "8"],
    );
    let series = truth_series(&truth);
    let segment = dir.join("clockbound").join("shm0");
    let start_real = ptpscope_clock::realtime_ns();
    let serve = Command::new(env!("CARGO_BIN_EXE_ptpscope"))
        .args(["serve", "--replay"])
        .arg(&pcap)
        .arg("--clock")
        .arg(dir.join("clock"))
        .arg("--clockbound")
        .arg(&segment)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut client = None;
    let (mut reads, mut contained, mut synchronized) = (0u64, 0u64, 0u64);
    let mut half_widths = Vec::new();
    let mut first_miss = None;
    let mut samples = Vec::new();
    while start_real + 7_500_000_000 > ptpscope_clock::realtime_ns() {
        std::thread::sleep(Duration::from_millis(2));
        if client.is_none() {
            client =
                clock_bound_client::ClockBoundClient::new_with_path(segment.to_str().unwrap()).ok();
            continue;
        }
        // The read happened between `before` and `after`.
        let before = ptpscope_clock::realtime_ns();
        let Ok(now) = client.as_mut().unwrap().now() else {
            continue;
        };
        let after = ptpscope_clock::realtime_ns();
        if now.clock_status != clock_bound_client::ClockStatus::Synchronized {
            continue;
        }
        synchronized += 1;
        let earliest = now.earliest.tv_sec() * 1_000_000_000 + now.earliest.tv_nsec();
        let latest = now.latest.tv_sec() * 1_000_000_000 + now.latest.tv_nsec();
        half_widths.push((latest - earliest) / 2);
        samples.push((before, after, earliest, latest));
    }
    let out = serve.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // Where serve put the capture on CLOCK_REALTIME: the true time of a
    // read at `real` is `real` minus the truth's offset at the capture
    // time `real − shift` (linear between the truth's samples).
    let (t0, real0) = replay_start(&err);
    let shift = real0 - t0;
    let truth_at = |t: i64| series_at(&series, t);
    for &(before, after, earliest, latest) in &samples {
        let true_at = |real: i64| real - truth_at(real - shift).round() as i64;
        reads += 1;
        // Some instant of the read is inside the interval.
        if earliest <= true_at(after) && true_at(before) <= latest {
            contained += 1;
        } else if first_miss.is_none() {
            first_miss = Some(format!(
                "[{earliest}, {latest}] (half-width {}), realtime {before}..{after}, truth offset {:.0}",
                (latest - earliest) / 2,
                truth_at(before - shift)
            ));
        }
    }
    half_widths.sort_unstable();
    eprintln!(
        "clockbound client: {reads} synchronized reads, {contained} contained the truth, half-width median {} ns",
        half_widths
            .get(half_widths.len() / 2)
            .copied()
            .unwrap_or(-1)
    );
    assert!(
        synchronized > 500,
        "{synchronized} synchronized reads; serve said {err}"
    );
    assert_eq!(contained, reads, "{first_miss:?}");
    // The segment stays, marked untrusted: a client reading it now is
    // told the clock status is not synchronized.
    let mut c = clock_bound_client::ClockBoundClient::new_with_path(segment.to_str().unwrap())
        .expect("the segment stays");
    let after = c.now();
    assert!(
        after.as_ref().map_or(true, |n| n.clock_status
            != clock_bound_client::ClockStatus::Synchronized),
        "{:?}",
        after.map(|n| n.clock_status)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A grandmaster on the PTP timescale (TAI, currentUtcOffset 37 valid),
/// captured by a NIC synchronized to it (its capture clock runs TAI too):
/// serve publishes against UTC, CLOCK_REALTIME's timescale, so the
/// capture clock is 37 s ahead, less the few µs the estimate says.
#[test]
fn serve_publishes_a_tai_grandmaster_as_utc() {
    let Some(capture) = common::shared_capture(
        "genesys-neu_s-plane_security__2024-10-08-sync_attack_singlestep_1.pcap",
    ) else {
        eprintln!("skipped: ../shared/captures is absent");
        return;
    };
    let offsets = published_offsets(&capture, &[]);
    assert!(offsets.len() > 100, "{offsets:?}");
    for o in &offsets {
        assert!((o - 37_000_000_000).abs() < 100_000, "{o}");
    }
}

/// A leap second the grandmaster announces (leap61 in its Announce, on
/// the PTP timescale) reaches the published record and chrony's samples:
/// the TAI capture above with leap61 set in every Announce, replayed with a
/// SOCK socket of the test's own that reads what chrony would.
#[test]
fn serve_publishes_the_announced_leap_second() {
    use std::os::unix::net::UnixDatagram;
    let Some(capture) = common::shared_capture(
        "genesys-neu_s-plane_security__2024-10-08-sync_attack_singlestep_1.pcap",
    ) else {
        return;
    };
    // A little-endian pcap of Ethernet frames: set flagField bit leap61
    // (octet 7, bit 0) of each Announce (messageType 0xB).
    let mut b = std::fs::read(&capture).unwrap();
    assert_eq!(b[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
    let mut at = 24;
    let mut announces = 0;
    while at + 16 <= b.len() {
        let caplen = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        let frame = at + 16;
        let ptp = match b[frame + 12..frame + 14] {
            [0x88, 0xf7] => Some(frame + 14),
            [0x81, 0x00] if b[frame + 16..frame + 18] == [0x88, 0xf7] => Some(frame + 18),
            _ => None,
        };
        if let Some(p) = ptp
            && b[p] & 0x0f == 0x0b
        {
            b[p + 7] |= 0x01;
            announces += 1;
        }
        at = frame + caplen;
    }
    assert!(announces > 10, "{announces}");
    let file = std::env::temp_dir().join(format!("ptpscope-leap-{}.pcap", std::process::id()));
    std::fs::write(&file, &b).unwrap();
    let sock = std::env::temp_dir().join(format!("ptpscope-leap-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&sock);
    let chrony = UnixDatagram::bind(&sock).unwrap();
    chrony.set_nonblocking(true).unwrap();
    let offsets = published_offsets(&file, &["--chrony-sock", sock.to_str().unwrap()]);
    assert!(offsets.len() > 100);
    let mut samples = 0;
    let mut buf = [0u8; 64];
    while let Ok(n) = chrony.recv(&mut buf) {
        assert_eq!(n, 40);
        // chrony's SOCK sample: leap at octets 28..32 (1: insert).
        assert_eq!(i32::from_ne_bytes(buf[28..32].try_into().unwrap()), 1);
        samples += 1;
    }
    assert!(samples > 10, "{samples}");
    std::fs::remove_file(&sock).ok();
    std::fs::remove_file(&file).ok();
}

/// The simulated TAI grandmaster with a leap second (`tai-leap-second`,
/// started 4 s before the UTC midnight): its host's clock reads UTC and
/// steps back a second at the leap. Replayed at the recorded speed, every
/// read of serve's record gives UTC: the interval contains the true UTC
/// time of the truth file; leap61 is published before the leap; the new
/// currentUtcOffset is a disruption.
#[test]
fn serve_publishes_utc_for_a_tai_grandmaster_across_a_leap_second() {
    leap_second_replay("leap61", &[], ptpscope_clock::Leap::Insert);
}

/// The same with the second deleted (leap59): the host's clock steps
/// forward a second at 23:59:59, the grandmaster announces leap59, then
/// currentUtcOffset 36.
#[test]
fn serve_publishes_utc_across_a_deleted_leap_second() {
    leap_second_replay(
        "leap59",
        &[("leap_second = true", "leap_second = true\nleap59 = true")],
        ptpscope_clock::Leap::Delete,
    );
}

/// Both again with the host's clock 5 ms behind UTC (its reading steps 5
/// ms after UTC does): the record expires before UTC's own step.
#[test]
fn serve_publishes_utc_across_leap_seconds_from_a_host_behind_utc() {
    let behind = ("offset_ns = 25000", "offset_ns = -5000000");
    leap_second_replay("leap61-behind", &[behind], ptpscope_clock::Leap::Insert);
    leap_second_replay(
        "leap59-behind",
        &[
            behind,
            ("leap_second = true", "leap_second = true\nleap59 = true"),
        ],
        ptpscope_clock::Leap::Delete,
    );
}

/// Replays `tai-leap-second` with `edits`, 4 s before the UTC midnight,
/// reading serve's record all along: see the two tests above.
fn leap_second_replay(name: &str, edits: &[(&str, &str)], announced: ptpscope_clock::Leap) {
    use ptpscope_clock::{ClockReader, Leap, Status};
    let dir =
        std::env::temp_dir().join(format!("ptpscope-serve-tai-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pcap, truth) = (dir.join("tai.pcapng"), dir.join("tai.truth.json"));
    // 2026-12-31 23:59:56 UTC, on TAI; 10 s.
    let mut all = vec![
        ("start_unix_s = 1798761617", "start_unix_s = 1798761633"),
        ("duration_s = 40", "duration_s = 10"),
    ];
    all.extend_from_slice(edits);
    let scenario = common::scenario_variant("tai-leap-second", &dir, &all);
    common::simulate(&scenario, &pcap, &truth, &[]);
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
    let midnight = t["utc"]["leap_second"]["utc_midnight_ns"].as_i64().unwrap();
    let series = utc_series(&truth);
    let clock = dir.join("clock");
    let start_real = ptpscope_clock::realtime_ns();
    let serve = Command::new(env!("CARGO_BIN_EXE_ptpscope"))
        .args(["serve", "--replay"])
        .arg(&pcap)
        .arg("--clock")
        .arg(&clock)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut reader = None;
    // (CLOCK_REALTIME, interval, reference on CLOCK_REALTIME, leap, disruptions)
    let mut reads = Vec::new();
    let mut statuses = Vec::new();
    while start_real + 10_500_000_000 > ptpscope_clock::realtime_ns() {
        std::thread::sleep(Duration::from_millis(2));
        let Some(r) = reader.as_ref() else {
            reader = ClockReader::open(&clock).ok();
            continue;
        };
        let Ok(snap) = r.snapshot() else { continue };
        statuses.push((snap.real_ns, snap.status, snap.leap, snap.disruptions));
        // The read happened between `real` and `after`.
        let real = ptpscope_clock::realtime_ns();
        let now = r.now();
        let after = ptpscope_clock::realtime_ns();
        if let Ok(now) = now {
            reads.push((real, after, now, snap.real_ns, snap.leap));
        }
    }
    let out = serve.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let (t0, real0) = replay_start(&err);
    let shift = real0 - t0;
    // Every read, before the leap and after: the true UTC time is inside.
    // A deleted second: the host's clock never reads 23:59:59, so the
    // replay's second standing for it has no truth (no frame either).
    let skipped = |real: i64| {
        announced == Leap::Delete && (midnight - 1_000_000_000..midnight).contains(&(real - shift))
    };
    // Nor is the record read there: it expired before UTC's step, which
    // comes within the host's clock error (here under 1 ms) of its own.
    let late = reads
        .iter()
        .filter(|r| skipped(r.0) && r.0 - shift >= midnight - 999_000_000)
        .count();
    assert_eq!(late, 0, "{name}: reads inside the deleted second");
    let reads: Vec<_> = reads
        .into_iter()
        .filter(|r| !skipped(r.0) && !skipped(r.1))
        .collect();
    let (mut contained, mut first_miss, mut half_widths) = (0, None, Vec::new());
    for &(real, after, now, _, _) in &reads {
        let true_at = |real: i64| real - series_at(&series, real - shift).round() as i64;
        let true_now = true_at(real);
        half_widths.push(now.bound());
        // Some instant of the read is inside the interval.
        if now.earliest <= true_at(after) && true_now <= now.latest {
            contained += 1;
        } else if first_miss.is_none() {
            first_miss = Some(format!(
                "[{}, {}] at capture time {} (leap at {midnight}): {} ns off",
                now.earliest,
                now.latest,
                real - shift,
                true_now - now.midpoint()
            ));
        }
    }
    half_widths.sort_unstable();
    let after = reads
        .iter()
        .filter(|r| r.3 - shift >= midnight && r.4 == Leap::None)
        .count();
    eprintln!(
        "tai-leap-second {name} replay: {} reads, {contained} contained the true UTC, half-width median {} ns; {after} after the leap",
        reads.len(),
        half_widths
            .get(half_widths.len() / 2)
            .copied()
            .unwrap_or(-1)
    );
    assert!(reads.len() > 500, "{} reads; serve said {err}", reads.len());
    assert_eq!(contained, reads.len(), "{first_miss:?}");
    // The leap published before it, with synchronized reads.
    assert!(
        reads
            .iter()
            .any(|r| r.4 == announced && r.3 - shift < midnight - 1_000_000_000),
        "no read with {name} before the leap"
    );
    // After the leap (the host's clock stepped back, the grandmaster
    // announces currentUtcOffset 38) serve is synchronized again, and those
    // reads too contained the true UTC (above).
    assert!(after > 200, "{after} synchronized reads after the leap");
    // The new currentUtcOffset: disrupted, with the disruption counted.
    let disrupted = statuses
        .iter()
        .position(|s| s.1 == Status::Disrupted && s.2 == Leap::None)
        .expect("no disruption at the new currentUtcOffset");
    assert!(statuses[disrupted].3 >= 1);
    // Nothing disrupted until the host's clock steps back at the leap.
    assert!(
        statuses
            .iter()
            .filter(|s| s.0 - shift < midnight - 1_000_000_000)
            .all(|s| s.1 != Status::Disrupted),
        "disrupted before the leap"
    );
    std::fs::remove_dir_all(&dir).ok();
}
