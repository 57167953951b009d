//! The daemon behind `ptpscope serve`: capture (live, or a replayed file)
//! → the analysis pipeline → [`Publisher`] → the shared-memory clock
//! record, with Prometheus metrics. It runs until a signal (SIGINT,
//! SIGTERM, SIGHUP), its duration or the end of the replay; then dropping
//! the writer invalidates and removes the record.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ptpscope_clock::{ClockBoundWriter, ClockWriter, Snapshot, Status, monotonic_ns, realtime_ns};

use super::chrony::{ChronySock, Leap};
use super::metrics::{self, Metrics};
use super::{Config, Publisher, Timescale, Unpublishable};
use crate::capture::{self, Frame, Points};
use crate::estimate::Estimate;
use crate::pipeline::{self, Pipeline};
use crate::report::Summary;

/// Where the daemon's frames come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Live capture on these interfaces (feature `live`).
    Live(Vec<String>),
    /// A capture file, at its recorded speed or (`fast`) as fast as it
    /// reads; its estimates are published as if made now.
    Replay { path: PathBuf, fast: bool },
}

/// The daemon's settings, validated.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    pub source: Source,
    /// The shared-memory record to publish.
    pub clock: PathBuf,
    /// Prometheus metrics at this loopback address.
    pub metrics: Option<SocketAddr>,
    /// chronyd's SOCK reference-clock socket, to send each estimate to.
    pub chrony_sock: Option<PathBuf>,
    /// AWS ClockBound's shared-memory segment (layout 2) to write as well.
    pub clockbound: Option<PathBuf>,
    pub publisher: Config,
    pub pipeline: pipeline::Config,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// A line per published estimate on stderr.
    pub verbose: bool,
}

/// Everything one published estimate goes through.
struct Server {
    pipeline: Pipeline,
    publisher: Publisher,
    writer: ClockWriter,
    metrics: Metrics,
    chrony: Option<ChronySock>,
    clockbound: Option<ClockBoundWriter>,
    names: Vec<String>,
    next_summary: Instant,
    verbose: bool,
    published: u64,
    /// The reason for not publishing last said on stderr.
    said: Option<Unpublishable>,
}

fn unpublishable_text(why: Unpublishable) -> &'static str {
    match why {
        Unpublishable::TimescaleUnknown => {
            "no Announce from the grandmaster yet, so its timescale is unknown"
        }
        Unpublishable::NoValidUtcOffset => {
            "the grandmaster announces the PTP timescale (TAI) without a valid currentUtcOffset, so its time cannot be put on UTC"
        }
        Unpublishable::NotFinite => "the estimate is not a finite number",
    }
}

impl Server {
    fn publish(&mut self, s: &Snapshot, e: Option<&Estimate>) {
        self.writer.publish(s);
        if let Some(cb) = &mut self.clockbound {
            // Its clients read CLOCK_REALTIME ± bound: the bound written
            // covers |offset| as well, least about the causal interval's
            // middle.
            cb.publish_snapshot(&self.publisher.centred(s));
        }
        self.published += 1;
        if let Some(e) = e {
            self.metrics.estimate(e);
            // chrony takes new estimates only, while synchronized: a
            // holdover record repeats an old one.
            // Several Delay exchanges paired with one Sync give estimates of
            // one instant: chrony takes one sample per instant.
            if let Some(c) = &mut self.chrony
                && s.status == Status::Synchronized
                && c.last_sent_ns() != Some(s.real_ns)
                && let Some(err) = c.send(s.real_ns, s.offset_ns, s.leap)
            {
                eprintln!(
                    "ptpscope: chrony socket {}: {err} (is chronyd running with `refclock SOCK {}`?)",
                    c.path().display(),
                    c.path().display()
                );
            }
        }
        self.metrics
            .status(s.status, s.disruptions, self.publisher.grandmaster_changes);
        if self.verbose {
            eprintln!(
                "ptpscope: {} offset {} ns, bound {} ns, freq {:.1} ppb",
                s.status, s.offset_ns, s.bound_ns, s.freq_ppb
            );
        }
    }

