//! `ptpscope serve`: flags validated into a [`DaemonConfig`] for
//! `serve::daemon` (capture -> analysis -> estimate -> published clock and
//! metrics); `ptpscope time`: the published clock, read and printed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use ptpscope_clock::{ClockReader, DEFAULT_PATH, Leap, realtime_ns};

use crate::capture::live::stop_on_signals;
use crate::pipeline;
use crate::serve::Config;
use crate::serve::daemon::{self, DaemonConfig, Source};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Capture live on this interface (repeatable; feature `live`; needs
    /// CAP_NET_RAW).
    #[arg(
        long,
        short,
        value_name = "IF",
        conflicts_with = "replay",
        required_unless_present = "replay"
    )]
    pub interface: Vec<String>,
    /// Replay a capture file instead, at its recorded speed (for tests and
    /// demonstrations: its estimates are published as if made now; with
    /// --fast the record's reference instants run ahead of the real time).
    #[arg(long, value_name = "FILE")]
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
    /// Also write AWS ClockBound's shared-memory segment (layout version 2,
    /// what clock-bound-client 2.x and ClockBound's C client read; their
    /// default is /var/run/clockbound/shm0). The file stays when serve
    /// stops, marked untrusted, so that clients pick up a restart.
    #[arg(long, value_name = "PATH")]
    pub clockbound: Option<PathBuf>,
    /// Also send each estimate to chronyd as a SOCK reference-clock sample
    /// (chrony.conf: `refclock SOCK PATH`).
    #[arg(long, value_name = "PATH")]
    pub chrony_sock: Option<PathBuf>,
    /// A known path asymmetry, IEEE 1588's delayAsymmetry (§7.4.2), ns, for
    /// every capture point or, as POINT=NS, for one (repeatable), as for
    /// `analyze`.
    #[arg(
        long = "delay-asymmetry",
        value_name = "[POINT=]NS",
        allow_hyphen_values = true
    )]
    pub delay_asymmetry: Vec<String>,
    /// The drift bound: bounds grow by it with age.
    #[command(flatten)]
    pub drift: super::DriftArgs,
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

pub fn run(args: &ServeArgs) -> anyhow::Result<i32> {
    let publisher = Config {
        valid_ns: seconds("valid", args.valid)? as u64,
        holdover_after_ns: seconds("holdover-after", args.holdover_after)?,
        ..Config::default()
    };
    let duration = args
        .duration
        .map(|d| seconds("duration", d))
        .transpose()?
        .map(|ns| Duration::from_nanos(ns as u64));
    // Options are checked before the record is created.
    let (every_point, point_delay_asymmetry) =
        super::analyze::delay_asymmetries(&args.delay_asymmetry)?;
    let mut pipeline = pipeline::Config {
        point_delay_asymmetry,
        ..Default::default()
    };
    args.drift.apply(&mut pipeline.estimate)?;
    pipeline.estimate.enabled = true;
    pipeline.estimate.delay_asymmetry_ns = every_point;
    let config = DaemonConfig {
        source: match &args.replay {
            Some(path) => Source::Replay {
                path: path.clone(),
                fast: args.fast,
            },
            None => Source::Live(args.interface.clone()),
        },
        clock: args.clock.clone(),
        metrics: args.metrics,
        chrony_sock: args.chrony_sock.clone(),
        clockbound: args.clockbound.clone(),
        publisher,
        pipeline,
        duration,
        verbose: args.verbose,
    };
    daemon::run(&config, stop_on_signals()?)
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
            "leap": snap.as_ref().ok().map(|s| s.leap.name()),
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
                match s.leap {
                    Leap::None => {}
                    Leap::Insert => println!(
                        "leap second: the grandmaster announces leap61 (a second inserted at the end of this UTC day)"
                    ),
                    Leap::Delete => println!(
                        "leap second: the grandmaster announces leap59 (a second deleted at the end of this UTC day)"
                    ),
                }
            }
            (Err(e), _) | (_, Err(e)) => println!("no time: {e}"),
        }
    }
    Ok(if now.is_ok() { 0 } else { 1 })
}
