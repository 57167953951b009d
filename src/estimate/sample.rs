//! From measurements to samples: an offset, a path delay and the interval
//! of offsets causality allows, all taken in [`Duration`] (2^-16 ns) and
//! shown in ns.
//!
//! # Delay request-response (§11.3)
//! From a Sync exchange (t1 the Sync's originTimestamp, or the Follow_Up's
//! preciseOriginTimestamp; t2 the Sync's capture time at the point;
//! `syncCorrection` its Sync's and Follow_Up's correctionFields) and the
//! Delay exchange paired with it (t3 the Delay_Req's capture time; t4 the
//! Delay_Resp's receiveTimestamp; `delayCorrection` the Delay_Resp's
//! correctionField minus the one the Delay_Req already carried at the
//! point, which is residence downstream of the point or the slave's own
//! asymmetry correction, not on the point's path):
//!
//! ```text
//! upper          = t2 - t1 - syncCorrection
//! lower          = t3 - t4 + delayCorrection
//! meanPathDelay  = (upper - lower) / 2
//!                = ((t2 - t3) + (t4 - t1) - syncCorrection - delayCorrection) / 2
//! offsetFromMaster = (upper + lower) / 2 = upper - meanPathDelay     (§11.2)
//! ```
//!
//! Causality: the Sync took `upper - offset >= 0` and the Delay_Req
//! `offset - lower >= 0`, so the true offset lies in `[lower, upper]`,
//! whose midpoint is the sample and whose half-width is the mean path
//! delay. A sample whose mean path delay comes out negative contradicts
//! the corrections (they exceed the transit the point saw): the
//! [`Estimator`](super::Estimator) sets it aside and counts it.
//!
//! # Peer delay (§11.4)
//! A link delay from every Pdelay exchange seen at the point
//! ([`peer_delay`]); a Sync, with the recent link delays of the requester
//! whose host the point is (chosen by the
//! [`Estimator`](super::Estimator)), makes a sample ([`p2p_sample`]):
//!
//! ```text
//! upper            = t2 - t1 - syncCorrection
//! offsetFromMaster = upper - meanLinkDelay      (the median of the last 10)
//! lower            = upper - roundTrip          (the largest of the last 10)
//! ```

use crate::analysis::{Measurement, PdelayExchange, SyncExchange};
use crate::wire::Duration;

/// One sample, ns: the offset and the interval causality allows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Capture time of the Sync at the point.
    pub time_ns: i64,
    /// The instant whose offset the sample measures: midway between the
    /// Sync and the Delay_Req (E2E: each leg measures one end), the Sync
    /// (P2P).
    pub fit_time_ns: i64,
    /// offsetFromMaster (§11.2).
    pub offset_ns: f64,
    /// meanPathDelay (E2E, §11.3) or the link delay used (P2P, §11.4).
    pub mean_path_delay_ns: f64,
    /// The interval causality allows the true offset.
    pub lower_ns: f64,
    pub upper_ns: f64,
    /// Half-width at the statistical bound's confidence (95 %) of the
    /// error of a delay the sample shares with its neighbours, ns: P2P,
    /// the link delay's median (its error is common to every Sync until
    /// the median moves, so no fit over them averages it away): Student's
    /// t for n − 1 times its standard error; 0 for E2E, whose samples
    /// measure their own path delay.
    pub shared_delay_bound_ns: f64,
}

