//! `ptpscope analyze`: the analysis of capture files (or, with the `live`
//! feature, interfaces), printed as text or JSON.
//!
//! One input streams straight from its reader. Several inputs are read on one
//! thread each and merged by capture time (a k-way merge over bounded
//! batches), so the analysis sees all capture points in time order.

use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::{cmp::Reverse, thread};

use indicatif::{ProgressBar, ProgressStyle};

use super::decode::{Summary as DecodeSummary, decode_frame};
use super::{Input, inputs};
use crate::analysis::{Analyzer, MalformedRecord, Measurement, Observation};
use crate::capture::{self, Frame, Points};
use crate::estimate::{Estimate, EstimateJson, Estimator, Relevant};
use crate::report::{Analysis, Content, Finding, Summary, folder};
use crate::wire::link::{LinkType, Mac, PtpFrame, PtpPorts, Transport};
use crate::wire::{Body, Header, Message, Ptp};

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
    /// Also treat this UDP port as PTP, besides 319 and 320 (repeatable).
    #[arg(long = "udp-port", value_name = "PORT")]
    pub udp_port: Vec<u16>,
    /// Seconds an exchange waits for its answer before it is unmatched.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub match_timeout: f64,
    /// Compare the estimates with this truth (from `ptpscope simulate`).
    #[arg(long, value_name = "TRUTH.json")]
    pub truth: Option<PathBuf>,
    /// Largest frequency difference between a capture point's clock and
    /// the grandmaster's that the hard error bound allows for, ppm.
    #[arg(long, value_name = "PPM", default_value_t = 200.0)]
    pub max_drift_ppm: f64,
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

/// Live capture options (feature `live`).
#[derive(Debug, Default, clap::Args)]
pub struct LiveArgs {
    /// Capture live on this interface (repeatable; feature `live`).
    #[arg(long, short = 'i', value_name = "IF")]
    pub interface: Vec<String>,
    /// Kernel filter instead of the default PTP filter (BPF syntax).
    #[arg(long, requires = "interface")]
    pub filter: Option<String>,
    /// Timestamp source: host, host_lowprec, host_hiprec, adapter,
    /// adapter_unsynced (whatever the NIC offers).
    #[arg(long, requires = "interface", value_name = "TYPE")]
    pub tstamp_type: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, requires = "interface", value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Stop after this many frames.
    #[arg(long, requires = "interface", value_name = "N")]
    pub count: Option<u64>,
    /// Keep what was captured in this pcapng file.
    #[arg(long, requires = "interface", value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
    /// Print a summary this often (e.g. 10s, 1m) while capturing.
    #[arg(long, requires = "interface", value_name = "DURATION")]
    pub every: Option<String>,
}

/// Frame handling shared by files and live capture.
pub struct Pipeline {
    pub analyzer: Analyzer,
    pub estimator: Estimator,
    pub ports: PtpPorts,
    pub decode: DecodeSummary,
    /// The current frame's message octets, reused from frame to frame.
    arena: Vec<u8>,
}

impl AnalyzeArgs {
    /// `analyze`'s defaults, with this drift bound (for `serve`).
    pub fn for_serve(max_drift_ppm: f64) -> Self {
        #[derive(clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            a: AnalyzeArgs,
        }
        let mut a = <Wrap as clap::Parser>::parse_from(["ptpscope", "--interface", "-"]).a;
        a.live.interface.clear();
        a.max_drift_ppm = max_drift_ppm;
        a
    }
}

