//! The pipeline as a library: capture sources (files, the interfaces of a
//! pcapng file, live interfaces) → time-ordered merge → decode → analysis →
//! estimate. `analyze`, `report` and `serve` all run it; the command line
//! only builds its [`Config`] and chooses the output.
//!
//! - One file streams through two threads ([`threads`]): read, decode,
//!   estimate and the health tracker on one; the analysis's trackers on
//!   the other (without estimates, health stays with them). Bounded
//!   channels join them.
//! - Several files are read on a thread each and merged by capture time
//!   ([`crate::capture::merge`]) before decoding.
//! - Live capture ([`crate::capture::live`], feature `live`) and `serve`
//!   feed frames one at a time through [`Pipeline::frame`].
//!
//! Nothing here prints or formats output: results are the analyzer's and
//! estimator's plain values, read by the output layer (`report`).

pub mod decode;
mod owned;
pub mod reassembly;
mod threads;

use std::fmt;

use crate::analysis::{Analyzer, Measurement, PointId};
use crate::capture::{self, CaptureError, Frame, Input, Points};
use crate::estimate::{Estimate, Estimator};
use crate::score::Scorer;
use crate::simulate::Truth;
use crate::wire::link::{PtpFrame, PtpPorts, Transport};

pub use decode::{Content, DecodeSummary, Decoder, TimeSource};

/// Everything a pipeline needs, validated by its builder (the command
/// line, or `serve`).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub analysis: crate::analysis::Config,
    /// The estimator's settings; its `delay_asymmetry_ns` holds for every
    /// point not named in [`Config::point_delay_asymmetry`].
    pub estimate: crate::estimate::Config,
    /// IEEE 1588 delayAsymmetry (§7.4.2) of capture points by name, ns.
    pub point_delay_asymmetry: Vec<(String, f64)>,
    /// A simulation's truth to score the estimates against.
    pub truth: Option<Truth>,
    /// UDP ports carrying PTP besides 319 and 320.
    pub udp_ports: Vec<u16>,
    /// The clock that times frames (`--time-source`).
    pub time_source: TimeSource,
    /// Each mirror session or overlay network a capture point of its own
    /// (`--point-per-session`).
    pub point_per_session: bool,
    /// The capture points along the path messages take, by name
    /// (transparent-clock ledger): only neighbours on it form hops.
    pub path: Vec<String>,
}

/// Frame handling shared by files, live capture and `serve`.
pub struct Pipeline {
    pub analyzer: Analyzer,
    pub estimator: Estimator,
    /// With a truth: scores the estimates against it.
    pub scorer: Option<Scorer>,
    /// delayAsymmetry by point name, told the estimator by point id when a
    /// point is first seen (`named_points`).
    point_delay_asymmetry: Vec<(String, f64)>,
    named_points: Vec<bool>,
    /// Link layers, encapsulations, reassembly; its summary counts frames.
    pub decoder: Decoder,
    /// The current frame's TLV octets, reused from frame to frame.
    arena: Vec<u8>,
    /// Where `frame` decodes its frame to: one at a time.
    decoded: Vec<owned::Decoded>,
    /// The frame record `frame` hands the trackers, kept as [`owned::apply`]
    /// asks.
    link: PtpFrame<'static>,
}

impl Pipeline {
    pub fn new(config: &Config) -> Self {
        Self {
            analyzer: Analyzer::new(config.analysis),
            estimator: Estimator::new(config.estimate.clone()),
            scorer: config.truth.clone().map(Scorer::new),
            point_delay_asymmetry: config.point_delay_asymmetry.clone(),
            named_points: Vec::new(),
            decoder: Decoder::new(
                PtpPorts::with_extra(&config.udp_ports),
                config.time_source,
                config.point_per_session,
            ),
            arena: Vec::new(),
            decoded: Vec::with_capacity(1),
            link: PtpFrame::bare(Transport::L2),
        }
    }

    /// Peels, decodes and analyzes one frame; returns the estimate it
    /// completed, if any (its track: [`Estimator::last_track`]). `points`
    /// names the capture points; a mirror session's point is added to it.
    pub fn frame(&mut self, frame: &Frame<'_>, points: &mut Points) -> Option<Estimate> {
        self.arena.clear();
        self.decoded.clear();
        let out = &mut self.decoded;
        owned::decode_owned(&mut self.decoder, frame, points, &mut self.arena, out);
        // decode_owned pushes exactly one.
        let d = self.decoded.pop()?;
        self.analyzer.set_point_count(points.len());
        if !owned::apply(&mut self.analyzer, &d, &self.arena, &mut self.link) {
            return None;
        }
        let m = self.analyzer.completed.take()?;
        if !self.estimator.enabled {
            return None;
        }
        let point_name = points.name(d.point);
        self.name_point(d.point, point_name);
        let name = |_| point_name;
        observe(&mut self.estimator, self.scorer.as_mut(), &m, &name)
    }

    /// Tells the estimator the delayAsymmetry given for `point`, named
    /// `name`, the first time it is seen.
    fn name_point(&mut self, point: PointId, name: &str) {
        if self.point_delay_asymmetry.is_empty() || self.named_points.get(point) == Some(&true) {
            return;
        }
        if self.named_points.len() <= point {
            self.named_points.resize(point + 1, false);
        }
        self.named_points[point] = true;
        tell_delay_asymmetry(
            &mut self.estimator,
            &self.point_delay_asymmetry,
            point,
            name,
        );
    }
}

