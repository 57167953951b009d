//! Truth scoring: estimates against the known truth of a simulated capture
//! (`ptpscope simulate --truth`, `analyze --truth`).
//!
//! This sits above both [`estimate`](crate::estimate) and
//! [`simulate`](crate::simulate): the estimator knows nothing of truth.
//! Whoever runs it hands each estimate, with its track's key and the name
//! of the track's capture point, to a [`Scorer`], which finds the truth of
//! that point (by name) and grandmaster (the master port's clockIdentity)
//! and scores the estimate and the baseline's against it.

use crate::analysis::stats::{Series, Stats};
use crate::analysis::{HashMap, capped_entry};
use crate::estimate::{Estimate, MAX_SERIES, TrackKey, nearest};
use crate::simulate::{OffsetSeries, Truth};

/// Tracks scored at most (as many as the estimator keeps).
const MAX_TRACKS: usize = 10_000;

/// Errors against the truth of one estimator (ours or the baseline).
#[derive(Debug, Clone, Default)]
pub struct ErrorStats {
    /// Whether the estimator states a bound (ours does; the baseline,
    /// like ptp4l, does not).
    bounded: bool,
    samples: u64,
    sum_of_squares: f64,
    max: f64,
    abs: Stats,
    hard_covered: u64,
    statistical_covered: u64,
    /// Estimates carried forward as a published record is read (see
    /// [`carried`]): checks made and contained.
    carried_checks: u64,
    carried_covered: u64,
    /// Checks not made because they cross a step of the grandmaster's
    /// clock.
    carried_across_steps: u64,
}

/// What [`ErrorStats`] come to, ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorSummary {
    pub samples: u64,
    pub rms_ns: Option<f64>,
    pub p99_ns: Option<i64>,
    pub max_ns: Option<f64>,
    /// Share of estimates whose bound contains the truth (`None` for an
    /// estimator that states no bound).
    pub hard_coverage: Option<f64>,
    pub statistical_coverage: Option<f64>,
    /// Share of checks of estimates carried forward in time, as a reader
    /// of the published record carries them, that contained the truth.
    pub carried_coverage: Option<f64>,
    pub carried_checks: u64,
    /// Checks not made: across a step of the grandmaster's clock.
    pub carried_across_steps: u64,
}

impl ErrorStats {
    fn new(bounded: bool) -> Self {
        Self {
            bounded,
            ..Self::default()
        }
    }

    /// An error, with the hard and statistical bounds of a bounded
    /// estimator.
    fn add(&mut self, error: f64, bounds: Option<(f64, f64)>) {
        self.samples += 1;
        self.sum_of_squares += error * error;
        self.max = self.max.max(error.abs());
        self.abs.add(nearest(error.abs()));
        if let Some((hard, statistical)) = bounds {
            self.hard_covered += u64::from(error.abs() <= hard);
            self.statistical_covered += u64::from(error.abs() <= statistical);
        }
    }

    /// Counts a check of an estimate carried forward (see [`carried`]);
    /// `None` where the truth or a reader allow none.
    fn carry(&mut self, checked: Carried) {
        match checked {
            Carried::Checked(ok) => {
                self.carried_checks += 1;
                self.carried_covered += u64::from(ok);
            }
            Carried::AcrossStep => self.carried_across_steps += 1,
            Carried::NotChecked => {}
        }
    }

    pub fn summary(&self) -> ErrorSummary {
        let n = self.samples;
        let share = |k: u64| (self.bounded && n > 0).then(|| k as f64 / n as f64);
        ErrorSummary {
            samples: n,
            rms_ns: (n > 0).then(|| (self.sum_of_squares / n as f64).sqrt()),
            p99_ns: self.abs.quantile(0.99),
            max_ns: (n > 0).then_some(self.max),
            hard_coverage: share(self.hard_covered),
            statistical_coverage: share(self.statistical_covered),
            carried_coverage: (self.carried_checks > 0)
                .then(|| self.carried_covered as f64 / self.carried_checks as f64),
            carried_checks: self.carried_checks,
            carried_across_steps: self.carried_across_steps,
        }
    }
}

