//! `ptpscope analyze --interface IF`: live capture through libpcap (cargo
//! feature `live`).
//!
//! One thread per interface reads packets (immediate mode, nanosecond
//! precision, a kernel BPF filter for PTP) and hands them to the analysis
//! thread over a bounded channel; frames of several interfaces are analyzed
//! in arrival order. Reads are non-blocking (an idle interface is polled
//! every millisecond), so Ctrl-C, `--duration` and `--count` always stop it. Capture stops on Ctrl-C, `--duration` or `--count`,
//! and the final summary is printed as for files, with libpcap's counters
//! (received, dropped by the kernel, dropped by the interface) on stderr.

#[cfg(not(feature = "live"))]
use super::analyze::AnalyzeArgs;

/// The default kernel filter: PTP over Ethernet and UDP, with or without a
/// VLAN tag, plus any `--udp-port`.
pub fn default_filter(extra_udp: &[u16]) -> String {
    let mut udp = String::from("udp port 319 or udp port 320");
    for p in extra_udp {
        udp.push_str(&format!(" or udp port {p}"));
    }
    format!("ether proto 0x88f7 or ({udp}) or (vlan and (ether proto 0x88f7 or {udp}))")
}

/// Parses `10s`, `500ms`, `2m`, `1h` or plain seconds into nanoseconds.
pub fn parse_duration_ns(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return Err(format!("{s}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s}: expected a duration such as 10s or 500ms"))?;
    let ns = v * scale;
    if !(ns > 0.0 && ns < 1e18) {
        return Err(format!("{s}: expected a positive duration"));
    }
    Ok(ns as i64)
}

/// Sets the returned flag on Ctrl-C, SIGTERM or SIGHUP.
pub fn stop_on_signals() -> anyhow::Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || s.store(true, Ordering::Relaxed))
        .map_err(|e| anyhow::anyhow!("installing the Ctrl-C handler: {e}"))?;
    Ok(stop)
}

#[cfg(not(feature = "live"))]
pub fn run(_args: &AnalyzeArgs) -> anyhow::Result<i32> {
    anyhow::bail!(
        "this ptpscope was built without live capture; rebuild with `cargo build --release --features live` (needs libpcap-dev)"
    )
}

#[cfg(feature = "live")]
pub use imp::{Event, LiveOpts, capture, run};

#[cfg(feature = "live")]
mod imp {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    use anyhow::Context;
    use pcap::{Capture, Precision, TimestampType};

    use super::super::analyze::{AnalyzeArgs, Pipeline};
    use super::{default_filter, parse_duration_ns};
    use crate::capture::Frame;
    use crate::capture::write::PcapngWriter;
    use crate::wire::link::LinkType;

    /// Bytes kept per frame: any PTP message over Ethernet, VLANs and IPv6.
    const SNAPLEN: i32 = 2048;

    struct Packet {
        point: usize,
        time_ns: i64,
        data: Vec<u8>,
        orig_len: u32,
    }

    /// What a capture thread reports when it ends.
    struct Ended {
        point: usize,
        received: u32,
        dropped: u32,
        if_dropped: u32,
        error: Option<String>,
    }

    enum Msg {
        Packet(Packet),
        Ended(Ended),
    }

    fn tstamp_type(name: &str) -> anyhow::Result<TimestampType> {
        Ok(match name {
            "host" => TimestampType::Host,
            "host_lowprec" => TimestampType::HostLowPrec,
            "host_hiprec" => TimestampType::HostHighPrec,
            "adapter" => TimestampType::Adapter,
            "adapter_unsynced" => TimestampType::AdapterUnsynced,
            _ => anyhow::bail!(
                "--tstamp-type {name}: expected host, host_lowprec, host_hiprec, adapter or adapter_unsynced"
            ),
        })
    }

