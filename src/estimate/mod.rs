//! Offset, path delay and frequency of a capture point's clock against the
//! grandmaster, with error bounds. Sans-IO: [`Estimator::observe`] is fed
//! the analysis' [`Measurement`](crate::analysis::Measurement)s and returns
//! [`Estimate`]s; it reads no clock, opens no file and knows nothing of how
//! its results are shown or scored.
//!
//! The capture point stands in for a slave port: its capture clock is the
//! clock estimated, over the path between the master and the point. Every
//! correction is applied as IEEE 1588-2019 says, restricted to that path:
//! what a message carries when the point sees it is what transparent clocks
//! upstream of the point added. A point next to the slave estimates (nearly)
//! what the slave would; a point elsewhere estimates its own clock over its
//! own part of the path, which needs no assumption about what lies beyond it.
//!
//! From measurement to estimate:
//! 1. [`sample`]: a measurement becomes a [`Sample`]: an offset
//!    (offsetFromMaster, §11.2), a mean path delay (§11.3) or link delay
//!    (§11.4), and the interval of offsets causality allows.
//! 2. [`Track`]: the samples of one [`TrackKey`] (capture point, domain,
//!    slave and master port, delay mechanism) go through
//!    - [`causal`]: the hard bound, the intersection of the causal intervals;
//!    - a [`Filter`], [`LineFit`]: over a sliding [`window`] of the samples,
//!      least-delayed selection and a least-squares line with its
//!      statistical bound ([`fit`]);
//!    - a second [`Filter`], [`Baseline`]: ptp4l's sample processing, to
//!      compare against;
//!    - [`stats`]: what the output layer reports of the track.
//! 3. [`Estimator`]: the tracks by key, the P2P link delays, and the known
//!    path asymmetries (delayAsymmetry, §7.4.2) by capture point.

pub mod baseline;
pub mod causal;
pub mod drift;
pub mod estimator;
pub mod fit;
pub mod sample;
pub mod stats;
pub mod track;
pub mod window;

pub use baseline::Baseline;
pub use estimator::{Config, Estimator, Relevant};
pub use fit::{CONFIDENCE, LineFit};
pub use sample::{PeerDelay, Sample, e2e_sample, p2p_sample, peer_delay};
pub use stats::{Inconsistency, MAX_SERIES, Summary, nearest};
pub use track::{Estimate, Track};
pub use window::{REFIT, WINDOW};

use crate::analysis::PointId;
use crate::wire::PortIdentity;

/// What a [`Filter`] makes of the samples so far, at the newest one's time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Update {
    /// offsetFromMaster (§11.2): the point's clock minus the grandmaster's,
    /// ns, before the hard bound clamps it.
    pub offset_ns: f64,
    /// The meanPathDelay (§11.3) or link delay (§11.4) the estimate rests
    /// on, ns.
    pub mean_path_delay_ns: f64,
    /// The point's clock's frequency error, ppb, when the filter estimates
    /// one.
    pub frequency_ppb: Option<f64>,
    /// Half-width of a [`CONFIDENCE`] interval about `offset_ns`, ns,
    /// without the timestamp resolution, when the filter states one.
    pub statistical_bound_ns: Option<f64>,
    /// Samples the estimate rests on.
    pub samples_used: usize,
}

/// The seam between samples and estimates (statime's `Filter`): a filter
/// is fed the samples of one track in capture-time order and returns its
/// estimate at each. [`LineFit`] (the estimator) and [`Baseline`] (ptp4l's
/// sample processing) are interchangeable behind it.
pub trait Filter {
    /// Takes the next sample; returns the estimate at its time.
    fn sample(&mut self, sample: &Sample) -> Update;

    /// Forgets every sample so far: they no longer describe the clock (a
    /// step: the causal intervals stopped intersecting).
    fn restart(&mut self);
}

/// portDS.delayMechanism (§8.2.15.4.4): how the path delay is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DelayMechanism {
    /// Delay request-response (§11.3): Delay_Req and Delay_Resp between
    /// the slave and the master.
    E2e,
    /// Peer delay (§11.4): Pdelay exchanges on every link; Syncs carry the
    /// upstream links' delays in their correctionField.
    P2p,
}

/// Which track a sample belongs to: the fields of the messages (common
/// header, §13.3) that tell apart the clocks and paths estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackKey {
    /// The capture point whose clock is estimated.
    pub point: PointId,
    /// majorSdoId of the messages.
    pub major_sdo_id: u8,
    /// domainNumber of the messages.
    pub domain_number: u8,
    /// The slave port: the requestingPortIdentity of the Delay_Resps
    /// (E2E, §13.8), or of the Pdelay_Resps whose link delay is used (P2P,
    /// §13.10).
    pub requesting_port_identity: PortIdentity,
    /// The master port: the sourcePortIdentity of the Syncs.
    pub master_port_identity: PortIdentity,
    pub delay_mechanism: DelayMechanism,
}

#[cfg(test)]
mod tests;