/// The scores of one track.
#[derive(Debug, Clone)]
struct Scored {
    /// The truth of its point and grandmaster, when the truth has them.
    truth: Option<OffsetSeries>,
    ours: ErrorStats,
    baseline: ErrorStats,
    /// Estimates outside the truth's time span.
    outside_span: u64,
    /// The truth at each estimate, decimated as the track's own series.
    series: Series<Option<f64>, MAX_SERIES>,
    /// The track's previous estimate.
    previous: Option<Estimate>,
    /// The point's clock reading at which it steps at a leap second the
    /// grandmaster announced (a clock that reads UTC): the offset itself
    /// steps a second there, and `serve`'s record expires before it.
    leap_ns: Option<i64>,
}

impl Scored {
    fn new(truth: Option<OffsetSeries>, leap_ns: Option<i64>) -> Self {
        Self {
            truth,
            ours: ErrorStats::new(true),
            baseline: ErrorStats::new(false),
            outside_span: 0,
            series: Series::default(),
            previous: None,
            leap_ns,
        }
    }
}

/// Fractions of the time to the next estimate at which a carried estimate
/// is checked.
const CARRIED_AT: [f64; 4] = [0.25, 0.5, 0.75, 1.0];
/// `serve`'s default validity of a record (`--valid`), ns.
const VALID_NS: i64 = 60_000_000_000;
/// Ages at which a track's last estimate is checked, as a reader holding
/// over would read it until the record's default validity, ns.
const HOLDOVER_AT: [i64; 7] = [
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
    20_000_000_000,
    30_000_000_000,
    60_000_000_000,
];

/// `e` carried to `age` ns later as `serve`'s record is read: the offset
/// moved by the estimated frequency, the hard bound grown by the drift
/// bound plus |frequency| (what `serve` publishes). Whether it contains
/// the truth there.
fn carried(e: &Estimate, age: i64, s: &Scored) -> Carried {
    // A reader refuses a record from its future or past its validity; the
    // offset steps a second where the point's clock steps at an announced
    // leap, and serve's record expires before (not checked across it).
    let valid = match s.leap_ns {
        Some(leap) if leap > e.time_ns => VALID_NS.min(leap - e.time_ns - 1),
        _ => VALID_NS,
    };
    let Some(series) = s.truth.as_ref().filter(|_| (0..=valid).contains(&age)) else {
        return Carried::NotChecked;
    };
    // Nor can a record foresee a step of the grandmaster's clock: a check
    // across one is not made.
    let reading = e.time_ns + age;
    if series
        .steps
        .iter()
        .any(|&at| e.time_ns < at && at <= reading)
    {
        return Carried::AcrossStep;
    }
    let Some(t) = truth_at(series, reading, second_time(series, e, age)) else {
        return Carried::NotChecked;
    };
    let f = if e.frequency_ppb.is_finite() {
        e.frequency_ppb
    } else {
        0.0
    };
    let age = age as f64;
    let offset = e.offset_ns + f * 1e-9 * age;
    let bound = e.hard_bound_ns + (e.drift_ppb + f.abs()) * 1e-9 * age;
    Carried::Checked((offset - t).abs() <= bound)
}

/// A check of an estimate carried forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carried {
    /// Made: whether the bound contained the truth.
    Checked(bool),
    /// Not made: the truth is unknown there, or a reader would refuse it.
    NotChecked,
    /// Not made: a step of the grandmaster's clock lies between.
    AcrossStep,
}

/// Whether the point's clock read `e`'s time plus `age` the second time,
/// inside the repeated second of a leap: the grandmaster's time then (the
/// estimate's, carried) is past the step back. The grandmaster's clock
/// does not step, so this holds whatever the rate of the estimates.
fn second_time(series: &OffsetSeries, e: &Estimate, age: i64) -> bool {
    let Some(&(reading, offset)) = series.repeated.first() else {
        return false;
    };
    let step_gm = reading as f64 - offset;
    (e.time_ns + age) as f64 - e.offset_ns >= step_gm
}

/// The truth when the point's clock read `t`: the second time it read it
/// when `second` (inside a leap's repeated second), else the first.
fn truth_at(truth: &OffsetSeries, t: i64, second: bool) -> Option<f64> {
    match second {
        true => truth.at_repeated(t).or_else(|| truth.at(t)),
        false => truth.at(t),
    }
}

/// A track's scores at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackScore<'a> {
    /// Whether the truth has the track's point and grandmaster.
    pub found: bool,
    /// Estimates outside the truth's time span.
    pub outside_span: u64,
    pub ours: ErrorSummary,
    pub baseline: ErrorSummary,
    /// The truth at each estimate of the track's series (`None` where
    /// unknown); empty for a track that made no estimate.
    pub truth_ns: &'a [Option<f64>],
}

