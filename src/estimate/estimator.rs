//! The estimator of a capture: measurements in, estimates out, one
//! [`Track`] per [`TrackKey`].
//!
//! E2E (§11.3): every Sync and Delay exchange is a sample of the track of
//! its point, domain, slave and master.
//!
//! P2P (§11.4): every Pdelay exchange adds to the link delays of its
//! requester at its point. Seen from the requester's end that is the
//! link's delay; seen from the responder's end it is about 0. So the
//! requester with the largest median link delay at a Sync's point, if at
//! least [`MIN_LINK_NS`], is taken as the one whose host the point is (a
//! P2P slave's Sync arrives over the link it measures), and the Sync makes
//! a sample with the median of that requester's last [`MEDIAN_OF`] link
//! delays, as ptp4l does.
//!
//! Path asymmetry (delayAsymmetry, §7.4.2): the master-to-slave
//! delay minus the mean path delay, known from outside the protocol. The
//! Sync's leg is the mean path delay plus the asymmetry, so it is taken
//! off every sample's offset. It is given for every point ([`Config`]) or
//! for one ([`Estimator::set_delay_asymmetry`]).

use std::collections::VecDeque;

use super::baseline::{MEDIAN_OF, MovingMedian};
use super::drift::DriftBound;
use super::fit::student_t_975;
use super::sample::{e2e_sample, p2p_sample, peer_delay};
use super::stats::Summary;
use super::{DelayMechanism, Estimate, Sample, Track, TrackKey};
use crate::analysis::{HashMap, Measurement, PointId, capped_entry};
use crate::wire::{Duration, PortIdentity};

/// A P2P link delay below this, seen at a point, means the point is at
/// the responder's end (or the link is shorter than a metre): not used.
pub const MIN_LINK_NS: f64 = 2.0;
/// Tracks and links kept at most (each count).
const MAX_TRACKS: usize = 10_000;

/// The estimator's settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Bound on the frequency difference of a point's clock and the
    /// grandmaster's, ppm (0: the default, 200).
    pub max_drift_ppm: f64,
    /// How the drift bound is chosen: fixed at `max_drift_ppm`, or
    /// measured from the data (see [`super::drift`]).
    pub drift_bound: DriftBound,
    /// Estimate at all.
    pub enabled: bool,
    /// The path asymmetry (delayAsymmetry, ns) of every capture point not
    /// given one of its own.
    pub delay_asymmetry_ns: f64,
}

/// Which link delays: a Pdelay requester at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct LinkKey {
    point: PointId,
    major_sdo_id: u8,
    domain_number: u8,
    requesting_port_identity: PortIdentity,
}

/// The last link delays and round trips of one Pdelay requester at one
/// point, ns.
#[derive(Debug, Clone, Default)]
struct Link {
    mean_link_delays: MovingMedian,
    round_trips: VecDeque<f64>,
}

/// Which measurements an [`Estimator`] can use, decided from the
/// measurements alone (so another thread can filter what it sends): a
/// Sync gives a P2P sample only at a point where a Pdelay exchange was
/// seen before it, which most E2E captures never have.
#[derive(Debug, Clone, Default)]
pub struct Relevant {
    pdelay_at: Vec<bool>,
}

impl Relevant {
    pub fn keep(&mut self, m: &Measurement) -> bool {
        match m {
            Measurement::E2e { .. } => true,
            Measurement::Pdelay(p) => {
                if let Some(seen) = self.pdelay_at.get_mut(p.point) {
                    *seen = true;
                } else if p.point < 1 << 16 {
                    self.pdelay_at.resize(p.point + 1, false);
                    self.pdelay_at[p.point] = true;
                }
                true
            }
            Measurement::Sync(s) => self
                .pdelay_at
                .get(s.point)
                .copied()
                .unwrap_or(s.point >= 1 << 16),
        }
    }
}

