//! Live capture through libpcap (cargo feature `live`).
//!
//! One thread per interface reads packets (immediate mode, nanosecond
//! precision, a kernel BPF filter for PTP) and hands them over a bounded
//! channel; frames of several interfaces are handed on in arrival order.
//! Reads are non-blocking (an idle interface is polled every millisecond),
//! so a stop flag, a duration or a frame count always ends the capture.
//! libpcap's counters (received, dropped by the kernel, dropped by the
//! interface) go to stderr at the end.

/// The default kernel filter: PTP over Ethernet and UDP, with or without a
/// VLAN tag, plus any `--udp-port`.
pub fn default_filter(extra_udp: &[u16]) -> String {
    let mut udp = String::from("udp port 319 or udp port 320");
    for p in extra_udp {
        udp.push_str(&format!(" or udp port {p}"));
    }
    // Besides PTP itself: IP fragments of UDP (a later fragment has no
    // port to match), GRE (and ERSPAN in it), VXLAN, Geneve and MPLS, which
    // the decoder peels. `vlan` moves the offsets of what follows it in a
    // libpcap filter, so it comes last.
    format!(
        "ether proto 0x88f7 or ({udp}) or (ip proto 17 and ip[6:2] & 0x1fff != 0) or ip6 proto 44 \
         or ip proto 47 or ip6 proto 47 or udp port 4789 or udp port 8472 or udp port 6081 \
         or ether proto 0x8847 or ether proto 0x8848 \
         or (vlan and (ether proto 0x88f7 or {udp}))"
    )
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

#[cfg(feature = "live")]
pub use imp::{Event, LiveOpts, capture};

#[cfg(feature = "live")]
mod imp {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    use anyhow::Context;
    use pcap::{Capture, Precision, TimestampType};

    use crate::capture::Frame;
    use crate::capture::write::PcapngWriter;
    use crate::wire::link::LinkType;

    /// Bytes kept per frame: any PTP message over Ethernet, VLANs and IPv6.
    const SNAPLEN: i32 = 2048;

    struct Packet {
        point: usize,
        time_ns: i64,
        resolution_ns: u32,
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
        // What libpcap delivers: nanoseconds, as asked (Linux's libpcap has
        // honoured PCAP_TSTAMP_PRECISION_NANO since 1.5; the pcap crate does
        // not expose pcap_get_tstamp_precision to check).
        let resolution_ns: u32 = 1;
        let _ = ready.send(Ok(cap.get_datalink().0));
        let mut error = None;
        while !stop.load(Ordering::Relaxed) {
            match cap.next_packet() {
                Ok(p) => {
                    let ts = p.header.ts;
                    // With nanosecond precision tv_usec holds nanoseconds.
                    // time_t and suseconds_t differ between platforms.
                    #[allow(clippy::useless_conversion)]
                    let time_ns = i64::from(ts.tv_sec) * 1_000_000_000
                        + i64::from(ts.tv_usec) * i64::from(resolution_ns);
                    let pkt = Packet {
                        point,
                        time_ns,
                        resolution_ns,
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
                        resolution_ns: p.resolution_ns,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_filter_covers_vlan_and_extra_ports() {
        let f = default_filter(&[1319]);
        assert!(
            f.starts_with("ether proto 0x88f7 or (udp port 319 or udp port 320 or udp port 1319)")
        );
        assert!(f.contains("vlan and (ether proto 0x88f7 or udp port 319"));
        assert!(f.contains("ip proto 47") && f.contains("udp port 4789"));
        // libpcap compiles it, when tcpdump is here to ask.
        if let Ok(out) = std::process::Command::new("tcpdump")
            .args(["-y", "EN10MB", "-i", "lo", "-d", &f])
            .output()
        {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("syntax error"), "{f}: {err}");
        }
    }
}