/// Scores every track's estimates against a truth.
#[derive(Debug)]
pub struct Scorer {
    truth: Truth,
    tracks: Vec<Scored>,
    index: HashMap<TrackKey, usize>,
    /// The track scored last (consecutive estimates are mostly of one).
    last: Option<(TrackKey, usize)>,
}

impl Scorer {
    pub fn new(truth: Truth) -> Self {
        Self {
            truth,
            tracks: Vec::new(),
            index: HashMap::default(),
            last: None,
        }
    }

    /// The truth of capture point `point` against the grandmaster of
    /// `key`'s master port.
    fn offsets(&self, key: &TrackKey, point: &str) -> Option<&OffsetSeries> {
        let p = self.truth.points.iter().find(|p| p.name == point)?;
        let grandmaster = key.master_port_identity.clock_identity.to_string();
        p.offsets.iter().find(|s| s.grandmaster == grandmaster)
    }

    /// The reading at which capture point `point`'s clock steps at the
    /// run's leap second, when it reads UTC and `key`'s grandmaster, on
    /// the PTP timescale, announced the leap: the midnight when a second
    /// is inserted, 23:59:59 when one is deleted.
    fn leap_at(&self, key: &TrackKey, point: &str) -> Option<i64> {
        let p = self.truth.points.iter().find(|p| p.name == point)?;
        let u = self.truth.utc.as_ref()?;
        let l = u.leap_second.as_ref()?;
        let grandmaster = key.master_port_identity.clock_identity.to_string();
        let announced = self
            .truth
            .grandmasters
            .iter()
            .any(|g| g.identity == grandmaster && g.timescale == "PTP");
        (p.reads_utc && announced).then(|| l.day_end_ns(u.offset_s))
    }

    /// Scores `e`, an estimate of track `key`, whose capture point is
    /// named `point`. Every estimate of a track is to be handed over, in
    /// order: the truth series follows the track's own.
    pub fn estimate(&mut self, key: &TrackKey, point: &str, e: &Estimate) {
        let i = match self.last {
            Some((k, i)) if k == *key => i,
            _ => {
                let next = self.tracks.len();
                let truth = self.offsets(key, point).cloned();
                let leap_ns = self.leap_at(key, point);
                let tracks = &mut self.tracks;
                let Some(&mut i) = capped_entry(&mut self.index, *key, MAX_TRACKS, || {
                    tracks.push(Scored::new(truth, leap_ns));
                    next
                }) else {
                    return;
                };
                self.last = Some((*key, i));
                i
            }
        };
        let s = &mut self.tracks[i];
        if let Some(p) = s.previous {
            let gap = e.time_ns - p.time_ns;
            for k in CARRIED_AT {
                let checked = carried(&p, (gap as f64 * k) as i64, s);
                s.ours.carry(checked);
            }
        }
        s.previous = Some(*e);
        let truth_ns = match &s.truth {
            Some(series) => {
                let t = truth_at(series, e.time_ns, second_time(series, e, 0));
                match t {
                    Some(t) => {
                        s.ours.add(
                            e.offset_ns - t,
                            Some((e.hard_bound_ns, e.statistical_bound_ns)),
                        );
                        s.baseline.add(e.baseline_offset_ns - t, None);
                    }
                    None => s.outside_span += 1,
                }
                t
            }
            None => None,
        };
        s.series.push(truth_ns);
    }

