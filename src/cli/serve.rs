//! `ptpscope serve` (capture -> analysis -> estimate -> published clock and
//! metrics) and `ptpscope time` (read the published clock).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use ptpscope_clock::{ClockReader, ClockWriter, DEFAULT_PATH, Snapshot, monotonic_ns, realtime_ns};

use super::analyze::{AnalyzeArgs, Pipeline};
use crate::capture::{self, Frame, Points};
use crate::estimate::Estimate;
use crate::report::Summary;
use crate::serve::metrics::{self, Metrics};
use crate::serve::{Config, Publisher};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Capture live on this interface (repeatable; feature `live`; needs
    /// CAP_NET_RAW).
    #[arg(long, short, value_name = "IF", conflicts_with = "replay")]
    pub interface: Vec<String>,
    /// Replay a capture file instead, at its recorded speed (for tests and
    /// demonstrations: its estimates are published as if made now).
    #[arg(long, value_name = "FILE", required_unless_present = "interface")]
    pub replay: Option<PathBuf>,
    /// Replay as fast as possible.
    #[arg(long, requires = "replay")]
    pub fast: bool,
    /// The shared-memory record to publish.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_PATH)]
    pub clock: PathBuf,
    /// Serve Prometheus metrics at this loopback address (e.g. 127.0.0.1:9477).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Bound on the frequency difference of this host's clock and the
    /// grandmaster's, ppm: bounds grow by it with age.
    #[arg(long, default_value_t = 200.0)]
    pub max_drift_ppm: f64,
    /// Seconds after its estimate that readers still accept a record.
    #[arg(long, default_value_t = 60.0)]
    pub valid: f64,
    /// Seconds without an estimate before holdover.
    #[arg(long, default_value_t = 2.0)]
    pub holdover_after: f64,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// A line per published estimate on stderr.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct TimeArgs {
    /// The shared-memory record to read.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_PATH)]
    pub clock: PathBuf,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

fn seconds(what: &str, v: f64) -> anyhow::Result<i64> {
    if !(v > 0.0 && v < 1e9) {
        anyhow::bail!("--{what} {v}: expected a positive number of seconds");
    }
    Ok((v * 1e9) as i64)
}

/// Everything one published estimate goes through.
struct Server {
    pipeline: Pipeline,
    publisher: Publisher,
    writer: ClockWriter,
    metrics: Metrics,
    names: Vec<String>,
    next_summary: Instant,
    verbose: bool,
    published: u64,
}

impl Server {
    fn publish(&mut self, s: &Snapshot, e: Option<&Estimate>) {
        self.writer.publish(s);
        self.published += 1;
        if let Some(e) = e {
            self.metrics.estimate(e);
        }
        self.metrics.status(s.status, s.disruptions);
        if self.verbose {
            eprintln!(
                "ptpscope: {} offset {} ns, bound {} ns, freq {:.1} ppb",
                s.status, s.offset_ns, s.bound_ns, s.freq_ppb
            );
        }
    }

    /// One frame; `shift` puts capture times on CLOCK_REALTIME.
    fn frame(&mut self, f: &Frame<'_>, name: &str, shift: i64) {
        let Some(e) = self.pipeline.frame(f, name) else {
            return;
        };
        let Some((key, track)) = self.pipeline.estimator.last_track() else {
            return;
        };
        let (master, conflicts) = (key.4, track.conflicts);
        let now = f.time_ns.unwrap_or(e.time_ns).saturating_add(shift);
        let mono = monotonic_ns() - (realtime_ns() - now).max(0);
        if let Some(s) = self
            .publisher
            .estimate(&e, master, conflicts, now, mono, shift)
        {
            self.publish(&s, Some(&e));
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

pub fn run(args: &ServeArgs) -> anyhow::Result<i32> {
    let config = Config {
        max_drift_ppm: args.max_drift_ppm,
        valid_ns: seconds("valid", args.valid)? as u64,
        holdover_after_ns: seconds("holdover-after", args.holdover_after)?,
        ..Config::default()
    };
    let duration = args
        .duration
        .map(|d| seconds("duration", d))
        .transpose()?
        .map(|ns| Duration::from_nanos(ns as u64));
    if let Some(addr) = args.metrics {
        metrics::loopback_only(addr)?;
    }
    // Options are checked (the drift bound by the pipeline) before the
    // record is created.
    let pipeline = Pipeline::new(&AnalyzeArgs::for_serve(args.max_drift_ppm))?;
    let writer = ClockWriter::create(&args.clock).map_err(|e| anyhow::anyhow!("--clock: {e}"))?;
    let metrics = Metrics::new();
    if let Some(addr) = args.metrics {
        let at = metrics::serve(addr, metrics.registry())?;
        eprintln!("ptpscope: metrics at http://{at}/metrics");
    }
    eprintln!("ptpscope: publishing the clock at {}", args.clock.display());
    let mut server = Server {
        pipeline,
        publisher: Publisher::new(config),
        writer,
        metrics,
        names: Vec::new(),
        next_summary: Instant::now(),
        verbose: args.verbose,
        published: 0,
    };
    let stop = super::live::stop_on_signals()?;
    let start = Instant::now();
    let status = match &args.replay {
        Some(path) => replay(&mut server, path, args.fast, &stop, duration, start)?,
        None => live(&mut server, args, stop, duration)?,
    };
    eprintln!(
        "ptpscope: {} records published, {} disruptions; the record is removed",
        server.published, server.publisher.disruptions
    );
    // Dropping the writer invalidates and removes the record.
    drop(server);
    Ok(status)
}

fn replay(
    server: &mut Server,
    path: &std::path::Path,
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
            server.names = (0..pts.len()).map(|i| pts.name(i).to_owned()).collect();
            server.pipeline.analyzer.set_point_count(pts.len());
        }
        let Some(t) = f.time_ns else {
            server.pipeline.frame(f, pts.name(f.point));
            return;
        };
        let t0 = *first.get_or_insert(t);
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
        server.frame(f, pts.name(f.point), shift);
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
    args: &ServeArgs,
    stop: Arc<AtomicBool>,
    duration: Option<Duration>,
) -> anyhow::Result<i32> {
    use super::live::{Event, LiveOpts, capture, default_filter};
    let opts = LiveOpts {
        interfaces: args.interface.clone(),
        filter: default_filter(&[]),
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
    capture(&opts, stop, &mut |ev| {
        match ev {
            Event::Frame(f, name) => {
                server.frame(f, name, 0);
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
    _args: &ServeArgs,
    _stop: Arc<AtomicBool>,
    _duration: Option<Duration>,
) -> anyhow::Result<i32> {
    anyhow::bail!(
        "this ptpscope was built without live capture; rebuild with `cargo build --release --features live` (needs libpcap-dev), or use --replay FILE"
    )
}

/// `ptpscope time`.
pub fn time(args: &TimeArgs) -> anyhow::Result<i32> {
    let reader = ClockReader::open(&args.clock).with_context(|| "is ptpscope serve running?")?;
    let snap = reader.snapshot();
    let now = reader.now();
    let local = realtime_ns();
    if args.json {
        let v = serde_json::json!({
            "clock": args.clock.display().to_string(),
            "local_realtime_ns": local,
            "earliest_ns": now.as_ref().ok().map(|n| n.earliest),
            "latest_ns": now.as_ref().ok().map(|n| n.latest),
            "bound_ns": now.as_ref().ok().map(|n| n.bound()),
            "status": snap.as_ref().map(|s| s.status.name()).unwrap_or("unreadable"),
            "error": now.as_ref().err().map(|e| e.to_string()),
            "offset_ns": snap.as_ref().ok().map(|s| s.offset_ns),
            "frequency_ppb": snap.as_ref().ok().map(|s| s.freq_ppb),
            "grandmaster": snap.as_ref().ok().map(|s| crate::wire::ClockIdentity(s.grandmaster).to_string()),
            "disruptions": snap.as_ref().ok().map(|s| s.disruptions),
        });
        println!("{v}");
    } else {
        match (&now, &snap) {
            (Ok(n), Ok(s)) => {
                let fmt = |t: i64| {
                    chrono::DateTime::from_timestamp_nanos(t)
                        .format("%Y-%m-%d %H:%M:%S%.9f")
                        .to_string()
                };
                println!(
                    "{} ± {} ns ({}; grandmaster {}, {} disruptions)",
                    fmt(n.midpoint()),
                    n.bound(),
                    n.status,
                    crate::wire::ClockIdentity(s.grandmaster),
                    s.disruptions
                );
                println!("earliest {}\nlatest   {}", fmt(n.earliest), fmt(n.latest));
            }
            (Err(e), _) | (_, Err(e)) => println!("no time: {e}"),
        }
    }
    Ok(if now.is_ok() { 0 } else { 1 })
}
