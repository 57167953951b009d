//! What a simulation knows to be true, written beside its capture: each
//! capture point's clock against each grandmaster's (sampled at every
//! knot), each TC's true and reported residence, each link's delays.

use serde::{Deserialize, Serialize};

use super::{HOP_TYPES, K, KNOT_NS, Sim, identity};
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
    /// True-time intervals [from, to) in which it was the grandmaster.
    pub active: Vec<(i64, i64)>,
}

/// A capture point's clock against each grandmaster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointTruth {
    pub name: String,
    pub resolution_ns: u32,
    pub offsets: Vec<OffsetSeries>,
}

/// (point clock reading ns, point clock minus grandmaster clock ns), at
/// every knot; linear in between.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OffsetSeries {
    pub grandmaster: String,
    pub series: Vec<(i64, f64)>,
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
    /// The offset when the point's clock read `t`, interpolated.
    pub fn at(&self, t: i64) -> Option<f64> {
        let s = &self.series;
        let i = s.partition_point(|&(x, _)| x <= t);
        if i == 0 || i >= s.len() {
            return None;
        }
        let (x0, y0) = s[i - 1];
        let (x1, y1) = s[i];
        Some(y0 + (y1 - y0) * (t - x0) as f64 / (x1 - x0).max(1) as f64)
    }
}

impl Sim<'_> {
    /// The truth of the run that just ended.
    pub(super) fn truth(&self) -> Truth {
        let gm_ids: Vec<String> = (0..self.s.grandmasters.len())
            .map(|g| identity(Self::gm_mac(g)).to_string())
            .collect();
        let points = self
            .points
            .iter()
            .zip(&self.point_clocks)
            .map(|(p, c)| PointTruth {
                name: p.name.clone(),
                resolution_ns: p.resolution_ns.unwrap_or(1),
                offsets: self
                    .gm_clocks
                    .iter()
                    .zip(&gm_ids)
                    .map(|(g, id)| OffsetSeries {
                        grandmaster: id.clone(),
                        series: (0..)
                            .map(|k| self.t0 + k * KNOT_NS)
                            .take_while(|&t| t <= self.end + KNOT_NS)
                            .map(|t| ((c.reading(t) / K) as i64, c.offset(t) - g.offset(t)))
                            .collect(),
                    })
                    .collect(),
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
                .map(|(identity, &(a, b))| GmTruth {
                    identity,
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
        }
    }
}