impl Pipeline {
    pub fn new(args: &AnalyzeArgs) -> anyhow::Result<Self> {
        if !(args.match_timeout > 0.0 && args.match_timeout < 1e6) {
            anyhow::bail!(
                "--match-timeout {}: expected seconds above 0",
                args.match_timeout
            );
        }
        if !(args.max_drift_ppm > 0.0 && args.max_drift_ppm <= 1e6) {
            anyhow::bail!(
                "--max-drift-ppm {}: expected a value above 0",
                args.max_drift_ppm
            );
        }
        let config = crate::analysis::Config {
            match_timeout_ns: (args.match_timeout * 1e9) as i64,
            ..Default::default()
        };
        let truth = match &args.truth {
            Some(path) => {
                let text =
                    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                Some(serde_json::from_slice(&text).map_err(|e| {
                    anyhow::anyhow!("{}: not a ptpscope truth file: {e}", path.display())
                })?)
            }
            None => None,
        };
        let estimator = Estimator::new(crate::estimate::Config {
            max_drift_ppm: args.max_drift_ppm,
            truth,
            enabled: !args.no_estimates,
            asymmetry: args
                .delay_asymmetry
                .iter()
                .map(|a| parse_asymmetry(a))
                .collect::<anyhow::Result<_>>()?,
        });
        Ok(Self {
            analyzer: Analyzer::new(config),
            estimator,
            ports: PtpPorts::with_extra(&args.udp_port),
            decode: DecodeSummary::default(),
            arena: Vec::new(),
        })
    }

    /// Peels, decodes and analyzes one frame; returns the estimate it
    /// completed, if any (its track: [`Estimator::last_track`]).
    pub fn frame(&mut self, frame: &Frame<'_>, point_name: &str) -> Option<Estimate> {
        self.arena.clear();
        let d = decode_owned(frame, &self.ports, &mut self.decode, &mut self.arena);
        let name = |_| point_name;
        let m = apply(&mut self.analyzer, &d, &self.arena)?;
        if self.estimator.enabled {
            self.estimator.observe(&m, &name)
        } else {
            None
        }
    }

    /// The analysis so far, with findings.
    pub fn analysis(&self, names: &dyn Fn(usize) -> String) -> Analysis {
        Analysis::new(
            Summary::new(&self.analyzer, names),
            self.estimator.json(names),
        )
    }

    pub fn print(&self, format: AnalyzeFormat, names: &dyn Fn(usize) -> String) -> io::Result<()> {
        print(&self.analysis(names), format)
    }