    /// One frame; `shift` puts capture times on CLOCK_REALTIME.
    fn frame(&mut self, f: &Frame<'_>, points: &mut Points, shift: i64) {
        let e = self.pipeline.frame(f, points);
        if points.len() > self.names.len() {
            self.names = points.names().to_vec();
        }
        let Some(e) = e else {
            return;
        };
        let Some((key, track)) = self.pipeline.estimator.last_track() else {
            return;
        };
        let (master, conflicts) = (key.master_port_identity, track.conflicts());
        // The timescale the domain's grandmaster announces.
        let domain = self
            .pipeline
            .analyzer
            .inventory
            .domains
            .get(&(key.major_sdo_id, key.domain_number));
        let dataset = domain
            .and_then(|d| d.current.and_then(|gm| d.grandmasters.get(&gm)))
            .map(|g| &g.dataset);
        // leap61/leap59 mean something on the PTP timescale only (§8.2.4).
        self.publisher.leap = match dataset {
            Some(d) if d.ptp_timescale && d.leap61 => Leap::Insert,
            Some(d) if d.ptp_timescale && d.leap59 => Leap::Delete,
            _ => Leap::None,
        };
        self.publisher.timescale = match dataset {
            None => Timescale::Unknown,
            Some(d) if !d.ptp_timescale => Timescale::Arbitrary,
            Some(d) => Timescale::Ptp {
                current_utc_offset: d.current_utc_offset_valid.then_some(d.current_utc_offset),
            },
        };
        let now = f.time_ns.unwrap_or(e.time_ns).saturating_add(shift);
        let (real, mono) = paired_clocks();
        let mono = mono - (real - now).max(0);
        let published = self
            .publisher
            .estimate(&e, master, conflicts, now, mono, shift);
        if let Some(s) = published {
            self.publish(&s, Some(&e));
        } else if let Some(why) = self.publisher.unpublishable
            && self.said != Some(why)
        {
            self.said = Some(why);
            eprintln!(
                "ptpscope: estimates not published: {}",
                unpublishable_text(why)
            );
        }
    }

    /// Holdover and the periodic metrics; `now` on CLOCK_REALTIME.
    fn tick(&mut self, now: i64) {
        if let Some(s) = self.publisher.tick(now) {
            self.publish(&s, None);
        }
        if Instant::now() >= self.next_summary {
            self.next_summary = Instant::now() + Duration::from_secs(1);
            let names = &self.names;
            let summary = Summary::new(&self.pipeline.analyzer, &|i| {
                names.get(i).cloned().unwrap_or_default()
            });
            self.metrics.summary(&summary);
        }
    }
}

/// CLOCK_REALTIME and CLOCK_MONOTONIC at one instant: the monotonic read
/// between two real-time ones, of three tries the one whose real-time
/// reads are closest, paired with their midpoint. Read one after the
/// other, a preemption between the two reads would shift every reader's
/// interval by as long.
fn paired_clocks() -> (i64, i64) {
    let mut best = (i64::MAX, realtime_ns(), monotonic_ns());
    for _ in 0..3 {
        let before = realtime_ns();
        let mono = monotonic_ns();
        let after = realtime_ns();
        let gap = after - before;
        // A negative gap: CLOCK_REALTIME stepped back between the reads.
        if (0..best.0).contains(&gap) {
            best = (gap, before + gap / 2, mono);
        }
    }
    (best.1, best.2)
}

