//! Lab test: records fresh captures with linuxptp in network namespaces
//! (`captures/make-lab-captures.sh`, every ptp4l free-running with software
//! timestamps) and decodes them. Needs root, ptp4l, pmc, tcpdump and dumpcap;
//! skipped with a printed reason otherwise.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn fresh_lab_captures_decode_cleanly() {
    if !is_root() {
        eprintln!("skipped: the lab needs root for network namespaces");
        return;
    }
    for tool in ["ip", "ptp4l", "pmc", "tcpdump", "dumpcap"] {
        if !on_path(tool) {
            eprintln!("skipped: {tool} not installed");
            return;
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("ptpscope-lab-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("bash")
        .arg(root.join("captures/make-lab-captures.sh"))
        .arg(&out)
        .status()
        .expect("run the lab script");
    assert!(status.success(), "lab script failed");

    let types = |file: &str| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in common::decode_json(&out.join(file)) {
            assert!(r.get("error").is_none(), "{file}: {r}");
            *m.entry(r["message_type"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        m
    };
    for (file, want) in [
        (
            "lab-l2-e2e.pcap",
            &["Announce", "Sync", "Follow_Up", "Delay_Req", "Delay_Resp"][..],
        ),
        (
            "lab-udp4-e2e.pcap",
            &["Announce", "Sync", "Follow_Up", "Delay_Req", "Delay_Resp"],
        ),
        (
            "lab-e2e-tc-gm-side.pcap",
            &["Announce", "Sync", "Follow_Up"],
        ),
        (
            "lab-e2e-tc-slave-side.pcap",
            &["Announce", "Sync", "Follow_Up"],
        ),
        ("lab-e2e-tc.pcapng", &["Announce", "Sync", "Follow_Up"]),
        (
            "lab-p2p-tc.pcapng",
            &["Sync", "Pdelay_Req", "Pdelay_Resp", "Pdelay_Resp_Follow_Up"],
        ),
        ("lab-gptp.pcap", &["Sync", "Follow_Up", "Pdelay_Req"]),
        ("lab-management.pcap", &["Management"]),
        ("lab-unicast.pcap", &["Signaling"]),
    ] {
        let seen = types(file);
        for t in want {
            assert!(
                seen.get(*t).is_some_and(|&n| n > 0),
                "{file}: no {t} in {seen:?}"
            );
        }
        let size = std::fs::metadata(out.join(file)).unwrap().len();
        assert!(size < 200_000, "{file}: {size} bytes");
    }
    // The ledger on fresh TC captures: each kind of TC flagged as such.
    for (name, finding) in [
        ("e2e-tc", "TC re-sourced the frame"),
        ("e2e-tc-keepmac", "unchanged source MAC"),
        ("p2p-tc", "TC re-sourced the frame"),
        ("p2p-tc-keepmac", "unchanged source MAC"),
    ] {
        let f = out.join(format!("lab-{name}.pcapng"));
        let run = common::ptpscope(&["analyze", "-f", "json", f.to_str().unwrap()]);
        assert!(run.status.success(), "{name}");
        let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let hop = v["hops"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["from"] == "tcg" && h["to"] == "tcs")
            .unwrap_or_else(|| panic!("{name}: no tcg -> tcs hop: {}", v["hops"]));
        assert!(
            hop["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x.as_str().unwrap().contains(finding)),
            "{name}: {hop}"
        );
        assert!(
            hop["residence_ns"]["median"].as_i64().unwrap() > 0,
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// `ptpscope analyze --interface` on the slave's veth while ptp4l runs a
/// grandmaster and a slave (scripts/lab-live.sh), then the pcapng it wrote
/// analyzed again as a file.
#[test]
fn live_analyze_in_the_lab() {
    if !ptp4l_lab_ready() {
        return;
    }
    let out = std::env::temp_dir().join(format!("ptpscope-live-{}", std::process::id()));
    let status = lab_live(&["ptp4l", "6"], &out)
        .status()
        .expect("run scripts/lab-live.sh");
    let err = std::fs::read_to_string(out.join("live.err")).unwrap_or_default();
    assert!(status.success(), "lab-live failed: {err}");
    assert!(err.contains("dropped by kernel 0"), "{err}");
    let live: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("live.json")).unwrap()).unwrap();
    for t in ["Announce", "Sync", "Follow_Up", "Delay_Req", "Delay_Resp"] {
        assert!(
            live["messages"][t].as_u64().unwrap_or(0) > 0,
            "no {t}: {live}"
        );
    }
    assert!(
        live["exchanges"]["sync_follow_up"]["matched"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        live["exchanges"]["delay_req_resp"]["matched"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(live["points"][0]["name"], "sl0");
    let roles: BTreeMap<String, String> = live["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["clock_identity"].as_str().unwrap().to_owned(),
                c["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(roles["020000.fffe.000001"], "grandmaster");
    assert_eq!(roles["020000.fffe.000002"], "slave");
    // What --write kept is what was analyzed.
    let file = common::ptpscope(&[
        "analyze",
        "-f",
        "json",
        out.join("live.pcapng").to_str().unwrap(),
    ]);
    assert!(file.status.success());
    let file: serde_json::Value = serde_json::from_slice(&file.stdout).unwrap();
    assert_eq!(file["messages"], live["messages"]);
    assert_eq!(file["points"][0]["name"], "sl0");
    std::fs::remove_dir_all(&out).ok();
}

/// Runs `f` with a fresh, empty network namespace (loopback up), removed
/// afterwards even when `f` panics.
fn in_fresh_netns(tag: &str, f: impl FnOnce(&str)) {
    let ns = format!("psl{}-{tag}", std::process::id());
    let ok = Command::new("ip").args(["netns", "add", &ns]).status();
    assert!(ok.is_ok_and(|s| s.success()), "ip netns add {ns}");
    let _ = Command::new("ip")
        .args(["-n", &ns, "link", "set", "lo", "up"])
        .status();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&ns)));
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    if let Err(e) = r {
        std::panic::resume_unwind(e);
    }
}

/// `live_lab_ready` and linuxptp and python3 for scripts/lab-live.sh.
fn ptp4l_lab_ready() -> bool {
    live_lab_ready() && tools_ready(&["ptp4l", "python3"])
}

fn live_lab_ready() -> bool {
    if !cfg!(feature = "live") {
        eprintln!("skipped: built without the `live` feature (cargo test --features live)");
        return false;
    }
    netns_ready()
}

/// Root and iproute2, for network namespaces (says why not).
fn netns_ready() -> bool {
    if !is_root() || !on_path("ip") {
        eprintln!("skipped: needs root and iproute2 for a network namespace");
        return false;
    }
    true
}

/// Every one of `tools` on the PATH (says which is not).
fn tools_ready(tools: &[&str]) -> bool {
    for tool in tools {
        if !on_path(tool) {
            eprintln!("skipped: {tool} not installed");
            return false;
        }
    }
    true
}

/// Seconds from the environment variable `var`, or `default`.
fn seconds_from_env(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// An output folder for one lab run, unique to this process.
fn fresh_out_dir(tag: &str) -> std::path::PathBuf {
    let out = std::env::temp_dir().join(format!("ptpscope-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    out
}

/// `scripts/lab-live.sh ARGS... OUT` with this build of ptpscope.
fn lab_live(args: &[&str], out: &Path) -> Command {
    let mut c = Command::new("bash");
    c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lab-live.sh"))
        .args(args)
        .arg(out)
        .env("BIN", env!("CARGO_BIN_EXE_ptpscope"));
    c
}

/// Ctrl-C stops a live capture cleanly with the final summary, after the
/// periodic ones of `--every`.
#[test]
fn live_ctrl_c_and_periodic_summaries() {
    if !live_lab_ready() {
        return;
    }
    in_fresh_netns("sigint", |ns| {
        let child = Command::new("ip")
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_ptpscope")])
            .args(["analyze", "-i", "lo", "--every", "1s"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2600));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let summaries = stdout.matches("Capture points").count();
        assert!(
            summaries >= 3,
            "2 periodic + final, got {summaries}:\n{stdout}"
        );
        assert!(stderr.contains("lo: libpcap received"), "{stderr}");
    });
}

/// Without CAP_NET_RAW the error says what is needed.
#[test]
fn live_permission_error_names_the_capability() {
    if !live_lab_ready() || !on_path("runuser") {
        return;
    }
    in_fresh_netns("perm", |ns| {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "runuser", "-u", "nobody", "--"])
            .arg(env!("CARGO_BIN_EXE_ptpscope"))
            .args(["analyze", "-i", "lo", "--duration", "1"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("Permission denied") && stderr.contains("exec") {
            eprintln!("skipped: nobody cannot run the test binary here: {stderr}");
            return;
        }
        assert!(!out.status.success());
        assert!(stderr.contains("CAP_NET_RAW"), "{stderr}");
        assert!(stderr.contains("setcap"), "{stderr}");
    });
}

/// `--tstamp-type adapter` on an interface without a PTP hardware clock is
/// refused with a reason.
#[test]
fn live_adapter_timestamps_refused_without_a_phc() {
    if !live_lab_ready() {
        return;
    }
    in_fresh_netns("tstamp", |ns| {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_ptpscope")])
            .args([
                "analyze",
                "-i",
                "lo",
                "--tstamp-type",
                "adapter",
                "--duration",
                "1",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("offers no adapter timestamps"), "{stderr}");
        assert!(stderr.contains("ethtool -T lo"), "{stderr}");
    });
}

/// `ptpscope serve -i sl0` in the slave's namespace while ptp4l runs a
/// grandmaster and a slave (free_running: every clock here is the one
/// CLOCK_REALTIME, the truth). For a minute, every `now()` read of the
/// published record must contain CLOCK_REALTIME.
#[test]
fn live_serve_publishes_time_that_contains_the_truth() {
    if !ptp4l_lab_ready() {
        return;
    }
    let _one_lab = SERVE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let secs = seconds_from_env("PTPSCOPE_SERVE_SECS", 60);
    let out = fresh_out_dir("serve");
    // The bound as tight as the data allow: the drift bound measured
    // (PTPSCOPE_SERVE_ARGS="" for the fixed 200 ppm).
    let extra =
        std::env::var("PTPSCOPE_SERVE_ARGS").unwrap_or_else(|_| "--drift-bound measured".into());
    eprintln!("serve lab: serve options {extra:?}");
    let mut lab = LabRun(
        lab_live(&["serve", &secs.to_string()], &out)
            .env("SERVE_ARGS", &extra)
            .spawn()
            .expect("run scripts/lab-live.sh"),
    );
    let clock = out.join("clock");
    let segment = out.join("clockbound").join("shm0");
    let start = std::time::Instant::now();
    let mut reader = None;
    // The same time through the unmodified ClockBound 2.x client.
    let mut cb_client = None;
    let (mut cb_reads, mut cb_contained) = (0u64, 0u64);
    let mut cb_bounds = Vec::new();
    let (mut reads, mut contained, mut errors_after_first) = (0u64, 0u64, 0u64);
    let mut bounds = Vec::new();
    let mut first_error = None;
    while lab.0.try_wait().unwrap().is_none() && start.elapsed().as_secs() < secs + 30 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        if cb_client.is_none() {
            cb_client =
                clock_bound_client::ClockBoundClient::new_with_path(segment.to_str().unwrap()).ok();
        } else if let Some(c) = cb_client.as_mut()
            && let Ok(r) = read_clockbound(c)
            && r.status == ptpscope_clock::Status::Synchronized
            && let Some((half_width, held)) = r.interval
        {
            cb_reads += 1;
            cb_bounds.push(half_width);
            cb_contained += u64::from(held);
        }
        if reader.is_none() {
            reader = ptpscope_clock::ClockReader::open(&clock).ok();
            continue;
        }
        match read_record(reader.as_ref().unwrap()) {
            Ok(Read {
                interval: Some((half_width, held)),
                ..
            }) => {
                reads += 1;
                bounds.push(half_width);
                contained += u64::from(held);
            }
            // serve invalidates the record when it stops.
            Ok(Read {
                status: ptpscope_clock::Status::Unknown,
                ..
            }) => {}
            Ok(Read { status, .. }) if reads > 0 => {
                errors_after_first += 1;
                first_error.get_or_insert(format!("not synchronized ({status})"));
            }
            Err(e) if reads > 0 => {
                errors_after_first += 1;
                first_error.get_or_insert(e.to_string());
            }
            Ok(_) | Err(_) => {}
        }
    }
    let status = lab.0.wait().unwrap();
    let err = std::fs::read_to_string(out.join("serve.err")).unwrap_or_default();
    assert!(status.success(), "lab-live serve failed: {err}");
    bounds.sort_unstable();
    let median = bounds.get(bounds.len() / 2).copied().unwrap_or(-1);
    eprintln!(
        "serve lab, {secs} s: {reads} now() reads, {contained} contained CLOCK_REALTIME, bound median {median} ns (min {}, max {}), {errors_after_first} errors after the first read ({first_error:?})",
        bounds.first().unwrap_or(&-1),
        bounds.last().unwrap_or(&-1)
    );
    assert!(
        reads > secs * 50,
        "too few reads: {reads}; serve said: {err}"
    );
    assert_eq!(contained, reads, "a read missed the truth");
    cb_bounds.sort_unstable();
    eprintln!(
        "clockbound client: {cb_reads} synchronized reads, {cb_contained} contained CLOCK_REALTIME, half-width median {} ns",
        cb_bounds.get(cb_bounds.len() / 2).copied().unwrap_or(-1)
    );
    assert!(cb_reads > secs * 50, "too few ClockBound reads: {cb_reads}");
    assert_eq!(cb_contained, cb_reads, "a ClockBound read missed the truth");
    assert_eq!(errors_after_first, 0, "{first_error:?}");
    let metrics = std::fs::read_to_string(out.join("metrics.txt")).unwrap_or_default();
    for m in [
        "ptpscope_offset_nanoseconds",
        "ptpscope_bound_nanoseconds{kind=\"hard\"}",
        "ptpscope_status 1",
        "ptpscope_messages_total{message_type=\"Sync\"}",
    ] {
        assert!(
            metrics.contains(m),
            "{m} not in the metrics page:\n{metrics}"
        );
    }
    assert!(!clock.exists(), "serve left its record behind");
    if on_path("chronyd") {
        check_chrony(&out);
    } else {
        eprintln!("chrony part skipped: chronyd not installed");
    }
    std::fs::remove_dir_all(&out).ok();
}

/// chronyd -x took serve's SOCK samples: the source is reachable and
/// selected, and chrony's view of the system clock's offset is near the
/// truth (0: one CLOCK_REALTIME) and near what serve published.
fn check_chrony(out: &Path) {
    let sources = std::fs::read_to_string(out.join("chrony-sources.csv")).unwrap_or_default();
    let tracking = std::fs::read_to_string(out.join("chrony-tracking.csv")).unwrap_or_default();
    let log = std::fs::read_to_string(out.join("chronyd.log")).unwrap_or_default();
    eprintln!("chronyc sources: {sources}chronyc tracking: {tracking}");
    // `#,*,PTPS,0,0,377,...`: a reference clock, selected, reach register.
    let row: Vec<&str> = sources
        .lines()
        .find(|l| l.contains(",PTPS,"))
        .unwrap_or_else(|| panic!("no PTPS source: {sources}\n{log}"))
        .split(',')
        .collect();
    assert_eq!(row[0], "#", "{row:?}");
    assert!(row[1] == "*" || row[1] == "+", "not selected: {row:?}");
    let reach = u32::from_str_radix(row[5], 8).unwrap();
    assert!(reach.count_ones() >= 4, "reach {:o}", reach);
    // Tracking field 5: the system clock's correction, s (true minus
    // system time).
    let t: Vec<&str> = tracking.trim().split(',').collect();
    assert_eq!(t[1], "PTPS", "{tracking}");
    let correction_ns = t[4].parse::<f64>().unwrap() * 1e9;
    assert!(
        correction_ns.abs() < 50_000.0,
        "chrony sees the clock {correction_ns} ns off; the truth is 0"
    );
    let err = std::fs::read_to_string(out.join("serve.err")).unwrap_or_default();
    assert!(err.contains(" samples sent, 0 failed"), "{err}");
}

/// ptp4l grandmaster and slave (free-running, software time stamps, one
/// CLOCK_REALTIME: the true offset is 0), captured with tcpdump on the
/// slave's veth and, in a second run, on what enters a Linux bridge
/// between them (scripts/lab-live.sh tap / bridge): every estimate's hard
/// bound contains the truth, and the bridge capture holds each message
/// once (the bridge's own copy is left out).
#[test]
fn lab_estimates_bound_the_true_offset() {
    if !netns_ready() || !tools_ready(&["ptp4l", "tcpdump"]) {
        return;
    }
    for (mode, file) in [("tap", "slave.pcap"), ("bridge", "bridge.pcap")] {
        let out = std::env::temp_dir().join(format!("ptpscope-{mode}-{}", std::process::id()));
        let status = lab_live(&[mode, "12"], &out)
            .status()
            .expect("run scripts/lab-live.sh");
        assert!(status.success(), "lab-live {mode} failed");
        let r = common::ptpscope(&["analyze", "-f", "json", out.join(file).to_str().unwrap()]);
        assert!(
            r.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        let est = v["estimates"].as_array().unwrap();
        assert_eq!(est.len(), 1, "{mode}: {est:?}");
        let e = &est[0];
        assert_eq!(e["port"], "020000.fffe.000002-1", "{mode}");
        assert!(e["samples"].as_u64().unwrap() >= 40, "{mode}: {e}");
        assert_eq!(e["conflicts"], 0, "{mode}");
        for s in e["series"].as_array().unwrap() {
            let (offset, hard) = (
                s["offset_ns"].as_f64().unwrap(),
                s["hard_bound_ns"].as_f64().unwrap(),
            );
            assert!(
                offset.abs() <= hard,
                "{mode}: truth 0 outside {offset} ± {hard}"
            );
        }
        let dups: u64 = v["health"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["duplicates"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(dups, 0, "{mode}: messages captured twice");
        std::fs::remove_dir_all(&out).ok();
    }
}

/// One read of the published time against CLOCK_REALTIME, the truth (every
/// namespace shares it).
#[derive(Debug, Clone, Copy)]
struct Read {
    /// CLOCK_REALTIME just before the read, ns.
    at_ns: i64,
    /// The status the reader gave, in ptpscope's words.
    status: ptpscope_clock::Status,
    /// The interval's half-width (ns) and whether it held CLOCK_REALTIME;
    /// `None` when the reader refused to give one.
    interval: Option<(i64, bool)>,
}

/// Whether `[earliest, latest]` holds some instant of CLOCK_REALTIME
/// between `before` and `after`; says so when not.
fn holds_the_truth(reader: &str, earliest: i64, latest: i64, before: i64, after: i64) -> bool {
    let held = earliest <= after && latest >= before;
    if !held {
        eprintln!("{reader}: not contained: {earliest}..{latest}, realtime {before}..{after}");
    }
    held
}

/// `now()` of ptpscope's own record; a refusal for a status without time
/// (unknown, disrupted) is a read without an interval.
fn read_record(r: &ptpscope_clock::ClockReader) -> Result<Read, ptpscope_clock::Error> {
    let before = ptpscope_clock::realtime_ns();
    let now = r.now();
    let after = ptpscope_clock::realtime_ns();
    let (status, interval) = match now {
        Ok(n) => (
            n.status,
            Some((
                n.bound(),
                holds_the_truth("record", n.earliest, n.latest, before, after),
            )),
        ),
        Err(ptpscope_clock::Error::NotSynchronized(s)) => (s, None),
        Err(e) => return Err(e),
    };
    Ok(Read {
        at_ns: before,
        status,
        interval,
    })
}

/// `now()` of the unmodified ClockBound 2.x client; its free-running is
/// ptpscope's holdover.
fn read_clockbound(c: &mut clock_bound_client::ClockBoundClient) -> Result<Read, String> {
    use clock_bound_client::ClockStatus as Cb;
    use ptpscope_clock::Status;
    let before = ptpscope_clock::realtime_ns();
    let n = c.now().map_err(|e| format!("{e:?}"))?;
    let after = ptpscope_clock::realtime_ns();
    let e = n.earliest.tv_sec() * 1_000_000_000 + n.earliest.tv_nsec();
    let l = n.latest.tv_sec() * 1_000_000_000 + n.latest.tv_nsec();
    Ok(Read {
        at_ns: before,
        status: match n.clock_status {
            Cb::Synchronized => Status::Synchronized,
            Cb::FreeRunning => Status::Holdover,
            Cb::Disrupted => Status::Disrupted,
            Cb::Unknown => Status::Unknown,
        },
        interval: Some((
            (l - e) / 2,
            holds_the_truth("clockbound", e, l, before, after),
        )),
    })
}

/// Held by the tests that run serve against ptp4l for tens of seconds, one
/// at a time: on a 2-core machine two such labs at once starve serve of
/// the CPU (one read in 11,240 missed the truth by 1.9 µs when the serve
/// and failover tests overlapped; see the README).
static SERVE_LAB: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Kills scripts/lab-live.sh (its trap removes the namespaces) if the test
/// ends while it still runs.
struct LabRun(std::process::Child);

impl Drop for LabRun {
    fn drop(&mut self) {
        if self.0.try_wait().is_ok_and(|s| s.is_none()) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
            let _ = self.0.wait();
        }
    }
}

/// The phases of `live_failover_holdover_then_a_new_grandmaster`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Synchronized,
    Holdover,
    Disrupted,
    Resynchronized,
}

const PHASES: [Phase; 4] = [
    Phase::Synchronized,
    Phase::Holdover,
    Phase::Disrupted,
    Phase::Resynchronized,
];

/// What one reader gave in one phase.
#[derive(Debug, Default)]
struct Tally {
    reads: u64,
    /// Reads that gave an interval, and those of them that held the truth.
    intervals: u64,
    contained: u64,
    half_widths: Vec<i64>,
    /// CLOCK_REALTIME of the first and last read, ns.
    first_ns: i64,
    last_ns: i64,
}

impl Tally {
    fn add(&mut self, r: &Read) {
        if self.reads == 0 {
            self.first_ns = r.at_ns;
        }
        self.reads += 1;
        self.last_ns = r.at_ns;
        if let Some((half_width, held)) = r.interval {
            self.intervals += 1;
            self.contained += u64::from(held);
            self.half_widths.push(half_width);
        }
    }

    fn line(&self, reader: &str, phase: Phase) -> String {
        let mut w = self.half_widths.clone();
        w.sort_unstable();
        let us = |x: Option<&i64>| x.map_or("-".to_owned(), |&v| format!("{:.1}", v as f64 / 1e3));
        format!(
            "{reader:<10} {:<15} {:>6} reads, {:>6} intervals, {:>6} contained, half-width median {} µs, max {} µs",
            format!("{phase:?}"),
            self.reads,
            self.intervals,
            self.contained,
            us(w.get(w.len() / 2)),
            us(w.last()),
        )
    }
}

/// The CLOCK_REALTIME ns scripts/lab-live.sh wrote into a marker file.
fn marker(out: &Path, name: &str) -> i64 {
    let text =
        std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("marker {name}: {e}"));
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("marker {name}: {text:?}: {e}"))
}

/// `ptpscope serve -i sl0` while the grandmaster's ptp4l is killed and,
/// after longer than serve's --holdover-after (2 s) and shorter than its
/// --valid (60 s), another grandmaster (another clockIdentity) starts
/// (scripts/lab-live.sh failover; `PTPSCOPE_FAILOVER_SECS` per phase, 10 by
/// default). Read all along through ptpscope's record and the ClockBound
/// 2.x client: synchronized, holdover (its bound growing by the drift
/// bound with age), disrupted by the grandmaster change, synchronized
/// again, in that order, and every interval given contains
/// CLOCK_REALTIME, the truth; the metrics page shows the same statuses and
/// one grandmaster change.
#[test]
fn live_failover_holdover_then_a_new_grandmaster() {
    use ptpscope_clock::Status;
    if !ptp4l_lab_ready() {
        return;
    }
    let _one_lab = SERVE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let secs = seconds_from_env("PTPSCOPE_FAILOVER_SECS", 10);
    let out = fresh_out_dir("failover");
    let mut lab = LabRun(
        lab_live(&["failover", &secs.to_string()], &out)
            .spawn()
            .expect("run scripts/lab-live.sh"),
    );
    let clock = out.join("clock");
    let segment = out.join("clockbound").join("shm0");
    let start = std::time::Instant::now();
    let (mut record, mut cb_client) = (None, None);
    let (mut record_reads, mut cb_reads) = (Vec::new(), Vec::new());
    let mut errors = Vec::new();
    while lab.0.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 3 * secs + 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        match &mut cb_client {
            None => {
                cb_client =
                    clock_bound_client::ClockBoundClient::new_with_path(segment.to_str().unwrap())
                        .ok()
            }
            Some(c) => match read_clockbound(c) {
                Ok(r) => cb_reads.push(r),
                Err(e) => errors.push((ptpscope_clock::realtime_ns(), e)),
            },
        }
        match &record {
            None => record = ptpscope_clock::ClockReader::open(&clock).ok(),
            Some(r) => match read_record(r) {
                Ok(r) => record_reads.push(r),
                Err(e) => errors.push((ptpscope_clock::realtime_ns(), e.to_string())),
            },
        }
    }
    let status = lab.0.wait().unwrap();
    let err = std::fs::read_to_string(out.join("serve.err")).unwrap_or_default();
    assert!(status.success(), "lab-live failover failed: {err}");
    let [synchronized, killed, gm2, stopping] =
        ["synchronized", "gm-killed", "gm2-started", "stopping"].map(|m| marker(&out, m));
    eprintln!(
        "failover lab: {secs} s per phase; grandmaster killed {:.2} s after synchronized, the new one started {:.2} s after that",
        (killed - synchronized) as f64 / 1e9,
        (gm2 - killed) as f64 / 1e9
    );
    let between = |at: i64| (synchronized..stopping).contains(&at);
    let errors: Vec<_> = errors.into_iter().filter(|(at, _)| between(*at)).collect();
    assert!(errors.is_empty(), "reads failed: {errors:?}");

    for (reader, reads) in [("record", &record_reads), ("clockbound", &cb_reads)] {
        let mut tallies: BTreeMap<Phase, Tally> = BTreeMap::new();
        for r in reads.iter() {
            let phase = match r.status {
                Status::Synchronized if r.at_ns < gm2 => Phase::Synchronized,
                Status::Synchronized => Phase::Resynchronized,
                Status::Holdover => Phase::Holdover,
                Status::Disrupted => Phase::Disrupted,
                // Before serve's first estimate and after it stopped.
                Status::Unknown | Status::FreeRunning => {
                    assert!(!between(r.at_ns), "{reader}: {r:?} while serving");
                    continue;
                }
            };
            tallies.entry(phase).or_default().add(r);
        }
        for phase in PHASES {
            eprintln!("{}", tallies.entry(phase).or_default().line(reader, phase));
        }
        for phase in PHASES {
            let t = &tallies[&phase];
            assert!(t.reads >= 20, "{reader}: {phase:?} not observed: {t:?}");
            assert_eq!(
                t.contained, t.intervals,
                "{reader}: {phase:?}: a read missed the truth"
            );
        }
        // In order, each phase over before the next begins.
        for pair in PHASES.windows(2) {
            let (a, b) = (&tallies[&pair[0]], &tallies[&pair[1]]);
            assert!(
                a.last_ns < b.first_ns,
                "{reader}: {:?} after {:?}",
                pair[0],
                pair[1]
            );
        }
        let holdover = &tallies[&Phase::Holdover];
        assert!(
            holdover.first_ns > killed && holdover.first_ns < killed + 3_500_000_000,
            "{reader}: holdover began {} ns after the grandmaster died",
            holdover.first_ns - killed
        );
        let (disrupted, resynchronized) = (
            &tallies[&Phase::Disrupted],
            &tallies[&Phase::Resynchronized],
        );
        assert!(disrupted.first_ns > gm2, "{reader}");
        eprintln!(
            "{reader}: holdover {:.2} s after the grandmaster died, disrupted {:.2} s after the new one started, synchronized again {:.2} s later",
            (holdover.first_ns - killed) as f64 / 1e9,
            (disrupted.first_ns - gm2) as f64 / 1e9,
            (resynchronized.first_ns - disrupted.first_ns) as f64 / 1e9
        );
        // The own record refuses time while disrupted; ClockBound's client
        // hands the interval over with the status.
        if reader == "record" {
            assert_eq!(tallies[&Phase::Disrupted].intervals, 0);
        }
        // In holdover the bound grows by the drift bound (200 ppm) with age.
        let w = &holdover.half_widths;
        assert!(
            w.windows(2).all(|p| p[0] <= p[1]),
            "{reader}: holdover bound shrank"
        );
        let grown = (w[w.len() - 1] - w[0]) as f64;
        let span = (holdover.last_ns - holdover.first_ns) as f64;
        eprintln!(
            "{reader}: in holdover the half-width grew {:.1} µs in {:.2} s: {:.1} ppm",
            grown / 1e3,
            span / 1e9,
            grown / span * 1e6
        );
        assert!(grown >= 195e-6 * span, "{reader}: {grown} ns in {span} ns");
    }

    // The metrics page: holdover, disrupted, synchronized again; one
    // grandmaster change.
    let log = std::fs::read_to_string(out.join("metrics.log")).unwrap_or_default();
    let rows: Vec<Vec<&str>> = log.lines().map(|l| l.split(' ').collect()).collect();
    let mut statuses: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    statuses.dedup();
    eprintln!("metrics: ptpscope_status went {}", statuses.join(" -> "));
    let want = ["1", "2", "4", "1"];
    let mut seen = statuses.iter();
    for s in want {
        assert!(seen.any(|x| *x == s), "status {want:?} not in {statuses:?}");
    }
    let last = rows.last().expect("no metrics scraped");
    eprintln!(
        "metrics at the end: ptpscope_disruptions {}, ptpscope_grandmaster_changes {}",
        last[2], last[3]
    );
    assert_eq!(
        (last[2], last[3]),
        ("1", "1"),
        "disruptions, grandmaster changes: {last:?}"
    );
    assert!(!clock.exists(), "serve left its record behind");
    std::fs::remove_dir_all(&out).ok();
}