/// Estimators per capture point, slave port and master.
#[derive(Debug, Default)]
pub struct Estimator {
    /// The tracks, in order of appearance.
    pub tracks: Vec<(TrackKey, Track)>,
    index: HashMap<TrackKey, usize>,
    /// The track used last (consecutive samples are mostly of one).
    last: usize,
    links: HashMap<LinkKey, Link>,
    /// Samples dropped as nonsensical (zero timestamps).
    pub rejected: u64,
    max_drift_ppm: f64,
    drift_bound: DriftBound,
    delay_asymmetry_ns: f64,
    /// Per capture point, over `delay_asymmetry_ns`.
    point_delay_asymmetry: HashMap<PointId, f64>,
    /// Whether measurements are to be observed (`--no-estimates`).
    pub enabled: bool,
}

impl Estimator {
    pub fn new(config: Config) -> Self {
        Self {
            max_drift_ppm: config.max_drift_ppm,
            drift_bound: config.drift_bound,
            delay_asymmetry_ns: config.delay_asymmetry_ns,
            enabled: config.enabled,
            ..Default::default()
        }
    }

    /// The path asymmetry (delayAsymmetry, ns) of capture point `point`,
    /// over the one of every point: applied to its samples from now on.
    pub fn set_delay_asymmetry(&mut self, point: PointId, ns: f64) {
        self.point_delay_asymmetry.insert(point, ns);
        for (_, t) in self.tracks.iter_mut().filter(|(k, _)| k.point == point) {
            t.delay_asymmetry_ns = ns;
        }
    }

    /// The track of the last sample taken (what the last estimate came
    /// from).
    pub fn last_track(&self) -> Option<&(TrackKey, Track)> {
        self.tracks.get(self.last)
    }

    /// Every track in numbers, in key order.
    pub fn summaries(&self) -> Vec<(TrackKey, Summary<'_>)> {
        let mut v: Vec<_> = self.tracks.iter().collect();
        v.sort_by_key(|(k, _)| *k);
        v.into_iter().map(|(k, t)| (*k, t.summary())).collect()
    }

    fn drift_ppm(&self) -> f64 {
        if self.max_drift_ppm > 0.0 {
            self.max_drift_ppm
        } else {
            200.0
        }
    }

    /// The track of `key`, made if new (`None` past [`MAX_TRACKS`]);
    /// `resolution_ns`: the coarsest resolution of the sample's capture
    /// times, as the capture format states it.
    fn track(&mut self, key: TrackKey, resolution_ns: u32) -> Option<&mut Track> {
        let i = match self.tracks.get(self.last) {
            Some((k, _)) if *k == key => self.last,
            _ => {
                let next = self.tracks.len();
                let drift = self.drift_ppm();
                let drift_bound = self.drift_bound;
                let asymmetry = self
                    .point_delay_asymmetry
                    .get(&key.point)
                    .copied()
                    .unwrap_or(self.delay_asymmetry_ns);
                let tracks = &mut self.tracks;
                let i = *capped_entry(&mut self.index, key, MAX_TRACKS, || {
                    let mut t = Track::new(key.delay_mechanism, f64::from(resolution_ns), drift);
                    t.drift_bound = drift_bound;
                    t.delay_asymmetry_ns = asymmetry;
                    tracks.push((key, t));
                    next
                })?;
                self.last = i;
                i
            }
        };
        let t = &mut self.tracks[i].1;
        // The bound adds the coarsest resolution the track has seen.
        t.resolution_ns = t.resolution_ns.max(f64::from(resolution_ns));
        Some(t)
    }