/// Runs the daemon until `stop` (or its duration, or the replay's end);
/// returns the process status: 1 when capture failed.
pub fn run(config: &DaemonConfig, stop: Arc<AtomicBool>) -> anyhow::Result<i32> {
    if let Some(addr) = config.metrics {
        metrics::loopback_only(addr)?;
    }
    let pipeline = Pipeline::new(&config.pipeline);
    let writer = ClockWriter::create(&config.clock).map_err(|e| anyhow::anyhow!("--clock: {e}"))?;
    let chrony = match &config.chrony_sock {
        Some(path) => {
            Some(ChronySock::new(path).map_err(|e| anyhow::anyhow!("--chrony-sock: {e}"))?)
        }
        None => None,
    };
    let clockbound = match &config.clockbound {
        Some(path) => Some(
            ClockBoundWriter::create(path)
                .map_err(|e| anyhow::anyhow!("--clockbound {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let metrics = Metrics::new();
    if let Some(addr) = config.metrics {
        let at = metrics::serve(addr, metrics.registry())?;
        eprintln!("ptpscope: metrics at http://{at}/metrics");
    }
    eprintln!(
        "ptpscope: publishing the clock at {}",
        config.clock.display()
    );
    let mut server = Server {
        pipeline,
        publisher: Publisher::new(config.publisher),
        writer,
        metrics,
        chrony,
        clockbound,
        names: Vec::new(),
        next_summary: Instant::now(),
        verbose: config.verbose,
        published: 0,
        said: None,
    };
    let start = Instant::now();
    let status = match &config.source {
        Source::Replay { path, fast } => {
            replay(&mut server, path, *fast, &stop, config.duration, start)?
        }
        Source::Live(interfaces) => live(
            &mut server,
            interfaces,
            &config.pipeline.udp_ports,
            stop,
            config.duration,
        )?,
    };
    eprintln!(
        "ptpscope: {} records published, {} disruptions; the record is removed",
        server.published, server.publisher.disruptions
    );
    if let Some(c) = &server.chrony {
        eprintln!(
            "ptpscope: chrony socket {}: {} samples sent, {} failed",
            c.path().display(),
            c.sent,
            c.failed
        );
    }
    // Dropping the writer invalidates and removes the record.
    drop(server);
    Ok(status)
}

fn replay(
    server: &mut Server,
    path: &Path,
    fast: bool,
    stop: &AtomicBool,
    duration: Option<Duration>,
    start: Instant,
) -> anyhow::Result<i32> {
    let mut points = Points::default();
    let real_start = realtime_ns();
    let mut first: Option<i64> = None;
    let result = capture::read_file(path, None, &mut points, |f, pts| {
        if stop.load(Ordering::Relaxed) || duration.is_some_and(|d| start.elapsed() >= d) {
            stop.store(true, Ordering::Relaxed);
            return;
        }
        if pts.len() > server.names.len() {
            server.names = pts.names().to_vec();
            server.pipeline.analyzer.set_point_count(pts.len());
        }
        let Some(t) = f.time_ns else {
            server.pipeline.frame(f, pts);
            return;
        };
        let t0 = *first.get_or_insert_with(|| {
            eprintln!(
                "ptpscope: replay: capture time {t} ns is published as CLOCK_REALTIME {real_start} ns"
            );
            t
        });
        let shift = real_start - t0;
        if !fast {
            // At the recorded speed, ticking while waiting.
            loop {
                let ahead = t + shift - realtime_ns();
                if ahead <= 0 || stop.load(Ordering::Relaxed) {
                    break;
                }
                server.tick(realtime_ns());
                std::thread::sleep(Duration::from_nanos(ahead.min(50_000_000) as u64));
            }
        }
        server.frame(f, pts, shift);
        server.tick(t + shift);
    });
    if let Err(e) = result {
        eprintln!("ptpscope: error: {e}");
        return Ok(1);
    }
    Ok(0)
}

#[cfg(feature = "live")]
fn live(
    server: &mut Server,
    interfaces: &[String],
    udp_ports: &[u16],
    stop: Arc<AtomicBool>,
    duration: Option<Duration>,
) -> anyhow::Result<i32> {
    use crate::capture::live::{Event, LiveOpts, capture, default_filter};
    let opts = LiveOpts {
        interfaces: interfaces.to_vec(),
        filter: default_filter(udp_ports),
        tstamp_type: None,
        duration,
        count: None,
        write: None,
    };
    server.names = opts.interfaces.clone();
    server
        .pipeline
        .analyzer
        .set_point_count(opts.interfaces.len());
    let mut points = Points::default();
    for name in interfaces {
        points.intern(name);
    }
    capture(&opts, stop, &mut |ev| {
        match ev {
            Event::Frame(f, _) => {
                server.frame(f, &mut points, 0);
                server.tick(realtime_ns());
            }
            Event::Tick => server.tick(realtime_ns()),
        }
        Ok(())
    })
}

#[cfg(not(feature = "live"))]
fn live(
    _server: &mut Server,
    _interfaces: &[String],
    _udp_ports: &[u16],
    _stop: Arc<AtomicBool>,
    _duration: Option<Duration>,
) -> anyhow::Result<i32> {
    anyhow::bail!(
        "this ptpscope was built without live capture; rebuild with `cargo build --release --features live` (needs libpcap-dev), or use --replay FILE"
    )
}
