//! What a simulation knows to be true, written beside its capture: each
//! capture point's clock against each grandmaster's (sampled at every
//! knot), each TC's true and reported residence, each link's delays.

use serde::{Deserialize, Serialize};

use super::scenario::Timescale;
use super::{Clock, HOP_TYPES, K, KNOT_NS, Sim, identity};
use crate::analysis::stats::Summary;

/// What the simulation knows to be true.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Truth {
    pub scenario: String,
    pub seed: u64,
    /// True time of the start and the length, ns.
    pub start_ns: i64,
    pub duration_ns: i64,
    pub grandmasters: Vec<GmTruth>,
    pub points: Vec<PointTruth>,
    pub hops: Vec<HopTruth>,
    pub links: Vec<LinkTruth>,
    /// Frames written, per point.
    pub frames: Vec<u64>,
    /// Attacks made, with their windows: what analyze must find there.
    #[serde(default)]
    pub attacks: Vec<AttackTruth>,
    /// UTC against the true time (TAI), when the scenario has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc: Option<UtcTruth>,
}

/// UTC against the true time, which is TAI (IEEE 1588-2019 §7.2.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UtcTruth {
    /// TAI − UTC at the start, s.
    pub offset_s: i16,
    /// The leap second inserted in the run, if any.
    pub leap_second: Option<LeapSecondTruth>,
}

/// A leap second: 23:59:60 UTC inserted, or 23:59:59 deleted (leap59).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeapSecondTruth {
    /// The UTC midnight that ends the day, ns since 1970 on UTC (POSIX
    /// time, which has no 23:59:60).
    pub utc_midnight_ns: i64,
    /// True time (TAI) at which 23:59:60 began (it lasts 1 s); when the
    /// second is deleted, at which 23:59:59 would have begun (UTC goes on
    /// from the midnight then).
    pub start_ns: i64,
    /// TAI − UTC from the end of 23:59:60 on (from `start_ns` when
    /// deleted), s.
    pub offset_after_s: i16,
}

impl LeapSecondTruth {
    /// The UTC reading at which the day ends early or late: the midnight
    /// for an inserted second, 23:59:59 for a deleted one (its
    /// `offset_after_s` is below `offset_s`, TAI − UTC before it).
    pub fn day_end_ns(&self, offset_s: i16) -> i64 {
        let deleted = self.offset_after_s < offset_s;
        self.utc_midnight_ns - if deleted { 1_000_000_000 } else { 0 }
    }
}

/// An attack and when it ran (true time, ns).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttackTruth {
    /// The finding kind it should raise.
    pub kind: String,
    pub start_ns: i64,
    pub end_ns: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GmTruth {
    pub identity: String,
    /// The timescale it announced: "PTP" (TAI) or "ARB".
    #[serde(default)]
    pub timescale: String,
    /// True-time intervals [from, to) in which it was the grandmaster.
    pub active: Vec<(i64, i64)>,
}

/// A capture point's clock against each grandmaster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointTruth {
    pub name: String,
    pub resolution_ns: u32,
    pub offsets: Vec<OffsetSeries>,
    /// (point clock reading ns, point clock minus true UTC ns), at every
    /// knot, when the run has UTC. UTC is written as CLOCK_REALTIME counts
    /// it: from the start of 23:59:60 on, a second less (23:59:60 is
    /// 23:59:59 again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub utc_offsets: Vec<(i64, f64)>,
    /// The point's clock reads UTC (`utc = true`): it steps at the leap
    /// second.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reads_utc: bool,
}

