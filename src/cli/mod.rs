//! The command-line front end: clap definitions, validated into a config
//! before any work starts, one module per subcommand.

pub mod analyze;
pub mod decode;
pub mod live;
pub mod serve;
pub mod simulate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::capture::Input;
use crate::report::Format;

#[derive(Debug, Parser)]
#[command(name = "ptpscope", version, about = "IEEE 1588 (PTP) packet analyzer")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode every PTP message in capture files, one line per message.
    Decode(DecodeArgs),
    /// What a PTP network is doing: clocks, grandmasters, exchanges, health.
    Analyze(analyze::AnalyzeArgs),
    /// Analyze and write a report folder: index.html with plots (PNG and
    /// SVG), summary.json, summary.md.
    Report(analyze::ReportArgs),
    /// Synthetic PTP traffic with known truth: a scenario to pcapng + JSON.
    Simulate(simulate::SimulateArgs),
    /// Publish this host's PTP-synchronized, error-bounded time to shared
    /// memory for other services (and Prometheus metrics).
    Serve(serve::ServeArgs),
    /// Read the time `serve` publishes: [earliest, latest] and status.
    Time(serve::TimeArgs),
}

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// pcap or pcapng files; each is a capture point (pcapng: each interface).
    #[arg(required_unless_present = "point")]
    pub files: Vec<PathBuf>,
    /// Name a capture point: NAME=FILE (repeatable).
    #[arg(long = "point", value_name = "NAME=FILE")]
    pub point: Vec<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub decoding: DecodingArgs,
}

/// The drift bound of the estimates' hard bound: shared by `analyze`,
/// `report` and `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct DriftArgs {
    /// Largest frequency difference between a capture point's clock and
    /// the grandmaster's that the hard error bound allows for, ppm; with
    /// `--drift-bound measured`, the ceiling.
    #[arg(long, value_name = "PPM", default_value_t = 200.0)]
    pub max_drift_ppm: f64,
    /// `fixed`: the bound assumes --max-drift-ppm. `measured`: it assumes
    /// what two causal intervals at least 20 s (up to 4,096 samples) apart show
    /// the frequency difference was, plus --drift-margin-ppm; until they
    /// are 20 s apart, and after a step, --max-drift-ppm (see the README:
    /// the host clock's frequency must not change by more than the margin).
    #[arg(long, value_name = "HOW", default_value = "fixed")]
    pub drift_bound: DriftBoundArg,
    /// With `--drift-bound measured`: what the frequency difference may
    /// move beyond what was measured, ppm.
    #[arg(long, value_name = "PPM", default_value_t = 1.0)]
    pub drift_margin_ppm: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriftBoundArg {
    Fixed,
    Measured,
}

impl DriftArgs {
    /// Sets `estimate`'s drift bound, validated.
    pub fn apply(&self, estimate: &mut crate::estimate::Config) -> anyhow::Result<()> {
        let ppm = self.max_drift_ppm;
        if !(ppm > 0.0 && ppm <= 1e6) {
            anyhow::bail!("--max-drift-ppm {ppm}: expected a value above 0");
        }
        let margin = self.drift_margin_ppm;
        if !(margin >= 0.0 && margin <= ppm) {
            anyhow::bail!("--drift-margin-ppm {margin}: expected 0 to --max-drift-ppm ({ppm})");
        }
        estimate.max_drift_ppm = ppm;
        estimate.drift_bound = match self.drift_bound {
            DriftBoundArg::Fixed => crate::estimate::drift::DriftBound::Fixed,
            DriftBoundArg::Measured => crate::estimate::drift::DriftBound::Measured {
                margin_ppb: margin * 1000.0,
            },
        };
        Ok(())
    }
}

/// How frames are decoded: shared by `decode`, `analyze` and `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct DecodingArgs {
    /// Also treat this UDP port as PTP, besides 319 and 320 (repeatable).
    #[arg(long = "udp-port", value_name = "PORT")]
    pub udp_port: Vec<u16>,
    /// The clock that times each frame: the capture's, or the mirroring
    /// switch's (the ERSPAN type III timestamp; frames without one get no
    /// time).
    #[arg(long, value_enum, default_value_t = TimeSourceArg::Capture)]
    pub time_source: TimeSourceArg,
    /// Make each mirror session (ERSPAN session ID) and overlay network
    /// (VXLAN or Geneve VNI, GRE key) a capture point of its own, named
    /// POINT/erspan2-7, POINT/vxlan-100, ….
    #[arg(long)]
    pub point_per_session: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeSourceArg {
    Capture,
    Erspan,
}

impl DecodingArgs {
    /// A decoder with these options.
    pub fn decoder(&self) -> crate::pipeline::Decoder {
        crate::pipeline::Decoder::new(
            crate::wire::link::PtpPorts::with_extra(&self.udp_port),
            self.time_source(),
            self.point_per_session,
        )
    }

    pub fn time_source(&self) -> crate::pipeline::TimeSource {
        match self.time_source {
            TimeSourceArg::Capture => crate::pipeline::TimeSource::Capture,
            TimeSourceArg::Erspan => crate::pipeline::TimeSource::Erspan,
        }
    }
}

/// Validates `--point NAME=FILE` and plain file arguments into inputs.
pub fn inputs(files: &[PathBuf], points: &[String]) -> Result<Vec<Input>, String> {
    let mut v = Vec::new();
    for p in points {
        let Some((name, file)) = p.split_once('=') else {
            return Err(format!("--point {p}: expected NAME=FILE"));
        };
        if name.is_empty() || file.is_empty() {
            return Err(format!("--point {p}: expected NAME=FILE"));
        }
        v.push(Input {
            path: file.into(),
            name: Some(name.to_owned()),
        });
    }
    v.extend(files.iter().map(|f| Input {
        path: f.clone(),
        name: None,
    }));
    Ok(v)
}

/// Runs the command; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Decode(a) => decode::run(&a),
        Command::Analyze(a) => analyze::run(&a),
        Command::Report(a) => analyze::report(a),
        Command::Simulate(a) => simulate::run(&a),
        Command::Serve(a) => serve::run(&a),
        Command::Time(a) => serve::time(&a),
    }
}