    /// libpcap's error, with what to do about the usual ones.
    fn explain(iface: &str, tstamp: Option<&str>, e: &pcap::Error) -> String {
        let msg = e.to_string();
        let lower = msg.to_lowercase();
        if lower.contains("permission") || lower.contains("not permitted") {
            return format!(
                "{iface}: no permission to capture ({msg}). Live capture needs CAP_NET_RAW: run as root, or grant it once with `sudo setcap cap_net_raw,cap_net_admin+ep $(command -v ptpscope)`"
            );
        }
        if lower.contains("no such device") || lower.contains("doesn't exist") {
            return format!("{iface}: no such interface ({msg}); `ip link` lists them");
        }
        if let Some(t) = tstamp
            && (lower.contains("time stamp") || lower.contains("tstamp") || msg.is_empty())
        {
            return format!(
                "{iface}: cannot capture with --tstamp-type {t} ({msg}); the interface does not offer it. `tcpdump -J -i {iface}` lists what it offers; `host` always works"
            );
        }
        format!("{iface}: {msg}")
    }

    fn capture_thread(
        iface: String,
        point: usize,
        args: CaptureArgs,
        stop: Arc<AtomicBool>,
        tx: mpsc::SyncSender<Msg>,
        ready: mpsc::Sender<Result<i32, String>>,
    ) {
        let fail = |e: String| Ended {
            point,
            received: 0,
            dropped: 0,
            if_dropped: 0,
            error: Some(e),
        };
        let mut inactive = match Capture::from_device(iface.as_str()) {
            Ok(c) => c
                .immediate_mode(true)
                .precision(Precision::Nano)
                // In immediate mode libpcap's ring has one slot of snaplen
                // per frame: a small snaplen keeps thousands of frames in it.
                .snaplen(SNAPLEN)
                .buffer_size(32 << 20)
                .timeout(100),
            Err(e) => {
                let _ = ready.send(Err(explain(&iface, None, &e)));
                let _ = tx.send(Msg::Ended(fail(e.to_string())));
                return;
            }
        };
        if let Some(t) = args.tstamp {
            inactive = inactive.tstamp_type(t);
        }
        let mut cap = match inactive.open() {
            Ok(c) => c,
            Err(e) => {
                let m = explain(&iface, args.tstamp_name.as_deref(), &e);
                let _ = ready.send(Err(m.clone()));
                let _ = tx.send(Msg::Ended(fail(m)));
                return;
            }
        };
        if let Err(e) = cap.filter(&args.filter, true) {
            let m = format!("{iface}: filter {:?}: {e}", args.filter);
            let _ = ready.send(Err(m.clone()));
            let _ = tx.send(Msg::Ended(fail(m)));
            return;
        }
        // Non-blocking reads: libpcap's read timeout is not honoured in
        // immediate mode on Linux, and a quiet interface must still stop.
        let mut cap = match cap.setnonblock() {
            Ok(c) => c,
            Err(e) => {
                let m = format!("{iface}: {e}");
                let _ = ready.send(Err(m.clone()));
                let _ = tx.send(Msg::Ended(fail(m)));
                return;
            }
        };
        let _ = ready.send(Ok(cap.get_datalink().0));
        let mut error = None;
        while !stop.load(Ordering::Relaxed) {
            match cap.next_packet() {
                Ok(p) => {
                    let ts = p.header.ts;
                    // Precision::Nano: tv_usec holds nanoseconds.
                    // time_t and suseconds_t differ between platforms.
                    #[allow(clippy::useless_conversion)]
                    let time_ns = i64::from(ts.tv_sec) * 1_000_000_000 + i64::from(ts.tv_usec);
                    let pkt = Packet {
                        point,
                        time_ns,
                        data: p.data.to_vec(),
                        orig_len: p.header.len,
                    };
                    if tx.send(Msg::Packet(pkt)).is_err() {
                        break;
                    }
                }
                Err(pcap::Error::TimeoutExpired) => thread::sleep(Duration::from_millis(1)),
                Err(e) => {
                    error = Some(format!("{iface}: {e}"));
                    break;
                }
            }
        }
        let (received, dropped, if_dropped) = cap
            .stats()
            .map(|s| (s.received, s.dropped, s.if_dropped))
            .unwrap_or_default();
        let _ = tx.send(Msg::Ended(Ended {
            point,
            received,
            dropped,
            if_dropped,
            error,
        }));
    }