/// (point clock reading ns, point clock minus grandmaster clock ns), at
/// every knot; linear in between. A clock that reads UTC steps back a
/// second at a leap second and reads the same second twice: its series
/// follows the first time it read it (readings only grow), then goes on
/// from where it reads past that second again; `repeated` holds the
/// second time, from the step back to where the readings pass the first
/// time's last. `steps` holds the readings at which the grandmaster's
/// clock stepped (the offset steps there too; nothing measured before
/// can foresee it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OffsetSeries {
    pub grandmaster: String,
    pub series: Vec<(i64, f64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeated: Vec<(i64, f64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<i64>,
}

/// One TC and message type: the residence it really had and what the TC
/// added to the correctionField for it (its own clock's measure, plus the
/// upstream link delay for P2P).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HopTruth {
    pub tc: usize,
    /// Links before and after it.
    pub links: (usize, usize),
    pub message_type: String,
    pub residence_ns: Option<Summary>,
    pub correction_added_ns: Option<Summary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkTruth {
    pub link: usize,
    /// Delays of frames that crossed it, ns.
    pub downstream_ns: Option<Summary>,
    pub upstream_ns: Option<Summary>,
}

impl Truth {
    /// The true offset of `point`'s clock from grandmaster `gm` when the
    /// point's clock read `t` (ns), interpolated; `None` outside the run.
    pub fn offset_at(&self, point: &str, gm: &str, t: i64) -> Option<f64> {
        let p = self.points.iter().find(|p| p.name == point)?;
        p.offsets.iter().find(|s| s.grandmaster == gm)?.at(t)
    }
}

impl OffsetSeries {
    /// The offset when the point's clock read `t`, interpolated (the first
    /// time it read `t`).
    pub fn at(&self, t: i64) -> Option<f64> {
        interpolate(&self.series, t)
    }

    /// The offset when the point's clock read `t` the second time, inside
    /// the repeated second of a leap; `None` outside it.
    pub fn at_repeated(&self, t: i64) -> Option<f64> {
        interpolate(&self.repeated, t)
    }
}

/// `knots` (readings growing) at `t`, linear in between; `None` outside.
fn interpolate(knots: &[(i64, f64)], t: i64) -> Option<f64> {
    let i = knots.partition_point(|&(x, _)| x <= t);
    if i == 0 || i >= knots.len() {
        return None;
    }
    let (x0, y0) = knots[i - 1];
    let (x1, y1) = knots[i];
    Some(y0 + (y1 - y0) * (t - x0) as f64 / (x1 - x0).max(1) as f64)
}

impl Sim<'_> {
    /// The truth of the run that just ended.
    pub(super) fn truth(&self) -> Truth {
        let gm_ids: Vec<String> = (0..self.s.grandmasters.len())
            .map(|g| identity(Self::gm_mac(g)).to_string())
            .collect();
        let utc = self.s.utc.map(|u| {
            let leap = u.leap_midnight_ns(self.t0);
            UtcTruth {
                offset_s: u.offset_s,
                leap_second: leap.zip(u.leap_start_ns(self.t0)).map(|(m, start_ns)| {
                    LeapSecondTruth {
                        utc_midnight_ns: m,
                        start_ns,
                        offset_after_s: u.offset_after_s(),
                    }
                }),
            }
        });
        // TAI − UTC at true time t, as CLOCK_REALTIME counts it.
        let true_utc_shift = |t: i64| {
            utc.as_ref().map_or(0, |u| {
                match u.leap_second.as_ref().filter(|l| t >= l.start_ns) {
                    Some(l) => i64::from(l.offset_after_s) * 1_000_000_000,
                    None => i64::from(u.offset_s) * 1_000_000_000,
                }
            })
        };
        let points = self
            .points
            .iter()
            .zip(&self.point_clocks)
            .map(|(p, c)| {
                let times = self.knot_times(c);
                PointTruth {
                    reads_utc: c.reads_utc(),
                    name: p.name.clone(),
                    resolution_ns: p.resolution_ns.unwrap_or(1),
                    offsets: self
                        .gm_clocks
                        .iter()
                        .zip(&gm_ids)
                        .map(|(g, id)| {
                            let offset = |t: i64| {
                                c.offset(t)
                                    - g.offset(t)
                                    - (c.timescale_shift_ns(t) - g.timescale_shift_ns(t)) as f64
                            };
                            OffsetSeries {
                                grandmaster: id.clone(),
                                series: rising(c, &times, offset),
                                repeated: repeated(c, &times, offset),
                                steps: g
                                    .step_at()
                                    .map(|at| (c.reading(at) / K) as i64)
                                    .into_iter()
                                    .collect(),
                            }
                        })
                        .collect(),
                    utc_offsets: if utc.is_some() {
                        rising(c, &times, |t| {
                            c.offset(t) - (c.timescale_shift_ns(t) - true_utc_shift(t)) as f64
                        })
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect();
        let hops = self
            .residence
            .iter()
            .enumerate()
            .flat_map(|(tc, per)| {
                per.iter()
                    .zip(HOP_TYPES)
                    .filter(|((r, _), _)| r.count() > 0)
                    .map(move |((r, a), (_, name))| HopTruth {
                        tc,
                        links: (tc, tc + 1),
                        message_type: name.into(),
                        residence_ns: r.summary(),
                        correction_added_ns: a.summary(),
                    })
            })
            .collect();
        Truth {
            scenario: self.s.name.clone(),
            seed: self.s.seed,
            start_ns: self.t0,
            duration_ns: self.end - self.t0,
            grandmasters: gm_ids
                .into_iter()
                .zip(&self.active)
                .zip(&self.s.grandmasters)
                .map(|((identity, &(a, b)), spec)| GmTruth {
                    identity,
                    timescale: match spec.timescale {
                        Timescale::Ptp => "PTP",
                        Timescale::Arb => "ARB",
                    }
                    .into(),
                    active: if a < self.end {
                        vec![(a, b.min(self.end))]
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            points,
            hops,
            links: self
                .link_delays
                .iter()
                .enumerate()
                .map(|(link, (d, u))| LinkTruth {
                    link,
                    downstream_ns: d.summary(),
                    upstream_ns: u.summary(),
                })
                .collect(),
            frames: self.frames.clone(),
            attacks: self
                .s
                .attack
                .zip(self.attack_window)
                .map(|(a, (start_ns, end_ns))| AttackTruth {
                    kind: a.kind.name().into(),
                    start_ns,
                    end_ns,
                })
                .into_iter()
                .collect(),
            utc,
        }
    }

    /// True times of the knots, around a grandmaster's step (where every
    /// offset from it steps), and around the leap second: of clock `c`
    /// (just before and at its jump, and when it reads on past a repeated
    /// second) and of UTC itself, in order.
    fn knot_times(&self, c: &Clock) -> Vec<i64> {
        let mut times: Vec<i64> = (0..)
            .map(|k| self.t0 + k * KNOT_NS)
            .take_while(|&t| t <= self.end + KNOT_NS)
            .collect();
        for at in self.gm_clocks.iter().chain([c]).filter_map(Clock::step_at) {
            times.extend([at - 1, at]);
        }
        if let Some(jump) = c.leap_jump() {
            times.extend([jump - 1, jump]);
        }
        // UTC's own step, where a clock's offset against it steps.
        if let Some(start) = self.s.utc.and_then(|u| u.leap_start_ns(self.t0)) {
            times.extend([start - 1, start]);
        }
        if let Some((_, again)) = c.jumps() {
            times.extend([again, again + 1]);
        }
        times.sort_unstable();
        times.dedup();
        times
    }
}

/// (reading of `c`, `value`) at the `times` from `c`'s step back at a leap
/// to where its readings pass the first time's last: the repeated second
/// read the second time. Empty for a clock that never steps back.
fn repeated(c: &Clock, times: &[i64], value: impl Fn(i64) -> f64) -> Vec<(i64, f64)> {
    let Some((back, again)) = c.jumps() else {
        return Vec::new();
    };
    times
        .iter()
        .filter(|&&t| (back..=again).contains(&t))
        .map(|&t| ((c.reading(t) / K) as i64, value(t)))
        .collect()
}

/// (reading of `c`, `value`) at `times`, keeping only readings that grow:
/// the repeated second of a leap is left out.
fn rising(c: &Clock, times: &[i64], value: impl Fn(i64) -> f64) -> Vec<(i64, f64)> {
    let mut v: Vec<(i64, f64)> = Vec::with_capacity(times.len());
    for &t in times {
        let r = (c.reading(t) / K) as i64;
        if v.last().is_none_or(|&(last, _)| r > last) {
            v.push((r, value(t)));
        }
    }
    v
}