/// The E2E sample of a Sync and Delay exchange (§11.3); `None` for
/// another measurement, or when t1 or t4 has zero seconds (a two-step
/// master may leave a Sync's originTimestamp at zero).
pub fn e2e_sample(m: &Measurement) -> Option<Sample> {
    let Measurement::E2e { sync, delay } = m else {
        return None;
    };
    if sync.t1.seconds == 0 || delay.t4.seconds == 0 {
        return None;
    }
    let t1 = Duration::from_timestamp(sync.t1);
    let t2 = Duration::from_ns(sync.t2_capture_ns);
    let t3 = Duration::from_ns(delay.t3_capture_ns);
    let t4 = Duration::from_timestamp(delay.t4);
    let sync_correction =
        Duration::from(sync.sync_correction) + Duration::from(sync.follow_up_correction);
    let delay_correction =
        Duration::from(delay.resp_correction) - Duration::from(delay.req_correction);
    let upper = t2 - t1 - sync_correction;
    let lower = t3 - t4 + delay_correction;
    Some(Sample {
        time_ns: sync.t2_capture_ns,
        fit_time_ns: sync.t2_capture_ns + (delay.t3_capture_ns - sync.t2_capture_ns) / 2,
        offset_ns: (upper + lower).to_ns_f64() / 2.0,
        mean_path_delay_ns: (upper - lower).to_ns_f64() / 2.0,
        lower_ns: lower.to_ns_f64(),
        upper_ns: upper.to_ns_f64(),
        shared_delay_bound_ns: 0.0,
    })
}

/// What one Pdelay exchange says of its link, as seen at its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerDelay {
    /// Half the round trip (§11.4): the link's delay seen from the
    /// requester's end, about 0 from the responder's.
    pub mean_link_delay: Duration,
    /// `(t4 - t1) - (t3 - t2)` less the corrections.
    pub round_trip: Duration,
}

/// The link delay of a Pdelay exchange (§11.4), with t1 and t4 the capture
/// times of the Pdelay_Req and Pdelay_Resp at the point:
/// `((t4 - t1) - (t3 - t2) - c_resp - c_follow_up) / 2` for a two-step
/// responder (t2 the Pdelay_Resp's requestReceiptTimestamp, t3 the
/// follow-up's responseOriginTimestamp, the corrections of the Pdelay_Resp
/// and its follow-up), `((t4 - t1) - c_resp) / 2` for a one-step one (its
/// turnaround in the Pdelay_Resp's correctionField).
pub fn peer_delay(p: &PdelayExchange) -> PeerDelay {
    let span = Duration::from_ns(p.t4_capture_ns - p.t1_capture_ns);
    let turnaround = match p.t3 {
        Some(t3) => {
            (Duration::from_timestamp(t3) - Duration::from_timestamp(p.t2))
                + Duration::from(p.resp_correction)
                + p.follow_up_correction
                    .map_or(Duration::ZERO, Duration::from)
        }
        None => Duration::from(p.resp_correction),
    };
    let round_trip = span - turnaround;
    PeerDelay {
        mean_link_delay: round_trip / 2,
        round_trip,
    }
}

/// The P2P sample of a Sync (§11.4) at a point whose requester's recent
/// link delays have the median `mean_link_delay_ns` and the largest round
/// trip `round_trip_ns`: `offsetFromMaster = t2 - t1 - syncCorrection -
/// meanLinkDelay` (§11.2; the correctionField carries the upstream links'
/// delays and residences). Its causal interval,
/// `[t2 - t1 - syncCorrection - round_trip, t2 - t1 - syncCorrection]`,
/// assumes the Sync crossed the last link no slower than the slowest recent
/// Pdelay round trip. `None` when t1 has zero seconds.
pub fn p2p_sample(
    sync: &SyncExchange,
    mean_link_delay_ns: f64,
    round_trip_ns: f64,
) -> Option<Sample> {
    if sync.t1.seconds == 0 {
        return None;
    }
    let sync_correction =
        Duration::from(sync.sync_correction) + Duration::from(sync.follow_up_correction);
    let upper = (Duration::from_ns(sync.t2_capture_ns)
        - Duration::from_timestamp(sync.t1)
        - sync_correction)
        .to_ns_f64();
    Some(Sample {
        time_ns: sync.t2_capture_ns,
        fit_time_ns: sync.t2_capture_ns,
        offset_ns: upper - mean_link_delay_ns,
        mean_path_delay_ns: mean_link_delay_ns,
        lower_ns: upper - round_trip_ns,
        upper_ns: upper,
        shared_delay_bound_ns: 0.0,
    })
}
