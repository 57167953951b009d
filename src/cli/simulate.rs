//! `ptpscope simulate`: a scenario to a pcapng file and its truth.

use std::io::Write;
use std::path::PathBuf;

use crate::capture::write::PcapngWriter;
use crate::simulate::{self, Captured, Scenario};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// A named scenario (see --list) or a FILE.toml.
    #[arg(long, short, required_unless_present = "list")]
    pub scenario: Option<String>,
    /// The pcapng file to write (one interface per capture point).
    #[arg(
        long,
        short,
        required_unless_present = "list",
        value_name = "OUT.pcapng"
    )]
    pub output: Option<PathBuf>,
    /// Where to write the truth (JSON).
    #[arg(long, value_name = "TRUTH.json")]
    pub truth: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the scenario's duration, seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// List the named scenarios.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<i32> {
    if args.list {
        let mut out = std::io::stdout().lock();
        for (name, text) in simulate::scenario::NAMED {
            let s = Scenario::parse(text, name).map_err(anyhow::Error::msg)?;
            writeln!(out, "{name:<16} {}", s.description)?;
        }
        return Ok(0);
    }
    let (Some(name), Some(output)) = (&args.scenario, &args.output) else {
        anyhow::bail!("give --scenario and --output");
    };
    let mut s = Scenario::load(name).map_err(anyhow::Error::msg)?;
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    if let Some(d) = args.duration {
        s.duration_s = d;
    }
    s.validate().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let ctx = |e: std::io::Error| anyhow::anyhow!("{}: {e}", output.display());
    let mut w = PcapngWriter::create(output).map_err(ctx)?;
    for p in s.points() {
        w.add_interface(&p.name, 1, 65535).map_err(ctx)?;
    }
    let mut err = None;
    let truth = simulate::run(&s, &mut |f: Captured<'_>| {
        if err.is_none()
            && let Err(e) = w.write_packet(f.point as u32, f.time_ns, f.data, f.data.len() as u32)
        {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(ctx(e));
    }
    w.flush().map_err(ctx)?;
    let frames: u64 = truth.frames.iter().sum();
    if let Some(t) = &args.truth {
        let f = std::fs::File::create(t).map_err(|e| anyhow::anyhow!("{}: {e}", t.display()))?;
        let mut f = std::io::BufWriter::new(f);
        serde_json::to_writer(&mut f, &truth)?;
        f.flush()
            .map_err(|e| anyhow::anyhow!("{}: {e}", t.display()))?;
    }
    let points = truth.frames.len();
    eprintln!(
        "ptpscope: {}: {frames} frames at {points} capture point{} over {} s -> {}",
        s.name,
        if points == 1 { "" } else { "s" },
        s.duration_s,
        output.display()
    );
    Ok(0)
}