    /// The final output: the printed analysis and, with `--report`, the
    /// report folder. `inputs` name what was analyzed.
    pub fn finish(
        &self,
        args: &AnalyzeArgs,
        names: &dyn Fn(usize) -> String,
        inputs: Vec<String>,
    ) -> anyhow::Result<()> {
        let a = self.analysis(names);
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
        AnalyzeFormat::Text => {
            out.write_all(a.summary.text().as_bytes())?;
            out.write_all(estimates_text(&a.estimates).as_bytes())?;
            out.write_all(findings_text(&a.findings).as_bytes())?;
        }
        AnalyzeFormat::Json => {
            serde_json::to_writer_pretty(&mut out, a)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}

fn findings_text(v: &[Finding]) -> String {
    let mut o = String::new();
    if !v.is_empty() {
        o.push_str("\nFindings (worst first)\n");
    }
    for f in v {
        o.push_str(&format!(
            "  {:<8} {}: {}\n",
            f.severity.name(),
            f.subject,
            f.text
        ));
    }
    o
}

fn estimates_text(v: &[EstimateJson]) -> String {
    use crate::report::fmt_ns;
    let mut o = String::new();
    if !v.is_empty() {
        o.push_str("\nEstimates (capture point clock vs grandmaster)\n");
    }
    let ns = |x: Option<i64>| x.map_or("-".into(), |x| fmt_ns(x as f64));
    for e in v {
        o.push_str(&format!(
            "  {:<14} slave {:<22} {:>5} samples  offset median {} (rms {}, p99 |{}|)  delay min {} median {}  freq {}  bound hard {} / stat {} ({:.0}%)\n",
            e.point,
            e.port,
            e.samples,
            ns(e.offset_ns.median),
            fmt_ns(e.offset_ns.rms),
            ns(e.offset_ns.p99_abs.map(|x| x as i64)),
            ns(e.path_delay_ns.min),
            ns(e.path_delay_ns.median),
            e.frequency_ppb.map_or("-".into(), |f| format!("{f:.0} ppb")),
            ns(e.bound_ns.hard_median),
            ns(e.bound_ns.stat_median),
            e.bound_ns.confidence * 100.0
        ));
        if e.delay_asymmetry_ns != 0.0 {
            o.push_str(&format!(
                "    delay asymmetry {} applied (--delay-asymmetry)\n",
                fmt_ns(e.delay_asymmetry_ns)
            ));
        }
        if let Some(n) = e.note {
            o.push_str(&format!("    ! {} of them: {n}\n", e.inconsistent_samples));
        }
    }
    o
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<i32> {
    if !args.live.interface.is_empty() {
        if !args.files.is_empty() || !args.point.is_empty() {
            anyhow::bail!("give capture files or --interface, not both");
        }
        return super::live::run(args);
    }
    let inputs = inputs(&args.files, &args.point).map_err(anyhow::Error::msg)?;
    let mut p = Pipeline::new(args)?;
    let total: u64 = inputs
        .iter()
        .filter_map(|i| std::fs::metadata(&i.path).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress_bar(total, args.no_progress);
    let mut points = Points::default();
    // Path points first: reading gives the same names the same ids.
    if !args.path.is_empty() {
        let ids = args.path.iter().map(|n| points.intern(n)).collect();
        p.analyzer.ledger.path = Some(ids);
    }
    let errors = if inputs.len() == 1 {
        read_one(&inputs[0], &mut p, &mut points, &bar)
    } else {
        read_merged(&inputs, &mut p, &mut points, &bar)
    };
    bar.finish_and_clear();
    p.analyzer.finish();
    for (i, n) in args.path.iter().enumerate() {
        if p.analyzer.points.get(i).is_none_or(|s| s.frames == 0) {
            let known: Vec<&str> = (args.path.len()..points.len())
                .map(|i| points.name(i))
                .collect();
            anyhow::bail!(
                "--path: no frames at a capture point named {n:?}; the inputs' points are: {}",
                known.join(", ")
            );
        }
    }
    eprintln!("ptpscope: {}", p.decode.line());
    for e in &errors {
        eprintln!("ptpscope: error: {e}");
    }
    let described = inputs
        .iter()
        .map(|i| match &i.name {
            Some(n) => format!("{n}={}", i.path.display()),
            None => i.path.display().to_string(),
        })
        .collect();
    p.finish(args, &|i| points.name(i).to_owned(), described)?;
    Ok(i32::from(!errors.is_empty()))
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

/// A decoded frame that owns what the analysis needs: the header, the body
/// and the link addresses by value, the TLV octets in its batch's arena.
/// This lets one thread read and decode while another analyzes.
pub struct Decoded {
    point: usize,
    frame: u64,
    time_ns: Option<i64>,
    item: Item,
}

enum Item {
    /// Counted only: not PTP, a fragment, broken headers below PTP.
    Frame,
    V2 {
        /// The link fields the analysis reads.
        src_mac: Option<Mac>,
        src_ip: Option<IpAddr>,
        transport: Transport,
        header: Header,
        body: Body<'static>,
        /// The message octets and, within them, the TLVs: ranges of the
        /// batch's arena.
        bytes: (usize, usize),
        suffix: (usize, usize),
    },
    V1,
    Malformed {
        field: &'static str,
        offset: usize,
        message: String,
    },
}

fn body_static(b: Body<'_>) -> Body<'static> {
    match b {
        Body::Sync(x) => Body::Sync(x),
        Body::DelayReq(x) => Body::DelayReq(x),
        Body::PdelayReq(x) => Body::PdelayReq(x),
        Body::PdelayResp(x) => Body::PdelayResp(x),
        Body::FollowUp(x) => Body::FollowUp(x),
        Body::DelayResp(x) => Body::DelayResp(x),
        Body::PdelayRespFollowUp(x) => Body::PdelayRespFollowUp(x),
        Body::Announce(x) => Body::Announce(x),
        Body::Signaling(x) => Body::Signaling(x),
        Body::Management(x) => Body::Management(x),
        Body::Reserved(_) => Body::Reserved(&[]),
    }
}

/// Peels and decodes a frame into a [`Decoded`], its TLVs appended to `arena`.
fn decode_owned(
    frame: &Frame<'_>,
    ports: &PtpPorts,
    summary: &mut DecodeSummary,
    arena: &mut Vec<u8>,
) -> Decoded {
    let mut item = Item::Frame;
    decode_frame(frame, ports, summary, |link, content| {
        item = match content {
            Content::Ptp(Ptp::V2(m)) => match link {
                Some(link) => {
                    let start = arena.len();
                    let len = usize::from(m.header.message_length).min(link.payload.len());
                    arena.extend_from_slice(&link.payload[..len]);
                    let tlvs = start + m.suffix_offset().min(len);
                    Item::V2 {
                        bytes: (start, arena.len()),
                        src_mac: link.src_mac,
                        src_ip: link.src_ip,
                        transport: link.transport,
                        header: m.header,
                        body: body_static(m.body),
                        suffix: (tlvs, (tlvs + m.suffix.len()).min(arena.len())),
                    }
                }
                None => Item::Frame,
            },
            Content::Ptp(Ptp::V1(_)) => Item::V1,
            Content::Malformed(e, _) => Item::Malformed {
                field: e.field,
                offset: e.offset,
                message: e.to_string(),
            },
            Content::LinkMalformed(e) => Item::Malformed {
                field: e.field,
                offset: e.offset,
                message: e.to_string(),
            },
        }
    });
    Decoded {
        point: frame.point,
        frame: frame.number,
        time_ns: frame.time_ns,
        item,
    }
}

/// Feeds one decoded frame to the analyzer; returns the measurement it
/// completed, for the estimator.
fn apply(a: &mut Analyzer, d: &Decoded, arena: &[u8]) -> Option<Measurement> {
    a.frame(d.point, d.time_ns);
    match &d.item {
        Item::Frame => None,
        Item::V2 {
            src_mac,
            src_ip,
            transport,
            header,
            body,
            bytes,
            suffix,
        } => {
            let t = d.time_ns?;
            let link = PtpFrame {
                src_mac: *src_mac,
                src_ip: *src_ip,
                ..PtpFrame::bare(*transport)
            };
            let message = Message {
                header: *header,
                body: *body,
                suffix: arena.get(suffix.0..suffix.1).unwrap_or_default(),
                trailer: &[],
            };
            a.observe(&Observation {
                point: d.point,
                frame: d.frame,
                time_ns: t,
                link: &link,
                message: &message,
                bytes: arena.get(bytes.0..bytes.1).unwrap_or_default(),
            })
        }
        Item::V1 => {
            a.observe_v1(d.point);
            None
        }
        Item::Malformed {
            field,
            offset,
            message,
        } => {
            a.malformed(MalformedRecord {
                point_id: d.point,
                frame: d.frame,
                field,
                offset: *offset,
                message: message.clone(),
            });
            None
        }
    }
}

/// Decoded frames of one input, with the point names known so far.
struct DecodedBatch {
    items: Vec<Decoded>,
    arena: Vec<u8>,
    names: Vec<String>,
}

impl DecodedBatch {
    fn new() -> Self {
        Self {
            items: Vec::with_capacity(BATCH),
            arena: Vec::new(),
            names: Vec::new(),
        }
    }
}

/// One input on two threads: this one reads and decodes, a second analyzes.
fn read_one(
    input: &Input,
    p: &mut Pipeline,
    points: &mut Points,
    bar: &ProgressBar,
) -> Vec<capture::CaptureError> {
    let (tx, rx) = mpsc::sync_channel::<DecodedBatch>(8);
    // Emptied batches go back to the reader, so their memory is reused.
    let (back_tx, back_rx) = mpsc::sync_channel::<DecodedBatch>(16);
    let ports = &p.ports;
    let summary = &mut p.decode;
    let analyzer = &mut p.analyzer;
    let estimator = &mut p.estimator;
    let result = thread::scope(|s| {
        // The estimator has a thread of its own, fed batches of
        // measurements: on two cores the three threads share what the
        // analysis alone left idle, so estimation adds about half of its
        // own time, not all of it.
        let (est_tx, est_rx) = mpsc::sync_channel::<Measured>(2);
        let (est_back_tx, est_back_rx) = mpsc::sync_channel::<Measured>(4);
        let estimating = estimator.enabled;
        if estimating {
            s.spawn(move || {
                lower_priority();
                let mut names: Vec<String> = Vec::new();
                for mut b in est_rx {
                    if b.names.len() > names.len() {
                        names = std::mem::take(&mut b.names);
                    }
                    let name = |i: usize| names.get(i).map_or("", String::as_str);
                    for m in &b.items {
                        estimator.observe(m, &name);
                    }
                    b.items.clear();
                    b.names.clear();
                    let _ = est_back_tx.try_send(b);
                }
            });
        } else {
            drop(est_rx);
        }
        let worker = s.spawn(move || {
            let mut names: Vec<String> = Vec::new();
            let mut sent_names = 0;
            let mut measured = Measured::new();
            let mut relevant = Relevant::default();
            for mut b in rx {
                if b.names.len() > names.len() {
                    names = std::mem::take(&mut b.names);
                    analyzer.set_point_count(names.len());
                }
                for d in &b.items {
                    if let Some(m) = apply(analyzer, d, &b.arena)
                        && estimating
                        && relevant.keep(&m)
                    {
                        measured.items.push(m);
                    }
                }
                if measured.items.len() >= ESTIMATE_BATCH {
                    let next = est_back_rx.try_recv().unwrap_or_else(|_| Measured::new());
                    let mut full = std::mem::replace(&mut measured, next);
                    if names.len() != sent_names {
                        sent_names = names.len();
                        full.names = names.clone();
                    }
                    let _ = est_tx.send(full);
                }
                b.items.clear();
                b.arena.clear();
                b.names.clear();
                let _ = back_tx.try_send(b);
            }
            if !measured.items.is_empty() {
                measured.names = names;
                let _ = est_tx.send(measured);
            }
        });
        let mut batch = DecodedBatch::new();
        let mut gone = false;
        let mut n = 0u64;
        let mut sent_names = 0;
        let r = capture::read_file(&input.path, input.name.as_deref(), points, |f, pts| {
            if gone {
                return;
            }
            let d = decode_owned(f, ports, summary, &mut batch.arena);
            batch.items.push(d);
            if batch.items.len() == BATCH {
                let next = back_rx.try_recv().unwrap_or_else(|_| DecodedBatch::new());
                let mut full = std::mem::replace(&mut batch, next);
                if pts.len() != sent_names {
                    sent_names = pts.len();
                    full.names = names(pts);
                }
                gone = tx.send(full).is_err();
            }
            n += 1;
            if n.is_multiple_of(8192) {
                bar.set_position(f.file_offset);
            }
        });
        batch.names = names(points);
        let _ = tx.send(batch);
        drop(tx);
        let _ = worker.join();
        r
    });
    result.err().into_iter().collect()
}

/// Lowers the calling thread's scheduling priority (nice +10; Linux
/// applies it to the thread alone): the estimator then runs while the
/// reader or the analysis wait, rather than preempting them, and catches
/// up when its queue is full. Best effort: nothing happens elsewhere or
/// when refused.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority reads no memory; who = 0 is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Measurements for the estimator's thread, with the point names when
/// they changed.
struct Measured {
    items: Vec<Measurement>,
    names: Vec<String>,
}

impl Measured {
    fn new() -> Self {
        Self {
            items: Vec::with_capacity(ESTIMATE_BATCH),
            names: Vec::new(),
        }
    }
}

/// A frame copied out of its reader, to cross threads.
struct OwnedFrame {
    point: usize,
    number: u64,
    time_ns: Option<i64>,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
    file_offset: u64,
}

/// A batch of frames from one input, with its point names so far.
struct Batch {
    frames: Vec<OwnedFrame>,
    names: Vec<String>,
}

const BATCH: usize = 1024;
/// Measurements estimated at a time.
const ESTIMATE_BATCH: usize = 4096;

/// Reads every input on its own thread and merges the frames by time.
fn read_merged(
    inputs: &[Input],
    p: &mut Pipeline,
    points: &mut Points,
    bar: &ProgressBar,
) -> Vec<capture::CaptureError> {
    thread::scope(|s| {
        let mut rx = Vec::new();
        let mut handles = Vec::new();
        for input in inputs {
            let (tx, r) = mpsc::sync_channel::<Batch>(4);
            rx.push(r);
            handles.push(s.spawn(move || {
                let mut local = Points::default();
                let mut frames = Vec::with_capacity(BATCH);
                let mut gone = false;
                let r =
                    capture::read_file(&input.path, input.name.as_deref(), &mut local, |f, pts| {
                        if gone {
                            return;
                        }
                        frames.push(OwnedFrame {
                            point: f.point,
                            number: f.number,
                            time_ns: f.time_ns,
                            link: f.link,
                            data: f.data.to_vec(),
                            orig_len: f.orig_len,
                            file_offset: f.file_offset,
                        });
                        if frames.len() == BATCH {
                            let batch = Batch {
                                frames: std::mem::replace(&mut frames, Vec::with_capacity(BATCH)),
                                names: names(pts),
                            };
                            gone = tx.send(batch).is_err();
                        }
                    });
                if !frames.is_empty() {
                    let _ = tx.send(Batch {
                        frames,
                        names: names(&local),
                    });
                }
                r
            }));
        }
        merge(&rx, p, points, bar);
        drop(rx);
        handles
            .into_iter()
            .filter_map(|h| h.join().ok().and_then(Result::err))
            .collect()
    })
}

fn names(p: &Points) -> Vec<String> {
    (0..p.len()).map(|i| p.name(i).to_owned()).collect()
}

/// One input's side of the merge.
struct Source<'r> {
    rx: &'r mpsc::Receiver<Batch>,
    queue: VecDeque<OwnedFrame>,
    /// Local point index -> global point index.
    map: Vec<usize>,
    done: bool,
    offset: u64,
}

impl Source<'_> {
    /// Refills the queue when empty; false when the input is finished.
    fn refill(&mut self, points: &mut Points) -> bool {
        while self.queue.is_empty() && !self.done {
            match self.rx.recv() {
                Ok(b) => {
                    for n in b.names.iter().skip(self.map.len()) {
                        self.map.push(points.intern(n));
                    }
                    self.queue.extend(b.frames);
                }
                Err(_) => self.done = true,
            }
        }
        !self.queue.is_empty()
    }

    fn head_time(&self) -> i64 {
        self.queue
            .front()
            .and_then(|f| f.time_ns)
            .unwrap_or(i64::MIN)
    }
}

/// The k-way merge: always the earliest head frame of all inputs next.
fn merge(rx: &[mpsc::Receiver<Batch>], p: &mut Pipeline, points: &mut Points, bar: &ProgressBar) {
    let mut sources: Vec<Source<'_>> = rx
        .iter()
        .map(|rx| Source {
            rx,
            queue: VecDeque::new(),
            map: Vec::new(),
            done: false,
            offset: 0,
        })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, s) in sources.iter_mut().enumerate() {
        if s.refill(points) {
            heap.push(Reverse((s.head_time(), i)));
        }
    }
    let mut n = 0u64;
    while let Some(Reverse((_, i))) = heap.pop() {
        let s = &mut sources[i];
        let Some(f) = s.queue.pop_front() else {
            continue;
        };
        let point = s.map.get(f.point).copied().unwrap_or(0);
        let frame = Frame {
            point,
            number: f.number,
            time_ns: f.time_ns,
            link: f.link,
            data: &f.data,
            orig_len: f.orig_len,
            file_offset: f.file_offset,
        };
        p.analyzer.set_point_count(points.len());
        p.frame(&frame, points.name(point));
        s.offset = f.file_offset;
        if s.refill(points) {
            heap.push(Reverse((s.head_time(), i)));
        }
        n += 1;
        if n.is_multiple_of(8192) {
            bar.set_position(sources.iter().map(|s| s.offset).sum());
        }
    }
}
