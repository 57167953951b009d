//! `ptpscope analyze` and `ptpscope report`: arguments validated into a
//! [`pipeline::Config`], the pipeline run over files or (feature `live`)
//! interfaces, and the output chosen: text, JSON, a report folder.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use super::inputs;
use super::live::LiveArgs;
use crate::capture::Input;
use crate::pipeline::{self, Pipeline};
use crate::report::{Analysis, folder};

/// Output formats of `ptpscope analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnalyzeFormat {
    /// A readable summary.
    Text,
    /// One JSON document (schema in the README).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// pcap or pcapng files; each is a capture point (pcapng: each interface).
    #[arg(required_unless_present_any = ["point", "interface"])]
    pub files: Vec<PathBuf>,
    /// Name a capture point: NAME=FILE (repeatable).
    #[arg(long = "point", value_name = "NAME=FILE")]
    pub point: Vec<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = AnalyzeFormat::Text)]
    pub format: AnalyzeFormat,
    #[command(flatten)]
    pub decoding: super::DecodingArgs,
    /// Seconds an exchange waits for its answer before it is unmatched.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub match_timeout: f64,
    /// Compare the estimates with this truth (from `ptpscope simulate`).
    #[arg(long, value_name = "TRUTH.json")]
    pub truth: Option<PathBuf>,
    #[command(flatten)]
    pub drift: super::DriftArgs,
    /// A known path asymmetry, IEEE 1588's delayAsymmetry: the
    /// master-to-slave delay minus the mean path delay (half of
    /// master-to-slave minus slave-to-master), ns, for every capture point
    /// or, as NAME=NS, for one (repeatable; a named one wins).
    #[arg(
        long = "delay-asymmetry",
        value_name = "[POINT=]NS",
        allow_hyphen_values = true
    )]
    pub delay_asymmetry: Vec<String>,
    /// Skip offset estimation (what it costs is the difference).
    #[arg(long, conflicts_with = "truth")]
    pub no_estimates: bool,
    /// The order of the capture points along the path messages take
    /// (transparent-clock ledger): only neighbours on it form hops.
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub path: Vec<String>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Also write a report folder (index.html, plots, summary.json/.md).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the report only, without printing the summary (`ptpscope report`).
    #[arg(skip)]
    pub report_only: bool,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `ptpscope report`: `analyze --report DIR`, without the printed summary.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The report folder (created if missing; its files are replaced).
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

pub fn report(args: ReportArgs) -> anyhow::Result<i32> {
    let mut a = args.analyze;
    if a.report.is_some() {
        anyhow::bail!("ptpscope report: the folder is given with -o DIR, not --report");
    }
    a.report = Some(args.output);
    a.report_only = true;
    run(&a)
}

impl AnalyzeArgs {
    /// The pipeline's configuration, validated from the flags.
    pub fn pipeline_config(&self) -> anyhow::Result<pipeline::Config> {
        if !(self.match_timeout > 0.0 && self.match_timeout < 1e6) {
            anyhow::bail!(
                "--match-timeout {}: expected seconds above 0",
                self.match_timeout
            );
        }
        let truth = match &self.truth {
            Some(path) => {
                let text =
                    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                Some(serde_json::from_slice(&text).map_err(|e| {
                    anyhow::anyhow!("{}: not a ptpscope truth file: {e}", path.display())
                })?)
            }
            None => None,
        };
        let (every_point, point_delay_asymmetry) = delay_asymmetries(&self.delay_asymmetry)?;
        let mut estimate = crate::estimate::Config {
            enabled: !self.no_estimates,
            delay_asymmetry_ns: every_point,
            ..Default::default()
        };
        self.drift.apply(&mut estimate)?;
        Ok(pipeline::Config {
            analysis: crate::analysis::Config {
                match_timeout_ns: (self.match_timeout * 1e9) as i64,
                ..Default::default()
            },
            estimate,
            point_delay_asymmetry,
            truth,
            udp_ports: self.decoding.udp_port.clone(),
            time_source: self.decoding.time_source(),
            point_per_session: self.decoding.point_per_session,
            path: self.path.clone(),
        })
    }
}

/// `--max-drift-ppm`.
/// The final output: the printed analysis and, with `--report`, the report
/// folder. `inputs` name what was analyzed.
fn finish(
    p: &Pipeline,
    args: &AnalyzeArgs,
    names: &dyn Fn(usize) -> String,
    inputs: Vec<String>,
) -> anyhow::Result<()> {
    let a = Analysis::of(p, names);
    if !args.report_only {
        print(&a, args.format)?;
    }
    if let Some(dir) = &args.report {
        let cx = folder::Context {
            inputs,
            truth: args.truth.as_ref().map(|t| t.display().to_string()),
        };
        let w = folder::write(dir, &a, &cx)?;
        eprintln!(
            "ptpscope: report written: {} ({} figures, {} findings)",
            w.index.display(),
            w.figures.len(),
            a.findings.len()
        );
    }
    Ok(())
}