    /// libpcap silently falls back to host timestamps when a NIC does not
    /// offer the adapter types; on Linux those need a PTP hardware clock,
    /// which sysfs shows under the device.
    fn check_adapter_timestamps(iface: &str, tstamp: &str) -> anyhow::Result<()> {
        if !tstamp.starts_with("adapter") || !cfg!(target_os = "linux") {
            return Ok(());
        }
        let phc = std::path::Path::new("/sys/class/net")
            .join(iface)
            .join("device/ptp");
        if !phc.is_dir() {
            anyhow::bail!(
                "{iface}: offers no {tstamp} timestamps (no PTP hardware clock at {}); `ethtool -T {iface}` shows what it offers; use --tstamp-type host",
                phc.display()
            );
        }
        Ok(())
    }

    #[derive(Clone)]
    struct CaptureArgs {
        filter: String,
        tstamp: Option<TimestampType>,
        tstamp_name: Option<String>,
    }

    /// What to capture and when to stop.
    pub struct LiveOpts {
        pub interfaces: Vec<String>,
        pub filter: String,
        pub tstamp_type: Option<String>,
        pub duration: Option<Duration>,
        pub count: Option<u64>,
        pub write: Option<std::path::PathBuf>,
    }

    impl LiveOpts {
        pub fn new(
            live: &super::super::analyze::LiveArgs,
            udp_port: &[u16],
        ) -> anyhow::Result<Self> {
            let duration = match live.duration {
                Some(d) if !(d > 0.0 && d < 1e9) => {
                    anyhow::bail!("--duration {d}: expected seconds")
                }
                d => d.map(Duration::from_secs_f64),
            };
            Ok(Self {
                interfaces: live.interface.clone(),
                filter: live
                    .filter
                    .clone()
                    .unwrap_or_else(|| default_filter(udp_port)),
                tstamp_type: live.tstamp_type.clone(),
                duration,
                count: live.count,
                write: live.write.clone(),
            })
        }
    }

    /// What [`capture`] hands its caller.
    pub enum Event<'a> {
        /// A frame and the name of its interface.
        Frame(&'a Frame<'a>, &'a str),
        /// No frame for 50 ms, or between frames: time to look at clocks.
        Tick,
    }