/// Tells the estimator the delayAsymmetry given for `point`, named `name`
/// (the last one given for that name), if any.
fn tell_delay_asymmetry(
    estimator: &mut Estimator,
    given: &[(String, f64)],
    point: PointId,
    name: &str,
) {
    if let Some((_, ns)) = given.iter().rev().find(|(p, _)| p == name) {
        estimator.set_delay_asymmetry(point, *ns);
    }
}

/// Feeds a measurement to the estimator and, with a truth, the estimate it
/// makes, with its track's key and point name, to the scorer.
fn observe<'n>(
    estimator: &mut Estimator,
    scorer: Option<&mut Scorer>,
    m: &Measurement,
    name: &dyn Fn(PointId) -> &'n str,
) -> Option<Estimate> {
    let e = estimator.observe(m)?;
    if let Some(scorer) = scorer
        && let Some((key, _)) = estimator.last_track()
    {
        scorer.estimate(key, name(key.point), &e);
    }
    Some(e)
}

/// A finished run over capture files.
pub struct Run {
    pub pipeline: Pipeline,
    /// The capture points, by id.
    pub points: Points,
    /// Inputs that could not be read to their end (what was read before is
    /// analyzed).
    pub errors: Vec<CaptureError>,
}

/// Why a run's result does not answer what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A point of [`Config::path`] saw no frame.
    PathPointMissing { name: String, known: Vec<String> },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PathPointMissing { name, known } => write!(
                f,
                "--path: no frames at a capture point named {name:?}; the inputs' points are: {}",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Runs capture files through a pipeline: one input streams through
/// [`threads`]; several are merged by capture time. `progress` gets the
/// bytes read so far.
pub fn run_files(
    config: &Config,
    inputs: &[Input],
    progress: &mut dyn FnMut(u64),
) -> Result<Run, Error> {
    let mut p = Pipeline::new(config);
    let mut points = Points::default();
    // Path points first: reading gives the same names the same ids.
    if !config.path.is_empty() {
        let ids = config.path.iter().map(|n| points.intern(n)).collect();
        p.analyzer.ledger.path = Some(ids);
    }
    let errors = if let [input] = inputs {
        threads::read_one(input, &mut p, &mut points, progress)
            .err()
            .into_iter()
            .collect()
    } else {
        capture::merge::read_merged(
            inputs,
            &mut points,
            |f, pts| {
                p.frame(f, pts);
            },
            progress,
        )
    };
    p.decoder.finish();
    p.analyzer.finish();
    for (i, n) in config.path.iter().enumerate() {
        if p.analyzer.points.get(i).is_none_or(|s| s.frames == 0) {
            return Err(Error::PathPointMissing {
                name: n.clone(),
                known: points.names()[config.path.len()..].to_vec(),
            });
        }
    }
    Ok(Run {
        pipeline: p,
        points,
        errors,
    })
}

/// Live capture through a pipeline until `stop`, the duration or the
/// count of `opts`; `interim` is called every `every_ns` with the pipeline
/// and the interfaces' names. Returns the pipeline, finished, and 1 when a
/// capture failed, else 0.
#[cfg(feature = "live")]
pub fn run_live(
    config: &Config,
    opts: &capture::live::LiveOpts,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    every_ns: Option<u64>,
    interim: &mut dyn FnMut(&Pipeline, &Points) -> anyhow::Result<()>,
) -> anyhow::Result<(Pipeline, Points, i32)> {
    use std::time::{Duration, Instant};

    use capture::live::{Event, capture};
    let mut pipeline = Pipeline::new(config);
    pipeline.analyzer.set_point_count(opts.interfaces.len());
    let every = every_ns.map(Duration::from_nanos);
    let mut next = every.map(|e| Instant::now() + e);
    let mut points = Points::default();
    for name in &opts.interfaces {
        points.intern(name);
    }
    let status = capture(opts, stop, &mut |ev| {
        match ev {
            Event::Frame(f, _) => {
                pipeline.frame(f, &mut points);
            }
            Event::Tick => {
                if let (Some(at), Some(e)) = (next, every)
                    && Instant::now() >= at
                {
                    interim(&pipeline, &points)?;
                    next = Some(at + e);
                }
            }
        }
        Ok(())
    })?;
    pipeline.decoder.finish();
    pipeline.analyzer.finish();
    Ok((pipeline, points, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(name: &str) -> Input {
        Input {
            path: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("captures")
                .join(name),
            name: None,
        }
    }

    fn config() -> Config {
        Config {
            estimate: crate::estimate::Config {
                enabled: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn several_files_are_points_of_one_analysis() {
        let inputs = [
            capture("lab-e2e-tc-gm-side.pcap"),
            capture("lab-e2e-tc-slave-side.pcap"),
        ];
        let run = run_files(&config(), &inputs, &mut |_| {}).unwrap();
        assert_eq!(
            run.points.names(),
            ["lab-e2e-tc-gm-side", "lab-e2e-tc-slave-side"]
        );
        assert!(run.pipeline.analyzer.points.iter().all(|p| p.frames > 0));
    }

    #[test]
    fn a_path_point_that_saw_nothing_is_an_error_naming_the_known_points() {
        let c = Config {
            path: vec!["nowhere".into()],
            ..config()
        };
        let e = run_files(&c, &[capture("lab-l2-e2e.pcap")], &mut |_| {})
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "--path: no frames at a capture point named \"nowhere\"; the inputs' points are: lab-l2-e2e"
        );
    }
}