/// `--delay-asymmetry [POINT=]NS...`: the value for every point (the last
/// one given without a name, else 0) and those given by name.
pub fn delay_asymmetries(args: &[String]) -> anyhow::Result<(f64, Vec<(String, f64)>)> {
    let asymmetry = args
        .iter()
        .map(|a| parse_asymmetry(a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let every_point = asymmetry
        .iter()
        .rev()
        .find(|(p, _)| p.is_none())
        .map_or(0.0, |a| a.1);
    let named = asymmetry
        .into_iter()
        .filter_map(|(p, ns)| Some((p?, ns)))
        .collect();
    Ok((every_point, named))
}

/// `--delay-asymmetry [POINT=]NS`.
fn parse_asymmetry(arg: &str) -> anyhow::Result<(Option<String>, f64)> {
    let (point, ns) = match arg.rsplit_once('=') {
        Some((p, ns)) if !p.is_empty() => (Some(p.to_owned()), ns),
        _ => (None, arg),
    };
    match ns.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= 1e9 => Ok((point, v)),
        _ => anyhow::bail!(
            "--delay-asymmetry {arg}: expected [POINT=]NS, NS a number of nanoseconds within ±1 s"
        ),
    }
}

/// Writes an analysis to stdout, in large writes (stdout alone flushes at
/// every newline: a write per line of the JSON, 25,000 of them with the
/// estimates' series).
pub fn print(a: &Analysis, format: AnalyzeFormat) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match format {
        AnalyzeFormat::Text => out.write_all(a.text().as_bytes())?,
        AnalyzeFormat::Json => {
            serde_json::to_writer_pretty(&mut out, a)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<i32> {
    if !args.live.interface.is_empty() {
        if !args.files.is_empty() || !args.point.is_empty() {
            anyhow::bail!("give capture files or --interface, not both");
        }
        return run_live(args);
    }
    let inputs = inputs(&args.files, &args.point).map_err(anyhow::Error::msg)?;
    let config = args.pipeline_config()?;
    let total: u64 = inputs
        .iter()
        .filter_map(|i| std::fs::metadata(&i.path).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress_bar(total, args.no_progress);
    let run = pipeline::run_files(&config, &inputs, &mut |at| bar.set_position(at));
    bar.finish_and_clear();
    let run = run?;
    // Nothing could be read at all: the errors alone, no empty analysis.
    if run.pipeline.decoder.summary.frames == 0 && run.errors.len() == inputs.len() {
        for e in &run.errors {
            eprintln!("ptpscope: error: {e}");
        }
        return Ok(1);
    }
    eprintln!("ptpscope: {}", run.pipeline.decoder.summary.line());
    for e in &run.errors {
        eprintln!("ptpscope: error: {e}");
    }
    let described = inputs.iter().map(describe).collect();
    let points = &run.points;
    finish(
        &run.pipeline,
        args,
        &|i| points.name(i).to_owned(),
        described,
    )?;
    Ok(i32::from(!run.errors.is_empty()))
}

fn describe(i: &Input) -> String {
    match &i.name {
        Some(n) => format!("{n}={}", i.path.display()),
        None => i.path.display().to_string(),
    }
}

#[cfg(feature = "live")]
fn run_live(args: &AnalyzeArgs) -> anyhow::Result<i32> {
    let every = args
        .live
        .every
        .as_deref()
        .map(super::live::parse_duration_ns)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts = super::live::live_opts(&args.live, &args.decoding.udp_port)?;
    let config = args.pipeline_config()?;
    let stop = crate::capture::live::stop_on_signals()?;
    let names = opts.interfaces.clone();
    let (pipeline, points, status) = pipeline::run_live(
        &config,
        &opts,
        stop,
        every.map(|e| e as u64),
        &mut |p, pts| {
            let name_of = |i: usize| pts.name(i).to_owned();
            Ok(print(&Analysis::of(p, &name_of), args.format)?)
        },
    )?;
    // Interfaces first, then the mirror sessions seen on them.
    let name_of = |i: usize| points.name(i).to_owned();
    eprintln!("ptpscope: {}", pipeline.decoder.summary.line());
    let inputs = names.iter().map(|n| format!("live {n}")).collect();
    finish(&pipeline, args, &name_of, inputs)?;
    Ok(status)
}

#[cfg(not(feature = "live"))]
fn run_live(_args: &AnalyzeArgs) -> anyhow::Result<i32> {
    anyhow::bail!(
        "this ptpscope was built without live capture; rebuild with `cargo build --release --features live` (needs libpcap-dev)"
    )
}

/// A bar on stderr when it is a terminal and the input is big enough to wait for.
fn progress_bar(total: u64, disabled: bool) -> ProgressBar {
    if disabled || total < 32 << 20 || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} analyzing [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