    /// Captures on every interface until `stop` is set, `--duration` or
    /// `--count`, handing frames (in arrival order) and ticks to `on`.
    /// Returns 1 when a capture failed, else 0; libpcap's counters go to
    /// stderr.
    pub fn capture(
        opts: &LiveOpts,
        stop: Arc<AtomicBool>,
        on: &mut dyn FnMut(Event<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<i32> {
        let tstamp = opts.tstamp_type.as_deref().map(tstamp_type).transpose()?;
        let cargs = CaptureArgs {
            filter: opts.filter.clone(),
            tstamp,
            tstamp_name: opts.tstamp_type.clone(),
        };
        let names = &opts.interfaces;
        if let Some(t) = &opts.tstamp_type {
            for n in names {
                check_adapter_timestamps(n, t)?;
            }
        }
        let (tx, rx) = mpsc::sync_channel::<Msg>(1 << 16);
        let mut handles = Vec::new();
        let mut links = Vec::new();
        for (point, iface) in names.iter().enumerate() {
            let (rtx, rrx) = mpsc::channel();
            let (iface, a, s, t) = (iface.clone(), cargs.clone(), stop.clone(), tx.clone());
            handles.push(thread::spawn(move || {
                capture_thread(iface, point, a, s, t, rtx)
            }));
            match rrx.recv() {
                Ok(Ok(link)) => links.push(link),
                Ok(Err(e)) => {
                    stop.store(true, Ordering::Relaxed);
                    drop(rx);
                    for h in handles {
                        let _ = h.join();
                    }
                    anyhow::bail!(e);
                }
                Err(_) => anyhow::bail!("capture thread for {} ended", names[point]),
            }
        }
        drop(tx);
        let mut writer = match &opts.write {
            Some(path) => {
                let mut w = PcapngWriter::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                for (n, l) in names.iter().zip(&links) {
                    w.add_interface(n, *l, SNAPLEN as u32)?;
                }
                Some(w)
            }
            None => None,
        };
        let link_types: Vec<Option<LinkType>> =
            links.iter().map(|&l| LinkType::from_code(l)).collect();
        eprintln!(
            "ptpscope: capturing on {} (filter: {}); Ctrl-C to stop",
            names.join(", "),
            cargs.filter
        );
        let start = Instant::now();
        let mut frames = 0u64;
        let mut ended = Vec::new();
        let mut status = 0;
        let name_of = |i: usize| names.get(i).cloned().unwrap_or_default();
        while ended.len() < names.len() {
            if opts.duration.is_some_and(|d| start.elapsed() >= d)
                || opts.count.is_some_and(|c| frames >= c)
            {
                stop.store(true, Ordering::Relaxed);
            }
            on(Event::Tick)?;
            let msg = match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            match msg {
                Msg::Packet(p) => {
                    if stop.load(Ordering::Relaxed) && opts.count.is_some_and(|c| frames >= c) {
                        continue;
                    }
                    frames += 1;
                    if let Some(w) = &mut writer {
                        w.write_packet(p.point as u32, p.time_ns, &p.data, p.orig_len)?;
                    }
                    let Some(Some(link)) = link_types.get(p.point) else {
                        continue;
                    };
                    let frame = Frame {
                        point: p.point,
                        number: frames,
                        time_ns: Some(p.time_ns),
                        link: *link,
                        data: &p.data,
                        orig_len: p.orig_len,
                        file_offset: 0,
                    };
                    on(Event::Frame(&frame, &names[p.point]))?;
                }
                Msg::Ended(e) => {
                    if let Some(err) = &e.error {
                        eprintln!("ptpscope: error: {err}");
                        status = 1;
                        stop.store(true, Ordering::Relaxed);
                    }
                    ended.push(e);
                }
            }
        }
        for h in handles {
            let _ = h.join();
        }
        if let Some(w) = &mut writer {
            w.flush()?;
        }
        for (i, n) in names.iter().enumerate() {
            if link_types.get(i).is_some_and(Option::is_none) {
                eprintln!(
                    "ptpscope: {n}: link type {} is not supported; frames were counted only",
                    links[i]
                );
            }
        }
        ended.sort_by_key(|e| e.point);
        for e in &ended {
            eprintln!(
                "ptpscope: {}: libpcap received {}, dropped by kernel {}, dropped by interface {}",
                name_of(e.point),
                e.received,
                e.dropped,
                e.if_dropped
            );
        }
        Ok(status)
    }

    pub fn run(args: &AnalyzeArgs) -> anyhow::Result<i32> {
        let every = args
            .live
            .every
            .as_deref()
            .map(parse_duration_ns)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let opts = LiveOpts::new(&args.live, &args.udp_port)?;
        let mut pipeline = Pipeline::new(args)?;
        pipeline.analyzer.set_point_count(opts.interfaces.len());
        let stop = super::stop_on_signals()?;
        let names = opts.interfaces.clone();
        let name_of = |i: usize| names.get(i).cloned().unwrap_or_default();
        let start = Instant::now();
        let mut next_report = every.map(|e| start + Duration::from_nanos(e as u64));
        let status = capture(&opts, stop, &mut |ev| {
            match ev {
                Event::Frame(f, name) => {
                    pipeline.frame(f, name);
                }
                Event::Tick => {
                    if let Some(at) = next_report
                        && Instant::now() >= at
                    {
                        pipeline.print(args.format, &name_of)?;
                        next_report = Some(at + Duration::from_nanos(every.unwrap_or(1) as u64));
                    }
                }
            }
            Ok(())
        })?;
        pipeline.analyzer.finish();
        eprintln!("ptpscope: {}", pipeline.decode.line());
        let inputs = names.iter().map(|n| format!("live {n}")).collect();
        pipeline.finish(args, &name_of, inputs)?;
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("10s"), Ok(10_000_000_000));
        assert_eq!(parse_duration_ns("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration_ns("2m"), Ok(120_000_000_000));
        assert_eq!(parse_duration_ns("1.5"), Ok(1_500_000_000));
        assert!(parse_duration_ns("10 parsecs").is_err());
        assert!(parse_duration_ns("-1s").is_err());
        assert!(parse_duration_ns("").is_err());
    }

    #[test]
    fn default_filter_covers_vlan_and_extra_ports() {
        let f = default_filter(&[1319]);
        assert!(
            f.starts_with("ether proto 0x88f7 or (udp port 319 or udp port 320 or udp port 1319)")
        );
        assert!(f.contains("vlan and (ether proto 0x88f7 or udp port 319"));
    }
}