    /// Feeds one measurement; returns the estimate it produced (its track:
    /// [`Estimator::last_track`]).
    pub fn observe(&mut self, m: &Measurement) -> Option<Estimate> {
        match m {
            Measurement::E2e { sync, delay } => {
                let Some(mut s) = e2e_sample(m) else {
                    self.rejected += 1;
                    return None;
                };
                // The Delay_Req saw the offset of a later instant.
                let apart = (delay.t3_capture_ns - sync.t2_capture_ns).abs() as f64;
                let resolution_ns = sync.t2_resolution_ns.max(delay.t3_resolution_ns);
                let key = TrackKey {
                    point: sync.point,
                    major_sdo_id: sync.major_sdo_id,
                    domain_number: sync.domain,
                    requesting_port_identity: delay.slave,
                    master_port_identity: sync.master,
                    delay_mechanism: DelayMechanism::E2e,
                };
                let track = self.track(key, resolution_ns)?;
                s.lower_ns -= apart * track.drift_ppb() * 1e-9;
                if s.mean_path_delay_ns < 0.0 {
                    track.inconsistent += 1;
                    track.inconsistent_at.saw(sync.t2_capture_ns);
                    // Corrections can make a path delay negative by at
                    // most what they add up to; beyond, the timestamps
                    // contradict each other.
                    let corrections = [
                        sync.sync_correction,
                        sync.follow_up_correction,
                        delay.resp_correction,
                        delay.req_correction,
                    ]
                    .iter()
                    .map(|c| Duration::from(*c).to_ns_f64().abs())
                    .sum::<f64>();
                    if -s.mean_path_delay_ns > corrections + track.resolution_ns {
                        track.inconsistent_timestamps += 1;
                    }
                    return None;
                }
                // The Sync's leg is the mean path delay plus the asymmetry.
                s.offset_ns -= track.delay_asymmetry_ns;
                Some(track.add(s))
            }
            Measurement::Pdelay(p) => {
                let d = peer_delay(p);
                let key = LinkKey {
                    point: p.point,
                    major_sdo_id: p.major_sdo_id,
                    domain_number: p.domain,
                    requesting_port_identity: p.requester,
                };
                let l = capped_entry(&mut self.links, key, MAX_TRACKS, Link::default)?;
                l.mean_link_delays.push(d.mean_link_delay.to_ns_f64());
                if l.round_trips.len() == MEDIAN_OF {
                    l.round_trips.pop_front();
                }
                l.round_trips.push_back(d.round_trip.to_ns_f64());
                None
            }
            Measurement::Sync(sync) => {
                if sync.t1.seconds == 0 {
                    return None;
                }
                // The requester at this point with the longest link.
                let (requester, link) = self
                    .links
                    .iter()
                    .filter(|(k, l)| {
                        k.point == sync.point
                            && k.major_sdo_id == sync.major_sdo_id
                            && k.domain_number == sync.domain
                            && !l.mean_link_delays.is_empty()
                    })
                    .map(|(k, l)| (k.requesting_port_identity, l))
                    .max_by(|a, b| {
                        a.1.mean_link_delays
                            .median()
                            .total_cmp(&b.1.mean_link_delays.median())
                    })
                    .filter(|(_, l)| l.mean_link_delays.median() >= MIN_LINK_NS)?;
                let mean_link_delay = link.mean_link_delays.median();
                let n = link.mean_link_delays.len();
                let link_delay_bound = match n {
                    0 | 1 => 0.0,
                    _ => student_t_975(n - 1) * link.mean_link_delays.standard_error(),
                };
                let round_trip = link.round_trips.iter().copied().fold(0.0, f64::max);
                let s = p2p_sample(sync, mean_link_delay, round_trip)?;
                let key = TrackKey {
                    point: sync.point,
                    major_sdo_id: sync.major_sdo_id,
                    domain_number: sync.domain,
                    requesting_port_identity: requester,
                    master_port_identity: sync.master,
                    delay_mechanism: DelayMechanism::P2p,
                };
                let track = self.track(key, sync.t2_resolution_ns)?;
                let s = Sample {
                    offset_ns: s.offset_ns - track.delay_asymmetry_ns,
                    shared_delay_bound_ns: link_delay_bound,
                    ..s
                };
                Some(track.add(s))
            }
        }
    }
}