    /// The scores of track `key`, whose capture point is named `point`.
    pub fn track(&self, key: &TrackKey, point: &str) -> TrackScore<'_> {
        match self.index.get(key).map(|&i| &self.tracks[i]) {
            Some(s) => TrackScore {
                found: s.truth.is_some(),
                outside_span: s.outside_span,
                ours: {
                    // The last estimate, held over.
                    let mut ours = s.ours.clone();
                    if let Some(p) = s.previous {
                        for age in HOLDOVER_AT {
                            ours.carry(carried(&p, age, s));
                        }
                    }
                    ours.summary()
                },
                baseline: s.baseline.summary(),
                truth_ns: s.series.as_slice(),
            },
            None => TrackScore {
                found: self.offsets(key, point).is_some(),
                outside_span: 0,
                ours: ErrorStats::new(true).summary(),
                baseline: ErrorStats::new(false).summary(),
                truth_ns: &[],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analyzer, Measurement, Observation, PointId, content_hash};
    use crate::estimate::{Config, Estimator, Relevant};
    use crate::simulate::{self, Captured, Scenario};
    use crate::wire::link::{LinkType, Peeled, PtpPorts, peel};
    use crate::wire::{Ptp, decode};

    /// The measurements of a simulated scenario, as `analyze` makes them,
    /// and its truth.
    fn simulated(name: &str, secs: f64) -> (Vec<Measurement>, Truth) {
        let mut s = Scenario::load(name).expect("named scenario");
        s.duration_s = secs;
        let mut frames = Vec::new();
        let truth = simulate::run(&s, &mut |f: Captured<'_>| {
            frames.push((f.point, f.time_ns, f.data.to_vec()))
        });
        let mut a = Analyzer::new(crate::analysis::Config::default());
        a.set_point_count(8);
        let mut out = Vec::new();
        let ports = PtpPorts::default();
        for (i, (point, t, data)) in frames.iter().enumerate() {
            let Ok(Peeled::Ptp(link)) = peel(LinkType::Ethernet, data, &ports) else {
                continue;
            };
            let Ok(Ptp::V2(message)) = decode(link.payload) else {
                continue;
            };
            let len = usize::from(message.header.message_length).min(link.payload.len());
            a.frame(*point, Some(*t));
            out.extend(a.observe(&Observation {
                point: *point,
                frame: i as u64 + 1,
                time_ns: *t,
                resolution_ns: 1,
                link: &link,
                message: &message,
                content: Some(content_hash(&link.payload[..len])),
            }));
        }
        (out, truth)
    }

    fn estimator() -> Estimator {
        Estimator::new(Config {
            enabled: true,
            ..Config::default()
        })
    }

    /// The estimator's [`Relevant`] filter (which lives below simulate,
    /// so is tried here, over simulated traffic).
    #[test]
    fn only_irrelevant_measurements_are_filtered_out() {
        for scenario in ["p2p-tc", "tc-chain"] {
            let (ms, _) = simulated(scenario, 60.0);
            let mut relevant = Relevant::default();
            let kept: Vec<_> = ms.iter().filter(|m| relevant.keep(m)).collect();
            let syncs = |v: &mut dyn Iterator<Item = &Measurement>| {
                v.filter(|m| matches!(m, Measurement::Sync(_))).count()
            };
            let (all_syncs, kept_syncs) = (syncs(&mut ms.iter()), syncs(&mut kept.iter().copied()));
            let (mut a, mut b) = (estimator(), estimator());
            for m in &ms {
                a.observe(m);
            }
            for m in &kept {
                b.observe(m);
            }
            let summaries = |e: &Estimator| format!("{:?}", e.summaries());
            assert!(!a.tracks.is_empty(), "{scenario}: no estimates");
            assert_eq!(summaries(&a), summaries(&b), "{scenario}");
            if scenario == "p2p-tc" {
                // Syncs before the first Pdelay exchange at a point, and at
                // points that see none, are all that goes.
                assert!(
                    kept_syncs > 0 && kept_syncs < all_syncs,
                    "{kept_syncs} of {all_syncs}"
                );
            } else {
                assert_eq!(kept_syncs, 0, "E2E: no Sync is of use");
                assert!(all_syncs > 0);
            }
        }
    }

    #[test]
    fn estimates_are_scored_against_the_truth_of_their_point_by_name() {
        let (ms, truth) = simulated("quiet-lan", 30.0);
        let names: Vec<String> = truth.points.iter().map(|p| p.name.clone()).collect();
        let name = |p: PointId| names.get(p).map_or("", String::as_str);
        let mut e = estimator();
        let mut scorer = Scorer::new(truth.clone());
        for m in &ms {
            if let Some(est) = e.observe(m) {
                let (key, _) = e.last_track().unwrap();
                scorer.estimate(key, name(key.point), &est);
            }
        }
        assert!(!e.tracks.is_empty());
        for (key, track) in &e.tracks {
            let score = scorer.track(key, name(key.point));
            assert!(score.found, "{key:?}");
            assert_eq!(
                score.truth_ns.len(),
                track.statistics().series.as_slice().len()
            );
            assert_eq!(score.ours.hard_coverage, Some(1.0), "{key:?}");
            assert_eq!(score.baseline.hard_coverage, None);
            assert!(score.ours.samples > 0 && score.ours.rms_ns.unwrap() < 1000.0);
            // Under another name the truth has nothing.
            let unscored = Scorer::new(truth.clone());
            assert!(!unscored.track(key, "elsewhere").found);
        }
    }
}
